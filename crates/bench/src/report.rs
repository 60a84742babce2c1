//! The benchmark's results: the JSON document written to `bench-results/` and the
//! human-readable table printed at the end of a run.

use crate::baseline::TantivyResult;
use anyhow::{Context, Result};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// Minimum acceptable Quarry/tantivy indexing throughput ratio.
pub const TARGET_RATIO: f64 = 0.8;

/// Figures of the Quarry node.
#[derive(Debug, Clone, Serialize)]
pub struct QuarryResult {
    pub cold_start_ms: f64,
    pub idle_rss_bytes: u64,
    pub peak_rss_bytes: u64,
    pub load_secs: f64,
    pub docs_per_s: f64,
    /// Document source bytes per second (action lines excluded), comparable with tantivy's.
    pub mb_per_s: f64,
    /// Bulk request body bytes (action lines included) per second.
    pub bulk_mb_per_s: f64,
    pub bulk_requests: usize,
    pub max_bulk_request_secs: f64,
    pub refresh_secs: f64,
    pub docs_count: u64,
    pub store_size_bytes: u64,
    /// `du` of the node's data directory (translog and cluster state included).
    pub data_dir_bytes: u64,
}

/// Everything a run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub benchmark: String,
    pub docs: u64,
    pub seed: u64,
    pub bulk_size: u64,
    pub clients: usize,
    pub refresh_interval: String,
    pub translog_durability: String,
    pub source_bytes: u64,
    pub bulk_bytes: u64,
    pub cpus: usize,
    pub unix_time: u64,
    pub quarry: Option<QuarryResult>,
    pub tantivy: TantivyResult,
    /// Quarry docs/s divided by tantivy docs/s.
    pub ratio: Option<f64>,
    pub target_ratio: f64,
    pub meets_target: Option<bool>,
}

impl Report {
    /// Fills in the ratio fields from the two results.
    pub fn with_ratio(mut self) -> Self {
        self.ratio = self
            .quarry
            .as_ref()
            .map(|q| q.docs_per_s / self.tantivy.docs_per_s);
        self.meets_target = self.ratio.map(|r| r >= TARGET_RATIO);
        self.target_ratio = TARGET_RATIO;
        self
    }

    /// Writes the pretty-printed JSON, creating parent directories.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut json = serde_json::to_string_pretty(self)?;
        json.push('\n');
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }

    /// The human-readable table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let clients = match self.quarry {
            Some(_) => format!(", {} client(s)", self.clients),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "{}: {} docs, {} of source ({} as _bulk bodies), seed {}, {} docs per bulk{clients}, {} cpu(s)",
            self.benchmark,
            self.docs,
            bytes(self.source_bytes),
            bytes(self.bulk_bytes),
            self.seed,
            self.bulk_size,
            self.cpus
        );
        let t = &self.tantivy;
        let q = self.quarry.as_ref();
        let na = || "-".to_string();
        let rows: Vec<(&str, String, String)> = vec![
            (
                "docs/s",
                q.map(|q| format!("{:.0}", q.docs_per_s)).unwrap_or_else(na),
                format!("{:.0}", t.docs_per_s),
            ),
            (
                "MB/s (source)",
                q.map(|q| format!("{:.2}", q.mb_per_s)).unwrap_or_else(na),
                format!("{:.2}", t.mb_per_s),
            ),
            (
                "MB/s (bulk bodies)",
                q.map(|q| format!("{:.2}", q.bulk_mb_per_s))
                    .unwrap_or_else(na),
                na(),
            ),
            (
                "indexing time",
                q.map(|q| format!("{:.2} s", q.load_secs))
                    .unwrap_or_else(na),
                format!("{:.2} s (commit {:.2} s)", t.index_secs, t.commit_secs),
            ),
            (
                "index size on disk",
                q.map(|q| bytes(q.store_size_bytes)).unwrap_or_else(na),
                format!("{} ({} segment(s))", bytes(t.index_size_bytes), t.segments),
            ),
            (
                "data dir size",
                q.map(|q| bytes(q.data_dir_bytes)).unwrap_or_else(na),
                na(),
            ),
            (
                "docs in index",
                q.map(|q| q.docs_count.to_string()).unwrap_or_else(na),
                t.docs.to_string(),
            ),
            (
                "refresh after load",
                q.map(|q| format!("{:.2} s", q.refresh_secs))
                    .unwrap_or_else(na),
                na(),
            ),
            (
                "slowest bulk request",
                q.map(|q| format!("{:.3} s", q.max_bulk_request_secs))
                    .unwrap_or_else(na),
                na(),
            ),
            (
                "node peak RSS (VmHWM)",
                q.map(|q| bytes(q.peak_rss_bytes)).unwrap_or_else(na),
                na(),
            ),
            (
                "node idle RSS",
                q.map(|q| bytes(q.idle_rss_bytes)).unwrap_or_else(na),
                na(),
            ),
            (
                "cold start to green",
                q.map(|q| format!("{:.1} ms", q.cold_start_ms))
                    .unwrap_or_else(na),
                na(),
            ),
        ];
        let _ = writeln!(out, "{:<24} {:>22} {:>32}", "", "Quarry", "raw tantivy");
        for (name, quarry, tantivy) in rows {
            let _ = writeln!(out, "{name:<24} {quarry:>22} {tantivy:>32}");
        }
        match (self.ratio, self.meets_target) {
            (Some(r), Some(ok)) => {
                let verdict = if ok { "OK" } else { "BELOW TARGET" };
                let _ = writeln!(
                    out,
                    "ratio Quarry/tantivy (docs/s): {:.1}% (target >= {:.0}%) {verdict}",
                    r * 100.0,
                    self.target_ratio * 100.0
                );
            }
            _ => {
                let _ = writeln!(out, "ratio Quarry/tantivy: - (tantivy only)");
            }
        }
        out
    }
}

/// `1234567` -> `"1.18 MiB"`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tantivy() -> TantivyResult {
        TantivyResult {
            docs: 10,
            source_bytes: 1000,
            index_secs: 1.0,
            commit_secs: 0.1,
            docs_per_s: 100.0,
            mb_per_s: 0.001,
            merge_wait_secs: 0.0,
            segments: 1,
            index_size_bytes: 2048,
            memory_budget_bytes: 64_000_000,
            indexing_threads: 1,
        }
    }

    fn report(quarry_docs_per_s: Option<f64>) -> Report {
        Report {
            benchmark: "single-node".into(),
            docs: 10,
            seed: 42,
            bulk_size: 5000,
            clients: 2,
            refresh_interval: "1s".into(),
            translog_durability: "request".into(),
            source_bytes: 1000,
            bulk_bytes: 1300,
            cpus: 2,
            unix_time: 0,
            quarry: quarry_docs_per_s.map(|d| QuarryResult {
                cold_start_ms: 12.0,
                idle_rss_bytes: 1 << 20,
                peak_rss_bytes: 1 << 26,
                load_secs: 1.0,
                docs_per_s: d,
                mb_per_s: 0.001,
                bulk_mb_per_s: 0.0013,
                bulk_requests: 1,
                max_bulk_request_secs: 1.0,
                refresh_secs: 0.1,
                docs_count: 10,
                store_size_bytes: 4096,
                data_dir_bytes: 8192,
            }),
            tantivy: tantivy(),
            ratio: None,
            target_ratio: 0.0,
            meets_target: None,
        }
        .with_ratio()
    }

    #[test]
    fn ratio_and_verdict() {
        let ok = report(Some(85.0));
        assert_eq!(ok.meets_target, Some(true));
        assert!(
            ok.table().contains("85.0% (target >= 80%) OK"),
            "{}",
            ok.table()
        );
        let low = report(Some(50.0));
        assert!(low.table().contains("BELOW TARGET"));
        let only = report(None);
        assert_eq!(only.ratio, None);
        assert!(only.table().contains("tantivy only"));
    }

    #[test]
    fn json_round_trips_to_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/out.json");
        report(Some(90.0)).write_json(&path).unwrap();
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["quarry"]["docs_per_s"], 90.0);
        assert_eq!(v["tantivy"]["docs_per_s"], 100.0);
        assert_eq!(v["meets_target"], true);
    }

    #[test]
    fn formats_bytes() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.50 KiB");
        assert_eq!(bytes(3 << 30), "3.00 GiB");
    }
}
