//! Anchoring the tail outside the log.
//!
//! A hash chain proves that no record *inside* it changed, but anyone who
//! can write the log can cut records off its end, or rewrite every record
//! and recompute the chain. The checkpoint — the last sequence number and
//! hash, kept where the agent cannot write — catches the first; signing it
//! with HMAC-SHA256 under a key the agent cannot read catches the second.

use std::io::Read;
use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::verify::{Verification, check, snapshot};

/// Where a log's checkpoint lives, and the key that signs it.
#[derive(Clone, Debug)]
pub struct Anchor {
    pub path: PathBuf,
    pub key: Option<Vec<u8>>,
}

/// A checkpoint as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    pub log: String,
    pub seq: u64,
    pub hash: String,
    pub mac: Option<String>,
}

/// How a log compares with its checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AnchorStatus {
    /// The log ends exactly where the checkpoint says.
    Matches { seq: u64 },
    /// No checkpoint was ever written for this log.
    NoCheckpoint,
    /// The log ends before the anchored record: its tail was cut off.
    Truncated { anchored: u64, last: u64 },
    /// The record at the anchored sequence has another hash: the log was rewritten.
    Diverged { seq: u64 },
    /// Records follow the anchored one that no anchoring writer wrote.
    Unanchored { anchored: u64, last: u64 },
    /// A key is configured but the checkpoint is not signed.
    Unsigned,
    /// The checkpoint's signature does not match: it was forged or moved.
    BadSignature,
}

impl AnchorStatus {
    pub fn ok(&self) -> bool {
        matches!(self, AnchorStatus::Matches { .. })
    }

    /// One sentence for people.
    pub fn describe(&self) -> String {
        match self {
            AnchorStatus::Matches { seq } => {
                format!("the log ends at the anchored record {seq}")
            }
            AnchorStatus::NoCheckpoint => "no checkpoint exists for this log".into(),
            AnchorStatus::Truncated { anchored, last } => format!(
                "the tail was cut off: the checkpoint anchors record {anchored}, the log ends at {last}"
            ),
            AnchorStatus::Diverged { seq } => {
                format!("record {seq} is not the one the checkpoint anchors: the log was rewritten")
            }
            AnchorStatus::Unanchored { anchored, last } => format!(
                "records {}..={last} follow the anchored record {anchored} but were not anchored by ztguard",
                anchored + 1
            ),
            AnchorStatus::Unsigned => {
                "a signing key is configured but the checkpoint is not signed".into()
            }
            AnchorStatus::BadSignature => {
                "the checkpoint's signature does not match: it was forged or altered".into()
            }
        }
    }
}

/// Checkpoints are padded to a multiple of this size, so that rewriting
/// one in place always covers the previous one.
const CHECKPOINT_SIZE: usize = 512;

fn mac_of(key: &[u8], log: &str, seq: u64, hash: &str) -> Option<String> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).ok()?;
    m.update(format!("ztguard-audit-checkpoint\n{log}\n{seq}\n{hash}").as_bytes());
    Some(format!("{:x}", m.finalize().into_bytes()))
}

impl Anchor {
    /// Record that `log` now ends with record `seq` of hash `hash`.
    ///
    /// The checkpoint is rewritten in place, padded to a fixed size, with
    /// one `pwrite` at offset 0: it never shrinks, so it needs no
    /// truncation, and a page-sized write is seen whole by readers. This
    /// runs on every hook call; writing aside and renaming cost three times
    /// as much. Writers hold the log's lock, so there is one at a time.
    pub(crate) fn write(&self, log: &Path, seq: u64, hash: &str) -> Result<(), String> {
        use std::os::unix::fs::FileExt;
        let log = log.to_string_lossy();
        let mut cp = json!({"log": log, "seq": seq, "hash": hash});
        if let Some(key) = &self.key
            && let Some(mac) = mac_of(key, &log, seq, hash)
        {
            cp["mac"] = Value::from(mac);
        }
        let mut text = cp.to_string();
        let size = text.len().div_ceil(CHECKPOINT_SIZE) * CHECKPOINT_SIZE;
        text.push('\n');
        while text.len() < size.max(CHECKPOINT_SIZE) {
            text.push(' ');
        }
        let io = |e: std::io::Error| format!("checkpoint {}: {e}", self.path.display());
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&self.path)
        };
        let f = match open() {
            Ok(f) => f,
            Err(_) => {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir).map_err(io)?;
                }
                open().map_err(io)?
            }
        };
        f.write_all_at(text.as_bytes(), 0).map_err(io)
    }

    /// The stored checkpoint, if any.
    pub fn read(&self) -> Result<Option<Checkpoint>, String> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read {}: {e}", self.path.display())),
        };
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a checkpoint: {e}", self.path.display()))?;
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
        match (s("log"), v.get("seq").and_then(Value::as_u64), s("hash")) {
            (Some(log), Some(seq), Some(hash)) => Ok(Some(Checkpoint {
                log,
                seq,
                hash,
                mac: s("mac"),
            })),
            _ => Err(format!(
                "{} is not a checkpoint (log, seq, hash)",
                self.path.display()
            )),
        }
    }
}

/// Verify `log` and compare its end with its checkpoint.
pub fn check_anchor(log: &Path, anchor: &Anchor) -> Result<(Verification, AnchorStatus), String> {
    let (snap, cp) = snapshot(log, || anchor.read())?;
    let Some(cp) = cp? else {
        let v = check(log, &snap, None)?;
        // A log created empty (so that a sandbox finds it to bind
        // read-only) has nothing to anchor yet.
        let status = match v.records == 0 && v.files <= 1 {
            true => AnchorStatus::Matches { seq: 0 },
            false => AnchorStatus::NoCheckpoint,
        };
        return Ok((v, status));
    };
    let v = check(log, &snap, Some(cp.seq))?;
    if let Some(key) = &anchor.key {
        match &cp.mac {
            None => return Ok((v, AnchorStatus::Unsigned)),
            Some(mac) => {
                let log_name = log.to_string_lossy();
                if mac_of(key, &log_name, cp.seq, &cp.hash).as_deref() != Some(mac.as_str()) {
                    return Ok((v, AnchorStatus::BadSignature));
                }
            }
        }
    }
    let status = if v.last_seq < cp.seq {
        AnchorStatus::Truncated {
            anchored: cp.seq,
            last: v.last_seq,
        }
    } else if v.hash_at.as_deref() != Some(cp.hash.as_str()) {
        AnchorStatus::Diverged { seq: cp.seq }
    } else if v.last_seq > cp.seq {
        AnchorStatus::Unanchored {
            anchored: cp.seq,
            last: v.last_seq,
        }
    } else {
        AnchorStatus::Matches { seq: cp.seq }
    };
    Ok((v, status))
}

/// Read a signing key (hex). A missing file is no key; a key file others
/// can read is refused, since whoever reads it can forge checkpoints.
pub fn load_key(path: &Path) -> Result<Option<Vec<u8>>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(format!(
                "{} is readable by other users (mode {:o}); run `chmod 600 {}`",
                path.display(),
                mode & 0o777,
                path.display()
            ));
        }
    }
    let t = text.trim();
    let bytes: Option<Vec<u8>> = (0..t.len())
        .step_by(2)
        .map(|i| t.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    match bytes {
        Some(b) if b.len() >= 16 => Ok(Some(b)),
        _ => Err(format!(
            "{} does not hold a hex key of at least 16 bytes",
            path.display()
        )),
    }
}

/// Create a new random 32-byte key at `path` (mode 600). Refuses to
/// replace an existing key: checkpoints signed with it would stop verifying.
pub fn new_key(path: &Path) -> Result<(), String> {
    if path.exists() {
        return Err(format!(
            "{} already exists; remove it first to start a new key",
            path.display()
        ));
    }
    let mut key = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut key))
        .map_err(|e| format!("cannot read random bytes: {e}"))?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    opts.open(path)
        .and_then(|mut f| f.write_all(format!("{hex}\n").as_bytes()))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{fields, lines, rewrite};
    use crate::{Options, append_with, record_hash};

    fn setup(key: Option<Vec<u8>>) -> (tempfile::TempDir, PathBuf, Anchor, Options) {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = dir.path().join("audit.jsonl");
        let anchor = Anchor {
            path: dir.path().join("anchors/cp.json"),
            key,
        };
        let opts = Options {
            max_bytes: 0,
            anchor: Some(anchor.clone()),
        };
        for i in 0..5 {
            append_with(&log, fields(i), &opts).expect("append");
        }
        (dir, log, anchor, opts)
    }

    #[test]
    fn an_anchored_log_matches_its_checkpoint() {
        let (_d, log, anchor, _) = setup(None);
        let (v, s) = check_anchor(&log, &anchor).expect("check");
        assert!(v.ok());
        assert_eq!(s, AnchorStatus::Matches { seq: 5 });
    }

    #[test]
    fn an_empty_log_without_a_checkpoint_has_nothing_to_anchor() {
        let (d, _log, anchor, _) = setup(None);
        let empty = d.path().join("empty.jsonl");
        std::fs::write(&empty, "").expect("write");
        let other = Anchor {
            path: d.path().join("no-checkpoint.json"),
            ..anchor
        };
        let (v, s) = check_anchor(&empty, &other).expect("check");
        assert!(v.ok());
        assert_eq!(s, AnchorStatus::Matches { seq: 0 });
        // A log with records and no checkpoint is still called out.
        let (_d2, log, anchor, _) = setup(None);
        std::fs::remove_file(&anchor.path).expect("remove the checkpoint");
        let (_, s) = check_anchor(&log, &anchor).expect("check");
        assert_eq!(s, AnchorStatus::NoCheckpoint);
    }

    #[test]
    fn a_cut_tail_is_caught_by_the_checkpoint() {
        let (_d, log, anchor, _) = setup(None);
        let mut l = lines(&log);
        l.truncate(3);
        rewrite(&log, &l);
        let (v, s) = check_anchor(&log, &anchor).expect("check");
        assert!(v.ok(), "the chain itself is intact");
        assert_eq!(
            s,
            AnchorStatus::Truncated {
                anchored: 5,
                last: 3
            }
        );
    }

    #[test]
    fn a_recomputed_chain_diverges_from_the_checkpoint() {
        let (_d, log, anchor, _) = setup(None);
        // Rewrite record 2 and re-chain everything after it, as a tamperer
        // who knows the format would.
        let mut prev = crate::GENESIS.to_string();
        let mut out = Vec::new();
        for line in lines(&log) {
            let mut m: serde_json::Map<String, Value> = serde_json::from_str(&line).expect("json");
            m.remove("hash");
            if m.get("seq").and_then(Value::as_u64) == Some(2) {
                m.insert("tool".into(), Value::from("Read"));
            }
            m.insert("prev".into(), Value::from(prev.clone()));
            let h = record_hash(&Value::Object(m.clone()).to_string());
            m.insert("hash".into(), Value::from(h.clone()));
            prev = h;
            out.push(Value::Object(m).to_string());
        }
        rewrite(&log, &out);
        let (v, s) = check_anchor(&log, &anchor).expect("check");
        assert!(v.ok(), "the forged chain is self-consistent");
        assert_eq!(s, AnchorStatus::Diverged { seq: 5 });
    }

    #[test]
    fn records_without_an_anchor_are_named() {
        let (_d, log, anchor, _) = setup(None);
        crate::append(&log, fields(9)).expect("append");
        let (_, s) = check_anchor(&log, &anchor).expect("check");
        assert_eq!(
            s,
            AnchorStatus::Unanchored {
                anchored: 5,
                last: 6
            }
        );
    }

    #[test]
    fn signed_checkpoints_cannot_be_forged_without_the_key() {
        let key = vec![7u8; 32];
        let (_d, log, anchor, _) = setup(Some(key.clone()));
        assert!(check_anchor(&log, &anchor).expect("c").1.ok());
        // A forger rewrites the checkpoint to match a cut log.
        let mut l = lines(&log);
        l.truncate(3);
        rewrite(&log, &l);
        let last: serde_json::Map<String, Value> = serde_json::from_str(&l[2]).expect("json");
        let forged =
            json!({"log": log.to_string_lossy(), "seq": 3, "hash": last["hash"], "mac": "00"});
        std::fs::write(&anchor.path, forged.to_string()).expect("write");
        assert_eq!(
            check_anchor(&log, &anchor).expect("c").1,
            AnchorStatus::BadSignature
        );
        let unsigned = json!({"log": log.to_string_lossy(), "seq": 3, "hash": last["hash"]});
        std::fs::write(&anchor.path, unsigned.to_string()).expect("write");
        assert_eq!(
            check_anchor(&log, &anchor).expect("c").1,
            AnchorStatus::Unsigned
        );
    }

    #[test]
    fn verifying_while_hooks_append_never_raises_a_false_alarm() {
        let (_d, log, anchor, opts) = setup(Some(vec![3; 32]));
        let small = Options {
            max_bytes: 8 * 1024,
            ..opts
        };
        std::thread::scope(|s| {
            for t in 0..4 {
                let (log, small) = (&log, &small);
                s.spawn(move || {
                    for i in 0..150 {
                        append_with(log, fields(t * 1000 + i), small).expect("append");
                    }
                });
            }
            for _ in 0..40 {
                let (v, status) = check_anchor(&log, &anchor).expect("check");
                assert!(v.ok(), "{v:?}");
                assert!(status.ok(), "{status:?} at {}", v.last_seq);
            }
        });
    }

    #[test]
    fn keys_are_created_private_and_loaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("k/audit.key");
        new_key(&p).expect("new");
        assert!(new_key(&p).is_err(), "never replaces a key");
        assert_eq!(load_key(&p).expect("load").map(|k| k.len()), Some(32));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(load_key(&p).is_err(), "a key others can read is refused");
        }
        assert_eq!(load_key(&dir.path().join("none")), Ok(None));
    }
}
