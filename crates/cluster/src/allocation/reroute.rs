//! `reroute`: brings the routing table to where the deciders and the balancer want it, in
//! rounds until nothing changes (so `reroute(reroute(s)) == reroute(s)`):
//! 1. assign unassigned copies, primaries first (a fresh primary goes to the lightest eligible
//!    data node; a primary with in-sync copies only returns to the node that held it, reusing
//!    its allocation id), then replicas once their primary is active;
//! 2. move started copies that may not stay where they are (`can_remain` says NO: exclusion
//!    filters, tiers, awareness, shard limits, disk) to the lightest node that accepts them;
//! 3. rebalance (`balancer`).
//!
//! Owns: the assignment loop. Pure: `now` and ids come from the caller.

use super::balancer::{self, Balancer};
use super::deciders::{
    can_allocate, can_remain, outgoing_exhausted, remain_may_refuse_index, remain_may_refuse_on,
};
use super::routing_nodes::{Allocation, RoutingNodes};
use super::DecisionType;
use crate::cluster_state::ClusterState;
use crate::shard_routing::AllocationStatus;
use quarry_types::{AllocationId, NodeId, ShardId};

/// At most this many rounds (each round changes something or ends the loop).
const MAX_ROUNDS: usize = 16;

/// Runs allocation until nothing more changes; returns the new state (version not bumped:
/// `apply` does that).
pub fn reroute(
    state: &ClusterState,
    now_millis: i64,
    next_id: &mut dyn FnMut() -> String,
) -> ClusterState {
    let mut s = state.clone();
    clear_expired_delays(&mut s, now_millis);
    let mut nodes = RoutingNodes::build(&s);
    for _ in 0..MAX_ROUNDS {
        let mut changed = false;
        for primaries in [true, false] {
            if nodes.unassigned == 0 {
                break;
            }
            let targets: Vec<(ShardId, usize)> = s
                .routing_table
                .indices
                .values()
                .flat_map(|t| t.shards.values())
                .flat_map(|copies| {
                    copies
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c.unassigned() && c.primary == primaries)
                        .map(|(i, c)| (c.shard_id.clone(), i))
                })
                .collect();
            for (shard_id, pos) in targets {
                changed |= allocate_one(&mut s, &mut nodes, &shard_id, pos, next_id);
            }
        }
        changed |= move_shards(&mut s, &mut nodes, next_id);
        changed |= Balancer::new(&s).rebalance(&mut s, &mut nodes, next_id);
        if !changed {
            break;
        }
    }
    super::normalize_in_sync_allocations(&mut s);
    s
}

/// Relocates every started copy that may not stay to the lightest node that accepts it.
fn move_shards(
    s: &mut ClusterState,
    nodes: &mut RoutingNodes,
    next_id: &mut dyn FnMut() -> String,
) -> bool {
    let mut moves: Vec<(ShardId, usize)> = Vec::new();
    {
        let alloc = Allocation::with(s, nodes);
        for (name, table) in &s.routing_table.indices {
            let Some(meta) = s.index(name) else {
                continue;
            };
            let index_may_refuse = remain_may_refuse_index(&alloc, meta);
            for (pos, c, node) in table.shards.values().flat_map(|copies| {
                copies.iter().enumerate().filter_map(|(pos, c)| {
                    let node = c.current_node.as_ref().and_then(|n| s.nodes.get(n))?;
                    Some((pos, c, node))
                })
            }) {
                if !c.started() || !(index_may_refuse || remain_may_refuse_on(&alloc, node)) {
                    continue;
                }
                if can_remain(&alloc, c, node).0 == DecisionType::No {
                    moves.push((c.shard_id.clone(), pos));
                }
            }
        }
    }
    let mut changed = false;
    for (shard_id, pos) in moves {
        let Some(copy) = s.routing_table.shard_copies(&shard_id).get(pos).cloned() else {
            continue;
        };
        let exhausted = copy
            .current_node
            .as_ref()
            .is_some_and(|n| outgoing_exhausted(&Allocation::with(s, nodes), n));
        if exhausted {
            continue;
        }
        let target = {
            let alloc = Allocation::with(s, nodes);
            balancer::lightest(&alloc, &copy, |n| {
                can_allocate(&alloc, &copy, n).0 == DecisionType::Yes
            })
        };
        if let Some(target) = target {
            balancer::relocate(s, nodes, &shard_id, pos, target, next_id);
            changed = true;
        }
    }
    changed
}

fn clear_expired_delays(s: &mut ClusterState, now_millis: i64) {
    let delayed = |c: &crate::ShardRouting| c.unassigned_info.as_ref().is_some_and(|i| i.delayed);
    let timeouts: Vec<(String, i64)> = s
        .routing_table
        .indices
        .iter()
        .filter(|(_, table)| table.all_copies().any(delayed))
        .filter_map(|(name, _)| {
            let timeout = s.index(name)?.node_left_delayed_timeout().as_millis() as i64;
            Some((name.clone(), timeout))
        })
        .collect();
    for (index, timeout) in timeouts {
        let Some(shared) = s.routing_table.indices.get_mut(&index) else {
            continue;
        };
        let expired = |c: &crate::ShardRouting| {
            c.unassigned_info
                .as_ref()
                .is_some_and(|i| i.delayed && now_millis >= i.at_millis.saturating_add(timeout))
        };
        if !shared.all_copies().any(expired) {
            continue;
        }
        let table = std::sync::Arc::make_mut(shared);
        for c in table.shards.values_mut().flatten() {
            if let Some(info) = &mut c.unassigned_info {
                if info.delayed && now_millis >= info.at_millis.saturating_add(timeout) {
                    info.delayed = false;
                }
            }
        }
    }
}

/// The earliest time a delayed replica becomes allocatable (for the master to schedule a
/// `Reroute`), if any replica is delayed.
pub fn next_delayed_allocation_millis(state: &ClusterState) -> Option<i64> {
    state
        .routing_table
        .all_copies()
        .filter_map(|c| {
            let info = c
                .unassigned_info
                .as_ref()
                .filter(|i| i.delayed && c.unassigned())?;
            let timeout = state
                .index(&c.shard_id.index)?
                .node_left_delayed_timeout()
                .as_millis() as i64;
            Some(info.at_millis.saturating_add(timeout))
        })
        .min()
}

fn set_status(s: &mut ClusterState, shard_id: &ShardId, pos: usize, status: AllocationStatus) {
    if let Some(copies) = s.routing_table.shard_copies_mut(shard_id) {
        if let Some(info) = copies.get_mut(pos).and_then(|c| c.unassigned_info.as_mut()) {
            info.last_allocation_status = status;
        }
    }
}

/// Tries to assign one unassigned copy; true when it was assigned.
fn allocate_one(
    s: &mut ClusterState,
    nodes: &mut RoutingNodes,
    shard_id: &ShardId,
    pos: usize,
    next_id: &mut dyn FnMut() -> String,
) -> bool {
    let Some(copy) = s.routing_table.shard_copies(shard_id).get(pos).cloned() else {
        return false;
    };
    let Some(meta) = s.index(&shard_id.index) else {
        return false;
    };
    let in_sync = meta.in_sync_ids(shard_id.shard);
    let info = copy.unassigned_info.clone();
    // Which nodes may be considered, and with which allocation id.
    let mut reuse_id: Option<AllocationId> = None;
    let mut only_node: Option<NodeId> = None;
    if copy.primary && !in_sync.is_empty() {
        let last_node = info.as_ref().and_then(|i| i.last_allocated_node.clone());
        let last_id = info.as_ref().and_then(|i| i.last_allocation_id.clone());
        match (last_node, last_id) {
            (Some(n), Some(id)) if in_sync.contains(&id.0) && s.nodes.contains_key(&n) => {
                only_node = Some(n);
                reuse_id = Some(id);
            }
            _ => {
                set_status(s, shard_id, pos, AllocationStatus::NoValidShardCopy);
                return false;
            }
        }
    } else if !copy.primary {
        if let Some(i) = info.as_ref().filter(|i| i.delayed) {
            match &i.last_allocated_node {
                Some(n) if s.nodes.contains_key(n) => only_node = Some(n.clone()),
                _ => {
                    set_status(s, shard_id, pos, AllocationStatus::DelayedAllocation);
                    return false;
                }
            }
        }
    }
    let mut throttled = false;
    let best = {
        let alloc = Allocation::with(s, nodes);
        balancer::lightest(&alloc, &copy, |node| {
            if only_node.as_ref().is_some_and(|n| n != &node.id) {
                return false;
            }
            match can_allocate(&alloc, &copy, node).0 {
                DecisionType::Yes => true,
                DecisionType::Throttle => {
                    throttled = true;
                    false
                }
                DecisionType::No => false,
            }
        })
    };
    let Some(node) = best else {
        let status = if throttled {
            AllocationStatus::DecidersThrottled
        } else {
            AllocationStatus::DecidersNo
        };
        set_status(s, shard_id, pos, status);
        return false;
    };
    let id = reuse_id.unwrap_or_else(|| AllocationId(next_id()));
    let primary_node = s
        .routing_table
        .active_primary(shard_id)
        .and_then(|p| p.current_node.clone());
    if let Some(c) = s
        .routing_table
        .shard_copies_mut(shard_id)
        .and_then(|copies| copies.get_mut(pos))
    {
        c.initialize(node, id);
        nodes.on_initialized(c, primary_node.as_ref());
    }
    if copy.primary {
        if let Some(meta) = s
            .metadata
            .indices
            .get_mut(&shard_id.index)
            .map(std::sync::Arc::make_mut)
        {
            if let Some(term) = meta.primary_terms.get_mut(shard_id.shard as usize) {
                *term += 1;
            }
        }
    }
    true
}

#[cfg(test)]
#[path = "reroute_test.rs"]
mod reroute_test;

#[cfg(test)]
#[path = "reroute_proptest.rs"]
mod reroute_proptest;
