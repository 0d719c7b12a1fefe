//! The pipeline through its library interface: what a dry run leaves
//! behind, what a failed stage tells the agent, and that a process opens
//! a project's policy once.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};
use ztguard_core::{Approver, Env, Guard, Guards, NoHuman, Origin, Outcome, Places, ToolCall};
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
        approver: Approver::Human,
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
    // Spelt inside, really outside.
    let out = t.project.join("../../../../../../../../tmp");
    assert!(env.project_of(&out).is_err());
    assert!(env.project_of(&t.project.join("src/../../x")).is_err());
}

#[test]
fn with_no_human_to_approve_an_ask_is_denied_and_recorded_as_such() {
    let t = tree();
    let g = guard(&t);
    let nobody = || {
        Approver::Nobody(NoHuman {
            by: "bypassPermissions".into(),
            when: "in permission mode `bypassPermissions`".into(),
        })
    };
    let with = |command: &str, approver: Approver| ToolCall {
        approver,
        ..call(&t.project, None, command)
    };
    // A human is asked; nobody cannot be, so the same call is denied.
    let asked = g.dry_run(with("rm notes.txt", Approver::Human)).unwrap();
    assert_eq!(asked.decision.verdict, Verdict::Ask);
    let dry = g.dry_run(with("rm notes.txt", nobody())).unwrap();
    let live = g.tool_call(with("rm notes.txt", nobody())).unwrap();
    for o in [&dry, &live] {
        let d = &o.decision;
        assert_eq!(d.verdict, Verdict::Deny, "{}", d.reason);
        assert!(d.reason.starts_with(&asked.decision.reason), "{}", d.reason);
        assert!(
            d.reason
                .ends_with("No human can approve this in permission mode `bypassPermissions`, so it is denied instead of asked."),
            "{}",
            d.reason
        );
        assert_eq!(d.rule, asked.decision.rule);
    }
    // What is allowed or denied anyway is not touched.
    let ls = g.tool_call(with("ls", nobody())).unwrap();
    assert_eq!(ls.decision.verdict, Verdict::Allow);
    let env = g.tool_call(with("cat .env", nobody())).unwrap();
    assert_eq!(env.decision.verdict, Verdict::Deny);
    assert!(!env.decision.reason.contains("No human"));

    let log = std::fs::read_to_string(t.project.join(".ztguard/audit.jsonl")).unwrap();
    let records: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 3, "{records:#?}");
    let rm = &records[0];
    assert_eq!(rm["decision"], "deny", "{rm}");
    assert_eq!(rm["ask_denied"], "bypassPermissions", "{rm}");
    assert_eq!(rm["rule"], asked.decision.rule.as_str(), "{rm}");
    assert_eq!(rm["rules"][0], asked.decision.rule.as_str(), "{rm}");
    assert!(
        rm["reason"]
            .as_str()
            .unwrap()
            .contains("No human can approve this"),
        "{rm}"
    );
    for r in &records[1..] {
        assert!(r.get("ask_denied").is_none(), "{r}");
    }
}
