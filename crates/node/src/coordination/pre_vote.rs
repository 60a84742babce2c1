//! Pre-vote (Raft thesis §9.6), which openraft 0.9 lacks: a node that has lost its master
//! first asks the voters whether they would vote for it, and only starts a real election
//! (raising its term) when a quorum of every voting configuration says yes.
//!
//! Without it, a node cut off from the cluster keeps raising its term while isolated, and the
//! first heartbeat it answers after the partition heals (with that higher term) deposes a
//! healthy master. openraft's own leader lease only makes voters refuse real votes; it does not
//! stop the isolated node's term from growing. So openraft's election timer is switched off
//! (`enable_elect = false`) and [`run_election_loop`] decides when to call
//! `Raft::trigger().elect()`.
//!
//! ```text
//! candidate                          voter
//!   no master contact for            grants iff it is not the master, has not heard from a
//!   lease + jitter ──pre_vote──▶     master for a lease, and the candidate's log is at
//!   quorum granted? ──▶ elect()      least as up to date as its own
//! ```
//!
//! Owns: when to start an election, and the answer to a pre-vote. The decisions are the pure
//! functions [`grant_pre_vote`], [`should_campaign`] and [`has_joint_quorum`]. Must not touch
//! the log or the state machine.

use crate::coordination::log_store::RaftLogStore;
use crate::coordination::type_config::{ClusterRaft, RaftLogId, RaftNodeId};
use crate::transport::SharedTransport;
use bytes::Bytes;
use openraft::ServerState;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Action name of the pre-vote request.
pub const ACTION_PRE_VOTE: &str = "internal:coordination/raft/pre_vote";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreVoteRequest {
    pub candidate: RaftNodeId,
    pub candidate_last_log_id: Option<RaftLogId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreVoteResponse {
    pub granted: bool,
}

/// Whether a voter grants a pre-vote: it is not the master itself, its own master has been
/// silent for at least the lease, and the candidate's log is at least as up to date.
pub fn grant_pre_vote(
    is_leader: bool,
    since_leader_contact: Duration,
    lease: Duration,
    own_last_log_id: Option<RaftLogId>,
    candidate_last_log_id: Option<RaftLogId>,
) -> bool {
    !is_leader && since_leader_contact >= lease && candidate_last_log_id >= own_last_log_id
}

/// Whether a node should ask for pre-votes now: it is a voter and not the master, has not
/// heard from a master for `timeout`, and its last attempt was at least `retry_after` ago.
pub fn should_campaign(
    is_voter: bool,
    is_leader: bool,
    since_leader_contact: Duration,
    since_last_attempt: Option<Duration>,
    timeout: Duration,
    retry_after: Duration,
) -> bool {
    is_voter
        && !is_leader
        && since_leader_contact >= timeout
        && since_last_attempt.is_none_or(|d| d >= retry_after)
}

/// Whether `granted` holds a majority of every configuration (joint consensus has two).
pub fn has_joint_quorum(configs: &[BTreeSet<RaftNodeId>], granted: &BTreeSet<RaftNodeId>) -> bool {
    !configs.is_empty()
        && configs
            .iter()
            .all(|voters| voters.intersection(granted).count() * 2 > voters.len())
}

/// When this node last heard from a legitimate master (or granted a vote).
#[derive(Clone)]
pub struct LeaderContact(Arc<Mutex<Instant>>);

impl LeaderContact {
    pub fn new() -> Self {
        LeaderContact(Arc::new(Mutex::new(Instant::now())))
    }

    pub fn touch(&self) {
        *self.0.lock() = Instant::now();
    }

    pub fn elapsed(&self) -> Duration {
        self.0.lock().elapsed()
    }
}

impl Default for LeaderContact {
    fn default() -> Self {
        Self::new()
    }
}

/// What the pre-vote side needs of the local node.
#[derive(Clone)]
pub struct ElectionContext {
    pub raft: ClusterRaft,
    pub log_store: RaftLogStore,
    pub contact: LeaderContact,
    /// openraft's leader lease (`election_timeout_max`).
    pub lease: Duration,
}

impl ElectionContext {
    /// Answers a pre-vote request.
    pub fn handle_pre_vote(&self, request: &PreVoteRequest) -> PreVoteResponse {
        let is_leader = self.raft.metrics().borrow().state == ServerState::Leader;
        PreVoteResponse {
            granted: grant_pre_vote(
                is_leader,
                self.contact.elapsed(),
                self.lease,
                self.log_store.last_log_id(),
                request.candidate_last_log_id,
            ),
        }
    }
}

/// Timers of the election loop.
#[derive(Debug, Clone, Copy)]
pub struct ElectionTimers {
    pub heartbeat_interval: Duration,
    pub election_timeout_min: Duration,
    pub election_timeout_max: Duration,
}

/// The source of election-timeout jitter: seeded (simulation: a run is reproducible) or from
/// the OS (production).
#[derive(Debug, Clone)]
pub struct Jitter(u64);

impl Jitter {
    /// `Some(seed)`: a deterministic sequence; `None`: a random one.
    pub fn new(seed: Option<u64>) -> Jitter {
        let seed =
            seed.unwrap_or_else(|| (uuid::Uuid::new_v4().as_u128() & u128::from(u64::MAX)) as u64);
        // splitmix64, so that nearby seeds (seed ^ small Raft ids) give unrelated sequences.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Jitter((z ^ (z >> 31)) | 1)
    }

    /// A random duration in `[0, span)` (timeouts are randomised so that voters do not all
    /// campaign at once). xorshift64*.
    pub fn next(&mut self, span: Duration) -> Duration {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        let random = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        let span_ms = span.as_millis().max(1) as u64;
        Duration::from_millis(random % span_ms)
    }
}

/// Runs until the Raft node stops: starts an election whenever a quorum grants a pre-vote.
pub async fn run_election_loop(
    ctx: ElectionContext,
    local_id: RaftNodeId,
    transport: SharedTransport,
    timers: ElectionTimers,
    mut jitter: Jitter,
    may_campaign: bool,
) {
    let spread = timers
        .election_timeout_max
        .saturating_sub(timers.election_timeout_min);
    let tick = timers.heartbeat_interval / 3;
    let mut metrics = ctx.raft.metrics();
    let mut timeout = ctx.lease + jitter.next(spread);
    let mut last_attempt: Option<Instant> = None;
    loop {
        tokio::time::sleep(tick).await;
        if metrics.has_changed().is_err() {
            return; // Raft stopped.
        }
        let (is_leader, configs, peers) = {
            let m = metrics.borrow_and_update();
            let membership = m.membership_config.membership();
            let peers: Vec<(RaftNodeId, String)> = membership
                .voter_ids()
                .filter(|id| *id != local_id)
                .filter_map(|id| {
                    membership
                        .get_node(&id)
                        .map(|n| (id, n.transport_address.clone()))
                })
                .collect();
            (
                m.state == ServerState::Leader,
                membership.get_joint_config().clone(),
                peers,
            )
        };
        // A voting-only node grants votes but never campaigns, so it is never the master.
        let is_voter = may_campaign && configs.iter().any(|c| c.contains(&local_id));
        if !should_campaign(
            is_voter,
            is_leader,
            ctx.contact.elapsed(),
            last_attempt.map(|t| t.elapsed()),
            timeout,
            timers.election_timeout_min + jitter.next(spread),
        ) {
            continue;
        }
        last_attempt = Some(Instant::now());
        timeout = ctx.lease + jitter.next(spread);
        let request = PreVoteRequest {
            candidate: local_id,
            candidate_last_log_id: ctx.log_store.last_log_id(),
        };
        let term_before = ctx.raft.metrics().borrow().current_term;
        let asked_at = Instant::now();
        let granted = collect_pre_votes(&transport, &request, &peers, timers).await;
        // While the pre-votes were out, another candidate may have won (this node voted for
        // it, or heard from it): campaigning now would depose a fresh master.
        let term_after = ctx.raft.metrics().borrow().current_term;
        if term_after != term_before || ctx.contact.elapsed() < asked_at.elapsed() {
            tracing::debug!(raft_id = local_id, "a master emerged during pre-voting");
            continue;
        }
        if has_joint_quorum(&configs, &granted) {
            tracing::info!(
                raft_id = local_id,
                "pre-vote granted by {granted:?}; starting an election"
            );
            if ctx.raft.trigger().elect().await.is_err() {
                return;
            }
        } else {
            tracing::debug!(
                raft_id = local_id,
                "pre-vote not granted by a quorum ({granted:?})"
            );
        }
    }
}

async fn collect_pre_votes(
    transport: &SharedTransport,
    request: &PreVoteRequest,
    peers: &[(RaftNodeId, String)],
    timers: ElectionTimers,
) -> BTreeSet<RaftNodeId> {
    let Ok(payload) = postcard::to_stdvec(request) else {
        return BTreeSet::new();
    };
    let payload = Bytes::from(payload);
    let timeout = timers.election_timeout_min;
    let asks = peers.iter().map(|(id, address)| {
        let reply = transport.send(address, ACTION_PRE_VOTE, payload.clone(), timeout);
        async move {
            let granted = match reply.await {
                Ok(bytes) => postcard::from_bytes::<PreVoteResponse>(&bytes)
                    .map(|r| r.granted)
                    .unwrap_or(false),
                Err(_) => false,
            };
            granted.then_some(*id)
        }
    });
    let mut granted: BTreeSet<RaftNodeId> = futures::future::join_all(asks)
        .await
        .into_iter()
        .flatten()
        .collect();
    granted.insert(request.candidate);
    granted
}

#[cfg(test)]
mod jitter_tests {
    use super::*;

    #[test]
    fn seeded_jitter_repeats_and_neighbouring_seeds_differ() {
        let span = Duration::from_millis(400);
        let seq = |seed| {
            let mut j = Jitter::new(Some(seed));
            (0..8).map(|_| j.next(span)).collect::<Vec<_>>()
        };
        assert_eq!(seq(11), seq(11));
        assert_ne!(seq(10), seq(11));
        assert!(seq(3).iter().all(|d| *d < span));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openraft::{CommittedLeaderId, LogId};

    fn id(term: u64, index: u64) -> Option<RaftLogId> {
        Some(LogId::new(CommittedLeaderId::new(term, 1), index))
    }

    const LEASE: Duration = Duration::from_millis(800);

    #[test]
    fn a_voter_with_a_live_master_refuses() {
        let recent = Duration::from_millis(100);
        assert!(!grant_pre_vote(false, recent, LEASE, id(1, 5), id(1, 5)));
        assert!(grant_pre_vote(false, LEASE, LEASE, id(1, 5), id(1, 5)));
        // The master itself never grants.
        assert!(!grant_pre_vote(true, LEASE * 10, LEASE, id(1, 5), id(1, 9)));
    }

    #[test]
    fn a_candidate_with_a_shorter_log_is_refused() {
        let silent = LEASE * 2;
        assert!(!grant_pre_vote(false, silent, LEASE, id(2, 5), id(1, 9)));
        assert!(!grant_pre_vote(false, silent, LEASE, id(1, 5), id(1, 4)));
        assert!(!grant_pre_vote(false, silent, LEASE, id(1, 5), None));
        assert!(grant_pre_vote(false, silent, LEASE, id(1, 5), id(2, 1)));
        assert!(grant_pre_vote(false, silent, LEASE, None, None));
    }

    #[test]
    fn campaigns_only_as_a_silent_voter_and_not_too_often() {
        let t = Duration::from_millis(900);
        let retry = Duration::from_millis(500);
        assert!(should_campaign(true, false, t, None, t, retry));
        assert!(!should_campaign(false, false, t, None, t, retry));
        assert!(!should_campaign(true, true, t, None, t, retry));
        assert!(!should_campaign(true, false, t / 2, None, t, retry));
        assert!(!should_campaign(true, false, t, Some(retry / 2), t, retry));
        assert!(should_campaign(true, false, t, Some(retry), t, retry));
    }

    #[test]
    fn quorum_is_needed_in_every_joint_configuration() {
        let old = BTreeSet::from([1, 2, 3]);
        let new = BTreeSet::from([3, 4, 5]);
        assert!(has_joint_quorum(
            std::slice::from_ref(&old),
            &BTreeSet::from([1, 2])
        ));
        assert!(!has_joint_quorum(
            std::slice::from_ref(&old),
            &BTreeSet::from([1])
        ));
        assert!(!has_joint_quorum(
            &[old.clone(), new.clone()],
            &BTreeSet::from([1, 2, 3])
        ));
        assert!(has_joint_quorum(&[old, new], &BTreeSet::from([2, 3, 4])));
        assert!(has_joint_quorum(
            &[BTreeSet::from([7])],
            &BTreeSet::from([7])
        ));
        assert!(!has_joint_quorum(&[], &BTreeSet::from([7])));
    }
}
