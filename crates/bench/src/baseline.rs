//! The raw tantivy baseline: the same documents indexed straight into the shard schema every
//! Quarry shard uses (`quarry_index::layout`), mapped the way Quarry's mapper maps the Rally
//! track's fields, with one single-threaded `IndexWriter` and one commit at the end. No HTTP,
//! no JSON parsing, no translog: the upper bound Quarry's indexing path is compared against.

use crate::docgen::{DocGenerator, LogDoc, SplitMix64};
use crate::procfs::dir_size;
use anyhow::{Context, Result};
use quarry_index::analysis::AnalysisRegistry;
use quarry_index::layout::{
    DocumentBuilder, DocumentMeta, IndexedValue, ShardLayout, RAW_TOKENIZER,
};
use serde::Serialize;
use std::net::IpAddr;
use std::path::Path;
use std::time::Instant;
use tantivy::{Index, IndexWriter, TantivyDocument};

/// Indexing memory budget of one shard's writer.
pub const WRITER_MEMORY_BUDGET: usize = 64_000_000;
/// Analyzer of the track's `text` field.
const STANDARD: &str = "standard";
/// `ignore_above` of `request.raw` in the track mapping.
const IGNORE_ABOVE: usize = 256;

/// Figures of one baseline run.
#[derive(Debug, Clone, Serialize)]
pub struct TantivyResult {
    pub docs: u64,
    pub source_bytes: u64,
    /// From the first `add_document` to the end of the commit.
    pub index_secs: f64,
    pub commit_secs: f64,
    pub docs_per_s: f64,
    pub mb_per_s: f64,
    /// Waiting for merges still running after the commit (not part of `index_secs`).
    pub merge_wait_secs: f64,
    pub segments: usize,
    pub index_size_bytes: u64,
    pub memory_budget_bytes: usize,
    pub indexing_threads: usize,
}

/// Creates an index with the shard schema and Quarry's tokenizer names.
pub fn create_index(dir: &Path) -> Result<(Index, ShardLayout)> {
    let layout = ShardLayout::build(&[STANDARD.to_string()]);
    let index =
        Index::create_in_dir(dir, layout.schema.clone()).context("creating tantivy index")?;
    // The same analyzers a Quarry shard registers (the Elasticsearch `standard` analyzer is
    // UAX#29 word segmentation + lowercase), so both sides tokenize identically.
    let analysis = AnalysisRegistry::from_settings(&quarry_types::Settings::new())
        .map_err(|e| anyhow::anyhow!("analysis: {e}"))?;
    analysis.register_on(&index);
    let _ = RAW_TOKENIZER;
    Ok((index, layout))
}

/// Maps one document like the mapper does for the track mapping and adds the metadata fields.
pub fn to_tantivy(
    layout: &ShardLayout,
    doc: &LogDoc,
    source: &str,
    id: &str,
    seq_no: i64,
) -> TantivyDocument {
    let mut b = DocumentBuilder::new();
    // `@timestamp` is `epoch_second`; dates are stored as epoch milliseconds.
    b.add("@timestamp", IndexedValue::Date(doc.timestamp * 1000));
    b.add("clientip", IndexedValue::Ip(IpAddr::V4(doc.clientip)));
    b.add(
        "request",
        IndexedValue::Text {
            analyzer: STANDARD.to_string(),
            text: doc.request.clone(),
        },
    );
    if doc.request.chars().count() <= IGNORE_ABOVE {
        b.add("request.raw", IndexedValue::Keyword(doc.request.clone()));
    } else {
        b.mark_ignored("request.raw");
    }
    b.add("status", IndexedValue::Long(i64::from(doc.status)));
    b.add("size", IndexedValue::Long(i64::from(doc.size)));
    let meta = DocumentMeta {
        id,
        source: source.as_bytes(),
        routing: None,
        seq_no,
        version: 1,
        primary_term: 1,
    };
    b.build(layout, &meta)
}

/// A 20-character URL-safe base64 id, like Elasticsearch's auto-generated ids.
pub fn auto_id(rng: &mut SplitMix64) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let (mut a, mut b) = (rng.next_u64(), rng.next_u64());
    let mut id = String::with_capacity(20);
    for i in 0..20 {
        let bits = if i < 10 { &mut a } else { &mut b };
        id.push(ALPHABET[(*bits & 63) as usize] as char);
        *bits >>= 6;
    }
    id
}

/// Generates `docs` documents (outside the timed section), indexes them into a fresh index in
/// `dir` and reports the figures.
pub fn run(dir: &Path, seed: u64, docs: u64) -> Result<TantivyResult> {
    let corpus: Vec<(LogDoc, String)> = DocGenerator::new(seed, docs)
        .take(docs as usize)
        .map(|d| {
            let json = d.to_json();
            (d, json)
        })
        .collect();
    let source_bytes: u64 = corpus.iter().map(|(_, s)| s.len() as u64 + 1).sum();
    let (index, layout) = create_index(dir)?;
    let indexing_threads = 1;
    let mut writer: IndexWriter<TantivyDocument> = index
        .writer_with_num_threads(indexing_threads, WRITER_MEMORY_BUDGET)
        .context("opening index writer")?;
    let mut ids = SplitMix64::new(seed ^ 0x1D5);

    let start = Instant::now();
    for (seq_no, (_, source)) in corpus.iter().enumerate() {
        let id = auto_id(&mut ids);
        // A raw tantivy application reads the JSON documents too: parse each one.
        let doc = LogDoc::from_json(source)?;
        writer.add_document(to_tantivy(&layout, &doc, source, &id, seq_no as i64))?;
    }
    let commit_start = Instant::now();
    writer.commit().context("committing")?;
    let commit_secs = commit_start.elapsed().as_secs_f64();
    let index_secs = start.elapsed().as_secs_f64();
    drop(corpus);

    let merge_start = Instant::now();
    writer
        .wait_merging_threads()
        .context("waiting for merges")?;
    let merge_wait_secs = merge_start.elapsed().as_secs_f64();
    let segments = index.searchable_segment_ids()?.len();
    let index_size_bytes = dir_size(dir)?;
    Ok(TantivyResult {
        docs,
        source_bytes,
        index_secs,
        commit_secs,
        docs_per_s: docs as f64 / index_secs,
        mb_per_s: source_bytes as f64 / 1e6 / index_secs,
        merge_wait_secs,
        segments,
        index_size_bytes,
        memory_budget_bytes: WRITER_MEMORY_BUDGET,
        indexing_threads,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::Count;
    use tantivy::query::{RangeQuery, TermQuery};
    use tantivy::schema::IndexRecordOption;

    #[test]
    fn baseline_indexes_every_document_findably() {
        let dir = tempfile::tempdir().unwrap();
        let r = run(dir.path(), 5, 2_000).unwrap();
        assert_eq!(r.docs, 2_000);
        assert!(r.index_size_bytes > 0 && r.docs_per_s > 0.0);

        let index = Index::open_in_dir(dir.path()).unwrap();
        let layout = ShardLayout::from_schema(index.schema()).unwrap();
        let searcher = index.reader().unwrap().searcher();
        assert_eq!(searcher.num_docs(), 2_000);
        let docs: Vec<LogDoc> = DocGenerator::new(5, 2_000).take(2_000).collect();
        let count = |t| {
            searcher
                .search(&TermQuery::new(t, IndexRecordOption::Basic), &Count)
                .unwrap()
        };
        let first = &docs[0];
        let expected = docs.iter().filter(|d| d.request == first.request).count();
        assert_eq!(
            count(layout.keyword_term("request.raw", &first.request)),
            expected
        );
        let ok = docs.iter().filter(|d| d.status == 200).count();
        assert_eq!(count(layout.long_term("status", 200)), ok);
        let gets = docs
            .iter()
            .filter(|d| d.request.starts_with("GET "))
            .count();
        assert_eq!(
            count(layout.text_term("standard", "request", "get").unwrap()),
            gets
        );
        let ip = quarry_index::layout::encode_ip(IpAddr::V4(first.clientip));
        assert!(count(layout.keyword_term("clientip", &ip)) >= 1);
        assert_eq!(count(layout.field_name_term("request.raw")), 2_000);
        let ts = layout.long_term("@timestamp", first.timestamp * 1000);
        assert!(count(ts) >= 1);
        let all = RangeQuery::new(
            std::ops::Bound::Included(layout.long_term("size", 0)),
            std::ops::Bound::Included(layout.long_term("size", 60_000)),
        );
        assert_eq!(searcher.search(&all, &Count).unwrap(), 2_000);
    }

    #[test]
    fn auto_ids_are_url_safe_and_distinct() {
        let mut rng = SplitMix64::new(1);
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| auto_id(&mut rng)).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|id| id.len() == 20
            && id
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')));
    }
}
