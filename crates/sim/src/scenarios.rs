//! Randomised scenarios: [`run_randomly`] drives a [`SimCluster`] through `steps` random steps
//! (proposals, master kills, restarts, minority/majority/bridge partitions, lossy and slow
//! links, heals, passing time), checking the invariants after every step and that no
//! acknowledged proposal is ever missing from a state that should contain it; then
//! [`RandomScenario::stabilise`] heals everything, restarts every dead node, commits a barrier
//! proposal and checks that all nodes converge on one state holding every acknowledged effect.
//!
//! ```text
//! seed ─▶ SimRandom ─▶ step* ─▶ stabilise ─▶ ScenarioReport | SimFailure{seed, step, trace}
//! ```
//!
//! The scenario's random draws come from the seed only (the network's drops from the same
//! seed), but what a draw hits (who is master right now) depends on the nodes' interleaving,
//! which is not bit-reproducible:
//! the coordinator draws its election jitter from `uuid::Uuid::new_v4()`, tokio seeds
//! `select!` at random, openraft iterates std `HashMap`s, the Raft storage runs on the blocking
//! pool, and proposals carry the wall-clock time. A failing seed may need a few runs to fail
//! again (`sim-many --repeat`).
//!
//! Owns: the step mix and the durability check after every step (stabilisation is in
//! `stabilise`). Must not reach into the nodes other than through `SimCluster`.

use crate::proposals::{ProposalGenerator, ProposalLog};
pub use crate::scenario_report::{ScenarioReport, SimFailure};
use crate::sim_cluster::{paused_runtime, SimCluster, SimError};
use crate::sim_random::SimRandom;
use std::time::Duration;
use tokio::time::Instant;

/// How long a proposal waits for its commit before the scenario counts it as failed.
pub const PROPOSAL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long [`RandomScenario::stabilise`] may take (virtual time) before it is a failure.
pub const STABILISE_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `steps` random steps on a cluster of 3 or 5 nodes (chosen by the seed), then
/// stabilises and checks convergence. Must run on a paused clock (see [`run_seed`]).
pub async fn run_randomly(seed: u64, steps: usize) -> Result<ScenarioReport, SimFailure> {
    let mut rng = SimRandom::new(seed);
    let nodes = if rng.chance(0.5) { 3 } else { 5 };
    let cluster = SimCluster::new(seed, nodes)
        .await
        .map_err(|e| setup_failure(seed, e))?;
    let mut scenario = RandomScenario::new(seed, cluster, rng);
    scenario.trace(format!("{nodes} nodes bootstrapped"));
    let outcome = scenario.run(steps).await;
    // Stopping the nodes is best effort: the verdict is already known.
    let _ = scenario.cluster.shutdown().await;
    outcome
}

/// [`run_randomly`] on a fresh current-thread runtime with a paused clock.
pub fn run_seed(seed: u64, steps: usize) -> Result<ScenarioReport, SimFailure> {
    let runtime = paused_runtime().map_err(|e| setup_failure(seed, e.into()))?;
    runtime.block_on(run_randomly(seed, steps))
}

fn setup_failure(seed: u64, error: SimError) -> SimFailure {
    SimFailure {
        seed,
        step: None,
        reason: error.to_string(),
        trace: Vec::new(),
    }
}

/// One randomised run in progress.
pub struct RandomScenario {
    seed: u64,
    pub cluster: SimCluster,
    rng: SimRandom,
    generator: ProposalGenerator,
    pub(crate) proposals: ProposalLog,
    trace: Vec<String>,
    started: Instant,
    step: Option<usize>,
    steps_run: usize,
    kills: usize,
    restarts: usize,
    partitions: usize,
    pub(crate) barriers: u64,
}

impl RandomScenario {
    pub fn new(seed: u64, cluster: SimCluster, rng: SimRandom) -> Self {
        RandomScenario {
            seed,
            cluster,
            rng,
            generator: ProposalGenerator::default(),
            proposals: ProposalLog::default(),
            trace: Vec::new(),
            started: Instant::now(),
            step: None,
            steps_run: 0,
            kills: 0,
            restarts: 0,
            partitions: 0,
            barriers: 0,
        }
    }

    async fn run(&mut self, steps: usize) -> Result<ScenarioReport, SimFailure> {
        for step in 0..steps {
            self.step = Some(step);
            self.random_step().await?;
            let pause = Duration::from_millis(self.rng.below(101));
            self.advance(pause).await?;
            self.steps_run += 1;
        }
        self.step = None;
        self.stabilise().await?;
        Ok(self.report())
    }

    pub(crate) fn trace(&mut self, line: String) {
        self.trace_at(Instant::now(), line);
    }

    fn trace_at(&mut self, when: Instant, line: String) {
        let at = when.saturating_duration_since(self.started);
        let step = self.step.map_or_else(|| "-".to_string(), |s| s.to_string());
        self.trace
            .push(format!("[{at:>10.3?}] step {step}: {line}"));
    }

    pub(crate) fn fail(&self, reason: impl Into<String>) -> SimFailure {
        SimFailure {
            seed: self.seed,
            step: self.step,
            reason: reason.into(),
            trace: self.trace.clone(),
        }
    }

    pub(crate) fn sim_error(&self, error: SimError) -> SimFailure {
        self.fail(error.to_string())
    }

    /// Lets time pass with the invariants checked, then checks acknowledged proposals.
    pub(crate) async fn advance(&mut self, duration: Duration) -> Result<(), SimFailure> {
        let outcome = self.cluster.advance(duration).await;
        for (when, event) in self.cluster.take_events() {
            self.trace_at(when, event);
        }
        if let Err(violation) = outcome {
            return Err(self.fail(violation.to_string()));
        }
        self.check_acknowledged()
    }

    /// Every state at least as new as an acknowledgement holds its effect.
    fn check_acknowledged(&self) -> Result<(), SimFailure> {
        for i in self.cluster.live_nodes() {
            let Some(state) = self.cluster.applied_state(i) else {
                continue;
            };
            if let Some((id, record)) = self.proposals.first_lost(&state) {
                return Err(self.fail(format!(
                    "acknowledged proposal #{id} ({}, on node {}, {:?}) is missing from node {i} \
                     at cluster state version {}",
                    record.description, record.node, record.outcome, state.version
                )));
            }
        }
        Ok(())
    }

    async fn random_step(&mut self) -> Result<(), SimFailure> {
        match self.rng.below(100) {
            0..=29 => self.propose(),
            30..=36 => self.kill_master().await?,
            37..=40 => self.kill_random().await?,
            41..=50 => self.restart_one().await?,
            51..=57 => self.minority_partition(),
            58..=63 => self.majority_partition(),
            64..=68 => self.bridge_partition(),
            69..=72 => self.lossy_link(),
            73..=75 => self.slow_link(),
            76..=83 => {
                self.cluster.heal();
                self.trace("heal the network".into());
            }
            _ => {
                let millis = if self.rng.chance(0.3) {
                    self.rng.between(1_000, 8_000)
                } else {
                    self.rng.between(10, 1_000)
                };
                self.trace(format!("advance {millis} ms"));
                self.advance(Duration::from_millis(millis)).await?;
            }
        }
        Ok(())
    }

    /// Proposes a random command on a node that believes it is master (or, without one, on a
    /// random live node, which must refuse).
    fn propose(&mut self) {
        let candidates = self.cluster.leader_candidates();
        let target = if candidates.is_empty() {
            self.rng.pick(&self.cluster.live_nodes())
        } else {
            self.rng.pick(&candidates)
        };
        let Some(node) = target else {
            self.trace("no live node to propose to".into());
            return;
        };
        let Some(coordinator) = self.cluster.coordinator(node).cloned() else {
            return;
        };
        let state = coordinator.current_state();
        let proposal = self
            .generator
            .next(&mut self.rng, &state, self.cluster.len());
        self.trace(format!("propose on node {node}: {}", proposal.description));
        self.proposals
            .spawn(node, coordinator, proposal, PROPOSAL_TIMEOUT);
    }

    async fn kill_master(&mut self) -> Result<(), SimFailure> {
        match self.cluster.leader() {
            Some(leader) => self.kill(leader, "the master, node").await,
            None => {
                self.trace("no master to kill".into());
                Ok(())
            }
        }
    }

    async fn kill_random(&mut self) -> Result<(), SimFailure> {
        let live = self.cluster.live_nodes();
        // Keep one node up: a fully dead cluster only waits for restarts.
        if live.len() <= 1 {
            self.trace("only one node is up; not killing it".into());
            return Ok(());
        }
        match self.rng.pick(&live) {
            Some(node) => self.kill(node, "node").await,
            None => Ok(()),
        }
    }

    async fn kill(&mut self, node: usize, what: &str) -> Result<(), SimFailure> {
        let term = self.cluster.max_term();
        self.trace(format!("kill {what} {node} (max term {term})"));
        self.kills += 1;
        self.cluster
            .kill(node)
            .await
            .map_err(|e| self.sim_error(e))?;
        self.check_acknowledged()
    }

    /// Restarts a dead node, or (when all are up) a live one.
    async fn restart_one(&mut self) -> Result<(), SimFailure> {
        let dead = self.cluster.dead_nodes();
        let pool = if dead.is_empty() {
            self.cluster.live_nodes()
        } else {
            dead
        };
        let Some(node) = self.rng.pick(&pool) else {
            return Ok(());
        };
        let was_up = self.cluster.is_up(node);
        self.trace(format!(
            "restart node {node} ({})",
            if was_up { "was up" } else { "was down" }
        ));
        self.restarts += 1;
        self.cluster
            .restart(node)
            .await
            .map_err(|e| self.sim_error(e))?;
        self.check_acknowledged()
    }

    /// Random distinct nodes other than `exclude`, `count` of them.
    fn random_nodes(&mut self, count: usize, exclude: &[usize]) -> Vec<usize> {
        let mut pool: Vec<usize> = (0..self.cluster.len())
            .filter(|i| !exclude.contains(i))
            .collect();
        self.rng.shuffle(&mut pool);
        pool.truncate(count);
        pool
    }

    fn minority_size(&mut self) -> usize {
        let max = ((self.cluster.len() - 1) / 2).max(1) as u64;
        usize::try_from(self.rng.between(1, max)).unwrap_or(1)
    }

    fn split(&mut self, side_a: Vec<usize>, label: &str) {
        let side_b: Vec<usize> = (0..self.cluster.len())
            .filter(|i| !side_a.contains(i))
            .collect();
        self.cluster.heal_partitions();
        self.cluster.partition(&side_a, &side_b);
        self.partitions += 1;
        self.trace(format!("{label}: {side_a:?} | {side_b:?}"));
    }

    /// The master ends up in a minority: the majority must elect another one.
    fn minority_partition(&mut self) {
        let master = self
            .cluster
            .leader()
            .unwrap_or_else(|| self.rng.index(self.cluster.len()));
        let size = self.minority_size();
        let mut side = vec![master];
        side.extend(self.random_nodes(size - 1, &[master]));
        self.split(side, "minority partition with the master");
    }

    /// A minority without the master is cut off: the master must keep working.
    fn majority_partition(&mut self) {
        let exclude: Vec<usize> = self.cluster.leader().into_iter().collect();
        let size = self.minority_size();
        let side = self.random_nodes(size, &exclude);
        self.split(side, "minority partition without the master");
    }

    /// Two sides that cannot talk to each other and one node that talks to both.
    fn bridge_partition(&mut self) {
        let mut order: Vec<usize> = (0..self.cluster.len()).collect();
        self.rng.shuffle(&mut order);
        let bridge = order[0];
        let half = (order.len() - 1) / 2;
        let side_a = order[1..1 + half].to_vec();
        let side_b = order[1 + half..].to_vec();
        self.cluster.heal_partitions();
        self.cluster.partition(&side_a, &side_b);
        self.partitions += 1;
        self.trace(format!(
            "bridge partition: {side_a:?} | {side_b:?} bridged by {bridge}"
        ));
    }

    fn random_link(&mut self) -> (usize, usize) {
        let pair = self.random_nodes(2, &[]);
        (pair[0], pair[1])
    }

    fn lossy_link(&mut self) {
        let (from, to) = self.random_link();
        let percent = self.rng.between(10, 60);
        let p = percent as f64 / 100.0;
        self.cluster.drop_messages(from, to, p);
        if self.rng.chance(0.5) {
            self.cluster.drop_messages(to, from, p);
        }
        self.trace(format!("lossy link {from} -> {to}: {percent}% dropped"));
    }

    fn slow_link(&mut self) {
        let (from, to) = self.random_link();
        let millis = self.rng.between(20, 1_000);
        self.cluster
            .delay_messages(from, to, Duration::from_millis(millis));
        self.trace(format!("slow link {from} -> {to}: {millis} ms"));
    }

    fn report(&self) -> ScenarioReport {
        ScenarioReport {
            seed: self.seed,
            nodes: self.cluster.len(),
            steps: self.steps_run,
            proposals_acknowledged: self.proposals.acknowledged(),
            proposals_failed: self.proposals.failed(),
            failures: self.proposals.failures_by_type(),
            kills: self.kills,
            restarts: self.restarts,
            partitions: self.partitions,
            terms_with_master: self.cluster.invariants().leaders_by_term().len(),
            final_version: self
                .cluster
                .applied_state(0)
                .map_or(0, |state| state.version),
            virtual_time: self.started.elapsed(),
            trace: self.trace.clone(),
        }
    }
}
