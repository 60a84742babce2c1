//! The Elasticsearch query DSL as data: [`QueryAst`] and [`parse_query`], which turns the JSON
//! of a `query` object into it with Elasticsearch's `parsing_exception` messages.
//!
//! Owns: syntax only (which keys a query accepts, short forms, value shapes). Must not depend on
//! mappings, tantivy or the shard layout: what a field *is* is decided by `query_builder`.

mod compound;
mod full_text;
pub mod query_string;
mod term_level;

use quarry_types::EsError;
use serde_json::{Map, Value};

/// `and` / `or` of `match`, `query_string`...
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Or,
    And,
}

/// How a `match`-family query treats its analyzed tokens.
#[derive(Debug, Clone, PartialEq)]
pub enum MatchKind {
    /// `match`: a boolean query of the tokens.
    Bool,
    /// `match_phrase` with `slop`.
    Phrase { slop: u32 },
    /// `match_phrase_prefix`: the last token is a prefix.
    PhrasePrefix { slop: u32, max_expansions: u32 },
    /// `match_bool_prefix`: every token a term, the last one a prefix.
    BoolPrefix,
}

/// A `match`, `match_phrase` or `match_phrase_prefix` on one field.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchQuery {
    pub field: String,
    pub query: Value,
    pub kind: MatchKind,
    pub operator: Operator,
    pub minimum_should_match: Option<String>,
    pub fuzziness: Option<String>,
    pub prefix_length: u32,
    pub analyzer: Option<String>,
    /// `zero_terms_query: all`.
    pub zero_terms_all: bool,
    pub lenient: bool,
    pub boost: f32,
}

impl MatchQuery {
    pub fn new(field: &str, query: Value, kind: MatchKind) -> Self {
        MatchQuery {
            field: field.to_string(),
            query,
            kind,
            operator: Operator::Or,
            minimum_should_match: None,
            fuzziness: None,
            prefix_length: 0,
            analyzer: None,
            zero_terms_all: false,
            lenient: false,
            boost: 1.0,
        }
    }
}

/// `multi_match` `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MultiMatchType {
    BestFields,
    MostFields,
    CrossFields,
    Phrase,
    PhrasePrefix,
    BoolPrefix,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MultiMatchQuery {
    /// Field patterns with their boost (`title^2` -> ("title", 2.0)); empty means the default fields.
    pub fields: Vec<(String, f32)>,
    pub query: Value,
    pub match_type: MultiMatchType,
    pub tie_breaker: Option<f32>,
    /// Options shared with `match` (field is unused).
    pub options: MatchQuery,
}

/// One bound of a `range` query.
#[derive(Debug, Clone, PartialEq)]
pub struct RangeQuery {
    pub field: String,
    pub gt: Option<Value>,
    pub gte: Option<Value>,
    pub lt: Option<Value>,
    pub lte: Option<Value>,
    pub format: Option<String>,
    pub time_zone: Option<String>,
    pub boost: f32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BoolQuery {
    pub must: Vec<QueryAst>,
    pub filter: Vec<QueryAst>,
    pub should: Vec<QueryAst>,
    pub must_not: Vec<QueryAst>,
    pub minimum_should_match: Option<String>,
    pub boost: f32,
}

/// `query_string` and `simple_query_string`.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryStringQuery {
    pub query: String,
    pub default_field: Option<String>,
    pub fields: Vec<(String, f32)>,
    pub default_operator: Operator,
    pub analyzer: Option<String>,
    pub lenient: bool,
    pub simple: bool,
    pub boost: f32,
}

/// Term-level pattern queries on one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatternKind {
    Prefix,
    Wildcard,
    Regexp,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryAst {
    MatchAll {
        boost: f32,
    },
    MatchNone,
    Match(MatchQuery),
    MultiMatch(MultiMatchQuery),
    Term {
        field: String,
        value: Value,
        boost: f32,
        case_insensitive: bool,
    },
    Terms {
        field: String,
        values: Vec<Value>,
        boost: f32,
    },
    Range(RangeQuery),
    Bool(BoolQuery),
    Exists {
        field: String,
        boost: f32,
    },
    Ids {
        values: Vec<String>,
        boost: f32,
    },
    Pattern {
        kind: PatternKind,
        field: String,
        value: String,
        case_insensitive: bool,
        boost: f32,
    },
    Fuzzy {
        field: String,
        value: Value,
        fuzziness: Option<String>,
        prefix_length: u32,
        max_expansions: u32,
        transpositions: bool,
        boost: f32,
    },
    ConstantScore {
        filter: Box<QueryAst>,
        boost: f32,
    },
    DisMax {
        queries: Vec<QueryAst>,
        tie_breaker: f32,
        boost: f32,
    },
    Boosting {
        positive: Box<QueryAst>,
        negative: Box<QueryAst>,
        negative_boost: f32,
    },
    QueryString(QueryStringQuery),
    /// `nested`: the inner query runs on the flattened paths.
    Nested {
        path: String,
        query: Box<QueryAst>,
        ignore_unmapped: bool,
    },
}

impl QueryAst {
    pub fn match_all() -> QueryAst {
        QueryAst::MatchAll { boost: 1.0 }
    }
}

/// Parses one query object `{"<name>": {...}}`.
pub fn parse_query(value: &Value) -> Result<QueryAst, EsError> {
    let obj = match value {
        Value::Object(o) => o,
        _ => {
            return Err(EsError::parsing(
                "[_na] query malformed, must start with start_object",
            ))
        }
    };
    let mut iter = obj.iter();
    let (name, body) = match iter.next() {
        Some(kv) => kv,
        None => return Err(EsError::parsing("query malformed, empty clause found")),
    };
    if iter.next().is_some() {
        return Err(EsError::parsing(format!(
            "[{name}] malformed query, expected [END_OBJECT] but found [FIELD_NAME]"
        )));
    }
    let known = matches!(
        name.as_str(),
        "match_all"
            | "match_none"
            | "match"
            | "match_phrase"
            | "match_phrase_prefix"
            | "match_bool_prefix"
            | "multi_match"
            | "term"
            | "terms"
            | "range"
            | "bool"
            | "exists"
            | "ids"
            | "prefix"
            | "wildcard"
            | "regexp"
            | "fuzzy"
            | "constant_score"
            | "dis_max"
            | "boosting"
            | "query_string"
            | "simple_query_string"
            | "nested"
    );
    if !known {
        return Err(EsError::parsing(format!("unknown query [{name}]")));
    }
    // Short forms (`"term": {"f": "v"}`) still need an object after the query name.
    if !body.is_object() {
        return Err(EsError::parsing(format!(
            "[{name}] query malformed, no start_object after query name"
        )));
    }
    match name.as_str() {
        "match_all" | "match_none" | "bool" | "constant_score" | "dis_max" | "boosting"
        | "nested" => compound::parse(name, body),
        "match"
        | "match_phrase"
        | "match_phrase_prefix"
        | "match_bool_prefix"
        | "multi_match"
        | "query_string"
        | "simple_query_string" => full_text::parse(name, body),
        _ => term_level::parse(name, body),
    }
}

// ---- helpers shared by the parsers ----

pub(crate) fn as_object<'a>(query: &str, v: &'a Value) -> Result<&'a Map<String, Value>, EsError> {
    v.as_object().ok_or_else(|| {
        EsError::parsing(format!(
            "[{query}] query malformed, no start_object after query name"
        ))
    })
}

pub(crate) fn unsupported(query: &str, key: &str) -> EsError {
    EsError::parsing(format!("[{query}] query does not support [{key}]"))
}

/// The single `{field: ...}` entry of a field-keyed query (term, match, range...), skipping `boost`
/// and `_name` when `allow_top_level` lists them.
pub(crate) fn single_field<'a>(
    query: &str,
    obj: &'a Map<String, Value>,
    top_level: &[&str],
) -> Result<(&'a String, &'a Value, Map<String, Value>), EsError> {
    let mut field: Option<(&String, &Value)> = None;
    let mut extra = Map::new();
    for (k, v) in obj {
        if top_level.contains(&k.as_str()) {
            extra.insert(k.clone(), v.clone());
            continue;
        }
        if let Some((prev, _)) = field {
            return Err(EsError::parsing(format!(
                "[{query}] query doesn't support multiple fields, found [{prev}] and [{k}]"
            )));
        }
        field = Some((k, v));
    }
    match field {
        Some((f, v)) => Ok((f, v, extra)),
        None => Err(EsError::parsing(format!(
            "[{query}] query requires a field"
        ))),
    }
}

pub(crate) fn parse_f32(query: &str, key: &str, v: &Value) -> Result<f32, EsError> {
    match v {
        Value::Number(n) => n.as_f64().map(|f| f as f32),
        Value::String(s) => s.trim().parse::<f32>().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        EsError::parsing(format!(
            "[{query}] failed to parse field [{key}]: [{v}] is not a number"
        ))
    })
}

pub(crate) fn parse_u32(query: &str, key: &str, v: &Value) -> Result<u32, EsError> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|x| u32::try_from(x).ok()),
        Value::String(s) => s.trim().parse::<u32>().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        EsError::parsing(format!(
            "[{query}] failed to parse field [{key}]: [{v}] is not a number"
        ))
    })
}

pub(crate) fn parse_bool(query: &str, key: &str, v: &Value) -> Result<bool, EsError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        _ => Err(EsError::parsing(format!(
            "[{query}] failed to parse field [{key}]: Failed to parse value [{}] as only [true] or [false] are allowed.",
            value_text(v)
        ))),
    }
}

pub(crate) fn parse_string(query: &str, key: &str, v: &Value) -> Result<String, EsError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        _ => Err(EsError::parsing(format!(
            "[{query}] failed to parse field [{key}]: expected a string"
        ))),
    }
}

/// `minimum_should_match` accepts a number or a string.
pub(crate) fn parse_msm(query: &str, v: &Value) -> Result<String, EsError> {
    parse_string(query, "minimum_should_match", v)
}

pub(crate) fn parse_operator(v: &Value) -> Result<Operator, EsError> {
    match v.as_str().map(str::to_ascii_lowercase).as_deref() {
        Some("or") => Ok(Operator::Or),
        Some("and") => Ok(Operator::And),
        _ => Err(EsError::illegal_argument(format!(
            "operator needs to be either [OR, AND], but not [{}]",
            value_text(v)
        ))),
    }
}

/// Field patterns with optional `^boost`.
pub(crate) fn parse_fields(query: &str, v: &Value) -> Result<Vec<(String, f32)>, EsError> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::String(_) => vec![v],
        _ => {
            return Err(EsError::parsing(format!(
                "[{query}] query does not support [fields]"
            )))
        }
    };
    let mut out = Vec::new();
    for item in items {
        let s = item.as_str().ok_or_else(|| {
            EsError::parsing(format!("[{query}] query does not support [fields]"))
        })?;
        out.push(split_boost(s));
    }
    Ok(out)
}

/// `title^2` -> ("title", 2.0).
pub(crate) fn split_boost(s: &str) -> (String, f32) {
    match s.rsplit_once('^') {
        Some((name, b)) => match b.parse::<f32>() {
            Ok(boost) => (name.to_string(), boost),
            Err(_) => (s.to_string(), 1.0),
        },
        None => (s.to_string(), 1.0),
    }
}

/// A JSON value as Elasticsearch prints it inside brackets.
pub(crate) fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
#[path = "dsl_test.rs"]
mod dsl_test;
