//! The detector never panics and never reports a secret it was not given,
//! whatever the text.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use proptest::prelude::*;
use ztguard_secrets::Ruleset;

fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("token = \"".to_string()),
        Just("password=".to_string()),
        Just("ghp_".to_string()),
        Just("-----BEGIN RSA PRIVATE KEY-----\n".to_string()),
        Just("postgres://u:".to_string()),
        Just("@h/".to_string()),
        Just("é".to_string()),
        Just("€".to_string()),
        Just("\u{fffd}".to_string()),
        Just("\"".to_string()),
        Just("\n".to_string()),
        Just("ztguard:allow".to_string()),
        "[A-Za-z0-9+/]{1,40}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn scanning_never_panics(text in soup(), path in "[a-z/.]{0,20}") {
        let set = Ruleset::builtin().unwrap();
        for f in set.scan(Some(&path), &text) {
            prop_assert!(f.span.0 <= f.span.1 && f.span.1 <= text.len());
            prop_assert!(f.line >= 1);
            // The redacted form never holds more than a 4-character prefix.
            let shown = f.secret.0.split('…').next().unwrap_or("");
            prop_assert!(shown.chars().count() <= 4, "{}", f.secret);
        }
    }
}
