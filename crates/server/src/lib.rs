//! The `quarry` binary's library half: command line, node settings (YAML file, `-E` overrides,
//! `${ENV}` substitution, validation into [`NodeSettings`]), logging, and [`run`], which starts
//! the node runtime.
//!
//! Owns: process startup only. Must not contain cluster, index or REST logic; those live in
//! `quarry-node` and `quarry-rest`.

pub mod cli;
pub mod cluster_mode_settings;
pub mod known_settings;
pub mod logging;
pub mod node_role;
pub mod node_settings;
pub mod run;
pub mod setting_value;
pub mod settings_error;
pub mod settings_pipeline;

pub use node_role::NodeRole;
pub use node_settings::{DiscoveryType, NodeSettings};
pub use run::run;
pub use setting_value::PortsRange;
pub use settings_error::SettingsError;
