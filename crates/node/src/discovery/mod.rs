//! Discovery and cluster bootstrapping (Elasticsearch's `PeerFinder`, `SeedHostsResolver`,
//! `FileBasedSeedHostsProvider`, `ClusterBootstrapService` and `ClusterFormationFailureHelper`).
//!
//! ```text
//!  seed_hosts (settings + unicast_hosts.txt)  --resolve-->  addresses
//!        |                                                     |
//!        v                                                     v
//!  PeerFinder (pure state machine)  <--probe/peers results--  peer_finder_shell (async, Transport)
//!        |  found master-eligible peers (+ their initial_master_nodes)
//!        v
//!  cluster_bootstrap::decide_bootstrap (pure)  -> Bootstrap(voting configuration) | Wait | Never
//!  cluster_formation_warning::describe (pure)  -> the warning logged every 10 s until a master
//! ```
//!
//! Owns: finding master-eligible peers, deciding when and with which voting configuration a
//! brand-new cluster bootstraps, and explaining why no cluster has formed. Decisions are pure;
//! only `seed_hosts` (name resolution, one file read) and `peer_finder_shell` do I/O.
//!
//! Must not depend on: the election or publication machinery (`coordination`), the concrete
//! transports (only the [`crate::transport::Transport`] trait), REST.

pub mod cluster_bootstrap;
pub mod cluster_formation_warning;
pub mod peer_finder;
pub mod peer_finder_shell;
pub mod peers_messages;
pub mod seed_hosts;

#[cfg(test)]
mod cluster_bootstrap_test;
#[cfg(test)]
mod cluster_formation_warning_test;
#[cfg(test)]
mod peer_finder_shell_test;
#[cfg(test)]
mod peer_finder_test;
#[cfg(test)]
mod seed_hosts_test;

pub use cluster_bootstrap::{
    decide_bootstrap, BootstrapDecision, BootstrapInput, BootstrapSettings, DiscoveredPeer,
    VotingConfiguration,
};
pub use cluster_formation_warning::{describe_cluster_formation_failure, ClusterFormationState};
pub use peer_finder::{PeerFinder, PeerFinderAction, ProbeId};
pub use peer_finder_shell::{handle_request_peers, PeerFinderHandle, PeerFinderShell};
pub use peers_messages::{PeersRequest, PeersResponse, REQUEST_PEERS_ACTION};
pub use seed_hosts::{parse_seed_host, SeedHost, SeedHostError, SeedHostsProvider};

use std::path::PathBuf;
use std::time::Duration;

/// The discovery settings of one node, with Elasticsearch 8's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoverySettings {
    /// `discovery.type: single-node`: bootstrap alone at once, never look for peers.
    pub single_node: bool,
    /// `discovery.seed_hosts` as given (`host`, `host:port`, `[v6]:port`).
    pub seed_hosts: Vec<String>,
    /// `discovery.seed_providers` contains `file`: also read `<config>/unicast_hosts.txt`.
    pub file_seed_provider: bool,
    /// The config directory holding `unicast_hosts.txt`.
    pub config_dir: PathBuf,
    /// `cluster.initial_master_nodes`.
    pub initial_master_nodes: Vec<String>,
    /// The first port of `transport.port`: the port of seed entries that name none.
    pub default_transport_port: u16,
    /// `discovery.find_peers_interval` (1 s).
    pub find_peers_interval: Duration,
    /// `discovery.request_peers_timeout` (3 s).
    pub request_peers_timeout: Duration,
    /// `discovery.probe.connect_timeout` (3 s) + `discovery.probe.handshake_timeout` (1 s):
    /// our transport connects and handshakes in one call.
    pub probe_timeout: Duration,
    /// `discovery.seed_resolver.timeout` (5 s).
    pub seed_resolver_timeout: Duration,
    /// `discovery.seed_resolver.max_concurrent_resolvers` (10).
    pub seed_resolver_max_concurrent_resolvers: usize,
    /// `discovery.cluster_formation_warning_timeout` (10 s).
    pub cluster_formation_warning_timeout: Duration,
    /// `cluster.fault_detection.*` and `cluster.follower_lag.timeout`.
    pub fault_detection: crate::fault_detection::FaultDetectionSettings,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        DiscoverySettings {
            single_node: true,
            seed_hosts: Vec::new(),
            file_seed_provider: false,
            config_dir: PathBuf::from("config"),
            initial_master_nodes: Vec::new(),
            default_transport_port: seed_hosts::DEFAULT_TRANSPORT_PORT,
            find_peers_interval: Duration::from_secs(1),
            request_peers_timeout: Duration::from_secs(3),
            probe_timeout: Duration::from_secs(4),
            seed_resolver_timeout: Duration::from_secs(5),
            seed_resolver_max_concurrent_resolvers: 10,
            cluster_formation_warning_timeout: Duration::from_secs(10),
            fault_detection: Default::default(),
        }
    }
}

impl DiscoverySettings {
    /// Whether any seed source is configured (`discovery.seed_hosts` or a seed provider).
    pub fn seed_hosts_configured(&self) -> bool {
        !self.seed_hosts.is_empty() || self.file_seed_provider
    }

    /// The settings-independent part of the bootstrap rules.
    pub fn bootstrap_settings(&self) -> BootstrapSettings {
        BootstrapSettings {
            single_node: self.single_node,
            initial_master_nodes: self.initial_master_nodes.clone(),
        }
    }
}
