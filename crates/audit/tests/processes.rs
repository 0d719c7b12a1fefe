//! Sixteen processes appending 500 records each to one log, at the same
//! time, as concurrent hook processes and subagents do: the chain must come
//! out complete, unbroken and unforked (8,000 records, sequence 1..=8,000),
//! across the segments that rotation made meanwhile, and anchored at its end.
//!
//! The writers are this test binary run again with `ZTGUARD_AUDIT_CHILD` set.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::process::{Command, Stdio};

const PROCESSES: usize = 16;
const EACH: u64 = 500;

/// Small segments, so that rotations happen while others wait on the lock,
/// and an anchor moved by every append.
fn options(log: &std::path::Path) -> ztguard_audit::Options {
    ztguard_audit::Options {
        max_bytes: 256 * 1024,
        anchor: Some(ztguard_audit::Anchor {
            path: log.with_file_name("checkpoint.json"),
            key: Some(vec![1; 32]),
        }),
    }
}

#[test]
fn child_writer() {
    let Ok(path) = std::env::var("ZTGUARD_AUDIT_CHILD") else {
        return;
    };
    let who: u64 = std::env::var("ZTGUARD_AUDIT_WHO").unwrap().parse().unwrap();
    for i in 0..EACH {
        let fields = serde_json::json!({"event": "PreToolUse", "writer": who, "n": i});
        ztguard_audit::append_with(
            std::path::Path::new(&path),
            fields.as_object().cloned().unwrap(),
            &options(std::path::Path::new(&path)),
        )
        .unwrap();
    }
}

#[test]
fn sixteen_processes_never_lose_interleave_or_fork_the_chain() {
    if std::env::var_os("ZTGUARD_AUDIT_CHILD").is_some() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let me = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|who| {
            Command::new(&me)
                .args(["child_writer", "--exact", "--test-threads", "1"])
                .env("ZTGUARD_AUDIT_CHILD", &log)
                .env("ZTGUARD_AUDIT_WHO", who.to_string())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let anchor = options(&log).anchor.unwrap();
    let (v, status) = ztguard_audit::check_anchor(&log, &anchor).unwrap();
    assert!(v.ok(), "{v:?}");
    assert_eq!(
        status,
        ztguard_audit::AnchorStatus::Matches {
            seq: PROCESSES as u64 * EACH
        }
    );
    assert!(v.files > 3, "rotated into {} files", v.files);
    assert_eq!(v.records, PROCESSES as u64 * EACH);
    assert_eq!(v.last_seq, PROCESSES as u64 * EACH);
    // Every writer's every record is there.
    let text: String = ztguard_audit::segments(&log)
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect();
    for who in 0..PROCESSES {
        let n = text.matches(&format!("\"writer\":{who},")).count();
        assert_eq!(n as u64, EACH, "writer {who}");
    }
}
