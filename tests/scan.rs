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
