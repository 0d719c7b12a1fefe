/*!
ztguard's kernel sandbox for `ztguard exec`: assume the hook was bypassed,
and let the kernel enforce the same boundary.

- [`env`]: the environment the agent gets — a small base set and the
  variables with the allowed prefix, nothing else.
- [`status`]: what this kernel can enforce (Landlock ABI, user namespaces).
- [`host_config`]: the host's git, agent and IDE configuration recorded
  before a sandboxed command starts, compared and put back when it ends.
- [`Plan`] and [`spawn`]: a command started in private user, mount and
  (without network) network namespaces, with credential files masked by
  bind mounts, protected files bound read-only, and a Landlock ruleset
  that grants only the plan's trees, and a seccomp filter that refuses
  Unix and other socket families Landlock and the namespaces do not confine.

Everything the child does between `fork` and `exec` is a fixed list of
system calls on buffers prepared before the fork: no allocation, no locks.
*/

mod bridge;
pub mod env;
mod filter;
pub mod host_config;
pub mod idmap;
mod init;
pub mod limits;
mod mounts;
mod plan;
pub mod proxy;
mod spawn;
mod stale;
pub mod status;
pub mod terminal;

pub use bridge::Bridge;
pub use plan::{Bind, Network, Plan};
pub use spawn::{Prepared, Service, spawn, sweep};
pub use stale::stale_runs;
pub use status::{Support, probe};
