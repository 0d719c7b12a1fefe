//! Packages an install command would fetch, from its argv (the shell
//! analysis has already unwrapped `sudo`, `env`, `bash -c` and friends).

use crate::ecosystem::Ecosystem;
use crate::manifest::{Dep, Origin, pep508};

/// Options of the installers that take a value (so the value is not a package).
const VALUE_OPTS: &[&str] = &[
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "--target",
    "-t",
    "--prefix",
    "--root",
    "--python",
    "-p",
    "--registry",
    "--tag",
    "--branch",
    "--rev",
    "--rename",
    "--features",
    "-F",
    "--version",
    "--vers",
    "--group",
    "-G",
    "--source",
    "--path",
    "--git",
    "--cache-dir",
    "--save-prefix",
    "-w",
    "--workspace",
    "--filter",
    "--package",
    "--manifest-path",
];

fn packages(args: &[String], skip: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut it = args.iter().skip(skip);
    while let Some(a) = it.next() {
        if VALUE_OPTS.contains(&a.as_str()) {
            it.next();
            continue;
        }
        if a.starts_with('-') {
            continue;
        }
        out.push(a.as_str());
    }
    out
}

fn direct(spec: &str) -> bool {
    spec.contains("://")
        || spec.starts_with("git+")
        || spec.starts_with("git@")
        || spec.starts_with("github:")
}

fn npm_dep(spec: &str) -> Option<Dep> {
    if spec.starts_with('.') || spec.starts_with('/') || spec.ends_with(".tgz") && !direct(spec) {
        return None;
    }
    if direct(spec) || (spec.contains('/') && !spec.starts_with('@')) {
        return Some(Dep {
            ecosystem: Ecosystem::Npm,
            name: spec.to_string(),
            req: None,
            origin: Origin::Direct(spec.to_string()),
            line: 0,
            locked: false,
        });
    }
    let (name, req) = match spec.rfind('@').filter(|&i| i > 0) {
        Some(i) => (&spec[..i], Some(spec[i + 1..].to_string())),
        None => (spec, None),
    };
    Some(Dep {
        ecosystem: Ecosystem::Npm,
        name: name.to_string(),
        req,
        origin: Origin::Registry,
        line: 0,
        locked: false,
    })
}

fn pypi_dep(spec: &str) -> Option<Dep> {
    if spec.starts_with('.') || spec.starts_with('/') || spec.ends_with(".whl") && !direct(spec) {
        return None;
    }
    if direct(spec) {
        return Some(Dep {
            ecosystem: Ecosystem::PyPI,
            name: spec.to_string(),
            req: None,
            origin: Origin::Direct(spec.to_string()),
            line: 0,
            locked: false,
        });
    }
    pep508(spec, 0)
}

/// The dependencies an install command names (empty for anything else).
pub fn from_argv(argv: &[String]) -> Vec<Dep> {
    let prog = argv
        .first()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .unwrap_or("");
    let sub = |i: usize| argv.get(i).map(String::as_str).unwrap_or("");
    match prog {
        "pip" | "pip3" | "pipx" if matches!(sub(1), "install" | "inject" | "run") => {
            let mut out: Vec<Dep> = packages(argv, 2).into_iter().filter_map(pypi_dep).collect();
            // `pip install -e git+https://…`
            for w in argv.windows(2) {
                if (w[0] == "-e" || w[0] == "--editable") && direct(&w[1]) {
                    out.push(Dep {
                        ecosystem: Ecosystem::PyPI,
                        name: w[1].clone(),
                        req: None,
                        origin: Origin::Direct(w[1].clone()),
                        line: 0,
                        locked: false,
                    });
                }
            }
            out
        }
        "python" | "python3" if sub(1) == "-m" && sub(2) == "pip" && sub(3) == "install" => {
            packages(argv, 4).into_iter().filter_map(pypi_dep).collect()
        }
        "uv" if sub(1) == "add" || (sub(1) == "pip" && sub(2) == "install") => {
            let skip = if sub(1) == "add" { 2 } else { 3 };
            packages(argv, skip)
                .into_iter()
                .filter_map(pypi_dep)
                .collect()
        }
        "uvx" => packages(argv, 1)
            .into_iter()
            .take(1)
            .filter_map(pypi_dep)
            .collect(),
        "poetry" | "pdm" | "rye" | "hatch" if sub(1) == "add" => {
            packages(argv, 2).into_iter().filter_map(pypi_dep).collect()
        }
        "npm" | "pnpm" | "yarn" | "bun" => {
            let install = matches!(
                sub(1),
                "install"
                    | "i"
                    | "in"
                    | "ins"
                    | "inst"
                    | "insta"
                    | "instal"
                    | "isnt"
                    | "isnta"
                    | "isntal"
                    | "isntall"
                    | "add"
            );
            if install {
                packages(argv, 2).into_iter().filter_map(npm_dep).collect()
            } else if matches!(sub(1), "exec" | "x" | "dlx") {
                packages(argv, 2)
                    .into_iter()
                    .take(1)
                    .filter_map(npm_dep)
                    .collect()
            } else {
                Vec::new()
            }
        }
        "npx" | "pnpx" | "bunx" => packages(argv, 1)
            .into_iter()
            .take(1)
            .filter_map(npm_dep)
            .collect(),
        "cargo" if matches!(sub(1), "add" | "install") => {
            let mut out: Vec<Dep> = Vec::new();
            if let Some(i) = argv.iter().position(|a| a == "--git") {
                let url = sub(i + 1).to_string();
                out.push(Dep {
                    ecosystem: Ecosystem::CratesIo,
                    name: url.clone(),
                    req: None,
                    origin: Origin::Direct(url),
                    line: 0,
                    locked: false,
                });
            }
            if argv.iter().any(|a| a == "--path" || a == "--git") {
                return out;
            }
            for spec in packages(argv, 2) {
                let (name, req) = match spec.split_once('@') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (spec, None),
                };
                if name.starts_with('+') {
                    continue;
                }
                out.push(Dep {
                    ecosystem: Ecosystem::CratesIo,
                    name: name.to_string(),
                    req,
                    origin: Origin::Registry,
                    line: 0,
                    locked: false,
                });
            }
            out
        }
        "go" if matches!(sub(1), "get" | "install") => packages(argv, 2)
            .into_iter()
            .filter(|s| s.contains('.') && !s.starts_with('.'))
            .map(|spec| {
                let (name, req) = match spec.split_once('@') {
                    Some((n, v)) => (n, Some(v.to_string())),
                    None => (spec, None),
                };
                Dep {
                    ecosystem: Ecosystem::Go,
                    name: name.to_string(),
                    req,
                    origin: Origin::Registry,
                    line: 0,
                    locked: false,
                }
            })
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn installers() {
        let d = from_argv(&argv("pip install -U reqeusts==2.0 -r req.txt flask"));
        assert_eq!(
            d.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
            vec!["reqeusts", "flask"]
        );
        assert_eq!(d[0].req.as_deref(), Some("==2.0"));
        let d = from_argv(&argv("npm i -D @types/node@20 lodahs"));
        assert_eq!(
            d.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
            vec!["@types/node", "lodahs"]
        );
        let d = from_argv(&argv("cargo add serde@1 tokio --features full"));
        assert_eq!(d.len(), 2);
        let d = from_argv(&argv("go get github.com/pkg/errors@v0.9.1"));
        assert_eq!(d[0].req.as_deref(), Some("v0.9.1"));
        let d = from_argv(&argv("pip install git+https://github.com/x/y.git"));
        assert!(matches!(d[0].origin, Origin::Direct(_)));
        assert!(from_argv(&argv("npm test")).is_empty());
        assert!(from_argv(&argv("pip list")).is_empty());
    }
}
