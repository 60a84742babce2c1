use super::*;
use crate::test_support::data_node as new_data_node;
use crate::test_support::{cluster, create, create_cmd, node, run, start_all};
use crate::ClusterCommand;
use crate::ClusterState;
use quarry_types::{NodeId, ShardId};
use serde_json::json;

fn unassigned_replica(s: &ClusterState) -> ShardRouting {
    s.routing_table
        .shard_copies(&ShardId::new("logs", 0))
        .iter()
        .find(|c| !c.primary)
        .unwrap()
        .clone()
}

#[test]
fn replica_waits_for_active_primary_and_avoids_primary_node() {
    let s = create(&cluster(&["n1", "n2"]), "logs", 1, 1);
    let replica = unassigned_replica(&s);
    let n1 = s.nodes[&NodeId("n1".into())].clone();
    assert_eq!(
        replica_after_primary_active(&Allocation::of(&s), &replica, &n1).decision,
        DecisionType::No
    );
    let s = start_all(&s);
    let mut replica = unassigned_replica(&s);
    let primary_node = s
        .routing_table
        .active_primary(&ShardId::new("logs", 0))
        .unwrap()
        .current_node
        .clone()
        .unwrap();
    // pretend the replica is unassigned again to ask the deciders
    replica.state = crate::shard_routing::ShardRoutingState::Unassigned;
    replica.current_node = None;
    replica.allocation_id = None;
    let on_primary = s.nodes[&primary_node].clone();
    let d = same_shard(&Allocation::of(&s), &replica, &on_primary);
    assert_eq!(d.decision, DecisionType::No);
    assert!(d
        .explanation
        .contains("a copy of this shard is already allocated to this node"));
}

#[test]
fn data_role_is_required() {
    let s = create(&cluster(&["n1"]), "logs", 1, 0);
    let copy = s.routing_table.shard_copies(&ShardId::new("logs", 0))[0].clone();
    assert_eq!(
        data_node(&Allocation::of(&s), &copy, &node("c", &["master"])).decision,
        DecisionType::No
    );
    assert_eq!(
        data_node(&Allocation::of(&s), &copy, &node("d", &["data_content"])).decision,
        DecisionType::Yes
    );
}

#[test]
fn enable_setting_restricts_allocation() {
    let s = cluster(&["n1"]);
    let s = run(
        &s,
        crate::test_support::persistent_settings(
            json!({"cluster.routing.allocation.enable": "none"}),
        ),
    );
    let s = create(&s, "logs", 1, 0);
    let copy = &s.routing_table.shard_copies(&ShardId::new("logs", 0))[0];
    assert!(copy.unassigned());
    assert_eq!(
        copy.unassigned_info
            .as_ref()
            .unwrap()
            .last_allocation_status,
        crate::shard_routing::AllocationStatus::DecidersNo
    );
}

#[test]
fn index_filters_pick_nodes_by_name_and_attribute() {
    let mut s = cluster(&["n1", "n2"]);
    let mut hot = new_data_node("n3");
    hot.attributes.insert("box".into(), "hot".into());
    s = run(&s, ClusterCommand::AddNode(hot));
    let s = run(
        &s,
        create_cmd(
            "logs",
            json!({"number_of_shards": 3, "number_of_replicas": 0, "index.routing.allocation.require.box": "hot"}),
        ),
    );
    for c in s.routing_table.all_copies() {
        assert_eq!(c.current_node, Some(NodeId("n3".into())));
    }
    let s = run(
        &s,
        create_cmd(
            "other",
            json!({"number_of_shards": 2, "number_of_replicas": 0, "index.routing.allocation.exclude._name": "n1,n3"}),
        ),
    );
    for c in s.routing_table.index("other").unwrap().all_copies() {
        assert_eq!(c.current_node, Some(NodeId("n2".into())));
    }
}

#[test]
fn throttling_limits_concurrent_primary_recoveries() {
    let s = create(&cluster(&["n1"]), "logs", 6, 0);
    let initializing = s
        .routing_table
        .all_copies()
        .filter(|c| c.initializing())
        .count();
    assert_eq!(initializing, DEFAULT_NODE_INITIAL_PRIMARIES_RECOVERIES);
    let s = start_all(&s);
    assert!(s.routing_table.all_copies().all(|c| c.started()));
}

#[test]
fn can_allocate_combines_no_over_throttle() {
    let s = create(&cluster(&["n1"]), "logs", 1, 1);
    let replica = unassigned_replica(&s);
    let (d, all) = can_allocate(
        &Allocation::of(&s),
        &replica,
        &s.nodes[&NodeId("n1".into())],
    );
    assert_eq!(d, DecisionType::No);
    assert_eq!(all.len(), ALL_DECIDERS.len());
}

#[test]
fn same_shard_host_keeps_copies_off_one_host() {
    let mut s = cluster(&[]);
    for (id, addr) in [
        ("a", "10.0.0.1:9300"),
        ("b", "10.0.0.1:9301"),
        ("c", "10.0.0.2:9300"),
    ] {
        let mut n = new_data_node(id);
        n.transport_address = addr.into();
        s = run(&s, ClusterCommand::AddNode(n));
    }
    s = run(&s, ClusterCommand::ElectMaster(NodeId("a".into())));
    s = run(
        &s,
        crate::test_support::persistent_settings(
            json!({"cluster.routing.allocation.same_shard.host": "true"}),
        ),
    );
    s = run(
        &s,
        create_cmd(
            "logs",
            json!({"number_of_shards": 1, "number_of_replicas": 1, "routing.allocation.require._name": "a"}),
        ),
    );
    let s = start_all(&s);
    let replica = unassigned_replica(&s);
    let b = s.nodes[&NodeId("b".into())].clone();
    let c = s.nodes[&NodeId("c".into())].clone();
    let alloc = Allocation::of(&s);
    let d = same_shard(&alloc, &replica, &b);
    assert_eq!(d.decision, DecisionType::No, "{}", d.explanation);
    assert!(d.explanation.contains("same host address [10.0.0.1]"));
    assert_eq!(same_shard(&alloc, &replica, &c).decision, DecisionType::Yes);
}
