#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::{Error, Kind, Limits, Store, Target};

/// What a test compares: every file and symlink under the project (but
/// `.git`), with its type, executable bit and bytes.
fn snapshot(root: &Path) -> BTreeMap<PathBuf, (char, bool, Vec<u8>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_path_buf();
            if rel == Path::new(".git") {
                continue;
            }
            let m = fs::symlink_metadata(&p).unwrap();
            if m.file_type().is_symlink() {
                let to = fs::read_link(&p).unwrap();
                out.insert(rel, ('l', false, to.into_os_string().into_encoded_bytes()));
            } else if m.is_dir() {
                out.insert(rel, ('d', false, Vec::new()));
                stack.push(p);
            } else {
                let exec = m.permissions().mode() & 0o111 != 0;
                out.insert(rel, ('f', exec, fs::read(&p).unwrap()));
            }
        }
    }
    out
}

struct Fixture {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    project: PathBuf,
}

fn write(p: &Path, text: &[u8]) {
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

fn chmod(p: &Path, mode: u32) {
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

/// A project with a committed history (when `git`), an executable, a
/// symlink, nested directories, untracked and ignored files.
fn fixture(repo: bool) -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let project = root.join("proj");
    let data = root.join("data");
    write(&project.join("src/main.rs"), b"fn main() {}\n");
    write(&project.join("src/deep/a/b/c.rs"), b"// deep\n");
    write(&project.join("run.sh"), b"#!/bin/sh\necho hi\n");
    chmod(&project.join("run.sh"), 0o755);
    symlink("src/main.rs", project.join("link")).unwrap();
    write(&project.join(".gitignore"), b"*.log\nbuild/\n");
    write(&project.join("small.log"), b"a small ignored file\n");
    write(&project.join("big.log"), &vec![b'x'; 2 * 1024 * 1024]);
    write(&project.join("build/out.bin"), b"built\n");
    if repo {
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .args([
                    "-c",
                    "user.name=t",
                    "-c",
                    "user.email=t@t",
                    "-c",
                    "init.defaultBranch=main",
                ])
                .args(args)
                .current_dir(&project)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .output()
                .unwrap();
            assert!(
                ok.status.success(),
                "{}",
                String::from_utf8_lossy(&ok.stderr)
            );
        };
        git(&["init", "-q"]);
        git(&["add", "src", "run.sh", "link", ".gitignore"]);
        git(&["commit", "-q", "-m", "init"]);
    }
    write(&project.join("notes.txt"), b"untracked\n");
    Fixture {
        _tmp: tmp,
        data,
        project,
    }
}

fn limits() -> Limits {
    Limits::default()
}

fn round_trip(repo: bool) {
    let f = fixture(repo);
    let store = Store::open(&f.data, &f.project).unwrap();
    let original = snapshot(&f.project);
    let taken = store
        .checkpoint("Write src/main.rs", Kind::Call, &limits())
        .unwrap();
    assert!(taken.new);
    assert_eq!(taken.skipped, 1, "big.log is left out");
    let p = &f.project;
    // Every kind of change.
    write(&p.join("src/main.rs"), b"fn main() { broken }\n");
    chmod(&p.join("run.sh"), 0o644);
    fs::remove_file(p.join("link")).unwrap();
    symlink("run.sh", p.join("link")).unwrap();
    fs::rename(p.join("notes.txt"), p.join("renamed.txt")).unwrap();
    fs::remove_dir_all(p.join("src/deep")).unwrap();
    fs::remove_file(p.join("small.log")).unwrap();
    write(&p.join("added/new.rs"), b"new\n");
    // Never captured: changes to them stay.
    write(&p.join("big.log"), b"changed big\n");
    write(&p.join("build/out.bin"), b"rebuilt\n");
    let r = store.restore(Target::Last, &limits()).unwrap();
    assert_eq!(r.to.commit, taken.commit);
    let mut want = original.clone();
    want.insert("big.log".into(), ('f', false, b"changed big\n".to_vec()));
    want.insert("build/out.bin".into(), ('f', false, b"rebuilt\n".to_vec()));
    assert_eq!(snapshot(p), want);
    assert!(
        !p.join("added").exists(),
        "a directory the checkpoint lacked is removed"
    );
    // The undo can be undone.
    let back = store.restore(Target::Id(&r.before.id), &limits()).unwrap();
    assert_eq!(back.to.commit, r.before.commit);
    assert_eq!(fs::read(p.join("added/new.rs")).unwrap(), b"new\n");
    assert_eq!(
        fs::read(p.join("src/main.rs")).unwrap(),
        b"fn main() { broken }\n"
    );
    assert!(!p.join("src/deep").exists());
    assert_eq!(fs::read_link(p.join("link")).unwrap(), Path::new("run.sh"));
}

#[test]
fn round_trip_in_a_git_repository() {
    round_trip(true);
}

#[test]
fn round_trip_in_a_plain_directory() {
    round_trip(false);
}

#[test]
fn a_repository_borrows_the_projects_objects() {
    let f = fixture(true);
    let store = Store::open(&f.data, &f.project).unwrap();
    let alt = fs::read_to_string(store.git_dir().join("objects/info/alternates")).unwrap();
    assert_eq!(
        Path::new(alt.trim()),
        f.project.join(".git/objects").canonicalize().unwrap()
    );
    assert!(store.git_dir().starts_with(&f.data));
}

#[test]
fn an_unchanged_tree_writes_nothing_new() {
    let f = fixture(true);
    let store = Store::open(&f.data, &f.project).unwrap();
    let a = store.checkpoint("one", Kind::Call, &limits()).unwrap();
    let b = store.checkpoint("two", Kind::Call, &limits()).unwrap();
    assert!(a.new && !b.new);
    assert_eq!(a.commit, b.commit);
    // A touch that changes no byte is no change either.
    let t = fs::File::options()
        .write(true)
        .open(f.project.join("src/main.rs"))
        .unwrap();
    t.set_modified(std::time::SystemTime::now() + Duration::from_secs(5))
        .unwrap();
    assert!(
        !store
            .checkpoint("three", Kind::Call, &limits())
            .unwrap()
            .new
    );
    assert_eq!(store.list().unwrap().len(), 1);
}

#[test]
fn the_guards_own_directory_is_never_captured_nor_restored() {
    let f = fixture(true);
    write(&f.project.join(".ztguard/audit.jsonl"), b"{\"n\":1}\n");
    let store = Store::open(&f.data, &f.project).unwrap();
    store.checkpoint("a", Kind::Call, &limits()).unwrap();
    write(
        &f.project.join(".ztguard/audit.jsonl"),
        b"{\"n\":1}\n{\"n\":2}\n",
    );
    write(&f.project.join("src/main.rs"), b"changed\n");
    store.restore(Target::Last, &limits()).unwrap();
    assert_eq!(
        fs::read(f.project.join("src/main.rs")).unwrap(),
        b"fn main() {}\n"
    );
    assert_eq!(
        fs::read(f.project.join(".ztguard/audit.jsonl")).unwrap(),
        b"{\"n\":1}\n{\"n\":2}\n"
    );
}

#[test]
fn attributes_of_the_project_change_no_byte() {
    let f = fixture(true);
    // Line-ending conversion, $Id$ expansion and a filter the project asks for.
    write(
        &f.project.join(".gitattributes"),
        b"* text eol=crlf ident filter=evil\n",
    );
    let mixed = b"line one\nline two\r\n$Id$\n".to_vec();
    write(&f.project.join("mixed.txt"), &mixed);
    let store = Store::open(&f.data, &f.project).unwrap();
    store.checkpoint("a", Kind::Call, &limits()).unwrap();
    fs::remove_file(f.project.join("mixed.txt")).unwrap();
    store.restore(Target::Last, &limits()).unwrap();
    assert_eq!(fs::read(f.project.join("mixed.txt")).unwrap(), mixed);
}

#[test]
fn last_goes_further_back_each_time() {
    let f = fixture(true);
    let store = Store::open(&f.data, &f.project).unwrap();
    let file = f.project.join("src/main.rs");
    let mut ids = Vec::new();
    for v in ["v1", "v2", "v3"] {
        ids.push(
            store
                .checkpoint("Write", Kind::Call, &limits())
                .unwrap()
                .commit,
        );
        write(&file, v.as_bytes());
    }
    assert_eq!(
        store.restore(Target::Last, &limits()).unwrap().to.commit,
        ids[2]
    );
    assert_eq!(fs::read(&file).unwrap(), b"v2");
    assert_eq!(
        store.restore(Target::Last, &limits()).unwrap().to.commit,
        ids[1]
    );
    assert_eq!(fs::read(&file).unwrap(), b"v1");
    let listed = store.list().unwrap();
    assert_eq!(listed.iter().filter(|c| c.kind == Kind::Undo).count(), 1);
    assert!(listed.iter().all(|c| c.files_changed > 0));
}

#[test]
fn nothing_to_undo_and_unknown_ids_are_errors() {
    let f = fixture(false);
    let store = Store::open(&f.data, &f.project).unwrap();
    assert!(matches!(
        store.restore(Target::Last, &limits()),
        Err(Error::NothingToUndo)
    ));
    assert!(matches!(
        store.restore(Target::Id("deadbeef"), &limits()),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        store.restore(Target::Id("../x"), &limits()),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn pruning_keeps_the_newest_by_count_and_age() {
    let f = fixture(true);
    let store = Store::open(&f.data, &f.project).unwrap();
    let few = Limits {
        keep: 3,
        ..limits()
    };
    for i in 0..6 {
        write(&f.project.join("src/main.rs"), format!("{i}").as_bytes());
        store.checkpoint("w", Kind::Call, &few).unwrap();
    }
    let listed = store.list().unwrap();
    assert_eq!(listed.len(), 3);
    let old = Limits {
        max_age: Duration::ZERO,
        ..limits()
    };
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(store.prune(&old).unwrap(), 2);
    let left = store.list().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].commit, listed[2].commit, "the newest stays");
}

#[test]
fn a_new_big_untracked_file_is_left_out() {
    let f = fixture(false);
    let store = Store::open(&f.data, &f.project).unwrap();
    store.checkpoint("a", Kind::Call, &limits()).unwrap();
    write(&f.project.join("data.bin"), &vec![0u8; 1024 * 1024 + 1]);
    let t = store.checkpoint("b", Kind::Call, &limits()).unwrap();
    assert!(!t.new);
    assert_eq!(t.skipped, 2);
}

#[test]
fn ignored_files_the_checkpoint_lacks_are_left_alone() {
    let f = fixture(true);
    let store = Store::open(&f.data, &f.project).unwrap();
    store.checkpoint("a", Kind::Call, &limits()).unwrap();
    write(&f.project.join("debug.log"), b"new and ignored\n");
    write(&f.project.join("new.rs"), b"new\n");
    store.restore(Target::Last, &limits()).unwrap();
    assert!(!f.project.join("new.rs").exists());
    assert_eq!(
        fs::read(f.project.join("debug.log")).unwrap(),
        b"new and ignored\n"
    );
}
