//! Lockfiles: the versions a project actually installs. Each entry becomes
//! a [`Dep`] with the exact resolved version and the line of the entry's
//! own header, so a vulnerable version is reported where it is pinned.
//!
//! TOML lockfiles (Cargo.lock, poetry.lock, uv.lock) go through the `toml`
//! parser with spans, JSON ones (package-lock.json v1–v3) through
//! serde_json. pnpm-lock.yaml, yarn.lock (v1 and berry) and go.sum are read
//! line by line: only the keys of one top-level mapping matter, each on a
//! line of its own, and a YAML library would still not give their lines.
//! Entries that do not come from the registry (workspace members, paths,
//! git) are skipped: the manifest's checks cover those.

use std::collections::BTreeMap;

use serde_json::Value;
use toml::de::{DeTable, DeValue};

use crate::ecosystem::Ecosystem;
use crate::manifest::{Dep, Origin, line_at};

/// The lockfile kind of a file name.
pub fn kind(name: &str) -> Option<Ecosystem> {
    match name {
        "Cargo.lock" => Some(Ecosystem::CratesIo),
        "package-lock.json" | "npm-shrinkwrap.json" | "pnpm-lock.yaml" | "yarn.lock" => {
            Some(Ecosystem::Npm)
        }
        "poetry.lock" | "uv.lock" => Some(Ecosystem::PyPI),
        "go.sum" => Some(Ecosystem::Go),
        _ => None,
    }
}

/// The lockfiles that resolve a manifest of this ecosystem, nearest first.
pub fn names_for(eco: Ecosystem) -> &'static [&'static str] {
    match eco {
        Ecosystem::CratesIo => &["Cargo.lock"],
        Ecosystem::Npm => &[
            "package-lock.json",
            "npm-shrinkwrap.json",
            "pnpm-lock.yaml",
            "yarn.lock",
        ],
        Ecosystem::PyPI => &["uv.lock", "poetry.lock"],
        Ecosystem::Go => &["go.sum"],
    }
}

/// Parse a lockfile (`name` is the file name). Unreadable: empty.
pub fn parse(name: &str, text: &str) -> Vec<Dep> {
    match name {
        "Cargo.lock" => toml_packages(text, Ecosystem::CratesIo),
        "poetry.lock" | "uv.lock" => toml_packages(text, Ecosystem::PyPI),
        "package-lock.json" | "npm-shrinkwrap.json" => package_lock(text),
        "pnpm-lock.yaml" => pnpm(text),
        "yarn.lock" => yarn(text),
        "go.sum" => go_sum(text),
        _ => Vec::new(),
    }
}

fn locked(eco: Ecosystem, name: &str, version: &str, line: usize) -> Dep {
    let version = version.trim();
    let req = match eco {
        Ecosystem::PyPI => format!("=={version}"),
        Ecosystem::CratesIo => format!("={version}"),
        Ecosystem::Npm | Ecosystem::Go => version.to_string(),
    };
    Dep {
        ecosystem: eco,
        name: name.to_string(),
        req: Some(req),
        origin: Origin::Registry,
        line,
        locked: true,
    }
}

/// `[[package]]` tables with `name`, `version` and a `source`:
/// Cargo.lock (`source = "registry+…"`; none for workspace members),
/// poetry.lock (`[package.source]` only for git, path and url ones) and
/// uv.lock (`source = { registry = … }`; `editable`, `virtual`, `path`,
/// `git` otherwise).
fn toml_packages(text: &str, eco: Ecosystem) -> Vec<Dep> {
    let Ok(doc) = DeTable::parse(text) else {
        return Vec::new();
    };
    let Some(packages) = doc
        .get_ref()
        .get("package")
        .and_then(|v| v.get_ref().as_array())
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for p in packages.iter() {
        let Some(t) = p.get_ref().as_table() else {
            continue;
        };
        let field = |k: &str| t.get(k).and_then(|v| v.get_ref().as_str());
        let (Some(name), Some(version)) = (field("name"), field("version")) else {
            continue;
        };
        let from_registry = match (eco, t.get("source").map(|s| s.get_ref())) {
            (Ecosystem::CratesIo, Some(DeValue::String(s))) => {
                s.starts_with("registry+") || s.starts_with("sparse+")
            }
            (Ecosystem::CratesIo, _) => false,
            // poetry.lock: a source table means git, a path or a URL.
            (_, None) => true,
            (_, Some(DeValue::Table(s))) => s.contains_key("registry"),
            _ => false,
        };
        if !from_registry {
            continue;
        }
        // The line of the `name = …` key: the entry's own line.
        let line = t
            .iter()
            .find(|(k, _)| k.get_ref() == "name")
            .map_or(line_at(text, p.span().start), |(k, _)| {
                line_at(text, k.span().start)
            });
        out.push(locked(eco, name, version, line));
    }
    out
}

/// package-lock.json: v2/v3 `packages` (`node_modules/a/node_modules/b`
/// keys), or v1's nested `dependencies`.
fn package_lock(text: &str) -> Vec<Dep> {
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let lines = crate::json_lines::key_lines(text);
    let mut out = Vec::new();
    if let Some(packages) = doc.get("packages").and_then(Value::as_object) {
        for (key, entry) in packages {
            let Some(at) = key.rfind("node_modules/") else {
                continue; // "" is the project itself; other keys are workspace folders.
            };
            if entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&key[at + "node_modules/".len()..]);
            let Some(version) = entry.get("version").and_then(Value::as_str) else {
                continue;
            };
            if !npm_registry(entry.get("resolved").and_then(Value::as_str)) {
                continue;
            }
            let line = lines
                .get(&vec!["packages".to_string(), key.clone()])
                .copied()
                .unwrap_or(0);
            out.push(locked(Ecosystem::Npm, name, version, line));
        }
        return out;
    }
    fn v1(
        deps: &serde_json::Map<String, Value>,
        path: &mut Vec<String>,
        lines: &std::collections::HashMap<Vec<String>, usize>,
        out: &mut Vec<Dep>,
    ) {
        for (name, entry) in deps {
            path.push("dependencies".into());
            path.push(name.clone());
            if let Some(version) = entry.get("version").and_then(Value::as_str) {
                // An alias: `"version": "npm:real@1.2.3"`.
                let (name, version) = match version.strip_prefix("npm:") {
                    Some(alias) => match alias.rfind('@').filter(|&i| i > 0) {
                        Some(i) => (&alias[..i], &alias[i + 1..]),
                        None => (name.as_str(), version),
                    },
                    None => (name.as_str(), version),
                };
                let registry = version.starts_with(|c: char| c.is_ascii_digit())
                    && npm_registry(entry.get("resolved").and_then(Value::as_str));
                if registry {
                    let line = lines.get(path).copied().unwrap_or(0);
                    out.push(locked(Ecosystem::Npm, name, version, line));
                }
            }
            if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                v1(nested, path, lines, out);
            }
            path.truncate(path.len() - 2);
        }
    }
    if let Some(deps) = doc.get("dependencies").and_then(Value::as_object) {
        v1(deps, &mut Vec::new(), &lines, &mut out);
    }
    out
}

/// A `resolved` URL from a registry (a tarball over HTTP), or none given.
fn npm_registry(resolved: Option<&str>) -> bool {
    resolved.is_none_or(|r| {
        (r.starts_with("https://") || r.starts_with("http://")) && r.contains(".tgz")
    })
}

/// Strip YAML quotes from a key or scalar.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('\'')
        .and_then(|x| x.strip_suffix('\''))
        .or_else(|| s.strip_prefix('"').and_then(|x| x.strip_suffix('"')))
        .unwrap_or(s)
}

/// `name@version` (scoped names start with `@`).
fn split_at_version(spec: &str) -> Option<(&str, &str)> {
    let i = spec.rfind('@').filter(|&i| i > 0)?;
    Some((&spec[..i], &spec[i + 1..]))
}

/// pnpm-lock.yaml: the keys of the top-level `packages:` mapping.
/// v5: `/name/1.2.3` or `/@scope/name/1.2.3_peer`; v6: `/name@1.2.3(peer)`;
/// v9: `name@1.2.3`. Keys are indented by two spaces, one per line.
fn pnpm(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    let mut in_packages = false;
    for (i, line) in text.lines().enumerate() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_packages = line.trim_end() == "packages:";
            continue;
        }
        if !in_packages {
            continue;
        }
        let Some(key) = line.strip_prefix("  ").filter(|k| !k.starts_with(' ')) else {
            continue;
        };
        let Some(key) = key.trim_end().strip_suffix(':').or_else(|| {
            // `key: {…}` on one line (v9 snapshots style).
            key.split_once(": ").map(|(k, _)| k)
        }) else {
            continue;
        };
        let key = unquote(key);
        // Peer-dependency suffixes: `(react@18.2.0)` (v6+) and `_react@18.2.0` (v5).
        let key = key.split('(').next().unwrap_or(key);
        let bare = key.trim_start_matches('/');
        let v5 = key.starts_with('/')
            && bare.rsplit_once('/').is_some_and(|(n, v)| {
                !n.get(1..).unwrap_or("").contains('@')
                    && v.starts_with(|c: char| c.is_ascii_digit())
            });
        let (name, version) = if v5 {
            // v5: `/name/version`, `/@scope/name/version_peer`.
            let Some((name, version)) = bare.rsplit_once('/') else {
                continue;
            };
            (name, version.split('_').next().unwrap_or(version))
        } else {
            let Some(nv) = split_at_version(bare) else {
                continue;
            };
            nv
        };
        // Tarballs, git and links have no registry version.
        if !version.starts_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        out.push(locked(Ecosystem::Npm, name, version, i + 1));
    }
    out
}

/// yarn.lock, classic (v1) and berry (v2+): an unindented header line of
/// one or more comma-separated specs (`lodash@^4.17.0, lodash@^4.17.2:`,
/// `"lodash@npm:^4.17.0":`), then an indented `version "4.17.21"` (v1) or
/// `version: 4.17.21` (berry). The header is the entry's line.
fn yarn(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    let mut current: Option<(String, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if !line.starts_with(' ') {
            current = None;
            let Some(header) = line.trim_end().strip_suffix(':') else {
                continue;
            };
            // berry quotes the whole header, classic each spec.
            let first = header.split(',').next().unwrap_or(header).trim();
            let first = first.trim_matches('"');
            let Some((name, range)) = split_at_version(first) else {
                continue;
            };
            // berry's protocols: only `npm:` is the registry.
            if range.contains(':') && !range.starts_with("npm:") {
                continue;
            }
            // `name@npm:…`: the name may be scoped, `@scope/x@npm:^1`.
            let name = name.split("@npm:").next().unwrap_or(name);
            current = Some((name.to_string(), i + 1));
            continue;
        }
        let t = line.trim();
        let value = t
            .strip_prefix("version ")
            .or_else(|| t.strip_prefix("version:"));
        if let (Some(v), Some((name, at))) = (value, current.take()) {
            let v = unquote(v);
            if v.starts_with(|c: char| c.is_ascii_digit()) {
                out.push(locked(Ecosystem::Npm, &name, v, at));
            }
        }
    }
    out
}

/// go.sum: `module version hash` and `module version/go.mod hash` lines.
/// The highest version of each module with its content hash is the one
/// the build selected; `/go.mod`-only lines are modules the graph merely
/// read.
fn go_sum(text: &str) -> Vec<Dep> {
    let mut best: BTreeMap<&str, (&str, usize)> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let mut it = line.split_whitespace();
        let (Some(module), Some(version)) = (it.next(), it.next()) else {
            continue;
        };
        if version.ends_with("/go.mod") {
            continue;
        }
        let newer = match best.get(module) {
            Some((old, _)) => {
                crate::version::compare(Ecosystem::Go, version, old).is_some_and(|o| o.is_gt())
            }
            None => true,
        };
        if newer {
            best.insert(module, (version, i + 1));
        }
    }
    best.into_iter()
        .map(|(m, (v, line))| locked(Ecosystem::Go, m, v, line))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(deps: &[Dep]) -> Vec<(String, String, usize)> {
        deps.iter()
            .map(|d| (d.name.clone(), d.req.clone().unwrap_or_default(), d.line))
            .collect()
    }

    fn t(name: &str, req: &str, line: usize) -> (String, String, usize) {
        (name.into(), req.into(), line)
    }

    #[test]
    fn cargo_lock_registry_packages_only() {
        let text = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"x\"\n\n[[package]]\nname = \"forked\"\nversion = \"1.0.0\"\nsource = \"git+https://example.com/f.git#abc\"\n";
        assert_eq!(
            found(&parse("Cargo.lock", text)),
            vec![t("smallvec", "=1.6.0", 8)]
        );
    }

    #[test]
    fn uv_and_poetry_locks() {
        let uv = "version = 1\nrequires-python = \">=3.9\"\n\n[[package]]\nname = \"flask-example-celery\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n\n[[package]]\nname = \"jinja2\"\nversion = \"3.1.4\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        assert_eq!(
            found(&parse("uv.lock", uv)),
            vec![t("jinja2", "==3.1.4", 10)]
        );
        let poetry = "[[package]]\nname = \"jinja2\"\nversion = \"3.1.2\"\ndescription = \"x\"\n\n[[package]]\nname = \"mylib\"\nversion = \"0.1\"\n\n[package.source]\ntype = \"git\"\nurl = \"https://example.com/mylib.git\"\n";
        assert_eq!(
            found(&parse("poetry.lock", poetry)),
            vec![t("jinja2", "==3.1.2", 2)]
        );
    }

    #[test]
    fn package_lock_v1_v2_v3() {
        let v3 = "{\n  \"name\": \"lodash-app\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\n      \"dependencies\": {\"lodash\": \"^4.17.0\"}\n    },\n    \"node_modules/lodash\": {\n      \"version\": \"4.17.20\",\n      \"resolved\": \"https://registry.npmjs.org/lodash/-/lodash-4.17.20.tgz\"\n    },\n    \"node_modules/a/node_modules/@s/b\": {\n      \"version\": \"1.0.0\"\n    },\n    \"node_modules/mine\": {\"resolved\": \"packages/mine\", \"link\": true}\n  }\n}\n";
        assert_eq!(
            found(&parse("package-lock.json", v3)),
            vec![t("lodash", "4.17.20", 8), t("@s/b", "1.0.0", 12)]
        );
        let v1 = "{\n  \"lockfileVersion\": 1,\n  \"dependencies\": {\n    \"a\": {\n      \"version\": \"1.0.0\",\n      \"dependencies\": {\n        \"lodash\": {\"version\": \"4.17.20\"}\n      }\n    },\n    \"alias\": {\"version\": \"npm:lodash@4.17.4\"},\n    \"g\": {\"version\": \"git+https://example.com/g.git#abc\"}\n  }\n}\n";
        assert_eq!(
            found(&parse("package-lock.json", v1)),
            vec![
                t("a", "1.0.0", 4),
                t("lodash", "4.17.20", 7),
                t("lodash", "4.17.4", 10)
            ]
        );
    }

    #[test]
    fn pnpm_lock_v5_v6_v9() {
        let v5 = "lockfileVersion: 5.4\n\nspecifiers:\n  lodash: ^4.17.0\n\npackages:\n\n  /lodash/4.17.20:\n    resolution: {integrity: sha512-x}\n\n  /@babel/core/7.1.0_react@18.2.0:\n    resolution: {integrity: sha512-y}\n";
        assert_eq!(
            found(&parse("pnpm-lock.yaml", v5)),
            vec![t("lodash", "4.17.20", 8), t("@babel/core", "7.1.0", 11)]
        );
        let v6 = "lockfileVersion: '6.0'\n\npackages:\n\n  /lodash@4.17.20:\n    resolution: {integrity: sha512-x}\n\n  /@babel/core@7.1.0(react@18.2.0):\n    dev: true\n";
        assert_eq!(
            found(&parse("pnpm-lock.yaml", v6)),
            vec![t("lodash", "4.17.20", 5), t("@babel/core", "7.1.0", 8)]
        );
        let v9 = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      lodash:\n        specifier: ^4.17.0\n        version: 4.17.20\n\npackages:\n\n  lodash@4.17.20:\n    resolution: {integrity: sha512-x}\n\n  '@scope/x@1.2.3':\n    resolution: {integrity: sha512-z}\n\n  g@https://codeload.github.com/a/b/tar.gz/abc:\n    resolution: {tarball: x}\n\nsnapshots:\n\n  lodash@4.17.20: {}\n";
        assert_eq!(
            found(&parse("pnpm-lock.yaml", v9)),
            vec![t("lodash", "4.17.20", 13), t("@scope/x", "1.2.3", 16)]
        );
    }

    #[test]
    fn yarn_classic_and_berry() {
        let v1 = "# THIS IS AN AUTOGENERATED FILE.\n# yarn lockfile v1\n\n\n\"@babel/core@^7.0.0\", \"@babel/core@^7.1.0\":\n  version \"7.1.0\"\n  resolved \"https://registry.yarnpkg.com/@babel/core/-/core-7.1.0.tgz\"\n\nlodash@^4.17.0, lodash@^4.17.2:\n  version \"4.17.20\"\n  resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.20.tgz\"\n  dependencies:\n    version \"9\"\n\nmine@file:../mine:\n  version \"1.0.0\"\n";
        assert_eq!(
            found(&parse("yarn.lock", v1)),
            vec![t("@babel/core", "7.1.0", 5), t("lodash", "4.17.20", 9)]
        );
        let berry = "__metadata:\n  version: 6\n  cacheKey: 8\n\n\"lodash@npm:^4.17.0\":\n  version: 4.17.20\n  resolution: \"lodash@npm:4.17.20\"\n\n\"@s/x@npm:1.0.0, @s/x@npm:^1.0.0\":\n  version: 1.0.0\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n";
        assert_eq!(
            found(&parse("yarn.lock", berry)),
            vec![t("lodash", "4.17.20", 5), t("@s/x", "1.0.0", 9)]
        );
    }

    #[test]
    fn go_sum_selected_versions() {
        let text = "golang.org/x/net v0.17.0 h1:a=\ngolang.org/x/net v0.17.0/go.mod h1:b=\ngolang.org/x/net v0.20.0 h1:c=\ngolang.org/x/net v0.20.0/go.mod h1:d=\ngithub.com/only/gomod v1.0.0/go.mod h1:e=\n";
        assert_eq!(
            found(&parse("go.sum", text)),
            vec![t("golang.org/x/net", "v0.20.0", 3)]
        );
    }
}
