//! The primary-side shard bulk gives each item the outcome the local `_bulk` path gives it:
//! the same items run through `Node::bulk` on one index and through
//! `Node::execute_shard_bulk` (as a forwarded request would) on an identical index.

use super::*;
use crate::action::bulk::{BulkDefaults, BulkRequest};
use crate::action::remote_error::decode_error;
use crate::action::shard_bulk_wire::{WireRefresh, WireVersionCheck};
use crate::NodeConfig;
use serde_json::{json, Value};

async fn start() -> (Arc<Node>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let node = Node::start(NodeConfig::for_test(dir.path().to_path_buf()))
        .await
        .expect("node starts");
    for name in ["local", "forwarded"] {
        node.create_index(name, &json!({"settings": {"number_of_shards": 1}}))
            .await
            .expect("index created");
    }
    (node, dir)
}

const NDJSON: &str = r#"{"index":{"_id":"1"}}
{"a":1}
{"index":{"_id":"1"}}
{"a":2}
{"create":{"_id":"1"}}
{"a":3}
{"delete":{"_id":"2"}}
{"update":{"_id":"3"}}
{"doc":{"b":1},"doc_as_upsert":true}
{"update":{"_id":"4"}}
{"doc":{"b":1}}
{"index":{"_id":"5"}}
{"brand_new_field":"x"}
{"update":{"_id":"1","_source":true}}
{"doc":{"a":2}}
{"index":{"_id":"6","if_seq_no":99,"if_primary_term":1}}
{"a":1}
{"delete":{"_id":"1"}}
"#;

fn index(id: &str, source: &str, create: bool, check: WireVersionCheck) -> ShardBulkItem {
    ShardBulkItem::Index {
        id: id.into(),
        routing: None,
        source: source.as_bytes().to_vec(),
        create,
        version_check: check,
        auto_generated_id: false,
    }
}

fn update(id: &str, body: &str, fetch_source: bool) -> ShardBulkItem {
    ShardBulkItem::Update {
        id: id.into(),
        routing: None,
        body: body.as_bytes().to_vec(),
        retry_on_conflict: 0,
        if_seq_no: None,
        if_primary_term: None,
        version: None,
        version_type: None,
        source_filter: fetch_source.then(|| (&SourceFilter::default()).into()),
        refresh: WireRefresh::None,
    }
}

fn delete(id: &str) -> ShardBulkItem {
    ShardBulkItem::Delete {
        id: id.into(),
        routing: None,
        version_check: WireVersionCheck::None,
    }
}

/// The same items as [`NDJSON`], as the coordinating node sends them.
fn forwarded_items() -> Vec<ShardBulkItem> {
    vec![
        index("1", r#"{"a":1}"#, false, WireVersionCheck::None),
        index("1", r#"{"a":2}"#, false, WireVersionCheck::None),
        index("1", r#"{"a":3}"#, true, WireVersionCheck::None),
        delete("2"),
        update("3", r#"{"doc":{"b":1},"doc_as_upsert":true}"#, false),
        update("4", r#"{"doc":{"b":1}}"#, false),
        index(
            "5",
            r#"{"brand_new_field":"x"}"#,
            false,
            WireVersionCheck::None,
        ),
        update("1", r#"{"doc":{"a":2}}"#, true),
        index(
            "6",
            r#"{"a":1}"#,
            false,
            WireVersionCheck::IfSeqNo {
                seq_no: 99,
                primary_term: 1,
            },
        ),
        delete("1"),
    ]
}

/// What a test compares of one item: everything but `_index` and the error's index metadata.
fn outcome(item: &Value) -> Value {
    json!({
        "status": item["status"],
        "result": item["result"],
        "_version": item["_version"],
        "_seq_no": item["_seq_no"],
        "get": item["get"],
        "error_type": item["error"]["type"],
        "error_reason": item["error"]["reason"],
    })
}

fn forwarded_outcome(r: &ShardItemResult) -> Value {
    match r {
        ShardItemResult::Written {
            version,
            result,
            seq_no,
            status,
            ..
        } => outcome(&json!({
            "status": status, "result": result.as_str(), "_version": version, "_seq_no": seq_no
        })),
        ShardItemResult::Json { status, body } => {
            let mut v: Value = serde_json::from_slice(body).expect("json body");
            v["status"] = json!(status);
            outcome(&v)
        }
        ShardItemResult::Failed { error } => {
            let e = decode_error(error);
            outcome(&json!({"status": e.status, "error": e.to_json()}))
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_items_have_the_outcomes_of_the_local_bulk_path() {
    let (node, _dir) = start().await;
    let local = node
        .bulk(BulkRequest {
            body: bytes::Bytes::from_static(NDJSON.as_bytes()),
            defaults: BulkDefaults {
                index: Some("local".into()),
                ..BulkDefaults::default()
            },
            ..BulkRequest::default()
        })
        .await
        .expect("local bulk");
    let local: Value = serde_json::from_slice(&local.raw_json.expect("raw body")).expect("json");
    let local: Vec<Value> = local["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|item| {
            outcome(
                item.as_object()
                    .and_then(|o| o.values().next())
                    .expect("one action"),
            )
        })
        .collect();

    let forwarded = node
        .execute_shard_bulk(ShardBulkRequest {
            index: "forwarded".into(),
            shard: 0,
            refresh: WireRefresh::Immediate,
            items: forwarded_items(),
        })
        .await
        .expect("shard bulk");
    assert!(forwarded.forced_refresh);
    let forwarded: Vec<Value> = forwarded.items.iter().map(forwarded_outcome).collect();
    assert_eq!(forwarded, local);
    // Sanity: the list covers successes, conflicts, misses, upserts and no-ops.
    let statuses: Vec<u64> = local.iter().filter_map(|o| o["status"].as_u64()).collect();
    assert_eq!(
        statuses,
        vec![201, 200, 409, 404, 201, 404, 201, 200, 409, 200]
    );
    assert_eq!(local[7]["result"], "noop");

    // The new field went through the master into the index mapping.
    let mapping = node
        .state()
        .index("forwarded")
        .expect("index")
        .mapping
        .to_json();
    assert!(mapping.to_string().contains("brand_new_field"), "{mapping}");
    // Refreshed on the primary: the documents are searchable at once.
    let shard = node.indices().shard("forwarded", 0).expect("local shard");
    assert!(shard.get("5", false).expect("get").is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shard_that_is_not_here_is_refused_as_a_whole() {
    let (node, _dir) = start().await;
    let e = node
        .execute_shard_bulk(ShardBulkRequest {
            index: "forwarded".into(),
            shard: 3,
            refresh: WireRefresh::None,
            items: vec![delete("1")],
        })
        .await
        .unwrap_err();
    assert_eq!(e.error_type, "unavailable_shards_exception");
    assert_eq!(e.status, 503);
}
