//! Tests of the settings pipeline: file, `-E`, `${ENV}`, validation and typed defaults.

use super::*;
use crate::settings_pipeline::{load_raw_settings, parse_config_yaml};
use serde_json::json;
use std::path::Path;

fn no_env(_: &str) -> Option<String> {
    None
}

fn load(yaml: &str, overrides: &[&str]) -> Result<NodeSettings, SettingsError> {
    load_with_env(yaml, overrides, &no_env)
}

fn load_with_env(
    yaml: &str,
    overrides: &[&str],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<NodeSettings, SettingsError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("quarry.yml");
    std::fs::write(&path, yaml).unwrap();
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let raw = load_raw_settings(Some(&path), &overrides, env)?;
    NodeSettings::from_settings(raw)
}

#[test]
fn nested_and_dotted_yaml_are_equal() {
    let dotted = parse_config_yaml(
        "cluster.name: c1\nnode.roles: [master, data]\nhttp.port: 9201\n",
        Path::new("a"),
    )
    .unwrap();
    let nested = parse_config_yaml(
        "cluster:\n  name: c1\nnode:\n  roles:\n    - master\n    - data\nhttp:\n  port: 9201\n",
        Path::new("b"),
    )
    .unwrap();
    assert_eq!(dotted, nested);
    assert_eq!(dotted.get("node.roles"), Some(&json!(["master", "data"])));
}

#[test]
fn same_key_spelled_dotted_and_nested_is_a_duplicate() {
    let err = parse_config_yaml("cluster.name: a\ncluster:\n  name: b\n", Path::new("q.yml"))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("duplicate settings key [cluster.name]"),
        "{err}"
    );
}

#[test]
fn empty_and_comment_only_files_give_defaults() {
    let s = load("", &[]).unwrap();
    assert_eq!(s.cluster_name, "quarry");
    let s = load("# nothing here\n", &[]).unwrap();
    assert_eq!(s.http_port, PortsRange::range(9200, 9300));
}

#[test]
fn defaults_match_elasticsearch() {
    let s = NodeSettings::defaults().unwrap();
    assert_eq!(s.cluster_name, "quarry");
    assert!(!s.node_name.is_empty());
    assert_eq!(s.network_host, vec!["_local_"]);
    assert_eq!(s.http_host, vec!["_local_"]);
    assert_eq!(s.http_port.first(), 9200);
    assert_eq!(s.transport_port, PortsRange::range(9300, 9400));
    assert_eq!(s.path_data, PathBuf::from("data"));
    assert_eq!(s.path_logs, PathBuf::from("logs"));
    assert_eq!(s.node_roles, NodeRole::DEFAULT.to_vec());
    assert_eq!(s.discovery_type, DiscoveryType::SingleNode);
    assert_eq!(s.http_max_content_length, 100 * 1024 * 1024);
    assert!(s.action_destructive_requires_name);
    assert!(s.http_compression);
    assert!(s.is_data_node() && s.is_master_eligible());
    assert!(s
        .http_bind_addresses()
        .unwrap()
        .contains(&IpAddr::V4(Ipv4Addr::LOCALHOST)));
}

#[test]
fn cli_overrides_win_over_the_file() {
    let s = load(
        "cluster.name: from-file\nnode.name: n1\n",
        &["cluster.name=from-cli"],
    )
    .unwrap();
    assert_eq!(s.cluster_name, "from-cli");
    assert_eq!(s.node_name, "n1");
    // The last -E for a key wins.
    let s = load("", &["http.port=9201", "http.port=9202"]).unwrap();
    assert_eq!(s.http_port, PortsRange::single(9202));
}

#[test]
fn comma_separated_cli_values_become_lists() {
    let s = load(
        "",
        &[
            "discovery.type=multi-node",
            "discovery.seed_hosts=a:9300, b",
            "node.roles=master,data",
        ],
    )
    .unwrap();
    assert_eq!(s.discovery_seed_hosts, vec!["a:9300", "b"]);
    assert_eq!(
        s.raw.get("discovery.seed_hosts"),
        Some(&json!(["a:9300", "b"]))
    );
    assert_eq!(s.node_roles, vec![NodeRole::Data, NodeRole::Master]);
    assert_eq!(s.discovery_type, DiscoveryType::MultiNode);
}

#[test]
fn empty_roles_mean_coordinating_only() {
    let s = load("node.roles: []\n", &[]).unwrap();
    assert!(s.node_roles.is_empty());
    assert!(!s.is_data_node());
    assert_eq!(crate::node_role::role_abbreviations(&s.node_roles), "-");
    let all = crate::node_role::role_abbreviations(&NodeRole::DEFAULT);
    assert_eq!(all, "cdfhilmrstw");
}

#[test]
fn env_placeholders_are_substituted() {
    let env = |name: &str| match name {
        "CLUSTER" => Some("prod".to_string()),
        "HOSTS" => Some("h1,h2".to_string()),
        _ => None,
    };
    let s = load_with_env(
        "cluster.name: ${CLUSTER}-x\nnode.name: ${UNSET_NAME:fallback}\ndiscovery.seed_hosts: ${HOSTS}\ndiscovery.type: multi-node\n",
        &["path.data=/d/${CLUSTER}"],
        &env,
    )
    .unwrap();
    assert_eq!(s.cluster_name, "prod-x");
    assert_eq!(s.node_name, "fallback");
    assert_eq!(s.discovery_seed_hosts, vec!["h1", "h2"]);
    assert_eq!(s.path_data, PathBuf::from("/d/prod"));
}

#[test]
fn unresolved_placeholder_names_the_variable() {
    let err = load("node.name: ${QUARRY_SURELY_UNSET}\n", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Could not resolve placeholder 'QUARRY_SURELY_UNSET'"
    );
}

#[test]
fn unknown_setting_is_rejected_with_elasticsearch_wording() {
    let err = load("foo.bar: 1\n", &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown setting [foo.bar] please check that any required plugins are installed, or check the \
         breaking changes documentation for removed settings"
    );
    // Removed in Elasticsearch 8: the legacy role flags.
    let err = load("", &["node.master=true"]).unwrap_err();
    assert!(
        err.to_string().starts_with("unknown setting [node.master]"),
        "{err}"
    );
}

#[test]
fn invalid_values_name_the_key() {
    let err = load("", &["http.port=abc"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Failed to parse value [abc] for setting [http.port]"
    );
    let err = load("http.compression: maybe\n", &[]).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Failed to parse value [maybe] for setting [http.compression]"),
        "{err}"
    );
    let err = load("", &["http.max_content_length=lots"]).unwrap_err();
    assert!(
        err.to_string().contains("[http.max_content_length]"),
        "{err}"
    );
    let err = load("", &["http.max_content_length=3gb"]).unwrap_err();
    assert!(
        err.to_string().contains("must be <= [2147483647b]"),
        "{err}"
    );
    let err = load("", &["node.roles=master,wizard"]).unwrap_err();
    assert!(err.to_string().contains("unknown role [wizard]"), "{err}");
    let err = load("", &["discovery.type=zen"]).unwrap_err();
    assert!(
        err.to_string().contains("Unknown discovery type [zen]"),
        "{err}"
    );
    let err = load("", &["logger.level=loud"]).unwrap_err();
    assert!(err.to_string().contains("[logger.level]"), "{err}");
}

#[test]
fn port_ranges_and_byte_sizes_parse() {
    let s = load("http.port: 9250\n", &["http.max_content_length=10mb"]).unwrap();
    assert_eq!(s.http_port, PortsRange::single(9250));
    assert_eq!(s.http_max_content_length, 10 << 20);
    let s = load("http.port: 9200-9205\n", &[]).unwrap();
    assert_eq!(
        s.http_port.ports().collect::<Vec<_>>(),
        (9200..=9205).collect::<Vec<_>>()
    );
    assert_eq!(s.http_port.to_string(), "9200-9205");
}

#[test]
fn prefix_families_and_xpack_switches() {
    let s = load(
        "node.attr.rack_id: r1\nindices.memory.index_buffer_size: 20%\nthread_pool.write.queue_size: 500\n\
         cluster.routing.allocation.disk.threshold_enabled: false\nxpack.security.enabled: false\n",
        &["bootstrap.memory_lock=true", "xpack.ml.enabled=false"],
    )
    .unwrap();
    assert_eq!(s.node_attr.get("rack_id").map(String::as_str), Some("r1"));
    let err = load("xpack.security.enabled: true\n", &[]).unwrap_err();
    assert!(
        err.to_string()
            .contains("[xpack.security.enabled] is not supported"),
        "{err}"
    );
    let err = load("xpack.foo.bar: 1\n", &[]).unwrap_err();
    assert!(matches!(err, SettingsError::UnknownSetting(_)));
}

#[test]
fn hosts_and_cross_checks() {
    let s = load("network.host: 0.0.0.0\n", &[]).unwrap();
    assert_eq!(
        s.http_bind_addresses().unwrap(),
        vec![IpAddr::V4(Ipv4Addr::UNSPECIFIED)]
    );
    let s = load("network.host: 0.0.0.0\nhttp.host: 127.0.0.1\n", &[]).unwrap();
    assert_eq!(s.http_host, vec!["127.0.0.1"]);
    let s = load("", &["network.host=localhost"]).unwrap();
    assert!(!s.http_bind_addresses().unwrap().is_empty());
    let err = load("", &["network.host=_eth0_"]).unwrap_err();
    assert!(err.to_string().contains("[network.host]"), "{err}");
    let err = load(
        "discovery.type: single-node\ncluster.initial_master_nodes: [a]\n",
        &[],
    )
    .unwrap_err();
    assert!(err
        .to_string()
        .contains("is not allowed when [discovery.type] is set to [single-node]"));
    // Naming initial master nodes (or seed hosts) without a discovery type means multi-node.
    let s = load("cluster.initial_master_nodes: [a]\n", &[]).unwrap();
    assert_eq!(s.discovery_type, DiscoveryType::MultiNode);
    let s = load("", &[]).unwrap();
    assert_eq!(s.discovery_type, DiscoveryType::SingleNode);
    let err = load("", &["cluster.name=a:b"]).unwrap_err();
    assert!(err.to_string().contains("must not contain ':'"));
}

#[test]
fn malformed_override_and_bad_yaml_are_reported() {
    let err = load("", &["novalue"]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "setting [novalue] must be in the form key=value"
    );
    let err = load("a: [1\n", &[]).unwrap_err();
    assert!(
        err.to_string().starts_with("failed to parse config file"),
        "{err}"
    );
    let err = load("- a\n- b\n", &[]).unwrap_err();
    assert!(
        err.to_string().contains("top level must be a mapping"),
        "{err}"
    );
}

#[test]
fn cli_accepts_attached_and_separate_e_flags() {
    use clap::Parser;
    let cli = crate::cli::Cli::try_parse_from([
        "quarry",
        "-Ecluster.name=x",
        "-E",
        "node.name=y",
        "-Ehttp.port=1-2",
    ])
    .unwrap();
    assert_eq!(
        cli.settings,
        vec!["cluster.name=x", "node.name=y", "http.port=1-2"]
    );
    assert!(crate::cli::LONG_VERSION.contains(quarry_types::ES_COMPAT_VERSION));
}

#[test]
fn logger_settings_become_filter_directives() {
    let s = load(
        "logger.level: DEBUG\nlogger.quarry_node.coordination: trace\n",
        &[],
    )
    .unwrap();
    assert_eq!(
        crate::logging::filter_directives(&s),
        "debug,openraft=warn,quarry_node::coordination=trace"
    );
    let s = load("logger.openraft: debug\n", &[]).unwrap();
    assert_eq!(crate::logging::filter_directives(&s), "info,openraft=debug");
}

#[test]
fn no_master_block_accepts_the_elasticsearch_values_and_names_the_key_otherwise() {
    for value in ["write", "all", "metadata_write"] {
        load("", &[&format!("cluster.no_master_block={value}")]).unwrap();
    }
    let err = load("cluster.no_master_block: sometimes\n", &[]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("[cluster.no_master_block]"), "{text}");
    assert!(text.contains("[sometimes]"), "{text}");
}
