//! `CoordinationMetadata`: Elasticsearch's `metadata.cluster_coordination` — the master's term,
//! the voting configuration it last committed and accepted (node ids), and the voting
//! configuration exclusions (`POST/DELETE /_cluster/voting_config_exclusions`).
//!
//! The configurations are a record of what consensus decided (the elected master writes them
//! after it changed the Raft membership); the exclusions are an input to that decision
//! (`reconfigurator`). Owns: the shape, its invariants and its JSON. Must not decide the
//! voting configuration (that is `reconfigurator`) nor apply commands (that is `apply`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Elasticsearch's `VotingConfigExclusion.MISSING_VALUE_MARKER`: the id of an exclusion added
/// by the name of an unknown node, or the name of one added by an unknown id.
pub const MISSING_VALUE_MARKER: &str = "_absent_";

/// One node that must not vote (`VotingConfigExclusion`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct VotingConfigExclusion {
    pub node_id: String,
    pub node_name: String,
}

impl VotingConfigExclusion {
    pub fn new(node_id: impl Into<String>, node_name: impl Into<String>) -> Self {
        VotingConfigExclusion {
            node_id: node_id.into(),
            node_name: node_name.into(),
        }
    }

    /// The node id this exclusion names, unless it was added by the name of an unknown node.
    pub fn known_node_id(&self) -> Option<&str> {
        (self.node_id != MISSING_VALUE_MARKER).then_some(self.node_id.as_str())
    }

    /// Elasticsearch's `toString`: `{id}{name}`.
    pub fn describe(&self) -> String {
        format!("{{{}}}{{{}}}", self.node_id, self.node_name)
    }

    pub fn to_json(&self) -> Value {
        json!({ "node_id": self.node_id, "node_name": self.node_name })
    }
}

/// `[{a}{b}, {c}{d}]`, as Elasticsearch prints a set of exclusions in messages.
pub fn describe_exclusions(exclusions: &[VotingConfigExclusion]) -> String {
    let parts: Vec<String> = exclusions.iter().map(|e| e.describe()).collect();
    format!("[{}]", parts.join(", "))
}

/// `metadata.cluster_coordination`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordinationMetadata {
    /// The term of the master that last recorded the configuration.
    #[serde(default)]
    pub term: u64,
    /// Node ids, sorted.
    #[serde(default)]
    pub last_committed_config: Vec<String>,
    /// Node ids, sorted.
    #[serde(default)]
    pub last_accepted_config: Vec<String>,
    /// In the order they were added; no duplicates.
    #[serde(default)]
    pub voting_config_exclusions: Vec<VotingConfigExclusion>,
}

/// A configuration as stored: sorted, without duplicates.
pub fn normalized_config(ids: &[String]) -> Vec<String> {
    ids.iter()
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

impl CoordinationMetadata {
    /// The node ids of the exclusions that name a known node id.
    pub fn excluded_node_ids(&self) -> BTreeSet<String> {
        self.voting_config_exclusions
            .iter()
            .filter_map(|e| e.known_node_id().map(String::from))
            .collect()
    }

    /// The `cluster_coordination` object of `GET _cluster/state`.
    pub fn to_json(&self) -> Value {
        json!({
            "term": self.term,
            "last_committed_config": self.last_committed_config,
            "last_accepted_config": self.last_accepted_config,
            "voting_config_exclusions": self
                .voting_config_exclusions
                .iter()
                .map(VotingConfigExclusion::to_json)
                .collect::<Vec<_>>(),
        })
    }

    /// The invariants: configurations sorted without duplicates, exclusions unique and each
    /// naming a node by id or by name.
    pub fn validate(&self) -> Result<(), String> {
        for (name, config) in [
            ("last_committed_config", &self.last_committed_config),
            ("last_accepted_config", &self.last_accepted_config),
        ] {
            if normalized_config(config) != *config {
                return Err(format!("{name} {config:?} is not sorted and unique"));
            }
        }
        let mut seen = BTreeSet::new();
        for e in &self.voting_config_exclusions {
            if e.node_id == MISSING_VALUE_MARKER && e.node_name == MISSING_VALUE_MARKER {
                return Err("a voting config exclusion names neither a node id nor a name".into());
            }
            if !seen.insert(e) {
                return Err(format!(
                    "voting config exclusion {} is listed twice",
                    e.describe()
                ));
            }
        }
        Ok(())
    }
}
