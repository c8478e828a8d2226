//! One HTTP/1.1 POST over a fresh TCP connection, every step bounded by a deadline. No
//! async runtime, no client library: OTLP/HTTP needs one request and its status line.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Largest response head read (the status line is all we need).
const MAX_HEAD: usize = 8 * 1024;

/// Why a POST did not get an answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The name did not resolve.
    #[error("cannot resolve `{host}`: {source}")]
    Resolve {
        /// The host.
        host: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// No address accepted a connection.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The last address tried.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The deadline passed.
    #[error("no answer from {0} within the time allowed")]
    Timeout(String),
    /// Reading or writing failed.
    #[error("talking to {addr} failed: {source}")]
    Io {
        /// The address.
        addr: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The answer is not HTTP.
    #[error("{addr} did not answer with an HTTP status line: `{head}`")]
    BadResponse {
        /// The address.
        addr: String,
        /// The start of what it sent.
        head: String,
    },
    /// https without TLS support compiled in.
    #[error("https endpoints need the `otlp-tls` feature")]
    TlsUnsupported,
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

/// POSTs `body` to `http://host:port/path` and returns the status code.
pub(crate) fn post(
    host: &str,
    port: u16,
    path: &str,
    content_type: &str,
    body: &[u8],
    deadline: Instant,
) -> Result<u16, HttpError> {
    let name = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = (name, port)
        .to_socket_addrs()
        .map_err(|source| HttpError::Resolve {
            host: host.to_owned(),
            source,
        })?
        .collect();
    let mut last = None;
    let mut stream = None;
    for addr in &addrs {
        let Some(left) = remaining(deadline) else {
            return Err(HttpError::Timeout(format!("{host}:{port}")));
        };
        match TcpStream::connect_timeout(addr, left) {
            Ok(s) => {
                stream = Some((s, *addr));
                break;
            }
            Err(e) => last = Some((addr.to_string(), e)),
        }
    }
    let Some((mut s, addr)) = stream else {
        let (addr, source) = last.unwrap_or_else(|| {
            (
                format!("{host}:{port}"),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
            )
        });
        return Err(HttpError::Connect { addr, source });
    };
    let addr = addr.to_string();
    let io = |source: std::io::Error| {
        if matches!(
            source.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            HttpError::Timeout(addr.clone())
        } else {
            HttpError::Io {
                addr: addr.clone(),
                source,
            }
        }
    };
    let timeout = || remaining(deadline).ok_or_else(|| HttpError::Timeout(addr.clone()));
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: juju-charm-otlp/{}\r\n\r\n",
        body.len(),
        env!("CARGO_PKG_VERSION")
    );
    for chunk in [head.as_bytes(), body] {
        s.set_write_timeout(Some(timeout()?)).map_err(io)?;
        s.write_all(chunk).map_err(io)?;
    }
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        s.set_read_timeout(Some(timeout()?)).map_err(io)?;
        let n = s.read(&mut buf).map_err(io)?;
        got.extend_from_slice(&buf[..n]);
        if n == 0 || got.windows(2).any(|w| w == b"\r\n") || got.len() >= MAX_HEAD {
            break;
        }
    }
    let line = got.split(|b| *b == b'\n').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let mut words = line.split_whitespace();
    match (
        words.next(),
        words.next().and_then(|c| c.parse::<u16>().ok()),
    ) {
        (Some(v), Some(code)) if v.starts_with("HTTP/1.") => Ok(code),
        _ => Err(HttpError::BadResponse {
            addr,
            head: crate::context::truncate(&line, 80)
                .escape_debug()
                .to_string(),
        }),
    }
}
