//! `ztguard undo`: list the checkpoints taken before the agent's calls
//! that could change the project, and bring the working tree back to one
//! (`ztguard_undo`). For humans: refused inside `ztguard exec`, and the
//! built-in protections deny the agent running it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use serde_json::{Map, Value, json};
use ztguard_inject::broker;
use ztguard_undo::{Limits, Store, Target};

use crate::{context, session_cmd};

#[derive(clap::Args)]
#[command(
    group = clap::ArgGroup::new("what").required(true).args(["list", "to", "last"]),
    after_help = "Before each tool call that can change the project (a file write, a command that is not \
known to only read, an MCP tool), the hook records a checkpoint of the working tree: by default for calls \
made inside `ztguard exec`, or for every call with `[undo] checkpoints = \"always\"` in the user policy. \
A checkpoint holds every file git would \
track, untracked ones included, and ignored files up to 1 MiB, with their modes and symlinks. Checkpoints \
live in git objects under ztguard's data directory, out of the agent's reach; the newest 100 are kept, for \
7 days.\n\n\
A restore first checkpoints the current state (so `ztguard undo --to ID` can undo the undo), then writes \
the files that differ and removes those the checkpoint did not have. It never touches .git, .ztguard/, big \
ignored files, ignored directories or new ignored files. Each restore is recorded in the audit log.\n\n\
Examples:\n  \
ztguard undo --list                 # id, time, the call it preceded, files changed\n  \
ztguard undo --last                 # back to before the last change (again: one further back)\n  \
ztguard undo --to 3f2a9c1b          # back to that checkpoint\n\n\
See docs/undo.md."
)]
pub struct Args {
    /// List the checkpoints, newest first.
    #[arg(long)]
    pub list: bool,
    /// Restore the checkpoint with this id (or a unique prefix of at least 4 digits).
    #[arg(long, value_name = "ID")]
    pub to: Option<String>,
    /// Restore the state before the last change.
    #[arg(long)]
    pub last: bool,
    /// Print the list or the result as JSON.
    #[arg(long)]
    pub json: bool,
    /// The project (default: the one around the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if std::env::var_os(broker::ENV).is_some() {
        anyhow::bail!(
            "`ztguard undo` is a human command: it does not run inside `ztguard exec`. \
             Run it in a terminal of your own."
        );
    }
    let project = context::project_arg(args.project.as_deref())?;
    let data = context::data_dir();
    if args.list {
        let all = match Store::existing(&data, &project)? {
            Some(s) => s.list()?,
            None => Vec::new(),
        };
        if args.json {
            let newest_first: Vec<_> = all.iter().rev().collect();
            println!("{}", serde_json::to_string(&newest_first)?);
            return Ok(ExitCode::SUCCESS);
        }
        if all.is_empty() {
            println!("no checkpoints for {}", project.display());
        }
        for c in all.iter().rev() {
            let when = humantime::format_rfc3339_seconds(
                std::time::UNIX_EPOCH + std::time::Duration::from_secs(c.time),
            );
            let what = match c.kind {
                ztguard_undo::Kind::Call => format!("before {}", c.label),
                ztguard_undo::Kind::Undo => c.label.clone(),
            };
            println!("{}  {when}  {:>4} file(s)  {what}", c.id, c.files_changed);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let target = match (&args.to, args.last) {
        (Some(id), _) => Target::Id(id),
        _ => Target::Last,
    };
    let store = Store::open(&data, &project)?;
    let done = store
        .restore(target, &Limits::default())
        .with_context(|| format!("cannot restore {}", project.display()))?;
    let mut fields = Map::new();
    fields.insert("rule".into(), Value::from("undo"));
    fields.insert("checkpoint".into(), Value::from(done.to.id.clone()));
    fields.insert("before".into(), Value::from(done.before.id.clone()));
    fields.insert("files".into(), Value::from(done.files.len()));
    session_cmd::record_action(&project, "Undo", "human", fields)
        .context("the working tree was restored, but the audit log could not record it")?;
    if args.json {
        println!(
            "{}",
            json!({
                "restored": done.to,
                "before": done.before.id,
                "files": done.files,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "restored {} (before {}): {} file(s) written or removed",
        done.to.id,
        done.to.label,
        done.files.len()
    );
    for f in done.files.iter().take(20) {
        println!("  {f}");
    }
    if done.files.len() > 20 {
        println!("  … and {} more", done.files.len() - 20);
    }
    println!(
        "the state before this undo is checkpoint {}: `ztguard undo --to {}` brings it back",
        done.before.id, done.before.id
    );
    Ok(ExitCode::SUCCESS)
}
