//! The checks never panic, whatever the text: the hook runs them on every
//! Write, and a panic there would deny the call.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use proptest::prelude::*;
use ztguard_code::{Language, check};

/// Text made of the pieces the checks look at, joined at random, with
/// multi-byte characters and escapes in the mix.
fn soup() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("os.system(".to_string()),
        Just("cursor.execute(".to_string()),
        Just("eval(".to_string()),
        Just("exec.Command(".to_string()),
        Just("Command::new(".to_string()),
        Just("?.(".to_string()),
        Just("(0, eval)(".to_string()),
        Just("f\"".to_string()),
        Just("`${".to_string()),
        Just("\\".to_string()),
        Just("é".to_string()),
        Just("€".to_string()),
        Just("日本".to_string()),
        Just("\u{fffd}".to_string()),
        Just("\"".to_string()),
        Just("'".to_string()),
        Just("#".to_string()),
        Just("//".to_string()),
        Just("/*".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        Just("=".to_string()),
        Just("+".to_string()),
        Just("%".to_string()),
        Just("\n".to_string()),
        Just("shell=True".to_string()),
        Just("x".to_string()),
        Just("$(curl".to_string()),
        Just("| sh".to_string()),
        "[a-z_]{1,8}".prop_map(|s| s),
        any::<char>().prop_map(|c| c.to_string()),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

const LANGS: [Language; 5] = [
    Language::Python,
    Language::JavaScript,
    Language::Rust,
    Language::Go,
    Language::Shell,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn code_like_text_never_panics(text in soup()) {
        for lang in LANGS {
            for f in check(lang, &text) {
                prop_assert!(f.line >= 1 && f.column >= 1);
            }
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        for lang in LANGS {
            let _ = check(lang, &text);
        }
    }
}
