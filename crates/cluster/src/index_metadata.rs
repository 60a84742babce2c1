//! `IndexMetadata`: everything the cluster knows about one index apart from where its shards
//! are (settings, mapping, aliases, primary terms, in-sync allocation ids, metadata versions),
//! with typed accessors over the flat `index.*` settings. Also `AliasMetadata`.
//!
//! Owns: the per-index metadata record. Must not depend on the routing table or allocation.
//! The mapping is kept as `quarry_types::Mapping` and serialized through its JSON form
//! (`mapping_as_json`), because the types crate's model has no serde derive.

use crate::index_settings::{get_bool, get_u32};
use quarry_types::time_value::parse_time_value;
use quarry_types::{Mapping, Settings};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

/// Open or closed (`_open` / `_close`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IndexState {
    Open,
    Close,
}

impl IndexState {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexState::Open => "open",
            IndexState::Close => "close",
        }
    }
}

/// One alias on one index.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AliasMetadata {
    pub filter: Option<Value>,
    pub index_routing: Option<String>,
    pub search_routing: Option<String>,
    pub is_write_index: Option<bool>,
    pub is_hidden: Option<bool>,
}

impl AliasMetadata {
    /// The JSON `GET _alias` shows (`filter`, `index_routing`, `search_routing`,
    /// `is_write_index`, `is_hidden`; absent keys omitted).
    pub fn to_json(&self) -> Value {
        let mut m = serde_json::Map::new();
        if let Some(f) = &self.filter {
            m.insert("filter".into(), f.clone());
        }
        if let Some(r) = &self.index_routing {
            m.insert("index_routing".into(), r.clone().into());
        }
        if let Some(r) = &self.search_routing {
            m.insert("search_routing".into(), r.clone().into());
        }
        if let Some(w) = self.is_write_index {
            m.insert("is_write_index".into(), w.into());
        }
        if let Some(h) = self.is_hidden {
            m.insert("is_hidden".into(), h.into());
        }
        Value::Object(m)
    }
}

/// Serde for `Mapping` through its Elasticsearch JSON form.
pub mod mapping_as_json {
    use quarry_types::Mapping;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(mapping: &Mapping, s: S) -> Result<S::Ok, S::Error> {
        mapping.to_json().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Mapping, D::Error> {
        let v = Value::deserialize(d)?;
        Mapping::parse(&v).map_err(|e| serde::de::Error::custom(e.reason))
    }
}

/// Everything the cluster knows about one index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexMetadata {
    pub name: String,
    pub uuid: String,
    pub state: IndexState,
    /// Full flat `index.*` settings, values stored as strings.
    pub settings: Settings,
    pub number_of_shards: u32,
    pub number_of_replicas: u32,
    pub routing_num_shards: u32,
    #[serde(with = "mapping_as_json")]
    pub mapping: Mapping,
    pub aliases: BTreeMap<String, AliasMetadata>,
    /// Primary term per shard; bumped each time a new primary is assigned or promoted.
    pub primary_terms: Vec<u64>,
    /// Allocation ids of the copies that hold every acknowledged write, per shard.
    pub in_sync_allocation_ids: BTreeMap<u32, BTreeSet<String>>,
    pub creation_date: i64,
    pub version: u64,
    pub mapping_version: u64,
    pub settings_version: u64,
    pub aliases_version: u64,
}

impl IndexMetadata {
    /// `index.refresh_interval` (default 1s); `None` when refresh is disabled (`-1`).
    pub fn refresh_interval(&self) -> Option<Duration> {
        match self.settings.get_str("index.refresh_interval") {
            Some(t) => parse_time_value(&t).unwrap_or(Some(Duration::from_secs(1))),
            None => Some(Duration::from_secs(1)),
        }
    }

    /// `index.translog.durability`: `"request"` (default) or `"async"`.
    pub fn translog_durability(&self) -> String {
        self.settings
            .get_str("index.translog.durability")
            .map(|s| s.to_ascii_lowercase())
            .unwrap_or_else(|| "request".into())
    }

    /// `index.translog.sync_interval` (default 5s).
    pub fn translog_sync_interval(&self) -> Duration {
        self.settings
            .get_str("index.translog.sync_interval")
            .and_then(|t| parse_time_value(&t).ok().flatten())
            .unwrap_or(Duration::from_secs(5))
    }

    pub fn max_result_window(&self) -> u32 {
        get_u32(&self.settings, "index.max_result_window").unwrap_or(10_000)
    }

    pub fn max_inner_result_window(&self) -> u32 {
        get_u32(&self.settings, "index.max_inner_result_window").unwrap_or(100)
    }

    pub fn max_terms_count(&self) -> u32 {
        get_u32(&self.settings, "index.max_terms_count").unwrap_or(65_536)
    }

    pub fn total_fields_limit(&self) -> u32 {
        get_u32(&self.settings, "index.mapping.total_fields.limit").unwrap_or(1000)
    }

    pub fn depth_limit(&self) -> u32 {
        get_u32(&self.settings, "index.mapping.depth.limit").unwrap_or(20)
    }

    /// `index.mapping.nested_objects.limit`: nested documents one document may hold.
    pub fn nested_objects_limit(&self) -> u32 {
        get_u32(&self.settings, "index.mapping.nested_objects.limit").unwrap_or(10_000)
    }

    pub fn nested_fields_limit(&self) -> u32 {
        get_u32(&self.settings, "index.mapping.nested_fields.limit").unwrap_or(50)
    }

    /// `index.hidden`, default false.
    pub fn is_hidden(&self) -> bool {
        get_bool(&self.settings, "index.hidden").unwrap_or(false)
    }

    pub fn is_open(&self) -> bool {
        self.state == IndexState::Open
    }

    /// `index.routing_partition_size`, default 1.
    pub fn routing_partition_size(&self) -> u32 {
        get_u32(&self.settings, "index.routing_partition_size").unwrap_or(1)
    }

    /// `_routing.required: true` in the mapping.
    pub fn routing_required(&self) -> bool {
        matches!(
            self.mapping
                .root_params
                .get("_routing")
                .and_then(|r| r.get("required")),
            Some(Value::Bool(true))
        )
    }

    /// `index.blocks.write` or `index.blocks.read_only(_allow_delete)`.
    pub fn write_blocked(&self) -> bool {
        [
            "index.blocks.write",
            "index.blocks.read_only",
            "index.blocks.read_only_allow_delete",
        ]
        .iter()
        .any(|k| get_bool(&self.settings, k).unwrap_or(false))
    }

    pub fn read_blocked(&self) -> bool {
        get_bool(&self.settings, "index.blocks.read").unwrap_or(false)
    }

    /// `index.unassigned.node_left.delayed_timeout` (default 1m).
    pub fn node_left_delayed_timeout(&self) -> Duration {
        self.settings
            .get_str("index.unassigned.node_left.delayed_timeout")
            .and_then(|t| parse_time_value(&t).ok().flatten())
            .unwrap_or(Duration::from_secs(60))
    }

    /// `index.allocation.max_retries` (default 5).
    pub fn max_retries(&self) -> u32 {
        get_u32(&self.settings, "index.allocation.max_retries").unwrap_or(5)
    }

    /// `index.auto_expand_replicas` as `(min, max)`; `max = None` means `all`.
    pub fn auto_expand_replicas(&self) -> Option<(u32, Option<u32>)> {
        let text = self.settings.get_str("index.auto_expand_replicas")?;
        let (lo, hi) = text.split_once('-')?;
        let lo = lo.parse().ok()?;
        let hi = if hi == "all" {
            None
        } else {
            Some(hi.parse().ok()?)
        };
        Some((lo, hi))
    }

    /// `index.default_pipeline` / `index.final_pipeline` (`_none` means none).
    pub fn default_pipeline(&self) -> Option<String> {
        self.settings
            .get_str("index.default_pipeline")
            .filter(|p| p != "_none")
    }

    pub fn final_pipeline(&self) -> Option<String> {
        self.settings
            .get_str("index.final_pipeline")
            .filter(|p| p != "_none")
    }

    /// The primary term of `shard` (0 before the first primary was assigned).
    pub fn primary_term(&self, shard: u32) -> u64 {
        self.primary_terms.get(shard as usize).copied().unwrap_or(0)
    }

    pub fn in_sync_ids(&self, shard: u32) -> BTreeSet<String> {
        self.in_sync_allocation_ids
            .get(&shard)
            .cloned()
            .unwrap_or_default()
    }

    /// The `_cluster/state` `metadata.indices.<name>` JSON.
    pub fn to_json(&self) -> Value {
        let terms: serde_json::Map<String, Value> = self
            .primary_terms
            .iter()
            .enumerate()
            .map(|(i, t)| (i.to_string(), Value::from(*t)))
            .collect();
        let in_sync: serde_json::Map<String, Value> = (0..self.number_of_shards)
            .map(|s| {
                (
                    s.to_string(),
                    Value::from(self.in_sync_ids(s).into_iter().collect::<Vec<_>>()),
                )
            })
            .collect();
        let aliases: Vec<Value> = self
            .aliases
            .keys()
            .map(|a| Value::from(a.clone()))
            .collect();
        serde_json::json!({
            "version": self.version,
            "mapping_version": self.mapping_version,
            "settings_version": self.settings_version,
            "aliases_version": self.aliases_version,
            "routing_num_shards": self.routing_num_shards,
            "state": self.state.as_str(),
            "settings": self.settings.to_nested_json(),
            "mappings": { "_doc": self.mapping.to_json() },
            "aliases": aliases,
            "primary_terms": terms,
            "in_sync_allocations": in_sync,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub(crate) fn sample() -> IndexMetadata {
        IndexMetadata {
            name: "logs".into(),
            uuid: "u1".into(),
            state: IndexState::Open,
            settings: Settings::from_json(&json!({"index.number_of_shards": "2"})).unwrap(),
            number_of_shards: 2,
            number_of_replicas: 1,
            routing_num_shards: 1024,
            mapping: Mapping::parse(&json!({"properties": {"a": {"type": "keyword"}}})).unwrap(),
            aliases: BTreeMap::new(),
            primary_terms: vec![1, 1],
            in_sync_allocation_ids: BTreeMap::new(),
            creation_date: 0,
            version: 1,
            mapping_version: 1,
            settings_version: 1,
            aliases_version: 1,
        }
    }

    #[test]
    fn accessors_default_like_elasticsearch() {
        let m = sample();
        assert_eq!(m.refresh_interval(), Some(Duration::from_secs(1)));
        assert_eq!(m.translog_durability(), "request");
        assert_eq!(m.max_result_window(), 10_000);
        assert!(!m.is_hidden());
        assert_eq!(m.routing_partition_size(), 1);
        assert!(!m.write_blocked());
        assert_eq!(m.node_left_delayed_timeout(), Duration::from_secs(60));
        assert_eq!(m.auto_expand_replicas(), None);
    }

    #[test]
    fn accessors_read_settings() {
        let mut m = sample();
        m.settings.insert("index.refresh_interval", json!("-1"));
        m.settings
            .insert("index.translog.durability", json!("ASYNC"));
        m.settings.insert("index.max_result_window", json!("50"));
        m.settings.insert("index.hidden", json!("true"));
        m.settings.insert("index.blocks.write", json!("true"));
        m.settings
            .insert("index.auto_expand_replicas", json!("0-all"));
        assert_eq!(m.refresh_interval(), None);
        assert_eq!(m.translog_durability(), "async");
        assert_eq!(m.max_result_window(), 50);
        assert!(m.is_hidden() && m.write_blocked());
        assert_eq!(m.auto_expand_replicas(), Some((0, None)));
    }

    #[test]
    fn serde_round_trips_through_mapping_json() {
        let m = sample();
        let text = serde_json::to_string(&m).unwrap();
        let back: IndexMetadata = serde_json::from_str(&text).unwrap();
        assert_eq!(back, m);
        assert_eq!(
            m.to_json()["mappings"]["_doc"]["properties"]["a"]["type"],
            "keyword"
        );
    }
}
