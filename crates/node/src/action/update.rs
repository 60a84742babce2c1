//! `POST /{index}/_update/{id}`: partial update (`doc`), upserts (`upsert`, `doc_as_upsert`),
//! no-op detection, retries on conflict. Scripts are not supported yet and answer like an
//! Elasticsearch node without the painless module.

use super::document::{write_response_json, VersionParams};
use super::forwarding::WriteRoute;
use super::shard_bulk_wire::ShardBulkItem;
use super::{ActionResponse, RefreshPolicy};
use crate::Node;
use quarry_index::{IndexOperation, OpType, VersionCheck};
use quarry_search::source_filter::SourceFilter;
use quarry_types::EsError;
use serde_json::{json, Map, Value};

#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    pub index: String,
    pub id: String,
    pub body: Value,
    pub routing: Option<String>,
    pub retry_on_conflict: u32,
    pub version: VersionParams,
    pub refresh: RefreshPolicy,
    pub source_filter: Option<SourceFilter>,
    /// `require_alias=true`: the target must be an alias.
    pub require_alias: bool,
}

/// Merges `update` into `target` the way Elasticsearch's partial update does: objects merge
/// recursively, everything else is replaced. Returns true when anything changed.
pub fn merge_partial(target: &mut Value, update: &Value) -> bool {
    match (target, update) {
        (Value::Object(t), Value::Object(u)) => {
            let mut changed = false;
            for (k, v) in u {
                match t.get_mut(k) {
                    Some(existing @ Value::Object(_)) if v.is_object() => {
                        changed |= merge_partial(existing, v)
                    }
                    Some(existing) => {
                        if existing != v {
                            *existing = v.clone();
                            changed = true;
                        }
                    }
                    None => {
                        t.insert(k.clone(), v.clone());
                        changed = true;
                    }
                }
            }
            changed
        }
        (t, u) => {
            let changed = t != u;
            *t = u.clone();
            changed
        }
    }
}

/// The fields of Elasticsearch's `UpdateRequest` parser.
const UPDATE_REQUEST_FIELDS: &[&str] = &[
    "script",
    "scripted_upsert",
    "upsert",
    "doc",
    "doc_as_upsert",
    "detect_noop",
    "_source",
    "if_seq_no",
    "if_primary_term",
];

/// Elasticsearch's `SuggestingErrorOnUnknown`: candidates whose Levenshtein similarity
/// (`1 - distance / longer length`) is above 0.5, best first, as ` did you mean [x]?` or
/// ` did you mean any of [x, y]?`; empty when none is close.
pub fn did_you_mean(unknown: &str, candidates: &[&str]) -> String {
    let mut scored: Vec<(f32, &str)> = candidates
        .iter()
        .map(|c| (similarity(unknown, c), *c))
        .filter(|(score, _)| *score > 0.5)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(b.1)));
    match scored.as_slice() {
        [] => String::new(),
        [(_, one)] => format!(" did you mean [{one}]?"),
        many => format!(
            " did you mean any of [{}]?",
            many.iter().map(|(_, c)| *c).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// Lucene's `LevenshteinDistance.getDistance`: 1 - edits / length of the longer string.
fn similarity(a: &str, b: &str) -> f32 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let longer = a.len().max(b.len());
    if longer == 0 {
        return 1.0;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    1.0 - prev[b.len()] as f32 / longer as f32
}

pub(crate) fn parse_update_body(
    body: &Value,
) -> Result<(Option<Value>, Option<Value>, bool, bool), EsError> {
    let obj = body
        .as_object()
        .ok_or_else(|| EsError::action_request_validation(&["script or doc is missing".into()]))?;
    let mut doc = None;
    let mut upsert = None;
    let mut doc_as_upsert = false;
    let mut detect_noop = true;
    for (k, v) in obj {
        match k.as_str() {
            "doc" => doc = Some(v.clone()),
            "upsert" => upsert = Some(v.clone()),
            "doc_as_upsert" => doc_as_upsert = v.as_bool().unwrap_or(false),
            "detect_noop" => detect_noop = v.as_bool().unwrap_or(true),
            "_source" | "scripted_upsert" | "if_seq_no" | "if_primary_term" => {}
            "script" => {
                return Err(EsError::illegal_argument(
                    "script_lang not supported [painless]: scripting is not available on this node",
                ))
            }
            other => {
                return Err(EsError::x_content_parse(format!(
                    "[1:2] [UpdateRequest] unknown field [{other}]{}",
                    did_you_mean(other, UPDATE_REQUEST_FIELDS)
                )))
            }
        }
    }
    if doc.is_none() && upsert.is_none() {
        return Err(EsError::action_request_validation(&[
            "script or doc is missing".into(),
        ]));
    }
    for (name, v) in [("doc", &doc), ("upsert", &upsert)] {
        if let Some(v) = v {
            if !v.is_object() {
                return Err(EsError::x_content_parse(format!(
                    "[1:2] [UpdateRequest] failed to parse field [{name}]"
                )));
            }
        }
    }
    Ok((doc, upsert, doc_as_upsert, detect_noop))
}

impl Node {
    pub async fn update_document(&self, req: UpdateRequest) -> Result<ActionResponse, EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Write)?;
        let (doc, upsert, doc_as_upsert, detect_noop) = parse_update_body(&req.body)?;
        let requested_check = req.version.to_check()?;
        if matches!(requested_check, VersionCheck::External { .. }) {
            return Err(EsError::action_request_validation(&[
                "can't provide version in update request".into(),
            ]));
        }
        self.check_require_alias(&req.index, req.require_alias)?;
        let (index, alias_routing) = self.resolve_or_create_write_index(&req.index).await?;
        let routing = req.routing.clone().or(alias_routing);
        if self.cluster.is_some() {
            if let WriteRoute::Remote(remote) =
                self.route_write_or_forward(&index, &req.id, routing.as_deref())?
            {
                let body =
                    serde_json::to_vec(&req.body).map_err(|e| EsError::internal(e.to_string()))?;
                let item = ShardBulkItem::update(
                    req.id.clone(),
                    routing,
                    body,
                    req.retry_on_conflict,
                    &req.version,
                    req.source_filter.as_ref(),
                    req.refresh,
                );
                // The update refreshes on the primary's node itself (`item.refresh`).
                return self
                    .forward_single_write(&remote, &req.id, item, RefreshPolicy::None)
                    .await;
            }
        }
        let mut attempts = 0;
        loop {
            let target = self.route_write(&index, &req.id, routing.as_deref())?;
            let shard = target.shard.clone();
            let id = req.id.clone();
            let current = self.blocking(move || shard.get(&id, true)).await?;
            let (new_source, op_type, check) = match &current {
                None => {
                    let source = if doc_as_upsert {
                        doc.clone()
                    } else {
                        upsert.clone()
                    };
                    let Some(source) = source else {
                        return Err(EsError::document_missing(&index, &req.id));
                    };
                    (source, OpType::Create, VersionCheck::None)
                }
                Some(cur) => {
                    if let VersionCheck::IfSeqNo {
                        seq_no,
                        primary_term,
                    } = requested_check
                    {
                        if cur.seq_no != seq_no || cur.primary_term != primary_term {
                            return Err(EsError::version_conflict(&index, &req.id, &format!(
                                "version conflict, required seqNo [{seq_no}], primary term [{primary_term}]. current document has seqNo [{}] and primary term [{}]",
                                cur.seq_no, cur.primary_term
                            )));
                        }
                    }
                    let mut merged: Value = serde_json::from_slice(&cur.source).map_err(|e| {
                        EsError::internal(format!("stored _source is not JSON: {e}"))
                    })?;
                    let changed = match &doc {
                        Some(d) => merge_partial(&mut merged, d),
                        None => false,
                    };
                    if !changed && detect_noop {
                        let mut body = write_response_json(
                            &index,
                            &req.id,
                            cur.version,
                            "noop",
                            cur.seq_no,
                            cur.primary_term,
                            0,
                            false,
                        );
                        body["_shards"] = json!({"total": 0, "successful": 0, "failed": 0});
                        self.record_noop_update(&index, target.shard_number);
                        self.attach_get(
                            &mut body,
                            &merged,
                            &req,
                            cur.seq_no,
                            cur.primary_term,
                            cur.version,
                        );
                        return Ok(ActionResponse::ok(body));
                    }
                    (
                        merged,
                        OpType::Index,
                        VersionCheck::IfSeqNo {
                            seq_no: cur.seq_no,
                            primary_term: cur.primary_term,
                        },
                    )
                }
            };
            let bytes =
                serde_json::to_vec(&new_source).map_err(|e| EsError::internal(e.to_string()))?;
            let parsed = self.parse_with_dynamic_mapping(&index, &bytes).await?;
            let op = IndexOperation {
                id: req.id.clone(),
                routing: routing.clone(),
                source: bytes,
                op_type,
                version_check: check,
                auto_generated_id: false,
            };
            let shard = target.shard.clone();
            match self
                .blocking(move || shard.apply_index_on_primary(op, parsed))
                .await
            {
                Ok(result) => {
                    let forced = self.refresh_after_write(&target, req.refresh).await?;
                    let mut body = write_response_json(
                        &index,
                        &req.id,
                        result.version,
                        if result.created { "created" } else { "updated" },
                        result.seq_no,
                        result.primary_term,
                        target.total_copies,
                        forced,
                    );
                    self.attach_get(
                        &mut body,
                        &new_source,
                        &req,
                        result.seq_no,
                        result.primary_term,
                        result.version,
                    );
                    return Ok(ActionResponse::with_status(
                        if result.created { 201 } else { 200 },
                        body,
                    ));
                }
                Err(e) if e.status == 409 && attempts < req.retry_on_conflict => {
                    attempts += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Adds the `get` section when `_source` was requested on an update.
    fn attach_get(
        &self,
        body: &mut Value,
        source: &Value,
        req: &UpdateRequest,
        seq_no: i64,
        term: u64,
        version: i64,
    ) {
        let Some(filter) = &req.source_filter else {
            return;
        };
        if !filter.fetch {
            return;
        }
        let mut get = Map::new();
        get.insert("_seq_no".into(), json!(seq_no));
        get.insert("_primary_term".into(), json!(term));
        get.insert("found".into(), json!(true));
        get.insert("_source".into(), filter.filter(source));
        let _ = version;
        body["get"] = Value::Object(get);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_update_fields_suggest_close_names() {
        assert_eq!(
            did_you_mean("dac", UPDATE_REQUEST_FIELDS),
            " did you mean [doc]?"
        );
        assert_eq!(did_you_mean("zzzzzz", UPDATE_REQUEST_FIELDS), "");
        let e = parse_update_body(&json!({"dac": {}, "upsert": {}})).unwrap_err();
        assert_eq!(
            e.reason,
            "[1:2] [UpdateRequest] unknown field [dac] did you mean [doc]?"
        );
    }

    #[test]
    fn partial_merge_is_recursive_and_detects_noops() {
        let mut t = json!({"a": 1, "o": {"x": 1, "y": 2}});
        assert!(!merge_partial(&mut t, &json!({"a": 1, "o": {"x": 1}})));
        assert!(merge_partial(
            &mut t,
            &json!({"o": {"y": 3, "z": [1]}, "b": "n"})
        ));
        assert_eq!(
            t,
            json!({"a": 1, "o": {"x": 1, "y": 3, "z": [1]}, "b": "n"})
        );
    }
}
