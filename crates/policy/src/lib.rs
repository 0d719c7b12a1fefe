/*!
ztguard's policy and the engine that applies it.

A [`Policy`] is a stack of [`Layer`]s: the built-in protections (always on),
the managed policy (`/etc/ztguard/policy.toml`), the user's
(`~/.config/ztguard/policy.toml`), and the project's (`.ztguard.toml`, or the
built-in default when there is none) with Claude Code's own permission rules
merged in, plus at most one profile. Every layer gives its opinion on every
check of an action — a matching rule, else the layer's `default` — and the
strictest opinion wins, so a later layer can only narrow what an earlier one
allows, and any deny wins.

[`Policy::evaluate`] is a pure function of the policy, the [`Request`] and the
file system it looks at: it analyzes a shell command into simple commands and
their effects (via `ztguard-shell`), resolves every path (via
`ztguard-paths`), and returns a [`Decision`] with the trace of rules that
produced it.
*/

mod action;
mod claude;
mod command;
mod config;
mod decision;
mod engine;
pub mod fixtures;
mod layer;
pub mod lint;
mod load;
mod redact;
mod secrets;
mod settings;

pub use action::{Action, Request, TextEdit};
pub use claude::{ClaudeRule, parse_claude_rule};
pub use command::CommandPattern;
pub use config::{Mode, OnFinding, RawPolicy, schema};
pub use decision::{Check, Decision, Step, Verdict};
pub use layer::{Layer, Role, RuleView};
pub use load::{
    LoadOptions, Policy, PolicyError, ScanSettings, Source, default_policy_toml, protections_toml,
};
pub use redact::redact;
pub use secrets::{RawSecret, Secret, SecretSource};
pub use settings::{AuditSettings, Checkpoints, MonitorSettings, UndoSettings};
