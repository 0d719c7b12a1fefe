//! `ztguard session`: list, inspect, revoke and unlock agent sessions, and
//! `ztguard approve`: let a file the agent wrote run. Both are for humans;
//! the built-in protections deny the agent running them.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::{Map, Value, json};
use ztguard_monitor::{State, provenance, session};

use crate::context;
use ztguard_core::redact::redact_text;
use ztguard_core::trail::{self, Trail};

#[derive(Subcommand)]
pub enum Command {
    /// Every session of this project, most recent first, with its counters.
    List {
        /// Print the sessions as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One session in full: counters, the last minute, the baseline, and why it was revoked.
    Show {
        /// The session id (or a unique prefix).
        id: String,
        /// Print the state as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke a session by hand: every further tool call of it is denied.
    Revoke {
        /// The session id (or a unique prefix).
        id: String,
        /// Why, for the audit log.
        #[arg(long, default_value = "revoked by a human")]
        reason: String,
    },
    /// Lift a revocation after review (`ztguard audit timeline --session ID` first).
    Unlock {
        /// The session id (or a unique prefix).
        id: String,
    },
}

/// The project a command acts on.
#[derive(clap::Args, Clone)]
pub struct ProjectArg {
    /// The project (default: the one around the current directory).
    #[arg(long, value_name = "DIR", global = true)]
    pub project: Option<PathBuf>,
}

/// A session from an id or a unique prefix.
fn find(dir: &Path, id: &str) -> anyhow::Result<State> {
    let all = session::list(dir);
    let id = context::unique_session(id, all.iter().map(|s| s.id.as_str()), dir)?;
    all.into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| anyhow::anyhow!("no session {id} in {}", dir.display()))
}

/// Append a record of a human's action to the project's audit log.
pub fn record_action(
    project: &Path,
    event: &str,
    agent: &str,
    fields: Map<String, Value>,
) -> anyhow::Result<()> {
    let home = context::home();
    let settings = context::load(project, &home, None, false)
        .map(|p| p.audit)
        .unwrap_or_default();
    let Some(t) =
        Trail::open(&settings, project, &context::places(&home)).map_err(anyhow::Error::msg)?
    else {
        return Ok(());
    };
    let mut m = Map::new();
    m.insert("ts".into(), Value::from(trail::now()));
    m.insert("event".into(), Value::from(event));
    m.insert("agent".into(), Value::from(agent));
    m.insert(
        "user".into(),
        Value::from(std::env::var("USER").unwrap_or_default()),
    );
    m.extend(fields);
    t.append(m)?;
    Ok(())
}

pub fn run(cmd: &Command, project: &ProjectArg) -> anyhow::Result<ExitCode> {
    let project = context::project_arg(project.project.as_deref())?;
    let dir = session::dir(&project);
    let now = ztguard_monitor::now_ms();
    match cmd {
        Command::List { json: as_json } => {
            let all = session::list(&dir);
            if *as_json {
                println!("{}", serde_json::to_string(&all)?);
                return Ok(ExitCode::SUCCESS);
            }
            if all.is_empty() {
                println!("no sessions recorded in {}", dir.display());
            }
            for s in &all {
                let state = match (&s.revoked, s.ended_ms) {
                    (Some(r), _) => format!("REVOKED ({})", r.rule),
                    (None, Some(_)) => "ended".into(),
                    (None, None) => "active".into(),
                };
                println!(
                    "{:<38} {:<24} last {}  {:>5} calls {:>4} denied {:>4} credential attempts",
                    s.id,
                    state,
                    trail::time_of(s.last_ms),
                    s.calls,
                    s.denials,
                    s.credential_attempts
                );
            }
        }
        Command::Show { id, json: as_json } => {
            let s = find(&dir, id)?;
            if *as_json {
                println!("{}", serde_json::to_string(&s)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("session {}", s.id);
            println!(
                "  started {}, last call {}",
                trail::time_of(s.started_ms),
                trail::time_of(s.last_ms)
            );
            if let Some(e) = s.ended_ms {
                println!("  ended {}", trail::time_of(e));
            }
            println!(
                "  {} calls, {} denied ({} in a row), {} writes, {} distinct files read",
                s.calls, s.denials, s.denials_in_a_row, s.writes, s.files_read
            );
            println!(
                "  {} calls read files; {} reached the network, {} of them an unapproved destination",
                s.reads, s.network_calls, s.network_attempts
            );
            println!(
                "  {} credential attempts, {} reaches outside the allowed paths",
                s.credential_attempts, s.outside_allowed
            );
            let p = s.peaks;
            println!(
                "  busiest minute: {} calls, {} writes, {} denials, {} reads",
                p.calls, p.writes, p.denials, p.reads
            );
            match &s.baseline {
                Some(b) => println!(
                    "  baseline from {} past sessions (95th percentile of their busiest minute): {:.0} calls, {:.0} writes, {:.0} denials, {:.0} reads",
                    b.sessions, b.calls, b.writes, b.denials, b.reads
                ),
                None => println!("  no baseline yet (too few past sessions)"),
            }
            match &s.revoked {
                Some(r) => println!(
                    "  REVOKED at {} by {} ({}): {}\n  review: ztguard audit timeline --session {}\n  unlock: ztguard session unlock {}",
                    trail::time_of(r.at_ms),
                    r.by,
                    r.rule,
                    r.why,
                    s.id,
                    s.id
                ),
                None => println!("  not revoked"),
            }
            for u in &s.unlocks {
                println!("  unlocked at {} (was {})", trail::time_of(u.at_ms), u.rule);
            }
        }
        Command::Revoke { id, reason } => {
            let s = find(&dir, id)?;
            session::revoke(&dir, &s.id, reason, now).map_err(anyhow::Error::msg)?;
            let mut f = Map::new();
            f.insert("session".into(), Value::from(s.id.clone()));
            f.insert("rule".into(), Value::from("monitor.manual"));
            f.insert("reason".into(), Value::from(redact_text(reason)));
            record_action(&project, "SessionRevoked", "human", f)?;
            println!(
                "revoked session {}: every further tool call of it is denied.",
                s.id
            );
        }
        Command::Unlock { id } => {
            let s = find(&dir, id)?;
            let lifted = session::unlock(&dir, &s.id, now).map_err(anyhow::Error::msg)?;
            let mut f = Map::new();
            f.insert("session".into(), Value::from(s.id.clone()));
            f.insert(
                "rule".into(),
                json!(lifted.as_ref().map(|r| format!("monitor.{}", r.rule))),
            );
            record_action(&project, "SessionUnlocked", "human", f)?;
            match lifted {
                Some(r) => println!(
                    "unlocked session {} (it was revoked for: {}). Its per-minute counters start over.",
                    s.id, r.why
                ),
                None => println!("session {} was not revoked; nothing to unlock.", s.id),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `ztguard approve PATH…`
#[derive(clap::Args)]
#[command(
    after_help = "Approve files the agent wrote so that they may run. Until then, running a file the agent \
created or changed (`./gen.sh`, `bash gen.sh`, `python gen.py`) is asked (or denied, per `[monitor] \
run_agent_written`). The approval is bound to the file's current SHA-256: a later edit voids it. \
Review the file before approving it.\n\n\
With --fixture: approve public test fixtures that look like credentials (a test CA's `*.pem`, a \
release-signing `KEYS.asc`) for the agent to read, and for recursive searches that would read them. \
The approval is recorded next to the user policy (~/.config/ztguard/fixtures.json), never in the \
project, and is bound to the file's path and SHA-256: once the content changes, the file is a \
credential again.\n\n\
Examples:\n  \
ztguard approve scripts/gen.sh              # after reading it\n  \
ztguard approve --fixture tests/data/ca.pem # a public test certificate"
)]
pub struct ApproveArgs {
    /// The files to approve.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Approve the files as public test fixtures the agent may read (not to run).
    #[arg(long)]
    pub fixture: bool,
    #[command(flatten)]
    pub project: ProjectArg,
}

pub fn approve(args: &ApproveArgs) -> anyhow::Result<ExitCode> {
    let project = context::project_arg(args.project.project.as_deref())?;
    let home = context::home();
    let cwd = std::env::current_dir().context("no current directory")?;
    if args.fixture {
        return approve_fixtures(args, &project, &home, &cwd);
    }
    let now = ztguard_monitor::now_ms();
    for p in &args.paths {
        let real = ztguard_paths::resolve(&p.to_string_lossy(), &cwd, &home).real;
        let (sha, written) =
            provenance::approve(&project, &real, now).map_err(anyhow::Error::msg)?;
        let by = match &written {
            Some(w) => format!(
                "written by the agent with {} in session {} at {}",
                w.tool,
                w.session,
                trail::time_of(w.at_ms)
            ),
            None => "not recorded as written by the agent".into(),
        };
        println!("approved {} (sha256 {}…; {by})", p.display(), &sha[..16]);
        let mut f = Map::new();
        f.insert("path".into(), Value::from(real.to_string_lossy()));
        f.insert("sha256".into(), Value::from(sha));
        record_action(&project, "Approved", "human", f)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `ztguard approve --fixture PATH…`: readable public fixtures, recorded
/// in the user's configuration (see `ztguard_policy::fixtures`).
fn approve_fixtures(
    args: &ApproveArgs,
    project: &std::path::Path,
    home: &std::path::Path,
    cwd: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    let store = context::load_options(project, home, None, false).fixtures_file();
    for p in &args.paths {
        let real = ztguard_paths::resolve(&p.to_string_lossy(), cwd, home).real;
        let sha = ztguard_policy::fixtures::approve(&store, &real)?;
        println!(
            "approved {} as a public fixture the agent may read (sha256 {}…, recorded in {}); a change to its content voids the approval",
            p.display(),
            &sha[..16],
            store.display()
        );
        let mut f = Map::new();
        f.insert("path".into(), Value::from(real.to_string_lossy()));
        f.insert("sha256".into(), Value::from(sha));
        record_action(project, "FixtureApproved", "human", f)?;
    }
    Ok(ExitCode::SUCCESS)
}
