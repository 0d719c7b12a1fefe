//! The repository's `.pre-commit-hooks.yaml` with the real pre-commit
//! framework: `pre-commit try-repo` builds ztguard from this repository the
//! way a user's `.pre-commit-config.yaml` would, then runs the hook on a
//! repository with a staged fake secret (stopped) and a clean one (passes).
//!
//! Needs `pre-commit` on PATH (`.ci/run` installs it). Without it the test
//! says so and passes outside CI; under CI it fails. The first run builds
//! ztguard in release mode (a minute or two); the environment is cached
//! under `target/pre-commit-home`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::Command;

use common::git;

/// `python3 -m pre_commit`: works wherever pip put the package, PATH or not.
fn pre_commit() -> Command {
    let mut c = Command::new("python3");
    c.args(["-m", "pre_commit"]);
    c
}

fn available() -> bool {
    let ok = pre_commit()
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the pre-commit framework test: `python3 -m pre_commit` is not installed"
        );
        eprintln!("skipping: pre-commit is not installed (pip install pre-commit)");
    }
    ok
}

/// `pre-commit run` on what is staged; the hook environment is cached by
/// revision under `target/pre-commit-home`.
fn run(dir: &Path) -> (bool, String) {
    let out = pre_commit()
        .args(["run", "--verbose"])
        .current_dir(dir)
        .env(
            "PRE_COMMIT_HOME",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pre-commit-home"),
        )
        .env_remove("GIT_DIR")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn the_pre_commit_framework_runs_the_published_hooks() {
    if !available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The hooks as a user gets them: this repository at a revision (its last
    // commit; uncommitted changes are not part of a published revision).
    // A fixed path, so that pre-commit's cache (keyed by repository and
    // revision) is reused until the next commit.
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pre-commit-src");
    let _ = std::fs::remove_dir_all(&src);
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    git(manifest, &["clone", "-q", ".", &src.to_string_lossy()]);
    let rev = git(&src, &["rev-parse", "HEAD"]);

    let root = dir.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    git(&root, &["init", "-q"]);
    std::fs::write(
        root.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: ztguard-scan\n      - id: ztguard-scan-files\n",
            src.display()
        ),
    )
    .unwrap();
    std::fs::write(
        root.join("ok.py"),
        "import os\nNAME = os.environ.get('NAME', 'x')\n",
    )
    .unwrap();
    git(&root, &["add", "-A"]);

    // A clean change passes both hooks.
    let (ok, said) = run(&root);
    assert!(ok, "{said}");
    assert_eq!(said.matches("Passed").count(), 2, "{said}");

    // A staged credential stops the commit, with a redacted report.
    let token = format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5");
    std::fs::write(root.join("leak.py"), format!("t = \"{token}\"\n")).unwrap();
    git(&root, &["add", "leak.py"]);
    let (ok, said) = run(&root);
    assert!(!ok, "{said}");
    assert!(
        said.contains("leak.py:1:6: high [github-pat CWE-798]"),
        "{said}"
    );
    assert_eq!(
        said.matches("Failed").count(),
        2,
        "both hooks stop it: {said}"
    );
    assert!(!said.contains(&token), "{said}");
}
