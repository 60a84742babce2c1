//! Aliases (`_aliases`, `_alias`) and composable index templates (`_index_template`,
//! `_component_template`): parsing the bodies and submitting the commands; reads render from the
//! published state.

use super::admin_index::IndicesParams;
use super::ActionResponse;
use crate::Node;
use quarry_cluster::templates::simple_match;
use quarry_cluster::{
    AliasAction, ClusterCommand, ComponentTemplate, ComposableIndexTemplate, IndicesOptions,
};
use quarry_types::EsError;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// Builds the `add` action of `PUT _alias`: the body's `index` and `alias` win over the path,
/// other known keys are kept, unknown keys are ignored (as Elasticsearch does).
pub fn put_alias_action(
    indices: &[String],
    names: &[String],
    body: &Value,
) -> Result<Value, EsError> {
    let mut indices: Vec<String> = indices.to_vec();
    let mut alias = names.join(",");
    let mut add = Map::new();
    match body {
        Value::Null => {}
        Value::Object(o) => {
            for (k, v) in o {
                match (k.as_str(), v) {
                    ("index", Value::String(s)) => {
                        indices = s.split(',').map(|i| i.trim().to_string()).collect();
                    }
                    ("alias", Value::String(s)) => alias = s.clone(),
                    ("index", _) | ("alias", _) => {
                        return Err(EsError::illegal_argument(format!("[{k}] must be a string")))
                    }
                    ("indexRouting" | "index-routing" | "index_routing", _) => {
                        add.insert("index_routing".into(), v.clone());
                    }
                    ("searchRouting" | "search-routing" | "search_routing", _) => {
                        add.insert("search_routing".into(), v.clone());
                    }
                    ("routing" | "filter" | "is_write_index" | "is_hidden" | "must_exist", _) => {
                        add.insert(k.clone(), v.clone());
                    }
                    _ => {}
                }
            }
        }
        _ => return Err(EsError::illegal_argument("No index alias is specified")),
    }
    if alias.is_empty() {
        return Err(EsError::action_request_validation(&[
            "[alias] is missing".to_string()
        ]));
    }
    add.insert("indices".into(), json!(indices));
    add.insert("alias".into(), json!(alias));
    Ok(Value::Object(add))
}

/// Whether `alias` is selected by the requested names, in order: a name or pattern includes,
/// a `-` name or pattern excludes what was included before it (Elasticsearch `findAliases`).
pub fn alias_selected(names: &[String], alias: &str) -> bool {
    let mut matched = names.is_empty();
    for n in names {
        if let Some(excluded) = n.strip_prefix('-') {
            if matched {
                matched = !simple_match(excluded, alias);
            }
        } else if !matched {
            matched = n == "_all" || simple_match(n, alias);
        }
    }
    matched
}

/// The explicitly requested names absent from the answer, sorted, as `GET _alias` reports
/// them: wildcards, `_all`, exclusions after the first wildcard and names excluded later in
/// the list are never missing.
pub fn missing_aliases(names: &[String], returned: &BTreeSet<String>) -> BTreeSet<String> {
    let first_wildcard = names
        .iter()
        .position(|n| n.contains('*'))
        .unwrap_or(names.len());
    let mut missing = BTreeSet::new();
    for (i, name) in names.iter().enumerate() {
        if name == "_all" || name.contains('*') || (i > first_wildcard && name.starts_with('-')) {
            continue;
        }
        let excluded_later = names[(i + 1).max(first_wildcard)..].iter().any(|later| {
            later
                .strip_prefix('-')
                .is_some_and(|p| p == "_all" || simple_match(p, name))
        });
        if !excluded_later && !returned.contains(name) {
            missing.insert(name.clone());
        }
    }
    missing
}

impl Node {
    pub async fn update_aliases(&self, body: &Value) -> Result<Value, EsError> {
        let actions = AliasAction::parse_actions(body)?;
        self.master
            .submit(vec![ClusterCommand::UpdateAliases(actions)])
            .await?;
        Ok(json!({"acknowledged": true, "errors": false}))
    }

    /// `PUT [/{index}]/_alias[/{name}]` with an optional body (`index`, `alias`, `filter`,
    /// `routing`, `is_write_index`...); `index` and `alias` in the body override the path.
    pub async fn put_alias(
        &self,
        indices: &[String],
        names: &[String],
        body: &Value,
    ) -> Result<Value, EsError> {
        let add = put_alias_action(indices, names, body)?;
        self.update_aliases(&json!({"actions": [{"add": add}]}))
            .await
    }

    pub async fn delete_alias(
        &self,
        indices: &[String],
        names: &[String],
    ) -> Result<Value, EsError> {
        let state = self.state();
        let concrete =
            quarry_cluster::concrete_indices(&state, indices, &IndicesOptions::strict_expand())?;
        let mut found = Vec::new();
        for idx in &concrete {
            if let Some(meta) = state.index(idx) {
                for a in meta.aliases.keys() {
                    if names.iter().any(|n| n == "_all" || simple_match(n, a)) && !found.contains(a)
                    {
                        found.push(a.clone());
                    }
                }
            }
        }
        if found.is_empty() {
            return Err(EsError::new(
                "aliases_not_found_exception",
                404,
                format!("aliases [{}] missing", names.join(",")),
            )
            .with("resource.type", "aliases")
            .with("resource.id", names.join(",")));
        }
        self.update_aliases(
            &json!({"actions": [{"remove": {"indices": concrete, "aliases": found}}]}),
        )
        .await
    }

    /// `GET [/{index}]/_alias[/{name}]`: a named alias that matches nothing is a 404 that
    /// still lists what matched (see [`missing_aliases`]).
    pub fn get_aliases(
        &self,
        indices: &[String],
        names: &[String],
        params: &IndicesParams,
    ) -> Result<ActionResponse, EsError> {
        let concrete = self.resolve(indices, IndicesOptions::lenient_expand_hidden(), params)?;
        let state = self.state();
        let names: Vec<String> = names
            .iter()
            .flat_map(|n| n.split(','))
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        let mut out = Map::new();
        let mut returned = BTreeSet::new();
        for idx in concrete {
            let Some(meta) = state.index(&idx) else {
                continue;
            };
            let mut aliases = Map::new();
            for (name, a) in &meta.aliases {
                if alias_selected(&names, name) {
                    aliases.insert(name.clone(), a.to_json());
                    returned.insert(name.clone());
                }
            }
            if names.is_empty() || !aliases.is_empty() {
                out.insert(idx, json!({ "aliases": aliases }));
            }
        }
        let missing = missing_aliases(&names, &returned);
        if missing.is_empty() {
            return Ok(ActionResponse::ok(Value::Object(out)));
        }
        let list = missing.into_iter().collect::<Vec<_>>();
        let reason = if list.len() == 1 {
            format!("alias [{}] missing", list[0])
        } else {
            format!("aliases [{}] missing", list.join(","))
        };
        let mut body = Map::new();
        body.insert("error".into(), json!(reason));
        body.insert("status".into(), json!(404));
        body.extend(out);
        Ok(ActionResponse::with_status(404, Value::Object(body)))
    }

    pub async fn put_index_template(
        &self,
        name: &str,
        body: &Value,
        create: bool,
    ) -> Result<Value, EsError> {
        let template = ComposableIndexTemplate::parse(body)?;
        self.master
            .submit(vec![ClusterCommand::PutIndexTemplate {
                name: name.to_string(),
                template,
                create,
            }])
            .await?;
        Ok(json!({"acknowledged": true}))
    }

    pub fn get_index_templates(&self, name: Option<&str>) -> Result<Value, EsError> {
        let state = self.state();
        let mut list = Vec::new();
        for (n, t) in &state.metadata.index_templates {
            if name
                .map(|p| p.split(',').any(|p| simple_match(p, n)))
                .unwrap_or(true)
            {
                list.push(json!({"name": n, "index_template": t.to_json()}));
            }
        }
        if let Some(p) = name {
            if list.is_empty() && !p.contains('*') {
                return Err(EsError::resource_not_found(format!(
                    "index template matching [{p}] not found"
                )));
            }
        }
        Ok(json!({ "index_templates": list }))
    }

    pub async fn delete_index_template(&self, name: &str) -> Result<Value, EsError> {
        self.master
            .submit(vec![ClusterCommand::DeleteIndexTemplate(name.to_string())])
            .await?;
        Ok(json!({"acknowledged": true}))
    }

    pub async fn put_component_template(
        &self,
        name: &str,
        body: &Value,
        create: bool,
    ) -> Result<Value, EsError> {
        let template = ComponentTemplate::parse(body)?;
        self.master
            .submit(vec![ClusterCommand::PutComponentTemplate {
                name: name.to_string(),
                template,
                create,
            }])
            .await?;
        Ok(json!({"acknowledged": true}))
    }

    pub fn get_component_templates(&self, name: Option<&str>) -> Result<Value, EsError> {
        let state = self.state();
        let mut list = Vec::new();
        for (n, t) in &state.metadata.component_templates {
            if name
                .map(|p| p.split(',').any(|p| simple_match(p, n)))
                .unwrap_or(true)
            {
                list.push(json!({"name": n, "component_template": t.to_json()}));
            }
        }
        if let Some(p) = name {
            if list.is_empty() && !p.contains('*') {
                return Err(EsError::resource_not_found(format!(
                    "component template matching [{p}] not found"
                )));
            }
        }
        Ok(json!({ "component_templates": list }))
    }

    pub async fn delete_component_template(&self, name: &str) -> Result<Value, EsError> {
        self.master
            .submit(vec![ClusterCommand::DeleteComponentTemplate(
                name.to_string(),
            )])
            .await?;
        Ok(json!({"acknowledged": true}))
    }
}
