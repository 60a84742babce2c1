//! `_cluster/allocation/explain` (Elasticsearch's `TransportClusterAllocationExplainAction` and
//! `ClusterAllocationExplanation`): which copy to explain (the body's `index`/`shard`/`primary`/
//! `current_node`, or the first unassigned copy, primaries first), and the explanation JSON:
//! the copy, its `unassigned_info`, its `current_node`, then the allocation or move/rebalance
//! decision from `explain_decisions`, or a plain `explanation` while it is initializing or
//! relocating.
//!
//! Owns: request parsing and shard selection for explain. Pure: `now` comes from the caller.

use super::commands::resolve_node;
use super::explain_decisions::{node_json, unassigned_decision, AllocationDecision};
use super::explain_started::started_decision;
use super::routing_nodes::Allocation;
use crate::cluster_state::ClusterState;
use crate::shard_routing::{ShardRouting, ShardRoutingState};
use quarry_types::EsError;
use serde_json::{json, Map, Value};

/// Elasticsearch's `ClusterAllocationExplanation.NO_SHARD_SPECIFIED_MESSAGE`.
pub const NO_SHARD_SPECIFIED_NOTE: &str = "No shard was specified in the explain API request, so this response explains a randomly chosen unassigned shard. There may be other unassigned shards in this cluster which cannot be assigned for different reasons. It may not be possible to assign this shard until one of the other shards is assigned correctly. To explain the allocation of other shards (whether assigned or unassigned) you must specify the target shard in the request to this API. See https://www.elastic.co/guide/en/elasticsearch/reference/8.15/cluster-allocation-explain.html for more information.";

/// The error of an empty request in a cluster without unassigned copies.
pub const NO_UNASSIGNED_SHARDS: &str = "There are no unassigned shards in this cluster. Specify an assigned shard in the request body to explain its allocation. See https://www.elastic.co/guide/en/elasticsearch/reference/8.15/cluster-allocation-explain.html for more information.";

/// The body of an explain request; all `None` means "any unassigned copy".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExplainRequest {
    pub index: Option<String>,
    pub shard: Option<u32>,
    pub primary: Option<bool>,
    /// A node id or name.
    pub current_node: Option<String>,
}

const PARSER: &str = "cluster/allocation/explain";

fn field_error(field: &str, value: &Value) -> EsError {
    let token = quarry_types::xcontent::token_name(value);
    EsError::x_content_parse(format!(
        "[{PARSER}] {field} doesn't support values of type: {token}"
    ))
}

impl ExplainRequest {
    /// Parses the request body (`None`: no body) with Elasticsearch's `ObjectParser` errors.
    pub fn parse(body: Option<&Value>) -> Result<Self, EsError> {
        let mut req = ExplainRequest::default();
        let Some(body) = body else {
            return Ok(req);
        };
        let obj = body
            .as_object()
            .ok_or_else(|| EsError::x_content_parse(format!("[{PARSER}] Expected START_OBJECT")))?;
        for (key, value) in obj {
            match key.as_str() {
                "index" | "current_node" => {
                    let s = value
                        .as_str()
                        .map(String::from)
                        .or_else(|| value.as_number().map(|n| n.to_string()))
                        .ok_or_else(|| field_error(key, value))?;
                    if key == "index" {
                        req.index = Some(s);
                    } else {
                        req.current_node = Some(s);
                    }
                }
                "shard" => {
                    let n = match value {
                        Value::Number(n) => n.as_i64(),
                        Value::String(s) => s.trim().parse::<i64>().ok(),
                        _ => None,
                    };
                    let n = n.ok_or_else(|| {
                        EsError::x_content_parse(format!(
                            "[{PARSER}] failed to parse field [shard]"
                        ))
                        .caused_by(field_error(key, value))
                    })?;
                    // A negative shard is no shard of any index.
                    req.shard = Some(u32::try_from(n).unwrap_or(u32::MAX));
                }
                "primary" => {
                    req.primary = Some(match value {
                        Value::Bool(b) => *b,
                        Value::String(s) if s == "true" || s == "false" => s == "true",
                        other => {
                            return Err(EsError::x_content_parse(format!(
                                "[{PARSER}] failed to parse field [primary]"
                            ))
                            .caused_by(field_error(key, other)))
                        }
                    })
                }
                other => {
                    return Err(EsError::x_content_parse(format!(
                        "[{PARSER}] unknown field [{other}]"
                    )))
                }
            }
        }
        Ok(req)
    }

    pub fn use_any_unassigned_shard(&self) -> bool {
        self.index.is_none()
            && self.shard.is_none()
            && self.primary.is_none()
            && self.current_node.is_none()
    }

    fn validate(&self) -> Result<(), EsError> {
        if self.use_any_unassigned_shard() {
            return Ok(());
        }
        let mut errors = Vec::new();
        if self.index.is_none() {
            errors.push("index must be specified".to_string());
        }
        if self.shard.is_none() {
            errors.push("shard must be specified".to_string());
        }
        if self.primary.is_none() {
            errors.push("primary must be specified".to_string());
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(EsError::action_request_validation(&errors))
        }
    }
}

/// Elasticsearch's `ShardNotFoundException`.
pub fn shard_not_found(index: &str, shard: u32) -> EsError {
    EsError::new("shard_not_found_exception", 404, "no such shard")
        .with("index_uuid", "_na_")
        .with("shard", shard.to_string())
        .with("index", index.to_string())
}

/// The copy the request asks about (Elasticsearch's `findShardToExplain`).
pub fn find_shard_to_explain<'a>(
    state: &'a ClusterState,
    req: &ExplainRequest,
) -> Result<&'a ShardRouting, EsError> {
    req.validate()?;
    if req.use_any_unassigned_shard() {
        let unassigned = || state.routing_table.all_copies().filter(|c| c.unassigned());
        return unassigned()
            .find(|c| c.primary)
            .or_else(|| unassigned().next())
            .ok_or_else(|| EsError::illegal_argument(NO_UNASSIGNED_SHARDS));
    }
    let (Some(index), Some(shard), Some(primary)) = (&req.index, req.shard, req.primary) else {
        return Err(EsError::illegal_argument(
            "index, shard and primary must be specified",
        ));
    };
    let table = state
        .routing_table
        .index(index)
        .ok_or_else(|| EsError::index_not_found(index))?;
    let copies = table
        .shards
        .get(&shard)
        .ok_or_else(|| shard_not_found(index, shard))?;
    let current = req
        .current_node
        .as_deref()
        .map(|n| resolve_node(state, n).map(|d| (n, d)))
        .transpose()?;
    if primary {
        let found = copies
            .iter()
            .find(|c| c.primary)
            .ok_or_else(|| shard_not_found(index, shard))?;
        if let Some((text, node)) = current {
            if found.current_node.as_ref() != Some(&node.id) {
                return Err(EsError::illegal_argument(format!(
                    "unable to find primary shard assigned to node [{text}]"
                )));
            }
        }
        return Ok(found);
    }
    let replicas: Vec<&ShardRouting> = copies.iter().filter(|c| !c.primary).collect();
    if let Some((text, node)) = current {
        return replicas
            .into_iter()
            .find(|c| c.current_node.as_ref() == Some(&node.id))
            .ok_or_else(|| {
                EsError::illegal_argument(format!(
                    "unable to find a replica shard assigned to node [{text}]"
                ))
            });
    }
    // An unassigned replica first, else a started one (it can be explained), else any.
    let mut found: Option<&ShardRouting> = None;
    for replica in replicas {
        if replica.unassigned() {
            found = Some(replica);
            break;
        }
        match found {
            None => found = Some(replica),
            Some(f) if replica.started() && !f.started() => found = Some(replica),
            _ => {}
        }
    }
    found.ok_or_else(|| {
        EsError::illegal_argument(format!(
            "unable to find any shards to explain [ClusterAllocationExplainRequest[index={index},shard={shard},primary?={primary}]] in the routing table"
        ))
    })
}

/// Answers an explain request. `cluster_info` is the `cluster_info` section to include
/// (`include_disk_info` with disk figures known), if any.
pub fn explain(
    state: &ClusterState,
    req: &ExplainRequest,
    include_yes_decisions: bool,
    cluster_info: Option<Value>,
    now_millis: i64,
) -> Result<Value, EsError> {
    let copy = find_shard_to_explain(state, req)?;
    let mut out = Map::new();
    if req.use_any_unassigned_shard() {
        out.insert("note".into(), json!(NO_SHARD_SPECIFIED_NOTE));
    }
    let body = explain_shard_copy(state, copy, include_yes_decisions, cluster_info, now_millis);
    if let Value::Object(m) = body {
        out.extend(m);
    }
    Ok(Value::Object(out))
}

/// The explanation of one copy (without the "no shard specified" note).
pub fn explain_shard_copy(
    state: &ClusterState,
    copy: &ShardRouting,
    include_yes_decisions: bool,
    cluster_info: Option<Value>,
    now_millis: i64,
) -> Value {
    let alloc = Allocation::of(state);
    let mut out = Map::new();
    out.insert("index".into(), json!(copy.shard_id.index));
    out.insert("shard".into(), json!(copy.shard_id.shard));
    out.insert("primary".into(), json!(copy.primary));
    out.insert(
        "current_state".into(),
        json!(copy.state.as_str().to_ascii_lowercase()),
    );
    if let Some(info) = &copy.unassigned_info {
        let mut u = Map::new();
        u.insert("reason".into(), json!(info.reason));
        u.insert(
            "at".into(),
            json!(quarry_types::date::format_iso_millis(info.at_millis)),
        );
        if info.failed_allocations > 0 {
            u.insert(
                "failed_allocation_attempts".into(),
                json!(info.failed_allocations),
            );
        }
        if let Some(details) = &info.details {
            u.insert("details".into(), json!(details));
        }
        u.insert(
            "last_allocation_status".into(),
            json!(AllocationDecision::from_status(info.last_allocation_status).as_str()),
        );
        out.insert("unassigned_info".into(), Value::Object(u));
    }
    let current = copy.current_node.as_ref().and_then(|n| state.nodes.get(n));
    let decision = match (copy.state, current) {
        (ShardRoutingState::Unassigned, _) => Some((
            unassigned_decision(&alloc, copy, include_yes_decisions, now_millis),
            0,
        )),
        (ShardRoutingState::Started, Some(node)) => {
            Some(started_decision(&alloc, copy, node, include_yes_decisions))
        }
        _ => None,
    };
    if let Some(node) = current {
        let mut m = node_json(node, true);
        if let Some((_, ranking)) = decision.as_ref().filter(|(_, r)| *r > 0) {
            m.insert("weight_ranking".into(), json!(ranking));
        }
        out.insert("current_node".into(), Value::Object(m));
    }
    if let Some(info) = cluster_info {
        out.insert("cluster_info".into(), info);
    }
    match decision {
        Some((fields, _)) => out.extend(fields),
        None => {
            let name = |id: Option<&quarry_types::NodeId>| {
                id.and_then(|n| state.nodes.get(n))
                    .map(|n| n.name.clone())
                    .unwrap_or_default()
            };
            let explanation = if copy.relocating() {
                format!(
                    "the shard is in the process of relocating from node [{}] to node [{}], wait until relocation has completed",
                    name(copy.current_node.as_ref()),
                    name(copy.relocating_node.as_ref())
                )
            } else {
                format!(
                    "the shard is in the process of initializing on node [{}], wait until initialization has completed",
                    name(copy.current_node.as_ref())
                )
            };
            out.insert("explanation".into(), json!(explanation));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
#[path = "explain_test.rs"]
mod explain_test;
