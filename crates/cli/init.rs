//! `ztguard init`: a policy tailored to the project, and the hook registered
//! in `.claude/settings.json` — merged, never replacing what is there.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

use crate::context;

#[derive(clap::Args)]
#[command(
    after_help = "Running it twice changes nothing the second time. Existing settings, hooks and permission rules in \
.claude/settings.json are kept; an existing .ztguard.toml is kept unless --force is given."
)]
pub struct Args {
    /// Print what would be written instead of writing it.
    #[arg(long)]
    dry_run: bool,
    /// Replace an existing .ztguard.toml.
    #[arg(long)]
    force: bool,
    /// Only write .ztguard.toml; do not touch .claude/settings.json.
    #[arg(long)]
    no_hook: bool,
    /// The project directory (default: the current directory).
    #[arg(long)]
    project: Option<PathBuf>,
    /// Also install a git pre-commit hook that runs `ztguard scan --staged`.
    #[arg(long)]
    git_hook: bool,
}

const GIT_HOOK_MARKER: &str = "# ztguard pre-commit hook";

/// The pre-commit script: scan what the commit adds; a finding stops it.
fn git_hook_script() -> String {
    let exe = hook_command();
    let exe = exe.strip_suffix(" hook").unwrap_or(&exe);
    format!(
        "#!/bin/sh\n{GIT_HOOK_MARKER} (installed by `ztguard init --git-hook`).\n\
# Stops a commit that adds secrets, insecure code or risky dependencies.\n\
# Accept reviewed findings: ztguard scan --staged --write-baseline .ztguard/baseline.json\n\
exec {exe} scan --staged --no-progress\n"
    )
}

/// Install the git pre-commit hook (where git looks for hooks, core.hooksPath included).
fn install_git_hook(project: &Path, dry_run: bool, force: bool) -> anyhow::Result<()> {
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
    let path = dir.join("pre-commit");
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

/// The hook command: this binary's absolute path, so a PATH change cannot silently disable the gate.
fn hook_command() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .unwrap_or_else(|| PathBuf::from("ztguard"));
    let s = exe.to_string_lossy().into_owned();
    let quoted = if s.contains(|c: char| c.is_whitespace() || "'\"$`\\".contains(c)) {
        format!("'{}'", s.replace('\'', "'\\''"))
    } else {
        s
    };
    format!("{quoted} hook")
}

fn is_ztguard_hook(h: &Value) -> bool {
    h.get("command").and_then(Value::as_str).is_some_and(|c| {
        c.contains("ztguard") && c.trim_end().ends_with(" hook") || c.contains("ztguard hook")
    })
}

/// The events the hook is registered for.
pub const HOOK_EVENTS: &[&str] = &[
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "SessionStart",
    "SessionEnd",
];
const TOOL_EVENTS: &[&str] = &[
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PostToolUseFailure",
];

/// Add the ztguard hook for every event of [`HOOK_EVENTS`], keeping everything else.
/// Returns whether anything changed.
pub fn register_hook(settings: &mut Value, command: &str) -> anyhow::Result<bool> {
    let obj = settings
        .as_object_mut()
        .context(".claude/settings.json is not a JSON object")?;
    let hooks = obj.entry("hooks").or_insert_with(|| json!({}));
    let hooks = hooks
        .as_object_mut()
        .context("`hooks` in .claude/settings.json is not an object")?;
    let mut changed = false;
    // Tool events decide and record; PostToolUse also reports secrets in
    // what a tool returned; the session and prompt events feed the audit
    // log and the monitor, and UserPromptSubmit stops credentials in prompts.
    for event in HOOK_EVENTS {
        let groups = hooks.entry(*event).or_insert_with(|| json!([]));
        let groups = groups
            .as_array_mut()
            .with_context(|| format!("`hooks.{event}` is not an array"))?;
        let present = groups.iter().any(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_some_and(|hs| hs.iter().any(is_ztguard_hook))
        });
        if !present {
            let handler = json!([ { "type": "command", "command": command, "timeout": 30 } ]);
            // Events without tools take no matcher (one set there is ignored).
            groups.push(if TOOL_EVENTS.contains(event) {
                json!({ "matcher": "*", "hooks": handler })
            } else {
                json!({ "hooks": handler })
            });
            changed = true;
        }
    }
    Ok(changed)
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let project = match &args.project {
        Some(p) => context::absolute(p),
        None => std::env::current_dir().context("no current directory")?,
    };
    if !project.is_dir() {
        bail!("{} is not a directory", project.display());
    }
    let ecosystems = detect(&project);
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
    let write_policy = args.force || !policy_path.exists();

    let settings_path = project.join(".claude/settings.json");
    let mut settings = match std::fs::read_to_string(&settings_path) {
        Ok(t) if t.trim().is_empty() => json!({}),
        Ok(t) => serde_json::from_str::<Value>(&t).with_context(|| {
            format!(
                "{} is not valid JSON; fix it first (nothing was changed)",
                settings_path.display()
            )
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => json!({}),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot read {}", settings_path.display()));
        }
    };
    let hook_changed = !args.no_hook && register_hook(&mut settings, &hook_command())?;
    let settings_text = format!("{}\n", serde_json::to_string_pretty(&settings)?);

    if args.dry_run {
        if write_policy {
            println!("would write {}:\n{policy_text}", policy_path.display());
        } else {
            println!(
                "would keep the existing {} (use --force to replace it)",
                policy_path.display()
            );
        }
        if hook_changed {
            println!("would write {}:\n{settings_text}", settings_path.display());
        } else if !args.no_hook {
            println!(
                "{}: the ztguard hook is already registered",
                settings_path.display()
            );
        }
        if args.git_hook {
            install_git_hook(&project, true, args.force)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    if write_policy {
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
    } else {
        println!(
            "kept the existing {} (use --force to replace it)",
            policy_path.display()
        );
    }
    if hook_changed {
        if let Some(dir) = settings_path.parent() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let tmp = settings_path.with_extension("json.ztguard-tmp");
        std::fs::write(&tmp, &settings_text)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        std::fs::rename(&tmp, &settings_path)
            .with_context(|| format!("cannot replace {}", settings_path.display()))?;
        println!(
            "registered `{}` for the tool, prompt and session events in {}",
            hook_command(),
            settings_path.display()
        );
    } else if !args.no_hook {
        println!(
            "{}: the ztguard hook is already registered",
            settings_path.display()
        );
    }
    if args.git_hook {
        install_git_hook(&project, false, args.force)?;
    }
    println!(
        "next: `ztguard policy lint` to check the policy, `ztguard check bash 'cat .env'` to try it, \
         `ztguard exec -- claude` to run the agent inside the kernel sandbox"
    );
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_keeps_other_hooks_and_is_idempotent() {
        let mut s = json!({"model": "x", "hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "other"}]}]}});
        assert!(register_hook(&mut s, "/bin/ztguard hook").unwrap_or(false));
        assert!(!register_hook(&mut s, "/bin/ztguard hook").unwrap_or(true));
        assert_eq!(s["model"], "x");
        assert_eq!(s["hooks"]["PreToolUse"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            s["hooks"]["PermissionRequest"].as_array().map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn tailoring_keeps_detected_groups() {
        let t = tailor(ztguard_policy::default_policy_toml(), &["rust"]);
        assert!(t.contains("extend = { use_default = false }"));
        assert!(t.contains("\"cargo test *\""));
        assert!(!t.contains("\"npm test *\""));
        assert!(t.contains("\"git status *\""));
    }
}
