//! `RoutingTable`: for every index, every shard, every copy (`IndexRoutingTable` ->
//! `ShardRouting`), with the look-ups the rest of the system asks for (active primary, active
//! copies, shards on a node).
//!
//! Owns: the routing data and read-only queries over it. Must not depend on metadata or on
//! allocation decisions (those live in `allocation/`).

use crate::shard_routing::{ShardRouting, UnassignedInfo};
use quarry_types::{AllocationId, NodeId, ShardId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The copies of every shard of one index, keyed by shard number.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexRoutingTable {
    pub shards: BTreeMap<u32, Vec<ShardRouting>>,
}

impl IndexRoutingTable {
    /// A new table: `number_of_shards` primaries and `number_of_replicas` replicas each, all
    /// unassigned with `info`.
    pub fn new_unassigned(
        index: &str,
        number_of_shards: u32,
        number_of_replicas: u32,
        info: &UnassignedInfo,
    ) -> Self {
        let mut shards = BTreeMap::new();
        for shard in 0..number_of_shards {
            let id = ShardId::new(index, shard);
            let mut copies = vec![ShardRouting::new_unassigned(id.clone(), true, info.clone())];
            for _ in 0..number_of_replicas {
                copies.push(ShardRouting::new_unassigned(
                    id.clone(),
                    false,
                    info.clone(),
                ));
            }
            shards.insert(shard, copies);
        }
        IndexRoutingTable { shards }
    }

    /// Every copy of every shard.
    pub fn all_copies(&self) -> impl Iterator<Item = &ShardRouting> {
        self.shards.values().flatten()
    }

    pub fn primary(&self, shard: u32) -> Option<&ShardRouting> {
        self.shards
            .get(&shard)
            .and_then(|c| c.iter().find(|s| s.primary))
    }

    /// The primary of `shard` if it is active.
    pub fn active_primary(&self, shard: u32) -> Option<&ShardRouting> {
        self.primary(shard).filter(|s| s.active())
    }

    /// Active copies (primary first).
    pub fn active_copies(&self, shard: u32) -> Vec<&ShardRouting> {
        let mut out: Vec<&ShardRouting> = self
            .shards
            .get(&shard)
            .map(|c| c.iter().filter(|s| s.active()).collect())
            .unwrap_or_default();
        out.sort_by_key(|s| !s.primary);
        out
    }
}

/// The routing of every index in the cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoutingTable {
    /// Shared per index: cloning a table copies pointers; `Arc::make_mut` copies one index on
    /// change.
    pub indices: BTreeMap<String, Arc<IndexRoutingTable>>,
}

impl RoutingTable {
    pub fn index(&self, name: &str) -> Option<&IndexRoutingTable> {
        self.indices.get(name).map(|t| &**t)
    }

    /// The copies of one shard (empty when unknown).
    pub fn shard_copies(&self, shard_id: &ShardId) -> &[ShardRouting] {
        self.indices
            .get(&shard_id.index)
            .and_then(|t| t.shards.get(&shard_id.shard))
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The active primary of a shard (where writes go).
    pub fn active_primary(&self, shard_id: &ShardId) -> Option<&ShardRouting> {
        self.shard_copies(shard_id)
            .iter()
            .find(|s| s.primary && s.active())
    }

    /// Active copies of a shard (where searches may go), primary first.
    pub fn active_copies(&self, shard_id: &ShardId) -> Vec<&ShardRouting> {
        self.indices
            .get(&shard_id.index)
            .map(|t| t.active_copies(shard_id.shard))
            .unwrap_or_default()
    }

    /// Where the primary of `shard_id` sends each operation (Elasticsearch's replication
    /// group): every assigned copy other than the active primary — started and initializing
    /// replicas — plus the relocation target of every relocating copy (also the primary's), as
    /// (node, allocation id). Empty without an active primary.
    pub fn replication_targets(&self, shard_id: &ShardId) -> Vec<(NodeId, AllocationId)> {
        let copies = self.shard_copies(shard_id);
        if !copies.iter().any(|c| c.primary && c.active()) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for c in copies {
            if !c.primary {
                if let (Some(node), Some(id)) = (&c.current_node, &c.allocation_id) {
                    out.push((node.clone(), id.clone()));
                }
            }
            if let (true, Some(node), Some(id)) =
                (c.relocating(), &c.relocating_node, &c.relocation_id)
            {
                out.push((node.clone(), id.clone()));
            }
        }
        out
    }

    /// Every copy assigned to `node` (as current node or relocation target).
    pub fn shards_on_node(&self, node: &NodeId) -> Vec<&ShardRouting> {
        self.all_copies().filter(|s| s.is_on_node(node)).collect()
    }

    pub fn all_copies(&self) -> impl Iterator<Item = &ShardRouting> {
        self.indices.values().flat_map(|t| t.all_copies())
    }

    pub(crate) fn shard_copies_mut(
        &mut self,
        shard_id: &ShardId,
    ) -> Option<&mut Vec<ShardRouting>> {
        self.indices
            .get_mut(&shard_id.index)
            .and_then(|t| Arc::make_mut(t).shards.get_mut(&shard_id.shard))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard_routing::reason;

    fn table() -> RoutingTable {
        let info = UnassignedInfo::new(reason::INDEX_CREATED, 0);
        let mut t = RoutingTable::default();
        t.indices.insert(
            "logs".into(),
            Arc::new(IndexRoutingTable::new_unassigned("logs", 2, 1, &info)),
        );
        t
    }

    #[test]
    fn new_index_has_primary_and_replicas_per_shard() {
        let t = table();
        let idx = t.index("logs").unwrap();
        assert_eq!(idx.shards.len(), 2);
        assert_eq!(idx.shards[&0].len(), 2);
        assert!(idx.primary(1).unwrap().primary);
        assert_eq!(t.all_copies().count(), 4);
        assert!(t.active_primary(&ShardId::new("logs", 0)).is_none());
    }

    #[test]
    fn the_replication_group_is_every_assigned_replica_and_every_relocation_target() {
        let mut t = table();
        let sid = ShardId::new("logs", 0);
        assert!(t.replication_targets(&sid).is_empty());
        let copies = t.shard_copies_mut(&sid).unwrap();
        copies[0].initialize(NodeId("n1".into()), AllocationId("p".into()));
        copies[0].start();
        assert!(t.replication_targets(&sid).is_empty());
        let copies = t.shard_copies_mut(&sid).unwrap();
        copies[1].initialize(NodeId("n2".into()), AllocationId("r".into()));
        assert_eq!(
            t.replication_targets(&sid),
            vec![(NodeId("n2".into()), AllocationId("r".into()))]
        );
        let copies = t.shard_copies_mut(&sid).unwrap();
        copies[1].start();
        copies[0].relocate(NodeId("n3".into()), AllocationId("p2".into()));
        let targets = t.replication_targets(&sid);
        assert_eq!(targets.len(), 2);
        assert!(targets.contains(&(NodeId("n3".into()), AllocationId("p2".into()))));
    }

    #[test]
    fn queries_follow_states() {
        let mut t = table();
        let sid = ShardId::new("logs", 0);
        let n1 = NodeId("n1".into());
        let copies = t.shard_copies_mut(&sid).unwrap();
        copies[0].initialize(n1.clone(), AllocationId("a".into()));
        copies[0].start();
        copies[1].initialize(NodeId("n2".into()), AllocationId("b".into()));
        assert_eq!(
            t.active_primary(&sid).unwrap().current_node,
            Some(n1.clone())
        );
        assert_eq!(t.active_copies(&sid).len(), 1);
        assert_eq!(t.shards_on_node(&n1).len(), 1);
        assert!(t.shard_copies(&ShardId::new("nope", 0)).is_empty());
    }
}
