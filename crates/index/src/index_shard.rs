//! One shard copy as the node layer sees it (Elasticsearch's `IndexShard` + `InternalEngine`):
//! opens or recovers the shard (tantivy commit + translog replay), applies index and delete
//! operations on the primary with sequence numbers and version checks, serves realtime GETs,
//! refreshes, flushes, merges, and reports statistics.
//!
//! ```text
//!   apply_*_on_primary ─┬─ write lock: version check -> seq_no -> translog (fsync) -> tantivy
//!                       │                                     -> live version map -> checkpoint
//!   get(realtime) ──────┴─ version map, else searcher          (no write lock)
//!   refresh ──────────── write lock: tantivy commit(payload) -> reader reload -> prune version map
//!   flush ────────────── refresh -> translog roll + trim below the committed checkpoint
//! ```
//!
//! Owns: ordering and durability of writes on one shard. Must not know about the cluster,
//! replication or the network; it is synchronous (callers run it off async threads).

use crate::analysis::AnalysisRegistry;
use crate::engine::{lookup_document, CommitPayload, Engine};
use crate::error::IndexError;
use crate::layout::{DocumentBuilder, DocumentMeta, ShardLayout};
use crate::live_version_map::{LiveVersionMap, VersionValue, DEFAULT_GC_DELETES};
use crate::mapper::{DocumentParser, ParsedDocument};
use crate::operation::*;
use crate::seq_no::LocalCheckpointTracker;
use crate::translog::{Durability, Translog, TranslogOperation};
use parking_lot::{Mutex, RwLock};
use quarry_types::{EsError, Mapping, SeqNo, ShardId};
use shard_stats::Counters;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;
use tantivy::IndexReader;

/// A point-in-time view of the shard for searching.
#[derive(Clone)]
pub struct ShardSearcher {
    pub searcher: tantivy::Searcher,
    pub layout: ShardLayout,
}

/// State only touched with the write lock held.
struct WriteState {
    engine: Engine,
    translog: Translog,
    tracker: LocalCheckpointTracker,
}

pub struct IndexShard {
    shard_id: ShardId,
    index_uuid: String,
    path: PathBuf,
    primary_term: u64,
    analysis: AnalysisRegistry,
    layout: ShardLayout,
    reader: IndexReader,
    mapping: RwLock<Mapping>,
    version_map: LiveVersionMap,
    write: Mutex<WriteState>,
    counters: Counters,
}

impl IndexShard {
    /// Creates a new shard at `config.path`, or recovers an existing one: opens the last tantivy
    /// commit, replays the translog operations above its checkpoint, and refreshes.
    pub fn open(config: ShardConfig) -> Result<IndexShard, EsError> {
        let analysis = AnalysisRegistry::from_settings(&config.settings)?;
        let (engine, payload) = Engine::open(&config.path.join("index"), &analysis)?;
        let payload = payload.unwrap_or_default();
        let durability = Durability::from_settings(&config.settings);
        let (translog, replay) = Translog::open(
            &config.path.join("translog"),
            durability,
            payload.local_checkpoint,
        )?;
        let tracker = LocalCheckpointTracker::new(payload.max_seq_no, payload.local_checkpoint);
        let shard = IndexShard {
            shard_id: config.shard_id,
            index_uuid: config.index_uuid,
            path: config.path,
            primary_term: config.primary_term,
            layout: engine.layout().clone(),
            reader: engine.reader(),
            analysis,
            mapping: RwLock::new(config.mapping),
            version_map: LiveVersionMap::new(),
            write: Mutex::new(WriteState {
                engine,
                translog,
                tracker,
            }),
            counters: Counters::default(),
        };
        {
            let mut w = shard.write.lock();
            let replayed = replay.len();
            for op in replay {
                shard.replay_operation(&mut w, op)?;
            }
            if replayed > 0 {
                tracing::info!(shard = %shard.shard_id, replayed, "recovered operations from the translog");
            }
            shard.commit_locked(&mut w)?;
            shard.publish_checkpoints(&w);
        }
        Ok(shard)
    }

    pub fn shard_id(&self) -> &ShardId {
        &self.shard_id
    }

    pub fn primary_term(&self) -> u64 {
        self.primary_term
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn analysis(&self) -> &AnalysisRegistry {
        &self.analysis
    }

    pub fn layout(&self) -> &ShardLayout {
        &self.layout
    }

    /// Replaces the mapping (the node applies the cluster's mapping after a change).
    pub fn update_mapping(&self, mapping: Mapping) {
        *self.mapping.write() = mapping;
    }

    pub fn mapping(&self) -> Mapping {
        self.mapping.read().clone()
    }

    /// Parses a source against the current mapping and this index's analysis.
    pub fn parse_document(&self, id: &str, source: &[u8]) -> Result<ParsedDocument, EsError> {
        let mapping = self.mapping.read();
        DocumentParser::new(&mapping)
            .with_analysis(&self.analysis)
            .parse(Some(id), source)
    }

    /// Indexes a parsed document on the primary. The operation is in the translog (fsynced with
    /// `Durability::Request`) before this returns `Ok`.
    pub fn apply_index_on_primary(
        &self,
        op: IndexOperation,
        parsed: ParsedDocument,
    ) -> Result<IndexResult, EsError> {
        self.apply_index_inner(op, parsed, true)
    }

    /// Like [`IndexShard::apply_index_on_primary`] but leaves the translog fsync to the caller,
    /// who must call [`IndexShard::sync_translog`] before acknowledging (bulk requests sync once
    /// per shard, as Elasticsearch does).
    pub fn apply_index_on_primary_deferred_sync(
        &self,
        op: IndexOperation,
        parsed: ParsedDocument,
    ) -> Result<IndexResult, EsError> {
        self.apply_index_inner(op, parsed, false)
    }

    fn apply_index_inner(
        &self,
        op: IndexOperation,
        parsed: ParsedDocument,
        sync: bool,
    ) -> Result<IndexResult, EsError> {
        let started = Instant::now();
        self.counters.index_current.fetch_add(1, Ordering::Relaxed);
        let result = self.index_locked(op, parsed, sync);
        self.counters.index_current.fetch_sub(1, Ordering::Relaxed);
        match &result {
            Ok(_) => {
                self.counters.index_total.fetch_add(1, Ordering::Relaxed);
                self.counters
                    .index_time_ms
                    .fetch_add(started.elapsed().as_millis() as u64, Ordering::Relaxed);
            }
            Err(_) => {
                self.counters.index_failed.fetch_add(1, Ordering::Relaxed);
            }
        }
        result
    }

    fn index_locked(
        &self,
        op: IndexOperation,
        parsed: ParsedDocument,
        sync: bool,
    ) -> Result<IndexResult, EsError> {
        let mut w = self.write.lock();
        let append_only = op.auto_generated_id
            && op.op_type == OpType::Create
            && op.version_check == VersionCheck::None;
        let current = if append_only {
            None
        } else {
            self.current_version(&op.id)?
        };
        let (version, created) = resolve_index_version(current, op.op_type, op.version_check)
            .map_err(|reason| self.version_conflict(&op.id, &reason))?;
        if let Some(update) = &parsed.dynamic_update {
            self.mapping.write().merge(update)?;
        }
        let seq_no = w.tracker.generate_seq_no();
        let primary_term = self.primary_term;
        let source: Arc<[u8]> = Arc::from(op.source);
        let logged = TranslogOperation::Index {
            id: op.id.clone(),
            routing: op.routing.clone(),
            source: source.to_vec(),
            seq_no,
            primary_term,
            version,
        };
        let added = if sync {
            w.translog.add(&logged)
        } else {
            w.translog.add_deferred(&logged)
        };
        if let Err(e) = added {
            // Nothing was applied: the sequence number is a no-op gap filler.
            w.tracker.mark_processed(seq_no);
            return Err(e.into());
        }
        self.apply_index(
            &mut w,
            &op.id,
            op.routing,
            source,
            seq_no,
            primary_term,
            version,
            parsed.builder,
            append_only,
        )?;
        self.publish_checkpoints(&w);
        Ok(IndexResult {
            seq_no,
            primary_term,
            version,
            created,
        })
    }

    /// Deletes a document on the primary; a missing document still consumes a sequence number.
    pub fn apply_delete_on_primary(&self, op: DeleteOperation) -> Result<DeleteResult, EsError> {
        self.apply_delete_inner(op, true)
    }

    /// Like [`IndexShard::apply_delete_on_primary`]; the caller syncs the translog before acking.
    pub fn apply_delete_on_primary_deferred_sync(
        &self,
        op: DeleteOperation,
    ) -> Result<DeleteResult, EsError> {
        self.apply_delete_inner(op, false)
    }

    fn apply_delete_inner(&self, op: DeleteOperation, sync: bool) -> Result<DeleteResult, EsError> {
        let started = Instant::now();
        let mut w = self.write.lock();
        let current = self.current_version(&op.id)?;
        let (version, found) = resolve_delete_version(current, op.version_check)
            .map_err(|reason| self.version_conflict(&op.id, &reason))?;
        let seq_no = w.tracker.generate_seq_no();
        let primary_term = self.primary_term;
        let logged = TranslogOperation::Delete {
            id: op.id.clone(),
            seq_no,
            primary_term,
            version,
        };
        let added = if sync {
            w.translog.add(&logged)
        } else {
            w.translog.add_deferred(&logged)
        };
        if let Err(e) = added {
            w.tracker.mark_processed(seq_no);
            return Err(e.into());
        }
        self.apply_delete(&mut w, &op.id, seq_no, primary_term, version);
        self.publish_checkpoints(&w);
        drop(w);
        self.counters.delete_total.fetch_add(1, Ordering::Relaxed);
        self.counters
            .delete_time_ms
            .fetch_add(started.elapsed().as_millis() as u64, Ordering::Relaxed);
        Ok(DeleteResult {
            seq_no,
            primary_term,
            version,
            found,
        })
    }

    /// GET by id: `realtime` also sees writes not yet refreshed.
    pub fn get(&self, id: &str, realtime: bool) -> Result<Option<GetResult>, EsError> {
        self.counters.get_total.fetch_add(1, Ordering::Relaxed);
        if realtime {
            if let Some(v) = self.version_map.get(id) {
                return Ok(v.source.map(|source| GetResult {
                    id: id.to_string(),
                    routing: v.routing,
                    source: source.to_vec(),
                    seq_no: v.seq_no,
                    primary_term: v.primary_term,
                    version: v.version,
                }));
            }
        }
        let found = lookup_document(&self.reader.searcher(), &self.layout, id)?;
        Ok(found.map(|d| GetResult {
            id: id.to_string(),
            routing: d.routing,
            source: d.source,
            seq_no: d.seq_no,
            primary_term: d.primary_term,
            version: d.version,
        }))
    }

    /// Makes every acknowledged write searchable (a durable tantivy commit).
    pub fn refresh(&self) -> Result<(), EsError> {
        let mut w = self.write.lock();
        self.commit_locked(&mut w)?;
        self.counters.refresh_total.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Refresh, then drop the translog generations the commit covers.
    pub fn flush(&self) -> Result<(), EsError> {
        let mut w = self.write.lock();
        self.commit_locked(&mut w)?;
        if !w.translog.current_generation_is_empty() {
            w.translog.roll_generation()?;
        }
        let committed = w.tracker.processed_checkpoint();
        w.translog.trim_below(committed)?;
        self.publish_checkpoints(&w);
        self.counters.flush_total.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    pub fn force_merge(
        &self,
        max_num_segments: Option<usize>,
        only_expunge_deletes: bool,
    ) -> Result<(), EsError> {
        let mut w = self.write.lock();
        self.commit_locked(&mut w)?;
        w.engine
            .force_merge(max_num_segments, only_expunge_deletes)?;
        self.counters.merge_total.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// fsyncs the translog (`Durability::Async`: the node calls this every `sync_interval`).
    pub fn sync_translog(&self) -> Result<(), EsError> {
        self.write.lock().translog.sync()?;
        Ok(())
    }

    pub fn acquire_searcher(&self) -> ShardSearcher {
        ShardSearcher {
            searcher: self.reader.searcher(),
            layout: self.layout.clone(),
        }
    }

    pub fn max_seq_no(&self) -> SeqNo {
        self.counters.max_seq_no.load(Ordering::Acquire)
    }

    pub fn local_checkpoint(&self) -> SeqNo {
        self.counters.local_checkpoint.load(Ordering::Acquire)
    }

    /// With a single copy the global checkpoint is the local checkpoint (replication comes later).
    pub fn global_checkpoint(&self) -> SeqNo {
        self.local_checkpoint()
    }

    pub fn close(self) -> Result<(), EsError> {
        self.flush()?;
        let w = self.write.into_inner();
        w.engine.close()?;
        Ok(())
    }

    // ---- internals, write lock held ----

    fn current_version(&self, id: &str) -> Result<Option<CurrentVersion>, EsError> {
        if let Some(v) = self.version_map.get(id) {
            return Ok(Some(CurrentVersion {
                seq_no: v.seq_no,
                primary_term: v.primary_term,
                version: v.version,
                deleted: v.is_delete(),
            }));
        }
        let found = lookup_document(&self.reader.searcher(), &self.layout, id)?;
        Ok(found.map(|d| CurrentVersion {
            seq_no: d.seq_no,
            primary_term: d.primary_term,
            version: d.version,
            deleted: false,
        }))
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_index(
        &self,
        w: &mut WriteState,
        id: &str,
        routing: Option<String>,
        source: Arc<[u8]>,
        seq_no: SeqNo,
        primary_term: u64,
        version: i64,
        builder: DocumentBuilder,
        append_only: bool,
    ) -> Result<(), EsError> {
        let meta = DocumentMeta {
            id,
            source: &source,
            routing: routing.as_deref(),
            seq_no,
            version,
            primary_term: primary_term as i64,
        };
        let doc = builder.build(&self.layout, &meta);
        // On failure the operation stays unprocessed: the checkpoint stops below it and the
        // translog keeps it for replay.
        if append_only {
            w.engine.append_document(doc)?;
        } else {
            w.engine.index_document(id, doc)?;
        }
        self.version_map.put(
            id,
            VersionValue {
                seq_no,
                primary_term,
                version,
                source: Some(source),
                routing,
                applied_at: Instant::now(),
            },
        );
        w.tracker.mark_processed(seq_no);
        Ok(())
    }

    fn apply_delete(
        &self,
        w: &mut WriteState,
        id: &str,
        seq_no: SeqNo,
        primary_term: u64,
        version: i64,
    ) {
        w.engine.delete_document(id);
        self.version_map.put(
            id,
            VersionValue {
                seq_no,
                primary_term,
                version,
                source: None,
                routing: None,
                applied_at: Instant::now(),
            },
        );
        w.tracker.mark_processed(seq_no);
    }

    fn commit_locked(&self, w: &mut WriteState) -> Result<(), IndexError> {
        if w.engine.has_uncommitted() {
            let payload = CommitPayload {
                max_seq_no: w.tracker.max_seq_no(),
                local_checkpoint: w.tracker.processed_checkpoint(),
                translog_generation: w.translog.current_generation(),
            };
            w.engine.commit(&payload)?;
        }
        // Every write is now visible to new searchers: the version map only keeps tombstones.
        self.version_map.prune_after_refresh(DEFAULT_GC_DELETES);
        Ok(())
    }

    fn publish_checkpoints(&self, w: &WriteState) {
        let stats = w.translog.stats();
        self.counters
            .translog_operations
            .store(stats.operations, Ordering::Relaxed);
        self.counters
            .translog_size_bytes
            .store(stats.size_bytes, Ordering::Relaxed);
        self.counters
            .max_seq_no
            .store(w.tracker.max_seq_no(), Ordering::Release);
        self.counters
            .local_checkpoint
            .store(w.tracker.processed_checkpoint(), Ordering::Release);
    }

    fn version_conflict(&self, id: &str, reason: &str) -> EsError {
        EsError::version_conflict(&self.shard_id.index, id, reason)
            .with("index_uuid", self.index_uuid.clone())
            .with("shard", self.shard_id.shard.to_string())
    }
}

#[allow(dead_code)]
fn assert_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<IndexShard>();
    check::<ShardSearcher>();
}

#[path = "index_shard_recovery.rs"]
mod recovery;
#[path = "shard_stats.rs"]
mod shard_stats;

#[cfg(test)]
#[path = "index_shard_test.rs"]
mod index_shard_test;
