//! Checking the chain: every line is a record whose hash is right, whose
//! `prev` is the previous record's hash and whose `seq` is the next number,
//! across every segment of the log.
//!
//! A million records must verify in well under two seconds, so the common
//! case hashes the line's own bytes: writers always put `prev` and `hash`
//! last, so the hashed text is the line minus its `,"hash":"…"` suffix.
//! Only a line of another shape is parsed and re-serialized.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{GENESIS, record_hash, segments};

/// A line of one file of the log (1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// What [`verify`] found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Verification {
    pub records: u64,
    pub files: usize,
    pub last_seq: u64,
    pub last_hash: String,
    /// The first line that breaks the chain and why.
    pub first_bad: Option<(Location, String)>,
    /// Lines torn by a crash mid-write: damage, not tampering.
    pub torn: Vec<Location>,
    /// The hash of the record with the sequence number asked about (anchors).
    pub(crate) hash_at: Option<String>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        self.first_bad.is_none() && self.torn.is_empty()
    }
}

/// One line, checked on its own.
enum Line<'a> {
    Record {
        seq: u64,
        prev: std::borrow::Cow<'a, str>,
        hash: std::borrow::Cow<'a, str>,
    },
    Modified,
    MissingFields,
    NotJson,
}

const HASH_SUFFIX: &str = ",\"hash\":\"";
const PREV_SUFFIX: &str = ",\"prev\":\"";

/// The fast path: a line exactly as writers write it.
fn as_written(line: &str) -> Option<Line<'_>> {
    let n = line.len();
    let suffix = HASH_SUFFIX.len() + 64 + 2;
    let rest = line.strip_prefix("{\"seq\":")?;
    if n < suffix + PREV_SUFFIX.len() + 65 + 8 || !line.ends_with("\"}") {
        return None;
    }
    let body = line.get(..n - suffix)?;
    let tail = line.get(n - suffix..)?;
    let hash = tail.strip_prefix(HASH_SUFFIX)?.get(..64)?;
    let prev_part = body.get(body.len() - (PREV_SUFFIX.len() + 65)..)?;
    let prev = prev_part.strip_prefix(PREV_SUFFIX)?.strip_suffix('"')?;
    let digits = rest.split(',').next()?;
    let seq: u64 = digits.parse().ok()?;
    let mut h = Sha256::new();
    h.update(body.as_bytes());
    h.update(b"}");
    if format!("{:x}", h.finalize()) != hash {
        return Some(Line::Modified);
    }
    Some(Line::Record {
        seq,
        prev: prev.into(),
        hash: hash.into(),
    })
}

fn check_line(line: &str) -> Line<'_> {
    if let Some(l) = as_written(line) {
        return l;
    }
    let Ok(mut rec) = serde_json::from_str::<Map<String, Value>>(line) else {
        return Line::NotJson;
    };
    let stored = rec
        .remove("hash")
        .and_then(|h| h.as_str().map(str::to_string));
    let seq = rec.get("seq").and_then(Value::as_u64);
    let prev = rec.get("prev").and_then(Value::as_str).map(str::to_string);
    let (Some(stored), Some(seq), Some(prev)) = (stored, seq, prev) else {
        return Line::MissingFields;
    };
    if record_hash(&Value::Object(rec).to_string()) != stored {
        return Line::Modified;
    }
    Line::Record {
        seq,
        prev: prev.into(),
        hash: stored.into(),
    }
}

/// Check the whole chain, across every segment.
pub fn verify(path: &Path) -> Result<Verification, String> {
    let (snap, ()) = snapshot(path, || ())?;
    check(path, &snap, None)
}

/// The log's files, and the live file's text, taken while no writer is
/// mid-append: under a shared lock, held only for listing and reading
/// (segments are never appended to, so they are read afterwards). `during`
/// runs under the same lock (the anchor's checkpoint is read there, so it
/// matches the text). A caller that already holds the writers' lock uses
/// [`Snapshot::with_live`] instead.
pub(crate) fn snapshot<T>(
    path: &Path,
    during: impl FnOnce() -> T,
) -> Result<(Snapshot, T), String> {
    let io = |e: std::io::Error| format!("cannot read {}: {e}", path.display());
    let live = match std::fs::File::open(path) {
        Ok(f) => Some(f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io(e)),
    };
    if let Some(f) = &live {
        f.lock_shared().map_err(io)?;
    }
    let taken = (|| {
        let files = segments(path);
        let text = match &live {
            Some(f) => {
                let mut t = String::new();
                std::io::Read::read_to_string(&mut &*f, &mut t).map_err(io)?;
                Some(t)
            }
            None => None,
        };
        Ok((Snapshot { files, live: text }, during()))
    })();
    if let Some(f) = &live {
        let _ = f.unlock();
    }
    taken
}

/// What [`snapshot`] took.
pub(crate) struct Snapshot {
    files: Vec<PathBuf>,
    live: Option<String>,
}

impl Snapshot {
    /// The log's files with `live` as the live file's text, for a caller
    /// that holds the writers' lock and has the text in hand (`repair`).
    pub(crate) fn with_live(path: &Path, live: String) -> Snapshot {
        Snapshot {
            files: segments(path),
            live: Some(live),
        }
    }
}

/// Check a snapshot of the log at `path`; `want` asks for the hash of one
/// sequence number (the anchor's).
pub(crate) fn check(
    path: &Path,
    snap: &Snapshot,
    want: Option<u64>,
) -> Result<Verification, String> {
    if snap.files.is_empty() {
        return Err(format!("{}: no such audit log", path.display()));
    }
    let mut v = Verification {
        last_hash: GENESIS.to_string(),
        files: snap.files.len(),
        ..Verification::default()
    };
    for (index, file) in snap.files.iter().enumerate() {
        let read;
        let text = match (&snap.live, file == path) {
            (Some(live), true) => live.as_str(),
            _ => {
                read = std::fs::read_to_string(file)
                    .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                read.as_str()
            }
        };
        verify_file(&mut v, file, text, index > 0, want);
        if v.first_bad.is_some() {
            break;
        }
    }
    Ok(v)
}

fn verify_file(v: &mut Verification, file: &Path, text: &str, continued: bool, want: Option<u64>) {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = |i: usize| Location {
        file: file.to_path_buf(),
        line: i + 1,
    };
    for (i, raw) in lines.iter().enumerate() {
        let complete = raw.ends_with('\n');
        let line = raw.trim_end_matches('\n');
        let (seq, prev, hash) = match check_line(line) {
            Line::Record { seq, prev, hash } => (seq, prev, hash),
            Line::NotJson => {
                // A torn line is a prefix of a record that a crash cut short:
                // it is either the last line, or followed by a record that
                // chains to the one before it.
                let next_chains = lines.get(i + 1).map(|l| {
                    matches!(check_line(l.trim_end_matches('\n')),
                        Line::Record { prev, .. } if prev == v.last_hash)
                });
                if line.starts_with('{')
                    && (!complete || next_chains == Some(true) || i + 1 == lines.len())
                {
                    v.torn.push(at(i));
                    continue;
                }
                v.first_bad = Some((at(i), "not a JSON record".into()));
                return;
            }
            Line::MissingFields => {
                v.first_bad = Some((
                    at(i),
                    "a field of the chain (seq, prev, hash) is missing".into(),
                ));
                return;
            }
            Line::Modified => {
                v.first_bad = Some((
                    at(i),
                    "the record was modified (its hash does not match)".into(),
                ));
                return;
            }
        };
        if continued && i == 0 && seq <= v.last_seq && v.records > 0 {
            v.first_bad = Some((
                at(i),
                format!(
                    "this file repeats records of the segment before it (sequence {seq} after {}): \
                     a rotation was interrupted; `ztguard audit repair` removes the repeat",
                    v.last_seq
                ),
            ));
            return;
        }
        if prev != v.last_hash {
            v.first_bad = Some((
                at(i),
                "the chain is broken here: a record before it was changed, removed, inserted or moved"
                    .into(),
            ));
            return;
        }
        if seq != v.last_seq + 1 {
            v.first_bad = Some((at(i), format!("sequence {seq} follows {}", v.last_seq)));
            return;
        }
        v.records += 1;
        v.last_seq = seq;
        v.last_hash = hash.into_owned();
        if want == Some(seq) {
            v.hash_at = Some(v.last_hash.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::append;
    use crate::testutil::{fields, lines, log_with, rewrite};

    fn bad_line(p: &Path) -> Option<usize> {
        verify(p).expect("v").first_bad.map(|b| b.0.line)
    }

    #[test]
    fn a_clean_chain_verifies() {
        let (_d, p) = log_with(5);
        let v = verify(&p).expect("verify");
        assert!(v.ok(), "{v:?}");
        assert_eq!((v.records, v.last_seq, v.files), (5, 5, 1));
    }

    #[test]
    fn every_kind_of_tampering_is_found_at_its_line() {
        let (_d, p) = log_with(5);
        let orig = lines(&p);
        // modified
        let mut l = orig.clone();
        l[2] = l[2].replace("\"n\":2", "\"n\":9");
        rewrite(&p, &l);
        assert_eq!(bad_line(&p), Some(3));
        // modified and re-serialized in another key order
        let mut l = orig.clone();
        let mut m: Map<String, Value> = serde_json::from_str(&l[1]).expect("json");
        let n = m.remove("n").expect("n");
        m.insert("n".into(), Value::from(n.as_u64().unwrap_or(0) + 1));
        l[1] = Value::Object(m).to_string();
        rewrite(&p, &l);
        assert_eq!(bad_line(&p), Some(2));
        // deleted
        let mut l = orig.clone();
        l.remove(1);
        rewrite(&p, &l);
        assert_eq!(bad_line(&p), Some(2));
        // reordered
        let mut l = orig.clone();
        l.swap(1, 3);
        rewrite(&p, &l);
        assert_eq!(bad_line(&p), Some(2));
        // inserted (a copy of another record)
        let mut l = orig.clone();
        l.insert(3, orig[0].clone());
        rewrite(&p, &l);
        assert_eq!(bad_line(&p), Some(4));
        // a hash field removed
        let mut l = orig.clone();
        l[4] = l[4][..l[4].find(",\"hash\"").expect("hash")].to_string() + "}";
        rewrite(&p, &l);
        assert_eq!(bad_line(&p), Some(5));
    }

    #[test]
    fn a_torn_tail_is_damage_not_tampering() {
        let (_d, p) = log_with(3);
        let mut text = std::fs::read_to_string(&p).expect("read");
        text.push_str("{\"seq\":4,\"event\":\"PreTo");
        std::fs::write(&p, text).expect("write");
        let v = verify(&p).expect("v");
        assert_eq!(v.torn.iter().map(|l| l.line).collect::<Vec<_>>(), vec![4]);
        assert_eq!(v.first_bad, None);
        // A writer after the crash keeps the chain going past the fragment.
        append(&p, fields(9)).expect("append");
        let v = verify(&p).expect("v");
        assert_eq!(
            (v.torn.len(), v.first_bad.is_none(), v.last_seq),
            (1, true, 4)
        );
    }

    #[test]
    fn tampering_in_an_older_segment_names_that_file() {
        let (dir, p) = crate::testutil::rotating_log(600, 12);
        let files = segments(&p);
        let first = files[0].clone();
        let orig = lines(&first);
        let mut l = orig.clone();
        l[0] = l[0].replace("\"n\":0", "\"n\":7");
        rewrite(&first, &l);
        let bad = verify(&p).expect("v").first_bad.expect("bad");
        assert_eq!((bad.0.file, bad.0.line), (first.clone(), 1));
        rewrite(&first, &orig);
        assert!(verify(&p).expect("v").ok());
        // A whole segment removed breaks the chain at the next file.
        std::fs::remove_file(&files[1]).expect("rm");
        let bad = verify(&p).expect("v").first_bad.expect("bad");
        assert_eq!((bad.0.file, bad.0.line), (files[2].clone(), 1));
        drop(dir);
    }
}
