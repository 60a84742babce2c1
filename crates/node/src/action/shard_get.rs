//! The shard-level get ([`SHARD_GET_ACTION`], Elasticsearch's `indices:data/read/get[s]`): a
//! get whose serving copy ([`super::shard_location::locate_read_copy`]) is on another node runs
//! there, and its answer (found or not, `_source` filtering, stored fields, versions, realtime) is that
//! node's local get response, unchanged.
//!
//! Owns the get's wire format and the serving side; must not choose the copy (that is
//! [`super::shard_location`]).

use super::document::VersionParams;
use super::get_fields::GetOptions;
use super::remote_error::error_from_transport;
use super::shard_bulk_wire::{decode, encode, WireSourceFilter};
use super::ActionResponse;
use crate::no_master_block::BlockLevel;
use crate::Node;
use quarry_types::EsError;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Elasticsearch's name of the shard-level get action.
pub const SHARD_GET_ACTION: &str = "indices:data/read/get[s]";

/// One get, with a concrete index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardGetRequest {
    pub index: String,
    pub id: String,
    pub routing: Option<String>,
    pub realtime: bool,
    pub refresh: bool,
    pub source_filter: Option<WireSourceFilter>,
    pub stored_fields: Option<Vec<String>>,
    /// `version`: reads compare it exactly.
    pub version: Option<i64>,
}

/// The get's status and JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardGetResponse {
    pub status: u16,
    #[serde(with = "super::shard_bulk_wire::raw_bytes")]
    pub body: Vec<u8>,
}

impl ShardGetRequest {
    pub fn new(
        index: &str,
        id: &str,
        routing: Option<&str>,
        opts: &GetOptions,
        version: &VersionParams,
    ) -> Self {
        ShardGetRequest {
            index: index.to_string(),
            id: id.to_string(),
            routing: routing.map(String::from),
            realtime: opts.realtime,
            refresh: opts.refresh,
            source_filter: opts.source_filter.as_ref().map(Into::into),
            stored_fields: opts.stored_fields.clone(),
            version: version.version,
        }
    }

    fn options(&self) -> GetOptions {
        GetOptions {
            realtime: self.realtime,
            refresh: self.refresh,
            source_filter: self.source_filter.clone().map(Into::into),
            stored_fields: self.stored_fields.clone(),
        }
    }
}

impl Node {
    /// Runs a get on the node at `address`, which holds the copy that serves it.
    pub async fn forward_get(
        &self,
        address: &str,
        req: ShardGetRequest,
    ) -> Result<ActionResponse, EsError> {
        let transport = self
            .transport()
            .ok_or_else(|| EsError::illegal_state("no transport in single-node mode"))?;
        let address = address.to_string();
        let send = transport.send(
            &address,
            SHARD_GET_ACTION,
            encode(&req)?,
            super::forwarding::SHARD_REQUEST_TIMEOUT,
        );
        let bytes = tokio::select! {
            sent = send => sent.map_err(error_from_transport)?,
            e = self.node_left(&address) => return Err(e),
        };
        let response: ShardGetResponse = decode(&bytes)?;
        let body: Value = serde_json::from_slice(&response.body)
            .map_err(|e| EsError::internal(format!("invalid get response body: {e}")))?;
        Ok(ActionResponse::with_status(response.status, body))
    }

    /// Resolves with the error of a get that stops waiting: the node at `address` left the
    /// cluster, or this node lost its master and reads are blocked (checked every 100 ms).
    async fn node_left(&self, address: &str) -> EsError {
        loop {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            if let Err(e) = self.check_no_master_block(BlockLevel::Read) {
                return e;
            }
            let state = self.state();
            if !state.nodes.values().any(|n| n.transport_address == address) {
                return EsError::new(
                    "node_disconnected_exception",
                    500,
                    format!("[{address}] node left the cluster"),
                );
            }
        }
    }

    /// Serves [`SHARD_GET_ACTION`]: the local get of a shard held here.
    pub async fn execute_shard_get(
        &self,
        req: ShardGetRequest,
    ) -> Result<ShardGetResponse, EsError> {
        let state = self.state();
        let meta = state
            .index(&req.index)
            .ok_or_else(|| EsError::index_not_found(&req.index))?;
        let n = quarry_cluster::operation_routing::shard_for_document(
            meta,
            &req.id,
            req.routing.as_deref(),
        )?;
        if self.indices().shard(&req.index, n).is_none() {
            return Err(super::forwarding::no_shard_available(&req.index, &req.id));
        }
        let opts = req.options();
        let version = VersionParams {
            version: req.version,
            ..VersionParams::default()
        };
        let r = self
            .get_document(&req.index, &req.id, req.routing.as_deref(), opts, version)
            .await?;
        let body = serde_json::to_vec(&r.body).map_err(|e| EsError::internal(e.to_string()))?;
        Ok(ShardGetResponse {
            status: r.status,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quarry_search::source_filter::SourceFilter;

    #[test]
    fn get_requests_carry_every_option() {
        let opts = GetOptions {
            realtime: false,
            refresh: true,
            source_filter: Some(SourceFilter {
                fetch: true,
                includes: vec!["a.*".into()],
                excludes: vec!["a.b".into()],
            }),
            stored_fields: Some(vec!["x".into()]),
        };
        let version = VersionParams {
            version: Some(4),
            ..VersionParams::default()
        };
        let req = ShardGetRequest::new("i", "1", Some("r"), &opts, &version);
        let back: ShardGetRequest = decode(&encode(&req).unwrap()).unwrap();
        assert_eq!(back, req);
        let o = back.options();
        assert_eq!(
            (o.realtime, o.refresh, o.source_filter, o.stored_fields),
            (
                opts.realtime,
                opts.refresh,
                opts.source_filter.clone(),
                opts.stored_fields.clone()
            )
        );
        assert_eq!(back.routing.as_deref(), Some("r"));
        assert_eq!(back.version, Some(4));
    }
}
