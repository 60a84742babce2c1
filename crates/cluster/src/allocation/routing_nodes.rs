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

/// FxHash (rustc's hasher): the maps here are keyed by short ids, looked up 100,000 times per
/// reroute, and never by untrusted input.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Counts for one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeShards {
    /// Copies on the node, including relocation targets arriving and sources leaving.
    pub copies: usize,
    /// Copies leaving the node (`RELOCATING` sources).
    pub relocating_away: usize,
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
}

/// Per-node counts over the whole routing table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoutingNodes {
    node_ords: FxMap<NodeId, u32>,
    nodes: Vec<NodeShards>,
    /// Per index ordinal: (node ordinal, copies of the index that stay on that node; relocation
    /// sources excluded, targets included). What the balancer weighs and
    /// `total_shards_per_node` counts; a few entries per index, so a scan is one cache line.
    index_nodes: Vec<Vec<(u32, u32)>>,
    scratch: NodeShards,
    /// A small number per index name, so per-node counts need no string keys.
    index_ords: FxMap<String, u32>,
    /// Copies relocating anywhere in the cluster (`cluster_concurrent_rebalance`).
    pub relocating: usize,
    /// Unassigned or initializing copies anywhere (`allow_rebalance`).
    pub inactive_primaries: usize,
    pub inactive_replicas: usize,
    /// Unassigned copies anywhere (nothing to assign when zero).
    pub unassigned: usize,
    /// Roles present on data nodes (data tiers).
    pub data_roles: BTreeSet<String>,
    /// Every data node has the generic `data` role, so it belongs to every tier.
    pub all_tiers_everywhere: bool,
    /// Persistent settings overlaid with transient ones, merged once.
    pub cluster_settings: Settings,
    /// Per node ordinal: why the cluster-level `require/include/exclude` filters refuse the
    /// node (they depend on the node only, so they are evaluated once per reroute).
    cluster_filter: Vec<Option<String>>,
}

static EMPTY: std::sync::OnceLock<NodeShards> = std::sync::OnceLock::new();

impl RoutingNodes {
    pub fn build(state: &ClusterState) -> Self {
        let mut out = RoutingNodes {
            data_roles: state
                .data_nodes()
                .flat_map(|n| n.roles.iter().cloned())
                .collect(),
            all_tiers_everywhere: state.data_nodes().all(|n| n.roles.contains("data")),
            cluster_settings: {
                let mut merged = state.metadata.persistent_settings.clone();
                merged.merge(&state.metadata.transient_settings);
                merged
            },
            ..Default::default()
        };
        out.node_ords = state
            .nodes
            .keys()
            .enumerate()
            .map(|(i, id)| (id.clone(), i as u32))
            .collect();
        out.nodes = vec![NodeShards::default(); state.nodes.len()];
        out.cluster_filter = state
            .nodes
            .values()
            .map(|n| {
                super::deciders::filter_violation(
                    &out.cluster_settings,
                    "cluster.routing.allocation.",
                    n,
                )
            })
            .collect();
        out.index_nodes = vec![Vec::new(); state.routing_table.indices.len()];
        out.index_ords = state
            .routing_table
            .indices
            .keys()
            .enumerate()
            .map(|(i, name)| (name.clone(), i as u32))
            .collect();
        for (ord, table) in state.routing_table.indices.values().enumerate() {
            for copies in table.shards.values() {
                let primary_node = copies
                    .iter()
                    .find(|c| c.primary && c.active())
                    .and_then(|c| c.current_node.as_ref());
                for c in copies {
                    out.add_with_ord(c, primary_node, ord as u32);
                }
            }
        }
        out
    }

    /// Counts one copy (as it is in the routing table now).
    pub fn add(&mut self, c: &ShardRouting, primary_node: Option<&NodeId>) {
        let index = self.index_ord(&c.shard_id.index).unwrap_or(u32::MAX);
        self.add_with_ord(c, primary_node, index);
    }

    fn add_with_ord(&mut self, c: &ShardRouting, primary_node: Option<&NodeId>, index: u32) {
        if c.unassigned() {
            self.unassigned += 1;
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
        if let Some(node) = &c.current_node {
            if !c.relocating() {
                self.bump_index(index, node, 1);
            }
            let n = self.node_mut(node);
            n.copies += 1;
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
                self.node_mut(p).outgoing += 1;
            }
        }
        if let (true, Some(target)) = (c.relocating(), &c.relocating_node) {
            self.relocating += 1;
            self.bump_index(index, target, 1);
            let n = self.node_mut(target);
            n.copies += 1;
            n.incoming += 1;
        }
    }

    /// Records an unassigned copy that was just initialized (`c` as it is now).
    pub fn on_initialized(&mut self, c: &ShardRouting, primary_node: Option<&NodeId>) {
        self.unassigned = self.unassigned.saturating_sub(1);
        if c.primary {
            self.inactive_primaries = self.inactive_primaries.saturating_sub(1);
        } else {
            self.inactive_replicas = self.inactive_replicas.saturating_sub(1);
        }
        self.add(c, primary_node);
    }

    /// Records a started copy that just began relocating (`c` as it is now: `RELOCATING`).
    pub fn on_relocated(&mut self, c: &ShardRouting) {
        let index = self.index_ord(&c.shard_id.index).unwrap_or(u32::MAX);
        if let Some(node) = &c.current_node {
            self.bump_index(index, node, -1);
            self.node_mut(node).copies -= 1;
        }
        self.add(c, None);
    }

    /// Counts of a node of the state (every node has an entry from `build`); a copy on an
    /// unknown node, which `validate` rules out, is counted in a scratch entry.
    fn node_mut(&mut self, id: &NodeId) -> &mut NodeShards {
        match self
            .node_ords
            .get(id)
            .and_then(|&o| self.nodes.get_mut(o as usize))
        {
            Some(n) => n,
            None => &mut self.scratch,
        }
    }

    fn bump_index(&mut self, index: u32, node: &NodeId, delta: i32) {
        let (Some(&node), Some(entries)) = (
            self.node_ords.get(node),
            self.index_nodes.get_mut(index as usize),
        ) else {
            return;
        };
        // Kept sorted by node ordinal and without zero counts, so equal routing gives equal
        // tables however it was reached.
        match entries.binary_search_by_key(&node, |(n, _)| *n) {
            Ok(pos) => {
                let count = entries[pos].1.saturating_add_signed(delta);
                if count == 0 {
                    entries.remove(pos);
                } else {
                    entries[pos].1 = count;
                }
            }
            Err(pos) if delta > 0 => entries.insert(pos, (node, delta as u32)),
            Err(_) => {}
        }
    }

    /// For the index with ordinal `index`: (copies that stay on the node, copies of the index
    /// there) for every node holding a copy.
    pub fn holders(&self, index: u32) -> impl Iterator<Item = (usize, usize)> + '_ {
        self.index_nodes
            .get(index as usize)
            .into_iter()
            .flatten()
            .map(|&(node, count)| {
                let owning = self.nodes.get(node as usize).map_or(0, NodeShards::owning);
                (owning, count as usize)
            })
    }

    /// Copies of the index with ordinal `index` that stay on `node`.
    pub fn count(&self, node: &NodeId, index: Option<u32>) -> usize {
        let (Some(node), Some(entries)) = (
            self.node_ords.get(node),
            index.and_then(|i| self.index_nodes.get(i as usize)),
        ) else {
            return 0;
        };
        entries
            .iter()
            .find(|(n, _)| n == node)
            .map_or(0, |(_, c)| *c as usize)
    }

    /// The ordinal of an index in this table (`None` for an index it has not seen).
    pub fn index_ord(&self, index: &str) -> Option<u32> {
        self.index_ords.get(index).copied()
    }

    /// Copies of `index` that stay on `node`.
    pub fn of_index(&self, node: &NodeId, index: &str) -> usize {
        self.count(node, self.index_ord(index))
    }

    /// The cluster-level filter verdict for `node` (computed now for a node this table has not
    /// seen).
    pub fn cluster_filter_violation(&self, node: &crate::DiscoveryNode) -> Option<String> {
        match self.node_ords.get(&node.id) {
            Some(&o) => self.cluster_filter.get(o as usize).cloned().flatten(),
            None => super::deciders::filter_violation(
                &self.cluster_settings,
                "cluster.routing.allocation.",
                node,
            ),
        }
    }

    pub fn node(&self, id: &NodeId) -> &NodeShards {
        self.node_ords
            .get(id)
            .and_then(|&o| self.nodes.get(o as usize))
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
            .map(std::sync::Arc::make_mut)
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
