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
use ztguard_sandbox::host_config::{self, HostConfig};
use ztguard_sandbox::{Bind, Bridge, Network, Plan, Prepared, Support};

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

/// git's control files in a repository directory (the project's `.git`
/// and each submodule's under `.git/modules`), bound read-only: what git
/// reads its configuration, hooks and attributes from.
const GIT_CONTROL: &[&str] = &["config", "hooks", "info"];

/// The largest copy of `~/.claude.json` merged back after a run.
const MAX_AGENT_CONFIG: u64 = 16 << 20;

/// Directories of the readable `/run` that hold the users' and services'
/// secrets, masked as a whole.
const RUN_PRIVATE: &[&str] = &["/run/user", "/run/credentials", "/run/secrets"];

/// The agent's settings inside its writable state, bound read-only.
const HOME_SETTINGS: &[&str] = &[
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".claude/hooks",
    ".claude/agents",
    ".claude/commands",
    ".claude/skills",
    ".claude/plugins",
    ".claude/output-styles",
    ".claude/CLAUDE.md",
    // A local install (`claude migrate-installer`): the user's `claude`
    // alias runs it.
    ".claude/local",
    // Instructions loaded into every session.
    ".claude/rules",
];

/// Of [`HOME_SETTINGS`], what is created before the sandbox starts where
/// `~/.claude` exists and they do not (a path that does not exist cannot
/// be bound read-only, and the agent could create it): directories, and
/// files with their empty content.
const HOME_SETTINGS_MADE: &[(&str, Option<&str>)] = &[
    (".claude/settings.json", Some("{}\n")),
    (".claude/CLAUDE.md", Some("")),
    (".claude/hooks", None),
    (".claude/agents", None),
    (".claude/commands", None),
    (".claude/skills", None),
    (".claude/plugins", None),
    (".claude/settings.local.json", Some("{}\n")),
    (".claude/output-styles", None),
    (".claude/rules", None),
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

/// Downloaded packages under the home: large, full of public test keys
/// that builds read, and not where credentials are kept; the search for
/// credentials to mask skips them (a deny pattern that names a path in
/// one is still checked, path by path).
const PACKAGE_TREES: &[&str] = &[
    ".cargo/registry",
    ".cargo/git",
    ".rustup/toolchains",
    ".rustup/downloads",
    ".npm/_cacache",
    ".m2/repository",
    ".gradle/caches",
    ".gradle/wrapper",
    ".gradle/native",
    "go/pkg",
    // Version managers: a checkout of the tool and the versions it installed.
    ".nvm",
    ".pyenv",
    ".claude/projects",
];

/// Directories of installed packages, skipped wherever they are.
const PACKAGE_DIRS: &[&str] = &["site-packages", "dist-packages", "node_modules"];

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

/// Where the search for files to mask stopped before its end.
#[derive(Default)]
struct CutShort {
    /// The trees it did not finish.
    trees: Vec<PathBuf>,
}

/// Files and directories under `root` (and `root` itself, unless it is
/// the project) that the policy keeps from being read, skipping the
/// directories `skip` names; at most `limit` entries in all (`seen`).
/// False when it stopped before the end.
#[allow(clippy::too_many_arguments)]
fn denied_beneath(
    policy: &Policy,
    project: &Path,
    home: &Path,
    root: &Path,
    skip: &dyn Fn(&Path) -> bool,
    seen: &mut usize,
    limit: usize,
    found: &mut Vec<PathBuf>,
) -> bool {
    if root != project && policy.forbidding_rule(root, false, project, home).is_some() {
        found.push(root.to_path_buf());
        return true;
    }
    // Each directory with its real path: an entry that is not a symlink
    // is its directory's real path and its name, with no lookup.
    let mut stack = vec![(root.to_path_buf(), ztguard_paths::real_path(root), 0usize)];
    while let Some((dir, real_dir, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.filter_map(Result::ok) {
            *seen += 1;
            if *seen > limit {
                return false;
            }
            let path = e.path();
            let kind = e.file_type().ok();
            let real = match kind {
                Some(t) if !t.is_symlink() => real_dir.join(e.file_name()),
                _ => ztguard_paths::real_path(&path),
            };
            if policy
                .forbidding_rule_at(&path, &real, false, project, home)
                .is_some()
            {
                found.push(path);
                continue;
            }
            if kind.is_some_and(|t| t.is_dir()) && !skip(&path) && depth < 12 {
                stack.push((path, real, depth + 1));
            }
        }
    }
    true
}

/// Files and directories the sandbox could read or write that the policy
/// keeps from being read: everything in the project, in the home's trees
/// the plan opens and in the trees the policy grants (package trees
/// skipped), and what the deny patterns name one by one in every tree
/// (`~/.cargo/credentials.toml`, `/etc/shadow`).
fn credentials(
    policy: &Policy,
    project: &Path,
    home: &Path,
    trees: &[PathBuf],
) -> (Vec<PathBuf>, CutShort) {
    let mut found = Vec::new();
    let mut cut = CutShort::default();
    let mut seen = 0usize;
    let named = |p: &Path, names: &[&str]| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| names.contains(&n))
    };
    let in_project = |p: &Path| named(p, SKIP_DIRS);
    if !denied_beneath(
        policy,
        project,
        home,
        project,
        &in_project,
        &mut seen,
        WALK_LIMIT,
        &mut found,
    ) {
        cut.trees.push(project.to_path_buf());
    }
    let outside = |p: &Path| {
        named(p, SKIP_DIRS)
            || named(p, PACKAGE_DIRS)
            || PACKAGE_TREES.iter().any(|t| p.starts_with(home.join(t)))
    };
    let mut seen = 0usize;
    let searched: Vec<&PathBuf> = trees
        .iter()
        .filter(|t| !t.starts_with(project) && !project.starts_with(t))
        .filter(|t| t.starts_with(home) || !system_tree(t))
        .collect();
    for t in &searched {
        if !t.exists() || outside(t) || searched.iter().any(|o| o != t && t.starts_with(o)) {
            continue;
        }
        if !denied_beneath(
            policy, project, home, t, &outside, &mut seen, WALK_LIMIT, &mut found,
        ) {
            cut.trees.push(t.to_path_buf());
        }
    }
    for p in denied_by_name(policy, project, home, trees) {
        let reachable = trees.iter().any(|t| p.starts_with(t)) && !p.starts_with(project);
        if reachable && !found.iter().any(|f| p.starts_with(f)) {
            found.push(p);
        }
    }
    (found, cut)
}

/// Trees of the system: never searched as a whole.
fn system_tree(t: &Path) -> bool {
    SYSTEM
        .iter()
        .chain(DEVICES)
        .chain(["/tmp", "/var/tmp", "/dev"].iter())
        .any(|s| t.starts_with(s))
}

/// The existing paths the policy's deny patterns name by an anchored
/// path (`~/.m2/settings.xml`, `/etc/ssh/*_key`, `~/.config/gh/**`), where
/// the policy keeps them from being read. `/proc`, `/sys` and `/dev` are
/// the kernel's, not files to mask. Only patterns that can name a path in
/// one of `trees` are looked at (the others are out of the sandbox's reach).
fn denied_by_name(policy: &Policy, project: &Path, home: &Path, trees: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let trees: Vec<PathBuf> = trees
        .iter()
        .map(|t| ztguard_paths::lexical_normalize(t))
        .collect();
    let (layers, _) = policy.active_layers(None);
    for rule in layers.iter().flat_map(|l| l.rules()) {
        if rule.key != "files.deny" {
            continue;
        }
        let pattern = rule.rule.as_str();
        let anchored = if let Some(rest) = pattern.strip_prefix("~/") {
            home.join(rest)
        } else if pattern.starts_with('/') && !pattern.starts_with("/**") {
            PathBuf::from(pattern)
        } else {
            continue;
        };
        if ["/proc", "/sys", "/dev"]
            .iter()
            .any(|k| anchored.starts_with(k))
        {
            continue;
        }
        // The literal directories the pattern starts with: a tree holds
        // them, or they hold a tree (compared normalized: a HOME given as
        // `/a//home` is the same directory).
        let special = |c: &std::path::Component| {
            c.as_os_str()
                .to_string_lossy()
                .contains(['*', '?', '[', '{', '\\'])
        };
        let literal = ztguard_paths::lexical_normalize(
            &anchored
                .components()
                .take_while(|c| !special(c))
                .collect::<PathBuf>(),
        );
        let within = ztguard_paths::is_within;
        if !trees
            .iter()
            .any(|t| within(&literal, t) || within(t, &literal))
        {
            continue;
        }
        // Alternatives and escapes, which a glob expansion does not know:
        // the directory they start in is searched, keeping only what this
        // pattern names (a system tree holds much that other patterns deny
        // by name alone, such as public certificates, and programs need).
        if anchored.components().any(|c| {
            let c = c.as_os_str().to_string_lossy();
            c.contains(['{', '\\'])
        }) {
            out.extend(named_beneath(
                policy, project, home, pattern, &anchored, &literal,
            ));
            continue;
        }
        let text = anchored.to_string_lossy().into_owned();
        let (base, tree) = match text.split_once("/**") {
            Some((base, _)) => (PathBuf::from(base), true),
            None => (anchored.clone(), false),
        };
        let candidates = if base.to_string_lossy().contains(['*', '?', '[', '{']) {
            ztguard_paths::expand_glob(&base)
                .paths
                .into_iter()
                .filter(|p| p.exists())
                .collect()
        } else {
            vec![base]
        };
        for c in candidates {
            if !c.exists() && std::fs::symlink_metadata(&c).is_err() {
                continue;
            }
            if tree && c.is_dir() {
                let mut seen = 0usize;
                denied_beneath(
                    policy,
                    project,
                    home,
                    &c,
                    &|_| false,
                    &mut seen,
                    WALK_LIMIT,
                    &mut out,
                );
            } else if policy.forbidding_rule(&c, false, project, home).is_some() {
                out.push(c);
            }
        }
    }
    out
}

/// What a deny pattern with alternatives or escapes (`anchored`, starting
/// in the directory `literal`) names and the policy denies: the levels of
/// `literal` the pattern spans (the whole tree, within the walk's limit,
/// for a `**`). Never the root or a directory holding the home: too large
/// to search on every run; such a pattern is left to Landlock and the hook.
fn named_beneath(
    policy: &Policy,
    project: &Path,
    home: &Path,
    pattern: &str,
    anchored: &Path,
    literal: &Path,
) -> Vec<PathBuf> {
    let Ok(this) = ztguard_paths::PatternList::parse(&[pattern]) else {
        return Vec::new();
    };
    if !literal.is_dir() || literal.parent().is_none() || home.starts_with(literal) {
        return Vec::new();
    }
    let anchors = ztguard_paths::Anchors {
        project: project.to_path_buf(),
        home: home.to_path_buf(),
    };
    let names = |p: &Path| {
        this.matched(p, &anchors).is_some()
            && policy.forbidding_rule(p, false, project, home).is_some()
    };
    let mut found = Vec::new();
    if anchored.to_string_lossy().contains("**") {
        let mut seen = 0usize;
        denied_beneath(
            policy,
            project,
            home,
            literal,
            &|_| false,
            &mut seen,
            WALK_LIMIT,
            &mut found,
        );
        // The walk kept only what the policy denies.
        found.retain(|p| this.matched(p, &anchors).is_some());
        return found;
    }
    let levels = anchored
        .components()
        .count()
        .saturating_sub(literal.components().count());
    let mut level = vec![literal.to_path_buf()];
    for _ in 0..levels {
        let mut next = Vec::new();
        for dir in &level {
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.flatten().take(WALK_LIMIT) {
                let path = e.path();
                if names(&path) {
                    found.push(path);
                } else if e.file_type().is_ok_and(|t| t.is_dir()) {
                    next.push(path);
                }
            }
        }
        level = next;
    }
    found
}

/// The real path of `program` as PATH finds it, unless it lies in the
/// project (already writable).
fn program_path(program: &std::ffi::OsStr, project: &Path) -> Option<PathBuf> {
    let p = Path::new(program);
    let found = if p.components().count() > 1 {
        Some(context::absolute(p))
    } else {
        std::env::var_os("PATH").and_then(|path| run_cmd::on_path(&p.to_string_lossy(), &path))
    }?;
    let real = std::fs::canonicalize(found).ok()?;
    (!real.starts_with(project)).then_some(real)
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

/// The sandbox for a project under its policy. `binds`: what is put in
/// place of the host's (the private cache, the copy of the agent's
/// configuration); `state`: ztguard's own files in the project, made
/// before, bound read-only.
fn plan(
    policy: &Policy,
    project: &Path,
    home: &Path,
    args: &ExecArgs,
    binds: Vec<Bind>,
    state: &[PathBuf],
) -> (Plan, CutShort) {
    let mut read: Vec<PathBuf> = SYSTEM.iter().map(PathBuf::from).collect();
    read.extend(HOME_READ.iter().map(|p| home.join(p)));
    // ztguard itself (the hook and `ztguard run` inside call it) and the
    // program asked for (an agent installed anywhere): its directory,
    // unless that would open the home or a tree the policy forbids; then
    // the program file alone.
    read.extend(std::env::current_exe().ok());
    if let Some(program) = args.command.first().and_then(|p| program_path(p, project)) {
        let dir = program
            .parent()
            .map(Path::to_path_buf)
            .into_iter()
            .collect::<Vec<_>>();
        match enforceable(dir, policy, project, home, false).pop() {
            Some(dir) => read.push(dir),
            None => read.push(program),
        }
    }
    let mut write: Vec<PathBuf> = vec![project.to_path_buf(), PathBuf::from("/tmp")];
    // The caller's TMPDIR, where it is a tree the kernel can hold to
    // (inside, TMPDIR is /tmp).
    write.extend(enforceable(
        vec![std::env::temp_dir()],
        policy,
        project,
        home,
        true,
    ));
    write.extend(DEVICES.iter().map(PathBuf::from));
    write.extend(HOME_WRITE.iter().map(|p| home.join(p)));
    let (granted_read, granted_write) = policy.granted_trees(project, home);
    read.extend(enforceable(granted_read, policy, project, home, false));
    write.extend(enforceable(granted_write, policy, project, home, true));
    // The private cache replaces the host's: nothing of it to search.
    let searched: Vec<PathBuf> = read
        .iter()
        .chain(&write)
        .filter(|t| **t != home.join(".cache"))
        .cloned()
        .collect();
    let (mut mask, cut_short) = credentials(policy, project, home, &searched);
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
    // Under the readable /run: the users' runtime directories (registry
    // logins such as containers/auth.json, agents' sockets, session
    // cookies) and the credentials systemd hands its services.
    mask.extend(
        RUN_PRIVATE
            .iter()
            .map(PathBuf::from)
            .filter(|p| p.exists() && !project.starts_with(p) && !home.starts_with(p)),
    );
    // The home's startup and persistence files matter only where the home
    // lies inside a writable tree (a home under /tmp); elsewhere Landlock
    // keeps the whole home out.
    let home_writable = write.iter().any(|t| home.starts_with(t));
    let home_candidates = HOME_SETTINGS
        .iter()
        .map(|p| home.join(p))
        .chain(settings_scripts(home))
        .chain(
            HOME_PERSISTENCE
                .iter()
                .filter(|_| home_writable)
                .map(|p| home.join(p)),
        );
    let mut read_only: Vec<PathBuf> = home_candidates
        .filter(|p| p.exists() && policy.forbidding_rule(p, true, project, home).is_some())
        .collect();
    // The project's agent, IDE and tool configuration, bound read-only
    // where it exists (a masked one stays masked); where it does not, the
    // check at the end removes what the command created.
    read_only.extend(
        host_config::PROJECT_CONFIG
            .iter()
            .map(|p| project.join(p))
            .filter(|p| std::fs::symlink_metadata(p).is_ok() && !mask.contains(p)),
    );
    read_only.extend(state.iter().cloned());
    // git: `.git` itself a mountpoint (it cannot be renamed or replaced),
    // writable for commits, its control files read-only.
    // What is put in another's place is not the host's there.
    mask.retain(|m| {
        !binds
            .iter()
            .any(|b| b.source != b.target && m.starts_with(&b.target))
    });
    // Landlock follows a bind to its source, not to the path it covers
    // (its rules skip mountpoints): the source is granted as the bind is.
    for b in &binds {
        match b.writable {
            true => write.push(b.source.clone()),
            false => read.push(b.source.clone()),
        }
    }
    let mut binds = binds;
    let git = project.join(".git");
    match std::fs::symlink_metadata(&git) {
        Ok(m) if m.is_dir() => {
            binds.push(Bind {
                source: git.clone(),
                target: git.clone(),
                writable: true,
            });
            git_control(&git, 0, &mut read_only);
        }
        // A work tree's or submodule's `gitdir:` file.
        Ok(_) => read_only.push(git),
        Err(_) => {}
    }
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
            binds,
            home: Some(home.to_path_buf()),
            service_ports: Vec::new(),
            unix_sockets: args.allow_unix_sockets,
            allow_degraded: args.allow_degraded,
        },
        cut_short,
    )
}

/// Files under `~/.claude` that the user's Claude Code settings name in a
/// command (a status line script, a hook script): Claude Code outside runs
/// them, so they are bound read-only like the settings themselves.
fn settings_scripts(home: &Path) -> Vec<PathBuf> {
    fn strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
        match v {
            serde_json::Value::String(s) => out.push(s),
            serde_json::Value::Array(a) => a.iter().for_each(|v| strings(v, out)),
            serde_json::Value::Object(o) => o.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let state = home.join(".claude");
    let mut found = Vec::new();
    for file in ["settings.json", "settings.local.json"] {
        let Some(v) = std::fs::read(state.join(file))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        else {
            continue;
        };
        let mut all = Vec::new();
        strings(&v, &mut all);
        for word in all
            .iter()
            .flat_map(|s| s.split(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == ';'))
        {
            let path = ["~/", "$HOME/", "${HOME}/"]
                .iter()
                .find_map(|p| word.strip_prefix(p))
                .map(|rest| home.join(rest))
                .unwrap_or_else(|| PathBuf::from(word));
            if path.starts_with(&state) && !found.contains(&path) && path.exists() {
                found.push(path);
            }
        }
    }
    found
}

/// The control files of a git directory and of its submodules' (under
/// `modules/`), where they exist.
fn git_control(git: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    out.extend(
        GIT_CONTROL
            .iter()
            .map(|c| git.join(c))
            .filter(|p| p.exists()),
    );
    if depth >= 4 {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(git.join("modules")) {
        for e in entries.flatten() {
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                git_control(&e.path(), depth + 1, out);
            }
        }
    }
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
    // ztguard's own files exist before the plan, so they are bound read-only.
    let state = ztguard_core::trail::create_state(&project, &policy.audit).map_err(|e| {
        anyhow::anyhow!(
            "cannot create ztguard's state in the project ({e}); the sandbox would be able to create it itself"
        )
    })?;
    let scratch = context::data_dir().join("run");
    std::fs::create_dir_all(&scratch)
        .with_context(|| format!("cannot create {}", scratch.display()))?;
    ztguard_sandbox::sweep(&scratch);
    ztguard_inject::snapshot::sweep(&scratch);
    // The agent's state copies of runs that were killed.
    for stale in ztguard_sandbox::stale_runs(&scratch, "claude-json-") {
        let _ = std::fs::remove_file(stale);
    }
    for stale in ztguard_sandbox::stale_runs(&scratch, "shell-snapshots-") {
        let _ = std::fs::remove_dir_all(stale);
    }
    let own = OwnState::make(&project, &home, &scratch)?;
    // The kernel is probed (a child process) while the plan is made.
    let ((mut plan, cut_short), support) = std::thread::scope(|s| {
        let probe = s.spawn(ztguard_sandbox::probe);
        let plan = plan(&policy, &project, &home, args, own.binds(&home), &state);
        (plan, probe.join().unwrap_or_default())
    });
    let gateway = match args.no_gateway {
        true => None,
        false => gateway::from_env(&home).map_err(anyhow::Error::msg)?,
    };
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
    let prepared = Arc::new(Prepared::new(&plan, &support, &scratch).map_err(anyhow::Error::msg)?);
    warn(&prepared, &project, &cut_short, args.verbose);
    // What the kernel keeps read-only for the whole run is not watched.
    let bound: Vec<PathBuf> = match support.user_namespaces {
        true => plan
            .read_only
            .iter()
            .chain(&plan.mask)
            .chain(plan.binds.iter().filter(|b| !b.writable).map(|b| &b.target))
            .cloned()
            .collect(),
        false => Vec::new(),
    };
    // Status changes from here on are the run's (a margin for the file
    // system's coarser clock).
    let since = std::time::SystemTime::now() - std::time::Duration::from_millis(200);
    let host = Arc::new(HostConfig::take(&project, &bound));

    let clean_env = ztguard_sandbox::env::clean(
        std::env::vars_os(),
        &policy.visible_prefix().unwrap_or_default(),
    );
    let cwd = std::env::current_dir().context("no current directory")?;
    let policy = Arc::new(policy);
    // The model API's host answers the client's own connectivity checks
    // through the proxy; the key it would need stays in the gateway.
    let api_host = gateway
        .as_ref()
        .map(|(g, _)| (g.upstream.host.clone(), g.upstream.port));
    // (canonical already: the gateway parses its base URL with the same parser)
    let allow = proxy
        .as_ref()
        .map(|_| host_check(&policy, &project, &home, &cwd, api_host));
    let mut env = clean_env;
    // Temp files go to the sandbox's own /tmp, not to a host TMPDIR.
    env.retain(|(k, _)| k != "TMPDIR");
    env.push(("TMPDIR".into(), "/tmp".into()));
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
    let running = Arc::new(std::sync::Mutex::new(Vec::new()));
    let broker = Arc::new(Broker {
        running: running.clone(),
        policy: policy.clone(),
        pinned: pin(
            &policy,
            &project,
            &home,
            std::env::var_os("PATH").as_deref(),
            plan.write.clone(),
        ),
        project: std::fs::canonicalize(&project).unwrap_or_else(|_| project.clone()),
        plan: plan.clone(),
        support,
        scratch: scratch.clone(),
        started: std::sync::atomic::AtomicU64::new(0),
        host_config: host.clone(),
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
    let terminal = ztguard_sandbox::terminal::Terminal::save();
    let mut child =
        ztguard_sandbox::spawn(&prepared, &args.command, &env, &cwd, bridge, &[], |_| {})
            .map_err(anyhow::Error::msg)?;
    let status = child.wait().context("waiting for the command");
    if let Some(t) = &terminal {
        t.restore();
    }
    end_operations(&running);
    prepared.clean_up();
    // Before anything the sandbox wrote is read (the copy of the agent's
    // configuration could be made too big to read).
    end_check(&host, &policy, &project, since);
    own.merge_back(&home);
    let status = status?;
    Ok(run_cmd::exit(run_cmd::exit_code(status)))
}

/// End the operations still running (each relay's death ends its PID
/// namespace), and wait for them to be gone.
fn end_operations(running: &std::sync::Mutex<Vec<u32>>) {
    let pids: Vec<u32> = running.lock().map(|r| r.clone()).unwrap_or_default();
    for pid in &pids {
        // SAFETY: kill takes no memory; the pid is a child this process started.
        unsafe {
            libc::kill(*pid as libc::pid_t, libc::SIGKILL);
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while std::time::Instant::now() < deadline
        && running.lock().map(|r| !r.is_empty()).unwrap_or(false)
    {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
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
fn warn(prepared: &Prepared, project: &Path, cut_short: &CutShort, verbose: bool) {
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
    for tree in &cut_short.trees {
        eprintln!(
            "ztguard exec: warning: {} has more than {WALK_LIMIT} entries; credential files beyond them are not masked",
            tree.display()
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
    agent_settings(home);
}

/// Create the agent's settings under `~/.claude` where they are missing
/// (when `~/.claude` exists): a path that does not exist cannot be bound
/// read-only, and the agent could create a settings file or hook there.
fn agent_settings(home: &Path) {
    if !home.join(".claude").is_dir() {
        return;
    }
    for (p, content) in HOME_SETTINGS_MADE {
        let p = home.join(p);
        if std::fs::symlink_metadata(&p).is_ok() {
            continue;
        }
        let _ = match content {
            Some(text) => std::fs::write(&p, text),
            None => std::fs::create_dir_all(&p),
        };
    }
}

/// What the sandbox gets in place of the host's own: a private `~/.cache`
/// per project (the host's holds what its tools run: corepack's package
/// managers, pre-commit's hook repositories), and a copy of
/// `~/.claude.json` without its MCP servers, merged back at the end
/// without them, the trust or the allowed tools.
struct OwnState {
    cache: PathBuf,
    /// A private `~/.npm` per project.
    npm: PathBuf,
    /// A private `~/.claude/shell-snapshots` for this run: Claude Code
    /// sources the snapshot of its session before each command, so one
    /// written inside must not be what a session outside sources.
    snapshots: Option<PathBuf>,
    /// The copy of `~/.claude.json`, and whether the host's parsed (else
    /// the copy starts empty and nothing is merged back).
    claude_json: Option<(PathBuf, bool)>,
}

impl OwnState {
    fn make(project: &Path, home: &Path, scratch: &Path) -> anyhow::Result<OwnState> {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        let id = ztguard_audit::sha256_hex(project.as_os_str().as_encoded_bytes());
        let cache = context::data_dir().join("cache").join(&id[..16]);
        std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(&cache)
            .with_context(|| format!("cannot create {}", cache.display()))?;
        // The binds need their targets.
        for d in [".cache", ".npm"] {
            std::fs::create_dir_all(home.join(d))
                .with_context(|| format!("cannot create {}", home.join(d).display()))?;
        }
        // npm's cache and logs: private like ~/.cache (npm writes them on
        // every install; the host's would be shared state the host runs).
        let npm = cache.with_extension("npm");
        std::fs::DirBuilder::new()
            .mode(0o700)
            .recursive(true)
            .create(&npm)
            .with_context(|| format!("cannot create {}", npm.display()))?;
        let host = home.join(".claude.json");
        let claude_json = match std::fs::read(&host) {
            Ok(bytes) => {
                let parsed: Option<serde_json::Value> = serde_json::from_slice(&bytes).ok();
                let copy = parsed
                    .as_ref()
                    .map(ztguard_agents::claude::user_config::filtered)
                    .unwrap_or_else(|| json!({}));
                let path = scratch.join(format!("claude-json-{}.json", std::process::id()));
                let _ = std::fs::remove_file(&path);
                let mut f = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                use std::io::Write;
                f.write_all(serde_json::to_string_pretty(&copy)?.as_bytes())?;
                Some((path, parsed.is_some()))
            }
            Err(_) => None,
        };
        let snapshots = home.join(".claude").is_dir().then(|| {
            let _ = std::fs::create_dir_all(home.join(".claude/shell-snapshots"));
            let private = scratch.join(format!("shell-snapshots-{}", std::process::id()));
            let _ = std::fs::DirBuilder::new().mode(0o700).create(&private);
            private
        });
        Ok(OwnState {
            cache,
            npm,
            claude_json,
            snapshots,
        })
    }

    fn binds(&self, home: &Path) -> Vec<Bind> {
        let mut binds = vec![
            Bind {
                source: self.cache.clone(),
                target: home.join(".cache"),
                writable: true,
            },
            Bind {
                source: self.npm.clone(),
                target: home.join(".npm"),
                writable: true,
            },
        ];
        if let Some((copy, _)) = &self.claude_json {
            binds.push(Bind {
                source: copy.clone(),
                target: home.join(".claude.json"),
                writable: true,
            });
        }
        if let Some(private) = &self.snapshots {
            binds.push(Bind {
                source: private.clone(),
                target: home.join(".claude/shell-snapshots"),
                writable: true,
            });
        }
        binds
    }

    /// Merge what the sandbox wrote in its copy of `~/.claude.json` into the
    /// host's file (never its servers, trust or allowed tools), and remove the copy.
    fn merge_back(&self, home: &Path) {
        if let Some(private) = &self.snapshots {
            let _ = std::fs::remove_dir_all(private);
        }
        let Some((copy, host_parsed)) = &self.claude_json else {
            return;
        };
        let host_path = home.join(".claude.json");
        let merged = (|| {
            if !host_parsed {
                return None;
            }
            // The sandbox wrote it: read only what a real one could be.
            if std::fs::metadata(copy).ok()?.len() > MAX_AGENT_CONFIG {
                eprintln!(
                    "ztguard exec: warning: the session's ~/.claude.json is larger than {} MiB; it is not merged back",
                    MAX_AGENT_CONFIG >> 20
                );
                return None;
            }
            let copy: serde_json::Value =
                serde_json::from_slice(&std::fs::read(copy).ok()?).ok()?;
            let host: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&host_path).ok()?).ok()?;
            let merged = ztguard_agents::claude::user_config::merged(&host, &copy);
            (merged != host).then_some(merged)
        })();
        if let Some(merged) = merged
            && let Ok(text) = serde_json::to_string_pretty(&merged)
        {
            let tmp = host_path.with_extension("json.ztguard-tmp");
            let written = std::fs::write(&tmp, text)
                .and_then(|()| {
                    std::fs::set_permissions(
                        &tmp,
                        std::os::unix::fs::PermissionsExt::from_mode(0o600),
                    )
                })
                .and_then(|()| std::fs::rename(&tmp, &host_path));
            if let Err(e) = written {
                let _ = std::fs::remove_file(&tmp);
                eprintln!(
                    "ztguard exec: warning: {} was not updated with the session's changes: {e}",
                    host_path.display()
                );
            }
        }
        let _ = std::fs::remove_file(copy);
    }
}

/// Compare the host's configuration with its record and undo every
/// change the run made: said on stderr, recorded in the audit log (rule
/// `sandbox.host_config.*`) and raised as an alert.
fn end_check(host: &HostConfig, policy: &Policy, project: &Path, since: std::time::SystemTime) {
    let mut changes = host.changes();
    let (planted, cut_short) = host.planted(since);
    for p in planted {
        if !changes.iter().any(|c| p.path.starts_with(&c.path)) {
            changes.push(p);
        }
    }
    if cut_short {
        let message = "the look for git, tool and IDE configuration created in the project stopped before its end: \
             do not run git or other tools in the project before you have reviewed it";
        eprintln!("ztguard exec: WARNING: {message}");
        let mut m = serde_json::Map::new();
        m.insert("decision".into(), json!("deny"));
        m.insert("rule".into(), json!("sandbox.host_config.unchecked"));
        m.insert("reason".into(), json!(message));
        let _ = crate::session_cmd::record_action(project, "HostConfigChanged", "ztguard exec", m);
        if !policy.audit.alert_commands.is_empty() || !policy.audit.alert_urls.is_empty() {
            let body = json!({"source": "ztguard", "kind": "host_config", "ts": ztguard_core::trail::now(),
                "project": project, "decision": "deny", "rule": "sandbox.host_config.unchecked", "message": message});
            let _ = ztguard_core::alert::raise(&policy.audit, &body);
        }
    }
    if changes.is_empty() {
        return;
    }
    let keep = context::data_dir().join("undone").join(format!(
        "{}-{}",
        ztguard_monitor::now_ms(),
        std::process::id()
    ));
    let undone = host.undo(&changes, &keep);
    eprintln!(
        "ztguard exec: the command changed the host's configuration, which the host's git, agents or IDEs would run; undone:"
    );
    for u in &undone {
        let what = format!("{} {}", u.change.kind.as_str(), u.change.path.display());
        match (&u.error, &u.kept) {
            (Some(e), _) => eprintln!("  {what}: NOT UNDONE: {e}"),
            (None, Some(k)) => eprintln!("  {what}: undone (its version kept at {})", k.display()),
            (None, None) => eprintln!("  {what}: undone"),
        }
        let mut m = serde_json::Map::new();
        m.insert("decision".into(), json!("deny"));
        m.insert("rule".into(), json!(u.change.kind.rule()));
        m.insert("path".into(), json!(u.change.path));
        m.insert("change".into(), json!(u.change.kind.as_str()));
        m.insert("undone".into(), json!(u.error.is_none()));
        if let Some(e) = &u.error {
            m.insert("reason".into(), json!(e));
        }
        if let Err(e) =
            crate::session_cmd::record_action(project, "HostConfigChanged", "ztguard exec", m)
        {
            eprintln!("ztguard exec: warning: the audit log was not written: {e}");
        }
        if !policy.audit.alert_commands.is_empty() || !policy.audit.alert_urls.is_empty() {
            let body = json!({
                "source": "ztguard",
                "kind": "host_config",
                "ts": ztguard_core::trail::now(),
                "project": project,
                "decision": "deny",
                "rule": u.change.kind.rule(),
                "message": format!("{what} inside ztguard exec: {}", if u.error.is_none() { "undone" } else { "NOT undone" }),
            });
            if let Err(e) = ztguard_core::alert::raise(&policy.audit, &body) {
                eprintln!("ztguard exec: warning: the alert was not raised: {e}");
            }
        }
    }
    if undone.iter().any(|u| u.kept.is_some()) {
        eprintln!(
            "ztguard exec: to keep a change, review its version in {} and apply it outside the sandbox",
            keep.display()
        );
    }
}

/// The hashes, at the start, of the project files the secrets' operations
/// name (`./scripts/deploy.sh`): an operation may receive a secret only
/// while the files it runs keep that content, or a human approved the new
/// one. The directories of those in the project are pinned whole (what a
/// script loads from beside it), and the directories of programs found by
/// name make the operations' PATH.
fn pin(
    policy: &Policy,
    project: &Path,
    home: &Path,
    path: Option<&std::ffi::OsStr>,
    writable: Vec<PathBuf>,
) -> run_cmd::Pinned {
    let mut pinned = run_cmd::Pinned {
        hashes: BTreeMap::new(),
        dirs: BTreeMap::new(),
        programs: Vec::new(),
        writable,
    };
    let real_project = std::fs::canonicalize(project).unwrap_or_else(|_| project.to_path_buf());
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
                if let Some(dir) = found.as_ref().and_then(|f| f.parent())
                    && !pinned.programs.iter().any(|d| d == dir)
                {
                    pinned.programs.push(dir.to_path_buf());
                }
                for p in [Some(named), found].into_iter().flatten() {
                    let Some(h) = ztguard_monitor::provenance::file_hash(&p) else {
                        continue;
                    };
                    let real = std::fs::canonicalize(&p).unwrap_or_else(|_| p.clone());
                    if let Some(dir) = real.parent()
                        && real.starts_with(&real_project)
                        && (pinned.in_reach(&p) || pinned.in_reach(&real))
                        && !pinned.dirs.contains_key(dir)
                    {
                        let recursive = dir != real_project;
                        pinned.dirs.insert(
                            dir.to_path_buf(),
                            ztguard_inject::snapshot::pin_dir(dir, recursive),
                        );
                    }
                    pinned.hashes.insert(p, h);
                }
            }
        }
    }
    pinned
}

/// What the sandbox may ask of the process outside.
struct Broker {
    /// The operations running now (their relays' pids): ended before the
    /// check at the end, so none can change the host's configuration after it.
    running: Arc<std::sync::Mutex<Vec<u32>>>,
    policy: Arc<Policy>,
    pinned: run_cmd::Pinned,
    /// The project, canonical.
    project: PathBuf,
    /// The agent's sandbox, which each operation's starts from.
    plan: Plan,
    support: Support,
    /// Where each operation's snapshot is made (out of the sandbox's reach).
    scratch: PathBuf,
    /// Numbers the operations' snapshots.
    started: std::sync::atomic::AtomicU64,
    /// The host's configuration as the sandbox found it: no operation runs
    /// while the sandbox has changed it (a planted `.git/commondir` would
    /// run its hooks with the operation's secrets).
    host_config: Arc<HostConfig>,
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
            Request::Run { secrets, argv, cwd } => match self.host_config.changes() {
                changes if changes.is_empty() => self.run(&secrets, &argv, &cwd, &reply),
                changes => Err(format!(
                    "the sandbox changed the host's configuration ({}); no operation runs until that is undone \
                     (ztguard exec undoes it when it ends)",
                    changes
                        .iter()
                        .map(|c| format!("{} {}", c.kind.as_str(), c.path.display()))
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            },
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
    /// environment). It runs in the project, with the system's PATH and
    /// the pinned programs', and sees its scripts' directories as they were
    /// checked: a private copy, put in their place.
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
        match self.prepare(names, argv, cwd) {
            Ok((cleared, snapshot, path, cwd)) => {
                self.start(names, argv, &cwd, &path, cleared, snapshot, reply)
            }
            Err(why) => refuse(why),
        }
    }

    /// Everything checked before an operation starts: its directory, its
    /// arguments, its secrets, and the snapshot of what it runs.
    fn prepare(
        &self,
        names: &[String],
        argv: &[String],
        cwd: &Path,
    ) -> Result<
        (
            run_cmd::Cleared,
            ztguard_inject::snapshot::Snapshot,
            OsString,
            PathBuf,
        ),
        String,
    > {
        use ztguard_inject::operation;
        if !self.support.user_namespaces {
            return Err(
                "this kernel has no user namespaces, so an operation cannot be started from a checked copy of its scripts; run it outside `ztguard exec`".into(),
            );
        }
        let cwd = operation::cwd_inside(cwd, &self.project)?;
        operation::own_repository(&cwd, &self.project)?;
        operation::check_arguments(argv)?;
        let all = operation::path(&self.pinned.programs);
        let ask = run_cmd::Ask {
            names,
            argv,
            cwd: &cwd,
            path: Some(&all),
        };
        // The policy's checks first (the operation, approvals, pins).
        run_cmd::clear_checks(&self.policy, &self.project, &ask, Some(&self.pinned))?;
        let home = context::home();
        // The directories to snapshot: of every file it runs that the
        // sandbox could have changed (the outermost pinned one around it).
        let mut dirs: Vec<PathBuf> = Vec::new();
        for r in run_cmd::files_run(&ask, &home) {
            let real = std::fs::canonicalize(&r.real).unwrap_or(r.real.clone());
            // The file itself, and the directory of the name it was given
            // by (a link there is pinned as a link).
            let named_dir = r
                .lexical
                .parent()
                .and_then(|d| std::fs::canonicalize(d).ok())
                .filter(|d| self.pinned.in_reach(d) && d.starts_with(&self.project));
            if self.pinned.in_reach(&real) && !real.starts_with(&self.project) {
                return Err(format!(
                    "{} lies outside the project in a tree the sandbox writes; an operation with a secret runs files of the project only",
                    r.lexical.display()
                ));
            }
            let real_dir = real
                .parent()
                .filter(|_| self.pinned.in_reach(&real))
                .map(Path::to_path_buf);
            for dir in [named_dir, real_dir].into_iter().flatten() {
                let dir = self
                    .pinned
                    .dirs
                    .iter()
                    .filter(|(d, p)| p.recursive && dir.starts_with(d))
                    .map(|(d, _)| d.clone())
                    .min_by_key(|d| d.components().count())
                    .unwrap_or(dir);
                if !dirs.contains(&dir) {
                    dirs.push(dir);
                }
            }
        }
        // One inside another: the outer one's copy holds it.
        let outer: Vec<PathBuf> = dirs
            .iter()
            .filter(|d| {
                !dirs
                    .iter()
                    .any(|o| o != *d && o != &self.project && d.starts_with(o))
            })
            .cloned()
            .collect();
        // The operation's PATH: the system's, the pinned programs' outside
        // the sandbox's reach, and those inside it whose copy it gets.
        let programs: Vec<PathBuf> = self
            .pinned
            .programs
            .iter()
            .filter(|d| {
                let real = std::fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf());
                !(self.pinned.in_reach(d) || self.pinned.in_reach(&real))
                    || outer
                        .iter()
                        .any(|o| real.starts_with(o) && (o != &self.project || &real == o))
            })
            .cloned()
            .collect();
        let path = operation::path(&programs);
        let ask = run_cmd::Ask {
            path: Some(&path),
            ..ask
        };
        let cleared = run_cmd::clear(&self.policy, &self.project, &ask, Some(&self.pinned))?;
        let unpinned: std::collections::BTreeMap<PathBuf, ztguard_inject::snapshot::DirPin> = outer
            .iter()
            .filter(|d| !self.pinned.dirs.contains_key(*d))
            .map(|d| {
                (
                    d.clone(),
                    ztguard_inject::snapshot::DirPin {
                        entries: Default::default(),
                        recursive: d != &self.project,
                        incomplete: None,
                    },
                )
            })
            .collect();
        let pins: Vec<(&Path, &ztguard_inject::snapshot::DirPin)> = outer
            .iter()
            .filter_map(|d| {
                let p = self.pinned.dirs.get(d).or_else(|| unpinned.get(d))?;
                Some((d.as_path(), p))
            })
            .collect();
        let ledger = ztguard_monitor::provenance::ledger(&self.project).unwrap_or_default();
        let n = self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let at = self
            .scratch
            .join(format!("operation-{}-{n}", std::process::id()));
        let snapshot = ztguard_inject::snapshot::Snapshot::take(
            &self.project,
            &at,
            &pins,
            &|p: &Path, h: &str| ledger.approves(p, Some(h)),
        )?;
        Ok((cleared, snapshot, path, cwd))
    }

    /// Start a cleared operation in its own sandbox and stream its output.
    #[allow(clippy::too_many_arguments)]
    fn start(
        &self,
        names: &[String],
        argv: &[String],
        cwd: &Path,
        path: &std::ffi::OsStr,
        cleared: run_cmd::Cleared,
        snapshot: ztguard_inject::snapshot::Snapshot,
        reply: &Reply,
    ) -> Result<(), String> {
        let mut plan = self.plan.clone();
        plan.binds.extend(snapshot.binds.iter().cloned());
        let prepared = Prepared::new(&plan, &self.support, snapshot.dir())?;
        let mut env: Vec<(OsString, OsString)> = self
            .env
            .iter()
            .filter(|(k, _)| k != "PATH")
            .cloned()
            .collect();
        env.push(("PATH".into(), path.to_os_string()));
        env.extend(cleared.os_env());
        // The directory is entered once the view is in place (a directory
        // entered before the mounts would be the live one).
        let mut argv_os: Vec<OsString> = vec![
            "/bin/sh".into(),
            "-c".into(),
            "cd -P -- \"$1\" || exit 126; shift; exec \"$@\"".into(),
            "ztguard-run".into(),
            cwd.as_os_str().to_os_string(),
        ];
        argv_os.extend(argv.iter().map(OsString::from));
        let bridge = Bridge {
            allow: self.allow.clone(),
            services: Vec::new(),
        };
        let mut child = ztguard_sandbox::spawn(
            &prepared,
            &argv_os,
            &env,
            Path::new("/"),
            bridge,
            &[],
            |c| {
                c.stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
            },
        )?;
        let pid = child.id();
        if let Ok(mut r) = self.running.lock() {
            r.push(pid);
        }
        let status = run_cmd::pump(
            &mut child,
            &cleared.redactor,
            reply.stream(false),
            reply.stream(true),
        )
        .map_err(|e| format!("waiting for the operation: {e}"));
        if let Ok(mut r) = self.running.lock() {
            r.retain(|p| *p != pid);
        }
        let status = status?;
        drop(prepared);
        drop(snapshot);
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

/// The proxy's question — may the sandbox reach this host on this port? —
/// answered by the policy exactly as for a WebFetch to it: only an allow
/// lets it through (there is no one to ask inside a proxy). With the
/// gateway, the model API's host is reachable too, on the upstream's own
/// port only: without the key, which stays in the gateway. An address the
/// host resolves to that is loopback, private or link-local is reached
/// only when a `network.allow` entry names it (not the default, not `*`),
/// or as the configured upstream.
fn host_check(
    policy: &Arc<Policy>,
    project: &Path,
    home: &Path,
    cwd: &Path,
    api: Option<(String, u16)>,
) -> ztguard_sandbox::proxy::Allow {
    let policy = policy.clone();
    let (project, home, cwd) = (project.to_path_buf(), home.to_path_buf(), cwd.to_path_buf());
    Arc::new(move |host: &str, port: u16| {
        // The host in the one spelling WebFetch and commands are judged by
        // (`127.1`, `2130706433`, `0x7f.1` and `[::ffff:127.0.0.1]` are 127.0.0.1).
        let host = ztguard_shell::urls::canonical_host(host)?;
        if api.as_ref().is_some_and(|(h, p)| *h == host && *p == port) {
            return Some(ztguard_sandbox::proxy::Grant { host, exact: true });
        }
        let d = policy.evaluate(&fetch_request(&host, &cwd, &project, &home));
        if d.verdict != ztguard_policy::Verdict::Allow {
            return None;
        }
        let exact = host.parse::<std::net::IpAddr>().is_ok() && explicitly_allowed(&d);
        Some(ztguard_sandbox::proxy::Grant { host, exact })
    })
}

/// The policy's request for a WebFetch to `host` (canonical).
fn fetch_request(host: &str, cwd: &Path, project: &Path, home: &Path) -> ztguard_policy::Request {
    let authority = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    ztguard_policy::Request {
        tool: "WebFetch".into(),
        action: ztguard_policy::Action::Fetch {
            url: format!("https://{authority}/"),
        },
        cwd: cwd.to_path_buf(),
        project: project.to_path_buf(),
        home: home.to_path_buf(),
        agent_type: None,
    }
}

/// Allowed by a `network.allow` entry in every layer that spoke (not by
/// `network.default = "allow"`, nor by `network.allow = ["*"]`).
fn explicitly_allowed(d: &ztguard_policy::Decision) -> bool {
    let mut steps = d
        .trace
        .iter()
        .filter(|s| s.check == ztguard_policy::Check::Network)
        .peekable();
    steps.peek().is_some()
        && steps.all(|s| {
            s.verdict == ztguard_policy::Verdict::Allow
                && s.rule.contains("network.allow \"")
                && !s.rule.contains("network.allow \"*\"")
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
    // Set to the sandbox's own /tmp, whatever the caller's says.
    added.push("TMPDIR".into());
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
    let full = missing.is_empty();
    // What it enforces is listed where it runs in full (a degraded run
    // lists what it keeps, `exec --allow-degraded -v`).
    let enforced: &[&str] = if full {
        ztguard_sandbox::status::ENFORCED
    } else {
        &[]
    };
    let not_enforced =
        ztguard_sandbox::status::not_enforced(full && ztguard_sandbox::limits::available());
    if *as_json {
        println!(
            "{}",
            json!({
                "landlock_abi": s.landlock_abi,
                "user_namespaces": s.user_namespaces,
                "seccomp": s.seccomp,
                "missing": missing,
                "full": full,
                "enforced": enforced,
                "not_enforced": not_enforced,
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
        if full {
            println!("`ztguard exec` enforces the full sandbox on this kernel:");
            for e in enforced {
                println!("  - {e}");
            }
            println!("Not enforced by the sandbox (the hook and a human's review cover these):");
            for e in &not_enforced {
                println!("  - {e}");
            }
        } else {
            println!(
                "`ztguard exec` refuses to run here unless --allow-degraded; missing: {}",
                missing.join(", ")
            );
        }
    }
    Ok(if full {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
