use super::*;
use crate::test_support::*;
use quarry_types::NodeId;

#[test]
fn reroute_is_a_fixpoint_when_nothing_changes() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 3, 1));
    let mut ids = 0;
    let mut gen = || {
        ids += 1;
        format!("id{ids}")
    };
    let again = reroute(&s, 5_000, &mut gen);
    assert_eq!(again, s);
}

#[test]
fn no_data_nodes_leaves_primaries_unassigned_with_decider_no() {
    let mut s = cluster(&[]);
    s = run(&s, crate::ClusterCommand::AddNode(node("m", &["master"])));
    let s = create(&s, "logs", 1, 0);
    let c = &s.routing_table.index("logs").unwrap().shards[&0][0];
    assert!(c.unassigned());
    assert_eq!(
        c.unassigned_info.as_ref().unwrap().last_allocation_status,
        AllocationStatus::DecidersNo
    );
}

#[test]
fn least_loaded_node_wins() {
    let s = run(
        &cluster(&["n1"]),
        crate::test_support::persistent_settings(
            serde_json::json!({"cluster.routing.rebalance.enable": "none"}),
        ),
    );
    let s = start_all(&create(&s, "a", 4, 0));
    let s = run(&s, crate::ClusterCommand::AddNode(data_node("n2")));
    let s = create(&s, "b", 2, 0);
    let on_n2 = s
        .routing_table
        .index("b")
        .unwrap()
        .all_copies()
        .filter(|c| c.current_node == Some(NodeId("n2".into())))
        .count();
    assert_eq!(on_n2, 2);
}
