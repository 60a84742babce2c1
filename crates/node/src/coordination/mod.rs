//! Consensus on the cluster state (Elasticsearch's `Coordinator` and `PublicationTransportHandler`
//! rolled into Raft): openraft 0.9 glue. The voting configuration (master-eligible nodes) are
//! the Raft voters, the Raft leader is the elected master, and every committed log entry is a
//! `ClusterCommand` every member applies identically.
//!
//! ```text
//! Coordinator ──▶ openraft::Raft ──▶ RaftLogStore (log_file on disk)
//!      │                 ├────────▶ ClusterStateMachine ──watch──▶ Arc<ClusterState>
//!      │                 └────────▶ TransportRaftNetwork ──Transport──▶ peers
//!      ├─ pre_vote election loop (openraft's own election timer is off)
//!      └─ handle_request ◀── internal:coordination/raft/* ◀── peers
//! ```
//!
//! Non-voting nodes (data, coordinating-only) can follow the log as Raft learners
//! (`Coordinator::add_learner`); whether large clusters publish states ES-style instead is
//! decided when discovery and publication are wired in.
//!
//! Owns: everything that names openraft. Nothing outside this module may import openraft, so
//! the 0.10 upgrade stays here. Must not decide cluster-state changes (`quarry_cluster` does).

pub mod coordinator;
mod log_file;
pub mod log_store;
pub mod network;
pub mod pre_vote;
pub mod raft_request_handler;
pub mod state_machine;
pub mod type_config;

pub use coordinator::{
    not_master_error, CoordinationError, CoordinationStorage, Coordinator, CoordinatorConfig,
    LeaderInfo,
};
pub use type_config::{ClusterCommandEntry, ClusterCommandResponse, RaftNode, RaftNodeId};
