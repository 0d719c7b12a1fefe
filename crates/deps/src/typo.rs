//! Typosquat detection: is a name one slip away from a popular package?
//! The slips: a character omitted, repeated, added or swapped with its
//! neighbour, a look-alike character (`0`/`o`, `1`/`l`, `rn`/`m`), or a
//! different separator (`-`, `_`, `.`, none).

use crate::ecosystem::Ecosystem;

/// Popular packages per ecosystem, shipped as data (one name per line).
pub fn popular(eco: Ecosystem) -> &'static [&'static str] {
    static LISTS: std::sync::OnceLock<[Vec<&'static str>; 4]> = std::sync::OnceLock::new();
    let lists = LISTS.get_or_init(|| {
        let read = |s: &'static str| {
            s.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .collect()
        };
        [
            read(include_str!("../data/popular-crates.txt")),
            read(include_str!("../data/popular-npm.txt")),
            read(include_str!("../data/popular-pypi.txt")),
            read(include_str!("../data/popular-go.txt")),
        ]
    });
    let i = match eco {
        Ecosystem::CratesIo => 0,
        Ecosystem::Npm => 1,
        Ecosystem::PyPI => 2,
        Ecosystem::Go => 3,
    };
    &lists[i]
}

/// Real packages whose names are one slip from a popular one.
const KNOWN_NEIGHBOURS: &[(&str, &str)] = &[
    ("color", "colors"),
    ("colors", "color"),
    ("react-dom", "react-dnd"),
    ("react-dnd", "react-dom"),
    ("jose", "jsoe"),
    ("prismjs", "prism"),
    ("request", "requests"),
    ("requests", "request"),
    ("six", "sax"),
    ("sax", "six"),
    ("ws", "w3"),
    ("rand", "rank"),
    ("pip", "pie"),
    ("serde", "sered"),
    ("tokio", "tokio-io"),
    ("mime", "mimes"),
    ("glob", "globs"),
    ("chalk", "chal"),
    ("boto3", "boto"),
    ("boto", "boto3"),
    ("nose", "nose2"),
    ("semver", "semvar"),
    ("jinja2", "jinja"),
    ("attrs", "attr"),
    ("scrapy", "scrapyd"),
    ("mysql", "mysql2"),
    ("mysql2", "mysql"),
    ("redis", "rediss"),
    ("pytest", "pytest2"),
    ("markdown", "markdown2"),
    ("sqlite3", "sqlite"),
    ("pandas", "panda"),
];

fn look_alike(s: &str) -> String {
    s.replace("rn", "m")
        .replace("vv", "w")
        .replace('0', "o")
        .replace(['1', '|'], "l")
        .replace('5', "s")
        .replace('3', "e")
}

fn squash(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .collect()
}

/// Optimal string alignment distance (Damerau–Levenshtein with adjacent swaps), capped.
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 2 {
        return 3;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// The popular package `name` imitates, and how.
pub fn squat_of(eco: Ecosystem, name: &str) -> Option<(&'static str, &'static str)> {
    let norm = eco.normalize(name);
    let list = popular(eco);
    if list.iter().any(|p| eco.normalize(p) == norm) {
        return None;
    }
    // A scoped npm package is its own namespace: `@org/lodash` is not a squat of `lodash`.
    if eco == Ecosystem::Npm && norm.starts_with('@') {
        return None;
    }
    let short = |s: &str| s.rsplit('/').next().unwrap_or(s).to_string();
    let cand = if eco == Ecosystem::Go {
        short(&norm)
    } else {
        norm.clone()
    };
    for p in list {
        let pn = eco.normalize(p);
        let target = if eco == Ecosystem::Go {
            short(&pn)
        } else {
            pn.clone()
        };
        if KNOWN_NEIGHBOURS
            .iter()
            .any(|(a, b)| *a == target && *b == cand)
        {
            continue;
        }
        if eco == Ecosystem::Go && pn != norm && target == cand {
            // Same last segment under another host/owner: a look-alike module path.
            if norm.split('/').next() == pn.split('/').next() {
                return Some((p, "the same module name under another owner"));
            }
            continue;
        }
        if squash(&cand) == squash(&target) {
            return Some((p, "a different separator"));
        }
        if look_alike(&cand) == look_alike(&target) {
            return Some((p, "look-alike characters"));
        }
        // One slip is only meaningful for names long enough to be distinctive,
        // and squats keep the first letter: `preact` is not a typo of `react`.
        if target.len() >= 5
            && cand.as_bytes().first() == target.as_bytes().first()
            && distance(&cand, &target) == 1
        {
            let how = if cand.len() < target.len() {
                "a missing character"
            } else if cand.len() > target.len() {
                "an extra or repeated character"
            } else if squash(&cand)
                .chars()
                .collect::<std::collections::BTreeSet<_>>()
                == squash(&target)
                    .chars()
                    .collect::<std::collections::BTreeSet<_>>()
            {
                "swapped characters"
            } else {
                "a changed character"
            };
            return Some((p, how));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_common_slips() {
        assert_eq!(
            squat_of(Ecosystem::PyPI, "reqeusts").map(|s| s.0),
            Some("requests")
        );
        assert_eq!(
            squat_of(Ecosystem::PyPI, "requestss").map(|s| s.0),
            Some("requests")
        );
        assert_eq!(
            squat_of(Ecosystem::PyPI, "reqests").map(|s| s.0),
            Some("requests")
        );
        assert_eq!(
            squat_of(Ecosystem::Npm, "lodahs").map(|s| s.0),
            Some("lodash")
        );
        assert_eq!(
            squat_of(Ecosystem::Npm, "cross-env2").map(|s| s.0),
            Some("cross-env")
        );
        assert_eq!(
            squat_of(Ecosystem::Npm, "crossenv").map(|s| s.1),
            Some("a different separator")
        );
        assert_eq!(
            squat_of(Ecosystem::CratesIo, "serde_jsn").map(|s| s.0),
            Some("serde_json")
        );
        assert_eq!(
            squat_of(Ecosystem::PyPI, "djang0").map(|s| s.1),
            Some("look-alike characters")
        );
    }

    #[test]
    fn leaves_real_names_alone() {
        for (eco, n) in [
            (Ecosystem::PyPI, "requests"),
            (Ecosystem::PyPI, "Django"),
            (Ecosystem::PyPI, "typing_extensions"),
            (Ecosystem::Npm, "react-dom"),
            (Ecosystem::Npm, "@types/node"),
            (Ecosystem::Npm, "colors"),
            (Ecosystem::CratesIo, "serde"),
            (Ecosystem::CratesIo, "my-internal-tool"),
            (Ecosystem::Go, "github.com/pkg/errors"),
            (Ecosystem::Npm, "preact"),
            (Ecosystem::PyPI, "jinja"),
            (Ecosystem::PyPI, "attr"),
            (Ecosystem::PyPI, "scrapyd"),
            (Ecosystem::PyPI, "markdown2"),
        ] {
            assert_eq!(squat_of(eco, n), None, "{n}");
        }
    }
}
