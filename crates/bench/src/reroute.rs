//! `quarry-bench reroute`: allocation at scale, without sockets. Builds a simulated cluster
//! (default 100 data nodes, 10,000 indices of 5 primaries and 1 replica, every copy started
//! and balanced), then times a no-op `reroute`, and `apply` (clone, reroute, validate, version
//! bump) for the cluster-state updates that trigger allocation: creating an index, a node
//! leaving, a node joining, an exclusion filter. It also prints what publication sends: Quarry
//! replicates the command (a diff), not the state, and both sizes are printed.
//!
//! Prints figures and writes them to JSON; asserts nothing.

use anyhow::{Context, Result};
use quarry_cluster::{
    allocation::reroute, apply, ApplyContext, ClusterCommand, ClusterState, DiscoveryNode,
};
use quarry_types::{NodeId, Settings};
use serde_json::json;
use std::path::Path;
use std::time::Instant;

pub struct RerouteOptions {
    pub nodes: usize,
    pub indices: usize,
    pub shards: u32,
    pub replicas: u32,
    pub rounds: usize,
}

fn data_node(i: usize) -> DiscoveryNode {
    DiscoveryNode {
        id: NodeId(format!("node-{i:03}")),
        name: format!("node-{i:03}"),
        ephemeral_id: format!("eph-{i}"),
        transport_address: format!("10.{}.{}.1:9300", i / 250, i % 250),
        http_address: String::new(),
        roles: ["data", "master", "ingest"]
            .iter()
            .map(|r| r.to_string())
            .collect(),
        attributes: [("zone".to_string(), format!("zone-{}", i % 3))].into(),
    }
}

fn create_cmd(name: &str, o: &RerouteOptions) -> Result<ClusterCommand> {
    Ok(ClusterCommand::CreateIndex {
        name: name.into(),
        uuid: format!("{name}-uuid"),
        settings: Settings::from_json(
            &json!({"number_of_shards": o.shards, "number_of_replicas": o.replicas}),
        )
        .map_err(anyhow::Error::msg)?,
        mappings: None,
        aliases: None,
        creation_date: 1_700_000_000_000,
    })
}

/// A balanced cluster with every copy started, built directly (creating 10,000 indices one
/// `apply` at a time would measure something else).
fn build(o: &RerouteOptions) -> Result<ClusterState> {
    let mut s = ClusterState::new("bench", "bench-uuid");
    let mut ctx = ApplyContext::seeded(0, "bench");
    for i in 0..o.nodes {
        s = apply(&s, ClusterCommand::AddNode(data_node(i)), &mut ctx)?;
    }
    s = apply(
        &s,
        ClusterCommand::ElectMaster(NodeId("node-000".into())),
        &mut ctx,
    )?;
    let template_state = apply(&s, create_cmd("template", o)?, &mut ctx)?;
    let meta = template_state
        .index("template")
        .context("template index")?
        .clone();
    let table = template_state
        .routing_table
        .index("template")
        .context("template routing")?
        .clone();
    let mut slot = 0usize;
    for i in 0..o.indices {
        let name = format!("index-{i:05}");
        let mut m = meta.clone();
        m.name = name.clone();
        m.uuid = format!("{name}-uuid");
        m.primary_terms = vec![1; o.shards as usize];
        m.in_sync_allocation_ids.clear();
        let mut t = table.clone();
        for (shard, copies) in t.shards.iter_mut() {
            let mut ids = std::collections::BTreeSet::new();
            for c in copies.iter_mut() {
                c.shard_id = quarry_types::ShardId::new(name.clone(), *shard);
                let node = NodeId(format!("node-{:03}", slot % o.nodes));
                slot += 1;
                let id = format!("{name}-{shard}-{}", ids.len());
                c.initialize(node, quarry_types::AllocationId(id.clone()));
                c.start();
                ids.insert(id);
            }
            m.in_sync_allocation_ids.insert(*shard, ids);
        }
        s.metadata
            .indices
            .insert(name.clone(), std::sync::Arc::new(m));
        s.routing_table.indices.insert(name, std::sync::Arc::new(t));
    }
    s.validate().map_err(anyhow::Error::msg)?;
    Ok(s)
}

/// Runs `f` `rounds` times; returns (median, max) milliseconds.
fn time(rounds: usize, mut f: impl FnMut() -> Result<()>) -> Result<(f64, f64)> {
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds.max(1) {
        let t = Instant::now();
        f()?;
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(f64::total_cmp);
    Ok((samples[samples.len() / 2], samples[samples.len() - 1]))
}

pub fn run(o: &RerouteOptions, out: &Path) -> Result<()> {
    let t = Instant::now();
    let s = build(o)?;
    let copies = s.routing_table.all_copies().count();
    println!(
        "reroute benchmark: {} nodes, {} indices x {}p/{}r = {copies} shard copies (built in {:.1}s)",
        o.nodes,
        o.indices,
        o.shards,
        o.replicas,
        t.elapsed().as_secs_f64()
    );
    let mut figures = serde_json::Map::new();
    let mut report = |name: &str, (median, max): (f64, f64)| {
        println!("  {name:<40} median {median:>8.1} ms   max {max:>8.1} ms");
        figures.insert(name.into(), json!({"median_ms": median, "max_ms": max}));
    };
    // The "nothing to do" figure is only meaningful if the built state is already settled.
    let mut settle_ids = 0u64;
    let mut settle = || {
        settle_ids += 1;
        format!("s{settle_ids}")
    };
    anyhow::ensure!(
        reroute(&s, 1_000, &mut settle).same_as(&s),
        "the simulated cluster is not balanced: reroute would change it"
    );
    let mut ids = 0u64;
    report(
        "reroute (nothing to do)",
        time(o.rounds, || {
            let mut gen = || {
                ids += 1;
                format!("b{ids}")
            };
            let _ = reroute(&s, 1_000, &mut gen);
            Ok(())
        })?,
    );
    let updates: Vec<(&str, ClusterCommand)> = vec![
        ("update: create index", create_cmd("new-index", o)?),
        (
            "update: node left",
            ClusterCommand::RemoveNode(NodeId("node-007".into())),
        ),
        (
            "update: node joined (rebalance)",
            ClusterCommand::AddNode(data_node(o.nodes)),
        ),
        (
            "update: exclude a node (drain)",
            ClusterCommand::UpdateClusterSettings {
                persistent: Settings::from_json(
                    &json!({"cluster.routing.allocation.exclude._name": "node-003"}),
                )
                .map_err(anyhow::Error::msg)?,
                transient: Settings::new(),
            },
        ),
    ];
    let state_bytes = serde_json::to_vec(&s)?.len();
    let mut command_bytes = Vec::new();
    for (name, cmd) in updates {
        command_bytes.push((name, serde_json::to_vec(&cmd)?.len()));
        report(
            name,
            time(o.rounds, || {
                let mut ctx = ApplyContext::seeded(1_000, "bench-update");
                let next = apply(&s, cmd.clone(), &mut ctx)?;
                anyhow::ensure!(next.version == s.version + 1, "{name} changed nothing");
                Ok(())
            })?,
        );
    }
    println!("  publication: the full state is {state_bytes} bytes as JSON; Quarry publishes the command:");
    for (name, bytes) in &command_bytes {
        println!("    {name:<38} {bytes:>8} bytes");
    }
    figures.insert("state_bytes".into(), json!(state_bytes));
    figures.insert(
        "command_bytes".into(),
        json!(command_bytes
            .iter()
            .map(|(n, b)| (n.to_string(), json!(b)))
            .collect::<serde_json::Map<_, _>>()),
    );
    let body = json!({
        "benchmark": "reroute",
        "nodes": o.nodes,
        "indices": o.indices,
        "shards": o.shards,
        "replicas": o.replicas,
        "shard_copies": copies,
        "figures": figures,
    });
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, serde_json::to_vec_pretty(&body)?)?;
    println!("written to {}", out.display());
    Ok(())
}
