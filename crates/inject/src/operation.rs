//! What an approved operation may be asked to do under `ztguard exec`,
//! beyond matching its secret's `allow` pattern: where it runs, which
//! programs its PATH finds, and which options of an allowed tool are
//! refused because they make the tool run another program or obey other
//! configuration.
//!
//! The options come from the hook's own command analysis
//! ([`ztguard_shell::effects`]): what makes a command line ask there
//! (`git -c`, `git push --receive-pack`, `npm --script-shell`) refuses the
//! operation here, where no one is asked.

use std::path::{Path, PathBuf};

use ztguard_shell::ShellEnv;

/// The system's program directories: an operation's PATH starts with them.
pub const SYSTEM_PATH: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// The operation's directory, canonical, when it lies inside the
/// (canonical) project: `proj/../../tmp` and a symlink out are refused.
pub fn cwd_inside(cwd: &Path, project: &Path) -> Result<PathBuf, String> {
    let real = std::fs::canonicalize(cwd)
        .map_err(|e| format!("the operation's directory {}: {e}", cwd.display()))?;
    let project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
    if !real.starts_with(&project) {
        return Err(format!(
            "an operation under ztguard exec runs inside the project {}; {} is {}",
            project.display(),
            cwd.display(),
            real.display()
        ));
    }
    Ok(real)
}

/// Refuse a git repository between `cwd` and the project root other than
/// the project's own: git would obey its configuration and hooks, which
/// the agent wrote (`git init sub && git -C sub config core.hooksPath …`).
pub fn own_repository(cwd: &Path, project: &Path) -> Result<(), String> {
    let mut dir = cwd;
    while dir != project && dir.starts_with(project) {
        let dotgit = dir.join(".git");
        if std::fs::symlink_metadata(&dotgit).is_ok() {
            return Err(format!(
                "{} is a repository of its own inside the project; an operation with a secret runs with the project's repository only, whose configuration the sandbox cannot change",
                dir.display()
            ));
        }
        let Some(parent) = dir.parent() else { break };
        dir = parent;
    }
    Ok(())
}

/// Quote a word for a POSIX shell.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// Refuse arguments that make an allowed tool run another program, load
/// other code or configuration, or work on another project.
pub fn check_arguments(argv: &[String]) -> Result<(), String> {
    if let Some(w) = argv.iter().find(|w| w.contains('\0')) {
        return Err(format!("a NUL in the argument {w:?}"));
    }
    let line: Vec<String> = argv.iter().map(|w| quote(w)).collect();
    let analysis = ztguard_shell::analyze(&line.join(" "), &ShellEnv::default());
    if let Some(e) = analysis.error {
        return Err(format!("the operation cannot be analysed: {e}"));
    }
    let Some(cmd) = analysis.commands.first() else {
        return Err("no operation given".into());
    };
    let fx = ztguard_shell::effects(cmd);
    if let Some(why) = fx.risky.first() {
        return Err(format!(
            "`{}` is refused with a secret: {why}, which the secret would go to as well",
            argv.join(" ")
        ));
    }
    // The directory the tool runs in is the operation's own (checked by
    // the caller); any other is refused.
    let elsewhere = fx.projects.iter().any(|f| {
        !(f.cwd == ztguard_shell::Cwd::Start && !f.path.dynamic && f.path.values == ["."])
    });
    if elsewhere {
        return Err(format!(
            "`{}` is refused with a secret: an option points the tool at another directory or repository, whose configuration the agent may have written",
            argv.join(" ")
        ));
    }
    let program = Path::new(&argv[0])
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if program == "git" || program.starts_with("git-") {
        // Remote helpers that run a command or use a descriptor: `ext::sh -c …`, `fd::3`.
        if let Some(w) = argv[1..].iter().find(|w| {
            let w = w.to_ascii_lowercase();
            w.contains("ext::") || w.contains("fd::")
        }) {
            return Err(format!(
                "`{w}` is refused with a secret: git's ext:: and fd:: transports run a command of the URL's choosing"
            ));
        }
    }
    Ok(())
}

/// An operation's PATH: the system's directories, then `extra` (the
/// directories of the programs pinned when `ztguard exec` started).
pub fn path(extra: &[PathBuf]) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = SYSTEM_PATH.iter().map(PathBuf::from).collect();
    for d in extra {
        if !dirs.contains(d) {
            dirs.push(d.clone());
        }
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn options_that_run_another_program_are_refused() {
        for line in [
            "git push --receive-pack=/tmp/x origin",
            "git push --receive-pack /tmp/x origin",
            "git push --exec=/tmp/x origin",
            "git fetch --upload-pack=/tmp/x origin",
            "git -c core.hooksPath=.hk push origin",
            "git -c core.sshCommand=sh push origin",
            "git --config-env=core.pager=X push",
            "git --exec-path=/tmp push",
            "git -C sub push origin",
            "git --git-dir=/tmp/r/.git push",
            "git --work-tree=/tmp push",
            "git push ext::sh -c touch% /tmp/x",
            "git push EXT::sh",
            "git push fd::3 main",
            "git clone --upload-pack=x url",
            "npm publish --script-shell=/tmp/x",
            "npm run deploy --script-shell /tmp/sh",
            "npm publish --userconfig=/tmp/npmrc",
            "yarn --cwd /tmp publish",
            "pnpm publish --userconfig /tmp/npmrc",
            "npm --prefix /tmp publish",
        ] {
            assert!(check_arguments(&args(line)).is_err(), "{line}");
        }
        for line in [
            "git push origin HEAD:refs/heads/main",
            "git push -q origin main",
            "npm publish",
            "./scripts/deploy.sh --prod",
        ] {
            let r = check_arguments(&args(line));
            assert!(r.is_ok(), "{line}: {r:?}");
        }
    }

    #[test]
    fn the_directory_is_judged_by_where_it_really_is() {
        let t = tempfile::tempdir().expect("tempdir");
        let project = t.path().join("proj");
        std::fs::create_dir_all(project.join("sub")).expect("mkdir");
        std::fs::create_dir_all(t.path().join("elsewhere")).expect("mkdir");
        assert!(cwd_inside(&project.join("sub"), &project).is_ok());
        assert!(cwd_inside(&project.join("../elsewhere"), &project).is_err());
        assert!(cwd_inside(&project.join("sub/../../../tmp"), &project).is_err());
        std::os::unix::fs::symlink(t.path().join("elsewhere"), project.join("out")).expect("ln");
        assert!(cwd_inside(&project.join("out"), &project).is_err());
    }

    #[test]
    fn a_nested_repository_is_not_the_projects() {
        let t = tempfile::tempdir().expect("tempdir");
        let project = t.path().join("proj");
        std::fs::create_dir_all(project.join(".git")).expect("mkdir");
        std::fs::create_dir_all(project.join("work/.git")).expect("mkdir");
        std::fs::create_dir_all(project.join("src/deep")).expect("mkdir");
        assert!(own_repository(&project, &project).is_ok());
        assert!(own_repository(&project.join("src/deep"), &project).is_ok());
        assert!(own_repository(&project.join("work"), &project).is_err());
        std::fs::create_dir_all(project.join("work/x")).expect("mkdir");
        assert!(own_repository(&project.join("work/x"), &project).is_err());
        // A `.git` file (gitdir: elsewhere) counts too.
        std::fs::write(project.join("src/.git"), "gitdir: /tmp/evil\n").expect("write");
        assert!(own_repository(&project.join("src/deep"), &project).is_err());
    }

    #[test]
    fn the_path_is_the_systems_then_the_pinned_programs() {
        let p = path(&[PathBuf::from("/opt/tools/bin"), PathBuf::from("/usr/bin")]);
        let dirs: Vec<PathBuf> = std::env::split_paths(&p).collect();
        assert_eq!(dirs.last(), Some(&PathBuf::from("/opt/tools/bin")));
        assert_eq!(dirs.len(), SYSTEM_PATH.len() + 1);
    }
}
