//! `ztguard undo` end to end: the real binary answers real hook JSON,
//! which takes the checkpoints; the change is made as the agent would;
//! `ztguard undo` brings the working tree back, byte for byte.
//!
//! By default only calls from inside `ztguard exec` take checkpoints
//! (`[undo] checkpoints = "exec"`): the tests that call the hook directly
//! set `"always"` in the project's policy; one shows the default takes
//! none there, one runs the hook inside a real `ztguard exec`.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};

use common::Env;
use serde_json::{Value, json};

/// Every file and symlink under `root` (but `.git` and `.ztguard`): type,
/// executable bit, bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (char, bool, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).expect("read dir") {
            let p = e.expect("entry").path();
            let rel = p.strip_prefix(root).expect("under root").to_path_buf();
            if rel == Path::new(".git") || rel == Path::new(".ztguard") {
                continue;
            }
            let m = fs::symlink_metadata(&p).expect("stat");
            if m.file_type().is_symlink() {
                let to = fs::read_link(&p).expect("link");
                out.insert(rel, ('l', false, to.into_os_string().into_encoded_bytes()));
            } else if m.is_dir() {
                out.insert(rel, ('d', false, Vec::new()));
                stack.push(p);
            } else {
                let exec = m.permissions().mode() & 0o111 != 0;
                out.insert(rel, ('f', exec, fs::read(&p).expect("read")));
            }
        }
    }
    out
}

fn records(e: &Env) -> Vec<Value> {
    fs::read_to_string(e.project.join(".ztguard/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect()
}

/// The project's policy: the built-in default with checkpoints for every
/// call, the hook called directly included.
fn always(e: &Env) {
    e.policy_with(&[(CHECKPOINTS_EXEC, "checkpoints = \"always\"")]);
}

const CHECKPOINTS_EXEC: &str = "checkpoints = \"exec\"";

/// `ztguard undo --list --json`, parsed.
fn list(e: &Env) -> Vec<Value> {
    let out = undo(e, &["--list", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    v.as_array().expect("array").clone()
}

fn undo(e: &Env, args: &[&str]) -> std::process::Output {
    let mut all = vec!["undo"];
    all.extend_from_slice(args);
    e.run(&all, "")
}

#[test]
fn a_write_then_undo_last_restores_the_file() {
    let e = Env::new();
    always(&e);
    let file = e.project.join("src/main.rs");
    let (d, _) = e.pre(
        "Write",
        json!({"file_path": file, "content": "fn main() { panic!() }\n"}),
    );
    assert_eq!(d, "allow");
    fs::write(&file, "fn main() { panic!() }\n").expect("write");
    let out = undo(&e, &["--last"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(fs::read_to_string(&file).expect("read"), "fn main() {}\n");
    let recs = records(&e);
    let write = recs
        .iter()
        .find(|r| r["tool"] == "Write")
        .expect("the Write is recorded");
    let id = write["checkpoint"].as_str().expect("with its checkpoint");
    let undone = recs
        .iter()
        .find(|r| r["event"] == "Undo")
        .expect("the undo is recorded");
    assert_eq!(undone["checkpoint"], id);
    assert_eq!(undone["files"], 1);
    // The log still verifies with the human's record in it.
    assert!(e.run(&["audit", "verify"], "").status.success());
}

#[test]
fn rm_rf_of_a_source_directory_is_undone_byte_for_byte() {
    let e = Env::new();
    always(&e);
    let p = &e.project;
    fs::create_dir_all(p.join("src/bin/deep")).expect("mkdir");
    fs::write(p.join("src/bin/deep/tool.sh"), "#!/bin/sh\necho tool\n").expect("write");
    fs::set_permissions(
        p.join("src/bin/deep/tool.sh"),
        fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    symlink("bin/deep/tool.sh", p.join("src/tool")).expect("symlink");
    fs::write(
        p.join("src/data.bin"),
        [0u8, 159, 146, 150, 255, b'\r', b'\n'],
    )
    .expect("write");
    let before = snapshot(p);
    let (d, _) = e.pre("Bash", json!({"command": "rm -rf src"}));
    assert!(d == "allow" || d == "ask", "{d}");
    fs::remove_dir_all(p.join("src")).expect("rm -rf src");
    let out = undo(&e, &["--last"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(snapshot(p), before);
    // And the undo can be undone: the state after `rm -rf`.
    let list = undo(&e, &["--list", "--json"]);
    let v: Value = serde_json::from_slice(&list.stdout).expect("json");
    let pre_undo = v
        .as_array()
        .expect("array")
        .iter()
        .find(|c| c["kind"] == "undo")
        .expect("the state before the undo");
    let id = pre_undo["id"].as_str().expect("id");
    assert!(undo(&e, &["--to", id]).status.success());
    assert!(!p.join("src").exists());
}

#[test]
fn list_json_names_the_call_and_reads_take_none() {
    let e = Env::new();
    always(&e);
    let (d, _) = e.pre("Read", json!({"file_path": e.project.join("Cargo.toml")}));
    assert_eq!(d, "allow");
    let (d, _) = e.pre(
        "Bash",
        json!({"command": "git status && ls -la src | wc -l"}),
    );
    assert_eq!(d, "allow");
    let out = undo(&e, &["--list", "--json"]);
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v, json!([]), "reads take no checkpoint");
    let file = e.project.join("src/lib.rs");
    e.pre(
        "Write",
        json!({"file_path": file, "content": "pub fn f() {}\n"}),
    );
    let out = undo(&e, &["--list", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let all = v.as_array().expect("array");
    assert_eq!(all.len(), 1);
    assert_eq!(all[0]["kind"], "call");
    assert!(
        all[0]["label"]
            .as_str()
            .expect("label")
            .starts_with("Write: "),
        "{v}"
    );
    assert!(all[0]["files_changed"].as_u64().expect("count") >= 3);
    // A denied call takes none.
    e.pre("Bash", json!({"command": "sudo rm -rf /"}));
    let out = undo(&e, &["--list", "--json"]);
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v.as_array().expect("array").len(), 1);
    // The human listing.
    let out = undo(&e, &["--list"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("before Write: "), "{text}");
}

#[test]
fn undo_is_a_human_command() {
    let e = Env::new();
    // Not inside `ztguard exec`.
    let out = e
        .cmd(&["undo", "--last"])
        .env("ZTGUARD_BROKER", "/nonexistent/broker.sock")
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("human command"));
    // Not by the agent, however spelled.
    for c in [
        "ztguard undo --last",
        "ztguard undo --to abcd",
        "/usr/local/bin/ztguard undo --list",
        "env ztguard undo --last",
    ] {
        let (d, _) = e.pre("Bash", json!({"command": c}));
        assert_eq!(d, "deny", "{c}");
    }
    // Nothing to do is an error, not a silent success.
    let out = undo(&e, &["--last"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to undo"));
    // One of --list, --to, --last is required.
    assert!(!undo(&e, &[]).status.success());
}

#[test]
fn the_store_is_outside_the_project() {
    let e = Env::new();
    always(&e);
    let file = e.project.join("src/main.rs");
    e.pre("Write", json!({"file_path": file, "content": "x\n"}));
    let store = e.home.join(".local/share/ztguard/undo");
    let entries: Vec<_> = fs::read_dir(&store)
        .expect("the store is in the data directory")
        .filter_map(|d| d.ok())
        .collect();
    assert_eq!(entries.len(), 1);
    let mode = fs::metadata(entries[0].path())
        .expect("stat")
        .permissions()
        .mode();
    assert_eq!(mode & 0o077, 0, "only its owner reads it");
    // The agent cannot read it.
    let inside = entries[0].path().join("HEAD");
    let (d, _) = e.pre("Read", json!({"file_path": inside}));
    assert_eq!(d, "deny");
}

/// Does a Write of `content` to src/main.rs, answered by the hook called
/// directly, take a checkpoint? (Its record says.)
fn write_takes_one(e: &Env, content: &str) -> bool {
    let file = e.project.join("src/main.rs");
    let (d, reason) = e.pre("Write", json!({"file_path": file, "content": content}));
    assert_eq!(d, "allow", "{reason}");
    fs::write(&file, content).expect("write");
    let recs = records(e);
    let last = recs
        .iter()
        .rev()
        .find(|r| r["tool"] == "Write")
        .expect("the Write is recorded");
    assert!(last.get("checkpoint_error").is_none(), "{last}");
    last.get("checkpoint").is_some()
}

#[test]
fn a_direct_hook_call_takes_no_checkpoint_by_default() {
    let e = Env::new();
    assert!(!write_takes_one(&e, "fn main() { one() }\n"));
    let (d, _) = e.pre("Bash", json!({"command": "rm -rf src"}));
    assert!(d == "allow" || d == "ask", "{d}");
    assert!(
        records(&e)
            .iter()
            .all(|r| r.get("checkpoint").is_none() && r.get("checkpoint_error").is_none()),
        "{:?}",
        records(&e)
    );
    // No store was even opened.
    assert!(!e.home.join(".local/share/ztguard/undo").exists());
    assert!(list(&e).is_empty());
    let out = undo(&e, &["--last"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to undo"));
    // The policy says which setting is in force.
    let out = e.run(&["policy", "show", "--json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["undo"]["checkpoints"], "exec", "{v}");
}

#[test]
fn the_user_chooses_and_a_project_can_only_add_checkpoints() {
    let e = Env::new();
    let user_says = |value: &str| {
        e.user_policy_with(&[(CHECKPOINTS_EXEC, &format!("checkpoints = \"{value}\""))]);
    };
    let project_says = |value: &str| {
        e.policy_with(&[(CHECKPOINTS_EXEC, &format!("checkpoints = \"{value}\""))]);
    };
    // The user's "always" covers the hook called directly.
    user_says("always");
    assert!(write_takes_one(&e, "fn main() { 1 }\n"));
    // A project cannot take that away, and lint says its "off" is ignored.
    project_says("off");
    assert!(write_takes_one(&e, "fn main() { 2 }\n"));
    let out = e.run(&["policy", "lint"], "");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("undo.checkpoints = \"off\" is ignored"),
        "{text}"
    );
    // The user's "off" holds, unless the project asks for more.
    user_says("off");
    project_says("exec");
    assert!(!write_takes_one(&e, "fn main() { 3 }\n"));
    project_says("always");
    assert!(write_takes_one(&e, "fn main() { 4 }\n"));
    let out = e.run(&["policy", "show", "--json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["undo"]["checkpoints"], "always", "{v}");
}

#[test]
fn a_bad_checkpoints_setting_fails_closed() {
    let e = Env::new();
    for (value, needle) in [
        ("checkpoints = \"sometimes\"", "sometimes"),
        ("checkpoints = true", "wanted string"),
        ("checkpoint = \"always\"", "checkpoint"),
    ] {
        e.user_policy_with(&[(CHECKPOINTS_EXEC, value)]);
        let out = e.run(&["policy", "lint"], "");
        assert_ne!(out.status.code(), Some(0), "{value}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains(needle),
            "{value}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        let out = e.run(
            &["hook"],
            &e.event(
                "PreToolUse",
                "Write",
                json!({"file_path": e.project.join("src/main.rs"), "content": "x\n"}),
            ),
        );
        assert_eq!(out.status.code(), Some(2), "{value}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{value}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Run `script` with sh inside `ztguard exec`, with this build's
/// `ztguard` first on PATH.
fn exec_with_ztguard(e: &Env, script: &str) -> std::process::Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_ztguard"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").expect("PATH"));
    e.cmd(&["exec", "--", "sh", "-c", script])
        .env("PATH", path)
        .output()
        .expect("run ztguard exec")
}

/// The default at work: the hook inside `ztguard exec` hands each call to
/// the broker outside, which takes the checkpoint before a Write and an
/// `rm -rf`; `ztguard undo --last`, run outside, brings back each state
/// byte for byte.
#[test]
fn inside_exec_a_write_and_rm_rf_take_checkpoints_that_undo_restores() {
    let Some(e) = Env::sandboxed() else {
        return;
    };
    let out = e.run(&["init", "--no-hook"], "");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = &e.project;
    fs::create_dir_all(p.join("src/bin")).expect("mkdir");
    fs::write(p.join("src/bin/run.sh"), "#!/bin/sh\necho run\n").expect("write");
    fs::set_permissions(p.join("src/bin/run.sh"), fs::Permissions::from_mode(0o755))
        .expect("chmod");
    symlink("bin/run.sh", p.join("src/run")).expect("symlink");
    fs::write(p.join("src/data.bin"), [0u8, 255, b'\r', b'\n', 7]).expect("write");
    let main = p.join("src/main.rs");
    let write = e.event(
        "PreToolUse",
        "Write",
        json!({"file_path": main, "content": "fn main() { changed() }\n"}),
    );
    let rm = e.event("PreToolUse", "Bash", json!({"command": "rm -rf src"}));
    fs::write(p.join("write.json"), write).expect("write");
    fs::write(p.join("rm.json"), rm).expect("write");
    let before = snapshot(p);
    // As the agent's client would: ask the hook, then make the change.
    let out = exec_with_ztguard(
        &e,
        "ztguard hook < write.json; echo; printf 'fn main() { changed() }\\n' > src/main.rs; \
         ztguard hook < rm.json; echo; rm -rf src; echo \"done=$?\"",
    );
    let (text, err) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(text.contains("done=0"), "{text}\n{err}");
    assert!(!p.join("src").exists(), "{text}\n{err}");
    let answers: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("a JSON answer"))
        .collect();
    assert_eq!(answers.len(), 2, "{text}\n{err}");
    for a in &answers {
        let d = &a["hookSpecificOutput"]["permissionDecision"];
        assert!(d == "allow" || d == "ask", "{a}");
    }
    // The broker recorded both calls, outside, each with its checkpoint.
    let recs = records(&e);
    let calls: Vec<&Value> = recs
        .iter()
        .filter(|r| r["event"] == "PreToolUse" && r["supplied_by"] == "sandbox")
        .collect();
    assert_eq!(calls.len(), 2, "{recs:?}");
    for c in &calls {
        assert!(c["checkpoint"].is_string(), "{c}");
    }
    assert_ne!(calls[0]["checkpoint"], calls[1]["checkpoint"]);
    assert_eq!(list(&e).len(), 2);
    // Outside: back to before the rm -rf (the written file), then to before the Write.
    let out = undo(&e, &["--last"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut written = before.clone();
    written.insert(
        PathBuf::from("src/main.rs"),
        ('f', false, b"fn main() { changed() }\n".to_vec()),
    );
    assert_eq!(snapshot(p), written);
    let out = undo(&e, &["--last"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(snapshot(p), before);
    assert!(e.run(&["audit", "verify"], "").status.success());
}
