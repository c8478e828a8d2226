//! Sending OTLP/JSON bodies within a time bound, and keeping what could not be sent.
//!
//! Each body is first written to the buffer directory (one file per hook, named by time so
//! that names sort oldest first), then a helper thread posts this hook's body and, while it
//! succeeds, the older ones; each sent file is removed. The hook waits for that thread at
//! most the budget (one second by default): a receiver that accepts and never answers, or a
//! name that takes long to resolve, costs the hook the budget and nothing more, and what was
//! not sent stays for the next hook. The directory is bounded: past its size, the oldest
//! bodies are dropped.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::http::{self, HttpError};

/// The buffer directory's name in the charm directory (ops keeps `.tracing-data.db` there).
pub const BUFFER_DIR: &str = ".tracing-data";
/// The default bound on the time an export takes (ops' `EXPORT_TIMEOUT`).
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(1);
/// The default bound on the buffer directory's size.
pub const DEFAULT_MAX_BUFFER: u64 = 4 * 1024 * 1024;
/// The most buffered bodies sent by one hook (ops sends up to 10 per export).
const MAX_SENT_PER_HOOK: usize = 10;
const CONTENT_TYPE: &str = "application/json";

/// Why a destination was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("tracing destination `{url}` {problem}")]
pub struct DestinationError {
    /// The URL, cut and escaped.
    pub url: String,
    /// What is wrong.
    pub problem: &'static str,
}

/// Where spans go: an `http` or `https` URL (`.../v1/traces`), and for https an extra CA to
/// trust (PEM) besides the system's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    url: url::Url,
    ca_pem: Option<String>,
}

impl Destination {
    /// Validates `url` (http or https, a host, no credentials, bounded).
    pub fn parse(url: &str, ca_pem: Option<String>) -> Result<Self, DestinationError> {
        let bad = |problem| DestinationError {
            url: crate::context::truncate(url, 80).escape_debug().to_string(),
            problem,
        };
        if url.len() > 2048 {
            return Err(bad("is longer than 2048 bytes"));
        }
        let u = url::Url::parse(url).map_err(|_| bad("is not a URL"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(bad("is not http or https"));
        }
        if u.host_str().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(bad("carries credentials"));
        }
        Ok(Self { url: u, ca_pem })
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// The extra CA, if any.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    fn post(&self, body: &[u8], deadline: Instant) -> Result<u16, HttpError> {
        let tls = if self.url.scheme() == "https" {
            Some(self.tls()?)
        } else {
            None
        };
        let host = self.url.host_str().unwrap_or_default();
        let port = self.url.port_or_known_default().unwrap_or(80);
        let path = match self.url.query() {
            Some(q) => format!("{}?{q}", self.url.path()),
            None => self.url.path().to_owned(),
        };
        http::post(
            host,
            port,
            &path,
            CONTENT_TYPE,
            body,
            deadline,
            tls.as_ref(),
        )
    }

    #[cfg(feature = "otlp-tls")]
    fn tls(&self) -> Result<http::Tls, HttpError> {
        http::tls_config(self.ca_pem.as_deref()).map_err(|reason| HttpError::Tls {
            addr: self.url.as_str().to_owned(),
            reason,
        })
    }

    #[cfg(not(feature = "otlp-tls"))]
    fn tls(&self) -> Result<http::Tls, HttpError> {
        Err(HttpError::TlsUnsupported)
    }
}

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOutcome {
    /// Bodies the receiver accepted (this hook's and older ones).
    pub sent: usize,
    /// Bodies left in the buffer for the next hook.
    pub buffered: usize,
    /// Bodies dropped: the buffer's bound, or refused by the receiver (4xx).
    pub dropped: usize,
    /// Whether the budget ran out before the sending finished.
    pub timed_out: bool,
    /// The first failure, for a log line.
    pub error: Option<String>,
}

/// Sends bodies to a [`Destination`] within a budget, buffering the rest in a directory.
#[derive(Debug, Clone)]
pub struct Exporter {
    dir: PathBuf,
    budget: Duration,
    max_buffer: u64,
}

impl Exporter {
    /// Buffers in `dir` (created when needed), one second budget, 4 MiB bound.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            budget: DEFAULT_BUDGET,
            max_buffer: DEFAULT_MAX_BUFFER,
        }
    }

    /// Another time budget.
    pub fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Another bound on the buffer's size, in bytes.
    pub fn with_max_buffer(mut self, bytes: u64) -> Self {
        self.max_buffer = bytes;
        self
    }

    /// The buffered bodies, oldest first.
    pub fn pending(&self) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|p| p.extension().is_some_and(|x| x == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        files
    }

    /// Forgets everything buffered (the destination is gone).
    pub fn discard(&self) {
        if self.dir.is_dir() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    /// Writes `body` to the buffer; then drops the oldest bodies past the bound. Returns the
    /// new file and how many were dropped.
    pub fn buffer(&self, body: &[u8]) -> std::io::Result<(PathBuf, usize)> {
        std::fs::create_dir_all(&self.dir)?;
        let ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("{ns:024}-{}", std::process::id());
        let tmp = self.dir.join(format!("{name}.tmp"));
        let file = self.dir.join(format!("{name}.json"));
        std::fs::write(&tmp, body)?;
        std::fs::rename(&tmp, &file)?;
        let files = self.pending();
        let sizes: Vec<u64> = files
            .iter()
            .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
            .collect();
        let mut total: u64 = sizes.iter().sum();
        let mut dropped = 0;
        for (f, size) in files.iter().zip(&sizes) {
            if total <= self.max_buffer || *f == file {
                break;
            }
            if std::fs::remove_file(f).is_ok() {
                total -= size;
                dropped += 1;
            }
        }
        Ok((file, dropped))
    }

    /// Buffers `body`, then sends it and the older bodies to `dest`, taking at most the
    /// budget. Never fails: what is not sent stays buffered, and the outcome says why.
    pub fn export(&self, dest: &Destination, body: Vec<u8>) -> ExportOutcome {
        let deadline = Instant::now() + self.budget;
        let mut outcome = ExportOutcome::default();
        let current = match self.buffer(&body) {
            Ok((file, dropped)) => {
                outcome.dropped = dropped;
                Some(file)
            }
            Err(e) => {
                outcome.error = Some(format!(
                    "cannot buffer trace data in {}: {e}",
                    self.dir.display()
                ));
                None
            }
        };
        // This hook's body first, then the oldest.
        let mut queue: Vec<PathBuf> = current.iter().cloned().collect();
        queue.extend(
            self.pending()
                .into_iter()
                .filter(|f| Some(f) != current.as_ref())
                .take(MAX_SENT_PER_HOOK),
        );
        let (tx, rx) = mpsc::channel::<Sent>();
        let dest_text = dest.as_str().to_owned();
        let dest = dest.clone();
        let unbuffered = current.is_none().then_some(body);
        let spawned = std::thread::Builder::new()
            .name("otlp-export".into())
            .spawn(move || {
                if let Some(body) = unbuffered {
                    let _ = tx.send(send(&dest, &body, deadline));
                    return;
                }
                for file in queue {
                    let Ok(body) = std::fs::read(&file) else {
                        continue;
                    };
                    let r = send(&dest, &body, deadline);
                    let retry = matches!(r, Sent::Failed(_));
                    if !retry {
                        let _ = std::fs::remove_file(&file);
                    }
                    if tx.send(r).is_err() || retry {
                        break;
                    }
                }
            });
        if let Err(e) = spawned {
            outcome.error = Some(format!("cannot start the exporting thread: {e}"));
        } else {
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(Sent::Ok) => outcome.sent += 1,
                    Ok(Sent::Refused(e)) => {
                        outcome.dropped += 1;
                        outcome.error.get_or_insert(e);
                    }
                    Ok(Sent::Failed(e)) => {
                        outcome.error.get_or_insert(e);
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        outcome.timed_out = true;
                        outcome.error.get_or_insert_with(|| {
                            format!("no answer from {} within {:?}", dest_text, self.budget)
                        });
                        break;
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => break,
                }
            }
        }
        outcome.buffered = self.pending().len();
        outcome
    }
}

/// How one body went.
enum Sent {
    /// Accepted (2xx).
    Ok,
    /// Refused for good (4xx other than 408 and 429): the body is dropped.
    Refused(String),
    /// Not delivered (no answer, 5xx, 408, 429): the body stays buffered.
    Failed(String),
}

fn send(dest: &Destination, body: &[u8], deadline: Instant) -> Sent {
    match dest.post(body, deadline) {
        Ok(code) if (200..300).contains(&code) => Sent::Ok,
        Ok(code) if code == 408 || code == 429 || code >= 500 => Sent::Failed(format!(
            "{} answered {code}; the trace data is kept for the next hook",
            dest.as_str()
        )),
        Ok(code) => Sent::Refused(format!(
            "{} refused the trace data with {code}; dropped",
            dest.as_str()
        )),
        Err(e) => Sent::Failed(format!(
            "sending trace data to {} failed: {e}",
            dest.as_str()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    /// A receiver answering each connection with `status`, on loopback.
    fn answering(status: &'static str, n: usize) -> (Destination, std::thread::JoinHandle<()>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let t = std::thread::spawn(move || {
            for _ in 0..n {
                let (mut s, _) = l.accept().unwrap();
                let mut buf = [0u8; 65536];
                let _ = s.read(&mut buf);
                let _ = write!(s, "HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
            }
        });
        let d = Destination::parse(&format!("http://127.0.0.1:{port}/v1/traces"), None).unwrap();
        (d, t)
    }

    #[test]
    fn the_buffer_keeps_the_newest_within_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let e = Exporter::new(dir.path().join(BUFFER_DIR)).with_max_buffer(250);
        for i in 0..5u8 {
            let (_, dropped) = e.buffer(&[i; 100]).unwrap();
            assert_eq!(dropped, usize::from(i >= 2), "body {i}");
        }
        let kept: Vec<Vec<u8>> = e
            .pending()
            .iter()
            .map(|f| std::fs::read(f).unwrap())
            .collect();
        assert_eq!(kept, [vec![3u8; 100], vec![4u8; 100]]);
        e.discard();
        assert!(e.pending().is_empty());
    }

    #[test]
    fn accepted_bodies_leave_the_buffer_refused_ones_are_dropped_failed_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let e = Exporter::new(dir.path().join(BUFFER_DIR));
        e.buffer(b"older").unwrap();
        let (d, t) = answering("200 OK", 2);
        let o = e.export(&d, b"{}".to_vec());
        t.join().unwrap();
        assert_eq!((o.sent, o.buffered, o.dropped), (2, 0, 0), "{o:?}");

        let (d, t) = answering("400 Bad Request", 1);
        let o = e.export(&d, b"{}".to_vec());
        t.join().unwrap();
        assert_eq!((o.sent, o.buffered, o.dropped), (0, 0, 1), "{o:?}");

        let (d, t) = answering("503 Service Unavailable", 1);
        let o = e.export(&d, b"{}".to_vec());
        t.join().unwrap();
        assert_eq!((o.sent, o.buffered), (0, 1), "{o:?}");
        assert!(o.error.unwrap().contains("503"));

        // Nobody listening: kept, and the hook is told why.
        let closed = Destination::parse("http://127.0.0.1:1/v1/traces", None).unwrap();
        let o = e.export(&closed, b"{}".to_vec());
        assert_eq!(o.buffered, 2);
        assert!(o.error.unwrap().contains("127.0.0.1:1"));
    }

    #[test]
    fn destinations_are_http_urls_with_a_host() {
        for bad in [
            "ftp://x/v1/traces",
            "http://",
            "not a url",
            "http://u:p@x/v1/traces",
        ] {
            assert!(Destination::parse(bad, None).is_err(), "{bad}");
        }
        let https = Destination::parse("https://tempo:4318/v1/traces", Some("PEM".into())).unwrap();
        assert_eq!(https.ca_pem(), Some("PEM"));
    }
}
