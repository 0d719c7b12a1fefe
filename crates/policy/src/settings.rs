//! The `[audit]`, `[monitor]` and `[undo]` settings after every layer.
//!
//! The same rule as `[scan]`: the first layer that sets a value replaces the
//! built-in default, and every later layer can only make it stricter — turn
//! logging or a check on, lower a threshold, add an alert target, take
//! checkpoints in more places — so a project cannot quietly switch off what
//! a managed policy asks for.

use serde::{Deserialize, Serialize};

use crate::decision::Verdict;

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawAudit {
    pub enabled: Option<bool>,
    pub path: Option<String>,
    pub log_all_tool_calls: Option<bool>,
    pub log_file_access: Option<bool>,
    pub alert_on_deny: Option<bool>,
    pub alert_command: Option<String>,
    pub alert_url: Option<String>,
    pub max_size_mb: Option<f64>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMonitor {
    pub enabled: Option<bool>,
    pub credential_attempts_per_minute: Option<u32>,
    pub denials_in_a_row: Option<u32>,
    pub denials_per_minute: Option<u32>,
    pub files_read: Option<u32>,
    pub outside_allowed: Option<u32>,
    pub writes_per_minute: Option<u32>,
    pub exfiltration: Option<bool>,
    pub exfiltration_window_minutes: Option<u32>,
    pub baseline: Option<bool>,
    pub baseline_factor: Option<f64>,
    pub baseline_min_sessions: Option<u32>,
    pub run_agent_written: Option<Verdict>,
}

#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawUndo {
    pub checkpoints: Option<Checkpoints>,
}

/// Which calls that can change the project take a checkpoint first
/// (`ztguard undo`). Ordered by how many: `off` < `exec` < `always`.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Deserialize,
    Serialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Checkpoints {
    /// None.
    Off,
    /// Those made from inside `ztguard exec` (the broker answers them),
    /// where the hook has the time; a hook called directly by the agent's
    /// client takes none, so it stays within its own budget.
    #[default]
    Exec,
    /// Every one, the hook called directly included (a `git status` and
    /// more per call: milliseconds, tens of them in a large project).
    Always,
}

impl Checkpoints {
    /// Does a call take a checkpoint (when it can change the project)?
    /// `sandboxed`: it was made from inside `ztguard exec`.
    pub fn take(self, sandboxed: bool) -> bool {
        match self {
            Checkpoints::Off => false,
            Checkpoints::Exec => sandboxed,
            Checkpoints::Always => true,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Checkpoints::Off => "off",
            Checkpoints::Exec => "exec",
            Checkpoints::Always => "always",
        }
    }
}

/// When the hook takes a checkpoint for `ztguard undo`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct UndoSettings {
    pub checkpoints: Checkpoints,
}

/// What the hook records, and whom it tells about a denial.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditSettings {
    pub enabled: bool,
    /// Relative to the project root, or absolute.
    pub path: String,
    /// false: only calls that were not allowed, and the session's own events.
    pub log_all_tool_calls: bool,
    /// false: allowed reads (Read, Glob, Grep, LS) are not recorded.
    pub log_file_access: bool,
    /// A denial also tells the human (Claude Code's `systemMessage`) and the alert targets.
    pub alert_on_deny: bool,
    /// Shell commands run with the alert's JSON on stdin (every layer's).
    pub alert_commands: Vec<String>,
    /// URLs the alert's JSON is POSTed to (every layer's).
    pub alert_urls: Vec<String>,
    /// The live file rotates into a numbered segment past this size.
    pub max_size_mb: f64,
}

impl Default for AuditSettings {
    fn default() -> Self {
        AuditSettings {
            enabled: true,
            path: ".ztguard/audit.jsonl".into(),
            log_all_tool_calls: true,
            log_file_access: true,
            alert_on_deny: true,
            alert_commands: Vec::new(),
            alert_urls: Vec::new(),
            max_size_mb: 64.0,
        }
    }
}

/// Thresholds of the anomaly monitor. A count of 0 turns that check off.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MonitorSettings {
    pub enabled: bool,
    /// Attempts to reach credentials (denied by a built-in protection) within a minute.
    pub credential_attempts_per_minute: u32,
    /// Consecutive denied calls.
    pub denials_in_a_row: u32,
    /// Denied calls within a minute, allowed ones in between or not.
    pub denials_per_minute: u32,
    /// Distinct files read in one session.
    pub files_read: u32,
    /// Calls that reached for paths outside the project the policy does not allow.
    pub outside_allowed: u32,
    /// Calls that write files, within a minute.
    pub writes_per_minute: u32,
    /// A credential attempt followed by a network attempt the policy did not allow.
    pub exfiltration: bool,
    pub exfiltration_window_minutes: u32,
    /// Compare each minute of the session with the project's past sessions.
    pub baseline: bool,
    /// How far above the usual (the past sessions' 95th percentile) is anomalous.
    pub baseline_factor: f64,
    /// Past sessions needed before the baseline applies.
    pub baseline_min_sessions: u32,
    /// Running a file the agent wrote, until a human approves it.
    pub run_agent_written: Verdict,
}

impl Default for MonitorSettings {
    fn default() -> Self {
        MonitorSettings {
            enabled: true,
            credential_attempts_per_minute: 20,
            denials_in_a_row: 25,
            denials_per_minute: 40,
            files_read: 5000,
            outside_allowed: 50,
            writes_per_minute: 60,
            exfiltration: true,
            exfiltration_window_minutes: 30,
            baseline: true,
            baseline_factor: 4.0,
            baseline_min_sessions: 5,
            run_agent_written: Verdict::Ask,
        }
    }
}

/// Which settings an earlier layer has set.
#[derive(Default)]
pub(crate) struct Seen {
    names: std::collections::HashSet<&'static str>,
    /// From here on every value only tightens (the project's layer).
    narrow_only: bool,
}

impl Seen {
    /// Every later value goes through `tighten`, set before or not.
    pub(crate) fn narrow_only(&mut self) {
        self.narrow_only = true;
    }

    /// First setting replaces the default; later ones go through `tighten`.
    fn set<T: Clone>(
        &mut self,
        name: &'static str,
        slot: &mut T,
        v: Option<T>,
        tighten: impl Fn(&T, &T) -> T,
    ) {
        let Some(v) = v else { return };
        *slot = if self.narrow_only || self.names.contains(name) {
            tighten(slot, &v)
        } else {
            v
        };
        self.names.insert(name);
    }
}

fn on(a: &bool, b: &bool) -> bool {
    *a || *b
}

/// The lower threshold, where 0 (off) never wins over a set one.
fn lower(a: &u32, b: &u32) -> u32 {
    match (*a, *b) {
        (0, x) | (x, 0) => x,
        (x, y) => x.min(y),
    }
}

impl RawAudit {
    /// Values no layer may set, with the reason.
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(u) = &self.alert_url
            && !u.trim().is_empty()
            && !u.starts_with("http://")
            && !u.starts_with("https://")
        {
            return Err(format!(
                "audit.alert_url `{u}` is not an http:// or https:// URL"
            ));
        }
        if let Some(m) = self.max_size_mb
            && !(m > 0.0 && m.is_finite())
        {
            return Err(format!("audit.max_size_mb = {m}: give a size above 0"));
        }
        if self.path.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err("audit.path is empty".into());
        }
        Ok(())
    }
}

impl RawMonitor {
    /// Values no layer may set, with the reason.
    pub(crate) fn check(&self) -> Result<(), String> {
        if let Some(f) = self.baseline_factor
            && !(f >= 1.0 && f.is_finite())
        {
            return Err(format!(
                "monitor.baseline_factor = {f}: give a factor of at least 1 (how many times the usual)"
            ));
        }
        if self.exfiltration_window_minutes == Some(0) {
            return Err("monitor.exfiltration_window_minutes = 0: give a window of at least one minute, or set exfiltration = false".into());
        }
        Ok(())
    }
}

impl AuditSettings {
    pub(crate) fn apply(&mut self, raw: &RawAudit, seen: &mut Seen) {
        seen.set("audit.enabled", &mut self.enabled, raw.enabled, on);
        seen.set("audit.path", &mut self.path, raw.path.clone(), |a, _| {
            a.clone()
        });
        seen.set(
            "audit.all",
            &mut self.log_all_tool_calls,
            raw.log_all_tool_calls,
            on,
        );
        seen.set(
            "audit.files",
            &mut self.log_file_access,
            raw.log_file_access,
            on,
        );
        seen.set(
            "audit.alert",
            &mut self.alert_on_deny,
            raw.alert_on_deny,
            on,
        );
        seen.set(
            "audit.size",
            &mut self.max_size_mb,
            raw.max_size_mb,
            |a, b| (*a).min(*b),
        );
        self.alert_commands.extend(
            raw.alert_command
                .iter()
                .filter(|c| !c.trim().is_empty())
                .cloned(),
        );
        self.alert_urls.extend(
            raw.alert_url
                .iter()
                .filter(|c| !c.trim().is_empty())
                .cloned(),
        );
    }
}

impl MonitorSettings {
    pub(crate) fn apply(&mut self, raw: &RawMonitor, seen: &mut Seen) {
        seen.set("monitor.enabled", &mut self.enabled, raw.enabled, on);
        seen.set(
            "monitor.cred",
            &mut self.credential_attempts_per_minute,
            raw.credential_attempts_per_minute,
            lower,
        );
        seen.set(
            "monitor.denials",
            &mut self.denials_in_a_row,
            raw.denials_in_a_row,
            lower,
        );
        seen.set(
            "monitor.denial_rate",
            &mut self.denials_per_minute,
            raw.denials_per_minute,
            lower,
        );
        seen.set("monitor.files", &mut self.files_read, raw.files_read, lower);
        seen.set(
            "monitor.outside",
            &mut self.outside_allowed,
            raw.outside_allowed,
            lower,
        );
        seen.set(
            "monitor.writes",
            &mut self.writes_per_minute,
            raw.writes_per_minute,
            lower,
        );
        seen.set(
            "monitor.exfil",
            &mut self.exfiltration,
            raw.exfiltration,
            on,
        );
        seen.set(
            "monitor.window",
            &mut self.exfiltration_window_minutes,
            raw.exfiltration_window_minutes,
            |a, b| (*a).max(*b),
        );
        seen.set("monitor.baseline", &mut self.baseline, raw.baseline, on);
        seen.set(
            "monitor.factor",
            &mut self.baseline_factor,
            raw.baseline_factor,
            |a, b| a.min(*b),
        );
        seen.set(
            "monitor.min_sessions",
            &mut self.baseline_min_sessions,
            raw.baseline_min_sessions,
            |a, b| (*a).min(*b),
        );
        seen.set(
            "monitor.run",
            &mut self.run_agent_written,
            raw.run_agent_written,
            |a, b| (*a).max(*b),
        );
    }
}

impl UndoSettings {
    pub(crate) fn apply(&mut self, raw: &RawUndo, seen: &mut Seen) {
        seen.set(
            "undo.checkpoints",
            &mut self.checkpoints,
            raw.checkpoints,
            |a, b| (*a).max(*b),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_layer_sets_and_later_ones_only_tighten() {
        let mut m = MonitorSettings::default();
        let mut seen = Seen::default();
        // A managed layer turns the baseline off and raises a threshold.
        m.apply(
            &RawMonitor {
                baseline: Some(false),
                enabled: Some(true),
                denials_in_a_row: Some(50),
                run_agent_written: Some(Verdict::Allow),
                ..RawMonitor::default()
            },
            &mut seen,
        );
        assert!(!m.baseline);
        assert_eq!(m.denials_in_a_row, 50);
        // A project may lower it and turn checks back on, not the reverse.
        m.apply(
            &RawMonitor {
                baseline: Some(true),
                denials_in_a_row: Some(0),
                credential_attempts_per_minute: Some(5),
                ..RawMonitor::default()
            },
            &mut seen,
        );
        m.apply(
            &RawMonitor {
                denials_in_a_row: Some(10),
                credential_attempts_per_minute: Some(40),
                enabled: Some(false),
                run_agent_written: Some(Verdict::Deny),
                ..RawMonitor::default()
            },
            &mut seen,
        );
        assert!(m.baseline && m.enabled);
        assert_eq!(m.denials_in_a_row, 10);
        assert_eq!(m.credential_attempts_per_minute, 5);
        assert_eq!(m.run_agent_written, Verdict::Deny);
    }

    #[test]
    fn alert_targets_add_up_and_logging_stays_on() {
        let mut a = AuditSettings::default();
        let mut seen = Seen::default();
        a.apply(
            &RawAudit {
                alert_url: Some("http://127.0.0.1:9/a".into()),
                ..RawAudit::default()
            },
            &mut seen,
        );
        a.apply(
            &RawAudit {
                enabled: Some(false),
                alert_command: Some("logger ztguard".into()),
                ..RawAudit::default()
            },
            &mut seen,
        );
        assert!(!a.enabled, "the first layer to set it decides");
        a.apply(
            &RawAudit {
                enabled: Some(true),
                ..RawAudit::default()
            },
            &mut seen,
        );
        assert!(a.enabled);
        assert_eq!(a.alert_urls.len() + a.alert_commands.len(), 2);
    }

    #[test]
    fn checkpoints_are_set_first_then_only_taken_in_more_places() {
        let mut u = UndoSettings::default();
        assert_eq!(u.checkpoints, Checkpoints::Exec);
        let mut seen = Seen::default();
        // The user turns them off; a later trusted layer cannot lower
        // that further, but can raise it.
        u.apply(
            &RawUndo {
                checkpoints: Some(Checkpoints::Off),
            },
            &mut seen,
        );
        assert_eq!(u.checkpoints, Checkpoints::Off);
        seen.narrow_only();
        u.apply(
            &RawUndo {
                checkpoints: Some(Checkpoints::Always),
            },
            &mut seen,
        );
        u.apply(
            &RawUndo {
                checkpoints: Some(Checkpoints::Off),
            },
            &mut seen,
        );
        assert_eq!(u.checkpoints, Checkpoints::Always);
        assert!(!Checkpoints::Off.take(true));
        assert!(Checkpoints::Exec.take(true) && !Checkpoints::Exec.take(false));
        assert!(Checkpoints::Always.take(false));
    }
}
