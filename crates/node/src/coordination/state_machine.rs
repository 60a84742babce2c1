//! openraft's `RaftStateMachine` for the cluster state: every committed entry is a
//! `ClusterCommand` applied with `quarry_cluster::apply`, seeded with the entry's proposal time
//! and log id, so every node that applies the same log reaches the same state (same version,
//! same allocation ids, same state uuid). A command that fails validation leaves the state
//! unchanged; its error goes back to the proposer and the log goes on.
//!
//! Each applied state is published on a `watch` channel (the node applies it to its local
//! shards). A snapshot is the whole serialized `ClusterState` (small: a few MB at most); for
//! a real node it is also written to `snapshot.bin` (checksummed, atomically replaced) so a
//! restart after log purging starts from it.
//!
//! Owns: applying entries, snapshots. Must not do I/O other than the snapshot file, nor
//! decide anything (the pure `quarry_cluster::apply` does).

use crate::coordination::type_config::{
    ClusterCommandResponse, RaftEntry, RaftLogId, RaftNode, RaftNodeId, RaftStorageError,
    TypeConfig,
};
use openraft::storage::{RaftStateMachine, Snapshot};
use openraft::{
    EntryPayload, ErrorSubject, ErrorVerb, RaftLogId as _, RaftSnapshotBuilder, SnapshotMeta,
    StorageError, StoredMembership,
};
use parking_lot::Mutex;
use quarry_cluster::apply::{apply, ApplyContext};
use quarry_cluster::cluster_state::ClusterState;
use serde::{Deserialize, Serialize};
use std::io::{self, Cursor, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::watch;

const SNAPSHOT_FILE_NAME: &str = "snapshot.bin";
const SNAPSHOT_TEMP_FILE_NAME: &str = "snapshot.bin.tmp";

type RaftSnapshotMeta = SnapshotMeta<RaftNodeId, RaftNode>;
type RaftMembership = StoredMembership<RaftNodeId, RaftNode>;

/// A snapshot as stored on disk and kept in memory.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct StoredSnapshot {
    meta: RaftSnapshotMeta,
    /// serde_json of the `ClusterState`.
    data: Vec<u8>,
}

struct StateMachineData {
    state: Arc<ClusterState>,
    last_applied: Option<RaftLogId>,
    last_membership: RaftMembership,
    current_snapshot: Option<StoredSnapshot>,
    snapshot_counter: u64,
}

/// The cluster-state machine; cloning shares it (the snapshot builder is a clone).
#[derive(Clone)]
pub struct ClusterStateMachine {
    data: Arc<Mutex<StateMachineData>>,
    snapshot_dir: Option<PathBuf>,
    publisher: watch::Sender<Arc<ClusterState>>,
}

impl ClusterStateMachine {
    /// A state machine starting from `initial` that keeps its snapshots in memory only.
    pub fn in_memory(initial: ClusterState) -> Self {
        let state = Arc::new(initial);
        let (publisher, _) = watch::channel(Arc::clone(&state));
        ClusterStateMachine {
            data: Arc::new(Mutex::new(StateMachineData {
                state,
                last_applied: None,
                last_membership: RaftMembership::default(),
                current_snapshot: None,
                snapshot_counter: 0,
            })),
            snapshot_dir: None,
            publisher,
        }
    }

    /// A state machine persisting its snapshots in `dir`; starts from the snapshot found there,
    /// or from `initial`.
    pub fn open(dir: &Path, initial: ClusterState) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut machine = Self::in_memory(initial);
        machine.snapshot_dir = Some(dir.to_path_buf());
        if let Some(stored) = read_snapshot_file(dir)? {
            let state = parse_state(&stored.data)?;
            machine.install(stored, state);
        }
        Ok(machine)
    }

    /// Receives every applied cluster state (the current one first).
    pub fn subscribe(&self) -> watch::Receiver<Arc<ClusterState>> {
        self.publisher.subscribe()
    }

    /// The state as applied so far.
    pub fn current_state(&self) -> Arc<ClusterState> {
        Arc::clone(&self.data.lock().state)
    }

    /// Applies one entry in memory and returns its response.
    fn apply_entry(data: &mut StateMachineData, entry: RaftEntry) -> ClusterCommandResponse {
        let log_id = *entry.get_log_id();
        data.last_applied = Some(log_id);
        match entry.payload {
            EntryPayload::Blank => ClusterCommandResponse {
                state_version: data.state.version,
                rejection: None,
                outcome: None,
            },
            EntryPayload::Membership(membership) => {
                data.last_membership = StoredMembership::new(Some(log_id), membership);
                ClusterCommandResponse {
                    state_version: data.state.version,
                    rejection: None,
                    outcome: None,
                }
            }
            EntryPayload::Normal(proposal) => {
                let mut ctx = ApplyContext::seeded(proposal.proposed_at_millis, log_id.to_string());
                match apply(&data.state, proposal.command, &mut ctx) {
                    Ok(next) => {
                        if next != *data.state {
                            data.state = Arc::new(next);
                        }
                        ClusterCommandResponse {
                            state_version: data.state.version,
                            rejection: None,
                            outcome: Some(Ok(Arc::clone(&data.state))),
                        }
                    }
                    Err(error) => ClusterCommandResponse {
                        state_version: data.state.version,
                        rejection: Some(error.to_string()),
                        outcome: Some(Err(error)),
                    },
                }
            }
        }
    }

    fn install(&self, stored: StoredSnapshot, state: ClusterState) {
        let state = Arc::new(state);
        {
            let mut data = self.data.lock();
            data.state = Arc::clone(&state);
            data.last_applied = stored.meta.last_log_id;
            data.last_membership = stored.meta.last_membership.clone();
            data.current_snapshot = Some(stored);
        }
        self.publisher.send_replace(state);
    }

    async fn persist_snapshot(&self, stored: &StoredSnapshot) -> io::Result<()> {
        let Some(dir) = self.snapshot_dir.clone() else {
            return Ok(());
        };
        let bytes = postcard::to_stdvec(stored).map_err(io::Error::other)?;
        tokio::task::spawn_blocking(move || write_snapshot_file(&dir, &bytes))
            .await
            .map_err(io::Error::other)?
    }
}

fn parse_state(data: &[u8]) -> io::Result<ClusterState> {
    serde_json::from_slice(data).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

fn snapshot_error(e: io::Error) -> RaftStorageError {
    StorageError::from_io_error(ErrorSubject::Snapshot(None), ErrorVerb::Write, e)
}

/// `crc32c:u32le postcard(StoredSnapshot)`, written to a temp file, fsynced and renamed.
fn write_snapshot_file(dir: &Path, bytes: &[u8]) -> io::Result<()> {
    let temp = dir.join(SNAPSHOT_TEMP_FILE_NAME);
    {
        let mut out = std::fs::File::create(&temp)?;
        out.write_all(&crc32c::crc32c(bytes).to_le_bytes())?;
        out.write_all(bytes)?;
        out.sync_all()?;
    }
    std::fs::rename(&temp, dir.join(SNAPSHOT_FILE_NAME))?;
    if let Ok(d) = std::fs::File::open(dir) {
        d.sync_all()?;
    }
    Ok(())
}

fn read_snapshot_file(dir: &Path) -> io::Result<Option<StoredSnapshot>> {
    let path = dir.join(SNAPSHOT_FILE_NAME);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // The file is replaced atomically, so a bad checksum is real corruption, not a torn write.
    let corrupt = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("corrupt raft snapshot [{}]", path.display()),
        )
    };
    if bytes.len() < 4 {
        return Err(corrupt());
    }
    let (crc, payload) = bytes.split_at(4);
    if crc32c::crc32c(payload).to_le_bytes() != crc {
        return Err(corrupt());
    }
    postcard::from_bytes(payload)
        .map(Some)
        .map_err(|_| corrupt())
}

impl RaftSnapshotBuilder<TypeConfig> for ClusterStateMachine {
    async fn build_snapshot(&mut self) -> Result<Snapshot<TypeConfig>, RaftStorageError> {
        let stored = {
            let mut data = self.data.lock();
            let bytes = serde_json::to_vec(&*data.state)
                .map_err(|e| snapshot_error(io::Error::other(e)))?;
            data.snapshot_counter += 1;
            let snapshot_id = match data.last_applied {
                Some(id) => format!("{}-{}-{}", id.leader_id, id.index, data.snapshot_counter),
                None => format!("--{}", data.snapshot_counter),
            };
            StoredSnapshot {
                meta: SnapshotMeta {
                    last_log_id: data.last_applied,
                    last_membership: data.last_membership.clone(),
                    snapshot_id,
                },
                data: bytes,
            }
        };
        // Durable before openraft may purge the log entries it covers.
        self.persist_snapshot(&stored)
            .await
            .map_err(snapshot_error)?;
        self.data.lock().current_snapshot = Some(stored.clone());
        Ok(Snapshot {
            meta: stored.meta,
            snapshot: Box::new(Cursor::new(stored.data)),
        })
    }
}

impl RaftStateMachine<TypeConfig> for ClusterStateMachine {
    type SnapshotBuilder = ClusterStateMachine;

    async fn applied_state(
        &mut self,
    ) -> Result<(Option<RaftLogId>, RaftMembership), RaftStorageError> {
        let data = self.data.lock();
        Ok((data.last_applied, data.last_membership.clone()))
    }

    async fn apply<I>(
        &mut self,
        entries: I,
    ) -> Result<Vec<ClusterCommandResponse>, RaftStorageError>
    where
        I: IntoIterator<Item = RaftEntry> + Send,
        I::IntoIter: Send,
    {
        let mut responses = Vec::new();
        for entry in entries {
            let (response, published) = {
                let mut data = self.data.lock();
                let before = Arc::clone(&data.state);
                let response = Self::apply_entry(&mut data, entry);
                let changed = !Arc::ptr_eq(&before, &data.state);
                (response, changed.then(|| Arc::clone(&data.state)))
            };
            if let Some(state) = published {
                self.publisher.send_replace(state);
            }
            responses.push(response);
        }
        Ok(responses)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> Result<Box<Cursor<Vec<u8>>>, RaftStorageError> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(
        &mut self,
        meta: &RaftSnapshotMeta,
        snapshot: Box<Cursor<Vec<u8>>>,
    ) -> Result<(), RaftStorageError> {
        let stored = StoredSnapshot {
            meta: meta.clone(),
            data: snapshot.into_inner(),
        };
        let state = parse_state(&stored.data).map_err(|e| {
            StorageError::from_io_error(
                ErrorSubject::Snapshot(Some(meta.signature())),
                ErrorVerb::Read,
                e,
            )
        })?;
        self.persist_snapshot(&stored)
            .await
            .map_err(snapshot_error)?;
        self.install(stored, state);
        Ok(())
    }

    async fn get_current_snapshot(
        &mut self,
    ) -> Result<Option<Snapshot<TypeConfig>>, RaftStorageError> {
        let data = self.data.lock();
        Ok(data.current_snapshot.as_ref().map(|s| Snapshot {
            meta: s.meta.clone(),
            snapshot: Box::new(Cursor::new(s.data.clone())),
        }))
    }
}

#[cfg(test)]
#[path = "state_machine_test.rs"]
mod state_machine_test;
