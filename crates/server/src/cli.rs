//! The `quarry` command line, shaped like `bin/elasticsearch`: `-E key=value` overrides (also
//! `-Ekey=value`), `--config FILE`, `--version`, `--pidfile`, `--quiet`.

use crate::node_settings::NodeSettings;
use crate::settings_error::SettingsError;
use crate::settings_pipeline::load_raw_settings;
use clap::Parser;
use std::path::PathBuf;

/// The config file read when `--config` is not given and it exists.
pub const DEFAULT_CONFIG_FILE: &str = "config/quarry.yml";

/// Text of `quarry --version`.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (Elasticsearch-compatible API ",
    "8.15.0",
    ")"
);

/// Starts one Quarry node, an Elasticsearch-compatible search engine.
///
/// Settings come from the config file, then `-E` overrides; `${VAR}` in values is replaced by
/// the environment variable VAR.
#[derive(Debug, Clone, Parser)]
#[command(name = "quarry", version = LONG_VERSION, about, long_about)]
pub struct Cli {
    /// YAML config file [default: config/quarry.yml if it exists, else none].
    #[arg(long = "config", short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Set a setting, overriding the config file (repeatable): `-E http.port=9201`,
    /// `-Ediscovery.seed_hosts=a,b`.
    #[arg(short = 'E', value_name = "KEY=VALUE", action = clap::ArgAction::Append)]
    pub settings: Vec<String>,

    /// Write the process id to this file.
    #[arg(long = "pidfile", short = 'p', value_name = "FILE")]
    pub pidfile: Option<PathBuf>,

    /// Do not log to the console (the log file still gets everything).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl Cli {
    /// The config file to read: `--config`, else `config/quarry.yml` when it exists.
    pub fn config_file(&self) -> Option<PathBuf> {
        if let Some(path) = &self.config {
            return Some(path.clone());
        }
        let default = PathBuf::from(DEFAULT_CONFIG_FILE);
        default.is_file().then_some(default)
    }

    /// Runs the whole settings pipeline with the process environment.
    pub fn load_node_settings(&self) -> Result<NodeSettings, SettingsError> {
        let env = |name: &str| std::env::var(name).ok();
        let file = self.config_file();
        let raw = load_raw_settings(file.as_deref(), &self.settings, &env)?;
        let mut settings = NodeSettings::from_settings(raw)?;
        if let Some(dir) = file.as_deref().and_then(|f| f.parent()) {
            settings.config_dir = if dir.as_os_str().is_empty() {
                std::path::PathBuf::from(".")
            } else {
                dir.to_path_buf()
            };
        }
        Ok(settings)
    }
}
