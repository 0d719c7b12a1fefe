//! Per-session state: counters, the last minute's events, the busiest
//! minute so far, the baseline, and whether the session is revoked.
//!
//! One JSON file per session under `.ztguard/sessions/`, read, changed and
//! rewritten under an exclusive lock on that file, so Claude Code's parallel
//! hook processes and subagents never lose a count. The distinct files read
//! live beside it (`<id>.reads`, one short hash per line), so that the state
//! file stays small and only calls that read pay for the set.
//!
//! The baseline a new session starts with comes from the project's
//! baseline summary ([`crate::summary`]), which these writes keep up to date,
//! not from reading every past session's file.

use std::cell::RefCell;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ztguard_policy::MonitorSettings;

use crate::facts::Facts;
use crate::rules::{self, Anomaly, Baseline};
use crate::summary::{self, Mark};
use crate::{file_stem, sha256_hex, store};

/// The window of the per-minute rules.
pub const WINDOW_MS: u64 = 60_000;

/// Event times (ms) within the last minute.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Recent {
    pub calls: Vec<u64>,
    pub writes: Vec<u64>,
    pub denials: Vec<u64>,
    pub reads: Vec<u64>,
    pub credentials: Vec<u64>,
}

impl Recent {
    fn prune(&mut self, now: u64) {
        let keep = |v: &mut Vec<u64>| v.retain(|&t| now.saturating_sub(t) < WINDOW_MS);
        keep(&mut self.calls);
        keep(&mut self.writes);
        keep(&mut self.denials);
        keep(&mut self.reads);
        keep(&mut self.credentials);
    }
    pub fn counts(&self) -> Peaks {
        Peaks {
            calls: self.calls.len() as u32,
            writes: self.writes.len() as u32,
            denials: self.denials.len() as u32,
            reads: self.reads.len() as u32,
        }
    }
}

/// Per-minute counts: the busiest minute of a session so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Peaks {
    pub calls: u32,
    pub writes: u32,
    pub denials: u32,
    pub reads: u32,
}

impl Peaks {
    fn max(self, o: Peaks) -> Peaks {
        Peaks {
            calls: self.calls.max(o.calls),
            writes: self.writes.max(o.writes),
            denials: self.denials.max(o.denials),
            reads: self.reads.max(o.reads),
        }
    }
}

/// Why and when a session was revoked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revocation {
    pub at_ms: u64,
    pub rule: String,
    pub why: String,
    /// "monitor" (an anomaly rule) or "human" (`ztguard session revoke`).
    pub by: String,
}

/// A human unlocked the session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unlock {
    pub at_ms: u64,
    /// The rule of the revocation it lifted.
    pub rule: String,
}

/// One session.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub id: String,
    pub started_ms: u64,
    pub last_ms: u64,
    pub ended_ms: Option<u64>,
    pub calls: u64,
    pub denials: u64,
    pub denials_in_a_row: u32,
    pub credential_attempts: u64,
    /// Calls that reach the network, and those of them to destinations the policy does not allow outright.
    pub network_calls: u64,
    pub network_attempts: u64,
    /// Calls that read files (Read, Grep, `cat`, …).
    pub reads: u64,
    pub outside_allowed: u64,
    pub writes: u64,
    /// Distinct files read.
    pub files_read: u64,
    /// `files_read` when the session was last unlocked (the rule counts from there).
    pub files_read_base: u64,
    pub last_credential_ms: Option<u64>,
    pub recent: Recent,
    pub peaks: Peaks,
    pub baseline: Option<Baseline>,
    pub revoked: Option<Revocation>,
    pub unlocks: Vec<Unlock>,
    /// What the project's baseline summary holds for this session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summarized: Option<Mark>,
}

impl State {
    pub fn new(id: &str, now: u64) -> State {
        State {
            id: id.to_string(),
            started_ms: now,
            last_ms: now,
            ..State::default()
        }
    }

    /// Count one call.
    fn count(&mut self, facts: &Facts, new_files: u64, now: u64) {
        self.recent.prune(now);
        self.calls += 1;
        self.last_ms = now;
        self.recent.calls.push(now);
        if facts.denied {
            self.denials += 1;
            self.denials_in_a_row += 1;
            self.recent.denials.push(now);
        } else {
            self.denials_in_a_row = 0;
        }
        if facts.writes {
            self.writes += 1;
            self.recent.writes.push(now);
        }
        if !facts.reads.is_empty() {
            self.reads += 1;
            self.recent.reads.push(now);
        }
        if facts.network {
            self.network_calls += 1;
        }
        self.files_read += new_files;
        if facts.credential {
            self.credential_attempts += 1;
            self.last_credential_ms = Some(now);
            self.recent.credentials.push(now);
        }
        if facts.network_unapproved {
            self.network_attempts += 1;
        }
        if facts.outside {
            self.outside_allowed += 1;
        }
        self.peaks = self.peaks.max(self.recent.counts());
    }
}

/// What recording a call found.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub state: State,
    /// An anomaly this call tripped (the session is now revoked).
    pub anomaly: Option<Anomaly>,
}

/// The sessions directory of a project.
pub fn dir(project: &Path) -> PathBuf {
    project.join(".ztguard").join("sessions")
}

fn state_path(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{}.json", file_stem(id)))
}

/// Whether a write must refresh the session's entry in the baseline
/// summary whatever it holds (the session ends).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Refresh {
    WhenDue,
    Always,
}

/// Lock and read a session's state (a new one, with its baseline, when
/// there is none), let `f` change it, bring the project's baseline summary
/// up to date with it when due, and write it back.
///
/// Locks are taken in one order, the session's state then the summary, and
/// the summary's rebuild reads other states without locking them, so two
/// sessions never wait for each other in a cycle.
fn with_state<R>(
    dir: &Path,
    id: &str,
    now: u64,
    settings: Option<&MonitorSettings>,
    refresh: Refresh,
    f: impl FnOnce(&mut State) -> Result<R, String>,
) -> Result<R, String> {
    // The summary a new session drew its baseline from, still locked: its
    // own entry goes into the same read of it.
    let held: RefCell<Option<summary::Held>> = RefCell::new(None);
    let init = || {
        let mut s = State::new(id, now);
        if let Some(m) = settings.filter(|m| m.baseline && m.enabled) {
            let h = summary::Held::open(dir).map_err(|e| e.to_string())?;
            s.baseline = rules::baseline(&h.past(id), m.baseline_min_sessions);
            *held.borrow_mut() = Some(h);
        }
        Ok(s)
    };
    store::update(&state_path(dir, id), init, |s| {
        let r = f(s)?;
        if let Some(mark) = summary::due(s, now, refresh == Refresh::Always) {
            let mut h = match held.take() {
                Some(h) => h,
                None => summary::Held::open(dir).map_err(|e| e.to_string())?,
            };
            h.put(id, mark);
            h.close().map_err(|e| e.to_string())?;
            s.summarized = Some(mark);
        }
        Ok(r)
    })
}

/// Count `facts` (when given) and check the rules. A revoked session is
/// left as it is: the caller denies the call.
pub fn record(
    dir: &Path,
    id: &str,
    facts: Option<&Facts>,
    m: &MonitorSettings,
    now: u64,
) -> Result<Outcome, String> {
    with_state(dir, id, now, Some(m), Refresh::WhenDue, |s| {
        let Some(facts) = facts else {
            return Ok(Outcome {
                state: s.clone(),
                anomaly: None,
            });
        };
        if s.revoked.is_some() {
            s.last_ms = now;
            return Ok(Outcome {
                state: s.clone(),
                anomaly: None,
            });
        }
        let new_files = if facts.reads.is_empty() {
            0
        } else {
            add_reads(dir, id, &facts.reads)?
        };
        s.count(facts, new_files, now);
        let anomaly = rules::check(s, facts, m, now);
        if let Some(a) = &anomaly {
            s.revoked = Some(Revocation {
                at_ms: now,
                rule: a.rule.clone(),
                why: a.why.clone(),
                by: "monitor".into(),
            });
        }
        Ok(Outcome {
            state: s.clone(),
            anomaly,
        })
    })
}

/// Add paths to the session's set of files read; returns how many were new.
fn add_reads(dir: &Path, id: &str, paths: &[PathBuf]) -> Result<u64, String> {
    let path = dir.join(format!("{}.reads", file_stem(id)));
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    let mut f = OpenOptions::new()
        .create(true)
        .read(true)
        .append(true)
        .open(&path)
        .map_err(io)?;
    let mut known = String::new();
    f.read_to_string(&mut known).map_err(io)?;
    let mut added = String::new();
    for p in paths {
        let h = &sha256_hex(p.as_os_str().as_encoded_bytes())[..16];
        if !known.lines().any(|l| l == h) && !added.lines().any(|l| l == h) {
            added.push_str(h);
            added.push('\n');
        }
    }
    if !added.is_empty() {
        f.write_all(added.as_bytes()).map_err(io)?;
    }
    Ok(added.lines().count() as u64)
}

/// The session state files of a sessions directory.
pub(crate) fn state_files(dir: &Path) -> impl Iterator<Item = PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
}

/// One state file, when it parses (listing skips a damaged one).
pub(crate) fn read_state(path: &Path) -> Option<State> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Start (or resume) a session: creates its state, with the baseline.
pub fn start(dir: &Path, id: &str, m: &MonitorSettings, now: u64) -> Result<State, String> {
    with_state(dir, id, now, Some(m), Refresh::WhenDue, |s| {
        s.ended_ms = None;
        Ok(s.clone())
    })
}

/// Mark a session ended.
pub fn end(dir: &Path, id: &str, now: u64) -> Result<(), String> {
    with_state(dir, id, now, None, Refresh::Always, |s| {
        s.ended_ms = Some(now);
        Ok(())
    })
}

/// A session's state, if it has one.
pub fn load(dir: &Path, id: &str) -> Result<Option<State>, String> {
    store::load(&state_path(dir, id))
}

/// Every session of the project, most recently active first.
pub fn list(dir: &Path) -> Vec<State> {
    let mut out: Vec<State> = state_files(dir).filter_map(|p| read_state(&p)).collect();
    out.sort_by_key(|s: &State| std::cmp::Reverse(s.last_ms));
    out
}

/// Revoke a session by hand.
pub fn revoke(dir: &Path, id: &str, why: &str, now: u64) -> Result<State, String> {
    with_state(dir, id, now, None, Refresh::WhenDue, |s| {
        s.revoked = Some(Revocation {
            at_ms: now,
            rule: "manual".into(),
            why: why.to_string(),
            by: "human".into(),
        });
        Ok(s.clone())
    })
}

/// Lift a revocation. The per-minute windows, the denial streak and the
/// credential memory start over, and the file count counts from here, so
/// the next call does not trip the same rule again at once.
pub fn unlock(dir: &Path, id: &str, now: u64) -> Result<Option<Revocation>, String> {
    if !state_path(dir, id).exists() {
        return Err(format!("no session {id} in {}", dir.display()));
    }
    with_state(dir, id, now, None, Refresh::WhenDue, |s| {
        let lifted = s.revoked.take();
        if let Some(r) = &lifted {
            s.unlocks.push(Unlock {
                at_ms: now,
                rule: r.rule.clone(),
            });
        }
        s.recent = Recent::default();
        s.denials_in_a_row = 0;
        s.last_credential_ms = None;
        s.outside_allowed = 0;
        s.files_read_base = s.files_read;
        Ok(lifted)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred() -> Facts {
        Facts {
            credential: true,
            denied: true,
            ..Facts::default()
        }
    }

    #[test]
    fn a_credential_burst_revokes_and_unlock_restores() {
        let d = tempfile::tempdir().expect("tempdir");
        let m = MonitorSettings {
            credential_attempts_per_minute: 5,
            ..MonitorSettings::default()
        };
        for i in 0..4 {
            let o = record(d.path(), "s1", Some(&cred()), &m, 1000 + i).expect("record");
            assert!(o.anomaly.is_none());
        }
        let o = record(d.path(), "s1", Some(&cred()), &m, 1010).expect("record");
        assert_eq!(
            o.anomaly.map(|a| a.rule).as_deref(),
            Some("credential-burst")
        );
        assert!(
            load(d.path(), "s1")
                .expect("load")
                .expect("some")
                .revoked
                .is_some()
        );
        let lifted = unlock(d.path(), "s1", 2000).expect("unlock");
        assert_eq!(lifted.map(|r| r.rule).as_deref(), Some("credential-burst"));
        let o = record(d.path(), "s1", Some(&Facts::default()), &m, 2001).expect("record");
        assert!(o.anomaly.is_none() && o.state.revoked.is_none());
        assert_eq!(o.state.unlocks.len(), 1);
    }

    #[test]
    fn the_minute_window_forgets_old_events() {
        let d = tempfile::tempdir().expect("tempdir");
        let m = MonitorSettings {
            credential_attempts_per_minute: 3,
            ..MonitorSettings::default()
        };
        for i in 0..10u64 {
            let o = record(d.path(), "s", Some(&cred()), &m, i * 40_000).expect("record");
            assert!(o.anomaly.is_none(), "attempt {i}");
        }
    }

    #[test]
    fn distinct_files_are_counted_once() {
        let d = tempfile::tempdir().expect("tempdir");
        let m = MonitorSettings::default();
        let read = |p: &str| Facts {
            reads: vec![PathBuf::from(p)],
            ..Facts::default()
        };
        for p in ["/p/a", "/p/b", "/p/a", "/p/c", "/p/b"] {
            record(d.path(), "s", Some(&read(p)), &m, 5).expect("record");
        }
        assert_eq!(load(d.path(), "s").expect("l").expect("s").files_read, 3);
    }

    #[test]
    fn concurrent_writers_lose_no_count() {
        let d = tempfile::tempdir().expect("tempdir");
        let m = MonitorSettings::default();
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..50 {
                        record(d.path(), "s", Some(&Facts::default()), &m, 1).expect("record");
                    }
                });
            }
        });
        assert_eq!(load(d.path(), "s").expect("l").expect("s").calls, 400);
    }

    #[test]
    fn session_ids_cannot_name_paths() {
        let d = tempfile::tempdir().expect("tempdir");
        record(
            d.path(),
            "../../x",
            Some(&Facts::default()),
            &MonitorSettings::default(),
            1,
        )
        .expect("record");
        assert!(d.path().join("______x.json").exists());
    }
}
