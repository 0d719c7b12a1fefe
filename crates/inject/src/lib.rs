/*!
Secrets the agent can use but never see.

- [`fetch`]: a `[secrets.NAME]` value from its source (a file, a command,
  a variable of ztguard's own environment), outside the agent's reach.
- [`redact`]: the value cut out of an operation's output as it streams.
- [`broker`]: under `ztguard exec`, the sandbox's way to ask the process
  outside for an approved operation (or a hook decision), which only that
  process can carry out.
- [`snapshot`] and [`operation`]: what an operation runs under `ztguard
  exec` is what was checked (a private copy of its scripts' directories),
  in the project, with a fixed PATH and no option that runs another program.
- [`gateway`]: the model API on loopback, where a placeholder key becomes
  the real one on its way out, so the agent's own credential never enters
  the sandbox.
*/

pub mod broker;
pub mod fetch;
pub mod gateway;
pub mod operation;
pub mod redact;
pub mod snapshot;

pub use fetch::fetch;
pub use redact::{RedactingWriter, Redactor};
