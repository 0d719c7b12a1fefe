//! The pipeline through its library interface: what a dry run leaves
//! behind, what a failed stage tells the agent, and that a process opens
//! a project's policy once.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};
use ztguard_core::{Env, Guard, Guards, Origin, Outcome, Places, ToolCall};
use ztguard_policy::{Action, Check, Verdict};

struct Tree {
    _dir: tempfile::TempDir,
    project: PathBuf,
    env: Env,
}

fn tree() -> Tree {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let (project, home) = (root.join("p"), root.join("h"));
    for d in [project.join(".git"), home.clone()] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(project.join(".env"), "KEY=FAKE\n").unwrap();
    let env = Env {
        data_dir: root.join("data"),
        places: Places {
            data_dir: root.join("data"),
            key_file: root.join("no.key"),
        },
        managed: Some(root.join("no-managed.toml")),
        user: None,
        declared_project: None,
        pinned_project: None,
        home,
    };
    Tree {
        _dir: dir,
        project,
        env,
    }
}

fn no_summary() -> Map<String, Value> {
    Map::new()
}

fn call<'a>(project: &Path, session: Option<&str>, command: &str) -> ToolCall<'a> {
    ToolCall {
        origin: Origin {
            event: "PreToolUse".into(),
            session: session.map(str::to_string),
            fields: Map::new(),
            cwd: project.to_path_buf(),
            tool: Some("Bash".into()),
            started: Instant::now(),
        },
        tool: "Bash".into(),
        action: Action::Exec {
            command: command.into(),
        },
        agent_type: None,
        count: true,
        summary: &no_summary,
    }
}

fn guard(t: &Tree) -> Guard {
    Guard::open(Arc::new(t.env.clone()), t.project.clone(), None, false)
}

#[test]
fn a_live_call_is_counted_and_recorded_and_a_dry_run_is_not() {
    let t = tree();
    let g = guard(&t);
    let dot = t.project.join(".ztguard");
    let o = g.dry_run(call(&t.project, Some("s1"), "cat .env")).unwrap();
    assert_eq!(o.decision.verdict, Verdict::Deny);
    assert!(!dot.exists(), "a dry run writes nothing");
    let live = g
        .tool_call(call(&t.project, Some("s1"), "cat .env"))
        .unwrap();
    assert_eq!(live.decision.verdict, o.decision.verdict);
    assert_eq!(live.decision.reason, o.decision.reason);
    assert!(dot.join("audit.jsonl").exists());
    assert!(dot.join("sessions").exists());
}

#[test]
fn a_dry_run_denies_a_call_of_a_revoked_session() {
    let t = tree();
    let g = guard(&t);
    let dir = ztguard_monitor::session::dir(&t.project);
    ztguard_monitor::session::revoke(&dir, "s2", "a test", 1).unwrap();
    let o = g.dry_run(call(&t.project, Some("s2"), "ls")).unwrap();
    assert_eq!(o.decision.verdict, Verdict::Deny, "{}", o.decision.reason);
    assert_eq!(o.decision.trace[0].check, Check::Session);
    assert!(o.failures.is_empty());
    // Another session is not affected.
    let o = g.dry_run(call(&t.project, Some("s3"), "ls")).unwrap();
    assert_eq!(o.decision.verdict, Verdict::Allow, "{}", o.decision.reason);
}

fn failed(o: &Outcome) -> &str {
    assert_eq!(o.decision.verdict, Verdict::Deny, "{}", o.decision.reason);
    assert_eq!(o.decision.trace[0].check, Check::FailClosed);
    let r = &o.decision.reason;
    assert!(r.contains("tell the user what failed"), "{r}");
    assert!(!r.contains("unlock"), "nothing is locked: {r}");
    r
}

#[test]
fn a_log_that_cannot_be_written_fails_closed_and_says_so() {
    let t = tree();
    // `.ztguard` is a file: neither the log nor a session state can be written.
    std::fs::write(t.project.join(".ztguard"), "").unwrap();
    let g = guard(&t);
    let o = g.tool_call(call(&t.project, None, "ls")).unwrap();
    assert!(failed(&o).contains("the audit log could not be written"));
    assert!(matches!(o.failures[..], [ztguard_core::Error::Audit(_)]));
    // In a session, both stages fail: each says so in the trace.
    let o = g.tool_call(call(&t.project, Some("s4"), "ls")).unwrap();
    failed(&o);
    assert!(matches!(
        o.failures[..],
        [
            ztguard_core::Error::Session(_),
            ztguard_core::Error::Audit(_)
        ]
    ));
    let subjects: Vec<&str> = o
        .decision
        .trace
        .iter()
        .map(|s| s.subject.as_str())
        .collect();
    assert!(
        subjects[0].contains("the audit log could not be written"),
        "{subjects:?}"
    );
    assert!(
        subjects[1].contains("the session state could not be updated"),
        "{subjects:?}"
    );
}

#[test]
fn a_policy_that_does_not_load_is_an_error_of_its_stage() {
    let t = tree();
    std::fs::write(t.project.join(".ztguard.toml"), "[commands\n").unwrap();
    let g = guard(&t);
    let e = g.tool_call(call(&t.project, None, "ls")).unwrap_err();
    assert!(matches!(e, ztguard_core::Error::Policy(_)), "{e}");
    assert!(e.to_string().starts_with("the policy does not load"), "{e}");
}

#[test]
fn guards_open_a_policy_once_per_project_profile_and_strictness() {
    let t = tree();
    let guards = Guards::new(t.env.clone());
    let a = guards.get(&t.project, None, false);
    let b = guards.get(&t.project, None, false);
    assert!(Arc::ptr_eq(&a, &b));
    let strict = guards.get(&t.project, None, true);
    assert!(!Arc::ptr_eq(&a, &strict));
    assert!(strict.policy().unwrap().strict);
}

#[test]
fn a_pinned_project_holds_every_call() {
    let t = tree();
    let env = Env {
        pinned_project: Some(t.project.clone()),
        ..t.env.clone()
    };
    assert_eq!(env.project_of(&t.project.join("src")).unwrap(), t.project);
    let e = env.project_of(Path::new("/")).unwrap_err();
    assert!(e.to_string().contains("under ztguard exec"), "{e}");
}
