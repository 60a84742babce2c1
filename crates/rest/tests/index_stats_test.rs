//! `_stats` over REST as Elasticsearch 8 reports it: metric validation with suggestions, shard
//! commit ids, per-index search counts and groups, no-op update counts and closed indices.

mod support;

use serde_json::json;

async fn one_doc_index() -> support::TestNode {
    let n = support::start().await;
    let (s, _) = n
        .json(
            "PUT",
            "/test1",
            Some(json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}})),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = n
        .json(
            "PUT",
            "/test1/_doc/1?refresh=true",
            Some(json!({"bar": "bar"})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    n
}

#[tokio::test]
async fn unknown_metric_suggests_the_close_one() {
    let n = support::start().await;
    let (s, v) = n.json("GET", "/_stats/fieldata", None).await;
    assert_eq!(s, 400);
    assert_eq!(
        v["error"]["reason"],
        "request [/_stats/fieldata] contains unrecognized metric: [fieldata] -> did you mean [fielddata]?"
    );
    let (_, v) = n.json("GET", "/_stats/zzzzzzzz", None).await;
    assert_eq!(
        v["error"]["reason"],
        "request [/_stats/zzzzzzzz] contains unrecognized metric: [zzzzzzzz]"
    );
}

#[tokio::test]
async fn shard_level_commit_has_an_id() {
    let n = one_doc_index().await;
    let (_, v) = n.json("GET", "/_stats?level=shards", None).await;
    let commit = &v["indices"]["test1"]["shards"]["0"][0]["commit"];
    assert!(!commit["id"].as_str().unwrap().is_empty(), "{commit}");
}

#[tokio::test]
async fn searches_count_per_index_and_group() {
    let n = one_doc_index().await;
    n.json("PUT", "/other", None).await;
    let (s, _) = n
        .json(
            "POST",
            "/test1/_search",
            Some(json!({"stats": ["bar", "baz"]})),
        )
        .await;
    assert_eq!(s, 200);
    let (_, v) = n.json("GET", "/_stats/search", None).await;
    assert_eq!(v["indices"]["test1"]["total"]["search"]["query_total"], 1);
    assert_eq!(v["indices"]["other"]["total"]["search"]["query_total"], 0);
    assert!(v["_all"]["total"]["search"].get("groups").is_none());
    let (_, v) = n.json("GET", "/_stats/search?groups=*r", None).await;
    let groups = &v["_all"]["total"]["search"]["groups"];
    assert_eq!(groups["bar"]["query_total"], 1);
    assert!(groups.get("baz").is_none());
}

#[tokio::test]
async fn noop_updates_are_counted() {
    let n = one_doc_index().await;
    let (s, v) = n
        .json(
            "POST",
            "/test1/_update/1",
            Some(json!({"doc": {"bar": "bar"}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["result"], "noop");
    let (_, v) = n.json("GET", "/test1/_stats/indexing", None).await;
    assert_eq!(
        v["indices"]["test1"]["primaries"]["indexing"]["noop_update_total"],
        1
    );
}

#[tokio::test]
async fn closed_indices_report_trimmed_translog_and_unloaded_segments() {
    let n = one_doc_index().await;
    n.json("POST", "/test1/_flush", None).await;
    let (_, v) = n.json("GET", "/test1/_stats/segments", None).await;
    let open_segments = v["indices"]["test1"]["primaries"]["segments"]["count"].clone();
    assert!(open_segments.as_u64().unwrap() > 0);
    let (s, _) = n.json("POST", "/test1/_close", None).await;
    assert_eq!(s, 200);
    let closed = "expand_wildcards=all&forbid_closed_indices=false";
    let (_, v) = n
        .json(
            "GET",
            &format!("/test1/_stats/translog,segments?{closed}"),
            None,
        )
        .await;
    let p = &v["indices"]["test1"]["primaries"];
    assert_eq!(p["translog"]["operations"], 0, "{v}");
    assert_eq!(p["segments"]["count"], 0);
    let (_, v) = n
        .json(
            "GET",
            &format!("/test1/_stats/segments?{closed}&include_unloaded_segments=true"),
            None,
        )
        .await;
    assert_eq!(
        v["indices"]["test1"]["primaries"]["segments"]["count"],
        open_segments
    );
}
