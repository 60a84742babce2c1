//! `_bulk`: NDJSON parsing with Elasticsearch's rules, then execution item by item in order.
//! Consecutive prepared index/delete operations are applied in one blocking batch, and each
//! touched shard's translog is synced once at the end (before the response), as Elasticsearch
//! syncs once per shard-level bulk request.

use super::document::{validate_id, write_response_json, VersionParams};
use super::update::UpdateRequest;
use super::{ActionResponse, RefreshPolicy};
use crate::Node;
use quarry_index::mapper::ParsedDocument;
use quarry_index::{DeleteOperation, IndexOperation, IndexShard, OpType};
use quarry_types::EsError;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Index,
    Create,
    Update,
    Delete,
}

impl BulkAction {
    fn name(self) -> &'static str {
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
}

fn meta_string(m: &Map<String, Value>, key: &str) -> Option<String> {
    match m.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses a bulk body. Line-level syntax errors fail the whole request, as in Elasticsearch.
pub fn parse_bulk(
    body: &[u8],
    default_index: Option<&str>,
    default_routing: Option<&str>,
) -> Result<Vec<BulkItem>, EsError> {
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
        let action_line: Value = serde_json::from_slice(trimmed).map_err(|e| {
            EsError::x_content_parse(format!(
                "[{}:{}] Malformed action/metadata line [{}]: {e}",
                line_no + 1,
                e.column(),
                line_no + 1
            ))
        })?;
        let obj = action_line.as_object().filter(|o| o.len() == 1).ok_or_else(|| {
            EsError::illegal_argument(format!(
                "Malformed action/metadata line [{}], expected START_OBJECT or END_OBJECT but found [{}]",
                line_no + 1,
                if action_line.is_object() { "FIELD_NAME" } else { "VALUE_STRING" }
            ))
        })?;
        let (name, meta) = obj.iter().next().expect("length checked above");
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
        let meta = meta.as_object().ok_or_else(|| {
            EsError::illegal_argument(format!(
                "Malformed action/metadata line [{}], expected START_OBJECT",
                line_no + 1
            ))
        })?;
        for key in meta.keys() {
            if !matches!(
                key.as_str(),
                "_index"
                    | "_id"
                    | "routing"
                    | "_routing"
                    | "if_seq_no"
                    | "if_primary_term"
                    | "version"
                    | "version_type"
                    | "retry_on_conflict"
                    | "_retry_on_conflict"
                    | "pipeline"
                    | "require_alias"
                    | "require_data_stream"
                    | "dynamic_templates"
                    | "_source"
                    | "list_executed_pipelines"
            ) {
                return Err(EsError::illegal_argument(format!(
                    "Action/metadata line [{}] contains an unknown parameter [{key}]",
                    line_no + 1
                )));
            }
        }
        let index = meta_string(meta, "_index")
            .or(default_index.map(String::from))
            .unwrap_or_default();
        let version = VersionParams {
            if_seq_no: meta.get("if_seq_no").and_then(Value::as_i64),
            if_primary_term: meta.get("if_primary_term").and_then(Value::as_u64),
            version: meta.get("version").and_then(Value::as_i64),
            version_type: meta_string(meta, "version_type"),
        };
        let mut item = BulkItem {
            action,
            index,
            id: meta_string(meta, "_id"),
            routing: meta_string(meta, "routing")
                .or(meta_string(meta, "_routing"))
                .or(default_routing.map(String::from)),
            version,
            retry_on_conflict: meta
                .get("retry_on_conflict")
                .or(meta.get("_retry_on_conflict"))
                .and_then(Value::as_u64)
                .unwrap_or(0) as u32,
            source: Vec::new(),
        };
        if action != BulkAction::Delete {
            let Some((_, source)) = lines.next() else {
                return Err(EsError::illegal_argument(
                    "The bulk request must be terminated by a newline [\n]",
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
    pub async fn bulk(
        &self,
        body: &[u8],
        default_index: Option<&str>,
        default_routing: Option<&str>,
        refresh: RefreshPolicy,
    ) -> Result<ActionResponse, EsError> {
        let started = Instant::now();
        let items = parse_bulk(body, default_index, default_routing)?;
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
                self.run_batch(&mut pending, &mut slots).await;
                let r = self.bulk_update(&item, &id).await;
                slots[slot].result = Some(match r {
                    Ok(resp) => {
                        let mut body = resp.body;
                        body["status"] = json!(resp.status);
                        body
                    }
                    Err(e) => error_item(&item.index, &id, &e),
                });
                continue;
            }
            match self
                .prepare(&item, &id, slot, &mut pending, &mut slots)
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
                    slots[slot].result = Some(error_item(&slots[slot].index.clone(), &id, &e))
                }
            }
        }
        self.run_batch(&mut pending, &mut slots).await;
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
        let policy = refresh;
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
            self.run_batch(pending, slots).await;
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
        let mut parsed = quarry_index::mapper::parse_document(&meta.mapping, &item.source)?;
        if parsed.dynamic_update.is_some() {
            // Operations before this one were parsed with the old mapping: apply them first.
            self.run_batch(pending, slots).await;
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
    async fn run_batch(&self, pending: &mut Vec<PreparedOp>, slots: &mut [Slot]) {
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
                        Err(e) => error_item(&s.index, &s.id, &e),
                    });
                }
            }
            Err(e) => tracing::error!("bulk batch failed: {e}"),
        }
    }

    async fn bulk_update(&self, item: &BulkItem, id: &str) -> Result<ActionResponse, EsError> {
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
        let filter = match body.get("_source") {
            Some(v) => Some(quarry_search::SourceFilter::parse(v)?),
            None => None,
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
        })
        .await
    }
}

fn error_item(index: &str, id: &str, e: &EsError) -> Value {
    json!({"_index": index, "_id": id, "status": e.status, "error": e.to_json()})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_actions_sources_and_defaults() {
        let body = b"{\"index\":{\"_id\":\"1\"}}\n{\"a\":1}\n{\"delete\":{\"_index\":\"x\",\"_id\":\"2\"}}\n{\"create\":{}}\n{\"b\":2}\n";
        let items = parse_bulk(body, Some("d"), None).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].index, "d");
        assert_eq!(items[0].source, b"{\"a\":1}");
        assert_eq!(items[1].action, BulkAction::Delete);
        assert_eq!(items[1].index, "x");
        assert_eq!(items[2].id, None);
    }

    #[test]
    fn rejects_bad_bulk_bodies() {
        assert!(parse_bulk(b"{\"index\":{}}\n{}", None, None)
            .unwrap_err()
            .reason
            .contains("terminated by a newline"));
        assert!(parse_bulk(b"{\"foo\":{}}\n", None, None)
            .unwrap_err()
            .reason
            .contains("expected one of [create, delete, index, update]"));
        assert_eq!(parse_bulk(b"{bad\n", None, None).unwrap_err().status, 400);
        assert_eq!(
            parse_bulk(b"", None, None).unwrap_err().error_type,
            "action_request_validation_exception"
        );
    }
}
