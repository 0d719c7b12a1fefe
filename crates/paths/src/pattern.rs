//! Gitignore-style path rules.
//!
//! * `secrets/`, `*.pem`, `.env` — no inner `/`: matches that name at any depth.
//! * `src/**/*.rs`, `./build` — anchored at the project root.
//! * `~/.ssh/**` — anchored at the home directory; `/etc/**` — absolute.
//! * A trailing `/` matches directories only; a match on a directory covers
//!   everything under it.
//! * `!pattern` re-includes; in a list, the last matching pattern decides.
//!   Unlike git, a re-included file under an excluded directory *is*
//!   re-included (`secrets/` then `!secrets/README.md`), which is what a
//!   policy author means.
//! * `{a,b}` alternatives are expanded when the pattern is parsed.

use std::path::{Component, Path, PathBuf};

use crate::glob::{on_stack, wildmatch};

/// What a pattern is relative to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Project,
    Home,
    Root,
}

/// The directories patterns are anchored at.
#[derive(Clone, Debug)]
pub struct Anchors {
    pub project: PathBuf,
    pub home: PathBuf,
}

/// One parsed pattern.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The pattern as written (for traces and lint messages).
    pub source: String,
    pub negated: bool,
    pub anchor: Anchor,
    /// No inner `/`: the name matches at any depth below the anchor.
    pub any_depth: bool,
    pub dir_only: bool,
    /// The pattern body after its anchor, one entry per `{a,b}` alternative;
    /// split into components when matched (no allocation), not when loaded.
    alternatives: Vec<String>,
}

/// Call `f` with the non-empty, non-`.` components of a pattern body.
fn with_components<R>(body: &str, f: impl FnOnce(&[&str]) -> R) -> R {
    on_stack(body.split('/').filter(|c| !c.is_empty() && *c != "."), f)
}

impl Pattern {
    /// Parse a pattern. Errors name what is wrong with it.
    pub fn parse(source: &str) -> Result<Pattern, String> {
        let mut s = source.trim();
        if s.is_empty() {
            return Err("empty path pattern".into());
        }
        let negated = s.starts_with('!');
        if negated {
            s = &s[1..];
        }
        let (anchor, rest, explicit) = if s == "~" {
            (Anchor::Home, "", true)
        } else if let Some(r) = s.strip_prefix("~/") {
            (Anchor::Home, r, true)
        } else if s.starts_with('~') {
            return Err(format!("`{source}`: only `~/` is supported, not `~user`"));
        } else if let Some(r) = s.strip_prefix('/') {
            (Anchor::Root, r, true)
        } else if let Some(r) = s.strip_prefix("./") {
            (Anchor::Project, r, true)
        } else {
            (Anchor::Project, s, false)
        };
        let dir_only = rest.ends_with('/') && !rest.is_empty();
        let rest = rest.trim_end_matches('/');
        if rest.split('/').any(|c| c == "..") {
            return Err(format!("`{source}`: `..` is not allowed in a pattern"));
        }
        let any_depth = !explicit && !rest.contains('/') && rest != "**";
        let alternatives = expand_braces(rest);
        Ok(Pattern {
            source: source.to_string(),
            negated,
            anchor,
            any_depth,
            dir_only,
            alternatives,
        })
    }

    /// The directory tree a grant of this pattern lies in: its literal
    /// prefix (up to the first component with a wildcard), for patterns
    /// anchored at the home or the root. None for project-relative and
    /// negated patterns, and for one with `{a,b}` alternatives at its start.
    /// `~/.cargo/registry/**` is `~/.cargo/registry`; `/usr/lib/python3*/**`
    /// is `/usr/lib`.
    pub fn tree(&self, anchors: &Anchors) -> Option<PathBuf> {
        if self.negated || self.alternatives.len() != 1 {
            return None;
        }
        let mut out = match self.anchor {
            Anchor::Project => return None,
            Anchor::Home => anchors.home.clone(),
            Anchor::Root => PathBuf::from("/"),
        };
        for c in self.alternatives[0].split('/').filter(|c| !c.is_empty()) {
            if c.contains(['*', '?', '[', '{']) {
                break;
            }
            out.push(c);
        }
        Some(out)
    }

    /// Does the pattern (ignoring negation) cover `path` (absolute, normalized)?
    pub fn matches(
        &self,
        path: &Path,
        anchors: &Anchors,
        is_dir: &mut dyn FnMut() -> bool,
    ) -> bool {
        let base = match self.anchor {
            Anchor::Project => anchors.project.as_path(),
            Anchor::Home => anchors.home.as_path(),
            Anchor::Root => Path::new("/"),
        };
        match relative(path, base) {
            Some(comps) => self.matches_components(&slices(&comps), is_dir),
            None => false,
        }
    }

    /// For each `{a,b}` alternative, a component of the pattern that one of
    /// the components of every path it matches must match (every one of its
    /// components must; this picks the most selective, from the end): a
    /// cheap test that rules most paths out before matching. None when the
    /// pattern is only `**`.
    pub fn key_components(&self) -> Option<Vec<&str>> {
        self.alternatives
            .iter()
            .map(|body| {
                let comps = || {
                    body.split('/')
                        .rev()
                        .filter(|c| !c.is_empty() && *c != "." && *c != "**")
                };
                // The most selective: a literal name, else anything but `*`.
                comps()
                    .find(|c| !c.contains(['*', '?', '[', '\\']))
                    .or_else(|| comps().find(|c| *c != "*"))
                    .or_else(|| comps().next())
            })
            .collect()
    }

    /// [`Pattern::matches`] on the path's components relative to this pattern's anchor.
    fn matches_components(&self, comps: &[&str], is_dir: &mut dyn FnMut() -> bool) -> bool {
        self.alternatives.iter().any(|body| {
            if self.any_depth {
                let name = body.as_str();
                comps.iter().enumerate().any(|(i, c)| {
                    wildmatch(name, c) && (!self.dir_only || i + 1 < comps.len() || is_dir())
                })
            } else {
                // A literal first component rejects most paths without splitting the rest.
                let first = body
                    .split('/')
                    .find(|c| !c.is_empty() && *c != ".")
                    .unwrap_or("");
                if !first.is_empty()
                    && !first.contains(['*', '?', '[', '\\'])
                    && comps.first() != Some(&first)
                {
                    return false;
                }
                with_components(body, |alt| {
                    (0..=comps.len()).any(|k| {
                        match_seq(alt, &comps[..k])
                            && (!self.dir_only || k < comps.len() || is_dir())
                            && (k > 0 || alt.iter().all(|c| *c == "**"))
                    })
                })
            }
        })
    }
}

/// The components of `path` below `base`, or None when it is not below it.
/// A name that is not UTF-8 is compared with its bytes that are (the
/// others replaced), so `bad\xffname.pem` is still a `*.pem`.
fn relative<'a>(path: &'a Path, base: &Path) -> Option<Vec<std::borrow::Cow<'a, str>>> {
    let rel = path.strip_prefix(base).ok()?;
    Some(
        rel.components()
            .filter_map(|c| match c {
                Component::Normal(s) => Some(s.to_string_lossy()),
                _ => None,
            })
            .collect(),
    )
}

/// The components as string slices, for matching.
fn slices<'a>(comps: &'a [std::borrow::Cow<'_, str>]) -> Vec<&'a str> {
    comps.iter().map(|c| c.as_ref()).collect()
}

/// [`PatternList::key_components`] compiled for many lookups: literal
/// names in a set, `name*` and `*name` as prefixes and suffixes, the rest
/// matched as wildcards.
#[derive(Clone, Debug, Default)]
pub struct KeyMatcher {
    exact: std::collections::HashSet<String>,
    prefixes: Vec<String>,
    /// `*x.y` suffixes by their last extension (`y`), so a name is compared
    /// only with the suffixes its own extension could end.
    suffixes_by_ext: std::collections::HashMap<String, Vec<String>>,
    /// Suffixes with no `.` (`*_rsa`).
    suffixes: Vec<String>,
    /// Other wildcards, with the literal head and tail every match has.
    wild: Vec<(String, String, String)>,
}

impl KeyMatcher {
    pub fn new<S: AsRef<str>>(keys: &[S]) -> KeyMatcher {
        let mut m = KeyMatcher::default();
        for k in keys {
            let k = k.as_ref();
            let special = |s: &str| s.contains(['*', '?', '[', '\\']);
            if !special(k) {
                m.exact.insert(k.to_string());
            } else if let Some(p) = k.strip_suffix('*').filter(|p| !special(p)) {
                m.prefixes.push(p.to_string());
            } else if let Some(x) = k.strip_prefix('*').filter(|x| !special(x)) {
                match x.rsplit_once('.') {
                    Some((_, ext)) => m
                        .suffixes_by_ext
                        .entry(ext.to_string())
                        .or_default()
                        .push(x.to_string()),
                    None => m.suffixes.push(x.to_string()),
                }
            } else {
                let head_end = k.find(['*', '?', '[', '\\']).unwrap_or(k.len());
                let tail_start = k.rfind(['*', '?', ']']).map_or(k.len(), |i| i + 1);
                // An escape in the tail (`*\.vault`) is no literal text to
                // compare: the wildcard match alone decides.
                let tail = match &k[tail_start..] {
                    t if t.contains('\\') => "",
                    t => t,
                };
                m.wild
                    .push((k[..head_end].to_string(), tail.to_string(), k.to_string()));
            }
        }
        m
    }

    /// Does one path component match one of the keys?
    pub fn matches(&self, component: &str) -> bool {
        self.exact.contains(component)
            || self
                .prefixes
                .iter()
                .any(|p| component.starts_with(p.as_str()))
            || component.rsplit_once('.').is_some_and(|(_, ext)| {
                self.suffixes_by_ext
                    .get(ext)
                    .is_some_and(|xs| xs.iter().any(|x| component.ends_with(x.as_str())))
            })
            || self
                .suffixes
                .iter()
                .any(|x| component.ends_with(x.as_str()))
            || self.wild.iter().any(|(head, tail, w)| {
                component.starts_with(head.as_str())
                    && component.ends_with(tail.as_str())
                    && wildmatch(w, component)
            })
    }
}

/// Match a component sequence with `**` (zero or more components).
fn match_seq(pat: &[&str], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((first, rest)) if *first == "**" => {
            (0..=path.len()).any(|i| match_seq(rest, &path[i..]))
        }
        Some((first, rest)) => match path.split_first() {
            Some((p, prest)) => wildmatch(first, p) && match_seq(rest, prest),
            None => false,
        },
    }
}

/// Expand `{a,b}` alternatives, nested ones too (`{a,{b,c}}`); a `\`
/// escapes the next character, and a brace without a top-level comma is
/// literal. At most 64 expansions.
fn expand_braces(s: &str) -> Vec<String> {
    let b = s.as_bytes();
    // The first unescaped `{` and its matching `}`.
    let mut open = None;
    let (mut i, mut depth) = (0, 0usize);
    let mut close = None;
    let mut commas = Vec::new();
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'{' => {
                if open.is_none() {
                    open = Some(i);
                }
                depth += 1;
            }
            b'}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    close = Some(i);
                    break;
                }
            }
            b',' if depth == 1 => commas.push(i),
            _ => {}
        }
        i += 1;
    }
    let (Some(open), Some(close)) = (open, close) else {
        return vec![s.to_string()];
    };
    let (head, tail) = (&s[..open], &s[close + 1..]);
    if commas.is_empty() {
        // `{x}` is literal; braces after it may still expand.
        let literal = &s[..=close];
        return expand_braces(tail)
            .into_iter()
            .map(|t| format!("{literal}{t}"))
            .collect();
    }
    let mut parts = Vec::new();
    let mut start = open + 1;
    for c in commas.into_iter().chain([close]) {
        parts.push(&s[start..c]);
        start = c + 1;
    }
    parts
        .into_iter()
        .flat_map(|alt| expand_braces(&format!("{head}{alt}{tail}")))
        .take(64)
        .collect()
}

/// An ordered list of patterns where the last match decides.
#[derive(Clone, Debug, Default)]
pub struct PatternList {
    patterns: Vec<Pattern>,
    /// The list's [`PatternList::key_components`], compiled on first use:
    /// a path with no component among them is matched by no pattern.
    sieve: std::sync::OnceLock<Option<KeyMatcher>>,
}

impl PatternList {
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<PatternList, String> {
        let patterns = items
            .iter()
            .map(|s| Pattern::parse(s.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(PatternList {
            patterns,
            sieve: std::sync::OnceLock::new(),
        })
    }

    /// The patterns, in order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// False when no pattern can match `path`: none of its components is
    /// a key component of the list (one test per component instead of one
    /// match per pattern).
    fn may_match(&self, path: &Path) -> bool {
        let sieve = self
            .sieve
            .get_or_init(|| self.key_components().map(|k| KeyMatcher::new(&k)));
        match sieve {
            None => true,
            Some(keys) => path.components().any(|c| match c {
                Component::Normal(s) => s.to_str().is_none_or(|s| keys.matches(s)),
                _ => false,
            }),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// The pattern that includes `path`, if the last matching pattern is not a negation.
    pub fn matched(&self, path: &Path, anchors: &Anchors) -> Option<&Pattern> {
        if !self.may_match(path) {
            return None;
        }
        let mut dir_cache: Option<bool> = None;
        let mut is_dir = || *dir_cache.get_or_insert_with(|| path.is_dir());
        // Split the path once per anchor, not once per pattern.
        let (project, home, root) = (
            relative(path, &anchors.project),
            relative(path, &anchors.home),
            relative(path, Path::new("/")),
        );
        let (project, home, root) = (
            project.as_deref().map(slices),
            home.as_deref().map(slices),
            root.as_deref().map(slices),
        );
        let hit = self.patterns.iter().rev().find(|p| {
            let comps = match p.anchor {
                Anchor::Project => &project,
                Anchor::Home => &home,
                Anchor::Root => &root,
            };
            comps
                .as_deref()
                .is_some_and(|c| p.matches_components(c, &mut is_dir))
        })?;
        (!hit.negated).then_some(hit)
    }

    /// The [`Pattern::key_components`] of the patterns that include (not the
    /// negations): a path none of whose components matches one of them is
    /// matched by no pattern of the list. None when some pattern has none.
    pub fn key_components(&self) -> Option<Vec<&str>> {
        let mut out = Vec::new();
        for p in self.patterns.iter().filter(|p| !p.negated) {
            out.extend(p.key_components()?);
        }
        Some(out)
    }

    /// Could some path strictly below `dir` match a non-negated pattern?
    /// Used to decide whether a recursive read of `dir` needs a closer look.
    pub fn may_match_below(&self, dir: &Path, anchors: &Anchors) -> bool {
        self.patterns.iter().filter(|p| !p.negated).any(|p| {
            let base = match p.anchor {
                Anchor::Project => anchors.project.as_path(),
                Anchor::Home => anchors.home.as_path(),
                Anchor::Root => Path::new("/"),
            };
            // a pattern anchored below `dir`, or one that matches at any depth under `dir`
            base.starts_with(dir) || dir.starts_with(base)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anchors() -> Anchors {
        Anchors {
            project: "/p".into(),
            home: "/home/u".into(),
        }
    }

    #[test]
    fn escapes_nested_braces_and_names_that_are_not_utf8() {
        use std::os::unix::ffi::OsStrExt;
        let hit = |pattern: &str, path: &Path| {
            PatternList::parse(&[pattern])
                .unwrap()
                .matched(path, &anchors())
                .is_some()
        };
        let p = |s: &str| PathBuf::from(s);
        // An escape after a wildcard, in a class's tail, in a first component.
        assert!(hit("*\\.vault", &p("/p/app.vault")));
        assert!(!hit("*\\.vault", &p("/p/appxvault")));
        assert!(hit("token[0-9]\\.txt", &p("/p/d/token1.txt")));
        assert!(hit("sec\\rets2/**", &p("/p/secrets2/x")));
        assert!(hit("prod\\ creds/**", &p("/p/prod creds/x")));
        // Nested alternatives, and a literal brace before an expanded one.
        for name in ["a.key2", "b.key2", "c.key2"] {
            assert!(hit("{a,{b,c}}.key2", &p(&format!("/p/{name}"))), "{name}");
        }
        assert!(!hit("{a,{b,c}}.key2", &p("/p/a}.key2")));
        assert_eq!(
            expand_braces("{x}{a,b}"),
            vec!["{x}a".to_string(), "{x}b".to_string()]
        );
        assert_eq!(expand_braces("\\{a,b}"), vec!["\\{a,b}".to_string()]);
        // A name that is not UTF-8 still ends in `.pem`.
        let bad = Path::new(std::ffi::OsStr::from_bytes(b"/p/bad\xffname.pem"));
        assert!(hit("*.pem", bad));
        assert!(!hit("*.key", bad));
    }

    #[test]
    fn every_match_has_a_component_matching_a_key() {
        let list = PatternList::parse(&[
            ".env",
            "*.{pem,key}",
            "secrets/",
            "~/.ssh/**",
            "/**/.aws/*",
            "src/**/x.txt",
            "!.env.example",
        ])
        .expect("patterns");
        let keys = list.key_components().expect("keys");
        let a = anchors();
        for path in [
            "/p/.env",
            "/p/a/b/c.pem",
            "/p/deep/secrets/db.json",
            "/home/u/.ssh/id_rsa",
            "/p/.aws/config",
            "/p/src/a/b/x.txt",
        ] {
            let path = Path::new(path);
            assert!(list.matched(path, &a).is_some(), "{path:?} is matched");
            assert!(
                path.components().any(|c| keys
                    .iter()
                    .any(|k| wildmatch(k, &c.as_os_str().to_string_lossy()))),
                "{path:?} has a key component"
            );
        }
        let m = KeyMatcher::new(&keys);
        for (name, hit) in [
            (".env", true),
            ("x.pem", true),
            ("secrets", true),
            (".ssh", true),
            ("x.txt", true),
            (".aws", true),
            ("main.rs", false),
            ("env", false),
            ("pem", false),
        ] {
            let wild = keys.iter().any(|k| wildmatch(k, name));
            assert_eq!(m.matches(name), wild, "{name}");
            assert_eq!(wild, hit, "{name}");
        }
        let odd = KeyMatcher::new(&["a*b", "?x", "[ab]c", "*", "id_*"]);
        for name in ["acb", "ab", "zx", "bc", "id_rsa", "q"] {
            assert!(odd.matches(name), "{name}");
        }
        let some = KeyMatcher::new(&[
            "*.pem.bak",
            "*_rsa",
            "gcp-key*.json",
            "*-admin*.json",
            "x[ab]",
        ]);
        for (name, hit) in [
            ("k.pem.bak", true),
            ("k.bak", false),
            ("pem.bak", false),
            ("id_rsa", true),
            ("gcp-key-1.json", true),
            ("gcp-key-1.yaml", false),
            ("p-admin-sdk.json", true),
            ("xa", true),
            ("xc", false),
        ] {
            assert_eq!(some.matches(name), hit, "{name}");
        }
        assert!(
            PatternList::parse(&["**"])
                .expect("p")
                .key_components()
                .is_none()
        );
        assert_eq!(
            PatternList::parse(&["!x", "a/**"])
                .expect("p")
                .key_components(),
            Some(vec!["a"])
        );
    }

    #[test]
    fn grants_lie_in_the_tree_of_their_literal_prefix() {
        let tree = |p: &str| Pattern::parse(p).expect("pattern").tree(&anchors());
        assert_eq!(
            tree("~/.cargo/registry/**"),
            Some("/home/u/.cargo/registry".into())
        );
        assert_eq!(tree("/usr/lib/python3*/**"), Some("/usr/lib".into()));
        assert_eq!(tree("/etc/hosts"), Some("/etc/hosts".into()));
        assert_eq!(tree("~/**"), Some("/home/u".into()));
        assert_eq!(tree("src/**"), None);
        assert_eq!(tree("!~/.ssh/*.pub"), None);
        assert_eq!(tree("~/{a,b}/**"), None);
    }

    fn m(list: &[&str], path: &str) -> bool {
        PatternList::parse(list)
            .map(|l| l.matched(Path::new(path), &anchors()).is_some())
            .unwrap_or(false)
    }

    #[test]
    fn gitignore_semantics() {
        assert!(m(&[".env"], "/p/.env"));
        assert!(m(&[".env"], "/p/a/b/.env"));
        assert!(!m(&[".env"], "/elsewhere/.env"));
        assert!(m(&["src/**"], "/p/src/a/b.rs"));
        assert!(!m(&["src/**"], "/p/lib/src/a.rs"));
        assert!(m(&["**"], "/p"));
        assert!(m(&["**"], "/p/x"));
        assert!(m(&["~/.ssh/**"], "/home/u/.ssh/id_rsa"));
        assert!(m(&["~/.ssh"], "/home/u/.ssh/id_rsa"));
        assert!(m(&["/etc/shadow"], "/etc/shadow"));
        assert!(m(&["*.pem"], "/p/certs/server.pem"));
        assert!(m(&["secrets/"], "/p/secrets/x"));
        assert!(m(&["./build"], "/p/build/out"));
        assert!(!m(&["./build"], "/p/x/build"));
        assert!(m(&["*.{pem,key}"], "/p/a.key"));
        assert!(m(&["/proc/*/environ"], "/proc/self/environ"));
    }

    #[test]
    fn last_match_wins() {
        assert!(!m(&[".env*", "!.env.example"], "/p/.env.example"));
        assert!(m(&[".env*", "!.env.example"], "/p/.env.local"));
        assert!(!m(
            &["secrets/", "!secrets/README.md"],
            "/p/secrets/README.md"
        ));
    }

    #[test]
    fn bad_patterns_are_errors() {
        assert!(Pattern::parse("").is_err());
        assert!(Pattern::parse("../x").is_err());
        assert!(Pattern::parse("~bob/x").is_err());
    }
}
