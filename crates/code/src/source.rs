//! A light model of a source file, enough to tell a literal from a value
//! built at run time: comments masked out, call sites with their argument
//! lists, and what each simple variable was last assigned.
//!
//! Why not a parser per language: the agent writes fragments (an Edit's
//! new_string is rarely a whole file) and code that does not compile yet.
//! This model never fails; where it cannot tell, a rule decides whether an
//! unknown value is worth a finding.

use std::collections::HashMap;

use crate::Language;

/// What an expression is, as far as injection is concerned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// Nothing there: `eval()`.
    Empty,
    /// A constant string (or literals joined together): safe to pass on.
    Literal,
    /// A string built from run-time values: f-strings, `%`, `.format`,
    /// `+` with a variable, template literals with `${}`, `format!`, `Sprintf`.
    Built,
    /// Any other expression (a name, a call, an attribute): unknown.
    Other,
}

/// A call site: `callee(args)`.
#[derive(Clone, Debug)]
pub struct Call<'a> {
    /// The callee as written, without spaces: `subprocess.run`, `cp.exec`, `Command::new`.
    pub callee: &'a str,
    /// Byte offset of the callee's start.
    pub start: usize,
    /// The argument list's text (between the parentheses).
    pub args_text: &'a str,
    /// Top-level arguments, trimmed.
    pub args: Vec<&'a str>,
    /// The text after the closing parenthesis to the end of the statement.
    pub tail: &'a str,
    /// Byte offset just after the closing parenthesis.
    pub end: usize,
}

impl Call<'_> {
    /// The call as written, from the callee to the closing parenthesis.
    pub fn text<'s>(&self, src: &'s Source<'_>) -> &'s str {
        src.text.get(self.start..self.end).unwrap_or("")
    }

    /// The last segment of the callee: `run` in `subprocess.run`.
    pub fn method(&self) -> &str {
        self.callee.rsplit(['.', ':']).next().unwrap_or(self.callee)
    }

    /// The receiver: `subprocess` in `subprocess.run`.
    pub fn receiver(&self) -> Option<&str> {
        self.callee.rfind('.').map(|i| &self.callee[..i])
    }

    /// A keyword argument's value (`shell=True` → `True`).
    pub fn kwarg(&self, name: &str) -> Option<&str> {
        self.args.iter().find_map(|a| {
            let (k, v) = a.split_once('=')?;
            (k.trim() == name && !v.starts_with('=')).then(|| v.trim())
        })
    }

    /// Positional arguments (not `name=value`).
    pub fn positional(&self) -> Vec<&str> {
        self.args.iter().copied().filter(|a| !is_kwarg(a)).collect()
    }
}

fn is_kwarg(a: &str) -> bool {
    let Some(i) = a.find('=') else { return false };
    let (k, rest) = (&a[..i], &a[i..]);
    !rest.starts_with("==")
        && !k.is_empty()
        && k.trim()
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// A source text prepared for the rules.
pub struct Source<'a> {
    pub lang: Language,
    pub text: &'a str,
    /// `text` with comments replaced by spaces (same length, same offsets).
    pub code: String,
    /// `code` with the contents of string literals blanked as well: for rules
    /// that look for an API's use, which a string naming it is not.
    pub bare: String,
    line_starts: Vec<usize>,
    vars: HashMap<String, Value>,
}

impl<'a> Source<'a> {
    pub fn new(lang: Language, text: &'a str) -> Source<'a> {
        let code = mask_comments(lang, text);
        let bare = mask_strings(lang, &code);
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let mut s = Source {
            lang,
            text,
            code,
            bare,
            line_starts,
            vars: HashMap::new(),
        };
        s.vars = s.assignments();
        s
    }

    /// 1-based line and column of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let l = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let col = self
            .text
            .get(self.line_starts[l]..offset)
            .map_or(0, |s| s.chars().count());
        (l + 1, col + 1)
    }

    /// Every call site in the code whose callee matches `pred`.
    pub fn calls(&self, pred: impl Fn(&str) -> bool) -> Vec<Call<'_>> {
        // Call sites are found where strings are blanked: a `(` inside a literal is not a call.
        let code = self.bare.as_str();
        let b = code.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while let Some(rel) = code[i..].find('(') {
            let open = i + rel;
            i = open + 1;
            // Walk back over the callee: identifier chars, `.`, `::`, `?.`.
            let mut end = open;
            while end > 0 && b[end - 1] == b' ' {
                end -= 1;
            }
            if end >= 2 && &b[end - 2..end] == b"?." {
                end -= 2;
            }
            let mut start = end;
            while start > 0 {
                let c = b[start - 1];
                if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' || c == b':' || c == b'$' {
                    start -= 1;
                } else {
                    break;
                }
            }
            // `(0, eval)(...)`: the callee is the last name of a parenthesized pair.
            let callee = if start == end && end > 0 && b[end - 1] == b')' {
                let inner_end = end - 1;
                let mut s = inner_end;
                while s > 0 && (b[s - 1].is_ascii_alphanumeric() || b[s - 1] == b'_') {
                    s -= 1;
                }
                start = s;
                &code[s..inner_end]
            } else {
                code[start..end].trim_start_matches(['.', ':'])
            };
            if callee.is_empty() || !pred(callee) {
                continue;
            }
            let Some(close) = matching(code, open) else {
                continue;
            };
            if self.is_definition(start, close) {
                continue;
            }
            let args_text = &self.text[open + 1..close];
            let stmt_end = code[close..]
                .find([';', '\n'])
                .map_or(code.len(), |n| close + n);
            out.push(Call {
                callee,
                start,
                args_text,
                args: split_args(args_text),
                tail: &self.text[close + 1..stmt_end.max(close + 1)],
                end: close + 1,
            });
        }
        out
    }

    /// Whether the "call" from `start` to the parenthesis at `close` is a
    /// definition: `class X(Base):`, `def f(x):`, `function f(x) {`,
    /// `fn f(x)`, `func (r *T) Exec(x)`, a JavaScript method `exec(cmd) {`.
    fn is_definition(&self, start: usize, close: usize) -> bool {
        let b = self.bare.as_bytes();
        let line_start = self.bare[..start].rfind('\n').map_or(0, |i| i + 1);
        let before = self.bare[line_start..start].trim_end();
        let word = before
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        let keyword = match self.lang {
            Language::Python => matches!(word, "class" | "def"),
            Language::JavaScript => {
                matches!(word, "function" | "class" | "get" | "set" | "async")
                    && !before.ends_with('.')
            }
            Language::Rust => word == "fn",
            Language::Go => {
                word == "func"
                    // `func (r *T) Name(`: a method with its receiver.
                    || (before.ends_with(')') && before.trim_start().starts_with("func ("))
            }
            Language::Shell => false,
        };
        if keyword {
            return true;
        }
        // JavaScript: `name(args) {` with no receiver is a method or a
        // function being defined (a call is never followed by a block).
        if self.lang == Language::JavaScript {
            let callee = &self.bare[start..];
            let plain = callee
                .bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'$')
                .count();
            let after = self.bare[close + 1..].trim_start();
            let control = matches!(
                &self.bare[start..start + plain],
                "if" | "for" | "while" | "switch" | "catch" | "with"
            );
            let rest_of_line = after.split('\n').next().unwrap_or("").trim_end();
            let block_follows =
                after.starts_with('{') || (after.starts_with(':') && rest_of_line.ends_with('{'));
            let at_member_start = before.is_empty()
                || before.ends_with([';', '{', '}'])
                || matches!(
                    word,
                    "static" | "public" | "private" | "protected" | "override"
                );
            if b.get(start + plain) != Some(&b'.') && !control && block_follows && at_member_start {
                return true;
            }
        }
        false
    }

    /// Classify an expression, following simple variables to their value.
    pub fn value(&self, expr: &str) -> Value {
        let v = classify(self.lang, expr);
        if v == Value::Other {
            let name = expr.trim().trim_start_matches(['&', '*']).trim();
            let name = name.strip_prefix("$").unwrap_or(name);
            let name = name.trim_start_matches('{').trim_end_matches('}');
            if let Some(known) = self.vars.get(name) {
                return known.clone();
            }
        }
        v
    }

    /// Whether the code defines a function of this name (shadowing a builtin).
    pub fn defines(&self, name: &str) -> bool {
        let pat = format!("def {name}(");
        let js = format!("function {name}(");
        self.code.contains(&pat) || self.code.contains(&js)
    }

    /// Simple assignments `name = expr` (and `:=`, `let`, `const`, `var`), last one wins.
    fn assignments(&self) -> HashMap<String, Value> {
        let mut vars = HashMap::new();
        for line in self.code.lines() {
            let t = line.trim_start();
            let t = t
                .strip_prefix("let mut ")
                .or_else(|| t.strip_prefix("let "))
                .or_else(|| t.strip_prefix("const "))
                .or_else(|| t.strip_prefix("var "))
                .or_else(|| t.strip_prefix("export "))
                .unwrap_or(t);
            let Some((lhs, rhs)) = split_assignment(t) else {
                continue;
            };
            // `a, _ := f(x)`: the first name gets the call's classification.
            let name = lhs.split(',').next().unwrap_or(lhs).trim();
            let name = name.split(':').next().unwrap_or(name).trim();
            if name.is_empty() || !name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
                continue;
            }
            let rhs = rhs.trim().trim_end_matches(';').trim();
            let v = match classify(self.lang, rhs) {
                // `x = other_var`: inherit what is known of it.
                Value::Other => vars.get(rhs).cloned().unwrap_or_else(|| {
                    // A call whose arguments are all literals yields a constant: `LookPath("go")`.
                    if derived_from_literals(self.lang, rhs) {
                        Value::Literal
                    } else {
                        Value::Other
                    }
                }),
                v => v,
            };
            vars.insert(name.to_string(), v);
        }
        vars
    }
}

/// `name = expr` / `name := expr`, not `==`, `<=`, `+=`.
fn split_assignment(t: &str) -> Option<(&str, &str)> {
    let i = t.find('=')?;
    let before = t[..i].trim_end();
    let after = &t[i + 1..];
    if after.starts_with('=') || after.starts_with('>') {
        return None;
    }
    let before = before.strip_suffix(':').unwrap_or(before);
    if before.ends_with(['!', '<', '>', '+', '-', '*', '/', '%', '|', '&', '^']) {
        return None;
    }
    if before.contains('(') || before.contains('"') || before.contains('\'') {
        return None;
    }
    Some((before, after))
}

/// `f("go")`, `exec.LookPath("go")`: a call on literals only.
fn derived_from_literals(lang: Language, rhs: &str) -> bool {
    let (Some(open), true) = (rhs.find('('), rhs.ends_with(')')) else {
        return false;
    };
    let inner = &rhs[open + 1..rhs.len() - 1];
    let args = split_args(inner);
    !args.is_empty() && args.iter().all(|a| classify(lang, a) == Value::Literal)
}

/// The bytes of `b` from `from` that are outside string literals, each with
/// the bracket depth after it: the walk that both [`matching`] and
/// [`split_top`] need.
fn unquoted(b: &[u8], from: usize) -> impl Iterator<Item = (usize, u8, i32)> + '_ {
    let mut i = from;
    let mut depth = 0i32;
    // The open quote, and whether it is tripled (Python's `"""`).
    let mut quote: Option<(u8, bool)> = None;
    std::iter::from_fn(move || {
        while i < b.len() {
            let (at, c) = (i, b[i]);
            if let Some((q, triple)) = quote {
                i += if c == b'\\' { 2 } else { 1 };
                if c == q && !triple {
                    quote = None;
                } else if c == q && b.get(at + 1) == Some(&q) && b.get(at + 2) == Some(&q) {
                    quote = None;
                    i = at + 3;
                }
                continue;
            }
            i += 1;
            match c {
                b'"' | b'\'' | b'`' => {
                    if b.get(at + 1) == Some(&c) && b.get(at + 2) == Some(&c) {
                        quote = Some((c, true));
                        i = at + 3;
                    } else {
                        quote = Some((c, false));
                    }
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    return Some((at, c, depth));
                }
                b')' | b']' | b'}' => {
                    depth -= 1;
                    return Some((at, c, depth));
                }
                _ => return Some((at, c, depth)),
            }
        }
        None
    })
}

/// Index of the parenthesis closing the one at `open`, skipping strings.
fn matching(code: &str, open: usize) -> Option<usize> {
    unquoted(code.as_bytes(), open)
        .find(|&(_, c, depth)| matches!(c, b')' | b']' | b'}') && depth == 0)
        .and_then(|(i, c, _)| (c == b')').then_some(i))
}

/// Split an argument list at top-level commas (a trailing comma adds nothing).
pub fn split_args(s: &str) -> Vec<&str> {
    let mut out = split_top(s, b',');
    if out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

/// Split an expression at top-level occurrences of an operator byte.
fn split_top(s: &str, op: u8) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c, depth) in unquoted(s.as_bytes(), 0) {
        if c == op && depth == 0 {
            out.push(s[start..i].trim());
            start = i + 1;
        }
    }
    out.push(s[start.min(s.len())..].trim());
    out
}

/// A single string literal (with its prefix), or None.
fn string_literal(lang: Language, e: &str) -> Option<(String, &str)> {
    let e = e.trim();
    let prefix_len = e
        .bytes()
        .take_while(|c| c.is_ascii_alphabetic())
        .count()
        .min(2);
    let (prefix, rest) = e.split_at(prefix_len);
    let q = *rest.as_bytes().first()?;
    if !matches!(q, b'"' | b'\'' | b'`') {
        return None;
    }
    if lang == Language::Python
        && rest.len() >= 6
        && (rest.starts_with("\"\"\"") || rest.starts_with("'''"))
    {
        let delim = &rest[..3];
        let body_end = closing_triple(rest, delim)?;
        if body_end + 3 != rest.len() {
            return None;
        }
        return Some((prefix.to_ascii_lowercase(), &rest[3..body_end]));
    }
    let body_end = closing_quote(rest, q)?;
    if body_end + 1 != rest.len() {
        return None;
    }
    Some((prefix.to_ascii_lowercase(), &rest[1..body_end]))
}

/// Start of the `delim` (`"""` or `'''`) that closes a triple-quoted string opened at 0.
fn closing_triple(s: &str, delim: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 3;
    while i + 3 <= b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if &b[i..i + 3] == delim.as_bytes() {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Python's implicit concatenation: `"SELECT a " "FROM t"` (across lines
/// too). The literals, each with its prefix, when `e` is nothing else.
fn adjacent_literals(lang: Language, e: &str) -> Option<Vec<(String, &str)>> {
    let mut out = Vec::new();
    let mut rest = e.trim();
    while !rest.is_empty() {
        let prefix_len = rest.bytes().take_while(|c| c.is_ascii_alphabetic()).count();
        if prefix_len > 2 {
            return None;
        }
        let q = *rest.as_bytes().get(prefix_len)?;
        if !matches!(q, b'"' | b'\'') {
            return None;
        }
        let quoted = &rest[prefix_len..];
        let end = if quoted.starts_with("\"\"\"") || quoted.starts_with("'''") {
            closing_triple(quoted, &quoted[..3])? + 3
        } else {
            closing_quote(quoted, q)? + 1
        };
        let one = &rest[..prefix_len + end];
        out.push(string_literal(lang, one)?);
        rest = rest[prefix_len + end..].trim_start();
    }
    (out.len() > 1).then_some(out)
}

fn closing_quote(s: &str, q: u8) -> Option<usize> {
    let b = s.as_bytes();
    let mut i = 1;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == q {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Classify an expression on its own (no variable lookup).
pub fn classify(lang: Language, e: &str) -> Value {
    let e = e.trim();
    if e.is_empty() {
        return Value::Empty;
    }
    if let Some((prefix, body)) = string_literal(lang, e) {
        let interpolated = match lang {
            Language::Python => prefix.contains('f') && body.contains('{'),
            Language::JavaScript => e.starts_with('`') && body.contains("${"),
            Language::Shell => body.contains('$') && !e.starts_with('\''),
            _ => false,
        };
        return if interpolated {
            Value::Built
        } else {
            Value::Literal
        };
    }
    if lang == Language::Python
        && let Some(parts) = adjacent_literals(lang, e)
    {
        return if parts
            .iter()
            .any(|(p, b)| p.contains('f') && b.contains('{'))
        {
            Value::Built
        } else {
            Value::Literal
        };
    }
    // Implicit or explicit concatenation of literals stays literal; with anything else, built.
    let parts = split_top(e, b'+');
    if parts.len() > 1 {
        let lits = parts
            .iter()
            .filter(|p| classify(lang, p) == Value::Literal)
            .count();
        return if lits == parts.len() {
            Value::Literal
        } else if lits > 0 || parts.iter().any(|p| classify(lang, p) == Value::Built) {
            Value::Built
        } else {
            Value::Other
        };
    }
    if lang == Language::Python {
        let pct = split_top(e, b'%');
        if pct.len() > 1 && string_literal(lang, pct[0]).is_some() {
            return Value::Built;
        }
        if let Some(i) = e.find(".format(")
            && string_literal(lang, &e[..i]).is_some()
        {
            return Value::Built;
        }
    }
    if e.starts_with("format!(")
        || e.starts_with("&format!(")
        || e.starts_with("fmt.Sprintf(")
        || e.starts_with("String.format(")
    {
        return Value::Built;
    }
    Value::Other
}

/// Blank the contents of string literals (quotes kept), keeping offsets.
pub fn mask_strings(lang: Language, code: &str) -> String {
    let b = code.as_bytes();
    let mut out = b.to_vec();
    // The open quote, and whether it is a Python triple quote.
    let mut quote: Option<(u8, bool)> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some((q, triple)) => {
                if c == b'\\' {
                    out[i] = b' ';
                    if i + 1 < b.len() && b[i + 1] != b'\n' {
                        out[i + 1] = b' ';
                    }
                    i += 2;
                    continue;
                }
                if triple {
                    if c == q && b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                        quote = None;
                        i += 3;
                        continue;
                    }
                    if c != b'\n' {
                        out[i] = b' ';
                    }
                } else if c == q || (c == b'\n' && q != b'`' && lang != Language::Python) {
                    quote = None;
                } else if c != b'\n' {
                    out[i] = b' ';
                }
            }
            None => {
                if matches!(c, b'"' | b'\'') || (c == b'`' && lang != Language::Python) {
                    if lang == Language::Python
                        && b.get(i + 1) == Some(&c)
                        && b.get(i + 2) == Some(&c)
                    {
                        quote = Some((c, true));
                        i += 3;
                        continue;
                    }
                    quote = Some((c, false));
                }
            }
        }
        i += 1;
    }
    // Every blanked byte became an ASCII space, so the text stays UTF-8.
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Replace comments with spaces, keeping offsets (strings are left alone).
pub fn mask_comments(lang: Language, text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let hash_comments = matches!(lang, Language::Python | Language::Shell);
    let slash_comments = matches!(lang, Language::JavaScript | Language::Rust | Language::Go);
    let mut i = 0;
    let mut quote: Option<(u8, bool)> = None;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for o in out.iter_mut().take(to).skip(from) {
            if *o != b'\n' {
                *o = b' ';
            }
        }
    };
    while i < b.len() {
        let c = b[i];
        if let Some((q, triple)) = quote {
            if c == b'\\' {
                i += 2;
                continue;
            }
            if triple {
                if c == q && b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
                    quote = None;
                    i += 3;
                    continue;
                }
            } else if c == q || (c == b'\n' && q != b'`' && lang != Language::Python) {
                quote = None;
            }
            i += 1;
            continue;
        }
        if hash_comments && c == b'#' {
            // In shell, `#` starts a comment only at a word start.
            let word_start = i == 0 || b[i - 1].is_ascii_whitespace() || b[i - 1] == b';';
            if lang == Language::Python || word_start {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
                continue;
            }
        }
        if slash_comments && c == b'/' && b.get(i + 1) == Some(&b'/') {
            let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        if slash_comments && c == b'/' && b.get(i + 1) == Some(&b'*') {
            let end = text[i + 2..].find("*/").map_or(b.len(), |n| i + 2 + n + 2);
            blank(&mut out, i, end);
            i = end;
            continue;
        }
        if lang == Language::Python
            && matches!(c, b'"' | b'\'')
            && b.get(i + 1) == Some(&c)
            && b.get(i + 2) == Some(&c)
        {
            let delim = &text[i..i + 3];
            let end = closing_triple(&text[i..], delim).map_or(b.len(), |n| i + n + 3);
            // A string standing as a statement (a docstring) is documentation:
            // what it shows (`SECRET_KEY = "…"`, `os.system(cmd)`) is not code.
            if docstring_position(&out, i) {
                blank(&mut out, i, end);
            }
            i = end;
            continue;
        }
        if matches!(c, b'"' | b'\'') || (c == b'`' && lang != Language::Python) {
            // A shell apostrophe inside a word (`don't`) still opens a quote; good enough.
            quote = Some((c, false));
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Whether a Python string starting at `at` is a statement of its own: only
/// a string prefix before it on its line, and the code before it ends a
/// statement or a `def`/`class` header (not `=`, `(`, `,`, an operator, or
/// a dict's `:`). `code` has the comments before `at` blanked already.
fn docstring_position(code: &[u8], at: usize) -> bool {
    let line_start = code[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let lead = &code[line_start..at];
    let lead_ok = {
        let t: Vec<u8> = lead
            .iter()
            .copied()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        t.len() <= 2 && t.iter().all(|c| b"rRbBuUfF".contains(c))
    };
    if !lead_ok {
        return false;
    }
    let Some(prev) = code[..line_start]
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
    else {
        return true;
    };
    match code[prev] {
        b'(' | b'[' | b'{' | b',' | b'=' | b'+' | b'-' | b'*' | b'/' | b'%' | b'|' | b'&'
        | b'<' | b'>' | b'\\' => false,
        b':' => {
            let ls = code[..prev]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1);
            let header = String::from_utf8_lossy(&code[ls..prev]);
            let h = header.trim_start();
            h.starts_with("def ") || h.starts_with("async def ") || h.starts_with("class ")
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_python() {
        let l = Language::Python;
        assert_eq!(classify(l, r#""SELECT 1""#), Value::Literal);
        assert_eq!(classify(l, r#"f"SELECT {x}""#), Value::Built);
        assert_eq!(classify(l, r#""a %s" % x"#), Value::Built);
        assert_eq!(classify(l, r#""a {}".format(x)"#), Value::Built);
        assert_eq!(classify(l, r#""a" + x"#), Value::Built);
        assert_eq!(classify(l, r#""a" + "b""#), Value::Literal);
        assert_eq!(classify(l, "x"), Value::Other);
        assert_eq!(classify(l, ""), Value::Empty);
    }

    #[test]
    fn finds_calls_and_arguments() {
        let s = Source::new(
            Language::Python,
            "import os\n# os.system(x)\nos.system(\"ls \" + d, shell=True)\n",
        );
        let calls = s.calls(|c| c == "os.system");
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].args, vec!["\"ls \" + d", "shell=True"]);
        assert_eq!(calls[0].kwarg("shell"), Some("True"));
        assert_eq!(s.position(calls[0].start), (3, 1));
    }

    #[test]
    fn strings_can_be_blanked() {
        let code = "let a = \"Md5::new é\"; Md5::new();";
        let bare = mask_strings(Language::Rust, code);
        assert_eq!(bare.len(), code.len());
        assert_eq!(bare.matches("Md5::new").count(), 1);
        assert!(bare.ends_with("Md5::new();"));
    }

    #[test]
    fn follows_variables() {
        let s = Source::new(
            Language::Go,
            "q := \"SELECT \" + id\nc := \"w\"\np, _ := exec.LookPath(\"go\")\n",
        );
        assert_eq!(s.value("q"), Value::Built);
        assert_eq!(s.value("c"), Value::Literal);
        assert_eq!(s.value("p"), Value::Literal);
        assert_eq!(s.value("userInput"), Value::Other);
    }
}
