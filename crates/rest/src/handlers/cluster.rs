//! `GET /`, `_cluster/*` (health, state, settings, pending tasks, voting config exclusions) and
//! `_nodes/*` handlers.

use super::indices_params;
use crate::handler;
use crate::rest_request::RestRequest;
use crate::rest_response::RestResponse;
use crate::router::RouteSpec;
use quarry_cluster::voting_config_exclusions::AddVotingConfigExclusionsRequest;
use quarry_cluster::{HealthLevel, IndicesOptions};
use quarry_node::action::cluster_admin::{
    parse_health_level, parse_wait_for_events, parse_wait_for_status, HealthRequest,
    WaitForActiveShards,
};
use quarry_node::Node;
use quarry_types::time_value::parse_time_value;
use quarry_types::EsError;
use std::sync::Arc;
use std::time::Duration;

pub const INFO: RouteSpec = RouteSpec {
    handler: handler!(info),
    params: &[],
};
pub const PING: RouteSpec = RouteSpec {
    handler: handler!(ping),
    params: &[],
};
pub const HEALTH: RouteSpec = RouteSpec {
    handler: handler!(health),
    params: &[
        "level",
        "local",
        "master_timeout",
        "timeout",
        "wait_for_active_shards",
        "wait_for_nodes",
        "wait_for_events",
        "wait_for_no_relocating_shards",
        "wait_for_no_initializing_shards",
        "wait_for_status",
        "expand_wildcards",
        "ignore_unavailable",
        "allow_no_indices",
        "wait_for_relocating_shards",
        "return_200_for_cluster_health_timeout",
    ],
};
pub const STATE: RouteSpec = RouteSpec {
    handler: handler!(state),
    params: &[
        "local",
        "master_timeout",
        "flat_settings",
        "wait_for_metadata_version",
        "wait_for_timeout",
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
    ],
};
pub const GET_SETTINGS: RouteSpec = RouteSpec {
    handler: handler!(get_settings),
    params: &[
        "flat_settings",
        "master_timeout",
        "timeout",
        "include_defaults",
        "local",
    ],
};
pub const PUT_SETTINGS: RouteSpec = RouteSpec {
    handler: handler!(put_settings),
    params: &["flat_settings", "master_timeout", "timeout"],
};
pub const NODES_INFO: RouteSpec = RouteSpec {
    handler: handler!(nodes_info),
    params: &["flat_settings", "timeout"],
};
pub const NODES_STATS: RouteSpec = RouteSpec {
    handler: handler!(nodes_stats),
    params: &[
        "completion_fields",
        "fielddata_fields",
        "fields",
        "groups",
        "level",
        "types",
        "timeout",
        "include_segment_file_sizes",
        "include_unloaded_segments",
    ],
};

pub const PENDING_TASKS: RouteSpec = RouteSpec {
    handler: handler!(pending_tasks),
    params: &["local", "master_timeout"],
};
pub const ADD_VOTING_CONFIG_EXCLUSIONS: RouteSpec = RouteSpec {
    handler: handler!(add_voting_config_exclusions),
    params: &["node_ids", "node_names", "timeout", "master_timeout"],
};
pub const CLEAR_VOTING_CONFIG_EXCLUSIONS: RouteSpec = RouteSpec {
    handler: handler!(clear_voting_config_exclusions),
    params: &["wait_for_removal", "master_timeout"],
};

/// How long the voting-exclusion requests wait (Elasticsearch's default; `DELETE` has no
/// parameter for it).
const VOTING_CONFIG_EXCLUSIONS_TIMEOUT: Duration = Duration::from_secs(30);

async fn info(node: Arc<Node>, _req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(node.info()))
}

async fn ping(_node: Arc<Node>, _req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::empty(200))
}

fn timeout_param(req: &RestRequest, key: &str, default: Duration) -> Result<Duration, EsError> {
    match req.param(key) {
        None => Ok(default),
        Some(v) => Ok(parse_time_value(v)
            .map_err(EsError::illegal_argument)?
            .unwrap_or(default)),
    }
}

async fn health(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let level = req
        .param("level")
        .map(parse_health_level)
        .transpose()?
        .unwrap_or(HealthLevel::Cluster);
    if req.param("wait_for_relocating_shards").is_some() {
        return Err(EsError::illegal_argument(
            "wait_for_relocating_shards has been removed, use wait_for_no_relocating_shards [true/false] instead",
        ));
    }
    if let Some(events) = req.param("wait_for_events") {
        parse_wait_for_events(events)?;
    }
    let r = node
        .cluster_health(HealthRequest {
            indices: req.path_list("index"),
            indices_params: indices_params(&req),
            level,
            wait_for_status: req
                .param("wait_for_status")
                .map(parse_wait_for_status)
                .transpose()?,
            wait_for_nodes: req.param("wait_for_nodes").map(String::from),
            wait_for_active_shards: req
                .param("wait_for_active_shards")
                .map(WaitForActiveShards::parse)
                .transpose()?
                .unwrap_or_default(),
            wait_for_no_relocating_shards: req.flag("wait_for_no_relocating_shards", false)?,
            wait_for_no_initializing_shards: req.flag("wait_for_no_initializing_shards", false)?,
            timeout: timeout_param(&req, "timeout", Duration::from_secs(30))?,
        })
        .await?;
    let status = if r.status == 408 && req.flag("return_200_for_cluster_health_timeout", false)? {
        200
    } else {
        r.status
    };
    Ok(RestResponse::json(status, r.body))
}

async fn state(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let options = IndicesOptions::lenient_expand_open().with_params(
        req.param("ignore_unavailable"),
        req.param("allow_no_indices"),
        req.param("expand_wildcards"),
    )?;
    Ok(RestResponse::ok(node.cluster_state(
        &req.path_list("metric"),
        &req.path_list("index"),
        options,
    )?))
}

async fn get_settings(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(node.get_cluster_settings(
        req.flag("flat_settings", false)?,
        req.flag("include_defaults", false)?,
    )))
}

async fn put_settings(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    Ok(RestResponse::ok(node.put_cluster_settings(&body).await?))
}

async fn nodes_info(node: Arc<Node>, _req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(node.nodes_info()))
}

async fn nodes_stats(node: Arc<Node>, _req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(node.nodes_stats()))
}

async fn pending_tasks(node: Arc<Node>, _req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(node.pending_cluster_tasks()))
}

/// `POST /_cluster/voting_config_exclusions?node_names=..|node_ids=..&timeout=..`: an empty
/// 200 once the nodes are out of the voting configuration.
async fn add_voting_config_exclusions(
    node: Arc<Node>,
    req: RestRequest,
) -> Result<RestResponse, EsError> {
    let request = AddVotingConfigExclusionsRequest::new(
        super::split(req.param("node_ids")),
        super::split(req.param("node_names")),
    )?;
    if let Some(t) = req.param("timeout").filter(|t| t.trim().starts_with('-')) {
        return Err(EsError::illegal_argument(format!(
            "timeout [{t}] must be non-negative"
        )));
    }
    let timeout = timeout_param(&req, "timeout", VOTING_CONFIG_EXCLUSIONS_TIMEOUT)?;
    node.add_voting_config_exclusions(request, timeout).await?;
    Ok(RestResponse::empty(200))
}

/// `DELETE /_cluster/voting_config_exclusions[?wait_for_removal=false]`.
async fn clear_voting_config_exclusions(
    node: Arc<Node>,
    req: RestRequest,
) -> Result<RestResponse, EsError> {
    let wait_for_removal = req.flag("wait_for_removal", true)?;
    node.clear_voting_config_exclusions(wait_for_removal, VOTING_CONFIG_EXCLUSIONS_TIMEOUT)
        .await?;
    Ok(RestResponse::empty(200))
}
