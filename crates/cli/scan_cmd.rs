//! `ztguard scan`: secrets, insecure code and risky dependencies in files,
//! trees, staged changes, a diff against a revision, or stdin.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::{Context as _, bail};
use ztguard_scan::{Checks, Enabled, Report, Severity, baseline::Baseline, diff, format, walk};

use crate::context;

#[derive(clap::Args)]
#[command(after_help = "Examples:
  ztguard scan                         the current directory (respects .gitignore)
  ztguard scan src tests/config.py     some paths
  ztguard scan --staged                what `git commit` would record (the pre-commit hook)
  ztguard scan --diff origin/main      what a branch adds
  git show HEAD | ztguard scan --stdin --stdin-name HEAD.patch
  ztguard scan --format sarif -o ztguard.sarif    for GitHub code scanning
  ztguard scan --write-baseline .ztguard/baseline.json   accept today's findings (added to the file)
  ztguard scan --write-baseline .ztguard/baseline.json --prune-baseline   and drop fixed ones
  ztguard scan --require-db            fail (exit 2) when the vulnerability database is missing or stale

Paths: tests, fixtures, docs and examples report at lower severity (code checks there
are informational); vendored, generated and minified files get secret checks only. The
class shows as `(test)` in text and `path_class` in JSON; --all-paths turns this off.
`.ztguardignore` (gitignore syntax) skips paths; `.gitleaksignore` fingerprints are honoured.

Inline: `ztguard:ignore[RULE,...]` (or `ztguard:ignore RULE`) silences those rules on its
line, `ztguard:ignore-next-line[RULE]` the next; with no rule it silences code and
dependency findings but never a secret. `ztguard:allow` (or `gitleaks:allow`,
`pragma: allowlist secret`) silences the whole line, `ztguard:allow-next-line` the next.
The hook ignores these comments: the agent writes them too.

Exit status: 0 no findings, 1 findings, 2 error (and, with --require-db, a missing or
stale vulnerability database for an ecosystem the scanned files use).")]
pub struct Args {
    /// Files or directories to scan (default: the current directory).
    paths: Vec<PathBuf>,
    /// Scan the lines staged for commit (git diff --cached).
    #[arg(long, conflicts_with_all = ["diff", "stdin", "paths"])]
    staged: bool,
    /// Scan the lines added since REV (git diff REV).
    #[arg(long, value_name = "REV", conflicts_with_all = ["stdin", "paths"])]
    diff: Option<String>,
    /// Scan standard input (a file, or a unified diff: its added lines).
    #[arg(long, conflicts_with = "paths")]
    stdin: bool,
    /// The file name stdin stands for (selects the language and manifest rules).
    #[arg(long, value_name = "NAME", default_value = "stdin", requires = "stdin")]
    stdin_name: String,
    /// Secret rules in gitleaks format (default: `.gitleaks.toml` at the root if present, else the built-in rules).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// Write the report to FILE instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Accept the findings listed in this baseline (default: .ztguard/baseline.json if present).
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Ignore any baseline.
    #[arg(long, conflicts_with = "baseline")]
    no_baseline: bool,
    /// Add the current findings to the baseline FILE (hashes only; its entries are kept) and exit 0.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,
    /// With --write-baseline: also drop the entries this scan no longer finds (a scan of the whole tree only).
    #[arg(long, requires = "write_baseline")]
    prune_baseline: bool,
    /// Exit 2 when the vulnerability database is missing, lacks an ecosystem the files use, or is stale.
    #[arg(long)]
    require_db: bool,
    /// Only these checks (comma-separated: secrets, code, deps).
    #[arg(long, value_delimiter = ',', value_name = "CHECKS")]
    only: Vec<CheckName>,
    /// Report findings of at least this severity.
    #[arg(long, value_enum, default_value = "medium")]
    min_severity: MinSeverity,
    /// Also scan files that .gitignore excludes.
    #[arg(long)]
    no_ignore: bool,
    /// Treat every path as source: no lower severity for tests, docs and
    /// examples, and code checks on vendored, generated and minified files.
    #[arg(long)]
    all_paths: bool,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j', default_value_t = 0)]
    threads: usize,
    /// Never show the progress line.
    #[arg(long)]
    no_progress: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
    Sarif,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum CheckName {
    Secrets,
    Code,
    Deps,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum MinSeverity {
    Low,
    Medium,
    High,
}

/// The repository root (`git rev-parse --show-toplevel`). Outside a
/// repository `git diff` would fall back to comparing paths, so say so instead.
fn git_root(cwd: &Path) -> anyhow::Result<PathBuf> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(cwd)
        .args(["rev-parse", "--show-toplevel"])
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "--staged and --diff need a git repository, and {} is not in one",
            cwd.display()
        );
    }
    Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn load_rules(config: Option<&Path>, root: &Path) -> anyhow::Result<ztguard_secrets::Ruleset> {
    let path = config
        .map(Path::to_path_buf)
        .or_else(|| Some(root.join(".gitleaks.toml")).filter(|p| p.is_file()));
    let Some(path) = path else {
        return ztguard_secrets::Ruleset::builtin().map_err(anyhow::Error::msg);
    };
    let raw = ztguard_secrets::RawConfig::load(&path)?;
    for note in raw.unsupported() {
        eprintln!("ztguard: note: {}: {note}", path.display());
    }
    let set = ztguard_secrets::Ruleset::new(raw)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("{}", path.display()))?;
    let errors = set.validate();
    if !errors.is_empty() {
        bail!(
            "{}: {} pattern(s) do not compile:\n  {}",
            path.display(),
            errors.len(),
            errors.join("\n  ")
        );
    }
    Ok(set)
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir().context("no current directory")?;
    let root = if args.staged || args.diff.is_some() {
        git_root(&cwd)?
    } else {
        cwd.clone()
    };
    let enabled = if args.only.is_empty() {
        Enabled::default()
    } else {
        Enabled {
            secrets: args.only.contains(&CheckName::Secrets),
            code: args.only.contains(&CheckName::Code),
            deps: args.only.contains(&CheckName::Deps),
        }
    };
    let rules = load_rules(args.config.as_deref(), &root)?;
    if args.prune_baseline {
        // Pruning drops what this scan did not find: it must have looked everywhere.
        let partial = if args.staged {
            Some("--staged")
        } else if args.diff.is_some() {
            Some("--diff")
        } else if args.stdin {
            Some("--stdin")
        } else if !args.paths.is_empty() {
            Some("paths")
        } else if !args.only.is_empty() {
            Some("--only")
        } else {
            None
        };
        if let Some(what) = partial {
            bail!(
                "--prune-baseline needs a scan of the whole tree, and {what} limits it: entries for the rest would be dropped"
            );
        }
    }
    let deps = if enabled.deps {
        let mut c =
            ztguard_deps::Checker::load(&context::data_dir()).map_err(anyhow::Error::msg)?;
        if !args.stdin {
            c.lockfile_root = Some(root.clone());
        }
        Some(c)
    } else {
        None
    };
    let mut checks = Checks::new(rules, enabled, deps);
    checks.path_classes = !args.all_paths;
    checks.inline_ignores = true;
    let ignores = ztguard_scan::suppress::Ignores::load(&root).map_err(anyhow::Error::msg)?;
    let mut report = if args.staged {
        diff::scan_git(&checks, &root, diff::Source::Staged).map_err(anyhow::Error::msg)?
    } else if let Some(rev) = &args.diff {
        diff::scan_git(&checks, &root, diff::Source::Rev(rev)).map_err(anyhow::Error::msg)?
    } else if args.stdin {
        let mut text = String::new();
        std::io::stdin()
            .take(walk::MAX_FILE * 8)
            .read_to_string(&mut text)
            .context("cannot read stdin")?;
        if looks_like_diff(&text) {
            diff::scan_hunks(&checks, &diff::parse(&text))
        } else {
            let (items, ignored) = checks.check_counted(&args.stdin_name, &text);
            Report {
                findings: items,
                ignored,
                files_scanned: 1,
                bytes_scanned: text.len() as u64,
                ..Default::default()
            }
        }
    } else {
        let paths = if args.paths.is_empty() {
            vec![cwd.clone()]
        } else {
            for p in &args.paths {
                if !p.exists() {
                    bail!("{}: no such file or directory", p.display());
                }
            }
            args.paths.clone()
        };
        scan_tree(&checks, &root, &paths, args)
    };
    if let Some(deps) = &checks.deps {
        report.warnings = deps
            .db_warnings(now_secs())
            .into_iter()
            .map(|w| ztguard_scan::Warning {
                code: w.code.to_string(),
                message: w.message,
            })
            .collect();
    }
    // Every fingerprint found, whatever its severity: pruning keeps what still exists.
    let found: std::collections::BTreeSet<String> = report
        .findings
        .iter()
        .map(|f| f.fingerprint.clone())
        .collect();
    let min = match args.min_severity {
        MinSeverity::Low => Severity::Low,
        MinSeverity::Medium => Severity::Medium,
        MinSeverity::High => Severity::High,
    };
    ignores.apply(&mut report);
    report.findings.retain(|f| f.severity >= min);
    report.sort();

    if let Some(path) = &args.write_baseline {
        // Merge, never wipe: a baseline that exists but does not read is an error, not a blank slate.
        let mut baseline = if path.exists() {
            Baseline::load(path).map_err(anyhow::Error::msg)?
        } else {
            Baseline::default()
        };
        let mut update = baseline.merge(&report);
        if args.prune_baseline {
            update.pruned = baseline.prune(&found);
            update.total = baseline.fingerprints();
        }
        baseline.save(path).map_err(anyhow::Error::msg)?;
        let pruned = if args.prune_baseline {
            format!(", {} pruned (no longer found)", update.pruned)
        } else {
            String::new()
        };
        eprintln!(
            "ztguard: baseline {}: {} added, {} already present{pruned}; {} entries (fingerprints only, no secrets)",
            path.display(),
            update.added,
            update.present,
            update.total,
        );
        warn_on_stderr(&report);
        return Ok(ExitCode::SUCCESS);
    }
    if !args.no_baseline {
        let default = root.join(".ztguard/baseline.json");
        let path = args
            .baseline
            .clone()
            .or_else(|| default.is_file().then_some(default));
        if let Some(p) = path {
            Baseline::load(&p)
                .map_err(anyhow::Error::msg)?
                .apply(&mut report);
        }
    }
    let color = args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let text = match args.format {
        Format::Text => format::text(&report, color),
        Format::Json => format::json(&report),
        Format::Sarif => format::sarif(&report, env!("CARGO_PKG_VERSION")),
    };
    if args.output.is_some() || args.format != Format::Text {
        warn_on_stderr(&report);
    }
    match &args.output {
        Some(p) => {
            std::fs::write(p, &text).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            if !text.ends_with('\n') {
                let _ = writeln!(out);
            }
        }
    }
    if !report.errors.is_empty() && report.files_scanned == 0 {
        bail!("nothing could be scanned");
    }
    if args.require_db && !report.warnings.is_empty() {
        bail!(
            "--require-db: the vulnerability database is missing or stale (see the warning above)"
        );
    }
    Ok(ExitCode::from(u8::from(!report.findings.is_empty())))
}

/// The scan's warnings on stderr too, when the report itself goes to a file or a machine format.
fn warn_on_stderr(report: &Report) {
    for w in &report.warnings {
        eprintln!("ztguard: warning: {}", w.message);
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn looks_like_diff(text: &str) -> bool {
    text.lines()
        .take(50)
        .any(|l| l.starts_with("+++ ") || l.starts_with("diff --git "))
}

/// Walk the tree with a progress line on a terminal.
fn scan_tree(checks: &Checks, root: &Path, paths: &[PathBuf], args: &Args) -> Report {
    let progress = walk::Progress::default();
    let opts = walk::WalkOptions {
        threads: args.threads,
        no_ignore: args.no_ignore,
    };
    let show = !args.no_progress && std::io::stderr().is_terminal();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        if show {
            let (progress, done) = (&progress, &done);
            s.spawn(move || spinner(progress, done));
        }
        let report = walk::scan_paths(checks, root, paths, &opts, &progress);
        done.store(true, Ordering::Relaxed);
        report
    })
}

/// A one-line progress display on stderr (a terminal): files and bytes so
/// far, and the elapsed time. Written here rather than with a progress-bar
/// crate: those pull the system libm into the binary, which every hook call
/// would pay for at start-up, for a line that needs none of their features.
fn spinner(progress: &walk::Progress, done: &std::sync::atomic::AtomicBool) {
    const FRAMES: [char; 4] = ['|', '/', '-', '\\'];
    let start = std::time::Instant::now();
    let mut err = std::io::stderr();
    let mut i = 0;
    while !done.load(Ordering::Relaxed) {
        let _ = write!(
            err,
            "\r\x1b[2K{} scanning: {} files, {:.1} MB ({}s)",
            FRAMES[i % FRAMES.len()],
            progress.files.load(Ordering::Relaxed),
            progress.bytes.load(Ordering::Relaxed) as f64 / 1e6,
            start.elapsed().as_secs()
        );
        let _ = err.flush();
        i += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = write!(err, "\r\x1b[2K");
    let _ = err.flush();
}
