//! How ztguard is wired into Claude Code: the hook command registered in a
//! settings file, and reading back what a settings file registers.
//!
//! Claude Code runs a hook command through `sh -c` and reads exit 2 as
//! "block"; any other non-zero exit, including 127 for a command that is
//! not there, lets the call go ahead. So the registered command is not the
//! path of a binary: it is a short POSIX shell wrapper that finds ztguard
//! where it is installed on the machine that runs it (the `PATH`, then
//! `~/.cargo/bin`), refuses a ztguard inside the project (the agent could
//! have written it), runs `ztguard hook`, and turns every outcome other than
//! an answer (0) or a block (2) into a block with a message that says how
//! to install it. A settings file committed on one machine therefore fails
//! closed on every other.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

/// Where Claude Code reads settings from, most shared first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `.claude/settings.json`: committed, shared with everyone who clones.
    Project,
    /// `.claude/settings.local.json`: this checkout only, not committed.
    Local,
    /// `~/.claude/settings.json`: every project of this user.
    User,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Project, Scope::Local, Scope::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Project => "project",
            Scope::Local => "local",
            Scope::User => "user",
        }
    }

    /// The settings file of this scope.
    pub fn path(self, project: &Path, home: &Path) -> PathBuf {
        match self {
            Scope::Project => project.join(".claude/settings.json"),
            Scope::Local => project.join(".claude/settings.local.json"),
            Scope::User => home.join(".claude/settings.json"),
        }
    }
}

/// The events the hook is registered for.
pub const HOOK_EVENTS: &[&str] = &[
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PostToolUseFailure",
    "UserPromptSubmit",
    "SessionStart",
    "SessionEnd",
];

/// The events that carry a tool (and take a matcher).
const TOOL_EVENTS: &[&str] = &[
    "PreToolUse",
    "PermissionRequest",
    "PostToolUse",
    "PostToolUseFailure",
];

/// The marker that ends the wrapper; its version changes with the wrapper.
const MARKER: &str = "# ztguard hook wrapper v2";

/// The hook command: the fail-closed wrapper (see the module's doc).
pub fn hook_command() -> String {
    let install = "ztguard: this call is blocked because the ztguard hook cannot run on this machine \
(exit $r: not installed, not on PATH or in ~/.cargo/bin, refused inside the project, or broken). Install it: \
cargo install --locked --path <ztguard checkout>; then run ztguard doctor. \
To unwire the project instead, delete the ztguard entries from the hooks of .claude/settings*.json.";
    [
        // The PATH searched with builtins only (no process started) …
        "set -f; z=; IFS=:; for d in $PATH; do if [ -f \"$d/ztguard\" ] && [ -x \"$d/ztguard\" ]; then z=$d/ztguard; break; fi; done; unset IFS; set +f",
        "[ -n \"$z\" ] || z=\"$HOME/.cargo/bin/ztguard\"",
        // … only an absolute path, a link resolved …
        "case $z in /*) ;; *) z= ;; esac",
        "if [ -L \"$z\" ]; then z=$(readlink -f -- \"$z\") || z=; fi",
        // … whose real directory is outside the project's real path (the
        // hook's directory without CLAUDE_PROJECT_DIR), found with `cd -P`
        // in this shell, then back: no process started.
        "o=$PWD; if [ -n \"$z\" ] && cd -P -- \"${CLAUDE_PROJECT_DIR:-.}\" 2>/dev/null; then p=$PWD; if cd -P -- \"${z%/*}/\" 2>/dev/null; then case $PWD/ in \"$p\"/*) z= ;; *) z=${PWD%/}/${z##*/} ;; esac; else z=; fi; else z=; fi; cd -- \"$o\" 2>/dev/null || z=",
        "if [ -n \"$z\" ] && [ -x \"$z\" ]; then \"$z\" hook; r=$?; else r=127; fi",
        "case $r in 0|2) exit $r ;; esac",
        // The event is read to its end, so the client never writes into a closed pipe.
        "cat >/dev/null 2>&1",
        &format!("echo \"{install}\" >&2"),
        &format!("exit 2 {MARKER}"),
    ]
    .join("; ")
}

/// What a ztguard handler in a settings file runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Form {
    /// This version's wrapper: fails closed wherever it runs.
    Current,
    /// Another version of the wrapper: still fails closed; `init` updates it.
    OtherWrapper,
    /// A binary run directly (`/path/to/ztguard hook`): on a machine where
    /// that program is missing or crashes, Claude Code lets calls through.
    Direct(String),
}

impl Form {
    pub fn fails_closed(&self) -> bool {
        !matches!(self, Form::Direct(_))
    }
}

/// The form of a hook handler's command, if it is ztguard's.
pub fn form_of(command: &str) -> Option<Form> {
    if command == hook_command() {
        return Some(Form::Current);
    }
    if command.contains("# ztguard hook wrapper") {
        return Some(Form::OtherWrapper);
    }
    let c = command.trim();
    let direct = c
        .find("ztguard")
        .is_some_and(|i| c[i..].split_whitespace().any(|w| w == "hook"));
    direct.then(|| Form::Direct(c.to_string()))
}

fn handler_form(h: &Value) -> Option<Form> {
    h.get("command").and_then(Value::as_str).and_then(form_of)
}

/// The ztguard handlers a settings file registers: (event, form).
pub fn registered(settings: &Value) -> Vec<(String, Form)> {
    let mut out = Vec::new();
    let Some(hooks) = settings.get("hooks").and_then(Value::as_object) else {
        return out;
    };
    for (event, groups) in hooks {
        for g in groups.as_array().into_iter().flatten() {
            for h in g
                .get("hooks")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(f) = handler_form(h) {
                    out.push((event.clone(), f));
                }
            }
        }
    }
    out
}

/// What [`register`] changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registered {
    /// Events that had no ztguard handler and got one.
    pub added: usize,
    /// ztguard handlers of another form replaced by the current wrapper.
    pub updated: usize,
}

impl Registered {
    pub fn changed(&self) -> bool {
        self.added + self.updated > 0
    }
}

fn hooks_object(settings: &mut Value) -> Result<&mut Map<String, Value>, String> {
    let obj = settings
        .as_object_mut()
        .ok_or("the settings file is not a JSON object")?;
    obj.entry("hooks")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| "`hooks` in the settings file is not an object".to_string())
}

/// Register `command` for every event of [`HOOK_EVENTS`], keeping every
/// other setting and hook; ztguard handlers of another form (an absolute
/// path, an older wrapper) are replaced in place.
pub fn register(settings: &mut Value, command: &str) -> Result<Registered, String> {
    let hooks = hooks_object(settings)?;
    let mut done = Registered::default();
    for event in HOOK_EVENTS {
        let groups = hooks.entry(*event).or_insert_with(|| json!([]));
        let groups = groups
            .as_array_mut()
            .ok_or_else(|| format!("`hooks.{event}` is not an array"))?;
        let mut present = false;
        for g in groups.iter_mut() {
            for h in g
                .get_mut("hooks")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if handler_form(h).is_none() {
                    continue;
                }
                present = true;
                if h.get("command").and_then(Value::as_str) != Some(command) {
                    h["command"] = Value::from(command);
                    done.updated += 1;
                }
            }
        }
        if !present {
            let handler = json!([ { "type": "command", "command": command, "timeout": 30 } ]);
            // Events without tools take no matcher (one set there is ignored).
            groups.push(if TOOL_EVENTS.contains(event) {
                json!({ "matcher": "*", "hooks": handler })
            } else {
                json!({ "hooks": handler })
            });
            done.added += 1;
        }
    }
    Ok(done)
}

/// Remove every ztguard handler, and the groups, events and `hooks` object
/// left empty by that; everything else is kept. Returns how many handlers
/// were removed.
pub fn remove(settings: &mut Value) -> Result<usize, String> {
    let Some(obj) = settings.as_object_mut() else {
        return Err("the settings file is not a JSON object".into());
    };
    let Some(hooks) = obj.get_mut("hooks").and_then(Value::as_object_mut) else {
        return Ok(0);
    };
    let mut removed = 0;
    for groups in hooks.values_mut() {
        let Some(groups) = groups.as_array_mut() else {
            continue;
        };
        for g in groups.iter_mut() {
            if let Some(hs) = g.get_mut("hooks").and_then(Value::as_array_mut) {
                let before = hs.len();
                hs.retain(|h| handler_form(h).is_none());
                removed += before - hs.len();
            }
        }
        groups.retain(|g| {
            g.get("hooks")
                .and_then(Value::as_array)
                .is_none_or(|hs| !hs.is_empty())
        });
    }
    hooks.retain(|_, groups| groups.as_array().is_none_or(|g| !g.is_empty()));
    if hooks.is_empty() {
        obj.remove("hooks");
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn register_keeps_other_hooks_is_idempotent_and_updates_old_forms() {
        let mut s = json!({"model": "x", "hooks": {"PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "other"}]},
            {"matcher": "*", "hooks": [{"type": "command", "command": "/opt/zt/bin/ztguard hook"}]}
        ]}});
        let cmd = hook_command();
        let r = register(&mut s, &cmd).unwrap();
        assert_eq!(r.added, HOOK_EVENTS.len() - 1);
        assert_eq!(r.updated, 1);
        assert!(!register(&mut s, &cmd).unwrap().changed());
        assert_eq!(s["model"], "x");
        assert_eq!(s["hooks"]["PreToolUse"].as_array().map(Vec::len), Some(2));
        assert_eq!(s["hooks"]["PreToolUse"][0]["hooks"][0]["command"], "other");
        let forms = registered(&s);
        assert_eq!(forms.len(), HOOK_EVENTS.len());
        assert!(forms.iter().all(|(_, f)| *f == Form::Current));
    }

    #[test]
    fn remove_takes_out_only_ztguard_and_what_it_leaves_empty() {
        let mut s = json!({"model": "x", "hooks": {"PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "other"}]}
        ]}});
        register(&mut s, &hook_command()).unwrap();
        assert_eq!(remove(&mut s).unwrap(), HOOK_EVENTS.len());
        assert_eq!(
            s,
            json!({"model": "x", "hooks": {"PreToolUse": [
                {"matcher": "Bash", "hooks": [{"type": "command", "command": "other"}]}
            ]}})
        );
        let mut only = json!({});
        register(&mut only, &hook_command()).unwrap();
        assert_eq!(remove(&mut only).unwrap(), HOOK_EVENTS.len());
        assert_eq!(only, json!({}));
    }

    #[test]
    fn forms_are_told_apart() {
        assert_eq!(form_of(&hook_command()), Some(Form::Current));
        assert!(matches!(
            form_of("/root/.cargo/bin/ztguard hook"),
            Some(Form::Direct(_))
        ));
        assert!(matches!(
            form_of("'/a b/ztguard' hook --strict"),
            Some(Form::Direct(_))
        ));
        assert_eq!(form_of("npx -y cc-safety-net"), None);
        assert!(!Form::Direct(String::new()).fails_closed());
        assert!(Form::Current.fails_closed());
    }
}
