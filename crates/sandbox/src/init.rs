//! The sandbox's process tree: nothing it starts outlives it.
//!
//! The child `ztguard` starts (the *relay*) makes the namespaces, a PID
//! namespace among them. Its first child is PID 1 there (the *init*): it
//! mounts a `/proc` that shows only the sandbox's processes, starts the
//! command as PID 2 and reaps whatever is orphaned until the command exits.
//! When the init exits, the kernel kills every process left in the
//! namespace: a command put in the background (`setsid sleep 100 &`) cannot
//! wait for the user's shell to come back. The relay dies with `ztguard`
//! and the init with the relay (`PR_SET_PDEATHSIG`), so killing `ztguard`
//! kills the sandbox too.
//!
//! Both pass the command's exit status on (a signal as 128 + its number).
//! Neither keeps a file descriptor beyond the standard streams: the parent
//! learns that the command started when the last copy of the standard
//! library's exec-error pipe closes.

use std::io;

/// What a `waitpid` status becomes as an exit code.
fn code(status: libc::c_int) -> libc::c_int {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        1
    }
}

/// Close every descriptor above the standard streams.
fn close_above_stdio() {
    // SAFETY: close_range touches no memory; on a kernel without it the
    // loop closes the usual range one by one.
    unsafe {
        if libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32) != 0 {
            for fd in 3..4096 {
                libc::close(fd);
            }
        }
    }
}

/// Mark every descriptor above the standard streams close-on-exec (the
/// command gets none of the caller's: a directory fd would get past the
/// masks, a connected socket past seccomp).
pub(crate) fn cloexec_above_stdio() {
    // SAFETY: as above; fcntl on a closed descriptor only fails.
    unsafe {
        if libc::syscall(
            libc::SYS_close_range,
            3u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        ) != 0
        {
            for fd in 3..4096 {
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
    }
}

/// Wait for `pid` and exit with its status: the relay's whole life after
/// the fork. Never returns.
pub(crate) fn relay(pid: libc::pid_t) -> ! {
    close_above_stdio();
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes the status into the local it is given.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r == pid {
            break;
        }
        if r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            status = 1 << 8;
            break;
        }
    }
    // SAFETY: _exit ends the process without running anything of the parent's.
    unsafe { libc::_exit(code(status)) }
}

/// PID 1: reap every process until `command` exits, then exit with its
/// status (which ends everything left). Never returns.
pub(crate) fn reap(command: libc::pid_t) -> ! {
    close_above_stdio();
    let mut status = 0;
    loop {
        // SAFETY: as in `relay`.
        let r = unsafe { libc::waitpid(-1, &mut status, 0) };
        if r == command {
            break;
        }
        if r < 0 && io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            status = 1 << 8;
            break;
        }
    }
    // SAFETY: as in `relay`.
    unsafe { libc::_exit(code(status)) }
}

/// Be killed when the parent dies (`PR_SET_PDEATHSIG`); with the parent's
/// pid, fail if it is already gone (in a PID namespace the parent outside
/// has no pid to compare).
pub(crate) fn die_with_parent(parent: Option<libc::pid_t>) -> io::Result<()> {
    // SAFETY: prctl and getppid take no memory.
    unsafe {
        crate::mounts::check(libc::prctl(
            libc::PR_SET_PDEATHSIG,
            libc::SIGKILL as libc::c_ulong,
            0,
            0,
            0,
        ))?;
        if parent.is_some_and(|p| libc::getppid() != p) {
            return Err(io::Error::from_raw_os_error(libc::ESRCH));
        }
    }
    Ok(())
}

/// Mount a `/proc` of the PID namespace this process is PID 1 of.
pub(crate) fn mount_proc() -> io::Result<()> {
    // SAFETY: string literals only.
    crate::mounts::check(unsafe {
        libc::mount(
            c"proc".as_ptr(),
            c"/proc".as_ptr(),
            c"proc".as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            std::ptr::null(),
        )
    })
}

/// `fork`, as an `io::Result`.
pub(crate) fn fork() -> io::Result<libc::pid_t> {
    // SAFETY: the process is single-threaded here (a child between fork and
    // exec), so the child of this fork is a consistent copy.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(pid)
}

/// Join a new, empty session keyring: the caller's (Kerberos caches,
/// `keyctl` secrets) is not the command's. Kernels without keys: nothing
/// to join.
pub(crate) fn new_session_keyring() {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: a NULL name asks for an anonymous keyring; no memory is passed.
    unsafe {
        libc::syscall(
            libc::SYS_keyctl,
            KEYCTL_JOIN_SESSION_KEYRING,
            std::ptr::null::<libc::c_char>(),
        );
    }
}

/// The most processes (and threads) the sandbox may have at once.
pub(crate) const MAX_PROCESSES: libc::rlim_t = 8192;

/// Limit the number of processes (a fork bomb stops there), unless a
/// lower limit is already set.
pub(crate) fn limit_processes() {
    let mut cur = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NPROC, &mut cur) == 0 && cur.rlim_max > MAX_PROCESSES {
            let lim = libc::rlimit {
                rlim_cur: cur.rlim_cur.min(MAX_PROCESSES),
                rlim_max: MAX_PROCESSES,
            };
            libc::setrlimit(libc::RLIMIT_NPROC, &lim);
        }
    }
}
