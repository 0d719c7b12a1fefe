//! The files of one log: rotated segments `NAME.1`, `NAME.2`, … (oldest
//! first) and then the live file `NAME`.

use std::path::{Path, PathBuf};

/// Rotated segments of `live`, oldest first, with their numbers.
pub(crate) fn rotated(live: &Path) -> Vec<(u64, PathBuf)> {
    let (Some(dir), Some(name)) = (live.parent(), live.file_name()) else {
        return Vec::new();
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<(u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let n = e.file_name();
            let n = n.to_str()?;
            let num: u64 = n.strip_prefix(&prefix)?.parse().ok()?;
            Some((num, live.with_file_name(n)))
        })
        .collect();
    out.sort();
    out
}

/// Every file of the log in chain order: rotated segments, then the live
/// file (when it exists).
pub fn segments(live: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = rotated(live).into_iter().map(|(_, p)| p).collect();
    if live.exists() {
        out.push(live.to_path_buf());
    }
    out
}
