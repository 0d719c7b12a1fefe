//! Option specs of the tools a policy allows: which options take a value,
//! which values are files read or written, which run a program, load code or
//! configuration, or point the tool at another project.
//!
//! An allowed tool is only as safe as its options: `rg --pre=sh`, `git
//! rebase -x CMD`, `tar --checkpoint-action=exec=CMD`, `make --eval`, `go
//! test -exec`, `sort --compress-program` all run programs through a tool
//! that reads files. Each spec lists the options of one tool (or one
//! subcommand) by what they do. A *closed* spec lists every option the tool
//! has: an option it does not know makes the call ask. An *open* spec lists
//! every option that runs, loads, reads or writes (from the tool's manual),
//! for tools whose remaining options are too many to list and only shape
//! output. Long options may be abbreviated by most parsers (`--use-compress-prog`),
//! so an unknown long option that begins a known one counts as that one;
//! the parsers of some tools spell names more loosely still ([`Names`]).
//!
//! A value can name files inside itself (`pytest --cov-report=xml:PATH`,
//! `mocha --reporter-option output=PATH`, `pytest -o cache_dir=DIR`):
//! [`Spec::inside`] lists them, so a report written onto `.git/hooks` is
//! judged like any other write.

use crate::model::Arg;

/// What an option does with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Takes no value.
    Flag,
    /// Takes a value that is data (a name, a number, a pattern).
    Value,
    /// The value is a file the tool reads.
    Reads,
    /// The value is a file the tool writes.
    Writes,
    /// The value is a directory the tool writes into.
    WritesDir,
    /// The value is a directory the tool deletes, then fills with its own
    /// files (`pytest --basetemp`).
    Recreates,
    /// The option runs a program (its value, or one it names).
    Runs,
    /// The option runs a program and takes no value (`fd -x` takes the rest of the line).
    RunsRest,
    /// The value is code, a plugin or a configuration file the tool loads and obeys.
    Loads,
    /// The value is another project or directory whose build files the tool runs.
    Project,
}

impl Kind {
    fn takes_value(self) -> bool {
        !matches!(self, Kind::Flag | Kind::RunsRest)
    }
}

/// The options of one tool or subcommand.
pub(crate) struct Spec {
    /// `(names, kind)`; names are separated by `|`: `"-x|--exec"`.
    pub opts: &'static [(&'static str, Kind)],
    /// Every option is listed: an unknown one asks.
    pub closed: bool,
    /// Short options bundle (`-xzf`); false for tools whose options are
    /// single-dash words (`gcc -wrapper`, `go test -exec`).
    pub bundles: bool,
    /// Values and operands that run or load something by what they say:
    /// `make SHELL=x`, `go run mod@v`, `cmake -DCMAKE_C_COMPILER_LAUNCHER=x`,
    /// `pytest -p plugin`. Called with the option as listed (`""` for an
    /// operand) and the word; says why the word makes the call ask.
    pub check: Check,
    /// How the tool's parser spells option names.
    pub names: Names,
    /// Options whose value may be left out (Python's `nargs='?'`): it is
    /// given with `=`, or is the next word when that is not an option.
    /// `pytest --debug` writes `pytestdebug.log`, `pytest --debug F` writes F.
    pub optional: &'static [&'static str],
    /// Files named inside an option's value, with what the tool does with
    /// each: called with the option as listed and its value.
    pub inside: Inside,
}

/// See [`Spec::check`].
pub(crate) type Check = fn(&str, &str) -> Option<&'static str>;

/// See [`Spec::inside`].
pub(crate) type Inside = fn(&str, &str) -> Vec<(Kind, String)>;

fn no_check(_: &str, _: &str) -> Option<&'static str> {
    None
}

fn nothing_inside(_: &str, _: &str) -> Vec<(Kind, String)> {
    Vec::new()
}

/// How a tool's parser matches the option names on its command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Names {
    /// As listed, or a long option abbreviated to a prefix of one (GNU
    /// getopt, Python's argparse and optparse). Kept for tools whose parser
    /// is not known to refuse abbreviations: their flags that begin a
    /// listed option with a value (`eslint --cache`, `--cache-location F`)
    /// are listed too, so they are not read as that option.
    Abbreviated,
    /// Without regard to case or to dashes inside the name, and with
    /// dotted sub-keys (`--outputFile.junit`): yargs and cac read
    /// `--output-file` as `--outputFile` (jest, vitest, mocha); tsc reads
    /// `--outdir` as `--outDir`. No abbreviations.
    Loose,
}

/// What the options of one call do.
#[derive(Debug, Default)]
pub(crate) struct Review<'a> {
    /// Reasons to ask: options that run or load programs, unknown options of a closed spec.
    pub risky: Vec<String>,
    pub reads: Vec<Arg>,
    pub writes: Vec<Arg>,
    pub write_dirs: Vec<Arg>,
    /// Directories deleted and filled again ([`Kind::Recreates`]).
    pub recreated: Vec<Arg>,
    /// Directories or files of another project the tool would run the build of.
    pub projects: Vec<Arg>,
    /// What is left: the operands.
    pub operands: Vec<&'a Arg>,
}

/// An option by its name as written: its kind and its name as listed.
fn lookup(spec: &Spec, name: &str) -> Option<(Kind, &'static str)> {
    // Long names only: short ones keep their case (`-u` is not `-U`).
    let loose = |n: &str| -> String {
        match n.strip_prefix("--") {
            Some(long) => {
                let rest: String = long
                    .chars()
                    .filter(|c| *c != '-')
                    .flat_map(char::to_lowercase)
                    .collect();
                format!("--{rest}")
            }
            None => n.to_string(),
        }
    };
    let wanted = (spec.names == Names::Loose).then(|| loose(name));
    spec.opts.iter().find_map(|(names, k)| {
        names
            .split('|')
            .find(|n| match &wanted {
                Some(w) => loose(n) == *w,
                None => *n == name,
            })
            .map(|n| (*k, n))
    })
}

/// A long option as the tool's parser reads it: as listed; `--x` as `-x`
/// for tools whose options are single-dash words (Go's flag package takes
/// both); `--a.b` as `--a` for parsers with dotted sub-keys; or abbreviated
/// to a prefix of a listed one.
fn long_option(spec: &Spec, name: &str) -> Option<(Kind, &'static str)> {
    lookup(spec, name)
        .or_else(|| (!spec.bundles).then(|| lookup(spec, &name[1..])).flatten())
        .or_else(|| match (spec.names, name.split_once('.')) {
            (Names::Loose, Some((head, _))) => lookup(spec, head),
            _ => None,
        })
        .or_else(|| match spec.names {
            Names::Abbreviated => abbreviated(spec, name),
            Names::Loose => None,
        })
}

/// A long option abbreviated to a prefix of a known one: the most dangerous reading wins.
fn abbreviated(spec: &Spec, name: &str) -> Option<(Kind, &'static str)> {
    if name.len() < 4 {
        return None;
    }
    let mut found: Option<(Kind, &'static str)> = None;
    for (names, k) in spec.opts {
        if let Some(n) = names
            .split('|')
            .find(|n| n.starts_with("--") && n.starts_with(name))
        {
            let dangerous = matches!(k, Kind::Runs | Kind::RunsRest | Kind::Loads);
            if found.is_none() || dangerous {
                found = Some((*k, n));
            }
        }
    }
    found
}

/// The value of an option whose value may be left out ([`Spec::optional`]):
/// the next word unless it is an option.
fn optional_value(args: &[Arg], i: &mut usize) -> Option<Arg> {
    let next = args.get(*i)?;
    if next.text().starts_with('-') && !next.dynamic {
        return None;
    }
    *i += 1;
    Some(next.clone())
}

/// Review `args` (the words after the tool or subcommand name) against `spec`.
/// `tool` names the tool in reasons.
pub(crate) fn review<'a>(tool: &str, spec: &Spec, args: &'a [Arg]) -> Review<'a> {
    let mut r = Review::default();
    let mut i = 0;
    let mut only_operands = false;
    while i < args.len() {
        let a = &args[i];
        let t = a.text();
        i += 1;
        if only_operands || !t.starts_with('-') || t == "-" || (a.dynamic && !t.starts_with('-')) {
            judge(tool, spec, "", Some(a), &mut r);
            r.operands.push(a);
            continue;
        }
        if t == "--" {
            only_operands = true;
            continue;
        }
        if let Some(long) = t.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (format!("--{n}"), Some(v)),
                None => (t.to_string(), None),
            };
            let Some((kind, listed)) = long_option(spec, &name) else {
                if spec.closed {
                    r.risky
                        .push(format!("{tool} {name} is an option ztguard does not know"));
                }
                continue;
            };
            let value = match inline {
                Some(v) => Some(with_text(a, v)),
                None if spec.optional.contains(&listed) => optional_value(args, &mut i),
                None if kind.takes_value() => {
                    let v = args.get(i).cloned();
                    i += 1;
                    v
                }
                None => None,
            };
            take(tool, spec, listed, kind, value, &mut r);
            if kind == Kind::RunsRest {
                return r;
            }
            continue;
        }
        if !spec.bundles
            || lookup(spec, t.split('=').next().unwrap_or(t)).is_some_and(|_| t.len() > 2)
        {
            // Single-dash long options (`-toolexec=x`, `-wrapper x`, `-B/dir`, `-Wl,…`).
            let (name, inline) = match t.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (t.to_string(), None),
            };
            let (kind, value) = match lookup(spec, &name) {
                Some((k, listed)) => {
                    let v = match inline {
                        Some(v) => Some(with_text(a, &v)),
                        None if spec.optional.contains(&listed) => optional_value(args, &mut i),
                        None if k.takes_value() => {
                            let v = args.get(i).cloned();
                            i += 1;
                            v
                        }
                        None => None,
                    };
                    (Some((k, listed)), v)
                }
                None => match attached(spec, t) {
                    Some((k, listed, rest)) => (Some((k, listed)), Some(with_text(a, rest))),
                    None => (None, None),
                },
            };
            match kind {
                Some((k, listed)) => {
                    take(tool, spec, listed, k, value, &mut r);
                    if k == Kind::RunsRest {
                        return r;
                    }
                }
                None if spec.closed => r
                    .risky
                    .push(format!("{tool} {name} is an option ztguard does not know")),
                None => {}
            }
            continue;
        }
        // Short options, possibly bundled: `-abc`, `-xVALUE`, `-x VALUE`.
        let chars: Vec<char> = t[1..].chars().collect();
        let mut j = 0;
        while j < chars.len() {
            let name = format!("-{}", chars[j]);
            j += 1;
            let Some((kind, listed)) = lookup(spec, &name) else {
                if spec.closed {
                    r.risky
                        .push(format!("{tool} {name} is an option ztguard does not know"));
                    break;
                }
                continue;
            };
            if kind.takes_value() {
                let rest: String = chars[j..].iter().collect();
                let value = if rest.is_empty() {
                    let v = args.get(i).cloned();
                    i += 1;
                    v
                } else {
                    Some(with_text(a, &rest))
                };
                take(tool, spec, listed, kind, value, &mut r);
                break;
            }
            apply(tool, listed, kind, None, &mut r);
            if kind == Kind::RunsRest {
                return r;
            }
        }
    }
    r
}

/// A listed single-dash option with its value attached (`-B/dir`, `-Wl,-x`): the longest match.
fn attached<'w>(spec: &Spec, word: &'w str) -> Option<(Kind, &'static str, &'w str)> {
    let mut best: Option<(Kind, &'static str)> = None;
    for (names, k) in spec.opts {
        for n in names.split('|') {
            if !n.starts_with("--")
                && word.len() > n.len()
                && word.starts_with(n)
                && best.is_none_or(|(_, b)| n.len() > b.len())
            {
                best = Some((*k, n));
            }
        }
    }
    best.map(|(k, n)| (k, n, word[n.len()..].trim_start_matches([',', '='])))
}

/// An option with its value: what the spec's check says of the value, the
/// files named inside it, and what the option itself does.
fn take(tool: &str, spec: &Spec, listed: &str, kind: Kind, value: Option<Arg>, r: &mut Review<'_>) {
    judge(tool, spec, listed, value.as_ref(), r);
    if let Some(v) = &value {
        for (k, file) in (spec.inside)(listed, v.text()) {
            apply(tool, listed, k, Some(with_text(v, &file)), r);
        }
    }
    apply(tool, listed, kind, value, r);
}

fn with_text(a: &Arg, v: &str) -> Arg {
    Arg {
        values: vec![v.to_string()],
        ..a.clone()
    }
}

/// What the spec's [`Spec::check`] says of an option's value or an operand.
fn judge(tool: &str, spec: &Spec, name: &str, value: Option<&Arg>, r: &mut Review<'_>) {
    let Some(v) = value else { return };
    if let Some(why) = (spec.check)(name, v.text()) {
        let shown = if name.is_empty() {
            v.text().to_string()
        } else {
            format!("{name} {}", v.text())
        };
        r.risky.push(format!("{tool} {shown} {why}"));
    }
}

fn apply(tool: &str, name: &str, kind: Kind, value: Option<Arg>, r: &mut Review<'_>) {
    let shown = value
        .as_ref()
        .map(|v| format!("{name} {}", v.text()))
        .unwrap_or_else(|| name.to_string());
    match kind {
        Kind::Flag | Kind::Value => {}
        Kind::Reads => r.reads.extend(value),
        Kind::Writes => r.writes.extend(value),
        Kind::WritesDir => r.write_dirs.extend(value),
        Kind::Recreates => r.recreated.extend(value),
        Kind::Runs | Kind::RunsRest => r.risky.push(format!("{tool} {shown} runs a program")),
        Kind::Loads => {
            r.risky
                .push(format!("{tool} {shown} loads code or configuration"));
            r.reads.extend(value);
        }
        Kind::Project => r.projects.extend(value),
    }
}

use Kind::*;

/// `git`'s own options, before the subcommand.
pub(crate) const GIT: Spec = Spec {
    opts: &[
        ("-C", Project),
        ("-c|--config-env|--exec-path", Runs),
        ("--git-dir|--work-tree", Project),
        ("--namespace|--super-prefix", Value),
        (
            "--no-pager|-P|-p|--paginate|--no-optional-locks|--literal-pathspecs|--glob-pathspecs|--noglob-pathspecs|--icase-pathspecs|--no-replace-objects|--no-lazy-fetch|--no-advice|--bare|--version|-v|--help|-h|--html-path|--man-path|--info-path",
            Flag,
        ),
    ],
    closed: true,
    bundles: true,
    check: no_check,
    names: Names::Abbreviated,
    optional: &[],
    inside: nothing_inside,
};

/// Options of git subcommands that run programs, load code or touch files
/// outside the operands (from git's manual pages). Open: the rest only shape output.
pub(crate) fn git_sub(sub: &str) -> Spec {
    let opts: &'static [(&'static str, Kind)] = match sub {
        "rebase" => &[
            ("-x|--exec", Runs),
            ("-s|--strategy", Runs),
            ("-X|--strategy-option|--onto|-C", Value),
        ],
        "grep" => &[
            ("-O|--open-files-in-pager", Runs),
            ("-f", Reads),
            ("-e|-A|-B|-C|--max-depth|--threads|-m|--max-count", Value),
        ],
        "init" | "clone" => &[
            ("--template|--separate-git-dir", Loads),
            ("-u|--upload-pack", Runs),
            ("-c|--config", Runs),
            (
                "-b|--branch|-o|--origin|--depth|-j|--jobs|--reference|--filter|--shallow-since|--shallow-exclude|--object-format|--ref-format|--initial-branch",
                Value,
            ),
        ],
        "diff" | "log" | "show" | "whatchanged" | "format-patch" | "range-diff" | "stash" => &[
            ("--ext-diff", Runs),
            ("--output", Writes),
            ("-o|--output-directory", WritesDir),
            ("-O", Reads),
        ],
        "difftool" | "mergetool" => &[("-x|--extcmd|-t|--tool", Runs)],
        "fetch" | "pull" | "ls-remote" => &[("--upload-pack|--exec", Runs)],
        "push" | "send-pack" => &[("--receive-pack|--exec", Runs)],
        "archive" => &[
            ("--exec", Runs),
            ("-o|--output", Writes),
            ("--remote", Value),
        ],
        "blame" | "annotate" => &[("--contents|-S", Reads)],
        "config" => &[("-f|--file|--blob", Reads)],
        "commit" | "tag" | "merge" => {
            &[("-F|--file|-t|--template", Reads), ("-s|--strategy", Runs)]
        }
        "apply" | "am" => &[("--directory", WritesDir)],
        "bisect" | "submodule" | "filter-branch" | "filter-repo" | "worktree" => &[],
        _ => &[],
    };
    Spec {
        opts,
        closed: false,
        bundles: true,
        check: if matches!(sub, "remote" | "ls-remote") {
            remote_operand
        } else {
            no_check
        },
        names: Names::Abbreviated,
        optional: &[],
        inside: nothing_inside,
    }
}

/// `git remote show HOST:repo`, `git ls-remote https://…`: a URL operand is
/// contacted (over ssh, which runs the configured ssh command).
fn remote_operand(opt: &str, w: &str) -> Option<&'static str> {
    (opt.is_empty() && (w.contains("://") || scp_like(w))).then_some("contacts a remote repository")
}

/// `host:path` (scp-like remote), not `./a:b` or `C:`.
fn scp_like(w: &str) -> bool {
    w.split_once(':')
        .is_some_and(|(host, _)| host.len() > 1 && !host.contains('/') && !host.starts_with('-'))
}

/// Subcommands that run programs of the agent's choosing whatever the options.
pub(crate) fn git_sub_runs(sub: &str, rest: &[Arg]) -> Option<String> {
    let first = rest.first().map(Arg::text).unwrap_or("");
    match (sub, first) {
        ("bisect", "run") => Some("git bisect run runs a program on each step".into()),
        ("submodule", "foreach") => {
            Some("git submodule foreach runs a command in each submodule".into())
        }
        ("filter-branch", _) => Some("git filter-branch runs filter commands".into()),
        ("difftool" | "mergetool", _) => Some(format!("git {sub} runs the configured tool")),
        _ => None,
    }
}

/// Where the subcommand word of a tool with subcommands is in `args`: the
/// first word that is not an option or a toolchain selector (`cargo +nightly`).
/// Options of the tool itself that take a value are skipped with it.
pub(crate) fn subcommand_at(tool: &str, args: &[Arg]) -> Option<usize> {
    let with_value: &[&str] = match tool {
        "cargo" => &["--config", "-Z", "--color", "-C", "--manifest-path"],
        "npm" | "pnpm" | "yarn" | "bun" => &[
            "--prefix",
            "-C",
            "--dir",
            "--cwd",
            "--filter",
            "-F",
            "--workspace",
            "-w",
            "--userconfig",
            "--globalconfig",
            "--script-shell",
            "--loglevel",
        ],
        "go" => &["-C"],
        "uv" | "poetry" | "pdm" => &["--directory", "--project", "-C", "--python", "-p"],
        _ if SUBCOMMAND_TOOLS.contains(&tool) => &[],
        _ => return None,
    };
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text();
        if t.starts_with('+') || (t.starts_with('-') && t.len() > 1) {
            i += if with_value.contains(&t) { 2 } else { 1 };
            continue;
        }
        return Some(i);
    }
    None
}

/// Tools whose options depend on a subcommand word.
const SUBCOMMAND_TOOLS: &[&str] = &[
    "cargo",
    "go",
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "uv",
    "poetry",
    "pdm",
    "dotnet",
    "mvn",
    "gradle",
    "gradlew",
    "meson",
    "tox",
    "nox",
    "pre-commit",
    "just",
    "task",
    "nx",
    "turbo",
    "hatch",
    "rye",
    "pipenv",
    "deno",
    "mdbook",
];

/// Spec of the options after `tool SUB`.
pub(crate) fn sub(tool: &str, sub: &str) -> Option<Spec> {
    let (opts, bundles, check): (&'static [(&'static str, Kind)], bool, Check) = match (tool, sub) {
        ("go", "env") => (&[("-w", RunsRest), ("-u", Flag)], false, no_check),
        (
            "go",
            "build" | "test" | "run" | "install" | "vet" | "list" | "generate" | "get" | "tool"
            | "mod" | "work" | "doc" | "fix" | "clean",
        ) => (
            &[
                // `-tools` is `go tool pprof`'s: where it finds objdump and addr2line.
                (
                    "-exec|-toolexec|-vettool|-overlay|-modfile|-pgo|-tools",
                    Runs,
                ),
                // `-output` is `go tool pprof`'s; `-test.*` are the test
                // binary's own spellings, which `go test` passes on (also after `-args`).
                (
                    "-o|-coverprofile|-cpuprofile|-memprofile|-blockprofile|-mutexprofile|-trace|-outputdir|-output|-test.coverprofile|-test.cpuprofile|-test.memprofile|-test.blockprofile|-test.mutexprofile|-test.trace|-test.outputdir|-test.testlogfile",
                    Writes,
                ),
                ("-test.gocoverdir|-test.fuzzcachedir", WritesDir),
                ("-C", Project),
                // Boolean flags take no next word: `go test -v -exec X` runs X.
                (
                    "-cover|-json|-short|-race|-msan|-asan|-v|-x|-n|-a|-trimpath|-buildvcs|-failfast|-benchmem|-linkshared|-modcacherw|-work|-c|-i|-fullpath|-args|-test.v|-test.short|-test.failfast|-test.benchmem",
                    Flag,
                ),
                (
                    "-run|-bench|-count|-timeout|-tags|-p|-parallel|-covermode|-coverpkg|-mod|-buildmode|-compiler|-installsuffix|-pkgdir|-benchtime|-cpu|-shuffle|-skip|-fuzz|-fuzztime|-fuzzminimizetime|-list|-vet|-ldflags|-gcflags|-asmflags|-test.run|-test.bench|-test.count|-test.timeout|-test.parallel|-test.cpu|-test.skip|-test.benchtime|-test.shuffle|-f",
                    Value,
                ),
                // Boolean flags: the next word is an operand (`go test -v ./...`).
                (
                    "-v|-x|-n|-a|-i|-json|-short|-race|-msan|-asan|-cover|-trimpath|-buildvcs|-work|-linkshared|-modcacherw|-failfast|-benchmem|-e|-m|-u|-t|-d|-c",
                    Flag,
                ),
            ],
            false,
            go_word,
        ),
        ("cargo", "nextest") => (
            &[
                ("--config", Loads),
                ("--manifest-path|--config-file|--workspace-remap", Project),
                ("--tool-config-file|--archive-file", Loads),
                ("--target-dir|--artifact-dir|--extract-to", WritesDir),
                ("--lockfile-path", Writes),
            ],
            true,
            no_check,
        ),
        // `--output-path` and `--output-dir` are the coverage subcommands'
        // (`cargo llvm-cov --lcov --output-path F`, `cargo tarpaulin --output-dir D`).
        ("cargo", _) => (
            &[
                ("--config", Loads),
                ("--manifest-path", Project),
                (
                    "--target-dir|--artifact-dir|--out-dir|--output-dir",
                    WritesDir,
                ),
                ("--lockfile-path|--output-path", Writes),
            ],
            true,
            no_check,
        ),
        // bun runs files and code itself: `bun run -e CODE`, `bun test --preload F`.
        ("bun", _) => (
            &[
                (
                    "--script-shell|--node-options|--shell|-e|--eval|-p|--print",
                    Runs,
                ),
                ("--preload|-r|--require|--import", Loads),
                ("--prefix|--cwd|-c|--config|--tsconfig-override", Project),
                ("--env-file", Reads),
                (
                    "--registry|-d|--define|-l|--loader|-t|--test-name-pattern",
                    Value,
                ),
            ],
            true,
            script_runs,
        ),
        ("npm" | "pnpm" | "yarn", "run" | "run-script" | "rum" | "urn") => {
            (NPM_SUB, true, script_runs)
        }
        ("npm" | "pnpm" | "yarn", _) => (NPM_SUB, true, no_check),
        // `uv run --with PKG`, `uv run --python /tmp/x`: what uv installs or starts before the command.
        ("uv", "run" | "tool") => (
            &[
                (
                    "--with|--with-editable|--with-requirements|--index|--index-url|--extra-index-url|--default-index|-i|-f|--find-links",
                    Loads,
                ),
                ("--project|--directory", Project),
                ("--env-file", Reads),
                (
                    "-p|--python|--package|--extra|--group|--only-group|-m|--module",
                    Value,
                ),
            ],
            true,
            python_path,
        ),
        ("meson", "devenv") => (
            &[
                ("-C|-w|--workdir", Project),
                ("--dump", Writes),
                ("--dump-format", Value),
            ],
            true,
            any_operand_runs,
        ),
        // `mdbook build [DIR]`: the book's book.toml names preprocessors and renderers it runs.
        ("mdbook", "build" | "serve" | "watch" | "test" | "clean") => (
            &[
                ("-d|--dest-dir", WritesDir),
                ("-L|--library-path", Reads),
                ("-n|--hostname|-p|--port|--watcher|-c|--chapter", Value),
                ("-o|--open|-h|--help", Flag),
            ],
            true,
            no_check,
        ),
        ("tox", "exec" | "e") => (
            &[("-c|--conf|--root", Project), ("-e", Value)],
            true,
            any_operand_runs,
        ),
        (
            "dotnet",
            "build" | "test" | "run" | "publish" | "pack" | "restore" | "msbuild" | "clean"
            | "vstest",
        ) => (
            &[
                (
                    "--project|--test-adapter-path|--configfile|-s|--settings|--source",
                    Project,
                ),
                ("-o|--output|--results-directory|--packages", Writes),
                ("--diag", Writes),
                (
                    "-p|--property|-r|--runtime|-c|--configuration|-f|--framework|-v|--verbosity|-a|--arch|--os|--filter|--collect|-l|--logger|--launch-profile|-lp|--blame-hang-timeout|--blame-crash-dump-type",
                    Value,
                ),
            ],
            false,
            dotnet_word,
        ),
        _ => return None,
    };
    Some(Spec {
        opts,
        closed: false,
        bundles,
        check,
        names: Names::Abbreviated,
        optional: &[],
        inside: if tool == "dotnet" {
            dotnet_files
        } else {
            nothing_inside
        },
    })
}

const NPM_SUB: &[(&str, Kind)] = &[
    ("--script-shell|--node-options|--shell", Runs),
    (
        "--userconfig|--globalconfig|--preload|-r|--require|--config|--rcfile",
        Loads,
    ),
    // A workspace or filter outside the project runs another package's scripts.
    ("--prefix|-C|--dir|--cwd|-w|--workspace|--filter", Project),
    ("--registry", Value),
];

/// `npm run env CMD…` runs CMD; `yarn run node F`, `pnpm run exec X` run a program by name.
fn script_runs(opt: &str, w: &str) -> Option<&'static str> {
    let runner = matches!(
        w,
        "env"
            | "exec"
            | "node"
            | "nodejs"
            | "bun"
            | "deno"
            | "tsx"
            | "ts-node"
            | "sh"
            | "bash"
            | "zsh"
            | "dash"
            | "python"
            | "python3"
            | "npx"
            | "x"
    );
    (opt.is_empty() && runner).then_some("runs a program given on the line")
}

fn any_operand_runs(opt: &str, _: &str) -> Option<&'static str> {
    opt.is_empty().then_some("runs a command")
}

/// `--python /tmp/x`: an interpreter by path, not a version.
fn python_path(opt: &str, w: &str) -> Option<&'static str> {
    (matches!(opt, "-p" | "--python") && w.contains('/')).then_some("runs that interpreter")
}

/// `go run mod@v`, `go mod download mod@v`: a module fetched from the network
/// (and run); `-ldflags=-extld=F`: the external linker go starts;
/// `-ldflags=-extldflags=-fuse-ld=F` (or `-B DIR`, `-wrapper`, `-specs`,
/// `@file`): options that make that linker start another program.
fn go_word(opt: &str, w: &str) -> Option<&'static str> {
    if opt.is_empty() && !w.starts_with('-') && w.contains('@') && !w.starts_with('@') {
        return Some("fetches a module from the network");
    }
    if opt != "-ldflags" {
        return None;
    }
    if w.split([' ', '\'', '"']).any(|t| {
        let t = t.trim_start_matches('-');
        t == "extld" || t.starts_with("extld=") || t == "extar" || t.starts_with("extar=")
    }) {
        return Some("sets the program go links with");
    }
    let ext = w.find("extldflags").map(|i| &w[i + "extldflags".len()..]);
    if ext.is_some_and(|x| {
        x.contains(['/', '@'])
            || [
                "-B", "fuse-ld", "ld-path", "wrapper", "specs", "plugin", "-load",
            ]
            .iter()
            .any(|p| x.contains(p))
    }) {
        return Some("passes the external linker options that start other programs");
    }
    None
}

/// MSBuild properties that import targets (which run `Exec` tasks), loggers
/// that load an assembly, and response files (`@file`).
fn dotnet_word(opt: &str, w: &str) -> Option<&'static str> {
    let bare = w.trim_start_matches(['-', '/']).to_ascii_lowercase();
    let (o, val) = if opt.is_empty() {
        match bare.split_once(':') {
            Some((o, v)) => (o.to_string(), v.to_string()),
            None => (String::new(), bare.clone()),
        }
    } else {
        (
            opt.trim_start_matches('-').to_ascii_lowercase(),
            w.trim_start_matches(':').to_ascii_lowercase(),
        )
    };
    if opt.is_empty() && w.starts_with('@') {
        return Some("takes options from a file");
    }
    if matches!(o.as_str(), "logger" | "l" | "distributedlogger" | "dl") && val.contains(".dll") {
        return Some("loads a logger assembly");
    }
    if o.starts_with('p') && (o == "p" || o.starts_with("prop")) {
        let name = val.split('=').next().unwrap_or("");
        if name.contains("targets")
            || name.contains("props")
            || name.contains("import")
            || name.contains("extensionspath")
            || name.starts_with("msbuild")
            || name.contains("toolpath")
            || name.contains("toolexe")
        {
            return Some("imports build logic or names a program MSBuild runs");
        }
    }
    if matches!(o.as_str(), "s" | "source") && val.contains("://") {
        return Some("uses a package source from the network");
    }
    None
}

/// Environment variables that change what a program runs or loads when a
/// build tool passes them on (`make LD_PRELOAD=…`, `rake RUBYOPT=…`).
fn env_runs(name: &str, value: &str) -> bool {
    const ALWAYS: &[&str] = &[
        "PATH",
        "BASH_ENV",
        "ENV",
        "SHELL",
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONHOME",
        "PYTHONUSERBASE",
        "NODE_OPTIONS",
        "NODE_PATH",
        "RUBYOPT",
        "RUBYLIB",
        "PERL5OPT",
        "PERL5LIB",
        "PERLLIB",
        "JAVA_TOOL_OPTIONS",
        "_JAVA_OPTIONS",
        "JDK_JAVA_OPTIONS",
        "MAVEN_OPTS",
        "GRADLE_OPTS",
        "GOFLAGS",
        "RUSTFLAGS",
        "RUSTC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "EDITOR",
        "VISUAL",
        "PAGER",
        "GIT_SSH",
        "GIT_SSH_COMMAND",
        "GIT_EXEC_PATH",
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_DIR",
        "GCONV_PATH",
        "MAKEFILES",
        "AWKPATH",
        "LESSOPEN",
        "TESTOPTS",
        "SPEC_OPTS",
    ];
    /// Variables that name a program: harmless as a bare name (`CC=clang`), not as a path or command line.
    const PROGRAMS: &[&str] = &[
        "CC",
        "CXX",
        "CPP",
        "LD",
        "AR",
        "AS",
        "NM",
        "RANLIB",
        "STRIP",
        "OBJCOPY",
        "FC",
        "GO",
        "CARGO",
        "PYTHON",
        "PYTHON3",
        "PERL",
        "RUBY",
        "NODE",
        "NPM",
        "JAVA",
        "JAVAC",
        "MAKE",
        "CMAKE",
        "PKG_CONFIG",
        "INSTALL",
        "SED",
        "AWK",
        "BISON",
        "YACC",
        "LEX",
        "FLEX",
        "M4",
        "CCACHE",
        "DOCKER",
        "HOSTCC",
        "CROSS_COMPILE",
        "CC_FOR_BUILD",
        "LINK",
        "LINKER",
    ];
    ALWAYS.contains(&name)
        || name.starts_with("LD_")
        || name.starts_with("DYLD_")
        || name.starts_with("GIT_CONFIG")
        || name.starts_with("npm_config_")
        || name.starts_with("CARGO_TARGET_")
        || (PROGRAMS.contains(&name)
            && !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-')))
}

/// `NAME=value` operands (`make V=1`) as (name, value), names only of identifier characters.
fn assignment(w: &str) -> Option<(&str, &str)> {
    let (n, v) = w.split_once('=')?;
    let ident = !n.is_empty()
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    ident.then_some((n, v))
}

/// `make SHELL=x`, `make .SHELLFLAGS=…`, `make MAKEFLAGS=--eval=…`, `make CC=/tmp/x`,
/// `make X='$(shell id)'`: variables on the line override the Makefile's and are exported.
fn make_word(opt: &str, w: &str) -> Option<&'static str> {
    if !opt.is_empty() {
        return None;
    }
    let (n, v) = assignment(w.strip_prefix("override ").unwrap_or(w))?;
    let n = n.trim_end_matches([':', '+', '?', '!']);
    if matches!(
        n,
        "SHELL"
            | ".SHELLFLAGS"
            | "MAKEFLAGS"
            | "MFLAGS"
            | "GNUMAKEFLAGS"
            | "MAKEFILES"
            | "MAKESHELL"
    ) || env_runs(n, v)
    {
        return Some("changes the shell, flags or programs make runs");
    }
    (v.contains("$(shell") || v.contains("${shell") || v.contains('`') || v.contains("$$("))
        .then_some("runs a command when make expands it")
}

/// `rake test RUBYOPT=-r/tmp/x`: rake puts `NAME=value` operands in the environment.
fn rake_word(opt: &str, w: &str) -> Option<&'static str> {
    let (n, v) = assignment(w).filter(|_| opt.is_empty())?;
    env_runs(n, v).then_some("sets a variable that changes what the tasks run")
}

/// `cmake -DCMAKE_C_COMPILER_LAUNCHER=x`, `-DCMAKE_TOOLCHAIN_FILE=/x`: cache
/// variables that name a program cmake's build runs, or CMake code it includes.
fn cmake_word(opt: &str, w: &str) -> Option<&'static str> {
    if !opt.starts_with("-D") {
        return None;
    }
    let (name, v) = w.split_once('=')?;
    let name = name.split(':').next().unwrap_or(name).to_ascii_uppercase();
    let program = name.ends_with("_LAUNCHER")
        || (name.starts_with("CMAKE_") && name.ends_with("_COMPILER"))
        || name.ends_with("_CLANG_TIDY")
        || name.ends_with("_CPPCHECK")
        || name.ends_with("_CPPLINT")
        || name.ends_with("_INCLUDE_WHAT_YOU_USE")
        || matches!(
            name.as_str(),
            "CMAKE_LINKER"
                | "CMAKE_AR"
                | "CMAKE_RANLIB"
                | "CMAKE_MAKE_PROGRAM"
                | "CMAKE_CROSSCOMPILING_EMULATOR"
                | "CMAKE_LINK_WHAT_YOU_USE_CHECK"
                | "CMAKE_OBJCOPY"
                | "CMAKE_STRIP"
        );
    if program
        && !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '+' | '-'))
    {
        return Some("sets a program the build runs");
    }
    let code = name == "CMAKE_TOOLCHAIN_FILE"
        || name.starts_with("CMAKE_PROJECT_") && name.ends_with("INCLUDE")
        || name.ends_with("_INCLUDE_BEFORE")
        || name == "CMAKE_USER_MAKE_RULES_OVERRIDE"
        || name == "CMAKE_MODULE_PATH";
    let outside = v.starts_with('/') || v.starts_with('~') || v.contains("..") || v.contains('$');
    (code && outside).then_some("includes CMake code from outside the project")
}

/// `mvn -Dexec.executable=x`, `-Djvm=x`, `-Dmaven.ext.class.path=x`,
/// `-DargLine=-javaagent:x`, and fully qualified plugin goals
/// (`group:artifact:goal`, a plugin fetched and run).
fn mvn_word(opt: &str, w: &str) -> Option<&'static str> {
    if opt.is_empty() {
        if w.matches(':').count() >= 2 || w.starts_with("exec:") || w.starts_with("antrun:") {
            return Some("runs a plugin goal named on the line");
        }
        return None;
    }
    if !(opt.starts_with("-D") || opt == "--define") {
        return None;
    }
    let (name, v) = w.split_once('=').unwrap_or((w, ""));
    let runs = name.starts_with("exec.")
        || matches!(
            name,
            "jvm"
                | "maven.ext.class.path"
                | "maven.compiler.executable"
                | "gpg.executable"
                | "maven.repo.local"
                | "toolchains"
                | "surefire.jvm"
        )
        || ((name == "argLine" || name.ends_with(".argLine") || name.ends_with("jvmargs"))
            && (v.contains("agent") || v.contains("bootclasspath")));
    runs.then_some("sets a program or code the build runs")
}

/// `gradle -Dorg.gradle.java.home=/x`, `-Porg.gradle.jvmargs=-javaagent:x`.
fn gradle_word(opt: &str, w: &str) -> Option<&'static str> {
    if !(opt.starts_with("-D")
        || opt.starts_with("-P")
        || opt == "--system-prop"
        || opt == "--project-prop")
    {
        return None;
    }
    let (name, v) = w.split_once('=').unwrap_or((w, ""));
    let runs = name == "org.gradle.java.home"
        || name == "org.gradle.java.installations.paths"
        || (name.ends_with("jvmargs") && (v.contains("agent") || v.contains("bootclasspath")));
    runs.then_some("sets a program or code the build runs")
}

/// `pytest -p PLUGIN` loads a plugin (`-p no:NAME` only disables one);
/// `-o addopts=…` and friends override what the configuration loads
/// (`-o cache_dir=DIR` is a directory written: [`pytest_files`]); `@file` holds options.
fn pytest_word(opt: &str, w: &str) -> Option<&'static str> {
    match opt {
        "" if w.starts_with('@') => Some("takes options from a file"),
        "-p" if !w.starts_with("no:") => Some("loads a plugin"),
        "-o" | "--override-ini" => {
            let name = w.split('=').next().unwrap_or("").trim();
            matches!(
                name,
                "addopts"
                    | "pythonpath"
                    | "testpaths"
                    | "confcutdir"
                    | "required_plugins"
                    | "python_files"
                    | "rootdir"
            )
            .then_some("changes what pytest loads or writes")
        }
        _ => None,
    }
}

/// Files named in pytest's option values: `--cov-report TYPE:DEST`
/// (pytest-cov: a file for xml, json, lcov and markdown, a directory for
/// html and annotate) and `-o cache_dir=DIR`, `-o log_file=FILE`.
fn pytest_files(opt: &str, v: &str) -> Vec<(Kind, String)> {
    let named = match opt {
        "--cov-report" => v.split_once(':').and_then(|(ty, dest)| match ty {
            "html" | "annotate" => Some((WritesDir, dest)),
            "xml" | "json" | "lcov" | "markdown" | "markdown-append" => Some((Writes, dest)),
            _ => None,
        }),
        "-o" | "--override-ini" => v.split_once('=').and_then(|(k, val)| match k.trim() {
            "cache_dir" => Some((WritesDir, val)),
            "log_file" => Some((Writes, val)),
            _ => None,
        }),
        _ => None,
    };
    named
        .filter(|(_, f)| !f.is_empty())
        .map(|(k, f)| vec![(k, f.to_string())])
        .unwrap_or_default()
}

/// Files in mocha's `--reporter-option k=v,k2=v2`: the output of the
/// built-in reporters (`output`) and of the common third-party ones
/// (`mochaFile` of mocha-junit-reporter, `reportDir` of mochawesome,
/// `configFile` of mocha-multi-reporters, which names reporters to load).
fn mocha_files(opt: &str, v: &str) -> Vec<(Kind, String)> {
    if !matches!(opt, "-O" | "--reporter-option" | "--reporter-options") {
        return Vec::new();
    }
    v.split(',')
        .filter_map(|kv| {
            let (k, f) = kv.split_once('=')?;
            let kind = match k.trim() {
                "output" | "mochaFile" | "outputFile" | "outputPath" | "jsonReportFile"
                | "reportFilename" => Writes,
                "reportDir" | "outputDir" => WritesDir,
                "configFile" => Project,
                _ => return None,
            };
            (!f.is_empty()).then(|| (kind, f.to_string()))
        })
        .collect()
}

/// `pylint --output-format=json:FILE,colorized`, `golangci-lint
/// --out-format=checkstyle:FILE`: a format with a destination writes it.
fn format_files(opt: &str, v: &str) -> Vec<(Kind, String)> {
    if !matches!(opt, "-f" | "--output-format" | "--out-format") {
        return Vec::new();
    }
    v.split(',')
        .filter_map(|part| {
            let (_, f) = part.split_once(':')?;
            (!f.is_empty() && f != "stdout" && f != "stderr").then(|| (Writes, f.to_string()))
        })
        .collect()
}

/// `mvn -Djacoco.destFile=F`, `-DreportsDirectory=D`, `gradle -Pout.dir=D`:
/// a property whose name says it is an output file or directory (the
/// plugins' `…File`, `…Directory`, `…Dir` parameters).
fn property_files(opt: &str, v: &str) -> Vec<(Kind, String)> {
    let property = opt.starts_with("-D")
        || opt.starts_with("-P")
        || matches!(opt, "--define" | "--system-prop" | "--project-prop");
    let Some((name, val)) = v.split_once('=').filter(|_| property) else {
        return Vec::new();
    };
    let last = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
    let kind = if last.ends_with("directory") || last.ends_with("dir") {
        WritesDir
    } else if last.ends_with("file") {
        Writes
    } else {
        return Vec::new();
    };
    if val.is_empty() {
        return Vec::new();
    }
    vec![(kind, val.to_string())]
}

/// `dotnet test --logger "trx;LogFileName=F"`: the log file, relative to
/// the results directory (`TestResults/` unless `--results-directory`
/// says) or absolute; both readings are judged.
fn dotnet_files(opt: &str, v: &str) -> Vec<(Kind, String)> {
    if !matches!(opt, "-l" | "--logger") {
        return Vec::new();
    }
    v.split(';')
        .filter_map(|kv| {
            let (k, f) = kv.split_once('=')?;
            let k = k.trim().to_ascii_lowercase();
            (matches!(k.as_str(), "logfilename" | "logfilepath") && !f.is_empty()).then_some(f)
        })
        .flat_map(|f| {
            [
                (Writes, f.to_string()),
                (Writes, format!("TestResults/{f}")),
            ]
        })
        .collect()
}

/// `jest --config='{"setupFiles":[…]}'`: inline JSON configuration, not a file to check.
fn json_config(opt: &str, w: &str) -> Option<&'static str> {
    (!opt.is_empty() && (w.trim_start().starts_with('{') || w.trim_start().starts_with('[')))
        .then_some("is configuration given inline (it can load any module)")
}

/// `sphinx-build -D extensions=x` loads Python modules.
fn sphinx_word(opt: &str, w: &str) -> Option<&'static str> {
    (matches!(opt, "-D" | "--define") && w.trim_start().starts_with("extensions"))
        .then_some("loads Sphinx extensions")
}

/// `pylint --unsafe-load-any-extension=y` imports any C extension it meets.
fn pylint_word(opt: &str, w: &str) -> Option<&'static str> {
    (opt == "--unsafe-load-any-extension" && w.starts_with(['y', 'Y']))
        .then_some("imports C extensions")
}

/// `tar -cf host:file`: GNU tar opens a remote archive through rsh/ssh.
fn tar_word(opt: &str, w: &str) -> Option<&'static str> {
    (matches!(opt, "" | "-f" | "--file") && scp_like(w))
        .then_some("is a remote archive (tar runs rsh)")
}

/// `awk '@load "x"'`, `awk -e '@include "x"'`: gawk loads extensions or code.
fn awk_word(opt: &str, w: &str) -> Option<&'static str> {
    (matches!(opt, "" | "-e" | "--source") && (w.contains("@load") || w.contains("@include")))
        .then_some("loads a gawk extension or source file")
}

/// `yq 'load("/x")'`: yq reads the files its expression names.
fn yq_word(opt: &str, w: &str) -> Option<&'static str> {
    (matches!(opt, "" | "--expression")
        && [
            "load(",
            "load_str(",
            "load_xml(",
            "load_props(",
            "load_base64(",
        ]
        .iter()
        .any(|f| w.contains(f)))
    .then_some("reads a file its expression names")
}

/// `ninja -t browse` serves the build graph; `-t msvc -- CMD` runs CMD.
fn ninja_word(opt: &str, w: &str) -> Option<&'static str> {
    (opt == "-t" && matches!(w, "browse" | "msvc")).then_some("runs a program")
}

/// `ctest -D ExperimentalSubmit`, `-T Submit`: results are sent to a dashboard server.
fn ctest_word(opt: &str, w: &str) -> Option<&'static str> {
    (matches!(
        opt,
        "-D" | "--dashboard" | "-T" | "--test-action" | "-M" | "--test-model"
    ) && w.contains("Submit"))
    .then_some("sends results to a server")
}

/// Python modules run with `python -m MODULE`, by the spec of the tool they are.
/// `python -m pytest -p x` is `pytest -p x`.
#[allow(dead_code)] // for effects.rs `command` (see the module notes)
pub(crate) fn module(name: &str) -> Option<Spec> {
    tool(module_tool(name)?)
}

fn module_tool(name: &str) -> Option<&'static str> {
    Some(match name {
        "pytest" | "py.test" => "pytest",
        "unittest" => "unittest",
        "mypy" => "mypy",
        "black" => "black",
        "ruff" => "ruff",
        "flake8" => "flake8",
        "pylint" => "pylint",
        "isort" => "isort",
        "coverage" => "coverage",
        "tox" => "tox",
        "nox" => "nox",
        "sphinx" => "sphinx-build",
        // `python -m build`: the command the package installs is pyproject-build.
        "build" => "pyproject-build",
        _ => return None,
    })
}

/// The tool a launcher starts and where that tool's arguments begin in
/// `args`: `npx jest …`, `uv run pytest …`, `poetry run pytest …`,
/// `bundle exec rspec …`, `python -m pytest …`, `pnpm exec vitest …`,
/// `coverage run -m pytest …`. The launcher's own options are reviewed by
/// its own spec; the tool's by [`tool`] (and [`sub`]) with the name returned here.
pub(crate) fn launched(name: &str, args: &[Arg]) -> Option<(String, usize)> {
    let first_word = |from: usize, with_value: &[&str]| -> Option<usize> {
        let mut i = from;
        while i < args.len() {
            let t = args[i].text();
            if t == "--" {
                return (i + 1 < args.len()).then_some(i + 1);
            }
            if t.starts_with('-') && t.len() > 1 {
                i += if with_value.contains(&t) { 2 } else { 1 };
                continue;
            }
            return Some(i);
        }
        None
    };
    let tool_at = |at: usize| -> Option<(String, usize)> {
        let t = args.get(at)?.text();
        if args[at].dynamic {
            return None;
        }
        let base = crate::command_basename(t);
        // `jest@29`, `@scope/pkg@1`: the package's version
        let base = match base.rsplit_once('@') {
            Some((b, _)) if !b.is_empty() => b,
            _ => base,
        };
        Some((base.to_string(), at + 1))
    };
    if crate::wrappers::interpreter(name).is_some_and(|(i, _)| i == "python") {
        let mut i = 0;
        while i < args.len() {
            let t = args[i].text();
            if t == "-m" {
                let m = args.get(i + 1)?.text();
                return Some((module_tool(m).unwrap_or(m).to_string(), i + 2));
            }
            if let Some(m) = t.strip_prefix("-m").filter(|m| !m.is_empty()) {
                return Some((module_tool(m).unwrap_or(m).to_string(), i + 1));
            }
            if !t.starts_with('-') || t == "-c" || t == "-" {
                return None;
            }
            i += if matches!(t, "-W" | "-X" | "--check-hash-based-pycs") {
                2
            } else {
                1
            };
        }
        return None;
    }
    match name {
        // `coverage run [options] -m MODULE …`; `coverage run FILE` runs a file, not a tool.
        "coverage" => {
            let at = first_word(0, &["--rcfile"])?;
            if args[at].text() != "run" {
                return None;
            }
            let with_value = [
                "--rcfile",
                "--data-file",
                "--include",
                "--omit",
                "--source",
                "--concurrency",
                "--context",
                "--debug",
            ];
            let (mut i, mut module) = (at + 1, false);
            while let Some(t) = args.get(i).map(Arg::text) {
                if !t.starts_with('-') {
                    break;
                }
                module |= matches!(t, "-m" | "--module");
                i += if with_value.contains(&t) { 2 } else { 1 };
            }
            let m = args.get(i).filter(|_| module)?.text();
            Some((module_tool(m).unwrap_or(m).to_string(), i + 1))
        }
        "npx" | "pnpx" | "bunx" => {
            let at = first_word(
                0,
                &[
                    "-p",
                    "--package",
                    "--cache",
                    "--registry",
                    "-w",
                    "--workspace",
                    "--userconfig",
                ],
            )?;
            // `npx -c 'CMD'` runs a command line; the tool's own `-c` is its own.
            if args[..at]
                .iter()
                .any(|a| matches!(a.text(), "-c" | "--call"))
            {
                return None;
            }
            tool_at(at)
        }
        "bundle" | "bundler" => {
            let at = first_word(0, &["--gemfile"])?;
            (args[at].text() == "exec")
                .then(|| first_word(at + 1, &["--gemfile"]))
                .flatten()
                .and_then(tool_at)
        }
        "uv" | "poetry" | "pdm" | "pipenv" | "hatch" | "rye" | "npm" | "pnpm" | "yarn" | "bun" => {
            let at = subcommand_at(name, args).or_else(|| first_word(0, &[]))?;
            let launches = matches!(
                (name, args[at].text()),
                ("uv" | "poetry" | "pdm" | "pipenv" | "hatch" | "rye", "run")
                    | ("npm" | "pnpm" | "yarn", "exec" | "dlx")
                    | ("bun", "x" | "exec")
            );
            if !launches {
                return None;
            }
            let at = first_word(
                at + 1,
                &[
                    "--with",
                    "--with-editable",
                    "--with-requirements",
                    "--python",
                    "-p",
                    "--project",
                    "--directory",
                    "--package",
                    "--env-file",
                    "--extra",
                    "--group",
                    "--only-group",
                    "--index",
                    "--index-url",
                    "--extra-index-url",
                    "-i",
                    "--find-links",
                    "-f",
                    "-e",
                    "--env",
                    "-w",
                    "--workspace",
                    "--filter",
                    "-F",
                    "--prefix",
                    "-C",
                    "--dir",
                ],
            )?;
            if name == "uv" && at > 0 && matches!(args[at - 1].text(), "-m" | "--module") {
                let m = args[at].text();
                return Some((module_tool(m).unwrap_or(m).to_string(), at + 1));
            }
            tool_at(at)
        }
        _ => None,
    }
}

/// Spec of the words after `--` that a tool hands to what it runs:
/// `cargo test -- --logfile F` is read by the test harness, which writes F.
pub(crate) fn after_separator(tool: &str, sub: &str) -> Option<Spec> {
    match (tool, sub) {
        ("cargo", "test" | "t" | "bench" | "llvm-cov" | "miri") => Some(Spec {
            opts: &[
                ("--logfile", Writes),
                (
                    "--format|--test-threads|--skip|--color|-Z|--shuffle-seed",
                    Value,
                ),
            ],
            closed: false,
            bundles: true,
            check: no_check,
            names: Names::Abbreviated,
            optional: &[],
            inside: nothing_inside,
        }),
        _ => None,
    }
}

/// The configuration files a tool reads from the directory it runs in and
/// those above it ([`crate::Effects::configs`]): `*` ends a name's prefix,
/// `dir/name` names the directory too. Several are code the tool runs
/// (`conftest.py`, `jest.config.js`, `build.rs`, `Makefile`).
pub(crate) fn config_files(tool: &str, sub: Option<&str>) -> &'static [&'static str] {
    match (tool, sub) {
        // pytest-cov reads coverage's own file too.
        ("pytest" | "py.test", _) => &[
            "pytest.ini",
            ".pytest.ini",
            "pyproject.toml",
            "tox.ini",
            "setup.cfg",
            "conftest.py",
            ".coveragerc",
        ],
        ("coverage", _) => &[".coveragerc", "pyproject.toml", "setup.cfg", "tox.ini"],
        ("mypy" | "dmypy", _) => &["mypy.ini", ".mypy.ini", "pyproject.toml", "setup.cfg"],
        ("ruff", _) => &["ruff.toml", ".ruff.toml", "pyproject.toml"],
        ("black", _) => &["pyproject.toml"],
        ("isort", _) => &[
            ".isort.cfg",
            "pyproject.toml",
            "setup.cfg",
            "tox.ini",
            ".editorconfig",
        ],
        ("flake8", _) => &[".flake8", "setup.cfg", "tox.ini"],
        ("pylint", _) => &[
            "pylintrc",
            ".pylintrc",
            "pylintrc.toml",
            ".pylintrc.toml",
            "pyproject.toml",
            "setup.cfg",
            "tox.ini",
        ],
        ("tox", _) => &["tox.ini", "tox.toml", "pyproject.toml", "setup.cfg"],
        ("nox", _) => &["noxfile.py"],
        ("eslint", _) => &["eslint.config.*", ".eslintrc*", "package.json"],
        ("prettier", _) => &[".prettierrc*", "prettier.config.*", "package.json"],
        ("jest", _) => &[
            "jest.config.*",
            "package.json",
            "babel.config.*",
            ".babelrc*",
        ],
        ("vitest", _) => &["vitest.config.*", "vite.config.*", "vitest.workspace.*"],
        ("mocha" | "_mocha", _) => &[".mocharc*", "package.json"],
        ("tsc", _) => &["tsconfig.json", "jsconfig.json"],
        ("npm" | "pnpm" | "yarn" | "bun", _) => &[
            "package.json",
            ".npmrc",
            ".yarnrc*",
            ".pnpmfile.*",
            "bunfig.toml",
        ],
        ("cargo", _) => &[
            "Cargo.toml",
            "build.rs",
            ".cargo/config.toml",
            ".cargo/config",
            "rust-toolchain",
            "rust-toolchain.toml",
        ],
        ("make" | "gmake", _) => &["Makefile", "makefile", "GNUmakefile"],
        ("golangci-lint", _) => &[".golangci.*"],
        ("cmake", _) => &[
            "CMakeLists.txt",
            "CMakePresets.json",
            "CMakeUserPresets.json",
        ],
        ("gradle" | "gradlew", _) => &["build.gradle*", "settings.gradle*", "gradle.properties"],
        ("mvn" | "mvnw" | "mvnd", _) => &[
            "pom.xml",
            ".mvn/maven.config",
            ".mvn/jvm.config",
            ".mvn/extensions.xml",
        ],
        ("rspec", _) => &[".rspec", ".rspec-local"],
        ("rake", _) => &["Rakefile", "rakefile", "Rakefile.rb"],
        _ => &[],
    }
}

/// Tools that run code from the files named as operands (test files, scripts,
/// project directories, package paths): an operand outside the project is
/// another project's code, and one written earlier in the line is the
/// line's. Options cannot say it; the caller judges the operands. The
/// files each tool obeys in those directories are listed in [`crate::builds`].
pub(crate) fn runs_operands(tool: &str, sub: Option<&str>) -> bool {
    matches!(
        (tool, sub),
        (
            "go",
            Some("run" | "test" | "build" | "vet" | "generate" | "install" | "list" | "fix")
        ) | ("bun", Some("test" | "run"))
            | ("deno", Some("run" | "test" | "bench" | "serve" | "compile"))
            | ("mix", Some("test" | "run"))
            | ("meson", Some("setup"))
            | ("uv", Some("build"))
            | ("mdbook", Some("build" | "test" | "serve" | "watch"))
            | (
                "dotnet",
                Some(
                    "build" | "test" | "run" | "publish" | "pack" | "restore" | "msbuild" | "clean"
                )
            )
            | (
                "pytest"
                    | "py.test"
                    | "mocha"
                    | "jest"
                    | "vitest"
                    | "rspec"
                    | "sphinx-build"
                    | "cmake"
                    | "unittest"
                    | "pyproject-build"
                    | "eslint"
                    | "prettier"
                    | "tsx"
                    | "ts-node"
                    | "msbuild",
                _
            )
    )
}

/// Spec of a tool's own options, by the tool's name.
pub(crate) fn tool(name: &str) -> Option<Spec> {
    let (opts, closed): (&'static [(&'static str, Kind)], bool) = match name {
        "rg" => (
            &[
                ("--pre", Runs),
                (
                    "--pre-glob|-e|--regexp|-g|--glob|--iglob|-t|--type|-T|--type-not|--type-add|--type-clear|-A|-B|-C|--after-context|--before-context|--context|-m|--max-count|-M|--max-columns|--max-depth|-d|--max-filesize|-j|--threads|-E|--encoding|--engine|-r|--replace|--color|--colors|--sort|--sortr|--path-separator|--context-separator|--field-match-separator|--field-context-separator|--dfa-size-limit|--regex-size-limit|--hostname-bin|--hyperlink-format|--generate|--type-list",
                    Value,
                ),
                ("-f|--file|--ignore-file", Reads),
            ],
            false,
        ),
        "fd" | "fdfind" => (
            &[
                ("-x|--exec|-X|--exec-batch", RunsRest),
                (
                    "--batch-size|-e|--extension|-t|--type|-E|--exclude|-d|--max-depth|--min-depth|--exact-depth|-S|--size|--changed-within|--changed-before|--newer|--older|-o|--owner|--format|-c|--color|-j|--threads|--max-results|--base-directory|--path-separator|--search-path|--max-buffer-time|--hyperlink",
                    Value,
                ),
                ("--ignore-file", Reads),
                (
                    "-H|--hidden|-I|--no-ignore|--no-ignore-vcs|--no-ignore-parent|-u|--unrestricted|-s|--case-sensitive|-i|--ignore-case|-g|--glob|--regex|-F|--fixed-strings|-a|--absolute-path|-l|--list-details|-L|--follow|-p|--full-path|-0|--print0|--prune|-1|-q|--quiet|--show-errors|--strip-cwd-prefix|--and|-h|--help|-V|--version|--no-require-git|--one-file-system",
                    Flag,
                ),
            ],
            true,
        ),
        "tar" | "gtar" | "bsdtar" => (
            &[
                (
                    "-I|--use-compress-program|--to-command|--info-script|--new-volume-script|-F|--rsh-command|--rmt-command|--checkpoint-action",
                    Runs,
                ),
                ("-T|--files-from|-X|--exclude-from", Reads),
                ("-C|--directory", Project),
                (
                    "-f|--file|-b|--blocking-factor|-L|--tape-length|--exclude|--transform|--xform|--owner|--group|--mode|--mtime|--format|-H|--sort|--checkpoint|--strip-components|--newer|--after-date|-N|--label|-V|--suffix|--backup|--quoting-style|--occurrence|--record-size|--totals|--volno-file|--index-file|--hole-detection|--xattrs-include|--xattrs-exclude|--numeric-owner|--anchored|--wildcards",
                    Value,
                ),
            ],
            false,
        ),
        "zip" => (&[("-TT|--unzip-command", Runs), ("-@", Flag)], false),
        // Tools that read a list of names (or dates) from a file echo its
        // lines back in their messages: `date -f ~/.ssh/id_rsa` prints the key.
        "date" => (
            &[
                ("-f|--file", Reads),
                ("-d|--date|-r|--reference|-I|--iso-8601|--rfc-3339", Value),
            ],
            false,
        ),
        "wc" | "du" => (
            &[
                ("--files0-from", Reads),
                (
                    "-d|--max-depth|-B|--block-size|-t|--threshold|--exclude|--time",
                    Value,
                ),
                ("-X|--exclude-from", Reads),
            ],
            false,
        ),
        "tree" => (
            &[
                ("--fromfile", Flag),
                ("-o", Writes),
                (
                    "-L|-P|-I|--charset|--filelimit|--timefmt|-H|-T|--sort",
                    Value,
                ),
            ],
            false,
        ),
        "sort" => (
            &[
                ("--compress-program", Runs),
                ("--files0-from", Reads),
                ("-o|--output", Writes),
                (
                    "-k|--key|-t|--field-separator|-S|--buffer-size|-T|--temporary-directory|--parallel|--batch-size|--sort|--random-source",
                    Value,
                ),
            ],
            false,
        ),
        "man" => (
            &[
                (
                    "-P|--pager|-H|--html|-X|--gxditview|-T|--troff-device|-p|--preprocessor",
                    Runs,
                ),
                ("-l|--local-file", Reads),
                ("-C|--config-file", Loads),
                (
                    "-M|--manpath|-S|-s|--sections|-L|--locale|-m|--systems|-E|--encoding|-R|--recode",
                    Value,
                ),
            ],
            false,
        ),
        "make" | "gmake" => (
            &[
                ("--eval|-E", Runs),
                ("-f|--file|--makefile|-I|--include-dir", Loads),
                ("-C|--directory", Project),
                (
                    "-j|--jobs|-l|--load-average|--max-load|-o|--old-file|--assume-old|-W|--what-if|--new-file|--assume-new|-O|--output-sync",
                    Value,
                ),
            ],
            false,
        ),
        "go" => (&[("-C", Project)], false),
        "cargo" => (
            &[
                ("--config", Loads),
                ("--manifest-path|-C", Project),
                ("-Z", Value),
            ],
            false,
        ),
        "npm" | "pnpm" | "yarn" | "bun" => (
            &[
                ("--script-shell|--node-options", Runs),
                ("--userconfig|--globalconfig|--preload|--require", Loads),
                ("--prefix|-C|--dir|--cwd|-w|--workspace|--filter", Project),
            ],
            false,
        ),
        "sed" | "gsed" => (&[("-f|--file", Loads)], false),
        "awk" | "gawk" | "mawk" | "nawk" => (
            &[
                ("-f|--file|-i|--include|-l|--load|-E|--exec", Loads),
                ("-F|--field-separator|-v|--assign|-e|--source", Value),
            ],
            false,
        ),
        "jq" | "gojq" | "jaq" => (
            &[
                ("-L|--library-path", Loads),
                ("--rawfile|--slurpfile", Value),
                ("--arg|--argjson|--indent|--tab|-f|--from-file", Value),
            ],
            false,
        ),
        "gcc" | "g++" | "cc" | "c++" | "clang" | "clang++" => (
            &[
                (
                    "-wrapper|-B|-specs|--specs|-fplugin|-fuse-ld|--ld-path|-Xclang|-Xlinker|-Wl|-Xassembler|-Xpreprocessor|-load|-fplugin-arg",
                    Runs,
                ),
                ("-o|-MF", Writes),
                ("-include|-imacros", Reads),
                ("-I|-isystem|-iquote|-idirafter|-L|-x|-MT|-MQ", Value),
            ],
            false,
        ),
        "rustc" => (
            &[
                ("-C|--codegen|-Z|--extern|-L", Runs),
                ("-o|--out-dir", Writes),
            ],
            false,
        ),
        "sphinx-build" => (
            &[
                ("-c|--conf-dir", Project),
                ("-C|--isolated", Flag),
                ("-d|--doctree-dir", Writes),
                ("-w|--warning-file", Writes),
                (
                    "-D|--define|-b|--builder|-M|-t|--tag|-A|--html-define|-j|--jobs",
                    Value,
                ),
            ],
            false,
        ),
        "pytest" | "py.test" => (
            &[
                ("--pyargs", RunsRest),
                ("--tx|--pastebin", Runs),
                ("--pdbcls", Loads),
                (
                    "-c|--config-file|--inifile|--rootdir|--confcutdir|--cov-config",
                    Project,
                ),
                // pytest empties the directory before its run.
                ("--basetemp", Recreates),
                // `--debug[=FILE]`: pytest's own trace log (see `optional`).
                (
                    "--junitxml|--junit-xml|--resultlog|--result-log|--log-file|--report-log|--html|--json-report-file|--debug",
                    Writes,
                ),
                // Plugins' cache and output directories.
                ("--cache-dir|--cov-report-dir|--html-report-dir", WritesDir),
                ("--css", Reads),
                // Flags that begin a listed option with a value (`--pdb`,
                // `--pdbcls X`): not abbreviations of it.
                (
                    "--pdb|--json-report|--cov-branch|--cov-append|--cov-reset|--self-contained-html|--strict|--lf|--ff|--nf|--sw",
                    Flag,
                ),
                // `--cov-report TYPE:DEST` and `-o cache_dir=DIR` name files (`pytest_files`).
                (
                    "-p|-o|--override-ini|-k|-m|-r|-W|--pythonwarnings|--tb|--maxfail|--durations|--durations-min|--capture|--import-mode|-n|--numprocesses|--dist|--maxprocesses|--deselect|--ignore|--ignore-glob|--log-level|--log-cli-level|--log-format|--timeout|--count|--reruns|--randomly-seed|--cov|--cov-report|--cov-fail-under|--cov-context|--junit-prefix",
                    Value,
                ),
            ],
            false,
        ),
        "unittest" => (
            &[
                ("-s|--start-directory|-t|--top-level-directory", Project),
                ("-p|--pattern|-k", Value),
            ],
            false,
        ),
        "mypy" | "dmypy" => (
            &[
                ("--python-executable", Runs),
                ("--install-types", RunsRest),
                ("--config-file", Project),
                (
                    "--cache-dir|--any-exprs-report|--cobertura-xml-report|--html-report|--linecount-report|--linecoverage-report|--lineprecision-report|--txt-report|--xml-report|--xslt-html-report|--xslt-txt-report",
                    Writes,
                ),
                ("--junit-xml", Writes),
                ("--shadow-file", Reads),
                (
                    "--python-version|--platform|-m|--module|-p|--package|-c|--command|--exclude|--follow-imports|--always-true|--always-false|--enable-error-code|--disable-error-code|--custom-typeshed-dir|--package-root|--junit-format",
                    Value,
                ),
            ],
            false,
        ),
        "black" | "blackd" => (
            &[
                ("--config", Project),
                (
                    "-c|--code|-l|--line-length|-t|--target-version|--include|--exclude|--extend-exclude|--force-exclude|--stdin-filename|-W|--workers|--python-cell-magics|--required-version",
                    Value,
                ),
            ],
            false,
        ),
        "ruff" => (
            &[
                ("--config", Project),
                ("--cache-dir", Writes),
                ("-o|--output-file", Writes),
                // Flags that begin a listed option with a value (`--fix`, `--fixable X`).
                (
                    "--fix|--no-fix|--unsafe-fixes|--show-fixes|--exit-zero|--statistics|--watch|--diff|--check|--preview|--no-cache|--isolated|--add-noqa",
                    Flag,
                ),
                (
                    "--select|--ignore|--extend-select|--extend-ignore|--per-file-ignores|--extend-per-file-ignores|--fixable|--unfixable|--extend-fixable|--exclude|--extend-exclude|--line-length|--target-version|--stdin-filename|--extension|--output-format",
                    Value,
                ),
            ],
            false,
        ),
        "flake8" => (
            &[
                ("--config|--append-config", Project),
                ("--output-file", Writes),
                (
                    "--format|--enable-extensions|--require-plugins|--select|--ignore|--extend-ignore|--extend-select|--exclude|--extend-exclude|--filename|--max-line-length|--max-doc-length|--max-complexity|--per-file-ignores|-j|--jobs|--stdin-display-name",
                    Value,
                ),
            ],
            false,
        ),
        "pylint" => (
            &[
                ("--init-hook|--evaluation", Runs),
                (
                    "--load-plugins|--extension-pkg-allow-list|--extension-pkg-whitelist",
                    Loads,
                ),
                ("--rcfile", Project),
                ("--output", Writes),
                (
                    "--unsafe-load-any-extension|-j|--jobs|-d|--disable|-e|--enable|--ignore|--ignore-patterns|--ignore-paths|-f|--output-format|--msg-template|--fail-under|--fail-on|--py-version|--source-roots|--recursive|--max-line-length|--ignored-modules|--generated-members|--persistent|--clear-cache-post-run",
                    Value,
                ),
            ],
            false,
        ),
        "isort" => (
            &[
                ("--settings-path|--settings-file|--settings|--sp", Project),
                (
                    "--virtual-env|--conda-env|--src|--src-path|-l|--line-length|-m|--multi-line|--profile|-p|--project|--skip|-s|--skip-glob|--sg|--py|--python-version|-a|--add-import|--rm|--remove-import|-o|--thirdparty|-b|--builtin|-f|--future|-t|--top|--ext|--extension|--sort-order|--lai|--lines-after-imports",
                    Value,
                ),
            ],
            false,
        ),
        "coverage" => (
            &[
                ("--rcfile", Project),
                ("--data-file|-o", Writes),
                ("-d|--directory", WritesDir),
                (
                    "--include|--omit|--source|--concurrency|--context|--contexts|--precision|--fail-under|--sort|--format|--title|--debug",
                    Value,
                ),
            ],
            false,
        ),
        "tox" => (
            &[
                ("--discover", Runs),
                ("-x|--override|--installpkg", Loads),
                ("-c|--conf|--configfile|--root", Project),
                ("--workdir", Writes),
                ("--result-json", Writes),
                (
                    "-e|--hashseed|--force-dep|-m|--labels|-f|--factors|--exit-and-dump-after|--colored|--runner|--skip-env",
                    Value,
                ),
            ],
            false,
        ),
        "nox" => (
            &[
                ("-f|--noxfile", Project),
                ("--envdir", Writes),
                ("--report", Writes),
                (
                    "-s|--session|--sessions|-e|-k|-t|--tags|-p|--python|--pythons|--force-python|-P|--extra-python|--extra-pythons|-db|--default-venv-backend|-fb|--force-venv-backend",
                    Value,
                ),
            ],
            false,
        ),
        "mocha" | "_mocha" => (
            &[
                ("-n|--node-option", Runs),
                (
                    "-r|--require|--config|--package|-R|--reporter|-u|--ui|--file|--spec|--loader|--import|--experimental-loader",
                    Project,
                ),
                (
                    "-O|--reporter-option|--reporter-options|-g|--grep|-f|--fgrep|-t|--timeout|-s|--slow|-j|--jobs|--retries|--extension|--ignore|--exclude|--watch-files|--watch-ignore",
                    Value,
                ),
            ],
            false,
        ),
        "jest" => (
            &[
                (
                    "-c|--config|--rootDir|--roots|--projects|--setupFiles|--setupFilesAfterEnv|--globalSetup|--globalTeardown|--testEnvironment|--env|--testRunner|--runner|--testResultsProcessor|--testSequencer|--transform|--reporters|--resolver|--snapshotResolver|--snapshotSerializers|--moduleDirectories|--modulePaths|--moduleNameMapper|--filter|--prettierPath|--watchPlugins|--preset|--haste|--globals|--testEnvironmentOptions",
                    Project,
                ),
                ("--coverageDirectory|--cacheDirectory", Writes),
                ("--outputFile", Writes),
                (
                    "-t|--testNamePattern|--testPathPattern|--testPathPatterns|--testPathIgnorePatterns|--collectCoverageFrom|--coverageProvider|--coverageReporters|--maxWorkers|-w|--selectProjects|--shard|--seed|--testTimeout|--maxConcurrency|--changedSince|--coverageThreshold|--testMatch|--testRegex",
                    Value,
                ),
            ],
            false,
        ),
        "vitest" => (
            &[
                (
                    "-c|--config|-r|--root|--dir|--workspace|--environment|--reporter|--setupFiles|--globalSetup",
                    Project,
                ),
                ("--outputFile", Writes),
                ("--coverage.reportsDirectory", WritesDir),
                ("--coverage.customProviderModule", Project),
                (
                    "-t|--testNamePattern|--project|--pool|--mode|--shard|--maxWorkers|--minWorkers|--testTimeout|--retry|--bail|--exclude|--browser.name",
                    Value,
                ),
            ],
            false,
        ),
        "eslint" => (
            &[
                ("--init|--inspect-config", RunsRest),
                (
                    "-c|--config|--rulesdir|--plugin|--resolve-plugins-relative-to|--parser|-f|--format",
                    Project,
                ),
                ("--ignore-path", Reads),
                ("-o|--output-file|--cache-location", Writes),
                // Flags that begin a listed option with a value (`--cache`,
                // `--cache-location F`): not abbreviations of it.
                (
                    "--cache|--fix|--fix-dry-run|--stdin|--report-unused-disable-directives|--debug|--quiet",
                    Flag,
                ),
                (
                    "--ext|--env|--global|--rule|--parser-options|--fix-type|--max-warnings|--ignore-pattern|--stdin-filename|--cache-strategy|--report-unused-disable-directives-severity|--flag|--concurrency",
                    Value,
                ),
            ],
            false,
        ),
        "prettier" => (
            &[
                ("--config|--plugin|--plugin-search-dir|--parser", Project),
                ("--ignore-path", Reads),
                ("--cache-location", Writes),
                // Flags that begin a listed option with a value (`--cache`, `--cache-location F`).
                ("--cache|--check|--write|--list-different", Flag),
                (
                    "--config-precedence|--stdin-filepath|--log-level|--loglevel|--cursor-offset|--range-start|--range-end|--end-of-line|--print-width|--tab-width|--trailing-comma|--arrow-parens|--prose-wrap|--quote-props|--html-whitespace-sensitivity|--embedded-language-formatting|--object-wrap|--cache-strategy",
                    Value,
                ),
            ],
            false,
        ),
        "tsc" => (
            &[
                ("-p|--project", Project),
                ("--outDir|--declarationDir|--generateTrace", Writes),
                (
                    "--outFile|--out|--tsBuildInfoFile|--generateCpuProfile",
                    Writes,
                ),
                (
                    "--rootDir|--baseUrl|-t|--target|-m|--module|--lib|--jsx|--moduleResolution|--types|--typeRoots|--locale|--rootDirs",
                    Value,
                ),
            ],
            false,
        ),
        "cmake" => (
            &[
                // `--trace` begins `--trace-redirect F`: not an abbreviation of it.
                ("--trace|--trace-expand", Flag),
                ("-E", Runs),
                ("-P", Loads),
                ("-S|-C|--toolchain|--build|--install|--open", Project),
                ("--prefix", Writes),
                (
                    "--graphviz|--trace-redirect|--profiling-output|--system-information",
                    Writes,
                ),
                (
                    "-B|-D|-U|-G|-A|-T|--preset|--workflow|--log-level|--loglevel|--log-context|--target|-t|--config|--component|--profiling-format|--warn-uninitialized|--debug-find-pkg|--debug-find-var|--trace-source|--trace-format",
                    Value,
                ),
            ],
            false,
        ),
        "ctest" => (
            &[
                ("-S|-SP|-SR", Loads),
                ("--build-and-test|--test-command|--extra-submit", Runs),
                ("--test-dir|--build-options", Project),
                ("-O|--output-log|--output-junit", Writes),
                (
                    "--resource-spec-file|--tests-from-file|--exclude-from-file",
                    Reads,
                ),
                (
                    "-C|--build-config|-R|--tests-regex|-E|--exclude-regex|-L|--label-regex|-LE|--label-exclude|-I|--tests-information|-U|--timeout|--repeat|--repeat-until-fail|--stop-time|-T|--test-action|-M|--test-model|-D|--dashboard|--build-generator|--overwrite|--http-header|-FA|--fixture-exclude-any|-FS|-FC|--test-load|--test-output-size-passed|--test-output-size-failed|--test-output-truncation|--output-junit-format|--schedule-random-seed",
                    Value,
                ),
            ],
            false,
        ),
        "ninja" | "samu" => (&[("-f|-C", Project), ("-t|-d|-w|-j|-k|-l", Value)], false),
        "meson" => (
            &[
                ("--wrapper|--gdb-path", Runs),
                ("--native-file|--cross-file|-C|--sourcedir", Project),
                ("--destdir", Writes),
                (
                    "-D|--setup|--test-args|--wrap-mode|--force-fallback-for|--prefix|--libdir|--bindir|--buildtype|--backend|--logbase|--num-processes|--repeat|--suite|--no-suite|--timeout-multiplier|-t|--default-library|--optimization|--warnlevel|--tags|--only-changed",
                    Value,
                ),
            ],
            false,
        ),
        "mvn" | "mvnw" | "mvnd" => (
            &[
                (
                    "-f|--file|-s|--settings|-gs|--global-settings|-t|--toolchains|-gt|--global-toolchains",
                    Project,
                ),
                ("-l|--log-file", Writes),
                (
                    "-D|--define|-P|--activate-profiles|-pl|--projects|-rf|--resume-from|-T|--threads|-b|--builder|-emp|--encrypt-master-password|-ep|--encrypt-password|--color",
                    Value,
                ),
                (
                    "-fae|-ff|-fn|-llr|-ntp|-npr|-nsu|-npu|-cpu|-am|-amd|-up|-B|-e|-X|-q|-U|-o|-N|-V|-v|-C|-c|-h",
                    Flag,
                ),
            ],
            false,
        ),
        "gradle" | "gradlew" => (
            &[
                ("--scan", RunsRest),
                (
                    "-I|--init-script|-c|--settings-file|-b|--build-file|-p|--project-dir|-g|--gradle-user-home|--include-build",
                    Project,
                ),
                ("--project-cache-dir", Writes),
                (
                    "-D|--system-prop|-P|--project-prop|-x|--exclude-task|-F|--dependency-verification|-M|--write-verification-metadata|--priority|--max-workers|--console|--warning-mode|--tests",
                    Value,
                ),
            ],
            false,
        ),
        "rspec" => (
            &[
                ("-r|--require|-I|-O|--options|--default-path", Project),
                ("-o|--out", Writes),
                (
                    "-f|--format|--formatter|-e|--example|-t|--tag|--seed|--order|-P|--pattern|--exclude-pattern|--failure-exit-code|--error-exit-code|--example-matches",
                    Value,
                ),
            ],
            false,
        ),
        "rake" => (
            &[
                (
                    "-e|--execute|-E|--execute-continue|-p|--execute-print",
                    Runs,
                ),
                ("-g|--system", RunsRest),
                (
                    "-f|--rakefile|-r|--require|-I|--libdir|-R|--rakelibdir|--rakelib|-C|--directory",
                    Project,
                ),
            ],
            false,
        ),
        "mix" => (
            &[
                ("-e|--eval|--erl", Runs),
                ("-r|--require|-pr|--parallel-require|-c|--config", Project),
                (
                    "--include|--exclude|--only|--seed|--max-failures|--max-cases|--formatter|--export-coverage|--partitions|--warnings-as-errors|--color",
                    Value,
                ),
            ],
            false,
        ),
        "golangci-lint" => (
            &[
                ("-c|--config", Project),
                ("--new-from-patch", Reads),
                ("--new|--fix|--fast", Flag),
                (
                    "--cpu-profile-path|--mem-profile-path|--trace-path|--output.text.path|--output.json.path|--output.checkstyle.path|--output.junit-xml.path|--output.sarif.path|--output.html.path|--output.tab.path|--output.teamcity.path|--output.code-climate.path",
                    Writes,
                ),
                (
                    "--build-tags|--go|-j|--concurrency|--timeout|--new-from-rev|--new-from-merge-base|--modules-download-mode|-E|--enable|-D|--disable|-p|--presets|--path-prefix|--out-format|--max-issues-per-linter|--max-same-issues",
                    Value,
                ),
            ],
            false,
        ),
        "yq" => (
            &[
                ("--from-file|--split-exp", Reads),
                (
                    "-I|--indent|-p|--input-format|-o|--output-format|--expression",
                    Value,
                ),
            ],
            false,
        ),
        _ => return None,
    };
    let bundles = !matches!(
        name,
        "gcc"
            | "g++"
            | "cc"
            | "c++"
            | "clang"
            | "clang++"
            | "go"
            | "cmake"
            | "ctest"
            | "mvn"
            | "mvnw"
            | "mvnd"
            | "nox"
    );
    let check: Check = match name {
        "make" | "gmake" => make_word,
        "rake" => rake_word,
        "cmake" => cmake_word,
        "mvn" | "mvnw" | "mvnd" => mvn_word,
        "gradle" | "gradlew" => gradle_word,
        "pytest" | "py.test" => pytest_word,
        "jest" | "vitest" => json_config,
        "sphinx-build" => sphinx_word,
        "pylint" => pylint_word,
        "tar" | "gtar" | "bsdtar" => tar_word,
        "awk" | "gawk" | "mawk" | "nawk" => awk_word,
        "yq" => yq_word,
        "ninja" | "samu" => ninja_word,
        "ctest" => ctest_word,
        _ => no_check,
    };
    let names = match name {
        "jest" | "vitest" | "mocha" | "_mocha" | "tsc" => Names::Loose,
        _ => Names::Abbreviated,
    };
    let optional: &'static [&'static str] = match name {
        // pytest's own `--debug[=FILE]` and pytest-cov's `--cov[=SOURCE]`.
        "pytest" | "py.test" => &["--debug", "--cov"],
        _ => &[],
    };
    let inside: Inside = match name {
        "pytest" | "py.test" => pytest_files,
        "mocha" | "_mocha" => mocha_files,
        "pylint" | "golangci-lint" => format_files,
        "mvn" | "mvnw" | "mvnd" | "gradle" | "gradlew" => property_files,
        _ => nothing_inside,
    };
    Some(Spec {
        opts,
        closed,
        bundles,
        check,
        names,
        optional,
        inside,
    })
}

/// Options of `uv run` (and `poetry run`, …) that take a value.
const LAUNCHER_VALUES: &[&str] = &[
    "--with",
    "--with-editable",
    "--with-requirements",
    "--index",
    "--index-url",
    "--extra-index-url",
    "--default-index",
    "-i",
    "-f",
    "--find-links",
    "--project",
    "--directory",
    "--env-file",
    "-p",
    "--python",
    "--package",
    "--extra",
    "--group",
    "--only-group",
    "--no-group",
    "--color",
];

/// Options of `uv run` that take no value.
const LAUNCHER_FLAGS: &[&str] = &[
    "--frozen",
    "--locked",
    "--no-sync",
    "--isolated",
    "--no-project",
    "--all-extras",
    "--no-dev",
    "--dev",
    "--active",
    "--no-default-groups",
    "--all-groups",
    "--offline",
    "-q",
    "--quiet",
    "-v",
    "--verbose",
    "--no-editable",
    "--exact",
    "--inexact",
    "--no-progress",
];

/// Where the command a Python project launcher runs starts in `args`
/// (`uv run --frozen pytest -x` → 2): after `run` and the launcher's own
/// options. None when the call is not a `run`, or runs a module or file of
/// its own choosing (`uv run -m x`, `uv run script.py`) rather than a command.
pub(crate) fn launched_at(tool: &str, args: &[Arg]) -> Option<usize> {
    if args.first().map(Arg::text) != Some("run") {
        return None;
    }
    let mut i = 1;
    while i < args.len() {
        let t = args[i].text();
        if t == "--" {
            i += 1;
            break;
        }
        if !t.starts_with('-') {
            break;
        }
        if tool != "uv" {
            // Their options are not listed here: one could take the next word.
            return None;
        }
        if LAUNCHER_VALUES.contains(&t) {
            i += 2;
        } else if LAUNCHER_FLAGS.contains(&t)
            || LAUNCHER_VALUES
                .iter()
                .any(|v| v.starts_with("--") && t.starts_with(&format!("{v}=")))
        {
            i += 1;
        } else {
            // Unknown (`--upgrade-package P` takes a value): not unwrapped.
            return None;
        }
    }
    let cmd = args.get(i)?;
    (!cmd.dynamic && !cmd.text().ends_with(".py")).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(words: &[&str]) -> Vec<Arg> {
        words.iter().map(|w| Arg::lit(*w)).collect()
    }

    fn risky(name: &str, words: &[&str]) -> Vec<String> {
        let spec = tool(name).expect("a spec");
        let a = args(words);
        review(name, &spec, &a).risky
    }

    #[test]
    fn options_that_run_programs_in_every_spelling() {
        for (tool, words) in [
            ("rg", &["--pre=sh", "x"][..]),
            ("rg", &["--pre", "sh", "x"]),
            ("rg", &["-z", "--pre", "cat", "x"]),
            ("fd", &["-x", "cat"]),
            ("fd", &["-H", "env", "-X", "cat"]),
            ("fd", &["--exec", "curl", "x"]),
            ("tar", &["-I", "/tmp/e", "-xf", "x.tar"]),
            ("tar", &["-cIfoo", "x"]),
            ("tar", &["--use-compress-prog=sh", "-cf", "x", "src"]),
            ("tar", &["--checkpoint-action=exec=id", "-cf", "x", "src"]),
            ("tar", &["--to-command", "sh", "-xf", "x.tar"]),
            ("tar", &["--rsh-command=/x", "-cf", "h:x", "src"]),
            ("zip", &["-T", "-TT", "/tmp/e", "x.zip", "a"]),
            ("sort", &["--compress-program=sh", "a"]),
            ("sort", &["--compress-prog", "sh", "a"]),
            ("man", &["-P", "cat .env", "ls"]),
            ("man", &["-Pcat", "ls"]),
            ("man", &["--pager=x", "ls"]),
            ("make", &["--eval=x:;id", "x"]),
            ("make", &["-E", "x:;id"]),
            ("make", &["-f", "/tmp/e.mk"]),
            ("gcc", &["-wrapper", "/tmp/e,x", "a.c"]),
            ("gcc", &["-B/tmp/e", "a.c"]),
            ("clang", &["-fplugin=/tmp/e.so", "a.c"]),
            ("rustc", &["-C", "linker=/tmp/e", "m.rs"]),
            ("awk", &["-f", "/tmp/e.awk", "x"]),
            ("awk", &["-l", "/tmp/e", "x"]),
            ("jq", &["-L", "/tmp/e", "."]),
        ] {
            assert!(!risky(tool, words).is_empty(), "{tool} {words:?}");
        }
    }

    #[test]
    fn everyday_options_pass() {
        for (tool, words) in [
            ("rg", &["-n", "--hidden", "-g", "!target", "MSRV"][..]),
            ("rg", &["-e", "--pre", "src"]),
            ("fd", &["-e", "rs", "-t", "f", "src"]),
            ("tar", &["czf", "x.tgz", "src"]),
            ("tar", &["-xzf", "x.tgz", "-C", "out"]),
            ("sort", &["-u", "-k", "2", "a"]),
            ("make", &["-j4", "test"]),
            ("gcc", &["-O2", "-Wall", "-o", "a", "a.c"]),
            ("man", &["ls"]),
        ] {
            assert!(risky(tool, words).is_empty(), "{tool} {words:?}");
        }
    }

    #[test]
    fn a_closed_spec_asks_about_what_it_does_not_know() {
        assert!(!risky("fd", &["--frobnicate", "x"]).is_empty());
        assert!(!risky("fd", &["-Z", "x"]).is_empty());
        assert!(risky("fd", &["-HI", "x"]).is_empty());
    }

    #[test]
    fn files_in_option_values_are_listed() {
        let spec = tool("sort").expect("sort");
        let a = args(&["-o", ".git/hooks/pre-commit", "a"]);
        let r = review("sort", &spec, &a);
        assert_eq!(r.writes[0].text(), ".git/hooks/pre-commit");
        let a = args(&["--files0-from=.env"]);
        assert_eq!(review("sort", &spec, &a).reads[0].text(), ".env");
        let spec = git_sub("diff");
        let a = args(&["--output", ".git/hooks/x", "HEAD"]);
        assert_eq!(
            review("git diff", &spec, &a).writes[0].text(),
            ".git/hooks/x"
        );
    }

    fn written(name: &str, words: &[&str]) -> Vec<String> {
        let spec = tool(name).expect("a spec");
        let a = args(words);
        let r = review(name, &spec, &a);
        r.writes
            .iter()
            .chain(&r.write_dirs)
            .chain(&r.recreated)
            .map(|a| a.text().to_string())
            .collect()
    }

    #[test]
    fn reports_and_caches_are_written_where_options_say() {
        for (tool, words, want) in [
            ("pytest", &["--junitxml=.git/hooks/x"][..], ".git/hooks/x"),
            ("pytest", &["--debug=.git/hooks/x"], ".git/hooks/x"),
            (
                "pytest",
                &["--debug", ".git/hooks/x", "tests"],
                ".git/hooks/x",
            ),
            (
                "pytest",
                &["--cov", "--cov-report=xml:.git/hooks/x"],
                ".git/hooks/x",
            ),
            ("pytest", &["--cov-report", "html:.git/hooks"], ".git/hooks"),
            ("pytest", &["--cov-report=lcov:cov.info"], "cov.info"),
            ("pytest", &["-o", "cache_dir=.git"], ".git"),
            ("pytest", &["-ocache_dir=.git"], ".git"),
            ("pytest", &["--override-ini=log_file=.git/x"], ".git/x"),
            ("pytest", &["--basetemp", ".git"], ".git"),
            (
                "pytest",
                &["--json-report", "--json-report-file=.git/x"],
                ".git/x",
            ),
            ("coverage", &["html", "-d", ".git/hooks"], ".git/hooks"),
            (
                "coverage",
                &["run", "--data-file=.git/x", "-m", "pytest"],
                ".git/x",
            ),
            ("mocha", &["--reporter-option", "output=.git/x"], ".git/x"),
            ("mocha", &["-O", "suiteName=a,mochaFile=.git/x"], ".git/x"),
            (
                "mocha",
                &["--reporterOptions=reportDir=.git/hooks"],
                ".git/hooks",
            ),
            (
                "pylint",
                &["--output-format=json:.git/x,colorized"],
                ".git/x",
            ),
            (
                "golangci-lint",
                &["run", "--out-format=checkstyle:.git/x"],
                ".git/x",
            ),
            (
                "eslint",
                &["--cache", "--cache-location", ".git/x", "."],
                ".git/x",
            ),
            (
                "ruff",
                &["check", "--fix", "--output-file", ".git/x"],
                ".git/x",
            ),
            ("jest", &["--json", "--output-file=.git/x"], ".git/x"),
            (
                "jest",
                &["--coverage", "--coverage-directory", ".git/hooks"],
                ".git/hooks",
            ),
            ("vitest", &["run", "--outputFile.junit=.git/x"], ".git/x"),
            (
                "vitest",
                &["--coverage", "--coverage.reportsDirectory", ".git"],
                ".git",
            ),
            ("tsc", &["--outdir", ".git/hooks"], ".git/hooks"),
            (
                "tsc",
                &["--declaration", "--declarationDir", ".git/hooks"],
                ".git/hooks",
            ),
        ] {
            let w = written(tool, words);
            assert!(w.iter().any(|x| x == want), "{tool} {words:?}: {w:?}");
        }
    }

    #[test]
    fn an_optional_value_is_not_the_next_option() {
        // `pytest --debug -p evil`: -p is an option, not the debug file.
        assert!(!risky("pytest", &["--debug", "-p", "evil"]).is_empty());
        assert!(written("pytest", &["--debug", "-x"]).is_empty());
        // `--cov` is a flag with an optional source, not `--cov-config`.
        let spec = tool("pytest").expect("pytest");
        let a = args(&["--cov", "--cov-config=/tmp/x"]);
        let r = review("pytest", &spec, &a);
        assert_eq!(r.projects[0].text(), "/tmp/x");
        // `--pdb` is not an abbreviation of `--pdbcls`.
        assert!(risky("pytest", &["--pdb", "tests"]).is_empty());
    }

    #[test]
    fn go_flags_in_every_spelling() {
        let go = |sub: &str, words: &[&str]| {
            let spec = super::sub("go", sub).expect("go spec");
            let a = args(words);
            let r = review("go", &spec, &a);
            let w: Vec<String> = r.writes.iter().map(|a| a.text().to_string()).collect();
            (r.risky, w)
        };
        // Boolean flags take no value: the next option is still seen.
        assert!(!go("test", &["-v", "-exec", "/tmp/x", "./..."]).0.is_empty());
        assert!(
            !go("test", &["-race", "-toolexec", "x", "./..."])
                .0
                .is_empty()
        );
        assert_eq!(go("build", &["-v", "-o", ".git/x", "."]).1, [".git/x"]);
        // Go's flag package takes `--flag` as `-flag`.
        assert!(!go("build", &["--toolexec=x", "."]).0.is_empty());
        assert_eq!(go("test", &["--coverprofile=.git/x"]).1, [".git/x"]);
        // The test binary's own spellings, before or after `-args`.
        assert_eq!(go("test", &["-test.coverprofile=.git/x"]).1, [".git/x"]);
        assert_eq!(
            go("test", &["./x", "-args", "-test.cpuprofile", ".git/x"]).1,
            [".git/x"]
        );
        assert!(
            !go("build", &["-ldflags=-extldflags=-fuse-ld=/tmp/x", "."])
                .0
                .is_empty()
        );
        assert!(
            !go("build", &["-ldflags", "-extldflags '-B /tmp'", "."])
                .0
                .is_empty()
        );
        assert!(
            go("build", &["-ldflags=-s -w -extldflags=-static", "."])
                .0
                .is_empty()
        );
        assert!(go("test", &["-v", "-race", "-cover", "./..."]).0.is_empty());
    }

    #[test]
    fn words_after_the_separator_reach_the_test_harness() {
        let spec = after_separator("cargo", "test").expect("libtest");
        let a = args(&["--logfile", ".git/x", "--nocapture"]);
        assert_eq!(
            review("cargo test --", &spec, &a).writes[0].text(),
            ".git/x"
        );
        assert!(after_separator("cargo", "build").is_none());
    }

    #[test]
    fn launched_tools_are_found() {
        let l = |name: &str, words: &[&str]| launched(name, &args(words));
        assert_eq!(
            l("python3", &["-m", "pytest", "-x"]),
            Some(("pytest".into(), 2))
        );
        assert_eq!(
            l("coverage", &["run", "--source", "src", "-m", "pytest"]),
            Some(("pytest".into(), 5))
        );
        assert_eq!(l("coverage", &["run", "script.py"]), None);
        assert_eq!(l("coverage", &["html"]), None);
        assert_eq!(
            l("npx", &["eslint", "-c", "x.js"]),
            Some(("eslint".into(), 1))
        );
        assert_eq!(l("npx", &["-c", "eslint ."]), None);
    }

    #[test]
    fn git_options_before_the_subcommand_are_closed() {
        let a = args(&["--frob", "status"]);
        assert!(!review("git", &GIT, &a).risky.is_empty());
        let a = args(&["--no-pager", "-C", "src", "log"]);
        let r = review("git", &GIT, &a);
        assert!(r.risky.is_empty());
        assert_eq!(r.projects[0].text(), "src");
    }
}
