//! Property: any sequence of commands keeps `validate()` true, and no two copies of a shard
//! ever share a node.

use crate::test_support::*;
use crate::{apply, ApplyContext, ClusterCommand, ClusterState};
use proptest::prelude::*;
use quarry_types::{NodeId, Settings};
use serde_json::json;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
enum Op {
    AddNode(u8),
    RemoveNode(u8),
    Create(u8, u8, u8),
    Delete(u8),
    SetReplicas(u8, u8),
    StartOne(u8),
    FailOne(u8),
    Close(u8),
    Open(u8),
    Reroute,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0u8..5).prop_map(Op::AddNode),
        (0u8..5).prop_map(Op::RemoveNode),
        (0u8..3, 1u8..4, 0u8..3).prop_map(|(i, s, r)| Op::Create(i, s, r)),
        (0u8..3).prop_map(Op::Delete),
        (0u8..3, 0u8..3).prop_map(|(i, r)| Op::SetReplicas(i, r)),
        any::<u8>().prop_map(Op::StartOne),
        any::<u8>().prop_map(Op::StartOne),
        any::<u8>().prop_map(Op::StartOne),
        any::<u8>().prop_map(Op::FailOne),
        (0u8..3).prop_map(Op::Close),
        (0u8..3).prop_map(Op::Open),
        Just(Op::Reroute),
    ]
}

fn to_command(s: &ClusterState, op: &Op) -> Option<ClusterCommand> {
    let index = |i: &u8| format!("idx{i}");
    Some(match op {
        Op::AddNode(n) => ClusterCommand::AddNode(data_node(&format!("n{n}"))),
        Op::RemoveNode(n) => ClusterCommand::RemoveNode(NodeId(format!("n{n}"))),
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
        Op::StartOne(k) | Op::FailOne(k) => {
            let init: Vec<_> = s
                .routing_table
                .all_copies()
                .filter(|c| c.initializing() || c.started())
                .collect();
            if init.is_empty() {
                return None;
            }
            let c = init[*k as usize % init.len()];
            let shard_id = c.shard_id.clone();
            let allocation_id = c.allocation_id.clone()?;
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
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn random_commands_keep_the_state_valid(ops in proptest::collection::vec(op(), 1..80)) {
        let mut s = ClusterState::new("prop", "uuid");
        for (step, op) in ops.iter().enumerate() {
            let Some(cmd) = to_command(&s, op) else { continue };
            let mut ctx = ApplyContext::seeded(step as i64 * 70_000, format!("step{step}"));
            if let Ok(next) = apply(&s, cmd, &mut ctx) {
                s = next;
            }
            prop_assert!(s.validate().is_ok(), "step {step} {op:?}: {:?}", s.validate());
            for table in s.routing_table.indices.values() {
                for copies in table.shards.values() {
                    let mut nodes = BTreeSet::new();
                    for c in copies.iter().filter_map(|c| c.current_node.clone()) {
                        prop_assert!(nodes.insert(c), "two copies on one node");
                    }
                }
            }
        }
    }
}
