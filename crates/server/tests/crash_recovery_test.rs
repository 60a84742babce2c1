//! Kills a real `quarry` process with SIGKILL in the middle of a bulk load and restarts it on
//! the same data path: every acknowledged document must be there with its `_seq_no` and
//! `_version`, and nothing may be half-applied (every document present is complete).

mod support;

use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{free_port, http};

fn start(data: &std::path::Path, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quarry"))
        .arg("-E")
        .arg(format!("http.port={port}"))
        .arg("-E")
        .arg(format!("path.data={}", data.display()))
        .arg("-E")
        .arg(format!("path.logs={}", data.join("logs").display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("quarry starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(port, "GET", "/", None) {
            return child;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("quarry did not answer on port {port}");
}

fn doc(i: usize) -> Value {
    json!({"n": i, "text": format!("document number {i}"), "pad": "x".repeat(i % 50)})
}

#[test]
fn sigkill_mid_bulk_keeps_every_acknowledged_document() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = start(dir.path(), port);
    let (s, _) = http(
        port,
        "PUT",
        "/crash",
        Some(r#"{"settings":{"number_of_shards":2,"number_of_replicas":0}}"#),
    )
    .unwrap();
    assert_eq!(s, 200);

    let loader_port = port;
    let loader = std::thread::spawn(move || {
        let mut acked: Vec<(usize, i64, i64)> = Vec::new();
        let mut next = 0usize;
        loop {
            let mut body = String::new();
            for i in next..next + 50 {
                body.push_str(&format!(
                    "{{\"index\":{{\"_index\":\"crash\",\"_id\":\"{i}\"}}}}\n{}\n",
                    doc(i)
                ));
            }
            match http(loader_port, "POST", "/_bulk", Some(&body)) {
                Ok((200, v)) => {
                    for item in v["items"].as_array().cloned().unwrap_or_default() {
                        let it = &item["index"];
                        if it["status"] == 201 {
                            let id: usize = it["_id"].as_str().unwrap().parse().unwrap();
                            acked.push((
                                id,
                                it["_seq_no"].as_i64().unwrap(),
                                it["_version"].as_i64().unwrap(),
                            ));
                        }
                    }
                }
                _ => return acked,
            }
            next += 50;
        }
    });
    std::thread::sleep(Duration::from_millis(1500));
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let acked = loader.join().unwrap();
    assert!(
        acked.len() >= 50,
        "the load made progress before the kill ({} acked)",
        acked.len()
    );

    let port = free_port();
    let mut child = start(dir.path(), port);
    for (id, seq_no, version) in &acked {
        let (s, v) = http(port, "GET", &format!("/crash/_doc/{id}"), None).unwrap();
        assert_eq!(s, 200, "acknowledged doc {id} lost: {v}");
        assert_eq!(v["_seq_no"].as_i64(), Some(*seq_no), "doc {id}");
        assert_eq!(v["_version"].as_i64(), Some(*version), "doc {id}");
        assert_eq!(v["_source"], doc(*id), "doc {id} is complete");
    }
    // Nothing half-applied: whatever is searchable is complete.
    http(port, "POST", "/crash/_refresh", None).unwrap();
    let (_, v) = http(
        port,
        "POST",
        "/crash/_search",
        Some(r#"{"size":10000,"query":{"match_all":{}}}"#),
    )
    .unwrap();
    for hit in v["hits"]["hits"].as_array().unwrap() {
        let id: usize = hit["_id"].as_str().unwrap().parse().unwrap();
        assert_eq!(hit["_source"], doc(id));
    }
    // Every acknowledged document is searchable after recovery (search totals stop at 10,000).
    let (_, v) = http(port, "GET", "/crash/_count", None).unwrap();
    assert!(v["count"].as_u64().unwrap() as usize >= acked.len(), "{v}");
    child.kill().unwrap();
    child.wait().unwrap();
}
