//! Bootstrapping with real `quarry` processes:
//! - a node that cannot find a quorum of `cluster.initial_master_nodes` logs Elasticsearch's
//!   cluster-formation warning every `discovery.cluster_formation_warning_timeout`;
//! - four master-eligible nodes started with overlapping but different initial lists never
//!   form two clusters: every node that joins a cluster joins the same one (one cluster UUID).

mod support;

use std::collections::BTreeSet;
use std::process::Child;
use std::time::Duration;
use support::{free_ports, http, start_quarry, wait_for};

struct Nodes {
    children: Vec<Child>,
    dir: tempfile::TempDir,
}

impl Drop for Nodes {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            support::print_logs(self.dir.path());
        }
    }
}

fn settings(dir: &std::path::Path, name: &str, transport: u16, seeds: &[u16]) -> Vec<String> {
    let seeds: Vec<String> = seeds.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    vec![
        "cluster.name=boot".to_string(),
        format!("node.name={name}"),
        format!("transport.port={transport}"),
        format!("path.data={}", dir.join(format!("d-{name}")).display()),
        format!("path.logs={}", dir.join(format!("l-{name}")).display()),
        format!("discovery.seed_hosts={}", seeds.join(",")),
    ]
}

#[test]
fn a_node_without_a_quorum_explains_why_no_cluster_formed() {
    let dir = tempfile::tempdir().unwrap();
    let ports = free_ports(4);
    let mut s = settings(dir.path(), "lonely", ports[1], &ports[1..]);
    s.push("cluster.initial_master_nodes=lonely,other-1,other-2".into());
    s.push("discovery.cluster_formation_warning_timeout=500ms".into());
    let nodes = Nodes {
        children: vec![start_quarry(ports[0], &s)],
        dir,
    };
    let log = nodes.dir.path().join("l-lonely").join("boot.log");
    let text = wait_for(Duration::from_secs(30), "the formation warning", || {
        let text = std::fs::read_to_string(&log).ok()?;
        text.contains("master not discovered yet").then_some(text)
    });
    assert!(
        text.contains("this node has not previously joined a bootstrapped cluster"),
        "{text}"
    );
    assert!(
        text.contains("other-1") && text.contains("other-2"),
        "the warning names the missing nodes: {text}"
    );
    // No master: writes meet the no-master block instead of being accepted.
    let (status, body) = http(ports[0], "PUT", "/x/_doc/1", Some("{}")).unwrap();
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["type"], "cluster_block_exception", "{body}");
}

#[test]
fn overlapping_initial_master_lists_never_form_two_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let ports = free_ports(8);
    let (http_ports, transport) = (&ports[..4], &ports[4..]);
    // a and b list {a,b,c}; c and d list {b,c,d}. Each list's majority could be found without
    // the other's, which Elasticsearch would let form two clusters.
    let lists = ["a,b,c", "a,b,c", "b,c,d", "b,c,d"];
    let names = ["a", "b", "c", "d"];
    let mut nodes = Nodes {
        children: Vec::new(),
        dir,
    };
    for i in 0..4 {
        let mut s = settings(nodes.dir.path(), names[i], transport[i], transport);
        s.push(format!("cluster.initial_master_nodes={}", lists[i]));
        s.push("discovery.cluster_formation_warning_timeout=1s".into());
        nodes.children.push(start_quarry(http_ports[i], &s));
    }
    // Give discovery and any bootstrapping time to happen, then look at every node's cluster:
    // either no node bootstrapped (Quarry refuses lists whose majorities could be disjoint, and
    // every node says why) or all that joined a cluster joined the same one.
    let mut seen = BTreeSet::new();
    for _ in 0..8 {
        std::thread::sleep(Duration::from_secs(1));
        for port in http_ports {
            if let Ok((200, v)) = http(*port, "GET", "/", None) {
                if let Some(uuid) = v["cluster_uuid"].as_str().filter(|u| *u != "_na_") {
                    seen.insert(uuid.to_string());
                }
            }
        }
        assert!(seen.len() <= 1, "the nodes formed two clusters: {seen:?}");
    }
    if seen.is_empty() {
        for name in names {
            let log = nodes.dir.path().join(format!("l-{name}")).join("boot.log");
            wait_for(Duration::from_secs(30), "the conflict warning", || {
                let text = std::fs::read_to_string(&log).ok()?;
                text.contains("could bootstrap a separate cluster")
                    .then_some(())
            });
        }
    }
}
