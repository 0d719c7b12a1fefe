//! Shell-style wildcards: `*`, `?`, `[a-z]`, `[!x]`, `\x`, and glob
//! expansion against the real file tree.

use std::path::{Path, PathBuf};

/// Most paths a glob expands to before the rest is dropped (and reported).
pub const MAX_GLOB_RESULTS: usize = 2000;

/// Most items [`on_stack`] holds without touching the heap.
const STACK_ITEMS: usize = 32;

/// Call `f` with the items of `items` as a slice, on the stack when there are
/// few (the common case). Patterns are kept as text and split when matched,
/// because a policy is loaded on every hook call and most patterns are
/// rejected before their second word or component.
pub fn on_stack<'a, R>(
    items: impl Iterator<Item = &'a str> + Clone,
    f: impl FnOnce(&[&'a str]) -> R,
) -> R {
    let mut buf = [""; STACK_ITEMS];
    let mut n = 0;
    for item in items.clone() {
        if n == STACK_ITEMS {
            let all: Vec<&str> = items.collect();
            return f(&all);
        }
        buf[n] = item;
        n += 1;
    }
    f(&buf[..n])
}

/// Match one path component (or any string without `/`) against a wildcard pattern.
pub fn wildmatch(pattern: &str, text: &str) -> bool {
    wm(pattern.as_bytes(), text.as_bytes())
}

fn wm(p: &[u8], t: &[u8]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let (mut star_p, mut star_t) = (usize::MAX, 0);
    while ti < t.len() {
        if pi < p.len() {
            match p[pi] {
                b'*' => {
                    star_p = pi;
                    star_t = ti;
                    pi += 1;
                    continue;
                }
                b'?' => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                b'[' => match class(&p[pi..], t[ti]) {
                    Some((true, len)) => {
                        pi += len;
                        ti += 1;
                        continue;
                    }
                    Some((false, _)) => {}
                    // an unterminated `[` is an ordinary character
                    None if t[ti] == b'[' => {
                        pi += 1;
                        ti += 1;
                        continue;
                    }
                    None => {}
                },
                b'\\' if pi + 1 < p.len() && p[pi + 1] == t[ti] => {
                    pi += 2;
                    ti += 1;
                    continue;
                }
                b'\\' if pi + 1 < p.len() => {}
                c if c == t[ti] => {
                    pi += 1;
                    ti += 1;
                    continue;
                }
                _ => {}
            }
        }
        if star_p != usize::MAX {
            pi = star_p + 1;
            star_t += 1;
            ti = star_t;
            continue;
        }
        return false;
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

/// Match a `[...]` class at the start of `p` against `c`; returns (matched, pattern length).
fn class(p: &[u8], c: u8) -> Option<(bool, usize)> {
    let mut i = 1;
    let negate = matches!(p.get(i), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            if p[i] <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if p[i] == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The result of expanding a glob.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobExpansion {
    pub paths: Vec<PathBuf>,
    /// Directories a `**` component stands for: everything below them matches.
    pub trees: Vec<PathBuf>,
    pub truncated: bool,
}

/// Expand an absolute glob pattern against the file tree, as bash would
/// (a leading `.` must be matched explicitly). No match leaves the pattern
/// itself, as bash does without `nullglob`.
pub fn expand_glob(pattern: &Path) -> GlobExpansion {
    let text = pattern.to_string_lossy();
    let mut out = GlobExpansion::default();
    let mut current = vec![PathBuf::from("/")];
    let comps: Vec<&str> = text.split('/').filter(|c| !c.is_empty()).collect();
    for (i, comp) in comps.iter().enumerate() {
        if *comp == "**" {
            out.trees.extend(current);
            return out;
        }
        if !has_wildcard(comp) {
            for p in &mut current {
                p.push(comp);
            }
            continue;
        }
        let mut next = Vec::new();
        for dir in &current {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') && !comp.starts_with('.') {
                    continue;
                }
                if wildmatch(comp, &name) {
                    if next.len() >= MAX_GLOB_RESULTS {
                        out.truncated = true;
                        break;
                    }
                    next.push(dir.join(&*name));
                }
            }
        }
        if next.is_empty() {
            out.paths.push(pattern.to_path_buf());
            return out;
        }
        let last = i + 1 == comps.len();
        if !last {
            next.retain(|p| p.is_dir());
        }
        next.sort();
        current = next;
    }
    out.paths = current;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildmatch("*.pem", "server.pem"));
        assert!(wildmatch(".env*", ".env.local"));
        assert!(!wildmatch(".env*", "x.env"));
        assert!(wildmatch("id_[rd]sa*", "id_rsa.pub"));
        assert!(wildmatch("[!a]x", "bx"));
        assert!(!wildmatch("[!a]x", "ax"));
        assert!(wildmatch("a?c", "abc"));
        assert!(wildmatch("*", ""));
        assert!(wildmatch("\\*", "*"));
        assert!(wildmatch("[", "["));
        assert!(!wildmatch("[", "x"));
    }

    #[test]
    fn globs_expand_against_the_tree() {
        let dir = std::env::temp_dir().join(format!("ztg-glob-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).ok();
        std::fs::write(dir.join(".env"), "x").ok();
        std::fs::write(dir.join("a.rs"), "x").ok();
        let g = expand_glob(&dir.join(".e*"));
        assert_eq!(g.paths, [dir.join(".env")]);
        let g = expand_glob(&dir.join("*"));
        assert_eq!(g.paths, [dir.join("a.rs"), dir.join("sub")]);
        let g = expand_glob(&dir.join("*.none"));
        assert_eq!(g.paths, [dir.join("*.none")]);
        std::fs::remove_dir_all(&dir).ok();
    }
}
