//! `ztguard policy`: lint, show and print policies.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use ztguard_policy::lint::{FileKind, Finding, LintOptions, Severity, lint_with};

use crate::context;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate the policy files in effect here (managed, user, project, and the Claude Code
    /// settings imported), or one file: every error with file:line:column, warnings about grants
    /// too broad to be useful, names that never match, and project settings that try to widen.
    ///
    /// Exit status: 0 no errors (warnings allowed), 1 errors, 2 a file cannot be read.
    Lint {
        /// One file to lint (default: every layer in effect for this project).
        file: Option<PathBuf>,
        /// Lint FILE as this layer (default: project, the strictest).
        #[arg(long = "as", value_enum, default_value = "project")]
        kind: Kind,
        /// Print findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show the effective policy here: the layers in order, each rule with its layer, the profiles.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Print the built-in default policy (what `ztguard init` starts from).
    Default,
    /// Print the JSON Schema of the policy file (for editors: `#:schema` in taplo).
    Schema,
    /// Print the built-in protections (always applied, cannot be turned off).
    Protections,
    /// Trust this project's .ztguard.toml as it is now: its rules then count as your own, so
    /// it can allow what the default asks about. A human's decision, recorded next to your user
    /// policy and bound to the file's content: any change to the file (a pull, an edit) voids it.
    /// Its settings ([scan], [audit], [monitor], [undo], [env]) still only tighten.
    #[command(after_help = "Examples:
  ztguard policy show            # read what the project's file allows first
  ztguard policy trust           # trust it as it is now
  ztguard policy trust --remove  # back to narrowing only")]
    Trust {
        /// Withdraw the trust instead.
        #[arg(long)]
        remove: bool,
    },
}

/// The layer a file is linted as.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    Project,
    User,
    Managed,
}

/// Lint one file; None when it does not exist and `optional`.
fn lint_file(
    path: &std::path::Path,
    kind: FileKind,
    optional: bool,
) -> anyhow::Result<Option<Vec<Finding>>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(anyhow::anyhow!("cannot read {}: {e}", path.display())),
    };
    let is_json = path.extension().is_some_and(|e| e == "json");
    if is_json {
        return Ok(Some(
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(_) => Vec::new(),
                Err(e) => vec![Finding {
                    severity: Severity::Error,
                    line: e.line(),
                    column: e.column(),
                    message: format!("invalid JSON: {e}"),
                }],
            },
        ));
    }
    let opts = LintOptions {
        kind,
        known_tools: ztguard_agents::claude::KNOWN_TOOLS,
    };
    Ok(Some(lint_with(path, &text, &opts)))
}

pub fn run(cmd: &Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Lint { file, kind, json } => {
            let cwd = std::env::current_dir().context("no current directory")?;
            let as_kind = match kind {
                Kind::Project => FileKind::Project,
                Kind::User => FileKind::User,
                Kind::Managed => FileKind::Managed,
            };
            // (path, kind, optional)
            let files: Vec<(PathBuf, FileKind, bool)> = match file {
                Some(f) => vec![(f.clone(), as_kind, false)],
                None => {
                    let project = context::project_root(&cwd);
                    let home = context::home();
                    let o = context::load_options(&project, &home, None, false);
                    vec![
                        (o.managed.clone(), FileKind::Managed, true),
                        (o.user.clone(), FileKind::User, true),
                        (project.join(".ztguard.toml"), FileKind::Project, true),
                        (
                            project.join(".claude/settings.json"),
                            FileKind::Project,
                            true,
                        ),
                        (
                            project.join(".claude/settings.local.json"),
                            FileKind::Project,
                            true,
                        ),
                        (home.join(".claude/settings.json"), FileKind::User, true),
                    ]
                }
            };
            let mut report = Vec::new();
            let mut unreadable = false;
            for (path, k, optional) in &files {
                match lint_file(path, *k, *optional) {
                    Ok(Some(findings)) => report.push((path.clone(), findings)),
                    Ok(None) => {}
                    Err(e) => {
                        eprintln!("ztguard: {e}");
                        unreadable = true;
                    }
                }
            }
            if *json {
                let v: Vec<serde_json::Value> = report
                    .iter()
                    .map(|(p, f)| serde_json::json!({ "file": p, "findings": f }))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                if report.is_empty() && !unreadable {
                    println!("no policy file here: the built-in default applies");
                }
                for (path, findings) in &report {
                    for f in findings {
                        let sev = match f.severity {
                            Severity::Error => "error",
                            Severity::Warning => "warning",
                        };
                        println!(
                            "{}:{}:{}: {sev}: {}",
                            path.display(),
                            f.line,
                            f.column,
                            f.message
                        );
                    }
                    if findings.is_empty() {
                        println!("{}: ok", path.display());
                    }
                }
            }
            if unreadable {
                return Ok(ExitCode::from(2));
            }
            let errors = report
                .iter()
                .flat_map(|(_, f)| f)
                .any(|f| f.severity == Severity::Error);
            Ok(ExitCode::from(u8::from(errors)))
        }
        Command::Show { json } => {
            let cwd = std::env::current_dir().context("no current directory")?;
            let project = context::project_root(&cwd);
            let home = context::home();
            let policy =
                context::load(&project, &home, None, false).context("the policy does not load")?;
            let profiles: Vec<serde_json::Value> = policy
                .profiles
                .iter()
                .map(|p| serde_json::json!({ "name": p.name, "agent_types": p.agent_types }))
                .collect();
            let secrets: Vec<serde_json::Value> = policy
                .secrets
                .iter()
                .map(|s| {
                    serde_json::json!({
                        "name": s.name,
                        "source": s.source.to_string(),
                        "env": s.env,
                        "allow": s.allow.iter().map(|p| p.source.clone()).collect::<Vec<_>>(),
                        "command": s.command,
                        "defined_in": s.defined_in,
                    })
                })
                .collect();
            let layer_json = |l: &ztguard_policy::Layer| serde_json::json!({ "name": l.name, "role": l.role, "rules": l.rules() });
            let effective: Vec<serde_json::Value> = policy.layers.iter().map(layer_json).collect();
            let profile_layers: Vec<serde_json::Value> = policy
                .profiles
                .iter()
                .flat_map(|p| p.layers.iter().map(layer_json))
                .collect();
            if *json {
                let v = serde_json::json!({
                    "project": project,
                    "layers": policy.sources,
                    "effective": effective,
                    "profile_layers": profile_layers,
                    "visible_prefix": policy.visible_prefix(),
                    "profiles": profiles,
                    "secrets": secrets,
                    "strict": policy.strict,
                    "scan": policy.scan,
                    "audit": policy.audit,
                    "audit_log": ztguard_core::trail::log_path(&project, &policy.audit),
                    "monitor": policy.monitor,
                    "undo": policy.undo,
                    "data_dir": context::data_dir(),
                });
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("project: {}", project.display());
                println!("layers (strictest opinion wins):");
                for (i, s) in policy.sources.iter().enumerate() {
                    println!("  {}. {s}", i + 1);
                }
                println!(
                    "effective rules, by layer (a narrowing layer's allow counts only where a trusted layer allows too):"
                );
                let all = policy
                    .layers
                    .iter()
                    .chain(policy.profiles.iter().flat_map(|p| p.layers.iter()));
                for l in all {
                    let role = match l.role {
                        ztguard_policy::Role::Base => "trusted",
                        ztguard_policy::Role::Ceiling => "ceiling only",
                        ztguard_policy::Role::Narrowing => "can only narrow",
                    };
                    println!("  {} ({role}):", l.name);
                    let mut keys: Vec<(String, Vec<String>)> = Vec::new();
                    for r in l.rules() {
                        let shown = match &r.from {
                            Some(f) => format!("\"{}\" (from {f})", r.rule),
                            None => format!("\"{}\"", r.rule),
                        };
                        match keys.iter_mut().find(|(k, _)| *k == r.key) {
                            Some((_, v)) => v.push(shown),
                            None => keys.push((r.key, vec![shown])),
                        }
                    }
                    if keys.is_empty() {
                        println!("    (no rules)");
                    }
                    for (k, v) in keys {
                        println!("    {k} = {}", v.join(", "));
                    }
                }
                match policy.visible_prefix() {
                    Some(p) => println!("visible variables: names starting with {p}"),
                    None => println!("visible variables: none (the layers' prefixes disagree)"),
                }
                println!(
                    "mode: {}",
                    if policy.strict {
                        "strict (asks become denies)"
                    } else {
                        "interactive"
                    }
                );
                println!(
                    "content checks: secrets {}, insecure code {}, risky dependencies {}",
                    policy.scan.on_secret.as_str(),
                    policy.scan.on_insecure_code.as_str(),
                    policy.scan.on_risky_dependency.as_str()
                );
                let a = &policy.audit;
                if a.enabled {
                    println!(
                        "audit log: {} (all tool calls: {}, file access: {}, alert on deny: {}, {} alert target{}, rotates at {} MB)",
                        ztguard_core::trail::log_path(&project, a).display(),
                        a.log_all_tool_calls,
                        a.log_file_access,
                        a.alert_on_deny,
                        a.alert_commands.len() + a.alert_urls.len(),
                        if a.alert_commands.len() + a.alert_urls.len() == 1 {
                            ""
                        } else {
                            "s"
                        },
                        a.max_size_mb
                    );
                } else {
                    println!("audit log: off");
                }
                let m = &policy.monitor;
                if m.enabled {
                    println!(
                        "session monitor: revokes at {} credential attempts/min, {} denials in a row, {} denials/min, {} files read, {} reaches outside, {} writes/min{}{}; running agent-written files: {}",
                        m.credential_attempts_per_minute,
                        m.denials_in_a_row,
                        m.denials_per_minute,
                        m.files_read,
                        m.outside_allowed,
                        m.writes_per_minute,
                        if m.exfiltration {
                            ", credential-then-network"
                        } else {
                            ""
                        },
                        if m.baseline {
                            format!(", {}x the project's usual", m.baseline_factor)
                        } else {
                            String::new()
                        },
                        m.run_agent_written.as_str()
                    );
                } else {
                    println!("session monitor: off");
                }
                println!(
                    "offline data and audit checkpoints: {}",
                    context::data_dir().display()
                );
                for p in &policy.profiles {
                    println!(
                        "profile {}: selected by agent types {:?}, --profile or ZTGUARD_PROFILE",
                        p.name, p.agent_types
                    );
                }
                for s in &policy.secrets {
                    println!(
                        "secret {}: from {}, as ${} to `ztguard run {} -- {}`",
                        s.name,
                        s.source,
                        s.env,
                        s.name,
                        s.operations().join("` or `… -- ")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Default => {
            print!("{}", ztguard_policy::default_policy_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema => {
            println!(
                "{}",
                serde_json::to_string_pretty(&ztguard_policy::schema())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Trust { remove } => trust(*remove),
        Command::Protections => {
            print!("{}", ztguard_policy::protections_toml());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `ztguard policy trust [--remove]` for the project around the current directory.
fn trust(remove: bool) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("no current directory")?;
    let project = context::project_root(&cwd);
    let home = context::home();
    let file = project.join(".ztguard.toml");
    let real = file
        .canonicalize()
        .with_context(|| format!("{} does not exist", file.display()))?;
    let store = context::load_options(&project, &home, None, false).trusted_file();
    if remove {
        if ztguard_policy::fixtures::withdraw(&store, &real)? {
            println!(
                "{} is no longer trusted: it can only narrow the policy again",
                file.display()
            );
        } else {
            println!("{} was not trusted", file.display());
        }
        return Ok(ExitCode::SUCCESS);
    }
    // A file that does not load is not trusted: its errors come first.
    context::load(&project, &home, None, false)
        .with_context(|| format!("{} does not load; fix it first", file.display()))?;
    let sha = ztguard_policy::fixtures::approve(&store, &real)?;
    println!(
        "trusted {} as it is now (sha256 {}…, recorded in {}): its rules count as your own until the file changes",
        file.display(),
        &sha[..16],
        store.display()
    );
    Ok(ExitCode::SUCCESS)
}
