use super::*;
use crate::allocation::command_execution::{execute_commands, FORCED_EMPTY_PRIMARY};
use crate::shard_routing::reason;
use crate::test_support::{cluster, create, ctx, data_node, run, start_all};
use crate::{apply, ClusterCommand, ShardRouting};
use quarry_types::{NodeId, Settings, ShardId};
use serde_json::json;

fn sid() -> ShardId {
    ShardId::new("logs", 0)
}

fn copies(s: &ClusterState) -> Vec<ShardRouting> {
    s.routing_table.shard_copies(&sid()).to_vec()
}

fn primary(s: &ClusterState) -> ShardRouting {
    copies(s).into_iter().find(|c| c.primary).unwrap()
}

fn other(node: &NodeId) -> String {
    if node.0 == "n1" { "n2" } else { "n1" }.to_string()
}

fn no_rebalance(nodes: &[&str]) -> ClusterState {
    run(
        &cluster(nodes),
        crate::test_support::persistent_settings(
            json!({"cluster.routing.rebalance.enable": "none"}),
        ),
    )
}

fn reroute_cmd(commands: Vec<AllocationCommand>) -> ClusterCommand {
    ClusterCommand::RerouteCommands {
        commands,
        retry_failed: false,
    }
}

fn try_run(s: &ClusterState, cmd: ClusterCommand) -> Result<ClusterState, EsError> {
    apply(s, cmd, &mut ctx())
}

#[test]
fn parses_every_command() {
    let body = json!({"commands": [
        {"move": {"index": "logs", "shard": 0, "from_node": "n1", "to_node": "n2"}},
        {"cancel": {"index": "logs", "shard": "1", "node": "n1", "allow_primary": true}},
        {"allocate_replica": {"index": "logs", "shard": 2, "node": "n3"}},
        {"allocate_stale_primary": {"index": "logs", "shard": 3, "node": "n1", "accept_data_loss": true}},
        {"allocate_empty_primary": {"index": "logs", "shard": 4, "node": "n2"}}
    ], "dry_run": true});
    let (commands, dry_run) = parse_reroute_body(&body).unwrap();
    assert_eq!(dry_run, Some(true));
    assert_eq!(commands.len(), 5);
    assert_eq!(
        commands[1],
        AllocationCommand::Cancel {
            index: "logs".into(),
            shard: 1,
            node: "n1".into(),
            allow_primary: true
        }
    );
    assert_eq!(
        commands[4].parameters(),
        json!({"index": "logs", "shard": 4, "node": "n2", "accept_data_loss": false})
    );
    let cmd = reroute_cmd(commands);
    let text = serde_json::to_string(&cmd).unwrap();
    assert_eq!(serde_json::from_str::<ClusterCommand>(&text).unwrap(), cmd);
}

#[test]
fn parse_errors_follow_elasticsearch() {
    let err = |body: serde_json::Value| parse_reroute_body(&body).unwrap_err();
    let e = err(json!({"commands": [{"allocate": {"index": "a", "shard": 0, "node": "n"}}]}));
    assert_eq!(e.error_type, "x_content_parse_exception");
    assert_eq!(
        e.reason,
        "[cluster_reroute] failed to parse field [commands]"
    );
    let cause = e.caused_by.unwrap();
    assert_eq!(cause.error_type, "named_object_not_found_exception");
    assert_eq!(cause.reason, "unknown field [allocate]");
    let e = err(json!({"commands": [{"move": {"shard": 0, "from_node": "a", "to_node": "b"}}]}));
    assert_eq!(
        e.caused_by.unwrap().reason,
        "[move] command missing the index parameter"
    );
    let e = err(json!({"commands": [{"cancel": {"index": "a", "shard": 0, "node": "n", "x": 1}}]}));
    assert_eq!(
        e.caused_by.unwrap().reason,
        "[cancel] command does not support field [x]"
    );
    let e = err(json!({"commands": [{"allocate_replica": {"index": "a", "shard": 0}}]}));
    let cause = e.caused_by.unwrap();
    assert_eq!(cause.error_type, "illegal_argument_exception");
    assert_eq!(cause.reason, "Argument [node] must be defined");
    let e = err(
        json!({"commands": [{"allocate_replica": {"index": "a", "shard": 0, "node": "n", "accept_data_loss": true}}]}),
    );
    assert_eq!(
        e.caused_by.unwrap().reason,
        "[allocate_replica] unknown field [accept_data_loss]"
    );
    let e = err(json!({"bogus": []}));
    assert_eq!(e.reason, "[cluster_reroute] unknown field [bogus]");
}

fn replica(s: &ClusterState) -> ShardRouting {
    copies(s).into_iter().find(|c| !c.primary).unwrap()
}

/// A node holding no copy of the shard.
fn free_node(s: &ClusterState, nodes: &[&str]) -> NodeId {
    let holders: Vec<NodeId> = copies(s)
        .iter()
        .flat_map(|c| [c.current_node.clone(), c.relocating_node.clone()])
        .flatten()
        .collect();
    nodes
        .iter()
        .map(|n| NodeId(n.to_string()))
        .find(|n| !holders.contains(n))
        .unwrap()
}

#[test]
fn move_starts_a_relocation() {
    let nodes = ["n1", "n2", "n3"];
    let s = start_all(&create(&no_rebalance(&nodes), "logs", 1, 1));
    let from = replica(&s).current_node.unwrap();
    let to = free_node(&s, &nodes);
    let s = run(
        &s,
        reroute_cmd(vec![AllocationCommand::Move {
            index: "logs".into(),
            shard: 0,
            from_node: from.0.clone(),
            to_node: to.0.clone(),
        }]),
    );
    let r = replica(&s);
    assert!(r.relocating());
    assert_eq!(r.relocating_node, Some(to.clone()));
    let done = start_all(&s);
    assert_eq!(replica(&done).current_node, Some(to));
}

#[test]
fn move_to_a_node_that_refuses_is_an_error_or_a_no_explanation() {
    let s = start_all(&create(&no_rebalance(&["n1", "n2"]), "logs", 1, 0));
    let from = primary(&s).current_node.unwrap();
    let to = other(&from);
    let s = run(
        &s,
        ClusterCommand::UpdateIndexSettings {
            indices: vec!["logs".into()],
            settings: Settings::from_json(&json!({"index.routing.allocation.exclude._name": to}))
                .unwrap(),
            preserve_existing: false,
        },
    );
    let cmd = AllocationCommand::Move {
        index: "logs".into(),
        shard: 0,
        from_node: from.0.clone(),
        to_node: to.clone(),
    };
    let e = try_run(&s, reroute_cmd(vec![cmd.clone()])).unwrap_err();
    assert_eq!(e.error_type, "illegal_argument_exception");
    assert!(
        e.reason
            .starts_with("[move_allocation] can't move 0, from {"),
        "{}",
        e.reason
    );
    assert!(e.reason.contains("since its not allowed, reason: "));
    assert!(e
        .reason
        .contains("[NO(node does not match [index.routing.allocation.exclude._name]"));
    let mut copy = s.clone();
    let mut ids = || "x".to_string();
    let explained = execute_commands(&mut copy, &[cmd], true, 0, &mut ids).unwrap();
    assert!(!explained[0].applied);
    let v = explained[0].to_json();
    assert_eq!(v["command"], "move");
    assert!(v["decisions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["decider"] == "filter" && d["decision"] == "NO"));
    assert!(primary(&copy).started());
}

#[test]
fn cancel_stops_a_relocation_and_unassigns_an_initializing_replica() {
    let nodes = ["n1", "n2", "n3"];
    let s = start_all(&create(&no_rebalance(&nodes), "logs", 1, 1));
    let from = primary(&s).current_node.unwrap();
    let free = free_node(&s, &nodes);
    // A relocating primary (as a balancer of a later version would start it).
    let mut moving = s.clone();
    if let Some(c) = moving
        .routing_table
        .shard_copies_mut(&sid())
        .and_then(|copies| copies.iter_mut().find(|c| c.primary))
    {
        c.relocate(free.clone(), quarry_types::AllocationId("target".into()));
    }
    assert!(primary(&moving).relocating());
    // The primary's relocation target may be cancelled without allow_primary.
    let back = run(
        &moving,
        reroute_cmd(vec![AllocationCommand::Cancel {
            index: "logs".into(),
            shard: 0,
            node: free.0.clone(),
            allow_primary: false,
        }]),
    );
    let p = primary(&back);
    assert!(p.started());
    assert_eq!(p.current_node, Some(from.clone()));
    // A started primary may not be cancelled without allow_primary.
    let e = try_run(
        &back,
        reroute_cmd(vec![AllocationCommand::Cancel {
            index: "logs".into(),
            shard: 0,
            node: from.0.clone(),
            allow_primary: false,
        }]),
    )
    .unwrap_err();
    assert!(e
        .reason
        .starts_with("[cancel_allocation] can't cancel 0 on node {"));
    assert!(e.reason.ends_with("shard is primary and started"));
    // Cancelling a replica unassigns it; the following reroute assigns it again, remembering why.
    let replica_node = replica(&back).current_node.unwrap();
    let again = run(
        &back,
        reroute_cmd(vec![AllocationCommand::Cancel {
            index: "logs".into(),
            shard: 0,
            node: replica_node.0.clone(),
            allow_primary: false,
        }]),
    );
    let r = replica(&again);
    assert!(r.initializing());
    assert_eq!(r.unassigned_info.unwrap().reason, reason::REROUTE_CANCELLED);
}

#[test]
fn allocate_replica_ignores_disabled_allocation_but_not_other_deciders() {
    let s = run(
        &cluster(&["n1", "n2"]),
        crate::test_support::persistent_settings(
            json!({"cluster.routing.allocation.enable": "primaries"}),
        ),
    );
    let s = start_all(&create(&s, "logs", 1, 1));
    let p = primary(&s).current_node.unwrap();
    assert!(copies(&s).iter().any(|c| !c.primary && c.unassigned()));
    let e = try_run(
        &s,
        reroute_cmd(vec![AllocationCommand::AllocateReplica {
            index: "logs".into(),
            shard: 0,
            node: p.0.clone(),
        }]),
    )
    .unwrap_err();
    assert!(e
        .reason
        .starts_with("[allocate_replica] allocation of [logs][0] on node {"));
    let s = run(
        &s,
        reroute_cmd(vec![AllocationCommand::AllocateReplica {
            index: "logs".into(),
            shard: 0,
            node: other(&p),
        }]),
    );
    let replica = copies(&s).into_iter().find(|c| !c.primary).unwrap();
    assert!(replica.initializing());
    assert_eq!(replica.current_node, Some(NodeId(other(&p))));
}

fn lost_primary() -> (ClusterState, String) {
    let s = start_all(&create(&cluster(&["n1", "n2"]), "logs", 1, 0));
    let holder = primary(&s).current_node.unwrap();
    let s = run(&s, ClusterCommand::RemoveNode(holder.clone()));
    assert!(primary(&s).unassigned());
    (s, other(&holder))
}

#[test]
fn allocate_empty_primary_needs_accept_data_loss_and_starts_a_new_history() {
    let (s, survivor) = lost_primary();
    let old_term = s.index("logs").unwrap().primary_term(0);
    let old_in_sync = s.index("logs").unwrap().in_sync_ids(0);
    let cmd = |accept| AllocationCommand::AllocateEmptyPrimary {
        index: "logs".into(),
        shard: 0,
        node: survivor.clone(),
        accept_data_loss: accept,
    };
    let e = try_run(&s, reroute_cmd(vec![cmd(false)])).unwrap_err();
    assert_eq!(e.reason, "[allocate_empty_primary] allocating an empty primary for [logs][0] can result in data loss. Please confirm by setting the accept_data_loss parameter to true");
    let s = run(&s, reroute_cmd(vec![cmd(true)]));
    let p = primary(&s);
    assert!(p.initializing());
    assert_eq!(p.current_node, Some(NodeId(survivor)));
    let id = p.allocation_id.clone().unwrap();
    assert!(!old_in_sync.contains(&id.0));
    let meta = s.index("logs").unwrap();
    assert!(meta.in_sync_ids(0).is_empty());
    assert_eq!(meta.primary_term(0), old_term + 1);
    let info = p.unassigned_info.unwrap();
    assert_eq!(info.reason, FORCED_EMPTY_PRIMARY);
    assert!(info
        .details
        .unwrap()
        .starts_with("force empty allocation from previous reason NODE_LEFT"));
    let started = start_all(&s);
    assert_eq!(
        started
            .index("logs")
            .unwrap()
            .in_sync_ids(0)
            .into_iter()
            .collect::<Vec<_>>(),
        vec![id.0]
    );
}

#[test]
fn allocate_stale_primary_makes_the_new_copy_the_only_in_sync_one() {
    let (s, survivor) = lost_primary();
    let s = run(
        &s,
        reroute_cmd(vec![AllocationCommand::AllocateStalePrimary {
            index: "logs".into(),
            shard: 0,
            node: survivor,
            accept_data_loss: true,
        }]),
    );
    let p = primary(&s);
    assert!(p.initializing());
    let in_sync = s.index("logs").unwrap().in_sync_ids(0);
    assert_eq!(
        in_sync.into_iter().collect::<Vec<_>>(),
        vec![p.allocation_id.unwrap().0]
    );
    // A shard that never held data has no stale copy to allocate.
    let fresh = run(
        &cluster(&["n1"]),
        crate::test_support::create_cmd(
            "logs",
            json!({"number_of_shards": 1, "number_of_replicas": 0,
                   "index.routing.allocation.require._name": "nowhere"}),
        ),
    );
    let e = try_run(
        &fresh,
        reroute_cmd(vec![AllocationCommand::AllocateStalePrimary {
            index: "logs".into(),
            shard: 0,
            node: "n1".into(),
            accept_data_loss: true,
        }]),
    )
    .unwrap_err();
    assert!(e
        .reason
        .ends_with("while no such shard has ever been active"));
}

#[test]
fn retry_failed_resets_exhausted_copies() {
    let mut s = create(&cluster(&["n1"]), "logs", 1, 0);
    for _ in 0..5 {
        let p = primary(&s);
        assert!(p.initializing());
        s = run(
            &s,
            ClusterCommand::ShardFailed {
                shard_id: sid(),
                allocation_id: p.allocation_id.unwrap(),
                reason: "boom".into(),
            },
        );
    }
    let p = primary(&s);
    assert!(p.unassigned());
    assert_eq!(p.unassigned_info.as_ref().unwrap().failed_allocations, 5);
    let same = run(&s, ClusterCommand::Reroute);
    assert!(primary(&same).unassigned());
    let retried = run(
        &s,
        ClusterCommand::RerouteCommands {
            commands: vec![],
            retry_failed: true,
        },
    );
    let p = primary(&retried);
    assert!(p.initializing());
    assert_eq!(p.unassigned_info.unwrap().failed_allocations, 0);
}

#[test]
fn nodes_resolve_by_id_name_or_address() {
    let mut named = data_node("n9");
    named.name = "hot-1".into();
    let s = run(&cluster(&["n1"]), ClusterCommand::AddNode(named.clone()));
    assert_eq!(resolve_node(&s, "hot-1").unwrap().id, named.id);
    assert_eq!(resolve_node(&s, "n9").unwrap().id, named.id);
    assert_eq!(
        resolve_node(&s, &named.transport_address).unwrap().id,
        named.id
    );
    assert_eq!(resolve_node(&s, "_master").unwrap().id.0, "n1");
    assert_eq!(
        resolve_node(&s, "ghost").unwrap_err().reason,
        "failed to resolve [ghost], no matching nodes"
    );
    assert!(resolve_node(&s, "n*")
        .unwrap_err()
        .reason
        .starts_with("resolved [n*] into [2] nodes"));
    let mut cmd = AllocationCommand::Move {
        index: "i".into(),
        shard: 0,
        from_node: "hot-1".into(),
        to_node: "ghost".into(),
    };
    cmd.resolve_nodes(|n| resolve_node(&s, n).ok().map(|d| d.id.0.clone()));
    assert_eq!(
        cmd.parameters(),
        json!({"index": "i", "shard": 0, "from_node": "n9", "to_node": "ghost"})
    );
}

#[test]
fn explain_reports_a_missing_copy_instead_of_failing() {
    let s = start_all(&create(&cluster(&["n1"]), "logs", 1, 0));
    let mut copy = s.clone();
    let mut ids = || "x".to_string();
    let cmd = AllocationCommand::Cancel {
        index: "logs".into(),
        shard: 9,
        node: "n1".into(),
        allow_primary: false,
    };
    let out = execute_commands(&mut copy, std::slice::from_ref(&cmd), true, 0, &mut ids).unwrap();
    let v = out[0].to_json();
    assert_eq!(v["command"], "cancel");
    assert_eq!(
        v["parameters"],
        json!({"index": "logs", "shard": 9, "node": "n1", "allow_primary": false})
    );
    assert_eq!(v["decisions"][0]["decider"], "cancel_allocation_command");
    assert_eq!(v["decisions"][0]["decision"], "NO");
    let e = execute_commands(&mut copy, &[cmd], false, 0, &mut ids).unwrap_err();
    assert!(e
        .reason
        .starts_with("[cancel_allocation] can't cancel 9, failed to find it on node {n1}{n1}"));
}
