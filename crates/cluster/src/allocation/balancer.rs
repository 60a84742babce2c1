//! The balancer (Elasticsearch's `BalancedShardsAllocator`): a node's weight for an index is
//! `θs·(shards on node − mean) + θi·(shards of the index on node − mean for the index)`, with
//! `cluster.routing.allocation.balance.shard` (0.45) and `.index` (0.55) normalised to θ. New
//! copies go to the lightest node that accepts them; rebalancing moves a started copy from the
//! heaviest to the lightest node of an index while their weights differ by more than
//! `cluster.routing.allocation.balance.threshold` (1.0) and the move makes the difference
//! smaller, asking `can_rebalance` and `can_allocate` first.
//!
//! Owns: weights, node choice and relocation bookkeeping. Pure.

use super::deciders::can_allocate;
use super::rebalance::{can_rebalance, cluster_rebalance, concurrent_rebalance};
use super::routing_nodes::{Allocation, RoutingNodes};
use super::DecisionType;
use crate::cluster_state::{ClusterState, DiscoveryNode};
use crate::shard_routing::ShardRouting;
use quarry_types::{AllocationId, NodeId, ShardId};

pub const BALANCE_SHARD: &str = "cluster.routing.allocation.balance.shard";
pub const BALANCE_INDEX: &str = "cluster.routing.allocation.balance.index";
pub const BALANCE_THRESHOLD: &str = "cluster.routing.allocation.balance.threshold";

/// Weight parameters read from the cluster settings.
pub struct Balancer {
    theta_shard: f64,
    theta_index: f64,
    threshold: f64,
}

fn setting(state: &ClusterState, key: &str, default: f64) -> f64 {
    state
        .metadata
        .cluster_setting(key)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .unwrap_or(default)
}

impl Balancer {
    pub fn new(state: &ClusterState) -> Self {
        let shard = setting(state, BALANCE_SHARD, 0.45);
        let index = setting(state, BALANCE_INDEX, 0.55);
        let sum = (shard + index).max(f64::EPSILON);
        Balancer {
            theta_shard: shard / sum,
            theta_index: index / sum,
            // Elasticsearch 8 treats thresholds below 1 as 1.
            threshold: setting(state, BALANCE_THRESHOLD, 1.0).max(1.0),
        }
    }

    /// The node's weight for the index with ordinal `index` (`RoutingNodes::index_ord`),
    /// without the constant means (only differences matter).
    pub fn weight(&self, nodes: &RoutingNodes, node: &NodeId, index: Option<u32>) -> f64 {
        self.theta_shard * nodes.node(node).owning() as f64
            + self.theta_index * nodes.count(node, index) as f64
    }

    /// Moves started copies from heavy to light nodes, index by index. True when it moved any.
    pub fn rebalance(
        &self,
        s: &mut ClusterState,
        nodes: &mut RoutingNodes,
        next_id: &mut dyn FnMut() -> String,
    ) -> bool {
        let data_nodes: Vec<NodeId> = s.data_nodes().map(|n| n.id.clone()).collect();
        if data_nodes.len() < 2 {
            return false;
        }
        // Cluster-wide gates first (they do not depend on the copy).
        if let Some(any) = s.routing_table.all_copies().next() {
            let alloc = Allocation::with(s, nodes);
            if cluster_rebalance(&alloc, any).decision != DecisionType::Yes
                || concurrent_rebalance(&alloc, any).decision != DecisionType::Yes
            {
                return false;
            }
        }
        // Indices whose spread may exceed the threshold (a later round re-checks after moves).
        let spread = OwningSpread::of(nodes, &data_nodes);
        let candidates: Vec<String> = s
            .routing_table
            .indices
            .keys()
            .filter(|index| self.may_need_moves(nodes, &spread, index))
            .cloned()
            .collect();
        let mut changed = false;
        for index in candidates {
            // Each move lowers the spread of this index; the bound only guards the loop.
            for _ in 0..64 {
                match self.find_move(s, nodes, &data_nodes, &index) {
                    Move::Found(shard_id, pos, target) => {
                        relocate(s, nodes, &shard_id, pos, target, next_id);
                        changed = true;
                    }
                    Move::None => break,
                    Move::Throttled => return changed,
                }
            }
        }
        changed
    }

    /// A cheap upper bound on the weight spread of `index`, from the copies of the index and
    /// the cluster-wide fewest and most shards per node: false means no move can help.
    fn may_need_moves(&self, nodes: &RoutingNodes, spread: &OwningSpread, index: &str) -> bool {
        let Some(ord) = nodes.index_ord(index) else {
            return false;
        };
        let holders_max = nodes
            .holders(ord)
            .map(|(owning, count)| {
                self.theta_shard * owning as f64 + self.theta_index * count as f64
            })
            .fold(f64::MIN, f64::max);
        let max = holders_max.max(self.theta_shard * spread.max as f64);
        let min = self.theta_shard * spread.min as f64;
        max - min > self.threshold
    }

    fn find_move(
        &self,
        s: &ClusterState,
        nodes: &RoutingNodes,
        data_nodes: &[NodeId],
        index: &str,
    ) -> Move {
        let ord = nodes.index_ord(index);
        let mut weighted: Vec<(f64, &NodeId)> = data_nodes
            .iter()
            .map(|n| (self.weight(nodes, n, ord), n))
            .collect();
        let (min, max) = weighted
            .iter()
            .fold((f64::MAX, f64::MIN), |(lo, hi), (w, _)| {
                (lo.min(*w), hi.max(*w))
            });
        if max - min <= self.threshold {
            return Move::None;
        }
        weighted.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        let (Some(lightest), Some(heaviest)) = (weighted.first(), weighted.last()) else {
            return Move::None;
        };
        if heaviest.0 - lightest.0 <= self.threshold {
            return Move::None;
        }
        let Some(table) = s.routing_table.index(index) else {
            return Move::None;
        };
        let alloc = Allocation::with(s, nodes);
        for (heavy_weight, heavy) in weighted.iter().rev() {
            // Started copies of this index on the heavy node.
            let candidates: Vec<(usize, &ShardRouting)> = table
                .shards
                .values()
                .flat_map(|copies| copies.iter().enumerate())
                .filter(|(_, c)| c.started() && c.current_node.as_ref() == Some(*heavy))
                .collect();
            if candidates.is_empty() {
                continue;
            }
            for (light_weight, light) in weighted.iter() {
                if heavy_weight - light_weight <= self.threshold {
                    break;
                }
                let Some(light_node) = s.nodes.get(*light) else {
                    continue;
                };
                for (pos, copy) in &candidates {
                    match can_rebalance(&alloc, copy).0 {
                        DecisionType::Yes => {}
                        DecisionType::Throttle => return Move::Throttled,
                        DecisionType::No => continue,
                    }
                    if can_allocate(&alloc, copy, light_node).0 == DecisionType::Yes {
                        return Move::Found(copy.shard_id.clone(), *pos, (*light).clone());
                    }
                }
            }
        }
        Move::None
    }
}

/// The fewest and most copies that stay on any data node.
struct OwningSpread {
    min: usize,
    max: usize,
}

impl OwningSpread {
    fn of(nodes: &RoutingNodes, data_nodes: &[NodeId]) -> Self {
        let owning = data_nodes.iter().map(|n| nodes.node(n).owning());
        OwningSpread {
            min: owning.clone().min().unwrap_or(0),
            max: owning.max().unwrap_or(0),
        }
    }
}

enum Move {
    Found(ShardId, usize, NodeId),
    None,
    Throttled,
}

/// The lightest node (fewest copies, then fewest of the copy's index, then smallest id) that
/// `accept` takes, among the data nodes.
pub fn lightest(
    alloc: &Allocation,
    copy: &ShardRouting,
    mut accept: impl FnMut(&DiscoveryNode) -> bool,
) -> Option<NodeId> {
    let current = copy
        .current_node
        .as_ref()
        .and_then(|id| alloc.state.nodes.get(id));
    ranked_nodes(alloc, copy, current)
        .into_iter()
        .find(|(_, n)| accept(n))
        .map(|(_, n)| n.id.clone())
}

/// Data nodes other than `exclude`, lightest first for `copy`'s index (ties by id), with their
/// weights: the order `lightest` tries them in and allocation explain ranks them in.
pub fn ranked_nodes<'a>(
    alloc: &'a Allocation,
    copy: &ShardRouting,
    exclude: Option<&DiscoveryNode>,
) -> Vec<(f64, &'a DiscoveryNode)> {
    let balancer = Balancer::new(alloc.state);
    let ord = alloc.routing_nodes.index_ord(&copy.shard_id.index);
    let mut ranked: Vec<(f64, &DiscoveryNode)> = alloc
        .state
        .data_nodes()
        .filter(|n| exclude.is_none_or(|x| x.id != n.id))
        .map(|n| (balancer.weight(&alloc.routing_nodes, &n.id, ord), n))
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    ranked
}

/// Starts relocating the started copy at `pos` of `shard_id` to `target`.
pub fn relocate(
    s: &mut ClusterState,
    nodes: &mut RoutingNodes,
    shard_id: &ShardId,
    pos: usize,
    target: NodeId,
    next_id: &mut dyn FnMut() -> String,
) {
    if let Some(c) = s
        .routing_table
        .shard_copies_mut(shard_id)
        .and_then(|copies| copies.get_mut(pos))
        .filter(|c| c.started())
    {
        c.relocate(target, AllocationId(next_id()));
        nodes.on_relocated(c);
    }
}
