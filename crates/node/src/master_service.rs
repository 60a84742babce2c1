//! The master service of a node: cluster-state changes are submitted here, applied one at a time
//! with the pure `quarry_cluster::apply`, persisted by the gateway, applied to the local shards
//! and then published (readers see the new `Arc<ClusterState>`).
//!
//! ```text
//!  submit(cmds) -> lock -> apply (pure) -> persist -> IndicesService::apply_cluster_state
//!               -> ShardStarted for copies now open -> apply again -> persist -> publish
//! ```
//! In this single-node stage the local node is always the elected master; the Raft-backed
//! publication of the cluster issue replaces the persist/publish steps, not the pure core.

use crate::gateway::Gateway;
use crate::indices_service::IndicesService;
use arc_swap::ArcSwap;
use quarry_cluster::{apply, ApplyContext, ClusterCommand, ClusterState};
use quarry_types::{EsError, ShardId};
use std::sync::Arc;

pub struct MasterService {
    /// Set in multi-node mode: changes go through Raft instead of the local apply.
    raft: std::sync::OnceLock<crate::cluster_mode::RaftSubmitter>,
    state: ArcSwap<ClusterState>,
    lock: tokio::sync::Mutex<()>,
    gateway: Gateway,
    indices: Arc<IndicesService>,
    local_node_id: String,
    /// Notified after every publication (used by `wait_for_*` health requests).
    published: tokio::sync::watch::Sender<u64>,
}

fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl MasterService {
    pub fn new(
        initial: ClusterState,
        gateway: Gateway,
        indices: Arc<IndicesService>,
        local_node_id: String,
    ) -> Self {
        let (published, _) = tokio::sync::watch::channel(initial.version);
        MasterService {
            raft: std::sync::OnceLock::new(),
            state: ArcSwap::from_pointee(initial),
            lock: tokio::sync::Mutex::new(()),
            gateway,
            indices,
            local_node_id,
            published,
        }
    }

    /// The last published cluster state.
    pub fn state(&self) -> Arc<ClusterState> {
        self.state.load_full()
    }

    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.published.subscribe()
    }

    pub fn indices(&self) -> &Arc<IndicesService> {
        &self.indices
    }

    /// Whether a live master orders cluster changes: always in single-node mode; in a cluster,
    /// Raft's view (see `Coordinator::has_active_master`).
    pub fn has_active_master(&self) -> bool {
        self.raft.get().is_none_or(|raft| raft.has_active_master())
    }

    /// Applies the commands in order as one batch: all succeed, or the state is unchanged and the
    /// first error is returned.
    pub async fn submit(&self, cmds: Vec<ClusterCommand>) -> Result<Arc<ClusterState>, EsError> {
        if let Some(raft) = self.raft.get() {
            let mut version = 0;
            for cmd in cmds {
                version = raft.submit(cmd).await?;
            }
            return self.wait_for_applied(version).await;
        }
        self.submit_locally(cmds).await
    }

    /// Switches this service to multi-node mode: commands go to the elected master.
    pub fn use_raft(&self, submitter: crate::cluster_mode::RaftSubmitter) {
        let _ = self.raft.set(submitter);
    }

    /// Waits until the locally applied state reaches `version` (read-your-writes on this node).
    async fn wait_for_applied(&self, version: u64) -> Result<Arc<ClusterState>, EsError> {
        let mut rx = self.published.subscribe();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let state = self.state();
            if state.version >= version {
                return Ok(state);
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return Err(EsError::new(
                    "process_cluster_event_timeout_exception",
                    503,
                    format!("failed to apply cluster state version [{version}] within [30s]"),
                ));
            }
        }
    }

    /// Applies a state committed by the cluster (multi-node mode): local shards follow it, then
    /// it is published. Returns the copies started here, to report to the master.
    pub async fn apply_committed(
        &self,
        next: Arc<ClusterState>,
    ) -> Result<Vec<(ShardId, String)>, EsError> {
        let _guard = self.lock.lock().await;
        let prev = self.state.load_full();
        if next.version <= prev.version
            && next.cluster_uuid == prev.cluster_uuid
            && prev.version > 0
        {
            return Ok(Vec::new());
        }
        let indices = self.indices.clone();
        let local = self.local_node_id.clone();
        let to_apply = next.clone();
        let started = tokio::task::spawn_blocking(move || {
            indices.apply_cluster_state(Some(&prev), &to_apply, &local)
        })
        .await
        .map_err(|e| EsError::internal(format!("cluster state applier failed: {e}")))??;
        self.state.store(next.clone());
        self.published.send_replace(next.version);
        Ok(started)
    }

    async fn submit_locally(
        &self,
        cmds: Vec<ClusterCommand>,
    ) -> Result<Arc<ClusterState>, EsError> {
        let _guard = self.lock.lock().await;
        let prev = self.state.load_full();
        let mut next = (*prev).clone();
        {
            let mut ctx = ApplyContext::new(now_millis(), quarry_types::ids::random_base64_uuid);
            for cmd in cmds {
                next = apply(&next, cmd, &mut ctx)?;
            }
        }
        let next = self.persist_and_apply_locally(&prev, next).await?;
        let next = Arc::new(next);
        self.state.store(next.clone());
        self.published.send_replace(next.version);
        Ok(next)
    }

    /// Persists `next`, opens/closes local shards, and folds the resulting `ShardStarted` events
    /// back in until nothing changes.
    async fn persist_and_apply_locally(
        &self,
        prev: &ClusterState,
        mut next: ClusterState,
    ) -> Result<ClusterState, EsError> {
        let mut applied_prev = prev.clone();
        for _ in 0..8 {
            let gateway = self.gateway.clone();
            let indices = self.indices.clone();
            let local = self.local_node_id.clone();
            let to_apply = next.clone();
            let before = applied_prev.clone();
            let started: Vec<(ShardId, String)> = tokio::task::spawn_blocking(move || {
                gateway.persist_cluster_state(&to_apply)?;
                indices.apply_cluster_state(Some(&before), &to_apply, &local)
            })
            .await
            .map_err(|e| EsError::internal(format!("cluster state applier failed: {e}")))??;
            if started.is_empty() {
                return Ok(next);
            }
            applied_prev = next.clone();
            let mut ctx = ApplyContext::new(now_millis(), quarry_types::ids::random_base64_uuid);
            for (shard_id, allocation_id) in started {
                next = apply(
                    &next,
                    ClusterCommand::ShardStarted {
                        shard_id,
                        allocation_id: quarry_types::AllocationId(allocation_id),
                    },
                    &mut ctx,
                )?;
            }
        }
        Ok(next)
    }
}
