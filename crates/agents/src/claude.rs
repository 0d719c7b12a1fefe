//! Claude Code's hook protocol.
//!
//! Input: one JSON object on stdin with `hook_event_name`, `session_id`,
//! `cwd`, `tool_name`, `tool_input`, and `agent_type` inside subagents.
//! Output: for PreToolUse, `hookSpecificOutput.permissionDecision`
//! (`allow`/`ask`/`deny`) with a reason, exit 0; for PermissionRequest,
//! `hookSpecificOutput.decision.behavior` (`allow`/`deny`), or nothing for
//! "ask the human". A blocking error is exit 2 with the reason on stderr.
//! Claude Code treats any other exit code, a crash or a timeout as "go
//! ahead", so this adapter never produces one.

use serde_json::{Value, json};
use ztguard_core::{Approver, NoHuman};
use ztguard_policy::{Action, Decision, TextEdit, Verdict};

pub mod answer;
pub mod summary;
pub mod user_config;
pub mod wiring;

pub use answer::{Choice, answer};

/// Every event name Claude Code documents. Events ztguard does not act on
/// yet get an empty answer; a name not in this list is treated as an error.
pub const KNOWN_EVENTS: &[&str] = &[
    "SessionStart",
    "Setup",
    "UserPromptSubmit",
    "UserPromptExpansion",
    "PreToolUse",
    "PermissionRequest",
    "PermissionDenied",
    "PostToolUse",
    "PostToolUseFailure",
    "PostToolBatch",
    "Notification",
    "MessageDisplay",
    "SubagentStart",
    "SubagentStop",
    "TaskCreated",
    "TaskCompleted",
    "Stop",
    "StopFailure",
    "TeammateIdle",
    "InstructionsLoaded",
    "ConfigChange",
    "CwdChanged",
    "DirectoryAdded",
    "FileChanged",
    "WorktreeCreate",
    "WorktreeRemove",
    "PreCompact",
    "PostCompact",
    "Elicitation",
    "ElicitationResult",
    "SessionEnd",
];

/// Tools whose input ztguard understands: Claude Code's built-in tools,
/// including those of 2.1.332 read off the real client (some are deferred
/// behind ToolSearch). Any other non-MCP tool is denied unless a rule names it.
#[rustfmt::skip]
pub const KNOWN_TOOLS: &[&str] = &[
    "Bash", "PowerShell", "Monitor", "Read", "NotebookRead", "Write", "Edit", "MultiEdit", "NotebookEdit", "Glob",
    "Grep", "LS", "WebFetch", "WebSearch", "Agent", "Task", "TodoWrite", "TodoRead", "AskUserQuestion",
    "EnterPlanMode", "ExitPlanMode", "BashOutput", "KillShell", "KillBash", "SlashCommand", "Skill",
    "ListMcpResourcesTool", "ReadMcpResourceTool", "ToolSearch", "DeferredToolPlaceholder", "ListAgents",
    "SendMessage", "ReportFindings", "TaskCreate", "TaskGet", "TaskList", "TaskUpdate", "TaskOutput", "TaskStop",
    "CronCreate", "CronDelete", "CronList", "ScheduleWakeup", "EnterWorktree", "ExitWorktree", "Workflow", "LSP",
];

/// The parts of a hook event ztguard uses.
#[derive(Clone, Debug)]
pub struct HookEvent {
    pub event: String,
    pub session_id: Option<String>,
    pub cwd: Option<String>,
    pub tool_name: Option<String>,
    pub tool_input: Value,
    /// PostToolUse: what the tool returned.
    pub tool_response: Value,
    pub agent_type: Option<String>,
    /// Every other field of the event (`prompt`, `source`, `reason`,
    /// `error`, `agent_id`, `tool_use_id`, …), for the audit record.
    pub other: serde_json::Map<String, Value>,
}

impl HookEvent {
    /// Another string field of the event.
    pub fn str(&self, key: &str) -> Option<&str> {
        self.other.get(key).and_then(Value::as_str)
    }
}

/// Parse stdin. Errors are written for a human: they end up as the deny reason.
pub fn parse_event(input: &str) -> Result<HookEvent, String> {
    let v: Value = serde_json::from_str(input.trim_start_matches('\u{feff}'))
        .map_err(|e| format!("hook input is not valid JSON ({e})"))?;
    let Value::Object(mut obj) = v else {
        return Err("hook input is not a JSON object".into());
    };
    let mut s = |k: &str| match obj.remove(k) {
        Some(Value::String(s)) => Some(s),
        Some(other) => {
            obj.insert(k.to_string(), other);
            None
        }
        None => None,
    };
    let event = s("hook_event_name").ok_or("hook input has no `hook_event_name` string")?;
    let session_id = s("session_id");
    let cwd = s("cwd");
    let tool_name = s("tool_name");
    let agent_type = s("agent_type");
    Ok(HookEvent {
        event,
        session_id,
        cwd,
        tool_name,
        agent_type,
        tool_input: obj.remove("tool_input").unwrap_or(Value::Null),
        tool_response: obj.remove("tool_response").unwrap_or(Value::Null),
        other: obj,
    })
}

/// Claude Code's permission mode: the hook input's `permission_mode`, on
/// tool events since late 2025 (older builds, and other clients that speak
/// this protocol, may send none). Codex sends the same field and names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PermissionMode {
    /// `default` (the UI's "Manual"; `manual` is accepted as its alias).
    Default,
    Plan,
    AcceptEdits,
    /// `auto`: a model classifier approves calls in place of prompts.
    Auto,
    /// `dontAsk`: what is not pre-approved is denied, nothing is asked.
    DontAsk,
    /// `bypassPermissions`: everything is approved, nothing is asked.
    BypassPermissions,
    /// Any other value, as sent (a string's text, else the JSON).
    Other(String),
}

impl PermissionMode {
    /// The mode of an event: None when it has no `permission_mode`.
    pub fn of(event: &HookEvent) -> Option<PermissionMode> {
        event
            .other
            .get("permission_mode")
            .map(PermissionMode::parse)
    }

    /// A `permission_mode` value.
    pub fn parse(v: &Value) -> PermissionMode {
        match v.as_str() {
            Some("default" | "manual") => PermissionMode::Default,
            Some("plan") => PermissionMode::Plan,
            Some("acceptEdits") => PermissionMode::AcceptEdits,
            Some("auto") => PermissionMode::Auto,
            Some("dontAsk") => PermissionMode::DontAsk,
            Some("bypassPermissions") => PermissionMode::BypassPermissions,
            Some(other) => PermissionMode::Other(other.to_string()),
            None => PermissionMode::Other(v.to_string()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            PermissionMode::Default => "default",
            PermissionMode::Plan => "plan",
            PermissionMode::AcceptEdits => "acceptEdits",
            PermissionMode::Auto => "auto",
            PermissionMode::DontAsk => "dontAsk",
            PermissionMode::BypassPermissions => "bypassPermissions",
            PermissionMode::Other(s) => s,
        }
    }

    /// Is a hook's `ask` put to a human in this mode? Only in the modes
    /// made for a human at the keyboard: not where everything is approved
    /// (`bypassPermissions`), nothing is asked (`dontAsk`), a classifier
    /// stands in for the human (`auto`), nor in a mode ztguard does not know.
    pub fn asks_a_human(&self) -> bool {
        matches!(
            self,
            PermissionMode::Default | PermissionMode::Plan | PermissionMode::AcceptEdits
        )
    }
}

/// Who answers an ask for this event: nobody in a permission mode that
/// asks no human, or when the client said no one attends the session
/// (`attended`: `Some(false)`); a human otherwise — also when the event
/// has no permission mode, as with older clients, which ask.
pub fn approver(mode: Option<&PermissionMode>, attended: Option<bool>) -> Approver {
    match (mode, attended) {
        (Some(m), _) if !m.asks_a_human() => {
            let shown: String = m.as_str().chars().take(100).collect();
            Approver::Nobody(NoHuman {
                when: format!("in permission mode `{shown}`"),
                by: shown,
            })
        }
        (_, Some(false)) => Approver::Nobody(NoHuman {
            by: "unattended".into(),
            when: "in a session no one attends (a non-interactive run such as `claude -p`)".into(),
        }),
        _ => Approver::Human,
    }
}

/// Does this event get a tool decision?
pub fn decides(event: &str) -> bool {
    matches!(event, "PreToolUse" | "PermissionRequest")
}

fn field<'a>(input: &'a Value, tool: &str, key: &str) -> Result<&'a str, String> {
    input
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{tool} input has no `{key}` string"))
}

fn opt(input: &Value, key: &str) -> Option<String> {
    input
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// One `old_string` → `new_string` replacement of an Edit or MultiEdit.
fn text_edit(e: &Value) -> Option<TextEdit> {
    Some(TextEdit {
        old: e.get("old_string")?.as_str()?.to_string(),
        new: e.get("new_string")?.as_str()?.to_string(),
        all: e
            .get("replace_all")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// Translate a tool call into an action. A known tool with malformed input is an error.
pub fn to_action(tool: &str, input: &Value) -> Result<Action, String> {
    if !input.is_object() {
        return Err(format!("{tool} input is not a JSON object"));
    }
    Ok(match tool {
        // Monitor runs its `command` as a long-lived script: a shell command like any other.
        "Bash" | "PowerShell" | "Monitor" => Action::Exec {
            command: field(input, tool, "command")?.to_string(),
        },
        "Read" => Action::Read {
            path: field(input, tool, "file_path")?.to_string(),
        },
        "NotebookRead" => Action::Read {
            path: field(input, tool, "notebook_path")?.to_string(),
        },
        "Write" => Action::Write {
            path: field(input, tool, "file_path")?.to_string(),
            content: opt(input, "content"),
            edits: Vec::new(),
        },
        "Edit" => {
            let edits = text_edit(input).into_iter().collect::<Vec<_>>();
            Action::Write {
                path: field(input, tool, "file_path")?.to_string(),
                content: opt(input, "new_string"),
                edits,
            }
        }
        "MultiEdit" => {
            let list = input
                .get("edits")
                .and_then(Value::as_array)
                .ok_or("MultiEdit input has no `edits` array")?;
            let content: Vec<&str> = list
                .iter()
                .filter_map(|e| e.get("new_string").and_then(Value::as_str))
                .collect();
            Action::Write {
                path: field(input, tool, "file_path")?.to_string(),
                content: Some(content.join("\n")),
                edits: list.iter().filter_map(text_edit).collect(),
            }
        }
        "NotebookEdit" => Action::Write {
            path: field(input, tool, "notebook_path")?.to_string(),
            content: opt(input, "new_source"),
            edits: Vec::new(),
        },
        "Glob" => Action::List {
            path: opt(input, "path"),
            pattern: field(input, tool, "pattern")?.to_string(),
        },
        "LS" => Action::List {
            path: Some(field(input, tool, "path")?.to_string()),
            pattern: "*".into(),
        },
        "Grep" => {
            field(input, tool, "pattern")?;
            let mode = opt(input, "output_mode");
            Action::Search {
                path: opt(input, "path"),
                glob: opt(input, "glob"),
                content: matches!(mode.as_deref(), Some("content" | "count")),
            }
        }
        "WebFetch" => Action::Fetch {
            url: field(input, tool, "url")?.to_string(),
        },
        "WebSearch" => Action::WebSearch {
            query: field(input, tool, "query")?.to_string(),
        },
        "Agent" | "Task" => Action::Agent {
            subagent_type: opt(input, "subagent_type"),
        },
        _ if tool.starts_with("mcp__") || KNOWN_TOOLS.contains(&tool) => Action::Other,
        _ => Action::Unknown,
    })
}

/// What the hook process prints and how it exits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HookOutput {
    pub stdout: Option<String>,
    pub stderr: Option<String>,
    /// 0 or 2, nothing else.
    pub exit: u8,
}

impl HookOutput {
    /// The answer as the agent reads it: stdout, stderr (each a line, or
    /// nothing), and the exit code, 0 or 2.
    pub fn rendered(&self) -> (Vec<u8>, Vec<u8>, u8) {
        let line = |s: &Option<String>| s.as_ref().map(|s| format!("{s}\n").into_bytes());
        (
            line(&self.stdout).unwrap_or_default(),
            line(&self.stderr).unwrap_or_default(),
            if self.exit == 0 { 0 } else { 2 },
        )
    }
}

/// A PostToolUse answer: a message for the human (`systemMessage`) and
/// context for the agent. It cannot undo the call.
pub fn render_post(human: &str, agent: &str) -> HookOutput {
    let out = json!({
        "systemMessage": human,
        "hookSpecificOutput": { "hookEventName": "PostToolUse", "additionalContext": agent }
    });
    HookOutput {
        stdout: Some(out.to_string()),
        stderr: None,
        exit: 0,
    }
}

/// Render a decision with a warning (`warn` content findings: shown to the
/// human as `systemMessage` and to the agent as context) and a notice for
/// the human only (alerts), neither of which changes the decision.
pub fn render_warned(
    event: &str,
    d: &Decision,
    warning: Option<&str>,
    notice: Option<&str>,
) -> HookOutput {
    let mut out = render(event, d);
    if warning.is_none() && notice.is_none() {
        return out;
    }
    let mut v: Value = out
        .stdout
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_else(|| json!({}));
    let human: Vec<&str> = [warning, notice].into_iter().flatten().collect();
    if let Some(o) = v.as_object_mut() {
        o.insert("systemMessage".into(), json!(human.join("\n")));
        if let Some(w) = warning
            && event == "PreToolUse"
            && let Some(h) = o
                .get_mut("hookSpecificOutput")
                .and_then(Value::as_object_mut)
        {
            h.insert("additionalContext".into(), json!(w));
        }
    }
    out.stdout = Some(v.to_string());
    out
}

/// Block a prompt before it reaches the model (UserPromptSubmit). The
/// reason is shown to the user and not added to the context.
pub fn render_prompt_block(reason: &str) -> HookOutput {
    let out = json!({ "decision": "block", "reason": reason });
    HookOutput {
        stdout: Some(out.to_string()),
        stderr: None,
        exit: 0,
    }
}

/// A message for the human only, on any event.
pub fn render_notice(message: &str) -> HookOutput {
    HookOutput {
        stdout: Some(json!({ "systemMessage": message }).to_string()),
        stderr: None,
        exit: 0,
    }
}

/// Nothing to say: exit 0, no output.
pub fn render_nothing() -> HookOutput {
    HookOutput {
        stdout: None,
        stderr: None,
        exit: 0,
    }
}

/// Render a decision for Claude Code.
pub fn render(event: &str, d: &Decision) -> HookOutput {
    match event {
        "PermissionRequest" => {
            let decision = match d.verdict {
                Verdict::Allow => json!({ "behavior": "allow" }),
                Verdict::Deny => json!({ "behavior": "deny", "message": d.reason }),
                // Let Claude Code ask the human, as it was about to.
                Verdict::Ask => {
                    return HookOutput {
                        stdout: None,
                        stderr: None,
                        exit: 0,
                    };
                }
            };
            let out = json!({ "hookSpecificOutput": { "hookEventName": "PermissionRequest", "decision": decision } });
            HookOutput {
                stdout: Some(out.to_string()),
                stderr: None,
                exit: 0,
            }
        }
        _ => {
            let out = json!({
                "hookSpecificOutput": {
                    "hookEventName": "PreToolUse",
                    "permissionDecision": d.verdict.as_str(),
                    "permissionDecisionReason": d.reason,
                }
            });
            HookOutput {
                stdout: Some(out.to_string()),
                stderr: None,
                exit: 0,
            }
        }
    }
}

/// Fail closed: the answer when something went wrong before a decision.
pub fn render_error(event: Option<&str>, message: &str) -> HookOutput {
    let reason = format!("ztguard: denied because the guard could not decide safely: {message}");
    if event == Some("PermissionRequest") {
        // PermissionRequest ignores exit 2; only a JSON deny blocks it.
        let out = json!({ "hookSpecificOutput": { "hookEventName": "PermissionRequest", "decision": { "behavior": "deny", "message": reason } } });
        return HookOutput {
            stdout: Some(out.to_string()),
            stderr: Some(reason),
            exit: 0,
        };
    }
    HookOutput {
        stdout: None,
        stderr: Some(reason),
        exit: 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pre_tool_use() {
        let e = parse_event(
            r#"{"session_id":"s","cwd":"/p","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"},"agent_type":"Explore"}"#,
        );
        let e = e.expect("valid event");
        assert_eq!(e.event, "PreToolUse");
        assert_eq!(e.agent_type.as_deref(), Some("Explore"));
        assert_eq!(
            to_action("Bash", &e.tool_input),
            Ok(Action::Exec {
                command: "ls".into()
            })
        );
    }

    #[test]
    fn permission_modes_made_for_a_human_keep_asking_the_others_deny() {
        let mode = |v: Value| {
            let mut e = parse_event(
                r#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}"#,
            )
            .expect("valid event");
            e.other.insert("permission_mode".into(), v);
            PermissionMode::of(&e)
        };
        for m in ["default", "manual", "plan", "acceptEdits"] {
            let parsed = mode(json!(m)).expect("a mode");
            assert!(parsed.asks_a_human(), "{m}");
            assert_eq!(approver(Some(&parsed), None), Approver::Human, "{m}");
            assert_eq!(approver(Some(&parsed), Some(true)), Approver::Human, "{m}");
        }
        for (v, by) in [
            (json!("bypassPermissions"), "bypassPermissions"),
            (json!("dontAsk"), "dontAsk"),
            (json!("auto"), "auto"),
            (json!("yolo"), "yolo"),
            (json!("Default"), "Default"),
            (json!(""), ""),
            (json!(null), "null"),
            (json!(3), "3"),
        ] {
            let parsed = mode(v.clone()).expect("a mode");
            assert!(!parsed.asks_a_human(), "{v}");
            // Even when the client says someone attends the session.
            for attended in [None, Some(true), Some(false)] {
                assert_eq!(
                    approver(Some(&parsed), attended),
                    Approver::Nobody(NoHuman {
                        by: by.into(),
                        when: format!("in permission mode `{by}`"),
                    }),
                    "{v}"
                );
            }
        }
        let long = "x".repeat(5000);
        let Approver::Nobody(n) = approver(Some(&PermissionMode::Other(long)), None) else {
            panic!("an unknown mode asks no human");
        };
        assert_eq!(n.by.len(), 100);
    }

    #[test]
    fn an_unattended_session_asks_no_human_whatever_its_mode() {
        let unattended = Approver::Nobody(NoHuman {
            by: "unattended".into(),
            when: "in a session no one attends (a non-interactive run such as `claude -p`)".into(),
        });
        assert_eq!(approver(None, Some(false)), unattended);
        assert_eq!(
            approver(Some(&PermissionMode::Default), Some(false)),
            unattended
        );
        // No mode and nothing said: an older client, which asks.
        assert_eq!(approver(None, None), Approver::Human);
        assert_eq!(approver(None, Some(true)), Approver::Human);
        let e = parse_event(r#"{"hook_event_name":"PreToolUse"}"#).expect("valid event");
        assert_eq!(PermissionMode::of(&e), None);
    }

    #[test]
    fn malformed_input_is_an_error() {
        assert!(parse_event("not json").is_err());
        assert!(parse_event("[]").is_err());
        assert!(parse_event("{}").is_err());
        assert!(to_action("Bash", &json!({"cmd": "ls"})).is_err());
        assert!(to_action("Read", &json!("x")).is_err());
    }

    #[test]
    fn errors_fail_closed() {
        let o = render_error(Some("PreToolUse"), "boom");
        assert_eq!(o.exit, 2);
        let o = render_error(Some("PermissionRequest"), "boom");
        assert!(o.stdout.unwrap_or_default().contains("\"deny\""));
    }
}
