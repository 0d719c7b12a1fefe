/*!
ztguard's tamper-evident audit log: an append-only JSON Lines file in which
every record carries the SHA-256 of the one before it, so that a modified,
deleted, inserted or reordered line breaks the chain at a place [`verify`]
names.

- **Many writers.** Writers take an exclusive lock on the live file (`flock`,
  through `std`) for the read-tail-then-append step, so concurrent hook
  processes never interleave a line or fork the chain.
- **Rotation.** When the live file passes a size, its records move to a
  numbered segment beside it (`audit.jsonl.1`, `.2`, …) under the same lock
  and the live file starts over *in place*: the next record's `prev` is the
  segment's last hash, so the chain runs on across files, and writers
  waiting on the lock keep the right file.
- **Anchors.** The tail is anchored outside the log: after each append the
  last sequence number and hash go to a checkpoint file somewhere the agent
  cannot write, optionally signed with HMAC-SHA256 under a key it cannot
  read. A truncated tail, or a log rewritten wholesale, then disagrees with
  its checkpoint.
- **Crashes.** A line torn by a crash mid-write is told apart from
  tampering, and [`repair`] removes just that line.
*/

mod anchor;
mod append;
mod read;
mod repair;
mod segments;
mod verify;

use sha2::{Digest, Sha256};

pub use anchor::{Anchor, AnchorStatus, Checkpoint, check_anchor, load_key, new_key};
pub use append::{Appended, Options, append, append_with, seal};
pub use read::{Record, for_each_record};
pub use repair::{Repaired, repair};
pub use segments::segments;
pub use verify::{Location, Verification, verify};

/// The `prev` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of a record: SHA-256 over its JSON without the `hash` field.
/// `prev` is inside that JSON, which chains the records.
pub fn record_hash(without_hash: &str) -> String {
    sha256_hex(without_hash.as_bytes())
}

/// SHA-256 as lowercase hex (content summaries, checkpoint names).
pub fn sha256_hex(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
}

#[cfg(test)]
pub(crate) mod testutil {
    use serde_json::{Map, Value, json};
    use std::path::{Path, PathBuf};

    pub fn fields(n: u64) -> Map<String, Value> {
        json!({"event": "PreToolUse", "tool": "Bash", "n": n})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    pub fn log_with(n: u64) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        for i in 0..n {
            crate::append(&p, fields(i)).expect("append");
        }
        (dir, p)
    }

    /// A log of `n` records written with rotation past `max_bytes`.
    pub fn rotating_log(max_bytes: u64, n: u64) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("audit.jsonl");
        let opts = crate::Options {
            max_bytes,
            anchor: None,
        };
        for i in 0..n {
            crate::append_with(&p, fields(i), &opts).expect("append");
        }
        (dir, p)
    }

    pub fn lines(p: &Path) -> Vec<String> {
        std::fs::read_to_string(p)
            .expect("read")
            .lines()
            .map(str::to_string)
            .collect()
    }

    pub fn rewrite(p: &Path, l: &[String]) {
        std::fs::write(p, l.join("\n") + "\n").expect("write");
    }
}
