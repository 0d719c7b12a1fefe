/*!
The audit log's core: an append-only JSON Lines file in which every record
carries the SHA-256 of the one before it, so that a modified, deleted,
inserted or reordered line breaks the chain at a place [`verify`] names.

Writers take an exclusive lock on the file (`flock`, through `std`) for the
read-tail-then-append step, so concurrent hook processes never interleave a
line or fork the chain. A line torn by a crash mid-write is told apart from
tampering and [`repair`] removes just that line.

Not yet here (the rest of issue 4): rotation, checkpoints anchored outside
the log, the hook's records, and the commands that read the log.
*/

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// How far back from the end a writer looks for the last record.
const TAIL: u64 = 256 * 1024;

/// The hash of a record: SHA-256 over its JSON without the `hash` field.
/// `prev` is inside that JSON, which chains the records.
pub fn record_hash(without_hash: &str) -> String {
    format!("{:x}", Sha256::digest(without_hash.as_bytes()))
}

/// The last complete line of the file and whether a torn fragment follows it.
/// Reads backwards from the end in growing windows: a record is a few
/// hundred bytes, and every hook call appends one.
fn tail(f: &mut File) -> std::io::Result<(Option<String>, bool)> {
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

/// Append one record (a JSON object of the caller's fields) under the
/// file lock. Returns its sequence number and hash.
pub fn append(path: &Path, fields: Map<String, Value>) -> Result<(u64, String), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut f = open_locked(
        path,
        OpenOptions::new().create(true).read(true).append(true),
    )?;
    let result = append_locked(&mut f, fields);
    let _ = f.unlock();
    result.map_err(|e| format!("{}: {e}", path.display()))
}

fn append_locked(f: &mut File, fields: Map<String, Value>) -> std::io::Result<(u64, String)> {
    let (last, torn) = tail(f)?;
    let (seq, prev) = match last.as_deref().and_then(seq_and_hash) {
        Some((s, h)) => (s + 1, h),
        None if last.is_none() => (1, GENESIS.to_string()),
        // The last complete line is not a record: keep counting from it as
        // damage `verify` will report, never from scratch.
        None => (0, GENESIS.to_string()),
    };
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
    let mut line = String::new();
    if torn {
        // End the crashed writer's fragment so it stays a line of its own.
        line.push('\n');
    }
    line.push_str(&Value::Object(record).to_string());
    line.push('\n');
    // One write of the whole line: with O_APPEND and the lock it lands whole.
    f.write_all(line.as_bytes())?;
    Ok((seq, hash))
}

/// What [`verify`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verification {
    pub records: u64,
    pub last_seq: u64,
    pub last_hash: String,
    /// The first line that breaks the chain (1-based) and why.
    pub first_bad: Option<(usize, String)>,
    /// Lines torn by a crash mid-write (1-based): damage, not tampering.
    pub torn: Vec<usize>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.first_bad.is_none() && self.torn.is_empty()
    }
}

/// Check the whole chain: every line parses, its hash is right, its `prev`
/// is the previous record's hash and its `seq` the next number.
pub fn verify(path: &Path) -> Result<Verification, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut v = Verification {
        last_hash: GENESIS.to_string(),
        ..Verification::default()
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let complete = raw.ends_with('\n');
        let line = raw.trim_end_matches('\n');
        let parsed: Option<Map<String, Value>> = serde_json::from_str(line).ok();
        let Some(mut rec) = parsed else {
            // A torn line is a prefix of a record that a crash cut short:
            // it is either the last line, or followed by a record that
            // chains to the one before it.
            let next_chains = lines.get(i + 1).and_then(|l| {
                let m: Map<String, Value> = serde_json::from_str(l.trim_end_matches('\n')).ok()?;
                Some(m.get("prev")?.as_str()? == v.last_hash)
            });
            if line.starts_with('{')
                && (!complete || next_chains == Some(true) || i + 1 == lines.len())
            {
                v.torn.push(n);
                continue;
            }
            v.first_bad.get_or_insert((n, "not a JSON record".into()));
            break;
        };
        let stored = rec
            .remove("hash")
            .and_then(|h| h.as_str().map(str::to_string));
        let seq = rec.get("seq").and_then(Value::as_u64);
        let prev = rec.get("prev").and_then(Value::as_str).map(str::to_string);
        let (Some(stored), Some(seq), Some(prev)) = (stored, seq, prev) else {
            v.first_bad = Some((
                n,
                "a field of the chain (seq, prev, hash) is missing".into(),
            ));
            break;
        };
        let actual = record_hash(&Value::Object(rec).to_string());
        if actual != stored {
            v.first_bad = Some((
                n,
                "the record was modified (its hash does not match)".into(),
            ));
            break;
        }
        if prev != v.last_hash {
            v.first_bad = Some((n, "the chain is broken here: a record before it was changed, removed, inserted or moved".into()));
            break;
        }
        if seq != v.last_seq + 1 {
            v.first_bad = Some((n, format!("sequence {seq} follows {}", v.last_seq)));
            break;
        }
        v.records += 1;
        v.last_seq = seq;
        v.last_hash = stored;
    }
    Ok(v)
}

/// Open `path` with `opts` and take the exclusive lock every writer takes.
fn open_locked(path: &Path, opts: &OpenOptions) -> Result<File, String> {
    let f = opts
        .open(path)
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    f.lock()
        .map_err(|e| format!("cannot lock {}: {e}", path.display()))?;
    Ok(f)
}

/// Remove torn lines (and nothing else). Returns how many were removed.
///
/// The check and the rewrite happen under the writers' lock, and the file
/// is rewritten in place: a writer waiting on the lock then appends to the
/// repaired file, where a rename would leave it appending to the old one.
pub fn repair(path: &Path) -> Result<usize, String> {
    let mut f = open_locked(path, OpenOptions::new().read(true).write(true))?;
    let result = repair_locked(&mut f, path);
    let _ = f.unlock();
    result
}

fn repair_locked(f: &mut File, path: &Path) -> Result<usize, String> {
    let v = verify(path)?;
    if v.torn.is_empty() {
        return Ok(0);
    }
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut text = String::new();
    f.read_to_string(&mut text).map_err(io)?;
    let kept: String = text
        .split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| !v.torn.contains(&(i + 1)))
        .map(|(_, l)| l)
        .collect();
    f.set_len(0).map_err(io)?;
    f.seek(SeekFrom::Start(0)).map_err(io)?;
    f.write_all(kept.as_bytes()).map_err(io)?;
    Ok(v.torn.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(n: u64) -> Map<String, Value> {
        json!({"event": "PreToolUse", "tool": "Bash", "n": n})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    fn log_with(n: u64) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        for i in 0..n {
            append(&p, fields(i)).expect("append");
        }
        (dir, p)
    }

    fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p)
            .expect("read")
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn rewrite(p: &Path, l: &[String]) {
        std::fs::write(p, l.join("\n") + "\n").expect("write");
    }

    #[test]
    fn a_clean_chain_verifies() {
        let (_d, p) = log_with(5);
        let v = verify(&p).expect("verify");
        assert!(v.ok(), "{v:?}");
        assert_eq!((v.records, v.last_seq), (5, 5));
    }

    #[test]
    fn every_kind_of_tampering_is_found_at_its_line() {
        let (_d, p) = log_with(5);
        let orig = lines(&p);
        // modified
        let mut l = orig.clone();
        l[2] = l[2].replace("\"n\":2", "\"n\":9");
        rewrite(&p, &l);
        assert_eq!(verify(&p).expect("v").first_bad.map(|b| b.0), Some(3));
        // deleted
        let mut l = orig.clone();
        l.remove(1);
        rewrite(&p, &l);
        assert_eq!(verify(&p).expect("v").first_bad.map(|b| b.0), Some(2));
        // reordered
        let mut l = orig.clone();
        l.swap(1, 3);
        rewrite(&p, &l);
        assert_eq!(verify(&p).expect("v").first_bad.map(|b| b.0), Some(2));
        // inserted (a copy of another record)
        let mut l = orig.clone();
        l.insert(3, orig[0].clone());
        rewrite(&p, &l);
        assert_eq!(verify(&p).expect("v").first_bad.map(|b| b.0), Some(4));
    }

    #[test]
    fn a_torn_tail_is_reported_repaired_and_appended_after() {
        let (_d, p) = log_with(3);
        let mut text = std::fs::read_to_string(&p).expect("read");
        text.push_str("{\"seq\":4,\"event\":\"PreTo");
        std::fs::write(&p, text).expect("write");
        let v = verify(&p).expect("v");
        assert_eq!((v.torn.clone(), v.first_bad.clone()), (vec![4], None));
        // A writer after the crash keeps the chain going past the fragment.
        append(&p, fields(9)).expect("append");
        let v = verify(&p).expect("v");
        assert_eq!(
            (v.torn.clone(), v.first_bad.clone(), v.last_seq),
            (vec![4], None, 4)
        );
        assert_eq!(repair(&p).expect("repair"), 1);
        let v = verify(&p).expect("v");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.records, 4);
    }

    #[test]
    fn repair_while_others_append_loses_nothing() {
        let (_d, p) = log_with(3);
        let mut text = std::fs::read_to_string(&p).expect("read");
        text.push_str("{\"seq\":4,\"ev");
        std::fs::write(&p, text).expect("write");
        std::thread::scope(|s| {
            for t in 0..4 {
                let p = &p;
                s.spawn(move || {
                    for i in 0..50 {
                        append(p, fields(t * 100 + i)).expect("append");
                    }
                });
            }
            for _ in 0..20 {
                repair(&p).expect("repair");
            }
        });
        repair(&p).expect("repair");
        let v = verify(&p).expect("v");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.records, 3 + 200);
    }

    #[test]
    fn records_longer_than_the_first_tail_window_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        let mut big = fields(0);
        big.insert("input".into(), Value::from("x".repeat(20_000)));
        append(&p, big).expect("append");
        let (seq, _) = append(&p, fields(1)).expect("append");
        assert_eq!(seq, 2);
        assert!(verify(&p).expect("v").ok());
    }

    #[test]
    fn threads_with_their_own_handles_never_fork_the_chain() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        std::thread::scope(|s| {
            for t in 0..8 {
                let p = &p;
                s.spawn(move || {
                    for i in 0..100 {
                        append(p, fields(t * 1000 + i)).expect("append");
                    }
                });
            }
        });
        let v = verify(&p).expect("v");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.records, 800);
    }
}
