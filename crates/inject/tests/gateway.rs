//! The gateway against loopback upstreams, plain and TLS: the upstream sees
//! the real key, the client only ever sent the placeholder.

#![allow(clippy::expect_used)] // a failed setup step should stop the test loudly

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, mpsc};

use ztguard_inject::gateway::{Credentials, Gateway, Upstream};

const REAL: &str = "sk-ant-api03-fake-real-key-for-tests";
const PLACEHOLDER: &str = "ztguard-placeholder-abc";

/// Read one request (head and content-length body) and answer with a
/// streamed event; the head is sent back on `seen`.
fn answer_one(stream: &mut (impl Read + Write), seen: &mpsc::Sender<String>) {
    let mut r = BufReader::new(&mut *stream);
    let mut head = String::new();
    let mut len = 0;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
    }
    let mut body = vec![0u8; len];
    let _ = r.read_exact(&mut body);
    if head.is_empty() {
        return; // nothing arrived (a failed handshake)
    }
    head.push_str(&String::from_utf8_lossy(&body));
    let _ = seen.send(head);
    let _ = stream.write_all(
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\nevent: message_stop\ndata: {}\n\n",
    );
    let _ = stream.flush();
}

fn gateway(upstream: &str, extra_roots: Option<&[u8]>) -> u16 {
    let g = Gateway::new(
        Upstream::parse(upstream).expect("upstream"),
        Credentials {
            placeholder: PLACEHOLDER.into(),
            api_key: Some(REAL.into()),
            bearer: None,
        },
        extra_roots,
    )
    .expect("gateway");
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    Arc::new(g).serve(l);
    port
}

fn post(port: u16, key: &str) -> String {
    let mut c = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let body = r#"{"model":"m","messages":[]}"#;
    write!(
        c,
        "POST /v1/messages?beta=true HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nx-api-key: {key}\r\nanthropic-version: 2023-06-01\r\nConnection: keep-alive\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("write");
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out
}

#[test]
fn the_placeholder_becomes_the_real_key_on_the_way_to_a_plain_upstream() {
    let up = TcpListener::bind("127.0.0.1:0").expect("bind");
    let up_port = up.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for mut c in up.incoming().flatten() {
            answer_one(&mut c, &tx);
        }
    });
    let port = gateway(&format!("http://127.0.0.1:{up_port}/base"), None);
    let answer = post(port, PLACEHOLDER);
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains("message_stop"),
        "{answer}"
    );
    let seen = rx.recv().expect("the upstream got the request");
    assert!(
        seen.starts_with("POST /base/v1/messages?beta=true HTTP/1.1\r\n"),
        "{seen}"
    );
    assert!(seen.contains(&format!("x-api-key: {REAL}\r\n")), "{seen}");
    assert!(!seen.contains(PLACEHOLDER), "{seen}");
    assert!(seen.contains("Host: 127.0.0.1\r\n") && seen.contains("Connection: close"));
    assert!(seen.ends_with(r#"{"model":"m","messages":[]}"#), "{seen}");

    // Anything else is refused before the upstream is contacted.
    let refused = post(port, "sk-ant-someone-elses-key");
    assert!(refused.starts_with("HTTP/1.1 403"), "{refused}");
    assert!(refused.contains("placeholder"), "{refused}");
    assert!(rx.try_recv().is_err(), "the upstream saw a refused request");
}

#[test]
fn a_tls_upstream_gets_the_real_key_over_a_verified_connection() {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("cert");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(signing_key.serialize_der().into()),
        )
        .expect("server config");
    let server = Arc::new(server);
    let up = TcpListener::bind("127.0.0.1:0").expect("bind");
    let up_port = up.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for tcp in up.incoming().flatten() {
            let conn = rustls::ServerConnection::new(server.clone()).expect("conn");
            let mut tls = rustls::StreamOwned::new(conn, tcp);
            answer_one(&mut tls, &tx);
            tls.conn.send_close_notify();
            let _ = tls.flush();
        }
    });
    let pem = cert.pem();
    let port = gateway(
        &format!("https://localhost:{up_port}"),
        Some(pem.as_bytes()),
    );
    let answer = post(port, PLACEHOLDER);
    assert!(
        answer.starts_with("HTTP/1.1 200") && answer.contains("message_stop"),
        "{answer}"
    );
    let seen = rx.recv().expect("the upstream got the request");
    assert!(seen.contains(&format!("x-api-key: {REAL}\r\n")), "{seen}");

    // Without the test's root the certificate is not trusted: 502, nothing sent.
    let untrusting = gateway(&format!("https://localhost:{up_port}"), None);
    let answer = post(untrusting, PLACEHOLDER);
    assert!(
        answer.starts_with("HTTP/1.1 502") && answer.contains("certificate"),
        "{answer}"
    );
    assert!(rx.try_recv().is_err(), "an untrusted upstream got the key");
}
