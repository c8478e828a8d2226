//! The process transport: runs a charm directory as Juju's unit agent does (contract §1),
//! with hook tools on `PATH` that talk to this process over a unix socket, like `jujuc`.
//!
//! The tool executables are links to the `charm-sim` binary itself; invoked under a tool's
//! name it runs [`tool_client`]. One request per connection: a JSON line
//! `{context_id, tool, args, stdin}`, answered by a JSON line `{code, stdout, stderr,
//! needs_stdin}`. Stdin is lazy as in Juju: sent only when the tool asks for it.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::hook::{prepare, EventSpec, Report, SimError};
use super::model::{Answer, Model, TOOLS};
use crate::state::State;

#[derive(Serialize, Deserialize)]
struct Request {
    context_id: String,
    tool: String,
    args: Vec<String>,
    stdin: Option<Vec<u8>>,
}

#[derive(Serialize, Deserialize, Default)]
struct Reply {
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    needs_stdin: bool,
}

/// How to run a charm directory.
#[derive(Debug, Clone)]
pub struct ProcessOptions {
    /// The executable the tool links point at (the `charm-sim` binary).
    pub tool_binary: PathBuf,
    /// Extra `PATH` entries after the tools directory (the agent's PATH); defaults to this
    /// process's `PATH` so interpreters such as python3 are found.
    pub agent_path: String,
    /// A command the handler runs under (e.g. `valgrind --tool=callgrind ...`), for measuring.
    pub wrapper: Vec<String>,
}

impl ProcessOptions {
    /// Options using `tool_binary` and this process's `PATH`.
    pub fn new(tool_binary: PathBuf) -> Self {
        Self {
            tool_binary,
            agent_path: std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
            wrapper: Vec::new(),
        }
    }
}

/// What Juju would run for this dispatch path (contract §1.1).
fn handler(charm_dir: &Path, dispatch_path: &str) -> Result<Option<PathBuf>, String> {
    let dispatch = charm_dir.join("dispatch");
    if dispatch.exists() {
        return if is_executable(&dispatch) {
            Ok(Some(dispatch))
        } else {
            Err(format!("{}: permission denied", dispatch.display()))
        };
    }
    let legacy = charm_dir.join(dispatch_path);
    if legacy.exists() && is_executable(&legacy) {
        return Ok(Some(legacy));
    }
    Ok(None)
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// Runs one event against the charm in `charm_dir`.
pub fn run_process(
    state: &State,
    spec: &EventSpec,
    charm_dir: &Path,
    opts: &ProcessOptions,
    seq: u64,
) -> Result<Report, SimError> {
    let charm_dir = std::fs::canonicalize(charm_dir)?;
    let prepared = prepare(state, spec, &charm_dir, seq)?;
    if prepared.skip.is_some() {
        return Ok(prepared.skipped_report());
    }
    let model = Model::new(prepared.state.clone(), prepared.ctx.clone());
    let started = Instant::now();

    if !charm_dir.join("metadata.yaml").is_file() {
        return Ok(prepared.finish(
            model,
            1,
            started,
            "charm missing from disk (no metadata.yaml)\n".into(),
            None,
        ));
    }
    let handler = match handler(&charm_dir, &prepared.dispatch_path) {
        Ok(Some(h)) => h,
        Ok(None) if prepared.ctx.action => {
            let unit = &prepared.state.unit;
            return Ok(prepared.finish(
                model,
                1,
                started,
                format!("action not implemented on unit \"{unit}\"\n"),
                None,
            ));
        }
        Ok(None) => {
            let mut r = prepared.finish(model, 0, started, String::new(), None);
            r.skipped = Some(format!("skipped \"{}\" hook (missing)", prepared.ctx.hook));
            return Ok(r);
        }
        Err(e) => return Ok(prepared.finish(model, 1, started, format!("{e}\n"), None)),
    };

    let work = tempfile::Builder::new().prefix("charm-sim-").tempdir()?;
    let tools_dir = work.path().join("tools");
    std::fs::create_dir(&tools_dir)?;
    for tool in TOOLS.iter().filter(|t| !model.tool_missing(t)) {
        std::os::unix::fs::symlink(&opts.tool_binary, tools_dir.join(tool))?;
    }
    let socket = work.path().join("agent.socket");
    let listener = UnixListener::bind(&socket)?;
    let context_id = prepared
        .env
        .get("JUJU_CONTEXT_ID")
        .cloned()
        .unwrap_or_default();
    let model = Arc::new(Mutex::new(model));
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let (model, stop, context_id) = (Arc::clone(&model), Arc::clone(&stop), context_id.clone());
        std::thread::spawn(move || serve(listener, model, stop, context_id))
    };

    let mut env = prepared.env.clone();
    let pebble = prepared.start_pebble(&work.path().join("containers"), &mut env)?;
    // Only the agent-controlled socket path differs from a real unit.
    if env.contains_key("JUJU_AGENT_SOCKET_ADDRESS") {
        env.insert(
            "JUJU_AGENT_SOCKET_ADDRESS".into(),
            socket.to_string_lossy().into_owned(),
        );
    }
    env.insert(
        "PATH".into(),
        format!("{}:{}", tools_dir.display(), opts.agent_path),
    );
    let started = Instant::now();
    let mut cmd = match opts.wrapper.split_first() {
        Some((program, args)) => {
            let mut c = Command::new(program);
            c.args(args).arg(&handler);
            c
        }
        None => Command::new(&handler),
    };
    let output = cmd
        .env_clear()
        .envs(&env)
        .current_dir(&charm_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output();
    let wall = started;
    stop.store(true, Ordering::SeqCst);
    let _ = UnixStream::connect(&socket); // wake the accept loop
    let _ = server.join();
    let output = output?;
    let code = output.status.code().unwrap_or(-1);
    let model = super::inprocess::unshare(model);
    let mut stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    if !output.stdout.is_empty() {
        stderr.push_str(&format!(
            "(stdout, logged at DEBUG) {}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    Ok(prepared.finish(model, code, wall, stderr, Some(pebble)))
}

fn serve(
    listener: UnixListener,
    model: Arc<Mutex<Model>>,
    stop: Arc<AtomicBool>,
    context_id: String,
) {
    for conn in listener.incoming() {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(mut conn) = conn else { continue };
        let reply = match read_request(&conn) {
            Err(e) => Reply {
                code: 1,
                stderr: format!("ERROR bad request: {e}\n").into_bytes(),
                ..Default::default()
            },
            Ok(req) if req.context_id != context_id => Reply {
                code: 1,
                stderr: format!("ERROR bad request: unknown context {:?}\n", req.context_id)
                    .into_bytes(),
                ..Default::default()
            },
            Ok(req) => match model.lock() {
                Err(_) => Reply {
                    code: 1,
                    stderr: b"ERROR simulator model poisoned\n".to_vec(),
                    ..Default::default()
                },
                Ok(mut m) => match m.call(&req.tool, &req.args, req.stdin.as_deref()) {
                    Answer::NeedsStdin => Reply {
                        needs_stdin: true,
                        ..Default::default()
                    },
                    Answer::Done(r) => Reply {
                        code: r.code,
                        stdout: r.stdout,
                        stderr: r.stderr,
                        needs_stdin: false,
                    },
                },
            },
        };
        if let Ok(line) = serde_json::to_string(&reply) {
            let _ = conn
                .write_all(line.as_bytes())
                .and_then(|_| conn.write_all(b"\n"));
        }
    }
}

fn read_request(conn: &UnixStream) -> Result<Request, String> {
    let mut line = String::new();
    BufReader::new(conn)
        .read_line(&mut line)
        .map_err(|e| e.to_string())?;
    serde_json::from_str(&line).map_err(|e| e.to_string())
}

/// The hook-tool side (the `jujuc` stand-in): forwards argv (and stdin when asked) to the
/// simulator and reproduces its answer. Returns the exit code.
pub fn tool_client(tool: &str, args: Vec<String>) -> i32 {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let fail = |msg: String| {
        eprintln!("ERROR {msg}");
        1
    };
    let Some(context_id) = var("JUJU_CONTEXT_ID") else {
        return fail("JUJU_CONTEXT_ID not set".into());
    };
    let Some(address) = var("JUJU_AGENT_SOCKET_ADDRESS") else {
        return fail("JUJU_AGENT_SOCKET_ADDRESS not set".into());
    };
    if var("JUJU_AGENT_SOCKET_NETWORK").as_deref() != Some("unix") {
        return fail("JUJU_AGENT_SOCKET_NETWORK not set".into());
    }
    let mut req = Request {
        context_id,
        tool: tool.to_owned(),
        args,
        stdin: None,
    };
    for _ in 0..2 {
        let reply = match exchange(&address, &req) {
            Ok(r) => r,
            Err(e) => {
                return fail(format!(
                    "cannot connect to the unit agent at {address}: {e}"
                ))
            }
        };
        if reply.needs_stdin && req.stdin.is_none() {
            let mut buf = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut buf) {
                return fail(format!("cannot read stdin: {e}"));
            }
            req.stdin = Some(buf);
            continue;
        }
        let _ = std::io::stdout().write_all(&reply.stdout);
        let _ = std::io::stderr().write_all(&reply.stderr);
        return reply.code;
    }
    fail("hook tool requires stdin, none supplied".into())
}

fn exchange(address: &str, req: &Request) -> std::io::Result<Reply> {
    let mut conn = UnixStream::connect(address)?;
    let line = serde_json::to_string(req).map_err(std::io::Error::other)?;
    conn.write_all(line.as_bytes())?;
    conn.write_all(b"\n")?;
    let mut reply = String::new();
    BufReader::new(conn).read_line(&mut reply)?;
    serde_json::from_str(&reply).map_err(std::io::Error::other)
}
