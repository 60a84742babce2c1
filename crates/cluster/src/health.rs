//! Cluster health (`GET _cluster/health`) computed from a cluster state: status green / yellow /
//! red per shard, index and cluster, shard counts, and the Elasticsearch JSON shape for
//! `level=cluster|indices|shards`.
//!
//! Rules (Elasticsearch `ClusterShardHealth`): a shard is green when all its copies are active,
//! yellow when the primary is active but a replica is not, red when the primary is inactive —
//! except a brand-new primary (empty store, never failed, not refused by the deciders), which
//! counts as yellow while it initializes. Closed indices are left out entirely (Quarry keeps
//! their copies in place but they serve nothing). An index with replicas on a one-node cluster
//! is therefore yellow.
//!
//! Owns: health arithmetic. Must not change state. Pending-task figures are zero here; the
//! node layer fills them in.

use crate::cluster_state::ClusterState;
use crate::index_metadata::IndexMetadata;
use crate::routing_table::IndexRoutingTable;
use crate::shard_routing::{AllocationStatus, ShardRouting};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// Green < yellow < red.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HealthStatus {
    Green,
    Yellow,
    Red,
}

impl HealthStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Green => "green",
            HealthStatus::Yellow => "yellow",
            HealthStatus::Red => "red",
        }
    }

    /// Parses `wait_for_status` values.
    pub fn parse(text: &str) -> Option<HealthStatus> {
        match text {
            "green" => Some(HealthStatus::Green),
            "yellow" => Some(HealthStatus::Yellow),
            "red" => Some(HealthStatus::Red),
            _ => None,
        }
    }
}

/// `level` of detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthLevel {
    Cluster,
    Indices,
    Shards,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShardCounts {
    pub active_primary_shards: u32,
    pub active_shards: u32,
    pub relocating_shards: u32,
    pub initializing_shards: u32,
    pub unassigned_shards: u32,
    pub delayed_unassigned_shards: u32,
}

impl ShardCounts {
    fn add_copy(&mut self, c: &ShardRouting) {
        if c.active() {
            self.active_shards += 1;
            if c.primary {
                self.active_primary_shards += 1;
            }
        }
        match c.state {
            crate::shard_routing::ShardRoutingState::Relocating => self.relocating_shards += 1,
            crate::shard_routing::ShardRoutingState::Initializing => self.initializing_shards += 1,
            crate::shard_routing::ShardRoutingState::Unassigned => {
                self.unassigned_shards += 1;
                if c.unassigned_info.as_ref().is_some_and(|i| i.delayed) {
                    self.delayed_unassigned_shards += 1;
                }
            }
            crate::shard_routing::ShardRoutingState::Started => {}
        }
    }

    fn add(&mut self, o: &ShardCounts) {
        self.active_primary_shards += o.active_primary_shards;
        self.active_shards += o.active_shards;
        self.relocating_shards += o.relocating_shards;
        self.initializing_shards += o.initializing_shards;
        self.unassigned_shards += o.unassigned_shards;
        self.delayed_unassigned_shards += o.delayed_unassigned_shards;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShardHealth {
    pub status: HealthStatus,
    pub primary_active: bool,
    pub counts: ShardCounts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct IndexHealth {
    pub status: HealthStatus,
    pub number_of_shards: u32,
    pub number_of_replicas: u32,
    pub counts: ShardCounts,
    pub shards: BTreeMap<u32, ShardHealth>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterHealth {
    pub cluster_name: String,
    pub status: HealthStatus,
    pub timed_out: bool,
    pub number_of_nodes: u32,
    pub number_of_data_nodes: u32,
    pub counts: ShardCounts,
    pub number_of_pending_tasks: u32,
    pub number_of_in_flight_fetch: u32,
    pub task_max_waiting_in_queue_millis: u64,
    pub active_shards_percent_as_number: f64,
    pub indices: BTreeMap<String, IndexHealth>,
}

fn inactive_primary_health(meta: &IndexMetadata, primary: &ShardRouting) -> HealthStatus {
    let fresh = meta.in_sync_ids(primary.shard_id.shard).is_empty();
    let info_ok = primary.unassigned_info.as_ref().is_some_and(|i| {
        i.last_allocation_status != AllocationStatus::DecidersNo && i.failed_allocations == 0
    });
    if fresh && info_ok {
        HealthStatus::Yellow
    } else {
        HealthStatus::Red
    }
}

fn shard_health(meta: &IndexMetadata, copies: &[ShardRouting]) -> ShardHealth {
    let mut counts = ShardCounts::default();
    copies.iter().for_each(|c| counts.add_copy(c));
    let primary = copies.iter().find(|c| c.primary);
    let primary_active = primary.is_some_and(ShardRouting::active);
    let status = match primary {
        Some(p) if p.active() => {
            if copies.iter().all(ShardRouting::active) {
                HealthStatus::Green
            } else {
                HealthStatus::Yellow
            }
        }
        Some(p) => inactive_primary_health(meta, p),
        None => HealthStatus::Red,
    };
    ShardHealth {
        status,
        primary_active,
        counts,
    }
}

fn index_health(meta: &IndexMetadata, table: Option<&IndexRoutingTable>) -> IndexHealth {
    let mut counts = ShardCounts::default();
    let mut shards = BTreeMap::new();
    let mut status = HealthStatus::Green;
    for shard in 0..meta.number_of_shards {
        let copies = table
            .and_then(|t| t.shards.get(&shard))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let h = shard_health(meta, copies);
        status = status.max(h.status);
        counts.add(&h.counts);
        shards.insert(shard, h);
    }
    IndexHealth {
        status,
        number_of_shards: meta.number_of_shards,
        number_of_replicas: meta.number_of_replicas,
        counts,
        shards,
    }
}

impl ClusterHealth {
    /// Health of `indices` (concrete names; empty = every index). Closed and unknown names are
    /// skipped.
    pub fn compute(state: &ClusterState, indices: &[String]) -> ClusterHealth {
        let selected: Vec<&IndexMetadata> = if indices.is_empty() {
            state.metadata.indices.values().map(|m| &**m).collect()
        } else {
            indices.iter().filter_map(|i| state.index(i)).collect()
        };
        let mut out = ClusterHealth {
            cluster_name: state.cluster_name.clone(),
            status: HealthStatus::Green,
            timed_out: false,
            number_of_nodes: state.nodes.len() as u32,
            number_of_data_nodes: state.data_nodes().count() as u32,
            counts: ShardCounts::default(),
            number_of_pending_tasks: 0,
            number_of_in_flight_fetch: 0,
            task_max_waiting_in_queue_millis: 0,
            active_shards_percent_as_number: 100.0,
            indices: BTreeMap::new(),
        };
        for meta in selected.into_iter().filter(|m| m.is_open()) {
            let h = index_health(meta, state.routing_table.index(&meta.name));
            out.status = out.status.max(h.status);
            out.counts.add(&h.counts);
            out.indices.insert(meta.name.clone(), h);
        }
        let c = &out.counts;
        let total = c.active_shards + c.initializing_shards + c.unassigned_shards;
        if total > 0 {
            out.active_shards_percent_as_number =
                100.0 * f64::from(c.active_shards) / f64::from(total);
        }
        out
    }

    /// Health of exactly `indices` (concrete names; unknown names skipped, an empty list selects
    /// nothing). Closed indices count when they have routing entries, as in Elasticsearch 8
    /// where closed indices stay replicated (`ClusterStateHealth` over the resolved names).
    pub fn compute_exact(state: &ClusterState, indices: &[String]) -> ClusterHealth {
        let mut out = ClusterHealth {
            cluster_name: state.cluster_name.clone(),
            status: HealthStatus::Green,
            timed_out: false,
            number_of_nodes: state.nodes.len() as u32,
            number_of_data_nodes: state.data_nodes().count() as u32,
            counts: ShardCounts::default(),
            number_of_pending_tasks: 0,
            number_of_in_flight_fetch: 0,
            task_max_waiting_in_queue_millis: 0,
            active_shards_percent_as_number: 100.0,
            indices: BTreeMap::new(),
        };
        for meta in indices.iter().filter_map(|i| state.index(i)) {
            let table = state.routing_table.index(&meta.name);
            if !meta.is_open() && table.is_none() {
                continue;
            }
            let h = index_health(meta, table);
            out.status = out.status.max(h.status);
            out.counts.add(&h.counts);
            out.indices.insert(meta.name.clone(), h);
        }
        let c = &out.counts;
        let total = c.active_shards + c.initializing_shards + c.unassigned_shards;
        if total > 0 {
            out.active_shards_percent_as_number =
                100.0 * f64::from(c.active_shards) / f64::from(total);
        }
        out
    }

    /// The `_cluster/health` response body.
    pub fn to_json(&self, level: HealthLevel) -> Value {
        let mut v = json!({
            "cluster_name": self.cluster_name,
            "status": self.status.as_str(),
            "timed_out": self.timed_out,
            "number_of_nodes": self.number_of_nodes,
            "number_of_data_nodes": self.number_of_data_nodes,
        });
        let m = v.as_object_mut().expect("json! object literal");
        counts_into(m, &self.counts);
        m.insert(
            "delayed_unassigned_shards".into(),
            self.counts.delayed_unassigned_shards.into(),
        );
        m.insert(
            "number_of_pending_tasks".into(),
            self.number_of_pending_tasks.into(),
        );
        m.insert(
            "number_of_in_flight_fetch".into(),
            self.number_of_in_flight_fetch.into(),
        );
        m.insert(
            "task_max_waiting_in_queue_millis".into(),
            self.task_max_waiting_in_queue_millis.into(),
        );
        m.insert(
            "active_shards_percent_as_number".into(),
            self.active_shards_percent_as_number.into(),
        );
        if level != HealthLevel::Cluster {
            let indices: Map<String, Value> = self
                .indices
                .iter()
                .map(|(name, h)| (name.clone(), index_json(h, level)))
                .collect();
            m.insert("indices".into(), Value::Object(indices));
        }
        v
    }
}

fn counts_into(m: &mut Map<String, Value>, c: &ShardCounts) {
    m.insert(
        "active_primary_shards".into(),
        c.active_primary_shards.into(),
    );
    m.insert("active_shards".into(), c.active_shards.into());
    m.insert("relocating_shards".into(), c.relocating_shards.into());
    m.insert("initializing_shards".into(), c.initializing_shards.into());
    m.insert("unassigned_shards".into(), c.unassigned_shards.into());
}

fn index_json(h: &IndexHealth, level: HealthLevel) -> Value {
    let mut m = Map::new();
    m.insert("status".into(), h.status.as_str().into());
    m.insert("number_of_shards".into(), h.number_of_shards.into());
    m.insert("number_of_replicas".into(), h.number_of_replicas.into());
    counts_into(&mut m, &h.counts);
    if level == HealthLevel::Shards {
        let shards: Map<String, Value> = h
            .shards
            .iter()
            .map(|(n, s)| {
                let mut sm = Map::new();
                sm.insert("status".into(), s.status.as_str().into());
                sm.insert("primary_active".into(), s.primary_active.into());
                sm.insert("active_shards".into(), s.counts.active_shards.into());
                sm.insert(
                    "relocating_shards".into(),
                    s.counts.relocating_shards.into(),
                );
                sm.insert(
                    "initializing_shards".into(),
                    s.counts.initializing_shards.into(),
                );
                sm.insert(
                    "unassigned_shards".into(),
                    s.counts.unassigned_shards.into(),
                );
                (n.to_string(), Value::Object(sm))
            })
            .collect();
        m.insert("shards".into(), Value::Object(shards));
    }
    Value::Object(m)
}

#[cfg(test)]
#[path = "health_test.rs"]
mod health_test;
