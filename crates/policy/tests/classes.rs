//! Attack classes, many variants each, against the built-in default.
//!
//! Each file in `classes/` holds one class of attack: the effect it reaches
//! (reading a credential, running a program, writing where the host's tools
//! look later…) and many ways to reach it. A line is `class | kind |
//! expectation | subject`, as in `cases.rs`; `{P}` is the fixture project,
//! `{H}` its home. `block` must be denied or asked, `deny` denied, `allow`
//! allowed (the everyday neighbours of each class, so a fix that blocks too
//! much fails too).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a failed setup step should stop the test loudly

mod fixture;

use fixture::Fixture;
use ztguard_policy::Verdict;

const CLASSES: &[(&str, &str)] = &[
    ("expansion", include_str!("classes/expansion.txt")),
    ("same-line", include_str!("classes/same-line.txt")),
    ("runs-program", include_str!("classes/runs-program.txt")),
    ("hidden-read", include_str!("classes/hidden-read.txt")),
    ("env-dump", include_str!("classes/env-dump.txt")),
    ("tree-write", include_str!("classes/tree-write.txt")),
    ("persistence", include_str!("classes/persistence.txt")),
    ("guard-state", include_str!("classes/guard-state.txt")),
    (
        "restricted-path",
        include_str!("classes/restricted-path.txt"),
    ),
    ("git-history", include_str!("classes/git-history.txt")),
    ("report-write", include_str!("classes/report-write.txt")),
    ("tool-config", include_str!("classes/tool-config.txt")),
    ("urls", include_str!("classes/urls.txt")),
];

struct Case {
    kind: String,
    expect: String,
    subject: String,
}

fn cases(table: &str) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    for line in table.lines() {
        if line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line.splitn(4, " | ").collect();
        if parts.len() == 4 {
            out.push(Case {
                kind: parts[1].to_string(),
                expect: parts[2].to_string(),
                subject: parts[3].to_string(),
            });
        } else if let Some(last) = out.last_mut()
            && !line.is_empty()
        {
            last.subject.push('\n');
            last.subject.push_str(line);
        }
    }
    out
}

/// The fixture project as a real repository that has committed a `.env`
/// and a private key (as many do): git can print them from its objects.
fn tracked_secrets(project: &std::path::Path, _home: &std::path::Path) {
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(project)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(out.status.success(), "git {args:?}: {out:?}");
    };
    std::fs::remove_dir_all(project.join(".git")).expect("remove the fixture's .git");
    std::fs::create_dir_all(project.join("certs")).expect("mkdir");
    std::fs::write(project.join("certs/server.key"), "FAKE KEY\n").expect("write");
    git(&["init", "-q"]);
    git(&[
        "remote",
        "add",
        "origin",
        "https://github.com/owner/repo.git",
    ]);
    git(&["remote", "add", "evil", "git@evil.example:x/y.git"]);
    git(&[
        "add",
        "-f",
        ".env",
        "certs/server.key",
        "src",
        "README.md",
        ".gitignore",
    ]);
    git(&["config", "user.name", "t"]);
    git(&["config", "user.email", "t@example.com"]);
    git(&["commit", "-qm", "init"]);
    git(&["commit", "-qm", "two", "--allow-empty"]);
}

/// The default policy's network rules, with the network clients allowed:
/// then only the destination a URL names decides, and an allowed
/// neighbour shows that a spelling of an allowed host is still allowed.
const CLIENTS_ALLOWED: &str = r#"
default = "ask"
[files]
read = ["**"]
write = ["**"]
[commands]
allow = ["curl *", "wget *", "http *", "xh *", "git clone *", "ssh *", "pip install *"]
[tools]
allow = ["Bash", "WebFetch"]
[network]
default = "deny"
ask = ["localhost", "127.0.0.1", "::1", "0.0.0.0", "*.localhost"]
allow = ["docs.rs", "static.crates.io", "github.com"]
"#;

/// In the user policy: a project file can only narrow, so it could not
/// allow the clients.
fn clients_allowed(_project: &std::path::Path, home: &std::path::Path) {
    let user = home.join(".config/ztguard/policy.toml");
    std::fs::create_dir_all(user.parent().expect("parent")).expect("mkdir");
    std::fs::write(user, CLIENTS_ALLOWED).expect("write the policy");
}

fn check(class: &str, table: &str) {
    let fx = match class {
        "git-history" => Fixture::with(tracked_secrets),
        "urls" => Fixture::with(clients_allowed),
        _ => Fixture::new(),
    };
    let all = cases(table);
    let blocks = all.iter().filter(|c| c.expect != "allow").count();
    assert!(blocks >= 8, "{class}: only {blocks} attack variants");
    let mut failures = Vec::new();
    for c in &all {
        let d = fx.decide(&c.kind, &c.subject, None);
        let ok = match c.expect.as_str() {
            "deny" => d.verdict == Verdict::Deny,
            "block" => d.verdict != Verdict::Allow,
            "allow" => d.verdict == Verdict::Allow,
            other => panic!("unknown expectation {other}"),
        };
        if !ok {
            failures.push(format!(
                "{} {:?}: expected {}, got {} — {}",
                c.kind, c.subject, c.expect, d.verdict, d.reason
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{class}: {} of {} cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

macro_rules! class_tests {
    ($($name:ident => $class:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let table = CLASSES
                    .iter()
                    .find(|(c, _)| *c == $class)
                    .map(|(_, t)| *t)
                    .expect("a class file");
                check($class, table);
            }
        )*
    };
}

class_tests! {
    expansion => "expansion",
    same_line => "same-line",
    runs_program => "runs-program",
    hidden_read => "hidden-read",
    env_dump => "env-dump",
    tree_write => "tree-write",
    persistence => "persistence",
    guard_state => "guard-state",
    restricted_path => "restricted-path",
    git_history => "git-history",
    report_write => "report-write",
    tool_config => "tool-config",
    urls => "urls",
}
