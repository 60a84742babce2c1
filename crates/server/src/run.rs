//! Starts the node runtime for validated settings: binds the HTTP port (the first free one of
//! `http.port`), starts `quarry_node::Node`, serves `quarry_rest::router` with TCP_NODELAY, and
//! flushes every shard on SIGINT/SIGTERM.

use crate::cluster_mode_settings::cluster_mode_config;
use crate::node_settings::NodeSettings;
use anyhow::Context;
use axum::serve::ListenerExt;
use quarry_node::{Node, NodeConfig};
use std::net::SocketAddr;

async fn bind(settings: &NodeSettings) -> anyhow::Result<tokio::net::TcpListener> {
    let ips = settings
        .http_bind_addresses()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let ip = ips
        .first()
        .copied()
        .context("no address to bind [http.host]")?;
    let mut last_err = None;
    for (first, last) in &settings.http_port.ranges {
        for port in *first..=*last {
            match tokio::net::TcpListener::bind(SocketAddr::new(ip, port)).await {
                Ok(l) => return Ok(l),
                Err(e) => last_err = Some(e),
            }
        }
    }
    Err(anyhow::anyhow!(
        "failed to bind HTTP on [{ip}] port [{}]: {}",
        settings.http_port,
        last_err.map(|e| e.to_string()).unwrap_or_default()
    ))
}

/// Runs the node until shutdown.
pub async fn run(settings: NodeSettings) -> anyhow::Result<()> {
    let listener = bind(&settings).await?;
    let address = listener.local_addr()?;
    let config = NodeConfig {
        cluster_name: settings.cluster_name.clone(),
        node_name: settings.node_name.clone(),
        data_path: settings.path_data.clone(),
        http_address: address,
        roles: settings
            .node_roles
            .iter()
            .map(|r| r.name().to_string())
            .collect(),
        attributes: settings.node_attr.clone(),
        destructive_requires_name: settings.action_destructive_requires_name,
        max_content_length: settings.http_max_content_length as usize,
        settings: settings.raw.clone(),
        cluster: cluster_mode_config(&settings)?,
        report_disk_usage: true,
    };
    let node = Node::start(config)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    tracing::info!(
        cluster_name = %settings.cluster_name,
        node_name = %settings.node_name,
        node_id = %node.node_id,
        "publish_address {{{address}}}, bound_addresses {{{address}}}; started"
    );
    let app = quarry_rest::router(node.clone());
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("HTTP server failed")?;
    tracing::info!("stopping: flushing shards");
    node.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
