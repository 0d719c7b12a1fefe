//! The filtering proxy: the only way out of a sandbox without network.
//!
//! It listens on a socket bound *inside* the sandbox's network namespace
//! (see the bridge) and connects out from the host's, so the sandbox
//! reaches exactly the hosts the policy allows. It speaks the two forms
//! HTTP clients use through `HTTPS_PROXY`/`HTTP_PROXY`: `CONNECT host:port`
//! (TLS tunnels) and absolute-form requests (`GET http://host/…`).
//! Anything else, and any host the policy does not allow, gets a 403.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

/// Decides whether the sandbox may reach a host, given as the request
/// spelt it (no port, no brackets): the host to connect to, in the one
/// spelling the policy judged (`127.1` is 127.0.0.1), when it may; None
/// when it may not.
pub type Allow = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How long an outbound connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The port the proxy listens on inside the sandbox (its network namespace
/// is private, so the port is always free there).
pub const PORT: u16 = 3128;

/// `ip link set lo up`, in the calling process's network namespace (the
/// sandbox's, from its child before `exec`: only system calls).
pub(crate) fn loopback_up() -> io::Result<()> {
    // SAFETY: a datagram socket used only for the interface ioctls below;
    // `ifr` is a zeroed, properly sized ifreq whose name is set in bounds.
    unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let sock = OwnedFd::from_raw_fd(fd);
        let mut ifr: libc::ifreq = std::mem::zeroed();
        for (i, b) in b"lo".iter().enumerate() {
            ifr.ifr_name[i] = *b as libc::c_char;
        }
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFFLAGS, &mut ifr) != 0 {
            return Err(io::Error::last_os_error());
        }
        ifr.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
        if libc::ioctl(sock.as_raw_fd(), libc::SIOCSIFFLAGS, &ifr) != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Serve the proxy on `listener` until the process ends, a thread per connection.
pub fn serve(listener: TcpListener, allow: Allow) {
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let allow = allow.clone();
            std::thread::spawn(move || {
                let _ = handle(conn, &allow);
            });
        }
    });
}

fn refuse(mut c: TcpStream, why: &str) -> io::Result<()> {
    let body = format!("ztguard: {why}\n");
    write!(
        c,
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// Split `host:port` (with an optional `[v6]`), with a default port.
fn host_port(authority: &str, default: u16) -> Option<(String, u16)> {
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => (h, p.parse().ok()?),
        _ => (authority, default),
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_ascii_lowercase();
    (!host.is_empty()).then_some((host, port))
}

fn handle(client: TcpStream, allow: &Allow) -> io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return refuse(client, "not an HTTP proxy request");
    };
    let (connect, authority) = if method.eq_ignore_ascii_case("CONNECT") {
        (true, target.to_string())
    } else if let Some(rest) = target.strip_prefix("http://") {
        (false, rest.split('/').next().unwrap_or("").to_string())
    } else {
        return refuse(
            client,
            "only CONNECT and http:// requests go through this proxy",
        );
    };
    let Some((host, port)) = host_port(&authority, if connect { 443 } else { 80 }) else {
        return refuse(client, "no host in the request");
    };
    let Some(host) = allow(&host) else {
        return refuse(
            client,
            &format!("{host} is not in the policy's [network] allow list"),
        );
    };
    // The rest of the request head (headers) up to the blank line.
    let mut head = String::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        head.push_str(&h);
    }
    let addr = (host.as_str(), port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::other("no address"))?;
    let Ok(upstream) = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) else {
        let mut c = client;
        return write!(
            c,
            "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    };
    client.set_read_timeout(None)?;
    let mut to_client = client.try_clone()?;
    let mut to_upstream = upstream.try_clone()?;
    if connect {
        to_client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    } else {
        // The request head in one write, as the client sent it.
        to_upstream.write_all(format!("{line}{head}\r\n").as_bytes())?;
    }
    // Whatever the client sent after the head is already in the reader's buffer.
    let buffered = reader.buffer().to_vec();
    to_upstream.write_all(&buffered)?;
    let mut from_client = reader.into_inner();
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut from_client, &mut to_upstream);
        let _ = to_upstream.shutdown(Shutdown::Write);
    });
    let mut from_upstream = upstream;
    let _ = io::copy(&mut from_upstream, &mut to_client);
    let _ = to_client.shutdown(Shutdown::Write);
    let _ = up.join();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn read_all(mut s: impl Read) -> Vec<u8> {
        let mut v = Vec::new();
        let _ = s.read_to_end(&mut v);
        v
    }

    #[test]
    fn authorities_split_into_host_and_port() {
        assert_eq!(
            host_port("Example.com:8443", 443),
            Some(("example.com".into(), 8443))
        );
        assert_eq!(
            host_port("example.com", 80),
            Some(("example.com".into(), 80))
        );
        assert_eq!(host_port("[::1]:8080", 443), Some(("::1".into(), 8080)));
        assert_eq!(host_port("", 80), None);
    }

    #[test]
    fn allowed_hosts_are_tunnelled_and_others_refused() {
        // An upstream that answers one line.
        let upstream = TcpListener::bind("127.0.0.1:0").expect("bind");
        let up_port = upstream.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            if let Ok((mut c, _)) = upstream.accept() {
                let _ = c.write_all(b"hello from upstream\n");
            }
        });
        let proxy = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = proxy.local_addr().expect("addr").port();
        serve(
            proxy,
            Arc::new(|h: &str| (h == "localhost").then(|| h.to_string())),
        );
        let ask = |target: &str| {
            let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
            write!(c, "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n").expect("write");
            String::from_utf8_lossy(&read_all(c)).into_owned()
        };
        let ok = ask(&format!("localhost:{up_port}"));
        assert!(
            ok.starts_with("HTTP/1.1 200") && ok.contains("hello from upstream"),
            "{ok}"
        );
        let no = ask("evil.example:443");
        assert!(
            no.starts_with("HTTP/1.1 403") && no.contains("evil.example"),
            "{no}"
        );
    }
}
