//! Quarry's cluster model, pure: the cluster state and its invariants, the commands that change
//! it (`apply`), shard allocation (`allocation::reroute` and deciders), operation routing,
//! index name/settings rules, index expression resolution and cluster health.
//!
//! Owns: every decision about cluster metadata and shard placement, as pure functions of a
//! `ClusterState` (time and ids are passed in). Must not depend on tokio, tantivy, the network,
//! the file system or randomness.

// `EsError` (quarry-types) is the shared error value at crate boundaries; its size is the types
// crate's decision, so the lint about large `Err` variants is silenced here.

pub mod allocation;
pub mod apply;
pub mod apply_aliases;
pub mod apply_index;
pub mod apply_templates;
pub mod cluster_blocks;
pub mod cluster_command;
pub mod cluster_state;
pub mod coordination_metadata;
pub mod health;
pub mod human_settings;
pub mod index_metadata;
pub mod index_name;
pub mod index_name_expression_resolver;
pub mod index_settings;
pub mod operation_routing;
pub mod reconfigurator;
pub mod routing_table;
pub mod shard_routing;
pub mod template_mappings;
pub mod templates;
pub mod voting_config_exclusions;

pub use apply::{apply, ApplyContext};
pub use cluster_command::{AliasAction, ClusterCommand};
pub use cluster_state::{ClusterState, DiscoveryNode, Metadata};
pub use coordination_metadata::{CoordinationMetadata, VotingConfigExclusion};
pub use health::{ClusterHealth, HealthLevel, HealthStatus};
pub use index_metadata::{AliasMetadata, IndexMetadata, IndexState};
pub use index_name_expression_resolver::{
    concrete_indices, resolve_write_index, ExpandWildcards, IndicesOptions, WriteIndex,
};
pub use routing_table::{IndexRoutingTable, RoutingTable};
pub use shard_routing::{ShardRouting, ShardRoutingState, UnassignedInfo};
pub use templates::{ComponentTemplate, ComposableIndexTemplate};

#[cfg(test)]
#[path = "apply_determinism_test.rs"]
mod apply_determinism_test;
#[cfg(test)]
mod apply_proptest;
#[cfg(test)]
mod command_strategy;
#[cfg(test)]
pub(crate) mod test_support;
