//! The file system the sandbox sees, built in the child from mounts
//! prepared in the parent.
//!
//! Landlock decides which trees may be read or written, but it does not
//! cover `chmod`, `chown` or `utime`: a file the caller owns could have its
//! mode changed anywhere the sandbox can see it (`chmod -R 000 ~`). So the
//! whole mount tree is made read-only first, and only the writable trees are
//! bound onto themselves and made writable again. Then, in order:
//!
//! 1. the plan's binds (a private `~/.cache`, filtered settings, snapshots);
//! 2. masks: a mode-000, read-only placeholder over each credential path;
//! 3. protected paths bound read-only onto themselves;
//! 4. a private `/tmp` (a per-run directory) and `/dev/shm` (a small
//!    tmpfs): the host's temporary files are neither readable nor a place
//!    to plant links the host later follows. Trees of the plan that lie
//!    under `/tmp` (a project there) are cloned before and attached again
//!    at the same path inside the private one;
//! 5. a devpts instance of the sandbox's own, so no other terminal of the
//!    user can be opened.
//!
//! Everything the child does here is system calls on buffers made before
//! the fork.

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::plan::Bind;

/// `open_tree` flags and `mount_setattr` attributes (linux/mount.h).
const OPEN_TREE_CLONE: libc::c_uint = 1;
const AT_RECURSIVE: libc::c_uint = 0x8000;
const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
const MOUNT_ATTR_RDONLY: u64 = 0x1;

/// `struct mount_attr` of `mount_setattr(2)`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// At most this many trees are carried into the private `/tmp`.
pub(crate) const MAX_CARRIED: usize = 32;

/// The size of the sandbox's `/dev/shm`.
const SHM_OPTIONS: &[u8] = b"size=1g,mode=1777\0";

/// A bind mount of `source` onto `target`, then a remount that sets its
/// flags: read-only ones carry the flags the mount already has, or the
/// kernel refuses the remount where they are locked (a `nosuid,nodev,noexec`
/// home in a container or on a hardened system).
#[derive(Clone)]
pub(crate) struct Mount {
    source: CString,
    target: CString,
    remount: libc::c_ulong,
    /// With the mounts beneath the source.
    recursive: bool,
}

impl Mount {
    pub(crate) fn new(
        source: &Path,
        target: &Path,
        writable: bool,
        recursive: bool,
    ) -> Result<Mount, String> {
        Ok(Mount {
            source: cstr(source)?,
            target: cstr(target)?,
            remount: remount_flags(source, writable),
            recursive,
        })
    }

    pub(crate) fn of(b: &Bind) -> Result<Mount, String> {
        Mount::new(&b.source, &b.target, b.writable, false)
    }

    /// A private `/tmp` from the (empty) directory `dir`.
    pub(crate) fn private_tmp(dir: &Path) -> Result<Mount, String> {
        Mount::new(dir, Path::new("/tmp"), true, false)
    }

    /// Bind it, in the child.
    fn apply(&self) -> io::Result<()> {
        let rec = if self.recursive { libc::MS_REC } else { 0 };
        // SAFETY: both paths are NUL-terminated C strings made before the fork.
        unsafe {
            check(libc::mount(
                self.source.as_ptr(),
                self.target.as_ptr(),
                std::ptr::null(),
                libc::MS_BIND | rec,
                std::ptr::null(),
            ))?;
            check(libc::mount(
                std::ptr::null(),
                self.target.as_ptr(),
                std::ptr::null(),
                self.remount,
                std::ptr::null(),
            ))
        }
    }
}

pub(crate) fn cstr(p: &Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| format!("{}: a NUL in the path", p.display()))
}

/// The flags of the remount of a bind of `path`: read-only or not, and
/// whatever of nosuid, nodev, noexec and the atime flags its mount has.
fn remount_flags(path: &Path, writable: bool) -> libc::c_ulong {
    let mut flags = libc::MS_REMOUNT | libc::MS_BIND;
    if !writable {
        flags |= libc::MS_RDONLY;
    }
    let Ok(c) = cstr(path) else {
        return flags;
    };
    // SAFETY: statvfs fills the zeroed struct it is given, from a NUL-terminated path.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
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

/// A tree of the plan under `/tmp`, attached again inside the private one.
#[derive(Clone)]
struct Carried {
    path: CString,
    dir: bool,
    /// Its ancestors below `/tmp`, outermost first, created as directories.
    ancestors: Vec<CString>,
}

/// The whole layout, prepared.
#[derive(Clone)]
pub(crate) struct Layout {
    /// Writable trees, bound onto themselves, parents first.
    writable: Vec<Mount>,
    /// Binds, masks and protected paths, in that order.
    pub(crate) mounts: Vec<Mount>,
    carried: Vec<Carried>,
    shm: bool,
    devpts: bool,
}

impl Layout {
    /// `write`: the plan's writable trees; `read`: its readable ones (both
    /// existing).
    pub(crate) fn new(
        read: &[PathBuf],
        write: &[PathBuf],
        mounts: Vec<Mount>,
    ) -> Result<Layout, String> {
        let under_tmp = |p: &Path| p.starts_with("/tmp") && p != Path::new("/tmp");
        let mut rw: Vec<&PathBuf> = write
            .iter()
            .filter(|p| {
                !p.starts_with("/dev") && !p.starts_with("/proc") && *p != Path::new("/tmp")
            })
            .collect();
        rw.sort_by_key(|p| p.components().count());
        rw.dedup();
        let writable = rw
            .into_iter()
            .map(|p| Mount::new(p, p, true, true))
            .collect::<Result<Vec<_>, _>>()?;
        let mut trees: Vec<&PathBuf> = read.iter().chain(write).filter(|p| under_tmp(p)).collect();
        trees.sort_by_key(|p| p.components().count());
        let mut kept: Vec<&PathBuf> = Vec::new();
        for t in trees {
            if !kept.iter().any(|k| t.starts_with(k)) {
                kept.push(t);
            }
        }
        if kept.len() > MAX_CARRIED {
            return Err(format!(
                "more than {MAX_CARRIED} trees of the sandbox lie under /tmp"
            ));
        }
        let mut carried = Vec::new();
        for t in kept {
            let mut ancestors = Vec::new();
            let mut a = t.parent();
            while let Some(p) = a.filter(|p| under_tmp(p)) {
                ancestors.push(cstr(p)?);
                a = p.parent();
            }
            ancestors.reverse();
            carried.push(Carried {
                path: cstr(t)?,
                dir: t.is_dir(),
                ancestors,
            });
        }
        Ok(Layout {
            writable,
            mounts,
            carried,
            shm: Path::new("/dev/shm").is_dir(),
            devpts: Path::new("/dev/pts/ptmx").exists() && Path::new("/dev/ptmx").exists(),
        })
    }

    /// Build it, in the child, after `unshare(CLONE_NEWNS)`; `extra`: the
    /// binds of this one command; `tmp`: its private `/tmp`.
    pub(crate) fn build(&self, extra: &[Mount], tmp: &Mount) -> io::Result<()> {
        // SAFETY: every pointer is a NUL-terminated string literal or a
        // C string made before the fork, or a struct on this stack.
        make_private()?;
        unsafe {
            let attr = MountAttr {
                attr_set: MOUNT_ATTR_RDONLY,
                attr_clr: 0,
                propagation: 0,
                userns_fd: 0,
            };
            let r = libc::syscall(
                libc::SYS_mount_setattr,
                libc::AT_FDCWD,
                c"/".as_ptr(),
                AT_RECURSIVE,
                &attr as *const MountAttr,
                std::mem::size_of::<MountAttr>(),
            );
            if r != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        for m in self.writable.iter().chain(&self.mounts).chain(extra) {
            m.apply()?;
        }
        let mut clones = [-1 as libc::c_int; MAX_CARRIED];
        for (i, c) in self.carried.iter().enumerate() {
            // SAFETY: a C string made before the fork.
            let fd = unsafe {
                libc::syscall(
                    libc::SYS_open_tree,
                    libc::AT_FDCWD,
                    c.path.as_ptr(),
                    OPEN_TREE_CLONE | AT_RECURSIVE | libc::O_CLOEXEC as libc::c_uint,
                )
            };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            clones[i] = fd as libc::c_int;
        }
        tmp.apply()?;
        for (i, c) in self.carried.iter().enumerate() {
            // SAFETY: C strings made before the fork; the fd was opened above.
            unsafe {
                for a in &c.ancestors {
                    libc::mkdir(a.as_ptr(), 0o755);
                }
                if c.dir {
                    libc::mkdir(c.path.as_ptr(), 0o755);
                } else {
                    let fd = libc::open(
                        c.path.as_ptr(),
                        libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                        0o600,
                    );
                    if fd >= 0 {
                        libc::close(fd);
                    }
                }
                let r = libc::syscall(
                    libc::SYS_move_mount,
                    clones[i],
                    c"".as_ptr(),
                    libc::AT_FDCWD,
                    c.path.as_ptr(),
                    MOVE_MOUNT_F_EMPTY_PATH,
                );
                if r != 0 {
                    return Err(io::Error::last_os_error());
                }
                libc::close(clones[i]);
            }
        }
        // SAFETY: string literals only.
        unsafe {
            if self.shm {
                check(libc::mount(
                    c"tmpfs".as_ptr(),
                    c"/dev/shm".as_ptr(),
                    c"tmpfs".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NODEV,
                    SHM_OPTIONS.as_ptr().cast(),
                ))?;
            }
            if self.devpts {
                check(libc::mount(
                    c"devpts".as_ptr(),
                    c"/dev/pts".as_ptr(),
                    c"devpts".as_ptr(),
                    libc::MS_NOSUID | libc::MS_NOEXEC,
                    c"newinstance,ptmxmode=0666,mode=0620".as_ptr().cast(),
                ))?;
                check(libc::mount(
                    c"/dev/pts/ptmx".as_ptr(),
                    c"/dev/ptmx".as_ptr(),
                    std::ptr::null(),
                    libc::MS_BIND,
                    std::ptr::null(),
                ))?;
            }
        }
        Ok(())
    }

    /// Say what it does, for the banner.
    pub(crate) fn describe(&self) -> String {
        format!(
            "mounts: everything read-only but {} writable tree(s); a private /tmp{}{}",
            self.writable.len(),
            if self.shm { " and /dev/shm" } else { "" },
            if self.devpts {
                "; a devpts of its own (no other terminal)"
            } else {
                ""
            },
        )
    }
}

/// Make every mount of this (new) mount namespace private, in the child:
/// nothing mounted here may propagate to the host's.
pub(crate) fn make_private() -> io::Result<()> {
    // SAFETY: a string literal and null pointers.
    check(unsafe {
        libc::mount(
            std::ptr::null(),
            c"/".as_ptr(),
            std::ptr::null(),
            libc::MS_REC | libc::MS_PRIVATE,
            std::ptr::null(),
        )
    })
}

/// Write `data` to the file at `path` (NUL-terminated), in the child: a
/// `/proc/self` map, a control group's `cgroup.procs`.
pub(crate) fn write_file(path: &[u8], data: &[u8]) -> io::Result<()> {
    // SAFETY: `path` is NUL-terminated (from a CString or a literal); the
    // buffer outlives the calls.
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

pub(crate) fn check(r: libc::c_int) -> io::Result<()> {
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
