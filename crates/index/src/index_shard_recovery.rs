//! Recovery of a shard from its translog: re-applying logged operations above the committed
//! checkpoint through the normal apply path, without logging them again.
//!
//! Owns: replay of one operation. Must not write the translog.

use super::{IndexShard, WriteState};
use crate::layout::DocumentBuilder;
use crate::translog::TranslogOperation;
use quarry_types::EsError;
use std::sync::Arc;

impl IndexShard {
    /// Re-applies one translog operation during recovery (not logged again).
    pub(super) fn replay_operation(
        &self,
        w: &mut WriteState,
        op: TranslogOperation,
    ) -> Result<(), EsError> {
        if w.tracker.has_processed(op.seq_no()) {
            return Ok(());
        }
        match op {
            TranslogOperation::Index {
                id,
                routing,
                source,
                seq_no,
                primary_term,
                version,
            } => {
                let builder = match self.parse_document(&id, &source) {
                    Ok(parsed) => {
                        if let Some(update) = &parsed.dynamic_update {
                            if let Err(e) = self.mapping.write().merge(update) {
                                tracing::warn!(%id, error = %e, "mapping update of a replayed operation conflicts");
                            }
                        }
                        parsed.builder
                    }
                    Err(e) => {
                        // It was accepted before; keep it retrievable even if the mapping changed.
                        tracing::warn!(%id, error = %e, "replayed document no longer parses; indexing metadata only");
                        DocumentBuilder::new()
                    }
                };
                self.apply_index(
                    w,
                    &id,
                    routing,
                    Arc::from(source),
                    seq_no,
                    primary_term,
                    version,
                    builder,
                    false,
                )?;
            }
            TranslogOperation::Delete {
                id,
                seq_no,
                primary_term,
                version,
            } => {
                self.apply_delete(w, &id, seq_no, primary_term, version);
            }
            TranslogOperation::NoOp { seq_no, .. } => w.tracker.mark_processed(seq_no),
        }
        Ok(())
    }
}
