//! The gateway: what a node keeps on disk about itself and the cluster, so a restart comes back
//! with the same node id, cluster uuid, indices, mappings and settings.
//!
//! Layout: `<data>/_state/node.json` (node id) and `<data>/_state/cluster_state.json` (the last
//! applied cluster state), each written to a temporary file, fsynced and renamed.
//! Must not decide anything about the state it stores.

use quarry_cluster::ClusterState;
use quarry_types::EsError;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Gateway {
    state_dir: PathBuf,
}

impl Gateway {
    pub fn open(data_path: &Path) -> Result<Gateway, EsError> {
        let state_dir = data_path.join("_state");
        fs::create_dir_all(&state_dir).map_err(|e| {
            EsError::illegal_state(format!("cannot create [{}]: {e}", state_dir.display()))
        })?;
        Ok(Gateway { state_dir })
    }

    /// The persisted node id, created on first start.
    pub fn load_or_create_node_id(&self) -> Result<String, EsError> {
        let path = self.state_dir.join("node.json");
        if let Ok(bytes) = fs::read(&path) {
            let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
                EsError::illegal_state(format!("corrupt [{}]: {e}", path.display()))
            })?;
            if let Some(id) = v.get("node_id").and_then(|v| v.as_str()) {
                return Ok(id.to_string());
            }
        }
        let id = quarry_types::ids::random_base64_uuid();
        write_atomically(
            &path,
            &serde_json::to_vec(&serde_json::json!({ "node_id": id })).unwrap_or_default(),
        )?;
        Ok(id)
    }

    pub fn load_cluster_state(&self) -> Result<Option<ClusterState>, EsError> {
        let path = self.state_dir.join("cluster_state.json");
        match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| EsError::illegal_state(format!("corrupt [{}]: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(EsError::illegal_state(format!(
                "cannot read [{}]: {e}",
                path.display()
            ))),
        }
    }

    pub fn persist_cluster_state(&self, state: &ClusterState) -> Result<(), EsError> {
        let bytes = serde_json::to_vec(state).map_err(|e| EsError::internal(e.to_string()))?;
        write_atomically(&self.state_dir.join("cluster_state.json"), &bytes)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), EsError> {
    let io = |e: std::io::Error| {
        EsError::illegal_state(format!("cannot write [{}]: {e}", path.display()))
    };
    let tmp = path.with_extension("tmp");
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    if let Some(dir) = path.parent() {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}
