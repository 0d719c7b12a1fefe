//! The rule file format: gitleaks' `gitleaks.toml`, so existing
//! configurations keep working. The built-in set is written in the same
//! format (`rules/builtin.toml`).
//!
//! Supported: `title`, `[extend] useDefault / path / disabledRules`,
//! `[[rules]]` with `id`, `description`, `regex`, `secretGroup`, `entropy`,
//! `keywords`, `path`, `tags`, `[[rules.allowlists]]` (and the older
//! `[rules.allowlist]`), and global `[[allowlists]]` (and `[allowlist]`).
//! Ignored with a note: composite rules (`[[rules.required]]`), `skipReport`,
//! allowlists by commit (ztguard scans contents, not commit ranges).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// One allowlist: a finding it matches is not reported.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawAllowlist {
    #[serde(default)]
    pub description: Option<String>,
    /// `OR` (any criterion) or `AND` (all criteria).
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<String>,
    /// `secret` (default), `match` or `line`: what `regexes` test.
    #[serde(default)]
    pub regex_target: Option<String>,
    /// Case-insensitive substrings of the secret.
    #[serde(default)]
    pub stopwords: Vec<String>,
    #[serde(default)]
    pub commits: Vec<String>,
    /// Rule ids a global allowlist applies to (all when empty).
    #[serde(default)]
    pub target_rules: Vec<String>,
}

/// One rule as written.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawRule {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default)]
    pub secret_group: Option<usize>,
    #[serde(default)]
    pub entropy: Option<f64>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub allowlists: Vec<RawAllowlist>,
    #[serde(default)]
    pub allowlist: Option<RawAllowlist>,
    /// ztguard's own: how to fix a finding of this rule.
    #[serde(default)]
    pub fix: Option<String>,
    /// Composite rules: not supported, reported by [`RawConfig::unsupported`].
    #[serde(default)]
    pub required: Option<toml::Value>,
    #[serde(default)]
    pub skip_report: Option<bool>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawExtend {
    #[serde(default)]
    pub use_default: bool,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub disabled_rules: Vec<String>,
}

/// A whole rule file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawConfig {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub min_version: Option<String>,
    #[serde(default)]
    pub extend: Option<RawExtend>,
    #[serde(default)]
    pub rules: Vec<RawRule>,
    #[serde(default)]
    pub allowlist: Option<RawAllowlist>,
    #[serde(default)]
    pub allowlists: Vec<RawAllowlist>,
}

/// A rule file that could not be used.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub message: String,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for ConfigError {}

/// gitleaks chains `[extend] path` at most this deep.
const MAX_EXTEND_DEPTH: usize = 2;

impl RawConfig {
    /// The built-in rule set (converted to JSON at build time). An error
    /// here is a build defect; callers fail closed on it.
    pub fn builtin() -> Result<RawConfig, String> {
        serde_json::from_str(include_str!(concat!(env!("OUT_DIR"), "/builtin.json")))
            .map_err(|e| format!("the built-in rule set does not load: {e}"))
    }

    /// Parse a rule file's text.
    pub fn parse(text: &str) -> Result<RawConfig, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// Read a rule file, following `[extend]` (the built-in set stands in for
    /// gitleaks' default), and merge what it extends under it.
    pub fn load(path: &Path) -> Result<RawConfig, ConfigError> {
        Self::load_depth(path, 0)
    }

    fn load_depth(path: &Path, depth: usize) -> Result<RawConfig, ConfigError> {
        let err = |message: String| ConfigError {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let mut cfg = Self::parse(&text).map_err(err)?;
        let Some(ext) = cfg.extend.take() else {
            return Ok(cfg);
        };
        if ext.url.is_some() {
            return Err(err(
                "`[extend] url` is not supported: ztguard never fetches rules; download the file and use `path`".into(),
            ));
        }
        let mut base = if ext.use_default {
            RawConfig::builtin().map_err(err)?
        } else if let Some(p) = &ext.path {
            if depth >= MAX_EXTEND_DEPTH {
                return Err(err(format!(
                    "`[extend]` chains deeper than {MAX_EXTEND_DEPTH} files"
                )));
            }
            let p = path.parent().unwrap_or(Path::new(".")).join(p);
            Self::load_depth(&p, depth + 1)?
        } else {
            RawConfig::default()
        };
        base.rules.retain(|r| !ext.disabled_rules.contains(&r.id));
        Ok(base.merge(cfg))
    }

    /// `over` on top of `self`: a rule with the same id replaces the base's
    /// (gitleaks merges field by field; replacing is simpler and explicit).
    fn merge(mut self, over: RawConfig) -> RawConfig {
        let mut by_id: BTreeMap<String, usize> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), i))
            .collect();
        for r in over.rules {
            match by_id.get(&r.id) {
                Some(&i) => self.rules[i] = r,
                None => {
                    by_id.insert(r.id.clone(), self.rules.len());
                    self.rules.push(r);
                }
            }
        }
        self.allowlists.extend(over.allowlist);
        self.allowlists.extend(over.allowlists);
        self.title = over.title.or(self.title);
        self
    }

    /// Features of the file ztguard does not apply, for a warning.
    pub fn unsupported(&self) -> Vec<String> {
        let mut out = Vec::new();
        for r in &self.rules {
            if r.required.is_some() {
                out.push(format!(
                    "rule `{}`: composite rules (`[[rules.required]]`) are not supported; the rule runs on its own",
                    r.id
                ));
            }
        }
        let commits = self
            .allowlists
            .iter()
            .chain(self.allowlist.iter())
            .chain(
                self.rules
                    .iter()
                    .flat_map(|r| r.allowlists.iter().chain(r.allowlist.iter())),
            )
            .any(|a| !a.commits.is_empty());
        if commits {
            out.push("allowlists by commit are ignored: ztguard scans contents".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_rules_parse() {
        let text = include_str!("../rules/builtin.toml");
        let from_toml = RawConfig::parse(text).expect("builtin.toml parses");
        let built = RawConfig::builtin().expect("builtin JSON parses");
        assert_eq!(from_toml.rules.len(), built.rules.len());
        assert!(built.rules.len() >= 150, "{} rules", built.rules.len());
    }

    #[test]
    fn extend_default_and_disable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("g.toml");
        std::fs::write(
            &p,
            "[extend]\nuseDefault = true\ndisabledRules = [\"github-pat\"]\n\n[[rules]]\nid = \"mine\"\nregex = '''mine_[0-9]{8}'''\nkeywords = [\"mine_\"]\n",
        )
        .expect("write");
        let cfg = RawConfig::load(&p).expect("loads");
        assert!(cfg.rules.iter().any(|r| r.id == "mine"));
        assert!(cfg.rules.iter().any(|r| r.id == "aws-access-key-id"));
        assert!(!cfg.rules.iter().any(|r| r.id == "github-pat"));
    }

    #[test]
    fn url_extension_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("g.toml");
        std::fs::write(&p, "[extend]\nurl = \"https://x\"\n").expect("write");
        let e = RawConfig::load(&p).expect_err("refused");
        assert!(e.to_string().contains("never fetches"));
    }
}
