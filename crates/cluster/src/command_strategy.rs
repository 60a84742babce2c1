//! Random cluster commands for the property tests: a generator of abstract operations and their
//! translation into the `ClusterCommand` a master would propose in a given state. Test-only.

use crate::coordination_metadata::{VotingConfigExclusion, MISSING_VALUE_MARKER};
use crate::test_support::*;
use crate::{AliasAction, ClusterCommand, ClusterState};
use proptest::prelude::*;
use quarry_types::{Mapping, NodeId, Settings};
use serde_json::json;

#[derive(Debug, Clone)]
pub(crate) enum Op {
    AddNode(u8),
    RemoveNode(u8),
    ElectMaster(u8),
    Create(u8, u8, u8),
    Delete(u8),
    SetReplicas(u8, u8),
    PutMapping(u8, u8),
    ClusterSetting(u8, u8),
    AddAlias(u8, u8, bool),
    StartOne(u8),
    FailOne(u8),
    Close(u8),
    Open(u8),
    Reroute,
    /// Exclude node `n{0}`: by id and name when `true`, as an unknown id otherwise.
    AddExclusion(u8, bool),
    ClearExclusions,
    /// Record a voting configuration: a term and a bit mask over `n0..n4`.
    SetVotingConfig(u8, u8),
}

pub(crate) fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5).prop_map(Op::AddNode),
        (0u8..5).prop_map(Op::RemoveNode),
        (0u8..5).prop_map(Op::ElectMaster),
        (0u8..4, 1u8..4, 0u8..3).prop_map(|(i, s, r)| Op::Create(i, s, r)),
        (0u8..4).prop_map(Op::Delete),
        (0u8..4, 0u8..3).prop_map(|(i, r)| Op::SetReplicas(i, r)),
        (0u8..4, 0u8..6).prop_map(|(i, f)| Op::PutMapping(i, f)),
        (0u8..3, any::<u8>()).prop_map(|(k, v)| Op::ClusterSetting(k, v)),
        (0u8..4, 0u8..3, any::<bool>()).prop_map(|(i, a, w)| Op::AddAlias(i, a, w)),
        any::<u8>().prop_map(Op::StartOne),
        any::<u8>().prop_map(Op::StartOne),
        any::<u8>().prop_map(Op::StartOne),
        any::<u8>().prop_map(Op::FailOne),
        (0u8..4).prop_map(Op::Close),
        (0u8..4).prop_map(Op::Open),
        Just(Op::Reroute),
        (0u8..6, any::<bool>()).prop_map(|(n, known)| Op::AddExclusion(n, known)),
        Just(Op::ClearExclusions),
        (0u8..4, 0u8..32).prop_map(|(t, mask)| Op::SetVotingConfig(t, mask)),
    ]
}

/// The command the master would propose for `op` given its state `s`.
pub(crate) fn to_command(s: &ClusterState, op: &Op) -> Option<ClusterCommand> {
    let index = |i: &u8| format!("idx{i}");
    Some(match op {
        Op::AddNode(n) => ClusterCommand::AddNode(data_node(&format!("n{n}"))),
        Op::RemoveNode(n) => ClusterCommand::RemoveNode(NodeId(format!("n{n}"))),
        Op::ElectMaster(n) => ClusterCommand::ElectMaster(NodeId(format!("n{n}"))),
        Op::Create(i, shards, replicas) => create_cmd(
            &index(i),
            json!({"number_of_shards": shards, "number_of_replicas": replicas}),
        ),
        Op::Delete(i) => ClusterCommand::DeleteIndices(vec![index(i)]),
        Op::SetReplicas(i, r) => ClusterCommand::UpdateIndexSettings {
            indices: vec![index(i)],
            settings: Settings::from_json(&json!({"index.number_of_replicas": r})).ok()?,
            preserve_existing: false,
        },
        Op::PutMapping(i, f) => ClusterCommand::PutMapping {
            indices: vec![index(i)],
            mapping: Mapping::parse(&json!({"properties": {
                format!("field{f}"): {"type": if f % 2 == 0 { "keyword" } else { "long" }}
            }}))
            .ok()?,
        },
        Op::ClusterSetting(k, v) => ClusterCommand::UpdateClusterSettings {
            persistent: Settings::from_json(&json!({format!("cluster.metadata.k{k}"): v})).ok()?,
            transient: Settings::new(),
        },
        Op::AddAlias(i, a, write) => ClusterCommand::UpdateAliases(vec![AliasAction::Add {
            indices: vec![index(i)],
            aliases: vec![format!("alias{a}")],
            filter: None,
            index_routing: None,
            search_routing: None,
            is_write_index: Some(*write),
            is_hidden: None,
            must_exist: None,
        }]),
        Op::StartOne(k) | Op::FailOne(k) => {
            let copies: Vec<_> = s
                .routing_table
                .all_copies()
                .filter(|c| !c.unassigned())
                .collect();
            if copies.is_empty() {
                return None;
            }
            let c = copies[*k as usize % copies.len()];
            let shard_id = c.shard_id.clone();
            // A relocating copy: its target starts, or (odd k) either end fails.
            let allocation_id = match (c.relocating(), matches!(op, Op::StartOne(_)), k % 4) {
                (true, true, _) | (true, false, 1) => c.relocation_id.clone()?,
                _ => c.allocation_id.clone()?,
            };
            if matches!(op, Op::StartOne(_)) {
                ClusterCommand::ShardStarted {
                    shard_id,
                    allocation_id,
                }
            } else {
                ClusterCommand::ShardFailed {
                    shard_id,
                    allocation_id,
                    reason: "test".into(),
                }
            }
        }
        Op::Close(i) => ClusterCommand::CloseIndices(vec![index(i)]),
        Op::Open(i) => ClusterCommand::OpenIndices(vec![index(i)]),
        Op::Reroute => ClusterCommand::Reroute,
        Op::AddExclusion(n, known) => {
            let id = format!("n{n}");
            let name = if *known {
                id.clone()
            } else {
                MISSING_VALUE_MARKER.to_string()
            };
            ClusterCommand::AddVotingConfigExclusions(vec![VotingConfigExclusion::new(id, name)])
        }
        Op::ClearExclusions => ClusterCommand::ClearVotingConfigExclusions,
        Op::SetVotingConfig(term, mask) => {
            let ids: Vec<String> = (0..5)
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| format!("n{i}"))
                .collect();
            ClusterCommand::SetVotingConfiguration {
                term: u64::from(*term),
                committed: ids.iter().rev().cloned().collect(),
                accepted: ids,
            }
        }
    })
}
