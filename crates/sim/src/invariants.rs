//! The safety properties checked after every simulation step (Elasticsearch's
//! `CoordinatorTests`/`AbstractCoordinatorTestCase` check the same ones):
//!
//! - **one master per term**: every `(term, leader)` ever observed is recorded; a second
//!   leader for a term already seen is a split brain;
//! - **identical application**: for every cluster-state version applied on two nodes, the
//!   serialized states are byte-identical (same content, same state UUID);
//! - **valid states**: `ClusterState::validate()` holds for every applied state;
//! - **no going back**: a node never applies an older version than one it already applied,
//!   within one incarnation (a restart starts again from its last snapshot and replays).
//!
//! Owns: the record of what was observed and the checks. Pure bookkeeping: it is fed
//! observations by `sim_cluster` and never touches the nodes itself.

use quarry_cluster::ClusterState;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A safety property that did not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvariantViolation {
    #[error("two masters in term [{term}]: raft ids [{first}] and [{second}]")]
    TwoLeadersInOneTerm { term: u64, first: u64, second: u64 },
    #[error(
        "cluster state version [{version}] differs between node [{first_node}] and node \
         [{second_node}]:\n  {first_state}\n  {second_state}"
    )]
    DivergentStates {
        version: u64,
        first_node: usize,
        second_node: usize,
        first_state: String,
        second_state: String,
    },
    #[error("node [{node}] applied an invalid cluster state version [{version}]: {reason}")]
    InvalidState {
        node: usize,
        version: u64,
        reason: String,
    },
    #[error("node [{node}] went back from cluster state version [{from}] to [{to}]")]
    VersionWentBack { node: usize, from: u64, to: u64 },
    #[error("cluster state version [{version}] cannot be serialized: {reason}")]
    Unserializable { version: u64, reason: String },
}

/// Everything observed so far in one simulation.
#[derive(Default)]
pub struct Invariants {
    leaders_by_term: BTreeMap<u64, u64>,
    /// version -> (serialized state, the node it was first seen on).
    states_by_version: BTreeMap<u64, (String, usize)>,
    /// (node, incarnation) -> highest version applied.
    applied_versions: BTreeMap<(usize, u64), u64>,
    /// The state last looked at per node, to skip unchanged states cheaply.
    last_seen: BTreeMap<usize, Arc<ClusterState>>,
}

impl Invariants {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that raft node `raft_id` believes it is the leader of `term`; `true` when this
    /// is the first time a leader of `term` is seen.
    pub fn observe_leader(&mut self, term: u64, raft_id: u64) -> Result<bool, InvariantViolation> {
        match self.leaders_by_term.get(&term) {
            Some(&first) if first != raft_id => Err(InvariantViolation::TwoLeadersInOneTerm {
                term,
                first,
                second: raft_id,
            }),
            Some(_) => Ok(false),
            None => {
                self.leaders_by_term.insert(term, raft_id);
                Ok(true)
            }
        }
    }

    /// Records the state node `node` (in its `incarnation`) has applied.
    pub fn observe_state(
        &mut self,
        node: usize,
        incarnation: u64,
        state: &Arc<ClusterState>,
    ) -> Result<(), InvariantViolation> {
        if self
            .last_seen
            .get(&node)
            .is_some_and(|seen| Arc::ptr_eq(seen, state))
        {
            return Ok(());
        }
        self.last_seen.insert(node, Arc::clone(state));
        let version = state.version;
        let applied = self
            .applied_versions
            .entry((node, incarnation))
            .or_insert(0);
        if version < *applied {
            return Err(InvariantViolation::VersionWentBack {
                node,
                from: *applied,
                to: version,
            });
        }
        *applied = version;
        let serialized =
            serde_json::to_string(&**state).map_err(|e| InvariantViolation::Unserializable {
                version,
                reason: e.to_string(),
            })?;
        match self.states_by_version.get(&version) {
            Some((known, first_node)) if *known != serialized => {
                Err(InvariantViolation::DivergentStates {
                    version,
                    first_node: *first_node,
                    second_node: node,
                    first_state: known.clone(),
                    second_state: serialized,
                })
            }
            Some(_) => Ok(()),
            None => {
                state
                    .validate()
                    .map_err(|reason| InvariantViolation::InvalidState {
                        node,
                        version,
                        reason,
                    })?;
                self.states_by_version.insert(version, (serialized, node));
                Ok(())
            }
        }
    }

    /// Forgets the cached state of `node` (after a restart, its first state is checked again).
    pub fn forget_node(&mut self, node: usize) {
        self.last_seen.remove(&node);
    }

    /// Every `(term, leader raft id)` observed.
    pub fn leaders_by_term(&self) -> &BTreeMap<u64, u64> {
        &self.leaders_by_term
    }

    /// How many distinct cluster-state versions were observed.
    pub fn versions_observed(&self) -> usize {
        self.states_by_version.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(version: u64, uuid: &str) -> Arc<ClusterState> {
        let mut s = ClusterState::new("sim", "uuid");
        s.version = version;
        s.state_uuid = uuid.into();
        Arc::new(s)
    }

    #[test]
    fn a_second_leader_in_a_term_is_a_split_brain() {
        let mut inv = Invariants::new();
        assert!(inv.observe_leader(1, 1).unwrap());
        assert!(!inv.observe_leader(1, 1).unwrap());
        assert!(inv.observe_leader(2, 3).unwrap());
        assert_eq!(
            inv.observe_leader(2, 2),
            Err(InvariantViolation::TwoLeadersInOneTerm {
                term: 2,
                first: 3,
                second: 2
            })
        );
        assert_eq!(inv.leaders_by_term().len(), 2);
    }

    #[test]
    fn states_of_one_version_must_be_identical() {
        let mut inv = Invariants::new();
        inv.observe_state(0, 1, &state(3, "a")).unwrap();
        inv.observe_state(1, 1, &state(3, "a")).unwrap();
        let diverged = inv.observe_state(2, 1, &state(3, "b")).unwrap_err();
        assert!(matches!(
            diverged,
            InvariantViolation::DivergentStates {
                version: 3,
                first_node: 0,
                second_node: 2,
                ..
            }
        ));
        assert_eq!(inv.versions_observed(), 1);
    }

    #[test]
    fn versions_only_go_back_across_a_restart() {
        let mut inv = Invariants::new();
        inv.observe_state(0, 1, &state(5, "e")).unwrap();
        assert_eq!(
            inv.observe_state(0, 1, &state(4, "d")),
            Err(InvariantViolation::VersionWentBack {
                node: 0,
                from: 5,
                to: 4
            })
        );
        inv.forget_node(0);
        inv.observe_state(0, 2, &state(4, "d")).unwrap();
    }

    #[test]
    fn invalid_states_are_reported() {
        let mut inv = Invariants::new();
        let mut bad = ClusterState::new("sim", "uuid");
        bad.version = 1;
        bad.master_node = Some(quarry_types::NodeId("ghost".into()));
        let outcome = inv.observe_state(0, 1, &Arc::new(bad));
        assert!(
            matches!(outcome, Err(InvariantViolation::InvalidState { .. })),
            "{outcome:?}"
        );
    }
}
