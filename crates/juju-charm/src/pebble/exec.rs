//! `exec`: run a command in the container. `POST /v1/exec` starts it; stdin, stdout and
//! stderr travel over websockets on fresh connections to the same socket
//! (`/v1/tasks/<task>/websocket/{stdio,stderr}`); the exit code is in the change's task data.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tungstenite::Message;

use super::error::PebbleError;
use super::http::{connect, Request};
use super::{go_duration, Pebble, DEFAULT_CHANGE_TIMEOUT};

/// Options of [`Pebble::exec`] (ops' `exec` keywords).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// Extra environment variables.
    pub environment: BTreeMap<String, String>,
    /// Working directory.
    pub working_dir: Option<String>,
    /// Pebble kills the command after this long (the change then fails).
    pub timeout: Option<Duration>,
    /// Run as this user id.
    pub user_id: Option<u32>,
    /// Run as this user.
    pub user: Option<String>,
    /// Run as this group id.
    pub group_id: Option<u32>,
    /// Run as this group.
    pub group: Option<String>,
    /// Run in this service's context (its environment, user and working dir).
    pub service_context: Option<String>,
    /// Bytes for the command's stdin (sent whole before output is read; Pebble's socket
    /// buffers absorb what a command writes meanwhile, so keep it modest).
    pub stdin: Option<Vec<u8>>,
}

/// What a command that exited 0 wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    /// Its stdout.
    pub stdout: Vec<u8>,
    /// Its stderr.
    pub stderr: Vec<u8>,
}

/// The request body, every key present as ops sends it.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Body<'a> {
    command: &'a [&'a str],
    service_context: Option<&'a str>,
    environment: &'a BTreeMap<String, String>,
    working_dir: Option<&'a str>,
    timeout: Option<String>,
    user_id: Option<u32>,
    user: Option<&'a str>,
    group_id: Option<u32>,
    group: Option<&'a str>,
    split_stderr: bool,
}

pub(crate) fn body(command: &[&str], o: &ExecOptions) -> Vec<u8> {
    let b = Body {
        command,
        service_context: o.service_context.as_deref(),
        environment: &o.environment,
        working_dir: o.working_dir.as_deref(),
        timeout: o.timeout.map(go_duration),
        user_id: o.user_id,
        user: o.user.as_deref(),
        group_id: o.group_id,
        group: o.group.as_deref(),
        split_stderr: true,
    };
    // Strings, numbers and a string map: cannot fail.
    serde_json::to_vec(&b).unwrap_or_default()
}

type Ws = tungstenite::WebSocket<std::os::unix::net::UnixStream>;

impl Pebble {
    /// Runs `command` and waits for it. Exit 0: its output. Non-zero: [`PebbleError::Exec`]
    /// with the exit code and output. Not runnable (missing executable): [`PebbleError::Api`].
    /// Killed by its timeout: [`PebbleError::Change`].
    pub fn exec(&self, command: &[&str], opts: &ExecOptions) -> Result<ExecOutput, PebbleError> {
        let (result, change) =
            self.call(Request::new("POST", "/v1/exec", &[]).json(body(command, opts)))?;
        let protocol = |p: &str| PebbleError::Protocol {
            method: "POST",
            path: "/v1/exec".into(),
            problem: p.to_owned(),
        };
        let change = change.ok_or_else(|| protocol("an exec answer without a change id"))?;
        let task = result
            .get("task-id")
            .and_then(Value::as_str)
            .ok_or_else(|| protocol("an exec answer without a task id"))?
            .to_owned();
        if !task.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(protocol("a task id that is not a plain word"));
        }
        let mut stdio = self.websocket(&task, "stdio")?;
        let stderr_ws = self.websocket(&task, "stderr")?;
        let stderr_thread = std::thread::spawn(move || drain(stderr_ws));
        let ws_err = |what: &str, e: tungstenite::Error| {
            protocol(&format!("websocket {what} of task {task}: {e}"))
        };
        if let Some(input) = &opts.stdin {
            for chunk in input.chunks(64 * 1024) {
                stdio
                    .send(Message::Binary(chunk.to_vec().into()))
                    .map_err(|e| ws_err("stdin", e))?;
            }
        }
        stdio
            .send(Message::Text(r#"{"command":"end"}"#.into()))
            .map_err(|e| ws_err("stdin", e))?;
        let stdout = drain(stdio).map_err(|e| ws_err("stdout", e))?;
        let stderr = stderr_thread
            .join()
            .map_err(|_| protocol("the stderr reader stopped"))?
            .map_err(|e| ws_err("stderr", e))?;
        let wait = opts
            .timeout
            .map_or(DEFAULT_CHANGE_TIMEOUT, |t| t + Duration::from_secs(1));
        let done = self.wait_change(&change, wait)?;
        if done.err.is_some() {
            return Err(PebbleError::Change {
                change: Box::new(done),
            });
        }
        let code = done
            .tasks
            .first()
            .and_then(|t| t.data.get("exit-code"))
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if code != 0 {
            return Err(PebbleError::Exec {
                command: command.iter().map(|s| (*s).to_owned()).collect(),
                exit_code: code,
                stdout,
                stderr,
            });
        }
        Ok(ExecOutput { stdout, stderr })
    }

    fn websocket(&self, task: &str, which: &str) -> Result<Ws, PebbleError> {
        let stream = connect(self.socket(), self.timeout)?;
        let url = format!("ws://localhost/v1/tasks/{task}/websocket/{which}");
        tungstenite::client(url.as_str(), stream)
            .map(|(ws, _)| ws)
            .map_err(|e| PebbleError::Protocol {
                method: "GET",
                path: format!("/v1/tasks/{task}/websocket/{which}"),
                problem: format!("websocket handshake failed: {e}"),
            })
    }
}

/// Reads binary frames until the `{"command":"end"}` text frame or a close, bounded.
fn drain(mut ws: Ws) -> Result<Vec<u8>, tungstenite::Error> {
    let mut out = Vec::new();
    loop {
        match ws.read() {
            Ok(Message::Binary(b)) => {
                out.extend_from_slice(&b);
                if out.len() > super::DEFAULT_MAX_BODY {
                    return Err(tungstenite::Error::Capacity(
                        tungstenite::error::CapacityError::MessageTooLong {
                            size: out.len(),
                            max_size: super::DEFAULT_MAX_BODY,
                        },
                    ));
                }
            }
            Ok(Message::Text(t)) => {
                let end = serde_json::from_str::<Value>(t.as_str())
                    .ok()
                    .is_some_and(|v| v["command"] == "end");
                if end {
                    let _ = ws.close(None);
                    let _ = ws.flush();
                    return Ok(out);
                }
            }
            Ok(Message::Close(_)) | Err(tungstenite::Error::ConnectionClosed) => return Ok(out),
            Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn exec_body_sends_every_key_as_ops_does() {
        let mut o = super::ExecOptions {
            timeout: Some(std::time::Duration::from_secs(10)),
            ..Default::default()
        };
        o.environment.insert("X".into(), "1".into());
        assert_eq!(
            String::from_utf8(super::body(&["sh", "-c", "true"], &o)).unwrap(),
            r#"{"command":["sh","-c","true"],"service-context":null,"environment":{"X":"1"},"working-dir":null,"timeout":"10.000s","user-id":null,"user":null,"group-id":null,"group":null,"split-stderr":true}"#
        );
    }
}
