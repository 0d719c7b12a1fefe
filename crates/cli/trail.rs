//! The hook's side of the audit log: where it is, how it is anchored, what
//! one event's record holds, and what is left out.
//!
//! A record summarises the call — the command line, path, URL or query, and
//! for written content only its length and hash — and every text in it
//! goes through [`redact_text`] first: the log must never hold a secret.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};
use ztguard_audit::{Anchor, Options};
use ztguard_policy::AuditSettings;

/// Longest text kept in a record field; the rest is cut (with a marker).
const MAX_FIELD: usize = 2000;

/// Where the machine-wide pieces are: the data directory (checkpoints) and
/// the checkpoint signing key.
#[derive(Clone, Debug)]
pub struct Places {
    pub data_dir: PathBuf,
    pub key_file: PathBuf,
}

impl Places {
    pub fn from_env(home: &Path) -> Places {
        Places {
            data_dir: crate::context::data_dir(),
            key_file: key_file(home),
        }
    }
}

/// The checkpoint signing key: `$ZTGUARD_AUDIT_KEY`, else
/// `$XDG_CONFIG_HOME/ztguard/audit.key`, else `~/.config/ztguard/audit.key`.
/// The built-in protections deny the agent reading it.
pub fn key_file(home: &Path) -> PathBuf {
    if let Some(k) = std::env::var_os("ZTGUARD_AUDIT_KEY").filter(|k| !k.is_empty()) {
        return PathBuf::from(k);
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("ztguard/audit.key");
    }
    home.join(".config/ztguard/audit.key")
}

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

/// An open audit trail for one hook call.
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
    pub fn wants(&self, event: &str, tool: Option<&str>, allowed: bool) -> bool {
        let tool_event = matches!(
            event,
            "PreToolUse" | "PermissionRequest" | "PostToolUse" | "PostToolUseFailure"
        );
        if !tool_event || !allowed {
            return true;
        }
        if !self.settings.log_all_tool_calls {
            return false;
        }
        let file_access = matches!(tool, Some("Read" | "NotebookRead" | "Glob" | "Grep" | "LS"));
        self.settings.log_file_access || !file_access
    }

    pub fn append(&self, fields: Map<String, Value>) -> Result<u64, String> {
        let seq = ztguard_audit::append_with(&self.log, fields, &self.opts)?.seq;
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

/// Hide secrets in a text: the policy's redaction of well-known shapes
/// (secret-named assignments, URL passwords, key blocks), then every
/// finding of the secret scanner. Cut to a bounded length.
pub fn redact_text(text: &str) -> String {
    let mut out = ztguard_policy::redact(text).into_owned();
    if ztguard_secrets::might_contain_secret(&out)
        && let Ok(set) = crate::content::hook_secrets()
    {
        let found = set.scan(None, &out);
        let mut spans: Vec<(usize, usize)> = found.iter().map(|f| f.span).collect();
        spans.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
        let mut last_start = usize::MAX;
        for (s, e) in spans {
            if e > last_start
                || e > out.len()
                || !out.is_char_boundary(s)
                || !out.is_char_boundary(e)
            {
                continue;
            }
            let shown = ztguard_secrets::redact_secret(&out[s..e]).0;
            out.replace_range(s..e, &shown);
            last_start = s;
        }
    }
    cut(out)
}

/// Cut a text to the longest a record field holds.
pub fn cut(mut s: String) -> String {
    if s.len() > MAX_FIELD {
        let mut end = MAX_FIELD;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("…[cut]");
    }
    s
}

fn text_facts(text: &str) -> (usize, String) {
    (text.len(), ztguard_audit::sha256_hex(text.as_bytes()))
}

/// What a tool call was asked to do, for the record: what it names, never
/// the content it writes (only its length and SHA-256).
pub fn input_summary(tool: &str, input: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    let get = |k: &str| input.get(k).and_then(Value::as_str);
    let put = |name: &str, k: &str, m: &mut Map<String, Value>| {
        if let Some(v) = get(k) {
            m.insert(name.into(), Value::from(redact_text(v)));
        }
    };
    match tool {
        "Bash" | "PowerShell" | "Monitor" => put("command", "command", &mut m),
        "Read" | "Write" | "Edit" | "MultiEdit" => put("path", "file_path", &mut m),
        "NotebookRead" | "NotebookEdit" => put("path", "notebook_path", &mut m),
        "Glob" | "Grep" | "LS" => {
            put("pattern", "pattern", &mut m);
            put("path", "path", &mut m);
            put("glob", "glob", &mut m);
        }
        "WebFetch" => put("url", "url", &mut m),
        "WebSearch" => put("query", "query", &mut m),
        "Agent" | "Task" => {
            put("subagent_type", "subagent_type", &mut m);
            put("description", "description", &mut m);
        }
        _ => {
            if let Some(o) = input.as_object() {
                let keys: Vec<&String> = o.keys().collect();
                m.insert("keys".into(), json!(keys));
            }
            let (len, hash) = text_facts(&input.to_string());
            m.insert("input_bytes".into(), Value::from(len));
            m.insert("input_sha256".into(), Value::from(hash));
        }
    }
    let content = match tool {
        "Write" => get("content").map(str::to_string),
        "Edit" => get("new_string").map(str::to_string),
        "NotebookEdit" => get("new_source").map(str::to_string),
        "MultiEdit" => input.get("edits").and_then(Value::as_array).map(|es| {
            m.insert("edits".into(), Value::from(es.len()));
            es.iter()
                .filter_map(|e| e.get("new_string").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        _ => None,
    };
    if let Some(c) = content {
        let (len, hash) = text_facts(&c);
        m.insert("content_bytes".into(), Value::from(len));
        m.insert("content_sha256".into(), Value::from(hash));
    }
    m
}

/// What a tool returned, for PostToolUse records: its size and, for shell
/// tools, whether it was interrupted; never the output itself.
pub fn response_summary(response: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    if response.is_null() {
        return m;
    }
    m.insert(
        "response_bytes".into(),
        Value::from(response.to_string().len()),
    );
    if let Some(b) = response.get("interrupted").and_then(Value::as_bool) {
        m.insert("interrupted".into(), Value::from(b));
    }
    m
}

/// The first line of an error (PostToolUseFailure), redacted.
pub fn error_line(error: &str) -> String {
    redact_text(error.lines().next().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fake credentials, assembled so that no scanner flags this file.
    fn fake_github() -> String {
        format!("ghp_{}", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8")
    }

    #[test]
    fn secrets_never_reach_a_summary() {
        let token = fake_github();
        let cmd = format!("curl -H 'Authorization: token {token}' https://api.github.com");
        let m = input_summary("Bash", &json!({ "command": cmd }));
        let shown = m["command"].as_str().unwrap_or_default();
        assert!(!shown.contains(&token), "{shown}");
        assert!(shown.contains("curl"), "{shown}");
        let w = input_summary(
            "Write",
            &json!({"file_path": "a.py", "content": format!("T = '{token}'")}),
        );
        assert!(!Value::Object(w.clone()).to_string().contains(&token));
        assert_eq!(w["content_bytes"], Value::from(token.len() + 6));
        let url = input_summary(
            "WebFetch",
            &json!({"url": "https://u:hunter2pass@example.com/x"}),
        );
        assert!(
            !url["url"]
                .as_str()
                .unwrap_or_default()
                .contains("hunter2pass")
        );
    }

    #[test]
    fn long_fields_are_cut_on_a_char_boundary() {
        let s = redact_text(&"é".repeat(3000));
        assert!(s.ends_with("…[cut]") && s.len() < MAX_FIELD + 20);
    }
}
