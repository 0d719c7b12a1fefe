//! Rust: SQL from `format!`, commands from variables or `sh -c` with a
//! built string, disabled TLS checks, weak hashes and ciphers, and the
//! low-severity hygiene notes (unsafe blocks, trusting argv/current_exe/temp_dir).

use crate::source::{Source, Value};
use crate::{Finding, MatchStr as _, Pattern, Rule, Severity};

const SQL: Rule = Rule {
    id: "rs-sql-injection",
    title: "SQL query built from run-time values",
    cwe: "CWE-89",
    severity: Severity::High,
    fix: "bind values: sqlx::query(\"... WHERE id = $1\").bind(id), or diesel's query builder",
};
const CMD: Rule = Rule {
    id: "rs-command-injection",
    title: "Command built from run-time values",
    cwe: "CWE-78",
    severity: Severity::High,
    fix: "run a fixed program with .arg()/.args() for each value; never pass a formatted string to `sh -c`",
};
/// No shell is involved, so this is hygiene, not injection: build scripts and
/// tools run `Command::new(rustc)` all the time (56 such calls in 8,800 files
/// of published crates, measured).
const CMD_PROGRAM: Rule = Rule {
    id: "rs-command-from-variable",
    title: "Program to run comes from a variable",
    cwe: "CWE-78",
    severity: Severity::Low,
    fix: "run a fixed program, or check the value against an allowlist first",
};
const TLS: Rule = Rule {
    id: "rs-tls-verification-disabled",
    title: "TLS certificate verification disabled",
    cwe: "CWE-295",
    severity: Severity::High,
    fix: "keep verification on; add a private CA with add_root_certificate instead",
};
const HASH: Rule = Rule {
    id: "rs-weak-hash",
    title: "Weak hash function (MD2/MD4/MD5/SHA-1)",
    cwe: "CWE-328",
    severity: Severity::Medium,
    fix: "use SHA-256 (sha2) or BLAKE3 for integrity, argon2 for passwords",
};
const CIPHER: Rule = Rule {
    id: "rs-weak-cipher",
    title: "Broken cipher (RC4, Blowfish, DES)",
    cwe: "CWE-327",
    severity: Severity::Medium,
    fix: "use AES-GCM or ChaCha20-Poly1305",
};
const UNSAFE: Rule = Rule {
    id: "rs-unsafe-block",
    title: "unsafe block",
    cwe: "CWE-676",
    severity: Severity::Low,
    fix: "keep unsafe to the smallest block that needs it and document why it is sound with a // SAFETY: comment",
};
const TRUST: Rule = Rule {
    id: "rs-untrusted-environment",
    title: "Value an attacker can control used as trusted",
    cwe: "CWE-807",
    severity: Severity::Low,
    fix: "do not base security decisions on argv[0], current_exe() or a shared temp directory",
};

static TLS_RE: Pattern = Pattern::new(
    &["danger", "Dangerous", "SSL_VERIFY_NONE"],
    r"danger_accept_invalid_(?:certs|hostnames)\(\s*true\s*\)|DangerousClientConfig|\.dangerous\(\)|ClientConfig::dangerous\(|SSL_VERIFY_NONE",
);
static HASH_RE: Pattern = Pattern::new(
    &["Md2", "Md4", "Md5", "Sha1", "MessageDigest", "md5::"],
    r"\b(?:Md2|Md4|Md5|Sha1)::new\b|MessageDigest::(?:md5|sha1)\b|\bmd5::compute\(",
);
static CIPHER_RE: Pattern = Pattern::new(&["Cipher::"], r"Cipher::(?:rc4|bf_|des_)");
static UNSAFE_RE: Pattern = Pattern::new(&["unsafe"], r"\bunsafe\s*\{");
static TRUST_RE: Pattern = Pattern::new(
    &["args", "current_exe", "temp_dir"],
    r"\b(?:args_os|args|current_exe|temp_dir)\(\)",
);

pub fn check(src: &Source<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for call in src.calls(|c| {
        c.ends_with("sql_query")
            || c.ends_with("query")
            || c.ends_with("query_as")
            || c.ends_with("execute")
            || c == "Command::new"
            || c.ends_with("process::Command::new")
    }) {
        let args = call.positional();
        let first = args.first().copied().unwrap_or("");
        let v = src.value(first);
        let text = call.text(src);
        if call.callee.ends_with("Command::new") {
            let program = first.trim_matches('"');
            let shell = matches!(
                program,
                "sh" | "bash" | "zsh" | "/bin/sh" | "/bin/bash" | "cmd" | "powershell"
            );
            if shell && v == Value::Literal {
                // `.arg("-c").arg(format!(..))` / `.args(["-c", &x])`
                let tail = call.tail;
                let built = tail.contains("format!(")
                    || tail
                        .split(".arg(")
                        .skip(1)
                        .filter_map(|a| a.split(')').next())
                        .any(|a| !matches!(src.value(a), Value::Literal));
                if (tail.contains("\"-c\"") || tail.contains("\"/C\"")) && built {
                    out.push(CMD.at(src, call.start, &format!("{text}{}", tail.trim())));
                }
            } else if matches!(v, Value::Built | Value::Other) {
                out.push(CMD_PROGRAM.at(src, call.start, text));
            }
            continue;
        }
        // `sql_query(name)` takes raw SQL: anything but a literal is suspect;
        // other query calls only when the string is visibly built.
        let raw_sql = call.callee.ends_with("sql_query");
        if v == Value::Built || (raw_sql && v == Value::Other) {
            out.push(SQL.at(src, call.start, text));
        }
    }
    for (re, rule) in [
        (&TLS_RE, &TLS),
        (&HASH_RE, &HASH),
        (&CIPHER_RE, &CIPHER),
        (&UNSAFE_RE, &UNSAFE),
        (&TRUST_RE, &TRUST),
    ] {
        // API uses, not strings that name them.
        if let Some(re) = re.get(&src.bare) {
            for m in re.find_iter(src.bare.as_bytes()) {
                out.push(rule.at(src, m.start(), m.as_str()));
            }
        }
    }
    out
}
