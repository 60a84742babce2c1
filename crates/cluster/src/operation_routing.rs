//! Operation routing: which shard a document id (or custom `_routing`) lands on, exactly as
//! Elasticsearch computes it, so documents live on the same shard numbers as in Elasticsearch.
//!
//! ```text
//! hash  = murmur3_x86_32(utf16le(routing or _id), seed 0)         (Murmur3HashFunction)
//! shard = floorMod(hash, routing_num_shards) / routing_factor     (IndexRouting.hashToShardId)
//! routing_factor = routing_num_shards / number_of_shards
//! partitioned: hash = hash(routing) + floorMod(hash(_id), routing_partition_size)
//! ```
//!
//! Owns: the hash and the shard arithmetic. Must not depend on the cluster state layout beyond
//! `IndexMetadata`'s three numbers; no I/O.

use crate::index_metadata::IndexMetadata;
use quarry_types::EsError;

/// Elasticsearch `Murmur3HashFunction.hash(String)`: murmur3 x86 32-bit, seed 0, over the
/// string's UTF-16 code units written little-endian.
pub fn murmur3_hash(routing: &str) -> i32 {
    let bytes: Vec<u8> = routing.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let hash = murmur3::murmur3_32(&mut bytes.as_slice(), 0)
        .expect("reading from an in-memory byte slice cannot fail");
    hash as i32
}

/// `IndexRouting.hashToShardId`.
pub fn hash_to_shard_id(hash: i32, routing_num_shards: u32, number_of_shards: u32) -> u32 {
    let routing_num_shards = routing_num_shards.max(1);
    let factor = (routing_num_shards / number_of_shards.max(1)).max(1) as i64;
    let m = (hash as i64).rem_euclid(routing_num_shards as i64);
    (m / factor) as u32
}

/// The default `index.number_of_routing_shards` for a new index
/// (`MetadataCreateIndexService.calculateNumRoutingShards`): the index can later be split by
/// powers of two up to about 1024 shards.
pub fn default_routing_num_shards(number_of_shards: u32) -> u32 {
    let n = number_of_shards.max(1);
    // ceil(log2(n)) for n >= 1
    let log2_ceil = 32 - (n - 1).leading_zeros();
    let shift = 10i64 - log2_ceil as i64;
    let shift = shift.max(1) as u32;
    n.checked_shl(shift).unwrap_or(u32::MAX)
}

/// The shard for an operation on `id` with optional custom `routing`, for explicit numbers.
pub fn shard_id_for(
    id: &str,
    routing: Option<&str>,
    number_of_shards: u32,
    routing_num_shards: u32,
    routing_partition_size: u32,
) -> u32 {
    let hash = match routing {
        Some(r) if routing_partition_size > 1 => {
            let offset = murmur3_hash(id).rem_euclid(routing_partition_size as i32);
            murmur3_hash(r).wrapping_add(offset)
        }
        Some(r) => murmur3_hash(r),
        None => murmur3_hash(id),
    };
    hash_to_shard_id(hash, routing_num_shards, number_of_shards)
}

/// The shard of `index` that holds (or will hold) document `id`.
///
/// A partitioned index (`index.routing_partition_size` > 1) requires a routing value, as in
/// Elasticsearch; so does a mapping with `_routing.required: true`.
pub fn shard_for_document(
    index: &IndexMetadata,
    id: &str,
    routing: Option<&str>,
) -> Result<u32, EsError> {
    let partition = index.routing_partition_size();
    if routing.is_none() && (partition > 1 || index.routing_required()) {
        return Err(EsError::new(
            "routing_missing_exception",
            400,
            format!("routing is required for [{}]/[{id}]", index.name),
        )
        .with("index_uuid", index.uuid.clone())
        .with("index", index.name.clone()));
    }
    Ok(shard_id_for(
        id,
        routing,
        index.number_of_shards,
        index.routing_num_shards,
        partition,
    ))
}

/// The shards a search with `routing` (comma-separated values) must visit; `None` = all.
pub fn search_shards(index: &IndexMetadata, routing: Option<&str>) -> Vec<u32> {
    let Some(routing) = routing else {
        return (0..index.number_of_shards).collect();
    };
    let partition = index.routing_partition_size();
    let mut out = std::collections::BTreeSet::new();
    for value in routing.split(',').map(str::trim).filter(|v| !v.is_empty()) {
        let base = murmur3_hash(value);
        for offset in 0..partition.max(1) {
            out.insert(hash_to_shard_id(
                base.wrapping_add(offset as i32),
                index.routing_num_shards,
                index.number_of_shards,
            ));
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
#[path = "operation_routing_test.rs"]
mod operation_routing_test;
