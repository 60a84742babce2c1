//! Serves the shard-level document actions other nodes send to this one
//! ([`SHARD_BULK_ACTION`], [`SHARD_GET_ACTION`], [`SHARD_SEARCH_ACTION`]): decodes the request, runs it on the node and
//! encodes the answer; a failure travels back as the Elasticsearch error
//! ([`super::remote_error`]). Holds the node weakly: the node owns the transport that owns
//! this handler.
//!
//! Owns decoding and dispatch of these actions; must not decide anything itself.

use super::remote_error::encode_error;
use super::shard_bulk_wire::{decode, encode, SHARD_BULK_ACTION};
use super::shard_get::SHARD_GET_ACTION;
use super::shard_search::SHARD_SEARCH_ACTION;
use crate::transport::{action_not_found_message, BoxFuture, RequestHandler};
use crate::Node;
use bytes::Bytes;
use quarry_types::EsError;
use std::sync::{Arc, Weak};

pub struct ShardActionHandler {
    node: Weak<Node>,
}

impl ShardActionHandler {
    /// Attaches a handler for `node` to its transport's dispatcher (multi-node mode only).
    pub fn register(node: &Arc<Node>) {
        if let Some(mode) = &node.cluster {
            mode.dispatcher
                .attach_shard_actions(Arc::new(ShardActionHandler {
                    node: Arc::downgrade(node),
                }));
        }
    }
}

impl RequestHandler for ShardActionHandler {
    fn handle(&self, action: String, payload: Bytes) -> BoxFuture<'static, Result<Bytes, String>> {
        let node = self.node.clone();
        Box::pin(async move {
            let Some(node) = node.upgrade() else {
                return Err(encode_error(&EsError::new(
                    "node_closed_exception",
                    500,
                    "node closed",
                )));
            };
            let answer = match action.as_str() {
                SHARD_BULK_ACTION => match decode(&payload) {
                    Ok(req) => node.execute_shard_bulk(req).await.and_then(|r| encode(&r)),
                    Err(e) => Err(e),
                },
                SHARD_GET_ACTION => match decode(&payload) {
                    Ok(req) => node.execute_shard_get(req).await.and_then(|r| encode(&r)),
                    Err(e) => Err(e),
                },
                SHARD_SEARCH_ACTION => match decode(&payload) {
                    Ok(req) => node
                        .execute_shard_search(req)
                        .await
                        .and_then(|r| encode(&r)),
                    Err(e) => Err(e),
                },
                _ => return Err(action_not_found_message(&action)),
            };
            answer.map_err(|e| encode_error(&e))
        })
    }
}
