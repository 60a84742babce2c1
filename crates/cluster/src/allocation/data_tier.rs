//! The `data_tier` decider (Elasticsearch's `DataTierAllocationDecider`): an index with
//! `index.routing.allocation.include._tier_preference: data_warm,data_hot` goes to nodes of
//! the first listed tier that has any data node in the cluster; a node with the generic `data`
//! role belongs to every tier. When no listed tier has a node, the copy stays unassigned.
//! Asked both for allocation and for staying (a copy whose tier appears moves there).
//!
//! Pure; owns only this rule.

use super::routing_nodes::Allocation;
use super::Decision;
use crate::{DiscoveryNode, ShardRouting};

const NAME: &str = "data_tier";
pub const TIER_PREFERENCE: &str = "index.routing.allocation.include._tier_preference";

/// The tier roles Elasticsearch knows.
const TIERS: &[&str] = &[
    "data_content",
    "data_hot",
    "data_warm",
    "data_cold",
    "data_frozen",
];

fn in_tier(roles: &std::collections::BTreeSet<String>, tier: &str) -> bool {
    roles.contains("data") || roles.contains(tier)
}

/// Whether `node` belongs to the preferred tier of the copy's index.
pub fn data_tier(state: &Allocation, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    let preference: Vec<String> = state
        .index(&shard.shard_id.index)
        .and_then(|m| m.settings.get_str(TIER_PREFERENCE))
        .map(|v| {
            v.split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if preference.is_empty() {
        return Decision::yes(NAME, "index has no tier preference");
    }
    let present = &state.routing_nodes.data_roles;
    let has_generic_data = present.contains("data");
    let first = preference
        .iter()
        .find(|t| TIERS.contains(&t.as_str()) && (has_generic_data || present.contains(*t)));
    let Some(tier) = first else {
        return Decision::no(
            NAME,
            format!(
                "index has a preference for tiers [{}], but no nodes for any of those tiers are available in the cluster",
                preference.join(",")
            ),
        );
    };
    if in_tier(&node.roles, tier) {
        Decision::yes(
            NAME,
            format!(
                "index has a preference for tiers [{}] and node has tier [{tier}]",
                preference.join(",")
            ),
        )
    } else {
        Decision::no(
            NAME,
            format!(
                "index has a preference for tiers [{}] and node does not meet the required [{tier}] tier",
                preference.join(",")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::allocation::DecisionType;
    use crate::test_support::{cluster, node, run};
    use crate::{ClusterCommand, ClusterState};
    use quarry_types::{NodeId, ShardId};
    use serde_json::json;

    fn tiered(preference: &str) -> ClusterState {
        let mut s = cluster(&[]);
        for (id, role) in [("hot", "data_hot"), ("warm", "data_warm")] {
            s = run(&s, ClusterCommand::AddNode(node(id, &["master", role])));
        }
        s = run(&s, ClusterCommand::ElectMaster(NodeId("hot".into())));
        run(
            &s,
            crate::test_support::create_cmd(
                "logs",
                json!({"number_of_shards": 1, "number_of_replicas": 0, "routing.allocation.include._tier_preference": preference}),
            ),
        )
    }

    fn primary_node(s: &ClusterState) -> Option<NodeId> {
        s.routing_table.shard_copies(&ShardId::new("logs", 0))[0]
            .current_node
            .clone()
    }

    #[test]
    fn the_first_tier_with_nodes_wins() {
        assert_eq!(
            primary_node(&tiered("data_warm,data_hot")),
            Some(NodeId("warm".into()))
        );
        assert_eq!(
            primary_node(&tiered("data_cold,data_hot")),
            Some(NodeId("hot".into()))
        );
    }

    #[test]
    fn no_node_of_any_listed_tier_leaves_the_copy_unassigned() {
        let s = tiered("data_frozen");
        assert_eq!(primary_node(&s), None);
        let copy = s.routing_table.shard_copies(&ShardId::new("logs", 0))[0].clone();
        let d = data_tier(&Allocation::of(&s), &copy, &s.nodes[&NodeId("hot".into())]);
        assert_eq!(d.decision, DecisionType::No);
        assert!(d.explanation.contains("no nodes for any of those tiers"));
    }

    #[test]
    fn a_generic_data_node_is_in_every_tier() {
        let s = tiered("data_warm");
        let generic = crate::test_support::data_node("any");
        let copy = s.routing_table.shard_copies(&ShardId::new("logs", 0))[0].clone();
        let d = data_tier(&Allocation::of(&s), &copy, &generic);
        assert_eq!(d.decision, DecisionType::Yes);
    }
}
