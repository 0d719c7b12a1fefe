//! Texts as records and alerts may hold them: secrets hidden, length bounded.

/// Longest text kept in a record field; the rest is cut (with a marker).
const MAX_FIELD: usize = 2000;

/// Hide secrets in a text: the policy's redaction of well-known shapes
/// (secret-named assignments, URL passwords, key blocks), then every
/// finding of the secret scanner. Cut to a bounded length.
pub fn redact_text(text: &str) -> String {
    let mut out = ztguard_policy::redact(text).into_owned();
    if ztguard_secrets::might_contain_secret(&out)
        && let Ok(set) = crate::review::secret_rules()
    {
        let found = set.scan(None, &out);
        let mut spans: Vec<(usize, usize)> = found.iter().map(|f| f.span).collect();
        spans.sort_unstable_by_key(|s| std::cmp::Reverse(s.0));
        let mut last_start = usize::MAX;
        for (s, e) in spans {
            if e > last_start
                || e > out.len()
                || !out.is_char_boundary(s)
                || !out.is_char_boundary(e)
            {
                continue;
            }
            let shown = ztguard_secrets::redact_secret(&out[s..e]).0;
            out.replace_range(s..e, &shown);
            last_start = s;
        }
    }
    cut(out)
}

/// Cut a text to the longest a record field holds.
pub fn cut(mut s: String) -> String {
    if s.len() > MAX_FIELD {
        let mut end = MAX_FIELD;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push_str("…[cut]");
    }
    s
}

/// A text's length and SHA-256, for a record that must not hold the text.
pub fn text_facts(text: &str) -> (usize, String) {
    (text.len(), ztguard_audit::sha256_hex(text.as_bytes()))
}

/// The first line of an error, redacted.
pub fn error_line(error: &str) -> String {
    redact_text(error.lines().next().unwrap_or(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_fields_are_cut_on_a_char_boundary() {
        let s = redact_text(&"é".repeat(3000));
        assert!(s.ends_with("…[cut]") && s.len() < MAX_FIELD + 20);
    }
}
