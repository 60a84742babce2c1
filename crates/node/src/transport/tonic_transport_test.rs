use super::*;
use crate::transport::tonic_transport_server::{parse_port_range, TonicTransportServer};
use crate::transport::transport_actions::action_not_found_message;
use crate::transport::{RequestHandler, PROTOCOL_VERSION};
use std::time::Instant;

/// Echoes `echo` (prefixed with the node name), fails `fail`, never answers `hang`.
struct TestHandler {
    name: &'static str,
}

impl RequestHandler for TestHandler {
    fn handle(&self, action: String, payload: Bytes) -> BoxFuture<'static, Result<Bytes, String>> {
        let name = self.name;
        Box::pin(async move {
            match action.as_str() {
                "echo" => {
                    let mut reply = format!("{name}:").into_bytes();
                    reply.extend_from_slice(&payload);
                    Ok(Bytes::from(reply))
                }
                "fail" => Err("illegal_argument_exception: boom".to_string()),
                "hang" => std::future::pending().await,
                other => Err(action_not_found_message(other)),
            }
        })
    }
}

fn info(name: &str, cluster_name: &str) -> HandshakeInfo {
    HandshakeInfo {
        cluster_name: cluster_name.into(),
        cluster_uuid: None,
        protocol_version: PROTOCOL_VERSION,
        node_id: format!("id-{name}"),
        node_name: name.into(),
        transport_address: String::new(),
    }
}

async fn start(name: &'static str, cluster_name: &str) -> TonicTransportServer {
    TonicTransportServer::bind(
        "127.0.0.1",
        "0",
        Arc::new(TestHandler { name }),
        info(name, cluster_name),
    )
    .await
    .expect("bind")
}

const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn two_nodes_round_trip_actions() {
    let a = start("a", "quarry").await;
    let b = start("b", "quarry").await;
    let (to_a, to_b) = (a.publish_address(), b.publish_address());
    assert_eq!(to_b, b.bound_address().to_string());
    let (from_a, from_b) = (a.transport(), b.transport());
    assert_eq!(from_a.local_address(), to_a);

    let reply = from_a
        .send(&to_b, "echo", Bytes::from_static(b"hi"), TIMEOUT)
        .await;
    assert_eq!(reply, Ok(Bytes::from_static(b"b:hi")));
    let reply = from_b
        .send(&to_a, "echo", Bytes::from_static(b"yo"), TIMEOUT)
        .await;
    assert_eq!(reply, Ok(Bytes::from_static(b"a:yo")));

    let remote = from_a.handshake(&to_b, TIMEOUT).await.expect("handshake");
    assert_eq!(remote.node_name, "b");
    assert_eq!(remote.transport_address, to_b);

    // Concurrent requests share the pooled connection.
    let replies = futures::future::join_all(
        (0..20).map(|i| from_a.send(&to_b, "echo", Bytes::from(format!("{i}")), TIMEOUT)),
    )
    .await;
    for (i, reply) in replies.into_iter().enumerate() {
        assert_eq!(reply, Ok(Bytes::from(format!("b:{i}"))));
    }

    let failed = from_a.send(&to_b, "fail", Bytes::new(), TIMEOUT).await;
    assert!(
        matches!(&failed, Err(TransportError::Remote { message, .. }) if message.contains("boom")),
        "{failed:?}"
    );
}

#[tokio::test]
async fn unknown_action_is_action_not_found() {
    let a = start("a", "quarry").await;
    let b = start("b", "quarry").await;
    let to_b = b.publish_address();
    let result = a
        .transport()
        .send(&to_b, "internal:nope", Bytes::new(), TIMEOUT)
        .await;
    assert_eq!(
        result,
        Err(TransportError::ActionNotFound {
            address: to_b,
            action: "internal:nope".into()
        })
    );
}

#[tokio::test]
async fn handshake_refuses_another_cluster_name() {
    let a = start("a", "quarry").await;
    let stranger = start("stranger", "elsewhere").await;
    let to_stranger = stranger.publish_address();
    let transport = a.transport();
    let refused = transport
        .send(&to_stranger, "echo", Bytes::new(), TIMEOUT)
        .await;
    assert!(
        matches!(&refused, Err(TransportError::HandshakeRefused { reason, .. }) if reason.contains("[elsewhere]") || reason.contains("[quarry]")),
        "{refused:?}"
    );
    let refused = transport.handshake(&to_stranger, TIMEOUT).await;
    assert!(matches!(
        refused,
        Err(TransportError::HandshakeRefused { .. })
    ));
}

#[tokio::test]
async fn server_checks_every_request_against_the_current_cluster_uuid() {
    let a = start("a", "quarry").await;
    let b = start("b", "quarry").await;
    let (transport, to_b) = (a.transport(), b.publish_address());
    assert!(transport
        .send(&to_b, "echo", Bytes::new(), TIMEOUT)
        .await
        .is_ok());
    // Both learn different cluster UUIDs after the connection's handshake: the server refuses.
    a.set_cluster_uuid(Some("uuid-1".into()));
    b.set_cluster_uuid(Some("uuid-2".into()));
    let refused = transport.send(&to_b, "echo", Bytes::new(), TIMEOUT).await;
    assert!(
        matches!(&refused, Err(TransportError::HandshakeRefused { reason, .. }) if reason.contains("cluster uuid")),
        "{refused:?}"
    );
    b.set_cluster_uuid(Some("uuid-1".into()));
    assert!(transport
        .send(&to_b, "echo", Bytes::new(), TIMEOUT)
        .await
        .is_ok());
}

#[tokio::test]
async fn stopped_server_fails_fast() {
    let a = start("a", "quarry").await;
    let b = start("b", "quarry").await;
    let (transport, to_b) = (a.transport(), b.publish_address());
    assert!(transport
        .send(&to_b, "echo", Bytes::new(), TIMEOUT)
        .await
        .is_ok());
    b.stop().await;

    let started = Instant::now();
    let result = transport
        .send(&to_b, "echo", Bytes::new(), Duration::from_secs(30))
        .await;
    assert!(
        matches!(
            result,
            Err(TransportError::ConnectFailed { .. } | TransportError::Disconnected { .. })
        ),
        "{result:?}"
    );
    // Then the pool reconnects, and the connection is refused.
    let result = transport
        .send(&to_b, "echo", Bytes::new(), Duration::from_secs(30))
        .await;
    assert!(
        matches!(result, Err(TransportError::ConnectFailed { .. })),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn stopping_fails_requests_in_flight() {
    let a = start("a", "quarry").await;
    let b = start("b", "quarry").await;
    let (transport, to_b) = (a.transport(), b.publish_address());
    let in_flight =
        tokio::spawn(transport.send(&to_b, "hang", Bytes::new(), Duration::from_secs(30)));
    // The request is in flight once the handshake is done and the server has it; a short
    // pause lets it reach the hanging handler (the assertion does not depend on its length).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    b.stop().await;
    let result = in_flight.await.expect("task");
    assert!(
        matches!(result, Err(TransportError::Disconnected { .. })),
        "{result:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_new_node_at_a_known_address_gets_a_new_handshake() {
    let a = start("a", "quarry").await;
    let b = start("b", "quarry").await;
    let (transport, to_b) = (a.transport(), b.publish_address());
    assert!(transport
        .send(&to_b, "echo", Bytes::new(), TIMEOUT)
        .await
        .is_ok());
    // b restarts under a new node id, on the same port; the pooled channel reconnects by itself.
    let port = b.bound_address().port().to_string();
    b.stop().await;
    let mut reborn_info = info("b2", "quarry");
    reborn_info.transport_address = to_b.clone();
    let reborn = TonicTransportServer::bind(
        "127.0.0.1",
        &port,
        Arc::new(TestHandler { name: "b2" }),
        reborn_info,
    )
    .await
    .expect("rebind");
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.push(transport.send(&to_b, "echo", Bytes::new(), TIMEOUT).await);
        if outcomes.last().is_some_and(Result::is_ok) {
            break;
        }
    }
    // Whatever failed on the way, the request that succeeded went to the new node, after a
    // new handshake, and no request was answered by b2 while the connection still meant b.
    assert_eq!(
        outcomes.last(),
        Some(&Ok(Bytes::from_static(b"b2:"))),
        "{outcomes:?}"
    );
    for failure in &outcomes[..outcomes.len() - 1] {
        assert!(
            matches!(
                failure,
                Err(TransportError::Disconnected { .. } | TransportError::ConnectFailed { .. })
            ),
            "{failure:?}"
        );
    }
    let remote = transport
        .handshake(&to_b, TIMEOUT)
        .await
        .expect("handshake");
    assert_eq!(remote.node_id, "id-b2");
    drop(reborn);
}

#[tokio::test]
async fn server_refuses_a_request_meant_for_another_node_id() {
    let b = start("b", "quarry").await;
    let mut client = NodeTransportClient::connect(format!("http://{}", b.publish_address()))
        .await
        .expect("connect");
    let send = |target_node_id: &str| {
        let mut request = tonic::Request::new(proto::TransportRequest {
            action: "echo".into(),
            payload: Bytes::new(),
        });
        let handshake =
            prost::Message::encode_to_vec(&proto::HandshakeInfo::from(&info("a", "quarry")));
        let metadata = request.metadata_mut();
        metadata.insert_bin(
            HANDSHAKE_METADATA_KEY,
            tonic::metadata::MetadataValue::from_bytes(&handshake),
        );
        metadata.insert_bin(
            TARGET_NODE_ID_METADATA_KEY,
            tonic::metadata::MetadataValue::from_bytes(target_node_id.as_bytes()),
        );
        request
    };
    let refused = client.send(send("id-old-b")).await.expect_err("refused");
    assert_eq!(refused.code(), Code::Aborted);
    let mapped = transport_error_from_status("b", "echo", TIMEOUT, &refused);
    assert!(matches!(mapped, TransportError::Disconnected { .. }));
    assert!(client.send(send("id-b")).await.is_ok());
}

#[tokio::test]
async fn slow_handler_times_out_and_the_connection_stays_usable() {
    let a = start("a", "quarry").await;
    let b = start("b", "quarry").await;
    let (transport, to_b) = (a.transport(), b.publish_address());
    let timeout = Duration::from_millis(300);
    let result = transport.send(&to_b, "hang", Bytes::new(), timeout).await;
    assert_eq!(
        result,
        Err(TransportError::Timeout {
            address: to_b.clone(),
            action: "hang".into(),
            timeout
        })
    );
    assert!(transport
        .send(&to_b, "echo", Bytes::new(), TIMEOUT)
        .await
        .is_ok());
}

#[tokio::test]
async fn binds_the_first_free_port_of_a_range() {
    let first = start("a", "quarry").await;
    let port = first.bound_address().port();
    let range = format!("{port}-{}", port.saturating_add(20));
    let second = TonicTransportServer::bind(
        "127.0.0.1",
        &range,
        Arc::new(TestHandler { name: "b" }),
        info("b", "quarry"),
    )
    .await
    .expect("bind in range");
    let second_port = second.bound_address().port();
    assert!(second_port > port && second_port <= port.saturating_add(20));
    let busy = TonicTransportServer::bind(
        "127.0.0.1",
        &port.to_string(),
        Arc::new(TestHandler { name: "c" }),
        info("c", "quarry"),
    )
    .await;
    assert!(busy.is_err());
}

#[test]
fn parses_port_ranges() {
    assert_eq!(parse_port_range("9300").ok(), Some(9300..=9300));
    assert_eq!(parse_port_range("9300-9400").ok(), Some(9300..=9400));
    assert!(parse_port_range("9400-9300").is_err());
    assert!(parse_port_range("http").is_err());
    assert!(parse_port_range("70000").is_err());
}

#[test]
fn maps_statuses_to_transport_errors() {
    let map = |status: Status| transport_error_from_status("n:1", "x", TIMEOUT, &status);
    assert!(matches!(
        map(Status::failed_precondition("handshake failed")),
        TransportError::HandshakeRefused { .. }
    ));
    assert!(matches!(
        map(Status::deadline_exceeded("")),
        TransportError::Timeout { .. }
    ));
    assert!(matches!(
        map(Status::unimplemented("")),
        TransportError::ActionNotFound { .. }
    ));
    assert!(matches!(
        map(Status::unavailable("")),
        TransportError::Disconnected { .. }
    ));
    assert!(matches!(
        map(Status::cancelled("closed")),
        TransportError::Disconnected { .. }
    ));
    assert!(matches!(
        map(Status::resource_exhausted("big")),
        TransportError::Remote { .. }
    ));
}
