//! Who answers an ask. The policy's `ask` means "a human decides"; where
//! the agent's client has no human to put the question to (a mode that
//! approves everything, a run with no one at the terminal), an ask would
//! be answered by nobody, or by the client's own default. So there, what
//! would be asked is denied, with the policy's reason and a note saying
//! why no one could approve it, and the record says it was an ask
//! (`ask_denied`).

use ztguard_policy::{Decision, Verdict};

/// Whether a human can answer the calls the policy asks about. Front ends
/// say which; nothing here guesses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Approver {
    /// The agent's client asks a human (an interactive session).
    Human,
    /// No human can approve: every ask is denied.
    Nobody(NoHuman),
}

/// Why no human can approve a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoHuman {
    /// What shows it, recorded as the record's `ask_denied`: the client's
    /// permission mode as it was sent (`bypassPermissions`), or
    /// `unattended` when the client said no one attends the session.
    pub by: String,
    /// The circumstance, for the agent and the human, completing "No human
    /// can approve this …": "in permission mode `bypassPermissions`".
    pub when: String,
}

impl Approver {
    /// The decision as this approver leaves it: an ask becomes a deny when
    /// no human can answer (the policy's reason kept, the note added),
    /// with what showed it (for `ask_denied`). Anything else is unchanged.
    pub fn settle(&self, d: Decision) -> (Decision, Option<String>) {
        match self {
            Approver::Nobody(n) if d.verdict == Verdict::Ask => {
                let reason = format!(
                    "{} No human can approve this {}, so it is denied instead of asked.",
                    d.reason.trim_end(),
                    n.when
                );
                let denied = Decision {
                    verdict: Verdict::Deny,
                    reason,
                    ..d
                };
                (denied, Some(n.by.clone()))
            }
            _ => (d, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ztguard_policy::{Check, Step};

    fn decision(verdict: Verdict) -> Decision {
        let step = Step {
            check: Check::Command,
            subject: "`rm notes.txt` runs rm".into(),
            verdict,
            rule: "project policy: commands.ask \"rm *\"".into(),
            path: None,
        };
        Decision::from_steps(vec![step], false)
    }

    fn nobody() -> Approver {
        Approver::Nobody(NoHuman {
            by: "bypassPermissions".into(),
            when: "in permission mode `bypassPermissions`".into(),
        })
    }

    #[test]
    fn with_nobody_to_ask_an_ask_is_denied_with_its_reason_and_a_note() {
        let asked = decision(Verdict::Ask);
        let (d, by) = nobody().settle(asked.clone());
        assert_eq!(d.verdict, Verdict::Deny);
        assert_eq!(by.as_deref(), Some("bypassPermissions"));
        assert!(d.reason.starts_with(&asked.reason), "{}", d.reason);
        assert!(
            d.reason.ends_with(
                "No human can approve this in permission mode `bypassPermissions`, so it is denied instead of asked."
            ),
            "{}",
            d.reason
        );
        assert_eq!(d.rule, asked.rule);
        assert_eq!(d.trace.len(), asked.trace.len());
    }

    #[test]
    fn allow_and_deny_are_left_alone_and_a_human_is_asked() {
        for v in [Verdict::Allow, Verdict::Deny] {
            let (d, by) = nobody().settle(decision(v));
            assert_eq!((d.verdict, by), (v, None));
        }
        let (d, by) = Approver::Human.settle(decision(Verdict::Ask));
        assert_eq!((d.verdict, by), (Verdict::Ask, None));
    }
}
