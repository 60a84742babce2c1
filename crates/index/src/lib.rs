//! One shard on disk, synchronous: the tantivy layout, the mapper, the engine, the translog and
//! sequence-number bookkeeping.
//!
//! Owns: everything below "apply this operation to this shard". Must not depend on the cluster
//! crate, on tokio or on the network: a shard is handed its ids, term and settings as values.

pub mod layout;
