//! `ztguard hook`: Claude Code's hook entry point. The event is answered
//! by the Claude Code adapter through the core's pipeline
//! (`ztguard_agents::claude::answer`); this command reads it, and writes
//! the answer.
//!
//! Whatever happens — bad JSON, an unknown event, a policy that does not
//! load, a panic — the process ends with exit 0 and a decision, or exit 2
//! and a reason. Claude Code treats every other exit code as "go ahead".
//! A stack overflow cannot be caught, so nothing here recurses on input
//! without a bound: the shell analyzer refuses lines nested more than
//! `ztguard_shell::MAX_NESTING` deep before parsing them, and serde_json
//! stops at 128 levels.

use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;
use ztguard_agents::claude::{self, Choice, HookOutput};
use ztguard_core::Guards;
use ztguard_inject::broker;

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
    let started = Instant::now();
    let mut input = String::new();
    let read = match &args.input {
        Some(path) => {
            std::fs::File::open(path).and_then(|f| f.take(MAX_INPUT).read_to_string(&mut input))
        }
        None => std::io::stdin().take(MAX_INPUT).read_to_string(&mut input),
    };
    // Silence the default panic message: the reason goes out as a deny instead.
    std::panic::set_hook(Box::new(|_| {}));
    if let (Ok(_), Some(addr)) = (&read, std::env::var_os(broker::ENV)) {
        return forward(&addr.to_string_lossy(), input, args);
    }
    let choice = Choice {
        profile: context::profile(args.profile.as_deref()),
        strict: context::strict(args.strict),
        session_attended: context::session_attended(),
    };
    let guards = Guards::new(context::env());
    let out = match read {
        Err(e) => claude::render_error(None, &format!("cannot read the hook input: {e}")),
        Ok(_) => match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            claude::answer(&input, &choice, &guards, started)
        })) {
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
    let code = emit(&out);
    // The process ends right after answering: freeing the thousands of small
    // allocations of a compiled policy would cost about a tenth of the call.
    // Only this one-shot process skips it; long-running callers drop theirs.
    std::mem::forget(guards);
    code
}

/// Under `ztguard exec`: the decision is made by the hook outside the
/// sandbox (through the broker), where the policy, the audit log and the
/// session state are out of the agent's reach. No answer is a deny.
fn forward(addr: &str, input: String, args: &Args) -> ExitCode {
    let event = serde_json::from_str::<Value>(&input).ok().and_then(|v| {
        v.get("hook_event_name")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let req = broker::Request::Hook {
        profile: args.profile.clone(),
        strict: args.strict,
        session_attended: context::session_attended(),
        input,
    };
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let deny = |why: &str| emit(&claude::render_error(event.as_deref(), why));
    match broker::call(addr, &req, &mut out, &mut err) {
        Ok(broker::Outcome::Exit(code)) => put(&out, &err, if code == 0 { 0 } else { 2 }),
        Ok(broker::Outcome::Refused(why)) => deny(&why),
        Err(e) => deny(&format!(
            "the decision is made outside the sandbox, and {e}; is `ztguard exec` still running?"
        )),
    }
}

fn emit(out: &HookOutput) -> ExitCode {
    let (so, se, code) = out.rendered();
    put(&so, &se, code)
}

/// Write a rendered answer and end with its code (0 or 2).
fn put(stdout: &[u8], stderr: &[u8], code: u8) -> ExitCode {
    use std::io::Write;
    let mut so = std::io::stdout().lock();
    let _ = so.write_all(stdout).and_then(|()| so.flush());
    let _ = std::io::stderr().write_all(stderr);
    ExitCode::from(code)
}
