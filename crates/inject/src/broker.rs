//! The broker: the way out of `ztguard exec` for what must happen outside.
//!
//! Inside the sandbox nothing can read a secret's source or write the
//! guard's log, by design. The `ztguard exec` process outside runs a broker
//! that the sandbox reaches on loopback (`ZTGUARD_BROKER`), and asks it:
//!
//! - `run`: start an approved operation with its secrets, in a sandbox of
//!   its own, and stream back its redacted output and exit code;
//! - `hook`: decide a tool call with the real hook, which reads the policy
//!   and writes the audit log and session state where the agent cannot.
//!
//! One request per connection: a JSON line, answered by frames of
//! `[kind: u8][length: u32 BE][payload]`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The variable that tells `ztguard` inside the sandbox where the broker is.
pub const ENV: &str = "ZTGUARD_BROKER";

/// The broker's port inside the sandbox's network namespace.
pub const PORT: u16 = 3129;

/// Requests larger than this are refused (a hook input carries a file's content).
const MAX_REQUEST: u64 = 64 * 1024 * 1024;

/// What the sandbox asks of the broker.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Request {
    /// Run `argv` in `cwd` with the named secrets.
    Run {
        secrets: Vec<String>,
        argv: Vec<String>,
        cwd: PathBuf,
    },
    /// Decide `input` (the agent's hook event JSON) with the hook outside.
    Hook {
        profile: Option<String>,
        strict: bool,
        /// What the agent's client told the hook of its session: does a
        /// human attend it (None: not said)?
        #[serde(default)]
        session_attended: Option<bool>,
        input: String,
    },
}

const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const EXIT: u8 = 3;
const ERROR: u8 = 4;

/// The answering side of one request: frames, from any thread.
#[derive(Clone)]
pub struct Reply(Arc<Mutex<TcpStream>>);

impl Reply {
    fn frame(&self, kind: u8, data: &[u8]) -> io::Result<()> {
        let mut s = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let len = u32::try_from(data.len()).map_err(io::Error::other)?;
        let mut buf = Vec::with_capacity(5 + data.len());
        buf.push(kind);
        buf.extend_from_slice(&len.to_be_bytes());
        buf.extend_from_slice(data);
        s.write_all(&buf)
    }

    /// A writer for the operation's standard output (`err`: its error output).
    pub fn stream(&self, err: bool) -> Channel {
        Channel {
            reply: self.clone(),
            kind: if err { STDERR } else { STDOUT },
        }
    }

    /// The operation ended with `code`.
    pub fn exit(&self, code: i32) -> io::Result<()> {
        self.frame(EXIT, &code.to_be_bytes())
    }

    /// The request was refused or failed before anything ran.
    pub fn error(&self, message: &str) -> io::Result<()> {
        self.frame(ERROR, message.as_bytes())
    }
}

/// One of the operation's output streams, as frames.
pub struct Channel {
    reply: Reply,
    kind: u8,
}

impl Write for Channel {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.reply.frame(self.kind, buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Decides one request; runs on a thread of its own.
pub type Handler = Arc<dyn Fn(Request, Reply) + Send + Sync>;

/// Serve requests on `listener` until the process ends, a thread per connection.
pub fn serve(listener: TcpListener, handler: Handler) {
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let handler = handler.clone();
            std::thread::spawn(move || {
                let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
                let Ok(read_half) = conn.try_clone() else {
                    return;
                };
                let reply = Reply(Arc::new(Mutex::new(conn)));
                let mut line = String::new();
                let request = BufReader::new(read_half.take(MAX_REQUEST))
                    .read_line(&mut line)
                    .map_err(|e| e.to_string())
                    .and_then(|_| {
                        serde_json::from_str::<Request>(&line).map_err(|e| e.to_string())
                    });
                match request {
                    Ok(r) => handler(r, reply),
                    Err(e) => {
                        let _ = reply.error(&format!("not a broker request: {e}"));
                    }
                }
            });
        }
    });
}

/// What came back from the broker.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The operation ran and ended with this code.
    Exit(i32),
    /// The broker refused or failed, with its reason.
    Refused(String),
}

/// Send `request` to the broker at `addr` and copy the operation's output
/// to `out` and `err` as it arrives.
pub fn call(
    addr: &str,
    request: &Request,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Outcome, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| format!("the broker at {addr}: {e}"))?;
    let mut line = serde_json::to_vec(request).map_err(|e| e.to_string())?;
    line.push(b'\n');
    s.write_all(&line)
        .map_err(|e| format!("the broker at {addr}: {e}"))?;
    let mut r = BufReader::new(s);
    loop {
        let mut head = [0u8; 5];
        if let Err(e) = r.read_exact(&mut head) {
            return Err(format!("the broker closed the connection early: {e}"));
        }
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut data = vec![0u8; len];
        r.read_exact(&mut data)
            .map_err(|e| format!("the broker closed the connection early: {e}"))?;
        match head[0] {
            STDOUT => {
                let _ = out.write_all(&data).and_then(|()| out.flush());
            }
            STDERR => {
                let _ = err.write_all(&data).and_then(|()| err.flush());
            }
            EXIT if len == 4 => {
                return Ok(Outcome::Exit(i32::from_be_bytes([
                    data[0], data[1], data[2], data[3],
                ])));
            }
            ERROR => {
                return Ok(Outcome::Refused(
                    String::from_utf8_lossy(&data).into_owned(),
                ));
            }
            k => return Err(format!("the broker sent an unknown frame {k}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_streamed_answers_cross_the_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        serve(
            listener,
            Arc::new(|req: Request, reply: Reply| match req {
                Request::Run { argv, .. } => {
                    let _ = reply.stream(false).write_all(argv.join(" ").as_bytes());
                    let _ = reply.stream(true).write_all(b"to stderr");
                    let _ = reply.exit(7);
                }
                Request::Hook { .. } => {
                    let _ = reply.error("no hook here");
                }
            }),
        );
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let run = Request::Run {
            secrets: vec!["deploy".into()],
            argv: vec!["./deploy.sh".into(), "--prod".into()],
            cwd: "/p".into(),
        };
        assert_eq!(
            call(&addr, &run, &mut out, &mut err).expect("call"),
            Outcome::Exit(7)
        );
        assert_eq!(out, b"./deploy.sh --prod");
        assert_eq!(err, b"to stderr");
        let hook = Request::Hook {
            profile: None,
            strict: false,
            session_attended: None,
            input: "{}".into(),
        };
        assert_eq!(
            call(&addr, &hook, &mut out, &mut err).expect("call"),
            Outcome::Refused("no hook here".into())
        );
    }
}
