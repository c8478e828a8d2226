//! Byte-exact `json.dumps` from Python's standard library, for the shapes the
//! interfaces write: flat objects of strings (default separators `", "` and `": "`,
//! `ensure_ascii=True`), and any `Serialize` value through [`to_string`] (nested objects
//! in field order, lists, booleans, `null`).

/// Appends `s` as Python's `json.dumps(s)` writes it (with `ensure_ascii=True`).
pub fn push_str(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    // Runs of printable ASCII other than `"` and `\` are copied whole (values of tens of
    // kilobytes, such as alert rules, are mostly that); only the rest goes char by char.
    let mut rest = s;
    while !rest.is_empty() {
        let plain = rest
            .bytes()
            .position(|b| !(b' '..=b'~').contains(&b) || b == b'"' || b == b'\\')
            .unwrap_or(rest.len());
        out.push_str(&rest[..plain]);
        rest = &rest[plain..];
        let Some(c) = rest.chars().next() else { break };
        rest = &rest[c.len_utf8()..];
        push_char(out, c);
    }
    out.push('"');
}

/// One character that is not plain printable ASCII, as `json.dumps` escapes it.
fn push_char(out: &mut String, c: char) {
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

/// A `serde_json` formatter writing what Python's `json.dumps(value)` writes with its
/// defaults: `", "` between items, `": "` after keys, every character outside printable
/// ASCII escaped as `\uXXXX` (serde_json already escapes quotes, backslashes and control
/// characters with the same short forms and lowercase hex as CPython).
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonFormatter;

impl serde_json::ser::Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
    ) -> std::io::Result<()> {
        writer.write_all(b": ")
    }
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        if fragment.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut out = String::with_capacity(fragment.len() + 16);
        for c in fragment.chars() {
            if (' '..='~').contains(&c) {
                out.push(c);
            } else {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        writer.write_all(out.as_bytes())
    }
}

/// `json.dumps(value)` as CPython writes it, for any `Serialize` value whose maps keep the
/// order Python's dicts would have (structs in field order, `Vec`s of pairs as maps by a
/// `serialize_with`, never a `serde_json::Value` object, whose keys serde_json sorts).
/// Floats are not written the way Python writes them; the interfaces have none.
pub fn to_string<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    value.serialize(&mut ser)?;
    // The formatter writes ASCII only.
    Ok(String::from_utf8_lossy(&out).into_owned())
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

    #[test]
    fn strings_escape_alike_through_both_writers() {
        // The run-copying `push_str` and the serde formatter agree on every mix of plain
        // runs and escapes, at the start, the middle and the end.
        let parts = [
            "plain text",
            "\"",
            "\\",
            "\n",
            "\u{1}",
            "\u{7f}",
            "é",
            "😀",
            "~ ",
            "",
        ];
        for a in parts {
            for b in parts {
                for c in parts {
                    let v = format!("{a}{b}{c}{a}");
                    let mut mine = String::new();
                    push_str(&mut mine, &v);
                    assert_eq!(mine, to_string(&v).expect("serialises"), "{v:?}");
                }
            }
        }
    }

    #[test]
    fn serialize_matches_python_json_dumps() {
        #[derive(serde::Serialize)]
        struct Inner<'a> {
            key: &'a str,
            value: &'a str,
        }
        #[derive(serde::Serialize)]
        struct Outer<'a> {
            name: &'a str,
            tags: Vec<Inner<'a>>,
            on: bool,
            off: bool,
            none: Option<u8>,
            n: i64,
            empty: Vec<u8>,
        }
        let v = Outer {
            name: "é\u{7f}\"q\"\n😀",
            tags: vec![
                Inner {
                    key: "a",
                    value: "",
                },
                Inner {
                    key: "b",
                    value: "{ $$__tags }",
                },
            ],
            on: true,
            off: false,
            none: None,
            n: -3,
            empty: vec![],
        };
        // What CPython 3.11 prints for json.dumps of the same dict.
        assert_eq!(
            to_string(&v).unwrap(),
            r#"{"name": "\u00e9\u007f\"q\"\n\ud83d\ude00", "tags": [{"key": "a", "value": ""}, {"key": "b", "value": "{ $$__tags }"}], "on": true, "off": false, "none": null, "n": -3, "empty": []}"#
        );
    }
}
