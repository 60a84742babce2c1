//! Shard allocation: deciders (small rules that say YES / NO / THROTTLE with an explanation),
//! `reroute` (assign unassigned copies, move copies that may not stay, rebalance), and shard failure
//! handling (promotion of an in-sync replica, primary terms, in-sync sets).
//!
//! Owns: where shard copies go. Pure: the caller passes `now` and an id generator. Must not
//! change index metadata other than primary terms and in-sync allocation ids.

pub mod allocation_settings;
pub mod awareness;
pub mod balancer;
pub mod command_execution;
pub mod commands;
pub mod data_tier;
pub mod deciders;
pub mod disk_threshold;
pub mod explain;
pub mod explain_decisions;
pub mod explain_started;
pub mod rebalance;
mod reroute;
pub mod routing_nodes;
mod shard_failure;
pub mod shards_limit;

pub use reroute::{next_delayed_allocation_millis, reroute};
pub use routing_nodes::{Allocation, RoutingNodes};
pub use shard_failure::{fail_shard_copy, normalize_in_sync_allocations};

use serde::Serialize;

/// Combines decisions: any NO makes NO, else any THROTTLE makes THROTTLE, else YES; every
/// decision is kept (explain shows them).
pub fn fold_decisions(decisions: impl Iterator<Item = Decision>) -> (DecisionType, Vec<Decision>) {
    let mut outcome = DecisionType::Yes;
    let mut all = Vec::new();
    for d in decisions {
        match d.decision {
            DecisionType::No => outcome = DecisionType::No,
            DecisionType::Throttle if outcome == DecisionType::Yes => {
                outcome = DecisionType::Throttle
            }
            _ => {}
        }
        all.push(d);
    }
    (outcome, all)
}

/// The answer of one decider for one copy on one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum DecisionType {
    Yes,
    No,
    Throttle,
}

/// A decider's verdict and why (`_cluster/allocation/explain` shows these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub decider: &'static str,
    pub decision: DecisionType,
    /// Static for the common answers, so asking 100,000 copies allocates nothing.
    pub explanation: std::borrow::Cow<'static, str>,
}

impl Decision {
    pub fn yes(
        decider: &'static str,
        explanation: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Self {
        Decision {
            decider,
            decision: DecisionType::Yes,
            explanation: explanation.into(),
        }
    }
    pub fn no(
        decider: &'static str,
        explanation: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Self {
        Decision {
            decider,
            decision: DecisionType::No,
            explanation: explanation.into(),
        }
    }
    pub fn throttle(
        decider: &'static str,
        explanation: impl Into<std::borrow::Cow<'static, str>>,
    ) -> Self {
        Decision {
            decider,
            decision: DecisionType::Throttle,
            explanation: explanation.into(),
        }
    }
}
