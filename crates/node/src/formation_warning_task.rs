//! Logs Elasticsearch's cluster-formation warning every
//! `discovery.cluster_formation_warning_timeout` while the node has no master, so that an
//! operator sees why no cluster formed (which nodes are known, which a quorum needs).
//!
//! The text is the pure `discovery::describe_cluster_formation_failure`; this module only
//! gathers its inputs from the coordinator and the peer finder on a timer. Must not change any
//! state.

use crate::cluster_formation::raft_id_for;
use crate::coordination::Coordinator;
use crate::discovery::cluster_bootstrap::WaitReason;
use crate::discovery::{
    decide_bootstrap, describe_cluster_formation_failure, BootstrapDecision, BootstrapInput,
    BootstrapSettings, ClusterFormationState, PeerFinderHandle, VotingConfiguration,
};
use quarry_cluster::DiscoveryNode;
use std::sync::Arc;
use std::time::Duration;

/// The warning for the node's current situation, or `None` while it has a master.
pub fn current_warning(
    coordinator: &Coordinator,
    peer_finder: &PeerFinderHandle,
    local_node: &DiscoveryNode,
    initial_master_nodes: &[String],
) -> Option<String> {
    if coordinator.current_leader().is_some() {
        return None;
    }
    let state = coordinator.current_state();
    let status = peer_finder.status();
    let voters = coordinator.voters();
    let mut master_nodes: Vec<DiscoveryNode> = state
        .nodes
        .values()
        .filter(|n| n.is_master_eligible())
        .cloned()
        .collect();
    master_nodes.sort_by(|a, b| a.name.cmp(&b.name));
    // Voters are Raft ids; name them by the node ids of the last-accepted state.
    let config = VotingConfiguration::new(
        state
            .nodes
            .keys()
            .filter(|id| voters.contains(&raft_id_for(&id.0)))
            .map(|id| id.0.clone()),
    );
    let found: Vec<DiscoveryNode> = status.found_peers.iter().map(|p| p.node.clone()).collect();
    let term = coordinator.current_term();
    // Quarry refuses to bootstrap beside a peer whose list could form another cluster; say so.
    let conflict = if voters.is_empty() {
        let settings = BootstrapSettings {
            single_node: false,
            initial_master_nodes: initial_master_nodes.to_vec(),
        };
        match decide_bootstrap(BootstrapInput {
            settings: &settings,
            local_node,
            already_bootstrapped: false,
            discovered: &status.found_peers,
        }) {
            BootstrapDecision::Wait(reason @ WaitReason::ConflictingInitialMasterNodes { .. }) => {
                format!("; bootstrapping is blocked: {reason}")
            }
            _ => String::new(),
        }
    } else {
        String::new()
    };
    let text = describe_cluster_formation_failure(&ClusterFormationState {
        initial_master_nodes,
        local_node,
        last_accepted_master_nodes: &master_nodes,
        last_accepted_configuration: &config,
        last_committed_configuration: &config,
        resolved_addresses: &status.last_resolved_addresses,
        found_peers: &found,
        current_term: term,
        last_accepted_term: term,
        last_accepted_version: state.version,
    });
    Some(text + &conflict)
}

/// Runs until aborted: every `timeout` without a master, logs the warning.
pub fn spawn(
    coordinator: Arc<Coordinator>,
    peer_finder: PeerFinderHandle,
    local_node: DiscoveryNode,
    initial_master_nodes: Vec<String>,
    timeout: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let timeout = timeout.max(Duration::from_millis(100));
        loop {
            tokio::time::sleep(timeout).await;
            if let Some(warning) = current_warning(
                &coordinator,
                &peer_finder,
                &local_node,
                &initial_master_nodes,
            ) {
                tracing::warn!("{warning}");
            }
        }
    })
}
