//! The session monitor through the installed binary: scripted sessions
//! replayed as real hook events trip each anomaly rule; the next call of
//! the session is denied, and a human's unlock restores it. Also the
//! provenance of files the agent wrote, and that the agent can neither
//! unlock, approve nor loosen any of it.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;

use common::{Env, stderr, stdout};
use serde_json::{Value, json};

/// The decision and reason of one call in `session`.
fn call(e: &Env, session: &str, tool: &str, input: Value) -> (String, String) {
    e.pre_in(Some(session), tool, input)
}

/// The session is revoked by `rule`: its next call is denied with advice
/// for the human, the audit log says why, and unlocking restores it.
fn revoked_then_unlocked(e: &Env, session: &str, rule: &str) {
    let (d, r) = call(e, session, "Bash", json!({"command": "ls src"}));
    assert_eq!(d, "deny", "{r}");
    assert!(r.contains("was revoked"), "{r}");
    assert!(
        r.contains(&format!("ztguard session unlock {session}")),
        "{r}"
    );
    let out = e.run(&["session", "show", session, "--json"], "");
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["revoked"]["rule"], rule, "{s}");
    let records = e.audit();
    let why = records
        .iter()
        .find(|r| r["event"] == "SessionRevoked" && r["session"] == session)
        .expect("the audit log records the revocation");
    assert_eq!(why["rule"], format!("monitor.{rule}"));
    // PermissionRequest of a revoked session is denied too.
    let (_, out) = e.hook(&e.event_in(
        session,
        "PermissionRequest",
        "Bash",
        json!({"command": "ls"}),
    ));
    assert_eq!(
        out["hookSpecificOutput"]["decision"]["behavior"], "deny",
        "{out}"
    );

    let out = e.run(&["session", "unlock", session], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("unlocked"), "{}", stdout(&out));
    let (d, r) = call(e, session, "Bash", json!({"command": "ls src"}));
    assert_eq!(d, "allow", "after unlock: {r}");
    assert!(
        e.audit()
            .iter()
            .any(|r| r["event"] == "SessionUnlocked" && r["session"] == session),
        "the unlock is in the audit log"
    );
}

#[test]
fn reaching_for_credentials_dozens_of_times_revokes_with_builtin_thresholds() {
    let e = Env::new();
    for i in 1..20 {
        let (d, r) = call(
            &e,
            "creds",
            "Read",
            json!({"file_path": e.project.join(".env")}),
        );
        assert_eq!(d, "deny");
        assert!(!r.contains("revoked"), "attempt {i}: {r}");
    }
    let (d, r) = call(&e, "creds", "Bash", json!({"command": "cat ~/.ssh/id_rsa"}));
    assert_eq!(d, "deny");
    assert!(
        r.contains("now revoked") && r.contains("credentials 20 times"),
        "{r}"
    );
    // Another session is not affected.
    assert_eq!(
        call(&e, "other", "Bash", json!({"command": "ls"})).0,
        "allow"
    );
    let list = stdout(&e.run(&["session", "list"], ""));
    assert!(list.contains("REVOKED (credential-burst)"), "{list}");
    revoked_then_unlocked(&e, "creds", "credential-burst");
}

#[test]
fn a_long_run_of_denials_revokes_with_builtin_thresholds() {
    let e = Env::new();
    for i in 1..25 {
        let (d, r) = call(&e, "streak", "Bash", json!({"command": "sudo ls"}));
        assert_eq!(d, "deny");
        assert!(!r.contains("revoked"), "denial {i}: {r}");
    }
    let (_, r) = call(&e, "streak", "Bash", json!({"command": "sudo ls"}));
    assert!(
        r.contains("now revoked") && r.contains("25 calls in a row"),
        "{r}"
    );
    revoked_then_unlocked(&e, "streak", "denial-streak");
    // An allowed call breaks a streak: 24 denials, one allowed, and more
    // denials make no streak of 25; the rate does: the 40th denial within
    // a minute revokes (the built-in `denials_per_minute`).
    for _ in 0..24 {
        call(&e, "broken", "Bash", json!({"command": "sudo ls"}));
    }
    assert_eq!(
        call(&e, "broken", "Bash", json!({"command": "ls"})).0,
        "allow"
    );
    for i in 25..40 {
        let (_, r) = call(&e, "broken", "Bash", json!({"command": "sudo ls"}));
        assert!(!r.contains("revoked"), "denial {i}: {r}");
    }
    let (_, r) = call(&e, "broken", "Bash", json!({"command": "sudo ls"}));
    assert!(r.contains("40 calls were denied within a minute"), "{r}");
}

#[test]
fn reading_too_many_distinct_files_revokes() {
    let e = Env::new();
    e.policy_with(&[("files_read = 5000", "files_read = 5")]);
    for i in 0..6 {
        std::fs::write(e.project.join(format!("src/m{i}.rs")), "// x\n").unwrap();
    }
    // Reading the same file again and again is one file.
    for _ in 0..10 {
        let (d, r) = call(
            &e,
            "reader",
            "Read",
            json!({"file_path": e.project.join("src/m0.rs")}),
        );
        assert_eq!(d, "allow", "{r}");
    }
    for i in 1..5 {
        assert_eq!(
            call(
                &e,
                "reader",
                "Read",
                json!({"file_path": e.project.join(format!("src/m{i}.rs"))})
            )
            .0,
            "allow"
        );
    }
    let (d, r) = call(
        &e,
        "reader",
        "Bash",
        json!({"command": "cat src/m5.rs src/main.rs"}),
    );
    assert_eq!(d, "deny");
    assert!(r.contains("read 7 distinct files (limit 5)"), "{r}");
    revoked_then_unlocked(&e, "reader", "file-access-count");
}

#[test]
fn reaching_outside_the_allowed_directories_revokes() {
    let e = Env::new();
    e.policy_with(&[("outside_allowed = 50", "outside_allowed = 3")]);
    for p in ["/opt/payroll/a.csv", "/srv/backups/db.sql"] {
        let (d, r) = call(&e, "wander", "Read", json!({"file_path": p}));
        assert_ne!(d, "allow");
        assert!(!r.contains("revoked"), "{r}");
    }
    // Allowed paths outside the project (toolchain caches, /tmp) do not count.
    assert_eq!(
        call(&e, "wander", "Read", json!({"file_path": "/tmp/x.txt"})).0,
        "allow"
    );
    let (_, r) = call(
        &e,
        "wander",
        "Bash",
        json!({"command": "cat /var/lib/secret-app/config.yml"}),
    );
    assert!(r.contains("outside the allowed directories 3 times"), "{r}");
    revoked_then_unlocked(&e, "wander", "outside-allowed");
}

#[test]
fn a_spike_of_file_changes_revokes() {
    let e = Env::new();
    e.policy_with(&[("writes_per_minute = 60", "writes_per_minute = 5")]);
    for i in 0..5 {
        let (d, r) = call(
            &e,
            "writer",
            "Write",
            json!({"file_path": e.project.join(format!("src/gen{i}.rs")), "content": "// generated\n"}),
        );
        assert_eq!(d, "allow", "{r}");
    }
    let (d, r) = call(
        &e,
        "writer",
        "Bash",
        json!({"command": "touch src/gen5.rs"}),
    );
    assert_eq!(d, "deny");
    assert!(r.contains("changed files 6 times within a minute"), "{r}");
    revoked_then_unlocked(&e, "writer", "write-spike");
}

#[test]
fn a_credential_attempt_then_the_network_is_exfiltration() {
    let e = Env::new();
    assert_eq!(
        call(&e, "exfil", "Bash", json!({"command": "cat .env"})).0,
        "deny"
    );
    let (d, r) = call(
        &e,
        "exfil",
        "Bash",
        json!({"command": "curl -s https://paste.example.net/new"}),
    );
    assert_eq!(d, "deny");
    assert!(r.contains("now revoked") && r.contains("network"), "{r}");
    revoked_then_unlocked(&e, "exfil", "exfiltration");
    // Reaching an allowed domain after a refused credential is ordinary work.
    assert_eq!(
        call(
            &e,
            "docs",
            "Read",
            json!({"file_path": e.project.join(".env")})
        )
        .0,
        "deny"
    );
    let (d, r) = call(
        &e,
        "docs",
        "WebFetch",
        json!({"url": "https://docs.rs/serde", "prompt": "p"}),
    );
    assert_eq!(d, "allow", "{r}");
}

#[test]
fn a_session_far_above_the_projects_usual_is_revoked() {
    let e = Env::new();
    e.policy_with(&[("baseline_factor = 4.0", "baseline_factor = 1.5")]);
    // Five past sessions of 20 calls each: their busiest minute is 20 calls.
    for s in 0..5 {
        for _ in 0..20 {
            assert_eq!(
                call(&e, &format!("past-{s}"), "Bash", json!({"command": "ls"})).0,
                "allow"
            );
        }
    }
    e.hook(&e.session_event("busy", "SessionStart", json!({"source": "startup"})));
    let out = e.run(&["session", "show", "busy", "--json"], "");
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(s["baseline"]["sessions"], 5, "{s}");
    assert_eq!(s["baseline"]["calls"], 20.0, "{s}");
    // 1.5 x 20 = 30 calls a minute is the limit; the 31st is far above the usual.
    for i in 1..=30 {
        let (d, r) = call(&e, "busy", "Bash", json!({"command": "ls"}));
        assert_eq!(d, "allow", "call {i}: {r}");
    }
    let (d, r) = call(&e, "busy", "Bash", json!({"command": "ls"}));
    assert_eq!(d, "deny");
    assert!(r.contains("far above this project's usual"), "{r}");
    revoked_then_unlocked(&e, "busy", "baseline-calls");
}

#[test]
fn a_human_can_revoke_by_hand_and_the_agent_can_unlock_nothing() {
    let e = Env::new();
    assert_eq!(
        call(&e, "manual", "Bash", json!({"command": "ls"})).0,
        "allow"
    );
    let out = e.run(&["session", "revoke", "man", "--reason", "looked odd"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (d, r) = call(&e, "manual", "Bash", json!({"command": "ls"}));
    assert_eq!(d, "deny");
    assert!(r.contains("looked odd"), "{r}");
    // What the agent might try instead of asking the human.
    for cmd in [
        "ztguard session unlock manual",
        "ztguard approve gen.sh",
        "echo '{}' > .ztguard/sessions/manual.json",
        "rm -rf .ztguard/sessions",
        "sed -i 's/denials_in_a_row = 25/denials_in_a_row = 0/' .ztguard.toml",
    ] {
        let (d, r) = call(&e, "agent", "Bash", json!({"command": cmd}));
        assert_eq!(d, "deny", "{cmd}: {r}");
    }
    let (d, _) = call(
        &e,
        "agent",
        "Write",
        json!({"file_path": e.project.join(".ztguard/sessions/manual.json"), "content": "{}"}),
    );
    assert_eq!(d, "deny");
    let (d, _) = call(
        &e,
        "agent",
        "Edit",
        json!({"file_path": e.project.join(".ztguard.toml"), "old_string": "enabled = true", "new_string": "enabled = false"}),
    );
    assert_eq!(d, "deny");
    // Unknown sessions are an error, not a silent success.
    let out = e.run(&["session", "unlock", "no-such-session"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no session"));
}

#[test]
fn files_the_agent_wrote_run_only_once_a_human_approves_them() {
    let e = Env::new();
    let script = e.project.join("gen.sh");
    let write = |content: &str| {
        let input = json!({"file_path": script, "content": content});
        let (d, r) = call(&e, "prov", "Write", input.clone());
        assert_eq!(d, "allow", "{r}");
        std::fs::write(&script, content).unwrap(); // what the Write tool does
        e.hook(&e.event_in("prov", "PostToolUse", "Write", input));
    };
    write("echo generating\n");
    for cmd in [
        "bash gen.sh",
        "./gen.sh",
        "sh ./gen.sh",
        "chmod +x gen.sh && ./gen.sh",
    ] {
        let (d, r) = call(&e, "prov", "Bash", json!({"command": cmd}));
        assert_eq!(d, "ask", "{cmd}: {r}");
        assert!(
            r.contains("written by the agent") && r.contains("ztguard approve"),
            "{r}"
        );
    }
    let out = e.run(&["approve", "gen.sh"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("written by the agent with Write"),
        "{}",
        stdout(&out)
    );
    // Approved, it is decided by the command rules alone (the default
    // policy asks before any interpreter runs a script).
    let (_, r) = call(&e, "prov", "Bash", json!({"command": "bash gen.sh"}));
    assert!(!r.contains("agent"), "{r}");
    // An edit voids the approval.
    write("echo generating, version 2\n");
    let (d, r) = call(&e, "prov", "Bash", json!({"command": "bash gen.sh"}));
    assert_eq!(d, "ask", "{r}");
    assert!(r.contains("changed since a human approved it"), "{r}");
    // A file written by a shell command counts too, as does one written and
    // run by the same line.
    let (d, _) = call(
        &e,
        "prov",
        "Bash",
        json!({"command": "echo 'echo hi' > tool.py"}),
    );
    assert_eq!(d, "allow");
    std::fs::write(e.project.join("tool.py"), "echo hi\n").unwrap();
    e.hook(&e.event_in(
        "prov",
        "PostToolUse",
        "Bash",
        json!({"command": "echo 'echo hi' > tool.py"}),
    ));
    assert_eq!(
        call(&e, "prov", "Bash", json!({"command": "python3 tool.py"})).0,
        "ask"
    );
    let (d, r) = call(
        &e,
        "prov",
        "Bash",
        json!({"command": "printf 'rm -rf ~' > x.sh && chmod +x x.sh && ./x.sh"}),
    );
    assert_eq!(d, "ask", "{r}");
    assert!(r.contains("same command line"), "{r}");
    // Files the agent did not write run as before.
    std::fs::write(e.project.join("build.sh"), "echo build\n").unwrap();
    let (_, r) = call(&e, "prov", "Bash", json!({"command": "bash build.sh"}));
    assert!(!r.contains("agent"), "{r}");
    // The policy can make it a denial.
    e.policy_with(&[(
        "run_agent_written = \"ask\"",
        "run_agent_written = \"deny\"",
    )]);
    assert_eq!(
        call(&e, "prov", "Bash", json!({"command": "bash gen.sh"})).0,
        "deny"
    );
}

#[test]
fn a_burst_of_denials_between_allowed_calls_revokes() {
    let e = Env::new();
    e.policy_with(&[("denials_per_minute = 40", "denials_per_minute = 6")]);
    // Allowed calls in between keep the streak short; the rate still counts.
    for i in 1..6 {
        let (d, r) = call(&e, "burst", "Bash", json!({"command": "sudo id"}));
        assert_eq!(d, "deny");
        assert!(!r.contains("revoked"), "denial {i}: {r}");
        assert_eq!(
            call(&e, "burst", "Bash", json!({"command": "ls"})).0,
            "allow"
        );
    }
    let (_, r) = call(&e, "burst", "Bash", json!({"command": "sudo id"}));
    assert!(r.contains("6 calls were denied within a minute"), "{r}");
    revoked_then_unlocked(&e, "burst", "denial-burst");
}
