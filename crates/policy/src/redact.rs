//! Redaction of secrets in what ztguard prints.
//!
//! Reasons and traces quote commands, and a command can carry a credential
//! (`curl -H "Authorization: Bearer ghp_…"`, `PGPASSWORD=… psql`). Those
//! go to the agent's transcript and to terminals, so every reason and trace
//! line passes through [`redact`]. This is a small, fixed list of token
//! shapes and secret-looking assignments, not the full secret scanner.

use std::borrow::Cow;

/// Prefixes of well-known credential formats; the rest of the token is hidden.
const TOKEN_PREFIXES: &[&str] = &[
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "xoxs-",
    "sk-ant-",
    "sk-proj-",
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "pk_live_",
    "sk-",
    "AKIA",
    "ASIA",
    "AIza",
    "ya29.",
    "npm_",
    "pypi-",
    "SG.",
    "hf_",
    "dop_v1_",
    "shpat_",
    "sq0atp-",
    "EAAC",
];

/// Names whose value is a secret in `NAME=value`, `--name value` and `name: value`.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "private_key",
    "client_secret",
    "auth",
    "authorization",
    "bearer",
    "credential",
    "credentials",
];

const MASK: &str = "[REDACTED]";

/// Shortest token body (after the prefix) worth hiding: `sk-1` is not a key.
const MIN_TOKEN_BODY: usize = 12;

fn token_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '+' | '=' | '@')
}

/// Hide credentials in `text`.
pub fn redact(text: &str) -> Cow<'_, str> {
    if !might_hold_secret(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut hide_next_word = false;
    while !rest.is_empty() {
        // Split off the next word with its leading separators.
        let sep_len = rest
            .find(|c: char| token_char(c) || c == ':')
            .unwrap_or(rest.len());
        out.push_str(&rest[..sep_len]);
        rest = &rest[sep_len..];
        if rest.is_empty() {
            break;
        }
        let word_len = rest
            .find(|c: char| !(token_char(c) || c == ':'))
            .unwrap_or(rest.len());
        let word = &rest[..word_len];
        rest = &rest[word_len..];
        if hide_next_word && word.len() >= 4 {
            out.push_str(MASK);
            hide_next_word = false;
            continue;
        }
        hide_next_word = false;
        out.push_str(&redact_word(word, &mut hide_next_word));
    }
    if let Some(start) = out.find("-----BEGIN ")
        && out[start..].contains("PRIVATE KEY")
    {
        let end = out[start..]
            .find("-----END ")
            .map(|e| start + e)
            .unwrap_or(out.len());
        out.replace_range(start..end, "[REDACTED PRIVATE KEY]");
    }
    Cow::Owned(out)
}

/// A cheap test before the word-by-word pass: most reasons hold nothing to hide.
fn might_hold_secret(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    TOKEN_PREFIXES.iter().any(|p| text.contains(p))
        || SECRET_KEYS.iter().any(|k| lower.contains(k))
        || text.contains("-----BEGIN ")
        || (text.contains("://") && text.contains('@'))
}

fn redact_word<'a>(word: &'a str, hide_next: &mut bool) -> Cow<'a, str> {
    // NAME=value / name:value with a secret-looking name
    for sep in ['=', ':'] {
        if let Some((name, value)) = word.split_once(sep) {
            let lname = name.trim_start_matches('-').to_ascii_lowercase();
            if SECRET_KEYS.iter().any(|k| lname.contains(k)) {
                if value.is_empty() {
                    *hide_next = true;
                    return Cow::Borrowed(word);
                }
                if !value.starts_with('$') {
                    return Cow::Owned(format!("{name}{sep}{MASK}"));
                }
            }
        }
    }
    // --password VALUE, Bearer VALUE, -p VALUE is too ambiguous to touch
    let lname = word.trim_start_matches('-').to_ascii_lowercase();
    if (word.starts_with("--") && SECRET_KEYS.iter().any(|k| lname == *k))
        || lname == "bearer"
        || lname == "basic"
    {
        *hide_next = true;
        return Cow::Borrowed(word);
    }
    // Known token formats anywhere in the word (including inside URLs).
    for p in TOKEN_PREFIXES {
        if let Some(pos) = word.find(p) {
            let body = &word[pos + p.len()..];
            let body_len = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(body.len());
            if body_len >= MIN_TOKEN_BODY {
                return Cow::Owned(format!("{}{p}{MASK}{}", &word[..pos], &body[body_len..]));
            }
        }
    }
    // user:password@host in URLs
    if let Some(scheme_end) = word.find("://")
        && let Some(at) = word[scheme_end + 3..].find('@')
    {
        let auth = &word[scheme_end + 3..scheme_end + 3 + at];
        if let Some((user, _)) = auth.split_once(':') {
            return Cow::Owned(format!(
                "{}{user}:{MASK}{}",
                &word[..scheme_end + 3],
                &word[scheme_end + 3 + at..]
            ));
        }
    }
    Cow::Borrowed(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_tokens_and_secret_assignments() {
        let cases = [
            (
                "curl -H 'Authorization: Bearer ghp_FAKEFAKEFAKEFAKEFAKE1234' x.io",
                "ghp_FAKE",
            ),
            ("export GITHUB_TOKEN=FAKEghxyz0123456789", "FAKEghxyz"),
            ("PGPASSWORD=hunter2hunter2 psql", "hunter2"),
            ("mysql --password s3cr3tpassw0rd", "s3cr3t"),
            ("curl https://user:FAKEpass123@db.example/x", "FAKEpass123"),
            ("aws s3 ls # key AKIAFAKEFAKEFAKE0000", "AKIAFAKEFAKE"),
            ("echo sk-ant-api03-FAKEFAKEFAKEFAKEFAKE", "FAKEFAKEFAKE"),
        ];
        for (text, secret) in cases {
            let r = redact(text);
            assert!(!r.contains(secret), "{text} → {r}");
            assert!(r.contains(MASK), "{text} → {r}");
        }
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        for text in [
            "`cat .env` reads .env denied by built-in protections: files.deny \"/**/.env\"",
            "`echo $GITHUB_TOKEN` reads $GITHUB_TOKEN",
            "git commit -m 'rotate the token handling'",
            "cargo test tokenizer",
        ] {
            assert_eq!(redact(text), text);
        }
    }
}
