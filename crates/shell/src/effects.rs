//! What one simple command touches: the files it reads, writes, deletes or
//! executes, the hosts it reaches, the environment it reveals. This is the
//! command knowledge of the guard — which operand of `cp` is written, that
//! `curl -d @f` reads `f`, that `git diff --no-index a b` reads both — kept in
//! one table-like module so a reviewer can check it against the man pages.

use crate::model::{Arg, Cwd, RedirectMode, SimpleCommand};
use crate::options;
use crate::wrappers::{interpreter, is_shell};

/// A file (or tree) a command touches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRef {
    pub path: Arg,
    pub cwd: Cwd,
    /// A directory read as a whole tree (`grep -r`, `cp -r`, `tar c`).
    pub recursive: bool,
    /// A recursive read also visits hidden files (`rg` skips them by default).
    pub hidden: bool,
    /// Basename globs a recursive read skips (`grep --exclude=.env*`, `rg -g '!.env'`).
    pub excludes: Vec<String>,
    /// A recursive read follows symlinks it meets inside the tree (`grep -R`, `rg -L`, `cp -L`, `tar -h`).
    pub follow_links: bool,
    /// The path is a guess at a run-time input ([`Arg::guessed`]).
    pub guessed: bool,
    /// A recursive read skips what git ignores (`rg`, `fd`, `git add` without `-f`).
    pub gitignore: bool,
    /// A write into a directory that surely receives files under names not
    /// known here (an archive extracted, `cp -t DIR`, several sources). A
    /// write that is only `recursive` receives a tree when its source is one
    /// (`cp -r a b`, `mv a b`).
    pub into: bool,
    /// What the command is doing, for reasons: "reads", "writes", "uploads", …
    pub how: &'static str,
}

/// A git command that prints (or writes out) the contents of tracked files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitContent {
    /// Where git runs: its repository, and what relative pathspecs mean.
    pub cwd: Cwd,
    /// Operands before any `--`: git takes those that name existing files
    /// as paths, the rest as revisions.
    pub maybe_paths: Vec<Arg>,
    /// Pathspecs after `--` (`:!x`, `:^x`, `:(exclude)x` exclude).
    pub paths: Vec<Arg>,
    /// Without revisions, only the working tree's changes to tracked files
    /// are shown (`git diff`): a file whose stat matches the index is not.
    pub worktree_unless_revisions: bool,
    /// Pathspec magic is off (`--literal-pathspecs`): nothing is excluded.
    pub literal: bool,
    /// Pathspecs do not limit what prints (`git log --full-diff -p -- src`).
    pub whole: bool,
}

impl FileRef {
    /// One file (or directory, not read as a tree) at `path` relative to `cwd`.
    pub fn new(path: Arg, cwd: Cwd, how: &'static str) -> FileRef {
        FileRef {
            path,
            cwd,
            recursive: false,
            hidden: true,
            excludes: Vec::new(),
            follow_links: false,
            guessed: false,
            gitignore: false,
            into: false,
            how,
        }
    }
}

/// A network destination; `host` is None when it cannot be known (`git push`, a socket in `python -c`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Host {
    pub host: Option<String>,
    pub what: String,
    /// For git, a remote named rather than given as a URL (`git fetch
    /// origin`): where git runs and the remote's name, so that its URL can
    /// be read from the repository's configuration.
    pub git_remote: Option<(Cwd, String)>,
}

/// Everything one simple command touches.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    pub reads: Vec<FileRef>,
    pub writes: Vec<FileRef>,
    pub deletes: Vec<FileRef>,
    /// Scripts and programs run from files (`./gen.sh`, `bash x.sh`, `source env.sh`, `python x.py`).
    pub executes: Vec<FileRef>,
    pub network: Vec<Host>,
    /// Prints the whole environment (`env`, `printenv`, `export -p`, `os.environ`).
    pub env_dump: bool,
    /// Variables whose values the command sees or prints.
    pub env_reads: Vec<String>,
    /// A file operand is computed at run time, so which file is touched is unknown.
    pub unknown_operands: Vec<String>,
    /// Options that make an allowed command do something else (`git -c`, `--exec-path`).
    pub risky: Vec<String>,
    /// What git prints or copies out of the files it tracks (`git show`,
    /// `git log -p`, `git grep`, `git archive`): judged by the files the
    /// repository's index lists, since a tracked credential is in it.
    pub git_content: Vec<GitContent>,
    /// Directories (or build files) whose project the command runs: `git -C DIR`,
    /// `make -C DIR`, `npm --prefix DIR`, `cargo --manifest-path F`. Outside the
    /// project, their configuration is not the user's.
    pub projects: Vec<FileRef>,
    /// Build and test tools run ([`crate::builds`]): where each works, and
    /// the files there it obeys.
    pub builds: Vec<Build>,
    /// The configuration files the tool reads from the directory it runs
    /// in and those above it, as name patterns ([`config_file_matches`]):
    /// a line that writes one and then runs the tool changes what it does
    /// without an option saying so.
    pub configs: Vec<&'static str>,
    /// Paths named by words the command hands on to a program the line
    /// does not show (`npm test -- --outputFile=F` runs the package's test
    /// script with them, `tox -e py -- --junitxml=F` its commands): that
    /// program may write them. Judged as writes; not known to be written.
    pub handed: Vec<FileRef>,
}

/// A build or test tool at work in a directory, obeying some of its files.
#[derive(Clone, Debug)]
pub struct Build {
    /// The tool, for reasons (`make`, `npm test`, `pytest`).
    pub tool: String,
    /// The directory (or a file in it: a manifest, a test file) the tool works on.
    pub dir: FileRef,
    /// The files it obeys there ([`crate::builds::obeys`]).
    pub files: &'static [&'static str],
    /// The directory is where the tool runs (its cwd), not one it was given.
    pub here: bool,
}

/// Whether `path` is a file `pattern` of [`Effects::configs`] names:
/// `pytest.ini` by its name, `jest.config.*` by a prefix of it,
/// `.cargo/config.toml` by its name and its directory's.
pub fn config_file_matches(pattern: &str, path: &std::path::Path) -> bool {
    let (dir, name) = match pattern.rsplit_once('/') {
        Some((d, n)) => (Some(d), n),
        None => (None, pattern),
    };
    let Some(file) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let named = match name.strip_suffix('*') {
        Some(prefix) => file.starts_with(prefix),
        None => file == name,
    };
    named
        && dir.is_none_or(|d| {
            path.parent()
                .and_then(|p| p.file_name())
                .is_some_and(|p| p == d)
        })
}

struct Ctx<'a> {
    cmd: &'a SimpleCommand,
    fx: Effects,
    /// Where relative paths of the tool's arguments resolve when the tool
    /// changes directory itself (`git -C DIR`); the command's cwd otherwise.
    dir: Option<Cwd>,
}

impl Ctx<'_> {
    fn file(&self, a: &Arg, how: &'static str) -> FileRef {
        let excludes = if a.name_filter.is_empty() {
            Vec::new()
        } else {
            vec![format!("!({})", a.name_filter.join("|"))]
        };
        // find -exec {} and xargs input: links are not followed unless -L, which is rarer than the risk; be safe.
        FileRef {
            path: a.clone(),
            cwd: self.dir.clone().unwrap_or_else(|| self.cmd.cwd.clone()),
            recursive: a.tree,
            hidden: true,
            excludes,
            follow_links: a.tree,
            guessed: a.guessed,
            gitignore: false,
            into: false,
            how,
        }
    }
    fn check_dynamic(&mut self, a: &Arg) -> bool {
        if a.dynamic && !a.tree {
            self.fx.unknown_operands.push(a.text().to_string());
            return true;
        }
        false
    }
    fn read(&mut self, a: &Arg) {
        if (a.text() == "-" && !a.dynamic) || pseudo_device(a.text()) {
            return;
        }
        self.check_dynamic(a);
        let f = self.file(a, "reads");
        self.fx.reads.push(f);
    }
    fn read_tree(&mut self, a: &Arg, recursive: bool) {
        self.check_dynamic(a);
        let mut f = self.file(a, "reads");
        f.recursive |= recursive;
        // cp -L / -H, tar -h / --dereference, rsync -L / --copy-links, zip without -y follow links
        let name = self.cmd.name();
        f.follow_links |= self.cmd.argv.iter().skip(1).any(|x| {
            let t = x.text();
            match name {
                "cp" => {
                    matches!(t, "-L" | "-H" | "--dereference")
                        || (t.starts_with('-') && !t.starts_with("--") && t.contains('L'))
                }
                "tar" | "bsdtar" | "gtar" => {
                    matches!(t, "-h" | "--dereference")
                        || (!t.starts_with('-')
                            && t == x.text()
                            && t.contains('h')
                            && t.chars().all(|c| c.is_ascii_alphabetic()))
                }
                "rsync" => matches!(t, "-L" | "--copy-links" | "-k" | "--copy-dirlinks"),
                "zip" => true,
                _ => false,
            }
        }) || (name == "zip"
            && !self
                .cmd
                .argv
                .iter()
                .any(|x| x.text() == "-y" || x.text() == "--symlinks"));
        self.fx.reads.push(f);
    }
    fn write(&mut self, a: &Arg) {
        if (a.text() == "-" && !a.dynamic) || pseudo_device(a.text()) {
            return;
        }
        self.check_dynamic(a);
        let f = self.file(a, "writes");
        self.fx.writes.push(f);
    }
    /// A directory that receives files whose names are not known here
    /// (an archive extracted, a tree copied or moved into it).
    fn write_tree(&mut self, a: &Arg) {
        self.write_landing(a, true);
    }
    /// A copy's destination (`cp a b`, `mv a b`): the sources land in it
    /// under their own names when it is a directory, it becomes the source
    /// otherwise.
    fn write_maybe_tree(&mut self, a: &Arg) {
        self.write_landing(a, false);
    }
    fn write_landing(&mut self, a: &Arg, into: bool) {
        if pseudo_device(a.text()) {
            return;
        }
        self.check_dynamic(a);
        let mut f = self.file(a, if into { "writes into" } else { "writes" });
        f.recursive = true;
        f.into = into;
        self.fx.writes.push(f);
    }
    fn delete(&mut self, a: &Arg, recursive: bool) {
        self.check_dynamic(a);
        let mut f = self.file(a, "deletes");
        f.recursive |= recursive;
        self.fx.deletes.push(f);
    }
    fn exec(&mut self, a: &Arg) {
        self.check_dynamic(a);
        let f = self.file(a, "executes");
        self.fx.reads.push(FileRef {
            how: "reads",
            ..f.clone()
        });
        self.fx.executes.push(f);
    }
    /// A destination; its host spelt canonically (`ssh 127.1` reaches
    /// 127.0.0.1), or kept as written when it is no valid host.
    fn net(&mut self, host: Option<String>, what: impl Into<String>) {
        let host =
            host.map(|h| crate::urls::canonical_host(&h).unwrap_or_else(|| h.to_ascii_lowercase()));
        self.fx.network.push(Host {
            host,
            what: what.into(),
            git_remote: None,
        });
    }
    /// A URL given to a command: every host its readings name.
    fn net_url(&mut self, url: &str, what: impl Into<String>) {
        let what = what.into();
        for host in crate::urls::command_hosts(url) {
            self.net(host, what.clone());
        }
    }
}

/// Options (with their values) and operands of an argv.
struct Split<'a> {
    operands: Vec<&'a Arg>,
    options: Vec<(&'a str, Option<&'a Arg>)>,
}

/// Split `args` into options and operands. `with_value` are options whose
/// value is the next word (short ones also accept `-xVALUE`).
fn split<'a>(args: &'a [Arg], with_value: &[&str]) -> Split<'a> {
    let mut s = Split {
        operands: Vec::new(),
        options: Vec::new(),
    };
    let mut i = 0;
    let mut only_operands = false;
    while i < args.len() {
        let a = &args[i];
        let t = a.text();
        if only_operands || !t.starts_with('-') || t == "-" || a.dynamic && !t.starts_with('-') {
            s.operands.push(a);
            i += 1;
            continue;
        }
        if t == "--" {
            only_operands = true;
            i += 1;
            continue;
        }
        if with_value.contains(&t) {
            s.options.push((t, args.get(i + 1)));
            i += 2;
            continue;
        }
        s.options.push((t, None));
        i += 1;
    }
    s
}

impl Split<'_> {
    fn has(&self, names: &[&str]) -> bool {
        self.options.iter().any(|(o, _)| {
            names.contains(o)
                || names.iter().any(|n| {
                    // short flags bundled: -rn contains -r
                    n.len() == 2 && !o.starts_with("--") && o.len() > 2 && o[1..].contains(&n[1..])
                })
        })
    }
    fn values(&self, names: &[&str]) -> Vec<&Arg> {
        self.options
            .iter()
            .filter(|(o, _)| names.contains(o))
            .filter_map(|(_, v)| *v)
            .collect()
    }
    /// `--name=value` forms.
    fn eq_values(&self, prefix: &str) -> Vec<String> {
        self.options
            .iter()
            .filter_map(|(o, _)| o.strip_prefix(prefix).map(str::to_string))
            .collect()
    }
}

const READERS: &[&str] = &[
    "cat",
    "tac",
    "head",
    "tail",
    "less",
    "more",
    "most",
    "nl",
    "od",
    "xxd",
    "hexdump",
    "hd",
    "strings",
    "base64",
    "base32",
    "basenc",
    "sort",
    "uniq",
    "rev",
    "cut",
    "paste",
    "fold",
    "fmt",
    "pr",
    "column",
    "expand",
    "unexpand",
    "diff",
    "diff3",
    "cmp",
    "comm",
    "md5sum",
    "sha1sum",
    "sha224sum",
    "sha256sum",
    "sha384sum",
    "sha512sum",
    "b2sum",
    "cksum",
    "sum",
    "wc",
    "file",
    "iconv",
    "bat",
    "batcat",
    "view",
    "zcat",
    "zless",
    "zmore",
    "bzcat",
    "xzcat",
    "zstdcat",
    "lzcat",
    "join",
    "shuf",
    "look",
    "split",
    "csplit",
    "tr",
    "dos2unix",
    "unix2dos",
    "lp",
    "lpr",
    "xclip",
    "xsel",
    "pbcopy",
    "wl-copy",
    "gpg",
    "age",
    "mail",
    "sendmail",
    "mutt",
    "jless",
    "glow",
    "mdcat",
    "pygmentize",
    "highlight",
    "ccat",
    "colordiff",
    "icdiff",
    "delta",
    "vimdiff",
    "sdiff",
    "numfmt",
    "ssh-add",
    "tsort",
];
const EDITORS: &[&str] = &[
    "vi", "vim", "nvim", "nano", "emacs", "ed", "ex", "code", "subl", "micro", "kak", "hx", "joe",
    "pico",
];
const WRITERS: &[&str] = &[
    "touch", "mkdir", "truncate", "mkfifo", "mknod", "chmod", "chown", "chgrp", "chattr",
    "setfacl", "install",
];
const DELETERS: &[&str] = &[
    "rm",
    "rmdir",
    "unlink",
    "shred",
    "srm",
    "trash",
    "trash-put",
    "wipe",
];
const NET_CLIENTS: &[&str] = &[
    "nc",
    "ncat",
    "netcat",
    "socat",
    "telnet",
    "ssh",
    "sftp",
    "ftp",
    "lftp",
    "mosh",
    "rsh",
    "rlogin",
    "tftp",
    "nmap",
    "ping",
    "dig",
    "nslookup",
    "host",
    "whois",
    "traceroute",
    "mtr",
    "openvpn",
    "wg",
    "tailscale",
];
const PKG_TOOLS: &[&str] = &[
    "npm",
    "pnpm",
    "yarn",
    "bun",
    "npx",
    "pnpx",
    "bunx",
    "pip",
    "pip3",
    "uv",
    "uvx",
    "pipx",
    "poetry",
    "pdm",
    "conda",
    "cargo",
    "go",
    "gem",
    "bundle",
    "composer",
    "brew",
    "apt",
    "apt-get",
    "dnf",
    "yum",
    "apk",
    "pacman",
    "docker",
    "podman",
    "helm",
    "kubectl",
    "terraform",
    "gh",
    "glab",
    "hub",
    "aws",
    "gcloud",
    "az",
    "deno",
];

/// Git settings that run, load and reach nothing: `git config user.name x`
/// is not a write to guard (`core.*`, `alias.*`, `*.command` … are).
const GIT_HARMLESS_KEYS: &[&str] = &[
    "user.name",
    "user.email",
    "init.defaultBranch",
    "pull.rebase",
    "pull.ff",
    "push.autoSetupRemote",
    "push.default",
    "fetch.prune",
    "rebase.autoStash",
    "rebase.autoSquash",
    "merge.conflictStyle",
    "diff.colorMoved",
    "rerere.enabled",
    "commit.verbose",
    "log.date",
    "color.*",
    "advice.*",
    "column.ui",
    "branch.sort",
    "tag.sort",
    "safe.bareRepository",
];

/// What `cmd` touches. Wrapper entries report only their own redirections.
pub fn effects(cmd: &SimpleCommand) -> Effects {
    let mut c = Ctx {
        cmd,
        fx: Effects::default(),
        dir: None,
    };
    c.fx.env_reads = cmd.vars.clone();
    for r in &cmd.redirects {
        redirect(&mut c, &r.target, r.mode);
    }
    // A bare `NAME=v` reaches later commands only through names already exported.
    let bare = cmd.argv.is_empty();
    for (name, value) in &cmd.assignments {
        assignment(&mut c, name, value, !bare);
    }
    if cmd.argv.is_empty() {
        return c.fx;
    }
    if cmd.wrapper {
        // What the wrapper runs is listed separately; the wrapper's own file options are here.
        wrapper_files(&mut c, cmd.name(), &cmd.argv[1..]);
        // A launcher (`pdm run NAME`, `uv run`) obeys the project's files
        // too: a script of that name in pyproject.toml runs instead.
        note_builds(&mut c, cmd.name(), &cmd.argv[1..], Vec::new());
        return c.fx;
    }
    let argv0 = cmd.argv[0].text();
    let name = cmd.name().to_string();
    let args = &cmd.argv[1..];
    if argv0.contains('/') {
        c.exec(&cmd.argv[0]);
    }
    command(&mut c, &name, args);
    if let Some(code) = &cmd.inline_code {
        inline_code(&mut c, code.code.as_deref());
    }
    c.fx
}

/// What `name=value` does to the program it reaches (`handed`: given to a
/// program by a prefix, `export` or `env`, rather than set in the shell).
fn assignment(c: &mut Ctx<'_>, name: &str, value: &Arg, handed: bool) {
    if crate::vars::runs_value(name) == Some(crate::vars::ValueUse::Script) {
        // BASH_ENV=f bash …, ENV=f sh …: the file runs when a shell starts.
        c.exec(value);
        c.fx.risky
            .push(format!("`{name}` makes a shell run {} first", value.text()));
    }
    let reaches = handed || crate::vars::exported(name);
    if handed && crate::vars::output_dir(name) {
        let mut f = c.file(value, "writes into");
        f.recursive = true;
        c.check_dynamic(value);
        c.fx.writes.push(f);
    }
    if reaches && !crate::vars::harmless(name, value.text()) {
        c.fx.risky.push(format!(
            "`{name}=…` can change what the command runs or loads (variables such as RUST_LOG, NODE_ENV or CI are passed without asking)"
        ));
    }
}

/// Files a wrapper itself reads or writes: `xargs -a FILE`, `time -o FILE`,
/// `strace -o FILE`, `script FILE`, and `find … -delete` / `-fprint FILE`
/// around an `-exec`.
fn wrapper_files(c: &mut Ctx<'_>, name: &str, args: &[Arg]) {
    let value_of = |names: &[&str], prefixes: &[&str]| -> Vec<Arg> {
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            let t = a.text();
            if names.contains(&t)
                && let Some(v) = args.get(i + 1)
            {
                out.push(v.clone());
            }
            for p in prefixes {
                if let Some(v) = t.strip_prefix(p).filter(|v| !v.is_empty()) {
                    out.push(with_value(a, v));
                }
            }
        }
        out
    };
    match name {
        "systemd-run" => {
            // The unit runs outside this session, under the service manager:
            // later (timers), again (restarts), or other programs through its
            // properties (`-p ExecStartPre=…`).
            c.fx.risky.push(
                "systemd-run starts a unit the service manager runs outside this session".into(),
            );
        }
        "uv" | "poetry" | "pdm" | "pipenv" | "rye" => {
            // The launcher's own options, up to the command it runs.
            let end = options::launched_at(name, args).unwrap_or(args.len());
            if let Some(spec) = options::sub(name, "run") {
                review_options(c, &format!("{name} run"), &spec, &args[1..end]);
            }
        }
        "xargs" => {
            for f in value_of(&["-a", "--arg-file"], &["--arg-file="]) {
                c.read(&f);
            }
        }
        "time" => {
            for f in value_of(&["-o", "--output"], &["--output="]) {
                c.write(&f);
            }
        }
        "strace" | "ltrace" => {
            for f in value_of(&["-o", "--output"], &["--output="]) {
                c.write(&f);
            }
        }
        "script" => {
            // script [options] [file]: the typescript file is written
            let s = split(
                args,
                &[
                    "-c",
                    "--command",
                    "-t",
                    "--timing",
                    "-T",
                    "-I",
                    "-O",
                    "-B",
                    "-E",
                    "-m",
                ],
            );
            for f in s.operands.iter().take(1) {
                c.write(f);
            }
        }
        "find" => command(c, "find", args),
        _ => {}
    }
}

/// The words a package manager or task runner hands on to a script or
/// command of the project's (`at`: its subcommand word): after `--` for
/// `npm run S -- …`, `npm test -- …`, `tox -e py -- …`, `nox -s x -- …`;
/// after the script name for `yarn`, `pnpm` and `bun run`, which pass the
/// rest on as it is.
fn handed_on<'a>(name: &str, args: &'a [Arg], at: usize) -> Option<&'a [Arg]> {
    let sub = args[at].text();
    let after_dashes = || {
        let i = args[at..].iter().position(|a| a.text() == "--")?;
        Some(&args[at + i + 1..])
    };
    match (name, sub) {
        (
            "npm",
            "test" | "t" | "tst" | "start" | "stop" | "restart" | "run" | "run-script" | "rum"
            | "urn",
        )
        | ("tox" | "nox", _) => after_dashes(),
        ("pnpm" | "yarn", "test" | "t" | "start") => Some(&args[at + 1..]),
        ("pnpm" | "yarn" | "bun", "run" | "run-script") => {
            let script = args[at + 1..]
                .iter()
                .position(|a| !a.text().starts_with('-'))?;
            Some(&args[at + 2 + script..])
        }
        _ => None,
    }
}

/// The paths a word handed on to an unseen program may name: an operand
/// itself, an option's value (`--outputFile=F`), and what follows the last
/// `:` or `=` inside that value (`--cov-report=xml:F`, `-o cache_dir=D`).
/// URLs name no file.
fn named_paths(w: &str) -> Vec<String> {
    let value = match w.strip_prefix('-') {
        Some(opt) => match opt.split_once('=') {
            Some((_, v)) => v,
            None => return Vec::new(),
        },
        None => w,
    };
    if value.is_empty() || value == "--" || value.contains("://") {
        return Vec::new();
    }
    let mut out = vec![value.to_string()];
    if let Some((_, tail)) = value.rsplit_once([':', '='])
        && !tail.is_empty()
    {
        out.push(tail.to_string());
    }
    out
}

/// Streams that are not files: `/dev/null`, the standard streams, and the
/// `/dev/fd/N` pipes of `<(…)`, whose producers are analyzed as commands.
fn pseudo_device(t: &str) -> bool {
    matches!(
        t,
        "/dev/null" | "/dev/stdout" | "/dev/stderr" | "/dev/stdin" | "/dev/tty" | "/dev/zero"
    ) || t.starts_with("/dev/fd/")
}

fn redirect(c: &mut Ctx<'_>, target: &Arg, mode: RedirectMode) {
    let t = target.text();
    if let Some(rest) = t
        .strip_prefix("/dev/tcp/")
        .or_else(|| t.strip_prefix("/dev/udp/"))
    {
        let host = rest.split('/').next().unwrap_or("").to_string();
        c.net(Some(host), format!("redirection to {t}"));
        return;
    }
    match mode {
        RedirectMode::Read => c.read(target),
        RedirectMode::Write | RedirectMode::Append => c.write(target),
        RedirectMode::ReadWrite => {
            c.read(target);
            c.write(target);
        }
    }
}

/// Apply what the options of a tool with a spec do ([`crate::options`]).
/// Apply what a tool's options do; returns its operands.
fn review_options<'a>(
    c: &mut Ctx<'_>,
    tool: &str,
    spec: &options::Spec,
    args: &'a [Arg],
) -> Vec<&'a Arg> {
    let r = options::review(tool, spec, args);
    debug_assert!(r.operands.len() <= args.len());
    c.fx.risky.extend(r.risky);
    for a in &r.reads {
        c.read(a);
    }
    for a in &r.writes {
        c.write(a);
    }
    for a in &r.recreated {
        c.delete(a, true);
    }
    for a in r.write_dirs.iter().chain(&r.recreated) {
        let mut f = c.file(a, "writes into");
        f.recursive = true;
        c.check_dynamic(a);
        c.fx.writes.push(f);
    }
    for a in &r.projects {
        let f = c.file(a, "runs the project in");
        c.check_dynamic(a);
        c.fx.projects.push(f);
    }
    r.operands
}

fn command(c: &mut Ctx<'_>, name: &str, args: &[Arg]) {
    // `python -m pytest …`, `bundle exec rspec …`, `npx jest …`: the tool
    // launched is judged as if it were called by its own name.
    if let Some((tool, at)) = options::launched(name, args)
        && tool != name
        && at <= args.len()
    {
        command(c, &tool, &args[at..]);
    }
    let projects_before = c.fx.projects.len();
    tool_effects(c, name, args);
    let given: Vec<FileRef> = c.fx.projects[projects_before..].to_vec();
    note_builds(c, name, args, given);
}

/// A build or test tool obeys the files where it runs, and those of the
/// projects it was pointed at (crate::builds).
fn note_builds(c: &mut Ctx<'_>, name: &str, args: &[Arg], given: Vec<FileRef>) {
    let sub = options::subcommand_at(name, args).map(|i| args[i].text());
    let Some(files) = crate::builds::obeyed_files(name, sub) else {
        return;
    };
    let tool = match sub {
        Some(s) => format!("{name} {s}"),
        None => name.to_string(),
    };
    let here = FileRef {
        cwd: c.cmd.cwd.clone(),
        ..c.file(&Arg::lit("."), "runs the build files of")
    };
    c.fx.builds.push(Build {
        tool: tool.clone(),
        dir: here,
        files,
        here: true,
    });
    for dir in given {
        c.fx.builds.push(Build {
            tool: tool.clone(),
            dir,
            files,
            here: false,
        });
    }
}

/// What one tool does, by its name and arguments.
fn tool_effects(c: &mut Ctx<'_>, name: &str, args: &[Arg]) {
    let mut operands: Option<Vec<&Arg>> = None;
    if let Some(spec) = options::tool(name) {
        operands = Some(review_options(c, name, &spec, args));
    }
    // `cargo +nightly test --config …`, `go test -exec …`, `npm run x --script-shell …`:
    // the subcommand's own options.
    let at = options::subcommand_at(name, args);
    if let Some(at) = at
        && let Some(spec) = options::sub(name, args[at].text())
    {
        let tool = format!("{name} {}", args[at].text());
        operands = Some(review_options(c, &tool, &spec, &args[at + 1..]));
    }
    // `cargo test -- --logfile F`: the words after `--` go to the test harness.
    if let Some(at) = at
        && let Some(spec) = options::after_separator(name, args[at].text())
        && let Some(sep) = args[at + 1..].iter().position(|a| a.text() == "--")
    {
        let tool = format!("{name} {} --", args[at].text());
        review_options(c, &tool, &spec, &args[at + 2 + sep..]);
    }
    // The file operands (the subcommand word left out; `pytest
    // tests/test_x.py::test_y` names the file before `::`).
    let sub = at.map(|i| args[i].text());
    c.fx.configs.extend(options::config_files(name, sub));
    if let Some(words) = at.and_then(|i| handed_on(name, args, i)) {
        // What the script may write, and (outside the project) the code or
        // configuration it may load: `npm test -- --config=/tmp/x.js`.
        for w in words {
            for p in named_paths(w.text()) {
                let a = with_value(w, &p);
                let mut f = c.file(&a, "may have its script write");
                f.recursive = false;
                c.fx.handed.push(f);
                let f = c.file(&a, "hands its script");
                c.fx.projects.push(f);
            }
        }
    }
    let langs = source_reader(name, sub);
    let runs = options::runs_operands(name, sub);
    let files: Vec<Arg> = if langs.is_some() || runs {
        operands
            .unwrap_or_else(|| split(args, &[]).operands)
            .into_iter()
            .filter(|a| !at.is_some_and(|i| std::ptr::eq(*a, &args[i])))
            // `dotnet build /p:X=1`: an MSBuild switch, not a path.
            .filter(|a| !(name == "dotnet" && a.text().starts_with('/') && a.text().contains(':')))
            .map(|a| match a.text().split_once("::") {
                Some((file, _)) => with_value(a, file),
                // `go test ./...`, `go generate /elsewhere/...`: the directory and all below it.
                None if name == "go" && (a.text() == "..." || a.text().ends_with("/...")) => {
                    let dir = a.text().trim_end_matches("...").trim_end_matches('/');
                    with_value(a, if dir.is_empty() { "." } else { dir })
                }
                None => a.clone(),
            })
            .collect()
    } else {
        Vec::new()
    };
    for a in &files {
        c.check_dynamic(a);
        // Linters, formatters in check mode, type checkers and test runners
        // read the files they are given and print their lines (`ruff check
        // .env` shows `1 | API_KEY=…`); a directory for its languages' files.
        if let Some(langs) = langs {
            let mut f = c.file(a, "reads");
            f.excludes = vec![format!("!({langs})")];
            f.gitignore = true;
            c.fx.reads.push(f);
        }
        // `pytest /elsewhere/test_x.py`, `go run /elsewhere/main.go`: the code
        // run is the operands'; outside the project it is another project's.
        if runs {
            let f = c.file(a, "runs code from");
            c.fx.projects.push(f);
        }
    }
    if matches!(
        name,
        "gcc" | "g++" | "cc" | "c++" | "clang" | "clang++" | "ld" | "rustc" | "cpp"
    ) {
        // `gcc @FILE` reads options (and so programs to run) from FILE.
        for a in args.iter().filter(|a| a.text().starts_with('@')) {
            c.read(&with_value(a, &a.text()[1..]));
            c.fx.risky
                .push(format!("{name} {} takes options from a file", a.text()));
        }
    }
    match name {
        _ if READERS.contains(&name) => {
            let s = split(args, reader_options(name));
            let skip_first = matches!(name, "tr" | "look");
            for a in s.operands.iter().skip(usize::from(skip_first)) {
                c.read(a);
            }
            for a in s.values(&["-o", "--output"]) {
                if name == "sort" {
                    c.write(a);
                }
            }
            // `uniq IN OUT`, `xxd -r IN OUT`: the second operand is written.
            if (name == "uniq" || (name == "xxd" && s.has(&["-r", "-revert"])))
                && let Some(out) = s.operands.get(1)
            {
                c.write(out);
            }
            for a in s.values(&["-o", "--output"]) {
                if name == "iconv" {
                    c.write(a);
                }
            }
            if name == "split" || name == "csplit" {
                // the second operand is an output prefix
                if let Some(p) = s.operands.get(1) {
                    c.write(p);
                }
            }
        }
        _ if EDITORS.contains(&name) => {
            for a in split(args, &["-c", "-S", "-u", "-i"]).operands {
                c.read(a);
                c.write(a);
            }
        }
        _ if WRITERS.contains(&name) => {
            let s = split(
                args,
                &[
                    "-m",
                    "--mode",
                    "-s",
                    "--size",
                    "-r",
                    "--reference",
                    "-o",
                    "-g",
                    "-t",
                    "-d",
                    "-x",
                ],
            );
            let skip = usize::from(
                matches!(name, "chmod" | "chown" | "chgrp" | "chattr" | "setfacl")
                    && s.values(&["--reference"]).is_empty(),
            );
            let recursive = s.has(&["-R", "--recursive"]);
            if name == "install" {
                return copy_like(c, args, false);
            }
            for a in s.operands.iter().skip(skip) {
                let mut f = c.file(a, "writes");
                f.recursive = recursive;
                c.check_dynamic(a);
                c.fx.writes.push(f);
            }
        }
        _ if DELETERS.contains(&name) => {
            let s = split(args, &[]);
            let recursive = s.has(&["-r", "-R", "--recursive"]) || name == "rmdir";
            for a in s.operands {
                c.delete(a, recursive);
            }
        }
        "cp" | "rsync" | "scp" | "sftp-put" => copy_like(c, args, false),
        _ if formats_in_place(name, args) => {
            // Formatters and fixers rewrite the files and trees they are
            // given; what they read in a tree is their languages' files
            // (read above for the tools that have them).
            for a in split(args, FORMATTER_VALUES).operands {
                if langs.is_none() {
                    c.read(a);
                }
                c.write(a);
            }
        }
        "mv" => copy_like(c, args, true),
        "ln" => {
            let s = split(args, &["-t", "--target-directory", "-S", "--suffix"]);
            let into: Vec<Arg> = s
                .values(&["-t", "--target-directory"])
                .into_iter()
                .cloned()
                .chain(
                    s.eq_values("--target-directory=")
                        .iter()
                        .map(|v| Arg::lit(v.as_str())),
                )
                .collect();
            if !into.is_empty() {
                for d in &into {
                    c.write_tree(d);
                }
                for a in &s.operands {
                    c.read(a);
                }
            } else if let Some((last, rest)) = s.operands.split_last() {
                c.write(last);
                // A hard link is a copy of the target; a symlink makes it readable under
                // another name later in the line. Either way, linking counts as reading.
                for a in rest {
                    c.read(a);
                }
            }
        }
        "tee" => {
            for a in split(args, &[]).operands {
                c.write(a);
            }
        }
        "dd" => {
            for a in args {
                if let Some(v) = a.text().strip_prefix("if=") {
                    c.read(&with_value(a, v));
                } else if let Some(v) = a.text().strip_prefix("of=") {
                    c.write(&with_value(a, v));
                }
            }
        }
        "sed" | "gsed" => {
            let s = split(
                args,
                &["-e", "--expression", "-f", "--file", "-l", "--line-length"],
            );
            let explicit = !s.values(&["-e", "--expression", "-f", "--file"]).is_empty()
                || !s.eq_values("--expression=").is_empty();
            for a in s.values(&["-f", "--file"]) {
                c.read(a);
                // Its `w` commands are not seen: what it writes is unknown.
                c.fx.unknown_operands.push(format!(
                    "sed runs the script file {}, whose commands can write files",
                    a.text()
                ));
            }
            let in_place = s.has(&["-i"])
                || s.options
                    .iter()
                    .any(|(o, _)| o.starts_with("-i") || o.starts_with("--in-place"));
            let scripts: Vec<String> = s
                .values(&["-e", "--expression"])
                .iter()
                .map(|a| a.text().to_string())
                .chain(s.eq_values("--expression="))
                .chain(if explicit {
                    None
                } else {
                    s.operands.first().map(|a| a.text().to_string())
                })
                .collect();
            let fx = crate::sed::effects(&scripts);
            for f in fx.writes {
                c.write(&Arg::lit(f));
            }
            for f in fx.reads {
                c.read(&Arg::lit(f));
            }
            for a in s.operands.iter().skip(usize::from(!explicit)) {
                c.read(a);
                if in_place {
                    c.write(a);
                }
            }
        }
        "awk" | "gawk" | "mawk" | "nawk" => {
            let s = split(
                args,
                &[
                    "-F",
                    "-v",
                    "-f",
                    "--file",
                    "--field-separator",
                    "--assign",
                    "-e",
                    "--source",
                ],
            );
            let files = s.values(&["-f", "--file"]);
            for a in &files {
                c.read(a);
            }
            for a in s.operands.iter().skip(usize::from(files.is_empty())) {
                if !a.text().contains('=') {
                    c.read(a);
                }
            }
            let program = match (s.values(&["-e", "--source"]).first(), files.is_empty()) {
                (Some(p), _) => Some(*p),
                (None, true) => s.operands.first().copied(),
                (None, false) => None,
            };
            if let Some(p) = program {
                awk_io(c, p);
            }
        }
        "grep" | "egrep" | "fgrep" | "rg" | "ag" | "ack" | "ugrep" | "zgrep" | "pcregrep" => {
            grep(c, name, args)
        }
        "jq" | "yq" | "gojq" | "jaq" | "mlr" | "xmllint" | "xq" => {
            let s = split(
                args,
                &[
                    "--arg",
                    "--argjson",
                    "--slurpfile",
                    "--rawfile",
                    "-f",
                    "--from-file",
                    "--indent",
                    "-L",
                ],
            );
            let from_file = !s.values(&["-f", "--from-file"]).is_empty();
            for a in s.values(&["-f", "--from-file"]) {
                c.read(a);
            }
            // --rawfile NAME FILE, --slurpfile NAME FILE: FILE is read, and is no operand.
            let mut named_files: Vec<&Arg> = Vec::new();
            for (i, a) in args.iter().enumerate() {
                if matches!(a.text(), "--rawfile" | "--slurpfile")
                    && let Some(f) = args.get(i + 2)
                {
                    named_files.push(f);
                }
            }
            for f in &named_files {
                c.read(f);
            }
            let operands: Vec<&Arg> = s
                .operands
                .iter()
                .copied()
                .filter(|o| !named_files.iter().any(|f| std::ptr::eq(*f, *o)))
                .collect();
            let skip = usize::from(!from_file && name != "xmllint" && name != "mlr");
            if skip == 1
                && let Some(filter) = operands.first()
            {
                jq_program(c, name, filter);
            }
            for a in operands.iter().skip(skip) {
                c.read(a);
            }
            // yq -i rewrites its file.
            if name == "yq" && s.has(&["-i", "--inplace"]) {
                for a in operands.iter().skip(skip) {
                    c.write(a);
                }
            }
        }
        "make" | "gmake"
            if args.iter().any(|a| {
                let t = a.text();
                t == "--print-data-base"
                    || (t.starts_with('-') && !t.starts_with("--") && t.contains('p'))
            }) =>
        {
            // make -p prints every variable, the environment's among them.
            c.fx.env_dump = true;
        }
        "man" => {
            // `man ./x`: an operand with a slash is a file to format and show.
            for a in split(
                args,
                &["-P", "-M", "-S", "-s", "-L", "-m", "-E", "-C", "-H"],
            )
            .operands
            {
                if a.text().contains('/') {
                    c.read(a);
                }
            }
        }
        "gcc" | "g++" | "cc" | "c++" | "clang" | "clang++" | "cpp" | "rustc" => {
            // A compiler reads its input files (`gcc -E -x c .env` prints one).
            let s = split(
                args,
                &[
                    "-o",
                    "-x",
                    "-I",
                    "-L",
                    "-include",
                    "-imacros",
                    "-MF",
                    "-MT",
                    "-MQ",
                    "--out-dir",
                    "--crate-name",
                    "--crate-type",
                    "--edition",
                    "--target",
                    "--cfg",
                    "-C",
                    "-Z",
                    "--extern",
                    "--emit",
                    "-W",
                    "-A",
                    "-D",
                    "-F",
                    "--cap-lints",
                    "--explain",
                    "--print",
                ],
            );
            for a in s.operands {
                if !a.text().starts_with('@') {
                    c.read(a);
                }
            }
        }
        "find" => {
            let roots: Vec<&Arg> = args
                .iter()
                .take_while(|a| !a.text().starts_with('-') && a.text() != "(" && a.text() != "!")
                .collect();
            let dot = Arg::lit(".");
            let roots = if roots.is_empty() { vec![&dot] } else { roots };
            for (i, a) in args.iter().enumerate() {
                match a.text() {
                    "-delete" => {
                        for r in &roots {
                            c.delete(r, true);
                        }
                    }
                    "-fprint" | "-fprint0" | "-fprintf" | "-fls" => {
                        if let Some(f) = args.get(i + 1) {
                            c.write(f);
                        }
                    }
                    _ => {}
                }
            }
        }
        "tar" | "bsdtar" | "gtar" => tar(c, args),
        "zip" | "7z" | "7za" | "rar" => {
            let s = split(args, &["-x", "-i", "-P", "--password", "-t"]);
            let mut ops = s.operands.iter().skip(usize::from(name != "zip"));
            if let Some(archive) = ops.next() {
                c.write(archive);
            }
            for a in ops {
                c.read_tree(a, true);
            }
        }
        "unzip" => {
            let s = split(args, &["-d", "-x", "-P"]);
            if let Some(archive) = s.operands.first() {
                c.read(archive);
            }
            let dest = s
                .values(&["-d"])
                .first()
                .map(|a| (*a).clone())
                .unwrap_or_else(|| Arg::lit("."));
            if !s.has(&["-l", "-p", "-t", "-v", "-z"]) {
                c.write_tree(&dest);
            }
        }
        "gzip" | "gunzip" | "bzip2" | "bunzip2" | "xz" | "unxz" | "zstd" | "unzstd" | "lz4"
        | "brotli" => {
            let s = split(args, &["-S", "--suffix", "-o"]);
            let to_stdout = s.has(&["-c", "--stdout", "-l", "-t", "--list", "--test"]);
            for a in s.operands {
                c.read(a);
                if !to_stdout {
                    c.write(a);
                }
            }
        }
        "curl" => curl(c, args),
        "wget" => wget(c, args),
        "http" | "https" | "xh" | "xhs" | "httpie" | "curlie" => {
            let s = split(
                args,
                &[
                    "-a",
                    "--auth",
                    "-o",
                    "--output",
                    "--session",
                    "--verify",
                    "--cert",
                    "--cert-key",
                ],
            );
            let mut ops = s.operands.iter();
            if matches!(
                ops.clone().next().map(|a| a.text()),
                Some("GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS")
            ) {
                ops.next();
            }
            if let Some(url) = ops.next() {
                c.net_url(url.text(), format!("{name} {}", url.text()));
            }
            for a in ops {
                if let Some(pos) = a.text().find('@') {
                    let f = a.text()[pos + 1..].trim_start_matches('@');
                    c.read(&with_value(a, f));
                }
            }
            for a in s.values(&["-o", "--output"]) {
                c.write(a);
            }
        }
        "socat" => {
            for a in split(args, &[]).operands {
                let t = a.text();
                let upper = t.to_ascii_uppercase();
                if let Some(rest) = [
                    "TCP:",
                    "TCP4:",
                    "TCP6:",
                    "UDP:",
                    "OPENSSL:",
                    "SSL:",
                    "TCP-CONNECT:",
                    "PROXY:",
                ]
                .iter()
                .find_map(|p| upper.strip_prefix(p).map(|_| &t[p.len()..]))
                {
                    c.net(
                        Some(rest.split([':', ',']).next().unwrap_or("").to_string()),
                        format!("socat {t}"),
                    );
                } else if upper.starts_with("EXEC:") || upper.starts_with("SYSTEM:") {
                    c.fx.risky
                        .push(format!("socat {t} runs a program connected to a socket"));
                } else if upper.starts_with("OPEN:") || upper.starts_with("FILE:") {
                    // the path keeps its case: take it from the original word
                    c.read(&with_value(a, &t[5..]));
                }
            }
            if c.fx.network.is_empty() {
                c.net(None, "socat");
            }
        }
        _ if NET_CLIENTS.contains(&name) => {
            let s = split(
                args,
                &[
                    "-p", "-l", "-i", "-F", "-o", "-e", "-c", "-s", "-w", "-q", "-J", "-L", "-R",
                    "-D", "-b", "-m", "-O", "-S", "-W", "-P", "-t", "-x",
                ],
            );
            for k in s.values(&["-i", "-F"]) {
                c.read(k);
            }
            let host = s.operands.iter().find(|a| !a.dynamic).map(|a| {
                let t = a.text();
                let t = t.rsplit('@').next().unwrap_or(t);
                t.split(':').next().unwrap_or(t).to_string()
            });
            if s.has(&["-e", "-c"]) && matches!(name, "nc" | "ncat" | "netcat") {
                c.fx.risky
                    .push(format!("{name} -e/-c connects a program to the network"));
            }
            c.net(host, name.to_string());
        }
        "git" => git(c, args),
        "ztguard" => ztguard_self(c, args),
        // Aliases are not expanded here: a line that turns them on may run
        // anything under another name (`alias z=ztguard` then `z approve`).
        "shopt"
            if args
                .iter()
                .any(|a| a.dynamic || a.text().contains("expand_aliases")) =>
        {
            c.fx.risky
                .push("shopt expand_aliases makes later words run as aliases not seen here".into());
        }
        // `tree --fromfile F` prints F's lines as a tree.
        "tree" if args.iter().any(|a| a.text() == "--fromfile") => {
            let s = split(
                args,
                &[
                    "-L",
                    "-P",
                    "-I",
                    "-o",
                    "--charset",
                    "--filelimit",
                    "--timefmt",
                    "-H",
                    "-T",
                    "--sort",
                ],
            );
            for a in &s.operands {
                c.read(a);
            }
        }
        "virtualenv" => {
            let s = split(args, &["-p", "--python", "--prompt"]);
            venv(c, &s.operands, s.has(&["--clear"]));
        }
        "uv" if args.first().is_some_and(|a| a.text() == "venv") => {
            // uv replaces an environment already at the path.
            let s = split(&args[1..], &["-p", "--python", "--prompt", "--index-url"]);
            let default = Arg::lit(".venv");
            let dirs = if s.operands.is_empty() {
                vec![&default]
            } else {
                s.operands.clone()
            };
            venv(c, &dirs, true);
        }
        "source" | "." => {
            if let Some(f) = args.first() {
                c.exec(f);
            }
        }
        "dotenv" | "dotenvx" | "env-cmd" => {
            let s = split(args, &["-f", "-e", "--file", "-c"]);
            let files = s.values(&["-f", "-e", "--file"]);
            if files.is_empty() {
                c.read(&Arg::lit(".env"));
            }
            for f in files {
                c.read(f);
            }
        }
        "printenv" => {
            let s = split(args, &[]);
            if s.operands.is_empty() {
                c.fx.env_dump = true;
            }
            for a in s.operands {
                c.fx.env_reads.push(a.text().to_string());
            }
        }
        "env" => {
            // `env` that runs nothing prints the environment
            c.fx.env_dump = true;
        }
        "ps" => {
            // BSD-style `ps e`/`ps auxe`/`ps eww` prints every process's environment
            if args.iter().any(|a| {
                !a.text().starts_with('-')
                    && a.text().chars().all(|ch| ch.is_ascii_alphabetic())
                    && a.text().contains('e')
            }) {
                c.fx.env_dump = true;
            }
        }
        "export" | "declare" | "typeset" | "set" | "compgen" | "readonly" | "local" => {
            let s = split(args, &[]);
            let exports = name == "export" || s.has(&["-x"]);
            for a in &s.operands {
                if let Some((n, v)) = a.text().split_once('=') {
                    assignment(c, n, &with_value(a, v), exports);
                }
            }
            let prints = match name {
                "set" => args.is_empty(),
                "compgen" => s.has(&["-v", "-e"]),
                _ => s.operands.is_empty() && (args.is_empty() || s.has(&["-p", "-x"])),
            };
            if prints {
                c.fx.env_dump = true;
            }
        }
        "openssl" => {
            let s = split(
                args,
                &[
                    "-in", "-out", "-inkey", "-key", "-cert", "-CAfile", "-connect", "-pass",
                    "-passin", "-signkey", "-keyout",
                ],
            );
            for a in s.values(&["-in", "-inkey", "-key", "-cert", "-CAfile", "-signkey"]) {
                c.read(a);
            }
            for a in s.values(&["-out", "-keyout"]) {
                c.write(a);
            }
            for a in s.values(&["-connect"]) {
                c.net(
                    Some(a.text().split(':').next().unwrap_or("").to_string()),
                    "openssl s_client",
                );
            }
        }
        "ssh-keygen" => {
            let s = split(
                args,
                &[
                    "-f", "-t", "-b", "-C", "-N", "-P", "-m", "-E", "-I", "-n", "-O", "-s", "-V",
                    "-z", "-Y",
                ],
            );
            for a in s.values(&["-f"]) {
                c.read(a);
                if !s.has(&["-y", "-l", "-L"]) {
                    c.write(a);
                }
            }
        }
        "crontab" => {
            for a in split(args, &["-u"]).operands {
                c.read(a);
            }
        }
        _ if is_shell(name) => {
            let s = split(args, &["-o", "+o", "-O", "+O", "--rcfile", "--init-file"]);
            for f in s.values(&["--rcfile", "--init-file"]) {
                c.exec(f);
                c.fx.risky
                    .push(format!("{name} runs the startup file {}", f.text()));
            }
            if let Some(f) = s.operands.first() {
                c.exec(f);
            }
        }
        _ => {
            if let Some((interp, flags)) = interpreter(name) {
                let mut with_value: Vec<&str> =
                    vec!["-W", "-X", "-r", "--require", "-I", "-M", "-m", "--import"];
                with_value.extend(flags.iter().copied());
                let code_flag = |o: &str| {
                    flags.contains(&o)
                        || (matches!(interp, "perl" | "ruby")
                            && o.starts_with('-')
                            && !o.starts_with("--")
                            && (o.ends_with('e') || o.ends_with('E')))
                };
                let mut i = 0;
                let mut inline_at = None;
                while i < args.len() {
                    if code_flag(args[i].text()) {
                        inline_at = Some(i + 2);
                        break;
                    }
                    i += 1;
                }
                match inline_at {
                    // perl -ne '…' FILE, python -c '…' ARG: what follows the code is read by it.
                    Some(after) => {
                        for a in args.iter().skip(after) {
                            if !a.text().starts_with('-') {
                                c.read(a);
                            }
                        }
                    }
                    None if c.cmd.inline_code.is_none() => {
                        if matches!(interp, "bun" | "deno" | "tsx") {
                            if let Some(f) = js_script(interp, args) {
                                c.exec(f);
                            }
                        } else {
                            let s = split(args, &with_value);
                            if s.values(&["-m"]).is_empty()
                                && let Some(f) = s.operands.first()
                            {
                                c.exec(f);
                            }
                        }
                    }
                    None => {}
                }
                let s = split(args, &with_value);
                if matches!(interp, "python" | "pypy")
                    && let Some(m) = s.values(&["-m"]).first()
                    && matches!(m.text(), "venv" | "virtualenv")
                {
                    venv(c, &s.operands, s.has(&["--clear"]));
                }
                // perl -i / -pi edits files in place
                if interp == "perl"
                    && s.options.iter().any(|(o, _)| {
                        o.starts_with("-i") || (o.starts_with("-p") && o.contains('i'))
                    })
                {
                    for a in s.operands.iter() {
                        c.write(a);
                    }
                }
            } else if PKG_TOOLS.contains(&name) {
                // `npm run env`: the package managers' built-in script prints the environment.
                let words: Vec<&str> = args
                    .iter()
                    .map(Arg::text)
                    .filter(|w| !w.starts_with('-'))
                    .collect();
                if matches!(name, "npm" | "pnpm" | "yarn" | "bun")
                    && matches!(
                        words.as_slice(),
                        ["run" | "run-script", "env", ..] | ["env", ..]
                    )
                {
                    c.fx.env_dump = true;
                }
                for (i, a) in args.iter().enumerate() {
                    if a.text().contains("://") || a.text().starts_with("git+") {
                        c.net_url(a.text(), format!("{name} {}", a.text()));
                    }
                    // A proxy or a host made trusted: where the tool connects.
                    let t = a.text();
                    let value = match t.split_once('=') {
                        Some((o, v)) if PKG_HOST_OPTIONS.contains(&o) => Some(v.to_string()),
                        _ if PKG_HOST_OPTIONS.contains(&t) => {
                            args.get(i + 1).map(|v| v.text().to_string())
                        }
                        _ => None,
                    };
                    if let Some(v) = value.filter(|v| !v.contains("://")) {
                        host_or_url(c, &v, format!("{name} {t} {v}"));
                    }
                }
            }
        }
    }
}

/// The script a JavaScript runtime runs: `bun run ./x.ts`, `bun x.ts`,
/// `deno run -A x.ts`, `tsx watch x.ts`. None for a package.json script
/// (`bun run build`) or a subcommand that runs no file of the line's (`bun install`).
fn js_script<'a>(interp: &str, args: &'a [Arg]) -> Option<&'a Arg> {
    const VALUED: &[&str] = &[
        "-r",
        "--require",
        "--preload",
        "--import",
        "--cwd",
        "-c",
        "--config",
        "--env-file",
        "--tsconfig-override",
        "-d",
        "--define",
        "-l",
        "--loader",
        "--import-map",
        "--lock",
        "--cert",
        "--location",
        "--seed",
        "--tsconfig",
    ];
    let words: Vec<&Arg> = split(args, VALUED).operands;
    let looks_like_script = |a: &&Arg| {
        let t = a.text();
        a.dynamic
            || t.contains('/')
            || [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"]
                .iter()
                .any(|e| t.ends_with(e))
    };
    let first = *words.first()?;
    let script = match (interp, first.text()) {
        ("bun", "run") | ("deno", "run" | "test" | "bench" | "serve") | ("tsx", "watch") => {
            words.get(1).copied()
        }
        _ => Some(first),
    };
    script.filter(looks_like_script)
}

/// The files an awk program opens itself: `print > "f"`, `getline < "f"`,
/// `ENVIRON`, `@load`/`@include` and indirect calls. A target that is not a
/// string literal cannot be checked and asks.
fn awk_io(c: &mut Ctx<'_>, program: &Arg) {
    if program.dynamic {
        c.fx.unknown_operands.push(program.text().to_string());
        return;
    }
    let code = strip_awk_strings(program.text());
    let text = program.text();
    if code.contains("ENVIRON") || code.contains("PROCINFO") {
        c.fx.env_dump = true;
    }
    if code.contains('@') {
        c.fx.risky.push(
            "awk @load, @include or an indirect call loads or runs code chosen at run time".into(),
        );
    }
    // Redirections inside print/printf, and getline from a file.
    let b = code.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let (is_out, is_in) = (b[i] == b'>', b[i] == b'<');
        if !(is_out || is_in) {
            i += 1;
            continue;
        }
        let stmt_start = code[..i].rfind([';', '{', '}', '\n']).map_or(0, |p| p + 1);
        let stmt = &code[stmt_start..i];
        let relevant = if is_out {
            stmt.contains("print")
        } else {
            stmt.contains("getline")
        };
        let mut j = i + 1;
        if is_out && b.get(j) == Some(&b'>') {
            j += 1;
        }
        if relevant {
            // The target is the original text at this position: a literal string or not.
            let rest = text[j..].trim_start();
            match read_literal(rest) {
                Some(path) => {
                    let a = with_value(program, &path);
                    if is_out {
                        c.write(&a);
                    } else {
                        c.read(&a);
                    }
                }
                None => c.fx.unknown_operands.push(format!(
                    "awk {} {}",
                    if is_out { "writes" } else { "reads" },
                    rest.chars().take(30).collect::<String>()
                )),
            }
        }
        i = j;
    }
}

/// The awk program with the contents of its string literals blanked (same length).
fn strip_awk_strings(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut in_str = false;
    let mut escaped = false;
    for ch in p.chars() {
        if in_str {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_str = false;
                out.push('"');
                continue;
            }
            for _ in 0..ch.len_utf8() {
                out.push(' ');
            }
        } else {
            if ch == '"' {
                in_str = true;
            }
            out.push(ch);
        }
    }
    out
}

/// A double-quoted awk string at the start of `s`, when the expression is only that string.
fn read_literal(s: &str) -> Option<String> {
    let rest = s.strip_prefix('"')?;
    let end = rest.find('"')?;
    let after = rest[end + 1..].trim_start();
    if !(after.is_empty() || after.starts_with([';', '}', ')', '\n'])) {
        return None;
    }
    Some(rest[..end].to_string())
}

/// Options of formatters whose value is the next word.
const FORMATTER_VALUES: &[&str] = &[
    "--config",
    "-c",
    "--line-length",
    "-l",
    "--target-version",
    "-t",
    "--ext",
    "--ignore-path",
    "--parser",
    "--plugin",
    "--edition",
    "--select",
    "--ignore",
    "--extend-select",
    "--exclude",
    "--profile",
    "--settings-path",
    "--output-format",
];

/// Whether `name args` rewrites its operands: `black`, `isort`, `rustfmt`,
/// `gofmt -w`, `prettier --write`, `eslint --fix`, `ruff format` /
/// `ruff check --fix`, `yq -i`, `clang-format -i`, `shfmt -w`.
fn formats_in_place(name: &str, args: &[Arg]) -> bool {
    let has = |flags: &[&str]| {
        args.iter().any(|a| {
            let t = a.text();
            flags.contains(&t) || flags.iter().any(|f| t.starts_with(&format!("{f}=")))
        })
    };
    match name {
        "black" | "isort" | "autopep8" | "yapf" | "rustfmt" | "dprint" | "biome" => {
            !has(&["--check", "--diff", "-h", "--help", "--version"])
                || has(&["-i", "--in-place", "--write"])
        }
        "gofmt" | "goimports" | "shfmt" => has(&["-w"]),
        "prettier" => has(&["--write", "-w"]),
        "eslint" | "stylelint" | "standard" | "xo" => has(&["--fix"]),
        "ruff" => {
            let sub = args.first().map(Arg::text).unwrap_or("");
            (sub == "format" && !has(&["--check", "--diff"])) || has(&["--fix"])
        }
        "yq" | "clang-format" | "sed" | "gsed" | "perl" => false,
        _ => false,
    }
}

/// Options of the reading commands whose value is the next word. Only
/// options known to take one are listed: an option value mistaken for a
/// file is harmless, a file mistaken for an option value would be missed.
fn reader_options(name: &str) -> &'static [&'static str] {
    match name {
        "head" | "tail" => &[
            "-n",
            "-c",
            "--lines",
            "--bytes",
            "-s",
            "--sleep-interval",
            "--pid",
        ],
        "sort" => &[
            "-k",
            "-t",
            "-T",
            "-o",
            "-S",
            "--key",
            "--field-separator",
            "--output",
            "--buffer-size",
            "--temporary-directory",
        ],
        "cut" => &[
            "-d",
            "-f",
            "-c",
            "-b",
            "--delimiter",
            "--fields",
            "--characters",
            "--bytes",
        ],
        "uniq" => &[
            "-f",
            "-s",
            "-w",
            "--skip-fields",
            "--skip-chars",
            "--check-chars",
        ],
        "od" => &[
            "-A",
            "-j",
            "-N",
            "-t",
            "-w",
            "--address-radix",
            "--skip-bytes",
            "--read-bytes",
            "--format",
            "--width",
        ],
        "xxd" => &["-c", "-g", "-l", "-s", "-o", "-cols", "-len", "-seek"],
        "hexdump" | "hd" => &["-e", "-f", "-n", "-s"],
        "base64" | "base32" | "basenc" | "fold" | "fmt" => &["-w", "--wrap", "--width"],
        "nl" => &["-b", "-d", "-f", "-h", "-i", "-l", "-n", "-s", "-v", "-w"],
        "pr" | "column" => &["-w", "-s", "-c", "-t", "-o"],
        "split" | "csplit" => &["-l", "-b", "-C", "-n", "-a", "-f", "--prefix"],
        "join" => &["-t", "-1", "-2", "-j", "-o", "-e"],
        "shuf" => &["-n", "-o", "--head-count", "--output"],
        "strings" => &["-n", "-t", "-e", "--bytes", "--radix", "--encoding"],
        "diff" | "sdiff" | "diff3" | "colordiff" => &[
            "-U",
            "-C",
            "--unified",
            "--context",
            "-W",
            "--width",
            "-I",
            "--ignore-matching-lines",
            "-x",
            "--exclude",
            "-L",
            "--label",
        ],
        "iconv" => &["-f", "-t", "-o", "--from-code", "--to-code", "--output"],
        "gpg" => &[
            "-o",
            "--output",
            "-r",
            "--recipient",
            "-u",
            "--local-user",
            "--homedir",
        ],
        "less" | "more" | "most" => &[
            "-p", "-x", "-y", "-b", "-h", "-j", "-k", "-o", "-O", "-t", "-T", "-z",
        ],
        "bat" | "batcat" => &[
            "-l",
            "--language",
            "-r",
            "--line-range",
            "-H",
            "--highlight-line",
            "--style",
            "--theme",
            "-m",
            "--map-syntax",
        ],
        "mail" | "mutt" => &["-s", "-c", "-b", "-r", "-a"],
        _ => &[],
    }
}

/// A jq or yq program that reads the environment (`env`, `$ENV`, `strenv(X)`, `envsubst`).
fn jq_program(c: &mut Ctx<'_>, name: &str, filter: &Arg) {
    let t = filter.text();
    let words = t
        .split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_' || ch == '$'))
        .any(|w| matches!(w, "env" | "$ENV" | "strenv" | "envsubst"));
    if words {
        c.fx.env_dump = true;
    }
    if name == "yq" && t.contains("load") {
        c.fx.unknown_operands
            .push(format!("yq {t} loads a file named in its expression"));
    }
}

fn with_value(a: &Arg, v: &str) -> Arg {
    Arg {
        values: vec![v.to_string()],
        ..a.clone()
    }
}

/// `cp`/`mv`/`rsync`/`scp`: the last operand (or `-t DIR`) is written, the others read.
fn copy_like(c: &mut Ctx<'_>, args: &[Arg], moves: bool) {
    let s = split(
        args,
        &[
            "-t",
            "--target-directory",
            "-S",
            "--suffix",
            "-e",
            "--rsh",
            "-i",
            "-F",
            "-P",
            "-o",
            "-m",
            "--mode",
            "-g",
            "--group",
            "--owner",
            "--exclude",
            "--include",
            "--filter",
            "-f",
        ],
    );
    let recursive = s.has(&["-r", "-R", "-a", "--recursive", "--archive"]);
    let target = s
        .values(&["-t", "--target-directory"])
        .first()
        .map(|a| (*a).clone())
        .or_else(|| {
            s.eq_values("--target-directory=")
                .first()
                .map(|v| Arg::lit(v.as_str()))
        });
    let (dest, sources): (Option<Arg>, Vec<&Arg>) = match target {
        Some(t) => (Some(t), s.operands.clone()),
        None => match s.operands.split_last() {
            Some((last, rest)) if !rest.is_empty() => (Some((*last).clone()), rest.to_vec()),
            Some((last, _)) => (None, vec![*last]),
            None => (None, Vec::new()),
        },
    };
    for src in sources {
        let hosts = remote(src.text());
        if !hosts.is_empty() {
            for h in hosts {
                c.net(h, format!("copies from {}", src.text()));
            }
            continue;
        }
        c.read_tree(src, recursive);
        if moves {
            // A moved directory takes everything in it along.
            c.delete(src, true);
        }
    }
    if let Some(d) = dest {
        let hosts = remote(d.text());
        match hosts.is_empty() {
            false => {
                for h in hosts {
                    c.net(h, format!("copies to {}", d.text()));
                }
            }
            // The destination may be a directory the sources land in under their own names.
            // `cp -T`, `--parents`, backups (`-b -S .json`): the names that
            // land are not the sources' own; any name may.
            true if odd_landing(args) => c.write_tree(&d),
            true => c.write_maybe_tree(&d),
        }
    }
}

/// The files a source-reading tool reads in a directory it is given, as
/// basename globs (`|`-separated); None for other tools.
fn source_reader(name: &str, sub: Option<&str>) -> Option<&'static str> {
    const PY: &str = "*.py|*.pyi|*.ipynb";
    const JS: &str = "*.js|*.jsx|*.ts|*.tsx|*.mjs|*.cjs|*.mts|*.cts|*.vue|*.svelte|*.json|*.css|*.scss|*.md|*.html|*.yml|*.yaml";
    Some(match (name, sub) {
        (
            "ruff" | "flake8" | "mypy" | "pylint" | "pyright" | "black" | "isort" | "pytest"
            | "bandit" | "pydocstyle" | "pyupgrade" | "autoflake" | "codespell",
            _,
        ) => PY,
        (
            "eslint" | "prettier" | "tsc" | "jest" | "vitest" | "mocha" | "biome" | "stylelint"
            | "xo" | "standard" | "oxlint" | "markdownlint" | "markdownlint-cli2",
            _,
        ) => JS,
        ("shellcheck" | "shfmt", _) => "*.sh|*.bash",
        ("go", Some("vet" | "fmt" | "test" | "build"))
        | ("golangci-lint" | "staticcheck" | "gofmt", _) => "*.go",
        ("rustfmt", _) | ("cargo", Some("fmt")) => "*.rs",
        ("yamllint", _) => "*.yml|*.yaml",
        ("hadolint", _) => "Dockerfile*|*.dockerfile",
        ("actionlint", _) => "*.yml|*.yaml",
        ("rubocop" | "rspec", _) => "*.rb",
        _ => return None,
    })
}

/// Copy options under which what lands is not `DEST/basename(SOURCE)`.
fn odd_landing(args: &[Arg]) -> bool {
    args.iter()
        .map(Arg::text)
        .any(|t| match t.strip_prefix("--") {
            Some(long) => [
                "no-target-directory",
                "parents",
                "backup",
                "suffix",
                "relative",
            ]
            .iter()
            .any(|n| long == *n || long.starts_with(&format!("{n}="))),
            None => t.starts_with('-') && t.len() > 1 && t[1..].contains(['T', 'b', 'S']),
        })
}

/// The hosts a remote reaches: a URL's (both readings, see
/// [`crate::urls::command_hosts`]), or that of `host:path` /
/// `user@host:path` (scp, rsync, git); empty when it is not a remote
/// (`./a:b`, `C:\`). A host that is not valid is `None`: not known.
pub fn remote(t: &str) -> Vec<Option<String>> {
    if t.contains("://") {
        return crate::urls::command_hosts(t);
    }
    let Some((before, _)) = t.split_once(':') else {
        return Vec::new();
    };
    if before.is_empty() || before.contains('/') || before.len() == 1 {
        return Vec::new();
    }
    let host = before.rsplit('@').next().unwrap_or(before);
    vec![crate::urls::canonical_host(host)]
}

fn grep(c: &mut Ctx<'_>, name: &str, args: &[Arg]) {
    let with_value = [
        "-e",
        "-f",
        "-m",
        "-A",
        "-B",
        "-C",
        "-d",
        "-D",
        "--regexp",
        "--file",
        "--max-count",
        "--context",
        "--after-context",
        "--before-context",
        "-g",
        "--glob",
        "-t",
        "--type",
        "-T",
        "--type-not",
        "--iglob",
        "-j",
        "--threads",
        "-M",
        "--max-columns",
        "-E",
        "--encoding",
        "--sort",
        "--sortr",
        "--color",
        "-r", /* rg --replace */
        "--replace",
        "--ignore-file",
        "--pre",
        "--max-depth",
        "--maxdepth",
        "-G",
        "--file-search-regex",
    ];
    let is_rg = matches!(name, "rg" | "ag" | "ack" | "ugrep");
    let wv: Vec<&str> = with_value
        .iter()
        .copied()
        .filter(|o| *o != "-r" || is_rg)
        .collect();
    let s = split(args, &wv);
    let explicit = !s.values(&["-e", "-f", "--regexp", "--file"]).is_empty()
        || s.options
            .iter()
            .any(|(o, _)| o.starts_with("--regexp=") || o.starts_with("--file="));
    for a in s.values(&["-f", "--file", "--ignore-file"]) {
        c.read(a);
    }
    if let Some(pre) = s.values(&["--pre"]).first() {
        c.fx.risky
            .push(format!("rg --pre runs `{}` on every file", pre.text()));
    }
    let recursive = is_rg
        || s.has(&["-r", "-R"])
        || s.options.iter().any(|(o, _)| {
            matches!(
                *o,
                "--recursive" | "--dereference-recursive" | "-drecurse" | "--directories=recurse"
            )
        });
    let hidden = !is_rg || s.has(&["--hidden", "-uu", "-uuu", "-.", "--no-ignore-dot"]);
    // rg and ag skip what .gitignore ignores unless told not to.
    let gitignore = matches!(name, "rg" | "ag")
        && !s.has(&[
            "--no-ignore",
            "--no-ignore-vcs",
            "-u",
            "-uu",
            "-uuu",
            "--unrestricted",
            "--skip-vcs-ignores",
            "-U",
        ]);
    let follow_links = if is_rg {
        s.has(&["-L", "--follow"])
    } else {
        s.has(&["-R"])
            || s.options
                .iter()
                .any(|(o, _)| *o == "--dereference-recursive")
    };
    let mut excludes: Vec<String> = s.eq_values("--exclude=");
    excludes.extend(s.eq_values("--exclude-dir="));
    for g in s
        .values(&["-g", "--glob", "--iglob"])
        .iter()
        .map(|a| a.text().to_string())
        .chain(s.eq_values("--glob="))
    {
        if let Some(x) = g.strip_prefix('!') {
            excludes.push(x.to_string());
        }
    }
    // --include=*.rs / -g '*.rs': only matching files are read
    let includes: Vec<String> = s
        .eq_values("--include=")
        .into_iter()
        .chain(
            s.values(&["-g", "--glob", "--iglob"])
                .iter()
                .map(|a| a.text().to_string())
                .filter(|g| !g.starts_with('!')),
        )
        .collect();
    if !includes.is_empty() {
        excludes.push(format!("!({})", includes.join("|")));
    }
    let mut files: Vec<&Arg> = s
        .operands
        .iter()
        .skip(usize::from(!explicit))
        .copied()
        .collect();
    let dot = Arg::lit(".");
    if files.is_empty() && recursive {
        files.push(&dot);
    }
    for a in files {
        c.check_dynamic(a);
        let mut f = c.file(a, "reads");
        f.recursive |= recursive;
        f.hidden = hidden;
        f.follow_links = follow_links;
        f.gitignore = gitignore;
        f.excludes.extend(excludes.iter().cloned());
        c.fx.reads.push(f);
    }
}

fn tar(c: &mut Ctx<'_>, args: &[Arg]) {
    let first = args.first().map(|a| a.text()).unwrap_or("");
    let bundle = if first.starts_with('-') { "" } else { first };
    let s = split(
        args,
        &[
            "-f",
            "--file",
            "-C",
            "--directory",
            "-T",
            "--files-from",
            "-X",
            "--exclude-from",
            "--exclude",
            "-b",
            "-H",
            "--format",
        ],
    );
    let has = |ch: char, long: &str| bundle.contains(ch) || s.has(&[&format!("-{ch}"), long]);
    let create = has('c', "--create") || has('r', "--append") || has('u', "--update");
    let extract = has('x', "--extract") || s.has(&["--get"]);
    // with a bundled first word (`tar czf out.tgz src`), f's value is the first operand
    let mut ops: Vec<&Arg> = s
        .operands
        .iter()
        .copied()
        .filter(|a| a.text() != bundle || bundle.is_empty())
        .collect();
    let mut archive: Vec<&Arg> = s.values(&["-f", "--file"]);
    if archive.is_empty() && bundle.contains('f') && !ops.is_empty() {
        archive.push(ops.remove(0));
    }
    for a in s.values(&["-T", "--files-from", "-X", "--exclude-from"]) {
        c.read(a);
    }
    if create {
        for a in &archive {
            c.write(a);
        }
        // `tar -C DIR czf out .ssh` archives DIR/.ssh
        let dir = s
            .values(&["-C", "--directory"])
            .first()
            .map(|d| d.text().to_string());
        for a in ops {
            match &dir {
                Some(d) if !a.text().starts_with('/') => {
                    let mut joined = a.clone();
                    joined.values = a
                        .values
                        .iter()
                        .map(|v| format!("{}/{v}", d.trim_end_matches('/')))
                        .collect();
                    c.read_tree(&joined, true);
                }
                _ => c.read_tree(a, true),
            }
        }
    } else {
        for a in &archive {
            c.read(a);
        }
        if extract {
            let dest = s
                .values(&["-C", "--directory"])
                .first()
                .map(|a| (*a).clone())
                .unwrap_or_else(|| Arg::lit("."));
            c.write_tree(&dest);
        }
    }
}

fn curl(c: &mut Ctx<'_>, args: &[Arg]) {
    let opts_with_value = [
        "-d",
        "--data",
        "--data-binary",
        "--data-raw",
        "--data-ascii",
        "--data-urlencode",
        "-F",
        "--form",
        "-T",
        "--upload-file",
        "-o",
        "--output",
        "-K",
        "--config",
        "-H",
        "--header",
        "-u",
        "--user",
        "-X",
        "--request",
        "-A",
        "--user-agent",
        "-e",
        "--referer",
        "-b",
        "--cookie",
        "-c",
        "--cookie-jar",
        "--cacert",
        "--cert",
        "--key",
        "-E",
        "-x",
        "--proxy",
        "-m",
        "--max-time",
        "--connect-timeout",
        "-w",
        "--write-out",
        "-r",
        "--range",
        "--url",
        "--json",
        "-D",
        "--dump-header",
        "--resolve",
        "--connect-to",
        "-Y",
        "-y",
        "--retry",
        "-C",
        "--netrc-file",
        "--preproxy",
        "--proxy1.0",
        "--socks4",
        "--socks4a",
        "--socks5",
        "--socks5-hostname",
        "--doh-url",
    ];
    let args = &unbundle(args, &opts_with_value);
    let s = split(args, &opts_with_value);
    for url in s.operands.iter().copied().chain(s.values(&["--url"])) {
        let t = url.text();
        if let Some(path) = t.strip_prefix("file://") {
            c.read(&with_value(url, path));
            continue;
        }
        // curl expands `{a,b}` and `[1-3]` in a URL unless told not to.
        let globbing = !s.has(&["-g", "--globoff"]);
        for u in crate::urls::curl_globs(t, globbing) {
            c.net_url(&u, format!("curl {t}"));
        }
    }
    for (o, v) in &s.options {
        let Some(v) = v else { continue };
        let t = v.text();
        match *o {
            "-d" | "--data" | "--data-binary" | "--data-ascii" | "--data-urlencode" | "--json" => {
                if let Some(pos) = t.find('@') {
                    // `@file` or `name@file` (data-urlencode)
                    let f = &t[pos + 1..];
                    if !f.is_empty() && (pos == 0 || *o == "--data-urlencode") {
                        c.read(&with_value(v, f));
                    }
                }
            }
            "-F" | "--form" => {
                if let Some((_, val)) = t.split_once('=')
                    && let Some(f) = val.strip_prefix('@').or_else(|| val.strip_prefix('<'))
                {
                    c.read(&with_value(v, f.split(';').next().unwrap_or(f)));
                }
            }
            // Where the connection really goes: a proxy, a resolver, another address.
            "-x" | "--proxy" | "--preproxy" | "--proxy1.0" | "--socks4" | "--socks4a"
            | "--socks5" | "--socks5-hostname" | "--doh-url" => {
                host_or_url(c, t, format!("curl {o} {t}"));
            }
            // HOST1:PORT1:HOST2:PORT2 — the connection goes to HOST2.
            "--connect-to" => match connect_to_target(t) {
                Some(h) if !h.is_empty() => c.net(Some(h), format!("curl --connect-to {t}")),
                Some(_) => {}
                None => c.net(None, format!("curl --connect-to {t}")),
            },
            // [+]HOST:PORT:ADDR[,ADDR…] — HOST's connections go to those addresses.
            "--resolve" => {
                let addrs = t.trim_start_matches('+').splitn(3, ':').nth(2);
                match addrs {
                    Some(a) if !a.is_empty() => {
                        for addr in a.split(',') {
                            let addr = addr.trim_matches(|ch| ch == '[' || ch == ']');
                            c.net(Some(addr.to_string()), format!("curl --resolve {t}"));
                        }
                    }
                    _ => c.net(None, format!("curl --resolve {t}")),
                }
            }
            // A config file holds more options and URLs, unseen here.
            "-K" | "--config" => {
                c.read(v);
                c.net(None, format!("curl reads options and URLs from {t}"));
            }
            "-T" | "--upload-file" | "--cacert" | "--cert" | "--key" | "-E" | "--netrc-file" => {
                c.read(v)
            }
            "-o" | "--output" | "-c" | "--cookie-jar" | "-D" | "--dump-header" => c.write(v),
            "-b" | "--cookie" if !t.contains('=') => c.read(v),
            _ => {}
        }
    }
    if s.has(&["-O", "--remote-name", "-J"]) {
        c.write(&Arg::lit("."));
    }
}

/// `args` with bundled short options taken apart, as getopt reads them:
/// `-sSLo/x` is `-s -S -L -o /x`, `-x127.0.0.1:8` is `-x 127.0.0.1:8` when
/// `-x` takes a value (in `valued`). Options after `--` are operands.
fn unbundle(args: &[Arg], valued: &[&str]) -> Vec<Arg> {
    let mut out = Vec::with_capacity(args.len());
    let mut rest_are_operands = false;
    let mut value_next = false;
    for a in args {
        let t = a.text();
        if rest_are_operands
            || value_next
            || t == "--"
            || !t.starts_with('-')
            || t.starts_with("--")
        {
            rest_are_operands |= t == "--" && !value_next;
            value_next = false;
            out.push(a.clone());
            continue;
        }
        if t.len() == 2 {
            value_next = valued.contains(&t);
            out.push(a.clone());
            continue;
        }
        for (i, ch) in t.char_indices().skip(1) {
            let opt = format!("-{ch}");
            let takes = valued.contains(&opt.as_str());
            out.push(Arg::lit(opt));
            if takes {
                let glued = &t[i + ch.len_utf8()..];
                if glued.is_empty() {
                    value_next = true;
                } else {
                    out.push(with_value(a, glued));
                }
                break;
            }
        }
    }
    out
}

/// Options of package tools whose value names a host they connect to.
const PKG_HOST_OPTIONS: &[&str] = &["--proxy", "--https-proxy", "--trusted-host"];

/// A host given as `HOST[:PORT]`, or as a URL: judged like a URL's host.
fn host_or_url(c: &mut Ctx<'_>, value: &str, what: String) {
    if value.contains("://") {
        c.net_url(value, what);
    } else {
        c.net_url(&format!("http://{value}"), what);
    }
}

/// The target host of curl's `--connect-to HOST1:PORT1:HOST2:PORT2` (IPv6
/// in brackets); None when it cannot be read.
fn connect_to_target(value: &str) -> Option<String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut bracket = false;
    for ch in value.chars() {
        match ch {
            '[' => bracket = true,
            ']' => bracket = false,
            ':' if !bracket => fields.push(std::mem::take(&mut cur)),
            _ => cur.push(ch),
        }
    }
    fields.push(cur);
    (fields.len() == 4).then(|| fields[2].clone())
}

fn wget(c: &mut Ctx<'_>, args: &[Arg]) {
    const WITH_VALUE: &[&str] = &[
        "-O",
        "--output-document",
        "-P",
        "--directory-prefix",
        "-i",
        "--input-file",
        "-o",
        "--output-file",
        "-a",
        "--header",
        "-U",
        "--user",
        "--password",
        "-e",
        "--post-data",
        "--post-file",
        "--body-file",
        "--load-cookies",
        "--save-cookies",
        "--execute",
        "--config",
    ];
    let args = &unbundle(args, WITH_VALUE);
    let s = split(args, WITH_VALUE);
    for url in &s.operands {
        c.net_url(url.text(), format!("wget {}", url.text()));
    }
    for a in s.values(&[
        "-i",
        "--input-file",
        "--post-file",
        "--body-file",
        "--load-cookies",
    ]) {
        c.read(a);
    }
    // URLs from a file, settings (`-e https_proxy=…`) and config files are unseen here.
    for a in s.values(&["-i", "--input-file"]) {
        c.net(
            None,
            format!("wget fetches the URLs listed in {}", a.text()),
        );
    }
    for a in s.values(&["-e", "--execute"]) {
        let t = a.text().to_ascii_lowercase();
        if t.contains("proxy") || t.contains("bind") || t.contains("dns") {
            c.net(None, format!("wget -e {}", a.text()));
        }
    }
    for v in s
        .eq_values("--config=")
        .into_iter()
        .chain(s.eq_values("--input-file="))
        .chain(s.eq_values("--execute="))
    {
        c.net(None, format!("wget {v}"));
    }
    for (o, v) in &s.options {
        if matches!(*o, "--config") {
            if let Some(v) = v {
                c.read(v);
            }
            c.net(None, "wget reads a config file");
        }
    }
    for f in s
        .eq_values("--post-file=")
        .into_iter()
        .chain(s.eq_values("--body-file="))
    {
        c.read(&Arg::lit(f));
    }
    for a in s.values(&[
        "-O",
        "--output-document",
        "-o",
        "--output-file",
        "-a",
        "--save-cookies",
        "-P",
        "--directory-prefix",
    ]) {
        c.write(a);
    }
    if s.values(&["-O", "--output-document"]).is_empty() && !s.operands.is_empty() {
        c.write(&Arg::lit("."));
    }
}

fn git(c: &mut Ctx<'_>, args: &[Arg]) {
    // Global options come before the subcommand.
    let mut i = 0;
    while i < args.len() && args[i].text().starts_with('-') {
        i += if matches!(
            args[i].text(),
            "-C" | "-c"
                | "--git-dir"
                | "--work-tree"
                | "--namespace"
                | "--super-prefix"
                | "--config-env"
        ) {
            2
        } else {
            1
        };
    }
    let globals = &args[..i.min(args.len())];
    review_options(c, "git", &options::GIT, globals);
    // `git -C DIR`: relative paths (and the repository) are DIR's.
    let mut cwd_override: Option<Cwd> = None;
    for (k, a) in globals.iter().enumerate() {
        if a.text() == "-C"
            && let Some(d) = globals.get(k + 1)
        {
            let dir = d.text().to_string();
            cwd_override = Some(if d.dynamic {
                Cwd::Unknown
            } else if dir.starts_with('/') {
                Cwd::Dir(dir)
            } else {
                match cwd_override.as_ref().unwrap_or(&c.cmd.cwd) {
                    Cwd::Start => Cwd::Dir(dir),
                    Cwd::Dir(p) => Cwd::Dir(format!("{p}/{dir}")),
                    Cwd::Unknown => Cwd::Unknown,
                }
            });
        }
    }
    // The repository git runs in is trusted with its configuration (hooks, fsmonitor, pager).
    c.fx.projects.push(FileRef::new(
        Arg::lit("."),
        cwd_override.clone().unwrap_or_else(|| c.cmd.cwd.clone()),
        "runs git in",
    ));
    c.dir = cwd_override.clone();
    let cwd = cwd_override.unwrap_or_else(|| c.cmd.cwd.clone());
    let file = |a: &Arg, how: &'static str| FileRef::new(a.clone(), cwd.clone(), how);
    let Some(sub) = args.get(i) else { return };
    let rest = &args[i + 1..];
    review_options(
        c,
        &format!("git {}", sub.text()),
        &options::git_sub(sub.text()),
        rest,
    );
    if let Some(why) = options::git_sub_runs(sub.text(), rest) {
        c.fx.risky.push(why);
    }
    let s = split(
        rest,
        &[
            "-m",
            "--message",
            "-F",
            "--file",
            "-C",
            "-c",
            "-t",
            "--template",
            "-o",
            "--output-directory",
            "-b",
            "-B",
            "--author",
            "--date",
            "-u",
            "--format",
            "-n",
            "-S",
            "-G",
            "--grep",
        ],
    );
    match sub.text() {
        "add" | "stash" | "commit" => {
            // What git copies into its object store can be read back from it
            // (`git add -f .env && git diff --cached`): adding is reading.
            let force = s.has(&["-f", "--force"]);
            let all = s.has(&["-A", "--all", "-a"]);
            let untracked = s.has(&["-u", "--include-untracked"]);
            let mut ops: Vec<&Arg> = s.operands.clone();
            if sub.text() == "stash" {
                // `git stash push -u -- paths`: the subcommand word is no path.
                ops.retain(|a| !matches!(a.text(), "push" | "save"));
                if !(untracked || all) {
                    ops.clear();
                }
            } else if sub.text() == "commit" {
                ops.clear();
            }
            let dot = Arg::lit(".");
            // `--pathspec-from-file=F` (or `-` for stdin): pathspecs not shown here.
            let from_file = s
                .options
                .iter()
                .any(|(o, _)| o.starts_with("--pathspec-from-file"));
            if ops.is_empty() && (all || untracked || from_file) && sub.text() != "commit" {
                ops.push(&dot);
            }
            for a in ops {
                // Pathspecs git expands itself (`'*'`, `'.e*'`, `:/`,
                // `':(icase).ENV'`, `':(glob)**'`): the directory they start
                // from is read as a whole.
                let t = a.text();
                let magic = t.starts_with(':') && !a.dynamic;
                if magic && (t.starts_with(":!") || t.starts_with(":^") || t.contains("exclude")) {
                    continue;
                }
                let pathspec_glob = !a.glob && t.contains(['*', '?', '[']);
                if magic || pathspec_glob {
                    let dir = t
                        .split('/')
                        .take_while(|c| !c.contains(['*', '?', '[']))
                        .collect::<Vec<_>>();
                    // Magic (`icase`, `:/` from the top) may reach anything: the whole tree.
                    let dir = if magic || dir.is_empty() {
                        ".".to_string()
                    } else {
                        dir.join("/")
                    };
                    let mut f = file(&with_value(a, &dir), "adds to git");
                    f.recursive = true;
                    f.gitignore = !(force || (sub.text() == "stash" && all));
                    c.fx.reads.push(f);
                    continue;
                }
                let mut f = file(a, "adds to git");
                // Without -f (or stash -a), git skips what .gitignore ignores.
                f.gitignore = !(force || (sub.text() == "stash" && all));
                c.check_dynamic(a);
                c.fx.reads.push(f);
            }
        }
        "mv" => {
            let ops: Vec<Arg> = s.operands.iter().map(|a| (*a).clone()).collect();
            copy_like(c, &ops, true);
        }
        // `git checkout [REV] -- PATHS`, `git restore [-s REV] PATHS`: git
        // writes the paths (a file, or what is tracked under a directory)
        // from the index or a commit, whatever the agent put there.
        "checkout" | "restore" => {
            let paths = git_checkout_paths(sub.text(), rest);
            for a in paths {
                c.write(a);
                // A directory: what is tracked under it, names not known here.
                let mut f = c.file(a, "restores into");
                f.recursive = true;
                f.into = true;
                c.fx.writes.push(f);
            }
        }
        "rm" => {
            let recursive = s.has(&["-r"]);
            for a in &s.operands {
                c.fx.deletes.push(FileRef {
                    recursive,
                    ..file(a, "deletes")
                });
            }
        }
        "init" => {
            if let Some(dir) = s.operands.first() {
                c.fx.writes.push(file(dir, "writes"));
            }
        }
        "clone" | "fetch" | "pull" | "push" | "ls-remote" | "submodule" | "remote" | "archive"
        | "request-pull" | "send-email" => {
            let hosts: Vec<Option<String>> = s
                .operands
                .iter()
                .filter(|a| {
                    let t = a.text();
                    t.contains("://") || (t.contains('@') && t.contains(':'))
                })
                .flat_map(|a| remote(a.text()))
                .collect();
            if hosts.is_empty()
                && matches!(
                    sub.text(),
                    "clone" | "fetch" | "pull" | "push" | "ls-remote" | "send-email"
                )
            {
                // A remote by name (`git fetch origin`, or the default one):
                // its URL is in the repository's configuration.
                // `--all`, `--multiple`: every remote, not resolved here.
                let name = match sub.text() {
                    "fetch" | "pull" | "push" | "ls-remote" if !s.has(&["--all", "--multiple"]) => {
                        match s.operands.first() {
                            Some(a) if a.dynamic => String::new(),
                            Some(a) => a.text().to_string(),
                            None => "origin".to_string(),
                        }
                    }
                    _ => String::new(),
                };
                let what = format!("git {}", sub.text());
                c.fx.network.push(Host {
                    host: None,
                    what,
                    git_remote: (!name.is_empty()).then(|| (cwd.clone(), name)),
                });
            }
            for h in hosts {
                c.net(h, format!("git {}", sub.text()));
            }
            if sub.text() == "clone"
                && let Some(dest) = s.operands.get(1)
            {
                c.fx.writes.push(file(dest, "writes"));
            }
        }
        "config" => {
            let reading = s.has(&[
                "--get",
                "--get-all",
                "--get-regexp",
                "--list",
                "-l",
                "--show-origin",
                "--show-scope",
                "--get-urlmatch",
                "--name-only",
            ]) || s
                .operands
                .first()
                .is_some_and(|a| matches!(a.text(), "get" | "list"))
                || s.operands.len() == 1;
            let file_opt = s.values(&["-f", "--file"]).first().map(|a| (*a).clone());
            let key = s
                .operands
                .iter()
                .map(|a| a.text())
                .find(|t| !matches!(*t, "set" | "unset" | "add" | "replace-all"))
                .unwrap_or("");
            let shared = s.has(&["--global", "--system"]);
            if !reading
                && file_opt.is_none()
                && !shared
                && GIT_HARMLESS_KEYS.iter().any(|k| {
                    k.strip_suffix('*')
                        .map_or(key.eq_ignore_ascii_case(k), |p| {
                            key.len() > p.len() && key[..p.len()].eq_ignore_ascii_case(p)
                        })
                })
            {
                // `git config user.name x`: a setting that runs and loads nothing.
            } else if let Some(f) = file_opt.filter(|_| !reading) {
                c.fx.writes.push(file(&f, "writes"));
            } else if !reading {
                let target = if s.has(&["--global"]) {
                    Arg::lit("~/.gitconfig")
                } else if s.has(&["--system"]) {
                    Arg::lit("/etc/gitconfig")
                } else {
                    Arg::lit(".git/config")
                };
                c.fx.writes.push(file(&target, "writes"));
            }
        }
        _ => {}
    }
    for a in s.values(&["-F", "--file", "-t", "--template"]) {
        c.fx.reads.push(file(a, "reads"));
    }
    // `--output`, `-o/--output-directory`: written by the option spec (options::git_sub).
    for (o, _) in &s.options {
        if let Some(f) = o
            .strip_prefix("--upload-pack=")
            .or_else(|| o.strip_prefix("--receive-pack="))
            .or_else(|| o.strip_prefix("--exec="))
        {
            c.fx.risky.push(format!("git {o} runs `{f}`"));
        }
    }
    if matches!(sub.text(), "diff" | "difftool") && s.has(&["--no-index"]) {
        for a in &s.operands {
            c.fx.reads.push(file(a, "reads"));
        }
    }
    // git grep --no-index / --untracked searches files git does not track (.env among them)
    if sub.text() == "grep" && s.has(&["--no-index", "--untracked"]) {
        let mut tree = file(&Arg::lit("."), "reads");
        tree.recursive = true;
        c.fx.reads.push(tree);
    }
    if matches!(sub.text(), "diff" | "log" | "show") && s.has(&["--ext-diff"]) {
        c.fx.risky
            .push("git --ext-diff runs the configured external diff program".into());
    }
    // `--literal-pathspecs` (or `--noglob-pathspecs`) turns pathspec magic
    // off: `':(exclude).env'` then leaves nothing out.
    let literal = globals
        .iter()
        .any(|a| matches!(a.text(), "--literal-pathspecs" | "--noglob-pathspecs"))
        || c.cmd
            .assignments
            .iter()
            .any(|(n, _)| matches!(n.as_str(), "GIT_LITERAL_PATHSPECS" | "GIT_NOGLOB_PATHSPECS"));
    git_content(c, sub.text(), rest, &cwd, literal);
    // REV:PATH reads a file from history (git show HEAD:.env, git cat-file -p :secrets.json)
    // Any subcommand: `git tag t HEAD:.env` names the blob as well.
    if !matches!(
        sub.text(),
        "push" | "fetch" | "pull" | "clone" | "remote" | "ls-remote" | "submodule"
    ) {
        // Operands before `--` only: after it, `:!x` and `:(exclude)x` are pathspec magic.
        let dd = rest
            .iter()
            .position(|a| a.text() == "--")
            .unwrap_or(rest.len());
        let revs = split(&rest[..dd], &[]);
        for a in &revs.operands {
            if let Some((_, path)) = a.text().split_once(':')
                && !path.is_empty()
                && !a.text().starts_with([':', '-'])
                && !a.text().contains("://")
            {
                c.fx.reads
                    .push(file(&with_value(a, path), "reads from history"));
            }
            // `:.env`, `:0:.env`: the index's copy (not `:!x`, `:/x`, `:(…)x` magic).
            if let Some(path) = a.text().strip_prefix(':')
                && !path.starts_with(['!', '^', '/', '('])
            {
                let path = path
                    .split_once(':')
                    .filter(|(stage, _)| stage.len() == 1)
                    .map_or(path, |(_, p)| p);
                if !path.is_empty() {
                    c.fx.reads
                        .push(file(&with_value(a, path), "reads from history"));
                }
            }
        }
    }
}

/// `python -m venv DIR`, `virtualenv DIR`, `uv venv DIR`: the environment
/// is written into DIR; `--clear` (and uv, replacing one) first deletes
/// everything in it.
fn venv(c: &mut Ctx<'_>, dirs: &[&Arg], clear: bool) {
    for d in dirs {
        if clear {
            c.delete(d, true);
        }
        // What lands is the environment's own layout (bin/, lib/, pyvenv.cfg).
        c.write(d);
    }
}

/// `ztguard` run by the agent: the files its own options write (a scan
/// report, the baseline that accepts findings) are checked like any write.
fn ztguard_self(c: &mut Ctx<'_>, args: &[Arg]) {
    // `scan` and `deps` print findings, redacted, not the files they read.
    let reports = args
        .iter()
        .find(|a| !a.text().starts_with('-'))
        .is_some_and(|a| matches!(a.text(), "scan" | "deps"));
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text();
        if reports {
            if matches!(t, "--config" | "--baseline")
                && let Some(v) = args.get(i + 1)
            {
                c.read(v);
                i += 2;
                continue;
            }
            if let Some(v) = t
                .strip_prefix("--config=")
                .or_else(|| t.strip_prefix("--baseline="))
            {
                c.read(&with_value(&args[i], v));
            }
        }
        if matches!(t, "-o" | "--output" | "--write-baseline")
            && let Some(v) = args.get(i + 1)
            && !v.text().starts_with('-')
        {
            c.write(v);
            i += 2;
            continue;
        }
        let written = ["--output=", "--write-baseline="]
            .iter()
            .find_map(|opt| t.strip_prefix(opt))
            // `-oF`, and `-o=F` (clap drops the `=`).
            .or_else(|| {
                t.strip_prefix("-o")
                    .map(|v| v.strip_prefix('=').unwrap_or(v))
                    .filter(|v| !v.is_empty())
            });
        if let Some(v) = written {
            c.write(&with_value(&args[i], v));
        } else if reports {
            // Their operands are scanned, not printed.
        } else if let Some((_, v)) = t.split_once('=').filter(|_| t.starts_with("--")) {
            // Any other file an option names (`--config=F`, `--log=F`) is read.
            c.read(&with_value(&args[i], v));
        } else if !t.starts_with('-') {
            // Operands and option values: the files `ztguard` is given are
            // read (`approve F`, `--input F`); a subcommand's name reads nothing
            // a rule forbids.
            c.read(&args[i]);
        }
        i += 1;
    }
}

/// The paths `git checkout` or `git restore` writes: every word after
/// `--`; without it, every operand (for checkout a branch name too, as
/// git itself tries each as a path).
fn git_checkout_paths<'a>(sub: &str, rest: &'a [Arg]) -> Vec<&'a Arg> {
    if let Some(dd) = rest.iter().position(|a| a.text() == "--" && !a.dynamic) {
        return rest[dd + 1..].iter().collect();
    }
    let with_value: &[&str] = match sub {
        "restore" => &["-s", "--source", "--conflict", "--pathspec-from-file"],
        _ => &["-b", "-B", "--orphan", "--conflict", "--pathspec-from-file"],
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let t = rest[i].text();
        if with_value.contains(&t) {
            i += 2;
            continue;
        }
        if !t.starts_with('-') || rest[i].dynamic {
            out.push(&rest[i]);
        }
        i += 1;
    }
    out
}

/// Options after which `git show`, `git diff` and friends print names, stats
/// or object names only.
const GIT_NAMES_ONLY: &[&str] = &[
    "-s",
    "--no-patch",
    "--stat",
    "--numstat",
    "--shortstat",
    "--name-only",
    "--name-status",
    "--summary",
    "--dirstat",
    "--raw",
    "--compact-summary",
    "-q",
    "--quiet",
];

/// Is this option one that makes git print file contents as a patch?
fn git_patch_option(o: &str) -> bool {
    matches!(
        o,
        "-p" | "-u"
            | "--patch"
            | "--patch-with-stat"
            | "--patch-with-raw"
            | "--cc"
            | "-c"
            | "-m"
            | "--binary"
            | "-W"
            | "--function-context"
            | "--check"
    ) || ["-U", "--unified", "--word-diff", "--color-words", "-L"]
        .iter()
        .any(|p| o.starts_with(p))
        || (o.starts_with('-') && !o.starts_with("--") && o.len() > 2 && o[1..].contains('p'))
}

/// What a git subcommand prints or writes out of the files it tracks.
fn git_content(c: &mut Ctx<'_>, sub: &str, rest: &[Arg], cwd: &Cwd, literal: bool) {
    let dd = rest.iter().position(|a| a.text() == "--");
    let before = &rest[..dd.unwrap_or(rest.len())];
    let after: Vec<Arg> = dd.map(|d| rest[d + 1..].to_vec()).unwrap_or_default();
    let options: Vec<&str> = before
        .iter()
        .map(Arg::text)
        .filter(|t| t.starts_with('-'))
        .collect();
    let patch = options.iter().any(|o| git_patch_option(o));
    let names_only = options.iter().any(|o| {
        GIT_NAMES_ONLY
            .iter()
            .any(|n| o == n || (n.starts_with("--") && o.starts_with(&format!("{n}="))))
    });
    // Operands before `--`, without the values of options that take one.
    let s = split(
        before,
        &[
            "-e",
            "-f",
            "-o",
            "--output",
            "--format",
            "--pretty",
            "-n",
            "--max-count",
            "-S",
            "-G",
            "--grep",
            "--author",
            "--committer",
            "--since",
            "--until",
            "-A",
            "-B",
            "--prefix",
            "--remote",
            "--exec",
            "--threads",
            "--max-depth",
        ],
    );
    let mut operands: Vec<Arg> = s.operands.iter().map(|a| (*a).clone()).collect();
    // A REV:PATH operand prints that one file, read as such elsewhere.
    let limited = !operands.is_empty()
        && operands.iter().all(|a| {
            !a.text().starts_with(":/")
                && a.text().split_once(':').is_some_and(|(_, p)| !p.is_empty())
        });
    let mut worktree = false;
    let shows = match sub {
        "show" => (patch || !names_only) && !limited,
        "log" | "whatchanged" | "reflog" => patch,
        "diff" => {
            if s.has(&["--no-index"]) {
                false
            } else {
                worktree = !s.has(&["--cached", "--staged", "--merge-base"])
                    && !operands.iter().any(|a| a.text().contains(".."));
                patch || !names_only
            }
        }
        "diff-tree" | "diff-index" | "diff-files" | "range-diff" => patch,
        "stash" => {
            operands.first().is_some_and(|a| a.text() == "show") && patch && {
                operands.remove(0);
                true
            }
        }
        "grep" => {
            // The first operand is the pattern unless -e/-f gave it.
            if !s.has(&["-e", "-f", "--and", "--or", "--not"]) && !operands.is_empty() {
                operands.remove(0);
            }
            !s.has(&[
                "--no-index",
                "--untracked",
                "-l",
                "--files-with-matches",
                "-c",
                "--count",
            ]) || s.has(&["--untracked"])
        }
        "cat-file" => {
            !limited
                && !s.has(&["-t", "-s", "-e"])
                && operands.first().is_none_or(|a| a.text() != "tree")
        }
        "archive" => {
            // The first operand is the tree-ish; the rest are paths.
            if !operands.is_empty() {
                operands.remove(0);
            }
            true
        }
        "bundle" => {
            operands.first().is_some_and(|a| a.text() == "create") && {
                operands.clear();
                true
            }
        }
        "format-patch" | "fast-export" | "unpack-file" | "checkout-index" => true,
        // `git status -v` prints the staged changes (`-vv` the unstaged too).
        "status" | "commit" => {
            sub == "status" && s.has(&["-v", "--verbose"]) && {
                worktree = false;
                true
            }
        }
        // `%(raw)`, `%(contents)` print the objects the refs point at (a tag of a blob).
        "for-each-ref" | "tag" | "show-ref" | "branch" => {
            before.iter().any(|a| {
                let t = a.text();
                t.contains("%(raw") || t.contains("%(contents")
            }) && {
                operands.clear();
                true
            }
        }
        "blame" | "annotate" => {
            // blame prints the one file it is given.
            for a in operands.iter().chain(&after) {
                c.fx.reads.push(git_file(a, cwd, "reads from history"));
            }
            false
        }
        _ => false,
    };
    if !shows {
        return;
    }
    if sub == "checkout-index" && !s.has(&["-a", "--all"]) && after.is_empty() {
        // `git checkout-index FILE…` writes the files named.
        for a in &operands {
            c.fx.reads
                .push(git_file(a, cwd, "writes out from the index"));
        }
        return;
    }
    c.fx.git_content.push(GitContent {
        cwd: cwd.clone(),
        maybe_paths: operands,
        paths: after,
        worktree_unless_revisions: worktree,
        literal,
        // `--full-diff`: the paths choose the commits, which print whole.
        whole: s.has(&["--full-diff"]),
    });
}

fn git_file(a: &Arg, cwd: &Cwd, how: &'static str) -> FileRef {
    FileRef {
        guessed: a.guessed,
        ..FileRef::new(a.clone(), cwd.clone(), how)
    }
}

/// Inline interpreter code: look for the files, variables and sockets it names.
fn inline_code(c: &mut Ctx<'_>, code: Option<&str>) {
    let Some(code) = code else {
        c.fx.unknown_operands
            .push("interpreter code built at run time".into());
        return;
    };
    for lit in string_literals(code) {
        let looks_like_path = lit.starts_with('/')
            || lit.starts_with("~/")
            || lit.starts_with("./")
            || lit.starts_with("../")
            || (lit.starts_with('.') && lit.len() > 1 && !lit.contains(' '))
            || (lit.contains('/') && !lit.contains(' ') && !lit.contains("://"));
        if lit.contains("://") {
            c.net_url(&lit, format!("code fetches {lit}"));
        } else if looks_like_path {
            let mut a = Arg::lit(lit.clone());
            a.glob = lit.contains(['*', '?']);
            c.fx.reads.push(c.file(&a, "reads"));
        }
    }
    const ENV: &[&str] = &[
        "os.environ",
        "os.getenv",
        "getenv(",
        "process.env",
        "ENV[",
        "$ENV{",
        "%ENV",
        "System.getenv",
        "Deno.env",
        "Bun.env",
        "environ",
    ];
    if ENV.iter().any(|k| code.contains(k)) {
        c.fx.env_dump = true;
    }
    const NET: &[&str] = &[
        "socket",
        "urllib",
        "requests.",
        "http.client",
        "httpx",
        "aiohttp",
        "fetch(",
        "XMLHttpRequest",
        "net.connect",
        "net.Socket",
        "require('http",
        "require(\"http",
        "require('net",
        "require(\"net",
        "Net::HTTP",
        "open-uri",
        "LWP::",
        "IO::Socket",
        "TCPSocket",
        "curl_exec",
        "fsockopen",
        "websocket",
        "smtplib",
        "ftplib",
        "paramiko",
    ];
    if let Some(k) = NET.iter().find(|k| code.contains(*k))
        && !c.fx.network.iter().any(|h| h.host.is_some())
    {
        c.net(
            None,
            format!("inline code uses {}", k.trim_end_matches(['(', '.'])),
        );
    }
    const EXEC: &[&str] = &[
        "os.system",
        "subprocess",
        "child_process",
        "execSync",
        "spawnSync",
        "popen",
        "exec(",
        "system(",
        "`",
        "Runtime.getRuntime",
        "pty.spawn",
        "os.exec",
        "eval(",
    ];
    if let Some(k) = EXEC.iter().find(|k| code.contains(*k)) {
        c.fx.risky.push(format!(
            "inline code runs other programs ({})",
            k.trim_end_matches('(')
        ));
    }
}

/// Quoted string literals in a piece of code ('…', "…"), escapes kept simple.
fn string_literals(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        if c == '\'' || c == '"' {
            let mut s = String::new();
            let mut closed = false;
            while let Some(n) = chars.next() {
                if n == '\\' {
                    if let Some(e) = chars.next() {
                        s.push(e);
                    }
                    continue;
                }
                if n == c {
                    closed = true;
                    break;
                }
                s.push(n);
            }
            if closed && !s.is_empty() && s.len() < 4096 {
                out.push(s);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ShellEnv, analyze};

    /// The effects of the last command of `line`.
    fn fx(line: &str) -> Effects {
        let a = analyze(line, &ShellEnv::default());
        effects(a.commands.last().expect("a command"))
    }

    /// (tool, directory, where it runs) of each build the last command runs.
    fn builds(line: &str) -> Vec<(String, String, bool)> {
        fx(line)
            .builds
            .iter()
            .map(|b| {
                let dir = match &b.dir.cwd {
                    Cwd::Dir(d) if b.here => d.clone(),
                    _ => b.dir.path.text().to_string(),
                };
                (b.tool.clone(), dir, b.here)
            })
            .collect()
    }

    fn projects(line: &str) -> Vec<String> {
        fx(line)
            .projects
            .iter()
            .map(|p| p.path.text().to_string())
            .collect()
    }

    #[test]
    fn a_build_tool_works_where_it_runs() {
        assert_eq!(
            builds("cd /tmp/x && make"),
            [("make".to_string(), "/tmp/x".to_string(), true)]
        );
        assert_eq!(builds("pushd /tmp/x && npm test")[0].1, "/tmp/x");
        assert_eq!(builds("(cd /tmp/x; cargo build)")[0].1, "/tmp/x");
        assert!(builds("cd /tmp && ls").is_empty());
        assert!(builds("cat Makefile").is_empty());
        assert!(builds("npm view left-pad").is_empty());
    }

    #[test]
    fn the_directories_a_build_tool_is_given_are_its_projects() {
        assert_eq!(projects("go test /tmp/e/..."), ["/tmp/e"]);
        assert_eq!(projects("go test -v ./..."), ["."]);
        assert_eq!(projects("go generate /tmp/e"), ["/tmp/e"]);
        assert_eq!(projects("dotnet build /tmp/e /p:X=1"), ["/tmp/e"]);
        assert_eq!(projects("mdbook build /tmp/x"), ["/tmp/x"]);
        assert_eq!(projects("eslint /tmp/e"), ["/tmp/e"]);
        assert_eq!(projects("cmake /tmp/e"), ["/tmp/e"]);
        assert_eq!(projects("uv build /tmp/e"), ["/tmp/e"]);
        let given = builds("make -C /tmp/x");
        assert!(given.contains(&("make".to_string(), "/tmp/x".to_string(), false)));
    }

    #[test]
    fn a_launched_tool_is_judged_as_itself() {
        assert_eq!(projects("python -m pytest /tmp/x"), ["/tmp/x"]);
        assert_eq!(
            projects("python3 -m unittest discover -s /tmp/u")[0],
            "/tmp/u"
        );
        assert_eq!(projects("python -m build /tmp/e"), ["/tmp/e"]);
        assert_eq!(projects("python -m tox -c /tmp/e"), ["/tmp/e"]);
        assert_eq!(
            projects("python -m nox -f /tmp/noxfile.py"),
            ["/tmp/noxfile.py"]
        );
        assert_eq!(projects("bundle exec rspec -r /tmp/x"), ["/tmp/x"]);
        assert_eq!(projects("npx eslint /tmp/e"), ["/tmp/e"]);
        assert!(!fx("python -m pytest -p /tmp/evil").risky.is_empty());
        let tools: Vec<String> = fx("python -m pytest -q")
            .builds
            .iter()
            .map(|b| b.tool.clone())
            .collect();
        assert_eq!(tools, ["pytest"]);
    }

    #[test]
    fn javascript_runtimes_execute_their_script() {
        let runs = |line: &str| -> Vec<String> {
            fx(line)
                .executes
                .iter()
                .map(|f| f.path.text().to_string())
                .collect()
        };
        assert_eq!(runs("bun run ./x.ts"), ["./x.ts"]);
        assert_eq!(runs("bun run /tmp/x.ts"), ["/tmp/x.ts"]);
        assert_eq!(runs("bun x.ts"), ["x.ts"]);
        assert_eq!(runs("deno run -A main.ts"), ["main.ts"]);
        assert_eq!(runs("tsx watch src/a.ts"), ["src/a.ts"]);
        assert_eq!(runs("ts-node scripts/gen.ts"), ["scripts/gen.ts"]);
        assert!(runs("bun run build").is_empty());
        assert!(runs("bun install").is_empty());
        assert!(runs("bun test").is_empty());
    }
}
