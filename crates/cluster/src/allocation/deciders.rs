//! Allocation deciders, one small function each, mirroring Elasticsearch's
//! `SameShardAllocationDecider`, `ReplicaAfterPrimaryActiveAllocationDecider`,
//! `NodeRoles` (data role), `EnableAllocationDecider`, `FilterAllocationDecider`,
//! `MaxRetryAllocationDecider` and `ThrottlingAllocationDecider`.
//!
//! Owns: the rules. Must not mutate anything; each reads the state and answers.

use super::{Decision, DecisionType};
use crate::cluster_state::{ClusterState, DiscoveryNode};
use crate::index_metadata::IndexMetadata;
use crate::shard_routing::ShardRouting;

/// Default `cluster.routing.allocation.node_concurrent_recoveries`.
pub const DEFAULT_NODE_CONCURRENT_RECOVERIES: usize = 2;
/// Default `cluster.routing.allocation.node_initial_primaries_recoveries`.
pub const DEFAULT_NODE_INITIAL_PRIMARIES_RECOVERIES: usize = 4;

/// Only nodes with a data role hold shards.
pub fn data_node(_state: &ClusterState, _shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
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
pub fn same_shard(state: &ClusterState, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
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
    state: &ClusterState,
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
pub fn enable(state: &ClusterState, shard: &ShardRouting, _node: &DiscoveryNode) -> Decision {
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
pub fn filter(state: &ClusterState, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    if let Some(meta) = state.index(&shard.shard_id.index) {
        if let Some(why) = filter_violation(&meta.settings, "index.routing.allocation.", node) {
            return Decision::no("filter", why);
        }
    }
    let mut cluster = state.metadata.persistent_settings.clone();
    cluster.merge(&state.metadata.transient_settings);
    if let Some(why) = filter_violation(&cluster, "cluster.routing.allocation.", node) {
        return Decision::no("filter", why);
    }
    Decision::yes("filter", "node passes include/exclude/require filters")
}

/// Gives up after `index.allocation.max_retries` failed attempts.
pub fn max_retry(state: &ClusterState, shard: &ShardRouting, _node: &DiscoveryNode) -> Decision {
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

fn cluster_usize(state: &ClusterState, key: &str, default: usize) -> usize {
    state
        .metadata
        .cluster_setting(key)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Limits concurrent recoveries per node.
pub fn throttling(state: &ClusterState, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    let on_node = state.routing_table.shards_on_node(&node.id);
    if shard.primary {
        let limit = cluster_usize(
            state,
            "cluster.routing.allocation.node_initial_primaries_recoveries",
            DEFAULT_NODE_INITIAL_PRIMARIES_RECOVERIES,
        );
        let current = on_node
            .iter()
            .filter(|c| c.primary && c.initializing())
            .count();
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
    let incoming = on_node
        .iter()
        .filter(|c| !c.primary && c.initializing())
        .count();
    if incoming >= limit {
        return Decision::throttle(
            "throttling",
            format!("reached the limit of incoming shard recoveries [{incoming}], cluster setting [cluster.routing.allocation.node_concurrent_incoming_recoveries={limit}]"),
        );
    }
    if let Some(primary_node) = state
        .routing_table
        .active_primary(&shard.shard_id)
        .and_then(|p| p.current_node.clone())
    {
        let outgoing = state
            .routing_table
            .all_copies()
            .filter(|c| !c.primary && c.initializing())
            .filter(|c| {
                state
                    .routing_table
                    .active_primary(&c.shard_id)
                    .and_then(|p| p.current_node.as_ref())
                    == Some(&primary_node)
            })
            .count();
        if outgoing >= limit {
            return Decision::throttle(
                "throttling",
                format!("reached the limit of outgoing shard recoveries [{outgoing}] on the node [{primary_node}] which holds the primary"),
            );
        }
    }
    Decision::yes("throttling", "below shard recovery limit")
}

type Decider = fn(&ClusterState, &ShardRouting, &DiscoveryNode) -> Decision;

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
    throttling,
];

/// Combines the deciders: the first NO wins, else THROTTLE if any throttles, else YES.
/// Returns the combined type and every individual decision.
pub fn can_allocate(
    state: &ClusterState,
    shard: &ShardRouting,
    node: &DiscoveryNode,
) -> (DecisionType, Vec<Decision>) {
    let mut all = Vec::with_capacity(ALL_DECIDERS.len());
    let mut outcome = DecisionType::Yes;
    for decider in ALL_DECIDERS {
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
