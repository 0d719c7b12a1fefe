//! The line of each object key in a JSON document. serde_json gives values
//! without positions; findings need the line of the key that names a
//! package (`"lodash": "^4.17.0"`, `"node_modules/lodash": {…}`), and the
//! first line that merely contains the name is often another one.
//!
//! Only called on text serde_json has already parsed, so the walk can stay
//! a tokenizer: strings (with escapes, decoded by serde_json), nesting and
//! the key/value alternation.

use std::collections::HashMap;

/// Each key's path from the root (array elements as `[]`) → its 1-based line.
pub(crate) fn key_lines(text: &str) -> HashMap<Vec<String>, usize> {
    enum Frame {
        Object { expect_key: bool },
        Array,
    }
    let bytes = text.as_bytes();
    let mut out = HashMap::new();
    let mut stack: Vec<Frame> = Vec::new();
    // The keys of the enclosing containers, and the last key read in the innermost object.
    let mut path: Vec<String> = Vec::new();
    let mut line = 1;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => line += 1,
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    } else if bytes[i] == b'\n' {
                        line += 1;
                    }
                    i += 1;
                }
                let raw = text.get(start..=i.min(bytes.len() - 1)).unwrap_or("\"\"");
                if let Some(Frame::Object { expect_key }) = stack.last_mut()
                    && *expect_key
                {
                    *expect_key = false;
                    let key: String = serde_json::from_str(raw).unwrap_or_default();
                    path.push(key);
                    out.entry(path.clone()).or_insert(line);
                }
            }
            b'{' => {
                stack.push(Frame::Object { expect_key: true });
            }
            b'[' => {
                stack.push(Frame::Array);
                path.push("[]".into());
            }
            b'}' => {
                // The enclosing object's key stays on the path until its `,` or `}`.
                if let Some(Frame::Object { expect_key }) = stack.pop() {
                    // The last key of the object (none when it was empty).
                    if !expect_key {
                        path.pop();
                    }
                }
            }
            b']' => {
                stack.pop();
                path.pop();
            }
            b',' => {
                if let Some(Frame::Object { expect_key }) = stack.last_mut() {
                    *expect_key = true;
                    path.pop();
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(m: &HashMap<Vec<String>, usize>, path: &[&str]) -> Option<usize> {
        m.get(&path.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .copied()
    }

    #[test]
    fn lines_of_nested_keys() {
        let text = "{\n  \"name\": \"lodash-demo\",\n  \"a\": [1, {\"x\": 2}],\n  \"dependencies\": {\n    \"lo\\\"dash\": \"^4\",\n    \"lodash\": \"^4.17.0\"\n  },\n  \"devDependencies\": {}, \"z\": {\"dependencies\": {\"q\": \"1\"}}\n}\n";
        let m = key_lines(text);
        assert_eq!(at(&m, &["name"]), Some(2));
        assert_eq!(at(&m, &["a", "[]", "x"]), Some(3));
        assert_eq!(at(&m, &["dependencies", "lo\"dash"]), Some(5));
        assert_eq!(at(&m, &["dependencies", "lodash"]), Some(6));
        assert_eq!(at(&m, &["devDependencies"]), Some(8));
        assert_eq!(at(&m, &["z", "dependencies", "q"]), Some(8));
        assert_eq!(at(&m, &["lodash"]), None);
    }
}
