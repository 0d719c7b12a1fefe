//! Shell scripts: downloaded code run without a look (`curl | sh`,
//! `bash <(curl …)`, `eval "$(curl …)"`, a variable holding a download
//! later eval'd), eval of variables, TLS checks switched off, world-writable modes.

use crate::source::Source;
use crate::{Finding, MatchStr as _, Pattern, Rule, Severity};
use std::collections::HashSet;

const PIPE: Rule = Rule {
    id: "sh-download-and-run",
    title: "Downloaded script run without verification",
    cwe: "CWE-494",
    severity: Severity::High,
    fix: "download to a file, verify its checksum or signature, read it, then run it",
};
const EVAL: Rule = Rule {
    id: "sh-eval-variable",
    title: "eval of a variable",
    cwe: "CWE-95",
    severity: Severity::Medium,
    fix: "avoid eval: call the command directly with quoted arguments, or use an array",
};
const INSECURE: Rule = Rule {
    id: "sh-tls-verification-disabled",
    title: "TLS certificate verification disabled",
    cwe: "CWE-295",
    severity: Severity::Medium,
    fix: "drop -k/--insecure (--no-check-certificate); point --cacert at the private CA instead",
};
const CHMOD: Rule = Rule {
    id: "sh-world-writable",
    title: "World-writable permissions",
    cwe: "CWE-732",
    severity: Severity::Medium,
    fix: "use 755 for directories and programs, 644 for files",
};

static PIPE_RE: Pattern = Pattern::new(
    &["curl", "wget", "fetch"],
    r"(?m)\b(?:curl|wget|fetch)\b[^|\n;]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:\S*/)?(?:ba|z|da|k)?sh\b|(?:ba|z|k)?sh\s+(?:-\S+\s+)*<\(\s*(?:curl|wget)\b|\b(?:ba|z)?sh\s+-c\s+['\x22]?\$\(\s*(?:curl|wget)\b|\beval\s+['\x22]?\$\(\s*(?:curl|wget)\b|\bsource\s+<\(\s*(?:curl|wget)\b",
);
static ASSIGN_RE: Pattern = Pattern::new(
    &["="],
    r"(?m)^\s*(?:export\s+|local\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$",
);
static EVAL_RE: Pattern = Pattern::new(&["eval"], r"(?m)\beval\s+(.*)$");
static INSECURE_RE: Pattern = Pattern::new(
    &["curl", "wget"],
    r"(?m)\bcurl\b[^\n|;]*\s(?:-k|--insecure)\b|\bwget\b[^\n|;]*--no-check-certificate",
);
static CHMOD_RE: Pattern = Pattern::new(&["chmod"], r"\bchmod\s+(?:-R\s+)?(?:0?777|a\+w|o\+w)\b");

fn mentions_var(text: &str, vars: &HashSet<String>) -> bool {
    vars.iter().any(|v| {
        text.contains(&format!("${v}")) && {
            // `$var` not followed by more name characters.
            text.match_indices(&format!("${v}")).any(|(i, m)| {
                !text[i + m.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        } || text.contains(&format!("${{{v}}}"))
    })
}

pub fn check(src: &Source<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(re) = PIPE_RE.get(&src.code) {
        for m in re.find_iter(src.code.as_bytes()) {
            out.push(PIPE.at(src, m.start(), m.as_str()));
        }
    }
    // Variables holding a download, and those derived from them.
    let mut tainted: HashSet<String> = HashSet::new();
    if let Some(re) = ASSIGN_RE.get(&src.code) {
        for c in re.captures_iter(src.code.as_bytes()) {
            let (Some(name), Some(rhs)) = (c.get(1), c.get(2)) else {
                continue;
            };
            let rhs = rhs.as_str();
            let downloads = (rhs.contains("$(") || rhs.contains('`'))
                && (rhs.contains("curl") || rhs.contains("wget"));
            if downloads || mentions_var(rhs, &tainted) {
                tainted.insert(name.as_str().to_string());
            }
        }
    }
    if let Some(re) = EVAL_RE.get(&src.code) {
        for c in re.captures_iter(src.code.as_bytes()) {
            let (Some(m), Some(arg)) = (c.get(0), c.get(1)) else {
                continue;
            };
            let arg = arg.as_str();
            if arg.contains("curl") || arg.contains("wget") {
                continue; // reported as download-and-run above
            }
            if mentions_var(arg, &tainted) {
                out.push(PIPE.at(src, m.start(), m.as_str()));
            } else if arg.contains('$') && !arg.trim_start().starts_with('\'') {
                out.push(EVAL.at(src, m.start(), m.as_str()));
            }
        }
    }
    for (re, rule) in [(&INSECURE_RE, &INSECURE), (&CHMOD_RE, &CHMOD)] {
        if let Some(re) = re.get(&src.code) {
            for m in re.find_iter(src.code.as_bytes()) {
                out.push(rule.at(src, m.start(), m.as_str()));
            }
        }
    }
    out
}
