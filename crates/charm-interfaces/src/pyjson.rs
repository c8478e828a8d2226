//! Byte-exact `json.dumps` from Python's standard library, for the shapes the
//! interfaces write: flat objects of strings (default separators `", "` and `": "`,
//! `ensure_ascii=True`).

/// Appends `s` as Python's `json.dumps(s)` writes it (with `ensure_ascii=True`).
pub fn push_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

/// `json.dumps({k: v, ...})` for string values, in the order given.
pub fn dumps_object<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_str(&mut out, k);
        out.push_str(": ");
        push_str(&mut out, v);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_python_json_dumps() {
        // Expected strings are what CPython 3.11 prints for json.dumps of the same input.
        assert_eq!(
            dumps_object([("a", "b"), ("c", "d")]),
            r#"{"a": "b", "c": "d"}"#
        );
        assert_eq!(dumps_object([]), "{}");
        let mut s = String::new();
        push_str(&mut s, "q\"\\\n\r\t\u{8}\u{c}\u{1}\u{7f}é😀");
        assert_eq!(s, r#""q\"\\\n\r\t\b\f\u0001\u007f\u00e9\ud83d\ude00""#);
    }
}
