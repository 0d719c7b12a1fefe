//! Redacting injected values from an operation's output, as it streams.
//!
//! Output arrives in arbitrary chunks, so a value can be split across two
//! reads. The writer holds back only the tail that could still become a
//! value (a proper prefix of one) and passes everything else through at
//! once, so a progress bar or a prompt is not delayed by the redaction.

use std::io::{self, Write};
use std::sync::Arc;

/// Values shorter than this are refused: redacting them would shred
/// ordinary output, and not redacting them would leak them.
pub const MIN_LEN: usize = 8;

/// The values to hide and what replaces each.
#[derive(Debug)]
pub struct Redactor {
    /// (value, replacement), longest value first.
    needles: Vec<(Vec<u8>, Vec<u8>)>,
    /// Bytes a value can start with.
    first: [bool; 256],
}

impl Redactor {
    /// Hide each `(name, value)`: the whole value, and for a value of
    /// several lines (a PEM key) each line of it that is long enough to
    /// be unmistakable.
    pub fn new<'a>(secrets: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Redactor {
        let mut r = Redactor {
            needles: Vec::new(),
            first: [false; 256],
        };
        for (name, value) in secrets {
            let replacement = format!("[REDACTED:{name}]").into_bytes();
            let mut add = |v: &[u8]| {
                if v.len() >= MIN_LEN && !r.needles.iter().any(|(n, _)| n == v) {
                    r.first[v[0] as usize] = true;
                    r.needles.push((v.to_vec(), replacement.clone()));
                }
            };
            add(value);
            for line in value.split(|b| *b == b'\n') {
                add(line.strip_suffix(b"\r").unwrap_or(line));
            }
        }
        r.needles.sort_by_key(|(n, _)| std::cmp::Reverse(n.len()));
        r
    }

    /// Redact a whole buffer.
    pub fn redact(&self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len());
        self.scan(data, true, &mut out);
        out
    }

    /// Redact `data` into `out` and return how many bytes were consumed;
    /// without `eof`, a tail that could still grow into a value is kept.
    fn scan(&self, data: &[u8], eof: bool, out: &mut Vec<u8>) -> usize {
        let mut i = 0;
        while i < data.len() {
            if self.first[data[i] as usize] {
                let rest = &data[i..];
                if let Some((n, rep)) = self.needles.iter().find(|(n, _)| rest.starts_with(n)) {
                    out.extend_from_slice(rep);
                    i += n.len();
                    continue;
                }
                if !eof
                    && self
                        .needles
                        .iter()
                        .any(|(n, _)| n.len() > rest.len() && n.starts_with(rest))
                {
                    return i;
                }
            }
            out.push(data[i]);
            i += 1;
        }
        i
    }
}

/// A writer that redacts what passes through it.
pub struct RedactingWriter<W: Write> {
    redactor: Arc<Redactor>,
    pending: Vec<u8>,
    out: W,
}

impl<W: Write> RedactingWriter<W> {
    pub fn new(redactor: Arc<Redactor>, out: W) -> Self {
        RedactingWriter {
            redactor,
            pending: Vec::new(),
            out,
        }
    }

    /// Write out what was held back (the stream has ended) and return the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.drain(true)?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn drain(&mut self, eof: bool) -> io::Result<()> {
        let mut done = Vec::with_capacity(self.pending.len());
        let used = self.redactor.scan(&self.pending, eof, &mut done);
        self.pending.drain(..used);
        if !done.is_empty() {
            self.out.write_all(&done)?;
        }
        Ok(())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        self.drain(false)?;
        Ok(buf.len())
    }

    /// Flushes what is safe to show; a possible start of a value stays held.
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &[u8] = b"fake-token-0123456789";

    fn redactor() -> Arc<Redactor> {
        Arc::new(Redactor::new([
            ("deploy", TOKEN),
            ("key", b"line-one-long\nline-two-long".as_slice()),
        ]))
    }

    #[test]
    fn values_are_replaced_in_a_whole_buffer() {
        let out = redactor().redact(b"a fake-token-0123456789 b line-two-long c");
        assert_eq!(out, b"a [REDACTED:deploy] b [REDACTED:key] c");
    }

    #[test]
    fn a_value_split_across_every_possible_pair_of_writes_is_still_caught() {
        let text = b"before fake-token-0123456789 after fake-tok";
        for cut in 0..text.len() {
            let mut w = RedactingWriter::new(redactor(), Vec::new());
            w.write_all(&text[..cut]).expect("write");
            w.write_all(&text[cut..]).expect("write");
            let out = w.finish().expect("finish");
            assert_eq!(
                String::from_utf8_lossy(&out),
                "before [REDACTED:deploy] after fake-tok",
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn only_a_possible_start_of_a_value_is_held_back() {
        let mut w = RedactingWriter::new(redactor(), Vec::new());
        w.write_all(b"progress 10%\rfake-to").expect("write");
        assert_eq!(w.out, b"progress 10%\r", "the possible start is held");
        w.write_all(b"night").expect("write");
        assert_eq!(w.out, b"progress 10%\rfake-tonight");
    }

    #[test]
    fn short_values_are_not_used_as_patterns() {
        let r = Redactor::new([("pin", b"1234".as_slice())]);
        assert_eq!(r.redact(b"1234"), b"1234");
    }
}
