//! Multi-node mode: starts the transport on `transport.port`, the Raft coordinator (its log in
//! `<path.data>/_state/raft`), discovery and cluster formation, and connects them to the
//! node's master service:
//!
//! ```text
//!  MasterService::submit --RaftSubmitter--> leader? propose : forward (SUBMIT_ACTION) to master
//!  Coordinator::state_watch --applier task--> MasterService::apply_committed (local shards,
//!                                              publish) --> ShardStarted submitted back
//! ```
//! Owns: wiring only; every decision lives in coordination, discovery and cluster formation.

use crate::action::remote_error::{decode_error, encode_error};
use crate::cluster_formation::{raft_id_for, ClusterFormation};
use crate::coordination::{CoordinationStorage, Coordinator, CoordinatorConfig};
use crate::discovery::peer_finder_shell::{
    seed_addresses_resolver, PeerFinderShell, PeerFinderTimings,
};
use crate::discovery::PeerFinder;
use crate::master_service::MasterService;
use crate::node_config::{ClusterModeConfig, NodeConfig};
use crate::request_dispatcher::RequestDispatcher;
use crate::transport::{
    HandshakeInfo, SharedTransport, TonicTransportServer, TransportError, PROTOCOL_VERSION,
};
use bytes::Bytes;
use quarry_cluster::apply::UNBOOTSTRAPPED_CLUSTER_UUID;
use quarry_cluster::{ClusterCommand, DiscoveryNode};
use quarry_types::{EsError, NodeId};
use std::sync::Arc;
use std::time::Duration;

/// Forwards a cluster-state change from any node to the elected master.
pub const SUBMIT_ACTION: &str = "internal:cluster/coordination/submit";

/// How long a change waits for a master (Elasticsearch's default `master_timeout`).
const MASTER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a node keeps its master without hearing from it (a master: without a quorum
/// acknowledging it) before it applies `cluster.no_master_block`. Elasticsearch's leader
/// checks take 3 failed checks of 1 s; Quarry's heartbeats run every 150 ms.
pub const NO_MASTER_WINDOW: Duration = Duration::from_secs(2);

/// Sends cluster-state changes to the master: proposes them when this node is the master,
/// forwards them over the transport otherwise.
#[derive(Clone)]
pub struct RaftSubmitter {
    coordinator: Arc<Coordinator>,
    transport: SharedTransport,
}

impl RaftSubmitter {
    /// Commits `cmd` through the master; returns the cluster-state version it produced.
    pub async fn submit(&self, cmd: ClusterCommand) -> Result<u64, EsError> {
        let deadline = tokio::time::Instant::now() + MASTER_TIMEOUT;
        loop {
            if self.coordinator.is_leader() {
                self.record_own_election().await;
                return self.coordinator.propose(cmd).await.map(|s| s.version);
            }
            let leader = self.coordinator.current_leader().and_then(|l| l.node);
            if let Some(master) = leader {
                let payload =
                    serde_json::to_vec(&cmd).map_err(|e| EsError::internal(e.to_string()))?;
                let send = self.transport.send(
                    &master.transport_address,
                    SUBMIT_ACTION,
                    Bytes::from(payload),
                    MASTER_TIMEOUT,
                );
                // Stop waiting for a master that lost its leadership (a stopped or partitioned
                // master never answers) and retry with the new one, as Elasticsearch's
                // master-node actions retry when the master changes.
                let outcome = tokio::select! {
                    r = send => Some(r),
                    _ = self.leader_changed_from(&master.node_id) => None,
                };
                let Some(outcome) = outcome else {
                    continue;
                };
                match outcome {
                    Ok(bytes) => {
                        let v: serde_json::Value = serde_json::from_slice(&bytes)
                            .map_err(|e| EsError::internal(e.to_string()))?;
                        return Ok(v["version"].as_u64().unwrap_or(0));
                    }
                    Err(TransportError::Remote { message, .. }) => {
                        let e = decode_error(&message);
                        if e.error_type != "not_master_exception" {
                            return Err(e);
                        }
                    }
                    Err(e) => tracing::debug!("forwarding to the master failed, retrying: {e}"),
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(EsError::new(
                    "master_not_discovered_exception",
                    503,
                    "no master was elected within [30s]",
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether a master is live (leader checks): heard from within [`NO_MASTER_WINDOW`].
    pub fn has_active_master(&self) -> bool {
        self.coordinator.has_active_master(NO_MASTER_WINDOW)
    }

    /// Resolves once Raft reports a leader other than `node_id` (checked every 50 ms).
    async fn leader_changed_from(&self, node_id: &str) {
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let current = self
                .coordinator
                .current_leader()
                .and_then(|l| l.node)
                .map(|n| n.node_id);
            if current.as_deref().is_some_and(|id| id != node_id) {
                return;
            }
        }
    }

    /// A new master records itself as `master_node` before any other change of its term (as
    /// Elasticsearch's first publication of a term does), so no change commits under the old
    /// master's name. The formation loop does the same on its next tick.
    async fn record_own_election(&self) {
        let state = self.coordinator.current_state();
        let own = self.coordinator.raft_id();
        let recorded = state
            .master_node
            .as_ref()
            .is_some_and(|id| crate::cluster_formation::raft_id_for(&id.0) == own);
        if recorded {
            return;
        }
        if let Some(id) = state
            .nodes
            .keys()
            .find(|id| crate::cluster_formation::raft_id_for(&id.0) == own)
        {
            let _ = self
                .coordinator
                .propose(ClusterCommand::ElectMaster(id.clone()))
                .await;
        }
    }

    /// Serves [`SUBMIT_ACTION`] on the master.
    pub async fn handle_submit(&self, payload: Bytes) -> Result<Bytes, String> {
        let cmd: ClusterCommand = serde_json::from_slice(&payload).map_err(|e| {
            encode_error(&EsError::illegal_argument(format!(
                "invalid cluster command: {e}"
            )))
        })?;
        if !self.coordinator.is_leader() {
            return Err(encode_error(&EsError::new(
                "not_master_exception",
                503,
                "this node is not the elected master",
            )));
        }
        self.record_own_election().await;
        match self.coordinator.propose(cmd).await {
            Ok(state) => Ok(Bytes::from(
                serde_json::json!({ "version": state.version }).to_string(),
            )),
            Err(e) => Err(encode_error(&e)),
        }
    }
}

/// The running multi-node services of a node (dropping it stops them).
pub struct ClusterMode {
    pub server: TonicTransportServer,
    pub coordinator: Arc<Coordinator>,
    pub local_node: DiscoveryNode,
    /// The client side of the transport (one connection pool for the node).
    pub transport: SharedTransport,
    /// Inbound request routing; the node attaches its shard-level actions once it exists.
    pub dispatcher: Arc<RequestDispatcher>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for ClusterMode {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts transport, coordinator, discovery and formation for `config`, and switches `master`
/// to Raft mode.
pub async fn start_cluster_mode(
    config: &NodeConfig,
    cluster: &ClusterModeConfig,
    node_id: &str,
    ephemeral_id: &str,
    master: Arc<MasterService>,
) -> Result<ClusterMode, EsError> {
    let dispatcher = RequestDispatcher::new();
    let server = TonicTransportServer::bind(
        &cluster.transport_host,
        &cluster.transport_ports,
        dispatcher.clone(),
        HandshakeInfo {
            cluster_name: config.cluster_name.clone(),
            cluster_uuid: None,
            protocol_version: PROTOCOL_VERSION,
            node_id: node_id.to_string(),
            node_name: config.node_name.clone(),
            transport_address: String::new(),
        },
    )
    .await
    .map_err(|e| EsError::illegal_state(format!("failed to bind transport: {e}")))?;
    if let Some(host) = &cluster.publish_host {
        let bound = server.publish_address();
        let port = bound.rsplit(':').next().unwrap_or_default();
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        server.set_publish_address(format!("{host}:{port}"));
    }
    let publish = server.publish_address();
    let transport: SharedTransport = Arc::new(server.transport());
    let coordinator = Arc::new(
        Coordinator::start(
            CoordinatorConfig {
                voting_only: config.roles.contains("voting_only"),
                ..CoordinatorConfig::new(config.cluster_name.clone(), UNBOOTSTRAPPED_CLUSTER_UUID)
            },
            raft_id_for(node_id),
            transport.clone(),
            CoordinationStorage::Directory(config.data_path.join("_state").join("raft")),
        )
        .await
        .map_err(|e| EsError::illegal_state(format!("failed to start coordination: {e}")))?,
    );
    dispatcher.attach_coordinator(coordinator.clone());
    let submitter = RaftSubmitter {
        coordinator: coordinator.clone(),
        transport: transport.clone(),
    };
    dispatcher.attach_submitter(submitter.clone());
    master.use_raft(submitter);
    let local_node = DiscoveryNode {
        id: NodeId(node_id.to_string()),
        name: config.node_name.clone(),
        ephemeral_id: ephemeral_id.to_string(),
        transport_address: publish.clone(),
        http_address: config.http_address.to_string(),
        roles: config.roles.clone(),
        attributes: config.attributes.clone(),
    };
    let finder = PeerFinder::new(
        local_node.clone(),
        cluster.discovery.initial_master_nodes.clone(),
        None,
    );
    let (peer_finder, masters_found) = PeerFinderShell::spawn(
        finder,
        transport.clone(),
        seed_addresses_resolver(&cluster.discovery, vec![publish.clone()]),
        PeerFinderTimings::from(&cluster.discovery),
    );
    dispatcher.attach_peer_finder(peer_finder.clone());
    let warning_task = crate::formation_warning_task::spawn(
        coordinator.clone(),
        peer_finder.clone(),
        local_node.clone(),
        cluster.discovery.initial_master_nodes.clone(),
        cluster.discovery.cluster_formation_warning_timeout,
    );
    let (formation, formation_task) = ClusterFormation::start(
        local_node.clone(),
        coordinator.clone(),
        transport.clone(),
        peer_finder,
        masters_found,
        cluster.discovery.clone(),
    );
    let fault_detection = cluster.discovery.fault_detection;
    let health_task = fault_detection.fs_health_enabled.then(|| {
        let health = Arc::new(crate::fs_health::FsHealth::default());
        formation.set_fs_health(health.clone());
        health.spawn_monitor(
            config.data_path.clone(),
            fault_detection.fs_health_refresh_interval,
        )
    });
    dispatcher.attach_formation(formation);
    let applier = spawn_applier(coordinator.clone(), master, server.shared_handshake());
    tracing::info!(transport = %publish, "transport started; looking for a cluster");
    Ok(ClusterMode {
        server,
        coordinator,
        local_node,
        transport,
        dispatcher,
        tasks: [formation_task, applier, warning_task]
            .into_iter()
            .chain(health_task)
            .collect(),
    })
}

/// Applies every committed state locally and reports shards started here to the master.
fn spawn_applier(
    coordinator: Arc<Coordinator>,
    master: Arc<MasterService>,
    handshake: Arc<parking_lot::RwLock<HandshakeInfo>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut rx = coordinator.state_watch();
        loop {
            let state = rx.borrow_and_update().clone();
            if state.cluster_uuid != UNBOOTSTRAPPED_CLUSTER_UUID {
                handshake.write().cluster_uuid = Some(state.cluster_uuid.clone());
            }
            match master.apply_committed(state).await {
                Ok(started) => {
                    for (shard_id, allocation_id) in started {
                        let master = master.clone();
                        tokio::spawn(async move {
                            let cmd = ClusterCommand::ShardStarted {
                                shard_id,
                                allocation_id: quarry_types::AllocationId(allocation_id),
                            };
                            if let Err(e) = master.submit(vec![cmd]).await {
                                tracing::warn!("failed to report a started shard: {e}");
                            }
                        });
                    }
                }
                Err(e) => tracing::warn!("failed to apply the committed cluster state: {e}"),
            }
            if rx.changed().await.is_err() {
                return;
            }
        }
    })
}
