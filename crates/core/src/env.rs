//! Where the guard looks: the home directory, the policy files, the data
//! directories, and the project a call belongs to.
//!
//! The front end builds an [`Env`] once per process (from the process
//! environment, or a demo's throwaway tree); the core reads no
//! environment variable itself.

use std::path::{Path, PathBuf};

use ztguard_policy::LoadOptions;

use crate::Error;

/// Where the machine-wide pieces of the audit log are: the data directory
/// (checkpoints) and the checkpoint signing key.
#[derive(Clone, Debug)]
pub struct Places {
    pub data_dir: PathBuf,
    pub key_file: PathBuf,
}

/// The environment of every call a process answers.
#[derive(Clone, Debug)]
pub struct Env {
    /// The home directory (`~` and `$HOME` in calls; the user policy).
    pub home: PathBuf,
    /// Offline data for the content checks (the dependency database).
    pub data_dir: PathBuf,
    /// The audit log's checkpoints and signing key.
    pub places: Places,
    /// The managed policy; None: the system's (`/etc/ztguard/policy.toml`).
    pub managed: Option<PathBuf>,
    /// The user policy; None: `~/.config/ztguard/policy.toml`.
    pub user: Option<PathBuf>,
    /// The project the agent's client declares: the project of every call
    /// made inside it.
    pub declared_project: Option<PathBuf>,
    /// The project every call must be in (calls from inside `ztguard
    /// exec`); None: the one around the call's directory.
    pub pinned_project: Option<PathBuf>,
}

impl Env {
    /// The policy files of `project` under this environment.
    pub fn load_options(&self, project: &Path, profile: Option<&str>, strict: bool) -> LoadOptions {
        let mut o = LoadOptions::new(project, &self.home);
        if let Some(m) = &self.managed {
            o.managed = m.clone();
        }
        if let Some(u) = &self.user {
            o.user = u.clone();
        }
        o.profile = profile.map(str::to_string);
        o.strict = strict;
        o
    }

    /// The project of a call made in `cwd` (an absolute path): the pinned
    /// one, which the call must be inside, else [`project_root`].
    pub fn project_of(&self, cwd: &Path) -> Result<PathBuf, Error> {
        match &self.pinned_project {
            // Judged by where the directory really is: `proj/../../tmp`
            // spells itself inside the project.
            Some(p) if really_inside(cwd, p) => Ok(p.clone()),
            Some(p) => Err(Error::Call(format!(
                "under ztguard exec, tool calls run in the project {}; this one runs in {}",
                p.display(),
                cwd.display()
            ))),
            None => Ok(project_root(cwd, self.declared_project.as_deref())),
        }
    }
}

/// Is `dir` really inside `root`? Each is resolved where it exists, else
/// taken with its `..` steps applied (a directory not there yet).
fn really_inside(dir: &Path, root: &Path) -> bool {
    let really = |p: &Path| {
        std::fs::canonicalize(p).unwrap_or_else(|_| {
            let mut out = PathBuf::new();
            for c in p.components() {
                match c {
                    std::path::Component::ParentDir => {
                        out.pop();
                    }
                    std::path::Component::CurDir => {}
                    c => out.push(c),
                }
            }
            out
        })
    };
    really(dir).starts_with(really(root))
}

/// The project root for a call made in `cwd`: the `declared` project (the
/// agent's own, `CLAUDE_PROJECT_DIR`) when it is a directory — also when the
/// agent's shell has moved out of it, so a `cd /tmp/elsewhere` persisted
/// between calls does not make another directory (and its `.ztguard.toml`)
/// the project — else the nearest ancestor with a `.ztguard.toml`, then with
/// a `.git`, else `cwd` itself.
pub fn project_root(cwd: &Path, declared: Option<&Path>) -> PathBuf {
    if let Some(p) = declared
        && (cwd.starts_with(p) || (p.is_absolute() && p.is_dir()))
    {
        return p.to_path_buf();
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::project_root;

    #[test]
    fn the_declared_project_stays_the_project_when_the_shell_leaves_it() {
        let t = tempfile::tempdir().unwrap();
        let project = t.path().join("p");
        let elsewhere = t.path().join("elsewhere");
        std::fs::create_dir_all(project.join("src")).unwrap();
        std::fs::create_dir_all(elsewhere.join(".git")).unwrap();
        assert_eq!(project_root(&project.join("src"), Some(&project)), project);
        assert_eq!(project_root(&elsewhere, Some(&project)), project);
        // Without a declared project, markers decide.
        assert_eq!(project_root(&elsewhere, None), elsewhere);
        // A declared project that is not there does not capture calls.
        let gone = t.path().join("gone");
        assert_eq!(project_root(&elsewhere, Some(&gone)), elsewhere);
    }
}
