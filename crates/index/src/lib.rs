//! One shard on disk, synchronous: the tantivy layout, the mapper, the engine, the translog and
//! sequence-number bookkeeping.
//!
//! Owns: everything below "apply this operation to this shard". Must not depend on the cluster
//! crate, on tokio or on the network: a shard is handed its ids, term and settings as values.

pub mod analysis;
pub mod analysis_components;
pub mod char_filter;
pub mod custom_analysis;
pub mod dynamic_mapping;
pub mod engine;
pub mod error;
pub mod field_value;
pub mod index_shard;
pub mod json_source;
pub mod layout;
pub mod live_version_map;
pub mod mapper;
pub mod operation;
pub mod seq_no;
pub mod translog;
pub mod translog_operation;

pub use analysis::{AnalysisRegistry, Token};
pub use error::IndexError;
pub use index_shard::{IndexShard, ShardSearcher};
pub use mapper::{parse_document, DocumentParser, ParsedDocument};
pub use operation::{
    DeleteOperation, DeleteResult, GetResult, IndexOperation, IndexResult, OpType, ShardConfig,
    ShardStats, VersionCheck,
};
pub use translog::Durability;
