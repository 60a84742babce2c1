//! Quarry's search: the Elasticsearch query DSL, its translation into tantivy queries on a
//! shard's fixed layout, the per-shard query and fetch phases, and the pure coordinator reduce.
//!
//! Owns: everything between a parsed search request and the hits/aggregations JSON.
//! Must not depend on the cluster crate, tokio or the network: shards are handed in as
//! [`ShardTarget`] values (a tantivy searcher, the layout, the mapping and the analysis).
//!
//! ```text
//!   body + params --search_request--> SearchRequest { query: QueryAst, sort, ... }
//!   per shard:  query_builder -> tantivy Query -> query_phase -> QuerySearchResult
//!   coordinator: reduce (pure) -> ReducedQueryPhase -> fetch_phase per shard -> hits JSON
//! ```

pub mod aggregations;
pub mod date_math;
pub mod distributed;
pub mod doc_values;
pub mod dsl;
pub mod execute;
pub mod fetch_phase;
pub mod query_builder;
pub mod query_phase;
pub mod reduce;
pub mod search_request;
pub mod shard_target;
pub mod sort;
pub mod source_filter;

pub use dsl::{parse_query, QueryAst};
pub use execute::{
    collect_matching_docs, collect_matching_ids, count, execute_search, now_millis, MatchingDoc,
    SearchResponseParts,
};
pub use query_phase::{execute_query_phase, QuerySearchResult, ShardDoc};
pub use reduce::{reduce, ReducedQueryPhase, TotalRelation};
pub use search_request::{parse_search_request, SearchRequest};
pub use shard_target::{AnalyzeFn, ShardTarget};
pub use source_filter::SourceFilter;
