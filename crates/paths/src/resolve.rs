//! Turn a path as written into the absolute path it names.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// Most symlinks followed while resolving one path (the kernel's limit is 40).
const MAX_LINKS: usize = 40;

/// A path in two forms; a rule that denies should check both, a rule that allows needs both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// `..` and `.` removed, symlinks not followed.
    pub lexical: PathBuf,
    /// Every symlink followed, including in components that do not exist yet.
    pub real: PathBuf,
}

/// Resolve `text` against `base` (an absolute directory) and `home`.
/// Expands `~`, `~user`, `$HOME` and `${HOME}`.
pub fn resolve(text: &str, base: &Path, home: &Path) -> Resolved {
    let expanded = expand_home(text, home);
    let joined = if Path::new(&expanded).is_absolute() {
        PathBuf::from(&expanded)
    } else {
        base.join(&expanded)
    };
    let lexical = lexical_normalize(&joined);
    let real = real_path(&joined);
    Resolved { lexical, real }
}

fn expand_home(text: &str, home: &Path) -> String {
    let home_s = home.to_string_lossy();
    for var in ["${HOME}", "$HOME"] {
        if let Some(rest) = text.strip_prefix(var)
            && (rest.is_empty() || rest.starts_with('/'))
        {
            return format!("{home_s}{rest}");
        }
    }
    if text == "~" {
        return home_s.into_owned();
    }
    if let Some(rest) = text.strip_prefix("~/") {
        return format!("{home_s}/{rest}");
    }
    if let Some(rest) = text.strip_prefix('~') {
        let (user, tail) = rest.split_once('/').unwrap_or((rest, ""));
        if let Some(h) = user_home(user) {
            return format!("{}/{tail}", h.display());
        }
    }
    text.to_string()
}

/// The home directory of `user`, from the passwd database.
pub fn user_home(user: &str) -> Option<PathBuf> {
    if user.is_empty() {
        return None;
    }
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() >= 6 && f[0] == user).then(|| PathBuf::from(f[5]))
    })
}

/// `Path::starts_with` for absolute paths already normalized (no `.`,
/// `..`, doubled or trailing `/`), compared as bytes: `dir` itself or a
/// path beneath it. For hot loops over many paths.
pub fn is_within(path: &Path, dir: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let (p, d) = (path.as_os_str().as_bytes(), dir.as_os_str().as_bytes());
    p.starts_with(d) && (p.len() == d.len() || d.ends_with(b"/") || p[d.len()] == b'/')
}

/// Remove `.` and `..` without touching the file system.
pub fn lexical_normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(s) => out.push(s),
            _ => {}
        }
    }
    out
}

/// Follow every symlink in `p`, the way the kernel would when opening it,
/// even where the tail does not exist (a write through a dangling link).
pub fn real_path(p: &Path) -> PathBuf {
    let mut pending: VecDeque<OsString> = comps(p);
    let mut out = PathBuf::from("/");
    let mut links = 0;
    while let Some(c) = pending.pop_front() {
        if c == ".." {
            out.pop();
            continue;
        }
        let next = out.join(&c);
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() && links < MAX_LINKS => {
                links += 1;
                match std::fs::read_link(&next) {
                    Ok(target) => {
                        if target.is_absolute() {
                            out = PathBuf::from("/");
                        }
                        for t in comps(&target).into_iter().rev() {
                            pending.push_front(t);
                        }
                    }
                    Err(_) => out = next,
                }
            }
            _ => out = next,
        }
    }
    out
}

fn comps(p: &Path) -> VecDeque<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            _ => None,
        })
        .collect()
}

/// A path for people: relative to the project when inside it, `~/…` under home.
pub fn display(p: &Path, project: &Path, home: &Path) -> String {
    if let Ok(rel) = p.strip_prefix(project) {
        let s = rel.to_string_lossy();
        return if s.is_empty() {
            ".".into()
        } else {
            s.into_owned()
        };
    }
    if let Ok(rel) = p.strip_prefix(home) {
        return format!("~/{}", rel.to_string_lossy());
    }
    p.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_and_home() {
        let r = resolve("../x/./y", Path::new("/p/src"), Path::new("/home/u"));
        assert_eq!(r.lexical, PathBuf::from("/p/x/y"));
        let r = resolve("~/.ssh/id_rsa", Path::new("/p"), Path::new("/home/u"));
        assert_eq!(r.lexical, PathBuf::from("/home/u/.ssh/id_rsa"));
        let r = resolve("$HOME/.aws", Path::new("/p"), Path::new("/home/u"));
        assert_eq!(r.lexical, PathBuf::from("/home/u/.aws"));
        let r = resolve("~root/x", Path::new("/p"), Path::new("/home/u"));
        assert_eq!(r.lexical, PathBuf::from("/root/x"));
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_followed_even_when_dangling() {
        let dir = std::env::temp_dir().join(format!("ztg-res-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("secret")).ok();
        std::os::unix::fs::symlink(dir.join("secret"), dir.join("link")).ok();
        std::os::unix::fs::symlink(dir.join("nowhere/rc"), dir.join("dangling")).ok();
        let r = resolve("link/key", &dir, Path::new("/home/u"));
        assert_eq!(r.real, dir.join("secret/key"));
        assert_eq!(r.lexical, dir.join("link/key"));
        let r = resolve("dangling", &dir, Path::new("/home/u"));
        assert_eq!(r.real, dir.join("nowhere/rc"));
        let r = resolve("link/../x", &dir, Path::new("/home/u"));
        assert_eq!(r.real, dir.join("x"));
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[cfg(test)]
mod within_tests {
    use super::is_within;
    use std::path::Path;

    #[test]
    fn within_agrees_with_starts_with_on_normalized_paths() {
        let paths = [
            "/", "/a", "/a/b", "/ab", "/a/bc", "/a/b/c", "/b", "/a/b/c/d",
        ];
        for p in paths {
            for d in paths {
                let (p, d) = (Path::new(p), Path::new(d));
                assert_eq!(is_within(p, d), p.starts_with(d), "{p:?} within {d:?}");
            }
        }
    }
}
