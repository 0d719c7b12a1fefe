//! Whatever arrives on stdin, `ztguard hook` exits 0 or 2: Claude Code reads
//! any other exit code (or a crash) as "go ahead".

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

use std::io::Write;
use std::process::{Command, Stdio};

use proptest::prelude::*;

/// One throwaway directory for the whole run: the home, and the project
/// the events come from (the hook writes its audit log and session state
/// there).
fn root() -> &'static std::path::Path {
    static ROOT: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| tempfile::tempdir().expect("temp dir"))
        .path()
}

fn hook(input: &[u8]) -> Option<i32> {
    let home = root();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ztguard"))
        .arg("hook")
        .current_dir(home)
        .env("HOME", home)
        .env("ZTGUARD_MANAGED_POLICY", home.join("no-managed.toml"))
        .env_remove("ZTGUARD_DATA_DIR")
        .env_remove("ZTGUARD_AUDIT_KEY")
        .env_remove("CLAUDE_PROJECT_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let _ = child.stdin.take().expect("stdin").write_all(input);
    child.wait().expect("wait").code()
}

fn event(tool: &str, input: serde_json::Value) -> Vec<u8> {
    serde_json::json!({
        "session_id": "fuzz", "cwd": root(), "hook_event_name": "PreToolUse",
        "tool_name": tool, "tool_input": input,
    })
    .to_string()
    .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_exit_0_or_2(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let code = hook(&bytes);
        prop_assert!(code == Some(0) || code == Some(2), "exit {code:?}");
    }

    #[test]
    fn arbitrary_commands_exit_0_or_2(cmd in ".{0,300}") {
        let code = hook(&event("Bash", serde_json::json!({"command": cmd})));
        prop_assert!(code == Some(0) || code == Some(2), "exit {code:?}");
    }

    #[test]
    fn arbitrary_prompts_and_session_events_exit_0_or_2(
        text in ".{0,400}",
        session in ".{0,40}",
        which in 0usize..7,
    ) {
        let name = ["UserPromptSubmit", "SessionStart", "SessionEnd", "PostToolUse",
                    "PostToolUseFailure", "Stop", "PermissionRequest"][which];
        let input = serde_json::json!({
            "session_id": session, "cwd": root(), "hook_event_name": name,
            "prompt": text, "source": text, "reason": text, "error": text,
            "tool_name": "Bash", "tool_input": {"command": text}, "tool_response": {"stdout": text},
        });
        let code = hook(input.to_string().as_bytes());
        prop_assert!(code == Some(0) || code == Some(2), "{name} exit {code:?}");
    }

    #[test]
    fn arbitrary_paths_and_tools_exit_0_or_2(path in ".{0,120}", tool in "[A-Za-z_]{0,20}") {
        let code = hook(&event("Read", serde_json::json!({"file_path": path})));
        prop_assert!(code == Some(0) || code == Some(2), "Read exit {code:?}");
        let code = hook(&event(&tool, serde_json::json!({"file_path": path, "command": path})));
        prop_assert!(code == Some(0) || code == Some(2), "{tool} exit {code:?}");
    }
}

#[test]
fn fuzzed_sessions_leave_a_verifiable_log() {
    // Run after (or alongside) the properties above: whatever they sent,
    // the log they left is one unbroken chain.
    for i in 0..5 {
        hook(&event(
            "Bash",
            serde_json::json!({"command": format!("echo {i} \u{0} \\ \" ' $(")}),
        ));
    }
    let out = Command::new(env!("CARGO_BIN_EXE_ztguard"))
        .args(["audit", "verify", "--json"])
        .current_dir(root())
        .env("HOME", root())
        .env("ZTGUARD_MANAGED_POLICY", root().join("no-managed.toml"))
        .env_remove("ZTGUARD_DATA_DIR")
        .env_remove("ZTGUARD_AUDIT_KEY")
        .env_remove("CLAUDE_PROJECT_DIR")
        .output()
        .expect("verify");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["first_bad"], serde_json::Value::Null, "{v}");
    assert!(v["records"].as_u64().unwrap_or(0) >= 5, "{v}");
}

#[test]
fn deep_nesting_and_huge_input_still_decide() {
    for n in [150usize, 5_000, 50_000] {
        let cmd = format!("{}ls{}", "echo $(".repeat(n), ")".repeat(n));
        assert_eq!(
            hook(&event("Bash", serde_json::json!({"command": cmd}))),
            Some(0),
            "nesting {n}"
        );
    }
    let big = "a".repeat(2 * 1024 * 1024);
    assert_eq!(
        hook(&event("Bash", serde_json::json!({"command": big}))),
        Some(0)
    );
}
