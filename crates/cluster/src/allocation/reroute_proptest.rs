//! Properties of allocation over random clusters and commands (nodes in three zones joining and
//! leaving, indices with replicas, exclusion filters, shard limits, awareness, enable settings,
//! copies starting and failing): no two copies of a shard on one node; no copy is placed where a
//! decider refuses it; `reroute` is a fixpoint; with awareness on `zone`, copies of a shard sit
//! in distinct zones whenever the zones allow it.

use crate::allocation::deciders::{data_node, enable, filter, same_shard};
use crate::allocation::{reroute, Allocation, DecisionType};
use crate::test_support::{create_cmd, data_node as new_data_node, start_all};
use crate::{apply, ApplyContext, ClusterCommand, ClusterState, ShardRouting};
use proptest::prelude::*;
use quarry_types::{NodeId, Settings};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
enum Op {
    AddNode(u8),
    RemoveNode(u8),
    Create(u8, u8, u8),
    SetReplicas(u8, u8),
    Exclude(Option<u8>),
    IndexExclude(u8, Option<u8>),
    ShardsPerNode(u8, Option<u8>),
    Enable(u8),
    Awareness(bool),
    Start(u8),
    Fail(u8),
    StartAll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u8..7).prop_map(Op::AddNode),
        1 => (0u8..7).prop_map(Op::RemoveNode),
        2 => (0u8..3, 1u8..4, 0u8..3).prop_map(|(i, s, r)| Op::Create(i, s, r)),
        1 => (0u8..3, 0u8..3).prop_map(|(i, r)| Op::SetReplicas(i, r)),
        1 => proptest::option::of(0u8..7).prop_map(Op::Exclude),
        1 => (0u8..3, proptest::option::of(0u8..7)).prop_map(|(i, n)| Op::IndexExclude(i, n)),
        1 => (0u8..3, proptest::option::of(1u8..4)).prop_map(|(i, n)| Op::ShardsPerNode(i, n)),
        1 => (0u8..4).prop_map(Op::Enable),
        1 => any::<bool>().prop_map(Op::Awareness),
        3 => any::<u8>().prop_map(Op::Start),
        1 => any::<u8>().prop_map(Op::Fail),
        2 => Just(Op::StartAll),
    ]
}

fn zoned_node(n: u8) -> crate::DiscoveryNode {
    let mut node = new_data_node(&format!("n{n}"));
    node.transport_address = format!("10.0.{n}.1:9300");
    node.attributes.insert("zone".into(), format!("z{}", n % 3));
    node
}

fn index_settings(i: u8, v: serde_json::Value) -> ClusterCommand {
    ClusterCommand::UpdateIndexSettings {
        indices: vec![format!("idx{i}")],
        settings: Settings::from_json(&v).unwrap(),
        preserve_existing: false,
    }
}

fn pick(s: &ClusterState, k: u8) -> Option<&ShardRouting> {
    let copies: Vec<_> = s
        .routing_table
        .all_copies()
        .filter(|c| !c.unassigned())
        .collect();
    (!copies.is_empty()).then(|| copies[k as usize % copies.len()])
}

fn command(s: &ClusterState, op: &Op) -> Option<ClusterCommand> {
    Some(match op {
        Op::AddNode(n) => ClusterCommand::AddNode(zoned_node(*n)),
        Op::RemoveNode(n) => ClusterCommand::RemoveNode(NodeId(format!("n{n}"))),
        Op::Create(i, shards, replicas) => create_cmd(
            &format!("idx{i}"),
            json!({"number_of_shards": shards, "number_of_replicas": replicas}),
        ),
        Op::SetReplicas(i, r) => index_settings(*i, json!({"index.number_of_replicas": r})),
        Op::Exclude(n) => crate::test_support::persistent_settings(json!({
            "cluster.routing.allocation.exclude._name": n.map(|n| format!("n{n}")).unwrap_or_default()
        })),
        Op::IndexExclude(i, n) => index_settings(
            *i,
            json!({
                "index.routing.allocation.exclude._name": n.map(|n| format!("n{n}")).unwrap_or_default()
            }),
        ),
        Op::ShardsPerNode(i, n) => index_settings(
            *i,
            json!({
                "index.routing.allocation.total_shards_per_node": n.map(i64::from).unwrap_or(-1)
            }),
        ),
        Op::Enable(k) => {
            let value = ["all", "primaries", "new_primaries", "none"][*k as usize % 4];
            crate::test_support::persistent_settings(
                json!({ "cluster.routing.allocation.enable": value }),
            )
        }
        Op::Awareness(on) => crate::test_support::persistent_settings(json!({
            "cluster.routing.allocation.awareness.attributes": if *on { "zone" } else { "" }
        })),
        Op::Start(k) => {
            let c = pick(s, *k)?;
            let allocation_id = if c.relocating() {
                c.relocation_id.clone()?
            } else {
                c.allocation_id.clone()?
            };
            ClusterCommand::ShardStarted {
                shard_id: c.shard_id.clone(),
                allocation_id,
            }
        }
        Op::Fail(k) => {
            let c = pick(s, *k)?;
            let allocation_id = if c.relocating() && k % 2 == 1 {
                c.relocation_id.clone()?
            } else {
                c.allocation_id.clone()?
            };
            ClusterCommand::ShardFailed {
                shard_id: c.shard_id.clone(),
                allocation_id,
                reason: "test".into(),
            }
        }
        Op::StartAll => return None,
    })
}

/// Where each copy is being placed (initializing copies and relocation targets), as a copy
/// that would be placed there: the question the deciders answered.
fn placements(s: &ClusterState) -> BTreeSet<(String, u32, String, String)> {
    s.routing_table
        .all_copies()
        .filter_map(|c| {
            let (node, id) = if c.initializing() {
                (c.current_node.as_ref()?, c.allocation_id.as_ref()?)
            } else if c.relocating() {
                (c.relocating_node.as_ref()?, c.relocation_id.as_ref()?)
            } else {
                return None;
            };
            Some((
                c.shard_id.index.clone(),
                c.shard_id.shard,
                node.0.clone(),
                id.0.clone(),
            ))
        })
        .collect()
}

fn check_new_placements(prev: &ClusterState, next: &ClusterState) -> Result<(), String> {
    let before = placements(prev);
    for (index, shard, node_id, id) in placements(next).difference(&before) {
        // The state as it was when the deciders were asked: this placement undone.
        let mut undone = next.clone();
        let shard_id = quarry_types::ShardId::new(index.clone(), *shard);
        let copies = undone
            .routing_table
            .indices
            .get_mut(index)
            .map(std::sync::Arc::make_mut)
            .and_then(|t| t.shards.get_mut(shard))
            .ok_or("placed copy vanished")?;
        let copy = copies
            .iter_mut()
            .find(|c| {
                c.allocation_id.as_ref().map(|a| &a.0) == Some(id)
                    || c.relocation_id.as_ref().map(|a| &a.0) == Some(id)
            })
            .ok_or("placed copy vanished")?;
        let initialized = copy.initializing();
        if initialized {
            copy.move_to_unassigned(crate::UnassignedInfo::new("INDEX_CREATED", 0));
        } else {
            copy.cancel_relocation();
        }
        let asked = copy.clone();
        let alloc = Allocation::of(&undone);
        let node = &undone.nodes[&NodeId(node_id.clone())];
        for d in [data_node, filter, same_shard] {
            let decision = d(&alloc, &asked, node);
            if decision.decision == DecisionType::No {
                return Err(format!("{shard_id} placed on {node_id}: {decision:?}"));
            }
        }
        if initialized {
            let decision = enable(&alloc, &asked, node);
            if decision.decision == DecisionType::No {
                return Err(format!("{shard_id} initialized on {node_id}: {decision:?}"));
            }
        }
    }
    Ok(())
}

fn step(s: &ClusterState, op: &Op, n: usize) -> ClusterState {
    if matches!(op, Op::StartAll) {
        return start_all(s);
    }
    let Some(cmd) = command(s, op) else {
        return s.clone();
    };
    let mut ctx = ApplyContext::seeded(n as i64 * 70_000, format!("p{n}"));
    apply(s, cmd, &mut ctx).unwrap_or_else(|_| s.clone())
}

fn fixpoint(s: &ClusterState) -> Result<(), String> {
    let mut ids = 0u64;
    let mut gen = || {
        ids += 1;
        format!("fix{ids}")
    };
    let once = reroute(s, 10_000_000, &mut gen);
    let twice = reroute(&once, 10_000_000, &mut gen);
    if once == twice {
        Ok(())
    } else {
        Err("reroute(reroute(s)) != reroute(s)".into())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn allocation_never_breaks_a_decider_and_reroute_is_a_fixpoint(
        ops in proptest::collection::vec(op(), 1..60)
    ) {
        let mut s = ClusterState::new("prop", "uuid");
        s = step(&s, &Op::AddNode(0), 0);
        s = apply(&s, ClusterCommand::ElectMaster(NodeId("n0".into())), &mut ApplyContext::seeded(0, "m")).unwrap();
        for (n, op) in ops.iter().enumerate() {
            let next = step(&s, op, n + 1);
            prop_assert!(next.validate().is_ok(), "step {n} {op:?}: {:?}", next.validate());
            if let Err(e) = check_new_placements(&s, &next) {
                prop_assert!(false, "step {n} {op:?}: {e}");
            }
            s = next;
        }
        if let Err(e) = fixpoint(&s) {
            prop_assert!(false, "{e}");
        }
    }

    #[test]
    fn awareness_spreads_copies_over_zones(
        nodes in proptest::collection::btree_set(0u8..9, 3..9),
        shards in 1u8..4,
        replicas in 0u8..3,
    ) {
        let mut s = ClusterState::new("prop", "uuid");
        let first = *nodes.iter().next().unwrap();
        for n in &nodes {
            s = step(&s, &Op::AddNode(*n), usize::from(*n));
        }
        s = apply(&s, ClusterCommand::ElectMaster(NodeId(format!("n{first}"))), &mut ApplyContext::seeded(0, "m")).unwrap();
        s = step(&s, &Op::Awareness(true), 100);
        s = step(&s, &Op::Create(0, shards, replicas), 101);
        for round in 0..20 {
            s = start_all(&s);
            s = step(&s, &Op::StartAll, 102 + round);
        }
        let zones: BTreeMap<NodeId, String> = s
            .nodes
            .values()
            .map(|n| (n.id.clone(), n.attributes["zone"].clone()))
            .collect();
        let zone_count = zones.values().collect::<BTreeSet<_>>().len();
        for copies in s.routing_table.index("idx0").unwrap().shards.values() {
            let placed: Vec<&String> = copies
                .iter()
                .filter_map(|c| c.current_node.as_ref())
                .map(|n| &zones[n])
                .collect();
            let distinct = placed.iter().collect::<BTreeSet<_>>().len();
            prop_assert_eq!(distinct, placed.len().min(zone_count), "zones {:?}", placed);
            // Every copy is placed when there are at least as many nodes as copies.
            if nodes.len() >= copies.len() {
                prop_assert_eq!(placed.len(), copies.len());
            }
        }
    }
}
