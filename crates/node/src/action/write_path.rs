//! The first half of every write: find the index to write to (through aliases, auto-creating
//! it as Elasticsearch does), route the document to its shard, and bring the mapping up to date
//! when the document introduces new fields (dynamic mapping goes through the master).

use crate::Node;
use quarry_cluster::index_name_expression_resolver::resolve_write_index;
use quarry_cluster::operation_routing::shard_for_document;
use quarry_cluster::ClusterCommand;
use quarry_index::mapper::{DocumentParser, ParsedDocument};
use quarry_index::IndexShard;
use quarry_types::EsError;
use std::sync::Arc;

/// Where one document write goes.
#[derive(Clone)]
pub struct WriteTarget {
    pub index: String,
    pub shard_number: u32,
    pub routing: Option<String>,
    pub shard: Arc<IndexShard>,
    /// Copies the write is expected on (`_shards.total`).
    pub total_copies: u32,
}

impl Node {
    /// Resolves `name` (index or alias) to the concrete write index, creating the index when it
    /// does not exist (`action.auto_create_index`, default true).
    pub async fn resolve_or_create_write_index(
        &self,
        name: &str,
    ) -> Result<(String, Option<String>), EsError> {
        let state = self.state();
        if let Some(w) = resolve_write_index(&state, name)? {
            let alias_routing = w.alias.and_then(|(_, a)| a.index_routing);
            return Ok((w.index, alias_routing));
        }
        quarry_cluster::index_name::validate_index_name(name)?;
        let result = self
            .master
            .submit(vec![ClusterCommand::CreateIndex {
                name: name.to_string(),
                uuid: quarry_types::ids::random_base64_uuid(),
                settings: quarry_types::Settings::new(),
                mappings: None,
                aliases: None,
                creation_date: now_millis(),
            }])
            .await;
        match result {
            Ok(_) => {}
            // Another request created it meanwhile.
            Err(e) if e.error_type == "resource_already_exists_exception" => {}
            Err(e) => return Err(e),
        }
        let state = self.state();
        match resolve_write_index(&state, name)? {
            Some(w) => Ok((w.index, w.alias.and_then(|(_, a)| a.index_routing))),
            None => Err(EsError::index_not_found(name)),
        }
    }

    /// `require_alias=true`: the write target must be an existing alias; a concrete index or a
    /// missing name fails with `index_not_found_exception` (and nothing is auto-created).
    pub fn check_require_alias(&self, name: &str, require_alias: bool) -> Result<(), EsError> {
        require_alias_check(&self.state(), name, require_alias)
    }

    /// Routes a document of `index` to its shard.
    pub fn route_write(
        &self,
        index: &str,
        id: &str,
        routing: Option<&str>,
    ) -> Result<WriteTarget, EsError> {
        let (shard_number, total_copies) = write_shard(&self.state(), index, id, routing)?;
        let shard = self
            .indices()
            .shard(index, shard_number)
            .ok_or_else(|| primary_not_active(index, shard_number))?;
        Ok(WriteTarget {
            index: index.to_string(),
            shard_number,
            routing: routing.map(String::from),
            shard,
            total_copies,
        })
    }

    /// Parses `source` against the index mapping; when it adds fields, merges them into the
    /// cluster mapping first (through the master) and parses again against the result.
    pub async fn parse_with_dynamic_mapping(
        &self,
        index: &str,
        source: &[u8],
    ) -> Result<ParsedDocument, EsError> {
        for _ in 0..3 {
            let state = self.state();
            let meta = state
                .index(index)
                .ok_or_else(|| EsError::index_not_found(index))?;
            let parsed = parse_for_index(meta, source)?;
            let Some(update) = parsed.dynamic_update.clone() else {
                return Ok(parsed);
            };
            self.master
                .submit(vec![ClusterCommand::PutMapping {
                    indices: vec![index.to_string()],
                    mapping: update,
                }])
                .await?;
        }
        let state = self.state();
        let meta = state
            .index(index)
            .ok_or_else(|| EsError::index_not_found(index))?;
        parse_for_index(meta, source)
    }
}

/// The shard a write of `id` goes to and the copies it is expected on (`_shards.total`), after
/// the index checks (exists, open, not write-blocked).
pub fn write_shard(
    state: &quarry_cluster::ClusterState,
    index: &str,
    id: &str,
    routing: Option<&str>,
) -> Result<(u32, u32), EsError> {
    let meta = state
        .index(index)
        .ok_or_else(|| EsError::index_not_found(index))?;
    if !meta.is_open() {
        return Err(EsError::index_closed(index));
    }
    if let Some((reason, status)) = quarry_cluster::cluster_blocks::index_write_block(meta) {
        return Err(EsError::cluster_block(reason, status));
    }
    Ok((
        shard_for_document(meta, id, routing)?,
        1 + meta.number_of_replicas,
    ))
}

/// The error of a write whose shard has no active primary.
pub fn primary_not_active(index: &str, shard_number: u32) -> EsError {
    EsError::unavailable_shards(format!(
        "[{index}][{shard_number}] primary shard is not active Timeout: [1m]"
    ))
}

/// Parses `source` against the index's mapping with its index-level document limits
/// (`index.mapping.nested_objects.limit`).
pub fn parse_for_index(
    meta: &quarry_cluster::IndexMetadata,
    source: &[u8],
) -> Result<ParsedDocument, EsError> {
    DocumentParser::new(&meta.mapping)
        .with_nested_objects_limit(meta.nested_objects_limit() as usize)
        .parse(None, source)
}

/// Elasticsearch's `require_alias` rule as a pure decision on the cluster state.
pub fn require_alias_check(
    state: &quarry_cluster::ClusterState,
    name: &str,
    require_alias: bool,
) -> Result<(), EsError> {
    if !require_alias || state.metadata.has_alias(name) {
        return Ok(());
    }
    let mut e = EsError::index_not_found(name);
    e.reason = format!(
        "no such index [{name}] and [require_alias] request flag is [true] and [{name}] is not an alias"
    );
    Err(e)
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
