//! The node settings Quarry knows, and the shape of each value. Like Elasticsearch, a node
//! refuses to start on a key nobody registered (`unknown setting [...]`) or on a value that
//! does not parse; whole families (`indices.*`, `thread_pool.*`, ...) are accepted by prefix
//! because their keys are owned by modules that read them later.
//!
//! Pure: a table and a validation function. The typed reading lives in `node_settings`.

use crate::setting_value::{
    parse_bool, parse_byte_size, parse_int, parse_list, parse_string, parse_time, PortsRange,
};
use crate::settings_error::SettingsError;
use quarry_types::Settings;
use serde_json::Value;

/// How a setting's value is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// Any single scalar.
    Str,
    Bool,
    /// A non-negative integer.
    Int,
    ByteSize,
    Time,
    /// A sequence, or a comma-separated string.
    List,
    Ports,
    /// A log level (`off`, `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `all`).
    LogLevel,
    /// A boolean Quarry only supports as `false` (security features it does not implement).
    FalseOnly,
    /// Anything: the owning module validates it when it reads it.
    Any,
}

/// Exact keys. Checked before the prefix families, so `transport.port` is a port range even
/// though `transport.*` is otherwise free-form.
const EXACT: &[(&str, SettingKind)] = &[
    ("cluster.name", SettingKind::Str),
    ("node.name", SettingKind::Str),
    ("node.roles", SettingKind::List),
    ("node.processors", SettingKind::Str),
    ("node.store.allow_mmap", SettingKind::Bool),
    ("node.id.seed", SettingKind::Int),
    ("network.host", SettingKind::List),
    ("network.bind_host", SettingKind::List),
    ("network.publish_host", SettingKind::List),
    ("http.host", SettingKind::List),
    ("http.bind_host", SettingKind::List),
    ("http.publish_host", SettingKind::List),
    ("http.port", SettingKind::Ports),
    ("http.publish_port", SettingKind::Int),
    ("http.max_content_length", SettingKind::ByteSize),
    ("http.max_initial_line_length", SettingKind::ByteSize),
    ("http.max_header_size", SettingKind::ByteSize),
    ("http.max_chunk_size", SettingKind::ByteSize),
    ("http.compression", SettingKind::Bool),
    ("http.compression_level", SettingKind::Int),
    ("http.detailed_errors.enabled", SettingKind::Bool),
    ("http.pipelining.max_events", SettingKind::Int),
    ("http.read_timeout", SettingKind::Time),
    ("http.max_warning_header_count", SettingKind::Int),
    ("http.max_warning_header_size", SettingKind::ByteSize),
    ("transport.port", SettingKind::Ports),
    ("path.data", SettingKind::List),
    ("path.logs", SettingKind::Str),
    ("path.repo", SettingKind::List),
    ("path.home", SettingKind::Str),
    ("path.shared_data", SettingKind::Str),
    ("bootstrap.memory_lock", SettingKind::Bool),
    ("cluster.max_shards_per_node", SettingKind::Int),
    ("cluster.max_shards_per_node.frozen", SettingKind::Int),
    ("cluster.initial_master_nodes", SettingKind::List),
    (
        "cluster.auto_shrink_voting_configuration",
        SettingKind::Bool,
    ),
    ("cluster.max_voting_config_exclusions", SettingKind::Int),
    ("cluster.follower_lag.timeout", SettingKind::Time),
    (
        "cluster.fault_detection.follower_check.interval",
        SettingKind::Time,
    ),
    (
        "cluster.fault_detection.follower_check.timeout",
        SettingKind::Time,
    ),
    (
        "cluster.fault_detection.follower_check.retry_count",
        SettingKind::Int,
    ),
    (
        "cluster.fault_detection.leader_check.interval",
        SettingKind::Time,
    ),
    (
        "cluster.fault_detection.leader_check.timeout",
        SettingKind::Time,
    ),
    (
        "cluster.fault_detection.leader_check.retry_count",
        SettingKind::Int,
    ),
    ("monitor.fs.health.enabled", SettingKind::Bool),
    ("monitor.fs.health.refresh_interval", SettingKind::Time),
    (
        "monitor.fs.health.slow_path_logging_threshold",
        SettingKind::Time,
    ),
    ("cluster.publish.timeout", SettingKind::Time),
    ("cluster.publish.info_timeout", SettingKind::Time),
    ("cluster.no_master_block", SettingKind::Str),
    ("cluster.indices.close.enable", SettingKind::Bool),
    ("cluster.blocks.read_only", SettingKind::Bool),
    ("cluster.blocks.read_only_allow_delete", SettingKind::Bool),
    ("cluster.info.update.interval", SettingKind::Time),
    ("cluster.deprecation_indexing.enabled", SettingKind::Bool),
    ("discovery.type", SettingKind::Str),
    ("discovery.seed_hosts", SettingKind::List),
    ("discovery.seed_providers", SettingKind::List),
    ("discovery.find_peers_interval", SettingKind::Time),
    ("action.destructive_requires_name", SettingKind::Bool),
    ("action.auto_create_index", SettingKind::Str),
    ("logger.level", SettingKind::LogLevel),
    // Security is not implemented: accept it switched off, refuse it switched on.
    ("xpack.security.enabled", SettingKind::FalseOnly),
    ("xpack.security.enrollment.enabled", SettingKind::FalseOnly),
    ("xpack.security.http.ssl.enabled", SettingKind::FalseOnly),
    (
        "xpack.security.transport.ssl.enabled",
        SettingKind::FalseOnly,
    ),
    (
        "xpack.security.autoconfiguration.enabled",
        SettingKind::FalseOnly,
    ),
    // Feature switches docker-compose files commonly set; accepted and ignored.
    ("xpack.ml.enabled", SettingKind::Bool),
    ("xpack.monitoring.collection.enabled", SettingKind::Bool),
    ("xpack.watcher.enabled", SettingKind::Bool),
    ("xpack.graph.enabled", SettingKind::Bool),
    ("xpack.license.self_generated.type", SettingKind::Str),
];

/// Families accepted by prefix (the key must be longer than the prefix).
const PREFIXES: &[(&str, SettingKind)] = &[
    ("node.attr.", SettingKind::Str),
    ("logger.", SettingKind::LogLevel),
    ("http.cors.", SettingKind::Any),
    ("http.tcp.", SettingKind::Any),
    ("network.tcp.", SettingKind::Any),
    ("transport.", SettingKind::Any),
    ("discovery.", SettingKind::Any),
    ("cluster.routing.", SettingKind::Any),
    ("cluster.election.", SettingKind::Any),
    ("cluster.join.", SettingKind::Any),
    ("cluster.persistent_tasks.", SettingKind::Any),
    ("indices.", SettingKind::Any),
    ("thread_pool.", SettingKind::Any),
    ("search.", SettingKind::Any),
    ("action.", SettingKind::Any),
    ("gateway.", SettingKind::Any),
    ("ingest.", SettingKind::Any),
];

/// Keys whose values are lists (so `-E key=a,b` becomes `["a","b"]`).
pub fn is_list_setting(key: &str) -> bool {
    kind_of(key) == Some(SettingKind::List)
}

/// The kind of a known key, or `None` for an unknown one.
pub fn kind_of(key: &str) -> Option<SettingKind> {
    if let Some((_, kind)) = EXACT.iter().find(|(k, _)| *k == key) {
        return Some(*kind);
    }
    PREFIXES
        .iter()
        .find(|(prefix, _)| key.len() > prefix.len() && key.starts_with(prefix))
        .map(|(_, kind)| *kind)
}

/// Checks every key is known and every value has the right shape. Stops at the first problem
/// (keys in sorted order), as Elasticsearch stops at the first bad setting.
pub fn validate_settings(settings: &Settings) -> Result<(), SettingsError> {
    for (key, value) in &settings.0 {
        let kind = kind_of(key).ok_or_else(|| SettingsError::UnknownSetting(key.clone()))?;
        validate_value(key, kind, value)?;
    }
    Ok(())
}

fn validate_value(key: &str, kind: SettingKind, value: &Value) -> Result<(), SettingsError> {
    match kind {
        SettingKind::Str => parse_string(key, value).map(drop),
        SettingKind::Bool => parse_bool(key, value).map(drop),
        SettingKind::Int => parse_int(key, value, 0, i64::from(i32::MAX)).map(drop),
        SettingKind::ByteSize => parse_byte_size(key, value).map(drop),
        SettingKind::Time => parse_time(key, value).map(drop),
        SettingKind::List => parse_list(key, value).map(drop),
        SettingKind::Ports => PortsRange::parse(key, value).map(drop),
        SettingKind::LogLevel => parse_log_level(key, value).map(drop),
        SettingKind::FalseOnly => {
            if parse_bool(key, value)? {
                Err(SettingsError::Illegal(format!(
                    "[{key}] is not supported by Quarry: security features are not implemented; \
                     set [{key}] to [false] or remove it"
                )))
            } else {
                Ok(())
            }
        }
        SettingKind::Any => Ok(()),
    }
}

/// A log4j level name, lower-cased: `off`, `fatal`, `error`, `warn`, `info`, `debug`, `trace`,
/// `all`.
pub fn parse_log_level(key: &str, value: &Value) -> Result<String, SettingsError> {
    let text = parse_string(key, value)?;
    let level = text.trim().to_ascii_lowercase();
    match level.as_str() {
        "off" | "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "all" => Ok(level),
        _ => Err(SettingsError::invalid(
            key,
            text.clone(),
            Some(format!(
                "Unknown level constant [{}].",
                text.trim().to_ascii_uppercase()
            )),
        )),
    }
}
