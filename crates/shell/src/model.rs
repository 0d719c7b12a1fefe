//! The analysis result: plain data, so the policy engine and the tests can
//! inspect it without knowing anything about the parser.

/// One word of a command after static expansion.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Arg {
    /// The values the word can take. Usually one; a `for f in a b` loop
    /// variable gives several. When `dynamic`, the values hold what is known
    /// (the literal parts) and must not be trusted as the whole story.
    pub values: Vec<String>,
    /// Part of the word is only known at run time (`$(…)`, `$var`, `$RANDOM`).
    pub dynamic: bool,
    /// The word holds unquoted glob characters and expands against the file tree.
    pub glob: bool,
    /// The word stands for any file below `values` (the `{}` of `find -exec`,
    /// the arguments `xargs` reads from a pipe).
    pub tree: bool,
    /// For a `tree` word: only files whose names match one of these globs (`find -name '*.rs'`).
    pub name_filter: Vec<String>,
    /// The word as written, for display when its value is not known (`$AWS_SECRET_KEY`).
    pub raw: String,
    /// The values are a guess at a run-time input (what `xargs` reads from a
    /// pipe): what they would reach is asked about rather than denied.
    pub guessed: bool,
}

impl Arg {
    /// A fully known literal word.
    pub fn lit(s: impl Into<String>) -> Self {
        Arg {
            values: vec![s.into()],
            ..Default::default()
        }
    }
    /// The first (display) value.
    pub fn text(&self) -> &str {
        self.values.first().map(String::as_str).unwrap_or("")
    }
    /// True when the word is exactly known and is one value.
    pub fn is_literal(&self) -> bool {
        !self.dynamic && !self.tree && self.values.len() == 1
    }
}

/// Where relative paths of a command point, relative to the call's cwd.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Cwd {
    /// The directory the line starts in.
    #[default]
    Start,
    /// A directory reached by `cd` earlier in the line (relative or absolute, `~` expanded).
    Dir(String),
    /// A `cd` to somewhere not known statically.
    Unknown,
}

/// How a redirection opens its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirectMode {
    Read,
    Write,
    Append,
    ReadWrite,
}

/// A file redirection (`<`, `>`, `>>`, `<>`, `&>`); fd duplications (`2>&1`) are not listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    pub fd: Option<u32>,
    pub mode: RedirectMode,
    pub target: Arg,
}

/// Where a command's standard input comes from, when that matters
/// (a shell or interpreter reading its program from stdin).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum Stdin {
    #[default]
    Inherit,
    /// The previous command of a pipeline; `producer` is its display text.
    Pipe { producer: String },
    /// A heredoc or here-string with this literal body (None when it expands something dynamic).
    Literal(Option<String>),
    /// A file redirection.
    File,
}

/// Code handed to an interpreter inline (`python -c`, `node -e`, a heredoc into `perl`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineCode {
    pub interpreter: String,
    /// The code, when it is known statically.
    pub code: Option<String>,
}

/// One simple command that the line would (or could) run.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SimpleCommand {
    /// argv after expansion; `argv[0]` is the command name.
    pub argv: Vec<Arg>,
    /// `NAME=value` words before the command (or given to `env`).
    pub assignments: Vec<(String, Arg)>,
    pub redirects: Vec<Redirect>,
    pub cwd: Cwd,
    /// How it was reached, outermost first: `bash -c`, `$(…)`, `sudo`, `xargs`, …
    pub via: Vec<String>,
    /// This entry is a wrapper (`sudo`, `timeout`, …); the command it runs is listed after it.
    pub wrapper: bool,
    pub stdin: Stdin,
    /// Parameters this command expands (`$AWS_SECRET_KEY`, `${HOME}`).
    pub vars: Vec<String>,
    /// Code given to an interpreter, for the effects pass to inspect.
    pub inline_code: Option<InlineCode>,
}

impl SimpleCommand {
    /// The command's basename, or "" for a bare assignment.
    pub fn name(&self) -> &str {
        self.argv
            .first()
            .map(|a| crate::command_basename(a.text()))
            .unwrap_or("")
    }
    /// The argv as display text (first value of each word; dynamic parts show as `…`).
    pub fn display(&self) -> String {
        let mut out = String::new();
        for (i, a) in self.argv.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let as_written = a.dynamic || a.raw.starts_with('~') || a.raw.contains("HOME");
            let t = if as_written && !a.raw.is_empty() {
                a.raw.as_str()
            } else {
                a.text()
            };
            if t.is_empty() || t.contains(|c: char| c.is_whitespace()) && !a.dynamic {
                out.push('\'');
                out.push_str(t);
                out.push('\'');
            } else {
                out.push_str(t);
            }
        }
        out
    }
    /// The argv's first values as plain strings.
    pub fn words(&self) -> Vec<&str> {
        self.argv.iter().map(Arg::text).collect()
    }

    /// The words a policy pattern is matched against: git's global options
    /// that change nothing about what runs (`--no-pager`, `-C dir`) are
    /// dropped, so `git --no-pager log` is `git log`. Options that do
    /// (`-c`, `--exec-path`) stay, so they match no allow rule.
    pub fn policy_words(&self) -> Vec<&str> {
        let words = self.words();
        match self.name() {
            "git" => {}
            "cargo" | "npm" | "pnpm" | "yarn" => return package_manager_words(words),
            _ => return words,
        }
        let mut out = vec![words[0]];
        let mut i = 1;
        while i < words.len() {
            match words[i] {
                "--no-pager"
                | "-P"
                | "--paginate"
                | "-p"
                | "--no-optional-locks"
                | "--literal-pathspecs"
                | "--no-replace-objects" => i += 1,
                "-C" => i += 2,
                w if w.starts_with("-C") => i += 1,
                _ => break,
            }
        }
        out.extend(words.iter().skip(i));
        out
    }
}

/// `cargo +nightly test`, `pnpm -r --filter app build`, `npm --prefix web test`:
/// the options that only pick a toolchain, the packages of a workspace or the
/// directory, dropped so rules name the subcommand (`cargo test *`,
/// `pnpm build *`). Options that run or load something are judged by the
/// option specs, not here.
fn package_manager_words(words: Vec<&str>) -> Vec<&str> {
    let Some((&tool, rest)) = words.split_first() else {
        return words;
    };
    let (flags, valued): (&[&str], &[&str]) = match tool {
        "cargo" => (
            &[
                "--locked",
                "--frozen",
                "--offline",
                "-q",
                "--quiet",
                "-v",
                "-vv",
                "--verbose",
            ],
            &["--color", "-Z"],
        ),
        "pnpm" => (
            &[
                "-r",
                "--recursive",
                "-w",
                "--workspace-root",
                "-s",
                "--silent",
                "--parallel",
                "--stream",
                "--aggregate-output",
                "--no-bail",
                "--frozen-lockfile",
                "--if-present",
            ],
            &[
                "--filter",
                "-F",
                "-C",
                "--dir",
                "--reporter",
                "--workspace-concurrency",
            ],
        ),
        "npm" => (
            &[
                "-ws",
                "--workspaces",
                "-s",
                "--silent",
                "-q",
                "--quiet",
                "--if-present",
            ],
            &["-w", "--workspace", "--prefix", "--loglevel"],
        ),
        "yarn" => (&["-s", "--silent"], &["--cwd"]),
        _ => return words,
    };
    let mut out = vec![tool];
    let mut i = 0;
    while i < rest.len() {
        let w = rest[i];
        // `cargo +nightly`: a toolchain name; `+/path` runs that directory's cargo.
        let toolchain = tool == "cargo"
            && i == 0
            && w.starts_with('+')
            && w.len() > 1
            && w[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if toolchain || flags.contains(&w) {
            i += 1;
        } else if valued.contains(&w) {
            i += 2;
        } else if valued
            .iter()
            .any(|v| v.starts_with("--") && w.starts_with(v) && w[v.len()..].starts_with('='))
        {
            i += 1;
        } else {
            break;
        }
    }
    out.extend(&rest[i.min(rest.len())..]);
    out
}

/// Why part of a line cannot be known before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DynamicKind {
    /// `$cmd args`, `$(echo rm) -rf`: the program that runs is computed.
    CommandName,
    /// `eval "$x"`, `bash -c "$x"`: code built at run time.
    Eval,
    /// `… | sh`, `curl … | python`: a shell or interpreter runs piped data.
    PipedIntoShell,
    /// `source "$f"`, `. ./script`: a script whose content is not in the line.
    Source,
    /// A construct followed no further (too deeply nested, `coproc`, …).
    Unsupported,
}

/// A part of the line that cannot be known statically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dynamic {
    pub kind: DynamicKind,
    pub detail: String,
}

/// The result of [`crate::analyze`].
#[derive(Clone, Debug, Default)]
pub struct Analysis {
    pub commands: Vec<SimpleCommand>,
    pub dynamic: Vec<Dynamic>,
    /// Set when the line (or a nested script) does not parse; the rest is then incomplete.
    pub error: Option<String>,
}
