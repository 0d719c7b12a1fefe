//! What a Claude Code tool call was asked to do, and what it returned, as
//! the audit record holds it: what it names, never the content it writes
//! (only its length and SHA-256) or the output it returned, every text
//! redacted.

use serde_json::{Map, Value, json};
use ztguard_core::redact::{redact_text, text_facts};

/// What a tool call was asked to do, for the record.
pub fn input(tool: &str, input: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    let get = |k: &str| input.get(k).and_then(Value::as_str);
    let put = |name: &str, k: &str, m: &mut Map<String, Value>| {
        if let Some(v) = get(k) {
            m.insert(name.into(), Value::from(redact_text(v)));
        }
    };
    match tool {
        "Bash" | "PowerShell" | "Monitor" => put("command", "command", &mut m),
        "Read" | "Write" | "Edit" | "MultiEdit" => put("path", "file_path", &mut m),
        "NotebookRead" | "NotebookEdit" => put("path", "notebook_path", &mut m),
        "Glob" | "Grep" | "LS" => {
            put("pattern", "pattern", &mut m);
            put("path", "path", &mut m);
            put("glob", "glob", &mut m);
        }
        "WebFetch" => put("url", "url", &mut m),
        "WebSearch" => put("query", "query", &mut m),
        "Agent" | "Task" => {
            put("subagent_type", "subagent_type", &mut m);
            put("description", "description", &mut m);
        }
        _ => {
            if let Some(o) = input.as_object() {
                let keys: Vec<&String> = o.keys().collect();
                m.insert("keys".into(), json!(keys));
            }
            let (len, hash) = text_facts(&input.to_string());
            m.insert("input_bytes".into(), Value::from(len));
            m.insert("input_sha256".into(), Value::from(hash));
        }
    }
    let content = match tool {
        "Write" => get("content").map(str::to_string),
        "Edit" => get("new_string").map(str::to_string),
        "NotebookEdit" => get("new_source").map(str::to_string),
        "MultiEdit" => input.get("edits").and_then(Value::as_array).map(|es| {
            m.insert("edits".into(), Value::from(es.len()));
            es.iter()
                .filter_map(|e| e.get("new_string").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n")
        }),
        _ => None,
    };
    if let Some(c) = content {
        let (len, hash) = text_facts(&c);
        m.insert("content_bytes".into(), Value::from(len));
        m.insert("content_sha256".into(), Value::from(hash));
    }
    m
}

/// What a tool returned, for PostToolUse records: its size and, for shell
/// tools, whether it was interrupted; never the output itself.
pub fn response(response: &Value) -> Map<String, Value> {
    let mut m = Map::new();
    if response.is_null() {
        return m;
    }
    m.insert(
        "response_bytes".into(),
        Value::from(response.to_string().len()),
    );
    if let Some(b) = response.get("interrupted").and_then(Value::as_bool) {
        m.insert("interrupted".into(), Value::from(b));
    }
    m
}

/// Does this tool read, list or search files (the policy can leave those
/// out of the log)?
pub fn file_access(tool: &str) -> bool {
    matches!(tool, "Read" | "NotebookRead" | "Glob" | "Grep" | "LS")
}

#[cfg(test)]
mod tests {
    use super::*;

    // Fake credentials, assembled so that no scanner flags this file.
    fn fake_github() -> String {
        format!("ghp_{}", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8")
    }

    #[test]
    fn secrets_never_reach_a_summary() {
        let token = fake_github();
        let cmd = format!("curl -H 'Authorization: token {token}' https://api.github.com");
        let m = input("Bash", &json!({ "command": cmd }));
        let shown = m["command"].as_str().unwrap_or_default();
        assert!(!shown.contains(&token), "{shown}");
        assert!(shown.contains("curl"), "{shown}");
        let w = input(
            "Write",
            &json!({"file_path": "a.py", "content": format!("T = '{token}'")}),
        );
        assert!(!Value::Object(w.clone()).to_string().contains(&token));
        assert_eq!(w["content_bytes"], Value::from(token.len() + 6));
        let url = input(
            "WebFetch",
            // A fake credential, to see it redacted. ztguard:ignore-next-line[url-basic-auth]
            &json!({"url": "https://u:hunter2pass@example.com/x"}),
        );
        assert!(
            !url["url"]
                .as_str()
                .unwrap_or_default()
                .contains("hunter2pass")
        );
    }
}
