//! Index management: create, delete, get, exists, mappings, settings, open/close, refresh,
//! flush and force-merge. Metadata changes go through the master service; shard operations run
//! on the local shards.

use super::ActionResponse;
use crate::Node;
use quarry_cluster::human_settings::add_human_readable_settings;
use quarry_cluster::index_name_expression_resolver::{concrete_indices, IndicesOptions};
use quarry_cluster::ClusterCommand;
use quarry_types::{EsError, Mapping, Settings};
use serde_json::{json, Map, Value};

/// Index-expression parameters shared by the admin APIs.
#[derive(Debug, Clone, Default)]
pub struct IndicesParams {
    pub ignore_unavailable: Option<String>,
    pub allow_no_indices: Option<String>,
    pub expand_wildcards: Option<String>,
}

impl IndicesParams {
    pub fn options(&self, base: IndicesOptions) -> Result<IndicesOptions, EsError> {
        base.with_params(
            self.ignore_unavailable.as_deref(),
            self.allow_no_indices.as_deref(),
            self.expand_wildcards.as_deref(),
        )
    }
}

fn shards_header(total: usize, successful: usize) -> Value {
    json!({"total": total, "successful": successful, "failed": 0})
}

/// A mapping body wrapped in the `_doc` type name (`{"_doc": {...}}`), which `PUT _mapping`
/// refuses in Elasticsearch 8.
pub fn is_typed_mapping(body: &Value) -> bool {
    body.as_object()
        .is_some_and(|o| o.len() == 1 && o.contains_key("_doc"))
}

/// `force=true` needs `wait_if_ongoing=true` (the default) on `_flush`.
pub fn validate_flush(force: bool, wait_if_ongoing: bool) -> Result<(), EsError> {
    if force && !wait_if_ongoing {
        return Err(EsError::action_request_validation(&[
            "wait_if_ongoing must be true for a force flush".to_string(),
        ]));
    }
    Ok(())
}

fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

impl Node {
    pub fn resolve(
        &self,
        exprs: &[String],
        base: IndicesOptions,
        params: &IndicesParams,
    ) -> Result<Vec<String>, EsError> {
        let state = self.state();
        concrete_indices(&state, exprs, &params.options(base)?)
    }

    /// `PUT /{index}` with `settings`, `mappings`, `aliases`.
    pub async fn create_index(&self, name: &str, body: &Value) -> Result<ActionResponse, EsError> {
        quarry_cluster::index_name::validate_index_name(name)?;
        let obj = match body {
            Value::Object(o) => o.clone(),
            Value::Null => Map::new(),
            _ => return Err(EsError::parsing("request body is required")),
        };
        let mut settings = Settings::new();
        let mut mappings = None;
        let mut aliases = None;
        for (k, v) in &obj {
            match k.as_str() {
                "settings" => {
                    settings = Settings::from_json(v).map_err(EsError::illegal_argument)?
                }
                "mappings" => mappings = Some(v.clone()),
                "aliases" => aliases = Some(v.clone()),
                other => {
                    // Elasticsearch accepts bare settings at the top level (legacy form).
                    if other.starts_with("index.") || other.starts_with("number_of_") {
                        settings.insert(other.to_string(), v.clone());
                    } else {
                        return Err(EsError::parsing(format!(
                            "unknown key [{other}] for create index"
                        )));
                    }
                }
            }
        }
        self.master
            .submit(vec![ClusterCommand::CreateIndex {
                name: name.to_string(),
                uuid: quarry_types::ids::random_base64_uuid(),
                settings,
                mappings,
                aliases,
                creation_date: super::write_path::now_millis(),
            }])
            .await?;
        Ok(ActionResponse::ok(
            json!({"acknowledged": true, "shards_acknowledged": true, "index": name}),
        ))
    }

    pub async fn delete_index(
        &self,
        exprs: &[String],
        params: &IndicesParams,
    ) -> Result<ActionResponse, EsError> {
        if self.destructive_requires_name() {
            for e in exprs {
                if e == "_all" || e.contains('*') {
                    return Err(EsError::illegal_argument(
                        "Wildcard expressions or all indices are not allowed",
                    ));
                }
            }
        }
        let indices = self.resolve(exprs, IndicesOptions::for_delete_index(), params)?;
        if !indices.is_empty() {
            self.master
                .submit(vec![ClusterCommand::DeleteIndices(indices)])
                .await?;
        }
        Ok(ActionResponse::ok(json!({"acknowledged": true})))
    }

    /// `GET /{index}`: aliases, mappings and settings of each index.
    pub fn get_indices(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        flat: bool,
        human: bool,
        features: &[String],
    ) -> Result<Value, EsError> {
        let indices = self.resolve(exprs, IndicesOptions::strict_expand_open(), params)?;
        let state = self.state();
        let want = |f: &str| {
            features.is_empty() || features.iter().any(|x| x == f || x == &format!("_{f}"))
        };
        let mut out = Map::new();
        for name in indices {
            let Some(meta) = state.index(&name) else {
                continue;
            };
            let mut m = Map::new();
            if want("aliases") {
                let aliases: Map<String, Value> = meta
                    .aliases
                    .iter()
                    .map(|(k, a)| (k.clone(), a.to_json()))
                    .collect();
                m.insert("aliases".into(), Value::Object(aliases));
            }
            if want("mappings") {
                m.insert("mappings".into(), meta.mapping.to_json());
            }
            if want("settings") {
                let settings = if human {
                    add_human_readable_settings(&meta.settings)
                } else {
                    meta.settings.clone()
                };
                m.insert(
                    "settings".into(),
                    if flat {
                        settings.to_flat_json()
                    } else {
                        settings.to_nested_json()
                    },
                );
            }
            out.insert(name, Value::Object(m));
        }
        Ok(Value::Object(out))
    }

    pub fn index_exists(&self, exprs: &[String], params: &IndicesParams) -> bool {
        match self.resolve(exprs, IndicesOptions::strict_expand_open(), params) {
            Ok(v) => {
                !v.is_empty()
                    || exprs.iter().all(|e| e.contains('*')) && params.allow_no_indices.is_none()
            }
            Err(_) => false,
        }
    }

    pub fn get_mapping(&self, exprs: &[String], params: &IndicesParams) -> Result<Value, EsError> {
        let indices = self.resolve(exprs, IndicesOptions::strict_expand_open(), params)?;
        let state = self.state();
        let mut out = Map::new();
        for name in indices {
            if let Some(meta) = state.index(&name) {
                out.insert(name, json!({ "mappings": meta.mapping.to_json() }));
            }
        }
        Ok(Value::Object(out))
    }

    pub async fn put_mapping(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        body: &Value,
    ) -> Result<Value, EsError> {
        if is_typed_mapping(body) {
            return Err(EsError::illegal_argument(
                "Types cannot be provided in put mapping requests",
            ));
        }
        let indices = self.resolve(exprs, IndicesOptions::strict_expand_no_empty(), params)?;
        let mapping = Mapping::parse(body)?;
        self.master
            .submit(vec![ClusterCommand::PutMapping { indices, mapping }])
            .await?;
        Ok(json!({"acknowledged": true}))
    }

    pub fn get_settings(
        &self,
        exprs: &[String],
        names: &[String],
        params: &IndicesParams,
        flat: bool,
        human: bool,
        include_defaults: bool,
    ) -> Result<Value, EsError> {
        let indices = self.resolve(exprs, IndicesOptions::strict_expand_open(), params)?;
        let state = self.state();
        let mut out = Map::new();
        for name in indices {
            let Some(meta) = state.index(&name) else {
                continue;
            };
            let filter = |s: &Settings| {
                let mut f = Settings::new();
                for (k, v) in &s.0 {
                    if names.is_empty() || names.iter().any(|n| n == "_all" || wildcard_match(n, k))
                    {
                        f.insert(k.clone(), v.clone());
                    }
                }
                f
            };
            let selected = if human {
                filter(&add_human_readable_settings(&meta.settings))
            } else {
                filter(&meta.settings)
            };
            if !names.is_empty() && selected.is_empty() && !include_defaults {
                continue;
            }
            let render = |s: &Settings| {
                if flat {
                    s.to_flat_json()
                } else {
                    s.to_nested_json()
                }
            };
            let mut m = Map::new();
            m.insert("settings".into(), render(&selected));
            if include_defaults {
                let mut defaults =
                    filter(&quarry_cluster::index_settings::index_setting_defaults());
                defaults.0.retain(|k, _| !selected.0.contains_key(k));
                m.insert("defaults".into(), render(&defaults));
            }
            out.insert(name, Value::Object(m));
        }
        Ok(Value::Object(out))
    }

    pub async fn put_settings(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        body: &Value,
        preserve_existing: bool,
    ) -> Result<Value, EsError> {
        let indices = self.resolve(exprs, IndicesOptions::strict_expand_no_empty(), params)?;
        let body = body.get("settings").unwrap_or(body);
        let settings = Settings::from_json(body).map_err(EsError::illegal_argument)?;
        if settings.is_empty() {
            return Err(EsError::action_request_validation(&[
                "no settings to update".into(),
            ]));
        }
        self.master
            .submit(vec![ClusterCommand::UpdateIndexSettings {
                indices,
                settings,
                preserve_existing,
            }])
            .await?;
        Ok(json!({"acknowledged": true}))
    }

    pub async fn open_close(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        open: bool,
    ) -> Result<Value, EsError> {
        if self.destructive_requires_name()
            && !open
            && exprs.iter().any(|e| e == "_all" || e.contains('*'))
        {
            return Err(EsError::illegal_argument(
                "Wildcard expressions or all indices are not allowed",
            ));
        }
        let base = if open {
            IndicesOptions::for_open_index()
        } else {
            IndicesOptions::strict_expand_open()
        };
        let indices = self.resolve(exprs, base, params)?;
        if !indices.is_empty() {
            let cmd = if open {
                ClusterCommand::OpenIndices(indices.clone())
            } else {
                ClusterCommand::CloseIndices(indices.clone())
            };
            self.master.submit(vec![cmd]).await?;
        }
        if open {
            Ok(json!({"acknowledged": true, "shards_acknowledged": true}))
        } else {
            let idx: Map<String, Value> = indices
                .iter()
                .map(|i| (i.clone(), json!({"closed": true})))
                .collect();
            Ok(json!({"acknowledged": true, "shards_acknowledged": true, "indices": idx}))
        }
    }

    /// Runs `op` on every local shard of the resolved indices; returns the `_shards` header.
    async fn broadcast<F>(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        op: F,
    ) -> Result<Value, EsError>
    where
        F: Fn(&quarry_index::IndexShard) -> Result<(), EsError> + Send + Sync + 'static,
    {
        let indices = self.resolve(
            exprs,
            IndicesOptions::strict_expand_open_forbid_closed(),
            params,
        )?;
        let state = self.state();
        let mut total = 0;
        let mut shards = Vec::new();
        for name in &indices {
            if let Some(meta) = state.index(name) {
                total += (meta.number_of_shards * (1 + meta.number_of_replicas)) as usize;
            }
            shards.extend(
                self.indices()
                    .index_shards(name)
                    .into_iter()
                    .map(|(_, s)| s),
            );
        }
        let n = shards.len();
        self.blocking(move || {
            for s in &shards {
                op(s)?;
            }
            Ok(())
        })
        .await?;
        Ok(json!({ "_shards": shards_header(total, n) }))
    }

    pub async fn refresh_indices(
        &self,
        exprs: &[String],
        params: &IndicesParams,
    ) -> Result<Value, EsError> {
        self.broadcast(exprs, params, |s| s.refresh()).await
    }

    pub async fn flush_indices(
        &self,
        exprs: &[String],
        params: &IndicesParams,
    ) -> Result<Value, EsError> {
        self.broadcast(exprs, params, |s| s.flush()).await
    }

    pub async fn force_merge(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        max_segments: Option<usize>,
        only_expunge_deletes: bool,
    ) -> Result<Value, EsError> {
        if max_segments.is_some() && only_expunge_deletes {
            return Err(EsError::action_request_validation(&[
                "cannot set only_expunge_deletes and max_num_segments at the same time, those two parameters are mutually exclusive".into(),
            ]));
        }
        self.broadcast(exprs, params, move |s| {
            s.force_merge(max_segments, only_expunge_deletes)
        })
        .await
    }
}
