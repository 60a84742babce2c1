//! The translog: an append-only, checksummed log of every operation a shard accepted, so that an
//! acknowledged write survives a crash before tantivy commits it (Elasticsearch's `Translog`).
//!
//! ```text
//!   <shard>/translog/translog-<generation>.tlog   records: [len u32][crc32c u32][payload]
//!   <shard>/translog/translog.ckp                 {"min_generation":N,"generation":G}
//! ```
//!
//! Every open starts a new generation, so a file is never appended to after a crash. Reading stops
//! at the first torn or corrupt record of the newest file and truncates it there; corruption in an
//! older generation is an error. `trim_below` drops generations whose operations are all covered
//! by a durable commit (flush).
//!
//! Owns: the file format and durability. Must not know about tantivy, mappings or versions.

use crate::error::{EngineResult, IndexError};
pub use crate::translog_operation::TranslogOperation;
use quarry_types::{SeqNo, Settings, NO_OPS_PERFORMED};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const CHECKPOINT_FILE: &str = "translog.ckp";
const MAX_RECORD_LEN: usize = 1 << 30;
const HEADER_LEN: usize = 8;

/// `index.translog.durability`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync before acknowledging every request (the default).
    Request,
    /// fsync on a timer (`index.translog.sync_interval`), driven by the caller through `sync()`.
    Async,
}

impl Durability {
    pub fn from_settings(settings: &Settings) -> Durability {
        match settings.get_str("index.translog.durability").as_deref() {
            Some(s) if s.eq_ignore_ascii_case("async") => Durability::Async,
            _ => Durability::Request,
        }
    }
}

/// Operation count and size of the retained generations (`_stats` `translog`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TranslogStats {
    pub operations: u64,
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Copy, Default)]
struct GenerationInfo {
    operations: u64,
    size_bytes: u64,
    max_seq_no: SeqNo,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    min_generation: u64,
    generation: u64,
}

/// The open translog of one shard.
#[derive(Debug)]
pub struct Translog {
    dir: PathBuf,
    durability: Durability,
    generation: u64,
    file: File,
    /// Records appended but not yet written to `file` (written at `sync`, at a roll, or when
    /// it passes [`WRITE_BUFFER_BYTES`]); an operation is durable only after `sync`.
    buffer: Vec<u8>,
    dirty: bool,
    generations: BTreeMap<u64, GenerationInfo>,
}

/// Size at which buffered records are written out without waiting for a sync.
const WRITE_BUFFER_BYTES: usize = 1 << 20;

impl Drop for Translog {
    /// Writes buffered records on close (best effort; `async` durability may lose them on a
    /// crash anyway, `request` durability has synced them before acknowledging).
    fn drop(&mut self) {
        let _ = self.write_buffer();
    }
}

impl Translog {
    /// Opens (or creates) the translog in `dir`, returning the operations whose sequence number is
    /// above `committed_checkpoint` (to replay), in log order.
    pub fn open(
        dir: &Path,
        durability: Durability,
        committed_checkpoint: SeqNo,
    ) -> EngineResult<(Translog, Vec<TranslogOperation>)> {
        fs::create_dir_all(dir)
            .map_err(|e| IndexError::io(format!("creating {}", dir.display()), e))?;
        let checkpoint = read_checkpoint(dir)?;
        let min_generation = checkpoint.as_ref().map(|c| c.min_generation).unwrap_or(1);
        let mut on_disk = list_generations(dir)?;
        // Generations below the checkpoint's minimum were trimmed but maybe not yet deleted.
        for generation in on_disk.iter().filter(|g| **g < min_generation) {
            let _ = fs::remove_file(generation_path(dir, *generation));
        }
        on_disk.retain(|g| *g >= min_generation);
        let newest = on_disk.last().copied();
        let mut generations = BTreeMap::new();
        let mut replay = Vec::new();
        for generation in &on_disk {
            let path = generation_path(dir, *generation);
            let (ops, valid_len, file_len) = read_generation(&path)?;
            if valid_len != file_len {
                if Some(*generation) != newest {
                    return Err(IndexError::TranslogCorrupted(format!(
                        "corrupted record at offset [{valid_len}] of [{}]",
                        path.display()
                    )));
                }
                tracing::warn!(path = %path.display(), valid_len, file_len, "truncating torn translog tail");
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| IndexError::io("opening translog", e))?;
                f.set_len(valid_len)
                    .map_err(|e| IndexError::io("truncating translog", e))?;
                f.sync_all()
                    .map_err(|e| IndexError::io("syncing translog", e))?;
            }
            let info = GenerationInfo {
                operations: ops.len() as u64,
                size_bytes: valid_len,
                max_seq_no: ops
                    .iter()
                    .map(TranslogOperation::seq_no)
                    .max()
                    .unwrap_or(NO_OPS_PERFORMED),
            };
            generations.insert(*generation, info);
            replay.extend(
                ops.into_iter()
                    .filter(|op| op.seq_no() > committed_checkpoint),
            );
        }
        let last_known = checkpoint
            .map(|c| c.generation)
            .unwrap_or(0)
            .max(newest.unwrap_or(0));
        let generation = last_known + 1;
        let file = create_generation(dir, generation)?;
        generations.insert(
            generation,
            GenerationInfo {
                max_seq_no: NO_OPS_PERFORMED,
                ..Default::default()
            },
        );
        let min_generation = *generations.keys().next().unwrap_or(&generation);
        write_checkpoint(
            dir,
            &Checkpoint {
                min_generation,
                generation,
            },
        )?;
        let translog = Translog {
            dir: dir.to_path_buf(),
            durability,
            generation,
            file,
            buffer: Vec::new(),
            dirty: false,
            generations,
        };
        Ok((translog, replay))
    }

    /// Appends one operation; with `Durability::Request` it is on disk when this returns.
    pub fn add(&mut self, op: &TranslogOperation) -> EngineResult<()> {
        self.add_deferred(op)?;
        if self.durability == Durability::Request {
            self.sync()?;
        }
        Ok(())
    }

    /// Appends one operation without fsyncing: the caller calls [`Translog::sync`] before it
    /// acknowledges (one fsync for a whole shard-level bulk request).
    pub fn add_deferred(&mut self, op: &TranslogOperation) -> EngineResult<()> {
        let payload = op.encode();
        let record_len = HEADER_LEN + payload.len();
        self.buffer
            .extend_from_slice(&(payload.len() as u32).to_le_bytes());
        self.buffer
            .extend_from_slice(&crc32c::crc32c(&payload).to_le_bytes());
        self.buffer.extend_from_slice(&payload);
        if self.buffer.len() >= WRITE_BUFFER_BYTES {
            self.write_buffer()?;
        }
        let info = self.generations.entry(self.generation).or_default();
        info.operations += 1;
        info.size_bytes += record_len as u64;
        info.max_seq_no = info.max_seq_no.max(op.seq_no());
        self.dirty = true;
        Ok(())
    }

    /// Writes the buffered records to the current generation file (no fsync).
    fn write_buffer(&mut self) -> EngineResult<()> {
        if !self.buffer.is_empty() {
            let result = self.file.write_all(&self.buffer);
            self.buffer.clear();
            result.map_err(|e| IndexError::io("writing translog", e))?;
        }
        Ok(())
    }

    /// Writes and fsyncs everything appended so far (no-op when nothing is pending).
    pub fn sync(&mut self) -> EngineResult<()> {
        self.write_buffer()?;
        if self.dirty {
            self.file
                .sync_data()
                .map_err(|e| IndexError::io("syncing translog", e))?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Starts a new generation file; later operations go there. Returns the new generation.
    pub fn roll_generation(&mut self) -> EngineResult<u64> {
        self.sync()?;
        let next = self.generation + 1;
        let file = create_generation(&self.dir, next)?;
        self.file = file;
        self.generation = next;
        self.generations.insert(
            next,
            GenerationInfo {
                max_seq_no: NO_OPS_PERFORMED,
                ..Default::default()
            },
        );
        self.write_checkpoint()?;
        Ok(next)
    }

    /// Deletes the older generations whose operations all have `seq_no <= committed_seq_no`
    /// (they are in a durable commit). The current generation is never deleted.
    pub fn trim_below(&mut self, committed_seq_no: SeqNo) -> EngineResult<()> {
        let removable: Vec<u64> = self
            .generations
            .iter()
            .take_while(|(g, info)| **g < self.generation && info.max_seq_no <= committed_seq_no)
            .map(|(g, _)| *g)
            .collect();
        if removable.is_empty() {
            return Ok(());
        }
        for g in &removable {
            self.generations.remove(g);
        }
        // The checkpoint first: a crash after it only leaves files that the next open deletes.
        self.write_checkpoint()?;
        for g in removable {
            let _ = fs::remove_file(generation_path(&self.dir, g));
        }
        Ok(())
    }

    /// Whether no operation was written to the current generation yet.
    pub fn current_generation_is_empty(&self) -> bool {
        self.generations
            .get(&self.generation)
            .is_none_or(|g| g.operations == 0)
    }

    pub fn current_generation(&self) -> u64 {
        self.generation
    }

    pub fn durability(&self) -> Durability {
        self.durability
    }

    pub fn stats(&self) -> TranslogStats {
        self.generations
            .values()
            .fold(TranslogStats::default(), |acc, g| TranslogStats {
                operations: acc.operations + g.operations,
                size_bytes: acc.size_bytes + g.size_bytes,
            })
    }

    fn write_checkpoint(&self) -> EngineResult<()> {
        let min_generation = *self.generations.keys().next().unwrap_or(&self.generation);
        write_checkpoint(
            &self.dir,
            &Checkpoint {
                min_generation,
                generation: self.generation,
            },
        )
    }
}

fn generation_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("translog-{generation}.tlog"))
}

fn list_generations(dir: &Path) -> EngineResult<Vec<u64>> {
    let mut out = Vec::new();
    let entries = fs::read_dir(dir).map_err(|e| IndexError::io("listing translog", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| IndexError::io("listing translog", e))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if let Some(g) = name
            .strip_prefix("translog-")
            .and_then(|s| s.strip_suffix(".tlog"))
        {
            if let Ok(g) = g.parse::<u64>() {
                out.push(g);
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Reads the valid records of one file: (operations, length of the valid prefix, file length).
fn read_generation(path: &Path) -> EngineResult<(Vec<TranslogOperation>, u64, u64)> {
    let mut data = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut data))
        .map_err(|e| IndexError::io(format!("reading {}", path.display()), e))?;
    let mut ops = Vec::new();
    let mut pos = 0usize;
    while pos + HEADER_LEN <= data.len() {
        let len =
            u32::from_le_bytes([data[pos], data[pos + 1], data[pos + 2], data[pos + 3]]) as usize;
        let crc = u32::from_le_bytes([data[pos + 4], data[pos + 5], data[pos + 6], data[pos + 7]]);
        let start = pos + HEADER_LEN;
        if len > MAX_RECORD_LEN || start + len > data.len() {
            break;
        }
        let payload = &data[start..start + len];
        if crc32c::crc32c(payload) != crc {
            break;
        }
        match TranslogOperation::decode(payload) {
            Some(op) => ops.push(op),
            None => break,
        }
        pos = start + len;
    }
    Ok((ops, pos as u64, data.len() as u64))
}

fn create_generation(dir: &Path, generation: u64) -> EngineResult<File> {
    let path = generation_path(dir, generation);
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| IndexError::io(format!("creating {}", path.display()), e))?;
    file.sync_all()
        .map_err(|e| IndexError::io("syncing translog", e))?;
    sync_dir(dir)?;
    Ok(file)
}

fn read_checkpoint(dir: &Path) -> EngineResult<Option<Checkpoint>> {
    let path = dir.join(CHECKPOINT_FILE);
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            IndexError::TranslogCorrupted(format!("unreadable checkpoint {}: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IndexError::io("reading translog checkpoint", e)),
    }
}

/// Writes the checkpoint atomically: temp file, fsync, rename, fsync the directory.
fn write_checkpoint(dir: &Path, checkpoint: &Checkpoint) -> EngineResult<()> {
    let tmp = dir.join(format!("{CHECKPOINT_FILE}.tmp"));
    let bytes = serde_json::to_vec(checkpoint).map_err(|e| IndexError::Engine(e.to_string()))?;
    let mut f = File::create(&tmp).map_err(|e| IndexError::io("writing translog checkpoint", e))?;
    f.write_all(&bytes)
        .map_err(|e| IndexError::io("writing translog checkpoint", e))?;
    f.sync_all()
        .map_err(|e| IndexError::io("syncing translog checkpoint", e))?;
    fs::rename(&tmp, dir.join(CHECKPOINT_FILE))
        .map_err(|e| IndexError::io("renaming translog checkpoint", e))?;
    sync_dir(dir)
}

fn sync_dir(dir: &Path) -> EngineResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| IndexError::io(format!("syncing directory {}", dir.display()), e))
}

#[cfg(test)]
#[path = "translog_test.rs"]
mod translog_test;
