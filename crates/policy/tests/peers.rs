//! Agreement with other guards' labelled test commands.
//!
//! `../shared/data/peer_command_cases.tsv` (beside the repository, never
//! copied into it) holds commands from the test suites of other agent guards,
//! labelled `block` or `allow`. Only rows without a `#qualifier` are used:
//! those are labelled under the peer's default configuration. A peer's
//! `block` is met when ztguard denies or asks; its `allow` when ztguard
//! allows. The peers guard against less (mostly destructive commands, not
//! secret reads or network) and ztguard asks for anything unknown, so
//! `allow` rows are expected to disagree more; the thresholds below are
//! regression floors set just under the measured agreement, and the test
//! prints the full breakdown (`cargo test --test peers -- --nocapture`).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod fixture;

use std::collections::BTreeMap;

use fixture::Fixture;
use ztguard_policy::Verdict;

fn corpus() -> Option<String> {
    ztguard_corpus::read("peer_command_cases.tsv")
}

use ztguard_corpus::unescape;

#[derive(Default)]
struct Tally {
    block: usize,
    block_met: usize,
    allow: usize,
    allow_met: usize,
}

#[test]
fn agreement_with_peer_guards() {
    let Some(text) = corpus() else { return };
    let fx = Fixture::new();
    let mut by_source: BTreeMap<String, Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut missed_blocks = Vec::new();
    let mut strict_allows = Vec::new();
    for line in text.lines().skip(1) {
        let mut cols = line.splitn(3, '\t');
        let (Some(source), Some(expected), Some(command)) = (cols.next(), cols.next(), cols.next())
        else {
            continue;
        };
        if source.contains('#') {
            continue;
        }
        let repo = source.split(':').next().unwrap_or(source).to_string();
        let command = unescape(command);
        let d = fx.decide("bash", &command, None);
        let t = by_source.entry(repo).or_default();
        match expected {
            "block" => {
                t.block += 1;
                total.block += 1;
                if d.verdict != Verdict::Allow {
                    t.block_met += 1;
                    total.block_met += 1;
                } else {
                    missed_blocks.push(command);
                }
            }
            "allow" => {
                t.allow += 1;
                total.allow += 1;
                if d.verdict == Verdict::Allow {
                    t.allow_met += 1;
                    total.allow_met += 1;
                } else {
                    strict_allows.push(format!("{} {:?}: {}", d.verdict, command, d.rule));
                }
            }
            _ => {}
        }
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    println!("peer corpus, rows without a qualifier:");
    for (src, t) in &by_source {
        println!(
            "  {src}: block {}/{} ({:.1}%), allow {}/{} ({:.1}%)",
            t.block_met,
            t.block,
            pct(t.block_met, t.block),
            t.allow_met,
            t.allow,
            pct(t.allow_met, t.allow)
        );
    }
    let block_rate = pct(total.block_met, total.block);
    let allow_rate = pct(total.allow_met, total.allow);
    println!(
        "  all: block {}/{} ({block_rate:.1}%), allow {}/{} ({allow_rate:.1}%), overall {:.1}%",
        total.block_met,
        total.block,
        total.allow_met,
        total.allow,
        pct(total.block_met + total.allow_met, total.block + total.allow)
    );
    println!("block rows ztguard allows:");
    for c in &missed_blocks {
        println!("    {c:?}");
    }
    if std::env::var_os("ZTGUARD_PEERS_VERBOSE").is_some() {
        println!("allow rows ztguard asks or denies:");
        for c in &strict_allows {
            println!("    {c}");
        }
    }
    assert!(
        total.block + total.allow >= 900,
        "the corpus shrank: {} rows",
        total.block + total.allow
    );
    assert!(
        block_rate >= 99.5,
        "block agreement fell to {block_rate:.1}%"
    );
    assert!(
        allow_rate >= 60.0,
        "allow agreement fell to {allow_rate:.1}%"
    );
}
