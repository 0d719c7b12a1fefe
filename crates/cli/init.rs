//! `ztguard init`: a policy tailored to the project, and the hook registered
//! in `.claude/settings.json` — merged, never replacing what is there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use ztguard_agents::claude::wiring::{self, Scope};

use crate::context;

#[derive(clap::Args)]
#[command(
    after_help = "Running it twice changes nothing the second time. Existing settings, hooks and permission rules in \
the settings file are kept; an existing .ztguard.toml is kept unless --force is given. Run from a subdirectory, it \
works on the project around it (the nearest directory with a .ztguard.toml, else with a .git).

The registered hook command does not name a path: it finds ztguard on the PATH (then in ~/.cargo/bin) of the \
machine that runs it, and blocks every call with an install message where it is missing or broken, so a \
committed .claude/settings.json fails closed on a teammate's machine.

Examples:
  ztguard init                      # .ztguard.toml + the hook in .claude/settings.json (shared with the project)
  ztguard init --scope local        # the hook in .claude/settings.local.json (this checkout only)
  ztguard init --scope user         # the hook in ~/.claude/settings.json (every project of this user)
  ztguard init --remove             # take the hook out of .claude/settings.json again
  ztguard doctor                    # check the wiring, the binary, the policy and the audit log"
)]
pub struct Args {
    /// Print what would be written instead of writing it.
    #[arg(long)]
    dry_run: bool,
    /// Replace an existing .ztguard.toml.
    #[arg(long)]
    force: bool,
    /// Only write .ztguard.toml; do not touch any settings file.
    #[arg(long, conflicts_with_all = ["scope", "remove"])]
    no_hook: bool,
    /// Which Claude Code settings file gets the hook: project (.claude/settings.json, committed),
    /// local (.claude/settings.local.json, this checkout only) or user (~/.claude/settings.json).
    #[arg(long, value_enum, default_value_t = ScopeArg::Project)]
    scope: ScopeArg,
    /// Take ztguard's hook out of the settings file of --scope (and, with --git-hook, the
    /// pre-commit hook) instead; the policy and the audit log are kept.
    #[arg(long)]
    remove: bool,
    /// The project directory (default: the project around the current directory).
    #[arg(long)]
    project: Option<PathBuf>,
    /// Also install a git pre-commit hook that runs `ztguard scan --staged`.
    #[arg(long)]
    git_hook: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum ScopeArg {
    Project,
    Local,
    User,
}

impl From<ScopeArg> for Scope {
    fn from(s: ScopeArg) -> Scope {
        match s {
            ScopeArg::Project => Scope::Project,
            ScopeArg::Local => Scope::Local,
            ScopeArg::User => Scope::User,
        }
    }
}

const GIT_HOOK_MARKER: &str = "# ztguard pre-commit hook";

/// The pre-commit script: scan what the commit adds; a finding stops it.
/// ztguard is found where the hook runs (as the agent hook finds it); a
/// missing one stops the commit with an install message.
fn git_hook_script() -> String {
    format!(
        "#!/bin/sh\n{GIT_HOOK_MARKER} (installed by `ztguard init --git-hook`).\n\
# Stops a commit that adds secrets, insecure code or risky dependencies.\n\
# Accept reviewed findings (added to the baseline; its entries are kept):\n\
#   ztguard scan --staged --write-baseline .ztguard/baseline.json\n\
# Drop entries no longer found (a whole-tree scan): ztguard scan --write-baseline .ztguard/baseline.json --prune-baseline\n\
# Vulnerable versions are checked only with a database (ztguard deps update --from);\n\
# add --require-db below to refuse commits while it is missing or stale.\n\
z=$(command -v ztguard) || z=\"$HOME/.cargo/bin/ztguard\"\n\
if [ ! -x \"$z\" ]; then\n\
  echo 'ztguard: the pre-commit scan cannot run: ztguard is not installed here (install it, or commit with --no-verify to skip the scan)' >&2\n\
  exit 1\n\
fi\n\
exec \"$z\" scan --staged --no-progress\n"
    )
}

/// The pre-commit hook's path: where git looks for hooks, core.hooksPath included.
fn git_hook_path(project: &Path) -> anyhow::Result<PathBuf> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(project)
        .args(["rev-parse", "--git-path", "hooks"])
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "{} is not in a git repository: `--git-hook` needs one",
            project.display()
        );
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let dir = if dir.is_absolute() {
        dir
    } else {
        project.join(dir)
    };
    Ok(dir.join("pre-commit"))
}

/// Remove the pre-commit hook if it is ztguard's (and put back the one it replaced).
fn remove_git_hook(project: &Path, dry_run: bool) -> anyhow::Result<()> {
    let path = git_hook_path(project)?;
    match std::fs::read_to_string(&path) {
        Ok(t) if t.contains(GIT_HOOK_MARKER) => {}
        Ok(_) => {
            println!(
                "{}: not ztguard's pre-commit hook; left as it is",
                path.display()
            );
            return Ok(());
        }
        Err(_) => {
            println!("{}: no pre-commit hook", path.display());
            return Ok(());
        }
    }
    let backup = path.with_file_name("pre-commit.before-ztguard");
    if dry_run {
        println!("would remove the pre-commit hook {}", path.display());
    } else if backup.exists() {
        std::fs::rename(&backup, &path)
            .with_context(|| format!("cannot restore {}", backup.display()))?;
        println!(
            "restored the pre-commit hook ztguard had replaced ({})",
            path.display()
        );
    } else {
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        println!("removed the pre-commit hook {}", path.display());
    }
    Ok(())
}

/// Install the git pre-commit hook.
fn install_git_hook(project: &Path, dry_run: bool, force: bool) -> anyhow::Result<()> {
    let path = git_hook_path(project)?;
    let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let script = git_hook_script();
    match std::fs::read_to_string(&path) {
        Ok(existing) if existing == script => {
            println!(
                "{}: the ztguard pre-commit hook is already installed",
                path.display()
            );
            return Ok(());
        }
        Ok(existing) if !existing.contains(GIT_HOOK_MARKER) && !force => {
            bail!(
                "{} already exists and is not ztguard's; add `{}` to it yourself, or use --force to replace it (a backup is kept)",
                path.display(),
                "ztguard scan --staged"
            );
        }
        _ => {}
    }
    if dry_run {
        println!("would write {}:\n{script}", path.display());
        return Ok(());
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    if path.exists() {
        let backup = dir.join("pre-commit.before-ztguard");
        std::fs::copy(&path, &backup)
            .with_context(|| format!("cannot back up {}", path.display()))?;
    }
    std::fs::write(&path, &script).with_context(|| format!("cannot write {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("cannot make {} executable", path.display()))?;
    }
    println!(
        "installed the pre-commit hook {} (runs `ztguard scan --staged`)",
        path.display()
    );
    Ok(())
}

/// Ecosystems and the files that reveal them.
const ECOSYSTEMS: &[(&str, &[&str])] = &[
    ("rust", &["Cargo.toml"]),
    ("node", &["package.json"]),
    (
        "python",
        &[
            "pyproject.toml",
            "requirements.txt",
            "requirements-dev.txt",
            "setup.py",
            "setup.cfg",
            "Pipfile",
        ],
    ),
    ("go", &["go.mod"]),
    (
        "make",
        &["Makefile", "makefile", "GNUmakefile", "CMakeLists.txt"],
    ),
    ("jvm", &["pom.xml", "build.gradle", "build.gradle.kts"]),
];

pub fn detect(project: &Path) -> Vec<&'static str> {
    ECOSYSTEMS
        .iter()
        .filter(|(_, files)| files.iter().any(|f| project.join(f).exists()))
        .map(|(e, _)| *e)
        .collect()
}

/// The default policy with only the build groups of the detected ecosystems.
pub fn tailor(default: &str, ecosystems: &[&str]) -> String {
    let mut out = String::new();
    let found = if ecosystems.is_empty() {
        "none recognised, so every ecosystem's build commands are kept".to_string()
    } else {
        ecosystems.join(", ")
    };
    out.push_str(&format!("# Written by `ztguard init`. Ecosystems found: {found}.\n# Check it with `ztguard policy lint`; try it with `ztguard check bash '…'`.\n#\n"));
    // A full copy: what it leaves out of the default's allow rules stays out.
    out.push_str("# This file is a tailored copy of the built-in default, so it replaces the\n# default's allow rules; the default's asks and denies still bound it.\nextend = { use_default = false }\n\n");
    let mut keep = true;
    for line in default.lines() {
        let t = line.trim();
        if let Some(tag) = t.strip_prefix("# @") {
            keep = tag == "end"
                || tag == "other" && ecosystems.is_empty()
                || ecosystems.is_empty()
                || ecosystems.contains(&tag);
            continue;
        }
        if keep {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let project = match &args.project {
        Some(p) => context::absolute(p),
        None => context::project_root(&std::env::current_dir().context("no current directory")?),
    };
    if !project.is_dir() {
        bail!("{} is not a directory", project.display());
    }
    let home = context::home();
    let scope = Scope::from(args.scope);
    if args.remove {
        return remove(args, &project, &home, scope);
    }
    // The user scope wires every project of the user: it writes no project policy.
    if scope != Scope::User {
        write_policy(args, &project)?;
        if !args.dry_run {
            // The log and the ledger exist from the start, so that the
            // first `ztguard exec` finds them to bind read-only.
            let settings = context::load(&project, &home, None, false)
                .map(|p| p.audit)
                .unwrap_or_default();
            ztguard_core::trail::create_state(&project, &settings)
                .map_err(|e| anyhow::anyhow!("cannot create ztguard's state: {e}"))?;
        }
    }
    if !args.no_hook {
        wire(args, &project, &home, scope)?;
    }
    if args.git_hook {
        install_git_hook(&project, args.dry_run, args.force)?;
    }
    if !args.dry_run {
        println!(
            "next: `ztguard doctor` to check the wiring, `ztguard check bash 'cat .env'` to try the policy, \
             `ztguard exec -- claude` to run the agent inside the kernel sandbox"
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Write the project's tailored `.ztguard.toml` (kept if there is one, unless --force).
fn write_policy(args: &Args, project: &Path) -> anyhow::Result<()> {
    let ecosystems = detect(project);
    let policy_path = project.join(".ztguard.toml");
    let policy_text = tailor(ztguard_policy::default_policy_toml(), &ecosystems);
    let findings = ztguard_policy::lint::lint(&policy_path, &policy_text);
    if let Some(e) = findings
        .iter()
        .find(|f| f.severity == ztguard_policy::lint::Severity::Error)
    {
        bail!(
            "internal error: the generated policy does not lint ({}:{}: {})",
            e.line,
            e.column,
            e.message
        );
    }
    let keep = !args.force && policy_path.exists();
    if keep {
        let verb = if args.dry_run { "would keep" } else { "kept" };
        println!(
            "{verb} the existing {} (use --force to replace it)",
            policy_path.display()
        );
    } else if args.dry_run {
        println!("would write {}:\n{policy_text}", policy_path.display());
    } else {
        std::fs::write(&policy_path, &policy_text)
            .with_context(|| format!("cannot write {}", policy_path.display()))?;
        println!(
            "wrote {} (ecosystems: {})",
            policy_path.display(),
            if ecosystems.is_empty() {
                "none found".into()
            } else {
                ecosystems.join(", ")
            }
        );
    }
    Ok(())
}

/// Read a settings file: `{}` when it is missing or empty.
fn read_settings(path: &Path) -> anyhow::Result<Value> {
    match std::fs::read_to_string(path) {
        Ok(t) if t.trim().is_empty() => Ok(json!({})),
        Ok(t) => serde_json::from_str::<Value>(&t).with_context(|| {
            format!(
                "{} is not valid JSON; fix it first (nothing was changed)",
                path.display()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Replace a settings file through a temporary file beside it.
fn write_settings(path: &Path, settings: &Value) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let text = format!("{}\n", serde_json::to_string_pretty(settings)?);
    let tmp = path.with_extension("json.ztguard-tmp");
    std::fs::write(&tmp, &text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// The other scopes whose settings file already registers ztguard.
fn wired_elsewhere(project: &Path, home: &Path, scope: Scope) -> Vec<(Scope, PathBuf)> {
    Scope::ALL
        .into_iter()
        .filter(|s| *s != scope)
        .map(|s| (s, s.path(project, home)))
        .filter(|(_, p)| read_settings(p).is_ok_and(|v| !wiring::registered(&v).is_empty()))
        .collect()
}

/// Register the fail-closed hook in the settings file of `scope`.
fn wire(args: &Args, project: &Path, home: &Path, scope: Scope) -> anyhow::Result<()> {
    let path = scope.path(project, home);
    let mut settings = read_settings(&path)?;
    let command = wiring::hook_command();
    let done = wiring::register(&mut settings, &command).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; fix it first (nothing was changed)",
            path.display()
        )
    })?;
    for (other, p) in wired_elsewhere(project, home, scope) {
        eprintln!(
            "warning: ztguard is also registered in the {} settings ({}): each call would be checked and \
             recorded twice; remove one with `ztguard init --remove --scope {}`",
            other.as_str(),
            p.display(),
            other.as_str()
        );
    }
    if !done.changed() {
        println!("{}: the ztguard hook is already registered", path.display());
        return Ok(());
    }
    if args.dry_run {
        println!(
            "would write {}:\n{}",
            path.display(),
            serde_json::to_string_pretty(&settings)?
        );
        return Ok(());
    }
    write_settings(&path, &settings)?;
    if done.updated > 0 {
        println!(
            "{}: replaced {} ztguard hook command(s) that named a binary path (they let calls through \
             wherever that path is missing) with the fail-closed one",
            path.display(),
            done.updated
        );
    }
    println!(
        "registered the ztguard hook ({} scope) for the tool, prompt and session events in {}; it runs the \
         ztguard found on the PATH and blocks every call where none is installed",
        scope.as_str(),
        path.display()
    );
    Ok(())
}

/// `--remove`: take ztguard's handlers out of the settings file of `scope`.
fn remove(args: &Args, project: &Path, home: &Path, scope: Scope) -> anyhow::Result<ExitCode> {
    let path = scope.path(project, home);
    let mut settings = read_settings(&path)?;
    let removed = wiring::remove(&mut settings).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; fix it first (nothing was changed)",
            path.display()
        )
    })?;
    if removed == 0 {
        println!("{}: no ztguard hook is registered there", path.display());
    } else if args.dry_run {
        println!(
            "would remove {removed} ztguard hook handler(s) from {}:\n{}",
            path.display(),
            serde_json::to_string_pretty(&settings)?
        );
    } else {
        write_settings(&path, &settings)?;
        println!(
            "removed {removed} ztguard hook handler(s) from {} (the policy and the audit log are kept)",
            path.display()
        );
    }
    if args.git_hook {
        remove_git_hook(project, args.dry_run)?;
    }
    for (other, p) in wired_elsewhere(project, home, scope) {
        println!(
            "note: ztguard is still registered in the {} settings ({}); `ztguard init --remove --scope {}` removes it",
            other.as_str(),
            p.display(),
            other.as_str()
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tailoring_keeps_detected_groups() {
        let t = tailor(ztguard_policy::default_policy_toml(), &["rust"]);
        assert!(t.contains("extend = { use_default = false }"));
        assert!(t.contains("\"cargo test *\""));
        assert!(!t.contains("\"npm test *\""));
        assert!(t.contains("\"git status *\""));
    }
}
