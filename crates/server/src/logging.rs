//! Logging setup: `tracing` events to stdout and to `<path.logs>/<cluster.name>.log`, as
//! Elasticsearch writes both a console log and `logs/<cluster>.log`.
//!
//! Level: `RUST_LOG` if set, else `logger.level` (default `info`) plus one directive per
//! `logger.<target>: <level>` setting (`logger.quarry_node: debug`).

use crate::known_settings::parse_log_level;
use crate::node_settings::NodeSettings;
use std::fs::OpenOptions;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// The filter directives for `settings` (ignoring `RUST_LOG`):
/// `"info,openraft=warn,quarry_node=debug"`.
pub fn filter_directives(settings: &NodeSettings) -> String {
    let mut directives = Vec::new();
    let level = settings
        .raw
        .get("logger.level")
        .and_then(|v| parse_log_level("logger.level", v).ok())
        .unwrap_or_else(|| "info".to_string());
    directives.push(tracing_level(&level).to_string());
    // openraft reports every vote and election at info; Quarry logs what matters about
    // elections itself, so the library speaks up only for warnings unless asked.
    if settings.raw.with_prefix("logger.openraft").next().is_none() {
        directives.push("openraft=warn".to_string());
    }
    for (key, value) in settings.raw.with_prefix("logger.") {
        if key == "logger.level" {
            continue;
        }
        if let Ok(level) = parse_log_level(key, value) {
            let target = key["logger.".len()..].replace('.', "::");
            directives.push(format!("{target}={}", tracing_level(&level)));
        }
    }
    directives.join(",")
}

/// log4j level names mapped onto tracing's.
fn tracing_level(log4j: &str) -> &'static str {
    match log4j {
        "off" => "off",
        "fatal" | "error" => "error",
        "warn" => "warn",
        "debug" => "debug",
        "trace" | "all" => "trace",
        _ => "info",
    }
}

/// The log file: `<path.logs>/<cluster.name>.log`.
pub fn log_file_path(settings: &NodeSettings) -> PathBuf {
    settings
        .path_logs
        .join(format!("{}.log", settings.cluster_name))
}

/// Installs the global subscriber. `console` false = file only (`--quiet`). Fails when the log
/// directory cannot be created or the file cannot be opened, or when a subscriber is already
/// installed.
pub fn init_logging(settings: &NodeSettings, console: bool) -> anyhow::Result<()> {
    let directives = std::env::var("RUST_LOG")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| filter_directives(settings));
    let path = log_file_path(settings);
    std::fs::create_dir_all(&settings.path_logs).map_err(|e| {
        anyhow::anyhow!(
            "cannot create log directory [{}]: {e}",
            settings.path_logs.display()
        )
    })?;
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| anyhow::anyhow!("cannot open log file [{}]: {e}", path.display()))?;

    let file_layer = fmt::layer()
        .with_ansi(false)
        .with_writer(Mutex::new(file))
        .with_filter(EnvFilter::try_new(&directives)?);
    let console_layer = console.then(|| {
        let ansi = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
        fmt::layer()
            .with_ansi(ansi)
            .with_writer(std::io::stdout)
            .with_filter(EnvFilter::try_new(&directives).unwrap_or_else(|_| EnvFilter::new("info")))
    });
    tracing_subscriber::registry()
        .with(file_layer)
        .with(console_layer)
        .try_init()
        .map_err(|e| anyhow::anyhow!("cannot install the logger: {e}"))?;
    Ok(())
}
