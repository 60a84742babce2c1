//! The Elasticsearch error envelope as data: an error `type` string, a `reason`, an HTTP status
//! and the extra keys Elasticsearch puts beside them (`index`, `index_uuid`, `shard`, ...).
//!
//! Every crate's own `thiserror` enum converts into [`EsError`]; the REST layer renders it as
//! `{"error":{"root_cause":[...],"type":...,"reason":...},"status":N}`. No I/O here.

use serde_json::{Map, Value};

/// Result alias used at crate boundaries.
pub type EsResult<T> = Result<T, EsError>;

/// One Elasticsearch exception, ready to be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("[{error_type}] {reason}")]
pub struct EsError {
    /// Elasticsearch's snake_case exception name, e.g. `index_not_found_exception`.
    pub error_type: String,
    pub reason: String,
    /// HTTP status code.
    pub status: u16,
    /// Extra keys rendered beside `type` and `reason` (kept in insertion order).
    pub metadata: Map<String, Value>,
    /// The nested `caused_by` chain.
    pub caused_by: Option<Box<EsError>>,
}

impl EsError {
    pub fn new(error_type: impl Into<String>, status: u16, reason: impl Into<String>) -> Self {
        EsError {
            error_type: error_type.into(),
            reason: reason.into(),
            status,
            metadata: Map::new(),
            caused_by: None,
        }
    }

    /// Adds an extra key (`index`, `shard`, `resource.id`...).
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.metadata.insert(key.to_string(), value.into());
        self
    }

    pub fn caused_by(mut self, cause: EsError) -> Self {
        self.caused_by = Some(Box::new(cause));
        self
    }

    fn with_index(self, index: &str) -> Self {
        self.with("index_uuid", "_na_")
            .with("index", index.to_string())
    }

    // ---- the table of Elasticsearch exceptions Quarry raises ----

    pub fn illegal_argument(reason: impl Into<String>) -> Self {
        Self::new("illegal_argument_exception", 400, reason)
    }
    pub fn parsing(reason: impl Into<String>) -> Self {
        Self::new("parsing_exception", 400, reason)
    }
    pub fn x_content_parse(reason: impl Into<String>) -> Self {
        Self::new("x_content_parse_exception", 400, reason)
    }
    pub fn json_parse(reason: impl Into<String>) -> Self {
        Self::new("json_parse_exception", 400, reason)
    }
    pub fn action_request_validation(errors: &[String]) -> Self {
        let mut reason = String::from("Validation Failed: ");
        for (i, e) in errors.iter().enumerate() {
            reason.push_str(&format!("{}: {};", i + 1, e));
        }
        Self::new("action_request_validation_exception", 400, reason)
    }
    pub fn index_not_found(index: &str) -> Self {
        Self::new(
            "index_not_found_exception",
            404,
            "no such index [".to_string() + index + "]",
        )
        .with("resource.type", "index_or_alias")
        .with("resource.id", index.to_string())
        .with_index(index)
    }
    pub fn resource_already_exists(index: &str, uuid: &str) -> Self {
        Self::new(
            "resource_already_exists_exception",
            400,
            format!("index [{index}/{uuid}] already exists"),
        )
        .with("index_uuid", uuid.to_string())
        .with("index", index.to_string())
    }
    pub fn invalid_index_name(index: &str, reason: &str) -> Self {
        Self::new(
            "invalid_index_name_exception",
            400,
            format!("Invalid index name [{index}], {reason}"),
        )
        .with_index(index)
    }
    pub fn mapper_parsing(reason: impl Into<String>) -> Self {
        Self::new("mapper_parsing_exception", 400, reason)
    }
    pub fn document_parsing(reason: impl Into<String>) -> Self {
        Self::new("document_parsing_exception", 400, reason)
    }
    pub fn strict_dynamic_mapping(reason: impl Into<String>) -> Self {
        Self::new("strict_dynamic_mapping_exception", 400, reason)
    }
    pub fn version_conflict(index: &str, id: &str, reason: &str) -> Self {
        Self::new(
            "version_conflict_engine_exception",
            409,
            format!("[{id}]: {reason}"),
        )
        .with("index_uuid", "_na_")
        .with("shard", "0")
        .with("index", index.to_string())
    }
    pub fn document_missing(index: &str, id: &str) -> Self {
        Self::new(
            "document_missing_exception",
            404,
            format!("[{id}]: document missing"),
        )
        .with("index_uuid", "_na_")
        .with("shard", "0")
        .with("index", index.to_string())
    }
    pub fn index_closed(index: &str) -> Self {
        Self::new("index_closed_exception", 400, "closed").with_index(index)
    }
    pub fn resource_not_found(reason: impl Into<String>) -> Self {
        Self::new("resource_not_found_exception", 404, reason)
    }
    pub fn search_phase_execution(reason: impl Into<String>, cause: EsError) -> Self {
        Self::new("search_phase_execution_exception", cause.status, reason)
            .with("phase", "query")
            .with("grouped", true)
            .caused_by(cause)
    }
    pub fn illegal_state(reason: impl Into<String>) -> Self {
        Self::new("illegal_state_exception", 500, reason)
    }
    pub fn cluster_block(reason: impl Into<String>, status: u16) -> Self {
        Self::new("cluster_block_exception", status, reason)
    }
    pub fn unavailable_shards(reason: impl Into<String>) -> Self {
        Self::new("unavailable_shards_exception", 503, reason)
    }
    pub fn timeout(reason: impl Into<String>) -> Self {
        Self::new("timeout_exception", 408, reason)
    }
    pub fn internal(reason: impl Into<String>) -> Self {
        Self::new("exception", 500, reason)
    }
    pub fn content_too_long(limit: usize) -> Self {
        Self::new(
            "content_too_long_exception",
            413,
            format!("Request content was too long, limit is [{limit}] bytes"),
        )
    }
    /// What Elasticsearch answers for a feature Quarry has not built yet.
    pub fn unsupported(feature: &str) -> Self {
        Self::illegal_argument(format!("[{feature}] is not supported"))
    }

    /// The one-line trace `error_trace=true` renders as `stack_trace`, shaped like the first
    /// line of Elasticsearch's Java trace:
    /// `[index][[index][0]] DocumentMissingException[[1]: document missing]`, then
    /// `; nested: ...` for each cause.
    pub fn stack_trace(&self) -> String {
        let mut out = String::new();
        if let Some(index) = self.metadata.get("index").and_then(Value::as_str) {
            out.push_str(&format!("[{index}]"));
            match self.metadata.get("shard") {
                Some(Value::String(shard)) => out.push_str(&format!("[[{index}][{shard}]]")),
                Some(Value::Number(shard)) => out.push_str(&format!("[[{index}][{shard}]]")),
                _ => {}
            }
            out.push(' ');
        }
        let mut current = Some(self);
        let mut first = true;
        while let Some(e) = current {
            if !first {
                out.push_str("; nested: ");
            }
            out.push_str(&format!("{}[{}]", java_class_name(&e.error_type), e.reason));
            first = false;
            current = e.caused_by.as_deref();
        }
        out
    }

    /// The JSON object for this error (without the `status` wrapper): `type`, `reason`,
    /// the metadata, and `caused_by`.
    pub fn to_json(&self) -> Value {
        let mut obj = Map::new();
        obj.insert("type".into(), Value::String(self.error_type.clone()));
        obj.insert("reason".into(), Value::String(self.reason.clone()));
        for (k, v) in &self.metadata {
            obj.insert(k.clone(), v.clone());
        }
        if let Some(cause) = &self.caused_by {
            obj.insert("caused_by".into(), cause.to_json());
        }
        Value::Object(obj)
    }

    /// The full envelope Elasticsearch returns:
    /// `{"error":{"root_cause":[...],"type":...,"reason":...},"status":N}`.
    pub fn to_envelope(&self) -> Value {
        let mut root = self.to_json();
        if let Value::Object(m) = &mut root {
            m.remove("caused_by");
        }
        let mut error = self.to_json();
        if let Value::Object(m) = &mut error {
            let mut ordered = Map::new();
            ordered.insert("root_cause".into(), Value::Array(vec![root]));
            for (k, v) in std::mem::take(m) {
                ordered.insert(k, v);
            }
            *m = ordered;
        }
        serde_json::json!({ "error": error, "status": self.status })
    }
}

/// `document_missing_exception` -> `DocumentMissingException` (the bare `exception` is
/// `ElasticsearchException`).
fn java_class_name(error_type: &str) -> String {
    if error_type == "exception" {
        return "ElasticsearchException".to_string();
    }
    error_type
        .split('_')
        .map(|part| {
            let mut chars = part.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_root_cause_type_reason_and_status() {
        let e = EsError::index_not_found("logs");
        let v = e.to_envelope();
        assert_eq!(v["status"], 404);
        assert_eq!(v["error"]["type"], "index_not_found_exception");
        assert_eq!(
            v["error"]["root_cause"][0]["type"],
            "index_not_found_exception"
        );
        assert_eq!(v["error"]["index"], "logs");
        assert_eq!(v["error"]["reason"], "no such index [logs]");
    }

    #[test]
    fn stack_trace_names_the_shard_and_the_java_exception() {
        let e = EsError::document_missing("logs", "123");
        assert_eq!(
            e.stack_trace(),
            "[logs][[logs][0]] DocumentMissingException[[123]: document missing]"
        );
        let e = EsError::index_not_found("x");
        assert_eq!(
            e.stack_trace(),
            "[x] IndexNotFoundException[no such index [x]]"
        );
        let e = EsError::mapper_parsing("a").caused_by(EsError::illegal_argument("b"));
        assert_eq!(
            e.stack_trace(),
            "MapperParsingException[a]; nested: IllegalArgumentException[b]"
        );
    }

    #[test]
    fn caused_by_is_nested_but_not_in_root_cause() {
        let e =
            EsError::mapper_parsing("failed to parse").caused_by(EsError::illegal_argument("x"));
        let v = e.to_envelope();
        assert_eq!(
            v["error"]["caused_by"]["type"],
            "illegal_argument_exception"
        );
        assert!(v["error"]["root_cause"][0].get("caused_by").is_none());
    }
}
