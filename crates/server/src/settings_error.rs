//! Why node settings could not be loaded. Every variant is fatal: the node refuses to start and
//! prints the message, worded as Elasticsearch words the same failure.

use std::path::PathBuf;

/// A configuration problem that stops the node before it starts.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("failed to read config file [{}]: {source}", path.display())]
    ReadConfig {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to parse config file [{}]: {message}", path.display())]
    ParseConfig { path: PathBuf, message: String },
    /// Two spellings of one key in the config file (`a.b: 1` and `a: {b: 2}`).
    #[error("duplicate settings key [{key}] found in config file [{}]", path.display())]
    DuplicateKey { path: PathBuf, key: String },
    /// A `-E` argument without `=`.
    #[error("setting [{0}] must be in the form key=value")]
    MalformedOverride(String),
    /// `${NAME}` with no such environment variable and no `:default`.
    #[error("Could not resolve placeholder '{0}'")]
    UnresolvedPlaceholder(String),
    #[error(
        "unknown setting [{0}] please check that any required plugins are installed, or check \
         the breaking changes documentation for removed settings"
    )]
    UnknownSetting(String),
    /// A known key with a value of the wrong shape.
    #[error("Failed to parse value [{value}] for setting [{key}]{}", detail_suffix(.detail))]
    InvalidValue {
        key: String,
        value: String,
        detail: Option<String>,
    },
    /// Settings that are each valid but cannot go together, or a value Quarry does not support.
    #[error("{0}")]
    Illegal(String),
}

fn detail_suffix(detail: &Option<String>) -> String {
    match detail {
        Some(d) => format!(": {d}"),
        None => String::new(),
    }
}

impl SettingsError {
    /// An invalid value for `key`, with an optional explanation after the ES wording.
    pub fn invalid(key: &str, value: impl Into<String>, detail: Option<String>) -> Self {
        SettingsError::InvalidValue {
            key: key.to_string(),
            value: value.into(),
            detail,
        }
    }
}
