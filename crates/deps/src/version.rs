//! Version ordering good enough for semver (crates.io, npm, Go) and the
//! common PEP 440 forms: numeric parts compare as numbers, a pre-release
//! (`-rc.1`, `a1`, `b2`, `rc1`, `.dev0`) sorts before its release, and build
//! metadata (`+…`) is ignored.

use std::cmp::Ordering;

#[derive(Debug, PartialEq, Eq)]
enum Part {
    Num(u64),
    Text(String),
}

fn parse(v: &str) -> (Vec<u64>, Vec<Part>) {
    let v = v.trim().trim_start_matches(['v', 'V', '=']);
    let v = v.split('+').next().unwrap_or(v);
    // Release numbers first, then whatever pre-release tag follows.
    let mut release = Vec::new();
    let mut rest = v;
    loop {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            break;
        }
        release.push(rest[..digits].parse().unwrap_or(u64::MAX));
        rest = &rest[digits..];
        match rest.strip_prefix('.') {
            Some(r) if r.starts_with(|c: char| c.is_ascii_digit()) => rest = r,
            _ => break,
        }
    }
    let mut pre = Vec::new();
    let tag = rest.trim_start_matches(['-', '.', '_']);
    let mut cur = String::new();
    let mut num = false;
    for c in tag.chars() {
        if matches!(c, '.' | '-' | '_') {
            push(&mut pre, &mut cur, num);
            continue;
        }
        let d = c.is_ascii_digit();
        if !cur.is_empty() && d != num {
            push(&mut pre, &mut cur, num);
        }
        num = d;
        cur.push(c.to_ascii_lowercase());
    }
    push(&mut pre, &mut cur, num);
    (release, pre)
}

fn push(parts: &mut Vec<Part>, cur: &mut String, num: bool) {
    if cur.is_empty() {
        return;
    }
    parts.push(if num {
        Part::Num(cur.parse().unwrap_or(u64::MAX))
    } else {
        Part::Text(std::mem::take(cur))
    });
    cur.clear();
}

/// Compare two version strings.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (ra, pa) = parse(a);
    let (rb, pb) = parse(b);
    let n = ra.len().max(rb.len());
    for i in 0..n {
        let x = ra.get(i).copied().unwrap_or(0);
        let y = rb.get(i).copied().unwrap_or(0);
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    // A release sorts after its pre-releases; `post` releases after it.
    let rank = |p: &[Part]| match p.first() {
        None => 1,
        Some(Part::Text(t)) if t == "post" => 2,
        Some(_) => 0,
    };
    match rank(&pa).cmp(&rank(&pb)) {
        Ordering::Equal => {}
        o => return o,
    }
    for (x, y) in pa.iter().zip(pb.iter()) {
        let o = match (x, y) {
            (Part::Num(x), Part::Num(y)) => x.cmp(y),
            (Part::Text(x), Part::Text(y)) => x.cmp(y),
            (Part::Num(_), Part::Text(_)) => Ordering::Greater,
            (Part::Text(_), Part::Num(_)) => Ordering::Less,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    pa.len().cmp(&pb.len())
}

/// The lowest version a requirement admits, when it names one:
/// `^1.2.3`, `~1.2`, `>=1.0,<2`, `==2.0.1`, `1.2.3` → `1.2.3`, `1.2`, `1.0`, …
pub fn lower_bound(req: &str) -> Option<String> {
    let req = req.trim();
    if req.is_empty() || req == "*" || req == "latest" {
        return None;
    }
    for part in req.split([',', ' ']) {
        let p = part.trim();
        let p = p
            .trim_start_matches("===")
            .trim_start_matches("==")
            .trim_start_matches(">=")
            .trim_start_matches("~=")
            .trim_start_matches(['^', '~', '=', 'v']);
        if p.starts_with(|c: char| c.is_ascii_digit())
            && !part.trim().starts_with('<')
            && !part.trim().starts_with('!')
        {
            let v: String = p
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
                .collect();
            let v = v.trim_end_matches(".*").to_string();
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn orders_versions() {
        assert_eq!(compare("1.2.3", "1.2.10"), Less);
        assert_eq!(compare("1.2", "1.2.0"), Equal);
        assert_eq!(compare("2.0.0-rc.1", "2.0.0"), Less);
        assert_eq!(compare("2.0.0rc1", "2.0.0"), Less);
        assert_eq!(compare("1.0a1", "1.0b1"), Less);
        assert_eq!(compare("v1.4.0", "1.3.9"), Greater);
        assert_eq!(compare("1.0.post1", "1.0"), Greater);
        assert_eq!(compare("1.0.0+build5", "1.0.0"), Equal);
    }

    #[test]
    fn lower_bounds() {
        assert_eq!(lower_bound("^1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(lower_bound(">=2.0,<3").as_deref(), Some("2.0"));
        assert_eq!(lower_bound("==2.19.1").as_deref(), Some("2.19.1"));
        assert_eq!(lower_bound("<3").as_deref(), None);
        assert_eq!(lower_bound("*"), None);
    }
}
