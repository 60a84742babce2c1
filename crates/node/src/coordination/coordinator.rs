//! [`Coordinator`]: the one facade the rest of the node uses for consensus, so that openraft
//! stays behind this module (the later 0.10 upgrade changes only `coordination/`).
//!
//! The voters are the voting configuration (master-eligible nodes); the Raft leader is the
//! elected master. The master proposes `ClusterCommand`s; once a quorum has them they are
//! applied on every member and published on [`Coordinator::state_watch`].
//!
//! Timers: heartbeats every 150 ms; election timeouts of 400–800 ms. Elections are started by
//! `pre_vote` (openraft's own timer is off): a voter that has not heard from a master for the
//! leader lease (`election_timeout_max`, 800 ms) plus a random part of the spread asks for
//! pre-votes and campaigns only when a quorum agrees. Voters refuse while their master is
//! alive (and openraft refuses real votes during the lease), so a stale node rejoining cannot
//! disturb a healthy master, and a dead master is replaced in about 1–1.5 s (the issue's
//! target is ≤ 2 s).
//!
//! Owns: starting Raft, membership and proposal calls, mapping openraft errors to
//! Elasticsearch errors. Must not decide cluster-state changes (that is `quarry_cluster`).

use crate::coordination::log_store::RaftLogStore;
use crate::coordination::network::TransportRaftNetworkFactory;
use crate::coordination::pre_vote::{
    run_election_loop, ElectionContext, ElectionTimers, Jitter, LeaderContact,
};
use crate::coordination::raft_request_handler::handle_raft_request;
use crate::coordination::state_machine::ClusterStateMachine;
use crate::coordination::type_config::{ClusterCommandEntry, ClusterRaft, RaftNode, RaftNodeId};
use crate::transport::{BoxFuture, SharedTransport};
use bytes::Bytes;
use openraft::error::{ClientWriteError, ForwardToLeader, InitializeError, RaftError};
use openraft::{Config, ServerState, SnapshotPolicy};
use quarry_cluster::cluster_command::ClusterCommand;
use quarry_cluster::cluster_state::ClusterState;
use quarry_types::EsError;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Timers and identity of the consensus layer.
#[derive(Debug, Clone)]
pub struct CoordinatorConfig {
    pub cluster_name: String,
    /// The UUID of the cluster this node belongs to (the initial state's `cluster_uuid`).
    pub cluster_uuid: String,
    pub heartbeat_interval: Duration,
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
    /// Build a snapshot (and purge the log) after this many applied entries.
    pub snapshot_after_entries: u64,
    /// Seeds the election-timeout jitter (with the Raft id), making simulated runs
    /// reproducible; `None` in production (random).
    pub jitter_seed: Option<u64>,
    /// `node.roles` includes `voting_only`: the node votes but never stands for election.
    pub voting_only: bool,
}

impl CoordinatorConfig {
    /// The defaults described in the module docs.
    pub fn new(cluster_name: impl Into<String>, cluster_uuid: impl Into<String>) -> Self {
        CoordinatorConfig {
            cluster_name: cluster_name.into(),
            cluster_uuid: cluster_uuid.into(),
            heartbeat_interval: Duration::from_millis(150),
            election_timeout_min: Duration::from_millis(400),
            election_timeout_max: Duration::from_millis(800),
            snapshot_after_entries: 1000,
            jitter_seed: None,
            voting_only: false,
        }
    }

    fn raft_config(&self) -> Result<Config, CoordinationError> {
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        Config {
            cluster_name: self.cluster_name.clone(),
            heartbeat_interval: millis(self.heartbeat_interval),
            election_timeout_min: millis(self.election_timeout_min),
            election_timeout_max: millis(self.election_timeout_max),
            install_snapshot_timeout: 10_000,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(self.snapshot_after_entries),
            max_in_snapshot_log_to_keep: 100,
            // Elections are started by `pre_vote::run_election_loop`.
            enable_elect: false,
            ..Config::default()
        }
        .validate()
        .map_err(|e| CoordinationError::InvalidConfig(e.to_string()))
    }
}

/// Where the Raft log and snapshots live.
#[derive(Debug, Clone)]
pub enum CoordinationStorage {
    /// Nothing on disk (tests, simulation).
    InMemory,
    /// A directory, normally `<path.data>/_state/raft/`.
    Directory(PathBuf),
}

/// Why the consensus layer could not start.
#[derive(Debug, thiserror::Error)]
pub enum CoordinationError {
    #[error("invalid raft configuration: {0}")]
    InvalidConfig(String),
    #[error("failed to open raft storage in [{path}]: {source}")]
    Storage {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to start raft: {0}")]
    Start(String),
}

/// The current master as Raft sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaderInfo {
    pub raft_id: RaftNodeId,
    /// `None` when the leader is not (yet) in the membership this node knows.
    pub node: Option<RaftNode>,
}

/// A running consensus member.
pub struct Coordinator {
    raft_id: RaftNodeId,
    raft: ClusterRaft,
    state_machine: ClusterStateMachine,
    election: ElectionContext,
    election_loop: tokio::task::JoinHandle<()>,
}

impl Drop for Coordinator {
    fn drop(&mut self) {
        self.election_loop.abort();
    }
}

impl Coordinator {
    /// Opens the storage and starts the Raft node with id `raft_id` (persisted by the caller
    /// next to the node id).
    pub async fn start(
        config: CoordinatorConfig,
        raft_id: RaftNodeId,
        transport: SharedTransport,
        storage: CoordinationStorage,
    ) -> Result<Coordinator, CoordinationError> {
        let raft_config = Arc::new(config.raft_config()?);
        let initial = ClusterState::new(config.cluster_name.clone(), config.cluster_uuid.clone());
        let (log_store, state_machine) = match &storage {
            CoordinationStorage::InMemory => (
                RaftLogStore::in_memory(),
                ClusterStateMachine::in_memory(initial),
            ),
            CoordinationStorage::Directory(dir) => {
                let storage_error = |source| CoordinationError::Storage {
                    path: dir.display().to_string(),
                    source,
                };
                (
                    RaftLogStore::open(dir).map_err(storage_error)?,
                    ClusterStateMachine::open(dir, initial).map_err(storage_error)?,
                )
            }
        };
        let network = TransportRaftNetworkFactory::new(raft_id, transport.clone());
        let raft = ClusterRaft::new(
            raft_id,
            raft_config,
            network,
            log_store.clone(),
            state_machine.clone(),
        )
        .await
        .map_err(|e| CoordinationError::Start(e.to_string()))?;
        let election = ElectionContext {
            raft: raft.clone(),
            log_store,
            contact: LeaderContact::new(),
            lease: config.election_timeout_max,
        };
        let timers = ElectionTimers {
            heartbeat_interval: config.heartbeat_interval,
            election_timeout_min: config.election_timeout_min,
            election_timeout_max: config.election_timeout_max,
        };
        let election_loop = tokio::spawn(run_election_loop(
            election.clone(),
            raft_id,
            transport,
            timers,
            Jitter::new(config.jitter_seed.map(|seed| seed ^ raft_id)),
            !config.voting_only,
        ));
        Ok(Coordinator {
            raft_id,
            raft,
            state_machine,
            election,
            election_loop,
        })
    }

    pub fn raft_id(&self) -> RaftNodeId {
        self.raft_id
    }

    /// Forms a brand-new cluster with these voters (`cluster.initial_master_nodes` resolved).
    /// Fails with `illegal_state_exception` if this node already belongs to a cluster.
    pub async fn bootstrap(&self, voters: BTreeMap<RaftNodeId, RaftNode>) -> Result<(), EsError> {
        self.raft.initialize(voters).await.map_err(|e| match e {
            RaftError::APIError(InitializeError::NotAllowed(e)) => EsError::illegal_state(format!(
                "cannot bootstrap: this node already belongs to a cluster ({e})"
            )),
            RaftError::APIError(InitializeError::NotInMembers(e)) => {
                EsError::illegal_argument(format!("cannot bootstrap: {e}"))
            }
            RaftError::Fatal(e) => node_closed(e),
        })
    }

    /// Proposes `command` as the master, waits until a quorum has committed it and it is
    /// applied here, and returns the resulting state. Not being the master fails with 503
    /// (`not_master_exception` naming the current master, or `master_not_discovered_exception`);
    /// a command that fails validation returns its own error and changes nothing.
    pub async fn propose(&self, command: ClusterCommand) -> Result<Arc<ClusterState>, EsError> {
        let entry = ClusterCommandEntry {
            command,
            proposed_at_millis: now_millis(),
        };
        let response = self
            .raft
            .client_write(entry)
            .await
            .map_err(|e| self.client_write_error(e))?;
        match response.data.outcome {
            Some(outcome) => outcome,
            None => Err(EsError::illegal_state(format!(
                "proposal committed at [{}] but produced no outcome",
                response.log_id
            ))),
        }
    }

    /// The current master, if this node knows one.
    pub fn current_leader(&self) -> Option<LeaderInfo> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        metrics.current_leader.map(|raft_id| LeaderInfo {
            raft_id,
            node: metrics
                .membership_config
                .membership()
                .get_node(&raft_id)
                .cloned(),
        })
    }

    /// Whether this node has a live master right now (Elasticsearch's leader checks): as the
    /// master, a quorum acknowledged it within `window`; as a follower, it knows a master and
    /// heard from it within `window`. Without one, writes meet `cluster.no_master_block`.
    pub fn has_active_master(&self, window: Duration) -> bool {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        if metrics.state == ServerState::Leader {
            let voters: BTreeSet<RaftNodeId> =
                metrics.membership_config.membership().voter_ids().collect();
            // A single-voter configuration is its own quorum.
            return voters.len() <= 1 && voters.contains(&self.raft_id)
                || metrics
                    .millis_since_quorum_ack
                    .is_some_and(|ms| u128::from(ms) <= window.as_millis());
        }
        metrics.current_leader.is_some() && self.election.contact.elapsed() <= window
    }

    /// As the master: its last log index and how far each follower has matched it (for the
    /// lag detector); `None` on a follower.
    pub fn replication_view(&self) -> Option<crate::fault_detection::ReplicationView> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow();
        let replication = metrics.replication.as_ref()?;
        Some(crate::fault_detection::ReplicationView {
            last_index: metrics.last_log_index.unwrap_or(0),
            matched: replication
                .iter()
                .map(|(id, log_id)| (*id, log_id.map(|l| l.index)))
                .collect(),
        })
    }

    /// The log index of the last snapshot this node built or installed, if any.
    pub fn snapshot_index(&self) -> Option<u64> {
        self.raft.metrics().borrow().snapshot.map(|id| id.index)
    }

    /// Whether this node is the master right now (by its own view; a deposed master learns
    /// it on its next heartbeat round).
    pub fn is_leader(&self) -> bool {
        self.raft.metrics().borrow().state == ServerState::Leader
    }

    /// The current Raft term.
    pub fn current_term(&self) -> u64 {
        self.raft.metrics().borrow().current_term
    }

    /// The voters of the current membership.
    pub fn voters(&self) -> BTreeSet<RaftNodeId> {
        self.raft
            .metrics()
            .borrow()
            .membership_config
            .membership()
            .voter_ids()
            .collect()
    }

    /// Every applied cluster state, starting with the current one.
    pub fn state_watch(&self) -> watch::Receiver<Arc<ClusterState>> {
        self.state_machine.subscribe()
    }

    /// The state applied on this node so far.
    pub fn current_state(&self) -> Arc<ClusterState> {
        self.state_machine.current_state()
    }

    /// Waits until some node is known as master; returns its Raft id.
    pub async fn wait_for_leader(&self, timeout: Duration) -> Result<RaftNodeId, EsError> {
        let mut metrics = self.raft.metrics();
        let wait = async {
            loop {
                if let Some(leader) = metrics.borrow_and_update().current_leader {
                    return Ok(leader);
                }
                if metrics.changed().await.is_err() {
                    return Err(EsError::new(
                        "node_closed_exception",
                        500,
                        "raft node stopped",
                    ));
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or_else(|_| {
                Err(EsError::new(
                    "master_not_discovered_exception",
                    503,
                    format!("no master elected within [{timeout:?}]"),
                ))
            })
    }

    /// Adds a non-voting member that receives the log (blocks until it has caught up).
    pub async fn add_learner(&self, raft_id: RaftNodeId, node: RaftNode) -> Result<(), EsError> {
        self.raft
            .add_learner(raft_id, node, true)
            .await
            .map(|_| ())
            .map_err(|e| self.client_write_error(e))
    }

    /// Makes `voters` the voting configuration (joint consensus). Removed voters stay
    /// learners when `retain` is set. New voters must have been added as learners first.
    pub async fn change_membership(
        &self,
        voters: BTreeSet<RaftNodeId>,
        retain: bool,
    ) -> Result<(), EsError> {
        self.raft
            .change_membership(voters, retain)
            .await
            .map(|_| ())
            .map_err(|e| self.client_write_error(e))
    }

    /// Serves an inbound Raft RPC (`None` when `action` is not one).
    pub fn handle_request(
        &self,
        action: &str,
        payload: Bytes,
    ) -> Option<BoxFuture<'static, Result<Bytes, String>>> {
        handle_raft_request(&self.election, action, payload)
    }

    /// Stops the Raft node (it answers no more RPCs and proposes nothing).
    pub async fn shutdown(&self) {
        self.election_loop.abort();
        if let Err(e) = self.raft.shutdown().await {
            tracing::warn!(raft_id = self.raft_id, "raft shutdown failed: {e}");
        }
    }

    fn client_write_error(
        &self,
        error: RaftError<RaftNodeId, ClientWriteError<RaftNodeId, RaftNode>>,
    ) -> EsError {
        match error {
            RaftError::APIError(ClientWriteError::ForwardToLeader(forward)) => {
                not_master_error(self.raft_id, &forward)
            }
            RaftError::APIError(ClientWriteError::ChangeMembershipError(e)) => {
                EsError::illegal_argument(format!("cannot change the voting configuration: {e}"))
            }
            RaftError::Fatal(e) => node_closed(e),
        }
    }
}

/// The 503 a non-master answers to a master-level request, naming the master it knows.
pub fn not_master_error(
    local_raft_id: RaftNodeId,
    forward: &ForwardToLeader<RaftNodeId, RaftNode>,
) -> EsError {
    match (&forward.leader_id, &forward.leader_node) {
        (Some(id), node) => {
            let (name, node_id, address) = node
                .as_ref()
                .map(|n| {
                    (
                        n.node_name.clone(),
                        n.node_id.clone(),
                        n.transport_address.clone(),
                    )
                })
                .unwrap_or_default();
            EsError::new(
                "not_master_exception",
                503,
                format!(
                    "raft node [{local_raft_id}] is not the elected master; the current master is [{name}][{node_id}][{address}] (raft id [{id}])"
                ),
            )
            .with("master_raft_id", *id)
            .with("master_node_id", node_id)
            .with("master_transport_address", address)
        }
        (None, _) => EsError::new(
            "master_not_discovered_exception",
            503,
            format!("raft node [{local_raft_id}] knows no elected master"),
        ),
    }
}

fn node_closed(error: impl std::fmt::Display) -> EsError {
    EsError::new(
        "node_closed_exception",
        500,
        format!("raft node stopped: {error}"),
    )
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
#[path = "coordinator_test.rs"]
mod coordinator_test;
