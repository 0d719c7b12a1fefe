//! What can fail in the pipeline, by stage. Every failure fails closed:
//! the stage's [`Error`] becomes a step of the decision (see
//! [`crate::pipeline`]) that says what failed, not what the call did.

/// A failure of one stage of the pipeline. The message is for a human.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// The call cannot be placed: its directory is not absolute, or it is
    /// outside the project every call must be in.
    Call(String),
    /// The policy does not load.
    Policy(String),
    /// A content check (secrets, code, dependencies) could not run.
    Content(String),
    /// The session state could not be read or updated.
    Session(String),
    /// The audit log could not be written.
    Audit(String),
    /// An alert could not be started.
    Alert(String),
    /// The checkpoint before a call that can change the project could not
    /// be taken (the decision is unchanged: see [`crate::undo`]).
    Checkpoint(String),
}

impl Error {
    /// The underlying message, without the stage's sentence around it.
    pub fn message(&self) -> &str {
        match self {
            Error::Call(m)
            | Error::Policy(m)
            | Error::Content(m)
            | Error::Session(m)
            | Error::Audit(m)
            | Error::Alert(m)
            | Error::Checkpoint(m) => m,
        }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Call(m) => f.write_str(m),
            Error::Policy(m) => write!(f, "the policy does not load: {m}"),
            Error::Content(m) => write!(f, "the content could not be checked: {m}"),
            Error::Session(m) => write!(f, "the session state could not be updated ({m})"),
            Error::Audit(m) => write!(f, "the audit log could not be written ({m})"),
            Error::Alert(m) => write!(f, "an alert could not be started ({m})"),
            Error::Checkpoint(m) => write!(
                f,
                "no checkpoint could be taken before this call, so `ztguard undo` cannot restore the state before it ({m})"
            ),
        }
    }
}

impl std::error::Error for Error {}
