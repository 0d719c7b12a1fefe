//! The pipeline every tool call goes through, whichever front end asks:
//!
//! 1. **policy**: the policy's decision, with the trace of rules;
//! 2. **content review**: secrets, insecure code and risky dependencies in
//!    what the call writes or installs ([`crate::review`]);
//! 3. **provenance**: running a file the agent wrote and no human approved
//!    ([`crate::provenance`]);
//! 4. **session monitor**: count the call, revoke the session on an
//!    anomaly, deny every call of a revoked one ([`crate::session`]);
//! 5. **approver**: where no human can answer an ask (the front end says
//!    so, [`Approver`]), what would be asked is denied ([`crate::approver`]);
//! 6. **record**: before a call that may run and can change the project,
//!    a checkpoint of its working tree when `[undo] checkpoints` asks for
//!    one (by default: calls from inside `ztguard exec`) ([`crate::undo`];
//!    its failure is recorded and changes nothing); then the call and its decision, with
//!    the checkpoint's id, in the audit log ([`crate::trail`]); a call that
//!    cannot be recorded is not allowed;
//! 7. **alert**: the configured targets hear of a denial or a revocation
//!    ([`crate::alert`]).
//!
//! A dry run ([`Guard::dry_run`]) makes the same decision — a revoked
//! session and unapproved agent-written files included — without counting,
//! recording or alerting. Any stage that fails, fails closed: its
//! [`Error`] becomes a step of the decision that says what failed.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Map, Value, json};
use ztguard_policy::{Action, AuditSettings, Check, Decision, Policy, Request, Step, Verdict};

use crate::approver::Approver;
use crate::redact::{cut, redact_text};
use crate::trail::{self, Kind, Trail};
use crate::{Env, Error, alert, provenance, review, session, undo};

/// Count, record and alert, or only decide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Live,
    DryRun,
}

/// Who made a call and where: what every record of it starts with.
#[derive(Clone, Debug)]
pub struct Origin {
    /// The agent's name for the event, recorded as given.
    pub event: String,
    /// The agent's session id.
    pub session: Option<String>,
    /// The agent's own identification of the call (which agent, subagent,
    /// call id), recorded as given after the session.
    pub fields: Map<String, Value>,
    /// The directory the call runs in (absolute).
    pub cwd: PathBuf,
    /// The tool's name as the agent calls it.
    pub tool: Option<String>,
    /// When the front end started answering (a record's latency).
    pub started: Instant,
}

/// One tool call to decide.
pub struct ToolCall<'a> {
    pub origin: Origin,
    /// The tool's name as the agent calls it (tool rules match it).
    pub tool: String,
    pub action: Action,
    /// The subagent type making the call (selects its profile).
    pub agent_type: Option<String>,
    /// Count the call in its session (false for a second look at a call
    /// already counted).
    pub count: bool,
    /// What the call was asked to do, summarised for the record (redacted
    /// by whoever builds it); asked for only when a record is written.
    pub summary: &'a dyn Fn() -> Map<String, Value>,
    /// Who would answer an ask: with nobody, an ask is denied.
    pub approver: Approver,
}

/// The answer to one tool call.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub decision: Decision,
    /// Content findings set to `warn`: for the human and the agent, the
    /// decision is unchanged.
    pub warning: Option<String>,
    /// For the human only: what was alerted (a denial, a revoked session).
    pub notice: Option<String>,
    /// Every stage that failed; all but an alert and a checkpoint
    /// ([`crate::undo`]) changed the decision.
    pub failures: Vec<Error>,
}

/// The guard of one project under one policy: opened once, it answers
/// every call of that project.
pub struct Guard {
    env: Arc<Env>,
    project: PathBuf,
    profile: Option<String>,
    strict: bool,
    policy: Result<Policy, Error>,
}

impl Guard {
    /// Load the policy of `project` (with `profile` forced and `strict`).
    /// A policy that does not load is kept as its error: every tool call
    /// then fails closed, and records use the default settings.
    pub fn open(env: Arc<Env>, project: PathBuf, profile: Option<&str>, strict: bool) -> Guard {
        let policy = Policy::load(&env.load_options(&project, profile, strict))
            .map_err(|e| Error::Policy(e.to_string()));
        Guard {
            env,
            project,
            profile: profile.map(str::to_string),
            strict,
            policy,
        }
    }

    pub fn project(&self) -> &Path {
        &self.project
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The policy, or why it did not load.
    pub fn policy(&self) -> Result<&Policy, &Error> {
        self.policy.as_ref()
    }

    /// Decide a tool call, count it, record it and alert: the seven steps.
    /// Err only when there is no policy to decide with.
    pub fn tool_call(&self, call: ToolCall<'_>) -> Result<Outcome, Error> {
        self.run(call, Mode::Live)
    }

    /// The decision [`Guard::tool_call`] would make, with no side effect.
    pub fn dry_run(&self, call: ToolCall<'_>) -> Result<Outcome, Error> {
        self.run(call, Mode::DryRun)
    }

    fn run(&self, call: ToolCall<'_>, mode: Mode) -> Result<Outcome, Error> {
        let policy = self.policy.as_ref().map_err(Clone::clone)?;
        let ToolCall {
            origin,
            tool,
            action,
            agent_type,
            count,
            summary,
            approver,
        } = call;
        let req = Request {
            tool,
            action,
            cwd: origin.cwd.clone(),
            project: self.project.clone(),
            home: self.env.home.clone(),
            agent_type,
        };
        let mut failures = Vec::new();
        // 1. policy
        let decision = policy.evaluate(&req);
        // 2. content review
        let review = review::review(policy, &req, decision, &self.env.data_dir);
        failures.extend(review.error);
        // 3. provenance
        let decision = provenance::agent_written(policy, &req, review.decision);
        // 4. session monitor
        let sid = origin.session.as_deref();
        let watched = session::watch(policy, &self.project, sid, count, decision, mode);
        failures.extend(watched.error);
        let revoked_now = watched.revoked_now;
        // 5. approver (after the monitor, which counts what the policy decided)
        let (mut decision, ask_denied) = approver.settle(watched.decision);
        if mode == Mode::DryRun {
            return Ok(Outcome {
                decision,
                warning: review.warning,
                notice: None,
                failures,
            });
        }
        // Before a call that may run and can change the project: a
        // checkpoint for `ztguard undo` — by default only for calls from
        // inside `ztguard exec` (`[undo] checkpoints`), so a hook called
        // directly pays nothing for it. Its failure changes no decision.
        let checkpoint = (decision.verdict != Verdict::Deny
            && policy
                .undo
                .checkpoints
                .take(self.env.pinned_project.is_some())
            && undo::changes_project(&req.tool, &req.action, &self.env.home))
        .then(|| {
            undo::take(
                &self.env.data_dir,
                &self.project,
                &undo::label(&req.tool, &req.action),
            )
        });
        let checkpoint = match checkpoint {
            Some(Ok(t)) => Some(Ok(t.id)),
            Some(Err(e)) => {
                let message = e.message().to_string();
                failures.push(e);
                Some(Err(message))
            }
            None => None,
        };
        // 6. record
        let recorded = self.record_call(
            policy,
            &origin,
            &req.action,
            summary,
            &decision,
            notes(ask_denied.as_deref(), checkpoint),
        );
        let revoked = match &revoked_now {
            Some(a) => self.record_revoked(policy, &origin, a),
            None => Ok(()),
        };
        if let Err(e) = revoked.and(recorded) {
            decision = fail_closed(decision, &e);
            failures.push(e);
        }
        // 7. alert
        let mut notice = None;
        let sid = sid.unwrap_or("?");
        let raised = if let Some(a) = &revoked_now {
            let text = format!(
                "ztguard revoked session {sid}: {}. Every further tool call of this session is denied. \
                 Review it with `ztguard audit timeline --session {sid}`, then `ztguard session unlock {sid}`.",
                a.why
            );
            let r = self.alert(policy, &origin, "session-revoked", &text, &decision);
            notice = Some(text);
            r
        } else if decision.verdict == Verdict::Deny && policy.audit.alert_on_deny {
            let text = format!("ztguard denied {}: {}", req.tool, short(&decision.reason));
            let r = self.alert(policy, &origin, "denied", &text, &decision);
            notice = Some(text);
            r
        } else {
            Ok(())
        };
        failures.extend(raised.err());
        Ok(Outcome {
            decision,
            warning: review.warning,
            notice,
            failures,
        })
    }

    /// The record of a decided call, if the policy wants it, with `notes`.
    fn record_call(
        &self,
        policy: &Policy,
        origin: &Origin,
        action: &Action,
        summary: &dyn Fn() -> Map<String, Value>,
        d: &Decision,
        notes: Map<String, Value>,
    ) -> Result<(), Error> {
        let Some(t) =
            Trail::open(&policy.audit, &self.project, &self.env.places).map_err(Error::Audit)?
        else {
            return Ok(());
        };
        let kind = Kind::Tool {
            file_access: file_access(action),
            allowed: d.verdict == Verdict::Allow,
        };
        if !t.wants(kind) {
            return Ok(());
        }
        let mut m = Map::new();
        m.insert("input".into(), Value::Object(summary()));
        decision_fields(&mut m, d);
        m.extend(notes);
        self.stamp(&mut m);
        append(&t, origin, m)
    }

    /// The record of a session this call revoked.
    fn record_revoked(
        &self,
        policy: &Policy,
        origin: &Origin,
        a: &ztguard_monitor::Anomaly,
    ) -> Result<(), Error> {
        let Some(t) =
            Trail::open(&policy.audit, &self.project, &self.env.places).map_err(Error::Audit)?
        else {
            return Ok(());
        };
        let mut m = base(origin);
        m.insert("event".into(), Value::from("SessionRevoked"));
        m.insert("rule".into(), Value::from(format!("monitor.{}", a.rule)));
        m.insert("reason".into(), Value::from(a.why.clone()));
        self.stamp(&mut m);
        t.append(m).map(|_| ())
    }

    /// Send an alert to the configured commands and URLs.
    fn alert(
        &self,
        policy: &Policy,
        origin: &Origin,
        kind: &str,
        text: &str,
        d: &Decision,
    ) -> Result<(), Error> {
        if policy.audit.alert_commands.is_empty() && policy.audit.alert_urls.is_empty() {
            return Ok(());
        }
        let body = json!({
            "source": "ztguard",
            "kind": kind,
            "ts": trail::now(),
            "session": origin.session,
            "project": self.project,
            "tool": origin.tool,
            "decision": d.verdict.as_str(),
            "rule": d.rule,
            "message": redact_text(text),
        });
        alert::raise(&policy.audit, &body)
    }

    /// Record an event that decides nothing: `extra` after the common
    /// fields, if the policy wants it (a policy that did not load records
    /// with the default settings).
    pub fn record(
        &self,
        origin: &Origin,
        kind: Kind,
        extra: Map<String, Value>,
    ) -> Result<(), Error> {
        let default;
        let settings = match &self.policy {
            Ok(p) => &p.audit,
            Err(_) => {
                default = AuditSettings::default();
                &default
            }
        };
        let Some(t) =
            Trail::open(settings, &self.project, &self.env.places).map_err(Error::Audit)?
        else {
            return Ok(());
        };
        if !t.wants(kind) {
            return Ok(());
        }
        let mut extra = extra;
        self.stamp(&mut extra);
        append(&t, origin, extra)
    }

    /// After a call ran: note the files it wrote (see
    /// [`provenance::written_files`]) as the agent's.
    pub fn note_written(&self, origin: &Origin, action: &Action) -> Result<(), Error> {
        let files = provenance::written_files(action, &origin.cwd, &self.env.home);
        let sid = origin.session.as_deref().unwrap_or("?");
        let tool = origin.tool.as_deref().unwrap_or("");
        // Events from inside `ztguard exec` name files on the sandbox's
        // word: only those really in the project are hashed.
        let scope = match self.env.pinned_project {
            Some(_) => ztguard_monitor::provenance::Scope::Project,
            None => ztguard_monitor::provenance::Scope::Anywhere,
        };
        provenance::note_written(&self.project, &files, sid, tool, scope)
    }

    /// Mark a record made from an event the sandbox supplied (`ztguard
    /// exec`'s broker answers the hook inside it): `"supplied_by": "sandbox"`.
    fn stamp(&self, m: &mut Map<String, Value>) {
        if self.env.pinned_project.is_some() {
            m.insert("supplied_by".into(), Value::from("sandbox"));
        }
    }

    /// A session starts (`start`) or ends: its state is opened (with its
    /// baseline) or closed. Nothing without a policy or with the monitor off.
    pub fn session_mark(&self, sid: &str, start: bool) -> Result<(), Error> {
        match &self.policy {
            Ok(p) => session::mark(p, &self.project, sid, start),
            Err(_) => Ok(()),
        }
    }

    fn key(&self, project: &Path, profile: Option<&str>, strict: bool) -> bool {
        self.project == project && self.profile.as_deref() == profile && self.strict == strict
    }
}

/// Guards opened on demand, one per project, profile and strictness, kept
/// for the life of the process (a long-running broker answers every call
/// with the policy it loaded once).
pub struct Guards {
    env: Arc<Env>,
    open: Mutex<Vec<Arc<Guard>>>,
}

/// How many guards a [`Guards`] keeps; the oldest is closed beyond that.
const KEPT: usize = 8;

impl Guards {
    pub fn new(env: Env) -> Guards {
        Guards {
            env: Arc::new(env),
            open: Mutex::new(Vec::new()),
        }
    }

    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The guard of `project` with `profile` and `strict`, opened on first use.
    pub fn get(&self, project: &Path, profile: Option<&str>, strict: bool) -> Arc<Guard> {
        let mut open = match self.open.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        if let Some(g) = open.iter().find(|g| g.key(project, profile, strict)) {
            return Arc::clone(g);
        }
        let g = Arc::new(Guard::open(
            Arc::clone(&self.env),
            project.to_path_buf(),
            profile,
            strict,
        ));
        if open.len() >= KEPT {
            open.remove(0);
        }
        open.push(Arc::clone(&g));
        g
    }
}

/// What a call's record says besides its decision: what showed that no
/// human could approve the ask it denies, and its checkpoint (or why there
/// is none).
fn notes(
    ask_denied: Option<&str>,
    checkpoint: Option<Result<String, String>>,
) -> Map<String, Value> {
    let mut m = Map::new();
    if let Some(by) = ask_denied {
        // Identifiers come from the client, not the agent: cut, not scanned.
        m.insert("ask_denied".into(), Value::from(cut(by.to_string())));
    }
    match checkpoint {
        Some(Ok(id)) => {
            m.insert("checkpoint".into(), Value::from(id));
        }
        Some(Err(why)) => {
            m.insert(
                "checkpoint_error".into(),
                Value::from(cut(redact_text(&why))),
            );
        }
        None => {}
    }
    m
}

/// Does the action read, list or search files (the policy can leave those
/// out of the log)?
fn file_access(action: &Action) -> bool {
    matches!(
        action,
        Action::Read { .. } | Action::List { .. } | Action::Search { .. }
    )
}

/// The fields every record of a call starts with.
fn base(o: &Origin) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("ts".into(), Value::from(trail::now()));
    m.insert("event".into(), Value::from(o.event.clone()));
    // Identifiers come from the client, not the agent: cut, not scanned.
    if let Some(s) = &o.session {
        m.insert("session".into(), Value::from(cut(s.clone())));
    }
    m.extend(o.fields.clone());
    m.insert("cwd".into(), Value::from(o.cwd.to_string_lossy()));
    if let Some(t) = &o.tool {
        m.insert("tool".into(), Value::from(t.clone()));
    }
    m
}

/// Append a record: the common fields, `extra`, and the time since the
/// front end started answering.
fn append(t: &Trail, o: &Origin, extra: Map<String, Value>) -> Result<(), Error> {
    let mut m = base(o);
    m.extend(extra);
    m.insert(
        "latency_us".into(),
        Value::from(o.started.elapsed().as_micros() as u64),
    );
    t.append(m).map(|_| ())
}

fn decision_fields(m: &mut Map<String, Value>, d: &Decision) {
    m.insert("decision".into(), Value::from(d.verdict.as_str()));
    m.insert("rule".into(), Value::from(d.rule.clone()));
    // The rules of the strictest opinion in the trace: those of the ask
    // when strict mode or the approver denied it.
    let top = d.trace.iter().map(|s| s.verdict).max().unwrap_or(d.verdict);
    let mut rules: Vec<&str> = Vec::new();
    for s in d.trace.iter().filter(|s| s.verdict == top) {
        if !rules.contains(&s.rule.as_str()) && rules.len() < 8 {
            rules.push(&s.rule);
        }
    }
    m.insert("rules".into(), json!(rules));
    // The reason is already redacted: the engine redacts every subject it
    // quotes, and the content review hides the secrets it found in the command.
    m.insert("reason".into(), Value::from(cut(d.reason.clone())));
}

/// The reason without its `ztguard: ` prefix, for a one-line notice.
fn short(reason: &str) -> &str {
    reason.strip_prefix("ztguard: ").unwrap_or(reason)
}

/// Deny because a part of the guard failed: the step names what failed.
pub(crate) fn fail_closed(d: Decision, error: &Error) -> Decision {
    let step = Step {
        check: Check::FailClosed,
        subject: format!("ztguard could not decide safely: {error}"),
        verdict: Verdict::Deny,
        rule: "built-in: fail closed".into(),
        path: None,
    };
    d.with_first(vec![step], false)
}
