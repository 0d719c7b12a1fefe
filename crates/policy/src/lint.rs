//! `ztguard policy lint`: validate a policy file and warn about grants too broad to be useful.

use std::path::Path;

use crate::command::CommandPattern;
use crate::config::RawPolicy;
use crate::decision::Verdict;
use crate::load::{PolicyError, line_col, parse_text};

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

/// Which layer a file is linted as: a project file may not set what a
/// cloned repository must not (secrets, alert targets), and its attempts to
/// widen are reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Project,
    User,
    Managed,
}

/// What lint knows beyond the file.
#[derive(Clone, Copy, Debug)]
pub struct LintOptions<'a> {
    pub kind: FileKind,
    /// The tool names the agent adapters understand.
    pub known_tools: &'a [&'a str],
}

/// Lint policy text as a project file.
pub fn lint(path: &Path, text: &str) -> Vec<Finding> {
    lint_with(
        path,
        text,
        &LintOptions {
            kind: FileKind::Project,
            known_tools: &[],
        },
    )
}

/// Lint policy text: every error (syntax, unknown keys, wrong types, bad
/// patterns, keys this kind of file may not set) at its line and column,
/// then warnings.
pub fn lint_with(path: &Path, text: &str, opts: &LintOptions<'_>) -> Vec<Finding> {
    let (doc, errors) = toml::de::DeTable::parse_recoverable(text);
    let mut out: Vec<Finding> = errors
        .iter()
        .map(|e| error_at(text, e.span(), e.message().trim().to_string()))
        .collect();
    if !out.is_empty() {
        out.sort_by_key(|f| (f.line, f.column));
        return out;
    }
    // Each top-level key (and each entry of a section) on its own: every
    // unknown key and wrong type, not only the first.
    for (k, v) in doc.get_ref() {
        check_subset(text, std::slice::from_ref(k), v, &mut out);
    }
    if !out.is_empty() {
        out.sort_by_key(|f| (f.line, f.column));
        return out;
    }
    let raw = match parse_text(path, text) {
        Ok(raw) => raw,
        Err(e) => {
            out.push(from_error(e));
            return out;
        }
    };
    let strings = string_spans(doc.get_ref());
    // Patterns, one by one, at their own place.
    for (key, value, span) in &strings {
        let leaf = key.rsplit('.').next().unwrap_or_default();
        let section = key.split('.').rev().nth(1).unwrap_or_default();
        let problem = match (section, leaf) {
            ("files", _) => ztguard_paths::PatternList::parse(&[value]).err(),
            ("commands", "allow" | "ask" | "deny") => CommandPattern::parse(value).err(),
            _ => None,
        };
        if let Some(message) = problem {
            out.push(error_at(
                text,
                Some(span.clone()),
                format!("{key}: {message}"),
            ));
        }
    }
    for (section, problem) in [
        ("audit", raw.audit.check().err()),
        ("monitor", raw.monitor.check().err()),
    ] {
        if let Some(message) = problem {
            let key = message
                .split([' ', '='])
                .next()
                .filter(|k| k.contains('.'))
                .unwrap_or(section)
                .to_string();
            out.push(at_key(text, &key, Severity::Error, message));
        }
    }
    for (name, secret) in &raw.secrets {
        let problem = if opts.kind == FileKind::Project {
            Some(format!(
                "secrets.{name}: secrets can be defined only in the user or managed policy; a project's policy with one does not load"
            ))
        } else {
            // The home only expands `~/`; validation does not depend on it.
            crate::secrets::compile(name, secret, Path::new("/home"), "lint").err()
        };
        if let Some(message) = problem {
            out.push(at_key(
                text,
                &format!("secrets.{name}"),
                Severity::Error,
                message,
            ));
        }
    }
    if opts.kind == FileKind::Project {
        for (key, set) in [
            ("audit.alert_command", raw.audit.alert_command.is_some()),
            ("audit.alert_url", raw.audit.alert_url.is_some()),
        ] {
            if set {
                out.push(at_key(
                    text,
                    key,
                    Severity::Error,
                    format!("{key}: alert targets can be set only in the user or managed policy; a project's policy with one does not load"),
                ));
            }
        }
        widening(text, &raw, &mut out);
    }
    let mut warn = |needle: &str, message: String| {
        out.push(finding_at(text, needle, Severity::Warning, message));
    };
    broad_grants(&raw, &mut warn);
    if let Some(p) = &raw.audit.path
        && !p.starts_with(".ztguard/")
        && !raw.files.protect.iter().any(|x| x == p)
        && opts.kind != FileKind::Project
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
    for (key, value, span) in &strings {
        let leaf_section = key.split('.').rev().nth(1).unwrap_or_default();
        let message = match leaf_section {
            "files" if unclosed_class(value) => Some(format!(
                "{key} \"{value}\": `[` opens a character class that is never closed, so it matches a literal `[`"
            )),
            "network" => host_problem(value).map(|why| format!("{key} \"{value}\": {why}")),
            "tools" if !opts.known_tools.is_empty() && unknown_tool(value, opts.known_tools) => {
                Some(format!(
                    "{key} \"{value}\": no agent tool has this name (names are case-sensitive: Bash, Read, Edit, WebFetch, mcp__server__tool, …)"
                ))
            }
            _ => None,
        };
        if let Some(message) = message {
            let (line, column) = line_col(text, span.start);
            out.push(Finding {
                severity: Severity::Warning,
                line,
                column,
                message,
            });
        }
    }
    out.sort_by_key(|f| (f.line, f.column));
    out
}

/// Deserialize `keys = value` alone; on an error, look inside a table for
/// each of its entries' errors.
fn check_subset<'i>(
    text: &str,
    keys: &[toml::Spanned<toml::de::DeString<'i>>],
    value: &toml::Spanned<toml::de::DeValue<'i>>,
    out: &mut Vec<Finding>,
) {
    let Err(e) = deserialize_subset(keys, value) else {
        return;
    };
    if let toml::de::DeValue::Table(t) = value.get_ref()
        && t.len() > 1
        && keys.len() < 4
    {
        let before = out.len();
        for (k, v) in t {
            let mut path = keys.to_vec();
            path.push(k.clone());
            check_subset(text, &path, v, out);
        }
        if out.len() > before {
            return;
        }
    }
    // A part alone may miss a required field the whole has.
    if keys.len() > 1 && e.message().contains("missing field") {
        return;
    }
    let span = e
        .span()
        .or_else(|| Some(keys.last().map(|k| k.span()).unwrap_or(0..0)));
    out.push(error_at(text, span, e.message().trim().to_string()));
}

fn deserialize_subset<'i>(
    keys: &[toml::Spanned<toml::de::DeString<'i>>],
    value: &toml::Spanned<toml::de::DeValue<'i>>,
) -> Result<RawPolicy, toml::de::Error> {
    let mut v = value.clone();
    for k in keys.iter().rev() {
        let mut t = toml::de::DeTable::new();
        t.insert(k.clone(), v);
        v = toml::Spanned::new(
            k.span().start..value.span().end,
            toml::de::DeValue::Table(t),
        );
    }
    serde::Deserialize::deserialize(toml::de::ValueDeserializer::from(v))
}

/// Every string value with its dotted key and span (array items included).
fn string_spans(table: &toml::de::DeTable<'_>) -> Vec<(String, String, std::ops::Range<usize>)> {
    fn walk(
        prefix: &str,
        v: &toml::Spanned<toml::de::DeValue<'_>>,
        out: &mut Vec<(String, String, std::ops::Range<usize>)>,
    ) {
        match v.get_ref() {
            toml::de::DeValue::String(s) => out.push((prefix.to_string(), s.to_string(), v.span())),
            toml::de::DeValue::Array(a) => {
                for item in a.iter() {
                    walk(prefix, item, out);
                }
            }
            toml::de::DeValue::Table(t) => {
                for (k, x) in t {
                    let key = if prefix.is_empty() {
                        k.get_ref().to_string()
                    } else {
                        format!("{prefix}.{}", k.get_ref())
                    };
                    walk(&key, x, out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in table {
        walk(k.get_ref(), v, &mut out);
    }
    out
}

/// An unclosed `[` (the glob matcher takes it literally).
fn unclosed_class(p: &str) -> bool {
    match p.rfind('[') {
        Some(open) => !p[open..].contains(']'),
        None => false,
    }
}

/// Why a network pattern can never match, or matches far too much.
fn host_problem(h: &str) -> Option<&'static str> {
    if h.contains("://") || h.contains('/') {
        return Some("a host name is matched, not a URL: write the host alone (pypi.org)");
    }
    if h.contains(':') && !h.contains("::") && h != "::1" {
        return Some("a host name is matched, without a port: write the host alone (docs.rs)");
    }
    if let Some(rest) = h.strip_prefix("*.")
        && !rest.contains('.')
    {
        return Some(
            "matches every host under a top-level domain: name the domain (*.example.com)",
        );
    }
    if h.chars().any(|c| c.is_whitespace()) {
        return Some("a host name has no spaces");
    }
    None
}

fn unknown_tool(name: &str, known: &[&str]) -> bool {
    if name.contains('*') || name.starts_with("mcp__") {
        return false;
    }
    let base = name.split('(').next().unwrap_or(name);
    !known.contains(&base)
}

/// What a project file sets that cannot widen anything: said, so the
/// author knows it has no effect.
fn widening(text: &str, raw: &RawPolicy, out: &mut Vec<Finding>) {
    let mut warn = |key: &str, message: String| {
        out.push(at_key(text, key, Severity::Warning, message));
    };
    if let Some(p) = &raw.env.visible_prefix
        && !p.starts_with(crate::engine::DEFAULT_VISIBLE_PREFIX)
    {
        warn(
            "env.visible_prefix",
            format!(
                "env.visible_prefix = \"{p}\": a project can only lengthen the prefix of the layers before it (\"{}…\"); this one makes no variable visible",
                crate::engine::DEFAULT_VISIBLE_PREFIX
            ),
        );
    }
    if raw.default == Some(Verdict::Allow) {
        warn(
            "default",
            "default = \"allow\" in a project file allows nothing the built-in default and the user policy do not: a project can only narrow".into(),
        );
    }
    if raw.network.default == Some(Verdict::Allow) {
        warn(
            "network.default",
            "network.default = \"allow\" in a project file opens no host the trusted layers do not: a project can only narrow".into(),
        );
    }
    let defaults = crate::load::ScanSettings::default();
    for (key, value, floor) in [
        ("scan.on_secret", raw.scan.on_secret, defaults.on_secret),
        (
            "scan.on_insecure_code",
            raw.scan.on_insecure_code,
            defaults.on_insecure_code,
        ),
        (
            "scan.on_risky_dependency",
            raw.scan.on_risky_dependency,
            defaults.on_risky_dependency,
        ),
    ] {
        if let Some(v) = value
            && v < floor
        {
            warn(
                key,
                format!(
                    "{key} = \"{}\" is ignored: a project can only make content checks stricter (here at least \"{}\")",
                    v.as_str(),
                    floor.as_str()
                ),
            );
        }
    }
    for (key, off) in [
        ("audit.enabled", raw.audit.enabled == Some(false)),
        (
            "audit.log_all_tool_calls",
            raw.audit.log_all_tool_calls == Some(false),
        ),
        (
            "audit.log_file_access",
            raw.audit.log_file_access == Some(false),
        ),
        (
            "audit.alert_on_deny",
            raw.audit.alert_on_deny == Some(false),
        ),
        ("monitor.enabled", raw.monitor.enabled == Some(false)),
        (
            "monitor.exfiltration",
            raw.monitor.exfiltration == Some(false),
        ),
        ("monitor.baseline", raw.monitor.baseline == Some(false)),
    ] {
        if off {
            warn(
                key,
                format!(
                    "{key} = false is ignored: a project cannot turn off logging or a check (set it in the user policy)"
                ),
            );
        }
    }
    if raw.undo.checkpoints == Some(crate::settings::Checkpoints::Off) {
        warn(
            "undo.checkpoints",
            "undo.checkpoints = \"off\" is ignored: a project can only take checkpoints in more places (set it in the user policy)".into(),
        );
    }
    if let Some(p) = &raw.audit.path
        && p != &crate::settings::AuditSettings::default().path
    {
        warn(
            "audit.path",
            format!(
                "audit.path `{p}` is ignored: only the user or managed policy moves the audit log"
            ),
        );
    }
}

fn error_at(text: &str, span: Option<std::ops::Range<usize>>, message: String) -> Finding {
    let (line, column) = span.map(|s| line_col(text, s.start)).unwrap_or((1, 1));
    Finding {
        severity: Severity::Error,
        line,
        column,
        message,
    }
}

fn from_error(e: PolicyError) -> Finding {
    match e {
        PolicyError::Parse {
            line,
            column,
            message,
            ..
        } => Finding {
            severity: Severity::Error,
            line,
            column,
            message,
        },
        PolicyError::Invalid { message, .. } => Finding {
            severity: Severity::Error,
            line: 1,
            column: 1,
            message,
        },
        other => Finding {
            severity: Severity::Error,
            line: 1,
            column: 1,
            message: other.to_string(),
        },
    }
}

/// A finding at a dotted key's line (else at the first mention of its last part).
fn at_key(text: &str, key: &str, severity: Severity, message: String) -> Finding {
    match key_position(text, key) {
        Some((line, column)) => Finding {
            severity,
            line,
            column,
            message,
        },
        None => finding_at(
            text,
            key.rsplit('.').next().unwrap_or(key),
            severity,
            message,
        ),
    }
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
