//! The decision: every check of an action, asked of every active layer.

use std::path::{Path, PathBuf};

use ztguard_paths::{
    Anchors, IndexError, KeyMatcher, Walk, display, expand_glob, real_path, repository, resolve,
    scan_tree, scan_tree_with, tracked_files_where, wildmatch,
};
use ztguard_shell::{
    Cwd, Effects, FileRef, GitContent, ShellEnv, SimpleCommand, analyze, config_file_matches,
    effects,
    urls::{Fetch, fetch_target},
};

use crate::action::{Action, Request};
use crate::decision::{Check, Decision, Step, Verdict};
use crate::fixtures::Fixtures;
use crate::layer::{Access, Layer, Role};
use crate::load::Policy;

/// Names looked up under a directory that receives a tree: the guard's files,
/// hooks and settings, and the configuration the host's tools run.
const TREE_WRITE_PROBES: &[&str] = &[
    "settings.json",
    "settings.local.json",
    "pre-commit",
    "config",
    "audit.jsonl",
    "hooks/pre-commit",
    ".claude/settings.json",
    ".claude/settings.local.json",
    ".git/hooks/pre-commit",
    ".git/config",
    ".ztguard.toml",
    ".ztguard/audit.jsonl",
    ".mcp.json",
    ".husky/pre-commit",
    ".vscode/tasks.json",
    ".envrc",
    ".cargo/config.toml",
    ".npmrc",
    ".github/workflows/ci.yml",
    ".bashrc",
    ".profile",
];

/// Most entries looked at inside a directory read as a whole, before asking instead.
const TREE_LIMIT: usize = 20_000;
/// Most denied files listed for one recursive read.
const TREE_HITS_SHOWN: usize = 3;

/// How a directory is read as a whole.
struct Tree<'x> {
    /// Hidden files are read too (`rg` skips them unless `--hidden`).
    hidden: bool,
    /// Symlinks inside the tree are followed (`grep -R`, `rg -L`).
    follow: bool,
    /// Basename globs the read skips.
    excludes: &'x [String],
    /// File contents are read (the Grep tool listing names only does not).
    content: bool,
    /// The tree is a guess at a run-time input: what it reaches is asked about.
    guessed: bool,
    /// What git ignores is skipped (`rg`, `fd`).
    gitignore: bool,
}

impl Default for Tree<'_> {
    fn default() -> Self {
        Tree {
            hidden: true,
            follow: false,
            excludes: &[],
            content: true,
            guessed: false,
            gitignore: false,
        }
    }
}

struct Eval<'a> {
    layers: Vec<&'a Layer>,
    req: &'a Request,
    /// Public test fixtures a human approved for reading.
    fixtures: &'a Fixtures,
    /// The user policy's directory, never writable (see `Policy::user_dir`).
    user_dir: Option<&'a Path>,
    anchors: Anchors,
    steps: Vec<Step>,
    secret_vars: Vec<String>,
    /// None: the layers' prefixes disagree and no variable is visible.
    visible_prefix: Option<String>,
    /// The file the steps being added are about.
    current_path: Option<std::path::PathBuf>,
    /// Links made earlier in the line (`ln -s .claude c`): (link, what it points to).
    links: Vec<(PathBuf, PathBuf)>,
    /// What the command being checked copies or moves (`cp -r a b`,
    /// `mv a b`), with whether each is a directory. None when a source is
    /// not known here (a glob, a run-time path).
    tree_sources: Option<Vec<Source>>,
    /// Paths written earlier in the line (`mkdir x && … && mv x y`).
    made: Vec<PathBuf>,
    /// Files whose content was written earlier in the line (not only
    /// created, chmod-ed or touched): what a build tool or a script run
    /// later in the line would run as the line wrote it.
    written: Vec<PathBuf>,
    /// Directories that received files earlier in the line: a copy's
    /// destination with what lands there when it is known, an archive
    /// extracted or a tree copied from what is not known here.
    written_trees: Vec<Landing>,
}

/// A directory files landed in earlier in the line.
#[derive(Clone, Debug)]
struct Landing {
    dir: PathBuf,
    /// The files that landed, when known (a copy of existing files).
    files: Option<Vec<PathBuf>>,
}

/// The prefix of the variables the agent may see. Every layer that sets one
/// narrows: a variable is visible only when it starts with every layer's
/// prefix, so the result is the longest of them when each extends the ones
/// before, and None (no variable is visible) when two disagree or one is
/// empty. A later or
/// less trusted layer can lengthen the prefix, never shorten or replace it.
pub(crate) fn visible_prefix<'a>(layers: impl IntoIterator<Item = &'a Layer>) -> Option<String> {
    let mut out: Option<String> = None;
    for p in layers
        .into_iter()
        .filter_map(|l| l.visible_prefix.as_deref())
    {
        match &out {
            // An empty prefix makes no variable visible (as in the sandbox).
            _ if p.is_empty() => return None,
            None => out = Some(p.to_string()),
            Some(cur) if p.starts_with(cur.as_str()) => out = Some(p.to_string()),
            Some(cur) if cur.starts_with(p) => {}
            Some(_) => return None,
        }
    }
    Some(out.unwrap_or_else(|| DEFAULT_VISIBLE_PREFIX.into()))
}

/// The prefix when no layer sets one.
pub(crate) const DEFAULT_VISIBLE_PREFIX: &str = "AI_ACCESSIBLE_";

impl Policy {
    /// The prefix of the variables the agent may see, every layer (and the
    /// forced profile) narrowing it; None when the layers' prefixes
    /// disagree, so that no variable is visible.
    pub fn visible_prefix(&self) -> Option<String> {
        visible_prefix(self.active_layers(None).0)
    }

    /// The rule that keeps `path` from being read (`write`: changed) by
    /// the agent, if any layer has one: what the sandbox masks or binds
    /// read-only, so the kernel holds the same line as the hook.
    pub fn forbidding_rule(
        &self,
        path: &Path,
        write: bool,
        project: &Path,
        home: &Path,
    ) -> Option<String> {
        self.forbidding_rule_at(path, &real_path(path), write, project, home)
    }

    /// [`Policy::forbidding_rule`] where the caller knows the path's real
    /// path (a walk of a tree whose real path it resolved once).
    pub fn forbidding_rule_at(
        &self,
        path: &Path,
        real: &Path,
        write: bool,
        project: &Path,
        home: &Path,
    ) -> Option<String> {
        let anchors = Anchors {
            project: project.to_path_buf(),
            home: home.to_path_buf(),
        };
        let access = if write { Access::Write } else { Access::Read };
        // The forced profile (`--profile`) forbids what it denies, too.
        self.active_layers(None)
            .0
            .into_iter()
            .find_map(|l| l.forbids(access, path, real, &anchors))
    }

    /// The directory trees outside the project that the policy's
    /// `files.read` and `files.write` grant (their literal prefixes): what
    /// the sandbox opens beside its built-in trees, so the kernel follows
    /// the policy. (read, write); the caller drops grants too broad to
    /// enforce by tree.
    pub fn granted_trees(&self, project: &Path, home: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let anchors = Anchors {
            project: project.to_path_buf(),
            home: home.to_path_buf(),
        };
        // A project's or profile's grants can only narrow: the sandbox
        // opens what the trusted layers (and the built-in default) grant.
        let layers: Vec<&Layer> = self
            .layers
            .iter()
            .filter(|l| l.role != Role::Narrowing)
            .collect();
        let trees =
            |lists: &dyn Fn(&Layer) -> &Vec<crate::layer::Origin<ztguard_paths::PatternList>>| {
                let mut out: Vec<PathBuf> = Vec::new();
                for l in &layers {
                    for set in lists(l) {
                        for p in set.items.patterns() {
                            if let Some(t) = p.tree(&anchors)
                                && !out.contains(&t)
                            {
                                out.push(t);
                            }
                        }
                    }
                }
                out
            };
        (trees(&|l| &l.read), trees(&|l| &l.write))
    }

    /// Decide one tool call.
    pub fn evaluate(&self, req: &Request) -> Decision {
        let (layers, profile) = self.active_layers(req.agent_type.as_deref());
        let secret_vars = layers
            .iter()
            .flat_map(|l| l.secret_vars.iter().cloned())
            .collect();
        let visible_prefix = visible_prefix(layers.iter().copied());
        let mut ev = Eval {
            layers,
            req,
            fixtures: &self.fixtures,
            user_dir: self.user_dir.as_deref(),
            anchors: Anchors {
                project: req.project.clone(),
                home: req.home.clone(),
            },
            steps: Vec::new(),
            secret_vars,
            visible_prefix,
            current_path: None,
            links: Vec::new(),
            tree_sources: Some(Vec::new()),
            made: Vec::new(),
            written: Vec::new(),
            written_trees: Vec::new(),
        };
        if let Some(p) = profile {
            ev.steps.push(Step {
                check: Check::Profile,
                subject: format!("profile `{p}`"),
                verdict: Verdict::Allow,
                rule: format!("profile {p} is active"),
                path: None,
            });
        }
        ev.tool();
        match &req.action {
            Action::Exec { command } => ev.exec(command),
            Action::Read { path } => {
                let what = format!("{} reads", req.tool);
                ev.path(Check::Read, &what, path, false, Some(&req.cwd));
            }
            Action::Write {
                path,
                content,
                edits,
            } => {
                let what = format!("{} writes", req.tool);
                ev.path(Check::Write, &what, path, false, Some(&req.cwd));
                // Documentation runs nowhere, but for its code blocks (doc tests).
                let prose = is_prose(path);
                for t in content.iter().chain(edits.iter().map(|e| &e.new)) {
                    let t = if prose { fenced_code(t) } else { t.clone() };
                    if ev.names_credential(&what, &t, &[]) {
                        break;
                    }
                }
            }
            Action::List { path, pattern } => ev.list(path.as_deref(), pattern),
            Action::Search {
                path,
                glob,
                content,
            } => {
                let dir = path
                    .clone()
                    .unwrap_or_else(|| req.cwd.to_string_lossy().into_owned());
                // The glob narrows the search to the names its last component
                // matches (`**/.env` is `.env`); an exclusion (`!*.rs`) or
                // alternatives (`{a,b}`) narrow nothing here.
                let excludes: Vec<String> = glob
                    .iter()
                    .filter(|g| !g.starts_with('!') && !g.contains(['{', '}']))
                    .map(|g| format!("!({})", g.rsplit('/').next().unwrap_or(g)))
                    .collect();
                let what = format!("{} searches", req.tool);
                let r = resolve(&dir, &req.cwd, &req.home);
                ev.tree(
                    &what,
                    &r.lexical,
                    &r.real,
                    Tree {
                        excludes: &excludes,
                        content: *content,
                        ..Tree::default()
                    },
                );
            }
            Action::Fetch { url } => ev.fetch(url),
            Action::WebSearch { .. } | Action::Agent { .. } | Action::Other => {}
            Action::Unknown => {
                // Only a trusted layer can name a tool into use: a project's
                // or profile's rule can only narrow.
                let names = [req.tool.clone()];
                let named = ev
                    .layers
                    .iter()
                    .any(|l| l.role == Role::Base && l.tool(&names).is_some());
                if !named {
                    let subject = format!("tool {}", req.tool);
                    ev.step(Check::Tool, subject, Verdict::Deny, "built-in protections: a tool ztguard does not know is denied unless a tools rule names it");
                }
            }
        }
        Decision::from_steps(ev.steps, self.strict)
    }
}

impl Eval<'_> {
    fn step(
        &mut self,
        check: Check,
        subject: impl Into<String>,
        verdict: Verdict,
        rule: impl Into<String>,
    ) {
        self.steps.push(Step {
            check,
            subject: subject.into(),
            verdict,
            rule: rule.into(),
            path: self.current_path.clone(),
        });
    }

    /// Ask every layer: its rule, else its default. A narrowing layer's
    /// allow counts only where a base or ceiling layer allows too (it is
    /// recorded as an ask otherwise); a ceiling layer's allow only licenses.
    fn ask_layers(
        &mut self,
        check: Check,
        subject: &str,
        rule: &mut dyn FnMut(&Layer) -> Option<(Verdict, String)>,
        use_default: bool,
    ) {
        let mut opinions: Vec<(&Layer, Verdict, String)> = Vec::new();
        let mut edited = false;
        for i in 0..self.layers.len() {
            let layer = self.layers[i];
            let by_rule = rule(layer);
            edited |= layer.edits_default && by_rule.is_some();
            let opinion = by_rule.or_else(|| {
                if use_default {
                    layer.default.map(|d| {
                        (
                            d,
                            format!("{}: default = \"{d}\" (no rule matches)", layer.name),
                        )
                    })
                } else {
                    None
                }
            });
            if let Some((v, r)) = opinion {
                opinions.push((layer, v, r));
            }
        }
        // A rule of the managed or user policy replaces the built-in
        // default's opinion: those layers edit the default.
        let opinions: Vec<(Role, Verdict, String)> = opinions
            .into_iter()
            .filter(|(l, _, _)| !(edited && l.builtin_default))
            .map(|(l, v, r)| (l.role, v, r))
            .collect();
        let licensed = opinions
            .iter()
            .any(|(role, v, _)| *role != Role::Narrowing && *v == Verdict::Allow);
        for (role, v, r) in opinions {
            match (role, v) {
                (Role::Ceiling, Verdict::Allow) => {}
                (Role::Narrowing, Verdict::Allow) if !licensed => self.step(
                    check,
                    subject,
                    Verdict::Ask,
                    format!("{r}, but no trusted layer allows this and a project or profile can only narrow"),
                ),
                _ => self.step(check, subject, v, r),
            }
        }
    }

    fn shown(&self, p: &Path) -> String {
        display(p, &self.req.project, &self.req.home)
    }

    fn tool(&mut self) {
        let mut names = vec![self.req.tool.clone()];
        if self.req.tool == "Task" {
            names.push("Agent".into());
        }
        if let Action::Agent {
            subagent_type: Some(t),
        } = &self.req.action
        {
            names.push(format!("Agent({t})"));
        }
        let subject = format!("tool {}", self.req.tool);
        self.ask_layers(Check::Tool, &subject, &mut |l| l.tool(&names), true);
    }

    /// Check one path as written, relative to `base` (None: a `cd` to somewhere unknown).
    fn path(&mut self, check: Check, what: &str, text: &str, glob: bool, base: Option<&Path>) {
        let is_abs = text.starts_with('/')
            || text.starts_with('~')
            || text.starts_with("$HOME")
            || text.starts_with("${HOME}");
        let base = match base {
            Some(b) => b.to_path_buf(),
            None if is_abs => self.req.cwd.clone(),
            None => {
                self.step(
                    Check::UnknownOperand,
                    format!("{what} {text} relative to a directory chosen at run time"),
                    Verdict::Ask,
                    "built-in: paths after `cd` to a computed directory are unknown",
                );
                return;
            }
        };
        let r = self.resolved(text, &base);
        if glob {
            let g = expand_glob(&r.lexical);
            if g.truncated {
                self.step(
                    Check::UnknownOperand,
                    format!("{what} {text} (too many matches to check)"),
                    Verdict::Ask,
                    "built-in: glob expansion limit",
                );
            }
            for t in &g.trees {
                let real = real_path(t);
                if check == Check::Read {
                    self.tree(what, t, &real, Tree::default());
                } else {
                    self.file(check, what, t, &real);
                }
            }
            for p in &g.paths {
                let real = real_path(p);
                self.file(check, what, p, &real);
            }
            return;
        }
        self.file(check, what, &r.lexical, &r.real);
    }

    /// One resolved path, asked of every layer.
    fn file(&mut self, check: Check, what: &str, lex: &Path, real: &Path) {
        let mut subject = format!("{what} {}", self.shown(lex));
        if lex != real {
            subject.push_str(&format!(" (a link to {})", self.shown(real)));
        }
        let access = if check == Check::Read || check == Check::ReadTree {
            Access::Read
        } else {
            Access::Write
        };
        let anchors = self.anchors.clone();
        let fixtures = self.fixtures;
        self.current_path = Some(real.to_path_buf());
        self.ask_layers(
            check,
            &subject,
            &mut |l| match l.file(access, lex, real, &anchors) {
                Some((Verdict::Deny, rule))
                    if access == Access::Read && approved_fixture(fixtures, l, &rule, real) =>
                {
                    None
                }
                other => other,
            },
            true,
        );
        if access == Access::Write
            && let Some(dir) = self.user_dir
            && (lex.starts_with(dir) || real.starts_with(dir))
        {
            self.step(
                check,
                subject.clone(),
                Verdict::Deny,
                format!(
                    "built-in protections: the user's ztguard configuration ({})",
                    dir.display()
                ),
            );
        }
        if check == Check::Delete
            && let Some(why) = destructive(real, &self.req.project, &self.req.home)
        {
            self.step(
                Check::Delete,
                subject,
                Verdict::Deny,
                format!("built-in protections: {why}"),
            );
        }
        self.current_path = None;
    }

    /// A directory read as a whole: the directory's own rules, then a look for denied files inside.
    fn tree(&mut self, what: &str, lex: &Path, real: &Path, how: Tree<'_>) {
        let Tree {
            hidden,
            follow,
            excludes,
            content,
            guessed,
            gitignore,
        } = how;
        let before = self.steps.len();
        self.file(Check::ReadTree, what, lex, real);
        if self.denied_since(before) || !content || !real.is_dir() {
            return;
        }
        let layers = self.layers.clone();
        let anchors = self.anchors.clone();
        let mut rules: Vec<(PathBuf, String)> = Vec::new();
        let walk = Walk {
            hidden,
            follow_links: follow,
            gitignore,
        };
        let fixtures = self.fixtures;
        let scan = scan_tree_with(real, walk, excludes, TREE_LIMIT, &mut |p| {
            let real_p = real_path(p);
            match layers.iter().find_map(|l| {
                l.forbids(Access::Read, p, &real_p, &anchors)
                    .filter(|rule| !approved_fixture(fixtures, l, rule, &real_p))
            }) {
                Some(rule) => {
                    if rules.len() < TREE_HITS_SHOWN {
                        rules.push((p.to_path_buf(), rule));
                    }
                    true
                }
                None => false,
            }
        });
        for (hit, rule) in rules {
            // A guessed input may well not include the file: ask, don't deny.
            let (verdict, would) = if guessed {
                (Verdict::Ask, "could")
            } else {
                (Verdict::Deny, "would")
            };
            let subject = format!(
                "{what} {} and so {would} read {}",
                self.shown(lex),
                self.shown(&hit)
            );
            self.step(Check::ReadTree, subject, verdict, rule);
        }
        if scan.truncated {
            self.step(
                Check::ReadTree,
                format!(
                    "{what} {} (more than {TREE_LIMIT} entries, not fully checked)",
                    self.shown(lex)
                ),
                Verdict::Ask,
                "built-in: recursive read too large to verify",
            );
        }
    }

    fn list(&mut self, path: Option<&str>, pattern: &str) {
        // Glob lists names only: check the directory it looks in.
        let base = path
            .map(PathBuf::from)
            .unwrap_or_else(|| self.req.cwd.clone());
        let literal: Vec<&str> = pattern
            .split('/')
            .take_while(|c| !c.contains(['*', '?', '[', '{']))
            .collect();
        let dir = if literal.len() == pattern.split('/').count() {
            literal[..literal.len().saturating_sub(1)].join("/")
        } else {
            literal.join("/")
        };
        let joined = if dir.is_empty() {
            base.to_string_lossy().into_owned()
        } else if dir.starts_with('/') || dir.starts_with('~') {
            dir
        } else {
            format!("{}/{dir}", base.display())
        };
        let r = resolve(&joined, &self.req.cwd, &self.req.home);
        let what = format!("{} lists", self.req.tool);
        self.file(Check::ReadTree, &what, &r.lexical, &r.real);
    }

    /// A WebFetch: where the URL leads as the agent's client (Node's
    /// WHATWG `URL`) reads it; a URL it cannot read is refused.
    fn fetch(&mut self, url: &str) {
        match fetch_target(url) {
            Ok(Fetch::File(path)) => {
                let cwd = self.req.cwd.clone();
                self.path(Check::Read, "WebFetch reads", &path, false, Some(&cwd));
            }
            Ok(Fetch::Host(host)) => self.host(Some(&host), &format!("WebFetch {url}")),
            Err(e) => self.step(
                Check::Network,
                format!("WebFetch {url}"),
                Verdict::Deny,
                format!("built-in protections: {e}; give WebFetch an absolute http(s) URL"),
            ),
        }
    }

    fn host(&mut self, host: Option<&str>, what: &str) {
        let subject = match host {
            Some(h) => format!("{what} reaches {h}"),
            None => format!("{what} reaches a destination not known in advance"),
        };
        self.ask_layers(Check::Network, &subject, &mut |l| l.network(host), false);
    }

    fn exec(&mut self, line: &str) {
        let home = self.req.home.to_string_lossy().into_owned();
        let analysis = analyze(line, &ShellEnv { home: Some(home) });
        if let Some(err) = &analysis.error {
            self.step(
                Check::Parse,
                format!("the command ({err})"),
                Verdict::Deny,
                "built-in protections: an unparseable command is never run",
            );
        }
        for d in &analysis.dynamic {
            self.step(
                Check::Dynamic,
                d.detail.clone(),
                Verdict::Ask,
                "built-in: what cannot be known before it runs is never treated as safe",
            );
        }
        for cmd in &analysis.commands {
            self.simple(cmd);
            self.through_link(cmd);
            self.note_link(cmd);
        }
    }

    /// A program run by a path that is a link to another program
    /// (`/tmp/z approve f`, `/tmp/z` → ztguard) is judged as that program too.
    fn through_link(&mut self, cmd: &SimpleCommand) {
        let Some(first) = cmd
            .argv
            .first()
            .filter(|a| !a.dynamic && a.text().contains('/'))
        else {
            return;
        };
        let Some(base) = self.base_of(&cmd.cwd) else {
            return;
        };
        let real = self.resolved(first.text(), &base).real;
        let Some(target) = real.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        if target == cmd.name() || target.is_empty() {
            return;
        }
        let mut as_target = cmd.clone();
        as_target.argv[0] = ztguard_shell::Arg::lit(real.to_string_lossy().as_ref());
        self.simple(&as_target);
    }

    /// Resolve a path as the line would see it: through the links made earlier in it.
    fn resolved(&self, text: &str, base: &Path) -> ztguard_paths::Resolved {
        let mut r = resolve(text, base, &self.req.home);
        for (link, target) in self.links.iter().rev() {
            for p in [r.lexical.clone(), r.real.clone()] {
                if let Ok(rest) = p.strip_prefix(link) {
                    let through = if rest.as_os_str().is_empty() {
                        target.clone()
                    } else {
                        target.join(rest)
                    };
                    r.real = real_path(&through);
                    return r;
                }
            }
        }
        r
    }

    /// `ln [-s] TARGET LINK` (or `cp -s`/`cp -l`): later paths through LINK reach TARGET.
    fn note_link(&mut self, cmd: &SimpleCommand) {
        let name = cmd.name();
        let words = cmd.words();
        let links = match name {
            "ln" => true,
            "cp" => words.iter().skip(1).any(|w| {
                matches!(*w, "-s" | "-l" | "--symbolic-link" | "--link")
                    || (w.starts_with('-') && !w.starts_with("--") && w.contains(['s', 'l']))
            }),
            _ => false,
        };
        if !links {
            return;
        }
        let Some(base) = self.base_of(&cmd.cwd) else {
            return;
        };
        let symbolic = words.iter().skip(1).any(|w| {
            *w == "--symbolic"
                || *w == "-s"
                || (w.starts_with('-') && !w.starts_with("--") && w.contains('s'))
        });
        let ops: Vec<&str> = cmd.argv[1..]
            .iter()
            .filter(|a| !a.text().starts_with('-'))
            .map(|a| a.text())
            .collect();
        let (target, link) = match ops.as_slice() {
            [t] => (
                *t,
                Path::new(t)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
            [t, l] => (*t, l.to_string()),
            _ => return,
        };
        let mut link_path = resolve(&link, &base, &self.req.home).lexical;
        if link_path.is_dir()
            && !link_path.is_symlink()
            && let Some(n) = Path::new(target).file_name()
        {
            link_path = link_path.join(n);
        }
        // A symlink's target is relative to the link's own directory.
        let target_base = if symbolic {
            link_path.parent().map(Path::to_path_buf).unwrap_or(base)
        } else {
            base
        };
        let target_path = resolve(target, &target_base, &self.req.home);
        self.links.push((link_path, target_path.real));
    }

    /// The directory relative paths point into: the call's cwd, moved by a `cd`
    /// earlier in the line or by an option such as `git -C`.
    fn base_of(&self, cwd: &Cwd) -> Option<PathBuf> {
        match cwd {
            Cwd::Start => Some(self.req.cwd.clone()),
            Cwd::Dir(d) => {
                // A `cd` into what is not a directory fails and the shell
                // stays where it was (`cd nonexist; echo x > .git/hooks/x`):
                // unless the line makes it first, where later commands run
                // is not known.
                let r = resolve(d, &self.req.cwd, &self.req.home);
                let made = self
                    .made
                    .iter()
                    .any(|m| *m == r.real || *m == r.lexical || r.real.starts_with(m));
                (r.real.is_dir() || made).then_some(r.lexical)
            }
            Cwd::Unknown => None,
        }
    }

    /// Did any step recorded since `before` deny?
    fn denied_since(&self, before: usize) -> bool {
        self.steps[before..]
            .iter()
            .any(|s| s.verdict == Verdict::Deny)
    }

    fn simple(&mut self, cmd: &SimpleCommand) {
        let shown = cmd.display();
        let fx = effects(cmd);
        if !cmd.argv.is_empty() {
            let mut words = cmd.policy_words();
            // `yarn build:ts`, `pnpm check`: a script of the package.json where
            // it runs is `yarn run build:ts`. Anything else (`pnpm cat .env`
            // runs a program) keeps its own words.
            if matches!(cmd.name(), "yarn" | "pnpm" | "bun")
                && words.len() >= 2
                && !words[1].starts_with('-')
                && self.is_package_script(&cmd.cwd, words[1])
            {
                words.insert(1, "run");
            }
            let check = if cmd.wrapper {
                Check::Wrapper
            } else {
                Check::Command
            };
            let subject = format!("`{shown}`");
            let script = self.runs_project_script(cmd, &fx);
            self.ask_layers(
                check,
                &subject,
                &mut |l| l.command(&words, cmd.wrapper, script),
                !cmd.wrapper,
            );
        }
        let label = if shown.is_empty() {
            "a redirection".to_string()
        } else {
            format!("`{}`", truncate(&shown, 80))
        };
        for r in &fx.reads {
            self.file_ref(Check::Read, &label, r);
        }
        self.tree_sources = self.copy_sources(&fx);
        for w in &fx.writes {
            self.file_ref(Check::Write, &label, w);
        }
        for h in &fx.handed {
            self.file_ref(Check::Write, &label, h);
        }
        self.configs_made_earlier(cmd, &fx, &label);
        // What runs here obeys what earlier commands wrote, not what this one writes
        // (`cargo build --target-dir out` does not run its output).
        for b in &fx.builds {
            if b.here {
                self.runs_elsewhere(&label, b);
            }
            if !b.files.is_empty() {
                self.build_written(&label, b);
            }
        }
        for e in &fx.executes {
            self.runs_written(&label, e);
        }
        self.note_written(cmd, &fx);
        for d in &fx.deletes {
            self.file_ref(Check::Delete, &label, d);
        }
        for h in &fx.network {
            let resolved = h
                .git_remote
                .as_ref()
                .filter(|_| h.host.is_none())
                .and_then(|(cwd, name)| self.git_remote_host(cwd, name));
            self.host(resolved.as_deref().or(h.host.as_deref()), &label);
        }
        if fx.env_dump {
            self.step(
                Check::EnvDump,
                format!("{label} prints the environment"),
                Verdict::Deny,
                "built-in protections: environment dumps reveal secrets",
            );
        }
        let mut seen = Vec::new();
        for v in &fx.env_reads {
            if !seen.contains(v) && self.is_secret_var(v) {
                seen.push(v.clone());
                self.step(
                    Check::SecretVar,
                    format!("{label} reads ${v}"),
                    Verdict::Deny,
                    "built-in protections: env.secret (a secret variable)",
                );
            }
        }
        for g in &fx.git_content {
            self.git_content(&label, g);
        }
        self.data_naming_credentials(&label, cmd, &fx);
        for p in &fx.projects {
            self.project(&label, p);
        }
        let mut risky_seen: Vec<&String> = Vec::new();
        for r in &fx.risky {
            if risky_seen.contains(&r) {
                continue;
            }
            risky_seen.push(r);
            self.step(
                Check::Risky,
                format!("{label}: {r}"),
                Verdict::Ask,
                "built-in: options that run other programs",
            );
        }
        for u in &fx.unknown_operands {
            self.step(
                Check::UnknownOperand,
                format!("{label} touches a file computed at run time ({u})"),
                Verdict::Ask,
                "built-in: file operands must be known to be checked",
            );
        }
    }

    /// Words of a command that are data, not the files it touches (what
    /// `printf` writes into a Makefile, a heredoc fed to a compiler, a
    /// value handed over in a variable), naming a credential file by its
    /// absolute or home path: code the host runs later, or a program
    /// reading its input, would read it where no check sees.
    fn data_naming_credentials(&mut self, label: &str, cmd: &SimpleCommand, fx: &Effects) {
        // Prose written to documentation runs nowhere, but for its code
        // blocks (doc tests run them).
        let prose = !fx.writes.is_empty()
            && fx
                .writes
                .iter()
                .all(|w| w.path.values.iter().all(|v| is_prose(v)));
        let operands: Vec<&str> = fx
            .reads
            .iter()
            .chain(&fx.writes)
            .chain(&fx.deletes)
            .chain(&fx.executes)
            .flat_map(|f| f.path.values.iter().map(String::as_str))
            .collect();
        // A word that is one path is the command's operand, judged by what
        // the command does with it (`ls ~/.ssh` lists names); a path inside
        // a longer word is data (`-v ~/.aws:/root/.aws`, a Makefile's text).
        let mut texts: Vec<String> = cmd
            .argv
            .iter()
            .skip(1)
            .flat_map(|a| a.values.iter())
            .filter(|v| !operands.contains(&v.as_str()) && v.contains(is_separator))
            .cloned()
            .collect();
        // What `printf` writes is its format filled in (`.s%sh` + `s`).
        if cmd.name() == "printf"
            && let Some(out) = ztguard_shell::printf_output(
                cmd.argv.get(1).map(|a| a.text()).unwrap_or_default(),
                &cmd.argv
                    .iter()
                    .skip(2)
                    .map(|a| a.text())
                    .collect::<Vec<_>>(),
            )
        {
            texts.push(out);
        }
        texts.extend(
            cmd.assignments
                .iter()
                .flat_map(|(_, a)| a.values.iter().cloned()),
        );
        if let ztguard_shell::Stdin::Literal(Some(body)) = &cmd.stdin {
            texts.push(body.clone());
        }
        for t in texts {
            let t = if prose { fenced_code(&t) } else { t };
            if self.names_credential(label, &t, &operands) {
                return;
            }
        }
        self.hands_credentials(label, cmd, &operands);
    }

    /// A credential's path given whole to a program that is not known to
    /// only look at names (`cargo run -- ~/.ssh/id_rsa`, `make FILE=.env`,
    /// `./tool .env`): the program may read it.
    fn hands_credentials(&mut self, label: &str, cmd: &SimpleCommand, operands: &[&str]) {
        const NAMES_ONLY: &[&str] = &[
            "ls",
            "stat",
            "test",
            "[",
            "realpath",
            "readlink",
            "basename",
            "dirname",
            "file",
            "du",
            "echo",
            "printf",
            "touch",
            "mkdir",
            "chmod",
            "chown",
            "chgrp",
            "which",
            "type",
            "command",
            "git",
            "find",
            "fd",
            "tree",
            "exa",
            "eza",
            "ssh-add",
            "ssh-keygen",
            "shred",
            "rm",
            "unlink",
            "mv",
            "cp",
            "ln",
            "install",
            "getfacl",
            "lsattr",
        ];
        if cmd.argv.is_empty() || cmd.wrapper || NAMES_ONLY.contains(&cmd.name()) {
            return;
        }
        let Some(base) = self.base_of(&cmd.cwd) else {
            return;
        };
        for a in cmd.argv.iter().skip(1).filter(|a| !a.dynamic) {
            let t = a.text();
            if t.starts_with('-') || operands.contains(&t) {
                continue;
            }
            // `make FILE=.env`: a variable's value on the command line.
            let value = match t.split_once('=') {
                Some((n, v))
                    if !n.is_empty()
                        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
                {
                    v
                }
                _ => t,
            };
            if value.is_empty() || value.contains(char::is_whitespace) {
                continue;
            }
            let r = self.resolved(value, &base);
            if let Some(rule) = self
                .layers
                .iter()
                .find_map(|l| l.forbids(Access::Read, &r.lexical, &r.real, &self.anchors))
            {
                let shown = self.shown(&r.lexical);
                self.step(
                    Check::Read,
                    format!("{label} hands {shown} to a program that may read it ({rule})"),
                    Verdict::Ask,
                    "built-in: a credential's path given to a program is read where no check sees",
                );
                return;
            }
        }
    }

    /// Ask when `text` names a path a read rule forbids, written as a home
    /// or absolute path (`~/.ssh/id_rsa`, `$HOME/.aws/credentials`,
    /// `/root/.git-credentials`, or a `"/.ssh/id_rsa"` tail that code joins
    /// to the home directory). Names built piece by piece are not seen.
    fn names_credential(&mut self, what: &str, text: &str, skip: &[&str]) -> bool {
        let home = self.req.home.clone();
        for token in text.split(is_separator) {
            if token.len() < 3 || skip.contains(&token) {
                continue;
            }
            let mut candidates: Vec<PathBuf> = Vec::new();
            // `$HOME/…`, and `$$HOME/…` as a Makefile writes it.
            let unvar = token.trim_start_matches('$');
            if let Some(rest) = token.strip_prefix("~/") {
                candidates.push(home.join(rest));
            } else if token.starts_with('$') && (unvar == "HOME" || unvar.starts_with("HOME/")) {
                candidates.push(home.join(unvar["HOME".len()..].trim_start_matches('/')));
            } else if token.starts_with('/') {
                candidates.push(PathBuf::from(token));
                if let Some(rest) = token.strip_prefix("/.") {
                    candidates.push(home.join(format!(".{rest}")));
                }
            }
            // `~/.aw[s]/credentials`: what the glob names on this machine.
            let globbed: Vec<PathBuf> = candidates
                .iter()
                .filter(|c| c.to_string_lossy().contains(['*', '?', '[']))
                .flat_map(|c| {
                    let g = expand_glob(c);
                    g.paths.into_iter().chain(g.trees)
                })
                .collect();
            candidates.extend(globbed);
            for c in candidates {
                let p = ztguard_paths::lexical_normalize(&c);
                if let Some(rule) = self
                    .layers
                    .iter()
                    .find_map(|l| l.forbids(Access::Read, &p, &p, &self.anchors))
                {
                    let shown = self.shown(&p);
                    self.step(
                        Check::Read,
                        format!("{what} names {shown} in data it writes or hands on ({rule})"),
                        Verdict::Ask,
                        "built-in: code or input naming a credential file reads it where no check sees",
                    );
                    return true;
                }
            }
        }
        false
    }

    /// The host of a git remote, from the repository's own configuration
    /// (`[remote "origin"] url = …`). None when it cannot be known for sure:
    /// no such remote, several URLs, or URL rewriting (`insteadOf`) or
    /// includes that this reading does not follow.
    fn git_remote_host(&self, cwd: &Cwd, name: &str) -> Option<String> {
        let base = self.base_of(cwd)?;
        let (_, git_dir) = repository(&base)?;
        // A worktree's configuration is the main repository's.
        let config_dir = std::fs::read_to_string(git_dir.join("commondir"))
            .ok()
            .map(|c| git_dir.join(c.trim()))
            .unwrap_or(git_dir);
        let config = std::fs::read_to_string(config_dir.join("config")).ok()?;
        let lower = config.to_ascii_lowercase();
        if lower.contains("insteadof") || lower.contains("[include") {
            return None;
        }
        let header = format!("[remote \"{name}\"]");
        let mut inside = false;
        let mut urls = Vec::new();
        for line in config.lines() {
            let l = line.trim();
            if l.starts_with('[') {
                inside = l == header;
                continue;
            }
            if inside
                && let Some((k, v)) = l.split_once('=')
                && matches!(k.trim().to_ascii_lowercase().as_str(), "url" | "pushurl")
            {
                urls.push(v.trim().trim_matches('"').to_string());
            }
        }
        let hosts: Vec<String> = urls
            .iter()
            .flat_map(|u| ztguard_shell::remote(u))
            .collect::<Option<Vec<String>>>()?;
        match hosts.as_slice() {
            [h] => Some(h.clone()),
            [h, rest @ ..] if rest.iter().all(|r| r == h) => Some(h.clone()),
            _ => None,
        }
    }

    /// A git command printing what its repository tracks: a tracked file
    /// the policy forbids reading (a committed `.env` or key) is among what
    /// it prints unless a pathspec leaves it out, or, for `git diff` of the
    /// working tree, unless the file is unchanged since it was staged.
    fn git_content(&mut self, label: &str, g: &GitContent) {
        let Some(base) = self.base_of(&g.cwd) else {
            return; // a directory chosen at run time: asked about as a project
        };
        let mut include: Vec<Spec> = Vec::new();
        let mut exclude: Vec<Spec> = Vec::new();
        let mut revisions = false;
        for a in &g.maybe_paths {
            let exists = a
                .values
                .iter()
                .any(|v| self.resolved(v, &base).real.exists());
            if !exists && !a.dynamic {
                revisions = true;
                continue;
            }
            self.git_path(label, a, &base, g.literal, &mut include, &mut exclude);
        }
        for a in &g.paths {
            self.git_path(label, a, &base, g.literal, &mut include, &mut exclude);
        }
        if g.whole {
            include.clear();
            exclude.clear();
        }
        let Some((top, git_dir)) = repository(&base) else {
            return;
        };
        // Most tracked files have no component a read-deny pattern could
        // match: rule them out before anything is made of them, with one
        // test per directory name and one per file name.
        let keys: Option<Vec<&str>> = self
            .layers
            .iter()
            .map(|l| l.read_deny_keys())
            .collect::<Option<Vec<_>>>()
            .map(|v| v.concat());
        let matcher = keys.as_deref().map(KeyMatcher::new);
        let key_match = |c: &str| matcher.as_ref().is_none_or(|m| m.matches(c));
        let top_hit = top
            .components()
            .any(|c| key_match(&c.as_os_str().to_string_lossy()));
        let mut dirs: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
        let mut candidate = |path: &str| {
            if top_hit {
                return true;
            }
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            key_match(name)
                || (!dir.is_empty()
                    && match dirs.get(dir) {
                        Some(hit) => *hit,
                        None => {
                            let hit = dir.split('/').any(key_match);
                            dirs.insert(dir.to_string(), hit);
                            hit
                        }
                    })
        };
        let files = match tracked_files_where(&git_dir, &mut candidate) {
            Ok(f) => f,
            Err(IndexError::Missing) => return,
            Err(IndexError::Malformed(why)) => {
                self.step(
                    Check::Read,
                    format!("{label}: the repository's index cannot be read ({why})"),
                    Verdict::Ask,
                    "built-in: what git prints is judged by the files it tracks",
                );
                return;
            }
        };
        let worktree = g.worktree_unless_revisions && !revisions;
        let mut hits: Vec<(String, String)> = Vec::new();
        for f in &files {
            let abs = top.join(&f.path);
            let Some(rule) = self
                .layers
                .iter()
                .find_map(|l| l.forbids(Access::Read, &abs, &abs, &self.anchors))
            else {
                continue;
            };
            let rel = Path::new(&f.path);
            if (!include.is_empty() && !include.iter().any(|s| s.includes(&abs, rel, &base)))
                || exclude.iter().any(|s| s.excludes(&abs, rel, &base))
                || (worktree && unchanged(&abs, f))
            {
                continue;
            }
            hits.push((f.path.clone(), rule));
        }
        let Some((_, rule)) = hits.first().cloned() else {
            return;
        };
        let names: Vec<&str> = hits.iter().take(3).map(|(p, _)| p.as_str()).collect();
        let more = if hits.len() > 3 {
            format!(" and {} more", hits.len() - 3)
        } else {
            String::new()
        };
        let leave_out: Vec<String> = names
            .iter()
            .map(|n| format!("':(top,exclude){n}'"))
            .collect();
        self.step(
            Check::Read,
            format!(
                "{label} prints what the repository tracks, {}{more} among it \
                 (leave it out: `-- . {}`)",
                names.join(", "),
                leave_out.join(" ")
            ),
            Verdict::Deny,
            rule,
        );
    }

    /// One pathspec of a git command: an inclusion or exclusion; a file
    /// named outright is read by name, as `cat` would read it.
    fn git_path(
        &mut self,
        label: &str,
        a: &ztguard_shell::Arg,
        base: &Path,
        literal: bool,
        include: &mut Vec<Spec>,
        exclude: &mut Vec<Spec>,
    ) {
        for v in a.values.iter().filter(|v| !v.is_empty()) {
            let (magic, pattern) = if literal {
                (Magic::default(), v.as_str())
            } else {
                pathspec_magic(v)
            };
            let from = if magic.top {
                self.req.project.clone()
            } else {
                base.to_path_buf()
            };
            let spec = if a.dynamic || magic.other {
                Spec::Any
            } else if a.glob || has_glob(pattern) {
                Spec::Glob(pattern.to_string())
            } else {
                Spec::Path(self.resolved(pattern, &from).lexical)
            };
            if magic.exclude {
                exclude.push(spec);
                continue;
            }
            if let Spec::Path(p) = &spec
                && !real_path(p).is_dir()
            {
                let f = FileRef::new(
                    ztguard_shell::Arg::lit(pattern),
                    Cwd::Dir(from.to_string_lossy().into_owned()),
                    "prints from history",
                );
                self.file_ref(Check::Read, label, &f);
            }
            include.push(spec);
        }
        if a.dynamic {
            include.push(Spec::Any);
        }
    }

    /// Note what a command writes: the paths made (later `cd`s into them
    /// work), the files whose content it writes and the trees landing in
    /// directories, for the commands after it that run what was written.
    fn note_written(&mut self, cmd: &SimpleCommand, fx: &Effects) {
        // Changing a file's mode, owner or times, or making an empty one or
        // a directory, does not change what it runs.
        let keeps_content = matches!(
            cmd.name(),
            "chmod" | "chown" | "chgrp" | "touch" | "mkdir" | "chattr" | "setfacl"
        );
        // What a build tool or compiler writes is built from the files it
        // obeys (`go build -o bin/app`, `cargo build --target-dir out`),
        // judged when it ran.
        // Formatters rewrite the files they are given into the same code.
        let output = !fx.builds.is_empty()
            || matches!(
                cmd.name(),
                "gcc"
                    | "g++"
                    | "cc"
                    | "c++"
                    | "clang"
                    | "clang++"
                    | "rustc"
                    | "tsc"
                    | "javac"
                    | "black"
                    | "isort"
                    | "ruff"
                    | "prettier"
                    | "gofmt"
                    | "goimports"
                    | "rustfmt"
                    | "clang-format"
                    | "autopep8"
                    | "yapf"
                    | "biome"
                    | "dprint"
            );
        for w in &fx.writes {
            let Some(base) = self.base_of(&w.cwd) else {
                continue;
            };
            for v in w.path.values.iter().filter(|v| !v.is_empty()) {
                let real = self.resolved(v, &base).real;
                if !keeps_content && !output {
                    // `> scripts/set*.sh` writes the one file the glob names.
                    let globbed = (w.path.glob && !w.recursive && !w.into && !w.path.tree)
                        .then(|| expand_glob(&real))
                        .filter(|g| !g.paths.is_empty() && g.trees.is_empty() && !g.truncated);
                    if let Some(g) = globbed {
                        self.written.extend(g.paths.iter().map(|p| real_path(p)));
                        self.made.extend(g.paths);
                    } else if w.recursive || w.into || w.path.glob || w.path.tree {
                        let files = self.landed_files(w, &real);
                        self.written_trees.push(Landing {
                            dir: real.clone(),
                            files,
                        });
                    } else {
                        self.written.push(real.clone());
                    }
                }
                self.made.push(real);
            }
        }
    }

    /// The files a copy lands in `dest` when they are known: the sources
    /// exist now and were not written earlier in the line. None for an
    /// archive extracted or a tree whose content is not known.
    fn landed_files(&self, w: &FileRef, dest: &Path) -> Option<Vec<PathBuf>> {
        if w.into || w.path.glob || w.path.tree {
            return None;
        }
        let sources = self.tree_sources.as_ref()?;
        if sources.is_empty() || sources.iter().any(|s| !s.path.exists()) {
            return None;
        }
        let into_existing = dest.is_dir() || self.made.iter().any(|m| m == dest);
        let mut files: Vec<PathBuf> = landing_names(sources, into_existing)
            .into_iter()
            .map(|n| dest.join(n))
            .collect();
        files.push(dest.to_path_buf());
        Some(files)
    }

    /// Was `p` written earlier in the line (itself, or landed in a tree of unknown content)?
    fn written_earlier(&self, p: &Path) -> bool {
        self.written.iter().any(|w| w == p)
            || self.written_trees.iter().any(|t| match &t.files {
                Some(files) => files.iter().any(|f| f == p),
                None => p.starts_with(&t.dir),
            })
    }

    /// A build or test tool run where its cwd is outside the project (`cd
    /// /elsewhere && make`, a hook whose cwd is elsewhere) obeys that
    /// directory's build files, not the user's.
    fn runs_elsewhere(&mut self, label: &str, b: &ztguard_shell::Build) {
        let Some(base) = self.base_of(&b.dir.cwd) else {
            self.step(
                Check::Project,
                format!("{label} runs {} in a directory chosen at run time", b.tool),
                Verdict::Ask,
                "built-in: a tool run on another project obeys that project's configuration",
            );
            return;
        };
        let r = self.resolved(".", &base);
        if !self.inside_project(&r) {
            let subject = format!(
                "{label} runs {} in {}, outside the project",
                b.tool,
                self.shown(&r.lexical)
            );
            self.step(
                Check::Project,
                subject,
                Verdict::Ask,
                "built-in: a tool run on another project obeys that project's configuration (hooks, pagers, build scripts)",
            );
        }
    }

    fn inside_project(&self, r: &ztguard_paths::Resolved) -> bool {
        r.real.starts_with(&self.req.project) && r.lexical.starts_with(&self.req.project)
    }

    /// A build or test tool run on files written earlier in the line runs
    /// what the line wrote: `echo … > Makefile && make`, `sed -i … package.json
    /// && npm test`, `cp /elsewhere/build.rs . && cargo build`.
    fn build_written(&mut self, label: &str, b: &ztguard_shell::Build) {
        let Some(base) = self.base_of(&b.dir.cwd) else {
            return; // asked about as a directory chosen at run time
        };
        for v in b.dir.path.values.iter().filter(|v| !v.is_empty()) {
            let target = self.resolved(v, &base).real;
            // A file the tool is given (a manifest, a test file, a script):
            // itself, then the build files beside it.
            let is_file = target.is_file() || self.written.contains(&target);
            let dir = match target.parent() {
                Some(p) if is_file => p.to_path_buf(),
                _ => target.clone(),
            };
            let hit = if is_file && self.written_earlier(&target) {
                Some(target.clone())
            } else {
                self.written_build_file(b.files, &dir)
            };
            if let Some(hit) = hit {
                let subject = format!(
                    "{label}: {} runs {}, written earlier in this command",
                    b.tool,
                    self.shown(&hit)
                );
                self.current_path = Some(hit);
                self.step(
                    Check::Project,
                    subject,
                    Verdict::Ask,
                    "built-in: a build file written in the same command is run before anyone sees it",
                );
                self.current_path = None;
                return;
            }
        }
    }

    /// The first file written earlier in the line that a tool working in
    /// `dir` obeys: one written there, or a tree landing on or under it.
    fn written_build_file(&self, files: &[&str], dir: &Path) -> Option<PathBuf> {
        let obeys = |p: &Path| {
            p.strip_prefix(dir)
                .is_ok_and(|rel| ztguard_shell::builds::obeys(files, &rel.to_string_lossy()))
        };
        if let Some(w) = self.written.iter().find(|w| obeys(w)) {
            return Some(w.clone());
        }
        for t in &self.written_trees {
            match &t.files {
                Some(landed) => {
                    if let Some(f) = landed.iter().find(|f| obeys(f)) {
                        return Some(f.clone());
                    }
                }
                None => {
                    let may = if dir.starts_with(&t.dir) {
                        ztguard_shell::builds::may_hold(files, "")
                    } else {
                        t.dir.strip_prefix(dir).is_ok_and(|rel| {
                            ztguard_shell::builds::may_hold(files, &rel.to_string_lossy())
                        })
                    };
                    if may {
                        return Some(t.dir.clone());
                    }
                }
            }
        }
        None
    }

    /// A script run that the line wrote earlier (`echo … > x.ts && bun run
    /// x.ts`, `… > m.go && go run m.go`): what runs is what the line wrote.
    fn runs_written(&mut self, label: &str, f: &FileRef) {
        let Some(base) = self.base_of(&f.cwd) else {
            return;
        };
        for v in f.path.values.iter().filter(|v| !v.is_empty()) {
            let real = self.resolved(v, &base).real;
            if self.written_earlier(&real) {
                let subject = format!(
                    "{label} runs {}, written earlier in this command",
                    self.shown(&real)
                );
                self.current_path = Some(real);
                self.step(
                    Check::Project,
                    subject,
                    Verdict::Ask,
                    "built-in: a script written in the same command is run before anyone sees it",
                );
                self.current_path = None;
                return;
            }
        }
    }

    /// A tool run after the same line wrote one of its configuration files
    /// (`printf '[pytest]\naddopts=…' > pytest.ini && pytest`), or a file
    /// an option of it names as its configuration or project (`… > x.ini
    /// && pytest -c x.ini`): what the tool then writes, runs or loads is
    /// what the line wrote, which no option shows. A file written by an
    /// earlier call is the project's own, like its test code (which the tool
    /// runs anyway); the sandbox, not this check, bounds what either does.
    fn configs_made_earlier(&mut self, cmd: &SimpleCommand, fx: &Effects, label: &str) {
        if self.made.is_empty() {
            return;
        }
        let mut found: Vec<PathBuf> = Vec::new();
        if !fx.configs.is_empty()
            && let Some(base) = self.base_of(&cmd.cwd)
        {
            // Read from where the tool runs and the directories above it;
            // those below it when it runs what they hold (`tests/conftest.py`).
            let base = real_path(&base);
            for m in &self.made {
                let near = m
                    .parent()
                    .is_some_and(|p| base.starts_with(p) || p.starts_with(&base));
                if near
                    && fx.configs.iter().any(|c| config_file_matches(c, m))
                    && !found.contains(m)
                {
                    found.push(m.clone());
                }
            }
        }
        for p in &fx.projects {
            let Some(base) = self.base_of(&p.cwd) else {
                continue;
            };
            for v in p.path.values.iter().filter(|v| !v.is_empty()) {
                let real = self.resolved(v, &base).real;
                // A file named as the configuration or project (`-c x.ini`);
                // a directory that received files is judged by what landed.
                if self.made.contains(&real) && !real.is_dir() && !found.contains(&real) {
                    found.push(real);
                }
            }
        }
        for f in found {
            let subject = format!(
                "{label} reads its configuration from {}, written earlier in this line",
                self.shown(&f)
            );
            self.step(
                Check::Risky,
                subject,
                Verdict::Ask,
                "built-in: configuration written by the same line changes what a tool writes, runs or loads",
            );
        }
    }

    /// A tool run on another project's build files (`git -C DIR`, `make -C DIR`,
    /// `cargo --manifest-path F`) obeys that project's configuration: hooks,
    /// pagers, build scripts. Inside this project that is the user's own.
    fn project(&mut self, label: &str, f: &FileRef) {
        let Some(base) = self.base_of(&f.cwd) else {
            self.step(
                Check::Project,
                format!("{label} {} a directory chosen at run time", f.how),
                Verdict::Ask,
                "built-in: a tool run on another project obeys that project's configuration",
            );
            return;
        };
        for v in f.path.values.iter().filter(|v| !v.is_empty()) {
            let r = self.resolved(v, &base);
            if !self.inside_project(&r) {
                let subject = format!("{label} {} {}", f.how, self.shown(&r.lexical));
                self.step(
                    Check::Project,
                    subject,
                    Verdict::Ask,
                    "built-in: a tool run on another project obeys that project's configuration (hooks, pagers, build scripts)",
                );
            }
        }
    }

    fn file_ref(&mut self, check: Check, label: &str, f: &FileRef) {
        let what = format!("{label} {}", f.how);
        // Each file's own directory: the command's, or another one (`git -C dir`).
        let base = self.base_of(&f.cwd);
        let recursive = f.recursive || f.path.tree;
        let glob = f.path.glob && !f.path.dynamic && !recursive;
        for v in f.path.values.iter().filter(|v| !v.is_empty()) {
            let Some(b) = base.as_deref().filter(|_| !glob) else {
                // globs, and paths relative to a directory chosen at run time
                self.path(check, &what, v, glob, base.as_deref());
                continue;
            };
            let r = self.resolved(v, b);
            match check {
                // A reading command given a directory may read all of it (`diff -r`,
                // `git diff --no-index dir`, flags not modelled): check the tree.
                Check::Read if recursive || r.real.is_dir() => {
                    let how = Tree {
                        hidden: f.hidden,
                        follow: f.follow_links,
                        excludes: &f.excludes,
                        content: true,
                        guessed: f.guessed,
                        gitignore: f.gitignore,
                    };
                    self.tree(&what, &r.lexical, &r.real, how);
                }
                // Files landing in a directory under names not known here
                // (an archive extracted, `cp -t DIR`, several sources).
                // (`git restore DIR`: only a directory; a file is itself.)
                Check::Write if f.into && (f.how != "restores into" || r.real.is_dir()) => {
                    let before = self.steps.len();
                    self.file(Check::Write, &what, &r.lexical, &r.real);
                    if !self.denied_since(before) {
                        let probes = TREE_WRITE_PROBES.iter().map(PathBuf::from).collect();
                        self.write_tree(&what, &r.lexical, &r.real, probes);
                    }
                }
                // A copy or move destination (`cp a b`, `mv a b`): what lands
                // is the sources, under their own names in an existing
                // directory, as the destination itself otherwise.
                Check::Write if recursive && (r.real.is_dir() || !r.real.exists()) => {
                    let before = self.steps.len();
                    self.file(Check::Write, &what, &r.lexical, &r.real);
                    if !self.denied_since(before) {
                        let landing = match &self.tree_sources {
                            None => TREE_WRITE_PROBES.iter().map(PathBuf::from).collect(),
                            Some(sources) => landing_names(
                                sources,
                                r.real.is_dir() || self.made.contains(&r.real),
                            ),
                        };
                        self.write_tree(&what, &r.lexical, &r.real, landing);
                    }
                }
                Check::Delete if recursive => {
                    let before = self.steps.len();
                    self.file(Check::Delete, &what, &r.lexical, &r.real);
                    if !self.denied_since(before) {
                        self.delete_tree(&what, &r.real);
                    }
                }
                _ => self.file(check, &what, &r.lexical, &r.real),
            }
        }
    }

    /// Whether `name` is a script of the package.json in `cwd`.
    fn is_package_script(&self, cwd: &Cwd, name: &str) -> bool {
        let Some(dir) = self.base_of(cwd) else {
            return false;
        };
        let Ok(text) = std::fs::read_to_string(dir.join("package.json")) else {
            return false;
        };
        serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| v.get("scripts")?.get(name).map(|s| s.is_string()))
            .unwrap_or(false)
    }

    /// Whether `cmd` runs one of the project's own scripts
    /// ([`crate::command::PROJECT_SCRIPT`]): one file, inside the project and
    /// outside its dependencies, run directly (`./scripts/x.sh`) or by an
    /// interpreter given no inline code (`node scripts/build.js`).
    fn runs_project_script(&self, cmd: &SimpleCommand, fx: &Effects) -> bool {
        const INTERPRETERS: &[&str] = &[
            "node", "python", "python3", "bash", "sh", "zsh", "ruby", "perl", "tsx", "ts-node",
        ];
        const NOT_THE_PROJECTS: &[&str] = &[
            "node_modules",
            ".git",
            ".venv",
            "venv",
            "site-packages",
            "vendor",
            ".cargo",
        ];
        if cmd.wrapper || cmd.inline_code.is_some() || fx.executes.len() != 1 {
            return false;
        }
        // Interpreter options that only tune it (none loads code or a file).
        const TUNING: &[&str] = &[
            "--max-old-space-size=*",
            "--stack-size=*",
            "--trace-warnings",
            "--trace-deprecation",
            "--trace-uncaught",
            "--enable-source-maps",
            "--no-warnings",
            "--no-deprecation",
            "--experimental-vm-modules",
            "--expose-gc",
            "--allow-natives-syntax",
            "--unhandled-rejections=*",
            "--hash-seed=*",
            "--random-seed=*",
            "-u",
            "-B",
            "-O",
            "-OO",
            "-e",
            "-x",
            "-u",
            "-ex",
            "-xe",
            "-eu",
            "-ue",
            "-eux",
            "-eo",
        ];
        let argv0 = cmd.argv[0].text();
        if !argv0.contains('/') {
            if !INTERPRETERS.contains(&cmd.name()) {
                return false;
            }
            let options = cmd.argv[1..]
                .iter()
                .take_while(|a| a.text().starts_with('-'));
            if !options
                .into_iter()
                .all(|a| TUNING.iter().any(|t| wildmatch(t, a.text())))
            {
                return false;
            }
        }
        let f = &fx.executes[0];
        if f.path.dynamic || f.path.glob || f.path.values.len() != 1 {
            return false;
        }
        let Some(base) = self.base_of(&f.cwd) else {
            return false;
        };
        let r = self.resolved(&f.path.values[0], &base);
        let project = &self.req.project;
        // Scripts named for what leaves the machine are asked about as before.
        const OUTWARD: &[&str] = &[
            "publish", "release", "deploy", "sign", "tag", "upload", "push", "sync",
        ];
        // Both names: a link `build.sh -> deploy.sh` runs the deploy script.
        let outward = [&r.lexical, &r.real].iter().any(|p| {
            let stem = p
                .file_stem()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            OUTWARD.iter().any(|w| stem.contains(w))
        });
        if outward {
            return false;
        }
        r.real.is_file()
            && r.real.starts_with(project)
            && r.lexical.starts_with(project)
            && !r.real.strip_prefix(project).is_ok_and(|rel| {
                rel.components()
                    .any(|c| NOT_THE_PROJECTS.contains(&c.as_os_str().to_string_lossy().as_ref()))
            })
    }

    /// What a command copies or moves (its reads and deletes), each with
    /// whether it is a directory; None when one cannot be known here (a
    /// glob, a run-time path, a path made earlier in the line).
    fn copy_sources(&self, fx: &Effects) -> Option<Vec<Source>> {
        let mut sources = Vec::new();
        for f in fx.reads.iter().chain(&fx.deletes) {
            if f.path.dynamic {
                return None;
            }
            let base = self.base_of(&f.cwd)?;
            for v in f.path.values.iter().filter(|v| !v.is_empty()) {
                let r = self.resolved(v, &base);
                let found = if f.path.glob {
                    // `cp dist/* out/`: what the glob names now.
                    let g = expand_glob(&r.lexical);
                    if g.truncated || !g.trees.is_empty() || !self.made.is_empty() {
                        return None;
                    }
                    g.paths.into_iter().map(|p| real_path(&p)).collect()
                } else {
                    if !r.real.exists() && self.made.iter().any(|m| m.starts_with(&r.real)) {
                        // Made earlier in the line: what it holds is not known here.
                        return None;
                    }
                    vec![r.real]
                };
                // `cp -r dir/. dest`, `rsync -a dir/ dest`: the contents land,
                // not the directory.
                let contents = v.ends_with("/.") || v.ends_with('/');
                for real in found {
                    let dir = real.is_dir();
                    if !sources.iter().any(|s: &Source| s.path == real) {
                        sources.push(Source {
                            path: real,
                            dir,
                            contents,
                        });
                    }
                }
            }
        }
        Some(sources)
    }

    /// Files written into a directory under names not known in advance (an
    /// archive extracted, a tree copied or moved in) may land on the guard's
    /// own files or on configuration the host runs later: ask when the
    /// directory holds such a place.
    fn write_tree(&mut self, what: &str, lex: &Path, real: &Path, names: Vec<PathBuf>) {
        let layers = self.layers.clone();
        let anchors = self.anchors.clone();
        for probe in &names {
            let (pl, pr) = (lex.join(probe), real.join(probe));
            let rule = layers.iter().find_map(|l| {
                l.forbids(Access::Write, &pl, &pr, &anchors).or_else(|| {
                    l.file(Access::Write, &pl, &pr, &anchors)
                        .filter(|(v, _)| *v == Verdict::Ask)
                        .map(|(_, r)| r)
                })
            });
            if let Some(rule) = rule {
                let subject = format!(
                    "{what} {} and so could write {}",
                    self.shown(lex),
                    self.shown(&pl)
                );
                self.step(Check::Write, subject, Verdict::Ask, rule);
                return;
            }
        }
    }

    /// A recursive delete must not take protected files with it.
    fn delete_tree(&mut self, what: &str, real: &Path) {
        if !real.is_dir() {
            return;
        }
        let layers = self.layers.clone();
        let anchors = self.anchors.clone();
        let mut found: Option<(PathBuf, String)> = None;
        scan_tree(real, true, false, &[], TREE_LIMIT, &mut |p| {
            if found.is_some() {
                return false;
            }
            if let Some(rule) = layers
                .iter()
                .find_map(|l| l.forbids(Access::Write, p, p, &anchors))
            {
                found = Some((p.to_path_buf(), rule));
                return true;
            }
            false
        });
        if let Some((p, rule)) = found {
            let subject = format!(
                "{what} {} and so would delete {}",
                self.shown(real),
                self.shown(&p)
            );
            self.step(Check::Delete, subject, Verdict::Deny, rule);
        }
    }

    fn is_secret_var(&self, name: &str) -> bool {
        if let Some(prefix) = &self.visible_prefix
            && name.starts_with(prefix.as_str())
        {
            return false;
        }
        let upper = name.to_ascii_uppercase();
        self.secret_vars.iter().any(|p| wildmatch(p, &upper))
    }
}

/// The names, relative to a copy's destination, under which `sources` land:
/// inside an existing directory each source keeps its own name (`cp a d`
/// writes `d/a`); otherwise a directory's files land directly under the
/// destination (`cp -r dir new` writes `new/…`) and a file is the
/// destination itself. The usual probes too when a tree is too large to list.
fn landing_names(sources: &[Source], into_existing: bool) -> Vec<PathBuf> {
    let mut names = Vec::new();
    for src in sources {
        let top = if into_existing && !(src.dir && src.contents) {
            match src.path.file_name() {
                Some(n) => PathBuf::from(n),
                None => continue,
            }
        } else {
            PathBuf::new()
        };
        if !top.as_os_str().is_empty() {
            names.push(top.clone());
        }
        if !src.dir {
            continue;
        }
        let root = &src.path;
        let scan = scan_tree(root, true, false, &[], TREE_LIMIT, &mut |p| {
            if let Ok(rel) = p.strip_prefix(root)
                && !rel.as_os_str().is_empty()
            {
                names.push(top.join(rel));
            }
            false
        });
        if scan.truncated {
            names.extend(TREE_WRITE_PROBES.iter().map(PathBuf::from));
        }
    }
    names
}

/// A file or directory a command copies or moves.
#[derive(Clone, Debug)]
struct Source {
    path: PathBuf,
    dir: bool,
    /// Written `dir/.` or `dir/`: its contents land, not the directory.
    contents: bool,
}

/// Is `rule` of layer `l` the built-in credential deny, for a file a human
/// approved as a public fixture with exactly its present content?
fn approved_fixture(fixtures: &Fixtures, l: &Layer, rule: &str, real: &Path) -> bool {
    l.name == "built-in protections"
        && (rule.starts_with("files.deny ") || rule.contains(": files.deny "))
        && fixtures.approves(real)
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// Deleting these destroys far more than a change: the root, home, the project
/// itself or a directory containing it, a top-level system directory.
fn destructive(p: &Path, project: &Path, home: &Path) -> Option<String> {
    let depth = p.components().count();
    if depth <= 2 {
        return Some(format!(
            "deleting {} (a top-level directory) is never allowed",
            p.display()
        ));
    }
    if p == home {
        return Some("deleting the home directory is never allowed".into());
    }
    if project.starts_with(p) {
        return Some("deleting the project (or a directory containing it) is never allowed".into());
    }
    None
}

/// A git pathspec, resolved.
enum Spec {
    /// A path: it covers itself and everything under it.
    Path(PathBuf),
    /// A wildcard: matched against the path from where git runs, and, when
    /// it includes, against the file's name too, in any case (taking in too
    /// much, or leaving out too little, errs on the side of the check).
    Glob(String),
    /// Magic not modelled here (`icase`, `attr:`), or a run-time value: it
    /// covers every file when it includes and none when it excludes.
    Any,
}

impl Spec {
    fn includes(&self, abs: &Path, rel_to_top: &Path, base: &Path) -> bool {
        match self {
            Spec::Glob(g) => {
                let g = g.to_lowercase();
                let rel = abs.strip_prefix(base).unwrap_or(rel_to_top);
                let name = abs.file_name().unwrap_or_default();
                wildmatch(&g, &rel.to_string_lossy().to_lowercase())
                    || wildmatch(&g, &name.to_string_lossy().to_lowercase())
            }
            Spec::Any => true,
            Spec::Path(_) => self.excludes(abs, rel_to_top, base),
        }
    }

    fn excludes(&self, abs: &Path, rel_to_top: &Path, base: &Path) -> bool {
        match self {
            Spec::Path(p) => abs.starts_with(p),
            Spec::Glob(g) => {
                let rel = abs.strip_prefix(base).unwrap_or(rel_to_top);
                wildmatch(g, &rel.to_string_lossy())
            }
            Spec::Any => false,
        }
    }
}

/// The magic of a pathspec (`:!x`, `:^x`, `:/x`, `:(exclude,top)x`) and its pattern.
#[derive(Default)]
struct Magic {
    exclude: bool,
    top: bool,
    /// Magic not modelled here (`glob`, `icase`, `attr:`): matched loosely.
    other: bool,
}

fn pathspec_magic(v: &str) -> (Magic, &str) {
    let mut m = Magic::default();
    let Some(rest) = v.strip_prefix(':') else {
        return (m, v);
    };
    if let Some(long) = rest.strip_prefix('(') {
        let Some((words, pattern)) = long.split_once(')') else {
            m.other = true;
            return (m, rest);
        };
        for w in words.split(',') {
            match w.trim() {
                "exclude" => m.exclude = true,
                "top" => m.top = true,
                "literal" | "" => {}
                _ => m.other = true,
            }
        }
        return (m, pattern);
    }
    let mut chars = rest.char_indices();
    let mut end = rest.len();
    for (i, c) in chars.by_ref() {
        match c {
            '!' | '^' => m.exclude = true,
            '/' => m.top = true,
            ':' => {
                end = i + 1;
                break;
            }
            _ => {
                end = i;
                break;
            }
        }
    }
    (m, &rest[end.min(rest.len())..])
}

fn has_glob(p: &str) -> bool {
    p.contains(['*', '?', '['])
}

/// Does a tracked file still match its index entry (size and modification
/// time), so `git diff` of the working tree shows nothing of it?
fn unchanged(abs: &Path, f: &ztguard_paths::TrackedFile) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(m) = std::fs::symlink_metadata(abs) else {
        return false; // deleted: the diff prints what it held
    };
    m.is_file()
        && m.len() == u64::from(f.size)
        && m.mtime() as u32 == f.mtime.0
        && (f.mtime.1 == 0 || m.mtime_nsec() as u32 == f.mtime.1)
}

/// Documentation the agent writes: prose that may name a credential file's
/// path without anything running it.
fn is_prose(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".md", ".markdown", ".rst", ".txt", ".adoc", ".org"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Where text splits into words that may be paths.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || "\"'`(){},;=<>|&:+\\".contains(c)
}

/// The lines of a document's fenced code blocks (what doc tests run).
fn fenced_code(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            inside = !inside;
            continue;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}
