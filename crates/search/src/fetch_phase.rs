//! The fetch phase on one shard: loads the stored metadata and `_source` of the winning docs and
//! renders Elasticsearch hits (`_index`, `_id`, `_version`, `_seq_no`, `_primary_term`,
//! `_score`, `_routing`, `_source` filtered, `fields`, `sort`).
//!
//! Owns: hit rendering. Must not run queries or merge shards.

use crate::doc_values::{DocValue, PathValues};
use crate::query_builder::{field_kind, FieldKind};
use crate::query_phase::ShardDoc;
use crate::search_request::{FieldAndFormat, SearchRequest};
use crate::shard_target::ShardTarget;
use crate::source_filter::glob_full;
use quarry_index::layout::decode_ip;
use quarry_types::date::format_date;
use quarry_types::EsError;
use serde_json::{Map, Value};
use tantivy::schema::Value as _;
use tantivy::{DocAddress, TantivyDocument};

/// Stored metadata of one document.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMeta {
    pub id: String,
    pub routing: Option<String>,
    pub seq_no: i64,
    pub primary_term: i64,
    pub version: i64,
    pub ignored: Vec<String>,
    pub source: Option<Value>,
}

/// Reads the stored fields of one doc (`with_source`: parse `_source` too).
pub fn load_stored(
    target: &ShardTarget,
    addr: DocAddress,
    with_source: bool,
) -> Result<StoredMeta, EsError> {
    let doc: TantivyDocument = target
        .searcher
        .doc(addr)
        .map_err(|e| EsError::internal(format!("failed to load document: {e}")))?;
    let l = target.layout;
    let text = |f| {
        doc.get_first(f)
            .and_then(|v| v.as_str().map(str::to_string))
    };
    let long = |f| doc.get_first(f).and_then(|v| v.as_i64()).unwrap_or(0);
    let source = if with_source {
        match doc
            .get_first(l.source)
            .and_then(|v| v.as_bytes().map(<[u8]>::to_vec))
        {
            Some(bytes) if !bytes.is_empty() => Some(
                serde_json::from_slice(&bytes)
                    .map_err(|e| EsError::internal(format!("stored _source is not JSON: {e}")))?,
            ),
            _ => None,
        }
    } else {
        None
    };
    Ok(StoredMeta {
        id: text(l.id).unwrap_or_default(),
        routing: text(l.routing),
        seq_no: long(l.seq_no),
        primary_term: long(l.primary_term),
        version: long(l.version),
        ignored: doc
            .get_all(l.ignored)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        source,
    })
}

/// Renders the hits of `docs` (all from this shard) in the given order.
pub fn fetch_hits(
    target: &ShardTarget,
    docs: &[ShardDoc],
    req: &SearchRequest,
) -> Result<Vec<Value>, EsError> {
    let stored_none = req
        .stored_fields
        .as_ref()
        .is_some_and(|f| f.iter().any(|s| s == "_none_"));
    let wants_source = req.source.fetch
        && !stored_none
        && (req.source_explicit
            || req
                .stored_fields
                .as_ref()
                .is_none_or(|f| f.iter().any(|s| s == "_source" || s == "*")));
    let mut hits = Vec::with_capacity(docs.len());
    for d in docs {
        let meta = load_stored(target, d.doc, wants_source || !req.fields.is_empty())?;
        let mut hit = Map::new();
        hit.insert(
            "_index".into(),
            Value::String(target.index_name.to_string()),
        );
        if !stored_none {
            hit.insert("_id".into(), Value::String(meta.id.clone()));
        }
        if req.version {
            hit.insert("_version".into(), Value::from(meta.version));
        }
        if req.seq_no_primary_term {
            hit.insert("_seq_no".into(), Value::from(meta.seq_no));
            hit.insert("_primary_term".into(), Value::from(meta.primary_term));
        }
        hit.insert("_score".into(), score_json(d.score));
        if let Some(r) = &meta.routing {
            hit.insert("_routing".into(), Value::String(r.clone()));
        }
        if !meta.ignored.is_empty() {
            hit.insert("_ignored".into(), Value::from(meta.ignored.clone()));
        }
        if wants_source {
            if let Some(src) = &meta.source {
                hit.insert("_source".into(), req.source.filter(src));
            }
        }
        let mut fields = Map::new();
        let segment = target.searcher.segment_reader(d.doc.segment_ord);
        for spec in req.docvalue_fields.iter().chain(req.fields.iter()) {
            for (path, kind) in expand_field(target, &spec.field) {
                if fields.contains_key(&path) {
                    continue;
                }
                let values = if let FieldKind::Text { .. } = kind {
                    meta.source
                        .as_ref()
                        .map(|s| values_at(s, &path))
                        .unwrap_or_default()
                } else {
                    let pv = PathValues::open(segment, &path)?;
                    pv.values(d.doc.doc_id)
                        .iter()
                        .map(|v| render_doc_value(v, &kind, spec))
                        .collect()
                };
                if !values.is_empty() {
                    fields.insert(path, Value::Array(values));
                }
            }
        }
        if !fields.is_empty() {
            hit.insert("fields".into(), Value::Object(fields));
        }
        if !req.sort.is_empty() {
            hit.insert(
                "sort".into(),
                Value::Array(d.sort_values.iter().map(|v| v.to_json()).collect()),
            );
        }
        hits.push(Value::Object(hit));
    }
    Ok(hits)
}

pub(crate) fn score_json(score: f32) -> Value {
    if score.is_nan() {
        Value::Null
    } else {
        serde_json::Number::from_f64(f64::from(score))
            .map(Value::Number)
            .unwrap_or(Value::Null)
    }
}

/// Mapped leaves matching a `fields`/`docvalue_fields` pattern.
fn expand_field(target: &ShardTarget, pattern: &str) -> Vec<(String, FieldKind)> {
    if !pattern.contains('*') {
        return match target.mapping.field(pattern) {
            Some(fm) => vec![(pattern.to_string(), field_kind(fm, target.default_analyzer))],
            None => Vec::new(),
        };
    }
    target
        .mapping
        .leaves()
        .into_iter()
        .filter(|(p, _)| glob_full(pattern, p))
        .map(|(p, fm)| (p, field_kind(fm, target.default_analyzer)))
        .filter(|(_, k)| *k != FieldKind::Other)
        .collect()
}

fn render_doc_value(v: &DocValue, kind: &FieldKind, spec: &FieldAndFormat) -> Value {
    match (kind, v) {
        (FieldKind::Date { format }, _) => {
            let ms = v.as_i64().unwrap_or(0);
            Value::String(format_date(
                ms,
                spec.format.as_deref().or(format.as_deref()),
            ))
        }
        (FieldKind::Ip, DocValue::Str(hex)) => Value::String(
            decode_ip(hex)
                .map(|ip| ip.to_string())
                .unwrap_or_else(|| hex.clone()),
        ),
        (FieldKind::Boolean, _) => Value::Bool(v.as_i64().unwrap_or(0) != 0),
        (FieldKind::Integer, _) => Value::from(v.as_i64().unwrap_or(0)),
        (_, DocValue::Str(s)) => Value::String(s.clone()),
        (_, DocValue::I64(i)) => Value::from(*i),
        (_, DocValue::U64(u)) => Value::from(*u),
        (_, DocValue::F64(f)) => serde_json::Number::from_f64(*f)
            .map(Value::Number)
            .unwrap_or(Value::Null),
        (_, DocValue::Bool(b)) => Value::Bool(*b),
    }
}

/// Leaf values at a dotted path of a source document (arrays flattened).
pub fn values_at(source: &Value, path: &str) -> Vec<Value> {
    let mut out = Vec::new();
    collect_at(source, path, &mut out);
    out
}

fn collect_at(v: &Value, path: &str, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => {
            for i in items {
                collect_at(i, path, out);
            }
        }
        Value::Object(m) => {
            if path.is_empty() {
                return;
            }
            if let Some(child) = m.get(path) {
                collect_at(child, "", out);
            }
            // Also try every split point: `a.b.c` may be stored as {"a": {"b.c": ..}}.
            for (i, _) in path.match_indices('.') {
                if let Some(child) = m.get(&path[..i]) {
                    collect_at(child, &path[i + 1..], out);
                }
            }
        }
        Value::Null => {}
        scalar if path.is_empty() => out.push(scalar.clone()),
        _ => {}
    }
}
