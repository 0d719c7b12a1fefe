//! One finding, whatever found it, and the report of a whole scan.

use serde::Serialize;

/// What kind of check produced a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Secret,
    Code,
    Dependency,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Secret => "secret",
            Kind::Code => "code",
            Kind::Dependency => "dependency",
        }
    }
}

/// How bad a finding is. `Low` findings are hygiene advice: shown by
/// `ztguard scan --min-severity low`, never acted on by the hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "low" => Some(Severity::Low),
            "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            _ => None,
        }
    }
}

/// A finding in a file (or in the agent's content, or a diff).
#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub kind: Kind,
    pub rule_id: String,
    pub title: String,
    /// Path relative to the scan root, `/`-separated (or the name given to stdin).
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub severity: Severity,
    /// `CWE-89` and the like, for code findings and some dependency ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwe: Option<String>,
    /// The redacted secret, for secret findings. Never the value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// Stable across line moves: what a baseline stores.
    pub fingerprint: String,
    /// The kind of file (test, docs, vendored…) when it changed the
    /// finding's severity; absent for ordinary source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path_class: Option<crate::pathclass::PathClass>,
}

/// The outcome of a scan.
/// A finding for the crate's tests: `rule` of `kind` at `path:line`, high.
#[cfg(test)]
impl Item {
    pub(crate) fn sample(kind: Kind, rule: &str, path: &str, line: usize) -> Item {
        Item {
            kind,
            rule_id: rule.into(),
            title: String::new(),
            path: path.into(),
            line,
            column: 1,
            end_line: line,
            end_column: 1,
            severity: Severity::High,
            cwe: None,
            secret: None,
            message: String::new(),
            fix: String::new(),
            fingerprint: String::new(),
            path_class: None,
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub findings: Vec<Item>,
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    /// Findings a baseline accepted (counted, not listed).
    pub baselined: usize,
    /// Findings left out by `.ztguardignore`, `.gitleaksignore` or an
    /// inline `ztguard:ignore` (counted, not listed).
    pub ignored: usize,
    /// Files that could not be read, with why.
    pub errors: Vec<String>,
    /// Files skipped as binary or too large.
    pub skipped: usize,
    /// What the scan could not check and a reader must know (a missing or
    /// stale vulnerability database): said in every format.
    pub warnings: Vec<Warning>,
}

/// A limit of the scan itself, not a finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Warning {
    /// Stable: `vuln-db-missing`, `vuln-db-ecosystem-missing`, `vuln-db-stale`.
    pub code: String,
    pub message: String,
}

impl Report {
    /// Sort by path, then position, then rule: stable output whatever the thread order.
    pub fn sort(&mut self) {
        self.findings.sort_by(|a, b| {
            (&a.path, a.line, a.column, &a.rule_id).cmp(&(&b.path, b.line, b.column, &b.rule_id))
        });
        self.errors.sort();
    }
}
