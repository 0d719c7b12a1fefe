//! Idmapped mounts, so that a sandbox started by root never runs as
//! kernel uid 0.
//!
//! A user namespace changes the ids a process *sees*, not the ones the
//! kernel checks files against: a root caller mapped to uid 1000 inside
//! is still kernel uid 0 and the owner of every root file (`/etc/shadow`
//! through its owner bits, TLS keys, root's temp files). So
//! root's sandbox runs as its own unprivileged kernel uid and gid,
//! [`SANDBOX`], and the trees it is granted (the project, and root's home
//! so the toolchains under the 0700 `/root` stay reachable) are shown to
//! it through *idmapped mounts* on which root's files are its own:
//!
//! - [`Idmap::new`], in the parent: a user namespace that carries the
//!   mapping, made by a short-lived helper process.
//! - [`Idmap::target`], in the parent: checks that a tree can be idmapped
//!   (the same system calls on a detached copy that is thrown away) and
//!   tells why not, as an [`IdmapError`], while there is still someone to
//!   tell.
//! - [`Idmap::attach`], in the child between `fork` and `exec`: puts an
//!   idmapped copy of the tree over the tree.
//! - [`drop_to`], in the child: becomes the sandbox's uid and gid.
//!
//! # The mapping
//!
//! An idmapped mount translates the ids stored on disk through the user
//! namespace attached to it: a line `first_inside first_outside count` of
//! its `uid_map` takes the on-disk id as the *inside* id and shows the
//! *outside* one. So "root's files appear as owned by X" is the line
//! `0 X 1`, and a file that kernel uid X creates through the mount is
//! written to disk as uid 0 (the map read backwards). [`swap_map`]
//! exchanges the owner and the sandbox id and maps every other id to
//! itself: a file of uid 1000 on disk shows as 1000 (the sandbox reaches
//! it through its "other" permission bits, as any other user would), and
//! a file that happens to belong to X on disk shows as the owner's, so the
//! sandbox owns nothing on an idmapped tree but the owner's files. With
//! the single line `0 X 1`, every other id would show as 65534 and the
//! kernel would refuse any write to such a file (`EACCES`), even one the
//! mode allows.
//!
//! # Order in the child (root only)
//!
//! 1. `unshare(CLONE_NEWNS)` alone (this mount namespace belongs to the
//!    initial user namespace: idmapping needs `CAP_SYS_ADMIN` over the
//!    filesystem, which a process in a new user namespace does not have),
//!    then make every mount private (`MS_REC | MS_PRIVATE` on `/`), or the
//!    mounts propagate to the host.
//! 2. [`Idmap::attach`] each target: outermost trees only (the home, then
//!    the project unless it lies in the home; see [`outermost`]), since an
//!    idmapped mount cannot be idmapped again (`EPERM`).
//! 3. `chdir` to the working directory again: `std::process::Command`
//!    changes directory *before* `pre_exec`, so the working directory is
//!    still the directory of the mount underneath, where root's files are
//!    root's and relative paths fail (`EACCES`). Still as root, so the
//!    parents of the working directory need not be open to the sandbox.
//! 4. [`drop_to`] the sandbox ids: groups, gid, uid, then `PR_SET_DUMPABLE`
//!    (changing uid makes the process undumpable, which gives
//!    `/proc/self/*` to root, so the sandbox could not write its own
//!    `uid_map`). A uid change also clears `PR_SET_PDEATHSIG`: set it after.
//! 5. From here on, what the child does for any caller: `unshare` a user
//!    namespace *and a second mount namespace* (and the network one), deny
//!    `setgroups`, map the inside id to the *sandbox* id (`1000 X 1`, `1000
//!    GX 1`, not `1000 0 1`), make the mounts private, bind the masks and
//!    read-only paths. A bind whose source lies in an idmapped tree keeps
//!    the idmapping; the idmapped mounts, copied from a namespace of a
//!    more privileged user namespace, are locked (they cannot be taken
//!    off to show the tree beneath). Without the second mount namespace
//!    the binds must be made before [`drop_to`], as root: the first one
//!    belongs to the initial user namespace, where the sandbox can mount
//!    nothing (a new `/proc` for a PID namespace neither).
//! 6. `PR_SET_PDEATHSIG`, `PR_SET_NO_NEW_PRIVS`, Landlock (its rules are
//!    on inodes, which the idmapped mounts share), seccomp, as before.
//!
//! The program started and every directory above the trees must be
//! reachable by the sandbox uid: an idmapped `/root` opens root's home
//! (mode 0700), a tree under another 0700 root directory stays closed.
//! After step 4, the uid is unprivileged: where unprivileged user
//! namespaces are restricted (Debian's `kernel.unprivileged_userns_clone
//! = 0`, Ubuntu's `kernel.apparmor_restrict_unprivileged_userns = 1`
//! without an AppArmor profile allowing `userns`), step 5 fails with
//! `EPERM` or `EACCES` where root's own `unshare` succeeded.
//!
//! # The sandbox id
//!
//! [`SANDBOX`] is 2000000000 for the uid and the gid: not 65534 (`nobody`
//! runs daemons and NFS's squashed users, whose files and processes the
//! sandbox would share), not a login range (1000–60000), not systemd's
//! dynamic users (61184–65519) or container ranges (524288–1879048191),
//! not the default `/etc/subuid` blocks (100000 and up by 65536) or
//! Kubernetes' pod ranges (multiples of 65536 from 65536), and below 2^31,
//! where some tools read ids as signed. [`conflicts`] checks the local user
//! and subordinate-id databases for it.
//!
//! No walk for files the sandbox uid owns is needed: on an idmapped tree,
//! a file of uid X on disk shows as the owner's (the swap), and the
//! kernel only writes uid X to disk for files the sandbox creates outside
//! an idmapped tree, so every writable tree must be idmapped (or a private
//! tmpfs). Several sandboxes share the uid: their files on idmapped trees
//! are root's on disk, Landlock confines `ptrace` to one sandbox, and
//! its signal scope (ABI 6, Linux 6.12) the signals.
//!
//! Inside the sandbox's user namespace only the sandbox id is mapped (to
//! 1000): root's files on an idmapped tree show as 1000's, every other
//! owner (another user's file, a root file elsewhere) as 65534.

use std::ffi::{CStr, CString};
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// A user id and a group id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub gid: u32,
}

/// The kernel ids root's sandbox runs as (see the module's documentation
/// for the choice).
pub const SANDBOX: Ids = Ids {
    uid: 2_000_000_000,
    gid: 2_000_000_000,
};

/// Why a tree cannot be shown to the sandbox through an idmapped mount.
#[derive(Debug)]
pub enum IdmapError {
    /// An id that must not be the sandbox's (0, 65534, 65535, -1) or the
    /// same as the owner's.
    BadIds(String),
    /// The kernel has no idmapped mounts (Linux before 5.12: `ENOSYS`).
    NoKernelSupport,
    /// Not allowed to make the mount (`EPERM` from `open_tree`: not root
    /// with `CAP_SYS_ADMIN` over the mount namespace, as a container's
    /// root usually is not, or a seccomp filter).
    NotPermitted { path: PathBuf, error: io::Error },
    /// The filesystem cannot be idmapped (`EINVAL` from `mount_setattr`:
    /// overlayfs, NFS, ramfs, proc, tmpfs before Linux 6.3, …).
    Unsupported { path: PathBuf, filesystem: String },
    /// The tree is already on an idmapped mount, or on a filesystem
    /// mounted inside a user namespace (`EPERM` from `mount_setattr`).
    AlreadyIdmapped { path: PathBuf },
    /// The root, a system tree (`/etc`, `/usr`, `/var`, …) or a shared
    /// temp directory: every root file in it would be the sandbox's.
    SystemTree { path: PathBuf },
    /// The helper's user namespace could not be made or mapped.
    UserNamespace(io::Error),
    /// Anything else, with the path and the failed call.
    Other {
        path: PathBuf,
        call: &'static str,
        error: io::Error,
    },
}

impl fmt::Display for IdmapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdmapError::BadIds(why) => write!(f, "the sandbox ids: {why}"),
            IdmapError::NoKernelSupport => write!(
                f,
                "this kernel has no idmapped mounts (Linux 5.12 or later), so a sandbox started by root \
                 would keep root's files; run ztguard as the user who owns the project"
            ),
            IdmapError::NotPermitted { path, error } => write!(
                f,
                "{}: cannot make an idmapped mount ({error}); a sandbox started by root needs \
                 CAP_SYS_ADMIN on the host (a container's root usually lacks it): run ztguard as \
                 the user who owns the project",
                path.display()
            ),
            IdmapError::Unsupported { path, filesystem } => write!(
                f,
                "{}: its filesystem ({filesystem}) does not support idmapped mounts, so a sandbox \
                 started by root cannot be given root's files there without running as root; run \
                 ztguard as the user who owns the project, or keep the project on ext4, xfs, btrfs \
                 or tmpfs (Linux 6.3 or later)",
                path.display()
            ),
            IdmapError::AlreadyIdmapped { path } => write!(
                f,
                "{}: already on an idmapped mount, or on a filesystem this user namespace does not \
                 own (ztguard runs in a container): it cannot be idmapped; run ztguard as the user \
                 who owns the project",
                path.display()
            ),
            IdmapError::SystemTree { path } => write!(
                f,
                "{}: a system tree; showing it to the sandbox as its own would give it every root \
                 file in it (/etc/shadow, keys); keep the project in a directory of its own",
                path.display()
            ),
            IdmapError::UserNamespace(e) => {
                write!(f, "cannot make the user namespace of the id mapping: {e}")
            }
            IdmapError::Other { path, call, error } => {
                write!(f, "{}: {call}: {error}", path.display())
            }
        }
    }
}

impl std::error::Error for IdmapError {}

/// The `uid_map` (or `gid_map`) of an idmapped mount that shows files of
/// `owner` on disk as `sandbox`'s, files of `sandbox` as `owner`'s, and
/// every other id as itself. Each line is `on-disk shown count`.
pub fn swap_map(owner: u32, sandbox: u32) -> String {
    // Ids 0..=u32::MAX-1 (u32::MAX is "no id").
    const END: u64 = u32::MAX as u64;
    let (lo, hi) = (owner.min(sandbox) as u64, owner.max(sandbox) as u64);
    let mut lines = Vec::new();
    let mut identity = |from: u64, to: u64| {
        if to > from {
            lines.push(format!("{from} {from} {}", to - from));
        }
    };
    identity(0, lo);
    identity(lo + 1, hi);
    identity(hi + 1, END);
    lines.push(format!("{owner} {sandbox} 1"));
    lines.push(format!("{sandbox} {owner} 1"));
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

/// Refuse ids that must not be the sandbox's.
fn check_ids(owner: Ids, sandbox: Ids) -> Result<(), IdmapError> {
    for (what, id, own) in [
        ("uid", sandbox.uid, owner.uid),
        ("gid", sandbox.gid, owner.gid),
    ] {
        let why = match id {
            0 => Some("0 is root"),
            65534 => Some("65534 is nobody, whose files and processes others share"),
            65535 | u32::MAX => Some("it means \"no id\" to the kernel or old programs"),
            _ if id == own => Some("it is the owner's own"),
            _ => None,
        };
        if let Some(why) = why {
            return Err(IdmapError::BadIds(format!("{what} {id}: {why}")));
        }
    }
    Ok(())
}

/// A user namespace that carries an id mapping for idmapped mounts, and
/// the ids the sandbox runs as. Made in the parent, before the fork.
pub struct Idmap {
    userns: OwnedFd,
    sandbox: Ids,
    /// The mount namespace the parent is in (device, inode): `attach`
    /// refuses to mount there.
    host_mnt_ns: (u64, u64),
}

/// `/proc/self/ns/mnt`, for telling the host's mount namespace apart.
const SELF_MNT_NS: &CStr = c"/proc/self/ns/mnt";

/// The (device, inode) of the caller's mount namespace, with no allocation.
fn mnt_ns() -> io::Result<(u64, u64)> {
    // SAFETY: stat fills the zeroed struct from a NUL-terminated static path.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::stat(SELF_MNT_NS.as_ptr(), &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((st.st_dev, st.st_ino))
}

impl Idmap {
    /// The mapping that shows `owner`'s files as `sandbox`'s (see
    /// [`swap_map`]). Needs root: the helper's maps name ids other than
    /// its own.
    pub fn new(owner: Ids, sandbox: Ids) -> Result<Idmap, IdmapError> {
        check_ids(owner, sandbox)?;
        let userns = userns_with(
            &swap_map(owner.uid, sandbox.uid),
            &swap_map(owner.gid, sandbox.gid),
        )?;
        let host_mnt_ns = mnt_ns().map_err(IdmapError::UserNamespace)?;
        Ok(Idmap {
            userns,
            sandbox,
            host_mnt_ns,
        })
    }

    /// A copy for the closure that runs in the child (`pre_exec` wants
    /// owned data): the same namespace on a duplicated descriptor, closed
    /// on `exec`.
    pub fn try_clone(&self) -> io::Result<Idmap> {
        Ok(Idmap {
            userns: self.userns.try_clone()?,
            sandbox: self.sandbox,
            host_mnt_ns: self.host_mnt_ns,
        })
    }

    /// The ids the sandbox runs as.
    pub fn sandbox(&self) -> Ids {
        self.sandbox
    }

    /// Check, in the parent, that `path` can be idmapped: the same calls
    /// as [`Idmap::attach`] on a detached copy, which is then dropped
    /// (nothing changes on the host). A submount that cannot be idmapped
    /// (a ramfs, an overlay inside the tree) makes the whole recursive
    /// call fail; then only the tree's own mount is idmapped, and the
    /// submounts keep their ids (root's files there are not the
    /// sandbox's): [`Target::whole_tree`] says so. The target is the
    /// tree's real path (symlinks resolved); the root, a system tree or a
    /// shared temp directory itself is refused.
    pub fn target(&self, path: &Path) -> Result<Target, IdmapError> {
        // The real path: `open_tree` follows a last symlink and
        // `move_mount` would mount over it.
        let real = std::fs::canonicalize(path).map_err(|error| IdmapError::Other {
            path: path.to_path_buf(),
            call: "the path",
            error,
        })?;
        let path = real.as_path();
        if system_tree(path) {
            return Err(IdmapError::SystemTree {
                path: path.to_path_buf(),
            });
        }
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| IdmapError::Other {
            path: path.to_path_buf(),
            call: "the path",
            error: io::Error::from_raw_os_error(libc::EINVAL),
        })?;
        let whole = match self.idmapped_copy(&c, true) {
            Ok(_) => true,
            // A submount that cannot be idmapped: the tree's own mount alone?
            Err((Call::MountSetattr, e)) if e.raw_os_error() == Some(libc::EINVAL) => {
                match self.idmapped_copy(&c, false) {
                    Ok(_) => false,
                    Err((call, e)) => return Err(explain(path, call, e)),
                }
            }
            Err((call, e)) => return Err(explain(path, call, e)),
        };
        Ok(Target {
            path: c,
            recursive: whole,
        })
    }

    /// A detached, idmapped copy of the tree at `path` (no allocation).
    fn idmapped_copy(&self, path: &CStr, recursive: bool) -> Result<OwnedFd, (Call, io::Error)> {
        // SAFETY: `path` is NUL-terminated; the returned descriptor is new and owned here.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_open_tree,
                libc::AT_FDCWD,
                path.as_ptr(),
                libc::OPEN_TREE_CLONE
                    | libc::OPEN_TREE_CLOEXEC
                    | libc::AT_RECURSIVE as libc::c_uint,
            )
        };
        if fd < 0 {
            return Err((Call::OpenTree, io::Error::last_os_error()));
        }
        // SAFETY: open_tree returned a new descriptor that nothing else owns.
        let tree = unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) };
        let attr = libc::mount_attr {
            attr_set: libc::MOUNT_ATTR_IDMAP,
            attr_clr: 0,
            propagation: 0,
            userns_fd: self.userns.as_raw_fd() as u64,
        };
        let flags = libc::AT_EMPTY_PATH | if recursive { libc::AT_RECURSIVE } else { 0 };
        // SAFETY: an empty NUL-terminated path on the tree's descriptor, and
        // an initialised mount_attr of the size given.
        let r = unsafe {
            libc::syscall(
                libc::SYS_mount_setattr,
                tree.as_raw_fd(),
                c"".as_ptr(),
                flags as libc::c_uint,
                &attr as *const libc::mount_attr,
                std::mem::size_of::<libc::mount_attr>(),
            )
        };
        if r != 0 {
            return Err((Call::MountSetattr, io::Error::last_os_error()));
        }
        Ok(tree)
    }

    /// In the child, between `fork` and `exec`, still root and in its own
    /// private mount namespace: put an idmapped copy of `target` over it.
    /// No allocation. Fails with `EBUSY` in the mount namespace the
    /// [`Idmap`] was made in (no `unshare(CLONE_NEWNS)` yet), which would
    /// change the host's mounts.
    pub fn attach(&self, target: &Target) -> io::Result<()> {
        if mnt_ns()? == self.host_mnt_ns {
            return Err(io::Error::from_raw_os_error(libc::EBUSY));
        }
        let tree = self
            .idmapped_copy(&target.path, target.recursive)
            .map_err(|(_, e)| e)?;
        // SAFETY: the tree's descriptor with an empty path, onto a NUL-terminated path.
        let r = unsafe {
            libc::syscall(
                libc::SYS_move_mount,
                tree.as_raw_fd(),
                c"".as_ptr(),
                libc::AT_FDCWD,
                target.path.as_ptr(),
                libc::MOVE_MOUNT_F_EMPTY_PATH,
            )
        };
        if r != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

/// Trees never to idmap: the root, the system's own trees, and the shared
/// temp directories themselves (a directory under them is fine).
fn system_tree(path: &Path) -> bool {
    // Trees no project lives in: the system's own.
    const SYSTEM: [&str; 13] = [
        "bin", "boot", "dev", "etc", "lib", "lib32", "lib64", "libx32", "proc", "run", "sbin",
        "sys", "usr",
    ];
    // Under /var, the services' state; a project may live elsewhere under
    // it (/var/tmp/x, /var/www/site).
    const VAR_STATE: [&str; 8] = [
        "lib", "log", "cache", "spool", "mail", "backups", "run", "lock",
    ];
    let mut parts = path.components().skip(1);
    let Some(first) = parts.next() else {
        return true; // "/"
    };
    let first = first.as_os_str().to_string_lossy();
    let second = parts
        .next()
        .map(|c| c.as_os_str().to_string_lossy().into_owned());
    SYSTEM.contains(&first.as_ref())
        || (first == "var" && second.as_deref().is_none_or(|s| VAR_STATE.contains(&s)))
        || path == Path::new("/tmp")
        || path == Path::new("/var/tmp")
        || path == Path::new("/dev/shm")
}

/// The system call that failed: `open_tree` and `mount_setattr` both
/// say `EPERM`, for different reasons.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Call {
    OpenTree,
    MountSetattr,
}

/// The typed error of a failed idmapping of `path`.
fn explain(path: &Path, call: Call, e: io::Error) -> IdmapError {
    let path = path.to_path_buf();
    match (call, e.raw_os_error()) {
        (_, Some(libc::ENOSYS)) => IdmapError::NoKernelSupport,
        (Call::OpenTree, Some(libc::EPERM)) => IdmapError::NotPermitted { path, error: e },
        (Call::MountSetattr, Some(libc::EINVAL)) => {
            let filesystem = filesystem_name(&path);
            IdmapError::Unsupported { path, filesystem }
        }
        (Call::MountSetattr, Some(libc::EPERM)) => IdmapError::AlreadyIdmapped { path },
        (Call::OpenTree, _) => IdmapError::Other {
            path,
            call: "open_tree",
            error: e,
        },
        (Call::MountSetattr, _) => IdmapError::Other {
            path,
            call: "mount_setattr",
            error: e,
        },
    }
}

/// The name of the filesystem `path` is on, for messages.
fn filesystem_name(path: &Path) -> String {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        return "unknown".into();
    };
    // SAFETY: statfs fills the zeroed struct from a NUL-terminated path.
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return "unknown".into();
    }
    let magic = st.f_type as u64 & 0xffff_ffff;
    let name = match magic {
        0xEF53 => "ext2/3/4",
        0x5846_5342 => "xfs",
        0x9123_683E => "btrfs",
        0x0102_1994 => "tmpfs",
        0x8584_58f6 => "ramfs",
        0x794c_7630 => "overlayfs",
        0x6969 => "nfs",
        0x6573_5546 => "fuse",
        0x0102_1997 => "9p",
        0xFF53_4D42 | 0xFE53_4D42 => "smb",
        0x2fc1_2fc1 => "zfs",
        0x7371_7368 => "squashfs",
        0x9fa0 => "proc",
        _ => return format!("type {magic:#x}"),
    };
    name.into()
}

/// A tree checked by [`Idmap::target`], ready for [`Idmap::attach`].
#[derive(Clone, Debug)]
pub struct Target {
    path: CString,
    recursive: bool,
}

impl Target {
    /// The tree.
    pub fn path(&self) -> &Path {
        Path::new(std::ffi::OsStr::from_bytes(self.path.as_bytes()))
    }

    /// Whether the mounts beneath the tree are idmapped too (false: one of
    /// them cannot be, and all of them keep their ids).
    pub fn whole_tree(&self) -> bool {
        self.recursive
    }
}

/// The trees of `paths` that lie in no other of them (an idmapped mount
/// cannot be idmapped again, and the outer one covers the inner).
pub fn outermost(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = Vec::new();
    for p in paths {
        let inside_other = paths.iter().any(|q| q != p && p.starts_with(q));
        if !inside_other && !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}

/// A user namespace whose maps are `uid_map` and `gid_map`, as a
/// descriptor: a helper process unshares it, the maps are written from
/// here, and the helper is killed once its namespace is open.
fn userns_with(uid_map: &str, gid_map: &str) -> Result<OwnedFd, IdmapError> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 fills the two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(IdmapError::UserNamespace(io::Error::last_os_error()));
    }
    // SAFETY: pipe2 returned two new descriptors that nothing else owns.
    let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the child makes only system calls on values that exist
    // before the fork (no allocation, no lock), and never returns.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(IdmapError::UserNamespace(io::Error::last_os_error()));
    }
    if pid == 0 {
        // SAFETY: async-signal-safe system calls only; the loop never ends
        // (the parent kills the helper).
        unsafe {
            libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            );
            let status: i32 = if libc::unshare(libc::CLONE_NEWUSER) == 0 {
                0
            } else {
                *libc::__errno_location()
            };
            libc::write(
                write.as_raw_fd(),
                (&status as *const i32).cast(),
                std::mem::size_of::<i32>(),
            );
            loop {
                libc::pause();
            }
        }
    }
    let helper = Helper(pid);
    drop(write);
    let mut status = [0u8; 4];
    // SAFETY: reads at most 4 bytes into the 4-byte buffer.
    let n = unsafe { libc::read(read.as_raw_fd(), status.as_mut_ptr().cast(), 4) };
    if n != 4 {
        return Err(IdmapError::UserNamespace(io::Error::other(
            "the helper process died before making its user namespace",
        )));
    }
    let status = i32::from_ne_bytes(status);
    if status != 0 {
        return Err(IdmapError::UserNamespace(io::Error::from_raw_os_error(
            status,
        )));
    }
    for (file, map) in [("uid_map", uid_map), ("gid_map", gid_map)] {
        std::fs::write(format!("/proc/{pid}/{file}"), map).map_err(|e| {
            IdmapError::UserNamespace(io::Error::new(e.kind(), format!("{file}: {e}")))
        })?;
    }
    let ns =
        std::fs::File::open(format!("/proc/{pid}/ns/user")).map_err(IdmapError::UserNamespace)?;
    drop(helper);
    Ok(ns.into())
}

/// Kills and reaps the helper process when dropped.
struct Helper(libc::pid_t);

impl Drop for Helper {
    fn drop(&mut self) {
        // SAFETY: the pid is our own child's; waitpid reaps it.
        unsafe {
            libc::kill(self.0, libc::SIGKILL);
            libc::waitpid(self.0, std::ptr::null_mut(), 0);
        }
    }
}

/// In the child, between `fork` and `exec`: become `ids` for good — no
/// supplementary groups, the gid, the uid (which clears every capability),
/// then dumpable again, so the process can still write its own
/// `/proc/self/uid_map` after `unshare(CLONE_NEWUSER)`. Refuses uid or
/// gid 0 (`EINVAL`) and checks the result. No allocation.
pub fn drop_to(ids: Ids) -> io::Result<()> {
    if ids.uid == 0 || ids.gid == 0 {
        return Err(io::Error::from_raw_os_error(libc::EINVAL));
    }
    // SAFETY: system calls on integers and null pointers only.
    unsafe {
        check(libc::prctl(libc::PR_SET_KEEPCAPS, 0, 0, 0, 0))?;
        check(libc::setgroups(0, std::ptr::null()))?;
        check(libc::setresgid(ids.gid, ids.gid, ids.gid))?;
        check(libc::setresuid(ids.uid, ids.uid, ids.uid))?;
        check(libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0))?;
        let (mut r, mut e, mut s) = (0, 0, 0);
        check(libc::getresuid(&mut r, &mut e, &mut s))?;
        let uids = [r, e, s];
        check(libc::getresgid(&mut r, &mut e, &mut s))?;
        let gids = [r, e, s];
        if uids != [ids.uid; 3]
            || gids != [ids.gid; 3]
            || libc::getgroups(0, std::ptr::null_mut()) != 0
        {
            return Err(io::Error::from_raw_os_error(libc::EPERM));
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

/// Where `ids` are already in use in this system's databases: a user or
/// group with that id (`/etc/passwd`, `/etc/group`), or a subordinate
/// range that holds it (`/etc/subuid`, `/etc/subgid`). Empty: free.
pub fn conflicts(ids: Ids) -> Vec<String> {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let mut out = Vec::new();
    for (file, id) in [("/etc/passwd", ids.uid), ("/etc/group", ids.gid)] {
        if let Some(name) = entry_with_id(&read(file), id) {
            out.push(format!("{file}: `{name}` has id {id}"));
        }
    }
    for (file, id) in [("/etc/subuid", ids.uid), ("/etc/subgid", ids.gid)] {
        if let Some(name) = range_with_id(&read(file), id) {
            out.push(format!("{file}: the range of `{name}` holds id {id}"));
        }
    }
    out
}

/// The name of the `/etc/passwd` or `/etc/group` entry with `id` (the
/// third field).
fn entry_with_id(text: &str, id: u32) -> Option<&str> {
    text.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let found = f.nth(1)?.trim().parse::<u32>().ok()? == id;
        found.then_some(name)
    })
}

/// The name whose `/etc/subuid` range (`name:first:count`) holds `id`.
fn range_with_id(text: &str, id: u32) -> Option<&str> {
    text.lines().find_map(|line| {
        let mut f = line.split(':');
        let name = f.next()?;
        let first: u64 = f.next()?.trim().parse().ok()?;
        let count: u64 = f.next()?.trim().parse().ok()?;
        (first <= id as u64 && (id as u64) < first + count).then_some(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::os::unix::fs::{PermissionsExt, chown};
    use std::os::unix::process::CommandExt;
    use std::process::Command;

    const ROOT: Ids = Ids { uid: 0, gid: 0 };

    /// The mapping of root to the sandbox ids, or None (and why) when this
    /// test cannot run: not root, or no user namespaces.
    fn idmap_or_skip() -> Option<Idmap> {
        // SAFETY: geteuid cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: needs root");
            return None;
        }
        match Idmap::new(ROOT, SANDBOX) {
            Ok(m) => Some(m),
            Err(e) => {
                eprintln!("skipped: {e}");
                None
            }
        }
    }

    /// How far the child goes before running the checks.
    #[derive(Clone)]
    enum Steps {
        /// Private mount namespace and the idmapped project, still root.
        AttachOnly,
        /// The whole sequence, with or without the idmapped project, and
        /// with or without changing directory again after attaching.
        Sandbox { attach: bool, rechdir: bool },
        /// The whole sequence, with spawn's binds after attaching: `sub`
        /// bound read-only onto itself, and `f` masked by `placeholder`;
        /// made as root before dropping, or (`nested`) as the sandbox uid
        /// in a second mount namespace that its new user namespace owns.
        WithBinds { placeholder: CString, nested: bool },
    }

    /// Run `script` (`sh -c`, with `$P` the project) in a child that does
    /// `steps`; the words `key=value` it prints.
    fn run(
        idmap: &Idmap,
        target: &Target,
        steps: Steps,
        script: &str,
    ) -> io::Result<HashMap<String, String>> {
        let project = target.path().to_path_buf();
        let project_c = CString::new(project.as_os_str().as_bytes()).unwrap();
        let sub_c = CString::new(project.join("sub").as_os_str().as_bytes()).unwrap();
        let f_c = CString::new(project.join("f").as_os_str().as_bytes()).unwrap();
        let uid_map = CString::new(format!("1000 {} 1\n", SANDBOX.uid)).unwrap();
        let gid_map = CString::new(format!("1000 {} 1\n", SANDBOX.gid)).unwrap();
        let target = target.clone();
        let idmap = idmap.try_clone()?;
        let mut c = Command::new("/bin/sh");
        c.arg("-c")
            .arg(format!(
                "t() {{ if \"$@\" >/dev/null 2>&1; then echo ok; else echo no; fi; }}\n{script}"
            ))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("P", &project)
            .current_dir(&project);
        // SAFETY: the closure only makes system calls on buffers made
        // before the fork.
        unsafe {
            c.pre_exec(move || {
                check(libc::unshare(libc::CLONE_NEWNS))?;
                check(libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ))?;
                let (attach, rechdir) = match &steps {
                    Steps::AttachOnly | Steps::WithBinds { .. } => (true, true),
                    Steps::Sandbox { attach, rechdir } => (*attach, *rechdir),
                };
                if attach {
                    idmap.attach(&target)?;
                }
                if rechdir {
                    check(libc::chdir(project_c.as_ptr()))?;
                }
                let binds = match &steps {
                    Steps::WithBinds {
                        placeholder,
                        nested,
                    } => Some((placeholder, *nested)),
                    _ => None,
                };
                if let Some((placeholder, false)) = binds {
                    bind_read_only(&sub_c, &sub_c)?;
                    bind_read_only(placeholder, &f_c)?;
                }
                if matches!(steps, Steps::AttachOnly) {
                    return Ok(());
                }
                drop_to(SANDBOX)?;
                let nested = matches!(binds, Some((_, true)));
                let ns = if nested {
                    libc::CLONE_NEWUSER | libc::CLONE_NEWNS
                } else {
                    libc::CLONE_NEWUSER
                };
                check(libc::unshare(ns))?;
                let write_file = crate::mounts::write_file;
                write_file(c"/proc/self/setgroups".to_bytes_with_nul(), b"deny")?;
                write_file(
                    c"/proc/self/uid_map".to_bytes_with_nul(),
                    uid_map.as_bytes(),
                )?;
                write_file(
                    c"/proc/self/gid_map".to_bytes_with_nul(),
                    gid_map.as_bytes(),
                )?;
                if let Some((placeholder, true)) = binds {
                    check(libc::mount(
                        std::ptr::null(),
                        c"/".as_ptr(),
                        std::ptr::null(),
                        libc::MS_REC | libc::MS_PRIVATE,
                        std::ptr::null(),
                    ))?;
                    bind_read_only(&sub_c, &sub_c)?;
                    bind_read_only(placeholder, &f_c)?;
                    // The idmapped mount came from the first namespace:
                    // locked here, it cannot be taken off.
                    if libc::umount2(project_c.as_ptr(), libc::MNT_DETACH) == 0 {
                        return Err(io::Error::from_raw_os_error(libc::EEXIST));
                    }
                }
                Ok(())
            });
        }
        let out = c.output()?;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(text
            .split_whitespace()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect())
    }

    /// Bind `from` onto `to`, read-only (in the child).
    fn bind_read_only(from: &CStr, to: &CStr) -> io::Result<()> {
        // SAFETY: NUL-terminated paths made before the fork.
        unsafe {
            check(libc::mount(
                from.as_ptr(),
                to.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND,
                std::ptr::null(),
            ))?;
            check(libc::mount(
                std::ptr::null(),
                to.as_ptr(),
                std::ptr::null(),
                libc::MS_REMOUNT | libc::MS_BIND | libc::MS_RDONLY,
                std::ptr::null(),
            ))
        }
    }

    /// A project owned by root, with a file of another user (1000), a
    /// private one of that user, and one owned by the sandbox uid on disk.
    fn project() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o700)).unwrap();
        for (name, mode, owner) in [
            ("f", 0o600, 0),
            ("other", 0o644, 1000),
            ("other-private", 0o600, 1000),
            ("owned-by-x", 0o600, SANDBOX.uid),
        ] {
            let f = p.join(name);
            std::fs::write(&f, format!("{name}-content\n")).unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(mode)).unwrap();
            chown(&f, Some(owner), Some(owner)).unwrap();
        }
        std::fs::create_dir(p.join("sub")).unwrap();
        std::fs::set_permissions(p.join("sub"), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(p.join("sub/g"), "g\n").unwrap();
        dir
    }

    /// Root's secrets outside the project: 0600 and 0640 files in a 0755
    /// directory (only their own mode guards them), and a file in a 0700
    /// directory.
    fn secrets() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        for (name, mode) in [("key-0600", 0o600), ("key-0640", 0o640)] {
            std::fs::write(p.join(name), "fake-secret-idmap-test\n").unwrap();
            std::fs::set_permissions(p.join(name), std::fs::Permissions::from_mode(mode)).unwrap();
        }
        std::fs::create_dir(p.join("private")).unwrap();
        std::fs::set_permissions(p.join("private"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        std::fs::write(p.join("private/file"), "fake-secret-idmap-test\n").unwrap();
        std::fs::set_permissions(
            p.join("private/file"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        dir
    }

    fn owner(path: &Path) -> (u32, u32) {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::symlink_metadata(path).unwrap();
        (m.uid(), m.gid())
    }

    #[test]
    fn swap_map_exchanges_owner_and_sandbox_and_keeps_the_rest() {
        assert_eq!(
            swap_map(0, 2_000_000_000),
            "1 1 1999999999\n2000000001 2000000001 2294967294\n0 2000000000 1\n2000000000 0 1\n"
        );
        // The owner above the sandbox id, and neighbours: no empty range.
        assert_eq!(
            swap_map(1001, 1000),
            "0 0 1000\n1002 1002 4294966293\n1001 1000 1\n1000 1001 1\n"
        );
        // Every id 0..u32::MAX-1 appears once on each side.
        for (o, s) in [(0u32, 2_000_000_000u32), (1000, 5), (7, 8)] {
            let mut inside = 0u64;
            let mut outside = 0u64;
            for line in swap_map(o, s).lines() {
                let v: Vec<u64> = line.split(' ').map(|x| x.parse().unwrap()).collect();
                inside += v[2];
                outside += v[2];
                assert!(v[0] + v[2] <= u32::MAX as u64 && v[1] + v[2] <= u32::MAX as u64);
            }
            assert_eq!((inside, outside), (u32::MAX as u64, u32::MAX as u64));
        }
    }

    #[test]
    fn sandbox_ids_refuse_root_nobody_and_the_owner() {
        for bad in [0, 65534, 65535, u32::MAX, 1000] {
            let ids = Ids {
                uid: bad,
                gid: 5000,
            };
            let err = check_ids(
                Ids {
                    uid: 1000,
                    gid: 1000,
                },
                ids,
            )
            .unwrap_err();
            assert!(matches!(err, IdmapError::BadIds(_)), "{bad}");
            let ids = Ids {
                uid: 5000,
                gid: bad,
            };
            assert!(
                check_ids(
                    Ids {
                        uid: 1000,
                        gid: 1000
                    },
                    ids
                )
                .is_err(),
                "{bad}"
            );
        }
        assert!(check_ids(ROOT, SANDBOX).is_ok());
        assert_eq!(
            drop_to(Ids { uid: 0, gid: 5 }).unwrap_err().raw_os_error(),
            Some(libc::EINVAL)
        );
        assert_eq!(
            drop_to(Ids { uid: 5, gid: 0 }).unwrap_err().raw_os_error(),
            Some(libc::EINVAL)
        );
    }

    #[test]
    fn conflicts_find_users_groups_and_subordinate_ranges() {
        let accounts = "root:x:0:0:root:/root:/bin/sh\nsbx:x:2000000000:5:x:/:/bin/false\n";
        assert_eq!(entry_with_id(accounts, 2_000_000_000), Some("sbx"));
        assert_eq!(entry_with_id(accounts, 0), Some("root"));
        assert_eq!(
            entry_with_id(accounts, 5),
            None,
            "the gid field is not the uid"
        );
        assert_eq!(entry_with_id("garbage\n\n:::\n", 0), None);
        let subuid = "alice:100000:65536\nci:1999990000:65536\n";
        assert_eq!(range_with_id(subuid, 165535), Some("alice"));
        assert_eq!(range_with_id(subuid, 165536), None);
        assert_eq!(range_with_id(subuid, 2_000_000_000), Some("ci"));
        assert_eq!(
            range_with_id("bob:4294967000:65536\n", 4294967294),
            Some("bob")
        );
        // This machine's databases do not use the sandbox ids.
        assert_eq!(conflicts(SANDBOX), Vec::<String>::new());
    }

    #[test]
    fn system_trees_are_never_idmapped() {
        for p in [
            "/",
            "/etc",
            "/etc/ssl",
            "/usr",
            "/usr/local/src/x",
            "/var/lib/x",
            "/var",
            "/var/log/app",
            "/var/tmp",
            "/tmp",
            "/dev/shm",
            "/run/user/0",
            "/proc/1/root",
            "/sys",
            "/boot",
        ] {
            assert!(system_tree(Path::new(p)), "{p}");
        }
        for p in [
            "/root",
            "/home/u",
            "/srv/x",
            "/tmp/proj",
            "/opt/app",
            "/workspaces/x",
            "/var/tmp/proj",
            "/var/www/site",
        ] {
            assert!(!system_tree(Path::new(p)), "{p}");
        }
        let Some(idmap) = idmap_or_skip() else { return };
        let err = idmap.target(Path::new("/etc")).unwrap_err();
        assert!(matches!(err, IdmapError::SystemTree { .. }), "{err:?}");
        let link = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/", link.path().join("l")).unwrap();
        let err = idmap.target(&link.path().join("l")).unwrap_err();
        assert!(matches!(err, IdmapError::SystemTree { .. }), "{err:?}");
    }

    #[test]
    fn outermost_keeps_only_trees_in_no_other() {
        let p = |s: &str| PathBuf::from(s);
        assert_eq!(
            outermost(&[
                p("/root/proj"),
                p("/root"),
                p("/srv/x"),
                p("/root"),
                p("/srv/xy")
            ]),
            vec![p("/root"), p("/srv/x"), p("/srv/xy")]
        );
    }

    /// The whole sequence, as the sandbox's child does it: the project is
    /// the sandbox's, root's other files are not, and what it creates is
    /// root's on disk.
    #[test]
    fn sandbox_of_root_owns_the_project_and_nothing_else_of_roots() {
        let Some(idmap) = idmap_or_skip() else { return };
        let proj = project();
        let secrets = secrets();
        let target = match idmap.target(proj.path()) {
            Ok(t) => t,
            Err(e) => return eprintln!("skipped: {e}"),
        };
        assert!(target.whole_tree());
        let s = secrets.path().display();
        let script = format!(
            "echo uid=$(id -u) gid=$(id -g) groups=$(id -G)
             echo caps=$(grep CapEff /proc/self/status | cut -f2)
             echo read_relative=$(t cat f) read=$(t cat $P/f) read_sub=$(t cat $P/sub/g)
             echo append=$(t sh -c 'echo more >> $P/f')
             echo create=$(t sh -c 'echo new > $P/new') mkdir=$(t mkdir $P/newdir)
             echo create_sub=$(t sh -c 'echo new > $P/sub/new')
             echo owner_f=$(stat -c %u:%g $P/f) owner_new=$(stat -c %u:%g $P/new)
             echo owner_other=$(stat -c %u:%g $P/other) owner_x=$(stat -c %u:%g $P/owned-by-x)
             echo read_other=$(t cat $P/other) write_other=$(t sh -c 'echo x >> $P/other')
             echo read_other_private=$(t cat $P/other-private)
             echo read_owned_by_x=$(t cat $P/owned-by-x)
             echo chown_f=$(t chown 0:0 $P/f) chown_other=$(t chown 1000:1000 $P/other) chmod_f=$(t chmod 0644 $P/f)
             echo secret_0600=$(t cat {s}/key-0600) secret_0640=$(t cat {s}/key-0640)
             echo secret_in_0700=$(t cat {s}/private/file)
             echo write_secret=$(t sh -c 'echo x >> {s}/key-0600')
             echo shadow=$(t cat /etc/shadow)
             echo remount=$(t mount -o remount,bind $P)"
        );
        let r = run(
            &idmap,
            &target,
            Steps::Sandbox {
                attach: true,
                rechdir: true,
            },
            &script,
        )
        .unwrap();
        let expect = [
            ("uid", "1000"),
            ("gid", "1000"),
            ("groups", "1000"),
            ("caps", "0000000000000000"),
            ("read_relative", "ok"),
            ("read", "ok"),
            ("read_sub", "ok"),
            ("append", "ok"),
            ("create", "ok"),
            ("mkdir", "ok"),
            ("create_sub", "ok"),
            // Inside, the sandbox uid is 1000: root's files are its own.
            ("owner_f", "1000:1000"),
            ("owner_new", "1000:1000"),
            // Another user's file keeps its id, which is not mapped inside.
            ("owner_other", "65534:65534"),
            // A file of the sandbox uid on disk shows as root's.
            ("owner_x", "65534:65534"),
            ("read_other", "ok"),
            ("write_other", "no"),
            ("read_other_private", "no"),
            ("read_owned_by_x", "no"),
            // No chown to another id; chmod of its own file works.
            ("chown_f", "no"),
            ("chown_other", "no"),
            ("chmod_f", "ok"),
            ("secret_0600", "no"),
            ("secret_0640", "no"),
            ("secret_in_0700", "no"),
            ("write_secret", "no"),
            ("shadow", "no"),
            ("remount", "no"),
        ];
        for (k, v) in expect {
            assert_eq!(r.get(k).map(String::as_str), Some(v), "{k} in {r:?}");
        }
        // On disk, everything the sandbox made is root's.
        let p = proj.path();
        for f in ["f", "new", "newdir", "sub/new"] {
            assert_eq!(owner(&p.join(f)), (0, 0), "{f}");
        }
        assert_eq!(
            std::fs::read_to_string(p.join("f")).unwrap(),
            "f-content\nmore\n"
        );
        assert_eq!(owner(&p.join("other")), (1000, 1000));
        assert_eq!(
            std::fs::read_to_string(p.join("other")).unwrap(),
            "other-content\n"
        );
    }

    /// The mapping's direction, seen by root right after attaching: root's
    /// files show as the sandbox's, the sandbox uid's as root's, others'
    /// as their own; and nothing changes outside the child.
    #[test]
    fn idmapped_project_shows_roots_files_as_the_sandboxs() {
        let Some(idmap) = idmap_or_skip() else { return };
        let proj = project();
        let target = match idmap.target(proj.path()) {
            Ok(t) => t,
            Err(e) => return eprintln!("skipped: {e}"),
        };
        let r = run(
            &idmap,
            &target,
            Steps::AttachOnly,
            "echo f=$(stat -c %u:%g $P/f) x=$(stat -c %u:%g $P/owned-by-x) other=$(stat -c %u:%g $P/other)",
        )
        .unwrap();
        assert_eq!(r["f"], "2000000000:2000000000");
        assert_eq!(r["x"], "0:0");
        assert_eq!(r["other"], "1000:1000");
        // A target named through a symlink is the real tree.
        let link = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(proj.path(), link.path().join("l")).unwrap();
        let via = idmap.target(&link.path().join("l")).unwrap();
        assert_eq!(via.path(), std::fs::canonicalize(proj.path()).unwrap());
        // The host's view is unchanged.
        assert_eq!(owner(&proj.path().join("f")), (0, 0));
    }

    /// Without the idmapped project the sandbox uid gets none of root's
    /// project (it is not root); with it but without changing directory
    /// again, the working directory is still the tree underneath.
    #[test]
    fn without_the_idmap_or_a_new_chdir_the_project_is_closed() {
        let Some(idmap) = idmap_or_skip() else { return };
        let proj = project();
        let target = match idmap.target(proj.path()) {
            Ok(t) => t,
            Err(e) => return eprintln!("skipped: {e}"),
        };
        let script = "echo uid=$(id -u) relative=$(t cat f) absolute=$(t cat $P/f)";
        let plain = Steps::Sandbox {
            attach: false,
            rechdir: true,
        };
        let r = run(&idmap, &target, plain, script).unwrap();
        assert_eq!((r["uid"].as_str(), r["absolute"].as_str()), ("1000", "no"));
        let stale = Steps::Sandbox {
            attach: true,
            rechdir: false,
        };
        let r = run(&idmap, &target, stale, script).unwrap();
        assert_eq!(
            (r["relative"].as_str(), r["absolute"].as_str()),
            ("no", "ok")
        );
    }

    /// `attach` in the mount namespace the Idmap was made in would change
    /// the host's mounts: refused.
    #[test]
    fn attach_refuses_the_hosts_mount_namespace() {
        let Some(idmap) = idmap_or_skip() else { return };
        let proj = project();
        let target = match idmap.target(proj.path()) {
            Ok(t) => t,
            Err(e) => return eprintln!("skipped: {e}"),
        };
        let err = idmap.attach(&target).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EBUSY));
        assert_eq!(owner(&proj.path().join("f")), (0, 0));
    }

    /// Binds made after attaching, as spawn makes them: one whose source
    /// is in the idmapped tree keeps the idmapping (and its read-only
    /// flag), and a root placeholder of mode 000 from elsewhere masks a
    /// project file for the sandbox too; whether they are made as root
    /// before dropping, or by the sandbox uid in a mount namespace of its
    /// own user namespace (where the idmapped mount is locked).
    #[test]
    fn binds_after_attaching_keep_the_idmapping() {
        let Some(idmap) = idmap_or_skip() else { return };
        let proj = project();
        let target = match idmap.target(proj.path()) {
            Ok(t) => t,
            Err(e) => return eprintln!("skipped: {e}"),
        };
        let scratch = secrets();
        let placeholder = scratch.path().join("placeholder");
        std::fs::write(&placeholder, "").unwrap();
        std::fs::set_permissions(&placeholder, std::fs::Permissions::from_mode(0o000)).unwrap();
        for nested in [false, true] {
            let steps = Steps::WithBinds {
                placeholder: CString::new(placeholder.as_os_str().as_bytes()).unwrap(),
                nested,
            };
            let r = run(
                &idmap,
                &target,
                steps,
                "echo sub_owner=$(stat -c %u $P/sub) read_sub=$(t cat $P/sub/g)
                 echo write_sub=$(t sh -c 'echo x >> $P/sub/g') create_sub=$(t touch $P/sub/new)
                 echo masked_owner=$(stat -c %u $P/f) read_masked=$(t cat $P/f)
                 echo chmod_masked=$(t chmod 0644 $P/f) create=$(t touch $P/new)
                 echo umount=$(t umount -l $P)",
            )
            .unwrap();
            for (k, v) in [
                ("sub_owner", "1000"),
                ("read_sub", "ok"),
                ("write_sub", "no"),
                ("create_sub", "no"),
                ("masked_owner", "65534"),
                ("read_masked", "no"),
                ("chmod_masked", "no"),
                ("create", "ok"),
                ("umount", "no"),
            ] {
                assert_eq!(
                    r.get(k).map(String::as_str),
                    Some(v),
                    "{k} (nested {nested}) in {r:?}"
                );
            }
            assert_eq!(owner(&proj.path().join("new")), (0, 0));
            std::fs::remove_file(proj.path().join("new")).unwrap();
        }
    }

    /// `drop_to` leaves the process dumpable (so it can write its maps),
    /// and the uid change has cleared `PR_SET_PDEATHSIG`: it must be set
    /// after.
    #[test]
    fn drop_to_keeps_the_process_dumpable_and_clears_the_death_signal() {
        let Some(_idmap) = idmap_or_skip() else {
            return;
        };
        let mut c = Command::new("/bin/true");
        // SAFETY: system calls on integers and stack values only.
        unsafe {
            c.pre_exec(|| {
                check(libc::prctl(
                    libc::PR_SET_PDEATHSIG,
                    libc::SIGKILL as libc::c_ulong,
                    0,
                    0,
                    0,
                ))?;
                drop_to(SANDBOX)?;
                let mut sig: libc::c_int = -1;
                check(libc::prctl(
                    libc::PR_GET_PDEATHSIG,
                    &mut sig as *mut libc::c_int,
                    0,
                    0,
                    0,
                ))?;
                if sig != 0 {
                    return Err(io::Error::from_raw_os_error(libc::EEXIST));
                }
                if libc::prctl(libc::PR_GET_DUMPABLE, 0, 0, 0, 0) != 1 {
                    return Err(io::Error::from_raw_os_error(libc::ENOTSUP));
                }
                // No capability is left: a uid change back is refused.
                if libc::setresuid(0, 0, 0) == 0 {
                    return Err(io::Error::from_raw_os_error(libc::EOWNERDEAD));
                }
                Ok(())
            });
        }
        assert!(c.status().unwrap().success());
    }

    /// An idmapped tree cannot be idmapped again: `EPERM` in the child.
    #[test]
    fn a_tree_inside_an_idmapped_one_is_refused() {
        let Some(idmap) = idmap_or_skip() else { return };
        let proj = project();
        let (Ok(outer), Ok(inner)) = (
            idmap.target(proj.path()),
            idmap.target(&proj.path().join("sub")),
        ) else {
            return eprintln!("skipped: no idmapped mounts here");
        };
        let mut c = Command::new("/bin/true");
        let idmap = idmap.try_clone().unwrap();
        // SAFETY: system calls on buffers made before the fork.
        unsafe {
            c.pre_exec(move || {
                check(libc::unshare(libc::CLONE_NEWNS))?;
                check(libc::mount(
                    std::ptr::null(),
                    c"/".as_ptr(),
                    std::ptr::null(),
                    libc::MS_REC | libc::MS_PRIVATE,
                    std::ptr::null(),
                ))?;
                idmap.attach(&outer)?;
                idmap.attach(&inner)
            });
        }
        let err = c.status().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EPERM));
    }

    /// A mount made for one test, detached when dropped.
    struct Mounted(CString);

    impl Mounted {
        fn new(fstype: &CStr, target: &Path, data: Option<&CStr>) -> Mounted {
            let t = CString::new(target.as_os_str().as_bytes()).unwrap();
            // SAFETY: NUL-terminated strings for the mount.
            let r = unsafe {
                libc::mount(
                    c"ztguard-test".as_ptr(),
                    t.as_ptr(),
                    fstype.as_ptr(),
                    0,
                    data.map_or(std::ptr::null(), |d| d.as_ptr().cast()),
                )
            };
            assert_eq!(r, 0, "mount {fstype:?}: {}", io::Error::last_os_error());
            Mounted(t)
        }
    }

    impl Drop for Mounted {
        fn drop(&mut self) {
            // SAFETY: a NUL-terminated path.
            unsafe { libc::umount2(self.0.as_ptr(), libc::MNT_DETACH) };
        }
    }

    /// What the kernel says for filesystems without idmapped mounts, and
    /// for a tree with such a submount.
    #[test]
    fn unsupported_filesystems_are_named() {
        let Some(idmap) = idmap_or_skip() else { return };
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for sub in [
            "ram",
            "lower",
            "upper",
            "work",
            "overlay",
            "tree/ram",
            "tree2/tmp",
        ] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let _ram = Mounted::new(c"ramfs", &d.join("ram"), None);
        let err = idmap.target(&d.join("ram")).unwrap_err();
        assert!(
            matches!(&err, IdmapError::Unsupported { filesystem, .. } if filesystem == "ramfs"),
            "{err:?}"
        );
        let text = err.to_string();
        assert!(
            text.contains("(ramfs) does not support idmapped mounts")
                && text.contains("run ztguard as the user who owns the project"),
            "{text}"
        );
        let data = CString::new(format!(
            "lowerdir={},upperdir={},workdir={}",
            d.join("lower").display(),
            d.join("upper").display(),
            d.join("work").display()
        ))
        .unwrap();
        let _ov = Mounted::new(c"overlay", &d.join("overlay"), Some(&data));
        let err = idmap.target(&d.join("overlay")).unwrap_err();
        assert!(
            matches!(&err, IdmapError::Unsupported { filesystem, .. } if filesystem == "overlayfs"),
            "{err:?}"
        );
        // A ramfs inside the tree: only the tree's own mount is idmapped.
        let _sub = Mounted::new(c"ramfs", &d.join("tree/ram"), None);
        let t = idmap.target(&d.join("tree")).unwrap();
        assert!(!t.whole_tree());
        // tmpfs has idmapped mounts since Linux 6.3: a tmpfs submount is covered.
        let _tmp = Mounted::new(c"tmpfs", &d.join("tree2/tmp"), None);
        match idmap.target(&d.join("tree2")) {
            Ok(t) => assert!(t.whole_tree() || !kernel_at_least(6, 3)),
            Err(e) => panic!("{e}"),
        }
    }

    fn kernel_at_least(major: u32, minor: u32) -> bool {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let mut v = release
            .split(['.', '-'])
            .map(|x| x.parse::<u32>().unwrap_or(0));
        (v.next().unwrap_or(0), v.next().unwrap_or(0)) >= (major, minor)
    }
}
