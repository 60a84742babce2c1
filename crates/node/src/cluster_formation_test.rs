//! Three master-eligible nodes in one process over the in-memory transport, on tokio's paused
//! clock: they discover each other from seed hosts, bootstrap once from
//! `cluster.initial_master_nodes`, elect a master, all apply the same cluster state (one UUID,
//! three nodes, one master), and after the master is killed another one takes over. Five
//! nodes show the voting configuration following exclusions and shrinking as nodes leave.

use super::*;
use crate::coordination::{CoordinationStorage, CoordinatorConfig};
use crate::discovery::peer_finder_shell::{
    seed_addresses_resolver, PeerFinderShell, PeerFinderTimings,
};
use crate::discovery::PeerFinder;
use crate::request_dispatcher::RequestDispatcher;
use crate::transport::{HandshakeInfo, InMemoryNetwork, PROTOCOL_VERSION};
use std::collections::BTreeSet;

struct TestNode {
    node: DiscoveryNode,
    coordinator: Arc<Coordinator>,
    _formation: Arc<ClusterFormation>,
    _task: tokio::task::JoinHandle<()>,
}

fn address(i: usize) -> String {
    format!("127.0.0.{}:9300", i + 1)
}

async fn start_node(network: &InMemoryNetwork, i: usize, n: usize) -> TestNode {
    let name = format!("node-{i}");
    let node = DiscoveryNode {
        id: NodeId(format!(
            "id-{i}-{}",
            quarry_types::ids::random_base64_uuid()
        )),
        name: name.clone(),
        ephemeral_id: format!("e{i}"),
        transport_address: address(i),
        http_address: String::new(),
        roles: ["master", "data"]
            .iter()
            .map(|s| s.to_string())
            .collect::<BTreeSet<_>>(),
        attributes: Default::default(),
    };
    let dispatcher = RequestDispatcher::new();
    let transport: SharedTransport = Arc::new(network.register(
        HandshakeInfo {
            cluster_name: "formation-test".into(),
            cluster_uuid: None,
            protocol_version: PROTOCOL_VERSION,
            node_id: node.id.0.clone(),
            node_name: name.clone(),
            transport_address: address(i),
        },
        dispatcher.clone(),
    ));
    let coordinator = Arc::new(
        Coordinator::start(
            CoordinatorConfig::new(
                "formation-test",
                quarry_cluster::apply::UNBOOTSTRAPPED_CLUSTER_UUID,
            ),
            raft_id_for(&node.id.0),
            transport.clone(),
            CoordinationStorage::InMemory,
        )
        .await
        .expect("coordinator starts"),
    );
    dispatcher.attach_coordinator(coordinator.clone());
    let settings = DiscoverySettings {
        single_node: false,
        seed_hosts: (0..n).filter(|j| *j != i).map(address).collect(),
        initial_master_nodes: (0..n).map(|j| format!("node-{j}")).collect(),
        ..DiscoverySettings::default()
    };
    let finder = PeerFinder::new(node.clone(), settings.initial_master_nodes.clone(), None);
    let (handle, masters_found) = PeerFinderShell::spawn(
        finder,
        transport.clone(),
        seed_addresses_resolver(&settings, vec![address(i)]),
        PeerFinderTimings::from(&settings),
    );
    dispatcher.attach_peer_finder(handle.clone());
    let (formation, task) = ClusterFormation::start(
        node.clone(),
        coordinator.clone(),
        transport,
        handle,
        masters_found,
        settings,
    );
    dispatcher.attach_formation(formation.clone());
    TestNode {
        node,
        coordinator,
        _formation: formation,
        _task: task,
    }
}

/// Advances the paused clock until `done` holds (or panics after `limit` of simulated time).
async fn until(limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn formed(nodes: &[&TestNode], expected_nodes: usize) -> bool {
    let states: Vec<Arc<ClusterState>> = nodes
        .iter()
        .map(|n| n.coordinator.current_state())
        .collect();
    let first = &states[0];
    first.nodes.len() == expected_nodes
        && first.master_node.is_some()
        && first.cluster_uuid != quarry_cluster::apply::UNBOOTSTRAPPED_CLUSTER_UUID
        && states.iter().all(|s| {
            s.version == first.version
                && s.cluster_uuid == first.cluster_uuid
                && s.master_node == first.master_node
                && s.nodes.len() == first.nodes.len()
        })
}

#[tokio::test(start_paused = true)]
async fn three_nodes_discover_bootstrap_elect_and_fail_over() {
    let network = InMemoryNetwork::new(7);
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(start_node(&network, i, 3).await);
    }
    until(Duration::from_secs(60), || {
        formed(&nodes.iter().collect::<Vec<_>>(), 3)
    })
    .await;
    let state = nodes[0].coordinator.current_state();
    let master = state.master_node.clone().expect("a master");
    let uuid = state.cluster_uuid.clone();
    assert_eq!(
        nodes.iter().filter(|n| n.coordinator.is_leader()).count(),
        1
    );
    let leader = nodes
        .iter()
        .position(|n| n.node.id == master)
        .expect("the master is one of the nodes");
    assert!(
        nodes[leader].coordinator.is_leader(),
        "the elected master is the Raft leader"
    );
    assert_eq!(nodes[leader].coordinator.voters().len(), 3);

    // Kill the master: the other two elect a new one, which records itself as master and
    // removes the dead node after its follower checks fail.
    network.disconnect(&address(leader));
    nodes[leader].coordinator.shutdown().await;
    let survivors: Vec<&TestNode> = nodes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != leader)
        .map(|(_, n)| n)
        .collect();
    until(Duration::from_secs(60), || {
        let s = survivors[0].coordinator.current_state();
        s.master_node.is_some() && s.master_node != Some(master.clone()) && formed(&survivors, 2)
    })
    .await;
    let after = survivors[0].coordinator.current_state();
    assert_eq!(
        after.cluster_uuid, uuid,
        "the cluster keeps its UUID across failover"
    );
    assert_eq!(
        survivors
            .iter()
            .filter(|n| n.coordinator.is_leader())
            .count(),
        1
    );
}

/// The third node starts after the first two have formed a cluster (the race a real start-up
/// hits when one process is slow): it must not bootstrap a cluster of its own from the two
/// peers it finds, but join the elected master and become a voter.
#[tokio::test(start_paused = true)]
async fn a_late_node_joins_the_formed_cluster_instead_of_bootstrapping() {
    let network = InMemoryNetwork::new(11);
    let mut nodes = vec![
        start_node(&network, 0, 3).await,
        start_node(&network, 1, 3).await,
    ];
    until(Duration::from_secs(60), || {
        formed(&nodes.iter().collect::<Vec<_>>(), 2)
    })
    .await;
    let uuid = nodes[0].coordinator.current_state().cluster_uuid.clone();
    tokio::time::sleep(Duration::from_secs(5)).await;
    nodes.push(start_node(&network, 2, 3).await);
    until(Duration::from_secs(60), || {
        formed(&nodes.iter().collect::<Vec<_>>(), 3)
    })
    .await;
    assert_eq!(nodes[2].coordinator.current_state().cluster_uuid, uuid);
    let leader = nodes
        .iter()
        .find(|n| n.coordinator.is_leader())
        .expect("a leader");
    until(Duration::from_secs(30), || {
        leader.coordinator.voters().len() == 3
    })
    .await;
}

fn leader_of(nodes: &[TestNode]) -> Option<&TestNode> {
    nodes.iter().find(|n| n.coordinator.is_leader())
}

/// Starts `n` master-eligible nodes and waits until they formed a cluster whose voting
/// configuration holds all of them and is recorded in the cluster state.
async fn form_cluster(network: &InMemoryNetwork, n: usize) -> Vec<TestNode> {
    let mut nodes = Vec::new();
    for i in 0..n {
        nodes.push(start_node(network, i, n).await);
    }
    until(Duration::from_secs(60), || {
        formed(&nodes.iter().collect::<Vec<_>>(), n)
            && leader_of(&nodes).is_some_and(|l| {
                l.coordinator.voters().len() == n
                    && l.coordinator
                        .current_state()
                        .metadata
                        .coordination
                        .last_committed_config
                        .len()
                        == n
            })
    })
    .await;
    nodes
}

/// Whether the cluster still commits changes: the master proposes a settings update.
async fn commits_a_change(leader: &TestNode, value: &str) {
    let settings =
        quarry_types::Settings::from_json(&serde_json::json!({ "cluster.metadata.probe": value }))
            .expect("settings");
    let change = leader
        .coordinator
        .propose(ClusterCommand::UpdateClusterSettings {
            persistent: settings,
            transient: Default::default(),
        });
    tokio::time::timeout(Duration::from_secs(30), change)
        .await
        .expect("the change commits in time")
        .expect("the change is accepted");
}

async fn stop(network: &InMemoryNetwork, node: &TestNode, i: usize) {
    network.disconnect(&address(i));
    node.coordinator.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn excluding_two_of_five_voters_leaves_three_and_the_cluster_available() {
    let network = InMemoryNetwork::new(21);
    let nodes = form_cluster(&network, 5).await;
    let leader = leader_of(&nodes).expect("a leader");
    let excluded: Vec<usize> = (0..5)
        .filter(|i| nodes[*i].node.id != leader.node.id)
        .take(2)
        .collect();
    let exclusions = excluded
        .iter()
        .map(|i| {
            quarry_cluster::VotingConfigExclusion::new(&nodes[*i].node.id.0, &nodes[*i].node.name)
        })
        .collect();
    leader
        .coordinator
        .propose(ClusterCommand::AddVotingConfigExclusions(exclusions))
        .await
        .expect("exclusions committed");
    let excluded_ids: BTreeSet<String> = excluded
        .iter()
        .map(|i| nodes[*i].node.id.0.clone())
        .collect();
    until(Duration::from_secs(60), || {
        let recorded = leader.coordinator.current_state();
        let config = &recorded.metadata.coordination.last_committed_config;
        leader.coordinator.voters().len() == 3
            && config.len() == 3
            && config.iter().all(|id| !excluded_ids.contains(id))
    })
    .await;
    for i in &excluded {
        assert!(!leader
            .coordinator
            .voters()
            .contains(&raft_id_for(&nodes[*i].node.id.0)));
    }
    // The excluded nodes are still members of the cluster, just not voters.
    assert_eq!(leader.coordinator.current_state().nodes.len(), 5);
    commits_a_change(leader, "with-all").await;
    // Stopping both excluded nodes costs no quorum.
    for i in &excluded {
        stop(&network, &nodes[*i], *i).await;
    }
    commits_a_change(leader, "without-excluded").await;
}

#[tokio::test(start_paused = true)]
async fn the_voting_configuration_shrinks_as_master_eligible_nodes_leave() {
    let network = InMemoryNetwork::new(23);
    let nodes = form_cluster(&network, 5).await;
    let leader = leader_of(&nodes).expect("a leader");
    let others: Vec<usize> = (0..5)
        .filter(|i| nodes[*i].node.id != leader.node.id)
        .collect();
    // Two of five voters die: the follower checks remove them and the configuration shrinks
    // to the three live nodes.
    for i in &others[..2] {
        stop(&network, &nodes[*i], *i).await;
    }
    until(Duration::from_secs(60), || {
        let state = leader.coordinator.current_state();
        state.nodes.len() == 3
            && leader.coordinator.voters().len() == 3
            && state.metadata.coordination.last_committed_config.len() == 3
    })
    .await;
    for i in &others[..2] {
        assert!(!leader
            .coordinator
            .voters()
            .contains(&raft_id_for(&nodes[*i].node.id.0)));
    }
    // A third loss is survivable now (2 of 3 voters), which five voters with three dead
    // would not be.
    stop(&network, &nodes[others[2]], others[2]).await;
    commits_a_change(leader, "two-of-three").await;
    // Down to two live nodes, the configuration stays at three: never below three.
    until(Duration::from_secs(60), || {
        leader.coordinator.current_state().nodes.len() == 2
    })
    .await;
    commits_a_change(leader, "still-three").await;
    assert_eq!(leader.coordinator.voters().len(), 3);
}

#[test]
fn raft_ids_are_stable_and_distinct() {
    assert_eq!(raft_id_for("abc"), raft_id_for("abc"));
    assert_ne!(raft_id_for("abc"), raft_id_for("abd"));
    assert_ne!(raft_id_for(""), 0);
}
