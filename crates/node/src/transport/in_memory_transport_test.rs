use super::*;
use crate::transport::transport_actions::action_not_found_message;
use crate::transport::PROTOCOL_VERSION;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::time::Instant;

/// Echoes `echo`, fails `fail`, sleeps 10 s on `slow`, knows no other action; counts calls.
#[derive(Default)]
struct TestHandler {
    calls: AtomicUsize,
}

impl RequestHandler for TestHandler {
    fn handle(&self, action: String, payload: Bytes) -> BoxFuture<'static, Result<Bytes, String>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move {
            match action.as_str() {
                "echo" => Ok(payload),
                "fail" => Err("illegal_argument_exception: boom".to_string()),
                "slow" => {
                    tokio::time::sleep(Duration::from_secs(10)).await;
                    Ok(payload)
                }
                other => Err(action_not_found_message(other)),
            }
        })
    }
}

fn info(address: &str, cluster_name: &str, cluster_uuid: Option<&str>) -> HandshakeInfo {
    HandshakeInfo {
        cluster_name: cluster_name.into(),
        cluster_uuid: cluster_uuid.map(String::from),
        protocol_version: PROTOCOL_VERSION,
        node_id: format!("id-{address}"),
        node_name: format!("node-{address}"),
        transport_address: address.into(),
    }
}

const TIMEOUT: Duration = Duration::from_secs(30);

fn node(network: &InMemoryNetwork, address: &str) -> (InMemoryTransport, Arc<TestHandler>) {
    let handler = Arc::new(TestHandler::default());
    let transport = network.register(info(address, "quarry", None), handler.clone());
    (transport, handler)
}

async fn echo(from: &InMemoryTransport, to: &str) -> Result<Bytes, TransportError> {
    from.send(&to.to_string(), "echo", Bytes::from_static(b"hi"), TIMEOUT)
        .await
}

#[tokio::test(start_paused = true)]
async fn round_trip_and_remote_errors() {
    let network = InMemoryNetwork::new(1);
    let (a, _) = node(&network, "a");
    let (_b, b_handler) = node(&network, "b");
    assert_eq!(echo(&a, "b").await, Ok(Bytes::from_static(b"hi")));
    assert_eq!(b_handler.calls.load(Ordering::SeqCst), 1);
    assert_eq!(a.local_address(), "a");

    let b = "b".to_string();
    let failed = a.send(&b, "fail", Bytes::new(), TIMEOUT).await;
    assert!(
        matches!(&failed, Err(TransportError::Remote { message, .. }) if message.contains("boom"))
    );
    let unknown = a.send(&b, "nope", Bytes::new(), TIMEOUT).await;
    assert_eq!(
        unknown,
        Err(TransportError::ActionNotFound {
            address: "b".into(),
            action: "nope".into()
        })
    );
    let handshake = a.handshake(&b, TIMEOUT).await.expect("handshake");
    assert_eq!(handshake.node_name, "node-b");
    let missing = echo(&a, "c").await;
    assert!(matches!(missing, Err(TransportError::ConnectFailed { .. })));
}

#[tokio::test(start_paused = true)]
async fn handshake_refuses_other_cluster_name_and_uuid() {
    let network = InMemoryNetwork::new(1);
    let handler = Arc::new(TestHandler::default());
    let a = network.register(info("a", "quarry", Some("u1")), handler.clone());
    network.register(info("other-name", "elsewhere", None), handler.clone());
    let other_uuid = network.register(info("other-uuid", "quarry", Some("u2")), handler.clone());
    network.register(info("no-uuid-yet", "quarry", None), handler.clone());

    let refused = echo(&a, "other-name").await;
    assert!(
        matches!(&refused, Err(TransportError::HandshakeRefused { reason, .. }) if reason.contains("[elsewhere]")),
        "{refused:?}"
    );
    let refused = a.handshake(&"other-uuid".to_string(), TIMEOUT).await;
    assert!(
        matches!(&refused, Err(TransportError::HandshakeRefused { reason, .. }) if reason.contains("cluster uuid")),
        "{refused:?}"
    );
    assert!(echo(&a, "no-uuid-yet").await.is_ok());
    // Once the node learns the same cluster UUID the handshake passes.
    other_uuid.set_cluster_uuid(Some("u1".into()));
    assert!(echo(&a, "other-uuid").await.is_ok());
    assert_eq!(handler.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test(start_paused = true)]
async fn partition_then_heal() {
    let network = InMemoryNetwork::new(1);
    let (a, _) = node(&network, "a");
    let (b, _) = node(&network, "b");
    let (c, _) = node(&network, "c");
    network.partition(["a"], ["b", "c"]);
    let started = Instant::now();
    assert_eq!(
        echo(&a, "b").await,
        Err(TransportError::Disconnected {
            address: "b".into()
        })
    );
    assert_eq!(
        echo(&c, "a").await,
        Err(TransportError::Disconnected {
            address: "a".into()
        })
    );
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "fails at once, not by timing out"
    );
    assert!(echo(&b, "c").await.is_ok());
    assert!(echo(&a, "a").await.is_ok(), "a node always reaches itself");
    network.heal();
    assert!(echo(&a, "b").await.is_ok());
    assert!(echo(&c, "a").await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn partition_fails_requests_in_flight() {
    let network = InMemoryNetwork::new(1);
    let (a, _) = node(&network, "a");
    node(&network, "b");
    let in_flight = a.send(&"b".to_string(), "slow", Bytes::new(), TIMEOUT);
    let pending = tokio::spawn(in_flight);
    tokio::time::sleep(Duration::from_secs(1)).await;
    network.partition(["a"], ["b"]);
    let started = Instant::now();
    let result = pending.await.expect("task");
    assert_eq!(
        result,
        Err(TransportError::Disconnected {
            address: "b".into()
        })
    );
    assert_eq!(started.elapsed(), Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn isolate_cuts_every_link_of_a_node() {
    let network = InMemoryNetwork::new(1);
    let (a, _) = node(&network, "a");
    let (b, _) = node(&network, "b");
    let (c, _) = node(&network, "c");
    network.isolate("a");
    assert!(matches!(
        echo(&a, "b").await,
        Err(TransportError::Disconnected { .. })
    ));
    assert!(matches!(
        echo(&c, "a").await,
        Err(TransportError::Disconnected { .. })
    ));
    assert!(echo(&b, "c").await.is_ok());
    network.heal();
    assert!(echo(&c, "a").await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn disconnected_node_refuses_connections_until_reconnected() {
    let network = InMemoryNetwork::new(1);
    let (a, _) = node(&network, "a");
    let (b, _) = node(&network, "b");
    network.disconnect("b");
    assert!(matches!(
        echo(&a, "b").await,
        Err(TransportError::ConnectFailed { .. })
    ));
    assert!(matches!(
        echo(&b, "a").await,
        Err(TransportError::ConnectFailed { .. })
    ));
    network.reconnect("b");
    assert!(echo(&a, "b").await.is_ok());

    // A restart registers the address again: the old incarnation's transport is stale.
    let (b2, _) = node(&network, "b");
    assert!(matches!(
        echo(&b, "a").await,
        Err(TransportError::ConnectFailed { .. })
    ));
    assert!(echo(&b2, "a").await.is_ok());
}

/// Sends `count` echoes from a to b over a lossy link and records which arrived.
async fn lossy_outcomes(seed: u64, count: usize) -> (Vec<bool>, usize) {
    let network = InMemoryNetwork::new(seed);
    let (a, _) = node(&network, "a");
    let (_b, b_handler) = node(&network, "b");
    network.drop_probability("a", "b", 0.5);
    let mut outcomes = Vec::with_capacity(count);
    for _ in 0..count {
        let result = a
            .send(
                &"b".to_string(),
                "echo",
                Bytes::new(),
                Duration::from_secs(1),
            )
            .await;
        match result {
            Ok(_) => outcomes.push(true),
            Err(TransportError::Timeout { .. }) => outcomes.push(false),
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    (outcomes, b_handler.calls.load(Ordering::SeqCst))
}

#[tokio::test(start_paused = true)]
async fn drops_are_deterministic_for_a_seed() {
    let (first, calls) = lossy_outcomes(42, 64).await;
    let (second, _) = lossy_outcomes(42, 64).await;
    let (other_seed, _) = lossy_outcomes(43, 64).await;
    assert_eq!(first, second);
    assert_ne!(first, other_seed);
    let delivered = first.iter().filter(|ok| **ok).count();
    assert!(
        (16..=48).contains(&delivered),
        "{delivered} of 64 delivered"
    );
    assert_eq!(
        calls, delivered,
        "a dropped request never reaches the handler"
    );
}

#[tokio::test(start_paused = true)]
async fn dropped_response_runs_the_handler_but_times_out() {
    let network = InMemoryNetwork::new(7);
    let (a, _) = node(&network, "a");
    let (_b, b_handler) = node(&network, "b");
    network.drop_probability("b", "a", 1.0);
    let started = Instant::now();
    let result = a
        .send(
            &"b".to_string(),
            "echo",
            Bytes::new(),
            Duration::from_secs(5),
        )
        .await;
    assert!(
        matches!(result, Err(TransportError::Timeout { timeout, .. }) if timeout == Duration::from_secs(5))
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    assert_eq!(b_handler.calls.load(Ordering::SeqCst), 1);
    network.drop_probability("b", "a", 0.0);
    assert!(echo(&a, "b").await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn delays_apply_per_direction_with_paused_time() {
    let network = InMemoryNetwork::new(1);
    let (a, _) = node(&network, "a");
    node(&network, "b");
    network.delay("a", "b", Duration::from_millis(300));
    network.delay("b", "a", Duration::from_millis(200));
    let started = Instant::now();
    assert!(echo(&a, "b").await.is_ok());
    assert_eq!(started.elapsed(), Duration::from_millis(500));

    let started = Instant::now();
    let result = a
        .send(
            &"b".to_string(),
            "echo",
            Bytes::new(),
            Duration::from_millis(400),
        )
        .await;
    assert!(matches!(result, Err(TransportError::Timeout { .. })));
    assert_eq!(started.elapsed(), Duration::from_millis(400));

    network.delay("a", "b", Duration::ZERO);
    network.delay("b", "a", Duration::ZERO);
    let started = Instant::now();
    assert!(echo(&a, "b").await.is_ok());
    assert_eq!(started.elapsed(), Duration::ZERO);
}
