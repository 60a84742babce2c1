//! Combines the mappings of component templates, the index template and the create-index
//! request the way Elasticsearch's `INDEX_TEMPLATE` merge does: later sources win, an object
//! (or `nested`) field meeting another object field merges its sub-fields and takes the later
//! parameters, and any other field definition is replaced whole (its type may change).
//!
//! Owns: that merge rule. Must not validate field types (that is `Mapping::parse`).

use quarry_types::{EsError, Mapping};
use serde_json::{Map, Value};

/// Merges mapping sources in order into one mapping.
pub fn merge_template_mappings(sources: &[Value]) -> Result<Mapping, EsError> {
    if sources.len() < 2 {
        return match sources.first() {
            Some(m) => Mapping::parse(m),
            None => Ok(Mapping::default()),
        };
    }
    let mut merged = Map::new();
    for source in sources {
        // Parsing first expands dotted names (`a.b`) into objects and checks each source.
        let Value::Object(obj) = Mapping::parse(source)?.to_json() else {
            continue;
        };
        merge_object(&mut merged, &obj);
    }
    Mapping::parse(&Value::Object(merged))
}

/// The type of an object-like field (`object` when none is given), `None` for other fields.
fn object_kind(def: &Value) -> Option<&str> {
    match def.get("type").and_then(Value::as_str) {
        None => Some("object"),
        Some(t) if t == "object" || t == "nested" => Some(t),
        Some(_) => None,
    }
}

/// Merges the root (or an object field's) parameters and `properties` of `update` into `base`.
fn merge_object(base: &mut Map<String, Value>, update: &Map<String, Value>) {
    for (key, value) in update {
        if key != "properties" {
            base.insert(key.clone(), value.clone());
            continue;
        }
        let Value::Object(fields) = value else {
            continue;
        };
        let entry = base
            .entry("properties")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(existing) = entry else {
            continue;
        };
        for (name, def) in fields {
            match existing.get_mut(name) {
                Some(old @ Value::Object(_))
                    if object_kind(old).is_some() && object_kind(old) == object_kind(def) =>
                {
                    let Value::Object(old) = old else {
                        continue;
                    };
                    if let Value::Object(new) = def {
                        // Object-level parameters come from the later source only.
                        let props = old.remove("properties");
                        old.clear();
                        if let Some(p) = props {
                            old.insert("properties".into(), p);
                        }
                        merge_object(old, new);
                    }
                }
                _ => {
                    existing.insert(name.clone(), def.clone());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn later_sources_replace_leaf_fields_and_merge_objects() {
        let m = merge_template_mappings(&[
            json!({"properties": {"object1.red": {"type": "keyword"}, "object2.red": {"type": "keyword"}}}),
            json!({"properties": {"object2.red": {"type": "text"}, "object1.blue": {"type": "text"}}}),
            json!({"properties": {"nested": {"type": "nested", "include_in_root": true}}}),
            json!({"properties": {"nested": {"type": "nested", "include_in_parent": true}}}),
        ])
        .unwrap()
        .to_json();
        let p = &m["properties"];
        assert_eq!(p["object1"]["properties"]["red"]["type"], "keyword");
        assert_eq!(p["object1"]["properties"]["blue"]["type"], "text");
        assert_eq!(p["object2"]["properties"]["red"]["type"], "text");
        assert_eq!(p["nested"]["include_in_parent"], true);
        assert!(p["nested"].get("include_in_root").is_none());
    }

    #[test]
    fn a_single_source_is_parsed_as_is() {
        let m = merge_template_mappings(&[json!({"properties": {"a": {"type": "long"}}})]).unwrap();
        assert_eq!(m.to_json()["properties"]["a"]["type"], "long");
        assert!(merge_template_mappings(&[]).unwrap().properties.is_empty());
    }
}
