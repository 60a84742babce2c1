//! The `awareness` decider (Elasticsearch's `AwarenessAllocationDecider`): with
//! `cluster.routing.allocation.awareness.attributes` set (e.g. `rack_id`, `zone`), the copies
//! of a shard are spread over the attribute's values: at most
//! `ceil(copies / number of values)` copies on nodes sharing one value. Forced awareness
//! (`cluster.routing.allocation.awareness.force.<attr>.values`) counts the listed values even
//! when no node has them yet, so copies are left unassigned rather than piled on the survivors.
//! Pure; owns only this rule.

use super::routing_nodes::Allocation;
use super::Decision;
use crate::{DiscoveryNode, ShardRouting};
use std::collections::BTreeSet;

const NAME: &str = "awareness";
pub const ATTRIBUTES: &str = "cluster.routing.allocation.awareness.attributes";

fn list(value: Option<String>) -> Vec<String> {
    value
        .map(|v| {
            v.trim_matches(|c| c == '[' || c == ']')
                .split(',')
                .map(|s| s.trim().trim_matches('"').to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether placing `shard` on `node` keeps its copies spread over every awareness attribute.
pub fn awareness(state: &Allocation, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    let attributes = list(state.metadata.cluster_setting(ATTRIBUTES));
    if attributes.is_empty() {
        return Decision::yes(
            NAME,
            "allocation awareness is not enabled, set cluster setting [cluster.routing.allocation.awareness.attributes] to enable it",
        );
    }
    let copies = state
        .index(&shard.shard_id.index)
        .map(|m| 1 + m.number_of_replicas as usize)
        .unwrap_or(1);
    for attribute in &attributes {
        let Some(value) = node.attributes.get(attribute) else {
            return Decision::no(
                NAME,
                format!(
                    "node does not contain the awareness attribute [{attribute}]; required attributes cluster setting [{ATTRIBUTES}={}]",
                    attributes.join(",")
                ),
            );
        };
        let mut values: BTreeSet<String> = state
            .nodes
            .values()
            .filter(|n| n.is_data_node())
            .filter_map(|n| n.attributes.get(attribute).cloned())
            .collect();
        let seen = values.len();
        let forced = list(state.metadata.cluster_setting(&format!(
            "cluster.routing.allocation.awareness.force.{attribute}.values"
        )));
        values.extend(forced.iter().cloned());
        // Copies of this shard already on nodes with this value, plus the one being placed.
        let same_value = state
            .routing_table
            .shard_copies(&shard.shard_id)
            .iter()
            .filter(|c| c.allocation_id != shard.allocation_id || shard.allocation_id.is_none())
            // A relocating copy counts where it is going.
            .filter_map(|c| c.relocating_node.as_ref().or(c.current_node.as_ref()))
            .filter_map(|id| state.nodes.get(id))
            .filter(|n| n.attributes.get(attribute) == Some(value))
            .count()
            + 1;
        let max = copies.div_ceil(values.len().max(1));
        if same_value > max {
            return Decision::no(
                NAME,
                format!(
                    "there are [{copies}] copies of this shard and [{}] values for attribute [{attribute}] ([{}] from nodes in the cluster and [{}] forced) so there may be at most [{max}] copies of this shard allocated to nodes with each value, but (including this copy) there would be [{same_value}] copies allocated to nodes with [node.attr.{attribute}: {value}]",
                    values.len(),
                    seen,
                    forced.join(", "),
                ),
            );
        }
    }
    Decision::yes(NAME, "node meets all awareness attribute requirements")
}

#[cfg(test)]
#[path = "awareness_test.rs"]
mod awareness_test;
