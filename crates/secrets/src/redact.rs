//! What ztguard shows instead of a secret, and the hashes that stand for it.
//!
//! Only a short prefix survives (enough to tell `ghp_` from `AKIA`), never
//! more than a quarter of the value, and nothing of a short one. Baselines
//! and fingerprints use SHA-256, so no report or file ever holds the value.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// A secret as it may be shown: `ghp_…(40 chars)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Redacted(pub String);

impl std::fmt::Display for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Redact a secret for display.
pub fn redact_secret(secret: &str) -> Redacted {
    let n = secret.chars().count();
    let keep = match n {
        0..=11 => 0,
        12..=19 => 2,
        _ => (n / 4).min(4),
    };
    let prefix: String = secret.chars().take(keep).collect();
    Redacted(format!("{prefix}…({n} chars)"))
}

/// Hex SHA-256 of the parts, separated by NUL.
pub fn hash_parts(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0u8]);
        }
        h.update(p.as_bytes());
    }
    format!("{:x}", h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_more_than_a_prefix() {
        assert_eq!(redact_secret("hunter2").0, "…(7 chars)");
        assert_eq!(redact_secret("abcdefghijkl").0, "ab…(12 chars)");
        let r = redact_secret("ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5").0;
        assert_eq!(r, "ghp_…(40 chars)");
    }

    #[test]
    fn hashes_are_stable_and_separated() {
        assert_eq!(hash_parts(&["a", "bc"]), hash_parts(&["a", "bc"]));
        assert_ne!(hash_parts(&["a", "bc"]), hash_parts(&["ab", "c"]));
        assert_eq!(hash_parts(&[""]).len(), 64);
    }
}
