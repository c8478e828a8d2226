//! Pebble's multipart bodies: a push is the `request` part then one `files` part per file;
//! a pull answer is the `files` part (when the read worked) then the `response` part.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};

/// A boundary of 32 hex characters (Pebble refuses fewer than 32), different every call.
pub(crate) fn boundary() -> String {
    let mut out = String::with_capacity(32);
    for salt in 0..2u64 {
        let mut h = RandomState::new().build_hasher();
        h.write_u64(salt);
        if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            h.write_u128(t.as_nanos());
        }
        out.push_str(&format!("{:016x}", h.finish()));
    }
    out
}

/// The body of a one-file push: `request` (the JSON metadata) first, then `files`, whose
/// `filename` is the path, as Pebble requires.
pub(crate) fn push_body(boundary: &str, metadata: &[u8], path: &str, content: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(content.len() + metadata.len() + 400);
    b.extend_from_slice(format!("--{boundary}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n").as_bytes());
    b.extend_from_slice(metadata);
    b.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{}\"\r\n\r\n", quote(path)).as_bytes());
    b.extend_from_slice(content);
    b.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    b
}

/// Escapes a filename for a quoted header parameter.
fn quote(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// The `boundary` parameter of a `multipart/form-data` content type (quoted or not).
pub fn boundary_of(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    })
}

/// One part: its `name`, its `filename` if any, its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// `name=` of Content-Disposition.
    pub name: String,
    /// `filename=` of Content-Disposition.
    pub filename: Option<String>,
    /// The part's content type, if given.
    pub content_type: Option<String>,
    /// The bytes.
    pub body: Vec<u8>,
}

/// Splits a multipart body into its parts. `None` when it is not well formed.
pub fn parse(body: &[u8], boundary: &str) -> Option<Vec<Part>> {
    let delim = format!("--{boundary}").into_bytes();
    let mut parts = Vec::new();
    let mut pos = find(body, &delim, 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            return Some(parts);
        }
        if body.get(pos..pos + 2) != Some(b"\r\n") {
            return None;
        }
        pos += 2;
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = std::str::from_utf8(&body[pos..head_end]).ok()?;
        let content_start = head_end + 4;
        let mut next_delim = delim.clone();
        next_delim.splice(0..0, *b"\r\n");
        let content_end = find(body, &next_delim, content_start)?;
        let mut part = Part {
            name: String::new(),
            filename: None,
            content_type: None,
            body: body[content_start..content_end].to_vec(),
        };
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("content-type") {
                part.content_type = Some(v.trim().to_owned());
            } else if k.trim().eq_ignore_ascii_case("content-disposition") {
                for p in v.split(';').skip(1) {
                    if let Some((pk, pv)) = p.split_once('=') {
                        let pv = unquote(pv.trim());
                        match pk.trim() {
                            "name" => part.name = pv,
                            "filename" => part.filename = Some(pv),
                            _ => {}
                        }
                    }
                }
            }
        }
        parts.push(part);
        pos = content_end + next_delim.len();
    }
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_owned(),
    }
}

/// Decodes a `Transfer-Encoding: chunked` body. `None` when it is not well formed.
pub fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_body_is_request_then_file_with_the_path_as_filename() {
        let b = boundary();
        assert_eq!(b.len(), 32);
        assert!(b.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(b, boundary());
        let body = push_body(&b, br#"{"action":"write"}"#, "/etc/x.conf", b"a\r\n--b");
        let text = String::from_utf8(body.clone()).unwrap();
        assert_eq!(text, format!("--{b}\r\nContent-Type: application/json\r\nContent-Disposition: form-data; name=\"request\"\r\n\r\n{{\"action\":\"write\"}}\r\n--{b}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: form-data; name=\"files\"; filename=\"/etc/x.conf\"\r\n\r\na\r\n--b\r\n--{b}--\r\n"));
        let parts = parse(&body, &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(
            (parts[0].name.as_str(), parts[1].name.as_str()),
            ("request", "files")
        );
        assert_eq!(parts[1].filename.as_deref(), Some("/etc/x.conf"));
        assert_eq!(parts[1].body, b"a\r\n--b");
    }

    #[test]
    fn boundaries_and_bad_bodies() {
        assert_eq!(
            boundary_of("multipart/form-data; boundary=\"abc\"").as_deref(),
            Some("abc")
        );
        assert_eq!(
            boundary_of("multipart/form-data; boundary=abc").as_deref(),
            Some("abc")
        );
        assert_eq!(boundary_of("application/json"), None);
        assert_eq!(parse(b"--x\r\nno end", "x"), None);
        assert_eq!(parse(b"garbage", "x"), None);
        assert_eq!(parse(b"--x--\r\n", "x"), Some(vec![]));
    }
}
