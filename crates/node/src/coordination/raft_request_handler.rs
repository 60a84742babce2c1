//! The server side of the Raft RPCs: decodes an `internal:coordination/raft/*` request, hands
//! it to the local `Raft` and encodes the reply. The node's `RequestHandler` calls
//! [`handle_raft_request`] for every inbound action and falls through when it answers `None`.
//!
//! Every accepted `AppendEntries` or `InstallSnapshot` and every granted vote counts as
//! contact with a live master for pre-vote (see `pre_vote`).
//!
//! Owns: the decoding/encoding of inbound Raft RPCs. Must not decide anything.

use crate::coordination::network::{
    InstallSnapshotReply, ACTION_APPEND_ENTRIES, ACTION_INSTALL_SNAPSHOT, ACTION_VOTE,
};
use crate::coordination::pre_vote::{ElectionContext, PreVoteRequest, ACTION_PRE_VOTE};
use crate::coordination::type_config::TypeConfig;
use crate::transport::BoxFuture;
use bytes::Bytes;
use openraft::error::{InstallSnapshotError, RaftError};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, VoteRequest,
};
use serde::Serialize;

/// Whether `action` is one of the Raft actions served here.
pub fn is_raft_action(action: &str) -> bool {
    matches!(
        action,
        ACTION_APPEND_ENTRIES | ACTION_VOTE | ACTION_INSTALL_SNAPSHOT | ACTION_PRE_VOTE
    )
}

/// Serves one inbound Raft RPC, or returns `None` when `action` is not a Raft action.
/// `Err(message)` travels back to the sender as a remote error.
pub fn handle_raft_request(
    ctx: &ElectionContext,
    action: &str,
    payload: Bytes,
) -> Option<BoxFuture<'static, Result<Bytes, String>>> {
    let ctx = ctx.clone();
    let raft = ctx.raft.clone();
    let future: BoxFuture<'static, Result<Bytes, String>> = match action {
        ACTION_APPEND_ENTRIES => Box::pin(async move {
            let request: AppendEntriesRequest<TypeConfig> = decode(&payload)?;
            let response = raft
                .append_entries(request)
                .await
                .map_err(|e| e.to_string())?;
            if !matches!(response, AppendEntriesResponse::HigherVote(_)) {
                ctx.contact.touch();
            }
            encode(&response)
        }),
        ACTION_VOTE => Box::pin(async move {
            let request: VoteRequest<u64> = decode(&payload)?;
            let response = raft.vote(request).await.map_err(|e| e.to_string())?;
            if response.vote_granted {
                ctx.contact.touch();
            }
            encode(&response)
        }),
        ACTION_INSTALL_SNAPSHOT => Box::pin(async move {
            let request: InstallSnapshotRequest<TypeConfig> = decode(&payload)?;
            let reply: InstallSnapshotReply = match raft.install_snapshot(request).await {
                Ok(response) => {
                    ctx.contact.touch();
                    Ok(response)
                }
                Err(RaftError::APIError(InstallSnapshotError::SnapshotMismatch(mismatch))) => {
                    Err(mismatch)
                }
                Err(e) => return Err(e.to_string()),
            };
            encode(&reply)
        }),
        ACTION_PRE_VOTE => Box::pin(async move {
            let request: PreVoteRequest = decode(&payload)?;
            encode(&ctx.handle_pre_vote(&request))
        }),
        _ => return None,
    };
    Some(future)
}

fn decode<T: serde::de::DeserializeOwned>(payload: &[u8]) -> Result<T, String> {
    postcard::from_bytes(payload).map_err(|e| format!("failed to decode raft request: {e}"))
}

fn encode<T: Serialize>(value: &T) -> Result<Bytes, String> {
    postcard::to_stdvec(value)
        .map(Bytes::from)
        .map_err(|e| format!("failed to encode raft response: {e}"))
}
