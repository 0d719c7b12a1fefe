//! Starting a command inside the sandbox.
//!
//! Everything is prepared in the parent: the Landlock ruleset (its file
//! descriptor), the placeholders that mask files, and every path and
//! mapping as a C string. The child, between `fork` and `exec`, only makes
//! system calls on those buffers:
//!
//! 1. `unshare` a user and a mount namespace (and a network namespace
//!    unless it keeps the host's), and map its uid and gid;
//! 2. make every mount private, bind the placeholders over masked paths and
//!    bind protected paths read-only onto themselves;
//! 3. with a private network, bind the bridge's listeners there and pass
//!    them out (see `bridge`);
//! 4. restore the default interrupts, die with the parent
//!    (`PR_SET_PDEATHSIG`), `PR_SET_NO_NEW_PRIVS`, `landlock_restrict_self`,
//!    and last the seccomp socket filter.
//!
//! Mounts come before Landlock, which forbids changing mounts afterwards.
//! Children inherit all of it across `fork` and `exec`.

use std::ffi::{CString, OsString};
use std::io;
use std::net::TcpListener;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, NetPort, Ruleset, RulesetAttr,
    RulesetCreatedAttr, Scope, path_beneath_rules,
};

use crate::bridge::Bridge;
use crate::plan::{Bind, Network, Plan};
use crate::status::Support;

/// The newest Landlock ABI requested; older kernels get what they support
/// (best effort), and the result is reported.
const ABI_WANTED: ABI = ABI::V7;

/// A sandbox ready to start commands.
pub struct Prepared {
    /// The Landlock rules (None: the kernel has no Landlock), made into a
    /// ruleset for each command started.
    landlock: Option<Rules>,
    namespaces: bool,
    network: Network,
    uid_map: CString,
    gid_map: CString,
    /// The file system inside (see `mounts`).
    layout: Option<Layout>,
    placeholders: PathBuf,
    /// Started by root: the idmapping of the trees it owns, and the trees,
    /// so that the sandbox runs as [`crate::idmap::SANDBOX`], never as
    /// kernel uid 0.
    idmap: Option<(crate::idmap::Idmap, Vec<crate::idmap::Target>)>,
    /// The control group that limits memory and tasks, where one could be made.
    group: Option<crate::limits::Group>,
    /// How many commands were started (each gets a `/tmp` of its own).
    started: std::sync::atomic::AtomicUsize,
    /// The seccomp filters (None: the kernel has none).
    seccomp: Option<Vec<seccompiler::BpfProgram>>,
    /// What is enforced, for the banner and `sandbox status`.
    pub enforced: Vec<String>,
    /// What is not, when `allow_degraded` let it run anyway.
    pub missing: Vec<String>,
}

impl Prepared {
    /// End what is left of the sandbox's processes and remove the masking
    /// placeholders and the commands' `/tmp`s.
    pub fn clean_up(&self) {
        if let Some(g) = &self.group {
            g.end();
        }
        remove_placeholders(&self.placeholders);
    }
}

/// Remove a run's directory: the placeholders are mode 000 and the
/// commands' private `/tmp`s may hold directories they closed, so every
/// directory is opened up first (removing one means listing it).
fn remove_placeholders(dir: &Path) {
    fn open_up(dir: &Path) {
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => open_up(&e.path()),
                Ok(t) if t.is_file() => {
                    let _ =
                        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(0o600));
                }
                _ => {}
            }
        }
    }
    open_up(dir);
    let _ = std::fs::remove_dir_all(dir);
}

impl Prepared {
    /// A new, empty directory to be one command's `/tmp`.
    fn new_tmp(&self) -> Result<PathBuf, String> {
        let n = self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let tmp = self.placeholders.join(format!("tmp-{n}"));
        std::fs::create_dir(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o1777))
            .map_err(|e| format!("{}: {e}", tmp.display()))?;
        Ok(tmp)
    }
}

/// Remove the placeholders of earlier runs whose process is gone (a
/// `ztguard exec` that was killed could not clean up after itself).
pub fn sweep(scratch: &Path) {
    for dir in crate::stale_runs(scratch, "ztguard-exec-") {
        remove_placeholders(&dir);
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        self.clean_up();
    }
}

use crate::init;
use crate::mounts::{Layout, Mount, check, cstr, make_private, write_file};

impl Prepared {
    /// Build the sandbox for `plan` on a kernel with `support`. Fails when
    /// the kernel cannot enforce it, unless the plan allows a degraded run.
    pub fn new(plan: &Plan, support: &Support, scratch: &Path) -> Result<Prepared, String> {
        let missing = support.missing();
        if !missing.is_empty() && !plan.allow_degraded {
            return Err(format!(
                "this kernel cannot enforce the sandbox: {} is missing. `ztguard sandbox status` tells more; \
                 --allow-degraded runs anyway with what there is",
                missing.join(", ")
            ));
        }
        let mut enforced = Vec::new();
        // The plan's trees that exist, looked up once.
        let (read, write) = (existing(&plan.read), existing(&plan.write));
        let landlock = match support.landlock_abi {
            Some(_) => {
                let (read, write) = (read.clone(), write.clone());
                enforced.push(format!(
                    "Landlock: read {} tree(s), write {} tree(s), nothing else",
                    read.len(),
                    write.len()
                ));
                let abi = ABI::from(support.landlock_abi.unwrap_or(0));
                let rules = Rules {
                    fresh: fresh_mounts(&read, &write, abi)?,
                    read,
                    write,
                    network: plan.network,
                    ports: plan.service_ports.clone(),
                };
                let mut ports: Vec<String> =
                    plan.service_ports.iter().map(u16::to_string).collect();
                if plan.network == Network::Proxy {
                    ports.insert(0, crate::proxy::PORT.to_string());
                }
                match (plan.network, ports.is_empty()) {
                    (Network::Host, _) => {}
                    (_, true) => enforced.push("Landlock: no TCP bind or connect".into()),
                    (_, false) => enforced.push(format!(
                        "Landlock: TCP connect only to ztguard's port(s) {} on loopback",
                        ports.join(", ")
                    )),
                }
                Some(rules)
            }
            None => None,
        };
        let namespaces = support.user_namespaces;
        let placeholders = scratch.join(format!("ztguard-exec-{}", std::process::id()));
        let mut mounts = Vec::new();
        let mut layout = None;
        let (mut masked, mut protected) = (0, 0);
        if namespaces {
            for b in &plan.binds {
                if b.source.exists() && b.target.exists() {
                    mounts.push(Mount::of(b)?);
                }
            }
            std::fs::create_dir_all(placeholders.join("dir"))
                .map_err(|e| format!("{}: {e}", placeholders.display()))?;
            let file = placeholders.join("file");
            std::fs::write(&file, b"").map_err(|e| format!("{}: {e}", file.display()))?;
            for p in &plan.mask {
                let Ok(meta) = std::fs::metadata(p) else {
                    continue;
                };
                let source = if meta.is_dir() {
                    placeholders.join("dir")
                } else {
                    file.clone()
                };
                // Read-only: Landlock does not cover chmod, so a writable
                // placeholder could be opened up and filled.
                mounts.push(Mount::new(&source, p, false, false)?);
                masked += 1;
            }
            for p in existing(&plan.read_only) {
                mounts.push(Mount::new(&p, &p, false, true)?);
                protected += 1;
            }
            let no_access = std::fs::Permissions::from_mode(0o000);
            std::fs::set_permissions(&file, no_access.clone()).map_err(|e| e.to_string())?;
            std::fs::set_permissions(placeholders.join("dir"), no_access)
                .map_err(|e| e.to_string())?;
            let l = Layout::new(&read, &write, mounts)?;
            enforced.push(format!(
                "private user, mount and PID namespaces: {} credential path(s) masked, {} protected path(s) read-only; \
                 nothing the command starts outlives it",
                masked, protected
            ));
            enforced.push(l.describe());
            layout = Some(l);
            match plan.network {
                Network::None => {
                    enforced.push("private network namespace: no network at all".into())
                }
                Network::Proxy => enforced.push(format!(
                    "private network namespace: only ztguard's proxy on 127.0.0.1:{}, to the hosts the policy allows",
                    crate::proxy::PORT
                )),
                Network::Host => {}
            }
        }
        let seccomp = match support.seccomp {
            true => Some(
                crate::filter::filters(plan.unix_sockets)
                    .map_err(|e| format!("the seccomp filter: {e}"))?,
            ),
            false => None,
        };
        if seccomp.is_some() {
            enforced.push(format!(
                "seccomp: sockets of {} only; no io_uring, no terminal input injection (TIOCSTI), no keyrings, \
                 no new user namespaces, no perf events or userfaultfd",
                if plan.unix_sockets {
                    "IPv4, IPv6, routing netlink and Unix"
                } else {
                    "IPv4, IPv6 and routing netlink (no Unix socket can reach the Docker, ssh or D-Bus agents)"
                }
            ));
        }
        let group = namespaces
            .then(|| crate::limits::Group::new(&crate::limits::name(std::process::id())))
            .flatten();
        match &group {
            Some(g) => enforced.push(g.limits.clone()),
            None if namespaces => enforced.push(
                "no control group could be made here: processes limited per user namespace, memory not limited".into(),
            ),
            None => {}
        }
        // SAFETY: getuid/getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        let idmap = match (uid, namespaces) {
            (0, true) => {
                let m = as_root(plan, &read, &write, scratch)?;
                enforced.push(format!(
                    "started by root: the sandbox runs as kernel uid {}, not 0; {} tree(s) shown to it through idmapped mounts",
                    crate::idmap::SANDBOX.uid,
                    m.1.len()
                ));
                Some(m)
            }
            _ => None,
        };
        let (outside_uid, outside_gid) = match &idmap {
            Some((m, _)) => (m.sandbox().uid, m.sandbox().gid),
            None => (uid, gid),
        };
        Ok(Prepared {
            landlock,
            namespaces,
            network: plan.network,
            uid_map: CString::new(format!("{} {outside_uid} 1\n", inside_id(uid)))
                .map_err(|e| e.to_string())?,
            gid_map: CString::new(format!("{} {outside_gid} 1\n", inside_id(gid)))
                .map_err(|e| e.to_string())?,
            idmap,
            layout,
            placeholders,
            started: std::sync::atomic::AtomicUsize::new(0),
            group,
            seccomp,
            enforced,
            missing,
        })
    }
}

/// Root's sandbox: the idmapping and its trees (the home when root owns
/// it, the run's directory `scratch`, and every writable tree, outermost
/// only). Refuses, with a reason a
/// human can act on, where a tree cannot be idmapped: a root sandbox never
/// falls back to kernel uid 0.
fn as_root(
    plan: &Plan,
    read: &[PathBuf],
    write: &[PathBuf],
    scratch: &Path,
) -> Result<(crate::idmap::Idmap, Vec<crate::idmap::Target>), String> {
    use crate::idmap::{Idmap, Ids, SANDBOX, conflicts, outermost};
    use std::os::unix::fs::MetadataExt;
    let refuse = |why: String| {
        format!(
            "started by root, the sandbox must run as an unprivileged uid, and {why}. \
             Run `ztguard exec` as the user who owns the project"
        )
    };
    let used = conflicts(SANDBOX);
    if !used.is_empty() {
        return Err(refuse(format!(
            "its uid {} is already in use here: {}",
            SANDBOX.uid,
            used.join("; ")
        )));
    }
    let idmap = Idmap::new(Ids { uid: 0, gid: 0 }, SANDBOX).map_err(|e| refuse(e.to_string()))?;
    let mut trees: Vec<PathBuf> = plan
        .home
        .iter()
        .filter(|h| std::fs::metadata(h).is_ok_and(|m| m.uid() == 0))
        .cloned()
        .collect();
    // The run's own directory: the commands' /tmp, the placeholders and the
    // operations' checked copies, root's files the sandbox must reach.
    trees.extend(std::fs::canonicalize(scratch).ok());
    trees.extend(
        write
            .iter()
            .filter(|p| {
                !(p.starts_with("/dev")
                    || p.starts_with("/proc")
                    || p.as_path() == Path::new("/tmp"))
            })
            .filter_map(|p| std::fs::canonicalize(p).ok()),
    );
    // A tree under a root directory others cannot enter (a `0700` temp
    // directory of a test, `/root` for another home) would be out of the
    // sandbox's reach: the highest such directory is idmapped instead.
    let mut trees: Vec<PathBuf> = trees.into_iter().map(|t| reachable_from(&t)).collect();
    // A readable tree (ztguard itself, the program started) under such a
    // directory (`~/.cargo/bin` under a `0700` `/root` that is not the
    // home given): that directory too, or it could not even be run.
    for r in read {
        let reach = reachable_from(r);
        if reach != *r && !trees.contains(&reach) {
            trees.push(reach);
        }
    }
    let mut targets = Vec::new();
    for t in outermost(&trees) {
        targets.push(idmap.target(&t).map_err(|e| refuse(e.to_string()))?);
    }
    Ok((idmap, targets))
}

/// `tree`, or its highest ancestor that root owns and others cannot enter.
fn reachable_from(tree: &Path) -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let mut out = tree.to_path_buf();
    for a in tree.ancestors().skip(1) {
        if a == Path::new("/") {
            break;
        }
        if std::fs::metadata(a).is_ok_and(|m| m.uid() == 0 && m.mode() & 0o001 == 0) {
            out = a.to_path_buf();
        }
    }
    out
}

/// The id the sandbox runs as: the caller's own, except that root
/// becomes an ordinary user inside. As root inside its user namespace a
/// command would keep every capability over its own files, and a masking
/// placeholder (mode 000) would read as empty instead of being refused.
fn inside_id(outside: libc::uid_t) -> libc::uid_t {
    if outside == 0 { UNPRIVILEGED } else { outside }
}

/// The uid and gid root runs as inside the sandbox.
pub const UNPRIVILEGED: libc::uid_t = 1000;

/// The paths that exist, each once, in order.
fn existing(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    paths
        .iter()
        .filter(|p| seen.insert(p.as_path()) && p.exists())
        .cloned()
        .collect()
}

/// The Landlock rules of a plan.
struct Rules {
    read: Vec<PathBuf>,
    write: Vec<PathBuf>,
    network: Network,
    ports: Vec<u16>,
    /// Rules the child adds for the file systems it mounts itself.
    fresh: Vec<Fresh>,
}

/// A file system the child mounts (a private `/tmp`, `/proc`, `/dev/shm`,
/// a devpts): its root is a new inode, which no rule made beforehand can
/// name, so the child adds the rule, with the access the plan grants the
/// path, once it is mounted.
#[derive(Clone)]
struct Fresh {
    path: CString,
    access: u64,
}

/// The fresh mounts of a plan whose trees are `read` and `write`, for a
/// kernel of Landlock `abi`.
fn fresh_mounts(read: &[PathBuf], write: &[PathBuf], abi: ABI) -> Result<Vec<Fresh>, String> {
    let abi = abi.min(ABI_WANTED);
    let mut fresh = Vec::new();
    for (path, file) in [
        ("/tmp", false),
        ("/dev/shm", false),
        ("/dev/pts", false),
        ("/dev/ptmx", true),
        ("/proc", false),
    ] {
        let p = Path::new(path);
        let access = if write.iter().any(|w| w == p) {
            match file {
                true => AccessFs::from_file(abi),
                false => AccessFs::from_all(abi),
            }
        } else if read.iter().any(|r| r == p) {
            match file {
                true => AccessFs::from_read(abi) & AccessFs::from_file(abi),
                false => AccessFs::from_read(abi),
            }
        } else {
            continue;
        };
        fresh.push(Fresh {
            path: cstr(p)?,
            access: access.bits(),
        });
    }
    Ok(fresh)
}

/// `struct landlock_path_beneath_attr`.
#[repr(C, packed)]
struct PathBeneath {
    allowed_access: u64,
    parent_fd: i32,
}

/// Add the fresh mounts' rules to `ruleset`, in the child (missing paths
/// are skipped: nothing to grant).
fn add_fresh(ruleset: libc::c_int, fresh: &[Fresh]) -> io::Result<()> {
    const LANDLOCK_RULE_PATH_BENEATH: libc::c_int = 1;
    for f in fresh {
        // SAFETY: a C string made before the fork; the attribute is a local.
        unsafe {
            let fd = libc::open(f.path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC);
            if fd < 0 {
                continue;
            }
            let attr = PathBeneath {
                allowed_access: f.access,
                parent_fd: fd,
            };
            let r = libc::syscall(
                libc::SYS_landlock_add_rule,
                ruleset,
                LANDLOCK_RULE_PATH_BENEATH,
                &attr as *const PathBeneath,
                0u32,
            );
            libc::close(fd);
            if r != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The Landlock ruleset of a plan's existing trees, as a file descriptor for the child.
fn ruleset(
    read: Vec<PathBuf>,
    write: Vec<PathBuf>,
    network: Network,
    service_ports: &[u16],
) -> Result<Option<OwnedFd>, landlock::RulesetError> {
    let abi = ABI_WANTED;
    let mut rs = Ruleset::default()
        .set_compatibility(CompatLevel::BestEffort)
        .handle_access(AccessFs::from_all(abi))?;
    if network != Network::Host {
        rs = rs.handle_access(AccessNet::from_all(abi))?;
    }
    let mut created = rs
        .scope(Scope::from_all(abi))?
        .create()?
        .add_rules(path_beneath_rules(read, AccessFs::from_read(abi)))?
        .add_rules(path_beneath_rules(write, AccessFs::from_all(abi)))?;
    if network == Network::Proxy {
        created = created.add_rule(NetPort::new(crate::proxy::PORT, AccessNet::ConnectTcp))?;
    }
    if network != Network::Host {
        for port in service_ports {
            created = created.add_rule(NetPort::new(*port, AccessNet::ConnectTcp))?;
        }
    }
    Ok(created.into())
}

/// A service the sandbox reaches on 127.0.0.1 inside its own network
/// namespace, served from outside: its port and what serves the listener.
pub type Service = (u16, Box<dyn FnOnce(TcpListener) + Send>);

/// Start `argv` in the sandbox with exactly `env`, in `cwd`, reaching
/// what `bridge` offers, with `binds` besides the plan's (existing
/// sources and targets only). `configure` sets anything else of the command
/// (its standard streams).
pub fn spawn(
    p: &Prepared,
    argv: &[OsString],
    env: &[(OsString, OsString)],
    cwd: &Path,
    bridge: Bridge,
    binds: &[Bind],
    configure: impl FnOnce(&mut Command),
) -> Result<Child, String> {
    let Some((program, args)) = argv.split_first() else {
        return Err("no command given".into());
    };
    let mut c = Command::new(program);
    c.args(args)
        .env_clear()
        .envs(env.iter().cloned())
        .current_dir(cwd);
    configure(&mut c);
    // A ruleset of its own: the child adds rules for what it mounts.
    let ruleset_fd = match &p.landlock {
        Some(r) => ruleset(r.read.clone(), r.write.clone(), r.network, &r.ports)
            .map_err(|e| format!("Landlock: {e}"))?,
        None => None,
    };
    let ruleset = ruleset_fd.as_ref().map(AsRawFd::as_raw_fd);
    let fresh: Vec<Fresh> = match (&p.landlock, &p.layout) {
        (Some(r), Some(_)) => r.fresh.clone(),
        _ => Vec::new(),
    };
    let namespaces = p.namespaces;
    let net = p.network != Network::Host;
    if p.network == Network::Proxy && bridge.allow.is_none() {
        return Err("the proxy needs the policy's host check".into());
    }
    let bridged =
        (net && namespaces && (p.network == Network::Proxy || !bridge.services.is_empty()))
            .then(|| crate::bridge::start(bridge, p.network == Network::Proxy))
            .transpose()?;
    let bridge_to = bridged
        .as_ref()
        .map(|b| (b.socket.as_raw_fd(), b.ports, b.count));
    // Owned copies for the closure, made before the fork.
    let uid_map = p.uid_map.clone();
    let gid_map = p.gid_map.clone();
    let extra = binds
        .iter()
        .map(crate::mounts::Mount::of)
        .collect::<Result<Vec<_>, _>>()?;
    let layout = p.layout.clone();
    let tmp = match &layout {
        Some(_) => Some(Mount::private_tmp(&p.new_tmp()?)?),
        None => None,
    };
    let cwd_c = cstr(cwd)?;
    let seccomp = p.seccomp.clone();
    let join: Vec<CString> = p.group.as_ref().map(|g| g.join.clone()).unwrap_or_default();
    let idmap = match &p.idmap {
        Some((m, targets)) => Some((
            m.try_clone().map_err(|e| format!("the idmapping: {e}"))?,
            targets.clone(),
        )),
        None => None,
    };
    // SAFETY: getpid cannot fail and touches no memory.
    let parent = unsafe { libc::getpid() };
    let setgroups = b"/proc/self/setgroups\0";
    let uid_path = b"/proc/self/uid_map\0";
    let gid_path = b"/proc/self/gid_map\0";
    // SAFETY: the closure runs in the forked child before exec. It only
    // makes system calls on buffers built before the fork (above), and
    // allocates nothing, so it cannot deadlock on a lock another thread
    // held at the fork. The processes it forks do the same.
    unsafe {
        c.pre_exec(move || {
            // Without the process outside (its proxy, broker and gateway),
            // the sandbox must not run on: it dies with it.
            init::die_with_parent(Some(parent))?;
            crate::limits::join(&join)?;
            if let Some((m, targets)) = &idmap {
                // Root: the trees it owns idmapped in a mount namespace of
                // its own, then down to the sandbox's uid, before the user
                // namespace (see `idmap`).
                check(libc::unshare(libc::CLONE_NEWNS))?;
                make_private()?;
                for t in targets {
                    m.attach(t)?;
                }
                crate::idmap::drop_to(m.sandbox())?;
                // A uid change clears the death signal.
                init::die_with_parent(Some(parent))?;
            }
            if let (Some(layout), Some(tmp)) = (&layout, &tmp) {
                let mut flags = libc::CLONE_NEWUSER | libc::CLONE_NEWNS | libc::CLONE_NEWPID;
                if net {
                    flags |= libc::CLONE_NEWNET;
                }
                check(libc::unshare(flags))?;
                write_file(setgroups, b"deny")?;
                write_file(uid_path, uid_map.as_bytes())?;
                write_file(gid_path, gid_map.as_bytes())?;
                layout.build(&extra, tmp)?;
                if let Some((to, ports, count)) = &bridge_to {
                    // Bind the bridge's listeners in our new network namespace
                    // and hand them to the process outside, which serves them.
                    crate::bridge::bind_and_send(*to, &ports[..*count])?;
                }
                // This process stays outside the PID namespace and passes
                // the status on; its child is PID 1 there.
                let init = init::fork()?;
                if init > 0 {
                    init::relay(init);
                }
                init::die_with_parent(None)?;
                init::mount_proc()?;
                let command = init::fork()?;
                if command > 0 {
                    init::reap(command);
                }
                // The mounts changed what the working directory's path leads to.
                check(libc::chdir(cwd_c.as_ptr()))?;
            }
            // The interrupts ztguard ignores are the command's own again.
            for sig in [libc::SIGINT, libc::SIGQUIT] {
                libc::signal(sig, libc::SIG_DFL);
            }
            check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            init::new_session_keyring();
            init::limit_processes();
            init::cloexec_above_stdio();
            if let Some(fd) = ruleset {
                add_fresh(fd, &fresh)?;
                let r = libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32);
                if r != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // Last: from here on, only the allowed system calls.
            for filter in seccomp.iter().flatten() {
                match seccompiler::apply_filter(filter) {
                    Ok(()) => {}
                    Err(seccompiler::Error::Seccomp(e) | seccompiler::Error::Prctl(e)) => {
                        return Err(e);
                    }
                    Err(_) => return Err(io::Error::from_raw_os_error(libc::EINVAL)),
                }
            }
            Ok(())
        });
    }
    let child = c.spawn().map_err(|e| {
        format!(
            "cannot start {} in the sandbox: {e}",
            program.to_string_lossy()
        )
    });
    drop(bridged);
    drop(ruleset_fd);
    child
}
