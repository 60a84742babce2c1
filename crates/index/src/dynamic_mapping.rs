//! Dynamic mapping as in Elasticsearch 8: which mapping a field not in the mapping gets from its
//! first value (`dynamic_templates`, `date_detection` with `dynamic_date_formats`,
//! `numeric_detection`, then the defaults: text + `keyword` sub-field, long, float, boolean,
//! object), and how new fields are collected into a mapping update.
//!
//! Owns: the inference rules. Must not walk documents or index values (that is `mapper`).

use crate::json_source::JsonValue;
use quarry_types::date::parse_date;
use quarry_types::mapping::{FieldMapping, FieldType, Mapping};
use serde_json::{json, Map, Value};

const DEFAULT_DATE_FORMATS: &[&str] = &[
    "strict_date_optional_time",
    "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd",
];
/// How `GET _mapping` shows a field detected by the second default format.
const SLASH_DATE_FORMAT: &str = "yyyy/MM/dd HH:mm:ss||yyyy/MM/dd||epoch_millis";

/// The mapping a new field at `path` (last segment `name`) gets for `value`; `None` for null and
/// empty arrays, which add no mapping.
pub fn infer_field_mapping(
    mapping: &Mapping,
    path: &str,
    name: &str,
    value: &JsonValue,
) -> Option<FieldMapping> {
    let (detected_type, date_format) = detect(mapping, value)?;
    if let Some(fm) = from_templates(mapping, path, name, detected_type) {
        return Some(fm);
    }
    Some(match detected_type {
        "string" => {
            let mut fm = FieldMapping::of(FieldType::Text);
            fm.fields.insert(
                "keyword".into(),
                FieldMapping::of(FieldType::Keyword).with_param("ignore_above", json!(256)),
            );
            fm
        }
        "date" => match date_format {
            Some(f) => FieldMapping::of(FieldType::Date).with_param("format", json!(f)),
            None => FieldMapping::of(FieldType::Date),
        },
        "long" => FieldMapping::of(FieldType::Long),
        "double" => FieldMapping::of(FieldType::Float),
        "boolean" => FieldMapping::of(FieldType::Boolean),
        _ => FieldMapping::object(),
    })
}

/// Elasticsearch's `match_mapping_type` of a value, and a date format when a date was detected.
fn detect(mapping: &Mapping, value: &JsonValue) -> Option<(&'static str, Option<String>)> {
    Some(match value {
        JsonValue::Null => return None,
        JsonValue::Array(items) => return items.iter().find_map(|n| detect(mapping, &n.value)),
        JsonValue::Object(_) => ("object", None),
        JsonValue::Bool(_) => ("boolean", None),
        JsonValue::Number {
            is_integer: true, ..
        } => ("long", None),
        JsonValue::Number { .. } => ("double", None),
        JsonValue::String(s) => {
            if mapping.date_detection() {
                if let Some(format) = detect_date(mapping, s) {
                    return Some(("date", format));
                }
            }
            if mapping.numeric_detection() {
                if s.trim().parse::<i64>().is_ok() {
                    return Some(("long", None));
                }
                if s.trim().parse::<f64>().is_ok_and(f64::is_finite) {
                    return Some(("double", None));
                }
            }
            ("string", None)
        }
    })
}

/// `Some(None)`: a date in the default format; `Some(Some(f))`: a date needing format `f`.
fn detect_date(mapping: &Mapping, s: &str) -> Option<Option<String>> {
    // Bare numbers are never detected as dates.
    if !s.contains(['-', '/', ':', 'T']) {
        return None;
    }
    let custom: Option<Vec<String>> =
        mapping
            .root_params
            .get("dynamic_date_formats")
            .and_then(|v| match v {
                Value::Array(items) => Some(
                    items
                        .iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect(),
                ),
                Value::String(s) => Some(vec![s.clone()]),
                _ => None,
            });
    match custom {
        Some(formats) => formats
            .into_iter()
            .find(|f| parse_date(s, Some(f)).is_ok())
            .map(Some),
        None => {
            if parse_date(s, Some(DEFAULT_DATE_FORMATS[0])).is_ok() {
                Some(None)
            } else if parse_date(s, Some(DEFAULT_DATE_FORMATS[1])).is_ok() {
                Some(Some(SLASH_DATE_FORMAT.to_string()))
            } else {
                None
            }
        }
    }
}

/// The first matching entry of `dynamic_templates`, with `{name}` and `{dynamic_type}` replaced.
fn from_templates(
    mapping: &Mapping,
    path: &str,
    name: &str,
    detected: &str,
) -> Option<FieldMapping> {
    let templates = mapping.root_params.get("dynamic_templates")?.as_array()?;
    for entry in templates {
        let Some((_, t)) = entry.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        let Some(t) = t.as_object() else { continue };
        if !template_matches(t, path, name, detected) {
            continue;
        }
        let Some(Value::Object(m)) = t.get("mapping") else {
            continue;
        };
        let dynamic_type = match detected {
            "string" => "text",
            "double" => "float",
            other => other,
        };
        let mut m = substitute(&Value::Object(m.clone()), name, dynamic_type);
        if let Value::Object(obj) = &mut m {
            if !obj.contains_key("type") && detected != "object" {
                obj.insert("type".into(), json!(dynamic_type));
            }
        }
        if let Ok(fm) = FieldMapping::parse(path, &m) {
            return Some(fm);
        }
    }
    None
}

fn template_matches(t: &Map<String, Value>, path: &str, name: &str, detected: &str) -> bool {
    let list = |key: &str| -> Option<Vec<String>> {
        t.get(key).map(|v| match v {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_string))
                .collect(),
            Value::String(s) => vec![s.clone()],
            _ => vec![],
        })
    };
    let regex = t.get("match_pattern").and_then(Value::as_str) == Some("regex");
    let matches_any = |patterns: &[String], s: &str| {
        patterns.iter().any(|p| {
            if regex {
                regex::Regex::new(p).is_ok_and(|r| r.is_match(s))
            } else {
                glob(p, s)
            }
        })
    };
    if let Some(types) = list("match_mapping_type") {
        if !types.iter().any(|ty| ty == "*" || ty == detected) {
            return false;
        }
    }
    if let Some(types) = list("unmatch_mapping_type") {
        if types.iter().any(|ty| ty == detected) {
            return false;
        }
    }
    let checks = [
        ("match", name, true),
        ("unmatch", name, false),
        ("path_match", path, true),
        ("path_unmatch", path, false),
    ];
    checks.iter().all(|(key, subject, want)| match list(key) {
        Some(patterns) => matches_any(&patterns, subject) == *want,
        None => true,
    })
}

/// Simple `*` wildcard matching, as Elasticsearch's `Regex.simpleMatch`.
fn glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, tail)) => {
            let Some(rest) = s.strip_prefix(head) else {
                return false;
            };
            if tail.is_empty() {
                return true;
            }
            (0..=rest.len())
                .filter(|i| rest.is_char_boundary(*i))
                .any(|i| glob(tail, &rest[i..]))
        }
    }
}

fn substitute(v: &Value, name: &str, dynamic_type: &str) -> Value {
    match v {
        Value::String(s) => Value::String(
            s.replace("{name}", name)
                .replace("{dynamic_type}", dynamic_type),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| substitute(i, name, dynamic_type))
                .collect(),
        ),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.replace("{name}", name), substitute(v, name, dynamic_type)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Adds `field` at dotted `path` to `update`, creating the parent objects (copying their type and
/// parameters from `base`, so that merging the update back never changes a parent's type).
pub fn insert_into_update(update: &mut Mapping, base: &Mapping, path: &str, field: FieldMapping) {
    let parts: Vec<&str> = path.split('.').collect();
    let mut current = &mut update.properties;
    for (i, part) in parts.iter().enumerate() {
        if i + 1 == parts.len() {
            current.insert(part.to_string(), field);
            return;
        }
        let prefix = parts[..=i].join(".");
        let entry = current
            .entry(part.to_string())
            .or_insert_with(|| match base.field(&prefix) {
                Some(existing) if existing.field_type.is_object() => FieldMapping {
                    properties: Default::default(),
                    fields: Default::default(),
                    ..existing.clone()
                },
                _ => FieldMapping::object(),
            });
        current = &mut entry.properties;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> JsonValue {
        JsonValue::String(v.into())
    }

    #[test]
    fn defaults_follow_elasticsearch() {
        let m = Mapping::default();
        let text = infer_field_mapping(&m, "a", "a", &s("hello")).unwrap();
        assert_eq!(
            text.to_json(),
            json!({"type":"text","fields":{"keyword":{"type":"keyword","ignore_above":256}}})
        );
        assert_eq!(
            infer_field_mapping(&m, "a", "a", &s("2015-01-01"))
                .unwrap()
                .field_type,
            FieldType::Date
        );
        let slash = infer_field_mapping(&m, "a", "a", &s("2015/01/01")).unwrap();
        assert_eq!(slash.format(), Some(SLASH_DATE_FORMAT));
        let int = JsonValue::Number {
            raw: "1".into(),
            is_integer: true,
        };
        assert_eq!(
            infer_field_mapping(&m, "a", "a", &int).unwrap().field_type,
            FieldType::Long
        );
        let float = JsonValue::Number {
            raw: "1.5".into(),
            is_integer: false,
        };
        assert_eq!(
            infer_field_mapping(&m, "a", "a", &float)
                .unwrap()
                .field_type,
            FieldType::Float
        );
        assert_eq!(
            infer_field_mapping(&m, "a", "a", &s("42"))
                .unwrap()
                .field_type,
            FieldType::Text
        );
        assert!(infer_field_mapping(&m, "a", "a", &JsonValue::Null).is_none());
        assert!(infer_field_mapping(&m, "a", "a", &JsonValue::Array(vec![])).is_none());
    }

    #[test]
    fn detection_switches_and_templates() {
        let m = Mapping::parse(&json!({
            "date_detection": false, "numeric_detection": true,
            "dynamic_templates": [{"strings_as_kw": {"match_mapping_type": "string", "match": "kw_*",
                                                      "mapping": {"type": "keyword", "meta": {"n": "{name}"}}}}]
        }))
        .unwrap();
        assert_eq!(
            infer_field_mapping(&m, "a", "a", &s("2015-01-01"))
                .unwrap()
                .field_type,
            FieldType::Text
        );
        assert_eq!(
            infer_field_mapping(&m, "a", "a", &s("42"))
                .unwrap()
                .field_type,
            FieldType::Long
        );
        assert_eq!(
            infer_field_mapping(&m, "a", "a", &s("4.5"))
                .unwrap()
                .field_type,
            FieldType::Float
        );
        let kw = infer_field_mapping(&m, "o.kw_x", "kw_x", &s("v")).unwrap();
        assert_eq!(
            kw.to_json(),
            json!({"type": "keyword", "meta": {"n": "kw_x"}})
        );
    }

    #[test]
    fn update_copies_parent_types() {
        let base =
            Mapping::parse(&json!({"properties": {"n": {"type": "nested", "properties": {}}}}))
                .unwrap();
        let mut update = Mapping::default();
        insert_into_update(&mut update, &base, "n.x", FieldMapping::of(FieldType::Long));
        assert_eq!(update.field("n").unwrap().field_type, FieldType::Nested);
        let mut merged = base.clone();
        merged.merge(&update).unwrap();
        assert_eq!(merged.field("n.x").unwrap().field_type, FieldType::Long);
        assert!(glob("a*c", "abbc") && !glob("a*c", "abbd") && glob("*", ""));
    }
}
