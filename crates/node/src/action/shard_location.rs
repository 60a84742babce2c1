//! Where a document operation runs, decided from the cluster state alone: a write goes to the
//! node holding the shard's started primary, as Elasticsearch's `ReroutePhase` picks it; a get
//! to the node holding the primary too, while replicas are not written to (replication comes
//! later; then any started copy serves, as in `TransportSingleShardAction`).
//!
//! Owns these pure decisions; must not depend on local shards, the transport or async code.

use quarry_cluster::{ClusterState, ShardRouting};
use quarry_types::ShardId;

/// Where the primary of a shard is, seen from the node `local_node_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrimaryLocation {
    /// Assigned to this node (started or not: the local shard decides).
    Local,
    /// Started (or relocating) on another node, reachable at this transport address.
    Remote(String),
    /// Assigned to another node but not started yet (or its node is not in the state yet):
    /// writes wait for it, as Elasticsearch waits for an active primary.
    NotStarted,
    /// No node holds it.
    Unassigned,
}

/// Where a realtime get may be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadLocation {
    /// This node holds the serving copy.
    Local,
    /// Another node holds it, at this transport address.
    Remote(String),
    /// No node holds it.
    Unavailable,
}

fn on_node(copy: &ShardRouting, node_id: &str) -> bool {
    copy.current_node.as_ref().is_some_and(|n| n.0 == node_id)
}

fn transport_address(state: &ClusterState, copy: &ShardRouting) -> Option<String> {
    copy.current_node
        .as_ref()
        .and_then(|n| state.nodes.get(n))
        .map(|n| n.transport_address.clone())
}

/// Where writes to shard `shard` of `index` go.
pub fn locate_primary(
    state: &ClusterState,
    index: &str,
    shard: u32,
    local_node_id: &str,
) -> PrimaryLocation {
    let copies = state
        .routing_table
        .shard_copies(&ShardId::new(index, shard));
    let Some(primary) = copies.iter().find(|c| c.primary) else {
        return PrimaryLocation::Unassigned;
    };
    if primary.current_node.is_none() {
        return PrimaryLocation::Unassigned;
    }
    if on_node(primary, local_node_id) {
        return PrimaryLocation::Local;
    }
    match transport_address(state, primary) {
        Some(address) if primary.active() => PrimaryLocation::Remote(address),
        _ => PrimaryLocation::NotStarted,
    }
}

/// Where a get of shard `shard` of `index` is served: the node holding the primary, started
/// or (as Elasticsearch's `activeInitializingShardsIt` falls back to, e.g. a new index whose
/// started state this node has not applied yet) initializing.
///
/// Replicas are not written to until replication exists, so they do not serve reads yet; with
/// replication, started replicas (this node's first) become candidates too.
pub fn locate_read_copy(
    state: &ClusterState,
    index: &str,
    shard: u32,
    local_node_id: &str,
) -> ReadLocation {
    let copies = state
        .routing_table
        .shard_copies(&ShardId::new(index, shard));
    let Some(primary) = copies
        .iter()
        .find(|c| c.primary && (c.active() || c.initializing()))
    else {
        return ReadLocation::Unavailable;
    };
    if on_node(primary, local_node_id) {
        return ReadLocation::Local;
    }
    transport_address(state, primary).map_or(ReadLocation::Unavailable, ReadLocation::Remote)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_cluster::routing_table::IndexRoutingTable;
    use quarry_cluster::shard_routing::UnassignedInfo;
    use quarry_cluster::DiscoveryNode;
    use quarry_types::{AllocationId, NodeId};
    use std::collections::BTreeMap;

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

    fn copy(primary: bool, node: Option<&str>, started: bool) -> ShardRouting {
        let mut c = ShardRouting::new_unassigned(
            ShardId::new("i", 0),
            primary,
            UnassignedInfo::new("INDEX_CREATED", 0),
        );
        if let Some(n) = node {
            c.initialize(NodeId(n.into()), AllocationId(format!("a-{n}")));
            if started {
                c.start();
            }
        }
        c
    }

    fn state(copies: Vec<ShardRouting>) -> ClusterState {
        let mut s = ClusterState::new("c", "u");
        for id in ["a", "b", "c"] {
            s.nodes.insert(NodeId(id.into()), node(id));
        }
        let mut shards = BTreeMap::new();
        shards.insert(0, copies);
        s.routing_table.indices.insert(
            "i".into(),
            std::sync::Arc::new(IndexRoutingTable { shards }),
        );
        s
    }

    #[test]
    fn writes_go_to_the_started_primary() {
        let s = state(vec![
            copy(true, Some("b"), true),
            copy(false, Some("a"), true),
        ]);
        // A replica here does not make the write local.
        assert_eq!(
            locate_primary(&s, "i", 0, "a"),
            PrimaryLocation::Remote("b:9300".into())
        );
        assert_eq!(locate_primary(&s, "i", 0, "b"), PrimaryLocation::Local);
    }

    #[test]
    fn writes_wait_for_an_initializing_primary_and_fail_without_one() {
        let s = state(vec![copy(true, Some("b"), false)]);
        assert_eq!(locate_primary(&s, "i", 0, "a"), PrimaryLocation::NotStarted);
        assert_eq!(locate_primary(&s, "i", 0, "b"), PrimaryLocation::Local);
        let s = state(vec![copy(true, None, false)]);
        assert_eq!(locate_primary(&s, "i", 0, "a"), PrimaryLocation::Unassigned);
        assert_eq!(locate_primary(&s, "i", 1, "a"), PrimaryLocation::Unassigned);
        assert_eq!(locate_primary(&s, "x", 0, "a"), PrimaryLocation::Unassigned);
    }

    #[test]
    fn a_primary_on_a_node_missing_from_the_state_is_not_started() {
        let mut s = state(vec![copy(true, Some("b"), true)]);
        s.nodes.remove(&NodeId("b".into()));
        assert_eq!(locate_primary(&s, "i", 0, "a"), PrimaryLocation::NotStarted);
    }

    #[test]
    fn gets_go_to_the_primary_while_replicas_are_not_written() {
        let s = state(vec![
            copy(true, Some("b"), true),
            copy(false, Some("c"), true),
        ]);
        assert_eq!(locate_read_copy(&s, "i", 0, "b"), ReadLocation::Local);
        // A started replica here holds none of the documents yet.
        assert_eq!(
            locate_read_copy(&s, "i", 0, "c"),
            ReadLocation::Remote("b:9300".into())
        );
        assert_eq!(
            locate_read_copy(&s, "i", 0, "a"),
            ReadLocation::Remote("b:9300".into())
        );
        // A primary this node still sees initializing (a new index) is asked too.
        let s = state(vec![
            copy(true, Some("b"), false),
            copy(false, Some("c"), true),
        ]);
        assert_eq!(
            locate_read_copy(&s, "i", 0, "a"),
            ReadLocation::Remote("b:9300".into())
        );
        assert_eq!(locate_read_copy(&s, "i", 0, "b"), ReadLocation::Local);
        let s = state(vec![copy(true, None, false), copy(false, Some("c"), true)]);
        assert_eq!(locate_read_copy(&s, "i", 0, "c"), ReadLocation::Unavailable);
        assert_eq!(locate_read_copy(&s, "x", 0, "c"), ReadLocation::Unavailable);
    }
}
