//! `ztguard run NAME -- CMD`: start an approved operation with a secret
//! the agent never sees.
//!
//! Outside `ztguard exec` the operation starts here, with the secret added
//! to this environment. Inside it (`ZTGUARD_BROKER` is set), neither the
//! source nor the value is reachable, by design: the request goes to the
//! broker in the `ztguard exec` process, which starts the operation in a
//! sandbox of its own. Either way the operation's output is redacted of the
//! value, and the use is recorded in the audit log.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ExitCode, ExitStatus, Stdio};
use std::sync::Arc;

use anyhow::Context as _;
use serde_json::{Map, Value};
use ztguard_inject::broker::{self, Outcome, Request};
use ztguard_inject::{RedactingWriter, Redactor};
use ztguard_policy::Policy;

use crate::context;

#[derive(clap::Args)]
#[command(
    after_help = "Start an approved operation with one or more secrets from [secrets.NAME] in the user or \
managed policy. The secret's source (a file, a command, a variable of ztguard's own environment) is read \
here, never by the agent; the operation receives it in the variable the entry names; its output is \
redacted of it; and the use is recorded in the audit log. The operation must match one of the entry's \
`allow` patterns, and a script the agent wrote must have been approved (`ztguard approve`).\n\n\
Under `ztguard exec` the request goes to the broker outside the sandbox, which starts the operation in \
a sandbox of its own.\n\n\
Example: ztguard run deploy_token -- ./scripts/deploy.sh --prod"
)]
pub struct RunArgs {
    /// The secret (or comma-separated secrets) the operation receives.
    #[arg(value_name = "NAME[,NAME...]")]
    pub secrets: String,
    /// The project (default: the one around the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The operation and its arguments (default: the secret's configured `command`).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

/// An operation cleared to receive its secrets.
pub struct Cleared {
    /// (variable, value) to add to the operation's environment.
    pub env: Vec<(String, Vec<u8>)>,
    pub redactor: Arc<Redactor>,
}

impl Cleared {
    /// The variables as the operation's environment takes them.
    pub fn os_env(&self) -> impl Iterator<Item = (OsString, OsString)> + '_ {
        use std::os::unix::ffi::OsStringExt;
        self.env
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from_vec(v.clone())))
    }
}

/// An operation asking for secrets.
pub struct Ask<'a> {
    pub names: &'a [String],
    pub argv: &'a [String],
    pub cwd: &'a Path,
    /// The PATH the operation starts with (finds a bare program name).
    pub path: Option<&'a std::ffi::OsStr>,
}

/// Under `ztguard exec`: what the files were when it started, and where
/// the sandbox can write.
pub struct Pinned {
    /// SHA-256 of the files the secrets' operations name, by path as named.
    pub hashes: BTreeMap<PathBuf, String>,
    /// The directories of those files that lie in the project, pinned whole
    /// (canonical; the project root's files only): what a script loads
    /// from beside it.
    pub dirs: BTreeMap<PathBuf, ztguard_inject::snapshot::DirPin>,
    /// The directories of the programs named by bare name, as PATH found
    /// them: an operation's PATH is the system's and these.
    pub programs: Vec<PathBuf>,
    /// The trees the sandbox may write.
    pub writable: Vec<PathBuf>,
}

impl Pinned {
    /// Does the sandbox reach `p` (could it have changed it)?
    pub fn in_reach(&self, p: &Path) -> bool {
        self.writable.iter().any(|w| p.starts_with(w))
    }
}

/// The file PATH finds for a bare program name, as named (lexically).
pub fn on_path(program: &str, path: &std::ffi::OsStr) -> Option<PathBuf> {
    std::env::split_paths(path)
        .map(|d| d.join(program))
        .find(|c| c.is_file())
}

/// The files an operation runs: every argument naming an existing file,
/// and the program PATH finds for a bare name. (As named, and real.)
pub fn files_run(ask: &Ask, home: &Path) -> Vec<ztguard_paths::Resolved> {
    let mut out: Vec<ztguard_paths::Resolved> = ask
        .argv
        .iter()
        .map(|w| ztguard_paths::resolve(w, ask.cwd, home))
        .filter(|r| r.real.is_file())
        .collect();
    if let (Some(program), Some(path)) = (ask.argv.first(), ask.path)
        && !program.contains('/')
        && let Some(found) = on_path(program, path)
    {
        out.push(ztguard_paths::resolve(
            &found.to_string_lossy(),
            ask.cwd,
            home,
        ));
    }
    out
}

/// Check that the operation may receive each secret it names, and fetch
/// the values. Under `ztguard exec` (`pinned`), a file the operation runs
/// from a tree the sandbox can write must still have the content it had
/// when `exec` started, or a human's approval of the new one: the agent
/// may have changed it by any means, not only through the file tools.
pub fn clear(
    policy: &Policy,
    project: &Path,
    ask: &Ask,
    pinned: Option<&Pinned>,
) -> Result<Cleared, String> {
    let chosen = clear_checks(policy, project, ask, pinned)?;
    let mut env = Vec::new();
    for s in &chosen {
        let value =
            ztguard_inject::fetch(&s.source).map_err(|e| format!("secret `{}`: {e}", s.name))?;
        env.push((s.env.clone(), value));
    }
    let redactor = Arc::new(Redactor::new(
        chosen
            .iter()
            .zip(&env)
            .map(|(s, (_, v))| (s.name.as_str(), v.as_slice())),
    ));
    Ok(Cleared { env, redactor })
}

/// The checks of [`clear`], without fetching anything: the secrets chosen.
pub fn clear_checks<'p>(
    policy: &'p Policy,
    project: &Path,
    ask: &Ask,
    pinned: Option<&Pinned>,
) -> Result<Vec<&'p ztguard_policy::Secret>, String> {
    let (names, argv) = (ask.names, ask.argv);
    if names.is_empty() {
        return Err("name at least one secret".into());
    }
    let words: Vec<&str> = argv.iter().map(String::as_str).collect();
    let mut chosen = Vec::new();
    for name in names {
        let Some(s) = policy.secret(name) else {
            let known: Vec<&str> = policy.secrets.iter().map(|s| s.name.as_str()).collect();
            return Err(format!(
                "no secret `{name}` in the user or managed policy (defined: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ));
        };
        if !s.allows(&words) {
            return Err(format!(
                "`{}` is not an operation secret `{name}` may go to (allowed: {})",
                argv.join(" "),
                s.operations().join(", ")
            ));
        }
        chosen.push(s);
    }
    let home = context::home();
    let runs = files_run(ask, &home);
    let reals: Vec<PathBuf> = runs.iter().map(|r| r.real.clone()).collect();
    if let Some(u) = ztguard_monitor::provenance::unapproved(project, &reals, &[])
        .into_iter()
        .next()
    {
        return Err(format!(
            "{} {}; a human can approve it with `ztguard approve {}`",
            u.path.display(),
            u.why,
            u.path.display()
        ));
    }
    if let Some(pinned) = pinned {
        let ledger = ztguard_monitor::provenance::ledger(project).unwrap_or_default();
        let in_reach = |p: &Path| pinned.in_reach(p);
        for r in runs
            .iter()
            .filter(|r| in_reach(&r.lexical) || in_reach(&r.real))
        {
            let now = ztguard_monitor::provenance::file_hash(&r.real);
            let unchanged = now.is_some() && now.as_ref() == pinned.hashes.get(&r.lexical);
            if unchanged || ledger.approves(&r.real, now.as_deref()) {
                continue;
            }
            return Err(format!(
                "{} changed after `ztguard exec` started (or was not there then), so it may not receive a secret; a human can approve this content with `ztguard approve {}`",
                r.lexical.display(),
                r.real.display()
            ));
        }
    }
    Ok(chosen)
}

/// Copy the child's output through the redactor to `out` and `err`, and wait for it.
pub fn pump(
    child: &mut Child,
    redactor: &Arc<Redactor>,
    out: impl Write + Send + 'static,
    err: impl Write + Send + 'static,
) -> std::io::Result<ExitStatus> {
    fn copy(
        from: Option<impl Read + Send + 'static>,
        to: impl Write + Send + 'static,
        r: &Arc<Redactor>,
    ) -> Option<std::thread::JoinHandle<()>> {
        let mut from = from?;
        let mut w = RedactingWriter::new(r.clone(), to);
        Some(std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if w.write_all(&buf[..n]).and_then(|()| w.flush()).is_err() {
                            break;
                        }
                    }
                }
            }
            let _ = w.finish();
        }))
    }
    let a = copy(child.stdout.take(), out, redactor);
    let b = copy(child.stderr.take(), err, redactor);
    let status = child.wait();
    for t in [a, b].into_iter().flatten() {
        let _ = t.join();
    }
    status
}

/// An exit status as a shell reports it (128 + signal).
pub fn exit_code(status: ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => c,
        (None, Some(sig)) => 128 + sig,
        _ => 1,
    }
}

/// Record a secret's use (or refusal) in the project's audit log.
pub fn record(
    project: &Path,
    names: &[String],
    argv: &[String],
    via: &str,
    outcome: Result<i32, &str>,
) -> anyhow::Result<()> {
    let mut m = Map::new();
    m.insert("secrets".into(), Value::from(names.to_vec()));
    m.insert(
        "command".into(),
        Value::from(ztguard_core::redact::cut(
            ztguard_core::redact::redact_text(&argv.join(" ")),
        )),
    );
    m.insert("via".into(), Value::from(via));
    match outcome {
        Ok(code) => {
            m.insert("decision".into(), Value::from("allow"));
            m.insert("exit_code".into(), Value::from(code));
        }
        Err(why) => {
            m.insert("decision".into(), Value::from("deny"));
            m.insert("reason".into(), Value::from(why));
        }
    }
    crate::session_cmd::record_action(project, "SecretUse", "ztguard run", m)
}

/// The configured operation of the secrets named (they must agree on one).
pub fn configured(policy: &Policy, names: &[String]) -> Result<Vec<String>, String> {
    let mut found: Option<&Vec<String>> = None;
    for name in names {
        let c = policy.secret(name).and_then(|s| s.command.as_ref());
        match (c, found) {
            (None, _) => {
                return Err(format!(
                    "secret `{name}` has no configured command: give the operation after `--`"
                ));
            }
            (Some(c), Some(f)) if c != f => {
                return Err(
                    "the secrets named configure different commands: give one after `--`".into(),
                );
            }
            (Some(c), _) => found = Some(c),
        }
    }
    found
        .cloned()
        .ok_or_else(|| "name at least one secret".to_string())
}

/// A process exit code from an operation's (clamped to 0–255).
pub fn exit(code: i32) -> ExitCode {
    ExitCode::from(code.clamp(0, 255) as u8)
}

pub fn run(args: &RunArgs) -> anyhow::Result<ExitCode> {
    let names: Vec<String> = args
        .secrets
        .split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    let mut argv: Vec<String> = args
        .command
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let cwd = std::env::current_dir().context("no current directory")?;
    if let Some(addr) = std::env::var_os(broker::ENV) {
        let addr = addr.to_string_lossy().into_owned();
        let req = Request::Run {
            secrets: names,
            argv,
            cwd,
        };
        let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
        return match broker::call(&addr, &req, &mut out, &mut err).map_err(anyhow::Error::msg)? {
            Outcome::Exit(code) => Ok(exit(code)),
            Outcome::Refused(why) => anyhow::bail!("{why}"),
        };
    }
    let project = context::project_arg(args.project.as_deref())?;
    let home = context::home();
    let policy = context::load(&project, &home, None, false).context("the policy does not load")?;
    if argv.is_empty() {
        argv = configured(&policy, &names).map_err(anyhow::Error::msg)?;
    }
    let path = std::env::var_os("PATH");
    let ask = Ask {
        names: &names,
        argv: &argv,
        cwd: &cwd,
        path: path.as_deref(),
    };
    let cleared = match clear(&policy, &project, &ask, None) {
        Ok(c) => c,
        Err(why) => {
            record(&project, &names, &argv, "direct", Err(&why))?;
            anyhow::bail!("{why}");
        }
    };
    let mut child = std::process::Command::new(&argv[0])
        .args(&argv[1..])
        .envs(cleared.os_env())
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", argv[0]))?;
    let status = pump(
        &mut child,
        &cleared.redactor,
        std::io::stdout(),
        std::io::stderr(),
    )
    .context("waiting for the operation")?;
    let code = exit_code(status);
    record(&project, &names, &argv, "direct", Ok(code))?;
    Ok(exit(code))
}
