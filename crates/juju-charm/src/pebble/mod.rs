//! A Pebble client: the charm's way into its workload containers.
//!
//! Juju runs Pebble in every workload container and mounts its socket into the charm's
//! container at `/charm/containers/<container>/pebble.socket`. [`Container`] is a handle on
//! one of them; every call is one HTTP/1.1 request on a fresh connection (as ops makes
//! them), synchronous, with a timeout on every read and write and a bound on every answer,
//! so a Pebble that is down, silent, or talking nonsense gives a typed [`PebbleError`],
//! never a hang or a panic.
//!
//! ```no_run
//! use juju_charm::pebble::{Container, Layer, PushOptions, Service, Override, Startup};
//!
//! # fn main() -> Result<(), juju_charm::pebble::PebbleError> {
//! let nginx = Container::new(juju_charm::pebble::DEFAULT_SOCKET_DIR, "nginx");
//! if !nginx.can_connect() {
//!     return Ok(()); // wait for nginx-pebble-ready
//! }
//! nginx.push("/etc/nginx/nginx.conf", b"events {}\n", &PushOptions::default().make_dirs())?;
//! let mut layer = Layer::default();
//! layer.services.insert("nginx".into(), Service {
//!     override_: Some(Override::Replace),
//!     command: Some("nginx -g 'daemon off;'".into()),
//!     startup: Some(Startup::Enabled),
//!     ..Service::default()
//! });
//! nginx.add_layer("nginx", &layer, true)?;
//! nginx.replan()?;
//! # Ok(()) }
//! ```

mod error;
mod exec;
mod http;
mod layer;
pub mod multipart;
mod types;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{json, Value};

pub use error::PebbleError;
pub use exec::{ExecOptions, ExecOutput};
pub use layer::{
    Check, CheckLevel, ExecCheck, HttpCheck, Layer, LogTarget, Override, Service, Startup, TcpCheck,
};
pub use types::{Change, CheckInfo, FileInfo, ServiceInfo, SystemInfo, Task, TaskProgress};

use http::{Request, Response};

/// Where Juju mounts the workload containers' Pebble sockets in the charm container.
pub const DEFAULT_SOCKET_DIR: &str = "/charm/containers";

/// The socket-read timeout ops uses (its `Client(timeout=5.0)`).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long service actions wait for their change by default (ops' 30 s).
pub const DEFAULT_CHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// The largest answer read from Pebble (a pulled file included).
pub const DEFAULT_MAX_BODY: usize = 64 * 1024 * 1024;

/// A client for one Pebble socket.
#[derive(Debug, Clone)]
pub struct Pebble {
    socket: PathBuf,
    timeout: Duration,
    max_body: usize,
}

/// A workload container: its name and a [`Pebble`] client on its socket. Derefs to the
/// client, so `container.push(..)` reads as in ops.
#[derive(Debug, Clone)]
pub struct Container {
    name: String,
    pebble: Pebble,
}

impl Container {
    /// The container `name`, whose socket is `<socket_dir>/<name>/pebble.socket`.
    /// `socket_dir` is [`DEFAULT_SOCKET_DIR`] under Juju; [`crate::Context::pebble_socket_dir`]
    /// gives the one in force (a simulator points it elsewhere).
    pub fn new(socket_dir: impl AsRef<Path>, name: &str) -> Self {
        Self {
            name: name.to_owned(),
            pebble: Pebble::new(socket_dir.as_ref().join(name).join("pebble.socket")),
        }
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client.
    pub fn pebble(&self) -> &Pebble {
        &self.pebble
    }
}

impl std::ops::Deref for Container {
    type Target = Pebble;
    fn deref(&self) -> &Pebble {
        &self.pebble
    }
}

/// Options of [`Pebble::push`] (ops' `push` keywords).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushOptions {
    /// Create missing parent directories.
    pub make_dirs: bool,
    /// Octal permissions, e.g. `0o640` (Pebble's default is 0644).
    pub permissions: Option<u32>,
    /// Owner by id.
    pub user_id: Option<u32>,
    /// Owner by name.
    pub user: Option<String>,
    /// Group by id.
    pub group_id: Option<u32>,
    /// Group by name.
    pub group: Option<String>,
}

impl PushOptions {
    /// With `make_dirs` set.
    pub fn make_dirs(mut self) -> Self {
        self.make_dirs = true;
        self
    }
    /// With these permissions.
    pub fn permissions(mut self, mode: u32) -> Self {
        self.permissions = Some(mode);
        self
    }
}

/// Options of [`Pebble::make_dir`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MakeDirOptions {
    /// Create missing parents too.
    pub make_parents: bool,
    /// Octal permissions.
    pub permissions: Option<u32>,
    /// Owner by id.
    pub user_id: Option<u32>,
    /// Owner by name.
    pub user: Option<String>,
    /// Group by id.
    pub group_id: Option<u32>,
    /// Group by name.
    pub group: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Ownership<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    permissions: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group_id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<&'a str>,
}

impl<'a> Ownership<'a> {
    /// Permissions as Pebble's octal string, owner and group by id and/or name.
    fn new(
        permissions: Option<u32>,
        (user_id, user): (Option<u32>, Option<&'a str>),
        (group_id, group): (Option<u32>, Option<&'a str>),
    ) -> Self {
        Self {
            permissions: permissions.map(|p| format!("{p:03o}")),
            user_id,
            user,
            group_id,
            group,
        }
    }
}

/// Pebble's seconds form of a duration (`4.000s`).
fn go_duration(d: Duration) -> String {
    format!("{:.3}s", d.as_secs_f64())
}

impl Pebble {
    /// A client for the socket at `socket`, with ops' 5 s timeout.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self {
            socket: socket.into(),
            timeout: DEFAULT_TIMEOUT,
            max_body: DEFAULT_MAX_BODY,
        }
    }

    /// With another socket timeout (every read and write; at least 1 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout.max(Duration::from_secs(1));
        self
    }

    /// With another bound on answers.
    pub fn with_max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// The socket path.
    pub fn socket(&self) -> &Path {
        &self.socket
    }

    fn roundtrip(&self, req: &Request) -> Result<Response, PebbleError> {
        http::roundtrip(&self.socket, self.timeout, self.max_body, req)
    }

    /// Sends `req` and returns the envelope's `result` (and `change`), or the API error.
    fn call(&self, req: Request) -> Result<(Value, Option<String>), PebbleError> {
        let resp = self.roundtrip(&req)?;
        let env: Value = serde_json::from_slice(&resp.body).map_err(|e| {
            req.protocol(format!(
                "HTTP {} with a body that is not JSON ({e}): {}",
                resp.status,
                crate::context::truncate(&String::from_utf8_lossy(&resp.body), 200)
            ))
        })?;
        envelope(&req, resp.status, env)
    }

    fn sync(&self, req: Request) -> Result<Value, PebbleError> {
        self.call(req).map(|(v, _)| v)
    }

    fn async_change(&self, req: Request) -> Result<String, PebbleError> {
        let path = req.path.clone();
        let (_, change) = self.call(req)?;
        change.ok_or_else(|| PebbleError::Protocol {
            method: "POST",
            path,
            problem: "an async answer without a change id".into(),
        })
    }

    fn parse<T: serde::de::DeserializeOwned>(
        method: &'static str,
        path: &str,
        v: Value,
    ) -> Result<T, PebbleError> {
        serde_json::from_value(v).map_err(|e| PebbleError::Protocol {
            method,
            path: path.to_owned(),
            problem: format!("unexpected result: {e}"),
        })
    }

    /// Whether Pebble answers (`GET /v1/system-info`), as ops' `can_connect`: any failure
    /// is `false`.
    pub fn can_connect(&self) -> bool {
        self.get_system_info().is_ok()
    }

    /// `GET /v1/system-info`.
    pub fn get_system_info(&self) -> Result<SystemInfo, PebbleError> {
        let v = self.sync(Request::new("GET", "/v1/system-info", &[]))?;
        Self::parse("GET", "/v1/system-info", v)
    }

    /// The combined plan of every layer (`GET /v1/plan?format=yaml`).
    pub fn get_plan(&self) -> Result<Layer, PebbleError> {
        let v = self.sync(Request::new("GET", "/v1/plan", &[("format", "yaml")]))?;
        let text = v.as_str().unwrap_or("");
        Layer::from_yaml(text).map_err(|e| PebbleError::Protocol {
            method: "GET",
            path: "/v1/plan".into(),
            problem: format!("the plan is not a layer: {e}"),
        })
    }

    /// Adds a layer under `label`; with `combine`, merges it into an existing layer of that
    /// label (each service then needs `override`), else a second add of the label fails.
    pub fn add_layer(&self, label: &str, layer: &Layer, combine: bool) -> Result<(), PebbleError> {
        let body = json!({"action": "add", "combine": combine, "label": label, "format": "yaml", "layer": layer.to_yaml()});
        self.sync(Request::new("POST", "/v1/layers", &[]).json(body.to_string().into_bytes()))
            .map(|_| ())
    }

    fn services_action(
        &self,
        action: &str,
        services: &[&str],
        timeout: Duration,
    ) -> Result<Change, PebbleError> {
        let body = json!({"action": action, "services": services});
        let id = self.async_change(
            Request::new("POST", "/v1/services", &[]).json(body.to_string().into_bytes()),
        )?;
        let change = self.wait_change(&id, timeout)?;
        if change.err.is_some() {
            return Err(PebbleError::Change {
                change: Box::new(change),
            });
        }
        Ok(change)
    }

    /// Starts what should run and restarts what changed (ops' `replan_services`), waiting
    /// up to 30 s; a service that fails to start is a [`PebbleError::Change`].
    pub fn replan(&self) -> Result<Change, PebbleError> {
        self.services_action("replan", &[], DEFAULT_CHANGE_TIMEOUT)
    }

    /// Starts the services whose startup is `enabled` (ops' `autostart_services`).
    pub fn autostart(&self) -> Result<Change, PebbleError> {
        self.services_action("autostart", &[], DEFAULT_CHANGE_TIMEOUT)
    }

    /// Starts `services` and waits.
    pub fn start(&self, services: &[&str]) -> Result<Change, PebbleError> {
        self.services_action("start", services, DEFAULT_CHANGE_TIMEOUT)
    }

    /// Stops `services` and waits.
    pub fn stop(&self, services: &[&str]) -> Result<Change, PebbleError> {
        self.services_action("stop", services, DEFAULT_CHANGE_TIMEOUT)
    }

    /// Restarts `services` and waits.
    pub fn restart(&self, services: &[&str]) -> Result<Change, PebbleError> {
        self.services_action("restart", services, DEFAULT_CHANGE_TIMEOUT)
    }

    /// The state of `names` (all services when empty); unknown names are left out.
    pub fn get_services(&self, names: &[&str]) -> Result<Vec<ServiceInfo>, PebbleError> {
        self.get_list("/v1/services", &filters(None, names))
    }

    /// `GET /v1/changes/<id>`.
    pub fn get_change(&self, id: &str) -> Result<Change, PebbleError> {
        let path = format!("/v1/changes/{id}");
        let v = self.sync(Request::new("GET", &path, &[]))?;
        Self::parse("GET", &path, v)
    }

    /// Waits until change `id` is ready, as ops does: `/wait` with at most the socket
    /// timeout less one second per request, again on each 504, until `timeout` has passed
    /// ([`PebbleError::Timeout`]). A change that failed is returned (its `err` set), not an
    /// error: the caller decides.
    pub fn wait_change(&self, id: &str, timeout: Duration) -> Result<Change, PebbleError> {
        let deadline = Instant::now() + timeout;
        let path = format!("/v1/changes/{id}/wait");
        let per_request = self.timeout.saturating_sub(Duration::from_secs(1));
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(PebbleError::Timeout {
                    what: format!("change {id}"),
                    seconds: timeout.as_secs_f64(),
                });
            }
            let this = left.min(per_request).max(Duration::from_millis(1));
            let req = Request::new("GET", &path, &[("timeout", &go_duration(this))]);
            match self.sync(req) {
                Ok(v) => {
                    let change: Change = Self::parse("GET", &path, v)?;
                    if change.ready {
                        return Ok(change);
                    }
                }
                Err(PebbleError::Api { code: 504, .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Health checks, filtered by level and names (both optional).
    pub fn get_checks(
        &self,
        level: Option<CheckLevel>,
        names: &[&str],
    ) -> Result<Vec<CheckInfo>, PebbleError> {
        self.get_list("/v1/checks", &filters(level, names))
    }

    /// A `GET` whose result is a list (Pebble may send `null` for none).
    fn get_list<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&'static str, String)],
    ) -> Result<Vec<T>, PebbleError> {
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let v = self.sync(Request::new("GET", path, &query))?;
        Self::parse("GET", path, if v.is_null() { json!([]) } else { v })
    }

    fn checks_action(&self, action: &str, checks: &[&str]) -> Result<Vec<String>, PebbleError> {
        let body = json!({"action": action, "checks": checks});
        let v =
            self.sync(Request::new("POST", "/v1/checks", &[]).json(body.to_string().into_bytes()))?;
        let changed = v.get("changed").cloned().unwrap_or(Value::Null);
        Self::parse(
            "POST",
            "/v1/checks",
            if changed.is_null() {
                json!([])
            } else {
                changed
            },
        )
    }

    /// Starts checks; returns those whose state changed.
    pub fn start_checks(&self, checks: &[&str]) -> Result<Vec<String>, PebbleError> {
        self.checks_action("start", checks)
    }

    /// Stops checks; returns those whose state changed.
    pub fn stop_checks(&self, checks: &[&str]) -> Result<Vec<String>, PebbleError> {
        self.checks_action("stop", checks)
    }

    /// Sends `signal` (`SIGHUP`) to the services.
    pub fn send_signal(&self, signal: &str, services: &[&str]) -> Result<(), PebbleError> {
        let body = json!({"signal": signal, "services": services});
        self.sync(Request::new("POST", "/v1/signals", &[]).json(body.to_string().into_bytes()))
            .map(|_| ())
    }

    /// Writes `content` to `path` in the container (atomically, as Pebble does).
    pub fn push(&self, path: &str, content: &[u8], opts: &PushOptions) -> Result<(), PebbleError> {
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct File<'a> {
            path: &'a str,
            make_dirs: bool,
            #[serde(flatten)]
            own: Ownership<'a>,
        }
        let own = Ownership::new(
            opts.permissions,
            (opts.user_id, opts.user.as_deref()),
            (opts.group_id, opts.group.as_deref()),
        );
        let meta =
            json!({"action": "write", "files": [File { path, make_dirs: opts.make_dirs, own }]});
        let boundary = multipart::boundary();
        let mut req = Request::new("POST", "/v1/files", &[]);
        req.content_type = Some(format!("multipart/form-data; boundary=\"{boundary}\""));
        req.body = multipart::push_body(&boundary, meta.to_string().as_bytes(), path, content);
        let v = self.sync(req)?;
        per_path_errors(&v)
    }

    /// Reads the file at `path` from the container.
    pub fn pull(&self, path: &str) -> Result<Vec<u8>, PebbleError> {
        let mut req = Request::new("GET", "/v1/files", &[("action", "read"), ("path", path)]);
        req.accept = "multipart/form-data";
        let resp = self.roundtrip(&req)?;
        let ct = resp.header("content-type").unwrap_or("");
        let Some(boundary) = multipart::boundary_of(ct) else {
            // Errors come as a plain JSON envelope.
            let env: Value = serde_json::from_slice(&resp.body)
                .map_err(|e| req.protocol(format!("neither multipart nor JSON: {e}")))?;
            let (v, _) = envelope(&req, resp.status, env)?;
            per_path_errors(&v)?;
            return Err(req.protocol("a read answer without the file"));
        };
        let parts = multipart::parse(&resp.body, &boundary)
            .ok_or_else(|| req.protocol("a malformed multipart answer"))?;
        let response = parts
            .iter()
            .find(|p| p.name == "response")
            .ok_or_else(|| req.protocol("a multipart answer without its `response` part"))?;
        let env: Value = serde_json::from_slice(&response.body)
            .map_err(|e| req.protocol(format!("the `response` part is not JSON: {e}")))?;
        let (v, _) = envelope(&req, resp.status, env)?;
        per_path_errors(&v)?;
        parts
            .into_iter()
            .find(|p| p.name == "files" && p.filename.as_deref() == Some(path))
            .map(|p| p.body)
            .ok_or_else(|| req.protocol(format!("no file part for `{path}`")))
    }

    /// Lists `path` (a directory's entries, or with `itself` the entry itself), optionally
    /// filtered by a glob `pattern`.
    pub fn list_files(
        &self,
        path: &str,
        pattern: Option<&str>,
        itself: bool,
    ) -> Result<Vec<FileInfo>, PebbleError> {
        let mut query = vec![("action", "list"), ("path", path)];
        if let Some(p) = pattern {
            query.push(("pattern", p));
        }
        if itself {
            query.push(("itself", "true"));
        }
        let req = Request::new("GET", "/v1/files", &query);
        match self.sync(req) {
            Err(PebbleError::Api {
                code: 404,
                message,
                kind,
                ..
            }) => Err(PebbleError::Path {
                path: path.to_owned(),
                kind: kind.unwrap_or_else(|| "not-found".into()),
                message,
            }),
            Err(e) => Err(e),
            Ok(v) => Self::parse("GET", "/v1/files", if v.is_null() { json!([]) } else { v }),
        }
    }

    /// Creates a directory.
    pub fn make_dir(&self, path: &str, opts: &MakeDirOptions) -> Result<(), PebbleError> {
        #[derive(Serialize)]
        #[serde(rename_all = "kebab-case")]
        struct Dir<'a> {
            path: &'a str,
            make_parents: bool,
            #[serde(flatten)]
            own: Ownership<'a>,
        }
        let own = Ownership::new(
            opts.permissions,
            (opts.user_id, opts.user.as_deref()),
            (opts.group_id, opts.group.as_deref()),
        );
        let body = json!({"action": "make-dirs", "dirs": [Dir { path, make_parents: opts.make_parents, own }]});
        let v =
            self.sync(Request::new("POST", "/v1/files", &[]).json(body.to_string().into_bytes()))?;
        per_path_errors(&v)
    }

    /// Removes a file or directory (with `recursive`, a whole tree).
    pub fn remove_path(&self, path: &str, recursive: bool) -> Result<(), PebbleError> {
        let body = json!({"action": "remove", "paths": [{"path": path, "recursive": recursive}]});
        let v =
            self.sync(Request::new("POST", "/v1/files", &[]).json(body.to_string().into_bytes()))?;
        per_path_errors(&v)
    }

    /// Pebble's health (`GET /v1/health`): `true` when every selected check is up.
    pub fn health(&self, level: Option<CheckLevel>, names: &[&str]) -> Result<bool, PebbleError> {
        let query = filters(level, names);
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let req = Request::new("GET", "/v1/health", &query);
        let resp = self.roundtrip(&req)?;
        let env: Value = serde_json::from_slice(&resp.body)
            .map_err(|e| req.protocol(format!("not JSON: {e}")))?;
        // Unhealthy is a *sync* answer with status 502.
        if env.get("type").and_then(Value::as_str) == Some("sync") {
            return Ok(env["result"]["healthy"].as_bool().unwrap_or(false));
        }
        envelope(&req, resp.status, env).map(|(v, _)| v["healthy"].as_bool().unwrap_or(false))
    }
}

/// `level` and `names` as Pebble's query filters (each left out when not given).
fn filters(level: Option<CheckLevel>, names: &[&str]) -> Vec<(&'static str, String)> {
    let mut query = Vec::new();
    if let Some(l) = level {
        query.push(("level", l.as_str().to_owned()));
    }
    if !names.is_empty() {
        query.push(("names", names.join(",")));
    }
    query
}

/// Checks an envelope: the `result` and `change` of a sync or async answer, or the error.
fn envelope(
    req: &Request,
    http_status: u16,
    env: Value,
) -> Result<(Value, Option<String>), PebbleError> {
    let kind = env.get("type").and_then(Value::as_str).unwrap_or("");
    let result = env.get("result").cloned().unwrap_or(Value::Null);
    if kind == "error" || http_status >= 400 {
        return Err(PebbleError::Api {
            method: req.method,
            path: req.path.clone(),
            code: env
                .get("status-code")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(http_status),
            status: env
                .get("status")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            message: result
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
            kind: result
                .get("kind")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    }
    match kind {
        "sync" => Ok((result, None)),
        "async" => Ok((
            result,
            env.get("change").and_then(Value::as_str).map(str::to_owned),
        )),
        other => Err(req.protocol(format!("unknown envelope type {other:?}"))),
    }
}

/// The first per-path error of a files answer (`[{"path", "error": {kind, message}}]`).
fn per_path_errors(v: &Value) -> Result<(), PebbleError> {
    for entry in v.as_array().into_iter().flatten() {
        if let Some(err) = entry.get("error").filter(|e| !e.is_null()) {
            return Err(PebbleError::Path {
                path: entry["path"].as_str().unwrap_or("").to_owned(),
                kind: err["kind"].as_str().unwrap_or("").to_owned(),
                message: err["message"].as_str().unwrap_or("").to_owned(),
            });
        }
    }
    Ok(())
}
