//! Flat settings as Elasticsearch keeps them: dotted keys (`index.number_of_shards`) to JSON
//! values, built from nested or dotted input and rendered back either way (`flat_settings`).
//!
//! Used for node, cluster and index settings alike. Pure data; no validation of key names here
//! (each owner validates its own keys).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Dotted key -> value. Arrays stay arrays; objects are always flattened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings(pub BTreeMap<String, Value>);

impl Settings {
    pub fn new() -> Self {
        Settings(BTreeMap::new())
    }

    /// Flattens a nested or dotted JSON object (`{"index":{"number_of_shards":1}}` and
    /// `{"index.number_of_shards":1}` give the same result). A non-object gives an error text.
    pub fn from_json(value: &Value) -> Result<Settings, String> {
        let mut out = BTreeMap::new();
        match value {
            Value::Object(map) => flatten_into("", map, &mut out),
            Value::Null => {}
            other => return Err(format!("settings must be an object, got [{other}]")),
        }
        Ok(Settings(out))
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// The value as a string the way Elasticsearch stores settings (numbers and booleans as text).
    pub fn get_str(&self, key: &str) -> Option<String> {
        self.0.get(key).and_then(value_as_setting_string)
    }

    pub fn insert(&mut self, key: impl Into<String>, value: Value) {
        self.0.insert(key.into(), value);
    }

    pub fn remove(&mut self, key: &str) -> Option<Value> {
        self.0.remove(key)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keys beginning with `prefix` (e.g. `index.`), with the values.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Value)> {
        use std::ops::Bound;
        self.0
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |(k, _)| k.starts_with(prefix))
    }

    /// Merges `other` over `self`; a `null` value removes the key (Elasticsearch's reset).
    pub fn merge(&mut self, other: &Settings) {
        for (k, v) in &other.0 {
            if v.is_null() {
                self.0.remove(k);
            } else {
                self.0.insert(k.clone(), v.clone());
            }
        }
    }

    /// `{"a.b": 1}` rendered flat, every scalar as a string (Elasticsearch's stored form).
    pub fn to_flat_json(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in &self.0 {
            m.insert(k.clone(), stringify(v));
        }
        Value::Object(m)
    }

    /// Rendered nested: `{"a":{"b":"1"}}`, scalars as strings.
    pub fn to_nested_json(&self) -> Value {
        let mut root = Map::new();
        for (k, v) in &self.0 {
            insert_nested(&mut root, k, stringify(v));
        }
        Value::Object(root)
    }
}

fn flatten_into(prefix: &str, map: &Map<String, Value>, out: &mut BTreeMap<String, Value>) {
    for (k, v) in map {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            Value::Object(inner) if !inner.is_empty() => flatten_into(&key, inner, out),
            other => {
                out.insert(key, other.clone());
            }
        }
    }
}

fn insert_nested(root: &mut Map<String, Value>, key: &str, value: Value) {
    let mut parts = key.split('.').peekable();
    let mut current = root;
    while let Some(part) = parts.next() {
        if parts.peek().is_none() {
            current.insert(part.to_string(), value);
            return;
        }
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            // A scalar and an object share a prefix: keep the scalar under its full key.
            let old = entry.take();
            let mut m = Map::new();
            m.insert("".into(), old);
            *entry = Value::Object(m);
        }
        current = entry.as_object_mut().expect("made an object above");
    }
}

fn stringify(v: &Value) -> Value {
    match v {
        Value::Array(items) => Value::Array(items.iter().map(stringify).collect()),
        other => value_as_setting_string(other)
            .map(Value::String)
            .unwrap_or(Value::Null),
    }
}

/// A scalar setting value as text: `1` -> "1", `true` -> "true", `"x"` -> "x".
pub fn value_as_setting_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Array(items) => Some(
            items
                .iter()
                .filter_map(value_as_setting_string)
                .collect::<Vec<_>>()
                .join(","),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_and_dotted_forms_flatten_the_same() {
        let a =
            Settings::from_json(&json!({"index":{"number_of_shards":2,"refresh_interval":"1s"}}))
                .unwrap();
        let b = Settings::from_json(
            &json!({"index.number_of_shards":2,"index":{"refresh_interval":"1s"}}),
        )
        .unwrap();
        assert_eq!(a, b);
        assert_eq!(a.get_str("index.number_of_shards").as_deref(), Some("2"));
    }

    #[test]
    fn null_removes_on_merge_and_rendering_stringifies() {
        let mut a = Settings::from_json(&json!({"a.b": 1, "a.c": true})).unwrap();
        a.merge(&Settings::from_json(&json!({"a.b": null})).unwrap());
        assert_eq!(a.to_flat_json(), json!({"a.c": "true"}));
        assert_eq!(a.to_nested_json(), json!({"a": {"c": "true"}}));
    }
}
