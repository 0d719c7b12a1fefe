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
use std::os::unix::ffi::OsStrExt;
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
    ruleset: Option<OwnedFd>,
    namespaces: bool,
    network: Network,
    uid_map: CString,
    gid_map: CString,
    /// The bind mounts, in order: the plan's binds, the masks (a
    /// placeholder, read-only, over each credential path), and the
    /// protected paths bound read-only onto themselves.
    mounts: Vec<Mount>,
    placeholders: PathBuf,
    /// The seccomp filter on socket families (None: the kernel has none).
    seccomp: Option<seccompiler::BpfProgram>,
    /// What is enforced, for the banner and `sandbox status`.
    pub enforced: Vec<String>,
    /// What is not, when `allow_degraded` let it run anyway.
    pub missing: Vec<String>,
}

impl Prepared {
    /// Remove the masking placeholders (once nothing runs in the sandbox).
    pub fn clean_up(&self) {
        remove_placeholders(&self.placeholders);
    }
}

/// Remove a placeholder directory: its entries are mode 000, so they are
/// opened up first (removing a directory means listing it).
fn remove_placeholders(dir: &Path) {
    let open = std::fs::Permissions::from_mode(0o700);
    let _ = std::fs::set_permissions(dir, open.clone());
    for entry in ["dir", "file"] {
        let _ = std::fs::set_permissions(dir.join(entry), open.clone());
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// Remove the placeholders of earlier runs whose process is gone (a
/// `ztguard exec` that was killed could not clean up after itself).
pub fn sweep(scratch: &Path) {
    let Ok(entries) = std::fs::read_dir(scratch) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("ztguard-exec-"))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            remove_placeholders(&e.path());
        }
    }
}

impl Drop for Prepared {
    fn drop(&mut self) {
        self.clean_up();
    }
}

/// A bind mount of `source` onto `target`, prepared for the child:
/// read-only ones carry the flags of the remount that makes them so.
#[derive(Clone)]
struct Mount {
    source: CString,
    target: CString,
    /// `None`: writable; else the flags of the read-only remount.
    read_only: Option<libc::c_ulong>,
    /// With the mounts beneath the source (a protected tree's own binds).
    recursive: bool,
}

impl Mount {
    fn new(b: &Bind) -> Result<Mount, String> {
        Ok(Mount {
            source: cstr(&b.source)?,
            target: cstr(&b.target)?,
            read_only: (!b.writable).then(|| read_only_flags(&b.source)),
            recursive: false,
        })
    }
}

/// The flags of a read-only remount of a bind of `path`: the flags the
/// mount it lies on already has must be carried, or the kernel refuses the
/// remount where they are locked (a `nosuid,nodev,noexec` home in a
/// container or a hardened system).
fn read_only_flags(path: &Path) -> libc::c_ulong {
    let mut flags = libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY;
    let Ok(c) = cstr(path) else {
        return flags;
    };
    // SAFETY: statvfs fills the zeroed struct it is given from a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return flags;
    }
    for (st_flag, ms_flag) in [
        (libc::ST_NOSUID, libc::MS_NOSUID),
        (libc::ST_NODEV, libc::MS_NODEV),
        (libc::ST_NOEXEC, libc::MS_NOEXEC),
        (libc::ST_NOATIME, libc::MS_NOATIME),
        (libc::ST_NODIRATIME, libc::MS_NODIRATIME),
        (libc::ST_RELATIME, libc::MS_RELATIME),
    ] {
        if st.f_flag & st_flag != 0 {
            flags |= ms_flag;
        }
    }
    flags
}

/// Bind `m` in the child, and make it read-only when it is to be.
fn bind(m: &Mount) -> io::Result<()> {
    let rec = if m.recursive { libc::MS_REC } else { 0 };
    // SAFETY: both paths are NUL-terminated C strings made before the fork.
    unsafe {
        check(libc::mount(
            m.source.as_ptr(),
            m.target.as_ptr(),
            std::ptr::null(),
            libc::MS_BIND | rec,
            std::ptr::null(),
        ))?;
        if let Some(flags) = m.read_only {
            check(libc::mount(
                std::ptr::null(),
                m.target.as_ptr(),
                std::ptr::null(),
                flags,
                std::ptr::null(),
            ))?;
        }
    }
    Ok(())
}

fn cstr(p: &Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| format!("{}: a NUL in the path", p.display()))
}

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
        let ruleset = match support.landlock_abi {
            Some(_) => {
                let (read, write) = (existing(&plan.read), existing(&plan.write));
                enforced.push(format!(
                    "Landlock: read {} tree(s), write {} tree(s), nothing else",
                    read.len(),
                    write.len()
                ));
                let fd = ruleset(read, write, plan.network, &plan.service_ports)
                    .map_err(|e| format!("Landlock: {e}"))?;
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
                fd
            }
            None => None,
        };
        let namespaces = support.user_namespaces;
        let placeholders = scratch.join(format!("ztguard-exec-{}", std::process::id()));
        let mut mounts = Vec::new();
        let (mut masked, mut protected) = (0, 0);
        if namespaces {
            for b in &plan.binds {
                if b.source.exists() && b.target.exists() {
                    mounts.push(Mount::new(b)?);
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
                mounts.push(Mount {
                    source: cstr(&source)?,
                    target: cstr(p)?,
                    read_only: Some(read_only_flags(&source)),
                    recursive: false,
                });
                masked += 1;
            }
            for p in existing(&plan.read_only) {
                mounts.push(Mount {
                    source: cstr(&p)?,
                    target: cstr(&p)?,
                    read_only: Some(read_only_flags(&p)),
                    recursive: true,
                });
                protected += 1;
            }
            let no_access = std::fs::Permissions::from_mode(0o000);
            std::fs::set_permissions(&file, no_access.clone()).map_err(|e| e.to_string())?;
            std::fs::set_permissions(placeholders.join("dir"), no_access)
                .map_err(|e| e.to_string())?;
            enforced.push(format!(
                "private user and mount namespaces: {} credential path(s) masked, {} protected path(s) read-only",
                masked, protected
            ));
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
                crate::filter::sockets(plan.unix_sockets)
                    .map_err(|e| format!("the seccomp filter: {e}"))?,
            ),
            false => None,
        };
        if seccomp.is_some() {
            enforced.push(if plan.unix_sockets {
                "seccomp: sockets of IPv4, IPv6, netlink and Unix only; no io_uring".into()
            } else {
                "seccomp: sockets of IPv4, IPv6 and netlink only (no Unix socket can reach the Docker, ssh or D-Bus agents); no io_uring".into()
            });
        }
        // SAFETY: getuid/getgid cannot fail and touch no memory.
        let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
        Ok(Prepared {
            ruleset,
            namespaces,
            network: plan.network,
            uid_map: CString::new(format!("{} {uid} 1\n", inside_id(uid)))
                .map_err(|e| e.to_string())?,
            gid_map: CString::new(format!("{} {gid} 1\n", inside_id(gid)))
                .map_err(|e| e.to_string())?,
            mounts,
            placeholders,
            seccomp,
            enforced,
            missing,
        })
    }
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

fn existing(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        if p.exists() && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
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

/// Write `data` to the file at `path` (a `/proc/self` map), in the child.
fn write_proc(path: &[u8], data: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated (from a CString); the buffer outlives the calls.
    unsafe {
        let fd = libc::open(path.as_ptr().cast(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let n = libc::write(fd, data.as_ptr().cast(), data.len());
        libc::close(fd);
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

fn check(r: libc::c_int) -> io::Result<()> {
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
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
    let ruleset = p.ruleset.as_ref().map(AsRawFd::as_raw_fd);
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
    let mut mounts = p.mounts.clone();
    for b in binds {
        mounts.push(Mount::new(b)?);
    }
    let seccomp = p.seccomp.clone();
    // SAFETY: getpid cannot fail and touches no memory.
    let parent = unsafe { libc::getpid() };
    let setgroups = b"/proc/self/setgroups\0";
    let uid_path = b"/proc/self/uid_map\0";
    let gid_path = b"/proc/self/gid_map\0";
    // SAFETY: the closure runs in the forked child before exec. It only
    // makes system calls on buffers built before the fork (above), and
    // allocates nothing, so it cannot deadlock on a lock another thread
    // held at the fork.
    unsafe {
        c.pre_exec(move || {
            if namespaces {
                let mut flags = libc::CLONE_NEWUSER | libc::CLONE_NEWNS;
                if net {
                    flags |= libc::CLONE_NEWNET;
                }
                check(libc::unshare(flags))?;
                write_proc(setgroups, b"deny")?;
                write_proc(uid_path, uid_map.as_bytes())?;
                write_proc(gid_path, gid_map.as_bytes())?;
                check(libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ))?;
                for m in &mounts {
                    bind(m)?;
                }
            }
            if let Some((to, ports, count)) = &bridge_to {
                // Bind the bridge's listeners in our new network namespace
                // and hand them to the process outside, which serves them.
                crate::bridge::bind_and_send(*to, &ports[..*count])?;
            }
            // The interrupts ztguard ignores are the command's own again.
            for sig in [libc::SIGINT, libc::SIGQUIT] {
                libc::signal(sig, libc::SIG_DFL);
            }
            // Without the process outside (its proxy, broker and gateway),
            // the sandbox must not run on: it dies with it.
            check(libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ))?;
            if libc::getppid() != parent {
                // The parent is already gone.
                return Err(io::Error::from_raw_os_error(libc::ESRCH));
            }
            check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
            if let Some(fd) = ruleset {
                let r = libc::syscall(libc::SYS_landlock_restrict_self, fd, 0u32);
                if r != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            // Last: from here on, only the allowed socket families.
            if let Some(filter) = &seccomp {
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
    child
}
