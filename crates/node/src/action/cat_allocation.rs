//! `_cat/allocation`: per data node, the shard copies it holds and its disk figures
//! (`shards`, `disk.indices`, `disk.used`, `disk.avail`, `disk.total`, `disk.percent`, `host`,
//! `ip`, `node`, `node.role`), plus an `UNASSIGNED` row when copies have no node, as
//! Elasticsearch prints it. Disk figures are those the node reported into the state
//! (`disk_usage_reporter`); `disk.indices` is exact for this node's own shards and 0 for
//! others (their store sizes are not in the state).
//!
//! Owns the rows; must not measure anything itself (the reporter does).

use super::cat::{row, Row};
use super::cat_cluster::transport_host_and_port;
use crate::Node;
use quarry_cluster::allocation::commands::resolve_node;
use quarry_cluster::{ClusterState, DiscoveryNode};
use quarry_types::EsError;
use serde_json::{json, Value};

/// The rows for `nodes` (all data nodes when empty), `local_indices_bytes` being this node's
/// store size.
pub fn allocation_rows(
    state: &ClusterState,
    nodes: &[&DiscoveryNode],
    local: (&str, u64),
) -> Vec<Row> {
    let mut rows = Vec::new();
    for node in nodes {
        let shards = state
            .routing_table
            .all_copies()
            .filter(|c| c.current_node.as_ref() == Some(&node.id))
            .count();
        let (host, _) = transport_host_and_port(node);
        let mut r = row(json!({
            "shards": shards,
            "shards.undesired": Value::Null,
            "disk.indices": if node.id.0 == local.0 { local.1 } else { 0 },
            "host": host,
            "ip": host,
            "node": node.name,
            "node.role": super::cat::role_abbreviations(&node.roles),
        }));
        if let Some(u) = state.disk_usages.get(&node.id) {
            r.extend(row(json!({
                "disk.used": u.used_bytes(),
                "disk.avail": u.free_bytes,
                "disk.total": u.total_bytes,
                "disk.percent": u.used_percent().round() as u64,
            })));
        }
        rows.push(r);
    }
    let unassigned = state
        .routing_table
        .all_copies()
        .filter(|c| c.unassigned())
        .count();
    if unassigned > 0 {
        rows.push(row(json!({"shards": unassigned, "node": "UNASSIGNED"})));
    }
    rows
}

impl Node {
    /// `GET /_cat/allocation[/{node_id}]`: `node_ids` are ids, names, `_master`, `_local` or
    /// patterns; none means every data node.
    pub fn cat_allocation_rows(&self, node_ids: &[String]) -> Result<Vec<Row>, EsError> {
        let state = self.state();
        let mut nodes: Vec<&DiscoveryNode> = Vec::new();
        if node_ids.is_empty() || node_ids.iter().any(|n| n == "*" || n == "_all") {
            nodes.extend(state.data_nodes());
        } else {
            for text in node_ids {
                let found: Vec<&DiscoveryNode> = if text == "_local" {
                    state
                        .nodes
                        .values()
                        .filter(|n| n.id.0 == self.node_id)
                        .collect()
                } else if text.contains('*') {
                    state
                        .nodes
                        .values()
                        .filter(|n| {
                            quarry_cluster::templates::simple_match(text, &n.name)
                                || quarry_cluster::templates::simple_match(text, &n.id.0)
                        })
                        .collect()
                } else {
                    resolve_node(&state, text).into_iter().collect()
                };
                for n in found {
                    if !nodes.iter().any(|x| x.id == n.id) {
                        nodes.push(n);
                    }
                }
            }
        }
        let local_bytes: u64 = self
            .indices()
            .all_shards()
            .iter()
            .map(|(_, s)| s.stats().store_size_bytes)
            .sum();
        Ok(allocation_rows(
            &state,
            &nodes,
            (&self.node_id, local_bytes),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_cluster::allocation::disk_threshold::DiskUsage;
    use quarry_cluster::{apply, ApplyContext, ClusterCommand};
    use quarry_types::{NodeId, Settings};

    fn node(id: &str) -> DiscoveryNode {
        DiscoveryNode {
            id: NodeId(id.into()),
            name: format!("name-{id}"),
            ephemeral_id: id.into(),
            transport_address: format!("10.0.0.{}:9300", id.len()),
            http_address: String::new(),
            roles: ["data".to_string(), "master".to_string()].into(),
            attributes: Default::default(),
        }
    }

    #[test]
    fn rows_count_copies_per_node_show_disk_figures_and_the_unassigned() {
        let mut ctx = ApplyContext::seeded(0, "t");
        let mut s = ClusterState::new("c", "u");
        s = apply(&s, ClusterCommand::AddNode(node("a")), &mut ctx).unwrap();
        s = apply(
            &s,
            ClusterCommand::ElectMaster(NodeId("a".into())),
            &mut ctx,
        )
        .unwrap();
        s = apply(
            &s,
            ClusterCommand::CreateIndex {
                name: "i".into(),
                uuid: "iu".into(),
                settings: Settings::from_json(
                    &json!({"number_of_shards": 2, "number_of_replicas": 1}),
                )
                .unwrap(),
                mappings: None,
                aliases: None,
                creation_date: 0,
            },
            &mut ctx,
        )
        .unwrap();
        s = apply(
            &s,
            ClusterCommand::UpdateDiskUsage {
                node: NodeId("a".into()),
                usage: DiskUsage {
                    total_bytes: 1000,
                    free_bytes: 250,
                },
            },
            &mut ctx,
        )
        .unwrap();
        let a = s.nodes[&NodeId("a".into())].clone();
        let rows = allocation_rows(&s, &[&a], ("a", 123));
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["shards"], 2);
        assert_eq!(rows[0]["disk.indices"], 123);
        assert_eq!(rows[0]["disk.used"], 750);
        assert_eq!(rows[0]["disk.percent"], 75);
        assert_eq!(rows[0]["node"], "name-a");
        assert_eq!(rows[1]["node"], "UNASSIGNED");
        assert_eq!(rows[1]["shards"], 2);
    }
}
