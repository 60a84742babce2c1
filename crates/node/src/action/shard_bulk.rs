//! The shard-level bulk on the primary's node
//! ([`SHARD_BULK_ACTION`](super::shard_bulk_wire::SHARD_BULK_ACTION), Elasticsearch's
//! `TransportShardBulkAction`): the items of one shard run in order against the local primary
//! with the same steps as the local `_bulk` path — parse against the index mapping (new fields go
//! through the master first), apply consecutive index/delete operations in one blocking batch,
//! run updates through the update action — then the translog is synced once and the shard is
//! refreshed when the request asks for it. Also the coordinating side's fan-out of its shard
//! groups.
//!
//! Owns the primary-side execution of forwarded writes; must not choose where a write goes
//! (that is [`super::forwarding`]).

use super::bulk_parser::BulkItem;
use super::document::VersionParams;
use super::forwarding::{RemoteShard, WriteRoute};
use super::remote_error::encode_error;
use super::shard_bulk_groups::{results_by_slot, ShardGroups};
use super::shard_bulk_wire::{
    ShardBulkItem, ShardBulkRequest, ShardBulkResponse, ShardItemResult, WrittenResult,
};
use super::shard_location::{locate_primary, PrimaryLocation};
use super::update::parse_update_body;
use super::update::UpdateRequest;
use super::write_path::{parse_for_index, primary_not_active};
use super::RefreshPolicy;
use crate::Node;
use quarry_index::mapper::ParsedDocument;
use quarry_index::{DeleteOperation, IndexOperation, IndexShard, OpType, VersionCheck};
use quarry_search::source_filter::SourceFilter;
use quarry_types::EsError;
use serde_json::Value;
use std::sync::Arc;

/// An operation ready for the local primary.
#[allow(clippy::large_enum_variant)]
enum ShardOp {
    Index(IndexOperation, ParsedDocument),
    Delete(DeleteOperation),
}

impl Node {
    /// Runs one shard's items on its local primary, in order; one result per item.
    pub async fn execute_shard_bulk(
        &self,
        req: ShardBulkRequest,
    ) -> Result<ShardBulkResponse, EsError> {
        let index = req.index;
        if self.cluster.is_some()
            && locate_primary(&self.state(), &index, req.shard, &self.node_id)
                != PrimaryLocation::Local
        {
            return Err(primary_not_active(&index, req.shard));
        }
        let shard = self
            .indices()
            .shard(&index, req.shard)
            .ok_or_else(|| primary_not_active(&index, req.shard))?;
        let mut results: Vec<Option<ShardItemResult>> = vec![None; req.items.len()];
        let mut batch: Vec<(usize, ShardOp)> = Vec::new();
        let mut wrote = false;
        for (slot, item) in req.items.into_iter().enumerate() {
            match item {
                ShardBulkItem::Index {
                    id,
                    routing,
                    source,
                    create,
                    version_check,
                    auto_generated_id,
                } => {
                    let parsed = match self.parse_on_primary(&index, &source).await {
                        Ok(Some(parsed)) => parsed,
                        Ok(None) => {
                            // New fields: earlier items were parsed with the old mapping.
                            apply_batch(&shard, &mut batch, &mut results).await;
                            match self.parse_with_dynamic_mapping(&index, &source).await {
                                Ok(parsed) => parsed,
                                Err(e) => {
                                    results[slot] = Some(failed(&e));
                                    continue;
                                }
                            }
                        }
                        Err(e) => {
                            results[slot] = Some(failed(&e));
                            continue;
                        }
                    };
                    let op = IndexOperation {
                        id,
                        routing,
                        source,
                        op_type: if create {
                            OpType::Create
                        } else {
                            OpType::Index
                        },
                        version_check: version_check.into(),
                        auto_generated_id,
                    };
                    wrote = true;
                    batch.push((slot, ShardOp::Index(op, parsed)));
                }
                ShardBulkItem::Delete {
                    id,
                    routing,
                    version_check,
                } => {
                    wrote = true;
                    batch.push((
                        slot,
                        ShardOp::Delete(DeleteOperation {
                            id,
                            routing,
                            version_check: version_check.into(),
                        }),
                    ));
                }
                ShardBulkItem::Update {
                    id,
                    routing,
                    body,
                    retry_on_conflict,
                    if_seq_no,
                    if_primary_term,
                    version,
                    version_type,
                    source_filter,
                    refresh,
                } => {
                    apply_batch(&shard, &mut batch, &mut results).await;
                    let body = serde_json::from_slice(&body).map_err(|e| {
                        EsError::x_content_parse(format!("failed to parse update request: {e}"))
                    });
                    let outcome = match body {
                        Ok(body) => {
                            self.update_document(UpdateRequest {
                                index: index.clone(),
                                id,
                                body,
                                routing,
                                retry_on_conflict,
                                version: VersionParams {
                                    if_seq_no,
                                    if_primary_term,
                                    version,
                                    version_type,
                                },
                                refresh: refresh.into(),
                                source_filter: source_filter.map(Into::into),
                                // Checked by the coordinating node; `index` is concrete here.
                                require_alias: false,
                            })
                            .await
                        }
                        Err(e) => Err(e),
                    };
                    results[slot] = Some(match outcome {
                        Ok(r) => ShardItemResult::Json {
                            status: r.status,
                            body: serde_json::to_vec(&r.body).unwrap_or_default(),
                        },
                        Err(e) => failed(&e),
                    });
                }
            }
        }
        apply_batch(&shard, &mut batch, &mut results).await;
        let policy = RefreshPolicy::from(req.refresh);
        let sync = wrote
            && self
                .state()
                .index(&index)
                .map(|m| m.translog_durability() != "async")
                .unwrap_or(true);
        if sync || policy != RefreshPolicy::None {
            let shard = shard.clone();
            self.blocking(move || {
                if sync {
                    shard.sync_translog()?;
                }
                if policy != RefreshPolicy::None {
                    shard.refresh()?;
                }
                Ok(())
            })
            .await?;
        }
        Ok(ShardBulkResponse {
            forced_refresh: policy == RefreshPolicy::Immediate,
            items: results
                .into_iter()
                .map(|r| {
                    r.unwrap_or_else(|| failed(&EsError::internal("bulk item was not executed")))
                })
                .collect(),
        })
    }

    /// Parses `source` against the current mapping; `None` when it introduces new fields.
    async fn parse_on_primary(
        &self,
        index: &str,
        source: &[u8],
    ) -> Result<Option<ParsedDocument>, EsError> {
        let state = self.state();
        let meta = state
            .index(index)
            .ok_or_else(|| EsError::index_not_found(index))?;
        let parsed = parse_for_index(meta, source)?;
        Ok(parsed.dynamic_update.is_none().then_some(parsed))
    }

    /// A bulk update item whose primary is on another node, ready to forward; `None` when it
    /// runs here (also when it fails before routing: the local path reports the error).
    pub async fn remote_update(
        &self,
        item: &mut BulkItem,
        id: &str,
        default_filter: Option<&SourceFilter>,
    ) -> Option<(RemoteShard, ShardBulkItem)> {
        if item.index.is_empty() {
            return None;
        }
        let body: Value = serde_json::from_slice(&item.source).ok()?;
        parse_update_body(&body).ok()?;
        if matches!(item.version.to_check().ok()?, VersionCheck::External { .. }) {
            return None;
        }
        // The body's `_source` wins over the metadata line's, which wins over the request's.
        let filter = match body.get("_source") {
            Some(v) => Some(SourceFilter::parse(v).ok()?),
            None => item
                .source_filter
                .clone()
                .or_else(|| default_filter.cloned()),
        };
        self.check_require_alias(&item.index, item.require_alias)
            .ok()?;
        let (index, alias_routing) = self.resolve_or_create_write_index(&item.index).await.ok()?;
        let routing = item.routing.clone().or(alias_routing);
        let WriteRoute::Remote(remote) = self
            .route_write_or_forward(&index, id, routing.as_deref())
            .ok()?
        else {
            return None;
        };
        let wire = ShardBulkItem::update(
            id.to_string(),
            routing,
            std::mem::take(&mut item.source),
            item.retry_on_conflict,
            &item.version,
            filter.as_ref(),
            RefreshPolicy::None,
        );
        Some((remote, wire))
    }

    /// Sends every shard group of a bulk to its primary, all at once; the results come back
    /// with the positions of their items in the bulk.
    pub async fn send_bulk_groups(
        &self,
        groups: ShardGroups<ShardBulkItem>,
        refresh: RefreshPolicy,
    ) -> Vec<(usize, Result<ShardItemResult, EsError>)> {
        if groups.is_empty() {
            return Vec::new();
        }
        let sends = groups.into_groups().into_iter().map(|group| async move {
            let outcome = self
                .send_shard_bulk(ShardBulkRequest {
                    index: group.index,
                    shard: group.shard,
                    refresh: refresh.into(),
                    items: group.items,
                })
                .await
                .map(|r| r.items);
            results_by_slot(&group.slots, outcome)
        });
        futures::future::join_all(sends)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

fn failed(e: &EsError) -> ShardItemResult {
    ShardItemResult::Failed {
        error: encode_error(e),
    }
}

/// Applies the batched operations in order in one blocking task and records their results.
async fn apply_batch(
    shard: &Arc<IndexShard>,
    batch: &mut Vec<(usize, ShardOp)>,
    results: &mut [Option<ShardItemResult>],
) {
    if batch.is_empty() {
        return;
    }
    let ops = std::mem::take(batch);
    let slots: Vec<usize> = ops.iter().map(|(slot, _)| *slot).collect();
    let shard = shard.clone();
    let applied = tokio::task::spawn_blocking(move || {
        ops.into_iter()
            .map(|(slot, op)| (slot, apply_op(&shard, op)))
            .collect::<Vec<_>>()
    })
    .await;
    match applied {
        Ok(applied) => {
            for (slot, r) in applied {
                results[slot] = Some(r.unwrap_or_else(|e| failed(&e)));
            }
        }
        Err(e) => {
            let e = EsError::internal(format!("shard bulk batch failed: {e}"));
            for slot in slots {
                results[slot] = Some(failed(&e));
            }
        }
    }
}

fn apply_op(shard: &IndexShard, op: ShardOp) -> Result<ShardItemResult, EsError> {
    Ok(match op {
        ShardOp::Index(op, parsed) => {
            let r = shard.apply_index_on_primary_deferred_sync(op, parsed)?;
            ShardItemResult::Written {
                version: r.version,
                result: if r.created {
                    WrittenResult::Created
                } else {
                    WrittenResult::Updated
                },
                seq_no: r.seq_no,
                primary_term: r.primary_term,
                status: if r.created { 201 } else { 200 },
            }
        }
        ShardOp::Delete(op) => {
            let r = shard.apply_delete_on_primary_deferred_sync(op)?;
            ShardItemResult::Written {
                version: r.version,
                result: if r.found {
                    WrittenResult::Deleted
                } else {
                    WrittenResult::NotFound
                },
                seq_no: r.seq_no,
                primary_term: r.primary_term,
                status: if r.found { 200 } else { 404 },
            }
        }
    })
}

#[cfg(test)]
#[path = "shard_bulk_test.rs"]
mod shard_bulk_test;
