//! What a node needs to start: names, paths, addresses, roles and the raw settings.
//! Built by the server crate from the settings file and `-E` overrides.

use quarry_types::Settings;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct NodeConfig {
    pub cluster_name: String,
    pub node_name: String,
    pub data_path: PathBuf,
    /// The bound HTTP address (reported in `_nodes` and `_cat/nodes`).
    pub http_address: SocketAddr,
    pub roles: BTreeSet<String>,
    pub attributes: BTreeMap<String, String>,
    /// `action.destructive_requires_name` (node-level default; cluster settings override it).
    pub destructive_requires_name: bool,
    /// `http.max_content_length` in bytes.
    pub max_content_length: usize,
    /// Every setting as given, for `_nodes` and `_cluster/settings?include_defaults`.
    pub settings: Settings,
    /// Multi-node mode (transport, discovery, Raft); `None` is `discovery.type: single-node`.
    pub cluster: Option<ClusterModeConfig>,
    /// Report this node's disk figures into the cluster state (`disk_usage_reporter`). Off in
    /// in-process tests, whose nodes share the test machine's disk (its real fill level would
    /// decide their allocation); on for a real node.
    pub report_disk_usage: bool,
}

/// What a node of a multi-node cluster needs beyond the single-node settings.
#[derive(Debug, Clone)]
pub struct ClusterModeConfig {
    /// Address the transport binds to (`transport.host`, else `network.host`).
    pub transport_host: String,
    /// `transport.port`: a port or a range (`9300-9400`, the first free one is used).
    pub transport_ports: String,
    /// The address other nodes reach this one at when it differs from the bound one
    /// (`transport.publish_host`, else `network.publish_host`).
    pub publish_host: Option<String>,
    pub discovery: crate::discovery::DiscoverySettings,
}

impl NodeConfig {
    /// The embedded default: cluster `quarry`, 127.0.0.1:9200, data in `./data`, every role.
    pub fn for_test(data_path: PathBuf) -> NodeConfig {
        NodeConfig {
            cluster_name: "quarry".into(),
            node_name: "node-1".into(),
            data_path,
            http_address: SocketAddr::from(([127, 0, 0, 1], 9200)),
            roles: default_roles(),
            attributes: BTreeMap::new(),
            destructive_requires_name: true,
            max_content_length: 100 * 1024 * 1024,
            settings: Settings::new(),
            cluster: None,
            report_disk_usage: false,
        }
    }
}

/// Every role, as a node with `node.roles` unset has.
pub fn default_roles() -> BTreeSet<String> {
    [
        "data",
        "data_cold",
        "data_content",
        "data_frozen",
        "data_hot",
        "data_warm",
        "ingest",
        "master",
        "ml",
        "remote_cluster_client",
        "transform",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}
