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

/// `cluster.routing.allocation.same_shard.host`: also keep copies off other nodes of one host.
pub const SAME_SHARD_HOST: &str = "cluster.routing.allocation.same_shard.host";

fn host_of(node: &DiscoveryNode) -> &str {
    node.transport_address
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(&node.transport_address)
}

/// No two copies of one shard on one node (nor on one host with `same_shard.host`).
pub fn same_shard(state: &Allocation, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    let others = || {
        state
            .routing_table
            .shard_copies(&shard.shard_id)
            .iter()
            .filter(|c| c.allocation_id != shard.allocation_id || c.allocation_id.is_none())
            .filter(|c| !c.unassigned())
    };
    if others().any(|c| c.is_on_node(&node.id)) {
        return Decision::no(
            "same_shard",
            format!(
                "a copy of this shard is already allocated to this node [{}]",
                shard.shard_id
            ),
        );
    }
    let by_host = state
        .metadata
        .cluster_setting(SAME_SHARD_HOST)
        .is_some_and(|v| v == "true");
    if by_host {
        let host = host_of(node);
        let clash = others()
            .flat_map(|c| [c.current_node.as_ref(), c.relocating_node.as_ref()])
            .flatten()
            .filter(|n| **n != node.id)
            .filter_map(|n| state.nodes.get(n))
            .find(|n| host_of(n) == host);
        if let Some(other) = clash {
            return Decision::no(
                "same_shard",
                format!(
                    "cannot allocate this shard to this node because a copy of this shard is already allocated to node [{}] with the same host address [{host}] and [{SAME_SHARD_HOST}] is [true] which forbids more than one node on each host from holding a copy of this shard",
                    other.id
                ),
            );
        }
    }
    Decision::yes("same_shard", "this node does not hold a copy of this shard")
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

pub(crate) fn filter_violation(
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
    if let Some(why) = state.routing_nodes.cluster_filter_violation(node) {
        return Decision::no("filter", why);
    }
    Decision::yes("filter", "node passes include/exclude/require filters")
}

/// Quarry-specific, until peer recovery exists (issue 5): a started primary is never moved,
/// because its target would start without the primary's documents. Replicas move freely (they
/// start empty today anyway), so rebalancing and draining work through replicas.
pub fn primary_relocation(
    _state: &Allocation,
    shard: &ShardRouting,
    _node: &DiscoveryNode,
) -> Decision {
    if shard.primary && shard.active() {
        Decision::no(
            "primary_relocation",
            "moving a started primary needs peer recovery of its documents, which this version of Quarry does not provide yet; the primary stays on its node",
        )
    } else {
        Decision::yes("primary_relocation", "the shard is not a started primary")
    }
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
        if failed == 0 {
            return Decision::yes("max_retry", "shard has no previous failures");
        }
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

fn outgoing_limit(state: &Allocation) -> usize {
    let limit = cluster_usize(
        state,
        "cluster.routing.allocation.node_concurrent_recoveries",
        DEFAULT_NODE_CONCURRENT_RECOVERIES,
    );
    cluster_usize(
        state,
        "cluster.routing.allocation.node_concurrent_outgoing_recoveries",
        limit,
    )
}

/// Whether `source` already sends as many recoveries as allowed, so moving any copy off it
/// would be throttled on every target (lets `reroute` skip asking 100 nodes per copy).
pub fn outgoing_exhausted(state: &Allocation, source: &quarry_types::NodeId) -> bool {
    state.routing_nodes.node(source).outgoing >= outgoing_limit(state)
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
    let outgoing_limit = outgoing_limit(state);
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
    primary_relocation,
    max_retry,
    replica_after_primary_active,
    enable,
    filter,
    same_shard,
    super::awareness::awareness,
    super::shards_limit::shards_limit,
    super::data_tier::data_tier,
    super::disk_threshold::disk_threshold,
    throttling,
];

/// Deciders asked whether a started copy may stay on its node (`canRemain`); a NO makes the
/// balancer move it (exclusion filters, lost tier, awareness, shard limits).
pub const REMAIN_DECIDERS: &[Decider] = &[
    filter,
    super::awareness::awareness,
    super::shards_limit::shards_limit_remain,
    super::data_tier::data_tier,
    super::disk_threshold::disk_threshold_remain,
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

/// Whether any remain decider could refuse a copy on `node` (the node part; see
/// `remain_may_refuse_index`): false for both lets `reroute` skip asking for each of the
/// 100,000 copies of a large cluster when no filter, awareness, shard limit, tier preference or
/// disk pressure applies. Together they must say true whenever one of `REMAIN_DECIDERS` might
/// say NO. Cluster-level filters depend on the node only (cached).
pub fn remain_may_refuse_on(state: &Allocation, node: &DiscoveryNode) -> bool {
    state.routing_nodes.cluster_filter_violation(node).is_some()
        || super::disk_threshold::above_high(state, &node.id)
}

/// The index part: settings of the index or cluster-wide rules that may
/// refuse a copy of it on any node.
pub fn remain_may_refuse_index(state: &Allocation, index: &crate::IndexMetadata) -> bool {
    const INDEX_KEYS: &[&str] = &[
        "index.routing.allocation.require.",
        "index.routing.allocation.include.",
        "index.routing.allocation.exclude.",
        super::shards_limit::INDEX_LIMIT,
    ];
    // Tier preferences only refuse when some data node lacks the generic `data` role.
    if !state.routing_nodes.all_tiers_everywhere
        && index
            .settings
            .with_prefix(super::data_tier::TIER_PREFERENCE)
            .next()
            .is_some()
    {
        return true;
    }
    const CLUSTER_KEYS: &[&str] = &[
        super::shards_limit::CLUSTER_LIMIT,
        super::awareness::ATTRIBUTES,
    ];
    let cluster = &state.routing_nodes.cluster_settings;
    // `include._tier_preference` is the tier decider's (handled above), not a filter.
    let present = |settings: &quarry_types::Settings, prefix: &str| {
        settings
            .with_prefix(prefix)
            .any(|(k, _)| !k.ends_with("._tier_preference") && !k.ends_with("._tier"))
    };
    INDEX_KEYS.iter().any(|k| present(&index.settings, k))
        || CLUSTER_KEYS.iter().any(|k| present(cluster, k))
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
    super::fold_decisions(deciders.iter().map(|d| d(state, shard, node)))
}

#[cfg(test)]
#[path = "deciders_test.rs"]
mod deciders_test;
