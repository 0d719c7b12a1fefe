//! The harness of the integration tests: the installed binary in a
//! temporary HOME and project, driven with real hook JSON.
#![allow(dead_code)] // each test file uses a different part

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};

pub struct Env {
    _dir: tempfile::TempDir,
    pub project: PathBuf,
    pub home: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        Env::with_root(tempfile::tempdir().expect("temp dir"))
    }

    /// A project and home outside /tmp, when this kernel can enforce the
    /// sandbox.
    pub fn sandboxed() -> Option<Env> {
        let e = Env::outside_tmp();
        e.kernel_ready().then_some(e)
    }

    /// Can this kernel enforce the full sandbox? Under CI it must: the test
    /// fails rather than skips.
    pub fn kernel_ready(&self) -> bool {
        let out = self.run(&["sandbox", "status", "--json"], "");
        let v: Value = serde_json::from_slice(&out.stdout).expect("status json");
        if v["full"] == true {
            return true;
        }
        assert!(
            std::env::var("CI").is_err(),
            "CI must run the sandbox tests on a kernel with Landlock and user namespaces: {v}"
        );
        eprintln!("skipping: this kernel cannot enforce the sandbox: {v}");
        false
    }

    /// A project and home outside /tmp (which the sandbox lets commands
    /// write), for the kernel sandbox tests.
    pub fn outside_tmp() -> Env {
        let tmp = std::env::temp_dir();
        let base = ["/var/tmp", env!("CARGO_TARGET_TMPDIR")]
            .into_iter()
            .map(Path::new)
            .find(|b| b.is_dir() && !b.starts_with("/tmp") && !b.starts_with(&tmp))
            .expect("a scratch directory outside /tmp (/var/tmp, or a target dir not under /tmp)");
        Env::with_root(tempfile::tempdir_in(base).expect("temp dir"))
    }

    fn with_root(dir: tempfile::TempDir) -> Env {
        let root = dir.path().canonicalize().expect("canonical");
        let project = root.join("project");
        let home = root.join("home");
        for (p, text) in [
            (project.join("Cargo.toml"), "[package]\nname = \"x\"\n"),
            (project.join("src/main.rs"), "fn main() {}\n"),
            (project.join(".env"), "API_KEY=FAKE-integration-0000\n"),
            (project.join(".env.example"), "API_KEY=changeme\n"),
            (home.join(".ssh/id_rsa"), "FAKE KEY\n"),
        ] {
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, text).expect("write");
        }
        std::fs::create_dir_all(project.join(".git")).expect("git dir");
        Env {
            _dir: dir,
            project,
            home,
        }
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_ztguard"));
        c.args(args)
            .current_dir(&self.project)
            .env("HOME", &self.home)
            .env("ZTGUARD_MANAGED_POLICY", self.home.join("no-managed.toml"))
            .env_remove("CLAUDE_PROJECT_DIR")
            .env_remove("ZTGUARD_PROFILE")
            .env_remove("ZTGUARD_STRICT")
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_DATA_HOME")
            .env_remove("ZTGUARD_DATA_DIR")
            .env_remove("ZTGUARD_BROKER")
            // Said by Claude Code to its hooks: tests run under `claude -p` would deny every ask.
            .env_remove("CLAUDE_CODE_SESSION_ATTENDED");
        // The model API credentials of whoever runs the tests stay out of them.
        for v in [
            "ANTHROPIC_API_KEY",
            "ANTHROPIC_AUTH_TOKEN",
            "CLAUDE_CODE_OAUTH_TOKEN",
            "ANTHROPIC_BASE_URL",
        ] {
            c.env_remove(v);
        }
        c
    }

    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        run_with_stdin(self.cmd(args), stdin)
    }

    /// A tool event in a session of its own, so that the session monitor
    /// judges each call alone (monitor tests use [`Env::event_in`]).
    pub fn event(&self, event: &str, tool: &str, input: Value) -> String {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.event_in(&format!("test-session-{n}"), event, tool, input)
    }

    /// A tool event of session `session`.
    pub fn event_in(&self, session: &str, event: &str, tool: &str, input: Value) -> String {
        json!({
            "session_id": session,
            "transcript_path": self.home.join("t.jsonl"),
            "cwd": self.project,
            "permission_mode": "default",
            "hook_event_name": event,
            "tool_name": tool,
            "tool_input": input,
            "tool_use_id": "toolu_test",
        })
        .to_string()
    }

    /// Run a PreToolUse event; returns (decision, reason).
    pub fn pre(&self, tool: &str, input: Value) -> (String, String) {
        self.pre_in(None, tool, input)
    }

    /// Run a PreToolUse event in `session` (None: a session of its own).
    pub fn pre_in(&self, session: Option<&str>, tool: &str, input: Value) -> (String, String) {
        let event = match session {
            Some(s) => self.event_in(s, "PreToolUse", tool, input),
            None => self.event("PreToolUse", tool, input),
        };
        let out = self.run(&["hook"], &event);
        assert_eq!(
            out.status.code(),
            Some(0),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is one JSON object");
        let o = &v["hookSpecificOutput"];
        assert_eq!(o["hookEventName"], "PreToolUse");
        (
            o["permissionDecision"].as_str().unwrap_or("").to_string(),
            o["permissionDecisionReason"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        )
    }
}

impl Env {
    /// Answer one event through the binary: (exit code, stdout as JSON or Null).
    pub fn hook(&self, event: &str) -> (i32, Value) {
        let out = self.run(&["hook"], event);
        let v = if out.stdout.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&out.stdout).expect("hook stdout is JSON")
        };
        (out.status.code().unwrap_or(-1), v)
    }

    /// A non-tool event (prompt, session) of `session` with extra fields.
    pub fn session_event(&self, session: &str, event: &str, extra: Value) -> String {
        let mut v = json!({
            "session_id": session,
            "transcript_path": self.home.join("t.jsonl"),
            "cwd": self.project,
            "hook_event_name": event,
        });
        if let (Some(o), Some(x)) = (v.as_object_mut(), extra.as_object()) {
            o.extend(x.clone());
        }
        v.to_string()
    }

    /// Write the project's policy: the built-in default with `edits`
    /// (`from` → `to`, each of which must occur).
    pub fn policy_with(&self, edits: &[(&str, &str)]) {
        let mut text = ztguard_policy::default_policy_toml().to_string();
        for (from, to) in edits {
            assert!(text.contains(from), "the default policy has no `{from}`");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(self.project.join(".ztguard.toml"), text).expect("write policy");
    }

    /// Write the user's policy (trusted: it may relax what a project
    /// cannot): the built-in default with `edits`, as [`Env::policy_with`].
    pub fn user_policy_with(&self, edits: &[(&str, &str)]) {
        let mut text = ztguard_policy::default_policy_toml().to_string();
        for (from, to) in edits {
            assert!(text.contains(from), "the default policy has no `{from}`");
            text = text.replacen(from, to, 1);
        }
        let path = self.user_policy_path();
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write policy");
    }

    /// Where the user policy of this environment is.
    pub fn user_policy_path(&self) -> PathBuf {
        self.home.join(".config/ztguard/policy.toml")
    }

    /// The project's audit log, one JSON value per record.
    pub fn audit(&self) -> Vec<Value> {
        std::fs::read_to_string(self.project.join(".ztguard/audit.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON record"))
            .collect()
    }
}

/// Run `c` with `stdin` written to it; its output.
pub fn run_with_stdin(mut c: Command, stdin: &str) -> Output {
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ztguard");
    // A program that answers without reading all of its input closes the pipe early.
    if let Err(e) = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
    {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    child.wait_with_output().expect("wait")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// git in `dir` with a throwaway identity, for a test to finish and run.
/// git, with the built ztguard first on the PATH (as after installing it),
/// for the pre-commit hook `ztguard init --git-hook` writes.
pub fn git_command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    let bin = Path::new(env!("CARGO_BIN_EXE_ztguard"))
        .parent()
        .expect("bin dir")
        .to_path_buf();
    let rest = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into());
    c.env("PATH", format!("{}:{rest}", bin.display()));
    c.arg("-C").arg(dir).args([
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "-c",
        "commit.gpgsign=false",
    ]);
    c
}

/// Run git in `dir` with a throwaway identity; its stdout, trimmed. A failure stops the test.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir).args(args).output().expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A fake credential, assembled at run time.
pub fn fake_token() -> String {
    format!("fake-deploy-{}", "token-0123456789abcdef")
}

/// A user policy with one secret from a file in the home, for `./scripts/deploy.sh`,
/// and the deploy script, which proves it received the value without printing
/// it plainly, then prints it (to be redacted).
pub fn with_deploy_secret(e: &Env) {
    let source = e.home.join(".config/deploy/token");
    std::fs::create_dir_all(source.parent().unwrap()).unwrap();
    std::fs::write(&source, format!("{}\n", fake_token())).unwrap();
    std::fs::create_dir_all(e.home.join(".config/ztguard")).unwrap();
    std::fs::write(
        e.home.join(".config/ztguard/policy.toml"),
        "[secrets.deploy]\nfrom_file = \"~/.config/deploy/token\"\nenv = \"DEPLOY_TOKEN\"\nallow = [\"./scripts/deploy.sh *\"]\n",
    )
    .unwrap();
    let script = e.project.join("scripts/deploy.sh");
    std::fs::create_dir_all(script.parent().unwrap()).unwrap();
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'sha256 of the token: '; printf %s \"$DEPLOY_TOKEN\" | sha256sum | cut -d' ' -f1\necho \"the token itself: $DEPLOY_TOKEN\" >&2\nexit 3\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
}

pub fn token_sha256() -> String {
    format!(
        "{:x}",
        <sha2::Sha256 as sha2::Digest>::digest(fake_token().as_bytes())
    )
}
