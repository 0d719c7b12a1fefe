//! A bounded look inside a directory that a command reads as a whole
//! (`grep -r`, `cp -r`, `tar c`, the Grep tool), to find the files a rule denies.

use std::path::{Path, PathBuf};

use crate::glob::wildmatch;

/// Directories never descended into: huge and generated, not where credentials live.
/// A recursive read that names one of them explicitly is still scanned.
pub const SKIPPED_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    ".tox",
    ".mypy_cache",
    ".pytest_cache",
    ".gradle",
    ".next",
];

/// What a tree scan found.
#[derive(Clone, Debug, Default)]
pub struct TreeScan {
    /// Paths the predicate flagged (symlinks are reported by their target when it is flagged).
    pub hits: Vec<PathBuf>,
    /// The scan stopped at its entry limit; the tree was not fully checked.
    pub truncated: bool,
}

/// Walk `root` (at most `max_entries` entries), calling `flag` on every file
/// and directory; hidden entries are skipped unless `hidden`; symlinks met
/// inside the tree are judged by their targets only when `follow_links`
/// (as `grep -R` or `rg -L` would read them), and names
/// matching an `excludes` glob are skipped. An exclude of the form `!(a|b)`
/// keeps only files whose names match one of `a`, `b` (an include list).
pub fn scan_tree(
    root: &Path,
    hidden: bool,
    follow_links: bool,
    excludes: &[String],
    max_entries: usize,
    flag: &mut dyn FnMut(&Path) -> bool,
) -> TreeScan {
    scan_tree_with(
        root,
        Walk {
            hidden,
            follow_links,
            gitignore: false,
        },
        excludes,
        max_entries,
        flag,
    )
}

/// How a tool walks a tree.
#[derive(Clone, Copy, Debug, Default)]
pub struct Walk {
    /// Hidden entries are visited.
    pub hidden: bool,
    /// Symlinks met inside the tree are followed.
    pub follow_links: bool,
    /// What `.gitignore`, `.ignore` and git's excludes ignore is skipped,
    /// as `rg`, `fd` and `git add` skip it.
    pub gitignore: bool,
}

/// [`scan_tree`] for a tool that walks as `walk` says.
pub fn scan_tree_with(
    root: &Path,
    walk: Walk,
    excludes: &[String],
    max_entries: usize,
    flag: &mut dyn FnMut(&Path) -> bool,
) -> TreeScan {
    let Walk {
        hidden,
        follow_links,
        gitignore,
    } = walk;
    let mut scan = TreeScan::default();
    let includes: Vec<&str> = excludes
        .iter()
        .filter_map(|e| e.strip_prefix("!(").and_then(|s| s.strip_suffix(')')))
        .flat_map(|s| s.split('|'))
        .collect();
    let excludes: Vec<&str> = excludes
        .iter()
        .filter(|e| !e.starts_with("!("))
        .map(String::as_str)
        .collect();
    if flag(root) {
        scan.hits.push(root.to_path_buf());
    }
    if gitignore {
        return scan_ignoring(root, walk, &excludes, &includes, max_entries, flag, scan);
    }
    let mut stack = vec![root.to_path_buf()];
    let mut seen = 0usize;
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > max_entries {
                scan.truncated = true;
                return scan;
            }
            let name = e.file_name();
            let name = name.to_string_lossy();
            if (!hidden && name.starts_with('.')) || excludes.iter().any(|x| wildmatch(x, &name)) {
                continue;
            }
            let path = e.path();
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if !SKIPPED_DIRS.contains(&name.as_ref()) {
                    stack.push(path);
                }
                continue;
            }
            if !includes.is_empty() && !includes.iter().any(|i| wildmatch(i, &name)) {
                continue;
            }
            if ft.is_symlink() && !follow_links {
                continue;
            }
            if flag(&path) {
                scan.hits.push(path);
            } else if ft.is_symlink() {
                let target = crate::resolve::real_path(&path);
                if flag(&target) {
                    scan.hits.push(path);
                }
            }
        }
    }
    scan
}

/// The walk of a tool that skips what git ignores (the `ignore` crate walks
/// as ripgrep does: `.gitignore`, `.ignore`, `.git/info/exclude`, the global excludes).
fn scan_ignoring(
    root: &Path,
    walk: Walk,
    excludes: &[&str],
    includes: &[&str],
    max_entries: usize,
    flag: &mut dyn FnMut(&Path) -> bool,
    mut scan: TreeScan,
) -> TreeScan {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(!walk.hidden)
        .follow_links(false)
        .filter_entry(|e| {
            let name = e.file_name().to_string_lossy();
            !(e.depth() > 0
                && e.file_type().is_some_and(|t| t.is_dir())
                && SKIPPED_DIRS.contains(&name.as_ref()))
        })
        .build();
    for (seen, e) in walker.flatten().enumerate() {
        if seen > max_entries {
            scan.truncated = true;
            return scan;
        }
        if e.depth() == 0 {
            continue;
        }
        let name = e.file_name().to_string_lossy();
        if excludes.iter().any(|x| wildmatch(x, &name)) {
            continue;
        }
        let Some(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            continue;
        }
        if !includes.is_empty() && !includes.iter().any(|i| wildmatch(i, &name)) {
            continue;
        }
        if ft.is_symlink() && !walk.follow_links {
            continue;
        }
        let path = e.path();
        if flag(path) {
            scan.hits.push(path.to_path_buf());
        } else if ft.is_symlink() {
            let target = crate::resolve::real_path(path);
            if flag(&target) {
                scan.hits.push(path.to_path_buf());
            }
        }
    }
    scan
}
