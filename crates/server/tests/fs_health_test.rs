//! `monitor.fs.health`: a node whose data path stops accepting writes fails the master's
//! follower checks and is removed from the cluster; once the path works again it rejoins.
//! Three real `quarry` processes; the data path is "broken" by moving the directory away and
//! putting a plain file in its place (the probe file cannot be created), then restored.

mod support;

use std::process::Child;
use std::time::Duration;
use support::{free_ports, http, start_quarry, wait_for};

struct Cluster {
    http: Vec<u16>,
    children: Vec<Child>,
    dir: tempfile::TempDir,
}

impl Drop for Cluster {
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

fn view(port: u16) -> Option<(Vec<String>, String)> {
    let (status, v) = http(port, "GET", "/_cat/nodes?format=json&h=name,master", None).ok()?;
    if status != 200 {
        return None;
    }
    let rows = v.as_array()?;
    let master = rows.iter().find(|r| r["master"] == "*")?["name"].as_str()?;
    let mut names: Vec<String> = rows
        .iter()
        .filter_map(|r| r["name"].as_str().map(String::from))
        .collect();
    names.sort();
    Some((names, master.to_string()))
}

#[test]
fn a_node_with_a_broken_data_path_leaves_the_cluster_until_it_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let ports = free_ports(6);
    let (http_ports, transport) = (ports[..3].to_vec(), ports[3..].to_vec());
    let seeds: Vec<String> = transport.iter().map(|p| format!("127.0.0.1:{p}")).collect();
    let mut children = Vec::new();
    for i in 0..3 {
        let settings = vec![
            "cluster.name=fshealth".to_string(),
            format!("node.name=f{i}"),
            format!("transport.port={}", transport[i]),
            format!("path.data={}", dir.path().join(format!("d{i}")).display()),
            format!("path.logs={}", dir.path().join(format!("l{i}")).display()),
            format!("discovery.seed_hosts={}", seeds.join(",")),
            "cluster.initial_master_nodes=f0,f1,f2".to_string(),
            "monitor.fs.health.refresh_interval=200ms".to_string(),
        ];
        children.push(start_quarry(http_ports[i], &settings));
    }
    let cluster = Cluster {
        http: http_ports,
        children,
        dir,
    };
    let master = wait_for(Duration::from_secs(60), "a three-node cluster", || {
        let views: Vec<_> = cluster.http.iter().map(|p| view(*p)).collect();
        let first = views[0].clone()?;
        (first.0.len() == 3 && views.iter().all(|v| v.as_ref() == Some(&first))).then_some(first.1)
    });
    let master_index: usize = master.trim_start_matches('f').parse().unwrap();
    let sick = (master_index + 1) % 3;
    let sick_name = format!("f{sick}");

    let data = cluster.dir.path().join(format!("d{sick}"));
    let moved = cluster.dir.path().join(format!("d{sick}.moved"));
    std::fs::rename(&data, &moved).unwrap();
    std::fs::write(&data, b"not a directory").unwrap();
    wait_for(
        Duration::from_secs(30),
        "the unhealthy node to be removed",
        || {
            let (names, _) = view(cluster.http[master_index])?;
            (names.len() == 2 && !names.contains(&sick_name)).then_some(())
        },
    );
    let log = std::fs::read_to_string(
        cluster
            .dir
            .path()
            .join(format!("l{master_index}"))
            .join("fshealth.log"),
    )
    .unwrap_or_default();
    assert!(
        log.contains("node is unhealthy"),
        "the master logs why: {log}"
    );

    std::fs::remove_file(&data).unwrap();
    std::fs::rename(&moved, &data).unwrap();
    wait_for(
        Duration::from_secs(30),
        "the recovered node to rejoin",
        || {
            let (names, m) = view(cluster.http[master_index])?;
            (names.len() == 3 && names.contains(&sick_name) && m == master).then_some(())
        },
    );
}
