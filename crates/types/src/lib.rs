//! Plain data shared by every Quarry crate: identifiers, the Elasticsearch error table, the
//! mapping model, flat settings and small value helpers.
//!
//! Owns: vocabulary types only. Must not depend on any other Quarry crate, on tantivy or on tokio.

pub mod date;
pub mod error;
pub mod field_type;
pub mod human;
pub mod ids;
pub mod mapping;
pub mod settings;
pub mod time_value;
pub mod xcontent;

pub use error::{EsError, EsResult};
pub use ids::{
    AllocationId, NodeId, PrimaryTerm, SeqNo, ShardId, NO_OPS_PERFORMED, UNASSIGNED_SEQ_NO,
};
pub use mapping::{FieldMapping, FieldType, Mapping};
pub use settings::Settings;

/// The Elasticsearch version Quarry answers as (`GET /` -> `version.number`).
pub const ES_COMPAT_VERSION: &str = "8.15.0";
/// Lucene version reported next to it (clients only display it).
pub const LUCENE_COMPAT_VERSION: &str = "9.11.1";
