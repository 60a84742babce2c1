//! Rows for the cluster-level `_cat` tables — `_cat/master`, `_cat/nodeattrs`,
//! `_cat/pending_tasks` — and the `GET _cluster/pending_tasks` body.
//!
//! Pending tasks: Elasticsearch lists the master service's queue. Quarry's master applies each
//! change as it is submitted (one Raft proposal at a time, nothing batched or queued behind a
//! priority), so there is no queue to show and the list is empty by construction.
//!
//! Decisions are the pure functions below; the `Node` methods only pick the state and the
//! local process id. Must not render tables (that is the REST layer).

use super::cat::{row, Row};
use crate::Node;
use quarry_cluster::{ClusterState, DiscoveryNode};
use serde_json::{json, Value};

/// The host and port of a node's transport address (`host:port`, `[v6]:port`).
pub fn transport_host_and_port(node: &DiscoveryNode) -> (String, Option<u16>) {
    match node.transport_address.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() => (
            host.trim_start_matches('[')
                .trim_end_matches(']')
                .to_string(),
            port.parse().ok(),
        ),
        _ => (node.transport_address.clone(), None),
    }
}

/// The one `_cat/master` row: the elected master, or `-` in every cell without one.
pub fn master_row(state: &ClusterState) -> Row {
    match state
        .master_node
        .as_ref()
        .and_then(|id| state.nodes.get(id))
    {
        Some(master) => {
            let (host, _) = transport_host_and_port(master);
            row(json!({
                "id": master.id.0,
                "host": host,
                "ip": host,
                "node": master.name,
            }))
        }
        None => row(json!({"id": "-", "host": "-", "ip": "-", "node": "-"})),
    }
}

/// `_cat/nodeattrs`: one row per `node.attr.*` of every node, in node-id then attribute
/// order. `pid` is known for `local` (this node) only; `full_id` prints whole node ids.
pub fn nodeattrs_rows(state: &ClusterState, full_id: bool, local: (&str, u32)) -> Vec<Row> {
    let mut rows = Vec::new();
    for node in state.nodes.values() {
        let (host, port) = transport_host_and_port(node);
        let id: String = if full_id {
            node.id.0.clone()
        } else {
            node.id.0.chars().take(4).collect()
        };
        let pid = (node.id.0 == local.0).then_some(local.1);
        for (attr, value) in &node.attributes {
            rows.push(row(json!({
                "node": node.name,
                "id": id,
                "pid": pid,
                "host": host,
                "ip": host,
                "port": port,
                "attr": attr,
                "value": value,
            })));
        }
    }
    rows
}

impl Node {
    pub fn cat_master_rows(&self) -> Vec<Row> {
        vec![master_row(&self.state())]
    }

    pub fn cat_nodeattrs_rows(&self, full_id: bool) -> Vec<Row> {
        nodeattrs_rows(&self.state(), full_id, (&self.node_id, std::process::id()))
    }

    /// `_cat/pending_tasks` rows (`insertOrder`, `timeInQueue`, `priority`, `source`): none,
    /// see the module docs.
    pub fn cat_pending_tasks_rows(&self) -> Vec<Row> {
        Vec::new()
    }

    /// `GET /_cluster/pending_tasks`: `{"tasks": [...]}` with Elasticsearch's task fields
    /// (`insert_order`, `priority`, `source`, `executing`, `time_in_queue_millis`,
    /// `time_in_queue`); empty, see the module docs.
    pub fn pending_cluster_tasks(&self) -> Value {
        json!({ "tasks": [] })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_types::NodeId;

    fn node(id: &str, address: &str, attrs: &[(&str, &str)]) -> DiscoveryNode {
        DiscoveryNode {
            id: NodeId(id.into()),
            name: format!("name-{id}"),
            ephemeral_id: String::new(),
            transport_address: address.into(),
            http_address: String::new(),
            roles: Default::default(),
            attributes: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn master_row_names_the_master_or_dashes() {
        let mut state = ClusterState::new("c", "u");
        assert_eq!(master_row(&state)["id"], "-");
        assert_eq!(master_row(&state)["node"], "-");
        let m = node("abcdef", "10.0.0.7:9301", &[]);
        state.nodes.insert(m.id.clone(), m.clone());
        state.master_node = Some(m.id.clone());
        let r = master_row(&state);
        assert_eq!(r["id"], "abcdef");
        assert_eq!(r["host"], "10.0.0.7");
        assert_eq!(r["ip"], "10.0.0.7");
        assert_eq!(r["node"], "name-abcdef");
    }

    #[test]
    fn one_nodeattrs_row_per_attribute_with_the_local_pid_only() {
        let mut state = ClusterState::new("c", "u");
        for n in [
            node("aaaaaa", "[::1]:9300", &[("rack", "r1"), ("zone", "z1")]),
            node("bbbbbb", "10.0.0.2:9305", &[("zone", "z2")]),
            node("cccccc", "10.0.0.3:9300", &[]),
        ] {
            state.nodes.insert(n.id.clone(), n);
        }
        let rows = nodeattrs_rows(&state, false, ("bbbbbb", 42));
        let cells: Vec<(String, String, String, Value, Value)> = rows
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["attr"].as_str().unwrap().to_string(),
                    r["value"].as_str().unwrap().to_string(),
                    r["pid"].clone(),
                    r["port"].clone(),
                )
            })
            .collect();
        assert_eq!(
            cells,
            vec![
                (
                    "aaaa".into(),
                    "rack".into(),
                    "r1".into(),
                    Value::Null,
                    json!(9300)
                ),
                (
                    "aaaa".into(),
                    "zone".into(),
                    "z1".into(),
                    Value::Null,
                    json!(9300)
                ),
                (
                    "bbbb".into(),
                    "zone".into(),
                    "z2".into(),
                    json!(42),
                    json!(9305)
                ),
            ]
        );
        assert_eq!(rows[0]["ip"], "::1");
        assert_eq!(nodeattrs_rows(&state, true, ("x", 1))[0]["id"], "aaaaaa");
    }
}
