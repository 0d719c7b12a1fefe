//! `ztguard hook`: Claude Code's hook entry point.
//!
//! Whatever happens — bad JSON, an unknown event, a policy that does not
//! load, a panic — the process ends with exit 0 and a decision, or exit 2
//! and a reason. Claude Code treats every other exit code as "go ahead".
//! A stack overflow cannot be caught, so nothing here recurses on input
//! without a bound: the shell analyzer refuses lines nested more than
//! `ztguard_shell::MAX_NESTING` deep before parsing them, and serde_json
//! stops at 128 levels.
//!
//! Every event leaves a record in the audit log (`trail`); tool calls also
//! go through the session monitor, which can revoke the session.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use serde_json::{Map, Value, json};
use ztguard_agents::claude::{self, HookEvent, HookOutput, KNOWN_EVENTS};
use ztguard_monitor::{Facts, provenance, session};
use ztguard_policy::{Action, Check, Decision, Policy, Request, Step, Verdict};

use ztguard_inject::broker;

use crate::context;
use crate::trail::{self, Places, Trail};

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

/// Where one hook call looks: the home directory, the managed policy
/// (None: the system's), the data directory and the signing key.
pub struct HookEnv {
    pub home: PathBuf,
    pub managed: Option<PathBuf>,
    pub places: Places,
    pub started: Instant,
    /// The project every call must be in (calls from inside `ztguard
    /// exec`); None: the one around the call's cwd.
    pub project: Option<PathBuf>,
}

impl HookEnv {
    pub fn from_process(started: Instant) -> HookEnv {
        let home = context::home();
        HookEnv {
            places: Places::from_env(&home),
            home,
            managed: None,
            started,
            project: None,
        }
    }
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
    let out = match read {
        Err(e) => claude::render_error(None, &format!("cannot read the hook input: {e}")),
        Ok(_) => match std::panic::catch_unwind(|| {
            answer_with(&input, args, &HookEnv::from_process(started))
        }) {
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

/// An answer as the agent reads it: stdout, stderr, and exit 0 or 2.
pub fn rendered(out: &HookOutput) -> (Vec<u8>, Vec<u8>, u8) {
    let line = |s: &Option<String>| s.as_ref().map(|s| format!("{s}\n").into_bytes());
    (
        line(&out.stdout).unwrap_or_default(),
        line(&out.stderr).unwrap_or_default(),
        if out.exit == 0 { 0 } else { 2 },
    )
}

fn emit(out: &HookOutput) -> ExitCode {
    let (so, se, code) = rendered(out);
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

/// Answer one hook event.
pub fn answer_with(input: &str, args: &Args, env: &HookEnv) -> HookOutput {
    let event = match claude::parse_event(input) {
        Ok(e) => e,
        Err(e) => return claude::render_error(None, &e),
    };
    match event.event.as_str() {
        "PreToolUse" | "PermissionRequest" => decide(&event, args, env),
        "UserPromptSubmit" => prompt(&event, args, env),
        e if KNOWN_EVENTS.contains(&e) => observe(&event, args, env),
        e => claude::render_error(None, &format!("unknown hook event `{e}`")),
    }
}

/// The call's directory, project and policy.
struct Scene {
    cwd: PathBuf,
    project: PathBuf,
    policy: Result<Policy, String>,
}

fn scene(event: &HookEvent, args: &Args, env: &HookEnv) -> Result<Scene, String> {
    let cwd = match &event.cwd {
        Some(c) if c.starts_with('/') => PathBuf::from(c),
        Some(c) => return Err(format!("`cwd` is not an absolute path: {c}")),
        None => std::env::current_dir()
            .map_err(|e| format!("no `cwd` and no current directory: {e}"))?,
    };
    let project = match &env.project {
        Some(p) if cwd.starts_with(p) => p.clone(),
        Some(p) => {
            return Err(format!(
                "under ztguard exec, tool calls run in the project {}; this one runs in {}",
                p.display(),
                cwd.display()
            ));
        }
        None => context::project_root(&cwd),
    };
    let mut opts = context::load_options(&project, &env.home, args.profile.as_deref(), args.strict);
    if let Some(m) = &env.managed {
        opts.managed = m.clone();
        opts.user = env.home.join(".config/ztguard/policy.toml");
    }
    let policy = Policy::load(&opts).map_err(|e| format!("the policy does not load: {e}"));
    Ok(Scene {
        cwd,
        project,
        policy,
    })
}

/// The fields every record of this event starts with.
fn record_base(event: &HookEvent, cwd: &Path) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("ts".into(), Value::from(trail::now()));
    m.insert("event".into(), Value::from(event.event.clone()));
    // Identifiers come from the client, not the agent: cut, not scanned.
    if let Some(s) = &event.session_id {
        m.insert("session".into(), Value::from(trail::cut(s.clone())));
    }
    m.insert("agent".into(), Value::from("claude-code"));
    if let Some(t) = &event.agent_type {
        m.insert("agent_type".into(), Value::from(t.clone()));
    }
    for k in ["agent_id", "tool_use_id", "permission_mode"] {
        if let Some(v) = event.str(k) {
            m.insert(k.into(), Value::from(trail::cut(v.to_string())));
        }
    }
    m.insert("cwd".into(), Value::from(cwd.to_string_lossy()));
    if let Some(t) = &event.tool_name {
        m.insert("tool".into(), Value::from(t.clone()));
    }
    m
}

/// Append the record of `event`: the common fields, `extra`, and the
/// hook's latency so far.
fn append_record(
    t: &Trail,
    event: &HookEvent,
    cwd: &Path,
    env: &HookEnv,
    extra: Map<String, Value>,
) -> Result<(), String> {
    let mut m = record_base(event, cwd);
    m.extend(extra);
    m.insert(
        "latency_us".into(),
        Value::from(env.started.elapsed().as_micros() as u64),
    );
    t.append(m).map(|_| ())
}

/// PreToolUse and PermissionRequest: decide, count, record, alert.
fn decide(event: &HookEvent, args: &Args, env: &HookEnv) -> HookOutput {
    let ev = event.event.as_str();
    let Some(tool) = event.tool_name.clone() else {
        return claude::render_error(Some(ev), "the event has no `tool_name`");
    };
    let action = match claude::to_action(&tool, &event.tool_input) {
        Ok(a) => a,
        Err(e) => return claude::render_error(Some(ev), &e),
    };
    let sc = match scene(event, args, env) {
        Ok(s) => s,
        Err(e) => return claude::render_error(Some(ev), &e),
    };
    let policy = match sc.policy {
        Ok(p) => p,
        Err(e) => return claude::render_error(Some(ev), &e),
    };
    let req = Request {
        tool: tool.clone(),
        action,
        cwd: sc.cwd.clone(),
        project: sc.project.clone(),
        home: env.home.clone(),
        agent_type: event.agent_type.clone(),
    };
    let review = crate::content::review(&policy, &req);
    let mut decision = agent_written(&policy, &req, review.decision);

    // The session monitor: count this call, and deny everything once revoked.
    let mut revoked_now = None;
    if policy.monitor.enabled
        && let Some(sid) = &event.session_id
    {
        // A PermissionRequest follows its PreToolUse: checked, not counted again.
        let facts = (ev == "PreToolUse").then(|| Facts::of(&decision, &sc.project));
        let dir = session::dir(&sc.project);
        match session::record(
            &dir,
            sid,
            facts.as_ref(),
            &policy.monitor,
            ztguard_monitor::now_ms(),
        ) {
            Ok(o) => {
                if let Some(r) = &o.state.revoked {
                    decision = revoked(decision, r, sid, o.anomaly.is_some(), policy.strict);
                }
                revoked_now = o.anomaly;
            }
            Err(e) => {
                decision = fail_closed(
                    decision,
                    &format!("the session state could not be updated ({e})"),
                );
            }
        }
    }

    // The audit record. A call that cannot be recorded is not allowed.
    let trail = Trail::open(&policy.audit, &sc.project, &env.places);
    let mut record_error = None;
    match &trail {
        Ok(Some(t)) => {
            let allowed = decision.verdict == Verdict::Allow;
            if t.wants(ev, Some(&tool), allowed) {
                let mut m = Map::new();
                m.insert(
                    "input".into(),
                    Value::Object(trail::input_summary(&tool, &event.tool_input)),
                );
                decision_fields(&mut m, &decision);
                if let Err(e) = append_record(t, event, &sc.cwd, env, m) {
                    record_error = Some(e);
                }
            }
            if let Some(a) = &revoked_now {
                let mut m = record_base(event, &sc.cwd);
                m.insert("event".into(), Value::from("SessionRevoked"));
                m.insert("rule".into(), Value::from(format!("monitor.{}", a.rule)));
                m.insert("reason".into(), Value::from(a.why.clone()));
                if let Err(e) = t.append(m) {
                    record_error = Some(e);
                }
            }
        }
        Ok(None) => {}
        Err(e) => record_error = Some(e.clone()),
    }
    if let Some(e) = record_error {
        decision = fail_closed(
            decision,
            &format!("the audit log could not be written ({e})"),
        );
    }

    // Alerts: the human sees a notice, and the configured targets hear of it.
    let mut notice = None;
    let sid = event.session_id.as_deref().unwrap_or("?");
    if let Some(a) = &revoked_now {
        let text = format!(
            "ztguard revoked session {sid}: {}. Every further tool call of this session is denied. \
             Review it with `ztguard audit timeline --session {sid}`, then `ztguard session unlock {sid}`.",
            a.why
        );
        alert(
            &policy,
            event,
            &sc.project,
            "session-revoked",
            &text,
            &decision,
        );
        notice = Some(text);
    } else if decision.verdict == Verdict::Deny && policy.audit.alert_on_deny {
        let text = format!("ztguard denied {tool}: {}", short(&decision.reason));
        alert(&policy, event, &sc.project, "denied", &text, &decision);
        notice = Some(text);
    }
    let out = claude::render_warned(ev, &decision, review.warning.as_deref(), notice.as_deref());
    // The process ends right after answering: freeing the thousands of small
    // allocations of a compiled policy would cost about a tenth of the call.
    std::mem::forget(policy);
    out
}

/// The reason without its `ztguard: ` prefix, for a one-line notice.
fn short(reason: &str) -> &str {
    reason.strip_prefix("ztguard: ").unwrap_or(reason)
}

fn decision_fields(m: &mut Map<String, Value>, d: &Decision) {
    m.insert("decision".into(), Value::from(d.verdict.as_str()));
    m.insert("rule".into(), Value::from(d.rule.clone()));
    let mut rules: Vec<&str> = Vec::new();
    for s in d.trace.iter().filter(|s| s.verdict == d.verdict) {
        if !rules.contains(&s.rule.as_str()) && rules.len() < 8 {
            rules.push(&s.rule);
        }
    }
    m.insert("rules".into(), json!(rules));
    // The reason is already redacted: the engine redacts every subject it
    // quotes, and the content review hides the secrets it found in the command.
    m.insert("reason".into(), Value::from(trail::cut(d.reason.clone())));
}

/// Send an alert to the configured commands and URLs.
fn alert(policy: &Policy, event: &HookEvent, project: &Path, kind: &str, text: &str, d: &Decision) {
    if policy.audit.alert_commands.is_empty() && policy.audit.alert_urls.is_empty() {
        return;
    }
    let body = json!({
        "source": "ztguard",
        "kind": kind,
        "ts": trail::now(),
        "session": event.session_id,
        "project": project,
        "tool": event.tool_name,
        "decision": d.verdict.as_str(),
        "rule": d.rule,
        "message": trail::redact_text(text),
    });
    crate::alert::raise(&policy.audit, &body);
}

/// Running a file the agent wrote, before a human approved it.
fn agent_written(policy: &Policy, req: &Request, decision: Decision) -> Decision {
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

/// Deny a call of a revoked session.
fn revoked(
    d: Decision,
    r: &ztguard_monitor::Revocation,
    sid: &str,
    now: bool,
    strict: bool,
) -> Decision {
    let at = trail::time_of(r.at_ms);
    let subject = if now {
        format!("This session is now revoked: {}", r.why)
    } else {
        format!(
            "This session was revoked at {at} ({}); every tool call is denied",
            r.why
        )
    };
    let step = Step {
        check: Check::Session,
        subject: format!(
            "{subject}. A human can review it with `ztguard audit timeline --session {sid}` and unlock it with `ztguard session unlock {sid}`"
        ),
        verdict: Verdict::Deny,
        rule: format!("monitor.{}", r.rule),
        path: None,
    };
    d.with_first(vec![step], strict)
}

/// Deny because a part of the guard failed.
fn fail_closed(d: Decision, why: &str) -> Decision {
    let step = Step {
        check: Check::Session,
        subject: format!("ztguard could not decide safely: {why}"),
        verdict: Verdict::Deny,
        rule: "built-in: fail closed".into(),
        path: None,
    };
    d.with_first(vec![step], false)
}

/// UserPromptSubmit: a prompt holding a credential never reaches the model.
fn prompt(event: &HookEvent, args: &Args, env: &HookEnv) -> HookOutput {
    let text = event.str("prompt").unwrap_or("");
    let found = crate::content::prompt_secrets(text);
    let blocked = match &found {
        Ok(kinds) if kinds.is_empty() => None,
        Ok(kinds) => Some(format!(
            "ztguard: the prompt was not sent, because it contains {}: {}. The value was not stored \
             anywhere by ztguard. Remove it, rotate it if it was real, and give the agent the name \
             of the variable or file that holds it instead.",
            if kinds.len() == 1 {
                "a credential"
            } else {
                "credentials"
            },
            kinds.join(", ")
        )),
        Err(e) => Some(format!(
            "ztguard: the prompt was not sent, because it could not be checked for credentials ({e})."
        )),
    };
    let mut m = Map::new();
    m.insert("prompt_bytes".into(), Value::from(text.len()));
    m.insert(
        "decision".into(),
        Value::from(if blocked.is_some() { "block" } else { "allow" }),
    );
    if let Ok(kinds) = &found
        && !kinds.is_empty()
    {
        m.insert("found".into(), json!(kinds));
    }
    let record = finish_record(event, env, &scene(event, args, env), m);
    answer_or_notice(blocked.map(|r| claude::render_prompt_block(&r)), record)
}

/// The answer of an event that decides nothing: its own (if any), else a
/// notice for the human when its record could not be written, else nothing.
fn answer_or_notice(answer: Option<HookOutput>, record: Result<(), String>) -> HookOutput {
    match (answer, record) {
        (Some(out), _) => out,
        (None, Err(e)) => {
            claude::render_notice(&format!("ztguard: the audit log could not be written: {e}"))
        }
        (None, Ok(())) => claude::render_nothing(),
    }
}

/// Write the record of a non-decision event with its extra fields.
fn finish_record(
    event: &HookEvent,
    env: &HookEnv,
    sc: &Result<Scene, String>,
    extra: Map<String, Value>,
) -> Result<(), String> {
    let sc = sc.as_ref().map_err(Clone::clone)?;
    let settings = match &sc.policy {
        Ok(p) => p.audit.clone(),
        Err(_) => ztguard_policy::AuditSettings::default(),
    };
    let Some(t) = Trail::open(&settings, &sc.project, &env.places)? else {
        return Ok(());
    };
    let allowed = extra.get("decision").and_then(Value::as_str) != Some("block");
    if !t.wants(&event.event, event.tool_name.as_deref(), allowed) {
        return Ok(());
    }
    append_record(&t, event, &sc.cwd, env, extra)
}

/// Events that decide nothing: PostToolUse(Failure), SessionStart/End and
/// the rest are recorded; PostToolUse also checks the output for secrets and
/// notes the files the agent wrote.
fn observe(event: &HookEvent, args: &Args, env: &HookEnv) -> HookOutput {
    let sc = scene(event, args, env);
    let mut extra = Map::new();
    let mut notice: Option<HookOutput> = None;
    let tool = event.tool_name.as_deref().unwrap_or("");
    match event.event.as_str() {
        "PostToolUse" | "PostToolUseFailure" => {
            extra.insert(
                "input".into(),
                Value::Object(trail::input_summary(tool, &event.tool_input)),
            );
            if event.event == "PostToolUse" {
                extra.extend(trail::response_summary(&event.tool_response));
                if let Some((human, agent)) =
                    crate::content::output_secrets(tool, &event.tool_response)
                {
                    extra.insert("output_secret".into(), Value::from(true));
                    notice = Some(claude::render_post(&human, &agent));
                }
                if let Err(e) = sc
                    .as_ref()
                    .map_err(Clone::clone)
                    .and_then(|sc| note_written(event, env, sc))
                {
                    extra.insert("provenance_error".into(), Value::from(e));
                }
            } else if let Some(e) = event.str("error") {
                extra.insert("error".into(), Value::from(trail::error_line(e)));
            }
        }
        "SessionStart" => {
            for k in ["source", "model"] {
                if let Some(v) = event.str(k) {
                    extra.insert(k.into(), Value::from(trail::redact_text(v)));
                }
            }
            session_event(event, &sc, true);
        }
        "SessionEnd" => {
            if let Some(v) = event.str("reason") {
                extra.insert("reason".into(), Value::from(trail::redact_text(v)));
            }
            session_event(event, &sc, false);
        }
        _ => {}
    }
    let record = finish_record(event, env, &sc, extra);
    answer_or_notice(notice, record)
}

/// Start or end the session's state (the baseline is drawn at the start).
fn session_event(event: &HookEvent, sc: &Result<Scene, String>, start: bool) {
    let (Some(sid), Ok(sc)) = (&event.session_id, sc) else {
        return;
    };
    let Ok(policy) = &sc.policy else { return };
    if !policy.monitor.enabled {
        return;
    }
    let dir = session::dir(&sc.project);
    let now = ztguard_monitor::now_ms();
    let _ = if start {
        session::start(&dir, sid, &policy.monitor, now).map(|_| ())
    } else {
        session::end(&dir, sid, now)
    };
}

/// Record the files a finished tool call wrote, with their content hashes.
fn note_written(event: &HookEvent, env: &HookEnv, sc: &Scene) -> Result<(), String> {
    let tool = event.tool_name.as_deref().unwrap_or("");
    // The adapter already knows which field of which tool names the file.
    let files: Vec<PathBuf> = match claude::to_action(tool, &event.tool_input) {
        Ok(Action::Write { path, .. }) => {
            vec![ztguard_paths::resolve(&path, &sc.cwd, &env.home).real]
        }
        Ok(Action::Exec { command }) if matches!(tool, "Bash" | "Monitor") => {
            let mut w = provenance::exec_effects(&command, &sc.cwd, &env.home).1;
            w.truncate(64);
            w
        }
        _ => return Ok(()),
    };
    if files.is_empty() {
        return Ok(());
    }
    let sid = event.session_id.as_deref().unwrap_or("?");
    provenance::record_written(&sc.project, &files, sid, tool, ztguard_monitor::now_ms())
        .map(|_| ())
}
