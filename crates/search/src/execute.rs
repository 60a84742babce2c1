//! Convenience drivers for the node layer when every shard is local: [`execute_search`] (query
//! phase on each shard, reduce, fetch), [`count`], and [`collect_matching_ids`] for
//! delete/update-by-query.
//!
//! Owns: the sequencing and shard-failure accounting. Must not depend on tokio or transport; a
//! distributed coordinator calls the phases itself.

use crate::aggregations::reduce_aggregations;
use crate::dsl::QueryAst;
use crate::fetch_phase::{fetch_hits, load_stored, score_json};
use crate::query_builder::{build_query, QueryContext};
use crate::query_phase::{effective_sort, execute_query_phase, QuerySearchResult};
use crate::reduce::{reduce, TotalRelation};
use crate::search_request::SearchRequest;
use crate::shard_target::ShardTarget;
use quarry_types::EsError;
use serde_json::{json, Map, Value};
use tantivy::collector::{Count, DocSetCollector};

/// The parts of a `_search` response body.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResponseParts {
    pub hits: Vec<Value>,
    pub total_hits: u64,
    pub total_relation: TotalRelation,
    /// `None` when `track_total_hits: false` (no `hits.total`).
    pub track_total_hits: Option<u64>,
    pub rest_total_hits_as_int: bool,
    pub max_score: Option<f32>,
    pub aggregations: Option<Value>,
    pub shards_total: usize,
    pub shards_successful: usize,
    pub shards_failed: usize,
    /// `_shards.failures` entries.
    pub failures: Vec<Value>,
    pub terminated_early: Option<bool>,
}

impl SearchResponseParts {
    /// The full Elasticsearch response body.
    pub fn to_json(&self, took_ms: u64) -> Value {
        let mut hits = Map::new();
        if self.track_total_hits.is_some() {
            if self.rest_total_hits_as_int {
                hits.insert("total".into(), Value::from(self.total_hits));
            } else {
                hits.insert(
                    "total".into(),
                    json!({"value": self.total_hits, "relation": self.total_relation.as_str()}),
                );
            }
        }
        hits.insert(
            "max_score".into(),
            self.max_score.map_or(Value::Null, score_json),
        );
        hits.insert("hits".into(), Value::Array(self.hits.clone()));
        let mut shards = json!({
            "total": self.shards_total,
            "successful": self.shards_successful,
            "skipped": 0,
            "failed": self.shards_failed,
        });
        if !self.failures.is_empty() {
            shards["failures"] = Value::Array(self.failures.clone());
        }
        let mut body = Map::new();
        body.insert("took".into(), Value::from(took_ms));
        body.insert("timed_out".into(), Value::Bool(false));
        if let Some(t) = self.terminated_early {
            body.insert("terminated_early".into(), Value::Bool(t));
        }
        body.insert("_shards".into(), shards);
        body.insert("hits".into(), Value::Object(hits));
        if let Some(a) = &self.aggregations {
            body.insert("aggregations".into(), a.clone());
        }
        Value::Object(body)
    }
}

/// Milliseconds since the epoch (`now` of date math).
pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

fn shard_failure(target: &ShardTarget, e: &EsError) -> Value {
    json!({"shard": target.shard, "index": target.index_name, "reason": e.to_json()})
}

/// Elasticsearch's error when no shard answered.
fn all_shards_failed(failures: Vec<Value>, first: EsError) -> EsError {
    EsError::search_phase_execution("all shards failed", first)
        .with("failed_shards", Value::Array(failures))
}

/// The request's `aggregations` over the shard results (taking their intermediate results):
/// `None` without `aggs`, an empty object when no shard answered. `mapping` is the first
/// target index's mapping and default analyzer, as Elasticsearch reduces with.
pub fn reduce_request_aggregations(
    req: &SearchRequest,
    results: &mut [QuerySearchResult],
    mapping: Option<(&quarry_types::Mapping, &str)>,
) -> Result<Option<Value>, EsError> {
    let Some(aggs) = &req.aggs else {
        return Ok(None);
    };
    let intermediates: Vec<_> = results
        .iter_mut()
        .filter_map(|r| r.aggregations.take())
        .collect();
    match mapping {
        Some((mapping, analyzer)) => {
            reduce_aggregations(aggs, mapping, analyzer, intermediates).map(Some)
        }
        None => Ok(Some(Value::Object(Map::new()))),
    }
}

/// Query phase on every shard, reduce, fetch. Shard `i` of `shards` has shard index `i`.
pub fn execute_search(
    shards: &[ShardTarget],
    req: &SearchRequest,
) -> Result<SearchResponseParts, EsError> {
    let now = now_millis();
    let mut results: Vec<QuerySearchResult> = Vec::with_capacity(shards.len());
    let mut failures = Vec::new();
    let mut first_error = None;
    for (i, target) in shards.iter().enumerate() {
        match execute_query_phase(target, i, req, now) {
            Ok(r) => results.push(r),
            Err(e) => {
                failures.push(shard_failure(target, &e));
                first_error.get_or_insert(e);
            }
        }
    }
    if results.is_empty() {
        if let Some(e) = first_error {
            return Err(all_shards_failed(failures, e));
        }
    }
    let sort = effective_sort(req);
    let reduced = reduce(&results, req.from, req.size, &sort, req.track_total_hits);
    let aggregations = reduce_request_aggregations(
        req,
        &mut results,
        shards.first().map(|t| (t.mapping, t.default_analyzer)),
    )?;
    // Fetch per shard, then put the hits back in reduced order.
    let mut rendered: Vec<Option<Value>> = vec![None; reduced.hits.len()];
    for (shard_index, target) in shards.iter().enumerate() {
        let positions: Vec<usize> = reduced
            .hits
            .iter()
            .enumerate()
            .filter(|(_, (s, _))| *s == shard_index)
            .map(|(p, _)| p)
            .collect();
        if positions.is_empty() {
            continue;
        }
        let docs: Vec<_> = positions
            .iter()
            .map(|p| reduced.hits[*p].1.clone())
            .collect();
        let hits = fetch_hits(target, &docs, req)?;
        for (p, h) in positions.into_iter().zip(hits) {
            rendered[p] = Some(h);
        }
    }
    Ok(SearchResponseParts {
        hits: rendered.into_iter().flatten().collect(),
        total_hits: reduced.total_hits,
        total_relation: reduced.relation,
        track_total_hits: req.track_total_hits,
        rest_total_hits_as_int: req.rest_total_hits_as_int,
        max_score: reduced.max_score,
        aggregations,
        shards_total: shards.len(),
        shards_successful: results.len(),
        shards_failed: failures.len(),
        failures,
        terminated_early: req.terminate_after.map(|_| reduced.terminated_early),
    })
}

/// `_count`: documents matching `query` over all shards.
pub fn count(shards: &[ShardTarget], query: &QueryAst) -> Result<u64, EsError> {
    let now = now_millis();
    let mut total = 0u64;
    for target in shards {
        let ctx = QueryContext::for_shard(target, now);
        let q = build_query(&ctx, query)?;
        let n = target
            .searcher
            .search(q.as_ref(), &Count)
            .map_err(|e| EsError::internal(e.to_string()))?;
        total += n as u64;
    }
    Ok(total)
}

/// One document matched by delete/update-by-query.
#[derive(Debug, Clone, PartialEq)]
pub struct MatchingDoc {
    /// Position of the shard in the `shards` argument.
    pub shard_index: usize,
    pub shard: u32,
    pub id: String,
    pub routing: Option<String>,
    pub seq_no: i64,
    pub primary_term: i64,
    pub version: i64,
    pub source: Option<Value>,
}

/// Every document matching `query`, with its id and concurrency-control values.
pub fn collect_matching_ids(
    shards: &[ShardTarget],
    query: &QueryAst,
) -> Result<Vec<MatchingDoc>, EsError> {
    collect_matching_docs(shards, query, false)
}

/// Like [`collect_matching_ids`], with the parsed `_source` when `with_source`.
pub fn collect_matching_docs(
    shards: &[ShardTarget],
    query: &QueryAst,
    with_source: bool,
) -> Result<Vec<MatchingDoc>, EsError> {
    let now = now_millis();
    let mut out = Vec::new();
    for (i, target) in shards.iter().enumerate() {
        let ctx = QueryContext::for_shard(target, now);
        let q = build_query(&ctx, query)?;
        let docs = target
            .searcher
            .search(q.as_ref(), &DocSetCollector)
            .map_err(|e| EsError::internal(e.to_string()))?;
        let mut docs: Vec<_> = docs.into_iter().collect();
        docs.sort();
        for addr in docs {
            let m = load_stored(target, addr, with_source)?;
            out.push(MatchingDoc {
                shard_index: i,
                shard: target.shard,
                id: m.id,
                routing: m.routing,
                seq_no: m.seq_no,
                primary_term: m.primary_term,
                version: m.version,
                source: m.source,
            });
        }
    }
    Ok(out)
}
