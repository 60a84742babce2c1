//! Statistics: `_stats` (index level, shard level), `_nodes`, `_nodes/stats`, and the rows of the
//! `_cat` APIs (rendered into tables by the REST layer).

use super::admin_index::IndicesParams;
use crate::node_stats::{read_process_figures, NodeCounters};
use crate::shard_counters::fill_search_section;
use crate::Node;
use quarry_cluster::{ClusterHealth, IndicesOptions};
use quarry_index::ShardStats;
use quarry_types::EsError;
use serde_json::{json, Map, Value};

/// Every `_stats` metric Elasticsearch knows.
pub const INDEX_STATS_METRICS: &[&str] = &[
    "docs",
    "store",
    "indexing",
    "get",
    "search",
    "merge",
    "refresh",
    "flush",
    "warmer",
    "query_cache",
    "fielddata",
    "completion",
    "segments",
    "translog",
    "request_cache",
    "recovery",
    "bulk",
    "shard_stats",
    "dense_vector",
    "sparse_vector",
    "mappings",
];

/// What a `_stats` request asks for.
#[derive(Debug, Clone, Default)]
pub struct IndexStatsRequest {
    pub metrics: Vec<String>,
    /// `cluster`, `indices` or `shards`.
    pub level: String,
    /// `groups`: the search stats groups to list.
    pub groups: Vec<String>,
    pub include_unloaded_segments: bool,
    /// The request path, quoted by errors.
    pub path: String,
}

/// Refuses unknown metrics the way Elasticsearch's REST layer does, suggesting close names.
pub fn validate_metrics(path: &str, metrics: &[String]) -> Result<(), EsError> {
    let invalid: Vec<&String> = metrics
        .iter()
        .filter(|m| *m != "_all" && *m != "merges" && !INDEX_STATS_METRICS.contains(&m.as_str()))
        .collect();
    if invalid.is_empty() {
        return Ok(());
    }
    let mut msg = format!(
        "request [{path}] contains unrecognized metric{}: ",
        if invalid.len() > 1 { "s" } else { "" }
    );
    for (i, m) in invalid.iter().enumerate() {
        if i > 0 {
            msg.push_str(", ");
        }
        msg.push_str(&format!("[{m}]"));
        let mut scored: Vec<(f32, &str)> = INDEX_STATS_METRICS
            .iter()
            .map(|c| (similarity(m, c), *c))
            .filter(|(d, _)| *d > 0.5)
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        match scored.as_slice() {
            [] => {}
            [(_, one)] => msg.push_str(&format!(" -> did you mean [{one}]?")),
            many => {
                let names: Vec<&str> = many.iter().map(|(_, n)| *n).collect();
                msg.push_str(&format!(" -> did you mean any of [{}]?", names.join(", ")));
            }
        }
    }
    Err(EsError::illegal_argument(msg))
}

/// Lucene's `LevenshteinDistance`: 1 - edits / longer length.
fn similarity(a: &str, b: &str) -> f32 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    let longest = a.len().max(b.len()).max(1);
    1.0 - prev[b.len()] as f32 / longest as f32
}

/// A closed index's shard as Elasticsearch reports it: its translog was trimmed on close and
/// its segments are not loaded (unless `include_unloaded_segments`).
pub fn closed_shard_view(s: &mut ShardStats, include_unloaded_segments: bool) {
    s.translog_operations = 0;
    if !include_unloaded_segments {
        s.segments_count = 0;
    }
}

/// The id of a shard commit. Quarry has no Lucene commit id; this one is derived from the
/// index uuid, the shard and the commit generation, so it is stable until the next flush.
pub fn commit_id(index_uuid: &str, shard: u32, generation: u64) -> String {
    use std::hash::{Hash, Hasher};
    let mut bytes = Vec::with_capacity(16);
    for salt in [0u8, 1u8] {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (salt, index_uuid, shard, generation).hash(&mut h);
        bytes.extend_from_slice(&h.finish().to_be_bytes());
    }
    base64_standard(&bytes)
}

fn base64_standard(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The `_stats` sections of one shard copy (or a sum of them).
pub fn stats_sections(s: &ShardStats, metrics: &[String]) -> Value {
    let all = metrics.is_empty() || metrics.iter().any(|m| m == "_all");
    let want = |m: &str| {
        all || metrics
            .iter()
            .any(|x| x == m || (x == "merges" && m == "merge"))
    };
    let mut m = Map::new();
    if want("docs") {
        m.insert("docs".into(), json!({"count": s.docs_count, "deleted": s.docs_deleted, "total_size_in_bytes": s.store_size_bytes}));
    }
    if want("shard_stats") {
        m.insert("shard_stats".into(), json!({"total_count": 1}));
    }
    if want("store") {
        m.insert("store".into(), json!({"size_in_bytes": s.store_size_bytes, "total_data_set_size_in_bytes": s.store_size_bytes, "reserved_in_bytes": 0}));
    }
    if want("indexing") {
        m.insert("indexing".into(), json!({
            "index_total": s.index_total, "index_time_in_millis": s.index_time_ms, "index_current": 0,
            "index_failed": 0, "delete_total": s.delete_total, "delete_time_in_millis": s.delete_time_ms,
            "delete_current": 0, "noop_update_total": 0, "is_throttled": false, "throttle_time_in_millis": 0,
            "write_load": 0.0
        }));
    }
    if want("get") {
        m.insert("get".into(), json!({"total": s.get_total, "time_in_millis": 0, "exists_total": 0, "exists_time_in_millis": 0, "missing_total": 0, "missing_time_in_millis": 0, "current": 0}));
    }
    if want("search") {
        m.insert("search".into(), json!({"open_contexts": 0, "query_total": 0, "query_time_in_millis": 0, "query_current": 0, "fetch_total": 0, "fetch_time_in_millis": 0, "fetch_current": 0, "scroll_total": 0, "scroll_time_in_millis": 0, "scroll_current": 0, "suggest_total": 0, "suggest_time_in_millis": 0, "suggest_current": 0}));
    }
    if want("merge") {
        m.insert("merges".into(), json!({"current": 0, "current_docs": 0, "current_size_in_bytes": 0, "total": s.merge_total, "total_time_in_millis": 0, "total_docs": 0, "total_size_in_bytes": 0, "total_stopped_time_in_millis": 0, "total_throttled_time_in_millis": 0, "total_auto_throttle_in_bytes": 0}));
    }
    if want("refresh") {
        m.insert("refresh".into(), json!({"total": s.refresh_total, "total_time_in_millis": 0, "external_total": s.refresh_total, "external_total_time_in_millis": 0, "listeners": 0}));
    }
    if want("flush") {
        m.insert("flush".into(), json!({"total": s.flush_total, "periodic": 0, "total_time_in_millis": 0, "total_time_excluding_waiting_on_lock_in_millis": 0}));
    }
    if want("warmer") {
        m.insert(
            "warmer".into(),
            json!({"current": 0, "total": 0, "total_time_in_millis": 0}),
        );
    }
    if want("query_cache") {
        m.insert("query_cache".into(), json!({"memory_size_in_bytes": 0, "total_count": 0, "hit_count": 0, "miss_count": 0, "cache_size": 0, "cache_count": 0, "evictions": 0}));
    }
    if want("fielddata") {
        m.insert("fielddata".into(), json!({"memory_size_in_bytes": 0, "evictions": 0, "global_ordinals": {"build_time_in_millis": 0}}));
    }
    if want("completion") {
        m.insert("completion".into(), json!({"size_in_bytes": 0}));
    }
    if want("segments") {
        m.insert("segments".into(), json!({"count": s.segments_count, "memory_in_bytes": 0, "terms_memory_in_bytes": 0, "stored_fields_memory_in_bytes": 0, "term_vectors_memory_in_bytes": 0, "norms_memory_in_bytes": 0, "points_memory_in_bytes": 0, "doc_values_memory_in_bytes": 0, "index_writer_memory_in_bytes": 0, "version_map_memory_in_bytes": 0, "fixed_bit_set_memory_in_bytes": 0, "max_unsafe_auto_id_timestamp": -1, "file_sizes": {}}));
    }
    if want("translog") {
        m.insert("translog".into(), json!({"operations": s.translog_operations, "size_in_bytes": s.translog_size_bytes, "uncommitted_operations": s.translog_operations, "uncommitted_size_in_bytes": s.translog_size_bytes, "earliest_last_modified_age": 0}));
    }
    if want("request_cache") {
        m.insert(
            "request_cache".into(),
            json!({"memory_size_in_bytes": 0, "evictions": 0, "hit_count": 0, "miss_count": 0}),
        );
    }
    if want("recovery") {
        m.insert(
            "recovery".into(),
            json!({"current_as_source": 0, "current_as_target": 0, "throttle_time_in_millis": 0}),
        );
    }
    if want("bulk") {
        m.insert("bulk".into(), json!({"total_operations": 0, "total_time_in_millis": 0, "total_size_in_bytes": 0, "avg_time_in_millis": 0, "avg_size_in_bytes": 0}));
    }
    Value::Object(m)
}

/// Adds two `_stats` section trees number by number.
pub fn add_stats(a: &mut Value, b: &Value) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, v) in y {
                match x.get_mut(k) {
                    Some(existing) => add_stats(existing, v),
                    None => {
                        x.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            if let (Some(p), Some(q)) = (x.as_u64(), y.as_u64()) {
                *x = (p + q).into();
            } else if let (Some(p), Some(q)) = (x.as_i64(), y.as_i64()) {
                *x = (p + q).into();
            }
        }
        _ => {}
    }
}

impl Node {
    /// Stats of every local shard of the given indices: (index, shard number, stats).
    pub fn local_shard_stats(&self, indices: &[String]) -> Vec<(String, u32, ShardStats)> {
        let mut out = Vec::new();
        for name in indices {
            for (n, shard) in self.indices().index_shards(name) {
                out.push((name.clone(), n, shard.stats()));
            }
        }
        out
    }

    /// Counts an update that was a no-op on shard `shard` of `index`.
    pub fn record_noop_update(&self, index: &str, shard: u32) {
        if let Some(meta) = self.state().index(index) {
            self.counters
                .shard_counters
                .record_noop_update(&meta.uuid, shard);
        }
    }

    /// Counts a finished search on the shards it ran on (index name, shard number).
    pub fn record_search_stats(&self, shards: &[(String, u32)], groups: &[String], took: u64) {
        let state = self.state();
        let keys: Vec<(String, u32)> = shards
            .iter()
            .filter_map(|(index, n)| state.index(index).map(|m| (m.uuid.clone(), *n)))
            .collect();
        self.counters.shard_counters.record(&keys, groups, took);
    }

    pub fn index_stats(
        &self,
        exprs: &[String],
        request: &IndexStatsRequest,
        params: &IndicesParams,
    ) -> Result<Value, EsError> {
        validate_metrics(&request.path, &request.metrics)?;
        let metrics = &request.metrics;
        let level = request.level.as_str();
        let indices = self.resolve(exprs, IndicesOptions::lenient_expand_open(), params)?;
        let state = self.state();
        let health = ClusterHealth::compute(&state, &indices);
        let shard_stats = self.local_shard_stats(&indices);
        let empty = stats_sections(&ShardStats::default(), metrics);
        let mut all = empty.clone();
        let mut per_index = Map::new();
        let mut total_copies = 0;
        for name in &indices {
            let Some(meta) = state.index(name) else {
                continue;
            };
            total_copies += (meta.number_of_shards * (1 + meta.number_of_replicas)) as usize;
            let mut primaries = empty.clone();
            let mut shards = Map::new();
            for (_, n, s) in shard_stats.iter().filter(|(i, _, _)| i == name) {
                let mut s = s.clone();
                if !meta.is_open() {
                    closed_shard_view(&mut s, request.include_unloaded_segments);
                }
                let mut sec = stats_sections(&s, metrics);
                let counts = self.counters.shard_counters.shard(&meta.uuid, *n);
                if let Some(search) = sec.get_mut("search") {
                    fill_search_section(search, &counts, &request.groups);
                }
                if let Some(indexing) = sec.get_mut("indexing") {
                    indexing["noop_update_total"] = json!(counts.noop_update_total);
                }
                add_stats(&mut primaries, &sec);
                let mut copy = sec;
                copy["routing"] = json!({"state": "STARTED", "primary": true, "node": self.node_id, "relocating_node": null});
                let generation = s.flush_total + 1;
                copy["commit"] = json!({"id": commit_id(&meta.uuid, *n, generation), "generation": generation, "user_data": {}, "num_docs": s.docs_count});
                copy["seq_no"] = json!({"max_seq_no": s.max_seq_no, "local_checkpoint": s.local_checkpoint, "global_checkpoint": s.global_checkpoint});
                copy["retention_leases"] = json!({"primary_term": 1, "version": 0, "leases": []});
                copy["shard_path"] =
                    json!({"state_path": "", "data_path": "", "is_custom_data_path": false});
                shards.insert(n.to_string(), json!([copy]));
            }
            add_stats(&mut all, &primaries);
            let index_health = health
                .indices
                .get(name)
                .map(|h| h.status.as_str().to_string())
                .unwrap_or_else(|| "red".into());
            let mut entry = json!({"uuid": meta.uuid, "health": index_health, "status": meta.state.as_str(), "primaries": primaries.clone(), "total": primaries});
            if level == "shards" {
                entry["shards"] = Value::Object(shards);
            }
            per_index.insert(name.clone(), entry);
        }
        let successful = shard_stats.len();
        let mut out = json!({
            "_shards": {"total": total_copies, "successful": successful, "failed": 0},
            "_all": {"primaries": all.clone(), "total": all},
        });
        if level != "cluster" {
            out["indices"] = Value::Object(per_index);
        }
        Ok(out)
    }

    fn node_base_json(&self) -> Value {
        json!({
            "name": self.config.node_name,
            "transport_address": format!("{}:9300", self.config.http_address.ip()),
            "host": self.config.http_address.ip().to_string(),
            "ip": self.config.http_address.ip().to_string(),
            "roles": self.config.roles,
            "attributes": self.config.attributes,
        })
    }

    /// `GET /_nodes[/...]`.
    pub fn nodes_info(&self) -> Value {
        let mut n = self.node_base_json();
        let f = read_process_figures(&self.config.data_path);
        n["version"] = json!(quarry_types::ES_COMPAT_VERSION);
        n["build_flavor"] = json!("default");
        n["build_type"] = json!("tar");
        n["build_hash"] = json!("quarry");
        n["total_indexing_buffer"] = json!(64 * 1024 * 1024);
        n["settings"] = self.config.settings.to_nested_json();
        n["os"] = json!({"name": std::env::consts::OS, "arch": std::env::consts::ARCH, "available_processors": f.available_processors, "allocated_processors": f.available_processors, "refresh_interval_in_millis": 1000});
        n["process"] = json!({"id": f.pid, "mlockall": false, "refresh_interval_in_millis": 1000});
        n["jvm"] = json!({"pid": f.pid, "version": "none", "vm_name": "none (Quarry is native)", "mem": {"heap_init_in_bytes": 0, "heap_max_in_bytes": 0, "non_heap_init_in_bytes": 0, "non_heap_max_in_bytes": 0, "direct_max_in_bytes": 0}, "gc_collectors": [], "memory_pools": [], "using_compressed_ordinary_object_pointers": "false"});
        n["http"] = json!({"bound_address": [self.config.http_address.to_string()], "publish_address": self.config.http_address.to_string(), "max_content_length_in_bytes": self.config.max_content_length});
        n["ingest"] = json!({"processors": []});
        n["modules"] = json!([]);
        n["plugins"] = json!([]);
        let mut nodes = Map::new();
        nodes.insert(self.node_id.clone(), n);
        json!({"_nodes": {"total": 1, "successful": 1, "failed": 0}, "cluster_name": self.config.cluster_name, "nodes": nodes})
    }

    /// `GET /_nodes/stats[/...]` with real process, OS, file-system and index figures.
    pub fn nodes_stats(&self) -> Value {
        let f = read_process_figures(&self.config.data_path);
        let state = self.state();
        let indices: Vec<String> = state.metadata.indices.keys().cloned().collect();
        let mut idx = stats_sections(&ShardStats::default(), &[]);
        for (_, _, s) in self.local_shard_stats(&indices) {
            add_stats(&mut idx, &stats_sections(&s, &[]));
        }
        let uptime = self.started_at.elapsed().as_millis() as u64;
        let now = super::write_path::now_millis();
        let mut n = self.node_base_json();
        n["timestamp"] = json!(now);
        n["indices"] = idx;
        n["os"] = json!({
            "timestamp": now,
            "cpu": {"percent": f.os_cpu_percent as u64, "load_average": {"1m": f.load_average[0], "5m": f.load_average[1], "15m": f.load_average[2]}},
            "mem": {"total_in_bytes": f.total_memory, "free_in_bytes": f.free_memory, "used_in_bytes": f.used_memory,
                    "free_percent": (f.free_memory * 100).checked_div(f.total_memory).unwrap_or(0),
                    "used_percent": (f.used_memory * 100).checked_div(f.total_memory).unwrap_or(0)},
            "swap": {"total_in_bytes": 0, "free_in_bytes": 0, "used_in_bytes": 0},
        });
        n["process"] = json!({
            "timestamp": now, "open_file_descriptors": f.open_file_descriptors, "max_file_descriptors": f.max_file_descriptors,
            "cpu": {"percent": f.cpu_percent as u64, "total_in_millis": 0},
            "mem": {"total_virtual_in_bytes": f.virtual_bytes, "resident_in_bytes": f.rss_bytes},
        });
        // Quarry has no JVM: the section exists (tools read it) with the native process figures.
        n["jvm"] = json!({
            "timestamp": now, "uptime_in_millis": uptime,
            "mem": {"heap_used_in_bytes": f.rss_bytes, "heap_used_percent": 0, "heap_committed_in_bytes": f.rss_bytes, "heap_max_in_bytes": f.total_memory,
                    "non_heap_used_in_bytes": 0, "non_heap_committed_in_bytes": 0,
                    "pools": {"young": {"used_in_bytes": 0, "max_in_bytes": 0, "peak_used_in_bytes": 0, "peak_max_in_bytes": 0},
                              "survivor": {"used_in_bytes": 0, "max_in_bytes": 0, "peak_used_in_bytes": 0, "peak_max_in_bytes": 0},
                              "old": {"used_in_bytes": f.rss_bytes, "max_in_bytes": f.total_memory, "peak_used_in_bytes": f.rss_bytes, "peak_max_in_bytes": f.total_memory}}},
            "threads": {"count": 0, "peak_count": 0},
            "gc": {"collectors": {"young": {"collection_count": 0, "collection_time_in_millis": 0}, "old": {"collection_count": 0, "collection_time_in_millis": 0}}},
            "buffer_pools": {},
            "classes": {"current_loaded_count": 0, "total_loaded_count": 0, "total_unloaded_count": 0},
        });
        n["fs"] = json!({
            "timestamp": now,
            "total": {"total_in_bytes": f.fs_total, "free_in_bytes": f.fs_available, "available_in_bytes": f.fs_available},
            "data": [{"path": self.config.data_path.display().to_string(), "mount": f.fs_mount, "type": "", "total_in_bytes": f.fs_total, "free_in_bytes": f.fs_available, "available_in_bytes": f.fs_available}],
        });
        n["thread_pool"] = json!({});
        n["transport"] = json!({"server_open": 0, "total_outbound_connections": 0, "rx_count": 0, "rx_size_in_bytes": 0, "tx_count": 0, "tx_size_in_bytes": 0});
        n["http"] = json!({"current_open": 0, "total_opened": NodeCounters::get(&self.counters.http_requests)});
        n["breakers"] = json!({});
        n["ingest"] = json!({"total": {"count": 0, "time_in_millis": 0, "current": 0, "failed": 0}, "pipelines": {}});
        let mut nodes = Map::new();
        nodes.insert(self.node_id.clone(), n);
        json!({"_nodes": {"total": 1, "successful": 1, "failed": 0}, "cluster_name": self.config.cluster_name, "nodes": nodes})
    }
}
