//! `ztguard exec` against the real kernel (Landlock, user, mount and
//! network namespaces): what a confined command can and cannot reach.
//! The machines this project runs on have all of it; the test says so
//! plainly where one does not, and fails under CI.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;

use std::net::TcpListener;

use common::{Env, stderr, stdout};
use serde_json::Value;

/// Is the full sandbox available here? (Under CI it must be.)
fn kernel_ready(e: &Env) -> bool {
    let out = e.run(&["sandbox", "status", "--json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("status json");
    if v["full"] == true {
        return true;
    }
    assert!(
        std::env::var("CI").is_err(),
        "CI must run the sandbox tests on a kernel with Landlock and user namespaces: {v}"
    );
    eprintln!("skipping: this kernel cannot enforce the sandbox: {v}");
    false
}

/// Run `script` with sh inside `ztguard exec` (extra args before `--`).
fn exec(e: &Env, extra: &[&str], script: &str) -> std::process::Output {
    let mut args = vec!["exec"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "sh", "-c", script]);
    let mut c = e.cmd(&args);
    c.env("AWS_SECRET_ACCESS_KEY", "FAKE-aws-secret-in-parent")
        .env("GITHUB_TOKEN", "FAKE-token-in-parent")
        .env("AI_ACCESSIBLE_DB_NAME", "orders");
    c.output().expect("run ztguard exec")
}

#[test]
fn the_kernel_keeps_credentials_and_the_outside_out() {
    let e = Env::outside_tmp();
    if !kernel_ready(&e) {
        return;
    }
    // Without any mask, Landlock alone keeps the home's keys out.
    let out = exec(&e, &[], "cat ~/.ssh/id_rsa; echo \"ssh=$?\"");
    assert!(stdout(&out).contains("ssh=1"), "{}", stdout(&out));
    // A symlink inside the project to the home's keys.
    std::os::unix::fs::symlink(e.home.join(".ssh"), e.project.join("keys")).unwrap();
    let out = exec(
        &e,
        &[],
        "cat ~/.ssh/id_rsa; echo \"ssh=$?\"; cat keys/id_rsa; echo \"link=$?\"; \
         cat .env; echo \"env-file=$?\"; \
         sh -c 'sh -c \"cat ~/.ssh/id_rsa\"'; echo \"grandchild=$?\"; \
         echo hi > inside.txt; echo \"inside=$?\"; \
         echo x > ~/outside.txt; echo \"outside=$?\"; \
         echo x > /etc/ztguard-test; echo \"etc=$?\"",
    );
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    for (what, code) in [
        ("ssh", "1"),
        ("link", "1"),
        ("grandchild", "1"),
        ("inside", "0"),
    ] {
        assert!(text.contains(&format!("{what}={code}")), "{what}: {text}");
    }
    assert!(
        !text.contains("outside=0") && !text.contains("etc=0"),
        "{text}"
    );
    assert!(!text.contains("FAKE"), "no credential was read: {text}");
    assert_eq!(
        std::fs::read_to_string(e.project.join("inside.txt")).unwrap(),
        "hi\n"
    );
    assert!(!e.home.join("outside.txt").exists());
    // The files themselves are untouched outside.
    assert!(
        std::fs::read_to_string(e.project.join(".env"))
            .unwrap()
            .contains("FAKE-integration")
    );
}

#[test]
fn the_environment_holds_no_secrets() {
    let e = Env::outside_tmp();
    if !kernel_ready(&e) {
        return;
    }
    // Nor can it read them from a process outside the sandbox (Landlock's ptrace scoping).
    let out = exec(&e, &[], "cat /proc/$PPID/environ; echo \"rc=$?\"");
    assert!(
        !stdout(&out).contains("FAKE-aws-secret-in-parent"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("rc=1"), "{}", stdout(&out));
    let out = exec(&e, &[], "env | cut -d= -f1 | sort");
    let names = stdout(&out);
    assert!(
        names.lines().any(|l| l == "PATH") && names.lines().any(|l| l == "HOME"),
        "{names}"
    );
    assert!(
        names.lines().any(|l| l == "AI_ACCESSIBLE_DB_NAME"),
        "{names}"
    );
    for secret in ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"] {
        assert!(
            !names.lines().any(|l| l == secret),
            "{secret} leaked: {names}"
        );
    }
    let out = e.run(&["env", "--json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["prefix"], "AI_ACCESSIBLE_");
    assert!(v["visible"].as_array().unwrap().iter().any(|n| n == "PATH"));
}

#[test]
fn no_network_unless_asked_for() {
    let e = Env::outside_tmp();
    if !kernel_ready(&e) {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let probe = format!(
        "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3); print('connected')\""
    );
    let out = exec(&e, &[], &probe);
    assert!(!stdout(&out).contains("connected"), "{}", stdout(&out));
    assert_ne!(out.status.code(), Some(0));
    let out = exec(&e, &["--network", "host"], &probe);
    assert!(
        stdout(&out).contains("connected"),
        "{} {}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn the_guards_files_stay_read_only_and_exit_codes_pass_through() {
    let e = Env::outside_tmp();
    if !kernel_ready(&e) {
        return;
    }
    let out = e.run(&["init", "--no-hook"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = std::fs::read_to_string(e.project.join(".ztguard.toml")).unwrap();
    let out = exec(
        &e,
        &[],
        "echo 'default = \"allow\"' >> .ztguard.toml; echo \"policy=$?\"; exit 7",
    );
    assert_eq!(out.status.code(), Some(7));
    assert!(!stdout(&out).contains("policy=0"), "{}", stdout(&out));
    assert_eq!(
        std::fs::read_to_string(e.project.join(".ztguard.toml")).unwrap(),
        before
    );
    // The agent's own settings inside ~/.claude stay read-only while the rest of it is writable.
    std::fs::create_dir_all(e.home.join(".claude")).unwrap();
    std::fs::write(e.home.join(".claude/settings.json"), "{}").unwrap();
    let out = exec(
        &e,
        &[],
        "echo x > ~/.claude/settings.json; echo \"settings=$?\"; echo x > ~/.claude/state.json; echo \"state=$?\"",
    );
    let text = stdout(&out);
    assert!(
        text.contains("state=0") && !text.contains("settings=0"),
        "{text}"
    );
    // The agent cannot start the sandbox itself with other options.
    let (d, _) = e.pre(
        "Bash",
        serde_json::json!({"command": "ztguard exec --network host -- curl x"}),
    );
    assert_eq!(d, "deny");
}

#[test]
fn the_proxy_reaches_allowed_hosts_only() {
    let e = Env::outside_tmp();
    if !kernel_ready(&e) {
        return;
    }
    // Loopback asks in the default policy; this project allows `localhost`.
    e.policy_with(&[
        ("ask = [\"localhost\", ", "ask = ["),
        (
            "allow = [\n  \"docs.rs\"",
            "allow = [\n  \"localhost\", \"docs.rs\"",
        ),
    ]);
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut c in server.incoming().flatten() {
            use std::io::{Read, Write};
            // Read the whole request head before answering: closing with
            // unread data would reset the connection under the answer.
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ =
                c.write_all(b"HTTP/1.0 200 OK\r\nContent-Length: 19\r\n\r\nhello-through-proxy");
        }
    });
    let fetch = |url: &str| {
        format!(
            "python3 -c \"import urllib.request as u\ntry:\n print(u.urlopen('{url}', timeout=5).read().decode())\nexcept Exception as e:\n print('refused', e)\""
        )
    };
    let out = exec(&e, &["-v"], &fetch(&format!("http://localhost:{port}/")));
    assert!(
        stdout(&out).contains("hello-through-proxy"),
        "{} {}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("only ztguard's proxy"),
        "{}",
        stderr(&out)
    );
    // 127.0.0.1 still asks in this policy: the proxy refuses what is not allowed outright.
    let out = exec(&e, &[], &fetch(&format!("http://127.0.0.1:{port}/")));
    assert!(
        stdout(&out).contains("refused") && stdout(&out).contains("403"),
        "{}",
        stdout(&out)
    );
    let out = exec(&e, &[], &fetch("http://evil.example/"));
    assert!(stdout(&out).contains("403"), "{}", stdout(&out));
    // Around the proxy there is no way out: a direct connection fails.
    let out = exec(
        &e,
        &[],
        &format!(
            "python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)\" 2>&1; echo rc=$?"
        ),
    );
    assert!(!stdout(&out).contains("rc=0"), "{}", stdout(&out));
    // --network none sets no proxy at all.
    let out = exec(&e, &["--network", "none"], "env | grep -ci proxy; true");
    assert_eq!(stdout(&out).trim(), "0", "{}", stdout(&out));
}
