//! `POST /_cluster/voting_config_exclusions` resolved against a cluster state (Elasticsearch's
//! `AddVotingConfigExclusionsRequest`): which exclusions a request adds, and the
//! `cluster.max_voting_config_exclusions` limit.
//!
//! A known master-eligible node is excluded by its id and name; a known node that is not
//! master-eligible is skipped (it never votes); an unknown id or name is still recorded, with
//! `_absent_` for the part nobody knows, so a node can be excluded before it joins.
//!
//! Owns: request validation and resolution, pure. Must not wait or submit anything (the node's
//! action does).

use crate::cluster_state::ClusterState;
use crate::coordination_metadata::{VotingConfigExclusion, MISSING_VALUE_MARKER};
use quarry_types::EsError;

/// `cluster.max_voting_config_exclusions`.
pub const MAX_VOTING_CONFIG_EXCLUSIONS: &str = "cluster.max_voting_config_exclusions";
/// Its default.
pub const DEFAULT_MAX_VOTING_CONFIG_EXCLUSIONS: usize = 10;

/// The nodes a request names: by id or by name, never both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddVotingConfigExclusionsRequest {
    node_ids: Vec<String>,
    node_names: Vec<String>,
}

impl AddVotingConfigExclusionsRequest {
    /// Exactly one of the two lists must be non-empty, as Elasticsearch requires.
    pub fn new(node_ids: Vec<String>, node_names: Vec<String>) -> Result<Self, EsError> {
        if node_ids.is_empty() == node_names.is_empty() {
            return Err(EsError::illegal_argument(
                "You must set [node_names] or [node_ids] but not both",
            ));
        }
        Ok(AddVotingConfigExclusionsRequest {
            node_ids,
            node_names,
        })
    }

    /// The exclusions this request adds to `state` (those already present are left out).
    pub fn resolve(&self, state: &ClusterState) -> Vec<VotingConfigExclusion> {
        let mut out: Vec<VotingConfigExclusion> = Vec::new();
        let mut push = |e: VotingConfigExclusion| {
            if !out.contains(&e) {
                out.push(e);
            }
        };
        if !self.node_ids.is_empty() {
            for id in &self.node_ids {
                match state.nodes.values().find(|n| &n.id.0 == id) {
                    Some(n) if n.is_master_eligible() => {
                        push(VotingConfigExclusion::new(&n.id.0, &n.name))
                    }
                    Some(_) => {}
                    None => push(VotingConfigExclusion::new(id, MISSING_VALUE_MARKER)),
                }
            }
        } else {
            for name in &self.node_names {
                match state.nodes.values().find(|n| &n.name == name) {
                    Some(n) if n.is_master_eligible() => {
                        push(VotingConfigExclusion::new(&n.id.0, &n.name))
                    }
                    Some(_) => {}
                    None => push(VotingConfigExclusion::new(MISSING_VALUE_MARKER, name)),
                }
            }
        }
        let existing = &state.metadata.coordination.voting_config_exclusions;
        out.retain(|e| !existing.contains(e));
        out
    }

    /// [`Self::resolve`], failing when the exclusions would exceed `max`.
    pub fn resolve_and_check_maximum(
        &self,
        state: &ClusterState,
        max: usize,
    ) -> Result<Vec<VotingConfigExclusion>, EsError> {
        let resolved = self.resolve(state);
        let old = state.metadata.coordination.voting_config_exclusions.len();
        if old + resolved.len() > max {
            let named = if self.node_names.is_empty() {
                format!("nodes with ids [{}]", self.node_ids.join(", "))
            } else {
                format!("nodes named [{}]", self.node_names.join(", "))
            };
            return Err(EsError::illegal_argument(format!(
                "add voting config exclusions request for {named} would add [{}] exclusions to the existing [{old}] which would exceed the maximum of [{max}] set by [{MAX_VOTING_CONFIG_EXCLUSIONS}]",
                resolved.len()
            )));
        }
        Ok(resolved)
    }
}

/// `cluster.max_voting_config_exclusions`: the cluster setting (transient over persistent), else
/// `node_setting` (from `elasticsearch.yml`), else 10. Values below 1 or unparsable are invalid.
pub fn max_voting_config_exclusions(
    state: &ClusterState,
    node_setting: Option<&str>,
) -> Result<usize, EsError> {
    let Some(text) = state
        .metadata
        .cluster_setting(MAX_VOTING_CONFIG_EXCLUSIONS)
        .or_else(|| node_setting.map(String::from))
    else {
        return Ok(DEFAULT_MAX_VOTING_CONFIG_EXCLUSIONS);
    };
    match text.parse::<i64>() {
        Ok(n) if n >= 1 => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        Ok(_) => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{text}] for setting [{MAX_VOTING_CONFIG_EXCLUSIONS}] must be >= 1"
        ))),
        Err(_) => Err(EsError::illegal_argument(format!(
            "Failed to parse value [{text}] for setting [{MAX_VOTING_CONFIG_EXCLUSIONS}]"
        ))),
    }
}

#[cfg(test)]
#[path = "voting_config_exclusions_test.rs"]
mod voting_config_exclusions_test;
