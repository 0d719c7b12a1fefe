//! Baselines: findings a team has reviewed and accepted. The file holds
//! fingerprints (SHA-256 over rule, path and a hash of the secret or the
//! line), plus rule and path for people reading it — never a secret.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::report::Report;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Entry {
    pub fingerprint: String,
    pub rule_id: String,
    pub path: String,
}

/// What updating a baseline did, counted by unique fingerprint (so the
/// counts match the entries in the file).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// Fingerprints new to the baseline.
    pub added: usize,
    /// Fingerprints it already held.
    pub present: usize,
    /// Entries dropped because the scan no longer finds them.
    pub pruned: usize,
    /// Entries in the file afterwards.
    pub total: usize,
}

impl Baseline {
    /// Add the report's findings; existing entries are kept.
    pub fn merge(&mut self, report: &Report) -> Update {
        let mut set: BTreeSet<Entry> = std::mem::take(&mut self.findings).into_iter().collect();
        let known: BTreeSet<String> = set.iter().map(|e| e.fingerprint.clone()).collect();
        let mut update = Update::default();
        let mut counted = BTreeSet::new();
        for f in &report.findings {
            if !counted.insert(f.fingerprint.as_str()) {
                continue;
            }
            if known.contains(&f.fingerprint) {
                update.present += 1;
            } else {
                update.added += 1;
                set.insert(Entry {
                    fingerprint: f.fingerprint.clone(),
                    rule_id: f.rule_id.clone(),
                    path: f.path.clone(),
                });
            }
        }
        self.version = self.version.max(1);
        self.findings = set.into_iter().collect();
        update.total = self.fingerprints();
        update
    }

    /// Drop entries whose fingerprint is not among `found` (the
    /// fingerprints of a scan of the whole tree); returns how many went.
    pub fn prune(&mut self, found: &BTreeSet<String>) -> usize {
        let before = self.fingerprints();
        self.findings.retain(|e| found.contains(&e.fingerprint));
        before - self.fingerprints()
    }

    /// Unique fingerprints held.
    pub fn fingerprints(&self) -> usize {
        self.findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect::<BTreeSet<_>>()
            .len()
    }

    pub fn from_report(report: &Report) -> Baseline {
        let set: BTreeSet<Entry> = report
            .findings
            .iter()
            .map(|f| Entry {
                fingerprint: f.fingerprint.clone(),
                rule_id: f.rule_id.clone(),
                path: f.path.clone(),
            })
            .collect();
        Baseline {
            version: 1,
            findings: set.into_iter().collect(),
        }
    }

    pub fn load(path: &Path) -> Result<Baseline, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the baseline {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a ztguard baseline: {e}", path.display()))
    }

    pub fn save(&self, path: &Path) -> Result<(), String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        text.push('\n');
        std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Remove accepted findings from a report; counts them.
    pub fn apply(&self, report: &mut Report) {
        let known: BTreeSet<&str> = self
            .findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect();
        let before = report.findings.len();
        report
            .findings
            .retain(|f| !known.contains(f.fingerprint.as_str()));
        report.baselined += before - report.findings.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{Item, Kind};

    fn item(fp: &str, path: &str) -> Item {
        Item {
            fingerprint: fp.into(),
            ..Item::sample(Kind::Code, "r", path, 1)
        }
    }

    #[test]
    fn merge_keeps_entries_and_counts_unique_fingerprints() {
        let first = Report {
            findings: vec![item("a", "x"), item("b", "y")],
            ..Report::default()
        };
        let mut b = Baseline::from_report(&first);
        // `b` twice (two lines with the same fingerprint), `c` new, `a` not found this time.
        let second = Report {
            findings: vec![item("b", "y"), item("b", "y"), item("c", "z")],
            ..Report::default()
        };
        let u = b.merge(&second);
        assert_eq!(
            u,
            Update {
                added: 1,
                present: 1,
                pruned: 0,
                total: 3
            }
        );
        assert_eq!(b.findings.len(), 3, "nothing wiped");
        let u = b.merge(&Report::default());
        assert_eq!((u.added, u.total), (0, 3), "an empty scan keeps everything");
        let found: BTreeSet<String> = ["b", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(b.prune(&found), 1);
        assert_eq!(b.fingerprints(), 2);
    }
}
