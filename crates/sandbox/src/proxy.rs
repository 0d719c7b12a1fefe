//! The filtering proxy: the only way out of a sandbox without network.
//!
//! It listens on a socket bound *inside* the sandbox's network namespace
//! (see the bridge) and connects out from the host's, so the sandbox
//! reaches exactly the hosts the policy allows. It speaks the two forms
//! HTTP clients use through `HTTPS_PROXY`/`HTTP_PROXY`: `CONNECT host:port`
//! (TLS tunnels) and absolute-form requests (`GET http://host/…`).
//! Anything else, and any host the policy does not allow, gets a 403.
//!
//! A name is resolved once, here, and the connection goes to the address
//! that was checked: a name that resolves to a loopback, private,
//! link-local (the cloud metadata service at 169.254.169.254), unspecified
//! or multicast address is refused unless the policy allows that address
//! itself, whatever allows the name (no DNS rebinding onto the host's own
//! services, whatever spelling the address is given in).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

/// Decides whether the sandbox may reach a host on a port, the host given
/// as the request spelt it (no brackets) or as an address it resolved to:
/// a [`Grant`] when it may; None when it may not.
pub type Allow = Arc<dyn Fn(&str, u16) -> Option<Grant> + Send + Sync>;

/// The sandbox may reach a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// The host to resolve, in the one spelling the policy judged (`127.1`
    /// is 127.0.0.1).
    pub host: String,
    /// Allowed by this very address (or as the configured model API
    /// upstream on its port): a loopback or private address it resolves
    /// to is reached all the same. Else such addresses are refused.
    pub exact: bool,
}

/// Loopback, private (RFC 1918, RFC 6598 shared, fc00::/7), link-local,
/// unspecified, multicast and broadcast addresses, and IPv6 forms that
/// carry such an IPv4 address: where the host's own and its network's
/// unauthenticated services listen.
pub fn internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let [o0, o1, ..] = a.octets();
            a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_broadcast()
                || o0 == 0
                || (o0 == 100 && (64..128).contains(&o1))
                || o0 >= 240
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return internal(IpAddr::V4(v4));
            }
            let seg = a.segments();
            // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::/96).
            if (seg[..6] == [0; 6] && !a.is_loopback() && !a.is_unspecified())
                || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
            {
                let v4 = std::net::Ipv4Addr::new(
                    (seg[6] >> 8) as u8,
                    seg[6] as u8,
                    (seg[7] >> 8) as u8,
                    seg[7] as u8,
                );
                return internal(IpAddr::V4(v4));
            }
            a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || a.is_unique_local()
                || a.is_unicast_link_local()
                // Site-local (deprecated, fec0::/10).
                || seg[0] & 0xffc0 == 0xfec0
        }
    }
}

/// The address to connect to for `grant` on `port`: the first one it
/// resolves to that is not internal, or that the policy allows as an
/// address. Resolved here, once.
fn checked_address(grant: &Grant, port: u16, allow: &Allow) -> Result<SocketAddr, String> {
    let addrs: Vec<SocketAddr> = (grant.host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| format!("{} does not resolve: {e}", grant.host))?
        .collect();
    let mut refused = None;
    for a in addrs {
        if grant.exact || !internal(a.ip()) {
            return Ok(a);
        }
        if allow(&a.ip().to_string(), port).is_some_and(|g| g.exact) {
            return Ok(a);
        }
        refused.get_or_insert(a.ip());
    }
    Err(match refused {
        Some(ip) => format!(
            "{} resolves to {ip}, a loopback, private or link-local address the policy does not allow by address",
            grant.host
        ),
        None => format!("{} resolves to no address", grant.host),
    })
}

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
    let Some(grant) = allow(&host, port) else {
        return refuse(
            client,
            &format!("{host}:{port} is not in the policy's [network] allow list"),
        );
    };
    let addr = match checked_address(&grant, port, allow) {
        Ok(a) => a,
        Err(why) => return refuse(client, &why),
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
            Arc::new(|h: &str, _| {
                (h == "localhost").then(|| Grant {
                    host: h.to_string(),
                    exact: true,
                })
            }),
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

    /// A local server that says hello, and a proxy in front of it deciding with `allow`.
    fn proxy_with(allow: Allow) -> (u16, u16) {
        let upstream = TcpListener::bind("127.0.0.1:0").expect("bind");
        let up_port = upstream.local_addr().expect("addr").port();
        std::thread::spawn(move || {
            for mut c in upstream.incoming().flatten() {
                let _ = c.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
            }
        });
        let proxy = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = proxy.local_addr().expect("addr").port();
        serve(proxy, allow);
        (port, up_port)
    }

    fn ask(port: u16, line: &str) -> String {
        let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        c.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        write!(c, "{line}\r\nHost: x\r\n\r\n").expect("write");
        String::from_utf8_lossy(&read_all(c)).into_owned()
    }

    #[test]
    fn every_spelling_of_a_loopback_address_is_refused_when_only_a_name_rule_allows_it() {
        // As `network.default = "allow"` would: every host, none by address.
        let (port, up) = proxy_with(Arc::new(|h: &str, _| {
            Some(Grant {
                host: h.to_string(),
                exact: false,
            })
        }));
        for host in [
            "127.0.0.1",
            "127.1",
            "127.0.1",
            "2130706433",
            "0x7f.1",
            "0x7f000001",
            "017700000001",
            "0177.0.0.1",
            "127.000.000.001",
            "127.255.255.254",
            "localhost",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:7f00:1",
            "0.0.0.0",
            "0",
        ] {
            let authority = if host.contains(':') {
                format!("[{host}]:{up}")
            } else {
                format!("{host}:{up}")
            };
            for line in [
                format!("CONNECT {authority} HTTP/1.1"),
                format!("GET http://{authority}/admin HTTP/1.1"),
            ] {
                let got = ask(port, &line);
                assert!(got.starts_with("HTTP/1.1 403"), "{line}: {got}");
                assert!(!got.contains("hello"), "{line}: {got}");
            }
        }
    }

    #[test]
    fn an_address_allowed_as_such_is_reached_on_the_address_checked() {
        let (port, up) = proxy_with(Arc::new(|h: &str, _| {
            (h == "127.0.0.1" || h == "allowed.localhost").then(|| Grant {
                host: if h == "allowed.localhost" {
                    "localhost".into()
                } else {
                    h.into()
                },
                exact: h == "127.0.0.1",
            })
        }));
        let got = ask(port, &format!("GET http://127.0.0.1:{up}/ HTTP/1.1"));
        assert!(got.contains("hello"), "{got}");
        // A name allowed by name that resolves to loopback reaches it only
        // because 127.0.0.1 itself is allowed.
        let got = ask(port, &format!("CONNECT allowed.localhost:{up} HTTP/1.1"));
        assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    }

    #[test]
    fn internal_addresses_are_known_in_every_family() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "fec0::1",
        ] {
            assert!(internal(a.parse().expect(a)), "{a}");
        }
        for a in ["93.184.216.34", "172.32.0.1", "2606:4700::1111", "8.8.8.8"] {
            assert!(!internal(a.parse().expect(a)), "{a}");
        }
    }
}
