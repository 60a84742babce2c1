//! Storage-level properties of `IndexShard`: a model-based proptest (random index, delete,
//! refresh, flush, force-merge and reopen-without-flush against a map), and a crash test that
//! SIGKILLs a writer process and checks that every acknowledged operation survived.

use proptest::prelude::*;
use quarry_index::{
    DeleteOperation, IndexOperation, IndexShard, OpType, ShardConfig, VersionCheck,
};
use quarry_types::{Mapping, Settings, ShardId};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use tantivy::collector::Count;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;

fn config(path: &Path, durability: &str) -> ShardConfig {
    ShardConfig {
        shard_id: ShardId::new("model", 0),
        index_uuid: "u".into(),
        path: path.to_path_buf(),
        settings: Settings::from_json(
            &serde_json::json!({ "index.translog.durability": durability }),
        )
        .unwrap(),
        mapping: Mapping::default(),
        primary_term: 1,
    }
}

fn index(shard: &IndexShard, id: &str, source: &str) -> quarry_index::IndexResult {
    let parsed = shard.parse_document(id, source.as_bytes()).unwrap();
    let op = IndexOperation {
        id: id.into(),
        routing: None,
        source: source.as_bytes().to_vec(),
        op_type: OpType::Index,
        version_check: VersionCheck::None,
        auto_generated_id: false,
    };
    shard.apply_index_on_primary(op, parsed).unwrap()
}

fn delete(shard: &IndexShard, id: &str) -> quarry_index::DeleteResult {
    shard
        .apply_delete_on_primary(DeleteOperation {
            id: id.into(),
            routing: None,
            version_check: VersionCheck::None,
        })
        .unwrap()
}

fn count_id(shard: &IndexShard, id: &str) -> usize {
    let s = shard.acquire_searcher();
    s.searcher
        .search(
            &TermQuery::new(s.layout.id_term(id), IndexRecordOption::Basic),
            &Count,
        )
        .unwrap()
}

#[derive(Debug, Clone)]
enum Step {
    Index(u8, u8),
    Delete(u8),
    Refresh,
    Flush,
    ForceMerge,
    Reopen,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        6 => (0u8..5, any::<u8>()).prop_map(|(id, v)| Step::Index(id, v)),
        3 => (0u8..5).prop_map(Step::Delete),
        2 => Just(Step::Refresh),
        1 => Just(Step::Flush),
        1 => Just(Step::ForceMerge),
        2 => Just(Step::Reopen),
    ]
}

/// What the model knows about one id.
#[derive(Debug, Clone)]
struct ModelDoc {
    source: Option<String>,
    seq_no: i64,
    version: i64,
    /// The delete tombstone is only in the (lost on reopen) version map once a refresh committed it.
    committed: bool,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn shard_matches_a_map_model(steps in prop::collection::vec(step(), 1..40)) {
        let dir = tempfile::tempdir().unwrap();
        let mut shard = IndexShard::open(config(dir.path(), "async")).unwrap();
        let mut model: BTreeMap<String, ModelDoc> = BTreeMap::new();
        let mut next_seq_no = 0i64;
        for step in steps {
            match step {
                Step::Index(id, v) => {
                    let id = id.to_string();
                    let source = format!(r#"{{"v":{v},"s":"t{v}"}}"#);
                    let expected_version = model.get(&id).map(|d| d.version + 1).unwrap_or(1);
                    let r = index(&shard, &id, &source);
                    prop_assert_eq!(r.seq_no, next_seq_no);
                    prop_assert_eq!(r.version, expected_version);
                    prop_assert_eq!(r.created, model.get(&id).is_none_or(|d| d.source.is_none()));
                    model.insert(id, ModelDoc { source: Some(source), seq_no: next_seq_no, version: r.version, committed: false });
                    next_seq_no += 1;
                }
                Step::Delete(id) => {
                    let id = id.to_string();
                    let r = delete(&shard, &id);
                    prop_assert_eq!(r.seq_no, next_seq_no);
                    prop_assert_eq!(r.found, model.get(&id).is_some_and(|d| d.source.is_some()));
                    prop_assert_eq!(r.version, model.get(&id).map(|d| d.version + 1).unwrap_or(1));
                    model.insert(id, ModelDoc { source: None, seq_no: next_seq_no, version: r.version, committed: false });
                    next_seq_no += 1;
                }
                Step::Refresh | Step::Flush | Step::ForceMerge => {
                    match step {
                        Step::Refresh => shard.refresh().unwrap(),
                        Step::Flush => shard.flush().unwrap(),
                        _ => shard.force_merge(Some(1), false).unwrap(),
                    }
                    for d in model.values_mut() {
                        d.committed = true;
                    }
                    for id in 0..5u8 {
                        let id = id.to_string();
                        let live = model.get(&id).is_some_and(|d| d.source.is_some());
                        prop_assert_eq!(count_id(&shard, &id), usize::from(live), "search on _id {}", id);
                    }
                    let live = model.values().filter(|d| d.source.is_some()).count() as u64;
                    prop_assert_eq!(shard.stats().docs_count, live);
                }
                Step::Reopen => {
                    drop(shard);
                    shard = IndexShard::open(config(dir.path(), "async")).unwrap();
                    // Committed tombstones are forgotten; later re-creation starts at version 1.
                    model.retain(|_, d| d.source.is_some() || !d.committed);
                    for d in model.values_mut() {
                        d.committed = true;
                    }
                }
            }
            for id in 0..5u8 {
                let id = id.to_string();
                let got = shard.get(&id, true).unwrap();
                match model.get(&id).filter(|d| d.source.is_some()) {
                    Some(d) => {
                        let got = got.expect("document in the model");
                        prop_assert_eq!(Some(String::from_utf8(got.source).unwrap()), d.source.clone());
                        prop_assert_eq!((got.seq_no, got.version), (d.seq_no, d.version));
                    }
                    None => prop_assert!(got.is_none(), "id {} should be absent", id),
                }
            }
            prop_assert_eq!(shard.max_seq_no(), next_seq_no - 1);
            prop_assert_eq!(shard.local_checkpoint(), next_seq_no - 1);
        }
    }
}

const CHILD_ENV: &str = "QUARRY_INDEX_CRASH_CHILD_DIR";

/// The writer half of `acknowledged_writes_survive_sigkill`: does nothing unless started by it.
#[test]
fn crash_child_writer() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let shard = IndexShard::open(config(Path::new(&dir), "request")).unwrap();
    let stdout = std::io::stdout();
    for i in 0..100_000u64 {
        let line = if i % 5 == 4 {
            let r = index(&shard, "hot", &format!(r#"{{"n":{i}}}"#));
            format!("ACK hot {} {} {i}", r.seq_no, r.version)
        } else {
            let id = format!("d{i}");
            let r = index(&shard, &id, &format!(r#"{{"n":{i}}}"#));
            format!("ACK {id} {} {} {i}", r.seq_no, r.version)
        };
        let mut out = stdout.lock();
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
        drop(out);
        if i % 7 == 6 {
            shard.refresh().unwrap();
        }
        if i % 31 == 30 {
            shard.flush().unwrap();
        }
    }
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(exe)
        .args([
            "crash_child_writer",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // (seq_no, version, n) of the last acknowledged write per id.
    let mut acked: BTreeMap<String, (i64, i64, u64)> = BTreeMap::new();
    let record = |line: &str, acked: &mut BTreeMap<String, (i64, i64, u64)>| {
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() == 5 && parts[0] == "ACK" {
            acked.insert(
                parts[1].to_string(),
                (
                    parts[2].parse().unwrap(),
                    parts[3].parse().unwrap(),
                    parts[4].parse().unwrap(),
                ),
            );
        }
    };
    while acked.len() < 150 {
        let line = lines.next().expect("child exited early").unwrap();
        record(&line, &mut acked);
    }
    child.kill().unwrap(); // SIGKILL
                           // Lines written before the kill were acknowledged too.
    for line in lines.map_while(Result::ok) {
        record(&line, &mut acked);
    }
    child.wait().unwrap();

    let shard = IndexShard::open(config(dir.path(), "request")).unwrap();
    let max_acked = acked.values().map(|a| a.0).max().unwrap();
    // At most one more operation than acknowledged may be durable (the one in flight).
    assert!(shard.max_seq_no() >= max_acked && shard.max_seq_no() <= max_acked + 1);
    assert_eq!(
        shard.local_checkpoint(),
        shard.max_seq_no(),
        "no gap after recovery"
    );
    for (id, (seq_no, version, n)) in &acked {
        let got = shard
            .get(id, true)
            .unwrap()
            .unwrap_or_else(|| panic!("acknowledged [{id}] lost"));
        if id == "hot" {
            // A later, unacknowledged update may have made it too.
            assert!(got.seq_no >= *seq_no && got.version >= *version);
        } else {
            assert_eq!((got.seq_no, got.version), (*seq_no, *version), "[{id}]");
            assert_eq!(got.source, format!(r#"{{"n":{n}}}"#).into_bytes());
        }
    }
    shard.refresh().unwrap();
    for id in acked.keys() {
        assert_eq!(count_id(&shard, id), 1, "exactly one live copy of [{id}]");
    }
    let docs = shard.stats().docs_count;
    // The writer keeps going until the kill lands, so unacknowledged writes may be present too.
    assert!(
        docs >= acked.len() as u64,
        "{docs} docs < {} acknowledged",
        acked.len()
    );
}
