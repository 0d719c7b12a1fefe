//! The seccomp filters: the system calls a sandboxed command may not make.
//!
//! - Sockets: Landlock (ABI 7) rules do not cover connecting to a Unix
//!   socket by its path, and a network namespace does not isolate those:
//!   the Docker socket (root on the host), an ssh, gpg or D-Bus agent would
//!   all be one `connect` away. So `socket()` is refused for every family
//!   but IPv4, IPv6 (which the network namespace and Landlock confine) and
//!   netlink, and netlink only for routing (address lookups ask it about
//!   interfaces; the audit, uevent, diagnostic and netfilter ones are
//!   refused). `socketpair()` is untouched: a connected pair reaches
//!   nothing outside. `io_uring` is refused, as it can create sockets
//!   without the `socket` system call.
//! - The terminal: `ioctl(TIOCSTI)` pushes bytes into a terminal's input,
//!   which the user's shell reads as a command once the sandbox has
//!   returned; `TIOCLINUX` does the same on a virtual console.
//! - Keys: `keyctl`, `add_key` and `request_key` (the command also gets a
//!   new, empty session keyring).
//! - Kernel surface a build never needs: `perf_event_open`, `userfaultfd`,
//!   and new user namespaces (`unshare` or `clone` with `CLONE_NEWUSER`,
//!   which would hand the command capabilities in a namespace of its own).
//!   `clone3` passes its flags in memory a filter cannot read, so it is
//!   answered "not implemented", and the C library falls back to `clone`.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// The socket families a command may create.
const FAMILIES: &[libc::c_int] = &[libc::AF_INET, libc::AF_INET6, libc::AF_NETLINK];

/// `ioctl` requests refused.
#[allow(clippy::unnecessary_cast)] // the request type is c_int with musl, c_ulong with glibc
const IOCTLS: &[u64] = &[libc::TIOCSTI as u64, libc::TIOCLINUX as u64];

fn cond(arg: u8, op: SeccompCmpOp, value: u64) -> Result<SeccompCondition, String> {
    SeccompCondition::new(arg, SeccompCmpArgLen::Dword, op, value).map_err(|e| e.to_string())
}

fn rule(conditions: Vec<SeccompCondition>) -> Result<SeccompRule, String> {
    SeccompRule::new(conditions).map_err(|e| e.to_string())
}

fn compile(rules: BTreeMap<i64, Vec<SeccompRule>>, errno: i32) -> Result<BpfProgram, String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(errno as u32),
        arch,
    )
    .map_err(|e| e.to_string())?;
    filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())
}

/// The compiled filters for this machine's architecture, to be applied
/// in order.
pub fn filters(allow_unix: bool) -> Result<Vec<BpfProgram>, String> {
    let mut families: Vec<libc::c_int> = FAMILIES.to_vec();
    if allow_unix {
        families.push(libc::AF_UNIX);
    }
    let not_allowed = families
        .iter()
        .map(|f| cond(0, SeccompCmpOp::Ne, *f as u64))
        .collect::<Result<Vec<_>, _>>()?;
    let netlink_beyond_routing = vec![
        cond(0, SeccompCmpOp::Eq, libc::AF_NETLINK as u64)?,
        cond(2, SeccompCmpOp::Ne, libc::NETLINK_ROUTE as u64)?,
    ];
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    rules.insert(
        libc::SYS_socket,
        vec![rule(not_allowed)?, rule(netlink_beyond_routing)?],
    );
    rules.insert(
        libc::SYS_ioctl,
        IOCTLS
            .iter()
            .map(|r| rule(vec![cond(1, SeccompCmpOp::Eq, *r)?]))
            .collect::<Result<Vec<_>, _>>()?,
    );
    let new_user = libc::CLONE_NEWUSER as u64;
    for call in [libc::SYS_unshare, libc::SYS_clone] {
        rules.insert(
            call,
            vec![rule(vec![cond(
                0,
                SeccompCmpOp::MaskedEq(new_user),
                new_user,
            )?])?],
        );
    }
    for call in [
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
    ] {
        rules.insert(call, Vec::new());
    }
    let mut not_implemented = BTreeMap::new();
    not_implemented.insert(libc::SYS_clone3, Vec::new());
    Ok(vec![
        compile(rules, libc::EACCES)?,
        compile(not_implemented, libc::ENOSYS)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_filters_compile_with_and_without_unix_sockets() {
        for unix in [false, true] {
            let f = filters(unix).unwrap();
            assert_eq!(f.len(), 2);
            assert!(f.iter().all(|p| !p.is_empty()));
        }
    }
}
