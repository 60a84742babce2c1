//! Each node reports its own disk figures into the cluster state (what Elasticsearch's
//! `InternalClusterInfoService` gathers on the master), every `cluster.info.update.interval`
//! (default 30s, dynamic), when they changed enough to matter: a new node, half a point of used
//! space, or a watermark crossed. The allocation deciders and the flood-stage monitor read
//! them from the state (`quarry_cluster::allocation::disk_threshold`).
//!
//! Test hook: with `QUARRY_TEST_DISK_USAGE_FILE` set, the figures come from that JSON file
//! (`{"total_bytes": N, "free_bytes": M}`), re-read at every measurement.
//!
//! Owns measuring and deciding when to report; must not decide allocation.

use crate::Node;
use quarry_cluster::allocation::disk_threshold::{DiskUsage, Watermarks};
use quarry_cluster::{ClusterCommand, ClusterState};
use quarry_types::NodeId;
use std::path::Path;
use std::sync::Weak;
use std::time::Duration;

/// `cluster.info.update.interval`.
pub const UPDATE_INTERVAL: &str = "cluster.info.update.interval";
const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);
/// The test hook's environment variable.
pub const TEST_FILE_ENV: &str = "QUARRY_TEST_DISK_USAGE_FILE";

/// The disk holding `data_path` (or the test hook's figures).
pub fn measure(data_path: &Path) -> Option<DiskUsage> {
    measure_from(
        std::env::var_os(TEST_FILE_ENV).as_deref().map(Path::new),
        data_path,
    )
}

/// [`measure`] with the test hook's file given explicitly.
fn measure_from(hook_file: Option<&Path>, data_path: &Path) -> Option<DiskUsage> {
    if let Some(file) = hook_file {
        let text = std::fs::read_to_string(file).ok()?;
        return serde_json::from_str(&text).ok();
    }
    let f = crate::node_stats::read_process_figures(data_path);
    (f.fs_total > 0).then_some(DiskUsage {
        total_bytes: f.fs_total,
        free_bytes: f.fs_available,
    })
}

/// Whether `now` differs enough from what the state holds for this node to report it.
pub fn worth_reporting(state: &ClusterState, node: &NodeId, now: &DiskUsage) -> bool {
    let Some(known) = state.disk_usages.get(node) else {
        return true;
    };
    if (known.used_percent() - now.used_percent()).abs() >= 0.5 {
        return true;
    }
    Watermarks::of(state).is_some_and(|m| {
        [m.low, m.high, m.flood_stage]
            .iter()
            .any(|w| w.exceeded_by(known) != w.exceeded_by(now))
    })
}

fn interval(state: &ClusterState) -> Duration {
    state
        .metadata
        .cluster_setting(UPDATE_INTERVAL)
        .and_then(|v| {
            quarry_types::time_value::parse_time_value(&v)
                .ok()
                .flatten()
        })
        .filter(|d| !d.is_zero())
        .unwrap_or(DEFAULT_INTERVAL)
}

/// Runs the reporter until the node is dropped. It wakes every 200 ms so a shorter
/// `cluster.info.update.interval` takes effect at once.
pub fn spawn(node: Weak<Node>, data_path: std::path::PathBuf) {
    tokio::spawn(async move {
        let mut last: Option<tokio::time::Instant> = None;
        loop {
            let Some(n) = node.upgrade() else { return };
            let state = n.state();
            let due = last.is_none_or(|t| t.elapsed() >= interval(&state));
            if due {
                last = Some(tokio::time::Instant::now());
                report(&n, &state, &data_path).await;
            }
            drop(n);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
}

async fn report(n: &Node, state: &ClusterState, data_path: &Path) {
    let local = NodeId(n.node_id.clone());
    let path = data_path.to_path_buf();
    let usage = tokio::task::spawn_blocking(move || measure(&path))
        .await
        .ok()
        .flatten();
    let Some(usage) = usage else {
        return;
    };
    let data = state.nodes.get(&local).is_some_and(|d| d.is_data_node());
    if data && worth_reporting(state, &local, &usage) {
        let cmd = ClusterCommand::UpdateDiskUsage { node: local, usage };
        if let Err(e) = n.master.submit(vec![cmd]).await {
            tracing::debug!("could not report disk usage: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(used: u64) -> DiskUsage {
        DiskUsage {
            total_bytes: 1000,
            free_bytes: 1000 - used * 10,
        }
    }

    #[test]
    fn reports_when_new_moved_or_crossing_a_watermark() {
        let mut s = ClusterState::new("c", "u");
        // Two data nodes: watermarks apply.
        for id in ["n", "m"] {
            s.nodes.insert(
                NodeId(id.into()),
                quarry_cluster::DiscoveryNode {
                    id: NodeId(id.into()),
                    name: id.into(),
                    ephemeral_id: id.into(),
                    transport_address: format!("{id}:9300"),
                    http_address: String::new(),
                    roles: ["data".to_string()].into(),
                    attributes: Default::default(),
                },
            );
        }
        let n = NodeId("n".into());
        assert!(worth_reporting(&s, &n, &usage(50)));
        s.disk_usages.insert(n.clone(), usage(50));
        assert!(!worth_reporting(&s, &n, &usage(50)));
        assert!(worth_reporting(&s, &n, &usage(51)));
        s.disk_usages.insert(
            n.clone(),
            DiskUsage {
                total_bytes: 100_000,
                free_bytes: 15_100,
            },
        );
        // 84.9% -> 85.2%: less than half a point, but the low watermark is crossed.
        assert!(worth_reporting(
            &s,
            &n,
            &DiskUsage {
                total_bytes: 100_000,
                free_bytes: 14_800
            }
        ));
    }

    #[test]
    fn the_test_hook_file_supplies_the_figures() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("disk.json");
        std::fs::write(&file, r#"{"total_bytes": 100, "free_bytes": 7}"#).unwrap();
        let u = measure_from(Some(&file), dir.path()).unwrap();
        assert_eq!(u.free_bytes, 7);
        assert_eq!(u.used_bytes(), 93);
    }
}
