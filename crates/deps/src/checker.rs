//! Putting the checks together for a list of dependencies.

use std::path::Path;

use crate::command::from_argv;
use crate::ecosystem::Ecosystem;
use crate::manifest::{Dep, Origin, parse_manifest};
use crate::osv::{Advisory, Database};
use crate::registry::Registry;
use crate::store::Store;
use crate::typo::{popular, squat_of};
use crate::version::Requirement;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
}

/// A risky dependency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule_id: &'static str,
    pub title: &'static str,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub line: usize,
    pub severity: Severity,
    pub cwe: Option<&'static str>,
    pub message: String,
    pub fix: String,
}

/// Where advisories come from: the sharded store on disk, or a database in
/// memory (tests, and right after an import).
#[derive(Debug)]
pub enum Advisories {
    Disk(Store),
    Memory(Database),
}

impl Advisories {
    fn get(&self, eco: Ecosystem, name: &str) -> Result<Vec<Advisory>, String> {
        match self {
            Advisories::Disk(s) => s.advisories(eco, name),
            Advisories::Memory(db) => Ok(db.advisories(eco, name).to_vec()),
        }
    }
}

/// The dependency checks with their offline data.
#[derive(Debug, Default)]
pub struct Checker {
    pub db: Option<Advisories>,
    pub registry: Registry,
}

impl Checker {
    /// Load the database and registry lists from `dir` (both optional).
    pub fn load(dir: &Path) -> Result<Checker, String> {
        Ok(Checker {
            db: Store::open(dir)?.map(Advisories::Disk),
            registry: Registry::load(dir)?,
        })
    }

    pub fn check_manifest(&self, path: &str, text: &str) -> Vec<Finding> {
        self.check_deps(&parse_manifest(path, text))
    }

    pub fn check_command(&self, argv: &[String]) -> Vec<Finding> {
        self.check_deps(&from_argv(argv))
    }

    pub fn check_deps(&self, deps: &[Dep]) -> Vec<Finding> {
        let mut out = Vec::new();
        for d in deps {
            out.extend(self.check_one(d));
        }
        out
    }

    fn check_one(&self, d: &Dep) -> Vec<Finding> {
        let mut out = Vec::new();
        let shown = match &d.req {
            Some(r) => format!("{}@{}", d.name, r.trim_start_matches("==")),
            None => d.name.clone(),
        };
        let finding = |rule_id, title, severity, cwe, message: String, fix: String| Finding {
            rule_id,
            title,
            ecosystem: d.ecosystem,
            package: d.name.clone(),
            line: d.line,
            severity,
            cwe,
            message,
            fix,
        };
        match &d.origin {
            Origin::Path => return out,
            Origin::Direct(url) => {
                out.push(finding(
                    "dep-direct-source",
                    "Dependency installed from a URL or git, bypassing the registry",
                    Severity::Medium,
                    Some("CWE-494"),
                    format!("`{}` comes from `{url}`, not the {} registry: no advisory or name check covers it", d.name, d.ecosystem),
                    "depend on a published release from the registry, or pin the commit and review the source".into(),
                ));
                return out;
            }
            Origin::Registry => {}
        }
        let mut known_db = false;
        if let Some(db) = &self.db {
            let advisories = match db.get(d.ecosystem, &d.name) {
                Ok(a) => a,
                Err(e) => {
                    // Fail closed: an unreadable database is a finding, not a pass.
                    out.push(finding(
                        "dep-database-unreadable",
                        "The advisory database could not be read",
                        Severity::Medium,
                        None,
                        e,
                        "the package could not be checked: approve it only if you trust it".into(),
                    ));
                    return out;
                }
            };
            known_db = !advisories.is_empty();
            if let Some(mal) = advisories
                .iter()
                .find(|a| a.malicious || a.id.starts_with("MAL-"))
            {
                out.push(finding(
                    "dep-malicious",
                    "Known malicious package",
                    Severity::High,
                    Some("CWE-506"),
                    format!("`{}` is a known malicious package ({}: {})", d.name, mal.id, mal.summary),
                    "do not install it; remove it and check the machine for what its install scripts did".into(),
                ));
                return out;
            }
            if let Some((rule_id, title, severity, message, fix)) =
                vulnerable(d, &shown, &advisories)
            {
                out.push(finding(
                    rule_id,
                    title,
                    severity,
                    Some("CWE-1395"),
                    message,
                    fix,
                ));
            }
        }
        if let Some((target, how)) = squat_of(d.ecosystem, &d.name) {
            out.push(finding(
                "dep-typosquat",
                "Possible typosquat of a popular package",
                Severity::High,
                Some("CWE-1357"),
                format!("`{}` looks like a typo of `{target}` ({how})", d.name),
                format!("check the name: did you mean `{target}`?"),
            ));
            return out;
        }
        let known_popular = popular(d.ecosystem)
            .iter()
            .any(|p| d.ecosystem.normalize(p) == d.ecosystem.normalize(&d.name));
        if !known_popular
            && !known_db
            && self.registry.contains(d.ecosystem, &d.name) == Some(false)
        {
            out.push(finding(
                "dep-unknown-package",
                "Package unknown to the registry",
                Severity::Medium,
                Some("CWE-1357"),
                format!("`{}` is not in the offline {} registry list: it may not exist (a name the model made up can be registered by an attacker)", d.name, d.ecosystem),
                "check the package exists and is the one you mean before installing it".into(),
            ));
        }
        out
    }
}

type Verdict = (&'static str, &'static str, Severity, String, String);

/// Known-vulnerable versions a requirement pins or admits.
///
/// An exact version (a pin, a lockfile entry) is affected or not. A range
/// is judged by what it admits: when it admits an affected version but a
/// fixed one too, what gets installed depends on the resolver, so that is
/// `dep-vulnerable-range` at low severity; when no fixed version satisfies
/// it, every install is affected: `dep-vulnerable`, high.
fn vulnerable(d: &Dep, shown: &str, advisories: &[Advisory]) -> Option<Verdict> {
    let eco = d.ecosystem;
    let req = Requirement::parse(eco, d.req.as_deref());
    let exact = matches!(req, Requirement::Exact(_));
    let lows = req.lower_bounds(eco);
    let mut hits: Vec<&Advisory> = Vec::new();
    let mut unfixed_in_range = false;
    for a in advisories {
        let hit = match &req {
            Requirement::Exact(v) => a.affects(eco, v),
            _ => lows
                .iter()
                .chain(a.starts(eco).iter())
                .any(|c| req.contains(c) && a.affects(eco, c)),
        };
        if !hit {
            continue;
        }
        if !exact && !a.fixes(eco).iter().any(|f| req.contains(f)) {
            unfixed_in_range = true;
        }
        hits.push(a);
    }
    let first = hits.first()?;
    let ids: Vec<&str> = hits.iter().map(|a| a.id.as_str()).collect();
    let fixed = hits
        .iter()
        .flat_map(|a| a.fixes(eco))
        .reduce(|a, b| if b.compare(&a).is_some_and(|o| o.is_gt()) { b } else { a });
    let fix = match &fixed {
        Some(f) => format!("require `{}` {f} or later", d.name),
        None => format!("no fixed version is known: replace `{}`", d.name),
    };
    let (ids, summary) = (ids.join(", "), &first.summary);
    Some(if exact {
        (
            "dep-vulnerable",
            "Known-vulnerable dependency version",
            Severity::High,
            format!("`{shown}` is affected by {ids} ({summary})"),
            fix,
        )
    } else if unfixed_in_range {
        let what = match &d.req {
            Some(r) => format!("no fixed version satisfies `{}`", r.trim()),
            None => "no fixed version is known".to_string(),
        };
        (
            "dep-vulnerable",
            "Known-vulnerable dependency version",
            Severity::High,
            format!("`{shown}` is affected by {ids} ({summary}): {what}"),
            fix,
        )
    } else {
        (
            "dep-vulnerable-range",
            "Dependency range allows vulnerable versions",
            Severity::Low,
            format!(
                "`{shown}`: range allows vulnerable versions ({ids}: {summary}); a fixed version satisfies it too, so what is installed depends on the resolver"
            ),
            match &fixed {
                Some(f) => format!("commit a lockfile, or raise the lower bound: require `{}` {f} or later", d.name),
                None => fix,
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv::Imported;

    fn checker() -> Checker {
        let mut db = Database::default();
        let mut s = Imported::default();
        db.add_record(r#"{"id":"GHSA-aaaa","summary":"Prototype pollution","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.21"}]}]}]}"#, &mut s);
        db.add_record(r#"{"id":"MAL-2024-1","summary":"Malicious code in evilpkg","affected":[{"package":{"ecosystem":"PyPI","name":"evilpkg"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#, &mut s);
        Checker {
            db: Some(Advisories::Memory(db)),
            registry: Registry::default(),
        }
    }

    #[test]
    fn vulnerable_malicious_and_typos() {
        let c = checker();
        let f = c.check_manifest(
            "package.json",
            r#"{"dependencies":{"lodash":"4.17.20","lodahs":"1.0.0"}}"#,
        );
        let ids: Vec<&str> = f.iter().map(|f| f.rule_id).collect();
        assert_eq!(ids, vec!["dep-vulnerable", "dep-typosquat"]);
        assert!(f[0].fix.contains("4.17.21"), "{}", f[0].fix);
        assert!(
            c.check_manifest("package.json", r#"{"dependencies":{"lodash":"^4.17.21"}}"#)
                .is_empty()
        );
        let f = c.check_command(&["pip".into(), "install".into(), "evilpkg".into()]);
        assert_eq!(f[0].rule_id, "dep-malicious");
    }

    #[test]
    fn unknown_names_need_a_registry_list() {
        let dir = tempfile::tempdir().expect("tempdir");
        let list = dir.path().join("names.txt");
        std::fs::write(&list, "requests\nflask\nmy-real-pkg\n").expect("write");
        Registry::import(dir.path(), Ecosystem::PyPI, &list).expect("import");
        let c = Checker::load(dir.path()).expect("load");
        let f = c.check_command(&[
            "pip".into(),
            "install".into(),
            "huggingface-cli-tools".into(),
            "my_real_pkg".into(),
        ]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule_id, "dep-unknown-package");
        let c = Checker::default();
        assert!(
            c.check_command(&[
                "pip".into(),
                "install".into(),
                "huggingface-cli-tools".into()
            ])
            .is_empty()
        );
    }
}
