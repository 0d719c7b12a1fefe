//! The bytes checked are the bytes run.
//!
//! Under `ztguard exec` an operation's scripts live in trees the agent can
//! write. Checking a script's hash and then running it by its path leaves a
//! window in which the agent swaps the file; a script also loads helpers
//! beside it (`. "$(dirname "$0")/lib.sh"`, Python's `sys.path[0]`).
//!
//! So at `exec` start each pinned script's directory is pinned whole
//! ([`pin_dir`]: every file in it, recursively, bounded; for the project
//! root its files only). When an operation is cleared, [`Snapshot::take`]
//! reads every file of those directories once, through descriptors opened
//! without following links, hashes those bytes, refuses if one changed or
//! is new (unless a human approved that content), and writes them to a
//! private directory the sandbox cannot reach. The operation starts with
//! each copy bound read-only over its original, so `$0` and
//! `dirname "$0"` are unchanged and a file swapped in the original after
//! the check is not what it runs.
//!
//! What this does not stop: the kernel drops a bind in another mount
//! namespace when its mount point is renamed or replaced, so an agent that
//! renames the pinned *directory itself* (or, for a script at the project
//! root, the script) in the instant between the operation's mounts and
//! its start can still show it other content. Closing that needs the
//! binds made from descriptors opened inside the operation's namespace.

use std::collections::BTreeMap;
use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sha2::Digest;
use ztguard_sandbox::Bind;

/// At most this many entries are pinned in one directory tree.
pub const MAX_ENTRIES: usize = 4096;
/// At most this deep below a pinned directory.
pub const MAX_DEPTH: usize = 16;
/// Files larger than this are not pinned (the operation is refused).
const MAX_FILE: u64 = 64 * 1024 * 1024;

/// What one entry of a pinned directory held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// A regular file: the SHA-256 of its bytes, and whether it is executable.
    File { sha256: String, exec: bool },
    /// A symbolic link, by its target's text.
    Link(PathBuf),
    /// A directory (recursive pins only).
    Dir,
}

/// A directory as it was at `exec` start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirPin {
    /// By path relative to the directory.
    pub entries: BTreeMap<PathBuf, Entry>,
    /// Subdirectories too (false: the project root, whose files only are pinned).
    pub recursive: bool,
    /// Why it could not be pinned whole (too many entries, too deep, too
    /// large a file, unreadable); an operation from it is refused.
    pub incomplete: Option<String>,
}

/// One entry as read now: its pin and, for a file, the bytes read.
struct Found {
    entry: Entry,
    bytes: Vec<u8>,
}

fn cstr(name: &OsStr) -> Result<CString, String> {
    CString::new(name.as_bytes()).map_err(|_| "a NUL in a file name".to_string())
}

/// `openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC)`.
fn open_at(dir: &OwnedFd, name: &OsStr, flags: libc::c_int) -> std::io::Result<OwnedFd> {
    let c = cstr(name).map_err(std::io::Error::other)?;
    // SAFETY: `c` is NUL-terminated and `dir` an open descriptor; the
    // result is checked and owned at once.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            c.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: `fd` was just returned by openat and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Open a directory by path (following links: the pinned directories are
/// canonical, and their parents outside the project are not the agent's).
fn open_dir(path: &Path) -> std::io::Result<OwnedFd> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY)
        .open(path)?;
    Ok(f.into())
}

fn fstat(fd: &OwnedFd) -> std::io::Result<libc::stat> {
    // SAFETY: fstat fills the zeroed struct for an open descriptor.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(st)
}

fn is(st: &libc::stat, kind: libc::mode_t) -> bool {
    st.st_mode & libc::S_IFMT == kind
}

/// The names in an open directory, sorted.
fn names(dir: &OwnedFd) -> std::io::Result<Vec<OsString>> {
    let mut v: Vec<OsString> = std::fs::read_dir(format!("/proc/self/fd/{}", dir.as_raw_fd()))?
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    v.sort();
    Ok(v)
}

fn read_link_at(dir: &OwnedFd, name: &OsStr) -> std::io::Result<PathBuf> {
    let c = cstr(name).map_err(std::io::Error::other)?;
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: the buffer is as large as the length given.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            c.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(std::io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(PathBuf::from(
        <OsString as std::os::unix::ffi::OsStringExt>::from_vec(buf),
    ))
}

fn sha256(bytes: &[u8]) -> String {
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// Read a directory tree through descriptors: every entry, files with
/// their bytes. `recursive` false: the top level's files only.
fn walk(root: &Path, recursive: bool) -> Result<BTreeMap<PathBuf, Found>, String> {
    let top = open_dir(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut out = BTreeMap::new();
    let mut stack = vec![(top, PathBuf::new(), 0usize)];
    while let Some((dir, rel, depth)) = stack.pop() {
        for name in names(&dir).map_err(|e| format!("{}: {e}", root.join(&rel).display()))? {
            if out.len() >= MAX_ENTRIES {
                return Err(format!(
                    "{} holds more than {MAX_ENTRIES} entries",
                    root.display()
                ));
            }
            let at = rel.join(&name);
            let shown = || root.join(&at).display().to_string();
            let fd = open_at(&dir, &name, libc::O_PATH).map_err(|e| format!("{}: {e}", shown()))?;
            let st = fstat(&fd).map_err(|e| format!("{}: {e}", shown()))?;
            if is(&st, libc::S_IFLNK) {
                let target = read_link_at(&dir, &name).map_err(|e| format!("{}: {e}", shown()))?;
                out.insert(
                    at,
                    Found {
                        entry: Entry::Link(target),
                        bytes: Vec::new(),
                    },
                );
            } else if is(&st, libc::S_IFREG) {
                if st.st_size as u64 > MAX_FILE {
                    return Err(format!("{} is larger than 64 MiB", shown()));
                }
                let fd = open_at(&dir, &name, libc::O_RDONLY | libc::O_NONBLOCK)
                    .map_err(|e| format!("{}: {e}", shown()))?;
                let st = fstat(&fd).map_err(|e| format!("{}: {e}", shown()))?;
                if !is(&st, libc::S_IFREG) {
                    return Err(format!("{} changed while it was read", shown()));
                }
                let mut bytes = Vec::new();
                File::from(fd)
                    .take(MAX_FILE + 1)
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("{}: {e}", shown()))?;
                if bytes.len() as u64 > MAX_FILE {
                    return Err(format!("{} is larger than 64 MiB", shown()));
                }
                out.insert(
                    at,
                    Found {
                        entry: Entry::File {
                            sha256: sha256(&bytes),
                            exec: st.st_mode & 0o111 != 0,
                        },
                        bytes,
                    },
                );
            } else if is(&st, libc::S_IFDIR) {
                if !recursive {
                    continue;
                }
                if depth + 1 > MAX_DEPTH {
                    return Err(format!("{} is more than {MAX_DEPTH} levels deep", shown()));
                }
                let sub = open_at(&dir, &name, libc::O_RDONLY | libc::O_DIRECTORY)
                    .map_err(|e| format!("{}: {e}", shown()))?;
                out.insert(
                    at.clone(),
                    Found {
                        entry: Entry::Dir,
                        bytes: Vec::new(),
                    },
                );
                stack.push((sub, at, depth + 1));
            } else if recursive {
                // A socket, a FIFO or a device: nothing a script loads.
                return Err(format!(
                    "{} is neither a file, a directory nor a link",
                    shown()
                ));
            }
        }
    }
    Ok(out)
}

/// Pin `dir` (canonical) as it is now: every entry below it when
/// `recursive`, else its files only.
pub fn pin_dir(dir: &Path, recursive: bool) -> DirPin {
    match walk(dir, recursive) {
        Ok(found) => DirPin {
            entries: found.into_iter().map(|(k, v)| (k, v.entry)).collect(),
            recursive,
            incomplete: None,
        },
        Err(why) => DirPin {
            entries: BTreeMap::new(),
            recursive,
            incomplete: Some(why),
        },
    }
}

/// A checked copy of an operation's directories, and the binds that show
/// it at the project's path. Removed when dropped.
pub struct Snapshot {
    /// Each checked copy bound read-only over its original.
    pub binds: Vec<Bind>,
    dir: PathBuf,
}

impl Snapshot {
    /// Check the directories `dirs` (canonical, inside `project`, each with
    /// its pin) against what they hold now, and copy what was checked into
    /// `at` (a new directory, private to ztguard). `approved(path, sha256)`:
    /// a human approved that content of a changed or new file.
    pub fn take(
        project: &Path,
        at: &Path,
        dirs: &[(&Path, &DirPin)],
        approved: &dyn Fn(&Path, &str) -> bool,
    ) -> Result<Snapshot, String> {
        let mut contents: BTreeMap<PathBuf, BTreeMap<PathBuf, Found>> = BTreeMap::new();
        for (dir, pin) in dirs {
            let rel = dir
                .strip_prefix(project)
                .map_err(|_| format!("{} is not inside the project", dir.display()))?;
            if let Some(why) = &pin.incomplete {
                return Err(format!(
                    "the directory of a script the operation runs could not be pinned when `ztguard exec` started ({why}), so nothing in it may receive a secret"
                ));
            }
            let now = walk(dir, pin.recursive)?;
            for (p, r) in &now {
                let ok = match (&r.entry, pin.entries.get(p)) {
                    (Entry::Dir, Some(Entry::Dir)) | (Entry::Dir, None) => true,
                    (now, Some(then)) if now == then => true,
                    (Entry::File { sha256, .. }, _) => approved(&dir.join(p), sha256),
                    _ => false,
                };
                if !ok {
                    let full = dir.join(p);
                    return Err(format!(
                        "{} changed after `ztguard exec` started (or was not there then), and it lies beside a script the operation runs, which may load it; a human can approve this content with `ztguard approve {}`",
                        full.display(),
                        full.display()
                    ));
                }
            }
            contents.insert(rel.to_path_buf(), now);
        }
        std::fs::create_dir_all(at).map_err(|e| format!("{}: {e}", at.display()))?;
        std::fs::set_permissions(at, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("{}: {e}", at.display()))?;
        let mut snap = Snapshot {
            binds: Vec::new(),
            dir: at.to_path_buf(),
        };
        for (i, (rel, tree)) in contents.iter().enumerate() {
            let copy = at.join(format!("dir-{i}"));
            let err = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
            std::fs::create_dir(&copy).map_err(|e| err(&copy, e))?;
            for (p, r) in tree {
                write_entry(&copy.join(p), r).map_err(|e| err(&copy.join(p), e))?;
            }
            if rel.as_os_str().is_empty() {
                // The project root: each of its files in its place.
                for (p, r) in tree {
                    if matches!(r.entry, Entry::File { .. }) {
                        snap.binds.push(Bind {
                            source: copy.join(p),
                            target: project.join(p),
                            writable: false,
                        });
                    }
                }
            } else {
                snap.binds.push(Bind {
                    source: copy.clone(),
                    target: project.join(rel),
                    writable: false,
                });
            }
            seal(&copy).map_err(|e| err(&copy, e))?;
        }
        Ok(snap)
    }

    /// The private directory the snapshot lives in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Remove the snapshots (`operation-PID-N` under `scratch`) of runs whose
/// process is gone: a `ztguard exec` that was killed left them behind.
pub fn sweep(scratch: &Path) {
    for dir in ztguard_sandbox::stale_runs(scratch, "operation-") {
        let _ = unseal(&dir);
        let _ = std::fs::remove_dir_all(dir);
    }
}

impl Drop for Snapshot {
    fn drop(&mut self) {
        let _ = unseal(&self.dir);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Write one checked entry (a file from the bytes read, a link, a directory).
fn write_entry(path: &Path, r: &Found) -> std::io::Result<()> {
    match &r.entry {
        Entry::Dir => std::fs::create_dir_all(path),
        Entry::Link(target) => std::os::unix::fs::symlink(target, path),
        Entry::File { exec, .. } => {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, &r.bytes)?;
            let mode = if *exec { 0o500 } else { 0o400 };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        }
    }
}

/// Make the view's own directories read-only (0500), bottom up; the files
/// were written 0400/0500.
fn seal(dir: &Path) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            seal(&e.path())?;
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o500))
}

/// Let the snapshot be removed again.
fn unseal(dir: &Path) -> std::io::Result<()> {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    for e in std::fs::read_dir(dir)? {
        let e = e?;
        if e.file_type()?.is_dir() {
            unseal(&e.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn approve_none(_: &Path, _: &str) -> bool {
        false
    }

    #[test]
    fn a_changed_or_new_file_beside_the_script_is_refused() {
        let t = tempfile::tempdir().expect("tempdir");
        let project = t.path().join("p");
        let scripts = project.join("scripts");
        std::fs::create_dir_all(scripts.join("sub")).expect("mkdir");
        std::fs::write(scripts.join("deploy.py"), "import json\n").expect("write");
        std::fs::write(scripts.join("sub/x.sh"), "echo\n").expect("write");
        let pin = pin_dir(&scripts, true);
        assert!(pin.incomplete.is_none(), "{pin:?}");
        let at = t.path().join("snap");
        let ok = Snapshot::take(&project, &at, &[(&scripts, &pin)], &approve_none);
        assert!(ok.is_ok(), "{:?}", ok.err());
        drop(ok);
        assert!(!at.exists(), "removed when dropped");
        // A module planted beside the script (Python's sys.path[0]).
        std::fs::write(scripts.join("json.py"), "print('x')\n").expect("write");
        let no = Snapshot::take(&project, &at, &[(&scripts, &pin)], &approve_none);
        assert!(no.err().expect("refused").contains("json.py"));
        // A human approved that content.
        let yes = Snapshot::take(&project, &at, &[(&scripts, &pin)], &|p: &Path, _: &str| {
            p.ends_with("json.py")
        });
        assert!(yes.is_ok());
        drop(yes);
        std::fs::remove_file(scripts.join("json.py")).expect("rm");
        // A changed helper in a subdirectory; a link put in a file's place.
        std::fs::write(scripts.join("sub/x.sh"), "echo changed\n").expect("write");
        assert!(Snapshot::take(&project, &at, &[(&scripts, &pin)], &approve_none).is_err());
        std::fs::write(scripts.join("sub/x.sh"), "echo\n").expect("write");
        std::fs::remove_file(scripts.join("deploy.py")).expect("rm");
        std::os::unix::fs::symlink("/bin/sh", scripts.join("deploy.py")).expect("ln");
        assert!(Snapshot::take(&project, &at, &[(&scripts, &pin)], &approve_none).is_err());
    }

    #[test]
    fn the_copies_hold_the_checked_bytes_and_are_bound_over_their_originals() {
        let t = tempfile::tempdir().expect("tempdir");
        let project = t.path().join("p");
        let scripts = project.join("tools/deploy");
        std::fs::create_dir_all(&scripts).expect("mkdir");
        std::fs::write(scripts.join("run.sh"), "#!/bin/sh\necho ok\n").expect("write");
        std::fs::set_permissions(
            scripts.join("run.sh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        std::os::unix::fs::symlink("run.sh", scripts.join("link")).expect("ln");
        let pin = pin_dir(&scripts, true);
        let at = t.path().join("snap");
        let snap =
            Snapshot::take(&project, &at, &[(&scripts, &pin)], &approve_none).expect("snapshot");
        assert_eq!(snap.binds.len(), 1);
        let b = &snap.binds[0];
        assert_eq!(b.target, scripts);
        assert!(!b.writable && b.source.starts_with(&at));
        assert_eq!(
            std::fs::read_to_string(b.source.join("run.sh")).expect("read"),
            "#!/bin/sh\necho ok\n"
        );
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&b.source.join("run.sh")), 0o500);
        assert_eq!(mode(&b.source), 0o500);
        assert_eq!(
            std::fs::read_link(b.source.join("link")).expect("link"),
            Path::new("run.sh")
        );
    }

    #[test]
    fn snapshots_of_runs_that_are_gone_are_swept() {
        let t = tempfile::tempdir().expect("tempdir");
        let gone = t.path().join("operation-999999999-0");
        let live = t.path().join(format!("operation-{}-0", std::process::id()));
        for d in [&gone, &live] {
            std::fs::create_dir_all(d.join("dir-0")).expect("mkdir");
            std::fs::write(d.join("dir-0/x"), "x").expect("write");
            seal(d).expect("seal");
        }
        sweep(t.path());
        assert!(!gone.exists() && live.exists());
        unseal(&live).expect("unseal");
    }

    #[test]
    fn the_project_root_pins_its_files_only() {
        let t = tempfile::tempdir().expect("tempdir");
        let project = t.path().join("p");
        std::fs::create_dir_all(project.join("src")).expect("mkdir");
        std::fs::write(project.join("deploy.sh"), "echo\n").expect("write");
        std::fs::write(project.join("src/a.rs"), "fn main(){}\n").expect("write");
        let pin = pin_dir(&project, false);
        assert_eq!(pin.entries.len(), 1, "{pin:?}");
        std::fs::write(project.join("src/b.rs"), "\n").expect("write");
        let at = t.path().join("snap");
        let snap =
            Snapshot::take(&project, &at, &[(&project, &pin)], &approve_none).expect("snapshot");
        assert_eq!(snap.binds.len(), 1);
        assert_eq!(snap.binds[0].target, project.join("deploy.sh"));
        drop(snap);
        std::fs::write(project.join("lib.sh"), "\n").expect("write");
        assert!(Snapshot::take(&project, &at, &[(&project, &pin)], &approve_none).is_err());
    }

    #[test]
    fn a_tree_too_large_to_pin_refuses_its_operations() {
        let t = tempfile::tempdir().expect("tempdir");
        let dir = t.path().join("d");
        let mut deep = dir.clone();
        for _ in 0..=MAX_DEPTH {
            deep = deep.join("x");
        }
        std::fs::create_dir_all(&deep).expect("mkdir");
        let pin = pin_dir(&dir, true);
        assert!(pin.incomplete.is_some());
        let at = t.path().join("snap");
        let no = Snapshot::take(t.path(), &at, &[(&dir, &pin)], &approve_none);
        assert!(no.err().expect("refused").contains("could not be pinned"));
    }
}
