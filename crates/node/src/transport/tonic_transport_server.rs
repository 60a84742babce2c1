//! Server side of the tonic transport: binds `transport.host` on the first free port of
//! `transport.port` (a single port or a range such as `9300-9400`), serves the
//! `NodeTransport` gRPC service with `TCP_NODELAY`, checks the handshake of every caller
//! (the `Handshake` RPC and the metadata of every `Send`) and hands accepted requests to the
//! node's [`RequestHandler`].
//!
//! Owns: listening, the server half of the handshake. Must not interpret payloads.

use super::tonic_transport::proto::node_transport_server::{NodeTransport, NodeTransportServer};
use super::tonic_transport::{
    proto, TonicTransport, HANDSHAKE_METADATA_KEY, MAX_MESSAGE_SIZE, TARGET_NODE_ID_METADATA_KEY,
};
use super::{HandshakeInfo, RequestHandler, TransportAddress};
use futures::StreamExt;
use parking_lot::RwLock;
use std::future::Future;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};
use tonic::transport::server::{Connected, TcpConnectInfo, TcpIncoming};
use tonic::{Request, Response, Status};

/// Why the transport could not start listening.
#[derive(Debug, thiserror::Error)]
pub enum BindTransportError {
    #[error("invalid transport port [{0}]")]
    InvalidPort(String),
    #[error("failed to resolve transport host [{host}]: {reason}")]
    UnresolvableHost { host: String, reason: String },
    #[error("failed to bind transport to [{host}:{ports}]: {reason}")]
    NoFreePort {
        host: String,
        ports: String,
        reason: String,
    },
}

/// Parses `transport.port`: `9300`, `9300-9400` (inclusive) or `0` (an ephemeral port).
pub fn parse_port_range(spec: &str) -> Result<RangeInclusive<u16>, BindTransportError> {
    let invalid = || BindTransportError::InvalidPort(spec.to_string());
    let parse = |port: &str| port.trim().parse::<u16>().map_err(|_| invalid());
    match spec.split_once('-') {
        Some((low, high)) => {
            let (low, high) = (parse(low)?, parse(high)?);
            if low > high {
                return Err(invalid());
            }
            Ok(low..=high)
        }
        None => {
            let port = parse(spec)?;
            Ok(port..=port)
        }
    }
}

/// An accepted connection that fails all I/O once the server is stopped, so stopping closes
/// open connections at once (tonic's graceful shutdown would wait for requests in flight).
struct KillableStream {
    inner: TcpStream,
    stopped: CancellationToken,
    stopped_signal: Pin<Box<WaitForCancellationFutureOwned>>,
}

impl KillableStream {
    fn new(inner: TcpStream, stopped: &CancellationToken) -> Self {
        Self {
            inner,
            stopped: stopped.clone(),
            stopped_signal: Box::pin(stopped.clone().cancelled_owned()),
        }
    }

    /// Fails once the server is stopped; otherwise registers for the stop signal.
    fn check_running(&mut self, cx: &mut Context<'_>) -> std::io::Result<()> {
        if self.stopped.is_cancelled() || self.stopped_signal.as_mut().poll(cx).is_ready() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "transport stopped",
            ));
        }
        Ok(())
    }
}

impl AsyncRead for KillableStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if let Err(error) = self.check_running(cx) {
            return Poll::Ready(Err(error));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for KillableStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        if let Err(error) = self.check_running(cx) {
            return Poll::Ready(Err(error));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        if let Err(error) = self.check_running(cx) {
            return Poll::Ready(Err(error));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

impl Connected for KillableStream {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.inner.connect_info()
    }
}

/// The gRPC service: handshake checks, then dispatch to the node's handler.
struct TransportService {
    handler: Arc<dyn RequestHandler>,
    local: Arc<RwLock<HandshakeInfo>>,
}

impl TransportService {
    /// Checks a caller's handshake against this node's; logs and explains a refusal.
    fn check_caller(&self, caller: &HandshakeInfo) -> Result<(), String> {
        let local = self.local.read().clone();
        local.check_compatible(caller).inspect_err(|reason| {
            tracing::warn!(
                local = %local.transport_address,
                remote_node = %caller.node_name,
                remote_address = %caller.transport_address,
                "refusing transport connection: {reason}"
            );
        })
    }

    /// Refuses a request meant for another node that used to listen at this address (the
    /// caller's handshake is from before a restart); the caller reconnects and handshakes again.
    fn check_target<T>(&self, request: &Request<T>) -> Result<(), Status> {
        let Some(expected) = request.metadata().get_bin(TARGET_NODE_ID_METADATA_KEY) else {
            return Ok(());
        };
        let local = self.local.read();
        if expected
            .to_bytes()
            .is_ok_and(|expected| expected == local.node_id.as_bytes())
        {
            return Ok(());
        }
        Err(Status::aborted(format!(
            "node [{}] at [{}] is not the node the connection was opened to",
            local.node_name, local.transport_address
        )))
    }

    /// The caller's handshake from the request metadata.
    fn caller_from_metadata<T>(request: &Request<T>) -> Result<HandshakeInfo, Status> {
        let value = request
            .metadata()
            .get_bin(HANDSHAKE_METADATA_KEY)
            .ok_or_else(|| {
                Status::failed_precondition("handshake failed: request carries no handshake")
            })?;
        let encoded = value
            .to_bytes()
            .map_err(|_| Status::failed_precondition("handshake failed: malformed handshake"))?;
        let info: proto::HandshakeInfo = prost::Message::decode(encoded)
            .map_err(|_| Status::failed_precondition("handshake failed: malformed handshake"))?;
        Ok(HandshakeInfo::from(info))
    }
}

#[tonic::async_trait]
impl NodeTransport for TransportService {
    async fn handshake(
        &self,
        request: Request<proto::HandshakeRequest>,
    ) -> Result<Response<proto::HandshakeResponse>, Status> {
        let sender = request
            .into_inner()
            .sender
            .ok_or_else(|| Status::failed_precondition("handshake failed: no sender"))?;
        let result = match self.check_caller(&HandshakeInfo::from(sender)) {
            Ok(()) => proto::handshake_response::Result::Receiver(proto::HandshakeInfo::from(
                &*self.local.read(),
            )),
            Err(reason) => proto::handshake_response::Result::Refused(reason),
        };
        Ok(Response::new(proto::HandshakeResponse {
            result: Some(result),
        }))
    }

    async fn send(
        &self,
        request: Request<proto::TransportRequest>,
    ) -> Result<Response<proto::TransportResponse>, Status> {
        let caller = Self::caller_from_metadata(&request)?;
        self.check_caller(&caller)
            .map_err(Status::failed_precondition)?;
        self.check_target(&request)?;
        let proto::TransportRequest { action, payload } = request.into_inner();
        // On its own task: the handler finishes even if the caller gives up (as a remote
        // Elasticsearch node keeps executing a request whose sender timed out).
        let handled = tokio::spawn(self.handler.handle(action.clone(), payload)).await;
        let result = match handled {
            Ok(Ok(payload)) => proto::transport_response::Result::Payload(payload),
            Ok(Err(message)) => {
                proto::transport_response::Result::Error(proto::RemoteError { message })
            }
            Err(join_error) => {
                tracing::error!(%action, "transport handler failed: {join_error}");
                proto::transport_response::Result::Error(proto::RemoteError {
                    message: format!("handler for [{action}] failed: {join_error}"),
                })
            }
        };
        Ok(Response::new(proto::TransportResponse {
            result: Some(result),
        }))
    }
}

/// A running transport server; dropping it stops the server.
pub struct TonicTransportServer {
    bound_address: SocketAddr,
    local: Arc<RwLock<HandshakeInfo>>,
    shutdown: Option<oneshot::Sender<()>>,
    /// Cancelled on stop: every open connection fails its I/O and closes.
    stopped: CancellationToken,
    serving: Option<JoinHandle<()>>,
}

impl TonicTransportServer {
    /// Listens on `host` at the first free port of `ports` (see [`parse_port_range`]) and serves
    /// `handler`. An empty `local.transport_address` is set to the bound address; a node with a
    /// separate publish host sets it with [`Self::set_publish_address`].
    pub async fn bind(
        host: &str,
        ports: &str,
        handler: Arc<dyn RequestHandler>,
        mut local: HandshakeInfo,
    ) -> Result<Self, BindTransportError> {
        let range = parse_port_range(ports)?;
        let ip = tokio::net::lookup_host((host, 0))
            .await
            .map_err(|error| BindTransportError::UnresolvableHost {
                host: host.to_string(),
                reason: error.to_string(),
            })?
            .next()
            .ok_or_else(|| BindTransportError::UnresolvableHost {
                host: host.to_string(),
                reason: "no address".to_string(),
            })?
            .ip();
        let mut last_error = None;
        let mut incoming = None;
        for port in range {
            match TcpIncoming::bind(SocketAddr::new(ip, port)) {
                Ok(bound) => {
                    incoming = Some(bound);
                    break;
                }
                Err(error) => last_error = Some(error),
            }
        }
        let no_free_port = |reason: String| BindTransportError::NoFreePort {
            host: host.to_string(),
            ports: ports.to_string(),
            reason,
        };
        let incoming = incoming.ok_or_else(|| {
            no_free_port(
                last_error.map_or_else(|| "empty port range".to_string(), |e| e.to_string()),
            )
        })?;
        let bound_address = incoming
            .local_addr()
            .map_err(|error| no_free_port(error.to_string()))?;
        let stopped = CancellationToken::new();
        let connections = stopped.clone();
        let incoming = incoming
            .with_nodelay(Some(true))
            .map(move |accepted| accepted.map(|stream| KillableStream::new(stream, &connections)));
        if local.transport_address.is_empty() {
            local.transport_address = bound_address.to_string();
        }
        let local = Arc::new(RwLock::new(local));
        let service = NodeTransportServer::new(TransportService {
            handler,
            local: local.clone(),
        })
        .max_decoding_message_size(MAX_MESSAGE_SIZE)
        .max_encoding_message_size(MAX_MESSAGE_SIZE);
        let (shutdown, stop_signal) = oneshot::channel::<()>();
        let serving = tokio::spawn(async move {
            let stopped = async {
                // A dropped sender stops the server too.
                let _ = stop_signal.await;
            };
            let served = tonic::transport::Server::builder()
                .tcp_nodelay(true)
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, stopped)
                .await;
            if let Err(error) = served {
                tracing::error!(%bound_address, "transport server failed: {error}");
            }
        });
        tracing::info!(%bound_address, "transport listening");
        Ok(Self {
            bound_address,
            local,
            shutdown: Some(shutdown),
            stopped,
            serving: Some(serving),
        })
    }

    /// The socket address the server listens on.
    pub fn bound_address(&self) -> SocketAddr {
        self.bound_address
    }

    /// The address other nodes reach this one at.
    pub fn publish_address(&self) -> TransportAddress {
        self.local.read().transport_address.clone()
    }

    /// Sets the address other nodes reach this one at (`network.publish_host` plus the port).
    pub fn set_publish_address(&self, address: TransportAddress) {
        self.local.write().transport_address = address;
    }

    /// Records the cluster UUID this node now belongs to (checked in later handshakes).
    pub fn set_cluster_uuid(&self, cluster_uuid: Option<String>) {
        self.local.write().cluster_uuid = cluster_uuid;
    }

    /// This node's handshake, shared by the server and its [`TonicTransport`] clients.
    pub fn shared_handshake(&self) -> Arc<RwLock<HandshakeInfo>> {
        self.local.clone()
    }

    /// A client sending as this node (sharing its handshake, so UUID changes reach both).
    pub fn transport(&self) -> TonicTransport {
        TonicTransport::new(self.local.clone())
    }

    /// Closes the listener and every open connection (requests in flight fail on the sender's
    /// side with `Disconnected`, as when a node process exits) and waits until they are closed.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.stopped.cancel();
        if let Some(serving) = self.serving.take() {
            let _ = serving.await;
        }
    }
}

impl Drop for TonicTransportServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        self.stopped.cancel();
    }
}
