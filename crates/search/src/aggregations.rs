//! Elasticsearch aggregations on tantivy's aggregation module: field paths become `_k` JSON
//! columns, `aggregations` is accepted as `aggs`, `date_histogram` runs as a millisecond
//! `histogram` on our i64 date columns (fixed intervals and day/hour/minute/second/week calendar
//! intervals), shards return intermediate results merged at the coordinator, and the final tree
//! is post-processed into Elasticsearch's shapes (long keys, `key_as_string`).
//!
//! Owns: request translation and result post-processing. Must not depend on hits or fetch.

use crate::query_builder::{field_kind, FieldKind};
use crate::query_phase::fielddata_message;
use crate::shard_target::ShardTarget;
use quarry_index::layout::ShardLayout;
use quarry_types::date::format_date;
use quarry_types::{EsError, Mapping};
use serde_json::{Map, Value};
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::intermediate_agg_result::IntermediateAggregationResults;
use tantivy::aggregation::{
    AggContextParams, AggregationLimitsGuard, DistributedAggregationCollector,
};
use tantivy::tokenizer::TokenizerManager;

const SUPPORTED: &[&str] = &[
    "terms",
    "avg",
    "min",
    "max",
    "sum",
    "stats",
    "extended_stats",
    "value_count",
    "cardinality",
    "percentiles",
    "range",
    "histogram",
    "date_histogram",
];
const KNOWN_UNSUPPORTED: &[&str] = &[
    "filter",
    "filters",
    "date_range",
    "ip_range",
    "missing",
    "nested",
    "reverse_nested",
    "global",
    "composite",
    "top_hits",
    "significant_terms",
    "rare_terms",
    "sampler",
    "weighted_avg",
    "median_absolute_deviation",
    "percentile_ranks",
    "scripted_metric",
    "multi_terms",
    "auto_date_histogram",
    "geo_bounds",
    "bucket_sort",
    "bucket_script",
    "bucket_selector",
    "derivative",
    "cumulative_sum",
    "avg_bucket",
    "max_bucket",
    "min_bucket",
    "sum_bucket",
    "stats_bucket",
    "moving_fn",
    "serial_diff",
    "variable_width_histogram",
    "adjacency_matrix",
    "boxplot",
    "string_stats",
    "t_test",
    "top_metrics",
    "matrix_stats",
    "geo_centroid",
    "geohash_grid",
];

/// Checks the aggregation types of a request tree (mapping-independent part of the parse).
pub fn validate(aggs: &Value) -> Result<(), EsError> {
    let obj = aggs
        .as_object()
        .ok_or_else(|| EsError::parsing("Aggregation definition must be an object"))?;
    for (name, def) in obj {
        let def = def.as_object().ok_or_else(|| {
            EsError::parsing(format!(
                "Expected [START_OBJECT] under [{name}], but got a [VALUE] in [{name}]"
            ))
        })?;
        for (k, v) in def {
            match k.as_str() {
                "aggs" | "aggregations" => validate(v)?,
                "meta" => {}
                kind if SUPPORTED.contains(&kind) => {}
                kind if KNOWN_UNSUPPORTED.contains(&kind) => {
                    return Err(EsError::unsupported(&format!("{kind} aggregation")));
                }
                kind => {
                    return Err(EsError::parsing(format!(
                        "Unknown aggregation type [{kind}]"
                    )))
                }
            }
        }
    }
    Ok(())
}

/// How to turn one aggregation's tantivy result back into Elasticsearch's shape.
#[derive(Debug, Clone)]
struct AggInfo {
    name: String,
    kind: String,
    date_format: Option<String>,
    sub: Vec<AggInfo>,
}

/// The translated request: tantivy's aggregations plus what post-processing needs.
#[derive(Debug)]
pub struct TranslatedAggs {
    pub request: Aggregations,
    info: Vec<AggInfo>,
}

/// Translates the `aggs` object of a search body for this mapping.
pub fn translate(
    aggs: &Value,
    mapping: &Mapping,
    default_analyzer: &str,
) -> Result<TranslatedAggs, EsError> {
    let (json, info) = translate_level(aggs, mapping, default_analyzer)?;
    let request: Aggregations = serde_json::from_value(Value::Object(json))
        .map_err(|e| EsError::x_content_parse(format!("failed to parse aggregations: {e}")))?;
    Ok(TranslatedAggs { request, info })
}

fn translate_level(
    aggs: &Value,
    mapping: &Mapping,
    default_analyzer: &str,
) -> Result<(Map<String, Value>, Vec<AggInfo>), EsError> {
    let obj = aggs
        .as_object()
        .ok_or_else(|| EsError::parsing("Aggregation definition must be an object"))?;
    let mut out = Map::new();
    let mut infos = Vec::new();
    for (name, def) in obj {
        let def = def.as_object().ok_or_else(|| {
            EsError::parsing(format!(
                "Expected [START_OBJECT] under [{name}], but got a [VALUE] in [{name}]"
            ))
        })?;
        let mut kind: Option<(&String, &Value)> = None;
        let mut sub: Option<&Value> = None;
        for (k, v) in def {
            match k.as_str() {
                "aggs" | "aggregations" => sub = Some(v),
                "meta" => {}
                _ => {
                    if let Some((first, _)) = kind {
                        return Err(EsError::parsing(format!(
                            "Found two aggregation type definitions in [{name}]: [{first}] and [{k}]"
                        )));
                    }
                    kind = Some((k, v));
                }
            }
        }
        let (kind, body) = kind.ok_or_else(|| {
            EsError::parsing(format!("Missing definition for aggregation [{name}]"))
        })?;
        if !SUPPORTED.contains(&kind.as_str()) {
            if KNOWN_UNSUPPORTED.contains(&kind.as_str()) {
                return Err(EsError::unsupported(&format!("{kind} aggregation")));
            }
            return Err(EsError::parsing(format!(
                "Unknown aggregation type [{kind}]"
            )));
        }
        let mut body = body.as_object().cloned().unwrap_or_default();
        let mut tantivy_kind = kind.clone();
        let mut date_format = None;
        if let Some(Value::String(field)) = body.get("field").cloned() {
            let fm = mapping.field(&field);
            let fk = fm.map(|fm| field_kind(fm, default_analyzer));
            if let Some(FieldKind::Text { .. }) = fk {
                return Err(EsError::illegal_argument(fielddata_message(&field)));
            }
            if let Some(FieldKind::Date { format }) = &fk {
                date_format = Some(
                    format
                        .clone()
                        .unwrap_or_else(|| "strict_date_optional_time".to_string()),
                );
            }
            body.insert(
                "field".into(),
                Value::String(ShardLayout::fast_column_name(&field)),
            );
        }
        if kind == "date_histogram" {
            tantivy_kind = "histogram".into();
            date_histogram_to_histogram(name, &mut body)?;
            if let Some(f) = body
                .remove("format")
                .and_then(|f| f.as_str().map(str::to_string))
            {
                date_format = Some(f);
            }
            date_format.get_or_insert_with(|| "strict_date_optional_time".to_string());
        }
        body.remove("format");
        let mut entry = Map::new();
        entry.insert(tantivy_kind, Value::Object(body));
        let mut sub_info = Vec::new();
        if let Some(sub) = sub {
            let (sub_json, infos_sub) = translate_level(sub, mapping, default_analyzer)?;
            entry.insert("aggs".into(), Value::Object(sub_json));
            sub_info = infos_sub;
        }
        out.insert(name.clone(), Value::Object(entry));
        infos.push(AggInfo {
            name: name.clone(),
            kind: kind.clone(),
            date_format,
            sub: sub_info,
        });
    }
    Ok((out, infos))
}

fn interval_ms(spec: &str) -> Option<f64> {
    let named = match spec {
        "second" | "1s" => Some(1_000.0),
        "minute" | "1m" => Some(60_000.0),
        "hour" | "1h" => Some(3_600_000.0),
        "day" | "1d" => Some(86_400_000.0),
        "week" | "1w" => Some(7.0 * 86_400_000.0),
        _ => None,
    };
    if named.is_some() {
        return named;
    }
    let split = spec.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = spec.split_at(split);
    let n: f64 = n.parse().ok()?;
    let unit_ms = match unit {
        "ms" => 1.0,
        "s" => 1_000.0,
        "m" => 60_000.0,
        "h" => 3_600_000.0,
        "d" => 86_400_000.0,
        _ => return None,
    };
    Some(n * unit_ms)
}

fn date_histogram_to_histogram(name: &str, body: &mut Map<String, Value>) -> Result<(), EsError> {
    let calendar = body.remove("calendar_interval");
    let fixed = body
        .remove("fixed_interval")
        .or_else(|| body.remove("interval"));
    let (spec, is_calendar) = match (&calendar, &fixed) {
        (Some(c), _) => (c.as_str().unwrap_or(""), true),
        (None, Some(f)) => (f.as_str().unwrap_or(""), false),
        (None, None) => {
            return Err(EsError::illegal_argument(format!(
                "Invalid interval specified, must be non-null and non-empty for [{name}]"
            )))
        }
    };
    let ms = interval_ms(spec).ok_or_else(|| {
        if is_calendar {
            EsError::unsupported(&format!("calendar_interval [{spec}]"))
        } else {
            EsError::illegal_argument(format!("failed to parse setting [date_histogram.fixedInterval] with value [{spec}] as a time value: unit is missing or unrecognized"))
        }
    })?;
    body.insert("interval".into(), Value::from(ms));
    if is_calendar && (spec == "week" || spec == "1w") {
        // Calendar weeks start on Monday; 1970-01-05 was the first Monday after the epoch.
        body.insert("offset".into(), Value::from(4.0 * 86_400_000.0));
    }
    body.remove("time_zone");
    if body.get("min_doc_count").is_none() {
        body.insert("min_doc_count".into(), Value::from(0));
    }
    Ok(())
}

/// The per-shard collector of intermediate results.
pub fn shard_collector(
    target: &ShardTarget,
    aggs: &Value,
) -> Result<DistributedAggregationCollector, EsError> {
    let t = translate(aggs, target.mapping, target.default_analyzer)?;
    Ok(DistributedAggregationCollector::from_aggs(
        t.request,
        AggContextParams::new(
            AggregationLimitsGuard::default(),
            TokenizerManager::default(),
        ),
    ))
}

/// Merges shard results and renders the final `aggregations` object.
pub fn reduce_aggregations(
    aggs: &Value,
    mapping: &Mapping,
    default_analyzer: &str,
    shard_results: Vec<IntermediateAggregationResults>,
) -> Result<Value, EsError> {
    let t = translate(aggs, mapping, default_analyzer)?;
    let mut iter = shard_results.into_iter();
    let Some(mut merged) = iter.next() else {
        return Ok(Value::Object(Map::new()));
    };
    for r in iter {
        merged
            .merge_fruits(r)
            .map_err(|e| EsError::internal(format!("merging aggregations: {e}")))?;
    }
    let final_res = merged
        .into_final_result(t.request, AggregationLimitsGuard::default())
        .map_err(|e| EsError::illegal_argument(e.to_string()))?;
    let mut json = serde_json::to_value(final_res).map_err(|e| EsError::internal(e.to_string()))?;
    post_process(&mut json, &t.info);
    Ok(json)
}

fn post_process(v: &mut Value, infos: &[AggInfo]) {
    for info in infos {
        let Some(agg) = v.get_mut(&info.name) else {
            continue;
        };
        if let Some(buckets) = agg.get_mut("buckets").and_then(Value::as_array_mut) {
            for b in buckets.iter_mut() {
                if info.kind == "date_histogram" {
                    if let Some(k) = b.get("key").and_then(Value::as_f64) {
                        let ms = k as i64;
                        if let Some(o) = b.as_object_mut() {
                            o.insert(
                                "key_as_string".into(),
                                Value::String(format_date(ms, info.date_format.as_deref())),
                            );
                            o.insert("key".into(), Value::from(ms));
                        }
                    }
                }
                post_process(b, &info.sub);
            }
            if info.kind == "date_histogram" || info.kind == "histogram" {
                reorder_key_first(buckets);
            }
        }
    }
}

/// Elasticsearch prints `key_as_string` and `key` before `doc_count`.
fn reorder_key_first(buckets: &mut [Value]) {
    for b in buckets.iter_mut() {
        if let Some(o) = b.as_object_mut() {
            let mut ordered = Map::new();
            for k in ["key_as_string", "key", "doc_count"] {
                if let Some(v) = o.remove(k) {
                    ordered.insert(k.to_string(), v);
                }
            }
            ordered.extend(std::mem::take(o));
            *o = ordered;
        }
    }
}
