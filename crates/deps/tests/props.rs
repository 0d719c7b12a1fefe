//! Manifest and command parsing never panic, whatever the text: an Edit's
//! new text is often a fragment, or not a manifest at all.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use proptest::prelude::*;
use ztguard_deps::{Checker, from_argv, parse_manifest};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn manifests_never_panic(text in any::<String>()) {
        let c = Checker::default();
        for name in ["Cargo.toml", "package.json", "requirements.txt", "pyproject.toml", "go.mod"] {
            let _ = parse_manifest(name, &text);
            let _ = c.check_manifest(name, &text);
        }
    }

    #[test]
    fn manifest_like_lines_never_panic(lines in prop::collection::vec("[a-zA-Z0-9_\"'=@:/.^~<>!, \\[\\]{}-]{0,30}", 0..10)) {
        let text = lines.join("\n");
        let c = Checker::default();
        for name in ["Cargo.toml", "package.json", "requirements.txt", "pyproject.toml", "go.mod"] {
            let _ = c.check_manifest(name, &text);
        }
    }

    #[test]
    fn install_commands_never_panic(args in prop::collection::vec("[a-zé@=<>^~:/._+-]{0,12}", 0..8)) {
        let c = Checker::default();
        for prog in ["pip", "npm", "cargo", "go", "uv", "npx", "poetry"] {
            let mut argv = vec![prog.to_string()];
            argv.extend(args.iter().cloned());
            let _ = from_argv(&argv);
            let _ = c.check_command(&argv);
        }
    }
}
