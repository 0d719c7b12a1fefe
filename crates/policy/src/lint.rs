//! `ztguard policy lint`: validate a policy file and warn about grants too broad to be useful.

use std::path::Path;

use crate::command::CommandPattern;
use crate::config::RawPolicy;
use crate::decision::Verdict;
use crate::load::{PolicyError, layer_from_text, line_col};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One lint finding, located in the file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Lint policy text.
pub fn lint(path: &Path, text: &str) -> Vec<Finding> {
    let raw = match layer_from_text(path, "policy", text) {
        Ok((_, raw)) => raw,
        Err(PolicyError::Parse {
            line,
            column,
            message,
            ..
        }) => {
            return vec![Finding {
                severity: Severity::Error,
                line,
                column,
                message,
            }];
        }
        Err(e) => {
            return vec![Finding {
                severity: Severity::Error,
                line: 1,
                column: 1,
                message: e.to_string(),
            }];
        }
    };
    let mut out = Vec::new();
    for (section, problem) in [
        ("[audit]", raw.audit.check().err()),
        ("[monitor]", raw.monitor.check().err()),
    ] {
        if let Some(message) = problem {
            out.push(finding_at(text, section, Severity::Error, message));
        }
    }
    let project_file = path.file_name().is_some_and(|n| n == ".ztguard.toml");
    for (name, secret) in &raw.secrets {
        let problem = if project_file {
            Some(format!(
                "secrets.{name}: secrets can be defined only in the user or managed policy; a project's policy with one does not load"
            ))
        } else {
            // The home only expands `~/`; validation does not depend on it.
            crate::secrets::compile(name, secret, Path::new("/home"), "lint").err()
        };
        if let Some(message) = problem {
            let at = format!("[secrets.{name}");
            out.push(finding_at(text, &at, Severity::Error, message));
        }
    }
    let mut warn = |needle: &str, message: String| {
        out.push(finding_at(text, needle, Severity::Warning, message));
    };
    broad_grants(&raw, &mut warn);
    if let Some(p) = &raw.audit.path
        && !p.starts_with(".ztguard/")
        && !raw.files.protect.iter().any(|x| x == p)
    {
        warn(
            "path =",
            format!(
                "audit.path `{p}` is outside .ztguard/, which the built-in protections cover: add it to [files] protect so the agent cannot change the log"
            ),
        );
    }
    for (name, p) in &raw.profiles {
        if p.default.is_none() {
            warn(
                &format!("[profiles.{name}"),
                format!(
                    "profile `{name}` has no `default`: it narrows nothing it does not name (set default = \"deny\")"
                ),
            );
        }
    }
    out.sort_by_key(|f| (f.line, f.column));
    out
}

/// A finding at the first place `needle` occurs in the text (else line 1).
fn finding_at(text: &str, needle: &str, severity: Severity, message: String) -> Finding {
    let (line, column) = text
        .find(needle)
        .map(|p| line_col(text, p))
        .unwrap_or((1, 1));
    Finding {
        severity,
        line,
        column,
        message,
    }
}

fn broad_grants(raw: &RawPolicy, warn: &mut dyn FnMut(&str, String)) {
    if raw.default == Some(Verdict::Allow) {
        warn(
            "default",
            "default = \"allow\" allows every command, file and tool that no rule names".into(),
        );
    }
    const SHELLS: &[&str] = &[
        "bash", "sh", "zsh", "python", "python3", "node", "perl", "ruby", "eval", "exec", "sudo",
    ];
    for c in &raw.commands.allow {
        let Ok(p) = CommandPattern::parse(c) else {
            continue;
        };
        let first = c.split_whitespace().next().unwrap_or("");
        if p.is_catch_all() {
            warn(
                &format!("\"{c}\""),
                format!("commands.allow \"{c}\" allows every command (like Bash(*))"),
            );
        } else if SHELLS.contains(&first) && c.trim_end().ends_with('*') && p.specificity() == 1 {
            warn(
                &format!("\"{c}\""),
                format!("commands.allow \"{c}\" allows arbitrary code through `{first}`"),
            );
        }
    }
    for t in &raw.tools.allow {
        if t == "*" || t == "mcp__*" {
            warn(
                &format!("\"{t}\""),
                format!(
                    "tools.allow \"{t}\" allows every tool it matches, including ones added later"
                ),
            );
        }
    }
    for w in &raw.files.write {
        if matches!(w.as_str(), "~" | "~/**" | "~/" | "/" | "/**" | "/*") {
            warn(
                &format!("\"{w}\""),
                format!(
                    "files.write \"{w}\" makes {} writable",
                    if w.starts_with('~') {
                        "the whole home directory"
                    } else {
                        "the whole file system"
                    }
                ),
            );
        }
    }
    for r in &raw.files.read {
        if matches!(r.as_str(), "~" | "~/**" | "/" | "/**") {
            warn(
                &format!("\"{r}\""),
                format!(
                    "files.read \"{r}\" is broad; credentials stay denied by the built-in protections, but other private files do not"
                ),
            );
        }
    }
    if raw.network.allow.iter().any(|d| d == "*") || raw.network.default == Some(Verdict::Allow) {
        warn(
            "[network]",
            "network allows every domain: exfiltration by URL is not restricted".into(),
        );
    }
}

/// The line and column of a dotted key (`audit.alert_command`,
/// `secrets.deploy`) in policy text, when the text parses.
pub(crate) fn key_position(text: &str, key: &str) -> Option<(usize, usize)> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let parts: Vec<&str> = key.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let (k, v) = table.get_key_value(*part)?;
        if i + 1 == parts.len() {
            return Some(line_col(text, k.span().start));
        }
        match v.get_ref() {
            toml::de::DeValue::Table(t) => table = t,
            _ => return Some(line_col(text, k.span().start)),
        }
    }
    None
}
