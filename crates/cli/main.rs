//! ztguard: a zero-trust guard for AI coding agents.
//!
//! This file only parses the command line and dispatches; each command lives
//! in its own module.

mod alert;
mod audit_cmd;
mod check;
mod context;
mod demo;
mod demo_sandbox;
mod deps_cmd;
mod doctor;
mod exec_cmd;
mod gateway;
mod hook;
mod init;
mod manual;
mod policy_cmd;
mod run_cmd;
mod scan_cmd;
mod session_cmd;
mod undo_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ztguard",
    version,
    about = "Zero-trust guard for AI coding agents: every tool call is checked against one explicit policy.",
    long_about = "ztguard checks every tool call an AI coding agent makes — shell commands, file reads and writes, \
web fetches, MCP tools — against one explicit policy before it runs.\n\n\
Start with `ztguard demo` to see it decide a realistic session, then `ztguard init` in your project \
to write a policy and register the Claude Code hook."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Answer one Claude Code hook event (JSON on stdin). Registered by `ztguard init`.
    Hook(hook::Args),
    /// Decide a hypothetical action and show the rules that decided it.
    Check(check::Args),
    /// Inspect and validate policy files.
    #[command(after_help = "Examples:
  ztguard policy lint                 # every layer in effect, each problem at its line
  ztguard policy show                 # the layers that apply here, in order
  ztguard policy default > p.toml     # the built-in default, to start from")]
    Policy {
        #[command(subcommand)]
        command: policy_cmd::Command,
    },
    /// Write a .ztguard.toml for this project and register the fail-closed hook in Claude Code's settings.
    Init(init::Args),
    /// Check that this machine is guarded: the wiring, the binary the hook runs, the policy, the audit log.
    Doctor(doctor::Args),
    /// Replay a realistic agent session with planted attacks through the guard.
    Demo(demo::Args),
    /// Find secrets, insecure code and risky dependencies in files, trees, staged changes or diffs.
    Scan(scan_cmd::Args),
    /// List and check dependencies; import offline advisories and registry lists.
    Deps {
        #[command(subcommand)]
        command: deps_cmd::Command,
    },
    /// Verify, repair, show, follow and count the tamper-evident audit log.
    #[command(after_help = "Examples:
  ztguard audit verify                        # the chain and its checkpoint (exit 1 on damage)
  ztguard audit show --decision deny -n 20    # the last 20 denials
  ztguard audit tail -f                       # follow calls as they are decided
  ztguard audit stats --since 7d              # counts per session, tool and rule
  ztguard audit timeline --session 3f2a       # one session, call by call")]
    Audit {
        #[command(subcommand)]
        command: audit_cmd::Command,
        #[command(flatten)]
        log: audit_cmd::LogArgs,
    },
    /// List, inspect, revoke and unlock agent sessions (the anomaly monitor's state).
    #[command(after_help = "Examples:
  ztguard session list                # sessions with their counts and state
  ztguard session show 3f2a           # one session (a unique prefix of its id)
  ztguard session revoke 3f2a         # deny every further call of it
  ztguard session unlock 3f2a         # after review, let it continue")]
    Session {
        #[command(subcommand)]
        command: session_cmd::Command,
        #[command(flatten)]
        project: session_cmd::ProjectArg,
    },
    /// Let files the agent wrote run, bound to their current content.
    Approve(session_cmd::ApproveArgs),
    /// List the checkpoints taken before the agent's changes, and restore the working tree to one.
    Undo(undo_cmd::Args),
    /// Run a command in a kernel sandbox built from the policy, with no secrets in its environment.
    Exec(exec_cmd::ExecArgs),
    /// Start an approved operation with a secret the agent never sees ([secrets.NAME]).
    Run(run_cmd::RunArgs),
    /// The environment variables a command under `ztguard exec` sees (names only).
    Env(exec_cmd::EnvArgs),
    /// What the kernel sandbox can enforce on this machine.
    #[command(after_help = "Examples:
  ztguard sandbox status              # Landlock ABI, user namespaces, seccomp
  ztguard sandbox status --json")]
    Sandbox {
        #[command(subcommand)]
        command: exec_cmd::SandboxCommand,
    },
    /// Print shell completions (bash, zsh, fish, elvish, powershell) generated from this CLI.
    Completions(manual::CompletionsArgs),
    /// Print the man page of ztguard or of one of its commands (roff, for `man -l -`).
    Man(manual::ManArgs),
    /// POST an alert (JSON on stdin) to an http:// URL; started by the hook.
    #[command(hide = true)]
    Deliver(alert::DeliverArgs),
}

/// `ztguard hook` runs once per tool call: it parses only its own options.
/// Building the whole command tree first costs about 150,000 instructions
/// per call (measured with callgrind), for commands the hook never runs.
#[derive(Parser)]
#[command(
    name = "ztguard hook",
    bin_name = "ztguard hook",
    about = "Answer one Claude Code hook event (JSON on stdin)."
)]
struct HookCli {
    #[command(flatten)]
    args: hook::Args,
}

/// Let a reader that closes the pipe (`ztguard audit show | head`) end
/// the command quietly, as it ends `cat`, instead of a panic on the next
/// print. Rust ignores SIGPIPE by default. Not for `ztguard hook`: a hook
/// killed by a signal would read as "allow" to Claude Code.
fn restore_sigpipe() {
    // SAFETY: signal(2) with SIG_DFL installs no handler code; it is called
    // once, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|a| a == "hook") {
        let cli = HookCli::parse_from(std::env::args_os().skip(1));
        return hook::run(&cli.args);
    }
    restore_sigpipe();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hook(args) => return hook::run(&args),
        Command::Check(args) => check::run(&args),
        Command::Policy { command } => policy_cmd::run(&command),
        Command::Init(args) => init::run(&args),
        Command::Doctor(args) => doctor::run(&args),
        Command::Completions(args) => manual::completions(&args),
        Command::Man(args) => manual::man(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Scan(args) => scan_cmd::run(&args),
        Command::Deps { command } => deps_cmd::run(&command),
        Command::Deliver(args) => alert::deliver(&args),
        Command::Audit { command, log } => audit_cmd::run(&command, &log),
        Command::Session { command, project } => session_cmd::run(&command, &project),
        Command::Approve(args) => session_cmd::approve(&args),
        Command::Undo(args) => undo_cmd::run(&args),
        Command::Exec(args) => exec_cmd::exec(&args),
        Command::Run(args) => run_cmd::run(&args),
        Command::Env(args) => exec_cmd::env(&args),
        Command::Sandbox { command } => exec_cmd::sandbox(&command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ztguard: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Every file the command line can name is the policy's to judge: walk the
/// CLI definition itself, and ask the analysis about each option and operand
/// that takes a path, given a credential (`.env`), in both spellings.
#[cfg(test)]
mod the_cli_is_guarded {
    #![allow(clippy::expect_used, clippy::unwrap_used)]
    use clap::{CommandFactory, Parser};
    use ztguard_policy::{Action, LoadOptions, Policy, Request, Verdict};

    /// Does the argument take a file or directory?
    fn takes_path(a: &clap::Arg) -> bool {
        a.get_action().takes_values()
            && (matches!(
                a.get_value_hint(),
                clap::ValueHint::FilePath | clap::ValueHint::DirPath | clap::ValueHint::AnyPath
            ) || a.get_value_names().is_some_and(|names| {
                names.iter().any(|n| {
                    let n = n.as_str().to_ascii_uppercase();
                    n.contains("FILE") || n.contains("DIR") || n.contains("PATH")
                })
            }))
    }

    /// (`ztguard sub sub2 …` words, the argument) for every path argument.
    fn path_args(cmd: &clap::Command, prefix: &[String], out: &mut Vec<(Vec<String>, clap::Arg)>) {
        for a in cmd.get_arguments().filter(|a| takes_path(a)) {
            out.push((prefix.to_vec(), a.clone()));
        }
        for sub in cmd.get_subcommands() {
            let mut p = prefix.to_vec();
            p.push(sub.get_name().to_string());
            path_args(sub, &p, out);
        }
    }

    /// The analysis models the options as they are spelt in full: clap
    /// must not accept an abbreviation (`--write-base`) or a prefix of a
    /// subcommand (`ztguard appr`) that the rules would not recognise.
    #[test]
    fn no_abbreviation_is_accepted() {
        for line in [
            "ztguard scan --write-base b.json",
            "ztguard scan --write b.json",
            "ztguard scan --out r.json",
            "ztguard appr gen.sh",
            "ztguard sess unlock abc",
            "ztguard audit rep",
            "ztguard approve --fix a.pem",
        ] {
            let words = line.split(' ');
            assert!(
                super::Cli::try_parse_from(words).is_err(),
                "clap accepted {line}"
            );
        }
        assert!(
            super::Cli::try_parse_from("ztguard scan --write-baseline b.json".split(' ')).is_ok()
        );
    }

    #[test]
    fn every_path_argument_of_every_subcommand_is_checked() {
        let t = tempfile::tempdir().expect("tempdir");
        let project = t.path().join("p");
        let home = t.path().join("h");
        std::fs::create_dir_all(&project).expect("mkdir");
        std::fs::create_dir_all(&home).expect("mkdir");
        std::fs::write(project.join(".env"), "KEY=FAKE\n").expect("write");
        let mut opts = LoadOptions::new(&project, &home);
        opts.managed = t.path().join("no-managed.toml");
        let policy = Policy::load(&opts).expect("policy");
        let decide = |line: &str| {
            policy
                .evaluate(&Request {
                    tool: "Bash".into(),
                    action: Action::Exec {
                        command: line.into(),
                    },
                    cwd: project.clone(),
                    project: project.clone(),
                    home: home.clone(),
                    agent_type: None,
                })
                .verdict
        };
        let mut args = Vec::new();
        path_args(&super::Cli::command(), &["ztguard".to_string()], &mut args);
        assert!(
            args.len() >= 10,
            "the walk found the path arguments: {}",
            args.len()
        );
        let mut unchecked = Vec::new();
        for (words, a) in &args {
            let head = words.join(" ");
            let lines: Vec<String> = if a.is_positional() {
                // `scan` and `deps` report findings about their operands, redacted.
                if matches!(words.get(1).map(String::as_str), Some("scan" | "deps")) {
                    continue;
                }
                vec![format!("{head} .env")]
            } else {
                let mut v = Vec::new();
                if let Some(l) = a.get_long() {
                    v.push(format!("{head} --{l} .env"));
                    v.push(format!("{head} --{l}=.env"));
                }
                if let Some(s) = a.get_short() {
                    v.push(format!("{head} -{s} .env"));
                }
                v
            };
            for line in lines {
                if decide(&line) != Verdict::Deny {
                    unchecked.push(line);
                }
            }
        }
        assert!(
            unchecked.is_empty(),
            "not judged as touching .env:\n{}",
            unchecked.join("\n")
        );
        eprintln!("{} path arguments checked", args.len());
    }
}
