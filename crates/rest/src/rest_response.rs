//! Turning an answer (or an error) into an HTTP response: status, the JSON body with
//! `filter_path` and `pretty` applied, the media type the client asked for, and the
//! `X-Elastic-Product: Elasticsearch` header on every response.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use quarry_types::EsError;
use serde_json::Value;

#[derive(Debug, Clone)]
pub enum RestBody {
    Json(Value),
    /// JSON already serialized by the action (sent as is unless an output option needs the tree).
    RawJson(Vec<u8>),
    Text {
        body: String,
        content_type: &'static str,
    },
    Empty,
}

#[derive(Debug, Clone)]
pub struct RestResponse {
    pub status: u16,
    pub body: RestBody,
}

impl RestResponse {
    pub fn json(status: u16, body: Value) -> Self {
        RestResponse {
            status,
            body: RestBody::Json(body),
        }
    }
    pub fn ok(body: Value) -> Self {
        Self::json(200, body)
    }
    pub fn text(status: u16, body: String, content_type: &'static str) -> Self {
        RestResponse {
            status,
            body: RestBody::Text { body, content_type },
        }
    }
    pub fn empty(status: u16) -> Self {
        RestResponse {
            status,
            body: RestBody::Empty,
        }
    }
}

impl From<quarry_node::action::ActionResponse> for RestResponse {
    fn from(r: quarry_node::action::ActionResponse) -> Self {
        match r.raw_json {
            Some(raw) => RestResponse {
                status: r.status,
                body: RestBody::RawJson(raw),
            },
            None => RestResponse::json(r.status, r.body),
        }
    }
}

/// Output options taken from the query string.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    pub pretty: bool,
    /// `?human`: add human-readable siblings of byte sizes and durations.
    pub human: bool,
    pub filter_path: Option<String>,
    pub error_trace: bool,
    /// The media type to answer with (`application/json` or the vendor type the client sent).
    pub content_type: String,
}

impl OutputOptions {
    pub fn from_request(
        params: &std::collections::BTreeMap<String, String>,
        headers: &HeaderMap,
    ) -> Self {
        let pretty = matches!(
            params.get("pretty").map(String::as_str),
            Some("") | Some("true")
        );
        let error_trace = matches!(
            params.get("error_trace").map(String::as_str),
            Some("") | Some("true")
        );
        let human = matches!(
            params.get("human").map(String::as_str),
            Some("") | Some("true")
        );
        let accept = headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let content_type = match compat_version(accept) {
            Some(v) => format!("application/vnd.elasticsearch+json;compatible-with={v}"),
            None => "application/json".to_string(),
        };
        OutputOptions {
            pretty,
            human,
            filter_path: params.get("filter_path").cloned(),
            error_trace,
            content_type,
        }
    }
}

/// The `compatible-with` version of an Elasticsearch vendor media type, if any.
pub fn compat_version(media: &str) -> Option<u8> {
    if !media.contains("vnd.elasticsearch+") {
        return None;
    }
    let idx = media.find("compatible-with=")?;
    media[idx + "compatible-with=".len()..]
        .chars()
        .next()?
        .to_digit(10)
        .map(|d| d as u8)
}

pub fn render(resp: RestResponse, opts: &OutputOptions, head: bool) -> Response {
    let status = StatusCode::from_u16(resp.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match resp.body {
        RestBody::RawJson(raw) if opts.human || opts.pretty || opts.filter_path.is_some() => {
            RestBody::Json(serde_json::from_slice(&raw).unwrap_or(Value::Null))
        }
        other => other,
    };
    let (bytes, ct): (Vec<u8>, String) = match body {
        RestBody::RawJson(raw) => (raw, opts.content_type.clone()),
        RestBody::Json(mut v) => {
            if opts.human {
                crate::format::human_fields::add_human_fields(&mut v);
            }
            if let Some(fp) = &opts.filter_path {
                v = crate::format::filter_path::apply(&v, fp);
            }
            let bytes = if opts.pretty {
                let mut b = serde_json::to_vec_pretty(&v).unwrap_or_default();
                b.push(b'\n');
                b
            } else {
                serde_json::to_vec(&v).unwrap_or_default()
            };
            (bytes, opts.content_type.clone())
        }
        RestBody::Text { body, content_type } => (body.into_bytes(), content_type.to_string()),
        RestBody::Empty => (Vec::new(), opts.content_type.clone()),
    };
    let mut response = if head {
        let len = bytes.len();
        let mut r = (status, ()).into_response();
        r.headers_mut()
            .insert(axum::http::header::CONTENT_LENGTH, HeaderValue::from(len));
        r
    } else {
        (status, bytes).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        "x-elastic-product",
        HeaderValue::from_static("Elasticsearch"),
    );
    if let Ok(v) = HeaderValue::from_str(&ct) {
        headers.insert(axum::http::header::CONTENT_TYPE, v);
    }
    response
}

/// The Elasticsearch error envelope as a response.
pub fn render_error(err: &EsError, opts: &OutputOptions, head: bool) -> Response {
    let mut body = err.to_envelope();
    if opts.error_trace {
        let trace = Value::String(err.stack_trace());
        if let Some(Value::Object(root)) = body["error"]["root_cause"].get_mut(0) {
            root.insert("stack_trace".into(), trace.clone());
        }
        body["error"]["stack_trace"] = trace;
    }
    render(RestResponse::json(err.status, body), opts, head)
}
