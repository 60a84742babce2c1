//! A search request as data: [`SearchRequest`] parsed from the `_search` body and URL parameters
//! (`q`, `df`, `sort`, `_source*`, `size`, `from`, `track_total_hits`...) with Elasticsearch's
//! parse and validation errors.
//!
//! Owns: request syntax and validation. Must not depend on tantivy or shards.

use crate::dsl::{parse_query, Operator, QueryAst, QueryStringQuery};
use crate::sort::{parse_sort, parse_sort_param, SortField};
use crate::source_filter::SourceFilter;
use quarry_types::xcontent::token_name;
use quarry_types::EsError;
use serde_json::Value;
use std::collections::HashMap;

/// `index.max_result_window` default.
pub const DEFAULT_MAX_RESULT_WINDOW: usize = 10_000;
/// `track_total_hits` default.
pub const DEFAULT_TRACK_TOTAL_HITS: u64 = 10_000;

/// One `docvalue_fields` (or `fields`) entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldAndFormat {
    pub field: String,
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest {
    pub query: QueryAst,
    pub post_filter: Option<QueryAst>,
    pub from: usize,
    pub size: usize,
    /// Empty means by `_score` descending.
    pub sort: Vec<SortField>,
    pub source: SourceFilter,
    /// Whether `_source` was asked for explicitly (matters with `stored_fields`).
    pub source_explicit: bool,
    /// `None`: totals not tracked (`false`); `Some(u64::MAX)`: exact (`true`); else the limit.
    pub track_total_hits: Option<u64>,
    pub rest_total_hits_as_int: bool,
    pub track_scores: bool,
    /// Raw `aggs`/`aggregations` object.
    pub aggs: Option<Value>,
    pub stored_fields: Option<Vec<String>>,
    pub docvalue_fields: Vec<FieldAndFormat>,
    pub fields: Vec<FieldAndFormat>,
    pub search_after: Option<Vec<Value>>,
    pub min_score: Option<f32>,
    pub explain: bool,
    pub version: bool,
    pub seq_no_primary_term: bool,
    pub timeout: Option<String>,
    pub terminate_after: Option<u64>,
    /// Kept raw; highlighting is not implemented yet.
    pub highlight: Option<Value>,
    pub profile: bool,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            query: QueryAst::match_all(),
            post_filter: None,
            from: 0,
            size: 10,
            sort: Vec::new(),
            source: SourceFilter::default(),
            source_explicit: false,
            track_total_hits: Some(DEFAULT_TRACK_TOTAL_HITS),
            rest_total_hits_as_int: false,
            track_scores: false,
            aggs: None,
            stored_fields: None,
            docvalue_fields: Vec::new(),
            fields: Vec::new(),
            search_after: None,
            min_score: None,
            explain: false,
            version: false,
            seq_no_primary_term: false,
            timeout: None,
            terminate_after: None,
            highlight: None,
            profile: false,
        }
    }
}

impl SearchRequest {
    /// Whether hits are ordered by score (no sort, or `_score` first).
    pub fn sorts_by_score(&self) -> bool {
        self.sort.is_empty()
            || self
                .sort
                .iter()
                .any(|s| s.key == crate::sort::SortKey::Score)
    }
}

/// Parses a `_search` body (may be absent) and URL parameters, then validates the result
/// window against `index.max_result_window`.
pub fn parse_search_request(
    body: Option<&Value>,
    params: &HashMap<String, String>,
    max_result_window: usize,
) -> Result<SearchRequest, EsError> {
    let mut req = SearchRequest::default();
    if let Some(body) = body {
        match body {
            Value::Object(_) => parse_body(&mut req, body)?,
            Value::Null => {}
            _ => {
                return Err(EsError::parsing(
                    "request body or source parameter is required",
                ))
            }
        }
    }
    apply_params(&mut req, params)?;
    validate(&req, max_result_window)?;
    Ok(req)
}

fn parse_body(req: &mut SearchRequest, body: &Value) -> Result<(), EsError> {
    let Some(obj) = body.as_object() else {
        return Ok(());
    };
    for (k, v) in obj {
        match k.as_str() {
            "query" => req.query = parse_query(v)?,
            "post_filter" => req.post_filter = Some(parse_query(v)?),
            "from" => req.from = non_negative("from", v)?,
            "size" => req.size = non_negative("size", v)?,
            "sort" => req.sort = parse_sort(v)?,
            "_source" => {
                req.source = SourceFilter::parse(v)?;
                req.source_explicit = true;
            }
            "track_total_hits" => req.track_total_hits = parse_track_total_hits(v)?,
            "track_scores" => req.track_scores = v.as_bool().unwrap_or(false),
            "aggs" | "aggregations" => {
                if req.aggs.is_some() {
                    return Err(EsError::parsing("Found two aggregation type definitions in [aggs]: [aggs] and [aggregations]"));
                }
                if !v.is_object() {
                    return Err(unknown_key(k, v));
                }
                crate::aggregations::validate(v)?;
                req.aggs = Some(v.clone());
            }
            "stored_fields" => req.stored_fields = Some(string_list(k, v)?),
            "docvalue_fields" => req.docvalue_fields = field_list(k, v)?,
            "fields" => req.fields = field_list(k, v)?,
            "search_after" => match v {
                Value::Array(a) => req.search_after = Some(a.clone()),
                _ => return Err(unknown_key(k, v)),
            },
            "min_score" => {
                req.min_score = Some(v.as_f64().ok_or_else(|| unknown_key(k, v))? as f32);
            }
            "explain" => req.explain = v.as_bool().unwrap_or(false),
            "version" => req.version = v.as_bool().unwrap_or(false),
            "seq_no_primary_term" => req.seq_no_primary_term = v.as_bool().unwrap_or(false),
            "timeout" => req.timeout = Some(crate::dsl::value_text(v)),
            "terminate_after" => req.terminate_after = Some(non_negative(k, v)? as u64),
            "highlight" => req.highlight = Some(v.clone()),
            "profile" => req.profile = v.as_bool().unwrap_or(false),
            "stats" | "ext" | "indices_boost" | "_name" => {}
            "runtime_mappings" if v.as_object().is_some_and(|m| m.is_empty()) => {}
            "script_fields" | "suggest" | "rescore" | "collapse" | "slice" | "pit" | "knn"
            | "retriever" | "sub_searches" | "rank" | "runtime_mappings" | "point_in_time" => {
                return Err(EsError::unsupported(k));
            }
            _ => return Err(unknown_key(k, v)),
        }
    }
    Ok(())
}

fn unknown_key(k: &str, v: &Value) -> EsError {
    EsError::parsing(format!("Unknown key for a {} in [{k}].", token_name(v)))
}

fn non_negative(key: &str, v: &Value) -> Result<usize, EsError> {
    let n: i64 = match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| {
        EsError::x_content_parse(format!("[search_source] failed to parse field [{key}]"))
    })?;
    if n < 0 {
        return Err(EsError::illegal_argument(format!(
            "[{key}] parameter cannot be negative, found [{n}]"
        )));
    }
    Ok(n as usize)
}

fn parse_track_total_hits(v: &Value) -> Result<Option<u64>, EsError> {
    match v {
        Value::Bool(true) => Ok(Some(u64::MAX)),
        Value::Bool(false) => Ok(None),
        Value::Number(n) => match n.as_i64() {
            Some(-1) => Ok(Some(u64::MAX)),
            Some(i) if i >= 0 => Ok(Some(i as u64)),
            _ => Err(EsError::illegal_argument(format!(
                "[track_total_hits] parameter must be positive or equals to -1, got {n}"
            ))),
        },
        Value::String(s) => match s.as_str() {
            "true" => Ok(Some(u64::MAX)),
            "false" => Ok(None),
            other => parse_track_total_hits(&Value::from(other.parse::<i64>().map_err(|_| {
                EsError::illegal_argument(format!(
                    "Failed to parse value [{other}] as only [true] or [false] are allowed."
                ))
            })?)),
        },
        _ => Err(unknown_key("track_total_hits", v)),
    }
}

fn string_list(key: &str, v: &Value) -> Result<Vec<String>, EsError> {
    match v {
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| unknown_key(key, x))
            })
            .collect(),
        _ => Err(unknown_key(key, v)),
    }
}

fn field_list(key: &str, v: &Value) -> Result<Vec<FieldAndFormat>, EsError> {
    let items = match v {
        Value::Array(a) => a.clone(),
        other => vec![other.clone()],
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(FieldAndFormat {
                field: s.clone(),
                format: None,
            }),
            Value::Object(o) => {
                let field = o.get("field").and_then(Value::as_str).ok_or_else(|| {
                    EsError::x_content_parse(format!(
                        "[{key}] failed to parse field [field]: Required [field]"
                    ))
                })?;
                Ok(FieldAndFormat {
                    field: field.to_string(),
                    format: o.get("format").and_then(Value::as_str).map(str::to_string),
                })
            }
            other => Err(unknown_key(key, other)),
        })
        .collect()
}

fn param_usize(params: &HashMap<String, String>, key: &str) -> Result<Option<i64>, EsError> {
    match params.get(key) {
        None => Ok(None),
        Some(s) => s.trim().parse::<i64>().map(Some).map_err(|_| {
            EsError::illegal_argument(format!(
                "Failed to parse int parameter [{key}] with value [{s}]"
            ))
        }),
    }
}

fn param_bool(params: &HashMap<String, String>, key: &str) -> Result<Option<bool>, EsError> {
    match params.get(key).map(String::as_str) {
        None => Ok(None),
        Some("" | "true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{other}] as only [true] or [false] are allowed."
        ))),
    }
}

fn apply_params(req: &mut SearchRequest, params: &HashMap<String, String>) -> Result<(), EsError> {
    if let Some(q) = params.get("q") {
        let default_operator = match params.get("default_operator") {
            Some(op) => crate::dsl::parse_operator(&Value::String(op.clone()))?,
            None => Operator::Or,
        };
        req.query = QueryAst::QueryString(QueryStringQuery {
            query: q.clone(),
            default_field: params.get("df").cloned(),
            fields: Vec::new(),
            default_operator,
            analyzer: params.get("analyzer").cloned(),
            lenient: param_bool(params, "lenient")?.unwrap_or(false),
            simple: false,
            boost: 1.0,
        });
    }
    if let Some(size) = param_usize(params, "size")? {
        // `size=-1` is the deprecated spelling of "default".
        match size {
            -1 => {}
            s if s < 0 => {
                return Err(EsError::illegal_argument(format!(
                    "[size] parameter cannot be negative, found [{s}]"
                )))
            }
            s => req.size = s as usize,
        }
    }
    if let Some(from) = param_usize(params, "from")? {
        match from {
            -1 => {}
            f if f < 0 => {
                return Err(EsError::illegal_argument(format!(
                    "[from] parameter cannot be negative, found [{f}]"
                )))
            }
            f => req.from = f as usize,
        }
    }
    if let Some(sort) = params.get("sort") {
        req.sort = parse_sort_param(sort)?;
    }
    let filter = SourceFilter::from_params(
        params.get("_source").map(String::as_str),
        params
            .get("_source_includes")
            .or_else(|| params.get("_source_include"))
            .map(String::as_str),
        params
            .get("_source_excludes")
            .or_else(|| params.get("_source_exclude"))
            .map(String::as_str),
    );
    if let Some(f) = filter {
        req.source = f;
        req.source_explicit = true;
    }
    if let Some(t) = params.get("track_total_hits") {
        req.track_total_hits = parse_track_total_hits(&Value::String(t.clone()))?;
    }
    if let Some(b) = param_bool(params, "rest_total_hits_as_int")? {
        req.rest_total_hits_as_int = b;
        if b {
            req.track_total_hits = Some(u64::MAX);
        }
    }
    if let Some(b) = param_bool(params, "track_scores")? {
        req.track_scores = b;
    }
    if let Some(b) = param_bool(params, "version")? {
        req.version = b;
    }
    if let Some(b) = param_bool(params, "seq_no_primary_term")? {
        req.seq_no_primary_term = b;
    }
    if let Some(b) = param_bool(params, "explain")? {
        req.explain = b;
    }
    if let Some(s) = params.get("stored_fields") {
        req.stored_fields = Some(s.split(',').map(str::to_string).collect());
    }
    if let Some(s) = params.get("docvalue_fields") {
        req.docvalue_fields = s
            .split(',')
            .map(|f| FieldAndFormat {
                field: f.to_string(),
                format: None,
            })
            .collect();
    }
    if let Some(t) = params.get("timeout") {
        req.timeout = Some(t.clone());
    }
    if let Some(t) = param_usize(params, "terminate_after")? {
        req.terminate_after = Some(t.max(0) as u64);
    }
    if params.contains_key("scroll") {
        return Err(EsError::unsupported("scroll"));
    }
    Ok(())
}

fn validate(req: &SearchRequest, max_result_window: usize) -> Result<(), EsError> {
    let window = req.from.saturating_add(req.size);
    if window > max_result_window {
        return Err(EsError::illegal_argument(format!(
            "Result window is too large, from + size must be less than or equal to: [{max_result_window}] but was \
             [{window}]. See the scroll api for a more efficient way to request large data sets. This limit can be \
             set by changing the [index.max_result_window] index level setting."
        )));
    }
    if let Some(after) = &req.search_after {
        if req.from > 0 {
            return Err(EsError::action_request_validation(&[
                "`from` parameter must be set to 0 when `search_after` is used.".to_string(),
            ]));
        }
        let sort_len = if req.sort.is_empty() {
            1
        } else {
            req.sort.len()
        };
        if after.len() != sort_len {
            return Err(EsError::illegal_argument(format!(
                "search_after has {} value(s) but sort has {sort_len}.",
                after.len()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "search_request_test.rs"]
mod search_request_test;
