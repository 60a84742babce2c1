//! [`RandomScenario::stabilise`]: the end of every random run (Elasticsearch's
//! `AbstractCoordinatorTestCase.stabilise`). Heals the network, restarts every dead node,
//! waits for the proposals in flight, commits a barrier proposal through the master every node
//! agrees on, waits until every node has applied it, and then checks convergence: all nodes
//! hold the byte-identical state, and it holds every acknowledged effect.
//!
//! ```text
//! heal + restart ─▶ in-flight proposals resolve ─▶ agreed master ─▶ barrier committed
//!                ─▶ every node at the barrier version ─▶ identical states ⊇ acknowledged
//! ```
//!
//! Owns: the liveness half of the checks. Must not inject faults.

use crate::proposals::{update_cluster_settings, ProposalOutcome};
use crate::scenario_report::SimFailure;
use crate::scenarios::{RandomScenario, PROPOSAL_TIMEOUT, STABILISE_TIMEOUT};
use crate::sim_cluster::CHECK_INTERVAL;
use quarry_cluster::ClusterState;
use std::time::Duration;
use tokio::time::Instant;

impl RandomScenario {
    /// Heals the network, restarts every dead node, waits for the proposals in flight, then
    /// commits a barrier proposal through the agreed master and checks that every node
    /// applies the same state and that it holds every acknowledged effect.
    pub async fn stabilise(&mut self) -> Result<(), SimFailure> {
        self.trace("stabilise: heal the network and restart the dead nodes".into());
        self.cluster.heal();
        for node in self.cluster.dead_nodes() {
            self.cluster
                .restart(node)
                .await
                .map_err(|e| self.sim_error(e))?;
        }
        let deadline = Instant::now() + PROPOSAL_TIMEOUT + Duration::from_secs(1);
        while self.proposals.pending() > 0 {
            if Instant::now() > deadline {
                return Err(self.fail("a proposal is still pending after its timeout"));
            }
            self.advance(Duration::from_millis(100)).await?;
        }
        let deadline = Instant::now() + STABILISE_TIMEOUT;
        let barrier_version = loop {
            if Instant::now() > deadline {
                return Err(self.fail(format!(
                    "no master committed the barrier within {STABILISE_TIMEOUT:?}: {}",
                    self.describe_nodes()
                )));
            }
            self.advance(Duration::from_millis(100)).await?;
            if let Some(version) = self.commit_barrier().await? {
                break version;
            }
        };
        loop {
            let versions: Vec<u64> = (0..self.cluster.len())
                .filter_map(|i| self.cluster.applied_state(i).map(|s| s.version))
                .collect();
            if versions.iter().all(|&v| v >= barrier_version) {
                break;
            }
            if Instant::now() > deadline {
                return Err(self.fail(format!(
                    "nodes did not apply barrier version {barrier_version}: {}",
                    self.describe_nodes()
                )));
            }
            self.advance(Duration::from_millis(50)).await?;
        }
        self.check_converged()
    }

    /// Proposes a barrier on the master all nodes agree on; its version once committed.
    async fn commit_barrier(&mut self) -> Result<Option<u64>, SimFailure> {
        let Some(leader) = self.cluster.agreed_leader() else {
            return Ok(None);
        };
        let Some(coordinator) = self.cluster.coordinator(leader).cloned() else {
            return Ok(None);
        };
        self.barriers += 1;
        let barrier = update_cluster_settings("sim_barrier", &self.barriers.to_string());
        self.trace(format!("barrier on node {leader}: {}", barrier.description));
        let proposal = tokio::spawn(async move {
            tokio::time::timeout(Duration::from_secs(5), coordinator.propose(barrier.command)).await
        });
        while !proposal.is_finished() {
            self.advance(CHECK_INTERVAL).await?;
        }
        match proposal.await {
            Ok(Ok(Ok(state))) => Ok(Some(state.version)),
            Ok(Ok(Err(error))) => {
                self.trace(format!("barrier refused: {}", error.reason));
                Ok(None)
            }
            Ok(Err(_)) => {
                self.trace("barrier timed out".into());
                Ok(None)
            }
            Err(join_error) => Err(self.fail(format!("barrier task failed: {join_error}"))),
        }
    }

    fn check_converged(&self) -> Result<(), SimFailure> {
        let states: Vec<_> = (0..self.cluster.len())
            .filter_map(|i| self.cluster.applied_state(i))
            .collect();
        if states.len() != self.cluster.len() {
            return Err(self.fail("a node is down after stabilisation"));
        }
        let serialize = |s: &ClusterState| serde_json::to_string(s).ok();
        let first = serialize(&states[0]);
        if states.iter().any(|s| serialize(s) != first) {
            return Err(self.fail(format!("nodes did not converge: {}", self.describe_nodes())));
        }
        for (id, record) in self.proposals.records().iter().enumerate() {
            if let ProposalOutcome::Acknowledged { .. } = record.outcome {
                if !record.expectation.holds_in(&states[0]) {
                    return Err(self.fail(format!(
                        "acknowledged proposal #{id} ({}) is missing from the final state \
                         (version {})",
                        record.description, states[0].version
                    )));
                }
            }
        }
        Ok(())
    }

    fn describe_nodes(&self) -> String {
        (0..self.cluster.len())
            .map(|i| match self.cluster.coordinator(i) {
                None => format!("node {i}: down"),
                Some(c) => format!(
                    "node {i}: term {} leader {:?} is_leader {} version {}",
                    c.current_term(),
                    c.current_leader().map(|l| l.raft_id),
                    c.is_leader(),
                    c.current_state().version
                ),
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}
