//! Shard allocation in a real cluster of `quarry` processes, the way operators meet it:
//! three nodes and an index with three primaries and one replica end with two copies per node
//! and never both copies of a shard on one node; with `node.attr.rack_id` rack1/rack1/rack2
//! and awareness on `rack_id`, no shard has both copies in one rack.

mod support;

use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use support::{ok, ProcessCluster};

/// Waits until all three nodes are in the cluster (as the elected master sees it).
fn wait_for_three_nodes(cluster: &ProcessCluster) {
    let (s, v) = ok(
        cluster.http[0],
        "GET",
        "/_cluster/health?wait_for_nodes=3&timeout=30s",
        None,
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["number_of_nodes"], 3, "{v}");
}

/// Three primaries, one replica each.
fn create(cluster: &ProcessCluster, index: &str) {
    cluster.create_index(
        index,
        &json!({"settings": {"number_of_shards": 3, "number_of_replicas": 1}}),
    );
}

/// shard number -> node names holding a started copy.
fn placement(cluster: &ProcessCluster, index: &str) -> BTreeMap<String, Vec<String>> {
    let (s, v) = ok(
        cluster.http[1],
        "GET",
        &format!("/_cat/shards/{index}?format=json&h=shard,prirep,state,node"),
        None,
    );
    assert_eq!(s, 200, "{v}");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in v.as_array().expect("rows") {
        assert_eq!(row["state"], "STARTED", "{v}");
        out.entry(row["shard"].as_str().unwrap_or_default().to_string())
            .or_default()
            .push(row["node"].as_str().unwrap_or_default().to_string());
    }
    out
}

#[test]
fn three_nodes_hold_two_copies_each_and_never_both_copies_of_a_shard() {
    let cluster = ProcessCluster::start("allocation-spread", 3, 0);
    wait_for_three_nodes(&cluster);
    create(&cluster, "blogs");
    let shards = placement(&cluster, "blogs");
    assert_eq!(shards.len(), 3, "{shards:?}");
    let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
    for nodes in shards.values() {
        assert_eq!(nodes.len(), 2, "{shards:?}");
        assert_ne!(nodes[0], nodes[1], "both copies on one node: {shards:?}");
        for n in nodes {
            *per_node.entry(n.as_str()).or_default() += 1;
        }
    }
    assert_eq!(
        per_node.values().copied().collect::<Vec<_>>(),
        vec![2, 2, 2],
        "{shards:?}"
    );
}

#[test]
fn rack_awareness_keeps_the_copies_of_a_shard_in_different_racks() {
    let racks = ["rack1", "rack1", "rack2"];
    let cluster = ProcessCluster::start_with("allocation-racks", 3, 0, |i| {
        vec![format!("node.attr.rack_id={}", racks[i])]
    });
    wait_for_three_nodes(&cluster);
    let (s, v) = ok(
        cluster.http[0],
        "PUT",
        "/_cluster/settings",
        Some(
            &json!({"persistent": {"cluster.routing.allocation.awareness.attributes": "rack_id"}})
                .to_string(),
        ),
    );
    assert_eq!(s, 200, "{v}");
    // The attribute is visible the way Elasticsearch shows it.
    let (_, attrs): (u16, Value) = ok(
        cluster.http[0],
        "GET",
        "/_cat/nodeattrs?format=json&h=node,attr,value",
        None,
    );
    assert!(
        attrs
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["attr"] == "rack_id")),
        "{attrs}"
    );
    create(&cluster, "logs");
    let rack_of: BTreeMap<String, &str> = (0..3).map(|i| (format!("n{i}"), racks[i])).collect();
    let shards = placement(&cluster, "logs");
    for (shard, nodes) in &shards {
        let in_racks: BTreeSet<&str> = nodes.iter().map(|n| rack_of[n]).collect();
        assert_eq!(in_racks.len(), 2, "shard {shard} in one rack: {shards:?}");
    }
}

fn set_exclude(cluster: &ProcessCluster, name: Option<&str>) {
    let (s, v) = ok(
        cluster.http[0],
        "PUT",
        "/_cluster/settings",
        Some(
            &json!({"persistent": {"cluster.routing.allocation.exclude._name": name}}).to_string(),
        ),
    );
    assert_eq!(s, 200, "{v}");
}

/// Copies per node name, once nothing is initializing or relocating.
fn settled_copies_per_node(cluster: &ProcessCluster, index: &str) -> BTreeMap<String, usize> {
    support::wait_for(
        std::time::Duration::from_secs(30),
        "relocations to finish",
        || {
            let (_, health) = ok(cluster.http[0], "GET", "/_cluster/health", None);
            if health["relocating_shards"] != 0 || health["initializing_shards"] != 0 {
                return None;
            }
            let mut per_node = BTreeMap::new();
            for nodes in placement(cluster, index).values() {
                for n in nodes {
                    *per_node.entry(n.clone()).or_insert(0) += 1;
                }
            }
            Some(per_node)
        },
    )
}

#[test]
fn an_excluded_node_is_avoided_and_gets_copies_once_the_exclusion_is_lifted() {
    let cluster = ProcessCluster::start("allocation-exclude", 3, 0);
    wait_for_three_nodes(&cluster);
    set_exclude(&cluster, Some("n2"));
    create(&cluster, "events");
    let before = settled_copies_per_node(&cluster, "events");
    assert_eq!(before.get("n2"), None, "{before:?}");
    // Lifting the exclusion rebalances copies onto n2 (the balancer moves replicas: a started
    // primary stays until peer recovery exists).
    set_exclude(&cluster, None);
    let after = support::wait_for(
        std::time::Duration::from_secs(30),
        "n2 to receive copies",
        || {
            let per_node = settled_copies_per_node(&cluster, "events");
            (per_node.get("n2").copied().unwrap_or(0) >= 1).then_some(per_node)
        },
    );
    assert!(after.values().all(|&n| n <= 3), "{after:?}");
    // Excluding it again moves its copies (replicas) away.
    set_exclude(&cluster, Some("n2"));
    let drained = support::wait_for(
        std::time::Duration::from_secs(30),
        "n2 to be drained",
        || {
            let per_node = settled_copies_per_node(&cluster, "events");
            (!per_node.contains_key("n2")).then_some(per_node)
        },
    );
    assert_eq!(drained.values().sum::<usize>(), 6, "{drained:?}");
    cluster.wait_for_green("events");
}

fn put_settings(cluster: &ProcessCluster, index: &str, body: Value) {
    let (s, v) = ok(
        cluster.http[2],
        "PUT",
        &format!("/{index}/_settings"),
        Some(&body.to_string()),
    );
    assert_eq!(s, 200, "{v}");
}

/// Waits until shard 0 of `index` has `n` started copies (as another node sees it).
fn wait_for_copies_of_shard_zero(cluster: &ProcessCluster, index: &str, n: usize) {
    support::wait_for(
        std::time::Duration::from_secs(20),
        &format!("{n} started copies of shard 0"),
        || {
            let (_, v) = ok(
                cluster.http[1],
                "GET",
                &format!("/_cat/shards/{index}?format=json&h=shard,state"),
                None,
            );
            let started = v
                .as_array()
                .into_iter()
                .flatten()
                .filter(|r| r["shard"] == "0" && r["state"] == "STARTED")
                .count();
            (started == n).then_some(())
        },
    );
}

#[test]
fn replicas_change_on_a_live_index_and_auto_expand_follows_the_nodes() {
    let cluster = ProcessCluster::start("allocation-replicas", 3, 0);
    wait_for_three_nodes(&cluster);
    let body = json!({"settings": {"number_of_shards": 2, "number_of_replicas": 0}});
    let (s, v) = ok(cluster.http[0], "PUT", "/live", Some(&body.to_string()));
    assert_eq!(s, 200, "{v}");
    wait_for_copies_of_shard_zero(&cluster, "live", 1);
    cluster.wait_for_green("live");
    put_settings(
        &cluster,
        "live",
        json!({"index": {"number_of_replicas": 2}}),
    );
    wait_for_copies_of_shard_zero(&cluster, "live", 3);
    cluster.wait_for_green("live");
    put_settings(
        &cluster,
        "live",
        json!({"index": {"number_of_replicas": 1}}),
    );
    wait_for_copies_of_shard_zero(&cluster, "live", 2);
    cluster.wait_for_green("live");
    // `0-all`: one copy per data node.
    put_settings(
        &cluster,
        "live",
        json!({"index": {"auto_expand_replicas": "0-all"}}),
    );
    wait_for_copies_of_shard_zero(&cluster, "live", 3);
    // Read on the node that took the update (it has applied it).
    let (_, settings) = ok(cluster.http[2], "GET", "/live/_settings", None);
    assert_eq!(
        settings["live"]["settings"]["index"]["number_of_replicas"], "2",
        "{settings}"
    );
    // More replicas than nodes can hold: yellow, with the reason on the unassigned copy.
    put_settings(
        &cluster,
        "live",
        json!({"index": {"auto_expand_replicas": false, "number_of_replicas": 3}}),
    );
    // Another node sees the change once it applied the new state.
    let health = support::wait_for(
        std::time::Duration::from_secs(10),
        "yellow with two unassigned replicas",
        || {
            let (_, health) = ok(cluster.http[1], "GET", "/_cluster/health/live", None);
            (health["status"] == "yellow").then_some(health)
        },
    );
    assert_eq!(health["unassigned_shards"], 2, "{health}");
    let (_, rows) = ok(
        cluster.http[1],
        "GET",
        "/_cat/shards/live?format=json&h=shard,state,unassigned.reason",
        None,
    );
    let reasons: Vec<&Value> = rows
        .as_array()
        .expect("rows")
        .iter()
        .filter(|r| r["state"] == "UNASSIGNED")
        .map(|r| &r["unassigned.reason"])
        .collect();
    assert_eq!(reasons.len(), 2, "{rows}");
    assert!(reasons.iter().all(|r| *r == "REPLICA_ADDED"), "{rows}");
}
