//! Alerts on denials and revoked sessions: configured commands run with the
//! alert's JSON on stdin, and the JSON is POSTed to configured URLs.
//!
//! Delivery never delays or changes the decision: each target gets a
//! detached process of its own (its own process group, so it outlives the
//! hook), and the hook does not wait for it. `http://` URLs are posted by
//! `ztguard deliver` (a hidden command of this binary, with short
//! timeouts); `https://` URLs by `curl`, which knows TLS.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use ztguard_policy::AuditSettings;

/// How long a delivery may take to connect, and to send and hear back.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
const IO_TIMEOUT: Duration = Duration::from_secs(3);

/// Start every configured delivery of `alert` and return at once.
pub fn raise(settings: &AuditSettings, alert: &Value) {
    let body = alert.to_string();
    for cmd in &settings.alert_commands {
        let mut c = Command::new("/bin/sh");
        c.arg("-c").arg(cmd);
        spawn(c, &body);
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
            spawn(c, &body);
        } else if let Ok(me) = std::env::current_exe() {
            let mut c = Command::new(me);
            c.arg("deliver").arg(url);
            spawn(c, &body);
        }
    }
}

/// Start `c` detached with `body` on its stdin. The body is small enough
/// for the pipe's buffer, so the write does not wait for the reader.
fn spawn(mut c: Command, body: &str) {
    c.stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    if let Ok(mut child) = c.spawn()
        && let Some(mut stdin) = child.stdin.take()
    {
        let _ = stdin.write_all(body.as_bytes());
    }
}

/// POST `body` to an `http://` URL; returns the status code.
pub fn post(url: &str, body: &str) -> Result<u16, String> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        format!("{url}: only http:// URLs are posted directly (https goes through curl)")
    })?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let hostport = if authority
        .rsplit(':')
        .next()
        .is_some_and(|p| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| format!("{hostport}: {e}"))?
        .next()
        .ok_or_else(|| format!("{hostport}: no address"))?;
    let mut s =
        TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|e| format!("{url}: {e}"))?;
    s.set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let req = format!(
        "POST {path} HTTP/1.1\r\nHost: {authority}\r\nUser-Agent: ztguard/{}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    s.write_all(req.as_bytes())
        .map_err(|e| format!("{url}: {e}"))?;
    let mut head = [0u8; 64];
    let n = s.read(&mut head).map_err(|e| format!("{url}: {e}"))?;
    let line = String::from_utf8_lossy(&head[..n]);
    line.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("{url}: not an HTTP response"))
}

/// `ztguard deliver URL`: the detached half of an alert.
#[derive(clap::Args)]
pub struct DeliverArgs {
    /// The http:// URL to POST the JSON on stdin to.
    pub url: String,
}

pub fn deliver(args: &DeliverArgs) -> anyhow::Result<std::process::ExitCode> {
    let mut body = String::new();
    std::io::stdin()
        .take(1024 * 1024)
        .read_to_string(&mut body)?;
    let status = post(&args.url, &body).map_err(anyhow::Error::msg)?;
    if (200..300).contains(&status) {
        Ok(std::process::ExitCode::SUCCESS)
    } else {
        anyhow::bail!("{}: HTTP {status}", args.url)
    }
}
