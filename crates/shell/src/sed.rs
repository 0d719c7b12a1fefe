//! What a sed script does beyond editing its stream: the files its `r`/`R`
//! commands read, the files `w`/`W` and the `s///w` flag write, and whether
//! `e` or the `s///e` flag runs a shell command (GNU sed).
//!
//! The script is read as GNU sed reads it: each command has an optional
//! address (a line number, `$`, `first~step`, `/regex/` or `\cregexc` with
//! its `I`/`M` flags, a second address after `,` with `+N`/`~N`), an
//! optional `!`, then one letter; a file name runs from after the letter
//! (leading blanks skipped, none required: `w/etc/x` writes `/etc/x`) to the
//! end of the line, `;` included.

/// The side effects of a set of sed scripts.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Effects {
    pub reads: Vec<String>,
    pub writes: Vec<String>,
    pub executes: bool,
}

/// The effects of `scripts` (each an `-e` argument or the script operand).
pub fn effects(scripts: &[String]) -> Effects {
    let mut fx = Effects::default();
    for s in scripts {
        Parser {
            chars: s.chars().collect(),
            at: 0,
        }
        .run(&mut fx);
    }
    fx.writes
        .retain(|f| !f.is_empty() && f != "/dev/stdout" && f != "/dev/stderr");
    fx.reads.retain(|f| !f.is_empty() && f != "/dev/stdin");
    fx
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn skip(&mut self, set: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&set) {
            self.at += 1;
        }
    }

    /// The rest of the line (the newline consumed).
    fn line(&mut self) -> String {
        let start = self.at;
        while self.peek().is_some_and(|c| c != '\n') {
            self.at += 1;
        }
        let s: String = self.chars[start..self.at].iter().collect();
        self.at += 1;
        s
    }

    /// Text up to an unescaped `delim` (consumed).
    fn delimited(&mut self, delim: char) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            self.at += 1;
            if c == '\\' {
                if let Some(n) = self.peek() {
                    out.push(c);
                    out.push(n);
                    self.at += 1;
                }
                continue;
            }
            if c == delim {
                break;
            }
            out.push(c);
        }
        out
    }

    /// One address, if there is one.
    fn address(&mut self) {
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                self.skip(|c| c.is_ascii_digit());
                if self.peek() == Some('~') {
                    self.at += 1;
                    self.skip(|c| c.is_ascii_digit());
                }
            }
            Some('$') => self.at += 1,
            Some('/') => {
                self.at += 1;
                self.delimited('/');
                self.skip(|c| c == 'I' || c == 'M');
            }
            Some('\\') => {
                self.at += 1;
                if let Some(d) = self.peek() {
                    self.at += 1;
                    self.delimited(d);
                    self.skip(|c| c == 'I' || c == 'M');
                }
            }
            _ => {}
        }
    }

    fn run(&mut self, fx: &mut Effects) {
        while self.at < self.chars.len() {
            self.skip(|c| c.is_whitespace() || c == ';' || c == '{' || c == '}');
            self.address();
            self.skip(char::is_whitespace);
            if self.peek() == Some(',') {
                self.at += 1;
                self.skip(char::is_whitespace);
                if matches!(self.peek(), Some('+' | '~')) {
                    self.at += 1;
                    self.skip(|c| c.is_ascii_digit());
                } else {
                    self.address();
                }
            }
            self.skip(|c| c.is_whitespace() || c == '!');
            let Some(cmd) = self.peek() else { break };
            self.at += 1;
            match cmd {
                'r' | 'R' => fx.reads.push(self.line().trim_start().to_string()),
                'w' | 'W' => fx.writes.push(self.line().trim_start().to_string()),
                'e' => {
                    fx.executes = true;
                    self.line();
                }
                's' | 'y' => {
                    let Some(d) = self.peek() else { break };
                    self.at += 1;
                    self.delimited(d);
                    self.delimited(d);
                    if cmd == 's' {
                        self.flags(fx);
                    }
                }
                // Text to the end of the line (GNU one-line forms too).
                'a' | 'i' | 'c' => {
                    self.line();
                }
                // A label, or a branch to one: to the end of the command.
                ':' | 'b' | 't' | 'T' => self.skip(|c| c != ';' && c != '\n'),
                _ => {}
            }
        }
    }

    /// The flags of `s///`: `w FILE` takes the rest of the line, `e` runs it.
    fn flags(&mut self, fx: &mut Effects) {
        while let Some(c) = self.peek() {
            match c {
                'w' => {
                    self.at += 1;
                    fx.writes.push(self.line().trim_start().to_string());
                    return;
                }
                'e' => {
                    fx.executes = true;
                    self.at += 1;
                }
                ';' | '\n' | '}' => return,
                _ => self.at += 1,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(s: &str) -> Effects {
        effects(&[s.to_string()])
    }

    #[test]
    fn write_commands_in_every_spelling() {
        for (script, file) in [
            ("w /root/.bashrc", "/root/.bashrc"),
            ("w/root/.bashrc", "/root/.bashrc"),
            ("w.claude/settings.json", ".claude/settings.json"),
            ("1w/root/.ssh/authorized_keys", "/root/.ssh/authorized_keys"),
            ("$w/x", "/x"),
            ("W/root/.bashrc", "/root/.bashrc"),
            ("/re/w /etc/x", "/etc/x"),
            ("/a\\/b/w out", "out"),
            ("\\,a,w out", "out"),
            ("/a/I,/b/ w out", "out"),
            ("1,+3!w out", "out"),
            ("0~4w out", "out"),
            ("p;w out", "out"),
            ("/x/{w out\n}", "out"),
            ("s/a/b/w /etc/y", "/etc/y"),
            ("s/a/b/gw/etc/y", "/etc/y"),
            ("s|a|b|w out", "out"),
            ("y/ab/cd/;w out", "out"),
        ] {
            assert_eq!(of(script).writes, vec![file.to_string()], "{script}");
        }
        // `;` belongs to the file name, as GNU sed reads it.
        assert_eq!(of("w a;p").writes, vec!["a;p".to_string()]);
        assert!(of("p;s/w/x/g;/w/d").writes.is_empty());
        assert!(of("s/a/b/w /dev/stdout").writes.is_empty());
    }

    #[test]
    fn reads_and_executes() {
        assert_eq!(of("1r .env").reads, vec![".env".to_string()]);
        assert_eq!(of("$rsecrets/x").reads, vec!["secrets/x".to_string()]);
        assert_eq!(of("/x/R/etc/passwd").reads, vec!["/etc/passwd".to_string()]);
        assert!(of("1e id").executes);
        assert!(of("s/.*/id/e").executes);
        assert!(of("/x/e").executes);
        assert!(!of("s/e/x/g").executes);
        assert!(!of("/e/d").executes);
        assert!(of("a text with w in it").writes.is_empty());
    }
}
