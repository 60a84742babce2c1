//! Endpoint handlers: each turns a [`crate::rest_request::RestRequest`] into a call on the node
//! and the node's answer into a [`crate::rest_response::RestResponse`].

pub mod cat;
pub mod cluster;
pub mod cluster_allocation;
pub mod document;
pub mod indices;
pub mod search;

use crate::rest_request::RestRequest;
use quarry_node::action::admin_index::IndicesParams;

/// Splits a comma-separated path part; empty or missing gives an empty list.
pub fn split(v: Option<&str>) -> Vec<String> {
    quarry_node::action::split_expressions(v)
}

/// `ignore_unavailable`, `allow_no_indices`, `expand_wildcards`.
pub fn indices_params(req: &RestRequest) -> IndicesParams {
    IndicesParams {
        ignore_unavailable: req.param("ignore_unavailable").map(String::from),
        allow_no_indices: req.param("allow_no_indices").map(String::from),
        expand_wildcards: req.param("expand_wildcards").map(String::from),
    }
}

pub const INDICES_OPTIONS: [&str; 3] =
    ["ignore_unavailable", "allow_no_indices", "expand_wildcards"];
