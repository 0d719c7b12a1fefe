//! Test support: the labelled corpora of public projects that the tests and
//! benchmarks read from `../shared/data` beside the repository. They are
//! never copied into it (licences, and secret-shaped strings that would set
//! off scanners).
//!
//! Every file is TSV with a header line; fields escape backslash, newline,
//! carriage return and tab as `\\`, `\n`, `\r`, `\t`.

use std::path::PathBuf;

/// Where the corpora are: `shared/data` beside the repository.
pub fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// A corpus file's text. Missing: `None` with a note on a developer's
/// machine, a panic under CI (`CI` set), where the corpora must be present.
pub fn read(name: &str) -> Option<String> {
    let path = dir().join(name);
    match std::fs::read_to_string(&path) {
        Ok(t) => Some(t),
        Err(e) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have the corpus at {}: {e}",
                path.display()
            );
            eprintln!("corpus not found at {} ({e}); skipping", path.display());
            None
        }
    }
}

/// Undo the TSV escapes, left to right in one pass.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some(o) => {
                out.push('\\');
                out.push(o);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The rows after the header, each field unescaped; at most `fields` fields
/// (the last keeps any further tabs).
pub fn rows(text: &str, fields: usize) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| l.splitn(fields, '\t').map(unescape).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unescapes_in_one_pass() {
        assert_eq!(unescape(r"a\nb\\n\tc\\"), "a\nb\\n\tc\\");
        assert_eq!(unescape(r"\q"), r"\q");
    }

    #[test]
    fn rows_skip_the_header() {
        let r = rows("h1\th2\na\tb\\nc\tx\n", 2);
        assert_eq!(r, vec![vec!["a".to_string(), "b\nc\tx".to_string()]]);
    }
}
