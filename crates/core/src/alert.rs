//! Step 6, alerts on denials and revoked sessions: configured commands run
//! with the alert's JSON on stdin, and the JSON is POSTed to configured URLs.
//!
//! Delivery never delays or changes the decision: each target gets a
//! detached process of its own (its own process group, so it outlives the
//! process that raised it), which is not waited for. `http://` URLs are
//! posted by `ztguard deliver` (a hidden command of the binary, with short
//! timeouts); `https://` URLs by `curl`, which knows TLS.

use std::io::Write;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use serde_json::Value;
use ztguard_policy::AuditSettings;

use crate::Error;

/// Start every configured delivery of `alert` and return at once; the
/// first delivery that could not start, if any.
pub fn raise(settings: &AuditSettings, alert: &Value) -> Result<(), Error> {
    let body = alert.to_string();
    let mut first = Ok(());
    let mut keep = |r: Result<(), Error>| {
        if first.is_ok() {
            first = r;
        }
    };
    for cmd in &settings.alert_commands {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(cmd);
        keep(spawn(c, &body));
    }
    for url in &settings.alert_urls {
        if url.starts_with("https://") {
            let mut c = Command::new("curl");
            c.args([
                "-sS",
                "-o",
                "/dev/null",
                "--max-time",
                "5",
                "-X",
                "POST",
                "-H",
                "content-type: application/json",
                "--data-binary",
                "@-",
                url,
            ]);
            keep(spawn(c, &body));
        } else {
            match std::env::current_exe() {
                Ok(me) => {
                    let mut c = Command::new(me);
                    c.arg("deliver").arg(url);
                    keep(spawn(c, &body));
                }
                Err(e) => keep(Err(Error::Alert(format!("{url}: {e}")))),
            }
        }
    }
    first
}

/// Start `c` detached with `body` on its stdin. The body is small enough
/// for the pipe's buffer, so the write does not wait for the reader.
fn spawn(mut c: Command, body: &str) -> Result<(), Error> {
    c.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    let mut child = c
        .spawn()
        .map_err(|e| Error::Alert(format!("{:?}: {e}", c.get_program())))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(body.as_bytes());
    }
    Ok(())
}
