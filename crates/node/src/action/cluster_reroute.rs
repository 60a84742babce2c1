//! `POST /_cluster/reroute` and `GET|POST /_cluster/allocation/explain`, following
//! Elasticsearch's `TransportClusterRerouteAction` and `TransportClusterAllocationExplainAction`.
//!
//! Reroute: node names in the commands are resolved to ids against the current state (so the
//! replicated command carries ids); with `explain` the commands are first run on a copy of the
//! state to collect one explanation each, and only the accepted ones are submitted (a rejected
//! command is reported, not raised, as in Elasticsearch); `dry_run` applies the command to a
//! copy and submits nothing. The answer is `{"acknowledged": true, "state": ...}` with the state
//! filtered by `metric` (default: everything but `metadata`; `none`: no state) and
//! `explanations` when asked for.
//!
//! Owns: the request flow. The decisions are `quarry_cluster::allocation::{commands,
//! command_execution, explain}`.

use super::write_path::now_millis;
use crate::Node;
use quarry_cluster::allocation::command_execution::{execute_commands, reset_failed_allocations};
use quarry_cluster::allocation::commands::{resolve_node, AllocationCommand};
use quarry_cluster::allocation::explain::{explain, ExplainRequest};
use quarry_cluster::{apply, ApplyContext, ClusterCommand, ClusterState};
use quarry_types::EsError;
use serde_json::{json, Value};

/// A `POST /_cluster/reroute` request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RerouteRequest {
    pub commands: Vec<AllocationCommand>,
    pub dry_run: bool,
    pub explain: bool,
    pub retry_failed: bool,
    /// The `metric` parameter (`None`: all but `metadata`).
    pub metrics: Option<Vec<String>>,
}

/// The cluster-state metrics a reroute response can show; others are ignored, as
/// Elasticsearch ignores unknown metrics there.
const STATE_METRICS: &[&str] = &[
    "version",
    "master_node",
    "blocks",
    "nodes",
    "metadata",
    "routing_table",
    "routing_nodes",
    "customs",
    "_all",
];

/// The metrics to render, `None` for no `state` at all (`metric=none`).
fn state_metrics(requested: Option<&[String]>) -> Option<Vec<String>> {
    let Some(requested) = requested else {
        return Some(
            ["version", "master_node", "blocks", "nodes", "routing_table"]
                .iter()
                .map(|m| m.to_string())
                .collect(),
        );
    };
    if requested.len() == 1 && requested[0] == "none" {
        return None;
    }
    let known: Vec<String> = requested
        .iter()
        .filter(|m| STATE_METRICS.contains(&m.as_str()))
        .cloned()
        .collect();
    // No known metric: only the cluster name and uuid, as for an empty metric set.
    Some(if known.is_empty() {
        vec!["cluster_uuid".to_string()]
    } else {
        known
    })
}

impl Node {
    /// A node named by id, name, address or `_local` / `_master`, as its id.
    fn resolve_node_id(&self, state: &ClusterState, text: &str) -> Option<String> {
        if text == "_local" {
            return Some(self.node_id.clone());
        }
        resolve_node(state, text).ok().map(|n| n.id.0.clone())
    }

    /// `POST /_cluster/reroute`.
    pub async fn cluster_reroute(&self, req: RerouteRequest) -> Result<Value, EsError> {
        let state = self.state();
        let now = now_millis();
        let mut resolved = req.commands.clone();
        for command in &mut resolved {
            command.resolve_nodes(|text| self.resolve_node_id(&state, text));
        }
        let mut explanations = Vec::new();
        if req.explain {
            let mut trial = (*state).clone();
            if req.retry_failed {
                reset_failed_allocations(&mut trial);
            }
            let mut ids = quarry_types::ids::random_base64_uuid;
            explanations = execute_commands(&mut trial, &resolved, true, now, &mut ids)?;
            resolved = explanations
                .iter()
                .filter(|e| e.applied)
                .map(|e| e.command.clone())
                .collect();
            // Report the commands as the user wrote them.
            for (explanation, original) in explanations.iter_mut().zip(&req.commands) {
                explanation.command = original.clone();
            }
        }
        let command = ClusterCommand::RerouteCommands {
            commands: resolved,
            retry_failed: req.retry_failed,
        };
        let result = if req.dry_run {
            let mut ctx = ApplyContext::new(now, quarry_types::ids::random_base64_uuid);
            std::sync::Arc::new(apply(&state, command, &mut ctx)?)
        } else {
            self.master.submit(vec![command]).await?
        };
        let mut out = json!({"acknowledged": true});
        if let Some(metrics) = state_metrics(req.metrics.as_deref()) {
            out["state"] = self.render_cluster_state(&result, &metrics, &[])?;
        }
        if req.explain {
            out["explanations"] = Value::Array(explanations.iter().map(|e| e.to_json()).collect());
        }
        Ok(out)
    }

    /// `GET|POST /_cluster/allocation/explain`.
    pub fn allocation_explain(
        &self,
        mut req: ExplainRequest,
        include_yes_decisions: bool,
        include_disk_info: bool,
    ) -> Result<Value, EsError> {
        let state = self.state();
        if req.current_node.as_deref() == Some("_local") {
            req.current_node = Some(self.node_id.clone());
        }
        let cluster_info = if include_disk_info {
            cluster_info_section(&state)
        } else {
            None
        };
        explain(
            &state,
            &req,
            include_yes_decisions,
            cluster_info,
            now_millis(),
        )
    }
}

/// The `cluster_info` section of `include_disk_info=true` (Elasticsearch's `ClusterInfo`):
/// the disk figures the nodes reported into the state, as `least_available` and
/// `most_available` (one data path per node, so both are the same). Left out while no node has
/// reported.
fn cluster_info_section(state: &ClusterState) -> Option<Value> {
    if state.disk_usages.is_empty() {
        return None;
    }
    let nodes: serde_json::Map<String, Value> = state
        .disk_usages
        .iter()
        .map(|(id, u)| {
            let used = u.used_percent();
            let disk = serde_json::json!({
                "path": "data",
                "total_bytes": u.total_bytes,
                "used_bytes": u.used_bytes(),
                "free_bytes": u.free_bytes,
                "free_disk_percent": 100.0 - used,
                "used_disk_percent": used,
            });
            let name = state.nodes.get(id).map(|n| n.name.clone()).unwrap_or_default();
            (
                id.0.clone(),
                serde_json::json!({"node_name": name, "least_available": disk, "most_available": disk}),
            )
        })
        .collect();
    Some(serde_json::json!({
        "nodes": nodes,
        "shard_sizes": {},
        "shard_data_set_sizes": {},
        "shard_paths": {},
        "reserved_sizes": [],
    }))
}

#[cfg(test)]
mod tests {
    use super::state_metrics;

    #[test]
    fn cluster_info_shows_reported_disk_figures() {
        use quarry_cluster::allocation::disk_threshold::DiskUsage;
        let mut state = quarry_cluster::ClusterState::new("c", "u");
        assert_eq!(super::cluster_info_section(&state), None);
        state.disk_usages.insert(
            quarry_types::NodeId("n".into()),
            DiskUsage {
                total_bytes: 200,
                free_bytes: 50,
            },
        );
        let v = super::cluster_info_section(&state).unwrap();
        assert_eq!(v["nodes"]["n"]["least_available"]["used_bytes"], 150);
        assert_eq!(v["nodes"]["n"]["most_available"]["used_disk_percent"], 75.0);
    }

    #[test]
    fn reroute_state_metrics_default_to_all_but_metadata() {
        let default = state_metrics(None).unwrap();
        assert!(default.contains(&"routing_table".to_string()));
        assert!(!default.contains(&"metadata".to_string()));
        assert_eq!(state_metrics(Some(&["none".to_string()])), None);
        assert_eq!(
            state_metrics(Some(&["metadata".to_string(), "bogus".to_string()])),
            Some(vec!["metadata".to_string()])
        );
    }
}
