//! Finding, parsing and stacking the policy files.

use std::path::{Path, PathBuf};

use crate::claude::{ClaudeRule, parse_claude_rule, permission_lists};
use crate::config::{OnFinding, RawFiles, RawNetwork, RawPolicy, RawRules, RawScan};
use crate::layer::{Layer, Role};
use crate::settings::{AuditSettings, MonitorSettings, Seen, UndoSettings};

const PROTECTIONS: &str = include_str!("../policies/protections.toml");
const DEFAULT: &str = include_str!("../policies/default.toml");
// The same two files as JSON (see build.rs): what the hook actually parses.
const PROTECTIONS_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/protections.json"));
const DEFAULT_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/default.json"));

/// The built-in protections, as TOML.
pub fn protections_toml() -> &'static str {
    PROTECTIONS
}

/// The built-in default policy, as TOML (what `ztguard init` starts from).
pub fn default_policy_toml() -> &'static str {
    DEFAULT
}

/// Where to look for the layers.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    pub project: PathBuf,
    pub home: PathBuf,
    /// The managed policy (normally `/etc/ztguard/policy.toml`).
    pub managed: PathBuf,
    /// The user policy (normally `~/.config/ztguard/policy.toml`).
    pub user: PathBuf,
    /// A profile forced for every call (`--profile`, `ZTGUARD_PROFILE`).
    pub profile: Option<String>,
    /// Turn every ask into a deny.
    pub strict: bool,
}

/// The store of trusted project policies, in the directory of the user policy.
pub const TRUSTED_FILE_NAME: &str = "trusted-policies.json";

impl LoadOptions {
    /// The approved public fixtures: `fixtures.json` next to the user policy.
    pub fn fixtures_file(&self) -> PathBuf {
        self.user.with_file_name(crate::fixtures::FILE_NAME)
    }

    /// Project policies a human trusted (`ztguard policy trust`), each bound
    /// to its path and content: `trusted-policies.json` next to the user policy.
    pub fn trusted_file(&self) -> PathBuf {
        self.user.with_file_name(TRUSTED_FILE_NAME)
    }

    /// The standard locations for a project and home directory.
    pub fn new(project: impl Into<PathBuf>, home: impl Into<PathBuf>) -> LoadOptions {
        let home = home.into();
        LoadOptions {
            project: project.into(),
            user: home.join(".config/ztguard/policy.toml"),
            home,
            managed: PathBuf::from("/etc/ztguard/policy.toml"),
            profile: None,
            strict: false,
        }
    }
}

/// Why a policy did not load. The hook turns any of these into a deny.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyError {
    Read {
        path: PathBuf,
        message: String,
    },
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    Invalid {
        path: PathBuf,
        message: String,
    },
    UnknownProfile {
        name: String,
        known: Vec<String>,
    },
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PolicyError::Read { path, message } => {
                write!(f, "cannot read {}: {message}", path.display())
            }
            PolicyError::Parse {
                path,
                line,
                column,
                message,
            } => {
                write!(f, "{}:{line}:{column}: {message}", path.display())
            }
            PolicyError::Invalid { path, message } => write!(f, "{}: {message}", path.display()),
            PolicyError::UnknownProfile { name, known } => {
                write!(
                    f,
                    "unknown profile `{name}` (known: {})",
                    if known.is_empty() {
                        "none".into()
                    } else {
                        known.join(", ")
                    }
                )
            }
        }
    }
}

impl std::error::Error for PolicyError {}

/// A named profile: the layers that define it, and the subagent types that select it.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: String,
    pub agent_types: Vec<String>,
    pub layers: Vec<Layer>,
}

/// The whole stack of layers.
#[derive(Clone, Debug)]
pub struct Policy {
    pub layers: Vec<Layer>,
    /// What to do with findings in written content and install commands.
    pub scan: ScanSettings,
    /// What the hook records and whom it alerts.
    pub audit: AuditSettings,
    /// The anomaly monitor's thresholds.
    pub monitor: MonitorSettings,
    /// Which calls take a checkpoint for `ztguard undo`.
    pub undo: UndoSettings,
    pub profiles: Vec<Profile>,
    /// `[secrets.NAME]` from the managed and user policies.
    pub secrets: Vec<crate::secrets::Secret>,
    pub forced_profile: Option<String>,
    pub strict: bool,
    /// The files that were read, in layer order, for `policy show` and traces.
    pub sources: Vec<String>,
    /// The same, with each one's file and role.
    pub source_info: Vec<Source>,
    /// Public test fixtures a human approved (next to the user policy).
    pub fixtures: crate::fixtures::Fixtures,
    /// The directory of the user policy (and of the approved fixtures),
    /// wherever `XDG_CONFIG_HOME` puts it: never writable by the agent.
    pub user_dir: Option<PathBuf>,
}

/// The `[scan]` settings after every layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ScanSettings {
    pub on_secret: OnFinding,
    pub on_insecure_code: OnFinding,
    pub on_risky_dependency: OnFinding,
}

impl Default for ScanSettings {
    /// Secrets are refused; insecure code and risky dependencies are asked.
    fn default() -> Self {
        ScanSettings {
            on_secret: OnFinding::Deny,
            on_insecure_code: OnFinding::Ask,
            on_risky_dependency: OnFinding::Ask,
        }
    }
}

impl ScanSettings {
    /// Apply one layer. The first layer that sets a value replaces the
    /// built-in default (code and dependency findings are judgment calls a
    /// team may relax); every later layer can only make it stricter, so a
    /// project cannot loosen a managed policy. Secrets stay at least `ask`:
    /// no policy lets credentials be written silently.
    fn apply(&mut self, raw: &RawScan, set: &mut [bool; 3]) {
        let fields = [
            (&mut self.on_secret, raw.on_secret),
            (&mut self.on_insecure_code, raw.on_insecure_code),
            (&mut self.on_risky_dependency, raw.on_risky_dependency),
        ];
        for (i, (slot, value)) in fields.into_iter().enumerate() {
            let Some(v) = value else { continue };
            *slot = if set[i] { (*slot).max(v) } else { v };
            set[i] = true;
        }
        self.on_secret = self.on_secret.max(OnFinding::Ask);
    }
}

/// 1-based line and column of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Parse policy text; errors carry line and column.
pub(crate) fn parse_text(path: &Path, text: &str) -> Result<RawPolicy, PolicyError> {
    toml::from_str::<RawPolicy>(text).map_err(|e| {
        let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
        PolicyError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })
}

/// Compile a built-in layer from its build-time JSON form.
fn builtin_layer(name: &str, json: &str) -> Result<(Layer, RawPolicy), PolicyError> {
    let invalid = |message: String| PolicyError::Invalid {
        path: PathBuf::from(format!("<{name}>")),
        message,
    };
    let raw: RawPolicy = serde_json::from_str(json).map_err(|e| invalid(e.to_string()))?;
    let layer = Layer::from_raw(name, &raw).map_err(invalid)?;
    Ok((layer, raw))
}

/// Parse and compile one layer from text.
pub(crate) fn layer_from_text(
    path: &Path,
    name: &str,
    text: &str,
) -> Result<(Layer, RawPolicy), PolicyError> {
    let raw = parse_text(path, text)?;
    let layer = Layer::from_raw(name, &raw).map_err(|message| locate(path, text, message))?;
    Ok((layer, raw))
}

/// Point a validation message at the first line that mentions the offending value.
fn locate(path: &Path, text: &str, message: String) -> PolicyError {
    let needle = message.split('`').nth(1).map(str::to_string);
    if let Some(n) = needle
        && let Some(pos) = text.find(&format!("\"{n}\""))
    {
        let (line, column) = line_col(text, pos);
        return PolicyError::Parse {
            path: path.to_path_buf(),
            line,
            column: column + 1,
            message,
        };
    }
    PolicyError::Invalid {
        path: path.to_path_buf(),
        message,
    }
}

/// Point a message about `section.key` at the line that sets it.
pub(crate) fn locate_key(path: &Path, text: &str, message: String) -> PolicyError {
    let key = message.split(':').next().unwrap_or_default().to_string();
    match crate::lint::key_position(text, &key) {
        Some((line, column)) => PolicyError::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message,
        },
        None => PolicyError::Invalid {
            path: path.to_path_buf(),
            message,
        },
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, PolicyError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(PolicyError::Read {
            path: path.to_path_buf(),
            message: e.to_string(),
        }),
    }
}

/// Keys a project file may not set at all, with the reason: each would let a
/// cloned repository act on the machine (run a command, send data away,
/// hand out a credential), which no narrowing rule can express.
fn project_forbidden(raw: &RawPolicy, user: &Path) -> Option<String> {
    if let Some(name) = raw.secrets.keys().next() {
        return Some(format!(
            "secrets.{name}: secrets can be defined only in the user policy ({}) or the managed one: a project's policy travels with the repository, and one that could name any file as a source could hand the agent every credential on the machine",
            user.display()
        ));
    }
    for (key, set) in [
        ("audit.alert_command", raw.audit.alert_command.is_some()),
        ("audit.alert_url", raw.audit.alert_url.is_some()),
    ] {
        if set {
            return Some(format!(
                "{key}: alert targets can be set only in the user policy ({}) or the managed one: a project's policy travels with the repository, and one that could name a command or a URL would run that command or send the audit record away on every denial",
                user.display()
            ));
        }
    }
    None
}

/// Where a layer's text came from, for `policy show` and `policy lint`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Source {
    /// "built-in protections", "user policy ~/.config/ztguard/policy.toml", …
    pub name: String,
    /// The file read, when there is one.
    pub path: Option<PathBuf>,
    /// How far its opinions reach.
    pub role: crate::layer::Role,
}

impl Policy {
    /// Load every layer. Any error in any existing file is an error: the
    /// caller must fail closed rather than run with part of the policy.
    ///
    /// The stack: the built-in protections, the managed and user policies
    /// and the user's own Claude Code settings (trusted), the built-in
    /// default (unless a trusted layer opts out of it), then the project's
    /// `.ztguard.toml` with the project's Claude Code settings, which can
    /// only narrow (see [`crate::Role`]).
    pub fn load(opts: &LoadOptions) -> Result<Policy, PolicyError> {
        let mut layers = Vec::new();
        let mut raws: Vec<(String, RawPolicy)> = Vec::new();
        let mut sources = vec!["built-in protections".to_string()];
        let mut source_info = vec![Source {
            name: "built-in protections".into(),
            path: None,
            role: Role::Base,
        }];
        let mut secrets: Vec<crate::secrets::Secret> = Vec::new();
        let (protect, _) = builtin_layer("built-in protections", PROTECTIONS_JSON)?;
        layers.push(protect);

        for (path, name) in [
            (&opts.managed, "managed policy"),
            (&opts.user, "user policy"),
        ] {
            if let Some(text) = read_optional(path)? {
                let label = format!("{name} {}", path.display());
                let (mut layer, raw) = layer_from_text(path, &label, &text)?;
                for (secret_name, r) in &raw.secrets {
                    let secret = crate::secrets::compile(secret_name, r, &opts.home, &label)
                        .and_then(|s| {
                            crate::secrets::guard_source(&mut layer, &s)?;
                            Ok(s)
                        })
                        .map_err(|message| locate(path, &text, message))?;
                    if let Some(first) = secrets
                        .iter()
                        .find(|s: &&crate::secrets::Secret| s.name == secret.name)
                    {
                        return Err(PolicyError::Invalid {
                            path: path.to_path_buf(),
                            message: format!(
                                "secrets.{secret_name} is already defined in {}",
                                first.defined_in
                            ),
                        });
                    }
                    secrets.push(secret);
                }
                sources.push(label.clone());
                source_info.push(Source {
                    name: label.clone(),
                    path: Some(path.to_path_buf()),
                    role: Role::Base,
                });
                layer.edits_default = true;
                raws.push((label, raw));
                layers.push(layer);
            }
        }
        let trusted = raws.len();
        // Trusted choices the project cannot undo.
        let trusted_use_default = !raws
            .iter()
            .any(|(_, r)| r.extend.use_default == Some(false));
        let trusted_import = !raws.iter().any(|(_, r)| r.import_claude == Some(false));

        let project_file = opts.project.join(".ztguard.toml");
        let project = match read_optional(&project_file)? {
            Some(text) => {
                let name = "project policy .ztguard.toml";
                let (mut layer, raw) = layer_from_text(&project_file, name, &text)?;
                if let Some(message) = project_forbidden(&raw, &opts.user) {
                    return Err(locate_key(&project_file, &text, message));
                }
                // A project file is untrusted (it comes with the repository)
                // unless a human trusted exactly this content: then its rules
                // count as the user's own. Its settings still only tighten.
                let real = project_file
                    .canonicalize()
                    .unwrap_or_else(|_| project_file.clone());
                let trusted = crate::fixtures::Fixtures::load(&opts.trusted_file())?;
                layer.role = if trusted.approves(&real) {
                    layer.name = format!("{name} (trusted by you)");
                    // Like the user's own policy, its rules edit the default's opinions.
                    layer.edits_default = true;
                    Role::Base
                } else {
                    Role::Narrowing
                };
                Some((layer, raw))
            }
            None => None,
        };
        let project_use_default = project
            .as_ref()
            .is_none_or(|(_, r)| r.extend.use_default != Some(false));

        if trusted_import {
            let path = opts.home.join(".claude/settings.json");
            let mut layer = Layer {
                name: "Claude Code user settings".into(),
                edits_default: true,
                ..Layer::default()
            };
            if import_claude(&mut layer, &path, true, &opts.home)? {
                let shown = ztguard_paths::display(&path, &opts.project, &opts.home);
                sources.push(format!("Claude Code permissions {shown}"));
                source_info.push(Source {
                    name: layer.name.clone(),
                    path: Some(path),
                    role: Role::Base,
                });
                layers.push(layer);
            }
        }
        let mut default_raw = None;
        if trusted_use_default {
            let (mut layer, raw) = builtin_layer("built-in default policy", DEFAULT_JSON)?;
            let (role, note) = if project_use_default {
                (Role::Base, "")
            } else {
                (
                    Role::Ceiling,
                    " (a ceiling only: .ztguard.toml sets use_default = false)",
                )
            };
            layer.role = role;
            layer.builtin_default = true;
            sources.push(format!("built-in default policy{note}"));
            source_info.push(Source {
                name: layer.name.clone(),
                path: None,
                role,
            });
            layers.push(layer);
            default_raw = Some(raw);
        }

        // The project's layer: its file, and the project's Claude Code
        // settings (they travel with the repository too).
        let project_import = trusted_import
            && project
                .as_ref()
                .map(|(_, r)| r.import_claude.unwrap_or(true))
                .unwrap_or(true);
        let trusted_project = project.as_ref().is_some_and(|(l, _)| l.role == Role::Base);
        let (mut project_layer, project_raw) = match project {
            // A trusted file is a layer of its own: the project's Claude Code
            // settings imported below stay untrusted.
            Some((l, r)) if l.role == Role::Base => {
                sources.push("project policy .ztguard.toml (trusted by you)".into());
                source_info.push(Source {
                    name: l.name.clone(),
                    path: Some(project_file.clone()),
                    role: Role::Base,
                });
                layers.push(l);
                (
                    Layer {
                        name: "project Claude Code settings".into(),
                        role: Role::Narrowing,
                        ..Layer::default()
                    },
                    Some(r),
                )
            }
            Some((l, r)) => {
                sources.push("project policy .ztguard.toml".into());
                source_info.push(Source {
                    name: l.name.clone(),
                    path: Some(project_file.clone()),
                    role: Role::Narrowing,
                });
                (l, Some(r))
            }
            None => (
                Layer {
                    name: "project Claude Code settings".into(),
                    role: Role::Narrowing,
                    ..Layer::default()
                },
                None,
            ),
        };
        let mut imported = false;
        if project_import {
            for path in [
                opts.project.join(".claude/settings.json"),
                opts.project.join(".claude/settings.local.json"),
            ] {
                if import_claude(&mut project_layer, &path, false, &opts.home)? {
                    imported = true;
                    let shown = ztguard_paths::display(&path, &opts.project, &opts.home);
                    sources.push(format!("Claude Code permissions {shown}"));
                    source_info.push(Source {
                        name: project_layer.name.clone(),
                        path: Some(path),
                        role: Role::Narrowing,
                    });
                }
            }
        }
        if (project_raw.is_some() && !trusted_project) || imported {
            layers.push(project_layer);
        }
        if let Some(raw) = default_raw {
            raws.push(("built-in default policy".into(), raw));
        }
        let project_at = raws.len();
        if let Some(raw) = project_raw {
            raws.push(("project policy .ztguard.toml".into(), raw));
        }

        let mut profiles: Vec<Profile> = Vec::new();
        for (label, raw) in &raws {
            for (name, p) in &raw.profiles {
                let mut layer =
                    Layer::from_profile(name, p).map_err(|message| PolicyError::Invalid {
                        path: PathBuf::from(label),
                        message: format!("profile {name}: {message}"),
                    })?;
                layer.role = Role::Narrowing;
                match profiles.iter_mut().find(|x| &x.name == name) {
                    Some(existing) => {
                        existing.agent_types.extend(p.agent_types.iter().cloned());
                        existing.layers.push(layer);
                    }
                    None => profiles.push(Profile {
                        name: name.clone(),
                        agent_types: p.agent_types.clone(),
                        layers: vec![layer],
                    }),
                }
            }
        }
        if let Some(name) = &opts.profile
            && !profiles.iter().any(|p| &p.name == name)
        {
            return Err(PolicyError::UnknownProfile {
                name: name.clone(),
                known: profiles.iter().map(|p| p.name.clone()).collect(),
            });
        }
        let strict = opts.strict || layers.iter().any(|l| l.strict);
        let mut scan = ScanSettings::default();
        let mut set = [false; 3];
        let mut audit = AuditSettings::default();
        let mut monitor = MonitorSettings::default();
        let mut undo = UndoSettings::default();
        let mut seen = Seen::default();
        for (i, (label, raw)) in raws.iter().enumerate() {
            let bad = |message: String| PolicyError::Invalid {
                path: PathBuf::from(label),
                message,
            };
            raw.audit.check().map_err(bad)?;
            raw.monitor.check().map_err(bad)?;
            // The built-in default's values are the starting ones; the
            // trusted layers set them (the first replaces, later ones
            // tighten), and the project can only tighten.
            if i >= trusted && i < project_at {
                continue;
            }
            if i >= project_at {
                set = [true; 3];
                seen.narrow_only();
            }
            scan.apply(&raw.scan, &mut set);
            audit.apply(&raw.audit, &mut seen);
            monitor.apply(&raw.monitor, &mut seen);
            undo.apply(&raw.undo, &mut seen);
        }
        Ok(Policy {
            scan,
            audit,
            monitor,
            undo,
            layers,
            profiles,
            secrets,
            forced_profile: opts.profile.clone(),
            strict,
            sources,
            source_info,
            fixtures: crate::fixtures::Fixtures::load(&opts.fixtures_file())?,
            // Only a directory of its own (`…/ztguard/policy.toml`).
            user_dir: opts
                .user
                .parent()
                .filter(|d| d.file_name().is_some_and(|n| n == "ztguard"))
                .map(Path::to_path_buf),
        })
    }

    /// The layers that apply to a call from `agent_type`: every layer, and
    /// the forced profile or every profile that lists the agent type (each
    /// only narrows, so one profile cannot hide another).
    pub fn active_layers(&self, agent_type: Option<&str>) -> (Vec<&Layer>, Option<String>) {
        let mut out: Vec<&Layer> = self.layers.iter().collect();
        let chosen: Vec<&Profile> = match &self.forced_profile {
            Some(name) => self.profiles.iter().filter(|p| &p.name == name).collect(),
            None => match agent_type {
                Some(t) => self
                    .profiles
                    .iter()
                    .filter(|p| p.agent_types.iter().any(|a| a == t))
                    .collect(),
                None => Vec::new(),
            },
        };
        for p in &chosen {
            out.extend(p.layers.iter());
        }
        let names = (!chosen.is_empty()).then(|| {
            chosen
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("`, `")
        });
        (out, names)
    }
}

/// Merge a Claude Code settings file's permission rules into `layer`.
fn import_claude(
    layer: &mut Layer,
    path: &Path,
    user_scope: bool,
    home: &Path,
) -> Result<bool, PolicyError> {
    let Some(text) = read_optional(path)? else {
        return Ok(false);
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| PolicyError::Parse {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: format!("invalid JSON: {e}"),
    })?;
    let origin = if user_scope {
        format!("~/{}", path.strip_prefix(home).unwrap_or(path).display())
    } else {
        format!(
            ".claude/{}",
            path.file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default()
        )
    };
    let (allow, ask, deny) = permission_lists(&json);
    let mut files = RawFiles::default();
    let mut commands = RawRules::default();
    let mut tools = RawRules::default();
    let mut net = RawNetwork::default();
    for (rules, kind) in [(&allow, 0), (&ask, 1), (&deny, 2)] {
        for r in rules {
            match (parse_claude_rule(r, user_scope), kind) {
                (ClaudeRule::Tool(t), 0) => tools.allow.push(t),
                (ClaudeRule::Tool(t), 1) => tools.ask.push(t),
                (ClaudeRule::Tool(t), _) => tools.deny.push(t),
                (ClaudeRule::Command(c), 0) => commands.allow.push(c),
                (ClaudeRule::Command(c), 1) => commands.ask.push(c),
                (ClaudeRule::Command(c), _) => commands.deny.push(c),
                (ClaudeRule::Read(p), 0) => files.read.push(p),
                (ClaudeRule::Read(p), 2) => files.deny.push(p),
                (ClaudeRule::Edit(p), 0) => files.write.push(p),
                (ClaudeRule::Edit(p), 2) => files.protect.push(p),
                (ClaudeRule::Domain(d), 0) => net.allow.push(d),
                (ClaudeRule::Domain(d), 2) => net.deny.push(d),
                // Read/Edit/WebFetch "ask" and parameter rules have no ztguard equivalent;
                // Claude Code still applies them itself.
                _ => {}
            }
        }
    }
    layer
        .add_sections(&files, &commands, &tools, &net, Some(&origin))
        .map_err(|m| PolicyError::Invalid {
            path: path.to_path_buf(),
            message: m,
        })?;
    Ok(!(allow.is_empty() && ask.is_empty() && deny.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JSON the hook loads says exactly what the TOML people read says.
    #[test]
    fn builtin_json_matches_the_toml() {
        for (toml_text, json) in [(PROTECTIONS, PROTECTIONS_JSON), (DEFAULT, DEFAULT_JSON)] {
            let a = format!(
                "{:?}",
                parse_text(Path::new("x"), toml_text).expect("toml parses")
            );
            let b = format!(
                "{:?}",
                serde_json::from_str::<RawPolicy>(json).expect("json parses")
            );
            assert_eq!(a, b);
        }
    }
}
