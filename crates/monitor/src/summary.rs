//! The baseline summary: what the baseline needs of the project's past
//! sessions, kept in one small file beside their states, so that a new
//! session draws its baseline without reading every past session.
//!
//! `.ztguard/sessions/baseline.summary` lists the most recently active
//! sessions (one more than the baseline looks at, so that a session's own
//! entry can be left out of its baseline), most recent first: when each was
//! last active and, when it counts for the baseline (enough calls, not
//! revoked), its busiest minute. The baseline drawn from it is the one a
//! scan of every state file gives ([`scan_past`]; a rebuild reads them the
//! same way).
//!
//! It is text, one line a session after a header, because a new session's
//! first call reads and rewrites all of it (as JSON, 201 entries cost that
//! call about a million instructions more than an empty summary):
//!
//! ```text
//! ztguard baseline summary 1 2 5d1f0c2a9b7e4411  (layout, sessions, checksum of the rest)
//! 1767225600000 0f3c…-session-id 36 10 4 15     (ms, id, calls writes denials reads)
//! 1767222000000 another-session -               (does not count)
//! ```
//!
//! A session's state remembers what the summary holds for it (its
//! [`Mark`]), so an ordinary call costs nothing here: the summary is
//! rewritten only when what the session contributes changes (it reaches the
//! baseline's minimum of calls, a new busiest minute, revoked or unlocked),
//! when it ends, and otherwise at most once a minute while it is active.
//!
//! Guarantees:
//! - **No lost entries**: the summary is read and rewritten under an
//!   exclusive lock on it, so concurrent hook processes never lose each
//!   other's entries.
//! - **A torn write is seen**: it is rewritten in place (writing aside and
//!   renaming over made the file system flush it, 0.5 ms on every new
//!   session), so a process killed or a machine stopped mid-write can leave
//!   a mix of old and new text; the header's count and checksum of the
//!   lines tell it from a summary.
//! - **Damage rebuilds**: a missing, empty, torn or otherwise damaged
//!   summary, or one of another layout, is rebuilt from the state files
//!   (what every first call used to do), then kept up to date again. One
//!   that cannot be written fails the call that wrote it.
//! - **Ranking**: the full scan takes the most recently written state
//!   files; the summary ranks by a session's last refresh, which lags its
//!   last write by under a minute. The two agree whenever sessions do not
//!   overlap at the edge of the most recent [`BASELINE_SESSIONS`]; with
//!   that many or fewer past sessions they always agree.
//! - **Not seen**: a state file removed by hand still counts until the
//!   summary is removed too (the next session then rebuilds it); a damaged
//!   state file keeps the entry of its last good write.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};

use crate::session::{self, Peaks, State};

/// The summary, in the sessions directory (not `.json`: it is not a session).
pub const FILE: &str = "baseline.summary";
/// The first line, before the number of sessions and the checksum; its
/// number is bumped when the layout changes, and a summary of another
/// layout is rebuilt.
const HEADER: &str = "ztguard baseline summary 1";

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
    /// The summary or the sessions directory could not be read or written.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io { path, source } => {
                write!(f, "baseline summary {}: {source}", path.display())
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
        }
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One session in the summary. Its id, and the line it was read from, are
/// ranges of the summary's text: reading and rewriting a summary copies
/// lines instead of parsing names and formatting numbers again.
#[derive(Clone, Debug)]
struct Entry {
    at_ms: u64,
    peaks: Option<Peaks>,
    /// The session's file stem.
    id: Range<usize>,
    /// The whole line, newline included, when it was read and not changed.
    line: Option<Range<usize>>,
}

/// The file's content.
#[derive(Clone, Debug, Default)]
struct Summary {
    /// The text read, then the ids of sessions put since.
    text: String,
    /// Most recent first, at most [`KEEP`].
    sessions: Vec<Entry>,
}

/// Reads the summary's text a byte at a time.
struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn byte(&mut self, b: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&b)).then(|| self.at += 1)
    }
    /// A decimal number, without sign or leading space.
    fn num(&mut self) -> Option<u64> {
        let start = self.at;
        let mut n: u64 = 0;
        while let Some(d) = self.bytes.get(self.at).filter(|b| b.is_ascii_digit()) {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.at += 1;
        }
        (self.at > start).then_some(n)
    }
    fn num32(&mut self) -> Option<u32> {
        u32::try_from(self.num()?).ok()
    }
    /// A session's file stem.
    fn stem(&mut self) -> Option<Range<usize>> {
        let start = self.at;
        let len = self
            .bytes
            .get(start..)?
            .iter()
            .take_while(|&&b| stem_byte(b))
            .count();
        self.at += len;
        (1..=128).contains(&len).then_some(start..self.at)
    }
}

impl Summary {
    /// The summary in `text`, unless it is damaged or of another layout.
    fn parse(text: String) -> Option<Summary> {
        let mut c = Cursor {
            bytes: text.as_bytes(),
            at: 0,
        };
        if !text.starts_with(HEADER) {
            return None;
        }
        c.at = HEADER.len();
        c.byte(b' ')?;
        let count = usize::try_from(c.num()?).ok().filter(|&n| n <= KEEP)?;
        c.byte(b' ')?;
        let sum = c.at..c.at + 16;
        c.at = sum.end;
        c.byte(b'\n')?;
        if text.get(sum)? != checksum(&text.as_bytes()[c.at..]) {
            return None;
        }
        let mut sessions = Vec::with_capacity(count);
        while c.at < c.bytes.len() {
            let start = c.at;
            let at_ms = c.num()?;
            c.byte(b' ')?;
            let id = c.stem()?;
            c.byte(b' ')?;
            let peaks = if c.byte(b'-').is_some() {
                None
            } else {
                let calls = c.num32()?;
                c.byte(b' ')?;
                let writes = c.num32()?;
                c.byte(b' ')?;
                let denials = c.num32()?;
                c.byte(b' ')?;
                Some(Peaks {
                    calls,
                    writes,
                    denials,
                    reads: c.num32()?,
                })
            };
            c.byte(b'\n')?;
            sessions.push(Entry {
                at_ms,
                peaks,
                id,
                line: Some(start..c.at),
            });
        }
        let s = Summary { text, sessions };
        (s.sessions.len() == count && s.well_formed()).then_some(s)
    }

    fn id(&self, e: &Entry) -> &str {
        &self.text[e.id.clone()]
    }

    /// Sorted most recent first, no session twice.
    fn well_formed(&self) -> bool {
        if !self.sessions.windows(2).all(|w| w[0].at_ms >= w[1].at_ms) {
            return false;
        }
        let mut ids: Vec<&str> = self.sessions.iter().map(|e| self.id(e)).collect();
        ids.sort_unstable();
        ids.windows(2).all(|w| w[0] != w[1])
    }

    /// The file's text.
    fn render(&self) -> String {
        let mut head = String::with_capacity(HEADER.len() + 24);
        head.push_str(HEADER);
        head.push(' ');
        push_num(&mut head, self.sessions.len() as u64);
        head.push(' ');
        let mut out = String::with_capacity(self.text.len() + 128);
        for e in &self.sessions {
            if let Some(line) = &e.line {
                out.push_str(&self.text[line.clone()]);
                continue;
            }
            push_num(&mut out, e.at_ms);
            out.push(' ');
            out.push_str(self.id(e));
            match e.peaks {
                Some(p) => {
                    for n in [p.calls, p.writes, p.denials, p.reads] {
                        out.push(' ');
                        push_num(&mut out, u64::from(n));
                    }
                }
                None => out.push_str(" -"),
            }
            out.push('\n');
        }
        head.push_str(&checksum(out.as_bytes()));
        head.push('\n');
        head + &out
    }

    /// Add an entry after all others (they are given most recent first).
    fn push(&mut self, id: &str, mark: Mark) {
        let start = self.text.len();
        self.text.push_str(id);
        self.sessions.push(Entry {
            at_ms: mark.at_ms,
            peaks: mark.peaks,
            id: start..self.text.len(),
            line: None,
        });
    }

    /// Put (or move) a session's entry in its place by recency.
    fn put(&mut self, id: &str, mark: Mark) {
        let text = &self.text;
        self.sessions.retain(|e| &text[e.id.clone()] != id);
        let at = self.sessions.partition_point(|e| e.at_ms >= mark.at_ms);
        self.push(id, mark);
        if let Some(e) = self.sessions.pop() {
            self.sessions.insert(at, e);
        }
        self.sessions.truncate(KEEP);
    }

    /// The busiest minutes of the most recent past sessions but `except`
    /// that count for the baseline.
    fn past(&self, except: &str) -> Vec<Peaks> {
        self.sessions
            .iter()
            .filter(|e| self.id(e) != except)
            .take(BASELINE_SESSIONS)
            .filter_map(|e| e.peaks)
            .collect()
    }
}

/// The checksum of a summary's lines, to tell a torn write (not an
/// attacker's: the agent cannot write the summary): a 64-bit
/// multiply-rotate hash over eight bytes at a time, in hex. SHA-256 cost a
/// new session's first call ten times more where the CPU has no SHA
/// instructions.
fn checksum(lines: &[u8]) -> String {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = lines.len() as u64;
    let mut words = lines.chunks_exact(8);
    for w in &mut words {
        let mut b = [0u8; 8];
        b.copy_from_slice(w);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(K);
    }
    let mut last = [0u8; 8];
    last[..words.remainder().len()].copy_from_slice(words.remainder());
    h = (h.rotate_left(5) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    // Spread every bit over the whole (the finalizer of MurmurHash3).
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    format!("{h:016x}")
}

/// Append a number in decimal.
fn push_num(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[i..] {
        out.push(char::from(d));
    }
}

/// The summary, locked for this process until [`Held::close`] (or drop).
pub(crate) struct Held {
    path: PathBuf,
    file: File,
    summary: Summary,
    /// The length of the text read.
    read: u64,
    changed: bool,
}

impl Held {
    /// Lock and read the summary of the sessions in `dir`, rebuilding it
    /// from the state files when it is missing or damaged.
    pub(crate) fn open(dir: &Path) -> Result<Held, Error> {
        let path = dir.join(FILE);
        let open = || {
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true)
                .open(&path)
        };
        let mut file = match open() {
            Ok(f) => f,
            Err(_) => {
                std::fs::create_dir_all(dir).map_err(io(dir))?;
                open().map_err(io(&path))?
            }
        };
        file.lock().map_err(io(&path))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(io(&path))?;
        let read = bytes.len() as u64;
        let parsed = String::from_utf8(bytes).ok().and_then(Summary::parse);
        let (summary, changed) = match parsed {
            Some(s) => (s, false),
            None => (scan(dir), true),
        };
        Ok(Held {
            path,
            file,
            summary,
            read,
            changed,
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

    /// Write the summary if it changed, and unlock.
    pub(crate) fn close(mut self) -> Result<(), Error> {
        if !self.changed {
            return Ok(());
        }
        // Overwrite, then cut what is left of a longer old text (as the
        // session states are written, and for the same reason).
        let text = self.summary.render();
        let path = &self.path;
        self.file.seek(SeekFrom::Start(0)).map_err(io(path))?;
        self.file.write_all(text.as_bytes()).map_err(io(path))?;
        if (text.len() as u64) < self.read {
            self.file.set_len(text.len() as u64).map_err(io(path))?;
        }
        Ok(())
    }
}

/// A byte of a session's file stem ([`crate::file_stem`]).
fn stem_byte(b: u8) -> bool {
    const STEM: [bool; 256] = {
        let mut t = [false; 256];
        let mut i = 0;
        while i < 256 {
            let b = i as u8;
            t[i] = b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
            i += 1;
        }
        t
    };
    STEM[usize::from(b)]
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
    let mut seen = std::collections::HashSet::new();
    let mut summary = Summary::default();
    for (at_ms, p) in files {
        // A name the guard did not give (it writes file stems only) still
        // takes its place, under a name the summary can hold.
        let Some(stem) = p.file_stem() else { continue };
        let id = crate::file_stem(&stem.to_string_lossy());
        if seen.insert(id.clone()) {
            let peaks = session::read_state(&p).as_ref().and_then(contribution);
            summary.push(&id, Mark { at_ms, peaks });
        }
    }
    summary
}

/// The sessions in the summary of `dir`, most recent first, by file stem
/// (rebuilding the summary first when it is missing or damaged).
pub fn entries(dir: &Path) -> Result<Vec<(String, Mark)>, Error> {
    let held = Held::open(dir)?;
    let s = &held.summary;
    let out = s
        .sessions
        .iter()
        .map(|e| {
            let mark = Mark {
                at_ms: e.at_ms,
                peaks: e.peaks,
            };
            (s.id(e).to_string(), mark)
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
        let mut s = Summary::default();
        for i in 0..(KEEP as u64 + 50) {
            s.put(&format!("s{i}"), mark(1000 + i, 1));
        }
        assert_eq!(s.sessions.len(), KEEP);
        assert!(s.well_formed());
        assert_eq!(s.id(&s.sessions[0]), format!("s{}", KEEP + 49));
        // Refreshing an old entry moves it to the front, once.
        s.put("s100", mark(5000, 7));
        assert!(s.well_formed());
        assert_eq!(s.id(&s.sessions[0]), "s100");
        // An entry older than all kept falls off.
        s.put("ancient", mark(1, 3));
        assert!(!s.sessions.iter().any(|e| s.id(e) == "ancient"));
        // The asking session is left out, and only counted ones are given.
        s.put("quiet", mark(6000, 0));
        assert_eq!(s.past("s100").len(), BASELINE_SESSIONS - 1);
        assert_eq!(s.past("nobody").len(), BASELINE_SESSIONS - 1);
    }

    #[test]
    fn the_text_reads_back_as_written() {
        let mut s = Summary::default();
        s.put("a-1_B", mark(10, 0));
        s.put("c", mark(30, 4));
        s.put(
            "d",
            Mark {
                at_ms: u64::MAX,
                peaks: Some(Peaks {
                    calls: u32::MAX,
                    writes: 1,
                    denials: 2,
                    reads: 3,
                }),
            },
        );
        let text = s.render();
        let body = format!(
            "{} d {} 1 2 3\n30 c 4 0 0 0\n10 a-1_B -\n",
            u64::MAX,
            u32::MAX
        );
        assert_eq!(
            text,
            format!("{HEADER} 3 {}\n{body}", checksum(body.as_bytes()))
        );
        let read = Summary::parse(text.clone()).expect("parses");
        assert_eq!(read.render(), text);
        assert_eq!(read.past("x"), s.past("x"));
        let ids = |s: &Summary| {
            s.sessions
                .iter()
                .map(|e| s.id(e).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&read), ids(&s));
        assert_eq!(
            Summary::parse(Summary::default().render()).map(|s| s.sessions.len()),
            Some(0)
        );
        // A torn write: the new text over a longer old one, not yet cut,
        // or only part of it over the old.
        let mut longer = Summary::default();
        for i in 0..5 {
            longer.put(&format!("old{i}"), mark(100 + i, 21));
        }
        let old = longer.render();
        let torn = format!("{text}{}", &old[text.len()..]);
        assert!(Summary::parse(torn).is_none());
        for cut in 1..text.len() {
            let torn = format!("{}{}", &text[..cut], &old[cut..]);
            if torn != old {
                assert!(Summary::parse(torn.clone()).is_none(), "{torn:?}");
            }
        }
        // Cut anywhere, it is not taken for a summary.
        for cut in 0..text.len() - 1 {
            let part = text[..cut].to_string();
            assert!(Summary::parse(part.clone()).is_none(), "{part:?}");
        }
    }

    #[test]
    fn a_summary_out_of_order_or_with_twins_is_not_trusted() {
        let parse = |body: &str| {
            let sum = checksum(body.as_bytes());
            Summary::parse(format!("{HEADER} 2 {sum}\n{body}")).is_some()
        };
        assert!(parse("3 a -\n2 b 1 2 3 4\n"));
        assert!(!parse("2 a -\n3 b -\n"));
        assert!(!parse("3 a -\n2 a -\n"));
        assert!(!parse("3 a -\n2 b 1 2 3\n"));
        assert!(!parse("3 a -\n2 b 1 2 3 99999999999\n"));
        assert!(!parse("3 a -\n2 b/c -\n"));
        assert!(!parse("3 a -\n2 b -\n4 c -\n"));
        assert!(!parse("3 a -\n2 b -"));
        // A line changed without its checksum.
        let good = "3 a -\n2 b 1 2 3 4\n";
        let sum = checksum(good.as_bytes());
        let changed = format!("{HEADER} 2 {sum}\n3 a -\n2 b 1 2 3 5\n");
        assert!(Summary::parse(changed).is_none());
    }
}
