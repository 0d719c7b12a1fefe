//! What one decided tool call tells the monitor, read off the decision's
//! trace: the engine already resolved every file and destination.

use std::path::{Path, PathBuf};

use ztguard_policy::{Check, Decision, Verdict};

/// The monitor's view of one tool call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// Files (and trees) the call reads, resolved.
    pub reads: Vec<PathBuf>,
    /// The call creates, changes or deletes a file.
    pub writes: bool,
    /// A built-in protection refused a credential (a key file, a secret variable, the environment).
    pub credential: bool,
    /// The call reaches the network.
    pub network: bool,
    /// The call reaches a destination the policy does not allow outright.
    pub network_unapproved: bool,
    /// The call reaches for a path outside the project (and temp) that the policy does not allow.
    pub outside: bool,
    /// The call was denied.
    pub denied: bool,
}

impl Facts {
    pub fn of(d: &Decision, project: &Path) -> Facts {
        let mut f = Facts {
            denied: d.verdict == Verdict::Deny,
            ..Facts::default()
        };
        let tmp = std::env::temp_dir();
        for s in &d.trace {
            let not_allowed = s.verdict != Verdict::Allow;
            match s.check {
                Check::Read | Check::ReadTree => {
                    if let Some(p) = &s.path
                        && !f.reads.contains(p)
                    {
                        f.reads.push(p.clone());
                    }
                    if s.verdict == Verdict::Deny && s.rule.starts_with("built-in protections") {
                        f.credential = true;
                    }
                }
                Check::Write | Check::Delete => f.writes = true,
                Check::SecretVar | Check::EnvDump if s.verdict == Verdict::Deny => {
                    f.credential = true;
                }
                Check::Network => {
                    f.network = true;
                    f.network_unapproved |= not_allowed;
                }
                _ => {}
            }
            if not_allowed
                && let Some(p) = &s.path
                && !p.starts_with(project)
                && !p.starts_with(&tmp)
                && !p.starts_with("/tmp")
            {
                f.outside = true;
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ztguard_policy::Step;

    fn step(check: Check, verdict: Verdict, rule: &str, path: Option<&str>) -> Step {
        Step {
            check,
            subject: "s".into(),
            verdict,
            rule: rule.into(),
            path: path.map(PathBuf::from),
        }
    }

    #[test]
    fn facts_are_read_off_the_trace() {
        let d = Decision::from_steps(
            vec![
                step(
                    Check::Read,
                    Verdict::Allow,
                    "files.read",
                    Some("/p/src/a.rs"),
                ),
                step(
                    Check::Read,
                    Verdict::Deny,
                    "built-in protections: files.deny \".env\"",
                    Some("/p/.env"),
                ),
                step(
                    Check::Network,
                    Verdict::Ask,
                    "network (no rule matches)",
                    None,
                ),
                step(
                    Check::Read,
                    Verdict::Ask,
                    "files (no rule matches)",
                    Some("/srv/x"),
                ),
            ],
            false,
        );
        let f = Facts::of(&d, Path::new("/p"));
        assert_eq!(f.reads.len(), 3);
        assert!(f.credential && f.network && f.network_unapproved && f.outside && f.denied);
        assert!(!f.writes);
        let allowed = Decision::from_steps(
            vec![step(Check::Network, Verdict::Allow, "network.allow", None)],
            false,
        );
        let f = Facts::of(&allowed, Path::new("/p"));
        assert!(f.network && !f.network_unapproved && !f.denied && f.reads.is_empty());
    }
}
