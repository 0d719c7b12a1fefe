//! `ztguard exec`, `ztguard env` and `ztguard sandbox status`: run a
//! command where the kernel enforces the policy's file boundary and the
//! environment holds no secrets.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{ExitCode, Stdio};
use std::sync::Arc;

use anyhow::Context as _;
use clap::Subcommand;
use serde_json::json;
use ztguard_agents::claude::{self, Choice};
use ztguard_core::Guards;
use ztguard_inject::broker::{self, Reply, Request};
use ztguard_policy::Policy;
use ztguard_sandbox::{Bridge, Network, Plan, Prepared, Support};

use crate::{context, gateway, run_cmd};

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
    // ztguard's own user policy (its signing key is masked below).
    ".config/ztguard",
];

/// The agent's own state under the home directory, writable.
const HOME_WRITE: &[&str] = &[".claude", ".claude.json", ".cache"];

/// Credential stores in the home (the built-in protections deny them).
const HOME_CREDENTIALS: &[&str] = &[
    // Claude Code's own login, inside its otherwise writable state.
    ".claude/.credentials.json",
    ".config/ztguard/audit.key",
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
    ".git/config",
    ".mcp.json",
    ".gitleaks.toml",
    ".pre-commit-config.yaml",
    ".envrc",
    ".husky",
    ".vscode",
];

/// Directories of the project's agent and git configuration, bound
/// read-only as a whole (when the policy protects the file named beside
/// each), so that a settings file or hook that does not exist yet cannot be
/// created inside either.
const CONFIG_DIRS: &[(&str, &str)] = &[
    (".claude", ".claude/settings.local.json"),
    (".git/hooks", ".git/hooks/pre-commit"),
];

/// The agent's settings inside its writable state, bound read-only.
const HOME_SETTINGS: &[&str] = &[
    ".claude/settings.json",
    ".claude/hooks",
    ".claude/agents",
    ".claude/commands",
];

/// Startup and persistence files of the home (the built-in protections
/// keep them from the agent), bound read-only when the home lies inside a
/// writable tree.
const HOME_PERSISTENCE: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    ".config/fish",
    ".inputrc",
    ".gitconfig",
    ".config/git",
    ".ssh",
    ".config/autostart",
    ".config/systemd",
    ".local/share/systemd",
    ".config/ztguard",
    ".local/share/ztguard",
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
    after_help = "Run a command (typically the agent: `ztguard exec -- claude`) where the kernel enforces \
the policy: a clean environment (PATH, HOME and a few other base variables, plus those starting with \
[env] visible_prefix, kept under their names), Landlock file rules (system trees and toolchains readable, \
the project, temp and the agent's own state writable, nothing else: ~/.ssh and ~/.aws do not exist for \
it), credential files masked, the guard's files and the agent's settings bound read-only, the network \
only through ztguard's proxy to the hosts the policy allows, and no Unix sockets (seccomp).\n\n\
The model API key stays outside: the command gets a placeholder and ANTHROPIC_BASE_URL pointing at a \
gateway that swaps in the real key. The hook inside hands its decisions to this process, which writes the \
audit log where the sandbox cannot, and `ztguard run NAME -- CMD` inside starts approved operations with \
their secrets in a sandbox of their own.\n\n\
On a kernel without Landlock, user namespaces or seccomp filters it refuses to run unless --allow-degraded.\n\n\
Examples:\n  ztguard exec -- claude\n  ztguard exec --network none -- cargo test\n  \
ztguard exec --profile secure-code-review -v -- claude"
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
    /// Pass no model API gateway: the sandbox gets no API key at all, not even a placeholder.
    #[arg(long)]
    pub no_gateway: bool,
    /// Let the command create Unix sockets (refused by default: by their
    /// paths they reach the Docker daemon, ssh and D-Bus agents, whatever
    /// the file rules say). For test suites that serve on one.
    #[arg(long)]
    pub allow_unix_sockets: bool,
    /// Apply this profile of the policy (a narrower, per-skill policy): the
    /// files it denies are masked too, and every hook decision and proxy
    /// check inside uses it (also: ZTGUARD_PROFILE).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
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
    ///
    /// Exits 1 when `ztguard exec` would refuse to run here. ZTGUARD_SANDBOX_WITHOUT=landlock,userns,seccomp
    /// makes ztguard act as on a kernel without them, to see what `exec --allow-degraded` keeps.
    Status {
        /// Print as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  ztguard env                         # names a command under `ztguard exec` would see
  ztguard env --json")]
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

/// The real directory of `program` as PATH finds it, unless it lies in the
/// project (already writable) or is a credential path.
fn program_dir(program: &std::ffi::OsStr, project: &Path) -> Option<PathBuf> {
    let p = Path::new(program);
    let found = if p.components().count() > 1 {
        Some(context::absolute(p))
    } else {
        std::env::var_os("PATH").and_then(|path| run_cmd::on_path(&p.to_string_lossy(), &path))
    }?;
    let dir = std::fs::canonicalize(found).ok()?.parent()?.to_path_buf();
    (!dir.starts_with(project) && dir != Path::new("/")).then_some(dir)
}

/// The trees the policy grants that a tree rule can carry: not the root,
/// the home or a directory holding it (the credential stores would come
/// with them), and not a tree the policy itself forbids (the protections
/// keep `/etc/**` from being written whatever a layer grants).
fn enforceable(
    trees: Vec<PathBuf>,
    policy: &Policy,
    project: &Path,
    home: &Path,
    write: bool,
) -> Vec<PathBuf> {
    trees
        .into_iter()
        .filter(|t| !home.starts_with(t) && t != Path::new("/"))
        .filter(|t| {
            policy
                .forbidding_rule(&t.join("x"), write, project, home)
                .is_none()
        })
        .collect()
}

/// The sandbox for a project under its policy.
fn plan(policy: &Policy, project: &Path, home: &Path, args: &ExecArgs) -> (Plan, bool) {
    let mut read: Vec<PathBuf> = SYSTEM.iter().map(PathBuf::from).collect();
    read.extend(HOME_READ.iter().map(|p| home.join(p)));
    // ztguard itself (the hook and `ztguard run` inside call it) and the
    // directory of the program asked for (an agent installed anywhere).
    read.extend(std::env::current_exe().ok());
    read.extend(args.command.first().and_then(|p| program_dir(p, project)));
    let mut write: Vec<PathBuf> = vec![project.to_path_buf(), PathBuf::from("/tmp")];
    write.push(std::env::temp_dir());
    write.extend(DEVICES.iter().map(PathBuf::from));
    write.extend(HOME_WRITE.iter().map(|p| home.join(p)));
    let (granted_read, granted_write) = policy.granted_trees(project, home);
    read.extend(enforceable(granted_read, policy, project, home, false));
    write.extend(enforceable(granted_write, policy, project, home, true));
    let (mut mask, cut_short) = credentials(policy, project, home);
    // Credentials in the home and the secrets' source files: outside every
    // tree, so Landlock alone keeps them out; masked as well, for a home
    // inside a tree (under /tmp) and for a run without Landlock.
    let sources = policy.secrets.iter().filter_map(|s| match &s.source {
        ztguard_policy::SecretSource::File(p) => Some(p.clone()),
        _ => None,
    });
    for p in HOME_CREDENTIALS.iter().map(|c| home.join(c)).chain(sources) {
        if p.exists() && policy.forbidding_rule(&p, false, project, home).is_some() {
            mask.push(p);
        }
    }
    // The home's startup and persistence files matter only where the home
    // lies inside a writable tree (a home under /tmp); elsewhere Landlock
    // keeps the whole home out.
    let home_writable = write.iter().any(|t| home.starts_with(t));
    let candidates = PROTECTED
        .iter()
        .map(|p| project.join(p))
        .chain(HOME_SETTINGS.iter().map(|p| home.join(p)))
        .chain(
            HOME_PERSISTENCE
                .iter()
                .filter(|_| home_writable)
                .map(|p| home.join(p)),
        );
    let mut read_only: Vec<PathBuf> = candidates
        .filter(|p| p.exists() && policy.forbidding_rule(p, true, project, home).is_some())
        .collect();
    read_only.extend(
        CONFIG_DIRS
            .iter()
            .filter(|(_, probe)| {
                policy
                    .forbidding_rule(&project.join(probe), true, project, home)
                    .is_some()
            })
            .map(|(dir, _)| project.join(dir))
            .filter(|d| d.is_dir()),
    );
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
            binds: Vec::new(),
            service_ports: Vec::new(),
            unix_sockets: args.allow_unix_sockets,
            allow_degraded: args.allow_degraded,
        },
        cut_short,
    )
}

/// Where one of ztguard's services (proxy, broker, gateway) listens for
/// the sandbox: inside its private network namespace on a fixed port, or,
/// without one, on an ephemeral port of the host's loopback.
enum Endpoint {
    Inside(u16),
    Host(TcpListener),
}

impl Endpoint {
    fn new(private: bool, port: u16) -> anyhow::Result<Endpoint> {
        Ok(if private {
            Endpoint::Inside(port)
        } else {
            Endpoint::Host(TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?)
        })
    }

    fn port(&self) -> u16 {
        match self {
            Endpoint::Inside(p) => *p,
            Endpoint::Host(l) => l.local_addr().map(|a| a.port()).unwrap_or(0),
        }
    }

    /// Serve it: through the bridge when inside, right away on the host.
    fn serve(self, bridge: &mut Bridge, serve: Box<dyn FnOnce(TcpListener) + Send>) {
        match self {
            Endpoint::Inside(port) => bridge.services.push((port, serve)),
            Endpoint::Host(l) => serve(l),
        }
    }
}

pub fn exec(args: &ExecArgs) -> anyhow::Result<ExitCode> {
    let project = context::project_arg(args.project.as_deref())?;
    let home = context::home();
    if home.starts_with(&project) {
        anyhow::bail!(
            "the project would be {}, which holds the home directory: everything in the home would be writable inside. \
             Run `ztguard exec` in a project (a directory with a .git or .ztguard.toml), or give --project DIR",
            project.display()
        );
    }
    let policy = context::load(&project, &home, args.profile.as_deref(), false)
        .context("the policy does not load")?;
    agent_state(&home, &args.command);
    let (mut plan, cut_short) = plan(&policy, &project, &home, args);
    let gateway = match args.no_gateway {
        true => None,
        false => gateway::from_env(&home).map_err(anyhow::Error::msg)?,
    };
    let support = ztguard_sandbox::probe();
    let private = plan.network != Network::Host && support.user_namespaces;
    let proxy = match plan.network {
        Network::Proxy => Some(Endpoint::new(private, ztguard_sandbox::proxy::PORT)?),
        _ => None,
    };
    let broker_at = Endpoint::new(private, broker::PORT)?;
    let gateway_at = match gateway {
        Some(_) => Some(Endpoint::new(private, ztguard_inject::gateway::PORT)?),
        None => None,
    };
    if plan.network != Network::Host {
        plan.service_ports.push(broker_at.port());
        plan.service_ports
            .extend(gateway_at.as_ref().map(Endpoint::port));
        if let Some(on_host @ Endpoint::Host(_)) = &proxy {
            // No network namespace (a degraded run): Landlock lets the
            // sandbox connect to the proxy's host port and nothing else.
            plan.service_ports.push(on_host.port());
            plan.network = Network::None;
        }
    }
    let scratch = context::data_dir().join("run");
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    ztguard_sandbox::sweep(&scratch);
    let prepared = Arc::new(Prepared::new(&plan, &support, &scratch).map_err(anyhow::Error::msg)?);
    warn(&prepared, &project, cut_short, args.verbose);

    let clean_env = ztguard_sandbox::env::clean(
        std::env::vars_os(),
        &policy.visible_prefix().unwrap_or_default(),
    );
    let cwd = std::env::current_dir().context("no current directory")?;
    let policy = Arc::new(policy);
    // The model API's host answers the client's own connectivity checks
    // through the proxy; the key it would need stays in the gateway.
    let api_host = gateway.as_ref().map(|(g, _)| g.upstream.host.clone());
    // (canonical already: the gateway parses its base URL with the same parser)
    let allow = proxy
        .as_ref()
        .map(|_| host_check(&policy, &project, &home, &cwd, api_host));
    let mut env = clean_env;
    let mut bridge = Bridge::default();
    if let Some(proxy) = proxy {
        env.extend(proxy_vars(proxy.port()));
        match proxy {
            Endpoint::Inside(_) => bridge.allow = allow.clone(),
            Endpoint::Host(l) => {
                ztguard_sandbox::proxy::serve(l, allow.clone().context("the proxy's host check")?)
            }
        }
    }
    let broker = Arc::new(Broker {
        policy: policy.clone(),
        pinned: run_cmd::Pinned {
            hashes: pin(
                &policy,
                &project,
                &home,
                std::env::var_os("PATH").as_deref(),
            ),
            writable: plan.write.clone(),
        },
        project: project.clone(),
        prepared: prepared.clone(),
        // Operations start from the sandbox's environment, proxy included,
        // without the broker's and the gateway's variables.
        env: env.clone(),
        allow: if private { allow } else { None },
        profile: policy.forced_profile.clone(),
        guards: Guards::new(ztguard_core::Env {
            pinned_project: Some(project.clone()),
            ..context::env()
        }),
    });
    env.push((
        broker::ENV.into(),
        format!("127.0.0.1:{}", broker_at.port()).into(),
    ));
    broker_at.serve(
        &mut bridge,
        Box::new(move |l| broker::serve(l, Arc::new(move |req, reply| broker.handle(req, reply)))),
    );
    if let (Some((g, inside)), Some(at)) = (gateway, gateway_at) {
        let port = at.port();
        env.push((
            "ANTHROPIC_BASE_URL".into(),
            format!("http://127.0.0.1:{port}").into(),
        ));
        env.extend(inside.into_iter().map(|(k, v)| (k.into(), v.into())));
        let g = Arc::new(g);
        at.serve(&mut bridge, Box::new(move |l| g.serve(l)));
        if args.verbose {
            eprintln!(
                "ztguard exec: the model API key stays outside; the sandbox gets a placeholder and the gateway on 127.0.0.1:{port}"
            );
        }
    }
    // Ctrl-C and Ctrl-\ are the command's (an interactive agent interrupts
    // its own work with them): this process, which serves its proxy,
    // broker and gateway, waits on. Ignored before the command starts (it
    // restores them for itself), so no interrupt can fall in between.
    ignore_interrupts();
    let mut child =
        ztguard_sandbox::spawn(&prepared, &args.command, &env, &cwd, bridge, &[], |_| {})
            .map_err(anyhow::Error::msg)?;
    let status = child.wait().context("waiting for the command")?;
    prepared.clean_up();
    Ok(run_cmd::exit(run_cmd::exit_code(status)))
}

/// Ignore SIGINT and SIGQUIT from here on (the sandboxed command resets
/// them to their defaults before it starts).
fn ignore_interrupts() {
    for sig in [libc::SIGINT, libc::SIGQUIT] {
        // SAFETY: installing SIG_IGN runs no handler code; the sandboxed
        // command puts back the default dispositions in its child.
        unsafe {
            libc::signal(sig, libc::SIG_IGN);
        }
    }
}

/// The proxy variables HTTP clients honour, for a proxy on `port`.
fn proxy_vars(port: u16) -> Vec<(OsString, OsString)> {
    let url = format!("http://127.0.0.1:{port}");
    let mut vars: Vec<(OsString, OsString)> = [
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ]
    .iter()
    .map(|k| (k.into(), url.clone().into()))
    .collect();
    // Loopback inside is the sandbox's own (ztguard's broker and gateway,
    // a test's server): reached directly, never through the proxy.
    for k in ["NO_PROXY", "no_proxy"] {
        vars.push((k.into(), "localhost,127.0.0.1,::1".into()));
    }
    vars
}

/// Say what is not enforced, loudly, and with -v what is.
fn warn(prepared: &Prepared, project: &Path, cut_short: bool, verbose: bool) {
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
    if verbose {
        for e in &prepared.enforced {
            eprintln!("ztguard exec: {e}");
        }
    }
}

/// Create the agent's own state where it is missing, before the sandbox
/// starts: inside, the home itself is not writable, so Claude Code could not
/// create `~/.claude/` (and would lose its sessions and hooks' state) or
/// `~/.claude.json` (and would start as if for the first time, every time).
fn agent_state(home: &Path, command: &[OsString]) {
    let _ = std::fs::create_dir_all(home.join(".cache"));
    let is_claude = command
        .first()
        .and_then(|p| Path::new(p).file_name())
        .is_some_and(|n| n == "claude");
    if is_claude {
        use std::os::unix::fs::DirBuilderExt;
        let _ = std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(home.join(".claude"));
        let config = home.join(".claude.json");
        if !config.exists() {
            let _ = std::fs::write(&config, "{}\n");
        }
    }
}

/// The hashes, at the start, of the project files the secrets' operations
/// name (`./scripts/deploy.sh`): an operation may receive a secret only
/// while the files it runs keep that content, or a human approved the new one.
fn pin(
    policy: &Policy,
    project: &Path,
    home: &Path,
    path: Option<&std::ffi::OsStr>,
) -> BTreeMap<PathBuf, String> {
    let mut pinned = BTreeMap::new();
    for s in &policy.secrets {
        let operations = s
            .allow
            .iter()
            .map(|p| p.source.split_whitespace().collect::<Vec<_>>())
            .chain(
                s.command
                    .iter()
                    .map(|c| c.iter().map(String::as_str).collect()),
            );
        for words in operations {
            for (i, word) in words.into_iter().enumerate() {
                if word.contains(['*', '?', '[']) {
                    continue;
                }
                // Keyed as named: a symlink put in its place later is
                // compared by what it points to now.
                let named = ztguard_paths::resolve(word, project, home).lexical;
                let found = (i == 0 && !word.contains('/'))
                    .then(|| path.and_then(|p| run_cmd::on_path(word, p)))
                    .flatten();
                for p in [Some(named), found].into_iter().flatten() {
                    if let Some(h) = ztguard_monitor::provenance::file_hash(&p) {
                        pinned.insert(p, h);
                    }
                }
            }
        }
    }
    pinned
}

/// What the sandbox may ask of the process outside.
struct Broker {
    policy: Arc<Policy>,
    pinned: run_cmd::Pinned,
    project: PathBuf,
    prepared: Arc<Prepared>,
    /// The sandbox's environment, which operations start from.
    env: Vec<(OsString, OsString)>,
    allow: Option<ztguard_sandbox::proxy::Allow>,
    /// The profile `exec` applies, for hook calls that name none.
    profile: Option<String>,
    /// The guards that answer hook calls, each with the policy it loaded
    /// once, for the life of `exec`.
    guards: Guards,
}

impl Broker {
    fn handle(&self, req: Request, reply: Reply) {
        let result = match req {
            Request::Run { secrets, argv, cwd } => self.run(&secrets, &argv, &cwd, &reply),
            Request::Hook {
                profile,
                strict,
                session_attended,
                input,
            } => self.hook(profile, strict, session_attended, &input, &reply),
        };
        if let Err(why) = result {
            let _ = reply.error(&why);
        }
    }

    /// An approved operation, with its secrets, in a sandbox of its own
    /// (a sibling of the agent's: the agent cannot trace it or read its
    /// environment).
    fn run(
        &self,
        names: &[String],
        argv: &[String],
        cwd: &Path,
        reply: &Reply,
    ) -> Result<(), String> {
        let configured;
        let argv = match argv.is_empty() {
            true => {
                configured = run_cmd::configured(&self.policy, names)?;
                &configured[..]
            }
            false => argv,
        };
        let refuse = |why: String| {
            let _ = run_cmd::record(&self.project, names, argv, "broker", Err(&why));
            Err(why)
        };
        if !cwd.starts_with(&self.project) {
            return refuse(format!(
                "an operation under ztguard exec runs inside the project {}",
                self.project.display()
            ));
        }
        let path = self
            .env
            .iter()
            .find(|(k, _)| k == "PATH")
            .map(|(_, v)| v.as_os_str());
        let ask = run_cmd::Ask {
            names,
            argv,
            cwd,
            path,
        };
        let cleared = match run_cmd::clear(&self.policy, &self.project, &ask, Some(&self.pinned)) {
            Ok(c) => c,
            Err(why) => return refuse(why),
        };
        let mut env = self.env.clone();
        env.extend(cleared.os_env());
        let argv_os: Vec<OsString> = argv.iter().map(OsString::from).collect();
        let bridge = Bridge {
            allow: self.allow.clone(),
            services: Vec::new(),
        };
        let mut child =
            ztguard_sandbox::spawn(&self.prepared, &argv_os, &env, cwd, bridge, &[], |c| {
                c.stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
            })?;
        let status = run_cmd::pump(
            &mut child,
            &cleared.redactor,
            reply.stream(false),
            reply.stream(true),
        )
        .map_err(|e| format!("waiting for the operation: {e}"))?;
        let code = run_cmd::exit_code(status);
        let _ = run_cmd::record(&self.project, names, argv, "broker", Ok(code));
        reply.exit(code).map_err(|e| e.to_string())
    }

    /// A hook decision, made here, outside: the policy, the audit log and
    /// the session state are out of the sandbox's reach, and the project is
    /// pinned to the one `ztguard exec` was started for.
    fn hook(
        &self,
        profile: Option<String>,
        strict: bool,
        session_attended: Option<bool>,
        input: &str,
        reply: &Reply,
    ) -> Result<(), String> {
        let started = std::time::Instant::now();
        let profile = profile.or_else(|| self.profile.clone());
        let choice = Choice {
            profile: context::profile(profile.as_deref()),
            strict: context::strict(strict),
            // Said by the client inside the sandbox: it can only turn asks into denials.
            session_attended,
        };
        let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            claude::answer(input, &choice, &self.guards, started)
        }))
        .map_err(|_| "internal error in the hook; please report it".to_string())?;
        let (stdout, stderr, code) = out.rendered();
        use std::io::Write;
        let _ = reply.stream(false).write_all(&stdout);
        let _ = reply.stream(true).write_all(&stderr);
        reply.exit(i32::from(code)).map_err(|e| e.to_string())
    }
}

/// The proxy's question — may the sandbox reach this host? — answered by
/// the policy exactly as for a WebFetch to it: only an allow lets it through
/// (there is no one to ask inside a proxy). With the gateway, the model
/// API's host is reachable too: without the key, which stays in the gateway.
fn host_check(
    policy: &Arc<Policy>,
    project: &Path,
    home: &Path,
    cwd: &Path,
    api_host: Option<String>,
) -> ztguard_sandbox::proxy::Allow {
    let policy = policy.clone();
    let (project, home, cwd) = (project.to_path_buf(), home.to_path_buf(), cwd.to_path_buf());
    Arc::new(move |host: &str| {
        // The host in the one spelling WebFetch and commands are judged by.
        let host = ztguard_shell::urls::canonical_host(host)?;
        let authority = if host.contains(':') {
            format!("[{host}]")
        } else {
            host.clone()
        };
        let req = ztguard_policy::Request {
            tool: "WebFetch".into(),
            action: ztguard_policy::Action::Fetch {
                url: format!("https://{authority}/"),
            },
            cwd: cwd.clone(),
            project: project.clone(),
            home: home.clone(),
            agent_type: None,
        };
        let allowed = api_host.as_deref() == Some(host.as_str())
            || policy.evaluate(&req).verdict == ztguard_policy::Verdict::Allow;
        allowed.then_some(host)
    })
}

pub fn env(args: &EnvArgs) -> anyhow::Result<ExitCode> {
    let project = context::project_arg(None)?;
    let home = context::home();
    let policy = context::load(&project, &home, None, false).context("the policy does not load")?;
    // None: the layers' prefixes disagree; the empty prefix passes nothing.
    let prefix = policy.visible_prefix().unwrap_or_default();
    let all: Vec<String> = std::env::vars_os()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    let kept: Vec<&String> = all
        .iter()
        .filter(|k| ztguard_sandbox::env::passes(std::ffi::OsStr::new(k.as_str()), &prefix))
        .collect();
    // What `ztguard exec` adds, by default (the proxy's variables, the
    // broker's address, and the gateway's when there is a model API key).
    let mut added: Vec<String> = proxy_vars(ztguard_sandbox::proxy::PORT)
        .into_iter()
        .map(|(k, _)| k.to_string_lossy().into_owned())
        .collect();
    added.push(broker::ENV.to_string());
    if let Some((_, inside)) = gateway::from_env(&home).map_err(anyhow::Error::msg)? {
        added.push("ANTHROPIC_BASE_URL".into());
        added.extend(
            inside
                .into_iter()
                .map(|(k, _)| format!("{k} (a placeholder)")),
        );
    }
    if args.json {
        println!(
            "{}",
            json!({"prefix": prefix, "visible": kept, "added": added, "withheld": all.len() - kept.len()})
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
        println!(
            "{} other variables are withheld. ztguard adds:",
            all.len() - kept.len()
        );
        for k in &added {
            println!("  {k}");
        }
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
                "seccomp": s.seccomp,
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
        println!(
            "seccomp: {}",
            if s.seccomp {
                "available (socket families: no Unix sockets)"
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
