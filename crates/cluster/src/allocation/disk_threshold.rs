//! The `disk_threshold` decider and the flood-stage monitor (Elasticsearch's
//! `DiskThresholdDecider` and `DiskThresholdMonitor`), over the disk figures every node reports
//! into the state (`ClusterState::disk_usages`):
//! - above `cluster.routing.allocation.disk.watermark.low` (85%) no copy is allocated to the
//!   node, except a primary of an index that never had one;
//! - above `.high` (90%) nothing is allocated and started copies may not stay (they move away);
//! - at `.flood_stage` (95%) every index with a copy on the node gets
//!   `index.blocks.read_only_allow_delete`, removed again once no node holding a copy of it is
//!   above the high watermark.
//!
//! Watermarks are used-space percentages/ratios (`85%`, `0.85`) or free-space byte sizes
//! (`10gb`); `cluster.routing.allocation.disk.threshold_enabled: false` turns all of it off, and
//! with a single data node it is off unless `...watermark.enable_for_single_data_node: true`
//! (Elasticsearch 7's default; Elasticsearch 8 always applies it, see ARCHITECTURE.md).
//! Pure; owns only these rules.

use super::routing_nodes::Allocation;
use super::Decision;
use crate::cluster_state::ClusterState;
use crate::{DiscoveryNode, ShardRouting};
use quarry_types::time_value::parse_byte_size;
use serde::{Deserialize, Serialize};
use serde_json::Value;

const NAME: &str = "disk_threshold";
pub const ENABLED: &str = "cluster.routing.allocation.disk.threshold_enabled";
pub const LOW: &str = "cluster.routing.allocation.disk.watermark.low";
pub const HIGH: &str = "cluster.routing.allocation.disk.watermark.high";
pub const FLOOD_STAGE: &str = "cluster.routing.allocation.disk.watermark.flood_stage";
/// Elasticsearch 7's switch (default false): with one data node nothing can move anyway, so
/// watermarks apply only when there are several data nodes or this is `true`.
pub const SINGLE_DATA_NODE: &str =
    "cluster.routing.allocation.disk.watermark.enable_for_single_data_node";
const BLOCK: &str = "index.blocks.read_only_allow_delete";

/// One node's disk, as it reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskUsage {
    pub total_bytes: u64,
    pub free_bytes: u64,
}

impl DiskUsage {
    pub fn used_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.free_bytes)
    }

    pub fn used_percent(&self) -> f64 {
        if self.total_bytes == 0 {
            return 0.0;
        }
        100.0 * self.used_bytes() as f64 / self.total_bytes as f64
    }
}

/// A watermark: a used-space percentage, or a minimum of free bytes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Watermark {
    UsedPercent(f64),
    FreeBytes(u64),
}

impl Watermark {
    /// `85%`, `0.85` or `500mb`.
    pub fn parse(text: &str) -> Result<Watermark, String> {
        let t = text.trim();
        if let Some(p) = t.strip_suffix('%') {
            return match p.trim().parse::<f64>() {
                Ok(v) if (0.0..=100.0).contains(&v) => Ok(Watermark::UsedPercent(v)),
                _ => Err(format!("failed to parse watermark [{text}]")),
            };
        }
        if let Ok(ratio) = t.parse::<f64>() {
            return if (0.0..=1.0).contains(&ratio) {
                Ok(Watermark::UsedPercent(ratio * 100.0))
            } else {
                Err(format!("failed to parse watermark [{text}]"))
            };
        }
        parse_byte_size(t)
            .map(Watermark::FreeBytes)
            .map_err(|_| format!("failed to parse watermark [{text}]"))
    }

    /// Whether `usage` is above (or at) this watermark.
    pub fn exceeded_by(&self, usage: &DiskUsage) -> bool {
        match self {
            Watermark::UsedPercent(p) => usage.used_percent() >= *p,
            Watermark::FreeBytes(b) => usage.free_bytes <= *b,
        }
    }

    fn describe(&self) -> String {
        match self {
            Watermark::UsedPercent(p) => format!("{p}%"),
            Watermark::FreeBytes(b) => format!("{b}b"),
        }
    }
}

/// The three watermarks in force, or `None` when the threshold is disabled.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Watermarks {
    pub low: Watermark,
    pub high: Watermark,
    pub flood_stage: Watermark,
}

impl Watermarks {
    pub fn of(state: &ClusterState) -> Option<Watermarks> {
        let setting = |key: &str| state.metadata.cluster_setting(key);
        if setting(ENABLED).is_some_and(|v| v == "false") {
            return None;
        }
        if state.data_nodes().nth(1).is_none()
            && setting(SINGLE_DATA_NODE).is_none_or(|v| v != "true")
        {
            return None;
        }
        let read = |key: &str, default: f64| {
            setting(key)
                .and_then(|v| Watermark::parse(&v).ok())
                .unwrap_or(Watermark::UsedPercent(default))
        };
        Some(Watermarks {
            low: read(LOW, 85.0),
            high: read(HIGH, 90.0),
            flood_stage: read(FLOOD_STAGE, 95.0),
        })
    }
}

/// Checks a watermark update (`PUT _cluster/settings`): values must parse, and the three must
/// be of one kind, as Elasticsearch requires.
pub fn check_watermark_settings(merged: &quarry_types::Settings) -> Result<(), String> {
    let mut kinds = Vec::new();
    for key in [LOW, HIGH, FLOOD_STAGE] {
        if let Some(v) = merged.get_str(key) {
            let w = Watermark::parse(&v)?;
            kinds.push(matches!(w, Watermark::UsedPercent(_)));
        }
    }
    if kinds.windows(2).any(|w| w[0] != w[1]) {
        return Err(
            "unable to consistently parse [cluster.routing.allocation.disk.watermark.low], [cluster.routing.allocation.disk.watermark.high], and [cluster.routing.allocation.disk.watermark.flood_stage] as percentage or bytes".into(),
        );
    }
    Ok(())
}

fn explain(level: &str, key: &str, w: &Watermark, usage: &DiskUsage) -> String {
    format!(
        "the node is above the {level} watermark cluster setting [{key}={}], having less than the minimum required free space, actual free: [{}b], actual used: [{:.1}%]",
        w.describe(),
        usage.free_bytes,
        usage.used_percent()
    )
}

/// Allocation: NO above high; above low only a brand-new primary passes.
pub fn disk_threshold(state: &Allocation, shard: &ShardRouting, node: &DiscoveryNode) -> Decision {
    let Some(marks) = Watermarks::of(state) else {
        return Decision::yes(NAME, "the disk threshold decider is disabled");
    };
    let Some(usage) = state.disk_usages.get(&node.id) else {
        return Decision::yes(NAME, "there is no disk usage information for this node");
    };
    if marks.high.exceeded_by(usage) {
        return Decision::no(NAME, explain("high", HIGH, &marks.high, usage));
    }
    if marks.low.exceeded_by(usage) {
        let fresh_primary = shard.primary
            && shard.unassigned()
            && state
                .index(&shard.shard_id.index)
                .is_some_and(|m| m.in_sync_ids(shard.shard_id.shard).is_empty());
        if !fresh_primary {
            return Decision::no(NAME, explain("low", LOW, &marks.low, usage));
        }
    }
    Decision::yes(NAME, "enough disk for shard on node")
}

/// Staying: NO above the high watermark.
pub fn disk_threshold_remain(
    state: &Allocation,
    _shard: &ShardRouting,
    node: &DiscoveryNode,
) -> Decision {
    match (Watermarks::of(state), state.disk_usages.get(&node.id)) {
        (Some(marks), Some(usage)) if marks.high.exceeded_by(usage) => Decision::no(
            NAME,
            explain("high", HIGH, &marks.high, usage) + "; the shard cannot remain on this node",
        ),
        _ => Decision::yes(
            NAME,
            "there is enough disk on this node for the shard to remain",
        ),
    }
}

/// Whether `node` is above the high watermark (its copies may not stay).
pub fn above_high(state: &ClusterState, node: &quarry_types::NodeId) -> bool {
    match (Watermarks::of(state), state.disk_usages.get(node)) {
        (Some(marks), Some(usage)) => marks.high.exceeded_by(usage),
        _ => false,
    }
}

/// Puts the read-only-allow-delete block on every index with a copy on a node at flood stage,
/// and lifts it from indices none of whose nodes is above the high watermark any more.
pub fn apply_flood_stage(state: &mut ClusterState) {
    let Some(marks) = Watermarks::of(state) else {
        return;
    };
    let above = |node: Option<&quarry_types::NodeId>, w: &Watermark| {
        node.and_then(|n| state.disk_usages.get(n))
            .is_some_and(|u| w.exceeded_by(u))
    };
    let mut changes: Vec<(String, bool)> = Vec::new();
    for (name, table) in &state.routing_table.indices {
        let nodes = || {
            table
                .all_copies()
                .flat_map(|c| [c.current_node.as_ref(), c.relocating_node.as_ref()])
        };
        let flooded = nodes().any(|n| above(n, &marks.flood_stage));
        let over_high = nodes().any(|n| above(n, &marks.high));
        // Only indices on nodes with known figures are released (a block set by hand on a
        // cluster without disk figures stays).
        let known = nodes().any(|n| n.is_some_and(|n| state.disk_usages.contains_key(n)));
        let blocked = state
            .index(name)
            .and_then(|m| m.settings.get_str(BLOCK))
            .is_some_and(|v| v == "true");
        if flooded && !blocked {
            changes.push((name.clone(), true));
        } else if blocked && known && !over_high {
            changes.push((name.clone(), false));
        }
    }
    for (name, block) in changes {
        if let Some(meta) = state
            .metadata
            .indices
            .get_mut(&name)
            .map(std::sync::Arc::make_mut)
        {
            if block {
                meta.settings.insert(BLOCK, Value::String("true".into()));
            } else {
                meta.settings.remove(BLOCK);
            }
        }
    }
}

#[cfg(test)]
#[path = "disk_threshold_test.rs"]
mod disk_threshold_test;
