//! Step 2, content review, on top of the policy's decision: what a write
//! would put in a file (secrets, insecure code, a risky dependency in a
//! manifest), the packages an install command would fetch, and secrets in
//! a tool's output or a prompt.
//!
//! The policy decides first; a denial stands. Findings then add steps to
//! the trace with the verdict `[scan]` sets (`deny`, `ask`, or `warn`, which
//! leaves the decision alone and tells the human).

use std::path::Path;
use std::sync::{Arc, OnceLock};

use ztguard_policy::{Action, Check, Decision, OnFinding, Policy, Request, Step, Verdict};
use ztguard_scan::{Item, Severity};

use crate::Error;

/// The decision after content checks, a warning for the human, and the
/// check that could not run (the decision then fails closed).
pub struct Review {
    pub decision: Decision,
    pub warning: Option<String>,
    pub error: Option<Error>,
}

fn verdict(on: OnFinding) -> Option<Verdict> {
    match on {
        OnFinding::Warn => None,
        OnFinding::Ask => Some(Verdict::Ask),
        OnFinding::Deny => Some(Verdict::Deny),
    }
}

/// The secret rules as the guard uses them: inline allow comments are not
/// honoured, because the agent writes those too. Built once per process
/// (parsing the rules costs more than most checks), and never dropped.
pub fn secret_rules() -> Result<Arc<ztguard_secrets::Ruleset>, String> {
    static SET: OnceLock<Result<Arc<ztguard_secrets::Ruleset>, String>> = OnceLock::new();
    SET.get_or_init(|| {
        let mut set = ztguard_secrets::Ruleset::builtin()?;
        set.set_inline_allow(false);
        let set = Arc::new(set);
        // A second reference that is never released: the process ends
        // without running the rule set's destructor (a tenth of a call).
        std::mem::forget(Arc::clone(&set));
        Ok(set)
    })
    .clone()
}

/// Words that an install command must contain, checked before any parsing.
const INSTALLERS: &[&str] = &[
    "pip", "uv", "poetry", "pdm", "npm", "pnpm", "yarn", "bun", "npx", "cargo", "go ",
];

/// A secret found in a command line and the redacted form that replaces it.
type Hidden = (String, String);

/// The content checks on top of the policy's `decision` of `req`; `data`
/// holds the dependency database.
pub fn review(policy: &Policy, req: &Request, decision: Decision, data: &Path) -> Review {
    // Secrets typed into a command line are looked for first, so that whatever
    // decides, no reason or trace repeats them.
    let mut command_items = Vec::new();
    let mut hidden: Vec<Hidden> = Vec::new();
    if let Action::Exec { command } = &req.action
        && (ztguard_secrets::might_contain_secret(command)
            || ztguard_policy::redact(command) != command.as_str())
    {
        match command_secrets(command) {
            Ok((items, secrets)) => {
                command_items = items;
                hidden = secrets;
            }
            Err(e) => return failed(decision, policy.strict, &e),
        }
    }
    let mut review = decide(policy, req, decision, command_items, data);
    for (secret, shown) in &hidden {
        let d = &mut review.decision;
        d.reason = d.reason.replace(secret.as_str(), shown);
        for step in &mut d.trace {
            step.subject = step.subject.replace(secret.as_str(), shown);
        }
        if let Some(w) = &mut review.warning {
            *w = w.replace(secret.as_str(), shown);
        }
    }
    review
}

/// The content steps on top of the policy's decision.
fn decide(
    policy: &Policy,
    req: &Request,
    decision: Decision,
    command_items: Vec<Item>,
    data: &Path,
) -> Review {
    if decision.verdict == Verdict::Deny {
        return Review {
            decision,
            warning: None,
            error: None,
        };
    }
    let items = match &req.action {
        Action::Write {
            path,
            content: Some(content),
            edits,
        } => {
            let rel = relative(path, &req.cwd, &req.project);
            match written_items(&rel, &req.cwd.join(path), content, edits, data) {
                Ok(items) => items,
                Err(e) => return failed(decision, policy.strict, &e),
            }
        }
        Action::Exec { command } => {
            let mut items = command_items;
            if INSTALLERS.iter().any(|w| command.contains(w)) {
                items.extend(install_items(command, &req.home, data));
            }
            items
        }
        _ => Vec::new(),
    };
    if items.is_empty() {
        return Review {
            decision,
            warning: None,
            error: None,
        };
    }
    let settings = policy.scan;
    // Content steps go first: when they tie with the policy's verdict, the
    // more specific reason (the secret, the CWE, the typo) is the one shown.
    let mut trace: Vec<Step> = Vec::new();
    let mut warnings = Vec::new();
    let mut added = false;
    for item in items.iter().filter(|i| i.severity >= Severity::Medium) {
        let (check, on, key) = match item.kind {
            ztguard_scan::Kind::Secret => (Check::Secret, settings.on_secret, "on_secret"),
            ztguard_scan::Kind::Code => (
                Check::InsecureCode,
                settings.on_insecure_code,
                "on_insecure_code",
            ),
            ztguard_scan::Kind::Dependency => {
                // A known-malicious package is never a judgment call.
                let on = if item.rule_id == "dep-malicious" {
                    OnFinding::Deny
                } else {
                    settings.on_risky_dependency
                };
                (Check::Dependency, on, "on_risky_dependency")
            }
        };
        let subject = describe(item);
        match verdict(on) {
            Some(v) => {
                let rule = if item.rule_id == "dep-malicious" {
                    // Not a setting: no policy can allow a known-malicious package.
                    "built-in: a known-malicious package is always denied (dep-malicious)"
                        .to_string()
                } else {
                    format!("scan.{key} = \"{}\" ({})", on.as_str(), item.rule_id)
                };
                trace.push(Step {
                    check,
                    subject,
                    verdict: v,
                    rule,
                    path: None,
                });
                added = true;
            }
            None => warnings.push(subject),
        }
    }
    let decision = if added {
        decision.with_first(trace, policy.strict)
    } else {
        decision
    };
    let warning =
        (!warnings.is_empty()).then(|| format!("ztguard warning: {}", warnings.join("; ")));
    Review {
        decision,
        warning,
        error: None,
    }
}

/// One sentence for the agent and the human: where, what, and the fix.
fn describe(item: &Item) -> String {
    let at = if item.line > 0 {
        format!("{}:{}", item.path, item.line)
    } else {
        item.path.clone()
    };
    match item.kind {
        ztguard_scan::Kind::Secret if item.path == "command" => {
            format!("the command line carries a {}", item.message)
        }
        ztguard_scan::Kind::Secret => format!("`{at}` would contain a {}", item.message),
        ztguard_scan::Kind::Code => format!("`{at}`: {}. Fix: {}", item.message, item.fix),
        ztguard_scan::Kind::Dependency if item.path == "command" => {
            format!("{}. {}", item.message, capitalized(&item.fix))
        }
        ztguard_scan::Kind::Dependency => {
            format!("`{at}`: {}. {}", item.message, capitalized(&item.fix))
        }
    }
}

fn capitalized(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// A content check that could not run: fail closed (ask, or deny in strict mode).
fn failed(decision: Decision, strict: bool, message: &str) -> Review {
    let error = Error::Content(message.to_string());
    let mut trace = decision.trace;
    trace.push(Step {
        check: Check::FailClosed,
        subject: error.to_string(),
        verdict: Verdict::Ask,
        rule: "scan (fail closed)".into(),
        path: None,
    });
    Review {
        decision: Decision::from_steps(trace, strict),
        warning: None,
        error: Some(error),
    }
}

/// `path` as shown in findings: relative to the project when inside it.
fn relative(path: &str, cwd: &Path, project: &Path) -> String {
    let p = cwd.join(path);
    match p.strip_prefix(project) {
        Ok(r) => r.to_string_lossy().into_owned(),
        Err(_) => path.to_string(),
    }
}

/// What a Write or Edit would add. When the file exists and the edit
/// applies, the whole resulting file is checked — so a query built three
/// lines above the `execute`, a secret split over two edits, or a manifest
/// fragment is seen in context and lines are numbered as in the file — and
/// only findings on the lines the call changes are kept: the agent answers
/// for what it writes, not for what the file already held.
fn written_items(
    rel: &str,
    full: &Path,
    content: &str,
    edits: &[ztguard_policy::TextEdit],
    data: &Path,
) -> Result<Vec<Item>, String> {
    // The scanner's reader: text files up to its size limit, else the new text alone.
    let Ok(Some(current)) = ztguard_scan::walk::read_text(full) else {
        return content_items(rel, content, data);
    };
    let new_text = if edits.is_empty() {
        Some(content.to_string())
    } else {
        apply(&current, edits)
    };
    let Some(new_text) = new_text else {
        // The edit does not apply to the file as it is: check the new text alone.
        return content_items(rel, content, data);
    };
    let Some((first, last)) = changed_lines(&current, &new_text) else {
        return Ok(Vec::new());
    };
    let mut items = content_items(rel, &new_text, data)?;
    items.retain(|i| i.line >= first && i.line <= last);
    Ok(items)
}

/// Apply Edit/MultiEdit replacements in order, as the tool would; `None`
/// when an `old_string` is not in the text.
fn apply(text: &str, edits: &[ztguard_policy::TextEdit]) -> Option<String> {
    let mut out = text.to_string();
    for e in edits {
        if e.old.is_empty() || !out.contains(&e.old) {
            return None;
        }
        out = if e.all {
            out.replace(&e.old, &e.new)
        } else {
            out.replacen(&e.old, &e.new, 1)
        };
    }
    Some(out)
}

/// The 1-based, inclusive range of lines of `new` that differ from `old`
/// (between their common first and last lines); `None` when identical.
fn changed_lines(old: &str, new: &str) -> Option<(usize, usize)> {
    if old == new {
        return None;
    }
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let max_suffix = a.len().min(b.len()) - prefix;
    let suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    let first = prefix + 1;
    let last = (b.len() - suffix).max(first);
    Some((first, last))
}

/// Secrets, insecure code and manifest dependencies in content to be written.
pub fn content_items(rel: &str, content: &str, data: &Path) -> Result<Vec<Item>, String> {
    let deps = if ztguard_deps::is_manifest(rel) {
        Some(ztguard_deps::Checker::load(data)?)
    } else {
        None
    };
    let checks = ztguard_scan::Checks::new(secret_rules()?, ztguard_scan::Enabled::default(), deps);
    Ok(checks.check(rel, content))
}

/// Credentials written out in a command line (`curl -H "Authorization: Bearer ghp_…"`,
/// `echo 'KEY=sk_live_…' >> app.py`): the agent should never hold them. Returns
/// the findings, and each secret with its redacted form (to hide it in reasons).
fn command_secrets(command: &str) -> Result<(Vec<Item>, Vec<Hidden>), String> {
    let found = secret_rules()?.scan(None, command);
    let secrets = found
        .iter()
        .filter_map(|f| command.get(f.span.0..f.span.1))
        .filter(|s| !s.is_empty())
        .map(|s| (s.to_string(), ztguard_secrets::redact_secret(s).0))
        .collect();
    let items = found
        .into_iter()
        .map(|f| ztguard_scan::secret_item("command", f))
        .collect();
    Ok((items, secrets))
}

/// Risky packages an install command would fetch.
fn install_items(command: &str, home: &Path, data: &Path) -> Vec<Item> {
    let env = ztguard_shell::ShellEnv {
        home: Some(home.to_string_lossy().into_owned()),
    };
    let analysis = ztguard_shell::analyze(command, &env);
    let mut deps = Vec::new();
    for c in &analysis.commands {
        let argv: Vec<String> = c
            .argv
            .iter()
            .filter_map(|a| a.values.first().cloned())
            .collect();
        deps.extend(ztguard_deps::from_argv(&argv));
    }
    if deps.is_empty() {
        return Vec::new();
    }
    let checker = match ztguard_deps::Checker::load(data) {
        Ok(c) => c,
        Err(e) => {
            // Fail closed: an unreadable database asks rather than passing unchecked.
            return vec![Item {
                kind: ztguard_scan::Kind::Dependency,
                rule_id: "dep-database-unreadable".into(),
                title: "The dependency database could not be read".into(),
                path: "command".into(),
                line: 0,
                column: 0,
                end_line: 0,
                end_column: 0,
                severity: Severity::Medium,
                cwe: None,
                secret: None,
                message: e,
                fix: "run `ztguard deps update` again".into(),
                fingerprint: String::new(),
                path_class: None,
            }];
        }
    };
    checker
        .check_deps(&deps)
        .into_iter()
        .map(|f| ztguard_scan::dependency_item("command", f))
        .collect()
}

/// Secrets in a tool's output (after the call): a message for the human,
/// and one for the agent, or nothing. The output already reached the agent;
/// this makes sure the human knows and the agent is told not to repeat it.
pub fn output_secrets(tool: &str, response: &serde_json::Value) -> Option<(String, String)> {
    let mut text = String::new();
    collect_strings(response, &mut text, 0);
    if text.is_empty() {
        return None;
    }
    let set = secret_rules().ok()?;
    let found = set.scan(None, &text);
    if found.is_empty() {
        return None;
    }
    let kinds: Vec<String> = found
        .iter()
        .take(5)
        .map(|f| format!("{} ({})", f.description, f.secret))
        .collect();
    let more = if found.len() > 5 {
        format!(" and {} more", found.len() - 5)
    } else {
        String::new()
    };
    let human = format!(
        "ztguard: the output of {tool} contained {} secret{}: {}{more}. It is now in the agent's context and transcript; rotate it if it is real.",
        found.len(),
        if found.len() == 1 { "" } else { "s" },
        kinds.join(", ")
    );
    let agent = "The last tool output contained a credential. Do not repeat, store, or send it anywhere; refer to it only by the name of the variable or file that holds it.".to_string();
    Some((human, agent))
}

/// The kinds of credential in a prompt ("AWS access key (aws-access-token)"),
/// each once; never the values.
pub fn prompt_secrets(prompt: &str) -> Result<Vec<String>, String> {
    if prompt.is_empty() {
        return Ok(Vec::new());
    }
    let found = secret_rules()?.scan(None, prompt);
    let mut kinds: Vec<String> = Vec::new();
    for f in found {
        let k = format!("{} ({})", f.description, f.rule_id);
        if !kinds.contains(&k) {
            kinds.push(k);
        }
    }
    Ok(kinds)
}

fn collect_strings(v: &serde_json::Value, out: &mut String, depth: usize) {
    if depth > 64 || out.len() > 4 * 1024 * 1024 {
        return;
    }
    match v {
        serde_json::Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out, depth + 1)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_strings(x, out, depth + 1)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ztguard_policy::TextEdit;

    fn edit(old: &str, new: &str) -> TextEdit {
        TextEdit {
            old: old.into(),
            new: new.into(),
            all: false,
        }
    }

    #[test]
    fn edits_apply_in_order_or_not_at_all() {
        assert_eq!(
            apply("a b a", &[edit("a", "x"), edit("b", "y")]).as_deref(),
            Some("x y a")
        );
        let all = TextEdit {
            all: true,
            ..edit("a", "z")
        };
        assert_eq!(apply("a b a", &[all]).as_deref(), Some("z b z"));
        assert_eq!(apply("a", &[edit("q", "x")]), None);
    }

    #[test]
    fn changed_lines_span_the_difference() {
        assert_eq!(changed_lines("1\n2\n3\n", "1\nX\n3\n"), Some((2, 2)));
        assert_eq!(changed_lines("1\n3\n", "1\n2a\n2b\n3\n"), Some((2, 3)));
        assert_eq!(changed_lines("1\n2\n", "1\n"), Some((2, 2)));
        assert_eq!(changed_lines("", "x\n"), Some((1, 1)));
        assert_eq!(changed_lines("same\n", "same\n"), None);
    }
}
