//! `POST/DELETE /_cluster/voting_config_exclusions` and the `cluster_coordination` section of
//! `GET _cluster/state`, following Elasticsearch's `TransportAddVotingConfigExclusionsAction`
//! and `TransportClearVotingConfigExclusionsAction`:
//!
//! - add: resolve the named nodes against the state (checking
//!   `cluster.max_voting_config_exclusions`), commit them, then wait until none of them is in
//!   the last committed voting configuration (the master's reconciliation removes them);
//!   `timeout_exception` (500) when that takes longer than `timeout`;
//! - clear: with `wait_for_removal` (default) first wait until no excluded node is in the
//!   cluster any more, then clear the list.
//!
//! Owns: waiting on published states. The decisions are `quarry_cluster::voting_config_exclusions`
//! (what to add) and `crate::voting_configuration` (what the configuration becomes).

use crate::Node;
use quarry_cluster::coordination_metadata::describe_exclusions;
use quarry_cluster::voting_config_exclusions::{
    max_voting_config_exclusions, AddVotingConfigExclusionsRequest, MAX_VOTING_CONFIG_EXCLUSIONS,
};
use quarry_cluster::{ClusterCommand, ClusterState, CoordinationMetadata};
use quarry_types::EsError;
use std::time::Duration;

impl Node {
    /// The coordination metadata as this node reports it. A single-node cluster has no Raft
    /// membership to record: its voting configuration is the node itself.
    pub fn coordination_metadata(&self, state: &ClusterState) -> CoordinationMetadata {
        let mut coordination = state.metadata.coordination.clone();
        if self.cluster.is_none() {
            if coordination.last_committed_config.is_empty() {
                coordination.last_committed_config = vec![self.node_id.clone()];
            }
            if coordination.last_accepted_config.is_empty() {
                coordination.last_accepted_config = vec![self.node_id.clone()];
            }
        }
        coordination
    }

    /// `POST /_cluster/voting_config_exclusions`.
    pub async fn add_voting_config_exclusions(
        &self,
        request: AddVotingConfigExclusionsRequest,
        timeout: Duration,
    ) -> Result<(), EsError> {
        let state = self.state();
        let max = max_voting_config_exclusions(
            &state,
            self.config
                .settings
                .get_str(MAX_VOTING_CONFIG_EXCLUSIONS)
                .as_deref(),
        )?;
        let added = request.resolve_and_check_maximum(&state, max)?;
        if !added.is_empty() {
            self.master
                .submit(vec![ClusterCommand::AddVotingConfigExclusions(
                    added.clone(),
                )])
                .await?;
        }
        let excluded: Vec<String> = added
            .iter()
            .filter_map(|e| e.known_node_id().map(String::from))
            .collect();
        self.wait_for_state(timeout, |state| {
            let config = self.coordination_metadata(state).last_committed_config;
            excluded.iter().all(|id| !config.contains(id))
        })
        .await
        .map_err(|()| {
            EsError::new(
                "timeout_exception",
                500,
                format!(
                    "timed out waiting for voting config exclusions {} to take effect",
                    describe_exclusions(&added)
                ),
            )
        })
    }

    /// `DELETE /_cluster/voting_config_exclusions`.
    pub async fn clear_voting_config_exclusions(
        &self,
        wait_for_removal: bool,
        timeout: Duration,
    ) -> Result<(), EsError> {
        let exclusions = self
            .state()
            .metadata
            .coordination
            .voting_config_exclusions
            .clone();
        if wait_for_removal {
            let ids: Vec<String> = exclusions
                .iter()
                .filter_map(|e| e.known_node_id().map(String::from))
                .collect();
            self.wait_for_state(timeout, |state| {
                state.nodes.keys().all(|node| !ids.contains(&node.0))
            })
            .await
            .map_err(|()| {
                EsError::new(
                    "timeout_exception",
                    500,
                    format!(
                        "timed out waiting for removal of nodes; if nodes should not be removed, set ?wait_for_removal=false. {}",
                        describe_exclusions(&exclusions)
                    ),
                )
            })?;
        }
        if !self
            .state()
            .metadata
            .coordination
            .voting_config_exclusions
            .is_empty()
        {
            self.master
                .submit(vec![ClusterCommand::ClearVotingConfigExclusions])
                .await?;
        }
        Ok(())
    }

    /// Waits until `done` holds for the published state; `Err(())` after `timeout`.
    async fn wait_for_state(
        &self,
        timeout: Duration,
        done: impl Fn(&ClusterState) -> bool,
    ) -> Result<(), ()> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut published = self.master.subscribe();
        loop {
            if done(&self.state()) {
                return Ok(());
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Err(());
            }
            // New states wake the wait; the poll bound covers a missed notification.
            let wait = deadline
                .saturating_duration_since(now)
                .min(Duration::from_millis(100));
            if let Ok(Err(_)) = tokio::time::timeout(wait, published.changed()).await {
                tokio::time::sleep(wait).await;
            }
        }
    }
}
