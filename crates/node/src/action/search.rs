//! `_search` and `_count`: resolve the indices, take one searcher per shard, and hand them to
//! the search crate's query phase, reduce and fetch phase (`quarry_search::execute_search`).

use super::admin_index::IndicesParams;
use crate::Node;
use quarry_cluster::IndicesOptions;
use quarry_index::ShardSearcher;
use quarry_search::dsl::QueryAst;
use quarry_search::search_request::parse_search_request;
use quarry_search::ShardTarget;
use quarry_types::EsError;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Instant;

/// One shard's searcher with what the search crate needs to build queries for it.
pub struct SearchShard {
    pub index: String,
    pub shard: u32,
    pub searcher: ShardSearcher,
    pub mapping: quarry_types::Mapping,
    pub analysis: Arc<quarry_index::IndexShard>,
}

/// Makes the search crate's shard handles over the acquired shards and runs `f` on them.
pub fn with_targets<T>(shards: &[SearchShard], f: impl FnOnce(&[ShardTarget<'_>]) -> T) -> T {
    let fns: Vec<_> = shards
        .iter()
        .map(|s| {
            let a = s.analysis.clone();
            move |analyzer: &str, text: &str| -> Vec<String> {
                a.analysis()
                    .analyze(analyzer, text)
                    .into_iter()
                    .map(|t| t.token)
                    .collect()
            }
        })
        .collect();
    let targets: Vec<ShardTarget<'_>> = shards
        .iter()
        .zip(fns.iter())
        .map(|(s, f)| {
            let mut t = ShardTarget::new(
                &s.index,
                s.shard,
                &s.searcher.searcher,
                &s.searcher.layout,
                &s.mapping,
                f,
            );
            t.default_analyzer = s.analysis.analysis().default_analyzer();
            t
        })
        .collect();
    f(&targets)
}

fn to_hash_map(params: &BTreeMap<String, String>) -> HashMap<String, String> {
    params.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Parses the query of a `_count`/by-query request (body `query`, or `q=` in the URL).
pub fn parse_query_only(
    body: Option<&Value>,
    params: &BTreeMap<String, String>,
) -> Result<QueryAst, EsError> {
    let mut p = to_hash_map(params);
    p.retain(|k, _| {
        matches!(
            k.as_str(),
            "q" | "df" | "default_operator" | "analyzer" | "analyze_wildcard" | "lenient"
        )
    });
    let body = match body {
        Some(Value::Object(m)) => {
            for k in m.keys() {
                if !matches!(
                    k.as_str(),
                    "query" | "max_docs" | "conflicts" | "size" | "slice" | "sort" | "_source"
                ) {
                    return Err(EsError::parsing(format!("request does not support [{k}]")));
                }
            }
            m.get("query").map(|q| json!({ "query": q }))
        }
        Some(Value::Null) | None => None,
        Some(_) => return Err(EsError::parsing("request body must be an object")),
    };
    Ok(parse_search_request(body.as_ref(), &p, usize::MAX)?.query)
}

impl Node {
    /// Takes a point-in-time searcher of every shard of the resolved indices.
    pub fn acquire_search_shards(
        &self,
        exprs: &[String],
        params: &IndicesParams,
    ) -> Result<(Vec<SearchShard>, usize, u32), EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Read)?;
        let indices = self.resolve(
            exprs,
            IndicesOptions::strict_expand_open_forbid_closed(),
            params,
        )?;
        let state = self.state();
        let mut shards = Vec::new();
        let mut total = 0;
        let mut window = u32::MAX;
        for name in &indices {
            let Some(meta) = state.index(name) else {
                continue;
            };
            total += meta.number_of_shards as usize;
            window = window.min(meta.max_result_window());
            for (n, shard) in self.indices().index_shards(name) {
                shards.push(SearchShard {
                    index: name.clone(),
                    shard: n,
                    searcher: shard.acquire_searcher(),
                    mapping: meta.mapping.clone(),
                    analysis: shard.clone(),
                });
            }
        }
        Ok((
            shards,
            total,
            if window == u32::MAX { 10_000 } else { window },
        ))
    }

    /// `_search`: the Elasticsearch response with `took`, `timed_out`, `_shards`, `hits`.
    pub async fn search(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        body: Option<Value>,
        query_params: BTreeMap<String, String>,
    ) -> Result<Value, EsError> {
        let started = Instant::now();
        if let Some(plan) = self.distributed_search_plan(exprs, params, &query_params)? {
            return self
                .search_distributed(plan, body, query_params, started)
                .await;
        }
        let (shards, _total, window) = self.acquire_search_shards(exprs, params)?;
        let searched: Vec<(String, u32)> =
            shards.iter().map(|s| (s.index.clone(), s.shard)).collect();
        let groups = crate::shard_counters::search_groups(body.as_ref());
        let request =
            parse_search_request(body.as_ref(), &to_hash_map(&query_params), window as usize)
                .map_err(|e| {
                    if e.reason.starts_with("Result window is too large") {
                        EsError::search_phase_execution("all shards failed", e)
                    } else {
                        e
                    }
                })?;
        let parts = self
            .blocking(move || {
                with_targets(&shards, |targets| {
                    quarry_search::execute_search(targets, &request)
                })
            })
            .await?;
        let took = started.elapsed().as_millis() as u64;
        crate::node_stats::NodeCounters::add(&self.counters.search_query_total, 1);
        crate::node_stats::NodeCounters::add(&self.counters.search_query_time_ms, took);
        self.record_search_stats(&searched, &groups, took);
        Ok(parts.to_json(took))
    }

    /// `_count`.
    pub async fn count(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        body: Option<Value>,
        query_params: BTreeMap<String, String>,
    ) -> Result<Value, EsError> {
        if let Some(plan) = self.distributed_search_plan(exprs, params, &query_params)? {
            return self.count_distributed(plan, body, query_params).await;
        }
        let (shards, total, _) = self.acquire_search_shards(exprs, params)?;
        let query = parse_query_only(body.as_ref(), &query_params)?;
        let successful = shards.len();
        let count = self
            .blocking(move || {
                with_targets(&shards, |targets| quarry_search::count(targets, &query))
            })
            .await?;
        Ok(
            json!({"count": count, "_shards": {"total": total, "successful": successful, "skipped": 0, "failed": 0}}),
        )
    }
}
