//! Putting the checks together for a list of dependencies.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

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
    /// Where manifest paths are relative to, to find their lockfiles on
    /// disk (`None`: judge manifests alone, as the hook does for content
    /// that is not written yet).
    pub lockfile_root: Option<PathBuf>,
    /// The ecosystems of the registry dependencies checked so far (for
    /// warnings about the database that concern this project only).
    seen: Mutex<BTreeSet<Ecosystem>>,
}

/// A database older than this is said to be stale.
pub const STALE_AFTER_DAYS: u64 = 30;

/// Why vulnerable versions may have gone unreported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbWarning {
    /// Stable: `vuln-db-missing`, `vuln-db-ecosystem-missing`, `vuln-db-stale`.
    pub code: &'static str,
    pub message: String,
}

impl Checker {
    /// Load the database and registry lists from `dir` (both optional).
    pub fn load(dir: &Path) -> Result<Checker, String> {
        Ok(Checker {
            db: Store::open(dir)?.map(Advisories::Disk),
            registry: Registry::load(dir)?,
            lockfile_root: None,
            seen: Mutex::default(),
        })
    }

    /// A checker over an in-memory database (tests, right after an import).
    pub fn with_database(db: Database) -> Checker {
        Checker {
            db: Some(Advisories::Memory(db)),
            ..Checker::default()
        }
    }

    /// The ecosystems of the registry dependencies checked so far.
    pub fn ecosystems_seen(&self) -> BTreeSet<Ecosystem> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// What a reader must be told about the database, for the ecosystems
    /// checked so far: none imported, none for an ecosystem, or too old.
    pub fn db_warnings(&self, now_secs: u64) -> Vec<DbWarning> {
        let seen = self.ecosystems_seen();
        if seen.is_empty() {
            return Vec::new();
        }
        let names = seen
            .iter()
            .map(|e| e.osv_name())
            .collect::<Vec<_>>()
            .join(", ");
        let meta = match &self.db {
            None => {
                return vec![DbWarning {
                    code: "vuln-db-missing",
                    message: format!(
                        "no vulnerability database: {names} dependencies were not checked for known-vulnerable or malicious versions (import OSV data with `ztguard deps update --from DIR|ZIP`)"
                    ),
                }];
            }
            Some(Advisories::Memory(_)) => return Vec::new(),
            Some(Advisories::Disk(store)) => &store.meta,
        };
        let mut out = Vec::new();
        for eco in &seen {
            if !meta.packages.contains_key(eco) {
                out.push(DbWarning {
                    code: "vuln-db-ecosystem-missing",
                    message: format!("the vulnerability database has no {eco} advisories: {eco} dependencies were not checked for known-vulnerable or malicious versions (import the {eco} OSV dump with `ztguard deps update --from`)"),
                });
            }
        }
        let age = meta.updated.map(|t| now_secs.saturating_sub(t) / 86_400);
        match age {
            Some(days) if days <= STALE_AFTER_DAYS => {}
            Some(days) => out.push(DbWarning {
                code: "vuln-db-stale",
                message: format!("the vulnerability database was imported {days} days ago: advisories published since are missing (refresh it with `ztguard deps update --from`)"),
            }),
            None => out.push(DbWarning {
                code: "vuln-db-stale",
                message: "the vulnerability database records no import date: it may be stale (refresh it with `ztguard deps update --from`)".into(),
            }),
        }
        out
    }

    fn saw(&self, deps: &[Dep]) {
        if let Ok(mut s) = self.seen.lock() {
            s.extend(
                deps.iter()
                    .filter(|d| d.origin == Origin::Registry)
                    .map(|d| d.ecosystem),
            );
        }
    }

    /// Check a manifest or lockfile (`path` names it, `/`-separated). With
    /// a `lockfile_root`, a manifest's packages that a lockfile beside it
    /// (or in a folder above, as workspaces have) resolves are left to that
    /// lockfile's entries for the version checks: the resolved version is
    /// the one installed, and it is reported on its own line there.
    pub fn check_manifest(&self, path: &str, text: &str) -> Vec<Finding> {
        let deps = parse_manifest(path, text);
        self.saw(&deps);
        let resolved = match (&self.lockfile_root, deps.first()) {
            (Some(root), Some(first)) if !first.locked => locked_names(root, path, first.ecosystem),
            _ => HashSet::new(),
        };
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        for d in &deps {
            let skip_versions = resolved.contains(&d.ecosystem.normalize(&d.name));
            for f in self.check_one(d, skip_versions) {
                // One finding per rule, package and line.
                if seen.insert((f.rule_id, f.package.clone(), f.line)) {
                    out.push(f);
                }
            }
        }
        out
    }

    pub fn check_command(&self, argv: &[String]) -> Vec<Finding> {
        self.check_deps(&from_argv(argv))
    }

    pub fn check_deps(&self, deps: &[Dep]) -> Vec<Finding> {
        self.saw(deps);
        let mut out = Vec::new();
        for d in deps {
            out.extend(self.check_one(d, false));
        }
        out
    }

    /// The checks for one dependency; `skip_versions` when a lockfile
    /// answers for its version.
    fn check_one(&self, d: &Dep, skip_versions: bool) -> Vec<Finding> {
        let mut out = Vec::new();
        let shown = match &d.req {
            Some(r) => format!("{}@{}", d.name, r.trim_start_matches('=')),
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
            if !skip_versions
                && let Some((rule_id, title, severity, message, fix)) =
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
        if d.locked {
            // A lockfile holds what the manifests chose: the name checks ran there.
            return out;
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

/// The packages the nearest lockfile of this ecosystem resolves, looking
/// from the manifest's folder up to `root` (normalized names).
fn locked_names(root: &Path, path: &str, eco: Ecosystem) -> HashSet<String> {
    let mut dir = Path::new(path).parent();
    while let Some(d) = dir {
        for name in crate::lockfile::names_for(eco) {
            let lock = root.join(d).join(name);
            if let Ok(text) = std::fs::read_to_string(&lock) {
                return crate::lockfile::parse(name, &text)
                    .iter()
                    .map(|l| eco.normalize(&l.name))
                    .collect();
            }
        }
        dir = d.parent();
    }
    HashSet::new()
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
    let fixed = hits.iter().flat_map(|a| a.fixes(eco)).reduce(|a, b| {
        if b.compare(&a).is_some_and(|o| o.is_gt()) {
            b
        } else {
            a
        }
    });
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
                Some(f) => format!(
                    "commit a lockfile, or raise the lower bound: require `{}` {f} or later",
                    d.name
                ),
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
        Checker::with_database(db)
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

    fn pypi_checker(records: &[&str]) -> Checker {
        let mut db = Database::default();
        let mut s = Imported::default();
        for r in records {
            db.add_record(r, &mut s);
        }
        Checker::with_database(db)
    }

    const JINJA: &str = r#"{"id":"GHSA-h5c8-rqwp-cp95","summary":"Jinja vulnerable to HTML attribute injection","affected":[{"package":{"ecosystem":"PyPI","name":"jinja2"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.3"}]}]}]}"#;

    fn rules(f: &[Finding]) -> Vec<(&str, usize, Severity)> {
        f.iter().map(|f| (f.rule_id, f.line, f.severity)).collect()
    }

    #[test]
    fn ranges_are_judged_by_what_they_admit() {
        let c = pypi_checker(&[JINJA]);
        let req = |r: &str| c.check_manifest("requirements.txt", &format!("jinja2{r}\n"));
        assert_eq!(
            rules(&req(">=3.1.2")),
            vec![("dep-vulnerable-range", 1, Severity::Low)]
        );
        assert!(
            req(">=3.1.2")[0]
                .message
                .contains("range allows vulnerable versions")
        );
        assert_eq!(
            rules(&req("==3.1.2")),
            vec![("dep-vulnerable", 1, Severity::High)]
        );
        assert_eq!(
            rules(&req("<3.1.3")),
            vec![("dep-vulnerable", 1, Severity::High)],
            "no fixed version inside"
        );
        assert_eq!(
            rules(&req("~=3.0.0")),
            vec![("dep-vulnerable", 1, Severity::High)]
        );
        assert!(req(">=3.1.3").is_empty());
        assert!(req("==3.1.4").is_empty());
        assert_eq!(
            rules(&req("")),
            vec![("dep-vulnerable-range", 1, Severity::Low)]
        );
    }

    /// The trial's table, through a pinned requirement.
    #[test]
    fn pep440_pins_against_osv_ranges() {
        let rec = |id: &str, intro: &str, fixed: &str| {
            format!(
                r#"{{"id":"{id}","summary":"s","affected":[{{"package":{{"ecosystem":"PyPI","name":"p{id}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"{intro}"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
            )
        };
        let recs = [
            rec("1", "1.0a1", "1.0"),
            rec("2", "0", "2.0"),
            rec("3", "1.0.dev0", "1.0"),
        ];
        let c = pypi_checker(&recs.iter().map(String::as_str).collect::<Vec<_>>());
        let hit = |pkg: &str, v: &str| {
            !c.check_manifest("requirements.txt", &format!("{pkg}=={v}\n"))
                .is_empty()
        };
        assert!(!hit("p1", "1.0.dev0"));
        assert!(!hit("p2", "1!1.0"));
        assert!(hit("p3", "1.0a1"));
        assert!(hit("p3", "1.0b2"));
        assert!(!hit("p3", "1.0"));
    }

    #[test]
    fn lockfile_versions_decide_and_lines_are_the_entries_own() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = pypi_checker(&[JINJA]);
        c.lockfile_root = Some(dir.path().to_path_buf());
        let pyproject = "[project]\nname = \"flask-example-celery\"\ndependencies = [\n  \"flask\",\n  \"jinja2>=3.1.2\",\n]\n";
        // No lockfile: the range is judged by what it admits.
        assert_eq!(
            rules(&c.check_manifest("app/pyproject.toml", pyproject)),
            vec![("dep-vulnerable-range", 5, Severity::Low)]
        );
        // A lockfile (here one folder up, as in a workspace) pins 3.1.4: nothing to say.
        std::fs::create_dir_all(dir.path().join("app")).expect("mkdir");
        let lock = "version = 1\n\n[[package]]\nname = \"jinja2\"\nversion = \"3.1.4\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        std::fs::write(dir.path().join("uv.lock"), lock).expect("write");
        assert!(c.check_manifest("app/pyproject.toml", pyproject).is_empty());
        assert!(c.check_manifest("uv.lock", lock).is_empty());
        // The lockfile pins 3.1.2: reported on the lockfile's entry, high.
        let old = lock.replace("3.1.4", "3.1.2");
        assert_eq!(
            rules(&c.check_manifest("uv.lock", &old)),
            vec![("dep-vulnerable", 4, Severity::High)]
        );
    }

    #[test]
    fn each_requirement_on_its_own_line() {
        let text = "[project]\nname = \"flaskr\"\ndependencies = [\"flask\"]\n\n[project.optional-dependencies]\na = [\"asgiref\"]\nb = [\n  \"asgiref>=3.2\",\n]\n\n[dependency-groups]\ndev = [\"asgiref\"]\n";
        let deps = crate::parse_manifest("pyproject.toml", text);
        let at: Vec<(&str, usize)> = deps.iter().map(|d| (d.name.as_str(), d.line)).collect();
        assert_eq!(
            at,
            vec![
                ("flask", 3),
                ("asgiref", 6),
                ("asgiref", 8),
                ("asgiref", 12)
            ]
        );
        let cargo = "[package]\nname = \"serde-demo\"\n\n[dependencies]\nserde_json = \"1\"\nserde = \"1\"\n";
        let at: Vec<(String, usize)> = crate::parse_manifest("Cargo.toml", cargo)
            .into_iter()
            .map(|d| (d.name, d.line))
            .collect();
        assert_eq!(at, vec![("serde_json".into(), 5), ("serde".into(), 6)]);
        let pkg = "{\n  \"name\": \"lodash-wrapper\",\n  \"description\": \"uses lodash\",\n  \"dependencies\": {\n    \"lodash\": \"^4.17.0\"\n  }\n}\n";
        assert_eq!(crate::parse_manifest("package.json", pkg)[0].line, 5);
        let poetry = "[tool.poetry]\nname = \"requests-demo\"\n\n[tool.poetry.dependencies]\npython = \"^3.9\"\nrequests = \"^2.31\"\n";
        let d = crate::parse_manifest("pyproject.toml", poetry);
        assert_eq!(
            (d[0].name.as_str(), d[0].line, d[0].req.as_deref()),
            ("requests", 6, Some(">=2.31,<3"))
        );
    }
}
