//! URLs read the way the programs that fetch them read them.
//!
//! One host parser for the whole guard: the WHATWG URL standard (the `url`
//! crate), which is what Node's `URL` — and so the agent's WebFetch —
//! implements. Every host the policy sees comes out of [`canonical_host`],
//! so that one spelling of a destination matches the rules written for
//! another: `127.1`, `2130706433`, `0x7f.1`, `0177.0.0.1` and
//! `[::ffff:127.0.0.1]` are all `127.0.0.1`; `DOCS.RS.` is `docs.rs`;
//! `d%6Fcs.rs` is `docs.rs`; `ｄｏｃｓ.rs` is `docs.rs`; `bücher.de` is
//! `xn--bcher-kva.de`.
//!
//! A URL on a command line is read twice ([`command_hosts`]): as WHATWG
//! reads it, and as curl, wget and git read it (RFC 3986: the authority
//! ends at the first `/`, `?` or `#`, a backslash is an ordinary
//! character, a URL without a scheme is `http://`). Where the two readings
//! name different hosts both are returned, and the policy judges each, so
//! the stricter decision wins: `https://evil.example\@docs.rs/` reaches
//! evil.example under WHATWG and docs.rs under curl, and is judged as both.

use std::net::Ipv6Addr;

use url::{Host, Url};

/// A URL WebFetch cannot fetch: no WHATWG parse, or no host to reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError {
    pub url: String,
    pub why: String,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not a URL with a host ({})", self.url, self.why)
    }
}

impl std::error::Error for UrlError {}

/// Where a URL given to WebFetch leads, read as the agent's client reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// A network host, canonical (see [`canonical_host`]).
    Host(String),
    /// A local file (`file:///…`), its path decoded.
    File(String),
}

/// A WebFetch URL, parsed as WHATWG (Node) parses it.
pub fn fetch_target(text: &str) -> Result<Fetch, UrlError> {
    let err = |why: String| UrlError {
        url: text.to_string(),
        why,
    };
    let url = Url::parse(text).map_err(|e| err(e.to_string()))?;
    if url.scheme() == "file" {
        return match url.to_file_path() {
            Ok(p) => Ok(Fetch::File(p.to_string_lossy().into_owned())),
            Err(()) => Err(err("a file URL with a host".into())),
        };
    }
    url.host_str()
        .and_then(canonical_host)
        .map(Fetch::Host)
        .ok_or_else(|| err("no host".into()))
}

/// An `http://` or `https://` URL ztguard connects to itself (the model
/// API gateway's upstream).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpUrl {
    pub tls: bool,
    /// Canonical, see [`canonical_host`].
    pub host: String,
    pub port: u16,
    /// The path, without its trailing `/` (empty for the root).
    pub path: String,
}

/// Parse an `http(s)://host[:port][/path]` URL (WHATWG).
pub fn http_url(text: &str) -> Result<HttpUrl, UrlError> {
    let err = |why: &str| UrlError {
        url: text.to_string(),
        why: why.to_string(),
    };
    let url = Url::parse(text).map_err(|e| err(&e.to_string()))?;
    let tls = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err(err("it must start with https:// or http://")),
    };
    let host = url
        .host_str()
        .and_then(canonical_host)
        .ok_or_else(|| err("no host"))?;
    let port = url.port_or_known_default().ok_or_else(|| err("no port"))?;
    Ok(HttpUrl {
        tls,
        host,
        port,
        path: url.path().trim_end_matches('/').to_string(),
    })
}

/// The host of a URL read as WHATWG does; a URL without a scheme is read
/// as `http://` (what curl and wget do with `curl example.com`).
pub fn whatwg_host(text: &str) -> Option<String> {
    let parsed = match Url::parse(text) {
        Ok(u) if u.has_host() || u.scheme() == "file" => Some(u),
        // `docs.rs:443` parses as scheme `docs.rs`; `example.com` not at all.
        _ if !text.contains("://") => Url::parse(&format!("http://{text}")).ok(),
        _ => None,
    }?;
    parsed.host_str().and_then(canonical_host)
}

/// The host of a URL read as RFC 3986 clients (curl, wget, git) read it:
/// an optional `scheme:` and one to three `/`, then the authority up to
/// the first `/`, `?` or `#`, the user part up to its last `@`, the port
/// after the host. The host is then made canonical as WHATWG would.
pub fn rfc3986_host(text: &str) -> Option<String> {
    let rest = match scheme_len(text) {
        Some(n) if text[n + 1..].starts_with('/') => text[n + 1..].trim_start_matches('/'),
        _ => text,
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    let host = if host.starts_with('[') {
        host.split_inclusive(']').next()?
    } else {
        host.split(':').next()?
    };
    canonical_host(host)
}

/// Every host a URL given to a command may reach: the WHATWG and the RFC
/// 3986 readings, once each; `None` when a reading finds no host it can
/// name (the destination is then not known before the command runs).
/// `file:` URLs reach no host and give nothing.
pub fn command_hosts(text: &str) -> Vec<Option<String>> {
    if scheme_len(text).is_some_and(|n| text[..n].eq_ignore_ascii_case("file")) {
        return Vec::new();
    }
    let text = text.strip_prefix("git+").unwrap_or(text);
    let mut out = vec![whatwg_host(text)];
    let other = rfc3986_host(text);
    if !out.contains(&other) {
        out.push(other);
    }
    // A reading that finds no host says nothing when the other found one:
    // the client that reads it so fails before it connects.
    if out.len() == 2 && out.iter().any(Option::is_some) {
        out.retain(Option::is_some);
    }
    out
}

/// The URLs curl makes of one with globs (`{a,b}` alternatives; `[..]`
/// ranges are kept, their host is then no valid host and so not known):
/// at most 64, else the text itself.
pub fn curl_globs(text: &str, globbing: bool) -> Vec<String> {
    const MAX: usize = 64;
    if !globbing || !(text.contains('{') || text.contains('[')) {
        return vec![text.to_string()];
    }
    let mut out = vec![String::new()];
    let mut rest = text;
    while let Some(open) = rest.find(['{', '[']) {
        let close_ch = if rest[open..].starts_with('{') {
            '}'
        } else {
            ']'
        };
        let Some(close) = rest[open..].find(close_ch).map(|c| open + c) else {
            break;
        };
        let before = &rest[..open];
        let inner = &rest[open + 1..close];
        let alternatives: Vec<String> = if close_ch == '}' {
            inner.split(',').map(str::to_string).collect()
        } else {
            match glob_range(inner) {
                Some(r) => r,
                // An IPv6 address (curl leaves those alone), or not a range.
                None => vec![format!("[{inner}]")],
            }
        };
        if alternatives.is_empty() || out.len() * alternatives.len() > MAX {
            return vec![text.to_string()];
        }
        out = out
            .iter()
            .flat_map(|o| alternatives.iter().map(move |a| format!("{o}{before}{a}")))
            .collect();
        rest = &rest[close + 1..];
    }
    out.iter().map(|o| format!("{o}{rest}")).collect()
}

/// The values of a curl range glob's inside: `a-z`, `1-10`, `01-10` (zero
/// padded), each with an optional `:step`. None for anything else.
fn glob_range(inner: &str) -> Option<Vec<String>> {
    let (range, step) = match inner.split_once(':') {
        Some((r, s)) => (r, s.parse::<usize>().ok().filter(|s| *s > 0)?),
        None => (inner, 1),
    };
    let (from, to) = range.split_once('-')?;
    let (f, t) = (
        from.chars().collect::<Vec<_>>(),
        to.chars().collect::<Vec<_>>(),
    );
    if f.len() == 1 && t.len() == 1 && f[0].is_ascii_alphabetic() && t[0].is_ascii_alphabetic() {
        let (a, b) = (f[0] as u8, t[0] as u8);
        return (a <= b).then(|| {
            (a..=b)
                .step_by(step)
                .map(|c| (c as char).to_string())
                .collect()
        });
    }
    let (a, b) = (from.parse::<u64>().ok()?, to.parse::<u64>().ok()?);
    if a > b || b - a > 10_000 {
        return None;
    }
    let width = if from.starts_with('0') { from.len() } else { 0 };
    Some(
        (a..=b)
            .step_by(step)
            .map(|n| format!("{n:0width$}"))
            .collect(),
    )
}

/// The canonical spelling of a host: lowercase, punycode for IDNs, one
/// trailing dot dropped, percent escapes decoded, IPv4 in dotted decimal
/// whatever its spelling, IPv6 compressed without brackets and an
/// IPv4-mapped IPv6 address as its IPv4 address. None when it is not a
/// valid host.
pub fn canonical_host(host: &str) -> Option<String> {
    if host.is_empty() {
        return None;
    }
    let bare = host
        .strip_suffix('.')
        .filter(|h| !h.is_empty())
        .unwrap_or(host);
    let parsed = if bare.starts_with('[') {
        Host::parse(bare)
    } else if bare.contains(':') {
        // A bare IPv6 address (`::1`), as in a policy or a proxy request.
        Host::parse(&format!("[{bare}]"))
    } else {
        Host::parse(bare)
    }
    .ok()?;
    Some(match parsed {
        Host::Domain(d) => {
            let d = d.strip_suffix('.').unwrap_or(&d).to_string();
            if d.is_empty() {
                return None;
            }
            d
        }
        Host::Ipv4(a) => a.to_string(),
        Host::Ipv6(a) => v6(a),
    })
}

fn v6(a: Ipv6Addr) -> String {
    match a.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None => a.to_string(),
    }
}

/// The length of a leading `scheme:` (RFC 3986 `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`).
fn scheme_len(text: &str) -> Option<usize> {
    let colon = text.find(':')?;
    let s = &text[..colon];
    let mut chars = s.chars();
    (chars.next()?.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(colon)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(t: &str) -> Vec<Option<String>> {
        command_hosts(t)
    }

    fn one(h: &str) -> Vec<Option<String>> {
        vec![Some(h.to_string())]
    }

    #[test]
    fn every_spelling_of_an_address_is_one_host() {
        for spelling in [
            "127.0.0.1",
            "127.1",
            "2130706433",
            "0x7f.1",
            "0x7f000001",
            "0177.0.0.1",
            "0177.1",
            "127.0.0.1.",
            "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]",
            "[0:0:0:0:0:ffff:127.0.0.1]",
            "::ffff:127.0.0.1",
            "%31%32%37.0.0.1",
        ] {
            assert_eq!(
                canonical_host(spelling).as_deref(),
                Some("127.0.0.1"),
                "{spelling}"
            );
        }
        assert_eq!(canonical_host("0").as_deref(), Some("0.0.0.0"));
        assert_eq!(canonical_host("[::1]").as_deref(), Some("::1"));
        assert_eq!(canonical_host("[0:0::1]").as_deref(), Some("::1"));
        assert_eq!(canonical_host("::1").as_deref(), Some("::1"));
        assert_eq!(
            canonical_host("0xa9.0xfe.0xa9.0xfe").as_deref(),
            Some("169.254.169.254")
        );
        assert_eq!(
            canonical_host("2852039166").as_deref(),
            Some("169.254.169.254")
        );
    }

    #[test]
    fn names_are_lowercase_punycode_without_the_final_dot() {
        for spelling in ["docs.rs", "DOCS.RS", "Docs.Rs.", "d%6Fcs.rs", "ｄｏｃｓ.rs"] {
            assert_eq!(
                canonical_host(spelling).as_deref(),
                Some("docs.rs"),
                "{spelling}"
            );
        }
        assert_eq!(
            canonical_host("Bücher.de").as_deref(),
            Some("xn--bcher-kva.de")
        );
        assert_eq!(canonical_host("").as_deref(), None);
        assert_eq!(canonical_host(".").as_deref(), None);
        assert_eq!(canonical_host("a b").as_deref(), None);
        assert_eq!(canonical_host("a\\b").as_deref(), None);
    }

    #[test]
    fn webfetch_reads_as_node_does() {
        let host = |u: &str| match fetch_target(u) {
            Ok(Fetch::Host(h)) => Some(h),
            _ => None,
        };
        assert_eq!(
            host("https://evil.example\\@docs.rs/").as_deref(),
            Some("evil.example")
        );
        assert_eq!(
            host("https://docs.rs\\@evil.example/").as_deref(),
            Some("docs.rs")
        );
        assert_eq!(
            host("https:/\\evil.example/").as_deref(),
            Some("evil.example")
        );
        assert_eq!(host("https:evil.example").as_deref(), Some("evil.example"));
        assert_eq!(host("HTTPS://DOCS.RS./x").as_deref(), Some("docs.rs"));
        assert_eq!(
            host("https://u:p@docs.rs:8443/x").as_deref(),
            Some("docs.rs")
        );
        assert_eq!(host("https://docs.r\ts/").as_deref(), Some("docs.rs"));
        assert_eq!(host("http://127.1/").as_deref(), Some("127.0.0.1"));
        assert_eq!(host("docs.rs"), None);
        assert_eq!(host("https://"), None);
        assert_eq!(
            fetch_target("file:///etc/passwd"),
            Ok(Fetch::File("/etc/passwd".into()))
        );
    }

    #[test]
    fn curl_globs_are_the_urls_curl_makes() {
        assert_eq!(
            curl_globs("http://docs.rs{,.evil.example}/x", true),
            ["http://docs.rs/x", "http://docs.rs.evil.example/x"]
        );
        assert_eq!(
            curl_globs("http://{a,b}.io/{c,d}", true),
            [
                "http://a.io/c",
                "http://a.io/d",
                "http://b.io/c",
                "http://b.io/d"
            ]
        );
        assert_eq!(curl_globs("http://{a,b}.io/", false), ["http://{a,b}.io/"]);
        assert_eq!(curl_globs("http://a.io/", true), ["http://a.io/"]);
    }

    #[test]
    fn a_command_url_is_judged_by_both_readings() {
        let both = |a: &str, b: &str| vec![Some(a.to_string()), Some(b.to_string())];
        assert_eq!(
            hosts("https://evil.example\\@docs.rs/"),
            both("evil.example", "docs.rs")
        );
        assert_eq!(
            hosts("https://docs.rs\\@evil.example/"),
            both("docs.rs", "evil.example")
        );
        assert_eq!(hosts("http:evil.example"), both("evil.example", "http"));
        assert_eq!(hosts("https://docs.rs/x"), one("docs.rs"));
        assert_eq!(hosts("docs.rs/x"), one("docs.rs"));
        assert_eq!(hosts("docs.rs:443"), one("docs.rs"));
        assert_eq!(hosts("http://evil.example#@docs.rs/"), one("evil.example"));
        assert_eq!(hosts("http://evil.example?@docs.rs/"), one("evil.example"));
        assert_eq!(
            hosts("http://docs.rs:80@evil.example/"),
            one("evil.example")
        );
        assert_eq!(hosts("git+https://github.com/a/b"), one("github.com"));
        assert_eq!(hosts("ssh://git@GitHub.com/a/b"), one("github.com"));
        assert_eq!(
            hosts("http://[::ffff:169.254.169.254]/"),
            one("169.254.169.254")
        );
        assert_eq!(hosts("http://0/"), one("0.0.0.0"));
        assert_eq!(hosts("file:///etc/passwd"), Vec::<Option<String>>::new());
        assert_eq!(hosts("http:// /"), vec![None]);
    }
}
