//! Step 4, the session monitor: count the call in its session's state,
//! revoke the session on an anomaly, and deny every call of a revoked one.

use std::path::Path;

use ztguard_monitor::{Anomaly, Facts, Revocation, session};
use ztguard_policy::{Check, Decision, Policy, Step, Verdict};

use crate::Error;
use crate::pipeline::{Mode, fail_closed};

/// The decision after the monitor, and the anomaly this call tripped.
pub(crate) struct Watched {
    pub decision: Decision,
    pub revoked_now: Option<Anomaly>,
    pub error: Option<Error>,
}

/// Run the monitor for a call of session `sid`. `count`: count the call
/// (false for a second look at a call already counted). A dry run only
/// reads the state: a revoked session is denied, nothing is counted.
pub(crate) fn watch(
    policy: &Policy,
    project: &Path,
    sid: Option<&str>,
    count: bool,
    decision: Decision,
    mode: Mode,
) -> Watched {
    let untouched = |decision| Watched {
        decision,
        revoked_now: None,
        error: None,
    };
    let Some(sid) = sid.filter(|_| policy.monitor.enabled) else {
        return untouched(decision);
    };
    let dir = session::dir(project);
    let state = match mode {
        Mode::DryRun => session::load(&dir, sid).map(|s| (s, None)),
        Mode::Live => {
            let facts = count.then(|| Facts::of(&decision, project));
            session::record(
                &dir,
                sid,
                facts.as_ref(),
                &policy.monitor,
                ztguard_monitor::now_ms(),
            )
            .map(|o| (Some(o.state), o.anomaly))
        }
    };
    match state {
        Ok((state, anomaly)) => {
            let decision = match state.as_ref().and_then(|s| s.revoked.as_ref()) {
                Some(r) => revoked(decision, r, sid, anomaly.is_some(), policy.strict),
                None => decision,
            };
            Watched {
                decision,
                revoked_now: anomaly,
                error: None,
            }
        }
        Err(e) => {
            let error = Error::Session(e);
            Watched {
                decision: fail_closed(decision, &error),
                revoked_now: None,
                error: Some(error),
            }
        }
    }
}

/// Deny a call of a revoked session.
fn revoked(d: Decision, r: &Revocation, sid: &str, now: bool, strict: bool) -> Decision {
    let at = crate::trail::time_of(r.at_ms);
    let subject = if now {
        format!("This session is now revoked: {}", r.why)
    } else {
        format!(
            "This session was revoked at {at} ({}); every tool call is denied",
            r.why
        )
    };
    let step = Step {
        check: Check::Session,
        subject: format!(
            "{subject}. A human can review it with `ztguard audit timeline --session {sid}` and unlock it with `ztguard session unlock {sid}`"
        ),
        verdict: Verdict::Deny,
        rule: format!("monitor.{}", r.rule),
        path: None,
    };
    d.with_first(vec![step], strict)
}

/// Start (`start`) or end a session's state; the baseline is drawn at the
/// start. Nothing when the monitor is off.
pub(crate) fn mark(policy: &Policy, project: &Path, sid: &str, start: bool) -> Result<(), Error> {
    if !policy.monitor.enabled {
        return Ok(());
    }
    let dir = session::dir(project);
    let now = ztguard_monitor::now_ms();
    if start {
        session::start(&dir, sid, &policy.monitor, now).map(|_| ())
    } else {
        session::end(&dir, sid, now)
    }
    .map_err(Error::Session)
}
