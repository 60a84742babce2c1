//! Disk watermarks on a real `quarry` process whose disk figures come from the test hook
//! (`QUARRY_TEST_DISK_USAGE_FILE`): crossing the flood stage puts
//! `index.blocks.read_only_allow_delete` on the index and writes get Elasticsearch's 429
//! `cluster_block_exception`; going back below the high watermark lifts the block; above the
//! high watermark a new index cannot be allocated, and allocation explain says why.

mod support;

use serde_json::{json, Value};
use std::time::Duration;
use support::{free_port, ok, start_quarry_env, wait_for};

fn set_disk(file: &std::path::Path, used_percent: u64) {
    let total = 1_000_000_000u64;
    let free = total - total / 100 * used_percent;
    std::fs::write(
        file,
        json!({"total_bytes": total, "free_bytes": free}).to_string(),
    )
    .unwrap();
}

fn blocked(port: u16) -> bool {
    let (_, v) = ok(port, "GET", "/disk/_settings?flat_settings=true", None);
    v["disk"]["settings"]["index.blocks.read_only_allow_delete"] == "true"
}

#[test]
fn flood_stage_blocks_writes_until_usage_falls_below_high() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("disk.json");
    set_disk(&file, 50);
    let port = free_port();
    let mut child = start_quarry_env(
        port,
        &[
            "cluster.name=disk-test".into(),
            "node.name=d0".into(),
            format!("path.data={}", dir.path().join("data").display()),
            format!("path.logs={}", dir.path().join("logs").display()),
        ],
        &[("QUARRY_TEST_DISK_USAGE_FILE", file.display().to_string())],
    );
    let (s, v) = ok(
        port,
        "PUT",
        "/_cluster/settings",
        Some(
            &json!({"persistent": {
                "cluster.info.update.interval": "200ms",
                "cluster.routing.allocation.disk.watermark.enable_for_single_data_node": true
            }})
            .to_string(),
        ),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = ok(
        port,
        "PUT",
        "/disk",
        Some(&json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}}).to_string()),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = ok(port, "PUT", "/disk/_doc/1", Some(r#"{"n": 1}"#));
    assert_eq!(s, 201, "{v}");

    set_disk(&file, 96);
    wait_for(Duration::from_secs(10), "the flood-stage block", || {
        blocked(port).then_some(())
    });
    let (s, v): (u16, Value) = ok(port, "PUT", "/disk/_doc/2", Some(r#"{"n": 2}"#));
    assert_eq!(s, 429, "{v}");
    assert_eq!(v["error"]["type"], "cluster_block_exception", "{v}");
    assert!(
        v["error"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("TOO_MANY_REQUESTS/12/disk usage exceeded flood-stage watermark"),
        "{v}"
    );
    // Reads still work.
    let (s, _) = ok(port, "GET", "/disk/_doc/1", None);
    assert_eq!(s, 200);

    // Above high, a new index finds no node, and explain says why.
    let (s, v) = ok(
        port,
        "PUT",
        "/later",
        Some(&json!({"settings": {"number_of_shards": 1, "number_of_replicas": 0}}).to_string()),
    );
    assert_eq!(s, 200, "{v}");
    let (s, v) = ok(
        port,
        "GET",
        "/_cluster/allocation/explain",
        Some(&json!({"index": "later", "shard": 0, "primary": true}).to_string()),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["can_allocate"], "no", "{v}");
    let deciders = v["node_allocation_decisions"][0]["deciders"].to_string();
    assert!(deciders.contains("disk_threshold"), "{v}");
    assert!(deciders.contains("high watermark"), "{v}");

    // Between high and flood stage the block stays; below high it is lifted.
    set_disk(&file, 92);
    std::thread::sleep(Duration::from_millis(800));
    assert!(blocked(port));
    set_disk(&file, 60);
    wait_for(Duration::from_secs(10), "the block to be lifted", || {
        (!blocked(port)).then_some(())
    });
    let (s, v) = ok(port, "PUT", "/disk/_doc/2", Some(r#"{"n": 2}"#));
    assert_eq!(s, 201, "{v}");
    let (_, health) = ok(
        port,
        "GET",
        "/_cluster/health/later?wait_for_status=green&timeout=10s",
        None,
    );
    assert_eq!(health["status"], "green", "{health}");
    let _ = child.kill();
    let _ = child.wait();
}
