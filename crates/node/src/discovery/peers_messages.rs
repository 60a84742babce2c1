//! The `internal:discovery/request_peers` messages (Elasticsearch's `PeersRequest` and
//! `PeersResponse`), postcard-encoded on the wire.
//!
//! Quarry's handshake carries no roles, so the response also describes the responder itself
//! (whether it is master-eligible), and both sides exchange their `cluster.initial_master_nodes`
//! and cluster UUID so that bootstrapping can refuse conflicting lists
//! (see `cluster_bootstrap`).
//!
//! Owns the wire shapes only.

use quarry_cluster::DiscoveryNode;
use serde::{Deserialize, Serialize};

/// Action name, as Elasticsearch's `PeerFinder.REQUEST_PEERS_ACTION_NAME`.
pub const REQUEST_PEERS_ACTION: &str = "internal:discovery/request_peers";

/// "Who do you know?", sent to every probed peer on every discovery round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeersRequest {
    /// The asking node (the receiver probes it back when it is master-eligible).
    pub source_node: DiscoveryNode,
    /// The master-eligible nodes the asking node has found.
    pub known_peers: Vec<DiscoveryNode>,
}

/// The answer: either the master the responder follows, or the peers it has found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeersResponse {
    /// The responder itself.
    pub responder: DiscoveryNode,
    /// The elected master the responder knows, if any (then `known_peers` is empty).
    pub master_node: Option<DiscoveryNode>,
    /// The master-eligible nodes the responder has found while it has no master.
    pub known_peers: Vec<DiscoveryNode>,
    /// The responder's current term.
    pub term: u64,
    /// The responder's `cluster.initial_master_nodes`.
    pub initial_master_nodes: Vec<String>,
    /// The cluster UUID the responder is locked into, if it has joined a cluster.
    pub cluster_uuid: Option<String>,
}

impl PeersRequest {
    pub fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_stdvec(self)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}

impl PeersResponse {
    pub fn encode(&self) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_stdvec(self)
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(bytes)
    }
}
