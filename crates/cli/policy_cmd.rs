//! `ztguard policy`: lint, show and print policies.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use ztguard_policy::lint::{Severity, lint};

use crate::context;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Validate a policy file: errors with file:line:column, warnings about grants that are too broad.
    ///
    /// Exit status: 0 no errors (warnings allowed), 1 errors, 2 the file cannot be read.
    Lint {
        /// The file (default: .ztguard.toml of this project).
        file: Option<PathBuf>,
        /// Print findings as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show which layers apply here, in order, and the profiles they define.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Print the built-in default policy (what `ztguard init` starts from).
    Default,
    /// Print the built-in protections (always applied, cannot be turned off).
    Protections,
}

pub fn run(cmd: &Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Lint { file, json } => {
            let cwd = std::env::current_dir().context("no current directory")?;
            let path = file
                .clone()
                .unwrap_or_else(|| context::project_root(&cwd).join(".ztguard.toml"));
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let findings = lint(&path, &text);
            if *json {
                println!("{}", serde_json::to_string_pretty(&findings)?);
            } else {
                for f in &findings {
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
            let errors = findings.iter().any(|f| f.severity == Severity::Error);
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
            if *json {
                let v = serde_json::json!({
                    "project": project,
                    "layers": policy.sources,
                    "profiles": profiles,
                    "secrets": secrets,
                    "strict": policy.strict,
                    "scan": policy.scan,
                    "audit": policy.audit,
                    "audit_log": ztguard_core::trail::log_path(&project, &policy.audit),
                    "monitor": policy.monitor,
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
        Command::Protections => {
            print!("{}", ztguard_policy::protections_toml());
            Ok(ExitCode::SUCCESS)
        }
    }
}
