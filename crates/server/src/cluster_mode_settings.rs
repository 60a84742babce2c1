//! The multi-node part of a node's settings: where the transport binds and what it publishes,
//! and the discovery settings (`discovery.*`, `cluster.initial_master_nodes`).
//!
//! ```text
//!  bind host     transport.bind_host > transport.host > network.bind_host > network.host
//!  publish host  transport.publish_host > network.publish_host > transport.host > network.host
//!  seeds         discovery.seed_hosts + discovery.seed_providers: file (<config>/unicast_hosts.txt)
//! ```
//!
//! Owns the mapping from settings to `ClusterModeConfig`; must not start anything.

use crate::node_settings::{resolve_host, DiscoveryType, NodeSettings};
use crate::setting_value::{parse_list, parse_time};
use crate::settings_error::SettingsError;
use anyhow::Context;
use quarry_node::discovery::DiscoverySettings;
use quarry_node::fault_detection::FaultDetectionSettings;
use quarry_node::node_config::ClusterModeConfig;
use std::net::IpAddr;

/// The first setting of `keys` that is set, resolved to its first address.
fn first_host(settings: &NodeSettings, keys: &[&str]) -> anyhow::Result<Option<IpAddr>> {
    for key in keys {
        let hosts = match settings.raw.get(key) {
            Some(value) => parse_list(key, value)?,
            None if *key == "network.host" => settings.network_host.clone(),
            None => continue,
        };
        for host in &hosts {
            if let Some(ip) = resolve_host(key, host)?.first() {
                return Ok(Some(*ip));
            }
        }
    }
    Ok(None)
}

fn time_or(
    settings: &NodeSettings,
    key: &str,
    default: std::time::Duration,
) -> Result<std::time::Duration, SettingsError> {
    match settings.raw.get(key) {
        Some(value) => Ok(parse_time(key, value)?.unwrap_or(default)),
        None => Ok(default),
    }
}

/// Whether `discovery.seed_providers` asks for the file provider; any other provider is an
/// error, as in Elasticsearch without the plugin that provides it.
fn file_seed_provider(settings: &NodeSettings) -> Result<bool, SettingsError> {
    let key = "discovery.seed_providers";
    let Some(value) = settings.raw.get(key) else {
        return Ok(false);
    };
    let providers = parse_list(key, value)?;
    let unknown: Vec<&String> = providers
        .iter()
        .filter(|p| p.as_str() != "file" && p.as_str() != "settings")
        .collect();
    if !unknown.is_empty() {
        return Err(SettingsError::invalid(
            key,
            providers.join(","),
            Some(format!(
                "Unknown seed providers {unknown:?}; Quarry supports [file] and [settings]"
            )),
        ));
    }
    Ok(providers.iter().any(|p| p == "file"))
}

/// `cluster.fault_detection.follower_check.*` and `cluster.follower_lag.timeout`. The
/// `leader_check.*` settings are accepted; followers detect a silent master through Raft's
/// heartbeats and pre-vote instead (see `coordination::pre_vote`).
fn fault_detection(settings: &NodeSettings) -> Result<FaultDetectionSettings, SettingsError> {
    let d = FaultDetectionSettings::default();
    let retry_key = "cluster.fault_detection.follower_check.retry_count";
    let retry = match settings.raw.get(retry_key) {
        Some(v) => {
            let n = crate::setting_value::parse_int(retry_key, v, 1, i64::from(i32::MAX))?;
            u32::try_from(n).unwrap_or(u32::MAX)
        }
        None => d.follower_check_retry_count,
    };
    Ok(FaultDetectionSettings {
        follower_check_interval: time_or(
            settings,
            "cluster.fault_detection.follower_check.interval",
            d.follower_check_interval,
        )?,
        follower_check_timeout: time_or(
            settings,
            "cluster.fault_detection.follower_check.timeout",
            d.follower_check_timeout,
        )?,
        follower_check_retry_count: retry,
        follower_lag_timeout: time_or(
            settings,
            "cluster.follower_lag.timeout",
            d.follower_lag_timeout,
        )?,
        fs_health_enabled: match settings.raw.get("monitor.fs.health.enabled") {
            Some(v) => crate::setting_value::parse_bool("monitor.fs.health.enabled", v)?,
            None => d.fs_health_enabled,
        },
        fs_health_refresh_interval: time_or(
            settings,
            "monitor.fs.health.refresh_interval",
            d.fs_health_refresh_interval,
        )?,
    })
}

/// The multi-node part of the configuration; `None` with `discovery.type: single-node`.
pub fn cluster_mode_config(settings: &NodeSettings) -> anyhow::Result<Option<ClusterModeConfig>> {
    if settings.discovery_type == DiscoveryType::SingleNode {
        return Ok(None);
    }
    let bind = first_host(
        settings,
        &[
            "transport.bind_host",
            "transport.host",
            "network.bind_host",
            "network.host",
        ],
    )?
    .context("no address to bind [transport.host]")?;
    let publish = first_host(
        settings,
        &[
            "transport.publish_host",
            "network.publish_host",
            "transport.host",
            "network.host",
        ],
    )?
    .filter(|ip| *ip != bind);
    let (first, last) = settings
        .transport_port
        .ranges
        .first()
        .copied()
        .context("[transport.port] is empty")?;
    let defaults = DiscoverySettings::default();
    let discovery = DiscoverySettings {
        single_node: false,
        seed_hosts: settings.discovery_seed_hosts.clone(),
        file_seed_provider: file_seed_provider(settings)?,
        config_dir: settings.config_dir.clone(),
        initial_master_nodes: settings.cluster_initial_master_nodes.clone(),
        default_transport_port: first,
        find_peers_interval: time_or(
            settings,
            "discovery.find_peers_interval",
            defaults.find_peers_interval,
        )?,
        cluster_formation_warning_timeout: time_or(
            settings,
            "discovery.cluster_formation_warning_timeout",
            defaults.cluster_formation_warning_timeout,
        )?,
        fault_detection: fault_detection(settings)?,
        ..defaults
    };
    Ok(Some(ClusterModeConfig {
        transport_host: bind.to_string(),
        transport_ports: format!("{first}-{last}"),
        publish_host: publish.map(|ip| ip.to_string()),
        discovery,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_types::Settings;

    fn config(pairs: &[(&str, &str)]) -> anyhow::Result<Option<ClusterModeConfig>> {
        let mut raw = Settings::new();
        for (k, v) in pairs {
            raw.0.insert(k.to_string(), serde_json::json!(v));
        }
        let settings = NodeSettings::from_settings(raw)?;
        cluster_mode_config(&settings)
    }

    #[test]
    fn transport_host_wins_over_network_host_and_publish_host_is_separate() {
        let c = config(&[
            ("discovery.seed_hosts", "127.0.0.1"),
            ("network.host", "127.0.0.1"),
            ("transport.host", "127.0.0.2"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.transport_host, "127.0.0.2");
        assert_eq!(c.publish_host, None);
        let c = config(&[
            ("discovery.seed_hosts", "127.0.0.1"),
            ("network.host", "127.0.0.1"),
            ("network.publish_host", "127.0.0.3"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.transport_host, "127.0.0.1");
        assert_eq!(c.publish_host.as_deref(), Some("127.0.0.3"));
    }

    #[test]
    fn seed_providers_file_turns_on_multi_node_and_the_file_provider() {
        let c = config(&[("discovery.seed_providers", "file")])
            .unwrap()
            .unwrap();
        assert!(c.discovery.file_seed_provider);
        let e = config(&[("discovery.seed_providers", "ec2")]).unwrap_err();
        assert!(e.to_string().contains("discovery.seed_providers"), "{e}");
    }

    #[test]
    fn discovery_timings_are_read() {
        let c = config(&[
            ("discovery.seed_hosts", "127.0.0.1"),
            ("discovery.find_peers_interval", "250ms"),
            ("discovery.cluster_formation_warning_timeout", "3s"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(
            c.discovery.find_peers_interval,
            std::time::Duration::from_millis(250)
        );
        assert_eq!(
            c.discovery.cluster_formation_warning_timeout,
            std::time::Duration::from_secs(3)
        );
        assert!(config(&[]).unwrap().is_none(), "single-node by default");
        let c = config(&[
            ("discovery.seed_hosts", "127.0.0.1"),
            ("cluster.fault_detection.follower_check.interval", "2s"),
            ("cluster.fault_detection.follower_check.retry_count", "5"),
            ("cluster.follower_lag.timeout", "30s"),
        ])
        .unwrap()
        .unwrap();
        let fd = c.discovery.fault_detection;
        assert_eq!(
            fd.follower_check_interval,
            std::time::Duration::from_secs(2)
        );
        assert_eq!(fd.follower_check_retry_count, 5);
        assert_eq!(fd.follower_lag_timeout, std::time::Duration::from_secs(30));
        assert!(config(&[
            ("discovery.seed_hosts", "127.0.0.1"),
            ("cluster.fault_detection.follower_check.retry_count", "0"),
        ])
        .is_err());
    }
}
