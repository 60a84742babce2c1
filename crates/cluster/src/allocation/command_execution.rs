//! Executes `_cluster/reroute` commands on a cluster state, as Elasticsearch's
//! `AllocationService.reroute(commands)` does before its normal reroute:
//!
//! - `retry_failed` first resets the failure counter of every unassigned copy (so copies that
//!   exhausted `index.allocation.max_retries` are tried again);
//! - `move` relocates a started copy if the deciders do not say NO for the target (THROTTLE is
//!   overridden: the user asked for it);
//! - `cancel` fails the copy on the node with `REROUTE_CANCELLED`: a relocation target cancels
//!   the relocation, anything else goes back to unassigned (a primary only with
//!   `allow_primary`; an in-sync replica is promoted when there is one);
//! - `allocate_replica` initializes an unassigned replica on the node when its primary is
//!   assigned and the deciders do not say NO;
//! - `allocate_empty_primary` / `allocate_stale_primary` initialize the unassigned primary on
//!   the node whatever the deciders say, with a new allocation id and a bumped primary term;
//!   the empty one clears the in-sync set (its data is gone), the stale one makes the new copy
//!   the only in-sync one. Quarry keeps no shard-store listing in the cluster state, so a stale
//!   primary cannot be checked against the copies nodes hold: the node opens whatever copy of
//!   the shard it has on disk. Both need `accept_data_loss` (the empty one unless the shard
//!   never held data).
//!
//! Commands run with allocation enabling ignored (`cluster.routing.allocation.enable` does not
//! block explicit commands). With `explain`, a rejected command yields a NO explanation and
//! the next command runs; without it the first rejection is the error.
//!
//! Owns: command semantics. Pure: ids come from the caller. Must not run `reroute` (the caller
//! does, after the commands).

use super::commands::{
    describe_decisions, describe_node, resolve_node, AllocationCommand, RerouteExplanation,
};
use super::deciders::can_allocate;
use super::routing_nodes::Allocation;
use super::{fail_shard_copy, Decision, DecisionType};
use crate::cluster_state::{ClusterState, DiscoveryNode};
use crate::shard_routing::{reason, AllocationStatus, ShardRouting, UnassignedInfo};
use quarry_types::{AllocationId, EsError, NodeId, ShardId};
use std::collections::BTreeSet;

/// Elasticsearch's `UnassignedInfo.Reason.FORCED_EMPTY_PRIMARY`.
pub use crate::shard_routing::reason::FORCED_EMPTY_PRIMARY;

const IGNORED_DISABLE: &str =
    "explicitly ignoring any disabling of allocation due to manual allocation commands via the reroute API";

/// Resets the failure counter of every unassigned copy (`retry_failed`); a copy refused
/// because of the retries is tried again on the next reroute.
pub fn reset_failed_allocations(state: &mut ClusterState) {
    for shared in state.routing_table.indices.values_mut() {
        let failed = |c: &ShardRouting| {
            c.unassigned()
                && c.unassigned_info
                    .as_ref()
                    .is_some_and(|i| i.failed_allocations > 0)
        };
        if !shared.all_copies().any(failed) {
            continue;
        }
        let table = std::sync::Arc::make_mut(shared);
        for c in table.shards.values_mut().flatten() {
            if !c.unassigned() {
                continue;
            }
            if let Some(info) = c.unassigned_info.as_mut() {
                info.failed_allocations = 0;
                if info.last_allocation_status == AllocationStatus::DecidersNo {
                    info.last_allocation_status = AllocationStatus::NoAttempt;
                }
            }
        }
    }
}

/// Runs `commands` in order on `state`. Returns one explanation per command; without
/// `explain`, the first rejected command is returned as the error and `state` must be dropped.
pub fn execute_commands(
    state: &mut ClusterState,
    commands: &[AllocationCommand],
    explain: bool,
    now_millis: i64,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Vec<RerouteExplanation>, EsError> {
    let mut out = Vec::with_capacity(commands.len());
    for command in commands {
        let outcome = execute_one(state, command, now_millis, next_id)?;
        let (decisions, applied) = match outcome {
            Outcome::Done(decisions) => (decisions, true),
            Outcome::Rejected { decisions, error } => {
                if !explain {
                    return Err(error);
                }
                (decisions, false)
            }
        };
        out.push(RerouteExplanation {
            command: command.clone(),
            decisions,
            applied,
        });
    }
    Ok(out)
}

enum Outcome {
    Done(Vec<Decision>),
    /// With `explain` the decisions are reported; without it the error is raised.
    Rejected {
        decisions: Vec<Decision>,
        error: EsError,
    },
}

/// A rejection reported as one NO decision by `decider`, or raised as `error`.
fn rejected(decider: &'static str, explanation: String, error: EsError) -> Outcome {
    Outcome::Rejected {
        decisions: vec![Decision::no(decider, explanation)],
        error,
    }
}

/// The deciders with `enable` overridden, as for every explicit command.
fn command_can_allocate(
    state: &ClusterState,
    copy: &ShardRouting,
    node: &DiscoveryNode,
) -> (DecisionType, Vec<Decision>) {
    let alloc = Allocation::of(state);
    let (_, mut decisions) = can_allocate(&alloc, copy, node);
    for d in decisions.iter_mut() {
        if d.decider == "enable" && d.decision == DecisionType::No {
            *d = Decision::yes("enable", IGNORED_DISABLE);
        }
    }
    let outcome = if decisions.iter().any(|d| d.decision == DecisionType::No) {
        DecisionType::No
    } else if decisions
        .iter()
        .any(|d| d.decision == DecisionType::Throttle)
    {
        DecisionType::Throttle
    } else {
        DecisionType::Yes
    };
    (outcome, decisions)
}

fn execute_one(
    state: &mut ClusterState,
    command: &AllocationCommand,
    now_millis: i64,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Outcome, EsError> {
    match command {
        AllocationCommand::Move {
            index,
            shard,
            from_node,
            to_node,
        } => execute_move(state, index, *shard, from_node, to_node, next_id),
        AllocationCommand::Cancel {
            index,
            shard,
            node,
            allow_primary,
        } => execute_cancel(state, index, *shard, node, *allow_primary, now_millis),
        AllocationCommand::AllocateReplica { index, shard, node } => {
            execute_allocate(state, command, index, *shard, node, next_id, now_millis)
        }
        AllocationCommand::AllocateStalePrimary {
            index, shard, node, ..
        }
        | AllocationCommand::AllocateEmptyPrimary {
            index, shard, node, ..
        } => execute_allocate(state, command, index, *shard, node, next_id, now_millis),
    }
}

fn execute_move(
    state: &mut ClusterState,
    index: &str,
    shard: u32,
    from: &str,
    to: &str,
    next_id: &mut dyn FnMut() -> String,
) -> Result<Outcome, EsError> {
    const DECIDER: &str = "move_allocation_command";
    let from = resolve_node(state, from)?.clone();
    let to = resolve_node(state, to)?.clone();
    for (node, _) in [(&from, "from"), (&to, "to")] {
        if !node.is_data_node() {
            return Err(EsError::illegal_argument(format!(
                "[move_allocation] can't move [{index}][{shard}] from {} to {}: source [{}] is not a data node.",
                describe_node(&from),
                describe_node(&to),
                node.name
            )));
        }
    }
    let shard_id = ShardId::new(index, shard);
    let found = state
        .routing_table
        .shard_copies(&shard_id)
        .iter()
        .position(|c| c.is_on_node(&from.id));
    let Some(pos) = found else {
        return Ok(rejected(
            DECIDER,
            format!("shard {shard} not found"),
            EsError::illegal_argument(format!(
                "[move_allocation] can't move {shard}, failed to find it on node {}",
                describe_node(&from)
            )),
        ));
    };
    let copy = state.routing_table.shard_copies(&shard_id)[pos].clone();
    // A relocation target on `from` is an initializing copy there.
    let on_from_state = if copy.current_node.as_ref() == Some(&from.id) {
        copy.state.as_str()
    } else {
        "INITIALIZING"
    };
    if !copy.started() || copy.current_node.as_ref() != Some(&from.id) {
        return Ok(rejected(
            DECIDER,
            format!("shard {shard} has not been started"),
            EsError::illegal_argument(format!(
                "[move_allocation] can't move {shard}, shard is not started (state = {on_from_state}]"
            )),
        ));
    }
    let (decision, decisions) = command_can_allocate(state, &copy, &to);
    if decision == DecisionType::No {
        let error = EsError::illegal_argument(format!(
            "[move_allocation] can't move {shard}, from {}, to {}, since its not allowed, reason: {}",
            describe_node(&from),
            describe_node(&to),
            describe_decisions(&decisions)
        ));
        return Ok(Outcome::Rejected { decisions, error });
    }
    if let Some(c) = state
        .routing_table
        .shard_copies_mut(&shard_id)
        .and_then(|copies| copies.get_mut(pos))
    {
        c.relocate(to.id.clone(), AllocationId(next_id()));
    }
    Ok(Outcome::Done(decisions))
}

fn execute_cancel(
    state: &mut ClusterState,
    index: &str,
    shard: u32,
    node: &str,
    allow_primary: bool,
    now_millis: i64,
) -> Result<Outcome, EsError> {
    const DECIDER: &str = "cancel_allocation_command";
    let node = resolve_node(state, node)?.clone();
    let shard_id = ShardId::new(index, shard);
    let mut found: Option<ShardRouting> = None;
    if node.is_data_node() {
        if state.index(index).is_none() {
            return Err(EsError::index_not_found(index));
        }
        found = state
            .routing_table
            .shard_copies(&shard_id)
            .iter()
            .find(|c| c.is_on_node(&node.id))
            .cloned();
    }
    let Some(copy) = found else {
        let why = format!(
            "can't cancel {shard}, failed to find it on node {}",
            describe_node(&node)
        );
        let error = EsError::illegal_argument(format!("[cancel_allocation] {why}"));
        return Ok(rejected(DECIDER, why, error));
    };
    // The copy seen from `node`: the relocation target there, or the copy itself.
    let target_here = copy.relocating_node.as_ref() == Some(&node.id);
    if copy.primary && !allow_primary && !target_here {
        let why = format!(
            "can't cancel {shard} on node {}, shard is primary and {}",
            describe_node(&node),
            copy.state.as_str().to_ascii_lowercase()
        );
        let error = EsError::illegal_argument(format!("[cancel_allocation] {why}"));
        return Ok(rejected(DECIDER, why, error));
    }
    let allocation_id = if target_here {
        copy.relocation_id.clone()
    } else {
        copy.allocation_id.clone()
    };
    if let Some(id) = allocation_id {
        let info = UnassignedInfo::new(reason::REROUTE_CANCELLED, now_millis);
        fail_shard_copy(state, &shard_id, &id, info);
    }
    Ok(Outcome::Done(vec![Decision::yes(
        DECIDER,
        format!(
            "shard {shard} on node {} can be cancelled",
            describe_node(&node)
        ),
    )]))
}

/// The three `allocate_*` commands.
fn execute_allocate(
    state: &mut ClusterState,
    command: &AllocationCommand,
    index: &str,
    shard: u32,
    node_text: &str,
    next_id: &mut dyn FnMut() -> String,
    now_millis: i64,
) -> Result<Outcome, EsError> {
    let name = command.name();
    let decider: &'static str = match command {
        AllocationCommand::AllocateReplica { .. } => "allocate_replica (allocation command)",
        AllocationCommand::AllocateStalePrimary { .. } => {
            "allocate_stale_primary (allocation command)"
        }
        _ => "allocate_empty_primary (allocation command)",
    };
    // Rejections carry the bare reason as explanation and `[name] reason` as error.
    let reject = |why: String| {
        let error = EsError::illegal_argument(format!("[{name}] {why}"));
        rejected(decider, why, error)
    };
    let node = match resolve_node(state, node_text) {
        Ok(n) => n.clone(),
        Err(e) => return Ok(rejected(decider, e.reason.clone(), e)),
    };
    if !node.is_data_node() {
        return Ok(reject(format!(
            "allocation can only be done on data nodes, not [{node_text}]"
        )));
    }
    let shard_id = ShardId::new(index, shard);
    let Some(table) = state.routing_table.index(index) else {
        let e = EsError::index_not_found(index);
        return Ok(rejected(decider, e.reason.clone(), e));
    };
    if !table.shards.contains_key(&shard) {
        let e = crate::allocation::explain::shard_not_found(index, shard);
        return Ok(rejected(decider, e.reason.clone(), e));
    }
    let copies = state.routing_table.shard_copies(&shard_id);
    let in_sync = state
        .index(index)
        .map(|m| m.in_sync_ids(shard))
        .unwrap_or_default();
    let explanation_yes = || vec![Decision::yes(decider, "ignore deciders")];
    match command {
        AllocationCommand::AllocateReplica { .. } => {
            if !copies.iter().any(|c| c.primary && !c.unassigned()) {
                return Ok(reject(format!("trying to allocate a replica shard [{index}][{shard}], while corresponding primary shard is still unassigned")));
            }
            let Some(pos) = copies.iter().position(|c| !c.primary && c.unassigned()) else {
                return Ok(reject(format!("all copies of [{index}][{shard}] are already assigned. Use the move allocation command instead")));
            };
            let copy = copies[pos].clone();
            let (decision, decisions) = command_can_allocate(state, &copy, &node);
            if decision == DecisionType::No {
                let error = EsError::illegal_argument(format!(
                    "[{name}] allocation of [{index}][{shard}] on node {} is not allowed, reason: {}",
                    describe_node(&node),
                    describe_decisions(&decisions)
                ));
                return Ok(Outcome::Rejected { decisions, error });
            }
            initialize(state, &shard_id, pos, node.id.clone(), next_id);
            Ok(Outcome::Done(decisions))
        }
        AllocationCommand::AllocateStalePrimary {
            accept_data_loss, ..
        }
        | AllocationCommand::AllocateEmptyPrimary {
            accept_data_loss, ..
        } => {
            let empty = matches!(command, AllocationCommand::AllocateEmptyPrimary { .. });
            let Some(pos) = copies.iter().position(|c| c.primary && c.unassigned()) else {
                return Ok(reject(format!(
                    "primary [{index}][{shard}] is already assigned"
                )));
            };
            let never_active = in_sync.is_empty();
            // Only a primary that never held data can be emptied without the confirmation.
            let confirmed = *accept_data_loss || (empty && never_active);
            if !confirmed {
                return Ok(reject(format!("allocating an empty primary for [{index}][{shard}] can result in data loss. Please confirm by setting the accept_data_loss parameter to true")));
            }
            if !empty && never_active {
                return Ok(reject(format!("trying to allocate an existing primary shard [{index}][{shard}], while no such shard has ever been active")));
            }
            if empty {
                mark_forced_empty(state, &shard_id, pos, now_millis);
            }
            let id = initialize(state, &shard_id, pos, node.id.clone(), next_id);
            set_in_sync_and_bump_term(state, &shard_id, if empty { None } else { Some(id) });
            Ok(Outcome::Done(explanation_yes()))
        }
        _ => Ok(Outcome::Done(Vec::new())),
    }
}

/// Elasticsearch replaces the unassigned info of a forced empty primary, keeping the old reason
/// in the details.
fn mark_forced_empty(state: &mut ClusterState, shard_id: &ShardId, pos: usize, now_millis: i64) {
    if let Some(c) = state
        .routing_table
        .shard_copies_mut(shard_id)
        .and_then(|copies| copies.get_mut(pos))
    {
        let old = c.unassigned_info.clone();
        if old
            .as_ref()
            .is_some_and(|i| i.reason == FORCED_EMPTY_PRIMARY)
        {
            return;
        }
        let (old_reason, old_details) = old
            .as_ref()
            .map(|i| {
                (
                    i.reason.clone(),
                    i.details.clone().unwrap_or_else(|| "null".into()),
                )
            })
            .unwrap_or_else(|| ("null".into(), "null".into()));
        let mut info = UnassignedInfo::new(FORCED_EMPTY_PRIMARY, now_millis).with_details(format!(
            "force empty allocation from previous reason {old_reason}, {old_details}"
        ));
        if let Some(old) = old {
            info.last_allocation_status = old.last_allocation_status;
            info.last_allocated_node = old.last_allocated_node;
        }
        c.unassigned_info = Some(info);
    }
}

/// Initializes the unassigned copy at `pos` on `node` with a new allocation id.
fn initialize(
    state: &mut ClusterState,
    shard_id: &ShardId,
    pos: usize,
    node: NodeId,
    next_id: &mut dyn FnMut() -> String,
) -> AllocationId {
    let id = AllocationId(next_id());
    if let Some(c) = state
        .routing_table
        .shard_copies_mut(shard_id)
        .and_then(|copies| copies.get_mut(pos))
    {
        c.initialize(node, id.clone());
    }
    id
}

/// A forced primary starts a new history: the in-sync set becomes `only` (or empty) and the
/// primary term goes up, fencing any copy of the old history.
fn set_in_sync_and_bump_term(
    state: &mut ClusterState,
    shard_id: &ShardId,
    only: Option<AllocationId>,
) {
    if let Some(meta) = state
        .metadata
        .indices
        .get_mut(&shard_id.index)
        .map(std::sync::Arc::make_mut)
    {
        let ids: BTreeSet<String> = only.into_iter().map(|a| a.0).collect();
        meta.in_sync_allocation_ids.insert(shard_id.shard, ids);
        if let Some(term) = meta.primary_terms.get_mut(shard_id.shard as usize) {
            *term += 1;
        }
    }
}
