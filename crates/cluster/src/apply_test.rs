use super::*;
use crate::shard_routing::ShardRoutingState;
use crate::test_support::*;
use quarry_types::{AllocationId, NodeId, ShardId};

#[test]
fn create_index_allocates_primaries_then_replicas_after_start() {
    let s = cluster(&["n1", "n2"]);
    let s = create(&s, "logs", 2, 1);
    let table = s.routing_table.index("logs").unwrap();
    for copies in table.shards.values() {
        assert_eq!(copies.len(), 2);
        assert!(copies.iter().find(|c| c.primary).unwrap().initializing());
        assert!(copies.iter().find(|c| !c.primary).unwrap().unassigned());
    }
    let meta = s.index("logs").unwrap();
    assert_eq!(meta.primary_terms, vec![1, 1]);
    let s = start_all(&s);
    for c in s.routing_table.all_copies() {
        assert_eq!(c.state, ShardRoutingState::Started, "{c:?}");
    }
    let meta = s.index("logs").unwrap();
    assert_eq!(meta.in_sync_ids(0).len(), 2);
    s.validate().unwrap();
}

#[test]
fn versions_and_state_uuid_advance_only_on_change() {
    let s = cluster(&["n1"]);
    let s2 = create(&s, "a", 1, 0);
    assert_eq!(s2.version, s.version + 1);
    assert_ne!(s2.state_uuid, s.state_uuid);
    let stale = ClusterCommand::ShardStarted {
        shard_id: ShardId::new("a", 0),
        allocation_id: AllocationId("nope".into()),
    };
    let s3 = apply(&s2, stale, &mut ctx()).unwrap();
    assert_eq!(s3.version, s2.version);
    assert_eq!(s3, s2);
}

#[test]
fn node_left_promotes_in_sync_replica_and_bumps_term() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 1));
    let primary_node = s
        .routing_table
        .active_primary(&ShardId::new("logs", 0))
        .unwrap()
        .current_node
        .clone()
        .unwrap();
    let s = run(&s, ClusterCommand::RemoveNode(primary_node.clone()));
    let sid = ShardId::new("logs", 0);
    let primary = s.routing_table.active_primary(&sid).unwrap();
    assert_ne!(primary.current_node.as_ref(), Some(&primary_node));
    assert_eq!(s.index("logs").unwrap().primary_term(0), 2);
    let copies = s.routing_table.shard_copies(&sid);
    let replica = copies.iter().find(|c| !c.primary).unwrap();
    assert!(replica.unassigned());
    let info = replica.unassigned_info.as_ref().unwrap();
    assert_eq!(info.reason, "NODE_LEFT");
    assert!(info.delayed);
    assert_eq!(s.index("logs").unwrap().in_sync_ids(0).len(), 1);
    s.validate().unwrap();
}

#[test]
fn lost_only_primary_stays_red_until_its_node_returns() {
    let s = start_all(&create(&cluster(&["n1"]), "logs", 1, 0));
    let old_id = s
        .routing_table
        .active_primary(&ShardId::new("logs", 0))
        .unwrap()
        .allocation_id
        .clone();
    let s = run(&s, ClusterCommand::RemoveNode(NodeId("n1".into())));
    let s = run(&s, ClusterCommand::AddNode(data_node("n2")));
    let copy = &s.routing_table.shard_copies(&ShardId::new("logs", 0))[0];
    assert!(
        copy.unassigned(),
        "must not allocate a stale-free empty primary on n2"
    );
    assert_eq!(
        copy.unassigned_info
            .as_ref()
            .unwrap()
            .last_allocation_status,
        crate::shard_routing::AllocationStatus::NoValidShardCopy
    );
    let s = run(&s, ClusterCommand::AddNode(data_node("n1")));
    let copy = &s.routing_table.shard_copies(&ShardId::new("logs", 0))[0];
    assert!(copy.initializing());
    assert_eq!(copy.current_node, Some(NodeId("n1".into())));
    assert_eq!(copy.allocation_id, old_id);
    assert_eq!(s.index("logs").unwrap().primary_term(0), 2);
}

#[test]
fn delayed_replica_waits_then_reroute_assigns_it() {
    let s = start_all(&create(&cluster(&["n1", "n2", "n3"]), "logs", 1, 1));
    let sid = ShardId::new("logs", 0);
    let replica_node = s
        .routing_table
        .shard_copies(&sid)
        .iter()
        .find(|c| !c.primary)
        .unwrap()
        .current_node
        .clone()
        .unwrap();
    let s = run(&s, ClusterCommand::RemoveNode(replica_node));
    let replica = s
        .routing_table
        .shard_copies(&sid)
        .iter()
        .find(|c| !c.primary)
        .unwrap()
        .clone();
    assert!(replica.unassigned());
    let due = crate::allocation::next_delayed_allocation_millis(&s).unwrap();
    assert_eq!(due, 1_000 + 60_000);
    let mut later = ApplyContext::seeded(due, "later");
    let s = apply(&s, ClusterCommand::Reroute, &mut later).unwrap();
    let replica = s
        .routing_table
        .shard_copies(&sid)
        .iter()
        .find(|c| !c.primary)
        .unwrap();
    assert!(replica.initializing());
}

#[test]
fn shard_failed_reallocates_and_counts_failures() {
    let s = create(&cluster(&["n1"]), "logs", 1, 0);
    let sid = ShardId::new("logs", 0);
    let mut s = s;
    for attempt in 1..=5u32 {
        let id = s.routing_table.shard_copies(&sid)[0]
            .allocation_id
            .clone()
            .unwrap();
        s = run(
            &s,
            ClusterCommand::ShardFailed {
                shard_id: sid.clone(),
                allocation_id: id,
                reason: "boom".into(),
            },
        );
        let copy = &s.routing_table.shard_copies(&sid)[0];
        if attempt < 5 {
            assert!(copy.initializing(), "attempt {attempt}");
        } else {
            assert!(copy.unassigned(), "max_retry must stop at 5");
            assert_eq!(copy.unassigned_info.as_ref().unwrap().failed_allocations, 5);
        }
    }
}

#[test]
fn replicas_never_share_a_node_with_their_primary() {
    let s = start_all(&create(&cluster(&["n1"]), "logs", 3, 2));
    for c in s.routing_table.all_copies() {
        if !c.primary {
            assert!(c.unassigned());
        }
    }
    let s = start_all(&run(&s, ClusterCommand::AddNode(data_node("n2"))));
    let s = start_all(&run(&s, ClusterCommand::AddNode(data_node("n3"))));
    assert!(s.routing_table.all_copies().all(|c| c.started()));
    s.validate().unwrap();
}

#[test]
fn coordinating_only_nodes_get_no_shards() {
    let mut s = cluster(&["n1"]);
    s = run(&s, ClusterCommand::AddNode(node("coord", &[])));
    s = start_all(&create(&s, "logs", 4, 0));
    assert!(s
        .routing_table
        .shards_on_node(&NodeId("coord".into()))
        .is_empty());
}

#[test]
fn shards_are_balanced_by_count() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 4, 0));
    let on1 = s.routing_table.shards_on_node(&NodeId("n1".into())).len();
    let on2 = s.routing_table.shards_on_node(&NodeId("n2".into())).len();
    assert_eq!((on1, on2), (2, 2));
}

#[test]
fn elect_master_requires_membership() {
    let s = cluster(&["n1"]);
    let e = apply(
        &s,
        ClusterCommand::ElectMaster(NodeId("zz".into())),
        &mut ctx(),
    )
    .unwrap_err();
    assert_eq!(e.error_type, "illegal_argument_exception");
    let s = run(&s, ClusterCommand::RemoveNode(NodeId("n1".into())));
    assert_eq!(s.master_node, None);
}

#[test]
fn seeded_ids_are_deterministic_and_distinct() {
    let mut a = ApplyContext::seeded(0, "x");
    let mut b = ApplyContext::seeded(0, "x");
    let (a1, a2) = (a.next_id(), a.next_id());
    assert_eq!(a1, b.next_id());
    assert_ne!(a1, a2);
    assert_eq!(a1.len(), 22);
}

#[test]
fn auto_expand_replicas_follows_data_nodes() {
    let s = cluster(&["n1"]);
    let s = run(
        &s,
        create_cmd("sys", serde_json::json!({"auto_expand_replicas": "0-all"})),
    );
    assert_eq!(s.index("sys").unwrap().number_of_replicas, 0);
    let s = run(&s, ClusterCommand::AddNode(data_node("n2")));
    assert_eq!(s.index("sys").unwrap().number_of_replicas, 1);
    assert_eq!(s.routing_table.index("sys").unwrap().shards[&0].len(), 2);
    s.validate().unwrap();
}

#[test]
fn bootstrap_sets_the_cluster_uuid_once() {
    let s = ClusterState::new("c", crate::apply::UNBOOTSTRAPPED_CLUSTER_UUID);
    let mut ctx = ApplyContext::seeded(0, "seed");
    let s = apply(
        &s,
        ClusterCommand::Bootstrap {
            cluster_uuid: "u1".into(),
        },
        &mut ctx,
    )
    .unwrap();
    assert_eq!(s.cluster_uuid, "u1");
    let again = apply(
        &s,
        ClusterCommand::Bootstrap {
            cluster_uuid: "u2".into(),
        },
        &mut ctx,
    )
    .unwrap();
    assert_eq!(again.cluster_uuid, "u1");
    assert_eq!(again.version, s.version);
    let fresh = ClusterState::new("c", crate::apply::UNBOOTSTRAPPED_CLUSTER_UUID);
    assert!(apply(
        &fresh,
        ClusterCommand::Bootstrap {
            cluster_uuid: String::new()
        },
        &mut ctx
    )
    .is_err());
}
