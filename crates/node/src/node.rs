//! A running node: its identity, the master service with the published cluster state, the local
//! shards, and the background work (scheduled refresh, translog sync). Actions are implemented
//! in `action::*` as methods on [`Node`].

use crate::gateway::Gateway;
use crate::indices_service::IndicesService;
use crate::master_service::MasterService;
use crate::node_config::NodeConfig;
use crate::node_stats::NodeCounters;
use quarry_cluster::{ClusterCommand, ClusterState, DiscoveryNode};
use quarry_types::{EsError, NodeId};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub struct Node {
    pub config: NodeConfig,
    pub node_id: String,
    pub ephemeral_id: String,
    pub master: Arc<MasterService>,
    pub started_at: Instant,
    pub counters: NodeCounters,
    /// Transport, coordination and discovery in multi-node mode.
    pub cluster: Option<crate::cluster_mode::ClusterMode>,
}

impl Node {
    /// Starts a single-node cluster from the data path: loads (or creates) the node id and the
    /// persisted cluster state, reopens the local shards and elects itself master.
    pub async fn start(config: NodeConfig) -> Result<Arc<Node>, EsError> {
        let gateway = Gateway::open(&config.data_path)?;
        let node_id = gateway.load_or_create_node_id()?;
        if let Some(cluster) = config.cluster.clone() {
            return Self::start_multi_node(config, cluster, gateway, node_id).await;
        }
        let persisted = gateway.load_cluster_state()?;
        let mut initial = match persisted {
            Some(state) => {
                if state.cluster_name != config.cluster_name {
                    return Err(EsError::illegal_state(format!(
                        "the data path [{}] belongs to cluster [{}], not [{}]",
                        config.data_path.display(),
                        state.cluster_name,
                        config.cluster_name
                    )));
                }
                state
            }
            None => ClusterState::new(
                &config.cluster_name,
                quarry_types::ids::random_base64_uuid(),
            ),
        };
        // Nodes are not persisted across restarts: this node rejoins its own cluster.
        initial.nodes.clear();
        initial.master_node = None;
        let indices = Arc::new(IndicesService::new(config.data_path.clone()));
        let master = Arc::new(MasterService::new(
            initial,
            gateway,
            indices,
            node_id.clone(),
        ));
        let ephemeral_id = quarry_types::ids::random_base64_uuid();
        let local = DiscoveryNode {
            id: NodeId(node_id.clone()),
            name: config.node_name.clone(),
            ephemeral_id: ephemeral_id.clone(),
            transport_address: format!("{}:9300", config.http_address.ip()),
            http_address: config.http_address.to_string(),
            roles: config.roles.clone(),
            attributes: config.attributes.clone(),
        };
        master
            .submit(vec![
                ClusterCommand::AddNode(local),
                ClusterCommand::ElectMaster(NodeId(node_id.clone())),
            ])
            .await?;
        let node = Arc::new(Node {
            config,
            node_id,
            ephemeral_id,
            master,
            started_at: Instant::now(),
            counters: NodeCounters::default(),
            cluster: None,
        });
        node.spawn_background_tasks();
        Ok(node)
    }

    /// Starts a node of a multi-node cluster: the cluster state comes from the Raft log (in
    /// `<path.data>/_state/raft`), the node finds its peers and bootstraps or joins.
    async fn start_multi_node(
        config: NodeConfig,
        cluster: crate::node_config::ClusterModeConfig,
        gateway: Gateway,
        node_id: String,
    ) -> Result<Arc<Node>, EsError> {
        let initial = ClusterState::new(
            &config.cluster_name,
            quarry_cluster::apply::UNBOOTSTRAPPED_CLUSTER_UUID,
        );
        let indices = Arc::new(IndicesService::new(config.data_path.clone()));
        let master = Arc::new(MasterService::new(
            initial,
            gateway,
            indices,
            node_id.clone(),
        ));
        let ephemeral_id = quarry_types::ids::random_base64_uuid();
        let mode = crate::cluster_mode::start_cluster_mode(
            &config,
            &cluster,
            &node_id,
            &ephemeral_id,
            master.clone(),
        )
        .await?;
        let node = Arc::new(Node {
            config,
            node_id,
            ephemeral_id,
            master,
            started_at: Instant::now(),
            counters: NodeCounters::default(),
            cluster: Some(mode),
        });
        crate::action::shard_action_handler::ShardActionHandler::register(&node);
        node.spawn_background_tasks();
        Ok(node)
    }

    pub fn state(&self) -> Arc<ClusterState> {
        self.master.state()
    }

    pub fn indices(&self) -> &Arc<IndicesService> {
        self.master.indices()
    }

    fn spawn_background_tasks(self: &Arc<Self>) {
        if self.config.report_disk_usage {
            crate::disk_usage_reporter::spawn(Arc::downgrade(self), self.config.data_path.clone());
        }
        let weak = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            let mut last_sync = Instant::now();
            loop {
                tick.tick().await;
                let Some(node) = weak.upgrade() else { return };
                let state = node.state();
                let indices = node.indices().clone();
                let sync = last_sync.elapsed() >= Duration::from_secs(5);
                if sync {
                    last_sync = Instant::now();
                }
                drop(node);
                let _ = tokio::task::spawn_blocking(move || {
                    indices.run_scheduled_refreshes(&state);
                    if sync {
                        indices.sync_translogs();
                    }
                })
                .await;
            }
        });
    }

    /// Flushes every shard; called on graceful shutdown.
    pub async fn shutdown(&self) {
        let indices = self.indices().clone();
        let _ = tokio::task::spawn_blocking(move || indices.flush_all()).await;
    }

    /// Runs blocking shard work off the async threads.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, EsError>
    where
        F: FnOnce() -> Result<T, EsError> + Send + 'static,
        T: Send + 'static,
    {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| EsError::internal(format!("shard task failed: {e}")))?
    }
}
