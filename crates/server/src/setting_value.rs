//! Parsers for single node-setting values, as Elasticsearch's `Setting` types read them: strings,
//! booleans (only `true`/`false`), integers, byte sizes (`100mb`), time values (`30s`), lists
//! (a YAML sequence or a comma-separated string) and port ranges (`9200-9300`).
//!
//! Pure functions over `serde_json::Value`; every error names the key and the offending value.

use crate::settings_error::SettingsError;
use quarry_types::settings::value_as_setting_string;
use serde_json::Value;
use std::time::Duration;

/// The value as Elasticsearch would print it in an error message.
pub fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(display_value)
            .collect::<Vec<_>>()
            .join(","),
        other => value_as_setting_string(other).unwrap_or_else(|| other.to_string()),
    }
}

/// A scalar value as text (numbers and booleans stringified); lists and objects are invalid.
pub fn parse_string(key: &str, value: &Value) -> Result<String, SettingsError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        Value::Number(_) | Value::Bool(_) => Ok(display_value(value)),
        other => Err(SettingsError::invalid(
            key,
            display_value(other),
            Some("expected a single value, not a list or an object".into()),
        )),
    }
}

/// Only `true` and `false` (any case is rejected, as in Elasticsearch 8).
pub fn parse_bool(key: &str, value: &Value) -> Result<bool, SettingsError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s == "true" => Ok(true),
        Value::String(s) if s == "false" => Ok(false),
        other => Err(SettingsError::invalid(
            key,
            display_value(other),
            Some(format!(
                "Failed to parse value [{}] as only [true] or [false] are allowed.",
                display_value(other)
            )),
        )),
    }
}

/// A whole number within `min..=max`.
pub fn parse_int(key: &str, value: &Value, min: i64, max: i64) -> Result<i64, SettingsError> {
    let text = parse_string(key, value)?;
    let n: i64 = text
        .trim()
        .parse()
        .map_err(|_| SettingsError::invalid(key, text.clone(), None))?;
    if n < min {
        return Err(SettingsError::invalid(
            key,
            text,
            Some(format!("must be >= {min}")),
        ));
    }
    if n > max {
        return Err(SettingsError::invalid(
            key,
            text,
            Some(format!("must be <= {max}")),
        ));
    }
    Ok(n)
}

/// A byte size with a unit (`100mb`, `1gb`, `512b`); `0` and `-1` need none.
pub fn parse_byte_size(key: &str, value: &Value) -> Result<u64, SettingsError> {
    let text = parse_string(key, value)?;
    let t = text.trim();
    if t == "0" || t == "-1" {
        return Ok(0);
    }
    if t.chars().all(|c| c.is_ascii_digit()) {
        return Err(SettingsError::invalid(
            key,
            text.clone(),
            Some("unit is missing or unrecognized".into()),
        ));
    }
    quarry_types::time_value::parse_byte_size(t)
        .map_err(|e| SettingsError::invalid(key, text.clone(), Some(e)))
}

/// A time value (`30s`, `500ms`); `-1` yields `None` (disabled).
pub fn parse_time(key: &str, value: &Value) -> Result<Option<Duration>, SettingsError> {
    let text = parse_string(key, value)?;
    quarry_types::time_value::parse_time_value(&text).map_err(|_| {
        SettingsError::invalid(
            key,
            text.clone(),
            Some("unit is missing or unrecognized".into()),
        )
    })
}

/// A list: a YAML sequence of scalars, or one string split on commas (`-E a=x,y`). Blank
/// entries are dropped and entries are trimmed, like Elasticsearch's list settings.
pub fn parse_list(key: &str, value: &Value) -> Result<Vec<String>, SettingsError> {
    match value {
        Value::Array(items) => items.iter().map(|item| parse_string(key, item)).collect(),
        Value::Object(_) => Err(SettingsError::invalid(key, display_value(value), None)),
        scalar => Ok(split_comma_list(&parse_string(key, scalar)?)),
    }
}

/// `"a, b,,c"` -> `["a", "b", "c"]`; `"[a,b]"` is read the same as `"a,b"`.
pub fn split_comma_list(text: &str) -> Vec<String> {
    let t = text.trim();
    let inner = t
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(t);
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Elasticsearch's `PortsRange`: `9200`, `9200-9300`, or a comma list of either. The node
/// binds the first free port, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortsRange {
    /// Inclusive `(first, last)` pairs, in the order given.
    pub ranges: Vec<(u16, u16)>,
}

impl PortsRange {
    pub fn single(port: u16) -> Self {
        PortsRange {
            ranges: vec![(port, port)],
        }
    }

    pub fn range(first: u16, last: u16) -> Self {
        PortsRange {
            ranges: vec![(first, last)],
        }
    }

    /// Parses the setting text; errors name `key`.
    pub fn parse(key: &str, value: &Value) -> Result<Self, SettingsError> {
        let text = parse_string(key, value)?;
        let bad = || SettingsError::invalid(key, text.clone(), None);
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let (first, last) = match part.split_once('-') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (part, part),
            };
            let first: u16 = first.parse().map_err(|_| bad())?;
            let last: u16 = last.parse().map_err(|_| bad())?;
            if first > last {
                return Err(bad());
            }
            ranges.push((first, last));
        }
        Ok(PortsRange { ranges })
    }

    /// Every port of the range, in the order to try them.
    pub fn ports(&self) -> impl Iterator<Item = u16> + '_ {
        self.ranges.iter().flat_map(|&(a, b)| a..=b)
    }

    /// The first port (what a fixed-port node uses).
    pub fn first(&self) -> u16 {
        self.ranges.first().map(|r| r.0).unwrap_or(0)
    }
}

impl std::fmt::Display for PortsRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .ranges
            .iter()
            .map(|&(a, b)| {
                if a == b {
                    a.to_string()
                } else {
                    format!("{a}-{b}")
                }
            })
            .collect();
        f.write_str(&parts.join(","))
    }
}
