//! The shard-level search ([`SHARD_SEARCH_ACTION`]): a coordinating node sends ONE request per
//! node holding shards of a `_search`/`_count`, with the original body and URL parameters (the
//! serving node parses them identically) and the shards to search with their global shard
//! index. For a search, the node runs query-and-fetch on each shard
//! ([`quarry_search::distributed::query_and_fetch`]: the top `from + size` hits rendered right
//! away, no search context kept) and returns per shard the totals, the hits with their score and
//! sort values, and the intermediate aggregations (postcard, as tantivy's distributed
//! aggregations are serialized); for a count, the shard's count. A shard's error travels back in
//! its slot ([`super::remote_error`]), so one failing shard does not fail the others.
//!
//! Owns the wire format and the serving side; must not choose shards nor merge them (that is
//! [`super::search_scatter`] and the search crate).

use super::remote_error::encode_error;
use super::search::{parse_query_only, with_targets, SearchShard};
use super::shard_bulk_wire::raw_bytes;
use crate::Node;
use quarry_search::distributed::IntermediateAggregationResults;
use quarry_search::distributed::{query_and_fetch, FetchedHit, FetchedShardResult};
use quarry_search::search_request::parse_search_request;
use quarry_search::sort::SortValue;
use quarry_types::EsError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// The shard-level query-and-fetch (and count) action.
pub const SHARD_SEARCH_ACTION: &str = "indices:data/read/search[phase/query+fetch]";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShardSearchKind {
    Search,
    Count,
}

/// One shard to search, with its position in the whole search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchShardRef {
    pub index: String,
    pub shard: u32,
    pub shard_index: u32,
}

impl SearchShardRef {
    /// This shard's entry in `_shards.failures`.
    pub fn failure(&self, error: EsError) -> quarry_search::distributed::ShardFailure {
        quarry_search::distributed::ShardFailure {
            index: self.index.clone(),
            shard: self.shard,
            error,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardSearchRequest {
    pub kind: ShardSearchKind,
    /// The request body as JSON text (`None`: no body).
    pub body: Option<String>,
    /// The URL parameters of the request.
    pub params: Vec<(String, String)>,
    /// `index.max_result_window` over the target indices, as the coordinator parsed with.
    pub window: u32,
    pub shards: Vec<SearchShardRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WireSortValue {
    Null,
    Long(i64),
    Double(f64),
    Str(String),
}

impl From<&SortValue> for WireSortValue {
    fn from(v: &SortValue) -> Self {
        match v {
            SortValue::Null => WireSortValue::Null,
            SortValue::Long(x) => WireSortValue::Long(*x),
            SortValue::Double(x) => WireSortValue::Double(*x),
            SortValue::Str(s) => WireSortValue::Str(s.clone()),
        }
    }
}

impl From<WireSortValue> for SortValue {
    fn from(v: WireSortValue) -> Self {
        match v {
            WireSortValue::Null => SortValue::Null,
            WireSortValue::Long(x) => SortValue::Long(x),
            WireSortValue::Double(x) => SortValue::Double(x),
            WireSortValue::Str(s) => SortValue::Str(s),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WireHit {
    pub score: f32,
    pub sort_values: Vec<WireSortValue>,
    /// The rendered hit, JSON text.
    pub hit: String,
}

/// What one shard answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardSearchOutcome {
    Search {
        total_hits: u64,
        max_score: Option<f32>,
        terminated_early: bool,
        hits: Vec<WireHit>,
        /// Postcard of tantivy's intermediate aggregation results.
        #[serde(with = "raw_bytes")]
        aggregations: Vec<u8>,
        has_aggregations: bool,
    },
    Count(u64),
    /// The shard's error ([`encode_error`]).
    Failed(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardSearchResponse {
    /// `(shard_index, outcome)` for every requested shard.
    pub shards: Vec<(u32, ShardSearchOutcome)>,
}

/// Serializes intermediate aggregations for the wire.
pub fn encode_aggregations(a: &IntermediateAggregationResults) -> Result<Vec<u8>, EsError> {
    postcard::to_stdvec(a)
        .map_err(|e| EsError::internal(format!("failed to encode aggregations: {e}")))
}

/// Rebuilds what [`encode_aggregations`] produced.
pub fn decode_aggregations(bytes: &[u8]) -> Result<IntermediateAggregationResults, EsError> {
    postcard::from_bytes(bytes)
        .map_err(|e| EsError::internal(format!("failed to decode aggregations: {e}")))
}

impl ShardSearchOutcome {
    /// The wire form of a shard's query-and-fetch.
    pub fn from_result(r: Result<FetchedShardResult, EsError>) -> Self {
        let r = match r {
            Ok(r) => r,
            Err(e) => return ShardSearchOutcome::Failed(encode_error(&e)),
        };
        let (aggregations, has_aggregations) = match &r.aggregations {
            Some(a) => match encode_aggregations(a) {
                Ok(bytes) => (bytes, true),
                Err(e) => return ShardSearchOutcome::Failed(encode_error(&e)),
            },
            None => (Vec::new(), false),
        };
        ShardSearchOutcome::Search {
            total_hits: r.total_hits,
            max_score: r.max_score,
            terminated_early: r.terminated_early,
            hits: r
                .hits
                .iter()
                .map(|h| WireHit {
                    score: h.score,
                    sort_values: h.sort_values.iter().map(Into::into).collect(),
                    hit: h.hit.to_string(),
                })
                .collect(),
            aggregations,
            has_aggregations,
        }
    }

    /// The shard's result of a search, as the search crate merges it.
    pub fn into_fetched(self, shard_index: usize) -> Result<FetchedShardResult, EsError> {
        match self {
            ShardSearchOutcome::Search {
                total_hits,
                max_score,
                terminated_early,
                hits,
                aggregations,
                has_aggregations,
            } => {
                let hits = hits
                    .into_iter()
                    .map(|h| {
                        Ok(FetchedHit {
                            score: h.score,
                            sort_values: h.sort_values.into_iter().map(Into::into).collect(),
                            hit: serde_json::from_str(&h.hit).map_err(|e| {
                                EsError::internal(format!("invalid hit from shard: {e}"))
                            })?,
                        })
                    })
                    .collect::<Result<Vec<_>, EsError>>()?;
                let aggregations = if has_aggregations {
                    Some(decode_aggregations(&aggregations)?)
                } else {
                    None
                };
                Ok(FetchedShardResult {
                    shard_index,
                    total_hits,
                    max_score,
                    terminated_early,
                    hits,
                    aggregations,
                })
            }
            ShardSearchOutcome::Count(_) => Err(EsError::internal(
                "a shard answered a search with a count".to_string(),
            )),
            ShardSearchOutcome::Failed(e) => Err(super::remote_error::decode_error(&e)),
        }
    }
}

/// The error of a shard that should be here and is not (yet).
pub fn shard_not_here(index: &str, shard: u32) -> EsError {
    EsError::new(
        "shard_not_found_exception",
        404,
        format!("no such shard [{index}][{shard}]"),
    )
    .with("index", index.to_string())
    .with("shard", shard.to_string())
}

impl Node {
    /// Serves [`SHARD_SEARCH_ACTION`]: query-and-fetch (or count) on the listed shards held here.
    pub async fn execute_shard_search(
        &self,
        req: ShardSearchRequest,
    ) -> Result<ShardSearchResponse, EsError> {
        let started = std::time::Instant::now();
        let body: Option<Value> = match &req.body {
            Some(text) => Some(
                serde_json::from_str(text)
                    .map_err(|e| EsError::parsing(format!("invalid search body: {e}")))?,
            ),
            None => None,
        };
        let params: BTreeMap<String, String> = req.params.iter().cloned().collect();
        let state = self.state();
        let mut out = Vec::with_capacity(req.shards.len());
        let mut shards = Vec::new();
        let mut indices = Vec::new();
        for s in &req.shards {
            match (
                state.index(&s.index),
                self.indices().shard(&s.index, s.shard),
            ) {
                (Some(meta), Some(shard)) => {
                    shards.push(SearchShard {
                        index: s.index.clone(),
                        shard: s.shard,
                        searcher: shard.acquire_searcher(),
                        mapping: meta.mapping.clone(),
                        analysis: shard.clone(),
                    });
                    indices.push(s.shard_index);
                }
                _ => out.push((
                    s.shard_index,
                    ShardSearchOutcome::Failed(encode_error(&shard_not_here(&s.index, s.shard))),
                )),
            }
        }
        let searched: Vec<(String, u32)> =
            shards.iter().map(|s| (s.index.clone(), s.shard)).collect();
        match req.kind {
            ShardSearchKind::Search => {
                let groups = crate::shard_counters::search_groups(body.as_ref());
                let p: HashMap<String, String> = params.into_iter().collect();
                let request = parse_search_request(body.as_ref(), &p, req.window as usize)?;
                let answered = self
                    .blocking(move || {
                        let now = quarry_search::now_millis();
                        Ok(with_targets(&shards, |targets| {
                            targets
                                .iter()
                                .zip(&indices)
                                .map(|(t, i)| {
                                    let r = query_and_fetch(t, *i as usize, &request, now);
                                    (*i, ShardSearchOutcome::from_result(r))
                                })
                                .collect::<Vec<_>>()
                        }))
                    })
                    .await?;
                out.extend(answered);
                let took = started.elapsed().as_millis() as u64;
                self.record_search_stats(&searched, &groups, took);
            }
            ShardSearchKind::Count => {
                let query = parse_query_only(body.as_ref(), &params)?;
                let answered = self
                    .blocking(move || {
                        Ok(with_targets(&shards, |targets| {
                            targets
                                .iter()
                                .zip(&indices)
                                .map(|(t, i)| {
                                    let outcome =
                                        match quarry_search::count(std::slice::from_ref(t), &query)
                                        {
                                            Ok(n) => ShardSearchOutcome::Count(n),
                                            Err(e) => ShardSearchOutcome::Failed(encode_error(&e)),
                                        };
                                    (*i, outcome)
                                })
                                .collect::<Vec<_>>()
                        }))
                    })
                    .await?;
                out.extend(answered);
            }
        }
        Ok(ShardSearchResponse { shards: out })
    }
}

#[cfg(test)]
mod tests {
    use super::super::shard_bulk_wire::{decode, encode};
    use super::*;

    #[test]
    fn requests_and_responses_round_trip() {
        let req = ShardSearchRequest {
            kind: ShardSearchKind::Search,
            body: Some(r#"{"query":{"match_all":{}}}"#.into()),
            params: vec![("size".into(), "3".into())],
            window: 10_000,
            shards: vec![SearchShardRef {
                index: "i".into(),
                shard: 2,
                shard_index: 5,
            }],
        };
        assert_eq!(
            decode::<ShardSearchRequest>(&encode(&req).unwrap()).unwrap(),
            req
        );
        let fetched = FetchedShardResult {
            shard_index: 5,
            total_hits: 9,
            max_score: Some(1.5),
            terminated_early: false,
            hits: vec![FetchedHit {
                score: f32::NAN,
                sort_values: vec![
                    SortValue::Long(i64::MAX),
                    SortValue::Double(0.1),
                    SortValue::Str("a".into()),
                    SortValue::Null,
                ],
                hit: serde_json::json!({"_id": "1", "_index": "i"}),
            }],
            aggregations: None,
        };
        let outcome = ShardSearchOutcome::from_result(Ok(fetched));
        let resp = ShardSearchResponse {
            shards: vec![(5, outcome), (6, ShardSearchOutcome::Count(3))],
        };
        let back: ShardSearchResponse = decode(&encode(&resp).unwrap()).unwrap();
        let mut shards = back.shards.into_iter();
        let (i, o) = shards.next().unwrap();
        let r = o.into_fetched(i as usize).unwrap();
        assert_eq!(
            (r.shard_index, r.total_hits, r.max_score),
            (5, 9, Some(1.5))
        );
        assert!(r.hits[0].score.is_nan());
        assert_eq!(
            r.hits[0].sort_values,
            vec![
                SortValue::Long(i64::MAX),
                SortValue::Double(0.1),
                SortValue::Str("a".into()),
                SortValue::Null,
            ]
        );
        assert_eq!(r.hits[0].hit["_id"], "1");
        let failed = ShardSearchOutcome::Failed(encode_error(&shard_not_here("i", 1)));
        let e = failed.into_fetched(0).unwrap_err();
        assert_eq!(e.error_type, "shard_not_found_exception");
    }
}
