//! Appending a record: under the lock, find the last record (in the live
//! file, or in the newest segment right after a rotation), chain to it,
//! rotate when the live file is full, write the line in one `write`, and
//! move the anchor.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde_json::{Map, Value};

use crate::anchor::Anchor;
use crate::{GENESIS, record_hash, segments};

/// How far back from the end a writer looks for the last record.
const TAIL: u64 = 256 * 1024;

/// How a log is appended to.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Rotate the live file once it would grow past this many bytes (0: never).
    pub max_bytes: u64,
    /// Where to anchor the tail after each append (none: not anchored).
    pub anchor: Option<Anchor>,
}

/// The record just written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub hash: String,
}

/// Append one record (a JSON object of the caller's fields) without
/// rotation or anchor.
pub fn append(path: &Path, fields: Map<String, Value>) -> Result<Appended, String> {
    append_with(path, fields, &Options::default())
}

/// Append one record under the file lock, rotating and anchoring as
/// `opts` says. The caller's `seq`, `prev` and `hash` fields are ignored.
pub fn append_with(
    path: &Path,
    fields: Map<String, Value>,
    opts: &Options,
) -> Result<Appended, String> {
    let mut how = OpenOptions::new();
    how.create(true).read(true).append(true);
    let mut f = match open_locked(path, &how) {
        Ok(f) => f,
        Err(first) => {
            // A new log: make its directory (once, not on every append).
            match path.parent().filter(|d| !d.as_os_str().is_empty()) {
                Some(dir) if !dir.exists() => std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?,
                _ => return Err(first),
            }
            open_locked(path, &how)?
        }
    };
    let result = append_locked(&mut f, path, fields, opts);
    let _ = f.unlock();
    result
}

fn append_locked(
    f: &mut File,
    path: &Path,
    fields: Map<String, Value>,
    opts: &Options,
) -> Result<Appended, String> {
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let len = f.metadata().map_err(io)?.len();
    let (mut last, torn) = tail(f).map_err(io)?;
    if len == 0 {
        // Just rotated (or a new log): the chain goes on from the newest segment.
        if let Some((_, seg)) = segments::rotated(path).pop() {
            let mut s = File::open(&seg).map_err(|e| format!("{}: {e}", seg.display()))?;
            last = tail(&mut s)
                .map_err(|e| format!("{}: {e}", seg.display()))?
                .0;
        }
    }
    let (seq, prev) = match last.as_deref().and_then(seq_and_hash) {
        Some((s, h)) => (s + 1, h),
        None if last.is_none() => (1, GENESIS.to_string()),
        // The last complete line is not a record: keep counting from it as
        // damage `verify` will report, never from scratch.
        None => (0, GENESIS.to_string()),
    };
    let (mut line, hash) = seal(fields, seq, &prev);
    line.push('\n');
    let mut ends_fragment = torn;
    if opts.max_bytes > 0 && len > 0 && len + line.len() as u64 > opts.max_bytes {
        rotate(f, path, torn)?;
        ends_fragment = false;
    }
    if ends_fragment {
        // End the crashed writer's fragment so it stays a line of its own.
        line.insert(0, '\n');
    }
    // One write of the whole line: with O_APPEND and the lock it lands whole.
    f.write_all(line.as_bytes()).map_err(io)?;
    if let Some(anchor) = &opts.anchor {
        anchor.write(path, seq, &hash)?;
    }
    Ok(Appended { seq, hash })
}

/// The line of a record (without its newline) and its hash: `seq` first,
/// the caller's fields, then `prev` and `hash` last — the shape `verify`
/// checks fastest. The caller's `seq`, `prev` and `hash` are dropped.
pub fn seal(fields: Map<String, Value>, seq: u64, prev: &str) -> (String, String) {
    let mut record = Map::new();
    record.insert("seq".into(), Value::from(seq));
    for (k, v) in fields {
        if !matches!(k.as_str(), "seq" | "prev" | "hash") {
            record.insert(k, v);
        }
    }
    record.insert("prev".into(), Value::from(prev));
    let body = Value::Object(record.clone()).to_string();
    let hash = record_hash(&body);
    record.insert("hash".into(), Value::from(hash.clone()));
    (Value::Object(record).to_string(), hash)
}

/// Move the live file's records to the next numbered segment and empty the
/// live file in place (the lock is on its inode: waiting writers keep it).
/// The segment appears whole or not at all (written aside, then renamed).
/// A crash between the rename and the truncation leaves the live file
/// repeating the segment, which `verify` names and `repair` undoes.
fn rotate(f: &mut File, path: &Path, torn: bool) -> Result<(), String> {
    let next = segments::rotated(path).last().map_or(1, |(n, _)| n + 1);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let seg = path.with_file_name(format!("{name}.{next}"));
    let tmp = path.with_file_name(format!(".{name}.{next}.tmp"));
    let io = |e: std::io::Error| format!("rotating {}: {e}", path.display());
    let mut text = Vec::new();
    f.seek(SeekFrom::Start(0)).map_err(io)?;
    f.read_to_end(&mut text).map_err(io)?;
    if torn {
        text.push(b'\n');
    }
    std::fs::write(&tmp, &text).map_err(io)?;
    std::fs::rename(&tmp, &seg).map_err(io)?;
    f.set_len(0).map_err(io)?;
    Ok(())
}

/// The last complete line of the file and whether a torn fragment follows it.
/// Reads backwards from the end in growing windows: a record is a few
/// hundred bytes, and every hook call appends one.
pub(crate) fn tail(f: &mut File) -> std::io::Result<(Option<String>, bool)> {
    let len = f.metadata()?.len();
    if len == 0 {
        return Ok((None, false));
    }
    let mut window = 4096u64;
    loop {
        let start = len.saturating_sub(window);
        f.seek(SeekFrom::Start(start))?;
        let mut buf = Vec::with_capacity((len - start) as usize);
        f.read_to_end(&mut buf)?;
        let torn = buf.last() != Some(&b'\n');
        let Some(end) = buf.iter().rposition(|&b| b == b'\n') else {
            if start == 0 || window >= TAIL {
                return Ok((None, torn));
            }
            window *= 4;
            continue;
        };
        let complete = &buf[..end];
        match complete.iter().rposition(|&b| b == b'\n') {
            Some(i) => {
                return Ok((
                    Some(String::from_utf8_lossy(&complete[i + 1..]).into_owned()),
                    torn,
                ));
            }
            None if start == 0 => {
                return Ok((Some(String::from_utf8_lossy(complete).into_owned()), torn));
            }
            None if window >= TAIL => return Ok((None, torn)),
            None => window *= 4,
        }
    }
}

/// `seq` and `hash` of a record line, when it is one.
fn seq_and_hash(line: &str) -> Option<(u64, String)> {
    let v: Value = serde_json::from_str(line).ok()?;
    Some((
        v.get("seq")?.as_u64()?,
        v.get("hash")?.as_str()?.to_string(),
    ))
}

/// Open `path` with `opts` and take the exclusive lock every writer takes.
pub(crate) fn open_locked(path: &Path, opts: &OpenOptions) -> Result<File, String> {
    let f = opts
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    f.lock()
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::fields;
    use crate::verify;

    #[test]
    fn records_longer_than_the_first_tail_window_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        let mut big = fields(0);
        big.insert("input".into(), Value::from("x".repeat(20_000)));
        append(&p, big).expect("append");
        let a = append(&p, fields(1)).expect("append");
        assert_eq!(a.seq, 2);
        assert!(verify(&p).expect("v").ok());
    }

    #[test]
    fn rotation_keeps_one_chain_across_files() {
        let (_dir, p) = crate::testutil::rotating_log(1000, 40);
        let files = segments(&p);
        assert!(files.len() > 5, "{files:?}");
        for f in &files {
            let len = std::fs::metadata(f).expect("meta").len();
            assert!(len <= 1000, "{} is {len} bytes", f.display());
        }
        let v = verify(&p).expect("v");
        assert!(v.ok(), "{v:?}");
        assert_eq!((v.records, v.last_seq), (40, 40));
    }

    #[test]
    fn threads_with_their_own_handles_never_fork_the_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        let opts = Options {
            max_bytes: 20_000,
            anchor: None,
        };
        std::thread::scope(|s| {
            for t in 0..8 {
                let (p, opts) = (&p, &opts);
                s.spawn(move || {
                    for i in 0..100 {
                        append_with(p, fields(t * 1000 + i), opts).expect("append");
                    }
                });
            }
        });
        let v = verify(&p).expect("v");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.records, 800);
        assert!(segments(&p).len() > 2);
    }
}
