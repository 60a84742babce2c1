//! The node runtime: the only crate with tokio tasks. It owns the published cluster state, the
//! master service that changes it (through the pure `quarry_cluster::apply`), the persisted
//! gateway state, the local shards (`IndicesService`) and the actions (document, bulk, search,
//! admin, stats) that the REST layer calls.
//!
//! Must not parse HTTP or render REST-specific formats (that is `quarry-rest`).

pub mod action;
pub mod cluster_formation;
pub mod cluster_mode;
pub mod coordination;
pub mod discovery;
pub mod disk_usage_reporter;
pub mod fault_detection;
pub mod formation_warning_task;
pub mod fs_health;
pub mod gateway;
pub mod indices_service;
pub mod master_service;
pub mod no_master_block;
pub mod node;
pub mod node_config;
pub mod node_stats;
pub mod request_dispatcher;
pub mod shard_counters;
pub mod transport;
pub mod voting_configuration;

pub use node::Node;
pub use node_config::NodeConfig;
