//! A network partition between real `quarry` processes, made with Linux network namespaces:
//! three nodes, each in its own namespace with two links to the host — a "cluster" link on a
//! shared bridge (transport) and a point-to-point "client" link (HTTP from this test). Taking
//! one node's cluster link down isolates it from the others while the test still talks to it.
//!
//! The isolated minority (one follower) must refuse document writes with 503
//! `cluster_block_exception` (`cluster.no_master_block: write`), keep serving reads, and not
//! disturb the majority, which keeps its master and accepts master-level writes. After the
//! link comes back the node follows the same master and accepts writes again.
//!
//! Needs root and `ip netns`; where namespaces cannot be created the test says so and returns
//! (the in-memory transport's partitions are covered by the `sim` crate and the coordinator
//! tests).

mod support;

use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::{http_to, wait_for};

/// Runs `ip` with `args`; `Err` with its stderr when it fails.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("cannot run ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// The namespaces, links and processes of one test run; torn down on drop.
struct NetnsCluster {
    tag: String,
    /// Third octet shared by both subnets (unique per run).
    net: u8,
    children: Vec<Child>,
    dir: tempfile::TempDir,
}

impl NetnsCluster {
    fn ns(&self, i: usize) -> String {
        format!("{}n{i}", self.tag)
    }
    fn cluster_link(&self, i: usize) -> String {
        format!("{}c{i}", self.tag)
    }
    fn cluster_ip(&self, i: usize) -> String {
        format!("10.213.{}.{}", self.net, i + 1)
    }
    fn http_ip(&self, i: usize) -> String {
        format!("10.214.{}.{}", self.net, 4 * i + 2)
    }

    /// Creates the bridge, namespaces and links; `Err` when namespaces are unavailable.
    fn create(n: usize) -> Result<NetnsCluster, String> {
        let pid = std::process::id();
        let cluster = NetnsCluster {
            tag: format!("q{}", pid % 100_000),
            net: (pid % 200 + 20) as u8,
            children: Vec::new(),
            dir: tempfile::tempdir().map_err(|e| e.to_string())?,
        };
        let bridge = format!("{}br", cluster.tag);
        ip(&["link", "add", &bridge, "type", "bridge"])?;
        ip(&["link", "set", &bridge, "up"])?;
        for i in 0..n {
            let ns = cluster.ns(i);
            ip(&["netns", "add", &ns])?;
            ip(&["-n", &ns, "link", "set", "lo", "up"])?;
            // Cluster link: host end on the bridge, namespace end with the transport address.
            let host_end = cluster.cluster_link(i);
            let peer = format!("{}x{i}", cluster.tag);
            ip(&[
                "link", "add", &host_end, "type", "veth", "peer", "name", &peer,
            ])?;
            ip(&["link", "set", &peer, "netns", &ns])?;
            ip(&["link", "set", &host_end, "master", &bridge])?;
            ip(&["link", "set", &host_end, "up"])?;
            let cidr = format!("{}/24", cluster.cluster_ip(i));
            ip(&["-n", &ns, "addr", "add", &cidr, "dev", &peer])?;
            ip(&["-n", &ns, "link", "set", &peer, "up"])?;
            // Client link: a /30 between the host and the namespace, for HTTP.
            let host_http = format!("{}h{i}", cluster.tag);
            let peer_http = format!("{}y{i}", cluster.tag);
            ip(&[
                "link", "add", &host_http, "type", "veth", "peer", "name", &peer_http,
            ])?;
            ip(&["link", "set", &peer_http, "netns", &ns])?;
            let host_cidr = format!("10.214.{}.{}/30", cluster.net, 4 * i + 1);
            ip(&["addr", "add", &host_cidr, "dev", &host_http])?;
            ip(&["link", "set", &host_http, "up"])?;
            let ns_cidr = format!("{}/30", cluster.http_ip(i));
            ip(&["-n", &ns, "addr", "add", &ns_cidr, "dev", &peer_http])?;
            ip(&["-n", &ns, "link", "set", &peer_http, "up"])?;
        }
        Ok(cluster)
    }

    fn start_nodes(&mut self, n: usize) {
        let seeds: Vec<String> = (0..n)
            .map(|i| format!("{}:9300", self.cluster_ip(i)))
            .collect();
        let masters: Vec<String> = (0..n).map(|i| format!("p{i}")).collect();
        for i in 0..n {
            let data = self.dir.path().join(format!("d{i}"));
            let logs = self.dir.path().join(format!("l{i}"));
            let console = std::fs::File::create(self.dir.path().join(format!("console{i}.log")))
                .expect("console file");
            let child = Command::new("ip")
                .args(["netns", "exec", &self.ns(i), env!("CARGO_BIN_EXE_quarry")])
                .args(["-E", "cluster.name=partition"])
                .args(["-E", &format!("node.name=p{i}")])
                .args(["-E", &format!("transport.host={}", self.cluster_ip(i))])
                .args(["-E", &format!("http.host={}", self.http_ip(i))])
                .args(["-E", &format!("path.data={}", data.display())])
                .args(["-E", &format!("path.logs={}", logs.display())])
                .args(["-E", &format!("discovery.seed_hosts={}", seeds.join(","))])
                .args([
                    "-E",
                    &format!("cluster.initial_master_nodes={}", masters.join(",")),
                ])
                .stdout(Stdio::from(console.try_clone().expect("console file")))
                .stderr(Stdio::from(console))
                .spawn()
                .expect("ip netns exec quarry");
            self.children.push(child);
        }
    }

    fn http(&self, i: usize, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
        http_to(&self.http_ip(i), 9200, method, path, body).unwrap_or((0, Value::Null))
    }

    /// `(node count, master name)` as node `i` sees it.
    fn view(&self, i: usize) -> Option<(usize, String)> {
        let (status, v) = self.http(i, "GET", "/_cat/nodes?format=json&h=name,master", None);
        if status != 200 {
            return None;
        }
        let rows = v.as_array()?;
        let master = rows.iter().find(|r| r["master"] == "*")?["name"].as_str()?;
        Some((rows.len(), master.to_string()))
    }

    fn set_isolated(&self, i: usize, isolated: bool) {
        let state = if isolated { "down" } else { "up" };
        ip(&["link", "set", &self.cluster_link(i), state]).expect("link state");
    }
}

impl Drop for NetnsCluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            support::print_logs(self.dir.path());
        }
        for i in 0..3 {
            let _ = ip(&["netns", "del", &self.ns(i)]);
            let _ = ip(&["link", "del", &format!("{}h{i}", self.tag)]);
            let _ = ip(&["link", "del", &self.cluster_link(i)]);
        }
        let _ = ip(&["link", "del", &format!("{}br", self.tag)]);
    }
}

#[test]
fn an_isolated_follower_refuses_writes_and_rejoins_without_disturbing_the_master() {
    let mut cluster = match NetnsCluster::create(3) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("SKIPPED: network namespaces are unavailable here ({e})");
            return;
        }
    };
    cluster.start_nodes(3);
    let master = wait_for(Duration::from_secs(60), "a three-node cluster", || {
        let views: Vec<_> = (0..3).map(|i| cluster.view(i)).collect();
        let first = views[0].clone()?;
        (first.0 == 3 && views.iter().all(|v| v.as_ref() == Some(&first))).then_some(first.1)
    });
    let master_index: usize = master.trim_start_matches('p').parse().unwrap();
    let isolated = (master_index + 1) % 3;
    let healthy = (master_index + 2) % 3;

    // One shard per node, so the isolated node holds a primary it could write to locally.
    let (s, v) = cluster.http(
        healthy,
        "PUT",
        "/p",
        Some(r#"{"settings":{"number_of_shards":3,"number_of_replicas":0}}"#),
    );
    assert_eq!(s, 200, "{v}");
    wait_for(Duration::from_secs(30), "index p green", || {
        let (s, v) = cluster.http(isolated, "GET", "/_cluster/health/p", None);
        (s == 200 && v["status"] == "green").then_some(())
    });
    // An id whose shard is on the isolated node: writes through any node reach every shard,
    // so ask the isolated node's own shards which of the documents they hold.
    let bulk: String = (0..30)
        .map(|id| format!("{{\"index\":{{\"_id\":\"{id}\"}}}}\n{{\"n\":1}}\n"))
        .collect();
    let (s, v) = cluster.http(isolated, "POST", "/p/_bulk?refresh=true", Some(&bulk));
    assert_eq!((s, &v["errors"]), (200, &Value::Bool(false)), "{v}");
    let (s, v) = cluster.http(
        isolated,
        "POST",
        "/p/_search?preference=_only_local&size=30",
        Some(r#"{"query":{"match_all":{}}}"#),
    );
    assert_eq!(s, 200, "{v}");
    let local_id = v["hits"]["hits"][0]["_id"]
        .as_str()
        .expect("one of the shards is on the isolated node")
        .to_string();

    cluster.set_isolated(isolated, true);
    // Every write through the isolated node, whichever shard it routes to, meets the block.
    let doc = format!("/p/_doc/{local_id}");
    let (s, v) = wait_for(Duration::from_secs(20), "the no-master block", || {
        let (s, v) = cluster.http(isolated, "PUT", &doc, Some("{\"n\":2}"));
        (s == 503).then_some((s, v))
    });
    assert_eq!(v["error"]["type"], "cluster_block_exception", "{s} {v}");
    assert_eq!(
        v["error"]["reason"],
        "blocked by: [SERVICE_UNAVAILABLE/2/no master];"
    );
    let (s, v) = cluster.http(isolated, "DELETE", &doc, None);
    assert_eq!(s, 503, "{v}");
    let (s, v) = cluster.http(
        isolated,
        "POST",
        "/_bulk",
        Some("{\"index\":{\"_index\":\"p\",\"_id\":\"b\"}}\n{\"n\":4}\n"),
    );
    assert_eq!(s, 503, "{v}");
    // Reads still work (`cluster.no_master_block: write`), from the shards it holds.
    let (s, v) = cluster.http(isolated, "GET", &doc, None);
    assert_eq!((s, &v["found"]), (200, &Value::Bool(true)), "{v}");

    // The majority keeps its master and accepts master-level writes.
    let (s, v) = cluster.http(healthy, "PUT", "/during-partition", None);
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        cluster.view(healthy).map(|(_, m)| m),
        Some(master.clone()),
        "the majority kept its master"
    );

    // Heal: the node follows the same master (its stale term cannot depose it) and writes
    // through it work again.
    cluster.set_isolated(isolated, false);
    wait_for(
        Duration::from_secs(60),
        "writes through the healed node",
        || {
            let (s, _) = cluster.http(isolated, "PUT", &doc, Some("{\"n\":5}"));
            (s == 200 || s == 201).then_some(())
        },
    );
    wait_for(Duration::from_secs(60), "one view of the cluster", || {
        let views: Vec<_> = (0..3).map(|i| cluster.view(i)).collect();
        let first = views[0].clone()?;
        (first.0 == 3 && views.iter().all(|v| v.as_ref() == Some(&first))).then_some(())
    });
    assert_eq!(cluster.view(isolated).map(|(_, m)| m), Some(master));
    wait_for(
        Duration::from_secs(30),
        "the healed node to apply the state committed while it was away",
        || (cluster.http(isolated, "HEAD", "/during-partition", None).0 == 200).then_some(()),
    );
}
