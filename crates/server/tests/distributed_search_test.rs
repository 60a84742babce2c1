//! Distributed `_search` and `_count` in a real cluster: three master+data `quarry` processes
//! and a coordinating-only one (`node.roles=[]`), an index with three shards and no replicas
//! spread over the data nodes. Through EVERY node — also the one holding no shard — counts,
//! totals, sorted pages, aggregations and single-document matches cover all three shards, and
//! equal those of a one-shard index holding the same documents.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{http, ok, wait_for, ProcessCluster};

const INDEX: &str = "spread";
/// One shard with the same documents: the reference order.
const REFERENCE: &str = "single";
const DOCS: usize = 200;
const TAGS: [&str; 7] = ["a", "b", "c", "d", "e", "f", "g"];

type Cluster = ProcessCluster;

/// Nodes n0..n2 are master+data; n3 is coordinating-only (last in `http`).
fn start_cluster() -> Cluster {
    ProcessCluster::start("distributed-search", 3, 1)
}

fn create_index(cluster: &Cluster, index: &str, shards: u32) {
    let body = json!({
        "settings": {"number_of_shards": shards, "number_of_replicas": 0},
        "mappings": {"properties": {
            "id": {"type": "keyword"},
            "n": {"type": "long"},
            "tag": {"type": "keyword"}
        }}
    });
    cluster.create_index(index, &body);
}

/// Document `i`: a unique `n` (a permutation of 0..200) and one of seven tags.
fn doc(i: usize) -> Value {
    json!({"id": format!("d{i}"), "n": (i * 37) % DOCS, "tag": TAGS[i % TAGS.len()]})
}

fn bulk(cluster: &Cluster, index: &str) {
    let body: String = (0..DOCS)
        .map(|i| format!("{{\"index\":{{\"_id\":\"d{i}\"}}}}\n{}\n", doc(i)))
        .collect();
    let (s, v) = ok(
        cluster.http[0],
        "POST",
        &format!("/{index}/_bulk?refresh=true"),
        Some(&body),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["errors"], false, "{v}");
}

fn search(port: u16, index: &str, body: Value) -> Value {
    let (s, v) = ok(
        port,
        "POST",
        &format!("/{index}/_search"),
        Some(&body.to_string()),
    );
    assert_eq!(s, 200, "search on {port}: {v}");
    v
}

fn ids(v: &Value) -> Vec<String> {
    v["hits"]["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn every_node_searches_and_counts_every_shard() {
    let cluster = start_cluster();
    wait_for(Duration::from_secs(60), "a four-node cluster", || {
        cluster
            .http
            .iter()
            .all(|p| {
                matches!(http(*p, "GET", "/_cat/nodes?format=json&h=name,master", None),
                    Ok((200, Value::Array(ref rows))) if rows.len() == 4
                        && rows.iter().any(|r| r["master"] == "*"))
            })
            .then_some(())
    });
    create_index(&cluster, INDEX, 3);
    create_index(&cluster, REFERENCE, 1);
    let (_, rows) = ok(
        cluster.http[0],
        "GET",
        &format!("/_cat/shards/{INDEX}?format=json&h=node"),
        None,
    );
    let mut holders: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["node"].as_str())
        .collect();
    holders.sort();
    holders.dedup();
    assert!(holders.len() >= 2, "shards spread over nodes: {holders:?}");
    bulk(&cluster, INDEX);
    bulk(&cluster, REFERENCE);

    // Expected values computed from the documents themselves.
    let mut by_n: Vec<(i64, String)> = (0..DOCS)
        .map(|i| (doc(i)["n"].as_i64().unwrap(), format!("d{i}")))
        .collect();
    by_n.sort_by_key(|b| std::cmp::Reverse(b.0));
    let expected_page: Vec<String> = by_n[15..35].iter().map(|(_, id)| id.clone()).collect();
    let avg = (0..DOCS)
        .map(|i| doc(i)["n"].as_f64().unwrap())
        .sum::<f64>()
        / DOCS as f64;
    let mut tag_counts: Vec<(String, u64)> = TAGS
        .iter()
        .map(|t| {
            let c = (0..DOCS).filter(|i| TAGS[i % TAGS.len()] == *t).count() as u64;
            (t.to_string(), c)
        })
        .collect();
    tag_counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));

    let sorted = json!({"sort": [{"n": "desc"}], "from": 15, "size": 20});
    let reference = search(cluster.http[0], REFERENCE, sorted.clone());
    assert_eq!(ids(&reference), expected_page);

    for (node, port) in cluster.http.iter().enumerate() {
        let port = *port;
        let (s, v) = ok(port, "GET", &format!("/{INDEX}/_count"), None);
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["count"], DOCS, "count through n{node}: {v}");
        assert_eq!(
            v["_shards"],
            json!({"total": 3, "successful": 3, "skipped": 0, "failed": 0}),
            "n{node}"
        );
        let (_, v) = ok(
            port,
            "POST",
            &format!("/{INDEX}/_count"),
            Some(r#"{"query":{"term":{"tag":"a"}}}"#),
        );
        assert_eq!(
            v["count"],
            tag_counts.iter().find(|t| t.0 == "a").unwrap().1,
            "{v}"
        );

        let v = search(port, INDEX, json!({"query": {"match_all": {}}}));
        assert_eq!(
            v["hits"]["total"],
            json!({"value": DOCS, "relation": "eq"}),
            "n{node}"
        );
        assert_eq!(
            (
                &v["_shards"]["total"],
                &v["_shards"]["successful"],
                &v["_shards"]["failed"]
            ),
            (&json!(3), &json!(3), &json!(0)),
            "n{node}: {v}"
        );
        assert_eq!(v["hits"]["hits"].as_array().unwrap().len(), 10);
        assert_eq!(v["hits"]["max_score"], 1.0);

        let page = search(port, INDEX, sorted.clone());
        assert_eq!(ids(&page), expected_page, "sorted page through n{node}");
        assert_eq!(ids(&page), ids(&reference));
        let sorts: Vec<&Value> = page["hits"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| &h["sort"])
            .collect();
        let ref_sorts: Vec<&Value> = reference["hits"]["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| &h["sort"])
            .collect();
        assert_eq!(sorts, ref_sorts);
        // Every page of 50 together gives every document once, in order.
        let mut all = Vec::new();
        for from in (0..DOCS).step_by(50) {
            let p = search(
                port,
                INDEX,
                json!({"sort": [{"n": "asc"}], "from": from, "size": 50, "_source": false}),
            );
            assert!(p["hits"]["hits"][0].get("_source").is_none(), "{p}");
            all.extend(ids(&p));
        }
        let asc: Vec<String> = by_n.iter().rev().map(|(_, id)| id.clone()).collect();
        assert_eq!(all, asc, "paging through n{node}");

        let v = search(
            port,
            INDEX,
            json!({"size": 0, "aggs": {
                "tags": {"terms": {"field": "tag", "size": 10}},
                "avg_n": {"avg": {"field": "n"}}
            }}),
        );
        assert_eq!(v["hits"]["total"]["value"], DOCS);
        let buckets: Vec<(String, u64)> = v["aggregations"]["tags"]["buckets"]
            .as_array()
            .unwrap_or_else(|| panic!("buckets through n{node}: {v}"))
            .iter()
            .map(|b| {
                (
                    b["key"].as_str().unwrap().to_string(),
                    b["doc_count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(buckets, tag_counts, "terms through n{node}");
        assert_eq!(
            v["aggregations"]["avg_n"]["value"], avg,
            "avg through n{node}"
        );
        let single = search(
            port,
            REFERENCE,
            json!({"size": 0, "aggs": {
                "tags": {"terms": {"field": "tag", "size": 10}},
                "avg_n": {"avg": {"field": "n"}}
            }}),
        );
        assert_eq!(v["aggregations"], single["aggregations"]);

        for i in [0usize, 57, 123, 199] {
            let v = search(
                port,
                INDEX,
                json!({"query": {"term": {"id": format!("d{i}")}}}),
            );
            assert_eq!(v["hits"]["total"]["value"], 1, "d{i} through n{node}: {v}");
            let hit = &v["hits"]["hits"][0];
            assert_eq!(hit["_id"], format!("d{i}"));
            assert_eq!(hit["_index"], INDEX);
            assert_eq!(hit["_source"], doc(i));
        }
    }
}
