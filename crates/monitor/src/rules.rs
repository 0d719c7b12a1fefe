//! The anomaly rules: fixed thresholds from `[monitor]`, and a baseline
//! drawn from the project's own past sessions.

use serde::{Deserialize, Serialize};
use ztguard_policy::MonitorSettings;

use crate::facts::Facts;
use crate::session::{Peaks, State, WINDOW_MS};

/// Why a session is revoked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Anomaly {
    /// A stable id: `credential-burst`, `denial-streak`, `denial-burst`, `file-access-count`,
    /// `outside-allowed`, `write-spike`, `exfiltration`, `baseline-<metric>`.
    pub rule: String,
    /// One sentence for people.
    pub why: String,
}

fn anomaly(rule: &str, why: String) -> Option<Anomaly> {
    Some(Anomaly {
        rule: rule.into(),
        why,
    })
}

/// Below this many calls in a minute, the baseline never speaks: a quiet
/// project's usual is so low that any busy minute would look unusual.
const BASELINE_FLOOR: f64 = 20.0;

/// Check the session (already updated with this call's facts).
pub fn check(state: &State, facts: &Facts, m: &MonitorSettings, now: u64) -> Option<Anomaly> {
    if !m.enabled {
        return None;
    }
    let recent_creds = state.recent.credentials.len() as u32;
    if m.credential_attempts_per_minute > 0 && recent_creds >= m.credential_attempts_per_minute {
        return anomaly(
            "credential-burst",
            format!("it tried to reach credentials {recent_creds} times within a minute"),
        );
    }
    if m.exfiltration
        && facts.network_unapproved
        && let Some(at) = state.last_credential_ms
        && now.saturating_sub(at) <= u64::from(m.exfiltration_window_minutes) * 60_000
    {
        return anomaly(
            "exfiltration",
            "it tried to reach a credential and then tried to reach the network at a destination the policy does not allow".into(),
        );
    }
    if m.denials_in_a_row > 0 && state.denials_in_a_row >= m.denials_in_a_row {
        return anomaly(
            "denial-streak",
            format!("{} calls in a row were denied", state.denials_in_a_row),
        );
    }
    let recent_denials = state.recent.denials.len() as u32;
    if m.denials_per_minute > 0 && recent_denials >= m.denials_per_minute {
        return anomaly(
            "denial-burst",
            format!("{recent_denials} calls were denied within a minute"),
        );
    }
    if m.writes_per_minute > 0 && state.recent.writes.len() as u32 > m.writes_per_minute {
        return anomaly(
            "write-spike",
            format!(
                "it changed files {} times within a minute (limit {})",
                state.recent.writes.len(),
                m.writes_per_minute
            ),
        );
    }
    // Counted from the last unlock, so an unlocked session starts afresh.
    let files_read = state.files_read.saturating_sub(state.files_read_base);
    if m.files_read > 0 && files_read > u64::from(m.files_read) {
        return anomaly(
            "file-access-count",
            format!(
                "it read {files_read} distinct files (limit {})",
                m.files_read
            ),
        );
    }
    if m.outside_allowed > 0 && state.outside_allowed >= u64::from(m.outside_allowed) {
        return anomaly(
            "outside-allowed",
            format!(
                "it reached for paths outside the allowed directories {} times",
                state.outside_allowed
            ),
        );
    }
    if m.baseline
        && let Some(base) = &state.baseline
    {
        let now_counts = state.recent.counts();
        for (name, current, usual) in [
            ("calls", now_counts.calls, base.calls),
            ("writes", now_counts.writes, base.writes),
            ("denials", now_counts.denials, base.denials),
            ("reads", now_counts.reads, base.reads),
        ] {
            let limit = (usual * m.baseline_factor).max(BASELINE_FLOOR);
            if f64::from(current) > limit {
                return anomaly(
                    &format!("baseline-{name}"),
                    format!(
                        "{current} {name} within a minute is far above this project's usual \
                         (95th percentile of its past sessions' busiest minute: {usual:.0}; limit {limit:.0})"
                    ),
                );
            }
        }
    }
    None
}

/// The baseline from past sessions' busiest minutes: the 95th percentile of
/// each metric, once there are enough sessions to speak of a usual.
/// `past` comes from the baseline summary ([`crate::summary`]): the most
/// recent past sessions that did real work and were not revoked.
pub fn baseline(past: &[Peaks], min_sessions: u32) -> Option<Baseline> {
    if past.is_empty() || (past.len() as u32) < min_sessions.max(1) {
        return None;
    }
    let p95 = |f: &dyn Fn(&Peaks) -> u32| {
        let mut v: Vec<u32> = past.iter().map(f).collect();
        v.sort_unstable();
        let i = ((v.len() as f64 * 0.95).ceil() as usize).clamp(1, v.len()) - 1;
        f64::from(v[i])
    };
    Some(Baseline {
        sessions: past.len() as u32,
        calls: p95(&|p| p.calls),
        writes: p95(&|p| p.writes),
        denials: p95(&|p| p.denials),
        reads: p95(&|p| p.reads),
    })
}

/// The usual busiest minute of the project's sessions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    pub sessions: u32,
    pub calls: f64,
    pub writes: f64,
    pub denials: f64,
    pub reads: f64,
}

/// The window the per-minute rules look at, for documentation and tests.
pub const WINDOW_SECONDS: u64 = WINDOW_MS / 1000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_baseline_is_the_95th_percentile_once_there_are_enough_sessions() {
        let past: Vec<Peaks> = (1..=20)
            .map(|i| Peaks {
                calls: i,
                writes: i / 2,
                denials: 0,
                reads: i * 2,
            })
            .collect();
        assert_eq!(baseline(&past[..3], 5), None);
        let b = baseline(&past, 5).expect("enough");
        assert_eq!(
            (b.calls, b.writes, b.reads, b.sessions),
            (19.0, 9.0, 38.0, 20)
        );
    }

    #[test]
    fn a_session_far_above_the_baseline_is_anomalous() {
        let mut s = State::new("s", 0);
        s.baseline = Some(Baseline {
            sessions: 10,
            calls: 8.0,
            writes: 2.0,
            denials: 1.0,
            reads: 5.0,
        });
        let m = MonitorSettings::default();
        for i in 0..25 {
            s.recent.writes.push(i);
        }
        let a = check(&s, &Facts::default(), &m, 30).expect("anomaly");
        assert_eq!(a.rule, "baseline-writes");
        // Below the floor a quiet project's usual does not speak.
        s.recent.writes.truncate(15);
        assert_eq!(check(&s, &Facts::default(), &m, 30), None);
    }
}
