//! Test helpers: nodes, a context with counting ids, and shortcuts for common commands.

use crate::{apply, ApplyContext, ClusterCommand, ClusterState, DiscoveryNode};
use quarry_types::{NodeId, Settings};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

pub fn node(id: &str, roles: &[&str]) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(id.into()),
        name: id.into(),
        ephemeral_id: format!("{id}-eph"),
        transport_address: format!("127.0.0.1:{}", 9300 + id.len()),
        http_address: String::new(),
        roles: roles.iter().map(|r| r.to_string()).collect::<BTreeSet<_>>(),
        attributes: BTreeMap::new(),
    }
}

pub fn data_node(id: &str) -> DiscoveryNode {
    let mut n = node(id, &["master", "data", "ingest"]);
    n.transport_address = format!(
        "10.0.0.{}:9300",
        id.bytes().map(u32::from).sum::<u32>() % 250
    );
    n
}

static SEED: AtomicU64 = AtomicU64::new(0);

/// A context at t=1000ms with a seed unique to this call.
pub fn ctx() -> ApplyContext<'static> {
    ApplyContext::seeded(
        1_000,
        format!("test-{}", SEED.fetch_add(1, Ordering::Relaxed)),
    )
}

pub fn run(state: &ClusterState, cmd: ClusterCommand) -> ClusterState {
    apply(state, cmd, &mut ctx()).unwrap()
}

/// A state with the given data nodes, the first one elected master.
pub fn cluster(nodes: &[&str]) -> ClusterState {
    let mut s = ClusterState::new("test-cluster", "cuuid");
    for n in nodes {
        s = run(&s, ClusterCommand::AddNode(data_node(n)));
    }
    if let Some(first) = nodes.first() {
        s = run(&s, ClusterCommand::ElectMaster(NodeId(first.to_string())));
    }
    s
}

/// `PUT _cluster/settings` with `persistent` settings (no transient ones).
pub fn persistent_settings(settings: Value) -> ClusterCommand {
    ClusterCommand::UpdateClusterSettings {
        persistent: Settings::from_json(&settings).unwrap(),
        transient: Settings::new(),
    }
}

pub fn create_cmd(name: &str, settings: Value) -> ClusterCommand {
    ClusterCommand::CreateIndex {
        name: name.into(),
        uuid: format!("{name}-uuid"),
        settings: Settings::from_json(&settings).unwrap(),
        mappings: None,
        aliases: None,
        creation_date: 1_700_000_000_000,
    }
}

pub fn create(state: &ClusterState, name: &str, shards: u32, replicas: u32) -> ClusterState {
    run(
        state,
        create_cmd(
            name,
            json!({"number_of_shards": shards, "number_of_replicas": replicas}),
        ),
    )
}

/// Reports every initializing copy and relocation target as started, repeatedly, until none
/// is left.
pub fn start_all(state: &ClusterState) -> ClusterState {
    let mut s = state.clone();
    for _ in 0..64 {
        let init: Vec<_> = s
            .routing_table
            .all_copies()
            .filter_map(|c| {
                if c.initializing() {
                    c.allocation_id.clone()
                } else {
                    c.relocation_id.clone()
                }
                .map(|id| (c.shard_id.clone(), id))
            })
            .collect();
        if init.is_empty() {
            break;
        }
        for (shard_id, allocation_id) in init {
            s = run(
                &s,
                ClusterCommand::ShardStarted {
                    shard_id,
                    allocation_id,
                },
            );
        }
    }
    s
}
