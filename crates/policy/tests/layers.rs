//! Layering, profiles, strict mode, the Claude Code import and policy errors.

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod fixture;

use fixture::Fixture;
use ztguard_policy::{Action, LoadOptions, Policy, PolicyError, Verdict};

fn write(path: &std::path::Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

#[test]
fn a_project_policy_extends_the_default_and_only_narrows() {
    let fx = Fixture::with(|p, _| {
        write(
            &p.join(".ztguard.toml"),
            "[commands]\nallow = [\"cat *\", \"terraform plan *\"]\nask = [\"git push *\"]\n[files]\nread = [\"**\"]\n[tools]\nallow = [\"Bash\", \"Read\"]\n",
        );
    });
    // The built-in default asks about terraform: a project cannot allow it.
    let d = fx.decide("bash", "terraform plan", None);
    assert_eq!(d.verdict, Verdict::Ask, "{}", d.reason);
    assert!(d.rule.contains("built-in default policy"), "{}", d.rule);
    // git status is in the built-in default, which the project extends.
    assert_eq!(
        fx.decide("bash", "git status", None).verdict,
        Verdict::Allow
    );
    // the protections still deny credentials even though `cat *` and `**` allow
    let d = fx.decide("bash", "cat .env", None);
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.rule.contains("built-in protections"), "{}", d.rule);
    // The same allow in the user policy (trusted) edits the default.
    let fx = Fixture::with(|_, h| {
        write(
            &h.join(".config/ztguard/policy.toml"),
            "[commands]\nallow = [\"terraform plan *\"]\n",
        );
    });
    let d = fx.decide("bash", "terraform plan", None);
    assert_eq!(d.verdict, Verdict::Allow, "{}", d.reason);
    assert!(
        d.trace.iter().any(|s| s.rule.contains("user policy")),
        "{:?}",
        d.trace
    );
    assert_eq!(
        fx.decide("bash", "terraform apply", None).verdict,
        Verdict::Ask
    );
}

#[test]
fn a_small_project_file_keeps_the_default() {
    // Trial: `[network] allow = ["pypi.org"]` alone made `ls` and `git status` ask.
    let fx = Fixture::with(|p, _| {
        write(
            &p.join(".ztguard.toml"),
            "[network]\nallow = [\"pypi.org\", \"evil.example\"]\n",
        );
    });
    for c in ["ls", "git status", "cargo test"] {
        assert_eq!(fx.decide("bash", c, None).verdict, Verdict::Allow, "{c}");
    }
    assert_eq!(
        fx.decide("fetch", "https://pypi.org/simple/", None).verdict,
        Verdict::Allow
    );
    // evil.example is not in the default's allow list: the project cannot add it.
    assert_eq!(
        fx.decide("fetch", "https://evil.example/x", None).verdict,
        Verdict::Deny
    );
}

#[test]
fn a_project_that_opts_out_of_the_default_allows_only_what_it_lists_within_it() {
    let fx = Fixture::with(|p, _| {
        write(
            &p.join(".ztguard.toml"),
            "default = \"ask\"\n[extend]\nuse_default = false\n[commands]\nallow = [\"git status *\", \"curl *\"]\n[files]\nread = [\"**\"]\n[tools]\nallow = [\"Bash\", \"Read\"]\n",
        );
    });
    assert_eq!(
        fx.decide("bash", "git status", None).verdict,
        Verdict::Allow
    );
    // The default allows ls, this file does not list it.
    let d = fx.decide("bash", "ls", None);
    assert_eq!(d.verdict, Verdict::Ask, "{}", d.reason);
    // The default still bounds the file: curl stays asked.
    assert_eq!(
        fx.decide("bash", "curl https://docs.rs", None).verdict,
        Verdict::Ask
    );
}

#[test]
fn a_project_cannot_widen_the_visible_prefix() {
    for prefix in ["AWS_", "", "A", "AI_"] {
        let fx = Fixture::with(|p, _| {
            write(
                &p.join(".ztguard.toml"),
                &format!("[env]\nvisible_prefix = \"{prefix}\"\n"),
            );
        });
        let d = fx.decide("bash", "echo $AWS_SECRET_ACCESS_KEY", None);
        assert_eq!(d.verdict, Verdict::Deny, "{prefix:?}: {}", d.reason);
        let visible = fx.policy.visible_prefix();
        assert!(
            visible
                .as_deref()
                .is_none_or(|p| p.starts_with("AI_ACCESSIBLE_")),
            "{prefix:?}: {visible:?}"
        );
    }
    // A longer prefix narrows, and applies.
    let fx = Fixture::with(|p, _| {
        write(
            &p.join(".ztguard.toml"),
            "[env]\nvisible_prefix = \"AI_ACCESSIBLE_APP_\"\n",
        );
    });
    assert_eq!(
        fx.policy.visible_prefix().as_deref(),
        Some("AI_ACCESSIBLE_APP_")
    );
}

#[test]
fn a_project_cannot_name_alert_targets() {
    for key in [
        "alert_command = \"sh -c id\"",
        "alert_url = \"https://evil.example/\"",
    ] {
        let dir = tempfile::tempdir().expect("tmp");
        let (p, h) = (dir.path().join("p"), dir.path().join("h"));
        write(&p.join(".ztguard.toml"), &format!("[audit]\n{key}\n"));
        let mut opts = LoadOptions::new(&p, &h);
        opts.managed = dir.path().join("none.toml");
        match Policy::load(&opts) {
            Err(PolicyError::Parse { line, message, .. }) => {
                assert_eq!(line, 2, "{message}");
                assert!(message.contains("user policy"), "{message}");
            }
            other => panic!("{key}: {other:?}"),
        }
    }
}

#[test]
fn a_later_layer_only_narrows() {
    // The user layer allows curl everywhere and sets no default; the managed layer denies it.
    let fx = Fixture::with(|p, h| {
        write(
            &h.join(".config/ztguard/policy.toml"),
            "[commands]\nallow = [\"curl *\"]\n",
        );
        write(
            &p.join("../no-managed.toml"),
            "[commands]\ndeny = [\"curl *\"]\n",
        );
    });
    let d = fx.decide("bash", "curl https://docs.rs", None);
    assert_eq!(d.verdict, Verdict::Deny, "{}", d.reason);
    assert!(d.rule.contains("managed policy"), "{}", d.rule);
}

#[test]
fn a_managed_default_deny_is_an_allowlist_the_project_cannot_widen() {
    let fx = Fixture::with(|p, _| {
        write(
            &p.join("../no-managed.toml"),
            "default = \"deny\"\n[commands]\nallow = [\"git *\", \"cargo *\"]\n[tools]\nallow = [\"Bash\", \"Read\"]\n[files]\nread = [\"**\"]\n",
        );
        write(
            &p.join(".ztguard.toml"),
            "default = \"ask\"\n[commands]\nallow = [\"make *\", \"git status *\"]\n[tools]\nallow = [\"Bash\"]\n",
        );
    });
    assert_eq!(fx.decide("bash", "make", None).verdict, Verdict::Deny);
    assert_eq!(
        fx.decide("bash", "git status", None).verdict,
        Verdict::Allow
    );
}

#[test]
fn within_a_layer_the_more_specific_rule_wins_and_deny_always_wins() {
    let fx = Fixture::new();
    // "git config --get *" (allow) is more specific than "git config *" (ask)
    assert_eq!(
        fx.decide("bash", "git config --get user.name", None)
            .verdict,
        Verdict::Allow
    );
    // A setting that runs nothing is allowed; one that does writes the
    // protected .git/config.
    assert_eq!(
        fx.decide("bash", "git config user.name x", None).verdict,
        Verdict::Allow
    );
    assert_eq!(
        fx.decide("bash", "git config core.editor x", None).verdict,
        Verdict::Deny
    );
    // "python -m pytest *" (allow) beats "python *" (ask)
    assert_eq!(
        fx.decide("bash", "python -m pytest", None).verdict,
        Verdict::Allow
    );
    assert_eq!(
        fx.decide("bash", "python script.py", None).verdict,
        Verdict::Ask
    );
}

#[test]
fn profiles_are_selected_by_agent_type_and_narrow() {
    let fx = Fixture::new();
    let r = Some("secure-code-review");
    assert_eq!(
        fx.decide("read", "{P}/src/main.rs", r).verdict,
        Verdict::Allow
    );
    assert_eq!(fx.decide("grep", "{P}/src", r).verdict, Verdict::Allow);
    assert_eq!(fx.decide("read", "{P}/README.md", r).verdict, Verdict::Deny);
    assert_eq!(fx.decide("bash", "ls", r).verdict, Verdict::Deny);
    assert_eq!(fx.decide("write", "{P}/src/x.rs", r).verdict, Verdict::Deny);
    // the reason says it was the profile, not a credential rule
    let d = fx.decide("read", "{P}/README.md", r);
    assert!(
        d.reason.contains("profile secure-code-review")
            && d.reason.contains("allows only what it lists"),
        "{}",
        d.reason
    );
    assert!(!d.reason.contains("Credentials"), "{}", d.reason);
    // an unrelated subagent type gets the ordinary policy
    assert_eq!(
        fx.decide("read", "{P}/README.md", Some("Explore")).verdict,
        Verdict::Allow
    );
}

#[test]
fn a_forced_profile_applies_to_every_call_and_an_unknown_one_is_an_error() {
    let mut fx = Fixture::new();
    fx.reload(Some("secure-code-review"))
        .expect("known profile");
    assert_eq!(fx.decide("bash", "ls", None).verdict, Verdict::Deny);
    match fx.reload(Some("no-such-profile")) {
        Err(PolicyError::UnknownProfile { name, known }) => {
            assert_eq!(name, "no-such-profile");
            assert!(known.contains(&"secure-code-review".to_string()));
        }
        other => panic!("expected an unknown-profile error, got {other:?}"),
    }
}

#[test]
fn strict_mode_turns_asks_into_denies() {
    let fx = Fixture::with(|p, _| {
        let text = ztguard_policy::default_policy_toml()
            .replace("mode = \"interactive\"", "mode = \"strict\"");
        write(&p.join(".ztguard.toml"), &text);
    });
    let d = fx.decide("bash", "terraform apply", None);
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.reason.contains("strict mode"), "{}", d.reason);
    assert_eq!(
        fx.decide("bash", "cargo test", None).verdict,
        Verdict::Allow
    );
}

#[test]
fn claude_code_permissions_are_imported() {
    let fx = Fixture::with(|p, h| {
        write(
            &p.join(".claude/settings.json"),
            r#"{"permissions": {"allow": ["Bash(terraform plan:*)", "WebFetch(domain:example.org)", "mcp__github"],
                "deny": ["Read(./docs/private/**)", "Bash(make deploy)"], "ask": ["Bash(cargo publish:*)"]}}"#,
        );
        write(
            &h.join(".claude/settings.json"),
            r#"{"permissions": {"deny": ["Bash(npm publish:*)"]}}"#,
        );
        write(&p.join("docs/private/plan.md"), "secret plans\n");
    });
    // The project's settings travel with the repository: their allows only narrow.
    let d = fx.decide("bash", "terraform plan -out x", None);
    assert_eq!(d.verdict, Verdict::Ask, "{}", d.reason);
    assert_eq!(
        fx.decide("fetch", "https://example.org/x", None).verdict,
        Verdict::Deny
    );
    assert_eq!(
        fx.decide("mcp", "mcp__github__list_issues", None).verdict,
        Verdict::Ask
    );
    assert_eq!(
        fx.decide("read", "{P}/docs/private/plan.md", None).verdict,
        Verdict::Deny
    );
    assert_eq!(
        fx.decide("bash", "cat docs/private/plan.md", None).verdict,
        Verdict::Deny
    );
    assert_eq!(
        fx.decide("bash", "make deploy", None).verdict,
        Verdict::Deny
    );
    assert_eq!(
        fx.decide("bash", "npm publish --tag x", None).verdict,
        Verdict::Deny
    );
    // the import never weakens the protections
    let fx = Fixture::with(|p, _| {
        write(
            &p.join(".claude/settings.json"),
            r#"{"permissions": {"allow": ["Read(./.env)", "Bash(cat:*)"]}}"#,
        )
    });
    assert_eq!(fx.decide("bash", "cat .env", None).verdict, Verdict::Deny);
}

#[test]
fn policy_errors_carry_line_and_column() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("p");
    std::fs::create_dir_all(&p).expect("mkdir");
    for (text, line, col_min) in [
        ("default = \"ask\"\n[commands]\nallow = [\"ls *\"\n", 3, 1),
        ("default = \"sometimes\"\n", 1, 1),
        (
            "[files]\nread = [\"src/**\"]\nwrite = [\"../outside\"]\n",
            3,
            1,
        ),
        ("[comands]\nallow = []\n", 1, 1),
    ] {
        std::fs::write(p.join(".ztguard.toml"), text).expect("write");
        let mut o = LoadOptions::new(&p, dir.path());
        o.managed = dir.path().join("none.toml");
        match Policy::load(&o) {
            Err(PolicyError::Parse {
                line: l,
                column,
                message,
                ..
            }) => {
                assert_eq!(l, line, "{text:?}: {message}");
                assert!(column >= col_min);
                assert!(!message.is_empty());
            }
            other => panic!("{text:?}: expected a parse error, got {other:?}"),
        }
    }
}

#[test]
fn a_bad_claude_settings_file_is_an_error_not_ignored() {
    let dir = tempfile::tempdir().expect("tmp");
    let p = dir.path().join("p");
    write(&p.join(".claude/settings.json"), "{ not json");
    let mut o = LoadOptions::new(&p, dir.path());
    o.managed = dir.path().join("none.toml");
    assert!(matches!(Policy::load(&o), Err(PolicyError::Parse { .. })));
}

#[test]
fn decisions_explain_themselves() {
    let fx = Fixture::new();
    let d = fx.decide("bash", "git status && cat .env", None);
    assert_eq!(d.verdict, Verdict::Deny);
    assert!(d.reason.contains("files.deny"), "{}", d.reason);
    assert!(
        d.reason.contains("ask the user for what you need"),
        "the reason names the allowed way: {}",
        d.reason
    );
    assert!(
        !d.reason.contains("AI_ACCESSIBLE_"),
        "the variables' prefix is advice for environment reads, not files: {}",
        d.reason
    );
    assert!(
        d.trace
            .iter()
            .any(|s| s.verdict == Verdict::Allow && s.rule.contains("git status"))
    );
    let d = fx.decide("bash", "terraform apply", None);
    assert!(d.reason.contains("[commands] allow"), "{}", d.reason);
    let d = fx.decide_tool(
        "Bash",
        Action::Exec {
            command: "cat .env".into(),
        },
        None,
    );
    assert!(!d.reason.contains("FAKE"), "never echo file contents");
}

#[test]
fn what_xargs_reads_from_an_unknown_producer_is_asked_not_denied() {
    let fx = Fixture::new();
    // git ls-files may or may not list .env: the guess (anything under the cwd) asks
    let d = fx.decide("bash", "git ls-files | xargs wc -l", None);
    assert_eq!(d.verdict, Verdict::Ask, "{}", d.reason);
    assert!(d.reason.contains("could read"), "{}", d.reason);
    // a find before xargs is known exactly
    assert_eq!(
        fx.decide("bash", "find src -name '*.rs' | xargs wc -l", None)
            .verdict,
        Verdict::Allow
    );
    assert_eq!(
        fx.decide("bash", "find . -name '.env' | xargs wc -l", None)
            .verdict,
        Verdict::Deny
    );
}

#[test]
fn the_users_own_claude_code_allows_edit_the_default() {
    let fx = Fixture::with(|_, h| {
        write(
            &h.join(".claude/settings.json"),
            r#"{"permissions": {"allow": ["Bash(terraform plan:*)", "WebFetch(domain:example.org)", "mcp__github"]}}"#,
        );
    });
    let d = fx.decide("bash", "terraform plan -out x", None);
    assert_eq!(d.verdict, Verdict::Allow, "{}", d.reason);
    assert!(d.reason.contains(".claude/settings.json"), "{}", d.reason);
    assert_eq!(
        fx.decide("fetch", "https://example.org/x", None).verdict,
        Verdict::Allow
    );
    assert_eq!(
        fx.decide("mcp", "mcp__github__list_issues", None).verdict,
        Verdict::Allow
    );
}

#[test]
fn scan_settings_layer_like_everything_else() {
    use ztguard_policy::OnFinding::{Ask, Deny, Warn};
    // Built-in: secrets denied, code and dependencies asked.
    let fx = Fixture::with(|_, _| {});
    assert_eq!(
        (
            fx.policy.scan.on_secret,
            fx.policy.scan.on_insecure_code,
            fx.policy.scan.on_risky_dependency
        ),
        (Deny, Ask, Ask)
    );
    // The first trusted layer to speak may relax a judgment call; a secret stays at least "ask".
    let fx = Fixture::with(|_, h| {
        write(
            &h.join(".config/ztguard/policy.toml"),
            "[scan]\non_insecure_code = \"warn\"\non_secret = \"warn\"\n",
        );
    });
    assert_eq!(fx.policy.scan.on_insecure_code, Warn);
    assert_eq!(fx.policy.scan.on_secret, Ask);
    // A project can only tighten the built-in values.
    let fx = Fixture::with(|p, _| {
        write(
            &p.join(".ztguard.toml"),
            "[scan]\non_insecure_code = \"warn\"\non_risky_dependency = \"warn\"\n",
        );
    });
    assert_eq!(fx.policy.scan.on_insecure_code, Ask);
    assert_eq!(fx.policy.scan.on_risky_dependency, Ask);
    // A later layer cannot loosen what the managed policy set.
    let fx = Fixture::with(|p, _| {
        write(
            &p.join("../no-managed.toml"),
            "[scan]\non_insecure_code = \"deny\"\n",
        );
        write(
            &p.join(".ztguard.toml"),
            "[scan]\non_insecure_code = \"warn\"\non_risky_dependency = \"deny\"\n",
        );
    });
    assert_eq!(fx.policy.scan.on_insecure_code, Deny);
    assert_eq!(fx.policy.scan.on_risky_dependency, Deny);
}

/// As root (containers, CI, devcontainers) the project often lives under
/// /root: it is edited like any project, while root's own startup files
/// and tool configuration stay protected.
#[test]
fn a_project_under_root_is_writable_and_roots_startup_files_are_not() {
    let project = std::path::PathBuf::from("/root/ztguard-test-project-not-created");
    let home = std::path::PathBuf::from("/root");
    let mut opts = LoadOptions::new(&project, &home);
    opts.managed = project.join("no-managed.toml");
    let policy = Policy::load(&opts).expect("policy loads");
    let decide = |path: &str| {
        let req = ztguard_policy::Request {
            tool: "Write".into(),
            action: Action::Write {
                path: path.into(),
                content: Some("x".into()),
                edits: Vec::new(),
            },
            cwd: project.clone(),
            project: project.clone(),
            home: home.clone(),
            agent_type: None,
        };
        policy.evaluate(&req).verdict
    };
    assert_eq!(
        decide("/root/ztguard-test-project-not-created/src/main.rs"),
        Verdict::Allow
    );
    for protected in [
        "/root/.bashrc",
        "/root/.ssh/authorized_keys",
        "/root/.config/git/config",
        "/root/.profile",
        "/root/bin/ls",
        "/root/ztguard-test-project-not-created/.git/hooks/pre-commit",
    ] {
        assert_eq!(decide(protected), Verdict::Deny, "{protected}");
    }
}

/// Advice about files never points at the environment variables, and a
/// deny the user wrote (here imported from Claude Code's settings) is not
/// called a credential.
#[test]
fn file_denials_advise_about_files() {
    let fx = Fixture::with(|p, _| {
        write(
            &p.join(".claude/settings.json"),
            r#"{"permissions": {"deny": ["Read(./private/**)"]}}"#,
        );
        write(&p.join("private/notes.txt"), "notes\n");
        write(&p.join("certs/ca.pem"), "PUBLIC TEST CERT\n");
    });
    for (kind, subject) in [
        ("read", "private/notes.txt"),
        ("bash", "cat private/notes.txt"),
        ("bash", "grep -r x private"),
    ] {
        let d = fx.decide(kind, subject, None);
        assert_eq!(d.verdict, Verdict::Deny, "{subject}: {}", d.reason);
        assert!(
            !d.reason.contains("AI_ACCESSIBLE_") && !d.reason.contains("Credential"),
            "{subject}: {}",
            d.reason
        );
    }
    for (kind, subject) in [("read", "certs/ca.pem"), ("bash", "grep -r x .")] {
        let d = fx.decide(kind, subject, None);
        assert_eq!(d.verdict, Verdict::Deny, "{subject}: {}", d.reason);
        assert!(
            !d.reason.contains("AI_ACCESSIBLE_"),
            "{subject}: {}",
            d.reason
        );
        assert!(
            d.reason.contains("ztguard approve --fixture"),
            "{subject}: {}",
            d.reason
        );
    }
    let d = fx.decide("bash", "echo $AWS_SECRET_ACCESS_KEY", None);
    assert!(d.reason.contains("AI_ACCESSIBLE_"), "{}", d.reason);
}

/// A public fixture that looks like a credential: readable, and no longer
/// in the way of recursive searches, once a human approved it in the user
/// configuration; denied again once its content changes. Nothing in the
/// project can grant it.
#[test]
fn a_public_fixture_is_readable_while_it_is_what_a_human_approved() {
    let mut fx = Fixture::with(|p, _| {
        write(&p.join("tests/fixtures/ca.pem"), "PUBLIC TEST CERT\n");
        write(&p.join("tests/fixtures/KEYS.asc"), "PUBLIC SIGNING KEY\n");
        // What a cloned repository could carry: neither grants anything.
        write(
            &p.join(".ztguard/fixtures.json"),
            r#"{"version":1,"fixtures":[]}"#,
        );
        write(
            &p.join(".ztguard.toml"),
            "[files]\nread = [\"**\"]\ndeny = [\"!tests/fixtures/*.pem\"]\n[commands]\nallow = [\"rg *\", \"grep *\", \"cat *\"]\n",
        );
    });
    let cases = [
        ("read", "tests/fixtures/ca.pem"),
        ("bash", "cat tests/fixtures/ca.pem"),
        ("bash", "rg x"),
        ("bash", "grep -r x tests"),
    ];
    for (kind, subject) in cases {
        let d = fx.decide(kind, subject, None);
        assert_eq!(d.verdict, Verdict::Deny, "before: {subject}: {}", d.reason);
    }
    let store = fx.home.join(".config/ztguard/fixtures.json");
    for f in ["tests/fixtures/ca.pem", "tests/fixtures/KEYS.asc"] {
        ztguard_policy::fixtures::approve(&store, &fx.project.join(f)).expect("approve");
    }
    fx.reload(None).expect("reload");
    for (kind, subject) in cases {
        let d = fx.decide(kind, subject, None);
        assert_eq!(
            d.verdict,
            Verdict::Allow,
            "approved: {subject}: {}",
            d.reason
        );
    }
    // Approval lifts the read deny only: writing it is still refused.
    let d = fx.decide("bash", "echo x > tests/fixtures/ca.pem", None);
    assert_eq!(d.verdict, Verdict::Deny, "{}", d.reason);
    // Another credential in the tree still blocks the search.
    write(&fx.project.join("tests/fixtures/server.key"), "FAKE KEY\n");
    assert_eq!(
        fx.decide("bash", "grep -r x tests", None).verdict,
        Verdict::Deny
    );
    std::fs::remove_file(fx.project.join("tests/fixtures/server.key")).expect("rm");
    // The content changes: a credential again, for the file and the search.
    write(
        &fx.project.join("tests/fixtures/ca.pem"),
        "A REAL KEY NOW\n",
    );
    for (kind, subject) in cases {
        let d = fx.decide(kind, subject, None);
        assert_eq!(d.verdict, Verdict::Deny, "changed: {subject}: {}", d.reason);
    }
}

/// The user policy's directory, with the approved fixtures, is never the
/// agent's to write, wherever `XDG_CONFIG_HOME` puts it.
#[test]
fn the_user_configuration_is_protected_where_it_is() {
    let fx = Fixture::new();
    let cfg = fx.project.join("../cfg/ztguard");
    std::fs::create_dir_all(&cfg).expect("mkdir");
    let cfg = cfg.canonicalize().expect("canonical");
    let mut o = LoadOptions::new(&fx.project, &fx.home);
    o.managed = fx.project.join("../no-managed.toml");
    o.user = cfg.join("policy.toml");
    let policy = Policy::load(&o).expect("policy");
    for (tool, path) in [
        ("Write", cfg.join("fixtures.json")),
        ("Write", cfg.join("policy.toml")),
    ] {
        let d = policy.evaluate(&ztguard_policy::Request {
            tool: tool.into(),
            action: Action::Write {
                path: path.to_string_lossy().into_owned(),
                content: Some("{}".into()),
                edits: Vec::new(),
            },
            cwd: fx.project.clone(),
            project: fx.project.clone(),
            home: fx.home.clone(),
            agent_type: None,
        });
        assert_eq!(d.verdict, Verdict::Deny, "{}: {}", path.display(), d.reason);
    }
}
