//! Go: exec.Command with a program from a variable or `sh -c` with a
//! built string, SQL built by concatenation or Sprintf, disabled TLS checks,
//! weak hashes, math/rand.

use crate::source::{Source, Value};
use crate::{Finding, MatchStr as _, Pattern, Rule, Severity};

const CMD: Rule = Rule {
    id: "go-command-injection",
    title: "Command built from run-time values",
    cwe: "CWE-78",
    severity: Severity::High,
    fix: "run a fixed program with separate arguments (exec.Command(\"prog\", arg)); never pass input to `sh -c`",
};
/// The program itself from a variable, with no shell: hygiene (see the Rust rule).
const CMD_PROGRAM: Rule = Rule {
    id: "go-command-from-variable",
    title: "Program to run comes from a variable",
    cwe: "CWE-78",
    severity: Severity::Low,
    fix: "run a fixed program, or check the value against an allowlist first",
};
const SQL: Rule = Rule {
    id: "go-sql-injection",
    title: "SQL query built from run-time values",
    cwe: "CWE-89",
    severity: Severity::High,
    fix: "use placeholders: db.Query(\"... WHERE id = $1\", id)",
};
const TLS: Rule = Rule {
    id: "go-tls-verification-disabled",
    title: "TLS certificate verification disabled",
    cwe: "CWE-295",
    severity: Severity::High,
    fix: "remove InsecureSkipVerify; add a private CA to tls.Config.RootCAs instead",
};
const HASH: Rule = Rule {
    id: "go-weak-hash",
    title: "Weak hash function (MD5/SHA-1)",
    cwe: "CWE-328",
    severity: Severity::Medium,
    fix: "use crypto/sha256 for integrity and golang.org/x/crypto/argon2 or bcrypt for passwords",
};
const RAND: Rule = Rule {
    id: "go-weak-random",
    title: "math/rand used (not cryptographically secure)",
    cwe: "CWE-338",
    severity: Severity::Low,
    fix: "use crypto/rand for tokens, keys and anything secret",
};

static TLS_RE: Pattern = Pattern::new(&["InsecureSkipVerify"], r"InsecureSkipVerify\s*:\s*true");
static HASH_RE: Pattern = Pattern::new(&["md5.", "sha1."], r"\b(?:md5|sha1)\.(?:New|Sum)\(");
static RAND_RE: Pattern = Pattern::new(&["math/rand"], r#""math/rand(?:/v2)?""#);

const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "zsh",
    "/bin/sh",
    "/bin/bash",
    "/usr/bin/bash",
    "cmd",
    "powershell",
];

pub fn check(src: &Source<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for call in src.calls(|_| true) {
        let mut args = call.positional();
        let text = call.text(src);
        match call.callee {
            "exec.Command" | "exec.CommandContext" => {
                if call.callee == "exec.CommandContext" && !args.is_empty() {
                    args.remove(0);
                }
                let Some(program) = args.first() else {
                    continue;
                };
                let mut rest: Vec<&str> = args[1..].to_vec();
                let mut prog = program.trim_matches('"').to_string();
                // `/usr/bin/env bash -c …`
                if prog.ends_with("env") && !rest.is_empty() {
                    prog = rest.remove(0).trim_matches('"').to_string();
                }
                match src.value(program) {
                    Value::Literal if SHELLS.contains(&prog.as_str()) => {
                        if let Some(i) = rest.iter().position(|a| a.trim_matches('"') == "-c")
                            && rest
                                .get(i + 1)
                                .is_some_and(|c| src.value(c) != Value::Literal)
                        {
                            out.push(CMD.at(src, call.start, text));
                        }
                    }
                    Value::Literal | Value::Empty => {}
                    _ => out.push(CMD_PROGRAM.at(src, call.start, text)),
                }
            }
            c if c.ends_with(".Query")
                || c.ends_with(".QueryRow")
                || c.ends_with(".Exec")
                || c.ends_with(".QueryContext")
                || c.ends_with(".ExecContext")
                || c.ends_with(".QueryRowContext")
                || c.ends_with(".Prepare")
                || c.ends_with(".PrepareContext") =>
            {
                if c.ends_with("Context") && !args.is_empty() {
                    args.remove(0);
                }
                if args.first().is_some_and(|q| src.value(q) == Value::Built) {
                    out.push(SQL.at(src, call.start, text));
                }
            }
            _ => {}
        }
    }
    for (re, rule) in [(&TLS_RE, &TLS), (&HASH_RE, &HASH), (&RAND_RE, &RAND)] {
        if let Some(re) = re.get(&src.code) {
            for m in re.find_iter(src.code.as_bytes()) {
                out.push(rule.at(src, m.start(), m.as_str()));
            }
        }
    }
    out
}
