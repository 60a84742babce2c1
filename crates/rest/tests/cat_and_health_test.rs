//! `_cat/*` tables and `_cluster/health` against Elasticsearch 8 behaviour: hidden and closed
//! indices, the `health` filter, column alignment, `pri`, `full_id`, unassigned details, health
//! over closed indices, `expand_wildcards` and parameter validation.

mod support;

use serde_json::json;

async fn create(n: &support::TestNode, name: &str, body: serde_json::Value) {
    let (status, v) = n.json("PUT", &format!("/{name}"), Some(body)).await;
    assert_eq!(status, 200, "{v}");
}

fn one_shard(replicas: u32) -> serde_json::Value {
    json!({"settings": {"number_of_shards": 1, "number_of_replicas": replicas}})
}

#[tokio::test]
async fn cat_indices_hides_hidden_indices_unless_expand_wildcards_asks() {
    let n = support::start().await;
    create(
        &n,
        "secret",
        json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0, "index.hidden": true}}),
    )
    .await;
    create(&n, "plain", one_shard(0)).await;
    let r = n.call("GET", "/_cat/indices?h=index", None).await;
    assert_eq!(r.text, "plain\n");
    let r = n
        .call(
            "GET",
            "/_cat/indices?h=index&expand_wildcards=all&s=index",
            None,
        )
        .await;
    assert_eq!(r.text, "plain\nsecret\n");
    // Named explicitly, a hidden index is shown.
    let r = n.call("GET", "/_cat/indices/secret?h=index", None).await;
    assert_eq!(r.text, "secret\n");
}

#[tokio::test]
async fn cat_indices_health_filter_and_its_validation() {
    let n = support::start().await;
    create(&n, "foo", one_shard(0)).await;
    create(&n, "bar", one_shard(1)).await;
    let r = n
        .call("GET", "/_cat/indices?health=green&h=index", None)
        .await;
    assert_eq!(r.text, "foo\n");
    let r = n
        .call("GET", "/_cat/indices?health=YELLOW&h=index", None)
        .await;
    assert_eq!(r.text, "bar\n");
    let r = n
        .call("GET", "/_cat/indices?health=red&h=index", None)
        .await;
    assert_eq!(r.text, "");
    let (status, v) = n.json("GET", "/_cat/indices?health=purple", None).await;
    assert_eq!(status, 400);
    assert_eq!(v["error"]["type"], "illegal_argument_exception");
    assert_eq!(
        v["error"]["reason"],
        "unknown cluster health status [purple]"
    );
}

#[tokio::test]
async fn cat_indices_closed_index_keeps_health_and_shard_counts_without_stats() {
    let n = support::start().await;
    create(
        &n,
        "shut",
        json!({"settings": {"number_of_shards": 3, "number_of_replicas": 0}}),
    )
    .await;
    let (status, _) = n.json("POST", "/shut/_close", None).await;
    assert_eq!(status, 200);
    let r = n
        .call(
            "GET",
            "/_cat/indices?format=json&h=health,status,pri,rep,docs.count,store.size",
            None,
        )
        .await;
    assert_eq!(
        r.json(),
        json!([{"health": "green", "status": "close", "pri": "3", "rep": "0",
                "docs.count": null, "store.size": null}])
    );
}

#[tokio::test]
async fn cat_indices_pri_adds_the_primaries_sibling_and_bytes_fixes_the_unit() {
    let n = support::start().await;
    create(&n, "p", one_shard(0)).await;
    let r = n
        .call(
            "GET",
            "/_cat/indices?h=index,ss&pri=true&bytes=b&v=true",
            None,
        )
        .await;
    let lines: Vec<&str> = r.text.lines().collect();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["index", "ss", "pri.ss"]);
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(cells.len(), 3);
    assert!(cells[1].parse::<u64>().is_ok(), "{}", r.text);
    assert_eq!(cells[1], cells[2]);
    let r = n.call("GET", "/_cat/indices?h=index,ss&v=true", None).await;
    assert_eq!(
        r.text.lines().next().map(|l| l.split_whitespace().count()),
        Some(2)
    );
}

#[tokio::test]
async fn cat_count_columns_are_left_aligned_like_elasticsearch() {
    let n = support::start().await;
    let r = n.call("GET", "/_cat/count?v=true", None).await;
    let header = r.text.lines().next().unwrap_or_default().to_string();
    // `epoch` is not right-aligned in Elasticsearch: the header starts at column 0.
    assert!(header.starts_with("epoch "), "{header:?}");
    let data = r.text.lines().nth(1).unwrap_or_default();
    assert!(data.ends_with(" 0"), "{data:?}");
}

#[tokio::test]
async fn cat_nodes_full_id_and_sorted_roles() {
    let n = support::start().await;
    let short = n.call("GET", "/_cat/nodes?h=id", None).await;
    assert_eq!(short.text.trim_end().chars().count(), 4);
    let full = n.call("GET", "/_cat/nodes?h=id&full_id=true", None).await;
    assert!(full.text.trim_end().chars().count() > 4, "{}", full.text);
    assert!(full.text.starts_with(short.text.trim_end()));
    let roles = n.call("GET", "/_cat/nodes?h=node.role", None).await;
    let letters: Vec<char> = roles.text.trim_end().chars().collect();
    let mut sorted = letters.clone();
    sorted.sort_unstable();
    assert_eq!(letters, sorted);
    let heap = n.call("GET", "/_cat/nodes?h=heap.*&v=true", None).await;
    let header: Vec<&str> = heap
        .text
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(header, ["heap.current", "heap.percent", "heap.max"]);
}

#[tokio::test]
async fn cat_shards_reports_why_a_copy_is_unassigned() {
    let n = support::start().await;
    create(&n, "rep", one_shard(1)).await;
    let r = n
        .call(
            "GET",
            "/_cat/shards?format=json&h=prirep,state,unassigned.reason,recoverysource.type&s=prirep",
            None,
        )
        .await;
    assert_eq!(
        r.json(),
        json!([
            {"prirep": "p", "state": "STARTED", "unassigned.reason": null, "recoverysource.type": null},
            {"prirep": "r", "state": "UNASSIGNED", "unassigned.reason": "INDEX_CREATED",
             "recoverysource.type": "peer"}
        ])
    );
}

#[tokio::test]
async fn cluster_health_counts_closed_indices_and_honours_expand_wildcards() {
    let n = support::start().await;
    create(&n, "index-1", one_shard(0)).await;
    create(
        &n,
        "index-2",
        json!({"settings": {"number_of_shards": 2, "number_of_replicas": 0}}),
    )
    .await;
    let (status, _) = n.json("POST", "/index-2/_close", None).await;
    assert_eq!(status, 200);
    let (_, all) = n.json("GET", "/_cluster/health", None).await;
    assert_eq!(all["active_shards"], 3);
    let (_, closed) = n
        .json(
            "GET",
            "/_cluster/health/index-*?level=indices&expand_wildcards=closed",
            None,
        )
        .await;
    assert_eq!(closed["active_shards"], 2);
    assert_eq!(closed["indices"]["index-2"]["status"], "green");
    assert!(closed["indices"].get("index-1").is_none());
    let (status, none) = n
        .json(
            "GET",
            "/_cluster/health/index-*?expand_wildcards=none",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(none["status"], "green");
    assert_eq!(none["active_shards"], 0);
}

#[tokio::test]
async fn cluster_health_closed_index_with_missing_replicas_stays_yellow() {
    let n = support::start().await;
    create(&n, "index-2", one_shard(5)).await;
    let (status, _) = n.json("POST", "/index-2/_close", None).await;
    assert_eq!(status, 200);
    let (_, v) = n.json("GET", "/_cluster/health", None).await;
    assert_eq!(v["status"], "yellow");
    let (_, v) = n.json("GET", "/_cluster/health/index-2", None).await;
    assert_eq!(v["status"], "yellow");
}

#[tokio::test]
async fn cluster_health_rejects_bad_parameters_like_elasticsearch() {
    let n = support::start().await;
    let cases = [
        (
            "/_cluster/health?level=bogus",
            "level parameter must be one of [cluster] or [indices] or [shards] but was [bogus]",
        ),
        (
            "/_cluster/health?wait_for_status=purple",
            "No enum constant org.elasticsearch.cluster.health.ClusterHealthStatus.PURPLE",
        ),
        (
            "/_cluster/health?wait_for_active_shards=many",
            "cannot parse ActiveShardCount[many]",
        ),
        (
            "/_cluster/health?wait_for_active_shards=-1",
            "shard count cannot be a negative value",
        ),
        (
            "/_cluster/health?wait_for_events=soon",
            "No enum constant org.elasticsearch.common.Priority.SOON",
        ),
    ];
    for (uri, reason) in cases {
        let (status, v) = n.json("GET", uri, None).await;
        assert_eq!(status, 400, "{uri}: {v}");
        assert_eq!(v["error"]["type"], "illegal_argument_exception", "{uri}");
        assert_eq!(v["error"]["reason"], reason, "{uri}");
    }
    let (status, v) = n
        .json(
            "GET",
            "/_cluster/health?level=SHARDS&wait_for_status=GREEN",
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = n
        .json("GET", "/_cluster/health/missing?timeout=1ms", None)
        .await;
    assert_eq!(status, 408);
    assert_eq!(v["status"], "red");
}
