//! The `single-node` and `tantivy-only` benchmarks: orchestration of node start, load, stats,
//! stop and the raw tantivy baseline, and assembly of the report.

use crate::baseline::{self, TantivyResult};
use crate::docgen::{action_line, bulk_corpus};
use crate::load;
use crate::node::{Node, NodeOptions};
use crate::procfs;
use crate::report::{QuarryResult, Report};
use anyhow::{anyhow, Context, Result};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Documents per `_bulk` request.
pub const BULK_SIZE: u64 = 5_000;
/// Name of the benchmark index.
pub const INDEX: &str = "bench-logs";

/// Options shared by both benchmarks.
#[derive(Debug, Clone)]
pub struct CommonOptions {
    pub docs: u64,
    pub seed: u64,
    /// Parent directory of temporary index/node directories (system temp dir when unset).
    pub work_dir: Option<PathBuf>,
    pub out: PathBuf,
}

/// Options of the Quarry side.
#[derive(Debug, Clone)]
pub struct QuarryOptions {
    pub node: NodeOptions,
    pub clients: usize,
    pub refresh_interval: String,
}

fn work_tempdir(work_dir: &Option<PathBuf>, prefix: &str) -> Result<tempfile::TempDir> {
    let mut b = tempfile::Builder::new();
    b.prefix(prefix);
    Ok(match work_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)?;
            b.tempdir_in(dir)?
        }
        None => b.tempdir()?,
    })
}

fn run_baseline(common: &CommonOptions) -> Result<TantivyResult> {
    eprintln!("raw tantivy: indexing {} docs ...", common.docs);
    let dir = work_tempdir(&common.work_dir, "quarry-bench-tantivy-")?;
    let result = baseline::run(dir.path(), common.seed, common.docs)?;
    eprintln!("raw tantivy: {:.0} docs/s", result.docs_per_s);
    Ok(result)
}

/// What the Quarry side measured, if it ran.
struct QuarryRun {
    result: QuarryResult,
    clients: usize,
    refresh_interval: String,
}

fn finish(
    common: &CommonOptions,
    benchmark: &str,
    quarry: Option<QuarryRun>,
    tantivy: TantivyResult,
) -> Result<Report> {
    let source_bytes = tantivy.source_bytes;
    let bulk_bytes = source_bytes + common.docs * action_line(INDEX).len() as u64;
    let report = Report {
        benchmark: benchmark.to_string(),
        docs: common.docs,
        seed: common.seed,
        bulk_size: BULK_SIZE,
        clients: quarry.as_ref().map(|q| q.clients).unwrap_or(0),
        refresh_interval: quarry
            .as_ref()
            .map(|q| q.refresh_interval.clone())
            .unwrap_or_default(),
        translog_durability: "request".to_string(),
        source_bytes,
        bulk_bytes,
        cpus: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        unix_time: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        quarry: quarry.map(|q| q.result),
        tantivy,
        ratio: None,
        target_ratio: 0.0,
        meets_target: None,
    }
    .with_ratio();
    report.write_json(&common.out)?;
    println!("{}", report.table());
    println!("results written to {}", common.out.display());
    Ok(report)
}

/// `quarry-bench tantivy-only`.
pub fn tantivy_only(common: &CommonOptions) -> Result<Report> {
    let tantivy = run_baseline(common)?;
    finish(common, "tantivy-only", None, tantivy)
}

/// `quarry-bench single-node`: node first (stopped before the baseline runs), then tantivy.
pub fn single_node(common: &CommonOptions, q: &QuarryOptions) -> Result<Report> {
    eprintln!("starting {} ...", q.node.binary.display());
    let (mut node, started) = Node::start(&q.node)?;
    let pid = node.pid();
    let idle = procfs::memory(pid).context("reading the node's idle memory")?;
    eprintln!(
        "node pid {pid} green after {:.1} ms, idle RSS {}",
        started.cold_start.as_secs_f64() * 1e3,
        crate::report::bytes(idle.rss)
    );

    eprintln!(
        "generating {} docs in _bulk bodies of {BULK_SIZE} ...",
        common.docs
    );
    let corpus = bulk_corpus(common.seed, common.docs, BULK_SIZE, INDEX);

    let quarry = (|| -> Result<QuarryResult> {
        load::create_index(node.addr, INDEX, &q.refresh_interval)?;
        eprintln!(
            "loading {} bulk requests with {} client(s) ...",
            corpus.bodies.len(),
            q.clients
        );
        let figures = load::bulk_load(node.addr, &corpus, q.clients)?;
        let refresh_secs = load::refresh(node.addr, INDEX)?;
        let stats = load::index_stats(node.addr, INDEX)?;
        if stats.docs_count != common.docs {
            eprintln!(
                "WARNING: the index holds {} docs, {} were sent",
                stats.docs_count, common.docs
            );
        }
        let mem = procfs::memory(pid).context("reading the node's peak memory")?;
        let data_dir_bytes = procfs::dir_size(&node.data_dir()).unwrap_or(0);
        Ok(QuarryResult {
            cold_start_ms: started.cold_start.as_secs_f64() * 1e3,
            idle_rss_bytes: idle.rss,
            peak_rss_bytes: mem.hwm,
            load_secs: figures.load_secs,
            docs_per_s: common.docs as f64 / figures.load_secs,
            mb_per_s: corpus.source_bytes as f64 / 1e6 / figures.load_secs,
            bulk_mb_per_s: corpus.bulk_bytes as f64 / 1e6 / figures.load_secs,
            bulk_requests: figures.requests,
            max_bulk_request_secs: figures.max_request_secs,
            refresh_secs,
            docs_count: stats.docs_count,
            store_size_bytes: stats.store_size_bytes,
            data_dir_bytes,
        })
    })();
    let quarry = match quarry {
        Ok(q) => q,
        Err(e) => {
            let tail = node.output_tail();
            node.stop(Duration::from_secs(10)).ok();
            return Err(anyhow!("benchmark against the node failed: {e:#}{tail}"));
        }
    };
    node.stop(Duration::from_secs(30))?;
    drop(node);
    drop(corpus);
    eprintln!("Quarry: {:.0} docs/s", quarry.docs_per_s);
    let quarry = QuarryRun {
        result: quarry,
        clients: q.clients,
        refresh_interval: q.refresh_interval.clone(),
    };

    let tantivy = run_baseline(common)?;
    finish(common, "single-node", Some(quarry), tantivy)
}
