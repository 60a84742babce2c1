//! Typed node settings: the raw [`Settings`] from the settings pipeline, validated and read into
//! the values the node runtime uses, with Elasticsearch's defaults.
//!
//! ```text
//! load_raw_settings (file, -E, ${ENV})  ->  validate_settings (known keys, value shapes)
//!                                        ->  NodeSettings::from_settings (types, defaults, cross-checks)
//! ```
//!
//! Pure apart from reading the host name for the default `node.name`.

use crate::known_settings::validate_settings;
use crate::node_role::NodeRole;
use crate::setting_value::{parse_bool, parse_byte_size, parse_list, parse_string, PortsRange};
use crate::settings_error::SettingsError;
use quarry_types::Settings;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, ToSocketAddrs};
use std::path::PathBuf;

/// `http.max_content_length` default, as Elasticsearch: 100mb.
pub const DEFAULT_MAX_CONTENT_LENGTH: u64 = 100 * 1024 * 1024;
/// Upper bound Elasticsearch enforces for `http.max_content_length` (`Integer.MAX_VALUE`).
pub const MAX_MAX_CONTENT_LENGTH: u64 = i32::MAX as u64;

/// How the node finds its cluster (`discovery.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryType {
    /// Elect itself and never look for peers.
    SingleNode,
    /// Probe `discovery.seed_hosts` and join or form a cluster.
    MultiNode,
}

impl DiscoveryType {
    pub fn name(self) -> &'static str {
        match self {
            DiscoveryType::SingleNode => "single-node",
            DiscoveryType::MultiNode => "multi-node",
        }
    }
}

/// Everything the node runtime reads from its settings.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeSettings {
    /// `cluster.name`, default `quarry`.
    pub cluster_name: String,
    /// `node.name`, default the host name.
    pub node_name: String,
    /// `network.host` (a list in Elasticsearch), default `["_local_"]`.
    pub network_host: Vec<String>,
    /// Where HTTP binds: `http.bind_host` / `http.host` / `network.bind_host` / `network.host`,
    /// the first that is set.
    pub http_host: Vec<String>,
    /// `http.port`, default `9200-9300` (the first free port is bound).
    pub http_port: PortsRange,
    /// `transport.port`, default `9300-9400` (not used yet).
    pub transport_port: PortsRange,
    /// `path.data`, default `./data`.
    pub path_data: PathBuf,
    /// `path.logs`, default `./logs`.
    pub path_logs: PathBuf,
    /// `node.roles`, sorted; unset = [`NodeRole::DEFAULT`], `[]` = coordinating only.
    pub node_roles: Vec<NodeRole>,
    /// `discovery.type`, default `single-node` (for now).
    pub discovery_type: DiscoveryType,
    /// `discovery.seed_hosts`.
    pub discovery_seed_hosts: Vec<String>,
    /// `cluster.initial_master_nodes`.
    pub cluster_initial_master_nodes: Vec<String>,
    /// `http.max_content_length` in bytes, default 100mb.
    pub http_max_content_length: u64,
    /// `http.compression`, default true.
    pub http_compression: bool,
    /// `action.destructive_requires_name`, default true (Elasticsearch 8).
    pub action_destructive_requires_name: bool,
    /// `node.attr.*`, without the prefix (`rack_id` -> `r1`).
    pub node_attr: BTreeMap<String, String>,
    /// All settings as given, after substitution (what `_nodes/settings` shows).
    pub raw: Settings,
    /// The directory of the config file (`unicast_hosts.txt` of the file seed provider lives
    /// there); `config` unless the CLI read a file elsewhere.
    pub config_dir: std::path::PathBuf,
}

impl NodeSettings {
    /// Validates `raw` and reads it into typed settings. The first problem stops the node.
    pub fn from_settings(raw: Settings) -> Result<NodeSettings, SettingsError> {
        validate_settings(&raw)?;
        let text = |key: &str| raw.get(key).map(|v| parse_string(key, v)).transpose();
        let list = |key: &str| raw.get(key).map(|v| parse_list(key, v)).transpose();
        let boolean = |key: &str, default: bool| -> Result<bool, SettingsError> {
            raw.get(key)
                .map(|v| parse_bool(key, v))
                .transpose()
                .map(|b| b.unwrap_or(default))
        };

        let cluster_name = text("cluster.name")?.unwrap_or_else(|| "quarry".to_string());
        validate_cluster_name(&cluster_name)?;
        let node_name = text("node.name")?.unwrap_or_else(default_node_name);
        if let Some(block) = text(quarry_node::no_master_block::NO_MASTER_BLOCK_SETTING)? {
            quarry_node::no_master_block::NoMasterBlock::parse(&block).map_err(|e| {
                SettingsError::invalid(
                    quarry_node::no_master_block::NO_MASTER_BLOCK_SETTING,
                    block.clone(),
                    Some(e.reason),
                )
            })?;
        }

        let network_host = list("network.host")?.unwrap_or_else(|| vec!["_local_".to_string()]);
        let http_host = match list("http.bind_host")? {
            Some(h) => h,
            None => match list("http.host")? {
                Some(h) => h,
                None => list("network.bind_host")?.unwrap_or_else(|| network_host.clone()),
            },
        };
        for (key, hosts) in [("network.host", &network_host), ("http.host", &http_host)] {
            for host in hosts {
                validate_host(key, host)?;
            }
        }

        let http_port = match raw.get("http.port") {
            Some(v) => PortsRange::parse("http.port", v)?,
            None => PortsRange::range(9200, 9300),
        };
        let transport_port = match raw.get("transport.port") {
            Some(v) => PortsRange::parse("transport.port", v)?,
            None => PortsRange::range(9300, 9400),
        };

        let path_data = match list("path.data")? {
            None => PathBuf::from("data"),
            Some(paths) if paths.len() == 1 => PathBuf::from(&paths[0]),
            Some(paths) => {
                return Err(SettingsError::invalid(
                    "path.data",
                    paths.join(","),
                    Some("Quarry supports exactly one data path".into()),
                ))
            }
        };
        let path_logs = PathBuf::from(text("path.logs")?.unwrap_or_else(|| "logs".to_string()));

        let node_roles = match list("node.roles")? {
            None => NodeRole::DEFAULT.to_vec(),
            Some(names) => parse_roles(&names)?,
        };

        let discovery_seed_hosts = list("discovery.seed_hosts")?.unwrap_or_default();
        let cluster_initial_master_nodes =
            list("cluster.initial_master_nodes")?.unwrap_or_default();
        let discovery_type = match text("discovery.type")?.as_deref() {
            // Single-node stays the default only while nothing points at other nodes.
            None if !discovery_seed_hosts.is_empty()
                || !cluster_initial_master_nodes.is_empty()
                || raw.get("discovery.seed_providers").is_some() =>
            {
                DiscoveryType::MultiNode
            }
            None | Some("single-node") => DiscoveryType::SingleNode,
            Some("multi-node") => DiscoveryType::MultiNode,
            Some(other) => {
                return Err(SettingsError::invalid(
                    "discovery.type",
                    other,
                    Some(format!("Unknown discovery type [{other}]")),
                ))
            }
        };
        if discovery_type == DiscoveryType::SingleNode && !cluster_initial_master_nodes.is_empty() {
            return Err(SettingsError::Illegal(
                "setting [cluster.initial_master_nodes] is not allowed when [discovery.type] is set to [single-node]"
                    .into(),
            ));
        }

        let http_max_content_length = match raw.get("http.max_content_length") {
            None => DEFAULT_MAX_CONTENT_LENGTH,
            Some(v) => {
                let n = parse_byte_size("http.max_content_length", v)?;
                if n > MAX_MAX_CONTENT_LENGTH {
                    return Err(SettingsError::invalid(
                        "http.max_content_length",
                        crate::setting_value::display_value(v),
                        Some(format!("must be <= [{MAX_MAX_CONTENT_LENGTH}b]")),
                    ));
                }
                n
            }
        };

        let mut node_attr = BTreeMap::new();
        for (key, value) in raw.with_prefix("node.attr.") {
            let name = &key["node.attr.".len()..];
            let v = parse_string(key, value)?;
            if v.trim() != v || v.is_empty() {
                return Err(SettingsError::invalid(
                    key,
                    v,
                    Some(format!("node.attr.{name} cannot have leading or trailing whitespace and must not be empty")),
                ));
            }
            node_attr.insert(name.to_string(), v);
        }

        Ok(NodeSettings {
            cluster_name,
            node_name,
            network_host,
            http_host,
            http_port,
            transport_port,
            path_data,
            path_logs,
            node_roles,
            discovery_type,
            discovery_seed_hosts,
            cluster_initial_master_nodes,
            http_max_content_length,
            http_compression: boolean("http.compression", true)?,
            action_destructive_requires_name: boolean("action.destructive_requires_name", true)?,
            node_attr,
            raw,
            config_dir: std::path::PathBuf::from("config"),
        })
    }

    /// The settings of a node started with no file and no `-E` (handy for tests).
    pub fn defaults() -> Result<NodeSettings, SettingsError> {
        NodeSettings::from_settings(Settings::new())
    }

    /// The addresses HTTP binds to, resolved from [`NodeSettings::http_host`].
    pub fn http_bind_addresses(&self) -> Result<Vec<IpAddr>, SettingsError> {
        let mut out = Vec::new();
        for host in &self.http_host {
            for ip in resolve_host("http.host", host)? {
                if !out.contains(&ip) {
                    out.push(ip);
                }
            }
        }
        Ok(out)
    }

    /// True when the node may hold shards (any `data*` role).
    pub fn is_data_node(&self) -> bool {
        self.node_roles.iter().any(|r| r.can_contain_data())
    }

    /// True when the node may be elected master.
    pub fn is_master_eligible(&self) -> bool {
        self.node_roles.contains(&NodeRole::Master)
    }
}

fn validate_cluster_name(name: &str) -> Result<(), SettingsError> {
    if name.is_empty() {
        return Err(SettingsError::Illegal(
            "[cluster.name] must not be empty".into(),
        ));
    }
    if name.contains(':') {
        return Err(SettingsError::Illegal(format!(
            "[cluster.name] must not contain ':' but was [{name}]"
        )));
    }
    Ok(())
}

fn parse_roles(names: &[String]) -> Result<Vec<NodeRole>, SettingsError> {
    let mut roles = Vec::new();
    for name in names {
        let role = NodeRole::parse(name.trim())?;
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    if roles.contains(&NodeRole::VotingOnly) && !roles.contains(&NodeRole::Master) {
        return Err(SettingsError::Illegal(
            "voting-only node must be master-eligible: add [master] to [node.roles]".into(),
        ));
    }
    roles.sort_by_key(|r| r.name());
    Ok(roles)
}

/// The host name for the default `node.name` (Elasticsearch uses `HOSTNAME`, then the OS name).
fn default_node_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.trim().is_empty())
        .or_else(|| {
            std::fs::read_to_string("/proc/sys/kernel/hostname")
                .ok()
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                .map(|h| h.trim().to_string())
                .filter(|h| !h.is_empty())
        })
        .unwrap_or_else(|| "localhost".to_string())
}

/// Checks the syntax of one host value without resolving names.
fn validate_host(key: &str, host: &str) -> Result<(), SettingsError> {
    if host.starts_with('_') {
        return special_host(key, host).map(drop);
    }
    if host.parse::<IpAddr>().is_ok() || host == "0" {
        return Ok(());
    }
    let valid_name = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
    if valid_name {
        Ok(())
    } else {
        Err(SettingsError::invalid(
            key,
            host,
            Some("not an IP address or host name".into()),
        ))
    }
}

/// Elasticsearch's special values. `_site_` and `_global_` would need interface enumeration;
/// Quarry approximates them by binding every interface.
fn special_host(key: &str, host: &str) -> Result<Vec<IpAddr>, SettingsError> {
    let v4_local = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let v6_local = IpAddr::V6(Ipv6Addr::LOCALHOST);
    let any = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    match host {
        "_local_" => Ok(vec![v4_local, v6_local]),
        "_local:ipv4_" => Ok(vec![v4_local]),
        "_local:ipv6_" => Ok(vec![v6_local]),
        "_site_" | "_site:ipv4_" | "_global_" | "_global:ipv4_" => Ok(vec![any]),
        "_site:ipv6_" | "_global:ipv6_" => Ok(vec![IpAddr::V6(Ipv6Addr::UNSPECIFIED)]),
        other => Err(SettingsError::invalid(
            key,
            other,
            Some("network interface names are not supported; use an IP address, a host name, _local_, _site_ or _global_".into()),
        )),
    }
}

/// Resolves one host value to addresses (`_local_`, IPs, `0`, names through the system resolver).
/// `_local_` gives only the loopback addresses this machine can bind (IPv4 first).
pub fn resolve_host(key: &str, host: &str) -> Result<Vec<IpAddr>, SettingsError> {
    if host.starts_with('_') {
        let mut ips = special_host(key, host)?;
        if host == "_local_" {
            // Bind IPv6 loopback only where it exists; IPv4 loopback always does.
            ips.retain(|ip| ip.is_ipv4() || std::net::TcpListener::bind((*ip, 0)).is_ok());
        }
        return Ok(ips);
    }
    if host == "0" {
        return Ok(vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)]);
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![ip]);
    }
    let addrs = (host, 0).to_socket_addrs().map_err(|e| {
        SettingsError::invalid(
            key,
            host,
            Some(format!("failed to resolve host [{host}]: {e}")),
        )
    })?;
    let mut ips: Vec<IpAddr> = addrs.map(|a| a.ip()).collect();
    ips.dedup();
    Ok(ips)
}

#[cfg(test)]
#[path = "node_settings_test.rs"]
mod node_settings_test;
