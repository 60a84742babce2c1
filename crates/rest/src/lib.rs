//! The Elasticsearch REST API over HTTP: the axum router, request parsing (paths, query
//! parameters, bodies in any of the media types clients send), the error envelope, the common
//! parameters (`pretty`, `filter_path`, `human`, `error_trace`), compression, the body limit and
//! the `X-Elastic-Product` header the official clients insist on.
//!
//! Owns: HTTP and JSON shapes. Must not decide anything about the cluster or shards: every
//! request becomes a call on `quarry_node::Node`.

pub mod format;
pub mod handlers;
pub mod rest_request;
pub mod rest_response;
pub mod router;

pub use router::router;
