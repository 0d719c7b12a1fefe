//! `ztguard hook`: Claude Code's hook entry point.
//!
//! Whatever happens — bad JSON, an unknown event, a policy that does not
//! load, a panic — the process ends with exit 0 and a decision, or exit 2
//! and a reason. Claude Code treats every other exit code as "go ahead".
//! A stack overflow cannot be caught, so nothing here recurses on input
//! without a bound: the shell analyzer refuses lines nested more than
//! `ztguard_shell::MAX_NESTING` deep before parsing them, and serde_json
//! stops at 128 levels.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use ztguard_agents::claude::{self, HookOutput, KNOWN_EVENTS};
use ztguard_policy::Request;

use crate::context;

/// Largest hook input read (a Write of a big file included).
const MAX_INPUT: u64 = 64 * 1024 * 1024;

#[derive(clap::Args)]
pub struct Args {
    /// Apply this profile to every call (also: ZTGUARD_PROFILE).
    #[arg(long)]
    pub profile: Option<String>,
    /// Turn every "ask" into "deny", for unattended runs (also: ZTGUARD_STRICT=1).
    #[arg(long)]
    pub strict: bool,
    /// Read the event from this file instead of stdin (for replaying a saved event, and benchmarks).
    #[arg(long, value_name = "FILE")]
    pub input: Option<std::path::PathBuf>,
}

pub fn run(args: &Args) -> ExitCode {
    let mut input = String::new();
    let read = match &args.input {
        Some(path) => {
            std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT).read_to_string(&mut input))
        }
        None => std::io::stdin().take(MAX_INPUT).read_to_string(&mut input),
    };
    // Silence the default panic message: the reason goes out as a deny instead.
    std::panic::set_hook(Box::new(|_| {}));
    let out = match read {
        Err(e) => claude::render_error(None, &format!("cannot read the hook input: {e}")),
        Ok(_) => match std::panic::catch_unwind(|| answer(&input, args)) {
            Ok(out) => out,
            Err(panic) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown".into());
                claude::render_error(None, &format!("internal error ({what}); please report it"))
            }
        },
    };
    emit(&out)
}

fn emit(out: &HookOutput) -> ExitCode {
    use std::io::Write;
    if let Some(s) = &out.stdout {
        let mut so = std::io::stdout().lock();
        let _ = writeln!(so, "{s}");
        let _ = so.flush();
    }
    if let Some(e) = &out.stderr {
        let _ = writeln!(std::io::stderr(), "{e}");
    }
    ExitCode::from(if out.exit == 0 { 0 } else { 2 })
}

/// Decide one hook event (pure apart from reading the policy and the file tree).
pub fn answer(input: &str, args: &Args) -> HookOutput {
    answer_with(input, args, &context::home(), None)
}

/// [`answer`] with another home directory and, optionally, another managed
/// policy path (the demo runs in a throwaway home on the built-in default).
pub fn answer_with(
    input: &str,
    args: &Args,
    home: &std::path::Path,
    managed: Option<&std::path::Path>,
) -> HookOutput {
    let event = match claude::parse_event(input) {
        Ok(e) => e,
        Err(e) => return claude::render_error(None, &e),
    };
    if event.event == "PostToolUse" {
        let tool = event.tool_name.as_deref().unwrap_or("the tool");
        return match crate::content::output_secrets(tool, &event.tool_response) {
            Some((human, agent)) => claude::render_post(&human, &agent),
            None => HookOutput {
                stdout: None,
                stderr: None,
                exit: 0,
            },
        };
    }
    if !claude::decides(&event.event) {
        if KNOWN_EVENTS.contains(&event.event.as_str()) {
            return HookOutput {
                stdout: None,
                stderr: None,
                exit: 0,
            };
        }
        return claude::render_error(None, &format!("unknown hook event `{}`", event.event));
    }
    let ev = event.event.as_str();
    let Some(tool) = event.tool_name.clone() else {
        return claude::render_error(Some(ev), "the event has no `tool_name`");
    };
    let action = match claude::to_action(&tool, &event.tool_input) {
        Ok(a) => a,
        Err(e) => return claude::render_error(Some(ev), &e),
    };
    let cwd = match &event.cwd {
        Some(c) if c.starts_with('/') => PathBuf::from(c),
        Some(c) => {
            return claude::render_error(Some(ev), &format!("`cwd` is not an absolute path: {c}"));
        }
        None => match std::env::current_dir() {
            Ok(c) => c,
            Err(e) => {
                return claude::render_error(
                    Some(ev),
                    &format!("no `cwd` and no current directory: {e}"),
                );
            }
        },
    };
    let home = home.to_path_buf();
    let project = context::project_root(&cwd);
    let mut opts = context::load_options(&project, &home, args.profile.as_deref(), args.strict);
    if let Some(m) = managed {
        opts.managed = m.to_path_buf();
        opts.user = home.join(".config/ztguard/policy.toml");
    }
    let policy = match ztguard_policy::Policy::load(&opts) {
        Ok(p) => p,
        Err(e) => return claude::render_error(Some(ev), &format!("the policy does not load: {e}")),
    };
    let req = Request {
        tool,
        action,
        cwd,
        project,
        home,
        agent_type: event.agent_type.clone(),
    };
    let review = crate::content::review(&policy, &req);
    let out = claude::render_warned(ev, &review.decision, review.warning.as_deref());
    // The process ends right after answering: freeing the thousands of small
    // allocations of a compiled policy would cost about a tenth of the call.
    std::mem::forget(policy);
    out
}
