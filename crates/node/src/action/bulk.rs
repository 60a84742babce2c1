//! `_bulk`: the body parsed by [`super::bulk_parser`], then execution item by item in order.
//! Consecutive prepared index/delete operations are applied in one blocking batch, and each
//! touched shard's translog is synced once at the end (before the response), as Elasticsearch
//! syncs once per shard-level bulk request.

pub use super::bulk_parser::{parse_bulk, BulkAction, BulkDefaults, BulkItem};
use super::document::{check_pipeline, embedded_error, validate_id, write_response_json};
use super::update::UpdateRequest;
use super::{ActionResponse, RefreshPolicy};
use crate::Node;
use quarry_index::mapper::ParsedDocument;
use quarry_index::{DeleteOperation, IndexOperation, IndexShard, OpType, VersionCheck};
use quarry_search::source_filter::SourceFilter;
use quarry_types::EsError;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

/// A `_bulk` request.
#[derive(Debug, Clone, Default)]
pub struct BulkRequest {
    pub body: bytes::Bytes,
    pub defaults: BulkDefaults,
    pub refresh: RefreshPolicy,
    /// `error_trace=true`: every item error carries a `stack_trace`.
    pub error_trace: bool,
}

/// A write ready for its shard.
#[allow(clippy::large_enum_variant)]
enum PreparedOp {
    Index {
        slot: usize,
        shard: Arc<IndexShard>,
        op: IndexOperation,
        parsed: ParsedDocument,
    },
    Delete {
        slot: usize,
        shard: Arc<IndexShard>,
        op: DeleteOperation,
    },
}

/// Per-item context kept for rendering the response.
struct Slot {
    action: BulkAction,
    index: String,
    id: String,
    total_copies: u32,
    result: Option<Value>,
}

impl Node {
    pub async fn bulk(&self, req: BulkRequest) -> Result<ActionResponse, EsError> {
        let started = Instant::now();
        let items = parse_bulk(&req.body, &req.defaults)?;
        let error_trace = req.error_trace;
        let mut slots: Vec<Slot> = Vec::with_capacity(items.len());
        let mut pending: Vec<PreparedOp> = Vec::new();
        let mut touched: Vec<(String, Arc<IndexShard>)> = Vec::new();
        for item in items {
            let slot = slots.len();
            let id = item.id.clone().unwrap_or_else(super::document::auto_id);
            slots.push(Slot {
                action: item.action,
                index: item.index.clone(),
                id: id.clone(),
                total_copies: 1,
                result: None,
            });
            if item.action == BulkAction::Update {
                self.run_batch(&mut pending, &mut slots, error_trace).await;
                let r = self
                    .bulk_update(&item, &id, req.defaults.source_filter.as_ref())
                    .await;
                slots[slot].result = Some(match r {
                    Ok(resp) => {
                        let mut body = resp.body;
                        body["status"] = json!(resp.status);
                        body
                    }
                    Err(e) => error_item(&item.index, &id, &e, error_trace),
                });
                continue;
            }
            match self
                .prepare(&item, &id, slot, &mut pending, &mut slots, error_trace)
                .await
            {
                Ok((op, copies, shard)) => {
                    slots[slot].total_copies = copies;
                    if !touched.iter().any(|(_, s)| Arc::ptr_eq(s, &shard)) {
                        touched.push((slots[slot].index.clone(), shard));
                    }
                    pending.push(op);
                }
                Err(e) => {
                    slots[slot].result =
                        Some(error_item(&slots[slot].index.clone(), &id, &e, error_trace))
                }
            }
        }
        self.run_batch(&mut pending, &mut slots, error_trace).await;
        // Acknowledge only what is durable: one fsync per shard under `request` durability.
        let state = self.state();
        let shards: Vec<(bool, Arc<IndexShard>)> = touched
            .into_iter()
            .map(|(index, s)| {
                (
                    state
                        .index(&index)
                        .map(|m| m.translog_durability() != "async")
                        .unwrap_or(true),
                    s,
                )
            })
            .collect();
        let policy = req.refresh;
        self.blocking(move || {
            for (sync, s) in &shards {
                if *sync {
                    s.sync_translog()?;
                }
                if policy != RefreshPolicy::None {
                    s.refresh()?;
                }
            }
            Ok(())
        })
        .await?;
        let mut errors = false;
        let mut out = Vec::with_capacity(slots.len());
        for s in slots {
            let body = s.result.unwrap_or_else(|| json!({"status": 500}));
            if body.get("error").is_some() {
                errors = true;
            }
            out.push(json!({ s.action.name(): body }));
        }
        let took = started.elapsed().as_millis() as u64;
        crate::node_stats::NodeCounters::add(&self.counters.bulk_total, 1);
        crate::node_stats::NodeCounters::add(&self.counters.bulk_time_ms, took);
        Ok(ActionResponse::ok(
            json!({"errors": errors, "took": took, "items": out}),
        ))
    }

    /// Resolves, routes and parses one index/create/delete item.
    async fn prepare(
        &self,
        item: &BulkItem,
        id: &str,
        slot: usize,
        pending: &mut Vec<PreparedOp>,
        slots: &mut [Slot],
        error_trace: bool,
    ) -> Result<(PreparedOp, u32, Arc<IndexShard>), EsError> {
        if item.index.is_empty() {
            return Err(EsError::action_request_validation(&[
                "index is missing".into()
            ]));
        }
        if let Some(given) = &item.id {
            validate_id(given)?;
        }
        let check = item.version.to_check()?;
        if item.action == BulkAction::Create && matches!(check, VersionCheck::External { .. }) {
            return Err(EsError::action_request_validation(&[
                "create operations only support internal versioning. use index instead".into(),
            ]));
        }
        if item.action != BulkAction::Delete {
            check_pipeline(item.pipeline.as_deref())?;
            self.check_require_alias(&item.index, item.require_alias)?;
        }
        let state = self.state();
        let needs_create = quarry_cluster::index_name_expression_resolver::resolve_write_index(
            &state,
            &item.index,
        )?
        .is_none();
        if needs_create {
            if item.action == BulkAction::Delete {
                return Err(EsError::index_not_found(&item.index));
            }
            self.run_batch(pending, slots, error_trace).await;
        }
        let (index, alias_routing) = self.resolve_or_create_write_index(&item.index).await?;
        slots[slot].index = index.clone();
        let routing = item.routing.clone().or(alias_routing);
        let target = self.route_write(&index, id, routing.as_deref())?;
        if item.action == BulkAction::Delete {
            let op = DeleteOperation {
                id: id.to_string(),
                routing,
                version_check: check,
            };
            return Ok((
                PreparedOp::Delete {
                    slot,
                    shard: target.shard.clone(),
                    op,
                },
                target.total_copies,
                target.shard,
            ));
        }
        let state = self.state();
        let meta = state
            .index(&index)
            .ok_or_else(|| EsError::index_not_found(&index))?;
        let mut parsed = super::write_path::parse_for_index(meta, &item.source)?;
        if parsed.dynamic_update.is_some() {
            // Operations before this one were parsed with the old mapping: apply them first.
            self.run_batch(pending, slots, error_trace).await;
            parsed = self
                .parse_with_dynamic_mapping(&index, &item.source)
                .await?;
        }
        let op = IndexOperation {
            id: id.to_string(),
            routing,
            source: item.source.clone(),
            op_type: if item.action == BulkAction::Create || item.id.is_none() {
                OpType::Create
            } else {
                OpType::Index
            },
            version_check: check,
        };
        Ok((
            PreparedOp::Index {
                slot,
                shard: target.shard.clone(),
                op,
                parsed,
            },
            target.total_copies,
            target.shard,
        ))
    }

    /// Applies the pending operations in order in one blocking task and fills their slots.
    async fn run_batch(
        &self,
        pending: &mut Vec<PreparedOp>,
        slots: &mut [Slot],
        error_trace: bool,
    ) {
        if pending.is_empty() {
            return;
        }
        let ops = std::mem::take(pending);
        let results = tokio::task::spawn_blocking(move || {
            ops.into_iter()
                .map(|op| match op {
                    PreparedOp::Index {
                        slot,
                        shard,
                        op,
                        parsed,
                    } => (
                        slot,
                        shard
                            .apply_index_on_primary_deferred_sync(op, parsed)
                            .map(|r| {
                                (
                                    r.version,
                                    if r.created { "created" } else { "updated" },
                                    r.seq_no,
                                    r.primary_term,
                                    if r.created { 201 } else { 200 },
                                )
                            }),
                    ),
                    PreparedOp::Delete { slot, shard, op } => (
                        slot,
                        shard.apply_delete_on_primary_deferred_sync(op).map(|r| {
                            (
                                r.version,
                                if r.found { "deleted" } else { "not_found" },
                                r.seq_no,
                                r.primary_term,
                                if r.found { 200 } else { 404 },
                            )
                        }),
                    ),
                })
                .collect::<Vec<_>>()
        })
        .await;
        match results {
            Ok(results) => {
                for (slot, r) in results {
                    let s = &mut slots[slot];
                    s.result = Some(match r {
                        Ok((version, result, seq_no, term, status)) => {
                            let mut body = write_response_json(
                                &s.index,
                                &s.id,
                                version,
                                result,
                                seq_no,
                                term,
                                s.total_copies,
                                false,
                            );
                            body["status"] = json!(status);
                            body
                        }
                        Err(e) => error_item(&s.index, &s.id, &e, error_trace),
                    });
                }
            }
            Err(e) => tracing::error!("bulk batch failed: {e}"),
        }
    }

    async fn bulk_update(
        &self,
        item: &BulkItem,
        id: &str,
        default_filter: Option<&SourceFilter>,
    ) -> Result<ActionResponse, EsError> {
        if item.index.is_empty() {
            return Err(EsError::action_request_validation(&[
                "index is missing".into()
            ]));
        }
        let body: Value = serde_json::from_slice(&item.source).map_err(|e| {
            EsError::x_content_parse(format!(
                "[1:{}] failed to parse update request: {e}",
                e.column()
            ))
        })?;
        // The body's `_source` wins over the metadata line's, which wins over the request's.
        let filter = match body.get("_source") {
            Some(v) => Some(SourceFilter::parse(v)?),
            None => item
                .source_filter
                .clone()
                .or_else(|| default_filter.cloned()),
        };
        self.update_document(UpdateRequest {
            index: item.index.clone(),
            id: id.to_string(),
            body,
            routing: item.routing.clone(),
            retry_on_conflict: item.retry_on_conflict,
            version: item.version.clone(),
            refresh: RefreshPolicy::None,
            source_filter: filter,
            require_alias: item.require_alias,
        })
        .await
    }
}

fn error_item(index: &str, id: &str, e: &EsError, error_trace: bool) -> Value {
    json!({
        "_index": index,
        "_id": id,
        "status": e.status,
        "error": embedded_error(e, false, error_trace),
    })
}
