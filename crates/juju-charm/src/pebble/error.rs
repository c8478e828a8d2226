//! What a Pebble call can fail with, shaped like ops' exceptions.

use std::path::PathBuf;

use super::types::Change;

/// A Pebble call failed. The variants mirror ops' `ConnectionError`, `APIError`,
/// `ChangeError`, `PathError`, `ExecError` and `TimeoutError`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PebbleError {
    /// The socket could not be reached (the container is not up yet, or is restarting).
    /// Transient: wait for the `<container>-pebble-ready` event.
    #[error("cannot reach Pebble at `{}`; the container may not be ready yet", socket.display())]
    Connection {
        /// The socket path.
        socket: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Pebble answered with an error envelope (`"type": "error"`, HTTP 4xx/5xx).
    #[error("Pebble refused `{method} {path}`: {code} {status}: {message}")]
    Api {
        /// The request method.
        method: &'static str,
        /// The request path (without the query).
        path: String,
        /// The HTTP status code (equal to the envelope's `status-code`).
        code: u16,
        /// The HTTP status text.
        status: String,
        /// `result.message`.
        message: String,
        /// `result.kind`, when Pebble gave one.
        kind: Option<String>,
    },
    /// A change finished with an error (`err` set): a service did not start, an exec failed
    /// to run.
    #[error("Pebble change {} ({}) failed: {}", change.id, change.kind, change.err.as_deref().unwrap_or(""))]
    Change {
        /// The whole change, as Pebble reported it.
        change: Box<Change>,
    },
    /// A file operation failed for one path (Pebble reports these per path, inside a 200).
    #[error("Pebble file error on `{path}`: {kind}: {message}")]
    Path {
        /// The path.
        path: String,
        /// Pebble's error kind (`not-found`, `permission-denied`, `generic-file-error`, ...).
        kind: String,
        /// Pebble's message.
        message: String,
    },
    /// A command ran and exited non-zero.
    #[error("command {command:?} exited with code {exit_code}")]
    Exec {
        /// The command line.
        command: Vec<String>,
        /// Its exit code.
        exit_code: i64,
        /// What it wrote to stdout.
        stdout: Vec<u8>,
        /// What it wrote to stderr.
        stderr: Vec<u8>,
    },
    /// Waiting for a change, or for Pebble's answer, took longer than allowed.
    #[error("timed out after {seconds:.3} s waiting for {what}")]
    Timeout {
        /// What was being waited for.
        what: String,
        /// The limit.
        seconds: f64,
    },
    /// Pebble's answer could not be understood (not HTTP, not JSON, cut short, too large).
    #[error("bad answer from Pebble to `{method} {path}`: {problem}")]
    Protocol {
        /// The request method.
        method: &'static str,
        /// The request path.
        path: String,
        /// What was wrong.
        problem: String,
    },
}

impl PebbleError {
    /// Whether this means "Pebble is not reachable right now" (a socket that is missing,
    /// refusing, or silent): the charm should wait for the container, not fail the hook.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Connection { .. })
    }

    /// Pebble's error `kind` for API and path errors (`not-found`, ...).
    pub fn kind(&self) -> Option<&str> {
        match self {
            Self::Api { kind, .. } => kind.as_deref(),
            Self::Path { kind, .. } => Some(kind),
            _ => None,
        }
    }
}
