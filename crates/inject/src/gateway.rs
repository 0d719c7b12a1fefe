//! The model API gateway: the agent's own credential stays outside.
//!
//! Anything the agent runs can read the agent's environment, so under
//! `ztguard exec` the agent gets a placeholder key and an API base URL on
//! loopback. This gateway, in the `ztguard exec` process outside the
//! sandbox, checks that a request carries the placeholder, swaps in the
//! real key, and forwards it to the real API (over TLS for `https://`).
//!
//! One request per connection (`Connection: close` both ways), so the
//! request head is the only thing rewritten and the response streams back
//! byte for byte, server-sent events included.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// The gateway's port inside the sandbox's network namespace.
pub const PORT: u16 = 3130;

/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// Where requests go.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Upstream {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    /// A path prefix of the base URL, without the trailing slash.
    pub base_path: String,
}

impl Upstream {
    /// Parse `http://host[:port][/path]` or `https://…` (the guard's one
    /// URL parser, `ztguard_shell::urls`).
    pub fn parse(url: &str) -> Result<Upstream, String> {
        let u = ztguard_shell::urls::http_url(url).map_err(|e| format!("the API base URL: {e}"))?;
        Ok(Upstream {
            tls: u.tls,
            host: u.host,
            port: u.port,
            base_path: u.path,
        })
    }
}

/// The real credentials, and the placeholder the sandbox holds instead.
pub struct Credentials {
    pub placeholder: String,
    /// Sent as `x-api-key` (ANTHROPIC_API_KEY).
    pub api_key: Option<String>,
    /// Sent as `Authorization: Bearer` (ANTHROPIC_AUTH_TOKEN, CLAUDE_CODE_OAUTH_TOKEN,
    /// or Claude Code's login).
    pub bearer: Option<Bearer>,
}

/// Where the bearer token comes from.
pub enum Bearer {
    Token(String),
    /// Claude Code's login file (`~/.claude/.credentials.json`), read at
    /// each request so that a token the client outside refreshed is used.
    ClaudeLogin(std::path::PathBuf),
}

impl Bearer {
    fn token(&self) -> Result<String, String> {
        match self {
            Bearer::Token(t) => Ok(t.clone()),
            Bearer::ClaudeLogin(path) => claude_login_token(path),
        }
    }
}

/// The access token of Claude Code's login file.
pub fn claude_login_token(path: &std::path::Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    v.pointer("/claudeAiOauth/accessToken")
        .and_then(|t| t.as_str())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("{} holds no claudeAiOauth.accessToken", path.display()))
}

/// A gateway ready to serve.
pub struct Gateway {
    pub upstream: Upstream,
    pub credentials: Credentials,
    /// Certificates trusted beside the built-in roots.
    extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// Built on the first request: about 1.5 ms that a command which never
    /// calls the API should not wait for.
    tls: std::sync::OnceLock<Result<Arc<rustls::ClientConfig>, String>>,
}

impl Gateway {
    /// `extra_roots`: PEM certificates trusted beside the built-in roots
    /// (a company proxy's CA, or a test's).
    pub fn new(
        upstream: Upstream,
        credentials: Credentials,
        extra_roots: Option<&[u8]>,
    ) -> Result<Gateway, String> {
        use rustls::pki_types::{CertificateDer, pem::PemObject};
        let extra_roots = match extra_roots {
            Some(pem) => CertificateDer::pem_slice_iter(pem)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("a trusted certificate: {e}"))?,
            None => Vec::new(),
        };
        Ok(Gateway {
            upstream,
            credentials,
            extra_roots,
            tls: std::sync::OnceLock::new(),
        })
    }

    /// The TLS client configuration: the built-in roots and the extra ones.
    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, String> {
        self.tls
            .get_or_init(|| {
                let mut roots = rustls::RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                };
                for cert in &self.extra_roots {
                    roots
                        .add(cert.clone())
                        .map_err(|e| format!("a trusted certificate: {e}"))?;
                }
                let provider = Arc::new(rustls::crypto::ring::default_provider());
                let config = rustls::ClientConfig::builder_with_provider(provider)
                    .with_safe_default_protocol_versions()
                    .map_err(|e| e.to_string())?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
                Ok(Arc::new(config))
            })
            .clone()
    }

    /// Serve on `listener` until the process ends, a thread per connection.
    pub fn serve(self: Arc<Self>, listener: TcpListener) {
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let g = self.clone();
                // An error here means the client has gone or the upstream
                // failed mid-way: there is no one left to tell.
                std::thread::spawn(move || {
                    let _ = g.handle(conn);
                });
            }
        });
    }

    fn handle(&self, mut client: TcpStream) -> io::Result<()> {
        client.set_read_timeout(Some(Duration::from_secs(300)))?;
        let mut reader = BufReader::new(client.try_clone()?);
        let head = match read_head(&mut reader) {
            Ok(h) => h,
            Err(e) => return answer(&mut client, 400, &e),
        };
        let mut request = match self.rewrite(&head) {
            Ok(text) => text.into_bytes(),
            Err(e) => return answer(&mut client, 403, &e),
        };
        let body = match read_body(&mut reader, &head.framing) {
            Ok(b) => b,
            Err(e) => return answer(&mut client, 400, &e),
        };
        request.extend_from_slice(&body);
        let mut upstream = match self.connect() {
            Ok(u) => u,
            Err(e) => {
                return answer(
                    &mut client,
                    502,
                    &format!(
                        "the gateway cannot reach {}:{}: {e}",
                        self.upstream.host, self.upstream.port
                    ),
                );
            }
        };
        upstream.write_all(&request)?;
        upstream.flush()?;
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match upstream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                // A TLS server that closes without close_notify: the body has ended.
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
                Err(e) => return Err(e),
            };
            client.write_all(&buf[..n])?;
        }
        client.flush()
    }

    fn connect(&self) -> io::Result<Box<dyn ReadWrite>> {
        let addr = (self.upstream.host.as_str(), self.upstream.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::other("no address"))?;
        let tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(10))?;
        tcp.set_read_timeout(Some(Duration::from_secs(600)))?;
        match self.upstream.tls {
            false => Ok(Box::new(tcp)),
            true => {
                let config = self.tls_config().map_err(io::Error::other)?;
                let name = rustls::pki_types::ServerName::try_from(self.upstream.host.clone())
                    .map_err(io::Error::other)?;
                let mut conn =
                    rustls::ClientConnection::new(config, name).map_err(io::Error::other)?;
                let mut tcp = tcp;
                // Handshake now, so an untrusted certificate is a 502 that says so.
                while conn.is_handshaking() {
                    conn.complete_io(&mut tcp)?;
                }
                Ok(Box::new(rustls::StreamOwned::new(conn, tcp)))
            }
        }
    }

    /// The request head as the upstream gets it: the real credential in
    /// place of the placeholder, the upstream's host, `Connection: close`.
    fn rewrite(&self, head: &Head) -> Result<String, String> {
        if !endpoint_allowed(&head.method, &head.target) {
            return Err(format!(
                "the gateway forwards only POST /v1/messages, POST /v1/messages/count_tokens and GET /v1/models[/ID], not {} {}",
                head.method,
                head.target.split('?').next().unwrap_or("")
            ));
        }
        let c = &self.credentials;
        let mut out = format!(
            "{} {}{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            head.method, self.upstream.base_path, head.target, self.upstream.host
        );
        let mut authenticated = false;
        for (name, value) in &head.headers {
            let lower = name.to_ascii_lowercase();
            let (offered, real, header) = match lower.as_str() {
                "host" | "connection" | "keep-alive" | "proxy-connection" | "upgrade" => continue,
                "x-api-key" => (Some(value.trim()), c.api_key.clone().map(Ok), "x-api-key: "),
                "authorization" => (
                    value.trim().strip_prefix("Bearer ").map(str::trim),
                    c.bearer.as_ref().map(Bearer::token),
                    "Authorization: Bearer ",
                ),
                _ => {
                    out.push_str(&format!("{name}: {value}\r\n"));
                    continue;
                }
            };
            if offered != Some(c.placeholder.as_str()) {
                return Err(format!(
                    "the request's {name} is not the sandbox's placeholder"
                ));
            }
            let real = match real {
                Some(r) => r?,
                None => {
                    return Err(format!(
                        "the request authenticates with {name}, and ztguard exec was started without that credential"
                    ));
                }
            };
            authenticated = true;
            out.push_str(header);
            out.push_str(&real);
            out.push_str("\r\n");
        }
        if !authenticated {
            return Err(
                "the request carries no key; the gateway forwards only the sandbox's own requests"
                    .into(),
            );
        }
        out.push_str("\r\n");
        Ok(out)
    }
}

/// The model API's endpoints a client needs (with any query string):
/// `POST /v1/messages`, `POST /v1/messages/count_tokens`, `GET /v1/models`
/// and `GET /v1/models/ID`. Anything else (other methods, administrative
/// paths, encoded or dot segments) is refused before it reaches the
/// upstream with the real key.
pub fn endpoint_allowed(method: &str, target: &str) -> bool {
    let path = target.split('?').next().unwrap_or("");
    let plain = |seg: &str| {
        !seg.is_empty()
            && seg != "."
            && seg != ".."
            && seg
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':' | b'@'))
    };
    match method {
        "POST" => path == "/v1/messages" || path == "/v1/messages/count_tokens",
        "GET" => {
            path == "/v1/models"
                || path
                    .strip_prefix("/v1/models/")
                    .is_some_and(|id| id.split('/').all(plain))
        }
        _ => false,
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// How the request body is delimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Length(usize),
    Chunked,
}

struct Head {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    framing: Framing,
}

fn read_head(r: &mut impl BufRead) -> Result<Head, String> {
    let mut total = 0;
    let mut line = String::new();
    let mut next = |line: &mut String| -> Result<(), String> {
        line.clear();
        let n = r.read_line(line).map_err(|e| e.to_string())?;
        total += n;
        if n == 0 || total > MAX_HEAD {
            return Err("an incomplete or oversized request head".into());
        }
        Ok(())
    };
    next(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Err("not an HTTP request".into());
    };
    if !target.starts_with('/') {
        return Err("the gateway takes origin-form requests (a path), not a proxy's".into());
    }
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers = Vec::new();
    let mut framing = Framing::Length(0);
    loop {
        next(&mut line)?;
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        let Some((name, value)) = l.split_once(':') else {
            return Err(format!("a malformed header line `{l}`"));
        };
        let value = value.trim().to_string();
        if name.eq_ignore_ascii_case("content-length") {
            framing = Framing::Length(value.parse().map_err(|_| "a bad content-length")?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if !value.eq_ignore_ascii_case("chunked") {
                return Err(format!("transfer-encoding `{value}` is not supported"));
            }
            framing = Framing::Chunked;
        }
        headers.push((name.trim().to_string(), value));
    }
    Ok(Head {
        method,
        target,
        headers,
        framing,
    })
}

/// The body exactly as sent (chunked bodies keep their chunk framing).
fn read_body(r: &mut impl BufRead, framing: &Framing) -> Result<Vec<u8>, String> {
    let err = |e: io::Error| format!("the request body: {e}");
    match *framing {
        Framing::Length(n) => {
            let mut body = vec![0u8; n];
            r.read_exact(&mut body).map_err(err)?;
            Ok(body)
        }
        Framing::Chunked => {
            let mut body = Vec::new();
            loop {
                let mut size_line = String::new();
                r.read_line(&mut size_line).map_err(err)?;
                body.extend_from_slice(size_line.as_bytes());
                let hex = size_line.trim().split(';').next().unwrap_or("");
                let size = usize::from_str_radix(hex, 16)
                    .map_err(|_| format!("a bad chunk size `{hex}`"))?;
                if size == 0 {
                    // Trailers up to the blank line.
                    loop {
                        let mut t = String::new();
                        if r.read_line(&mut t).map_err(err)? == 0 {
                            break;
                        }
                        body.extend_from_slice(t.as_bytes());
                        if t == "\r\n" || t == "\n" {
                            break;
                        }
                    }
                    return Ok(body);
                }
                let mut chunk = vec![0u8; size + 2];
                r.read_exact(&mut chunk).map_err(err)?;
                body.extend_from_slice(&chunk);
            }
        }
    }
}

fn answer(c: &mut TcpStream, status: u16, why: &str) -> io::Result<()> {
    let reason = match status {
        400 => "Bad Request",
        403 => "Forbidden",
        _ => "Bad Gateway",
    };
    let body = format!(
        "{{\"type\":\"error\",\"error\":{{\"type\":\"ztguard_gateway\",\"message\":{}}}}}",
        serde_json::Value::from(format!("ztguard gateway: {why}"))
    );
    write!(
        c,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_model_apis_own_endpoints_are_forwarded() {
        for (m, t) in [
            ("POST", "/v1/messages"),
            ("POST", "/v1/messages?beta=true"),
            ("POST", "/v1/messages/count_tokens"),
            ("POST", "/v1/messages/count_tokens?beta=true"),
            ("GET", "/v1/models"),
            ("GET", "/v1/models?limit=100"),
            ("GET", "/v1/models/claude-sonnet-4-5"),
        ] {
            assert!(endpoint_allowed(m, t), "{m} {t}");
        }
        for (m, t) in [
            ("TRACE", "/v1/messages"),
            ("GET", "/v1/messages"),
            ("PUT", "/v1/messages"),
            ("DELETE", "/v1/models/x"),
            ("post", "/v1/messages"),
            ("POST", "/v1/messages/batches"),
            ("POST", "/v1/messages/"),
            ("POST", "/v1/files"),
            ("GET", "/v1/organizations/me"),
            ("POST", "/v1/messages/../files"),
            ("GET", "/v1/models/../../admin"),
            ("GET", "/v1/models/%2e%2e/admin"),
            ("GET", "/v1/models//x"),
            ("GET", "/v1/modelsx"),
            ("POST", "/v1//messages"),
            ("POST", "/V1/messages"),
        ] {
            assert!(!endpoint_allowed(m, t), "{m} {t}");
        }
    }

    #[test]
    fn base_urls_parse() {
        assert_eq!(
            Upstream::parse("https://api.anthropic.com").expect("url"),
            Upstream {
                tls: true,
                host: "api.anthropic.com".into(),
                port: 443,
                base_path: String::new()
            }
        );
        assert_eq!(
            Upstream::parse("http://127.0.0.1:8080/proxy/").expect("url"),
            Upstream {
                tls: false,
                host: "127.0.0.1".into(),
                port: 8080,
                base_path: "/proxy".into()
            }
        );
        assert!(Upstream::parse("ftp://x").is_err());
        assert!(Upstream::parse("http://:80").is_err());
    }
}
