//! `_bulk` body parsing with Elasticsearch's `BulkRequestParser` rules: NDJSON action/metadata
//! lines (exactly one action, its metadata keys, `op_type`), the source line that follows, and
//! the request-level defaults (`index`, `routing`, `require_alias`, `pipeline`, `_source`).
//! Line-level syntax errors fail the whole request. Pure: no I/O.

use super::document::VersionParams;
use quarry_search::source_filter::SourceFilter;
use quarry_types::xcontent::token_name;
use quarry_types::EsError;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Index,
    Create,
    Update,
    Delete,
}

impl BulkAction {
    pub fn name(self) -> &'static str {
        match self {
            BulkAction::Index => "index",
            BulkAction::Create => "create",
            BulkAction::Update => "update",
            BulkAction::Delete => "delete",
        }
    }
}

#[derive(Debug, Clone)]
pub struct BulkItem {
    pub action: BulkAction,
    pub index: String,
    pub id: Option<String>,
    pub routing: Option<String>,
    pub version: VersionParams,
    pub retry_on_conflict: u32,
    pub source: Vec<u8>,
    /// `require_alias` of the item, else of the request.
    pub require_alias: bool,
    /// `pipeline` of the item, else of the request.
    pub pipeline: Option<String>,
    /// `_source` of an update item's metadata line.
    pub source_filter: Option<SourceFilter>,
}

/// Request-level defaults of a `_bulk` call (`/{index}/_bulk?routing=&require_alias=...`).
#[derive(Debug, Clone, Default)]
pub struct BulkDefaults {
    pub index: Option<String>,
    pub routing: Option<String>,
    pub require_alias: bool,
    pub pipeline: Option<String>,
    /// `_source`, `_source_includes`, `_source_excludes` for update items.
    pub source_filter: Option<SourceFilter>,
}

fn meta_string(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The action/metadata line as Elasticsearch's `BulkRequestParser` reads it: exactly one
/// action name whose value is an object.
fn action_line(
    line_no: usize,
    value: &Value,
) -> Result<(BulkAction, &Map<String, Value>), EsError> {
    let malformed = |expected: &str, found: &str| {
        EsError::illegal_argument(format!(
            "Malformed action/metadata line [{}], expected {expected} but found [{found}]",
            line_no + 1
        ))
    };
    let obj = value
        .as_object()
        .ok_or_else(|| malformed("START_OBJECT", token_name(value)))?;
    let mut entries = obj.iter();
    let Some((name, meta)) = entries.next() else {
        return Err(malformed("FIELD_NAME", "END_OBJECT"));
    };
    let action = match name.as_str() {
        "index" => BulkAction::Index,
        "create" => BulkAction::Create,
        "update" => BulkAction::Update,
        "delete" => BulkAction::Delete,
        other => {
            return Err(EsError::illegal_argument(format!(
                "Malformed action/metadata line [{}], expected one of [create, delete, index, update] but found [{other}]",
                line_no + 1
            )))
        }
    };
    let meta = meta
        .as_object()
        .ok_or_else(|| malformed("START_OBJECT", token_name(meta)))?;
    if entries.next().is_some() {
        return Err(malformed("END_OBJECT", "FIELD_NAME"));
    }
    Ok((action, meta))
}

const METADATA_KEYS: &[&str] = &[
    "_index",
    "_id",
    "routing",
    "_routing",
    "if_seq_no",
    "if_primary_term",
    "version",
    "version_type",
    "retry_on_conflict",
    "_retry_on_conflict",
    "pipeline",
    "require_alias",
    "require_data_stream",
    "dynamic_templates",
    "_source",
    "list_executed_pipelines",
    "op_type",
];

/// `op_type` in an `index` action's metadata turns it into a `create` (Elasticsearch's
/// `IndexRequest.opType`); other actions keep their own type.
fn apply_op_type(action: BulkAction, op_type: Option<&Value>) -> Result<BulkAction, EsError> {
    let Some(v) = op_type else {
        return Ok(action);
    };
    let op = v.as_str().unwrap_or_default();
    match (action, op) {
        (BulkAction::Index, "create") => Ok(BulkAction::Create),
        (BulkAction::Index | BulkAction::Create, "index" | "create") => Ok(action),
        (BulkAction::Index | BulkAction::Create, other) => Err(EsError::illegal_argument(format!(
            "opType must be 'create' or 'index', found: [{other}]"
        ))),
        _ => Ok(action),
    }
}

/// Parses a bulk body. Line-level syntax errors fail the whole request, as in Elasticsearch.
pub fn parse_bulk(body: &[u8], defaults: &BulkDefaults) -> Result<Vec<BulkItem>, EsError> {
    let mut items = Vec::new();
    let mut lines = body.split(|b| *b == b'\n').enumerate().peekable();
    if !body.is_empty() && !body.ends_with(b"\n") {
        return Err(EsError::illegal_argument(
            "The bulk request must be terminated by a newline [\\n]",
        ));
    }
    while let Some((line_no, line)) = lines.next() {
        let trimmed = trim_ascii(line);
        if trimmed.is_empty() {
            continue;
        }
        let parsed_line: Value = serde_json::from_slice(trimmed).map_err(|e| {
            EsError::x_content_parse(format!(
                "[{}:{}] Malformed action/metadata line [{}]: {e}",
                line_no + 1,
                e.column(),
                line_no + 1
            ))
        })?;
        let (action, meta) = action_line(line_no, &parsed_line)?;
        if let Some(key) = meta.keys().find(|k| !METADATA_KEYS.contains(&k.as_str())) {
            return Err(EsError::illegal_argument(format!(
                "Action/metadata line [{}] contains an unknown parameter [{key}]",
                line_no + 1
            )));
        }
        let action = apply_op_type(action, meta.get("op_type"))?;
        let index = meta_string(meta, "_index")
            .or(defaults.index.clone())
            .unwrap_or_default();
        let version = VersionParams {
            if_seq_no: meta.get("if_seq_no").and_then(Value::as_i64),
            if_primary_term: meta.get("if_primary_term").and_then(Value::as_u64),
            version: meta.get("version").and_then(Value::as_i64),
            version_type: meta_string(meta, "version_type"),
        };
        let require_alias = match meta.get("require_alias") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => defaults.require_alias,
        };
        let source_filter = match meta.get("_source") {
            Some(v) => Some(SourceFilter::parse(v)?),
            None => None,
        };
        let mut item = BulkItem {
            action,
            index,
            id: meta_string(meta, "_id"),
            routing: meta_string(meta, "routing")
                .or(meta_string(meta, "_routing"))
                .or(defaults.routing.clone()),
            version,
            retry_on_conflict: meta
                .get("retry_on_conflict")
                .or(meta.get("_retry_on_conflict"))
                .and_then(Value::as_u64)
                .unwrap_or(0) as u32,
            source: Vec::new(),
            require_alias,
            pipeline: meta_string(meta, "pipeline").or(defaults.pipeline.clone()),
            source_filter,
        };
        if action != BulkAction::Delete {
            let Some((_, source)) = lines.next() else {
                return Err(EsError::illegal_argument(
                    "The bulk request must be terminated by a newline [\\n]",
                ));
            };
            item.source = trim_ascii(source).to_vec();
        }
        items.push(item);
    }
    if items.is_empty() {
        return Err(EsError::action_request_validation(&[
            "no requests added".into()
        ]));
    }
    Ok(items)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map(|p| p + 1)
        .unwrap_or(start);
    &b[start..end.max(start)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_actions_sources_and_defaults() {
        let body = b"{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"delete\":{\"_index\":\"x\",\"_id\":\"2\"}}\n{\"create\":{}}\n{\"b\":2}\n";
        let items = parse_bulk(
            body,
            &BulkDefaults {
                index: Some("d".into()),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].index, "d");
        assert_eq!(items[0].source, b"{\"a\":1}");
        assert_eq!(items[1].action, BulkAction::Delete);
        assert_eq!(items[1].index, "x");
        assert_eq!(items[2].id, None);
    }

    #[test]
    fn op_type_require_alias_pipeline_and_source_come_from_metadata() {
        let body = concat!(
            "{\"index\":{\"_index\":\"a\",\"op_type\":\"create\",\"require_alias\":false}}\n{}\n",
            "{\"update\":{\"_index\":\"a\",\"_id\":\"1\",\"_source\":true,\"pipeline\":\"p\"}}\n{}\n",
        );
        let defaults = BulkDefaults {
            require_alias: true,
            pipeline: Some("d".into()),
            ..Default::default()
        };
        let items = parse_bulk(body.as_bytes(), &defaults).unwrap();
        assert_eq!(items[0].action, BulkAction::Create);
        assert!(!items[0].require_alias);
        assert_eq!(items[0].pipeline.as_deref(), Some("d"));
        assert!(items[1].require_alias);
        assert_eq!(items[1].pipeline.as_deref(), Some("p"));
        assert!(items[1].source_filter.as_ref().is_some_and(|f| f.fetch));
        let bad = b"{\"index\":{\"op_type\":\"upsert\"}}\n{}\n";
        assert!(parse_bulk(bad, &BulkDefaults::default())
            .unwrap_err()
            .reason
            .contains("opType must be 'create' or 'index', found: [upsert]"));
    }

    #[test]
    fn malformed_action_lines_name_the_xcontent_tokens() {
        let reason = |b: &[u8]| parse_bulk(b, &BulkDefaults::default()).unwrap_err().reason;
        assert_eq!(
            reason(b"{\"index\":{}}\n{}\n{}\n"),
            "Malformed action/metadata line [3], expected FIELD_NAME but found [END_OBJECT]"
        );
        assert_eq!(
            reason(b"\"x\"\n"),
            "Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]"
        );
        assert_eq!(
            reason(b"{\"index\":{},\"create\":{}}\n{}\n"),
            "Malformed action/metadata line [1], expected END_OBJECT but found [FIELD_NAME]"
        );
    }

    #[test]
    fn rejects_bad_bulk_bodies() {
        assert!(parse_bulk(b"{\"index\":{}}\n{}", &BulkDefaults::default())
            .unwrap_err()
            .reason
            .contains("terminated by a newline"));
        assert!(parse_bulk(b"{\"foo\":{}}\n", &BulkDefaults::default())
            .unwrap_err()
            .reason
            .contains("expected one of [create, delete, index, update]"));
        assert_eq!(
            parse_bulk(b"{bad\n", &BulkDefaults::default())
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            parse_bulk(b"", &BulkDefaults::default())
                .unwrap_err()
                .error_type,
            "action_request_validation_exception"
        );
    }
}
