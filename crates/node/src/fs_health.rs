//! `monitor.fs.health.*` (Elasticsearch's `FsHealthService`): every `refresh_interval` the node
//! writes, fsyncs and deletes a small file in its data path. While that fails the node is
//! unhealthy: it fails the master's follower checks (so the master removes it from the
//! cluster) and does not ask to join again until a check succeeds.
//!
//! Owns the probe and the health flag; must not know the transport or the cluster state.

use parking_lot::Mutex;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The probe file's name, as Elasticsearch's.
pub const TEMP_FILE_NAME: &str = ".es_temp_file";

/// Writes, fsyncs and removes the probe file in `data_path`.
pub fn probe_data_path(data_path: &Path) -> std::io::Result<()> {
    let path = data_path.join(TEMP_FILE_NAME);
    let result = (|| {
        let mut file = std::fs::File::create(&path)?;
        file.write_all(b"quarry fs health check")?;
        file.sync_all()
    })();
    let _ = std::fs::remove_file(&path);
    result
}

/// The node's file-system health, shared by the monitor task and the follower-check handler.
#[derive(Debug)]
pub struct FsHealth {
    healthy: AtomicBool,
    problem: Mutex<Option<String>>,
}

impl Default for FsHealth {
    fn default() -> Self {
        FsHealth {
            healthy: AtomicBool::new(true),
            problem: Mutex::new(None),
        }
    }
}

impl FsHealth {
    pub fn is_healthy(&self) -> bool {
        self.healthy.load(Ordering::Acquire)
    }

    /// Why the node is unhealthy (`None` while healthy).
    pub fn problem(&self) -> Option<String> {
        self.problem.lock().clone()
    }

    /// Runs one probe of `data_path` and records the outcome.
    pub fn refresh(&self, data_path: &Path) {
        match probe_data_path(data_path) {
            Ok(()) => {
                if !self.healthy.swap(true, Ordering::AcqRel) {
                    tracing::info!(path = %data_path.display(), "data path is healthy again");
                }
                *self.problem.lock() = None;
            }
            Err(e) => {
                let message = format!("health check of [{}] failed: {e}", data_path.display());
                if self.healthy.swap(false, Ordering::AcqRel) {
                    tracing::warn!("{message}; leaving the cluster until it recovers");
                }
                *self.problem.lock() = Some(message);
            }
        }
    }

    /// Starts the periodic probe (`monitor.fs.health.refresh_interval`); runs until aborted.
    pub fn spawn_monitor(
        self: &Arc<Self>,
        data_path: PathBuf,
        interval: Duration,
    ) -> tokio::task::JoinHandle<()> {
        let health = self.clone();
        tokio::spawn(async move {
            let interval = interval.max(Duration::from_millis(10));
            loop {
                let (h, path) = (health.clone(), data_path.clone());
                let _ = tokio::task::spawn_blocking(move || h.refresh(&path)).await;
                tokio::time::sleep(interval).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writable_data_path_is_healthy_and_a_broken_one_is_not_until_it_recovers() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        let health = FsHealth::default();
        health.refresh(&data);
        assert!(health.is_healthy());
        assert!(
            !data.join(TEMP_FILE_NAME).exists(),
            "the probe file is removed"
        );
        // The data path stops accepting writes (here: it is no longer a directory).
        std::fs::remove_dir(&data).unwrap();
        std::fs::write(&data, b"not a directory").unwrap();
        health.refresh(&data);
        assert!(!health.is_healthy());
        assert!(health.problem().unwrap().contains("health check of"));
        std::fs::remove_file(&data).unwrap();
        std::fs::create_dir(&data).unwrap();
        health.refresh(&data);
        assert!(health.is_healthy());
        assert_eq!(health.problem(), None);
    }
}
