//! Pebble's HTTP API over one [`ContainerState`], as `shared/reference/pebble-and-nginx.md`
//! observed it on real Pebble: the envelopes, layers with `combine` and `override`, the
//! plan, services and their changes, `/wait` with 504 on timeout, files with per-path
//! errors and the multipart rules, checks, signals, health, and exec's change.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{json, Value};

use super::state::{ContainerState, ExecCall, FileState, NamedLayer};
use juju_charm::pebble::{multipart, Change, Layer, Task, TaskProgress};

/// A request as the server read it.
#[derive(Debug, Clone, Default)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// Query parameters, decoded.
    pub query: BTreeMap<String, String>,
    /// Header names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

/// An answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Content type.
    pub content_type: String,
    /// Body.
    pub body: Vec<u8>,
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        504 => "Gateway Timeout",
        _ => "Unknown",
    }
}

impl HttpResponse {
    fn json(status: u16, v: &Value) -> Self {
        Self {
            status,
            content_type: "application/json".into(),
            body: v.to_string().into_bytes(),
        }
    }
    fn sync(result: Value) -> Self {
        Self::json(
            200,
            &json!({"type": "sync", "status-code": 200, "status": "OK", "result": result}),
        )
    }
    fn accepted(change: &str, result: Value) -> Self {
        Self::json(
            202,
            &json!({"type": "async", "status-code": 202, "status": "Accepted", "change": change, "result": result}),
        )
    }
    fn error(code: u16, message: impl Into<String>, kind: Option<&str>) -> Self {
        let mut result = json!({"message": message.into()});
        if let Some(k) = kind {
            result["kind"] = json!(k);
        }
        Self::json(
            code,
            &json!({"type": "error", "status-code": code, "status": reason(code), "result": result}),
        )
    }
    /// The status line's reason phrase.
    pub fn reason(&self) -> &'static str {
        reason(self.status)
    }
}

/// The time the simulated Pebble reports for everything: files' modification times and
/// changes' and tasks' spawn and ready times (it keeps no clock, so runs repeat exactly).
pub const FIXED_MTIME: &str = "2026-01-01T00:00:00Z";

/// A pending exec: the canned result, waiting for its websockets.
#[derive(Debug, Clone)]
pub struct PendingExec {
    /// The change.
    pub change: String,
    /// Stdout to send.
    pub stdout: Vec<u8>,
    /// Stderr to send.
    pub stderr: Vec<u8>,
    /// Exit code.
    pub exit_code: i64,
    /// Index in `exec_calls`.
    pub call: usize,
}

/// One container's Pebble.
#[derive(Debug, Clone)]
pub struct PebbleModel {
    /// The container as it stands.
    pub state: ContainerState,
    changes: BTreeMap<String, (Change, u32)>,
    next_id: u64,
    next_change: u64,
    /// Every request, `METHOD /path`, in order.
    pub requests: Vec<String>,
    /// Execs by task id.
    pub execs: BTreeMap<String, PendingExec>,
}

fn bad(msg: impl Into<String>) -> HttpResponse {
    HttpResponse::error(400, msg, None)
}

fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match (b.get_mut(k), v) {
                    (Some(Value::Array(ba)), Value::Array(oa)) => ba.extend(oa.iter().cloned()),
                    (Some(bv @ Value::Object(_)), Value::Object(_)) => merge(bv, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Combines `add` into `into` section by section, honouring each entry's `override`.
fn combine(into: &mut Layer, add: &Layer) -> Result<(), String> {
    let mut base = serde_json::to_value(&*into).map_err(|e| e.to_string())?;
    let over = serde_json::to_value(add).map_err(|e| e.to_string())?;
    for section in ["services", "checks", "log-targets"] {
        let Some(entries) = over.get(section).and_then(Value::as_object) else {
            continue;
        };
        if !base[section].is_object() {
            base[section] = json!({});
        }
        for (name, entry) in entries {
            let replace = entry.get("override").and_then(Value::as_str) == Some("replace");
            match base[section].get_mut(name) {
                Some(existing) if !replace => merge(existing, entry),
                _ => {
                    base[section][name] = entry.clone();
                }
            }
        }
    }
    for k in ["summary", "description"] {
        if let Some(v) = over.get(k) {
            base[k] = v.clone();
        }
    }
    *into = serde_json::from_value(base).map_err(|e| e.to_string())?;
    Ok(())
}

fn check_overrides(label: &str, layer: &Layer) -> Result<(), String> {
    let missing = layer
        .services
        .iter()
        .filter(|(_, s)| s.override_.is_none())
        .map(|(n, _)| ("service", n))
        .chain(
            layer
                .checks
                .iter()
                .filter(|(_, c)| c.override_.is_none())
                .map(|(n, _)| ("check", n)),
        )
        .chain(
            layer
                .log_targets
                .iter()
                .filter(|(_, t)| t.override_.is_none())
                .map(|(n, _)| ("log target", n)),
        )
        .next();
    match missing {
        Some((what, name)) => Err(format!(
            "layer {label:?} must define \"override\" for {what} {name:?}"
        )),
        None => Ok(()),
    }
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

fn file_error(path: &str, kind: &str, message: String) -> Value {
    json!({"path": path, "error": {"kind": kind, "message": message}})
}

/// The plan the layers combine to, in order.
pub fn plan(layers: &[NamedLayer]) -> Layer {
    let mut plan = Layer::default();
    for l in layers {
        // Layers in the state were accepted once; a failure leaves the plan as it was.
        let _ = combine(&mut plan, &l.layer);
    }
    plan.summary = None;
    plan.description = None;
    plan
}

impl PebbleModel {
    /// Pebble over `state`.
    pub fn new(state: ContainerState) -> Self {
        Self {
            state,
            changes: BTreeMap::new(),
            next_id: 0,
            next_change: 0,
            requests: Vec::new(),
            execs: BTreeMap::new(),
        }
    }

    /// The combined plan.
    pub fn plan(&self) -> Layer {
        plan(&self.state.layers)
    }

    fn new_change(
        &mut self,
        kind: &str,
        summary: String,
        tasks: Vec<Task>,
        err: Option<String>,
    ) -> String {
        self.next_change += 1;
        let id = self.next_change.to_string();
        let status = if err.is_some() { "Error" } else { "Done" };
        let change = Change {
            id: id.clone(),
            kind: kind.into(),
            summary,
            status: status.into(),
            tasks,
            ready: true,
            err,
            spawn_time: FIXED_MTIME.into(),
            ready_time: Some(FIXED_MTIME.into()),
        };
        self.changes
            .insert(id.clone(), (change, self.state.faults.slow_changes));
        id
    }

    fn task(&mut self, kind: &str, summary: String, error: Option<&str>) -> Task {
        self.next_id += 1;
        Task {
            id: self.next_id.to_string(),
            kind: kind.into(),
            summary,
            status: if error.is_some() { "Error" } else { "Done" }.into(),
            log: error
                .map(|e| vec![format!("ERROR {e}")])
                .unwrap_or_default(),
            data: BTreeMap::new(),
            progress: TaskProgress {
                label: String::new(),
                done: 1,
                total: 1,
            },
            spawn_time: FIXED_MTIME.into(),
            ready_time: Some(FIXED_MTIME.into()),
        }
    }

    /// How long a `/wait` for a not-ready change should block, and the answer after it.
    /// The server sleeps outside the lock.
    pub fn wait(
        &mut self,
        id: &str,
        timeout: Option<Duration>,
    ) -> (Option<Duration>, HttpResponse) {
        let Some((change, waits_left)) = self.changes.get_mut(id) else {
            return (
                None,
                HttpResponse::error(404, format!("cannot find change with id \"{id}\""), None),
            );
        };
        if *waits_left == 0 {
            return (None, HttpResponse::sync(json!(change)));
        }
        *waits_left -= 1;
        let t = timeout
            .unwrap_or(Duration::from_secs(1))
            .min(Duration::from_secs(10));
        let ms = t.as_millis();
        (
            Some(t),
            HttpResponse::error(
                504,
                format!("timed out waiting for change after {ms}ms"),
                None,
            ),
        )
    }

    /// Serves one request (everything but websockets and the sleep of `/wait`).
    pub fn handle(&mut self, req: &HttpRequest) -> HttpResponse {
        self.requests.push(format!("{} {}", req.method, req.path));
        let parts: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
        match (req.method.as_str(), parts.as_slice()) {
            ("GET", ["v1", "system-info"]) => {
                HttpResponse::sync(json!({"boot-id": "charm-sim", "version": "v1.19.0"}))
            }
            ("GET", ["v1", "health"]) => self.health(req),
            ("POST", ["v1", "layers"]) => self.add_layer(req),
            ("GET", ["v1", "plan"]) => match req.query.get("format").map(String::as_str) {
                Some("yaml") => {
                    let plan = self.plan();
                    let text = if plan == Layer::default() {
                        "{}\n".to_owned()
                    } else {
                        plan.to_yaml()
                    };
                    HttpResponse::sync(json!(text))
                }
                other => bad(format!("invalid format {:?}", other.unwrap_or(""))),
            },
            ("GET", ["v1", "services"]) => self.get_services(req),
            ("POST", ["v1", "services"]) => self.services(req),
            ("GET", ["v1", "changes", id]) => match self.changes.get(*id) {
                Some((c, _)) => HttpResponse::sync(json!(c)),
                None => {
                    HttpResponse::error(404, format!("cannot find change with id \"{id}\""), None)
                }
            },
            ("GET", ["v1", "checks"]) => self.get_checks(req),
            ("POST", ["v1", "checks"]) => self.checks(req),
            ("POST", ["v1", "signals"]) => self.signals(req),
            ("GET", ["v1", "files"]) => self.read_files(req),
            ("POST", ["v1", "files"]) => self.write_files(req),
            ("POST", ["v1", "exec"]) => self.exec(req),
            _ => HttpResponse::error(404, "invalid API endpoint requested", None),
        }
    }

    fn json_body(req: &HttpRequest) -> Result<Value, HttpResponse> {
        serde_json::from_slice(&req.body)
            .map_err(|e| bad(format!("cannot decode request body: {e}")))
    }

    fn add_layer(&mut self, req: &HttpRequest) -> HttpResponse {
        let body = match Self::json_body(req) {
            Ok(b) => b,
            Err(e) => return e,
        };
        if body["action"] != "add" {
            return bad(format!("invalid action {}", body["action"]));
        }
        let label = body["label"].as_str().unwrap_or("").to_owned();
        if label.is_empty() {
            return bad("label must be set");
        }
        let layer = match Layer::from_yaml(body["layer"].as_str().unwrap_or("")) {
            Ok(l) => l,
            Err(e) => return bad(format!("cannot parse layer YAML: {e}")),
        };
        if let Err(e) = check_overrides(&label, &layer) {
            return bad(e);
        }
        let combine_it = body["combine"].as_bool().unwrap_or(false);
        match self.state.layers.iter_mut().find(|l| l.label == label) {
            Some(_) if !combine_it => return bad(format!("layer {label:?} already exists")),
            Some(existing) => {
                if let Err(e) = combine(&mut existing.layer, &layer) {
                    return bad(e);
                }
            }
            None => self.state.layers.push(NamedLayer { label, layer }),
        }
        HttpResponse::sync(json!(true))
    }

    fn get_services(&self, req: &HttpRequest) -> HttpResponse {
        let plan = self.plan();
        let wanted: Vec<&str> = req
            .query
            .get("names")
            .map(|n| n.split(',').filter(|s| !s.is_empty()).collect())
            .unwrap_or_default();
        let list: Vec<Value> = plan
            .services
            .iter()
            .filter(|(n, _)| wanted.is_empty() || wanted.contains(&n.as_str()))
            .map(|(n, s)| {
                let startup = match s.startup {
                    Some(juju_charm::pebble::Startup::Enabled) => "enabled",
                    _ => "disabled",
                };
                let current = self
                    .state
                    .services
                    .get(n)
                    .map_or("inactive", String::as_str);
                json!({"name": n, "startup": startup, "current": current})
            })
            .collect();
        HttpResponse::sync(json!(list))
    }

    fn start_one(
        &mut self,
        name: &str,
        tasks: &mut Vec<Task>,
        errors: &mut Vec<String>,
        config: String,
    ) {
        if self.state.faults.fail_start.iter().any(|f| f == name) {
            let why = "service start attempt: exited quickly with code 1, will restart";
            tasks.push(self.task("start", format!("Start service {name:?}"), Some(why)));
            errors.push(format!("- Start service {name:?} ({why})"));
            self.state.services.insert(name.into(), "backoff".into());
            self.state.started_with.remove(name);
        } else {
            tasks.push(self.task("start", format!("Start service {name:?}"), None));
            self.state.services.insert(name.into(), "active".into());
            self.state.started_with.insert(name.into(), config);
        }
    }

    fn stop_one(&mut self, name: &str, tasks: &mut Vec<Task>) {
        tasks.push(self.task("stop", format!("Stop service {name:?}"), None));
        self.state.services.insert(name.into(), "inactive".into());
        self.state.started_with.remove(name);
    }

    fn services(&mut self, req: &HttpRequest) -> HttpResponse {
        let body = match Self::json_body(req) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let action = body["action"].as_str().unwrap_or("").to_owned();
        let names: Vec<String> = body["services"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let plan = self.plan();
        let config = |n: &str| {
            plan.services
                .get(n)
                .map(|s| serde_json::to_string(s).unwrap_or_default())
                .unwrap_or_default()
        };
        let (mut tasks, mut errors) = (Vec::new(), Vec::new());
        match action.as_str() {
            "replan" | "autostart" => {
                for (name, svc) in &plan.services {
                    let running = self.state.services.get(name).is_some_and(|s| s == "active");
                    let enabled = svc.startup == Some(juju_charm::pebble::Startup::Enabled);
                    let changed = self
                        .state
                        .started_with
                        .get(name)
                        .is_some_and(|c| *c != config(name));
                    if running && changed && action == "replan" {
                        self.stop_one(name, &mut tasks);
                        self.start_one(name, &mut tasks, &mut errors, config(name));
                    } else if enabled && !running {
                        self.start_one(name, &mut tasks, &mut errors, config(name));
                    }
                }
            }
            "start" | "stop" | "restart" => {
                if names.is_empty() {
                    return bad(format!("must specify services for {action} action"));
                }
                if let Some(unknown) = names.iter().find(|n| !plan.services.contains_key(*n)) {
                    return bad(format!("service {unknown:?} does not exist"));
                }
                for n in &names {
                    let running = self.state.services.get(n).is_some_and(|s| s == "active");
                    if action != "start" && running {
                        self.stop_one(n, &mut tasks);
                    }
                    if action != "stop" && !(action == "start" && running) {
                        self.start_one(n, &mut tasks, &mut errors, config(n));
                    }
                }
            }
            other => return bad(format!("action {other:?} is unsupported")),
        }
        let summary = match (action.as_str(), tasks.len()) {
            ("replan", 0) => "Replan - no services".to_owned(),
            _ => format!("{} services {}", capitalise(&action), names.join(", ")),
        };
        let err = (!errors.is_empty())
            .then(|| format!("cannot perform the following tasks:\n{}", errors.join("\n")));
        let id = self.new_change(&action, summary, tasks, err);
        HttpResponse::accepted(&id, Value::Null)
    }

    fn check_infos(&self) -> Vec<juju_charm::pebble::CheckInfo> {
        let plan = self.plan();
        plan.checks
            .iter()
            .map(|(name, c)| {
                self.state
                    .checks
                    .iter()
                    .find(|i| i.name == *name)
                    .cloned()
                    .unwrap_or_else(|| juju_charm::pebble::CheckInfo {
                        name: name.clone(),
                        level: c.level.map(|l| l.as_str().to_owned()).unwrap_or_default(),
                        startup: "enabled".into(),
                        status: "up".into(),
                        failures: 0,
                        threshold: c.threshold.unwrap_or(3),
                        change_id: None,
                    })
            })
            .collect()
    }

    fn get_checks(&self, req: &HttpRequest) -> HttpResponse {
        let level = req.query.get("level");
        let names: Vec<&str> = req
            .query
            .get("names")
            .map(|n| n.split(',').collect())
            .unwrap_or_default();
        let list: Vec<_> = self
            .check_infos()
            .into_iter()
            .filter(|c| level.is_none_or(|l| c.level == *l))
            .filter(|c| names.is_empty() || names.contains(&c.name.as_str()))
            .collect();
        HttpResponse::sync(json!(list))
    }

    fn health(&self, req: &HttpRequest) -> HttpResponse {
        let level = req.query.get("level");
        let healthy = self
            .check_infos()
            .iter()
            .filter(|c| level.is_none_or(|l| l == "alive" && c.level == "alive" || l == "ready"))
            .all(|c| c.status != "down");
        let code = if healthy { 200 } else { 502 };
        HttpResponse::json(
            code,
            &json!({"type": "sync", "status-code": code, "status": reason(code), "result": {"healthy": healthy}}),
        )
    }

    fn checks(&mut self, req: &HttpRequest) -> HttpResponse {
        let body = match Self::json_body(req) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let action = body["action"].as_str().unwrap_or("");
        let names: Vec<String> = body["checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if names.is_empty() {
            return bad(format!("must specify checks for {action} action"));
        }
        let new_status = match action {
            "start" => "up",
            "stop" => "inactive",
            other => return bad(format!("invalid action {other:?}")),
        };
        let infos = self.check_infos();
        if let Some(unknown) = names.iter().find(|n| !infos.iter().any(|i| i.name == **n)) {
            return bad(format!("cannot find check {unknown:?}"));
        }
        let mut changed = Vec::new();
        for mut info in infos.into_iter().filter(|i| names.contains(&i.name)) {
            let was_inactive = info.status == "inactive";
            if (new_status == "inactive") != was_inactive {
                changed.push(info.name.clone());
                info.status = new_status.into();
                self.state.checks.retain(|c| c.name != info.name);
                self.state.checks.push(info);
            }
        }
        HttpResponse::sync(json!({"changed": changed}))
    }

    fn signals(&mut self, req: &HttpRequest) -> HttpResponse {
        let body = match Self::json_body(req) {
            Ok(b) => b,
            Err(e) => return e,
        };
        for s in body["services"].as_array().into_iter().flatten() {
            let name = s.as_str().unwrap_or("");
            if self.state.services.get(name).map(String::as_str) != Some("active") {
                return HttpResponse::error(
                    500,
                    format!("cannot send signal to {name:?}: service is not running"),
                    None,
                );
            }
        }
        HttpResponse::sync(json!(true))
    }

    fn dir_exists(&self, dir: &str) -> bool {
        if dir == "/" || self.state.dirs.contains(dir) {
            return true;
        }
        let prefix = format!("{dir}/");
        self.state.files.keys().any(|p| p.starts_with(&prefix))
            || self.state.dirs.iter().any(|d| d.starts_with(&prefix))
    }

    fn add_dirs(&mut self, mut dir: &str) {
        while dir != "/" {
            self.state.dirs.insert(dir.to_owned());
            dir = parent(dir);
        }
    }

    fn read_files(&self, req: &HttpRequest) -> HttpResponse {
        let path = req.query.get("path").cloned().unwrap_or_default();
        match req.query.get("action").map(String::as_str) {
            Some("read") => {
                if !req
                    .headers
                    .get("accept")
                    .is_some_and(|a| a.contains("multipart/form-data"))
                {
                    return bad("must accept multipart/form-data");
                }
                let boundary = "f1c5b0b5c0ffee5eedcafe0123456789abcdef0123456789";
                let mut body = Vec::new();
                let result = match self.state.files.get(&path) {
                    Some(f) => {
                        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{path}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
                        body.extend_from_slice(f.content().as_bytes());
                        body.extend_from_slice(b"\r\n");
                        json!([{"path": path}])
                    }
                    None if self.dir_exists(&path) => json!([file_error(
                        &path,
                        "generic-file-error",
                        format!("can only read a regular file: {path:?}")
                    )]),
                    None => json!([file_error(
                        &path,
                        "not-found",
                        format!("stat {path}: no such file or directory")
                    )]),
                };
                let env =
                    json!({"type": "sync", "status-code": 200, "status": "OK", "result": result});
                body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"response\"\r\nContent-Type: application/json\r\n\r\n{env}\r\n--{boundary}--\r\n").as_bytes());
                HttpResponse {
                    status: 200,
                    content_type: format!("multipart/form-data; boundary={boundary}"),
                    body,
                }
            }
            Some("list") => {
                let itself = req.query.get("itself").is_some_and(|v| v == "true");
                let pattern = req.query.get("pattern");
                // Pebble's fields (reference §2.2). The simulated filesystem keeps no times,
                // so every entry shows the same fixed modification time; ids are given for
                // root only (others are unknown to it).
                let entry = |p: &str| -> Value {
                    let name = p.rsplit('/').next().unwrap_or("");
                    let mut e = match self.state.files.get(p) {
                        Some(f) => {
                            let (user, group) = f.owner();
                            json!({"path": p, "name": name, "type": "file", "size": f.content().len(), "permissions": f.permissions(), "user": user, "group": group})
                        }
                        None => {
                            json!({"path": p, "name": name, "type": "directory", "permissions": "755", "user": "root", "group": "root"})
                        }
                    };
                    e["last-modified"] = json!(FIXED_MTIME);
                    for (name, id) in [("user", "user-id"), ("group", "group-id")] {
                        if e[name] == "root" {
                            e[id] = json!(0);
                        }
                    }
                    e
                };
                if self.state.files.contains_key(&path) || itself {
                    if !self.state.files.contains_key(&path) && !self.dir_exists(&path) {
                        return HttpResponse::error(
                            404,
                            format!("stat {path}: no such file or directory"),
                            Some("not-found"),
                        );
                    }
                    return HttpResponse::sync(json!([entry(&path)]));
                }
                if !self.dir_exists(&path) {
                    return HttpResponse::error(
                        404,
                        format!("stat {path}: no such file or directory"),
                        Some("not-found"),
                    );
                }
                let base = if path == "/" {
                    String::new()
                } else {
                    path.clone()
                };
                let mut children: Vec<String> = self
                    .state
                    .files
                    .keys()
                    .chain(self.state.dirs.iter())
                    .filter_map(|p| {
                        p.strip_prefix(&format!("{base}/"))
                            .map(|rest| format!("{base}/{}", rest.split('/').next().unwrap_or("")))
                    })
                    .collect();
                children.sort();
                children.dedup();
                let list: Vec<Value> = children
                    .iter()
                    .filter(|c| pattern.is_none_or(|p| glob(p, c.rsplit('/').next().unwrap_or(""))))
                    .map(|c| entry(c))
                    .collect();
                HttpResponse::sync(json!(list))
            }
            other => bad(format!("invalid action {:?}", other.unwrap_or(""))),
        }
    }

    fn write_files(&mut self, req: &HttpRequest) -> HttpResponse {
        let ct = req.headers.get("content-type").cloned().unwrap_or_default();
        if ct.starts_with("multipart/form-data") {
            return self.push(req, &ct);
        }
        let body = match Self::json_body(req) {
            Ok(b) => b,
            Err(e) => return e,
        };
        match body["action"].as_str().unwrap_or("") {
            "make-dirs" => {
                let mut out = Vec::new();
                for d in body["dirs"].as_array().into_iter().flatten() {
                    let path = d["path"].as_str().unwrap_or("").to_owned();
                    let parents = d["make-parents"].as_bool().unwrap_or(false);
                    out.push(if !path.starts_with('/') {
                        file_error(
                            &path,
                            "generic-file-error",
                            format!("paths must be absolute, got {path:?}"),
                        )
                    } else if self.state.files.contains_key(&path)
                        || (!parents && self.dir_exists(&path))
                    {
                        file_error(
                            &path,
                            "generic-file-error",
                            format!("mkdir {path}: file exists"),
                        )
                    } else if !parents && !self.dir_exists(parent(&path)) {
                        file_error(
                            &path,
                            "not-found",
                            format!("mkdir {path}: no such file or directory"),
                        )
                    } else {
                        self.add_dirs(&path);
                        json!({"path": path})
                    });
                }
                HttpResponse::sync(json!(out))
            }
            "remove" => {
                let mut out = Vec::new();
                for p in body["paths"].as_array().into_iter().flatten() {
                    let path = p["path"].as_str().unwrap_or("").to_owned();
                    let recursive = p["recursive"].as_bool().unwrap_or(false);
                    let prefix = format!("{path}/");
                    let has_children = self
                        .state
                        .files
                        .keys()
                        .chain(self.state.dirs.iter())
                        .any(|k| k.starts_with(&prefix));
                    out.push(if self.state.files.remove(&path).is_some() {
                        json!({"path": path})
                    } else if !self.dir_exists(&path) {
                        file_error(
                            &path,
                            "not-found",
                            format!("remove {path}: no such file or directory"),
                        )
                    } else if has_children && !recursive {
                        file_error(
                            &path,
                            "generic-file-error",
                            format!("remove {path}: directory not empty"),
                        )
                    } else {
                        self.state.files.retain(|k, _| !k.starts_with(&prefix));
                        self.state
                            .dirs
                            .retain(|k| !k.starts_with(&prefix) && *k != path);
                        json!({"path": path})
                    });
                }
                HttpResponse::sync(json!(out))
            }
            other => bad(format!("invalid action {other:?}")),
        }
    }

    fn push(&mut self, req: &HttpRequest, ct: &str) -> HttpResponse {
        let Some(boundary) = multipart::boundary_of(ct) else {
            return bad("invalid multipart content type");
        };
        if boundary.len() < 32 {
            return bad(format!("invalid boundary {boundary:?}"));
        }
        let Some(parts) = multipart::parse(&req.body, &boundary) else {
            return bad("cannot read multipart body");
        };
        let Some(first) = parts.first() else {
            return bad("empty multipart body");
        };
        if first.name != "request" {
            return bad(format!(
                "metadata field name must be \"request\", got {:?}",
                first.name
            ));
        }
        let meta: Value = match serde_json::from_slice(&first.body) {
            Ok(m) => m,
            Err(e) => return bad(format!("cannot decode request metadata: {e}")),
        };
        let files: Vec<Value> = meta["files"].as_array().cloned().unwrap_or_default();
        let paths: Vec<&str> = files.iter().filter_map(|f| f["path"].as_str()).collect();
        for p in &parts[1..] {
            if p.name != "files" {
                return bad(format!("field name must be \"files\", got {:?}", p.name));
            }
            let name = p.filename.clone().unwrap_or_default();
            if !paths.contains(&name.as_str()) {
                return bad(format!("no metadata for path {name:?}"));
            }
        }
        let mut out = Vec::new();
        for f in &files {
            let path = f["path"].as_str().unwrap_or("").to_owned();
            let content = parts[1..]
                .iter()
                .find(|p| p.filename.as_deref() == Some(path.as_str()));
            out.push(if !path.starts_with('/') {
                file_error(
                    &path,
                    "generic-file-error",
                    format!("paths must be absolute, got {path:?}"),
                )
            } else if let Some(content) = content {
                if !f["make-dirs"].as_bool().unwrap_or(false) && !self.dir_exists(parent(&path)) {
                    file_error(
                        &path,
                        "not-found",
                        format!("open {path}.{}~: no such file or directory", self.next_id),
                    )
                } else {
                    if f["make-dirs"].as_bool().unwrap_or(false) {
                        self.add_dirs(parent(&path));
                    }
                    let text = String::from_utf8_lossy(&content.body).into_owned();
                    let perms = f["permissions"].as_str().map(str::to_owned);
                    let user = f["user"].as_str().map(str::to_owned);
                    let group = f["group"].as_str().map(str::to_owned);
                    let entry = if perms.is_none() && user.is_none() && group.is_none() {
                        FileState::Text(text)
                    } else {
                        FileState::Full {
                            content: text,
                            permissions: perms,
                            user,
                            group,
                        }
                    };
                    self.state.files.insert(path.clone(), entry);
                    json!({"path": path})
                }
            } else {
                file_error(
                    &path,
                    "generic-file-error",
                    format!("no file content for path {path:?}"),
                )
            });
        }
        HttpResponse::sync(json!(out))
    }

    fn exec(&mut self, req: &HttpRequest) -> HttpResponse {
        let body = match Self::json_body(req) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let command: Vec<String> = body["command"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        let Some(program) = command.first() else {
            return bad("must specify command");
        };
        let Some(canned) = self
            .state
            .exec
            .iter()
            .find(|c| command.starts_with(&c.command))
            .cloned()
        else {
            return bad(format!("cannot find executable {program:?} (charm-sim: no canned result under containers[{}].exec matches {command:?})", self.state.name));
        };
        let environment: BTreeMap<String, String> = body["environment"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect();
        self.state.exec_calls.push(ExecCall {
            command: command.clone(),
            environment,
            working_dir: body["working-dir"].as_str().map(str::to_owned),
            stdin: String::new(),
            exit_code: canned.exit_code,
        });
        let mut task = self.task("exec", format!("Execute command {program:?}"), None);
        task.data
            .insert("exit-code".into(), json!(canned.exit_code));
        let task_id = task.id.clone();
        let id = self.new_change(
            "exec",
            format!("Execute command {program:?}"),
            vec![task],
            None,
        );
        // Not ready until its stdio websocket has run.
        if let Some((c, _)) = self.changes.get_mut(&id) {
            c.ready = false;
            c.status = "Doing".into();
            c.ready_time = None;
            for t in &mut c.tasks {
                t.status = "Doing".into();
                t.ready_time = None;
                t.progress.done = 0;
            }
        }
        self.execs.insert(
            task_id.clone(),
            PendingExec {
                change: id.clone(),
                stdout: canned.stdout.into_bytes(),
                stderr: canned.stderr.into_bytes(),
                exit_code: canned.exit_code,
                call: self.state.exec_calls.len() - 1,
            },
        );
        HttpResponse::accepted(
            &id,
            json!({"task-id": task_id, "working-dir": body["working-dir"].as_str().unwrap_or("/root"), "environment": body["environment"]}),
        )
    }

    /// The stdio websocket of `task` ended with `stdin` received: the command is done.
    pub fn exec_done(&mut self, task: &str, stdin: &[u8]) {
        let Some(p) = self.execs.get(task) else {
            return;
        };
        if let Some(call) = self.state.exec_calls.get_mut(p.call) {
            call.stdin = String::from_utf8_lossy(stdin).into_owned();
        }
        if let Some((c, _)) = self.changes.get_mut(&p.change) {
            c.ready = true;
            c.status = "Done".into();
            c.ready_time = Some(FIXED_MTIME.into());
            for t in &mut c.tasks {
                t.status = "Done".into();
                t.ready_time = Some(FIXED_MTIME.into());
                t.progress.done = t.progress.total;
            }
        }
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// `*` and `?` glob over one name.
fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}
