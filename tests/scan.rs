//! Content checks from the installed binary: `ztguard scan` on trees,
//! staged changes, diffs and stdin in every format; baselines; the git
//! pre-commit hook; `ztguard deps`; and the hook's Write/Edit/install and
//! PostToolUse checks, driven with real hook JSON.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{Env, git, git_command, stderr, stdout};
use serde_json::{Value, json};

/// Fake credentials, assembled at run time so no literal token sits in the source.
fn fake_github_token() -> String {
    format!("ghp_{}", "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5")
}

fn fake_stripe_key() -> String {
    format!("sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dc9aBcDeF")
}

fn write(p: &Path, text: &str) {
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A project with one of each finding, a gitignored secret and a binary.
fn seeded() -> Env {
    let e = Env::new();
    std::fs::remove_dir_all(e.project.join(".git")).unwrap();
    // The harness's .env holds a fake key the scan would rightly report; keep this tree to the seeded findings.
    std::fs::remove_file(e.project.join(".env")).unwrap();
    git(&e.project, &["init", "-q"]);
    write(
        &e.project.join("app.py"),
        &format!(
            "import os\ntoken = \"{}\"\nos.system(\"ls \" + d)\n",
            fake_github_token()
        ),
    );
    write(
        &e.project.join("web/package.json"),
        "{\"dependencies\": {\"lodahs\": \"1.0.0\", \"express\": \"^4.19.2\"}}\n",
    );
    write(&e.project.join(".gitignore"), "ignored.txt\n");
    write(&e.project.join("ignored.txt"), &fake_stripe_key());
    std::fs::write(
        e.project.join("blob.bin"),
        [0u8, 1, 2, b'g', b'h', b'p', b'_'],
    )
    .unwrap();
    e
}

#[test]
fn scan_text_reports_each_kind_and_exits_1() {
    let e = seeded();
    let out = e.run(&["scan"], "");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("app.py:2:10: high [github-pat CWE-798]"),
        "{text}"
    );
    assert!(
        text.contains("app.py:3:1: high [py-command-injection CWE-78]"),
        "{text}"
    );
    assert!(
        text.contains("web/package.json:1:1: high [dep-typosquat"),
        "{text}"
    );
    assert!(text.contains("looks like a typo of `lodash`"), "{text}");
    assert!(text.contains("fix: "), "{text}");
    assert!(
        !text.contains("ignored.txt"),
        "gitignored files are skipped: {text}"
    );
    assert!(
        !text.contains(&fake_github_token()),
        "never the secret: {text}"
    );
    assert!(text.contains("ghp_…(40 chars)"), "{text}");
    // One finding per credential: the code rule does not repeat the secret rule.
    assert!(!text.contains("py-hardcoded-password"), "{text}");
}

#[test]
fn scan_json_and_sarif_carry_only_redacted_secrets() {
    let e = seeded();
    let out = e.run(&["scan", "--format", "json"], "");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = v["findings"].as_array().unwrap();
    assert_eq!(f.len(), 3, "{v:#}");
    let secret = f.iter().find(|x| x["kind"] == "secret").unwrap();
    assert_eq!(secret["secret"], "ghp_…(40 chars)");
    assert_eq!(secret["fingerprint"].as_str().unwrap().len(), 64);
    assert_eq!(
        v["files_scanned"], 6,
        "Cargo.toml, src/main.rs, .env.example, .gitignore, app.py, package.json"
    );
    assert_eq!(v["skipped"], 1, "the binary");
    assert!(!stdout(&out).contains(&fake_github_token()));

    let out = e.run(&["scan", "--format", "sarif"], "");
    let s: Value = serde_json::from_slice(&out.stdout).expect("sarif json");
    assert_eq!(s["version"], "2.1.0");
    let run = &s["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "ztguard");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with(".py")
                || loc["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
                    .ends_with(".json")
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
    }
    assert!(
        rules
            .iter()
            .all(|r| r["properties"]["security-severity"].is_string())
    );
    assert!(!stdout(&out).contains(&fake_github_token()));
}

#[test]
fn baseline_accepts_known_findings_by_hash() {
    let e = seeded();
    let out = e.run(&["scan", "--write-baseline", ".ztguard/baseline.json"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let base = std::fs::read_to_string(e.project.join(".ztguard/baseline.json")).unwrap();
    assert!(
        !base.contains(&fake_github_token()) && !base.contains("aB3dE5"),
        "{base}"
    );
    let out = e.run(&["scan"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("3 accepted by the baseline"),
        "{}",
        stdout(&out)
    );
    // A new secret is still reported; the old ones stay accepted after moving lines.
    write(
        &e.project.join("app.py"),
        &format!(
            "\n\nimport os\ntoken = \"{}\"\nos.system(\"ls \" + d)\nkey = \"{}\"\n",
            fake_github_token(),
            fake_stripe_key()
        ),
    );
    let out = e.run(&["scan", "--format", "json"], "");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["stripe-secret-key"], "{v:#}");
    let out = e.run(&["scan", "--no-baseline", "--format", "json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"].as_array().unwrap().len(), 4);
}

#[test]
fn inline_allow_comment_is_honoured_by_scan() {
    let e = Env::new();
    write(
        &e.project.join("a.py"),
        &format!("t = \"{}\"  # ztguard:allow\n", fake_github_token()),
    );
    let out = e.run(&["scan", "a.py"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn path_classes_ignore_files_and_rule_scoped_inline_ignores() {
    let e = Env::new();
    let token = fake_github_token();
    // The same insecure call in source, in a test and in a minified bundle.
    write(
        &e.project.join("src/app.py"),
        "import os\nos.system(\"rm \" + path)\n",
    );
    write(
        &e.project.join("tests/test_app.py"),
        "import os\nos.system(\"rm \" + path)\n",
    );
    write(
        &e.project.join("static/app.min.js"),
        "const cp = require('child_process'); cp.exec(cmd);\n",
    );
    // A recognisable credential in a test still shows, lowered to medium.
    write(
        &e.project.join("tests/conf.py"),
        &format!("t = \"{token}\"\n"),
    );
    let out = e.run(&["scan", "--format", "json"], "");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let found: Vec<(String, String, String)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["severity"].as_str().unwrap().to_string(),
                f["path_class"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert!(
        found.contains(&("src/app.py".into(), "high".into(), "".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("tests/conf.py".into(), "medium".into(), "test".into())),
        "{found:?}"
    );
    // Code findings in tests are informational (below the default threshold);
    // a minified bundle gets no code checks at all.
    assert!(
        !found
            .iter()
            .any(|f| f.0 == "tests/test_app.py" || f.0 == "static/app.min.js"),
        "{found:?}"
    );
    let low = e.run(&["scan", "--min-severity", "low"], "");
    assert!(
        stdout(&low).contains("tests/test_app.py:2:1: low (test) [py-command-injection"),
        "{}",
        stdout(&low)
    );
    assert!(!stdout(&low).contains("app.min.js"), "{}", stdout(&low));
    // --all-paths treats every file as source.
    let all = e.run(&["scan", "--all-paths"], "");
    assert!(
        stdout(&all).contains("tests/test_app.py:2:1: high [py-command-injection"),
        "{}",
        stdout(&all)
    );
    assert!(
        stdout(&all).contains("static/app.min.js"),
        "{}",
        stdout(&all)
    );

    // A bare ztguard:ignore silences code, never a secret; naming the rule does.
    write(
        &e.project.join("src/app.py"),
        &format!(
            "import os\nos.system(\"rm \" + path)  # ztguard:ignore\nt = \"{token}\"  # ztguard:ignore\n"
        ),
    );
    let out = e.run(&["scan", "src"], "");
    let text = stdout(&out);
    assert!(!text.contains("py-command-injection"), "{text}");
    assert!(text.contains("src/app.py:3:"), "{text}");
    assert!(
        text.contains("ignored by an ignore file or comment"),
        "{text}"
    );
    write(
        &e.project.join("src/app.py"),
        &format!("t = \"{token}\"  # ztguard:ignore[github-pat]\n"),
    );
    let out = e.run(&["scan", "src"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // .ztguardignore skips paths; .gitleaksignore drops one fingerprint.
    write(&e.project.join("src/app.py"), &format!("t = \"{token}\"\n"));
    write(
        &e.project.join("src/other.py"),
        &format!("t = \"{token}\"\n"),
    );
    write(&e.project.join(".ztguardignore"), "tests/\nstatic/\n");
    write(
        &e.project.join(".gitleaksignore"),
        "# reviewed\nsrc/other.py:github-pat:1\n",
    );
    let out = e.run(&["scan"], "");
    let text = stdout(&out);
    assert!(text.contains("src/app.py:1:"), "{text}");
    assert!(!text.contains("src/other.py"), "{text}");
    assert!(!text.contains("tests/"), "{text}");
}

#[test]
fn staged_and_diff_scan_only_added_lines_with_new_line_numbers() {
    let e = Env::new();
    std::fs::remove_dir_all(e.project.join(".git")).unwrap();
    git(&e.project, &["init", "-q"]);
    write(
        &e.project.join("old.py"),
        &format!("legacy = \"{}\"\n", fake_stripe_key()),
    );
    write(&e.project.join("new.py"), "a = 1\n");
    git(&e.project, &["add", "-A"]);
    git(&e.project, &["commit", "-qm", "base"]);
    let out = e.run(&["scan", "--staged"], "");
    assert_eq!(
        out.status.code(),
        Some(0),
        "nothing staged: {}",
        stdout(&out)
    );
    write(
        &e.project.join("new.py"),
        &format!("a = 1\nb = 2\nt = \"{}\"\n", fake_github_token()),
    );
    git(&e.project, &["add", "new.py"]);
    let out = e.run(&["scan", "--staged", "--format", "json"], "");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = v["findings"].as_array().unwrap();
    assert_eq!(
        f.len(),
        1,
        "the committed secret in old.py is not re-reported: {v:#}"
    );
    assert_eq!(
        (f[0]["path"].as_str(), f[0]["line"].as_u64()),
        (Some("new.py"), Some(3))
    );
    git(&e.project, &["commit", "-qm", "add"]);
    let out = e.run(&["scan", "--diff", "HEAD~1"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("new.py:3:"), "{}", stdout(&out));
    let out = e.run(&["scan", "--diff", "--output=x"], "");
    assert_eq!(out.status.code(), Some(2), "an option is not a revision");
}

#[test]
fn stdin_file_and_diff() {
    let e = Env::new();
    let out = e.run(
        &["scan", "--stdin", "--stdin-name", "x.js"],
        "const cp = require('child_process');\ncp.exec(input);\neval(input);\n",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("2 findings in 1 file (1 scanned)"),
        "{}",
        stdout(&out)
    );
    assert!(
        stdout(&out).contains("x.js:2:1: high [js-command-injection CWE-78]"),
        "{}",
        stdout(&out)
    );
    let patch = format!(
        "diff --git a/c.env b/c.env\n--- a/c.env\n+++ b/c.env\n@@ -4,0 +5,1 @@\n+GITHUB_TOKEN={}\n",
        fake_github_token()
    );
    let out = e.run(&["scan", "--stdin"], &patch);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("c.env:5:14"), "{}", stdout(&out));
    let out = e.run(&["scan", "--stdin"], "nothing here\n");
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn gitleaks_config_and_errors() {
    let e = Env::new();
    write(
        &e.project.join("rules.toml"),
        "[[rules]]\nid = \"acme-key\"\ndescription = \"ACME key\"\nregex = '''acme_[0-9a-f]{16}'''\nkeywords = [\"acme_\"]\n",
    );
    write(
        &e.project.join("s.txt"),
        &format!("k = acme_8f3a91c0d2b7e654\nt = {}\n", fake_github_token()),
    );
    let out = e.run(
        &[
            "scan",
            "--config",
            "rules.toml",
            "--only",
            "secrets",
            "s.txt",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("[acme-key"), "{text}");
    assert!(
        !text.contains("github-pat"),
        "only the file's rules: {text}"
    );
    write(
        &e.project.join("ext.toml"),
        "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"acme-key\"\nregex = '''acme_[0-9a-f]{16}'''\nkeywords = [\"acme_\"]\n",
    );
    let out = e.run(
        &["scan", "--config", "ext.toml", "--only", "secrets", "s.txt"],
        "",
    );
    let text = stdout(&out);
    assert!(
        text.contains("acme-key") && text.contains("github-pat"),
        "{text}"
    );
    write(
        &e.project.join("bad.toml"),
        "[[rules]]\nid = \"x\"\nregex = '''(unclosed'''\n",
    );
    let out = e.run(&["scan", "--config", "bad.toml", "s.txt"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("do not compile"), "{}", stderr(&out));
    let out = e.run(&["scan", "--staged"], "");
    assert_eq!(
        out.status.code(),
        Some(2),
        "the harness's project is not a git repository"
    );
    assert!(
        stderr(&out).contains("need a git repository"),
        "{}",
        stderr(&out)
    );
    let out = e.run(&["scan", "no-such-dir"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no such file"), "{}", stderr(&out));
}

#[test]
fn git_pre_commit_hook_blocks_a_secret() {
    let e = Env::new();
    std::fs::remove_dir_all(e.project.join(".git")).unwrap();
    git(&e.project, &["init", "-q"]);
    let out = e.run(&["init", "--git-hook", "--no-hook"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hook = std::fs::read_to_string(e.project.join(".git/hooks/pre-commit")).unwrap();
    assert!(hook.contains("scan --staged"), "{hook}");
    let again = e.run(&["init", "--git-hook", "--no-hook"], "");
    assert!(
        stdout(&again).contains("already installed"),
        "{}",
        stdout(&again)
    );
    write(&e.project.join("ok.py"), "print('hello')\n");
    git(&e.project, &["add", "ok.py"]);
    git(&e.project, &["commit", "-qm", "clean"]);
    write(
        &e.project.join("leak.py"),
        &format!("t = \"{}\"\n", fake_github_token()),
    );
    git(&e.project, &["add", "leak.py"]);
    let out = git_command(&e.project)
        .args(["commit", "-qm", "leak"])
        .env("HOME", &e.home)
        .output()
        .unwrap();
    assert!(!out.status.success(), "the commit is stopped");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("github-pat"), "{said}");
    // Where ztguard is not installed, the commit is stopped too, with why.
    let out = git_command(&e.project)
        .args(["commit", "-qm", "leak"])
        .env("HOME", &e.home)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    assert!(!out.status.success(), "the commit is stopped");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("ztguard is not installed here"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Someone else's hook is not replaced without --force.
    std::fs::write(
        e.project.join(".git/hooks/pre-commit"),
        "#!/bin/sh\necho mine\n",
    )
    .unwrap();
    let out = e.run(&["init", "--git-hook", "--no-hook"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not ztguard's"), "{}", stderr(&out));
}

fn osv_record(id: &str, eco: &str, name: &str, fixed: Option<&str>) -> String {
    let mut events = vec![json!({"introduced": "0"})];
    if let Some(f) = fixed {
        events.push(json!({"fixed": f}));
    }
    json!({"schema_version": "1.7.5", "id": id, "summary": format!("test advisory for {name}"), "modified": "2026-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": eco, "name": name}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}]})
    .to_string()
}

#[test]
fn deps_update_list_and_check_offline() {
    let e = Env::new();
    let osv = e.home.join("osv");
    write(
        &osv.join("GHSA-test-0001.json"),
        &osv_record("GHSA-test-0001", "npm", "lodash", Some("4.17.21")),
    );
    write(
        &osv.join("nested/PYSEC-test-2.json"),
        &osv_record("PYSEC-test-2", "PyPI", "Django", Some("4.2.2")),
    );
    write(&osv.join("broken.json"), "{");
    let zip_path = e.home.join("mal.zip");
    {
        let f = std::fs::File::create(&zip_path).unwrap();
        let mut z = zip::ZipWriter::new(f);
        z.start_file("MAL-test-3.json", zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(
            &mut z,
            osv_record("MAL-test-3", "PyPI", "evilpkg", None).as_bytes(),
        )
        .unwrap();
        z.finish().unwrap();
    }
    let out = e.run(
        &[
            "deps",
            "update",
            "--from",
            osv.to_str().unwrap(),
            "--from",
            zip_path.to_str().unwrap(),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("3 advisories"), "{}", stderr(&out));
    write(
        &e.project.join("web/package.json"),
        "{\"dependencies\": {\"lodash\": \"4.17.20\", \"react\": \"^18.2.0\"}}\n",
    );
    write(
        &e.project.join("requirements.txt"),
        "Django==4.2.1\nevilpkg\nrequests>=2.31\n",
    );
    let out = e.run(&["deps", "list", "--json"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    for n in ["lodash", "react", "Django", "evilpkg", "requests", "x"] {
        assert!(names.contains(&n) || n == "x", "{n} in {names:?}");
    }
    let out = e.run(&["deps", "check", "--json"], "");
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules: Vec<(&str, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"].as_str().unwrap(),
                f["rule_id"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(rules.contains(&("lodash", "dep-vulnerable")), "{rules:?}");
    assert!(rules.contains(&("Django", "dep-vulnerable")), "{rules:?}");
    assert!(rules.contains(&("evilpkg", "dep-malicious")), "{rules:?}");
    assert_eq!(rules.len(), 3, "{rules:?}");
    // The hook reads the same database when a manifest edit pins a vulnerable version.
    let (d, r) = e.pre(
        "Edit",
        json!({"file_path": e.project.join("web/package.json"), "old_string": "x", "new_string": "    \"lodash\": \"4.17.20\",\n"}),
    );
    assert_eq!(d, "ask", "{r}");
    assert!(r.contains("GHSA-test-0001") && r.contains("4.17.21"), "{r}");
    let out = e.run(
        &[
            "deps",
            "check",
            "--command",
            "pip install reqeusts && npm i lodahs",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("`reqeusts` looks like a typo of `requests`") && text.contains("`lodahs`"),
        "{text}"
    );
    // Unknown names need a registry list.
    write(&e.home.join("pypi-names.txt"), "requests\nDjango\nflask\n");
    let out = e.run(
        &[
            "deps",
            "update",
            "--registry",
            &format!("pypi={}", e.home.join("pypi-names.txt").display()),
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = e.run(
        &[
            "deps",
            "check",
            "--command",
            "pip install flask huggingface-cli-helper",
        ],
        "",
    );
    assert!(
        stdout(&out).contains("`huggingface-cli-helper` is not in the offline PyPI registry list"),
        "{}",
        stdout(&out)
    );
    let out = e.run(&["deps", "update"], "");
    assert_eq!(out.status.code(), Some(2));
}

fn post(e: &Env, tool: &str, response: Value) -> Output2 {
    let ev = json!({"session_id": "s", "cwd": e.project, "hook_event_name": "PostToolUse", "tool_name": tool, "tool_input": {"command": "x"}, "tool_response": response}).to_string();
    let out = e.run(&["hook"], &ev);
    Output2 {
        code: out.status.code(),
        stdout: stdout(&out),
    }
}

struct Output2 {
    code: Option<i32>,
    stdout: String,
}

#[test]
fn hook_checks_written_content() {
    let e = Env::new();
    let key = fake_stripe_key();
    let (d, r) = e.pre(
        "Write",
        json!({"file_path": e.project.join("src/pay.py"), "content": format!("KEY = \"{key}\"\n")}),
    );
    assert_eq!(d, "deny", "{r}");
    assert!(
        r.contains("src/pay.py:1") && r.contains("Stripe") && r.contains("environment"),
        "{r}"
    );
    assert!(!r.contains(&key), "{r}");
    // The agent cannot accept its own secret with an inline comment.
    let (d, _) = e.pre("Write", json!({"file_path": e.project.join("src/pay.py"), "content": format!("KEY = \"{key}\"  # ztguard:allow\n")}));
    assert_eq!(d, "deny");
    let (d, r) = e.pre("Edit", json!({"file_path": e.project.join("src/db.py"), "old_string": "x", "new_string": "cursor.execute(f\"SELECT * FROM users WHERE id = {uid}\")\n"}));
    assert_eq!(d, "ask", "{r}");
    assert!(r.contains("CWE-89") && r.contains("parameters"), "{r}");
    let (d, r) = e.pre("Edit", json!({"file_path": e.project.join("src/db.py"), "old_string": "x", "new_string": "cursor.execute(\"SELECT * FROM users WHERE id = %s\", (uid,))\n"}));
    assert_eq!(d, "allow", "a parameterized query is fine: {r}");
    let (d, r) = e.pre("MultiEdit", json!({"file_path": e.project.join("src/a.js"), "edits": [{"old_string": "a", "new_string": "const x = 1;"}, {"old_string": "b", "new_string": "eval(userInput);"}]}));
    assert_eq!(d, "ask", "{r}");
    let (d, r) = e.pre("NotebookEdit", json!({"notebook_path": e.project.join("nb.ipynb"), "new_source": format!("token = '{}'", fake_github_token())}));
    assert_eq!(d, "deny", "{r}");
    let (d, r) = e.pre(
        "NotebookEdit",
        json!({"notebook_path": e.project.join("nb.ipynb"), "new_source": "import os\nos.system('convert ' + name)"}),
    );
    assert_eq!(d, "ask", "a notebook cell is Python: {r}");
    assert!(r.contains("CWE-78"), "{r}");
    let (d, r) = e.pre("Write", json!({"file_path": e.project.join("src/ok.py"), "content": "import os\nKEY = os.environ[\"STRIPE_KEY\"]\n"}));
    assert_eq!(d, "allow", "{r}");
    let (d, r) = e.pre("Edit", json!({"file_path": e.project.join("web/package.json"), "old_string": "x", "new_string": "    \"lodahs\": \"^4.17.0\",\n"}));
    assert_eq!(d, "ask", "{r}");
    assert!(r.contains("`lodahs` looks like a typo of `lodash`"), "{r}");
    let (d, r) = e.pre("Bash", json!({"command": "pip install reqeusts"}));
    assert_eq!(d, "ask", "{r}");
    assert!(
        r.contains("`reqeusts` looks like a typo of `requests`"),
        "{r}"
    );
}

#[test]
fn edits_are_checked_in_the_file_they_change() {
    let e = Env::new();
    let db = e.project.join("src/db.py");
    write(
        &db,
        "import os\n\ndef find(cursor, uid):\n    query = f\"SELECT * FROM users WHERE id = {uid}\"\n    return None\n\nos.system(\"ls \" + os.getcwd())\n",
    );
    // The query was built three lines above: in the file, the execute is injectable (at line 5).
    let (d, r) = e.pre(
        "Edit",
        json!({"file_path": db, "old_string": "    return None", "new_string": "    return cursor.execute(query)"}),
    );
    assert_eq!(d, "ask", "{r}");
    assert!(r.contains("src/db.py:5") && r.contains("CWE-89"), "{r}");
    // An unrelated edit is not blamed for what the file already held (the os.system line).
    let (d, r) = e.pre(
        "Edit",
        json!({"file_path": db, "old_string": "import os", "new_string": "import os\nimport sys"}),
    );
    assert_eq!(d, "allow", "{r}");
    // A token completed by an edit is seen whole.
    let cfg = e.project.join("src/cfg.py");
    let token = fake_github_token();
    write(&cfg, &format!("TOKEN = \"{}\"\n", &token[..20]));
    let (d, r) = e.pre(
        "MultiEdit",
        json!({"file_path": cfg, "edits": [{"old_string": format!("{}\"", &token[..20]), "new_string": format!("{}\"", &token[..20]).replace('"', &format!("{}\"", &token[20..]))}]}),
    );
    assert_eq!(d, "deny", "{r}");
    assert!(r.contains("src/cfg.py:1") && r.contains("GitHub"), "{r}");
}

#[test]
fn check_applies_the_same_content_checks() {
    let e = Env::new();
    write(
        &e.project.join("draft.py"),
        "import os\nos.system(\"rm -rf \" + path)\n",
    );
    let out = e.run(&["check", "write", "src/x.py", "--content", "draft.py"], "");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.starts_with("ASK") && text.contains("CWE-78") && text.contains("Fix: run the program"),
        "{text}"
    );
    let out = e.run(
        &["check", "write", "src/x.py", "--content", "-"],
        "print('hi')\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = e.run(&["check", "--json", "bash", "pip install reqeusts"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verdict"], "ask");
    assert!(
        v["reason"].as_str().unwrap().contains("typo of `requests`"),
        "{v}"
    );
    let out = e.run(&["check", "read", "x", "--content", "draft.py"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn hook_checks_secrets_in_command_lines() {
    let e = Env::new();
    let (d, r) = e.pre(
        "Bash",
        json!({"command": format!("echo 'TOKEN = {}' >> app.py", fake_github_token())}),
    );
    assert_eq!(d, "deny", "{r}");
    assert!(
        r.contains("command line carries a GitHub personal access token")
            && r.contains("ghp_…(40 chars)"),
        "{r}"
    );
    assert!(!r.contains(&fake_github_token()));
    // A format the quoting redactor does not know is still hidden everywhere.
    let slack = format!(
        "xapp-1-A04K9TBQZ7M-5829301746182-{}",
        "9f3c1a7e5b2d4068c1e7a93b5d2f8e6a0c4b7d9e1f3a5c8b2d6e0f4a7c9b1d3e"
    );
    let out = e.run(&["check", "--json", "bash", &format!("echo {slack}")], "");
    let text = stdout(&out);
    assert!(
        text.contains("\"verdict\": \"deny\"") && text.contains("Slack app-level token"),
        "{text}"
    );
    assert!(!text.contains("9f3c1a7e5b2d4068"), "{text}");
    let (d, r) = e.pre(
        "Bash",
        json!({"command": "git commit -m 'rotate the token handling'"}),
    );
    assert_eq!(d, "allow", "{r}");
}

#[test]
fn not_secrets_placeholders_references_hashes_lockfiles() {
    let e = Env::new();
    std::fs::remove_file(e.project.join(".env")).unwrap();
    write(
        &e.project.join("settings.py"),
        "import os\nAPI_KEY = os.environ[\"API_KEY\"]\nPASSWORD = \"${DB_PASSWORD}\"\nAWS_KEY = \"AKIAIOSFODNN7EXAMPLE\"\ntoken = \"your_token_here\"\nsession_token = \"123e4567-e89b-12d3-a456-426614174000\"\nfile_sha256 = \"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\"\n",
    );
    write(
        &e.project.join("web/package-lock.json"),
        "{\"packages\": {\"node_modules/x\": {\"integrity\": \"sha512-Qf3fz2mVx0ZJ7n9kVx8bXw2yT5u1LkQ7aQ9dR3fS5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5oP7qR9sT1uV3wX5yZ7==\", \"token\": \"ghp_aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5\"}}}\n",
    );
    let out = e.run(&["scan", "--only", "secrets"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn scan_settings_from_the_policy() {
    let e = Env::new();
    let sqli = json!({"file_path": e.project.join("src/db.py"), "old_string": "x", "new_string": "cursor.execute(\"SELECT \" + name)\n"});
    write(
        &e.project.join(".ztguard.toml"),
        "[files]\nwrite = [\"**\"]\n[tools]\nallow = [\"Edit\", \"Write\"]\n[scan]\non_insecure_code = \"deny\"\n",
    );
    let (d, r) = e.pre("Edit", sqli.clone());
    assert_eq!(d, "deny", "{r}");
    // Relaxing is for the user policy: a project can only tighten.
    std::fs::remove_file(e.project.join(".ztguard.toml")).unwrap();
    write(
        &e.home.join(".config/ztguard/policy.toml"),
        "[files]\nwrite = [\"**\"]\n[tools]\nallow = [\"Edit\", \"Write\"]\n[scan]\non_insecure_code = \"warn\"\non_secret = \"warn\"\n",
    );
    let out = e.run(&["hook"], &e.event("PreToolUse", "Edit", sqli));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "allow");
    assert!(
        v["systemMessage"].as_str().unwrap().contains("CWE-89"),
        "{v}"
    );
    // A policy cannot let secrets through silently: "warn" becomes "ask".
    let (d, _) = e.pre("Write", json!({"file_path": e.project.join("x.py"), "content": format!("k = \"{}\"\n", fake_stripe_key())}));
    assert_eq!(d, "ask");
    write(
        &e.project.join(".ztguard.toml"),
        "[scan]\non_insecure_code = \"sometimes\"\n",
    );
    let out = e.run(
        &["hook"],
        &e.event(
            "PreToolUse",
            "Edit",
            json!({"file_path": e.project.join("a.py"), "old_string": "x", "new_string": "y"}),
        ),
    );
    assert_eq!(out.status.code(), Some(2), "a bad policy fails closed");
    assert!(
        stderr(&out).contains("unknown variant `sometimes`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn post_tool_use_reports_secrets_in_output() {
    let e = Env::new();
    let o = post(
        &e,
        "Bash",
        json!({"stdout": format!("GITHUB_TOKEN={}\n", fake_github_token()), "stderr": ""}),
    );
    assert_eq!(o.code, Some(0));
    let v: Value = serde_json::from_str(&o.stdout).expect("json");
    let msg = v["systemMessage"].as_str().unwrap();
    assert!(
        msg.contains("GitHub personal access token") && msg.contains("ghp_…(40 chars)"),
        "{msg}"
    );
    assert!(!o.stdout.contains(&fake_github_token()));
    assert_eq!(v["hookSpecificOutput"]["hookEventName"], "PostToolUse");
    let o = post(&e, "Bash", json!({"stdout": "all good\n", "stderr": ""}));
    assert_eq!((o.code, o.stdout.as_str()), (Some(0), ""));
}

/// Import OSV records (written as files) into the test HOME's data directory.
fn import_osv(e: &Env, records: &[String]) {
    let dir = e.home.join("osv-import");
    for (i, r) in records.iter().enumerate() {
        write(&dir.join(format!("r{i}.json")), r);
    }
    let out = e.run(&["deps", "update", "--from", dir.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_missing_vulnerability_database_is_said_in_every_output() {
    let e = Env::new();
    write(&e.project.join("requirements.txt"), "jinja2>=3.1.2\n");
    let out = e.run(&["scan", "--only", "deps"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("warning: no vulnerability database: PyPI dependencies were not checked"),
        "{text}"
    );
    assert!(
        !text.contains("npm") && !text.contains("crates.io"),
        "only the ecosystems in use: {text}"
    );
    let out = e.run(&["scan", "--only", "deps", "--format", "json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["warnings"][0]["code"], "vuln-db-missing", "{v:#}");
    assert!(stderr(&out).contains("warning: no vulnerability database"));
    let out = e.run(&["scan", "--only", "deps", "--format", "sarif"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let n = &v["runs"][0]["invocations"][0]["toolExecutionNotifications"][0];
    assert_eq!(n["descriptor"]["id"], "vuln-db-missing", "{v:#}");
    assert_eq!(n["level"], "warning");
    assert!(n["message"]["text"].as_str().unwrap().contains("PyPI"));
    // --require-db turns it into a failure, in scan and deps check.
    let out = e.run(&["scan", "--only", "deps", "--require-db"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let out = e.run(&["deps", "check"], "");
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stdout(&out).contains("warning: no vulnerability database: PyPI"),
        "{}",
        stdout(&out)
    );
    assert!(
        !stderr(&out).contains("npm") && !stderr(&out).contains("Go"),
        "notes only for ecosystems in use: {}",
        stderr(&out)
    );
    let out = e.run(&["deps", "check", "--json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["warnings"][0]["code"], "vuln-db-missing", "{v:#}");
    let out = e.run(&["deps", "check", "--require-db"], "");
    assert_eq!(out.status.code(), Some(2));
    // A database without this ecosystem's advisories is no better.
    import_osv(
        &e,
        &[osv_record("GHSA-n", "npm", "lodash", Some("4.17.21"))],
    );
    let out = e.run(&["scan", "--only", "deps", "--format", "json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["warnings"][0]["code"], "vuln-db-ecosystem-missing",
        "{v:#}"
    );
    import_osv(&e, &[osv_record("PYSEC-x", "PyPI", "other", Some("1.0"))]);
    let out = e.run(&["scan", "--only", "deps", "--require-db"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(!stdout(&out).contains("warning"), "{}", stdout(&out));
    // No manifest, no warning.
    let bare = Env::new();
    let out = bare.run(&["scan", "--only", "deps", "--format", "json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["warnings"], json!([]), "{v:#}");
}

#[test]
fn the_pre_commit_hook_says_the_database_is_missing() {
    let e = Env::new();
    std::fs::remove_dir_all(e.project.join(".git")).unwrap();
    git(&e.project, &["init", "-q"]);
    let out = e.run(&["init", "--git-hook", "--no-hook"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let hook = std::fs::read_to_string(e.project.join(".git/hooks/pre-commit")).unwrap();
    assert!(
        hook.contains("entries are kept")
            && hook.contains("--prune-baseline")
            && hook.contains("--require-db"),
        "{hook}"
    );
    write(&e.project.join("requirements.txt"), "jinja2==3.1.4\n");
    git(&e.project, &["add", "requirements.txt"]);
    let out = git_command(&e.project)
        .args(["commit", "-qm", "deps"])
        .env("HOME", &e.home)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert!(
        said.contains("warning: no vulnerability database: PyPI"),
        "{said}"
    );
}

#[test]
fn a_stale_database_is_said() {
    let e = Env::new();
    write(&e.project.join("requirements.txt"), "jinja2==3.1.4\n");
    import_osv(&e, &[osv_record("PYSEC-x", "PyPI", "other", Some("1.0"))]);
    let meta = e.home.join(".local/share/ztguard/osv/meta.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&meta).unwrap()).unwrap();
    m["updated"] = json!(1_000_000_000u64);
    std::fs::write(&meta, m.to_string()).unwrap();
    let out = e.run(&["scan", "--only", "deps"], "");
    assert!(
        stdout(&out).contains("warning: the vulnerability database was imported"),
        "{}",
        stdout(&out)
    );
    let out = e.run(&["deps", "check", "--require-db"], "");
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
}

#[test]
fn lockfiles_decide_versions_and_findings_point_at_their_lines() {
    let e = Env::new();
    import_osv(
        &e,
        &[
            osv_record("GHSA-h5c8-rqwp-cp95", "PyPI", "jinja2", Some("3.1.3")),
            osv_record("GHSA-flask", "PyPI", "flask", Some("0.1")),
            osv_record("GHSA-l", "npm", "lodash", Some("4.17.21")),
            osv_record("RUSTSEC-s", "crates.io", "smallvec", Some("1.6.1")),
        ],
    );
    let pyproject = "[project]\nname = \"flask-example-celery\"\nversion = \"0.1\"\ndependencies = [\n  \"flask\",\n  \"jinja2>=3.1.2\",\n]\n";
    write(&e.project.join("pyproject.toml"), pyproject);
    // No lockfile: the range allows vulnerable versions (low), and is not "affected".
    let out = e.run(&["scan", "--only", "deps"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = e.run(&["scan", "--only", "deps", "--min-severity", "low"], "");
    let text = stdout(&out);
    assert!(
        text.contains("pyproject.toml:6:1: low [dep-vulnerable-range CWE-1395]")
            && text.contains("range allows vulnerable versions"),
        "{text}"
    );
    assert!(
        !text.contains("pyproject.toml:2:"),
        "line 2 is the project's name: {text}"
    );
    // uv.lock pins 3.1.4: judged by it, nothing to say.
    let lock = "version = 1\n\n[[package]]\nname = \"flask-example-celery\"\nversion = \"0.1\"\nsource = { editable = \".\" }\n\n[[package]]\nname = \"jinja2\"\nversion = \"3.1.4\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"flask\"\nversion = \"3.0.0\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
    write(&e.project.join("uv.lock"), lock);
    let out = e.run(&["scan", "--only", "deps", "--min-severity", "low"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    // uv.lock pins 3.1.2: reported on the lockfile's own entry.
    write(&e.project.join("uv.lock"), &lock.replace("3.1.4", "3.1.2"));
    let out = e.run(&["scan", "--only", "deps"], "");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("uv.lock:9:1: high [dep-vulnerable CWE-1395]")
            && text.contains("`jinja2@3.1.2` is affected by GHSA-h5c8-rqwp-cp95"),
        "{text}"
    );
    assert_eq!(text.matches("dep-vulnerable").count(), 1, "{text}");
    // npm and Cargo lockfiles, through deps check.
    write(
        &e.project.join("web/package.json"),
        "{\n  \"dependencies\": {\n    \"lodash\": \"^4.17.0\"\n  }\n}\n",
    );
    write(
        &e.project.join("web/package-lock.json"),
        "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {},\n    \"node_modules/lodash\": {\n      \"version\": \"4.17.20\"\n    }\n  }\n}\n",
    );
    write(
        &e.project.join("Cargo.lock"),
        "version = 4\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    let out = e.run(&["deps", "check"], "");
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("web/package-lock.json:5: high [dep-vulnerable]"),
        "{text}"
    );
    assert!(
        text.contains("Cargo.lock:4: high [dep-vulnerable]"),
        "{text}"
    );
    assert!(
        !text.contains("web/package.json"),
        "the lockfile answers: {text}"
    );
    assert!(
        !text.contains("High"),
        "severities in lowercase, as scan: {text}"
    );
}

#[test]
fn write_baseline_merges_and_prunes_only_on_request() {
    let e = seeded();
    let base = e.project.join(".ztguard/baseline.json");
    let entries = || -> usize {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&base).unwrap()).unwrap();
        v["findings"].as_array().unwrap().len()
    };
    let out = e.run(&["scan", "--write-baseline", ".ztguard/baseline.json"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("3 added, 0 already present; 3 entries"),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(), 3);
    // The pre-commit hook's advice with nothing staged: nothing is wiped.
    git(&e.project, &["add", "-A"]);
    git(&e.project, &["commit", "-qm", "base"]);
    let out = e.run(
        &[
            "scan",
            "--staged",
            "--write-baseline=.ztguard/baseline.json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 added, 0 already present; 3 entries"),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(), 3);
    // Again over the tree: all present.
    let out = e.run(&["scan", "--write-baseline", ".ztguard/baseline.json"], "");
    assert!(
        stderr(&out).contains("0 added, 3 already present; 3 entries"),
        "{}",
        stderr(&out)
    );
    // Pruning needs the whole tree.
    for partial in [vec!["--staged"], vec!["app.py"], vec!["--only", "secrets"]] {
        let mut args = vec![
            "scan",
            "--write-baseline",
            ".ztguard/baseline.json",
            "--prune-baseline",
        ];
        args.extend(partial.iter().copied());
        let out = e.run(&args, "");
        assert_eq!(out.status.code(), Some(2), "{partial:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("whole tree"), "{}", stderr(&out));
    }
    assert_eq!(entries(), 3);
    // The secret is fixed: kept without --prune-baseline, dropped with it.
    write(
        &e.project.join("app.py"),
        "import os\nos.system(\"ls \" + d)\n",
    );
    let out = e.run(&["scan", "--write-baseline", ".ztguard/baseline.json"], "");
    assert!(stderr(&out).contains("; 3 entries"), "{}", stderr(&out));
    let out = e.run(
        &[
            "scan",
            "--write-baseline",
            ".ztguard/baseline.json",
            "--prune-baseline",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("1 pruned (no longer found); 2 entries"),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(), 2);
    // A file that is not a baseline is not overwritten.
    std::fs::write(&base, "not json").unwrap();
    let out = e.run(&["scan", "--write-baseline", ".ztguard/baseline.json"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&base).unwrap(), "not json");
}

#[test]
fn install_command_findings_and_malicious_packages_are_reported_as_they_are() {
    let e = Env::new();
    import_osv(&e, &[osv_record("MAL-test-9", "PyPI", "evilpkg", None)]);
    let out = e.run(
        &["deps", "check", "--command", "pip install reqeusts evilpkg"],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("command: high [dep-typosquat]"), "{text}");
    assert!(text.contains("command: high [dep-malicious]"), "{text}");
    assert!(!text.contains("command:0"), "{text}");
    let out = e.run(
        &[
            "deps",
            "check",
            "--json",
            "--command",
            "pip install evilpkg",
        ],
        "",
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = &v["findings"][0];
    assert_eq!(f["command"], "pip install evilpkg", "{v:#}");
    assert!(f.get("line").is_none() && f["severity"] == "high", "{v:#}");
    // The hook denies it by the built-in rule, whatever the setting says.
    let (d, r) = e.pre("Bash", json!({"command": "pip install evilpkg"}));
    assert_eq!(d, "deny", "{r}");
    let audit = e.audit();
    let last = audit.last().unwrap().to_string();
    assert!(
        last.contains("always denied") && !last.contains("on_risky_dependency = \\\"deny\\\""),
        "{last}"
    );
}

/// The repository's own tree scans clean: its fake credentials are in the
/// reviewed baseline or carry a rule-scoped ignore, so a new one fails here.
#[test]
fn this_repository_scans_clean() {
    let e = Env::new();
    let mut c = e.cmd(&["scan", "--no-progress", "--format", "json"]);
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    let out = c.output().expect("scan");
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(out.status.code(), Some(0), "{v:#}");
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{v:#}");
}
