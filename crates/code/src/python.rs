//! Python: SQL built by formatting, shell commands from variables,
//! eval/exec, pickle/marshal/yaml/torch deserialization, disabled TLS
//! checks, weak hashes and keys, unsafe archives, request paths, hard-coded
//! passwords, template autoescape, debug servers, permissions, temp files.

use crate::source::{Call, Source, Value};
use crate::{Finding, MatchStr as _, Pattern, Rule, Severity};
use std::collections::HashMap;

const SQL: Rule = Rule {
    id: "py-sql-injection",
    title: "SQL query built from run-time values",
    cwe: "CWE-89",
    severity: Severity::High,
    fix: "pass values as query parameters: cursor.execute(\"... WHERE id = %s\", (value,)) — never format them into the SQL text",
};
const CMD: Rule = Rule {
    id: "py-command-injection",
    title: "Shell command built from run-time values",
    cwe: "CWE-78",
    severity: Severity::High,
    fix: "run the program with an argument list and no shell: subprocess.run([\"prog\", arg], check=True); if a shell is unavoidable, quote each value with shlex.quote",
};
const WILDCARD: Rule = Rule {
    id: "py-shell-wildcard",
    title: "Wildcard in a shell command",
    cwe: "CWE-155",
    severity: Severity::Medium,
    fix: "expand the file list in Python (glob.glob) and pass it as an argument list, with `--` before the names",
};
const EVAL: Rule = Rule {
    id: "py-eval",
    title: "eval/exec of a non-literal value",
    cwe: "CWE-94",
    severity: Severity::High,
    fix: "do not evaluate strings as code; parse data with ast.literal_eval or json.loads, or dispatch through a dict of allowed functions",
};
const DESER: Rule = Rule {
    id: "py-insecure-deserialization",
    title: "Unsafe deserialization",
    cwe: "CWE-502",
    severity: Severity::High,
    fix: "deserialize untrusted data only with a data-only format (json), yaml.safe_load, or torch.load(..., weights_only=True)",
};
const TLS: Rule = Rule {
    id: "py-tls-verification-disabled",
    title: "TLS certificate verification disabled",
    cwe: "CWE-295",
    severity: Severity::High,
    fix: "keep verification on; to trust a private CA pass verify=\"/path/to/ca.pem\" or use ssl.create_default_context(cafile=...)",
};
const HOSTKEY: Rule = Rule {
    id: "py-ssh-host-key-not-verified",
    title: "SSH host keys accepted without verification",
    cwe: "CWE-295",
    severity: Severity::Medium,
    fix: "load known hosts (client.load_system_host_keys()) and use RejectPolicy",
};
const PROTOCOL: Rule = Rule {
    id: "py-weak-tls-protocol",
    title: "Obsolete SSL/TLS protocol version",
    cwe: "CWE-327",
    severity: Severity::Medium,
    fix: "use ssl.create_default_context() (TLS 1.2+) instead of naming a protocol version",
};
const HASH: Rule = Rule {
    id: "py-weak-hash",
    title: "Weak hash function (MD5/SHA-1)",
    cwe: "CWE-328",
    severity: Severity::Medium,
    fix: "use hashlib.sha256 for integrity; for passwords use a password hash (argon2, bcrypt, scrypt or hashlib.pbkdf2_hmac); mark non-security uses with usedforsecurity=False",
};
const WEAK_KEY: Rule = Rule {
    id: "py-weak-key-size",
    title: "Key size below 2048 bits",
    cwe: "CWE-326",
    severity: Severity::Medium,
    fix: "use key_size=2048 or more for RSA/DSA (or an elliptic curve key)",
};
const TAR: Rule = Rule {
    id: "py-tarfile-extractall",
    title: "Archive extracted without a path filter",
    cwe: "CWE-22",
    severity: Severity::Medium,
    fix: "pass filter=\"data\" to extractall (Python 3.12+) or check each member's path stays inside the target directory",
};
const PATH: Rule = Rule {
    id: "py-path-traversal",
    title: "File path taken from request input",
    cwe: "CWE-22",
    severity: Severity::High,
    fix: "never join request input into a path directly: use werkzeug.utils.secure_filename or resolve the path and check it stays under the base directory",
};
const PASSWORD: Rule = Rule {
    id: "py-hardcoded-password",
    title: "Hard-coded password or secret",
    cwe: "CWE-798",
    severity: Severity::Medium,
    fix: "read the value from the environment (os.environ[\"NAME\"]) or a secret manager at run time",
};
const AUTOESCAPE: Rule = Rule {
    id: "py-jinja2-autoescape-off",
    title: "Jinja2 environment without autoescaping",
    cwe: "CWE-79",
    severity: Severity::Medium,
    fix: "create the Environment with autoescape=select_autoescape() (or autoescape=True)",
};
const DEBUG: Rule = Rule {
    id: "py-debug-server",
    title: "Web server started in debug mode",
    cwe: "CWE-94",
    severity: Severity::Medium,
    fix: "never ship debug=True: the debugger runs arbitrary code; read the flag from the environment for local runs",
};
const BIND_ALL: Rule = Rule {
    id: "py-bind-all-interfaces",
    title: "Socket bound to all interfaces",
    cwe: "CWE-605",
    severity: Severity::Low,
    fix: "bind to 127.0.0.1 unless the service must be reachable from other hosts",
};
const CHMOD: Rule = Rule {
    id: "py-world-writable",
    title: "World-writable file permissions",
    cwe: "CWE-732",
    severity: Severity::Medium,
    fix: "use the narrowest mode that works, e.g. 0o644 for files and 0o755 for directories",
};
const MKTEMP: Rule = Rule {
    id: "py-insecure-temp-file",
    title: "Insecure temporary file",
    cwe: "CWE-377",
    severity: Severity::Medium,
    fix: "use tempfile.mkstemp / NamedTemporaryFile / TemporaryDirectory, which create the file atomically",
};

static SQL_TEXT: Pattern = Pattern::folded(
    &[
        "select", "insert", "update", "delete", "replace", "drop", "create",
    ],
    r#"(?i)^\s*(?:select\s.+\sfrom|insert\s+into|update\s+\S+\s+set|delete\s+from|replace\s+into|drop\s+table|create\s+table)\b"#,
);
static PROTOCOL_RE: Pattern = Pattern::new(
    &["PROTOCOL_"],
    r"\bPROTOCOL_(?:SSLv2|SSLv3|TLSv1|TLSv1_1)\b",
);
static PASSWORD_RE: Pattern = Pattern::folded(
    &[
        "password", "passwd", "pwd", "secret", "api_key", "apikey", "token",
    ],
    r#"(?im)(?:^|[\s(,])([A-Za-z0-9_]*(?:password|passwd|pwd|secret_key|api_key|apikey|secret|token)[A-Za-z0-9_]*)\s*=\s*[rbu]?(["'])([^"'\n]+)["']"#,
);
static BIND_RE: Pattern = Pattern::new(&[".bind("], r#"\.bind\(\s*\(\s*["']0\.0\.0\.0["']"#);
static REQUEST_INPUT: &[&str] = &[
    "request.args",
    "request.form",
    "request.values",
    "request.files",
    "request.GET",
    "request.POST",
    "request.query_params",
    "request.path_params",
    "request.json",
    "request.data",
    "input(",
];

/// Local names bound by imports: `import os as o` → o = os;
/// `from pickle import loads` → loads = pickle.loads.
fn aliases(src: &Source<'_>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for line in src.code.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("import ") {
            for part in rest.split(',') {
                let mut it = part.split(" as ");
                let (Some(module), Some(alias)) = (it.next(), it.next()) else {
                    continue;
                };
                map.insert(alias.trim().to_string(), module.trim().to_string());
            }
        } else if let Some(rest) = t.strip_prefix("from ") {
            let Some((module, names)) = rest.split_once(" import ") else {
                continue;
            };
            for part in names.trim_matches(['(', ')']).split(',') {
                let mut it = part.split(" as ");
                let Some(name) = it.next() else { continue };
                let name = name.trim();
                let alias = it.next().map_or(name, str::trim);
                map.insert(alias.to_string(), format!("{}.{name}", module.trim()));
            }
        }
    }
    map
}

/// The callee with its first segment replaced by what it was imported as.
fn canonical(callee: &str, aliases: &HashMap<String, String>) -> String {
    let (head, tail) = match callee.split_once('.') {
        Some((h, t)) => (h, Some(t)),
        None => (callee, None),
    };
    match (aliases.get(head), tail) {
        (Some(full), Some(t)) => format!("{full}.{t}"),
        (Some(full), None) => full.clone(),
        (None, _) => callee.to_string(),
    }
}

fn is_true(v: Option<&str>) -> bool {
    v.is_some_and(|v| v == "True" || v == "1")
}

fn first_value(src: &Source<'_>, call: &Call<'_>) -> Value {
    call.positional()
        .first()
        .map_or(Value::Empty, |a| src.value(a))
}

fn tainted_by_request(src: &Source<'_>, expr: &str) -> bool {
    if REQUEST_INPUT.iter().any(|r| expr.contains(r)) {
        return true;
    }
    // One step through a variable: `name = request.args["f"]`.
    expr.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .any(|w| {
            src.code.lines().any(|l| {
                let t = l.trim();
                t.strip_prefix(w)
                    .and_then(|r| r.trim_start().strip_prefix('='))
                    .is_some_and(|rhs| {
                        !rhs.starts_with('=') && REQUEST_INPUT.iter().any(|r| rhs.contains(r))
                    })
            })
        })
}

/// The words of a name: `tokenUrl` and `token_url` are both `token`, `url`.
fn name_words(name: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c == '_' || c == '-' {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            words.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

/// A value that stands in for a secret rather than being one: a word
/// every example uses (`"test"`, `"secret"`, `"fake-token"`), or the
/// name itself (`apiKey = "apiKey"`, an enum value or a field name).
fn stand_in(name: &str, value: &str) -> bool {
    // Not `admin`, `123456` or `secret`: in shipped code those are weak
    // real credentials, exactly what the rule is for.
    const WORDS: &[&str] = &[
        "test", "testing", "tests", "foo", "bar", "baz", "foobar", "fake", "dummy", "example",
        "sample", "none", "null", "xxx", "value", "string",
    ];
    const PARTS: &[&str] = &[
        "fake",
        "dummy",
        "example",
        "placeholder",
        "changeme",
        "change-me",
        "change_me",
        "your-",
        "your_",
        "<",
        "test",
        "sample",
        "xxxx",
        "notsecret",
        "not-secret",
        "insecure",
        "do-not-use",
        "dont-use",
    ];
    let v = value.trim().to_ascii_lowercase();
    let squashed: String = v.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
    let name_squashed: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    WORDS.contains(&v.as_str())
        || WORDS.contains(&squashed.as_str())
        || PARTS.iter().any(|p| v.contains(p))
        || squashed == name_squashed
}

pub fn check(src: &Source<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let al = aliases(src);
    let calls = src.calls(|_| true);
    for call in &calls {
        let name = canonical(call.callee, &al);
        let method = call.method();
        let first = first_value(src, call);
        let text = call.text(src);
        // SQL execution.
        if matches!(
            method,
            "execute" | "executemany" | "executescript" | "mogrify"
        ) {
            let receiver = call.receiver().unwrap_or("").to_ascii_lowercase();
            let cursorish = ["cur", "cursor", "conn", "connection", "db"]
                .iter()
                .any(|c| {
                    receiver == *c || receiver.ends_with(&format!("_{c}")) || receiver.ends_with(c)
                });
            let parameterized = call.positional().len() > 1;
            if first == Value::Built || (first == Value::Other && cursorish && !parameterized) {
                out.push(SQL.at(src, call.start, text));
            }
        }
        // Shell commands.
        let shell_call = matches!(
            name.as_str(),
            "os.system"
                | "os.popen"
                | "os.popen2"
                | "os.popen3"
                | "os.popen4"
                | "commands.getoutput"
                | "commands.getstatusoutput"
                | "subprocess.getoutput"
                | "subprocess.getstatusoutput"
                | "asyncio.create_subprocess_shell"
        ) || name.ends_with("create_subprocess_shell");
        let subprocess = name.starts_with("subprocess.")
            && matches!(
                method,
                "run" | "Popen" | "call" | "check_call" | "check_output"
            );
        if shell_call || (subprocess && is_true(call.kwarg("shell"))) {
            match first {
                Value::Built | Value::Other => out.push(CMD.at(src, call.start, text)),
                Value::Literal => {
                    let arg = call.positional().first().copied().unwrap_or("");
                    if shell_call && arg.contains('*') {
                        out.push(WILDCARD.at(src, call.start, text));
                    }
                }
                Value::Empty => {}
            }
        }
        // eval / exec of a value (not a method, not a local function of that name).
        if matches!(call.callee, "eval" | "exec")
            && !src.defines(call.callee)
            && matches!(first, Value::Built | Value::Other)
        {
            out.push(EVAL.at(src, call.start, text));
        }
        // Deserialization.
        let deser = matches!(
            name.as_str(),
            "pickle.loads"
                | "pickle.load"
                | "pickle.Unpickler"
                | "_pickle.loads"
                | "_pickle.load"
                | "cPickle.loads"
                | "cPickle.load"
                | "marshal.loads"
                | "marshal.load"
                | "dill.loads"
                | "dill.load"
                | "jsonpickle.decode"
                | "shelve.open"
                | "yaml.unsafe_load"
                | "yaml.unsafe_load_all"
                | "pandas.read_pickle"
        );
        // `pickle.loads(pickle.dumps(x))`: a round trip of the program's own object.
        let round_trip = call.positional().first().is_some_and(|a| {
            let a = a.trim();
            [
                "pickle.dumps(",
                "dill.dumps(",
                "marshal.dumps(",
                "cPickle.dumps(",
            ]
            .iter()
            .any(|d| a.starts_with(d) && a.ends_with(')'))
        });
        if deser && !round_trip && first != Value::Literal && first != Value::Empty {
            out.push(DESER.at(src, call.start, text));
        }
        if name == "yaml.load" || name == "yaml.load_all" {
            let loader = call
                .kwarg("Loader")
                .or_else(|| call.positional().get(1).copied())
                .unwrap_or("");
            if !loader.contains("SafeLoader") && !loader.contains("BaseLoader") {
                out.push(DESER.at(src, call.start, text));
            }
        }
        if name == "torch.load" && !is_true(call.kwarg("weights_only")) {
            out.push(DESER.at(src, call.start, text));
        }
        // TLS.
        if call.kwarg("verify") == Some("False") || name.ends_with("_create_unverified_context") {
            out.push(TLS.at(src, call.start, text));
        }
        if method == "set_missing_host_key_policy"
            && (call.args_text.contains("AutoAddPolicy")
                || call.args_text.contains("WarningPolicy"))
        {
            out.push(HOSTKEY.at(src, call.start, text));
        }
        // Weak hashes.
        let weak_algo = |a: &str| {
            let a = a.trim_matches(['"', '\'']).to_ascii_lowercase();
            matches!(a.as_str(), "md5" | "sha1" | "md4" | "md2" | "sha")
        };
        let not_for_security = call.kwarg("usedforsecurity") == Some("False");
        if !not_for_security {
            let weak = matches!(name.as_str(), "hashlib.md5" | "hashlib.sha1")
                || (name == "hashlib.new"
                    && call
                        .positional()
                        .first()
                        .copied()
                        .or(call.kwarg("name"))
                        .is_some_and(weak_algo))
                || ((name.starts_with("Crypto.Hash.") || name.starts_with("Cryptodome.Hash."))
                    && ["MD2", "MD4", "MD5", "SHA"].iter().any(|h| {
                        name.contains(&format!(".{h}.new")) || name.ends_with(&format!(".{h}"))
                    }))
                || matches!(
                    name.as_str(),
                    "cryptography.hazmat.primitives.hashes.MD5"
                        | "cryptography.hazmat.primitives.hashes.SHA1"
                        | "hashes.MD5"
                        | "hashes.SHA1"
                );
            if weak {
                out.push(HASH.at(src, call.start, text));
            }
        }
        // Weak keys.
        if method == "generate_private_key"
            || (method == "generate"
                && (call.callee.contains("RSA") || call.callee.contains("DSA")))
        {
            let size = call
                .kwarg("key_size")
                .or_else(|| call.kwarg("bits"))
                .or_else(|| call.positional().first().copied())
                .and_then(|v| v.parse::<u32>().ok());
            if size.is_some_and(|s| s < 2048) {
                out.push(WEAK_KEY.at(src, call.start, text));
            }
        }
        // Archives.
        if method == "extractall"
            && call.kwarg("filter").is_none()
            && call.kwarg("members").is_none()
        {
            out.push(TAR.at(src, call.start, text));
        }
        // Paths from request input.
        if matches!(
            name.as_str(),
            "open"
                | "send_file"
                | "send_from_directory"
                | "os.path.join"
                | "os.remove"
                | "shutil.rmtree"
                | "pathlib.Path"
                | "Path"
                | "io.open"
        ) && call.positional().iter().any(|a| tainted_by_request(src, a))
        {
            out.push(PATH.at(src, call.start, text));
        }
        // Templates and debug servers.
        if method == "Environment" && (name.starts_with("jinja2") || call.callee == "Environment") {
            let ae = call.kwarg("autoescape");
            if ae.is_none_or(|v| v == "False") {
                out.push(AUTOESCAPE.at(src, call.start, text));
            }
        }
        if method == "run" && is_true(call.kwarg("debug")) {
            out.push(DEBUG.at(src, call.start, text));
        }
        // Permissions and temp files.
        if name == "os.chmod"
            && let Some(mode) = call.positional().get(1)
        {
            let digits = mode.trim_start_matches("0o").trim_start_matches('0');
            if u32::from_str_radix(digits, 8).is_ok_and(|m| m & 0o002 != 0) {
                out.push(CHMOD.at(src, call.start, text));
            }
        }
        // Only tempfile's: `tmp_path_factory.mktemp("certs")` (pytest) makes a directory safely.
        if name == "tempfile.mktemp" {
            out.push(MKTEMP.at(src, call.start, text));
        }
    }
    // SQL text formatted anywhere, not only at an execute.
    if let Some(re) = SQL_TEXT.get(&src.code) {
        for line_start in std::iter::once(0).chain(src.code.match_indices('\n').map(|(i, _)| i + 1))
        {
            let line_end = src.code[line_start..]
                .find('\n')
                .map_or(src.code.len(), |n| line_start + n);
            let line = &src.code[line_start..line_end];
            let Some((_, rhs)) = line.split_once('=') else {
                continue;
            };
            let rhs = rhs.trim();
            if rhs.starts_with('=') {
                continue;
            }
            if crate::source::classify(src.lang, rhs) != Value::Built {
                continue;
            }
            let body = rhs
                .trim_start_matches(|c: char| c.is_ascii_alphabetic())
                .trim_start_matches(['"', '\'']);
            if re.is_match(body.as_bytes()) {
                out.push(SQL.at(src, line_start + line.len() - line.trim_start().len(), line));
            }
        }
    }
    if let Some(re) = PROTOCOL_RE.get(&src.bare) {
        for m in re.find_iter(src.bare.as_bytes()) {
            out.push(PROTOCOL.at(src, m.start(), m.as_str()));
        }
    }
    if let Some(re) = BIND_RE.get(&src.code) {
        for m in re.find_iter(src.code.as_bytes()) {
            out.push(BIND_ALL.at(src, m.start(), m.as_str()));
        }
    }
    if let Some(re) = PASSWORD_RE.get(&src.code) {
        for c in re.captures_iter(src.code.as_bytes()) {
            let (Some(name), Some(value)) = (c.get(1), c.get(3)) else {
                continue;
            };
            let n = name.as_str().to_ascii_lowercase();
            let v = value.as_str();
            // The name says what the value is about, not that it is the
            // secret: `token_url`, `tokenUrl`, `password_hash`, `hashed_password`.
            let words = name_words(name.as_str());
            let descriptive = words.len() > 1
                && words.last().is_some_and(|w| {
                    [
                        "type",
                        "name",
                        "field",
                        "label",
                        "url",
                        "uri",
                        "endpoint",
                        "path",
                        "file",
                        "header",
                        "prefix",
                        "env",
                        "var",
                        "id",
                        "len",
                        "length",
                        "format",
                        "pattern",
                        "regex",
                        "policy",
                        "mode",
                        "hash",
                        "hashed",
                        "digest",
                        "param",
                        "parameter",
                        "key_name",
                        "scheme",
                        "location",
                        "description",
                        "min",
                        "max",
                        "size",
                        "expire",
                        "expires",
                        "ttl",
                        "algorithm",
                        "salt",
                        "in",
                        "placeholder",
                        "hint",
                        "prompt",
                    ]
                    .contains(&w.as_str())
                })
                || words.first().is_some_and(|w| w == "hashed" || w == "fake")
                || n.ends_with("_key_name");
            let env_name = v
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit());
            if descriptive
                || env_name
                || v.trim().is_empty()
                || v.contains("{")
                || v.contains('%')
                || stand_in(&n, v)
            {
                continue;
            }
            out.push(PASSWORD.at(src, name.start(), &format!("{} = \"…\"", name.as_str())));
        }
    }
    if src.code.contains("'/tmp/") || src.code.contains("\"/tmp/") {
        for call in calls.iter().filter(|c| c.callee == "open") {
            if call
                .args_text
                .trim_start()
                .trim_start_matches(['"', '\''])
                .starts_with("/tmp/")
            {
                out.push(
                    Rule {
                        severity: Severity::Low,
                        ..MKTEMP
                    }
                    .at(src, call.start, call.args_text),
                );
            }
        }
    }
    out
}
