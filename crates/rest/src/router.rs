//! The route table: every Elasticsearch endpoint Quarry serves, with the handler and the query
//! parameters it accepts, plus the dispatch wrapper every request goes through (body limit,
//! parameter check, error envelope, output options).

use crate::handlers::{cat, cluster, cluster_allocation, document, indices, search};
use crate::rest_request::{parse_query, RestRequest};
use crate::rest_response::{render, render_error, OutputOptions, RestResponse};
use axum::body::Body;
use axum::extract::{RawPathParams, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::Response;
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;
use quarry_node::Node;
use quarry_types::EsError;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub type HandlerFuture = Pin<Box<dyn Future<Output = Result<RestResponse, EsError>> + Send>>;
pub type Handler = fn(Arc<Node>, RestRequest) -> HandlerFuture;

/// One endpoint: its handler and the parameters it accepts besides the global ones.
#[derive(Clone, Copy)]
pub struct RouteSpec {
    pub handler: Handler,
    pub params: &'static [&'static str],
}

/// Builds the handler pointer for an `async fn(Arc<Node>, RestRequest) -> Result<RestResponse, EsError>`.
#[macro_export]
macro_rules! handler {
    ($f:path) => {{
        fn h(
            n: std::sync::Arc<quarry_node::Node>,
            r: $crate::rest_request::RestRequest,
        ) -> $crate::router::HandlerFuture {
            Box::pin($f(n, r))
        }
        h as $crate::router::Handler
    }};
}

struct Table {
    routes: BTreeMap<&'static str, Vec<(MethodFilter, RouteSpec)>>,
}

impl Table {
    fn add(&mut self, methods: &[Method], path: &'static str, spec: RouteSpec) {
        for m in methods {
            let filter = MethodFilter::try_from(m.clone()).expect("standard methods only");
            self.routes.entry(path).or_default().push((filter, spec));
        }
    }
}

/// The complete router for a node.
pub fn router(node: Arc<Node>) -> Router {
    let mut t = Table {
        routes: BTreeMap::new(),
    };
    let get = [Method::GET];
    let head = [Method::HEAD];
    let put = [Method::PUT];
    let post = [Method::POST];
    let del = [Method::DELETE];
    let get_post = [Method::GET, Method::POST];
    let put_post = [Method::PUT, Method::POST];

    t.add(&get, "/", cluster::INFO);
    t.add(&head, "/", cluster::PING);
    // cluster
    t.add(&get, "/_cluster/health", cluster::HEALTH);
    t.add(&get, "/_cluster/health/{index}", cluster::HEALTH);
    t.add(&get, "/_cluster/state", cluster::STATE);
    t.add(&get, "/_cluster/state/{metric}", cluster::STATE);
    t.add(&get, "/_cluster/state/{metric}/{index}", cluster::STATE);
    t.add(&get, "/_cluster/settings", cluster::GET_SETTINGS);
    t.add(&put, "/_cluster/settings", cluster::PUT_SETTINGS);
    t.add(&get, "/_cluster/pending_tasks", cluster::PENDING_TASKS);
    t.add(&post, "/_cluster/reroute", cluster_allocation::REROUTE);
    t.add(
        &get_post,
        "/_cluster/allocation/explain",
        cluster_allocation::ALLOCATION_EXPLAIN,
    );
    t.add(
        &post,
        "/_cluster/voting_config_exclusions",
        cluster::ADD_VOTING_CONFIG_EXCLUSIONS,
    );
    t.add(
        &del,
        "/_cluster/voting_config_exclusions",
        cluster::CLEAR_VOTING_CONFIG_EXCLUSIONS,
    );
    t.add(&get, "/_nodes", cluster::NODES_INFO);
    t.add(&get, "/_nodes/stats", cluster::NODES_STATS);
    t.add(&get, "/_nodes/stats/{metric}", cluster::NODES_STATS);
    t.add(
        &get,
        "/_nodes/stats/{metric}/{index_metric}",
        cluster::NODES_STATS,
    );
    t.add(&get, "/_nodes/{node_id}/stats", cluster::NODES_STATS);
    t.add(
        &get,
        "/_nodes/{node_id}/stats/{metric}",
        cluster::NODES_STATS,
    );
    t.add(&get, "/_nodes/{node_id}", cluster::NODES_INFO);
    t.add(&get, "/_nodes/{node_id}/{metric}", cluster::NODES_INFO);
    // cat
    t.add(&get, "/_cat", cat::HELP);
    t.add(&get, "/_cat/health", cat::HEALTH);
    t.add(&get, "/_cat/indices", cat::INDICES);
    t.add(&get, "/_cat/indices/{index}", cat::INDICES);
    t.add(&get, "/_cat/shards", cat::SHARDS);
    t.add(&get, "/_cat/shards/{index}", cat::SHARDS);
    t.add(&get, "/_cat/nodes", cat::NODES);
    t.add(&get, "/_cat/count", cat::COUNT);
    t.add(&get, "/_cat/count/{index}", cat::COUNT);
    t.add(&get, "/_cat/aliases", cat::ALIASES);
    t.add(&get, "/_cat/aliases/{name}", cat::ALIASES);
    t.add(&get, "/_cat/master", cat::MASTER);
    // OpenSearch's name for the same table.
    t.add(&get, "/_cat/cluster_manager", cat::MASTER);
    t.add(&get, "/_cat/nodeattrs", cat::NODEATTRS);
    t.add(&get, "/_cat/allocation", cat::ALLOCATION);
    t.add(&get, "/_cat/allocation/{node_id}", cat::ALLOCATION);
    t.add(&get, "/_cat/pending_tasks", cat::PENDING_TASKS);
    // templates and aliases
    t.add(&put_post, "/_index_template/{name}", indices::PUT_TEMPLATE);
    t.add(&get, "/_index_template", indices::GET_TEMPLATE);
    t.add(&get, "/_index_template/{name}", indices::GET_TEMPLATE);
    t.add(&head, "/_index_template/{name}", indices::GET_TEMPLATE);
    t.add(&del, "/_index_template/{name}", indices::DELETE_TEMPLATE);
    t.add(
        &put_post,
        "/_component_template/{name}",
        indices::PUT_COMPONENT,
    );
    t.add(&get, "/_component_template", indices::GET_COMPONENT);
    t.add(&get, "/_component_template/{name}", indices::GET_COMPONENT);
    t.add(
        &del,
        "/_component_template/{name}",
        indices::DELETE_COMPONENT,
    );
    t.add(&post, "/_aliases", indices::UPDATE_ALIASES);
    t.add(&get, "/_alias", indices::GET_ALIAS);
    t.add(&get, "/_aliases", indices::GET_ALIAS);
    t.add(&get, "/_alias/{name}", indices::GET_ALIAS);
    t.add(&head, "/_alias/{name}", indices::GET_ALIAS);
    t.add(&get, "/{index}/_alias", indices::GET_ALIAS);
    t.add(&get, "/{index}/_aliases", indices::GET_ALIAS);
    t.add(&get, "/{index}/_alias/{name}", indices::GET_ALIAS);
    t.add(&head, "/{index}/_alias/{name}", indices::GET_ALIAS);
    t.add(&put_post, "/{index}/_alias/{name}", indices::PUT_ALIAS);
    t.add(&put_post, "/{index}/_aliases/{name}", indices::PUT_ALIAS);
    t.add(&put_post, "/_alias/{name}", indices::PUT_ALIAS);
    t.add(&put_post, "/_aliases/{name}", indices::PUT_ALIAS);
    t.add(&put, "/{index}/_alias", indices::PUT_ALIAS);
    t.add(&put, "/{index}/_aliases", indices::PUT_ALIAS);
    t.add(&put, "/_alias", indices::PUT_ALIAS);
    t.add(&del, "/{index}/_alias/{name}", indices::DELETE_ALIAS);
    t.add(&del, "/{index}/_aliases/{name}", indices::DELETE_ALIAS);
    // indices
    t.add(&put, "/{index}", indices::CREATE);
    t.add(&del, "/{index}", indices::DELETE);
    t.add(&get, "/{index}", indices::GET);
    t.add(&head, "/{index}", indices::EXISTS);
    t.add(&get, "/_mapping", indices::GET_MAPPING);
    t.add(&get, "/{index}/_mapping", indices::GET_MAPPING);
    t.add(&put_post, "/{index}/_mapping", indices::PUT_MAPPING);
    t.add(&get, "/_settings", indices::GET_SETTINGS);
    t.add(&get, "/_settings/{name}", indices::GET_SETTINGS);
    t.add(&get, "/{index}/_settings", indices::GET_SETTINGS);
    t.add(&get, "/{index}/_settings/{name}", indices::GET_SETTINGS);
    t.add(&put, "/_settings", indices::PUT_SETTINGS);
    t.add(&put, "/{index}/_settings", indices::PUT_SETTINGS);
    t.add(&post, "/{index}/_open", indices::OPEN);
    t.add(&post, "/{index}/_close", indices::CLOSE);
    t.add(&get_post, "/_refresh", indices::REFRESH);
    t.add(&get_post, "/{index}/_refresh", indices::REFRESH);
    t.add(&get_post, "/_flush", indices::FLUSH);
    t.add(&get_post, "/{index}/_flush", indices::FLUSH);
    t.add(&post, "/_forcemerge", indices::FORCEMERGE);
    t.add(&post, "/{index}/_forcemerge", indices::FORCEMERGE);
    t.add(&get, "/_stats", indices::STATS);
    t.add(&get, "/_stats/{metric}", indices::STATS);
    t.add(&get, "/{index}/_stats", indices::STATS);
    t.add(&get, "/{index}/_stats/{metric}", indices::STATS);
    // documents
    t.add(&put_post, "/{index}/_doc/{id}", document::INDEX);
    t.add(&post, "/{index}/_doc", document::INDEX);
    t.add(&put_post, "/{index}/_create/{id}", document::CREATE);
    t.add(&get, "/{index}/_doc/{id}", document::GET);
    t.add(&head, "/{index}/_doc/{id}", document::GET);
    t.add(&get, "/{index}/_source/{id}", document::GET_SOURCE);
    t.add(&head, "/{index}/_source/{id}", document::GET_SOURCE);
    t.add(&del, "/{index}/_doc/{id}", document::DELETE);
    t.add(&post, "/{index}/_update/{id}", document::UPDATE);
    t.add(&get_post, "/_mget", document::MGET);
    t.add(&get_post, "/{index}/_mget", document::MGET);
    t.add(&put_post, "/_bulk", document::BULK);
    t.add(&put_post, "/{index}/_bulk", document::BULK);
    // search
    t.add(&get_post, "/_search", search::SEARCH);
    t.add(&get_post, "/{index}/_search", search::SEARCH);
    t.add(&get_post, "/_count", search::COUNT);
    t.add(&get_post, "/{index}/_count", search::COUNT);
    t.add(&post, "/{index}/_delete_by_query", search::DELETE_BY_QUERY);
    t.add(&post, "/{index}/_update_by_query", search::UPDATE_BY_QUERY);
    t.add(&post, "/_reindex", search::REINDEX);

    let mut app = Router::new();
    for (path, entries) in t.routes {
        let mut mr: MethodRouter<Arc<Node>> = MethodRouter::new();
        for (filter, spec) in entries {
            mr = mr.on(filter, move |s, m, u, h, p, b| {
                dispatch(spec, s, m, u, h, p, b)
            });
        }
        app = app.route(path, mr);
    }
    app.fallback(no_handler)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(tower_http::decompression::RequestDecompressionLayer::new())
        .layer(tower_http::compression::CompressionLayer::new())
        .with_state(node)
}

async fn no_handler(method: Method, uri: Uri) -> Response {
    let body = serde_json::json!({
        "error": format!("no handler found for uri [{}] and method [{}]", uri.path(), method),
        "status": 400
    });
    let opts = OutputOptions {
        content_type: "application/json".into(),
        ..Default::default()
    };
    render(RestResponse::json(400, body), &opts, method == Method::HEAD)
}

async fn dispatch(
    spec: RouteSpec,
    State(node): State<Arc<Node>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    path_params: RawPathParams,
    body: Body,
) -> Response {
    let params = parse_query(uri.query());
    let opts = OutputOptions::from_request(&params, &headers);
    let head = method == Method::HEAD;
    quarry_node::node_stats::NodeCounters::add(&node.counters.http_requests, 1);
    let limit = node.config.max_content_length;
    let body = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return render_error(&EsError::content_too_long(limit), &opts, head),
    };
    let req = RestRequest {
        method,
        path: uri.path().to_string(),
        path_params: path_params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        params,
        body,
    };
    if let Err(e) = req.check_params(spec.params) {
        return render_error(&e, &opts, head);
    }
    match (spec.handler)(node, req).await {
        Ok(resp) => render(resp, &opts, head),
        Err(e) => render_error(&e, &opts, head),
    }
}
