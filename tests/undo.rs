//! `ztguard undo` end to end: the real binary answers real hook JSON,
//! which takes the checkpoints; the change is made as the agent would;
//! `ztguard undo` brings the working tree back, byte for byte.

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

fn undo(e: &Env, args: &[&str]) -> std::process::Output {
    let mut all = vec!["undo"];
    all.extend_from_slice(args);
    e.run(&all, "")
}

#[test]
fn a_write_then_undo_last_restores_the_file() {
    let e = Env::new();
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
