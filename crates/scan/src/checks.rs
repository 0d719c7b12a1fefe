//! The checks run on one text: secrets, insecure code, dependency
//! manifests. The hook and `ztguard scan` share this, so a file the hook
//! lets through is not flagged at commit time for the same reason.

use ztguard_secrets::{Ruleset, hash_parts};

use crate::pathclass::{self, PathClass};
use crate::report::{Item, Kind, Severity};

/// Which checks to run.
#[derive(Clone, Copy, Debug)]
pub struct Enabled {
    pub secrets: bool,
    pub code: bool,
    pub deps: bool,
}

impl Default for Enabled {
    fn default() -> Self {
        Enabled {
            secrets: true,
            code: true,
            deps: true,
        }
    }
}

/// Everything needed to check texts.
pub struct Checks {
    /// Shared: the hook keeps one compiled rule set for the whole process.
    pub secrets: std::sync::Arc<Ruleset>,
    pub enabled: Enabled,
    pub deps: Option<ztguard_deps::Checker>,
    /// Lower or skip findings by the kind of file (tests, docs, vendored…):
    /// `ztguard scan`'s default. Off for the hook, which checks what the
    /// agent writes the same wherever it goes.
    pub path_classes: bool,
    /// Honour inline `ztguard:ignore` / `ztguard:allow` comments on code and
    /// dependency findings (the secret rule set has its own switch). Off
    /// for the hook: the agent writes comments too.
    pub inline_ignores: bool,
}

impl Checks {
    pub fn new(
        secrets: impl Into<std::sync::Arc<Ruleset>>,
        enabled: Enabled,
        deps: Option<ztguard_deps::Checker>,
    ) -> Checks {
        Checks {
            secrets: secrets.into(),
            enabled,
            deps,
            path_classes: false,
            inline_ignores: false,
        }
    }

    /// Check one text. `path` is relative and `/`-separated; it selects
    /// the language for code checks and the manifest parser.
    pub fn check(&self, path: &str, text: &str) -> Vec<Item> {
        self.check_counted(path, text).0
    }

    /// [`Checks::check`], with the number of findings inline comments silenced.
    pub fn check_counted(&self, path: &str, text: &str) -> (Vec<Item>, usize) {
        let class = if self.path_classes {
            pathclass::classify(path, text)
        } else {
            None
        };
        let code_too = class.is_none_or(PathClass::runs_code_checks);
        let mut out = Vec::new();
        if self.enabled.secrets {
            for f in self.secrets.scan(Some(path), text) {
                // A JWT in a test or a document is an example token signed
                // with an example key far more often than a live session:
                // weak evidence there, like a generic rule's hit.
                let generic = f.generic || f.rule_id == "jwt";
                let mut item = secret_item(path, f);
                if let Some(class) = class {
                    class.adjust(&mut item, generic);
                }
                out.push(item);
            }
        }
        if self.enabled.code
            && code_too
            && let Some(lang) = ztguard_code::Language::from_path(path)
        {
            for f in ztguard_code::check(lang, text) {
                let line_text = text.lines().nth(f.line.saturating_sub(1)).unwrap_or("");
                out.push(Item {
                    kind: Kind::Code,
                    fingerprint: hash_parts(&["code", f.rule_id, path, line_text.trim()]),
                    rule_id: f.rule_id.to_string(),
                    title: f.title.to_string(),
                    path: path.to_string(),
                    line: f.line,
                    column: f.column,
                    end_line: f.line,
                    end_column: f.column,
                    severity: match f.severity {
                        ztguard_code::Severity::High => Severity::High,
                        ztguard_code::Severity::Medium => Severity::Medium,
                        ztguard_code::Severity::Low => Severity::Low,
                    },
                    cwe: Some(f.cwe.to_string()),
                    secret: None,
                    message: f.message,
                    fix: f.fix.to_string(),
                    path_class: None,
                });
            }
        }
        // A hard-coded credential the secret rules identified needs no second, vaguer finding.
        let secret_lines: Vec<usize> = out
            .iter()
            .filter(|i| i.kind == Kind::Secret)
            .map(|i| i.line)
            .collect();
        out.retain(|i| {
            !(i.kind == Kind::Code
                && i.cwe.as_deref() == Some("CWE-798")
                && secret_lines.contains(&i.line))
        });
        if self.enabled.deps
            && code_too
            && let Some(deps) = &self.deps
        {
            for f in deps.check_manifest(path, text) {
                out.push(dependency_item(path, f));
            }
        }
        if let Some(class) = class {
            for item in out.iter_mut().filter(|i| i.kind != Kind::Secret) {
                class.adjust(item, false);
            }
        }
        let mut silenced = 0;
        if self.inline_ignores {
            let lines: Vec<&str> = text.lines().collect();
            out.retain(|item| {
                let at = item.line.saturating_sub(1);
                let line = lines.get(at).copied().unwrap_or("");
                let previous = at.checked_sub(1).and_then(|p| lines.get(p).copied());
                let drop = crate::suppress::inline_ignored(item, line, previous);
                silenced += usize::from(drop);
                !drop
            });
        }
        (out, silenced)
    }
}

/// A secret finding as a report item (the redacted value only).
pub fn secret_item(path: &str, f: ztguard_secrets::Finding) -> Item {
    Item {
        kind: Kind::Secret,
        fingerprint: hash_parts(&["secret", &f.rule_id, path, &f.secret_hash]),
        message: format!("{} ({})", f.description, f.secret),
        title: f.description,
        rule_id: f.rule_id,
        path: path.to_string(),
        line: f.line,
        column: f.column,
        end_line: f.end_line,
        end_column: f.end_column,
        severity: Severity::High,
        cwe: Some("CWE-798".into()),
        secret: Some(f.secret.0),
        fix: f.fix,
        path_class: None,
    }
}

/// A dependency finding as a report item.
pub fn dependency_item(path: &str, f: ztguard_deps::Finding) -> Item {
    Item {
        kind: Kind::Dependency,
        fingerprint: hash_parts(&["dependency", f.rule_id, path, &f.package]),
        rule_id: f.rule_id.to_string(),
        title: f.title.to_string(),
        path: path.to_string(),
        line: f.line.max(1),
        column: 1,
        end_line: f.line.max(1),
        end_column: 1,
        severity: match f.severity {
            ztguard_deps::Severity::High => Severity::High,
            ztguard_deps::Severity::Medium => Severity::Medium,
            ztguard_deps::Severity::Low => Severity::Low,
        },
        cwe: f.cwe.map(str::to_string),
        secret: None,
        message: f.message,
        fix: f.fix,
        path_class: None,
    }
}
