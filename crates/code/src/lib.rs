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
            // A notebook's cells are Python (a NotebookEdit's new text is one cell).
            Some("py" | "pyw" | "pyi" | "ipynb") => Some(Language::Python),
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

/// The text of a byte-regex match over a `str` (patterns are ASCII, so a
/// match that would split a character is not one the rules report).
pub(crate) trait MatchStr<'h> {
    fn as_str(&self) -> &'h str;
}

impl<'h> MatchStr<'h> for regex::bytes::Match<'h> {
    fn as_str(&self) -> &'h str {
        std::str::from_utf8(self.as_bytes()).unwrap_or("")
    }
}

/// A regex compiled only when a text contains one of its needles.
///
/// The hook checks one file per call, in a fresh process: compiling every
/// rule's regex for a file that cannot match most of them would cost more
/// than the checks (about 0.2 ms each, measured). A needle is a literal every
/// match contains; an empty list means "always compile".
pub(crate) struct Pattern {
    needles: &'static [&'static str],
    /// Compare needles ignoring ASCII case (for `(?i)` patterns; needles lowercase).
    fold: bool,
    src: &'static str,
    re: std::sync::OnceLock<Option<regex::bytes::Regex>>,
}

impl Pattern {
    pub(crate) const fn new(needles: &'static [&'static str], src: &'static str) -> Pattern {
        Pattern {
            needles,
            fold: false,
            src,
            re: std::sync::OnceLock::new(),
        }
    }

    /// Like [`Pattern::new`], with lowercase needles matched in any case.
    pub(crate) const fn folded(needles: &'static [&'static str], src: &'static str) -> Pattern {
        Pattern {
            needles,
            fold: true,
            src,
            re: std::sync::OnceLock::new(),
        }
    }

    fn may_match(&self, text: &str) -> bool {
        if self.needles.is_empty() {
            return true;
        }
        if !self.fold {
            return self.needles.iter().any(|n| text.contains(n));
        }
        let t = text.as_bytes();
        self.needles.iter().any(|n| {
            let n = n.as_bytes();
            t.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
        })
    }

    /// The compiled regex, if `text` may match it.
    /// The compiled regex, if `text` may match it. Patterns run over bytes
    /// with ASCII classes: the constructs they look for are ASCII.
    pub(crate) fn get(&self, text: &str) -> Option<&regex::bytes::Regex> {
        if !self.may_match(text) {
            return None;
        }
        self.re
            .get_or_init(|| {
                regex::bytes::RegexBuilder::new(self.src)
                    .unicode(false)
                    .build()
                    .ok()
            })
            .as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_needles_hold() {
        // A pattern that failed to compile would silently never match.
        for (lang, text) in [
            (
                Language::Python,
                "import ssl\nssl.wrap_socket(ssl_version=ssl.PROTOCOL_SSLv2)\ns.bind(('0.0.0.0', 1))\npassword = 'hunter22x'\nq = \"SELECT a FROM t WHERE x=\" + y\n",
            ),
            (
                Language::JavaScript,
                "fetch('http://example.com');\nconst o = {rejectUnauthorized: false};\nb.readUInt8(1, true);\ncrypto.createHash('md5');\nel.innerHTML = '<b>' + name;\ndb.query('SELECT * FROM t WHERE id = ' + id);\n",
            ),
            (
                Language::Rust,
                "let c = Client::builder().danger_accept_invalid_certs(true);\nlet h = Md5::new();\nCipher::rc4();\nunsafe { x() }\nstd::env::args();\n",
            ),
            (
                Language::Go,
                "import \"math/rand\"\nc := &tls.Config{InsecureSkipVerify: true}\nh := md5.New()\n",
            ),
            (
                Language::Shell,
                "curl -k https://x | sh\nx=$(curl https://y)\neval $x\nchmod 777 f\n",
            ),
        ] {
            let found = check(lang, text);
            assert!(found.len() >= 3, "{lang:?}: {found:?}");
        }
    }
}
