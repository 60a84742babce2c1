//! Rows for the `_cat` APIs (health, indices, shards, nodes, count): plain JSON objects keyed by
//! Elasticsearch's column names. The REST layer selects, sorts and renders the columns.

use super::admin_index::IndicesParams;
use crate::node_stats::read_process_figures;
use crate::Node;
use quarry_cluster::{ClusterHealth, IndicesOptions, ShardRoutingState};
use quarry_types::EsError;
use serde_json::{json, Map, Value};

type Row = Map<String, Value>;

fn row(v: Value) -> Row {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

impl Node {
    pub fn cat_health_rows(&self) -> Vec<Row> {
        let state = self.state();
        let h = ClusterHealth::compute(&state, &[]);
        let now = super::write_path::now_millis();
        let secs = now / 1000;
        vec![row(json!({
            "epoch": secs, "timestamp": format!("{:02}:{:02}:{:02}", secs / 3600 % 24, secs / 60 % 60, secs % 60),
            "cluster": state.cluster_name, "status": h.status.as_str(), "node.total": state.nodes.len(),
            "node.data": state.data_nodes().count(), "shards": h.counts.active_shards, "pri": h.counts.active_primary_shards,
            "relo": h.counts.relocating_shards, "init": h.counts.initializing_shards, "unassign": h.counts.unassigned_shards,
            "unassign.pri": 0, "pending_tasks": 0, "max_task_wait_time": "-",
            "active_shards_percent": format!("{:.1}%", h.active_shards_percent_as_number),
        }))]
    }

    pub fn cat_indices_rows(
        &self,
        exprs: &[String],
        params: &IndicesParams,
    ) -> Result<Vec<Row>, EsError> {
        let indices = self.resolve(exprs, IndicesOptions::lenient_expand_hidden(), params)?;
        let state = self.state();
        let health = ClusterHealth::compute(&state, &indices);
        let stats = self.local_shard_stats(&indices);
        let mut rows = Vec::new();
        for name in indices {
            let Some(meta) = state.index(&name) else {
                continue;
            };
            let (mut docs, mut deleted, mut size) = (0u64, 0u64, 0u64);
            for (_, _, s) in stats.iter().filter(|(i, _, _)| *i == name) {
                docs += s.docs_count;
                deleted += s.docs_deleted;
                size += s.store_size_bytes;
            }
            let open = meta.is_open();
            let h = health
                .indices
                .get(&name)
                .map(|h| h.status.as_str().to_string())
                .unwrap_or_else(|| "red".into());
            rows.push(row(json!({
                "health": h, "status": meta.state.as_str(), "index": name, "uuid": meta.uuid,
                "pri": meta.number_of_shards, "rep": meta.number_of_replicas,
                "docs.count": if open { json!(docs) } else { Value::Null },
                "docs.deleted": if open { json!(deleted) } else { Value::Null },
                "store.size": if open { json!(size) } else { Value::Null },
                "pri.store.size": if open { json!(size) } else { Value::Null },
                "dataset.size": if open { json!(size) } else { Value::Null },
                "creation.date": meta.creation_date,
                "creation.date.string": quarry_types::date::format_iso_millis(meta.creation_date),
            })));
        }
        Ok(rows)
    }

    pub fn cat_shards_rows(
        &self,
        exprs: &[String],
        params: &IndicesParams,
    ) -> Result<Vec<Row>, EsError> {
        let indices = self.resolve(exprs, IndicesOptions::lenient_expand_hidden(), params)?;
        let state = self.state();
        let mut rows = Vec::new();
        for name in indices {
            let Some(table) = state.routing_table.indices.get(&name) else {
                continue;
            };
            for (n, copies) in &table.shards {
                for copy in copies {
                    let local = copy
                        .current_node
                        .as_ref()
                        .map(|id| id.0 == self.node_id)
                        .unwrap_or(false);
                    let s = if local && copy.primary {
                        self.indices().shard(&name, *n).map(|s| s.stats())
                    } else {
                        None
                    };
                    let node_name = copy
                        .current_node
                        .as_ref()
                        .and_then(|id| state.nodes.get(id))
                        .map(|d| d.name.clone());
                    let state_name = match copy.state {
                        ShardRoutingState::Unassigned => "UNASSIGNED",
                        ShardRoutingState::Initializing => "INITIALIZING",
                        ShardRoutingState::Started => "STARTED",
                        ShardRoutingState::Relocating => "RELOCATING",
                    };
                    rows.push(row(json!({
                        "index": name, "shard": n, "prirep": if copy.primary { "p" } else { "r" }, "state": state_name,
                        "docs": s.as_ref().map(|s| s.docs_count), "store": s.as_ref().map(|s| s.store_size_bytes),
                        "dataset": s.as_ref().map(|s| s.store_size_bytes),
                        "ip": node_name.as_ref().map(|_| self.config.http_address.ip().to_string()),
                        "id": copy.current_node.as_ref().map(|n| n.0.clone()),
                        "node": node_name,
                        "unassigned.reason": copy.unassigned_info.as_ref().map(|u| u.reason.clone()),
                        "sync_id": Value::Null,
                    })));
                }
            }
        }
        Ok(rows)
    }

    pub fn cat_nodes_rows(&self) -> Vec<Row> {
        let state = self.state();
        let f = read_process_figures(&self.config.data_path);
        let roles: String = self
            .config
            .roles
            .iter()
            .map(|r| match r.as_str() {
                "data" => 'd',
                "data_cold" => 'c',
                "data_content" => 's',
                "data_frozen" => 'f',
                "data_hot" => 'h',
                "data_warm" => 'w',
                "ingest" => 'i',
                "master" => 'm',
                "ml" => 'l',
                "remote_cluster_client" => 'r',
                "transform" => 't',
                "voting_only" => 'v',
                _ => '-',
            })
            .collect::<Vec<char>>()
            .into_iter()
            .collect();
        let is_master = state
            .master_node
            .as_ref()
            .map(|m| m.0 == self.node_id)
            .unwrap_or(false);
        let pct = |used: u64, total: u64| (used * 100).checked_div(total).unwrap_or(0);
        vec![row(json!({
            "ip": self.config.http_address.ip().to_string(),
            "heap.percent": pct(f.rss_bytes, f.total_memory),
            "ram.percent": pct(f.used_memory, f.total_memory),
            "cpu": f.cpu_percent as u64,
            "load_1m": format!("{:.2}", f.load_average[0]),
            "load_5m": format!("{:.2}", f.load_average[1]),
            "load_15m": format!("{:.2}", f.load_average[2]),
            "node.role": if roles.is_empty() { "-".to_string() } else { roles },
            "master": if is_master { "*" } else { "-" },
            "name": self.config.node_name,
            "id": self.node_id.chars().take(4).collect::<String>(),
            "nodeId": self.node_id,
            "pid": f.pid,
            "port": 9300,
            "http_address": self.config.http_address.to_string(),
            "version": quarry_types::ES_COMPAT_VERSION,
            "disk.total": f.fs_total, "disk.avail": f.fs_available, "disk.used": f.fs_total.saturating_sub(f.fs_available),
            "disk.used_percent": format!("{:.2}", if f.fs_total > 0 { (f.fs_total - f.fs_available) as f64 * 100.0 / f.fs_total as f64 } else { 0.0 }),
            "heap.current": f.rss_bytes, "heap.max": f.total_memory, "ram.current": f.used_memory, "ram.max": f.total_memory,
            "file_desc.current": f.open_file_descriptors, "file_desc.max": f.max_file_descriptors,
            "uptime": self.started_at.elapsed().as_millis() as u64,
        }))]
    }
}
