//! HTTP/1.1 over Pebble's Unix socket: one request per connection (`Connection: close`),
//! every read and write bounded by a timeout, every answer bounded in size.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use super::error::PebbleError;

/// The largest header block accepted from Pebble.
const MAX_HEAD: usize = 64 * 1024;

/// One request, as the client sends it.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub method: &'static str,
    /// Path without the query, for messages.
    pub path: String,
    /// Path and query as sent.
    pub target: String,
    pub accept: &'static str,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn new(method: &'static str, path: &str, query: &[(&str, &str)]) -> Self {
        let mut target = path.to_owned();
        if !query.is_empty() {
            let q = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(query)
                .finish();
            target.push('?');
            target.push_str(&q);
        }
        Self {
            method,
            path: path.to_owned(),
            target,
            accept: "application/json",
            content_type: None,
            body: Vec::new(),
        }
    }

    pub fn json(mut self, body: Vec<u8>) -> Self {
        self.content_type = Some("application/json".into());
        self.body = body;
        self
    }

    /// The bytes on the wire, as urllib (ops) lays them out.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: identity\r\nAccept: {}\r\nConnection: close\r\n",
            self.method, self.target, self.accept
        );
        if let Some(ct) = &self.content_type {
            head.push_str(&format!(
                "Content-Type: {ct}\r\nContent-Length: {}\r\n",
                self.body.len()
            ));
        }
        head.push_str("\r\n");
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }

    pub fn protocol(&self, problem: impl Into<String>) -> PebbleError {
        PebbleError::Protocol {
            method: self.method,
            path: self.path.clone(),
            problem: problem.into(),
        }
    }
}

/// An answer: status, headers (names lower-cased), body.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Opens a connection with both timeouts set.
pub(crate) fn connect(socket: &Path, timeout: Duration) -> Result<UnixStream, PebbleError> {
    let conn = |source| PebbleError::Connection {
        socket: socket.to_path_buf(),
        source,
    };
    let stream = UnixStream::connect(socket).map_err(conn)?;
    stream.set_read_timeout(Some(timeout)).map_err(conn)?;
    stream.set_write_timeout(Some(timeout)).map_err(conn)?;
    Ok(stream)
}

/// Sends `req` on a new connection and reads the whole answer.
pub(crate) fn roundtrip(
    socket: &Path,
    timeout: Duration,
    max_body: usize,
    req: &Request,
) -> Result<Response, PebbleError> {
    let mut stream = connect(socket, timeout)?;
    let io = |what: &str, e: std::io::Error| -> PebbleError {
        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) {
            PebbleError::Timeout {
                what: format!("Pebble to answer `{} {}`", req.method, req.path),
                seconds: timeout.as_secs_f64(),
            }
        } else {
            req.protocol(format!("{what}: {e}"))
        }
    };
    stream
        .write_all(&req.to_bytes())
        .map_err(|e| io("cannot send the request", e))?;
    let _ = stream.flush();
    read_response(&mut stream, max_body).map_err(|e| match e {
        ReadError::Io(e) => io("cannot read the answer", e),
        ReadError::Bad(p) => req.protocol(p),
    })
}

pub(crate) enum ReadError {
    Io(std::io::Error),
    Bad(String),
}

/// Reads one HTTP/1.1 response: Content-Length, chunked, or to EOF; at most `max_body`
/// bytes of body.
pub(crate) fn read_response<R: Read>(r: &mut R, max_body: usize) -> Result<Response, ReadError> {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 8192];
    let (status, headers, head_len) = loop {
        let n = r.read(&mut chunk).map_err(ReadError::Io)?;
        if n == 0 {
            return Err(ReadError::Bad(if buf.is_empty() {
                "the connection closed without an answer".into()
            } else {
                "the connection closed in the middle of the headers".into()
            }));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut hs = [httparse::EMPTY_HEADER; 64];
        let mut resp = httparse::Response::new(&mut hs);
        match resp.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let status = resp.code.unwrap_or(0);
                let headers: Vec<(String, String)> = resp
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_ascii_lowercase(),
                            String::from_utf8_lossy(h.value).trim().to_owned(),
                        )
                    })
                    .collect();
                break (status, headers, len);
            }
            Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
                return Err(ReadError::Bad(format!(
                    "headers longer than {MAX_HEAD} bytes"
                )))
            }
            Ok(httparse::Status::Partial) => {}
            Err(e) => return Err(ReadError::Bad(format!("not an HTTP response: {e}"))),
        }
    };
    let mut rest = buf.split_off(head_len);
    let find = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let too_big = || ReadError::Bad(format!("body larger than {max_body} bytes"));
    let body = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        read_to_end_bounded(r, &mut rest, max_body.saturating_mul(2) + 1024)?;
        let body = super::multipart::dechunk(&rest)
            .ok_or_else(|| ReadError::Bad("bad chunked body".into()))?;
        if body.len() > max_body {
            return Err(too_big());
        }
        body
    } else if let Some(len) = find("content-length") {
        let len: usize = len
            .parse()
            .map_err(|_| ReadError::Bad(format!("bad Content-Length {len:?}")))?;
        if len > max_body {
            return Err(too_big());
        }
        while rest.len() < len {
            let n = r.read(&mut chunk).map_err(ReadError::Io)?;
            if n == 0 {
                return Err(ReadError::Bad(format!(
                    "the body was cut short: {} of {len} bytes",
                    rest.len()
                )));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    } else {
        read_to_end_bounded(r, &mut rest, max_body)?;
        rest
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn read_to_end_bounded<R: Read>(r: &mut R, out: &mut Vec<u8>, max: usize) -> Result<(), ReadError> {
    let mut chunk = [0u8; 8192];
    loop {
        if out.len() > max {
            return Err(ReadError::Bad(format!("body larger than {max} bytes")));
        }
        let n = r.read(&mut chunk).map_err(ReadError::Io)?;
        if n == 0 {
            return Ok(());
        }
        out.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], max: usize) -> Result<Response, String> {
        read_response(&mut &bytes[..], max).map_err(|e| match e {
            ReadError::Io(e) => e.to_string(),
            ReadError::Bad(m) => m,
        })
    }

    #[test]
    fn request_bytes_are_urllib_shaped() {
        let r = Request::new(
            "GET",
            "/v1/files",
            &[("action", "read"), ("path", "/tmp/a b")],
        );
        assert_eq!(
            String::from_utf8(r.to_bytes()).unwrap(),
            "GET /v1/files?action=read&path=%2Ftmp%2Fa+b HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: identity\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        let r = Request::new("POST", "/v1/services", &[]).json(b"{}".to_vec());
        assert!(String::from_utf8(r.to_bytes())
            .unwrap()
            .ends_with("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
    }

    #[test]
    fn bodies_by_length_chunked_and_eof() {
        let r = read(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", 10).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (200, &b"ok"[..]));
        let r = read(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1;x\r\nc\r\n0\r\n\r\n", 10).unwrap();
        assert_eq!(r.body, b"abc");
        let r = read(b"HTTP/1.1 404 Not Found\r\n\r\nrest", 10).unwrap();
        assert_eq!((r.status, r.body.as_slice()), (404, &b"rest"[..]));
    }

    #[test]
    fn garbage_short_and_huge_answers_are_errors() {
        assert!(read(b"", 10).unwrap_err().contains("without an answer"));
        assert!(read(b"SSH-2.0-OpenSSH\r\n\r\n", 10)
            .unwrap_err()
            .contains("not an HTTP response"));
        assert!(read(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", 10)
            .unwrap_err()
            .contains("cut short"));
        assert!(read(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", 10)
            .unwrap_err()
            .contains("larger than"));
        assert!(read(b"HTTP/1.1 200 OK\r\n\r\n0123456789ab", 10)
            .unwrap_err()
            .contains("larger than"));
        assert!(read(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 10)
            .unwrap_err()
            .contains("Content-Length"));
        let mut endless = b"HTTP/1.1 200 OK\r\nX: ".to_vec();
        endless.extend(std::iter::repeat_n(b'a', MAX_HEAD + 10));
        assert!(read(&endless, 10).unwrap_err().contains("headers longer"));
    }
}
