//! Taking a checkpoint: what changed since the last one (one `git
//! status`, whose index stat cache makes an unchanged tree cheap), then,
//! only when something did, `add`, `write-tree`, `commit-tree` and the refs.

use std::fs;
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use crate::{Error, Kind, Limits, Store, Taken, git, io, now_micros};

/// The directories of the project a checkpoint never holds, besides
/// `.git` (which git never adds).
const NEVER: &[&str] = &[".ztguard"];

/// Make the store of `project` at `git_dir`: built in a directory beside
/// it and renamed into place, so that two hooks starting at once make one.
pub(crate) fn create(git_dir: &Path, project: &Path) -> Result<(), Error> {
    let parent = git_dir.parent().unwrap_or(Path::new("."));
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(parent)
        .map_err(io(format!("cannot create {}", parent.display())))?;
    let tmp = parent.join(format!(".new-{}-{}", std::process::id(), now_micros()));
    let made = (|| -> Result<(), Error> {
        for d in [
            "objects/info",
            "objects/pack",
            "refs/heads",
            "refs/checkpoints",
            "info",
        ] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(tmp.join(d))
                .map_err(io(format!("cannot create {}", tmp.join(d).display())))?;
        }
        let write = |name: &str, text: &[u8]| {
            fs::write(tmp.join(name), text).map_err(io(format!("cannot write {name}")))
        };
        write("HEAD", b"ref: refs/heads/none\n")?;
        write("config", git::CONFIG.as_bytes())?;
        write("info/attributes", git::ATTRIBUTES.as_bytes())?;
        write("info/exclude", excludes(project).as_bytes())?;
        write(
            "description",
            format!("ztguard checkpoints of {}\n", project.display()).as_bytes(),
        )?;
        if let Some((objects, index)) = project_git(project) {
            let mut line = objects.as_os_str().as_encoded_bytes().to_vec();
            line.push(b'\n');
            write("objects/info/alternates", &line)?;
            seed_index(&tmp, project, &index);
        }
        Ok(())
    })();
    if let Err(e) = made {
        let _ = fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if let Err(e) = fs::rename(&tmp, git_dir) {
        let _ = fs::remove_dir_all(&tmp);
        // Another process made it first.
        if !git_dir.join("HEAD").is_file() {
            return Err(io(format!("cannot create {}", git_dir.display()))(e));
        }
    }
    Ok(())
}

/// The project's object directory and index, when it is a git repository
/// (a `.git` directory, or a `.git` file of a worktree or submodule).
fn project_git(project: &Path) -> Option<(PathBuf, PathBuf)> {
    let dot = project.join(".git");
    let git_dir = if dot.is_dir() {
        dot
    } else if dot.is_file() {
        let text = fs::read_to_string(&dot).ok()?;
        let rest = text.lines().next()?.strip_prefix("gitdir:")?.trim();
        project.join(rest)
    } else {
        return None;
    };
    let common = match fs::read_to_string(git_dir.join("commondir")) {
        Ok(c) => git_dir.join(c.trim()),
        Err(_) => git_dir.clone(),
    };
    let objects = common.join("objects").canonicalize().ok()?;
    objects.is_dir().then(|| (objects, git_dir.join("index")))
}

/// Start the store's index as a copy of the project's: its stat cache
/// and the objects it names (borrowed) spare the first checkpoint from
/// hashing every file. Dropped if git cannot use it as is, or if it marks
/// entries git would not look at (assume-unchanged, skip-worktree).
fn seed_index(git_dir: &Path, project: &Path, index: &Path) {
    let ours = git_dir.join("index");
    if fs::copy(index, &ours).is_err() {
        return;
    }
    let usable = git::run(git_dir, project, &["ls-files", "-v", "-z"], None)
        .ok()
        .is_some_and(|out| {
            out.split(|&b| b == 0)
                .filter(|e| !e.is_empty())
                .all(|e| e.first() == Some(&b'H'))
        });
    if !usable {
        let _ = fs::remove_file(&ours);
    }
}

/// The store's excludes: the directories never captured, then the
/// project's own `.git/info/exclude` (read by git from the store's).
fn excludes(project: &Path) -> String {
    let mut text: String = NEVER.iter().map(|d| format!("/{d}/\n")).collect();
    if let Ok(own) = fs::read_to_string(project.join(".git/info/exclude")) {
        text.push_str(&own);
        if !own.ends_with('\n') {
            text.push('\n');
        }
    }
    text
}

/// One line of a label: control characters out, at most 200 characters.
fn one_line(label: &str) -> String {
    label
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect::<String>()
        .trim()
        .to_string()
}

impl Store {
    /// Hold the store's lock until the returned file is dropped: one
    /// checkpoint or restore at a time.
    pub(crate) fn lock(&self) -> Result<fs::File, Error> {
        let path = self.git_dir.join("ztguard.lock");
        let f = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io(format!("cannot open {}", path.display())))?;
        f.lock()
            .map_err(io(format!("cannot lock {}", path.display())))?;
        Ok(f)
    }

    /// Record the working tree as it is now, before `label` (what is about
    /// to run), then prune by `limits`. Nothing new is written when nothing
    /// changed since the newest checkpoint.
    pub fn checkpoint(&self, label: &str, kind: Kind, limits: &Limits) -> Result<Taken, Error> {
        let _lock = self.lock()?;
        let taken = self.checkpoint_locked(label, kind, limits)?;
        if taken.new {
            self.prune_locked(limits)?;
        }
        Ok(taken)
    }

    pub(crate) fn checkpoint_locked(
        &self,
        label: &str,
        kind: Kind,
        limits: &Limits,
    ) -> Result<Taken, Error> {
        self.sync_excludes()?;
        let head = self.head();
        let status = match self.git(&[
            "status",
            "--porcelain=v1",
            "-z",
            "--ignored=matching",
            "--untracked-files=all",
            "--no-renames",
        ]) {
            Ok(s) => s,
            Err(e) => {
                // A seeded index git cannot read: start again without it.
                let index = self.git_dir.join("index");
                if head.is_some() || !index.exists() {
                    return Err(e);
                }
                fs::remove_file(&index).map_err(io("cannot remove the store's index"))?;
                return self.checkpoint_locked(label, kind, limits);
            }
        };
        let (paths, staged, skipped) = self.changes(&status, limits);
        if let Some(commit) = &head
            && paths.is_empty()
            && !staged
        {
            return Ok(Taken {
                id: commit.chars().take(12).collect(),
                commit: commit.clone(),
                new: false,
                skipped,
            });
        }
        if !paths.is_empty() {
            let mut input = Vec::new();
            for p in &paths {
                input.extend_from_slice(p);
                input.push(0);
            }
            self.git_in(
                &[
                    "add",
                    "-A",
                    "-f",
                    "--pathspec-from-file=-",
                    "--pathspec-file-nul",
                ],
                &input,
            )?;
        }
        let tree = git::line(&self.git(&["write-tree"])?);
        if let Some(commit) = &head {
            let before = git::line(&self.git(&["rev-parse", "--verify", "-q", "HEAD^{tree}"])?);
            if before == tree {
                return Ok(Taken {
                    id: commit.chars().take(12).collect(),
                    commit: commit.clone(),
                    new: false,
                    skipped,
                });
            }
        }
        let message = format!("{}: {}\n", kind.as_str(), one_line(label));
        let commit =
            git::line(&self.git_in(&["commit-tree", &tree, "-F", "-"], message.as_bytes())?);
        let refs = format!(
            "create refs/checkpoints/{:020} {commit}\nupdate HEAD {commit}\n",
            now_micros()
        );
        self.git_in(&["update-ref", "--no-deref", "--stdin"], refs.as_bytes())?;
        Ok(Taken {
            id: commit.chars().take(12).collect(),
            commit,
            new: true,
            skipped,
        })
    }

    /// The newest checkpoint (the store's detached `HEAD`), if any.
    pub(crate) fn head(&self) -> Option<String> {
        let text = fs::read_to_string(self.git_dir.join("HEAD")).ok()?;
        let t = text.trim();
        (t.len() >= 40 && t.bytes().all(|b| b.is_ascii_hexdigit())).then(|| t.to_string())
    }

    /// Keep the store's excludes in step with the project's
    /// `.git/info/exclude`.
    fn sync_excludes(&self) -> Result<(), Error> {
        let want = excludes(&self.project);
        let path = self.git_dir.join("info/exclude");
        if fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            fs::write(&path, want).map_err(io(format!("cannot write {}", path.display())))?;
        }
        Ok(())
    }

    /// From `git status -z`: the paths to add (changed tracked files, and
    /// untracked or ignored files small enough), whether the index differs
    /// from the newest checkpoint, and how many files were too big.
    fn changes(&self, status: &[u8], limits: &Limits) -> (Vec<Vec<u8>>, bool, usize) {
        let (mut paths, mut staged, mut skipped) = (Vec::new(), false, 0);
        for entry in status.split(|&b| b == 0) {
            if entry.len() < 4 {
                continue;
            }
            let (x, y, path) = (entry[0], entry[1], &entry[3..]);
            match (x, y) {
                (b'?', b'?') | (b'!', b'!') => {
                    // A directory: an ignored one (not entered) or a nested
                    // repository. Neither is captured.
                    if path.ends_with(b"/") {
                        continue;
                    }
                    let rel = Path::new(std::ffi::OsStr::from_bytes(path));
                    if NEVER.iter().any(|d| rel.starts_with(d)) {
                        continue;
                    }
                    match fs::symlink_metadata(self.project.join(rel)) {
                        Ok(m) if m.file_type().is_symlink() => paths.push(path.to_vec()),
                        Ok(m) if m.is_file() && m.size() <= limits.max_file => {
                            paths.push(path.to_vec())
                        }
                        Ok(m) if m.is_file() => skipped += 1,
                        _ => {}
                    }
                }
                _ => {
                    if y != b' ' {
                        paths.push(path.to_vec());
                    }
                    if x != b' ' {
                        staged = true;
                    }
                }
            }
        }
        (paths, staged, skipped)
    }
}
