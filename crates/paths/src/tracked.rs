//! The files a git repository tracks, read from its index (`.git/index`),
//! so a command that prints what git holds (`git show`, `git log -p`,
//! `git grep`, `git archive`) can be judged by the files it may print.
//!
//! Only the index is read: versions 2, 3 and 4 (path prefix compression),
//! SHA-1 and SHA-256 object names. A file committed once and deleted since
//! is in history but not in the index, so it is not listed.

use std::path::{Path, PathBuf};

/// One file in the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrackedFile {
    /// Path relative to the work tree, with `/` separators.
    pub path: String,
    /// The blob's object name, in lowercase hex.
    pub oid: String,
    /// The file's size and modification time when it was last staged: git
    /// takes a file whose stat still matches as unchanged.
    pub size: u32,
    pub mtime: (u32, u32),
}

/// Why the index could not be read.
#[derive(Debug, PartialEq, Eq)]
pub enum IndexError {
    /// No repository holds the directory, or it has no index yet.
    Missing,
    /// The index is not in a format read here.
    Malformed(&'static str),
}

/// The work tree and git directory of the repository holding `dir`: the
/// nearest ancestor with a `.git` directory, or a `.git` file pointing at
/// one (`gitdir: …`, as in worktrees and submodules).
pub fn repository(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let mut d = Some(dir);
    while let Some(cur) = d {
        let dotgit = cur.join(".git");
        if dotgit.is_dir() {
            return Some((cur.to_path_buf(), dotgit));
        }
        if dotgit.is_file() {
            let text = std::fs::read_to_string(&dotgit).ok()?;
            let target = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
            let git_dir = if Path::new(target).is_absolute() {
                PathBuf::from(target)
            } else {
                cur.join(target)
            };
            return Some((cur.to_path_buf(), git_dir));
        }
        d = cur.parent();
    }
    None
}

/// The files the index of `git_dir` lists.
pub fn tracked_files(git_dir: &Path) -> Result<Vec<TrackedFile>, IndexError> {
    tracked_files_where(git_dir, &mut |_| true)
}

/// The files the index of `git_dir` lists whose paths `keep` accepts; the
/// others cost no allocation (an index may list hundreds of thousands).
pub fn tracked_files_where(
    git_dir: &Path,
    keep: &mut dyn FnMut(&str) -> bool,
) -> Result<Vec<TrackedFile>, IndexError> {
    let index = std::fs::read(git_dir.join("index")).map_err(|_| IndexError::Missing)?;
    let sha256 = std::fs::read_to_string(git_dir.join("config")).is_ok_and(|c| {
        c.lines().any(|l| {
            let l = l.trim().to_ascii_lowercase();
            l.starts_with("objectformat") && l.ends_with("sha256")
        })
    });
    parse_index_where(&index, if sha256 { 32 } else { 20 }, keep)
}

fn be32(b: &[u8], at: usize) -> Result<u32, IndexError> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or(IndexError::Malformed("truncated entry"))
}

/// Parse an index file whose object names are `hash_len` bytes long.
pub fn parse_index(b: &[u8], hash_len: usize) -> Result<Vec<TrackedFile>, IndexError> {
    parse_index_where(b, hash_len, &mut |_| true)
}

fn parse_index_where(
    b: &[u8],
    hash_len: usize,
    keep: &mut dyn FnMut(&str) -> bool,
) -> Result<Vec<TrackedFile>, IndexError> {
    if b.get(..4) != Some(b"DIRC") {
        return Err(IndexError::Malformed("no index signature"));
    }
    let version = be32(b, 4)?;
    if !(2..=4).contains(&version) {
        return Err(IndexError::Malformed("unknown index version"));
    }
    let count = be32(b, 8)? as usize;
    let mut out = Vec::new();
    let mut at = 12;
    let mut name: Vec<u8> = Vec::new();
    for _ in 0..count {
        let start = at;
        let mtime = (be32(b, at + 8)?, be32(b, at + 12)?);
        let size = be32(b, at + 36)?;
        let oid_at = at + 40;
        let oid = b
            .get(oid_at..oid_at + hash_len)
            .ok_or(IndexError::Malformed("truncated entry"))?;
        let flags_at = oid_at + hash_len;
        let flags = b
            .get(flags_at..flags_at + 2)
            .map(|s| u16::from_be_bytes([s[0], s[1]]))
            .ok_or(IndexError::Malformed("truncated entry"))?;
        at = flags_at + 2;
        if version >= 3 && flags & 0x4000 != 0 {
            at += 2;
        }
        if version == 4 {
            // The path is the previous one less `strip` bytes, then this suffix.
            let (strip, used) = varint(b.get(at..).unwrap_or_default())?;
            at += used;
            let end = b[at.min(b.len())..]
                .iter()
                .position(|&c| c == 0)
                .ok_or(IndexError::Malformed("unterminated path"))?;
            let kept = name
                .len()
                .checked_sub(strip)
                .ok_or(IndexError::Malformed("bad path prefix"))?;
            name.truncate(kept);
            name.extend_from_slice(&b[at..at + end]);
            at += end + 1;
        } else {
            let end = b[at.min(b.len())..]
                .iter()
                .position(|&c| c == 0)
                .ok_or(IndexError::Malformed("unterminated path"))?;
            name.clear();
            name.extend_from_slice(&b[at..at + end]);
            // Entries are padded with 1–8 NULs to a multiple of 8 bytes.
            let len = at + end - start;
            at = start + ((len + 8) & !7);
        }
        let path = String::from_utf8_lossy(&name);
        if keep(&path) {
            out.push(TrackedFile {
                path: path.into_owned(),
                oid: hex(oid),
                size,
                mtime,
            });
        }
    }
    Ok(out)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// Git's offset encoding (index v4 path prefixes).
fn varint(b: &[u8]) -> Result<(usize, usize), IndexError> {
    let mut i = 0;
    let mut c = *b.first().ok_or(IndexError::Malformed("truncated entry"))?;
    let mut val = usize::from(c & 0x7f);
    while c & 0x80 != 0 {
        i += 1;
        c = *b.get(i).ok_or(IndexError::Malformed("truncated entry"))?;
        val = val
            .checked_add(1)
            .and_then(|v| v.checked_mul(128))
            .ok_or(IndexError::Malformed("bad path prefix"))?
            | usize::from(c & 0x7f);
    }
    Ok((val, i + 1))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs")
            .status
            .success();
        assert!(ok, "git {args:?}");
    }

    fn repo(version: &str, format: &str) -> (tempfile::TempDir, Vec<TrackedFile>) {
        let t = tempfile::tempdir().unwrap();
        let d = t.path();
        git(d, &["init", "-q", &format!("--object-format={format}")]);
        git(d, &["config", "index.version", version]);
        for f in ["a.txt", "src/lib.rs", "src/long/nested/name/x.py", ".env"] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, format!("{f}\n")).unwrap();
        }
        git(d, &["add", "-A"]);
        git(d, &["update-index", "--index-version", version]);
        let (_, gd) = repository(&d.join("src")).unwrap();
        (t, tracked_files(&gd).unwrap())
    }

    #[test]
    fn reads_every_index_version_and_hash() {
        for format in ["sha1", "sha256"] {
            for v in ["2", "3", "4"] {
                let (t, files) = repo(v, format);
                let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
                assert_eq!(
                    paths,
                    [".env", "a.txt", "src/lib.rs", "src/long/nested/name/x.py"],
                    "version {v} {format}"
                );
                let out = Command::new("git")
                    .args(["rev-parse", ":.env"])
                    .current_dir(t.path())
                    .output()
                    .unwrap();
                let oid = String::from_utf8(out.stdout).unwrap();
                assert_eq!(files[0].oid, oid.trim(), "version {v} {format}");
                assert_eq!(files[0].size, 5);
            }
        }
    }

    #[test]
    fn worktrees_point_at_their_git_dir() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("w/sub")).unwrap();
        std::fs::write(
            t.path().join("w/.git"),
            "gitdir: ../main/.git/worktrees/w\n",
        )
        .unwrap();
        let (top, gd) = repository(&t.path().join("w/sub")).unwrap();
        assert_eq!(top, t.path().join("w"));
        assert_eq!(gd, t.path().join("w/../main/.git/worktrees/w"));
    }

    #[test]
    fn malformed_indexes_are_errors_not_panics() {
        assert_eq!(
            parse_index(b"", 20),
            Err(IndexError::Malformed("no index signature"))
        );
        let mut b = b"DIRC\0\0\0\x02\0\0\0\x05".to_vec();
        assert!(parse_index(&b, 20).is_err());
        b.extend_from_slice(&[0u8; 70]);
        assert!(parse_index(&b, 20).is_err());
        let mut v4 = b"DIRC\0\0\0\x04\0\0\0\x01".to_vec();
        v4.extend_from_slice(&[0u8; 62]);
        v4.extend_from_slice(&[0xff, 0xff, 0xff]);
        assert!(parse_index(&v4, 20).is_err());
    }
}
