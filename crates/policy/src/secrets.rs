//! `[secrets.NAME]`: credentials the agent may *use* but never *see*.
//!
//! Each entry names where the value comes from (a file, a command such as a
//! password manager's CLI, or a variable of the parent environment), the
//! variable it becomes, and the operations allowed to receive it. `ztguard
//! run NAME -- CMD` fetches the value, starts CMD with it and redacts it from
//! the output; the agent only ever holds the name.
//!
//! Only the managed and user policies may define secrets. A project's
//! `.ztguard.toml` travels with the repository: a cloned project that could
//! name `~/.ssh/id_rsa` as a source and approve `curl` as its operation would
//! hand the agent any credential on the machine.
//!
//! Defining a secret also tightens its own layer, so the hook holds the same
//! line: the source file becomes a denied path, the source command a denied
//! command, the source variable a secret variable.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::command::CommandPattern;
use crate::config::RawFiles;
use crate::layer::Layer;

/// A `[secrets.NAME]` table as written.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSecret {
    /// A file holding the value (trailing newline dropped); `~/` is the home.
    pub from_file: Option<String>,
    /// A command (argv) that prints the value, e.g. `["pass", "show", "deploy"]`.
    pub from_command: Option<Vec<String>>,
    /// A variable of the environment `ztguard` itself was started with.
    pub from_env: Option<String>,
    /// The variable the operation receives it in (default: NAME in upper case).
    pub env: Option<String>,
    /// Command patterns of the operations allowed to receive it.
    #[serde(default)]
    pub allow: Vec<String>,
    /// The operation `ztguard run NAME` starts when given no command
    /// (argv); it may receive the secret without an `allow` entry.
    pub command: Option<Vec<String>>,
}

/// Where a secret's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SecretSource {
    File(PathBuf),
    Command(Vec<String>),
    Env(String),
}

impl std::fmt::Display for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretSource::File(p) => write!(f, "file {}", p.display()),
            SecretSource::Command(argv) => write!(f, "command `{}`", argv.join(" ")),
            SecretSource::Env(v) => write!(f, "variable ${v}"),
        }
    }
}

/// One secret after validation.
#[derive(Clone, Debug)]
pub struct Secret {
    pub name: String,
    pub source: SecretSource,
    /// The variable the operation receives.
    pub env: String,
    /// The operations allowed to receive it.
    pub allow: Vec<CommandPattern>,
    /// The configured operation (`ztguard run NAME` with no command).
    pub command: Option<Vec<String>>,
    /// The policy file that defined it.
    pub defined_in: String,
}

impl crate::load::Policy {
    /// The `[secrets.NAME]` entry of this name.
    pub fn secret(&self, name: &str) -> Option<&Secret> {
        self.secrets.iter().find(|s| s.name == name)
    }
}

impl Secret {
    /// The operations that may receive it, as written (for messages).
    pub fn operations(&self) -> Vec<String> {
        let mut out: Vec<String> = self.allow.iter().map(|p| p.source.clone()).collect();
        out.extend(self.command.as_ref().map(|c| c.join(" ")));
        out
    }

    /// Is `argv` one of the operations allowed to receive this secret?
    pub fn allows(&self, argv: &[&str]) -> bool {
        self.command
            .as_ref()
            .is_some_and(|c| c.iter().map(String::as_str).eq(argv.iter().copied()))
            || self.allow.iter().any(|p| p.matches(argv))
    }
}

fn is_var_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Validate one `[secrets.NAME]` entry.
pub(crate) fn compile(
    name: &str,
    raw: &RawSecret,
    home: &Path,
    defined_in: &str,
) -> Result<Secret, String> {
    let at = format!("secrets.{name}");
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "{at}: a secret's name may use letters, digits, `_` and `-` only"
        ));
    }
    let sources = [
        raw.from_file.is_some(),
        raw.from_command.is_some(),
        raw.from_env.is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err(format!(
            "{at}: give exactly one of from_file, from_command and from_env"
        ));
    }
    let source = if let Some(f) = &raw.from_file {
        let path = match f.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => PathBuf::from(f),
        };
        if !path.is_absolute() {
            return Err(format!(
                "{at}: from_file `{f}` must be absolute or start with ~/ (a path inside the project would be in the agent's reach)"
            ));
        }
        SecretSource::File(path)
    } else if let Some(argv) = &raw.from_command {
        if argv.first().is_none_or(|p| p.trim().is_empty()) {
            return Err(format!("{at}: from_command needs a program"));
        }
        SecretSource::Command(argv.clone())
    } else {
        let v = raw.from_env.clone().unwrap_or_default();
        if !is_var_name(&v) {
            return Err(format!("{at}: from_env `{v}` is not a variable name"));
        }
        SecretSource::Env(v)
    };
    let env = raw
        .env
        .clone()
        .unwrap_or_else(|| name.to_ascii_uppercase().replace('-', "_"));
    if !is_var_name(&env) {
        return Err(format!("{at}: env `{env}` is not a variable name"));
    }
    if raw
        .command
        .as_ref()
        .is_some_and(|c| c.first().is_none_or(|p| p.trim().is_empty()))
    {
        return Err(format!("{at}: command needs a program"));
    }
    if raw.allow.is_empty() && raw.command.is_none() {
        return Err(format!(
            "{at}: neither allow nor command names an operation, so nothing could receive it (e.g. allow = [\"./scripts/deploy.sh *\"])"
        ));
    }
    let mut allow = Vec::new();
    for p in &raw.allow {
        let pattern = CommandPattern::parse(p).map_err(|e| format!("{at}.allow: {e}"))?;
        if pattern.is_catch_all() {
            return Err(format!(
                "{at}.allow: `{p}` would hand the secret to any command"
            ));
        }
        allow.push(pattern);
    }
    Ok(Secret {
        name: name.to_string(),
        source,
        env,
        allow,
        command: raw.command.clone(),
        defined_in: defined_in.to_string(),
    })
}

/// Tighten the defining layer so the agent cannot reach the source itself.
pub(crate) fn guard_source(layer: &mut Layer, secret: &Secret) -> Result<(), String> {
    match &secret.source {
        SecretSource::File(p) => {
            let files = RawFiles {
                deny: vec![p.to_string_lossy().into_owned()],
                ..Default::default()
            };
            layer.add_files(&files, Some(&format!("secrets.{}", secret.name)))
        }
        SecretSource::Command(argv) => {
            let rules = crate::config::RawRules {
                deny: vec![format!("{} *", argv.join(" "))],
                ..Default::default()
            };
            layer.add_commands(&rules, Some(&format!("secrets.{}", secret.name)))
        }
        SecretSource::Env(v) => {
            layer.secret_vars.push(v.to_ascii_uppercase());
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(toml_text: &str) -> RawSecret {
        toml::from_str(toml_text).expect("parses")
    }

    #[test]
    fn an_entry_needs_one_source_an_operation_and_valid_names() {
        let home = Path::new("/home/u");
        let ok = compile(
            "deploy",
            &raw("from_file = \"~/.config/deploy/token\"\nallow = [\"./deploy.sh *\"]"),
            home,
            "user",
        )
        .expect("valid");
        assert_eq!(
            ok.source,
            SecretSource::File("/home/u/.config/deploy/token".into())
        );
        assert_eq!(ok.env, "DEPLOY");
        assert!(ok.allows(&["./deploy.sh", "--prod"]));
        assert!(!ok.allows(&["curl", "evil.example"]));
        for (bad, why) in [
            ("allow = [\"x\"]", "exactly one"),
            (
                "from_env = \"A\"\nfrom_file = \"/x\"\nallow = [\"x\"]",
                "exactly one",
            ),
            ("from_file = \"token\"\nallow = [\"x\"]", "absolute"),
            ("from_env = \"A-B\"\nallow = [\"x\"]", "not a variable"),
            ("from_env = \"A\"", "neither allow nor command"),
            ("from_env = \"A\"\ncommand = []", "command needs a program"),
            ("from_env = \"A\"\nallow = [\"*\"]", "any command"),
            (
                "from_env = \"A\"\nenv = \"1X\"\nallow = [\"x\"]",
                "env `1X`",
            ),
            ("from_command = []\nallow = [\"x\"]", "needs a program"),
        ] {
            let e = compile("deploy", &raw(bad), home, "user").expect_err(bad);
            assert!(e.contains(why), "{bad}: {e}");
        }
        let configured = compile(
            "deploy",
            &raw("from_env = \"A\"\ncommand = [\"./deploy.sh\", \"--prod\"]"),
            home,
            "user",
        )
        .expect("a configured command is enough");
        assert!(configured.allows(&["./deploy.sh", "--prod"]));
        assert!(!configured.allows(&["./deploy.sh", "--prod", "--debug"]));
        let e = compile("a b", &raw("from_env = \"A\"\nallow = [\"x\"]"), home, "u")
            .expect_err("bad name");
        assert!(e.contains("letters, digits"), "{e}");
    }
}
