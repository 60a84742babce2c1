use super::*;
use crate::test_support::*;
use crate::ClusterCommand;

#[test]
fn one_node_with_replicas_is_yellow() {
    let s = start_all(&create(&cluster(&["n1"]), "logs", 2, 1));
    let h = ClusterHealth::compute(&s, &[]);
    assert_eq!(h.status, HealthStatus::Yellow);
    assert_eq!(h.counts.active_primary_shards, 2);
    assert_eq!(h.counts.active_shards, 2);
    assert_eq!(h.counts.unassigned_shards, 2);
    assert_eq!(h.active_shards_percent_as_number, 50.0);
    assert_eq!(h.number_of_data_nodes, 1);
}

#[test]
fn two_nodes_become_green_and_json_has_es_shape() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 1));
    let h = ClusterHealth::compute(&s, &[]);
    assert_eq!(h.status, HealthStatus::Green);
    let v = h.to_json(HealthLevel::Shards);
    assert_eq!(v["cluster_name"], "test-cluster");
    assert_eq!(v["status"], "green");
    assert_eq!(v["timed_out"], false);
    assert_eq!(v["active_shards"], 2);
    assert_eq!(v["active_shards_percent_as_number"], 100.0);
    assert_eq!(v["indices"]["logs"]["status"], "green");
    assert_eq!(v["indices"]["logs"]["shards"]["0"]["primary_active"], true);
    assert!(h.to_json(HealthLevel::Cluster).get("indices").is_none());
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys[0], "cluster_name");
}

#[test]
fn new_initializing_primary_is_yellow_lost_primary_is_red() {
    let s = create(&cluster(&["n1"]), "logs", 1, 0);
    assert_eq!(ClusterHealth::compute(&s, &[]).status, HealthStatus::Yellow);
    let s = start_all(&s);
    assert_eq!(ClusterHealth::compute(&s, &[]).status, HealthStatus::Green);
    let s = run(&s, ClusterCommand::AddNode(data_node("n2")));
    let s = run(
        &s,
        ClusterCommand::RemoveNode(quarry_types::NodeId("n1".into())),
    );
    assert_eq!(ClusterHealth::compute(&s, &[]).status, HealthStatus::Red);
}

#[test]
fn closed_and_unselected_indices_are_not_counted() {
    let s = start_all(&create(&create(&cluster(&["n1"]), "a", 1, 1), "b", 1, 0));
    assert_eq!(
        ClusterHealth::compute(&s, &["b".into()]).status,
        HealthStatus::Green
    );
    let s = run(&s, ClusterCommand::CloseIndices(vec!["a".into()]));
    let h = ClusterHealth::compute(&s, &[]);
    assert_eq!(h.status, HealthStatus::Green);
    assert!(!h.indices.contains_key("a"));
}

#[test]
fn delayed_replicas_are_reported() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 1));
    let replica_node = s
        .routing_table
        .all_copies()
        .find(|c| !c.primary)
        .unwrap()
        .current_node
        .clone()
        .unwrap();
    let s = run(&s, ClusterCommand::RemoveNode(replica_node));
    let h = ClusterHealth::compute(&s, &[]);
    assert_eq!(h.counts.delayed_unassigned_shards, 1);
    assert_eq!(h.status, HealthStatus::Yellow);
}

#[test]
fn compute_exact_counts_closed_indices_and_selects_nothing_when_empty() {
    let s = start_all(&create(&create(&cluster(&["n1"]), "a", 1, 1), "b", 2, 0));
    let s = run(&s, ClusterCommand::CloseIndices(vec!["a".into()]));
    let h = ClusterHealth::compute_exact(&s, &["a".into(), "b".into()]);
    assert_eq!(h.status, HealthStatus::Yellow);
    assert_eq!(h.counts.active_shards, 3);
    assert!(h.indices.contains_key("a"));
    let none = ClusterHealth::compute_exact(&s, &[]);
    assert_eq!(none.status, HealthStatus::Green);
    assert_eq!(none.counts.active_shards, 0);
    assert!(none.indices.is_empty());
}
