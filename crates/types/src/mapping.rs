//! The mapping model: which fields an index has and of what type, parsed from and rendered to
//! Elasticsearch's mapping JSON, merged by `PUT _mapping` and by dynamic mapping.
//!
//! Owns: the data model, validation of mapping JSON, merge rules. Must not know how a field is
//! stored (that is `quarry-index`) or queried (`quarry-search`).

use crate::error::EsError;
pub use crate::field_type::{Dynamic, FieldType};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One field of a mapping (leaf, object, or multi-field).
#[derive(Debug, Clone, PartialEq)]
pub struct FieldMapping {
    pub field_type: FieldType,
    /// Whether `"type"` was written explicitly (objects usually omit it).
    pub explicit_type: bool,
    /// Every other parameter as given (`analyzer`, `ignore_above`, `format`...).
    pub params: Map<String, Value>,
    /// Sub-fields of an object or nested field.
    pub properties: BTreeMap<String, FieldMapping>,
    /// Multi-fields (`fields`), e.g. `keyword` under a text field.
    pub fields: BTreeMap<String, FieldMapping>,
}

impl FieldMapping {
    /// A leaf of the given type with no parameters.
    pub fn of(field_type: FieldType) -> Self {
        FieldMapping {
            field_type,
            explicit_type: true,
            params: Map::new(),
            properties: BTreeMap::new(),
            fields: BTreeMap::new(),
        }
    }

    /// An empty object (no explicit type).
    pub fn object() -> Self {
        FieldMapping {
            explicit_type: false,
            ..FieldMapping::of(FieldType::Object)
        }
    }

    pub fn with_param(mut self, key: &str, value: Value) -> Self {
        self.params.insert(key.to_string(), value);
        self
    }

    pub fn ignore_above(&self) -> Option<usize> {
        self.params
            .get("ignore_above")
            .and_then(value_as_u64)
            .map(|v| v as usize)
    }
    pub fn analyzer(&self) -> Option<&str> {
        self.params.get("analyzer").and_then(Value::as_str)
    }
    pub fn search_analyzer(&self) -> Option<&str> {
        self.params
            .get("search_analyzer")
            .and_then(Value::as_str)
            .or_else(|| self.analyzer())
    }
    pub fn format(&self) -> Option<&str> {
        self.params.get("format").and_then(Value::as_str)
    }
    pub fn null_value(&self) -> Option<&Value> {
        self.params.get("null_value").filter(|v| !v.is_null())
    }
    pub fn scaling_factor(&self) -> Option<f64> {
        self.params.get("scaling_factor").and_then(value_as_f64)
    }
    /// `index: false` makes a field unsearchable.
    pub fn is_indexed(&self) -> bool {
        !matches!(self.params.get("index"), Some(Value::Bool(false)))
            && !matches!(
                self.params.get("index").and_then(Value::as_str),
                Some("false")
            )
    }
    /// `enabled: false` on an object: kept in `_source`, not parsed.
    pub fn is_enabled(&self) -> bool {
        !matches!(self.params.get("enabled"), Some(Value::Bool(false)))
    }
    pub fn dynamic(&self) -> Option<Dynamic> {
        self.params
            .get("dynamic")
            .and_then(|v| Dynamic::parse(v).ok())
    }
    pub fn coerce(&self) -> bool {
        !matches!(self.params.get("coerce"), Some(Value::Bool(false)))
    }
    pub fn ignore_malformed(&self) -> bool {
        matches!(self.params.get("ignore_malformed"), Some(Value::Bool(true)))
    }

    /// Parses one field definition; `path` is used in error messages.
    pub fn parse(path: &str, value: &Value) -> Result<FieldMapping, EsError> {
        let obj = value.as_object().ok_or_else(|| {
            EsError::mapper_parsing(format!(
                "Expected map for property [fields] on field [{path}] but got a {}",
                json_kind(value)
            ))
        })?;
        let (field_type, explicit_type) = match obj.get("type") {
            Some(Value::String(t)) => match FieldType::parse(t) {
                Some(ft) => (ft, true),
                None => {
                    return Err(EsError::mapper_parsing(format!(
                        "No handler for type [{t}] declared on field [{path}]"
                    )))
                }
            },
            Some(other) => {
                return Err(EsError::mapper_parsing(format!(
                    "No handler for type [{other}] declared on field [{path}]"
                )))
            }
            None => (FieldType::Object, false),
        };
        let mut fm = FieldMapping {
            field_type,
            explicit_type,
            ..FieldMapping::of(field_type)
        };
        for (k, v) in obj {
            match k.as_str() {
                "type" => {}
                "properties" if field_type.is_object() => {
                    fm.properties = parse_properties(path, v)?;
                }
                "fields" if !field_type.is_object() => {
                    let m = v.as_object().ok_or_else(|| {
                        EsError::mapper_parsing(format!(
                            "Expected map for property [fields] on field [{path}]"
                        ))
                    })?;
                    for (name, sub) in m {
                        let sub_path = format!("{path}.{name}");
                        let parsed = FieldMapping::parse(&sub_path, sub)?;
                        if parsed.field_type.is_object() {
                            return Err(EsError::mapper_parsing(format!(
                                "Type [{}] cannot be used in multi field",
                                parsed.field_type.name()
                            )));
                        }
                        fm.fields.insert(name.clone(), parsed);
                    }
                }
                key if field_type.allowed_params().contains(&key) => {
                    fm.params.insert(k.clone(), v.clone());
                }
                key => {
                    return Err(EsError::mapper_parsing(format!(
                        "unknown parameter [{key}] on mapper [{path}] of type [{}]",
                        field_type.name()
                    )))
                }
            }
        }
        if field_type == FieldType::ScaledFloat && fm.scaling_factor().is_none() {
            return Err(EsError::mapper_parsing(format!(
                "Failed to parse mapping: Field [scaling_factor] is required for field [{path}]"
            )));
        }
        if let Some(d) = obj.get("dynamic") {
            Dynamic::parse(d)?;
        }
        Ok(fm)
    }

    /// Renders the definition the way `GET _mapping` shows it.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if self.explicit_type
            || !self.field_type.is_object()
            || self.field_type == FieldType::Nested
        {
            m.insert("type".into(), Value::String(self.field_type.name().into()));
        }
        for (k, v) in &self.params {
            m.insert(k.clone(), v.clone());
        }
        if !self.fields.is_empty() {
            let f: Map<String, Value> = self
                .fields
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect();
            m.insert("fields".into(), Value::Object(f));
        }
        if !self.properties.is_empty() {
            let p: Map<String, Value> = self
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect();
            m.insert("properties".into(), Value::Object(p));
        }
        Value::Object(m)
    }

    /// Merges `update` into `self` (PUT _mapping and dynamic updates): new sub-fields are added,
    /// a change of type or of a non-updatable parameter is an `illegal_argument_exception`.
    pub fn merge(&mut self, path: &str, update: &FieldMapping) -> Result<(), EsError> {
        if self.field_type != update.field_type {
            return Err(EsError::illegal_argument(format!(
                "mapper [{path}] cannot be changed from type [{}] to [{}]",
                self.field_type.name(),
                update.field_type.name()
            )));
        }
        const UPDATABLE: &[&str] = &[
            "ignore_above",
            "meta",
            "dynamic",
            "boost",
            "search_analyzer",
            "search_quote_analyzer",
            "null_value",
            "ignore_malformed",
            "fielddata",
            "eager_global_ordinals",
        ];
        for (k, v) in &update.params {
            match self.params.get(k) {
                Some(old) if old == v => {}
                Some(old) if !UPDATABLE.contains(&k.as_str()) => {
                    return Err(EsError::illegal_argument(format!(
                        "Mapper for [{path}] conflicts with existing mapper:\n\tCannot update parameter [{k}] from [{}] to [{}]",
                        display_param(old),
                        display_param(v)
                    )));
                }
                None if !UPDATABLE.contains(&k.as_str()) && !self.field_type.is_object() => {
                    return Err(EsError::illegal_argument(format!(
                        "Mapper for [{path}] conflicts with existing mapper:\n\tCannot update parameter [{k}] from [default] to [{}]",
                        display_param(v)
                    )));
                }
                _ => {
                    self.params.insert(k.clone(), v.clone());
                }
            }
        }
        merge_children(path, &mut self.properties, &update.properties)?;
        merge_children(path, &mut self.fields, &update.fields)?;
        Ok(())
    }
}

fn merge_children(
    path: &str,
    mine: &mut BTreeMap<String, FieldMapping>,
    theirs: &BTreeMap<String, FieldMapping>,
) -> Result<(), EsError> {
    for (name, sub) in theirs {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        match mine.get_mut(name) {
            Some(existing) => existing.merge(&sub_path, sub)?,
            None => {
                mine.insert(name.clone(), sub.clone());
            }
        }
    }
    Ok(())
}

fn display_param(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn value_as_u64(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn value_as_f64(v: &Value) -> Option<f64> {
    v.as_f64()
        .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
}

fn parse_properties(path: &str, v: &Value) -> Result<BTreeMap<String, FieldMapping>, EsError> {
    let m = v.as_object().ok_or_else(|| {
        EsError::mapper_parsing(format!(
            "Expected map for property [properties] on field [{path}]"
        ))
    })?;
    let mut out = BTreeMap::new();
    for (name, def) in m {
        if name.is_empty() {
            let cause = EsError::illegal_argument("field name cannot be an empty string");
            return Err(EsError::mapper_parsing(format!(
                "Failed to parse mapping: {}",
                cause.reason
            ))
            .caused_by(cause));
        }
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}.{name}")
        };
        // A dotted name (`"a.b": {...}`) is an object path, as in Elasticsearch.
        if let Some((head, rest)) = name.split_once('.') {
            let mut inner = Map::new();
            inner.insert(rest.to_string(), def.clone());
            let wrapped = serde_json::json!({ "properties": Value::Object(inner) });
            let parsed = FieldMapping::parse(&sub_path, &wrapped)?;
            match out.get_mut(head) {
                Some(existing) => FieldMapping::merge(existing, head, &parsed)?,
                None => {
                    out.insert(head.to_string(), parsed);
                }
            }
            continue;
        }
        out.insert(name.clone(), FieldMapping::parse(&sub_path, def)?);
    }
    Ok(out)
}

/// The mapping of one index (`_doc` type).
#[derive(Debug, Clone, PartialEq)]
pub struct Mapping {
    pub dynamic: Option<Dynamic>,
    pub properties: BTreeMap<String, FieldMapping>,
    /// Root-level parameters other than `properties`/`dynamic` (`_source`, `_meta`, `_routing`,
    /// `date_detection`, `numeric_detection`, `dynamic_date_formats`, `dynamic_templates`).
    pub root_params: Map<String, Value>,
}

impl Default for Mapping {
    fn default() -> Self {
        Mapping {
            dynamic: None,
            properties: BTreeMap::new(),
            root_params: Map::new(),
        }
    }
}

impl Mapping {
    /// Parses `{"properties":{...}, "dynamic":..., "_source":...}`. A body wrapped in `_doc`
    /// (typed form) is unwrapped.
    pub fn parse(value: &Value) -> Result<Mapping, EsError> {
        let obj = match value {
            Value::Object(o) => o,
            Value::Null => return Ok(Mapping::default()),
            other => {
                return Err(EsError::mapper_parsing(format!(
                    "Failed to parse mapping: Expected map for mappings but got a {}",
                    json_kind(other)
                )))
            }
        };
        if obj.len() == 1 {
            if let Some(inner @ Value::Object(_)) = obj.get("_doc") {
                return Mapping::parse(inner);
            }
        }
        let mut mapping = Mapping::default();
        for (k, v) in obj {
            match k.as_str() {
                "properties" => mapping.properties = parse_properties("", v)?,
                "dynamic" => mapping.dynamic = Some(Dynamic::parse(v)?),
                "_source" | "_meta" | "_routing" | "date_detection" | "numeric_detection"
                | "dynamic_date_formats" | "dynamic_templates" | "_field_names" | "enabled"
                | "runtime" | "_data_stream_timestamp" | "subobjects" => {
                    mapping.root_params.insert(k.clone(), v.clone());
                }
                "type" => {
                    return Err(EsError::mapper_parsing(
                        "Failed to parse mapping: Root mapping definition has unsupported parameters:  [type : ".to_string()
                            + &display_param(v) + "]",
                    ))
                }
                other => {
                    return Err(EsError::mapper_parsing(format!(
                        "Root mapping definition has unsupported parameters:  [{other} : {}]",
                        display_param(v)
                    )))
                }
            }
        }
        Ok(mapping)
    }

    /// Renders the mapping as `GET _mapping` shows it (`{}` when empty).
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if let Some(d) = self.dynamic {
            m.insert("dynamic".into(), d.to_json());
        }
        for (k, v) in &self.root_params {
            m.insert(k.clone(), v.clone());
        }
        if !self.properties.is_empty() {
            let p: Map<String, Value> = self
                .properties
                .iter()
                .map(|(k, v)| (k.clone(), v.to_json()))
                .collect();
            m.insert("properties".into(), Value::Object(p));
        }
        Value::Object(m)
    }

    /// Merges an update in place (see [`FieldMapping::merge`]); `self` is untouched on error.
    pub fn merge(&mut self, update: &Mapping) -> Result<(), EsError> {
        let mut next = self.clone();
        if let Some(d) = update.dynamic {
            next.dynamic = Some(d);
        }
        for (k, v) in &update.root_params {
            next.root_params.insert(k.clone(), v.clone());
        }
        merge_children("", &mut next.properties, &update.properties)?;
        *self = next;
        Ok(())
    }

    /// Whether `_source` is stored (`_source.enabled`, default true).
    pub fn source_enabled(&self) -> bool {
        !matches!(
            self.root_params
                .get("_source")
                .and_then(|s| s.get("enabled")),
            Some(Value::Bool(false))
        )
    }

    /// `date_detection`, default true.
    pub fn date_detection(&self) -> bool {
        !matches!(
            self.root_params.get("date_detection"),
            Some(Value::Bool(false))
        )
    }

    /// `numeric_detection`, default false.
    pub fn numeric_detection(&self) -> bool {
        matches!(
            self.root_params.get("numeric_detection"),
            Some(Value::Bool(true))
        )
    }

    /// Finds the definition of a full dotted path, including multi-fields (`title.keyword`).
    pub fn field(&self, path: &str) -> Option<&FieldMapping> {
        let mut current = &self.properties;
        let mut parent: Option<&FieldMapping> = None;
        let parts: Vec<&str> = path.split('.').collect();
        for (i, part) in parts.iter().enumerate() {
            let found = current
                .get(*part)
                .or_else(|| parent.and_then(|p| p.fields.get(*part)))?;
            if i + 1 == parts.len() {
                return Some(found);
            }
            parent = Some(found);
            current = &found.properties;
        }
        None
    }

    /// Every searchable leaf with its full dotted path (objects excluded, multi-fields included).
    pub fn leaves(&self) -> Vec<(String, &FieldMapping)> {
        let mut out = Vec::new();
        collect_leaves("", &self.properties, &mut out);
        out
    }
}

fn collect_leaves<'a>(
    prefix: &str,
    props: &'a BTreeMap<String, FieldMapping>,
    out: &mut Vec<(String, &'a FieldMapping)>,
) {
    for (name, fm) in props {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        if fm.field_type.is_object() {
            collect_leaves(&path, &fm.properties, out);
        } else {
            out.push((path.clone(), fm));
            for (sub, sfm) in &fm.fields {
                out.push((format!("{path}.{sub}"), sfm));
            }
        }
    }
}

#[cfg(test)]
#[path = "mapping_test.rs"]
mod mapping_test;
