//! An ask only where a human can answer: `ztguard hook` driven with real
//! hook JSON in every permission mode Claude Code sends. In the modes made
//! for a human at the keyboard (default, plan, acceptEdits) the policy's
//! ask stays an ask; where nobody is asked (bypassPermissions, dontAsk,
//! auto, any mode ztguard does not know, a session the client says no one
//! attends) it is denied with the policy's reason and a note, and the
//! audit record keeps the ask as `ask_denied`.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;

use std::path::PathBuf;

use common::Env;
use serde_json::{Value, json};

const NOTE: &str = "No human can approve this";

/// A project (outside /tmp, which the default policy lets the agent write)
/// whose `out` is a symlink to a directory outside it, and a `notes.txt`.
fn project() -> (Env, PathBuf) {
    let e = Env::outside_tmp();
    let outside = e.project.parent().expect("root").join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::os::unix::fs::symlink(&outside, e.project.join("out")).expect("symlink");
    std::fs::write(e.project.join("notes.txt"), "notes\n").expect("write");
    (e, outside)
}

/// A hook event with `mode` as its `permission_mode` (None: no field).
fn event(e: &Env, name: &str, mode: Option<Value>, tool: &str, input: Value, id: &str) -> String {
    let mut v = json!({
        "session_id": format!("session-{id}"),
        "transcript_path": e.home.join("t.jsonl"),
        "cwd": e.project,
        "hook_event_name": name,
        "tool_name": tool,
        "tool_input": input,
        "tool_use_id": id,
    });
    if let Some(m) = mode {
        v["permission_mode"] = m;
    }
    v.to_string()
}

/// The two calls the default policy asks about: a Write into the project
/// that the `out` symlink sends outside it, and deleting a file.
fn asked_calls(e: &Env) -> [(&'static str, Value); 2] {
    [
        (
            "Write",
            json!({"file_path": e.project.join("out/escaped.txt"), "content": "x\n"}),
        ),
        (
            "Bash",
            json!({"command": "rm notes.txt", "description": "delete the notes"}),
        ),
    ]
}

/// Answer a PreToolUse event through the binary: (decision, reason).
fn pre(e: &Env, ev: &str, attended: Option<&str>) -> (String, String) {
    let mut c = e.cmd(&["hook"]);
    if let Some(a) = attended {
        c.env("CLAUDE_CODE_SESSION_ATTENDED", a);
    }
    let mut child = c
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn ztguard hook");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ev.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).expect("one JSON answer");
    let o = &v["hookSpecificOutput"];
    (
        o["permissionDecision"].as_str().unwrap_or("").to_string(),
        o["permissionDecisionReason"]
            .as_str()
            .unwrap_or("")
            .to_string(),
    )
}

/// The PreToolUse record of the call `id`.
fn record(e: &Env, id: &str) -> Value {
    e.audit()
        .into_iter()
        .find(|r| r["event"] == "PreToolUse" && r["tool_use_id"] == id)
        .unwrap_or_else(|| panic!("no record of {id}"))
}

#[test]
fn interactive_modes_keep_the_ask() {
    let (e, outside) = project();
    for mode in ["default", "plan", "acceptEdits", "manual"] {
        for (i, (tool, input)) in asked_calls(&e).into_iter().enumerate() {
            let id = format!("{mode}-{i}");
            let ev = event(&e, "PreToolUse", Some(json!(mode)), tool, input, &id);
            let (decision, reason) = pre(&e, &ev, None);
            assert_eq!(decision, "ask", "{mode} {tool}: {reason}");
            assert!(!reason.contains(NOTE), "{reason}");
            let r = record(&e, &id);
            assert_eq!(r["decision"], "ask", "{r}");
            assert_eq!(r["permission_mode"], mode, "{r}");
            assert!(r.get("ask_denied").is_none(), "{r}");
        }
    }
    // An event without the field (older clients) asks too.
    let (tool, input) = asked_calls(&e)[1].clone();
    let ev = event(&e, "PreToolUse", None, tool, input, "none");
    assert_eq!(pre(&e, &ev, None).0, "ask");
    assert!(record(&e, "none").get("ask_denied").is_none());
    // So does a session the client says someone attends.
    let (tool, input) = asked_calls(&e)[1].clone();
    let ev = event(&e, "PreToolUse", Some(json!("default")), tool, input, "one");
    assert_eq!(pre(&e, &ev, Some("1")).0, "ask");
    assert!(std::fs::read_dir(&outside).unwrap().next().is_none());
}

#[test]
fn where_no_human_is_asked_an_ask_is_denied_with_its_reason_and_recorded() {
    let (e, _outside) = project();
    // The reasons a human would have been given.
    let asked: Vec<String> = asked_calls(&e)
        .into_iter()
        .enumerate()
        .map(|(i, (tool, input))| {
            let ev = event(
                &e,
                "PreToolUse",
                Some(json!("default")),
                tool,
                input,
                &format!("asked-{i}"),
            );
            let (d, reason) = pre(&e, &ev, None);
            assert_eq!(d, "ask", "{reason}");
            reason
        })
        .collect();
    assert!(asked[0].contains("escaped.txt"), "{}", asked[0]);
    for (mode, by) in [
        (json!("bypassPermissions"), "bypassPermissions"),
        (json!("dontAsk"), "dontAsk"),
        (json!("auto"), "auto"),
        (json!("yolo"), "yolo"),
        (json!(""), ""),
        (json!(null), "null"),
    ] {
        for (i, (tool, input)) in asked_calls(&e).into_iter().enumerate() {
            let id = format!("{by}-{i}");
            let ev = event(&e, "PreToolUse", Some(mode.clone()), tool, input, &id);
            let (decision, reason) = pre(&e, &ev, None);
            assert_eq!(decision, "deny", "{mode} {tool}: {reason}");
            assert!(reason.starts_with(&asked[i]), "{reason}");
            assert!(
                reason.ends_with(&format!(
                    "{NOTE} in permission mode `{by}`, so it is denied instead of asked."
                )),
                "{reason}"
            );
            let r = record(&e, &id);
            assert_eq!(r["decision"], "deny", "{r}");
            assert_eq!(r["ask_denied"], by, "{r}");
            assert_eq!(r["reason"], reason.as_str(), "{r}");
            assert!(r["rules"].as_array().is_some_and(|a| !a.is_empty()), "{r}");
        }
    }
    // `claude -p` says no one attends: default mode asks nobody either.
    let (tool, input) = asked_calls(&e)[0].clone();
    let ev = event(&e, "PreToolUse", Some(json!("default")), tool, input, "p");
    let (decision, reason) = pre(&e, &ev, Some("0"));
    assert_eq!(decision, "deny", "{reason}");
    assert!(reason.starts_with(&asked[0]), "{reason}");
    assert!(
        reason.contains("in a session no one attends (a non-interactive run such as `claude -p`)"),
        "{reason}"
    );
    let r = record(&e, "p");
    assert_eq!(
        (&r["ask_denied"], &r["permission_mode"]),
        (&json!("unattended"), &json!("default")),
        "{r}"
    );
}

#[test]
fn allowed_and_denied_calls_are_the_same_in_every_mode() {
    let (e, _outside) = project();
    for mode in ["bypassPermissions", "dontAsk", "default"] {
        let id = format!("ls-{mode}");
        let ev = event(
            &e,
            "PreToolUse",
            Some(json!(mode)),
            "Bash",
            json!({"command": "ls src"}),
            &id,
        );
        assert_eq!(pre(&e, &ev, Some("0")).0, "allow", "{mode}");
        assert!(record(&e, &id).get("ask_denied").is_none());
        let id = format!("env-{mode}");
        let ev = event(
            &e,
            "PreToolUse",
            Some(json!(mode)),
            "Bash",
            json!({"command": "cat .env"}),
            &id,
        );
        let (decision, reason) = pre(&e, &ev, None);
        assert_eq!(decision, "deny", "{mode}");
        assert!(!reason.contains(NOTE), "{reason}");
        assert!(record(&e, &id).get("ask_denied").is_none());
    }
}

#[test]
fn a_permission_request_with_no_human_to_ask_is_denied() {
    let (e, _outside) = project();
    let (tool, input) = asked_calls(&e)[1].clone();
    // Interactive: nothing said, the client shows its dialog.
    let ev = event(
        &e,
        "PermissionRequest",
        Some(json!("acceptEdits")),
        tool,
        input.clone(),
        "pr-1",
    );
    let (code, out) = e.hook(&ev);
    assert_eq!((code, out), (0, Value::Null));
    let ev = event(
        &e,
        "PermissionRequest",
        Some(json!("dontAsk")),
        tool,
        input,
        "pr-2",
    );
    let (code, out) = e.hook(&ev);
    assert_eq!(code, 0);
    let d = &out["hookSpecificOutput"]["decision"];
    assert_eq!(d["behavior"], "deny", "{out}");
    assert!(
        d["message"].as_str().is_some_and(|m| m.contains(NOTE)),
        "{out}"
    );
    let r = e
        .audit()
        .into_iter()
        .find(|r| r["event"] == "PermissionRequest" && r["tool_use_id"] == "pr-2")
        .expect("the record");
    assert_eq!(r["ask_denied"], "dontAsk", "{r}");
}

#[test]
fn check_answers_as_for_a_human() {
    let (e, _outside) = project();
    let out = e.run(&["check", "--json", "bash", "rm notes.txt"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("check json");
    assert_eq!(v["verdict"], "ask", "{v}");
}
