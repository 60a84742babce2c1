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

impl Node {
    pub async fn update_aliases(&self, body: &Value) -> Result<Value, EsError> {
        let actions = AliasAction::parse_actions(body)?;
        self.master
            .submit(vec![ClusterCommand::UpdateAliases(actions)])
            .await?;
        Ok(json!({"acknowledged": true, "errors": false}))
    }

    /// `PUT /{index}/_alias/{name}` with an optional body (`filter`, `routing`, `is_write_index`...).
    pub async fn put_alias(
        &self,
        indices: &[String],
        names: &[String],
        body: &Value,
    ) -> Result<Value, EsError> {
        let mut add = Map::new();
        add.insert("indices".into(), json!(indices));
        add.insert("aliases".into(), json!(names));
        if let Value::Object(o) = body {
            for (k, v) in o {
                add.insert(k.clone(), v.clone());
            }
        }
        self.update_aliases(&json!({"actions": [{"add": Value::Object(add)}]}))
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

    /// `GET [/{index}]/_alias[/{name}]`; a named alias that matches nothing is a 404 that still lists what matched.
    pub fn get_aliases(
        &self,
        indices: &[String],
        names: &[String],
        params: &IndicesParams,
    ) -> Result<ActionResponse, EsError> {
        let concrete = self.resolve(indices, IndicesOptions::lenient_expand_hidden(), params)?;
        let state = self.state();
        let mut out = Map::new();
        let mut seen = Vec::new();
        for idx in concrete {
            let Some(meta) = state.index(&idx) else {
                continue;
            };
            let mut aliases = Map::new();
            for (name, a) in &meta.aliases {
                if names.is_empty() || names.iter().any(|n| n == "_all" || simple_match(n, name)) {
                    aliases.insert(name.clone(), a.to_json());
                    seen.push(name.clone());
                }
            }
            if names.is_empty() || !aliases.is_empty() {
                out.insert(idx, json!({ "aliases": aliases }));
            }
        }
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !n.contains('*') && *n != "_all" && !seen.contains(n))
            .collect();
        if !missing.is_empty() {
            let list = missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(",");
            let reason = if missing.len() == 1 {
                format!("alias [{list}] missing")
            } else {
                format!("aliases [{list}] missing")
            };
            let mut body = Value::Object(out);
            body["error"] = json!(reason);
            body["status"] = json!(404);
            return Ok(ActionResponse::with_status(404, body));
        }
        if !names.is_empty() && out.is_empty() {
            return Ok(ActionResponse::with_status(404, json!({})));
        }
        Ok(ActionResponse::ok(Value::Object(out)))
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
