//! `ztguard doctor`: is this machine guarded? The Claude Code wiring in
//! every settings scope, the binary the hook will run, every policy layer,
//! the audit log and the kernel sandbox — each problem with its fix.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};
use ztguard_agents::claude::wiring::{self, Form, HOOK_EVENTS, Scope};
use ztguard_policy::{Policy, PolicyError};

use crate::context;

#[derive(clap::Args)]
#[command(
    after_help = "Exit status: 0 when nothing failed (warnings included), 1 when a check failed.

Examples:
  ztguard doctor                   # the project around the current directory
  ztguard doctor --project ../api --json"
)]
pub struct Args {
    /// The project (default: the project around the current directory).
    #[arg(long)]
    project: Option<PathBuf>,
    /// Print the checks as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One finding of one check.
struct Finding {
    check: &'static str,
    status: Status,
    detail: String,
    fix: Option<String>,
}

#[derive(Default)]
struct Report {
    findings: Vec<Finding>,
}

impl Report {
    fn add(&mut self, check: &'static str, status: Status, detail: String, fix: Option<String>) {
        self.findings.push(Finding {
            check,
            status,
            detail,
            fix,
        });
    }
    fn ok(&mut self, check: &'static str, detail: String) {
        self.add(check, Status::Ok, detail, None);
    }
    fn worst(&self) -> Status {
        self.findings
            .iter()
            .map(|f| f.status)
            .max()
            .unwrap_or(Status::Ok)
    }
}

/// Claude Code's managed settings on Linux (read only: an administrator's).
const MANAGED_SETTINGS: &str = "/etc/claude-code/managed-settings.json";

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let project = match &args.project {
        Some(p) => context::absolute(p),
        None => context::project_root(&std::env::current_dir()?),
    };
    let home = context::home();
    let mut r = Report::default();
    wiring_checks(&mut r, &project, &home);
    binary_check(&mut r, &project, &home);
    let policy = context::load(&project, &home, None, false);
    policy_check(&mut r, &policy);
    audit_check(&mut r, &project, &home, &policy);
    sandbox_check(&mut r);
    let failed = r.worst() == Status::Fail;
    if args.json {
        let checks: Vec<Value> = r
            .findings
            .iter()
            .map(|f| {
                json!({"check": f.check, "status": f.status.as_str(), "detail": f.detail, "fix": f.fix})
            })
            .collect();
        let v = json!({"project": project, "ok": !failed, "checks": checks});
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        println!("ztguard doctor: {}", project.display());
        for f in &r.findings {
            println!("  {:<4}  {:<8} {}", f.status.as_str(), f.check, f.detail);
            if let Some(fix) = &f.fix {
                println!("              fix: {fix}");
            }
        }
        let (w, x) = r.findings.iter().fold((0, 0), |(w, x), f| match f.status {
            Status::Warn => (w + 1, x),
            Status::Fail => (w, x + 1),
            Status::Ok => (w, x),
        });
        println!(
            "{}",
            match (x, w) {
                (0, 0) => "everything checked is in order".to_string(),
                (0, w) => format!("no failures, {w} warning(s)"),
                (x, w) => format!("{x} failure(s), {w} warning(s)"),
            }
        );
    }
    Ok(ExitCode::from(u8::from(failed)))
}

/// Each settings scope: which events reach ztguard, and in what form.
fn wiring_checks(r: &mut Report, project: &Path, home: &Path) {
    let mut wired: Vec<Scope> = Vec::new();
    let mut hooks_off = false;
    for scope in Scope::ALL {
        let path = scope.path(project, home);
        let Some(settings) = read_settings(r, &path) else {
            continue;
        };
        if settings.get("disableAllHooks") == Some(&Value::Bool(true)) {
            hooks_off = true;
            r.add(
                "wiring",
                Status::Fail,
                format!(
                    "{} sets disableAllHooks: Claude Code runs no hook at all",
                    path.display()
                ),
                Some(format!("remove `disableAllHooks` from {}", path.display())),
            );
        }
        let found = wiring::registered(&settings);
        if found.is_empty() {
            continue;
        }
        wired.push(scope);
        scope_findings(r, scope, &path, &found);
    }
    if let Some(m) = read_settings(r, Path::new(MANAGED_SETTINGS)) {
        if m.get("allowManagedHooksOnly") == Some(&Value::Bool(true))
            && wiring::registered(&m).is_empty()
        {
            r.add(
                "wiring",
                Status::Fail,
                format!(
                    "{MANAGED_SETTINGS} sets allowManagedHooksOnly: the hook in the project, local or user settings is ignored"
                ),
                Some(format!(
                    "ask the administrator to register `ztguard hook` in {MANAGED_SETTINGS}"
                )),
            );
        }
        if !wiring::registered(&m).is_empty() {
            r.ok(
                "wiring",
                format!("managed settings ({MANAGED_SETTINGS}) register ztguard"),
            );
            wired.push(Scope::User);
        }
    }
    match wired.len() {
        0 if !hooks_off => r.add(
            "wiring",
            Status::Fail,
            "no Claude Code settings file registers ztguard: the agent's calls are not checked".into(),
            Some("run `ztguard init` in the project (or `ztguard init --scope user` for every project)".into()),
        ),
        n if n > 1 => r.add(
            "wiring",
            Status::Warn,
            format!(
                "ztguard is registered in {n} settings scopes: each call is checked and recorded {n} times"
            ),
            Some("keep one: `ztguard init --remove --scope SCOPE`".into()),
        ),
        _ => {}
    }
}

/// A settings file, or None when it is absent (an unreadable or invalid one is a failure).
fn read_settings(r: &mut Report, path: &Path) -> Option<Value> {
    match std::fs::read_to_string(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            r.add(
                "wiring",
                Status::Fail,
                format!("cannot read {}: {e}", path.display()),
                Some("make it readable by the user who runs Claude Code".into()),
            );
            None
        }
        Ok(t) if t.trim().is_empty() => None,
        Ok(t) => match serde_json::from_str::<Value>(&t) {
            Ok(v) => Some(v),
            Err(e) => {
                r.add(
                    "wiring",
                    Status::Fail,
                    format!(
                        "{} is not valid JSON ({e}): Claude Code ignores it",
                        path.display()
                    ),
                    Some("fix the JSON, then run `ztguard doctor` again".into()),
                );
                None
            }
        },
    }
}

fn scope_findings(r: &mut Report, scope: Scope, path: &Path, found: &[(String, Form)]) {
    let name = format!("{} scope ({})", scope.as_str(), path.display());
    let direct: Vec<&str> = found
        .iter()
        .filter_map(|(_, f)| match f {
            Form::Direct(c) => Some(c.as_str()),
            _ => None,
        })
        .collect();
    if let Some(c) = direct.first() {
        let missing = c
            .split_whitespace()
            .next()
            .map(|p| p.trim_matches('\''))
            .is_some_and(|p| p.starts_with('/') && !Path::new(p).exists());
        let how = if missing {
            "its program does not exist here, so Claude Code lets every call through"
        } else {
            "wherever that program is missing or broken, Claude Code lets every call through"
        };
        let shared = if scope == Scope::Project {
            " (this file is shared with everyone who clones the project)"
        } else {
            ""
        };
        r.add(
            "wiring",
            if missing || scope == Scope::Project {
                Status::Fail
            } else {
                Status::Warn
            },
            format!("{name} runs `{c}` directly: {how}{shared}"),
            Some(format!(
                "run `ztguard init --scope {}` to replace it with the fail-closed command",
                scope.as_str()
            )),
        );
    }
    if found.iter().any(|(_, f)| *f == Form::OtherWrapper) {
        r.add(
            "wiring",
            Status::Warn,
            format!("{name} has the hook command of another ztguard version"),
            Some(format!(
                "run `ztguard init --scope {}` to update it",
                scope.as_str()
            )),
        );
    }
    let missing: Vec<&str> = HOOK_EVENTS
        .iter()
        .copied()
        .filter(|e| !found.iter().any(|(ev, _)| ev == e))
        .collect();
    if missing.contains(&"PreToolUse") {
        r.add(
            "wiring",
            Status::Fail,
            format!("{name} does not register PreToolUse: tool calls are not checked"),
            Some(format!("run `ztguard init --scope {}`", scope.as_str())),
        );
    } else if !missing.is_empty() {
        r.add(
            "wiring",
            Status::Warn,
            format!("{name} does not register {}", missing.join(", ")),
            Some(format!("run `ztguard init --scope {}`", scope.as_str())),
        );
    }
    if direct.is_empty() && missing.is_empty() {
        r.ok(
            "wiring",
            format!("{name}: every event, with the fail-closed hook command"),
        );
    }
}

/// The program the registered command runs: found as the wrapper finds it.
fn hook_binary(home: &Path) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|d| d.join("ztguard"))
            .find(|p| is_executable(p))
    });
    on_path.or_else(|| {
        let p = home.join(".cargo/bin/ztguard");
        is_executable(&p).then_some(p)
    })
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn binary_check(r: &mut Report, project: &Path, home: &Path) {
    let install = "install it so it is on the PATH Claude Code runs with (or in ~/.cargo/bin): \
                   `cargo install --locked --path .` in a ztguard checkout";
    let Some(bin) = hook_binary(home) else {
        r.add(
            "binary",
            Status::Fail,
            "no ztguard on the PATH or in ~/.cargo/bin: the hook blocks every call".into(),
            Some(install.into()),
        );
        return;
    };
    // The wrapper's decision: real paths, every link and `..` resolved.
    let real_bin = bin.canonicalize().ok();
    let real_project = project
        .canonicalize()
        .unwrap_or_else(|_| project.to_path_buf());
    if !bin.is_absolute()
        || real_bin
            .as_ref()
            .is_none_or(|b| b.starts_with(&real_project))
    {
        r.add(
            "binary",
            Status::Fail,
            format!(
                "the first ztguard on the PATH is {} ({}), inside the project or relative: the hook refuses \
                 it (the agent could have written it) and blocks every call",
                bin.display(),
                real_bin.as_deref().unwrap_or(&bin).display()
            ),
            Some(format!(
                "take the project's directories out of PATH, and {install}"
            )),
        );
        return;
    }
    let out = std::process::Command::new(&bin).arg("--version").output();
    let version = match out {
        Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim().to_string(),
        Ok(o) => {
            r.add(
                "binary",
                Status::Fail,
                format!(
                    "{} does not run ({}): the hook blocks every call",
                    bin.display(),
                    o.status
                ),
                Some(format!("reinstall it: {install}")),
            );
            return;
        }
        Err(e) => {
            r.add(
                "binary",
                Status::Fail,
                format!(
                    "{} cannot be started ({e}): the hook blocks every call",
                    bin.display()
                ),
                Some(format!("reinstall it: {install}")),
            );
            return;
        }
    };
    let mine = format!("ztguard {}", env!("CARGO_PKG_VERSION"));
    let same_file = std::env::current_exe()
        .ok()
        .and_then(|e| e.canonicalize().ok())
        .is_some_and(|e| bin.canonicalize().is_ok_and(|b| b == e));
    if version != mine {
        r.add(
            "binary",
            Status::Warn,
            format!(
                "the hook runs {} ({version}), a different version from this doctor ({mine})",
                bin.display()
            ),
            Some(
                "install one version: `cargo install --locked --path .` in the checkout you want"
                    .into(),
            ),
        );
    } else {
        r.ok(
            "binary",
            format!(
                "the hook runs {} ({version}){}",
                bin.display(),
                if same_file {
                    ""
                } else {
                    ", another copy of this version"
                }
            ),
        );
    }
}

fn policy_check(r: &mut Report, policy: &Result<Policy, PolicyError>) {
    match policy {
        Ok(p) => r.ok(
            "policy",
            format!("every layer loads: {}", p.sources.join(" → ")),
        ),
        Err(e) => r.add(
            "policy",
            Status::Fail,
            format!("the policy does not load, so every tool call is denied: {e}"),
            Some("fix the file it names; `ztguard policy lint` lists every problem".into()),
        ),
    }
}

/// The audit log, with the settings of the loaded policy (the default ones
/// when it does not load, as the hook records then).
fn audit_check(r: &mut Report, project: &Path, home: &Path, policy: &Result<Policy, PolicyError>) {
    let settings = match policy {
        Ok(p) => p.audit.clone(),
        Err(_) => ztguard_policy::AuditSettings::default(),
    };
    if !settings.enabled {
        r.add(
            "audit",
            Status::Warn,
            "the audit log is turned off ([audit] enabled = false)".into(),
            Some("turn it on in the policy: tool calls leave no record".into()),
        );
        return;
    }
    let log = ztguard_core::trail::log_path(project, &settings);
    if !log.exists() {
        r.ok(
            "audit",
            format!(
                "no records yet ({} is written on the first call)",
                log.display()
            ),
        );
        return;
    }
    let places = context::places(home);
    let checked = ztguard_core::trail::anchor(&log, &places)
        .and_then(|a| ztguard_audit::check_anchor(&log, &a));
    match checked {
        Ok((v, s)) if v.ok() && s.ok() => r.ok(
            "audit",
            format!("{}: {} records, the chain and its checkpoint verify", log.display(), v.records),
        ),
        Ok(_) => r.add(
            "audit",
            Status::Fail,
            format!("{} does not verify: records were changed, removed or torn", log.display()),
            Some("see `ztguard audit verify` for where; `ztguard audit repair` removes only torn lines".into()),
        ),
        Err(e) => r.add(
            "audit",
            Status::Fail,
            format!("{} cannot be verified: {e}", log.display()),
            Some("see `ztguard audit verify`".into()),
        ),
    }
}

fn sandbox_check(r: &mut Report) {
    let s = ztguard_sandbox::probe();
    let missing = s.missing();
    let has = format!(
        "Landlock {}, user namespaces {}, seccomp {}",
        s.landlock_abi
            .map_or("no".to_string(), |v| format!("ABI {v}")),
        if s.user_namespaces { "yes" } else { "no" },
        if s.seccomp { "yes" } else { "no" }
    );
    if missing.is_empty() {
        r.ok(
            "sandbox",
            format!("`ztguard exec` is fully enforced by this kernel ({has})"),
        );
    } else {
        r.add(
            "sandbox",
            Status::Warn,
            format!(
                "`ztguard exec` lacks {} on this kernel ({has}); the hook is unaffected",
                missing.join(", ")
            ),
            Some("see `ztguard sandbox status` and docs/sandbox.md".into()),
        );
    }
}
