//! Versions and requirements, each ecosystem with the crate made for its
//! rules: `semver` for crates.io, npm and Go modules, `pep440_rs` for PyPI
//! (epochs, `.devN` before `aN` before `bN` before `rcN` before the
//! release, `.postN` after it, local versions).
//!
//! A requirement is either one exact version (`==1.2.3`, npm's `1.2.3`, a
//! go.mod line, a lockfile entry) or a range. An exact version is judged
//! as it is; a range by which versions it admits (see the checker).

use std::cmp::Ordering;
use std::str::FromStr;

use crate::ecosystem::Ecosystem;

/// One version of one ecosystem's kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Version {
    Semver(semver::Version),
    Pep440(pep440_rs::Version),
}

impl Version {
    /// Parse a version as the ecosystem writes it. Semver versions are
    /// read leniently where ecosystems are (`v1.2.3`, `1.2` → `1.2.0`);
    /// anything else that does not parse is `None`.
    pub fn parse(eco: Ecosystem, text: &str) -> Option<Version> {
        let t = text.trim();
        match eco {
            Ecosystem::PyPI => pep440_rs::Version::from_str(t).ok().map(Version::Pep440),
            _ => lenient_semver(t).map(Version::Semver),
        }
    }

    /// The lowest version there is (`introduced: "0"`).
    pub fn zero(eco: Ecosystem) -> Version {
        match eco {
            Ecosystem::PyPI => Version::Pep440(pep440_rs::MIN_VERSION.clone()),
            _ => Version::Semver(semver::Version::new(0, 0, 0)),
        }
    }

    /// A version just after this one (for `last_affected`: the first
    /// version past it that a requirement may admit).
    pub fn next(&self) -> Version {
        match self {
            Version::Semver(v) => {
                let mut n = semver::Version::new(v.major, v.minor, v.patch + 1);
                if !v.pre.is_empty() {
                    n.patch = v.patch;
                }
                Version::Semver(n)
            }
            Version::Pep440(v) => {
                let post = v.post().map_or(1, |p| p + 1);
                Version::Pep440(v.clone().with_dev(None).with_post(Some(post)))
            }
        }
    }

    /// Order two versions of the same kind (`None` across kinds).
    pub fn compare(&self, other: &Version) -> Option<Ordering> {
        match (self, other) {
            (Version::Semver(a), Version::Semver(b)) => Some(a.cmp_precedence(b)),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Version::Semver(v) => v.fmt(f),
            Version::Pep440(v) => v.fmt(f),
        }
    }
}

/// `v1.2.3`, `=1.2.3`, `1.2`, `1`, `1.2-beta.1` as semver versions.
fn lenient_semver(t: &str) -> Option<semver::Version> {
    let t = t.trim_start_matches(['v', 'V', '=']).trim();
    if let Ok(v) = semver::Version::parse(t) {
        return Some(v);
    }
    // Pad a short core: `1.2` → `1.2.0`, keeping any `-pre` / `+build`.
    let cut = t.find(['-', '+']).unwrap_or(t.len());
    let (core, tail) = t.split_at(cut);
    let parts = core.split('.').count();
    if parts >= 3 || core.is_empty() {
        return None;
    }
    let padded = format!("{core}{}{tail}", ".0".repeat(3 - parts));
    semver::Version::parse(&padded).ok()
}

/// Compare two version strings of an ecosystem (`None` when either does not parse).
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    Version::parse(eco, a)?.compare(&Version::parse(eco, b)?)
}

/// What a dependency asks for.
#[derive(Clone, Debug)]
pub enum Requirement {
    /// Exactly one version.
    Exact(Version),
    /// Any of these sets (npm's `||`); within one, every comparator holds.
    Semver(Vec<semver::VersionReq>),
    Pep440(pep440_rs::VersionSpecifiers),
    /// Anything: no requirement, `*`, `latest`, a dist-tag, or one that
    /// does not parse (judged as admitting every version: fail closed).
    Any,
}

impl Requirement {
    /// Read a requirement as the ecosystem means it: Cargo's bare `1.2`
    /// is `^1.2`, npm's is exactly `1.2.x`, go.mod versions are exact.
    pub fn parse(eco: Ecosystem, req: Option<&str>) -> Requirement {
        let Some(req) = req.map(str::trim).filter(|r| !r.is_empty()) else {
            return Requirement::Any;
        };
        match eco {
            Ecosystem::PyPI => pep440(req),
            Ecosystem::Go => Version::parse(eco, req).map_or(Requirement::Any, Requirement::Exact),
            Ecosystem::CratesIo => match semver::VersionReq::parse(req) {
                Ok(r) => exact_semver(&r).unwrap_or(Requirement::Semver(vec![r])),
                Err(_) => Requirement::Any,
            },
            Ecosystem::Npm => npm(req),
        }
    }

    /// Whether the requirement admits `v`.
    pub fn contains(&self, v: &Version) -> bool {
        match (self, v) {
            (Requirement::Any, _) => true,
            (Requirement::Exact(x), v) => x.compare(v) == Some(Ordering::Equal),
            (Requirement::Semver(sets), Version::Semver(v)) => sets.iter().any(|r| r.matches(v)),
            (Requirement::Pep440(s), Version::Pep440(v)) => s.contains(v),
            _ => false,
        }
    }

    /// The lowest version of each piece of the requirement (where a piece
    /// has a lower bound; the ecosystem's zero where it has none). A range
    /// meets an interval of affected versions only if it admits the
    /// interval's start or one of these.
    pub fn lower_bounds(&self, eco: Ecosystem) -> Vec<Version> {
        let mut out = Vec::new();
        match self {
            Requirement::Any => out.push(Version::zero(eco)),
            Requirement::Exact(v) => out.push(v.clone()),
            Requirement::Semver(sets) => {
                for set in sets {
                    let mut bounded = false;
                    for c in &set.comparators {
                        let base = semver::Version {
                            major: c.major,
                            minor: c.minor.unwrap_or(0),
                            patch: c.patch.unwrap_or(0),
                            pre: c.pre.clone(),
                            build: semver::BuildMetadata::EMPTY,
                        };
                        match c.op {
                            semver::Op::Less | semver::Op::LessEq => {}
                            semver::Op::Greater => {
                                bounded = true;
                                // The next version after the bound.
                                let mut next = base;
                                if c.patch.is_some() {
                                    next.patch += 1;
                                } else if c.minor.is_some() {
                                    next.minor += 1;
                                    next.patch = 0;
                                } else {
                                    next.major += 1;
                                    next.minor = 0;
                                    next.patch = 0;
                                }
                                next.pre = semver::Prerelease::EMPTY;
                                out.push(Version::Semver(next));
                            }
                            _ => {
                                bounded = true;
                                out.push(Version::Semver(base));
                            }
                        }
                    }
                    if !bounded {
                        out.push(Version::zero(eco));
                    }
                }
            }
            Requirement::Pep440(specs) => {
                let mut bounded = false;
                for s in specs.iter() {
                    use pep440_rs::Operator::*;
                    match s.operator() {
                        LessThan | LessThanEqual | NotEqual | NotEqualStar => {}
                        _ => {
                            bounded = true;
                            out.push(Version::Pep440(s.version().clone()));
                        }
                    }
                }
                if !bounded {
                    out.push(Version::zero(eco));
                }
            }
        }
        out
    }
}

fn pep440(req: &str) -> Requirement {
    match pep440_rs::VersionSpecifiers::from_str(req) {
        Ok(specs) => {
            if let [one] = &*specs {
                #[allow(deprecated)]
                if matches!(
                    one.operator(),
                    pep440_rs::Operator::Equal | pep440_rs::Operator::ExactEqual
                ) {
                    return Requirement::Exact(Version::Pep440(one.version().clone()));
                }
            }
            Requirement::Pep440(specs)
        }
        // A bare version (`pip install pkg==1.0` is parsed elsewhere; this is `1.0`).
        Err(_) => match pep440_rs::Version::from_str(req) {
            Ok(v) => Requirement::Exact(Version::Pep440(v)),
            Err(_) => Requirement::Any,
        },
    }
}

/// `=1.2.3` (every part given, one comparator) is one version.
fn exact_semver(r: &semver::VersionReq) -> Option<Requirement> {
    let [c] = r.comparators.as_slice() else {
        return None;
    };
    if c.op != semver::Op::Exact {
        return None;
    }
    Some(Requirement::Exact(Version::Semver(semver::Version {
        major: c.major,
        minor: c.minor?,
        patch: c.patch?,
        pre: c.pre.clone(),
        build: semver::BuildMetadata::EMPTY,
    })))
}

/// An npm range (node-semver syntax) as semver requirements: `||` between
/// sets, spaces between comparators, `a - b` hyphen ranges, `1.x`, and a
/// bare version meaning exactly that version (or that `x` range).
fn npm(req: &str) -> Requirement {
    let mut sets = Vec::new();
    for set in req.split("||") {
        let set = set.trim();
        if set.is_empty() || set == "*" || set == "x" || set == "X" {
            return Requirement::Any;
        }
        let mut comparators: Vec<String> = Vec::new();
        if let Some((lo, hi)) = set.split_once(" - ") {
            comparators.push(format!(">={}", lo.trim().trim_start_matches(['v', '='])));
            comparators.push(format!("<={}", hi.trim().trim_start_matches(['v', '='])));
        } else {
            // Join an operator written apart from its version (`>= 1.2`).
            let mut pending = String::new();
            for tok in set.split_whitespace() {
                if tok.chars().all(|c| "<>=~^".contains(c)) {
                    pending.push_str(tok);
                    continue;
                }
                let tok = std::mem::take(&mut pending) + tok;
                let starts_with_op = tok.starts_with(['<', '>', '=', '~', '^']);
                let tok = if starts_with_op {
                    // `>=v1.2` → `>=1.2`
                    let op_len = tok.find(|c: char| !"<>=~^".contains(c)).unwrap_or(0);
                    format!(
                        "{}{}",
                        &tok[..op_len],
                        tok[op_len..].trim_start_matches('v')
                    )
                } else {
                    // npm: a bare version is that version (`1.2` is `1.2.x`).
                    format!("={}", tok.trim_start_matches('v'))
                };
                comparators.push(tok);
            }
        }
        match semver::VersionReq::parse(&comparators.join(", ")) {
            Ok(r) => sets.push(r),
            // A dist-tag (`latest`, `next`) or something unreadable: any version.
            Err(_) => return Requirement::Any,
        }
    }
    if let [one] = sets.as_slice()
        && let Some(exact) = exact_semver(one)
    {
        return exact;
    }
    Requirement::Semver(sets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    fn v(eco: Ecosystem, s: &str) -> Version {
        Version::parse(eco, s).expect(s)
    }

    #[test]
    fn orders_semver_and_pep440() {
        let s = Ecosystem::CratesIo;
        assert_eq!(compare(s, "1.2.3", "1.2.10"), Some(Less));
        assert_eq!(compare(s, "1.2", "1.2.0"), Some(Equal));
        assert_eq!(compare(s, "2.0.0-rc.1", "2.0.0"), Some(Less));
        assert_eq!(compare(Ecosystem::Go, "v1.4.0", "1.3.9"), Some(Greater));
        assert_eq!(compare(s, "1.0.0+build5", "1.0.0"), Some(Equal));
        let p = Ecosystem::PyPI;
        assert_eq!(compare(p, "2.0.0rc1", "2.0.0"), Some(Less));
        assert_eq!(compare(p, "1.0a1", "1.0b1"), Some(Less));
        assert_eq!(compare(p, "1.0.post1", "1.0"), Some(Greater));
        assert_eq!(compare(p, "1.0.dev0", "1.0a1"), Some(Less));
        assert_eq!(compare(p, "1!1.0", "2.0"), Some(Greater));
        assert_eq!(compare(p, "1.0+local", "1.0"), Some(Greater));
        assert_eq!(compare(p, "not a version", "1.0"), None);
    }

    #[test]
    fn requirements_per_ecosystem() {
        let npm = Ecosystem::Npm;
        assert!(matches!(
            Requirement::parse(npm, Some("4.17.20")),
            Requirement::Exact(_)
        ));
        let r = Requirement::parse(npm, Some("^4.17.0 || >= 5.1 <6"));
        assert!(r.contains(&v(npm, "4.17.20")));
        assert!(r.contains(&v(npm, "5.2.0")));
        assert!(!r.contains(&v(npm, "5.0.0")));
        let r = Requirement::parse(npm, Some("1.2"));
        assert!(r.contains(&v(npm, "1.2.7")) && !r.contains(&v(npm, "1.3.0")));
        let r = Requirement::parse(npm, Some("1.0.0 - 2.1.0"));
        assert!(r.contains(&v(npm, "2.1.0")) && !r.contains(&v(npm, "2.1.1")));
        assert!(matches!(
            Requirement::parse(npm, Some("latest")),
            Requirement::Any
        ));
        let c = Ecosystem::CratesIo;
        let r = Requirement::parse(c, Some("1.0.100"));
        assert!(
            r.contains(&v(c, "1.5.0")),
            "Cargo's bare version is a caret range"
        );
        assert!(matches!(
            Requirement::parse(c, Some("=1.0.100")),
            Requirement::Exact(_)
        ));
        let p = Ecosystem::PyPI;
        assert!(matches!(
            Requirement::parse(p, Some("==3.1.2")),
            Requirement::Exact(_)
        ));
        let r = Requirement::parse(p, Some(">=3.1.2"));
        assert!(r.contains(&v(p, "3.1.4")) && !r.contains(&v(p, "3.1.1")));
        let lows: Vec<String> = r.lower_bounds(p).iter().map(|v| v.to_string()).collect();
        assert_eq!(lows, vec!["3.1.2"]);
        let r = Requirement::parse(p, Some("<3"));
        assert_eq!(r.lower_bounds(p), vec![Version::zero(p)]);
        assert!(matches!(
            Requirement::parse(Ecosystem::Go, Some("v0.20.0")),
            Requirement::Exact(_)
        ));
    }
}
