//! Index-scoped settings (`index.*`): the registry of known keys, their kind (dynamic, static,
//! final, private), value checks, defaults, and the create/update rules with Elasticsearch's
//! messages (`IndexScopedSettings`, `MetadataUpdateSettingsService`).
//!
//! Owns: what an `index.*` key may be and when it may change. Must not touch the cluster state
//! (the callers in `apply` decide which indices are open or closed).

use quarry_types::settings::value_as_setting_string;
use quarry_types::time_value::{parse_byte_size, parse_time_value};
use quarry_types::{EsError, Settings};
use serde_json::Value;

/// When a setting may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    /// Updatable on open indices.
    Dynamic,
    /// Updatable only on closed indices.
    Static,
    /// Fixed at creation.
    Final,
    /// Set by Quarry itself (`index.uuid`, `index.creation_date`...), never by users.
    Private,
}

#[derive(Debug, Clone, Copy)]
enum Check {
    Any,
    Int { min: i64, max: i64 },
    Bool,
    Time,
    Bytes,
    OneOf(&'static [&'static str]),
}

struct SettingDef {
    /// Key without `index.`; a trailing `.` makes it a prefix (`analysis.`).
    key: &'static str,
    kind: SettingKind,
    check: Check,
}

const fn def(key: &'static str, kind: SettingKind, check: Check) -> SettingDef {
    SettingDef { key, kind, check }
}

use Check::*;
use SettingKind::*;

const POS: Check = Int {
    min: 1,
    max: i32::MAX as i64,
};
const NON_NEG: Check = Int {
    min: 0,
    max: i32::MAX as i64,
};

/// The registry. Keys are relative to `index.`.
const SETTINGS: &[SettingDef] = &[
    def("number_of_shards", Final, Int { min: 1, max: 1024 }),
    def("number_of_replicas", Dynamic, NON_NEG),
    def("number_of_routing_shards", Final, POS),
    def("routing_partition_size", Final, POS),
    def("auto_expand_replicas", Dynamic, Any),
    def("refresh_interval", Dynamic, Time),
    def("max_result_window", Dynamic, POS),
    def("max_inner_result_window", Dynamic, POS),
    def("max_rescore_window", Dynamic, POS),
    def("max_terms_count", Dynamic, POS),
    def("max_docvalue_fields_search", Dynamic, NON_NEG),
    def("max_script_fields", Dynamic, NON_NEG),
    def("max_ngram_diff", Dynamic, NON_NEG),
    def("max_shingle_diff", Dynamic, NON_NEG),
    def("max_regex_length", Dynamic, POS),
    def("max_slices_per_scroll", Dynamic, POS),
    def("max_refresh_listeners", Dynamic, NON_NEG),
    def("max_adjacency_matrix_filters", Dynamic, POS),
    def("translog.durability", Dynamic, OneOf(&["request", "async"])),
    def("translog.sync_interval", Dynamic, Time),
    def("translog.flush_threshold_size", Dynamic, Bytes),
    def("translog.generation_threshold_size", Dynamic, Bytes),
    def("translog.retention.", Dynamic, Any),
    def("analysis.", Static, Any),
    def("similarity.", Static, Any),
    def("routing.allocation.", Dynamic, Any),
    def("routing.rebalance.", Dynamic, Any),
    def("allocation.max_retries", Dynamic, NON_NEG),
    def("hidden", Dynamic, Bool),
    def("blocks.read_only", Dynamic, Bool),
    def("blocks.read_only_allow_delete", Dynamic, Bool),
    def("blocks.read", Dynamic, Bool),
    def("blocks.write", Dynamic, Bool),
    def("blocks.metadata", Dynamic, Bool),
    def("codec", Static, Any),
    def("mapping.total_fields.limit", Dynamic, NON_NEG),
    def(
        "mapping.total_fields.ignore_dynamic_beyond_limit",
        Dynamic,
        Bool,
    ),
    def("mapping.depth.limit", Dynamic, POS),
    def("mapping.nested_fields.limit", Dynamic, NON_NEG),
    def("mapping.nested_objects.limit", Dynamic, NON_NEG),
    def("mapping.field_name_length.limit", Dynamic, POS),
    def("mapping.dimension_fields.limit", Dynamic, NON_NEG),
    def("mapping.ignore_malformed", Static, Bool),
    def("mapping.coerce", Static, Bool),
    def("search.idle.after", Dynamic, Time),
    def("search.slowlog.", Dynamic, Any),
    def("indexing.slowlog.", Dynamic, Any),
    def("unassigned.node_left.delayed_timeout", Dynamic, Time),
    def("priority", Dynamic, NON_NEG),
    def("write.wait_for_active_shards", Dynamic, Any),
    def("query.default_field", Dynamic, Any),
    def("query_string.lenient", Static, Bool),
    def("sort.", Final, Any),
    def("lifecycle.", Dynamic, Any),
    def("default_pipeline", Dynamic, Any),
    def("final_pipeline", Dynamic, Any),
    def("shard.check_on_startup", Static, Any),
    def("merge.", Dynamic, Any),
    def("store.type", Static, Any),
    def("store.preload", Static, Any),
    def("format", Static, Any),
    def("requests.cache.enable", Dynamic, Bool),
    def("gc_deletes", Dynamic, Time),
    def("soft_deletes.enabled", Final, Bool),
    def("soft_deletes.retention_lease.period", Dynamic, Time),
    def("load_fixed_bitset_filters_eagerly", Static, Bool),
    def("highlight.max_analyzed_offset", Dynamic, POS),
    def("uuid", Private, Any),
    def("creation_date", Private, Any),
    def("provided_name", Private, Any),
    def("version.created", Private, Any),
    def("history.uuid", Private, Any),
    def("verified_before_close", Private, Bool),
];

/// The `index.version.created` Quarry writes (Elasticsearch 8.15.0's id).
pub const VERSION_CREATED: &str = "8150099";

fn find(key: &str) -> Option<&'static SettingDef> {
    let rel = key.strip_prefix("index.")?;
    SETTINGS.iter().find(|d| {
        if d.key.ends_with('.') {
            rel.starts_with(d.key) && rel.len() > d.key.len()
        } else {
            rel == d.key
        }
    })
}

/// The kind of a known `index.*` key, `None` when unknown.
pub fn setting_kind(key: &str) -> Option<SettingKind> {
    find(key).map(|d| d.kind)
}

/// Adds `index.` to keys that lack it (Elasticsearch's `normalizePrefix`).
pub fn normalize_prefix(settings: &Settings) -> Settings {
    let mut out = Settings::new();
    for (k, v) in &settings.0 {
        let key = if k.starts_with("index.") {
            k.clone()
        } else {
            format!("index.{k}")
        };
        out.insert(key, v.clone());
    }
    out
}

pub fn unknown_setting(key: &str) -> EsError {
    EsError::illegal_argument(format!(
        "unknown setting [{key}] please check that any required plugins are installed, or check the breaking changes documentation for removed settings"
    ))
}

fn check_value(key: &str, check: Check, value: &Value) -> Result<(), EsError> {
    if value.is_null() {
        return Ok(());
    }
    let text = value_as_setting_string(value).unwrap_or_default();
    let bad = |suffix: &str| {
        EsError::illegal_argument(format!(
            "Failed to parse value [{text}] for setting [{key}]{suffix}"
        ))
    };
    match check {
        Any => Ok(()),
        Int { min, max } => {
            let n: i64 = text.trim().parse().map_err(|_| bad(""))?;
            if n < min {
                return Err(bad(&format!(" must be >= {min}")));
            }
            if n > max {
                return Err(bad(&format!(" must be <= {max}")));
            }
            Ok(())
        }
        Bool => match text.as_str() {
            "true" | "false" => Ok(()),
            _ => Err(EsError::illegal_argument(format!(
                "Failed to parse value [{text}] as only [true] or [false] are allowed."
            ))),
        },
        Time => parse_time_value(&text).map(|_| ()).map_err(|_| {
            EsError::illegal_argument(format!(
                "failed to parse setting [{key}] with value [{text}] as a time value: unit is missing or unrecognized"
            ))
        }),
        Bytes => parse_byte_size(&text).map(|_| ()).map_err(|_| {
            EsError::illegal_argument(format!(
                "failed to parse setting [{key}] with value [{text}] as a size in bytes: unit is missing or unrecognized"
            ))
        }),
        OneOf(allowed) => {
            if allowed.contains(&text.to_ascii_lowercase().as_str()) {
                Ok(())
            } else {
                Err(EsError::illegal_argument(format!(
                    "illegal value [{text}] for setting [{key}], must be one of {allowed:?}"
                )))
            }
        }
    }
}

fn check_auto_expand(key: &str, value: &Value) -> Result<(), EsError> {
    let text = value_as_setting_string(value).unwrap_or_default();
    if text == "false" || value.is_null() {
        return Ok(());
    }
    let ok = text
        .split_once('-')
        .map(|(lo, hi)| lo.parse::<u32>().is_ok() && (hi == "all" || hi.parse::<u32>().is_ok()))
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(EsError::illegal_argument(format!(
            "failed to parse [{key}] from value: [{text}] at index -1"
        )))
    }
}

/// Validates user-given settings (already normalized): every key known, not private, every
/// value well-formed.
pub fn validate_user_settings(settings: &Settings) -> Result<(), EsError> {
    for (key, value) in &settings.0 {
        let def = find(key).ok_or_else(|| unknown_setting(key))?;
        if def.kind == Private {
            return Err(EsError::illegal_argument(format!(
                "private index setting [{key}] can not be set explicitly"
            )));
        }
        check_value(key, def.check, value)?;
        if key == "index.auto_expand_replicas" {
            check_auto_expand(key, value)?;
        }
    }
    Ok(())
}

/// Builds the full stored settings of a new index from the user's (normalized, template-merged)
/// settings plus the private values.
pub fn build_create_settings(
    user: &Settings,
    name: &str,
    uuid: &str,
    creation_date: i64,
) -> Result<Settings, EsError> {
    let user = normalize_prefix(user);
    validate_user_settings(&user)?;
    crate::allocation::allocation_settings::check_allocation_settings(&user)?;
    let mut out = Settings::new();
    out.insert("index.number_of_shards", Value::String("1".into()));
    out.insert("index.number_of_replicas", Value::String("1".into()));
    out.insert(
        "index.routing.allocation.include._tier_preference",
        Value::String("data_content".into()),
    );
    for (k, v) in &user.0 {
        if v.is_null() {
            out.remove(k);
        } else {
            let stored = value_as_setting_string(v)
                .map(Value::String)
                .unwrap_or_else(|| v.clone());
            out.insert(k.clone(), stored);
        }
    }
    out.insert("index.uuid", Value::String(uuid.into()));
    out.insert(
        "index.creation_date",
        Value::String(creation_date.to_string()),
    );
    out.insert("index.provided_name", Value::String(name.into()));
    out.insert(
        "index.version.created",
        Value::String(VERSION_CREATED.into()),
    );
    validate_routing_shards(&out)?;
    Ok(out)
}

fn validate_routing_shards(settings: &Settings) -> Result<(), EsError> {
    let shards = get_u32(settings, "index.number_of_shards").unwrap_or(1);
    if let Some(routing) = get_u32(settings, "index.number_of_routing_shards") {
        if routing < shards || routing % shards != 0 {
            return Err(EsError::illegal_argument(format!(
                "the number of source shards [{shards}] must be a factor of [{routing}]"
            )));
        }
    }
    if let Some(partition) = get_u32(settings, "index.routing_partition_size") {
        if partition > 1 && partition >= shards {
            return Err(EsError::illegal_argument(format!(
                "routing partition size [{partition}] should be a positive number less than the number of routing shards [{shards}]"
            )));
        }
    }
    Ok(())
}

/// A setting as u32 (numbers stored as text).
pub fn get_u32(settings: &Settings, key: &str) -> Option<u32> {
    settings.get_str(key).and_then(|s| s.trim().parse().ok())
}

/// A setting as bool.
pub fn get_bool(settings: &Settings, key: &str) -> Option<bool> {
    settings.get_str(key).and_then(|s| s.trim().parse().ok())
}

/// Checks an update (`PUT idx/_settings`) against the rules for one index and returns the
/// normalized update. `open_indices` lists `[name/uuid]` of the open targets: non-dynamic keys
/// are refused for them.
pub fn validate_update(update: &Settings, open_indices: &[String]) -> Result<Settings, EsError> {
    let update = normalize_prefix(update);
    let mut non_dynamic = Vec::new();
    for (key, value) in &update.0 {
        let def = find(key).ok_or_else(|| unknown_setting(key))?;
        if def.kind == Private {
            return Err(EsError::illegal_argument(format!(
                "private index setting [{key}] can not be set explicitly"
            )));
        }
        check_value(key, def.check, value)?;
        if key == "index.auto_expand_replicas" {
            check_auto_expand(key, value)?;
        }
        if def.kind != Dynamic {
            non_dynamic.push(key.clone());
        }
    }
    if !non_dynamic.is_empty() && !open_indices.is_empty() {
        return Err(EsError::illegal_argument(format!(
            "Can't update non dynamic settings [[{}]] for open indices [{}]",
            non_dynamic.join(", "),
            open_indices.join(", ")
        )));
    }
    for key in &non_dynamic {
        if find(key).map(|d| d.kind) == Some(Final) {
            return Err(EsError::illegal_argument(format!(
                "final index setting [{key}], not updateable"
            )));
        }
    }
    Ok(update)
}

/// The defaults `GET idx/_settings?include_defaults` shows for the common keys.
pub fn index_setting_defaults() -> Settings {
    let mut s = Settings::new();
    for (k, v) in [
        ("index.refresh_interval", "1s"),
        ("index.translog.durability", "REQUEST"),
        ("index.translog.sync_interval", "5s"),
        ("index.translog.flush_threshold_size", "10gb"),
        ("index.max_result_window", "10000"),
        ("index.max_inner_result_window", "100"),
        ("index.max_terms_count", "65536"),
        ("index.max_docvalue_fields_search", "100"),
        ("index.max_ngram_diff", "1"),
        ("index.max_shingle_diff", "3"),
        ("index.mapping.total_fields.limit", "1000"),
        ("index.mapping.depth.limit", "20"),
        ("index.mapping.nested_fields.limit", "50"),
        ("index.hidden", "false"),
        ("index.codec", "default"),
        ("index.auto_expand_replicas", "false"),
        ("index.priority", "1"),
        ("index.write.wait_for_active_shards", "1"),
        ("index.query.default_field", "*"),
        ("index.search.idle.after", "30s"),
        ("index.unassigned.node_left.delayed_timeout", "1m"),
        ("index.allocation.max_retries", "5"),
        ("index.routing_partition_size", "1"),
        ("index.blocks.read_only", "false"),
        ("index.blocks.read_only_allow_delete", "false"),
        ("index.blocks.read", "false"),
        ("index.blocks.write", "false"),
        ("index.blocks.metadata", "false"),
    ] {
        s.insert(k, Value::String(v.into()));
    }
    s
}

#[cfg(test)]
#[path = "index_settings_test.rs"]
mod index_settings_test;
