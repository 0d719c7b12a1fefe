//! Fetching a secret's value from its source, outside the agent's reach.

use std::process::{Command, Stdio};

use ztguard_policy::SecretSource;

use crate::redact::MIN_LEN;

/// The value, without the trailing newline files and commands end with.
/// Errors name the source, never the value.
pub fn fetch(source: &SecretSource) -> Result<Vec<u8>, String> {
    let mut value = match source {
        SecretSource::File(path) => {
            std::fs::read(path).map_err(|e| format!("cannot read {source}: {e}"))?
        }
        SecretSource::Command(argv) => {
            let out = Command::new(&argv[0])
                .args(&argv[1..])
                .stdin(Stdio::null())
                .stderr(Stdio::inherit())
                .output()
                .map_err(|e| format!("cannot run {source}: {e}"))?;
            if !out.status.success() {
                return Err(format!("{source} failed ({})", out.status));
            }
            out.stdout
        }
        SecretSource::Env(name) => std::env::var_os(name)
            .ok_or_else(|| format!("{source} is not set in ztguard's environment"))?
            .into_encoded_bytes(),
    };
    while value.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        value.pop();
    }
    if value.is_empty() {
        return Err(format!("{source} is empty"));
    }
    if value.len() < MIN_LEN {
        return Err(format!(
            "{source} holds fewer than {MIN_LEN} bytes: too short to be redacted from output reliably"
        ));
    }
    if value.contains(&0) {
        return Err(format!(
            "{source} holds a NUL byte, which no variable can carry"
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_commands_and_variables_give_their_value_without_the_newline() {
        let d = tempfile::tempdir().expect("tempdir");
        let f = d.path().join("token");
        std::fs::write(&f, "fake-file-token-1\n").expect("write");
        assert_eq!(
            fetch(&SecretSource::File(f.clone())).expect("file"),
            b"fake-file-token-1"
        );
        let cmd = SecretSource::Command(vec!["printf".into(), "fake-cmd-token-2\\n".into()]);
        assert_eq!(fetch(&cmd).expect("command"), b"fake-cmd-token-2");
        let e = fetch(&SecretSource::Command(vec!["false".into()])).expect_err("fails");
        assert!(e.contains("failed"), "{e}");
        let e = fetch(&SecretSource::Env("ZTGUARD_TEST_UNSET_VARIABLE".into())).expect_err("unset");
        assert!(e.contains("not set"), "{e}");
        std::fs::write(&f, "short\n").expect("write");
        let e = fetch(&SecretSource::File(f)).expect_err("short");
        assert!(e.contains("too short") && !e.contains("short\n"), "{e}");
    }
}
