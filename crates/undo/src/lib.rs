/*!
Checkpoints of a project's working tree, kept in git objects outside the
agent's reach, and their restore (`ztguard undo`).

Each project has a store: a git repository in ztguard's data directory
(`<data>/undo/<name>-<hash>.git`), whose working tree is the project and
whose index is its own. When the project is a git repository, the store
borrows its objects (`objects/info/alternates`), so a checkpoint writes
only what the project's history does not already hold, and its index
starts as a copy of the project's (so the first checkpoint does not hash
every file). A checkpoint is a commit with no parent under
`refs/checkpoints/<microseconds>`; the store's `HEAD` is the newest one.

What a checkpoint holds: every file git would track (`.gitignore`
honoured), untracked ones included, and ignored files up to a size
([`Limits::max_file`]), found without entering ignored directories —
with their contents, the executable bit and symlinks. Never the
project's `.git` or `.ztguard/`, nested repositories, big ignored files
or ignored directories. Git's model cannot carry other modes than 644
and 755, owners, times or empty directories.
*/

mod checkpoint;
mod git;
mod prune;
mod restore;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use restore::{Restored, Target};

/// Where checkpoints live under the data directory.
pub const DIR: &str = "undo";

/// How many checkpoints are kept, how long, and which ignored files are
/// captured.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// The most checkpoints kept (the oldest go first).
    pub keep: usize,
    /// Checkpoints older than this go (the newest always stays).
    pub max_age: Duration,
    /// Untracked and ignored files bigger than this are not captured.
    pub max_file: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            keep: 100,
            max_age: Duration::from_secs(7 * 24 * 3600),
            max_file: 1024 * 1024,
        }
    }
}

/// Why a checkpoint was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Before a tool call that can change the project.
    Call,
    /// Before an undo (so that the undo can be undone).
    Undo,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Call => "call",
            Kind::Undo => "undo",
        }
    }
}

/// One checkpoint, as listed.
#[derive(Clone, Debug, Serialize)]
pub struct Checkpoint {
    /// What `ztguard undo --to` takes: the commit's first 12 hex digits.
    pub id: String,
    pub commit: String,
    pub tree: String,
    /// Seconds since the epoch.
    pub time: u64,
    pub kind: Kind,
    /// What it preceded: the tool call, or the undo.
    pub label: String,
    /// Files that differ from the checkpoint before it (all its files for
    /// the first one).
    pub files_changed: usize,
}

/// What taking a checkpoint did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    /// The checkpoint that holds the current state: a new one, or the
    /// newest when nothing changed since.
    pub id: String,
    pub commit: String,
    /// A new commit was written.
    pub new: bool,
    /// Untracked or ignored files left out because they are too big.
    pub skipped: usize,
}

/// A failure of the store. The message is for a human.
#[derive(Debug)]
pub enum Error {
    /// A file or directory of the store or the project.
    Io {
        what: String,
        source: std::io::Error,
    },
    /// A git command failed.
    Git { what: String, message: String },
    /// No checkpoint has this id (or prefix).
    NotFound(String),
    /// Several checkpoints start with this prefix.
    Ambiguous(String, Vec<String>),
    /// There is no checkpoint that differs from the working tree.
    NothingToUndo,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io { what, source } => write!(f, "{what}: {source}"),
            Error::Git { what, message } => write!(f, "`{what}` failed: {message}"),
            Error::NotFound(id) => write!(f, "no checkpoint {id} (see `ztguard undo --list`)"),
            Error::Ambiguous(id, all) => write!(
                f,
                "{id} matches {} checkpoints ({}); give more digits",
                all.len(),
                all.join(", ")
            ),
            Error::NothingToUndo => {
                f.write_str("no checkpoint differs from the working tree: nothing to undo")
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

pub(crate) fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let what = what.into();
    move |source| Error::Io { what, source }
}

/// The checkpoints of one project.
pub struct Store {
    git_dir: PathBuf,
    project: PathBuf,
}

impl Store {
    /// The store of `project` under `data_dir`, made if it does not exist.
    pub fn open(data_dir: &Path, project: &Path) -> Result<Store, Error> {
        let project = project
            .canonicalize()
            .map_err(io(format!("the project {}", project.display())))?;
        let git_dir = Store::path(data_dir, &project);
        if !git_dir.join("HEAD").is_file() {
            checkpoint::create(&git_dir, &project)?;
        }
        Ok(Store { git_dir, project })
    }

    /// The store of `project` under `data_dir`, if it exists (for reading:
    /// listing makes nothing).
    pub fn existing(data_dir: &Path, project: &Path) -> Result<Option<Store>, Error> {
        let project = project
            .canonicalize()
            .map_err(io(format!("the project {}", project.display())))?;
        let git_dir = Store::path(data_dir, &project);
        Ok(git_dir
            .join("HEAD")
            .is_file()
            .then_some(Store { git_dir, project }))
    }

    /// Where the store of the (canonical) `project` is: named after the
    /// project's directory, and a hash of its path.
    pub fn path(data_dir: &Path, project: &Path) -> PathBuf {
        let hash = Sha256::digest(project.as_os_str().as_encoded_bytes());
        let hex: String = hash[..12].iter().map(|b| format!("{b:02x}")).collect();
        let name: String = project
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        data_dir.join(DIR).join(format!("{name}-{hex}.git"))
    }

    pub fn git_dir(&self) -> &Path {
        &self.git_dir
    }

    pub fn project(&self) -> &Path {
        &self.project
    }

    fn git(&self, args: &[&str]) -> Result<Vec<u8>, Error> {
        git::run(&self.git_dir, &self.project, args, None)
    }

    fn git_in(&self, args: &[&str], input: &[u8]) -> Result<Vec<u8>, Error> {
        git::run(&self.git_dir, &self.project, args, Some(input))
    }

    /// Every checkpoint, oldest first.
    pub fn list(&self) -> Result<Vec<Checkpoint>, Error> {
        let out = self.git(&[
            "for-each-ref",
            "--sort=refname",
            "--format=%(objectname)%00%(tree)%00%(committerdate:unix)%00%(contents:subject)",
            "refs/checkpoints/",
        ])?;
        let mut all = Vec::new();
        for line in String::from_utf8_lossy(&out).lines() {
            let mut f = line.split('\0');
            let (Some(commit), Some(tree), Some(time), Some(subject)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            let (kind, label) = match subject.split_once(": ") {
                Some(("undo", rest)) => (Kind::Undo, rest),
                Some(("call", rest)) => (Kind::Call, rest),
                _ => (Kind::Call, subject),
            };
            all.push(Checkpoint {
                id: commit.chars().take(12).collect(),
                commit: commit.to_string(),
                tree: tree.to_string(),
                time: time.parse().unwrap_or(0),
                kind,
                label: label.to_string(),
                files_changed: 0,
            });
        }
        self.count_changes(&mut all)?;
        Ok(all)
    }

    /// Fill in [`Checkpoint::files_changed`]: one `git diff-tree` for all.
    fn count_changes(&self, all: &mut [Checkpoint]) -> Result<(), Error> {
        const EMPTY_TREE: &str = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
        if all.is_empty() {
            return Ok(());
        }
        let pairs: Vec<String> = all
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let before = if i == 0 { EMPTY_TREE } else { &all[i - 1].tree };
                format!("{} {}", c.tree, before)
            })
            .collect();
        let mut input = pairs.join("\n");
        input.push('\n');
        let out = self.git_in(
            &["diff-tree", "--stdin", "-r", "--name-only", "--no-renames"],
            input.as_bytes(),
        )?;
        let mut at: Option<usize> = None;
        let mut next = 0;
        for line in String::from_utf8_lossy(&out).lines() {
            if next < pairs.len() && line == pairs[next] {
                at = Some(next);
                next += 1;
            } else if let Some(i) = at {
                all[i].files_changed += 1;
            }
        }
        Ok(())
    }

    /// The checkpoint `id` names: a commit id or a unique prefix of one.
    pub fn find(&self, id: &str) -> Result<Checkpoint, Error> {
        find_in(self.list()?, id)
    }
}

fn find_in(all: Vec<Checkpoint>, id: &str) -> Result<Checkpoint, Error> {
    let id = id.trim().to_ascii_lowercase();
    if id.len() < 4 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::NotFound(id));
    }
    let mut hits: Vec<Checkpoint> = all
        .into_iter()
        .filter(|c| c.commit.starts_with(&id))
        .collect();
    // The same state can be listed twice (checkpoints with one tree have
    // different commits); a commit is listed once.
    match hits.len() {
        0 => Err(Error::NotFound(id)),
        1 => Ok(hits.remove(0)),
        _ => Err(Error::Ambiguous(
            id,
            hits.iter().map(|c| c.id.clone()).collect(),
        )),
    }
}

/// Microseconds since the epoch: the name of a checkpoint's ref.
pub(crate) fn now_micros() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests;
