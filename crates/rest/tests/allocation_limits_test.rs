//! `index.routing.allocation.total_shards_per_node` and the cluster-level
//! `cluster.routing.allocation.total_shards_per_node` on a one-node cluster: copies beyond the
//! limit stay unassigned (health red) until the limit is raised.

mod support;

use serde_json::json;

#[tokio::test]
async fn the_index_shard_limit_leaves_extra_primaries_unassigned() {
    let n = support::start().await;
    let (status, v) = n
        .json(
            "PUT",
            "/capped",
            Some(json!({"settings": {
                "number_of_shards": 3,
                "number_of_replicas": 0,
                "index.routing.allocation.total_shards_per_node": 2
            }})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, health) = n.json("GET", "/_cluster/health/capped", None).await;
    assert_eq!(health["active_primary_shards"], 2, "{health}");
    assert_eq!(health["unassigned_shards"], 1, "{health}");
    assert_eq!(health["status"], "red");

    // Raising the limit lets the last primary be allocated.
    let (status, v) = n
        .json(
            "PUT",
            "/capped/_settings",
            Some(json!({"index.routing.allocation.total_shards_per_node": 3})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (_, health) = n
        .json(
            "GET",
            "/_cluster/health/capped?wait_for_status=green&timeout=10s",
            None,
        )
        .await;
    assert_eq!(health["status"], "green", "{health}");
}

#[tokio::test]
async fn the_cluster_shard_limit_counts_every_index() {
    let n = support::start().await;
    let (status, v) = n
        .json(
            "PUT",
            "/_cluster/settings",
            Some(json!({"persistent": {"cluster.routing.allocation.total_shards_per_node": 1}})),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    for name in ["first", "second"] {
        let (status, v) = n
            .json(
                "PUT",
                &format!("/{name}"),
                Some(json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}})),
            )
            .await;
        assert_eq!(status, 200, "{v}");
    }
    let (_, health) = n.json("GET", "/_cluster/health", None).await;
    assert_eq!(health["active_primary_shards"], 1, "{health}");
    assert_eq!(health["unassigned_shards"], 1, "{health}");
}
