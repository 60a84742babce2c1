//! `GET /`: who this node is, in the shape the official clients check.

use crate::Node;
use serde_json::{json, Value};

impl Node {
    pub fn info(&self) -> Value {
        let state = self.state();
        json!({
            "name": self.config.node_name,
            "cluster_name": self.config.cluster_name,
            "cluster_uuid": state.cluster_uuid,
            "version": {
                "number": quarry_types::ES_COMPAT_VERSION,
                "build_flavor": "default",
                "build_type": "tar",
                "build_hash": "quarry",
                "build_date": "2026-11-23T00:00:00.000Z",
                "build_snapshot": false,
                "lucene_version": quarry_types::LUCENE_COMPAT_VERSION,
                "minimum_wire_compatibility_version": "7.17.0",
                "minimum_index_compatibility_version": "7.0.0"
            },
            "tagline": "You Know, for Search"
        })
    }
}
