//! Cluster-level admin: `_cluster/health` (with `wait_for_*`), `_cluster/state`,
//! `_cluster/settings` get/put.
//!
//! Health follows Elasticsearch's `TransportClusterHealthAction`: the request's index
//! expressions resolve with its indices options (default: open, closed and hidden, lenient), and
//! every `wait_for_*` condition (plus "the named indices exist", checked with `strictExpand`)
//! must hold before the answer; otherwise the request waits for new cluster states until
//! `timeout` and then answers 408 with `timed_out: true`.

use super::admin_index::IndicesParams;
use super::ActionResponse;
use crate::Node;
use quarry_cluster::health::{ClusterHealth, HealthLevel, HealthStatus};
use quarry_cluster::index_name_expression_resolver::{concrete_indices, IndicesOptions};
use quarry_cluster::{ClusterCommand, ClusterState};
use quarry_types::{EsError, Settings};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

/// `wait_for_active_shards` of a health request (Elasticsearch `ActiveShardCount`; `default`
/// means not waiting, as `ClusterHealthRequest` turns it into `NONE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WaitForActiveShards {
    #[default]
    None,
    All,
    Count(u32),
}

impl WaitForActiveShards {
    /// `ActiveShardCount.parseString`: `all`, `default` or a non-negative number.
    pub fn parse(text: &str) -> Result<Self, EsError> {
        match text {
            "default" => Ok(WaitForActiveShards::None),
            "all" => Ok(WaitForActiveShards::All),
            other => match other.parse::<i64>() {
                Ok(n) if n < 0 => Err(EsError::illegal_argument(
                    "shard count cannot be a negative value",
                )),
                Ok(0) => Ok(WaitForActiveShards::None),
                Ok(n) => Ok(WaitForActiveShards::Count(
                    u32::try_from(n).unwrap_or(u32::MAX),
                )),
                Err(_) => Err(EsError::illegal_argument(format!(
                    "cannot parse ActiveShardCount[{other}]"
                ))),
            },
        }
    }
}

/// `level=cluster|indices|shards` (case-insensitive), as `ClusterStatsLevel.of` validates it.
pub fn parse_health_level(text: &str) -> Result<HealthLevel, EsError> {
    match text.to_ascii_lowercase().as_str() {
        "cluster" => Ok(HealthLevel::Cluster),
        "indices" => Ok(HealthLevel::Indices),
        "shards" => Ok(HealthLevel::Shards),
        _ => Err(EsError::illegal_argument(format!(
            "level parameter must be one of [cluster] or [indices] or [shards] but was [{text}]"
        ))),
    }
}

/// `wait_for_status`: `ClusterHealthStatus.valueOf` on the upper-cased text.
pub fn parse_wait_for_status(text: &str) -> Result<HealthStatus, EsError> {
    HealthStatus::parse(&text.to_ascii_lowercase()).ok_or_else(|| {
        EsError::illegal_argument(format!(
            "No enum constant org.elasticsearch.cluster.health.ClusterHealthStatus.{}",
            text.to_ascii_uppercase()
        ))
    })
}

/// `wait_for_events`: a task priority. The single master applies tasks as they come, so a
/// valid priority needs no waiting.
pub fn parse_wait_for_events(text: &str) -> Result<(), EsError> {
    let upper = text.to_ascii_uppercase();
    match upper.as_str() {
        "IMMEDIATE" | "URGENT" | "HIGH" | "NORMAL" | "LOW" | "LANGUID" => Ok(()),
        _ => Err(EsError::illegal_argument(format!(
            "No enum constant org.elasticsearch.common.Priority.{upper}"
        ))),
    }
}

#[derive(Debug, Clone)]
pub struct HealthRequest {
    pub indices: Vec<String>,
    /// `expand_wildcards`, `ignore_unavailable`, `allow_no_indices` over the lenient default.
    pub indices_params: IndicesParams,
    pub level: HealthLevel,
    pub wait_for_status: Option<HealthStatus>,
    pub wait_for_nodes: Option<String>,
    pub wait_for_active_shards: WaitForActiveShards,
    pub wait_for_no_relocating_shards: bool,
    pub wait_for_no_initializing_shards: bool,
    pub timeout: Duration,
}

impl Default for HealthRequest {
    fn default() -> Self {
        HealthRequest {
            indices: Vec::new(),
            indices_params: IndicesParams::default(),
            level: HealthLevel::Cluster,
            wait_for_status: None,
            wait_for_nodes: None,
            wait_for_active_shards: WaitForActiveShards::None,
            wait_for_no_relocating_shards: false,
            wait_for_no_initializing_shards: false,
            timeout: Duration::from_secs(30),
        }
    }
}

fn nodes_condition_met(cond: &str, n: usize) -> Result<bool, EsError> {
    let parse = |s: &str| {
        s.trim()
            .parse::<usize>()
            .map_err(|_| EsError::illegal_argument(format!("cannot parse wait_for_nodes [{cond}]")))
    };
    let inner = |prefix: &str| cond.strip_prefix(prefix).and_then(|v| v.strip_suffix(')'));
    Ok(if let Some(v) = cond.strip_prefix(">=") {
        n >= parse(v)?
    } else if let Some(v) = cond.strip_prefix("<=") {
        n <= parse(v)?
    } else if let Some(v) = cond.strip_prefix('>') {
        n > parse(v)?
    } else if let Some(v) = cond.strip_prefix('<') {
        n < parse(v)?
    } else if let Some(v) = inner("ge(") {
        n >= parse(v)?
    } else if let Some(v) = inner("le(") {
        n <= parse(v)?
    } else if let Some(v) = inner("gt(") {
        n > parse(v)?
    } else if let Some(v) = inner("lt(") {
        n < parse(v)?
    } else {
        n == parse(cond)?
    })
}

/// One evaluation of a health request against a cluster state: the health to report and
/// whether every requested condition holds.
pub fn evaluate_health(
    state: &ClusterState,
    req: &HealthRequest,
) -> Result<(ClusterHealth, bool), EsError> {
    let options = req
        .indices_params
        .options(IndicesOptions::lenient_expand_hidden())?;
    let mut met = true;
    let mut health = match concrete_indices(state, &req.indices, &options) {
        Ok(indices) => ClusterHealth::compute_exact(state, &indices),
        Err(_) => {
            met = false;
            let mut h = ClusterHealth::compute_exact(state, &[]);
            h.status = HealthStatus::Red;
            h
        }
    };
    if !req.indices.is_empty()
        && concrete_indices(state, &req.indices, &IndicesOptions::strict_expand()).is_err()
    {
        // A named index is missing: Elasticsearch reports RED and keeps waiting.
        met = false;
        health.status = HealthStatus::Red;
    }
    if let Some(s) = req.wait_for_status {
        met &= health.status <= s;
    }
    if let Some(n) = &req.wait_for_nodes {
        met &= nodes_condition_met(n, state.nodes.len())?;
    }
    if req.wait_for_no_initializing_shards {
        met &= health.counts.initializing_shards == 0;
    }
    if req.wait_for_no_relocating_shards {
        met &= health.counts.relocating_shards == 0;
    }
    match req.wait_for_active_shards {
        WaitForActiveShards::None => {}
        WaitForActiveShards::All => {
            met &= health.counts.unassigned_shards == 0 && health.counts.initializing_shards == 0
        }
        WaitForActiveShards::Count(n) => met &= health.counts.active_shards >= n,
    }
    Ok((health, met))
}

impl Node {
    pub async fn cluster_health(&self, req: HealthRequest) -> Result<ActionResponse, EsError> {
        let deadline = Instant::now() + req.timeout;
        let mut rx = self.master.subscribe();
        loop {
            let state = self.state();
            let (health, met) = evaluate_health(&state, &req)?;
            let timed_out = !met && Instant::now() >= deadline;
            if met || timed_out {
                let mut body = health.to_json(req.level);
                body["timed_out"] = json!(timed_out);
                return Ok(ActionResponse::with_status(
                    if timed_out { 408 } else { 200 },
                    body,
                ));
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let _ =
                tokio::time::timeout(remaining.min(Duration::from_millis(100)), rx.changed()).await;
        }
    }

    /// `GET /_cluster/state[/{metrics}[/{indices}]]`.
    pub fn cluster_state(
        &self,
        metrics: &[String],
        indices: &[String],
        options: IndicesOptions,
    ) -> Result<Value, EsError> {
        self.render_cluster_state_with(&self.state(), metrics, indices, options)
    }

    /// `state` as `GET /_cluster/state` shows it (also the `state` of `_cluster/reroute`).
    pub fn render_cluster_state(
        &self,
        state: &ClusterState,
        metrics: &[String],
        indices: &[String],
    ) -> Result<Value, EsError> {
        self.render_cluster_state_with(
            state,
            metrics,
            indices,
            IndicesOptions::lenient_expand_open(),
        )
    }

    /// [`Node::render_cluster_state`] with the request's indices options.
    pub fn render_cluster_state_with(
        &self,
        state: &ClusterState,
        metrics: &[String],
        indices: &[String],
        options: IndicesOptions,
    ) -> Result<Value, EsError> {
        let all = metrics.is_empty() || metrics.iter().any(|m| m == "_all");
        let want = |m: &str| all || metrics.iter().any(|x| x == m);
        let known = [
            "version",
            "master_node",
            "nodes",
            "metadata",
            "routing_table",
            "routing_nodes",
            "blocks",
            "customs",
            "cluster_uuid",
            "_all",
        ];
        for m in metrics {
            if !known.contains(&m.as_str()) {
                return Err(EsError::illegal_argument(format!("Unknown metric [{m}]")));
            }
        }
        let selected: Vec<String> = if indices.is_empty() {
            state.metadata.indices.keys().cloned().collect()
        } else {
            concrete_indices(state, indices, &options)?
        };
        let mut out = Map::new();
        out.insert("cluster_name".into(), json!(state.cluster_name));
        out.insert("cluster_uuid".into(), json!(state.cluster_uuid));
        if want("version") {
            out.insert("version".into(), json!(state.version));
            out.insert("state_uuid".into(), json!(state.state_uuid));
        }
        if want("master_node") {
            out.insert(
                "master_node".into(),
                json!(state.master_node.as_ref().map(|n| n.0.clone())),
            );
        }
        if want("blocks") {
            let only = (!indices.is_empty()).then_some(selected.as_slice());
            out.insert(
                "blocks".into(),
                quarry_cluster::cluster_blocks::blocks_json(state, only),
            );
        }
        if want("nodes") {
            let mut nodes = Map::new();
            for (id, n) in &state.nodes {
                nodes.insert(id.0.clone(), json!({
                    "name": n.name, "ephemeral_id": n.ephemeral_id, "transport_address": n.transport_address,
                    "external_id": n.name, "attributes": n.attributes, "roles": n.roles,
                }));
            }
            out.insert("nodes".into(), Value::Object(nodes));
        }
        if want("metadata") {
            let mut idx = Map::new();
            for name in &selected {
                if let Some(m) = state.index(name) {
                    idx.insert(name.clone(), m.to_json());
                }
            }
            let templates: Map<String, Value> = state
                .metadata
                .index_templates
                .iter()
                .map(|(k, t)| (k.clone(), serde_json::to_value(t).unwrap_or_default()))
                .collect();
            out.insert(
                "metadata".into(),
                json!({
                    "cluster_uuid": state.cluster_uuid,
                    "cluster_uuid_committed": true,
                    "cluster_coordination": self.coordination_metadata(state).to_json(),
                    "templates": {},
                    "indices": idx,
                    "index_template": {"index_template": templates},
                    "persistent": state.metadata.persistent_settings.to_nested_json(),
                    "transient": state.metadata.transient_settings.to_nested_json(),
                }),
            );
        }
        if want("routing_table") {
            let mut idx = Map::new();
            for name in &selected {
                if let Some(t) = state.routing_table.indices.get(name) {
                    let shards: Map<String, Value> = t
                        .shards
                        .iter()
                        .map(|(n, copies)| {
                            (
                                n.to_string(),
                                Value::Array(copies.iter().map(|c| c.to_json()).collect()),
                            )
                        })
                        .collect();
                    idx.insert(name.clone(), json!({ "shards": shards }));
                }
            }
            out.insert("routing_table".into(), json!({ "indices": idx }));
        }
        if want("routing_nodes") {
            // Every copy by the node it is on (a relocation target under its target node),
            // unassigned ones apart, as Elasticsearch's `RoutingNodes` shows them.
            let mut unassigned = Vec::new();
            let mut nodes: Map<String, Value> = state
                .nodes
                .keys()
                .map(|id| (id.0.clone(), Value::Array(Vec::new())))
                .collect();
            let mut push = |node: &str, v: Value| {
                if let Some(Value::Array(list)) = nodes.get_mut(node) {
                    list.push(v);
                }
            };
            for name in &selected {
                let Some(t) = state.routing_table.index(name) else {
                    continue;
                };
                for c in t.all_copies() {
                    match (&c.current_node, c.unassigned()) {
                        (Some(node), false) => push(&node.0, c.to_json()),
                        _ => unassigned.push(c.to_json()),
                    }
                    if let Some(target) = c.relocation_target() {
                        if let Some(node) = &target.current_node {
                            push(&node.0, target.to_json());
                        }
                    }
                }
            }
            out.insert(
                "routing_nodes".into(),
                json!({"unassigned": unassigned, "nodes": nodes}),
            );
        }
        Ok(Value::Object(out))
    }

    pub fn get_cluster_settings(&self, flat: bool, include_defaults: bool) -> Value {
        let state = self.state();
        let render = |s: &Settings| {
            if flat {
                s.to_flat_json()
            } else {
                s.to_nested_json()
            }
        };
        let mut out = json!({
            "persistent": render(&state.metadata.persistent_settings),
            "transient": render(&state.metadata.transient_settings),
        });
        if include_defaults {
            let mut defaults = Settings::new();
            defaults.insert("cluster.name", json!(self.config.cluster_name));
            defaults.insert("node.name", json!(self.config.node_name));
            defaults.insert(
                "action.destructive_requires_name",
                json!(self.config.destructive_requires_name),
            );
            defaults.insert(
                "path.data",
                json!(self.config.data_path.display().to_string()),
            );
            defaults.insert(
                "http.max_content_length",
                json!(format!("{}b", self.config.max_content_length)),
            );
            out["defaults"] = render(&defaults);
        }
        out
    }

    pub async fn put_cluster_settings(&self, body: &Value) -> Result<Value, EsError> {
        let obj = body
            .as_object()
            .ok_or_else(|| EsError::action_request_validation(&["no settings to update".into()]))?;
        let mut persistent = Settings::new();
        let mut transient = Settings::new();
        for (k, v) in obj {
            match k.as_str() {
                "persistent" => {
                    persistent = Settings::from_json(v).map_err(EsError::illegal_argument)?
                }
                "transient" => {
                    transient = Settings::from_json(v).map_err(EsError::illegal_argument)?
                }
                other => {
                    return Err(EsError::parsing(format!(
                        "request body contains unknown key [{other}]"
                    )))
                }
            }
        }
        if persistent.is_empty() && transient.is_empty() {
            return Err(EsError::action_request_validation(&[
                "no settings to update".into(),
            ]));
        }
        self.master
            .submit(vec![ClusterCommand::UpdateClusterSettings {
                persistent: persistent.clone(),
                transient: transient.clone(),
            }])
            .await?;
        let strip_nulls = |s: &Settings| {
            let mut c = s.clone();
            c.0.retain(|_, v| !v.is_null());
            c.to_nested_json()
        };
        Ok(
            json!({"acknowledged": true, "persistent": strip_nulls(&persistent), "transient": strip_nulls(&transient)}),
        )
    }

    /// `action.destructive_requires_name` from cluster settings, else the node setting.
    pub fn destructive_requires_name(&self) -> bool {
        let state = self.state();
        let key = "action.destructive_requires_name";
        let v = state
            .metadata
            .transient_settings
            .get_str(key)
            .or_else(|| state.metadata.persistent_settings.get_str(key));
        match v.as_deref() {
            Some("false") => false,
            Some("true") => true,
            _ => self.config.destructive_requires_name,
        }
    }
}
