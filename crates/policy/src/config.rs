//! The policy file format, as written (see default.toml for the commented reference).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::decision::Verdict;

/// "interactive" asks the human; "strict" turns every ask into a deny.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Interactive,
    Strict,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawFiles {
    #[serde(default)]
    pub read: Vec<String>,
    #[serde(default)]
    pub write: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default)]
    pub protect: Vec<String>,
    /// Paths whose writes ask a human: configuration the host's tools run later.
    #[serde(default)]
    pub ask: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRules {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub ask: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawNetwork {
    pub default: Option<Verdict>,
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub ask: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEnv {
    pub visible_prefix: Option<String>,
    #[serde(default)]
    pub secret: Vec<String>,
}

/// What the hook does when the content an agent writes (or an install
/// command) has a finding: `warn` lets it through and tells the human,
/// `ask` asks the human, `deny` refuses. The strictest layer wins.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Deserialize,
    serde::Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum OnFinding {
    Warn,
    Ask,
    Deny,
}

impl OnFinding {
    pub fn as_str(self) -> &'static str {
        match self {
            OnFinding::Warn => "warn",
            OnFinding::Ask => "ask",
            OnFinding::Deny => "deny",
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawScan {
    pub on_secret: Option<OnFinding>,
    pub on_insecure_code: Option<OnFinding>,
    pub on_risky_dependency: Option<OnFinding>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    #[serde(default)]
    pub agent_types: Vec<String>,
    pub default: Option<Verdict>,
    #[serde(default)]
    pub files: RawFiles,
    #[serde(default)]
    pub commands: RawRules,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub tools: RawRules,
}

/// `[extend]`: how a file relates to the built-in default policy.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawExtend {
    /// true (the default): the built-in default policy applies too, and
    /// this file adds to it. false in a project file: the default's allow
    /// rules no longer apply (only what this file allows is allowed), but
    /// its asks and denies still bound the file. false in the managed or
    /// user policy: the built-in default is not applied at all; that policy
    /// is the base a project narrows.
    pub use_default: Option<bool>,
}

/// A policy file as parsed.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPolicy {
    pub default: Option<Verdict>,
    pub mode: Option<Mode>,
    pub import_claude: Option<bool>,
    #[serde(default)]
    pub extend: RawExtend,
    #[serde(default)]
    pub files: RawFiles,
    #[serde(default)]
    pub commands: RawRules,
    #[serde(default)]
    pub network: RawNetwork,
    #[serde(default)]
    pub tools: RawRules,
    #[serde(default)]
    pub env: RawEnv,
    #[serde(default)]
    pub scan: RawScan,
    #[serde(default)]
    pub audit: crate::settings::RawAudit,
    #[serde(default)]
    pub monitor: crate::settings::RawMonitor,
    #[serde(default)]
    pub undo: crate::settings::RawUndo,
    #[serde(default)]
    pub profiles: BTreeMap<String, RawProfile>,
    #[serde(default)]
    pub secrets: BTreeMap<String, crate::secrets::RawSecret>,
}

/// The JSON Schema of a policy file (`.ztguard.toml` and the managed and
/// user policies), derived from the types it is parsed into: editors and
/// taplo use it to complete and check the file.
pub fn schema() -> serde_json::Value {
    let s = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<RawPolicy>();
    let mut v = s.to_value();
    drop_null(&mut v);
    if let Some(o) = v.as_object_mut() {
        o.insert("title".into(), "ztguard policy".into());
    }
    v
}

/// TOML has no null: an unset key is left out, so the `null` that an
/// `Option` adds to a type is dropped.
fn drop_null(v: &mut serde_json::Value) {
    use serde_json::Value;
    if let Some(o) = v.as_object_mut() {
        if let Some(Value::Array(types)) = o.get_mut("type") {
            types.retain(|t| t != "null");
            if types.len() == 1 {
                let only = types.remove(0);
                o.insert("type".into(), only);
            }
        }
        if let Some(Value::Array(any)) = o.get_mut("anyOf") {
            any.retain(|t| t.get("type").is_none_or(|x| x != "null"));
            if any.len() == 1 {
                let only = any.remove(0);
                o.remove("anyOf");
                if let Value::Object(inner) = only {
                    o.extend(inner);
                }
            }
        }
    }
    match v {
        Value::Object(o) => o.values_mut().for_each(drop_null),
        Value::Array(a) => a.iter_mut().for_each(drop_null),
        _ => {}
    }
}
