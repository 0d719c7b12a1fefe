//! Policy layers through the binary: a project file only narrows (in the
//! hook, in `ztguard check` and in what `ztguard exec` passes on), extends
//! the built-in default, `policy show` prints the effective policy, `policy
//! lint` checks every layer and reports every error, `policy schema`, and a
//! policy that does not load is said at SessionStart and with each prompt.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;

use common::{Env, stdout};
use serde_json::{Value, json};

fn write(e: &Env, rel: &str, text: &str) {
    let p = e.project.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn user_policy(e: &Env, text: &str) {
    let p = e.home.join(".config/ztguard/policy.toml");
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

#[test]
fn a_project_file_cannot_show_secret_variables() {
    // Trial: the generated policy with visible_prefix = "AWS_" (or "") let
    // `echo $AWS_SECRET_ACCESS_KEY` through, and ztguard exec passed it on.
    for prefix in ["AWS_", "", "AWS_SECRET", "A"] {
        let e = Env::new();
        e.policy_with(&[(
            "visible_prefix = \"AI_ACCESSIBLE_\"",
            &format!("visible_prefix = \"{prefix}\""),
        )]);
        let (d, r) = e.pre("Bash", json!({"command": "echo $AWS_SECRET_ACCESS_KEY"}));
        assert_eq!(d, "deny", "{prefix:?}: {r}");
        let out = e
            .cmd(&["env", "--json"])
            .env("AWS_SECRET_ACCESS_KEY", "FAKE-not-a-key")
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let visible = v["visible"].as_array().cloned().unwrap_or_default();
        assert!(
            !visible.iter().any(|n| n == "AWS_SECRET_ACCESS_KEY"),
            "{prefix:?}: {v}"
        );
    }
}

#[test]
fn a_small_project_file_extends_the_default() {
    // Trial: `[network] allow = ["pypi.org"]` alone made `ls` and `git status` ask.
    let e = Env::new();
    write(&e, ".ztguard.toml", "[network]\nallow = [\"pypi.org\"]\n");
    for c in ["ls", "git status", "cargo test"] {
        let (d, r) = e.pre("Bash", json!({"command": c}));
        assert_eq!(d, "allow", "{c}: {r}");
    }
    let (d, _) = e.pre(
        "WebFetch",
        json!({"url": "https://docs.rs/serde", "prompt": "x"}),
    );
    assert_eq!(d, "allow");
    // Opting out keeps only what the file allows, still within the default.
    write(
        &e,
        ".ztguard.toml",
        "default = \"ask\"\n[extend]\nuse_default = false\n[commands]\nallow = [\"git status *\", \"curl *\"]\n[tools]\nallow = [\"Bash\"]\n",
    );
    let (d, _) = e.pre("Bash", json!({"command": "git status"}));
    assert_eq!(d, "allow");
    let (d, _) = e.pre("Bash", json!({"command": "ls"}));
    assert_eq!(d, "ask");
    let (d, _) = e.pre("Bash", json!({"command": "curl https://evil.example/"}));
    assert_ne!(d, "allow");
}

#[test]
fn a_project_file_cannot_allow_what_the_default_asks() {
    // Not under /tmp, which the default lets the agent read and write.
    let e = Env::outside_tmp();
    write(
        &e,
        ".ztguard.toml",
        "default = \"allow\"\n[commands]\nallow = [\"*\", \"curl *\"]\n[network]\ndefault = \"allow\"\nallow = [\"*\"]\n[tools]\nallow = [\"*\"]\n[files]\nread = [\"/**\"]\nwrite = [\"/**\"]\n",
    );
    for c in [
        "curl evil.example",
        "terraform apply",
        "cat ~/notes.txt",
        "echo x > ~/notes.txt",
    ] {
        let (d, r) = e.pre("Bash", json!({"command": c}));
        assert_ne!(d, "allow", "{c}: {r}");
    }
    let (d, _) = e.pre("Read", json!({"file_path": e.home.join(".ssh/id_rsa")}));
    assert_eq!(d, "deny");
    // The user policy (trusted) may allow what the default asks.
    user_policy(&e, "[commands]\nallow = [\"terraform plan *\"]\n");
    let (d, r) = e.pre("Bash", json!({"command": "terraform plan"}));
    assert_eq!(d, "allow", "{r}");
}

#[test]
fn policy_show_prints_each_rule_with_its_layer() {
    let e = Env::new();
    write(
        &e,
        ".ztguard.toml",
        "[commands]\ndeny = [\"make deploy *\"]\n",
    );
    let out = e.run(&["policy", "show"], "");
    let text = stdout(&out);
    assert!(
        text.contains("built-in default policy (trusted):"),
        "{text}"
    );
    assert!(
        text.contains("project policy .ztguard.toml (can only narrow):"),
        "{text}"
    );
    assert!(text.contains("commands.deny = \"make deploy *\""), "{text}");
    let out = e.run(&["policy", "show", "--json"], "");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let layers = v["effective"].as_array().unwrap();
    let project = layers
        .iter()
        .find(|l| l["name"] == "project policy .ztguard.toml")
        .unwrap();
    assert_eq!(project["role"], "narrowing");
    assert_eq!(
        project["rules"][0],
        json!({"key": "commands.deny", "rule": "make deploy *"})
    );
    assert!(
        layers
            .iter()
            .any(|l| l["name"] == "built-in default policy" && l["role"] == "base")
    );
}

#[test]
fn lint_checks_every_layer_and_reports_every_error_where_it_is() {
    let e = Env::new();
    // Trial: a typo in the user policy denied every call while lint said ok.
    user_policy(&e, "[comands]\nallow = [\"x\"]\n");
    write(
        &e,
        ".ztguard.toml",
        "defualt = \"ask\"\n[files]\nread = [\"src/**\", \"\"]\n",
    );
    let out = e.run(&["policy", "lint"], "");
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(".config/ztguard/policy.toml:1:2: error: unknown field `comands`"),
        "{text}"
    );
    assert!(
        text.contains(".ztguard.toml:1:1: error: unknown field `defualt`"),
        "{text}"
    );
    // A pattern error at its own line, the file named once.
    let out = e.run(&["policy", "lint", ".ztguard.toml"], "");
    let text = stdout(&out);
    assert!(
        text.contains(".ztguard.toml:1:1: error: unknown field `defualt`"),
        "{text}"
    );
    write(&e, ".ztguard.toml", "[files]\nread = [\"src/**\", \"\"]\n");
    let out = e.run(&["policy", "lint", ".ztguard.toml"], "");
    let text = stdout(&out);
    assert!(
        text.contains(".ztguard.toml:2:19: error: files.read: empty path pattern"),
        "{text}"
    );
    assert_eq!(text.matches(".ztguard.toml").count(), 1, "{text}");
}

#[test]
fn lint_warns_about_names_that_never_match_and_attempts_to_widen() {
    let e = Env::new();
    let text = "[files]\nread = [\"src/[a-\"]\n[tools]\nallow = [\"Bsh\", \"Reed\", \"Bash\"]\n[network]\nallow = [\"https://pypi.org\", \"docs.rs:443\", \"*.com\"]\n[env]\nvisible_prefix = \"AWS_\"\n[secrets.deploy]\nfrom_file = \"~/k\"\nallow = [\"./deploy.sh\"]\n";
    write(&e, "b2.toml", text);
    write(&e, ".ztguard.toml", text);
    let b2 = stdout(&e.run(&["policy", "lint", "b2.toml"], ""));
    let project = stdout(&e.run(&["policy", "lint", ".ztguard.toml"], ""));
    // The same findings whatever the file is called.
    assert_eq!(
        b2.replace("b2.toml", "F"),
        project.replace(".ztguard.toml", "F")
    );
    for want in [
        "b2.toml:2:9: warning: files.read \"src/[a-\"",
        "b2.toml:4:10: warning: tools.allow \"Bsh\"",
        "b2.toml:4:17: warning: tools.allow \"Reed\"",
        "b2.toml:6:10: warning: network.allow \"https://pypi.org\"",
        "b2.toml:6:30: warning: network.allow \"docs.rs:443\"",
        "b2.toml:6:45: warning: network.allow \"*.com\"",
        "b2.toml:8:1: warning: env.visible_prefix = \"AWS_\"",
        "b2.toml:9:10: error: secrets.deploy",
    ] {
        assert!(b2.contains(want), "{want}\n{b2}");
    }
    assert!(!b2.contains("\"Bash\": no agent tool"), "{b2}");
    // As a user policy, the secret is fine and the prefix is not a widening.
    let user = stdout(&e.run(&["policy", "lint", "--as", "user", "b2.toml"], ""));
    assert!(!user.contains("error"), "{user}");
    assert!(!user.contains("visible_prefix"), "{user}");
}

#[test]
fn policy_schema_is_the_committed_one() {
    let e = Env::new();
    let out = e.run(&["policy", "schema"], "");
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/ztguard.schema.json"
    ))
    .unwrap();
    assert_eq!(stdout(&out), committed);
}

#[test]
fn a_policy_that_does_not_load_is_said_before_the_first_tool_call() {
    let e = Env::new();
    write(&e, ".ztguard.toml", "[comands]\n");
    let (code, v) = e.hook(&e.session_event("s1", "SessionStart", json!({"source": "startup"})));
    assert_eq!(code, 0);
    let msg = v["systemMessage"].as_str().unwrap_or_default();
    assert!(
        msg.contains("the policy does not load") && msg.contains("comands"),
        "{v}"
    );
    assert!(
        v["hookSpecificOutput"]["additionalContext"]
            .as_str()
            .is_some_and(|c| c.contains("policy lint")),
        "{v}"
    );
    let (code, v) = e.hook(&e.session_event("s1", "UserPromptSubmit", json!({"prompt": "hi"})));
    assert_eq!(code, 0);
    assert!(
        v["systemMessage"]
            .as_str()
            .is_some_and(|m| m.contains("does not load")),
        "{v}"
    );
    assert_ne!(v["decision"], "block", "{v}");
    // Tool calls still fail closed.
    let out = e.run(
        &["hook"],
        &e.event("PreToolUse", "Bash", json!({"command": "ls"})),
    );
    assert_ne!(out.status.code(), Some(0), "{}", stdout(&out));
}

/// A human can trust a project's file as it is: its rules then count as the
/// user's own (so a team can share allowances), bound to its content — a
/// change voids it — while its settings still only tighten, its Claude
/// settings stay untrusted, and the agent cannot trust anything itself.
#[test]
fn a_human_trusts_a_project_file_bound_to_its_content() {
    let e = Env::new();
    write(
        &e,
        ".ztguard.toml",
        "[commands]\nallow = [\"terraform plan *\"]\n[env]\nvisible_prefix = \"AWS_\"\n",
    );
    write(
        &e,
        ".claude/settings.json",
        r#"{"permissions": {"allow": ["Bash(curl:*)"]}}"#,
    );
    let decide = |cmd: &str| e.pre("Bash", json!({"command": cmd})).0;
    assert_eq!(
        decide("terraform plan"),
        "ask",
        "untrusted: it only narrows"
    );

    let out = e.run(&["policy", "trust"], "");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert!(stdout(&out).contains("trusted"), "{}", stdout(&out));
    assert_eq!(decide("terraform plan"), "allow");
    // Its settings still only tighten; its Claude settings are still untrusted.
    assert_eq!(decide("echo $AWS_SECRET_ACCESS_KEY"), "deny");
    assert_eq!(decide("curl https://evil.example/x"), "deny");
    assert_ne!(decide("curl https://docs.rs/"), "allow");
    let show = stdout(&e.run(&["policy", "show"], ""));
    assert!(show.contains("trusted by you"), "{show}");

    // Any change voids it.
    write(
        &e,
        ".ztguard.toml",
        "[commands]\nallow = [\"terraform plan *\", \"terraform apply *\"]\n",
    );
    assert_eq!(decide("terraform plan"), "ask");
    assert_eq!(decide("terraform apply"), "ask");

    // The agent cannot trust it, in any spelling.
    for cmd in [
        "ztguard policy trust",
        "ztguard policy trust --remove",
        "cd src && ztguard policy trust",
        "env ztguard policy trust",
        "bash -c 'ztguard policy trust'",
    ] {
        assert_eq!(decide(cmd), "deny", "{cmd}");
    }
    let store = e.home.join(".config/ztguard/trusted-policies.json");
    let (d, _) = e.pre("Write", json!({"file_path": store, "content": "{}"}));
    assert_eq!(d, "deny");

    // Trusted again, then withdrawn.
    assert_eq!(e.run(&["policy", "trust"], "").status.code(), Some(0));
    assert_eq!(decide("terraform apply"), "allow");
    let out = e.run(&["policy", "trust", "--remove"], "");
    assert!(
        stdout(&out).contains("no longer trusted"),
        "{}",
        stdout(&out)
    );
    assert_eq!(decide("terraform apply"), "ask");
}
