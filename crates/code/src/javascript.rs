//! JavaScript and TypeScript: child_process with built commands, eval and
//! its aliases, string timers, plain-HTTP fetches, message handlers that
//! ignore the origin, disabled TLS checks, SQL built by concatenation, weak
//! hashes, request input in file paths, and unsafe buffer/random helpers.

use crate::source::{Source, Value};
use crate::{Finding, MatchStr as _, Pattern, Rule, Severity};

const CHILD: Rule = Rule {
    id: "js-command-injection",
    title: "child_process command built from run-time values",
    cwe: "CWE-78",
    severity: Severity::High,
    fix: "use execFile/spawn with a fixed program and an argument array (no shell), and validate the arguments",
};
const EVAL: Rule = Rule {
    id: "js-eval",
    title: "Code evaluated from a non-literal string",
    cwe: "CWE-95",
    severity: Severity::High,
    fix: "do not evaluate strings: parse data with JSON.parse, pass functions (not strings) to setTimeout/setInterval",
};
const HTTP: Rule = Rule {
    id: "js-cleartext-request",
    title: "Request over plain HTTP",
    cwe: "CWE-319",
    severity: Severity::Medium,
    fix: "use https:// for every host other than localhost",
};
const ORIGIN: Rule = Rule {
    id: "js-message-origin-unchecked",
    title: "Message handler does not check the sender's origin",
    cwe: "CWE-940",
    severity: Severity::Medium,
    fix: "compare event.origin with the expected origin before using event.data",
};
const POST: Rule = Rule {
    id: "js-postmessage-any-origin",
    title: "postMessage to any origin",
    cwe: "CWE-345",
    severity: Severity::Medium,
    fix: "pass the exact target origin instead of '*'",
};
const TLS: Rule = Rule {
    id: "js-tls-verification-disabled",
    title: "TLS certificate verification disabled",
    cwe: "CWE-295",
    severity: Severity::High,
    fix: "remove rejectUnauthorized: false / NODE_TLS_REJECT_UNAUTHORIZED=0; to trust a private CA pass `ca` in the agent options",
};
const SQL: Rule = Rule {
    id: "js-sql-injection",
    title: "SQL query built from run-time values",
    cwe: "CWE-89",
    severity: Severity::High,
    fix: "use placeholders and pass values separately: db.query('... WHERE id = ?', [id])",
};
const HASH: Rule = Rule {
    id: "js-weak-hash",
    title: "Weak hash function (MD5/SHA-1)",
    cwe: "CWE-328",
    severity: Severity::Medium,
    fix: "use sha256 for integrity and scrypt/argon2/bcrypt for passwords",
};
const PATH: Rule = Rule {
    id: "js-path-traversal",
    title: "File path taken from request input",
    cwe: "CWE-22",
    severity: Severity::High,
    fix: "resolve the path with path.resolve(base, name) and check it starts with the base directory before using it",
};
const NOASSERT: Rule = Rule {
    id: "js-buffer-noassert",
    title: "Buffer access with bounds checks disabled",
    cwe: "CWE-119",
    severity: Severity::Low,
    fix: "drop the noAssert argument",
};
const RANDOM: Rule = Rule {
    id: "js-weak-random",
    title: "Non-cryptographic random numbers",
    cwe: "CWE-338",
    severity: Severity::Low,
    fix: "use crypto.randomBytes / crypto.getRandomValues / crypto.randomUUID for anything secret",
};
const ALLOC: Rule = Rule {
    id: "js-unsafe-buffer",
    title: "Uninitialized buffer",
    cwe: "CWE-908",
    severity: Severity::Low,
    fix: "use Buffer.alloc, which zero-fills",
};
const INNER_HTML: Rule = Rule {
    id: "js-html-injection",
    title: "HTML built from run-time values",
    cwe: "CWE-79",
    severity: Severity::Medium,
    fix: "set textContent, or sanitize the HTML (DOMPurify) before assigning it",
};

static HTTP_RE: Pattern = Pattern::new(
    &["http://"],
    r#"(?:\bfetch|\.open\(\s*['"][A-Z]+['"]\s*,|axios\.(?:get|post|put|delete)|\bhttp\.(?:get|request))\s*\(?\s*['"`]http://([^/'"`:?#\s]+)"#,
);
static TLS_RE: Pattern = Pattern::new(
    &["rejectUnauthorized", "NODE_TLS_REJECT_UNAUTHORIZED"],
    r#"rejectUnauthorized\s*:\s*false|NODE_TLS_REJECT_UNAUTHORIZED\s*=\s*['"]?0"#,
);
static NOASSERT_RE: Pattern = Pattern::new(
    &[".read", ".write"],
    r"\.(?:read|write)(?:U?Int(?:8|16|32)|Float|Double|BigU?Int64|U?IntBE|U?IntLE)\w*\([^()]*,\s*true\s*\)",
);
static HASH_RE: Pattern = Pattern::new(
    &["createHash"],
    r#"createHash\(\s*['"](?:md5|sha1|md4)['"]"#,
);
static SQL_WORDS: Pattern = Pattern::folded(
    &["select", "insert", "update", "delete"],
    r"(?i)\b(?:select\s.+\sfrom|insert\s+into|update\s+\S+\s+set|delete\s+from)\b",
);
static INNER_RE: Pattern = Pattern::new(
    &["innerHTML", "outerHTML"],
    r"\.(?:innerHTML|outerHTML)\s*=\s*([^;\n]+)",
);

const REQUEST_INPUT: &[&str] = &[
    "req.params",
    "req.query",
    "req.body",
    "request.params",
    "request.query",
    "request.body",
    "ctx.params",
    "ctx.query",
];

/// Names that refer to eval: `var foo = eval;`, `const obj = { eval };`.
fn eval_names(src: &Source<'_>) -> (Vec<String>, Vec<String>) {
    let mut direct = vec![
        "eval".to_string(),
        "this.eval".into(),
        "window.eval".into(),
        "globalThis.eval".into(),
        "self.eval".into(),
    ];
    let mut objects = Vec::new();
    for line in src.code.lines() {
        let t = line
            .trim()
            .trim_start_matches("var ")
            .trim_start_matches("let ")
            .trim_start_matches("const ");
        if let Some((name, rhs)) = t.split_once('=') {
            let rhs = rhs.trim().trim_end_matches(';').trim();
            let name = name.trim();
            if rhs == "eval" || rhs == "window.eval" || rhs == "globalThis.eval" {
                direct.push(name.to_string());
            } else if rhs.starts_with('{') && rhs.contains("eval") {
                objects.push(format!("{name}.eval"));
            }
        }
    }
    direct.extend(objects.iter().cloned());
    (direct, objects)
}

/// What names child_process is reachable by in this file: functions bound
/// by destructuring or import (`const { exec: run } = require('child_process')`,
/// `import { spawn } from 'node:child_process'`, `promisify(cp.exec)`) and
/// module objects (`const cp = require('child_process')`, `import * as cp`).
/// A method called `exec` on anything else (`RegExp.prototype.exec`,
/// `db.exec`) is not a shell.
fn child_process_bindings(src: &Source<'_>) -> (Vec<String>, Vec<String>) {
    const FNS: &[&str] = &[
        "exec",
        "execSync",
        "spawn",
        "spawnSync",
        "execFile",
        "execFileSync",
        "fork",
    ];
    let names_in = |list: &str| -> Vec<(String, String)> {
        // `exec, spawn: sp` / `exec, execSync as es`: (imported, local).
        list.split(',')
            .filter_map(|part| {
                let part = part.trim();
                let (orig, local) = part
                    .split_once(':')
                    .or_else(|| part.split_once(" as "))
                    .unwrap_or((part, part));
                let (orig, local) = (orig.trim(), local.trim());
                (!local.is_empty()).then(|| (orig.to_string(), local.to_string()))
            })
            .collect()
    };
    let mut fns: Vec<String> = Vec::new();
    let mut mods: Vec<String> = Vec::new();
    let statements: Vec<&str> = src.code.split(['\n', ';']).collect();
    for st in &statements {
        let t = st.trim();
        if !t.contains("child_process") {
            continue;
        }
        let lhs = t
            .trim_start_matches("export ")
            .trim_start_matches("const ")
            .trim_start_matches("let ")
            .trim_start_matches("var ")
            .trim_start_matches("import ")
            .trim();
        let lhs = lhs
            .split_once('=')
            .map(|(l, _)| l)
            .or_else(|| lhs.split_once(" from ").map(|(l, _)| l))
            .unwrap_or("")
            .trim();
        if let Some(inner) = lhs.strip_prefix('{').and_then(|l| l.split('}').next()) {
            for (orig, local) in names_in(inner) {
                if FNS.contains(&orig.as_str()) {
                    fns.push(local);
                }
            }
        } else if let Some(name) = lhs.strip_prefix("* as ") {
            mods.push(name.trim().to_string());
        } else if !lhs.is_empty()
            && lhs
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
        {
            // `const cp = require('child_process')`, or `.exec` / `promisify(...exec)` of it.
            let rhs = t.split_once('=').map_or("", |(_, r)| r).trim();
            let rhs = rhs.trim_end_matches([')', ' ']);
            if FNS.iter().any(|f| rhs.ends_with(&format!(".{f}"))) {
                fns.push(lhs.to_string());
            } else {
                mods.push(lhs.to_string());
            }
        }
    }
    // One name bound to another: `const run = exec`, `const sh = cp`,
    // `const run = promisify(exec)`, `const run = util.promisify(cp.exec)`.
    for _ in 0..3 {
        for st in &statements {
            let t = st.trim().trim_start_matches("export ");
            let t = t
                .trim_start_matches("const ")
                .trim_start_matches("let ")
                .trim_start_matches("var ");
            let Some((l, r)) = t.split_once('=') else {
                continue;
            };
            let (l, r) = (l.trim(), r.trim());
            if l.is_empty()
                || !l
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'$')
            {
                continue;
            }
            let inner = r
                .strip_suffix(')')
                .and_then(|x| x.split_once('('))
                .filter(|(f, _)| f.ends_with("promisify"))
                .map_or(r, |(_, a)| a)
                .trim();
            let is_fn = fns.iter().any(|f| f == inner)
                || mods
                    .iter()
                    .any(|m| FNS.iter().any(|f| inner == format!("{m}.{f}")));
            if is_fn && !fns.iter().any(|f| f == l) {
                fns.push(l.to_string());
            } else if mods.iter().any(|m| m == inner) && !mods.iter().any(|m| m == l) {
                mods.push(l.to_string());
            }
        }
    }
    (fns, mods)
}

fn is_string_built(src: &Source<'_>, arg: &str) -> bool {
    src.value(arg) == Value::Built
}

/// Whether a message handler checks who sent the message: its `origin`,
/// or its `source` compared with a known window (`source === window`).
fn checks_sender(body: &str) -> bool {
    if body.contains(".origin") {
        return true;
    }
    let b = body.as_bytes();
    body.match_indices("source").any(|(i, _)| {
        let after = body[i + 6..].trim_start();
        let before = body[..i]
            .trim_end_matches('.')
            .trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_');
        let word_end = b
            .get(i + 6)
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b'_'));
        word_end
            && (after.starts_with("===")
                || after.starts_with("!==")
                || after.starts_with("==")
                || after.starts_with("!=")
                || before.trim_end().ends_with("==="))
    })
}

/// The body of a handler starting at `from`: the first `{ … }` block.
fn handler_body(code: &str, from: usize) -> &str {
    let Some(open) = code[from..].find('{').map(|i| from + i) else {
        return "";
    };
    let b = code.as_bytes();
    let mut depth = 0;
    for (i, &c) in b.iter().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return &code[open..=i];
                }
            }
            _ => {}
        }
    }
    &code[open..]
}

pub fn check(src: &Source<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let uses_child_process = src.code.contains("child_process");
    let (cp_fns, cp_mods) = if uses_child_process {
        child_process_bindings(src)
    } else {
        (Vec::new(), Vec::new())
    };
    let (evals, _) = eval_names(src);
    for call in src.calls(|_| true) {
        let args = call.positional();
        let first = args.first().copied().unwrap_or("");
        let v = src.value(first);
        let text = call.text(src);
        let method = call.method();
        // `require('child_process').exec(…)`: the receiver is the module itself.
        let direct_require = || {
            let before = src.code[..call.start].trim_end();
            let tail = &before.as_bytes()[before.len().saturating_sub(48)..];
            before.ends_with(')') && tail.windows(13).any(|w| w == b"child_process")
        };
        let shell_method = matches!(
            method,
            "exec" | "execSync" | "spawn" | "spawnSync" | "execFile" | "execFileSync"
        );
        let bound = cp_fns.iter().any(|f| f == call.callee)
            || (shell_method
                && (call
                    .receiver()
                    .is_some_and(|r| cp_mods.iter().any(|m| m == r))
                    || (call.receiver().is_none() && direct_require())));
        if uses_child_process && bound && matches!(v, Value::Built | Value::Other) {
            out.push(CHILD.at(src, call.start, text));
        }
        let is_eval = evals.iter().any(|e| e == call.callee);
        if is_eval && matches!(v, Value::Built | Value::Other) {
            out.push(EVAL.at(src, call.start, text));
        }
        if (call.callee == "Function" || call.callee == "new Function")
            && args
                .iter()
                .any(|a| matches!(src.value(a), Value::Built | Value::Other))
        {
            out.push(EVAL.at(src, call.start, text));
        }
        if matches!(
            call.callee,
            "setTimeout" | "setInterval" | "window.setTimeout" | "window.setInterval"
        ) && is_string_built(src, first)
        {
            out.push(EVAL.at(src, call.start, text));
        }
        if method == "postMessage"
            && args
                .get(1)
                .is_some_and(|a| a.trim_matches(['"', '\'', '`']) == "*")
        {
            out.push(POST.at(src, call.start, text));
        }
        if matches!(
            method,
            "query" | "execute" | "raw" | "run" | "all" | "get" | "prepare"
        ) && v == Value::Built
            && SQL_WORDS
                .get(first)
                .is_some_and(|re| re.is_match(first.as_bytes()))
        {
            out.push(SQL.at(src, call.start, text));
        }
        let fs_call = call.callee.starts_with("fs.")
            || matches!(
                method,
                "sendFile"
                    | "download"
                    | "createReadStream"
                    | "readFile"
                    | "readFileSync"
                    | "join"
                    | "resolve"
            );
        // express `res.sendFile(name, { root })` / `res.download(name, { root })`
        // resolves the name under `root` and refuses `..`: the safe form.
        let rooted = matches!(method, "sendFile" | "download")
            && args.iter().skip(1).any(|a| {
                a.starts_with('{')
                    && a.trim_matches(['{', '}']).split(',').any(|kv| {
                        let k = kv.split(':').next().unwrap_or("").trim();
                        k == "root" || k == "'root'" || k == "\"root\""
                    })
            });
        if fs_call
            && !rooted
            && args
                .iter()
                .any(|a| REQUEST_INPUT.iter().any(|r| a.contains(r)))
        {
            out.push(PATH.at(src, call.start, text));
        }
        if call.callee == "crypto.pseudoRandomBytes" {
            out.push(
                Rule {
                    severity: Severity::Medium,
                    ..RANDOM
                }
                .at(src, call.start, text),
            );
        }
        if call.callee == "Math.random" {
            out.push(RANDOM.at(src, call.start, text));
        }
        if matches!(call.callee, "Buffer.allocUnsafe" | "Buffer.allocUnsafeSlow") {
            out.push(ALLOC.at(src, call.start, text));
        }
        if call.callee.ends_with("addEventListener")
            && first.trim_matches(['"', '\'', '`']) == "message"
        {
            // The whole call: the handler's parameters may destructure `{ source }`.
            let body = src.code.get(call.start..call.end).unwrap_or("");
            if !checks_sender(body) && !handler_body(&src.code, call.start).is_empty() {
                out.push(ORIGIN.at(src, call.start, text));
            }
        }
    }
    if let Some(i) = src.code.find("onmessage") {
        let rest = &src.code[i..];
        if rest
            .trim_start_matches("onmessage")
            .trim_start()
            .starts_with('=')
        {
            let body = handler_body(&src.code, i);
            if !checks_sender(body) && !body.is_empty() {
                out.push(ORIGIN.at(src, i, "onmessage = …"));
            }
        }
    }
    if let Some(re) = HTTP_RE.get(&src.code) {
        for c in re.captures_iter(src.code.as_bytes()) {
            let (Some(m), Some(host)) = (c.get(0), c.get(1)) else {
                continue;
            };
            if !matches!(
                host.as_str(),
                "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0"
            ) {
                out.push(HTTP.at(src, m.start(), m.as_str()));
            }
        }
    }
    for (re, rule) in [
        (&TLS_RE, &TLS),
        (&NOASSERT_RE, &NOASSERT),
        (&HASH_RE, &HASH),
    ] {
        if let Some(re) = re.get(&src.code) {
            for m in re.find_iter(src.code.as_bytes()) {
                out.push(rule.at(src, m.start(), m.as_str()));
            }
        }
    }
    if let Some(re) = INNER_RE.get(&src.code) {
        for c in re.captures_iter(src.code.as_bytes()) {
            let (Some(m), Some(rhs)) = (c.get(0), c.get(1)) else {
                continue;
            };
            if matches!(src.value(rhs.as_str()), Value::Built) {
                out.push(INNER_HTML.at(src, m.start(), m.as_str()));
            }
        }
    }
    out
}
