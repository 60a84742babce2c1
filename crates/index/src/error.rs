//! The failures of this crate that are not a user's fault: I/O, tantivy, a corrupted translog.
//! Each converts into the Elasticsearch error it mirrors (`engine_exception`,
//! `translog_corrupted_exception`, ...). User-facing failures (bad documents, version conflicts)
//! are returned as [`EsError`] directly by the code that detects them.
//!
//! Owns: the `IndexError` enum. Must not depend on any other module of this crate.

use quarry_types::EsError;

/// An internal failure of a shard's storage.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{context}: {source}")]
    Tantivy {
        context: String,
        #[source]
        source: tantivy::TantivyError,
    },
    #[error("translog is corrupted: {0}")]
    TranslogCorrupted(String),
    #[error("{0}")]
    Engine(String),
}

impl IndexError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        IndexError::Io {
            context: context.into(),
            source,
        }
    }
    pub fn tantivy(context: impl Into<String>, source: tantivy::TantivyError) -> Self {
        IndexError::Tantivy {
            context: context.into(),
            source,
        }
    }
}

impl From<IndexError> for EsError {
    fn from(e: IndexError) -> Self {
        match &e {
            IndexError::TranslogCorrupted(_) => {
                EsError::new("translog_corrupted_exception", 500, e.to_string())
            }
            IndexError::Io { .. } | IndexError::Tantivy { .. } | IndexError::Engine(_) => {
                EsError::new("engine_exception", 500, e.to_string())
            }
        }
    }
}

/// Result alias for internal storage operations.
pub type EngineResult<T> = Result<T, IndexError>;
