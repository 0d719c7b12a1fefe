//! Claude Code's hook events answered through the core: the event parsed,
//! the tool call translated to an action, the guard asked, its outcome
//! rendered. The hook process, the `ztguard exec` broker and the demo all
//! answer through [`answer`].
//!
//! Every event leaves a record in the audit log; tool calls also go
//! through the session monitor, which can revoke the session.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};
use ztguard_core::redact::{cut, error_line, redact_text};
use ztguard_core::{Guard, Guards, Kind, Origin, ToolCall, review};
use ztguard_policy::Action;

use super::{
    HookEvent, HookOutput, KNOWN_EVENTS, PermissionMode, approver, parse_event, render_error,
    render_nothing, render_notice, render_post, render_prompt_block, render_warned, summary,
    to_action,
};

/// The policy choices of the hook's caller: a profile forced on every
/// call, and strict mode (every ask becomes a deny); and what the client's
/// environment said of its session.
#[derive(Clone, Debug, Default)]
pub struct Choice {
    pub profile: Option<String>,
    pub strict: bool,
    /// Does a human attend the session? Claude Code tells its hooks in
    /// `CLAUDE_CODE_SESSION_ATTENDED`: `0` in `claude -p` runs, `1` in
    /// interactive ones (measured on 2.1.332). `Some(false)` turns every
    /// ask into a deny; None: not said.
    pub session_attended: Option<bool>,
}

/// Answer one hook event (`input`, the JSON Claude Code sent), with the
/// guards of this process; `started` is when answering began.
pub fn answer(input: &str, choice: &Choice, guards: &Guards, started: Instant) -> HookOutput {
    let event = match parse_event(input) {
        Ok(e) => e,
        Err(e) => return refuse(guards, None, started, &e),
    };
    let ask = Ask {
        event: &event,
        choice,
        guards,
        started,
    };
    match event.event.as_str() {
        "PreToolUse" | "PermissionRequest" => ask.decide(),
        "UserPromptSubmit" => ask.prompt(),
        e if KNOWN_EVENTS.contains(&e) => ask.observe(),
        e => refuse(
            guards,
            Some(&event),
            started,
            &format!("unknown hook event `{e}`"),
        ),
    }
}

/// An event that cannot be answered: refused, and recorded in the audit
/// log of its project when one can be told without creating anything — the
/// event's `cwd` if it is a directory, else the declared project, else the
/// hook's own directory (Claude Code runs hooks in the session's).
fn refuse(guards: &Guards, event: Option<&HookEvent>, started: Instant, why: &str) -> HookOutput {
    let env = guards.env();
    let marked = |p: &PathBuf| {
        p.is_absolute()
            && p.ancestors().any(|a| {
                [".ztguard.toml", ".git", ".claude"]
                    .iter()
                    .any(|m| a.join(m).exists())
            })
    };
    let cwd = event
        .and_then(|e| e.cwd.as_deref())
        .map(PathBuf::from)
        .filter(|c| c.is_absolute() && c.is_dir())
        .or_else(|| env.declared_project.clone().filter(|p| p.is_dir()))
        .or_else(|| std::env::current_dir().ok().filter(marked));
    if let Some(cwd) = cwd
        && let Ok(project) = env.project_of(&cwd)
    {
        let origin = Origin {
            event: event.map_or_else(|| "?".to_string(), |e| cut(e.event.clone())),
            session: event.and_then(|e| e.session_id.clone()),
            fields: Map::new(),
            cwd,
            tool: event.and_then(|e| e.tool_name.clone()),
            started,
        };
        let mut m = Map::new();
        m.insert("decision".into(), Value::from("deny"));
        m.insert("rule".into(), Value::from("hook.malformed"));
        m.insert("reason".into(), Value::from(cut(redact_text(why))));
        let guard = guards.get(&project, None, false);
        let _ = guard.record(
            &origin,
            Kind::Tool {
                file_access: false,
                allowed: false,
            },
            m,
        );
    }
    render_error(event.map(|e| e.event.as_str()), why)
}

/// One event and what answers it.
struct Ask<'a> {
    event: &'a HookEvent,
    choice: &'a Choice,
    guards: &'a Guards,
    started: Instant,
}

/// The call's origin and the guard of its project.
struct Scene {
    origin: Origin,
    guard: Arc<Guard>,
}

impl Ask<'_> {
    fn scene(&self) -> Result<Scene, String> {
        let event = self.event;
        let cwd = match &event.cwd {
            Some(c) if c.starts_with('/') => PathBuf::from(c),
            Some(c) => return Err(format!("`cwd` is not an absolute path: {c}")),
            None => std::env::current_dir()
                .map_err(|e| format!("no `cwd` and no current directory: {e}"))?,
        };
        // Nothing is created for a directory that is not there.
        if !cwd.is_dir() {
            return Err(format!(
                "`cwd` {} is not a directory on this machine",
                cwd.display()
            ));
        }
        let project = self
            .guards
            .env()
            .project_of(&cwd)
            .map_err(|e| e.to_string())?;
        let guard = self
            .guards
            .get(&project, self.choice.profile.as_deref(), self.choice.strict);
        let mut fields = Map::new();
        fields.insert("agent".into(), Value::from("claude-code"));
        if let Some(t) = &event.agent_type {
            fields.insert("agent_type".into(), Value::from(t.clone()));
        }
        // Identifiers come from the client, not the agent: cut, not scanned.
        for k in ["agent_id", "tool_use_id", "permission_mode"] {
            if let Some(v) = event.str(k) {
                fields.insert(k.into(), Value::from(cut(v.to_string())));
            }
        }
        Ok(Scene {
            origin: Origin {
                event: event.event.clone(),
                session: event.session_id.clone(),
                fields,
                cwd,
                tool: event.tool_name.clone(),
                started: self.started,
            },
            guard,
        })
    }

    /// PreToolUse and PermissionRequest: the core's seven steps.
    fn decide(&self) -> HookOutput {
        let event = self.event;
        let ev = event.event.as_str();
        let refuse = |why: &str| refuse(self.guards, Some(event), self.started, why);
        let Some(tool) = event.tool_name.clone() else {
            return refuse("the event has no `tool_name`");
        };
        let action = match to_action(&tool, &event.tool_input) {
            Ok(a) => a,
            Err(e) => return refuse(&e),
        };
        let sc = match self.scene() {
            Ok(s) => s,
            Err(e) => return refuse(&e),
        };
        let input = || summary::input(&tool, &event.tool_input);
        let call = ToolCall {
            origin: sc.origin,
            tool: tool.clone(),
            action,
            agent_type: event.agent_type.clone(),
            // A PermissionRequest follows its PreToolUse: checked, not counted again.
            count: ev == "PreToolUse",
            summary: &input,
            approver: approver(
                PermissionMode::of(event).as_ref(),
                self.choice.session_attended,
            ),
        };
        match sc.guard.tool_call(call) {
            Ok(o) => render_warned(ev, &o.decision, o.warning.as_deref(), o.notice.as_deref()),
            Err(e) => render_error(Some(ev), &e.to_string()),
        }
    }

    /// UserPromptSubmit: a prompt holding a credential never reaches the model.
    fn prompt(&self) -> HookOutput {
        let text = self.event.str("prompt").unwrap_or("");
        let found = review::prompt_secrets(text);
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
        let sc = self.scene();
        let broken = policy_problem(&sc);
        let record = self.record(&sc, Kind::Other, m);
        // A prompt is not blocked for a broken policy (the tool calls are
        // denied), but the human is told before the first one.
        answer_or_notice(
            blocked
                .map(|r| render_prompt_block(&r))
                .or_else(|| broken.map(|w| render_notice(&w))),
            record,
        )
    }

    /// Events that decide nothing: PostToolUse(Failure), SessionStart/End
    /// and the rest are recorded; PostToolUse also checks the output for
    /// secrets and notes the files the agent wrote.
    fn observe(&self) -> HookOutput {
        let event = self.event;
        let sc = self.scene();
        let mut extra = Map::new();
        let mut notice: Option<HookOutput> = None;
        let tool = event.tool_name.as_deref().unwrap_or("");
        let mut kind = Kind::Other;
        match event.event.as_str() {
            "PostToolUse" | "PostToolUseFailure" => {
                kind = Kind::Tool {
                    file_access: summary::file_access(tool),
                    allowed: true,
                };
                extra.insert(
                    "input".into(),
                    Value::Object(summary::input(tool, &event.tool_input)),
                );
                if event.event == "PostToolUse" {
                    extra.extend(summary::response(&event.tool_response));
                    if let Some((human, agent)) = review::output_secrets(tool, &event.tool_response)
                    {
                        extra.insert("output_secret".into(), Value::from(true));
                        notice = Some(render_post(&human, &agent));
                    }
                    if let Err(e) = sc
                        .as_ref()
                        .map_err(Clone::clone)
                        .and_then(|sc| self.note_written(sc))
                    {
                        extra.insert("provenance_error".into(), Value::from(e));
                    }
                } else if let Some(e) = event.str("error") {
                    extra.insert("error".into(), Value::from(error_line(e)));
                }
            }
            "SessionStart" => {
                for k in ["source", "model"] {
                    if let Some(v) = event.str(k) {
                        extra.insert(k.into(), Value::from(redact_text(v)));
                    }
                }
                self.session_mark(&sc, true);
                if let Some(why) = policy_problem(&sc) {
                    // SessionStart cannot block: tell the human, and the agent.
                    notice = Some(HookOutput {
                        stdout: Some(
                            json!({
                                "systemMessage": why,
                                "hookSpecificOutput": {
                                    "hookEventName": "SessionStart",
                                    "additionalContext": why,
                                },
                            })
                            .to_string(),
                        ),
                        stderr: None,
                        exit: 0,
                    });
                }
            }
            "SessionEnd" => {
                if let Some(v) = event.str("reason") {
                    extra.insert("reason".into(), Value::from(redact_text(v)));
                }
                self.session_mark(&sc, false);
            }
            _ => {}
        }
        let record = self.record(&sc, kind, extra);
        answer_or_notice(notice, record)
    }

    /// Write the record of an event that decides nothing.
    fn record(
        &self,
        sc: &Result<Scene, String>,
        kind: Kind,
        extra: Map<String, Value>,
    ) -> Result<(), String> {
        let sc = sc.as_ref().map_err(Clone::clone)?;
        sc.guard
            .record(&sc.origin, kind, extra)
            .map_err(|e| e.message().to_string())
    }

    /// Start or end the session's state (the baseline is drawn at the start).
    fn session_mark(&self, sc: &Result<Scene, String>, start: bool) {
        if let (Some(sid), Ok(sc)) = (&self.event.session_id, sc) {
            let _ = sc.guard.session_mark(sid, start);
        }
    }

    /// Note the files a finished tool call wrote, with their content hashes.
    fn note_written(&self, sc: &Scene) -> Result<(), String> {
        let tool = self.event.tool_name.as_deref().unwrap_or("");
        let action = match to_action(tool, &self.event.tool_input) {
            Ok(a @ Action::Write { .. }) => a,
            // Only POSIX shell lines are analysed for the files they write.
            Ok(a @ Action::Exec { .. }) if matches!(tool, "Bash" | "Monitor") => a,
            _ => return Ok(()),
        };
        sc.guard
            .note_written(&sc.origin, &action)
            .map_err(|e| e.message().to_string())
    }
}

/// The answer of an event that decides nothing: its own (if any), else a
/// notice for the human when its record could not be written, else nothing.
/// Why every tool call of this session will be denied, when the policy
/// does not load: said at SessionStart and with each prompt.
fn policy_problem(sc: &Result<Scene, String>) -> Option<String> {
    let sc = sc.as_ref().ok()?;
    let e = sc.guard.policy().err()?;
    Some(format!(
        "ztguard: {e}. Every tool call is denied until it is fixed; `ztguard policy lint` lists every error in every layer."
    ))
}

fn answer_or_notice(answer: Option<HookOutput>, record: Result<(), String>) -> HookOutput {
    match (answer, record) {
        (Some(out), _) => out,
        (None, Err(e)) => {
            render_notice(&format!("ztguard: the audit log could not be written: {e}"))
        }
        (None, Ok(())) => render_nothing(),
    }
}
