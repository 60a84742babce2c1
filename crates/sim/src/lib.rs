//! Quarry's deterministic simulation harness (dev-only, DESIGN.md §5 layer 4): whole
//! coordination layers of N nodes in one process, over the in-memory transport, on tokio's
//! paused clock, driven by a seed.
//!
//! - [`sim_cluster`]: the cluster (start, kill, restart, partition, heal, advance time);
//! - [`invariants`]: what must hold after every step (one master per term, identical states
//!   per version, valid states);
//! - [`proposals`]: the master-level writes and what their acknowledgement promises;
//! - [`scenarios`]: `run_randomly(seed, steps)`; `stabilise` ends every run;
//! - [`scenario_report`]: what a run hands back.
//!
//! `cargo test -p quarry-sim` runs a fixed set of seeds; `cargo run -p quarry-sim --release --
//! --seeds 1000 --steps 200` runs many and prints how many passed.
//!
//! Must not be a dependency of any production crate.

pub mod invariants;
pub mod proposals;
pub mod scenario_report;
pub mod scenarios;
pub mod sim_cluster;
pub mod sim_random;
mod stabilise;

pub use invariants::{InvariantViolation, Invariants};
pub use scenarios::{run_randomly, run_seed, ScenarioReport, SimFailure};
pub use sim_cluster::{paused_runtime, SimCluster, SimError};
pub use sim_random::SimRandom;
