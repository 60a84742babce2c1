//! `IndicesClusterStateService` + `IndicesService` in one: the local shards of this node, opened,
//! updated and removed so that they follow the applied cluster state, and the periodic refresh
//! and translog-sync work for them.
//!
//! Decisions (which copies belong here) come from the cluster state; this module only carries
//! them out. Must not change the cluster state itself: it reports shards it started.

use parking_lot::RwLock;
use quarry_cluster::{ClusterState, IndexMetadata, ShardRoutingState};
use quarry_index::{IndexShard, ShardConfig};
use quarry_types::{EsError, ShardId};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One open local shard with the bookkeeping of its scheduled refresh.
pub struct LocalShard {
    pub shard: Arc<IndexShard>,
    pub index_uuid: String,
    last_refresh: parking_lot::Mutex<Instant>,
}

#[derive(Default)]
pub struct IndicesService {
    data_path: PathBuf,
    shards: RwLock<HashMap<ShardId, Arc<LocalShard>>>,
}

impl IndicesService {
    pub fn new(data_path: PathBuf) -> Self {
        IndicesService {
            data_path,
            shards: RwLock::new(HashMap::new()),
        }
    }

    fn shard_path(&self, index_uuid: &str, shard: u32) -> PathBuf {
        self.data_path
            .join("indices")
            .join(index_uuid)
            .join(shard.to_string())
    }

    pub fn shard(&self, index: &str, shard: u32) -> Option<Arc<IndexShard>> {
        self.shards
            .read()
            .get(&ShardId::new(index, shard))
            .map(|s| s.shard.clone())
    }

    /// All open shards of an index, by shard number.
    pub fn index_shards(&self, index: &str) -> Vec<(u32, Arc<IndexShard>)> {
        let mut out: Vec<(u32, Arc<IndexShard>)> = self
            .shards
            .read()
            .iter()
            .filter(|(id, _)| id.index == index)
            .map(|(id, s)| (id.shard, s.shard.clone()))
            .collect();
        out.sort_by_key(|(n, _)| *n);
        out
    }

    pub fn all_shards(&self) -> Vec<(ShardId, Arc<IndexShard>)> {
        let mut out: Vec<_> = self
            .shards
            .read()
            .iter()
            .map(|(id, s)| (id.clone(), s.shard.clone()))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// Makes the local shards follow `state`: opens copies assigned here, pushes mapping updates,
    /// closes copies no longer assigned and deletes the files of deleted indices. Blocking (tantivy
    /// and file I/O): call from a blocking context. Returns the copies that are now started here
    /// and still `INITIALIZING` in the routing table, as (shard id, allocation id).
    pub fn apply_cluster_state(
        &self,
        prev: Option<&ClusterState>,
        state: &ClusterState,
        local_node: &str,
    ) -> Result<Vec<(ShardId, String)>, EsError> {
        let mut started = Vec::new();
        let mut wanted: HashMap<ShardId, (&IndexMetadata, bool)> = HashMap::new();
        // Copies `allocate_empty_primary` forced here: whatever is on disk must not come back.
        let mut forced_empty: std::collections::HashSet<ShardId> = Default::default();
        for (index, table) in &state.routing_table.indices {
            let Some(meta) = state.metadata.indices.get(index) else {
                continue;
            };
            for copies in table.shards.values() {
                for copy in copies {
                    let target_here = copy.state == ShardRoutingState::Relocating
                        && copy.relocating_node.as_ref().map(|n| n.0.as_str()) == Some(local_node);
                    if target_here {
                        wanted.insert(copy.shard_id.clone(), (meta, true));
                        // A replica target starts empty, as replicas do until peer recovery
                        // exists (issue 5); a primary target waits for that recovery, so the
                        // source keeps serving and nothing acknowledged is dropped.
                        if !copy.primary {
                            if let Some(aid) = &copy.relocation_id {
                                started.push((copy.shard_id.clone(), aid.0.clone()));
                            }
                        }
                        continue;
                    }
                    if copy.current_node.as_ref().map(|n| n.0.as_str()) != Some(local_node) {
                        continue;
                    }
                    let initializing = copy.state == ShardRoutingState::Initializing;
                    if initializing
                        && copy.primary
                        && copy.unassigned_info.as_ref().is_some_and(|i| {
                            i.reason == quarry_cluster::shard_routing::reason::FORCED_EMPTY_PRIMARY
                        })
                    {
                        forced_empty.insert(copy.shard_id.clone());
                    }
                    wanted.insert(copy.shard_id.clone(), (meta, initializing));
                    if initializing {
                        if let Some(aid) = &copy.allocation_id {
                            started.push((copy.shard_id.clone(), aid.0.clone()));
                        }
                    }
                }
            }
        }
        // Close what is no longer assigned here; delete files of indices that are gone.
        let to_close: Vec<(ShardId, Arc<LocalShard>)> = self
            .shards
            .read()
            .iter()
            .filter(|(id, s)| {
                !wanted.contains_key(*id)
                    || wanted
                        .get(*id)
                        .map(|(m, _)| m.uuid != s.index_uuid)
                        .unwrap_or(true)
            })
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect();
        for (id, local) in to_close {
            self.shards.write().remove(&id);
            let _ = local.shard.flush();
            let still_exists = state
                .metadata
                .indices
                .values()
                .any(|m| m.uuid == local.index_uuid);
            drop(local);
            if !still_exists {
                let dir = self.data_path.join("indices").join(
                    prev.and_then(|p| p.metadata.indices.get(&id.index))
                        .map(|m| m.uuid.clone())
                        .unwrap_or_default(),
                );
                if dir != self.data_path.join("indices") {
                    let _ = std::fs::remove_dir_all(dir);
                }
            }
        }
        // Open what is newly assigned; push mapping changes to open shards.
        for (id, (meta, _)) in &wanted {
            let existing = self.shards.read().get(id).cloned();
            match existing {
                Some(local) => {
                    let prev_version = prev
                        .and_then(|p| p.metadata.indices.get(&id.index))
                        .map(|m| m.mapping_version);
                    if prev_version != Some(meta.mapping_version) {
                        local.shard.update_mapping(meta.mapping.clone());
                    }
                }
                None => {
                    if forced_empty.contains(id) {
                        let path = self.shard_path(&meta.uuid, id.shard);
                        if path.exists() {
                            std::fs::remove_dir_all(&path).map_err(|e| {
                                EsError::internal(format!(
                                    "cannot clear the store of {id} for an empty primary: {e}"
                                ))
                            })?;
                        }
                    }
                    let config = ShardConfig {
                        shard_id: id.clone(),
                        index_uuid: meta.uuid.clone(),
                        path: self.shard_path(&meta.uuid, id.shard),
                        settings: meta.settings.clone(),
                        mapping: meta.mapping.clone(),
                        primary_term: meta
                            .primary_terms
                            .get(id.shard as usize)
                            .copied()
                            .unwrap_or(1),
                    };
                    let shard = IndexShard::open(config)?;
                    self.shards.write().insert(
                        id.clone(),
                        Arc::new(LocalShard {
                            shard: Arc::new(shard),
                            index_uuid: meta.uuid.clone(),
                            last_refresh: parking_lot::Mutex::new(Instant::now()),
                        }),
                    );
                }
            }
        }
        Ok(started)
    }

    /// Refreshes every shard whose `index.refresh_interval` has elapsed. Blocking.
    pub fn run_scheduled_refreshes(&self, state: &ClusterState) {
        let shards: Vec<(ShardId, Arc<LocalShard>)> = self
            .shards
            .read()
            .iter()
            .map(|(id, s)| (id.clone(), s.clone()))
            .collect();
        for (id, local) in shards {
            let Some(meta) = state.metadata.indices.get(&id.index) else {
                continue;
            };
            let Some(interval) = meta.refresh_interval() else {
                continue;
            };
            let mut last = local.last_refresh.lock();
            if last.elapsed() >= interval.max(Duration::from_millis(1)) {
                *last = Instant::now();
                drop(last);
                if let Err(e) = local.shard.refresh() {
                    tracing::warn!("scheduled refresh of {id} failed: {e}");
                }
            }
        }
    }

    /// fsyncs the translog of every shard (the `async` durability timer). Blocking.
    pub fn sync_translogs(&self) {
        for (id, shard) in self.all_shards() {
            if let Err(e) = shard.sync_translog() {
                tracing::warn!("translog sync of {id} failed: {e}");
            }
        }
    }

    /// Flushes every shard (used at shutdown). Blocking.
    pub fn flush_all(&self) {
        for (id, shard) in self.all_shards() {
            if let Err(e) = shard.flush() {
                tracing::warn!("flush of {id} failed: {e}");
            }
        }
    }
}
