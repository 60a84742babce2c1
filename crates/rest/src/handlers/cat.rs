//! `_cat` endpoints: the node supplies rows keyed by column name; the table renderer in
//! `crate::format::cat_table` selects (`h`), sorts (`s`), labels (`v`) and formats them
//! (text, or `format=json`). The column tables are in `cat_columns`.

#[path = "cat_columns.rs"]
mod cat_columns;

use super::indices_params;
use crate::format::cat_table::{bytes_value, millis_value, render, CatColumn, CatParams};
use crate::handler;
use crate::rest_request::RestRequest;
use crate::rest_response::RestResponse;
use crate::router::RouteSpec;
use cat_columns::{BYTE_COLUMNS, MILLIS_COLUMNS};
use quarry_cluster::HealthStatus;
use quarry_node::action::cat::timestamp_cells;
use quarry_node::Node;
use quarry_types::EsError;
use serde_json::{Map, Value};
use std::sync::Arc;

const CAT: &[&str] = &[
    "format",
    "h",
    "help",
    "s",
    "v",
    "local",
    "master_timeout",
    "bytes",
    "time",
    "ts",
    "pri",
    "health",
    "expand_wildcards",
    "include_unloaded_segments",
    "full_id",
    "include_bootstrap",
    "ignore_unavailable",
    "allow_no_indices",
];
pub const HELP: RouteSpec = RouteSpec {
    handler: handler!(help),
    params: CAT,
};
pub const HEALTH: RouteSpec = RouteSpec {
    handler: handler!(health),
    params: CAT,
};
pub const INDICES: RouteSpec = RouteSpec {
    handler: handler!(indices),
    params: CAT,
};
pub const SHARDS: RouteSpec = RouteSpec {
    handler: handler!(shards),
    params: CAT,
};
pub const NODES: RouteSpec = RouteSpec {
    handler: handler!(nodes),
    params: CAT,
};
pub const COUNT: RouteSpec = RouteSpec {
    handler: handler!(count),
    params: CAT,
};
pub const ALIASES: RouteSpec = RouteSpec {
    handler: handler!(aliases),
    params: CAT,
};
pub const MASTER: RouteSpec = RouteSpec {
    handler: handler!(master),
    params: CAT,
};
pub const ALLOCATION: RouteSpec = RouteSpec {
    handler: handler!(allocation),
    params: CAT,
};
pub const NODEATTRS: RouteSpec = RouteSpec {
    handler: handler!(nodeattrs),
    params: CAT,
};
pub const PENDING_TASKS: RouteSpec = RouteSpec {
    handler: handler!(pending_tasks),
    params: CAT,
};

fn type_cells(rows: &[Map<String, Value>]) -> Vec<Map<String, Value>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|(k, v)| {
                    let typed = match v.as_i64() {
                        Some(n) if BYTE_COLUMNS.contains(&k.as_str()) => bytes_value(n),
                        Some(n) if MILLIS_COLUMNS.contains(&k.as_str()) => millis_value(n),
                        _ => v.clone(),
                    };
                    (k.clone(), typed)
                })
                .collect()
        })
        .collect()
}

/// `_cat/indices?health=`: `ClusterHealthStatus.fromString`, case-insensitive.
pub fn parse_health_filter(text: &str) -> Result<HealthStatus, EsError> {
    HealthStatus::parse(&text.to_ascii_lowercase())
        .ok_or_else(|| EsError::illegal_argument(format!("unknown cluster health status [{text}]")))
}

fn cat_params(req: &RestRequest) -> Result<CatParams, EsError> {
    CatParams::from_params(
        req.params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        None,
    )
}

fn table(
    req: &RestRequest,
    rows: &[Map<String, Value>],
    cols: &[CatColumn],
) -> Result<RestResponse, EsError> {
    let (body, content_type) = render(&type_cells(rows), cols, &cat_params(req)?)?;
    Ok(RestResponse::text(200, body, content_type))
}

async fn help(_node: Arc<Node>, _req: RestRequest) -> Result<RestResponse, EsError> {
    let text = "=^.^=\n/_cat/health\n/_cat/indices\n/_cat/indices/{index}\n/_cat/shards\n/_cat/shards/{index}\n/_cat/nodes\n/_cat/count\n/_cat/count/{index}\n/_cat/aliases\n/_cat/aliases/{alias}\n/_cat/master\n/_cat/nodeattrs\n/_cat/allocation\n/_cat/pending_tasks\n";
    Ok(RestResponse::text(
        200,
        text.to_string(),
        "text/plain; charset=UTF-8",
    ))
}

async fn health(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    table(&req, &node.cat_health_rows(), cat_columns::HEALTH)
}

async fn indices(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let health = req.param("health").map(parse_health_filter).transpose()?;
    let rows = node.cat_indices_rows(&req.path_list("index"), &indices_params(&req), health)?;
    table(&req, &rows, cat_columns::INDICES)
}

async fn shards(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let rows = node.cat_shards_rows(&req.path_list("index"), &indices_params(&req))?;
    table(&req, &rows, cat_columns::SHARDS)
}

async fn nodes(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let full_id = req.flag("full_id", false)?;
    table(&req, &node.cat_nodes_rows(full_id), cat_columns::NODES)
}

async fn count(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let v = node
        .count(
            &req.path_list("index"),
            &indices_params(&req),
            None,
            Default::default(),
        )
        .await?;
    let mut row = timestamp_cells(quarry_node::action::write_path::now_millis());
    row.insert("count".into(), v["count"].clone());
    table(&req, &[row], cat_columns::COUNT)
}

async fn aliases(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let names = req.path_list("name");
    let resp = node.get_aliases(&[], &names, &Default::default())?;
    let mut rows = Vec::new();
    if let Value::Object(indices) = &resp.body {
        for (index, v) in indices {
            if let Some(Value::Object(aliases)) = v.get("aliases") {
                for (alias, a) in aliases {
                    let mut row = Map::new();
                    row.insert("alias".into(), Value::String(alias.clone()));
                    row.insert("index".into(), Value::String(index.clone()));
                    row.insert(
                        "filter".into(),
                        Value::String(if a.get("filter").is_some() { "*" } else { "-" }.into()),
                    );
                    row.insert(
                        "routing.index".into(),
                        a.get("index_routing")
                            .cloned()
                            .unwrap_or(Value::String("-".into())),
                    );
                    row.insert(
                        "routing.search".into(),
                        a.get("search_routing")
                            .cloned()
                            .unwrap_or(Value::String("-".into())),
                    );
                    row.insert(
                        "is_write_index".into(),
                        a.get("is_write_index")
                            .map(|v| Value::String(v.to_string()))
                            .unwrap_or(Value::String("-".into())),
                    );
                    rows.push(row);
                }
            }
        }
    }
    table(&req, &rows, cat_columns::ALIASES)
}

async fn master(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    table(&req, &node.cat_master_rows(), cat_columns::MASTER)
}

async fn allocation(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let rows = node.cat_allocation_rows(&req.path_list("node_id"))?;
    table(&req, &rows, cat_columns::ALLOCATION)
}

async fn nodeattrs(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let full_id = req.flag("full_id", false)?;
    table(
        &req,
        &node.cat_nodeattrs_rows(full_id),
        cat_columns::NODEATTRS,
    )
}

async fn pending_tasks(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    table(
        &req,
        &node.cat_pending_tasks_rows(),
        cat_columns::PENDING_TASKS,
    )
}
