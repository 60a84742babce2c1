//! `_delete_by_query`, `_update_by_query` (without scripts) and `_reindex` (local source):
//! find the matching documents with the search crate, then write them one by one with
//! optimistic concurrency, counting conflicts as Elasticsearch reports them.

use super::admin_index::IndicesParams;
use super::document::{IndexDocRequest, VersionParams};
use super::RefreshPolicy;
use crate::Node;
use quarry_index::{DeleteOperation, IndexOperation, OpType, VersionCheck};
use quarry_types::EsError;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Instant;

/// One matching document: index, id, routing, seq_no, primary term.
type Hit = (String, String, Option<String>, i64, u64);

impl Node {
    async fn matching_docs(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        body: Option<&Value>,
        qp: &BTreeMap<String, String>,
    ) -> Result<Vec<Hit>, EsError> {
        let (shards, _, _) = self.acquire_search_shards(exprs, params)?;
        let query = super::search::parse_query_only(body, qp)?;
        self.blocking(move || {
            super::search::with_targets(&shards, |targets| {
                let docs = quarry_search::collect_matching_ids(targets, &query)?;
                Ok(docs
                    .into_iter()
                    .map(|m| {
                        (
                            targets[m.shard_index].index_name.to_string(),
                            m.id,
                            m.routing,
                            m.seq_no,
                            m.primary_term as u64,
                        )
                    })
                    .collect())
            })
        })
        .await
    }

    pub async fn delete_by_query(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        body: Option<Value>,
        qp: BTreeMap<String, String>,
    ) -> Result<Value, EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Write)?;
        let started = Instant::now();
        let hits = self
            .matching_docs(exprs, params, body.as_ref(), &qp)
            .await?;
        let (mut deleted, mut conflicts) = (0u64, 0u64);
        let mut failures = Vec::new();
        for (index, id, routing, seq_no, term) in &hits {
            let target = self.route_write(index, id, routing.as_deref())?;
            let op = DeleteOperation {
                id: id.clone(),
                routing: routing.clone(),
                version_check: VersionCheck::IfSeqNo {
                    seq_no: *seq_no,
                    primary_term: *term,
                },
            };
            let shard = target.shard.clone();
            match self
                .blocking(move || shard.apply_delete_on_primary(op))
                .await
            {
                Ok(r) if r.found => deleted += 1,
                Ok(_) => {}
                Err(e) if e.status == 409 => {
                    conflicts += 1;
                    failures.push(
                        json!({"index": index, "id": id, "cause": e.to_json(), "status": 409}),
                    );
                }
                Err(e) => return Err(e),
            }
        }
        if qp.get("refresh").map(|v| v != "false").unwrap_or(false) {
            self.refresh_indices(exprs, params).await?;
        }
        Ok(by_query_response(
            started,
            hits.len() as u64,
            "deleted",
            deleted,
            conflicts,
            failures,
        ))
    }

    pub async fn update_by_query(
        &self,
        exprs: &[String],
        params: &IndicesParams,
        body: Option<Value>,
        qp: BTreeMap<String, String>,
    ) -> Result<Value, EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Write)?;
        if body.as_ref().and_then(|b| b.get("script")).is_some() {
            return Err(EsError::illegal_argument(
                "scripts are not supported yet: [script]",
            ));
        }
        let started = Instant::now();
        let hits = self
            .matching_docs(exprs, params, body.as_ref(), &qp)
            .await?;
        let (mut updated, mut conflicts) = (0u64, 0u64);
        let mut failures = Vec::new();
        for (index, id, routing, seq_no, term) in &hits {
            let target = self.route_write(index, id, routing.as_deref())?;
            let shard = target.shard.clone();
            let id2 = id.clone();
            let Some(doc) = self.blocking(move || shard.get(&id2, true)).await? else {
                continue;
            };
            let parsed = self.parse_with_dynamic_mapping(index, &doc.source).await?;
            let op = IndexOperation {
                id: id.clone(),
                routing: routing.clone(),
                source: doc.source,
                op_type: OpType::Index,
                version_check: VersionCheck::IfSeqNo {
                    seq_no: *seq_no,
                    primary_term: *term,
                },
                auto_generated_id: false,
            };
            let shard = target.shard.clone();
            match self
                .blocking(move || shard.apply_index_on_primary(op, parsed))
                .await
            {
                Ok(_) => updated += 1,
                Err(e) if e.status == 409 => {
                    conflicts += 1;
                    failures.push(
                        json!({"index": index, "id": id, "cause": e.to_json(), "status": 409}),
                    );
                }
                Err(e) => return Err(e),
            }
        }
        if qp.get("refresh").map(|v| v != "false").unwrap_or(false) {
            self.refresh_indices(exprs, params).await?;
        }
        Ok(by_query_response(
            started,
            hits.len() as u64,
            "updated",
            updated,
            conflicts,
            failures,
        ))
    }

    /// `_reindex` from a local source index (with an optional query) into `dest`.
    pub async fn reindex(
        &self,
        body: &Value,
        qp: BTreeMap<String, String>,
    ) -> Result<Value, EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Write)?;
        let started = Instant::now();
        let source = body.get("source").ok_or_else(|| {
            EsError::action_request_validation(&[
                "use _all if you really want to copy from all existing indexes".into(),
            ])
        })?;
        let dest = body.get("dest").ok_or_else(|| {
            EsError::action_request_validation(&["index must be specified".into()])
        })?;
        if body.get("script").is_some() {
            return Err(EsError::illegal_argument(
                "scripts are not supported yet: [script]",
            ));
        }
        if source.get("remote").is_some() {
            return Err(EsError::illegal_argument(
                "reindex from remote is not supported",
            ));
        }
        let src_indices: Vec<String> = match source.get("index") {
            Some(Value::String(s)) => s.split(',').map(String::from).collect(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(String::from))
                .collect(),
            _ => {
                return Err(EsError::action_request_validation(&[
                    "use _all if you really want to copy from all existing indexes".into(),
                ]))
            }
        };
        let dest_index = dest.get("index").and_then(Value::as_str).ok_or_else(|| {
            EsError::action_request_validation(&["index must be specified".into()])
        })?;
        let create = dest.get("op_type").and_then(Value::as_str) == Some("create");
        let query_body = source.get("query").map(|q| json!({ "query": q }));
        let hits = self
            .matching_docs(
                &src_indices,
                &IndicesParams::default(),
                query_body.as_ref(),
                &BTreeMap::new(),
            )
            .await?;
        let (mut created, mut updated, mut conflicts) = (0u64, 0u64, 0u64);
        let mut failures = Vec::new();
        for (index, id, routing, _, _) in &hits {
            let target = self.route_write(index, id, routing.as_deref())?;
            let shard = target.shard.clone();
            let id2 = id.clone();
            let Some(doc) = self.blocking(move || shard.get(&id2, true)).await? else {
                continue;
            };
            let r = self
                .index_document(IndexDocRequest {
                    index: dest_index.to_string(),
                    id: Some(id.clone()),
                    source: doc.source,
                    routing: routing.clone(),
                    create,
                    version: VersionParams::default(),
                    refresh: RefreshPolicy::None,
                    require_alias: false,
                })
                .await;
            match r {
                Ok(resp) if resp.status == 201 => created += 1,
                Ok(_) => updated += 1,
                Err(e) if e.status == 409 => {
                    conflicts += 1;
                    failures.push(
                        json!({"index": dest_index, "id": id, "cause": e.to_json(), "status": 409}),
                    );
                }
                Err(e) => return Err(e),
            }
        }
        if qp.get("refresh").map(|v| v != "false").unwrap_or(false) {
            self.refresh_indices(&[dest_index.to_string()], &IndicesParams::default())
                .await?;
        }
        let mut out = by_query_response(
            started,
            hits.len() as u64,
            "updated",
            updated,
            conflicts,
            failures,
        );
        out["created"] = json!(created);
        Ok(out)
    }
}

fn by_query_response(
    started: Instant,
    total: u64,
    key: &str,
    n: u64,
    conflicts: u64,
    failures: Vec<Value>,
) -> Value {
    let mut out = json!({
        "took": started.elapsed().as_millis() as u64,
        "timed_out": false,
        "total": total,
        "deleted": 0,
        "updated": 0,
        "batches": if total > 0 { 1 } else { 0 },
        "version_conflicts": conflicts,
        "noops": 0,
        "retries": {"bulk": 0, "search": 0},
        "throttled_millis": 0,
        "requests_per_second": -1.0,
        "throttled_until_millis": 0,
        "failures": failures,
    });
    out[key] = json!(n);
    out
}
