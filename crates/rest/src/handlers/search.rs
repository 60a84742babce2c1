//! `_search`, `_count`, `_delete_by_query`, `_update_by_query`, `_reindex`.

use super::{indices_params, INDICES_OPTIONS};
use crate::handler;
use crate::rest_request::RestRequest;
use crate::rest_response::RestResponse;
use crate::router::RouteSpec;
use quarry_node::Node;
use quarry_types::EsError;
use std::collections::BTreeMap;
use std::sync::Arc;

const SEARCH_PARAMS: &[&str] = &[
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
    "q",
    "df",
    "analyzer",
    "analyze_wildcard",
    "default_operator",
    "lenient",
    "from",
    "size",
    "sort",
    "_source",
    "_source_includes",
    "_source_excludes",
    "track_total_hits",
    "track_scores",
    "timeout",
    "terminate_after",
    "routing",
    "preference",
    "search_type",
    "request_cache",
    "batched_reduce_size",
    "max_concurrent_shard_requests",
    "pre_filter_shard_size",
    "rest_total_hits_as_int",
    "typed_keys",
    "version",
    "seq_no_primary_term",
    "stored_fields",
    "docvalue_fields",
    "explain",
    "allow_partial_search_results",
    "scroll",
    "ccs_minimize_roundtrips",
    "ignore_throttled",
    "suggest_field",
    "suggest_mode",
    "suggest_size",
    "suggest_text",
    "stats",
    "include_named_queries_score",
];
pub const SEARCH: RouteSpec = RouteSpec {
    handler: handler!(search),
    params: SEARCH_PARAMS,
};
pub const COUNT: RouteSpec = RouteSpec {
    handler: handler!(count),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "q",
        "df",
        "analyzer",
        "analyze_wildcard",
        "default_operator",
        "lenient",
        "min_score",
        "routing",
        "preference",
        "terminate_after",
        "ignore_throttled",
    ],
};
const BY_QUERY_PARAMS: &[&str] = &[
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
    "q",
    "df",
    "analyzer",
    "analyze_wildcard",
    "default_operator",
    "lenient",
    "from",
    "sort",
    "_source",
    "_source_includes",
    "_source_excludes",
    "routing",
    "preference",
    "search_type",
    "search_timeout",
    "terminate_after",
    "timeout",
    "conflicts",
    "max_docs",
    "refresh",
    "request_cache",
    "requests_per_second",
    "scroll",
    "scroll_size",
    "slices",
    "stats",
    "version",
    "version_type",
    "wait_for_active_shards",
    "wait_for_completion",
    "pipeline",
];
pub const DELETE_BY_QUERY: RouteSpec = RouteSpec {
    handler: handler!(delete_by_query),
    params: BY_QUERY_PARAMS,
};
pub const UPDATE_BY_QUERY: RouteSpec = RouteSpec {
    handler: handler!(update_by_query),
    params: BY_QUERY_PARAMS,
};
pub const REINDEX: RouteSpec = RouteSpec {
    handler: handler!(reindex),
    params: &[
        "refresh",
        "timeout",
        "wait_for_active_shards",
        "wait_for_completion",
        "requests_per_second",
        "scroll",
        "slices",
        "max_docs",
        "require_alias",
    ],
};

fn passthrough(req: &RestRequest) -> BTreeMap<String, String> {
    req.params
        .iter()
        .filter(|(k, _)| !INDICES_OPTIONS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

async fn search(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.json_body()?;
    Ok(RestResponse::ok(
        node.search(
            &req.path_list("index"),
            &indices_params(&req),
            body,
            passthrough(&req),
        )
        .await?,
    ))
}

async fn count(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.json_body()?;
    Ok(RestResponse::ok(
        node.count(
            &req.path_list("index"),
            &indices_params(&req),
            body,
            passthrough(&req),
        )
        .await?,
    ))
}

async fn delete_by_query(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.json_body()?;
    Ok(RestResponse::ok(
        node.delete_by_query(
            &req.path_list("index"),
            &indices_params(&req),
            body,
            passthrough(&req),
        )
        .await?,
    ))
}

async fn update_by_query(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.json_body()?;
    Ok(RestResponse::ok(
        node.update_by_query(
            &req.path_list("index"),
            &indices_params(&req),
            body,
            passthrough(&req),
        )
        .await?,
    ))
}

async fn reindex(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    Ok(RestResponse::ok(
        node.reindex(&body, passthrough(&req)).await?,
    ))
}
