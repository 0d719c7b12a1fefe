//! Static expansion of one shell word: brace expansion, quotes, escapes,
//! ANSI-C strings, `~`, known variables and `$IFS` splitting — the same
//! order bash applies, so `{cat,.env}`, `c''at`, `$'\x63at'` and
//! `cat${IFS}.env` all come out as the words bash would run.

use std::collections::HashMap;

use brush_parser::ParserOptions;
use brush_parser::word::{
    self, BraceExpressionMember, BraceExpressionOrText, Parameter, ParameterExpr,
    ParameterTransformOp, TildeExpr, WordPiece, WordPieceWithSource,
};

use crate::model::Arg;

/// Most values a word may expand to before the rest is cut (brace bombs, loops).
const MAX_FIELDS: usize = 64;

/// Variable state and side products of expanding words in one scope.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expander {
    pub home: Option<String>,
    /// Variables assigned earlier in the line with static values.
    pub vars: HashMap<String, Vec<String>>,
    /// Variables known to hold something dynamic (assigned from `$(…)`, `read`).
    pub dynamic_vars: Vec<String>,
    /// Command substitution bodies met while expanding (the walker analyzes them).
    pub substitutions: Vec<String>,
    /// Parameter names referenced.
    pub used: Vec<String>,
    /// Set when a word failed to parse.
    pub error: Option<String>,
    /// Expansions that evaluate run-time data as code or names (`${x@P}`, `${!v}`).
    pub evals: Vec<String>,
}

#[derive(Default)]
struct Field {
    values: Vec<String>,
    dynamic: bool,
    glob: bool,
    started: bool,
}

impl Field {
    fn new() -> Self {
        Field {
            values: vec![String::new()],
            ..Default::default()
        }
    }
    fn push(&mut self, s: &str) {
        self.started = true;
        for v in &mut self.values {
            v.push_str(s);
        }
    }
    fn push_alternatives(&mut self, alts: &[String]) {
        self.started = true;
        let mut out = Vec::new();
        for v in &self.values {
            for a in alts {
                if out.len() >= MAX_FIELDS {
                    self.dynamic = true;
                    break;
                }
                out.push(format!("{v}{a}"));
            }
        }
        self.values = out;
    }
    fn into_arg(self) -> Arg {
        Arg {
            values: self.values,
            dynamic: self.dynamic,
            glob: self.glob,
            ..Default::default()
        }
    }
}

impl Expander {
    pub fn new(home: Option<String>) -> Self {
        Expander {
            home,
            ..Default::default()
        }
    }

    /// Expand a raw word into the argv words it becomes (zero or more).
    pub fn expand(&mut self, raw: &str) -> Vec<Arg> {
        let opts = ParserOptions::default();
        let mut out = Vec::new();
        for braced in brace_expand(raw, &opts) {
            match word::parse(&braced, &opts) {
                Ok(pieces) => {
                    let mut fields = vec![Field::new()];
                    self.pieces(&pieces, false, &mut fields);
                    out.extend(fields.into_iter().filter(|f| f.started).map(|f| {
                        let mut a = f.into_arg();
                        a.raw = raw.to_string();
                        a
                    }));
                }
                Err(e) => {
                    self.error = Some(format!("cannot parse word {braced:?}: {e}"));
                    out.push(Arg {
                        values: vec![braced],
                        dynamic: true,
                        raw: raw.to_string(),
                        ..Default::default()
                    });
                }
            }
        }
        out
    }

    /// Expand a word that is never split (assignment values, redirection targets).
    pub fn expand_one(&mut self, raw: &str) -> Arg {
        let mut args = self.expand(raw);
        match args.len() {
            0 => Arg::lit(""),
            1 => args.remove(0),
            _ => {
                let mut first = args.remove(0);
                for a in args {
                    first.dynamic |= a.dynamic;
                    first.glob |= a.glob;
                    for v in &mut first.values {
                        v.push(' ');
                        v.push_str(a.text());
                    }
                }
                first
            }
        }
    }

    /// Expand a heredoc body (quotes are literal there).
    pub fn expand_heredoc(&mut self, body: &str) -> Arg {
        let opts = ParserOptions::default();
        match word::parse_heredoc(body, &opts) {
            Ok(pieces) => {
                let mut fields = vec![Field::new()];
                self.pieces(&pieces, true, &mut fields);
                let mut f = fields.remove(0);
                f.started = true;
                f.into_arg()
            }
            Err(_) => Arg {
                values: vec![body.to_string()],
                dynamic: true,
                ..Default::default()
            },
        }
    }

    fn pieces(&mut self, pieces: &[WordPieceWithSource], quoted: bool, fields: &mut Vec<Field>) {
        for p in pieces {
            self.piece(&p.piece, quoted, fields);
        }
    }

    fn piece(&mut self, piece: &WordPiece, quoted: bool, fields: &mut Vec<Field>) {
        let cur = fields.len() - 1;
        match piece {
            WordPiece::Text(s) => {
                if !quoted && s.contains(['*', '?', '[']) {
                    fields[cur].glob = true;
                }
                fields[cur].push(s);
            }
            WordPiece::SingleQuotedText(s) => fields[cur].push(s),
            WordPiece::AnsiCQuotedText(s) => fields[cur].push(&decode_ansi_c(s)),
            WordPiece::DoubleQuotedSequence(inner)
            | WordPiece::GettextDoubleQuotedSequence(inner) => {
                fields[cur].started = true;
                self.pieces(inner, true, fields);
            }
            WordPiece::EscapeSequence(s) => {
                let escaped = s.strip_prefix('\\').unwrap_or(s);
                if quoted && !escaped.starts_with(['$', '`', '"', '\\', '\n']) {
                    fields[cur].push(s);
                } else if escaped != "\n" {
                    fields[cur].push(escaped);
                }
            }
            WordPiece::TildeExpansion(t) => match t {
                TildeExpr::Home => match &self.home {
                    Some(h) => {
                        let h = h.clone();
                        fields[cur].push(&h)
                    }
                    None => {
                        fields[cur].push("~");
                        fields[cur].dynamic = true;
                    }
                },
                TildeExpr::UserHome(u) => fields[cur].push(&format!("~{u}")),
                _ => {
                    fields[cur].started = true;
                    fields[cur].dynamic = true;
                }
            },
            WordPiece::ParameterExpansion(expr) => self.parameter(expr, quoted, fields),
            WordPiece::CommandSubstitution(body)
            | WordPiece::BackquotedCommandSubstitution(body) => {
                self.substitutions.push(body.clone());
                fields[cur].started = true;
                fields[cur].dynamic = true;
            }
            WordPiece::ArithmeticExpression(expr) => {
                // `$(( $(rm -rf /) + 1 ))`: substitutions inside arithmetic still run.
                self.arithmetic(&expr.value);
                fields[cur].push("0");
                fields[cur].dynamic = true;
            }
        }
    }

    /// Collect the command substitutions inside an arithmetic expression.
    pub fn arithmetic(&mut self, text: &str) {
        if !text.contains('$') && !text.contains('`') {
            return;
        }
        match word::parse(text, &ParserOptions::default()) {
            Ok(pieces) => {
                let mut scratch = vec![Field::new()];
                self.pieces(&pieces, true, &mut scratch);
            }
            Err(e) => self.error = Some(format!("cannot parse arithmetic {text:?}: {e}")),
        }
    }

    fn parameter(&mut self, expr: &ParameterExpr, quoted: bool, fields: &mut Vec<Field>) {
        let cur = fields.len() - 1;
        // Every operand of an expansion is itself expanded at run time:
        // `${x:-$(curl …)}`, `${x//a/$(cat .env)}`, `${a[$(id)]}` and
        // `${x:$(id):1}` run their substitutions whatever `x` holds.
        self.operands(expr);
        let (param, indirect) = match expr {
            ParameterExpr::Parameter {
                parameter,
                indirect,
            } => (parameter, *indirect),
            other => {
                // ${v:-x}, ${v#pat}, ${!prefix*}, … : the value is computed at run time.
                if let Some(name) = expr_name(other) {
                    self.used.push(name.clone());
                    if expr_indirect(other) {
                        self.indirect(&name);
                    }
                }
                if let ParameterExpr::Transform {
                    op: ParameterTransformOp::PromptExpand,
                    ..
                } = other
                {
                    // `${x@P}` expands the value as a prompt: any `$(…)` in it runs.
                    self.evals.push(
                        "`${…@P}` runs the command substitutions in a variable's value".into(),
                    );
                }
                fields[cur].started = true;
                fields[cur].dynamic = true;
                return;
            }
        };
        let name = match param {
            Parameter::Named(n) => n.clone(),
            Parameter::NamedWithIndex { name, .. }
            | Parameter::NamedWithAllIndices { name, .. } => name.clone(),
            _ => {
                fields[cur].started = true;
                fields[cur].dynamic = true;
                return;
            }
        };
        self.used.push(name.clone());
        if indirect {
            self.indirect(&name);
            fields[cur].started = true;
            fields[cur].dynamic = true;
            return;
        }
        if name == "IFS" && !self.vars.contains_key("IFS") {
            if quoted {
                fields[cur].push(" ");
            } else {
                // Unquoted $IFS splits the word: `cat${IFS}.env` is `cat .env`.
                fields.push(Field::new());
            }
            return;
        }
        if let Some(vals) = self.vars.get(&name).cloned() {
            if !quoted && vals.iter().any(|v| v.contains(char::is_whitespace)) {
                // Unquoted multi-word values split into several words.
                if let [single] = vals.as_slice() {
                    let mut parts = single.split_whitespace();
                    if let Some(first) = parts.next() {
                        fields[cur].push(first);
                    }
                    for p in parts {
                        let mut f = Field::new();
                        f.push(p);
                        fields.push(f);
                    }
                    return;
                }
            }
            if !quoted && vals.iter().any(|v| v.contains(['*', '?', '['])) {
                fields[cur].glob = true;
            }
            fields[cur].push_alternatives(&vals);
            return;
        }
        if self.dynamic_vars.contains(&name) {
            fields[cur].started = true;
            fields[cur].dynamic = true;
            return;
        }
        match name.as_str() {
            "HOME" => match self.home.clone() {
                Some(h) => fields[cur].push(&h),
                None => {
                    fields[cur].started = true;
                    fields[cur].dynamic = true;
                }
            },
            "PWD" => fields[cur].push("."),
            _ => {
                fields[cur].started = true;
                fields[cur].dynamic = true;
            }
        }
    }
}

impl Expander {
    /// Walk the words inside an expansion's operands for what they run and read.
    fn operands(&mut self, expr: &ParameterExpr) {
        use ParameterExpr as P;
        let param = match expr {
            P::Parameter { parameter, .. }
            | P::UseDefaultValues { parameter, .. }
            | P::AssignDefaultValues { parameter, .. }
            | P::IndicateErrorIfNullOrUnset { parameter, .. }
            | P::UseAlternativeValue { parameter, .. }
            | P::ParameterLength { parameter, .. }
            | P::RemoveSmallestSuffixPattern { parameter, .. }
            | P::RemoveLargestSuffixPattern { parameter, .. }
            | P::RemoveSmallestPrefixPattern { parameter, .. }
            | P::RemoveLargestPrefixPattern { parameter, .. }
            | P::Substring { parameter, .. }
            | P::Transform { parameter, .. }
            | P::UppercaseFirstChar { parameter, .. }
            | P::UppercasePattern { parameter, .. }
            | P::LowercaseFirstChar { parameter, .. }
            | P::LowercasePattern { parameter, .. }
            | P::ReplaceSubstring { parameter, .. } => Some(parameter),
            P::VariableNames { .. } | P::MemberKeys { .. } => None,
        };
        if let Some(Parameter::NamedWithIndex { index, .. }) = param {
            // An indexed array's subscript is arithmetic; an associative one's a word.
            self.arithmetic(index);
            self.operand(index);
        }
        let words: Vec<&str> = match expr {
            P::UseDefaultValues {
                default_value: w, ..
            }
            | P::AssignDefaultValues {
                default_value: w, ..
            }
            | P::IndicateErrorIfNullOrUnset {
                error_message: w, ..
            }
            | P::UseAlternativeValue {
                alternative_value: w,
                ..
            }
            | P::RemoveSmallestSuffixPattern { pattern: w, .. }
            | P::RemoveLargestSuffixPattern { pattern: w, .. }
            | P::RemoveSmallestPrefixPattern { pattern: w, .. }
            | P::RemoveLargestPrefixPattern { pattern: w, .. }
            | P::UppercaseFirstChar { pattern: w, .. }
            | P::UppercasePattern { pattern: w, .. }
            | P::LowercaseFirstChar { pattern: w, .. }
            | P::LowercasePattern { pattern: w, .. } => w.iter().map(String::as_str).collect(),
            P::ReplaceSubstring {
                pattern,
                replacement,
                ..
            } => std::iter::once(pattern.as_str())
                .chain(replacement.as_deref())
                .collect(),
            P::Substring { offset, length, .. } => {
                self.arithmetic(&offset.value);
                if let Some(l) = length {
                    self.arithmetic(&l.value);
                }
                Vec::new()
            }
            _ => Vec::new(),
        };
        for w in words {
            self.operand(w);
        }
    }

    /// Expand one operand word for its side products (substitutions, variables), discarding the value.
    fn operand(&mut self, word: &str) {
        if !word.contains(['$', '`']) {
            return;
        }
        match word::parse(word, &ParserOptions::default()) {
            Ok(pieces) => {
                let mut scratch = vec![Field::new()];
                self.pieces(&pieces, true, &mut scratch);
            }
            Err(e) => self.error = Some(format!("cannot parse expansion operand {word:?}: {e}")),
        }
    }

    /// `${!v}`: the variable read is named by `v`'s value.
    fn indirect(&mut self, name: &str) {
        match self.vars.get(name) {
            Some(vals) if !self.dynamic_vars.iter().any(|d| d == name) => {
                let vals = vals.clone();
                self.used.extend(vals);
            }
            _ => self.evals.push(format!(
                "`${{!{name}}}` reads a variable whose name is chosen at run time"
            )),
        }
    }
}

/// Whether an expansion is indirect (`${!v:-x}`).
fn expr_indirect(expr: &ParameterExpr) -> bool {
    let dbg = format!("{expr:?}");
    dbg.contains("indirect: true")
}

fn expr_name(expr: &ParameterExpr) -> Option<String> {
    // Every variant but VariableNames/MemberKeys carries a `parameter`; the
    // Debug form is the stable way to reach it without matching 20 variants.
    let dbg = format!("{expr:?}");
    let start = dbg.find("Named(\"")? + 7;
    let end = dbg[start..].find('"')? + start;
    Some(dbg[start..end].to_string())
}

/// Brace-expand a raw word (`{a,b}c`, `x{1..3}`), bounded to [`MAX_FIELDS`] results.
fn brace_expand(raw: &str, opts: &ParserOptions) -> Vec<String> {
    if !raw.contains('{') {
        return vec![raw.to_string()];
    }
    match word::parse_brace_expansions(raw, opts) {
        Ok(Some(parts)) => {
            let mut out = vec![String::new()];
            for part in &parts {
                out = product(out, &expand_part(part));
            }
            out.truncate(MAX_FIELDS);
            out
        }
        _ => vec![raw.to_string()],
    }
}

fn product(prefixes: Vec<String>, suffixes: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for p in &prefixes {
        for s in suffixes {
            if out.len() >= MAX_FIELDS {
                return out;
            }
            out.push(format!("{p}{s}"));
        }
    }
    out
}

fn expand_part(part: &BraceExpressionOrText) -> Vec<String> {
    match part {
        BraceExpressionOrText::Text(t) => vec![t.clone()],
        BraceExpressionOrText::Expr(members) => {
            let mut out = Vec::new();
            for m in members {
                match m {
                    BraceExpressionMember::NumberSequence {
                        start,
                        end,
                        increment,
                    } => {
                        let step = increment.unsigned_abs().max(1) as i64;
                        let (mut i, up) = (*start, start <= end);
                        while out.len() < MAX_FIELDS && ((up && i <= *end) || (!up && i >= *end)) {
                            out.push(i.to_string());
                            i = if up { i + step } else { i - step };
                        }
                    }
                    BraceExpressionMember::CharSequence { start, end, .. } => {
                        let (a, b) = (*start as u32, *end as u32);
                        let range: Vec<u32> = if a <= b {
                            (a..=b).collect()
                        } else {
                            (b..=a).rev().collect()
                        };
                        out.extend(
                            range
                                .into_iter()
                                .filter_map(char::from_u32)
                                .map(String::from),
                        );
                    }
                    BraceExpressionMember::Child(children) => {
                        let mut acc = vec![String::new()];
                        for c in children {
                            acc = product(acc, &expand_part(c));
                        }
                        out.extend(acc);
                    }
                }
                if out.len() >= MAX_FIELDS {
                    break;
                }
            }
            out
        }
    }
}

/// Decode the body of `$'…'`.
pub(crate) fn decode_ansi_c(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            out.push('\\');
            break;
        };
        match e {
            'n' => out.push('\n'),
            't' => out.push('\t'),
            'r' => out.push('\r'),
            'a' => out.push('\x07'),
            'b' => out.push('\x08'),
            'e' | 'E' => out.push('\x1b'),
            'f' => out.push('\x0c'),
            'v' => out.push('\x0b'),
            'c' => {
                if let Some(x) = chars.next() {
                    out.push(char::from((x as u8) & 0x1f));
                }
            }
            'x' | 'u' | 'U' => {
                let max = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let mut hex = String::new();
                while hex.len() < max && chars.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                    hex.extend(chars.next());
                }
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(ch) => out.push(ch),
                    None => {
                        out.push('\\');
                        out.push(e);
                        out.push_str(&hex);
                    }
                }
            }
            '0'..='7' => {
                let mut oct = String::from(e);
                while oct.len() < 3 && chars.peek().is_some_and(|c| ('0'..='7').contains(c)) {
                    oct.extend(chars.next());
                }
                if let Some(ch) = u32::from_str_radix(&oct, 8).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            other => {
                if !matches!(other, '\\' | '\'' | '"' | '?') {
                    out.push('\\');
                }
                out.push(other);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(raw: &str) -> Vec<String> {
        let mut e = Expander::new(Some("/home/u".into()));
        e.expand(raw)
            .into_iter()
            .map(|a| a.text().to_string())
            .collect()
    }

    #[test]
    fn quotes_escapes_and_ansi_c() {
        assert_eq!(words("c''at"), ["cat"]);
        assert_eq!(words(r#"c"a"t"#), ["cat"]);
        assert_eq!(words(r"\c\a\t"), ["cat"]);
        assert_eq!(words(r"$'\x63\141t'"), ["cat"]);
        assert_eq!(words(r#""a\b\$c""#), [r"a\b$c"]);
    }

    #[test]
    fn braces_ifs_and_home() {
        assert_eq!(words("{cat,.env}"), ["cat", ".env"]);
        assert_eq!(words(".e{n,}v"), [".env", ".ev"]);
        assert_eq!(words("cat${IFS}.env"), ["cat", ".env"]);
        assert_eq!(words("~/.ssh/id_rsa"), ["/home/u/.ssh/id_rsa"]);
        assert_eq!(words("\"${HOME}\"/.aws"), ["/home/u/.aws"]);
        assert_eq!(words("~bob/x"), ["~bob/x"]);
    }

    #[test]
    fn dynamic_parts_are_marked() {
        let mut e = Expander::new(None);
        let a = e.expand("$(echo rm)");
        assert!(a[0].dynamic);
        assert_eq!(e.substitutions, ["echo rm"]);
        let a = e.expand("'*'.rs");
        assert!(!a[0].glob);
        let a = e.expand("*.rs");
        assert!(a[0].glob);
    }
}
