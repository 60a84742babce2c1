//! `POST /_cluster/reroute` and `GET|POST /_cluster/allocation/explain` handlers: query
//! parameters and bodies in, the node's answer out.

use crate::handler;
use crate::rest_request::RestRequest;
use crate::rest_response::RestResponse;
use crate::router::RouteSpec;
use quarry_cluster::allocation::commands::parse_reroute_body;
use quarry_cluster::allocation::explain::ExplainRequest;
use quarry_node::action::cluster_reroute::RerouteRequest;
use quarry_node::Node;
use quarry_types::time_value::parse_time_value;
use quarry_types::EsError;
use std::sync::Arc;

pub const REROUTE: RouteSpec = RouteSpec {
    handler: handler!(reroute),
    params: &[
        "dry_run",
        "explain",
        "retry_failed",
        "metric",
        "master_timeout",
        "timeout",
    ],
};
pub const ALLOCATION_EXPLAIN: RouteSpec = RouteSpec {
    handler: handler!(allocation_explain),
    params: &[
        "include_yes_decisions",
        "include_disk_info",
        "master_timeout",
    ],
};

/// Time parameters Quarry accepts but does not wait on (the change is applied before the
/// answer): still rejected when malformed, as Elasticsearch does.
fn check_time_params(req: &RestRequest, keys: &[&str]) -> Result<(), EsError> {
    for key in keys {
        if let Some(v) = req.param(key) {
            parse_time_value(v).map_err(EsError::illegal_argument)?;
        }
    }
    Ok(())
}

async fn reroute(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    check_time_params(&req, &["master_timeout", "timeout"])?;
    let mut request = RerouteRequest {
        dry_run: req.flag("dry_run", false)?,
        explain: req.flag("explain", false)?,
        retry_failed: req.flag("retry_failed", false)?,
        metrics: req.param("metric").map(|m| super::split(Some(m))),
        ..Default::default()
    };
    if let Some(body) = req.json_body()? {
        let (commands, dry_run) = parse_reroute_body(&body)?;
        request.commands = commands;
        if let Some(dry_run) = dry_run {
            request.dry_run = dry_run;
        }
    }
    Ok(RestResponse::ok(node.cluster_reroute(request).await?))
}

async fn allocation_explain(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    check_time_params(&req, &["master_timeout"])?;
    let body = req.json_body()?;
    let request = ExplainRequest::parse(body.as_ref())?;
    Ok(RestResponse::ok(node.allocation_explain(
        request,
        req.flag("include_yes_decisions", false)?,
        req.flag("include_disk_info", false)?,
    )?))
}
