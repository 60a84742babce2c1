//! Document endpoints: index/create, get, `_source`, delete, update, `_mget`, `_bulk`.

use crate::handler;
use crate::rest_request::RestRequest;
use crate::rest_response::RestResponse;
use crate::router::RouteSpec;
use quarry_node::action::bulk::{BulkDefaults, BulkRequest};
use quarry_node::action::document::{check_pipeline, IndexDocRequest, VersionParams};
use quarry_node::action::get_fields::{split_list, GetOptions};
use quarry_node::action::mget::MultiGetRequest;
use quarry_node::action::update::UpdateRequest;
use quarry_node::action::RefreshPolicy;
use quarry_node::Node;
use quarry_search::source_filter::SourceFilter;
use quarry_types::EsError;
use std::sync::Arc;

const WRITE: &[&str] = &[
    "if_seq_no",
    "if_primary_term",
    "op_type",
    "pipeline",
    "refresh",
    "routing",
    "timeout",
    "version",
    "version_type",
    "wait_for_active_shards",
    "require_alias",
    "require_data_stream",
    "include_source_on_error",
];
pub const INDEX: RouteSpec = RouteSpec {
    handler: handler!(index),
    params: WRITE,
};
pub const CREATE: RouteSpec = RouteSpec {
    handler: handler!(create),
    params: WRITE,
};
const READ: &[&str] = &[
    "preference",
    "realtime",
    "refresh",
    "routing",
    "stored_fields",
    "_source",
    "_source_excludes",
    "_source_includes",
    "version",
    "version_type",
];
pub const GET: RouteSpec = RouteSpec {
    handler: handler!(get),
    params: READ,
};
pub const GET_SOURCE: RouteSpec = RouteSpec {
    handler: handler!(get_source),
    params: READ,
};
pub const DELETE: RouteSpec = RouteSpec {
    handler: handler!(delete),
    params: &[
        "if_seq_no",
        "if_primary_term",
        "refresh",
        "routing",
        "timeout",
        "version",
        "version_type",
        "wait_for_active_shards",
    ],
};
pub const UPDATE: RouteSpec = RouteSpec {
    handler: handler!(update),
    params: &[
        "if_seq_no",
        "if_primary_term",
        "lang",
        "refresh",
        "require_alias",
        "retry_on_conflict",
        "routing",
        "timeout",
        "wait_for_active_shards",
        "_source",
        "_source_excludes",
        "_source_includes",
    ],
};
pub const MGET: RouteSpec = RouteSpec {
    handler: handler!(mget),
    params: READ,
};
pub const BULK: RouteSpec = RouteSpec {
    handler: handler!(bulk),
    params: &[
        "pipeline",
        "refresh",
        "routing",
        "timeout",
        "wait_for_active_shards",
        "require_alias",
        "require_data_stream",
        "_source",
        "_source_excludes",
        "_source_includes",
        "list_executed_pipelines",
        "type",
        "include_source_on_error",
    ],
};

fn version_params(req: &RestRequest) -> Result<VersionParams, EsError> {
    Ok(VersionParams {
        if_seq_no: req.i64_param("if_seq_no")?,
        if_primary_term: req.u64_param("if_primary_term")?,
        version: req.i64_param("version")?,
        version_type: req.param("version_type").map(String::from),
    })
}

/// `_source`, `_source_includes`, `_source_excludes` as a filter (`None` = whole source).
pub fn source_filter(req: &RestRequest) -> Result<Option<SourceFilter>, EsError> {
    Ok(SourceFilter::from_params(
        req.param("_source"),
        req.param("_source_includes"),
        req.param("_source_excludes"),
    ))
}

fn index_name(req: &RestRequest) -> String {
    req.path_param("index").unwrap_or_default().to_string()
}

async fn index(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let create = match req.param("op_type") {
        None | Some("index") => false,
        Some("create") => true,
        Some(other) => {
            return Err(EsError::illegal_argument(format!(
                "opType must be 'create' or 'index', found: [{other}]"
            )))
        }
    };
    write(node, req, create).await
}

async fn create(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    write(node, req, true).await
}

async fn write(node: Arc<Node>, req: RestRequest, create: bool) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    check_pipeline(req.param("pipeline"))?;
    if !body.is_object() {
        return Err(EsError::mapper_parsing(
            "failed to parse, document is empty",
        ));
    }
    let r = node
        .index_document(IndexDocRequest {
            index: index_name(&req),
            id: req.path_param("id").map(String::from),
            source: req.body.to_vec(),
            routing: req.param("routing").map(String::from),
            create,
            version: version_params(&req)?,
            refresh: RefreshPolicy::parse(req.param("refresh"))?,
            require_alias: req.flag("require_alias", false)?,
        })
        .await?;
    Ok(r.into())
}

/// `realtime`, `refresh`, `_source*` and `stored_fields` of a get-like request.
fn get_options(req: &RestRequest) -> Result<GetOptions, EsError> {
    Ok(GetOptions {
        realtime: req.flag("realtime", true)?,
        refresh: req.flag("refresh", false)?,
        source_filter: source_filter(req)?,
        stored_fields: req.param("stored_fields").map(split_list),
    })
}

async fn get(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let r = node
        .get_document(
            &index_name(&req),
            req.path_param("id").unwrap_or_default(),
            req.param("routing"),
            get_options(&req)?,
            version_params(&req)?,
        )
        .await?;
    Ok(r.into())
}

async fn get_source(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let r = node
        .get_source(
            &index_name(&req),
            req.path_param("id").unwrap_or_default(),
            req.param("routing"),
            get_options(&req)?,
        )
        .await?;
    Ok(r.into())
}

async fn delete(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let r = node
        .delete_document(
            &index_name(&req),
            req.path_param("id").unwrap_or_default(),
            req.param("routing"),
            version_params(&req)?,
            RefreshPolicy::parse(req.param("refresh"))?,
        )
        .await?;
    Ok(r.into())
}

async fn update(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let body = req.required_json_body()?;
    let mut filter = source_filter(&req)?;
    if filter.is_none() {
        if let Some(v) = body.get("_source") {
            filter = Some(SourceFilter::parse(v)?);
        }
    }
    let r = node
        .update_document(UpdateRequest {
            index: index_name(&req),
            id: req.path_param("id").unwrap_or_default().to_string(),
            body,
            routing: req.param("routing").map(String::from),
            retry_on_conflict: req.u64_param("retry_on_conflict")?.unwrap_or(0) as u32,
            version: version_params(&req)?,
            refresh: RefreshPolicy::parse(req.param("refresh"))?,
            source_filter: filter,
            require_alias: req.flag("require_alias", false)?,
        })
        .await?;
    Ok(r.into())
}

async fn mget(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let r = node
        .multi_get(MultiGetRequest {
            default_index: req.path_param("index").map(String::from),
            body: req.required_json_body()?,
            routing: req.param("routing").map(String::from),
            options: get_options(&req)?,
            error_trace: req.flag("error_trace", false)?,
        })
        .await?;
    Ok(r.into())
}

async fn bulk(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let r = node
        .bulk(BulkRequest {
            body: req.body.clone(),
            defaults: BulkDefaults {
                index: req.path_param("index").map(String::from),
                routing: req.param("routing").map(String::from),
                require_alias: req.flag("require_alias", false)?,
                pipeline: req.param("pipeline").map(String::from),
                source_filter: source_filter(&req)?,
            },
            refresh: RefreshPolicy::parse(req.param("refresh"))?,
            error_trace: req.flag("error_trace", false)?,
        })
        .await?;
    Ok(r.into())
}
