//! The durable, checksummed, append-only file behind the Raft log (`<path.data>/_state/raft/`).
//!
//! ```text
//! raft.log := record*
//! record   := len:u32le crc32c(payload):u32le payload[len]     payload = postcard(LogRecord)
//! ```
//!
//! Every change to the log (a vote, appended entries, a truncation, a purge, the committed
//! id) is one record; replaying the records in order rebuilds the log. A torn or corrupt
//! tail (a crash in the middle of a write) is cut off on open: the records before it were
//! fsynced before anyone was told they were durable, the torn ones never were. When most
//! records are dead the file is rewritten (temp file, fsync, rename, fsync directory).
//!
//! Owns: the file format and fsync discipline. Synchronous: callers run it on the blocking
//! pool. Must not know about openraft's traits (that is `log_store`).

use crate::coordination::type_config::{RaftEntry, RaftLogId, RaftVote};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

const LOG_FILE_NAME: &str = "raft.log";
const TEMP_FILE_NAME: &str = "raft.log.tmp";
const HEADER_LEN: usize = 8;
/// Larger lengths can only come from a corrupt header (a cluster-state command is far smaller).
const MAX_RECORD_LEN: usize = 256 * 1024 * 1024;

/// One change to the Raft log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum LogRecord {
    Vote(RaftVote),
    Committed(Option<RaftLogId>),
    Append(Box<RaftEntry>),
    /// Deletes the entries at `since` and after.
    Truncate {
        since: u64,
    },
    /// Deletes the entries up to and including this id.
    Purge(RaftLogId),
}

/// The open log file.
pub(crate) struct LogFile {
    dir: PathBuf,
    file: File,
    record_count: u64,
}

impl LogFile {
    /// Opens (or creates) the log in `dir` and returns it with the records it holds, cutting
    /// off a torn tail.
    pub(crate) fn open(dir: &Path) -> io::Result<(LogFile, Vec<LogRecord>)> {
        fs::create_dir_all(dir)?;
        let temp = dir.join(TEMP_FILE_NAME);
        if temp.exists() {
            // A rewrite that crashed before its rename: the old file is still complete.
            fs::remove_file(&temp)?;
        }
        let path = dir.join(LOG_FILE_NAME);
        let created = !path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        if created {
            file.sync_all()?;
            sync_dir(dir)?;
        }
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        let (records, valid_len) = decode_records(&bytes);
        if valid_len < bytes.len() {
            tracing::warn!(
                path = %path.display(),
                valid_len,
                file_len = bytes.len(),
                "raft log has a torn or corrupt tail; truncating it"
            );
            file.set_len(valid_len as u64)?;
            file.sync_all()?;
        }
        let record_count = records.len() as u64;
        Ok((
            LogFile {
                dir: dir.to_path_buf(),
                file,
                record_count,
            },
            records,
        ))
    }

    /// Appends `records`; when `sync` is set they are on disk when this returns.
    pub(crate) fn append(&mut self, records: &[LogRecord], sync: bool) -> io::Result<()> {
        let mut buf = Vec::new();
        for record in records {
            encode_record(record, &mut buf)?;
        }
        self.file.write_all(&buf)?;
        if sync {
            self.file.sync_data()?;
        }
        self.record_count += records.len() as u64;
        Ok(())
    }

    /// Replaces the whole file with `records` (atomically: temp file, fsync, rename).
    pub(crate) fn rewrite(&mut self, records: &[LogRecord]) -> io::Result<()> {
        let mut buf = Vec::new();
        for record in records {
            encode_record(record, &mut buf)?;
        }
        let temp = self.dir.join(TEMP_FILE_NAME);
        let path = self.dir.join(LOG_FILE_NAME);
        {
            let mut out = File::create(&temp)?;
            out.write_all(&buf)?;
            out.sync_all()?;
        }
        fs::rename(&temp, &path)?;
        sync_dir(&self.dir)?;
        self.file = OpenOptions::new().read(true).append(true).open(&path)?;
        self.record_count = records.len() as u64;
        Ok(())
    }

    /// How many records the file holds (live or dead).
    pub(crate) fn record_count(&self) -> u64 {
        self.record_count
    }
}

fn encode_record(record: &LogRecord, buf: &mut Vec<u8>) -> io::Result<()> {
    let payload = postcard::to_stdvec(record).map_err(io::Error::other)?;
    let len = u32::try_from(payload.len())
        .ok()
        .filter(|l| (*l as usize) <= MAX_RECORD_LEN)
        .ok_or_else(|| io::Error::other("raft log record too large"))?;
    buf.extend_from_slice(&len.to_le_bytes());
    buf.extend_from_slice(&crc32c::crc32c(&payload).to_le_bytes());
    buf.extend_from_slice(&payload);
    Ok(())
}

/// Decodes records up to the first incomplete or corrupt one; returns them and the length of
/// the valid prefix.
fn decode_records(bytes: &[u8]) -> (Vec<LogRecord>, usize) {
    let mut records = Vec::new();
    let mut offset = 0;
    while bytes.len() - offset >= HEADER_LEN {
        let header = &bytes[offset..offset + HEADER_LEN];
        let len = u32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let crc = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
        let start = offset + HEADER_LEN;
        if len > MAX_RECORD_LEN || bytes.len() - start < len {
            break;
        }
        let payload = &bytes[start..start + len];
        if crc32c::crc32c(payload) != crc {
            break;
        }
        match postcard::from_bytes::<LogRecord>(payload) {
            Ok(record) => records.push(record),
            Err(_) => break,
        }
        offset = start + len;
    }
    (records, offset)
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    // Directories can be opened and fsynced on Unix; elsewhere this is best effort.
    match File::open(dir) {
        Ok(d) => d.sync_all().or(Ok(())),
        Err(_) => Ok(()),
    }
}
