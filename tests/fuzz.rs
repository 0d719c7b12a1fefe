//! Whatever arrives on stdin, `ztguard hook` exits 0 or 2: Claude Code reads
//! any other exit code (or a crash) as "go ahead".

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

use std::io::Write;
use std::process::{Command, Stdio};

use proptest::prelude::*;

fn hook(input: &[u8]) -> Option<i32> {
    let home = std::env::temp_dir();
    let mut child = Command::new(env!("CARGO_BIN_EXE_ztguard"))
        .arg("hook")
        .env("HOME", &home)
        .env(
            "ZTGUARD_MANAGED_POLICY",
            home.join("ztguard-fuzz-no-managed.toml"),
        )
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
        "session_id": "fuzz", "cwd": std::env::temp_dir(), "hook_event_name": "PreToolUse",
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
    fn arbitrary_paths_and_tools_exit_0_or_2(path in ".{0,120}", tool in "[A-Za-z_]{0,20}") {
        let code = hook(&event("Read", serde_json::json!({"file_path": path})));
        prop_assert!(code == Some(0) || code == Some(2), "Read exit {code:?}");
        let code = hook(&event(&tool, serde_json::json!({"file_path": path, "command": path})));
        prop_assert!(code == Some(0) || code == Some(2), "{tool} exit {code:?}");
    }
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
