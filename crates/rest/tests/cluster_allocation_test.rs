//! `_cluster/allocation/explain`, `_cluster/reroute` and the `unassigned.*` columns of
//! `_cat/shards` on a one-node cluster, through the HTTP router.

mod support;

use serde_json::json;

#[tokio::test]
async fn explain_tells_why_a_replica_stays_unassigned() {
    let n = support::start().await;
    let (status, v) = n.json("GET", "/_cluster/allocation/explain", None).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["type"], "illegal_argument_exception");
    assert!(v["error"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("There are no unassigned shards in this cluster."));

    let (status, v) = n
        .json(
            "PUT",
            "/logs",
            Some(json!({"settings": {"number_of_shards": 1, "number_of_replicas": 1}})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = n.json("GET", "/_cluster/allocation/explain", None).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["note"]
        .as_str()
        .unwrap()
        .starts_with("No shard was specified"));
    assert_eq!(v["index"], "logs");
    assert_eq!(v["primary"], false);
    assert_eq!(v["current_state"], "unassigned");
    assert_eq!(v["unassigned_info"]["reason"], "INDEX_CREATED");
    assert_eq!(v["can_allocate"], "no");
    let deciders = &v["node_allocation_decisions"][0]["deciders"];
    assert_eq!(deciders[0]["decider"], "same_shard", "{v}");

    let (status, v) = n
        .json(
            "POST",
            "/_cluster/allocation/explain?include_yes_decisions=true",
            Some(json!({"index": "logs", "shard": 0, "primary": true})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["current_state"], "started");
    assert_eq!(v["can_remain_on_current_node"], "yes");
    assert_eq!(v["can_rebalance_to_other_node"], "no");
    assert!(v["current_node"]["id"].is_string());

    let (status, v) = n
        .json(
            "GET",
            "/_cluster/allocation/explain",
            Some(json!({"index": "logs", "shard": 0, "primary": true, "extra": 1})),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["type"], "x_content_parse_exception");
    let (status, v) = n
        .json(
            "GET",
            "/_cluster/allocation/explain",
            Some(json!({"index": "nope", "shard": 0, "primary": true})),
        )
        .await;
    assert_eq!(status, 404, "{v}");
    let (status, _) = n
        .json("GET", "/_cluster/allocation/explain?verbose=true", None)
        .await;
    assert_eq!(status, 400);

    let reply = n
        .call(
            "GET",
            "/_cat/shards/logs?h=prirep,state,unassigned.reason,ud&s=prirep",
            None,
        )
        .await;
    let lines: Vec<&str> = reply.text.lines().collect();
    assert_eq!(lines.len(), 2, "{}", reply.text);
    assert!(lines[0].starts_with("p STARTED"), "{}", reply.text);
    assert!(
        lines[1].starts_with("r UNASSIGNED INDEX_CREATED"),
        "{}",
        reply.text
    );
}

#[tokio::test]
async fn reroute_returns_the_state_and_explains_commands() {
    let n = support::start().await;
    let (status, v) = n
        .json(
            "PUT",
            "/logs",
            Some(json!({"settings": {"number_of_shards": 1, "number_of_replicas": 1}})),
        )
        .await;
    assert_eq!(status, 200, "{v}");

    let (status, v) = n.json("POST", "/_cluster/reroute", None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["acknowledged"], true);
    assert!(
        v["state"]["routing_table"]["indices"]["logs"].is_object(),
        "{v}"
    );
    assert!(v["state"].get("metadata").is_none());
    let (_, v) = n.json("POST", "/_cluster/reroute?metric=none", None).await;
    assert!(v.get("state").is_none(), "{v}");
    let (_, v) = n
        .json("POST", "/_cluster/reroute?metric=metadata", None)
        .await;
    assert!(v["state"]["metadata"].is_object(), "{v}");
    assert!(v["state"].get("nodes").is_none());

    // The replica cannot share the primary's node: an error, or a NO explanation.
    let allocate = json!({"commands": [
        {"allocate_replica": {"index": "logs", "shard": 0, "node": "_local"}}
    ]});
    let (status, v) = n
        .json("POST", "/_cluster/reroute", Some(allocate.clone()))
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["type"], "illegal_argument_exception");
    assert!(v["error"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("[allocate_replica] allocation of [logs][0] on node {"));
    let (status, v) = n
        .json(
            "POST",
            "/_cluster/reroute?explain=true&dry_run=true&metric=none",
            Some(allocate),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let explanation = &v["explanations"][0];
    assert_eq!(explanation["command"], "allocate_replica");
    assert_eq!(explanation["parameters"]["node"], "_local");
    assert!(explanation["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["decider"] == "same_shard" && d["decision"] == "NO"));

    let (status, v) = n
        .json(
            "POST",
            "/_cluster/reroute",
            Some(json!({"commands": [{"allocate": {"index": "logs"}}]})),
        )
        .await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(v["error"]["type"], "x_content_parse_exception");
    let (status, _) = n
        .json(
            "POST",
            "/_cluster/reroute?retry_failed=true&metric=none",
            None,
        )
        .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn allocate_empty_primary_assigns_a_primary_the_filters_kept_away() {
    let n = support::start().await;
    let (status, v) = n
        .json(
            "PUT",
            "/parked",
            Some(json!({"settings": {
                "number_of_shards": 1,
                "number_of_replicas": 0,
                "index.routing.allocation.require._name": "nowhere"
            }})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = n
        .json(
            "POST",
            "/_cluster/reroute?metric=routing_table",
            Some(json!({"commands": [
                {"allocate_empty_primary": {"index": "parked", "shard": 0, "node": "_local"}}
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let copy = &v["state"]["routing_table"]["indices"]["parked"]["shards"]["0"][0];
    assert_ne!(copy["state"], "UNASSIGNED", "{v}");
    let (_, health) = n
        .json(
            "GET",
            "/_cluster/health/parked?wait_for_status=green&timeout=10s",
            None,
        )
        .await;
    assert_eq!(health["status"], "green", "{health}");
}

#[tokio::test]
async fn allocate_empty_primary_starts_from_an_empty_store_even_where_old_data_lies() {
    let n = support::start().await;
    let (status, v) = n
        .json(
            "PUT",
            "/held",
            Some(json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = n
        .json("PUT", "/held/_doc/1?refresh=true", Some(json!({"v": 1})))
        .await;
    assert_eq!(status, 201, "{v}");
    // Keep the primary from coming straight back, then cancel it.
    let (status, v) = n
        .json(
            "PUT",
            "/held/_settings",
            Some(json!({"index.routing.allocation.require._name": "nowhere"})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = n
        .json(
            "POST",
            "/_cluster/reroute?metric=none",
            Some(json!({"commands": [
                {"cancel": {"index": "held", "shard": 0, "node": "_local", "allow_primary": true}}
            ]})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, health) = n.json("GET", "/_cluster/health/held", None).await;
    assert_eq!(health["status"], "red", "{health}");
    let (status, v) = n
        .json(
            "POST",
            "/_cluster/reroute?metric=none",
            Some(json!({"commands": [{"allocate_empty_primary": {
                "index": "held", "shard": 0, "node": "_local", "accept_data_loss": true
            }}]})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, health) = n
        .json(
            "GET",
            "/_cluster/health/held?wait_for_status=green&timeout=10s",
            None,
        )
        .await;
    assert_eq!(health["status"], "green", "{health}");
    // The old document was on this node's disk; the forced empty primary does not bring it back.
    let (status, v) = n.json("GET", "/held/_count", None).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["count"], 0, "{v}");
}
