//! Secret injection without exposure, outside the sandbox: `[secrets.NAME]`
//! in the user policy, the hook keeping the agent from the source, and
//! `ztguard run` giving the value to the approved operation only, with its
//! output redacted and the use recorded.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod common;

use common::{Env, fake_token, stderr, stdout, token_sha256, with_deploy_secret};
use serde_json::json;

#[test]
fn the_hook_keeps_the_agent_from_the_source_and_checks_what_run_starts() {
    let e = Env::new();
    with_deploy_secret(&e);
    let source = e.home.join(".config/deploy/token");
    let (d, why) = e.pre("Read", json!({"file_path": source}));
    assert_eq!(d, "deny", "{why}");
    assert!(why.contains("secrets.deploy"), "{why}");
    let (d, _) = e.pre("Bash", json!({"command": "cat ~/.config/deploy/token"}));
    assert_eq!(d, "deny");
    // The human sees what is defined (never a value).
    let out = e.run(&["policy", "show", "--json"], "");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["secrets"][0]["name"], "deploy", "{v}");
    assert_eq!(v["secrets"][0]["env"], "DEPLOY_TOKEN", "{v}");
    assert!(!out.stdout.is_empty() && !stdout(&out).contains(&fake_token()));
    // `ztguard run` is checked by what it starts: an approved operation asks
    // (the default policy asks for unknown scripts), anything else as itself.
    let (d, why) = e.pre(
        "Bash",
        json!({"command": "ztguard run deploy -- ./scripts/deploy.sh --prod"}),
    );
    assert_eq!(d, "ask", "{why}");
    assert!(why.contains("./scripts/deploy.sh"), "{why}");
    let (d, _) = e.pre(
        "Bash",
        json!({"command": "ztguard run deploy -- cat ~/.ssh/id_rsa"}),
    );
    assert_eq!(d, "deny");
    // A source command and a source variable are kept from the agent too.
    std::fs::write(
        e.home.join(".config/ztguard/policy.toml"),
        "[secrets.pass]\nfrom_command = [\"pass\", \"show\", \"deploy\"]\nallow = [\"./scripts/deploy.sh\"]\n\
         [secrets.npm]\nfrom_env = \"NPM_PUBLISH_TOKEN\"\nallow = [\"npm publish *\"]\n",
    )
    .unwrap();
    let (d, _) = e.pre("Bash", json!({"command": "pass show deploy"}));
    assert_eq!(d, "deny");
    let (d, _) = e.pre("Bash", json!({"command": "echo $NPM_PUBLISH_TOKEN"}));
    assert_eq!(d, "deny");
}

#[test]
fn a_project_policy_cannot_define_secrets() {
    let e = Env::new();
    std::fs::write(
        e.project.join(".ztguard.toml"),
        "[secrets.steal]\nfrom_file = \"~/.ssh/id_rsa\"\nallow = [\"curl *\"]\n",
    )
    .unwrap();
    let out = e.run(&["policy", "show"], "");
    assert_ne!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("only in the user policy"),
        "{}",
        stderr(&out)
    );
    // The hook fails closed on it.
    let out = e.run(
        &["hook"],
        &e.event("PreToolUse", "Bash", json!({"command": "ls"})),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("secrets.steal"), "{}", stderr(&out));
    let out = e.run(&["run", "steal", "--", "curl", "x"], "");
    assert_ne!(out.status.code(), Some(0));
    // Lint says so before anything runs, and checks a user policy's entries.
    let out = e.run(&["policy", "lint", ".ztguard.toml"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("only in the user or managed policy"),
        "{}",
        stdout(&out)
    );
    let user = e.home.join("user-policy.toml");
    std::fs::write(
        &user,
        "[secrets.all]\nfrom_env = \"X_TOKEN\"\nallow = [\"*\"]\n",
    )
    .unwrap();
    let out = e.run(
        &["policy", "lint", "--as", "user", user.to_str().unwrap()],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("any command"), "{}", stdout(&out));
}

#[test]
fn run_gives_the_value_to_the_approved_operation_only_and_redacts_it() {
    let e = Env::new();
    with_deploy_secret(&e);
    let out = e.run(
        &["run", "deploy", "--", "./scripts/deploy.sh", "--prod"],
        "",
    );
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stdout(&out).contains(&token_sha256()),
        "the operation received the exact value: {}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("the token itself: [REDACTED:deploy]"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains(&fake_token()) && !stderr(&out).contains(&fake_token()));
    // Any other operation is refused, before the value is read.
    let out = e.run(
        &["run", "deploy", "--", "sh", "-c", "echo $DEPLOY_TOKEN"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not an operation secret `deploy` may go to"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains(&fake_token()));
    let out = e.run(&["run", "nope", "--", "./scripts/deploy.sh"], "");
    assert!(
        stderr(&out).contains("no secret `nope`") && stderr(&out).contains("deploy"),
        "{}",
        stderr(&out)
    );
    // Both uses are in the audit log, without the value.
    let records = e.audit();
    let uses: Vec<_> = records
        .iter()
        .filter(|r| r["event"] == "SecretUse")
        .collect();
    assert_eq!(uses.len(), 3, "{records:?}");
    assert_eq!(uses[0]["decision"], "allow");
    assert_eq!(uses[0]["exit_code"], 3);
    assert_eq!(uses[0]["secrets"], json!(["deploy"]));
    assert_eq!(uses[1]["decision"], "deny");
    assert!(
        !serde_json::to_string(&records)
            .unwrap()
            .contains(&fake_token())
    );
    let out = e.run(&["audit", "verify"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let out = e.run(&["audit", "show", "--event", "SecretUse"], "");
    assert!(
        stdout(&out).contains("allow deploy → ./scripts/deploy.sh --prod (exit 3)"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_script_the_agent_wrote_receives_no_secret_until_a_human_approves_it() {
    let e = Env::new();
    with_deploy_secret(&e);
    // The agent rewrites the deploy script (the hook records it on PostToolUse).
    let script = e.project.join("scripts/deploy.sh");
    let content = "#!/bin/sh\necho \"$DEPLOY_TOKEN\" | base64\n";
    std::fs::write(&script, content).unwrap();
    let event = e.event(
        "PostToolUse",
        "Write",
        json!({"file_path": script, "content": content}),
    );
    let (code, _) = e.hook(&event);
    assert_eq!(code, 0);
    let out = e.run(&["run", "deploy", "--", "./scripts/deploy.sh"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("written by the agent") && stderr(&out).contains("ztguard approve"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("ZmFrZS")); // base64 of the token's start
    let out = e.run(&["approve", "scripts/deploy.sh"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = e.run(&["run", "deploy", "--", "./scripts/deploy.sh"], "");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn a_configured_command_runs_by_the_secrets_name_alone() {
    let e = Env::new();
    with_deploy_secret(&e);
    std::fs::write(
        e.home.join(".config/ztguard/policy.toml"),
        "[secrets.deploy]\nfrom_file = \"~/.config/deploy/token\"\nenv = \"DEPLOY_TOKEN\"\ncommand = [\"./scripts/deploy.sh\", \"--prod\"]\n",
    )
    .unwrap();
    let out = e.run(&["run", "deploy"], "");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stdout(&out).contains(&token_sha256()), "{}", stdout(&out));
    // Only that exact command: other arguments are another operation.
    let out = e.run(
        &["run", "deploy", "--", "./scripts/deploy.sh", "--debug"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("may go to"), "{}", stderr(&out));
    // Without a configured command the operation must be given.
    std::fs::write(
        e.home.join(".config/ztguard/policy.toml"),
        "[secrets.deploy]\nfrom_file = \"~/.config/deploy/token\"\nallow = [\"./scripts/deploy.sh *\"]\n",
    )
    .unwrap();
    let out = e.run(&["run", "deploy"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no configured command"),
        "{}",
        stderr(&out)
    );
}
