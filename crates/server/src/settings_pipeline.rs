//! Builds the raw node settings the way Elasticsearch does at startup:
//!
//! ```text
//! config/quarry.yml ──flatten──┐
//!                              ├─> merged ─> ${ENV} substitution ─> list normalisation ─> Settings
//! -E key=value (repeatable) ───┘  (-E wins)
//! ```
//!
//! Nested and dotted YAML keys are equivalent (`cluster.name: x` == `cluster: {name: x}`); the
//! same key spelled both ways is an error, like a duplicate key. Typed validation happens
//! afterwards in `node_settings`. No I/O except reading the config file.

use crate::known_settings::is_list_setting;
use crate::setting_value::split_comma_list;
use crate::settings_error::SettingsError;
use quarry_types::Settings;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// Reads the config file (if any), applies `-E` overrides, substitutes `${VAR}` placeholders
/// through `env`, and turns comma strings of list settings into arrays.
pub fn load_raw_settings(
    config_file: Option<&Path>,
    overrides: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, SettingsError> {
    let mut settings = match config_file {
        Some(path) => {
            let text =
                std::fs::read_to_string(path).map_err(|source| SettingsError::ReadConfig {
                    path: path.to_path_buf(),
                    source,
                })?;
            parse_config_yaml(&text, path)?
        }
        None => Settings::new(),
    };
    apply_overrides(&mut settings, overrides)?;
    substitute_placeholders(&mut settings, env)?;
    normalize_list_settings(&mut settings);
    Ok(settings)
}

/// Parses `quarry.yml` text into flat settings. `path` only labels errors.
pub fn parse_config_yaml(text: &str, path: &Path) -> Result<Settings, SettingsError> {
    let value: Value = serde_saphyr::from_str(text).map_err(|e| SettingsError::ParseConfig {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    match &value {
        Value::Null => return Ok(Settings::new()),
        Value::Object(map) => check_duplicate_keys("", map, &mut BTreeSet::new(), path)?,
        _ => {
            return Err(SettingsError::ParseConfig {
                path: path.to_path_buf(),
                message: "the top level must be a mapping of setting names to values".into(),
            })
        }
    }
    let mut settings =
        Settings::from_json(&value).map_err(|message| SettingsError::ParseConfig {
            path: path.to_path_buf(),
            message,
        })?;
    // `key:` with no value, and empty mappings, set nothing.
    settings
        .0
        .retain(|_, v| !(v.is_null() || v.as_object().is_some_and(Map::is_empty)));
    Ok(settings)
}

/// Finds a dotted key reached twice (`a.b: 1` next to `a: {b: 2}`).
fn check_duplicate_keys(
    prefix: &str,
    map: &Map<String, Value>,
    seen: &mut BTreeSet<String>,
    path: &Path,
) -> Result<(), SettingsError> {
    for (k, v) in map {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                check_duplicate_keys(&key, inner, seen, path)?
            }
            _ => {
                if !seen.insert(key.clone()) {
                    return Err(SettingsError::DuplicateKey {
                        path: path.to_path_buf(),
                        key,
                    });
                }
            }
        }
    }
    Ok(())
}

/// Splits one `-E` argument into key and value (`key=value`; the value may contain `=`).
pub fn parse_override(arg: &str) -> Result<(String, String), SettingsError> {
    match arg.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(SettingsError::MalformedOverride(arg.to_string())),
    }
}

/// Applies `-E` overrides in order; later ones win, and all win over the file.
pub fn apply_overrides(settings: &mut Settings, overrides: &[String]) -> Result<(), SettingsError> {
    for arg in overrides {
        let (key, value) = parse_override(arg)?;
        settings.insert(key, Value::String(value));
    }
    Ok(())
}

/// Replaces `${NAME}` (or `${NAME:default}`) inside every string value.
pub fn substitute_placeholders(
    settings: &mut Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SettingsError> {
    for value in settings.0.values_mut() {
        substitute_in_value(value, env)?;
    }
    Ok(())
}

fn substitute_in_value(
    value: &mut Value,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SettingsError> {
    match value {
        Value::String(s) if s.contains("${") => {
            *s = substitute_in_str(s, env)?;
        }
        Value::Array(items) => {
            for item in items {
                substitute_in_value(item, env)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// `"${HOME}/data"` -> `"/root/data"`. An unset variable without a default is an error naming
/// it; an unterminated `${` is kept as written.
pub fn substitute_in_str(
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<String, SettingsError> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let placeholder = &after[..end];
        let (name, default) = match placeholder.split_once(':') {
            Some((name, default)) => (name, Some(default)),
            None => (placeholder, None),
        };
        match (env(name), default) {
            (Some(v), _) => out.push_str(&v),
            (None, Some(d)) => out.push_str(d),
            (None, None) => return Err(SettingsError::UnresolvedPlaceholder(name.to_string())),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// A list setting given as one string (`-E discovery.seed_hosts=a,b`, or `${HOSTS}`) becomes an
/// array, so the raw settings show what the node will use.
pub fn normalize_list_settings(settings: &mut Settings) {
    for (key, value) in settings.0.iter_mut() {
        if let Value::String(s) = value {
            if is_list_setting(key) {
                *value = Value::Array(split_comma_list(s).into_iter().map(Value::String).collect());
            }
        }
    }
}
