//! The master's upkeep of the voting configuration (Elasticsearch's
//! `Coordinator.improveConfiguration`): the Raft voters follow `quarry_cluster::reconfigurator`
//! over the cluster state, and the result is recorded in `metadata.cluster_coordination` for
//! `GET _cluster/state` and for the voting-exclusion APIs to wait on.
//!
//! ```text
//!  state (master-eligible nodes, exclusions, auto-shrink) + Raft voters
//!      --desired_voters (pure)--> Coordinator::change_membership (joint consensus)
//!      --voting_configuration_record (pure)--> propose SetVotingConfiguration{term, ids}
//! ```
//!
//! Raft ids are hashes of node ids (`raft_id_for`), so the node ids of the voters are found by
//! hashing every node id the master knows (state nodes, the last record, exclusions, and the
//! ids it learned at bootstrap and on joins). Owns: these decisions and their thin async shell.
//! Must not touch discovery, joins or follower checks (`cluster_formation`).

use crate::cluster_formation::raft_id_for;
use crate::coordination::{Coordinator, RaftNodeId};
use quarry_cluster::reconfigurator::{
    auto_shrink_voting_configuration, reconfigure, ReconfigureInput,
};
use quarry_cluster::{ClusterCommand, ClusterState, DiscoveryNode};
use quarry_types::EsError;
use std::collections::BTreeSet;
use std::time::Duration;

/// How long the master waits for one membership change to commit before trying again later
/// (a change without a live quorum would otherwise block the formation loop).
pub const CHANGE_MEMBERSHIP_TIMEOUT: Duration = Duration::from_secs(10);

/// The voting configuration the master should have, as Raft ids: the live master-eligible
/// nodes of `state` (plus `joining`, a node being admitted), the exclusions of the state, this
/// master, the current voters and `cluster.auto_shrink_voting_configuration`.
pub fn desired_voters(
    state: &ClusterState,
    master: RaftNodeId,
    current: &BTreeSet<RaftNodeId>,
    joining: Option<&DiscoveryNode>,
) -> BTreeSet<RaftNodeId> {
    let live: BTreeSet<RaftNodeId> = state
        .nodes
        .values()
        .chain(joining)
        .filter(|n| n.is_master_eligible())
        .map(|n| raft_id_for(&n.id.0))
        .collect();
    let excluded: BTreeSet<RaftNodeId> = state
        .metadata
        .coordination
        .excluded_node_ids()
        .iter()
        .map(|id| raft_id_for(id))
        .collect();
    reconfigure(&ReconfigureInput {
        live_master_eligible: &live,
        excluded: &excluded,
        master: &master,
        current,
        auto_shrink: auto_shrink_voting_configuration(state),
    })
}

/// The node ids of `voters` (sorted), found among the ids the state knows and `known`;
/// `None` while some voter's node id is unknown.
pub fn voter_node_ids(
    voters: &BTreeSet<RaftNodeId>,
    state: &ClusterState,
    known: &BTreeSet<String>,
) -> Option<Vec<String>> {
    let coordination = &state.metadata.coordination;
    let candidates: BTreeSet<&String> = state
        .nodes
        .keys()
        .map(|id| &id.0)
        .chain(&coordination.last_committed_config)
        .chain(&coordination.last_accepted_config)
        .chain(
            coordination
                .voting_config_exclusions
                .iter()
                .map(|e| &e.node_id),
        )
        .chain(known)
        .collect();
    let mut ids = BTreeSet::new();
    for voter in voters {
        let id = candidates.iter().find(|c| raft_id_for(c) == *voter)?;
        ids.insert((*id).clone());
    }
    Some(ids.into_iter().collect())
}

/// The command that records `voters` at `term`, unless the state already says so (or some
/// voter's node id is not known yet).
pub fn voting_configuration_record(
    state: &ClusterState,
    term: u64,
    voters: &BTreeSet<RaftNodeId>,
    known: &BTreeSet<String>,
) -> Option<ClusterCommand> {
    let ids = voter_node_ids(voters, state, known)?;
    let recorded = &state.metadata.coordination;
    if recorded.term == term
        && recorded.last_committed_config == ids
        && recorded.last_accepted_config == ids
    {
        return None;
    }
    Some(ClusterCommand::SetVotingConfiguration {
        term,
        committed: ids.clone(),
        accepted: ids,
    })
}

/// The master's reconciliation step: moves the Raft voters to [`desired_voters`] (removed
/// voters stay learners) and records the configuration in the cluster state.
pub async fn reconcile_voting_configuration(
    coordinator: &Coordinator,
    known: &BTreeSet<String>,
) -> Result<(), EsError> {
    let state = coordinator.current_state();
    let current = coordinator.voters();
    let desired = desired_voters(&state, coordinator.raft_id(), &current, None);
    if desired != current {
        tracing::info!(from = ?current, to = ?desired, "changing the voting configuration");
        tokio::time::timeout(
            CHANGE_MEMBERSHIP_TIMEOUT,
            coordinator.change_membership(desired, true),
        )
        .await
        .map_err(|_| {
            EsError::new(
                "timeout_exception",
                500,
                "timed out changing the voting configuration",
            )
        })??;
    }
    let state = coordinator.current_state();
    let voters = coordinator.voters();
    if let Some(record) =
        voting_configuration_record(&state, coordinator.current_term(), &voters, known)
    {
        coordinator.propose(record).await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "voting_configuration_test.rs"]
mod voting_configuration_test;
