//! The decision `_cluster/allocation/explain` reports for a started copy (Elasticsearch's
//! `MoveDecision`): when a remain decider says NO, whether and where it can move
//! (`decideMove`); otherwise whether moving it would improve the balance (`decideRebalance`),
//! with the same weights and threshold as `balancer`.
//!
//! Owns: the move/rebalance view of explain. Must not change the state.

use super::balancer::{Balancer, BALANCE_THRESHOLD};
use super::deciders::{can_allocate, can_remain};
use super::explain_decisions::{
    decisions_json, explanations as ex, node_json, node_results_json, rank, ranked_nodes,
    AllocationDecision, NodeResult,
};
use super::rebalance::can_rebalance;
use super::routing_nodes::Allocation;
use super::{Decision, DecisionType};
use crate::cluster_state::DiscoveryNode;
use crate::shard_routing::ShardRouting;
use serde_json::{json, Map, Value};

/// The move or rebalance decision of a started copy on `current`, and the current node's
/// weight ranking (0 when not ranked).
pub fn started_decision(
    alloc: &Allocation,
    copy: &ShardRouting,
    current: &DiscoveryNode,
    include_yes: bool,
) -> (Map<String, Value>, usize) {
    let (remain, remain_decisions) = can_remain(alloc, copy, current);
    if remain == DecisionType::No {
        return (
            move_decision(alloc, copy, current, &remain_decisions, include_yes),
            0,
        );
    }
    rebalance_decision(alloc, copy, current, include_yes)
}

fn move_decision(
    alloc: &Allocation,
    copy: &ShardRouting,
    current: &DiscoveryNode,
    remain_decisions: &[Decision],
    include_yes: bool,
) -> Map<String, Value> {
    let mut best = DecisionType::No;
    let mut target: Option<&DiscoveryNode> = None;
    let mut results = Vec::new();
    for (i, (_, node)) in ranked_nodes(alloc, copy, Some(current))
        .into_iter()
        .enumerate()
    {
        let (t, deciders) = can_allocate(alloc, copy, node);
        if rank(t) > rank(best) {
            best = t;
            if t == DecisionType::Yes {
                target = Some(node);
            }
        }
        results.push(NodeResult {
            node,
            decision: AllocationDecision::from_decision_type(t),
            deciders,
            weight_ranking: i + 1,
            store: None,
        });
    }
    let mut out = Map::new();
    if let Some(node) = target {
        out.insert("target_node".into(), Value::Object(node_json(node, true)));
    }
    out.insert("can_remain_on_current_node".into(), json!("no"));
    let remain = decisions_json(remain_decisions, include_yes);
    if !remain.is_empty() {
        out.insert("can_remain_decisions".into(), Value::Array(remain));
    }
    let can_move = best == DecisionType::Yes;
    out.insert(
        "can_move_to_other_node".into(),
        json!(if can_move { "yes" } else { "no" }),
    );
    let explanation = match best {
        DecisionType::Yes => ex::MOVE_YES,
        DecisionType::Throttle => ex::MOVE_THROTTLED,
        DecisionType::No => ex::MOVE_NO,
    };
    out.insert("move_explanation".into(), json!(explanation));
    if !results.is_empty() {
        out.insert(
            "node_allocation_decisions".into(),
            Value::Array(node_results_json(results, include_yes)),
        );
    }
    out
}

/// Elasticsearch's `decideRebalance`: nodes whose weight is lower than the current node's by
/// more than the threshold improve the balance (ranked first), then the current node's rank,
/// then nodes of equal or higher weight (`worse_balance` unless a decider says NO).
fn rebalance_decision(
    alloc: &Allocation,
    copy: &ShardRouting,
    current: &DiscoveryNode,
    include_yes: bool,
) -> (Map<String, Value>, usize) {
    let (cluster, cluster_decisions) = can_rebalance(alloc, copy);
    let balancer = Balancer::new(alloc.state);
    let ord = alloc.routing_nodes.index_ord(&copy.shard_id.index);
    let current_weight = balancer.weight(&alloc.routing_nodes, &current.id, ord);
    let threshold = alloc
        .metadata
        .cluster_setting(BALANCE_THRESHOLD)
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(1.0)
        .max(1.0);
    let mut better = Vec::new();
    let mut same = Vec::new();
    let mut worse = Vec::new();
    let mut best = DecisionType::No;
    let mut target: Option<&DiscoveryNode> = None;
    for (weight, node) in ranked_nodes(alloc, copy, Some(current)) {
        let (t, deciders) = can_allocate(alloc, copy, node);
        let lighter = weight <= current_weight;
        let improves = lighter && current_weight - weight > threshold;
        if improves && rank(t) > rank(best) {
            best = t;
            target = Some(node);
        }
        let entry = (node, t, deciders);
        if improves {
            better.push(entry);
        } else if lighter {
            same.push(entry);
        } else {
            worse.push(entry);
        }
    }
    let mut results = Vec::new();
    let mut ranking = 0;
    for (node, t, deciders) in better {
        ranking += 1;
        results.push(NodeResult {
            node,
            decision: AllocationDecision::from_decision_type(t),
            deciders,
            weight_ranking: ranking,
            store: None,
        });
    }
    ranking += 1;
    let current_ranking = ranking;
    let not_better = |t: DecisionType| {
        if t == DecisionType::No {
            AllocationDecision::No
        } else {
            AllocationDecision::WorseBalance
        }
    };
    for (node, t, deciders) in same {
        results.push(NodeResult {
            node,
            decision: not_better(t),
            deciders,
            weight_ranking: current_ranking,
            store: None,
        });
    }
    for (node, t, deciders) in worse {
        ranking += 1;
        results.push(NodeResult {
            node,
            decision: not_better(t),
            deciders,
            weight_ranking: ranking,
            store: None,
        });
    }
    let any_yes = results
        .iter()
        .any(|r| r.decision == AllocationDecision::Yes);
    let (to_other, target) = if cluster == DecisionType::Yes {
        (AllocationDecision::from_decision_type(best), target)
    } else {
        (AllocationDecision::from_decision_type(cluster), None)
    };
    let explanation = match cluster {
        DecisionType::No if any_yes => ex::REBALANCE_CANNOT_REBALANCE_CAN_ALLOCATE,
        DecisionType::No => ex::REBALANCE_CANNOT_REBALANCE_CANNOT_ALLOCATE,
        DecisionType::Throttle => ex::REBALANCE_CLUSTER_THROTTLE,
        DecisionType::Yes => match target {
            Some(_) if best == DecisionType::Throttle => ex::REBALANCE_NODE_THROTTLE,
            Some(_) => ex::REBALANCE_YES,
            None => ex::REBALANCE_ALREADY_BALANCED,
        },
    };
    let mut out = Map::new();
    if let Some(node) = target {
        out.insert("target_node".into(), Value::Object(node_json(node, true)));
    }
    out.insert("can_remain_on_current_node".into(), json!("yes"));
    let cluster_decision = AllocationDecision::from_decision_type(cluster);
    out.insert(
        "can_rebalance_cluster".into(),
        json!(cluster_decision.as_str()),
    );
    if cluster != DecisionType::Yes {
        let decisions = decisions_json(&cluster_decisions, include_yes);
        if !decisions.is_empty() {
            out.insert(
                "can_rebalance_cluster_decisions".into(),
                Value::Array(decisions),
            );
        }
    }
    out.insert(
        "can_rebalance_to_other_node".into(),
        json!(to_other.as_str()),
    );
    out.insert("rebalance_explanation".into(), json!(explanation));
    if !results.is_empty() {
        out.insert(
            "node_allocation_decisions".into(),
            Value::Array(node_results_json(results, include_yes)),
        );
    }
    (out, current_ranking)
}
