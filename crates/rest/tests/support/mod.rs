//! Drives the router in-process: a real node on a temporary data path, requests sent through
//! `tower::ServiceExt::oneshot`, no sockets.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use quarry_node::{Node, NodeConfig};
use serde_json::Value;
use tower::ServiceExt;

pub struct TestNode {
    pub router: Router,
    /// Kept so the node outlives the router handle in tests that restart it.
    pub node: std::sync::Arc<Node>,
    pub dir: tempfile::TempDir,
}

pub async fn start() -> TestNode {
    let dir = tempfile::tempdir().expect("temp dir");
    start_in(dir).await
}

pub async fn start_in(dir: tempfile::TempDir) -> TestNode {
    let node = Node::start(NodeConfig::for_test(dir.path().to_path_buf()))
        .await
        .expect("node starts");
    TestNode {
        router: quarry_rest::router(node.clone()),
        node,
        dir,
    }
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

impl TestNode {
    pub async fn call(&self, method: &str, uri: &str, body: Option<&str>) -> Reply {
        self.call_with(method, uri, body, "application/json").await
    }

    pub async fn call_with(
        &self,
        method: &str,
        uri: &str,
        body: Option<&str>,
        content_type: &str,
    ) -> Reply {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header("content-type", content_type)
            .body(
                body.map(|b| Body::from(b.to_string()))
                    .unwrap_or_else(Body::empty),
            )
            .expect("request");
        let resp = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("router answers");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .expect("body");
        Reply {
            status,
            headers,
            text: String::from_utf8_lossy(&bytes).to_string(),
        }
    }

    pub async fn json(&self, method: &str, uri: &str, body: Option<Value>) -> (u16, Value) {
        let text = body.map(|b| b.to_string());
        let r = self.call(method, uri, text.as_deref()).await;
        let v = if r.text.is_empty() {
            Value::Null
        } else {
            r.json()
        };
        (r.status.as_u16(), v)
    }
}
