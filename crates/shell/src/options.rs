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
//! so an unknown long option that begins a known one counts as that one.

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
}

/// What the options of one call do.
#[derive(Debug, Default)]
pub(crate) struct Review<'a> {
    /// Reasons to ask: options that run or load programs, unknown options of a closed spec.
    pub risky: Vec<String>,
    pub reads: Vec<Arg>,
    pub writes: Vec<Arg>,
    pub write_dirs: Vec<Arg>,
    /// Directories or files of another project the tool would run the build of.
    pub projects: Vec<Arg>,
    /// What is left: the operands.
    pub operands: Vec<&'a Arg>,
}

fn lookup(spec: &Spec, name: &str) -> Option<Kind> {
    spec.opts
        .iter()
        .find(|(names, _)| names.split('|').any(|n| n == name))
        .map(|(_, k)| *k)
}

/// A long option abbreviated to a prefix of a known one: the most dangerous reading wins.
fn abbreviated(spec: &Spec, name: &str) -> Option<Kind> {
    if name.len() < 4 {
        return None;
    }
    let mut found: Option<Kind> = None;
    for (names, k) in spec.opts {
        if names
            .split('|')
            .any(|n| n.starts_with("--") && n.starts_with(name))
        {
            let dangerous = matches!(k, Kind::Runs | Kind::RunsRest | Kind::Loads);
            if found.is_none() || dangerous {
                found = Some(*k);
            }
        }
    }
    found
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
            let kind = lookup(spec, &name).or_else(|| abbreviated(spec, &name));
            let Some(kind) = kind else {
                if spec.closed {
                    r.risky
                        .push(format!("{tool} {name} is an option ztguard does not know"));
                }
                continue;
            };
            let value = match inline {
                Some(v) => Some(with_text(a, v)),
                None if kind.takes_value() => {
                    let v = args.get(i).cloned();
                    i += 1;
                    v
                }
                None => None,
            };
            apply(tool, &name, kind, value, &mut r);
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
                Some(k) => {
                    let v = match inline {
                        Some(v) => Some(with_text(a, &v)),
                        None if k.takes_value() => {
                            let v = args.get(i).cloned();
                            i += 1;
                            v
                        }
                        None => None,
                    };
                    (Some(k), v)
                }
                None => match attached(spec, t) {
                    Some((k, rest)) => (Some(k), Some(with_text(a, rest))),
                    None => (None, None),
                },
            };
            match kind {
                Some(k) => {
                    apply(tool, &name, k, value, &mut r);
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
            let Some(kind) = lookup(spec, &name) else {
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
                apply(tool, &name, kind, value, &mut r);
                break;
            }
            apply(tool, &name, kind, None, &mut r);
            if kind == Kind::RunsRest {
                return r;
            }
        }
    }
    r
}

/// A listed single-dash option with its value attached (`-B/dir`, `-Wl,-x`): the longest match.
fn attached<'w>(spec: &Spec, word: &'w str) -> Option<(Kind, &'w str)> {
    let mut best: Option<(usize, Kind)> = None;
    for (names, k) in spec.opts {
        for n in names.split('|') {
            if !n.starts_with("--")
                && word.len() > n.len()
                && word.starts_with(n)
                && best.is_none_or(|(len, _)| n.len() > len)
            {
                best = Some((n.len(), *k));
            }
        }
    }
    best.map(|(len, k)| (k, word[len..].trim_start_matches([',', '='])))
}

fn with_text(a: &Arg, v: &str) -> Arg {
    Arg {
        values: vec![v.to_string()],
        ..a.clone()
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
    }
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
    "cmake",
    "meson",
    "tox",
    "nox",
    "pre-commit",
    "just",
    "task",
    "nx",
    "turbo",
];

/// Spec of the options after `tool SUB`.
pub(crate) fn sub(tool: &str, sub: &str) -> Option<Spec> {
    let (opts, bundles): (&'static [(&'static str, Kind)], bool) = match (tool, sub) {
        (
            "go",
            "build" | "test" | "run" | "install" | "vet" | "list" | "generate" | "get" | "tool"
            | "mod" | "work" | "doc" | "fix" | "clean",
        ) => (
            &[
                ("-exec|-toolexec|-vettool|-overlay|-modfile|-pgo", Runs),
                (
                    "-o|-coverprofile|-cpuprofile|-memprofile|-blockprofile|-mutexprofile|-trace|-outputdir",
                    Writes,
                ),
                ("-C", Project),
                (
                    "-run|-bench|-count|-timeout|-tags|-p|-parallel|-cover|-covermode|-coverpkg|-mod|-buildmode|-compiler|-installsuffix|-pkgdir|-benchtime|-cpu|-shuffle|-skip|-fuzz|-fuzztime|-json|-short|-race|-msan|-asan|-v|-x|-n|-a|-trimpath|-buildvcs|-ldflags|-gcflags|-asmflags",
                    Value,
                ),
            ],
            false,
        ),
        ("cargo", _) => (
            &[
                ("--config", Loads),
                ("--manifest-path", Project),
                ("--target-dir|--artifact-dir|--out-dir", WritesDir),
                ("--lockfile-path", Writes),
            ],
            true,
        ),
        ("npm" | "pnpm" | "yarn" | "bun", _) => (
            &[
                ("--script-shell|--node-options|--shell", Runs),
                (
                    "--userconfig|--globalconfig|--preload|-r|--require|--config|--rcfile",
                    Loads,
                ),
                ("--prefix|-C|--dir|--cwd", Project),
                ("--registry", Value),
            ],
            true,
        ),
        _ => return None,
    };
    Some(Spec {
        opts,
        closed: false,
        bundles,
    })
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
                ("--prefix|-C|--dir|--cwd", Project),
            ],
            false,
        ),
        "sed" | "gsed" => (&[("-f|--file", Loads)], false),
        "awk" | "gawk" | "mawk" | "nawk" => (
            &[
                ("-f|--file|-i|--include|-l|--load|-E|--exec", Loads),
                ("-F|--field-separator|-v|--assign", Value),
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
        "sphinx-build" => (&[("-c|-C|-D", Loads)], false),
        _ => return None,
    };
    let bundles = !matches!(
        name,
        "gcc" | "g++" | "cc" | "c++" | "clang" | "clang++" | "go"
    );
    Some(Spec {
        opts,
        closed,
        bundles,
    })
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
