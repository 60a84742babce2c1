//! The master-level writes a scenario proposes, and the record of what was acknowledged.
//!
//! Each proposal carries the [`Expectation`] its acknowledgement promises (the created index
//! exists, the mapping has the new field, the persistent setting has the value). Names, fields
//! and setting keys are unique per proposal and nothing is ever deleted, so an acknowledged
//! expectation must hold in every later state: that is Elasticsearch's "no acknowledged write
//! is lost" for cluster-state updates.
//!
//! Proposals run on their own task (with a timeout), so faults hit them while in flight; the
//! [`ProposalLog`] records the outcome when it comes.
//!
//! Owns: generating commands and recording outcomes. Must not inject faults.

use crate::sim_random::SimRandom;
use parking_lot::Mutex;
use quarry_cluster::cluster_command::ClusterCommand;
use quarry_cluster::{ClusterState, DiscoveryNode};
use quarry_node::coordination::Coordinator;
use quarry_types::{Mapping, NodeId, Settings};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// What an acknowledged proposal promises about every later cluster state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    IndexExists(String),
    MappingHasField {
        index: String,
        field: String,
    },
    PersistentSetting {
        key: String,
        value: String,
    },
    /// Node membership and shard lifecycle commands: later commands may undo them.
    Nothing,
}

impl Expectation {
    pub fn holds_in(&self, state: &ClusterState) -> bool {
        match self {
            Expectation::IndexExists(name) => state.index(name).is_some(),
            Expectation::MappingHasField { index, field } => state
                .index(index)
                .is_some_and(|meta| meta.mapping.field(field).is_some()),
            Expectation::PersistentSetting { key, value } => {
                state.metadata.persistent_settings.get_str(key).as_ref() == Some(value)
            }
            Expectation::Nothing => true,
        }
    }
}

/// Where a proposal stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalOutcome {
    Pending,
    /// Committed and applied on the proposing master at `version`; `visible` tells whether
    /// the returned state already showed the effect (it must).
    Acknowledged {
        version: u64,
        visible: bool,
    },
    Failed(String),
}

/// One proposal made by a scenario.
#[derive(Debug, Clone)]
pub struct ProposalRecord {
    pub description: String,
    pub node: usize,
    pub expectation: Expectation,
    pub outcome: ProposalOutcome,
}

/// The proposals of one run, shared with the tasks that wait for their outcome.
#[derive(Clone, Default)]
pub struct ProposalLog(Arc<Mutex<Vec<ProposalRecord>>>);

impl ProposalLog {
    /// Proposes `command` on `coordinator` (node `node`) in a task of its own, giving up after
    /// `timeout`; the outcome is recorded when it comes.
    pub fn spawn(
        &self,
        node: usize,
        coordinator: Arc<Coordinator>,
        proposal: Proposal,
        timeout: Duration,
    ) {
        let id = {
            let mut records = self.0.lock();
            records.push(ProposalRecord {
                description: proposal.description,
                node,
                expectation: proposal.expectation.clone(),
                outcome: ProposalOutcome::Pending,
            });
            records.len() - 1
        };
        let log = self.clone();
        let expectation = proposal.expectation;
        let command = proposal.command;
        tokio::spawn(async move {
            let outcome = match tokio::time::timeout(timeout, coordinator.propose(command)).await {
                Ok(Ok(state)) => ProposalOutcome::Acknowledged {
                    version: state.version,
                    visible: expectation.holds_in(&state),
                },
                Ok(Err(error)) => {
                    ProposalOutcome::Failed(format!("{}: {}", error.error_type, error.reason))
                }
                Err(_) => ProposalOutcome::Failed(format!("timed out after {timeout:?}")),
            };
            log.0.lock()[id].outcome = outcome;
        });
    }

    /// A copy of every record so far.
    pub fn records(&self) -> Vec<ProposalRecord> {
        self.0.lock().clone()
    }

    pub fn pending(&self) -> usize {
        self.count(|o| matches!(o, ProposalOutcome::Pending))
    }

    pub fn acknowledged(&self) -> usize {
        self.count(|o| matches!(o, ProposalOutcome::Acknowledged { .. }))
    }

    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, ProposalOutcome::Failed(_)))
    }

    /// How many proposals failed, by error type (`timed out` for timeouts).
    pub fn failures_by_type(&self) -> BTreeMap<String, usize> {
        let mut out = BTreeMap::new();
        for record in self.0.lock().iter() {
            if let ProposalOutcome::Failed(message) = &record.outcome {
                let kind = message.split(':').next().unwrap_or_default().to_string();
                *out.entry(kind).or_insert(0) += 1;
            }
        }
        out
    }

    fn count(&self, predicate: impl Fn(&ProposalOutcome) -> bool) -> usize {
        self.0
            .lock()
            .iter()
            .filter(|r| predicate(&r.outcome))
            .count()
    }

    /// The first acknowledged proposal whose effect is missing from `state` although `state`
    /// is at least as new as the acknowledgement (or whose acknowledged state lacked it).
    pub fn first_lost(&self, state: &ClusterState) -> Option<(usize, ProposalRecord)> {
        self.0
            .lock()
            .iter()
            .enumerate()
            .find(|(_, record)| match record.outcome {
                ProposalOutcome::Acknowledged { version, visible } => {
                    !visible || (state.version >= version && !record.expectation.holds_in(state))
                }
                _ => false,
            })
            .map(|(i, record)| (i, record.clone()))
    }
}

/// A command with its description and promise.
#[derive(Debug, Clone)]
pub struct Proposal {
    pub command: ClusterCommand,
    pub description: String,
    pub expectation: Expectation,
}

/// Generates unique, mostly valid commands.
#[derive(Default)]
pub struct ProposalGenerator {
    next: u64,
    /// Indices proposed so far (created or not): targets for mapping updates.
    proposed_indices: Vec<String>,
}

impl ProposalGenerator {
    /// A random command against `state` (the proposing node's view) in a cluster of
    /// `node_count` nodes.
    pub fn next(
        &mut self,
        rng: &mut SimRandom,
        state: &ClusterState,
        node_count: usize,
    ) -> Proposal {
        self.next += 1;
        let n = self.next;
        match rng.below(100) {
            0..=39 => self.create_index(rng, n),
            40..=59 if !self.proposed_indices.is_empty() => {
                let index = self.proposed_indices[rng.index(self.proposed_indices.len())].clone();
                put_mapping(&index, n)
            }
            40..=79 => update_cluster_settings(&format!("sim_{n}"), &format!("v{n}")),
            80..=89 => node_membership(rng, state, node_count),
            _ => shard_lifecycle(rng, state).unwrap_or_else(|| self.create_index(rng, n)),
        }
    }

    fn create_index(&mut self, rng: &mut SimRandom, n: u64) -> Proposal {
        let name = format!("idx-{n}");
        self.proposed_indices.push(name.clone());
        let settings = Settings::from_json(&json!({
            "index.number_of_shards": rng.between(1, 3),
            "index.number_of_replicas": rng.between(0, 2),
        }))
        .unwrap_or_default();
        Proposal {
            command: ClusterCommand::CreateIndex {
                name: name.clone(),
                uuid: format!("{name}-uuid"),
                settings,
                mappings: Some(json!({"properties": {"f0": {"type": "keyword"}}})),
                aliases: None,
                creation_date: 1_700_000_000_000,
            },
            description: format!("create index [{name}]"),
            expectation: Expectation::IndexExists(name),
        }
    }
}

fn put_mapping(index: &str, n: u64) -> Proposal {
    let field = format!("f{n}");
    let mapping = Mapping::parse(&json!({"properties": {field.clone(): {"type": "keyword"}}}))
        .unwrap_or_default();
    Proposal {
        command: ClusterCommand::PutMapping {
            indices: vec![index.to_string()],
            mapping,
        },
        description: format!("put mapping [{index}] field [{field}]"),
        expectation: Expectation::MappingHasField {
            index: index.to_string(),
            field,
        },
    }
}

/// `PUT _cluster/settings` of `cluster.metadata.<name>` (a free-form cluster setting).
pub fn update_cluster_settings(name: &str, value: &str) -> Proposal {
    let key = format!("cluster.metadata.{name}");
    let mut persistent = Settings::new();
    persistent.insert(key.clone(), json!(value));
    Proposal {
        command: ClusterCommand::UpdateClusterSettings {
            persistent,
            transient: Settings::new(),
        },
        description: format!("cluster setting [{key}]=[{value}]"),
        expectation: Expectation::PersistentSetting {
            key,
            value: value.to_string(),
        },
    }
}

/// The `DiscoveryNode` of simulated node `i` (gives allocation data nodes to place shards on).
pub fn discovery_node(i: usize) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(format!("sim-node-id-{i}")),
        name: format!("node-{i}"),
        ephemeral_id: format!("sim-node-eph-{i}"),
        transport_address: format!("sim-node-{i}:9300"),
        http_address: String::new(),
        roles: ["data", "master"].iter().map(|r| r.to_string()).collect(),
        attributes: BTreeMap::new(),
    }
}

fn node_membership(rng: &mut SimRandom, state: &ClusterState, node_count: usize) -> Proposal {
    let i = rng.index(node_count.max(1));
    let node = discovery_node(i);
    if state.nodes.contains_key(&node.id) && rng.chance(0.3) {
        Proposal {
            command: ClusterCommand::RemoveNode(node.id),
            description: format!("remove node [node-{i}]"),
            expectation: Expectation::Nothing,
        }
    } else {
        Proposal {
            command: ClusterCommand::AddNode(node),
            description: format!("add node [node-{i}]"),
            expectation: Expectation::Nothing,
        }
    }
}

/// Starts or fails one shard copy the proposing node knows about.
fn shard_lifecycle(rng: &mut SimRandom, state: &ClusterState) -> Option<Proposal> {
    let copies: Vec<_> = state
        .routing_table
        .all_copies()
        .filter(|c| c.current_node.is_some())
        .filter_map(|c| {
            c.allocation_id
                .clone()
                .map(|a| (c.shard_id.clone(), a, c.initializing()))
        })
        .collect();
    if copies.is_empty() {
        return None;
    }
    let (shard_id, allocation_id, initializing) = copies[rng.index(copies.len())].clone();
    let description = format!("{shard_id:?} {allocation_id:?}");
    Some(if initializing || rng.chance(0.7) {
        Proposal {
            command: ClusterCommand::ShardStarted {
                shard_id,
                allocation_id,
            },
            description: format!("shard started {description}"),
            expectation: Expectation::Nothing,
        }
    } else {
        Proposal {
            command: ClusterCommand::ShardFailed {
                shard_id,
                allocation_id,
                reason: "simulated failure".into(),
            },
            description: format!("shard failed {description}"),
            expectation: Expectation::Nothing,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_cluster::{apply, ApplyContext};

    fn applied(state: &ClusterState, proposal: &Proposal) -> ClusterState {
        apply(
            state,
            proposal.command.clone(),
            &mut ApplyContext::seeded(1, format!("{}", state.version)),
        )
        .unwrap()
    }

    #[test]
    fn generated_proposals_promise_what_they_do() {
        let mut rng = SimRandom::new(5);
        let mut generator = ProposalGenerator::default();
        let mut state = ClusterState::new("sim", "uuid");
        let mut checked = 0;
        for _ in 0..200 {
            let proposal = generator.next(&mut rng, &state, 3);
            let Ok(next) = apply(
                &state,
                proposal.command.clone(),
                &mut ApplyContext::seeded(1, format!("{}", state.version)),
            ) else {
                continue;
            };
            assert!(proposal.expectation.holds_in(&next), "{proposal:?}");
            if proposal.expectation != Expectation::Nothing {
                assert!(!proposal.expectation.holds_in(&state), "{proposal:?}");
                checked += 1;
            }
            state = next;
        }
        assert!(checked > 50, "only {checked} proposals with an effect");
        assert!(!state.metadata.indices.is_empty());
    }

    #[test]
    fn a_lost_acknowledgement_is_found() {
        let log = ProposalLog::default();
        let proposal = update_cluster_settings("x", "1");
        let before = ClusterState::new("sim", "uuid");
        let after = applied(&before, &proposal);
        log.0.lock().push(ProposalRecord {
            description: proposal.description.clone(),
            node: 0,
            expectation: proposal.expectation.clone(),
            outcome: ProposalOutcome::Acknowledged {
                version: after.version,
                visible: true,
            },
        });
        assert!(log.first_lost(&after).is_none());
        // An older state may lack it; a state at least as new must not.
        assert!(log.first_lost(&before).is_none());
        let mut lost = before.clone();
        lost.version = after.version;
        assert_eq!(log.first_lost(&lost).map(|(id, _)| id), Some(0));
        assert_eq!(log.acknowledged(), 1);
        assert_eq!(log.pending() + log.failed(), 0);
    }
}
