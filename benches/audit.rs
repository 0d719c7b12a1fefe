//! Criterion benchmarks of the audit log: verifying a log of one million
//! records as the hook writes them, against reading and hashing the same
//! bytes once (the floor any verification pays), measured in the same run;
//! and one append with its checkpoint, as every hook call does.
//!
//! `cargo bench --bench audit`. Figures go to BENCHMARKS.md as ratios.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::hint::black_box;
use std::io::Write;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use sha2::{Digest, Sha256};

const RECORDS: u64 = 1_000_000;

/// A record shaped like the hook's PreToolUse records (about 560 bytes).
fn fields(i: u64) -> serde_json::Map<String, serde_json::Value> {
    json!({
        "ts": "2026-11-29T12:00:00.000Z",
        "event": "PreToolUse",
        "session": "0b6c1f9e-3f57-4c4e-9d7a-5a2c8f1e4b21",
        "agent": "claude-code",
        "tool_use_id": format!("toolu_01ABCDEFGHJKMNPQRS{i:08}"),
        "permission_mode": "default",
        "cwd": "/home/dev/projects/service",
        "tool": "Bash",
        "input": {"command": format!("cargo test --workspace -- case_{i} 2>&1 | tail -20")},
        "decision": "allow",
        "rule": "project: commands.allow \"cargo test *\"",
        "rules": ["project: commands.allow \"cargo test *\""],
        "reason": "ztguard: allowed (project: commands.allow \"cargo test *\"; project: commands.allow \"tail *\")",
        "latency_us": 1234,
    })
    .as_object()
    .cloned()
    .unwrap()
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        let mut prev = ztguard_audit::GENESIS.to_string();
        for i in 1..=RECORDS {
            let (line, hash) = ztguard_audit::seal(fields(i), i, &prev);
            out.write_all(line.as_bytes()).unwrap();
            out.write_all(b"\n").unwrap();
            prev = hash;
        }
    }
    let bytes = std::fs::metadata(&log).unwrap().len();
    eprintln!("audit log of {RECORDS} records, {bytes} bytes");
    let mut g = c.benchmark_group("audit log of 1M records");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("baseline: read + SHA-256 of the file", |b| {
        b.iter(|| black_box(Sha256::digest(std::fs::read(&log).unwrap())))
    });
    g.bench_function("verify", |b| {
        b.iter(|| {
            let v = ztguard_audit::verify(&log).unwrap();
            assert!(v.ok() && v.records == RECORDS);
            black_box(v)
        })
    });
    g.finish();

    let small = dir.path().join("hook.jsonl");
    let anchored = ztguard_audit::Options {
        max_bytes: 64 * 1024 * 1024,
        anchor: Some(ztguard_audit::Anchor {
            path: dir.path().join("checkpoint.json"),
            key: Some(vec![7; 32]),
        }),
    };
    let mut i = 0;
    c.bench_function("append one record (lock, tail, write, checkpoint)", |b| {
        b.iter(|| {
            i += 1;
            black_box(ztguard_audit::append_with(&small, fields(i), &anchored).unwrap())
        })
    });
}

criterion_group!(group, benches);
criterion_main!(group);
