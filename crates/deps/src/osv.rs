//! An offline vulnerability database built from OSV JSON records
//! (https://ossf.github.io/osv-schema/): imported from a directory or a zip
//! (the per-ecosystem `all.zip` dumps), stored as one compact JSON index,
//! and queried by ecosystem, name and version without the network.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ecosystem::Ecosystem;
use crate::version::Version;
use std::cmp::Ordering;

/// One advisory as it applies to one package.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Advisory {
    pub id: String,
    pub summary: String,
    /// Each range: events in order (`introduced`, `fixed`, `last_affected`).
    pub ranges: Vec<Vec<(String, String)>>,
    /// Versions listed as affected.
    pub versions: Vec<String>,
    /// A `MAL-` record: the package itself is malicious.
    pub malicious: bool,
}

impl Advisory {
    /// Whether `version` is affected, by OSV's evaluation of SEMVER and
    /// ECOSYSTEM ranges (events ordered by version, `introduced` opening an
    /// affected interval, `fixed` and `last_affected` closing it). A bound
    /// that does not parse is read to fail closed: an unreadable
    /// `introduced` opens from the start, an unreadable fix closes nothing.
    pub fn affects(&self, eco: Ecosystem, version: &Version) -> bool {
        let same = |s: &str| Version::parse(eco, s).and_then(|x| x.compare(version));
        if self
            .versions
            .iter()
            .any(|v| same(v) == Some(Ordering::Equal) || v == &version.to_string())
        {
            return true;
        }
        self.ranges.iter().any(|events| {
            let mut parsed: Vec<(&str, Version)> = events
                .iter()
                .filter_map(|(kind, v)| {
                    let at = match (kind.as_str(), Version::parse(eco, v)) {
                        ("introduced", _) if v == "0" => Version::zero(eco),
                        ("introduced", None) => Version::zero(eco),
                        (_, None) => return None,
                        (_, Some(x)) => x,
                    };
                    Some((kind.as_str(), at))
                })
                .collect();
            parsed.sort_by(|a, b| a.1.compare(&b.1).unwrap_or(Ordering::Equal));
            let mut affected = false;
            for (kind, at) in &parsed {
                let Some(o) = at.compare(version) else {
                    continue;
                };
                match *kind {
                    "introduced" if o.is_le() => affected = true,
                    "fixed" if o.is_le() => affected = false,
                    "last_affected" if o.is_lt() => affected = false,
                    _ => {}
                }
            }
            affected
        })
    }

    /// Where affected intervals start (the versions listed as affected
    /// included): a range that admits none of these, nor a version inside
    /// an interval, is clear of this advisory.
    pub fn starts(&self, eco: Ecosystem) -> Vec<Version> {
        let mut out: Vec<Version> = self
            .ranges
            .iter()
            .flatten()
            .filter(|(k, _)| k == "introduced")
            .map(|(_, v)| Version::parse(eco, v).unwrap_or_else(|| Version::zero(eco)))
            .collect();
        out.extend(self.versions.iter().filter_map(|v| Version::parse(eco, v)));
        out
    }

    /// The versions that fix it: each `fixed`, and the version just past
    /// each `last_affected`.
    pub fn fixes(&self, eco: Ecosystem) -> Vec<Version> {
        self.ranges
            .iter()
            .flatten()
            .filter_map(|(k, v)| match k.as_str() {
                "fixed" => Version::parse(eco, v),
                "last_affected" => Version::parse(eco, v).map(|v| v.next()),
                _ => None,
            })
            .collect()
    }

    /// Affects every version (no fix), as malicious packages do.
    pub fn affects_all(&self) -> bool {
        self.malicious
            || self.ranges.iter().any(|events| {
                events.iter().any(|(k, v)| k == "introduced" && v == "0")
                    && !events
                        .iter()
                        .any(|(k, _)| k == "fixed" || k == "last_affected")
            })
    }
}

/// The whole database: ecosystem → normalized name → advisories.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Database {
    pub packages: BTreeMap<Ecosystem, BTreeMap<String, Vec<Advisory>>>,
    pub records: usize,
}

/// Import statistics.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Imported {
    pub records: usize,
    pub skipped: usize,
}

impl Database {
    /// Add OSV records from a directory (recursively) or a zip file.
    pub fn import(&mut self, from: &Path) -> Result<Imported, String> {
        let mut stats = Imported::default();
        if from.is_dir() {
            self.import_dir(from, &mut stats)?;
        } else {
            let f = std::fs::File::open(from)
                .map_err(|e| format!("cannot open {}: {e}", from.display()))?;
            let mut zip = zip::ZipArchive::new(f)
                .map_err(|e| format!("{} is not a zip file: {e}", from.display()))?;
            for i in 0..zip.len() {
                let mut entry = zip
                    .by_index(i)
                    .map_err(|e| format!("{}: {e}", from.display()))?;
                if !entry.name().ends_with(".json") {
                    continue;
                }
                let mut text = String::new();
                if entry.read_to_string(&mut text).is_err() {
                    stats.skipped += 1;
                    continue;
                }
                self.add_record(&text, &mut stats);
            }
        }
        Ok(stats)
    }

    fn import_dir(&mut self, dir: &Path, stats: &mut Imported) -> Result<(), String> {
        let entries =
            std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let mut paths: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            if p.is_dir() {
                self.import_dir(&p, stats)?;
            } else if p.extension().is_some_and(|e| e == "json") {
                match std::fs::read_to_string(&p) {
                    Ok(t) => self.add_record(&t, stats),
                    Err(_) => stats.skipped += 1,
                }
            }
        }
        Ok(())
    }

    /// Add one OSV record; records of other ecosystems and malformed ones are skipped.
    pub fn add_record(&mut self, text: &str, stats: &mut Imported) {
        let Ok(rec) = serde_json::from_str::<Value>(text) else {
            stats.skipped += 1;
            return;
        };
        let Some(id) = rec.get("id").and_then(Value::as_str) else {
            stats.skipped += 1;
            return;
        };
        if rec.get("withdrawn").is_some_and(|w| !w.is_null()) {
            stats.skipped += 1;
            return;
        }
        let summary = rec
            .get("summary")
            .or_else(|| rec.get("details"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("")
            .to_string();
        let mut added = false;
        for aff in rec
            .get("affected")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let pkg = aff.get("package");
            let eco = pkg
                .and_then(|p| p.get("ecosystem"))
                .and_then(Value::as_str)
                .map(|e| e.split(':').next().unwrap_or(e))
                .and_then(|e| Ecosystem::ALL.into_iter().find(|x| x.osv_name() == e));
            let (Some(eco), Some(name)) =
                (eco, pkg.and_then(|p| p.get("name")).and_then(Value::as_str))
            else {
                continue;
            };
            let ranges = aff
                .get("ranges")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|r| r.get("type").and_then(Value::as_str) != Some("GIT"))
                .map(|r| {
                    r.get("events")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .filter_map(|e| e.as_object())
                        .filter_map(|o| {
                            o.iter()
                                .next()
                                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                        })
                        .collect()
                })
                .collect();
            let versions = aff
                .get("versions")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let adv = Advisory {
                id: id.to_string(),
                summary: summary.clone(),
                ranges,
                versions,
                malicious: id.starts_with("MAL-"),
            };
            let list = self
                .packages
                .entry(eco)
                .or_default()
                .entry(eco.normalize(name))
                .or_default();
            list.retain(|a| a.id != adv.id);
            list.push(adv);
            added = true;
        }
        if added {
            stats.records += 1;
            self.records += 1;
        } else {
            stats.skipped += 1;
        }
    }

    /// Advisories for a package.
    pub fn advisories(&self, eco: Ecosystem, name: &str) -> &[Advisory] {
        self.packages
            .get(&eco)
            .and_then(|m| m.get(&eco.normalize(name)))
            .map_or(&[], Vec::as_slice)
    }

    /// Whether the database knows the package (an existence signal).
    pub fn knows(&self, eco: Ecosystem, name: &str) -> bool {
        !self.advisories(eco, name).is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REC: &str = r#"{"id":"GHSA-test-0001","summary":"Prototype pollution","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#;

    #[test]
    fn ranges_follow_osv_evaluation() {
        let mut db = Database::default();
        let mut s = Imported::default();
        db.add_record(REC, &mut s);
        assert_eq!(s.records, 1);
        let a = &db.advisories(Ecosystem::Npm, "LoDash")[0];
        let npm = |s: &str| Version::parse(Ecosystem::Npm, s).expect(s);
        assert!(a.affects(Ecosystem::Npm, &npm("4.17.20")));
        assert!(!a.affects(Ecosystem::Npm, &npm("4.17.21")));
        assert!(!a.affects_all());
        assert_eq!(a.fixes(Ecosystem::Npm), vec![npm("4.17.21")]);
        let last = Advisory {
            id: "X".into(),
            summary: String::new(),
            ranges: vec![vec![
                ("introduced".into(), "1.0".into()),
                ("last_affected".into(), "1.5".into()),
            ]],
            versions: vec![],
            malicious: false,
        };
        let py = |s: &str| Version::parse(Ecosystem::PyPI, s).expect(s);
        assert!(last.affects(Ecosystem::PyPI, &py("1.5")));
        assert!(!last.affects(Ecosystem::PyPI, &py("1.6")));
        assert!(!last.affects(Ecosystem::PyPI, &py("0.9")));
    }

    #[test]
    fn malformed_and_withdrawn_are_skipped() {
        let mut db = Database::default();
        let mut s = Imported::default();
        db.add_record("{", &mut s);
        db.add_record(
            r#"{"id":"W","withdrawn":"2024-01-01T00:00:00Z","affected":[]}"#,
            &mut s,
        );
        assert_eq!(
            s,
            Imported {
                records: 0,
                skipped: 2
            }
        );
    }

    fn range(events: &[(&str, &str)]) -> Advisory {
        Advisory {
            id: "X".into(),
            summary: String::new(),
            ranges: vec![
                events
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ],
            versions: vec![],
            malicious: false,
        }
    }

    /// The trial's table: PEP 440 pre-releases, dev releases and epochs.
    #[test]
    fn pep440_ordering_against_osv_ranges() {
        let py = |s: &str| Version::parse(Ecosystem::PyPI, s).expect(s);
        let a1_to_1 = range(&[("introduced", "1.0a1"), ("fixed", "1.0")]);
        assert!(!a1_to_1.affects(Ecosystem::PyPI, &py("1.0.dev0")));
        let below_2 = range(&[("introduced", "0"), ("fixed", "2.0")]);
        assert!(!below_2.affects(Ecosystem::PyPI, &py("1!1.0")), "epoch 1");
        assert!(below_2.affects(Ecosystem::PyPI, &py("1.9.post3")));
        let dev_to_1 = range(&[("introduced", "1.0.dev0"), ("fixed", "1.0")]);
        assert!(dev_to_1.affects(Ecosystem::PyPI, &py("1.0a1")));
        assert!(dev_to_1.affects(Ecosystem::PyPI, &py("1.0b2")));
        assert!(dev_to_1.affects(Ecosystem::PyPI, &py("1.0rc1")));
        assert!(!dev_to_1.affects(Ecosystem::PyPI, &py("1.0")));
        assert!(!dev_to_1.affects(Ecosystem::PyPI, &py("1.0.post1")));
    }

    #[test]
    fn events_are_evaluated_in_version_order_and_bad_bounds_fail_closed() {
        let npm = |s: &str| Version::parse(Ecosystem::Npm, s).expect(s);
        // Two intervals, listed out of order.
        let two = range(&[
            ("introduced", "2.0.0"),
            ("fixed", "2.1.0"),
            ("introduced", "1.0.0"),
            ("fixed", "1.2.0"),
        ]);
        assert!(two.affects(Ecosystem::Npm, &npm("1.1.0")));
        assert!(!two.affects(Ecosystem::Npm, &npm("1.5.0")));
        assert!(two.affects(Ecosystem::Npm, &npm("2.0.5")));
        assert!(!two.affects(Ecosystem::Npm, &npm("2.1.0")));
        let bad_fix = range(&[("introduced", "0"), ("fixed", "not-a-version")]);
        assert!(bad_fix.affects(Ecosystem::Npm, &npm("9.0.0")));
        assert!(!two.affects(Ecosystem::Npm, &npm("2.0.0-rc.1")));
    }
}
