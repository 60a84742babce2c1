//! The node's single inbound [`RequestHandler`]: routes each transport action to the service
//! that owns it (Raft RPCs to the coordinator, peer requests to discovery, joins to cluster
//! formation, `indices:data/*` shard-level document actions to the node). Services are
//! attached after the transport exists, since they need it to start.
//!
//! Owns: routing by action name only. Must not decode payloads.

use crate::cluster_formation::{ClusterFormation, FOLLOWER_CHECK_ACTION, JOIN_ACTION};
use crate::cluster_mode::{RaftSubmitter, SUBMIT_ACTION};
use crate::coordination::Coordinator;
use crate::discovery::{handle_request_peers, PeerFinderHandle, REQUEST_PEERS_ACTION};
use crate::transport::{action_not_found_message, BoxFuture, RequestHandler};
use bytes::Bytes;
use std::sync::{Arc, OnceLock};

/// The action names of shard-level document operations.
pub const SHARD_ACTION_PREFIX: &str = "indices:data/";

#[derive(Default)]
pub struct RequestDispatcher {
    coordinator: OnceLock<Arc<Coordinator>>,
    peer_finder: OnceLock<PeerFinderHandle>,
    formation: OnceLock<Arc<ClusterFormation>>,
    submitter: OnceLock<RaftSubmitter>,
    shard_actions: OnceLock<Arc<dyn RequestHandler>>,
}

impl RequestDispatcher {
    pub fn new() -> Arc<Self> {
        Arc::new(RequestDispatcher::default())
    }
    pub fn attach_coordinator(&self, coordinator: Arc<Coordinator>) {
        let _ = self.coordinator.set(coordinator);
    }
    pub fn attach_peer_finder(&self, handle: PeerFinderHandle) {
        let _ = self.peer_finder.set(handle);
    }
    pub fn attach_formation(&self, formation: Arc<ClusterFormation>) {
        let _ = self.formation.set(formation);
    }
    pub fn attach_submitter(&self, submitter: RaftSubmitter) {
        let _ = self.submitter.set(submitter);
    }
    /// The handler of the shard-level document actions (`indices:data/...`).
    pub fn attach_shard_actions(&self, handler: Arc<dyn RequestHandler>) {
        let _ = self.shard_actions.set(handler);
    }
}

impl RequestHandler for RequestDispatcher {
    fn handle(&self, action: String, payload: Bytes) -> BoxFuture<'static, Result<Bytes, String>> {
        if let Some(coordinator) = self.coordinator.get() {
            if let Some(future) = coordinator.handle_request(&action, payload.clone()) {
                return future;
            }
        }
        if action == REQUEST_PEERS_ACTION {
            if let Some(handle) = self.peer_finder.get().cloned() {
                return Box::pin(async move { handle_request_peers(&handle, payload).await });
            }
        }
        if action == FOLLOWER_CHECK_ACTION {
            let answer = match self.formation.get() {
                Some(formation) => formation.handle_follower_check(),
                None => Ok(Bytes::new()),
            };
            return Box::pin(async move { answer });
        }
        if action == SUBMIT_ACTION {
            if let Some(submitter) = self.submitter.get().cloned() {
                return Box::pin(async move { submitter.handle_submit(payload).await });
            }
        }
        if action.starts_with(SHARD_ACTION_PREFIX) {
            if let Some(handler) = self.shard_actions.get() {
                return handler.handle(action, payload);
            }
        }
        if action == JOIN_ACTION {
            if let Some(formation) = self.formation.get().cloned() {
                return Box::pin(async move { formation.handle_join(payload).await });
            }
        }
        Box::pin(async move { Err(action_not_found_message(&action)) })
    }
}
