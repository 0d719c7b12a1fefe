//! `ztguard check` and `ztguard hook` answer through the same pipeline, so
//! they must agree: every case of the policy's decision tables
//! (crates/policy/tests/cases.rs, read from that file) is asked both ways,
//! in the same fixture project and home, and the verdicts must be
//! identical, and the reasons too — but for a call that revokes its own
//! session: the hook counts it and says so, while `check` (a dry run)
//! counts nothing and gives the policy's reason for the same deny. So
//! must they agree for the cases that disagreed before the pipeline was
//! shared: running a file the agent wrote, and any call of a revoked
//! session.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;
#[path = "../crates/policy/tests/fixture/mod.rs"]
mod fixture;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use fixture::Fixture;
use serde_json::{Value, json};

/// The decision tables, as the policy's own tests read them.
const CASES: &str = include_str!("../crates/policy/tests/cases.rs");

/// The `(kind, subject)` lines of the table `name` in cases.rs (a line
/// without ` | ` continues the previous subject).
fn table(name: &str) -> Vec<(String, String)> {
    let start = format!("const {name}: &str = r#\"");
    let from = CASES.find(&start).expect("the table is in cases.rs") + start.len();
    let body = &CASES[from..from + CASES[from..].find("\"#;").expect("the table ends")];
    let mut out: Vec<(String, String)> = Vec::new();
    for line in body.lines() {
        let parts: Vec<&str> = line.splitn(4, " | ").collect();
        if parts.len() == 4 {
            out.push((parts[1].to_string(), parts[3].to_string()));
        } else if let Some(last) = out.last_mut()
            && !line.is_empty()
        {
            last.1.push('\n');
            last.1.push_str(line);
        }
    }
    out
}

/// The binary in the fixture's project and home, as the tests of the
/// binary run it (no variables of whoever runs the tests).
fn ztguard(fx: &Fixture, args: &[&str], stdin: &str) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ztguard"));
    c.args(args)
        .current_dir(&fx.project)
        .env("HOME", &fx.home)
        .env(
            "ZTGUARD_MANAGED_POLICY",
            fx.project.join("../no-managed.toml"),
        );
    for v in [
        "CLAUDE_PROJECT_DIR",
        "ZTGUARD_PROFILE",
        "ZTGUARD_STRICT",
        "XDG_CONFIG_HOME",
        "XDG_DATA_HOME",
        "ZTGUARD_DATA_DIR",
        "ZTGUARD_BROKER",
        "ZTGUARD_AUDIT_KEY",
        "CLAUDE_CODE_SESSION_ATTENDED",
    ] {
        c.env_remove(v);
    }
    common::run_with_stdin(c, stdin)
}

/// What a case is as a `check` (its kind, and content for a write) and as
/// a Claude Code tool call. Kinds `check` has no word for are asked as the
/// nearest it has, both ways (an edit as a write, a search for names as a
/// search of contents).
fn as_both(kind: &str, s: &str) -> (&'static str, Option<&'static str>, &'static str, Value) {
    match kind {
        "bash" => ("bash", None, "Bash", json!({"command": s})),
        "read" => ("read", None, "Read", json!({"file_path": s})),
        "write" | "edit" => (
            "write",
            Some("x"),
            "Write",
            json!({"file_path": s, "content": "x"}),
        ),
        "fetch" => ("fetch", None, "WebFetch", json!({"url": s, "prompt": "p"})),
        "grep" | "grepnames" => (
            "grep",
            None,
            "Grep",
            json!({"pattern": "x", "path": s, "output_mode": "content"}),
        ),
        "glob" => ("glob", None, "Glob", json!({"pattern": s})),
        "agent" => (
            "agent",
            None,
            "Agent",
            json!({"prompt": "p", "description": "d", "subagent_type": s}),
        ),
        "mcp" | "unknown-tool" => ("tool", None, "", json!({})),
        other => panic!("unknown case kind {other}"),
    }
}

/// `ztguard check`'s answer: (verdict, reason), or the error.
fn check(fx: &Fixture, session: Option<&str>, kind: &str, subject: &str) -> (String, String) {
    let (word, content, _, _) = as_both(kind, subject);
    let mut args = vec!["check", "--json"];
    if let Some(s) = session {
        args.extend(["--session", s]);
    }
    if content.is_some() {
        args.extend(["--content", "-"]);
    }
    args.extend([word, "--", subject]);
    let out = ztguard(fx, &args, content.unwrap_or(""));
    match out.status.code() {
        Some(0 | 1) => {
            let v: Value = serde_json::from_slice(&out.stdout).expect("check --json prints JSON");
            (
                v["verdict"].as_str().unwrap_or("?").to_string(),
                v["reason"].as_str().unwrap_or("").to_string(),
            )
        }
        _ => (
            "error".into(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    }
}

/// A Claude Code event of `session` in the fixture's project.
fn event(fx: &Fixture, session: &str, name: &str, tool: &str, input: Value) -> String {
    json!({
        "session_id": session,
        "transcript_path": fx.home.join("t.jsonl"),
        "cwd": fx.project,
        "permission_mode": "default",
        "hook_event_name": name,
        "tool_name": tool,
        "tool_input": input,
        "tool_use_id": "toolu_agree",
    })
    .to_string()
}

/// `ztguard hook`'s answer to the PreToolUse of a case: (verdict, reason),
/// or the error (exit 2). `session`: None for a session of its own.
fn hook(fx: &Fixture, session: Option<&str>, kind: &str, subject: &str) -> (String, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let own = format!("agree-{}", N.fetch_add(1, Ordering::Relaxed));
    let (_, _, tool, input) = as_both(kind, subject);
    let tool = if tool.is_empty() { subject } else { tool };
    let e = event(fx, session.unwrap_or(&own), "PreToolUse", tool, input);
    let out = ztguard(fx, &["hook"], &e);
    match out.status.code() {
        Some(0) => {
            let v: Value = serde_json::from_slice(&out.stdout).expect("hook prints JSON");
            let o = &v["hookSpecificOutput"];
            (
                o["permissionDecision"].as_str().unwrap_or("?").to_string(),
                o["permissionDecisionReason"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        }
        _ => (
            "error".into(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ),
    }
}

/// A reason as it compares: `/proc/self` resolves to the answering
/// process, whose id differs from one process to the next.
fn comparable(reason: &str) -> String {
    let mut out = String::new();
    let mut rest = reason;
    while let Some(i) = rest.find("/proc/") {
        out.push_str(&rest[..i + 6]);
        rest = &rest[i + 6..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            out.push('N');
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

/// Do two answers agree? The same verdict, and the same reason unless
/// the hook's call revoked its session (a deny either way).
fn agree(c: &(String, String), h: &(String, String)) -> bool {
    let revoked_now = h.1.starts_with("ztguard: This session is now revoked");
    c.0 == h.0 && (comparable(&c.1) == comparable(&h.1) || (revoked_now && c.0 == "deny"))
}

/// Ask every case both ways (on two threads); the disagreements.
fn disagreements(fx: &Fixture, cases: &[(String, String)]) -> Vec<String> {
    let half = cases.len().div_ceil(2);
    std::thread::scope(|scope| {
        let parts: Vec<_> = cases
            .chunks(half.max(1))
            .map(|part| {
                scope.spawn(move || {
                    let mut out = Vec::new();
                    for (kind, s) in part {
                        let s = fx.expand(s);
                        let c = check(fx, None, kind, &s);
                        let h = hook(fx, None, kind, &s);
                        if !agree(&c, &h) {
                            out.push(format!("{kind} {s:?}:\n  check: {c:?}\n  hook:  {h:?}"));
                        }
                    }
                    out
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().expect("no panic"))
            .collect()
    })
}

#[test]
fn check_and_hook_agree_on_every_case() {
    let fx = Fixture::new();
    let mut cases = table("ATTACKS");
    let attacks = cases.len();
    cases.extend(table("EVERYDAY"));
    assert!(
        attacks >= 150 && cases.len() >= attacks + 60,
        "{attacks}, {}",
        cases.len()
    );
    let bad = disagreements(&fx, &cases);
    assert!(
        bad.is_empty(),
        "{} of {} cases answered differently:\n{}",
        bad.len(),
        cases.len(),
        bad.join("\n")
    );
}

/// Write `rel` through the hook as Claude Code would: PreToolUse, the
/// write itself, PostToolUse (which notes the file as the agent's).
fn agent_writes(fx: &Fixture, session: &str, rel: &str, text: &str) {
    let path = fx.project.join(rel);
    let input = json!({"file_path": path, "content": text});
    let pre = ztguard(
        fx,
        &["hook"],
        &event(fx, session, "PreToolUse", "Write", input.clone()),
    );
    assert_eq!(pre.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&pre.stdout).contains("\"allow\""));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    let post = ztguard(
        fx,
        &["hook"],
        &event(fx, session, "PostToolUse", "Write", input),
    );
    assert_eq!(post.status.code(), Some(0));
}

/// Running a script the agent wrote: `check` consults the provenance
/// ledger the hook keeps, as the hook does.
#[test]
fn check_refuses_to_run_what_the_agent_wrote() {
    for (setting, verdict) in [("ask", "ask"), ("deny", "deny")] {
        let fx = Fixture::with(|project, _| {
            let policy = ztguard_policy::default_policy_toml().replacen(
                "run_agent_written = \"ask\"",
                &format!("run_agent_written = \"{setting}\""),
                1,
            );
            std::fs::write(project.join(".ztguard.toml"), policy).unwrap();
        });
        let line = "bash scripts/gen.sh";
        // A human's script: the project's own, run as `make` would be.
        std::fs::write(fx.project.join("scripts/gen.sh"), "#!/bin/sh\necho gen\n").unwrap();
        let (v, r) = check(&fx, None, "bash", line);
        assert_eq!(v, "allow", "{r}");
        assert!(!r.contains("agent"), "{r}");
        // The agent rewrites it through the hook.
        agent_writes(
            &fx,
            "agree-writer",
            "scripts/gen.sh",
            "#!/bin/sh\necho changed\n",
        );
        let c = check(&fx, None, "bash", line);
        let h = hook(&fx, None, "bash", line);
        assert_eq!(c.0, verdict, "{}", c.1);
        assert!(
            c.1.contains("scripts/gen.sh") && c.1.contains("ztguard approve"),
            "{}",
            c.1
        );
        assert_eq!(c, h);
        // A script the agent did not write is judged as before.
        let (_, r) = check(&fx, None, "bash", "bash scripts/build.sh");
        assert!(!r.contains("agent"), "{r}");
    }
}

#[test]
fn check_denies_a_call_of_a_revoked_session() {
    let fx = Fixture::new();
    let sid = "agree-revoked";
    let (v, r) = hook(&fx, Some(sid), "bash", "ls");
    assert_eq!(v, "allow", "{r}");
    let out = ztguard(&fx, &["session", "revoke", sid, "--reason", "a test"], "");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c = check(&fx, Some(sid), "bash", "ls");
    let h = hook(&fx, Some(sid), "bash", "ls");
    assert_eq!(c.0, "deny", "{}", c.1);
    assert!(
        c.1.contains("revoked") && c.1.contains("session unlock"),
        "{}",
        c.1
    );
    assert_eq!(c, h);
    // Another session, or none, is not affected.
    assert_eq!(check(&fx, None, "bash", "ls").0, "allow");
    assert_eq!(check(&fx, Some("agree-other"), "bash", "ls").0, "allow");
}

/// The dry run has no side effect: no record, no session state, no ledger.
#[test]
fn check_leaves_nothing_behind() {
    let fx = Fixture::new();
    let dot = fx.project.join(".ztguard");
    let before = listing(&dot);
    for (kind, s) in [("bash", "cat .env"), ("bash", "ls"), ("write", "src/x.rs")] {
        check(&fx, Some("agree-quiet"), kind, s);
    }
    assert_eq!(listing(&dot), before);
    assert_eq!(
        std::fs::read_to_string(dot.join("audit.jsonl")).unwrap(),
        ""
    );
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walk(dir)
        .into_iter()
        .map(|p| p.strip_prefix(dir).unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        }
        out.push(p);
    }
    out
}
