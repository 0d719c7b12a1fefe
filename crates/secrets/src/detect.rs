//! The detector: a keyword prefilter picks the rules worth running on a
//! text, each rule's regex is compiled the first time it is needed, and
//! every candidate passes entropy, allowlists and the placeholder filter.
//!
//! Why lazy compilation: the hook scans one file per Write and most files
//! mention a handful of keywords, so it compiles a handful of regexes
//! instead of all of them (compiling the whole built-in set costs tens of
//! milliseconds; a typical Write pays well under one).

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Regex, RegexBuilder};

use crate::config::{RawAllowlist, RawConfig, RawRule};
use crate::entropy::shannon;
use crate::filter;
use crate::redact::{Redacted, redact_secret};

/// Below this size the keywords are looked for one by one (see [`Ruleset::automaton`]).
const SMALL_TEXT: usize = 2048;

/// Large alternations (gitleaks' stopword lists) need more than the default.
const REGEX_SIZE_LIMIT: usize = 64 << 20;

/// Patterns run over bytes with ASCII classes (`\w`, `\s`, `\b`, `(?i)`):
/// credentials are ASCII, compiling is tens of times cheaper than over all of
/// Unicode, and the binary carries no Unicode tables (whose relocations every
/// hook start would pay). A pattern that needs a Unicode class (`\p{L}`) is
/// reported by [`Ruleset::validate`] as not compiling.
fn compile(src: &str) -> Result<Regex, String> {
    RegexBuilder::new(&go_compat(src))
        .unicode(false)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| e.to_string())
}

/// RE2 (gitleaks' engine) reads a `{` that does not start a valid
/// repetition as a literal; Rust's regex rejects it. Escape those.
fn go_compat(src: &str) -> std::borrow::Cow<'_, str> {
    if !src.contains('{') {
        return std::borrow::Cow::Borrowed(src);
    }
    let b = src.as_bytes();
    let mut out = String::with_capacity(src.len() + 8);
    let mut i = 0;
    let mut class = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            let next = src[i + 1..].chars().next().map_or(0, char::len_utf8);
            out.push_str(&src[i..i + 1 + next]);
            i += 1 + next;
            continue;
        }
        if class {
            if c == b']' {
                class = false;
            }
        } else if c == b'[' {
            class = true;
            // `[]` and `[^]` start a class whose first member is `]`.
            let mut j = i + 1;
            if b.get(j) == Some(&b'^') {
                j += 1;
            }
            if b.get(j) == Some(&b']') {
                out.push_str(&src[i..=j]);
                i = j + 1;
                continue;
            }
        } else if c == b'{' && !valid_repetition(&b[i + 1..]) {
            out.push_str("\\{");
            i += 1;
            continue;
        }
        let len = src[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&src[i..i + len]);
        i += len;
    }
    std::borrow::Cow::Owned(out)
}

/// `n}`, `n,}` or `n,m}`.
fn valid_repetition(rest: &[u8]) -> bool {
    let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
    let n = digits(rest);
    if n == 0 {
        return false;
    }
    match rest.get(n) {
        Some(b'}') => true,
        Some(b',') => {
            let m = digits(&rest[n + 1..]);
            rest.get(n + 1 + m) == Some(&b'}')
        }
        _ => false,
    }
}

/// A regex compiled on first use. A pattern that does not compile is
/// reported by [`Ruleset::validate`]; at scan time it matches nothing.
#[derive(Debug)]
struct Lazy {
    src: String,
    re: OnceLock<Option<Regex>>,
}

impl Lazy {
    fn new(src: String) -> Lazy {
        Lazy {
            src,
            re: OnceLock::new(),
        }
    }
    fn get(&self) -> Option<&Regex> {
        self.re.get_or_init(|| compile(&self.src).ok()).as_ref()
    }
    fn is_ready(&self) -> bool {
        self.re.get().is_some()
    }
}

/// Join patterns into one alternation (one compile instead of many).
fn alternation(patterns: &[String]) -> Option<Lazy> {
    if patterns.is_empty() {
        return None;
    }
    let joined: Vec<String> = patterns.iter().map(|p| format!("(?:{p})")).collect();
    Some(Lazy::new(joined.join("|")))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Secret,
    Match,
    Line,
}

#[derive(Debug)]
struct Allowlist {
    all: bool,
    paths: Option<Lazy>,
    regexes: Option<Lazy>,
    target: Target,
    stopwords: Vec<String>,
    target_rules: Vec<String>,
}

impl Allowlist {
    fn new(raw: &RawAllowlist) -> Allowlist {
        Allowlist {
            all: raw
                .condition
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("and")),
            paths: alternation(&raw.paths),
            regexes: alternation(&raw.regexes),
            target: match raw.regex_target.as_deref() {
                Some("match") => Target::Match,
                Some("line") => Target::Line,
                _ => Target::Secret,
            },
            stopwords: raw.stopwords.iter().map(|s| s.to_lowercase()).collect(),
            target_rules: raw.target_rules.clone(),
        }
    }

    /// Whether the path alone allows everything in a file (global OR lists).
    fn allows_path(&self, path: Option<&str>) -> bool {
        !self.all
            && self.paths.as_ref().is_some_and(|p| {
                path.is_some_and(|path| p.get().is_some_and(|re| re.is_match(path.as_bytes())))
            })
    }

    fn allows(&self, c: &Candidate<'_>) -> bool {
        let mut checks: Vec<bool> = Vec::with_capacity(3);
        if let Some(p) = &self.paths {
            checks.push(
                c.path
                    .is_some_and(|path| p.get().is_some_and(|re| re.is_match(path.as_bytes()))),
            );
        }
        if let Some(r) = &self.regexes {
            let hay = match self.target {
                Target::Secret => c.secret,
                Target::Match => c.matched,
                Target::Line => c.line,
            };
            checks.push(r.get().is_some_and(|re| re.is_match(hay.as_bytes())));
        }
        if !self.stopwords.is_empty() {
            let s = c.secret.to_lowercase();
            checks.push(self.stopwords.iter().any(|w| s.contains(w.as_str())));
        }
        if checks.is_empty() {
            return false;
        }
        if self.all {
            checks.iter().all(|&b| b)
        } else {
            checks.iter().any(|&b| b)
        }
    }
}

struct Candidate<'a> {
    path: Option<&'a str>,
    secret: &'a str,
    matched: &'a str,
    line: &'a str,
}

#[derive(Debug)]
struct Rule {
    id: String,
    description: String,
    fix: Option<String>,
    regex: Option<Lazy>,
    path: Option<Lazy>,
    secret_group: Option<usize>,
    entropy: Option<f64>,
    allowlists: Vec<Allowlist>,
    generic: bool,
}

/// A secret found in a text. It never holds the secret itself: only a
/// redacted form and hashes (for baselines and de-duplication).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Finding {
    pub rule_id: String,
    pub description: String,
    /// 1-based line and column (in characters) of the secret.
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// Byte range of the secret in the scanned text.
    #[serde(skip)]
    pub span: (usize, usize),
    pub secret: Redacted,
    /// SHA-256 of the rule id and the secret: recognises it again (baselines).
    pub secret_hash: String,
    pub entropy: f64,
    /// How to fix it.
    pub fix: String,
    /// A generic rule (a secret-looking name with some value) rather than a
    /// provider's recognisable format: weaker evidence of a real credential.
    #[serde(skip)]
    pub generic: bool,
}

/// A compiled rule set.
pub struct Ruleset {
    rules: Vec<Rule>,
    /// Every distinct keyword, lowercase.
    keywords: Vec<String>,
    /// The keyword automaton, built the first time a text is large enough to need it.
    prefilter: OnceLock<Result<AhoCorasick, String>>,
    /// For each keyword (prefilter pattern id), the rules it enables.
    keyword_rules: Vec<Vec<usize>>,
    /// Rules without keywords run on every text.
    always: Vec<usize>,
    global: Vec<Allowlist>,
    /// Honour `ztguard:allow` comments (off in the hook: the agent writes the comments too).
    inline_allow: bool,
}

const DEFAULT_FIX: &str = "remove the value from the file and read it from the environment or a secret manager at run time; if it was ever committed or shared, revoke it";

impl Ruleset {
    /// The built-in rule set.
    pub fn builtin() -> Result<Ruleset, String> {
        Ruleset::new(RawConfig::builtin()?)
    }

    /// Build a rule set. Only the keyword automaton is built here; regexes
    /// are compiled when a text first needs them.
    pub fn new(cfg: RawConfig) -> Result<Ruleset, String> {
        let mut keywords: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        let mut always = Vec::new();
        let mut rules = Vec::with_capacity(cfg.rules.len());
        for (i, raw) in cfg.rules.into_iter().enumerate() {
            if raw.regex.is_none() && raw.path.is_none() {
                return Err(format!("rule `{}` has neither `regex` nor `path`", raw.id));
            }
            if raw.keywords.is_empty() {
                always.push(i);
            }
            for k in &raw.keywords {
                let k = k.to_lowercase();
                let slot = *index.entry(k.clone()).or_insert_with(|| {
                    keywords.push(k);
                    keyword_rules.push(Vec::new());
                    keyword_rules.len() - 1
                });
                keyword_rules[slot].push(i);
            }
            rules.push(Rule::new(raw));
        }
        let mut global: Vec<Allowlist> = cfg.allowlists.iter().map(Allowlist::new).collect();
        global.extend(cfg.allowlist.as_ref().map(Allowlist::new));
        Ok(Ruleset {
            rules,
            keywords,
            prefilter: OnceLock::new(),
            keyword_rules,
            always,
            global,
            inline_allow: true,
        })
    }

    /// Whether inline allow comments are honoured. The hook turns them off:
    /// an agent could otherwise accept its own secret by writing the comment.
    pub fn set_inline_allow(&mut self, on: bool) {
        self.inline_allow = on;
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Rule ids and descriptions, for SARIF's rule table and `--list-rules`.
    pub fn rules(&self) -> impl Iterator<Item = (&str, &str)> {
        self.rules
            .iter()
            .map(|r| (r.id.as_str(), r.description.as_str()))
    }

    /// Compile every pattern now and list those that fail.
    pub fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let mut check = |what: String, lazy: &Option<Lazy>| {
            if let Some(l) = lazy
                && let Err(e) = compile(&l.src)
            {
                errors.push(format!("{what}: {e}"));
            }
        };
        for r in &self.rules {
            check(format!("rule `{}` regex", r.id), &r.regex);
            check(format!("rule `{}` path", r.id), &r.path);
            for a in &r.allowlists {
                check(format!("rule `{}` allowlist paths", r.id), &a.paths);
                check(format!("rule `{}` allowlist regexes", r.id), &a.regexes);
            }
        }
        for a in &self.global {
            check("global allowlist paths".into(), &a.paths);
            check("global allowlist regexes".into(), &a.regexes);
        }
        errors
    }

    /// The Aho-Corasick automaton over the keywords, for texts of `len`
    /// bytes or more than [`SMALL_TEXT`]. Building it costs about 0.2 ms
    /// for the built-in keywords (measured), more than looking for each
    /// keyword in a small text; the hook mostly sees small edits.
    fn automaton(&self, len: usize) -> Option<&AhoCorasick> {
        if len < SMALL_TEXT && self.prefilter.get().is_none() {
            return None;
        }
        self.prefilter
            .get_or_init(|| {
                AhoCorasickBuilder::new()
                    // Keywords are lowercase and the text is lowercased before the
                    // search: a case-insensitive automaton costs about 0.3 ms more
                    // to build (measured); lowercasing a 10 KB text a few µs.
                    // The contiguous NFA builds faster than a DFA and searches fast enough.
                    .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
                    .match_kind(MatchKind::Standard)
                    .build(&self.keywords)
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .ok()
    }

    /// Whether a global allowlist skips this path entirely (lock files, images…).
    pub fn path_allowed(&self, path: &str) -> bool {
        self.global
            .iter()
            .any(|a| a.target_rules.is_empty() && a.allows_path(Some(path)))
    }

    /// Find the secrets in `text`. `path` (relative, `/`-separated) feeds
    /// path rules and allowlists.
    pub fn scan(&self, path: Option<&str>, text: &str) -> Vec<Finding> {
        // Path allowlists are one large regex: test them up front only once
        // compiled (a tree scan), else only when the text has a finding (the
        // hook's single file, which usually has none, never compiles them).
        let path_lists_ready = self
            .global
            .iter()
            .all(|a| a.paths.as_ref().is_none_or(Lazy::is_ready));
        if path_lists_ready && path.is_some_and(|p| self.path_allowed(p)) {
            return Vec::new();
        }
        let mut selected = vec![false; self.rules.len()];
        for &i in &self.always {
            selected[i] = true;
        }
        if !self.keywords.is_empty() {
            let lower = text.as_bytes().to_ascii_lowercase();
            match self.automaton(lower.len()) {
                Some(ac) => {
                    for m in ac.find_overlapping_iter(&lower) {
                        for &i in &self.keyword_rules[m.pattern().as_usize()] {
                            selected[i] = true;
                        }
                    }
                }
                None => {
                    let finder = |k: &String| memchr::memmem::find(&lower, k.as_bytes()).is_some();
                    for (slot, k) in self.keywords.iter().enumerate() {
                        if finder(k) {
                            for &i in &self.keyword_rules[slot] {
                                selected[i] = true;
                            }
                        }
                    }
                }
            }
        }
        let lines = LineIndex::new(text);
        let mut out: Vec<Finding> = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            if selected[i] {
                rule.scan(self, path, text, &lines, &mut out);
            }
        }
        if !out.is_empty() && path.is_some_and(|p| self.path_allowed(p)) {
            return Vec::new();
        }
        dedupe(&mut out);
        out
    }
}

/// A match as text, with its byte range.
struct Span<'t> {
    start: usize,
    end: usize,
    text: std::borrow::Cow<'t, str>,
}

impl<'t> Span<'t> {
    fn new(text: &'t str, start: usize, end: usize) -> Span<'t> {
        let s = match text.get(start..end) {
            Some(s) => std::borrow::Cow::Borrowed(s),
            None => String::from_utf8_lossy(&text.as_bytes()[start..end]),
        };
        Span {
            start,
            end,
            text: s,
        }
    }
    fn start(&self) -> usize {
        self.start
    }
    fn end(&self) -> usize {
        self.end
    }
    fn as_str(&self) -> &str {
        &self.text
    }
}

impl Rule {
    fn new(raw: RawRule) -> Rule {
        let mut allowlists: Vec<Allowlist> = raw.allowlists.iter().map(Allowlist::new).collect();
        allowlists.extend(raw.allowlist.as_ref().map(Allowlist::new));
        let generic = raw.id.contains("generic") || raw.tags.iter().any(|t| t == "generic");
        Rule {
            description: raw.description.unwrap_or_else(|| raw.id.clone()),
            fix: raw.fix,
            regex: raw.regex.map(Lazy::new),
            path: raw.path.map(Lazy::new),
            secret_group: raw.secret_group,
            entropy: raw.entropy,
            allowlists,
            generic,
            id: raw.id,
        }
    }

    fn scan(
        &self,
        set: &Ruleset,
        path: Option<&str>,
        text: &str,
        lines: &LineIndex,
        out: &mut Vec<Finding>,
    ) {
        if let Some(p) = &self.path {
            let Some(path) = path else { return };
            if !p.get().is_some_and(|re| re.is_match(path.as_bytes())) {
                return;
            }
            if self.regex.is_none() {
                out.push(self.finding(text, lines, (0, 0), "", 0.0));
                return;
            }
        }
        let Some(re) = self.regex.as_ref().and_then(Lazy::get) else {
            return;
        };
        for caps in re.captures_iter(text.as_bytes()) {
            let Some(whole_m) = caps.get(0) else { continue };
            let group = match self.secret_group {
                Some(g) if g > 0 => caps.get(g),
                _ => (1..caps.len())
                    .filter_map(|g| caps.get(g))
                    .find(|m| !m.is_empty()),
            };
            let secret_m = group.unwrap_or(whole_m);
            // Byte-level matches can end inside a multi-byte character.
            let secret = Span::new(text, secret_m.start(), secret_m.end());
            let whole = Span::new(text, whole_m.start(), whole_m.end());
            let line = lines.line_text(text, secret.start());
            if set.inline_allow
                && filter::inline_allowed(line, lines.previous_line(text, secret.start()))
            {
                continue;
            }
            let entropy = shannon(secret.as_str());
            if self.entropy.is_some_and(|min| entropy <= min) {
                continue;
            }
            if filter::not_a_secret(secret.as_str(), self.generic, line)
                || filter::malformed(&self.id, secret.as_str())
            {
                continue;
            }
            let cand = Candidate {
                path,
                secret: secret.as_str(),
                matched: whole.as_str(),
                line,
            };
            let by_global = set.global.iter().any(|a| {
                (a.target_rules.is_empty() || a.target_rules.contains(&self.id)) && a.allows(&cand)
            });
            if by_global || self.allowlists.iter().any(|a| a.allows(&cand)) {
                continue;
            }
            out.push(self.finding(
                text,
                lines,
                (secret.start(), secret.end()),
                secret.as_str(),
                entropy,
            ));
        }
    }

    fn finding(
        &self,
        text: &str,
        lines: &LineIndex,
        span: (usize, usize),
        secret: &str,
        entropy: f64,
    ) -> Finding {
        let (line, column) = lines.position(text, span.0);
        let (end_line, end_column) = lines.position(text, span.1);
        Finding {
            rule_id: self.id.clone(),
            description: self.description.clone(),
            line,
            column,
            end_line,
            end_column,
            span,
            secret: redact_secret(secret),
            secret_hash: crate::secret_hash(&self.id, secret),
            entropy: (entropy * 100.0).round() / 100.0,
            fix: self.fix.clone().unwrap_or_else(|| DEFAULT_FIX.to_string()),
            generic: self.generic,
        }
    }
}

/// Drop duplicates, and a generic finding where a specific rule found the
/// same secret (or one containing it), as gitleaks does.
fn dedupe(out: &mut Vec<Finding>) {
    out.sort_by_key(|f| (f.span.0, std::cmp::Reverse(f.span.1)));
    let specific: Vec<(usize, usize)> = out
        .iter()
        .filter(|f| !is_generic(&f.rule_id))
        .map(|f| f.span)
        .collect();
    let mut seen = std::collections::HashSet::new();
    out.retain(|f| {
        if is_generic(&f.rule_id) && specific.iter().any(|s| s.0 < f.span.1 && f.span.0 < s.1) {
            return false;
        }
        seen.insert((f.rule_id.clone(), f.span))
    });
    // One finding per secret: several specific rules may match the same value.
    let mut spans = std::collections::HashSet::new();
    out.retain(|f| spans.insert(f.span));
}

fn is_generic(id: &str) -> bool {
    id.contains("generic")
}

/// Byte offsets of line starts, for line and column numbers.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// 1-based line and character column.
    fn position(&self, text: &str, offset: usize) -> (usize, usize) {
        let l = self.line_of(offset);
        let start = self.starts[l];
        let col = text.get(start..offset).map_or(0, |s| s.chars().count());
        (l + 1, col + 1)
    }

    fn bounds(&self, text: &str, l: usize) -> (usize, usize) {
        let start = self.starts[l];
        let end = self
            .starts
            .get(l + 1)
            .map_or(text.len(), |&n| n.saturating_sub(1));
        (start, end.max(start))
    }

    fn line_text<'t>(&self, text: &'t str, offset: usize) -> &'t str {
        let (s, e) = self.bounds(text, self.line_of(offset));
        text.get(s..e).unwrap_or("")
    }

    fn previous_line<'t>(&self, text: &'t str, offset: usize) -> Option<&'t str> {
        let l = self.line_of(offset);
        if l == 0 {
            return None;
        }
        let (s, e) = self.bounds(text, l - 1);
        text.get(s..e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Ruleset {
        Ruleset::builtin().expect("builtin")
    }

    #[test]
    fn re2_literal_braces_are_escaped() {
        assert_eq!(go_compat("a{2}b{,}c{{x}}"), "a{2}b\\{,}c\\{\\{x}}");
        assert_eq!(go_compat("[{]{1,3}"), "[{]{1,3}");
        assert_eq!(go_compat("[^]]{"), "[^]]\\{");
        assert!(compile("import[ \\t]+{[ \\t\\w,]+}").is_ok());
    }

    #[test]
    fn every_builtin_pattern_compiles() {
        assert_eq!(set().validate(), Vec::<String>::new());
    }

    #[test]
    fn finds_and_redacts() {
        let text = "token = \"ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5\"\n";
        let f = set().scan(Some("src/config.py"), text);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule_id, "github-pat");
        assert_eq!((f[0].line, f[0].column), (1, 10));
        let shown = serde_json::to_string(&f).expect("json");
        assert!(
            !shown.contains("aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5"),
            "{shown}"
        );
    }

    #[test]
    fn inline_allow_skips_a_line() {
        let text = "token = \"ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5\" # ztguard:allow\n";
        assert!(set().scan(None, text).is_empty());
    }

    #[test]
    fn small_and_large_texts_select_the_same_rules() {
        let line = "token = \"ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5\"\n";
        let small = set().scan(None, line);
        let padding = "let plain = 1;\n".repeat(SMALL_TEXT / 10);
        let large = set().scan(None, &format!("{padding}{line}"));
        assert_eq!(small.len(), 1);
        assert_eq!(large.len(), 1);
        assert_eq!(small[0].rule_id, large[0].rule_id);
    }

    #[test]
    fn inline_allow_can_be_ignored() {
        let mut s = set();
        s.set_inline_allow(false);
        let text = "token = \"ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5\" # ztguard:allow\n";
        assert_eq!(s.scan(None, text).len(), 1);
    }

    #[test]
    fn lock_files_are_skipped() {
        let text = "token = \"ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5\"\n";
        assert!(set().scan(Some("web/package-lock.json"), text).is_empty());
    }

    #[test]
    fn only_needed_regexes_compile() {
        let s = set();
        s.scan(None, "let x = 1; // nothing secret here\n");
        let compiled = s
            .rules
            .iter()
            .filter(|r| r.regex.as_ref().is_some_and(|l| l.re.get().is_some()))
            .count();
        assert!(
            compiled < 10,
            "{compiled} regexes compiled for a plain line"
        );
    }
}
