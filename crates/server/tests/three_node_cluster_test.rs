//! Three real `quarry` processes on 127.0.0.1, each master+data, with seed hosts and
//! `cluster.initial_master_nodes` (the README's example): they form one cluster with one
//! master, an index created through a non-master node is placed on the cluster, and after the
//! master is killed with SIGKILL another one takes over, the dead node is removed, and
//! master-level writes work again.

mod support;

use serde_json::Value;
use std::process::Child;
use std::time::{Duration, Instant};
use support::{free_ports, http, start_quarry, wait_for};

struct Cluster {
    http: Vec<u16>,
    children: Vec<Option<Child>>,
    _dir: tempfile::TempDir,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in self.children.iter_mut().flatten() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            support::print_logs(self._dir.path());
        }
    }
}

fn start_cluster() -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let ports = free_ports(6);
    let (http, transport) = (ports[..3].to_vec(), ports[3..].to_vec());
    let seeds: Vec<String> = transport.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let mut children = Vec::new();
    for i in 0..3 {
        let settings = vec![
            "cluster.name=three".to_string(),
            format!("node.name=n{i}"),
            format!("transport.port={}", transport[i]),
            format!("path.data={}", dir.path().join(format!("d{i}")).display()),
            format!("path.logs={}", dir.path().join(format!("l{i}")).display()),
            format!("discovery.seed_hosts={}", seeds.join(",")),
            "cluster.initial_master_nodes=n0,n1,n2".to_string(),
        ];
        children.push(Some(start_quarry(http[i], &settings)));
    }
    Cluster {
        http,
        children,
        _dir: dir,
    }
}

fn nodes_and_master(port: u16) -> Option<(usize, String)> {
    let (status, v) = http(port, "GET", "/_cat/nodes?format=json&h=name,master", None).ok()?;
    if status != 200 {
        return None;
    }
    let rows = v.as_array()?;
    let master = rows.iter().find(|r| r["master"] == "*")?["name"]
        .as_str()?
        .to_string();
    Some((rows.len(), master))
}

#[test]
fn three_nodes_form_one_cluster_and_survive_a_master_kill() {
    let mut cluster = start_cluster();
    let master = wait_for(Duration::from_secs(60), "a three-node cluster", || {
        let views: Vec<_> = cluster.http.iter().map(|p| nodes_and_master(*p)).collect();
        let first = views[0].clone()?;
        (first.0 == 3 && views.iter().all(|v| v.as_ref() == Some(&first))).then_some(first.1)
    });
    let master_index: usize = master.trim_start_matches('n').parse().unwrap();
    let other = (master_index + 1) % 3;

    // A master-level write through a node that is not the master.
    let (s, v) = http(
        cluster.http[other],
        "PUT",
        "/through-follower",
        Some(r#"{"settings":{"number_of_shards":3,"number_of_replicas":0}}"#),
    )
    .unwrap();
    assert_eq!(s, 200, "{v}");
    wait_for(
        Duration::from_secs(30),
        "the new index to turn green everywhere",
        || {
            cluster
                .http
                .iter()
                .all(|p| {
                    matches!(http(*p, "GET", "/_cluster/health/through-follower", None),
                Ok((200, ref v)) if v["status"] == "green")
                })
                .then_some(())
        },
    );

    // Kill the master; the survivors elect another one and accept master-level writes again.
    let mut dead = cluster.children[master_index].take().unwrap();
    dead.kill().unwrap();
    dead.wait().unwrap();
    let killed_at = Instant::now();
    let (s, v): (u16, Value) = wait_for(
        Duration::from_secs(30),
        "create-index after the master kill",
        || match http(cluster.http[other], "PUT", "/after-failover", None) {
            Ok((200, v)) => Some((200, v)),
            _ => None,
        },
    );
    assert_eq!(s, 200, "{v}");
    // The new master recorded itself before committing the index: the node that acknowledged
    // the create already names the new master.
    let (_, m) = http(cluster.http[other], "GET", "/_cat/master?format=json", None).unwrap();
    assert_ne!(m[0]["node"], master.as_str(), "{m}");
    eprintln!(
        "create-index succeeded {:?} after SIGKILL of the master",
        killed_at.elapsed()
    );
    let (count, new_master) = wait_for(Duration::from_secs(30), "the dead node to leave", || {
        nodes_and_master(cluster.http[other]).filter(|(n, _)| *n == 2)
    });
    assert_eq!(count, 2);
    assert_ne!(new_master, master);
}
