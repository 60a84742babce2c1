//! Rows for the `_cat` APIs (health, indices, shards, nodes, count): plain JSON objects keyed by
//! Elasticsearch's column names. The REST layer selects, sorts and renders the columns; a
//! missing or null cell prints empty, as Elasticsearch prints a `null` cell.
//!
//! Decisions are pure functions below (`index_row`, `shard_row`, `health_filter_keeps`,
//! `role_abbreviations`); the `Node` methods only gather the cluster state and shard figures.

use super::admin_index::IndicesParams;
use crate::node_stats::read_process_figures;
use crate::Node;
use quarry_cluster::health::IndexHealth;
use quarry_cluster::shard_routing::reason;
use quarry_cluster::{
    ClusterHealth, ClusterState, HealthStatus, IndexMetadata, IndicesOptions, ShardRouting,
    ShardRoutingState,
};
use quarry_index::operation::ShardStats;
use quarry_types::EsError;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// One `_cat` row: column name to cell.
pub type Row = Map<String, Value>;

/// A row from a JSON object literal (anything else gives an empty row).
pub fn row(v: Value) -> Row {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `HH:mm:ss` (UTC) of epoch seconds, the `timestamp` column.
fn hms(secs: i64) -> String {
    let s = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// The `epoch` and `timestamp` cells of a table with timestamps (`_cat/health`, `_cat/count`).
pub fn timestamp_cells(now_millis: i64) -> Row {
    let secs = now_millis.div_euclid(1000);
    row(json!({ "epoch": secs, "timestamp": hms(secs) }))
}

/// `_cat/indices?health=`: Elasticsearch keeps an index whose health matches, and an index
/// without known health only when asking for red.
pub fn health_filter_keeps(filter: Option<HealthStatus>, health: Option<HealthStatus>) -> bool {
    match (filter, health) {
        (None, _) => true,
        (Some(f), Some(h)) => f == h,
        (Some(f), None) => f == HealthStatus::Red,
    }
}

/// Document and size figures of one index: primaries and all copies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexFigures {
    pub primary_docs: u64,
    pub primary_deleted: u64,
    pub primary_size: u64,
    pub total_size: u64,
}

/// One `_cat/indices` row. A closed index has no statistics: its document and size cells are
/// empty, while health, `pri` and `rep` come from its (replicated) routing entries.
pub fn index_row(
    meta: &IndexMetadata,
    health: Option<&IndexHealth>,
    figures: &IndexFigures,
) -> Row {
    let open = meta.is_open();
    let stat = |v: u64| if open { json!(v) } else { Value::Null };
    row(json!({
        "health": health.map(|h| h.status.as_str()).unwrap_or(""),
        "status": meta.state.as_str(),
        "index": meta.name,
        "uuid": meta.uuid,
        "pri": health.map(|h| h.number_of_shards),
        "rep": health.map(|h| h.number_of_replicas),
        "docs.count": stat(figures.primary_docs),
        "docs.deleted": stat(figures.primary_deleted),
        "creation.date": meta.creation_date,
        "creation.date.string": quarry_types::date::format_iso_millis(meta.creation_date),
        "store.size": stat(figures.total_size),
        "pri.store.size": stat(figures.primary_size),
        "dataset.size": stat(figures.total_size),
    }))
}

/// Where a copy lives, for the `ip`, `id` and `node` cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyLocation {
    pub ip: String,
    pub node_id: String,
    pub node_name: String,
    /// Where a `RELOCATING` copy is going: its `node` cell reads
    /// `source -> target_ip target_id target_name`, as in Elasticsearch.
    pub relocation_target: Option<Box<CopyLocation>>,
}

fn state_name(state: ShardRoutingState) -> &'static str {
    match state {
        ShardRoutingState::Unassigned => "UNASSIGNED",
        ShardRoutingState::Initializing => "INITIALIZING",
        ShardRoutingState::Started => "STARTED",
        ShardRoutingState::Relocating => "RELOCATING",
    }
}

/// `recoverysource.type` of a copy that is not active yet: a new primary starts from an empty
/// store, any other primary from its existing store, a replica from its primary (`peer`).
fn recovery_source(copy: &ShardRouting) -> Option<&'static str> {
    if copy.active() {
        return None;
    }
    Some(if !copy.primary {
        "peer"
    } else if copy.unassigned_info.as_ref().is_some_and(|u| {
        u.reason == reason::INDEX_CREATED || u.reason == reason::FORCED_EMPTY_PRIMARY
    }) {
        "empty_store"
    } else {
        "existing_store"
    })
}

/// One `_cat/shards` row. `stats` are the copy's figures when it is on this node; `now_millis`
/// dates `unassigned.for`. Unassigned details show only while the copy is not active, as
/// Elasticsearch drops them once a copy starts.
pub fn shard_row(
    copy: &ShardRouting,
    location: Option<&CopyLocation>,
    stats: Option<&ShardStats>,
    now_millis: i64,
) -> Row {
    let unassigned = copy.unassigned_info.as_ref().filter(|_| !copy.active());
    row(json!({
        "index": copy.shard_id.index,
        "shard": copy.shard_id.shard,
        "prirep": if copy.primary { "p" } else { "r" },
        "state": state_name(copy.state),
        "docs": stats.map(|s| s.docs_count),
        "store": stats.map(|s| s.store_size_bytes),
        "dataset": stats.map(|s| s.store_size_bytes),
        "ip": location.map(|l| l.ip.clone()),
        "id": location.map(|l| l.node_id.clone()),
        "node": location.map(|l| match &l.relocation_target {
            Some(t) => format!("{} -> {} {} {}", l.node_name, t.ip, t.node_id, t.node_name),
            None => l.node_name.clone(),
        }),
        "sync_id": Value::Null,
        "unassigned.reason": unassigned.map(|u| u.reason.clone()),
        "unassigned.at": unassigned.map(|u| quarry_types::date::format_iso_millis(u.at_millis)),
        "unassigned.for": unassigned.map(|u| (now_millis - u.at_millis).max(0)),
        "unassigned.details": unassigned.and_then(|u| u.details.clone()),
        "recoverysource.type": recovery_source(copy),
        "seq_no.max": stats.map(|s| s.max_seq_no),
        "seq_no.local_checkpoint": stats.map(|s| s.local_checkpoint),
        "seq_no.global_checkpoint": stats.map(|s| s.global_checkpoint),
        "docs.deleted": stats.map(|s| s.docs_deleted),
    }))
}

/// `node.role`: each role's abbreviation, sorted, or `-` for a coordinating-only node.
pub fn role_abbreviations(roles: &BTreeSet<String>) -> String {
    let letters = quarry_cluster::DiscoveryNode::role_letters(roles);
    if letters.is_empty() {
        "-".to_string()
    } else {
        letters
    }
}

/// The row of a relocation target: Elasticsearch lists it as its own `INITIALIZING` copy on the
/// target node, recovering from its source (`peer`).
pub fn relocation_target_row(copy: &ShardRouting, target: &CopyLocation, now_millis: i64) -> Row {
    let view = copy.relocation_target().unwrap_or_else(|| copy.clone());
    let mut r = shard_row(&view, Some(target), None, now_millis);
    r.insert("recoverysource.type".into(), json!("peer"));
    r
}

fn copy_location(node: &Node, state: &ClusterState, copy: &ShardRouting) -> Option<CopyLocation> {
    let id = copy.current_node.as_ref()?;
    let d = state.nodes.get(id)?;
    let relocation_target = copy
        .relocating_node
        .as_ref()
        .filter(|_| copy.relocating())
        .and_then(|t| state.nodes.get(t))
        .map(|t| {
            Box::new(CopyLocation {
                ip: host_ip(&t.transport_address),
                node_id: t.id.0.clone(),
                node_name: t.name.clone(),
                relocation_target: None,
            })
        });
    Some(CopyLocation {
        ip: node.config.http_address.ip().to_string(),
        node_id: id.0.clone(),
        node_name: d.name.clone(),
        relocation_target,
    })
}

/// The host part of a `host:port` transport address.
fn host_ip(address: &str) -> String {
    address
        .rsplit_once(':')
        .map(|(h, _)| h)
        .unwrap_or(address)
        .to_string()
}

impl Node {
    pub fn cat_health_rows(&self) -> Vec<Row> {
        let state = self.state();
        let all: Vec<String> = state.metadata.indices.keys().cloned().collect();
        let h = ClusterHealth::compute_exact(&state, &all);
        let unassigned_primaries = state
            .routing_table
            .all_copies()
            .filter(|c| c.primary && c.state == ShardRoutingState::Unassigned)
            .filter(|c| h.indices.contains_key(&c.shard_id.index))
            .count();
        let mut cells = timestamp_cells(super::write_path::now_millis());
        cells.extend(row(json!({
            "cluster": state.cluster_name, "status": h.status.as_str(), "node.total": state.nodes.len(),
            "node.data": state.data_nodes().count(), "shards": h.counts.active_shards, "pri": h.counts.active_primary_shards,
            "relo": h.counts.relocating_shards, "init": h.counts.initializing_shards, "unassign": h.counts.unassigned_shards,
            "unassign.pri": unassigned_primaries, "pending_tasks": 0, "max_task_wait_time": "-",
            "active_shards_percent": format!("{:.1}%", h.active_shards_percent_as_number),
        })));
        vec![cells]
    }

    /// `_cat/indices`: indices resolve as Elasticsearch's `strictExpand` (open and closed, not
    /// hidden, unless `expand_wildcards` says otherwise); `health` keeps only matching indices.
    pub fn cat_indices_rows(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        health_filter: Option<HealthStatus>,
    ) -> Result<Vec<Row>, EsError> {
        let indices = self.resolve(exprs, IndicesOptions::strict_expand(), params)?;
        let state = self.state();
        let health = ClusterHealth::compute_exact(&state, &indices);
        let stats = self.local_shard_stats(&indices);
        let mut rows = Vec::new();
        for name in &indices {
            let Some(meta) = state.index(name) else {
                continue;
            };
            let index_health = health.indices.get(name);
            if !health_filter_keeps(health_filter, index_health.map(|h| h.status)) {
                continue;
            }
            let table = state.routing_table.index(name);
            let mut figures = IndexFigures::default();
            for (_, n, s) in stats.iter().filter(|(i, _, _)| i == name) {
                figures.total_size += s.store_size_bytes;
                let local_primary = table
                    .and_then(|t| t.shards.get(n))
                    .and_then(|copies| copies.iter().find(|c| c.primary))
                    .and_then(|p| p.current_node.as_ref())
                    .is_some_and(|id| id.0 == self.node_id);
                if local_primary {
                    figures.primary_docs += s.docs_count;
                    figures.primary_deleted += s.docs_deleted;
                    figures.primary_size += s.store_size_bytes;
                }
            }
            rows.push(index_row(meta, index_health, &figures));
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
        let now = super::write_path::now_millis();
        let mut rows = Vec::new();
        for name in indices {
            let Some(table) = state.routing_table.indices.get(&name) else {
                continue;
            };
            let open = state.index(&name).is_some_and(|m| m.is_open());
            for (n, copies) in &table.shards {
                for copy in copies {
                    let location = copy_location(self, &state, copy);
                    let local = location.as_ref().is_some_and(|l| l.node_id == self.node_id);
                    let stats = if local && open && copy.active() {
                        self.indices().shard(&name, *n).map(|s| s.stats())
                    } else {
                        None
                    };
                    rows.push(shard_row(copy, location.as_ref(), stats.as_ref(), now));
                    if let Some(target) =
                        location.as_ref().and_then(|l| l.relocation_target.as_ref())
                    {
                        rows.push(relocation_target_row(copy, target, now));
                    }
                }
            }
        }
        Ok(rows)
    }

    /// `_cat/nodes`; `full_id` prints the whole node id instead of its first four characters.
    pub fn cat_nodes_rows(&self, full_id: bool) -> Vec<Row> {
        let state = self.state();
        let f = read_process_figures(&self.config.data_path);
        let is_master = state
            .master_node
            .as_ref()
            .map(|m| m.0 == self.node_id)
            .unwrap_or(false);
        let pct = |used: u64, total: u64| (used * 100).checked_div(total).unwrap_or(0);
        let disk_used = f.fs_total.saturating_sub(f.fs_available);
        let disk_used_percent = if f.fs_total > 0 {
            disk_used as f64 * 100.0 / f.fs_total as f64
        } else {
            100.0
        };
        let id = if full_id {
            self.node_id.clone()
        } else {
            self.node_id.chars().take(4).collect()
        };
        let mut rows = vec![row(json!({
            "id": id,
            "pid": f.pid,
            "ip": self.config.http_address.ip().to_string(),
            "port": 9300,
            "http_address": self.config.http_address.to_string(),
            "version": quarry_types::ES_COMPAT_VERSION,
            "flavor": "default",
            "type": "tar",
            "build": "quarry",
            "disk.total": f.fs_total, "disk.used": disk_used, "disk.avail": f.fs_available,
            "disk.used_percent": format!("{disk_used_percent:.2}"),
            "heap.current": f.rss_bytes, "heap.percent": pct(f.rss_bytes, f.total_memory),
            "heap.max": f.total_memory,
            "ram.current": f.used_memory, "ram.percent": pct(f.used_memory, f.total_memory),
            "ram.max": f.total_memory,
            "file_desc.current": f.open_file_descriptors,
            "file_desc.percent": pct(f.open_file_descriptors, f.max_file_descriptors),
            "file_desc.max": f.max_file_descriptors,
            "cpu": f.cpu_percent as u64,
            "load_1m": format!("{:.2}", f.load_average[0]),
            "load_5m": format!("{:.2}", f.load_average[1]),
            "load_15m": format!("{:.2}", f.load_average[2]),
            "uptime": self.started_at.elapsed().as_millis() as u64,
            "node.role": role_abbreviations(&self.config.roles),
            "master": if is_master { "*" } else { "-" },
            "name": self.config.node_name,
        }))];
        // Other members: what the cluster state knows (their resource figures need a
        // node-stats call over the transport, which comes with the multi-node actions).
        for (node_id, n) in &state.nodes {
            if node_id.0 == self.node_id {
                continue;
            }
            let (host, port) = n
                .transport_address
                .rsplit_once(':')
                .unwrap_or((&n.transport_address, ""));
            rows.push(row(json!({
                "id": if full_id { node_id.0.clone() } else { node_id.0.chars().take(4).collect() },
                "ip": host,
                "port": port,
                "http_address": n.http_address,
                "version": quarry_types::ES_COMPAT_VERSION,
                "flavor": "default",
                "type": "tar",
                "build": "quarry",
                "node.role": role_abbreviations(&n.roles),
                "master": if state.master_node.as_ref() == Some(node_id) { "*" } else { "-" },
                "name": n.name,
            })));
        }
        rows
    }
}

#[cfg(test)]
#[path = "cat_test.rs"]
mod cat_test;
