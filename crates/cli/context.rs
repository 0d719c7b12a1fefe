//! Where the project and home are, and which policy files apply: read
//! from the process environment, for the commands and the core's [`Env`].

use std::path::{Path, PathBuf};

use ztguard_core::{Env, Places};
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

/// The project Claude Code declares: `$CLAUDE_PROJECT_DIR`.
fn declared_project() -> Option<PathBuf> {
    std::env::var_os("CLAUDE_PROJECT_DIR")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
}

/// The project root for a call made in `cwd`: `$CLAUDE_PROJECT_DIR` when
/// `cwd` is inside it, else the nearest ancestor with a `.ztguard.toml`, then
/// with a `.git`, else `cwd` itself.
pub fn project_root(cwd: &Path) -> PathBuf {
    ztguard_core::project_root(cwd, declared_project().as_deref())
}

/// The core's environment for this process: the home, the data
/// directories, the policy files (`ZTGUARD_MANAGED_POLICY`,
/// `XDG_CONFIG_HOME`) and the declared project.
pub fn env() -> Env {
    let home = home();
    Env {
        data_dir: data_dir(),
        places: places(&home),
        managed: std::env::var_os("ZTGUARD_MANAGED_POLICY")
            .filter(|m| !m.is_empty())
            .map(PathBuf::from),
        user: std::env::var_os("XDG_CONFIG_HOME")
            .filter(|x| !x.is_empty())
            .map(|x| PathBuf::from(x).join("ztguard/policy.toml")),
        declared_project: declared_project(),
        pinned_project: None,
        home,
    }
}

/// The profile to apply: `given`, else `$ZTGUARD_PROFILE`.
pub fn profile(given: Option<&str>) -> Option<String> {
    given.map(str::to_string).or_else(|| {
        std::env::var("ZTGUARD_PROFILE")
            .ok()
            .filter(|p| !p.is_empty())
    })
}

/// Strict mode: `given`, or `ZTGUARD_STRICT=1`.
pub fn strict(given: bool) -> bool {
    given || std::env::var("ZTGUARD_STRICT").is_ok_and(|v| v == "1" || v == "true")
}

/// Does a human attend the agent's session? Claude Code says so to its
/// hooks in `CLAUDE_CODE_SESSION_ATTENDED` (`0` in `claude -p` runs, `1`
/// in interactive ones); None when unset or unreadable.
pub fn session_attended() -> Option<bool> {
    match std::env::var("CLAUDE_CODE_SESSION_ATTENDED").ok()?.as_str() {
        "0" | "false" => Some(false),
        "1" | "true" => Some(true),
        _ => None,
    }
}

/// Where the audit log's checkpoints and signing key are.
pub fn places(home: &Path) -> Places {
    Places {
        data_dir: data_dir(),
        key_file: key_file(home),
    }
}

/// The checkpoint signing key: `$ZTGUARD_AUDIT_KEY`, else
/// `$XDG_CONFIG_HOME/ztguard/audit.key`, else `~/.config/ztguard/audit.key`.
/// The built-in protections deny the agent reading it.
pub fn key_file(home: &Path) -> PathBuf {
    if let Some(k) = std::env::var_os("ZTGUARD_AUDIT_KEY").filter(|k| !k.is_empty()) {
        return PathBuf::from(k);
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("ztguard/audit.key");
    }
    home.join(".config/ztguard/audit.key")
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
    o.profile = self::profile(profile);
    o.strict = self::strict(strict);
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
