//! The decisions `_cluster/allocation/explain` reports, mirroring Elasticsearch's
//! `AllocateUnassignedDecision` (may an unassigned copy be assigned, and where),
//! `MoveDecision` (may a started copy stay, must it move, would moving it improve the balance)
//! and `NodeAllocationResult` (one node's verdict with its deciders and weight ranking), rendered
//! with Elasticsearch's field names and explanation sentences (`Explanations`).
//!
//! Owns: the explain-only view of allocation. Must not change the state, and must agree with
//! `reroute` (which nodes a copy may go to, reuse of in-sync primaries, delayed replicas) and
//! with `balancer` (weights and threshold), which make the real decisions.

pub(super) use super::balancer::ranked_nodes;
use super::deciders::can_allocate;
use super::routing_nodes::Allocation;
use super::{Decision, DecisionType};
use crate::cluster_state::DiscoveryNode;
use crate::shard_routing::{AllocationStatus, ShardRouting};
use serde_json::{json, Map, Value};

/// Elasticsearch's `Explanations.Allocation`, `.Rebalance` and `.Move` sentences.
pub mod explanations {
    pub const ALLOCATION_YES: &str = "Elasticsearch can allocate the shard.";
    pub const ALLOCATION_THROTTLED: &str = "Elasticsearch is currently busy with other activities. It expects to be able to allocate this shard when those activities finish. Please wait.";
    pub const ALLOCATION_AWAITING_INFO: &str = "Elasticsearch is retrieving information about this shard from one or more nodes. It will make an allocation decision after it receives this information. Please wait.";
    pub const ALLOCATION_NO_COPIES: &str = "Elasticsearch can't allocate this shard because there are no copies of its data in the cluster. Elasticsearch will allocate this shard when a node holding a good copy of its data joins the cluster. If no such node is available, restore this index from a recent snapshot.";
    pub const ALLOCATION_DELAYED_WITH_ALTERNATIVE: &str = "The node containing this shard copy recently left the cluster. Elasticsearch is waiting for it to return. If the node does not return within [%s] then Elasticsearch will allocate this shard to another node. Please wait.";
    pub const ALLOCATION_DELAYED_WITHOUT_ALTERNATIVE: &str = "The node holding this shard copy recently left the cluster. Elasticsearch is waiting for it to return. If the node does not return within [%s] then Elasticsearch will attempt to allocate this shard to another node, but it cannot be allocated to any other node currently in the cluster. If you expect this shard to be allocated to another node, find this node in the node-by-node explanation and address the reasons which prevent Elasticsearch from allocating this shard there.";
    pub const ALLOCATION_EXISTING_STORES_FORBIDDEN: &str = "Elasticsearch isn't allowed to allocate this shard to any of the nodes in the cluster that hold an in-sync copy of its data. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.";
    pub const ALLOCATION_ALL_NODES_FORBIDDEN: &str = "Elasticsearch isn't allowed to allocate this shard to any of the nodes in the cluster. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.";
    pub const REBALANCE_YES: &str = "Elasticsearch can rebalance this shard to another node.";
    pub const REBALANCE_ALREADY_BALANCED: &str = "This shard is in a well-balanced location and satisfies all allocation rules so it will remain on this node. Elasticsearch cannot improve the cluster balance by moving it to another node. If you expect this shard to be rebalanced to another node, find the other node in the node-by-node explanation and address the reasons which prevent Elasticsearch from rebalancing this shard there.";
    pub const REBALANCE_CLUSTER_THROTTLE: &str = "Elasticsearch is currently busy with other activities. It will rebalance this shard when those activities finish. Please wait.";
    pub const REBALANCE_NODE_THROTTLE: &str = "Elasticsearch is attempting to rebalance this shard to another node, but the nodes involved are currently busy with other activities. The shard will be rebalanced when those activities finish. Please wait.";
    pub const REBALANCE_CANNOT_REBALANCE_CAN_ALLOCATE: &str = "Elasticsearch is allowed to allocate this shard to another node but it isn't allowed to rebalance the shard there. If you expect this shard to be rebalanced to another node, find this node in the node-by-node explanation and address the reasons which prevent Elasticsearch from rebalancing this shard there.";
    pub const REBALANCE_CANNOT_REBALANCE_CANNOT_ALLOCATE: &str = "Elasticsearch is not allowed to allocate or rebalance this shard to another node. If you expect this shard to be rebalanced to another node, find this node in the node-by-node explanation and address the reasons which prevent Elasticsearch from rebalancing this shard there.";
    pub const MOVE_YES: &str =
        "This shard may not remain on its current node. Elasticsearch will move it to another node.";
    pub const MOVE_THROTTLED: &str = "This shard may not remain on its current node. Elasticsearch is currently busy with other activities and will move this shard to another node when those activities finish. Please wait.";
    pub const MOVE_NO: &str = "This shard may not remain on its current node, but Elasticsearch isn't allowed to move it to another node. Choose a node to which you expect this shard to be allocated, find this node in the node-by-node explanation, and address the reasons which prevent Elasticsearch from allocating this shard there.";
}

use explanations as ex;

/// Elasticsearch's `AllocationDecision`, declared in its sort order (node results sort by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum AllocationDecision {
    Yes,
    Throttled,
    No,
    WorseBalance,
    AwaitingInfo,
    AllocationDelayed,
    NoValidShardCopy,
    NoAttempt,
}

impl AllocationDecision {
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationDecision::Yes => "yes",
            AllocationDecision::Throttled => "throttled",
            AllocationDecision::No => "no",
            AllocationDecision::WorseBalance => "worse_balance",
            AllocationDecision::AwaitingInfo => "awaiting_info",
            AllocationDecision::AllocationDelayed => "allocation_delayed",
            AllocationDecision::NoValidShardCopy => "no_valid_shard_copy",
            AllocationDecision::NoAttempt => "no_attempt",
        }
    }

    pub fn from_decision_type(t: DecisionType) -> Self {
        match t {
            DecisionType::Yes => AllocationDecision::Yes,
            DecisionType::Throttle => AllocationDecision::Throttled,
            DecisionType::No => AllocationDecision::No,
        }
    }

    /// `last_allocation_status` of `unassigned_info` in the explain output.
    pub fn from_status(status: AllocationStatus) -> Self {
        match status {
            AllocationStatus::NoAttempt => AllocationDecision::NoAttempt,
            AllocationStatus::DecidersNo => AllocationDecision::No,
            AllocationStatus::DecidersThrottled => AllocationDecision::Throttled,
            AllocationStatus::NoValidShardCopy => AllocationDecision::NoValidShardCopy,
            AllocationStatus::DelayedAllocation => AllocationDecision::AllocationDelayed,
        }
    }
}

/// YES beats THROTTLE beats NO (Elasticsearch's `Decision.Type.higherThan`).
pub(super) fn rank(t: DecisionType) -> u8 {
    match t {
        DecisionType::Yes => 2,
        DecisionType::Throttle => 1,
        DecisionType::No => 0,
    }
}

/// A node as explain shows it: `id`/`name` inside `current_node` and `target_node`,
/// `node_id`/`node_name` inside node results; attributes only when there are some.
pub fn node_json(node: &DiscoveryNode, outer_object: bool) -> Map<String, Value> {
    let mut m = Map::new();
    let (id, name, attrs) = if outer_object {
        ("id", "name", "attributes")
    } else {
        ("node_id", "node_name", "node_attributes")
    };
    m.insert(id.into(), json!(node.id.0));
    m.insert(name.into(), json!(node.name));
    m.insert("transport_address".into(), json!(node.transport_address));
    if !node.attributes.is_empty() {
        m.insert(attrs.into(), json!(node.attributes));
    }
    m.insert("roles".into(), json!(node.roles));
    m
}

/// Decider verdicts; YES ones only when asked for (Elasticsearch's `EXCLUDE_YES_DECISIONS`).
pub fn decisions_json(decisions: &[Decision], include_yes: bool) -> Vec<Value> {
    decisions
        .iter()
        .filter(|d| include_yes || d.decision != DecisionType::Yes)
        .map(
            |d| json!({"decider": d.decider, "decision": d.decision, "explanation": d.explanation}),
        )
        .collect()
}

/// One node's verdict (`NodeAllocationResult`).
pub(super) struct NodeResult<'a> {
    pub node: &'a DiscoveryNode,
    pub decision: AllocationDecision,
    pub deciders: Vec<Decision>,
    /// 1 = best weight; 0 = not ranked (not shown).
    pub weight_ranking: usize,
    pub store: Option<Value>,
}

/// Sorts by decision, then weight ranking, then node id, and renders.
pub(super) fn node_results_json(mut results: Vec<NodeResult>, include_yes: bool) -> Vec<Value> {
    results.sort_by(|a, b| {
        (a.decision, a.weight_ranking, &a.node.id).cmp(&(b.decision, b.weight_ranking, &b.node.id))
    });
    results
        .iter()
        .map(|r| {
            let mut m = node_json(r.node, false);
            m.insert("node_decision".into(), json!(r.decision.as_str()));
            if let Some(store) = &r.store {
                m.insert("store".into(), store.clone());
            }
            if r.weight_ranking > 0 {
                m.insert("weight_ranking".into(), json!(r.weight_ranking));
            }
            let deciders = decisions_json(&r.deciders, include_yes);
            if !deciders.is_empty() {
                m.insert("deciders".into(), Value::Array(deciders));
            }
            Value::Object(m)
        })
        .collect()
}

/// `can_allocate`, `allocate_explanation`, `target_node`, ... for an unassigned copy.
pub fn unassigned_decision(
    alloc: &Allocation,
    copy: &ShardRouting,
    include_yes: bool,
    now_millis: i64,
) -> Map<String, Value> {
    let info = copy.unassigned_info.as_ref();
    let in_sync = alloc
        .index(&copy.shard_id.index)
        .map(|m| m.in_sync_ids(copy.shard_id.shard))
        .unwrap_or_default();
    let mut out = Map::new();
    // A primary with in-sync copies may only return to the node holding one (as `reroute`).
    if copy.primary && !in_sync.is_empty() {
        let last_node = info.and_then(|i| i.last_allocated_node.as_ref());
        let last_id = info
            .and_then(|i| i.last_allocation_id.as_ref())
            .filter(|id| in_sync.contains(&id.0));
        let holder = last_node
            .and_then(|n| alloc.nodes.get(n))
            .filter(|_| last_id.is_some());
        let mut results = Vec::new();
        let mut best: Option<(DecisionType, &DiscoveryNode)> = None;
        for (_, node) in ranked_nodes(alloc, copy, None) {
            if holder.is_some_and(|h| h.id == node.id) {
                let (t, deciders) = can_allocate(alloc, copy, node);
                best = Some((t, node));
                results.push(NodeResult {
                    node,
                    decision: AllocationDecision::from_decision_type(t),
                    deciders,
                    weight_ranking: 0,
                    store: Some(
                        json!({"in_sync": true, "allocation_id": last_id.map(|a| a.0.clone())}),
                    ),
                });
            } else {
                results.push(NodeResult {
                    node,
                    decision: AllocationDecision::No,
                    deciders: Vec::new(),
                    weight_ranking: 0,
                    store: Some(json!({"found": false})),
                });
            }
        }
        let (decision, explanation) = match best {
            None => (
                AllocationDecision::NoValidShardCopy,
                ex::ALLOCATION_NO_COPIES,
            ),
            Some((DecisionType::Yes, _)) => (AllocationDecision::Yes, ex::ALLOCATION_YES),
            Some((DecisionType::Throttle, _)) => {
                (AllocationDecision::Throttled, ex::ALLOCATION_THROTTLED)
            }
            Some((DecisionType::No, _)) => (
                AllocationDecision::No,
                ex::ALLOCATION_EXISTING_STORES_FORBIDDEN,
            ),
        };
        out.insert("can_allocate".into(), json!(decision.as_str()));
        out.insert("allocate_explanation".into(), json!(explanation));
        if let Some((DecisionType::Yes, node)) = best {
            out.insert("target_node".into(), Value::Object(node_json(node, true)));
            out.insert("allocation_id".into(), json!(last_id.map(|a| a.0.clone())));
        }
        out.insert(
            "node_allocation_decisions".into(),
            Value::Array(node_results_json(results, include_yes)),
        );
        return out;
    }
    // A delayed replica waits for its node, or goes back to it when it has returned.
    let delayed = info.filter(|i| i.delayed && !copy.primary);
    let only_node = delayed
        .and_then(|i| i.last_allocated_node.as_ref())
        .filter(|n| alloc.nodes.contains_key(*n));
    let mut results = Vec::new();
    let mut best: Option<(DecisionType, &DiscoveryNode)> = None;
    for (i, (_, node)) in ranked_nodes(alloc, copy, None).into_iter().enumerate() {
        let (t, deciders) = if only_node.is_some_and(|n| *n != node.id) {
            let no = Decision::no(
                "delayed_allocation",
                "the copy waits to return to the node that held it",
            );
            (DecisionType::No, vec![no])
        } else {
            can_allocate(alloc, copy, node)
        };
        if best.is_none_or(|(b, _)| rank(t) > rank(b)) {
            best = Some((t, node));
        }
        results.push(NodeResult {
            node,
            decision: AllocationDecision::from_decision_type(t),
            deciders,
            weight_ranking: i + 1,
            store: None,
        });
    }
    if let Some(info) = delayed.filter(|_| only_node.is_none()) {
        let configured = alloc
            .index(&copy.shard_id.index)
            .map(|m| m.node_left_delayed_timeout().as_millis() as i64)
            .unwrap_or(0);
        let remaining = (info.at_millis.saturating_add(configured) - now_millis).max(0);
        let any_yes = results
            .iter()
            .any(|r| r.decision == AllocationDecision::Yes);
        let template = if any_yes {
            ex::ALLOCATION_DELAYED_WITH_ALTERNATIVE
        } else {
            ex::ALLOCATION_DELAYED_WITHOUT_ALTERNATIVE
        };
        out.insert(
            "can_allocate".into(),
            json!(AllocationDecision::AllocationDelayed.as_str()),
        );
        out.insert(
            "allocate_explanation".into(),
            json!(template.replace("%s", &quarry_types::human::millis(remaining))),
        );
        out.insert("configured_delay_in_millis".into(), json!(configured));
        out.insert("remaining_delay_in_millis".into(), json!(remaining));
    } else {
        let (decision, explanation) = match best.map(|(t, _)| t) {
            Some(DecisionType::Yes) => (AllocationDecision::Yes, ex::ALLOCATION_YES),
            Some(DecisionType::Throttle) => {
                (AllocationDecision::Throttled, ex::ALLOCATION_THROTTLED)
            }
            _ => (AllocationDecision::No, ex::ALLOCATION_ALL_NODES_FORBIDDEN),
        };
        out.insert("can_allocate".into(), json!(decision.as_str()));
        out.insert("allocate_explanation".into(), json!(explanation));
        if let Some((DecisionType::Yes, node)) = best {
            out.insert("target_node".into(), Value::Object(node_json(node, true)));
        }
    }
    if !results.is_empty() {
        out.insert(
            "node_allocation_decisions".into(),
            Value::Array(node_results_json(results, include_yes)),
        );
    }
    out
}
