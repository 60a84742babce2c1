//! Allocation deciders, one small function each, mirroring Elasticsearch's
//! `SameShardAllocationDecider`, `ReplicaAfterPrimaryActiveAllocationDecider`,
//! `NodeRoles` (data role), `EnableAllocationDecider`, `FilterAllocationDecider`,
//! `MaxRetryAllocationDecider` and `ThrottlingAllocationDecider`; the lists asked for
//! allocation (`can_allocate`) and for staying (`can_remain`).
//!
//! Owns: the rules. Must not mutate anything; each reads the state and answers.

use super::routing_nodes::Allocation;
use super::{Decision, DecisionType};
use crate::cluster_state::DiscoveryNode;
use crate::index_metadata::IndexMetadata;
use crate::shard_routing::ShardRouting;

/// Default `cluster.routing.allocation.node_concurrent_recoveries`.
pub const DEFAULT_NODE_CONCURRENT_RECOVERIES: usize = 2;
/// Default `cluster.routing.allocation.node_initial_primaries_recoveries`.
pub const DEFAULT_NODE_INITIAL_PRIMARIES_RECOVERIES: usize = 4;

/// Only nodes with a data role hold shards.
pub fn data_node(_state: &Allocation, _shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    if node.is_data_node() {
        Decision::yes("data_node", "node has a data role")
    } else {
        Decision::no(
            "data_node",
            "node does not have a data role and cannot hold shards",
        )
    }
}

/// No two copies of one shard on one node.
pub fn same_shard(state: &Allocation, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    let clash = state
        .routing_table
        .shard_copies(&shard.shard_id)
        .iter()
        .any(|c| c.is_on_node(&node.id) && c.allocation_id != shard.allocation_id);
    if clash {
        Decision::no(
            "same_shard",
            format!(
                "a copy of this shard is already allocated to this node [{}]",
                shard.shard_id
            ),
        )
    } else {
        Decision::yes("same_shard", "this node does not hold a copy of this shard")
    }
}

/// A replica waits for its primary to be active.
pub fn replica_after_primary_active(
    state: &Allocation,
    shard: &ShardRouting,
    _node: &DiscoveryNode,
) -> Decision {
    if shard.primary
        || state
            .routing_table
            .active_primary(&shard.shard_id)
            .is_some()
    {
        Decision::yes(
            "replica_after_primary_active",
            "primary shard for this replica is already active",
        )
    } else {
        Decision::no(
            "replica_after_primary_active",
            "primary shard for this replica is not yet active",
        )
    }
}

/// `cluster.routing.allocation.enable` / `index.routing.allocation.enable`.
pub fn enable(state: &Allocation, shard: &ShardRouting, _node: &DiscoveryNode) -> Decision {
    let index_value = state
        .index(&shard.shard_id.index)
        .and_then(|m| m.settings.get_str("index.routing.allocation.enable"));
    let (value, scope) = match index_value {
        Some(v) => (v, "index setting [index.routing.allocation.enable=%]"),
        None => (
            state
                .metadata
                .cluster_setting("cluster.routing.allocation.enable")
                .unwrap_or_else(|| "all".into()),
            "cluster setting [cluster.routing.allocation.enable=%]",
        ),
    };
    let fresh_primary = shard.primary
        && state
            .index(&shard.shard_id.index)
            .map(|m| m.in_sync_ids(shard.shard_id.shard).is_empty())
            .unwrap_or(true);
    let allowed = match value.as_str() {
        "none" => false,
        "primaries" => shard.primary,
        "new_primaries" => fresh_primary,
        _ => true,
    };
    let why = scope.replace('%', &value);
    if allowed {
        Decision::yes("enable", format!("all allocations are allowed by {why}"))
    } else {
        Decision::no("enable", format!("allocations are restricted by {why}"))
    }
}

fn node_value(node: &DiscoveryNode, attr: &str) -> Option<String> {
    match attr {
        "_name" => Some(node.name.clone()),
        "_id" => Some(node.id.0.clone()),
        "_ip" | "_host" | "_publish_ip" => {
            node.transport_address.split(':').next().map(str::to_string)
        }
        other => node.attributes.get(other).cloned(),
    }
}

fn filter_violation(
    settings: &quarry_types::Settings,
    prefix: &str,
    node: &DiscoveryNode,
) -> Option<String> {
    for (key, value) in settings.with_prefix(prefix) {
        let rest = &key[prefix.len()..];
        let Some((kind, attr)) = rest.split_once('.') else {
            continue;
        };
        if attr == "_tier_preference" || attr == "_tier" {
            continue;
        }
        let wanted: Vec<String> = quarry_types::settings::value_as_setting_string(value)
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let have = node_value(node, attr);
        let matches = have
            .as_deref()
            .map(|h| wanted.iter().any(|w| crate::templates::simple_match(w, h)))
            .unwrap_or(false);
        let violated = match kind {
            "require" => !matches,
            "include" => !matches,
            "exclude" => matches,
            _ => false,
        };
        if violated {
            return Some(format!(
                "node does not match [{key}] filters [{attr}:\"{}\"]",
                wanted.join(",")
            ));
        }
    }
    None
}

/// `index.routing.allocation.{require,include,exclude}.*` and the cluster-level equivalents.
pub fn filter(state: &Allocation, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    if let Some(meta) = state.index(&shard.shard_id.index) {
        if let Some(why) = filter_violation(&meta.settings, "index.routing.allocation.", node) {
            return Decision::no("filter", why);
        }
    }
    if let Some(why) = filter_violation(
        &state.routing_nodes.cluster_settings,
        "cluster.routing.allocation.",
        node,
    ) {
        return Decision::no("filter", why);
    }
    Decision::yes("filter", "node passes include/exclude/require filters")
}

/// Gives up after `index.allocation.max_retries` failed attempts.
pub fn max_retry(state: &Allocation, shard: &ShardRouting, _node: &DiscoveryNode) -> Decision {
    let max = state
        .index(&shard.shard_id.index)
        .map(IndexMetadata::max_retries)
        .unwrap_or(5);
    let failed = shard
        .unassigned_info
        .as_ref()
        .map(|i| i.failed_allocations)
        .unwrap_or(0);
    if failed >= max {
        Decision::no(
            "max_retry",
            format!("shard has exceeded the maximum number of retries [{max}] on failed allocation attempts"),
        )
    } else {
        Decision::yes(
            "max_retry",
            format!("shard has failed allocating [{failed}] times"),
        )
    }
}

fn cluster_usize(state: &Allocation, key: &str, default: usize) -> usize {
    state
        .metadata
        .cluster_setting(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Limits concurrent recoveries per node: initial primary recoveries on the target, and
/// incoming / outgoing peer recoveries (replicas and relocations) on target and source.
pub fn throttling(state: &Allocation, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    let target = state.routing_nodes.node(&node.id);
    if shard.primary && shard.unassigned() {
        let limit = cluster_usize(
            state,
            "cluster.routing.allocation.node_initial_primaries_recoveries",
            DEFAULT_NODE_INITIAL_PRIMARIES_RECOVERIES,
        );
        let current = target.initializing_primaries;
        if current >= limit {
            return Decision::throttle(
                "throttling",
                format!("reached the limit of ongoing initial primary recoveries [{current}], cluster setting [cluster.routing.allocation.node_initial_primaries_recoveries={limit}]"),
            );
        }
        return Decision::yes("throttling", "below primary recovery limit");
    }
    let limit = cluster_usize(
        state,
        "cluster.routing.allocation.node_concurrent_recoveries",
        DEFAULT_NODE_CONCURRENT_RECOVERIES,
    );
    let incoming_limit = cluster_usize(
        state,
        "cluster.routing.allocation.node_concurrent_incoming_recoveries",
        limit,
    );
    let outgoing_limit = cluster_usize(
        state,
        "cluster.routing.allocation.node_concurrent_outgoing_recoveries",
        limit,
    );
    if target.incoming >= incoming_limit {
        return Decision::throttle(
            "throttling",
            format!("reached the limit of incoming shard recoveries [{}], cluster setting [cluster.routing.allocation.node_concurrent_incoming_recoveries={incoming_limit}] (can also be set via [cluster.routing.allocation.node_concurrent_recoveries])", target.incoming),
        );
    }
    // The source: the copy's own node when it moves, else the node of the active primary.
    let source = if shard.started() {
        shard.current_node.clone()
    } else {
        state
            .routing_table
            .active_primary(&shard.shard_id)
            .and_then(|p| p.current_node.clone())
    };
    if let Some(source) = source {
        let outgoing = state.routing_nodes.node(&source).outgoing;
        if outgoing >= outgoing_limit {
            return Decision::throttle(
                "throttling",
                format!("reached the limit of outgoing shard recoveries [{outgoing}] on the node [{source}] which holds the primary, cluster setting [cluster.routing.allocation.node_concurrent_outgoing_recoveries={outgoing_limit}] (can also be set via [cluster.routing.allocation.node_concurrent_recoveries])"),
            );
        }
    }
    Decision::yes("throttling", "below shard recovery limit")
}

pub type Decider = fn(&Allocation, &ShardRouting, &DiscoveryNode) -> Decision;

/// All deciders in the order they are asked.
pub const ALL_DECIDERS: &[Decider] = &[
    data_node,
    max_retry,
    replica_after_primary_active,
    enable,
    filter,
    same_shard,
    super::awareness::awareness,
    super::shards_limit::shards_limit,
    super::data_tier::data_tier,
    throttling,
];

/// Deciders asked whether a started copy may stay on its node (`canRemain`); a NO makes the
/// balancer move it (exclusion filters, lost tier, awareness, shard limits).
pub const REMAIN_DECIDERS: &[Decider] = &[
    filter,
    super::awareness::awareness,
    super::shards_limit::shards_limit_remain,
    super::data_tier::data_tier,
];

/// Combines the deciders: the first NO wins, else THROTTLE if any throttles, else YES.
/// Returns the combined type and every individual decision.
pub fn can_allocate(
    state: &Allocation,
    shard: &ShardRouting,
    node: &DiscoveryNode,
) -> (DecisionType, Vec<Decision>) {
    combine(ALL_DECIDERS, state, shard, node)
}

/// Whether a started copy may stay on `node` (its current node).
pub fn can_remain(
    state: &Allocation,
    shard: &ShardRouting,
    node: &DiscoveryNode,
) -> (DecisionType, Vec<Decision>) {
    combine(REMAIN_DECIDERS, state, shard, node)
}

/// Runs `deciders`: the first NO wins, else THROTTLE if any throttles, else YES.
pub fn combine(
    deciders: &[Decider],
    state: &Allocation,
    shard: &ShardRouting,
    node: &DiscoveryNode,
) -> (DecisionType, Vec<Decision>) {
    let mut all = Vec::with_capacity(deciders.len());
    let mut outcome = DecisionType::Yes;
    for decider in deciders {
        let d = decider(state, shard, node);
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

#[cfg(test)]
#[path = "deciders_test.rs"]
mod deciders_test;
