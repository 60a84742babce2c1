//! The coordinator's merge when the shards of a search answer from several nodes: shards held
//! by the coordinating node return their query phase ([`QuerySearchResult`]) and are fetched
//! after the reduce, as in [`crate::execute_search`]; shards held elsewhere ran query-and-fetch
//! on their node ([`query_and_fetch`]) and return their top `from + size` hits already
//! rendered. Remote tops become [`ShardDoc`]s with a synthetic address (segment 0, doc = the
//! position in the shard's list), so the unchanged [`reduce`] orders local and remote hits
//! together (ties break on the global shard index, then on the shard's own order).
//!
//! ```text
//!   local shards : execute_query_phase ─┐
//!   remote shards: query_and_fetch ─────┼─> reduce_distributed: reduce + aggregations
//!   missing/failed shards ──────────────┘     -> fetch_hits (local) | pre-rendered (remote)
//! ```
//!
//! PURE apart from the local fetch: no I/O, no transport; must not choose shards or nodes.

use crate::execute::SearchResponseParts;
use crate::fetch_phase::fetch_hits;
use crate::query_phase::{effective_sort, execute_query_phase, QuerySearchResult, ShardDoc};
use crate::reduce::reduce;
use crate::search_request::SearchRequest;
use crate::shard_target::ShardTarget;
use crate::sort::SortValue;
use quarry_types::{EsError, Mapping};
use serde_json::{json, Value};
use std::collections::HashMap;
pub use tantivy::aggregation::intermediate_agg_result::IntermediateAggregationResults;
use tantivy::DocAddress;

/// One hit a shard returned with its rendering.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedHit {
    pub score: f32,
    pub sort_values: Vec<SortValue>,
    /// The hit as [`fetch_hits`] rendered it on the shard's node.
    pub hit: Value,
}

/// A shard's query phase with its top hits already fetched (query-and-fetch).
#[derive(Debug)]
pub struct FetchedShardResult {
    /// Global position of the shard in the search (ties between shards break on it).
    pub shard_index: usize,
    pub total_hits: u64,
    pub max_score: Option<f32>,
    pub terminated_early: bool,
    /// The shard's top `from + size` hits, in the shard's order.
    pub hits: Vec<FetchedHit>,
    pub aggregations: Option<IntermediateAggregationResults>,
}

impl FetchedShardResult {
    /// The query-phase view with synthetic addresses (doc = position), and the rendered hits.
    fn into_query_result(self) -> (QuerySearchResult, Vec<Value>) {
        let mut top = Vec::with_capacity(self.hits.len());
        let mut rendered = Vec::with_capacity(self.hits.len());
        for (i, h) in self.hits.into_iter().enumerate() {
            top.push(ShardDoc {
                doc: DocAddress::new(0, i as u32),
                score: h.score,
                sort_values: h.sort_values,
            });
            rendered.push(h.hit);
        }
        (
            QuerySearchResult {
                shard_index: self.shard_index,
                total_hits: self.total_hits,
                max_score: self.max_score,
                top,
                aggregations: self.aggregations,
                terminated_early: self.terminated_early,
            },
            rendered,
        )
    }
}

/// Query phase on one shard, then the fetch of all its top hits (the shard's node serves a
/// remote coordinator in one round trip).
pub fn query_and_fetch(
    target: &ShardTarget,
    shard_index: usize,
    req: &SearchRequest,
    now: i64,
) -> Result<FetchedShardResult, EsError> {
    let r = execute_query_phase(target, shard_index, req, now)?;
    let rendered = fetch_hits(target, &r.top, req)?;
    let hits = r
        .top
        .into_iter()
        .zip(rendered)
        .map(|(d, hit)| FetchedHit {
            score: d.score,
            sort_values: d.sort_values,
            hit,
        })
        .collect();
    Ok(FetchedShardResult {
        shard_index,
        total_hits: r.total_hits,
        max_score: r.max_score,
        terminated_early: r.terminated_early,
        hits,
        aggregations: r.aggregations,
    })
}

/// One shard that answered.
pub enum ShardAnswer<'a> {
    /// Searched on this node: the selected hits are fetched from `target`.
    Local {
        target: &'a ShardTarget<'a>,
        result: QuerySearchResult,
    },
    /// Searched on another node, hits pre-rendered.
    Fetched(FetchedShardResult),
}

/// One shard that failed (listed in `_shards.failures`).
#[derive(Debug, Clone, PartialEq)]
pub struct ShardFailure {
    pub index: String,
    pub shard: u32,
    pub error: EsError,
}

/// Everything the coordinator gathered for one search.
pub struct GatheredSearch<'a> {
    pub answers: Vec<ShardAnswer<'a>>,
    pub failures: Vec<ShardFailure>,
    /// Every shard of the target indices: those neither answering nor in `failures` had no
    /// copy to search (counted as failed, not listed, as Elasticsearch does).
    pub shards_total: usize,
    /// `allow_partial_search_results` (default true).
    pub allow_partial: bool,
}

fn failure_json(f: &ShardFailure) -> Value {
    json!({"shard": f.shard, "index": f.index, "reason": f.error.to_json()})
}

fn no_shard_available() -> EsError {
    EsError::new(
        "no_shard_available_action_exception",
        503,
        "No shard available",
    )
}

/// Reduces the answers of all shards and renders the response parts, as
/// [`crate::execute_search`] does for local shards. `agg_mapping` is the mapping (and default
/// analyzer) aggregations are reduced with.
pub fn reduce_distributed(
    req: &SearchRequest,
    gathered: GatheredSearch<'_>,
    agg_mapping: Option<(&Mapping, &str)>,
) -> Result<SearchResponseParts, EsError> {
    let GatheredSearch {
        answers,
        failures,
        shards_total,
        allow_partial,
    } = gathered;
    let successful = answers.len();
    let failed = shards_total.saturating_sub(successful);
    let failures_json: Vec<Value> = failures.iter().map(failure_json).collect();
    let first_error = failures
        .first()
        .map(|f| f.error.clone())
        .unwrap_or_else(no_shard_available);
    if successful == 0 && failed > 0 {
        return Err(
            EsError::search_phase_execution("all shards failed", first_error)
                .with("failed_shards", Value::Array(failures_json)),
        );
    }
    if failed > 0 && !allow_partial {
        let reason = if failures.is_empty() {
            "Search rejected due to missing shards. Consider using \
             `allow_partial_search_results` setting to bypass this error."
        } else {
            "Partial shards failure"
        };
        return Err(EsError::search_phase_execution(reason, first_error)
            .with("failed_shards", Value::Array(failures_json)));
    }

    enum HitSource<'a> {
        Local(&'a ShardTarget<'a>),
        Fetched(Vec<Value>),
    }
    let mut results = Vec::with_capacity(answers.len());
    let mut sources: HashMap<usize, HitSource<'_>> = HashMap::with_capacity(answers.len());
    for a in answers {
        match a {
            ShardAnswer::Local { target, result } => {
                sources.insert(result.shard_index, HitSource::Local(target));
                results.push(result);
            }
            ShardAnswer::Fetched(f) => {
                let (result, rendered) = f.into_query_result();
                sources.insert(result.shard_index, HitSource::Fetched(rendered));
                results.push(result);
            }
        }
    }
    let sort = effective_sort(req);
    let reduced = reduce(&results, req.from, req.size, &sort, req.track_total_hits);
    let aggregations = crate::execute::reduce_request_aggregations(req, &mut results, agg_mapping)?;
    // Render per shard, then put the hits back in reduced order.
    let mut by_shard: HashMap<usize, Vec<usize>> = HashMap::new();
    for (p, (s, _)) in reduced.hits.iter().enumerate() {
        by_shard.entry(*s).or_default().push(p);
    }
    let mut rendered: Vec<Option<Value>> = vec![None; reduced.hits.len()];
    for (shard_index, positions) in by_shard {
        match sources.get(&shard_index) {
            Some(HitSource::Local(target)) => {
                let docs: Vec<ShardDoc> = positions
                    .iter()
                    .map(|p| reduced.hits[*p].1.clone())
                    .collect();
                let hits = fetch_hits(target, &docs, req)?;
                for (p, h) in positions.into_iter().zip(hits) {
                    rendered[p] = Some(h);
                }
            }
            Some(HitSource::Fetched(hits)) => {
                for p in positions {
                    let i = reduced.hits[p].1.doc.doc_id as usize;
                    rendered[p] = hits.get(i).cloned();
                }
            }
            None => {}
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
        shards_total,
        shards_successful: successful,
        shards_failed: failed,
        failures: failures_json,
        terminated_early: req.terminate_after.map(|_| reduced.terminated_early),
    })
}
