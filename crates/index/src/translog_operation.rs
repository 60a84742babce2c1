//! The translog's record payloads: how an index, delete or no-op operation is encoded to bytes
//! and decoded back (little-endian fields, length-prefixed strings). Framing and checksums are
//! the translog's.
//!
//! Owns: the operation type and its byte encoding. Must not do I/O.

use quarry_types::SeqNo;

/// One logged operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TranslogOperation {
    Index {
        id: String,
        routing: Option<String>,
        source: Vec<u8>,
        seq_no: SeqNo,
        primary_term: u64,
        version: i64,
    },
    Delete {
        id: String,
        seq_no: SeqNo,
        primary_term: u64,
        version: i64,
    },
    NoOp {
        seq_no: SeqNo,
        primary_term: u64,
        reason: String,
    },
}

impl TranslogOperation {
    pub fn seq_no(&self) -> SeqNo {
        match self {
            TranslogOperation::Index { seq_no, .. }
            | TranslogOperation::Delete { seq_no, .. }
            | TranslogOperation::NoOp { seq_no, .. } => *seq_no,
        }
    }

    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        match self {
            TranslogOperation::Index {
                id,
                routing,
                source,
                seq_no,
                primary_term,
                version,
            } => {
                out.push(1);
                put_header(&mut out, *seq_no, *primary_term, *version);
                put_bytes(&mut out, id.as_bytes());
                match routing {
                    Some(r) => {
                        out.push(1);
                        put_bytes(&mut out, r.as_bytes());
                    }
                    None => out.push(0),
                }
                put_bytes(&mut out, source);
            }
            TranslogOperation::Delete {
                id,
                seq_no,
                primary_term,
                version,
            } => {
                out.push(2);
                put_header(&mut out, *seq_no, *primary_term, *version);
                put_bytes(&mut out, id.as_bytes());
            }
            TranslogOperation::NoOp {
                seq_no,
                primary_term,
                reason,
            } => {
                out.push(3);
                put_header(&mut out, *seq_no, *primary_term, 0);
                put_bytes(&mut out, reason.as_bytes());
            }
        }
        out
    }

    pub(crate) fn decode(payload: &[u8]) -> Option<TranslogOperation> {
        let mut r = Reader {
            buf: payload,
            pos: 0,
        };
        let kind = r.u8()?;
        let seq_no = r.u64()? as i64;
        let primary_term = r.u64()?;
        let version = r.u64()? as i64;
        let op = match kind {
            1 => {
                let id = r.string()?;
                let routing = match r.u8()? {
                    0 => None,
                    1 => Some(r.string()?),
                    _ => return None,
                };
                let source = r.bytes()?.to_vec();
                TranslogOperation::Index {
                    id,
                    routing,
                    source,
                    seq_no,
                    primary_term,
                    version,
                }
            }
            2 => TranslogOperation::Delete {
                id: r.string()?,
                seq_no,
                primary_term,
                version,
            },
            3 => TranslogOperation::NoOp {
                seq_no,
                primary_term,
                reason: r.string()?,
            },
            _ => return None,
        };
        (r.pos == payload.len()).then_some(op)
    }
}

fn put_header(out: &mut Vec<u8>, seq_no: i64, primary_term: u64, version: i64) {
    out.extend_from_slice(&(seq_no as u64).to_le_bytes());
    out.extend_from_slice(&primary_term.to_le_bytes());
    out.extend_from_slice(&(version as u64).to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn u64(&mut self) -> Option<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Some(u64::from_le_bytes(a))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn string(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?.to_vec()).ok()
    }
}
