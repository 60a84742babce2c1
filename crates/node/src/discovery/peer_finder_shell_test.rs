//! The shell over a tiny in-process fake of the `Transport` trait (written here on purpose: the
//! real in-memory transport is developed separately).

use super::peer_finder::PeerFinder;
use super::peer_finder_shell::*;
use super::peers_messages::REQUEST_PEERS_ACTION;
use crate::transport::{
    BoxFuture, HandshakeInfo, RequestHandler, Transport, TransportAddress, TransportError,
    PROTOCOL_VERSION,
};
use bytes::Bytes;
use parking_lot::Mutex;
use quarry_cluster::DiscoveryNode;
use quarry_types::NodeId;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

type Registry = Arc<Mutex<HashMap<TransportAddress, (HandshakeInfo, Arc<dyn RequestHandler>)>>>;

struct FakeTransport {
    local: TransportAddress,
    registry: Registry,
}

impl Transport for FakeTransport {
    fn send(
        &self,
        target: &TransportAddress,
        action: &str,
        payload: Bytes,
        _timeout: Duration,
    ) -> BoxFuture<'static, Result<Bytes, TransportError>> {
        let entry = self.registry.lock().get(target).cloned();
        let target = target.clone();
        let action = action.to_string();
        Box::pin(async move {
            let (_, handler) = entry.ok_or_else(|| TransportError::ConnectFailed {
                address: target.clone(),
                reason: "connection refused".into(),
            })?;
            handler
                .handle(action.clone(), payload)
                .await
                .map_err(|message| TransportError::Remote {
                    address: target,
                    action,
                    message,
                })
        })
    }

    fn local_address(&self) -> TransportAddress {
        self.local.clone()
    }

    fn handshake(
        &self,
        target: &TransportAddress,
        _timeout: Duration,
    ) -> BoxFuture<'static, Result<HandshakeInfo, TransportError>> {
        let entry = self
            .registry
            .lock()
            .get(target)
            .map(|(info, _)| info.clone());
        let target = target.clone();
        Box::pin(async move {
            entry.ok_or(TransportError::ConnectFailed {
                address: target,
                reason: "connection refused".into(),
            })
        })
    }
}

/// Dispatches `internal:discovery/request_peers` to the node's discovery task.
struct DiscoveryHandler(Arc<OnceLock<PeerFinderHandle>>);

impl RequestHandler for DiscoveryHandler {
    fn handle(&self, action: String, payload: Bytes) -> BoxFuture<'static, Result<Bytes, String>> {
        let handle = self.0.get().cloned();
        Box::pin(async move {
            match (action.as_str(), handle) {
                (REQUEST_PEERS_ACTION, Some(handle)) => {
                    handle_request_peers(&handle, payload).await
                }
                _ => Err(crate::transport::action_not_found_message(&action)),
            }
        })
    }
}

fn node(n: u8) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(format!("id-{n}")),
        name: format!("node-{n}"),
        ephemeral_id: String::new(),
        transport_address: format!("10.0.0.{n}:9300"),
        http_address: String::new(),
        roles: ["master"].iter().map(|s| s.to_string()).collect(),
        attributes: Default::default(),
    }
}

struct TestNode {
    handle: PeerFinderHandle,
    masters: tokio::sync::mpsc::UnboundedReceiver<ActiveMasterFound>,
    handler: Arc<dyn RequestHandler>,
    info: HandshakeInfo,
}

/// Starts node `n` seeded with `seeds`; `register` puts it on the fake network at once.
fn start(registry: &Registry, n: u8, seeds: &[u8], register: bool) -> TestNode {
    let local = node(n);
    let info = HandshakeInfo {
        cluster_name: "test".into(),
        cluster_uuid: None,
        protocol_version: PROTOCOL_VERSION,
        node_id: local.id.0.clone(),
        node_name: local.name.clone(),
        transport_address: local.transport_address.clone(),
    };
    let transport = Arc::new(FakeTransport {
        local: local.transport_address.clone(),
        registry: registry.clone(),
    });
    let seeds: Vec<TransportAddress> = seeds.iter().map(|s| node(*s).transport_address).collect();
    let resolver: SeedAddressesResolver = Arc::new(move || {
        let seeds = seeds.clone();
        Box::pin(async move { seeds })
    });
    let finder = PeerFinder::new(local, vec![format!("node-{n}")], None);
    let timings = PeerFinderTimings {
        find_peers_interval: Duration::from_secs(1),
        probe_timeout: Duration::from_secs(4),
        request_peers_timeout: Duration::from_secs(3),
    };
    let (handle, masters) = PeerFinderShell::spawn(finder, transport, resolver, timings);
    let slot = Arc::new(OnceLock::new());
    let _ = slot.set(handle.clone());
    let handler: Arc<dyn RequestHandler> = Arc::new(DiscoveryHandler(slot));
    let test_node = TestNode {
        handle,
        masters,
        handler,
        info,
    };
    if register {
        add_to_network(registry, &test_node);
    }
    test_node
}

fn add_to_network(registry: &Registry, n: &TestNode) {
    registry.lock().insert(
        n.info.transport_address.clone(),
        (n.info.clone(), n.handler.clone()),
    );
}

async fn wait_until_found(handle: &PeerFinderHandle, name: &str) {
    let mut status = handle.subscribe();
    let found = tokio::time::timeout(
        Duration::from_secs(60),
        status.wait_for(|s| s.found_peers.iter().any(|p| p.node.name == name)),
    )
    .await;
    assert!(found.is_ok(), "[{name}] not found: {:?}", handle.status());
}

#[tokio::test(start_paused = true)]
async fn two_nodes_find_each_other_from_one_seed() {
    let registry: Registry = Default::default();
    let a = start(&registry, 1, &[2], true);
    let b = start(&registry, 2, &[], true);
    a.handle.activate(Vec::new());
    b.handle.activate(Vec::new());
    wait_until_found(&a.handle, "node-2").await;
    // B has no seeds: it learns A because A's peers request makes it probe A back.
    wait_until_found(&b.handle, "node-1").await;
    let status = b.handle.status();
    assert!(status.active);
    assert_eq!(status.found_peers.len(), 1);
    assert_eq!(status.found_peers[0].initial_master_nodes, vec!["node-1"]);
    assert_eq!(
        a.handle.status().last_resolved_addresses,
        vec!["10.0.0.2:9300"]
    );
}

#[tokio::test(start_paused = true)]
async fn peers_are_shared_transitively() {
    let registry: Registry = Default::default();
    let a = start(&registry, 1, &[2], true);
    let b = start(&registry, 2, &[3], true);
    let c = start(&registry, 3, &[], true);
    for n in [&a, &b, &c] {
        n.handle.activate(Vec::new());
    }
    // A only knows B's address; B tells it about C.
    wait_until_found(&a.handle, "node-3").await;
    wait_until_found(&c.handle, "node-1").await;
}

#[tokio::test(start_paused = true)]
async fn a_node_started_later_is_found_by_retrying() {
    let registry: Registry = Default::default();
    let a = start(&registry, 1, &[2], true);
    let b = start(&registry, 2, &[], false);
    a.handle.activate(Vec::new());
    b.handle.activate(Vec::new());
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(a.handle.status().found_peers.is_empty());
    add_to_network(&registry, &b);
    wait_until_found(&a.handle, "node-2").await;
}

#[tokio::test(start_paused = true)]
async fn an_elected_master_is_reported() {
    let registry: Registry = Default::default();
    let mut a = start(&registry, 1, &[2], true);
    let b = start(&registry, 2, &[], true);
    b.handle.set_current_term(4);
    b.handle.deactivate(node(2)); // B is the elected master
    a.handle.activate(Vec::new());
    let found = tokio::time::timeout(Duration::from_secs(60), a.masters.recv()).await;
    assert_eq!(
        found.ok().flatten(),
        Some(ActiveMasterFound {
            master: node(2),
            term: 4
        })
    );
    a.handle.deactivate(node(2));
    let mut status = a.handle.subscribe();
    let inactive =
        tokio::time::timeout(Duration::from_secs(60), status.wait_for(|s| !s.active)).await;
    assert!(inactive.is_ok());
    assert!(a.handle.status().found_peers.is_empty());
}

#[tokio::test(start_paused = true)]
async fn request_peers_handler_rejects_garbage_and_answers_requests() {
    let registry: Registry = Default::default();
    let a = start(&registry, 1, &[], true);
    let err = handle_request_peers(&a.handle, Bytes::from_static(&[0xff, 0xff]))
        .await
        .unwrap_err();
    assert!(err.contains("illegal_argument_exception"), "{err}");

    a.handle.activate(Vec::new());
    let request = super::peers_messages::PeersRequest {
        source_node: node(7),
        known_peers: vec![],
    };
    let bytes = handle_request_peers(&a.handle, Bytes::from(request.encode().unwrap()))
        .await
        .unwrap();
    let response = super::peers_messages::PeersResponse::decode(&bytes).unwrap();
    assert_eq!(response.responder, node(1));
    assert_eq!(response.master_node, None);
}
