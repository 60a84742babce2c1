use super::cluster_bootstrap::DiscoveredPeer;
use super::peer_finder::{PeerFinder, PeerFinderAction, ProbeId};
use super::peers_messages::{PeersRequest, PeersResponse};
use crate::transport::{HandshakeInfo, PROTOCOL_VERSION};
use quarry_cluster::DiscoveryNode;
use quarry_types::NodeId;

fn node(n: u8, master: bool) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(format!("id-{n}")),
        name: format!("node-{n}"),
        ephemeral_id: format!("eph-{n}"),
        transport_address: addr(n),
        http_address: String::new(),
        roles: if master {
            ["master", "data"].iter().map(|s| s.to_string()).collect()
        } else {
            ["data"].iter().map(|s| s.to_string()).collect()
        },
        attributes: Default::default(),
    }
}

fn addr(n: u8) -> String {
    format!("10.0.0.{n}:9300")
}

fn handshake(n: u8) -> HandshakeInfo {
    HandshakeInfo {
        cluster_name: "c".into(),
        cluster_uuid: None,
        protocol_version: PROTOCOL_VERSION,
        node_id: format!("id-{n}"),
        node_name: format!("node-{n}"),
        transport_address: addr(n),
    }
}

fn response(n: u8, known: &[u8], master: Option<u8>) -> PeersResponse {
    PeersResponse {
        responder: node(n, true),
        master_node: master.map(|m| node(m, true)),
        known_peers: known.iter().map(|k| node(*k, true)).collect(),
        term: 5,
        initial_master_nodes: vec!["node-1".into()],
        cluster_uuid: None,
    }
}

fn finder() -> PeerFinder {
    PeerFinder::new(node(1, true), vec!["node-1".into()], None)
}

fn probes(actions: &[PeerFinderAction]) -> Vec<(ProbeId, String)> {
    actions
        .iter()
        .filter_map(|a| match a {
            PeerFinderAction::Probe { id, address } => Some((*id, address.clone())),
            _ => None,
        })
        .collect()
}

fn requests(actions: &[PeerFinderAction]) -> Vec<(ProbeId, String, PeersRequest)> {
    actions
        .iter()
        .filter_map(|a| match a {
            PeerFinderAction::RequestPeers {
                id,
                address,
                request,
            } => Some((*id, address.clone(), request.clone())),
            _ => None,
        })
        .collect()
}

/// Activates, resolves `seeds`, and completes the probe and the first peers request of each.
fn connect(f: &mut PeerFinder, seeds: &[u8]) -> Vec<PeerFinderAction> {
    f.activate(Vec::new());
    let actions = f.on_seed_addresses_resolved(seeds.iter().map(|s| addr(*s)).collect());
    let mut out = Vec::new();
    for (id, address) in probes(&actions) {
        let n: u8 = address[7..8].parse().unwrap();
        let after_probe = f.on_probe_result(id, &address, Ok(handshake(n)));
        for (rid, raddress, _) in requests(&after_probe) {
            out.extend(f.on_peers_response(rid, &raddress, Ok(response(n, &[], None))));
        }
    }
    out
}

#[test]
fn inactive_finder_does_nothing() {
    let mut f = finder();
    assert!(f.on_tick().is_empty());
    assert!(f.on_seed_addresses_resolved(vec![addr(2)]).is_empty());
    assert!(f.found_peers().is_empty());
}

#[test]
fn seeds_are_probed_once_and_never_the_local_address() {
    let mut f = finder();
    f.activate(Vec::new());
    let actions = f.on_seed_addresses_resolved(vec![addr(1), addr(2), addr(3), addr(2)]);
    let probed: Vec<String> = probes(&actions).into_iter().map(|(_, a)| a).collect();
    assert_eq!(probed, vec![addr(2), addr(3)]);
    // A probe is still in flight: the next round does not probe again.
    assert!(probes(&f.on_tick()).is_empty());
    assert!(probes(&f.on_seed_addresses_resolved(vec![addr(2)])).is_empty());
}

#[test]
fn last_accepted_masters_are_probed_on_activation_and_every_round() {
    let mut f = finder();
    let actions = f.activate(vec![addr(4)]);
    assert_eq!(probes(&actions).len(), 1);
    let (id, address) = probes(&actions)[0].clone();
    f.on_probe_result(id, &address, Err("connection refused".into()));
    assert_eq!(probes(&f.on_tick()), vec![(id + 1, addr(4))]);
}

#[test]
fn a_connected_peer_is_asked_for_its_peers_and_they_are_probed() {
    let mut f = finder();
    f.activate(Vec::new());
    let (id, address) = probes(&f.on_seed_addresses_resolved(vec![addr(2)]))[0].clone();
    let actions = f.on_probe_result(id, &address, Ok(handshake(2)));
    let reqs = requests(&actions);
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].2.source_node, node(1, true));
    assert!(
        f.found_peers().is_empty(),
        "roles are only known from the response"
    );

    let actions = f.on_peers_response(id, &address, Ok(response(2, &[3, 1], None)));
    assert!(actions.contains(&PeerFinderAction::FoundPeersUpdated));
    assert_eq!(
        probes(&actions)
            .into_iter()
            .map(|(_, a)| a)
            .collect::<Vec<_>>(),
        vec![addr(3)],
        "the local node is never probed"
    );
    assert_eq!(
        f.found_peers(),
        vec![DiscoveredPeer {
            node: node(2, true),
            initial_master_nodes: vec!["node-1".into()],
            cluster_uuid: None,
        }]
    );
    assert_eq!(f.handshake_of(&addr(2)), Some(&handshake(2)));
}

#[test]
fn each_round_asks_again_but_never_twice_at_once() {
    let mut f = finder();
    connect(&mut f, &[2]);
    let first = requests(&f.on_tick());
    assert_eq!(first.len(), 1);
    assert!(requests(&f.on_tick()).is_empty(), "request still in flight");
    let (id, address, request) = first[0].clone();
    assert_eq!(request.known_peers, vec![node(2, true)]);
    f.on_peers_response(id, &address, Ok(response(2, &[], None)));
    assert_eq!(requests(&f.on_tick()).len(), 1);
}

#[test]
fn failed_probe_forgets_the_address_until_it_is_seen_again() {
    let mut f = finder();
    f.activate(Vec::new());
    let (id, address) = probes(&f.on_seed_addresses_resolved(vec![addr(2)]))[0].clone();
    assert!(f
        .on_probe_result(id, &address, Err("connect_exception".into()))
        .is_empty());
    assert!(f.tracked_addresses().is_empty());
    let again = probes(&f.on_seed_addresses_resolved(vec![addr(2)]));
    assert_eq!(again.len(), 1);
    assert_ne!(again[0].0, id, "a new attempt gets a new id");
}

#[test]
fn stale_results_are_ignored() {
    let mut f = finder();
    f.activate(Vec::new());
    let (old, address) = probes(&f.on_seed_addresses_resolved(vec![addr(2)]))[0].clone();
    f.on_probe_result(old, &address, Err("timeout".into()));
    let (new, _) = probes(&f.on_seed_addresses_resolved(vec![addr(2)]))[0].clone();
    // The late success of the first attempt must not connect the second.
    assert!(f
        .on_probe_result(old, &address, Ok(handshake(2)))
        .is_empty());
    assert!(f.handshake_of(&address).is_none());
    assert_eq!(
        requests(&f.on_probe_result(new, &address, Ok(handshake(2)))).len(),
        1
    );
    // A peers response for the old id is ignored too.
    assert!(f
        .on_peers_response(old, &address, Ok(response(2, &[3], None)))
        .is_empty());
    assert!(f.found_peers().is_empty());
}

#[test]
fn non_master_eligible_nodes_are_not_found_peers() {
    let mut f = finder();
    f.activate(Vec::new());
    let (id, address) = probes(&f.on_seed_addresses_resolved(vec![addr(2)]))[0].clone();
    f.on_probe_result(id, &address, Ok(handshake(2)));
    let mut r = response(2, &[3], None);
    r.responder = node(2, false);
    let actions = f.on_peers_response(id, &address, Ok(r));
    assert!(
        probes(&actions).is_empty(),
        "its peers are not trusted either"
    );
    assert!(f.found_peers().is_empty());
    assert!(f.tracked_addresses().is_empty());
}

#[test]
fn an_address_that_is_the_local_node_is_kept_quiet() {
    let mut f = finder();
    f.activate(Vec::new());
    let alias = "127.0.0.1:9300".to_string();
    let (id, _) = probes(&f.on_seed_addresses_resolved(vec![alias.clone()]))[0].clone();
    assert!(f.on_probe_result(id, &alias, Ok(handshake(1))).is_empty());
    assert!(f.on_tick().is_empty(), "neither asked nor probed again");
    assert!(f.found_peers().is_empty());
}

#[test]
fn a_response_from_the_master_itself_reports_it() {
    let mut f = finder();
    f.activate(Vec::new());
    let (id, address) = probes(&f.on_seed_addresses_resolved(vec![addr(2)]))[0].clone();
    f.on_probe_result(id, &address, Ok(handshake(2)));
    let actions = f.on_peers_response(id, &address, Ok(response(2, &[], Some(2))));
    assert!(actions.contains(&PeerFinderAction::ActiveMasterFound {
        master: node(2, true),
        term: 5
    }));
}

#[test]
fn a_response_naming_another_master_probes_it() {
    let mut f = finder();
    f.activate(Vec::new());
    let (id, address) = probes(&f.on_seed_addresses_resolved(vec![addr(2)]))[0].clone();
    f.on_probe_result(id, &address, Ok(handshake(2)));
    let actions = f.on_peers_response(id, &address, Ok(response(2, &[], Some(3))));
    assert_eq!(probes(&actions)[0].1, addr(3));
    assert!(!actions
        .iter()
        .any(|a| matches!(a, PeerFinderAction::ActiveMasterFound { .. })));
}

#[test]
fn a_failed_peers_request_forgets_the_peer() {
    let mut f = finder();
    connect(&mut f, &[2]);
    let (id, address, _) = requests(&f.on_tick())[0].clone();
    let actions = f.on_peers_response(id, &address, Err("node_disconnected_exception".into()));
    assert_eq!(actions, vec![PeerFinderAction::FoundPeersUpdated]);
    assert!(f.found_peers().is_empty());
}

#[test]
fn peers_requests_are_answered_with_found_peers_and_the_asker_is_probed() {
    let mut f = finder();
    connect(&mut f, &[2]);
    f.set_current_term(7);
    let request = PeersRequest {
        source_node: node(3, true),
        known_peers: vec![node(4, true), node(1, true)],
    };
    let (response, actions) = f.handle_peers_request(&request);
    assert_eq!(response.responder, node(1, true));
    assert_eq!(response.master_node, None);
    assert_eq!(response.known_peers, vec![node(2, true)]);
    assert_eq!(response.term, 7);
    assert_eq!(response.initial_master_nodes, vec!["node-1".to_string()]);
    let probed: Vec<String> = probes(&actions).into_iter().map(|(_, a)| a).collect();
    assert_eq!(probed, vec![addr(3), addr(4)]);

    // A coordinating-only asker is not probed back.
    let request = PeersRequest {
        source_node: node(5, false),
        known_peers: vec![],
    };
    assert!(f.handle_peers_request(&request).1.is_empty());
}

#[test]
fn deactivated_finder_answers_with_its_leader_and_ignores_late_results() {
    let mut f = finder();
    connect(&mut f, &[2]);
    let (id, address, _) = requests(&f.on_tick())[0].clone();
    let actions = f.deactivate(node(2, true));
    assert_eq!(actions, vec![PeerFinderAction::FoundPeersUpdated]);
    assert!(f.found_peers().is_empty());
    assert!(f
        .on_peers_response(id, &address, Ok(response(2, &[3], None)))
        .is_empty());
    let (response, actions) = f.handle_peers_request(&PeersRequest {
        source_node: node(3, true),
        known_peers: vec![node(4, true)],
    });
    assert!(actions.is_empty());
    assert_eq!(response.master_node, Some(node(2, true)));
    assert!(response.known_peers.is_empty());
    assert!(f.on_tick().is_empty());
}

#[test]
fn peers_messages_round_trip_through_postcard() {
    let request = PeersRequest {
        source_node: node(1, true),
        known_peers: vec![node(2, true)],
    };
    assert_eq!(
        PeersRequest::decode(&request.encode().unwrap()).unwrap(),
        request
    );
    let mut r = response(2, &[3], Some(2));
    r.cluster_uuid = Some("uuid".into());
    assert_eq!(PeersResponse::decode(&r.encode().unwrap()).unwrap(), r);
    assert!(PeersResponse::decode(&[1, 2, 3]).is_err());
}
