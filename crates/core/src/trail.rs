//! Step 5, the record: where a project's audit log is, how it is anchored,
//! and which calls the policy wants recorded.
//!
//! Every text in a record goes through [`crate::redact::redact_text`]
//! first: the log must never hold a secret.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use ztguard_audit::{Anchor, Options};
use ztguard_policy::AuditSettings;

use crate::{Error, Places};

/// The log of a project under its settings.
pub fn log_path(project: &Path, settings: &AuditSettings) -> PathBuf {
    let p = Path::new(&settings.path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        project.join(p)
    }
}

/// The anchor of a log: its checkpoint under the data directory, named by
/// a hash of the log's path, and the signing key when there is one.
pub fn anchor(log: &Path, places: &Places) -> Result<Anchor, String> {
    let id = ztguard_audit::sha256_hex(log.as_os_str().as_encoded_bytes());
    Ok(Anchor {
        path: places
            .data_dir
            .join("checkpoints")
            .join(format!("{}.json", &id[..32.min(id.len())])),
        key: ztguard_audit::load_key(&places.key_file)?,
    })
}

/// What kind of event a record is of, for [`Trail::wants`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A tool call: decided, or reported after it ran.
    Tool {
        /// It reads, lists or searches files.
        file_access: bool,
        /// It was allowed (a refused call is always recorded).
        allowed: bool,
    },
    /// Anything else (a prompt, the start or end of a session): always recorded.
    Other,
}

/// An open audit trail of one project.
pub struct Trail {
    pub log: PathBuf,
    opts: Options,
    settings: AuditSettings,
}

impl Trail {
    /// None when the policy turns the log off.
    pub fn open(
        settings: &AuditSettings,
        project: &Path,
        places: &Places,
    ) -> Result<Option<Trail>, String> {
        if !settings.enabled {
            return Ok(None);
        }
        let log = log_path(project, settings);
        Ok(Some(Trail {
            opts: Options {
                max_bytes: (settings.max_size_mb * 1024.0 * 1024.0) as u64,
                anchor: Some(anchor(&log, places)?),
            },
            log,
            settings: settings.clone(),
        }))
    }

    /// Does the policy want a record of this event?
    pub fn wants(&self, kind: Kind) -> bool {
        let Kind::Tool {
            file_access,
            allowed: true,
        } = kind
        else {
            return true;
        };
        if !self.settings.log_all_tool_calls {
            return false;
        }
        self.settings.log_file_access || !file_access
    }

    /// Append one record (its hash chained to the previous one).
    pub fn append(&self, fields: Map<String, Value>) -> Result<u64, Error> {
        let seq = ztguard_audit::append_with(&self.log, fields, &self.opts)
            .map_err(Error::Audit)?
            .seq;
        if seq == 1 {
            keep_out_of_git(&self.log);
        }
        Ok(seq)
    }
}

/// Now, as a record's `ts`: RFC 3339 in UTC with milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

/// A time in milliseconds since the epoch (session state), for people.
pub fn time_of(ms: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms))
        .to_string()
}

/// The log, the session states and the provenance ledger are the
/// machine's record, not the project's source: a new `.ztguard/` gets a
/// `.gitignore` for them (once, with the log's first record).
fn keep_out_of_git(log: &Path) {
    let Some(dir) = log
        .parent()
        .filter(|d| d.file_name().is_some_and(|n| n == ".ztguard"))
    else {
        return;
    };
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        let _ = std::fs::write(
            &ignore,
            "# Written by ztguard: the audit log and session state stay out of git.\naudit.jsonl*\n.audit.jsonl.*\nsessions/\nprovenance.json\n",
        );
    }
}

/// Create the project's `.ztguard/` with an empty audit log and an empty
/// provenance ledger where they are missing (and the log where the
/// settings put it, when that is inside the project), so that a sandbox
/// started now finds them existing and gets them bound read-only: a file
/// that does not exist yet cannot be bound, and a sandbox that could create
/// the ledger could approve its own scripts. Returns the paths to bind.
pub fn create_state(project: &Path, settings: &AuditSettings) -> Result<Vec<PathBuf>, String> {
    let dir = project.join(".ztguard");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let ledger = ztguard_monitor::provenance::ledger_path(project);
    let mut made = vec![dir.clone()];
    let log = log_path(project, settings);
    let mut files = vec![(ledger, "{\"files\":{},\"approvals\":{}}\n")];
    if log.starts_with(project) {
        files.push((log.clone(), ""));
    }
    for (path, empty) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        // create_new: never overwrite what a writer put there meanwhile.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                use std::io::Write;
                f.write_all(empty.as_bytes())
                    .map_err(|e| format!("{}: {e}", path.display()))?;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
        if !path.starts_with(&dir) {
            made.push(path);
        }
    }
    keep_out_of_git(&log_path(project, &AuditSettings::default()));
    Ok(made)
}
