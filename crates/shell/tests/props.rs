//! Arbitrary input never panics the analyzer, and what it reports is consistent.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

use proptest::prelude::*;
use ztguard_shell::{ShellEnv, analyze, effects};

/// Strings built from shell syntax, so that most of them parse and go deep.
fn shellish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "cat",
        ".env",
        "ls",
        "-la",
        "|",
        "&&",
        "||",
        ";",
        "\n",
        "$(",
        ")",
        "`",
        "'",
        "\"",
        "$'\\x63'",
        "${IFS}",
        "{a,b}",
        "<",
        ">",
        ">>",
        "2>&1",
        "<<EOF\nx\nEOF\n",
        "<<<",
        "bash -c",
        "eval",
        "sudo",
        "env",
        "xargs",
        "find . -exec",
        "{}",
        "\\;",
        "*",
        "~",
        "$HOME",
        "$X",
        "X=1",
        "for i in a b; do",
        "done",
        "if true; then",
        "fi",
        "(",
        "{",
        "}",
        "f() {",
        "python -c",
        "awk '{print}'",
        "/dev/tcp/h/1",
        "cd ..",
        "$((1+",
        "))",
    ]);
    prop::collection::vec(atoms, 0..24).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,200}") {
        let a = analyze(&s, &ShellEnv { home: Some("/home/u".into()) });
        for c in &a.commands {
            let _ = effects(c);
            let _ = c.display();
            let _ = c.policy_words();
        }
    }

    #[test]
    fn shell_syntax_never_panics(s in shellish()) {
        let a = analyze(&s, &ShellEnv { home: None });
        for c in &a.commands {
            let fx = effects(c);
            // every file a command touches has at least one value to check
            for f in fx.reads.iter().chain(&fx.writes).chain(&fx.deletes) {
                prop_assert!(!f.path.values.is_empty(), "{s:?}");
            }
        }
    }
}
