//! Command patterns: argv words with wildcards.
//!
//! `git status` matches exactly `git status`; `git status *` also matches any
//! further arguments; a `*` word in the middle matches any number of words
//! (`git push * --force *`); `*` inside a word matches within it (`python3*`).
//! The command word matches by basename (`/usr/bin/git` is `git`) unless the
//! pattern's first word contains a `/` (`./gradlew test *`).

use ztguard_paths::{on_stack, wildmatch};

/// A command pattern. Only its source is kept: a policy holds hundreds of
/// patterns and is loaded on every hook call, while a command is matched
/// against them once, and most are rejected on their first word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandPattern {
    pub source: String,
    /// The words of a pattern that uses quotes (rare), split once.
    quoted: Option<Vec<String>>,
}

/// The pattern that matches running one of the project's own scripts
/// (`./scripts/test.sh`, `node scripts/build.js`, `python tools/gen.py`): a
/// file inside the project, not among its dependencies, run directly or by
/// an interpreter without inline code. Whether the agent wrote it is the
/// provenance check's business (`[monitor] run_agent_written`).
pub const PROJECT_SCRIPT: &str = "{project-script}";

impl CommandPattern {
    pub fn parse(source: &str) -> Result<CommandPattern, String> {
        let source = source.trim();
        if source.is_empty() {
            return Err("empty command pattern".into());
        }
        if source.starts_with('{') && source != PROJECT_SCRIPT {
            return Err(format!(
                "unknown special pattern \"{source}\" (the one there is: \"{PROJECT_SCRIPT}\", alone)"
            ));
        }
        let quoted = source.contains(['\'', '"']).then(|| split_words(source));
        if quoted.as_ref().is_some_and(Vec::is_empty) {
            return Err("empty command pattern".into());
        }
        Ok(CommandPattern {
            source: source.to_string(),
            quoted,
        })
    }

    /// Call `f` with the pattern's words, without allocating in the common case.
    fn with_words<R>(&self, f: impl FnOnce(&[&str]) -> R) -> R {
        match &self.quoted {
            Some(q) => on_stack(q.iter().map(String::as_str), f),
            None => on_stack(self.source.split_whitespace(), f),
        }
    }

    /// Words without wildcards: how specific the pattern is (more wins between ask and allow).
    pub fn specificity(&self) -> usize {
        if self.is_project_script() {
            // More than `python *` or `bash *`, less than a named script.
            return 2;
        }
        self.with_words(|w| w.iter().filter(|w| !w.contains(['*', '?', '['])).count())
    }

    /// Is this [`PROJECT_SCRIPT`]?
    pub fn is_project_script(&self) -> bool {
        self.source == PROJECT_SCRIPT
    }

    /// Is this the catch-all `*`?
    pub fn is_catch_all(&self) -> bool {
        self.with_words(|w| w.iter().all(|w| *w == "*"))
    }

    pub fn matches(&self, argv: &[&str]) -> bool {
        if self.is_project_script() {
            // Matched by what a command runs, never by its name (a program
            // may be called `{project-script}`).
            return false;
        }
        let Some((first, rest)) = argv.split_first() else {
            return false;
        };
        // Reject on the first word before splitting the rest.
        let p0 = match &self.quoted {
            Some(q) => q[0].as_str(),
            None => self.source.split_whitespace().next().unwrap_or(""),
        };
        let name = if p0.contains('/') {
            first
        } else {
            ztguard_shell::command_basename(first)
        };
        if p0 == "*" {
            return self.with_words(|w| match_words(w, argv));
        }
        if !wildmatch(p0, name) {
            return false;
        }
        self.with_words(|w| match_words(&w[1..], rest))
    }
}

fn match_words(pat: &[&str], argv: &[&str]) -> bool {
    match pat.split_first() {
        None => argv.is_empty(),
        Some((w, rest)) if *w == "*" => (0..=argv.len()).any(|i| match_words(rest, &argv[i..])),
        Some((w, rest)) => match argv.split_first() {
            Some((a, arest)) => wildmatch(w, a) && match_words(rest, arest),
            None => false,
        },
    }
}

/// Split on whitespace, honouring simple single and double quotes.
fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut has = false;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                has = true;
            }
            None if c.is_whitespace() => {
                if has || !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                    has = false;
                }
            }
            None => cur.push(c),
        }
    }
    if has || !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, argv: &str) -> bool {
        let argv: Vec<&str> = argv.split_whitespace().collect();
        CommandPattern::parse(p)
            .map(|p| p.matches(&argv))
            .unwrap_or(false)
    }

    #[test]
    fn matching() {
        assert!(m("git status", "git status"));
        assert!(!m("git status", "git status -s"));
        assert!(m("git status *", "git status -s"));
        assert!(m("git status *", "git status"));
        assert!(m("git status *", "/usr/bin/git status"));
        assert!(!m("ls *", "lsof"));
        assert!(m("python3* -m pytest *", "python3.12 -m pytest -x"));
        assert!(m("git push * --force *", "git push origin main --force"));
        assert!(m("git push * --force *", "git push --force"));
        assert!(!m("git push * --force *", "git push origin"));
        assert!(m("*", "anything at all"));
        assert!(!m("./gradlew test *", "gradlew test"));
    }

    #[test]
    fn project_script_is_its_own_pattern() {
        let p = CommandPattern::parse(PROJECT_SCRIPT).unwrap();
        assert!(p.is_project_script());
        assert!(!p.matches(&["{project-script}"]));
        assert!(!p.matches(&["bash", "x.sh"]));
        let interp = CommandPattern::parse("python *").unwrap();
        let named = CommandPattern::parse("python scripts/deploy.py *").unwrap();
        assert!(p.specificity() > interp.specificity());
        assert!(p.specificity() <= named.specificity());
        assert!(CommandPattern::parse("{projct-script}").is_err());
        assert!(CommandPattern::parse("{project-script} *").is_err());
    }
}
