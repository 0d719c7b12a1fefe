//! Decisions and the trace that explains them.

use serde::{Deserialize, Serialize};

/// allow < ask < deny: the strictest opinion wins.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Allow,
    Ask,
    Deny,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Allow => "allow",
            Verdict::Ask => "ask",
            Verdict::Deny => "deny",
        }
    }
    fn past(self) -> &'static str {
        match self {
            Verdict::Allow => "allowed",
            Verdict::Ask => "needs approval",
            Verdict::Deny => "denied",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of check a step is (selects the advice given to the agent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    Tool,
    Command,
    Wrapper,
    Read,
    ReadTree,
    Write,
    Delete,
    Network,
    EnvDump,
    SecretVar,
    Dynamic,
    Risky,
    /// A build or test tool run on another project's files, or on build
    /// files written earlier in the same command line.
    Project,
    UnknownOperand,
    Parse,
    Profile,
    /// A credential in the content the agent writes.
    Secret,
    /// An insecure pattern in the code the agent writes.
    InsecureCode,
    /// A risky package in a manifest edit or an install command.
    Dependency,
    /// Running a file the agent wrote that no human has approved.
    AgentWritten,
    /// The session monitor: a revoked session, or an anomaly that revokes it.
    Session,
    /// A part of the guard itself failed (the audit log, the session state,
    /// a content check), so the call could not be checked safely.
    FailClosed,
}

/// One opinion of one layer on one check.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub check: Check,
    /// What was checked, for people: "`cat .env` reads .env".
    pub subject: String,
    pub verdict: Verdict,
    /// The rule that decided, with its layer: `built-in protections: files.deny ".env"`.
    pub rule: String,
    /// The file checked (resolved), for file checks: the session monitor
    /// counts distinct files and paths outside the project from it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<std::path::PathBuf>,
}

/// The answer for one tool call.
#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    /// One sentence for the agent: what was decided, by which rule, and what to do instead.
    pub reason: String,
    /// The rule that decided (the strictest step's).
    pub rule: String,
    /// Every opinion that was given, in order.
    pub trace: Vec<Step>,
}

impl Decision {
    /// Decide again with `steps` in front of this decision's trace: a later
    /// check (content, provenance, the session monitor) adding its opinion.
    pub fn with_first(self, mut steps: Vec<Step>, strict: bool) -> Decision {
        steps.extend(self.trace);
        Decision::from_steps(steps, strict)
    }

    /// Build a decision from its steps: the first strictest step decides.
    /// Every subject is redacted: reasons and traces quote commands, which can carry credentials.
    pub fn from_steps(mut trace: Vec<Step>, strict: bool) -> Decision {
        for s in &mut trace {
            if let std::borrow::Cow::Owned(r) = crate::redact::redact(&s.subject) {
                s.subject = r;
            }
        }
        let top = trace.iter().map(|s| s.verdict).max();
        let Some(top) = top else {
            return Decision {
                verdict: if strict { Verdict::Deny } else { Verdict::Ask },
                reason: "ztguard: no rule covers this call".into(),
                rule: "fallback".into(),
                trace,
            };
        };
        let deciding = trace.iter().find(|s| s.verdict == top).cloned();
        let Some(step) = deciding else {
            return Decision {
                verdict: Verdict::Deny,
                reason: "internal error".into(),
                rule: String::new(),
                trace,
            };
        };
        let mut verdict = top;
        let mut reason = if top == Verdict::Allow {
            format!("ztguard: allowed ({})", summarize_allow(&trace))
        } else if matches!(
            step.check,
            Check::Secret
                | Check::InsecureCode
                | Check::Dependency
                | Check::AgentWritten
                | Check::Session
                | Check::FailClosed
        ) {
            // Content findings are sentences of their own (what, where, the fix).
            let past = step.verdict.past();
            let mut cap = past[..1].to_ascii_uppercase();
            cap.push_str(&past[1..]);
            let stop = if step.subject.ends_with(['.', '?', '!']) {
                ""
            } else {
                "."
            };
            format!(
                "ztguard: {}{stop} {cap} by {}. {}",
                step.subject,
                step.rule,
                advice(step.check, top, &step.rule)
            )
        } else {
            format!(
                "ztguard: {} {} by {}. {}",
                step.subject,
                step.verdict.past(),
                step.rule,
                advice(step.check, top, &step.rule)
            )
        };
        if strict && verdict == Verdict::Ask {
            verdict = Verdict::Deny;
            reason.push_str(" (strict mode: what would be asked is denied)");
        }
        Decision {
            verdict,
            reason: reason.trim_end().to_string(),
            rule: step.rule,
            trace,
        }
    }
}

fn summarize_allow(trace: &[Step]) -> String {
    let mut rules: Vec<&str> = Vec::new();
    // The tool rule is the least informative; name it only when it is all there is.
    let specific = trace
        .iter()
        .any(|s| s.check != Check::Tool && s.check != Check::Profile);
    for s in trace
        .iter()
        .filter(|s| !specific || (s.check != Check::Tool && s.check != Check::Profile))
    {
        if !rules.contains(&s.rule.as_str()) {
            rules.push(&s.rule);
        }
    }
    if rules.len() > 3 {
        format!(
            "{}; and {} more rules",
            rules[..3].join("; "),
            rules.len() - 3
        )
    } else {
        rules.join("; ")
    }
}

/// What the agent can do instead, given the check and the rule that decided.
/// A rule of the built-in protections' credential list (`files.deny`), as
/// opposed to a deny a user, a project or imported agent settings wrote.
fn credential_rule(rule: &str) -> bool {
    rule.starts_with("built-in protections: files.deny ")
}

fn advice(check: Check, v: Verdict, rule: &str) -> &'static str {
    // A layer's default, not a named rule, decided: the path or command is simply not granted.
    let by_default = rule.contains("(no rule matches)");
    let by_profile = rule.starts_with("profile ");
    match (check, v) {
        (_, Verdict::Deny) if by_profile => {
            "The active profile allows only what it lists; work within it, or hand this step back to the main agent."
        }
        (Check::Read | Check::ReadTree, Verdict::Deny) if by_default => {
            "The policy does not grant reading this; a human can add it to [files] read in the user policy (~/.config/ztguard/policy.toml); a project's .ztguard.toml can only narrow."
        }
        (Check::Write | Check::Delete, Verdict::Deny) if by_default => {
            "The policy does not grant writing this; a human can add it to [files] write in the user policy (~/.config/ztguard/policy.toml); a project's .ztguard.toml can only narrow."
        }
        (Check::ReadTree, Verdict::Deny) if credential_rule(rule) => {
            "Credential-shaped files are never read by the agent: search a narrower path or exclude the file (grep --exclude, rg -g '!name'); if it is a public test fixture, a human can approve it with `ztguard approve --fixture <file>`."
        }
        (Check::Read, Verdict::Deny) if credential_rule(rule) => {
            "Credential-shaped files are never read by the agent: ask the user for what you need; if it is a public test fixture, a human can approve it with `ztguard approve --fixture <file>`."
        }
        (Check::ReadTree, Verdict::Deny) => {
            "The policy denies reading a file in this tree: search a narrower path or exclude the file (grep --exclude, rg -g '!name'), or ask the user for what you need."
        }
        (Check::Read, Verdict::Deny) => {
            "The policy denies reading this file: ask the user for what you need."
        }
        (Check::ReadTree, _) => {
            "Search a narrower path, or exclude the file (grep --exclude, rg -g '!name')."
        }
        (Check::Write | Check::Delete, Verdict::Deny) => {
            "Credentials, the guard's configuration, agent settings, git hooks, shell startup files and system paths can only be changed by a human."
        }
        (Check::Write | Check::Delete, _) => {
            "Work inside the project, or ask the user to approve this change."
        }
        (Check::Read, _) => "Read files inside the project, or ask the user to approve this.",
        (Check::Command | Check::Wrapper, Verdict::Deny) => {
            "This command is never run by the agent; ask the user to run it if it is needed."
        }
        (Check::Command, _) => {
            "If this command is safe for this project, a human can add it to [commands] allow in the user policy (~/.config/ztguard/policy.toml); a project's .ztguard.toml can only narrow."
        }
        (Check::Network, _) => "Only the domains in [network] allow of the policy are reachable.",
        (Check::EnvDump, _) | (Check::SecretVar, _) => {
            "The environment holds secrets: read only the AI_ACCESSIBLE_* variable you need."
        }
        (Check::Dynamic, _) | (Check::UnknownOperand, _) => {
            "ztguard cannot see what this would run or touch: write the command out literally, without computed names or piped scripts."
        }
        (Check::Risky, _) => "Run the command without options that make it execute other programs.",
        (Check::Project, _) => {
            "Build and test tools run the code of the files where they work: run them in this project, and write build files in a call of their own so that the user sees them before they run."
        }
        (Check::Parse, _) => "Fix the shell syntax, or split the command into simpler ones.",
        (Check::Secret, _) => {
            "Never put credentials in files or command lines: read the value from an environment variable at run time (os.environ / process.env / std::env::var) and keep it out of the repository."
        }
        (Check::InsecureCode, _) => {
            "Rewrite it the safe way the fix describes, or ask the user to approve it."
        }
        (Check::Dependency, _) => {
            "Check the package name and version against the registry; the user can approve it if it is right."
        }
        (Check::Tool, _) => "Use a tool the policy allows.",
        (Check::AgentWritten, _) => {
            "Files the agent writes run only after a human reviews them: ask the user to review the file and run `ztguard approve <file>`."
        }
        (Check::Session, _) => {
            "Stop and tell the user; only a human can review this session and unlock it."
        }
        (Check::FailClosed, _) => {
            "The call itself may be fine: tell the user what failed in ztguard; once a human fixes that, the call can be tried again."
        }
        (Check::Profile, _) => "This profile does not allow it.",
        _ => "",
    }
}
