//! What a variable assignment does to the programs it reaches.
//!
//! Most programs read some environment variable that makes them run another
//! program or load code: `GIT_PAGER`, `LD_PRELOAD`, `RUSTC_WRAPPER`,
//! `NODE_OPTIONS=--require`, `PYTHONSTARTUP`, `PIP_INDEX_URL`, … The list of
//! such variables is open-ended, so it is not the one kept here: an assignment
//! handed to a command (`X=1 cmd`, `export X=1`, `env X=1 cmd`) is harmless
//! only when its name is on [`HARMLESS`], the variables that change how a
//! tool reports or which of its own modes it picks. Any other asks.
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
    "GOFLAGS",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
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

/// Flags inside an otherwise harmless variable's value that make a tool run
/// another program (`RUSTFLAGS=-Clinker=x`, `GOFLAGS=-toolexec=x`).
const RUNS_PROGRAM_IN_VALUE: &[&str] = &[
    "linker",
    "codegen-backend",
    "plugin",
    "exec",
    "overlay",
    "modfile",
    "wrapper",
];

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
    if !HARMLESS.iter().any(|p| star_match(p, name)) {
        return false;
    }
    let flags = matches!(
        name,
        "GOFLAGS" | "RUSTFLAGS" | "RUSTDOCFLAGS" | "CARGO_ENCODED_RUSTFLAGS"
    );
    !(flags && RUNS_PROGRAM_IN_VALUE.iter().any(|w| value.contains(w)))
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
