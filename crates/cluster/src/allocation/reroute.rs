//! `reroute`: assigns unassigned shard copies to nodes. Primaries first (a fresh primary goes to
//! the least-loaded eligible data node; a primary with in-sync copies only returns to the node
//! that held it, reusing its allocation id), then replicas once their primary is active. Every
//! candidate node is checked by the deciders; the balancer picks the node with the fewest
//! shards, then fewest shards of the same index, then the smallest node id.
//!
//! Not done at this stage: rebalancing of started shards and relocation (`RELOCATING` is never
//! produced), awareness, disk watermarks.
//!
//! Owns: the assignment loop. Pure: `now` and ids come from the caller.

use super::deciders::can_allocate;
use super::DecisionType;
use crate::cluster_state::ClusterState;
use crate::shard_routing::{AllocationStatus, ShardRouting};
use quarry_types::{AllocationId, NodeId};

/// Runs allocation until nothing more can be assigned in this round; returns the new state
/// (version not bumped: `apply` does that).
pub fn reroute(
    state: &ClusterState,
    now_millis: i64,
    next_id: &mut dyn FnMut() -> String,
) -> ClusterState {
    let mut s = state.clone();
    clear_expired_delays(&mut s, now_millis);
    for primaries in [true, false] {
        let targets: Vec<(quarry_types::ShardId, usize)> = s
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
                    .collect::<Vec<_>>()
            })
            .collect();
        for (shard_id, pos) in targets {
            allocate_one(&mut s, &shard_id, pos, now_millis, next_id);
        }
    }
    super::normalize_in_sync_allocations(&mut s);
    s
}

fn clear_expired_delays(s: &mut ClusterState, now_millis: i64) {
    let timeouts: Vec<(String, i64)> = s
        .metadata
        .indices
        .values()
        .map(|m| {
            (
                m.name.clone(),
                m.node_left_delayed_timeout().as_millis() as i64,
            )
        })
        .collect();
    for (index, timeout) in timeouts {
        let Some(table) = s.routing_table.indices.get_mut(&index) else {
            continue;
        };
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

fn set_status(
    s: &mut ClusterState,
    shard_id: &quarry_types::ShardId,
    pos: usize,
    status: AllocationStatus,
) {
    if let Some(copies) = s.routing_table.shard_copies_mut(shard_id) {
        if let Some(info) = copies.get_mut(pos).and_then(|c| c.unassigned_info.as_mut()) {
            info.last_allocation_status = status;
        }
    }
}

fn allocate_one(
    s: &mut ClusterState,
    shard_id: &quarry_types::ShardId,
    pos: usize,
    _now_millis: i64,
    next_id: &mut dyn FnMut() -> String,
) {
    let Some(copy) = s.routing_table.shard_copies(shard_id).get(pos).cloned() else {
        return;
    };
    let Some(meta) = s.index(&shard_id.index) else {
        return;
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
                return;
            }
        }
    } else if !copy.primary {
        if let Some(i) = info.as_ref().filter(|i| i.delayed) {
            match &i.last_allocated_node {
                Some(n) if s.nodes.contains_key(n) => only_node = Some(n.clone()),
                _ => {
                    set_status(s, shard_id, pos, AllocationStatus::DelayedAllocation);
                    return;
                }
            }
        }
    }
    let mut best: Option<(usize, usize, NodeId)> = None;
    let mut throttled = false;
    for node in s.nodes.values() {
        if only_node.as_ref().is_some_and(|n| n != &node.id) {
            continue;
        }
        let (decision, _) = can_allocate(s, &copy, node);
        match decision {
            DecisionType::Yes => {
                let on_node = s.routing_table.shards_on_node(&node.id);
                let total = on_node.len();
                let same_index = on_node
                    .iter()
                    .filter(|c| c.shard_id.index == shard_id.index)
                    .count();
                let key = (total, same_index, node.id.clone());
                if best.as_ref().is_none_or(|b| key < *b) {
                    best = Some(key);
                }
            }
            DecisionType::Throttle => throttled = true,
            DecisionType::No => {}
        }
    }
    let Some((_, _, node)) = best else {
        let status = if throttled {
            AllocationStatus::DecidersThrottled
        } else {
            AllocationStatus::DecidersNo
        };
        set_status(s, shard_id, pos, status);
        return;
    };
    let id = reuse_id.unwrap_or_else(|| AllocationId(next_id()));
    if let Some(copies) = s.routing_table.shard_copies_mut(shard_id) {
        if let Some(c) = copies.get_mut(pos) {
            initialize(c, node, id);
        }
    }
    if copy.primary {
        if let Some(meta) = s.metadata.indices.get_mut(&shard_id.index) {
            if let Some(term) = meta.primary_terms.get_mut(shard_id.shard as usize) {
                *term += 1;
            }
        }
    }
}

fn initialize(c: &mut ShardRouting, node: NodeId, id: AllocationId) {
    c.initialize(node, id);
}

#[cfg(test)]
#[path = "reroute_test.rs"]
mod reroute_test;
