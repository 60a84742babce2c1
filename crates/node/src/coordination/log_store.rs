//! openraft's `RaftLogStorage` / `RaftLogReader` for the cluster-state log.
//!
//! The whole log is held in memory (cluster-state logs are small and purged after each
//! snapshot) and, for a real node, mirrored in the checksummed append-only [`LogFile`]: every
//! change is written there first, so a vote is fsynced before `save_vote` returns and entries
//! are fsynced before openraft's `LogFlushed` callback fires. `RaftLogStore::in_memory` skips
//! the file for tests and the simulator. Both variants share one code path (the same
//! [`LogRecord`]s are applied to memory), so tests of one exercise the other.
//!
//! Owns: the openraft log-storage contract (no holes, vote durability, truncate/purge).
//! Must not apply entries (that is `state_machine`).

use crate::coordination::log_file::{LogFile, LogRecord};
use crate::coordination::type_config::{
    RaftEntry, RaftLogId, RaftStorageError, RaftVote, TypeConfig,
};
use openraft::storage::{LogFlushed, LogState, RaftLogStorage};
use openraft::{ErrorSubject, ErrorVerb, RaftLogId as _, RaftLogReader, StorageError};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io;
use std::ops::RangeBounds;
use std::path::Path;
use std::sync::Arc;

/// Rewrite the file once it holds more than this many records and most of them are dead.
const DEFAULT_COMPACTION_MIN_RECORDS: u64 = 4096;

/// The log as it stands: what replaying the records produces.
#[derive(Debug, Default)]
struct LogContent {
    vote: Option<RaftVote>,
    committed: Option<RaftLogId>,
    last_purged: Option<RaftLogId>,
    entries: BTreeMap<u64, RaftEntry>,
}

impl LogContent {
    fn apply(&mut self, record: LogRecord) {
        match record {
            LogRecord::Vote(vote) => self.vote = Some(vote),
            LogRecord::Committed(committed) => self.committed = committed,
            LogRecord::Append(entry) => {
                let index = entry.get_log_id().index;
                // An append overwrites everything from its index on (openraft truncates first;
                // this keeps a replay hole-free even if it did not).
                self.entries.split_off(&index);
                self.entries.insert(index, *entry);
            }
            LogRecord::Truncate { since } => {
                self.entries.split_off(&since);
            }
            LogRecord::Purge(upto) => {
                self.entries = self.entries.split_off(&(upto.index + 1));
                if self
                    .last_purged
                    .as_ref()
                    .is_none_or(|p| p.index < upto.index)
                {
                    self.last_purged = Some(upto);
                }
            }
        }
    }

    /// The fewest records that rebuild this content (used to compact the file).
    fn live_records(&self) -> Vec<LogRecord> {
        let mut records = Vec::with_capacity(self.entries.len() + 3);
        if let Some(vote) = self.vote {
            records.push(LogRecord::Vote(vote));
        }
        if let Some(purged) = self.last_purged {
            records.push(LogRecord::Purge(purged));
        }
        records.extend(
            self.entries
                .values()
                .map(|e| LogRecord::Append(Box::new(e.clone()))),
        );
        records.push(LogRecord::Committed(self.committed));
        records
    }

    fn last_log_id(&self) -> Option<RaftLogId> {
        self.entries
            .values()
            .next_back()
            .map(|e| *e.get_log_id())
            .or(self.last_purged)
    }
}

/// The Raft log of this node; cloning shares it (openraft's log reader is a clone).
#[derive(Clone)]
pub struct RaftLogStore {
    content: Arc<Mutex<LogContent>>,
    file: Option<Arc<Mutex<LogFile>>>,
    compaction_min_records: u64,
}

impl RaftLogStore {
    /// A log that lives only in memory (tests, simulation).
    pub fn in_memory() -> Self {
        RaftLogStore {
            content: Arc::new(Mutex::new(LogContent::default())),
            file: None,
            compaction_min_records: DEFAULT_COMPACTION_MIN_RECORDS,
        }
    }

    /// Opens (or creates) the durable log in `dir`, replaying what it holds.
    pub fn open(dir: &Path) -> io::Result<Self> {
        let (file, records) = LogFile::open(dir)?;
        let mut content = LogContent::default();
        for record in records {
            content.apply(record);
        }
        Ok(RaftLogStore {
            content: Arc::new(Mutex::new(content)),
            file: Some(Arc::new(Mutex::new(file))),
            compaction_min_records: DEFAULT_COMPACTION_MIN_RECORDS,
        })
    }

    /// The id of the last entry (appended, maybe not yet flushed), or the last purged id.
    pub fn last_log_id(&self) -> Option<RaftLogId> {
        self.content.lock().last_log_id()
    }

    /// Compacts the file once it holds at least `min_records` records (tests use small values).
    pub fn with_compaction_min_records(mut self, min_records: u64) -> Self {
        self.compaction_min_records = min_records;
        self
    }

    /// Writes `records` to the file (if any), fsynced when `sync`, then applies them in memory.
    async fn persist(&self, records: Vec<LogRecord>, sync: bool) -> io::Result<()> {
        if let Some(file) = &self.file {
            let file = Arc::clone(file);
            let to_write = records.clone();
            tokio::task::spawn_blocking(move || file.lock().append(&to_write, sync))
                .await
                .map_err(io::Error::other)??;
        }
        let mut content = self.content.lock();
        for record in records {
            content.apply(record);
        }
        Ok(())
    }

    async fn compact_if_needed(&self) -> io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let live = self.content.lock().live_records();
        let file = Arc::clone(file);
        let min_records = self.compaction_min_records;
        tokio::task::spawn_blocking(move || {
            let mut file = file.lock();
            let count = file.record_count();
            if count >= min_records && count > 2 * live.len() as u64 {
                file.rewrite(&live)?;
            }
            Ok(())
        })
        .await
        .map_err(io::Error::other)?
    }
}

fn log_error(verb: ErrorVerb, e: io::Error) -> RaftStorageError {
    StorageError::from_io_error(ErrorSubject::Logs, verb, e)
}

impl RaftLogReader<TypeConfig> for RaftLogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + Send>(
        &mut self,
        range: RB,
    ) -> Result<Vec<RaftEntry>, RaftStorageError> {
        let content = self.content.lock();
        Ok(content
            .entries
            .range(range)
            .map(|(_, e)| e.clone())
            .collect())
    }
}

impl RaftLogStorage<TypeConfig> for RaftLogStore {
    type LogReader = RaftLogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, RaftStorageError> {
        let content = self.content.lock();
        Ok(LogState {
            last_purged_log_id: content.last_purged,
            last_log_id: content.last_log_id(),
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &RaftVote) -> Result<(), RaftStorageError> {
        self.persist(vec![LogRecord::Vote(*vote)], true)
            .await
            .map_err(|e| StorageError::from_io_error(ErrorSubject::Vote, ErrorVerb::Write, e))
    }

    async fn read_vote(&mut self) -> Result<Option<RaftVote>, RaftStorageError> {
        Ok(self.content.lock().vote)
    }

    async fn save_committed(
        &mut self,
        committed: Option<RaftLogId>,
    ) -> Result<(), RaftStorageError> {
        // A hint for faster restarts, not a safety property: no fsync.
        self.persist(vec![LogRecord::Committed(committed)], false)
            .await
            .map_err(|e| log_error(ErrorVerb::Write, e))
    }

    async fn read_committed(&mut self) -> Result<Option<RaftLogId>, RaftStorageError> {
        Ok(self.content.lock().committed)
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: LogFlushed<TypeConfig>,
    ) -> Result<(), RaftStorageError>
    where
        I: IntoIterator<Item = RaftEntry> + Send,
        I::IntoIter: Send,
    {
        let records: Vec<LogRecord> = entries
            .into_iter()
            .map(|e| LogRecord::Append(Box::new(e)))
            .collect();
        match self.persist(records, true).await {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                let kind = e.kind();
                let message = e.to_string();
                callback.log_io_completed(Err(io::Error::new(kind, message)));
                Err(log_error(ErrorVerb::Write, e))
            }
        }
    }

    async fn truncate(&mut self, log_id: RaftLogId) -> Result<(), RaftStorageError> {
        self.persist(
            vec![LogRecord::Truncate {
                since: log_id.index,
            }],
            true,
        )
        .await
        .map_err(|e| log_error(ErrorVerb::Delete, e))
    }

    async fn purge(&mut self, log_id: RaftLogId) -> Result<(), RaftStorageError> {
        self.persist(vec![LogRecord::Purge(log_id)], true)
            .await
            .map_err(|e| log_error(ErrorVerb::Delete, e))?;
        self.compact_if_needed()
            .await
            .map_err(|e| log_error(ErrorVerb::Write, e))
    }
}

#[cfg(test)]
#[path = "log_store_test.rs"]
mod log_store_test;
