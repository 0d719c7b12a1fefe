//! Report formats: text for people, JSON for machines, SARIF 2.1.0 for
//! code-scanning dashboards (GitHub code scanning accepts it as uploaded).
//! Every format carries only redacted secrets: items never hold more.

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use crate::report::{Item, Kind, Report, Severity};

/// Text: `path:line:col: severity [rule] message` and an indented fix.
pub fn text(report: &Report, color: bool) -> String {
    let mut out = String::new();
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    for f in &report.findings {
        let sev = match f.severity {
            Severity::High => paint("1;31", "high"),
            Severity::Medium => paint("33", "medium"),
            Severity::Low => paint("36", "low"),
        };
        let cwe = f
            .cwe
            .as_deref()
            .map(|c| format!(" {c}"))
            .unwrap_or_default();
        let class = f
            .path_class
            .map(|c| format!(" ({})", c.as_str()))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}:{}:{}: {sev}{class} [{}{cwe}] {}",
            paint("1", &f.path),
            f.line,
            f.column,
            f.rule_id,
            f.message
        );
        let _ = writeln!(out, "    fix: {}", f.fix);
    }
    let files = report
        .findings
        .iter()
        .map(|f| f.path.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let _ = write!(
        out,
        "{} finding{} in {files} file{} ({} scanned",
        report.findings.len(),
        plural(report.findings.len()),
        plural(files),
        report.files_scanned,
    );
    if report.baselined > 0 {
        let _ = write!(out, ", {} accepted by the baseline", report.baselined);
    }
    if report.ignored > 0 {
        let _ = write!(
            out,
            ", {} ignored by an ignore file or comment",
            report.ignored
        );
    }
    if report.skipped > 0 {
        let _ = write!(out, ", {} binary or oversized skipped", report.skipped);
    }
    out.push_str(")\n");
    for e in &report.errors {
        let _ = writeln!(out, "error: {e}");
    }
    for w in &report.warnings {
        let _ = writeln!(out, "{}: {}", paint("1;33", "warning"), w.message);
    }
    out
}

/// JSON: the report as it is (findings with redacted secrets only).
pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// GitHub reads `security-severity` (0–10) to rank security alerts.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::High => "8.5",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

/// SARIF wants a rule's `name` readable and different from its opaque `id`:
/// the title in PascalCase (`GitHubPersonalAccessTokenClassic`).
fn pascal_case(title: &str) -> String {
    title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// The run's invocation: the scan's warnings as tool execution
/// notifications, where code-scanning dashboards show them.
fn invocation(report: &Report) -> Value {
    let notes: Vec<Value> = report
        .warnings
        .iter()
        .map(|w| {
            json!({
                "level": "warning",
                "message": { "text": w.message },
                "descriptor": { "id": w.code },
            })
        })
        .collect();
    json!({
        "executionSuccessful": true,
        "toolExecutionNotifications": notes,
    })
}

/// SARIF 2.1.0, one run, the rules that produced findings in its driver.
pub fn sarif(report: &Report, version: &str) -> String {
    let mut rules: BTreeMap<&str, &Item> = BTreeMap::new();
    for f in &report.findings {
        rules.entry(f.rule_id.as_str()).or_insert(f);
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let rule_objs: Vec<Value> = rules
        .values()
        .map(|f| {
            let mut tags = vec![json!("security"), json!(f.kind.as_str())];
            if let Some(c) = &f.cwe {
                tags.push(json!(format!("external/cwe/{}", c.to_ascii_lowercase())));
            }
            json!({
                "id": f.rule_id,
                "name": pascal_case(&f.title),
                "shortDescription": { "text": f.title },
                "fullDescription": { "text": f.title },
                "help": { "text": f.fix },
                "defaultConfiguration": { "level": level(f.severity) },
                "properties": {
                    "tags": tags,
                    "security-severity": security_severity(f.severity),
                    "precision": if f.kind == Kind::Secret { "high" } else { "medium" },
                }
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut r = json!({
                "ruleId": f.rule_id,
                "ruleIndex": index.get(f.rule_id.as_str()).copied().unwrap_or(0),
                "level": level(f.severity),
                "message": { "text": format!("{} Fix: {}", f.message, f.fix) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": f.path, "uriBaseId": "%SRCROOT%" },
                        "region": {
                            "startLine": f.line.max(1),
                            "startColumn": f.column.max(1),
                            "endLine": f.end_line.max(f.line).max(1),
                            "endColumn": f.end_column.max(1),
                        }
                    }
                }],
                "partialFingerprints": { "ztguard/v1": f.fingerprint },
            });
            if let Some(c) = f.path_class {
                r["properties"] = json!({ "pathClass": c.as_str() });
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "ztguard",
                    "semanticVersion": version,
                    "rules": rule_objs,
                }
            },
            "results": results,
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation(report)],
        }]
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}
