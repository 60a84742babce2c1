//! Node-to-node transport: request/response RPCs addressed by an Elasticsearch-style action
//! name (`internal:coordination/raft/vote`, `indices:data/write/bulk[s]`...) carrying opaque
//! bytes (postcard-encoded Rust values). Two implementations share the [`Transport`] trait:
//! `tonic_transport` (HTTP/2 on `transport.port`, production) and `in_memory_transport`
//! (one process, with partition/drop/delay hooks for tests and the simulator).
//!
//! Every connection starts with a handshake that checks cluster name, cluster UUID (once known)
//! and protocol version; a mismatch is refused with a clear error on both sides.
//!
//! Owns: addressing, connection handling, handshake, timeouts. Must not interpret payloads:
//! the coordination, discovery and action layers register handlers by action name.

pub mod in_memory_transport;
pub mod tonic_transport;
pub mod tonic_transport_server;
pub mod transport_actions;

pub use in_memory_transport::{InMemoryNetwork, InMemoryTransport};
pub use tonic_transport::TonicTransport;
pub use tonic_transport_server::{BindTransportError, TonicTransportServer};
pub use transport_actions::{action_not_found_message, is_action_not_found, HANDSHAKE_ACTION};

use bytes::Bytes;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A boxed, sendable future (the transport traits are used as trait objects).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// `host:port` of a node's transport endpoint.
pub type TransportAddress = String;

/// Version of the node-to-node protocol; peers with another major refuse the handshake.
pub const PROTOCOL_VERSION: u32 = 1;

/// Who is on the other end of a connection, exchanged in the handshake.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HandshakeInfo {
    pub cluster_name: String,
    /// `None` until the node has joined (or bootstrapped) a cluster.
    pub cluster_uuid: Option<String>,
    pub protocol_version: u32,
    pub node_id: String,
    pub node_name: String,
    pub transport_address: TransportAddress,
}

impl HandshakeInfo {
    /// Whether a peer described by `remote` may talk to a node described by `self`
    /// (same cluster name, same protocol version, and the same cluster UUID when both know one).
    pub fn check_compatible(&self, remote: &HandshakeInfo) -> Result<(), String> {
        if self.cluster_name != remote.cluster_name {
            return Err(format!(
                "handshake failed: remote node [{}] at [{}] belongs to cluster [{}], not [{}]",
                remote.node_name, remote.transport_address, remote.cluster_name, self.cluster_name
            ));
        }
        if self.protocol_version != remote.protocol_version {
            return Err(format!(
                "handshake failed: remote node [{}] speaks transport protocol [{}], this node [{}]",
                remote.node_name, remote.protocol_version, self.protocol_version
            ));
        }
        if let (Some(mine), Some(theirs)) = (&self.cluster_uuid, &remote.cluster_uuid) {
            if mine != theirs {
                return Err(format!(
                    "handshake failed: remote node [{}] belongs to cluster uuid [{theirs}], this node to [{mine}]",
                    remote.node_name
                ));
            }
        }
        Ok(())
    }
}

/// Why a request did not get a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    #[error("[{address}] connect_exception: {reason}")]
    ConnectFailed {
        address: TransportAddress,
        reason: String,
    },
    #[error("[{address}] node_disconnected_exception")]
    Disconnected { address: TransportAddress },
    #[error("[{address}][{action}] request timed out after [{timeout:?}]")]
    Timeout {
        address: TransportAddress,
        action: String,
        timeout: Duration,
    },
    #[error("[{address}] {reason}")]
    HandshakeRefused {
        address: TransportAddress,
        reason: String,
    },
    #[error("[{address}] no handler for action [{action}]")]
    ActionNotFound {
        address: TransportAddress,
        action: String,
    },
    /// The remote handler ran and failed; the message is its error.
    #[error("[{address}][{action}] remote error: {message}")]
    Remote {
        address: TransportAddress,
        action: String,
        message: String,
    },
}

/// Sends requests to other nodes.
pub trait Transport: Send + Sync + 'static {
    /// Sends one request to `target` and waits at most `timeout` for the response bytes.
    fn send(
        &self,
        target: &TransportAddress,
        action: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Bytes, TransportError>>;

    /// The address other nodes reach this one at (the publish address).
    fn local_address(&self) -> TransportAddress;

    /// The handshake of the node at `target` (connecting and handshaking if needed).
    fn handshake(
        &self,
        target: &TransportAddress,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<HandshakeInfo, TransportError>>;
}

/// Handles the requests that arrive at this node: the node registers one handler that
/// dispatches on the action name.
pub trait RequestHandler: Send + Sync + 'static {
    /// Handles one inbound request; `Err(message)` travels back as [`TransportError::Remote`].
    fn handle(&self, action: String, payload: Bytes) -> BoxFuture<'static, Result<Bytes, String>>;
}

/// Shared handle to a transport implementation.
pub type SharedTransport = Arc<dyn Transport>;

#[cfg(test)]
mod tests {
    use super::*;

    fn info(name: &str, uuid: Option<&str>) -> HandshakeInfo {
        HandshakeInfo {
            cluster_name: name.into(),
            cluster_uuid: uuid.map(String::from),
            protocol_version: PROTOCOL_VERSION,
            node_id: "n".into(),
            node_name: "node".into(),
            transport_address: "127.0.0.1:9300".into(),
        }
    }

    #[test]
    fn handshake_checks_name_uuid_and_version() {
        assert!(info("a", None)
            .check_compatible(&info("a", Some("u")))
            .is_ok());
        assert!(info("a", Some("u"))
            .check_compatible(&info("a", Some("u")))
            .is_ok());
        assert!(info("a", Some("u"))
            .check_compatible(&info("a", Some("v")))
            .unwrap_err()
            .contains("cluster uuid"));
        assert!(info("a", None)
            .check_compatible(&info("b", None))
            .unwrap_err()
            .contains("belongs to cluster [b]"));
        let mut old = info("a", None);
        old.protocol_version = 0;
        assert!(info("a", None).check_compatible(&old).is_err());
    }
}
