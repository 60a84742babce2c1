//! The `shards_limit` decider (Elasticsearch's `ShardsLimitAllocationDecider`): at most
//! `index.routing.allocation.total_shards_per_node` copies of one index and
//! `cluster.routing.allocation.total_shards_per_node` copies in all on a node (`-1`, the
//! default, is unlimited). Pure; owns only this rule.

use super::routing_nodes::Allocation;
use super::Decision;
use crate::{DiscoveryNode, ShardRouting};

const NAME: &str = "shards_limit";
pub const INDEX_LIMIT: &str = "index.routing.allocation.total_shards_per_node";
pub const CLUSTER_LIMIT: &str = "cluster.routing.allocation.total_shards_per_node";

fn limit(value: Option<String>) -> Option<usize> {
    value
        .and_then(|v| v.trim().parse::<i64>().ok())
        .and_then(|n| usize::try_from(n).ok())
}

/// Whether one more copy of `shard` fits on `node` under both limits.
pub fn shards_limit(state: &Allocation, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    check(state, shard, node, 0)
}

/// Whether a copy already on `node` may stay: only a count above the limit says NO.
pub fn shards_limit_remain(
    state: &Allocation,
    shard: &ShardRouting,
    node: &DiscoveryNode,
) -> Decision {
    check(state, shard, node, 1)
}

/// `included`: how many of the counted copies are `shard` itself (1 when it is already there).
fn check(
    state: &Allocation,
    shard: &ShardRouting,
    node: &DiscoveryNode,
    included: usize,
) -> Decision {
    let index_limit = limit(
        state
            .index(&shard.shard_id.index)
            .and_then(|m| m.settings.get_str(INDEX_LIMIT)),
    );
    let cluster_limit = limit(state.metadata.cluster_setting(CLUSTER_LIMIT));
    if index_limit.is_none() && cluster_limit.is_none() {
        return Decision::yes(
            NAME,
            "total shard limits are disabled: [index: -1, cluster: -1] <= 0",
        );
    }
    let counts = state.routing_nodes.node(&node.id);
    let node_count = counts.owning().saturating_sub(included);
    if let Some(max) = cluster_limit {
        if node_count >= max {
            return Decision::no(
                NAME,
                format!(
                    "too many shards [{}] allocated to this node, cluster setting [{CLUSTER_LIMIT}={max}]",
                    node_count + included
                ),
            );
        }
    }
    let index_count = state
        .routing_nodes
        .of_index(&node.id, &shard.shard_id.index)
        .saturating_sub(included);
    if let Some(max) = index_limit {
        if index_count >= max {
            return Decision::no(
                NAME,
                format!(
                    "too many shards [{}] allocated to this node for index [{}], index setting [{INDEX_LIMIT}={max}]",
                    index_count + included,
                    shard.shard_id.index
                ),
            );
        }
    }
    let show = |l: Option<usize>| l.map_or("-1".to_string(), |n| n.to_string());
    Decision::yes(
        NAME,
        format!(
            "the shard count [{index_count}] for this node is under the index limit [{}] and cluster level node limit [{}]",
            show(index_limit),
            show(cluster_limit)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocation::DecisionType;
    use crate::test_support::{cluster, create, start_all};
    use quarry_types::NodeId;

    #[test]
    fn the_index_limit_caps_copies_of_one_index_per_node() {
        let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 4, 0));
        let n1 = s.nodes[&NodeId("n1".into())].clone();
        let copy = s.routing_table.all_copies().next().unwrap().clone();
        assert_eq!(
            shards_limit(&Allocation::of(&s), &copy, &n1).decision,
            DecisionType::Yes
        );
        let on_n1 = s.routing_table.shards_on_node(&n1.id).len();
        assert!(on_n1 >= 1);
        let mut limited = s.clone();
        if let Some(meta) = limited
            .metadata
            .indices
            .get_mut("logs")
            .map(std::sync::Arc::make_mut)
        {
            meta.settings
                .insert(INDEX_LIMIT, serde_json::json!(on_n1.to_string()));
        }
        let d = shards_limit(&Allocation::of(&limited), &copy, &n1);
        assert_eq!(d.decision, DecisionType::No, "{}", d.explanation);
        assert!(
            d.explanation.contains("for index [logs]"),
            "{}",
            d.explanation
        );
    }

    #[test]
    fn the_cluster_limit_counts_every_index() {
        let s = start_all(&create(
            &start_all(&create(&cluster(&["n1"]), "a", 1, 0)),
            "b",
            1,
            0,
        ));
        let n1 = s.nodes[&NodeId("n1".into())].clone();
        let copy = s.routing_table.all_copies().next().unwrap().clone();
        let mut limited = s.clone();
        limited
            .metadata
            .persistent_settings
            .insert(CLUSTER_LIMIT, serde_json::json!("2"));
        let d = shards_limit(&Allocation::of(&limited), &copy, &n1);
        assert_eq!(d.decision, DecisionType::No);
        assert!(d
            .explanation
            .contains("cluster setting [cluster.routing.allocation.total_shards_per_node=2]"));
        limited
            .metadata
            .persistent_settings
            .insert(CLUSTER_LIMIT, serde_json::json!("-1"));
        assert_eq!(
            shards_limit(&Allocation::of(&limited), &copy, &n1).decision,
            DecisionType::Yes
        );
    }
}
