//! What a simulation run hands back: a [`ScenarioReport`] when every check held, a
//! [`SimFailure`] (seed, step, reason and the trace of steps) otherwise.
//!
//! Owns: these values and their display. Plain data.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

/// Why a seed failed.
#[derive(Debug, Clone)]
pub struct SimFailure {
    pub seed: u64,
    /// The step during which it failed (`None`: during setup or stabilisation).
    pub step: Option<usize>,
    pub reason: String,
    /// What the scenario did, one line per step.
    pub trace: Vec<String>,
}

impl fmt::Display for SimFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.step {
            Some(step) => write!(
                f,
                "seed {} failed at step {}: {}",
                self.seed, step, self.reason
            ),
            None => write!(f, "seed {} failed: {}", self.seed, self.reason),
        }
    }
}

impl std::error::Error for SimFailure {}

/// What one successful run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioReport {
    pub seed: u64,
    pub nodes: usize,
    pub steps: usize,
    pub proposals_acknowledged: usize,
    pub proposals_failed: usize,
    /// Failed proposals by error type.
    pub failures: BTreeMap<String, usize>,
    pub kills: usize,
    pub restarts: usize,
    pub partitions: usize,
    /// Distinct terms in which a master was observed.
    pub terms_with_master: usize,
    pub final_version: u64,
    pub virtual_time: Duration,
    /// What the scenario did, one line per step.
    pub trace: Vec<String>,
}

impl fmt::Display for ScenarioReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seed {}: {} nodes, {} steps, {} proposals acknowledged, {} failed {:?}, {} kills, \
             {} restarts, {} partitions, {} terms with a master, final version {}, {:.1?} virtual",
            self.seed,
            self.nodes,
            self.steps,
            self.proposals_acknowledged,
            self.proposals_failed,
            self.failures,
            self.kills,
            self.restarts,
            self.partitions,
            self.terms_with_master,
            self.final_version,
            self.virtual_time
        )
    }
}
