//! Composable index templates and component templates (`PUT _index_template/<name>`,
//! `PUT _component_template/<name>`): their model, parsing, validation, the same-priority
//! overlap rule, and resolution of the template that applies to a new index.
//!
//! Owns: template data and template-only rules. Must not create indices (that is `apply`).

use crate::index_settings::{normalize_prefix, validate_user_settings};
use quarry_types::{EsError, Mapping, Settings};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The `template` block: settings, mappings, aliases.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Normalized (`index.`-prefixed) flat settings.
    pub settings: Settings,
    /// The mapping JSON as given (validated by `Mapping::parse` on put).
    pub mappings: Option<Value>,
    /// Alias name -> alias definition JSON (`filter`, `routing`, `is_write_index`...).
    pub aliases: BTreeMap<String, Value>,
}

impl Template {
    fn parse(v: &Value, what: &str) -> Result<Template, EsError> {
        let obj = v.as_object().ok_or_else(|| {
            EsError::x_content_parse(format!("[{what}] template must be an object"))
        })?;
        let mut t = Template::default();
        for (k, val) in obj {
            match k.as_str() {
                "settings" => {
                    let s = Settings::from_json(val).map_err(EsError::illegal_argument)?;
                    let s = normalize_prefix(&s);
                    validate_user_settings(&s)?;
                    t.settings = s;
                }
                "mappings" => {
                    Mapping::parse(val)?;
                    if !val.is_null() {
                        t.mappings = Some(val.clone());
                    }
                }
                "aliases" => {
                    let m = val.as_object().ok_or_else(|| {
                        EsError::x_content_parse(format!("[{what}] aliases must be an object"))
                    })?;
                    for (name, def) in m {
                        crate::index_name::validate_alias_name(name)?;
                        // Stored as Elasticsearch's AliasMetadata renders it (`routing` split
                        // into `index_routing` and `search_routing`).
                        let alias = crate::apply_index::parse_alias_definition(name, def)?;
                        t.aliases.insert(name.clone(), alias.to_json());
                    }
                }
                "lifecycle" | "data_stream_options" => {}
                other => {
                    return Err(EsError::x_content_parse(format!(
                        "[template] unknown field [{other}]"
                    )))
                }
            }
        }
        Ok(t)
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        if !self.settings.is_empty() {
            m.insert("settings".into(), self.settings.to_nested_json());
        }
        if let Some(map) = &self.mappings {
            m.insert("mappings".into(), map.clone());
        }
        if !self.aliases.is_empty() {
            let a: Map<String, Value> = self
                .aliases
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            m.insert("aliases".into(), Value::Object(a));
        }
        Value::Object(m)
    }
}

/// `PUT _component_template/<name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComponentTemplate {
    pub template: Template,
    pub version: Option<u64>,
    pub meta: Option<Value>,
}

impl ComponentTemplate {
    pub fn parse(body: &Value) -> Result<ComponentTemplate, EsError> {
        let obj = body.as_object().ok_or_else(|| {
            EsError::x_content_parse("[component_template] request body must be an object")
        })?;
        let mut t = ComponentTemplate::default();
        let mut has_template = false;
        for (k, v) in obj {
            match k.as_str() {
                "template" => {
                    t.template = Template::parse(v, "component_template")?;
                    has_template = true;
                }
                "version" => t.version = v.as_u64(),
                "_meta" => t.meta = Some(v.clone()),
                "deprecated" => {}
                other => {
                    return Err(EsError::x_content_parse(format!(
                        "[component_template] unknown field [{other}]"
                    )))
                }
            }
        }
        if !has_template {
            return Err(EsError::x_content_parse("Required [template]"));
        }
        Ok(t)
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("template".into(), self.template.to_json());
        if let Some(v) = self.version {
            m.insert("version".into(), v.into());
        }
        if let Some(meta) = &self.meta {
            m.insert("_meta".into(), meta.clone());
        }
        Value::Object(m)
    }
}

/// `PUT _index_template/<name>`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ComposableIndexTemplate {
    pub index_patterns: Vec<String>,
    pub template: Option<Template>,
    pub composed_of: Vec<String>,
    pub priority: Option<u64>,
    pub version: Option<u64>,
    pub meta: Option<Value>,
    pub data_stream: Option<Value>,
    pub allow_auto_create: Option<bool>,
}

fn string_list(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

impl ComposableIndexTemplate {
    pub fn parse(body: &Value) -> Result<ComposableIndexTemplate, EsError> {
        let obj = body.as_object().ok_or_else(|| {
            EsError::x_content_parse("[index_template] request body must be an object")
        })?;
        let mut t = ComposableIndexTemplate::default();
        for (k, v) in obj {
            match k.as_str() {
                "index_patterns" => t.index_patterns = string_list(v),
                "template" => t.template = Some(Template::parse(v, "index_template")?),
                "composed_of" => t.composed_of = string_list(v),
                "priority" => t.priority = v.as_u64(),
                "version" => t.version = v.as_u64(),
                "_meta" => t.meta = Some(v.clone()),
                "data_stream" => t.data_stream = Some(v.clone()),
                "allow_auto_create" => t.allow_auto_create = v.as_bool(),
                "ignore_missing_component_templates" | "deprecated" => {}
                other => {
                    return Err(EsError::x_content_parse(format!(
                        "[index_template] unknown field [{other}]"
                    )))
                }
            }
        }
        if t.index_patterns.is_empty() {
            return Err(EsError::action_request_validation(&[
                "index patterns are missing".to_string(),
            ]));
        }
        Ok(t)
    }

    pub fn priority_or_zero(&self) -> u64 {
        self.priority.unwrap_or(0)
    }

    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert(
            "index_patterns".into(),
            Value::from(self.index_patterns.clone()),
        );
        if let Some(t) = &self.template {
            m.insert("template".into(), t.to_json());
        }
        m.insert("composed_of".into(), Value::from(self.composed_of.clone()));
        if let Some(p) = self.priority {
            m.insert("priority".into(), p.into());
        }
        if let Some(v) = self.version {
            m.insert("version".into(), v.into());
        }
        if let Some(meta) = &self.meta {
            m.insert("_meta".into(), meta.clone());
        }
        if let Some(ds) = &self.data_stream {
            m.insert("data_stream".into(), ds.clone());
        }
        if let Some(a) = self.allow_auto_create {
            m.insert("allow_auto_create".into(), a.into());
        }
        Value::Object(m)
    }
}

/// Elasticsearch `Regex.simpleMatch`: `*` matches any run of characters.
pub fn simple_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Whether some string matches both `*`-patterns (the automaton intersection Elasticsearch
/// checks), by a search over pairs of pattern positions.
pub fn patterns_overlap(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut seen = vec![vec![false; b.len() + 1]; a.len() + 1];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if seen[i][j] {
            continue;
        }
        seen[i][j] = true;
        if i == a.len() && j == b.len() {
            return true;
        }
        let a_star = i < a.len() && a[i] == '*';
        let b_star = j < b.len() && b[j] == '*';
        if a_star {
            stack.push((i + 1, j));
        }
        if b_star {
            stack.push((i, j + 1));
        }
        match (i < a.len(), j < b.len()) {
            (true, true) if !a_star && !b_star && a[i] == b[j] => stack.push((i + 1, j + 1)),
            (true, true) if a_star && !b_star => stack.push((i, j + 1)),
            (true, true) if !a_star && b_star => stack.push((i + 1, j)),
            _ => {}
        }
    }
    false
}

/// Templates (other than `name`) with the same priority whose patterns overlap `patterns`:
/// template name -> its patterns.
pub fn find_conflicting_templates(
    templates: &BTreeMap<String, ComposableIndexTemplate>,
    name: &str,
    patterns: &[String],
    priority: u64,
) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (other_name, other) in templates {
        if other_name == name || other.priority_or_zero() != priority {
            continue;
        }
        let overlaps = patterns
            .iter()
            .any(|p| other.index_patterns.iter().any(|q| patterns_overlap(p, q)));
        if overlaps {
            out.insert(other_name.clone(), other.index_patterns.clone());
        }
    }
    out
}

/// The template that applies to a new index `index` (highest priority among those whose
/// patterns match). A hidden index ignores templates with the global `*` pattern.
pub fn find_matching_template<'a>(
    templates: &'a BTreeMap<String, ComposableIndexTemplate>,
    index: &str,
    hidden: bool,
) -> Option<(&'a String, &'a ComposableIndexTemplate)> {
    templates
        .iter()
        .filter(|(_, t)| {
            t.index_patterns.iter().any(|p| simple_match(p, index))
                && !(hidden && t.index_patterns.iter().any(|p| p == "*"))
        })
        .max_by(|(an, a), (bn, b)| {
            a.priority_or_zero()
                .cmp(&b.priority_or_zero())
                .then(bn.cmp(an))
        })
}

/// The settings, mappings (in merge order) and aliases a template contributes, component
/// templates first in `composed_of` order, then the index template's own block.
pub fn resolve_template_parts(
    template: &ComposableIndexTemplate,
    components: &BTreeMap<String, ComponentTemplate>,
) -> (Settings, Vec<Value>, BTreeMap<String, Value>) {
    let mut settings = Settings::new();
    let mut mappings = Vec::new();
    let mut aliases = BTreeMap::new();
    let blocks = template
        .composed_of
        .iter()
        .filter_map(|c| components.get(c).map(|ct| &ct.template))
        .chain(template.template.iter());
    for block in blocks {
        settings.merge(&block.settings);
        if let Some(m) = &block.mappings {
            mappings.push(m.clone());
        }
        for (k, v) in &block.aliases {
            aliases.insert(k.clone(), v.clone());
        }
    }
    (settings, mappings, aliases)
}

#[cfg(test)]
#[path = "templates_test.rs"]
mod templates_test;
