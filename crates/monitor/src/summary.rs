//! The baseline summary: what the baseline needs of the project's past
//! sessions, kept in one small file beside their states, so that a new
//! session draws its baseline without reading every past session.
//!
//! `.ztguard/sessions/baseline.summary` lists the most recently active
//! sessions (one more than the baseline looks at, so that a session's own
//! entry can be left out of its baseline), most recent first: when each was
//! last active and, when it counts for the baseline (enough calls, not
//! revoked), its busiest minute. The baseline drawn from it is the one a
//! scan of every state file gives ([`scan`], which also rebuilds it).
//!
//! A session's state remembers what the summary holds for it (its
//! [`Mark`]), so an ordinary call costs nothing here: the summary is
//! rewritten only when what the session contributes changes (it reaches the
//! baseline's minimum of calls, a new busiest minute, revoked or unlocked),
//! when it ends, and otherwise at most once a minute while it is active.
//!
//! Guarantees:
//! - **Atomic**: the summary is rewritten aside and renamed over, under an
//!   exclusive lock on `baseline.summary.lock`, so a reader sees a whole
//!   old or a whole new summary, and concurrent hook processes never lose
//!   each other's entries (each rewrite reads the summary under the lock).
//! - **Damage rebuilds**: a missing, unreadable or damaged summary, or one
//!   of another format, is rebuilt from the state files (what every first
//!   call used to do), then kept up to date again.
//! - **Ranking**: the full scan takes the most recently written state
//!   files; the summary ranks by a session's last refresh, which lags its
//!   last write by under a minute. The two agree whenever sessions do not
//!   overlap at the edge of the most recent [`BASELINE_SESSIONS`]; with
//!   that many or fewer past sessions they always agree.
//! - **Not seen**: a state file removed by hand still counts until the
//!   summary is removed too (the next session then rebuilds it); a damaged
//!   state file keeps the entry of its last good write.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::session::{self, Peaks, State};

/// The summary, in the sessions directory (not `.json`: it is not a session).
pub const FILE: &str = "baseline.summary";
/// Held (exclusively) by whoever reads and rewrites the summary.
const LOCK: &str = "baseline.summary.lock";
/// The next summary, renamed over [`FILE`] once whole.
const NEXT: &str = "baseline.summary.next";
/// Bumped when the layout changes: a summary of another format is rebuilt.
const FORMAT: u32 = 1;

/// Past sessions with fewer calls than this do not shape the baseline.
pub const BASELINE_MIN_CALLS: u64 = 20;
/// At most this many past sessions (the most recent) shape the baseline.
pub const BASELINE_SESSIONS: usize = 200;
/// Entries kept: the baseline's sessions, and the asking session's own.
const KEEP: usize = BASELINE_SESSIONS + 1;
/// An active session's entry is refreshed at least this often.
pub const REFRESH_MS: u64 = 60_000;

/// What the summary holds for one session, as its state remembers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mark {
    /// When the entry was written (ms): how recent the session ranks.
    pub at_ms: u64,
    /// Its busiest minute, when it counts for the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peaks: Option<Peaks>,
}

/// What a session contributes to the baseline: its busiest minute, once it
/// did real work, unless it is revoked.
pub fn contribution(s: &State) -> Option<Peaks> {
    (s.calls >= BASELINE_MIN_CALLS && s.revoked.is_none()).then_some(s.peaks)
}

/// The mark to write for `s` now, when the summary needs it: the session
/// is not in it yet, what it contributes changed, or its entry is a minute
/// old. `force`: whatever the mark (the session ends).
pub(crate) fn due(s: &State, now: u64, force: bool) -> Option<Mark> {
    let peaks = contribution(s);
    let fresh = s.summarized.is_some_and(|m| {
        m.peaks == peaks && now.saturating_sub(m.at_ms) < REFRESH_MS && now >= m.at_ms
    });
    (force || !fresh).then_some(Mark { at_ms: now, peaks })
}

/// What can go wrong with the summary. Damage is not an error: the summary
/// is rebuilt from the state files.
#[derive(Debug)]
pub enum Error {
    /// The summary, its lock or the sessions directory could not be read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The summary could not be encoded.
    Encode(serde_json::Error),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io { path, source } => {
                write!(f, "baseline summary {}: {source}", path.display())
            }
            Error::Encode(e) => write!(f, "baseline summary: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Encode(e) => Some(e),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One session in the summary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    /// The session's file stem.
    id: String,
    at_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    peaks: Option<Peaks>,
}

/// The file's content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Summary {
    format: u32,
    /// Most recent first, at most [`KEEP`].
    sessions: Vec<Entry>,
}

impl Summary {
    /// Put (or move) a session's entry in its place by recency.
    fn put(&mut self, id: &str, mark: Mark) {
        self.sessions.retain(|e| e.id != id);
        let at = self.sessions.partition_point(|e| e.at_ms >= mark.at_ms);
        self.sessions.insert(
            at,
            Entry {
                id: id.to_string(),
                at_ms: mark.at_ms,
                peaks: mark.peaks,
            },
        );
        self.sessions.truncate(KEEP);
    }

    /// The busiest minutes of the most recent past sessions but `except`
    /// that count for the baseline.
    fn past(&self, except: &str) -> Vec<Peaks> {
        self.sessions
            .iter()
            .filter(|e| e.id != except)
            .take(BASELINE_SESSIONS)
            .filter_map(|e| e.peaks)
            .collect()
    }
}

/// The summary, locked for this process until [`Held::close`] (or drop).
pub(crate) struct Held {
    dir: PathBuf,
    summary: Summary,
    changed: bool,
    _lock: File,
}

impl Held {
    /// Lock and read the summary of the sessions in `dir`, rebuilding it
    /// from the state files when it is missing or damaged.
    pub(crate) fn open(dir: &Path) -> Result<Held, Error> {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
        let lock_path = dir.join(LOCK);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        lock.lock().map_err(io(&lock_path))?;
        let path = dir.join(FILE);
        let read = match File::open(&path) {
            Ok(mut f) => {
                let mut text = String::new();
                match f.read_to_string(&mut text) {
                    Ok(_) => Some(text),
                    // Not UTF-8: damaged.
                    Err(e) if e.kind() == ErrorKind::InvalidData => None,
                    Err(e) => return Err(io(&path)(e)),
                }
            }
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(io(&path)(e)),
        };
        let parsed = read
            .and_then(|t| serde_json::from_str::<Summary>(&t).ok())
            .filter(|s| s.format == FORMAT && well_formed(&s.sessions));
        let (summary, changed) = match parsed {
            Some(s) => (s, false),
            None => (scan(dir), true),
        };
        Ok(Held {
            dir: dir.to_path_buf(),
            summary,
            changed,
            _lock: lock,
        })
    }

    /// The busiest minutes the baseline of session `except` is drawn from.
    pub(crate) fn past(&self, except: &str) -> Vec<Peaks> {
        self.summary.past(&crate::file_stem(except))
    }

    /// Note session `id`'s mark.
    pub(crate) fn put(&mut self, id: &str, mark: Mark) {
        self.summary.put(&crate::file_stem(id), mark);
        self.changed = true;
    }

    /// Write the summary if it changed, and unlock. A summary that could
    /// not be written is removed, so that the next reader rebuilds it.
    pub(crate) fn close(self) -> Result<(), Error> {
        if !self.changed {
            return Ok(());
        }
        let written = self.write();
        if written.is_err() {
            let _ = std::fs::remove_file(self.dir.join(FILE));
        }
        written
    }

    fn write(&self) -> Result<(), Error> {
        let text = serde_json::to_vec(&self.summary).map_err(Error::Encode)?;
        let next = self.dir.join(NEXT);
        let mut f = File::create(&next).map_err(io(&next))?;
        f.write_all(&text).map_err(io(&next))?;
        drop(f);
        let path = self.dir.join(FILE);
        std::fs::rename(&next, &path).map_err(io(&path))
    }
}

/// Sorted most recent first, no session twice, no more than kept.
fn well_formed(entries: &[Entry]) -> bool {
    entries.len() <= KEEP && entries.windows(2).all(|w| w[0].at_ms >= w[1].at_ms) && {
        let mut seen = std::collections::HashSet::with_capacity(entries.len());
        entries.iter().all(|e| seen.insert(e.id.as_str()))
    }
}

/// The summary from the state files themselves: the most recently written
/// [`KEEP`], ranked by modification time. A state file that does not parse
/// takes its place and contributes nothing, as in the baseline's own scan.
fn scan(dir: &Path) -> Summary {
    let mut files: Vec<(u64, PathBuf)> = session::state_files(dir)
        .filter_map(|p| {
            let at = std::fs::metadata(&p).ok()?.modified().ok()?;
            let ms = at.duration_since(UNIX_EPOCH).ok()?.as_millis() as u64;
            Some((ms, p))
        })
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files.truncate(KEEP);
    let sessions = files
        .into_iter()
        .filter_map(|(at_ms, p)| {
            let id = p.file_stem()?.to_str()?.to_string();
            let peaks = session::read_state(&p).as_ref().and_then(contribution);
            Some(Entry { id, at_ms, peaks })
        })
        .collect();
    Summary {
        format: FORMAT,
        sessions,
    }
}

/// The sessions in the summary of `dir`, most recent first, by file stem
/// (rebuilding the summary first when it is missing or damaged).
pub fn entries(dir: &Path) -> Result<Vec<(String, Mark)>, Error> {
    let held = Held::open(dir)?;
    let out = held
        .summary
        .sessions
        .iter()
        .map(|e| {
            let mark = Mark {
                at_ms: e.at_ms,
                peaks: e.peaks,
            };
            (e.id.clone(), mark)
        })
        .collect();
    held.close()?;
    Ok(out)
}

/// The busiest minutes the baseline of session `except` would be drawn
/// from by reading every state file, as every first call did before the
/// summary: the reference the summary is tested against.
pub fn scan_past(dir: &Path, except: &str) -> Vec<Peaks> {
    let me = crate::file_stem(except);
    let mut files: Vec<(std::time::SystemTime, PathBuf)> = session::state_files(dir)
        .filter(|p| p.file_stem().is_some_and(|s| s != me.as_str()))
        .filter_map(|p| Some((std::fs::metadata(&p).ok()?.modified().ok()?, p)))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files
        .into_iter()
        .take(BASELINE_SESSIONS)
        .filter_map(|(_, p)| session::read_state(&p))
        .filter_map(|s| contribution(&s))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(at_ms: u64, calls: u32) -> Mark {
        Mark {
            at_ms,
            peaks: (calls > 0).then_some(Peaks {
                calls,
                ..Peaks::default()
            }),
        }
    }

    #[test]
    fn entries_stay_ranked_and_bounded() {
        let mut s = Summary {
            format: FORMAT,
            sessions: vec![],
        };
        for i in 0..(KEEP as u64 + 50) {
            s.put(&format!("s{i}"), mark(1000 + i, 1));
        }
        assert_eq!(s.sessions.len(), KEEP);
        assert!(well_formed(&s.sessions));
        assert_eq!(s.sessions[0].id, format!("s{}", KEEP + 49));
        // Refreshing an old entry moves it to the front, once.
        s.put("s100", mark(5000, 7));
        assert!(well_formed(&s.sessions));
        assert_eq!(s.sessions[0].id, "s100");
        // An entry older than all kept falls off.
        s.put("ancient", mark(1, 3));
        assert!(!s.sessions.iter().any(|e| e.id == "ancient"));
        // The asking session is left out, and only counted ones are given.
        s.put("quiet", mark(6000, 0));
        assert_eq!(s.past("s100").len(), BASELINE_SESSIONS - 1);
        assert_eq!(s.past("nobody").len(), BASELINE_SESSIONS - 1);
    }

    #[test]
    fn a_summary_out_of_order_or_with_twins_is_not_trusted() {
        let e = |id: &str, at_ms| Entry {
            id: id.into(),
            at_ms,
            peaks: None,
        };
        assert!(well_formed(&[e("a", 3), e("b", 2)]));
        assert!(!well_formed(&[e("a", 2), e("b", 3)]));
        assert!(!well_formed(&[e("a", 3), e("a", 2)]));
    }
}
