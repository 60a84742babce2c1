//! Document operations whose shard lives on another node. Any node coordinates: a write goes
//! to the node holding the shard's started primary as a shard-level bulk
//! ([`SHARD_BULK_ACTION`]; single-document writes are one-item bulks, as in Elasticsearch), a
//! get to the node holding the copy that serves reads ([`super::shard_get`]; the primary until
//! replication exists).
//!
//! ```text
//!  REST -> Node::bulk / index_document / delete_document / update_document
//!            route_write_or_forward: primary here? -> existing local path (unchanged)
//!                                    elsewhere     -> send_shard_bulk --transport--> primary's
//!            node: Node::execute_shard_bulk (local primary) --> per-item results --> response
//! ```
//!
//! In single-node mode (no transport) every route is local and nothing here runs.
//!
//! Owns: the choice local/remote on this node and the retrying send; the placement decisions
//! are pure functions in [`super::shard_location`]. Must not render REST responses beyond the
//! action bodies the local path renders.

use super::document::write_response_json;
use super::remote_error::{decode_error, error_from_transport};
use super::shard_bulk_wire::{
    decode, encode, ShardBulkItem, ShardBulkRequest, ShardBulkResponse, ShardItemResult,
    SHARD_BULK_ACTION,
};
use super::shard_location::{locate_primary, locate_read_copy, PrimaryLocation, ReadLocation};
use super::write_path::{primary_not_active, write_shard, WriteTarget};
use super::{ActionResponse, RefreshPolicy};
use crate::no_master_block::BlockLevel;
use crate::transport::{SharedTransport, TransportError};
use crate::Node;
use quarry_index::IndexShard;
use quarry_types::EsError;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// How long a write waits for its shard's primary to start (Elasticsearch's default
/// `timeout` of a write request).
const PRIMARY_WAIT: Duration = Duration::from_secs(60);

/// How long the coordinating node waits for a shard-level request to be answered.
pub const SHARD_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// A shard whose primary is not on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteShard {
    pub index: String,
    pub shard_number: u32,
    /// Copies the write is expected on (`_shards.total`).
    pub total_copies: u32,
}

/// Where one write runs.
pub enum WriteRoute {
    Local(WriteTarget),
    Remote(RemoteShard),
}

/// Where one get runs.
pub enum ReadRoute {
    Local(Arc<IndexShard>),
    /// The transport address of the node holding the copy that serves the get.
    Remote(String),
}

impl Node {
    /// The transport to other nodes (multi-node mode only).
    pub fn transport(&self) -> Option<SharedTransport> {
        self.cluster.as_ref().map(|c| c.transport.clone())
    }

    /// Routes a write of `id` in `index`: to the local primary through [`Node::route_write`]
    /// (always in single-node mode), or to the node holding the primary.
    pub fn route_write_or_forward(
        &self,
        index: &str,
        id: &str,
        routing: Option<&str>,
    ) -> Result<WriteRoute, EsError> {
        if self.cluster.is_none() {
            return self.route_write(index, id, routing).map(WriteRoute::Local);
        }
        let state = self.state();
        let (shard_number, total_copies) = write_shard(&state, index, id, routing)?;
        match locate_primary(&state, index, shard_number, &self.node_id) {
            PrimaryLocation::Local => self.route_write(index, id, routing).map(WriteRoute::Local),
            PrimaryLocation::Remote(_) | PrimaryLocation::NotStarted => {
                Ok(WriteRoute::Remote(RemoteShard {
                    index: index.to_string(),
                    shard_number,
                    total_copies,
                }))
            }
            PrimaryLocation::Unassigned => Err(primary_not_active(index, shard_number)),
        }
    }

    /// Routes a get of `id` in `index` to the copy [`locate_read_copy`] picks (always the local
    /// shard in single-node mode).
    pub fn route_read_or_forward(
        &self,
        index: &str,
        id: &str,
        routing: Option<&str>,
    ) -> Result<ReadRoute, EsError> {
        if self.cluster.is_some() {
            self.check_no_master_block(BlockLevel::Read)?;
            let state = self.state();
            let meta = state
                .index(index)
                .ok_or_else(|| EsError::index_not_found(index))?;
            if !meta.is_open() {
                return Err(EsError::index_closed(index));
            }
            let n = quarry_cluster::operation_routing::shard_for_document(meta, id, routing)?;
            match locate_read_copy(&state, index, n, &self.node_id) {
                ReadLocation::Local => {}
                ReadLocation::Remote(address) => return Ok(ReadRoute::Remote(address)),
                ReadLocation::Unavailable => return Err(no_shard_available(index, id)),
            }
        }
        self.route_read(index, id, routing).map(ReadRoute::Local)
    }

    /// Sends one shard's items to the node holding its primary and returns its answer. Runs
    /// them here when the primary is (now) local; waits up to [`PRIMARY_WAIT`] for a primary
    /// that is not started yet or a node that cannot be reached yet.
    pub async fn send_shard_bulk(
        &self,
        req: ShardBulkRequest,
    ) -> Result<ShardBulkResponse, EsError> {
        // Boxed: the update action forwards through here and the executor runs updates.
        let Some(transport) = self.transport() else {
            return Box::pin(self.execute_shard_bulk(req)).await;
        };
        let payload = encode(&req)?;
        let deadline = tokio::time::Instant::now() + PRIMARY_WAIT;
        let mut states = self.master.subscribe();
        loop {
            // A node that lost its master stops forwarding writes (`cluster.no_master_block`).
            self.check_no_master_block(BlockLevel::Write)?;
            let state = self.state();
            let retry_after = match locate_primary(&state, &req.index, req.shard, &self.node_id) {
                PrimaryLocation::Local => return Box::pin(self.execute_shard_bulk(req)).await,
                PrimaryLocation::Unassigned => {
                    return Err(primary_not_active(&req.index, req.shard))
                }
                PrimaryLocation::NotStarted => primary_not_active(&req.index, req.shard),
                PrimaryLocation::Remote(address) => {
                    let send = transport.send(
                        &address,
                        SHARD_BULK_ACTION,
                        payload.clone(),
                        SHARD_REQUEST_TIMEOUT,
                    );
                    // Stop waiting for a node that no longer holds the primary (it left the
                    // cluster) or once this node lost its master; then decide again.
                    let sent = tokio::select! {
                        sent = send => sent,
                        _ = self.primary_left(&req.index, req.shard, &address) => continue,
                    };
                    match sent {
                        Ok(bytes) => return decode(&bytes),
                        Err(e) => {
                            let retry = nothing_was_applied(&e);
                            let e = error_from_transport(e);
                            if !retry {
                                return Err(e);
                            }
                            e
                        }
                    }
                }
            };
            if tokio::time::Instant::now() >= deadline {
                return Err(retry_after);
            }
            // A new cluster state (the primary started or moved), or a short pause.
            if let Ok(Err(_)) =
                tokio::time::timeout(Duration::from_millis(500), states.changed()).await
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }

    /// Resolves once the primary of the shard is no longer at `address` in the cluster state,
    /// or writes are blocked because this node has no master (checked every 100 ms).
    async fn primary_left(&self, index: &str, shard: u32, address: &str) {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if self.check_no_master_block(BlockLevel::Write).is_err() {
                return;
            }
            match locate_primary(&self.state(), index, shard, &self.node_id) {
                PrimaryLocation::Remote(a) if a == address => {}
                _ => return,
            }
        }
    }

    /// Carries out a single-document write on a remote primary: a one-item shard bulk, answered
    /// with the same body and status as the local path.
    pub async fn forward_single_write(
        &self,
        remote: &RemoteShard,
        id: &str,
        item: ShardBulkItem,
        refresh: RefreshPolicy,
    ) -> Result<ActionResponse, EsError> {
        let response = self
            .send_shard_bulk(ShardBulkRequest {
                index: remote.index.clone(),
                shard: remote.shard_number,
                refresh: refresh.into(),
                items: vec![item],
            })
            .await?;
        let forced = response.forced_refresh;
        let result = response
            .items
            .into_iter()
            .next()
            .ok_or_else(|| EsError::illegal_state("shard bulk response without results"))?;
        single_write_response(remote, id, result, forced)
    }
}

/// The error of a get whose shard has no copy to serve it.
pub fn no_shard_available(index: &str, id: &str) -> EsError {
    EsError::new(
        "no_shard_available_action_exception",
        503,
        format!("No shard available for [get [{index}][{id}]]"),
    )
}

/// The single-document response for a shard-level result (see [`write_response_json`]).
pub fn single_write_response(
    remote: &RemoteShard,
    id: &str,
    result: ShardItemResult,
    forced_refresh: bool,
) -> Result<ActionResponse, EsError> {
    match result {
        ShardItemResult::Written {
            version,
            result,
            seq_no,
            primary_term,
            status,
        } => Ok(ActionResponse::with_status(
            status,
            write_response_json(
                &remote.index,
                id,
                version,
                result.as_str(),
                seq_no,
                primary_term,
                remote.total_copies,
                forced_refresh,
            ),
        )),
        ShardItemResult::Json { status, body } => {
            let body: Value = serde_json::from_slice(&body)
                .map_err(|e| EsError::internal(format!("invalid shard response body: {e}")))?;
            Ok(ActionResponse::with_status(status, body))
        }
        ShardItemResult::Failed { error } => Err(decode_error(&error)),
    }
}

/// Whether a failed send certainly did not run on the target (so it can be retried without
/// applying a write twice): no connection, no handler yet, or the target refused up front
/// because it does not hold the primary.
fn nothing_was_applied(e: &TransportError) -> bool {
    match e {
        TransportError::ConnectFailed { .. } | TransportError::ActionNotFound { .. } => true,
        TransportError::Remote { message, .. } => {
            decode_error(message).error_type == "unavailable_shards_exception"
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::remote_error::encode_error;
    use crate::action::shard_bulk_wire::WrittenResult;

    fn remote() -> RemoteShard {
        RemoteShard {
            index: "idx".into(),
            shard_number: 1,
            total_copies: 2,
        }
    }

    #[test]
    fn remote_results_render_like_local_writes() {
        let r = single_write_response(
            &remote(),
            "7",
            ShardItemResult::Written {
                version: 3,
                result: WrittenResult::Updated,
                seq_no: 9,
                primary_term: 2,
                status: 200,
            },
            true,
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(
            serde_json::to_string(&r.body).unwrap(),
            serde_json::to_string(&write_response_json(
                "idx", "7", 3, "updated", 9, 2, 2, true
            ))
            .unwrap()
        );
        let e = single_write_response(
            &remote(),
            "7",
            ShardItemResult::Failed {
                error: encode_error(&EsError::version_conflict("idx", "7", "conflict")),
            },
            false,
        )
        .unwrap_err();
        assert_eq!(e, EsError::version_conflict("idx", "7", "conflict"));
        let r = single_write_response(
            &remote(),
            "7",
            ShardItemResult::Json {
                status: 201,
                body: br#"{"b":1,"a":2}"#.to_vec(),
            },
            false,
        )
        .unwrap();
        assert_eq!(
            (r.status, r.body.to_string()),
            (201, r#"{"b":1,"a":2}"#.into())
        );
    }

    #[test]
    fn only_requests_that_never_ran_are_retried() {
        let connect = TransportError::ConnectFailed {
            address: "a".into(),
            reason: "refused".into(),
        };
        assert!(nothing_was_applied(&connect));
        let not_primary = TransportError::Remote {
            address: "a".into(),
            action: SHARD_BULK_ACTION.into(),
            message: encode_error(&primary_not_active("i", 0)),
        };
        assert!(nothing_was_applied(&not_primary));
        let failed = TransportError::Remote {
            address: "a".into(),
            action: SHARD_BULK_ACTION.into(),
            message: encode_error(&EsError::internal("disk full")),
        };
        assert!(!nothing_was_applied(&failed));
        assert!(!nothing_was_applied(&TransportError::Disconnected {
            address: "a".into()
        }));
    }
}
