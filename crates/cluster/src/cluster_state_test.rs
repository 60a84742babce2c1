use super::*;
use crate::test_support::*;
use quarry_types::AllocationId;

#[test]
fn fresh_and_built_states_are_valid() {
    ClusterState::new("c", "_na_").validate().unwrap();
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 2, 1));
    s.validate().unwrap();
}

#[test]
fn routing_for_unknown_index_is_rejected() {
    let mut s = create(&cluster(&["n1"]), "logs", 1, 0);
    s.metadata.indices.remove("logs");
    assert!(s.validate().unwrap_err().contains("missing from metadata"));
}

#[test]
fn shard_count_mismatch_is_rejected() {
    let mut s = create(&cluster(&["n1"]), "logs", 2, 0);
    s.routing_table
        .indices
        .get_mut("logs")
        .map(std::sync::Arc::make_mut)
        .unwrap()
        .shards
        .remove(&1);
    assert!(s.validate().is_err());
}

#[test]
fn two_copies_on_one_node_is_rejected() {
    let mut s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 1));
    let copies = s
        .routing_table
        .indices
        .get_mut("logs")
        .map(std::sync::Arc::make_mut)
        .unwrap()
        .shards
        .get_mut(&0)
        .unwrap();
    let node = copies[0].current_node.clone();
    copies[1].current_node = node;
    assert!(s.validate().unwrap_err().contains("two copies"));
}

#[test]
fn started_replica_needs_started_primary() {
    let mut s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 1));
    let copies = s
        .routing_table
        .indices
        .get_mut("logs")
        .map(std::sync::Arc::make_mut)
        .unwrap()
        .shards
        .get_mut(&0)
        .unwrap();
    let p = copies.iter_mut().find(|c| c.primary).unwrap();
    p.state = crate::shard_routing::ShardRoutingState::Initializing;
    assert!(s
        .validate()
        .unwrap_err()
        .contains("active replica without an active primary"));
}

#[test]
fn active_primary_must_be_in_sync() {
    let mut s = start_all(&create(&cluster(&["n1"]), "logs", 1, 0));
    s.metadata
        .indices
        .get_mut("logs")
        .map(std::sync::Arc::make_mut)
        .unwrap()
        .in_sync_allocation_ids
        .clear();
    assert!(s.validate().unwrap_err().contains("in-sync"));
    let mut s2 = start_all(&create(&cluster(&["n1"]), "logs", 1, 0));
    let copies = s2
        .routing_table
        .indices
        .get_mut("logs")
        .map(std::sync::Arc::make_mut)
        .unwrap()
        .shards
        .get_mut(&0)
        .unwrap();
    copies[0].allocation_id = Some(AllocationId("other".into()));
    assert!(s2.validate().is_err());
}

#[test]
fn unknown_master_and_node_are_rejected() {
    let mut s = cluster(&["n1"]);
    s.master_node = Some(quarry_types::NodeId("ghost".into()));
    assert!(s.validate().is_err());
}

#[test]
fn state_round_trips_through_serde() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 2, 1));
    let text = serde_json::to_string(&s).unwrap();
    let back: ClusterState = serde_json::from_str(&text).unwrap();
    assert_eq!(back, s);
}

#[test]
fn node_roles() {
    assert!(node("a", &["data_hot"]).is_data_node());
    assert!(!node("a", &["master", "ingest"]).is_data_node());
    assert!(node("a", &["master"]).is_master_eligible());
    assert!(!node("a", &[]).is_data_node());
}

#[test]
fn json_has_cluster_state_shape() {
    let s = start_all(&create(&cluster(&["n1"]), "logs", 1, 0));
    let v = s.to_json();
    assert_eq!(v["cluster_name"], "test-cluster");
    assert_eq!(v["master_node"], "n1");
    assert_eq!(v["nodes"]["n1"]["name"], "n1");
    assert_eq!(v["metadata"]["indices"]["logs"]["state"], "open");
    assert_eq!(
        v["metadata"]["indices"]["logs"]["settings"]["index"]["number_of_shards"],
        "1"
    );
    assert_eq!(
        v["routing_table"]["indices"]["logs"]["shards"]["0"][0]["state"],
        "STARTED"
    );
    assert_eq!(
        v["routing_table"]["indices"]["logs"]["shards"]["0"][0]["node"],
        "n1"
    );
}
