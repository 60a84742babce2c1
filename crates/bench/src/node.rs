//! Starting and stopping a Quarry node for a benchmark: free ports, a private data directory,
//! cold-start timing to a green cluster health, and a clear error (with the node's output)
//! when the node exits or never becomes healthy.

use crate::http::Client;
use anyhow::{anyhow, bail, Context, Result};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to start the node.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    pub binary: PathBuf,
    /// Parent of the node's temporary home (data, logs, captured output).
    pub work_dir: Option<PathBuf>,
    /// Extra `-E key=value` settings.
    pub extra_settings: Vec<String>,
    pub start_timeout: Duration,
    /// Keep the temporary directory after the run.
    pub keep_dir: bool,
}

/// A running node started by the benchmark. Killed on drop if not stopped.
pub struct Node {
    child: Option<Child>,
    pub addr: SocketAddr,
    pub home: PathBuf,
    _tmp: Option<tempfile::TempDir>,
}

/// Start-up figures.
#[derive(Debug, Clone, Copy)]
pub struct Started {
    /// Spawn to first green `GET /_cluster/health?wait_for_status=green`.
    pub cold_start: Duration,
}

/// Interval between health polls during start-up.
const POLL: Duration = Duration::from_millis(5);

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Node {
    /// Spawns the node and waits until cluster health is green.
    pub fn start(opts: &NodeOptions) -> Result<(Node, Started)> {
        if !opts.binary.is_file() {
            bail!(
                "node binary {} not found (build it with `cargo build --release -p quarry-server`)",
                opts.binary.display()
            );
        }
        let mut builder = tempfile::Builder::new();
        builder.prefix("quarry-bench-");
        let tmp = match &opts.work_dir {
            Some(dir) => {
                std::fs::create_dir_all(dir)?;
                builder.tempdir_in(dir)?
            }
            None => builder.tempdir()?,
        };
        let home = tmp.path().to_path_buf();
        let (http_port, transport_port) = (free_port()?, free_port()?);
        let addr: SocketAddr = ([127, 0, 0, 1], http_port).into();
        let mut settings = vec![
            format!("http.port={http_port}"),
            format!("transport.port={transport_port}"),
            format!("path.data={}", home.join("data").display()),
            format!("path.logs={}", home.join("logs").display()),
            "network.host=127.0.0.1".to_string(),
            "discovery.type=single-node".to_string(),
        ];
        settings.extend(opts.extra_settings.iter().cloned());
        let mut cmd = Command::new(&opts.binary);
        for s in &settings {
            cmd.arg("-E").arg(s);
        }
        let stdout = std::fs::File::create(home.join("node.stdout"))?;
        let stderr = std::fs::File::create(home.join("node.stderr"))?;
        cmd.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        let spawned_at = Instant::now();
        let child = cmd
            .spawn()
            .with_context(|| format!("spawning {}", opts.binary.display()))?;
        let tmp = if opts.keep_dir {
            eprintln!("node home kept at {}", tmp.keep().display());
            None
        } else {
            Some(tmp)
        };
        let mut node = Node {
            child: Some(child),
            addr,
            home: home.clone(),
            _tmp: tmp,
        };
        match node.wait_green(spawned_at, opts.start_timeout) {
            Ok(()) => Ok((
                node,
                Started {
                    cold_start: spawned_at.elapsed(),
                },
            )),
            Err(e) => {
                let output = node.output_tail();
                node.kill();
                Err(anyhow!(
                    "Quarry node did not start: {e:#}\ncommand: {} -E {}{output}",
                    opts.binary.display(),
                    settings.join(" -E ")
                ))
            }
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map(Child::id).unwrap_or_default()
    }

    fn wait_green(&mut self, spawned_at: Instant, timeout: Duration) -> Result<()> {
        let mut client = Client::new(self.addr, Duration::from_secs(5));
        let mut last = String::from("no answer yet (connection refused)");
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Some(status) = child.try_wait()? {
                    bail!("node exited with {status} before its cluster health was green; last poll: {last}");
                }
            }
            match client.get("/_cluster/health?wait_for_status=green&timeout=1s") {
                Ok(resp) if resp.status == 200 => {
                    let v = resp.json().ok();
                    let status = v
                        .as_ref()
                        .and_then(|v| v.get("status"))
                        .and_then(|s| s.as_str())
                        .map(str::to_owned);
                    if status.as_deref() == Some("green") {
                        return Ok(());
                    }
                    last = format!("200 with status {status:?}");
                }
                Ok(resp) => last = format!("{} {}", resp.status, crate::http::preview(&resp.body)),
                Err(e) => {
                    if !is_refused(&e) {
                        last = format!("{e:#}");
                    }
                }
            }
            if spawned_at.elapsed() > timeout {
                bail!("cluster health not green after {timeout:?}; last poll: {last}");
            }
            std::thread::sleep(POLL);
        }
    }

    /// The last lines of the node's captured stdout and stderr, for error messages.
    pub fn output_tail(&self) -> String {
        let mut out = String::new();
        for name in ["node.stdout", "node.stderr"] {
            let text = std::fs::read_to_string(self.home.join(name)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            if !lines.is_empty() {
                let tail = &lines[lines.len().saturating_sub(20)..];
                out.push_str(&format!(
                    "\n--- last lines of {name} ---\n{}",
                    tail.join("\n")
                ));
            }
        }
        if out.is_empty() {
            out.push_str(" (the node printed nothing)");
        }
        out
    }

    /// Path of the node's data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.home.join("data")
    }

    /// Asks the node to stop with SIGTERM, then kills it after `grace`.
    pub fn stop(&mut self, grace: Duration) -> Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let termed = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        let deadline = Instant::now() + grace;
        while termed && Instant::now() < deadline {
            if child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        child.kill().ok();
        child.wait()?;
        Ok(())
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().ok();
            child.wait().ok();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

fn is_refused(e: &anyhow::Error) -> bool {
    e.downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(binary: &str) -> NodeOptions {
        NodeOptions {
            binary: binary.into(),
            work_dir: None,
            extra_settings: vec![],
            start_timeout: Duration::from_secs(5),
            keep_dir: false,
        }
    }

    #[test]
    fn missing_binary_is_a_clear_error() {
        let err = Node::start(&opts("/nonexistent/quarry")).err().unwrap();
        assert!(format!("{err:#}").contains("not found"), "{err:#}");
    }

    #[test]
    fn node_that_exits_is_reported_with_its_output() {
        // `sh -c` ignores the -E arguments after the script and exits at once.
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("fake-node");
        std::fs::write(
            &script,
            "#!/bin/sh\necho 'boom: not implemented' >&2\nexit 3\n",
        )
        .unwrap();
        let mut perms = std::fs::metadata(&script).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(&script, perms).unwrap();
        let err = Node::start(&opts(script.to_str().unwrap())).err().unwrap();
        let msg = format!("{err:#}");
        assert!(msg.contains("did not start"), "{msg}");
        assert!(msg.contains("exited"), "{msg}");
        assert!(msg.contains("boom: not implemented"), "{msg}");
    }
}
