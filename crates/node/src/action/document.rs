//! Single-document actions: index (and create), get, delete, update and multi-get.

use super::forwarding::{ReadRoute, WriteRoute};
use super::get_fields::{rendered_source, stored_field_values, GetOptions};
use super::shard_bulk_wire::ShardBulkItem;
use super::shard_get::ShardGetRequest;
use super::write_path::WriteTarget;
use super::{ActionResponse, RefreshPolicy};
use crate::Node;
use quarry_index::{DeleteOperation, IndexOperation, OpType, VersionCheck};
use quarry_types::EsError;
use serde_json::{json, Map, Value};

/// Version-related request parameters of a write.
#[derive(Debug, Clone, Default)]
pub struct VersionParams {
    pub if_seq_no: Option<i64>,
    pub if_primary_term: Option<u64>,
    pub version: Option<i64>,
    pub version_type: Option<String>,
}

impl VersionParams {
    /// Turns the parameters into the shard's check, with Elasticsearch's validation errors.
    pub fn to_check(&self) -> Result<VersionCheck, EsError> {
        let vt = self.version_type.as_deref().unwrap_or("internal");
        if !matches!(vt, "internal" | "external" | "external_gte" | "force") {
            return Err(EsError::illegal_argument(format!(
                "No version type match [{vt}]"
            )));
        }
        match (self.if_seq_no, self.if_primary_term) {
            (Some(seq_no), Some(term)) => {
                if self.version.is_some() {
                    return Err(EsError::action_request_validation(&[
                        "compare and write operations can not be used with versioning".into(),
                    ]));
                }
                if term == 0 {
                    return Err(EsError::action_request_validation(&[
                        "ifSeqNo is set, but primary term is [0]".into(),
                    ]));
                }
                return Ok(VersionCheck::IfSeqNo {
                    seq_no,
                    primary_term: term,
                });
            }
            (Some(_), None) => {
                return Err(EsError::action_request_validation(&[
                    "ifSeqNo is set, but primary term is [0]".into(),
                ]))
            }
            (None, Some(term)) => {
                return Err(EsError::action_request_validation(&[format!(
                    "ifSeqNo is unassigned, but primary term is [{term}]"
                )]))
            }
            (None, None) => {}
        }
        match (vt, self.version) {
            ("internal", None) => Ok(VersionCheck::None),
            ("internal", Some(_)) => Err(EsError::action_request_validation(&[
                "internal versioning can not be used for optimistic concurrency control. Please use `if_seq_no` and `if_primary_term` instead".into(),
            ])),
            ("external", Some(v)) => Ok(VersionCheck::External { version: v, gte: false }),
            ("external_gte", Some(v)) => Ok(VersionCheck::External { version: v, gte: true }),
            ("force", _) => Err(EsError::action_request_validation(&["version type [force] may no longer be used".into()])),
            (_, None) => Err(EsError::action_request_validation(&[format!(
                "illegal version value [-3] for version type [{}]",
                vt.to_ascii_uppercase()
            )])),
            _ => Ok(VersionCheck::None),
        }
    }
}

/// `PUT/POST /{index}/_doc[/{id}]`, `/_create/{id}`.
#[derive(Debug, Clone, Default)]
pub struct IndexDocRequest {
    pub index: String,
    pub id: Option<String>,
    pub source: Vec<u8>,
    pub routing: Option<String>,
    pub create: bool,
    pub version: VersionParams,
    pub refresh: RefreshPolicy,
    pub require_alias: bool,
}

/// Checks a requested ingest pipeline. Quarry stores no ingest pipelines, so every name other
/// than `_none` is one that does not exist, which Elasticsearch rejects.
pub fn check_pipeline(pipeline: Option<&str>) -> Result<(), EsError> {
    match pipeline {
        None | Some("_none") => Ok(()),
        Some(id) => Err(EsError::illegal_argument(format!(
            "pipeline with id [{id}] does not exist"
        ))),
    }
}

/// The JSON Elasticsearch returns for a write of one document.
#[allow(clippy::too_many_arguments)]
pub fn write_response_json(
    index: &str,
    id: &str,
    version: i64,
    result: &str,
    seq_no: i64,
    primary_term: u64,
    total_copies: u32,
    forced_refresh: bool,
) -> Value {
    let mut m = Map::new();
    m.insert("_index".into(), json!(index));
    m.insert("_id".into(), json!(id));
    m.insert("_version".into(), json!(version));
    m.insert("result".into(), json!(result));
    if forced_refresh {
        m.insert("forced_refresh".into(), json!(true));
    }
    m.insert(
        "_shards".into(),
        json!({"total": total_copies, "successful": 1, "failed": 0}),
    );
    m.insert("_seq_no".into(), json!(seq_no));
    m.insert("_primary_term".into(), json!(primary_term));
    Value::Object(m)
}

/// Checks an id the way Elasticsearch validates `_id`.
pub fn validate_id(id: &str) -> Result<(), EsError> {
    if id.is_empty() {
        return Err(EsError::illegal_argument(
            "if _id is specified it must not be empty",
        ));
    }
    if id.len() > 512 {
        return Err(EsError::action_request_validation(&[format!(
            "id [{id}] is too long, must be no longer than 512 bytes but was: {}",
            id.len()
        )]));
    }
    Ok(())
}

/// An error embedded in a multi-item response: `_bulk` items carry the bare error object,
/// `_mget` docs the full one with `root_cause`. With `error_trace`, every error object also
/// carries its `stack_trace`.
pub fn embedded_error(e: &EsError, with_root_cause: bool, error_trace: bool) -> Value {
    let mut error = if with_root_cause {
        let mut envelope = e.to_envelope();
        envelope["error"].take()
    } else {
        e.to_json()
    };
    if error_trace {
        let trace = Value::String(e.stack_trace());
        if let Some(Value::Array(roots)) = error.get_mut("root_cause") {
            for root in roots.iter_mut().filter_map(Value::as_object_mut) {
                root.insert("stack_trace".into(), trace.clone());
            }
        }
        if let Value::Object(m) = &mut error {
            m.insert("stack_trace".into(), trace);
        }
    }
    error
}

/// A 20-character URL-safe id built like Elasticsearch's `TimeBasedUUIDGenerator`: 6 bytes of
/// the millisecond clock, 3 bytes of a process-wide sequence and 6 random bytes chosen once per
/// process, base64url-encoded. Unique without a random-number syscall per document.
pub fn auto_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::OnceLock;
    static SEQUENCE: AtomicU64 = AtomicU64::new(0);
    static NODE_BITS: OnceLock<[u8; 6]> = OnceLock::new();
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let node = NODE_BITS.get_or_init(|| {
        let r = quarry_types::ids::random_base64_uuid().into_bytes();
        [r[0], r[1], r[2], r[3], r[4], r[5]]
    });
    let seq = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let ts = super::write_path::now_millis() as u64;
    let mut bytes = [0u8; 15];
    bytes[..6].copy_from_slice(&ts.to_be_bytes()[2..]);
    bytes[6..9].copy_from_slice(&seq.to_be_bytes()[5..]);
    bytes[9..].copy_from_slice(node);
    let mut out = String::with_capacity(20);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
        for shift in [18, 12, 6, 0] {
            out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
        }
    }
    out
}

impl Node {
    pub async fn index_document(&self, req: IndexDocRequest) -> Result<ActionResponse, EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Write)?;
        let id = match &req.id {
            Some(id) => {
                validate_id(id)?;
                id.clone()
            }
            None => auto_id(),
        };
        let check = req.version.to_check()?;
        if req.create && matches!(check, VersionCheck::External { .. }) {
            return Err(EsError::action_request_validation(&[
                "create operations only support internal versioning. use index instead".into(),
            ]));
        }
        self.check_require_alias(&req.index, req.require_alias)?;
        let (index, alias_routing) = self.resolve_or_create_write_index(&req.index).await?;
        let routing = req.routing.clone().or(alias_routing);
        let route = self.route_write_or_forward(&index, &id, routing.as_deref())?;
        let op = IndexOperation {
            id: id.clone(),
            routing: routing.clone(),
            source: req.source,
            op_type: if req.create || req.id.is_none() {
                OpType::Create
            } else {
                OpType::Index
            },
            version_check: check,
            auto_generated_id: req.id.is_none(),
        };
        let target = match route {
            WriteRoute::Local(target) => target,
            WriteRoute::Remote(remote) => {
                let item = ShardBulkItem::from(op);
                return self
                    .forward_single_write(&remote, &id, item, req.refresh)
                    .await;
            }
        };
        let parsed = self.parse_with_dynamic_mapping(&index, &op.source).await?;
        let shard = target.shard.clone();
        let result = self
            .blocking(move || shard.apply_index_on_primary(op, parsed))
            .await?;
        let forced = self.refresh_after_write(&target, req.refresh).await?;
        let body = write_response_json(
            &index,
            &id,
            result.version,
            if result.created { "created" } else { "updated" },
            result.seq_no,
            result.primary_term,
            target.total_copies,
            forced,
        );
        Ok(ActionResponse::with_status(
            if result.created { 201 } else { 200 },
            body,
        ))
    }

    /// Carries out `?refresh` after a write; true when a refresh was forced.
    pub async fn refresh_after_write(
        &self,
        target: &WriteTarget,
        policy: RefreshPolicy,
    ) -> Result<bool, EsError> {
        match policy {
            RefreshPolicy::None => Ok(false),
            RefreshPolicy::Immediate | RefreshPolicy::WaitFor => {
                let shard = target.shard.clone();
                self.blocking(move || shard.refresh()).await?;
                Ok(policy == RefreshPolicy::Immediate)
            }
        }
    }

    /// `GET /{index}/_doc/{id}`: realtime unless `realtime=false`.
    pub async fn get_document(
        &self,
        index_expr: &str,
        id: &str,
        routing: Option<&str>,
        opts: GetOptions,
        version: VersionParams,
    ) -> Result<ActionResponse, EsError> {
        let state = self.state();
        let index = self.resolve_single_index(&state, index_expr)?;
        let target = match self.route_read_or_forward(&index, id, routing)? {
            ReadRoute::Local(shard) => shard,
            ReadRoute::Remote(address) => {
                let req = ShardGetRequest::new(&index, id, routing, &opts, &version);
                return self.forward_get(&address, req).await;
            }
        };
        let shard = target.clone();
        let id_owned = id.to_string();
        let (realtime, refresh) = (opts.realtime, opts.refresh);
        let got = self
            .blocking(move || {
                if refresh {
                    shard.refresh()?;
                }
                shard.get(&id_owned, realtime)
            })
            .await?;
        let Some(doc) = got else {
            return Ok(ActionResponse::with_status(
                404,
                json!({"_index": index, "_id": id, "found": false}),
            ));
        };
        // Reads compare versions exactly for every version type (`isVersionConflictForReads`).
        if let Some(v) = version.version {
            if doc.version != v {
                return Err(EsError::version_conflict(
                    &index,
                    id,
                    &format!("version conflict, current version [{}] is different than the one provided [{v}]", doc.version),
                ));
            }
        }
        let mut m = Map::new();
        m.insert("_index".into(), json!(index));
        m.insert("_id".into(), json!(id));
        m.insert("_version".into(), json!(doc.version));
        m.insert("_seq_no".into(), json!(doc.seq_no));
        m.insert("_primary_term".into(), json!(doc.primary_term));
        m.insert("found".into(), json!(true));
        if let Some(r) = &doc.routing {
            m.insert("_routing".into(), json!(r));
        }
        let source: Value = serde_json::from_slice(&doc.source)
            .map_err(|e| EsError::internal(format!("stored _source is not JSON: {e}")))?;
        let mapping = state
            .index(&index)
            .map(|meta| meta.mapping.clone())
            .unwrap_or_default();
        if let Some(rendered) = rendered_source(&mapping, &source, &opts) {
            m.insert("_source".into(), rendered);
        }
        if let Some(requested) = &opts.stored_fields {
            let fields = stored_field_values(&mapping, &source, requested);
            if !fields.is_empty() {
                m.insert("fields".into(), Value::Object(fields));
            }
        }
        Ok(ActionResponse::ok(Value::Object(m)))
    }

    /// `GET /{index}/_source/{id}`: only the source, 404 when the document or its source is
    /// missing.
    pub async fn get_source(
        &self,
        index_expr: &str,
        id: &str,
        routing: Option<&str>,
        opts: GetOptions,
    ) -> Result<ActionResponse, EsError> {
        let opts = GetOptions {
            stored_fields: None,
            ..opts
        };
        let r = self
            .get_document(index_expr, id, routing, opts, VersionParams::default())
            .await?;
        if r.status == 404 {
            return Err(EsError::resource_not_found(format!(
                "Document not found [{index_expr}]/[{id}]"
            )));
        }
        match r.body.get("_source") {
            Some(source) => Ok(ActionResponse::ok(source.clone())),
            None => Err(EsError::resource_not_found(format!(
                "Source not found [{index_expr}]/[{id}]"
            ))),
        }
    }

    pub async fn delete_document(
        &self,
        index_expr: &str,
        id: &str,
        routing: Option<&str>,
        version: VersionParams,
        refresh: RefreshPolicy,
    ) -> Result<ActionResponse, EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Write)?;
        let check = version.to_check()?;
        let state = self.state();
        let write = quarry_cluster::index_name_expression_resolver::resolve_write_index(
            &state, index_expr,
        )?
        .ok_or_else(|| EsError::index_not_found(index_expr))?;
        let routing = routing
            .map(String::from)
            .or(write.alias.and_then(|(_, a)| a.index_routing));
        let route = self.route_write_or_forward(&write.index, id, routing.as_deref())?;
        let op = DeleteOperation {
            id: id.to_string(),
            routing,
            version_check: check,
        };
        let target = match route {
            WriteRoute::Local(target) => target,
            WriteRoute::Remote(remote) => {
                let item = ShardBulkItem::from(op);
                return self.forward_single_write(&remote, id, item, refresh).await;
            }
        };
        let shard = target.shard.clone();
        let result = self
            .blocking(move || shard.apply_delete_on_primary(op))
            .await?;
        let forced = self.refresh_after_write(&target, refresh).await?;
        let body = write_response_json(
            &write.index,
            id,
            result.version,
            if result.found { "deleted" } else { "not_found" },
            result.seq_no,
            result.primary_term,
            target.total_copies,
            forced,
        );
        Ok(ActionResponse::with_status(
            if result.found { 200 } else { 404 },
            body,
        ))
    }

    /// Resolves an expression that must name exactly one index (or an alias of one).
    pub fn resolve_single_index(
        &self,
        state: &quarry_cluster::ClusterState,
        expr: &str,
    ) -> Result<String, EsError> {
        use quarry_cluster::index_name_expression_resolver::{concrete_indices, IndicesOptions};
        let indices = concrete_indices(
            state,
            &[expr.to_string()],
            &IndicesOptions::strict_expand_open_forbid_closed(),
        )?;
        match indices.len() {
            0 => Err(EsError::index_not_found(expr)),
            1 => Ok(indices[0].clone()),
            _ => Err(EsError::illegal_argument(format!(
                "alias [{expr}] has more than one index associated with it [{}], can't execute a single index op",
                indices.join(", ")
            ))),
        }
    }

    /// The shard holding `id` in `index` for a read.
    pub fn route_read(
        &self,
        index: &str,
        id: &str,
        routing: Option<&str>,
    ) -> Result<std::sync::Arc<quarry_index::IndexShard>, EsError> {
        self.check_no_master_block(crate::no_master_block::BlockLevel::Read)?;
        let state = self.state();
        let meta = state
            .index(index)
            .ok_or_else(|| EsError::index_not_found(index))?;
        if !meta.is_open() {
            return Err(EsError::index_closed(index));
        }
        let n = quarry_cluster::operation_routing::shard_for_document(meta, id, routing)?;
        self.indices().shard(index, n).ok_or_else(|| {
            EsError::new(
                "no_shard_available_action_exception",
                503,
                format!("No shard available for [get [{index}][{id}]]"),
            )
        })
    }
}

#[cfg(test)]
mod auto_id_tests {
    #[test]
    fn auto_ids_are_20_url_safe_chars_and_unique() {
        let ids: std::collections::HashSet<String> =
            (0..10_000).map(|_| super::auto_id()).collect();
        assert_eq!(ids.len(), 10_000);
        assert!(ids.iter().all(|i| i.len() == 20
            && i.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')));
    }
}
