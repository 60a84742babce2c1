//! The production [`Transport`]: gRPC over HTTP/2 (tonic) to other nodes' `transport.port`.
//! This file is the client side, [`TonicTransport`]: a pool with one lazily connected tonic
//! `Channel` per target (HTTP/2 multiplexes concurrent requests), a handshake on the first use
//! of a connection (cached; a connection error evicts the connection so the next request
//! connects and handshakes again), per-request timeouts, and the mapping of gRPC statuses to
//! [`TransportError`]. The server side is `tonic_transport_server`.
//!
//! Every request also carries the sender's handshake in the `quarry-handshake-bin` metadata, so
//! the server checks each request even when the connection's handshake is older than a cluster
//! UUID change.
//!
//! Owns: the wire schema (`proto/transport.proto`), connections, handshakes, timeouts. Must not
//! interpret payloads.

use super::transport_actions::{remote_handler_error, HANDSHAKE_ACTION};
use super::{BoxFuture, HandshakeInfo, Transport, TransportAddress, TransportError};
use bytes::Bytes;
use parking_lot::{Mutex, RwLock};
use proto::node_transport_client::NodeTransportClient;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tonic::transport::{Channel, Endpoint};
use tonic::{Code, Status};

/// Types generated from `proto/transport.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic)]
pub mod proto {
    tonic::include_proto!("quarry.transport");
}

/// Metadata key carrying the sender's prost-encoded [`proto::HandshakeInfo`] on every request.
pub const HANDSHAKE_METADATA_KEY: &str = "quarry-handshake-bin";

/// Metadata key carrying, on every `Send`, the node id the sender handshook with at this
/// address; the server refuses the request if it is another node (restarted with a new id).
pub const TARGET_NODE_ID_METADATA_KEY: &str = "quarry-target-node-id-bin";

/// Largest message either side decodes (tonic's default of 4 MiB is too small for bulk shard
/// requests and cluster states).
pub const MAX_MESSAGE_SIZE: usize = 512 * 1024 * 1024;

/// How long opening a TCP connection may take (Elasticsearch's `transport.connect_timeout`).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

impl From<&HandshakeInfo> for proto::HandshakeInfo {
    fn from(info: &HandshakeInfo) -> Self {
        proto::HandshakeInfo {
            cluster_name: info.cluster_name.clone(),
            cluster_uuid: info.cluster_uuid.clone(),
            protocol_version: info.protocol_version,
            node_id: info.node_id.clone(),
            node_name: info.node_name.clone(),
            transport_address: info.transport_address.clone(),
        }
    }
}

impl From<proto::HandshakeInfo> for HandshakeInfo {
    fn from(info: proto::HandshakeInfo) -> Self {
        HandshakeInfo {
            cluster_name: info.cluster_name,
            cluster_uuid: info.cluster_uuid,
            protocol_version: info.protocol_version,
            node_id: info.node_id,
            node_name: info.node_name,
            transport_address: info.transport_address,
        }
    }
}

/// Maps a gRPC status of a request to `address` to the transport error the callers see.
pub fn transport_error_from_status(
    address: &str,
    action: &str,
    timeout: Duration,
    status: &Status,
) -> TransportError {
    let address = address.to_string();
    match status.code() {
        Code::FailedPrecondition => TransportError::HandshakeRefused {
            address,
            reason: status.message().to_string(),
        },
        // The deadline is enforced by the sender's own timer; `Cancelled` is what hyper reports
        // for a request whose connection closed under it, so it falls to `Disconnected`.
        Code::DeadlineExceeded => TransportError::Timeout {
            address,
            action: action.to_string(),
            timeout,
        },
        Code::Unimplemented => TransportError::ActionNotFound {
            address,
            action: action.to_string(),
        },
        Code::ResourceExhausted | Code::OutOfRange | Code::InvalidArgument | Code::DataLoss => {
            TransportError::Remote {
                address,
                action: action.to_string(),
                message: format!("{:?}: {}", status.code(), status.message()),
            }
        }
        // `Aborted`: the node at the address is not the one handshaken with (restarted).
        _ if is_connect_error(status) => TransportError::ConnectFailed {
            address,
            reason: status.message().to_string(),
        },
        _ => TransportError::Disconnected { address },
    }
}

/// Whether the status comes from failing to open the connection (refused, unreachable).
fn is_connect_error(status: &Status) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(status);
    while let Some(error) = source {
        if error.is::<tonic::ConnectError>() {
            return true;
        }
        source = error.source();
    }
    false
}

/// One pooled connection to a target.
struct Connection {
    client: NodeTransportClient<Channel>,
    /// The target's handshake, once it has been exchanged on this connection.
    remote: tokio::sync::OnceCell<HandshakeInfo>,
}

struct TonicTransportInner {
    local: Arc<RwLock<HandshakeInfo>>,
    connections: Mutex<HashMap<TransportAddress, Arc<Connection>>>,
}

/// Client side of the tonic transport. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct TonicTransport {
    inner: Arc<TonicTransportInner>,
}

impl TonicTransport {
    /// A transport sending as the node described by `local` (shared with the node's server so
    /// that a cluster UUID learnt later is seen by both).
    pub fn new(local: Arc<RwLock<HandshakeInfo>>) -> Self {
        Self {
            inner: Arc::new(TonicTransportInner {
                local,
                connections: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// This node's current handshake.
    pub fn local_handshake(&self) -> HandshakeInfo {
        self.inner.local.read().clone()
    }

    /// Records the cluster UUID this node now belongs to (sent with every later request).
    pub fn set_cluster_uuid(&self, cluster_uuid: Option<String>) {
        self.inner.local.write().cluster_uuid = cluster_uuid;
    }

    /// Closes the pooled connection to `target`, if any (the next request reconnects).
    pub fn disconnect_from(&self, target: &str) {
        self.inner.connections.lock().remove(target);
    }

    fn connection(&self, target: &str) -> Result<Arc<Connection>, TransportError> {
        let mut connections = self.inner.connections.lock();
        if let Some(connection) = connections.get(target) {
            return Ok(connection.clone());
        }
        let endpoint = Endpoint::from_shared(format!("http://{target}")).map_err(|error| {
            TransportError::ConnectFailed {
                address: target.to_string(),
                reason: format!("invalid transport address: {error}"),
            }
        })?;
        let channel = endpoint
            .connect_timeout(CONNECT_TIMEOUT)
            .tcp_nodelay(true)
            .connect_lazy();
        let client = NodeTransportClient::new(channel)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE);
        let connection = Arc::new(Connection {
            client,
            remote: tokio::sync::OnceCell::new(),
        });
        connections.insert(target.to_string(), connection.clone());
        Ok(connection)
    }

    /// Drops `connection` from the pool (unless it was already replaced).
    fn evict(&self, target: &str, connection: &Arc<Connection>) {
        let mut connections = self.inner.connections.lock();
        if connections
            .get(target)
            .is_some_and(|pooled| Arc::ptr_eq(pooled, connection))
        {
            connections.remove(target);
        }
    }

    /// A request carrying this node's handshake. No `grpc-timeout` is sent: the remote handler
    /// runs to completion anyway, and the sender's timer decides when it stops waiting.
    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        let encoded =
            prost::Message::encode_to_vec(&proto::HandshakeInfo::from(&*self.inner.local.read()));
        request.metadata_mut().insert_bin(
            HANDSHAKE_METADATA_KEY,
            tonic::metadata::MetadataValue::from_bytes(&encoded),
        );
        request
    }

    /// The target's handshake on `connection`, exchanging it if this is the first use.
    async fn ensure_handshake(
        &self,
        target: &str,
        connection: &Connection,
        timeout: Duration,
    ) -> Result<HandshakeInfo, TransportError> {
        let remote = connection
            .remote
            .get_or_try_init(|| async {
                let local = self.local_handshake();
                let request = self.request(proto::HandshakeRequest {
                    sender: Some(proto::HandshakeInfo::from(&local)),
                });
                let response = connection
                    .client
                    .clone()
                    .handshake(request)
                    .await
                    .map_err(|status| {
                        transport_error_from_status(target, HANDSHAKE_ACTION, timeout, &status)
                    })?
                    .into_inner();
                let remote = match response.result {
                    Some(proto::handshake_response::Result::Receiver(remote)) => {
                        HandshakeInfo::from(remote)
                    }
                    Some(proto::handshake_response::Result::Refused(reason)) => {
                        return Err(TransportError::HandshakeRefused {
                            address: target.to_string(),
                            reason,
                        })
                    }
                    None => {
                        return Err(TransportError::HandshakeRefused {
                            address: target.to_string(),
                            reason: "empty handshake response".to_string(),
                        })
                    }
                };
                if let Err(reason) = local.check_compatible(&remote) {
                    tracing::warn!(remote = %target, "refusing connection: {reason}");
                    return Err(TransportError::HandshakeRefused {
                        address: target.to_string(),
                        reason,
                    });
                }
                Ok(remote)
            })
            .await?;
        Ok(remote.clone())
    }

    async fn send_on_connection(
        &self,
        target: &str,
        connection: &Connection,
        action: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> Result<Bytes, TransportError> {
        let remote = self.ensure_handshake(target, connection, timeout).await?;
        let mut request = self.request(proto::TransportRequest {
            action: action.to_string(),
            payload,
        });
        request.metadata_mut().insert_bin(
            TARGET_NODE_ID_METADATA_KEY,
            tonic::metadata::MetadataValue::from_bytes(remote.node_id.as_bytes()),
        );
        let response = connection
            .client
            .clone()
            .send(request)
            .await
            .map_err(|status| transport_error_from_status(target, action, timeout, &status))?
            .into_inner();
        match response.result {
            Some(proto::transport_response::Result::Payload(payload)) => Ok(payload),
            Some(proto::transport_response::Result::Error(error)) => {
                Err(remote_handler_error(target, action, error.message))
            }
            None => Err(TransportError::Remote {
                address: target.to_string(),
                action: action.to_string(),
                message: "empty response".to_string(),
            }),
        }
    }

    /// Runs `exchange` on the pooled connection to `target` within `timeout`; a connection or
    /// handshake failure evicts the connection.
    async fn with_connection<T, F, Fut>(
        &self,
        target: &str,
        action: &str,
        timeout: Duration,
        exchange: F,
    ) -> Result<T, TransportError>
    where
        F: FnOnce(Arc<Connection>) -> Fut,
        Fut: std::future::Future<Output = Result<T, TransportError>>,
    {
        let connection = self.connection(target)?;
        let outcome = tokio::time::timeout(timeout, exchange(connection.clone())).await;
        let result = outcome.unwrap_or_else(|_| {
            Err(TransportError::Timeout {
                address: target.to_string(),
                action: action.to_string(),
                timeout,
            })
        });
        if let Err(
            TransportError::ConnectFailed { .. }
            | TransportError::Disconnected { .. }
            | TransportError::HandshakeRefused { .. },
        ) = &result
        {
            self.evict(target, &connection);
        }
        result
    }
}

impl Transport for TonicTransport {
    fn send(
        &self,
        target: &TransportAddress,
        action: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Bytes, TransportError>> {
        let transport = self.clone();
        let target = target.clone();
        let action = action.to_string();
        Box::pin(async move {
            let (this, to, name) = (&transport, &target, &action);
            this.with_connection(to, name, timeout, move |connection| async move {
                this.send_on_connection(to, &connection, name, payload, timeout)
                    .await
            })
            .await
        })
    }

    fn local_address(&self) -> TransportAddress {
        self.inner.local.read().transport_address.clone()
    }

    fn handshake(
        &self,
        target: &TransportAddress,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<HandshakeInfo, TransportError>> {
        let transport = self.clone();
        let target = target.clone();
        Box::pin(async move {
            let (this, to) = (&transport, &target);
            this.with_connection(to, HANDSHAKE_ACTION, timeout, move |connection| async move {
                this.ensure_handshake(to, &connection, timeout).await
            })
            .await
        })
    }
}

#[cfg(test)]
#[path = "tonic_transport_test.rs"]
mod tests;
