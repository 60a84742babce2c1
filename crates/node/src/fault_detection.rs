//! The master's fault detection of its followers (Elasticsearch's `FollowersChecker` and
//! `LagDetector`):
//!
//! ```text
//!  every follower_check.interval   probe each node (timeout follower_check.timeout)
//!    retry_count failures in a row, or one refused/closed connection  -> remove the node
//!  every check                     a node whose Raft log stays behind an index the master had
//!                                  for longer than cluster.follower_lag.timeout -> remove it
//! ```
//!
//! The decisions ([`follower_failed`], [`LagTracker::observe`]) are pure; [`FollowersChecker`]
//! carries them out over the transport and returns the nodes to remove. Must not propose
//! anything itself (cluster formation does) nor know the REST layer.

use crate::coordination::RaftNodeId;
use crate::transport::{SharedTransport, TransportError};
use bytes::Bytes;
use quarry_cluster::DiscoveryNode;
use quarry_types::NodeId;
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::time::Instant;

/// The master's liveness check of each follower (`cluster.fault_detection.follower_check`).
pub const FOLLOWER_CHECK_ACTION: &str = "internal:coordination/fault_detection/follower_check";

/// `cluster.fault_detection.*` and `cluster.follower_lag.timeout`, with Elasticsearch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultDetectionSettings {
    /// `cluster.fault_detection.follower_check.interval` (1 s).
    pub follower_check_interval: Duration,
    /// `cluster.fault_detection.follower_check.timeout` (10 s).
    pub follower_check_timeout: Duration,
    /// `cluster.fault_detection.follower_check.retry_count` (3).
    pub follower_check_retry_count: u32,
    /// `cluster.follower_lag.timeout` (90 s).
    pub follower_lag_timeout: Duration,
    /// `monitor.fs.health.enabled` (true): see `fs_health`.
    pub fs_health_enabled: bool,
    /// `monitor.fs.health.refresh_interval` (2 m).
    pub fs_health_refresh_interval: Duration,
}

impl Default for FaultDetectionSettings {
    fn default() -> Self {
        FaultDetectionSettings {
            follower_check_interval: Duration::from_secs(1),
            follower_check_timeout: Duration::from_secs(10),
            follower_check_retry_count: 3,
            follower_lag_timeout: Duration::from_secs(90),
            fs_health_enabled: true,
            fs_health_refresh_interval: Duration::from_secs(120),
        }
    }
}

/// Whether a follower with `consecutive_failures` failed checks must be removed; a closed or
/// refused connection counts as an immediate failure, as in Elasticsearch.
pub fn follower_failed(
    consecutive_failures: u32,
    connection_closed: bool,
    retry_count: u32,
) -> bool {
    connection_closed && consecutive_failures >= 1 || consecutive_failures >= retry_count.max(1)
}

/// Per follower: the log index it must reach and since when it has been behind it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LagTracker {
    pending: BTreeMap<RaftNodeId, (u64, Instant)>,
}

impl LagTracker {
    /// Records that `node` has matched the master's log up to `matched` while the master's
    /// log ends at `last_index`; true when it has been behind an index for longer than
    /// `timeout` (it must be removed).
    pub fn observe(
        &mut self,
        node: RaftNodeId,
        matched: Option<u64>,
        last_index: u64,
        now: Instant,
        timeout: Duration,
    ) -> bool {
        let matched = matched.unwrap_or(0);
        if let Some((target, since)) = self.pending.get(&node).copied() {
            if matched < target {
                return now.duration_since(since) > timeout;
            }
            self.pending.remove(&node);
        }
        if matched < last_index {
            self.pending.insert(node, (last_index, now));
        }
        false
    }

    /// Forgets nodes for which `keep` is false (they left the cluster).
    pub fn retain(&mut self, keep: impl Fn(RaftNodeId) -> bool) {
        self.pending.retain(|id, _| keep(*id));
    }
}

#[derive(Default)]
struct CheckerState {
    failures: BTreeMap<NodeId, u32>,
    last_round: Option<Instant>,
    lag: LagTracker,
}

/// The master-side checker; one per node, used only while it is the master.
#[derive(Default)]
pub struct FollowersChecker {
    state: parking_lot::Mutex<CheckerState>,
}

/// What the checker needs to know of Raft for the lag check.
pub struct ReplicationView {
    /// The master's last log index.
    pub last_index: u64,
    /// Per follower (by Raft id): the last index it is known to hold.
    pub matched: BTreeMap<RaftNodeId, Option<u64>>,
}

impl FollowersChecker {
    /// One round when the interval has passed (otherwise nothing): probes every follower and
    /// applies the lag rule; returns the nodes to remove, with the reason.
    pub async fn check(
        &self,
        settings: &FaultDetectionSettings,
        transport: &SharedTransport,
        followers: &[DiscoveryNode],
        raft_id_of: impl Fn(&NodeId) -> RaftNodeId,
        replication: Option<ReplicationView>,
    ) -> Vec<(NodeId, String)> {
        let now = Instant::now();
        {
            let mut state = self.state.lock();
            if state
                .last_round
                .is_some_and(|t| now < t + settings.follower_check_interval)
            {
                return Vec::new();
            }
            state.last_round = Some(now);
            state
                .failures
                .retain(|id, _| followers.iter().any(|f| &f.id == id));
            let ids: Vec<RaftNodeId> = followers.iter().map(|f| raft_id_of(&f.id)).collect();
            state.lag.retain(|id| ids.contains(&id));
        }
        let probes = followers.iter().map(|n| {
            transport.send(
                &n.transport_address,
                FOLLOWER_CHECK_ACTION,
                Bytes::new(),
                settings.follower_check_timeout,
            )
        });
        let results = futures::future::join_all(probes).await;
        let mut remove = Vec::new();
        let mut state = self.state.lock();
        for (node, result) in followers.iter().zip(results) {
            match result {
                Ok(_) => {
                    state.failures.remove(&node.id);
                }
                Err(e) => {
                    let closed = matches!(
                        e,
                        TransportError::ConnectFailed { .. } | TransportError::Disconnected { .. }
                    );
                    let count = state.failures.entry(node.id.clone()).or_insert(0);
                    *count += 1;
                    if follower_failed(*count, closed, settings.follower_check_retry_count) {
                        remove.push((
                            node.id.clone(),
                            format!("followers check retry count exceeded: {e}"),
                        ));
                        continue;
                    }
                }
            }
            if let Some(view) = &replication {
                let raft_id = raft_id_of(&node.id);
                let matched = view.matched.get(&raft_id).copied().flatten();
                if state.lag.observe(
                    raft_id,
                    matched,
                    view.last_index,
                    Instant::now(),
                    settings.follower_lag_timeout,
                ) {
                    remove.push((
                        node.id.clone(),
                        format!(
                            "lagging: did not catch up with the master's log within [{:?}]",
                            settings.follower_lag_timeout
                        ),
                    ));
                }
            }
        }
        remove
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_count_up_to_the_retry_count_and_closed_connections_fail_at_once() {
        assert!(!follower_failed(1, false, 3));
        assert!(!follower_failed(2, false, 3));
        assert!(follower_failed(3, false, 3));
        assert!(follower_failed(1, true, 3));
        assert!(follower_failed(1, false, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_follower_behind_for_longer_than_the_lag_timeout_is_removed() {
        let timeout = Duration::from_secs(90);
        let mut lag = LagTracker::default();
        let t0 = Instant::now();
        // Up to date: nothing pending.
        assert!(!lag.observe(7, Some(10), 10, t0, timeout));
        // Behind index 12 from t0 on.
        assert!(!lag.observe(7, Some(10), 12, t0, timeout));
        assert!(!lag.observe(7, Some(11), 15, t0 + Duration::from_secs(60), timeout));
        assert!(lag.observe(7, Some(11), 15, t0 + Duration::from_secs(91), timeout));
        // Catching up with the target resets the clock (a new target starts now).
        let mut lag = LagTracker::default();
        assert!(!lag.observe(8, Some(1), 5, t0, timeout));
        assert!(!lag.observe(8, Some(5), 9, t0 + Duration::from_secs(80), timeout));
        assert!(!lag.observe(8, Some(6), 9, t0 + Duration::from_secs(160), timeout));
        assert!(lag.observe(8, Some(6), 9, t0 + Duration::from_secs(171), timeout));
        // A follower that never reported counts as behind from index 0.
        let mut lag = LagTracker::default();
        assert!(!lag.observe(9, None, 3, t0, timeout));
        assert!(lag.observe(9, None, 3, t0 + Duration::from_secs(100), timeout));
    }
}
