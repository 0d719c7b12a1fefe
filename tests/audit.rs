//! The audit trail through the installed binary: what each hook event
//! records, redaction, the tamper matrix, crash recovery, the readers
//! (`show`, `stats`, `timeline`, `tail -f`), many hook processes at once,
//! alerts delivered and not, and failing closed when the log cannot be written.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Env, stderr, stdout};
use serde_json::{Value, json};

fn log_path(e: &Env) -> std::path::PathBuf {
    e.project.join(".ztguard/audit.jsonl")
}

/// `n` allowed calls `echo 0`, `echo 1`, … in `session`.
fn echo_calls(e: &Env, session: &str, n: usize) {
    for i in 0..n {
        e.hook(&e.event_in(
            session,
            "PreToolUse",
            "Bash",
            json!({"command": format!("echo {i}")}),
        ));
    }
}

/// A short session: prompt, an allowed and a denied call, their
/// PostToolUse, a failure, the end.
fn session(e: &Env, id: &str) {
    e.hook(&e.session_event(
        id,
        "SessionStart",
        json!({"source": "startup", "model": "m"}),
    ));
    e.hook(&e.session_event(id, "UserPromptSubmit", json!({"prompt": "fix the tests"})));
    e.hook(&e.event_in(id, "PreToolUse", "Bash", json!({"command": "ls src"})));
    e.hook(&e.event_in(id, "PostToolUse", "Bash", json!({"command": "ls src"})));
    e.hook(&e.event_in(
        id,
        "PreToolUse",
        "Read",
        json!({"file_path": e.project.join(".env")}),
    ));
    e.hook(&e.event_in(
        id,
        "PreToolUse",
        "Write",
        json!({"file_path": e.project.join("src/lib.rs"), "content": "pub fn f() {}\n"}),
    ));
    let mut failure: Value = serde_json::from_str(&e.event_in(
        id,
        "PostToolUseFailure",
        "Bash",
        json!({"command": "cargo test"}),
    ))
    .unwrap();
    failure["error"] = json!("Exit code 101\nthread main panicked");
    e.hook(&failure.to_string());
    e.hook(&e.session_event(id, "SessionEnd", json!({"reason": "prompt_input_exit"})));
}

#[test]
fn every_event_leaves_one_redacted_chained_record() {
    let e = Env::new();
    session(&e, "s-one");
    let records = e.audit();
    let events: Vec<&str> = records
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "SessionStart",
            "UserPromptSubmit",
            "PreToolUse",
            "PostToolUse",
            "PreToolUse",
            "PreToolUse",
            "PostToolUseFailure",
            "SessionEnd"
        ]
    );
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r["seq"], i as u64 + 1);
        assert_eq!(r["session"], "s-one");
        assert_eq!(r["agent"], "claude-code");
        assert!(r["ts"].as_str().unwrap().ends_with('Z'), "{r}");
        assert_eq!(r["hash"].as_str().unwrap().len(), 64);
    }
    assert_eq!(records[0]["source"], "startup");
    assert_eq!(records[1]["prompt_bytes"], 13);
    assert_eq!(records[1]["decision"], "allow");
    assert_eq!(records[2]["input"]["command"], "ls src");
    assert_eq!(records[2]["decision"], "allow");
    assert!(records[2]["latency_us"].as_u64().unwrap() > 0);
    assert_eq!(records[2]["tool_use_id"], "toolu_test");
    assert_eq!(records[4]["decision"], "deny");
    assert!(records[4]["rule"].as_str().unwrap().contains("files.deny"));
    // Written content: its length and hash, never the text.
    assert_eq!(records[5]["input"]["content_bytes"], 14);
    assert_eq!(
        records[5]["input"]["content_sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
    assert!(!records[5].to_string().contains("pub fn f"));
    assert_eq!(records[6]["error"], "Exit code 101");
    assert_eq!(records[7]["reason"], "prompt_input_exit");
    let out = e.run(&["audit", "verify"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("8 records") && stdout(&out).contains("Chain intact"));
    // A new .ztguard/ keeps the machine's record out of git.
    let ignore = std::fs::read_to_string(e.project.join(".ztguard/.gitignore")).unwrap();
    assert!(ignore.contains("audit.jsonl") && ignore.contains("sessions/"));
}

#[test]
fn no_secret_reaches_the_log() {
    let e = Env::new();
    let token = format!("ghp_{}", "Zq8Xw2Vb6Nm4Lk9Jh3Gf7Ds1Ap5Oi0Uy2Tr4E");
    let aws = format!("AKIA{}", "QX7RZ2M4TB6WN5PK");
    e.hook(&e.event_in("s", "PreToolUse", "Bash", json!({"command": format!("curl -H 'Authorization: token {token}' https://api.github.com/user")})));
    e.hook(&e.event_in(
        "s",
        "PreToolUse",
        "WebFetch",
        // A fake credential, to see it kept out of the log. ztguard:ignore-next-line[url-basic-auth]
        json!({"url": "https://admin:Sup3rS3cretPassw0rd@internal.example/x", "prompt": "p"}),
    ));
    e.hook(&e.event_in(
        "s",
        "PreToolUse",
        "Write",
        json!({"file_path": e.project.join("a.py"), "content": format!("KEY = '{aws}'\n")}),
    ));
    e.hook(
        &e.event_in("s", "PostToolUse", "Bash", json!({"command": "cat notes"}))
            .replace(
                "\"tool_input\"",
                &format!("\"tool_response\":{{\"stdout\":\"{token}\"}},\"tool_input\""),
            ),
    );
    e.hook(&e.session_event(
        "s",
        "UserPromptSubmit",
        json!({"prompt": format!("use {token}")}),
    ));
    let text = std::fs::read_to_string(log_path(&e)).unwrap();
    for secret in [token.as_str(), aws.as_str(), "Sup3rS3cretPassw0rd"] {
        assert!(!text.contains(secret), "{secret} is in the log:\n{text}");
    }
    assert_eq!(e.audit().len(), 5);
}

/// Run `audit verify --json` on the project's log.
fn verify(e: &Env) -> (i32, Value) {
    let out = e.run(&["audit", "verify", "--json"], "");
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("verify --json: {} {}", stdout(&out), stderr(&out)));
    (out.status.code().unwrap(), v)
}

#[test]
fn the_tamper_matrix() {
    let e = Env::new();
    echo_calls(&e, "s", 6);
    let log = log_path(&e);
    let original = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<String> = original.lines().map(str::to_string).collect();
    let write = |l: &[String]| std::fs::write(&log, l.join("\n") + "\n").unwrap();
    let (code, v) = verify(&e);
    assert_eq!(
        (code, v["ok"].clone(), v["records"].clone()),
        (0, json!(true), json!(6))
    );

    let mut cases: Vec<(&str, Vec<String>, usize)> = Vec::new();
    let mut modified = lines.clone();
    modified[2] = modified[2].replace("echo 2", "echo X");
    cases.push(("modified", modified, 3));
    let mut deleted = lines.clone();
    deleted.remove(1);
    cases.push(("deleted", deleted, 2));
    let mut inserted = lines.clone();
    inserted.insert(4, lines[1].clone());
    cases.push(("inserted", inserted, 5));
    let mut reordered = lines.clone();
    reordered.swap(2, 3);
    cases.push(("reordered", reordered, 3));
    for (what, l, line) in cases {
        write(&l);
        let (code, v) = verify(&e);
        assert_eq!(code, 1, "{what}: {v}");
        assert_eq!(v["first_bad"]["line"], line, "{what}: {v}");
        let text = e.run(&["audit", "verify"], "");
        assert!(
            stdout(&text).contains(&format!("TAMPERED at {}:{line}", log.display())),
            "{what}: {}",
            stdout(&text)
        );
    }
    // A cut tail is intact as a chain, but not where the checkpoint says it ends.
    write(&lines[..4]);
    let (code, v) = verify(&e);
    assert_eq!(code, 1, "{v}");
    assert_eq!(v["first_bad"], Value::Null);
    assert_eq!(v["anchor"]["status"], "truncated", "{v}");
    // A copy checked elsewhere, without its checkpoint, checks the chain alone.
    let out = e.run(&["audit", "verify", "--json", "--chain-only"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (out.status.code(), v["ok"].clone(), v["anchor"].clone()),
        (Some(0), json!(true), Value::Null)
    );
    // Restored, it verifies again.
    std::fs::write(&log, &original).unwrap();
    assert_eq!(verify(&e).0, 0);
}

#[test]
fn a_crash_mid_write_is_reported_and_repaired() {
    let e = Env::new();
    echo_calls(&e, "s", 3);
    let log = log_path(&e);
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.push_str("{\"seq\":4,\"ts\":\"2026-11-29T");
    std::fs::write(&log, text).unwrap();
    let (code, v) = verify(&e);
    assert_eq!(code, 1);
    assert_eq!(v["torn"][0]["line"], 4, "{v}");
    assert_eq!(v["first_bad"], Value::Null, "damage, not tampering: {v}");
    // The hook goes on writing after the crash.
    let (_, out) = e.hook(&e.event_in("s", "PreToolUse", "Bash", json!({"command": "echo after"})));
    assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "allow");
    let out = e.run(&["audit", "repair"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("removed 1 torn line"),
        "{}",
        stdout(&out)
    );
    let (code, v) = verify(&e);
    assert_eq!((code, v["records"].clone()), (0, json!(4)), "{v}");
    // The agent may not run repair (nor anything that changes the log).
    for cmd in [
        "ztguard audit repair",
        "ztguard audit --log .ztguard/audit.jsonl repair",
        "ztguard audit --project . key --new",
        "rm .ztguard/audit.jsonl",
        "truncate -s 0 .ztguard/audit.jsonl",
        "ztguard audit key --new",
    ] {
        let (d, r) = e.pre("Bash", json!({"command": cmd}));
        assert_eq!(d, "deny", "{cmd}: {r}");
    }
}

#[test]
fn signed_checkpoints_catch_a_forged_end() {
    let e = Env::new();
    let out = e.run(&["audit", "key", "--new"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let key = e.home.join(".config/ztguard/audit.key");
    assert!(key.exists());
    // The agent cannot read the key.
    let (d, _) = e.pre("Read", json!({"file_path": key}));
    assert_eq!(d, "deny");
    echo_calls(&e, "s", 4);
    let (code, v) = verify(&e);
    assert_eq!(
        (code, v["anchor"]["signed"].clone()),
        (0, json!(true)),
        "{v}"
    );
    // Someone who can write the log and the checkpoint, but has no key, cuts the tail.
    let log = log_path(&e);
    let lines: Vec<String> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    std::fs::write(&log, lines[..2].join("\n") + "\n").unwrap();
    let cp_dir = e.home.join(".local/share/ztguard/checkpoints");
    let cp = std::fs::read_dir(&cp_dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let last: Value = serde_json::from_str(&lines[1]).unwrap();
    let forged = json!({"log": log, "seq": 2, "hash": last["hash"], "mac": "0".repeat(64)});
    std::fs::write(&cp, forged.to_string()).unwrap();
    let (code, v) = verify(&e);
    assert_eq!(
        (code, v["anchor"]["status"].clone()),
        (1, json!("bad-signature")),
        "{v}"
    );
}

#[test]
fn show_stats_timeline_and_tail_read_the_log() {
    let e = Env::new();
    session(&e, "alpha-1111");
    session(&e, "beta-2222");
    let show = |args: &[&str]| -> Vec<Value> {
        let mut a = vec!["audit", "show", "--json"];
        a.extend_from_slice(args);
        let out = e.run(&a, "");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    assert_eq!(show(&[]).len(), 16);
    let denied = show(&["--decision", "deny"]);
    assert_eq!(denied.len(), 2);
    assert!(denied.iter().all(|r| r["decision"] == "deny"));
    assert_eq!(
        show(&["--session", "alpha"]).len(),
        8,
        "a unique prefix names the session"
    );
    assert_eq!(show(&["--tool", "Write"]).len(), 2);
    assert_eq!(
        show(&["--tool", "write"]).len(),
        2,
        "names match in any case"
    );
    assert_eq!(show(&["--event", "UserPromptSubmit"]).len(), 2);
    assert_eq!(show(&["--since", "1h"]).len(), 16);
    assert_eq!(
        show(&["--since", "2020-01-01T00:00:00Z", "-n", "3"]).len(),
        3
    );
    let out = e.run(&["audit", "show", "--decision", "maybe"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("allow, ask, deny or block"));
    let out = e.run(&["audit", "show", "--since", "yesterday-ish"], "");
    assert_eq!(out.status.code(), Some(2));

    let out = e.run(&["audit", "stats", "--json"], "");
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["records"], 16);
    assert_eq!(s["decisions"]["deny"], 2);
    assert_eq!(s["sessions"]["alpha-1111"]["decisions"]["allow"], 3, "{s}");
    assert_eq!(s["tools"]["Read"]["decisions"]["deny"], 2, "{s}");
    assert!(
        s["most_denied_rules"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("files.deny"),
        "{s}"
    );
    let text = stdout(&e.run(&["audit", "stats"], ""));
    assert!(
        text.contains("most-denied rules") && text.contains("beta-2222"),
        "{text}"
    );

    let out = e.run(&["audit", "timeline", "--session", "beta"], "");
    let t = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for needle in [
        "session beta-2222",
        "run        ls src",
        "DENIED read",
        ".env",
        "write      ",
        "(14 bytes)",
        "failed: Exit code 101",
        "session ended",
    ] {
        assert!(t.contains(needle), "`{needle}` not in:\n{t}");
    }
    assert!(!t.contains("alpha"), "{t}");
    // An empty log: said in words, not bare headings.
    let empty = Env::new();
    let text = stdout(&empty.run(&["audit", "stats"], ""));
    assert!(text.contains("no tool call decisions"), "{text}");
    assert!(!text.contains("per tool:"), "{text}");
    let out = e.run(&["audit", "timeline", "--session", "nope"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no session nope"));

    let out = e.run(&["audit", "tail", "-n", "2", "--json"], "");
    let last: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(last.len(), 2);
    assert_eq!(last[1]["event"], "SessionEnd");

    // tail -f prints what is appended after it started.
    let mut follow = e
        .cmd(&["audit", "tail", "-f", "-n", "0", "--json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = follow.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Append until tail -f (which may start slowly on a busy machine) shows
    // a record: it must be one appended after it started, never an old one.
    let mut line = None;
    for _ in 0..40 {
        e.hook(&e.event_in(
            "gamma",
            "PreToolUse",
            "Bash",
            json!({"command": "echo followed"}),
        ));
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(500)) {
            line = Some(l);
            break;
        }
    }
    let _ = follow.kill();
    let _ = follow.wait();
    let line = line.expect("tail -f printed a new record");
    let r: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(r["input"]["command"], "echo followed");
    assert_eq!(r["session"], "gamma");
}

#[test]
fn sixteen_hook_processes_at_once_keep_one_chain() {
    let e = Env::new();
    const WRITERS: usize = 16;
    const EACH: usize = 40;
    std::thread::scope(|s| {
        for w in 0..WRITERS {
            let e = &e;
            s.spawn(move || {
                for i in 0..EACH {
                    let (code, out) = e.hook(&e.event_in(
                        &format!("writer-{w}"),
                        "PreToolUse",
                        "Bash",
                        json!({"command": format!("echo {w}-{i}")}),
                    ));
                    assert_eq!(code, 0);
                    assert_eq!(
                        out["hookSpecificOutput"]["permissionDecision"], "allow",
                        "{out}"
                    );
                }
            });
        }
    });
    let (code, v) = verify(&e);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["records"], (WRITERS * EACH) as u64);
    assert_eq!(v["anchor"]["status"], "matches");
    let records = e.audit();
    for w in 0..WRITERS {
        let mine = records
            .iter()
            .filter(|r| r["session"] == format!("writer-{w}"))
            .count();
        assert_eq!(mine, EACH, "writer {w}");
    }
    // Each session's own counters saw every one of its calls.
    let out = e.run(&["session", "show", "writer-3", "--json"], "");
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["calls"], EACH as u64);
}

#[test]
fn what_is_logged_follows_the_audit_settings() {
    let e = Env::new();
    e.user_policy_with(&[("log_all_tool_calls = true", "log_all_tool_calls = false")]);
    e.hook(&e.event_in("s", "PreToolUse", "Bash", json!({"command": "ls"})));
    e.hook(&e.event_in("s", "PostToolUse", "Bash", json!({"command": "ls"})));
    e.hook(&e.event_in("s", "PreToolUse", "Bash", json!({"command": "cat .env"})));
    e.hook(&e.session_event("s", "UserPromptSubmit", json!({"prompt": "hi"})));
    let events: Vec<String> = e
        .audit()
        .iter()
        .map(|r| format!("{} {}", r["event"], r["decision"]))
        .collect();
    assert_eq!(
        events,
        ["\"PreToolUse\" \"deny\"", "\"UserPromptSubmit\" \"allow\""]
    );

    let e = Env::new();
    e.user_policy_with(&[("log_file_access = true", "log_file_access = false")]);
    e.hook(&e.event_in(
        "s",
        "PreToolUse",
        "Read",
        json!({"file_path": e.project.join("src/main.rs")}),
    ));
    e.hook(&e.event_in("s", "PreToolUse", "Bash", json!({"command": "ls"})));
    e.hook(&e.event_in(
        "s",
        "PreToolUse",
        "Read",
        json!({"file_path": e.project.join(".env")}),
    ));
    let tools: Vec<String> = e
        .audit()
        .iter()
        .map(|r| format!("{} {}", r["tool"], r["decision"]))
        .collect();
    assert_eq!(tools, ["\"Bash\" \"allow\"", "\"Read\" \"deny\""]);

    let e = Env::new();
    e.user_policy_with(&[(
        "enabled = true\npath = \".ztguard/audit.jsonl\"",
        "enabled = false\npath = \".ztguard/audit.jsonl\"",
    )]);
    e.hook(&e.event_in("s", "PreToolUse", "Bash", json!({"command": "ls"})));
    assert!(!log_path(&e).exists());
}

#[test]
fn a_log_that_cannot_be_written_fails_closed() {
    let e = Env::new();
    // The log's path is a directory: no record can be appended.
    std::fs::create_dir_all(e.project.join("blocked/audit.jsonl")).unwrap();
    e.user_policy_with(&[(
        "path = \".ztguard/audit.jsonl\"",
        "path = \"blocked/audit.jsonl\"",
    )]);
    let (d, r) = e.pre("Bash", json!({"command": "ls"}));
    assert_eq!(d, "deny", "{r}");
    assert!(r.contains("audit log could not be written"), "{r}");
}

#[test]
fn denials_alert_the_human_and_the_configured_targets() {
    let e = Env::new();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = e.home.join("alerts.jsonl");
    e.user_policy_with(&[
        (
            "# alert_command = \"logger -t ztguard\"",
            &format!("alert_command = \"cat >> {}\"", sink.display()),
        ),
        (
            "# alert_url = \"http://127.0.0.1:9000/ztguard\"",
            &format!("alert_url = \"http://127.0.0.1:{port}/hooks/ztguard\""),
        ),
    ]);
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = conn.read(&mut chunk).unwrap_or(0);
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some(i) = text.find("\r\n\r\n") {
                let len: usize = text
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap();
                if buf.len() >= i + 4 + len {
                    use std::io::Write;
                    let _ = conn.write_all(b"HTTP/1.1 204 No Content\r\n\r\n");
                    return String::from_utf8_lossy(&buf).into_owned();
                }
            }
            if n == 0 {
                return String::from_utf8_lossy(&buf).into_owned();
            }
        }
    });
    let token = format!("ghp_{}", "Zq8Xw2Vb6Nm4Lk9Jh3Gf7Ds1Ap5Oi0Uy2Tr4E");
    let (code, out) = e.hook(&e.event_in(
        "s",
        "PreToolUse",
        "Bash",
        json!({"command": format!("cat .env; echo {token}")}),
    ));
    assert_eq!(code, 0);
    assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "deny");
    let message = out["systemMessage"].as_str().expect("the human is told");
    assert!(message.starts_with("ztguard denied Bash"), "{message}");
    let request = server.join().unwrap();
    assert!(
        request.starts_with("POST /hooks/ztguard HTTP/1.1"),
        "{request}"
    );
    let body: Value = serde_json::from_str(request.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(
        (body["kind"].clone(), body["decision"].clone()),
        (json!("denied"), json!("deny"))
    );
    assert_eq!(body["session"], "s");
    assert!(
        !request.contains(&token),
        "no secret in the alert: {request}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&sink)
        .unwrap_or_default()
        .contains("denied")
    {
        assert!(Instant::now() < deadline, "the alert command did not run");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!std::fs::read_to_string(&sink).unwrap().contains(&token));
    // Allowed calls raise nothing.
    let (_, out) = e.hook(&e.event_in("s", "PreToolUse", "Bash", json!({"command": "ls"})));
    assert_eq!(out.get("systemMessage"), None);
}

#[test]
fn an_unreachable_alert_target_changes_nothing() {
    let e = Env::new();
    // One endpoint accepts and never answers; another refuses connections.
    let hang = TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    e.user_policy_with(&[(
        "# alert_url = \"http://127.0.0.1:9000/ztguard\"",
        &format!("alert_url = \"http://127.0.0.1:{hang_port}/a\""),
    )]);
    let mut extra = std::fs::read_to_string(e.user_policy_path()).unwrap();
    extra = extra.replace("[monitor]", "[monitor]\n# (another target below)");
    std::fs::write(e.user_policy_path(), extra).unwrap();
    let (held_tx, held_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let (conn, _) = hang.accept().unwrap();
        held_tx.send(()).unwrap();
        // Hold the connection open, answering nothing, until the test ends.
        std::thread::sleep(Duration::from_secs(8));
        drop(conn);
    });
    let (code, out) =
        e.hook(&e.event_in("s", "PreToolUse", "Bash", json!({"command": "cat .env"})));
    assert_eq!(code, 0);
    assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "deny");
    // The hook answered while its alert was still waiting on the endpoint.
    held_rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the alert connected");
    assert!(
        !holder.is_finished(),
        "the endpoint was still holding the connection"
    );
    // A refused connection does not change the decision either.
    let e2 = Env::new();
    e2.user_policy_with(&[(
        "# alert_url = \"http://127.0.0.1:9000/ztguard\"",
        &format!("alert_url = \"http://127.0.0.1:{closed}/a\""),
    )]);
    let (code, out) =
        e2.hook(&e2.event_in("s", "PreToolUse", "Bash", json!({"command": "cat .env"})));
    assert_eq!(
        (
            code,
            out["hookSpecificOutput"]["permissionDecision"].clone()
        ),
        (0, json!("deny"))
    );
    let (_, out) = e2.hook(&e2.event_in("s", "PreToolUse", "Bash", json!({"command": "ls"})));
    assert_eq!(out["hookSpecificOutput"]["permissionDecision"], "allow");
    // `ztguard deliver` itself reports the failure to whoever runs it.
    let out = e2.run(&["deliver", &format!("http://127.0.0.1:{closed}/a")], "{}");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("127.0.0.1"), "{}", stderr(&out));
}

#[test]
fn prompts_holding_credentials_are_blocked_by_kind() {
    let e = Env::new();
    let key = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQAAACBFAKEFAKEFAKEFAKE"
    );
    let aws = format!("AKIA{}", "QX7RZ2M4TB6WN5PK");
    for (prompt, kind) in [
        (format!("deploy with this key:\n{key}"), "private-key"),
        (format!("my access key is {aws}, go"), "aws"),
        (format!("token glpat-{}", "Xy7Zq2Wv9Rt4Bn6Mk3Jh"), "gitlab"),
    ] {
        let (code, out) =
            e.hook(&e.session_event("p", "UserPromptSubmit", json!({"prompt": prompt})));
        assert_eq!(code, 0);
        assert_eq!(out["decision"], "block", "{prompt}");
        let reason = out["reason"].as_str().unwrap();
        assert!(reason.to_lowercase().contains(kind), "{kind}: {reason}");
        assert!(
            !reason.contains(&aws) && !reason.contains("FAKEFAKE"),
            "{reason}"
        );
    }
    let (code, out) = e.hook(&e.session_event(
        "p",
        "UserPromptSubmit",
        json!({"prompt": "rename the password field"}),
    ));
    assert_eq!((code, out), (0, Value::Null));
    let records = e.audit();
    assert_eq!(
        records.iter().filter(|r| r["decision"] == "block").count(),
        3
    );
    let text = std::fs::read_to_string(log_path(&e)).unwrap();
    assert!(!text.contains(&aws) && !text.contains("FAKEFAKE"));
}

#[test]
fn rotation_keeps_one_verifiable_chain_across_segments() {
    let e = Env::new();
    // About 4 KB per segment: a handful of records each.
    e.user_policy_with(&[("max_size_mb = 64.0", "max_size_mb = 0.004")]);
    echo_calls(&e, "rot", 30);
    let dir = e.project.join(".ztguard");
    let segments = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|f| f.file_name().to_string_lossy().starts_with("audit.jsonl."))
        .count();
    assert!(segments >= 3, "{segments} segments");
    let (code, v) = verify(&e);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        (v["records"].clone(), v["files"].clone()),
        (json!(30), json!(segments + 1))
    );
    // Readers see every segment, in order.
    let out = e.run(&["audit", "show", "--json", "--session", "rot"], "");
    let seqs: Vec<u64> = stdout(&out)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, (1..=30).collect::<Vec<_>>());
    // Tampering in an old segment is found there.
    let first = dir.join("audit.jsonl.1");
    let text = std::fs::read_to_string(&first)
        .unwrap()
        .replace("echo 0", "echo 9");
    std::fs::write(&first, text).unwrap();
    let (code, v) = verify(&e);
    assert_eq!(code, 1);
    assert_eq!(v["first_bad"]["file"], json!(first), "{v}");
}

#[test]
fn bad_audit_and_monitor_settings_are_policy_errors() {
    let e = Env::new();
    for (from, to, needle) in [
        (
            "# alert_url = \"http://127.0.0.1:9000/ztguard\"",
            "alert_url = \"ftp://x\"",
            "not an http",
        ),
        ("max_size_mb = 64.0", "max_size_mb = 0", "above 0"),
        (
            "baseline_factor = 4.0",
            "baseline_factor = 0.5",
            "at least 1",
        ),
        (
            "exfiltration_window_minutes = 30",
            "exfiltration_window_minutes = 0",
            "at least one minute",
        ),
        ("files_read = 5000", "files_reed = 5000", "files_reed"),
    ] {
        e.user_policy_with(&[(from, to)]);
        let out = e.run(&["policy", "lint"], "");
        assert_ne!(out.status.code(), Some(0), "{to}");
        assert!(
            stdout(&out).contains(needle) || stderr(&out).contains(needle),
            "{to}: {}",
            stdout(&out)
        );
        // The hook fails closed on it, with the reason.
        let out = e.run(
            &["hook"],
            &e.event("PreToolUse", "Bash", json!({"command": "ls"})),
        );
        assert_eq!(out.status.code(), Some(2));
        assert!(stderr(&out).contains(needle), "{to}: {}", stderr(&out));
    }
}
