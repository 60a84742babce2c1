//! The field types and `dynamic` modes of a mapping, with their names, families and the
//! parameters each type accepts. Pure data; parsing of whole mappings is in `mapping`.

use crate::error::EsError;
use serde_json::Value;

/// `dynamic` on the root or an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dynamic {
    True,
    False,
    Strict,
    Runtime,
}

impl Dynamic {
    pub fn parse(v: &Value) -> Result<Dynamic, EsError> {
        match v {
            Value::Bool(true) => Ok(Dynamic::True),
            Value::Bool(false) => Ok(Dynamic::False),
            Value::String(s) => match s.as_str() {
                "true" => Ok(Dynamic::True),
                "false" => Ok(Dynamic::False),
                "strict" => Ok(Dynamic::Strict),
                "runtime" => Ok(Dynamic::Runtime),
                _ => Err(EsError::mapper_parsing(format!(
                    "Unknown value [{s}] for dynamic"
                ))),
            },
            other => Err(EsError::mapper_parsing(format!(
                "Unknown value [{other}] for dynamic"
            ))),
        }
    }
    pub fn to_json(self) -> Value {
        match self {
            Dynamic::True => Value::String("true".into()),
            Dynamic::False => Value::String("false".into()),
            Dynamic::Strict => Value::String("strict".into()),
            Dynamic::Runtime => Value::String("runtime".into()),
        }
    }
}

/// The field types Quarry understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    Text,
    MatchOnlyText,
    Keyword,
    ConstantKeyword,
    Wildcard,
    Long,
    Integer,
    Short,
    Byte,
    UnsignedLong,
    Double,
    Float,
    HalfFloat,
    ScaledFloat,
    Boolean,
    Date,
    DateNanos,
    Ip,
    Binary,
    Object,
    Nested,
    Flattened,
}

impl FieldType {
    pub fn parse(name: &str) -> Option<FieldType> {
        use FieldType::*;
        Some(match name {
            "text" => Text,
            "match_only_text" => MatchOnlyText,
            "keyword" => Keyword,
            "constant_keyword" => ConstantKeyword,
            "wildcard" => Wildcard,
            "long" => Long,
            "integer" => Integer,
            "short" => Short,
            "byte" => Byte,
            "unsigned_long" => UnsignedLong,
            "double" => Double,
            "float" => Float,
            "half_float" => HalfFloat,
            "scaled_float" => ScaledFloat,
            "boolean" => Boolean,
            "date" => Date,
            "date_nanos" => DateNanos,
            "ip" => Ip,
            "binary" => Binary,
            "object" => Object,
            "nested" => Nested,
            "flattened" => Flattened,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        use FieldType::*;
        match self {
            Text => "text",
            MatchOnlyText => "match_only_text",
            Keyword => "keyword",
            ConstantKeyword => "constant_keyword",
            Wildcard => "wildcard",
            Long => "long",
            Integer => "integer",
            Short => "short",
            Byte => "byte",
            UnsignedLong => "unsigned_long",
            Double => "double",
            Float => "float",
            HalfFloat => "half_float",
            ScaledFloat => "scaled_float",
            Boolean => "boolean",
            Date => "date",
            DateNanos => "date_nanos",
            Ip => "ip",
            Binary => "binary",
            Object => "object",
            Nested => "nested",
            Flattened => "flattened",
        }
    }

    pub fn is_object(self) -> bool {
        matches!(self, FieldType::Object | FieldType::Nested)
    }
    pub fn is_text(self) -> bool {
        matches!(self, FieldType::Text | FieldType::MatchOnlyText)
    }
    pub fn is_keyword(self) -> bool {
        matches!(
            self,
            FieldType::Keyword | FieldType::ConstantKeyword | FieldType::Wildcard
        )
    }
    pub fn is_integer(self) -> bool {
        use FieldType::*;
        matches!(self, Long | Integer | Short | Byte | UnsignedLong)
    }
    pub fn is_float(self) -> bool {
        use FieldType::*;
        matches!(self, Double | Float | HalfFloat | ScaledFloat)
    }
    pub fn is_numeric(self) -> bool {
        self.is_integer() || self.is_float()
    }
    pub fn is_date(self) -> bool {
        matches!(self, FieldType::Date | FieldType::DateNanos)
    }

    /// Parameters accepted besides `type`, `fields` and `properties`.
    pub(crate) fn allowed_params(self) -> &'static [&'static str] {
        use FieldType::*;
        const COMMON: &[&str] = &["meta", "store", "index", "doc_values", "copy_to"];
        match self {
            Text | MatchOnlyText => &[
                "analyzer",
                "search_analyzer",
                "search_quote_analyzer",
                "norms",
                "index_options",
                "position_increment_gap",
                "fielddata",
                "fielddata_frequency_filter",
                "term_vector",
                "similarity",
                "boost",
                "index_prefixes",
                "index_phrases",
                "eager_global_ordinals",
                "meta",
                "store",
                "index",
                "copy_to",
            ],
            Keyword | ConstantKeyword | Wildcard => &[
                "ignore_above",
                "null_value",
                "normalizer",
                "norms",
                "index_options",
                "similarity",
                "split_queries_on_whitespace",
                "eager_global_ordinals",
                "boost",
                "value",
                "script",
                "on_script_error",
                "time_series_dimension",
                "meta",
                "store",
                "index",
                "doc_values",
                "copy_to",
            ],
            Long | Integer | Short | Byte | UnsignedLong | Double | Float | HalfFloat
            | ScaledFloat => &[
                "coerce",
                "ignore_malformed",
                "null_value",
                "boost",
                "scaling_factor",
                "script",
                "on_script_error",
                "time_series_dimension",
                "time_series_metric",
                "meta",
                "store",
                "index",
                "doc_values",
                "copy_to",
            ],
            Boolean => &[
                "null_value",
                "boost",
                "script",
                "on_script_error",
                "meta",
                "store",
                "index",
                "doc_values",
                "copy_to",
            ],
            Date | DateNanos => &[
                "format",
                "locale",
                "ignore_malformed",
                "null_value",
                "boost",
                "script",
                "on_script_error",
                "meta",
                "store",
                "index",
                "doc_values",
                "copy_to",
            ],
            Ip => &[
                "ignore_malformed",
                "null_value",
                "boost",
                "script",
                "on_script_error",
                "meta",
                "store",
                "index",
                "doc_values",
                "copy_to",
            ],
            Binary => &["meta", "store", "doc_values"],
            Object | Nested => &[
                "dynamic",
                "enabled",
                "include_in_parent",
                "include_in_root",
                "subobjects",
            ],
            Flattened => COMMON,
        }
    }
}
