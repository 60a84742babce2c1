//! The operations a shard accepts and what it answers, as plain values (Elasticsearch's
//! `Engine.Index`/`Engine.Delete`/`Engine.IndexResult`...), plus the pure version-conflict rules
//! of a primary: `op_type=create`, `if_seq_no`/`if_primary_term`, external versions.
//!
//! Owns: operation and result types, conflict decisions and their messages. Must not do I/O.

use quarry_types::{SeqNo, ShardId};
use std::path::PathBuf;

/// Everything a shard needs to open.
#[derive(Debug, Clone)]
pub struct ShardConfig {
    pub shard_id: ShardId,
    pub index_uuid: String,
    pub path: PathBuf,
    /// Full flat index settings (`index.analysis.*`, `index.translog.durability`...).
    pub settings: quarry_types::Settings,
    pub mapping: quarry_types::Mapping,
    pub primary_term: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpType {
    Index,
    Create,
}

/// Optimistic concurrency control requested with a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionCheck {
    None,
    IfSeqNo {
        seq_no: SeqNo,
        primary_term: u64,
    },
    /// `version_type=external` (`gte: false`) or `external_gte`.
    External {
        version: i64,
        gte: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexOperation {
    pub id: String,
    pub routing: Option<String>,
    pub source: Vec<u8>,
    pub op_type: OpType,
    pub version_check: VersionCheck,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteOperation {
    pub id: String,
    pub routing: Option<String>,
    pub version_check: VersionCheck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexResult {
    pub seq_no: SeqNo,
    pub primary_term: u64,
    pub version: i64,
    /// `result: created` (else `updated`).
    pub created: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeleteResult {
    pub seq_no: SeqNo,
    pub primary_term: u64,
    pub version: i64,
    /// `result: deleted` (else `not_found`).
    pub found: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GetResult {
    pub id: String,
    pub routing: Option<String>,
    pub source: Vec<u8>,
    pub seq_no: SeqNo,
    pub primary_term: u64,
    pub version: i64,
}

/// The current state of a document id as version checks see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentVersion {
    pub seq_no: SeqNo,
    pub primary_term: u64,
    pub version: i64,
    /// A recent delete tombstone.
    pub deleted: bool,
}

/// Decides the version of an index operation on a primary: `Ok((version, created))`, or the
/// conflict reason (without the `[id]: ` prefix).
pub fn resolve_index_version(
    current: Option<CurrentVersion>,
    op_type: OpType,
    check: VersionCheck,
) -> Result<(i64, bool), String> {
    let live = current.filter(|c| !c.deleted);
    if op_type == OpType::Create {
        if let Some(c) = live {
            return Err(format!(
                "version conflict, document already exists (current version [{}])",
                c.version
            ));
        }
    }
    check_seq_no(live, check)?;
    let version = match check {
        VersionCheck::External { version, gte } => {
            check_external(current, version, gte)?;
            version
        }
        _ => current.map(|c| c.version + 1).unwrap_or(1),
    };
    Ok((version, live.is_none()))
}

/// Decides the version of a delete on a primary: `Ok((version, found))` or the conflict reason.
pub fn resolve_delete_version(
    current: Option<CurrentVersion>,
    check: VersionCheck,
) -> Result<(i64, bool), String> {
    let live = current.filter(|c| !c.deleted);
    check_seq_no(live, check)?;
    let version = match check {
        VersionCheck::External { version, gte } => {
            check_external(current, version, gte)?;
            version
        }
        _ => current.map(|c| c.version + 1).unwrap_or(1),
    };
    Ok((version, live.is_some()))
}

fn check_seq_no(live: Option<CurrentVersion>, check: VersionCheck) -> Result<(), String> {
    let VersionCheck::IfSeqNo {
        seq_no,
        primary_term,
    } = check
    else {
        return Ok(());
    };
    match live {
        None => Err(format!(
            "version conflict, required seqNo [{seq_no}], primary term [{primary_term}]. but no document was found"
        )),
        Some(c) if c.seq_no != seq_no || c.primary_term != primary_term => Err(format!(
            "version conflict, required seqNo [{seq_no}], primary term [{primary_term}]. current document has seqNo [{}] and primary term [{}]",
            c.seq_no, c.primary_term
        )),
        Some(_) => Ok(()),
    }
}

fn check_external(current: Option<CurrentVersion>, version: i64, gte: bool) -> Result<(), String> {
    let Some(c) = current else { return Ok(()) };
    if gte && c.version > version {
        return Err(format!(
            "version conflict, current version [{}] is higher than the one provided [{version}]",
            c.version
        ));
    }
    if !gte && c.version >= version {
        return Err(format!(
            "version conflict, current version [{}] is higher or equal to the one provided [{version}]",
            c.version
        ));
    }
    Ok(())
}

/// Counters and figures of one shard (`_stats`, `_cat/shards`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ShardStats {
    pub docs_count: u64,
    pub docs_deleted: u64,
    pub store_size_bytes: u64,
    pub segments_count: u64,
    pub index_total: u64,
    pub index_time_ms: u64,
    pub index_current: u64,
    pub index_failed: u64,
    pub delete_total: u64,
    pub delete_time_ms: u64,
    pub get_total: u64,
    pub refresh_total: u64,
    pub flush_total: u64,
    pub merge_total: u64,
    pub translog_operations: u64,
    pub translog_size_bytes: u64,
    pub max_seq_no: SeqNo,
    pub local_checkpoint: SeqNo,
    pub global_checkpoint: SeqNo,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(seq_no: SeqNo, version: i64, deleted: bool) -> Option<CurrentVersion> {
        Some(CurrentVersion {
            seq_no,
            primary_term: 1,
            version,
            deleted,
        })
    }

    #[test]
    fn internal_versions_and_create() {
        assert_eq!(
            resolve_index_version(None, OpType::Index, VersionCheck::None),
            Ok((1, true))
        );
        assert_eq!(
            resolve_index_version(cur(3, 2, false), OpType::Index, VersionCheck::None),
            Ok((3, false))
        );
        assert_eq!(
            resolve_index_version(cur(3, 2, true), OpType::Create, VersionCheck::None),
            Ok((3, true))
        );
        assert_eq!(
            resolve_index_version(cur(3, 1, false), OpType::Create, VersionCheck::None),
            Err("version conflict, document already exists (current version [1])".into())
        );
        assert_eq!(
            resolve_delete_version(None, VersionCheck::None),
            Ok((1, false))
        );
        assert_eq!(
            resolve_delete_version(cur(0, 4, false), VersionCheck::None),
            Ok((5, true))
        );
    }

    #[test]
    fn if_seq_no_and_external() {
        let check = VersionCheck::IfSeqNo {
            seq_no: 5,
            primary_term: 1,
        };
        assert_eq!(
            resolve_index_version(cur(6, 2, false), OpType::Index, check),
            Err("version conflict, required seqNo [5], primary term [1]. current document has seqNo [6] and primary term [1]".into())
        );
        assert_eq!(
            resolve_delete_version(None, check),
            Err(
                "version conflict, required seqNo [5], primary term [1]. but no document was found"
                    .into()
            )
        );
        assert_eq!(
            resolve_index_version(cur(5, 2, false), OpType::Index, check),
            Ok((3, false))
        );
        let ext = VersionCheck::External {
            version: 3,
            gte: false,
        };
        assert_eq!(
            resolve_index_version(cur(0, 5, false), OpType::Index, ext),
            Err(
                "version conflict, current version [5] is higher or equal to the one provided [3]"
                    .into()
            )
        );
        assert_eq!(
            resolve_index_version(None, OpType::Index, ext),
            Ok((3, true))
        );
        let gte = VersionCheck::External {
            version: 5,
            gte: true,
        };
        assert_eq!(
            resolve_index_version(cur(0, 5, false), OpType::Index, gte),
            Ok((5, false))
        );
    }
}
