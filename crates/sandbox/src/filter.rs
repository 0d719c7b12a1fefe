//! The seccomp filter: which sockets a sandboxed command may create.
//!
//! Landlock (ABI 7) rules do not cover connecting to a Unix socket by its
//! path, and a network namespace does not isolate those: the Docker socket
//! (root on the host), an ssh, gpg or D-Bus agent would all be one
//! `connect` away. So `socket()` is refused for every family but IPv4, IPv6
//! (which the network namespace and Landlock confine) and netlink (address
//! lookups ask it about interfaces). `socketpair()` is untouched: a
//! connected pair reaches nothing outside. `io_uring` is refused, as it can
//! create sockets without the `socket` system call.

use std::collections::BTreeMap;

use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};

/// The socket families a command may create.
const FAMILIES: &[libc::c_int] = &[libc::AF_INET, libc::AF_INET6, libc::AF_NETLINK];

/// The compiled filter for this machine's architecture.
pub fn sockets(allow_unix: bool) -> Result<BpfProgram, String> {
    let arch = TargetArch::try_from(std::env::consts::ARCH).map_err(|e| e.to_string())?;
    let mut families: Vec<libc::c_int> = FAMILIES.to_vec();
    if allow_unix {
        families.push(libc::AF_UNIX);
    }
    let not_allowed = families
        .iter()
        .map(|f| SeccompCondition::new(0, SeccompCmpArgLen::Dword, SeccompCmpOp::Ne, *f as u64))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
    rules.insert(
        libc::SYS_socket,
        vec![SeccompRule::new(not_allowed).map_err(|e| e.to_string())?],
    );
    for call in [
        libc::SYS_io_uring_setup,
        libc::SYS_io_uring_enter,
        libc::SYS_io_uring_register,
    ] {
        rules.insert(call, Vec::new());
    }
    let filter = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        arch,
    )
    .map_err(|e| e.to_string())?;
    filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| e.to_string())
}
