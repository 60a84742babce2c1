//! One parsed HTTP request as the handlers see it: path parameters, query parameters (with
//! Elasticsearch's unknown-parameter check), and the body as bytes or JSON.

use bytes::Bytes;
use quarry_types::EsError;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Parameters every endpoint accepts.
pub const GLOBAL_PARAMS: &[&str] = &[
    "pretty",
    "human",
    "error_trace",
    "filter_path",
    "source",
    "source_content_type",
];

#[derive(Debug, Clone)]
pub struct RestRequest {
    pub method: axum::http::Method,
    pub path: String,
    pub path_params: HashMap<String, String>,
    pub params: BTreeMap<String, String>,
    pub body: Bytes,
}

impl RestRequest {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params.get(key).map(String::as_str)
    }

    pub fn path_param(&self, key: &str) -> Option<&str> {
        self.path_params.get(key).map(String::as_str)
    }

    /// A path part split on commas (`index`, `name`, `metric`).
    pub fn path_list(&self, key: &str) -> Vec<String> {
        crate::handlers::split(self.path_param(key))
    }

    pub fn flag(&self, key: &str, default: bool) -> Result<bool, EsError> {
        quarry_node::action::parse_bool_param(key, self.param(key), default)
    }

    pub fn u64_param(&self, key: &str) -> Result<Option<u64>, EsError> {
        match self.param(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                EsError::illegal_argument(format!(
                    "Failed to parse int parameter [{key}] with value [{v}]"
                ))
            }),
        }
    }

    pub fn i64_param(&self, key: &str) -> Result<Option<i64>, EsError> {
        match self.param(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                EsError::illegal_argument(format!(
                    "Failed to parse long parameter [{key}] with value [{v}]"
                ))
            }),
        }
    }

    pub fn has_body(&self) -> bool {
        !self.body.iter().all(|b| b.is_ascii_whitespace())
    }

    /// The body as JSON (`None` when empty). Malformed JSON is a 400 like Elasticsearch's.
    pub fn json_body(&self) -> Result<Option<Value>, EsError> {
        if !self.has_body() {
            return Ok(None);
        }
        parse_json(&self.body).map(Some)
    }

    /// The body as JSON, required.
    pub fn required_json_body(&self) -> Result<Value, EsError> {
        self.json_body()?
            .ok_or_else(|| EsError::parsing("request body is required"))
    }

    /// Rejects query parameters the endpoint does not know, as Elasticsearch does.
    pub fn check_params(&self, allowed: &[&str]) -> Result<(), EsError> {
        let unknown: Vec<&String> = self
            .params
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()) && !GLOBAL_PARAMS.contains(&k.as_str()))
            .collect();
        match unknown.len() {
            0 => Ok(()),
            1 => Err(EsError::illegal_argument(format!(
                "request [{}] contains unrecognized parameter: [{}]",
                self.path, unknown[0]
            ))),
            _ => Err(EsError::illegal_argument(format!(
                "request [{}] contains unrecognized parameters: {}",
                self.path,
                unknown
                    .iter()
                    .map(|u| format!("[{u}]"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }
}

/// Parses JSON with Elasticsearch-shaped errors.
pub fn parse_json(bytes: &[u8]) -> Result<Value, EsError> {
    serde_json::from_slice(bytes).map_err(|e| {
        let kind = if e.is_eof() {
            "Unexpected end-of-input"
        } else {
            "Unexpected character"
        };
        EsError::new(
            "x_content_parse_exception",
            400,
            format!("[{}:{}] {kind}: {e}", e.line(), e.column()),
        )
        .caused_by(EsError::json_parse(e.to_string()))
    })
}

/// Parses a query string into a map (later duplicates win).
pub fn parse_query(query: Option<&str>) -> BTreeMap<String, String> {
    query
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}
