use super::*;
use serde_json::json;
use tantivy::collector::Count;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;

pub(crate) fn config(path: &Path) -> ShardConfig {
    ShardConfig {
        shard_id: ShardId::new("test", 0),
        index_uuid: "uuid-1".into(),
        path: path.to_path_buf(),
        settings: quarry_types::Settings::new(),
        mapping: Mapping::default(),
        primary_term: 1,
    }
}

fn index(shard: &IndexShard, id: &str, source: &str) -> Result<IndexResult, EsError> {
    index_with(shard, id, source, OpType::Index, VersionCheck::None)
}

fn index_with(
    shard: &IndexShard,
    id: &str,
    source: &str,
    op_type: OpType,
    check: VersionCheck,
) -> Result<IndexResult, EsError> {
    let parsed = shard.parse_document(id, source.as_bytes())?;
    let op = IndexOperation {
        id: id.into(),
        routing: None,
        source: source.as_bytes().to_vec(),
        op_type,
        version_check: check,
        auto_generated_id: false,
    };
    shard.apply_index_on_primary(op, parsed)
}

fn delete(shard: &IndexShard, id: &str, check: VersionCheck) -> Result<DeleteResult, EsError> {
    shard.apply_delete_on_primary(DeleteOperation {
        id: id.into(),
        routing: None,
        version_check: check,
    })
}

fn count_term(shard: &IndexShard, term: tantivy::Term) -> usize {
    let s = shard.acquire_searcher();
    s.searcher
        .search(&TermQuery::new(term, IndexRecordOption::Basic), &Count)
        .unwrap()
}

#[test]
fn index_get_refresh_and_search() {
    let dir = tempfile::tempdir().unwrap();
    let shard = IndexShard::open(config(dir.path())).unwrap();
    let r = index(&shard, "1", r#"{"title":"Quick fox","n":5}"#).unwrap();
    assert_eq!(
        (r.seq_no, r.primary_term, r.version, r.created),
        (0, 1, 1, true)
    );
    let r = index(&shard, "1", r#"{"title":"Lazy dog","n":6}"#).unwrap();
    assert_eq!((r.seq_no, r.version, r.created), (1, 2, false));
    // Realtime GET sees the write before any refresh; a non-realtime GET does not.
    let got = shard.get("1", true).unwrap().unwrap();
    assert_eq!(got.source, br#"{"title":"Lazy dog","n":6}"#);
    assert_eq!((got.seq_no, got.version), (1, 2));
    assert!(shard.get("1", false).unwrap().is_none());
    assert_eq!(count_term(&shard, shard.layout().id_term("1")), 0);
    shard.refresh().unwrap();
    assert_eq!(count_term(&shard, shard.layout().id_term("1")), 1);
    assert_eq!(
        count_term(
            &shard,
            shard
                .layout()
                .text_term("standard", "title", "dog")
                .unwrap()
        ),
        1
    );
    assert_eq!(
        count_term(
            &shard,
            shard
                .layout()
                .text_term("standard", "title", "fox")
                .unwrap()
        ),
        0
    );
    assert_eq!(count_term(&shard, shard.layout().long_term("n", 6)), 1);
    let got = shard.get("1", false).unwrap().unwrap();
    assert_eq!((got.seq_no, got.version, got.primary_term), (1, 2, 1));
    // The dynamic mapping reached the shard's mapping.
    assert_eq!(
        shard.mapping().field("n").unwrap().field_type,
        quarry_types::FieldType::Long
    );
    assert_eq!(
        (
            shard.max_seq_no(),
            shard.local_checkpoint(),
            shard.global_checkpoint()
        ),
        (1, 1, 1)
    );
}

#[test]
fn version_conflicts_match_elasticsearch() {
    let dir = tempfile::tempdir().unwrap();
    let shard = IndexShard::open(config(dir.path())).unwrap();
    index(&shard, "1", "{}").unwrap();
    let e = index_with(&shard, "1", "{}", OpType::Create, VersionCheck::None).unwrap_err();
    assert_eq!(
        (e.error_type.as_str(), e.status),
        ("version_conflict_engine_exception", 409)
    );
    assert_eq!(
        e.reason,
        "[1]: version conflict, document already exists (current version [1])"
    );
    assert_eq!(e.metadata["index"], "test");
    assert_eq!(e.metadata["index_uuid"], "uuid-1");
    let e = index_with(
        &shard,
        "1",
        "{}",
        OpType::Index,
        VersionCheck::IfSeqNo {
            seq_no: 5,
            primary_term: 1,
        },
    )
    .unwrap_err();
    assert_eq!(
        e.reason,
        "[1]: version conflict, required seqNo [5], primary term [1]. current document has seqNo [0] and primary term [1]"
    );
    let ok = index_with(
        &shard,
        "1",
        "{}",
        OpType::Index,
        VersionCheck::IfSeqNo {
            seq_no: 0,
            primary_term: 1,
        },
    )
    .unwrap();
    assert_eq!((ok.seq_no, ok.version), (1, 2));
    let e = delete(
        &shard,
        "2",
        VersionCheck::IfSeqNo {
            seq_no: 0,
            primary_term: 1,
        },
    )
    .unwrap_err();
    assert_eq!(
        e.reason,
        "[2]: version conflict, required seqNo [0], primary term [1]. but no document was found"
    );
    shard.refresh().unwrap();
    // Version checks also see refreshed documents (not in the version map any more).
    let e = index_with(
        &shard,
        "1",
        "{}",
        OpType::Index,
        VersionCheck::External {
            version: 2,
            gte: false,
        },
    )
    .unwrap_err();
    assert_eq!(
        e.reason,
        "[1]: version conflict, current version [2] is higher or equal to the one provided [2]"
    );
    let ok = index_with(
        &shard,
        "1",
        "{}",
        OpType::Index,
        VersionCheck::External {
            version: 10,
            gte: false,
        },
    )
    .unwrap();
    assert_eq!(ok.version, 10);
    // Conflicts consume no sequence number.
    assert_eq!(shard.max_seq_no(), 2);
}

#[test]
fn deletes_and_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let shard = IndexShard::open(config(dir.path())).unwrap();
    let r = delete(&shard, "missing", VersionCheck::None).unwrap();
    assert_eq!((r.seq_no, r.version, r.found), (0, 1, false));
    index(&shard, "1", r#"{"a":1}"#).unwrap();
    shard.refresh().unwrap();
    let r = delete(&shard, "1", VersionCheck::None).unwrap();
    assert_eq!((r.seq_no, r.version, r.found), (2, 2, true));
    assert!(shard.get("1", true).unwrap().is_none());
    // Searchers still see it until the refresh.
    assert_eq!(count_term(&shard, shard.layout().id_term("1")), 1);
    shard.refresh().unwrap();
    assert_eq!(count_term(&shard, shard.layout().id_term("1")), 0);
    // The tombstone outlives the refresh: re-creating continues the version.
    let r = index(&shard, "1", r#"{"a":2}"#).unwrap();
    assert_eq!((r.version, r.created), (3, true));
    let stats = shard.stats();
    assert_eq!((stats.index_total, stats.delete_total), (2, 2));
}

#[test]
fn reopen_replays_the_translog_and_flush_trims_it() {
    let dir = tempfile::tempdir().unwrap();
    {
        let shard = IndexShard::open(config(dir.path())).unwrap();
        index(&shard, "1", r#"{"v":1}"#).unwrap();
        shard.refresh().unwrap();
        index(&shard, "2", r#"{"v":2}"#).unwrap();
        index(&shard, "1", r#"{"v":3}"#).unwrap();
        delete(&shard, "2", VersionCheck::None).unwrap();
        assert_eq!(shard.stats().translog_operations, 4);
        // Dropped without flush or refresh: a crash as far as tantivy is concerned.
    }
    let shard = IndexShard::open(config(dir.path())).unwrap();
    let got = shard.get("1", false).unwrap().unwrap();
    assert_eq!(
        (got.source.as_slice(), got.seq_no, got.version),
        (&br#"{"v":3}"#[..], 2, 2)
    );
    assert!(shard.get("2", true).unwrap().is_none());
    assert_eq!((shard.max_seq_no(), shard.local_checkpoint()), (3, 3));
    assert_eq!(
        shard.mapping().field("v").unwrap().field_type,
        quarry_types::FieldType::Long
    );
    let r = index(&shard, "3", "{}").unwrap();
    assert_eq!(r.seq_no, 4);
    shard.flush().unwrap();
    let stats = shard.stats();
    assert_eq!(
        (
            stats.translog_operations,
            stats.docs_count,
            stats.flush_total
        ),
        (0, 2, 1)
    );
    shard.close().unwrap();
    let shard = IndexShard::open(config(dir.path())).unwrap();
    assert_eq!(shard.stats().docs_count, 2);
    assert_eq!(shard.max_seq_no(), 4);
}

#[test]
fn force_merge_and_stats() {
    let dir = tempfile::tempdir().unwrap();
    let shard = IndexShard::open(config(dir.path())).unwrap();
    for i in 0..4 {
        index(&shard, &i.to_string(), r#"{"x":"y"}"#).unwrap();
        shard.refresh().unwrap();
    }
    delete(&shard, "0", VersionCheck::None).unwrap();
    shard.refresh().unwrap();
    assert!(shard.stats().segments_count >= 2);
    shard.force_merge(Some(1), false).unwrap();
    let stats = shard.stats();
    assert_eq!(
        (stats.segments_count, stats.docs_count, stats.docs_deleted),
        (1, 3, 0)
    );
    assert!(stats.store_size_bytes > 0);
    assert_eq!(stats.merge_total, 1);
    assert_eq!(
        serde_json::to_value(&stats).unwrap()["docs_count"],
        json!(3)
    );
}

#[test]
fn custom_analyzers_and_async_durability_from_settings() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.settings = quarry_types::Settings::from_json(&json!({"index": {
        "translog": {"durability": "async"},
        "analysis": {"analyzer": {"kw_lower": {"tokenizer": "keyword", "filter": ["lowercase"]}}}
    }}))
    .unwrap();
    cfg.mapping =
        Mapping::parse(&json!({"properties": {"t": {"type": "text", "analyzer": "kw_lower"}}}))
            .unwrap();
    let shard = IndexShard::open(cfg).unwrap();
    index(&shard, "1", r#"{"t":"Hello World"}"#).unwrap();
    shard.sync_translog().unwrap();
    shard.refresh().unwrap();
    assert_eq!(
        count_term(
            &shard,
            shard
                .layout()
                .text_term("kw_lower", "t", "hello world")
                .unwrap()
        ),
        1
    );
    assert_eq!(shard.analysis().analyze("kw_lower", "A B")[0].token, "a b");
}

#[test]
fn concurrent_writers_get_unique_sequence_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.settings =
        quarry_types::Settings::from_json(&json!({"index.translog.durability": "async"})).unwrap();
    let shard = Arc::new(IndexShard::open(cfg).unwrap());
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let shard = shard.clone();
            std::thread::spawn(move || {
                (0..25)
                    .map(|i| {
                        if i % 10 == 0 {
                            shard.refresh().unwrap();
                        }
                        index(&shard, &format!("{t}-{i}"), r#"{"k":"v"}"#)
                            .unwrap()
                            .seq_no
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seq_nos: Vec<SeqNo> = threads
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    seq_nos.sort_unstable();
    assert_eq!(seq_nos, (0..100).collect::<Vec<_>>());
    assert_eq!(shard.local_checkpoint(), 99);
    shard.refresh().unwrap();
    assert_eq!(shard.stats().docs_count, 100);
}

#[test]
fn bad_documents_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path());
    cfg.mapping =
        Mapping::parse(&json!({"dynamic": "strict", "properties": {"n": {"type": "integer"}}}))
            .unwrap();
    let shard = IndexShard::open(cfg).unwrap();
    assert_eq!(
        shard
            .parse_document("1", br#"{"n":"x"}"#)
            .unwrap_err()
            .error_type,
        "document_parsing_exception"
    );
    assert_eq!(
        shard
            .parse_document("1", br#"{"m":1}"#)
            .unwrap_err()
            .error_type,
        "strict_dynamic_mapping_exception"
    );
    assert_eq!(shard.max_seq_no(), -1);
    assert_eq!(shard.stats().translog_operations, 0);
}
