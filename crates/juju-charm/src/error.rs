//! Errors from hook tools, classified once from the phrases Juju prints.

use super::context::truncate;
use super::runner::RunError;

/// What kind of failure a hook-tool error is, for callers that decide what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The relation no longer exists (or never did): `relation not found`.
    RelationNotFound,
    /// Juju refused access: `permission denied`, `access denied`.
    PermissionDenied,
    /// Only the leader may do this: `not the leader`, `cannot write relation settings`.
    NotLeader,
    /// The tool is not on `PATH` (not running under Juju?).
    ToolMissing,
    /// The secret (or a key of it, or a label) does not exist: `... not found` from a secret
    /// tool (ops raises `SecretNotFoundError` for it).
    SecretNotFound,
    /// The tool ran and failed for another reason.
    Failed,
    /// The tool succeeded but its output could not be understood.
    BadOutput,
}

/// A hook tool failed, could not run, or printed something unexpected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HookToolError {
    /// The tool could not be started.
    #[error("{source}; hook tools exist only while Juju runs a hook")]
    Run {
        /// Why it could not run.
        #[from]
        source: RunError,
    },
    /// The tool exited non-zero.
    #[error("`{command}` failed with exit code {code}: {stderr}")]
    Failed {
        /// The command line, for the reader (tool and arguments; never stdin).
        command: String,
        /// Its exit code.
        code: i32,
        /// Its standard error, trimmed and truncated.
        stderr: String,
        /// The classification of `stderr`.
        kind: ErrorKind,
    },
    /// Secret content could not be written to the temporary files `secret-add`/`secret-set`
    /// read it from.
    #[error("cannot write secret content for `{tool}` to a private temporary directory: {source}; check that $TMPDIR (or /tmp) is writable")]
    ContentFile {
        /// The tool.
        tool: String,
        /// Why.
        source: std::io::Error,
    },
    /// The tool succeeded but printed something that is not what it documents.
    #[error("`{command}` printed output that is not {expected}: {detail}")]
    BadOutput {
        /// The command line.
        command: String,
        /// What was expected (e.g. "a JSON object of strings").
        expected: &'static str,
        /// The parse error and the start of the output.
        detail: String,
    },
}

impl HookToolError {
    /// The classification callers match on.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Run {
                source: RunError::Missing { .. },
            } => ErrorKind::ToolMissing,
            Self::Run { .. } | Self::ContentFile { .. } => ErrorKind::Failed,
            Self::Failed { kind, .. } => *kind,
            Self::BadOutput { .. } => ErrorKind::BadOutput,
        }
    }

    pub(crate) fn failed(tool: &str, args: &[String], code: i32, stderr: &[u8]) -> Self {
        let stderr = String::from_utf8_lossy(stderr);
        let stderr = stderr.trim();
        Self::Failed {
            command: command_line(tool, args),
            code,
            stderr: truncate(stderr, 500),
            kind: classify(stderr),
        }
    }

    pub(crate) fn bad_output(
        tool: &str,
        args: &[String],
        expected: &'static str,
        why: impl std::fmt::Display,
        out: &[u8],
    ) -> Self {
        let out = String::from_utf8_lossy(out);
        Self::BadOutput {
            command: command_line(tool, args),
            expected,
            detail: format!(
                "{why} (output starts `{}`)",
                truncate(out.trim(), 80).escape_debug()
            ),
        }
    }

    /// As `bad_output` for output that may hold secrets (relation data, secret content): the
    /// detail says what kind of JSON error and where, never any of the output (serde's
    /// messages quote values: ``invalid type: integer `123` ``).
    pub(crate) fn bad_output_redacted(
        tool: &str,
        args: &[String],
        expected: &'static str,
        e: &serde_json::Error,
    ) -> Self {
        let kind = match e.classify() {
            serde_json::error::Category::Io => "an I/O error",
            serde_json::error::Category::Syntax => "invalid JSON",
            serde_json::error::Category::Data => "JSON of the wrong shape",
            serde_json::error::Category::Eof => "JSON cut short",
        };
        Self::BadOutput {
            command: command_line(tool, args),
            expected,
            detail: format!(
                "{kind} at line {} column {} (the output is not shown: it may hold secrets)",
                e.line(),
                e.column()
            ),
        }
    }
}

/// `tool arg1 arg2`, each argument shortened, for error messages.
fn command_line(tool: &str, args: &[String]) -> String {
    let mut s = tool.to_owned();
    for a in args {
        s.push(' ');
        s.push_str(&truncate(a, 60));
    }
    s
}

/// Classifies an error by the phrases in the contract's catalogue (§3.17), as ops does.
pub fn classify(stderr: &str) -> ErrorKind {
    let s = stderr.to_ascii_lowercase();
    if s.contains("relation not found") || (s.contains("relation") && s.contains("not found")) {
        ErrorKind::RelationNotFound
    } else if s.contains("not found") && (s.contains("secret") || s.contains("label")) {
        ErrorKind::SecretNotFound
    } else if s.contains("not the leader") || s.contains("cannot write relation settings") {
        ErrorKind::NotLeader
    } else if s.contains("permission denied")
        || s.contains("access denied")
        || s.contains("unauthorized")
    {
        ErrorKind::PermissionDenied
    } else {
        ErrorKind::Failed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_the_catalogue() {
        for (stderr, kind) in [
            (
                "ERROR invalid value \"tempo-api:9\" for option -r: relation not found",
                ErrorKind::RelationNotFound,
            ),
            ("ERROR relation 9 not found", ErrorKind::RelationNotFound),
            ("ERROR permission denied", ErrorKind::PermissionDenied),
            (
                "ERROR permission denied (unauthorized access)",
                ErrorKind::PermissionDenied,
            ),
            ("ERROR cannot write relation settings", ErrorKind::NotLeader),
            ("ERROR this unit is not the leader", ErrorKind::NotLeader),
            ("ERROR no relation id specified", ErrorKind::Failed),
            (
                "ERROR secret \"secret:abc\" not found",
                ErrorKind::SecretNotFound,
            ),
            (
                "ERROR consumer label \"tls\" not found",
                ErrorKind::SecretNotFound,
            ),
            (
                "ERROR secret key value \"k\" not found",
                ErrorKind::SecretNotFound,
            ),
        ] {
            assert_eq!(classify(stderr), kind, "{stderr}");
        }
    }

    #[test]
    fn failed_error_names_the_command_not_stdin() {
        let e = HookToolError::failed(
            "relation-set",
            &["-r".into(), "x:1".into()],
            1,
            b"ERROR cannot write relation settings\n",
        );
        assert_eq!(e.kind(), ErrorKind::NotLeader);
        assert_eq!(
            e.to_string(),
            "`relation-set -r x:1` failed with exit code 1: ERROR cannot write relation settings"
        );
    }
}
