//! `RoutingNodes`: the routing table seen per node (how many copies each node holds, of which
//! index, how many recoveries flow in and out), built once per reroute and kept up to date as
//! copies are assigned or moved, so deciders and the balancer answer in constant time instead
//! of scanning every copy of a 100,000-shard cluster. Also `Allocation`, what a decider reads:
//! the state plus these counts.
//!
//! Owns: derived counts only; the routing table stays the truth. Must not decide anything.

use crate::cluster_state::ClusterState;
use crate::shard_routing::ShardRouting;
use quarry_types::{NodeId, Settings};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::ops::Deref;

/// Counts for one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeShards {
    /// Copies on the node, including relocation targets arriving and sources leaving.
    pub copies: usize,
    /// Copies leaving the node (`RELOCATING` sources).
    pub relocating_away: usize,
    /// Copies per index that stay on the node (relocation sources excluded, targets included):
    /// what the balancer weighs and `total_shards_per_node` counts.
    pub per_index: HashMap<String, usize>,
    /// Initializing primaries that are not relocation targets (initial recoveries).
    pub initializing_primaries: usize,
    /// Recoveries into this node: initializing replicas and relocation targets.
    pub incoming: usize,
    /// Recoveries out of this node: replicas recovering from a primary here, relocations away.
    pub outgoing: usize,
}

impl NodeShards {
    /// Copies that stay: what `total_shards_per_node` counts (Elasticsearch's owning shards).
    pub fn owning(&self) -> usize {
        self.copies - self.relocating_away
    }

    pub fn of_index(&self, index: &str) -> usize {
        self.per_index.get(index).copied().unwrap_or(0)
    }
}

/// Per-node counts over the whole routing table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoutingNodes {
    nodes: HashMap<NodeId, NodeShards>,
    /// Copies relocating anywhere in the cluster (`cluster_concurrent_rebalance`).
    pub relocating: usize,
    /// Unassigned or initializing copies anywhere (`allow_rebalance`).
    pub inactive_primaries: usize,
    pub inactive_replicas: usize,
    /// Roles present on data nodes (data tiers).
    pub data_roles: BTreeSet<String>,
    /// Persistent settings overlaid with transient ones, merged once.
    pub cluster_settings: Settings,
}

static EMPTY: std::sync::OnceLock<NodeShards> = std::sync::OnceLock::new();

impl RoutingNodes {
    pub fn build(state: &ClusterState) -> Self {
        let mut out = RoutingNodes {
            data_roles: state
                .data_nodes()
                .flat_map(|n| n.roles.iter().cloned())
                .collect(),
            cluster_settings: {
                let mut merged = state.metadata.persistent_settings.clone();
                merged.merge(&state.metadata.transient_settings);
                merged
            },
            ..Default::default()
        };
        for table in state.routing_table.indices.values() {
            for copies in table.shards.values() {
                let primary_node = copies
                    .iter()
                    .find(|c| c.primary && c.active())
                    .and_then(|c| c.current_node.clone());
                for c in copies {
                    out.add(c, primary_node.as_ref());
                }
            }
        }
        out
    }

    /// Counts one copy (as it is in the routing table now).
    pub fn add(&mut self, c: &ShardRouting, primary_node: Option<&NodeId>) {
        if c.unassigned() {
            if c.primary {
                self.inactive_primaries += 1;
            } else {
                self.inactive_replicas += 1;
            }
            return;
        }
        if c.initializing() {
            if c.primary {
                self.inactive_primaries += 1;
            } else {
                self.inactive_replicas += 1;
            }
        }
        let index = &c.shard_id.index;
        if let Some(node) = &c.current_node {
            let n = self.nodes.entry(node.clone()).or_default();
            n.copies += 1;
            if !c.relocating() {
                *n.per_index.entry(index.clone()).or_default() += 1;
            }
            if c.initializing() {
                if c.primary {
                    n.initializing_primaries += 1;
                } else {
                    n.incoming += 1;
                }
            }
            if c.relocating() {
                n.relocating_away += 1;
                n.outgoing += 1;
            }
        }
        if c.initializing() && !c.primary {
            if let Some(p) = primary_node {
                self.nodes.entry(p.clone()).or_default().outgoing += 1;
            }
        }
        if let (true, Some(target)) = (c.relocating(), &c.relocating_node) {
            self.relocating += 1;
            let n = self.nodes.entry(target.clone()).or_default();
            n.copies += 1;
            n.incoming += 1;
            *n.per_index.entry(index.clone()).or_default() += 1;
        }
    }

    /// Records an unassigned copy that was just initialized (`c` as it is now).
    pub fn on_initialized(&mut self, c: &ShardRouting, primary_node: Option<&NodeId>) {
        if c.primary {
            self.inactive_primaries = self.inactive_primaries.saturating_sub(1);
        } else {
            self.inactive_replicas = self.inactive_replicas.saturating_sub(1);
        }
        self.add(c, primary_node);
    }

    /// Records a started copy that just began relocating (`c` as it is now: `RELOCATING`).
    pub fn on_relocated(&mut self, c: &ShardRouting) {
        if let Some(node) = &c.current_node {
            let n = self.nodes.entry(node.clone()).or_default();
            n.copies -= 1;
            if let Some(count) = n.per_index.get_mut(&c.shard_id.index) {
                *count -= 1;
            }
        }
        self.add(c, None);
    }

    pub fn node(&self, id: &NodeId) -> &NodeShards {
        self.nodes
            .get(id)
            .unwrap_or_else(|| EMPTY.get_or_init(NodeShards::default))
    }
}

/// What a decider reads: the cluster state and the per-node counts. Dereferences to the state.
pub struct Allocation<'a> {
    pub state: &'a ClusterState,
    pub routing_nodes: Cow<'a, RoutingNodes>,
}

impl<'a> Allocation<'a> {
    /// Builds the counts from the state (O(copies)); for one-off questions like explain.
    pub fn of(state: &'a ClusterState) -> Self {
        Allocation {
            state,
            routing_nodes: Cow::Owned(RoutingNodes::build(state)),
        }
    }

    pub fn with(state: &'a ClusterState, nodes: &'a RoutingNodes) -> Self {
        Allocation {
            state,
            routing_nodes: Cow::Borrowed(nodes),
        }
    }
}

impl Deref for Allocation<'_> {
    type Target = ClusterState;
    fn deref(&self) -> &ClusterState {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{cluster, create, start_all};

    #[test]
    fn incremental_counts_match_a_rebuild() {
        let s = start_all(&create(&cluster(&["n1", "n2", "n3"]), "logs", 3, 1));
        let built = RoutingNodes::build(&s);
        let total: usize = ["n1", "n2", "n3"]
            .iter()
            .map(|n| built.node(&NodeId(n.to_string())).copies)
            .sum();
        assert_eq!(total, 6);
        assert_eq!(built.relocating, 0);
        // Relocate one started copy and compare the incremental update with a rebuild.
        let mut moved = s.clone();
        let copy = moved
            .routing_table
            .indices
            .get_mut("logs")
            .unwrap()
            .shards
            .get_mut(&0)
            .unwrap()
            .iter_mut()
            .find(|c| c.primary)
            .unwrap();
        let target = ["n1", "n2", "n3"]
            .iter()
            .map(|n| NodeId(n.to_string()))
            .find(|n| {
                s.routing_table
                    .shard_copies(&copy.shard_id)
                    .iter()
                    .all(|c| !c.is_on_node(n))
            })
            .unwrap();
        copy.relocate(target.clone(), quarry_types::AllocationId("t".into()));
        let copy = copy.clone();
        let mut incremental = built.clone();
        incremental.on_relocated(&copy);
        assert_eq!(incremental, RoutingNodes::build(&moved));
        assert_eq!(incremental.node(&target).incoming, 1);
        assert_eq!(incremental.relocating, 1);
    }
}
