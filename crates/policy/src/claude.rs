//! Claude Code's own permission rules (`permissions.allow/ask/deny` in
//! `.claude/settings*.json`), translated into ztguard rules so that existing
//! rules keep working when ztguard decides.

use serde_json::Value;

/// One Claude Code rule, translated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClaudeRule {
    /// A whole tool: `Bash`, `WebFetch`, `mcp__github` (→ `mcp__github__*`), `Agent(Explore)`.
    Tool(String),
    /// `Bash(npm run test:*)` → `npm run test *`.
    Command(String),
    /// `Read(./.env)` → a path pattern for reads.
    Read(String),
    /// `Edit(src/**)` / `Write(…)` → a path pattern for writes.
    Edit(String),
    /// `WebFetch(domain:example.com)`.
    Domain(String),
    /// Parameter rules and the like, which have no ztguard equivalent.
    Unsupported(String),
}

/// Translate one rule string. `user_scope` marks rules from `~/.claude/settings.json`,
/// where `/path` means `~/.claude/path`.
pub fn parse_claude_rule(rule: &str, user_scope: bool) -> ClaudeRule {
    let rule = rule.trim();
    let Some(open) = rule.find('(') else {
        if let Some(server) = rule.strip_prefix("mcp__")
            && !server.contains("__")
        {
            return ClaudeRule::Tool(format!("{rule}__*"));
        }
        return ClaudeRule::Tool(rule.to_string());
    };
    let Some(inner) = rule[open + 1..].strip_suffix(')') else {
        return ClaudeRule::Unsupported(rule.to_string());
    };
    let tool = &rule[..open];
    if inner == "*" || inner.is_empty() {
        return ClaudeRule::Tool(tool.to_string());
    }
    match tool {
        "Bash" | "PowerShell" => {
            if inner.contains(':')
                && !inner.ends_with(":*")
                && inner.split(':').next().is_some_and(|k| !k.contains(' '))
                && !inner.contains(' ')
            {
                // Bash(run_in_background:true): a parameter rule
                return ClaudeRule::Unsupported(rule.to_string());
            }
            let cmd = match inner.strip_suffix(":*") {
                Some(prefix) => format!("{prefix} *"),
                None => inner.to_string(),
            };
            ClaudeRule::Command(cmd)
        }
        "Read" | "Edit" | "Write" | "MultiEdit" | "NotebookEdit" | "Glob" | "Grep" => {
            let path = if let Some(abs) = inner.strip_prefix("//") {
                format!("/{abs}")
            } else if inner.starts_with("~/") || inner == "~" {
                inner.to_string()
            } else if let Some(rel) = inner.strip_prefix('/') {
                if user_scope {
                    format!("~/.claude/{rel}")
                } else {
                    format!("./{rel}")
                }
            } else {
                inner.to_string()
            };
            if tool == "Read" || tool == "Glob" || tool == "Grep" {
                ClaudeRule::Read(path)
            } else {
                ClaudeRule::Edit(path)
            }
        }
        "WebFetch" => match inner.strip_prefix("domain:") {
            Some(d) => ClaudeRule::Domain(d.to_string()),
            None => ClaudeRule::Unsupported(rule.to_string()),
        },
        "Agent" | "Task" => ClaudeRule::Tool(format!("Agent({inner})")),
        _ if inner.contains(':') => ClaudeRule::Unsupported(rule.to_string()),
        _ => ClaudeRule::Tool(rule.to_string()),
    }
}

/// The permission lists of a settings file: (allow, ask, deny).
pub(crate) fn permission_lists(json: &Value) -> (Vec<String>, Vec<String>, Vec<String>) {
    let get = |k: &str| -> Vec<String> {
        json.get("permissions")
            .and_then(|p| p.get(k))
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    (get("allow"), get("ask"), get("deny"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translations() {
        assert_eq!(
            parse_claude_rule("Bash(npm run test:*)", false),
            ClaudeRule::Command("npm run test *".into())
        );
        assert_eq!(
            parse_claude_rule("Bash(git diff *)", false),
            ClaudeRule::Command("git diff *".into())
        );
        assert_eq!(
            parse_claude_rule("Bash", false),
            ClaudeRule::Tool("Bash".into())
        );
        assert_eq!(
            parse_claude_rule("Bash(*)", false),
            ClaudeRule::Tool("Bash".into())
        );
        assert_eq!(
            parse_claude_rule("Read(./.env)", false),
            ClaudeRule::Read("./.env".into())
        );
        assert_eq!(
            parse_claude_rule("Read(//etc/passwd)", false),
            ClaudeRule::Read("/etc/passwd".into())
        );
        assert_eq!(
            parse_claude_rule("Edit(/src/**)", false),
            ClaudeRule::Edit("./src/**".into())
        );
        assert_eq!(
            parse_claude_rule("Read(/secrets/**)", true),
            ClaudeRule::Read("~/.claude/secrets/**".into())
        );
        assert_eq!(
            parse_claude_rule("WebFetch(domain:docs.rs)", false),
            ClaudeRule::Domain("docs.rs".into())
        );
        assert_eq!(
            parse_claude_rule("mcp__github", false),
            ClaudeRule::Tool("mcp__github__*".into())
        );
        assert_eq!(
            parse_claude_rule("Agent(Explore)", false),
            ClaudeRule::Tool("Agent(Explore)".into())
        );
        assert!(matches!(
            parse_claude_rule("Bash(run_in_background:true)", false),
            ClaudeRule::Unsupported(_)
        ));
    }
}
