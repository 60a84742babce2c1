//! Helpers for tests that run real `quarry` processes: free ports, a minimal HTTP/1.1 client
//! and process start-up that waits for `GET /`.

#![allow(dead_code)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `n` distinct free ports (all held open until every one is chosen).
pub fn free_ports(n: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..n)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

pub fn http(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, Value)> {
    http_to("127.0.0.1", port, method, path, body)
}

/// One HTTP/1.1 request to `host:port` (connect timeout 2 s, read timeout 30 s).
pub fn http_to(
    host: &str,
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
) -> std::io::Result<(u16, Value)> {
    let address: std::net::SocketAddr = format!("{host}:{port}")
        .parse()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut s = TcpStream::connect_timeout(&address, Duration::from_secs(2))?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(s);
    let mut status_line = String::new();
    reader.read_line(&mut status_line)?;
    let status: u16 = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut length = None;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
    }
    let mut buf = Vec::new();
    match length {
        Some(n) => {
            buf.resize(n, 0);
            reader.read_exact(&mut buf)?;
        }
        None => {
            reader.read_to_end(&mut buf)?;
        }
    }
    Ok((status, serde_json::from_slice(&buf).unwrap_or(Value::Null)))
}

/// Starts `quarry` with `-E` settings and waits until `GET /` answers on `http_port`. The
/// node's console output goes to a file that is printed if it does not come up.
pub fn start_quarry(http_port: u16, settings: &[String]) -> Child {
    start_quarry_env(http_port, settings, &[])
}

/// [`start_quarry`] with extra environment variables (test hooks).
pub fn start_quarry_env(http_port: u16, settings: &[String], env: &[(&str, String)]) -> Child {
    let out_path = std::env::temp_dir().join(format!(
        "quarry-test-{}-{http_port}.out",
        std::process::id()
    ));
    let out = std::fs::File::create(&out_path).expect("console file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_quarry"));
    cmd.arg("-E").arg(format!("http.port={http_port}"));
    for s in settings {
        cmd.arg("-E").arg(s);
    }
    for (key, value) in env {
        cmd.env(key, value);
    }
    // Disk figures independent of the machine running the tests (a nearly full disk would
    // trip the allocation watermarks); a test may pass its own file.
    if !env.iter().any(|(k, _)| *k == "QUARRY_TEST_DISK_USAGE_FILE") {
        let healthy = std::env::temp_dir().join("quarry-test-disk-half-full.json");
        if !healthy.exists() {
            let _ = std::fs::write(
                &healthy,
                r#"{"total_bytes": 100000000000, "free_bytes": 50000000000}"#,
            );
        }
        cmd.env("QUARRY_TEST_DISK_USAGE_FILE", healthy);
    }
    let mut child = cmd
        .stdout(Stdio::from(out.try_clone().expect("console file")))
        .stderr(Stdio::from(out))
        .spawn()
        .expect("quarry starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok((200, _)) = http(http_port, "GET", "/", None) {
            let _ = std::fs::remove_file(&out_path);
            return child;
        }
        if let Ok(Some(status)) = child.try_wait() {
            let console = std::fs::read_to_string(&out_path).unwrap_or_default();
            panic!("quarry on port {http_port} exited with {status}:\n{console}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    let console = std::fs::read_to_string(&out_path).unwrap_or_default();
    panic!("quarry did not answer on port {http_port}:\n{console}");
}

/// Polls `check` every 100 ms until it returns `Some`, or panics after `limit`.
pub fn wait_for<T>(limit: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Prints every `*.log` file under `dir` (recursively) to stderr, for a failing test's output.
pub fn print_logs(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() && !path.ends_with("_state") {
            print_logs(&path);
        } else if path.extension().is_some_and(|e| e == "log") {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            eprintln!("===== {} =====\n{text}", path.display());
        }
    }
}

/// Real `quarry` processes on 127.0.0.1 forming one cluster: `masters` master+data nodes
/// (`n0`..) that bootstrap together, then `coordinating` coordinating-only nodes
/// (`node.roles=[]`); `http` lists the HTTP ports in that order. Processes are killed on drop,
/// and their logs printed when the test is failing.
pub struct ProcessCluster {
    pub http: Vec<u16>,
    pub children: Vec<Child>,
    pub dir: tempfile::TempDir,
}

impl ProcessCluster {
    /// Creates `index` with `body` through the first node and waits until it is green on
    /// every node.
    pub fn create_index(&self, index: &str, body: &Value) {
        let (s, v) = ok(
            self.http[0],
            "PUT",
            &format!("/{index}"),
            Some(&body.to_string()),
        );
        assert_eq!(s, 200, "{v}");
        self.wait_for_green(index);
    }

    /// Waits until `index` is green as seen from every node.
    pub fn wait_for_green(&self, index: &str) {
        wait_for(
            Duration::from_secs(30),
            "the index to turn green everywhere",
            || {
                self.http
                    .iter()
                    .all(|p| {
                        matches!(http(*p, "GET", &format!("/_cluster/health/{index}"), None),
                        Ok((200, ref v)) if v["status"] == "green")
                    })
                    .then_some(())
            },
        );
    }

    pub fn start(cluster_name: &str, masters: usize, coordinating: usize) -> ProcessCluster {
        Self::start_with(cluster_name, masters, coordinating, |_| Vec::new())
    }

    /// [`ProcessCluster::start`] with extra `-E` settings for node `i` (`node.attr.*`...).
    pub fn start_with(
        cluster_name: &str,
        masters: usize,
        coordinating: usize,
        extra: impl Fn(usize) -> Vec<String>,
    ) -> ProcessCluster {
        let n = masters + coordinating;
        let dir = tempfile::tempdir().unwrap();
        let ports = free_ports(2 * n);
        let (http, transport) = (ports[..n].to_vec(), ports[n..].to_vec());
        let seeds: Vec<String> = transport[..masters]
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect();
        let initial: Vec<String> = (0..masters).map(|i| format!("n{i}")).collect();
        let mut cluster = ProcessCluster {
            http: http.clone(),
            children: Vec::new(),
            dir,
        };
        for i in 0..n {
            let mut settings = vec![
                format!("cluster.name={cluster_name}"),
                format!("node.name=n{i}"),
                format!("transport.port={}", transport[i]),
                format!(
                    "path.data={}",
                    cluster.dir.path().join(format!("d{i}")).display()
                ),
                format!(
                    "path.logs={}",
                    cluster.dir.path().join(format!("l{i}")).display()
                ),
                format!("discovery.seed_hosts={}", seeds.join(",")),
            ];
            if i < masters {
                settings.push(format!(
                    "cluster.initial_master_nodes={}",
                    initial.join(",")
                ));
            } else {
                settings.push("node.roles=[]".to_string());
            }
            settings.extend(extra(i));
            cluster.children.push(start_quarry(http[i], &settings));
        }
        cluster
    }
}

impl Drop for ProcessCluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
        if std::thread::panicking() {
            print_logs(self.dir.path());
        }
    }
}

/// [`http`] that panics (naming the request) when the node cannot be reached.
pub fn ok(port: u16, method: &str, path: &str, body: Option<&str>) -> (u16, Value) {
    http(port, method, path, body).unwrap_or_else(|e| panic!("{method} {path} on {port}: {e}"))
}
