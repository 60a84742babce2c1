//! `_cat` endpoints: the node supplies rows keyed by column name; the table renderer in
//! `crate::format::cat_table` selects (`h`), sorts (`s`), labels (`v`) and formats them
//! (text, or `format=json`).

use super::indices_params;
use crate::format::cat_table::{bytes_value, millis_value, render, CatColumn, CatParams};
use crate::handler;
use crate::rest_request::RestRequest;
use crate::rest_response::RestResponse;
use crate::router::RouteSpec;
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

const fn col(
    name: &'static str,
    aliases: &'static [&'static str],
    default: bool,
    align_right: bool,
) -> CatColumn {
    let c = CatColumn::new(name, aliases, "");
    let c = if align_right { c.right() } else { c };
    if default {
        c
    } else {
        c.hidden()
    }
}

const fn bytes_col(
    name: &'static str,
    aliases: &'static [&'static str],
    default: bool,
) -> CatColumn {
    col(name, aliases, default, true)
}

/// Columns holding byte counts: rendered human-readable unless `bytes=` fixes the unit.
const BYTE_COLUMNS: &[&str] = &[
    "store.size",
    "pri.store.size",
    "dataset.size",
    "store",
    "dataset",
    "disk.total",
    "disk.used",
    "disk.avail",
    "heap.current",
    "heap.max",
    "ram.current",
    "ram.max",
];
/// Columns holding durations in milliseconds.
const MILLIS_COLUMNS: &[&str] = &["uptime"];

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

const HEALTH_COLS: &[CatColumn] = &[
    col("epoch", &["t", "time"], true, true),
    col("timestamp", &["ts", "hms", "hhmmss"], true, false),
    col("cluster", &["cl"], true, false),
    col("status", &["st"], true, false),
    col("node.total", &["nt", "nodeTotal"], true, true),
    col("node.data", &["nd", "nodeData"], true, true),
    col(
        "shards",
        &["t", "sh", "shards.total", "shardsTotal"],
        true,
        true,
    ),
    col("pri", &["p", "shards.primary", "shardsPrimary"], true, true),
    col(
        "relo",
        &["r", "shards.relocating", "shardsRelocating"],
        true,
        true,
    ),
    col(
        "init",
        &["i", "shards.initializing", "shardsInitializing"],
        true,
        true,
    ),
    col(
        "unassign",
        &["u", "shards.unassigned", "shardsUnassigned"],
        true,
        true,
    ),
    col(
        "unassign.pri",
        &["up", "shards.unassigned.primary"],
        true,
        true,
    ),
    col("pending_tasks", &["pt", "pendingTasks"], true, true),
    col(
        "max_task_wait_time",
        &["mtwt", "maxTaskWaitTime"],
        true,
        true,
    ),
    col(
        "active_shards_percent",
        &["asp", "activeShardsPercent"],
        true,
        true,
    ),
];

const INDICES_COLS: &[CatColumn] = &[
    col("health", &["h"], true, false),
    col("status", &["s"], true, false),
    col("index", &["i", "idx"], true, false),
    col("uuid", &["id", "uuid"], true, false),
    col("pri", &["p", "shards.primary", "shardsPrimary"], true, true),
    col("rep", &["r", "shards.replica", "shardsReplica"], true, true),
    col("docs.count", &["dc", "docsCount"], true, true),
    col("docs.deleted", &["dd", "docsDeleted"], true, true),
    bytes_col("store.size", &["ss", "storeSize"], true),
    bytes_col("pri.store.size", &[], true),
    bytes_col("dataset.size", &[], true),
    col("creation.date", &["cd"], false, true),
    col("creation.date.string", &["cds"], false, false),
];

const SHARDS_COLS: &[CatColumn] = &[
    col("index", &["i", "idx"], true, false),
    col("shard", &["s", "sh"], true, true),
    col("prirep", &["p", "pr", "primaryOrReplica"], true, false),
    col("state", &["st"], true, false),
    col("docs", &["d", "dc"], true, true),
    bytes_col("store", &["sto"], true),
    bytes_col("dataset", &[], true),
    col("ip", &[], true, false),
    col("id", &[], false, false),
    col("node", &["n"], true, false),
    col("unassigned.reason", &["ur"], false, false),
    col("sync_id", &[], false, false),
];

const NODES_COLS: &[CatColumn] = &[
    col("ip", &["i"], true, false),
    col("heap.percent", &["hp", "heapPercent"], true, true),
    col("ram.percent", &["rp", "ramPercent"], true, true),
    col("cpu", &[], true, true),
    col("load_1m", &["l"], true, true),
    col("load_5m", &["l"], true, true),
    col("load_15m", &["l"], true, true),
    col("node.role", &["r", "role", "nodeRole"], true, false),
    col("master", &["m"], true, false),
    col("name", &["n"], true, false),
    col("id", &["nodeId"], false, false),
    col("pid", &["p"], false, true),
    col("port", &["po"], false, true),
    col("http_address", &["http"], false, false),
    col("version", &["v"], false, false),
    bytes_col("disk.total", &["dt", "diskTotal"], false),
    bytes_col("disk.used", &["du", "diskUsed"], false),
    bytes_col("disk.avail", &["d", "da", "disk", "diskAvail"], false),
    col(
        "disk.used_percent",
        &["dup", "diskUsedPercent"],
        false,
        true,
    ),
    bytes_col("heap.current", &["hc", "heapCurrent"], false),
    bytes_col("heap.max", &["hm", "heapMax"], false),
    bytes_col("ram.current", &["rc", "ramCurrent"], false),
    bytes_col("ram.max", &["rm", "ramMax"], false),
    col(
        "file_desc.current",
        &["fdc", "fileDescriptorCurrent"],
        false,
        true,
    ),
    col("file_desc.max", &["fdm", "fileDescriptorMax"], false, true),
    col("uptime", &["u"], false, true),
];

const COUNT_COLS: &[CatColumn] = &[
    col("epoch", &["t", "time"], true, true),
    col("timestamp", &["ts", "hms", "hhmmss"], true, false),
    col("count", &["dc", "docs.count", "docsCount"], true, true),
];

const ALIASES_COLS: &[CatColumn] = &[
    col("alias", &["a"], true, false),
    col("index", &["i", "idx"], true, false),
    col("filter", &["f", "fi"], true, false),
    col("routing.index", &["ri", "routingIndex"], true, false),
    col("routing.search", &["rs", "routingSearch"], true, false),
    col("is_write_index", &["w", "isWriteIndex"], true, false),
];

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
    let text = "=^.^=\n/_cat/health\n/_cat/indices\n/_cat/indices/{index}\n/_cat/shards\n/_cat/shards/{index}\n/_cat/nodes\n/_cat/count\n/_cat/count/{index}\n/_cat/aliases\n/_cat/aliases/{alias}\n";
    Ok(RestResponse::text(
        200,
        text.to_string(),
        "text/plain; charset=UTF-8",
    ))
}

async fn health(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    table(&req, &node.cat_health_rows(), HEALTH_COLS)
}

async fn indices(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let rows = node.cat_indices_rows(&req.path_list("index"), &indices_params(&req))?;
    table(&req, &rows, INDICES_COLS)
}

async fn shards(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    let rows = node.cat_shards_rows(&req.path_list("index"), &indices_params(&req))?;
    table(&req, &rows, SHARDS_COLS)
}

async fn nodes(node: Arc<Node>, req: RestRequest) -> Result<RestResponse, EsError> {
    table(&req, &node.cat_nodes_rows(), NODES_COLS)
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
    let mut row = node.cat_health_rows().pop().unwrap_or_default();
    row.retain(|k, _| k == "epoch" || k == "timestamp");
    row.insert("count".into(), v["count"].clone());
    table(&req, &[row], COUNT_COLS)
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
    table(&req, &rows, ALIASES_COLS)
}
