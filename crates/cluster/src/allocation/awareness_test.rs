use super::*;
use crate::allocation::DecisionType;
use crate::test_support::{create, data_node, run, start_all};
use crate::ClusterCommand;
use crate::ClusterState;
use quarry_types::{NodeId, ShardId};
use serde_json::json;

/// Data nodes with a `rack_id` attribute each (`None`: no attribute), awareness on `rack_id`.
fn racked(nodes: &[(&str, Option<&str>)], forced: Option<&str>) -> ClusterState {
    let mut s = ClusterState::new("test-cluster", "cuuid");
    for (id, rack) in nodes {
        let mut n = data_node(id);
        if let Some(rack) = rack {
            n.attributes.insert("rack_id".into(), rack.to_string());
        }
        s = run(&s, ClusterCommand::AddNode(n));
    }
    s = run(
        &s,
        ClusterCommand::ElectMaster(NodeId(nodes[0].0.to_string())),
    );
    s.metadata
        .persistent_settings
        .insert(ATTRIBUTES, json!("rack_id"));
    if let Some(values) = forced {
        s.metadata.persistent_settings.insert(
            "cluster.routing.allocation.awareness.force.rack_id.values",
            json!(values),
        );
    }
    s
}

fn node_of(s: &ClusterState, id: &str) -> DiscoveryNode {
    s.nodes[&NodeId(id.into())].clone()
}

fn rack_of(s: &ClusterState, node: &NodeId) -> String {
    s.nodes[node].attributes["rack_id"].clone()
}

#[test]
fn without_the_setting_every_node_is_fine() {
    let mut s = racked(&[("n1", None)], None);
    s.metadata.persistent_settings.remove(ATTRIBUTES);
    let s = create(&s, "logs", 1, 0);
    let copy = s.routing_table.all_copies().next().unwrap().clone();
    assert_eq!(
        awareness(&Allocation::of(&s), &copy, &node_of(&s, "n1")).decision,
        DecisionType::Yes
    );
}

#[test]
fn a_node_without_the_attribute_gets_no_copies() {
    let s = create(
        &racked(&[("n1", Some("r1")), ("n2", None)], None),
        "logs",
        1,
        0,
    );
    let copy = s.routing_table.all_copies().next().unwrap().clone();
    let d = awareness(&Allocation::of(&s), &copy, &node_of(&s, "n2"));
    assert_eq!(d.decision, DecisionType::No);
    assert!(d
        .explanation
        .contains("does not contain the awareness attribute [rack_id]"));
}

#[test]
fn both_copies_of_a_shard_never_share_a_rack_when_another_rack_exists() {
    let s = start_all(&create(
        &racked(
            &[
                ("n1", Some("rack1")),
                ("n2", Some("rack1")),
                ("n3", Some("rack2")),
            ],
            None,
        ),
        "logs",
        3,
        1,
    ));
    for shard in 0..3 {
        let copies = s.routing_table.shard_copies(&ShardId::new("logs", shard));
        let racks: Vec<String> = copies
            .iter()
            .map(|c| rack_of(&s, c.current_node.as_ref().expect("assigned")))
            .collect();
        assert_eq!(copies.len(), 2);
        assert_ne!(racks[0], racks[1], "shard {shard}: {racks:?}");
    }
}

#[test]
fn forced_values_leave_a_replica_unassigned_rather_than_doubling_up() {
    // Only rack1 exists, but rack2 is forced: the replica must wait for a rack2 node.
    let s = start_all(&create(
        &racked(
            &[("n1", Some("rack1")), ("n2", Some("rack1"))],
            Some("rack1,rack2"),
        ),
        "logs",
        1,
        1,
    ));
    let copies = s.routing_table.shard_copies(&ShardId::new("logs", 0));
    let assigned = copies.iter().filter(|c| c.current_node.is_some()).count();
    assert_eq!(assigned, 1, "{copies:?}");
    let replica = copies.iter().find(|c| !c.primary).unwrap().clone();
    let d = awareness(&Allocation::of(&s), &replica, &node_of(&s, "n2"));
    assert_eq!(d.decision, DecisionType::No);
    assert!(
        d.explanation.contains("[2] values for attribute [rack_id]"),
        "{}",
        d.explanation
    );
}
