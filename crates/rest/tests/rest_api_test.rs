//! End-to-end REST behaviour of a single node, in-process: the contract the official clients
//! rely on (headers, shapes, status codes, error envelopes).

mod support;

use serde_json::json;

#[tokio::test]
async fn root_answers_like_elasticsearch_with_product_header() {
    let n = support::start().await;
    let r = n.call("GET", "/", None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.headers.get("x-elastic-product").unwrap(), "Elasticsearch");
    let v = r.json();
    assert_eq!(v["cluster_name"], "quarry");
    assert_eq!(v["tagline"], "You Know, for Search");
    assert!(v["version"]["number"].as_str().unwrap().starts_with("8."));
    assert_eq!(v["cluster_uuid"].as_str().unwrap().len(), 22);
    let head = n.call("HEAD", "/", None).await;
    assert_eq!(head.status, 200);
    assert!(head.text.is_empty());
}

#[tokio::test]
async fn compatible_media_types_are_accepted_and_echoed() {
    let n = support::start().await;
    let r = n
        .call_with(
            "PUT",
            "/compat/_doc/1?refresh=true",
            Some(r#"{"a":1}"#),
            "application/vnd.elasticsearch+json; compatible-with=8",
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let bulk = "{\"index\":{\"_index\":\"compat\",\"_id\":\"2\"}}\n{\"a\":2}\n";
    let r = n
        .call_with(
            "PUT",
            "/_bulk",
            Some(bulk),
            "application/vnd.elasticsearch+x-ndjson; compatible-with=9",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json()["errors"], false);
}

#[tokio::test]
async fn document_round_trip_with_versions_and_conflicts() {
    let n = support::start().await;
    let (s, v) = n
        .json(
            "PUT",
            "/docs/_doc/1",
            Some(json!({"title": "hello world", "n": 5})),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["result"], "created");
    assert_eq!(v["_version"], 1);
    assert_eq!(v["_seq_no"], 0);
    assert_eq!(v["_primary_term"], 1);
    assert_eq!(v["_shards"]["total"], 2);
    // realtime get before any refresh
    let (s, v) = n.json("GET", "/docs/_doc/1", None).await;
    assert_eq!(s, 200);
    assert_eq!(v["found"], true);
    assert_eq!(v["_source"]["title"], "hello world");
    let (s, v) = n
        .json("PUT", "/docs/_doc/1", Some(json!({"title": "again"})))
        .await;
    assert_eq!(
        (s, v["result"].clone(), v["_version"].clone()),
        (200, json!("updated"), json!(2))
    );
    // optimistic concurrency
    let (s, v) = n
        .json(
            "PUT",
            "/docs/_doc/1?if_seq_no=0&if_primary_term=1",
            Some(json!({"x": 1})),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(v["error"]["type"], "version_conflict_engine_exception");
    let (s, _) = n
        .json("PUT", "/docs/_create/1", Some(json!({"x": 1})))
        .await;
    assert_eq!(s, 409);
    // external versions
    let (s, v) = n
        .json(
            "PUT",
            "/docs/_doc/9?version=10&version_type=external",
            Some(json!({"x": 1})),
        )
        .await;
    assert_eq!((s, v["_version"].clone()), (201, json!(10)));
    let (s, _) = n
        .json(
            "PUT",
            "/docs/_doc/9?version=5&version_type=external",
            Some(json!({"x": 2})),
        )
        .await;
    assert_eq!(s, 409);
    // delete
    let (s, v) = n.json("DELETE", "/docs/_doc/1", None).await;
    assert_eq!((s, v["result"].clone()), (200, json!("deleted")));
    let (s, v) = n.json("GET", "/docs/_doc/1", None).await;
    assert_eq!((s, v["found"].clone()), (404, json!(false)));
    let (s, _) = n.json("DELETE", "/docs/_doc/1", None).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn partial_updates_upserts_and_noops() {
    let n = support::start().await;
    let (s, v) = n
        .json("POST", "/u/_update/1", Some(json!({"doc": {"a": 1}})))
        .await;
    assert_eq!(s, 404);
    assert_eq!(v["error"]["type"], "document_missing_exception");
    let (s, _) = n
        .json(
            "POST",
            "/u/_update/1",
            Some(json!({"doc": {"a": 1}, "doc_as_upsert": true})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, v) = n
        .json(
            "POST",
            "/u/_update/1",
            Some(json!({"doc": {"b": {"c": 2}}})),
        )
        .await;
    assert_eq!((s, v["result"].clone()), (200, json!("updated")));
    let (_, v) = n
        .json("POST", "/u/_update/1", Some(json!({"doc": {"a": 1}})))
        .await;
    assert_eq!(v["result"], "noop");
    let (_, v) = n.json("GET", "/u/_source/1", None).await;
    assert_eq!(v, json!({"a": 1, "b": {"c": 2}}));
    let (s, v) = n
        .json(
            "POST",
            "/u/_update/1",
            Some(json!({"script": "ctx._source.a++"})),
        )
        .await;
    assert_eq!(s, 400, "{v}");
}

#[tokio::test]
async fn bulk_reports_per_item_results_and_errors() {
    let n = support::start().await;
    n.json(
        "PUT",
        "/b",
        Some(json!({"mappings": {"properties": {"n": {"type": "long"}}}})),
    )
    .await;
    let body = concat!(
        "{\"index\":{\"_index\":\"b\",\"_id\":\"1\"}}\n{\"n\":1}\n",
        "{\"create\":{\"_index\":\"b\",\"_id\":\"1\"}}\n{\"n\":2}\n",
        "{\"index\":{\"_index\":\"b\",\"_id\":\"2\"}}\n{\"n\":\"not a number\"}\n",
        "{\"update\":{\"_index\":\"b\",\"_id\":\"1\"}}\n{\"doc\":{\"n\":3}}\n",
        "{\"delete\":{\"_index\":\"b\",\"_id\":\"1\"}}\n",
        "{\"index\":{\"_id\":\"3\"}}\n{\"n\":4}\n",
    );
    let r = n
        .call_with(
            "POST",
            "/b/_bulk?refresh=true",
            Some(body),
            "application/x-ndjson",
        )
        .await;
    let v = r.json();
    assert_eq!(r.status, 200, "{v}");
    assert_eq!(v["errors"], true);
    let items = v["items"].as_array().unwrap();
    assert_eq!(items[0]["index"]["status"], 201);
    assert_eq!(items[1]["create"]["status"], 409);
    assert_eq!(items[2]["index"]["status"], 400);
    assert!(items[2]["index"]["error"]["type"]
        .as_str()
        .unwrap()
        .contains("parsing_exception"));
    assert_eq!(items[3]["update"]["result"], "updated");
    assert_eq!(items[4]["delete"]["result"], "deleted");
    assert_eq!(items[5]["index"]["_index"], "b");
    let r = n
        .call_with(
            "POST",
            "/_bulk",
            Some("{\"index\":{}}\n{}"),
            "application/x-ndjson",
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.json()["error"]["type"], "illegal_argument_exception");
}

#[tokio::test]
async fn search_finds_documents_across_shards() {
    let n = support::start().await;
    let (s, _) = n
        .json(
            "PUT",
            "/s",
            Some(json!({"settings": {"number_of_shards": 3, "number_of_replicas": 0}})),
        )
        .await;
    assert_eq!(s, 200);
    let mut bulk = String::new();
    for i in 0..30 {
        bulk.push_str(&format!("{{\"index\":{{\"_id\":\"{i}\"}}}}\n{{\"n\":{i},\"tag\":\"t{}\",\"body\":\"word{i} common\"}}\n", i % 3));
    }
    let r = n
        .call_with(
            "POST",
            "/s/_bulk?refresh=true",
            Some(&bulk),
            "application/x-ndjson",
        )
        .await;
    assert_eq!(r.json()["errors"], false, "{}", r.text);
    let (s, v) = n.json("POST", "/s/_search", Some(json!({"query": {"term": {"tag.keyword": "t1"}}, "size": 100, "sort": [{"n": "asc"}]}))).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["hits"]["total"]["value"], 10);
    assert_eq!(v["_shards"]["total"], 3);
    let ids: Vec<String> = v["hits"]["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        (0..30)
            .filter(|i| i % 3 == 1)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
    );
    let (_, v) = n
        .json(
            "POST",
            "/s/_search",
            Some(json!({"query": {"range": {"n": {"gte": 10, "lt": 20}}}})),
        )
        .await;
    assert_eq!(v["hits"]["total"]["value"], 10);
    let (_, v) = n.json("GET", "/s/_count?q=body:common", None).await;
    assert_eq!(v["count"], 30);
    let (s, v) = n.json("POST", "/nothing-*/_search", None).await;
    assert_eq!((s, v["hits"]["total"]["value"].clone()), (200, json!(0)));
}

#[tokio::test]
async fn errors_use_the_elasticsearch_envelope() {
    let n = support::start().await;
    let (s, v) = n.json("GET", "/missing/_doc/1", None).await;
    assert_eq!(s, 404);
    assert_eq!(
        v["error"]["root_cause"][0]["type"],
        "index_not_found_exception"
    );
    assert_eq!(v["status"], 404);
    let (s, v) = n.json("PUT", "/Bad", None).await;
    assert_eq!(
        (s, v["error"]["type"].clone()),
        (400, json!("invalid_index_name_exception"))
    );
    let r = n.call("PUT", "/x/_doc/1", Some("{not json")).await;
    assert_eq!(r.status, 400);
    let r = n.call("GET", "/_cluster/health?bogus=1", None).await;
    assert_eq!(r.status, 400);
    assert!(r.json()["error"]["reason"]
        .as_str()
        .unwrap()
        .contains("unrecognized parameter: [bogus]"));
    let r = n.call("GET", "/_nope/_nope/_nope", None).await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn health_cat_and_stats_reflect_indices() {
    let n = support::start().await;
    n.json(
        "PUT",
        "/h1",
        Some(json!({"settings": {"number_of_replicas": 0}})),
    )
    .await;
    let (s, v) = n
        .json(
            "GET",
            "/_cluster/health?wait_for_status=green&timeout=5s",
            None,
        )
        .await;
    assert_eq!((s, v["status"].clone()), (200, json!("green")));
    n.json("PUT", "/h2", None).await;
    let (_, v) = n.json("GET", "/_cluster/health", None).await;
    assert_eq!(v["status"], "yellow");
    assert_eq!(v["unassigned_shards"], 1);
    let r = n
        .call(
            "GET",
            "/_cat/indices?v&s=index&h=health,index,pri,rep",
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let lines: Vec<&str> = r.text.lines().collect();
    assert!(lines[0].starts_with("health"), "{}", r.text);
    assert!(
        lines[1].starts_with("green") && lines[1].contains("h1"),
        "{}",
        r.text
    );
    assert!(
        lines[2].starts_with("yellow") && lines[2].contains("h2"),
        "{}",
        r.text
    );
    let (_, v) = n.json("GET", "/_cat/shards?format=json", None).await;
    assert_eq!(v.as_array().unwrap().len(), 3);
    let (_, v) = n.json("GET", "/_stats?level=shards", None).await;
    assert!(v["indices"]["h1"]["shards"]["0"][0]["routing"]["primary"]
        .as_bool()
        .unwrap());
    let (_, v) = n.json("GET", "/_nodes/stats", None).await;
    let node = v["nodes"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert!(
        node["process"]["mem"]["resident_in_bytes"]
            .as_u64()
            .unwrap()
            > 0
    );
    assert!(node["jvm"]["gc"]["collectors"].is_object());
}

#[tokio::test]
async fn filter_path_and_pretty_shape_output() {
    let n = support::start().await;
    let r = n
        .call(
            "GET",
            "/?filter_path=version.number,cluster_name&pretty",
            None,
        )
        .await;
    let v = r.json();
    assert!(r.text.contains("\n  "));
    assert_eq!(v.as_object().unwrap().len(), 2);
    assert!(v["version"]["number"].is_string());
}

#[tokio::test]
async fn acknowledged_documents_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    {
        let n = support::start_in(dir).await;
        n.json("PUT", "/keep/_doc/1", Some(json!({"v": 1}))).await;
        n.json("PUT", "/keep/_doc/2", Some(json!({"v": 2}))).await;
        n.json("DELETE", "/keep/_doc/2", None).await;
        std::mem::forget(n.dir);
    }
    let node = quarry_node::Node::start(quarry_node::NodeConfig::for_test(path))
        .await
        .unwrap();
    let n = support::TestNode {
        router: quarry_rest::router(node.clone()),
        node,
        dir: tempfile::tempdir().unwrap(),
    };
    let (s, v) = n.json("GET", "/keep/_doc/1", None).await;
    assert_eq!(
        (s, v["_source"]["v"].clone(), v["_seq_no"].clone()),
        (200, json!(1), json!(0))
    );
    let (s, _) = n.json("GET", "/keep/_doc/2", None).await;
    assert_eq!(s, 404);
}
