//! What this kernel can enforce, probed for real: the Landlock ABI from the
//! kernel itself, and user namespaces by creating one in a child.

/// The kernel's sandboxing features (by default: none).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Support {
    /// Landlock ABI version, when Landlock is enabled.
    pub landlock_abi: Option<i32>,
    /// Unprivileged user namespaces (and with them mount, network and PID namespaces).
    pub user_namespaces: bool,
    /// seccomp filters (the socket-family filter).
    pub seccomp: bool,
}

impl Support {
    /// What is missing for a full sandbox, in words.
    pub fn missing(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self.landlock_abi {
            None => out.push("Landlock (file access rules)".to_string()),
            Some(v) if v < 4 => out.push(format!(
                "Landlock ABI 4 (TCP rules; this kernel has ABI {v})"
            )),
            Some(_) => {}
        }
        if !self.user_namespaces {
            out.push(
                "user namespaces (masking credential files, read-only binds, no network)".into(),
            );
        }
        if !self.seccomp {
            out.push("seccomp filters (refusing Unix sockets)".into());
        }
        out
    }
}

/// What `ztguard exec` enforces on a kernel with everything, one line each
/// (printed by `ztguard sandbox status`; the docs say the same at length).
pub const ENFORCED: &[&str] = &[
    "a clean environment: base variables and the allowed prefix only; the model API key stays in a gateway outside",
    "Landlock: system trees and toolchains readable, the project, its own /tmp and the agent's state writable, nothing else",
    "credential files the policy denies masked by read-only, unreadable placeholders; the guard's files, git, agent and IDE configuration bound read-only",
    "the whole mount tree read-only but the writable trees (no chmod, chown or utime of anything else)",
    "a private /tmp per command, /dev/shm and devpts; no other terminal of the user, no TIOCSTI",
    "a PID namespace: no host process in sight, nothing outlives the command, at most 8192 processes",
    "the network only through ztguard's proxy, to the hosts the policy allows",
    "seccomp: no Unix sockets, io_uring, keyrings, new user namespaces, perf events, userfaultfd, netlink beyond routing",
    "no descriptor of the caller but the standard streams; a new session keyring; no_new_privs",
];

/// What it does not enforce (see the docs' "Not enforced by the sandbox"),
/// on a machine where `exec` can make a control group (`limited`) or not.
pub fn not_enforced(limited: bool) -> Vec<&'static str> {
    let mut out = vec![
        "what the agent writes into the project's own code, and what that code does when a human runs it outside",
        "actions through allowed channels: a push, a publish, a request to an allowed host",
    ];
    out.push(match limited {
        true => "disk use: a command can fill the disk of the writable trees (memory and processes are limited)",
        false => {
            "memory and disk use (no control group can be made here): a command can fill the memory and the disk of the writable trees"
        }
    });
    out.push(
        "programs that ignore the proxy variables reach nothing; --network host leaves the network to the hook",
    );
    out
}

/// Makes ztguard act as on a kernel without the features it names
/// (`landlock`, `userns`, `seccomp`, comma-separated): to see what a run with
/// `--allow-degraded` keeps on an older machine, and to test it. It can
/// only take protection away together with `--allow-degraded`.
pub const WITHOUT_VAR: &str = "ZTGUARD_SANDBOX_WITHOUT";

/// Probe the running kernel.
pub fn probe() -> Support {
    let without = std::env::var(WITHOUT_VAR).unwrap_or_default();
    let off = |feature: &str| without.split(',').any(|w| w.trim() == feature);
    Support {
        landlock_abi: if off("landlock") {
            None
        } else {
            landlock_abi()
        },
        user_namespaces: !off("userns") && user_namespaces(),
        seccomp: !off("seccomp") && seccomp(),
    }
}

/// Does this kernel take seccomp filters that return an errno?
fn seccomp() -> bool {
    const SECCOMP_GET_ACTION_AVAIL: libc::c_uint = 2;
    let action: u32 = libc::SECCOMP_RET_ERRNO;
    // SAFETY: SECCOMP_GET_ACTION_AVAIL reads the one u32 it is pointed at
    // and changes nothing.
    let r = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            SECCOMP_GET_ACTION_AVAIL,
            0,
            &action as *const u32,
        )
    };
    r == 0
}

fn landlock_abi() -> Option<i32> {
    const LANDLOCK_CREATE_RULESET_VERSION: libc::c_uint = 1;
    // SAFETY: with a null attribute and size 0, this call only returns the
    // ABI version (or an error); it reads and writes no memory.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<libc::c_void>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    (v > 0).then_some(v as i32)
}

/// Can this process make the namespaces `exec` needs? A child is cloned
/// straight into a new user namespace and exits at once. It shares this process's memory
/// and runs while the parent waits (`CLONE_VM | CLONE_VFORK`, as
/// `posix_spawn` does): no page tables are copied, which a `fork` of this
/// process would, and its only code is a return.
fn user_namespaces() -> bool {
    extern "C" fn child(_: *mut libc::c_void) -> libc::c_int {
        0
    }
    let mut stack = vec![0u8; 16 * 1024];
    // A user namespace alone: the mount, PID and network namespaces a
    // user namespace's owner may always make (only the machine's
    // `user.max_*_namespaces` could still refuse them, and then `exec`
    // fails to start rather than run without them). Making and tearing
    // down a network namespace and a copy of the mount table here, on
    // every `exec`, would cost more than the probe itself.
    let flags = libc::CLONE_NEWUSER | libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD;
    // SAFETY: the child runs `child` on its own stack (the top of `stack`,
    // which outlives it: the parent is suspended until the child exits,
    // CLONE_VFORK) and only returns, which exits it; it touches no memory
    // the parent uses. The parent then reaps it with a local status.
    unsafe {
        let top = stack.as_mut_ptr().add(stack.len()).cast::<libc::c_void>();
        let pid = libc::clone(child, top, flags, std::ptr::null_mut());
        if pid < 0 {
            return false;
        }
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) < 0 {
            if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                return false;
            }
        }
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
    }
}
