//! `_mget`: many gets in one request, each answered on its own (a failure is that doc's error,
//! rendered with `root_cause` as Elasticsearch's `MultiGetResponse.Failure` does).

use super::document::{embedded_error, VersionParams};
use super::get_fields::{parse_stored_fields, GetOptions};
use super::ActionResponse;
use crate::Node;
use quarry_search::source_filter::SourceFilter;
use quarry_types::EsError;
use serde_json::{json, Map, Value};

/// The request-level options of an `_mget`; each doc may override routing, source filtering
/// and stored fields.
#[derive(Debug, Clone, Default)]
pub struct MultiGetRequest {
    pub default_index: Option<String>,
    pub body: Value,
    pub routing: Option<String>,
    pub options: GetOptions,
    pub error_trace: bool,
}

/// One requested document.
#[derive(Debug, Clone)]
pub struct DocSpec {
    pub index: Option<String>,
    pub id: String,
    pub routing: Option<String>,
    pub source_filter: Option<SourceFilter>,
    pub stored_fields: Option<Vec<String>>,
    pub version: VersionParams,
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses one entry of `docs`, with Elasticsearch's field names (`_index`, `_id`, `routing`,
/// `_source`, `stored_fields`, `version`, `version_type`); anything else fails the request.
fn parse_doc(d: &Map<String, Value>) -> Result<DocSpec, EsError> {
    let mut spec = DocSpec {
        index: None,
        id: String::new(),
        routing: None,
        source_filter: None,
        stored_fields: None,
        version: VersionParams::default(),
    };
    let mut has_id = false;
    for (key, v) in d {
        match key.as_str() {
            "_index" => spec.index = scalar_string(v),
            "_id" => {
                if let Some(id) = scalar_string(v) {
                    spec.id = id;
                    has_id = true;
                }
            }
            "routing" => spec.routing = scalar_string(v),
            "_source" => spec.source_filter = Some(SourceFilter::parse(v)?),
            "stored_fields" => spec.stored_fields = Some(parse_stored_fields(v)?),
            "version" => spec.version.version = v.as_i64(),
            "version_type" => spec.version.version_type = scalar_string(v),
            "fields" => {
                return Err(EsError::parsing(
                    "Unsupported field [fields] used, expected [stored_fields] instead",
                ))
            }
            other => {
                return Err(EsError::new(
                    "parse_exception",
                    400,
                    format!("failed to parse multi get request. unknown field [{other}]"),
                ))
            }
        }
    }
    if !has_id {
        return Err(EsError::action_request_validation(
            &["id is missing".into()],
        ));
    }
    Ok(spec)
}

/// Parses the body: `{"docs":[...]}` or `{"ids":[...]}`.
pub fn parse_mget_body(body: &Value) -> Result<Vec<DocSpec>, EsError> {
    let obj = body
        .as_object()
        .ok_or_else(|| EsError::action_request_validation(&["no documents to get".into()]))?;
    for (k, _) in obj {
        if k != "docs" && k != "ids" {
            return Err(EsError::parsing(format!(
                "unknown parameter [{k}], expected one of [docs, ids]"
            )));
        }
    }
    let mut specs = Vec::new();
    if let Some(docs) = obj.get("docs") {
        let docs = docs
            .as_array()
            .ok_or_else(|| EsError::parsing("docs array element should include an object"))?;
        for d in docs {
            let d = d
                .as_object()
                .ok_or_else(|| EsError::parsing("docs array element should include an object"))?;
            specs.push(parse_doc(d)?);
        }
    } else if let Some(ids) = obj.get("ids") {
        let ids = ids
            .as_array()
            .ok_or_else(|| EsError::parsing("ids must be an array"))?;
        for id in ids {
            let id = scalar_string(id).ok_or_else(|| EsError::parsing("ids must be strings"))?;
            specs.push(DocSpec {
                index: None,
                id,
                routing: None,
                source_filter: None,
                stored_fields: None,
                version: VersionParams::default(),
            });
        }
    }
    if specs.is_empty() {
        return Err(EsError::action_request_validation(&[
            "no documents to get".into()
        ]));
    }
    Ok(specs)
}

impl Node {
    pub async fn multi_get(&self, req: MultiGetRequest) -> Result<ActionResponse, EsError> {
        let specs = parse_mget_body(&req.body)?;
        let validation: Vec<String> = specs
            .iter()
            .enumerate()
            .filter(|(_, s)| s.index.is_none() && req.default_index.is_none())
            .map(|(i, _)| format!("index is missing for doc {i}"))
            .collect();
        if !validation.is_empty() {
            return Err(EsError::action_request_validation(&validation));
        }
        let mut docs = Vec::with_capacity(specs.len());
        for spec in specs {
            let index = spec.index.or(req.default_index.clone()).unwrap_or_default();
            let routing = spec.routing.or(req.routing.clone());
            let opts = GetOptions {
                source_filter: spec.source_filter.or(req.options.source_filter.clone()),
                stored_fields: spec.stored_fields.or(req.options.stored_fields.clone()),
                ..req.options.clone()
            };
            match self
                .get_document(&index, &spec.id, routing.as_deref(), opts, spec.version)
                .await
            {
                Ok(r) => docs.push(r.body),
                Err(e) => docs.push(json!({
                    "_index": index,
                    "_id": spec.id,
                    "error": embedded_error(&e, true, req.error_trace),
                })),
            }
        }
        Ok(ActionResponse::ok(json!({ "docs": docs })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_accept_elasticsearch_fields_and_reject_unknown_ones() {
        let specs = parse_mget_body(&json!({"docs": [
            {"_index": "i", "_id": 1, "routing": "r", "stored_fields": "a,b", "version": 2}
        ]}))
        .unwrap();
        assert_eq!(specs[0].id, "1");
        assert_eq!(specs[0].routing.as_deref(), Some("r"));
        assert_eq!(specs[0].stored_fields, Some(vec!["a".into(), "b".into()]));
        assert_eq!(specs[0].version.version, Some(2));
        for bad in ["_routing", "_version"] {
            let e =
                parse_mget_body(&json!({"docs": [{"_index": "i", "_id": 1, bad: 1}]})).unwrap_err();
            assert_eq!(e.status, 400);
            assert!(e.reason.contains(&format!("unknown field [{bad}]")));
        }
    }

    #[test]
    fn ids_need_no_index_in_the_body() {
        let specs = parse_mget_body(&json!({"ids": ["1", 2]})).unwrap();
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].id, "2");
        assert!(parse_mget_body(&json!({"ids": []})).is_err());
    }
}
