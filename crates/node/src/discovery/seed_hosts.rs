//! Seed hosts: where discovery starts looking (Elasticsearch's `SettingsBasedSeedHostsProvider`,
//! `FileBasedSeedHostsProvider` and `SeedHostsResolver`).
//!
//! - `discovery.seed_hosts` entries are `host`, `host:port` or `[ipv6]:port`. An entry without a
//!   port uses the first port of `transport.port` (9300), as Elasticsearch documents; a bare IPv6
//!   literal must be bracketed. Only when no seed source is configured at all does a
//!   multi-node node probe the first six local ports (`127.0.0.1` and `[::1]`, 9300-9305).
//! - `discovery.seed_providers: file` adds `<config>/unicast_hosts.txt`: one entry per line,
//!   blank lines and lines starting with `#` ignored. The file is re-read whenever its
//!   modification time (or length) changes; a missing or unreadable file gives no entries.
//! - Names are resolved on every discovery round (DNS may change), each with
//!   `discovery.seed_resolver.timeout`, at most `max_concurrent_resolvers` at a time; the
//!   node's own addresses are dropped.
//!
//! Owns parsing and resolution only; must not probe or decide anything.

use crate::transport::TransportAddress;
use futures::StreamExt;
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// The first port of the default `transport.port` range (`9300-9400`).
pub const DEFAULT_TRANSPORT_PORT: u16 = 9300;
/// The file read by the `file` seed provider, in the config directory.
pub const UNICAST_HOSTS_FILE: &str = "unicast_hosts.txt";
/// How many ports of the transport range are probed on the local host when nothing is
/// configured (Elasticsearch's `LIMIT_LOCAL_PORTS_COUNT`).
pub const LIMIT_LOCAL_PORTS_COUNT: u16 = 6;

/// One parsed seed entry: a host (name or IP literal, without brackets) and a port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SeedHost {
    pub host: String,
    pub port: u16,
}

impl SeedHost {
    /// `host:port`, with IPv6 literals bracketed.
    pub fn to_address(&self) -> TransportAddress {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// A seed entry that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeedHostError {
    #[error("seed host entry is empty")]
    Empty,
    #[error("invalid bracketed host/port: [{entry}]")]
    InvalidBracketed { entry: String },
    #[error("IPv6 addresses must be bracketed: [{entry}]")]
    UnbracketedIpv6 { entry: String },
    #[error("invalid port in seed host [{entry}]")]
    InvalidPort { entry: String },
}

/// Parses one `discovery.seed_hosts` / `unicast_hosts.txt` entry.
pub fn parse_seed_host(entry: &str, default_port: u16) -> Result<SeedHost, SeedHostError> {
    let entry = entry.trim();
    if entry.is_empty() {
        return Err(SeedHostError::Empty);
    }
    let (host, port) = if let Some(rest) = entry.strip_prefix('[') {
        let invalid = || SeedHostError::InvalidBracketed {
            entry: entry.to_string(),
        };
        let (host, after) = rest.split_once(']').ok_or_else(invalid)?;
        if !host.contains(':') || host.parse::<Ipv6Addr>().is_err() {
            return Err(invalid());
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(invalid)?),
        };
        (host, port)
    } else {
        match entry.matches(':').count() {
            0 => (entry, None),
            1 => {
                let (host, port) = entry.split_once(':').unwrap_or((entry, ""));
                (host, Some(port))
            }
            _ => {
                return Err(SeedHostError::UnbracketedIpv6 {
                    entry: entry.to_string(),
                })
            }
        }
    };
    if host.is_empty() {
        return Err(SeedHostError::Empty);
    }
    let port = match port {
        None | Some("") => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => {
                return Err(SeedHostError::InvalidPort {
                    entry: entry.to_string(),
                })
            }
        },
    };
    Ok(SeedHost {
        host: host.to_string(),
        port,
    })
}

/// The entries of a `unicast_hosts.txt` text: trimmed, without blanks and `#` comments.
pub fn parse_unicast_hosts_file(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(String::from)
        .collect()
}

/// What a multi-node node probes when no seed source is configured: the first
/// [`LIMIT_LOCAL_PORTS_COUNT`] ports of the transport range on `127.0.0.1` and `[::1]`.
pub fn default_local_seed_hosts(first_transport_port: u16) -> Vec<SeedHost> {
    let mut out = Vec::new();
    for host in ["127.0.0.1", "::1"] {
        for offset in 0..LIMIT_LOCAL_PORTS_COUNT {
            if let Some(port) = first_transport_port.checked_add(offset) {
                out.push(SeedHost {
                    host: host.to_string(),
                    port,
                });
            }
        }
    }
    out
}

/// The seed entries of one node: `discovery.seed_hosts` plus, with the file provider, the
/// current contents of `unicast_hosts.txt` (cached until the file's modification time changes).
#[derive(Debug)]
pub struct SeedHostsProvider {
    settings_entries: Vec<String>,
    file: Option<PathBuf>,
    cached: Option<FileSnapshot>,
}

#[derive(Debug)]
struct FileSnapshot {
    modified: Option<SystemTime>,
    len: u64,
    entries: Vec<String>,
}

impl SeedHostsProvider {
    /// `file_provider` enables `<config_dir>/unicast_hosts.txt`.
    pub fn new(seed_hosts: Vec<String>, file_provider: bool, config_dir: &Path) -> Self {
        SeedHostsProvider {
            settings_entries: seed_hosts,
            file: file_provider.then(|| config_dir.join(UNICAST_HOSTS_FILE)),
            cached: None,
        }
    }

    /// The current entries (settings first, then the file's). Reads the file only when its
    /// modification time or length changed since the last call.
    pub fn current_entries(&mut self) -> Vec<String> {
        let mut entries = self.settings_entries.clone();
        if let Some(path) = &self.file {
            match std::fs::metadata(path) {
                Ok(meta) => {
                    let modified = meta.modified().ok();
                    let unchanged = self
                        .cached
                        .as_ref()
                        .is_some_and(|c| c.modified == modified && c.len == meta.len());
                    if !unchanged {
                        match std::fs::read_to_string(path) {
                            Ok(text) => {
                                let parsed = parse_unicast_hosts_file(&text);
                                tracing::debug!(file = %path.display(), entries = ?parsed, "read seed hosts file");
                                self.cached = Some(FileSnapshot {
                                    modified,
                                    len: meta.len(),
                                    entries: parsed,
                                });
                            }
                            Err(e) => {
                                tracing::warn!("failed to read file [{}]: {e}", path.display());
                                self.cached = None;
                            }
                        }
                    }
                }
                Err(_) => {
                    tracing::warn!(
                        "expected, but did not find, a dynamic hosts list at [{}]",
                        path.display()
                    );
                    self.cached = None;
                }
            }
            if let Some(c) = &self.cached {
                entries.extend(c.entries.iter().cloned());
            }
        }
        entries
    }
}

/// Resolves seed entries to transport addresses (`ip:port`, `[ipv6]:port`), dropping invalid
/// entries, names that do not resolve within `timeout`, duplicates and `local_addresses`.
/// Order follows the entries.
pub async fn resolve_seed_hosts(
    entries: &[String],
    default_port: u16,
    timeout: Duration,
    max_concurrent: usize,
    local_addresses: &[TransportAddress],
) -> Vec<TransportAddress> {
    let hosts: Vec<SeedHost> = entries
        .iter()
        .filter_map(|e| match parse_seed_host(e, default_port) {
            Ok(h) => Some(h),
            Err(err) => {
                tracing::warn!("ignoring seed host: {err}");
                None
            }
        })
        .collect();
    let resolved: Vec<Vec<SocketAddr>> = futures::stream::iter(hosts)
        .map(|host| resolve_one(host, timeout))
        .buffered(max_concurrent.max(1))
        .collect()
        .await;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for addr in resolved.into_iter().flatten() {
        let text = addr.to_string();
        if local_addresses.contains(&text) || !seen.insert(text.clone()) {
            continue;
        }
        out.push(text);
    }
    out
}

async fn resolve_one(host: SeedHost, timeout: Duration) -> Vec<SocketAddr> {
    if let Ok(ip) = host.host.parse::<IpAddr>() {
        return vec![SocketAddr::new(ip, host.port)];
    }
    match tokio::time::timeout(
        timeout,
        tokio::net::lookup_host((host.host.as_str(), host.port)),
    )
    .await
    {
        Ok(Ok(addrs)) => addrs.collect(),
        Ok(Err(e)) => {
            tracing::warn!("failed to resolve host [{}]: {e}", host.host);
            Vec::new()
        }
        Err(_) => {
            tracing::warn!(
                "timed out after [{timeout:?}] ([discovery.seed_resolver.timeout]) resolving host [{}]",
                host.host
            );
            Vec::new()
        }
    }
}
