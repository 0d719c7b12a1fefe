/*!
ztguard's core: the pipeline every tool call goes through, whichever front
end asks — the agent's hook, `ztguard check` (a dry run: the same decision,
no side effects), the `ztguard exec` broker and the demo.

An adapter turns the agent's call into a [`ToolCall`] (an agent-neutral
[`ztguard_policy::Action`] and the fields it wants recorded); a [`Guard`],
opened once per project with the process's [`Env`], runs the seven steps of
[`pipeline`] and returns an [`Outcome`], which the adapter renders for the
agent. Nothing here knows which agent is calling, and nothing prints:
every failure is a typed [`Error`], and fails closed.
*/

pub mod alert;
pub mod approver;
mod env;
mod error;
pub mod pipeline;
pub mod provenance;
pub mod redact;
pub mod review;
mod session;
pub mod trail;
pub mod undo;

pub use approver::{Approver, NoHuman};
pub use env::{Env, Places, project_root};
pub use error::Error;
pub use pipeline::{Guard, Guards, Mode, Origin, Outcome, ToolCall};
pub use trail::Kind;
