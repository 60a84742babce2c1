//! Document operations in a real cluster: three master+data `quarry` processes and a
//! coordinating-only one (`node.roles=[]`), an index with three shards and no replicas. Every
//! node — also the one without shards — accepts bulk, index, create, update and delete for any
//! document and serves it back by GET, `_source`, HEAD and `_mget`, because writes are
//! forwarded to the primary's node and gets to the node holding the copy that serves reads. A
//! bulk coordinated by a node holding none of the shards answers byte for byte like one
//! coordinated by a node holding one.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{http, ok, wait_for, ProcessCluster};

const INDEX: &str = "docs";

type Cluster = ProcessCluster;

/// Nodes n0..n2 are master+data; n3 is coordinating-only (last in `http`).
fn start_cluster() -> Cluster {
    ProcessCluster::start("forwarding", 3, 1)
}

fn create_index(cluster: &Cluster, index: &str) {
    cluster.create_index(
        index,
        &serde_json::json!({"settings": {"number_of_shards": 3, "number_of_replicas": 0}}),
    );
}

/// Node names holding a shard of `index`.
fn shard_nodes(port: u16, index: &str) -> Vec<String> {
    let (_, v) = ok(
        port,
        "GET",
        &format!("/_cat/shards/{index}?format=json&h=shard,prirep,state,node"),
        None,
    );
    let mut nodes: Vec<String> = v
        .as_array()
        .expect("shard rows")
        .iter()
        .map(|r| r["node"].as_str().unwrap_or_default().to_string())
        .collect();
    nodes.sort();
    nodes.dedup();
    nodes
}

fn bulk_body(ids: &[String]) -> String {
    ids.iter()
        .map(|id| format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n{{\"id\":\"{id}\",\"n\":1}}\n"))
        .collect()
}

#[test]
fn every_node_writes_and_reads_documents_of_every_shard() {
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
    create_index(&cluster, INDEX);
    let holders = shard_nodes(cluster.http[0], INDEX);
    assert!(
        holders.len() >= 2,
        "shards spread over data nodes: {holders:?}"
    );
    assert!(!holders.contains(&"n3".to_string()), "{holders:?}");

    // Bulk 100 documents through every node.
    let mut all_ids = Vec::new();
    for (i, port) in cluster.http.iter().enumerate() {
        let ids: Vec<String> = (0..100).map(|k| format!("b{i}-{k}")).collect();
        let (s, v) = ok(
            *port,
            "POST",
            &format!("/{INDEX}/_bulk"),
            Some(&bulk_body(&ids)),
        );
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["errors"], false, "{v}");
        let items = v["items"].as_array().expect("items");
        assert_eq!(items.len(), 100);
        for (item, id) in items.iter().zip(&ids) {
            let item = &item["index"];
            assert_eq!(
                (
                    &item["_id"],
                    &item["status"],
                    &item["result"],
                    &item["_index"]
                ),
                (&json!(id), &json!(201), &json!("created"), &json!(INDEX)),
                "{item}"
            );
            assert_eq!(
                item["_shards"],
                json!({"total": 1, "successful": 1, "failed": 0})
            );
        }
        all_ids.extend(ids);
    }

    // Single-document writes through every node.
    for (i, port) in cluster.http.iter().enumerate() {
        let port = *port;
        let (s, v) = ok(
            port,
            "PUT",
            &format!("/{INDEX}/_doc/single-{i}?refresh=true"),
            Some(r#"{"v":1}"#),
        );
        assert_eq!(
            (s, &v["result"], &v["forced_refresh"]),
            (201, &json!("created"), &json!(true)),
            "{v}"
        );
        let (s, v) = ok(
            port,
            "PUT",
            &format!("/{INDEX}/_create/created-{i}"),
            Some(r#"{"v":1}"#),
        );
        assert_eq!(
            (s, &v["result"], &v["_version"]),
            (201, &json!("created"), &json!(1)),
            "{v}"
        );
        let (s, v) = ok(
            port,
            "PUT",
            &format!("/{INDEX}/_create/created-{i}"),
            Some(r#"{"v":2}"#),
        );
        assert_eq!(s, 409, "{v}");
        assert_eq!(v["status"], 409);
        assert_eq!(v["error"]["type"], "version_conflict_engine_exception");
        assert_eq!(
            v["error"]["root_cause"][0]["type"],
            "version_conflict_engine_exception"
        );
        assert_eq!(v["error"]["index"], INDEX);
        let (s, v) = ok(
            port,
            "POST",
            &format!("/{INDEX}/_update/single-{i}"),
            Some(r#"{"doc":{"updated":true}}"#),
        );
        assert_eq!(
            (s, &v["result"], &v["_version"]),
            (200, &json!("updated"), &json!(2)),
            "{v}"
        );
        let (s, v) = ok(
            port,
            "POST",
            &format!("/{INDEX}/_update/upserted-{i}"),
            Some(r#"{"doc":{"u":1},"doc_as_upsert":true}"#),
        );
        assert_eq!((s, &v["result"]), (201, &json!("created")), "{v}");
        let (s, v) = ok(
            port,
            "POST",
            &format!("/{INDEX}/_update/missing-{i}"),
            Some(r#"{"doc":{"u":1}}"#),
        );
        assert_eq!(
            (s, &v["error"]["type"]),
            (404, &json!("document_missing_exception")),
            "{v}"
        );
        let (s, v) = ok(port, "DELETE", &format!("/{INDEX}/_doc/created-{i}"), None);
        assert_eq!((s, &v["result"]), (200, &json!("deleted")), "{v}");
        let (s, v) = ok(port, "DELETE", &format!("/{INDEX}/_doc/created-{i}"), None);
        assert_eq!((s, &v["result"]), (404, &json!("not_found")), "{v}");
        all_ids.push(format!("single-{i}"));
        all_ids.push(format!("upserted-{i}"));
    }

    // Every document is found through every node.
    let mget = json!({ "ids": all_ids }).to_string();
    for port in &cluster.http {
        let (s, v) = ok(*port, "POST", &format!("/{INDEX}/_mget"), Some(&mget));
        assert_eq!(s, 200, "{v}");
        let docs = v["docs"].as_array().expect("docs");
        assert_eq!(docs.len(), all_ids.len());
        for (doc, id) in docs.iter().zip(&all_ids) {
            assert_eq!(
                (&doc["_id"], &doc["found"]),
                (&json!(id), &json!(true)),
                "{doc}"
            );
        }
        for i in 0..4 {
            let (s, v) = ok(*port, "GET", &format!("/{INDEX}/_doc/single-{i}"), None);
            assert_eq!(s, 200, "{v}");
            assert_eq!(v["_source"], json!({"v": 1, "updated": true}));
            assert_eq!(v["_version"], 2);
            let (s, v) = ok(
                *port,
                "GET",
                &format!("/{INDEX}/_source/single-{i}?_source_includes=updated"),
                None,
            );
            assert_eq!((s, v), (200, json!({"updated": true})));
            let (s, v) = ok(*port, "GET", &format!("/{INDEX}/_doc/created-{i}"), None);
            assert_eq!((s, &v["found"]), (404, &json!(false)), "{v}");
            assert_eq!(head(*port, &format!("/{INDEX}/_doc/upserted-{i}")), 200);
            assert_eq!(head(*port, &format!("/{INDEX}/_doc/created-{i}")), 404);
        }
    }

    // A write through the coordinating-only node auto-creates an index and waits for its
    // primary to start on a data node.
    let (s, v) = ok(
        cluster.http[3],
        "PUT",
        "/auto-created/_doc/1",
        Some(r#"{"x":1}"#),
    );
    assert_eq!((s, &v["result"]), (201, &json!("created")), "{v}");
    // Every node serves it once it has applied the new index's cluster state — also the one
    // holding its replica (`number_of_replicas` defaults to 1), which replication does not fill
    // yet: gets go to the primary.
    for port in &cluster.http {
        let mut last = (0, Value::Null);
        let found = wait_for_or_none(Duration::from_secs(10), || {
            last = ok(*port, "GET", "/auto-created/_doc/1", None);
            (last.0 == 200).then_some(())
        });
        assert!(found.is_some(), "GET through {port}: {last:?}");
        assert_eq!(last.1["_source"], json!({"x": 1}));
    }
}

/// The same bulk — successes, conflicts, misses, upserts, no-ops, a new field — against two
/// identical indices, coordinated by a data node (one shard local) and by the coordinating-only
/// node (all shards remote), answers the same apart from `took` and the index name.
#[test]
fn forwarded_bulk_responses_match_the_local_ones() {
    let cluster = start_cluster();
    wait_for(Duration::from_secs(60), "a four-node cluster", || {
        matches!(http(cluster.http[3], "GET", "/_cat/nodes?format=json", None),
            Ok((200, Value::Array(ref rows))) if rows.len() == 4)
        .then_some(())
    });
    create_index(&cluster, "same-a");
    create_index(&cluster, "same-b");
    let mut body = String::new();
    for k in 0..12 {
        body.push_str(&format!(
            "{{\"index\":{{\"_id\":\"{k}\"}}}}\n{{\"k\":{k}}}\n"
        ));
    }
    for k in 0..12 {
        body.push_str(&format!(
            "{{\"create\":{{\"_id\":\"{k}\"}}}}\n{{\"k\":{k}}}\n"
        ));
        body.push_str(&format!(
            "{{\"update\":{{\"_id\":\"{k}\",\"_source\":true}}}}\n{{\"doc\":{{\"k\":{k}}}}}\n"
        ));
        body.push_str(&format!("{{\"update\":{{\"_id\":\"u{k}\"}}}}\n{{\"doc\":{{\"k\":{k}}},\"doc_as_upsert\":true}}\n"));
        body.push_str(&format!(
            "{{\"update\":{{\"_id\":\"m{k}\"}}}}\n{{\"doc\":{{\"k\":{k}}}}}\n"
        ));
        body.push_str(&format!("{{\"index\":{{\"_id\":\"{k}\",\"if_seq_no\":99,\"if_primary_term\":1}}}}\n{{\"k\":0}}\n"));
        body.push_str(&format!("{{\"delete\":{{\"_id\":\"d{k}\"}}}}\n"));
        body.push_str(&format!(
            "{{\"index\":{{\"_id\":\"f{k}\"}}}}\n{{\"field_{k}\":\"x\"}}\n"
        ));
        body.push_str(&format!("{{\"delete\":{{\"_id\":\"{k}\"}}}}\n"));
    }
    let run = |port: u16, index: &str| -> Vec<String> {
        let (s, mut v) = ok(
            port,
            "POST",
            &format!("/{index}/_bulk?refresh=wait_for"),
            Some(&body),
        );
        assert_eq!(s, 200, "{v}");
        assert_eq!(v["errors"], true);
        let items = v["items"].as_array_mut().expect("items");
        for item in items.iter_mut() {
            for body in item.as_object_mut().expect("item").values_mut() {
                if body["error"]["index_uuid"].is_string() {
                    body["error"]["index_uuid"] = json!("UUID");
                }
            }
        }
        items
            .iter()
            .map(|i| i.to_string().replace(index, "INDEX"))
            .collect()
    };
    let local = run(cluster.http[0], "same-a");
    let forwarded = run(cluster.http[3], "same-b");
    assert_eq!(local.len(), 12 + 12 * 8);
    for (f, l) in forwarded.iter().zip(&local) {
        assert_eq!(f, l);
    }
    for status in [200, 201, 404, 409] {
        let tag = format!("\"status\":{status}");
        assert!(local.iter().any(|i| i.contains(&tag)), "{status}");
    }
}

/// Polls `check` every 100 ms until it returns `Some`, or `None` after `limit`.
fn wait_for_or_none<T>(limit: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + limit;
    while std::time::Instant::now() < deadline {
        if let Some(v) = check() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    None
}

/// The status of a HEAD request (the shared helper expects a body after the headers).
fn head(port: u16, path: &str) -> u16 {
    use std::io::{BufRead, BufReader, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(
        s,
        "HEAD {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .expect("request");
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).expect("status line");
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}
