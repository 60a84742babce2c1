//! Index management endpoints: create/delete/get/exists, mappings, settings, open/close,
//! refresh/flush/forcemerge, stats, aliases and templates.

use super::indices_params;
use crate::handler;
use crate::rest_request::RestRequest;
use crate::rest_response::RestResponse;
use crate::router::RouteSpec;
use quarry_node::Node;
use quarry_types::EsError;
use serde_json::Value;
use std::sync::Arc;

const OPTS: &[&str] = &[
    "ignore_unavailable",
    "allow_no_indices",
    "expand_wildcards",
    "master_timeout",
    "timeout",
    "local",
];
pub const CREATE: RouteSpec = RouteSpec {
    handler: handler!(create),
    params: &[
        "wait_for_active_shards",
        "timeout",
        "master_timeout",
        "include_type_name",
    ],
};
pub const DELETE: RouteSpec = RouteSpec {
    handler: handler!(delete),
    params: OPTS,
};
pub const GET: RouteSpec = RouteSpec {
    handler: handler!(get),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "master_timeout",
        "local",
        "flat_settings",
        "include_defaults",
        "features",
    ],
};
pub const EXISTS: RouteSpec = RouteSpec {
    handler: handler!(exists),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "local",
        "flat_settings",
        "include_defaults",
    ],
};
pub const GET_MAPPING: RouteSpec = RouteSpec {
    handler: handler!(get_mapping),
    params: OPTS,
};
pub const PUT_MAPPING: RouteSpec = RouteSpec {
    handler: handler!(put_mapping),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "master_timeout",
        "timeout",
        "write_index_only",
    ],
};
pub const GET_SETTINGS: RouteSpec = RouteSpec {
    handler: handler!(get_settings),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "master_timeout",
        "local",
        "flat_settings",
        "include_defaults",
    ],
};
pub const PUT_SETTINGS: RouteSpec = RouteSpec {
    handler: handler!(put_settings),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "master_timeout",
        "timeout",
        "flat_settings",
        "preserve_existing",
        "reopen",
    ],
};
pub const OPEN: RouteSpec = RouteSpec {
    handler: handler!(open),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "master_timeout",
        "timeout",
        "wait_for_active_shards",
    ],
};
pub const CLOSE: RouteSpec = RouteSpec {
    handler: handler!(close),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "master_timeout",
        "timeout",
        "wait_for_active_shards",
    ],
};
pub const REFRESH: RouteSpec = RouteSpec {
    handler: handler!(refresh),
    params: &["ignore_unavailable", "allow_no_indices", "expand_wildcards"],
};
pub const FLUSH: RouteSpec = RouteSpec {
    handler: handler!(flush),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "force",
        "wait_if_ongoing",
    ],
};
pub const FORCEMERGE: RouteSpec = RouteSpec {
    handler: handler!(forcemerge),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "flush",
        "max_num_segments",
        "only_expunge_deletes",
        "wait_for_completion",
    ],
};
pub const STATS: RouteSpec = RouteSpec {
    handler: handler!(stats),
    params: &[
        "completion_fields",
        "fielddata_fields",
        "fields",
        "groups",
        "level",
        "include_segment_file_sizes",
        "include_unloaded_segments",
        "forbid_closed_indices",
        "expand_wildcards",
        "ignore_unavailable",
        "allow_no_indices",
    ],
};
pub const UPDATE_ALIASES: RouteSpec = RouteSpec {
    handler: handler!(update_aliases),
    params: &["master_timeout", "timeout"],
};
pub const GET_ALIAS: RouteSpec = RouteSpec {
    handler: handler!(get_alias),
    params: &[
        "ignore_unavailable",
        "allow_no_indices",
        "expand_wildcards",
        "local",
        "master_timeout",
    ],
};
pub const PUT_ALIAS: RouteSpec = RouteSpec {
    handler: handler!(put_alias),
    params: &["master_timeout", "timeout"],
};
pub const DELETE_ALIAS: RouteSpec = RouteSpec {
    handler: handler!(delete_alias),
    params: &["master_timeout", "timeout"],
};
pub const PUT_TEMPLATE: RouteSpec = RouteSpec {
    handler: handler!(put_template),
    params: &["create", "cause", "master_timeout"],
};
pub const GET_TEMPLATE: RouteSpec = RouteSpec {
    handler: handler!(get_template),
    params: &[
        "flat_settings",
        "local",
        "master_timeout",
        "include_defaults",
    ],
};
pub const DELETE_TEMPLATE: RouteSpec = RouteSpec {
    handler: handler!(delete_template),
    params: &["master_timeout", "timeout"],
};
pub const PUT_COMPONENT: RouteSpec = RouteSpec {
    handler: handler!(put_component),
    params: &["create", "master_timeout", "timeout"],
};
pub const GET_COMPONENT: RouteSpec = RouteSpec {
    handler: handler!(get_component),
    params: &[
        "flat_settings",
        "local",
        "master_timeout",
        "include_defaults",
    ],
};
pub const DELETE_COMPONENT: RouteSpec = RouteSpec {
    handler: handler!(delete_component),
    params: &["master_timeout", "timeout"],
};

fn index_list(req: &RestRequest) -> Vec<String> {
    req.path_list("index")
}

async fn create(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.json_body()?.unwrap_or(Value::Null);
    Ok(node
        .create_index(req.path_param("index").unwrap_or_default(), &body)
        .await?
        .into())
}

async fn delete(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(node
        .delete_index(&index_list(&req), &indices_params(&req))
        .await?
        .into())
}

async fn get(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let features = super::split(req.param("features"));
    Ok(RestResponse::ok(node.get_indices(
        &index_list(&req),
        &indices_params(&req),
        req.flag("flat_settings", false)?,
        req.flag("human", false)?,
        &features,
    )?))
}

async fn exists(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::empty(
        if node.index_exists(&index_list(&req), &indices_params(&req)) {
            200
        } else {
            404
        },
    ))
}

async fn get_mapping(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.get_mapping(&index_list(&req), &indices_params(&req))?,
    ))
}

async fn put_mapping(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    Ok(RestResponse::ok(
        node.put_mapping(&index_list(&req), &indices_params(&req), &body)
            .await?,
    ))
}

async fn get_settings(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(node.get_settings(
        &index_list(&req),
        &req.path_list("name"),
        &indices_params(&req),
        req.flag("flat_settings", false)?,
        req.flag("human", false)?,
        req.flag("include_defaults", false)?,
    )?))
}

async fn put_settings(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    Ok(RestResponse::ok(
        node.put_settings(
            &index_list(&req),
            &indices_params(&req),
            &body,
            req.flag("preserve_existing", false)?,
        )
        .await?,
    ))
}

async fn open(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.open_close(&index_list(&req), &indices_params(&req), true)
            .await?,
    ))
}

async fn close(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.open_close(&index_list(&req), &indices_params(&req), false)
            .await?,
    ))
}

async fn refresh(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.refresh_indices(&index_list(&req), &indices_params(&req))
            .await?,
    ))
}

async fn flush(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    quarry_node::action::admin_index::validate_flush(
        req.flag("force", false)?,
        req.flag("wait_if_ongoing", true)?,
    )?;
    Ok(RestResponse::ok(
        node.flush_indices(&index_list(&req), &indices_params(&req))
            .await?,
    ))
}

async fn forcemerge(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let max = req.u64_param("max_num_segments")?.map(|v| v as usize);
    let expunge = req.flag("only_expunge_deletes", false)?;
    Ok(RestResponse::ok(
        node.force_merge(&index_list(&req), &indices_params(&req), max, expunge)
            .await?,
    ))
}

async fn stats(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let level = req.param("level").unwrap_or("indices");
    if !matches!(level, "cluster" | "indices" | "shards") {
        return Err(EsError::illegal_argument(format!(
            "level parameter must be one of [cluster] or [indices] or [shards] but was [{level}]"
        )));
    }
    let request = quarry_node::action::stats::IndexStatsRequest {
        metrics: req.path_list("metric"),
        level: level.to_string(),
        groups: super::split(req.param("groups")),
        include_unloaded_segments: req.flag("include_unloaded_segments", false)?,
        path: req.path.clone(),
    };
    Ok(RestResponse::ok(node.index_stats(
        &index_list(&req),
        &request,
        &indices_params(&req),
    )?))
}

async fn update_aliases(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    Ok(RestResponse::ok(node.update_aliases(&body).await?))
}

async fn get_alias(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(node
        .get_aliases(
            &index_list(&req),
            &req.path_list("name"),
            &indices_params(&req),
        )?
        .into())
}

async fn put_alias(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.json_body()?.unwrap_or(Value::Null);
    Ok(RestResponse::ok(
        node.put_alias(&index_list(&req), &req.path_list("name"), &body)
            .await?,
    ))
}

async fn delete_alias(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.delete_alias(&index_list(&req), &req.path_list("name"))
            .await?,
    ))
}

async fn put_template(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    let create = req.flag("create", false)?;
    Ok(RestResponse::ok(
        node.put_index_template(req.path_param("name").unwrap_or_default(), &body, create)
            .await?,
    ))
}

async fn get_template(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.get_index_templates(req.path_param("name"))?,
    ))
}

async fn delete_template(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.delete_index_template(req.path_param("name").unwrap_or_default())
            .await?,
    ))
}

async fn put_component(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    let create = req.flag("create", false)?;
    Ok(RestResponse::ok(
        node.put_component_template(req.path_param("name").unwrap_or_default(), &body, create)
            .await?,
    ))
}

async fn get_component(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.get_component_templates(req.path_param("name"))?,
    ))
}

async fn delete_component(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    Ok(RestResponse::ok(
        node.delete_component_template(req.path_param("name").unwrap_or_default())
            .await?,
    ))
}
