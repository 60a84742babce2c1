//! The async shell around [`PeerFinder`]: one task owns the state machine, ticks every
//! `discovery.find_peers_interval`, resolves the seed hosts, carries out probes and peers
//! requests over the [`Transport`] trait, and publishes what it found.
//!
//! ```text
//!  PeerFinderHandle ──commands──> [task: PeerFinder] ──Probe/RequestPeers──> spawned transport calls
//!        ^                           |      ^                                        |
//!        |   watch<PeerFinderStatus> |      └──────────── results ───────────────────┘
//!        └───────────────────────────┘──> mpsc<ActiveMasterFound> (to the coordinator)
//! ```
//!
//! Inbound `internal:discovery/request_peers` requests are answered by [`handle_request_peers`],
//! which the node's `RequestHandler` calls for that action.
//!
//! Owns the timing and the I/O of discovery. Must not decide anything itself.

use super::cluster_bootstrap::DiscoveredPeer;
use super::peer_finder::{PeerFinder, PeerFinderAction};
use super::peers_messages::{PeersRequest, PeersResponse, REQUEST_PEERS_ACTION};
use super::seed_hosts::{default_local_seed_hosts, resolve_seed_hosts, SeedHostsProvider};
use super::DiscoverySettings;
use crate::transport::{BoxFuture, HandshakeInfo, SharedTransport, TransportAddress};
use bytes::Bytes;
use parking_lot::Mutex;
use quarry_cluster::DiscoveryNode;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch};

/// Produces the seed addresses of one discovery round.
pub type SeedAddressesResolver =
    Arc<dyn Fn() -> BoxFuture<'static, Vec<TransportAddress>> + Send + Sync>;

/// The timings the shell uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerFinderTimings {
    pub find_peers_interval: Duration,
    pub probe_timeout: Duration,
    pub request_peers_timeout: Duration,
}

impl From<&DiscoverySettings> for PeerFinderTimings {
    fn from(s: &DiscoverySettings) -> Self {
        PeerFinderTimings {
            find_peers_interval: s.find_peers_interval,
            probe_timeout: s.probe_timeout,
            request_peers_timeout: s.request_peers_timeout,
        }
    }
}

/// What discovery currently knows, published after every change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerFinderStatus {
    pub active: bool,
    pub found_peers: Vec<DiscoveredPeer>,
    pub last_resolved_addresses: Vec<TransportAddress>,
}

/// A peer answered that it is the elected master of `term`: the coordinator should join it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveMasterFound {
    pub master: DiscoveryNode,
    pub term: u64,
}

enum Command {
    Activate(Vec<TransportAddress>),
    Deactivate(DiscoveryNode),
    SetCurrentTerm(u64),
    SetClusterUuid(Option<String>),
    PeersRequest(PeersRequest, oneshot::Sender<PeersResponse>),
}

enum Event {
    Probed(u64, TransportAddress, Box<Result<HandshakeInfo, String>>),
    PeersAnswered(u64, TransportAddress, Box<Result<PeersResponse, String>>),
    SeedsResolved(Vec<TransportAddress>),
}

/// Talks to the discovery task; cheap to clone. The task stops when every handle is dropped.
#[derive(Clone)]
pub struct PeerFinderHandle {
    commands: mpsc::UnboundedSender<Command>,
    status: watch::Receiver<PeerFinderStatus>,
}

impl PeerFinderHandle {
    /// Starts discovery (no master known); probes `last_accepted_master_addresses` every round.
    pub fn activate(&self, last_accepted_master_addresses: Vec<TransportAddress>) {
        let _ = self
            .commands
            .send(Command::Activate(last_accepted_master_addresses));
    }

    /// Stops discovery: `leader` is the master this node follows (or is).
    pub fn deactivate(&self, leader: DiscoveryNode) {
        let _ = self.commands.send(Command::Deactivate(leader));
    }

    pub fn set_current_term(&self, term: u64) {
        let _ = self.commands.send(Command::SetCurrentTerm(term));
    }

    pub fn set_cluster_uuid(&self, cluster_uuid: Option<String>) {
        let _ = self.commands.send(Command::SetClusterUuid(cluster_uuid));
    }

    /// The latest published status.
    pub fn status(&self) -> PeerFinderStatus {
        self.status.borrow().clone()
    }

    /// A receiver that is notified on every status change.
    pub fn subscribe(&self) -> watch::Receiver<PeerFinderStatus> {
        self.status.clone()
    }

    /// Answers an inbound peers request; `None` if the discovery task has stopped.
    pub async fn handle_peers_request(&self, request: PeersRequest) -> Option<PeersResponse> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::PeersRequest(request, tx))
            .ok()?;
        rx.await.ok()
    }
}

/// The `RequestHandler` side of `internal:discovery/request_peers`: decodes the request,
/// lets the local discovery task answer it, encodes the response.
pub async fn handle_request_peers(
    handle: &PeerFinderHandle,
    payload: Bytes,
) -> Result<Bytes, String> {
    let request = PeersRequest::decode(&payload).map_err(|e| {
        format!("illegal_argument_exception: invalid [{REQUEST_PEERS_ACTION}] request: {e}")
    })?;
    let response = handle
        .handle_peers_request(request)
        .await
        .ok_or_else(|| "node_closed_exception: discovery has stopped".to_string())?;
    response
        .encode()
        .map(Bytes::from)
        .map_err(|e| format!("failed to encode peers response: {e}"))
}

/// The production seed resolver: `discovery.seed_hosts` plus `unicast_hosts.txt`, or the local
/// ports 9300-9305 when no seed source is configured; `local_addresses` are skipped.
pub fn seed_addresses_resolver(
    settings: &DiscoverySettings,
    local_addresses: Vec<TransportAddress>,
) -> SeedAddressesResolver {
    let configured = settings.seed_hosts_configured();
    let provider = Arc::new(Mutex::new(SeedHostsProvider::new(
        settings.seed_hosts.clone(),
        settings.file_seed_provider,
        &settings.config_dir,
    )));
    let port = settings.default_transport_port;
    let timeout = settings.seed_resolver_timeout;
    let concurrency = settings.seed_resolver_max_concurrent_resolvers;
    Arc::new(move || {
        let entries: Vec<String> = if configured {
            provider.lock().current_entries()
        } else {
            default_local_seed_hosts(port)
                .iter()
                .map(|h| h.to_address())
                .collect()
        };
        let local = local_addresses.clone();
        Box::pin(
            async move { resolve_seed_hosts(&entries, port, timeout, concurrency, &local).await },
        )
    })
}

/// Spawns the discovery task.
pub struct PeerFinderShell;

impl PeerFinderShell {
    /// Starts the task for `finder` (inactive until [`PeerFinderHandle::activate`]).
    pub fn spawn(
        finder: PeerFinder,
        transport: SharedTransport,
        resolver: SeedAddressesResolver,
        timings: PeerFinderTimings,
    ) -> (PeerFinderHandle, mpsc::UnboundedReceiver<ActiveMasterFound>) {
        let (commands_tx, commands_rx) = mpsc::unbounded_channel();
        let (status_tx, status_rx) = watch::channel(PeerFinderStatus::default());
        let (master_tx, master_rx) = mpsc::unbounded_channel();
        let task = ShellTask {
            finder,
            transport,
            resolver,
            timings,
            status: status_tx,
            master_found: master_tx,
            resolving: false,
        };
        tokio::spawn(task.run(commands_rx));
        (
            PeerFinderHandle {
                commands: commands_tx,
                status: status_rx,
            },
            master_rx,
        )
    }
}

struct ShellTask {
    finder: PeerFinder,
    transport: SharedTransport,
    resolver: SeedAddressesResolver,
    timings: PeerFinderTimings,
    status: watch::Sender<PeerFinderStatus>,
    master_found: mpsc::UnboundedSender<ActiveMasterFound>,
    resolving: bool,
}

impl ShellTask {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        let (events_tx, mut events) = mpsc::unbounded_channel::<Event>();
        let mut ticker = tokio::time::interval(self.timings.find_peers_interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let actions = tokio::select! {
                command = commands.recv() => match command {
                    None => return,
                    Some(command) => self.on_command(command, &events_tx),
                },
                Some(event) = events.recv() => self.on_event(event),
                _ = ticker.tick() => {
                    self.start_resolving(&events_tx);
                    self.finder.on_tick()
                }
            };
            self.execute(actions, &events_tx);
        }
    }

    fn on_command(
        &mut self,
        command: Command,
        events: &mpsc::UnboundedSender<Event>,
    ) -> Vec<PeerFinderAction> {
        match command {
            Command::Activate(addresses) => {
                let actions = self.finder.activate(addresses);
                self.start_resolving(events);
                actions
            }
            Command::Deactivate(leader) => {
                let mut actions = self.finder.deactivate(leader);
                actions.push(PeerFinderAction::FoundPeersUpdated);
                actions
            }
            Command::SetCurrentTerm(term) => {
                self.finder.set_current_term(term);
                Vec::new()
            }
            Command::SetClusterUuid(uuid) => {
                self.finder.set_cluster_uuid(uuid);
                Vec::new()
            }
            Command::PeersRequest(request, reply) => {
                let (response, actions) = self.finder.handle_peers_request(&request);
                let _ = reply.send(response);
                actions
            }
        }
    }

    fn on_event(&mut self, event: Event) -> Vec<PeerFinderAction> {
        match event {
            Event::Probed(id, address, result) => {
                self.finder.on_probe_result(id, &address, *result)
            }
            Event::PeersAnswered(id, address, result) => {
                self.finder.on_peers_response(id, &address, *result)
            }
            Event::SeedsResolved(addresses) => {
                self.resolving = false;
                let mut actions = self.finder.on_seed_addresses_resolved(addresses);
                actions.push(PeerFinderAction::FoundPeersUpdated);
                actions
            }
        }
    }

    /// One resolution at a time, only while discovery is active.
    fn start_resolving(&mut self, events: &mpsc::UnboundedSender<Event>) {
        if self.resolving || !self.finder.is_active() {
            return;
        }
        self.resolving = true;
        let resolve = (self.resolver)();
        let events = events.clone();
        tokio::spawn(async move {
            let addresses = resolve.await;
            let _ = events.send(Event::SeedsResolved(addresses));
        });
    }

    fn execute(&mut self, actions: Vec<PeerFinderAction>, events: &mpsc::UnboundedSender<Event>) {
        let mut publish = false;
        for action in actions {
            match action {
                PeerFinderAction::Probe { id, address } => {
                    let handshake = self
                        .transport
                        .handshake(&address, self.timings.probe_timeout);
                    let events = events.clone();
                    tokio::spawn(async move {
                        let result = handshake.await.map_err(|e| e.to_string());
                        let _ = events.send(Event::Probed(id, address, Box::new(result)));
                    });
                }
                PeerFinderAction::RequestPeers {
                    id,
                    address,
                    request,
                } => {
                    let payload = match request.encode() {
                        Ok(bytes) => Bytes::from(bytes),
                        Err(e) => {
                            let _ = events.send(Event::PeersAnswered(
                                id,
                                address,
                                Box::new(Err(e.to_string())),
                            ));
                            continue;
                        }
                    };
                    let send = self.transport.send(
                        &address,
                        REQUEST_PEERS_ACTION,
                        payload,
                        self.timings.request_peers_timeout,
                    );
                    let events = events.clone();
                    tokio::spawn(async move {
                        let result = match send.await {
                            Ok(bytes) => PeersResponse::decode(&bytes).map_err(|e| e.to_string()),
                            Err(e) => Err(e.to_string()),
                        };
                        let _ = events.send(Event::PeersAnswered(id, address, Box::new(result)));
                    });
                }
                PeerFinderAction::ActiveMasterFound { master, term } => {
                    let _ = self.master_found.send(ActiveMasterFound { master, term });
                }
                PeerFinderAction::FoundPeersUpdated => publish = true,
            }
        }
        if publish {
            let status = PeerFinderStatus {
                active: self.finder.is_active(),
                found_peers: self.finder.found_peers(),
                last_resolved_addresses: self.finder.last_resolved_addresses().to_vec(),
            };
            self.status.send_if_modified(|current| {
                let changed = *current != status;
                *current = status;
                changed
            });
        }
    }
}
