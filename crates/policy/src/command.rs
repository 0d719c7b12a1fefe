//! Command patterns: argv words with wildcards.
//!
//! `git status` matches exactly `git status`; `git status *` also matches any
//! further arguments; a `*` word in the middle matches any number of words
//! (`git push * --force *`); `*` inside a word matches within it (`python3*`).
//! The command word matches by basename (`/usr/bin/git` is `git`) unless the
//! pattern's first word contains a `/` (`./gradlew test *`).

use ztguard_paths::wildmatch;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandPattern {
    pub source: String,
    words: Vec<String>,
}

impl CommandPattern {
    pub fn parse(source: &str) -> Result<CommandPattern, String> {
        let words: Vec<String> = split_words(source);
        if words.is_empty() {
            return Err("empty command pattern".into());
        }
        Ok(CommandPattern {
            source: source.trim().to_string(),
            words,
        })
    }

    /// Words without wildcards: how specific the pattern is (more wins between ask and allow).
    pub fn specificity(&self) -> usize {
        self.words
            .iter()
            .filter(|w| !w.contains(['*', '?', '[']))
            .count()
    }

    /// Is this the catch-all `*`?
    pub fn is_catch_all(&self) -> bool {
        self.words.iter().all(|w| w == "*")
    }

    pub fn matches(&self, argv: &[&str]) -> bool {
        let Some((first, rest)) = argv.split_first() else {
            return false;
        };
        let p0 = &self.words[0];
        let name = if p0.contains('/') {
            first
        } else {
            ztguard_shell::command_basename(first)
        };
        if p0 == "*" {
            return match_words(&self.words, argv);
        }
        if !wildmatch(p0, name) {
            return false;
        }
        match_words(&self.words[1..], rest)
    }
}

fn match_words(pat: &[String], argv: &[&str]) -> bool {
    match pat.split_first() {
        None => argv.is_empty(),
        Some((w, rest)) if w == "*" => (0..=argv.len()).any(|i| match_words(rest, &argv[i..])),
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
}
