//! `ShardRouting`: where one copy of one shard lives and in which state (`UNASSIGNED`,
//! `INITIALIZING`, `STARTED`, `RELOCATING`), plus `UnassignedInfo` saying why a copy has no node.
//!
//! Owns: the per-copy routing entry and its small state transitions. Must not depend on
//! metadata, allocation or any I/O; it is plain data inside the routing table.

use quarry_types::{AllocationId, NodeId, ShardId};
use serde::{Deserialize, Serialize};

/// Elasticsearch `ShardRoutingState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShardRoutingState {
    Unassigned,
    Initializing,
    Started,
    Relocating,
}

impl ShardRoutingState {
    /// The upper-case name `_cat/shards` and the cluster state show.
    pub fn as_str(self) -> &'static str {
        match self {
            ShardRoutingState::Unassigned => "UNASSIGNED",
            ShardRoutingState::Initializing => "INITIALIZING",
            ShardRoutingState::Started => "STARTED",
            ShardRoutingState::Relocating => "RELOCATING",
        }
    }
}

/// Elasticsearch `UnassignedInfo.AllocationStatus`: the outcome of the last allocation attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AllocationStatus {
    /// Not tried yet (or tried and nothing blocked it).
    NoAttempt,
    /// Every node said NO.
    DecidersNo,
    /// A node said THROTTLE; it will be tried again on the next reroute.
    DecidersThrottled,
    /// No node holds an in-sync copy of this primary.
    NoValidShardCopy,
    /// Replica allocation is delayed (`index.unassigned.node_left.delayed_timeout`).
    DelayedAllocation,
}

impl AllocationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationStatus::NoAttempt => "no_attempt",
            AllocationStatus::DecidersNo => "decider_no",
            AllocationStatus::DecidersThrottled => "throttled",
            AllocationStatus::NoValidShardCopy => "no_valid_shard_copy",
            AllocationStatus::DelayedAllocation => "delayed_allocation",
        }
    }
}

/// Why a copy is (or was, while it is still initializing) unassigned. Elasticsearch keeps this
/// on an initializing copy until it starts; so does Quarry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnassignedInfo {
    /// `INDEX_CREATED`, `NODE_LEFT`, `REPLICA_ADDED`, `INDEX_REOPENED`, `ALLOCATION_FAILED`,
    /// `PRIMARY_FAILED`, `REROUTE_CANCELLED`...
    pub reason: String,
    pub at_millis: i64,
    pub details: Option<String>,
    /// Consecutive failed allocations (`index.allocation.max_retries` stops at 5).
    pub failed_allocations: u32,
    /// Replica allocation waits until `at_millis + delayed_timeout` (node left).
    pub delayed: bool,
    pub last_allocation_status: AllocationStatus,
    /// The node that held this copy before it became unassigned (`lastAllocatedNodeId`).
    pub last_allocated_node: Option<NodeId>,
    /// The allocation id that copy had: a returning in-sync primary reuses it.
    pub last_allocation_id: Option<AllocationId>,
}

impl UnassignedInfo {
    pub fn new(reason: &str, at_millis: i64) -> Self {
        UnassignedInfo {
            reason: reason.to_string(),
            at_millis,
            details: None,
            failed_allocations: 0,
            delayed: false,
            last_allocation_status: AllocationStatus::NoAttempt,
            last_allocated_node: None,
            last_allocation_id: None,
        }
    }

    pub fn with_details(mut self, details: impl Into<String>) -> Self {
        self.details = Some(details.into());
        self
    }
}

/// Unassigned reasons (Elasticsearch `UnassignedInfo.Reason`).
pub mod reason {
    pub const INDEX_CREATED: &str = "INDEX_CREATED";
    pub const NODE_LEFT: &str = "NODE_LEFT";
    pub const REPLICA_ADDED: &str = "REPLICA_ADDED";
    pub const INDEX_REOPENED: &str = "INDEX_REOPENED";
    pub const ALLOCATION_FAILED: &str = "ALLOCATION_FAILED";
    pub const PRIMARY_FAILED: &str = "PRIMARY_FAILED";
    pub const REROUTE_CANCELLED: &str = "REROUTE_CANCELLED";
    pub const REALLOCATED_REPLICA: &str = "REALLOCATED_REPLICA";
    pub const MANUAL_ALLOCATION: &str = "MANUAL_ALLOCATION";
    /// `allocate_empty_primary`: the copy starts with an empty store.
    pub const FORCED_EMPTY_PRIMARY: &str = "FORCED_EMPTY_PRIMARY";
}

/// One copy of one shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRouting {
    pub shard_id: ShardId,
    pub primary: bool,
    pub state: ShardRoutingState,
    pub current_node: Option<NodeId>,
    /// For a `RELOCATING` copy: the target node.
    pub relocating_node: Option<NodeId>,
    pub allocation_id: Option<AllocationId>,
    /// For a `RELOCATING` copy: the allocation id of its target (Elasticsearch's
    /// `allocation_id.relocation_id`). The target is not a separate entry: it is this copy seen
    /// from `relocating_node`, initializing there until it reports started.
    #[serde(default)]
    pub relocation_id: Option<AllocationId>,
    pub unassigned_info: Option<UnassignedInfo>,
}

impl ShardRouting {
    /// A fresh unassigned copy.
    pub fn new_unassigned(shard_id: ShardId, primary: bool, info: UnassignedInfo) -> Self {
        ShardRouting {
            shard_id,
            primary,
            state: ShardRoutingState::Unassigned,
            current_node: None,
            relocating_node: None,
            allocation_id: None,
            relocation_id: None,
            unassigned_info: Some(info),
        }
    }

    pub fn relocating(&self) -> bool {
        self.state == ShardRoutingState::Relocating
    }

    /// `STARTED` -> `RELOCATING` towards `target`; the target copy gets `target_id`.
    pub fn relocate(&mut self, target: NodeId, target_id: AllocationId) {
        self.state = ShardRoutingState::Relocating;
        self.relocating_node = Some(target);
        self.relocation_id = Some(target_id);
    }

    /// The relocation target reported started: the copy now lives on the target node with the
    /// target's allocation id.
    pub fn complete_relocation(&mut self) {
        if let (Some(target), Some(id)) = (self.relocating_node.take(), self.relocation_id.take()) {
            self.current_node = Some(target);
            self.allocation_id = Some(id);
        }
        self.state = ShardRoutingState::Started;
    }

    /// For a `RELOCATING` copy, its target as Elasticsearch lists it: an `INITIALIZING` copy on
    /// the target node with the target's allocation id, `relocating_node` naming the source.
    pub fn relocation_target(&self) -> Option<ShardRouting> {
        if !self.relocating() {
            return None;
        }
        Some(ShardRouting {
            shard_id: self.shard_id.clone(),
            primary: self.primary,
            state: ShardRoutingState::Initializing,
            current_node: self.relocating_node.clone(),
            relocating_node: self.current_node.clone(),
            allocation_id: self.relocation_id.clone(),
            relocation_id: None,
            unassigned_info: None,
        })
    }

    /// The relocation target failed or was cancelled: the source stays where it is, started.
    pub fn cancel_relocation(&mut self) {
        self.state = ShardRoutingState::Started;
        self.relocating_node = None;
        self.relocation_id = None;
    }

    /// `STARTED` or `RELOCATING`: the copy serves reads and writes.
    pub fn active(&self) -> bool {
        matches!(
            self.state,
            ShardRoutingState::Started | ShardRoutingState::Relocating
        )
    }

    pub fn assigned_to_node(&self) -> bool {
        self.current_node.is_some()
    }

    pub fn unassigned(&self) -> bool {
        self.state == ShardRoutingState::Unassigned
    }

    pub fn initializing(&self) -> bool {
        self.state == ShardRoutingState::Initializing
    }

    pub fn started(&self) -> bool {
        self.state == ShardRoutingState::Started
    }

    /// Whether this copy sits on `node` (as source or as relocation target).
    pub fn is_on_node(&self, node: &NodeId) -> bool {
        self.current_node.as_ref() == Some(node) || self.relocating_node.as_ref() == Some(node)
    }

    /// Assigns the copy to `node` as `INITIALIZING` with `allocation_id`; the unassigned info is
    /// kept (with status cleared) until the copy starts, as Elasticsearch does.
    pub fn initialize(&mut self, node: NodeId, allocation_id: AllocationId) {
        self.state = ShardRoutingState::Initializing;
        self.current_node = Some(node);
        self.relocating_node = None;
        self.relocation_id = None;
        self.allocation_id = Some(allocation_id);
        if let Some(info) = &mut self.unassigned_info {
            info.last_allocation_status = AllocationStatus::NoAttempt;
        }
    }

    /// `INITIALIZING` -> `STARTED`.
    pub fn start(&mut self) {
        self.state = ShardRoutingState::Started;
        self.unassigned_info = None;
    }

    /// Back to `UNASSIGNED`, remembering where the copy was.
    pub fn move_to_unassigned(&mut self, mut info: UnassignedInfo) {
        info.last_allocated_node = self.current_node.take();
        info.last_allocation_id = self.allocation_id.take();
        self.state = ShardRoutingState::Unassigned;
        self.relocating_node = None;
        self.relocation_id = None;
        self.unassigned_info = Some(info);
    }

    /// The JSON `_cluster/state` shows for this copy.
    pub fn to_json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "state": self.state.as_str(),
            "primary": self.primary,
            "node": self.current_node.as_ref().map(|n| n.0.clone()),
            "relocating_node": self.relocating_node.as_ref().map(|n| n.0.clone()),
            "shard": self.shard_id.shard,
            "index": self.shard_id.index,
        });
        if let Some(id) = &self.allocation_id {
            v["allocation_id"] = serde_json::json!({ "id": id.0 });
            if let Some(target) = &self.relocation_id {
                v["allocation_id"]["relocation_id"] = target.0.clone().into();
            }
        }
        if let Some(info) = &self.unassigned_info {
            let mut u = serde_json::json!({
                "reason": info.reason,
                "at": quarry_types::date::format_iso_millis(info.at_millis),
                "delayed": info.delayed,
                "allocation_status": info.last_allocation_status.as_str(),
            });
            if info.failed_allocations > 0 {
                u["failed_attempts"] = info.failed_allocations.into();
            }
            if let Some(d) = &info.details {
                u["details"] = d.clone().into();
            }
            v["unassigned_info"] = u;
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_keeps_unassigned_info_until_started() {
        let mut s = ShardRouting::new_unassigned(
            ShardId::new("logs", 0),
            true,
            UnassignedInfo::new(reason::INDEX_CREATED, 5),
        );
        assert!(s.unassigned() && !s.active());
        s.initialize(NodeId("n1".into()), AllocationId("a1".into()));
        assert!(s.initializing());
        assert!(s.unassigned_info.is_some());
        s.start();
        assert!(s.active() && s.unassigned_info.is_none());
        s.move_to_unassigned(UnassignedInfo::new(reason::NODE_LEFT, 9));
        let info = s.unassigned_info.clone().unwrap();
        assert_eq!(info.last_allocated_node, Some(NodeId("n1".into())));
        assert_eq!(info.last_allocation_id, Some(AllocationId("a1".into())));
        assert!(s.current_node.is_none() && s.allocation_id.is_none());
    }

    #[test]
    fn json_shape_matches_cluster_state() {
        let s = ShardRouting::new_unassigned(
            ShardId::new("logs", 2),
            false,
            UnassignedInfo::new(reason::REPLICA_ADDED, 0),
        );
        let v = s.to_json();
        assert_eq!(v["state"], "UNASSIGNED");
        assert_eq!(v["shard"], 2);
        assert_eq!(v["node"], serde_json::Value::Null);
        assert_eq!(v["unassigned_info"]["reason"], "REPLICA_ADDED");
    }
}
