//! The tantivy side of one shard (Elasticsearch's `InternalEngine` minus versioning): the index in
//! `<shard>/index`, its single `IndexWriter` and a manually reloaded reader. An index operation is
//! `delete_term(_id)` + `add_document` (Elasticsearch's update semantics); a refresh is a tantivy
//! commit carrying the sequence-number checkpoint as payload, then a reader reload.
//!
//! Owns: tantivy handles, commits, merges, lookups by id. Must not know about the translog, the
//! version map or version conflicts (that is `index_shard`).

use crate::analysis::AnalysisRegistry;
use crate::error::{EngineResult, IndexError};
use crate::layout::ShardLayout;
use quarry_types::{SeqNo, NO_OPS_PERFORMED};
use std::path::Path;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::IndexWriterOptions;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{
    DocAddress, DocSet, Index, IndexReader, IndexWriter, ReloadPolicy, Searcher, TantivyDocument,
    TERMINATED,
};

/// Memory budget of the single indexing thread of a shard's writer.
const WRITER_MEMORY_BUDGET: usize = 32 * 1024 * 1024;

/// What every commit records (`IndexMeta.payload`, JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CommitPayload {
    pub max_seq_no: SeqNo,
    pub local_checkpoint: SeqNo,
    pub translog_generation: u64,
}

impl Default for CommitPayload {
    fn default() -> Self {
        CommitPayload {
            max_seq_no: NO_OPS_PERFORMED,
            local_checkpoint: NO_OPS_PERFORMED,
            translog_generation: 0,
        }
    }
}

/// A document as stored, found by id.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredDocument {
    pub source: Vec<u8>,
    pub routing: Option<String>,
    pub seq_no: SeqNo,
    pub version: i64,
    pub primary_term: u64,
}

pub struct Engine {
    index: Index,
    writer: IndexWriter,
    reader: IndexReader,
    layout: ShardLayout,
    /// Operations since the last commit.
    uncommitted: bool,
}

impl Engine {
    /// Opens the index in `dir` or creates it with a schema for the registry's analyzers.
    /// Returns the payload of the last commit, if any.
    pub fn open(
        dir: &Path,
        analysis: &AnalysisRegistry,
    ) -> EngineResult<(Engine, Option<CommitPayload>)> {
        std::fs::create_dir_all(dir)
            .map_err(|e| IndexError::io(format!("creating {}", dir.display()), e))?;
        let directory = MmapDirectory::open(dir).map_err(|e| {
            IndexError::Engine(format!("opening index directory {}: {e}", dir.display()))
        })?;
        let exists = Index::exists(&directory)
            .map_err(|e| IndexError::Engine(format!("reading index meta: {e}")))?;
        let index = if exists {
            Index::open(directory).map_err(|e| IndexError::tantivy("opening index", e))?
        } else {
            let layout = ShardLayout::build(&analysis.names());
            Index::create(directory, layout.schema, tantivy::IndexSettings::default())
                .map_err(|e| IndexError::tantivy("creating index", e))?
        };
        let layout = ShardLayout::from_schema(index.schema()).map_err(IndexError::Engine)?;
        analysis.register_on(&index);
        for name in layout.text.keys().filter(|n| !analysis.contains(n)) {
            // The shard was created with an analyzer the settings no longer define.
            tracing::warn!(analyzer = %name, "analyzer of an existing shard is unknown; indexing it with [standard]");
            if let Some(standard) = analysis.get("standard") {
                index.tokenizers().register(name, standard);
            }
        }
        let options = IndexWriterOptions::builder()
            .memory_budget_per_thread(WRITER_MEMORY_BUDGET)
            .num_worker_threads(1)
            .num_merge_threads(1)
            .build();
        let writer = index
            .writer_with_options(options)
            .map_err(|e| IndexError::tantivy("opening index writer", e))?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(|e| IndexError::tantivy("opening index reader", e))?;
        let payload = index
            .load_metas()
            .map_err(|e| IndexError::tantivy("reading commit", e))?
            .payload
            .map(|p| serde_json::from_str::<CommitPayload>(&p))
            .transpose()
            .map_err(|e| IndexError::Engine(format!("unreadable commit payload: {e}")))?;
        Ok((
            Engine {
                index,
                writer,
                reader,
                layout,
                uncommitted: false,
            },
            payload,
        ))
    }

    pub fn layout(&self) -> &ShardLayout {
        &self.layout
    }

    /// A handle to the reader (cheap clone; searchers are taken without the write lock).
    pub fn reader(&self) -> IndexReader {
        self.reader.clone()
    }

    /// Replaces any document with this id by `doc`.
    pub fn index_document(&mut self, id: &str, doc: TantivyDocument) -> EngineResult<()> {
        self.writer.delete_term(self.layout.id_term(id));
        self.writer
            .add_document(doc)
            .map_err(|e| IndexError::tantivy("adding document", e))?;
        self.uncommitted = true;
        Ok(())
    }

    /// Adds a document whose id cannot exist yet (auto-generated ids): no delete of older copies.
    pub fn append_document(&mut self, doc: TantivyDocument) -> EngineResult<()> {
        self.writer
            .add_document(doc)
            .map_err(|e| IndexError::tantivy("adding document", e))?;
        self.uncommitted = true;
        Ok(())
    }

    pub fn delete_document(&mut self, id: &str) {
        self.writer.delete_term(self.layout.id_term(id));
        self.uncommitted = true;
    }

    /// Whether there are operations since the last commit.
    pub fn has_uncommitted(&self) -> bool {
        self.uncommitted
    }

    /// Commits with `payload` and reloads the reader.
    pub fn commit(&mut self, payload: &CommitPayload) -> EngineResult<()> {
        let json = serde_json::to_string(payload).map_err(|e| IndexError::Engine(e.to_string()))?;
        let mut prepared = self
            .writer
            .prepare_commit()
            .map_err(|e| IndexError::tantivy("preparing commit", e))?;
        prepared.set_payload(&json);
        prepared
            .commit()
            .map_err(|e| IndexError::tantivy("committing", e))?;
        self.uncommitted = false;
        self.reload()
    }

    pub fn reload(&self) -> EngineResult<()> {
        self.reader
            .reload()
            .map_err(|e| IndexError::tantivy("reloading reader", e))
    }

    /// Merges committed segments down to `max_num_segments` (default 1), or only the segments
    /// with deleted documents. The caller commits pending operations first.
    pub fn force_merge(
        &mut self,
        max_num_segments: Option<usize>,
        only_expunge_deletes: bool,
    ) -> EngineResult<()> {
        for attempt in 0..50 {
            let mut metas = self
                .index
                .searchable_segment_metas()
                .map_err(|e| IndexError::tantivy("listing segments", e))?;
            let ids: Vec<_> = if only_expunge_deletes {
                metas
                    .iter()
                    .filter(|m| m.num_deleted_docs() > 0)
                    .map(|m| m.id())
                    .collect()
            } else {
                let target = max_num_segments.unwrap_or(1).max(1);
                let has_deletes = metas.iter().any(|m| m.num_deleted_docs() > 0);
                if metas.len() <= target && !(target == 1 && has_deletes) {
                    Vec::new()
                } else {
                    metas.sort_by_key(|m| m.num_docs());
                    let take = (metas.len() + 1).saturating_sub(target).min(metas.len());
                    metas.iter().take(take).map(|m| m.id()).collect()
                }
            };
            if ids.is_empty() {
                break;
            }
            match self.writer.merge(&ids).wait() {
                Ok(_) => break,
                // A background merge holds one of the segments: wait for it and retry.
                Err(e) if attempt < 49 => {
                    tracing::debug!(error = %e, "force merge retry");
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => return Err(IndexError::tantivy("force merge", e)),
            }
        }
        self.writer
            .garbage_collect_files()
            .wait()
            .map_err(|e| IndexError::tantivy("collecting files", e))?;
        self.reload()
    }
}

impl Engine {
    /// Waits for running merges and releases the index lock. Uncommitted operations are dropped.
    pub fn close(self) -> EngineResult<()> {
        self.writer
            .wait_merging_threads()
            .map_err(|e| IndexError::tantivy("closing index writer", e))
    }
}

/// Finds the live document with `id` in a searcher.
pub fn lookup_document(
    searcher: &Searcher,
    layout: &ShardLayout,
    id: &str,
) -> EngineResult<Option<StoredDocument>> {
    let term = layout.id_term(id);
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        let inverted = segment
            .inverted_index(layout.id)
            .map_err(|e| IndexError::tantivy("reading _id", e))?;
        let Some(mut postings) = inverted
            .read_postings(&term, IndexRecordOption::Basic)
            .map_err(|e| IndexError::io("reading _id", e))?
        else {
            continue;
        };
        let mut doc = postings.doc();
        while doc != TERMINATED {
            if segment
                .alive_bitset()
                .is_none_or(|alive| alive.is_alive(doc))
            {
                let stored: TantivyDocument = searcher
                    .doc(DocAddress::new(ord as u32, doc))
                    .map_err(|e| IndexError::tantivy("reading stored document", e))?;
                return Ok(Some(StoredDocument {
                    source: stored
                        .get_first(layout.source)
                        .and_then(|v| v.as_bytes())
                        .unwrap_or_default()
                        .to_vec(),
                    routing: stored
                        .get_first(layout.routing)
                        .and_then(|v| v.as_str())
                        .map(str::to_string),
                    seq_no: stored
                        .get_first(layout.seq_no)
                        .and_then(|v| v.as_i64())
                        .unwrap_or(NO_OPS_PERFORMED),
                    version: stored
                        .get_first(layout.version)
                        .and_then(|v| v.as_i64())
                        .unwrap_or(1),
                    primary_term: stored
                        .get_first(layout.primary_term)
                        .and_then(|v| v.as_i64())
                        .unwrap_or(1) as u64,
                }));
            }
            doc = postings.advance();
        }
    }
    Ok(None)
}
