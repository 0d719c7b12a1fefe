//! The key-component sieve in front of `PatternList::matched` never
//! changes its answer: for the built-in protections' path lists and paths
//! made from those patterns (each wildcard filled in, placed under the
//! project, the home and other roots), the sieved answer equals the
//! pattern-by-pattern one.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a broken fixture should stop the test loudly

use std::path::{Path, PathBuf};

use ztguard_paths::{Anchors, PatternList};

const PROTECTIONS: &str = include_str!("../../policy/policies/protections.toml");
const DEFAULT: &str = include_str!("../../policy/policies/default.toml");

/// Every string array under `[files]` of a policy file.
fn lists(text: &str) -> Vec<Vec<String>> {
    let doc: toml::Table = text.parse().expect("a built-in policy parses");
    let files = doc
        .get("files")
        .and_then(|f| f.as_table())
        .expect("[files]");
    files
        .values()
        .filter_map(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .collect()
}

/// Paths a pattern could name: its wildcards filled with sample text.
fn samples(pattern: &str, anchors: &Anchors) -> Vec<PathBuf> {
    let body = pattern.trim_start_matches('!');
    let body = body.replace("{", "").replace("}", "").replace(',', "");
    let mut out = Vec::new();
    for fill in ["x", "a.b", "id_rsa", ""] {
        let text = body
            .replace("**", "deep/er")
            .replace('*', fill)
            .replace('?', "q")
            .replace(['[', ']'], "");
        let p = if let Some(rest) = text.strip_prefix("~/") {
            anchors.home.join(rest)
        } else if text.starts_with('/') {
            PathBuf::from(&text)
        } else {
            anchors.project.join(&text)
        };
        out.push(p.clone());
        out.push(p.join("inner"));
        if let Some(parent) = p.parent() {
            out.push(parent.to_path_buf());
        }
        out.push(Path::new("/srv/other").join(p.strip_prefix("/").unwrap_or(&p)));
    }
    out
}

#[test]
fn the_sieve_never_changes_what_a_list_matches() {
    let anchors = Anchors {
        project: PathBuf::from("/work/project"),
        home: PathBuf::from("/home/dev"),
    };
    let all: Vec<Vec<String>> = lists(PROTECTIONS)
        .into_iter()
        .chain(lists(DEFAULT))
        .collect();
    let paths: Vec<PathBuf> = all
        .iter()
        .flatten()
        .flat_map(|p| samples(p, &anchors))
        .chain(
            [
                "/work/project/src/main.rs",
                "/home/dev/.bashrc",
                "/etc/passwd",
                "/",
            ]
            .map(PathBuf::from),
        )
        .collect();
    let mut compared = 0;
    let mut matched = 0;
    for items in &all {
        let list = PatternList::parse(items).expect("a built-in list parses");
        for path in &paths {
            let sieved = list.matched(path, &anchors).map(|p| p.source.clone());
            let one_by_one = list
                .patterns()
                .iter()
                .rev()
                .find(|p| p.matches(path, &anchors, &mut || false))
                .filter(|p| !p.negated)
                .map(|p| p.source.clone());
            assert_eq!(sieved, one_by_one, "{} against {items:?}", path.display());
            compared += 1;
            matched += usize::from(sieved.is_some());
        }
    }
    // The samples exercise both answers, many times.
    assert!(
        compared > 10_000 && matched > 500,
        "{compared} compared, {matched} matched"
    );
}

/// A small deterministic generator (xorshift), so a failure is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

#[test]
fn the_sieve_agrees_with_matching_one_pattern_at_a_time_on_random_patterns() {
    // Pieces of pattern syntax (escapes, classes, braces, nested braces,
    // `**`) and of path names that meet them.
    const PIECES: &[&str] = &[
        "a",
        "b",
        "ab",
        ".",
        "*",
        "?",
        "**",
        "\\.",
        "\\*",
        "\\a",
        "[ab]",
        "[!a]",
        "[0-9]",
        "{a,b}",
        "{a,{b,c}}",
        "{x}",
        "-",
        "v",
    ];
    const NAMES: &[&str] = &[
        "a", "b", "ab", "a.b", "*", ".a", "b-v", "1", "c", "{x}", "ba", "a\\b",
    ];
    let anchors = Anchors {
        project: PathBuf::from("/p"),
        home: PathBuf::from("/h"),
    };
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut matched = 0;
    for _ in 0..4000 {
        let mut pattern = String::new();
        match rng.next() % 4 {
            0 => pattern.push_str("~/"),
            1 => pattern.push('/'),
            _ => {}
        }
        let comps = 1 + rng.next() % 3;
        for i in 0..comps {
            if i > 0 {
                pattern.push('/');
            }
            for _ in 0..1 + rng.next() % 3 {
                pattern.push_str(rng.pick(PIECES));
            }
        }
        let Ok(list) = PatternList::parse(&[pattern.as_str()]) else {
            continue;
        };
        for _ in 0..20 {
            let mut path = PathBuf::from(rng.pick(&["/p", "/h", "/", "/p/d"]));
            for _ in 0..1 + rng.next() % 3 {
                path.push(format!(
                    "{}{}",
                    rng.pick(NAMES),
                    rng.pick(&["", ".vault", "b", "v"])
                ));
            }
            let sieved = list.matched(&path, &anchors).is_some();
            let one_by_one = list
                .patterns()
                .iter()
                .rev()
                .find(|p| p.matches(&path, &anchors, &mut || false))
                .is_some_and(|p| !p.negated);
            assert_eq!(sieved, one_by_one, "{pattern:?} against {}", path.display());
            matched += usize::from(sieved);
        }
    }
    assert!(
        matched > 1000,
        "the generator should produce matches: {matched}"
    );
}
