//! The transport for hook tools: `(tool, args, stdin) -> (exit code, stdout, stderr)`.
//!
//! `ProcessRunner` runs the real executables found on `PATH` (no shell: arguments are passed
//! as they are, data goes on stdin). Tests swap in the simulator's in-process runner.

use std::io::Write;
use std::process::{Command, Stdio};

/// What a hook tool printed and how it exited.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ToolOutput {
    /// Exit code (`-1` when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
}

/// A hook tool could not be started at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The executable is not on `PATH`.
    #[error("hook tool `{tool}` was not found on PATH")]
    Missing {
        /// The tool's name.
        tool: String,
    },
    /// Starting it, feeding its stdin or waiting for it failed.
    #[error("could not run hook tool `{tool}`")]
    Io {
        /// The tool's name.
        tool: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// Runs one hook tool. Implementations must not involve a shell.
pub trait Runner {
    /// Runs `tool` with `args`; `stdin` is piped in (and closed) when given, else `/dev/null`.
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<ToolOutput, RunError>;
}

impl<R: Runner + ?Sized> Runner for &R {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<ToolOutput, RunError> {
        (**self).run(tool, args, stdin)
    }
}

impl<R: Runner + ?Sized> Runner for Box<R> {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<ToolOutput, RunError> {
        (**self).run(tool, args, stdin)
    }
}

/// Runs hook tools as child processes, found on `PATH` by bare name, as Juju expects.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessRunner;

impl Runner for ProcessRunner {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<ToolOutput, RunError> {
        let io = |source| RunError::Io {
            tool: tool.to_owned(),
            source,
        };
        let mut cmd = Command::new(tool);
        cmd.args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => RunError::Missing {
                tool: tool.to_owned(),
            },
            _ => io(e),
        })?;
        if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
            // A tool that exits without reading all of stdin closes the pipe: that is its
            // business, its exit code tells what happened.
            if let Err(e) = pipe.write_all(data) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(io(e));
                }
            }
            drop(pipe);
        }
        let out = child.wait_with_output().map_err(io)?;
        Ok(ToolOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: out.stdout,
            stderr: out.stderr,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_tool_is_reported_as_missing() {
        let err = ProcessRunner
            .run("no-such-hook-tool-xyz", &[], None)
            .unwrap_err();
        assert!(matches!(err, RunError::Missing { ref tool } if tool == "no-such-hook-tool-xyz"));
    }

    #[test]
    fn arguments_are_not_interpreted_by_a_shell() {
        let args = vec!["$(echo pwned); `id` | cat".to_owned()];
        let out = ProcessRunner.run("echo", &args, None).unwrap();
        assert_eq!(out.code, 0);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "$(echo pwned); `id` | cat\n"
        );
    }

    #[test]
    fn stdin_is_piped_and_closed() {
        let data = vec![b'x'; 1 << 20];
        let out = ProcessRunner
            .run("wc", &["-c".to_owned()], Some(&data))
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "1048576");
    }
}
