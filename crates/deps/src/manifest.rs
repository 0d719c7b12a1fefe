//! Dependencies named in manifests. Parsers are lenient: an Edit's new
//! text is often a fragment of the file, so a manifest that does not parse
//! as a whole is read line by line instead of being skipped.

use serde_json::Value;
use toml::de::{DeTable, DeValue};

use crate::ecosystem::Ecosystem;

/// Where a dependency comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Registry,
    /// A git repository, or a URL that bypasses the registry.
    Direct(String),
    /// A local path: nothing to check.
    Path,
}

/// One dependency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dep {
    pub ecosystem: Ecosystem,
    /// The registry name (after renames: `package = "serde"`, `npm:real@1`).
    pub name: String,
    /// The requirement as written (`^1.2`, `==2.0.1`), if any.
    pub req: Option<String>,
    pub origin: Origin,
    /// 1-based line in the manifest (0 when unknown, e.g. from a command).
    pub line: usize,
    /// From a lockfile: `req` is the resolved version, and only the
    /// version checks apply (the names were chosen in the manifest).
    pub locked: bool,
}

/// The manifest kind of a path, if it is one.
pub fn kind(path: &str) -> Option<Ecosystem> {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "Cargo.toml" => Some(Ecosystem::CratesIo),
        "package.json" => Some(Ecosystem::Npm),
        "pyproject.toml" => Some(Ecosystem::PyPI),
        "go.mod" => Some(Ecosystem::Go),
        n if crate::lockfile::kind(n).is_some() => crate::lockfile::kind(n),
        n if n.ends_with(".txt")
            && (n.starts_with("requirements") || n.contains("requirements")) =>
        {
            Some(Ecosystem::PyPI)
        }
        n if n.ends_with(".in") && n.starts_with("requirements") => Some(Ecosystem::PyPI),
        _ => None,
    }
}

/// Whether a path names a manifest ztguard reads.
pub fn is_manifest(path: &str) -> bool {
    kind(path).is_some()
}

/// Parse a manifest's text (whole or a fragment). Not a manifest: empty.
pub fn parse_manifest(path: &str, text: &str) -> Vec<Dep> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if crate::lockfile::kind(name).is_some() {
        return crate::lockfile::parse(name, text);
    }
    match kind(path) {
        Some(Ecosystem::CratesIo) => cargo(text),
        Some(Ecosystem::Npm) => package_json(text),
        Some(Ecosystem::PyPI) if name == "pyproject.toml" => pyproject(text),
        Some(Ecosystem::PyPI) => requirements(text),
        Some(Ecosystem::Go) => go_mod(text),
        None => Vec::new(),
    }
}

/// A table inside a table.
fn sub_table<'a, 'i>(t: &'a DeTable<'i>, key: &str) -> Option<&'a DeTable<'i>> {
    t.get(key).and_then(|v| v.get_ref().as_table())
}

/// The 1-based line of a byte offset.
pub(crate) fn line_at(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn cargo(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    let Ok(doc) = DeTable::parse(text) else {
        return cargo_lines(text);
    };
    let doc = doc.get_ref();
    let sections = [
        "dependencies",
        "dev-dependencies",
        "build-dependencies",
        "workspace",
        "target",
        "package",
    ];
    if !sections.iter().any(|k| doc.contains_key(*k)) {
        // A fragment of a dependency table.
        return cargo_lines(text);
    }
    let table = sub_table;
    let mut tables: Vec<&DeTable<'_>> = Vec::new();
    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
        tables.extend(table(doc, key));
    }
    if let Some(ws) = table(doc, "workspace") {
        tables.extend(table(ws, "dependencies"));
    }
    if let Some(targets) = table(doc, "target") {
        for (_, t) in targets.iter() {
            let Some(t) = t.get_ref().as_table() else {
                continue;
            };
            for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                tables.extend(table(t, key));
            }
        }
    }
    for t in tables {
        for (key, spec) in t.iter() {
            let key_name = key.get_ref().to_string();
            let (name, req, origin) = match spec.get_ref() {
                DeValue::String(v) => (key_name, Some(v.to_string()), Origin::Registry),
                DeValue::Table(s) => {
                    let field = |k: &str| s.get(k).and_then(|v| v.get_ref().as_str());
                    if s.get("workspace").and_then(|v| v.get_ref().as_bool()) == Some(true) {
                        continue;
                    }
                    let name = field("package").map_or(key_name, str::to_string);
                    let req = field("version").map(str::to_string);
                    let origin = if let Some(g) = field("git") {
                        Origin::Direct(g.to_string())
                    } else if s.contains_key("path") {
                        Origin::Path
                    } else {
                        Origin::Registry
                    };
                    (name, req, origin)
                }
                _ => continue,
            };
            out.push(Dep {
                ecosystem: Ecosystem::CratesIo,
                line: line_at(text, key.span().start),
                name,
                req,
                origin,
                locked: false,
            });
        }
    }
    out.sort_by_key(|d| d.line);
    out
}

/// `name = "1.0"` / `name = { version = "1" }` lines of a fragment.
fn cargo_lines(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') || t.starts_with('#') {
            continue;
        }
        let Ok(one) = t.parse::<toml::Table>() else {
            continue;
        };
        let mut deps = cargo(&format!("[dependencies]\n{t}"));
        for d in &mut deps {
            d.line = i + 1;
        }
        if !one.is_empty() {
            out.extend(deps.into_iter().filter(|d| {
                !matches!(
                    d.name.as_str(),
                    "name"
                        | "version"
                        | "edition"
                        | "authors"
                        | "license"
                        | "description"
                        | "workspace"
                        | "path"
                        | "features"
                        | "default"
                )
            }));
        }
    }
    out
}

fn npm_spec(key: &str, spec: &str) -> (String, Option<String>, Origin) {
    if let Some(alias) = spec.strip_prefix("npm:") {
        // `npm:real-name@range`
        let (name, req) = match alias.rfind('@').filter(|&i| i > 0) {
            Some(i) => (&alias[..i], Some(alias[i + 1..].to_string())),
            None => (alias, None),
        };
        return (name.to_string(), req, Origin::Registry);
    }
    if spec.starts_with("file:")
        || spec.starts_with("link:")
        || spec.starts_with("./")
        || spec.starts_with("../")
        || spec.starts_with("workspace:")
    {
        return (key.to_string(), None, Origin::Path);
    }
    let direct = spec.contains("://")
        || spec.starts_with("git+")
        || spec.starts_with("github:")
        || spec.starts_with("git@")
        || (spec.contains('/')
            && !spec.starts_with('@')
            && !spec.contains(' ')
            && !spec.starts_with(|c: char| c.is_ascii_digit() || "^~<>=*".contains(c)));
    if direct {
        return (key.to_string(), None, Origin::Direct(spec.to_string()));
    }
    (key.to_string(), Some(spec.to_string()), Origin::Registry)
}

fn package_json(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    let Ok(doc) = serde_json::from_str::<Value>(text) else {
        // A fragment: `"name": "range",` lines.
        for (i, line) in text.lines().enumerate() {
            let t = line.trim().trim_end_matches(',');
            let Ok(Value::Object(o)) = serde_json::from_str::<Value>(&format!("{{{t}}}")) else {
                continue;
            };
            for (k, v) in o {
                let Some(spec) = v.as_str() else { continue };
                if [
                    "name",
                    "version",
                    "description",
                    "main",
                    "license",
                    "type",
                    "module",
                    "author",
                    "homepage",
                ]
                .contains(&k.as_str())
                    || k.contains(' ')
                {
                    continue;
                }
                let (name, req, origin) = npm_spec(&k, spec);
                out.push(Dep {
                    ecosystem: Ecosystem::Npm,
                    name,
                    req,
                    origin,
                    line: i + 1,
                    locked: false,
                });
            }
        }
        return out;
    };
    let lines = crate::json_lines::key_lines(text);
    for key in [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ] {
        let Some(obj) = doc.get(key).and_then(Value::as_object) else {
            continue;
        };
        for (k, v) in obj {
            let Some(spec) = v.as_str() else { continue };
            let (name, req, origin) = npm_spec(k, spec);
            out.push(Dep {
                ecosystem: Ecosystem::Npm,
                line: lines
                    .get(&vec![key.to_string(), k.clone()])
                    .copied()
                    .unwrap_or(0),
                name,
                req,
                origin,
                locked: false,
            });
        }
    }
    out
}

/// One PEP 508 requirement: `name[extra] >=1.0 ; marker`, `name @ url`.
pub(crate) fn pep508(spec: &str, line: usize) -> Option<Dep> {
    let spec = spec.split(';').next()?.trim();
    if spec.is_empty() {
        return None;
    }
    let name_len = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_len];
    if name.is_empty() {
        return None;
    }
    let mut rest = spec[name_len..].trim();
    if rest.starts_with('[') {
        rest = rest.find(']').map_or("", |i| rest[i + 1..].trim());
    }
    if let Some(url) = rest.strip_prefix('@') {
        return Some(Dep {
            ecosystem: Ecosystem::PyPI,
            name: name.to_string(),
            req: None,
            origin: Origin::Direct(url.trim().to_string()),
            line,
            locked: false,
        });
    }
    let req = rest.trim_matches(['(', ')']).trim();
    Some(Dep {
        ecosystem: Ecosystem::PyPI,
        name: name.to_string(),
        req: (!req.is_empty()).then(|| req.to_string()),
        origin: Origin::Registry,
        line,
        locked: false,
    })
}

fn requirements(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or(raw).trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with('-') {
            // -e <vcs/url>, -r other.txt, --index-url …: an editable VCS install bypasses the registry.
            let arg = line.split_whitespace().nth(1).unwrap_or("");
            if (line.starts_with("-e") || line.starts_with("--editable")) && arg.contains("://") {
                out.push(Dep {
                    ecosystem: Ecosystem::PyPI,
                    name: arg.rsplit("egg=").next().unwrap_or(arg).to_string(),
                    req: None,
                    origin: Origin::Direct(arg.to_string()),
                    line: i + 1,
                    locked: false,
                });
            }
            continue;
        }
        if line.contains("://") && !line.contains(" @ ") {
            out.push(Dep {
                ecosystem: Ecosystem::PyPI,
                name: line.rsplit('/').next().unwrap_or(line).to_string(),
                req: None,
                origin: Origin::Direct(line.to_string()),
                line: i + 1,
                locked: false,
            });
            continue;
        }
        out.extend(pep508(line, i + 1));
    }
    out
}

fn pyproject(text: &str) -> Vec<Dep> {
    let Ok(doc) = DeTable::parse(text) else {
        // A fragment: quoted requirement strings.
        return text
            .lines()
            .enumerate()
            .filter_map(|(i, l)| {
                let t = l.trim().trim_end_matches(',');
                let s = t.strip_prefix('"')?.strip_suffix('"')?;
                pep508(s, i + 1)
            })
            .collect();
    };
    let doc = doc.get_ref();
    let table = sub_table;
    // Each requirement string with the line it is written on.
    let mut specs: Vec<(String, usize)> = Vec::new();
    let mut strings = |v: Option<&toml::Spanned<DeValue<'_>>>| {
        for x in v
            .and_then(|v| v.get_ref().as_array())
            .map(|a| a.iter())
            .into_iter()
            .flatten()
        {
            if let Some(s) = x.get_ref().as_str() {
                specs.push((s.to_string(), line_at(text, x.span().start)));
            }
        }
    };
    if let Some(p) = table(doc, "project") {
        strings(p.get("dependencies"));
        if let Some(opt) = table(p, "optional-dependencies") {
            for (_, v) in opt.iter() {
                strings(Some(v));
            }
        }
    }
    if let Some(groups) = table(doc, "dependency-groups") {
        for (_, v) in groups.iter() {
            strings(Some(v));
        }
    }
    if let Some(b) = table(doc, "build-system") {
        strings(b.get("requires"));
    }
    let mut out: Vec<Dep> = specs
        .iter()
        .filter_map(|(s, line)| pep508(s, *line))
        .collect();
    let poetry = table(doc, "tool")
        .and_then(|t| table(t, "poetry"))
        .and_then(|p| table(p, "dependencies"));
    if let Some(poetry) = poetry {
        for (k, v) in poetry.iter() {
            let k_name = k.get_ref().to_string();
            if k_name == "python" {
                continue;
            }
            let (req, origin) = match v.get_ref() {
                DeValue::String(s) => (Some(s.to_string()), Origin::Registry),
                DeValue::Table(t) => {
                    let field = |f: &str| t.get(f).and_then(|v| v.get_ref().as_str());
                    match field("git") {
                        Some(g) => (None, Origin::Direct(g.to_string())),
                        None if t.contains_key("path") => (None, Origin::Path),
                        None => (field("version").map(str::to_string), Origin::Registry),
                    }
                }
                _ => continue,
            };
            out.push(Dep {
                ecosystem: Ecosystem::PyPI,
                name: k_name,
                req: req.map(|r| poetry_req(&r)),
                origin,
                line: line_at(text, k.span().start),
                locked: false,
            });
        }
    }
    out
}

/// Poetry's `^1.2` / `~1.2` / `1.2.*` constraints as PEP 440 specifiers
/// (`^1.2` → `>=1.2,<2.0`; a bare `1.2.3` is exact).
fn poetry_req(r: &str) -> String {
    let r = r.trim();
    let bump = |v: &str, caret: bool| -> Option<String> {
        let parts: Vec<u64> = v
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        let mut upper = parts.clone();
        let idx = if caret {
            parts
                .iter()
                .position(|&p| p != 0)
                .unwrap_or(parts.len() - 1)
        } else if parts.len() > 1 {
            1
        } else {
            0
        };
        upper.truncate(idx + 1);
        *upper.last_mut()? += 1;
        let u: Vec<String> = upper.iter().map(u64::to_string).collect();
        Some(format!(">={v},<{}", u.join(".")))
    };
    if let Some(v) = r.strip_prefix('^') {
        return bump(v.trim(), true).unwrap_or_else(|| r.to_string());
    }
    if let Some(v) = r.strip_prefix('~').filter(|v| !v.starts_with('=')) {
        return bump(v.trim(), false).unwrap_or_else(|| r.to_string());
    }
    if r.starts_with(|c: char| c.is_ascii_digit()) && !r.contains(['*', ',', ' ']) {
        return format!("=={r}");
    }
    r.to_string()
}

fn go_mod(text: &str) -> Vec<Dep> {
    let mut out = Vec::new();
    let mut in_require = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or(raw).trim();
        if line.starts_with("require (") {
            in_require = true;
            continue;
        }
        if in_require && line == ")" {
            in_require = false;
            continue;
        }
        let spec = if in_require {
            line
        } else if let Some(r) = line.strip_prefix("require ") {
            r.trim()
        } else {
            continue;
        };
        let mut it = spec.split_whitespace();
        let (Some(path), Some(version)) = (it.next(), it.next()) else {
            continue;
        };
        out.push(Dep {
            ecosystem: Ecosystem::Go,
            name: path.to_string(),
            req: Some(version.to_string()),
            origin: Origin::Registry,
            line: i + 1,
            locked: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(d: &[Dep]) -> Vec<&str> {
        d.iter().map(|d| d.name.as_str()).collect()
    }

    #[test]
    fn cargo_manifest_with_renames_git_and_targets() {
        let d = parse_manifest(
            "Cargo.toml",
            "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\"\nmy_json = { package = \"serde_json\", version = \"1.0\" }\nlocal = { path = \"../l\" }\nfromgit = { git = \"https://example.com/r.git\" }\n\n[target.'cfg(unix)'.dependencies]\nlibc = \"0.2\"\n",
        );
        assert_eq!(
            names(&d),
            vec!["serde", "serde_json", "local", "fromgit", "libc"]
        );
        assert_eq!(d[1].req.as_deref(), Some("1.0"));
        assert_eq!(d[2].origin, Origin::Path);
        assert!(matches!(d[3].origin, Origin::Direct(_)));
        assert_eq!(d[0].line, 5);
    }

    #[test]
    fn package_json_aliases_and_urls() {
        let d = parse_manifest(
            "web/package.json",
            r#"{"dependencies":{"lodash":"^4.17.0","fake":"npm:react@18.2.0","x":"github:user/repo"},"devDependencies":{"jest":"29"}}"#,
        );
        assert_eq!(names(&d), vec!["lodash", "react", "x", "jest"]);
        assert_eq!(d[1].req.as_deref(), Some("18.2.0"));
        assert!(matches!(d[2].origin, Origin::Direct(_)));
    }

    #[test]
    fn fragments_are_read_line_by_line() {
        let d = parse_manifest("package.json", "    \"reqeusts\": \"^1.0.0\",\n");
        assert_eq!(names(&d), vec!["reqeusts"]);
        let d = parse_manifest("Cargo.toml", "serde_jsn = \"1\"\n");
        assert_eq!(names(&d), vec!["serde_jsn"]);
    }

    #[test]
    fn requirements_and_pyproject() {
        let d = parse_manifest(
            "requirements-dev.txt",
            "# tools\nrequests[socks]>=2.31 ; python_version > \"3.8\"\n-r base.txt\nDjango==4.2.1  # web\n-e git+https://github.com/a/b.git#egg=b\npkg @ https://example.com/pkg.whl\n",
        );
        assert_eq!(names(&d), vec!["requests", "Django", "b", "pkg"]);
        assert_eq!(d[1].req.as_deref(), Some("==4.2.1"));
        assert!(matches!(d[3].origin, Origin::Direct(_)));
        let d = parse_manifest(
            "pyproject.toml",
            "[project]\ndependencies = [\"httpx>=0.27\", \"pydantic\"]\n[project.optional-dependencies]\ndev = [\"pytest\"]\n",
        );
        assert_eq!(names(&d), vec!["httpx", "pydantic", "pytest"]);
    }

    #[test]
    fn go_mod_requires() {
        let d = parse_manifest(
            "go.mod",
            "module x\n\ngo 1.22\n\nrequire github.com/pkg/errors v0.9.1\nrequire (\n\tgolang.org/x/net v0.20.0 // indirect\n)\n",
        );
        assert_eq!(names(&d), vec!["github.com/pkg/errors", "golang.org/x/net"]);
    }
}
