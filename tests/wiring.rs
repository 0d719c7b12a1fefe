//! The wiring into Claude Code fails closed wherever it runs: the hook
//! command `init` registers, in each settings scope, run through `sh -c` as
//! Claude Code runs it — with ztguard installed, missing, broken, or planted
//! in the project; `init --remove`; `ztguard doctor`; and a hook that
//! creates nothing for a directory that is not there.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{Env, run_with_stdin, stderr, stdout};
use serde_json::{Value, json};

const EVENTS: usize = 7;

fn bin_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_ztguard"))
        .parent()
        .expect("bin dir")
        .to_path_buf()
}

fn settings(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("settings")).expect("json")
}

/// The command registered for PreToolUse in a settings file.
fn registered_command(path: &Path) -> String {
    let s = settings(path);
    let groups = s["hooks"]["PreToolUse"].as_array().expect("PreToolUse");
    groups
        .iter()
        .flat_map(|g| g["hooks"].as_array().into_iter().flatten())
        .filter_map(|h| h["command"].as_str())
        .find(|c| c.contains("ztguard"))
        .expect("a ztguard command")
        .to_string()
}

/// Run the registered command as Claude Code does (`sh -c`, the event on
/// stdin, `CLAUDE_PROJECT_DIR` set) with `path` as PATH.
fn run_registered(e: &Env, command: &str, path: &str, event: &str) -> Output {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(command)
        .current_dir(&e.project)
        .env_clear()
        .env("PATH", path)
        .env("HOME", &e.home)
        .env("CLAUDE_PROJECT_DIR", &e.project)
        .env("ZTGUARD_MANAGED_POLICY", e.home.join("no-managed.toml"));
    run_with_stdin(c, event)
}

fn fake_ztguard(dir: &Path, body: &str) {
    std::fs::create_dir_all(dir).expect("mkdir");
    let p = dir.join("ztguard");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[test]
fn the_registered_command_blocks_wherever_ztguard_cannot_run() {
    let e = Env::new();
    let out = e.run(&["init"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let command = registered_command(&e.project.join(".claude/settings.json"));
    assert!(
        !command.contains(&bin_dir().display().to_string()),
        "no machine path in the shared settings: {command}"
    );
    let read_env = e.event("PreToolUse", "Bash", json!({"command": "cat .env"}));
    let ls = e.event("PreToolUse", "Bash", json!({"command": "ls"}));
    let with = format!("{}:/usr/bin:/bin", bin_dir().display());

    // Installed: the hook answers (deny for the credential, allow for ls).
    let out = run_registered(&e, &command, &with, &read_env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"deny\""), "{}", stdout(&out));
    let out = run_registered(&e, &command, &with, &ls);
    assert!(stdout(&out).contains("\"allow\""), "{}", stdout(&out));

    // Missing (another machine, or uninstalled): blocked, with how to install.
    let out = run_registered(&e, &command, "/usr/bin:/bin", &ls);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("cargo install"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());

    // Found in ~/.cargo/bin when not on the PATH.
    let cargo_bin = e.home.join(".cargo/bin");
    std::fs::create_dir_all(&cargo_bin).expect("mkdir");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_ztguard"), cargo_bin.join("ztguard"))
        .expect("link");
    let out = run_registered(&e, &command, "/usr/bin:/bin", &read_env);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"deny\""));
    std::fs::remove_file(cargo_bin.join("ztguard")).expect("rm");

    // Broken: whatever it exits with (1, a crash, killed), the call is blocked.
    let scratch = tempfile::tempdir().expect("tmp");
    for (i, body) in [
        "exit 1",
        "exit 127",
        "kill -9 $$",
        "echo '{\"hookSpecificOutput\":{}}'; exit 3",
    ]
    .iter()
    .enumerate()
    {
        let dir = scratch.path().join(format!("b{i}"));
        fake_ztguard(&dir, body);
        let out = run_registered(
            &e,
            &command,
            &format!("{}:/usr/bin:/bin", dir.display()),
            &ls,
        );
        assert_eq!(out.status.code(), Some(2), "{body}: {}", stderr(&out));
    }
    // A stub that allows everything: honoured only outside the project …
    let allow = "echo '{\"hookSpecificOutput\":{\"hookEventName\":\"PreToolUse\",\"permissionDecision\":\"allow\"}}'";
    // … inside the project (the agent could have written it), refused.
    for planted in [e.project.join("bin"), e.project.join("node_modules/.bin")] {
        fake_ztguard(&planted, allow);
        let out = run_registered(
            &e,
            &command,
            &format!("{}:/usr/bin:/bin", planted.display()),
            &read_env,
        );
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    }
    // A relative PATH entry is refused too.
    let out = run_registered(&e, &command, "bin:/usr/bin:/bin", &read_env);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));

    // Other spellings of the planted directory are the same directory: the
    // real paths are compared.
    let planted = e.project.join("bin");
    let parent = e.project.parent().expect("parent").to_path_buf();
    let name = e
        .project
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    let link = scratch.path().join("link-to-project");
    std::os::unix::fs::symlink(&e.project, &link).expect("link");
    for dir in [
        format!("{}//{name}/bin", parent.display()),
        format!("{}/./{name}/bin", parent.display()),
        format!("{}/{name}/src/../bin", parent.display()),
        format!("{}/bin", link.display()),
    ] {
        let out = run_registered(&e, &command, &format!("{dir}:/usr/bin:/bin"), &read_env);
        assert_eq!(out.status.code(), Some(2), "{dir}: {}", stdout(&out));
    }
    // … and so are other spellings of the project, or none (the hook's directory).
    let path = format!("{}:/usr/bin:/bin", planted.display());
    for project_dir in [
        Some(format!("{}/", e.project.display())),
        Some(link.display().to_string()),
        Some(format!("{}//{name}", parent.display())),
        Some(String::new()),
        None,
    ] {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(&command)
            .current_dir(&e.project)
            .env_clear()
            .env("PATH", &path)
            .env("HOME", &e.home);
        if let Some(d) = &project_dir {
            c.env("CLAUDE_PROJECT_DIR", d);
        }
        let out = run_with_stdin(c, &read_env);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{project_dir:?}: {}",
            stdout(&out)
        );
    }
    // doctor makes the same decision, and does not run the planted program.
    let mut c = e.cmd(&["doctor", "--json"]);
    c.env("PATH", format!("{}/bin:/usr/bin:/bin", link.display()));
    let out = run_with_stdin(c, "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .any(|c| c["check"] == "binary"
                && c["status"] == "fail"
                && c["detail"]
                    .as_str()
                    .is_some_and(|d| d.contains("inside the project"))),
        "{v}"
    );
    assert!(!v.to_string().contains("permissionDecision"), "{v}");
}

#[test]
fn init_upgrades_a_binary_path_and_removes_only_its_own_hook() {
    let e = Env::new();
    let path = e.project.join(".claude/settings.json");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let before = json!({
        "model": "opus",
        "hooks": {"PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "./my-hook.sh"}]},
            {"matcher": "*", "hooks": [{"type": "command", "command": "/opt/old/bin/ztguard hook", "timeout": 30}]}
        ]}
    });
    std::fs::write(&path, before.to_string()).expect("write");
    let out = e.run(&["doctor"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("does not exist here, so Claude Code lets every call through"),
        "{}",
        stdout(&out)
    );

    let out = e.run(&["init"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("replaced 1"), "{}", stdout(&out));
    let after = settings(&path);
    let pre = after["hooks"]["PreToolUse"].as_array().expect("array");
    assert_eq!(pre.len(), 2, "replaced in place, not added");
    assert_eq!(pre[0], before["hooks"]["PreToolUse"][0]);
    assert!(
        pre[1]["hooks"][0]["command"]
            .as_str()
            .is_some_and(|c| c.contains("# ztguard hook wrapper"))
    );

    let out = e.run(&["init", "--remove"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("removed {EVENTS}")));
    assert_eq!(
        settings(&path),
        json!({"model": "opus", "hooks": {"PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "./my-hook.sh"}]}
        ]}})
    );
    assert!(
        e.project.join(".ztguard.toml").exists(),
        "the policy is kept"
    );
    let out = e.run(&["init", "--remove"], "");
    assert!(stdout(&out).contains("no ztguard hook is registered"));
}

#[test]
fn init_writes_each_scope_and_finds_the_project_from_a_subdirectory() {
    let e = Env::new();
    let sub = e.project.join("src");
    let run_in = |dir: &Path, args: &[&str]| {
        let mut c = e.cmd(args);
        c.current_dir(dir);
        run_with_stdin(c, "")
    };
    let out = run_in(&sub, &["init", "--scope", "local"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(e.project.join(".claude/settings.local.json").exists());
    assert!(e.project.join(".ztguard.toml").exists());
    assert!(!sub.join(".ztguard.toml").exists() && !sub.join(".claude").exists());
    assert!(!e.project.join(".claude/settings.json").exists());

    // The user scope: no project policy, a warning about the double wiring.
    let other = tempfile::tempdir().expect("tmp");
    let out = run_in(other.path(), &["init", "--scope", "user"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let user = e.home.join(".claude/settings.json");
    assert_eq!(
        registered_command(&user),
        registered_command(&e.project.join(".claude/settings.local.json"))
    );
    assert!(!other.path().join(".ztguard.toml").exists());
    let out = run_in(&sub, &["init", "--scope", "user"]);
    assert!(
        stderr(&out).contains("also registered in the local settings"),
        "{}",
        stderr(&out)
    );
    let out = run_in(&sub, &["doctor", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(v["checks"].as_array().expect("checks").iter().any(|c| {
        c["status"] == "warn"
            && c["detail"]
                .as_str()
                .is_some_and(|d| d.contains("2 settings scopes"))
    }));
    let out = run_in(&sub, &["init", "--remove", "--scope", "user"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("still registered in the local settings"));
    assert!(wired_events(&user) == 0);
}

fn wired_events(path: &Path) -> usize {
    settings(path)["hooks"].as_object().map_or(0, |h| h.len())
}

#[test]
fn doctor_names_each_problem_with_its_fix() {
    let e = Env::new();
    let doctor = |path: &str| {
        let mut c = e.cmd(&["doctor", "--json"]);
        c.env("PATH", path);
        let out = run_with_stdin(c, "");
        let v: Value = serde_json::from_slice(&out.stdout).expect("json");
        (out.status.code(), v)
    };
    let failing = |v: &Value, check: &str| -> Vec<String> {
        v["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter(|c| c["check"] == check && c["status"] == "fail")
            .map(|c| format!("{} / fix: {}", c["detail"], c["fix"]))
            .collect()
    };
    let with = format!("{}:/usr/bin:/bin", bin_dir().display());

    // Not wired.
    let (code, v) = doctor(&with);
    assert_eq!(code, Some(1));
    assert!(failing(&v, "wiring")[0].contains("ztguard init"), "{v}");

    // Wired, on the PATH: every check passes.
    assert_eq!(e.run(&["init"], "").status.code(), Some(0));
    let (code, v) = doctor(&with);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["ok"], true);
    for check in ["wiring", "binary", "policy", "audit", "sandbox"] {
        assert!(
            v["checks"]
                .as_array()
                .expect("checks")
                .iter()
                .any(|c| c["check"] == check),
            "{check} missing: {v}"
        );
    }

    // Not installed where the hook runs.
    let (code, v) = doctor("/usr/bin:/bin");
    assert_eq!(code, Some(1));
    assert!(failing(&v, "binary")[0].contains("cargo install"), "{v}");

    // A policy layer that does not load.
    std::fs::write(e.project.join(".ztguard.toml"), "[comands]\n").expect("write");
    let (code, v) = doctor(&with);
    assert_eq!(code, Some(1));
    assert!(failing(&v, "policy")[0].contains("policy lint"), "{v}");
    std::fs::remove_file(e.project.join(".ztguard.toml")).expect("rm");

    // An audit log that was tampered with.
    let ev = e.event("PreToolUse", "Bash", json!({"command": "ls"}));
    e.run(&["hook"], &ev);
    e.run(&["hook"], &ev);
    let log = e.project.join(".ztguard/audit.jsonl");
    let text = std::fs::read_to_string(&log).expect("log");
    std::fs::write(&log, text.replacen("\"ls\"", "\"pwd\"", 1)).expect("write");
    let (code, v) = doctor(&with);
    assert_eq!(code, Some(1));
    assert!(!failing(&v, "audit").is_empty(), "{v}");

    // Hooks switched off in a settings file.
    let local = e.project.join(".claude/settings.local.json");
    std::fs::write(&local, "{\"disableAllHooks\": true}").expect("write");
    let (_, v) = doctor(&with);
    assert!(failing(&v, "wiring")[0].contains("disableAllHooks"), "{v}");

    // The text form prints each fix.
    let mut c = e.cmd(&["doctor"]);
    c.env("PATH", "/usr/bin:/bin");
    let out = run_with_stdin(c, "");
    assert!(stdout(&out).contains("fix: "), "{}", stdout(&out));
}

#[test]
fn the_hook_creates_nothing_for_a_directory_that_is_not_there() {
    let e = Env::new();
    let scratch = tempfile::tempdir().expect("tmp");
    let gone = scratch.path().join("gone/a/b");
    for event in ["PreToolUse", "PostToolUse", "SessionStart"] {
        let input = json!({
            "session_id": "s-gone",
            "cwd": gone,
            "hook_event_name": event,
            "tool_name": "Bash",
            "tool_input": {"command": "ls"},
        })
        .to_string();
        let mut c = e.cmd(&["hook"]);
        c.current_dir(scratch.path());
        let out = run_with_stdin(c, &input);
        assert!(matches!(out.status.code(), Some(0 | 2)), "{event}");
        if event == "PreToolUse" {
            assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
            assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
        }
        assert!(!scratch.path().join("gone").exists(), "{event} created it");
        assert!(!scratch.path().join(".ztguard").exists(), "{event}");
    }
}

#[test]
fn malformed_events_are_refused_and_recorded() {
    let e = Env::new();
    let cases = [
        (
            json!({"session_id": "m1", "cwd": e.project, "hook_event_name": "FooBar"}).to_string(),
            "unknown hook event",
        ),
        (
            json!({"session_id": "m2", "cwd": e.project, "hook_event_name": "PreToolUse", "tool_name": "Bash"})
                .to_string(),
            "Bash",
        ),
        (
            json!({"session_id": "m3", "cwd": e.project, "hook_event_name": "PreToolUse"}).to_string(),
            "tool_name",
        ),
        ("{ not json".to_string(), "not valid JSON"),
    ];
    for (input, why) in &cases {
        let out = e.run(&["hook"], input);
        assert_eq!(out.status.code(), Some(2), "{input}");
        assert!(stderr(&out).contains(why), "{}", stderr(&out));
    }
    let records = e.audit();
    let refused: Vec<&Value> = records
        .iter()
        .filter(|r| r["rule"] == "hook.malformed")
        .collect();
    assert_eq!(refused.len(), cases.len(), "{records:?}");
    assert!(refused.iter().all(|r| r["decision"] == "deny"));
    assert!(refused.iter().any(|r| r["event"] == "FooBar"));
    let out = e.run(&["audit", "verify"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}
