//! `quarry`: parse the command line, load and validate settings, start logging, run the node.
//! A configuration error exits with status 78 (EX_CONFIG), as Elasticsearch does.

use clap::Parser;

/// mimalloc: the write path allocates many small buffers per document; glibc malloc spent
/// about a quarter of bulk indexing time in malloc/free (measured with perf).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use quarry_server::cli::Cli;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match cli.load_node_settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("quarry: {e}");
            return ExitCode::from(78);
        }
    };
    if let Err(e) = quarry_server::logging::init_logging(&settings, !cli.quiet) {
        eprintln!("quarry: {e:#}");
        return ExitCode::from(78);
    }
    if let Some(pidfile) = &cli.pidfile {
        if let Err(e) = std::fs::write(pidfile, format!("{}\n", std::process::id())) {
            eprintln!("quarry: cannot write pid file [{}]: {e}", pidfile.display());
            return ExitCode::from(78);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("quarry: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(quarry_server::run(settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("fatal error: {e:#}");
            eprintln!("quarry: {e:#}");
            ExitCode::FAILURE
        }
    }
}
