//! What a variable assignment does to the programs it reaches.
//!
//! Most programs read some environment variable that makes them run another
//! program or load code: `GIT_PAGER`, `LD_PRELOAD`, `RUSTC_WRAPPER`,
//! `NODE_OPTIONS=--require`, `PYTHONSTARTUP`, `PIP_INDEX_URL`, … The list of
//! such variables is open-ended, so it is not the one kept here. An
//! assignment handed to a command (`X=1 cmd`, `export X=1`, `env X=1 cmd`) is
//! harmless when its name is on [`HARMLESS`] (the variables that change how a
//! tool reports or which of its own modes it picks), or when it is in no
//! tool's namespace ([`EXPORTED`]: `GIT_*`, `NODE_*`, `*_OPTIONS`, …) and no
//! word of it says it names a program, code, a place or a setting file
//! ([`RISKY_WORDS`]): `FOO=1`, `PORT=3000`, `APP_MODE=test` are the project's
//! own. Any other asks.
//!
//! A bare shell assignment (`V=.env; cat "$V"`) reaches no program unless the
//! name is already exported: [`EXPORTED`] lists the names that usually are
//! and that change what runs (`PATH`, `LD_*`, `GIT_*`, …).

/// Variables a command may be given without changing what it runs, loads or
/// reaches. `*` matches within a name.
const HARMLESS: &[&str] = &[
    // Logging, colour, terminal, locale.
    "RUST_LOG",
    "RUST_BACKTRACE",
    "RUST_LIB_BACKTRACE",
    "RUST_TEST_THREADS",
    "RUST_TEST_NOCAPTURE",
    "RUST_MIN_STACK",
    "CARGO_TERM_*",
    "CARGO_INCREMENTAL",
    "CARGO_BUILD_JOBS",
    "CARGO_PROFILE_*_DEBUG",
    "CARGO_NET_OFFLINE",
    "NODE_ENV",
    "NODE_NO_WARNINGS",
    "BROWSERSLIST_IGNORE_OLD_DATA",
    "CI",
    "DEBUG",
    "VERBOSE",
    "V",
    "TZ",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TERM",
    "NO_COLOR",
    "FORCE_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "COLUMNS",
    "LINES",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONHASHSEED",
    "PYTHONIOENCODING",
    "PYTHONUTF8",
    "PYTHONDEVMODE",
    "PYTHONWARNINGS",
    "PYTHONFAULTHANDLER",
    "GOOS",
    "GOARCH",
    "GOARM",
    "GOAMD64",
    "CGO_ENABLED",
    "GO111MODULE",
    "GOEXPERIMENT",
    "GOMAXPROCS",
    "GODEBUG",
    "GOTRACEBACK",
    // Flags variables: harmless only when every flag in them is ([`flags_tune_only`]).
    "GOFLAGS",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "MAKEFLAGS",
    // Telemetry and update nags.
    "*_TELEMETRY_DISABLED",
    "*_TELEMETRY_OPTOUT",
    "DO_NOT_TRACK",
    "HUSKY",
    "SKIP",
    "HOMEBREW_NO_AUTO_UPDATE",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_NO_CACHE_DIR",
    "PIP_NO_INPUT",
    "UV_FROZEN",
    "UV_LOCKED",
    "UV_NO_SYNC",
    "POETRY_VIRTUALENVS_IN_PROJECT",
    "NPM_CONFIG_LOGLEVEL",
    "npm_config_loglevel",
    "JEST_JUNIT_OUTPUT_DIR",
    "TEST_*",
    "TESTS",
    "PASSES",
    "RACE",
    "COVERAGE",
];

/// Names usually exported already, whose new value changes what a later
/// command runs or loads even without `export`.
const EXPORTED: &[&str] = &[
    "PATH",
    "HOME",
    "SHELL",
    "ENV",
    "BASH_ENV",
    "CDPATH",
    "GLOBIGNORE",
    "IFS",
    "PS0",
    "PS1",
    "PS2",
    "PS4",
    "PROMPT_COMMAND",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "MANPAGER",
    "BROWSER",
    "LESSOPEN",
    "LESSCLOSE",
    "TMPDIR",
    "XDG_*",
    "LD_*",
    "DYLD_*",
    "GIT_*",
    "SSH_*",
    "PYTHON*",
    "NODE_*",
    "NPM_*",
    "npm_*",
    "YARN_*",
    "RUSTC*",
    "RUSTDOC*",
    "RUSTUP_*",
    "CARGO*",
    "GO*",
    "PIP_*",
    "UV_*",
    "PERL5*",
    "PERLLIB",
    "RUBY*",
    "GEM_*",
    "BUNDLE_*",
    "JAVA_TOOL_OPTIONS",
    "*_OPTIONS",
    "*_OPTS",
    "*_proxy",
    "*_PROXY",
    "MAKEFLAGS",
    "CC",
    "CXX",
];

/// Variables a project's own code reads, passed when nothing else about the
/// name says it reaches a tool (`PORT=3000 npm start`, `APP_MODE=test`).
/// Every other unlisted name asks: the variables that make some tool run,
/// load or write something are too many to list (`DEPENDENCIES_OUTPUT`
/// for gcc, `TAPE` for tar, `RM` for make).
const PROJECT_OWN: &[&str] = &[
    "PORT",
    "APP_*",
    "FOO",
    "BAR",
    "ENVIRONMENT",
    "STAGE",
    "LOG_LEVEL",
    "TESTING",
    "SLOW",
    "SEED",
    "RANDOM_SEED",
    "WORKERS",
    "JOBS",
    "THREADS",
    "TIMEOUT",
    "RETRIES",
    "RUN_*",
    "SKIP_*",
    "ENABLE_*",
    "DISABLE_*",
    "USE_*",
    "WITH_*",
    "UPDATE_SNAPSHOTS",
    "INSTA_UPDATE",
    "INSTA_FORCE_PASS",
    "SNAPSHOT_UPDATE",
    "FORCE",
];

/// Words (split at `_`) that make an unlisted variable name a setting that
/// may run, load or reach something: `MY_TOOL_CMD`, `FOO_PLUGIN_DIR`, `X_URL`.
const RISKY_WORDS: &[&str] = &[
    "CMD",
    "COMMAND",
    "EXEC",
    "EXE",
    "BIN",
    "PROG",
    "PROGRAM",
    "SHELL",
    "SH",
    "EDITOR",
    "PAGER",
    "BROWSER",
    "PRELOAD",
    "LIBRARY",
    "LIB",
    "LIBS",
    "PATH",
    "PATHS",
    "OPTIONS",
    "OPTS",
    "FLAGS",
    "ARGS",
    "WRAPPER",
    "LAUNCHER",
    "RUNNER",
    "HOOK",
    "HOOKS",
    "PLUGIN",
    "PLUGINS",
    "LOADER",
    "MODULE",
    "MODULES",
    "REQUIRE",
    "IMPORT",
    "INCLUDE",
    "INIT",
    "STARTUP",
    "RC",
    "PROFILE",
    "CONFIG",
    "CONF",
    "CFG",
    "SETTINGS",
    "ENV",
    "FILE",
    "DIR",
    "HOME",
    "ROOT",
    "PREFIX",
    "URL",
    "URI",
    "HOST",
    "ENDPOINT",
    "REGISTRY",
    "INDEX",
    "MIRROR",
    "PROXY",
    "SSH",
    "ASKPASS",
    "TOOL",
    "COMPILER",
    "INTERPRETER",
    "SCRIPT",
    "EVAL",
    "CODE",
    "TEMPLATE",
    "PRE",
    "POST",
    "KEY",
    "MAKEFILE",
    "MAKEFILES",
    "ARCHIVE",
    "CACHE",
    "TMP",
    "TEMP",
    "TMPDIR",
    "SOCKET",
    "SOCK",
    "AGENT",
    "DAEMON",
    "SERVER",
    "LOAD",
    "LOCALE",
    "ZONEINFO",
    "CERT",
    "CA",
    "BUNDLE",
    "TOKEN",
];

/// Name prefixes of tools that read settings from the environment (beyond
/// [`EXPORTED`]): `LESSKEY`, `MAKEFILES`, `DOCKER_HOST`, `TF_CLI_ARGS`, … An
/// unlisted variable in one of these namespaces asks.
const TOOL_NAMESPACES: &[&str] = &[
    "LESS",
    "MAKE",
    "GREP",
    "TAR",
    "GZIP",
    "ZSTD",
    "XZ",
    "BZIP",
    "MAN",
    "GNUPG",
    "GPG",
    "CURL",
    "WGET",
    "DOCKER",
    "COMPOSE",
    "KUBE",
    "HELM",
    "TF_",
    "TERRAFORM",
    "AWS",
    "GCLOUD",
    "CLOUDSDK",
    "GOOGLE",
    "AZURE",
    "JAVA",
    "JDK",
    "MAVEN",
    "M2",
    "GRADLE",
    "SBT",
    "DOTNET",
    "NUGET",
    "MSBUILD",
    "COMPOSER",
    "PHP",
    "DENO",
    "BUN",
    "PNPM",
    "TS_NODE",
    "BABEL",
    "ESLINT",
    "PRETTIER",
    "JEST",
    "VITEST",
    "PYTEST",
    "TOX",
    "NOX",
    "CONDA",
    "PIPX",
    "POETRY",
    "HATCH",
    "PDM",
    "VIRTUAL_ENV",
    "JULIA",
    "CABAL",
    "STACK",
    "OPAM",
    "OCAML",
    "ERL",
    "ELIXIR",
    "MIX",
    "HEX",
    "SWIFT",
    "XCODE",
    "ANDROID",
    "NDK",
    "CMAKE",
    "MESON",
    "NINJA",
    "BAZEL",
    "CCACHE",
    "SCCACHE",
    "DISTCC",
    "VCPKG",
    "CONAN",
    "ZIG",
    "NIX",
    "DIRENV",
    "MISE",
    "ASDF",
    "RBENV",
    "PYENV",
    "NVM",
    "VOLTA",
    "FNM",
    "COREPACK",
    "TERMINFO",
    "VIM",
    "EMACS",
    "TMUX",
    "ZDOTDIR",
    "INPUTRC",
    "HIST",
    "LOCPATH",
    "GCONV",
    "MALLOC",
    "GLIBC",
    "OPENSSL",
    "SSL",
    "CURL",
    "REQUESTS",
    "NODE",
    "DEBUGINFOD",
    "VALGRIND",
    "ASAN",
    "UBSAN",
    "LSAN",
    "TSAN",
    "MSAN",
    "GCOV",
    "LLVM",
    "CLANG",
    "GCC",
    "COLLECT",
    "DPKG",
    "APT",
    "DEBIAN",
    "RPM",
    "YUM",
    "DNF",
    "BREW",
    "HOMEBREW",
    "SNAP",
    "FLATPAK",
    "SUDO",
    "SYSTEMD",
    "DBUS",
    "DISPLAY",
    "WAYLAND",
    "XAUTHORITY",
    "KRB5",
    "ANSIBLE",
    "VAGRANT",
    "PACKER",
    "VAULT",
    "CONSUL",
    "NOMAD",
    "PULUMI",
    "SENTRY",
    "HEROKU",
    "VERCEL",
    "NETLIFY",
    "FLY",
    "RAILWAY",
    "GH_",
    "GITHUB",
    "GITLAB",
    "BITBUCKET",
    "CIRCLE",
    "TRAVIS",
    "BUILDKITE",
    "JENKINS",
    "SONAR",
    "CODECOV",
    "COVERALLS",
    "PLAYWRIGHT",
    "PUPPETEER",
    "CYPRESS",
    "CHROME",
    "ELECTRON",
    "WEBPACK",
    "ROLLUP",
    "ESBUILD",
    "SWC",
    "TURBO",
    "NX_",
    "LERNA",
    "RUSTUP",
    "WASM",
    "EMSDK",
    "EM_",
    "QEMU",
    "LIBVIRT",
    "PODMAN",
    "CONTAINERS",
    "BUILDAH",
    "NERDCTL",
];

/// `go` flags that only pick a mode, a selection or a number
/// (`GOFLAGS=-mod=mod -trimpath -count=1`). Not listed, so asked about:
/// those that run a program (`-toolexec`, `-exec`, `-vettool`), read a
/// file that changes the build (`-modfile`, `-overlay`, `-pgo`), write a
/// file (`-o`, `-coverprofile`, `-cpuprofile`, …) and `-gcflags` /
/// `-asmflags`, whose own flags write files (`-gcflags=-cpuprofile=F`).
const GO_TUNING: &[&str] = &[
    "mod",
    "modcacherw",
    "tags",
    "trimpath",
    "buildvcs",
    "buildmode",
    "installsuffix",
    "count",
    "race",
    "msan",
    "asan",
    "cover",
    "covermode",
    "coverpkg",
    "v",
    "x",
    "a",
    "n",
    "p",
    "parallel",
    "timeout",
    "short",
    "failfast",
    "json",
    "run",
    "skip",
    "bench",
    "benchtime",
    "benchmem",
    "cpu",
    "shuffle",
    "vet",
];

/// `-ldflags` inside `GOFLAGS` that only strip or stamp the binary (`-s`, `-w`, `-X main.v=1`).
const GO_LINK_TUNING: &[&str] = &["s", "w", "X", "buildid"];

/// rustc `-C` settings that only tune code generation. Not listed, so
/// asked about: `linker`, `link-arg(s)`, `linker-flavor`, `llvm-args`,
/// `passes`, `profile-generate` / `profile-use`, `incremental`,
/// `save-temps`, `dlltool`, `ar`, … (programs run, files read or written).
const RUST_CODEGEN_TUNING: &[&str] = &[
    "opt-level",
    "target-cpu",
    "target-feature",
    "debuginfo",
    "debug-assertions",
    "overflow-checks",
    "panic",
    "codegen-units",
    "lto",
    "embed-bitcode",
    "force-frame-pointers",
    "force-unwind-tables",
    "strip",
    "relocation-model",
    "code-model",
    "instrument-coverage",
    "symbol-mangling-version",
    "split-debuginfo",
    "inline-threshold",
    "soft-float",
    "no-redzone",
    "prefer-dynamic",
    "rpath",
    "metadata",
    "no-vectorize-loops",
    "no-vectorize-slp",
    "control-flow-guard",
    "jump-tables",
    "relro-level",
];

/// Whether every flag in a flags variable only tunes the tool
/// (`GOFLAGS=-mod=mod`, `RUSTFLAGS='-D warnings -C target-cpu=native'`,
/// `MAKEFLAGS=-j4`). A flag not known to be harmless asks: the flags that
/// run a program, load code or write a file are spelled too many ways for a
/// list of bad ones (`GOFLAGS=-o=.env`, `RUSTFLAGS=--emit=asm=.env`,
/// `RUSTFLAGS=-Clinker=x`, `MAKEFLAGS=--eval=…`).
fn flags_tune_only(name: &str, value: &str) -> bool {
    match name {
        "GOFLAGS" => value.split_whitespace().all(|w| {
            let Some(flag) = w.strip_prefix('-') else {
                return false;
            };
            let flag = flag.strip_prefix('-').unwrap_or(flag);
            let (n, v) = flag.split_once('=').unwrap_or((flag, ""));
            if n == "ldflags" {
                return !v.contains('@')
                    && v.split([' ', '\'', '"'])
                        .filter(|t| t.starts_with('-'))
                        .all(|t| {
                            let t = t.trim_start_matches('-');
                            GO_LINK_TUNING.contains(&t.split('=').next().unwrap_or(t))
                        });
            }
            GO_TUNING.contains(&n) && !v.contains(['/', '@'])
        }),
        "RUSTFLAGS" | "RUSTDOCFLAGS" | "CARGO_ENCODED_RUSTFLAGS" => rust_flags_tune_only(value),
        "MAKEFLAGS" => make_flags_tune_only(value),
        _ => true,
    }
}

/// See [`flags_tune_only`]: how many jobs, keep going, silence, dry runs
/// (`-j4`, `-k`, `-s`, `--no-print-directory`, `-Oline`). Not `--eval`,
/// `-f`, `-C`, `-I`, `-t` (touches targets) nor `NAME=value` overrides.
fn make_flags_tune_only(value: &str) -> bool {
    const LETTERS: &str = "ksiwrRBnq";
    const LONG: &[&str] = &[
        "keep-going",
        "silent",
        "quiet",
        "no-print-directory",
        "print-directory",
        "no-builtin-rules",
        "no-builtin-variables",
        "always-make",
        "ignore-errors",
        "dry-run",
        "just-print",
        "question",
        "jobserver-auth",
        "jobserver-fds",
    ];
    let numeric = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit() || c == '.');
    let alphabetic = |s: &str| s.chars().all(|c| c.is_ascii_alphabetic());
    let mut number_next = false;
    for (i, w) in value.split_whitespace().enumerate() {
        let ok = if number_next && numeric(w) {
            true
        } else if let Some(long) = w.strip_prefix("--") {
            let (n, v) = long.split_once('=').unwrap_or((long, ""));
            LONG.contains(&n)
                || (matches!(n, "jobs" | "load-average" | "max-load" | "output-sync")
                    && (numeric(v) || alphabetic(v)))
        } else {
            // `-j4`, `-ks`, `-l 2`, `-Oline`; make writes its own
            // single-letter flags without a dash first (`MAKEFLAGS=ks`).
            let Some(letters) = w.strip_prefix('-').or((i == 0).then_some(w)) else {
                return false;
            };
            let (flags, rest) =
                letters.split_at(letters.find(['j', 'l', 'O']).unwrap_or(letters.len()));
            flags.chars().all(|c| LETTERS.contains(c))
                && (rest.len() <= 1
                    || numeric(&rest[1..])
                    || (rest.starts_with('O') && alphabetic(&rest[1..])))
        };
        if !ok {
            return false;
        }
        number_next = matches!(w, "-j" | "-l");
    }
    true
}

/// See [`flags_tune_only`]: lint levels, `--cfg`, `--edition`, `-g`, `-O`
/// and the `-C` settings of [`RUST_CODEGEN_TUNING`]; words separated by
/// spaces or, in `CARGO_ENCODED_RUSTFLAGS`, by 0x1f.
fn rust_flags_tune_only(value: &str) -> bool {
    let words: Vec<&str> = value
        .split(|c: char| c.is_whitespace() || c == '\u{1f}')
        .filter(|w| !w.is_empty())
        .collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        i += 1;
        let (opt, attached) = match w.strip_prefix("--") {
            Some(long) => match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            },
            None if w.starts_with('-') && w.len() > 2 => (&w[1..2], Some(&w[2..])),
            None if w.starts_with('-') => (&w[1..], None),
            None => return false,
        };
        let mut value = || -> &str {
            match attached {
                Some(v) => v,
                None => {
                    i += 1;
                    words.get(i - 1).copied().unwrap_or("")
                }
            }
        };
        let ok = match opt {
            "D" | "W" | "A" | "F" | "deny" | "warn" | "allow" | "forbid" | "force-warn"
            | "cap-lints" | "cfg" | "check-cfg" | "edition" => {
                let v = value();
                !v.contains(['/', '@'])
            }
            "C" | "codegen" => {
                let v = value();
                let key = v.split('=').next().unwrap_or(v);
                RUST_CODEGEN_TUNING.contains(&key) && !v.contains(['/', '@'])
            }
            "g" | "O" => attached.is_none_or(str::is_empty),
            // rustdoc's: which items are documented.
            "document-private-items" | "document-hidden-items" => true,
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

/// `*` in `pattern` matches any run of characters in `name`.
fn star_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for m in middle {
        match rest.find(m) {
            Some(i) => rest = &rest[i + m.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether handing `name=value` to a program leaves what it runs unchanged.
pub fn harmless(name: &str, value: &str) -> bool {
    if name == "NODE_OPTIONS" {
        // `NODE_OPTIONS=--max-old-space-size=4096`: tuning, no code loaded.
        return !value.trim().is_empty()
            && value.split_whitespace().all(|w| {
                [
                    "--max-old-space-size=",
                    "--max-semi-space-size=",
                    "--stack-size=",
                    "--unhandled-rejections=",
                ]
                .iter()
                .any(|p| w.starts_with(p))
                    || matches!(
                        w,
                        "--enable-source-maps"
                            | "--no-warnings"
                            | "--no-deprecation"
                            | "--trace-warnings"
                            | "--trace-deprecation"
                            | "--experimental-vm-modules"
                    )
            });
    }
    if !HARMLESS.iter().any(|p| star_match(p, name)) {
        return PROJECT_OWN.iter().any(|p| star_match(p, name))
            && !exported(name)
            && !TOOL_NAMESPACES.iter().any(|p| name.starts_with(p))
            && !["FLAGS", "OPT", "OPTS", "OPTIONS"]
                .iter()
                .any(|t| name.ends_with(t))
            && !matches!(
                name,
                "LD" | "AR" | "AS" | "CPP" | "FC" | "MAKE" | "M4" | "YACC" | "LEX"
            )
            && !name
                .split('_')
                .any(|w| RISKY_WORDS.iter().any(|r| r.eq_ignore_ascii_case(w)));
    }
    flags_tune_only(name, value)
}

/// Harmless variables that name a directory the tool writes its report
/// into (`JEST_JUNIT_OUTPUT_DIR=reports jest`): judged as a write there.
pub fn output_dir(name: &str) -> bool {
    name == "JEST_JUNIT_OUTPUT_DIR"
}

/// Whether a bare assignment to `name` (no `export`) can still reach later commands.
pub fn exported(name: &str) -> bool {
    EXPORTED.iter().any(|p| star_match(p, name))
}

/// Variables whose value the shell runs as code later (`PS4` under `bash -x`,
/// `PROMPT_COMMAND`) or whose value names a file a shell runs at start (`BASH_ENV`, `ENV`).
pub fn runs_value(name: &str) -> Option<ValueUse> {
    match name {
        "PS0" | "PS1" | "PS2" | "PS4" | "PROMPT_COMMAND" => Some(ValueUse::Code),
        "BASH_ENV" | "ENV" => Some(ValueUse::Script),
        _ => None,
    }
}

/// How the shell uses a variable's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueUse {
    /// Expanded and run as shell code.
    Code,
    /// The path of a script the shell sources at start.
    Script,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reporting_variables_are_harmless() {
        for (n, v) in [
            ("RUST_LOG", "debug"),
            ("NODE_ENV", "test"),
            ("CI", "true"),
            ("LC_ALL", "C"),
            ("CARGO_TERM_COLOR", "always"),
            ("RUSTFLAGS", "-D warnings"),
            ("GOFLAGS", "-mod=mod"),
            ("NEXT_TELEMETRY_DISABLED", "1"),
            ("FOO", "1"),
            ("PORT", "3000"),
            ("APP_MODE", "test"),
            (
                "NODE_OPTIONS",
                "--max-old-space-size=4096 --enable-source-maps",
            ),
            ("GOFLAGS", "-mod=vendor -trimpath -buildvcs=false"),
            ("GOFLAGS", "-count=1 -race -tags=integration,e2e"),
            ("GOFLAGS", "-ldflags=-s"),
            ("RUSTFLAGS", "-Dwarnings"),
            ("RUSTFLAGS", "-C target-cpu=native -C opt-level=3"),
            ("RUSTFLAGS", "--cfg tokio_unstable -W unused"),
            ("CARGO_ENCODED_RUSTFLAGS", "-D\u{1f}warnings"),
            ("RUSTDOCFLAGS", "-D warnings --document-private-items"),
            ("MAKEFLAGS", "-j4"),
            ("MAKEFLAGS", "-j 8 -k --no-print-directory"),
            ("MAKEFLAGS", "ks -j4 -Oline"),
        ] {
            assert!(harmless(n, v), "{n}={v}");
        }
    }

    #[test]
    fn variables_that_run_or_load_code_are_not() {
        for (n, v) in [
            ("LD_PRELOAD", "./x.so"),
            ("GIT_PAGER", "sh"),
            ("GIT_EXTERNAL_DIFF", "x"),
            ("GIT_SSH_COMMAND", "x"),
            ("GIT_CONFIG_COUNT", "1"),
            ("RUSTC_WRAPPER", "/tmp/x"),
            ("NODE_OPTIONS", "--require ./x.js"),
            ("PYTHONSTARTUP", "x.py"),
            ("PYTHONPATH", "/tmp"),
            ("PIP_INDEX_URL", "https://evil.example"),
            ("GOPROXY", "https://evil.example"),
            ("npm_config_script_shell", "/tmp/x"),
            ("PATH", "/tmp:/usr/bin"),
            ("RUSTFLAGS", "-Clinker=/tmp/x"),
            ("GOFLAGS", "-toolexec=/tmp/x"),
            ("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER", "/tmp/x"),
            ("BASH_ENV", "x.sh"),
            ("LESSOPEN", "|x %s"),
            ("MAKEFLAGS", "--eval=x"),
            ("MY_TOOL_CMD", "x"),
            ("FOO_PLUGIN_DIR", "/tmp"),
            ("JAVA_TOOL_OPTIONS", "-javaagent:x"),
            ("CC", "/tmp/x"),
            ("LDFLAGS", "-fuse-ld=/tmp/x"),
            ("PROMPT_COMMAND", "x"),
            ("SHELLOPTS", "xtrace"),
            ("BASHOPTS", "x"),
            ("PERL5OPT", "-Mx"),
            ("RUBYOPT", "-rx"),
            ("JULIA_LOAD_PATH", "/tmp"),
            ("EDITOR", "vi"),
            ("MAKEFILES", "/tmp/evil.mk"),
            ("LESSKEY", "/tmp/evil"),
            ("DOCKER_HOST", "tcp://evil:2375"),
            ("TF_CLI_ARGS", "-x"),
            ("SSL_CERT_FILE", "/tmp/ca"),
            ("DEPENDENCIES_OUTPUT", "/home/u/.bashrc x"),
            ("SUNPRO_DEPENDENCIES", "x"),
            ("TAPE", "/home/u/.bashrc"),
            ("RM", "sh /tmp/x"),
            ("COVERAGE_RCFILE", "/tmp/x"),
            ("RUSTFLAGS", "-C link-arg=-B/tmp/x"),
            ("RUSTFLAGS", "@.env"),
            ("RUSTDOCFLAGS", "--html-in-header .env"),
            ("VITE_TEST_BUNDLED_DEV", "1"),
            ("GOFLAGS", "-o=.env"),
            ("GOFLAGS", "-coverprofile=.envrc"),
            ("GOFLAGS", "-toolexec=x"),
            ("GOFLAGS", "-ldflags=-extld=x"),
            ("GOFLAGS", "-gcflags=-cpuprofile=x"),
            ("GOFLAGS", "-modfile=x.mod"),
            ("RUSTFLAGS", "-Clinker=x"),
            ("RUSTFLAGS", "--emit=asm=.env"),
            ("RUSTFLAGS", "-C incremental=.git"),
            ("RUSTFLAGS", "--extern x=libx.so"),
            ("RUSTFLAGS", "-L ."),
            ("RUSTFLAGS", "-Z unstable-options"),
            ("CARGO_ENCODED_RUSTFLAGS", "-C\u{1f}linker=x"),
            ("MAKEFLAGS", "-j4 --eval=x"),
            ("MAKEFLAGS", "-f x.mk"),
            ("MAKEFLAGS", "-t"),
            ("MAKEFLAGS", "-- CC=./x"),
            ("PYTEST_ADDOPTS", "--debug=.git/hooks/pre-commit"),
            ("COVERAGE_RCFILE", "x.ini"),
            ("PYLINTRC", "x"),
            ("CPATH", "/tmp"),
            ("CC_x86_64_unknown_linux_gnu", "./x"),
            ("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER", "./x"),
        ] {
            assert!(!harmless(n, v), "{n}={v}");
        }
    }

    #[test]
    fn exported_names_reach_later_commands() {
        for n in [
            "PATH",
            "LD_PRELOAD",
            "GIT_DIR",
            "PYTHONPATH",
            "NODE_OPTIONS",
            "PS4",
        ] {
            assert!(exported(n), "{n}");
        }
        for n in ["V", "f", "VERSION", "ARCHIVE", "dir"] {
            assert!(!exported(n), "{n}");
        }
    }
}
