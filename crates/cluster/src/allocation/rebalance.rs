//! Deciders asked before a started copy is moved only for balance (Elasticsearch's
//! `canRebalance`): `enable` for rebalancing (`cluster.routing.rebalance.enable`,
//! `index.routing.rebalance.enable`: all, primaries, replicas, none),
//! `cluster_rebalance` (`cluster.routing.allocation.allow_rebalance`: always,
//! indices_primaries_active, indices_all_active) and `concurrent_rebalance`
//! (`cluster.routing.allocation.cluster_concurrent_rebalance`, default 2, -1 unlimited).
//!
//! Pure; owns only these rules. Moves forced by `can_remain` do not ask them.

use super::routing_nodes::Allocation;
use super::{Decision, DecisionType};
use crate::ShardRouting;

pub const REBALANCE_ENABLE: &str = "cluster.routing.rebalance.enable";
pub const INDEX_REBALANCE_ENABLE: &str = "index.routing.rebalance.enable";
pub const ALLOW_REBALANCE: &str = "cluster.routing.allocation.allow_rebalance";
pub const CONCURRENT_REBALANCE: &str = "cluster.routing.allocation.cluster_concurrent_rebalance";

pub fn rebalance_enable(state: &Allocation, shard: &ShardRouting) -> Decision {
    let index_value = state
        .index(&shard.shard_id.index)
        .and_then(|m| m.settings.get_str(INDEX_REBALANCE_ENABLE));
    let (value, scope) = match index_value {
        Some(v) => (v, INDEX_REBALANCE_ENABLE),
        None => (
            state
                .metadata
                .cluster_setting(REBALANCE_ENABLE)
                .unwrap_or_else(|| "all".into()),
            REBALANCE_ENABLE,
        ),
    };
    let allowed = match value.as_str() {
        "none" => false,
        "primaries" => shard.primary,
        "replicas" => !shard.primary,
        _ => true,
    };
    if allowed {
        Decision::yes(
            "enable",
            format!("all rebalancing is allowed by [{scope}={value}]"),
        )
    } else {
        Decision::no(
            "enable",
            format!("rebalancing is not allowed by [{scope}={value}]"),
        )
    }
}

pub fn cluster_rebalance(state: &Allocation, _shard: &ShardRouting) -> Decision {
    let value = state
        .metadata
        .cluster_setting(ALLOW_REBALANCE)
        .unwrap_or_else(|| "indices_all_active".into());
    let (ok, why) = match value.as_str() {
        "always" => (true, "always"),
        "indices_primaries_active" => (
            state.routing_nodes.inactive_primaries == 0,
            "all primary shards are active",
        ),
        _ => (
            state.routing_nodes.inactive_primaries == 0
                && state.routing_nodes.inactive_replicas == 0,
            "all shards are active",
        ),
    };
    if ok {
        Decision::yes(
            "cluster_rebalance",
            format!("rebalancing is allowed as {why} ([{ALLOW_REBALANCE}={value}])"),
        )
    } else {
        Decision::no(
            "cluster_rebalance",
            format!(
                "the cluster has inactive shards and cluster setting [{ALLOW_REBALANCE}={value}]"
            ),
        )
    }
}

pub fn concurrent_rebalance(state: &Allocation, _shard: &ShardRouting) -> Decision {
    let limit: i64 = state
        .metadata
        .cluster_setting(CONCURRENT_REBALANCE)
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(2);
    let relocating = state.routing_nodes.relocating;
    if limit >= 0 && relocating as i64 >= limit {
        Decision::throttle(
            "concurrent_rebalance",
            format!("reached the limit of concurrently rebalancing shards [{relocating}] for cluster setting [{CONCURRENT_REBALANCE}={limit}]"),
        )
    } else {
        Decision::yes(
            "concurrent_rebalance",
            format!("below threshold [{limit}] for concurrent rebalances, current rebalance shard count [{relocating}]"),
        )
    }
}

type RebalanceDecider = fn(&Allocation, &ShardRouting) -> Decision;

const REBALANCE_DECIDERS: &[RebalanceDecider] =
    &[rebalance_enable, cluster_rebalance, concurrent_rebalance];

/// Whether `shard` may be moved for balance; the first NO wins, then THROTTLE.
pub fn can_rebalance(state: &Allocation, shard: &ShardRouting) -> (DecisionType, Vec<Decision>) {
    super::fold_decisions(REBALANCE_DECIDERS.iter().map(|d| d(state, shard)))
}
