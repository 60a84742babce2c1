//! openraft's `RaftNetworkFactory` / `RaftNetwork` over the node transport: each Raft RPC is one
//! transport request to the target's `transport_address` under an `internal:coordination/raft/*`
//! action, with a postcard payload and the deadline openraft gives in `RPCOption`.
//!
//! ```text
//! leader                                   follower
//!  RaftNetwork::append_entries ──postcard──▶ raft_request_handler ──▶ Raft::append_entries
//!            ◀──────────────── postcard(AppendEntriesResponse) ────
//! ```
//!
//! A peer that cannot be reached (refused connection, closed connection, failed handshake)
//! is `Unreachable`, so openraft backs off before retrying; a deadline is a `Timeout`; a
//! remote failure is a `NetworkError`.
//!
//! Owns: the client side of the Raft RPCs. Must not interpret Raft messages.

use crate::coordination::type_config::{RaftNode, RaftNodeId, TypeConfig};
use crate::transport::{SharedTransport, TransportAddress, TransportError};
use bytes::Bytes;
use openraft::error::{
    InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, SnapshotMismatch,
    Timeout, Unreachable,
};
use openraft::network::{RPCOption, RPCTypes, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{
    AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse,
    VoteRequest, VoteResponse,
};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Action name of `AppendEntries` (replication and heartbeats).
pub const ACTION_APPEND_ENTRIES: &str = "internal:coordination/raft/append_entries";
/// Action name of `RequestVote`.
pub const ACTION_VOTE: &str = "internal:coordination/raft/vote";
/// Action name of one chunk of `InstallSnapshot`.
pub const ACTION_INSTALL_SNAPSHOT: &str = "internal:coordination/raft/install_snapshot";

/// The reply to an install-snapshot chunk: the response, or the segment mismatch openraft's
/// sender needs to restart the transfer.
pub(crate) type InstallSnapshotReply =
    Result<InstallSnapshotResponse<RaftNodeId>, SnapshotMismatch>;

/// Creates one [`TransportRaftNetwork`] per replication target.
pub struct TransportRaftNetworkFactory {
    local_id: RaftNodeId,
    transport: SharedTransport,
}

impl TransportRaftNetworkFactory {
    pub fn new(local_id: RaftNodeId, transport: SharedTransport) -> Self {
        TransportRaftNetworkFactory {
            local_id,
            transport,
        }
    }
}

impl RaftNetworkFactory<TypeConfig> for TransportRaftNetworkFactory {
    type Network = TransportRaftNetwork;

    async fn new_client(&mut self, target: RaftNodeId, node: &RaftNode) -> TransportRaftNetwork {
        TransportRaftNetwork {
            local_id: self.local_id,
            target,
            address: node.transport_address.clone(),
            transport: self.transport.clone(),
        }
    }
}

/// Sends Raft RPCs to one peer.
pub struct TransportRaftNetwork {
    local_id: RaftNodeId,
    target: RaftNodeId,
    address: TransportAddress,
    transport: SharedTransport,
}

type RpcResult<T, E> = Result<T, RPCError<RaftNodeId, RaftNode, E>>;

impl TransportRaftNetwork {
    async fn call<Req, Resp, E>(
        &self,
        action: &str,
        rpc_type: RPCTypes,
        request: &Req,
        option: &RPCOption,
    ) -> RpcResult<Resp, E>
    where
        Req: Serialize,
        Resp: DeserializeOwned,
        E: std::error::Error,
    {
        let payload =
            postcard::to_stdvec(request).map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        let timeout = option.hard_ttl();
        let reply = self
            .transport
            .send(&self.address, action, Bytes::from(payload), timeout)
            .await
            .map_err(|e| self.transport_error(e, rpc_type))?;
        postcard::from_bytes(&reply).map_err(|e| RPCError::Network(NetworkError::new(&e)))
    }

    fn transport_error<E: std::error::Error>(
        &self,
        error: TransportError,
        rpc_type: RPCTypes,
    ) -> RPCError<RaftNodeId, RaftNode, E> {
        match error {
            TransportError::ConnectFailed { .. }
            | TransportError::Disconnected { .. }
            | TransportError::HandshakeRefused { .. } => {
                RPCError::Unreachable(Unreachable::new(&error))
            }
            TransportError::Timeout { timeout, .. } => RPCError::Timeout(Timeout {
                action: rpc_type,
                id: self.local_id,
                target: self.target,
                timeout,
            }),
            TransportError::ActionNotFound { .. } | TransportError::Remote { .. } => {
                RPCError::Network(NetworkError::new(&error))
            }
        }
    }
}

impl RaftNetwork<TypeConfig> for TransportRaftNetwork {
    async fn append_entries(
        &mut self,
        rpc: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<AppendEntriesResponse<RaftNodeId>, RaftError<RaftNodeId>> {
        self.call(
            ACTION_APPEND_ENTRIES,
            RPCTypes::AppendEntries,
            &rpc,
            &option,
        )
        .await
    }

    async fn install_snapshot(
        &mut self,
        rpc: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> RpcResult<InstallSnapshotResponse<RaftNodeId>, RaftError<RaftNodeId, InstallSnapshotError>>
    {
        let reply: InstallSnapshotReply = self
            .call(
                ACTION_INSTALL_SNAPSHOT,
                RPCTypes::InstallSnapshot,
                &rpc,
                &option,
            )
            .await?;
        reply.map_err(|mismatch| {
            RPCError::RemoteError(RemoteError::new(
                self.target,
                RaftError::APIError(InstallSnapshotError::SnapshotMismatch(mismatch)),
            ))
        })
    }

    async fn vote(
        &mut self,
        rpc: VoteRequest<RaftNodeId>,
        option: RPCOption,
    ) -> RpcResult<VoteResponse<RaftNodeId>, RaftError<RaftNodeId>> {
        self.call(ACTION_VOTE, RPCTypes::Vote, &rpc, &option).await
    }
}
