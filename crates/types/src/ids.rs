//! Identifiers in Elasticsearch's vocabulary: shards, nodes, allocation ids, primary terms and
//! sequence numbers. Plain values; no behaviour beyond formatting.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Sequence number of an operation on a shard (Elasticsearch `long`; negative values are markers).
pub type SeqNo = i64;
/// Primary term: incremented every time a new primary is chosen for a shard.
pub type PrimaryTerm = u64;

/// `SequenceNumbers.UNASSIGNED_SEQ_NO`: no sequence number assigned yet.
pub const UNASSIGNED_SEQ_NO: SeqNo = -2;
/// `SequenceNumbers.NO_OPS_PERFORMED`: a checkpoint before any operation.
pub const NO_OPS_PERFORMED: SeqNo = -1;

/// One shard of one index: `[index][shard]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ShardId {
    pub index: String,
    pub shard: u32,
}

impl ShardId {
    pub fn new(index: impl Into<String>, shard: u32) -> Self {
        ShardId {
            index: index.into(),
            shard,
        }
    }
}

impl fmt::Display for ShardId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}][{}]", self.index, self.shard)
    }
}

/// A node's persistent id (generated once, kept in its data path).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct NodeId(pub String);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifies one copy of a shard across its life (`AllocationId` in Elasticsearch).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AllocationId(pub String);

impl fmt::Display for AllocationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A random base64url id of 22 characters, like Elasticsearch's UUIDs.
pub fn random_base64_uuid() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let bytes = uuid::Uuid::new_v4().into_bytes();
    let mut out = String::with_capacity(22);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 6 {
            bits -= 6;
            out.push(ALPHABET[((acc >> bits) & 0x3f) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((acc << (6 - bits)) & 0x3f) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_22_url_safe_chars_and_distinct() {
        let a = random_base64_uuid();
        let b = random_base64_uuid();
        assert_eq!(a.len(), 22);
        assert_ne!(a, b);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn shard_id_displays_like_elasticsearch() {
        assert_eq!(ShardId::new("logs", 3).to_string(), "[logs][3]");
    }
}
