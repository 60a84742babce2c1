//! `_delete_by_query`, `_update_by_query`, `_reindex`, `_count`, and the HTTP-level behaviour
//! every endpoint shares: gzip both ways and the request body limit.

mod support;

use axum::body::Body;
use axum::http::Request;
use serde_json::json;
use std::io::{Read, Write};
use tower::ServiceExt;

async fn seeded() -> support::TestNode {
    let n = support::start().await;
    n.json(
        "PUT",
        "/src",
        Some(json!({"settings": {"number_of_shards": 2, "number_of_replicas": 0}})),
    )
    .await;
    let mut bulk = String::new();
    for i in 0..20 {
        bulk.push_str(&format!(
            "{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"n\":{i},\"kind\":\"{}\"}}\n",
            if i % 2 == 0 { "even" } else { "odd" }
        ));
    }
    let r = n
        .call_with(
            "POST",
            "/src/_bulk?refresh=true",
            Some(&bulk),
            "application/x-ndjson",
        )
        .await;
    assert_eq!(r.json()["errors"], false);
    n
}

#[tokio::test]
async fn delete_by_query_removes_matches_only() {
    let n = seeded().await;
    let (s, v) = n
        .json(
            "POST",
            "/src/_delete_by_query?refresh=true",
            Some(json!({"query": {"term": {"kind.keyword": "odd"}}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["deleted"], 10);
    assert_eq!(v["total"], 10);
    assert_eq!(v["version_conflicts"], 0);
    let (_, v) = n.json("GET", "/src/_count", None).await;
    assert_eq!(v["count"], 10);
    let (_, v) = n.json("GET", "/src/_count?q=kind:odd", None).await;
    assert_eq!(v["count"], 0);
}

#[tokio::test]
async fn update_by_query_rewrites_documents_and_rejects_scripts() {
    let n = seeded().await;
    let (s, v) = n
        .json(
            "POST",
            "/src/_update_by_query?refresh=true",
            Some(json!({"query": {"range": {"n": {"lt": 5}}}})),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["updated"], 5);
    let (_, v) = n.json("GET", "/src/_doc/3", None).await;
    assert_eq!(v["_version"], 2);
    let (s, _) = n
        .json(
            "POST",
            "/src/_update_by_query",
            Some(json!({"script": {"source": "ctx._source.n++"}})),
        )
        .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn reindex_copies_a_query_into_another_index() {
    let n = seeded().await;
    let body = json!({"source": {"index": "src", "query": {"term": {"kind.keyword": "even"}}}, "dest": {"index": "dst"}});
    let (s, v) = n
        .json("POST", "/_reindex?refresh=true", Some(body.clone()))
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["created"], 10);
    let (_, v) = n.json("GET", "/dst/_doc/4", None).await;
    assert_eq!(v["_source"], json!({"n": 4, "kind": "even"}));
    let mut create = body;
    create["dest"]["op_type"] = json!("create");
    let (_, v) = n.json("POST", "/_reindex", Some(create)).await;
    assert_eq!(v["version_conflicts"], 10);
}

#[tokio::test]
async fn gzip_request_and_response_bodies() {
    let n = support::start().await;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(br#"{"title":"compressed"}"#).unwrap();
    let gz = enc.finish().unwrap();
    let req = Request::builder()
        .method("PUT")
        .uri("/gz/_doc/1?refresh=true")
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(Body::from(gz))
        .unwrap();
    let resp = n.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), 201);
    let req = Request::builder()
        .uri("/gz/_doc/1")
        .header("accept-encoding", "gzip")
        .body(Body::empty())
        .unwrap();
    let resp = n.router.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers().get("content-encoding").unwrap(), "gzip");
    let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
        .await
        .unwrap();
    let mut text = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut text)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["_source"]["title"], "compressed");
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = quarry_node::NodeConfig::for_test(dir.path().to_path_buf());
    config.max_content_length = 1024;
    let node = quarry_node::Node::start(config).await.unwrap();
    let n = support::TestNode {
        router: quarry_rest::router(node.clone()),
        node,
        dir,
    };
    let big = format!("{{\"x\":\"{}\"}}", "a".repeat(2048));
    let r = n.call("PUT", "/big/_doc/1", Some(&big)).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.json()["error"]["type"], "content_too_long_exception");
    let r = n.call("PUT", "/big/_doc/1", Some(r#"{"x":"small"}"#)).await;
    assert_eq!(r.status, 201);
}
