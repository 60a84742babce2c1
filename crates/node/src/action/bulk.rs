//! `_bulk`: the body parsed by [`super::bulk_parser`], then execution item by item in order.
//! Consecutive prepared index/delete operations are applied in one blocking batch, and each
//! touched shard's translog is synced once at the end (before the response), as Elasticsearch
//! syncs once per shard-level bulk request.

pub use super::bulk_parser::{parse_bulk, BulkAction, BulkDefaults, BulkItem};
use super::document::{check_pipeline, embedded_error, validate_id};
use super::forwarding::{RemoteShard, WriteRoute};
use super::remote_error::decode_error;
use super::shard_bulk_groups::{merge_into, ShardGroups};
use super::shard_bulk_wire::{ShardBulkItem, ShardItemResult};
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

/// An item routed: ready for its local primary, or for the node holding it.
#[allow(clippy::large_enum_variant)]
enum Prepared {
    Local(PreparedOp, u32, Arc<IndexShard>),
    Remote(RemoteShard, ShardBulkItem),
}

/// The outcome of one item.
enum ItemResult {
    /// A successful index/create/delete (rendered straight to JSON text).
    Written {
        version: i64,
        result: &'static str,
        seq_no: i64,
        term: u64,
        status: u16,
    },
    /// Anything else (errors, update responses) as a JSON object.
    Json(Value),
}

/// Per-item context kept for rendering the response.
struct Slot {
    action: BulkAction,
    index: String,
    id: String,
    total_copies: u32,
    result: Option<ItemResult>,
}

impl Slot {
    fn failed(&self) -> bool {
        match &self.result {
            Some(ItemResult::Written { .. }) => false,
            Some(ItemResult::Json(v)) => v.get("error").is_some(),
            None => true,
        }
    }

    /// Appends `{"<action>":{...}}` to `out`, in Elasticsearch's key order.
    fn write_json(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"");
        out.extend_from_slice(self.action.name().as_bytes());
        out.extend_from_slice(b"\":");
        match &self.result {
            Some(ItemResult::Written {
                version,
                result,
                seq_no,
                term,
                status,
            }) => {
                out.extend_from_slice(b"{\"_index\":");
                let _ = serde_json::to_writer(&mut *out, &self.index);
                out.extend_from_slice(b",\"_id\":");
                let _ = serde_json::to_writer(&mut *out, &self.id);
                let rest = format!(
                    ",\"_version\":{version},\"result\":\"{result}\",\"_shards\":{{\"total\":{},\"successful\":1,\"failed\":0}},\"_seq_no\":{seq_no},\"_primary_term\":{term},\"status\":{status}}}",
                    self.total_copies
                );
                out.extend_from_slice(rest.as_bytes());
            }
            Some(ItemResult::Json(v)) => {
                let _ = serde_json::to_writer(&mut *out, v);
            }
            None => out.extend_from_slice(b"{\"status\":500}"),
        }
        out.push(b'}');
    }
}

impl Node {
    pub async fn bulk(&self, req: BulkRequest) -> Result<ActionResponse, EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Write)?;
        let started = Instant::now();
        let items = parse_bulk(&req.body, &req.defaults)?;
        let error_trace = req.error_trace;
        let mut slots: Vec<Slot> = Vec::with_capacity(items.len());
        let mut pending: Vec<PreparedOp> = Vec::new();
        let mut touched: Vec<(String, Arc<IndexShard>)> = Vec::new();
        let mut remote: ShardGroups<ShardBulkItem> = ShardGroups::default();
        for mut item in items {
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
                if self.cluster.is_some() {
                    let defaults = req.defaults.source_filter.as_ref();
                    if let Some((shard, wire)) = self.remote_update(&mut item, &id, defaults).await
                    {
                        remote.add(&shard.index, shard.shard_number, slot, wire);
                        continue;
                    }
                }
                self.run_batch(&mut pending, &mut slots, error_trace).await;
                let r = self
                    .bulk_update(&item, &id, req.defaults.source_filter.as_ref())
                    .await;
                slots[slot].result = Some(ItemResult::Json(match r {
                    Ok(resp) => {
                        let mut body = resp.body;
                        body["status"] = json!(resp.status);
                        body
                    }
                    Err(e) => error_item(&item.index, &id, &e, error_trace),
                }));
                continue;
            }
            match self
                .prepare(&mut item, &id, slot, &mut pending, &mut slots, error_trace)
                .await
            {
                Ok(Prepared::Remote(shard, wire)) => {
                    slots[slot].total_copies = shard.total_copies;
                    remote.add(&shard.index, shard.shard_number, slot, wire);
                }
                Ok(Prepared::Local(op, copies, shard)) => {
                    slots[slot].total_copies = copies;
                    if !touched.iter().any(|(_, s)| Arc::ptr_eq(s, &shard)) {
                        touched.push((slots[slot].index.clone(), shard));
                    }
                    pending.push(op);
                }
                Err(e) => {
                    slots[slot].result = Some(ItemResult::Json(error_item(
                        &slots[slot].index.clone(),
                        &id,
                        &e,
                        error_trace,
                    )))
                }
            }
        }
        self.run_batch(&mut pending, &mut slots, error_trace).await;
        let forwarded = self.send_bulk_groups(remote, req.refresh).await;
        merge_into(&mut slots, forwarded, |s, r| {
            s.result = Some(remote_result(s, r, error_trace))
        });
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
        let errors = slots.iter().any(Slot::failed);
        let took = started.elapsed().as_millis() as u64;
        let mut out = Vec::with_capacity(64 + slots.len() * 192);
        out.extend_from_slice(
            format!("{{\"errors\":{errors},\"took\":{took},\"items\":[").as_bytes(),
        );
        for (i, s) in slots.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            s.write_json(&mut out);
        }
        out.extend_from_slice(b"]}");
        crate::node_stats::NodeCounters::add(&self.counters.bulk_total, 1);
        crate::node_stats::NodeCounters::add(&self.counters.bulk_time_ms, took);
        Ok(ActionResponse::raw(200, out))
    }

    /// Resolves, routes and parses one index/create/delete item.
    async fn prepare(
        &self,
        item: &mut BulkItem,
        id: &str,
        slot: usize,
        pending: &mut Vec<PreparedOp>,
        slots: &mut [Slot],
        error_trace: bool,
    ) -> Result<Prepared, EsError> {
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
        let target = match self.route_write_or_forward(&index, id, routing.as_deref())? {
            WriteRoute::Local(target) => target,
            WriteRoute::Remote(remote) => {
                let wire = ShardBulkItem::from_bulk_item(item, id, routing, check);
                return Ok(Prepared::Remote(remote, wire));
            }
        };
        if item.action == BulkAction::Delete {
            let op = DeleteOperation {
                id: id.to_string(),
                routing,
                version_check: check,
            };
            return Ok(Prepared::Local(
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
            source: std::mem::take(&mut item.source),
            op_type: if item.action == BulkAction::Create || item.id.is_none() {
                OpType::Create
            } else {
                OpType::Index
            },
            version_check: check,
            auto_generated_id: item.id.is_none(),
        };
        Ok(Prepared::Local(
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
                        Ok((version, result, seq_no, term, status)) => ItemResult::Written {
                            version,
                            result,
                            seq_no,
                            term,
                            status,
                        },
                        Err(e) => ItemResult::Json(error_item(&s.index, &s.id, &e, error_trace)),
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

/// A forwarded item's outcome, rendered as the local path renders it.
fn remote_result(
    slot: &Slot,
    r: Result<ShardItemResult, EsError>,
    error_trace: bool,
) -> ItemResult {
    let r = r.and_then(|r| match r {
        ShardItemResult::Written {
            version,
            result,
            seq_no,
            primary_term,
            status,
        } => Ok(ItemResult::Written {
            version,
            result: result.as_str(),
            seq_no,
            term: primary_term,
            status,
        }),
        ShardItemResult::Json { status, body } => {
            let mut body: Value = serde_json::from_slice(&body)
                .map_err(|e| EsError::internal(format!("invalid shard response body: {e}")))?;
            body["status"] = json!(status);
            Ok(ItemResult::Json(body))
        }
        ShardItemResult::Failed { error } => Err(decode_error(&error)),
    });
    r.unwrap_or_else(|e| ItemResult::Json(error_item(&slot.index, &slot.id, &e, error_trace)))
}

fn error_item(index: &str, id: &str, e: &EsError, error_trace: bool) -> Value {
    json!({
        "_index": index,
        "_id": id,
        "status": e.status,
        "error": embedded_error(e, false, error_trace),
    })
}
