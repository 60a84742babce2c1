//! `quarry-bench`: benchmarks that print figures (they assert nothing).
//!
//! * `single-node`: starts a Quarry node on free ports with a temporary data directory, times its
//!   cold start to a green cluster health, reads its idle RSS, bulk-loads generated http_logs-like
//!   documents into a one-shard index (`translog.durability: request`, 5,000 docs per `_bulk`,
//!   several clients), reads peak RSS and index size, stops the node, then indexes the same
//!   documents with raw tantivy in the shard layout and prints both and their ratio.
//! * `tantivy-only`: just the raw tantivy baseline (no node needed).
//! * `reroute`: allocation on a simulated 100-node / 10,000-index cluster (no node needed).
//!
//! Results go to a JSON file (`bench-results/<benchmark>.json` by default) and a table on stdout.

/// The same allocator as the `quarry` binary, so the raw tantivy baseline is measured fairly.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod baseline;
mod docgen;
mod http;
mod load;
mod node;
mod procfs;
mod report;
mod reroute;
mod single_node;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(
    name = "quarry-bench",
    about = "Quarry benchmarks (print figures, assert nothing)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Bulk-load a node started by the benchmark, then the raw tantivy baseline; print both.
    SingleNode(SingleNodeArgs),
    /// Only the raw tantivy baseline.
    TantivyOnly(CommonArgs),
    /// Time reroute and allocation-triggering cluster-state updates on a simulated cluster.
    Reroute(RerouteArgs),
}

#[derive(Debug, Args)]
struct RerouteArgs {
    #[arg(long, default_value_t = 100)]
    nodes: usize,
    #[arg(long, default_value_t = 10_000)]
    indices: usize,
    #[arg(long, default_value_t = 5)]
    shards: u32,
    #[arg(long, default_value_t = 1)]
    replicas: u32,
    /// Timed repetitions of each measurement.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Where to write the JSON results.
    #[arg(long, default_value = "bench-results/reroute.json")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct CommonArgs {
    /// Number of documents to index.
    #[arg(long, default_value_t = 1_000_000)]
    docs: u64,
    /// Seed of the document generator.
    #[arg(long, default_value_t = docgen::DEFAULT_SEED)]
    seed: u64,
    /// Directory for temporary index and node directories (default: the system temp dir).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    /// Where to write the JSON results (default: bench-results/<benchmark>.json).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct SingleNodeArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// The Quarry node binary.
    #[arg(long, default_value = "target/release/quarry")]
    quarry_bin: PathBuf,
    /// Concurrent bulk clients.
    #[arg(long, default_value_t = 2)]
    clients: usize,
    /// `index.refresh_interval` of the benchmark index (`-1` disables periodic refresh).
    #[arg(long, default_value = "1s", allow_hyphen_values = true)]
    refresh_interval: String,
    /// Extra node setting, `key=value` (repeatable), passed as `-E key=value`.
    #[arg(long = "node-setting", value_name = "KEY=VALUE")]
    node_settings: Vec<String>,
    /// Seconds to wait for the node's cluster health to become green.
    #[arg(long, default_value_t = 60)]
    start_timeout: u64,
    /// Keep the node's temporary home (data, logs, output) after the run.
    #[arg(long)]
    keep_node_dir: bool,
}

impl CommonArgs {
    fn into_options(self, benchmark: &str) -> single_node::CommonOptions {
        single_node::CommonOptions {
            docs: self.docs,
            seed: self.seed,
            work_dir: self.work_dir,
            out: self
                .out
                .unwrap_or_else(|| PathBuf::from(format!("bench-results/{benchmark}.json"))),
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("quarry-bench: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::TantivyOnly(args) => {
            single_node::tantivy_only(&args.into_options("tantivy-only"))?;
        }
        Command::Reroute(a) => {
            let options = reroute::RerouteOptions {
                nodes: a.nodes,
                indices: a.indices,
                shards: a.shards,
                replicas: a.replicas,
                rounds: a.rounds,
            };
            reroute::run(&options, &a.out)?;
        }
        Command::SingleNode(args) => {
            let common = args.common.into_options("single-node");
            let q = single_node::QuarryOptions {
                node: node::NodeOptions {
                    binary: args.quarry_bin,
                    work_dir: common.work_dir.clone(),
                    extra_settings: args.node_settings,
                    start_timeout: Duration::from_secs(args.start_timeout),
                    keep_dir: args.keep_node_dir,
                },
                clients: args.clients.max(1),
                refresh_interval: args.refresh_interval,
            };
            single_node::single_node(&common, &q)?;
        }
    }
    Ok(())
}
