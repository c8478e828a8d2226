//! Serves each connectable container's [`PebbleModel`] on a real Unix socket,
//! `<dir>/<container>/pebble.socket`, one thread per connection, as Pebble would.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use tungstenite::protocol::Role;
use tungstenite::{Message, WebSocket};

use super::model::{HttpRequest, PebbleModel};
use super::state::ContainerState;

/// The largest request body the fake accepts.
const MAX_REQUEST: usize = 256 * 1024 * 1024;

type Shared = Arc<Mutex<PebbleModel>>;

struct Listener {
    socket: PathBuf,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Vec<JoinHandle<()>>>,
}

/// The running Pebbles of one hook.
pub struct PebbleServer {
    models: Vec<Shared>,
    listeners: Vec<Listener>,
}

/// One container after the hook: its state and the requests the charm made.
#[derive(Debug, Clone)]
pub struct ContainerOutcome {
    /// The container as it now stands.
    pub state: ContainerState,
    /// `METHOD /path` of every request, in order.
    pub requests: Vec<String>,
}

fn lock(m: &Shared) -> std::sync::MutexGuard<'_, PebbleModel> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl PebbleServer {
    /// Starts a Pebble for each container whose `can_connect` is true, under `dir`.
    pub fn start(dir: &Path, containers: &[ContainerState]) -> std::io::Result<Self> {
        let mut server = Self {
            models: Vec::new(),
            listeners: Vec::new(),
        };
        for c in containers {
            let model: Shared = Arc::new(Mutex::new(PebbleModel::new(c.clone())));
            server.models.push(model.clone());
            let cdir = dir.join(&c.name);
            std::fs::create_dir_all(&cdir)?;
            if !c.can_connect {
                continue;
            }
            let socket = cdir.join("pebble.socket");
            let listener = UnixListener::bind(&socket)?;
            let stop = Arc::new(AtomicBool::new(false));
            let stop2 = stop.clone();
            let thread = std::thread::spawn(move || {
                let mut conns = Vec::new();
                for stream in listener.incoming() {
                    if stop2.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let model = model.clone();
                    conns.push(std::thread::spawn(move || serve(stream, &model)));
                }
                conns
            });
            server.listeners.push(Listener {
                socket,
                stop,
                thread,
            });
        }
        Ok(server)
    }

    /// Stops every Pebble (after the charm has exited) and returns the containers.
    pub fn stop(self) -> Vec<ContainerOutcome> {
        for l in self.listeners {
            l.stop.store(true, Ordering::SeqCst);
            // Wake the accept loop.
            let _ = UnixStream::connect(&l.socket);
            if let Ok(conns) = l.thread.join() {
                for c in conns {
                    let _ = c.join();
                }
            }
            let _ = std::fs::remove_file(&l.socket);
        }
        self.models
            .iter()
            .map(|m| {
                let m = lock(m);
                ContainerOutcome {
                    state: m.state.clone(),
                    requests: m.requests.clone(),
                }
            })
            .collect()
    }
}

fn serve(mut stream: UnixStream, model: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let Some(req) = read_request(&mut stream) else {
        return;
    };
    let upgrade = req
        .headers
        .get("upgrade")
        .is_some_and(|u| u.eq_ignore_ascii_case("websocket"));
    if upgrade {
        websocket(stream, &req, model);
        return;
    }
    let resp = match (req.method.as_str(), req.path.rsplit_once('/')) {
        ("GET", Some((prefix, "wait"))) if prefix.starts_with("/v1/changes/") => {
            let id = prefix.trim_start_matches("/v1/changes/").to_owned();
            let timeout = req.query.get("timeout").and_then(|t| parse_duration(t));
            let (sleep, resp) = {
                let mut m = lock(model);
                m.requests.push(format!("GET {}", req.path));
                m.wait(&id, timeout)
            };
            if let Some(d) = sleep {
                std::thread::sleep(d);
            }
            resp
        }
        _ => lock(model).handle(&req),
    };
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        resp.status,
        resp.reason(),
        resp.content_type,
        resp.body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(&resp.body);
    let _ = stream.flush();
}

/// `4.000s`, `200ms`, `1m0s`-less Go durations as Pebble's clients send them.
fn parse_duration(t: &str) -> Option<Duration> {
    if let Some(ms) = t.strip_suffix("ms") {
        return ms
            .parse::<f64>()
            .ok()
            .map(|v| Duration::from_secs_f64(v / 1000.0));
    }
    t.strip_suffix('s')?
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
}

fn read_request(stream: &mut UnixStream) -> Option<HttpRequest> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (mut req, head_len) = loop {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut hs = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Request::new(&mut hs);
        match r.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                let target = r.path.unwrap_or("/");
                let (path, query) = target.split_once('?').unwrap_or((target, ""));
                break (
                    HttpRequest {
                        method: r.method.unwrap_or("").to_owned(),
                        path: path.to_owned(),
                        query: form_urlencoded::parse(query.as_bytes())
                            .into_owned()
                            .collect::<BTreeMap<_, _>>(),
                        headers: r
                            .headers
                            .iter()
                            .map(|h| {
                                (
                                    h.name.to_ascii_lowercase(),
                                    String::from_utf8_lossy(h.value).into_owned(),
                                )
                            })
                            .collect(),
                        body: Vec::new(),
                    },
                    len,
                );
            }
            Ok(httparse::Status::Partial) if buf.len() < 64 * 1024 => {}
            _ => return None,
        }
    };
    let mut body = buf.split_off(head_len);
    if let Some(len) = req.headers.get("content-length") {
        let len: usize = len.trim().parse().ok()?;
        if len > MAX_REQUEST {
            return None;
        }
        while body.len() < len {
            let n = stream.read(&mut chunk).ok()?;
            if n == 0 {
                return None;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body.truncate(len);
    } else if req
        .headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        while !body.ends_with(b"0\r\n\r\n") {
            let n = stream.read(&mut chunk).ok()?;
            if n == 0 || body.len() > MAX_REQUEST {
                return None;
            }
            body.extend_from_slice(&chunk[..n]);
        }
        body = juju_charm::pebble::multipart::dechunk(&body)?;
    }
    req.body = body;
    Some(req)
}

fn websocket(mut stream: UnixStream, req: &HttpRequest, model: &Shared) {
    let parts: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    let (task, which) = match parts.as_slice() {
        ["v1", "tasks", task, "websocket", which] => ((*task).to_owned(), (*which).to_owned()),
        _ => return,
    };
    let pending = {
        let mut m = lock(model);
        m.requests.push(format!("GET {}", req.path));
        m.execs.get(&task).cloned()
    };
    let Some(key) = req.headers.get("sec-websocket-key") else {
        return;
    };
    let Some(pending) = pending else {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    };
    let accept = tungstenite::handshake::derive_accept_key(key.trim().as_bytes());
    let head = format!("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n");
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let mut ws = WebSocket::from_raw_socket(stream, Role::Server, None);
    let end = || Message::Text(r#"{"command":"end"}"#.into());
    match which.as_str() {
        "stdio" => {
            let mut stdin = Vec::new();
            loop {
                match ws.read() {
                    Ok(Message::Binary(b)) => stdin.extend_from_slice(&b),
                    Ok(Message::Text(t)) if t.as_str().contains("\"end\"") => break,
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            // The command is done (its change ready) before its output ends, as in Pebble,
            // where the process has exited by then: a client that waits on the change right
            // after reading `end` must find it ready, or its request count would depend on
            // thread timing.
            lock(model).exec_done(&task, &stdin);
            if !pending.stdout.is_empty() {
                let _ = ws.send(Message::Binary(pending.stdout.clone().into()));
            }
            let _ = ws.send(end());
        }
        "stderr" => {
            if !pending.stderr.is_empty() {
                let _ = ws.send(Message::Binary(pending.stderr.clone().into()));
            }
            let _ = ws.send(end());
        }
        _ => {}
    }
    // Let the client close.
    let _ = ws.close(None);
    while ws.read().is_ok() {}
}
