//! `?human`: adds Elasticsearch's human-readable siblings to raw figures, the way its
//! `XContentBuilder.humanReadableField` does: `size_in_bytes: 8123` gains `size: "7.9kb"`,
//! `total_time_in_millis: 1500` gains `total_time: "1.5s"`. Pure.

use super::human;
use serde_json::{Map, Value};

/// Adds the human-readable sibling of every `*_in_bytes` and `*_in_millis` field, recursively.
/// Keys already present are left alone.
pub fn add_human_fields(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for v in map.values_mut() {
                add_human_fields(v);
            }
            let mut extra = Map::new();
            for (k, v) in map.iter() {
                let Some(n) = v.as_i64() else { continue };
                let human = if let Some(base) = k.strip_suffix("_in_bytes") {
                    Some((
                        base,
                        if n >= 0 {
                            human::bytes(n as u64)
                        } else {
                            n.to_string()
                        },
                    ))
                } else {
                    k.strip_suffix("_in_millis")
                        .map(|base| (base, human::millis(n)))
                };
                if let Some((base, text)) = human {
                    if !base.is_empty() && !map.contains_key(base) {
                        extra.insert(base.to_string(), Value::String(text));
                    }
                }
            }
            // Elasticsearch prints the human field just before the raw one; order is cosmetic.
            for (k, v) in extra {
                map.insert(k, v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(add_human_fields),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn adds_siblings_for_bytes_and_millis_recursively() {
        let mut v = json!({"store": {"size_in_bytes": 2048}, "a": [{"total_time_in_millis": 1500}], "size": 1});
        add_human_fields(&mut v);
        assert_eq!(v["store"]["size"], "2kb");
        assert_eq!(v["a"][0]["total_time"], "1.5s");
        assert_eq!(v["size"], 1);
    }
}
