//! Cluster formation: turns discovery, bootstrapping and consensus into a formed cluster.
//!
//! ```text
//!  PeerFinder (found peers) --decide_bootstrap--> Coordinator::bootstrap(voters)
//!  PeerFinder (a peer is the master) --> join it (bootstrapped or not)
//!  leader known / lost       --> PeerFinder::deactivate(leader) / activate(known masters)
//!  Raft leader (= master)   --propose-->  Bootstrap{cluster_uuid}, AddNode(self), ElectMaster(self)
//!  follower                 --internal:cluster/coordination/join--> master
//!  master on join           --> add_learner / change_membership (odd voting config) + AddNode
//!  master every tick        --> voting_configuration::reconcile (exclusions, auto-shrink)
//! ```
//!
//! Decisions are pure functions ([`crate::voting_configuration::desired_voters`],
//! [`raft_id_for`]); this module only carries them out on a tick. Owns: the formation loop and
//! the join action. Must not touch shards or the REST layer; it is not yet used by
//! `Node::start` (single-node stays the default).

use crate::coordination::{Coordinator, RaftNode, RaftNodeId};
use crate::discovery::peer_finder_shell::ActiveMasterFound;
use crate::discovery::{
    decide_bootstrap, BootstrapDecision, BootstrapInput, DiscoverySettings, PeerFinderHandle,
};
use crate::transport::SharedTransport;
use bytes::Bytes;
use quarry_cluster::{ClusterCommand, ClusterState, DiscoveryNode};
use quarry_types::{EsError, NodeId};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// The join request a node sends to the master it found.
pub const JOIN_ACTION: &str = "internal:cluster/coordination/join";

pub use crate::fault_detection::FOLLOWER_CHECK_ACTION;

/// How often the formation loop looks at discovery and consensus.
pub const FORMATION_TICK: Duration = Duration::from_millis(100);

/// A stable 64-bit Raft id for a persisted node id (FNV-1a; node ids are random 22-character
/// strings, so collisions are as unlikely as for any 64-bit random id).
pub fn raft_id_for(node_id: &str) -> RaftNodeId {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in node_id.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.max(1)
}

/// The Raft member record of a cluster node.
pub fn raft_node_of(node: &DiscoveryNode) -> RaftNode {
    RaftNode {
        node_id: node.id.0.clone(),
        node_name: node.name.clone(),
        transport_address: node.transport_address.clone(),
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct JoinRequest {
    node: DiscoveryNode,
}

/// The running formation loop of one node.
pub struct ClusterFormation {
    followers_checker: crate::fault_detection::FollowersChecker,
    /// `monitor.fs.health`: while unhealthy, follower checks fail and no join is sent.
    fs_health: std::sync::OnceLock<Arc<crate::fs_health::FsHealth>>,
    local: DiscoveryNode,
    coordinator: Arc<Coordinator>,
    transport: SharedTransport,
    peer_finder: PeerFinderHandle,
    /// Masters the peer finder found while this node knows none.
    masters_found: parking_lot::Mutex<mpsc::UnboundedReceiver<ActiveMasterFound>>,
    /// What the peer finder was last told: the leader it was deactivated with, the term and
    /// the cluster UUID it reports.
    finder_view: parking_lot::Mutex<FinderView>,
    settings: DiscoverySettings,
    /// Node ids learned at bootstrap and on joins, to name the voters in the cluster state.
    known_node_ids: parking_lot::Mutex<BTreeSet<String>>,
}

#[derive(Default)]
struct FinderView {
    leader: Option<RaftNodeId>,
    term: u64,
    cluster_uuid: Option<String>,
}

impl ClusterFormation {
    /// Starts the loop; it runs until the returned handle is dropped (the task is aborted).
    pub fn start(
        local: DiscoveryNode,
        coordinator: Arc<Coordinator>,
        transport: SharedTransport,
        peer_finder: PeerFinderHandle,
        masters_found: mpsc::UnboundedReceiver<ActiveMasterFound>,
        settings: DiscoverySettings,
    ) -> (Arc<ClusterFormation>, tokio::task::JoinHandle<()>) {
        let formation = Arc::new(ClusterFormation {
            followers_checker: Default::default(),
            fs_health: std::sync::OnceLock::new(),
            local,
            coordinator,
            transport,
            peer_finder,
            masters_found: parking_lot::Mutex::new(masters_found),
            finder_view: parking_lot::Mutex::new(FinderView::default()),
            settings,
            known_node_ids: parking_lot::Mutex::new(BTreeSet::new()),
        });
        let runner = formation.clone();
        let task = tokio::spawn(async move {
            runner.peer_finder.activate(Vec::new());
            let mut bootstrapped = runner.coordinator.current_state().cluster_uuid
                != quarry_cluster::apply::UNBOOTSTRAPPED_CLUSTER_UUID
                || !runner.coordinator.voters().is_empty();
            loop {
                tokio::time::sleep(FORMATION_TICK).await;
                if let Err(e) = runner.tick(&mut bootstrapped).await {
                    tracing::debug!("cluster formation: {e}");
                }
            }
        });
        (formation, task)
    }

    async fn tick(&self, bootstrapped: &mut bool) -> Result<(), EsError> {
        let leader = self.coordinator.current_leader();
        self.update_peer_finder(leader.as_ref().map(|l| l.raft_id));
        let Some(leader) = leader else {
            // Elasticsearch's `onActiveMasterFound`: a peer is the elected master, so join it
            // rather than bootstrap (even when this node bootstrapped and lost).
            let found = {
                let mut rx = self.masters_found.lock();
                let mut last = None;
                while let Ok(m) = rx.try_recv() {
                    last = Some(m);
                }
                last
            };
            if let Some(found) = found {
                if found.master.id != self.local.id {
                    return self.send_join(&found.master.transport_address).await;
                }
            }
            if !*bootstrapped {
                *bootstrapped = self.try_bootstrap().await?;
            }
            return Ok(());
        };
        *bootstrapped = true;
        let state = self.coordinator.current_state();
        if leader.raft_id == self.coordinator.raft_id() {
            self.act_as_master(&state).await
        } else if !state.nodes.contains_key(&self.local.id) {
            let Some(master) = leader.node else {
                return Ok(());
            };
            self.send_join(&master.transport_address).await
        } else {
            Ok(())
        }
    }

    /// Attaches the data-path health monitor (see `fs_health`).
    pub fn set_fs_health(&self, health: Arc<crate::fs_health::FsHealth>) {
        let _ = self.fs_health.set(health);
    }

    /// The problem that makes this node unhealthy, if any.
    fn health_problem(&self) -> Option<String> {
        self.fs_health.get().and_then(|h| h.problem())
    }

    /// Serves the master's follower check: fails while the data path is unhealthy, so that
    /// the master removes this node.
    pub fn handle_follower_check(&self) -> Result<Bytes, String> {
        match self.health_problem() {
            None => Ok(Bytes::new()),
            Some(problem) => Err(format!(
                "node_health_check_failure_exception: handle_follower_check: node is unhealthy [{problem}], rejecting"
            )),
        }
    }

    async fn send_join(&self, master_address: &str) -> Result<(), EsError> {
        if let Some(problem) = self.health_problem() {
            return Err(EsError::illegal_state(format!(
                "not joining the master while unhealthy: {problem}"
            )));
        }
        let payload = postcard::to_allocvec(&JoinRequest {
            node: self.local.clone(),
        })
        .map_err(|e| EsError::internal(e.to_string()))?;
        self.transport
            .send(
                &master_address.to_string(),
                JOIN_ACTION,
                Bytes::from(payload),
                Duration::from_secs(5),
            )
            .await
            .map_err(|e| EsError::internal(e.to_string()))?;
        Ok(())
    }

    /// Keeps the peer finder in step with consensus, as Elasticsearch's `Coordinator` does:
    /// deactivated (answering with the master) while a leader is known, active otherwise, and
    /// reporting this node as taken (a cluster UUID, or `_na_` while bootstrapped but not yet
    /// committed) so that no peer counts it towards bootstrapping another cluster.
    fn update_peer_finder(&self, leader: Option<RaftNodeId>) {
        let state = self.coordinator.current_state();
        let term = self.coordinator.current_term();
        let cluster_uuid = (state.cluster_uuid
            != quarry_cluster::apply::UNBOOTSTRAPPED_CLUSTER_UUID
            || !self.coordinator.voters().is_empty())
        .then(|| state.cluster_uuid.clone());
        let mut view = self.finder_view.lock();
        if view.term != term {
            view.term = term;
            self.peer_finder.set_current_term(term);
        }
        if view.cluster_uuid != cluster_uuid {
            view.cluster_uuid = cluster_uuid.clone();
            self.peer_finder.set_cluster_uuid(cluster_uuid);
        }
        if view.leader == leader {
            return;
        }
        match leader {
            Some(raft_id) => {
                let node = if raft_id == self.coordinator.raft_id() {
                    Some(self.local.clone())
                } else {
                    state
                        .nodes
                        .values()
                        .find(|n| raft_id_for(&n.id.0) == raft_id)
                        .cloned()
                };
                // Only once the leader is known by its full description.
                if let Some(node) = node {
                    view.leader = Some(raft_id);
                    self.peer_finder.deactivate(node);
                }
            }
            None => {
                view.leader = None;
                let masters = state
                    .nodes
                    .values()
                    .filter(|n| n.is_master_eligible() && n.id != self.local.id)
                    .map(|n| n.transport_address.clone())
                    .collect();
                self.peer_finder.activate(masters);
            }
        }
    }

    async fn try_bootstrap(&self) -> Result<bool, EsError> {
        // openraft's initialize makes the initializing node campaign at once; a voting-only
        // node must never be master, so it leaves bootstrapping to the full master nodes.
        if self.local.roles.contains("voting_only") {
            return Ok(false);
        }
        let status = self.peer_finder.status();
        let settings = self.settings.bootstrap_settings();
        let decision = decide_bootstrap(BootstrapInput {
            settings: &settings,
            local_node: &self.local,
            already_bootstrapped: false,
            discovered: &status.found_peers,
        });
        let BootstrapDecision::Bootstrap(config) = decision else {
            return Ok(false);
        };
        let mut voters = BTreeMap::new();
        for peer in status
            .found_peers
            .iter()
            .map(|p| &p.node)
            .chain(std::iter::once(&self.local))
        {
            if config.node_ids.contains(&peer.id.0) {
                voters.insert(raft_id_for(&peer.id.0), raft_node_of(peer));
            }
        }
        tracing::info!(voters = ?voters.values().map(|n| n.node_name.clone()).collect::<Vec<_>>(), "bootstrapping a new cluster");
        self.known_node_ids
            .lock()
            .extend(voters.values().map(|n| n.node_id.clone()));
        match self.coordinator.bootstrap(voters).await {
            Ok(()) => Ok(true),
            Err(e) if e.error_type == "illegal_state_exception" => Ok(true),
            Err(e) => Err(e),
        }
    }

    /// The master's duties: a committed cluster UUID, itself in the node list and as master,
    /// follower checks, and the voting configuration kept as the reconfigurator wants it.
    async fn act_as_master(&self, state: &ClusterState) -> Result<(), EsError> {
        if state.cluster_uuid == quarry_cluster::apply::UNBOOTSTRAPPED_CLUSTER_UUID {
            self.coordinator
                .propose(ClusterCommand::Bootstrap {
                    cluster_uuid: quarry_types::ids::random_base64_uuid(),
                })
                .await?;
        }
        if !state.nodes.contains_key(&self.local.id) {
            self.coordinator
                .propose(ClusterCommand::AddNode(self.local.clone()))
                .await?;
        }
        if state.master_node.as_ref() != Some(&self.local.id) {
            self.coordinator
                .propose(ClusterCommand::ElectMaster(self.local.id.clone()))
                .await?;
        }
        self.check_followers(state).await?;
        let known = self.known_node_ids.lock().clone();
        crate::voting_configuration::reconcile_voting_configuration(&self.coordinator, &known).await
    }

    /// Elasticsearch's `FollowersChecker` and `LagDetector` (see `fault_detection`): nodes
    /// that fail their checks or lag too far behind are removed from the cluster state, which
    /// fails their shard copies.
    async fn check_followers(&self, state: &ClusterState) -> Result<(), EsError> {
        let followers: Vec<DiscoveryNode> = state
            .nodes
            .values()
            .filter(|n| n.id != self.local.id)
            .cloned()
            .collect();
        let remove = self
            .followers_checker
            .check(
                &self.settings.fault_detection,
                &self.transport,
                &followers,
                |id| raft_id_for(&id.0),
                self.coordinator.replication_view(),
            )
            .await;
        for (id, reason) in remove {
            tracing::warn!(node = %id.0, "removing node from the cluster: {reason}");
            self.coordinator
                .propose(ClusterCommand::RemoveNode(id))
                .await?;
        }
        Ok(())
    }

    /// Serves [`JOIN_ACTION`] on the master: the node becomes a Raft member (a voter when that
    /// keeps the voting configuration odd, a learner otherwise) and joins the cluster state.
    pub async fn handle_join(&self, payload: Bytes) -> Result<Bytes, String> {
        let join: JoinRequest =
            postcard::from_bytes(&payload).map_err(|e| format!("invalid join request: {e}"))?;
        if !self.coordinator.is_leader() {
            return Err("not_master_exception: this node is not the elected master".into());
        }
        let raft_id = raft_id_for(&join.node.id.0);
        self.known_node_ids.lock().insert(join.node.id.0.clone());
        let voters = self.coordinator.voters();
        if !voters.contains(&raft_id) {
            self.coordinator
                .add_learner(raft_id, raft_node_of(&join.node))
                .await
                .map_err(|e| e.to_string())?;
            if join.node.is_master_eligible() {
                let state = self.coordinator.current_state();
                let wanted = crate::voting_configuration::desired_voters(
                    &state,
                    self.coordinator.raft_id(),
                    &voters,
                    Some(&join.node),
                );
                if wanted != voters {
                    self.coordinator
                        .change_membership(wanted, true)
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
        let state = self.coordinator.current_state();
        if state.nodes.get(&join.node.id) != Some(&join.node) {
            if state.nodes.contains_key(&join.node.id) {
                self.coordinator
                    .propose(ClusterCommand::RemoveNode(NodeId(join.node.id.0.clone())))
                    .await
                    .map_err(|e| e.to_string())?;
            }
            self.coordinator
                .propose(ClusterCommand::AddNode(join.node))
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(Bytes::new())
    }
}

#[cfg(test)]
#[path = "cluster_formation_test.rs"]
mod cluster_formation_test;
