//! `ztguard deps`: list and check the dependencies of a project, and keep
//! the offline data (OSV advisories, registry name lists) up to date.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::json;
use ztguard_deps::{Checker, Database, Dep, Ecosystem, Origin, Registry, Store};

use crate::context;

#[derive(clap::Subcommand)]
pub enum Command {
    /// List the dependencies named in the manifests under PATHS.
    #[command(
        after_help = "Manifests: Cargo.toml, package.json, requirements*.txt, pyproject.toml, go.mod.\nLockfiles: Cargo.lock, package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, poetry.lock, uv.lock, go.sum."
    )]
    List(Target),
    /// Check dependencies for known vulnerabilities, malicious packages,
    /// typosquats, unknown names and installs from URLs.
    #[command(after_help = "Examples:
  ztguard deps check
  ztguard deps check web/package.json
  ztguard deps check --command 'pip install reqeusts'
  ztguard deps check --require-db      in CI: fail without a current database

Versions come from the lockfiles when there are some; a manifest range alone is judged
by whether it admits vulnerable versions.

Exit status: 0 nothing found, 1 findings, 2 error (and, with --require-db, a missing or
stale vulnerability database for an ecosystem the project uses).")]
    Check {
        #[command(flatten)]
        target: Target,
        /// Check the packages this install command would fetch instead of manifests.
        #[arg(long, value_name = "COMMAND")]
        command: Option<String>,
        /// Exit 2 when the vulnerability database is missing, lacks an ecosystem in use, or is stale.
        #[arg(long)]
        require_db: bool,
    },
    /// Import OSV advisories and registry name lists for offline checks.
    #[command(after_help = "Examples:
  ztguard deps update --from ~/Downloads/PyPI-all.zip
  ztguard deps update --from ./osv-records/
  ztguard deps update --registry pypi=pypi-names.txt

OSV dumps per ecosystem: https://osv-vulnerabilities.storage.googleapis.com/<ECOSYSTEM>/all.zip
Data lives in $ZTGUARD_DATA_DIR, $XDG_DATA_HOME/ztguard or ~/.local/share/ztguard.")]
    Update {
        /// A directory of OSV JSON records, or a zip of them.
        #[arg(long, value_name = "DIR|ZIP")]
        from: Vec<PathBuf>,
        /// A list of every package name of an ecosystem (one per line): ECOSYSTEM=FILE.
        #[arg(long, value_name = "ECOSYSTEM=FILE")]
        registry: Vec<String>,
        /// Start a new database instead of adding to the current one.
        #[arg(long)]
        replace: bool,
    },
}

#[derive(clap::Args)]
pub struct Target {
    /// Manifests or directories (default: the current directory).
    paths: Vec<PathBuf>,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

/// Manifests under the given paths (gitignore-aware).
fn manifests(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let roots = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    let mut out = Vec::new();
    for root in &roots {
        if !root.exists() {
            bail!("{}: no such file or directory", root.display());
        }
        for entry in ignore::WalkBuilder::new(root).hidden(false).build() {
            let entry = entry?;
            let p = entry.path();
            if entry.file_type().is_some_and(|t| t.is_file())
                && ztguard_deps::is_manifest(&p.to_string_lossy())
            {
                out.push(p.to_path_buf());
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn shown(p: &Path) -> String {
    p.strip_prefix("./")
        .unwrap_or(p)
        .to_string_lossy()
        .into_owned()
}

fn read_deps(paths: &[PathBuf]) -> anyhow::Result<Vec<(String, Dep)>> {
    let mut out = Vec::new();
    for m in manifests(paths)? {
        let text =
            std::fs::read_to_string(&m).with_context(|| format!("cannot read {}", m.display()))?;
        let name = shown(&m);
        for d in ztguard_deps::parse_manifest(&name, &text) {
            out.push((name.clone(), d));
        }
    }
    Ok(out)
}

fn origin(o: &Origin) -> String {
    match o {
        Origin::Registry => "registry".into(),
        Origin::Path => "path".into(),
        Origin::Direct(u) => u.clone(),
    }
}

pub fn run(cmd: &Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::List(t) => {
            let deps = read_deps(&t.paths)?;
            if t.json {
                let v: Vec<_> = deps
                    .iter()
                    .map(|(m, d)| json!({"manifest": m, "line": d.line, "ecosystem": d.ecosystem, "name": d.name, "requirement": d.req, "source": origin(&d.origin)}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                for (m, d) in &deps {
                    println!(
                        "{m}:{}\t{}\t{}\t{}\t{}",
                        d.line,
                        d.ecosystem,
                        d.name,
                        d.req.as_deref().unwrap_or("*"),
                        origin(&d.origin)
                    );
                }
                eprintln!("{} dependencies", deps.len());
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Check {
            target,
            command,
            require_db,
        } => {
            let dir = context::data_dir();
            let mut checker = Checker::load(&dir).map_err(anyhow::Error::msg)?;
            checker.lockfile_root = Some(std::env::current_dir().context("no current directory")?);
            // (where, finding): a manifest path, or None for the command.
            let findings: Vec<(Option<String>, ztguard_deps::Finding)> = match command {
                Some(c) => {
                    let env = ztguard_shell::ShellEnv {
                        home: Some(context::home().to_string_lossy().into_owned()),
                    };
                    let a = ztguard_shell::analyze(c, &env);
                    if let Some(e) = &a.error {
                        bail!("the command does not parse: {e}");
                    }
                    a.commands
                        .iter()
                        .flat_map(|sc| {
                            let argv: Vec<String> = sc
                                .argv
                                .iter()
                                .filter_map(|x| x.values.first().cloned())
                                .collect();
                            checker.check_command(&argv)
                        })
                        .map(|f| (None, f))
                        .collect()
                }
                None => {
                    let mut out = Vec::new();
                    for m in manifests(&target.paths)? {
                        let text = std::fs::read_to_string(&m)
                            .with_context(|| format!("cannot read {}", m.display()))?;
                        let name = shown(&m);
                        for f in checker.check_manifest(&name, &text) {
                            out.push((Some(name.clone()), f));
                        }
                    }
                    out
                }
            };
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let warnings = checker.db_warnings(now);
            let mut notes = Vec::new();
            for eco in checker.ecosystems_seen() {
                if !checker.registry.has_list(eco) {
                    notes.push(format!(
                        "no {eco} registry list: unknown names were not checked (import one with `ztguard deps update --registry`)"
                    ));
                }
            }
            let severity = |f: &ztguard_deps::Finding| match f.severity {
                ztguard_deps::Severity::High => "high",
                ztguard_deps::Severity::Medium => "medium",
                ztguard_deps::Severity::Low => "low",
            };
            if target.json {
                let v: Vec<_> = findings
                    .iter()
                    .map(|(m, f)| {
                        let mut o = json!({"ecosystem": f.ecosystem, "package": f.package, "rule_id": f.rule_id, "severity": severity(f), "cwe": f.cwe, "message": f.message, "fix": f.fix});
                        match m {
                            Some(m) => {
                                o["manifest"] = json!(m);
                                o["line"] = json!(f.line);
                            }
                            None => o["command"] = json!(command),
                        }
                        o
                    })
                    .collect();
                let w: Vec<_> = warnings
                    .iter()
                    .map(|w| json!({"code": w.code, "message": w.message}))
                    .collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"findings": v, "warnings": w, "notes": notes})
                    )?
                );
            } else {
                for (m, f) in &findings {
                    let at = match m {
                        Some(m) => format!("{m}:{}", f.line),
                        None => "command".to_string(),
                    };
                    println!(
                        "{at}: {} [{}] {}\n    fix: {}",
                        severity(f),
                        f.rule_id,
                        f.message,
                        f.fix
                    );
                }
                for w in &warnings {
                    println!("warning: {}", w.message);
                }
                for n in &notes {
                    eprintln!("note: {n}");
                }
                eprintln!("{} finding(s)", findings.len());
            }
            if *require_db && !warnings.is_empty() {
                bail!("--require-db: the vulnerability database is missing or stale");
            }
            Ok(ExitCode::from(u8::from(!findings.is_empty())))
        }
        Command::Update {
            from,
            registry,
            replace,
        } => {
            if from.is_empty() && registry.is_empty() {
                bail!("nothing to import: give --from DIR|ZIP and/or --registry ECOSYSTEM=FILE");
            }
            let dir = context::data_dir();
            if !from.is_empty() {
                let mut db = match (*replace, Store::open(&dir).map_err(anyhow::Error::msg)?) {
                    (false, Some(existing)) => existing.load_all().map_err(anyhow::Error::msg)?,
                    _ => Database::default(),
                };
                for f in from {
                    let stats = db.import(f).map_err(anyhow::Error::msg)?;
                    eprintln!(
                        "{}: {} advisories imported, {} records skipped (other ecosystems, withdrawn or malformed)",
                        f.display(),
                        stats.records,
                        stats.skipped
                    );
                }
                let meta = Store::save(&db, &dir).map_err(anyhow::Error::msg)?;
                let per: Vec<String> = meta
                    .packages
                    .iter()
                    .map(|(e, n)| format!("{e}: {n} packages"))
                    .collect();
                eprintln!(
                    "database {}: {} advisories ({})",
                    dir.join("osv").display(),
                    meta.records,
                    per.join(", ")
                );
            }
            for r in registry {
                let Some((eco, file)) = r.split_once('=') else {
                    bail!("`{r}`: expected ECOSYSTEM=FILE (ecosystems: crates.io, npm, pypi, go)");
                };
                let eco = Ecosystem::from_name(eco).with_context(|| {
                    format!("unknown ecosystem `{eco}` (crates.io, npm, pypi, go)")
                })?;
                let n = Registry::import(&dir, eco, Path::new(file)).map_err(anyhow::Error::msg)?;
                eprintln!("{eco}: {n} package names imported");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
