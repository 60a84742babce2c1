//! Small readers of Linux process and file-system figures: `VmRSS`/`VmHWM` from
//! `/proc/<pid>/status` and the size of a directory tree.

use anyhow::{Context, Result};
use std::path::Path;

/// Memory figures of one process, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// Current resident set size (`VmRSS`).
    pub rss: u64,
    /// Peak resident set size since start (`VmHWM`).
    pub hwm: u64,
}

/// Reads `/proc/<pid>/status`.
pub fn memory(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    parse_status(&text).with_context(|| format!("{path} has no VmRSS/VmHWM"))
}

/// Extracts `VmRSS` and `VmHWM` (reported in kB) from the text of a status file.
pub fn parse_status(text: &str) -> Option<Memory> {
    let kb = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
            .map(|v| v * 1024)
    };
    Some(Memory {
        rss: kb("VmRSS:")?,
        hwm: kb("VmHWM:")?,
    })
}

/// Total size in bytes of the regular files under `dir` (symlinks not followed).
pub fn dir_size(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        if meta.is_dir() {
            total += dir_size(&entry.path())?;
        } else if meta.is_file() {
            total += meta.len();
        }
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_file() {
        let text = "Name:\tquarry\nVmPeak:\t  999 kB\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n";
        assert_eq!(
            parse_status(text),
            Some(Memory {
                rss: 1024 * 1024,
                hwm: 2048 * 1024
            })
        );
        assert_eq!(parse_status("Name: x\n"), None);
    }

    #[test]
    fn reads_own_memory_and_dir_size() {
        let m = memory(std::process::id()).unwrap();
        assert!(m.rss > 0 && m.hwm >= m.rss);
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("a"), [0u8; 10]).unwrap();
        std::fs::write(dir.path().join("sub/b"), [0u8; 5]).unwrap();
        assert_eq!(dir_size(dir.path()).unwrap(), 15);
    }
}
