//! `PeerFinder`: the pure state machine that finds master-eligible peers while a node has no
//! master (Elasticsearch's `PeerFinder`). No I/O, no clock: the shell feeds it events and
//! carries out the [`PeerFinderAction`]s it returns.
//!
//! ```text
//!  activate(last-accepted masters) ─┐
//!  tick (every find_peers_interval) ├─> probe every seed / last-accepted address not yet known,
//!  seed addresses resolved          ┘   request peers from every connected peer not already asked
//!  probe result (handshake | error) ──> connected: request peers at once | error: forget address
//!  peers response (or error)        ──> probe the master it names and every peer it knows;
//!                                       a response from the master itself -> ActiveMasterFound
//!  peers request from another node  ──> probe the asker and its peers, answer with our peers
//!  deactivate(leader)               ──> forget everything; answer requests with the leader
//! ```
//!
//! Every probe carries a [`ProbeId`]; results for a forgotten or replaced peer are ignored, so
//! late answers can never resurrect a peer.
//!
//! Owns: which addresses to probe and ask, and the set of found master-eligible peers.
//! Must not: do I/O, decide bootstrapping (`cluster_bootstrap`), know the transport.

use super::cluster_bootstrap::DiscoveredPeer;
use super::peers_messages::{PeersRequest, PeersResponse};
use crate::transport::{HandshakeInfo, TransportAddress};
use quarry_cluster::DiscoveryNode;
use std::collections::BTreeMap;

/// Identifies one attempt to talk to one address.
pub type ProbeId = u64;

/// What the shell must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerFinderAction {
    /// Connect to and handshake with `address`, then call [`PeerFinder::on_probe_result`].
    Probe {
        id: ProbeId,
        address: TransportAddress,
    },
    /// Send `request` to `address` as `internal:discovery/request_peers`, then call
    /// [`PeerFinder::on_peers_response`].
    RequestPeers {
        id: ProbeId,
        address: TransportAddress,
        request: PeersRequest,
    },
    /// A peer says it is the elected master: try to join it (`onActiveMasterFound`).
    ActiveMasterFound { master: DiscoveryNode, term: u64 },
    /// The set of found master-eligible peers changed (`onFoundPeersUpdated`).
    FoundPeersUpdated,
}

#[derive(Debug, Clone)]
enum PeerState {
    /// Connect + handshake in flight.
    Probing,
    /// Handshake done.
    Connected(Box<ConnectedPeer>),
    /// The address turned out to be this node: kept so it is not probed again.
    Local,
}

#[derive(Debug, Clone)]
struct ConnectedPeer {
    handshake: HandshakeInfo,
    /// Known after the first peers response (the handshake carries no roles).
    found: Option<DiscoveredPeer>,
    request_in_flight: bool,
}

#[derive(Debug, Clone)]
struct Peer {
    id: ProbeId,
    state: PeerState,
}

/// Finds master-eligible peers. See the module documentation.
#[derive(Debug, Clone)]
pub struct PeerFinder {
    local_node: DiscoveryNode,
    initial_master_nodes: Vec<String>,
    cluster_uuid: Option<String>,
    current_term: u64,
    active: bool,
    leader: Option<DiscoveryNode>,
    last_accepted_master_addresses: Vec<TransportAddress>,
    last_resolved_addresses: Vec<TransportAddress>,
    peers: BTreeMap<TransportAddress, Peer>,
    next_id: ProbeId,
}

impl PeerFinder {
    /// An inactive finder for `local_node`, which reports `initial_master_nodes` and (once it
    /// has joined a cluster) `cluster_uuid` to the peers that ask.
    pub fn new(
        local_node: DiscoveryNode,
        initial_master_nodes: Vec<String>,
        cluster_uuid: Option<String>,
    ) -> Self {
        PeerFinder {
            local_node,
            initial_master_nodes,
            cluster_uuid,
            current_term: 0,
            active: false,
            leader: None,
            last_accepted_master_addresses: Vec::new(),
            last_resolved_addresses: Vec::new(),
            peers: BTreeMap::new(),
            next_id: 1,
        }
    }

    pub fn local_node(&self) -> &DiscoveryNode {
        &self.local_node
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    pub fn leader(&self) -> Option<&DiscoveryNode> {
        self.leader.as_ref()
    }

    pub fn current_term(&self) -> u64 {
        self.current_term
    }

    pub fn set_current_term(&mut self, term: u64) {
        self.current_term = term;
    }

    pub fn set_cluster_uuid(&mut self, cluster_uuid: Option<String>) {
        self.cluster_uuid = cluster_uuid;
    }

    /// The addresses the last seed resolution produced (for the formation warning).
    pub fn last_resolved_addresses(&self) -> &[TransportAddress] {
        &self.last_resolved_addresses
    }

    /// Starts looking for peers; `last_accepted_master_addresses` are the master-eligible nodes
    /// of the last-accepted cluster state, probed on every round.
    pub fn activate(
        &mut self,
        last_accepted_master_addresses: Vec<TransportAddress>,
    ) -> Vec<PeerFinderAction> {
        self.active = true;
        self.leader = None;
        self.peers.clear();
        self.last_accepted_master_addresses = last_accepted_master_addresses;
        let mut actions = self.on_tick();
        actions.push(PeerFinderAction::FoundPeersUpdated);
        actions
    }

    /// Stops looking: a master was found (or this node became it). Forgets every peer.
    pub fn deactivate(&mut self, leader: DiscoveryNode) -> Vec<PeerFinderAction> {
        let had_found = !self.found_peers().is_empty();
        self.active = false;
        self.peers.clear();
        self.leader = Some(leader);
        if had_found {
            vec![PeerFinderAction::FoundPeersUpdated]
        } else {
            Vec::new()
        }
    }

    /// One discovery round (`handleWakeUp`): ask every connected peer that is not already being
    /// asked, and probe the last-accepted masters and last resolved seeds not yet known.
    pub fn on_tick(&mut self) -> Vec<PeerFinderAction> {
        let mut actions = Vec::new();
        if !self.active {
            return actions;
        }
        let known = self.found_peer_nodes();
        let source_node = self.local_node.clone();
        for (address, peer) in self.peers.iter_mut() {
            if let PeerState::Connected(connected) = &mut peer.state {
                if !connected.request_in_flight {
                    connected.request_in_flight = true;
                    actions.push(PeerFinderAction::RequestPeers {
                        id: peer.id,
                        address: address.clone(),
                        request: PeersRequest {
                            source_node: source_node.clone(),
                            known_peers: known.clone(),
                        },
                    });
                }
            }
        }
        let addresses: Vec<TransportAddress> = self
            .last_accepted_master_addresses
            .iter()
            .chain(self.last_resolved_addresses.iter())
            .cloned()
            .collect();
        for address in addresses {
            self.start_probe(&address, &mut actions);
        }
        actions
    }

    /// The seed addresses of this round were resolved.
    pub fn on_seed_addresses_resolved(
        &mut self,
        addresses: Vec<TransportAddress>,
    ) -> Vec<PeerFinderAction> {
        let mut actions = Vec::new();
        self.last_resolved_addresses = addresses.clone();
        for address in addresses {
            self.start_probe(&address, &mut actions);
        }
        actions
    }

    /// The probe `id` of `address` finished.
    pub fn on_probe_result(
        &mut self,
        id: ProbeId,
        address: &TransportAddress,
        result: Result<HandshakeInfo, String>,
    ) -> Vec<PeerFinderAction> {
        let mut actions = Vec::new();
        if !self.active || !self.is_current(address, id, |s| matches!(s, PeerState::Probing)) {
            return actions;
        }
        match result {
            Err(reason) => {
                tracing::debug!("address [{address}] discovery result: {reason}");
                self.peers.remove(address);
            }
            Ok(handshake) if handshake.node_id == self.local_node.id.0 => {
                if let Some(peer) = self.peers.get_mut(address) {
                    peer.state = PeerState::Local;
                }
            }
            Ok(handshake) => {
                let request = self.peers_request();
                if let Some(peer) = self.peers.get_mut(address) {
                    peer.state = PeerState::Connected(Box::new(ConnectedPeer {
                        handshake,
                        found: None,
                        request_in_flight: true,
                    }));
                    actions.push(PeerFinderAction::RequestPeers {
                        id,
                        address: address.clone(),
                        request,
                    });
                }
            }
        }
        actions
    }

    /// The peers request `id` sent to `address` was answered (or failed).
    pub fn on_peers_response(
        &mut self,
        id: ProbeId,
        address: &TransportAddress,
        result: Result<PeersResponse, String>,
    ) -> Vec<PeerFinderAction> {
        let mut actions = Vec::new();
        if !self.active || !self.is_current(address, id, |s| matches!(s, PeerState::Connected(_))) {
            return actions;
        }
        let response = match result {
            Ok(response) => response,
            Err(reason) => {
                tracing::debug!("address [{address}] peers request failed: {reason}");
                // Without connection tracking a failed request counts as a lost connection:
                // forget the peer; seeds and other peers will bring it back.
                let was_found = self.found_at(address);
                self.peers.remove(address);
                if was_found {
                    actions.push(PeerFinderAction::FoundPeersUpdated);
                }
                return actions;
            }
        };
        let responder = response.responder.clone();
        if !responder.is_master_eligible() {
            // Elasticsearch's probe refuses such a node: discovery only tracks masters.
            tracing::debug!(
                "address [{address}] node [{}] is not master-eligible",
                responder.name
            );
            let was_found = self.found_at(address);
            self.peers.remove(address);
            if was_found {
                actions.push(PeerFinderAction::FoundPeersUpdated);
            }
            return actions;
        }
        let mut changed = false;
        if let Some(Peer {
            state: PeerState::Connected(connected),
            ..
        }) = self.peers.get_mut(address)
        {
            connected.request_in_flight = false;
            let found = &mut connected.found;
            let new_found = DiscoveredPeer {
                node: responder.clone(),
                initial_master_nodes: response.initial_master_nodes.clone(),
                cluster_uuid: response.cluster_uuid.clone(),
            };
            changed = found.as_ref() != Some(&new_found);
            *found = Some(new_found);
        }
        if changed {
            actions.push(PeerFinderAction::FoundPeersUpdated);
        }
        if let Some(master) = &response.master_node {
            self.start_probe(&master.transport_address, &mut actions);
        }
        for node in &response.known_peers {
            self.start_probe(&node.transport_address, &mut actions);
        }
        if response.master_node.as_ref() == Some(&responder) {
            actions.push(PeerFinderAction::ActiveMasterFound {
                master: responder,
                term: response.term,
            });
        }
        actions
    }

    /// Answers another node's peers request (`handlePeersRequest`), probing the asker (when it is
    /// master-eligible) and the peers it knows.
    pub fn handle_peers_request(
        &mut self,
        request: &PeersRequest,
    ) -> (PeersResponse, Vec<PeerFinderAction>) {
        let mut actions = Vec::new();
        let known_peers = if self.active {
            if request.source_node.is_master_eligible() {
                self.start_probe(&request.source_node.transport_address, &mut actions);
            }
            for node in &request.known_peers {
                self.start_probe(&node.transport_address, &mut actions);
            }
            self.found_peer_nodes()
        } else {
            Vec::new()
        };
        let response = PeersResponse {
            responder: self.local_node.clone(),
            master_node: if self.active {
                None
            } else {
                self.leader.clone()
            },
            known_peers,
            term: self.current_term,
            initial_master_nodes: self.initial_master_nodes.clone(),
            cluster_uuid: self.cluster_uuid.clone(),
        };
        (response, actions)
    }

    /// The master-eligible peers found so far, with what they reported about bootstrapping.
    pub fn found_peers(&self) -> Vec<DiscoveredPeer> {
        let mut out: Vec<DiscoveredPeer> = Vec::new();
        for peer in self.peers.values() {
            if let PeerState::Connected(connected) = &peer.state {
                let Some(found) = &connected.found else {
                    continue;
                };
                if !out.iter().any(|p| p.node.id == found.node.id) {
                    out.push(found.clone());
                }
            }
        }
        out
    }

    /// The master-eligible nodes found so far.
    pub fn found_peer_nodes(&self) -> Vec<DiscoveryNode> {
        self.found_peers().into_iter().map(|p| p.node).collect()
    }

    /// The handshake of the peer at `address`, once connected.
    pub fn handshake_of(&self, address: &TransportAddress) -> Option<&HandshakeInfo> {
        match self.peers.get(address) {
            Some(Peer {
                state: PeerState::Connected(connected),
                ..
            }) => Some(&connected.handshake),
            _ => None,
        }
    }

    /// Every address currently tracked (probing, connected or local).
    pub fn tracked_addresses(&self) -> Vec<TransportAddress> {
        self.peers.keys().cloned().collect()
    }

    fn peers_request(&self) -> PeersRequest {
        PeersRequest {
            source_node: self.local_node.clone(),
            known_peers: self.found_peer_nodes(),
        }
    }

    fn found_at(&self, address: &TransportAddress) -> bool {
        matches!(
            self.peers.get(address),
            Some(Peer {
                state: PeerState::Connected(connected),
                ..
            }) if connected.found.is_some()
        )
    }

    fn is_current(
        &self,
        address: &TransportAddress,
        id: ProbeId,
        state: impl Fn(&PeerState) -> bool,
    ) -> bool {
        self.peers
            .get(address)
            .is_some_and(|p| p.id == id && state(&p.state))
    }

    fn start_probe(&mut self, address: &TransportAddress, actions: &mut Vec<PeerFinderAction>) {
        if !self.active
            || address.is_empty()
            || *address == self.local_node.transport_address
            || self.peers.contains_key(address)
        {
            return;
        }
        let id = self.next_id;
        self.next_id += 1;
        self.peers.insert(
            address.clone(),
            Peer {
                id,
                state: PeerState::Probing,
            },
        );
        actions.push(PeerFinderAction::Probe {
            id,
            address: address.clone(),
        });
    }
}
