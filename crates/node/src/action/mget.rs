//! `_mget`: many gets in one request, each answered on its own (a failure is that doc's error).

use super::document::VersionParams;
use super::ActionResponse;
use crate::Node;
use quarry_search::source_filter::SourceFilter;
use quarry_types::EsError;
use serde_json::{json, Value};

/// One requested document: index, id, routing, source filter.
type DocSpec = (Option<String>, String, Option<String>, Option<SourceFilter>);

impl Node {
    /// `body` is `{"docs":[...]}` or `{"ids":[...]}` (the latter needs `default_index`).
    pub async fn multi_get(
        &self,
        default_index: Option<&str>,
        body: &Value,
        default_routing: Option<&str>,
        realtime: bool,
        refresh: bool,
        default_filter: Option<SourceFilter>,
    ) -> Result<ActionResponse, EsError> {
        let mut specs: Vec<DocSpec> = Vec::new();
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
        if let Some(docs) = obj.get("docs") {
            let docs = docs
                .as_array()
                .ok_or_else(|| EsError::parsing("docs array element should include an object"))?;
            for d in docs {
                let d = d.as_object().ok_or_else(|| {
                    EsError::parsing("docs array element should include an object")
                })?;
                let index = d.get("_index").and_then(Value::as_str).map(String::from);
                let id = match d.get("_id") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => {
                        return Err(EsError::action_request_validation(
                            &["id is missing".into()],
                        ))
                    }
                };
                let routing =
                    d.get("routing")
                        .or_else(|| d.get("_routing"))
                        .and_then(|v| match v {
                            Value::String(s) => Some(s.clone()),
                            Value::Number(n) => Some(n.to_string()),
                            _ => None,
                        });
                let filter = match d.get("_source") {
                    Some(v) => Some(SourceFilter::parse(v)?),
                    None => default_filter.clone(),
                };
                specs.push((index, id, routing, filter));
            }
        } else if let Some(ids) = obj.get("ids") {
            let ids = ids
                .as_array()
                .ok_or_else(|| EsError::parsing("ids must be an array"))?;
            for id in ids {
                let id = match id {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    _ => return Err(EsError::parsing("ids must be strings")),
                };
                specs.push((None, id, None, default_filter.clone()));
            }
        }
        if specs.is_empty() {
            return Err(EsError::action_request_validation(&[
                "no documents to get".into()
            ]));
        }
        let mut validation = Vec::new();
        for (i, (index, _, _, _)) in specs.iter().enumerate() {
            if index.is_none() && default_index.is_none() {
                validation.push(format!("index is missing for doc {i}"));
            }
        }
        if !validation.is_empty() {
            return Err(EsError::action_request_validation(&validation));
        }
        let mut docs = Vec::with_capacity(specs.len());
        for (index, id, routing, filter) in specs.into_iter() {
            let id: String = id;
            let index = index
                .or(default_index.map(String::from))
                .unwrap_or_default();
            let routing = routing.or(default_routing.map(String::from));
            match self
                .get_document(
                    &index,
                    &id,
                    routing.as_deref(),
                    realtime,
                    refresh,
                    filter,
                    VersionParams::default(),
                )
                .await
            {
                Ok(r) => docs.push(r.body),
                Err(e) => docs.push(json!({"_index": index, "_id": id, "error": e.to_json()})),
            }
        }
        Ok(ActionResponse::ok(json!({ "docs": docs })))
    }
}
