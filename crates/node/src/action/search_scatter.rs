//! `_search` and `_count` over shards held by several nodes. The coordinating node picks one
//! copy of every shard of the target indices ([`plan_search`]: the copy gets are served from,
//! the primary until replication exists), searches its own shards as the local path does and
//! sends ONE [`SHARD_SEARCH_ACTION`] per other node; that node answers with query-and-fetch per
//! shard. The search crate merges local and remote answers
//! ([`quarry_search::distributed::reduce_distributed`]); an unreachable node or a shard error
//! becomes shard failures, a shard without a copy a failed shard, as in Elasticsearch.
//!
//! ```text
//!  Node::search ──single node / every shard here──> existing local path (unchanged)
//!       └─ otherwise: plan_search ─┬─ local shards: query phase (blocking) ─────────┐
//!                                  └─ per remote node: SHARD_SEARCH_ACTION ─────────┤
//!                                       reduce_distributed: reduce, aggs, local fetch
//! ```
//!
//! Owns: the plan (pure) and the scatter/gather; must not render hits itself.

use super::admin_index::IndicesParams;
use super::forwarding::SHARD_REQUEST_TIMEOUT;
use super::remote_error::error_from_transport;
use super::search::{parse_query_only, with_targets, SearchShard};
use super::shard_bulk_wire::{decode, encode};
use super::shard_location::{locate_read_copy, ReadLocation};
use super::shard_search::{
    shard_not_here, SearchShardRef, ShardSearchKind, ShardSearchOutcome, ShardSearchRequest,
    ShardSearchResponse, SHARD_SEARCH_ACTION,
};
use crate::Node;
use quarry_cluster::{ClusterState, IndicesOptions};
use quarry_search::distributed::{reduce_distributed, GatheredSearch, ShardAnswer, ShardFailure};
use quarry_search::search_request::parse_search_request;
use quarry_search::{execute_query_phase, QuerySearchResult};
use quarry_types::EsError;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

/// Where each shard of a search runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchPlan {
    /// Shards whose serving copy is on this node.
    pub local: Vec<SearchShardRef>,
    /// Shards per transport address of the node holding their serving copy.
    pub remote: BTreeMap<String, Vec<SearchShardRef>>,
    /// Shards with no copy to search (failed shards).
    pub unavailable: Vec<SearchShardRef>,
    /// Every shard of the target indices.
    pub total: usize,
    /// `index.max_result_window` over the target indices.
    pub window: u32,
    /// The first target index (its mapping reduces aggregations, as the local path uses the
    /// first shard's).
    pub first_index: Option<String>,
}

impl SearchPlan {
    /// Whether every shard is searched here (the local path serves the search).
    pub fn all_local(&self) -> bool {
        self.remote.is_empty() && self.unavailable.is_empty()
    }
}

/// Picks the copy of every shard of `indices` that serves the search, numbering shards in
/// index order then shard number (the local path's order).
pub fn plan_search(state: &ClusterState, indices: &[String], local_node_id: &str) -> SearchPlan {
    let mut plan = SearchPlan::default();
    let mut window = u32::MAX;
    for name in indices {
        let Some(meta) = state.index(name) else {
            continue;
        };
        plan.first_index.get_or_insert_with(|| name.clone());
        window = window.min(meta.max_result_window());
        for shard in 0..meta.number_of_shards {
            let r = SearchShardRef {
                index: name.clone(),
                shard,
                shard_index: plan.total as u32,
            };
            plan.total += 1;
            match locate_read_copy(state, name, shard, local_node_id) {
                ReadLocation::Local => plan.local.push(r),
                ReadLocation::Remote(address) => plan.remote.entry(address).or_default().push(r),
                ReadLocation::Unavailable => plan.unavailable.push(r),
            }
        }
    }
    plan.window = if window == u32::MAX { 10_000 } else { window };
    plan
}

/// One remote node's answer: per shard, or the error of the whole request.
type NodeAnswer = (Vec<SearchShardRef>, Result<ShardSearchResponse, EsError>);

fn body_text(body: Option<&Value>) -> Option<String> {
    body.map(Value::to_string)
}

impl Node {
    /// The plan of a search that must be scattered, `None` when the local path serves it
    /// (single-node mode, `preference=_only_local`, or every shard is here).
    pub fn distributed_search_plan(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        query_params: &BTreeMap<String, String>,
    ) -> Result<Option<SearchPlan>, EsError> {
        if self.cluster.is_none()
            || query_params.get("preference").map(String::as_str) == Some("_only_local")
        {
            return Ok(None);
        }
        self.check_no_master_block(crate::no_master_block::BlockLevel::Read)?;
        let indices = self.resolve(
            exprs,
            IndicesOptions::strict_expand_open_forbid_closed(),
            params,
        )?;
        let plan = plan_search(&self.state(), &indices, &self.node_id);
        Ok((!plan.all_local()).then_some(plan))
    }

    /// Sends every remote node its shards and waits for all answers.
    async fn scatter(
        &self,
        plan: &SearchPlan,
        kind: ShardSearchKind,
        body: Option<String>,
        params: &BTreeMap<String, String>,
    ) -> Vec<NodeAnswer> {
        let sends = plan.remote.iter().map(|(address, shards)| {
            let req = ShardSearchRequest {
                kind,
                body: body.clone(),
                params: params.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                window: plan.window,
                shards: shards.clone(),
            };
            let address = address.clone();
            async move {
                let answer = self.send_shard_search(&address, &req).await;
                (req.shards, answer)
            }
        });
        futures::future::join_all(sends).await
    }

    async fn send_shard_search(
        &self,
        address: &str,
        req: &ShardSearchRequest,
    ) -> Result<ShardSearchResponse, EsError> {
        let transport = self
            .transport()
            .ok_or_else(|| EsError::illegal_state("no transport in single-node mode"))?;
        let address = address.to_string();
        let send = transport.send(
            &address,
            SHARD_SEARCH_ACTION,
            encode(req)?,
            SHARD_REQUEST_TIMEOUT,
        );
        let bytes = tokio::select! {
            sent = send => sent.map_err(error_from_transport)?,
            e = self.search_node_left(&address) => return Err(e),
        };
        decode(&bytes)
    }

    /// Resolves when the node at `address` leaves the cluster (checked every 100 ms).
    async fn search_node_left(&self, address: &str) -> EsError {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if !self
                .state()
                .nodes
                .values()
                .any(|n| n.transport_address == address)
            {
                return EsError::new(
                    "node_disconnected_exception",
                    500,
                    format!("[{address}] node left the cluster"),
                );
            }
        }
    }

    /// Takes a searcher of every local shard of the plan; missing ones become failures.
    fn acquire_planned(
        &self,
        plan: &SearchPlan,
    ) -> (Vec<SearchShard>, Vec<usize>, Vec<ShardFailure>) {
        let state = self.state();
        let mut shards = Vec::new();
        let mut indices = Vec::new();
        let mut failures = Vec::new();
        for r in &plan.local {
            match (
                state.index(&r.index),
                self.indices().shard(&r.index, r.shard),
            ) {
                (Some(meta), Some(shard)) => {
                    shards.push(SearchShard {
                        index: r.index.clone(),
                        shard: r.shard,
                        searcher: shard.acquire_searcher(),
                        mapping: meta.mapping.clone(),
                        analysis: shard.clone(),
                    });
                    indices.push(r.shard_index as usize);
                }
                _ => failures.push(r.failure(shard_not_here(&r.index, r.shard))),
            }
        }
        (shards, indices, failures)
    }

    /// `_search` over shards of several nodes.
    pub async fn search_distributed(
        &self,
        plan: SearchPlan,
        body: Option<Value>,
        query_params: BTreeMap<String, String>,
        started: Instant,
    ) -> Result<Value, EsError> {
        let groups = crate::shard_counters::search_groups(body.as_ref());
        let p: HashMap<String, String> = query_params
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let request =
            parse_search_request(body.as_ref(), &p, plan.window as usize).map_err(|e| {
                if e.reason.starts_with("Result window is too large") {
                    EsError::search_phase_execution("all shards failed", e)
                } else {
                    e
                }
            })?;
        let allow_partial = query_params
            .get("allow_partial_search_results")
            .is_none_or(|v| v != "false");
        let (shards, indices, mut failures) = self.acquire_planned(&plan);
        let searched: Vec<(String, u32)> =
            shards.iter().map(|s| (s.index.clone(), s.shard)).collect();
        let local_request = request.clone();
        let local = self.blocking(move || {
            let now = quarry_search::now_millis();
            let results: Vec<Result<QuerySearchResult, EsError>> =
                with_targets(&shards, |targets| {
                    targets
                        .iter()
                        .zip(&indices)
                        .map(|(t, i)| execute_query_phase(t, *i, &local_request, now))
                        .collect()
                });
            Ok((shards, results))
        });
        let remote = self.scatter(
            &plan,
            ShardSearchKind::Search,
            body_text(body.as_ref()),
            &query_params,
        );
        let (local, remote) = tokio::join!(local, remote);
        let (shards, local_results) = local?;

        let state = self.state();
        let agg_context = plan.first_index.as_ref().and_then(|name| {
            let meta = state.index(name)?;
            let analyzer = match shards.iter().find(|s| &s.index == name) {
                Some(s) => s.analysis.analysis().default_analyzer().to_string(),
                None if meta
                    .settings
                    .get_str("index.analysis.analyzer.default.type")
                    .is_some() =>
                {
                    "default".to_string()
                }
                None => "standard".to_string(),
            };
            Some((meta.mapping.clone(), analyzer))
        });
        let mut fetched = Vec::new();
        for (refs, answer) in remote {
            match answer {
                Ok(response) => {
                    let by_index: HashMap<u32, &SearchShardRef> =
                        refs.iter().map(|r| (r.shard_index, r)).collect();
                    for (i, outcome) in response.shards {
                        let Some(r) = by_index.get(&i) else { continue };
                        match outcome.into_fetched(i as usize) {
                            Ok(f) => fetched.push(f),
                            Err(error) => failures.push(r.failure(error)),
                        }
                    }
                }
                Err(error) => failures.extend(refs.iter().map(|r| r.failure(error.clone()))),
            }
        }
        let total = plan.total;
        let local_refs: Vec<&SearchShardRef> = plan
            .local
            .iter()
            .filter(|r| searched.iter().any(|(i, n)| *i == r.index && *n == r.shard))
            .collect();
        let local_refs: Vec<(String, u32)> = local_refs
            .into_iter()
            .map(|r| (r.index.clone(), r.shard))
            .collect();
        let parts = self
            .blocking(move || {
                with_targets(&shards, |targets| {
                    let mut answers = Vec::new();
                    for ((t, result), (index, shard)) in
                        targets.iter().zip(local_results).zip(local_refs)
                    {
                        match result {
                            Ok(result) => answers.push(ShardAnswer::Local { target: t, result }),
                            Err(error) => failures.push(ShardFailure {
                                index,
                                shard,
                                error,
                            }),
                        }
                    }
                    answers.extend(fetched.into_iter().map(ShardAnswer::Fetched));
                    // Failures in shard order, as the local path lists them.
                    failures.sort_by(|a, b| (&a.index, a.shard).cmp(&(&b.index, b.shard)));
                    let gathered = GatheredSearch {
                        answers,
                        failures,
                        shards_total: total,
                        allow_partial,
                    };
                    reduce_distributed(
                        &request,
                        gathered,
                        agg_context.as_ref().map(|(m, a)| (m, a.as_str())),
                    )
                })
            })
            .await?;
        let took = started.elapsed().as_millis() as u64;
        crate::node_stats::NodeCounters::add(&self.counters.search_query_total, 1);
        crate::node_stats::NodeCounters::add(&self.counters.search_query_time_ms, took);
        self.record_search_stats(&searched, &groups, took);
        Ok(parts.to_json(took))
    }

    /// `_count` over shards of several nodes.
    pub async fn count_distributed(
        &self,
        plan: SearchPlan,
        body: Option<Value>,
        query_params: BTreeMap<String, String>,
    ) -> Result<Value, EsError> {
        let query = parse_query_only(body.as_ref(), &query_params)?;
        let (shards, _, mut failures) = self.acquire_planned(&plan);
        let local = self.blocking(move || {
            Ok(with_targets(&shards, |targets| {
                targets
                    .iter()
                    .map(|t| {
                        (
                            t.index_name.to_string(),
                            t.shard,
                            quarry_search::count(std::slice::from_ref(t), &query),
                        )
                    })
                    .collect::<Vec<_>>()
            }))
        });
        let remote = self.scatter(
            &plan,
            ShardSearchKind::Count,
            body_text(body.as_ref()),
            &query_params,
        );
        let (local, remote) = tokio::join!(local, remote);
        let mut count = 0u64;
        let mut successful = 0usize;
        for (index, shard, r) in local? {
            match r {
                Ok(n) => {
                    count += n;
                    successful += 1;
                }
                Err(error) => failures.push(ShardFailure {
                    index,
                    shard,
                    error,
                }),
            }
        }
        for (refs, answer) in remote {
            match answer {
                Ok(response) => {
                    let by_index: HashMap<u32, &SearchShardRef> =
                        refs.iter().map(|r| (r.shard_index, r)).collect();
                    for (i, outcome) in response.shards {
                        let Some(r) = by_index.get(&i) else { continue };
                        let error = match outcome {
                            ShardSearchOutcome::Count(n) => {
                                count += n;
                                successful += 1;
                                continue;
                            }
                            ShardSearchOutcome::Failed(e) => super::remote_error::decode_error(&e),
                            ShardSearchOutcome::Search { .. } => EsError::internal(
                                "a shard answered a count with a search".to_string(),
                            ),
                        };
                        failures.push(r.failure(error));
                    }
                }
                Err(error) => failures.extend(refs.iter().map(|r| r.failure(error.clone()))),
            }
        }
        failures.sort_by(|a, b| (&a.index, a.shard).cmp(&(&b.index, b.shard)));
        let failed = plan.total.saturating_sub(successful);
        let failures_json: Vec<Value> = failures
            .iter()
            .map(|f| json!({"shard": f.shard, "index": f.index, "reason": f.error.to_json()}))
            .collect();
        if successful == 0 && failed > 0 {
            let first = failures
                .first()
                .map(|f| f.error.clone())
                .unwrap_or_else(|| {
                    EsError::new(
                        "no_shard_available_action_exception",
                        503,
                        "No shard available",
                    )
                });
            return Err(EsError::search_phase_execution("all shards failed", first)
                .with("failed_shards", Value::Array(failures_json)));
        }
        let mut shards = json!({
            "total": plan.total,
            "successful": successful,
            "skipped": 0,
            "failed": failed,
        });
        if !failures_json.is_empty() {
            shards["failures"] = Value::Array(failures_json);
        }
        Ok(json!({"count": count, "_shards": shards}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_cluster::routing_table::IndexRoutingTable;
    use quarry_cluster::shard_routing::UnassignedInfo;
    use quarry_cluster::{DiscoveryNode, ShardRouting};
    use quarry_types::{AllocationId, NodeId, ShardId};

    fn node(id: &str) -> DiscoveryNode {
        DiscoveryNode {
            id: NodeId(id.into()),
            name: id.into(),
            ephemeral_id: "e".into(),
            transport_address: format!("{id}:9300"),
            http_address: format!("{id}:9200"),
            roles: Default::default(),
            attributes: Default::default(),
        }
    }

    fn primary(n: u32, node: Option<&str>) -> ShardRouting {
        let mut c = ShardRouting::new_unassigned(
            ShardId::new("i", n),
            true,
            UnassignedInfo::new("INDEX_CREATED", 0),
        );
        if let Some(id) = node {
            c.initialize(NodeId(id.into()), AllocationId(format!("a-{n}")));
            c.start();
        }
        c
    }

    #[test]
    fn shards_are_grouped_by_node_in_index_order() {
        let mut s = ClusterState::new("c", "u");
        for id in ["a", "b"] {
            s.nodes.insert(NodeId(id.into()), node(id));
        }
        let meta = quarry_cluster::IndexMetadata {
            name: "i".into(),
            uuid: "u".into(),
            state: quarry_cluster::index_metadata::IndexState::Open,
            settings: Default::default(),
            number_of_shards: 4,
            number_of_replicas: 0,
            routing_num_shards: 4,
            mapping: Default::default(),
            aliases: Default::default(),
            primary_terms: vec![1; 4],
            in_sync_allocation_ids: Default::default(),
            creation_date: 0,
            version: 1,
            mapping_version: 1,
            settings_version: 1,
            aliases_version: 1,
        };
        s.metadata
            .indices
            .insert("i".into(), std::sync::Arc::new(meta));
        let mut shards = BTreeMap::new();
        shards.insert(0, vec![primary(0, Some("a"))]);
        shards.insert(1, vec![primary(1, Some("b"))]);
        shards.insert(2, vec![primary(2, None)]);
        shards.insert(3, vec![primary(3, Some("b"))]);
        s.routing_table.indices.insert(
            "i".into(),
            std::sync::Arc::new(IndexRoutingTable { shards }),
        );
        let plan = plan_search(&s, &["i".to_string()], "a");
        assert_eq!(plan.total, 4);
        let idx = |v: &[SearchShardRef]| {
            v.iter()
                .map(|r| (r.shard, r.shard_index))
                .collect::<Vec<_>>()
        };
        assert_eq!(idx(&plan.local), vec![(0, 0)]);
        assert_eq!(idx(&plan.remote["b:9300"]), vec![(1, 1), (3, 3)]);
        assert_eq!(idx(&plan.unavailable), vec![(2, 2)]);
        assert!(!plan.all_local());
        assert_eq!(plan.first_index.as_deref(), Some("i"));
    }
}
