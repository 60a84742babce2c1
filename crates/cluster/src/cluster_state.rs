//! `ClusterState`: the single value the elected master changes and every node applies —
//! nodes, metadata (indices, templates, persistent/transient settings) and the routing table —
//! plus `validate()`, the invariants every state must satisfy.
//!
//! Owns: the state's shape and its invariants. Must not change state (that is `apply`) or
//! decide allocation (that is `allocation/`).

use crate::coordination_metadata::CoordinationMetadata;
use crate::index_metadata::IndexMetadata;
use crate::routing_table::RoutingTable;
use crate::templates::{ComponentTemplate, ComposableIndexTemplate};
use quarry_types::{NodeId, Settings};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// One member of the cluster (`DiscoveryNode`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscoveryNode {
    pub id: NodeId,
    pub name: String,
    pub ephemeral_id: String,
    pub transport_address: String,
    pub http_address: String,
    /// Explicit roles (`master`, `data`, `data_hot`, `ingest`...); empty = coordinating only.
    pub roles: BTreeSet<String>,
    /// `node.attr.*`.
    pub attributes: BTreeMap<String, String>,
}

impl DiscoveryNode {
    /// Holds shards: `data` or any `data_*` role.
    pub fn is_data_node(&self) -> bool {
        self.roles
            .iter()
            .any(|r| r == "data" || r.starts_with("data_"))
    }

    pub fn is_master_eligible(&self) -> bool {
        self.roles.contains("master")
    }

    pub fn is_ingest_node(&self) -> bool {
        self.roles.contains("ingest")
    }

    /// Elasticsearch's one-letter role abbreviations, sorted (`cdfhilmrstw` for every role;
    /// empty for a coordinating-only node).
    pub fn role_letters(roles: &std::collections::BTreeSet<String>) -> String {
        let mut letters: Vec<char> = roles
            .iter()
            .filter_map(|role| match role.as_str() {
                "data" => Some('d'),
                "data_cold" => Some('c'),
                "data_content" => Some('s'),
                "data_frozen" => Some('f'),
                "data_hot" => Some('h'),
                "data_warm" => Some('w'),
                "ingest" => Some('i'),
                "master" => Some('m'),
                "ml" => Some('l'),
                "remote_cluster_client" => Some('r'),
                "transform" => Some('t'),
                "voting_only" => Some('v'),
                _ => None,
            })
            .collect();
        letters.sort_unstable();
        letters.into_iter().collect()
    }
}

/// Cluster-wide metadata.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    /// Shared per index: cloning a state copies pointers; `Arc::make_mut` copies one index on
    /// change.
    pub indices: BTreeMap<String, Arc<IndexMetadata>>,
    pub index_templates: BTreeMap<String, ComposableIndexTemplate>,
    pub component_templates: BTreeMap<String, ComponentTemplate>,
    pub persistent_settings: Settings,
    pub transient_settings: Settings,
    /// `cluster_coordination`: term, voting configurations and exclusions.
    #[serde(default)]
    pub coordination: CoordinationMetadata,
}

impl Metadata {
    /// Whether `name` is an alias of some index.
    pub fn has_alias(&self, name: &str) -> bool {
        self.indices.values().any(|i| i.aliases.contains_key(name))
    }

    /// The indices an alias points to (sorted).
    pub fn alias_indices(&self, alias: &str) -> Vec<&IndexMetadata> {
        self.indices
            .values()
            .filter(|i| i.aliases.contains_key(alias))
            .map(|i| &**i)
            .collect()
    }

    /// Every alias name in the cluster.
    pub fn all_aliases(&self) -> BTreeSet<String> {
        self.indices
            .values()
            .flat_map(|i| i.aliases.keys().cloned())
            .collect()
    }

    /// A cluster setting: transient over persistent.
    pub fn cluster_setting(&self, key: &str) -> Option<String> {
        self.transient_settings
            .get_str(key)
            .or_else(|| self.persistent_settings.get_str(key))
    }
}

/// The whole cluster state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterState {
    pub cluster_name: String,
    /// `_na_` until the cluster has been bootstrapped.
    pub cluster_uuid: String,
    pub version: u64,
    pub state_uuid: String,
    pub master_node: Option<NodeId>,
    pub nodes: BTreeMap<NodeId, DiscoveryNode>,
    pub metadata: Metadata,
    pub routing_table: RoutingTable,
    /// Disk figures each node reported (Elasticsearch keeps them in `ClusterInfo` on the
    /// master; here they are state so every node decides the same). Not shown in
    /// `_cluster/state`.
    #[serde(default)]
    pub disk_usages: BTreeMap<NodeId, crate::allocation::disk_threshold::DiskUsage>,
}

impl ClusterState {
    /// An empty state (version 0, no nodes).
    pub fn new(cluster_name: impl Into<String>, cluster_uuid: impl Into<String>) -> Self {
        ClusterState {
            cluster_name: cluster_name.into(),
            cluster_uuid: cluster_uuid.into(),
            version: 0,
            state_uuid: "_na_".into(),
            master_node: None,
            nodes: BTreeMap::new(),
            metadata: Metadata::default(),
            routing_table: RoutingTable::default(),
            disk_usages: BTreeMap::new(),
        }
    }

    pub fn index(&self, name: &str) -> Option<&IndexMetadata> {
        self.metadata.indices.get(name).map(|m| &**m)
    }

    pub fn data_nodes(&self) -> impl Iterator<Item = &DiscoveryNode> {
        self.nodes.values().filter(|n| n.is_data_node())
    }

    /// Equality that trusts shared per-index `Arc`s (no deep comparison of unchanged indices).
    pub fn same_as(&self, other: &ClusterState) -> bool {
        fn same<T: PartialEq>(a: &BTreeMap<String, Arc<T>>, b: &BTreeMap<String, Arc<T>>) -> bool {
            a.len() == b.len()
                && a.iter()
                    .zip(b.iter())
                    .all(|((ka, va), (kb, vb))| ka == kb && (Arc::ptr_eq(va, vb) || va == vb))
        }
        if !same(&self.metadata.indices, &other.metadata.indices)
            || !same(&self.routing_table.indices, &other.routing_table.indices)
        {
            return false;
        }
        let rest = |s: &ClusterState| {
            let mut shell = s.clone();
            shell.metadata.indices.clear();
            shell.routing_table.indices.clear();
            shell
        };
        rest(self) == rest(other)
    }

    /// The `GET _cluster/state` body (`nodes`, `metadata`, `routing_table`; no blocks yet).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let nodes: Map<String, Value> = self
            .nodes
            .values()
            .map(|n| {
                let v = json!({
                    "name": n.name,
                    "ephemeral_id": n.ephemeral_id,
                    "transport_address": n.transport_address,
                    "external_id": n.name,
                    "attributes": n.attributes,
                    "roles": n.roles.iter().collect::<Vec<_>>(),
                });
                (n.id.0.clone(), v)
            })
            .collect();
        let indices: Map<String, Value> = self
            .metadata
            .indices
            .iter()
            .map(|(k, m)| (k.clone(), m.to_json()))
            .collect();
        let templates: Map<String, Value> = self
            .metadata
            .index_templates
            .iter()
            .map(|(k, t)| (k.clone(), t.to_json()))
            .collect();
        let components: Map<String, Value> = self
            .metadata
            .component_templates
            .iter()
            .map(|(k, t)| (k.clone(), t.to_json()))
            .collect();
        let routing: Map<String, Value> = self
            .routing_table
            .indices
            .iter()
            .map(|(name, table)| {
                let shards: Map<String, Value> = table
                    .shards
                    .iter()
                    .map(|(n, copies)| {
                        (n.to_string(), copies.iter().map(|c| c.to_json()).collect())
                    })
                    .collect();
                (name.clone(), json!({ "shards": shards }))
            })
            .collect();
        json!({
            "cluster_name": self.cluster_name,
            "cluster_uuid": self.cluster_uuid,
            "version": self.version,
            "state_uuid": self.state_uuid,
            "master_node": self.master_node.as_ref().map(|n| n.0.clone()),
            "blocks": crate::cluster_blocks::blocks_json(self, None),
            "nodes": nodes,
            "metadata": {
                "cluster_uuid": self.cluster_uuid,
                "cluster_coordination": self.metadata.coordination.to_json(),
                "templates": {},
                "indices": indices,
                "index_template": { "index_template": templates },
                "component_template": { "component_template": components },
                "persistent": self.metadata.persistent_settings.to_nested_json(),
                "transient": self.metadata.transient_settings.to_nested_json(),
            },
            "routing_table": { "indices": routing },
        })
    }

    /// Checks the invariants; `Err` describes the first violation.
    pub fn validate(&self) -> Result<(), String> {
        self.validate_since(None)
    }

    /// `validate`, skipping the routing checks of indices whose metadata and routing are shared
    /// unchanged with `prev` (same node list): what `apply` uses on large states.
    pub fn validate_since(&self, prev: Option<&ClusterState>) -> Result<(), String> {
        // With a changed node list an unchanged index is still checked for copies on nodes
        // that left (the only way it can have become invalid).
        let nodes_changed = prev.is_some_and(|p| p.nodes != self.nodes);
        let unchanged = |name: &str| {
            prev.is_some_and(|p| {
                let same_meta = match (
                    p.metadata.indices.get(name),
                    self.metadata.indices.get(name),
                ) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    _ => false,
                };
                let same_routing = match (
                    p.routing_table.indices.get(name),
                    self.routing_table.indices.get(name),
                ) {
                    (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                    _ => false,
                };
                same_meta && same_routing
            })
        };
        self.metadata.coordination.validate()?;
        if let Some(master) = &self.master_node {
            if !self.nodes.contains_key(master) {
                return Err(format!("master node [{master}] is not in the node list"));
            }
        }
        for (id, node) in &self.nodes {
            if &node.id != id {
                return Err(format!("node keyed [{id}] has id [{}]", node.id));
            }
        }
        let aliases = self.metadata.all_aliases();
        for (name, meta) in &self.metadata.indices {
            if name != &meta.name {
                return Err(format!("index keyed [{name}] is named [{}]", meta.name));
            }
            if aliases.contains(name) {
                return Err(format!("index [{name}] has the same name as an alias"));
            }
            if meta.primary_terms.len() != meta.number_of_shards as usize {
                return Err(format!(
                    "index [{name}] has {} primary terms",
                    meta.primary_terms.len()
                ));
            }
            if meta.number_of_shards == 0 || meta.routing_num_shards % meta.number_of_shards != 0 {
                return Err(format!("index [{name}] has bad routing_num_shards"));
            }
            if !self.routing_table.indices.contains_key(name) {
                return Err(format!("index [{name}] has no routing table"));
            }
            for alias in meta.aliases.keys() {
                let writers = self
                    .metadata
                    .alias_indices(alias)
                    .iter()
                    .filter(|i| i.aliases.get(alias).and_then(|a| a.is_write_index) == Some(true))
                    .count();
                if writers > 1 {
                    return Err(format!("alias [{alias}] has more than one write index"));
                }
            }
        }
        for (name, table) in &self.routing_table.indices {
            if unchanged(name) {
                if nodes_changed {
                    let gone = table
                        .all_copies()
                        .flat_map(|c| [c.current_node.as_ref(), c.relocating_node.as_ref()])
                        .flatten()
                        .find(|n| !self.nodes.contains_key(*n));
                    if let Some(node) = gone {
                        return Err(format!("[{name}] has a copy on unknown node [{node}]"));
                    }
                }
                continue;
            }
            let meta =
                self.metadata.indices.get(name).ok_or_else(|| {
                    format!("routing table has index [{name}] missing from metadata")
                })?;
            self.validate_index_routing(meta, table)?;
        }
        Ok(())
    }

    fn validate_index_routing(
        &self,
        meta: &IndexMetadata,
        table: &crate::routing_table::IndexRoutingTable,
    ) -> Result<(), String> {
        let name = &meta.name;
        if table.shards.len() != meta.number_of_shards as usize {
            return Err(format!(
                "index [{name}] has {} shards in routing, {} in metadata",
                table.shards.len(),
                meta.number_of_shards
            ));
        }
        for (shard, copies) in &table.shards {
            if *shard >= meta.number_of_shards {
                return Err(format!("index [{name}] routing has shard [{shard}]"));
            }
            if copies.len() != meta.number_of_replicas as usize + 1 {
                return Err(format!(
                    "[{name}][{shard}] has {} copies, expected {}",
                    copies.len(),
                    meta.number_of_replicas + 1
                ));
            }
            if copies.iter().filter(|c| c.primary).count() != 1 {
                return Err(format!(
                    "[{name}][{shard}] does not have exactly one primary"
                ));
            }
            let mut nodes = BTreeSet::new();
            let mut allocation_ids = BTreeSet::new();
            let primary_active = copies.iter().any(|c| c.primary && c.active());
            for c in copies {
                if c.shard_id.index != *name || c.shard_id.shard != *shard {
                    return Err(format!("[{name}][{shard}] holds a copy of {}", c.shard_id));
                }
                match (&c.current_node, c.unassigned()) {
                    (None, false) => {
                        return Err(format!("{} is {:?} without a node", c.shard_id, c.state))
                    }
                    (Some(_), true) => {
                        return Err(format!("{} is unassigned but has a node", c.shard_id))
                    }
                    _ => {}
                }
                if c.unassigned() != c.allocation_id.is_none() {
                    return Err(format!(
                        "{} allocation id does not match its state",
                        c.shard_id
                    ));
                }
                if let Some(node) = &c.current_node {
                    if !self.nodes.contains_key(node) {
                        return Err(format!("{} is on unknown node [{node}]", c.shard_id));
                    }
                    if !nodes.insert(node.clone()) {
                        return Err(format!("two copies of {} on node [{node}]", c.shard_id));
                    }
                }
                if c.relocating() != (c.relocating_node.is_some() && c.relocation_id.is_some()) {
                    return Err(format!(
                        "{} relocation target does not match its state",
                        c.shard_id
                    ));
                }
                if let Some(target) = &c.relocating_node {
                    if !self.nodes.contains_key(target) {
                        return Err(format!(
                            "{} relocates to unknown node [{target}]",
                            c.shard_id
                        ));
                    }
                    if !nodes.insert(target.clone()) {
                        return Err(format!("two copies of {} on node [{target}]", c.shard_id));
                    }
                }
                if let Some(id) = &c.relocation_id {
                    if !allocation_ids.insert(id.clone()) {
                        return Err(format!("{} allocation id [{id}] used twice", c.shard_id));
                    }
                }
                if let Some(id) = &c.allocation_id {
                    if !allocation_ids.insert(id.clone()) {
                        return Err(format!("{} allocation id [{id}] used twice", c.shard_id));
                    }
                }
                if !c.primary && c.active() && !primary_active {
                    return Err(format!(
                        "{} has an active replica without an active primary",
                        c.shard_id
                    ));
                }
                if c.active() {
                    let in_sync = meta.in_sync_ids(*shard);
                    let id = c
                        .allocation_id
                        .as_ref()
                        .map(|a| a.0.clone())
                        .unwrap_or_default();
                    if c.primary && !in_sync.contains(&id) {
                        return Err(format!(
                            "active primary {} is not in the in-sync set",
                            c.shard_id
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "cluster_state_test.rs"]
mod cluster_state_test;
