//! Commands that run other commands: wrappers (`env`, `sudo`, `timeout`,
//! `xargs`, `find -exec`, …), shells (`bash -c`, a heredoc into `sh`),
//! `eval`, and interpreters with inline code. Each is unwrapped so that the
//! command it runs is analyzed like any other; the wrapper itself is listed
//! too (marked [`SimpleCommand::wrapper`]) so a policy can deny `sudo`.

use crate::command_basename;
use crate::model::{Arg, Cwd, DynamicKind, InlineCode, SimpleCommand, Stdin};
use crate::walk::{Scope, Walker};

const SHELLS: &[&str] = &[
    "sh",
    "bash",
    "dash",
    "zsh",
    "ksh",
    "mksh",
    "ash",
    "fish",
    "busybox-sh",
];

/// Interpreters and the flags that take inline code.
const INTERPRETERS: &[(&str, &[&str])] = &[
    ("python", &["-c"]),
    ("pypy", &["-c"]),
    ("node", &["-e", "--eval", "-p", "--print"]),
    ("nodejs", &["-e", "--eval", "-p", "--print"]),
    ("bun", &["-e", "--eval", "-p", "--print"]),
    ("deno", &["eval"]),
    ("tsx", &["-e", "--eval", "-p", "--print"]),
    ("ts-node", &["-e", "--eval", "-p", "--print"]),
    ("perl", &["-e", "-E"]),
    ("ruby", &["-e"]),
    ("php", &["-r"]),
    ("lua", &["-e"]),
    ("luajit", &["-e"]),
    ("Rscript", &["-e"]),
    ("osascript", &["-e"]),
    ("pwsh", &["-c", "-Command", "-command"]),
    ("powershell", &["-c", "-Command", "-command"]),
    ("tclsh", &[]),
    ("jshell", &[]),
    ("irb", &[]),
];

/// Interpreter name → its code flags; `python3.12` counts as `python`.
pub(crate) fn interpreter(name: &str) -> Option<(&'static str, &'static [&'static str])> {
    INTERPRETERS.iter().copied().find(|(n, _)| {
        name == *n
            || name.strip_prefix(n).is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
            })
    })
}

pub(crate) fn is_shell(name: &str) -> bool {
    SHELLS.contains(&name)
}

/// Index of the first operand after options. `with_value` lists options
/// whose value is the next word; `--x=v` and `-xV` forms carry their own.
fn skip_options(args: &[Arg], start: usize, with_value: &[&str]) -> usize {
    let mut i = start;
    while i < args.len() {
        let t = args[i].text();
        if t == "--" {
            return i + 1;
        }
        if !t.starts_with('-') || t == "-" {
            return i;
        }
        i += if with_value.contains(&t) { 2 } else { 1 };
    }
    i
}

impl Walker {
    /// Record a command, unwrapping whatever it runs.
    pub(crate) fn run(&mut self, mut cmd: SimpleCommand, sc: &mut Scope) {
        if cmd.argv.is_empty() {
            self.push(cmd);
            return;
        }
        if cmd.argv[0].dynamic {
            self.dynamic(
                DynamicKind::CommandName,
                format!(
                    "the command name in `{}` is computed at run time",
                    cmd.display()
                ),
            );
            self.push(cmd);
            return;
        }
        let name = command_basename(cmd.argv[0].text()).to_string();
        if self.defining.contains(&name) {
            self.dynamic(
                DynamicKind::Unsupported,
                format!("function `{name}` calls itself (a fork bomb shape)"),
            );
            return;
        }
        if self.functions.contains(&name) {
            // A function defined earlier in the line: its body was analyzed where it was defined.
            return;
        }
        let n = cmd.argv.len();
        let inner_at = match name.as_str() {
            "nohup" | "builtin" | "unbuffer" | "catchsegv" | "nocache" | "busybox"
            | "proxychains" | "proxychains4" | "torsocks" | "tsocks" => Some(1),
            "exec" => Some(skip_options(&cmd.argv, 1, &["-a"])),
            "command" => {
                if cmd
                    .argv
                    .iter()
                    .skip(1)
                    .any(|a| matches!(a.text(), "-v" | "-V"))
                {
                    None // `command -v x` only looks a name up
                } else {
                    Some(skip_options(&cmd.argv, 1, &[]))
                }
            }
            "nice" => Some(skip_options(&cmd.argv, 1, &["-n", "--adjustment"])),
            "timeout" => {
                let i = skip_options(&cmd.argv, 1, &["-s", "--signal", "-k", "--kill-after"]);
                Some(i + 1) // the duration
            }
            "stdbuf" => Some(skip_options(&cmd.argv, 1, &["-i", "-o", "-e"])),
            "time" => {
                let i = skip_options(&cmd.argv, 1, &["-f", "--format", "-o", "--output"]);
                Some(i)
            }
            "setsid" | "caffeinate" => Some(skip_options(&cmd.argv, 1, &["-w", "-t"])),
            "ionice" => {
                if cmd
                    .argv
                    .iter()
                    .any(|a| matches!(a.text(), "-p" | "-P" | "-u"))
                {
                    None
                } else {
                    Some(skip_options(
                        &cmd.argv,
                        1,
                        &["-c", "-n", "--class", "--classdata"],
                    ))
                }
            }
            "chrt" => Some(skip_options(&cmd.argv, 1, &[]) + 1),
            "taskset" => {
                if cmd
                    .argv
                    .iter()
                    .any(|a| a.text().starts_with("-p") || a.text() == "--pid")
                {
                    None
                } else {
                    Some(skip_options(&cmd.argv, 1, &[]) + 1)
                }
            }
            "chroot" => Some(skip_options(&cmd.argv, 1, &["--userspec", "--groups"]) + 1),
            "nsenter" | "unshare" => Some(skip_options(
                &cmd.argv,
                1,
                &[
                    "-t", "--target", "-S", "-G", "--setuid", "--setgid", "-w", "-r",
                ],
            )),
            "firejail" | "systemd-run" | "strace" | "ltrace" | "valgrind" | "proot" => {
                Some(skip_options(
                    &cmd.argv,
                    1,
                    &[
                        "-o",
                        "-e",
                        "-p",
                        "-s",
                        "-u",
                        "-E",
                        "--unit",
                        "-p",
                        "--property",
                        "--uid",
                        "--gid",
                        "-b",
                        "-r",
                        "-w",
                    ],
                ))
            }
            "runuser" => Some(skip_options(
                &cmd.argv,
                1,
                &["-u", "-g", "-G", "--user", "--group"],
            )),
            "doas" => Some(skip_options(&cmd.argv, 1, &["-u", "-C"])),
            "pkexec" | "run0" => Some(skip_options(&cmd.argv, 1, &["--user", "-u"])),
            "sudo" => {
                let i = skip_options(
                    &cmd.argv,
                    1,
                    &[
                        "-u",
                        "-g",
                        "-C",
                        "-D",
                        "-h",
                        "-p",
                        "-r",
                        "-t",
                        "-U",
                        "-T",
                        "--user",
                        "--group",
                        "--chdir",
                        "--prompt",
                        "--host",
                        "--role",
                        "--type",
                        "--other-user",
                        "--command-timeout",
                        "--close-from",
                    ],
                );
                if let Some(d) = sudo_chdir(&cmd.argv) {
                    sc.cwd = match &sc.cwd {
                        _ if d.starts_with('/') => Cwd::Dir(d),
                        _ => Cwd::Unknown,
                    };
                }
                Some(i)
            }
            "env" => return self.env_wrapper(cmd, sc),
            // `cross-env NODE_ENV=test jest`: assignments, then the command.
            // Only its plain form: cross-env reads `--NAME=V` as an assignment too.
            "cross-env" if !cmd.argv[1..].iter().any(|a| a.text().starts_with('-')) => {
                return self.env_wrapper(cmd, sc);
            }
            // `uv run --frozen pytest`, `poetry run black .`: the command runs in
            // the project's environment; the launcher's own options are
            // judged as its effects (crate::effects::wrapper_files).
            "uv" | "poetry" | "pdm" | "pipenv" | "rye" => {
                crate::options::launched_at(&name, &cmd.argv[1..]).map(|i| i + 1)
            }
            "su" | "sg" | "script" => {
                // su [-] [user] -c CMD ; sg group -c CMD ; script -c CMD file
                let code = cmd
                    .argv
                    .iter()
                    .position(|a| matches!(a.text(), "-c" | "--command" | "--session-command"))
                    .and_then(|i| cmd.argv.get(i + 1).cloned());
                cmd.wrapper = true;
                let via = name.clone();
                self.push(cmd);
                if let Some(code) = code {
                    self.nested_code(&code, sc, &format!("{via} -c"));
                }
                return;
            }
            "watch" => {
                let i = skip_options(
                    &cmd.argv,
                    1,
                    &["-n", "--interval", "-d", "--differences", "-g"],
                );
                let exec_form = cmd.argv.iter().any(|a| matches!(a.text(), "-x" | "--exec"));
                if exec_form {
                    Some(i)
                } else {
                    let code = join_args(&cmd.argv[i.min(n)..]);
                    cmd.wrapper = true;
                    self.push(cmd);
                    self.nested_code(&code, sc, "watch");
                    return;
                }
            }
            "flock" => {
                if let Some(ci) = cmd
                    .argv
                    .iter()
                    .position(|a| matches!(a.text(), "-c" | "--command"))
                {
                    let code = cmd.argv.get(ci + 1).cloned();
                    cmd.wrapper = true;
                    self.push(cmd);
                    if let Some(code) = code {
                        self.nested_code(&code, sc, "flock -c");
                    }
                    return;
                }
                Some(
                    skip_options(
                        &cmd.argv,
                        1,
                        &["-w", "--timeout", "-E", "--conflict-exit-code"],
                    ) + 1,
                )
            }
            "alias" => {
                // `alias ls='cat .env'`: the alias body runs wherever the name is used later.
                for a in &cmd.argv[1..] {
                    if let Some((_, body)) = a.text().split_once('=') {
                        let mut code = a.clone();
                        code.values = vec![body.to_string()];
                        self.nested_code(&code, sc, "alias");
                    }
                }
                None
            }
            "hash" | "enable"
                if cmd
                    .argv
                    .iter()
                    .skip(1)
                    .any(|a| a.text().starts_with("-p") || a.text().starts_with("-f")) =>
            {
                // `hash -p /usr/bin/curl ls`, `enable -f x.so name`: a name now runs another program.
                self.dynamic(
                    DynamicKind::CommandName,
                    format!("`{}` changes which program a name runs", cmd.display()),
                );
                None
            }
            "eval" => {
                let code = join_args(&cmd.argv[1..]);
                cmd.wrapper = true;
                self.push(cmd);
                self.nested_code(&code, sc, "eval");
                return;
            }
            "xargs" => return self.xargs(cmd, sc),
            "find" => return self.find(cmd, sc),
            "parallel" => {
                self.dynamic(
                    DynamicKind::Eval,
                    format!("`{}` builds commands from its input", cmd.display()),
                );
                None
            }
            "awk" | "gawk" | "mawk" | "nawk" | "busybox-awk" => {
                self.awk(&cmd, sc);
                None
            }
            "sed" | "gsed" => {
                if sed_executes(&cmd) {
                    self.dynamic(
                        DynamicKind::Eval,
                        format!("`{}` runs commands through sed's e flag", cmd.display()),
                    );
                }
                None
            }
            "ztguard" if cmd.argv.get(1).is_some_and(|a| a.text() == "run") => {
                // `ztguard run NAME -- CMD` starts CMD with a secret: CMD is checked like any other.
                cmd.argv
                    .iter()
                    .position(|a| a.text() == "--")
                    .map(|i| i + 1)
            }
            "git" => {
                // git -c core.pager=…, alias.x='!…', core.sshCommand=… run arbitrary commands.
                None
            }
            _ if is_shell(&name) => return self.shell(cmd, sc),
            _ => {
                if let Some((interp, flags)) = interpreter(&name) {
                    return self.interpreter(cmd, sc, interp, flags);
                }
                None
            }
        };
        match inner_at {
            Some(i) if i < n => {
                let mut inner = cmd.clone();
                inner.argv = cmd.argv[i..].to_vec();
                inner.redirects.clear();
                inner.via.push(name.clone());
                inner.wrapper = false;
                cmd.wrapper = true;
                self.push(cmd);
                self.run(inner, sc);
            }
            _ => {
                let mut cmd = cmd;
                if inner_at.is_some() {
                    cmd.wrapper = true;
                }
                self.scope_effects(&cmd, sc);
                self.push(cmd);
            }
        }
    }

    /// Analyze code given as an argument (`bash -c CODE`, `eval`, `su -c`).
    fn nested_code(&mut self, code: &Arg, sc: &mut Scope, via: &str) {
        if code.dynamic {
            self.dynamic(
                DynamicKind::Eval,
                format!("`{via}` runs code built at run time"),
            );
        }
        for v in &code.values {
            self.nested(v, sc, via);
        }
    }

    fn shell(&mut self, mut cmd: SimpleCommand, sc: &mut Scope) {
        let name = cmd.name().to_string();
        let mut i = 1;
        let mut code_flag = false;
        while i < cmd.argv.len() {
            let t = cmd.argv[i].text();
            if t == "--" {
                i += 1;
                break;
            }
            if matches!(t, "--rcfile" | "--init-file" | "-o" | "+o" | "-O" | "+O") {
                i += 2;
                continue;
            }
            if t == "--command" {
                code_flag = true;
                i += 1;
                break;
            }
            if t.starts_with("--") {
                i += 1;
                continue;
            }
            if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
                if t.starts_with('-') && t[1..].contains('c') {
                    code_flag = true;
                }
                i += 1;
                continue;
            }
            break;
        }
        if code_flag {
            let code = cmd.argv.get(i).cloned();
            cmd.wrapper = true;
            self.push(cmd);
            match code {
                Some(code) => self.nested_code(&code, sc, &format!("{name} -c")),
                None => self.dynamic(DynamicKind::Eval, format!("`{name} -c` without a script")),
            }
            return;
        }
        if i < cmd.argv.len() {
            // `bash script.sh`: runs a file; the effects pass reports it.
            self.push(cmd);
            return;
        }
        self.stdin_program(cmd, sc, &name, true);
    }

    /// A shell or interpreter that reads its program from stdin.
    fn stdin_program(&mut self, mut cmd: SimpleCommand, sc: &mut Scope, name: &str, shell: bool) {
        match cmd.stdin.clone() {
            Stdin::Literal(Some(body)) => {
                if shell {
                    cmd.wrapper = true;
                    self.push(cmd);
                    self.nested(&body, sc, &format!("{name} <<heredoc"));
                } else {
                    cmd.inline_code = Some(InlineCode {
                        interpreter: name.to_string(),
                        code: Some(body),
                    });
                    self.push(cmd);
                }
            }
            Stdin::Literal(None) => {
                self.dynamic(
                    DynamicKind::Eval,
                    format!("`{name}` runs a heredoc that expands at run time"),
                );
                cmd.inline_code = (!shell).then(|| InlineCode {
                    interpreter: name.to_string(),
                    code: None,
                });
                self.push(cmd);
            }
            Stdin::Pipe { producer } => {
                self.dynamic(
                    DynamicKind::PipedIntoShell,
                    format!("`{producer}` is piped into `{name}`, which runs it"),
                );
                cmd.inline_code = (!shell).then(|| InlineCode {
                    interpreter: name.to_string(),
                    code: None,
                });
                self.push(cmd);
            }
            Stdin::File => {
                self.dynamic(
                    DynamicKind::Source,
                    format!("`{name}` runs a script redirected from a file"),
                );
                self.push(cmd);
            }
            Stdin::Inherit => self.push(cmd),
        }
    }

    fn interpreter(
        &mut self,
        mut cmd: SimpleCommand,
        sc: &mut Scope,
        interp: &str,
        flags: &[&str],
    ) {
        let mut i = 1;
        while i < cmd.argv.len() {
            let t = cmd.argv[i].text().to_string();
            let combined_e = matches!(interp, "perl" | "ruby")
                && t.starts_with('-')
                && !t.starts_with("--")
                && (t.ends_with('e') || t.ends_with('E'));
            if flags.contains(&t.as_str()) || combined_e {
                let code = cmd.argv.get(i + 1).cloned();
                if let Some(c) = &code
                    && c.dynamic
                {
                    self.dynamic(
                        DynamicKind::Eval,
                        format!("`{interp}` runs code built at run time"),
                    );
                }
                cmd.inline_code = Some(InlineCode {
                    interpreter: interp.to_string(),
                    code: code.filter(|c| !c.dynamic).map(|c| c.text().to_string()),
                });
                self.push(cmd);
                return;
            }
            if t == "-m" || !t.starts_with('-') || t == "-" {
                // a module or a script file: the effects pass reports running it
                if t == "-" {
                    break;
                }
                self.push(cmd);
                return;
            }
            i += if matches!(
                t.as_str(),
                "-W" | "-X" | "-r" | "--require" | "-I" | "-M" | "--import"
            ) {
                2
            } else {
                1
            };
        }
        self.stdin_program(cmd, sc, interp, false);
    }

    fn env_wrapper(&mut self, mut cmd: SimpleCommand, sc: &mut Scope) {
        let mut i = 1;
        let mut extra: Vec<(String, Arg)> = Vec::new();
        let mut split: Option<Arg> = None;
        let mut chdir: Option<String> = None;
        while i < cmd.argv.len() {
            let a = &cmd.argv[i];
            let t = a.text();
            if t == "--" {
                i += 1;
                break;
            }
            if matches!(t, "-u" | "--unset") {
                i += 2;
                continue;
            }
            if matches!(t, "-C" | "--chdir") {
                chdir = cmd.argv.get(i + 1).map(|a| a.text().to_string());
                i += 2;
                continue;
            }
            if let Some(d) = t.strip_prefix("--chdir=") {
                chdir = Some(d.to_string());
                i += 1;
                continue;
            }
            if matches!(t, "-S" | "--split-string") {
                split = cmd.argv.get(i + 1).cloned();
                i += 2;
                break;
            }
            if let Some(s) = t
                .strip_prefix("--split-string=")
                .or_else(|| t.strip_prefix("-S").filter(|s| !s.is_empty()))
            {
                let mut arg = a.clone();
                arg.values = vec![s.to_string()];
                split = Some(arg);
                i += 1;
                break;
            }
            if t.starts_with('-') && t.len() > 1 {
                i += 1;
                continue;
            }
            if let Some((k, v)) = t.split_once('=')
                && !k.is_empty()
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                let mut val = a.clone();
                val.values = vec![v.to_string()];
                extra.push((k.to_string(), val));
                i += 1;
                continue;
            }
            break;
        }
        let rest = cmd.argv[i.min(cmd.argv.len())..].to_vec();
        cmd.wrapper = !rest.is_empty() || split.is_some();
        let via_cwd = match chdir {
            Some(d) => match (&cmd.cwd, d.starts_with('/')) {
                (_, true) => Cwd::Dir(d),
                (Cwd::Start, false) => Cwd::Dir(d),
                (Cwd::Dir(p), false) => Cwd::Dir(format!("{p}/{d}")),
                (Cwd::Unknown, false) => Cwd::Unknown,
            },
            None => cmd.cwd.clone(),
        };
        let base = cmd.clone();
        self.push(cmd);
        if let Some(s) = split {
            let code = format!("{} {}", s.text(), join_args(&rest).text());
            let mut child = sc.clone();
            child.cwd = via_cwd;
            self.nested_code(
                &Arg {
                    values: vec![code],
                    dynamic: s.dynamic,
                    ..Default::default()
                },
                &mut child,
                "env -S",
            );
            return;
        }
        if rest.is_empty() {
            return;
        }
        let mut inner = base;
        inner.argv = rest;
        inner.assignments.extend(extra);
        inner.redirects.clear();
        inner.wrapper = false;
        inner.cwd = via_cwd;
        inner.via.push("env".into());
        self.run(inner, sc);
    }

    fn xargs(&mut self, mut cmd: SimpleCommand, sc: &mut Scope) {
        let with_value = [
            "-a",
            "-d",
            "-E",
            "-e",
            "-I",
            "-L",
            "-l",
            "-n",
            "-P",
            "-s",
            "--arg-file",
            "--delimiter",
            "--max-args",
            "--max-procs",
            "--replace",
            "--max-lines",
            "--max-chars",
        ];
        let mut replace: Option<String> = None;
        let mut i = 1;
        while i < cmd.argv.len() {
            let t = cmd.argv[i].text();
            if t == "--" {
                i += 1;
                break;
            }
            if !t.starts_with('-') {
                break;
            }
            if t == "-I" || t == "--replace" {
                replace = cmd.argv.get(i + 1).map(|a| a.text().to_string());
            } else if t == "-i" {
                replace = Some("{}".into());
            } else if let Some(r) = t
                .strip_prefix("-I")
                .or_else(|| t.strip_prefix("--replace="))
            {
                replace = Some(r.to_string());
            }
            i += if with_value.contains(&t) { 2 } else { 1 };
        }
        let input = xargs_input(&self.piped, &cmd.stdin);
        let mut inner = cmd.clone();
        inner.argv = if i < cmd.argv.len() {
            cmd.argv[i..].to_vec()
        } else {
            vec![Arg::lit("echo")]
        };
        match &replace {
            Some(r) => {
                for a in inner.argv.iter_mut().skip(1) {
                    if a.text().contains(r.as_str()) {
                        *a = input.clone();
                    }
                }
            }
            None => inner.argv.push(input),
        }
        inner.redirects.clear();
        inner.stdin = Stdin::Inherit;
        inner.via.push("xargs".into());
        cmd.wrapper = true;
        self.push(cmd);
        self.run(inner, sc);
    }

    fn find(&mut self, cmd: SimpleCommand, sc: &mut Scope) {
        let (found, mut i) = find_results(&cmd.argv);
        let mut execs = Vec::new();
        while i < cmd.argv.len() {
            let t = cmd.argv[i].text();
            if matches!(t, "-exec" | "-execdir" | "-ok" | "-okdir") {
                let start = i + 1;
                let mut end = start;
                while end < cmd.argv.len() && !matches!(cmd.argv[end].text(), ";" | "+") {
                    end += 1;
                }
                let argv: Vec<Arg> = cmd.argv[start..end.min(cmd.argv.len())]
                    .iter()
                    .map(|a| {
                        if a.text().contains("{}") {
                            found.clone()
                        } else {
                            a.clone()
                        }
                    })
                    .collect();
                if !argv.is_empty() {
                    execs.push((t.to_string(), argv));
                }
                i = end + 1;
                continue;
            }
            i += 1;
        }
        let mut cmd = cmd;
        cmd.wrapper = !execs.is_empty();
        let base = cmd.clone();
        self.push(cmd);
        for (how, argv) in execs {
            let mut inner = base.clone();
            inner.argv = argv;
            inner.redirects.clear();
            inner.wrapper = false;
            inner.via.push(format!("find {how}"));
            self.run(inner, sc);
        }
    }

    fn awk(&mut self, cmd: &SimpleCommand, sc: &mut Scope) {
        let with_value = ["-F", "-v", "-f", "--field-separator", "--assign", "--file"];
        if cmd
            .argv
            .iter()
            .any(|a| a.text() == "-f" || a.text() == "--file")
        {
            return; // program in a file: the effects pass reads it
        }
        let i = skip_options(&cmd.argv, 1, &with_value);
        let Some(prog) = cmd.argv.get(i) else { return };
        if prog.dynamic {
            self.dynamic(DynamicKind::Eval, "awk program built at run time");
            return;
        }
        for (code, literal) in awk_commands(prog.text()) {
            if literal {
                self.nested(&code, sc, "awk system()");
            } else {
                self.dynamic(
                    DynamicKind::Eval,
                    format!("awk runs a command built at run time: {code}"),
                );
            }
        }
    }
}

/// What `find ARGV` finds: a `tree` word for its roots, narrowed by `-name`
/// tests, and the index where its expression starts.
fn find_results(argv: &[Arg]) -> (Arg, usize) {
    let mut roots = Vec::new();
    let mut i = 1;
    while i < argv.len() {
        let t = argv[i].text();
        if matches!(t, "-H" | "-L" | "-P") || t.starts_with("-O") || t.starts_with("-D") {
            i += 1;
            continue;
        }
        if t.starts_with('-') || t == "(" || t == "!" {
            break;
        }
        roots.extend(argv[i].values.iter().cloned());
        i += 1;
    }
    if roots.is_empty() {
        roots.push(".".into());
    }
    // -name/-iname tests narrow which files are found (unless negated or or-ed away).
    let mut names = Vec::new();
    let mut narrowing = true;
    for (k, a) in argv.iter().enumerate().skip(i) {
        match a.text() {
            "-name" => {
                if let Some(p) = argv.get(k + 1) {
                    names.push(p.text().to_string());
                }
            }
            // `-iname '.ENV'` finds `.env`: each letter matches either case.
            "-iname" => {
                if let Some(p) = argv.get(k + 1) {
                    names.push(either_case(p.text()));
                }
            }
            "-o" | "-or" | "!" | "-not" => narrowing = false,
            _ => {}
        }
    }
    if !narrowing {
        names.clear();
    }
    (
        Arg {
            values: roots,
            dynamic: true,
            tree: true,
            name_filter: names,
            ..Default::default()
        },
        i,
    )
}

/// A glob matching what `pattern` matches in any letter case (`*.KEY` is
/// `*.[kK][eE][yY]`); letters inside a bracket expression are left alone.
fn either_case(pattern: &str) -> String {
    let mut out = String::new();
    let mut in_class = false;
    for c in pattern.chars() {
        match c {
            '[' => in_class = true,
            ']' => in_class = false,
            _ => {}
        }
        if c.is_alphabetic() && !in_class {
            out.push('[');
            out.extend(c.to_lowercase());
            out.extend(c.to_uppercase());
            out.push(']');
        } else {
            out.push(c);
        }
    }
    out
}

/// What `xargs` receives: the words of a here-string or heredoc; the literal
/// words of an `echo`/`printf` right before it in the pipeline; else what a `find` earlier in the
/// pipeline finds; else a guess — anything under the working directory —
/// marked as such, so that what it would reach is asked about, not denied.
fn xargs_input(piped: &[SimpleCommand], stdin: &Stdin) -> Arg {
    // `xargs cat <<< .env`, a heredoc: the words are right there
    if let Stdin::Literal(Some(text)) = stdin {
        let words: Vec<String> = text.split_whitespace().map(str::to_string).collect();
        if !words.is_empty() {
            return Arg {
                values: words,
                raw: "<xargs input>".into(),
                ..Default::default()
            };
        }
    }
    if let Some(last) = piped.last()
        && matches!(last.name(), "echo" | "printf")
        && last.argv.iter().skip(1).all(|a| !a.dynamic)
    {
        let text = if last.name() == "printf" {
            let fmt = last.argv.get(1).map(Arg::text).unwrap_or_default();
            let args: Vec<&str> = last.argv.iter().skip(2).map(Arg::text).collect();
            printf_output(fmt, &args)
        } else {
            let words = last
                .argv
                .iter()
                .skip(1)
                .filter(|a| !a.text().starts_with('-'))
                .map(Arg::text)
                .collect::<Vec<_>>()
                .join(" ");
            // `echo -e '.\x65nv'`: escapes as printf reads them.
            let escapes = last
                .argv
                .iter()
                .skip(1)
                .any(|a| a.text().starts_with('-') && a.text().contains('e'));
            if escapes {
                printf_output(&words.replace('%', "%%"), &[])
            } else {
                Some(words)
            }
        };
        let words: Vec<String> = text
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect();
        if !words.is_empty() {
            return Arg {
                values: words,
                raw: "<xargs input>".into(),
                ..Default::default()
            };
        }
    }
    if let Some(find) = piped.iter().find(|c| c.name() == "find") {
        return find_results(&find.argv).0;
    }
    Arg {
        values: vec![".".into()],
        dynamic: true,
        tree: true,
        guessed: true,
        raw: "<xargs input>".into(),
        ..Default::default()
    }
}

/// What `printf FORMAT ARGS…` prints, for the conversions that copy their
/// argument (`%s`, `%b`, `%d`, `%i`, `%c`, `%%`) and the common escapes; the
/// format is reused while arguments remain, as printf does. None for any
/// other conversion (`%q`, widths), whose output is not worked out here.
pub fn printf_output(fmt: &str, args: &[&str]) -> Option<String> {
    let mut out = String::new();
    let mut next = 0;
    loop {
        let mut used = false;
        let mut chars = fmt.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('\\') => out.push('\\'),
                    // `\056` (octal), `\x2e` (hex): `printf '\056env'` is `.env`.
                    Some(d @ '0'..='7') => {
                        let mut v = d.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            match chars.peek().and_then(|c| c.to_digit(8)) {
                                Some(x) => {
                                    v = v * 8 + x;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        out.push(char::from_u32(v).unwrap_or('?'));
                    }
                    Some('x') => {
                        let mut v = 0;
                        let mut n = 0;
                        while n < 2 {
                            match chars.peek().and_then(|c| c.to_digit(16)) {
                                Some(x) => {
                                    v = v * 16 + x;
                                    chars.next();
                                    n += 1;
                                }
                                None => break,
                            }
                        }
                        if n == 0 {
                            out.push_str("\\x");
                        } else {
                            out.push(char::from_u32(v).unwrap_or('?'));
                        }
                    }
                    Some(o) => {
                        out.push('\\');
                        out.push(o);
                    }
                    None => out.push('\\'),
                },
                '%' => match chars.next() {
                    Some('%') => out.push('%'),
                    Some('s' | 'b' | 'd' | 'i') => {
                        out.push_str(args.get(next).copied().unwrap_or_default());
                        next += 1;
                        used = true;
                    }
                    Some('c') => {
                        if let Some(c) = args.get(next).and_then(|a| a.chars().next()) {
                            out.push(c);
                        }
                        next += 1;
                        used = true;
                    }
                    _ => return None,
                },
                c => out.push(c),
            }
        }
        if !used || next >= args.len() {
            return Some(out);
        }
    }
}

/// Join words back into one script string (for `eval a b`, `watch cmd args`).
fn join_args(args: &[Arg]) -> Arg {
    let mut out = Arg::lit(args.iter().map(|a| a.text()).collect::<Vec<_>>().join(" "));
    out.dynamic = args.iter().any(|a| a.dynamic);
    out
}

fn sudo_chdir(argv: &[Arg]) -> Option<String> {
    let i = argv
        .iter()
        .position(|a| matches!(a.text(), "-D" | "--chdir"))?;
    argv.get(i + 1).map(|a| a.text().to_string())
}

/// Does a sed invocation use the `e` command or the `s///e` flag (GNU sed runs a shell)?
fn sed_executes(cmd: &SimpleCommand) -> bool {
    let mut scripts = Vec::new();
    let mut i = 1;
    let mut explicit = false;
    while i < cmd.argv.len() {
        let t = cmd.argv[i].text();
        if t == "-e" || t == "--expression" {
            if let Some(s) = cmd.argv.get(i + 1) {
                scripts.push(s.text().to_string());
            }
            explicit = true;
            i += 2;
            continue;
        }
        if let Some(s) = t.strip_prefix("--expression=") {
            scripts.push(s.to_string());
            explicit = true;
        } else if !t.starts_with('-') && !explicit && scripts.is_empty() {
            scripts.push(t.to_string());
        }
        i += 1;
    }
    crate::sed::effects(&scripts).executes
}

/// Commands an awk program runs: `system("…")`, `"…" | getline`, `print | "…"`.
/// Returns (text, is_literal).
fn awk_commands(prog: &str) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let b = prog.as_bytes();
    let mut idx = 0;
    while let Some(pos) = prog[idx..].find("system") {
        let at = idx + pos + "system".len();
        let rest = prog[at..].trim_start();
        if let Some(rest) = rest.strip_prefix('(') {
            let rest = rest.trim_start();
            match read_awk_string(rest) {
                Some((s, after)) if after.trim_start().starts_with(')') => out.push((s, true)),
                _ => out.push((rest.chars().take(40).collect(), false)),
            }
        }
        idx = at;
    }
    // pipes to and from commands
    for (i, &c) in b.iter().enumerate() {
        if c != b'|' {
            continue;
        }
        if b.get(i + 1) == Some(&b'|') || (i > 0 && b[i - 1] == b'|') {
            continue;
        }
        let after = prog[i + 1..].trim_start_matches('&').trim_start();
        if after.starts_with("getline") {
            // `"cmd" | getline`: the string before the pipe
            let before = prog[..i].trim_end();
            if let Some(end) = before.strip_suffix('"') {
                if let Some(start) = end.rfind('"') {
                    out.push((end[start + 1..].to_string(), true));
                } else {
                    out.push((before.to_string(), false));
                }
            } else {
                out.push((
                    before
                        .chars()
                        .rev()
                        .take(40)
                        .collect::<String>()
                        .chars()
                        .rev()
                        .collect(),
                    false,
                ));
            }
        } else if let Some((s, _)) = read_awk_string(after) {
            out.push((s, true));
        } else if !after.is_empty() {
            out.push((after.chars().take(40).collect(), false));
        }
    }
    out
}

fn read_awk_string(s: &str) -> Option<(String, &str)> {
    let rest = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, n)) = chars.next() {
                    out.push(match n {
                        'n' => '\n',
                        't' => '\t',
                        other => other,
                    });
                }
            }
            '"' => return Some((out, &rest[i + 1..])),
            _ => out.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::printf_output;

    #[test]
    fn printf_fills_its_format_as_printf_does() {
        assert_eq!(printf_output(".e%s", &["nv"]).as_deref(), Some(".env"));
        assert_eq!(
            printf_output("%s\\n", &["a", "b"]).as_deref(),
            Some("a\nb\n")
        );
        assert_eq!(
            printf_output("certs/server.%s", &["key"]).as_deref(),
            Some("certs/server.key")
        );
        assert_eq!(printf_output("100%%", &[]).as_deref(), Some("100%"));
        assert_eq!(printf_output("%c%s", &["xyz", "y"]).as_deref(), Some("xy"));
        assert_eq!(printf_output("%q", &["a"]), None);
        assert_eq!(printf_output("\\056env", &[]).as_deref(), Some(".env"));
        assert_eq!(printf_output(".\\x65nv", &[]).as_deref(), Some(".env"));
        assert_eq!(printf_output("\\x", &[]).as_deref(), Some("\\x"));
        assert_eq!(printf_output("%5s", &["a"]), None);
    }

    #[test]
    fn either_case_matches_every_spelling() {
        let g = super::either_case("*.KEY");
        assert_eq!(g, "*.[kK][eE][yY]");
        assert_eq!(super::either_case("[ab]x"), "[ab][xX]");
    }
}
