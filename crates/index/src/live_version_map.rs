//! The live version map (Elasticsearch's `LiveVersionMap`): for every document id written since
//! the last refresh, its latest sequence number, term, version and state, and for index
//! operations the source and routing, so that version checks and realtime GET see writes tantivy
//! cannot show yet. Delete tombstones outlive refreshes for `index.gc_deletes` (60s) so a
//! re-created document continues the deleted one's version, as in Elasticsearch.
//!
//! Owns: the map and its pruning rule. Must not know about tantivy or the translog.

use parking_lot::RwLock;
use quarry_types::SeqNo;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Default `index.gc_deletes`.
pub const DEFAULT_GC_DELETES: Duration = Duration::from_secs(60);

/// The latest operation on one id.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionValue {
    pub seq_no: SeqNo,
    pub primary_term: u64,
    pub version: i64,
    /// `Some` for an index operation, `None` for a delete tombstone.
    pub source: Option<Arc<[u8]>>,
    pub routing: Option<String>,
    /// When the operation was applied (tombstone pruning).
    pub applied_at: Instant,
}

impl VersionValue {
    pub fn is_delete(&self) -> bool {
        self.source.is_none()
    }
}

/// Id -> latest operation since the last refresh (and recent tombstones).
#[derive(Debug, Default)]
pub struct LiveVersionMap {
    entries: RwLock<HashMap<String, VersionValue>>,
}

impl LiveVersionMap {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get(&self, id: &str) -> Option<VersionValue> {
        self.entries.read().get(id).cloned()
    }

    pub fn put(&self, id: &str, value: VersionValue) {
        self.entries.write().insert(id.to_string(), value);
    }

    /// Called after a refresh made every write visible to searchers: index entries are dropped,
    /// tombstones are kept until they are older than `gc_deletes`.
    /// Safe only when no write runs concurrently (the shard holds its write lock).
    pub fn prune_after_refresh(&self, gc_deletes: Duration) {
        let now = Instant::now();
        self.entries.write().retain(|_, v| {
            v.is_delete() && now.saturating_duration_since(v.applied_at) < gc_deletes
        });
    }

    /// Drops everything (the shard is reopened).
    pub fn clear(&self) {
        self.entries.write().clear();
    }

    pub fn len(&self) -> usize {
        self.entries.read().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.read().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(seq_no: SeqNo, source: Option<&[u8]>, applied_at: Instant) -> VersionValue {
        VersionValue {
            seq_no,
            primary_term: 1,
            version: 1,
            source: source.map(Arc::from),
            routing: None,
            applied_at,
        }
    }

    #[test]
    fn refresh_keeps_only_recent_tombstones() {
        let map = LiveVersionMap::new();
        let now = Instant::now();
        map.put("a", value(0, Some(b"{}"), now));
        map.put("b", value(1, None, now));
        let old = now.checked_sub(Duration::from_secs(120)).unwrap_or(now);
        map.put("c", value(2, None, old));
        map.prune_after_refresh(DEFAULT_GC_DELETES);
        assert!(map.get("a").is_none());
        assert!(map.get("b").unwrap().is_delete());
        if old < now {
            assert!(map.get("c").is_none());
        }
    }
}
