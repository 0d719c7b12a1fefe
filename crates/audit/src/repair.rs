//! Undoing crash damage, and nothing else: torn lines, and a live file that
//! still repeats the segment an interrupted rotation had just written.
//! Tampering is never "repaired": it stays for `verify` to report.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use crate::append::open_locked;
use crate::segments::rotated;
use crate::verify::{Snapshot, check};

/// What [`repair`] removed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Repaired {
    /// Torn lines removed.
    pub torn: usize,
    /// Records removed from the live file because the newest segment already holds them.
    pub repeated: usize,
}

/// Remove torn lines and an interrupted rotation's repeat.
///
/// The check and the rewrite happen under the writers' lock, and the live
/// file is rewritten in place: a writer waiting on the lock then appends to
/// the repaired file, where a rename would leave it appending to the old one.
pub fn repair(path: &Path) -> Result<Repaired, String> {
    let mut f = open_locked(path, OpenOptions::new().read(true).write(true))?;
    let result = repair_locked(&mut f, path);
    let _ = f.unlock();
    result
}

fn repair_locked(f: &mut File, path: &Path) -> Result<Repaired, String> {
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut done = Repaired::default();
    let mut live = String::new();
    f.read_to_string(&mut live).map_err(io)?;
    if let Some((_, seg)) = rotated(path).pop() {
        let seg_text =
            std::fs::read_to_string(&seg).map_err(|e| format!("{}: {e}", seg.display()))?;
        let known: HashSet<&str> = seg_text.lines().collect();
        let repeated = live.lines().take_while(|l| known.contains(l)).count();
        if repeated > 0 {
            let kept: String = live.split_inclusive('\n').skip(repeated).collect();
            live = kept;
            done.repeated = repeated;
        }
    }
    // Verify what the live file is about to hold, before writing it. This
    // process holds the writers' lock, so no other writer changes the log.
    let v = check(path, &Snapshot::with_live(path, live.clone()), None)?.torn;
    for loc in &v {
        if loc.file != path {
            let text = std::fs::read_to_string(&loc.file)
                .map_err(|e| format!("{}: {e}", loc.file.display()))?;
            let kept = drop_lines(&text, &[loc.line]);
            let tmp = loc.file.with_extension("repair");
            std::fs::write(&tmp, kept)
                .and_then(|_| std::fs::rename(&tmp, &loc.file))
                .map_err(|e| format!("{}: {e}", loc.file.display()))?;
        }
    }
    let live_torn: Vec<usize> = v
        .iter()
        .filter(|l| l.file == path)
        .map(|l| l.line)
        .collect();
    done.torn = v.len();
    if done.repeated > 0 || !live_torn.is_empty() {
        let kept = drop_lines(&live, &live_torn);
        f.set_len(0).map_err(io)?;
        f.seek(SeekFrom::Start(0)).map_err(io)?;
        f.write_all(kept.as_bytes()).map_err(io)?;
    }
    Ok(done)
}

fn drop_lines(text: &str, lines: &[usize]) -> String {
    text.split_inclusive('\n')
        .enumerate()
        .filter(|(i, _)| !lines.contains(&(i + 1)))
        .map(|(_, l)| l)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fields, log_with};
    use crate::{Options, append, append_with, segments, verify};

    #[test]
    fn a_torn_tail_is_repaired_and_appended_after() {
        let (_d, p) = log_with(3);
        let mut text = std::fs::read_to_string(&p).expect("read");
        text.push_str("{\"seq\":4,\"event\":\"PreTo");
        std::fs::write(&p, text).expect("write");
        append(&p, fields(9)).expect("append");
        assert_eq!(repair(&p).expect("repair").torn, 1);
        let v = verify(&p).expect("v");
        assert!(v.ok(), "{v:?}");
        assert_eq!(v.records, 4);
        assert_eq!(repair(&p).expect("repair"), Repaired::default());
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
    fn an_interrupted_rotation_is_named_and_undone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        for i in 0..4 {
            append(&p, fields(i)).expect("append");
        }
        // The crash: the segment was written, the live file not yet emptied.
        std::fs::copy(&p, dir.path().join("audit.jsonl.1")).expect("copy");
        let v = verify(&p).expect("v");
        let bad = v.first_bad.expect("named");
        assert!(bad.1.contains("rotation was interrupted"), "{}", bad.1);
        // Writers go on meanwhile.
        append_with(&p, fields(8), &Options::default()).expect("append");
        let done = repair(&p).expect("repair");
        assert_eq!(done.repeated, 4);
        let v = verify(&p).expect("v");
        assert!(v.ok(), "{v:?}");
        assert_eq!((v.records, v.files), (5, 2));
        assert_eq!(segments(&p).len(), 2);
    }
}
