//! The messages of the shard-level write action [`SHARD_BULK_ACTION`]
//! (`indices:data/write/bulk[s]`): the coordinating node sends the items of one shard, fully
//! resolved (concrete index, id, routing, op type, version check), and the primary's node answers
//! with one result per item in the same order. Encoded with postcard; document sources and
//! update bodies travel as raw bytes.
//!
//! Owns the wire format and its conversions; must not execute anything.

use super::bulk_parser::{BulkAction, BulkItem};
use super::document::VersionParams;
use super::RefreshPolicy;
use quarry_index::{DeleteOperation, IndexOperation, OpType, VersionCheck};
use quarry_search::source_filter::SourceFilter;
use quarry_types::EsError;
use serde::{Deserialize, Serialize};

/// Elasticsearch's name of the shard-level bulk action.
pub const SHARD_BULK_ACTION: &str = "indices:data/write/bulk[s]";

/// The items of one bulk request for one shard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardBulkRequest {
    pub index: String,
    pub shard: u32,
    pub refresh: WireRefresh,
    pub items: Vec<ShardBulkItem>,
}

/// One write, ready for the primary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardBulkItem {
    Index {
        id: String,
        routing: Option<String>,
        #[serde(with = "raw_bytes")]
        source: Vec<u8>,
        create: bool,
        version_check: WireVersionCheck,
        auto_generated_id: bool,
    },
    Delete {
        id: String,
        routing: Option<String>,
        version_check: WireVersionCheck,
    },
    /// A partial update or upsert, run on the primary's node by the update action.
    Update {
        id: String,
        routing: Option<String>,
        /// The update body as JSON text.
        #[serde(with = "raw_bytes")]
        body: Vec<u8>,
        retry_on_conflict: u32,
        if_seq_no: Option<i64>,
        if_primary_term: Option<u64>,
        version: Option<i64>,
        version_type: Option<String>,
        source_filter: Option<WireSourceFilter>,
        /// The update's own `refresh` (single-document `_update`); bulk items use the
        /// request-level one.
        refresh: WireRefresh,
    },
}

/// What the primary answered for one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ShardItemResult {
    /// An index, create or delete that was applied.
    Written {
        version: i64,
        result: WrittenResult,
        seq_no: i64,
        primary_term: u64,
        status: u16,
    },
    /// An update's response body (JSON text) and status.
    Json {
        status: u16,
        #[serde(with = "raw_bytes")]
        body: Vec<u8>,
    },
    /// The item failed with this error ([`super::remote_error::encode_error`]).
    Failed { error: String },
}

/// The primary's answer: one result per item, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardBulkResponse {
    /// The shard was refreshed because of `refresh=true`.
    pub forced_refresh: bool,
    pub items: Vec<ShardItemResult>,
}

/// The `result` of a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WrittenResult {
    Created,
    Updated,
    Deleted,
    NotFound,
}

impl WrittenResult {
    pub fn as_str(self) -> &'static str {
        match self {
            WrittenResult::Created => "created",
            WrittenResult::Updated => "updated",
            WrittenResult::Deleted => "deleted",
            WrittenResult::NotFound => "not_found",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireRefresh {
    None,
    Immediate,
    WaitFor,
}

impl From<RefreshPolicy> for WireRefresh {
    fn from(p: RefreshPolicy) -> Self {
        match p {
            RefreshPolicy::None => WireRefresh::None,
            RefreshPolicy::Immediate => WireRefresh::Immediate,
            RefreshPolicy::WaitFor => WireRefresh::WaitFor,
        }
    }
}

impl From<WireRefresh> for RefreshPolicy {
    fn from(p: WireRefresh) -> Self {
        match p {
            WireRefresh::None => RefreshPolicy::None,
            WireRefresh::Immediate => RefreshPolicy::Immediate,
            WireRefresh::WaitFor => RefreshPolicy::WaitFor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WireVersionCheck {
    None,
    IfSeqNo { seq_no: i64, primary_term: u64 },
    External { version: i64, gte: bool },
}

impl From<VersionCheck> for WireVersionCheck {
    fn from(c: VersionCheck) -> Self {
        match c {
            VersionCheck::None => WireVersionCheck::None,
            VersionCheck::IfSeqNo {
                seq_no,
                primary_term,
            } => WireVersionCheck::IfSeqNo {
                seq_no,
                primary_term,
            },
            VersionCheck::External { version, gte } => WireVersionCheck::External { version, gte },
        }
    }
}

impl From<WireVersionCheck> for VersionCheck {
    fn from(c: WireVersionCheck) -> Self {
        match c {
            WireVersionCheck::None => VersionCheck::None,
            WireVersionCheck::IfSeqNo {
                seq_no,
                primary_term,
            } => VersionCheck::IfSeqNo {
                seq_no,
                primary_term,
            },
            WireVersionCheck::External { version, gte } => VersionCheck::External { version, gte },
        }
    }
}

/// `_source` filtering of an update's `get` section or of a get.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireSourceFilter {
    pub fetch: bool,
    pub includes: Vec<String>,
    pub excludes: Vec<String>,
}

impl From<&SourceFilter> for WireSourceFilter {
    fn from(f: &SourceFilter) -> Self {
        WireSourceFilter {
            fetch: f.fetch,
            includes: f.includes.clone(),
            excludes: f.excludes.clone(),
        }
    }
}

impl From<WireSourceFilter> for SourceFilter {
    fn from(f: WireSourceFilter) -> Self {
        SourceFilter {
            fetch: f.fetch,
            includes: f.includes,
            excludes: f.excludes,
        }
    }
}

impl ShardBulkItem {
    /// An index or create of `id` (`create` selects `op_type=create`).
    pub fn index(
        id: String,
        routing: Option<String>,
        source: Vec<u8>,
        op_type: OpType,
        version_check: VersionCheck,
        auto_generated_id: bool,
    ) -> Self {
        ShardBulkItem::Index {
            id,
            routing,
            source,
            create: op_type == OpType::Create,
            version_check: version_check.into(),
            auto_generated_id,
        }
    }
}

impl From<IndexOperation> for ShardBulkItem {
    fn from(op: IndexOperation) -> Self {
        ShardBulkItem::index(
            op.id,
            op.routing,
            op.source,
            op.op_type,
            op.version_check,
            op.auto_generated_id,
        )
    }
}

impl From<DeleteOperation> for ShardBulkItem {
    fn from(op: DeleteOperation) -> Self {
        ShardBulkItem::Delete {
            id: op.id,
            routing: op.routing,
            version_check: op.version_check.into(),
        }
    }
}

impl ShardBulkItem {
    /// An index/create/delete `_bulk` item (its source is taken), as the local path would
    /// apply it: no given id means an auto-generated one and `op_type=create`.
    pub fn from_bulk_item(
        item: &mut BulkItem,
        id: &str,
        routing: Option<String>,
        check: VersionCheck,
    ) -> Self {
        if item.action == BulkAction::Delete {
            return ShardBulkItem::Delete {
                id: id.to_string(),
                routing,
                version_check: check.into(),
            };
        }
        let op_type = if item.action == BulkAction::Create || item.id.is_none() {
            OpType::Create
        } else {
            OpType::Index
        };
        ShardBulkItem::index(
            id.to_string(),
            routing,
            std::mem::take(&mut item.source),
            op_type,
            check,
            item.id.is_none(),
        )
    }

    /// An update of `id` with the update body `body` (JSON text).
    pub fn update(
        id: String,
        routing: Option<String>,
        body: Vec<u8>,
        retry_on_conflict: u32,
        version: &VersionParams,
        source_filter: Option<&SourceFilter>,
        refresh: RefreshPolicy,
    ) -> Self {
        ShardBulkItem::Update {
            id,
            routing,
            body,
            retry_on_conflict,
            if_seq_no: version.if_seq_no,
            if_primary_term: version.if_primary_term,
            version: version.version,
            version_type: version.version_type.clone(),
            source_filter: source_filter.map(Into::into),
            refresh: refresh.into(),
        }
    }
}

/// Encodes a message for the transport.
pub fn encode<T: Serialize>(message: &T) -> Result<bytes::Bytes, EsError> {
    postcard::to_stdvec(message)
        .map(bytes::Bytes::from)
        .map_err(|e| EsError::internal(format!("failed to encode a shard request: {e}")))
}

/// Decodes a message from the transport.
pub fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, EsError> {
    postcard::from_bytes(bytes)
        .map_err(|e| EsError::internal(format!("failed to decode a shard message: {e}")))
}

/// Serializes a `Vec<u8>` as one byte string (postcard: a length and the raw bytes) rather
/// than as a sequence of numbers.
pub mod raw_bytes {
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(bytes)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a byte string")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E: serde::de::Error>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
        }
        d.deserialize_byte_buf(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_responses_round_trip_with_raw_sources() {
        let source = br#"{"a":"\u00e9","n":[1,2]}"#.to_vec();
        let req = ShardBulkRequest {
            index: "idx".into(),
            shard: 2,
            refresh: WireRefresh::WaitFor,
            items: vec![
                ShardBulkItem::index(
                    "1".into(),
                    Some("r".into()),
                    source.clone(),
                    OpType::Create,
                    VersionCheck::External {
                        version: 7,
                        gte: true,
                    },
                    false,
                ),
                ShardBulkItem::Delete {
                    id: "2".into(),
                    routing: None,
                    version_check: WireVersionCheck::IfSeqNo {
                        seq_no: 3,
                        primary_term: 1,
                    },
                },
            ],
        };
        let bytes = encode(&req).unwrap();
        // The source is carried verbatim, not as a list of numbers.
        assert!(bytes.windows(source.len()).any(|w| w == source.as_slice()));
        assert_eq!(decode::<ShardBulkRequest>(&bytes).unwrap(), req);
        let resp = ShardBulkResponse {
            forced_refresh: true,
            items: vec![
                ShardItemResult::Written {
                    version: 1,
                    result: WrittenResult::Created,
                    seq_no: 0,
                    primary_term: 1,
                    status: 201,
                },
                ShardItemResult::Json {
                    status: 200,
                    body: b"{}".to_vec(),
                },
                ShardItemResult::Failed { error: "x".into() },
            ],
        };
        assert_eq!(
            decode::<ShardBulkResponse>(&encode(&resp).unwrap()).unwrap(),
            resp
        );
        assert!(decode::<ShardBulkResponse>(b"\xff\xff").is_err());
    }
}
