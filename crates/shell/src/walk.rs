//! Walk brush-parser's AST and list every simple command a line could run.

use std::collections::HashSet;
use std::io::BufReader;

use brush_parser::ast::{
    self, AndOr, Command, CommandPrefixOrSuffixItem, CompoundCommand, CompoundList,
    IoFileRedirectKind, IoFileRedirectTarget, IoRedirect, Pipeline,
};
use brush_parser::{Parser, ParserOptions};

use crate::model::{
    Analysis, Arg, Cwd, Dynamic, DynamicKind, Redirect, RedirectMode, SimpleCommand, Stdin,
};
use crate::word::Expander;
use crate::{MAX_DEPTH, ShellEnv};

/// What a scope knows: variables, the directory `cd` moved to, how we got here.
#[derive(Clone)]
pub(crate) struct Scope {
    pub exp: Expander,
    pub cwd: Cwd,
    pub via: Vec<String>,
    pub depth: usize,
}

/// The pieces of a simple command as they are collected.
#[derive(Default)]
struct Parts {
    assignments: Vec<(String, Arg)>,
    redirects: Vec<Redirect>,
    argv: Vec<Arg>,
    stdin: Stdin,
}

pub(crate) struct Walker {
    pub out: Analysis,
    pub functions: HashSet<String>,
    /// The commands of the earlier elements of the current pipeline (what `xargs` may receive).
    pub piped: Vec<SimpleCommand>,
    /// Functions whose bodies are being walked (a call to one of them recurses).
    pub defining: Vec<String>,
}

pub(crate) fn analyze(line: &str, env: &ShellEnv) -> Analysis {
    let mut w = Walker {
        out: Analysis::default(),
        functions: HashSet::new(),
        piped: Vec::new(),
        defining: Vec::new(),
    };
    let mut scope = Scope {
        exp: Expander::new(env.home.clone()),
        cwd: Cwd::Start,
        via: Vec::new(),
        depth: 0,
    };
    w.script(line, &mut scope);
    w.out
}

impl Walker {
    pub(crate) fn dynamic(&mut self, kind: DynamicKind, detail: impl Into<String>) {
        let detail = detail.into();
        if !self
            .out
            .dynamic
            .iter()
            .any(|d| d.kind == kind && d.detail == detail)
        {
            self.out.dynamic.push(Dynamic { kind, detail });
        }
    }

    /// Parse and walk a script (the line itself, a `bash -c` string, a heredoc into a shell).
    pub(crate) fn script(&mut self, src: &str, sc: &mut Scope) {
        if sc.depth > MAX_DEPTH {
            self.dynamic(DynamicKind::Unsupported, "nested too deeply to follow");
            return;
        }
        let opts = ParserOptions::default();
        let mut parser = Parser::new(BufReader::new(src.as_bytes()), &opts);
        match parser.parse_program() {
            Ok(program) => {
                for cc in &program.complete_commands {
                    self.list(cc, sc);
                }
            }
            Err(e) => {
                if self.out.error.is_none() {
                    let what = if sc.depth == 0 {
                        "command line".to_string()
                    } else {
                        format!("nested script {src:?}")
                    };
                    self.out.error = Some(format!("cannot parse {what}: {e}"));
                }
            }
        }
    }

    /// Walk a nested script in a child scope (`$(…)`, `bash -c`).
    pub(crate) fn nested(&mut self, src: &str, sc: &Scope, via: &str) {
        let mut child = sc.clone();
        child.depth += 1;
        child.via.push(via.to_string());
        self.script(src, &mut child);
    }

    fn list(&mut self, list: &CompoundList, sc: &mut Scope) {
        for item in &list.0 {
            let ao = &item.0;
            self.pipeline(&ao.first, sc);
            for next in &ao.additional {
                match next {
                    AndOr::And(p) | AndOr::Or(p) => self.pipeline(p, sc),
                }
            }
        }
    }

    fn pipeline(&mut self, p: &Pipeline, sc: &mut Scope) {
        // A pipeline nested in this one (inside a `$(…)`) must not lose the outer record.
        let outer = std::mem::take(&mut self.piped);
        if p.seq.len() == 1 {
            self.command(&p.seq[0], sc, Stdin::Inherit);
            self.piped = outer;
            return;
        }
        // Each element of a multi-command pipeline runs in its own subshell.
        let mut producer: Option<String> = None;
        let mut earlier: Vec<SimpleCommand> = Vec::new();
        for cmd in &p.seq {
            let mut child = sc.clone();
            let stdin = match &producer {
                Some(p) => Stdin::Pipe {
                    producer: p.clone(),
                },
                None => Stdin::Inherit,
            };
            self.piped = earlier.clone();
            let start = self.out.commands.len();
            self.command(cmd, &mut child, stdin);
            let emitted = &self.out.commands[start..];
            producer = Some(
                emitted
                    .iter()
                    .map(SimpleCommand::display)
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            earlier.extend(emitted.iter().cloned());
        }
        self.piped = outer;
    }

    fn command(&mut self, cmd: &Command, sc: &mut Scope, stdin: Stdin) {
        match cmd {
            Command::Simple(s) => self.simple(s, sc, stdin),
            Command::Compound(c, redirects) => {
                let start = self.out.commands.len();
                let mut reds = Vec::new();
                let mut stdin = stdin;
                if let Some(list) = redirects {
                    for r in &list.0 {
                        self.redirect(r, sc, &mut reds, &mut stdin);
                    }
                }
                self.compound(c, sc, stdin);
                // `{ cat; } < .env` — the group's redirections apply to everything inside.
                for c in &mut self.out.commands[start..] {
                    c.redirects.extend(reds.iter().cloned());
                }
            }
            Command::Function(f) => {
                let name = f.fname.value.clone();
                self.functions.insert(name.clone());
                self.defining.push(name.clone());
                let mut child = sc.clone();
                child.via.push(format!("function {name}"));
                self.compound(&f.body.0, &mut child, Stdin::Inherit);
                self.defining.pop();
            }
            Command::ExtendedTest(t, _) => {
                let mut words = Vec::new();
                extended_test_words(&t.expr, &mut words);
                for w in words {
                    sc.exp.expand(&w);
                }
                self.substitutions(sc);
            }
        }
    }

    fn compound(&mut self, c: &CompoundCommand, sc: &mut Scope, stdin: Stdin) {
        match c {
            CompoundCommand::BraceGroup(g) => self.list_with_stdin(&g.list, sc, stdin),
            CompoundCommand::Subshell(s) => {
                let mut child = sc.clone();
                self.list_with_stdin(&s.list, &mut child, stdin);
            }
            CompoundCommand::ForClause(f) => {
                let mut values = Vec::new();
                let mut dynamic = f.values.is_none();
                for w in f.values.iter().flatten() {
                    for a in sc.exp.expand(&w.value) {
                        dynamic |= a.dynamic || a.glob;
                        values.extend(a.values);
                    }
                }
                self.substitutions(sc);
                if dynamic || values.is_empty() {
                    sc.exp.vars.remove(&f.variable_name);
                    sc.exp.dynamic_vars.push(f.variable_name.clone());
                } else {
                    sc.exp.vars.insert(f.variable_name.clone(), values);
                }
                self.list(&f.body.list, sc);
            }
            CompoundCommand::ArithmeticForClause(f) => {
                for e in [&f.initializer, &f.condition, &f.updater]
                    .into_iter()
                    .flatten()
                {
                    sc.exp.arithmetic(&e.value);
                }
                self.substitutions(sc);
                self.list(&f.body.list, sc);
            }
            CompoundCommand::Arithmetic(a) => {
                sc.exp.arithmetic(&a.expr.value);
                self.substitutions(sc);
            }
            CompoundCommand::CaseClause(c) => {
                sc.exp.expand(&c.value.value);
                self.substitutions(sc);
                for item in &c.cases {
                    // Patterns are expanded too: `case x in $(id)) …`.
                    for p in &item.patterns {
                        sc.exp.expand(&p.value);
                    }
                    self.substitutions(sc);
                    if let Some(list) = &item.cmd {
                        self.list(list, sc);
                    }
                }
            }
            CompoundCommand::IfClause(i) => {
                self.list(&i.condition, sc);
                self.list(&i.then, sc);
                for e in i.elses.iter().flatten() {
                    if let Some(cond) = &e.condition {
                        self.list(cond, sc);
                    }
                    self.list(&e.body, sc);
                }
            }
            CompoundCommand::WhileClause(w) | CompoundCommand::UntilClause(w) => {
                self.list(&w.0, sc);
                self.list(&w.1.list, sc);
            }
            CompoundCommand::Coprocess(c) => {
                let mut child = sc.clone();
                self.command(&c.body, &mut child, Stdin::Inherit);
            }
        }
    }

    /// Walk a list whose first command receives `stdin` (a group or subshell in a pipeline).
    fn list_with_stdin(&mut self, list: &CompoundList, sc: &mut Scope, stdin: Stdin) {
        let start = self.out.commands.len();
        self.list(list, sc);
        if stdin != Stdin::Inherit {
            // Any command in the group may read the piped data.
            for c in &mut self.out.commands[start..] {
                if c.stdin == Stdin::Inherit {
                    c.stdin = stdin.clone();
                }
            }
        }
    }

    /// Analyze the command substitutions collected while expanding words.
    pub(crate) fn substitutions(&mut self, sc: &mut Scope) {
        let subs = std::mem::take(&mut sc.exp.substitutions);
        for body in subs {
            self.nested(&body, sc, "$(…)");
        }
        for e in std::mem::take(&mut sc.exp.evals) {
            self.dynamic(DynamicKind::Eval, e);
        }
        // Variables expanded outside a simple command (`[[ $TOKEN == a* ]]`,
        // `case $TOKEN in`, `for x in $TOKEN`) are read all the same.
        let used = std::mem::take(&mut sc.exp.used);
        if !used.is_empty() {
            self.push(SimpleCommand {
                cwd: sc.cwd.clone(),
                via: sc.via.clone(),
                vars: used,
                ..Default::default()
            });
        }
        if let Some(e) = sc.exp.error.take() {
            self.out.error.get_or_insert(e);
        }
    }

    fn redirect(
        &mut self,
        r: &IoRedirect,
        sc: &mut Scope,
        out: &mut Vec<Redirect>,
        stdin: &mut Stdin,
    ) {
        match r {
            IoRedirect::File(fd, kind, target) => {
                let fd = fd.map(|f| f as u32);
                let mode = match kind {
                    IoFileRedirectKind::Read => RedirectMode::Read,
                    IoFileRedirectKind::Write | IoFileRedirectKind::Clobber => RedirectMode::Write,
                    IoFileRedirectKind::Append => RedirectMode::Append,
                    IoFileRedirectKind::ReadAndWrite => RedirectMode::ReadWrite,
                    IoFileRedirectKind::DuplicateInput => RedirectMode::Read,
                    IoFileRedirectKind::DuplicateOutput => RedirectMode::Write,
                };
                match target {
                    IoFileRedirectTarget::Filename(w) => {
                        let target = sc.exp.expand_one(&w.value);
                        if mode == RedirectMode::Read && fd.unwrap_or(0) == 0 {
                            *stdin = Stdin::File;
                        }
                        out.push(Redirect { fd, mode, target });
                    }
                    IoFileRedirectTarget::Duplicate(w) => {
                        // `2>&1`, `>&-` duplicate descriptors; `>& file` writes a file.
                        let t = w.value.trim_end_matches('-');
                        if !t.is_empty() && !t.chars().all(|c| c.is_ascii_digit()) {
                            let target = sc.exp.expand_one(&w.value);
                            out.push(Redirect { fd, mode, target });
                        }
                    }
                    IoFileRedirectTarget::Fd(_) => {}
                    IoFileRedirectTarget::ProcessSubstitution(_, sub) => {
                        let mut child = sc.clone();
                        child.via.push("<(…)".into());
                        self.list(&sub.list, &mut child);
                    }
                }
            }
            IoRedirect::HereDocument(_, doc) => {
                let body = if doc.requires_expansion {
                    let a = sc.exp.expand_heredoc(&doc.doc.value);
                    (!a.dynamic).then(|| a.text().to_string())
                } else {
                    Some(doc.doc.value.clone())
                };
                *stdin = Stdin::Literal(body);
            }
            IoRedirect::HereString(_, w) => {
                let a = sc.exp.expand_one(&w.value);
                *stdin = Stdin::Literal((!a.dynamic).then(|| a.text().to_string()));
            }
            IoRedirect::OutputAndError(w, append) => {
                let target = sc.exp.expand_one(&w.value);
                let mode = if *append {
                    RedirectMode::Append
                } else {
                    RedirectMode::Write
                };
                out.push(Redirect {
                    fd: None,
                    mode,
                    target,
                });
            }
        }
    }

    fn simple(&mut self, s: &ast::SimpleCommand, sc: &mut Scope, stdin: Stdin) {
        let mut parts = Parts {
            stdin,
            ..Parts::default()
        };
        sc.exp.used.clear();
        for item in s.prefix.iter().flat_map(|p| p.0.iter()) {
            self.item(item, sc, &mut parts, true);
        }
        if let Some(w) = &s.word_or_name {
            parts.argv.extend(sc.exp.expand(&w.value));
        }
        for item in s.suffix.iter().flat_map(|p| p.0.iter()) {
            self.item(item, sc, &mut parts, false);
        }
        let vars = std::mem::take(&mut sc.exp.used);
        self.substitutions(sc);
        let Parts {
            assignments,
            redirects,
            argv,
            stdin,
        } = parts;

        if argv.is_empty() {
            // `V=x` sets a shell variable; `> file` alone truncates a file.
            for (name, value) in &assignments {
                set_var(sc, name, value);
            }
            // `PATH=/tmp:$PATH; ls` changes what later commands run: listed for the effects pass.
            let reaches = assignments.iter().any(|(n, _)| crate::vars::exported(n));
            if !redirects.is_empty() || !vars.is_empty() || reaches {
                self.push(SimpleCommand {
                    assignments,
                    redirects,
                    cwd: sc.cwd.clone(),
                    via: sc.via.clone(),
                    vars,
                    stdin,
                    ..Default::default()
                });
            }
            return;
        }
        let cmd = SimpleCommand {
            argv,
            assignments,
            redirects,
            cwd: sc.cwd.clone(),
            via: sc.via.clone(),
            stdin,
            vars,
            ..Default::default()
        };
        self.run(cmd, sc);
    }

    /// One prefix or suffix item of a simple command.
    fn item(
        &mut self,
        item: &CommandPrefixOrSuffixItem,
        sc: &mut Scope,
        parts: &mut Parts,
        prefix: bool,
    ) {
        match item {
            CommandPrefixOrSuffixItem::IoRedirect(r) => {
                self.redirect(r, sc, &mut parts.redirects, &mut parts.stdin)
            }
            CommandPrefixOrSuffixItem::Word(w) => parts.argv.extend(sc.exp.expand(&w.value)),
            CommandPrefixOrSuffixItem::AssignmentWord(a, _) => {
                let name = match &a.name {
                    ast::AssignmentName::VariableName(n) => n.clone(),
                    ast::AssignmentName::ArrayElementName(n, index) => {
                        // `a[$(cmd)]=1`: the subscript is expanded (arithmetic or a word).
                        sc.exp.arithmetic(index);
                        sc.exp.expand(index);
                        n.clone()
                    }
                };
                let value = match &a.value {
                    ast::AssignmentValue::Scalar(v) => sc.exp.expand_one(&v.value),
                    ast::AssignmentValue::Array(items) => {
                        let mut arg = Arg::lit("");
                        for (key, v) in items {
                            if let Some(k) = key {
                                // `a=([$(cmd)]=1)`: keys are expanded too.
                                sc.exp.arithmetic(&k.value);
                                sc.exp.expand(&k.value);
                            }
                            let x = sc.exp.expand_one(&v.value);
                            arg.dynamic |= x.dynamic;
                            if let Some(first) = arg.values.first_mut() {
                                if !first.is_empty() {
                                    first.push(' ');
                                }
                                first.push_str(x.text());
                            }
                        }
                        arg
                    }
                };
                self.value_runs(&name, &value, sc);
                if prefix {
                    parts.assignments.push((name, value));
                } else {
                    // `export X=1`, `declare X=1`: an argument that also assigns.
                    set_var(sc, &name, &value);
                    let mut word = value.clone();
                    word.values = word.values.iter().map(|v| format!("{name}={v}")).collect();
                    parts.argv.push(word);
                }
            }
            CommandPrefixOrSuffixItem::ProcessSubstitution(_, sub) => {
                let mut child = sc.clone();
                child.via.push("<(…)".into());
                self.list(&sub.list, &mut child);
                parts.argv.push(Arg {
                    values: vec!["/dev/fd/63".into()],
                    dynamic: true,
                    ..Default::default()
                });
            }
        }
    }

    /// `PS4='$(…)'`, `PROMPT_COMMAND=…`: a value the shell will run as code is analyzed as code.
    pub(crate) fn value_runs(&mut self, name: &str, value: &Arg, sc: &Scope) {
        if crate::vars::runs_value(name) != Some(crate::vars::ValueUse::Code) {
            return;
        }
        if value.dynamic {
            self.dynamic(
                DynamicKind::Eval,
                format!("`{name}` is set to code computed at run time"),
            );
        } else {
            for v in &value.values {
                self.nested(v, sc, name);
            }
        }
    }

    /// Record a command, after the scope-changing builtins update the scope.
    pub(crate) fn push(&mut self, cmd: SimpleCommand) {
        self.out.commands.push(cmd);
    }

    /// Apply what a command does to the rest of the line (`cd`, `read`, `unset`).
    pub(crate) fn scope_effects(&mut self, cmd: &SimpleCommand, sc: &mut Scope) {
        let args = &cmd.argv[1..];
        match cmd.name() {
            "cd" | "pushd" => {
                let target = args
                    .iter()
                    .find(|a| !a.text().starts_with('-') || a.text() == "-");
                sc.cwd = match target {
                    None => match &sc.exp.home {
                        Some(h) => Cwd::Dir(h.clone()),
                        None => Cwd::Unknown,
                    },
                    Some(a) if a.is_literal() && a.text() != "-" && !a.glob => {
                        join_cwd(&sc.cwd, a.text())
                    }
                    Some(_) => Cwd::Unknown,
                };
            }
            "popd" => sc.cwd = Cwd::Unknown,
            "read" | "mapfile" | "readarray" | "getopts" | "printf" => {
                let mut take = false;
                for a in args {
                    let t = a.text();
                    if cmd.name() == "printf" {
                        if take {
                            sc.exp.vars.remove(t);
                            sc.exp.dynamic_vars.push(t.to_string());
                        }
                        take = t == "-v";
                        continue;
                    }
                    if !t.starts_with('-') {
                        sc.exp.vars.remove(t);
                        sc.exp.dynamic_vars.push(t.to_string());
                    }
                }
            }
            "unset" => {
                for a in args {
                    sc.exp.vars.remove(a.text());
                }
            }
            _ => {}
        }
    }
}

fn set_var(sc: &mut Scope, name: &str, value: &Arg) {
    if value.dynamic {
        sc.exp.vars.remove(name);
        sc.exp.dynamic_vars.push(name.to_string());
    } else {
        sc.exp.dynamic_vars.retain(|v| v != name);
        sc.exp.vars.insert(name.to_string(), value.values.clone());
    }
}

fn join_cwd(cur: &Cwd, target: &str) -> Cwd {
    if target.starts_with('/') {
        return Cwd::Dir(target.to_string());
    }
    match cur {
        Cwd::Start => Cwd::Dir(target.to_string()),
        Cwd::Dir(d) => Cwd::Dir(format!("{}/{}", d.trim_end_matches('/'), target)),
        Cwd::Unknown => Cwd::Unknown,
    }
}

fn extended_test_words(e: &ast::ExtendedTestExpr, out: &mut Vec<String>) {
    use ast::ExtendedTestExpr as E;
    match e {
        E::And(a, b) | E::Or(a, b) => {
            extended_test_words(a, out);
            extended_test_words(b, out);
        }
        E::Not(a) | E::Parenthesized(a) => extended_test_words(a, out),
        E::UnaryTest(_, w) => out.push(w.value.clone()),
        E::BinaryTest(_, a, b) => {
            out.push(a.value.clone());
            out.push(b.value.clone());
        }
    }
}
