//! Property: two nodes applying the same committed commands with the same seeds (the Raft log
//! id, as `coordination::state_machine` does) reach byte-identical states, also when one of
//! them receives the commands in their wire form (JSON) and restarts midway from a
//! serialized snapshot of its state.

use crate::test_support::*;
use crate::{apply, AliasAction, ApplyContext, ClusterCommand, ClusterState};
use proptest::prelude::*;
use quarry_types::{Mapping, NodeId, Settings};
use serde_json::json;

#[derive(Debug, Clone)]
enum Op {
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
}

fn op() -> impl Strategy<Value = Op> {
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
    ]
}

/// The command the master would propose for `op` given its state `s`.
fn to_command(s: &ClusterState, op: &Op) -> Option<ClusterCommand> {
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
                .filter(|c| c.initializing() || c.started())
                .collect();
            if copies.is_empty() {
                return None;
            }
            let c = copies[*k as usize % copies.len()];
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

fn serialized(state: &ClusterState) -> String {
    serde_json::to_string(state).expect("a cluster state serializes")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn two_nodes_applying_the_same_commands_reach_identical_states(
        ops in proptest::collection::vec(op(), 1..80),
        snapshot_at in 0usize..80,
        term in 1u64..5,
    ) {
        // The master's state and a follower's.
        let mut master = ClusterState::new("prop", "uuid");
        let mut follower = master.clone();
        for (index, op) in ops.iter().enumerate() {
            let Some(command) = to_command(&master, op) else { continue };
            // What the follower decodes from the log entry.
            let wire = serde_json::to_string(&command).expect("a command serializes");
            let received: ClusterCommand = serde_json::from_str(&wire).expect("a command parses");
            prop_assert_eq!(&received, &command);
            let now = 1_700_000_000_000 + index as i64 * 61_000;
            let log_id = format!("{term}-1-{index}");
            let on_master = apply(&master, command, &mut ApplyContext::seeded(now, log_id.clone()));
            let on_follower = apply(&follower, received, &mut ApplyContext::seeded(now, log_id));
            match (on_master, on_follower) {
                (Ok(a), Ok(b)) => {
                    master = a;
                    follower = b;
                }
                (Err(a), Err(b)) => prop_assert_eq!(a, b),
                (a, b) => prop_assert!(false, "step {index} {op:?}: {a:?} vs {b:?}"),
            }
            if index == snapshot_at {
                // The follower restarts from (or is sent) a snapshot of its state.
                follower = serde_json::from_str(&serialized(&follower)).expect("snapshot parses");
            }
            prop_assert_eq!(serialized(&master), serialized(&follower), "after step {} {:?}", index, op);
            prop_assert!(master.validate().is_ok(), "step {index}: {:?}", master.validate());
        }
    }
}
