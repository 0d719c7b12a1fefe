//! `ztguard audit`: verify, repair, show, follow, count and replay the
//! audit log.

use std::collections::BTreeMap;
use std::io::{BufRead, Seek, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context as _, bail};
use clap::Subcommand;
use serde_json::{Value, json};
use ztguard_audit::{AnchorStatus, Record};

use crate::context;
use ztguard_core::{Places, trail};

/// Which log.
#[derive(clap::Args, Clone)]
pub struct LogArgs {
    /// The log file (default: the `[audit] path` of the project's policy, `.ztguard/audit.jsonl`).
    #[arg(long, value_name = "FILE", global = true)]
    pub log: Option<PathBuf>,
    /// The project whose log to read (default: the one around the current directory).
    #[arg(long, value_name = "DIR", global = true)]
    pub project: Option<PathBuf>,
}

/// Which records.
#[derive(clap::Args, Clone, Default)]
pub struct Filter {
    /// Only this session (an id, or a unique prefix of one).
    #[arg(long)]
    pub session: Option<String>,
    /// Only this decision: allow, ask, deny or block.
    #[arg(long)]
    pub decision: Option<String>,
    /// Only this tool (Bash, Read, Write, mcp__…).
    #[arg(long)]
    pub tool: Option<String>,
    /// Only this event (PreToolUse, PostToolUse, UserPromptSubmit, SessionRevoked, …).
    #[arg(long)]
    pub event: Option<String>,
    /// Only records newer than this: a duration (`30m`, `1h`, `2days`) or a time (`2026-11-29T12:00:00Z`).
    #[arg(long, value_name = "WHEN")]
    pub since: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Check the hash chain across every segment and the checkpoint kept outside the log; name the first bad line.
    #[command(
        long_about = "Check the audit log: every record's hash, its link to the one before, the sequence \
numbers across rotated segments, and the end of the log against its checkpoint (kept outside the log, \
in the data directory; signed when ~/.config/ztguard/audit.key exists). A modified, removed, inserted or \
reordered record, or a cut-off tail, is named with its file and line.\n\nExit status: 0 intact, 1 damage \
or tampering found, 2 the log could not be read."
    )]
    Verify {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Check only the chain, not the checkpoint: for a copy of a log
        /// archived or shipped elsewhere, whose checkpoint is on the machine that wrote it.
        #[arg(long)]
        chain_only: bool,
    },
    /// Remove lines torn by a crash mid-write (and the repeat an interrupted rotation left); never anything else.
    Repair,
    /// Show records, oldest first, with filters.
    Show {
        #[command(flatten)]
        filter: Filter,
        /// Print the records as JSON lines.
        #[arg(long)]
        json: bool,
        /// Show only the last N matching records.
        #[arg(long, short = 'n', value_name = "N")]
        last: Option<usize>,
    },
    /// Print the last records and, with -f, follow new ones as they are appended.
    Tail {
        /// Keep printing records as they arrive (Ctrl-C to stop).
        #[arg(short = 'f', long)]
        follow: bool,
        /// How many records to print first.
        #[arg(short = 'n', long, default_value_t = 10)]
        lines: usize,
        #[command(flatten)]
        filter: Filter,
        /// Print the records as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Counts per session, tool, event and decision, and the most-denied rules.
    Stats {
        #[command(flatten)]
        filter: Filter,
        /// Print the counts as JSON.
        #[arg(long)]
        json: bool,
    },
    /// One session in order, for incident investigation: what it read, wrote, ran, fetched and was denied.
    Timeline {
        /// The session (an id, or a unique prefix of one).
        #[arg(long)]
        session: String,
        /// Print the records as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Create the key that signs checkpoints (HMAC-SHA256), or show where it is.
    #[command(
        long_about = "Signed checkpoints make a rewritten log detectable even by someone who can write both the \
log and its checkpoint: without the key they cannot sign a new end. The key lives in \
~/.config/ztguard/audit.key (or $ZTGUARD_AUDIT_KEY), mode 600; the built-in protections deny the agent \
reading it and running this command."
    )]
    Key {
        /// Create a new key (refuses to replace one).
        #[arg(long)]
        new: bool,
    },
}

pub fn run(cmd: &Command, log: &LogArgs) -> anyhow::Result<ExitCode> {
    let home = context::home();
    let places = context::places(&home);
    if let Command::Key { new } = cmd {
        return key(&places, *new);
    }
    let (log_path, project) = resolve_log(log, &home)?;
    match cmd {
        Command::Verify { json, chain_only } => verify(&log_path, &places, *json, *chain_only),
        Command::Repair => repair(&log_path),
        Command::Show { filter, json, last } => show(&log_path, filter, *json, *last),
        Command::Tail {
            follow,
            lines,
            filter,
            json,
        } => tail(&log_path, *follow, *lines, filter, *json),
        Command::Stats { filter, json } => stats(&log_path, filter, *json),
        Command::Timeline { session, json } => timeline(&log_path, &project, session, *json),
        Command::Key { .. } => Ok(ExitCode::SUCCESS),
    }
}

/// The log and the project it belongs to.
pub fn resolve_log(log: &LogArgs, home: &Path) -> anyhow::Result<(PathBuf, PathBuf)> {
    let project = context::project_arg(log.project.as_deref())?;
    if let Some(l) = &log.log {
        return Ok((context::absolute(l), project));
    }
    let settings = match context::load(&project, home, None, false) {
        Ok(p) => p.audit,
        Err(e) => {
            eprintln!(
                "ztguard: warning: the policy does not load ({e}); using the default log path"
            );
            ztguard_policy::AuditSettings::default()
        }
    };
    Ok((trail::log_path(&project, &settings), project))
}

fn status_name(s: &AnchorStatus) -> &'static str {
    match s {
        AnchorStatus::Matches { .. } => "matches",
        AnchorStatus::NoCheckpoint => "no-checkpoint",
        AnchorStatus::Truncated { .. } => "truncated",
        AnchorStatus::Diverged { .. } => "diverged",
        AnchorStatus::Unanchored { .. } => "unanchored",
        AnchorStatus::Unsigned => "unsigned",
        AnchorStatus::BadSignature => "bad-signature",
    }
}

fn verify(
    log: &Path,
    places: &Places,
    json_out: bool,
    chain_only: bool,
) -> anyhow::Result<ExitCode> {
    let anchor = trail::anchor(log, places).map_err(anyhow::Error::msg)?;
    let (v, status) = if chain_only {
        let v = ztguard_audit::verify(log).map_err(anyhow::Error::msg)?;
        (v, None)
    } else {
        let (v, s) = ztguard_audit::check_anchor(log, &anchor).map_err(anyhow::Error::msg)?;
        (v, Some(s))
    };
    let ok = v.ok() && status.as_ref().is_none_or(AnchorStatus::ok);
    if json_out {
        let out = json!({
            "log": log,
            "ok": ok,
            "records": v.records,
            "files": v.files,
            "last_seq": v.last_seq,
            "first_bad": v.first_bad.as_ref().map(|(at, why)| json!({"file": at.file, "line": at.line, "why": why})),
            "torn": v.torn.iter().map(|at| json!({"file": at.file, "line": at.line})).collect::<Vec<_>>(),
            "anchor": status.as_ref().map(|status| json!({
                "status": status_name(status),
                "detail": status.describe(),
                "checkpoint": anchor.path,
                "signed": anchor.key.is_some(),
            })),
        });
        println!("{out}");
    } else {
        println!(
            "{}: {} record{} in {} file{}, last sequence {}.",
            log.display(),
            v.records,
            plural(v.records),
            v.files,
            plural(v.files as u64),
            v.last_seq
        );
        match &v.first_bad {
            Some((at, why)) => println!("TAMPERED at {at}: {why}."),
            None => println!("Chain intact."),
        }
        for at in &v.torn {
            println!(
                "Torn line at {at} (a crash mid-write, not tampering): `ztguard audit repair` removes it."
            );
        }
        let signed = if anchor.key.is_some() {
            " (signed)"
        } else {
            " (unsigned: `ztguard audit key --new` adds a signing key)"
        };
        match &status {
            None => println!("Checkpoint not checked (--chain-only)."),
            Some(s) if s.ok() => println!("Checkpoint: {}{signed}.", s.describe()),
            Some(s) if v.first_bad.is_none() => println!("CHECKPOINT MISMATCH: {}.", s.describe()),
            Some(_) => {}
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn repair(log: &Path) -> anyhow::Result<ExitCode> {
    let done = ztguard_audit::repair(log).map_err(anyhow::Error::msg)?;
    if done.torn == 0 && done.repeated == 0 {
        println!("{}: nothing to repair.", log.display());
    } else {
        println!(
            "{}: removed {} torn line{} and {} repeated record{}.",
            log.display(),
            done.torn,
            plural(done.torn as u64),
            done.repeated,
            plural(done.repeated as u64)
        );
    }
    let v = ztguard_audit::verify(log).map_err(anyhow::Error::msg)?;
    if let Some((at, why)) = &v.first_bad {
        println!(
            "The chain is still broken at {at}: {why}. That is not crash damage; it is left for investigation."
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The time of a record.
fn record_time(r: &Record) -> Option<SystemTime> {
    humantime::parse_rfc3339(r.str("ts")?).ok()
}

/// `--since`: a duration back from now, or a time.
fn since_time(s: &str) -> anyhow::Result<SystemTime> {
    if let Ok(d) = humantime::parse_duration(s) {
        return Ok(SystemTime::now() - d);
    }
    humantime::parse_rfc3339_weak(s).with_context(|| {
        format!("--since {s}: give a duration (30m, 1h, 2days) or a time (2026-11-29T12:00:00Z)")
    })
}

/// A compiled filter.
struct Matcher {
    session: Option<String>,
    decision: Option<String>,
    tool: Option<String>,
    event: Option<String>,
    since: Option<SystemTime>,
}

impl Matcher {
    fn new(f: &Filter, log: &Path) -> anyhow::Result<Matcher> {
        if let Some(d) = &f.decision
            && !["allow", "ask", "deny", "block"].contains(&d.as_str())
        {
            bail!("--decision {d}: use allow, ask, deny or block");
        }
        let session = match &f.session {
            Some(s) => Some(full_session(log, s)?),
            None => None,
        };
        Ok(Matcher {
            session,
            decision: f.decision.clone(),
            tool: f.tool.clone(),
            event: f.event.clone(),
            since: f.since.as_deref().map(since_time).transpose()?,
        })
    }
    fn matches(&self, r: &Record) -> bool {
        // Names are matched without regard to case: `--tool bash` as `check bash` spells it.
        let eq = |want: &Option<String>, key: &str| {
            want.as_deref()
                .is_none_or(|w| r.str(key).is_some_and(|v| v.eq_ignore_ascii_case(w)))
        };
        eq(&self.session, "session")
            && eq(&self.decision, "decision")
            && eq(&self.tool, "tool")
            && eq(&self.event, "event")
            && self
                .since
                .is_none_or(|t| record_time(r).is_some_and(|rt| rt >= t))
    }
}

/// A session id from an id or a unique prefix of one.
fn full_session(log: &Path, given: &str) -> anyhow::Result<String> {
    let mut ids: Vec<String> = Vec::new();
    ztguard_audit::for_each_record(log, |r| {
        if let Some(s) = r.str("session")
            && !ids.iter().any(|f| f == s)
        {
            ids.push(s.to_string());
        }
        true
    })
    .map_err(anyhow::Error::msg)?;
    context::unique_session(given, ids.iter().map(String::as_str), log)
}

fn records(log: &Path, m: &Matcher) -> anyhow::Result<Vec<Record>> {
    let mut out = Vec::new();
    ztguard_audit::for_each_record(log, |r| {
        if m.matches(&r) {
            out.push(r);
        }
        true
    })
    .map_err(anyhow::Error::msg)?;
    Ok(out)
}

/// One record on one line, for people.
fn line(r: &Record) -> String {
    let seq = r.u64("seq").unwrap_or(0);
    let ts = r.str("ts").unwrap_or("?");
    let session: String = r.str("session").unwrap_or("-").chars().take(8).collect();
    let event = r.str("event").unwrap_or("?");
    let tool = r.str("tool").unwrap_or("");
    let decision = r.str("decision").unwrap_or("");
    let what = subject(r);
    let why = match decision {
        "deny" | "ask" | "block" => r
            .str("reason")
            .map(|s| format!(" — {}", s.strip_prefix("ztguard: ").unwrap_or(s)))
            .unwrap_or_default(),
        _ => r
            .str("reason")
            .filter(|_| event == "SessionRevoked")
            .map(|s| format!(" — {s}"))
            .unwrap_or_default(),
    };
    format!("{ts} #{seq:<6} {session:<8} {event:<17} {tool:<10} {decision:<5} {what}{why}")
}

/// What a record is about: the command, path, URL, query or prompt size.
fn subject(r: &Record) -> String {
    let input = r.fields.get("input");
    let get = |k: &str| input.and_then(|i| i.get(k)).and_then(Value::as_str);
    if let Some(c) = get("command") {
        return c.replace('\n', "⏎");
    }
    for k in ["path", "url", "query", "pattern", "subagent_type"] {
        if let Some(v) = get(k) {
            return v.to_string();
        }
    }
    if let Some(n) = r.u64("prompt_bytes") {
        return format!("prompt of {n} bytes");
    }
    if r.str("event") == Some("SecretUse") {
        let names: Vec<&str> = r
            .fields
            .get("secrets")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let code = r
            .fields
            .get("exit_code")
            .map(|c| format!(" (exit {c})"))
            .unwrap_or_default();
        return format!(
            "{} → {}{code}",
            names.join(","),
            r.str("command").unwrap_or("")
        );
    }
    for k in ["source", "error"] {
        if let Some(v) = r.str(k) {
            return v.to_string();
        }
    }
    if r.str("event") == Some("SessionEnd") {
        return r.str("reason").unwrap_or("").to_string();
    }
    String::new()
}

fn print_record(r: &Record, json_out: bool) {
    if json_out {
        println!("{}", Value::Object(r.fields.clone()));
    } else {
        println!("{}", line(r));
    }
}

fn show(log: &Path, f: &Filter, json_out: bool, last: Option<usize>) -> anyhow::Result<ExitCode> {
    let m = Matcher::new(f, log)?;
    let rs = records(log, &m)?;
    let skip = last.map_or(0, |n| rs.len().saturating_sub(n));
    for r in &rs[skip..] {
        print_record(r, json_out);
    }
    if !json_out && rs.is_empty() {
        eprintln!("no matching records in {}", log.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn tail(
    log: &Path,
    follow: bool,
    n: usize,
    f: &Filter,
    json_out: bool,
) -> anyhow::Result<ExitCode> {
    let m = Matcher::new(f, log)?;
    let rs = records(log, &m)?;
    for r in &rs[rs.len().saturating_sub(n)..] {
        print_record(r, json_out);
    }
    if !follow {
        return Ok(ExitCode::SUCCESS);
    }
    let _ = std::io::stdout().flush();
    // Follow the live file from its end; a rotation empties it in place,
    // which shows as a file shorter than what was read.
    let mut offset = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
    let mut partial = String::new();
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let len = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
        if len < offset {
            offset = 0;
            partial.clear();
        }
        if len == offset {
            continue;
        }
        let mut file = std::fs::File::open(log)?;
        file.seek(std::io::SeekFrom::Start(offset))?;
        let mut reader = std::io::BufReader::new(file);
        let mut chunk = String::new();
        loop {
            chunk.clear();
            let read = reader.read_line(&mut chunk)?;
            if read == 0 {
                break;
            }
            offset += read as u64;
            if !chunk.ends_with('\n') {
                partial.push_str(&chunk);
                continue;
            }
            let text = std::mem::take(&mut partial) + chunk.trim_end();
            if let Ok(fields) = serde_json::from_str(&text) {
                let r = Record { fields };
                if m.matches(&r) {
                    print_record(&r, json_out);
                }
            }
        }
        let _ = std::io::stdout().flush();
    }
}

#[derive(Default)]
struct Counts {
    total: u64,
    by_decision: BTreeMap<String, u64>,
}

fn stats(log: &Path, f: &Filter, json_out: bool) -> anyhow::Result<ExitCode> {
    let m = Matcher::new(f, log)?;
    let mut sessions: BTreeMap<String, Counts> = BTreeMap::new();
    let mut tools: BTreeMap<String, Counts> = BTreeMap::new();
    let mut events: BTreeMap<String, u64> = BTreeMap::new();
    let mut decisions: BTreeMap<String, u64> = BTreeMap::new();
    let mut denied_rules: BTreeMap<String, u64> = BTreeMap::new();
    let mut revoked: Vec<(String, String)> = Vec::new();
    let mut total = 0u64;
    ztguard_audit::for_each_record(log, |r| {
        if !m.matches(&r) {
            return true;
        }
        total += 1;
        let event = r.str("event").unwrap_or("?").to_string();
        *events.entry(event.clone()).or_default() += 1;
        if event == "SessionRevoked" {
            revoked.push((
                r.str("session").unwrap_or("?").to_string(),
                r.str("rule").unwrap_or("?").to_string(),
            ));
        }
        let Some(d) = r.str("decision") else {
            return true;
        };
        *decisions.entry(d.to_string()).or_default() += 1;
        let count = |map: &mut BTreeMap<String, Counts>, key: &str| {
            let c = map.entry(key.to_string()).or_default();
            c.total += 1;
            *c.by_decision.entry(d.to_string()).or_default() += 1;
        };
        count(&mut sessions, r.str("session").unwrap_or("-"));
        if let Some(t) = r.str("tool") {
            count(&mut tools, t);
        }
        if d == "deny"
            && let Some(rule) = r.str("rule")
        {
            *denied_rules.entry(rule.to_string()).or_default() += 1;
        }
        true
    })
    .map_err(anyhow::Error::msg)?;
    let mut top: Vec<(String, u64)> = denied_rules.into_iter().collect();
    top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    top.truncate(10);
    let table = |map: &BTreeMap<String, Counts>| -> Value {
        map.iter()
            .map(|(k, c)| {
                (
                    k.clone(),
                    json!({"total": c.total, "decisions": c.by_decision}),
                )
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
    };
    if json_out {
        println!(
            "{}",
            json!({
                "records": total,
                "events": events,
                "decisions": decisions,
                "sessions": table(&sessions),
                "tools": table(&tools),
                "most_denied_rules": top.iter().map(|(r, n)| json!({"rule": r, "denials": n})).collect::<Vec<_>>(),
                "revoked": revoked.iter().map(|(s, r)| json!({"session": s, "rule": r})).collect::<Vec<_>>(),
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    let fmt_counts = |c: &Counts| {
        c.by_decision
            .iter()
            .map(|(d, n)| format!("{d} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("{total} records in {}", log.display());
    if decisions.is_empty() {
        println!(
            "no tool call decisions{}",
            if total == 0 {
                " (nothing recorded yet, or nothing matches the filters)"
            } else {
                ""
            }
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "decisions: {}",
        decisions
            .iter()
            .map(|(d, n)| format!("{d} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!("\nper session:");
    for (s, c) in &sessions {
        println!("  {s:<38} {:>6} calls  ({})", c.total, fmt_counts(c));
    }
    println!("\nper tool:");
    for (t, c) in &tools {
        println!("  {t:<38} {:>6} calls  ({})", c.total, fmt_counts(c));
    }
    if !top.is_empty() {
        println!("\nmost-denied rules:");
        for (rule, n) in &top {
            println!("  {n:>6}  {rule}");
        }
    }
    if !revoked.is_empty() {
        println!("\nrevoked sessions:");
        for (s, rule) in &revoked {
            println!("  {s}  ({rule})");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The verb of a tool call in a timeline.
fn verb(r: &Record) -> &'static str {
    match r.str("tool").unwrap_or("") {
        "Bash" | "PowerShell" | "Monitor" => "run",
        "Read" | "NotebookRead" => "read",
        "Write" | "Edit" | "MultiEdit" | "NotebookEdit" => "write",
        "Glob" | "LS" => "list",
        "Grep" => "search",
        "WebFetch" => "fetch",
        "WebSearch" => "web-search",
        "Agent" | "Task" => "subagent",
        _ => "call",
    }
}

fn timeline(log: &Path, project: &Path, session: &str, json_out: bool) -> anyhow::Result<ExitCode> {
    let session = full_session(log, session)?;
    let m = Matcher::new(
        &Filter {
            session: Some(session.clone()),
            ..Filter::default()
        },
        log,
    )?;
    let rs = records(log, &m)?;
    if json_out {
        for r in &rs {
            print_record(r, true);
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "session {session} — {} records in {}",
        rs.len(),
        log.display()
    );
    let (mut reads, mut writes, mut runs, mut denied) = (0, 0, 0, 0);
    // Paths inside the project are shown relative to it.
    let inside = format!("{}/", project.display());
    for r in &rs {
        let time = r
            .str("ts")
            .and_then(|t| t.get(11..19))
            .unwrap_or("??:??:??");
        let event = r.str("event").unwrap_or("?");
        let what = subject(r).replace(&inside, "");
        let text = match event {
            "PreToolUse" => {
                let v = verb(r);
                match r.str("decision") {
                    Some("allow") => {
                        match v {
                            "read" | "list" | "search" => reads += 1,
                            "write" => writes += 1,
                            "run" => runs += 1,
                            _ => {}
                        }
                        let size = r
                            .fields
                            .get("input")
                            .and_then(|i| i.get("content_bytes"))
                            .and_then(Value::as_u64)
                            .map(|n| format!(" ({n} bytes)"))
                            .unwrap_or_default();
                        format!("{v:<10} {what}{size}")
                    }
                    Some(d) => {
                        if d == "deny" {
                            denied += 1;
                        }
                        let label = if d == "deny" { "DENIED" } else { "ASKED" };
                        // An unknown tool is named: "call" alone says nothing.
                        let v = if v == "call" {
                            format!("call {}", r.str("tool").unwrap_or("?"))
                        } else {
                            v.to_string()
                        };
                        format!("{label} {v} {what} — {}", r.str("rule").unwrap_or(""))
                    }
                    None => format!("{v:<10} {what}"),
                }
            }
            "PermissionRequest" => {
                format!("permission {} for {what}", r.str("decision").unwrap_or("?"))
            }
            "PostToolUse" => format!("  ↳ {} finished", r.str("tool").unwrap_or("?")),
            "PostToolUseFailure" => format!(
                "  ↳ {} failed: {}",
                r.str("tool").unwrap_or("?"),
                r.str("error").unwrap_or("")
            ),
            "UserPromptSubmit" if r.str("decision") == Some("block") => format!(
                "PROMPT BLOCKED ({})",
                r.fields
                    .get("found")
                    .and_then(Value::as_array)
                    .map(|f| f
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            ),
            "UserPromptSubmit" => format!("prompt     {what}"),
            "SessionStart" => format!("session started ({what})"),
            "SessionEnd" => format!("session ended ({what})"),
            "SessionRevoked" => format!(
                "REVOKED: {} ({})",
                r.str("reason").unwrap_or(""),
                r.str("rule").unwrap_or("")
            ),
            "SessionUnlocked" => "unlocked by a human".to_string(),
            other => format!("{other} {what}"),
        };
        println!("{time}  {text}");
    }
    println!("\n{reads} reads, {writes} writes, {runs} commands allowed; {denied} calls denied.");
    let dir = ztguard_monitor::session::dir(project);
    if let Ok(Some(s)) = ztguard_monitor::session::load(&dir, &session) {
        match &s.revoked {
            Some(r) => println!(
                "The session is revoked ({}: {}). Unlock it with `ztguard session unlock {session}`.",
                r.rule, r.why
            ),
            None => println!("The session is not revoked."),
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn key(places: &Places, new: bool) -> anyhow::Result<ExitCode> {
    let path = &places.key_file;
    if new {
        ztguard_audit::new_key(path).map_err(anyhow::Error::msg)?;
        println!(
            "created {} (mode 600). From now on every checkpoint is signed; keep the key out of the agent's reach (the built-in protections deny reading it).",
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    match ztguard_audit::load_key(path) {
        Ok(Some(_)) => println!("{}: present; checkpoints are signed.", path.display()),
        Ok(None) => println!(
            "{}: no key; checkpoints are unsigned. `ztguard audit key --new` creates one.",
            path.display()
        ),
        Err(e) => {
            println!("{e}");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}
