//! Per-shard counters `_stats` reports that the shard engine does not keep, counted by the node
//! actions: searches (`search.query_total`, `query_time_in_millis` and the `groups` a search
//! names in its `stats` field) and no-op updates (`indexing.noop_update_total`).
//!
//! Owns: those counts per shard copy. Keyed by index uuid, so a re-created index starts from
//! zero. Must not run searches or writes.

use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Query-phase counts of one shard (or one group on that shard).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SearchCounts {
    pub query_total: u64,
    pub query_time_ms: u64,
}

impl SearchCounts {
    fn add(&mut self, took_ms: u64) {
        self.query_total += 1;
        self.query_time_ms += took_ms;
    }
}

/// The counters of one shard: all searches, searches per stats group, no-op updates.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ShardSearchStats {
    pub total: SearchCounts,
    pub groups: BTreeMap<String, SearchCounts>,
    pub noop_update_total: u64,
}

/// Every local shard's counters.
#[derive(Debug, Default)]
pub struct ShardCounterRegistry {
    shards: Mutex<HashMap<(String, u32), ShardSearchStats>>,
}

impl ShardCounterRegistry {
    /// Counts an update that changed nothing (`result: noop`) on a shard.
    pub fn record_noop_update(&self, index_uuid: &str, shard: u32) {
        self.shards
            .lock()
            .entry((index_uuid.to_string(), shard))
            .or_default()
            .noop_update_total += 1;
    }

    /// Counts one query phase on each of `shards` (index uuid, shard number).
    pub fn record(&self, shards: &[(String, u32)], groups: &[String], took_ms: u64) {
        let mut map = self.shards.lock();
        for key in shards {
            let entry = map.entry(key.clone()).or_default();
            entry.total.add(took_ms);
            for g in groups {
                entry.groups.entry(g.clone()).or_default().add(took_ms);
            }
        }
    }

    pub fn shard(&self, index_uuid: &str, shard: u32) -> ShardSearchStats {
        self.shards
            .lock()
            .get(&(index_uuid.to_string(), shard))
            .cloned()
            .unwrap_or_default()
    }
}

/// The `stats` groups of a search body (`"stats": ["a", "b"]` or `"stats": "a"`).
pub fn search_groups(body: Option<&Value>) -> Vec<String> {
    match body.and_then(|b| b.get("stats")) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

/// Writes the counters into a `search` stats section; `groups` (patterns, `_all`, `*`) selects
/// the groups listed under `groups`, none when empty.
pub fn fill_search_section(section: &mut Value, stats: &ShardSearchStats, groups: &[String]) {
    let Value::Object(search) = section else {
        return;
    };
    search.insert("query_total".into(), json!(stats.total.query_total));
    search.insert(
        "query_time_in_millis".into(),
        json!(stats.total.query_time_ms),
    );
    if groups.is_empty() {
        return;
    }
    let mut out = Map::new();
    for (name, counts) in &stats.groups {
        let wanted = groups
            .iter()
            .any(|g| g == "_all" || quarry_cluster::templates::simple_match(g, name));
        if wanted {
            let mut g = search.clone();
            g.remove("groups");
            g.insert("query_total".into(), json!(counts.query_total));
            g.insert("query_time_in_millis".into(), json!(counts.query_time_ms));
            out.insert(name.clone(), Value::Object(g));
        }
    }
    search.insert("groups".into(), Value::Object(out));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_per_shard_and_group() {
        let r = ShardCounterRegistry::default();
        r.record(&[("u1".into(), 0)], &["bar".into(), "baz".into()], 3);
        r.record(&[("u1".into(), 0), ("u2".into(), 0)], &[], 1);
        let s = r.shard("u1", 0);
        assert_eq!(s.total.query_total, 2);
        assert_eq!(s.total.query_time_ms, 4);
        assert_eq!(s.groups["bar"].query_total, 1);
        assert_eq!(r.shard("u2", 0).total.query_total, 1);
        assert_eq!(r.shard("u3", 0), ShardSearchStats::default());
        r.record_noop_update("u1", 0);
        assert_eq!(r.shard("u1", 0).noop_update_total, 1);
    }

    #[test]
    fn section_lists_only_requested_groups() {
        let r = ShardCounterRegistry::default();
        r.record(&[("u".into(), 0)], &["bar".into(), "baz".into()], 0);
        let mut sec = json!({"query_total": 0, "fetch_total": 0});
        fill_search_section(&mut sec, &r.shard("u", 0), &["*r".into()]);
        assert_eq!(sec["query_total"], 1);
        assert_eq!(sec["groups"]["bar"]["query_total"], 1);
        assert!(sec["groups"].get("baz").is_none());
        let mut plain = json!({"query_total": 0});
        fill_search_section(&mut plain, &r.shard("u", 0), &[]);
        assert!(plain.get("groups").is_none());
    }

    #[test]
    fn groups_come_from_the_stats_field() {
        assert_eq!(
            search_groups(Some(&json!({"stats": ["a", "b"]}))),
            vec!["a", "b"]
        );
        assert_eq!(search_groups(Some(&json!({"stats": "a"}))), vec!["a"]);
        assert!(search_groups(None).is_empty());
    }
}
