//! Elasticsearch node roles (`node.roles`), with the one-letter abbreviations `_cat/nodes`
//! prints in its `node.role` column.

use crate::settings_error::SettingsError;

/// One role a node can have. Unset `node.roles` = [`NodeRole::DEFAULT`]; `[]` = coordinating only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeRole {
    Master,
    Data,
    DataContent,
    DataHot,
    DataWarm,
    DataCold,
    DataFrozen,
    Ingest,
    Ml,
    RemoteClusterClient,
    Transform,
    VotingOnly,
}

impl NodeRole {
    /// Every role, in Elasticsearch's sorted-by-name order.
    pub const ALL: [NodeRole; 12] = [
        NodeRole::Data,
        NodeRole::DataCold,
        NodeRole::DataContent,
        NodeRole::DataFrozen,
        NodeRole::DataHot,
        NodeRole::DataWarm,
        NodeRole::Ingest,
        NodeRole::Master,
        NodeRole::Ml,
        NodeRole::RemoteClusterClient,
        NodeRole::Transform,
        NodeRole::VotingOnly,
    ];

    /// The roles of a node whose `node.roles` is unset (all but `voting_only`), sorted by name.
    pub const DEFAULT: [NodeRole; 11] = [
        NodeRole::Data,
        NodeRole::DataCold,
        NodeRole::DataContent,
        NodeRole::DataFrozen,
        NodeRole::DataHot,
        NodeRole::DataWarm,
        NodeRole::Ingest,
        NodeRole::Master,
        NodeRole::Ml,
        NodeRole::RemoteClusterClient,
        NodeRole::Transform,
    ];

    /// The setting value (`data_hot`).
    pub fn name(self) -> &'static str {
        match self {
            NodeRole::Master => "master",
            NodeRole::Data => "data",
            NodeRole::DataContent => "data_content",
            NodeRole::DataHot => "data_hot",
            NodeRole::DataWarm => "data_warm",
            NodeRole::DataCold => "data_cold",
            NodeRole::DataFrozen => "data_frozen",
            NodeRole::Ingest => "ingest",
            NodeRole::Ml => "ml",
            NodeRole::RemoteClusterClient => "remote_cluster_client",
            NodeRole::Transform => "transform",
            NodeRole::VotingOnly => "voting_only",
        }
    }

    /// The letter `_cat/nodes` shows (`m`, `d`, `h`, ...).
    pub fn abbreviation(self) -> char {
        match self {
            NodeRole::Master => 'm',
            NodeRole::Data => 'd',
            NodeRole::DataContent => 's',
            NodeRole::DataHot => 'h',
            NodeRole::DataWarm => 'w',
            NodeRole::DataCold => 'c',
            NodeRole::DataFrozen => 'f',
            NodeRole::Ingest => 'i',
            NodeRole::Ml => 'l',
            NodeRole::RemoteClusterClient => 'r',
            NodeRole::Transform => 't',
            NodeRole::VotingOnly => 'v',
        }
    }

    /// True for `data` and every `data_*` tier: the node can hold shards.
    pub fn can_contain_data(self) -> bool {
        matches!(
            self,
            NodeRole::Data
                | NodeRole::DataContent
                | NodeRole::DataHot
                | NodeRole::DataWarm
                | NodeRole::DataCold
                | NodeRole::DataFrozen
        )
    }

    pub fn parse(name: &str) -> Result<NodeRole, SettingsError> {
        NodeRole::ALL
            .into_iter()
            .find(|r| r.name() == name)
            .ok_or_else(|| {
                SettingsError::invalid("node.roles", name, Some(format!("unknown role [{name}]")))
            })
    }
}

/// The `node.role` column of `_cat/nodes`: the letters of the roles, sorted (`cdfhilmrstw`),
/// or `-` for a coordinating-only node.
pub fn role_abbreviations(roles: &[NodeRole]) -> String {
    if roles.is_empty() {
        return "-".to_string();
    }
    let mut letters: Vec<char> = roles.iter().map(|r| r.abbreviation()).collect();
    letters.sort_unstable();
    letters.dedup();
    letters.into_iter().collect()
}
