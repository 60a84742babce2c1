//! In-process implementation of [`Transport`] for tests and the simulator: every node of an
//! [`InMemoryNetwork`] registers its [`HandshakeInfo`] and [`RequestHandler`] under its transport
//! address, and requests are handed to the target's handler directly (no serialisation beyond
//! the payload bytes the callers already produce).
//!
//! The network carries fault hooks: `partition`/`heal`, `isolate`, per-link `drop_probability`
//! (drawn from a seeded RNG) and `delay`, and `disconnect` (node down). A cut link behaves like
//! a closed TCP connection: new requests and requests in flight fail at once with
//! [`TransportError::Disconnected`] (Elasticsearch treats a closed connection as an immediate
//! failure). A dropped request or response is silently lost, so the sender sees
//! [`TransportError::Timeout`]. Delays and timeouts use tokio time, so tests can pause it.
//!
//! Determinism: every random draw happens synchronously inside [`Transport::send`] /
//! [`Transport::handshake`], so for one seed the outcomes depend only on the order of those
//! calls. Owns: the registry and the fault model. Must not interpret payloads.

use super::transport_actions::{remote_handler_error, HANDSHAKE_ACTION};
use super::{
    BoxFuture, HandshakeInfo, RequestHandler, Transport, TransportAddress, TransportError,
};
use bytes::Bytes;
use parking_lot::Mutex;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// SplitMix64: a tiny PRNG whose sequence is fixed forever for a given seed (a library RNG may
/// change its algorithm between versions, which would silently change simulator seeds).
#[derive(Debug, Clone)]
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether an event of probability `p` happens (no draw for 0 or 1).
    fn chance(&mut self, p: f64) -> bool {
        if p <= 0.0 {
            false
        } else if p >= 1.0 {
            true
        } else {
            self.next_f64() < p
        }
    }
}

type Link = (TransportAddress, TransportAddress);

/// The faults currently applied to links between nodes (pure data).
#[derive(Debug, Default)]
struct LinkFaults {
    /// Pairs of sides; a link with one end on each side of any pair is cut.
    partitions: Vec<(BTreeSet<TransportAddress>, BTreeSet<TransportAddress>)>,
    isolated: BTreeSet<TransportAddress>,
    drop_probabilities: BTreeMap<Link, f64>,
    delays: BTreeMap<Link, Duration>,
}

impl LinkFaults {
    /// Whether `a` and `b` cannot reach each other (a node always reaches itself).
    fn is_cut(&self, a: &str, b: &str) -> bool {
        if a == b {
            return false;
        }
        self.isolated.contains(a)
            || self.isolated.contains(b)
            || self.partitions.iter().any(|(left, right)| {
                (left.contains(a) && right.contains(b)) || (left.contains(b) && right.contains(a))
            })
    }

    fn drop_probability(&self, from: &str, to: &str) -> f64 {
        self.drop_probabilities
            .get(&(from.to_string(), to.to_string()))
            .copied()
            .unwrap_or(0.0)
    }

    fn delay(&self, from: &str, to: &str) -> Duration {
        self.delays
            .get(&(from.to_string(), to.to_string()))
            .copied()
            .unwrap_or(Duration::ZERO)
    }
}

struct RegisteredNode {
    info: HandshakeInfo,
    handler: Arc<dyn RequestHandler>,
    /// Changes on every `register` of the address, so a restarted node's old transport is stale.
    incarnation: u64,
    connected: bool,
}

struct NetworkState {
    nodes: BTreeMap<TransportAddress, RegisteredNode>,
    faults: LinkFaults,
    rng: SplitMix64,
    next_incarnation: u64,
}

/// What one request does on its way, decided when it is sent.
struct Route {
    target_info: HandshakeInfo,
    handler: Arc<dyn RequestHandler>,
    target_incarnation: u64,
    request_lost: bool,
    response_lost: bool,
    request_delay: Duration,
    response_delay: Duration,
}

/// The shared registry of in-process nodes and the faults between them. Cheap to clone.
#[derive(Clone)]
pub struct InMemoryNetwork {
    state: Arc<Mutex<NetworkState>>,
    /// Bumped whenever a link is cut or a node goes away, to fail requests in flight.
    link_changes: Arc<watch::Sender<u64>>,
}

impl InMemoryNetwork {
    /// An empty network whose random drops are drawn from `seed`.
    pub fn new(seed: u64) -> Self {
        let (link_changes, _) = watch::channel(0);
        Self {
            state: Arc::new(Mutex::new(NetworkState {
                nodes: BTreeMap::new(),
                faults: LinkFaults::default(),
                rng: SplitMix64 { state: seed },
                next_incarnation: 1,
            })),
            link_changes: Arc::new(link_changes),
        }
    }

    /// Registers a node at `info.transport_address` (replacing a previous registration there,
    /// which is how a restart looks) and returns its transport.
    pub fn register(
        &self,
        info: HandshakeInfo,
        handler: Arc<dyn RequestHandler>,
    ) -> InMemoryTransport {
        let address = info.transport_address.clone();
        let incarnation = {
            let mut state = self.state.lock();
            let incarnation = state.next_incarnation;
            state.next_incarnation += 1;
            state.nodes.insert(
                address.clone(),
                RegisteredNode {
                    info,
                    handler,
                    incarnation,
                    connected: true,
                },
            );
            incarnation
        };
        self.notify_link_change();
        InMemoryTransport {
            network: self.clone(),
            address,
            incarnation,
        }
    }

    /// Cuts every link between a node of `side_a` and a node of `side_b` (both directions).
    pub fn partition<A, B>(&self, side_a: A, side_b: B)
    where
        A: IntoIterator,
        A::Item: Into<TransportAddress>,
        B: IntoIterator,
        B::Item: Into<TransportAddress>,
    {
        let side_a = side_a.into_iter().map(Into::into).collect();
        let side_b = side_b.into_iter().map(Into::into).collect();
        self.state.lock().faults.partitions.push((side_a, side_b));
        self.notify_link_change();
    }

    /// Cuts every link of `address` to other nodes.
    pub fn isolate(&self, address: &str) {
        self.state
            .lock()
            .faults
            .isolated
            .insert(address.to_string());
        self.notify_link_change();
    }

    /// Removes every partition and isolation (drops, delays and down nodes stay).
    pub fn heal(&self) {
        let mut state = self.state.lock();
        state.faults.partitions.clear();
        state.faults.isolated.clear();
    }

    /// Loses each message from `from` to `to` with probability `p` (0 removes the rule). Applies
    /// to requests on that link and to responses travelling back on it.
    pub fn drop_probability(&self, from: &str, to: &str, p: f64) {
        let link = (from.to_string(), to.to_string());
        let mut state = self.state.lock();
        if p > 0.0 {
            state.faults.drop_probabilities.insert(link, p.min(1.0));
        } else {
            state.faults.drop_probabilities.remove(&link);
        }
    }

    /// Delays each message from `from` to `to` by `delay` (zero removes the rule).
    pub fn delay(&self, from: &str, to: &str, delay: Duration) {
        let link = (from.to_string(), to.to_string());
        let mut state = self.state.lock();
        if delay.is_zero() {
            state.faults.delays.remove(&link);
        } else {
            state.faults.delays.insert(link, delay);
        }
    }

    /// Takes the node at `address` down: connecting to it fails with `ConnectFailed`, and
    /// requests in flight to or from it fail with `Disconnected`.
    pub fn disconnect(&self, address: &str) {
        if let Some(node) = self.state.lock().nodes.get_mut(address) {
            node.connected = false;
        }
        self.notify_link_change();
    }

    /// Brings a node taken down by [`Self::disconnect`] back with the same handler.
    pub fn reconnect(&self, address: &str) {
        if let Some(node) = self.state.lock().nodes.get_mut(address) {
            node.connected = true;
        }
    }

    fn notify_link_change(&self) {
        self.link_changes.send_modify(|generation| *generation += 1);
    }

    /// Decides the fate of one message exchange from `from` to `to` (draws from the RNG).
    fn route(&self, from: &str, from_incarnation: u64, to: &str) -> Result<Route, TransportError> {
        let mut state = self.state.lock();
        let sender_info = match state.nodes.get(from) {
            Some(node) if node.incarnation == from_incarnation && node.connected => {
                node.info.clone()
            }
            _ => {
                return Err(TransportError::ConnectFailed {
                    address: to.to_string(),
                    reason: format!("local node [{from}] is stopped"),
                })
            }
        };
        let (target_info, handler, target_incarnation) = match state.nodes.get(to) {
            Some(node) if node.connected => {
                (node.info.clone(), node.handler.clone(), node.incarnation)
            }
            _ => {
                return Err(TransportError::ConnectFailed {
                    address: to.to_string(),
                    reason: "connection refused".to_string(),
                })
            }
        };
        if state.faults.is_cut(from, to) {
            return Err(TransportError::Disconnected {
                address: to.to_string(),
            });
        }
        if let Err(reason) = target_info.check_compatible(&sender_info) {
            tracing::warn!(local = %to, remote = %from, "refusing in-memory connection: {reason}");
            return Err(TransportError::HandshakeRefused {
                address: to.to_string(),
                reason,
            });
        }
        let request_p = state.faults.drop_probability(from, to);
        let response_p = state.faults.drop_probability(to, from);
        let request_lost = state.rng.chance(request_p);
        let response_lost = state.rng.chance(response_p);
        Ok(Route {
            target_info,
            handler,
            target_incarnation,
            request_lost,
            response_lost,
            request_delay: state.faults.delay(from, to),
            response_delay: state.faults.delay(to, from),
        })
    }

    /// Whether a connection from `from` to `to` (both at the given incarnations) still stands.
    fn is_link_up(&self, from: &str, from_incarnation: u64, to: &str, to_incarnation: u64) -> bool {
        let state = self.state.lock();
        let up = |address: &str, incarnation: u64| {
            state
                .nodes
                .get(address)
                .is_some_and(|node| node.connected && node.incarnation == incarnation)
        };
        up(from, from_incarnation) && up(to, to_incarnation) && !state.faults.is_cut(from, to)
    }

    /// Resolves once the connection from `from` to `to` breaks.
    async fn wait_for_link_loss(
        &self,
        mut changes: watch::Receiver<u64>,
        from: &str,
        from_incarnation: u64,
        to: &str,
        to_incarnation: u64,
    ) {
        loop {
            if !self.is_link_up(from, from_incarnation, to, to_incarnation) {
                return;
            }
            if changes.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// One node's endpoint on an [`InMemoryNetwork`].
#[derive(Clone)]
pub struct InMemoryTransport {
    network: InMemoryNetwork,
    address: TransportAddress,
    incarnation: u64,
}

impl InMemoryTransport {
    /// The network this transport belongs to (to inject faults from a test).
    pub fn network(&self) -> &InMemoryNetwork {
        &self.network
    }

    /// This node's current handshake.
    pub fn local_handshake(&self) -> Option<HandshakeInfo> {
        let state = self.network.state.lock();
        state
            .nodes
            .get(&self.address)
            .filter(|node| node.incarnation == self.incarnation)
            .map(|node| node.info.clone())
    }

    /// Records the cluster UUID this node now belongs to (checked in later handshakes).
    pub fn set_cluster_uuid(&self, cluster_uuid: Option<String>) {
        let mut state = self.network.state.lock();
        if let Some(node) = state.nodes.get_mut(&self.address) {
            if node.incarnation == self.incarnation {
                node.info.cluster_uuid = cluster_uuid;
            }
        }
    }

    /// Carries one exchange to `target`: `remote` runs as the target's work (on its own task,
    /// as a remote node would keep working when the sender gives up).
    fn exchange<T, F>(
        &self,
        target: &TransportAddress,
        action: &str,
        timeout: Duration,
        remote: F,
    ) -> BoxFuture<'static, Result<T, TransportError>>
    where
        T: Send + 'static,
        F: FnOnce(&Route) -> BoxFuture<'static, Result<T, TransportError>>,
    {
        let changes = self.network.link_changes.subscribe();
        let route = match self.network.route(&self.address, self.incarnation, target) {
            Ok(route) => route,
            Err(error) => return Box::pin(async move { Err(error) }),
        };
        let work = remote(&route);
        let network = self.network.clone();
        let from = self.address.clone();
        let from_incarnation = self.incarnation;
        let to = target.clone();
        let action = action.to_string();
        Box::pin(async move {
            let delivery = async {
                if route.request_lost {
                    std::future::pending::<()>().await;
                }
                tokio::time::sleep(route.request_delay).await;
                let result = match tokio::spawn(work).await {
                    Ok(result) => result,
                    Err(join_error) => Err(TransportError::Remote {
                        address: to.clone(),
                        action: action.clone(),
                        message: format!("handler failed: {join_error}"),
                    }),
                };
                tokio::time::sleep(route.response_delay).await;
                if route.response_lost {
                    std::future::pending::<()>().await;
                }
                result
            };
            let link_loss = network.wait_for_link_loss(
                changes,
                &from,
                from_incarnation,
                &to,
                route.target_incarnation,
            );
            let outcome = tokio::time::timeout(timeout, async {
                tokio::select! {
                    biased;
                    result = delivery => result,
                    () = link_loss => Err(TransportError::Disconnected { address: to.clone() }),
                }
            })
            .await;
            outcome.unwrap_or_else(|_| {
                Err(TransportError::Timeout {
                    address: to.clone(),
                    action: action.clone(),
                    timeout,
                })
            })
        })
    }
}

impl Transport for InMemoryTransport {
    fn send(
        &self,
        target: &TransportAddress,
        action: &str,
        payload: Bytes,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<Bytes, TransportError>> {
        let address = target.clone();
        let action_name = action.to_string();
        self.exchange(target, action, timeout, move |route| {
            let handler = route.handler.clone();
            Box::pin(async move {
                handler
                    .handle(action_name.clone(), payload)
                    .await
                    .map_err(|message| remote_handler_error(&address, &action_name, message))
            })
        })
    }

    fn local_address(&self) -> TransportAddress {
        self.address.clone()
    }

    fn handshake(
        &self,
        target: &TransportAddress,
        timeout: Duration,
    ) -> BoxFuture<'static, Result<HandshakeInfo, TransportError>> {
        self.exchange(target, HANDSHAKE_ACTION, timeout, |route| {
            let info = route.target_info.clone();
            Box::pin(async move { Ok(info) })
        })
    }
}

#[cfg(test)]
#[path = "in_memory_transport_test.rs"]
mod tests;
