//! Failing a shard copy (node left, shard failed): a failed relocation target cancels the
//! relocation; otherwise the copy goes back to unassigned; a failed
//! primary is replaced by an active in-sync replica (promotion bumps the primary term); replicas
//! that were recovering from a failed primary are failed too. Also the in-sync rule: while a
//! shard has an active primary, its in-sync set is exactly its active copies; without one the
//! set is kept so a returning in-sync copy can be chosen again.
//!
//! Owns: failure transitions. Must not choose nodes (that is `reroute`).

use crate::cluster_state::ClusterState;
use crate::shard_routing::{reason, UnassignedInfo};
use quarry_types::{AllocationId, ShardId};
use std::collections::BTreeSet;

/// Fails the copy of `shard_id` with `allocation_id`. Returns false when no such copy exists
/// (a stale report), leaving the state unchanged.
pub fn fail_shard_copy(
    state: &mut ClusterState,
    shard_id: &ShardId,
    allocation_id: &AllocationId,
    info: UnassignedInfo,
) -> bool {
    let in_sync: BTreeSet<String> = state
        .index(&shard_id.index)
        .map(|m| m.in_sync_ids(shard_id.shard))
        .unwrap_or_default();
    let delayed_timeout_zero = state
        .index(&shard_id.index)
        .map(|m| m.node_left_delayed_timeout().is_zero())
        .unwrap_or(true);
    let Some(copies) = state.routing_table.shard_copies_mut(shard_id) else {
        return false;
    };
    if let Some(source) = copies
        .iter_mut()
        .find(|c| c.relocating() && c.relocation_id.as_ref() == Some(allocation_id))
    {
        // The relocation target failed: the source keeps serving, started.
        source.cancel_relocation();
        return true;
    }
    let Some(pos) = copies
        .iter()
        .position(|c| c.allocation_id.as_ref() == Some(allocation_id))
    else {
        return false;
    };
    let mut info = info;
    if info.reason == reason::ALLOCATION_FAILED {
        let previous = copies[pos]
            .unassigned_info
            .as_ref()
            .map(|i| i.failed_allocations)
            .unwrap_or(0);
        info.failed_allocations = previous + 1;
    }
    let was_primary = copies[pos].primary;
    if !was_primary {
        info.delayed = info.reason == reason::NODE_LEFT && !delayed_timeout_zero;
        copies[pos].move_to_unassigned(info);
        return true;
    }
    let failed_at = info.at_millis;
    // If a replica is promoted, this copy becomes an unassigned replica and may be delayed.
    info.delayed = info.reason == reason::NODE_LEFT && !delayed_timeout_zero;
    copies[pos].move_to_unassigned(info);
    // Promote the best active in-sync replica, if any.
    let candidate = copies
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.primary && c.active())
        .find(|(_, c)| {
            c.allocation_id
                .as_ref()
                .map(|a| in_sync.contains(&a.0))
                .unwrap_or(false)
        })
        .map(|(i, _)| i);
    let promoted = if let Some(i) = candidate {
        copies[i].primary = true;
        copies[pos].primary = false;
        true
    } else {
        if let Some(info) = copies[pos].unassigned_info.as_mut() {
            info.delayed = false;
        }
        false
    };
    // Replicas recovering from the failed primary (and, without promotion, every active
    // replica, which cannot be in sync) are failed too.
    for c in copies.iter_mut() {
        if c.primary || c.unassigned() {
            continue;
        }
        if c.initializing() || !promoted {
            c.move_to_unassigned(
                UnassignedInfo::new(reason::PRIMARY_FAILED, failed_at).with_details(format!(
                    "primary failed while replica initializing [{shard_id}]"
                )),
            );
        }
    }
    if promoted {
        if let Some(meta) = state
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

/// Applies the in-sync rule to every shard: with an active primary, the in-sync set becomes the
/// allocation ids of the active copies; without one it is left alone.
pub fn normalize_in_sync_allocations(state: &mut ClusterState) {
    for (name, table) in &state.routing_table.indices {
        let Some(shared) = state.metadata.indices.get_mut(name) else {
            continue;
        };
        for (shard, copies) in &table.shards {
            if !copies.iter().any(|c| c.primary && c.active()) {
                continue;
            }
            let active = copies
                .iter()
                .filter(|c| c.active())
                .filter_map(|c| c.allocation_id.as_ref().map(|a| a.0.as_str()));
            let current = shared.in_sync_allocation_ids.get(shard);
            let same = current.is_some_and(|set| {
                set.len() == active.clone().count() && active.clone().all(|id| set.contains(id))
            });
            if !same {
                let ids: BTreeSet<String> = active.map(str::to_string).collect();
                std::sync::Arc::make_mut(shared)
                    .in_sync_allocation_ids
                    .insert(*shard, ids);
            }
        }
    }
}
