//! Scanning files on disk: every file under the given paths that git would
//! not ignore (nor `.ztguardignore`), on all cores, skipping binaries and
//! huge files.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use ignore::{WalkBuilder, WalkState};

use crate::checks::Checks;
use crate::report::Report;

/// Files larger than this are skipped (and counted): generated data, dumps.
pub const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Bytes read to decide whether a file is binary.
const SNIFF: usize = 8192;

/// Counters a progress display reads while the scan runs.
#[derive(Default)]
pub struct Progress {
    pub files: AtomicUsize,
    pub bytes: AtomicU64,
}

/// Options of a tree scan.
pub struct WalkOptions {
    /// Threads; 0 picks the number of cores.
    pub threads: usize,
    /// Also scan files that .gitignore excludes.
    pub no_ignore: bool,
}

/// `path` relative to `root`, `/`-separated, for reports and path rules.
pub fn display_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let s = rel.to_string_lossy().replace('\\', "/");
    // `ztguard scan .` walks `./src/…`: show `src/…`.
    let s = s.trim_start_matches("./").to_string();
    if s.is_empty() {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    } else {
        s
    }
}

/// Read a file for scanning: `Ok(None)` when it is binary or too large.
pub fn read_text(path: &Path) -> std::io::Result<Option<String>> {
    let f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    if len > MAX_FILE {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(MAX_FILE).read_to_end(&mut bytes)?;
    if bytes[..bytes.len().min(SNIFF)].contains(&0) {
        return Ok(None);
    }
    Ok(Some(match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }))
}

/// Scan every file under `paths`; paths in the report are relative to `root`.
pub fn scan_paths(
    checks: &Checks,
    root: &Path,
    paths: &[PathBuf],
    opts: &WalkOptions,
    progress: &Progress,
) -> Report {
    let report = Mutex::new(Report::default());
    let skipped = AtomicUsize::new(0);
    let Some((first, rest)) = paths.split_first() else {
        return Report::default();
    };
    let mut builder = WalkBuilder::new(first);
    for p in rest {
        builder.add(p);
    }
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        opts.threads
    };
    builder
        .hidden(false)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(true)
        .require_git(false)
        .add_custom_ignore_filename(crate::suppress::IGNORE_FILE)
        .threads(threads)
        .filter_entry(|e| e.file_name() != ".git");
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    if let Ok(mut r) = report.lock() {
                        r.errors.push(e.to_string());
                    }
                    return WalkState::Continue;
                }
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let path = entry.path();
            let shown = display_path(root, path);
            match read_text(path) {
                Ok(Some(text)) => {
                    // A defect in one check on one file is reported, not fatal to the scan.
                    let (items, silenced) = match std::panic::catch_unwind(
                        std::panic::AssertUnwindSafe(|| checks.check_counted(&shown, &text)),
                    ) {
                        Ok(items) => items,
                        Err(_) => {
                            if let Ok(mut r) = report.lock() {
                                r.errors.push(format!("{shown}: internal error while checking this file; please report it"));
                            }
                            return WalkState::Continue;
                        }
                    };
                    progress.files.fetch_add(1, Ordering::Relaxed);
                    progress
                        .bytes
                        .fetch_add(text.len() as u64, Ordering::Relaxed);
                    if let Ok(mut r) = report.lock() {
                        r.files_scanned += 1;
                        r.ignored += silenced;
                        r.bytes_scanned += text.len() as u64;
                        r.findings.extend(items);
                    }
                }
                Ok(None) => {
                    skipped.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => {
                    if let Ok(mut r) = report.lock() {
                        r.errors.push(format!("{shown}: {e}"));
                    }
                }
            }
            WalkState::Continue
        })
    });
    let mut report = report.into_inner().unwrap_or_else(|e| e.into_inner());
    report.skipped = skipped.into_inner();
    report.sort();
    report
}
