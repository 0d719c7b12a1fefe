/*!
Secret detection for ztguard.

A [`Ruleset`] is built from gitleaks-format rules ([`RawConfig`]): the
built-in set of more than 150 credential types, or a user's
`gitleaks.toml`. [`Ruleset::scan`] runs an Aho-Corasick keyword prefilter
over the text, compiles and runs only the rules whose keywords occur, and
keeps a candidate only if it passes the rule's entropy threshold, the
allowlists, the inline allow comments and the placeholder filter
(placeholders, example values, environment lookups, UUIDs, hashes are not
secrets).

A [`Finding`] never carries the secret: only its [`Redacted`] form. Callers
that need to recognise a secret again (baselines) use [`secret_hash`].
*/

mod config;
mod detect;
mod entropy;
mod filter;
mod redact;

pub use config::{ConfigError, RawConfig};
pub use detect::{Finding, Ruleset};
pub use entropy::shannon;
pub use redact::{Redacted, hash_parts, redact_secret};

mod keywords {
    include!(concat!(env!("OUT_DIR"), "/keywords.rs"));
}

/// Whether `text` contains a keyword (of four characters or more) of the
/// built-in rules: a gate before loading the rules for a command line. A few
/// microseconds (no parsing, no automaton). Short keywords (`sk`, `pat`) are
/// left out because nearly every command contains them; credentials behind
/// only those are found by `ztguard scan` and in written content.
pub fn might_contain_secret(text: &str) -> bool {
    let lower = text.as_bytes().to_ascii_lowercase();
    keywords::KEYWORDS
        .iter()
        .any(|k| memchr::memmem::find(&lower, k.as_bytes()).is_some())
}

/// The hash that stands for a secret in baselines (SHA-256, hex): the
/// secret is passed in by the scanner and never stored.
pub fn secret_hash(rule_id: &str, secret: &str) -> String {
    hash_parts(&[rule_id, secret])
}
