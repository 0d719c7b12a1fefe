//! Scanning what a change adds: `git diff -U0` output, parsed into runs of
//! added lines per file with their line numbers in the new version. Only
//! added lines are checked, as gitleaks does: a removal cannot leak.

use std::path::Path;
use std::process::Command;

use crate::checks::Checks;
use crate::report::Report;

/// A run of consecutive added lines.
#[derive(Debug, PartialEq, Eq)]
pub struct Hunk {
    pub path: String,
    /// Line number of the first added line in the new file.
    pub start: usize,
    pub text: String,
}

/// Parse unified diff output (any context size; only `+` lines are kept).
pub fn parse(diff: &str) -> Vec<Hunk> {
    let mut out: Vec<Hunk> = Vec::new();
    let mut path: Option<String> = None;
    let mut next_line = 0usize;
    let mut current: Option<Hunk> = None;
    let flush = |current: &mut Option<Hunk>, out: &mut Vec<Hunk>| {
        if let Some(h) = current.take() {
            out.push(h);
        }
    };
    for line in diff.lines() {
        if let Some(p) = line.strip_prefix("+++ ") {
            flush(&mut current, &mut out);
            path = if p == "/dev/null" {
                None
            } else {
                Some(p.strip_prefix("b/").unwrap_or(p).to_string())
            };
            continue;
        }
        if line.starts_with("diff --git ") || line.starts_with("--- ") {
            flush(&mut current, &mut out);
            continue;
        }
        if let Some(rest) = line.strip_prefix("@@ ") {
            flush(&mut current, &mut out);
            // @@ -a,b +c,d @@
            next_line = rest
                .split_whitespace()
                .find_map(|t| t.strip_prefix('+'))
                .and_then(|t| t.split(',').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(1);
            continue;
        }
        let Some(p) = &path else { continue };
        if let Some(added) = line.strip_prefix('+') {
            match &mut current {
                Some(h) => {
                    h.text.push('\n');
                    h.text.push_str(added);
                }
                None => {
                    current = Some(Hunk {
                        path: p.clone(),
                        start: next_line,
                        text: added.to_string(),
                    })
                }
            }
            next_line += 1;
        } else if line.starts_with(' ') {
            flush(&mut current, &mut out);
            next_line += 1;
        } else if line.starts_with('-') || line.starts_with('\\') {
            flush(&mut current, &mut out);
        }
    }
    flush(&mut current, &mut out);
    out
}

/// What to diff.
pub enum Source<'a> {
    /// The index against HEAD: what `git commit` would record.
    Staged,
    /// The work tree against a revision (`main`, `HEAD~3`, `origin/main...`).
    Rev(&'a str),
}

/// Run git and scan the added lines.
pub fn scan_git(checks: &Checks, repo: &Path, source: Source<'_>) -> Result<Report, String> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(repo).args([
        "diff",
        "-U0",
        "--no-color",
        "--no-ext-diff",
        "--no-textconv",
        "--diff-filter=ACMR",
    ]);
    match source {
        Source::Staged => {
            cmd.arg("--cached");
        }
        Source::Rev(rev) => {
            if rev.starts_with('-') {
                return Err(format!("`{rev}` is not a revision"));
            }
            cmd.arg(rev);
        }
    }
    let out = cmd.output().map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git diff failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(scan_hunks(checks, &parse(&text)))
}

/// Check each run of added lines, with line numbers of the new file.
pub fn scan_hunks(checks: &Checks, hunks: &[Hunk]) -> Report {
    let mut report = Report::default();
    let mut files = std::collections::BTreeSet::new();
    for h in hunks {
        files.insert(h.path.as_str());
        report.bytes_scanned += h.text.len() as u64;
        let (items, silenced) = checks.check_counted(&h.path, &h.text);
        report.ignored += silenced;
        for mut item in items {
            item.line += h.start - 1;
            item.end_line += h.start - 1;
            report.findings.push(item);
        }
    }
    report.files_scanned = files.len();
    report.sort();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_added_lines_with_new_numbers() {
        let diff = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -3,0 +4,2 @@ def f():\n+a = 1\n+b = 2\n@@ -10 +12 @@\n-old\n+new\ndiff --git a/gone b/gone\n--- a/gone\n+++ /dev/null\n@@ -1 +0,0 @@\n-x\n";
        let h = parse(diff);
        assert_eq!(
            h,
            vec![
                Hunk {
                    path: "x.py".into(),
                    start: 4,
                    text: "a = 1\nb = 2".into()
                },
                Hunk {
                    path: "x.py".into(),
                    start: 12,
                    text: "new".into()
                },
            ]
        );
    }

    #[test]
    fn context_lines_split_runs() {
        let diff = "+++ b/a\n@@ -1,3 +1,4 @@\n+x\n y\n+z\n";
        let h = parse(diff);
        assert_eq!(h.len(), 2);
        assert_eq!((h[0].start, h[1].start), (1, 3));
    }
}
