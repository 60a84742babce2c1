//! Three coordinators in one process over a small in-process transport, on tokio's paused
//! clock: bootstrap, election, identical application, master kill and failover.

use super::*;
use crate::transport::{HandshakeInfo, Transport, TransportAddress, TransportError};
use parking_lot::Mutex;
use std::collections::{HashMap, HashSet};
use tokio::time::Instant;

/// Routes requests to the coordinators registered by address; addresses marked down refuse
/// connections in both directions (a killed or isolated node).
#[derive(Default)]
struct TestNetwork {
    nodes: Mutex<HashMap<TransportAddress, Arc<Coordinator>>>,
    down: Mutex<HashSet<TransportAddress>>,
}

impl TestNetwork {
    fn set_down(&self, address: &str, down: bool) {
        let mut set = self.down.lock();
        if down {
            set.insert(address.to_string());
        } else {
            set.remove(address);
        }
    }
}

struct TestTransport {
    network: Arc<TestNetwork>,
    address: TransportAddress,
}

impl Transport for TestTransport {
    fn send(
        &self,
        target: &TransportAddress,
        action: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Bytes, TransportError>> {
        let network = Arc::clone(&self.network);
        let from = self.address.clone();
        let target = target.clone();
        let action = action.to_string();
        Box::pin(async move {
            let refused = || TransportError::ConnectFailed {
                address: target.clone(),
                reason: "connection refused".into(),
            };
            {
                let down = network.down.lock();
                if down.contains(&from) || down.contains(&target) {
                    return Err(refused());
                }
            }
            let coordinator = network.nodes.lock().get(&target).cloned();
            let coordinator = coordinator.ok_or_else(refused)?;
            let handler = coordinator
                .handle_request(&action, payload)
                .ok_or_else(|| TransportError::ActionNotFound {
                    address: target.clone(),
                    action: action.clone(),
                })?;
            match tokio::time::timeout(timeout, handler).await {
                Err(_) => Err(TransportError::Timeout {
                    address: target.clone(),
                    action,
                    timeout,
                }),
                Ok(Err(message)) => Err(TransportError::Remote {
                    address: target.clone(),
                    action,
                    message,
                }),
                Ok(Ok(bytes)) => Ok(bytes),
            }
        })
    }

    fn local_address(&self) -> TransportAddress {
        self.address.clone()
    }

    fn handshake(
        &self,
        target: &TransportAddress,
        _timeout: Duration,
    ) -> BoxFuture<'static, Result<HandshakeInfo, TransportError>> {
        let target = target.clone();
        Box::pin(async move {
            Err(TransportError::HandshakeRefused {
                address: target,
                reason: "not used by the coordination tests".into(),
            })
        })
    }
}

fn raft_node(i: u64) -> RaftNode {
    RaftNode {
        node_id: format!("node-id-{i}"),
        node_name: format!("node-{i}"),
        transport_address: format!("127.0.0.1:{}", 9300 + i),
    }
}

struct TestCluster {
    network: Arc<TestNetwork>,
    coordinators: BTreeMap<RaftNodeId, Arc<Coordinator>>,
}

impl TestCluster {
    async fn start(ids: &[RaftNodeId]) -> TestCluster {
        Self::start_with_voting_only(ids, &[]).await
    }

    async fn start_with_voting_only(ids: &[RaftNodeId], voting_only: &[RaftNodeId]) -> TestCluster {
        let network = Arc::new(TestNetwork::default());
        let mut coordinators = BTreeMap::new();
        for &id in ids {
            let node = raft_node(id);
            let transport = Arc::new(TestTransport {
                network: Arc::clone(&network),
                address: node.transport_address.clone(),
            });
            let coordinator = Coordinator::start(
                CoordinatorConfig {
                    voting_only: voting_only.contains(&id),
                    ..CoordinatorConfig::new("test-cluster", "cluster-uuid")
                },
                id,
                transport,
                CoordinationStorage::InMemory,
            )
            .await
            .unwrap();
            let coordinator = Arc::new(coordinator);
            network
                .nodes
                .lock()
                .insert(node.transport_address, Arc::clone(&coordinator));
            coordinators.insert(id, coordinator);
        }
        TestCluster {
            network,
            coordinators,
        }
    }

    /// Waits (on the paused clock) until every live coordinator agrees on one leader other
    /// than `not`; returns it.
    async fn wait_for_agreed_leader(&self, live: &[RaftNodeId], not: Option<u64>) -> RaftNodeId {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let leaders: BTreeSet<Option<RaftNodeId>> = live
                .iter()
                .map(|id| self.coordinators[id].current_leader().map(|l| l.raft_id))
                .collect();
            if let [Some(leader)] = leaders.iter().cloned().collect::<Vec<_>>()[..] {
                if Some(leader) != not && self.coordinators[&leader].is_leader() {
                    return leader;
                }
            }
            assert!(Instant::now() < deadline, "no agreed leader: {leaders:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until every live coordinator has applied a state of at least `version`.
    async fn wait_for_version(&self, live: &[RaftNodeId], version: u64) -> Vec<Arc<ClusterState>> {
        let mut states = Vec::new();
        for id in live {
            let mut watch = self.coordinators[id].state_watch();
            let state = tokio::time::timeout(
                Duration::from_secs(30),
                watch.wait_for(|s| s.version >= version),
            )
            .await
            .expect("state not applied in time")
            .expect("state machine stopped")
            .clone();
            states.push(state);
        }
        states
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

fn assert_identical(states: &[Arc<ClusterState>]) {
    let first = serde_json::to_string(&*states[0]).unwrap();
    for state in &states[1..] {
        assert_eq!(state.version, states[0].version);
        assert_eq!(state.state_uuid, states[0].state_uuid);
        assert_eq!(serde_json::to_string(&**state).unwrap(), first);
    }
}

#[tokio::test(start_paused = true)]
async fn three_nodes_elect_a_master_apply_identically_and_fail_over() {
    let ids = [1, 2, 3];
    let cluster = TestCluster::start(&ids).await;
    let voters: BTreeMap<_, _> = ids.iter().map(|&i| (i, raft_node(i))).collect();
    cluster.coordinators[&1]
        .bootstrap(voters.clone())
        .await
        .unwrap();
    let bootstrap_again = cluster.coordinators[&1]
        .bootstrap(voters)
        .await
        .unwrap_err();
    assert_eq!(bootstrap_again.error_type, "illegal_state_exception");

    let leader = cluster.wait_for_agreed_leader(&ids, None).await;
    let leader_coordinator = &cluster.coordinators[&leader];
    assert_eq!(leader_coordinator.voters(), BTreeSet::from(ids));
    let info = cluster.coordinators[&leader].current_leader().unwrap();
    assert_eq!(info.node, Some(raft_node(leader)));

    // A follower refuses to propose and names the master.
    let follower = ids.iter().copied().find(|&i| i != leader).unwrap();
    let refused = cluster.coordinators[&follower]
        .propose(create_index("nope"))
        .await
        .unwrap_err();
    assert_eq!(refused.error_type, "not_master_exception");
    assert_eq!(refused.status, 503);
    assert_eq!(refused.metadata["master_raft_id"], leader);

    // The master's proposal is applied identically everywhere.
    let state = leader_coordinator
        .propose(create_index("logs"))
        .await
        .unwrap();
    assert!(state.index("logs").is_some());
    let states = cluster.wait_for_version(&ids, state.version).await;
    assert_identical(&states);
    assert_eq!(*states[0], *state);

    // A command that fails validation comes back as its error and changes nothing.
    let duplicate = leader_coordinator
        .propose(create_index("logs"))
        .await
        .unwrap_err();
    assert_eq!(duplicate.error_type, "resource_already_exists_exception");
    assert_eq!(leader_coordinator.current_state().version, state.version);

    // Kill the master: a new one is elected among the survivors and proposals work again.
    let term_before = leader_coordinator.current_term();
    let killed_at = Instant::now();
    cluster
        .network
        .set_down(&raft_node(leader).transport_address, true);
    leader_coordinator.shutdown().await;
    let survivors: Vec<_> = ids.iter().copied().filter(|&i| i != leader).collect();
    let new_leader = cluster
        .wait_for_agreed_leader(&survivors, Some(leader))
        .await;
    println!(
        "failover after master kill (virtual time): {:?}",
        killed_at.elapsed()
    );
    let new_coordinator = &cluster.coordinators[&new_leader];
    assert!(new_coordinator.current_term() > term_before);
    let state = new_coordinator
        .propose(create_index("after"))
        .await
        .unwrap();
    assert!(state.index("logs").is_some() && state.index("after").is_some());
    let states = cluster.wait_for_version(&survivors, state.version).await;
    assert_identical(&states);

    for id in survivors {
        cluster.coordinators[&id].shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_minority_cannot_elect_or_commit() {
    let ids = [1, 2, 3];
    let cluster = TestCluster::start(&ids).await;
    let voters: BTreeMap<_, _> = ids.iter().map(|&i| (i, raft_node(i))).collect();
    cluster.coordinators[&2].bootstrap(voters).await.unwrap();
    let leader = cluster.wait_for_agreed_leader(&ids, None).await;
    let state = cluster.coordinators[&leader]
        .propose(create_index("logs"))
        .await
        .unwrap();
    let window = Duration::from_secs(2);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(ids
        .iter()
        .all(|id| cluster.coordinators[id].has_active_master(window)));

    // Isolate the master: it is a minority of one and cannot commit anything.
    cluster
        .network
        .set_down(&raft_node(leader).transport_address, true);
    let stuck = tokio::time::timeout(
        Duration::from_secs(5),
        cluster.coordinators[&leader].propose(create_index("lost")),
    )
    .await;
    assert!(
        !matches!(stuck, Ok(Ok(_))),
        "a minority committed a proposal"
    );
    let majority: Vec<_> = ids.iter().copied().filter(|&i| i != leader).collect();
    let new_leader = cluster
        .wait_for_agreed_leader(&majority, Some(leader))
        .await;
    let next = cluster.coordinators[&new_leader]
        .propose(create_index("kept"))
        .await
        .unwrap();
    assert!(next.index("lost").is_none());
    assert!(next.version > state.version);
    // The isolated old master knows it has no quorum (no-master block); the majority has one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!cluster.coordinators[&leader].has_active_master(window));
    assert!(majority
        .iter()
        .all(|id| cluster.coordinators[id].has_active_master(window)));

    // Healing the partition: the old master follows the new one and catches up.
    cluster
        .network
        .set_down(&raft_node(leader).transport_address, false);
    let states = cluster.wait_for_version(&ids, next.version).await;
    assert!(states.iter().all(|s| s.index("lost").is_none()));
    let agreed = cluster.wait_for_agreed_leader(&ids, None).await;
    assert_ne!(agreed, leader, "the stale master cannot take over again");

    for coordinator in cluster.coordinators.values() {
        coordinator.shutdown().await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_rejoining_isolated_follower_does_not_disturb_the_master() {
    let ids = [1, 2, 3];
    let cluster = TestCluster::start(&ids).await;
    let voters: BTreeMap<_, _> = ids.iter().map(|&i| (i, raft_node(i))).collect();
    cluster.coordinators[&1].bootstrap(voters).await.unwrap();
    let leader = cluster.wait_for_agreed_leader(&ids, None).await;
    let term = cluster.coordinators[&leader].current_term();
    let follower = ids.iter().copied().find(|&i| i != leader).unwrap();
    let address = raft_node(follower).transport_address;

    // Isolated for many election timeouts: without pre-vote it would raise its term.
    cluster.network.set_down(&address, true);
    tokio::time::sleep(Duration::from_secs(10)).await;
    assert_eq!(cluster.coordinators[&follower].current_term(), term);

    cluster.network.set_down(&address, false);
    let state = cluster.coordinators[&leader]
        .propose(create_index("logs"))
        .await
        .unwrap();
    cluster.wait_for_version(&ids, state.version).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(cluster.wait_for_agreed_leader(&ids, None).await, leader);
    assert_eq!(cluster.coordinators[&leader].current_term(), term);

    for coordinator in cluster.coordinators.values() {
        coordinator.shutdown().await;
    }
}

#[tokio::test]
async fn a_restarted_node_recovers_its_state_from_disk() {
    let dir = tempfile::tempdir().unwrap();
    let network = Arc::new(TestNetwork::default());
    let node = raft_node(7);
    let mut config = CoordinatorConfig::new("test-cluster", "cluster-uuid");
    // Snapshot (and purge the log) along the way, so recovery needs both.
    config.snapshot_after_entries = 3;
    let start = || async {
        let transport = Arc::new(TestTransport {
            network: Arc::clone(&network),
            address: node.transport_address.clone(),
        });
        Coordinator::start(
            config.clone(),
            7,
            transport,
            CoordinationStorage::Directory(dir.path().join("raft")),
        )
        .await
        .unwrap()
    };
    let last = {
        let coordinator = start().await;
        coordinator
            .bootstrap(BTreeMap::from([(7, node.clone())]))
            .await
            .unwrap();
        coordinator
            .wait_for_leader(Duration::from_secs(30))
            .await
            .unwrap();
        let mut last = None;
        for i in 0..6 {
            last = Some(
                coordinator
                    .propose(create_index(&format!("idx-{i}")))
                    .await
                    .unwrap(),
            );
        }
        // Snapshots are built in the background: wait for one before stopping.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while coordinator.snapshot_index().is_none() {
            assert!(tokio::time::Instant::now() < deadline, "no snapshot built");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        coordinator.shutdown().await;
        last.unwrap()
    };
    assert!(dir.path().join("raft").join("snapshot.bin").exists());

    let coordinator = start().await;
    assert_eq!(
        coordinator
            .wait_for_leader(Duration::from_secs(30))
            .await
            .unwrap(),
        7
    );
    let mut watch = coordinator.state_watch();
    let recovered = watch
        .wait_for(|s| s.version >= last.version)
        .await
        .unwrap()
        .clone();
    assert_eq!(*recovered, *last);
    let again = coordinator
        .bootstrap(BTreeMap::from([(7, node.clone())]))
        .await;
    assert!(
        again.is_err(),
        "a node that belongs to a cluster never bootstraps again"
    );
    let next = coordinator
        .propose(create_index("after-restart"))
        .await
        .unwrap();
    assert!(next.version > last.version);
    coordinator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_voting_only_node_votes_but_is_never_elected() {
    let ids = [1, 2, 3];
    let cluster = TestCluster::start_with_voting_only(&ids, &[3]).await;
    let voters: BTreeMap<_, _> = ids.iter().map(|&i| (i, raft_node(i))).collect();
    cluster.coordinators[&1].bootstrap(voters).await.unwrap();
    let mut leader = cluster.wait_for_agreed_leader(&ids, None).await;
    // Fail the master over and over: each time the other full master node wins with the
    // voting-only node's vote (without the rule, node 3 would win about half the elections).
    for _ in 0..8 {
        assert_ne!(leader, 3, "the voting-only node became master");
        let address = raft_node(leader).transport_address;
        cluster.network.set_down(&address, true);
        let live: Vec<_> = ids.iter().copied().filter(|&i| i != leader).collect();
        let next = cluster.wait_for_agreed_leader(&live, Some(leader)).await;
        assert_ne!(next, 3, "the voting-only node became master");
        cluster.network.set_down(&address, false);
        leader = cluster.wait_for_agreed_leader(&ids, None).await;
        // Let the healed node catch up: a voting-only node with a fresher log than the only
        // other candidate would (rightly) refuse it its vote.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    for coordinator in cluster.coordinators.values() {
        coordinator.shutdown().await;
    }
}
