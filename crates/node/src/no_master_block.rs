//! `cluster.no_master_block`: what a node refuses while it has no live master (Elasticsearch's
//! `NoMasterBlockService`). A node of a partitioned minority keeps its last cluster state but
//! must not accept writes that no master can order; reads follow the setting.
//!
//! ```text
//!  setting          write  metadata_write  read
//!  write (default)   503        503         ok
//!  metadata_write     ok        503         ok
//!  all               503        503         503
//! ```
//!
//! The decision ([`NoMasterBlock::blocks`]) is pure; [`Node::check_no_master_block`] asks the
//! master service whether a master is live. Owns the setting and the error; must not know the
//! transport or Raft.

use crate::Node;
use quarry_types::EsError;

/// The setting's key.
pub const NO_MASTER_BLOCK_SETTING: &str = "cluster.no_master_block";

/// The value of `cluster.no_master_block`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoMasterBlock {
    /// Document writes and metadata writes are refused (the default).
    #[default]
    Write,
    /// Only metadata writes (index creation, mappings, settings) are refused.
    MetadataWrite,
    /// Every read and write is refused.
    All,
}

/// The kind of operation a request performs, as Elasticsearch's `ClusterBlockLevel`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockLevel {
    Read,
    Write,
    MetadataWrite,
}

impl NoMasterBlock {
    /// Parses the setting; the error names the key and the accepted values.
    pub fn parse(value: &str) -> Result<NoMasterBlock, EsError> {
        match value {
            "write" => Ok(NoMasterBlock::Write),
            "metadata_write" => Ok(NoMasterBlock::MetadataWrite),
            "all" => Ok(NoMasterBlock::All),
            other => Err(EsError::illegal_argument(format!(
                "invalid no-master block [{other}], must be one of [all, write, metadata_write]"
            ))),
        }
    }

    /// Whether an operation of `level` is refused while there is no master.
    pub fn blocks(self, level: BlockLevel) -> bool {
        match self {
            NoMasterBlock::All => true,
            NoMasterBlock::Write => level != BlockLevel::Read,
            NoMasterBlock::MetadataWrite => level == BlockLevel::MetadataWrite,
        }
    }
}

/// The error Elasticsearch answers with: 503 `cluster_block_exception`.
pub fn no_master_block_error() -> EsError {
    EsError::cluster_block("blocked by: [SERVICE_UNAVAILABLE/2/no master];", 503)
}

impl Node {
    /// The effective `cluster.no_master_block`: transient, then persistent cluster settings,
    /// then the node's settings (validated at start-up), else `write`.
    pub fn no_master_block(&self) -> NoMasterBlock {
        let state = self.state();
        let value = state
            .metadata
            .transient_settings
            .get_str(NO_MASTER_BLOCK_SETTING)
            .or_else(|| {
                state
                    .metadata
                    .persistent_settings
                    .get_str(NO_MASTER_BLOCK_SETTING)
            })
            .or_else(|| self.config.settings.get_str(NO_MASTER_BLOCK_SETTING));
        value
            .and_then(|v| NoMasterBlock::parse(&v).ok())
            .unwrap_or_default()
    }

    /// Fails with the no-master block when this node has no live master and the setting
    /// blocks operations of `level`. Always passes in single-node mode.
    pub fn check_no_master_block(&self, level: BlockLevel) -> Result<(), EsError> {
        if self.master.has_active_master() || !self.no_master_block().blocks(level) {
            return Ok(());
        }
        Err(no_master_block_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_decides_which_levels_are_blocked() {
        use BlockLevel::*;
        let write = NoMasterBlock::parse("write").unwrap();
        assert!(write.blocks(Write) && write.blocks(MetadataWrite) && !write.blocks(Read));
        let meta = NoMasterBlock::parse("metadata_write").unwrap();
        assert!(!meta.blocks(Write) && meta.blocks(MetadataWrite) && !meta.blocks(Read));
        let all = NoMasterBlock::parse("all").unwrap();
        assert!(all.blocks(Write) && all.blocks(MetadataWrite) && all.blocks(Read));
        assert_eq!(NoMasterBlock::default(), write);
    }

    #[test]
    fn unknown_values_are_rejected_and_the_error_is_elasticsearch_shaped() {
        let e = NoMasterBlock::parse("none").unwrap_err();
        assert_eq!(e.error_type, "illegal_argument_exception");
        assert!(e.reason.contains("[none]"), "{}", e.reason);
        let block = no_master_block_error();
        assert_eq!(block.error_type, "cluster_block_exception");
        assert_eq!(block.status, 503);
        assert_eq!(
            block.reason,
            "blocked by: [SERVICE_UNAVAILABLE/2/no master];"
        );
    }
}
