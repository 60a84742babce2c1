//! Statistics of one shard: lock-free counters updated by the write path and the snapshot
//! `_stats` reads (document and segment counts from the current searcher, store size on disk).
//!
//! Owns: counters and their snapshot. Must not take the shard's write lock.

use super::IndexShard;
use crate::operation::ShardStats;
use std::path::Path;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

#[derive(Default)]
pub(super) struct Counters {
    pub(super) index_total: AtomicU64,
    pub(super) index_time_ms: AtomicU64,
    pub(super) index_current: AtomicU64,
    pub(super) index_failed: AtomicU64,
    pub(super) delete_total: AtomicU64,
    pub(super) delete_time_ms: AtomicU64,
    pub(super) get_total: AtomicU64,
    pub(super) refresh_total: AtomicU64,
    pub(super) flush_total: AtomicU64,
    pub(super) merge_total: AtomicU64,
    pub(super) translog_operations: AtomicU64,
    pub(super) translog_size_bytes: AtomicU64,
    pub(super) max_seq_no: AtomicI64,
    pub(super) local_checkpoint: AtomicI64,
}

impl IndexShard {
    pub fn stats(&self) -> ShardStats {
        let searcher = self.reader.searcher();
        let c = &self.counters;
        let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ShardStats {
            docs_count: searcher.num_docs(),
            docs_deleted: searcher
                .segment_readers()
                .iter()
                .map(|s| u64::from(s.num_deleted_docs()))
                .sum(),
            store_size_bytes: directory_size(&self.path),
            segments_count: searcher.segment_readers().len() as u64,
            index_total: load(&c.index_total),
            index_time_ms: load(&c.index_time_ms),
            index_current: load(&c.index_current),
            index_failed: load(&c.index_failed),
            delete_total: load(&c.delete_total),
            delete_time_ms: load(&c.delete_time_ms),
            get_total: load(&c.get_total),
            refresh_total: load(&c.refresh_total),
            flush_total: load(&c.flush_total),
            merge_total: load(&c.merge_total),
            translog_operations: load(&c.translog_operations),
            translog_size_bytes: load(&c.translog_size_bytes),
            max_seq_no: self.max_seq_no(),
            local_checkpoint: self.local_checkpoint(),
            global_checkpoint: self.global_checkpoint(),
        }
    }
}

fn directory_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => directory_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
