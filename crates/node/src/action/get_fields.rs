//! What a get (`GET /{index}/_doc/{id}`, `_mget` items) renders besides the metadata: the
//! `_source` (honouring `_source.enabled` and source filtering) and the `fields` section of
//! `stored_fields`. Pure functions over the mapping and the stored source.
//!
//! Quarry keeps every document's `_source`, so the values of a field mapped with `store: true`
//! are read back from the source, converted by the field type as Elasticsearch stores them.

use quarry_search::source_filter::SourceFilter;
use quarry_types::mapping::{FieldMapping, Mapping};
use quarry_types::EsError;
use serde_json::{Map, Value};

/// The options of one get.
#[derive(Debug, Clone)]
pub struct GetOptions {
    pub realtime: bool,
    pub refresh: bool,
    /// `_source`, `_source_includes`, `_source_excludes`; `None` when none was given.
    pub source_filter: Option<SourceFilter>,
    /// `stored_fields`; `None` when not requested.
    pub stored_fields: Option<Vec<String>>,
}

impl Default for GetOptions {
    fn default() -> Self {
        GetOptions {
            realtime: true,
            refresh: false,
            source_filter: None,
            stored_fields: None,
        }
    }
}

/// Splits a `stored_fields` value (a comma-separated string or an array of strings).
pub fn parse_stored_fields(v: &Value) -> Result<Vec<String>, EsError> {
    match v {
        Value::String(s) => Ok(split_list(s)),
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str().map(String::from).ok_or_else(|| {
                    EsError::parsing("Failed to parse [stored_fields]: expected strings")
                })
            })
            .collect(),
        _ => Err(EsError::parsing(
            "Failed to parse [stored_fields]: expected a string or an array of strings",
        )),
    }
}

/// Splits a comma-separated list, dropping empty parts.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

/// Whether the `_source` is returned: an explicit source filter decides; otherwise it is
/// returned unless `stored_fields` was given without `_source` in it (Elasticsearch's
/// `normalizeFetchSourceContent`).
pub fn fetch_source(opts: &GetOptions) -> bool {
    if let Some(f) = &opts.source_filter {
        return f.fetch;
    }
    match &opts.stored_fields {
        None => true,
        Some(fields) => fields.iter().any(|f| f == "_source"),
    }
}

/// The `_source` to render, `None` when it is not returned or not stored.
pub fn rendered_source(mapping: &Mapping, source: &Value, opts: &GetOptions) -> Option<Value> {
    if !mapping.source_enabled() || !fetch_source(opts) {
        return None;
    }
    Some(match &opts.source_filter {
        Some(f) => f.filter(source),
        None => source.clone(),
    })
}

/// The `fields` section for the requested stored fields: only fields mapped with
/// `store: true` that have a value in this document.
pub fn stored_field_values(
    mapping: &Mapping,
    source: &Value,
    requested: &[String],
) -> Map<String, Value> {
    let mut out = Map::new();
    for name in requested {
        if name.starts_with('_') {
            continue;
        }
        let Some(fm) = mapping.field(name) else {
            continue;
        };
        if !is_stored(fm) {
            continue;
        }
        let mut values = Vec::new();
        collect_values(source, &name.split('.').collect::<Vec<_>>(), &mut values);
        let values: Vec<Value> = values
            .into_iter()
            .filter(|v| !v.is_null())
            .map(|v| stored_form(fm, v))
            .collect();
        if !values.is_empty() {
            out.insert(name.clone(), Value::Array(values));
        }
    }
    out
}

fn is_stored(fm: &FieldMapping) -> bool {
    match fm.params.get("store") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}

/// Collects the leaf values at `path`, following objects (also dotted keys) and arrays.
fn collect_values(v: &Value, path: &[&str], out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => {
            for i in items {
                collect_values(i, path, out);
            }
        }
        Value::Object(m) => {
            if path.is_empty() {
                return;
            }
            for split in 1..=path.len() {
                let key = path[..split].join(".");
                if let Some(child) = m.get(&key) {
                    collect_values(child, &path[split..], out);
                }
            }
        }
        leaf => {
            if path.is_empty() {
                out.push(leaf.clone());
            }
        }
    }
}

/// The value as the stored field holds it: numbers for numeric fields, strings otherwise.
fn stored_form(fm: &FieldMapping, v: Value) -> Value {
    let ft = fm.field_type;
    if ft.is_numeric() {
        if let Value::String(s) = &v {
            if let Ok(i) = s.trim().parse::<i64>() {
                return Value::from(i);
            }
            if let Ok(f) = s.trim().parse::<f64>() {
                return serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .unwrap_or(v);
            }
        }
        return v;
    }
    if ft.is_keyword() || ft.is_text() {
        return match v {
            Value::String(_) => v,
            other => Value::String(other.to_string()),
        };
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping() -> Mapping {
        Mapping::parse(&json!({"properties": {
            "foo": {"type": "keyword", "store": true},
            "count": {"type": "integer", "store": true},
            "plain": {"type": "keyword"},
            "o": {"properties": {"n": {"type": "long", "store": true}}}
        }}))
        .unwrap()
    }

    #[test]
    fn stored_fields_read_only_stored_fields_from_the_source() {
        let src = json!({"foo": "bar", "count": "1", "plain": "x", "o": [{"n": 1}, {"n": 2}]});
        let req = split_list("foo,count,plain,o.n,missing");
        let f = stored_field_values(&mapping(), &src, &req);
        assert_eq!(
            Value::Object(f),
            json!({"foo": ["bar"], "count": [1], "o.n": [1, 2]})
        );
    }

    #[test]
    fn source_is_fetched_unless_stored_fields_leave_it_out() {
        let mut o = GetOptions::default();
        assert!(fetch_source(&o));
        o.stored_fields = Some(vec!["foo".into()]);
        assert!(!fetch_source(&o));
        o.stored_fields = Some(vec!["foo".into(), "_source".into()]);
        assert!(fetch_source(&o));
        o.source_filter = SourceFilter::from_params(Some("false"), None, None);
        assert!(!fetch_source(&o));
    }

    #[test]
    fn disabled_source_is_never_rendered() {
        let m = Mapping::parse(&json!({"_source": {"enabled": false}})).unwrap();
        assert_eq!(
            rendered_source(&m, &json!({"a": 1}), &GetOptions::default()),
            None
        );
        assert_eq!(
            rendered_source(
                &Mapping::default(),
                &json!({"a": 1}),
                &GetOptions::default()
            ),
            Some(json!({"a": 1}))
        );
    }
}
