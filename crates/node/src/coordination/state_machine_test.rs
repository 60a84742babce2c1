use super::*;
use crate::coordination::type_config::ClusterCommandEntry;
use openraft::{CommittedLeaderId, Entry, LogId, Membership};
use quarry_cluster::cluster_command::ClusterCommand;
use quarry_cluster::cluster_state::DiscoveryNode;
use quarry_types::NodeId;
use std::collections::{BTreeMap, BTreeSet};

fn log_id(index: u64) -> RaftLogId {
    LogId::new(CommittedLeaderId::new(1, 1), index)
}

fn command_entry(index: u64, command: ClusterCommand) -> RaftEntry {
    Entry {
        log_id: log_id(index),
        payload: EntryPayload::Normal(ClusterCommandEntry {
            command,
            proposed_at_millis: 1_700_000_000_000 + index as i64,
        }),
    }
}

fn data_node(id: &str) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(id.into()),
        name: id.into(),
        ephemeral_id: format!("{id}-eph"),
        transport_address: format!("127.0.0.1:{}", 9300 + id.len()),
        http_address: String::new(),
        roles: ["master", "data"].iter().map(|r| r.to_string()).collect(),
        attributes: BTreeMap::new(),
    }
}

fn create_index(name: &str) -> ClusterCommand {
    ClusterCommand::CreateIndex {
        name: name.into(),
        uuid: format!("{name}-uuid"),
        settings: Default::default(),
        mappings: Some(serde_json::json!({"properties": {"f": {"type": "keyword"}}})),
        aliases: None,
        creation_date: 1,
    }
}

fn log() -> Vec<RaftEntry> {
    let membership = Membership::new(
        vec![BTreeSet::from([1u64])],
        BTreeMap::from([(1u64, RaftNode::default())]),
    );
    vec![
        Entry {
            log_id: log_id(1),
            payload: EntryPayload::Membership(membership),
        },
        command_entry(2, ClusterCommand::AddNode(data_node("n1"))),
        command_entry(3, ClusterCommand::AddNode(data_node("n2"))),
        command_entry(4, create_index("logs")),
        // Fails validation: the index exists.
        command_entry(5, create_index("logs")),
        command_entry(6, ClusterCommand::RemoveNode(NodeId("n2".into()))),
    ]
}

fn machine() -> ClusterStateMachine {
    ClusterStateMachine::in_memory(ClusterState::new("test-cluster", "cluster-uuid"))
}

#[tokio::test]
async fn a_failing_command_leaves_the_state_unchanged_and_returns_its_error() {
    let mut sm = machine();
    let mut watch = sm.subscribe();
    let mut entries = log();
    entries.truncate(4);
    let responses = sm.apply(entries).await.unwrap();
    assert_eq!(responses.len(), 4);
    let before = sm.current_state();
    assert!(before.index("logs").is_some());
    assert!(watch.has_changed().unwrap());
    assert_eq!(watch.borrow_and_update().version, before.version);

    let responses = sm
        .apply([command_entry(5, create_index("logs"))])
        .await
        .unwrap();
    let error = match &responses[0].outcome {
        Some(Err(e)) => e.clone(),
        other => panic!("expected an error, got {other:?}"),
    };
    assert_eq!(error.error_type, "resource_already_exists_exception");
    assert_eq!(responses[0].state_version, before.version);
    assert!(responses[0].rejection.is_some());
    let after = sm.current_state();
    assert!(Arc::ptr_eq(&before, &after), "the state must not change");
    assert!(!watch.has_changed().unwrap(), "nothing new is published");
    // The entry is applied (the log goes on) even though the command failed.
    let (last_applied, _) = sm.applied_state().await.unwrap();
    assert_eq!(last_applied, Some(log_id(5)));
}

#[tokio::test]
async fn the_same_log_gives_identical_states_and_records_membership() {
    let mut a = machine();
    let mut b = machine();
    let ra = a.apply(log()).await.unwrap();
    b.apply(log()).await.unwrap();
    let (sa, sb) = (a.current_state(), b.current_state());
    assert_eq!(*sa, *sb);
    assert_eq!(
        serde_json::to_string(&*sa).unwrap(),
        serde_json::to_string(&*sb).unwrap()
    );
    assert!(sa.version > 0);
    assert_eq!(ra[5].state_version, sa.version);
    match &ra[5].outcome {
        Some(Ok(state)) => assert!(Arc::ptr_eq(state, &sa)),
        other => panic!("{other:?}"),
    }
    let (last_applied, membership) = a.applied_state().await.unwrap();
    assert_eq!(last_applied, Some(log_id(6)));
    assert_eq!(membership.log_id(), &Some(log_id(1)));
    assert_eq!(membership.voter_ids().collect::<Vec<_>>(), vec![1]);
}

#[tokio::test]
async fn a_snapshot_installs_the_same_state_elsewhere_and_survives_restart() {
    let mut leader = machine();
    leader.apply(log()).await.unwrap();
    let snapshot = leader
        .get_snapshot_builder()
        .await
        .build_snapshot()
        .await
        .unwrap();
    assert_eq!(snapshot.meta.last_log_id, Some(log_id(6)));

    let dir = tempfile::tempdir().unwrap();
    {
        let mut follower = ClusterStateMachine::open(
            dir.path(),
            ClusterState::new("test-cluster", "cluster-uuid"),
        )
        .unwrap();
        let watch = follower.subscribe();
        let mut data = follower.begin_receiving_snapshot().await.unwrap();
        data.get_mut()
            .extend_from_slice(snapshot.snapshot.get_ref());
        follower
            .install_snapshot(&snapshot.meta, data)
            .await
            .unwrap();
        assert_eq!(*follower.current_state(), *leader.current_state());
        assert_eq!(watch.borrow().version, leader.current_state().version);
        let current = follower.get_current_snapshot().await.unwrap().unwrap();
        assert_eq!(current.meta, snapshot.meta);
    }
    let mut reopened = ClusterStateMachine::open(
        dir.path(),
        ClusterState::new("test-cluster", "cluster-uuid"),
    )
    .unwrap();
    assert_eq!(*reopened.current_state(), *leader.current_state());
    let (last_applied, membership) = reopened.applied_state().await.unwrap();
    assert_eq!(last_applied, Some(log_id(6)));
    assert_eq!(membership.log_id(), &Some(log_id(1)));
}

#[tokio::test]
async fn a_corrupt_snapshot_is_refused() {
    let mut sm = machine();
    let meta = SnapshotMeta {
        last_log_id: Some(log_id(3)),
        last_membership: StoredMembership::default(),
        snapshot_id: "x".into(),
    };
    let data = Box::new(Cursor::new(b"not json".to_vec()));
    assert!(sm.install_snapshot(&meta, data).await.is_err());
    assert_eq!(sm.current_state().version, 0);

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("snapshot.bin"), b"garbage!").unwrap();
    let opened = ClusterStateMachine::open(dir.path(), ClusterState::new("c", "u"));
    assert_eq!(
        opened.err().map(|e| e.kind()),
        Some(io::ErrorKind::InvalidData)
    );
}
