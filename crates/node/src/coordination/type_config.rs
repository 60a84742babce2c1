//! The openraft type configuration of the cluster-state log: what a Raft node id and node are,
//! what a log entry carries (a `ClusterCommand` plus the time the master proposed it) and what
//! applying an entry answers.
//!
//! Owns: [`TypeConfig`] and the types it names. Must not depend on the transport or on disk
//! layout; the rest of `coordination` builds on these types.

use openraft::{Entry, LogId, Vote};
use quarry_cluster::cluster_command::ClusterCommand;
use quarry_cluster::cluster_state::ClusterState;
use quarry_types::EsError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::io::Cursor;
use std::sync::Arc;

/// The Raft id of a node: a random `u64` generated once and persisted next to the node id in
/// the data path (a wiped node comes back with a new one, which openraft requires: a voter
/// whose log reverts under the same id would violate its invariants).
pub type RaftNodeId = u64;

/// Who a Raft member is: the Elasticsearch node id and name and the transport address the
/// Raft RPCs are sent to. Stored in the membership config, so every member knows how to reach
/// every other.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RaftNode {
    pub node_id: String,
    pub node_name: String,
    pub transport_address: String,
}

/// The data of one normal log entry: the command the master proposed and the wall-clock time
/// it proposed it at. Every node applies the command with this time (and the log id as the id
/// seed) so that all nodes reach identical states.
///
/// On the wire and on disk the command travels as JSON inside the (postcard) envelope, because
/// `ClusterCommand` holds `serde_json::Value`s that only a self-describing format can decode.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterCommandEntry {
    pub command: ClusterCommand,
    pub proposed_at_millis: i64,
}

#[derive(Serialize, Deserialize)]
struct ClusterCommandEntryWire {
    command_json: String,
    proposed_at_millis: i64,
}

impl Serialize for ClusterCommandEntry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let command_json =
            serde_json::to_string(&self.command).map_err(serde::ser::Error::custom)?;
        ClusterCommandEntryWire {
            command_json,
            proposed_at_millis: self.proposed_at_millis,
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ClusterCommandEntry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = ClusterCommandEntryWire::deserialize(deserializer)?;
        let command = serde_json::from_str(&wire.command_json).map_err(serde::de::Error::custom)?;
        Ok(ClusterCommandEntry {
            command,
            proposed_at_millis: wire.proposed_at_millis,
        })
    }
}

/// What applying one log entry produced. Only `state_version` and `rejection` are serialized;
/// the full outcome (the new state or the structured error) is handed to the local proposer
/// in-process, since `Raft::client_write` answers on the node that applied the entry.
///
/// A command that fails validation does not poison the log: the entry stays committed, the
/// state is left unchanged and the proposer gets the error back.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ClusterCommandResponse {
    /// The cluster state version after the entry was applied.
    pub state_version: u64,
    /// The reason the command was rejected, if it was.
    pub rejection: Option<String>,
    #[serde(skip)]
    pub outcome: Option<Result<Arc<ClusterState>, EsError>>,
}

openraft::declare_raft_types!(
    /// openraft's type configuration for the cluster-state log.
    pub TypeConfig:
        D = ClusterCommandEntry,
        R = ClusterCommandResponse,
        NodeId = RaftNodeId,
        Node = RaftNode,
);

/// A log entry of the cluster-state log.
pub type RaftEntry = Entry<TypeConfig>;
/// A log id (`term-leader-index`).
pub type RaftLogId = LogId<RaftNodeId>;
/// A persisted vote.
pub type RaftVote = Vote<RaftNodeId>;
/// The running Raft node.
pub type ClusterRaft = openraft::Raft<TypeConfig>;
/// The error type the storage traits return.
pub type RaftStorageError = openraft::StorageError<RaftNodeId>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_round_trips_through_postcard_with_json_values() {
        let entry = ClusterCommandEntry {
            command: ClusterCommand::CreateIndex {
                name: "logs".into(),
                uuid: "u1".into(),
                settings: Default::default(),
                mappings: Some(serde_json::json!({"properties": {"a": {"type": "keyword"}}})),
                aliases: None,
                creation_date: 7,
            },
            proposed_at_millis: 42,
        };
        let bytes = postcard::to_stdvec(&entry).unwrap();
        let back: ClusterCommandEntry = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(back, entry);
    }
}
