//! Sequence-number bookkeeping of one shard copy (`LocalCheckpointTracker` in Elasticsearch):
//! hands out sequence numbers on a primary and computes the local checkpoint, the highest
//! sequence number below which every operation has been processed, even when operations
//! complete out of order.
//!
//! Owns: the tracker, pure in-memory state. Must not do I/O or know about tantivy.

use quarry_types::{SeqNo, NO_OPS_PERFORMED};
use std::collections::BTreeSet;

/// Tracks `max_seq_no` and the processed (local) checkpoint, with gaps.
#[derive(Debug, Clone)]
pub struct LocalCheckpointTracker {
    next_seq_no: SeqNo,
    max_seq_no: SeqNo,
    processed_checkpoint: SeqNo,
    /// Processed sequence numbers above the checkpoint (there is a gap below each of them).
    processed_above_checkpoint: BTreeSet<SeqNo>,
}

impl Default for LocalCheckpointTracker {
    fn default() -> Self {
        LocalCheckpointTracker::new(NO_OPS_PERFORMED, NO_OPS_PERFORMED)
    }
}

impl LocalCheckpointTracker {
    /// A tracker resuming from a commit: everything up to `local_checkpoint` is processed and
    /// `max_seq_no` is the highest number seen.
    pub fn new(max_seq_no: SeqNo, local_checkpoint: SeqNo) -> Self {
        let max_seq_no = max_seq_no.max(local_checkpoint);
        LocalCheckpointTracker {
            next_seq_no: max_seq_no + 1,
            max_seq_no,
            processed_checkpoint: local_checkpoint,
            processed_above_checkpoint: BTreeSet::new(),
        }
    }

    /// Assigns the next sequence number (primary only).
    pub fn generate_seq_no(&mut self) -> SeqNo {
        let seq_no = self.next_seq_no;
        self.next_seq_no += 1;
        self.max_seq_no = self.max_seq_no.max(seq_no);
        seq_no
    }

    /// Records that an operation with `seq_no` exists (replica or recovery: the number was
    /// assigned elsewhere), so the next generated number is above it.
    pub fn advance_max_seq_no(&mut self, seq_no: SeqNo) {
        self.max_seq_no = self.max_seq_no.max(seq_no);
        self.next_seq_no = self.next_seq_no.max(seq_no + 1);
    }

    /// Marks one operation as fully processed and advances the checkpoint over filled gaps.
    pub fn mark_processed(&mut self, seq_no: SeqNo) {
        self.advance_max_seq_no(seq_no);
        if seq_no <= self.processed_checkpoint {
            return;
        }
        self.processed_above_checkpoint.insert(seq_no);
        while self
            .processed_above_checkpoint
            .remove(&(self.processed_checkpoint + 1))
        {
            self.processed_checkpoint += 1;
        }
    }

    pub fn processed_checkpoint(&self) -> SeqNo {
        self.processed_checkpoint
    }

    pub fn max_seq_no(&self) -> SeqNo {
        self.max_seq_no
    }

    /// Whether `seq_no` has been processed.
    pub fn has_processed(&self, seq_no: SeqNo) -> bool {
        seq_no <= self.processed_checkpoint || self.processed_above_checkpoint.contains(&seq_no)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkpoint_waits_for_gaps() {
        let mut t = LocalCheckpointTracker::default();
        let a = t.generate_seq_no();
        let b = t.generate_seq_no();
        let c = t.generate_seq_no();
        assert_eq!((a, b, c), (0, 1, 2));
        t.mark_processed(c);
        assert_eq!(t.processed_checkpoint(), -1);
        t.mark_processed(a);
        assert_eq!(t.processed_checkpoint(), 0);
        assert!(t.has_processed(c) && !t.has_processed(b));
        t.mark_processed(b);
        assert_eq!(t.processed_checkpoint(), 2);
        assert_eq!(t.max_seq_no(), 2);
    }

    #[test]
    fn resumes_from_commit_and_follows_replicated_numbers() {
        let mut t = LocalCheckpointTracker::new(9, 9);
        assert_eq!(t.generate_seq_no(), 10);
        t.mark_processed(15);
        assert_eq!(t.max_seq_no(), 15);
        assert_eq!(t.generate_seq_no(), 16);
        assert_eq!(t.processed_checkpoint(), 9);
    }
}
