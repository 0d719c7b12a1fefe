//! Where the project and home are, and which policy files apply.

use std::path::{Path, PathBuf};

use ztguard_policy::{LoadOptions, Policy, PolicyError};

/// The home directory: `$HOME`, else the passwd entry of the current user.
pub fn home() -> PathBuf {
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        return PathBuf::from(h);
    }
    std::env::var("USER")
        .ok()
        .and_then(|u| ztguard_paths::user_home(&u))
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// The project root for a call made in `cwd`: `$CLAUDE_PROJECT_DIR` when
/// `cwd` is inside it, else the nearest ancestor with a `.ztguard.toml`, then
/// with a `.git`, else `cwd` itself.
pub fn project_root(cwd: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("CLAUDE_PROJECT_DIR").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if cwd.starts_with(&p) {
            return p;
        }
    }
    for marker in [".ztguard.toml", ".git"] {
        for dir in cwd.ancestors() {
            if dir.join(marker).exists() {
                return dir.to_path_buf();
            }
        }
    }
    cwd.to_path_buf()
}

/// The project a command acts on: `--project DIR` when given, else the
/// one around the current directory.
pub fn project_arg(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    use anyhow::Context as _;
    Ok(match given {
        Some(p) => absolute(p),
        None => project_root(&std::env::current_dir().context("no current directory")?),
    })
}

/// The one session id that is `given` or starts with it, among `ids`
/// (which may repeat); `place` names where they were found, for errors.
pub fn unique_session<'a>(
    given: &str,
    ids: impl IntoIterator<Item = &'a str>,
    place: &Path,
) -> anyhow::Result<String> {
    let mut hits: Vec<&str> = Vec::new();
    for id in ids {
        if id == given {
            return Ok(id.to_string());
        }
        if id.starts_with(given) && !hits.contains(&id) {
            hits.push(id);
        }
    }
    match hits.as_slice() {
        [one] => Ok(one.to_string()),
        [] => anyhow::bail!("no session {given} in {}", place.display()),
        many => anyhow::bail!(
            "{given} matches {} sessions: {}",
            many.len(),
            many.join(", ")
        ),
    }
}

/// Load options for a project, honouring `ZTGUARD_MANAGED_POLICY` (another
/// managed policy path, for packaging and tests) and `ZTGUARD_PROFILE`.
pub fn load_options(
    project: &Path,
    home: &Path,
    profile: Option<&str>,
    strict: bool,
) -> LoadOptions {
    let mut o = LoadOptions::new(project, home);
    if let Some(m) = std::env::var_os("ZTGUARD_MANAGED_POLICY").filter(|m| !m.is_empty()) {
        o.managed = PathBuf::from(m);
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        o.user = PathBuf::from(x).join("ztguard/policy.toml");
    }
    o.profile = profile.map(str::to_string).or_else(|| {
        std::env::var("ZTGUARD_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
    });
    o.strict = strict || std::env::var("ZTGUARD_STRICT").is_ok_and(|v| v == "1" || v == "true");
    o
}

pub fn load(
    project: &Path,
    home: &Path,
    profile: Option<&str>,
    strict: bool,
) -> Result<Policy, PolicyError> {
    Policy::load(&load_options(project, home, profile, strict))
}

/// Where ztguard keeps its offline data (the OSV database, registry lists):
/// `$ZTGUARD_DATA_DIR`, else `$XDG_DATA_HOME/ztguard`, else `~/.local/share/ztguard`.
pub fn data_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("ZTGUARD_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("ztguard");
    }
    home().join(".local/share/ztguard")
}

/// An absolute version of `p` (relative to the current directory).
pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        return p.to_path_buf();
    }
    std::env::current_dir()
        .map(|c| c.join(p))
        .unwrap_or_else(|_| p.to_path_buf())
}
