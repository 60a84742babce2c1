//! [`SimCluster`]: N master-eligible nodes in one process, each a real
//! `quarry_node::coordination::Coordinator` (openraft, pre-vote, the cluster-state machine)
//! talking over one seeded `InMemoryNetwork`, all on tokio's paused clock.
//!
//! ```text
//!  SimCluster ── kill / restart / partition / heal / advance ──┐
//!     │                                                        ▼
//!     ├─ node 0: Coordinator ◀─ SimRequestHandler ◀─┐   InMemoryNetwork (seeded drops,
//!     ├─ node 1: Coordinator ◀─ SimRequestHandler ◀─┼── partitions, delays, disconnects)
//!     └─ node 2: Coordinator ◀─ SimRequestHandler ◀─┘
//!          └─ <tmpfs>/node-i/raft  (log + snapshot, survives restarts)
//! ```
//!
//! Restarts are real: every node keeps its Raft log and snapshot in a directory of its own
//! (on `/dev/shm` when it exists, so fsync is cheap) and a restarted node reopens it, exactly
//! as a process restart would. A node is never wiped (a wiped node would return with a new
//! id and join as a new member: out of scope here).
//!
//! Every helper that moves the simulation on checks the [`Invariants`] afterwards; [`advance`]
//! checks them on every tick of virtual time. All of it must run inside a runtime whose clock
//! is paused (`#[tokio::test(start_paused = true)]` or [`paused_runtime`]), otherwise virtual
//! seconds are real seconds.
//!
//! Owns: the node lifecycle and fault injection of the simulation. Must not decide what
//! happens next (that is `scenarios`) nor judge outcomes beyond the invariants.
//!
//! [`advance`]: SimCluster::advance

use crate::invariants::{InvariantViolation, Invariants};
use bytes::Bytes;
use parking_lot::Mutex;
use quarry_cluster::cluster_command::ClusterCommand;
use quarry_cluster::ClusterState;
use quarry_node::coordination::{
    CoordinationError, CoordinationStorage, Coordinator, CoordinatorConfig, RaftNode, RaftNodeId,
};
use quarry_node::transport::{
    action_not_found_message, BoxFuture, HandshakeInfo, InMemoryNetwork, RequestHandler,
    PROTOCOL_VERSION,
};
use quarry_types::EsError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

pub const SIM_CLUSTER_NAME: &str = "sim-cluster";
pub const SIM_CLUSTER_UUID: &str = "sim-cluster-uuid";

/// How often [`SimCluster::advance`] checks the invariants (virtual time).
pub const CHECK_INTERVAL: Duration = Duration::from_millis(10);

/// How long a killed node's coordinator may take to stop before the simulation gives up.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the simulated cluster could not be set up or driven.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot create the simulation's storage: {0}")]
    Storage(#[from] std::io::Error),
    #[error("node [{node}] failed to start: {source}")]
    Start {
        node: usize,
        #[source]
        source: CoordinationError,
    },
    #[error("bootstrap failed: {0}")]
    Bootstrap(EsError),
    #[error("node [{node}] did not shut down within {SHUTDOWN_TIMEOUT:?}")]
    ShutdownTimedOut { node: usize },
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
}

/// A current-thread tokio runtime with a paused clock (time only moves when every task waits).
pub fn paused_runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
}

/// Hands inbound requests of one node incarnation to its coordinator (filled in once the
/// coordinator has started; emptied when it is killed).
#[derive(Default)]
struct SimRequestHandler {
    coordinator: Mutex<Option<Arc<Coordinator>>>,
}

impl RequestHandler for SimRequestHandler {
    fn handle(&self, action: String, payload: Bytes) -> BoxFuture<'static, Result<Bytes, String>> {
        let coordinator = self.coordinator.lock().clone();
        match coordinator.and_then(|c| c.handle_request(&action, payload)) {
            Some(reply) => reply,
            None => Box::pin(async move { Err(action_not_found_message(&action)) }),
        }
    }
}

struct SimNode {
    raft_node: RaftNode,
    storage: PathBuf,
    /// `None` while the node is down.
    coordinator: Option<Arc<Coordinator>>,
    handler: Arc<SimRequestHandler>,
    /// Starts of this node so far (1 after the first start).
    incarnation: u64,
}

/// N coordinators over one in-memory network; see the module docs.
pub struct SimCluster {
    network: InMemoryNetwork,
    config: CoordinatorConfig,
    nodes: Vec<SimNode>,
    invariants: Invariants,
    /// Directed links with a drop probability or delay, so [`Self::heal`] can clear them.
    faulty_links: BTreeSet<(usize, usize)>,
    /// Elections observed since the last [`Self::take_events`], with when they were seen.
    events: Vec<(Instant, String)>,
    /// Deleted on drop.
    _storage_root: tempfile::TempDir,
}

/// The Raft id of node `index` (Raft ids start at 1).
pub fn raft_id_of(index: usize) -> RaftNodeId {
    index as RaftNodeId + 1
}

fn raft_node(index: usize) -> RaftNode {
    RaftNode {
        node_id: format!("sim-node-id-{index}"),
        node_name: format!("node-{index}"),
        transport_address: format!("sim-node-{index}:9300"),
    }
}

fn storage_root() -> std::io::Result<tempfile::TempDir> {
    let builder = {
        let mut b = tempfile::Builder::new();
        b.prefix("quarry-sim-");
        b
    };
    let shm = std::path::Path::new("/dev/shm");
    if shm.is_dir() {
        if let Ok(dir) = builder.tempdir_in(shm) {
            return Ok(dir);
        }
    }
    builder.tempdir()
}

impl SimCluster {
    /// Starts `n_nodes` nodes and bootstraps them with all of them as voters, using the
    /// default timers and a snapshot every 20 entries (so log purging and snapshot
    /// installation happen in short runs).
    pub async fn new(seed: u64, n_nodes: usize) -> Result<SimCluster, SimError> {
        let mut config = CoordinatorConfig::new(SIM_CLUSTER_NAME, SIM_CLUSTER_UUID);
        config.snapshot_after_entries = 20;
        config.jitter_seed = Some(seed);
        Self::with_config(seed, n_nodes, config).await
    }

    /// As [`Self::new`] with explicit coordinator settings.
    pub async fn with_config(
        seed: u64,
        n_nodes: usize,
        config: CoordinatorConfig,
    ) -> Result<SimCluster, SimError> {
        let root = storage_root()?;
        let nodes = (0..n_nodes)
            .map(|i| SimNode {
                raft_node: raft_node(i),
                storage: root.path().join(format!("node-{i}")).join("raft"),
                coordinator: None,
                handler: Arc::new(SimRequestHandler::default()),
                incarnation: 0,
            })
            .collect();
        let mut cluster = SimCluster {
            network: InMemoryNetwork::new(seed),
            config,
            nodes,
            invariants: Invariants::new(),
            faulty_links: BTreeSet::new(),
            events: Vec::new(),
            _storage_root: root,
        };
        for i in 0..n_nodes {
            cluster.start_node(i).await?;
        }
        let voters: BTreeMap<RaftNodeId, RaftNode> = cluster
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (raft_id_of(i), n.raft_node.clone()))
            .collect();
        if let Some(first) = cluster.coordinator(0) {
            first.bootstrap(voters).await.map_err(SimError::Bootstrap)?;
        }
        cluster.check_invariants()?;
        Ok(cluster)
    }

    async fn start_node(&mut self, i: usize) -> Result<(), SimError> {
        let handler = Arc::new(SimRequestHandler::default());
        let node = &self.nodes[i];
        let info = HandshakeInfo {
            cluster_name: SIM_CLUSTER_NAME.to_string(),
            cluster_uuid: Some(SIM_CLUSTER_UUID.to_string()),
            protocol_version: PROTOCOL_VERSION,
            node_id: node.raft_node.node_id.clone(),
            node_name: node.raft_node.node_name.clone(),
            transport_address: node.raft_node.transport_address.clone(),
        };
        let transport = self.network.register(info, handler.clone());
        let coordinator = Coordinator::start(
            self.config.clone(),
            raft_id_of(i),
            Arc::new(transport),
            CoordinationStorage::Directory(node.storage.clone()),
        )
        .await
        .map_err(|source| SimError::Start { node: i, source })?;
        let coordinator = Arc::new(coordinator);
        *handler.coordinator.lock() = Some(Arc::clone(&coordinator));
        let node = &mut self.nodes[i];
        node.coordinator = Some(coordinator);
        node.handler = handler;
        node.incarnation += 1;
        self.invariants.forget_node(i);
        Ok(())
    }

    /// Number of nodes (up or down).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The transport address of node `i`.
    pub fn address(&self, i: usize) -> &str {
        &self.nodes[i].raft_node.transport_address
    }

    /// The running coordinator of node `i` (`None` while it is down).
    pub fn coordinator(&self, i: usize) -> Option<&Arc<Coordinator>> {
        self.nodes[i].coordinator.as_ref()
    }

    pub fn is_up(&self, i: usize) -> bool {
        self.nodes[i].coordinator.is_some()
    }

    /// Indices of the nodes that are up.
    pub fn live_nodes(&self) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.is_up(i)).collect()
    }

    /// Indices of the nodes that are down.
    pub fn dead_nodes(&self) -> Vec<usize> {
        (0..self.len()).filter(|&i| !self.is_up(i)).collect()
    }

    /// Live nodes that believe they are the master (a deposed master in a minority may still
    /// believe so for a while, in an older term).
    pub fn leader_candidates(&self) -> Vec<usize> {
        self.live_nodes()
            .into_iter()
            .filter(|&i| self.coordinator(i).is_some_and(|c| c.is_leader()))
            .collect()
    }

    /// The master: the live node that believes it leads, in the highest term.
    pub fn leader(&self) -> Option<usize> {
        self.leader_candidates()
            .into_iter()
            .max_by_key(|&i| self.coordinator(i).map_or(0, |c| c.current_term()))
    }

    /// The master every live node agrees on, if there is one.
    pub fn agreed_leader(&self) -> Option<usize> {
        let leader = self.leader()?;
        let raft_id = raft_id_of(leader);
        self.live_nodes()
            .into_iter()
            .all(|i| {
                self.coordinator(i)
                    .and_then(|c| c.current_leader())
                    .is_some_and(|l| l.raft_id == raft_id)
            })
            .then_some(leader)
    }

    /// The highest term any live node is in.
    pub fn max_term(&self) -> u64 {
        self.live_nodes()
            .into_iter()
            .filter_map(|i| self.coordinator(i).map(|c| c.current_term()))
            .max()
            .unwrap_or(0)
    }

    /// The cluster state applied on node `i`, if it is up.
    pub fn applied_state(&self, i: usize) -> Option<Arc<ClusterState>> {
        self.coordinator(i).map(|c| c.current_state())
    }

    /// Crashes node `i`: its links go down at once (requests in flight fail), then its
    /// coordinator stops. Its storage stays for [`Self::restart`].
    pub async fn kill(&mut self, i: usize) -> Result<(), SimError> {
        let Some(coordinator) = self.nodes[i].coordinator.take() else {
            return Ok(());
        };
        self.network.disconnect(self.address(i));
        *self.nodes[i].handler.coordinator.lock() = None;
        tokio::time::timeout(SHUTDOWN_TIMEOUT, coordinator.shutdown())
            .await
            .map_err(|_| SimError::ShutdownTimedOut { node: i })?;
        self.check_invariants()?;
        Ok(())
    }

    /// Starts node `i` again on its own storage (killing it first if it is up).
    pub async fn restart(&mut self, i: usize) -> Result<(), SimError> {
        self.kill(i).await?;
        self.start_node(i).await?;
        self.check_invariants()?;
        Ok(())
    }

    /// Cuts every link between a node of `side_a` and a node of `side_b`.
    pub fn partition(&mut self, side_a: &[usize], side_b: &[usize]) {
        let addresses = |side: &[usize]| -> Vec<String> {
            side.iter().map(|&i| self.address(i).to_string()).collect()
        };
        self.network.partition(addresses(side_a), addresses(side_b));
    }

    /// Cuts node `i` off from every other node.
    pub fn isolate(&mut self, i: usize) {
        self.network.isolate(self.address(i));
    }

    /// Loses each message from `from` to `to` with probability `p`.
    pub fn drop_messages(&mut self, from: usize, to: usize, p: f64) {
        self.network
            .drop_probability(self.address(from), self.address(to), p);
        self.faulty_links.insert((from, to));
    }

    /// Delays each message from `from` to `to`.
    pub fn delay_messages(&mut self, from: usize, to: usize, delay: Duration) {
        self.network
            .delay(self.address(from), self.address(to), delay);
        self.faulty_links.insert((from, to));
    }

    /// Removes partitions and isolations only (drops and delays stay).
    pub fn heal_partitions(&mut self) {
        self.network.heal();
    }

    /// Removes every network fault: partitions, isolations, drops and delays (down nodes stay
    /// down).
    pub fn heal(&mut self) {
        self.network.heal();
        for (from, to) in std::mem::take(&mut self.faulty_links) {
            let (a, b) = (self.address(from).to_string(), self.address(to).to_string());
            self.network.drop_probability(&a, &b, 0.0);
            self.network.delay(&a, &b, Duration::ZERO);
        }
    }

    /// Proposes `command` on the current master and waits (at most `timeout`) for the outcome.
    /// Invariants are not checked while waiting; use [`Self::advance`] around it.
    pub async fn propose_from_leader(
        &self,
        command: ClusterCommand,
        timeout: Duration,
    ) -> Result<Arc<ClusterState>, EsError> {
        let Some(coordinator) = self.leader().and_then(|l| self.coordinator(l)).cloned() else {
            return Err(EsError::new(
                "master_not_discovered_exception",
                503,
                "no node of the simulation is master",
            ));
        };
        tokio::time::timeout(timeout, coordinator.propose(command))
            .await
            .unwrap_or_else(|_| {
                Err(EsError::new(
                    "process_cluster_event_timeout_exception",
                    503,
                    format!("proposal not committed within [{timeout:?}]"),
                ))
            })
    }

    /// Lets `duration` of virtual time pass, checking the invariants every [`CHECK_INTERVAL`].
    pub async fn advance(&mut self, duration: Duration) -> Result<(), InvariantViolation> {
        let deadline = Instant::now() + duration;
        loop {
            self.check_invariants()?;
            let now = Instant::now();
            if now >= deadline {
                return Ok(());
            }
            tokio::time::sleep((deadline - now).min(CHECK_INTERVAL)).await;
        }
    }

    /// Checks the invariants against what every live node shows right now.
    pub fn check_invariants(&mut self) -> Result<(), InvariantViolation> {
        for (i, node) in self.nodes.iter().enumerate() {
            let Some(coordinator) = &node.coordinator else {
                continue;
            };
            // On the current-thread runtime nothing runs between these reads.
            if coordinator.is_leader() {
                let term = coordinator.current_term();
                if self.invariants.observe_leader(term, raft_id_of(i))? {
                    self.events.push((
                        Instant::now(),
                        format!("node {i} is elected master in term {term}"),
                    ));
                }
            }
            self.invariants
                .observe_state(i, node.incarnation, &coordinator.current_state())?;
        }
        Ok(())
    }

    /// The elections observed since the last call, oldest first.
    pub fn take_events(&mut self) -> Vec<(Instant, String)> {
        std::mem::take(&mut self.events)
    }

    /// What the invariant checker has recorded.
    pub fn invariants(&self) -> &Invariants {
        &self.invariants
    }

    /// Stops every node.
    pub async fn shutdown(&mut self) -> Result<(), SimError> {
        for i in 0..self.len() {
            self.kill(i).await?;
        }
        Ok(())
    }
}
