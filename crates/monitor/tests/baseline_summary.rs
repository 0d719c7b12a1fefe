//! The baseline summary against the full scan of every past session's
//! state that it replaces: generated histories give the same baseline at
//! every point, through a missing, damaged or foreign summary; concurrent
//! sessions lose no entry; a summary that cannot be written fails the call
//! and is rebuilt by the next.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use ztguard_monitor::rules::{self, Baseline};
use ztguard_monitor::summary::{self, BASELINE_SESSIONS};
use ztguard_monitor::{Facts, file_stem, session};
use ztguard_policy::MonitorSettings;

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// 2026-01-01, in ms: times far from the clock of the machine running the
/// test would do as well, as long as file times match them.
const BASE: u64 = 1_767_225_600_000;

/// A history under construction: the sessions directory, and when each
/// state file was last written in the history's own time.
struct History {
    dir: PathBuf,
    written: HashMap<String, u64>,
    m: MonitorSettings,
}

impl History {
    fn new(dir: &Path) -> History {
        History {
            dir: dir.to_path_buf(),
            written: HashMap::new(),
            m: MonitorSettings::default(),
        }
    }

    /// Give the state file of `id` the history's time `t` as its
    /// modification time: the full scan ranks sessions by it.
    fn touch(&mut self, id: &str, t: u64) {
        let path = self.dir.join(format!("{}.json", file_stem(id)));
        let f = std::fs::File::options()
            .write(true)
            .open(&path)
            .expect("state file");
        f.set_modified(UNIX_EPOCH + Duration::from_millis(t))
            .expect("set mtime");
        self.written.insert(id.to_string(), t);
    }

    fn record(&mut self, id: &str, facts: &Facts, t: u64) {
        session::record(&self.dir, id, Some(facts), &self.m, t).expect("record");
        self.touch(id, t);
    }

    /// One past session starting at `t0`, shaped by `rng`: how many calls,
    /// how fast, what they do, and whether it is revoked, unlocked, ended.
    fn session(&mut self, rng: &mut Rng, id: &str, t0: u64) {
        let calls = 1 + rng.below(60);
        let gap = 200 + rng.below(4000);
        let mut t = t0;
        for _ in 0..calls {
            let facts = Facts {
                denied: rng.chance(10),
                writes: rng.chance(30),
                reads: if rng.chance(40) {
                    vec![PathBuf::from(format!("/p/{}", rng.below(50)))]
                } else {
                    vec![]
                },
                network: rng.chance(5),
                ..Facts::default()
            };
            self.record(id, &facts, t);
            t += gap;
        }
        if rng.chance(10) {
            session::revoke(&self.dir, id, "by hand", t).expect("revoke");
            self.touch(id, t);
            t += 1000;
            if rng.chance(40) {
                session::unlock(&self.dir, id, t).expect("unlock");
                self.touch(id, t);
                t += 1000;
            }
        }
        if rng.chance(50) {
            session::end(&self.dir, id, t).expect("end");
            self.touch(id, t);
        }
    }

    /// The baseline a new session `id` gets at `t`, and the one a scan of
    /// every state file gives (as the first call did before the summary).
    fn probe(&mut self, id: &str, t: u64) -> (Option<Baseline>, Option<Baseline>) {
        let scanned = rules::baseline(
            &summary::scan_past(&self.dir, id),
            self.m.baseline_min_sessions,
        );
        let s = session::start(&self.dir, id, &self.m, t).expect("start");
        self.touch(id, t);
        (s.baseline, scanned)
    }
}

#[test]
fn the_summary_gives_the_full_scans_baseline_on_generated_histories() {
    for seed in [1u64, 0x9E37_79B9_7F4A_7C15] {
        let d = tempfile::tempdir().expect("tempdir");
        let mut h = History::new(d.path());
        let mut rng = Rng(seed);
        let probes: HashSet<usize> = [
            0, 1, 3, 4, 5, 6, 10, 50, 119, 121, 150, 171, 198, 199, 200, 201, 202, 211, 230, 259,
        ]
        .into_iter()
        .collect();
        let mut with_baseline = 0;
        for k in 0..260usize {
            // Sessions an hour apart: each one is over before the next starts.
            let t0 = BASE + k as u64 * 3_600_000;
            match k {
                // No summary (as after an upgrade): the next call rebuilds it.
                120 => std::fs::remove_file(d.path().join(summary::FILE)).expect("rm"),
                // A damaged summary, and one of another layout.
                170 => std::fs::write(
                    d.path().join(summary::FILE),
                    "ztguard baseline summary 1 1\n1767225600000 a 3 1",
                )
                .expect("write"),
                210 => std::fs::write(
                    d.path().join(summary::FILE),
                    "ztguard baseline summary 99 0\n",
                )
                .expect("write"),
                _ => {}
            }
            h.session(&mut rng, &format!("past-{k}"), t0);
            if probes.contains(&k) {
                let (got, want) = h.probe(&format!("probe-{k}"), t0 + 1_800_000);
                assert_eq!(got, want, "seed {seed:#x}, after session {k}");
                with_baseline += usize::from(got.is_some());
            }
        }
        // The generated histories do reach a baseline, past the 200 the
        // baseline looks at.
        assert!(with_baseline >= 12, "seed {seed:#x}: {with_baseline}");
        assert!(h.written.len() > BASELINE_SESSIONS);
    }
}

#[test]
fn a_missing_or_damaged_summary_is_rebuilt_from_the_states() {
    let d = tempfile::tempdir().expect("tempdir");
    let mut h = History::new(d.path());
    let mut rng = Rng(7);
    for k in 0..30 {
        h.session(&mut rng, &format!("s{k}"), BASE + k * 3_600_000);
    }
    let path = d.path().join(summary::FILE);
    let whole = summary::entries(d.path()).expect("entries");
    for damage in [
        None,
        Some(&b"not json"[..]),
        Some(&b"\xff\xfe\x00"[..]),
        Some(&b""[..]),
        // Without a checksum, and with a wrong one (the order, names and
        // counts a summary must have are checked in the module's tests).
        Some(&b"ztguard baseline summary 1 2\n1 a -\n2 b -\n"[..]),
        Some(&b"ztguard baseline summary 1 2\n2 a -\n1 a -\n"[..]),
        Some(&b"ztguard baseline summary 1 1\n2 ../a -\n"[..]),
        Some(&b"ztguard baseline summary 1 1\n2 a 1 2 3\n"[..]),
        Some(&b"ztguard baseline summary 1 1 0123456789abcdef\n2 a -\n"[..]),
    ] {
        match damage {
            None => std::fs::remove_file(&path).expect("rm"),
            Some(bytes) => std::fs::write(&path, bytes).expect("write"),
        }
        let rebuilt = summary::entries(d.path()).expect("entries");
        // The rebuild ranks by file times, which the history set to each
        // session's last write; its peaks are the states' own.
        assert_eq!(ids(&rebuilt), ids(&whole), "{damage:?}");
        for ((_, a), (_, b)) in rebuilt.iter().zip(&whole) {
            assert_eq!(a.peaks, b.peaks);
        }
        let text = std::fs::read_to_string(&path).expect("the rebuilt summary is written back");
        assert!(text.starts_with("ztguard baseline summary 1 30 "), "{text}");
        assert_eq!(text.lines().count(), 31, "{text}");
    }
}

fn ids(entries: &[(String, summary::Mark)]) -> Vec<&str> {
    entries.iter().map(|(id, _)| id.as_str()).collect()
}

/// Concurrent sessions, each with calls from several threads at once (as
/// Claude Code's parallel hook processes do): every session is in the
/// summary, with exactly what its final state contributes, and the baseline
/// of the next session is the full scan's.
#[test]
fn concurrent_sessions_lose_no_entry() {
    let d = tempfile::tempdir().expect("tempdir");
    let m = MonitorSettings::default();
    let dir = d.path();
    std::thread::scope(|s| {
        for thread in 0..8u64 {
            let m = &m;
            s.spawn(move || {
                let mut rng = Rng(thread + 1);
                for i in 0..12u64 {
                    // Two writers to the same session, interleaved with the others.
                    let id = format!("s{}", i % 6 + 6 * (thread / 2));
                    let calls = 5 + rng.below(30);
                    for c in 0..calls {
                        let facts = Facts {
                            writes: rng.chance(50),
                            ..Facts::default()
                        };
                        let t = BASE + i * 1000 + c * 10 + thread;
                        session::record(dir, &id, Some(&facts), m, t).expect("record");
                    }
                }
            });
        }
    });
    let all: Vec<_> = session::list(dir);
    assert_eq!(all.len(), 24);
    let entries = summary::entries(dir).expect("entries");
    let in_summary: HashMap<&str, summary::Mark> =
        entries.iter().map(|(id, m)| (id.as_str(), *m)).collect();
    assert_eq!(in_summary.len(), all.len(), "every session has its entry");
    for s in &all {
        let mark = in_summary[file_stem(&s.id).as_str()];
        assert_eq!(mark.peaks, summary::contribution(s), "{}", s.id);
        assert_eq!(s.summarized, Some(mark), "{}", s.id);
    }
    let scanned = rules::baseline(&summary::scan_past(dir, "next"), m.baseline_min_sessions);
    let next = session::start(dir, "next", &m, BASE + 100_000).expect("start");
    assert!(scanned.is_some());
    assert_eq!(next.baseline, scanned);
}

/// A summary that cannot be read or written fails the call (the caller
/// denies it: the monitor's state could not be kept), and once it can be,
/// the next call rebuilds it from the states, this session's included.
#[test]
fn a_summary_that_cannot_be_written_fails_closed_and_is_rebuilt() {
    let d = tempfile::tempdir().expect("tempdir");
    let m = MonitorSettings::default();
    for i in 0..25 {
        session::record(d.path(), "a", Some(&Facts::default()), &m, BASE + i).expect("record");
    }
    // Something in the summary's way.
    let path = d.path().join(summary::FILE);
    std::fs::remove_file(&path).expect("rm");
    std::fs::create_dir(&path).expect("mkdir");
    let failed = session::record(d.path(), "b", Some(&Facts::default()), &m, BASE + 100);
    assert!(failed.is_err(), "{failed:?}");
    std::fs::remove_dir(&path).expect("rmdir");
    let o =
        session::record(d.path(), "b", Some(&Facts::default()), &m, BASE + 200).expect("record");
    assert_eq!(o.state.calls, 1, "the failed call was not counted");
    let entries = summary::entries(d.path()).expect("entries");
    assert_eq!(ids(&entries).len(), 2);
    let a = entries.iter().find(|(id, _)| id == "a").expect("a");
    assert_eq!(a.1.peaks.map(|p| p.calls), Some(25));
}
