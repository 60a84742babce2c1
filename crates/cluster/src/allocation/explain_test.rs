use super::*;
use crate::allocation::explain_decisions::explanations as ex;
use crate::test_support::{cluster, create, create_cmd, run, start_all};
use crate::ClusterCommand;
use quarry_types::{NodeId, Settings, ShardId};
use serde_json::json;

fn request(index: &str, shard: u32, primary: bool) -> ExplainRequest {
    ExplainRequest {
        index: Some(index.into()),
        shard: Some(shard),
        primary: Some(primary),
        current_node: None,
    }
}

fn set_index(s: &ClusterState, settings: serde_json::Value) -> ClusterState {
    run(
        s,
        ClusterCommand::UpdateIndexSettings {
            indices: vec!["logs".into()],
            settings: Settings::from_json(&settings).unwrap(),
            preserve_existing: false,
        },
    )
}

fn primary_node(s: &ClusterState) -> NodeId {
    s.routing_table
        .active_primary(&ShardId::new("logs", 0))
        .and_then(|p| p.current_node.clone())
        .unwrap()
}

#[test]
fn unassigned_because_of_a_filter_lists_only_the_refusing_deciders() {
    let s = run(
        &cluster(&["n1", "n2"]),
        create_cmd(
            "logs",
            json!({"number_of_shards": 1, "number_of_replicas": 0,
                   "index.routing.allocation.require._name": "nowhere"}),
        ),
    );
    let v = explain(&s, &ExplainRequest::default(), false, None, 2_000).unwrap();
    assert_eq!(v["note"], NO_SHARD_SPECIFIED_NOTE);
    assert_eq!(v["index"], "logs");
    assert_eq!(v["primary"], true);
    assert_eq!(v["current_state"], "unassigned");
    assert_eq!(v["unassigned_info"]["reason"], "INDEX_CREATED");
    assert_eq!(v["unassigned_info"]["last_allocation_status"], "no");
    assert_eq!(v["can_allocate"], "no");
    assert_eq!(
        v["allocate_explanation"],
        ex::ALLOCATION_ALL_NODES_FORBIDDEN
    );
    let nodes = v["node_allocation_decisions"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    for n in nodes {
        assert_eq!(n["node_decision"], "no");
        assert!(n["weight_ranking"].as_u64().unwrap() >= 1);
        assert!(n["transport_address"].is_string());
        let deciders = n["deciders"].as_array().unwrap();
        assert_eq!(deciders.len(), 1, "{n}");
        assert_eq!(deciders[0]["decider"], "filter");
        assert_eq!(deciders[0]["decision"], "NO");
        assert!(deciders[0]["explanation"]
            .as_str()
            .unwrap()
            .contains("index.routing.allocation.require._name"));
    }
    assert!(v.get("current_node").is_none());
}

#[test]
fn include_yes_decisions_lists_every_decider() {
    let s = run(
        &cluster(&["n1"]),
        create_cmd(
            "logs",
            json!({"number_of_shards": 1, "number_of_replicas": 0,
                   "index.routing.allocation.require._name": "nowhere"}),
        ),
    );
    let v = explain(&s, &request("logs", 0, true), true, None, 2_000).unwrap();
    assert!(v.get("note").is_none());
    let deciders = v["node_allocation_decisions"][0]["deciders"]
        .as_array()
        .unwrap();
    assert!(deciders.len() > 1);
    assert!(deciders
        .iter()
        .any(|d| d["decider"] == "same_shard" && d["decision"] == "YES"));
}

#[test]
fn an_assigned_copy_that_may_not_remain_and_cannot_move() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 0));
    let s = set_index(
        &s,
        json!({"index.routing.allocation.exclude._name": "n1,n2"}),
    );
    let on = primary_node(&s);
    let v = explain(&s, &request("logs", 0, true), false, None, 2_000).unwrap();
    assert_eq!(v["current_state"], "started");
    assert_eq!(v["current_node"]["id"], on.0.as_str());
    assert!(v["current_node"].get("weight_ranking").is_none());
    assert_eq!(v["can_remain_on_current_node"], "no");
    assert_eq!(v["can_remain_decisions"][0]["decider"], "filter");
    assert_eq!(v["can_move_to_other_node"], "no");
    assert_eq!(v["move_explanation"], ex::MOVE_NO);
    assert!(v.get("rebalance_explanation").is_none());
    let nodes = v["node_allocation_decisions"].as_array().unwrap();
    assert_eq!(nodes.len(), 1);
    assert_eq!(nodes[0]["node_decision"], "no");
}

#[test]
fn a_started_copy_on_a_single_node_is_already_balanced() {
    let s = start_all(&create(&cluster(&["n1"]), "logs", 1, 0));
    let v = explain(&s, &request("logs", 0, true), false, None, 2_000).unwrap();
    assert_eq!(v["current_state"], "started");
    assert_eq!(v["current_node"]["name"], "n1");
    assert_eq!(v["current_node"]["weight_ranking"], 1);
    assert_eq!(v["can_remain_on_current_node"], "yes");
    assert_eq!(v["can_rebalance_cluster"], "yes");
    assert_eq!(v["can_rebalance_to_other_node"], "no");
    assert_eq!(v["rebalance_explanation"], ex::REBALANCE_ALREADY_BALANCED);
    assert!(v.get("unassigned_info").is_none());
}

#[test]
fn a_relocating_copy_is_explained_in_words() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 0));
    let from = primary_node(&s);
    let to = if from.0 == "n1" { "n2" } else { "n1" };
    let mut moved = s.clone();
    if let Some(c) = moved
        .routing_table
        .shard_copies_mut(&ShardId::new("logs", 0))
        .and_then(|c| c.first_mut())
    {
        c.relocate(NodeId(to.into()), quarry_types::AllocationId("t".into()));
    }
    let v = explain(&moved, &request("logs", 0, true), false, None, 2_000).unwrap();
    assert_eq!(v["current_state"], "relocating");
    assert_eq!(
        v["explanation"],
        format!("the shard is in the process of relocating from node [{from}] to node [{to}], wait until relocation has completed")
    );
}

#[test]
fn a_delayed_replica_waits_for_its_node() {
    let s = start_all(&create(&cluster(&["n1", "n2", "n3"]), "logs", 1, 1));
    let replica_node = s
        .routing_table
        .shard_copies(&ShardId::new("logs", 0))
        .iter()
        .find(|c| !c.primary)
        .and_then(|c| c.current_node.clone())
        .unwrap();
    let s = run(&s, ClusterCommand::RemoveNode(replica_node));
    let v = explain(&s, &request("logs", 0, false), false, None, 1_000).unwrap();
    assert_eq!(v["current_state"], "unassigned");
    assert_eq!(v["unassigned_info"]["reason"], "NODE_LEFT");
    assert_eq!(v["can_allocate"], "allocation_delayed");
    assert_eq!(v["configured_delay_in_millis"], 60_000);
    assert_eq!(v["remaining_delay_in_millis"], 60_000);
    assert_eq!(
        v["allocate_explanation"],
        ex::ALLOCATION_DELAYED_WITH_ALTERNATIVE.replace("%s", "1m")
    );
}

#[test]
fn a_primary_whose_data_left_has_no_valid_copy() {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 0));
    let s = run(&s, ClusterCommand::RemoveNode(primary_node(&s)));
    let v = explain(&s, &request("logs", 0, true), false, None, 2_000).unwrap();
    assert_eq!(v["can_allocate"], "no_valid_shard_copy");
    assert_eq!(v["allocate_explanation"], ex::ALLOCATION_NO_COPIES);
    assert_eq!(
        v["unassigned_info"]["last_allocation_status"],
        "no_valid_shard_copy"
    );
    let nodes = v["node_allocation_decisions"].as_array().unwrap();
    assert_eq!(nodes[0]["store"]["found"], false);
}

#[test]
fn an_unassigned_copy_that_can_go_somewhere_names_the_target() {
    // Replicas are not allocated while `enable` is `primaries`; re-enabling makes them allocatable.
    let s = run(
        &cluster(&["n1", "n2"]),
        crate::test_support::persistent_settings(
            json!({"cluster.routing.allocation.enable": "primaries"}),
        ),
    );
    let s = start_all(&create(&s, "logs", 1, 1));
    let mut enabled = s.clone();
    enabled.metadata.persistent_settings = Settings::new();
    let v = explain(
        &enabled,
        &request("logs", 0, false),
        false,
        Some(json!({"nodes": {}})),
        2_000,
    )
    .unwrap();
    assert_eq!(v["can_allocate"], "yes");
    assert_eq!(v["allocate_explanation"], ex::ALLOCATION_YES);
    assert!(v["target_node"]["id"].is_string());
    assert_eq!(v["cluster_info"], json!({"nodes": {}}));
}

#[test]
fn errors_follow_elasticsearch() {
    let s = start_all(&create(&cluster(&["n1"]), "logs", 1, 0));
    let e = explain(&s, &ExplainRequest::default(), false, None, 0).unwrap_err();
    assert_eq!(e.error_type, "illegal_argument_exception");
    assert_eq!(e.reason, NO_UNASSIGNED_SHARDS);
    let e = explain(&s, &request("nope", 0, true), false, None, 0).unwrap_err();
    assert_eq!(
        (e.error_type.as_str(), e.status),
        ("index_not_found_exception", 404)
    );
    let e = explain(&s, &request("logs", 7, true), false, None, 0).unwrap_err();
    assert_eq!(
        (e.error_type.as_str(), e.status),
        ("shard_not_found_exception", 404)
    );
    let partial = ExplainRequest {
        index: Some("logs".into()),
        ..Default::default()
    };
    let e = explain(&s, &partial, false, None, 0).unwrap_err();
    assert_eq!(
        e.reason,
        "Validation Failed: 1: shard must be specified;2: primary must be specified;"
    );
    let mut on_other = request("logs", 0, true);
    on_other.current_node = Some("ghost".into());
    let e = explain(&s, &on_other, false, None, 0).unwrap_err();
    assert_eq!(e.reason, "failed to resolve [ghost], no matching nodes");
}

#[test]
fn request_bodies_parse_like_elasticsearch() {
    let r = ExplainRequest::parse(Some(
        &json!({"index": "logs", "shard": 0, "primary": false, "current_node": "n1"}),
    ))
    .unwrap();
    assert_eq!(r.current_node.as_deref(), Some("n1"));
    assert!(ExplainRequest::parse(None)
        .unwrap()
        .use_any_unassigned_shard());
    let e = ExplainRequest::parse(Some(&json!({"index": "logs", "bogus": 1}))).unwrap_err();
    assert_eq!(e.error_type, "x_content_parse_exception");
    assert_eq!(
        e.reason,
        "[cluster/allocation/explain] unknown field [bogus]"
    );
    let e = ExplainRequest::parse(Some(&json!({"primary": "maybe"}))).unwrap_err();
    assert_eq!(e.error_type, "x_content_parse_exception");
}
