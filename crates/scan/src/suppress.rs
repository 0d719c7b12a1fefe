//! What a human told `ztguard scan` to leave out: `.ztguardignore` (paths,
//! gitignore syntax), `.gitleaksignore` (gitleaks fingerprints) and inline
//! comments naming rules.
//!
//! Inline forms, on the finding's line (or `-next-line` on the line before):
//!
//! - `ztguard:ignore[py-eval]`, `ztguard:ignore py-eval, js-eval`: those rules.
//! - `ztguard:ignore` with no rule: every code and dependency finding on the
//!   line, but never a secret — a secret is silenced only by naming its rule.
//! - `ztguard:allow` (and `gitleaks:allow`, `pragma: allowlist secret`,
//!   `ztguard:allow-next-line`): the older form, kept as it was: everything
//!   on the line.
//!
//! The hook honours none of these: the agent writes comments too.

use std::path::Path;

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::report::{Item, Kind, Report};

/// The file of path patterns `ztguard scan` skips (gitignore syntax).
pub const IGNORE_FILE: &str = ".ztguardignore";
/// gitleaks' file of accepted findings, read for compatibility.
pub const GITLEAKS_IGNORE_FILE: &str = ".gitleaksignore";

const IGNORE_MARK: &str = "ztguard:ignore";
const IGNORE_NEXT_MARK: &str = "ztguard:ignore-next-line";
const ALLOW_MARKS: &[&str] = &[
    "ztguard:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];
const ALLOW_NEXT_MARKS: &[&str] = &[
    "ztguard:allow-next-line",
    "pragma: allowlist nextline secret",
];

/// An inline marker found on a line: the rules it names (none: all but secrets).
#[derive(Debug, PartialEq, Eq)]
enum Mark {
    /// `ztguard:allow` and its kin: everything on the line.
    Allow,
    /// `ztguard:ignore…`: the named rules, or with none, every non-secret finding.
    Ignore(Vec<String>),
}

/// The rule codes after a marker: `[a, b]` or `a b` / `a, b` to the end of
/// the comment.
fn rule_codes(rest: &str) -> Vec<String> {
    let rest = rest.trim_start();
    let list = if let Some(inner) = rest.strip_prefix('[') {
        inner.split(']').next().unwrap_or("")
    } else if rest.starts_with([' ', '\t', ':', '=']) || rest.is_empty() {
        rest.trim_start_matches([':', '='])
    } else {
        // `ztguard:ignored`: not the marker.
        return Vec::new();
    };
    list.split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .take_while(|w| {
            w.bytes()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        })
        .map(str::to_string)
        .collect()
}

fn marks(line: &str, same_line: bool) -> Vec<Mark> {
    let mut out = Vec::new();
    let (allow, ignore) = if same_line {
        (ALLOW_MARKS, IGNORE_MARK)
    } else {
        (ALLOW_NEXT_MARKS, IGNORE_NEXT_MARK)
    };
    let next_allow = ALLOW_NEXT_MARKS.iter().any(|m| line.contains(m));
    if allow.iter().any(|m| line.contains(m)) && (!same_line || !next_allow) {
        out.push(Mark::Allow);
    }
    let mut from = 0;
    while let Some(i) = line[from..].find(ignore) {
        let at = from + i + ignore.len();
        from = at;
        let rest = &line[at..];
        if same_line && rest.starts_with("-next-line") {
            continue;
        }
        // `ztguard:ignored` is a word, not the marker.
        if rest.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            continue;
        }
        out.push(Mark::Ignore(rule_codes(rest)));
    }
    out
}

fn covers(mark: &Mark, item: &Item) -> bool {
    match mark {
        Mark::Allow => true,
        Mark::Ignore(rules) if rules.is_empty() => item.kind != Kind::Secret,
        Mark::Ignore(rules) => rules.iter().any(|r| r == &item.rule_id),
    }
}

/// Whether inline comments on `line` (or `previous`) silence `item`.
pub fn inline_ignored(item: &Item, line: &str, previous: Option<&str>) -> bool {
    marks(line, true).iter().any(|m| covers(m, item))
        || previous.is_some_and(|p| marks(p, false).iter().any(|m| covers(m, item)))
}

/// `.ztguardignore` and `.gitleaksignore` at a scan's root.
#[derive(Default)]
pub struct Ignores {
    paths: Option<Gitignore>,
    /// `file:rule:line` entries of `.gitleaksignore` (a leading commit dropped).
    fingerprints: Vec<(String, String, usize)>,
}

impl Ignores {
    /// Read both files under `root`; a missing file is no entry. A file
    /// that exists and cannot be read or parsed is an error: skipping it
    /// silently would report what the human said to leave out, or worse,
    /// hide that their ignore file is broken.
    pub fn load(root: &Path) -> Result<Ignores, String> {
        let mut out = Ignores::default();
        let ignore = root.join(IGNORE_FILE);
        if ignore.is_file() {
            let mut b = GitignoreBuilder::new(root);
            if let Some(e) = b.add(&ignore) {
                return Err(format!("{}: {e}", ignore.display()));
            }
            out.paths = Some(
                b.build()
                    .map_err(|e| format!("{}: {e}", ignore.display()))?,
            );
        }
        let gl = root.join(GITLEAKS_IGNORE_FILE);
        if gl.is_file() {
            let text =
                std::fs::read_to_string(&gl).map_err(|e| format!("{}: {e}", gl.display()))?;
            out.fingerprints = parse_gitleaksignore(&text);
        }
        Ok(out)
    }

    /// Whether a `/`-separated path relative to the root is ignored.
    pub fn path_ignored(&self, path: &str) -> bool {
        self.paths.as_ref().is_some_and(|g| {
            g.matched_path_or_any_parents(Path::new(path), false)
                .is_ignore()
        })
    }

    fn fingerprint_ignored(&self, item: &Item) -> bool {
        self.fingerprints.iter().any(|(file, rule, line)| {
            *line == item.line && rule == &item.rule_id && file == &item.path
        })
    }

    /// Drop what the files accept from the report, counting it.
    pub fn apply(&self, report: &mut Report) {
        let before = report.findings.len();
        report
            .findings
            .retain(|i| !self.path_ignored(&i.path) && !self.fingerprint_ignored(i));
        report.ignored += before - report.findings.len();
    }
}

/// gitleaks fingerprints: `file:rule:line` or `commit:file:rule:line`, one
/// a line, `#` comments. The file may itself contain `:`.
fn parse_gitleaksignore(text: &str) -> Vec<(String, String, usize)> {
    let mut out = Vec::new();
    for l in text.lines() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let Some((rest, line)) = l.rsplit_once(':') else {
            continue;
        };
        let Some((rest, rule)) = rest.rsplit_once(':') else {
            continue;
        };
        let Ok(line) = line.trim().parse::<usize>() else {
            continue;
        };
        // A 40-hex (or 64-hex) commit before the file is dropped.
        let file = match rest.split_once(':') {
            Some((commit, file))
                if matches!(commit.len(), 40 | 64)
                    && commit.bytes().all(|c| c.is_ascii_hexdigit()) =>
            {
                file
            }
            _ => rest,
        };
        out.push((
            file.trim_start_matches("./").to_string(),
            rule.to_string(),
            line,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: Kind, rule: &str) -> Item {
        Item::sample(kind, rule, "src/a.py", 3)
    }

    #[test]
    fn inline_forms() {
        let code = item(Kind::Code, "py-eval");
        let secret = item(Kind::Secret, "github-pat");
        // Named rules, in brackets or after a space, comma-separated or not.
        for line in [
            "eval(x)  # ztguard:ignore[py-eval]",
            "eval(x)  # ztguard:ignore[py-sql-injection, py-eval]",
            "eval(x)  // ztguard:ignore py-eval",
            "eval(x)  # ztguard:ignore js-eval,py-eval reviewed",
            "eval(x)  # ztguard:ignore: py-eval",
        ] {
            assert!(inline_ignored(&code, line, None), "{line}");
        }
        // Another rule named: not this one.
        assert!(!inline_ignored(
            &code,
            "eval(x) # ztguard:ignore[js-eval]",
            None
        ));
        // Bare: every code finding, never a secret.
        assert!(inline_ignored(&code, "eval(x) # ztguard:ignore", None));
        assert!(!inline_ignored(
            &secret,
            "t = 'ghp_x' # ztguard:ignore",
            None
        ));
        assert!(!inline_ignored(
            &secret,
            "t = 'ghp_x' # ztguard:ignore[py-eval]",
            None
        ));
        assert!(inline_ignored(
            &secret,
            "t = 'ghp_x' # ztguard:ignore[github-pat]",
            None
        ));
        // A word that merely starts like the marker is not one.
        assert!(!inline_ignored(&code, "eval(x) # ztguard:ignored", None));
        // The next-line forms cover only the next line.
        assert!(inline_ignored(
            &code,
            "eval(x)",
            Some("# ztguard:ignore-next-line[py-eval]")
        ));
        assert!(!inline_ignored(
            &code,
            "eval(x) # ztguard:ignore-next-line[py-eval]",
            None
        ));
        assert!(!inline_ignored(
            &secret,
            "t = 1",
            Some("# ztguard:ignore-next-line")
        ));
        // The older markers keep working, for every kind.
        assert!(inline_ignored(&secret, "t = 1 # gitleaks:allow", None));
        assert!(inline_ignored(&code, "eval(x) # ztguard:allow", None));
        assert!(inline_ignored(
            &code,
            "eval(x)",
            Some("# ztguard:allow-next-line")
        ));
        assert!(!inline_ignored(
            &code,
            "eval(x) # ztguard:allow-next-line",
            None
        ));
        assert!(!inline_ignored(&code, "eval(x)", Some("# ztguard:allow")));
    }

    #[test]
    fn gitleaksignore_fingerprints() {
        let fps = parse_gitleaksignore(
            "# reviewed\n\nconfig/app.py:generic-api-key:12\n\
             0123456789abcdef0123456789abcdef01234567:tests/a:b.py:jwt:4\nnot a fingerprint\n",
        );
        assert_eq!(
            fps,
            vec![
                ("config/app.py".into(), "generic-api-key".into(), 12),
                ("tests/a:b.py".into(), "jwt".into(), 4),
            ]
        );
    }
}
