//! Step 3, provenance: running a file the agent wrote is asked (or denied)
//! until a human approves its content; and, after a call, the files it
//! wrote are noted in the project's ledger.

use std::path::{Path, PathBuf};

use ztguard_monitor::provenance;
use ztguard_policy::{Action, Check, Decision, Policy, Request, Step, Verdict};

use crate::Error;

/// The decision with a step for every file `req` would run that the agent
/// wrote and no human approved (`[monitor] run_agent_written`).
pub fn agent_written(policy: &Policy, req: &Request, decision: Decision) -> Decision {
    let Action::Exec { command } = &req.action else {
        return decision;
    };
    let on = policy.monitor.run_agent_written;
    if on == Verdict::Allow || !policy.monitor.enabled {
        return decision;
    }
    let (runs, writes) = provenance::exec_effects(command, &req.cwd, &req.home);
    if runs.is_empty() {
        return decision;
    }
    let found = provenance::unapproved(&req.project, &runs, &writes);
    if found.is_empty() {
        return decision;
    }
    let steps: Vec<Step> = found
        .iter()
        .map(|u| {
            let shown = ztguard_paths::display(&u.path, &req.project, &req.home);
            Step {
                check: Check::AgentWritten,
                subject: format!("running `{shown}`, which {}", u.why),
                verdict: on,
                rule: format!("monitor.run_agent_written = \"{}\"", on.as_str()),
                path: Some(u.path.clone()),
            }
        })
        .collect();
    decision.with_first(steps, policy.strict)
}

/// The files a finished call wrote, resolved: the target of a write, or
/// what a shell command line writes (at most 64). Only for a POSIX shell
/// line should an [`Action::Exec`] be given.
pub fn written_files(action: &Action, cwd: &Path, home: &Path) -> Vec<PathBuf> {
    match action {
        Action::Write { path, .. } => vec![ztguard_paths::resolve(path, cwd, home).real],
        Action::Exec { command } => {
            let mut w = provenance::exec_effects(command, cwd, home).1;
            w.truncate(64);
            w
        }
        _ => Vec::new(),
    }
}

/// Note `files` in the project's ledger as written by the agent (session
/// `session`, tool `tool`), with their content hashes.
pub fn note_written(
    project: &Path,
    files: &[PathBuf],
    session: &str,
    tool: &str,
    scope: provenance::Scope,
) -> Result<(), Error> {
    if files.is_empty() {
        return Ok(());
    }
    provenance::record_written(
        project,
        files,
        session,
        tool,
        ztguard_monitor::now_ms(),
        scope,
    )
    .map(|_| ())
    .map_err(Error::Session)
}
