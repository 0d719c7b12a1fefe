//! A compiled policy layer: patterns parsed once, opinions on checks.

use std::path::Path;

use ztguard_paths::{Anchors, PatternList, wildmatch};

use crate::command::CommandPattern;
use crate::config::{Mode, RawFiles, RawNetwork, RawPolicy, RawProfile, RawRules};
use crate::decision::Verdict;

/// Where a group of rules came from, when not the layer's own file (e.g. `.claude/settings.json`).
#[derive(Clone, Debug)]
pub(crate) struct Origin<T> {
    pub origin: Option<String>,
    pub items: T,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Rules<T> {
    pub allow: Vec<Origin<T>>,
    pub ask: Vec<Origin<T>>,
    pub deny: Vec<Origin<T>>,
}

/// How far a layer's opinions reach (see [`Layer::role`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// A trusted layer (the built-in ones, the managed and user policies,
    /// the user's own Claude Code settings): every opinion counts.
    #[default]
    Base,
    /// The built-in default under a project that opted out of it
    /// (`[extend] use_default = false`): its asks and denies still count
    /// and its allows still bound the project's, but it allows nothing itself.
    Ceiling,
    /// An untrusted layer (the project's policy and Claude Code settings,
    /// every profile): it can only narrow. Its asks and denies count; its
    /// allow counts only where a base or ceiling layer allows the same check.
    Narrowing,
}

/// One layer of the policy.
#[derive(Clone, Debug, Default)]
pub struct Layer {
    /// For traces: "built-in protections", "project policy .ztguard.toml", "profile secure-code-review".
    pub name: String,
    /// Whether the layer can allow on its own, or only narrow.
    pub role: Role,
    /// The built-in default policy: it gives way to an explicit rule of a
    /// layer that edits it.
    pub builtin_default: bool,
    /// A trusted layer that edits the built-in default (the managed and
    /// user policies, the user's Claude Code settings): where one of its
    /// rules matches, the default's opinion is set aside.
    pub edits_default: bool,
    /// This layer's opinion on what its rules do not cover.
    pub default: Option<Verdict>,
    pub strict: bool,
    pub import_claude: bool,
    pub visible_prefix: Option<String>,
    pub secret_vars: Vec<String>,
    pub(crate) read: Vec<Origin<PatternList>>,
    pub(crate) write: Vec<Origin<PatternList>>,
    pub(crate) deny: Vec<Origin<PatternList>>,
    pub(crate) protect: Vec<Origin<PatternList>>,
    /// Writes here ask: files the host's tools run or obey later.
    pub(crate) ask_write: Vec<Origin<PatternList>>,
    pub(crate) commands: Rules<Vec<CommandPattern>>,
    pub(crate) tools: Rules<Vec<String>>,
    pub(crate) net_default: Option<Verdict>,
    pub(crate) net_allow: Vec<Origin<Vec<String>>>,
    pub(crate) net_ask: Vec<Origin<Vec<String>>>,
    pub(crate) net_deny: Vec<Origin<Vec<String>>>,
}

/// File access kinds the layer has an opinion on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

fn label(origin: &Option<String>) -> String {
    origin
        .as_ref()
        .map(|o| format!(" (from {o})"))
        .unwrap_or_default()
}

impl Layer {
    pub(crate) fn from_raw(name: &str, raw: &RawPolicy) -> Result<Layer, String> {
        let mut l = Layer {
            name: name.to_string(),
            default: raw.default,
            strict: raw.mode == Some(Mode::Strict),
            import_claude: raw.import_claude.unwrap_or(true),
            visible_prefix: raw.env.visible_prefix.clone(),
            secret_vars: raw
                .env
                .secret
                .iter()
                .map(|s| s.to_ascii_uppercase())
                .collect(),
            ..Default::default()
        };
        l.add_sections(&raw.files, &raw.commands, &raw.tools, &raw.network, None)?;
        Ok(l)
    }

    pub(crate) fn from_profile(name: &str, raw: &RawProfile) -> Result<Layer, String> {
        let mut l = Layer {
            name: format!("profile {name}"),
            default: raw.default,
            ..Default::default()
        };
        l.add_sections(&raw.files, &raw.commands, &raw.tools, &raw.network, None)?;
        Ok(l)
    }

    /// Add the four rule sections of a file (or of an imported settings file).
    pub(crate) fn add_sections(
        &mut self,
        files: &RawFiles,
        commands: &RawRules,
        tools: &RawRules,
        network: &RawNetwork,
        origin: Option<&str>,
    ) -> Result<(), String> {
        self.add_files(files, origin)?;
        self.add_commands(commands, origin)?;
        self.add_tools(tools, origin);
        self.add_network(network, origin);
        Ok(())
    }

    pub(crate) fn add_files(&mut self, f: &RawFiles, origin: Option<&str>) -> Result<(), String> {
        let o = origin.map(str::to_string);
        for (list, items, key) in [
            (&mut self.read, &f.read, "files.read"),
            (&mut self.write, &f.write, "files.write"),
            (&mut self.deny, &f.deny, "files.deny"),
            (&mut self.protect, &f.protect, "files.protect"),
            (&mut self.ask_write, &f.ask, "files.ask"),
        ] {
            if !items.is_empty() {
                let parsed = PatternList::parse(items).map_err(|e| format!("{key}: {e}"))?;
                list.push(Origin {
                    origin: o.clone(),
                    items: parsed,
                });
            }
        }
        Ok(())
    }

    pub(crate) fn add_commands(
        &mut self,
        r: &RawRules,
        origin: Option<&str>,
    ) -> Result<(), String> {
        let o = origin.map(str::to_string);
        for (list, items, key) in [
            (&mut self.commands.allow, &r.allow, "commands.allow"),
            (&mut self.commands.ask, &r.ask, "commands.ask"),
            (&mut self.commands.deny, &r.deny, "commands.deny"),
        ] {
            if !items.is_empty() {
                let parsed = items
                    .iter()
                    .map(|s| CommandPattern::parse(s))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| format!("{key}: {e}"))?;
                list.push(Origin {
                    origin: o.clone(),
                    items: parsed,
                });
            }
        }
        Ok(())
    }

    fn add_tools(&mut self, r: &RawRules, origin: Option<&str>) {
        let o = origin.map(str::to_string);
        for (list, items) in [
            (&mut self.tools.allow, &r.allow),
            (&mut self.tools.ask, &r.ask),
            (&mut self.tools.deny, &r.deny),
        ] {
            if !items.is_empty() {
                list.push(Origin {
                    origin: o.clone(),
                    items: items.clone(),
                });
            }
        }
    }

    fn add_network(&mut self, n: &RawNetwork, origin: Option<&str>) {
        let o = origin.map(str::to_string);
        if origin.is_none() {
            self.net_default = n.default.or(self.net_default);
        }
        for (list, items) in [
            (&mut self.net_allow, &n.allow),
            (&mut self.net_ask, &n.ask),
            (&mut self.net_deny, &n.deny),
        ] {
            if !items.is_empty() {
                list.push(Origin {
                    origin: o.clone(),
                    items: items.clone(),
                });
            }
        }
    }

    /// This layer's rule for a command, if any. Wrappers answer to deny rules only:
    /// what they run is checked on its own.
    /// This layer's rule for a command; `script`: it runs one of the
    /// project's own scripts ([`crate::command::PROJECT_SCRIPT`]).
    pub(crate) fn command(
        &self,
        argv: &[&str],
        wrapper: bool,
        script: bool,
    ) -> Option<(Verdict, String)> {
        let best = |sets: &Vec<Origin<Vec<CommandPattern>>>| {
            most_specific(sets, |p| {
                (p.matches(argv) || (script && p.is_project_script()))
                    .then(|| (p.specificity(), p.source.clone()))
            })
        };
        let deny = best(&self.commands.deny);
        let (ask, allow) = if wrapper {
            (None, None)
        } else {
            (best(&self.commands.ask), best(&self.commands.allow))
        };
        self.resolve("commands", deny, ask, allow)
    }

    /// This layer's rule for a tool name (`Agent(Explore)` forms are tried too).
    pub(crate) fn tool(&self, names: &[String]) -> Option<(Verdict, String)> {
        let best = |sets: &Vec<Origin<Vec<String>>>| {
            most_specific(sets, |p| {
                names
                    .iter()
                    .any(|n| tool_matches(p, n))
                    .then(|| (p.chars().filter(|c| *c != '*').count(), p.clone()))
            })
        };
        self.resolve(
            "tools",
            best(&self.tools.deny),
            best(&self.tools.ask),
            best(&self.tools.allow),
        )
    }

    /// Deny wins; between ask and allow the more specific rule wins, ask on a tie.
    fn resolve(
        &self,
        section: &str,
        deny: Option<(usize, String)>,
        ask: Option<(usize, String)>,
        allow: Option<(usize, String)>,
    ) -> Option<(Verdict, String)> {
        let (verdict, list, rule) = match (deny, ask, allow) {
            (Some((_, r)), _, _) => (Verdict::Deny, "deny", r),
            (None, Some((sa, _)), Some((sl, rl))) if sl > sa => (Verdict::Allow, "allow", rl),
            (None, Some((_, r)), _) => (Verdict::Ask, "ask", r),
            (None, None, Some((_, r))) => (Verdict::Allow, "allow", r),
            (None, None, None) => return None,
        };
        Some((verdict, format!("{}: {section}.{list} {rule}", self.name)))
    }

    /// The key components of the patterns that forbid reading (see
    /// [`PatternList::key_components`]); None when some pattern has none.
    pub(crate) fn read_deny_keys(&self) -> Option<Vec<&str>> {
        let mut out = Vec::new();
        for set in &self.deny {
            out.extend(set.items.key_components()?);
        }
        Some(out)
    }

    /// The deny or protect pattern that forbids `access` to a path (either spelling).
    pub(crate) fn forbids(
        &self,
        access: Access,
        lex: &Path,
        real: &Path,
        anchors: &Anchors,
    ) -> Option<String> {
        let lists: Vec<(&Vec<Origin<PatternList>>, &str)> = match access {
            Access::Read => vec![(&self.deny, "files.deny")],
            Access::Write => vec![(&self.deny, "files.deny"), (&self.protect, "files.protect")],
        };
        for (sets, key) in lists {
            for set in sets {
                if let Some(p) = set
                    .items
                    .matched(lex, anchors)
                    .or_else(|| set.items.matched(real, anchors))
                {
                    return Some(format!(
                        "{}: {key} \"{}\"{}",
                        self.name,
                        p.source,
                        label(&set.origin)
                    ));
                }
            }
        }
        None
    }

    /// This layer's rule for reading or writing a path.
    pub(crate) fn file(
        &self,
        access: Access,
        lex: &Path,
        real: &Path,
        anchors: &Anchors,
    ) -> Option<(Verdict, String)> {
        if let Some(rule) = self.forbids(access, lex, real, anchors) {
            return Some((Verdict::Deny, rule));
        }
        if access == Access::Write {
            for set in &self.ask_write {
                if let Some(p) = set
                    .items
                    .matched(lex, anchors)
                    .or_else(|| set.items.matched(real, anchors))
                {
                    return Some((
                        Verdict::Ask,
                        format!(
                            "{}: files.ask \"{}\"{}",
                            self.name,
                            p.source,
                            label(&set.origin)
                        ),
                    ));
                }
            }
        }
        let (sets, key) = match access {
            Access::Read => (&self.read, "files.read"),
            Access::Write => (&self.write, "files.write"),
        };
        let lex_hit = sets.iter().find_map(|s| {
            s.items
                .matched(lex, anchors)
                .map(|p| (p.source.clone(), label(&s.origin)))
        });
        let real_ok = lex == real
            || sets
                .iter()
                .any(|s| s.items.matched(real, anchors).is_some());
        match lex_hit {
            Some((p, o)) if real_ok => {
                Some((Verdict::Allow, format!("{}: {key} \"{p}\"{o}", self.name)))
            }
            _ => None,
        }
    }

    /// This layer's rule for a network destination.
    pub(crate) fn network(&self, host: Option<&str>) -> Option<(Verdict, String)> {
        let has_rules = self.net_default.is_some()
            || !self.net_allow.is_empty()
            || !self.net_ask.is_empty()
            || !self.net_deny.is_empty();
        let Some(host) = host else {
            let open = self
                .net_allow
                .iter()
                .any(|s| s.items.iter().any(|p| p == "*"));
            return has_rules.then(|| {
                if open {
                    (
                        Verdict::Allow,
                        format!("{}: network.allow \"*\"", self.name),
                    )
                } else {
                    (
                        Verdict::Ask,
                        format!(
                            "{}: network (destination not known before it runs)",
                            self.name
                        ),
                    )
                }
            });
        };
        for s in &self.net_deny {
            if let Some(p) = s.items.iter().find(|p| host_matches(p, host)) {
                return Some((
                    Verdict::Deny,
                    format!("{}: network.deny \"{p}\"{}", self.name, label(&s.origin)),
                ));
            }
        }
        for (sets, verdict, list) in [
            (&self.net_ask, Verdict::Ask, "ask"),
            (&self.net_allow, Verdict::Allow, "allow"),
        ] {
            for s in sets {
                if let Some(p) = s.items.iter().find(|p| host_matches(p, host)) {
                    return Some((
                        verdict,
                        format!("{}: network.{list} \"{p}\"{}", self.name, label(&s.origin)),
                    ));
                }
            }
        }
        self.net_default.map(|d| {
            (
                d,
                format!(
                    "{}: network.default = \"{d}\" (domain not listed)",
                    self.name
                ),
            )
        })
    }
}

/// The most specific matching rule of a rule list: (specificity, `"pattern" (from origin)`).
fn most_specific<T>(
    sets: &[Origin<Vec<T>>],
    mut score: impl FnMut(&T) -> Option<(usize, String)>,
) -> Option<(usize, String)> {
    let mut best: Option<(usize, String)> = None;
    for set in sets {
        for p in &set.items {
            if let Some((spec, source)) = score(p)
                && best.as_ref().is_none_or(|(s, _)| spec > *s)
            {
                best = Some((spec, format!("\"{source}\"{}", label(&set.origin))));
            }
        }
    }
    best
}

/// `docs.rs` matches that host; `*.github.com` any subdomain (not the apex); `*` anything.
/// The host is canonical (`ztguard_shell::urls::canonical_host`); so is a
/// pattern without wildcards, so that `[::1]`, `DOCS.RS.` or `127.1` in a
/// policy mean the host they spell.
pub(crate) fn host_matches(pattern: &str, host: &str) -> bool {
    let p = match pattern.contains('*') {
        false => ztguard_shell::urls::canonical_host(pattern)
            .unwrap_or_else(|| pattern.to_ascii_lowercase()),
        true => pattern.to_ascii_lowercase(),
    };
    let h = host.to_ascii_lowercase();
    if p == "*" || p == h {
        return true;
    }
    if let Some(suffix) = p.strip_prefix("*.") {
        return h.len() > suffix.len() + 1
            && h.ends_with(suffix)
            && h.as_bytes()[h.len() - suffix.len() - 1] == b'.';
    }
    p.contains('*') && wildmatch(&p, &h)
}

/// Tool names: wildcards, and `mcp__server` covering every tool of that server.
pub(crate) fn tool_matches(pattern: &str, name: &str) -> bool {
    if wildmatch(pattern, name) {
        return true;
    }
    if let Some(server) = pattern.strip_prefix("mcp__")
        && !server.contains("__")
        && !server.is_empty()
    {
        return name
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with("__"));
    }
    false
}

/// One rule of a layer, for `ztguard policy show`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RuleView {
    /// `commands.allow`, `files.deny`, `network.default`, …
    pub key: String,
    /// The pattern, host, tool name or value as written.
    pub rule: String,
    /// Where it came from when not the layer's own file (`.claude/settings.json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

impl Layer {
    /// Every rule of this layer, in section order.
    pub fn rules(&self) -> Vec<RuleView> {
        let mut out = Vec::new();
        let mut push = |key: &str, rule: String, from: &Option<String>| {
            out.push(RuleView {
                key: key.to_string(),
                rule,
                from: from.clone(),
            })
        };
        if let Some(d) = self.default {
            push("default", d.to_string(), &None);
        }
        if self.strict {
            push("mode", "strict".into(), &None);
        }
        if let Some(p) = &self.visible_prefix {
            push("env.visible_prefix", p.clone(), &None);
        }
        for s in &self.secret_vars {
            push("env.secret", s.clone(), &None);
        }
        for (key, sets) in [
            ("files.read", &self.read),
            ("files.write", &self.write),
            ("files.deny", &self.deny),
            ("files.protect", &self.protect),
            ("files.ask", &self.ask_write),
        ] {
            for set in sets {
                for p in set.items.patterns() {
                    push(key, p.source.clone(), &set.origin);
                }
            }
        }
        for (key, sets) in [
            ("commands.allow", &self.commands.allow),
            ("commands.ask", &self.commands.ask),
            ("commands.deny", &self.commands.deny),
        ] {
            for set in sets {
                for p in &set.items {
                    push(key, p.source.clone(), &set.origin);
                }
            }
        }
        for (key, sets) in [
            ("tools.allow", &self.tools.allow),
            ("tools.ask", &self.tools.ask),
            ("tools.deny", &self.tools.deny),
            ("network.allow", &self.net_allow),
            ("network.ask", &self.net_ask),
            ("network.deny", &self.net_deny),
        ] {
            for set in sets {
                for p in &set.items {
                    push(key, p.clone(), &set.origin);
                }
            }
        }
        if let Some(d) = self.net_default {
            push("network.default", d.to_string(), &None);
        }
        out
    }
}
