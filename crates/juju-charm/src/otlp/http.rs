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
    /// TLS could not be set up, or the handshake failed (an unknown CA, a wrong name).
    #[error("TLS with {addr} failed: {reason}")]
    Tls {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
}

/// A connection whose socket takes the timeouts.
trait Conn: Read + Write {
    fn tcp(&self) -> &TcpStream;
}

impl Conn for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

#[cfg(feature = "otlp-tls")]
impl Conn for rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    fn tcp(&self) -> &TcpStream {
        &self.sock
    }
}

/// The TLS client configuration for https: the system's roots (as
/// `rustls-native-certs` finds them) and `ca_pem`'s certificates, TLS 1.2 or 1.3, ALPN
/// `http/1.1`.
#[cfg(feature = "otlp-tls")]
pub(crate) fn tls_config(
    ca_pem: Option<&str>,
) -> Result<std::sync::Arc<rustls::ClientConfig>, String> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    if let Some(pem) = ca_pem {
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| format!("the CA is not PEM certificates: {e}"))?;
        if certs.is_empty() {
            return Err("the CA holds no certificate".into());
        }
        let (added, _) = roots.add_parsable_certificates(certs);
        if added == 0 {
            return Err("the CA's certificates cannot be used as roots".into());
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(std::sync::Arc::new(config))
}

/// TLS for [`post`]: the configuration, or why there is none.
#[cfg(feature = "otlp-tls")]
pub(crate) type Tls = std::sync::Arc<rustls::ClientConfig>;
/// TLS for [`post`]: not compiled in.
#[cfg(not(feature = "otlp-tls"))]
pub(crate) type Tls = std::convert::Infallible;

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

/// POSTs `body` to `http(s)://host:port/path` (https when `tls` is given) and returns the
/// status code.
pub(crate) fn post(
    host: &str,
    port: u16,
    path: &str,
    content_type: &str,
    body: &[u8],
    deadline: Instant,
    tls: Option<&Tls>,
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
    let Some((s, addr)) = stream else {
        let (addr, source) = last.unwrap_or_else(|| {
            (
                format!("{host}:{port}"),
                std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
            )
        });
        return Err(HttpError::Connect { addr, source });
    };
    let addr = addr.to_string();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: juju-charm-otlp/{}\r\n\r\n",
        body.len(),
        env!("CARGO_PKG_VERSION")
    );
    match tls {
        None => exchange(s, &addr, &head, body, deadline),
        #[cfg(feature = "otlp-tls")]
        Some(config) => {
            let name = rustls::pki_types::ServerName::try_from(name.to_owned()).map_err(|e| {
                HttpError::Tls {
                    addr: addr.clone(),
                    reason: format!("`{host}` is not a TLS server name: {e}"),
                }
            })?;
            let conn = rustls::ClientConnection::new(config.clone(), name).map_err(|e| {
                HttpError::Tls {
                    addr: addr.clone(),
                    reason: e.to_string(),
                }
            })?;
            exchange(
                rustls::StreamOwned::new(conn, s),
                &addr,
                &head,
                body,
                deadline,
            )
        }
        #[cfg(not(feature = "otlp-tls"))]
        Some(never) => match *never {},
    }
}

/// Writes the request and reads the status line, every step before `deadline`.
fn exchange<C: Conn>(
    mut s: C,
    addr: &str,
    head: &str,
    body: &[u8],
    deadline: Instant,
) -> Result<u16, HttpError> {
    let addr = addr.to_owned();
    let io = |source: std::io::Error| {
        if matches!(
            source.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ) {
            HttpError::Timeout(addr.clone())
        } else if source.get_ref().is_some_and(tls_error) {
            HttpError::Tls {
                addr: addr.clone(),
                reason: source.to_string(),
            }
        } else {
            HttpError::Io {
                addr: addr.clone(),
                source,
            }
        }
    };
    let timeout = || remaining(deadline).ok_or_else(|| HttpError::Timeout(addr.clone()));
    for chunk in [head.as_bytes(), body] {
        s.tcp().set_write_timeout(Some(timeout()?)).map_err(io)?;
        s.write_all(chunk).map_err(io)?;
    }
    s.flush().map_err(io)?;
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        s.tcp().set_read_timeout(Some(timeout()?)).map_err(io)?;
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

/// Whether an I/O error's inner error is rustls' (an unknown CA, a bad name, ...).
fn tls_error(inner: &(dyn std::error::Error + Send + Sync + 'static)) -> bool {
    #[cfg(feature = "otlp-tls")]
    {
        inner.is::<rustls::Error>()
    }
    #[cfg(not(feature = "otlp-tls"))]
    {
        let _ = inner;
        false
    }
}
