//! The actions a node serves, as methods on [`crate::Node`]: one file per family. Each action
//! reads the published cluster state, decides with pure functions from the cluster, index and
//! search crates, and carries the decision out on local shards or through the master service.

pub mod admin_alias_template;
pub mod admin_index;
pub mod bulk;
pub mod bulk_parser;
pub mod by_query;
pub mod cat;
pub mod cat_allocation;
pub mod cat_cluster;
pub mod cluster_admin;
pub mod cluster_reroute;
pub mod document;
pub mod forwarding;
pub mod get_fields;
pub mod info;
pub mod mget;
pub mod remote_error;
pub mod search;
pub mod search_scatter;
pub mod shard_action_handler;
pub mod shard_bulk;
pub mod shard_bulk_groups;
pub mod shard_bulk_wire;
pub mod shard_get;
pub mod shard_location;
pub mod shard_search;
pub mod stats;
pub mod update;
pub mod voting_config_exclusions;
pub mod write_path;

use serde_json::Value;

/// An action's answer: an HTTP status and a JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionResponse {
    pub status: u16,
    pub body: Value,
    /// The body already serialized (large responses such as `_bulk` are written directly
    /// instead of through a `Value` tree); `body` is then `Null`.
    pub raw_json: Option<Vec<u8>>,
}

impl ActionResponse {
    pub fn ok(body: Value) -> Self {
        ActionResponse {
            status: 200,
            body,
            raw_json: None,
        }
    }
    pub fn with_status(status: u16, body: Value) -> Self {
        ActionResponse {
            status,
            body,
            raw_json: None,
        }
    }
    /// A response whose JSON body is already serialized.
    pub fn raw(status: u16, json: Vec<u8>) -> Self {
        ActionResponse {
            status,
            body: Value::Null,
            raw_json: Some(json),
        }
    }
}

/// `refresh` request parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RefreshPolicy {
    #[default]
    None,
    Immediate,
    WaitFor,
}

impl RefreshPolicy {
    pub fn parse(v: Option<&str>) -> Result<RefreshPolicy, quarry_types::EsError> {
        match v {
            None | Some("false") => Ok(RefreshPolicy::None),
            Some("") | Some("true") => Ok(RefreshPolicy::Immediate),
            Some("wait_for") => Ok(RefreshPolicy::WaitFor),
            Some(other) => Err(quarry_types::EsError::illegal_argument(format!(
                "Unknown value for refresh: [{other}]."
            ))),
        }
    }
}

/// Splits a comma-separated path part (`a,b*`) into expressions; empty means all.
pub fn split_expressions(expr: Option<&str>) -> Vec<String> {
    expr.map(|e| {
        e.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    })
    .unwrap_or_default()
}

/// Parses a boolean request parameter the strict way Elasticsearch does.
pub fn parse_bool_param(
    name: &str,
    v: Option<&str>,
    default: bool,
) -> Result<bool, quarry_types::EsError> {
    match v {
        None => Ok(default),
        Some("") | Some("true") => Ok(true),
        Some("false") => Ok(false),
        Some(other) => Err(quarry_types::EsError::illegal_argument(format!(
            "Failed to parse value [{other}] as only [true] or [false] are allowed."
        ))
        .with("parameter", name.to_string())),
    }
}
