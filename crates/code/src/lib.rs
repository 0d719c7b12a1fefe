/*!
Insecure-code checks for what an agent writes, in Python,
JavaScript/TypeScript, Rust, Go and shell.

Each rule looks for a dangerous sink (a shell, a SQL execute, `eval`, a
deserializer, a TLS switch, a weak hash) and decides from the argument
whether it is a problem: a literal command, a parameterized query or a safe
loader is not flagged; a value built from run-time data is. Every finding
carries a CWE id and a fix.

The checks run on fragments as well as whole files (an Edit's new text), so
they work on a light [`source`] model rather than a parser that would give
up on incomplete code.
*/

mod go;
mod javascript;
mod python;
mod rust;
mod shell;
pub mod source;

use source::Source;

/// A language the checks understand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    Python,
    JavaScript,
    Rust,
    Go,
    Shell,
}

impl Language {
    /// By file name (extension, or a shell script's usual names).
    pub fn from_path(path: &str) -> Option<Language> {
        let name = path.rsplit('/').next().unwrap_or(path);
        let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        match ext.as_deref() {
            Some("py" | "pyw" | "pyi") => Some(Language::Python),
            Some("js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx") => {
                Some(Language::JavaScript)
            }
            Some("rs") => Some(Language::Rust),
            Some("go") => Some(Language::Go),
            Some("sh" | "bash" | "zsh" | "ksh") => Some(Language::Shell),
            _ => None,
        }
    }

    /// By name, as given to `--language` or in a test table.
    pub fn from_name(name: &str) -> Option<Language> {
        match name.to_ascii_lowercase().as_str() {
            "python" | "py" => Some(Language::Python),
            "javascript" | "js" | "typescript" | "ts" => Some(Language::JavaScript),
            "rust" | "rs" => Some(Language::Rust),
            "go" | "golang" => Some(Language::Go),
            "shell" | "sh" | "bash" => Some(Language::Shell),
            _ => None,
        }
    }
}

/// How bad a finding is. Low findings are hygiene advice.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// One insecure pattern found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: &'static str,
    pub title: &'static str,
    pub cwe: &'static str,
    pub severity: Severity,
    pub line: usize,
    pub column: usize,
    /// What was found, quoting the call.
    pub message: String,
    pub fix: &'static str,
}

/// A rule's fixed description.
pub(crate) struct Rule {
    pub id: &'static str,
    pub title: &'static str,
    pub cwe: &'static str,
    pub severity: Severity,
    pub fix: &'static str,
}

impl Rule {
    pub(crate) fn at(&self, src: &Source<'_>, offset: usize, what: &str) -> Finding {
        let (line, column) = src.position(offset);
        let what: String = what.split_whitespace().collect::<Vec<_>>().join(" ");
        let what = if what.chars().count() > 80 {
            format!("{}…", what.chars().take(80).collect::<String>())
        } else {
            what
        };
        Finding {
            rule_id: self.id,
            title: self.title,
            cwe: self.cwe,
            severity: self.severity,
            line,
            column,
            message: format!("{} ({}): `{what}`", self.title, self.cwe),
            fix: self.fix,
        }
    }
}

/// Check a text in a language.
pub fn check(lang: Language, text: &str) -> Vec<Finding> {
    let src = Source::new(lang, text);
    let mut out = match lang {
        Language::Python => python::check(&src),
        Language::JavaScript => javascript::check(&src),
        Language::Rust => rust::check(&src),
        Language::Go => go::check(&src),
        Language::Shell => shell::check(&src),
    };
    out.sort_by_key(|f| (f.line, f.column, f.rule_id));
    out.dedup_by_key(|f| (f.line, f.rule_id));
    out
}

/// Byte offset of the first match of `re` in the comment-masked code, for line-level rules.
pub(crate) fn each_match<'s>(
    src: &'s Source<'_>,
    re: &'s regex::Regex,
) -> impl Iterator<Item = regex::Match<'s>> + 's {
    re.find_iter(&src.code)
}
