use super::*;
use crate::coordination::state_machine::ClusterStateMachine;
use crate::coordination::type_config::ClusterCommandEntry;
use openraft::storage::RaftLogStorageExt;
use openraft::testing::{StoreBuilder, Suite};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, Vote};
use quarry_cluster::cluster_command::ClusterCommand;
use quarry_cluster::cluster_state::ClusterState;
use std::io::Write as _;

fn log_id(term: u64, index: u64) -> RaftLogId {
    LogId::new(CommittedLeaderId::new(term, 1), index)
}

fn entry(term: u64, index: u64) -> RaftEntry {
    Entry {
        log_id: log_id(term, index),
        payload: EntryPayload::Normal(ClusterCommandEntry {
            command: ClusterCommand::DeleteIndices(vec![format!("idx-{index}")]),
            proposed_at_millis: index as i64,
        }),
    }
}

async fn indexes(store: &mut RaftLogStore) -> Vec<(u64, u64)> {
    store
        .try_get_log_entries(0..u64::MAX)
        .await
        .unwrap()
        .iter()
        .map(|e| (e.log_id.leader_id.term, e.log_id.index))
        .collect()
}

struct MemoryBuilder;

impl StoreBuilder<TypeConfig, RaftLogStore, ClusterStateMachine> for MemoryBuilder {
    async fn build(&self) -> Result<((), RaftLogStore, ClusterStateMachine), RaftStorageError> {
        Ok((
            (),
            RaftLogStore::in_memory(),
            ClusterStateMachine::in_memory(ClusterState::new("c", "u")),
        ))
    }
}

struct DiskBuilder;

impl StoreBuilder<TypeConfig, RaftLogStore, ClusterStateMachine, tempfile::TempDir>
    for DiskBuilder
{
    async fn build(
        &self,
    ) -> Result<(tempfile::TempDir, RaftLogStore, ClusterStateMachine), RaftStorageError> {
        let dir = tempfile::tempdir().unwrap();
        let store = RaftLogStore::open(dir.path()).unwrap();
        let sm = ClusterStateMachine::open(dir.path(), ClusterState::new("c", "u")).unwrap();
        Ok((dir, store, sm))
    }
}

#[test]
fn in_memory_store_passes_the_openraft_storage_suite() {
    Suite::test_all(MemoryBuilder).unwrap();
}

#[test]
fn disk_store_passes_the_openraft_storage_suite() {
    Suite::test_all(DiskBuilder).unwrap();
}

#[tokio::test]
async fn appended_entries_and_vote_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = RaftLogStore::open(dir.path()).unwrap();
        store.save_vote(&Vote::new(3, 7)).await.unwrap();
        store
            .blocking_append((1..=5).map(|i| entry(1, i)))
            .await
            .unwrap();
        store.save_committed(Some(log_id(1, 4))).await.unwrap();
    }
    let mut store = RaftLogStore::open(dir.path()).unwrap();
    assert_eq!(store.read_vote().await.unwrap(), Some(Vote::new(3, 7)));
    assert_eq!(store.read_committed().await.unwrap(), Some(log_id(1, 4)));
    assert_eq!(
        indexes(&mut store).await,
        vec![(1, 1), (1, 2), (1, 3), (1, 4), (1, 5)]
    );
    let reread = store.try_get_log_entries(3..4).await.unwrap();
    assert_eq!(reread, vec![entry(1, 3)]);
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(log_id(1, 5)));
    assert_eq!(state.last_purged_log_id, None);
}

#[tokio::test]
async fn truncate_and_purge_are_durable_and_leave_no_holes() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = RaftLogStore::open(dir.path()).unwrap();
        store
            .blocking_append((1..=6).map(|i| entry(1, i)))
            .await
            .unwrap();
        // A new leader overwrites the uncommitted tail from index 5.
        store.truncate(log_id(1, 5)).await.unwrap();
        store
            .blocking_append([entry(2, 5), entry(2, 6)])
            .await
            .unwrap();
        store.purge(log_id(1, 2)).await.unwrap();
    }
    let mut store = RaftLogStore::open(dir.path()).unwrap();
    assert_eq!(
        indexes(&mut store).await,
        vec![(1, 3), (1, 4), (2, 5), (2, 6)]
    );
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(1, 2)));
    assert_eq!(state.last_log_id, Some(log_id(2, 6)));

    // Purging past the last entry (a snapshot was installed) keeps the purged id as last.
    store.purge(log_id(2, 9)).await.unwrap();
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_log_id, Some(log_id(2, 9)));
    assert!(indexes(&mut store).await.is_empty());
}

#[tokio::test]
async fn a_torn_tail_is_cut_off_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = RaftLogStore::open(dir.path()).unwrap();
        store.save_vote(&Vote::new(2, 1)).await.unwrap();
        store
            .blocking_append((1..=3).map(|i| entry(2, i)))
            .await
            .unwrap();
    }
    let path = dir.path().join("raft.log");
    let good_len = std::fs::metadata(&path).unwrap().len();
    {
        // A crash in the middle of the next append: a header promising more than was written.
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(&200u32.to_le_bytes()).unwrap();
        file.write_all(&[0xAB; 4]).unwrap();
        file.write_all(b"partial").unwrap();
    }
    {
        let mut store = RaftLogStore::open(dir.path()).unwrap();
        assert_eq!(indexes(&mut store).await, vec![(2, 1), (2, 2), (2, 3)]);
        assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
        // The log goes on after the cut.
        store.blocking_append([entry(2, 4)]).await.unwrap();
    }
    // A flipped byte in the last record (bad checksum) loses only that record.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xFF;
    std::fs::write(&path, &bytes).unwrap();
    let mut store = RaftLogStore::open(dir.path()).unwrap();
    assert_eq!(indexes(&mut store).await, vec![(2, 1), (2, 2), (2, 3)]);
    assert_eq!(store.read_vote().await.unwrap(), Some(Vote::new(2, 1)));
}

#[tokio::test]
async fn purge_compacts_the_file_and_keeps_the_log() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = RaftLogStore::open(dir.path())
            .unwrap()
            .with_compaction_min_records(8);
        store.save_vote(&Vote::new(1, 1)).await.unwrap();
        for i in 1..=20 {
            store.blocking_append([entry(1, i)]).await.unwrap();
        }
        let before = std::fs::metadata(dir.path().join("raft.log"))
            .unwrap()
            .len();
        store.purge(log_id(1, 18)).await.unwrap();
        let after = std::fs::metadata(dir.path().join("raft.log"))
            .unwrap()
            .len();
        assert!(
            after < before / 3,
            "file not compacted: {before} -> {after}"
        );
        store.blocking_append([entry(1, 21)]).await.unwrap();
    }
    let mut store = RaftLogStore::open(dir.path()).unwrap();
    assert_eq!(indexes(&mut store).await, vec![(1, 19), (1, 20), (1, 21)]);
    assert_eq!(store.read_vote().await.unwrap(), Some(Vote::new(1, 1)));
    let state = store.get_log_state().await.unwrap();
    assert_eq!(state.last_purged_log_id, Some(log_id(1, 18)));
}
