//! [`ShardTarget`]: what the search crate needs from one shard, as plain borrowed values, so the
//! node layer plugs in its real searcher, mapping and analysis registry.
//!
//! Owns: nothing but the handle shape. Must not depend on `quarry-index`'s engine or shard types.

use quarry_index::layout::ShardLayout;
use quarry_types::Mapping;

/// Analysis used for query text: `(analyzer name, text) -> tokens`.
pub type AnalyzeFn = dyn Fn(&str, &str) -> Vec<String> + Sync;

/// One shard to search: a point-in-time searcher plus what is needed to build queries for it.
#[derive(Clone, Copy)]
pub struct ShardTarget<'a> {
    pub index_name: &'a str,
    pub shard: u32,
    pub searcher: &'a tantivy::Searcher,
    pub layout: &'a ShardLayout,
    pub mapping: &'a Mapping,
    pub analyzer: &'a AnalyzeFn,
    /// Analyzer of text fields that name none (`index.analysis.analyzer.default`, else `standard`).
    pub default_analyzer: &'a str,
}

impl<'a> ShardTarget<'a> {
    /// A target whose default analyzer is `standard`.
    pub fn new(
        index_name: &'a str,
        shard: u32,
        searcher: &'a tantivy::Searcher,
        layout: &'a ShardLayout,
        mapping: &'a Mapping,
        analyzer: &'a AnalyzeFn,
    ) -> Self {
        ShardTarget {
            index_name,
            shard,
            searcher,
            layout,
            mapping,
            analyzer,
            default_analyzer: "standard",
        }
    }
}

impl std::fmt::Debug for ShardTarget<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShardTarget")
            .field("index_name", &self.index_name)
            .field("shard", &self.shard)
            .finish()
    }
}
