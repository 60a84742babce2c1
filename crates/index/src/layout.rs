//! How one shard's documents are laid out in tantivy: the fixed schema, how an Elasticsearch
//! field path and value become tantivy values, and how the query side builds the matching terms.
//!
//! The tantivy schema cannot gain fields after creation, while Elasticsearch mappings grow
//! (dynamic mapping, `PUT _mapping`). So every shard has the same fixed schema:
//!
//! ```text
//!   _id            STRING | STORED                 document id
//!   _source        bytes STORED                    the original JSON
//!   _routing       STRING | STORED                 custom routing value
//!   _seq_no        i64 INDEXED | STORED | FAST
//!   _version       i64 STORED | FAST
//!   _primary_term  i64 STORED | FAST
//!   _field_names   STRING                          every path with a value (exists query)
//!   _ignored       STRING | STORED                 paths skipped by ignore_above/ignore_malformed
//!   _k             JSON, raw tokenizer, FAST(raw)  keyword, numeric, boolean, date, ip values
//!   _t.<analyzer>  JSON, tokenized with positions  text values, one JSON field per analyzer
//! ```
//!
//! Inside `_k` and `_t.*` the JSON key is the full Elasticsearch path as one segment (dots kept
//! literally: `title.keyword` is a single key), so the query side escapes dots in paths.
//! Dates are stored as i64 epoch milliseconds; IPs as 32 lowercase hex digits of the IPv6 (or
//! IPv4-mapped) address, which sorts like the address; doubles whose value is integral are
//! normalized to i64 by tantivy, and [`ShardLayout::numeric_term`] does the same on the query side.
//!
//! Owns: the schema and value encoding. Must not know about mappings' JSON or translogs.

use std::collections::BTreeMap;
use std::net::IpAddr;
use tantivy::schema::{
    Field, IndexRecordOption, JsonObjectOptions, OwnedValue, Schema, SchemaBuilder,
    TextFieldIndexing, FAST, INDEXED, STORED, STRING,
};
use tantivy::{TantivyDocument, Term};

pub const ID: &str = "_id";
pub const SOURCE: &str = "_source";
pub const ROUTING: &str = "_routing";
pub const SEQ_NO: &str = "_seq_no";
pub const VERSION: &str = "_version";
pub const PRIMARY_TERM: &str = "_primary_term";
pub const FIELD_NAMES: &str = "_field_names";
pub const IGNORED: &str = "_ignored";
pub const KEYWORD_JSON: &str = "_k";
pub const TEXT_JSON_PREFIX: &str = "_t.";
/// Tokenizer registered for `_k` (untokenized).
pub const RAW_TOKENIZER: &str = "raw";

/// A value ready to be indexed at one field path.
#[derive(Debug, Clone, PartialEq)]
pub enum IndexedValue {
    /// Analyzed text, indexed in `_t.<analyzer>`.
    Text {
        analyzer: String,
        text: String,
    },
    Keyword(String),
    Long(i64),
    UnsignedLong(u64),
    Double(f64),
    Boolean(bool),
    /// Epoch milliseconds.
    Date(i64),
    Ip(IpAddr),
}

/// Field handles of the fixed schema.
#[derive(Debug, Clone)]
pub struct ShardLayout {
    pub schema: Schema,
    pub id: Field,
    pub source: Field,
    pub routing: Field,
    pub seq_no: Field,
    pub version: Field,
    pub primary_term: Field,
    pub field_names: Field,
    pub ignored: Field,
    pub keyword: Field,
    /// Analyzer name -> its text JSON field.
    pub text: BTreeMap<String, Field>,
}

impl ShardLayout {
    /// Builds the schema for a new shard whose index knows these analyzers (built-in and custom).
    /// Each analyzer name must be registered as a tantivy tokenizer of the same name.
    pub fn build(analyzer_names: &[String]) -> ShardLayout {
        let mut b = SchemaBuilder::new();
        b.add_text_field(ID, STRING | STORED);
        b.add_bytes_field(SOURCE, STORED);
        b.add_text_field(ROUTING, STRING | STORED);
        b.add_i64_field(SEQ_NO, INDEXED | STORED | FAST);
        b.add_i64_field(VERSION, STORED | FAST);
        b.add_i64_field(PRIMARY_TERM, STORED | FAST);
        b.add_text_field(FIELD_NAMES, STRING);
        b.add_text_field(IGNORED, STRING | STORED);
        let kw_indexing = TextFieldIndexing::default()
            .set_tokenizer(RAW_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic);
        b.add_json_field(
            KEYWORD_JSON,
            JsonObjectOptions::default()
                .set_indexing_options(kw_indexing)
                .set_fast(RAW_TOKENIZER),
        );
        let mut names: Vec<&String> = analyzer_names.iter().collect();
        names.sort();
        names.dedup();
        for name in names {
            let indexing = TextFieldIndexing::default()
                .set_tokenizer(name)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions);
            b.add_json_field(
                &format!("{TEXT_JSON_PREFIX}{name}"),
                JsonObjectOptions::default().set_indexing_options(indexing),
            );
        }
        Self::from_schema(b.build()).expect("schema built above has every fixed field")
    }

    /// Recovers the handles from a schema read back from disk.
    pub fn from_schema(schema: Schema) -> Result<ShardLayout, String> {
        let f = |name: &str| {
            schema
                .get_field(name)
                .map_err(|_| format!("shard schema has no field [{name}]"))
        };
        let mut text = BTreeMap::new();
        for (field, entry) in schema.fields() {
            if let Some(analyzer) = entry.name().strip_prefix(TEXT_JSON_PREFIX) {
                text.insert(analyzer.to_string(), field);
            }
        }
        Ok(ShardLayout {
            id: f(ID)?,
            source: f(SOURCE)?,
            routing: f(ROUTING)?,
            seq_no: f(SEQ_NO)?,
            version: f(VERSION)?,
            primary_term: f(PRIMARY_TERM)?,
            field_names: f(FIELD_NAMES)?,
            ignored: f(IGNORED)?,
            keyword: f(KEYWORD_JSON)?,
            text,
            schema,
        })
    }

    pub fn text_field(&self, analyzer: &str) -> Option<Field> {
        self.text.get(analyzer).copied()
    }

    /// Term for an exact keyword (or normalized ip) value at `path` in `_k`.
    pub fn keyword_term(&self, path: &str, value: &str) -> Term {
        let mut t = Term::from_field_json_path(self.keyword, &escape_path(path), false);
        t.append_type_and_str(value);
        t
    }

    /// Term for one analyzed token at `path` in the text field of `analyzer`.
    /// Returns `None` when the index has no such analyzer.
    pub fn text_term(&self, analyzer: &str, path: &str, token: &str) -> Option<Term> {
        let field = self.text_field(analyzer)?;
        let mut t = Term::from_field_json_path(field, &escape_path(path), false);
        t.append_type_and_str(token);
        Some(t)
    }

    /// Term for a numeric value, normalized like tantivy's indexing (an integral double is an i64).
    pub fn numeric_term(&self, path: &str, value: f64) -> Term {
        let mut t = Term::from_field_json_path(self.keyword, &escape_path(path), false);
        if value.fract() == 0.0 && value >= i64::MIN as f64 && value <= i64::MAX as f64 {
            t.append_type_and_fast_value(value as i64);
        } else {
            t.append_type_and_fast_value(value);
        }
        t
    }

    pub fn long_term(&self, path: &str, value: i64) -> Term {
        let mut t = Term::from_field_json_path(self.keyword, &escape_path(path), false);
        t.append_type_and_fast_value(value);
        t
    }

    pub fn unsigned_long_term(&self, path: &str, value: u64) -> Term {
        match i64::try_from(value) {
            Ok(v) => self.long_term(path, v),
            Err(_) => {
                let mut t = Term::from_field_json_path(self.keyword, &escape_path(path), false);
                t.append_type_and_fast_value(value);
                t
            }
        }
    }

    pub fn bool_term(&self, path: &str, value: bool) -> Term {
        let mut t = Term::from_field_json_path(self.keyword, &escape_path(path), false);
        t.append_type_and_fast_value(value);
        t
    }

    /// Term on `_field_names` (exists query).
    pub fn field_name_term(&self, path: &str) -> Term {
        Term::from_field_text(self.field_names, path)
    }

    /// Term on `_id`.
    pub fn id_term(&self, id: &str) -> Term {
        Term::from_field_text(self.id, id)
    }

    /// Column name of `path` in `_k` for `searcher.segment_reader(..).fast_fields()` accessors.
    pub fn fast_column_name(path: &str) -> String {
        format!("{KEYWORD_JSON}.{}", escape_path(path))
    }
}

/// Escapes dots (and backslashes) so tantivy treats the whole path as one JSON key.
pub fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        if c == '.' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// 32 lowercase hex digits of the address as IPv6 (IPv4 mapped), sortable like the address.
pub fn encode_ip(ip: IpAddr) -> String {
    let v6 = match ip {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    format!("{:032x}", u128::from(v6))
}

/// Inverse of [`encode_ip`]; an IPv4-mapped address comes back as IPv4.
pub fn decode_ip(hex: &str) -> Option<IpAddr> {
    let n = u128::from_str_radix(hex, 16).ok()?;
    let v6 = std::net::Ipv6Addr::from(n);
    Some(match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    })
}

/// Collects the values of one document and turns them into a [`TantivyDocument`].
#[derive(Debug, Default)]
pub struct DocumentBuilder {
    keyword: BTreeMap<String, Vec<OwnedValue>>,
    text: BTreeMap<String, BTreeMap<String, Vec<OwnedValue>>>,
    field_names: Vec<String>,
    ignored: Vec<String>,
}

impl DocumentBuilder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value at `path` (multi-valued fields call this once per value).
    pub fn add(&mut self, path: &str, value: IndexedValue) {
        let owned = match value {
            IndexedValue::Text { analyzer, text } => {
                self.text
                    .entry(analyzer)
                    .or_default()
                    .entry(path.to_string())
                    .or_default()
                    .push(OwnedValue::Str(text));
                self.mark_present(path);
                return;
            }
            IndexedValue::Keyword(s) => OwnedValue::Str(s),
            IndexedValue::Long(v) => OwnedValue::I64(v),
            IndexedValue::UnsignedLong(v) => OwnedValue::U64(v),
            IndexedValue::Double(v) => OwnedValue::F64(v),
            IndexedValue::Boolean(v) => OwnedValue::Bool(v),
            IndexedValue::Date(ms) => OwnedValue::I64(ms),
            IndexedValue::Ip(ip) => OwnedValue::Str(encode_ip(ip)),
        };
        self.keyword
            .entry(path.to_string())
            .or_default()
            .push(owned);
        self.mark_present(path);
    }

    /// Records that `path` (and every parent object) has a value, for `exists` queries.
    pub fn mark_present(&mut self, path: &str) {
        let mut end = 0;
        for (i, c) in path.char_indices() {
            if c == '.' {
                self.field_names.push(path[..i].to_string());
            }
            end = i + c.len_utf8();
        }
        self.field_names.push(path[..end].to_string());
    }

    /// Records a path whose value was not indexed (`ignore_above`, `ignore_malformed`).
    pub fn mark_ignored(&mut self, path: &str) {
        self.ignored.push(path.to_string());
    }

    /// The values collected at `path` (keyword-like values first, then text values), for
    /// inspection in tests and diagnostics.
    pub fn values_at(&self, path: &str) -> Vec<OwnedValue> {
        let mut out: Vec<OwnedValue> = self.keyword.get(path).cloned().unwrap_or_default();
        for values in self.text.values() {
            out.extend(values.get(path).cloned().unwrap_or_default());
        }
        out
    }

    /// The analyzer whose text field holds the text values at `path`, if any.
    pub fn text_analyzers_at(&self, path: &str) -> Vec<String> {
        self.text
            .iter()
            .filter(|(_, v)| v.contains_key(path))
            .map(|(a, _)| a.clone())
            .collect()
    }

    /// Paths recorded in `_ignored`.
    pub fn ignored(&self) -> &[String] {
        &self.ignored
    }

    /// Builds the tantivy document with the metadata fields.
    pub fn build(mut self, layout: &ShardLayout, meta: &DocumentMeta<'_>) -> TantivyDocument {
        let mut doc = TantivyDocument::default();
        doc.add_text(layout.id, meta.id);
        doc.add_bytes(layout.source, meta.source);
        if let Some(r) = meta.routing {
            doc.add_text(layout.routing, r);
        }
        doc.add_i64(layout.seq_no, meta.seq_no);
        doc.add_i64(layout.version, meta.version);
        doc.add_i64(layout.primary_term, meta.primary_term);
        self.field_names.sort();
        self.field_names.dedup();
        for name in &self.field_names {
            doc.add_text(layout.field_names, name);
        }
        for name in &self.ignored {
            doc.add_text(layout.ignored, name);
        }
        if !self.keyword.is_empty() {
            doc.add_object(layout.keyword, to_object(self.keyword));
        }
        for (analyzer, values) in self.text {
            if let Some(field) = layout.text_field(&analyzer) {
                doc.add_object(field, to_object(values));
            }
        }
        doc
    }
}

fn to_object(values: BTreeMap<String, Vec<OwnedValue>>) -> BTreeMap<String, OwnedValue> {
    values
        .into_iter()
        .map(|(k, mut v)| {
            let value = if v.len() == 1 {
                v.remove(0)
            } else {
                OwnedValue::Array(v)
            };
            (k, value)
        })
        .collect()
}

/// Metadata written with every document.
#[derive(Debug, Clone, Copy)]
pub struct DocumentMeta<'a> {
    pub id: &'a str,
    pub source: &'a [u8],
    pub routing: Option<&'a str>,
    pub seq_no: i64,
    pub version: i64,
    pub primary_term: i64,
}

#[cfg(test)]
#[path = "layout_test.rs"]
mod layout_test;
