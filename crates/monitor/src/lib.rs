/*!
ztguard's session monitor: what one agent session has done so far, the
anomaly rules that revoke it, and the provenance of the files it wrote.

- [`Facts`] are what one decided tool call tells the monitor: files read,
  a write, an attempt at a credential or an unapproved destination.
- [`session`] keeps each session's counters in `.ztguard/sessions/<id>.json`,
  updated under a file lock so parallel hook processes never lose a count.
- [`rules`] turns counters into anomalies against the `[monitor]`
  thresholds and, with the baseline on, against the project's past sessions.
- [`summary`] keeps what the baseline needs of the past sessions in one
  small file, so a new session's first call does not read them all.
- [`provenance`] remembers the content hash of every file the agent wrote,
  so running one is asked until a human approves that exact content.

Everything here lives in the project's `.ztguard/`, which the built-in
protections keep the agent from writing; unlocking and approving are
commands the agent cannot run.
*/

mod facts;
pub mod provenance;
pub mod rules;
pub mod session;
mod store;
pub mod summary;

pub use facts::Facts;
pub use rules::Anomaly;
pub use session::{Outcome, Revocation, State};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A session id as a file name: Claude Code's are UUIDs; anything else is
/// reduced to safe characters so an id can never name a path.
pub fn file_stem(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(128)
        .collect();
    if clean.is_empty() {
        "unknown".into()
    } else {
        clean
    }
}

/// SHA-256 of bytes, as hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}
