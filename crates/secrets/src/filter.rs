//! What looks like a secret but is not: placeholders, example values,
//! environment lookups, template references, UUIDs and hashes, and the
//! inline comments with which a human accepts a line.

/// Markers a human puts on a line to accept it (ztguard's own, and those
/// of gitleaks and detect-secrets so existing annotations keep working).
const INLINE_ALLOW: &[&str] = &[
    "ztguard:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];
const NEXT_LINE_ALLOW: &[&str] = &[
    "ztguard:allow-next-line",
    "pragma: allowlist nextline secret",
];

pub fn inline_allowed(line: &str, previous: Option<&str>) -> bool {
    INLINE_ALLOW.iter().any(|m| line.contains(m))
        || previous.is_some_and(|p| NEXT_LINE_ALLOW.iter().any(|m| p.contains(m)))
}

/// Substrings (lowercase) of values that are placeholders, not credentials.
const PLACEHOLDERS: &[&str] = &[
    "example",
    "xxxxxx",
    "placeholder",
    "your_",
    "your-",
    "yourkey",
    "yourtoken",
    "yoursecret",
    "yourpassword",
    "changeme",
    "change_me",
    "change-me",
    "replaceme",
    "replace_me",
    "replace-me",
    "dummy",
    "notasecret",
    "redacted",
    "<",
    ">",
    "${",
    "{{",
    "}}",
    "$(",
    "%s",
    "process.env",
    "os.environ",
    "getenv",
    "env::var",
    "secrets.",
    "********",
    "&lt;",
    "yourpass",
    "abcdefg",
    "1234567",
    "…",
    "...",
];

/// Substrings that mark a generic rule's value as made up. Only for generic
/// rules: a provider token or a key block that contains one is still one (a
/// test's fake key must be caught where a real one would be).
const MADE_UP: &[&str] = &["fake", "notreal", "not-real", "not_real"];

/// Whole values that stand in for a password in documentation.
const STAND_INS: &[&str] = &[
    "password",
    "passwd",
    "pass",
    "pwd",
    "changeme",
    "mypassword",
];

/// Whole values that are never secrets of a generic assignment.
const NOT_VALUES: &[&str] = &[
    "true",
    "false",
    "null",
    "none",
    "nil",
    "undefined",
    "password",
    "secret",
    "token",
    "string",
    "required",
    "optional",
    "empty",
];

/// Whether `secret` is something other than a credential. `generic` rules
/// (a secret-looking name assigned some value) get the stricter checks,
/// because their value is anything at all.
pub fn not_a_secret(secret: &str, generic: bool, line: &str) -> bool {
    let lower = secret.to_ascii_lowercase();
    if PLACEHOLDERS.iter().any(|p| lower.contains(p)) {
        return true;
    }
    if STAND_INS.contains(&lower.as_str()) {
        return true;
    }
    // `$VAR`, `%VAR%`: an environment reference, resolved at run time.
    if is_env_reference(secret) {
        return true;
    }
    if few_distinct(secret) || sequential(&lower) {
        return true;
    }
    if generic {
        if NOT_VALUES.contains(&lower.as_str())
            || MADE_UP.iter().any(|p| lower.contains(p))
            || is_uuid(secret)
            || looks_like_code(secret)
            || is_identifier(secret)
        {
            return true;
        }
        // A digest next to a word that says so is a checksum, not a key.
        let l = line.to_ascii_lowercase();
        if is_hash_like(secret) && HASH_WORDS.iter().any(|w| l.contains(w)) {
            return true;
        }
        if l.contains("integrity") || l.contains("sha512-") {
            return true;
        }
    }
    false
}

/// A value the rule's own format rules out. An HTTP Basic credential is
/// base64 of `user:password`: `Basic notabase64token` in a test is not one.
pub fn malformed(rule_id: &str, secret: &str) -> bool {
    use base64::Engine as _;
    match rule_id {
        "http-basic-auth-header" => {
            // `user:pass`, `user:password`: a stand-in, not a credential.
            let engine = base64::engine::GeneralPurpose::new(
                &base64::alphabet::STANDARD,
                base64::engine::GeneralPurposeConfig::new()
                    .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
            );
            match engine.decode(secret) {
                Ok(bytes) => match std::str::from_utf8(&bytes) {
                    Ok(pair) => match pair.split_once(':') {
                        Some((_, pw)) => {
                            pair.chars().any(char::is_control)
                                || pw.is_empty()
                                || not_a_secret(pw, true, "")
                        }
                        None => true,
                    },
                    Err(_) => true,
                },
                Err(_) => true,
            }
        }
        _ => false,
    }
}

fn is_env_reference(s: &str) -> bool {
    let b = s.as_bytes();
    (b.first() == Some(&b'$')
        && b.get(1)
            .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'{' || *c == b'_'))
        || (b.len() > 2
            && b.first() == Some(&b'%')
            && b.last() == Some(&b'%')
            && s[1..s.len() - 1]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_'))
}

/// `aaaaaaaa`, `abababab`: two or fewer distinct characters.
fn few_distinct(s: &str) -> bool {
    let mut seen: Vec<char> = Vec::with_capacity(3);
    for c in s.chars() {
        if !seen.contains(&c) {
            if seen.len() == 2 {
                return false;
            }
            seen.push(c);
        }
    }
    true
}

/// `123456789`, `abcdefgh`, `0123456789abcdef`: a run the keyboard types.
fn sequential(lower: &str) -> bool {
    const RUNS: &[&str] = &[
        "0123456789",
        "123456789",
        "abcdefghijklmnopqrstuvwxyz",
        "qwertyuiop",
        "1234567890",
    ];
    let alnum: String = lower.chars().filter(char::is_ascii_alphanumeric).collect();
    alnum.len() >= 6 && RUNS.iter().any(|r| r.contains(alnum.as_str()))
}

fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// A bare hex digest (MD5, SHA-1, SHA-256): in a generic assignment it is
/// far more often a checksum or a commit than a key.
fn is_hash_like(s: &str) -> bool {
    matches!(s.len(), 32 | 40 | 64 | 128) && s.bytes().all(|c| c.is_ascii_hexdigit())
}

const HASH_WORDS: &[&str] = &[
    "hash",
    "sha",
    "md5",
    "checksum",
    "digest",
    "commit",
    "etag",
    "integrity",
    "rev",
];

/// `snake_case_name`, `kebab-case-name`: a name, not a password.
fn is_identifier(s: &str) -> bool {
    let parts: Vec<&str> = s.split(['_', '-']).collect();
    parts.len() >= 2
        && parts.iter().all(|p| {
            p.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
                && p.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

/// A value that is an expression, a path or a name rather than data.
fn looks_like_code(s: &str) -> bool {
    let route = s.contains('/')
        && s.bytes().all(|c| {
            c.is_ascii_lowercase() || matches!(c, b'/' | b'_' | b'-' | b'#' | b'.' | b':')
        });
    // `compat.quote(PASSWORD,`: a call, in code that names a password.
    let call = s.find('(').is_some_and(|i| {
        i > 0
            && s.as_bytes()[0].is_ascii_alphabetic()
            && s[..i]
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'.')
    });
    route
        || call
        || s.starts_with('#')
        || s.starts_with("arn:")
        || s.ends_with(':')
        || s.starts_with('/')
        || s.starts_with("./")
        || s.contains("()")
        || s.starts_with("http://")
        || s.starts_with("https://")
        || (s.contains('.')
            && s.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_')
            && s.split('.')
                .all(|p| p.len() > 1 && !p.as_bytes()[0].is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_and_references() {
        for s in [
            "AKIAIOSFODNN7EXAMPLE",
            "${DB_PASSWORD}",
            "$API_TOKEN",
            "%API_TOKEN%",
            "your_api_key_here",
            "xxxxxxxxxxxxxxxx",
            "<token>",
            "aaaaaaaaaaaa",
            "1234567890",
            "{{ secrets.TOKEN }}",
        ] {
            assert!(not_a_secret(s, false, ""), "{s}");
        }
    }

    #[test]
    fn made_up_values_are_placeholders_only_for_generic_rules() {
        assert!(not_a_secret("my-fake-password-1", true, ""));
        assert!(!not_a_secret(
            "ghp_FAKEaB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1g",
            false,
            ""
        ));
        assert!(!not_a_secret(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEFAKEFAKE\n-----END OPENSSH PRIVATE KEY-----",
            false,
            ""
        ));
    }

    #[test]
    fn generic_values_that_are_not_keys() {
        for s in [
            "123e4567-e89b-12d3-a456-426614174000",
            "settings.DATABASE_PASSWORD",
            "/etc/app/secret",
            "pbkdf2_sha256",
            "smtp_password",
        ] {
            assert!(not_a_secret(s, true, ""), "{s}");
        }
        let digest = "d41d8cd98f00b204e9800998ecf8427e";
        assert!(not_a_secret(digest, true, "file_sha = x"));
        assert!(!not_a_secret(digest, true, "api_secret = x"));
    }

    #[test]
    fn real_looking_values_pass() {
        for s in [
            "ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5",
            "s3cr3t-P4ssw0rd!x",
        ] {
            assert!(!not_a_secret(s, true, ""), "{s}");
        }
    }

    #[test]
    fn basic_auth_must_be_base64_of_a_pair() {
        // `user:hunter22` and `admin:Zq9x`, with and without padding.
        assert!(!malformed("http-basic-auth-header", "dXNlcjpodW50ZXIyMg=="));
        assert!(!malformed("http-basic-auth-header", "YWRtaW46WnE5eA"));
        // `user:pass`: a stand-in.
        assert!(malformed("http-basic-auth-header", "dXNlcjpwYXNz"));
        // Not base64, or base64 of something that is not `user:password`.
        assert!(malformed("http-basic-auth-header", "notabase64token"));
        assert!(malformed("http-basic-auth-header", "notreally"));
        assert!(malformed("http-basic-auth-header", "aGVsbG8gd29ybGQ="));
        // Other rules are not judged here.
        assert!(!malformed("github-pat", "notabase64token"));
    }

    #[test]
    fn inline_markers() {
        assert!(inline_allowed("x = 1 # ztguard:allow", None));
        assert!(inline_allowed(
            "x = 1",
            Some("# pragma: allowlist nextline secret")
        ));
        assert!(!inline_allowed("x = 1", Some("y")));
    }
}
