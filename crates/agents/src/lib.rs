/*!
Agent adapters: translate an agent's hook protocol into ztguard's
agent-neutral [`ztguard_policy::Action`], and a [`ztguard_policy::Decision`]
back into what that agent understands. Nothing below this crate knows which
agent is calling.

Claude Code is the first adapter ([`claude`]); [`claude::answer`] answers
its hook events through the core's pipeline (`ztguard-core`).
*/

pub mod claude;
