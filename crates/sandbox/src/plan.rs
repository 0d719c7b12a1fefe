//! What the sandbox allows: trees to read (and run programs from), trees
//! to write, files and directories to mask, files to bind read-only inside
//! writable trees, and whether the network exists at all.

use std::path::PathBuf;

/// The network inside the sandbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Network {
    /// A private network namespace with nothing in it, and Landlock TCP
    /// rules that allow no bind or connect.
    None,
    /// The host's network (the hook still decides what commands may reach).
    Host,
    /// A private network namespace whose only way out is ztguard's
    /// filtering proxy on 127.0.0.1:3128 (`HTTPS_PROXY`), which reaches
    /// only the hosts the policy allows.
    Proxy,
}

/// A file or directory put in the place of another inside the sandbox
/// (a private `~/.cache`, a filtered copy of an agent's settings, a
/// checked snapshot of a script an operation runs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    pub source: PathBuf,
    pub target: PathBuf,
    /// Writable through the bind (else bound read-only).
    pub writable: bool,
}

/// A sandbox, as paths. Paths that do not exist are skipped.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Readable and executable trees (system directories, toolchains).
    pub read: Vec<PathBuf>,
    /// Writable trees (the project, temp, the agent's own state).
    pub write: Vec<PathBuf>,
    /// Files and directories replaced by an empty, unreadable placeholder
    /// (credentials inside readable trees: Landlock cannot carve them out).
    pub mask: Vec<PathBuf>,
    /// Files and directories bound read-only inside writable trees (the
    /// guard's policy and log, the agent's settings and hooks).
    pub read_only: Vec<PathBuf>,
    /// Files and directories replaced by others (both must exist; the
    /// source is reached only through the bind).
    pub binds: Vec<Bind>,
    /// The caller's home: started by root, the sandbox runs as an
    /// unprivileged uid, and a root-owned home is shown to it through an
    /// idmapped mount (with the writable trees) so its toolchains stay
    /// reachable under a `0700` `/root`.
    pub home: Option<PathBuf>,
    pub network: Network,
    /// Loopback ports of the bridge's services (broker, gateway) that the
    /// sandbox may connect to, beside the proxy's.
    pub service_ports: Vec<u16>,
    /// Let the command create Unix sockets. Off by default: a path socket
    /// is reachable whatever Landlock says (the Docker socket, an ssh or
    /// D-Bus agent), so `socket(AF_UNIX)` is refused by seccomp, as are
    /// families other than IPv4, IPv6 and netlink; `socketpair` still works.
    pub unix_sockets: bool,
    /// Run even where the kernel cannot enforce all of this (said loudly).
    pub allow_degraded: bool,
}
