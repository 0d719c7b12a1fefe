//! `ztguard exec`, `ztguard env` and `ztguard sandbox status`: run a
//! command where the kernel enforces the policy's file boundary and the
//! environment holds no secrets.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use ztguard_policy::Policy;
use ztguard_sandbox::{Network, Plan, Prepared, Support};

use crate::context;

/// System trees a program needs to read and run.
const SYSTEM: &[&str] = &[
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib32",
    "/lib64",
    "/etc",
    "/opt",
    "/proc",
    "/sys",
    "/run",
    "/var/lib",
    "/var/cache",
];

/// Device files programs write to.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
    "/dev/shm",
    "/dev/fd",
];

/// Toolchains and caches under the home directory, readable (programs run from them).
const HOME_READ: &[&str] = &[
    ".cargo",
    ".rustup",
    ".npm",
    ".nvm",
    ".pyenv",
    ".local/bin",
    ".local/lib",
    "go",
    ".m2",
    ".gradle",
    ".gitconfig",
    ".config/git",
];

/// The agent's own state under the home directory, writable.
const HOME_WRITE: &[&str] = &[".claude", ".claude.json", ".cache"];

/// Credential stores in the home (the built-in protections deny them).
const HOME_CREDENTIALS: &[&str] = &[
    ".ssh",
    ".aws",
    ".azure",
    ".gnupg",
    ".config/gcloud",
    ".config/gh",
    ".kube",
    ".docker/config.json",
    ".netrc",
    ".git-credentials",
    ".npmrc",
    ".pypirc",
    ".password-store",
    ".vault-token",
];

/// Protected paths inside writable trees, bound read-only when the policy protects them.
const PROTECTED: &[&str] = &[
    ".ztguard.toml",
    ".ztguard",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/hooks",
    ".claude/agents",
    ".claude/commands",
    ".claude/skills",
    ".git/hooks",
    ".git/config",
    ".mcp.json",
    ".gitleaks.toml",
    ".pre-commit-config.yaml",
    ".envrc",
    ".husky",
    ".vscode",
];

/// Directories not searched for credential files to mask.
const SKIP_DIRS: &[&str] = &[
    ".git",
    "target",
    "node_modules",
    ".venv",
    "venv",
    "__pycache__",
];
/// How many entries the search looks at before it stops (and says so).
const WALK_LIMIT: usize = 50_000;

#[derive(clap::Args)]
#[command(
    long_about = "Run a command where the kernel enforces the policy: a clean environment (only PATH, HOME \
and a few other base variables, plus those starting with [env] visible_prefix), Landlock file rules \
(system trees read-only, the project and temp writable, toolchains readable, nothing else: ~/.ssh and \
~/.aws do not exist for it), credential files inside the project masked, the guard's own files and the \
agent's settings bound read-only, and no network (a private network namespace) unless --network host.\n\n\
On a kernel without Landlock or user namespaces it refuses to run unless --allow-degraded.\n\n\
Example: ztguard exec -- cargo test"
)]
pub struct ExecArgs {
    /// The network inside: proxy (only the hosts the policy allows, through
    /// ztguard's proxy; HTTPS_PROXY is set), none, or host.
    #[arg(long, value_parser = ["proxy", "none", "host"], default_value = "proxy")]
    pub network: String,
    /// Run even where the kernel cannot enforce the sandbox, and say what is missing.
    #[arg(long)]
    pub allow_degraded: bool,
    /// Print what is enforced before running.
    #[arg(short, long)]
    pub verbose: bool,
    /// The project (default: the one around the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The command and its arguments.
    #[arg(required = true, last = true, value_name = "CMD")]
    pub command: Vec<OsString>,
}

#[derive(Subcommand)]
pub enum SandboxCommand {
    /// What this kernel can enforce (Landlock ABI, user namespaces), probed for real.
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
pub struct EnvArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Files and directories under `project` that the policy keeps from being read.
fn credentials(policy: &Policy, project: &Path, home: &Path) -> (Vec<PathBuf>, bool) {
    let mut found = Vec::new();
    let mut seen = 0usize;
    let mut stack = vec![(project.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            seen += 1;
            if seen > WALK_LIMIT {
                return (found, true);
            }
            let path = e.path();
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if policy
                .forbidding_rule(&path, false, project, home)
                .is_some()
            {
                found.push(path);
                continue;
            }
            let skip = e
                .file_name()
                .to_str()
                .is_some_and(|n| SKIP_DIRS.contains(&n));
            if is_dir && !skip && depth < 12 {
                stack.push((path, depth + 1));
            }
        }
    }
    (found, false)
}

/// The sandbox for a project under its policy.
fn plan(policy: &Policy, project: &Path, home: &Path, args: &ExecArgs) -> (Plan, bool) {
    let mut read: Vec<PathBuf> = SYSTEM.iter().map(PathBuf::from).collect();
    read.extend(HOME_READ.iter().map(|p| home.join(p)));
    let mut write: Vec<PathBuf> = vec![project.to_path_buf(), PathBuf::from("/tmp")];
    write.push(std::env::temp_dir());
    write.extend(DEVICES.iter().map(PathBuf::from));
    write.extend(HOME_WRITE.iter().map(|p| home.join(p)));
    let (mut mask, cut_short) = credentials(policy, project, home);
    // Credentials in the home are outside every tree, unless the home lies
    // inside one (a home under /tmp): then they are masked too.
    for c in HOME_CREDENTIALS {
        let p = home.join(c);
        let inside = read.iter().chain(&write).any(|t| p.starts_with(t));
        if inside && p.exists() && policy.forbidding_rule(&p, false, project, home).is_some() {
            mask.push(p);
        }
    }
    let candidates = PROTECTED.iter().map(|p| project.join(p)).chain(
        [
            ".claude/settings.json",
            ".claude/hooks",
            ".claude/agents",
            ".claude/commands",
        ]
        .iter()
        .map(|p| home.join(p)),
    );
    let read_only = candidates
        .filter(|p| p.exists() && policy.forbidding_rule(p, true, project, home).is_some())
        .collect();
    (
        Plan {
            read,
            write,
            mask,
            read_only,
            network: match args.network.as_str() {
                "host" => Network::Host,
                "none" => Network::None,
                _ => Network::Proxy,
            },
            allow_degraded: args.allow_degraded,
        },
        cut_short,
    )
}

pub fn exec(args: &ExecArgs) -> anyhow::Result<ExitCode> {
    let project = context::project_arg(args.project.as_deref())?;
    let home = context::home();
    let policy = context::load(&project, &home, None, false).context("the policy does not load")?;
    let (plan, cut_short) = plan(&policy, &project, &home, args);
    let support = ztguard_sandbox::probe();
    let scratch = context::data_dir().join("run");
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    let prepared = Prepared::new(&plan, &support, &scratch).map_err(anyhow::Error::msg)?;
    if !prepared.missing.is_empty() {
        eprintln!(
            "ztguard exec: WARNING: running with a degraded sandbox; not enforced: {}",
            prepared.missing.join("; ")
        );
    }
    if !project.join(".ztguard.toml").exists() {
        eprintln!(
            "ztguard exec: warning: {} has no .ztguard.toml, so none can be bound read-only and a command inside could create one; `ztguard init` writes it",
            project.display()
        );
    }
    if cut_short {
        eprintln!(
            "ztguard exec: warning: the project has more than {WALK_LIMIT} entries; credential files beyond them are not masked"
        );
    }
    if args.verbose {
        for e in &prepared.enforced {
            eprintln!("ztguard exec: {e}");
        }
    }
    let mut env = ztguard_sandbox::env::clean(std::env::vars_os(), &policy.visible_prefix());
    let cwd = std::env::current_dir().context("no current directory")?;
    let network = plan.network;
    let allow = (network == Network::Proxy).then(|| host_check(policy, &project, &home, &cwd));
    if network == Network::Proxy {
        let url = format!("http://127.0.0.1:{}", ztguard_sandbox::proxy::PORT);
        for k in [
            "HTTPS_PROXY",
            "https_proxy",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            env.push((k.into(), url.clone().into()));
        }
    }
    let mut child = ztguard_sandbox::spawn(&prepared, &args.command, &env, &cwd, allow)
        .map_err(anyhow::Error::msg)?;
    let status = child.wait().context("waiting for the command")?;
    drop(prepared);
    use std::os::unix::process::ExitStatusExt;
    Ok(match (status.code(), status.signal()) {
        (Some(c), _) => ExitCode::from(c.clamp(0, 255) as u8),
        (None, Some(sig)) => ExitCode::from((128 + sig).clamp(0, 255) as u8),
        _ => ExitCode::from(1),
    })
}

/// The proxy's question — may the sandbox reach this host? — answered by
/// the policy exactly as for a WebFetch to it: only an allow lets it through
/// (there is no one to ask inside a proxy).
fn host_check(
    policy: Policy,
    project: &Path,
    home: &Path,
    cwd: &Path,
) -> ztguard_sandbox::proxy::Allow {
    let policy = std::sync::Arc::new(policy);
    let (project, home, cwd) = (project.to_path_buf(), home.to_path_buf(), cwd.to_path_buf());
    std::sync::Arc::new(move |host: &str| {
        let req = ztguard_policy::Request {
            tool: "WebFetch".into(),
            action: ztguard_policy::Action::Fetch {
                url: format!("https://{host}/"),
            },
            cwd: cwd.clone(),
            project: project.clone(),
            home: home.clone(),
            agent_type: None,
        };
        policy.evaluate(&req).verdict == ztguard_policy::Verdict::Allow
    })
}

pub fn env(args: &EnvArgs) -> anyhow::Result<ExitCode> {
    let project = context::project_arg(None)?;
    let home = context::home();
    let policy = context::load(&project, &home, None, false).context("the policy does not load")?;
    let prefix = policy.visible_prefix();
    let all: Vec<String> = std::env::vars_os()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    let kept: Vec<&String> = all
        .iter()
        .filter(|k| ztguard_sandbox::env::passes(std::ffi::OsStr::new(k.as_str()), &prefix))
        .collect();
    if args.json {
        println!(
            "{}",
            json!({"prefix": prefix, "visible": kept, "withheld": all.len() - kept.len()})
        );
    } else {
        println!(
            "Under `ztguard exec` the agent sees {} of {} variables (names only; prefix `{prefix}`, kept as named):",
            kept.len(),
            all.len()
        );
        for k in &kept {
            println!("  {k}");
        }
        println!("{} other variables are withheld.", all.len() - kept.len());
    }
    Ok(ExitCode::SUCCESS)
}

pub fn sandbox(cmd: &SandboxCommand) -> anyhow::Result<ExitCode> {
    let SandboxCommand::Status { json: as_json } = cmd;
    let s: Support = ztguard_sandbox::probe();
    let missing = s.missing();
    if *as_json {
        println!(
            "{}",
            json!({
                "landlock_abi": s.landlock_abi,
                "user_namespaces": s.user_namespaces,
                "missing": missing,
                "full": missing.is_empty(),
            })
        );
    } else {
        match s.landlock_abi {
            Some(v) => println!(
                "Landlock: ABI {v} (file rules{})",
                if v >= 4 { ", TCP rules" } else { "" }
            ),
            None => println!("Landlock: not available"),
        }
        println!(
            "user namespaces: {}",
            if s.user_namespaces {
                "available (credential masking, read-only binds, private network)"
            } else {
                "not available"
            }
        );
        if missing.is_empty() {
            println!("`ztguard exec` enforces the full sandbox on this kernel.");
        } else {
            println!(
                "`ztguard exec` refuses to run here unless --allow-degraded; missing: {}",
                missing.join(", ")
            );
        }
    }
    Ok(if missing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
