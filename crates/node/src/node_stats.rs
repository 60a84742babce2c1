//! Node-level counters (HTTP requests, bulk, search) and the process/OS figures read with
//! `sysinfo` for `_nodes/stats` and `_cat/nodes`.

use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct NodeCounters {
    pub http_requests: AtomicU64,
    pub search_query_total: AtomicU64,
    pub search_query_time_ms: AtomicU64,
    pub search_fetch_total: AtomicU64,
    pub bulk_total: AtomicU64,
    pub bulk_time_ms: AtomicU64,
    pub bulk_items: AtomicU64,
    /// Per-shard search and no-op update counters for `_stats`.
    pub shard_counters: crate::shard_counters::ShardCounterRegistry,
}

impl NodeCounters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Process and OS figures at one instant.
#[derive(Debug, Clone, Default)]
pub struct ProcessFigures {
    pub pid: u32,
    pub rss_bytes: u64,
    pub virtual_bytes: u64,
    pub cpu_percent: f32,
    pub open_file_descriptors: u64,
    pub max_file_descriptors: u64,
    pub total_memory: u64,
    pub free_memory: u64,
    pub used_memory: u64,
    pub load_average: [f64; 3],
    pub os_cpu_percent: f32,
    pub fs_total: u64,
    pub fs_available: u64,
    pub fs_mount: String,
    pub available_processors: usize,
}

/// Reads the figures of this process and machine; `data_path` selects the file system.
pub fn read_process_figures(data_path: &std::path::Path) -> ProcessFigures {
    use sysinfo::{Disks, ProcessRefreshKind, ProcessesToUpdate, System};
    let mut sys = System::new();
    sys.refresh_memory();
    let pid = sysinfo::Pid::from_u32(std::process::id());
    sys.refresh_processes_specifics(
        ProcessesToUpdate::Some(&[pid]),
        true,
        ProcessRefreshKind::everything(),
    );
    let mut f = ProcessFigures {
        pid: std::process::id(),
        total_memory: sys.total_memory(),
        free_memory: sys.available_memory(),
        used_memory: sys.used_memory(),
        available_processors: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        ..Default::default()
    };
    if let Some(p) = sys.process(pid) {
        f.rss_bytes = p.memory();
        f.virtual_bytes = p.virtual_memory();
        f.cpu_percent = p.cpu_usage();
    }
    let load = System::load_average();
    f.load_average = [load.one, load.five, load.fifteen];
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        f.open_file_descriptors = entries.count() as u64;
    }
    f.max_file_descriptors = read_max_fds().unwrap_or(1_048_576);
    let disks = Disks::new_with_refreshed_list();
    let abs = std::fs::canonicalize(data_path).unwrap_or_else(|_| data_path.to_path_buf());
    let mut best: Option<&sysinfo::Disk> = None;
    for d in disks.list() {
        if abs.starts_with(d.mount_point())
            && best
                .map(|b| d.mount_point().as_os_str().len() > b.mount_point().as_os_str().len())
                .unwrap_or(true)
        {
            best = Some(d);
        }
    }
    if let Some(d) = best {
        f.fs_total = d.total_space();
        f.fs_available = d.available_space();
        f.fs_mount = d.mount_point().display().to_string();
    }
    f
}

fn read_max_fds() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}
