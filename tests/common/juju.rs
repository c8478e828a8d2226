//! The `juju` CLI wrapper the MicroK8s integration tests share (as jubilant is for Python),
//! and the Tempo cluster they all deploy. Included with `#[path = "common/juju.rs"] mod juju;`
//! by `tests/integration_*.rs`, so the simulator's helpers in `common/mod.rs` are not built
//! into them.
//!
//! Every wait is bounded by `TEMPO_IT_TIMEOUT_S` (default 1800 s). Services are reached from
//! inside the cluster: [`Juju::http_in`] runs one small Python HTTP client in a unit's charm
//! container (`juju exec`), where the `*.svc.cluster.local` names resolve and certificates
//! issued for them verify.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The Tempo cluster's application names.
pub const TEMPO: &str = "tempo";
pub const WORKER: &str = "tempo-worker";
pub const S3: &str = "s3";
pub const TESTER: &str = "tester";

/// A Juju model the test works in: an existing one named by an environment variable, or
/// one added for the test and destroyed when the value is dropped (even on a failed assert).
pub struct Juju {
    pub model: String,
    owned: bool,
    pub timeout: Duration,
}

/// `name`, or `default` when the variable is unset or empty.
pub fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

impl Juju {
    /// `None` (with a message) when juju is not installed. `model_var` names the environment
    /// variable that may name an existing model to use.
    pub fn connect(test: &str, model_var: &str) -> Option<Self> {
        if Command::new("juju").arg("version").output().is_err() {
            eprintln!("SKIPPED {test}: `juju` is not on PATH; see README, \"Integration tests on MicroK8s\"");
            return None;
        }
        let timeout = Duration::from_secs(
            std::env::var("TEMPO_IT_TIMEOUT_S")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1800),
        );
        let (model, owned) = match std::env::var(model_var) {
            Ok(m) if !m.is_empty() => (m, false),
            _ => (
                format!(
                    "tempo-it-{}-{}",
                    test.replace('_', "-").chars().take(20).collect::<String>(),
                    std::process::id()
                ),
                true,
            ),
        };
        let j = Self {
            model,
            owned,
            timeout,
        };
        if owned {
            j.cli(&["add-model", &j.model]);
        }
        eprintln!(
            "{test}: model {} (waits bounded by {:?})",
            j.model, j.timeout
        );
        Some(j)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("juju");
        cmd.args(args);
        if !matches!(args.first(), Some(&"add-model" | &"destroy-model")) {
            cmd.args(["--model", &self.model]);
        }
        cmd
    }

    /// Runs `juju <args> --model <model>`; its stdout. Panics (failing the test) when juju
    /// fails, with its stderr.
    pub fn cli(&self, args: &[&str]) -> String {
        self.try_cli(args)
            .unwrap_or_else(|e| panic!("juju {args:?} failed: {e}"))
    }

    /// As `cli`, but a failure is returned (stderr) for the caller to retry.
    pub fn try_cli(&self, args: &[&str]) -> Result<String, String> {
        let out = self
            .command(args)
            .output()
            .map_err(|e| format!("cannot run juju: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }

    /// As `cli`, but what is already there is fine (a shared model keeps the applications
    /// and relations of earlier runs).
    pub fn ensure(&self, args: &[&str]) {
        if let Err(stderr) = self.try_cli(args) {
            assert!(
                stderr.contains("already exists"),
                "juju {args:?} failed: {stderr}"
            );
        }
    }

    pub fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        let out = self.cli(&a);
        serde_json::from_str(&out)
            .unwrap_or_else(|e| panic!("juju {args:?} printed no JSON ({e}): {out}"))
    }

    pub fn status(&self) -> Value {
        self.json(&["status"])
    }

    /// Waits until `ready(status)` holds three times in a row, 5 s apart (as Canonical's
    /// tests wait with `successes=3`: a deployment settles in waves of hooks).
    pub fn wait(&self, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        let mut in_a_row = 0;
        loop {
            let s = self.status();
            in_a_row = if ready(&s) { in_a_row + 1 } else { 0 };
            if in_a_row == 3 {
                return s;
            }
            assert!(
                start.elapsed() < self.timeout,
                "timed out after {:?} waiting for {what}: {s:#}",
                self.timeout
            );
            std::thread::sleep(Duration::from_secs(5));
        }
    }

    /// Calls `attempt` every 10 s until it returns `Ok` or `deadline` passes; then the last
    /// error, prefixed with `what`.
    pub fn poll<T>(
        &self,
        what: &str,
        deadline: Instant,
        mut attempt: impl FnMut() -> Result<T, String>,
    ) -> Result<T, String> {
        loop {
            match attempt() {
                Ok(v) => return Ok(v),
                Err(e) if Instant::now() >= deadline => {
                    return Err(format!("{what}: still failing when the time was up: {e}"))
                }
                Err(e) => eprintln!("waiting for {what}: {e}"),
            }
            std::thread::sleep(Duration::from_secs(10));
        }
    }

    /// As `poll` for at most the timeout from now; panics with the last error.
    pub fn until<T>(&self, what: &str, attempt: impl FnMut() -> Result<T, String>) -> T {
        self.poll(what, Instant::now() + self.timeout, attempt)
            .unwrap_or_else(|e| panic!("{e} (TEMPO_IT_TIMEOUT_S={:?})", self.timeout))
    }

    pub fn units<'a>(status: &'a Value, app: &str) -> Vec<(&'a String, &'a Value)> {
        status["applications"][app]["units"]
            .as_object()
            .map(|m| m.iter().collect())
            .unwrap_or_default()
    }

    pub fn all_settled(status: &Value, app: &str, workload: &str) -> bool {
        let units = Self::units(status, app);
        !units.is_empty()
            && units.iter().all(|(_, u)| {
                u["workload-status"]["current"] == workload && u["juju-status"]["current"] == "idle"
            })
    }

    /// The in-cluster DNS name of `unit` (`app/N`), as Kubernetes names a StatefulSet pod
    /// behind Juju's headless `<app>-endpoints` service; the name charms request their TLS
    /// certificates for (`socket.getfqdn()` in the pod).
    pub fn unit_fqdn(&self, unit: &str) -> String {
        let (app, n) = unit.split_once('/').unwrap_or((unit, "0"));
        format!("{app}-{n}.{app}-endpoints.{}.svc.cluster.local", self.model)
    }

    /// Runs action `action` on `unit` (`app/N` or `app/leader`) and returns its results;
    /// `Err` with Juju's message when the action fails (for example a workload not ready
    /// yet), so the caller can retry within its bound.
    pub fn run_action(&self, unit: &str, action: &str) -> Result<Value, String> {
        let out = self.try_cli(&["run", unit, action, "--format", "json"])?;
        let v: Value = serde_json::from_str(&out)
            .map_err(|e| format!("`juju run {unit} {action}` printed no JSON ({e}): {out}"))?;
        // One entry, keyed by the unit's real name (`app/leader` comes back as `app/N`).
        let task = v
            .as_object()
            .and_then(|m| m.values().next())
            .ok_or_else(|| format!("`juju run {unit} {action}` returned no task: {out}"))?;
        if task["status"] != "completed" {
            return Err(format!("`juju run {unit} {action}`: {task}"));
        }
        Ok(task["results"].clone())
    }

    /// What the tester wrote under `key` in its unit databag on `endpoint`.
    pub fn tester_wrote(&self, unit: &str, endpoint: &str, key: &str) -> Option<Value> {
        let v = self.json(&["show-unit", unit]);
        let infos = v[unit]["relation-info"].as_array()?.clone();
        let info = infos.iter().find(|r| r["endpoint"] == endpoint)?;
        let raw = info["local-unit"]["data"][key].as_str()?;
        serde_json::from_str(raw).ok()
    }

    /// The tester's `tempo-api` key, from its unit databag on the tempo-api relation.
    pub fn tester_data(&self, unit: &str) -> Option<Value> {
        self.tester_wrote(unit, "tempo-api", "tempo-api")
    }

    /// Runs a Python script in `unit`'s charm container (the charm base has python3), inside
    /// the cluster where the `*.svc.cluster.local` names resolve; its stdout. `juju exec`
    /// joins its arguments and runs them with a shell on the unit, so the script and its
    /// `ARGS` (JSON) travel as one hex string inside double quotes: nothing in them reaches
    /// the shell.
    pub fn python_in(&self, unit: &str, script: &str, args: &Value) -> Result<String, String> {
        let hex = |s: &str| s.bytes().map(|b| format!("{b:02x}")).collect::<String>();
        let program = format!(
            "import json\nARGS = json.loads(bytes.fromhex('{}').decode())\n{script}",
            hex(&args.to_string()),
        );
        let command = format!(
            "python3 -c \"exec(bytes.fromhex('{}').decode())\"",
            hex(&program)
        );
        self.try_cli(&["exec", "--unit", unit, "--", &command])
    }

    /// Makes each request in turn from inside `unit`'s pod and returns each answer. With
    /// `ca` (a PEM), https is verified against that CA only (and the host name against the
    /// certificate); without it, the system's CAs. `Err` only when the script could not run.
    pub fn http_in(
        &self,
        unit: &str,
        ca: Option<&str>,
        reqs: &[Http],
    ) -> Result<Vec<Answer>, String> {
        let args = json!({
            "ca": ca,
            "requests": reqs.iter().map(Http::to_json).collect::<Vec<_>>(),
        });
        let out = self.python_in(unit, HTTP_CLIENT, &args)?;
        let answers: Vec<Value> = serde_json::from_str(out.trim())
            .map_err(|e| format!("the HTTP client printed no JSON ({e}): {out}"))?;
        Ok(answers
            .into_iter()
            .map(|a| Answer {
                status: a["status"].as_u64().and_then(|s| u16::try_from(s).ok()),
                body: a["body"].as_str().unwrap_or_default().to_owned(),
            })
            .collect())
    }

    /// One request; the answer when it is 2xx, else `Err` naming the URL and what came back.
    pub fn http_ok(&self, unit: &str, ca: Option<&str>, req: Http) -> Result<String, String> {
        let url = req.url.clone();
        let a = self
            .http_in(unit, ca, &[req])?
            .pop()
            .ok_or("the HTTP client answered nothing")?;
        match a.status {
            Some(s) if (200..300).contains(&s) => Ok(a.body),
            Some(s) => Err(format!("{url}: HTTP {s}: {}", a.short())),
            None => Err(format!("{url}: {}", a.short())),
        }
    }

    /// As `http_ok`, the body parsed as JSON.
    pub fn http_json(&self, unit: &str, ca: Option<&str>, req: Http) -> Result<Value, String> {
        let url = req.url.clone();
        let body = self.http_ok(unit, ca, req)?;
        serde_json::from_str(&body).map_err(|e| format!("{url}: not JSON ({e}): {body:.300}"))
    }
}

impl Drop for Juju {
    fn drop(&mut self) {
        if self.owned {
            eprintln!("destroying model {}", self.model);
            let _ = Command::new("juju")
                .args([
                    "destroy-model",
                    &self.model,
                    "--no-prompt",
                    "--destroy-storage",
                    "--force",
                    "--no-wait",
                ])
                .status();
        }
    }
}

/// One HTTP request for [`Juju::http_in`].
#[derive(Clone, Debug)]
pub struct Http {
    pub method: &'static str,
    pub url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    basic: Option<String>,
}

impl Http {
    pub fn get(url: impl Into<String>) -> Self {
        Self {
            method: "GET",
            url: url.into(),
            headers: Vec::new(),
            body: None,
            basic: None,
        }
    }

    pub fn post_json(url: impl Into<String>, body: &Value) -> Self {
        Self {
            method: "POST",
            body: Some(body.to_string()),
            ..Self::get(url)
        }
        .header("Content-Type", "application/json")
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// HTTP basic authentication as `user:password`.
    pub fn basic_auth(mut self, user_password: &str) -> Self {
        self.basic = Some(user_password.to_owned());
        self
    }

    fn to_json(&self) -> Value {
        json!({
            "method": self.method,
            "url": self.url,
            "headers": self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect::<serde_json::Map<_, _>>(),
            "body": self.body,
            "basic": self.basic,
        })
    }
}

/// What [`Juju::http_in`] got back: the status, or `None` when no answer came (the
/// connection or TLS error is then the body).
#[derive(Clone, Debug)]
pub struct Answer {
    pub status: Option<u16>,
    pub body: String,
}

impl Answer {
    /// The body, cut for an error message.
    pub fn short(&self) -> String {
        self.body.chars().take(300).collect()
    }
}

/// The HTTP client run in a pod: `ARGS = {ca, requests: [{method, url, headers, body,
/// basic}]}`; prints `[{status, body}]` (bodies read up to 8 MiB).
const HTTP_CLIENT: &str = r#"
import base64, ssl, urllib.error, urllib.request
ctx = ssl.create_default_context(cadata=ARGS["ca"]) if ARGS["ca"] else ssl.create_default_context()
answers = []
for r in ARGS["requests"]:
    headers = dict(r["headers"])
    if r["basic"]:
        headers["Authorization"] = "Basic " + base64.b64encode(r["basic"].encode()).decode()
    data = r["body"].encode() if r["body"] is not None else None
    req = urllib.request.Request(r["url"], data=data, headers=headers, method=r["method"])
    try:
        with urllib.request.urlopen(req, timeout=30, context=ctx) as resp:
            answers.append({"status": resp.status, "body": resp.read(8 << 20).decode(errors="replace")})
    except urllib.error.HTTPError as e:
        answers.append({"status": e.code, "body": e.read(8 << 20).decode(errors="replace")})
    except Exception as e:
        answers.append({"status": None, "body": type(e).__name__ + ": " + str(e)})
print(json.dumps(answers))
"#;

/// A packed charm of this repository, packed with `cargo xtask pack` when missing.
pub fn charm(name: &str) -> PathBuf {
    let path = Path::new(ROOT).join(format!("{name}_ubuntu@24.04-amd64.charm"));
    if !path.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["xtask", "pack"])
            .current_dir(ROOT)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "cargo xtask pack failed");
    }
    path
}

/// The OCI images of the coordinator's containers, as metadata.yaml's upstream sources.
pub fn resources() -> Vec<String> {
    let meta: serde_yaml::Value = serde_yaml::from_str(
        &std::fs::read_to_string(Path::new(ROOT).join("metadata.yaml")).expect("metadata.yaml"),
    )
    .expect("metadata.yaml is YAML");
    let mut out = Vec::new();
    for (name, r) in meta["resources"].as_mapping().into_iter().flatten() {
        if let (Some(name), Some(src)) = (name.as_str(), r["upstream-source"].as_str()) {
            out.push(format!("{name}={src}"));
        }
    }
    out
}

/// Deploys the whole Tempo without waiting: our packed coordinator with its images, one
/// `all` worker (`TEMPO_IT_WORKER_CHANNEL`, default `2/edge`), seaweedfs-k8s for S3
/// (`TEMPO_IT_S3_CHANNEL`, default `edge`) and the tester over tempo-api and tracing.
pub fn deploy_tempo(j: &Juju) {
    let coordinator = charm("tempo-coordinator-k8s");
    let coordinator = coordinator.to_str().expect("a UTF-8 path");
    let mut deploy = vec!["deploy", coordinator, TEMPO];
    let resources = resources();
    for r in &resources {
        deploy.extend(["--resource", r.as_str()]);
    }
    j.ensure(&deploy);
    let worker_channel = env_or("TEMPO_IT_WORKER_CHANNEL", "2/edge");
    let s3_channel = env_or("TEMPO_IT_S3_CHANNEL", "edge");
    j.ensure(&[
        "deploy",
        "tempo-worker-k8s",
        WORKER,
        "--channel",
        &worker_channel,
        "--trust",
    ]);
    j.ensure(&["deploy", "seaweedfs-k8s", S3, "--channel", &s3_channel]);
    let tester = charm("tempo-api-tester");
    j.ensure(&["deploy", tester.to_str().expect("a UTF-8 path"), TESTER]);
    j.ensure(&["integrate", "tempo:tempo-cluster", WORKER]);
    j.ensure(&["integrate", "tempo:s3", S3]);
    j.ensure(&["integrate", "tempo:tempo-api", "tester:tempo-api"]);
    j.ensure(&["integrate", "tempo:tracing", "tester:tracing"]);
}

/// Waits until every unit of every app in `apps` is active and idle (three checks in a row).
pub fn wait_active(j: &Juju, apps: &[&str]) -> Value {
    j.wait(&format!("{} active/idle", apps.join(", ")), |s| {
        apps.iter().all(|app| Juju::all_settled(s, app, "active"))
    })
}

/// The whole Tempo, deployed and settled.
pub fn deploy_cluster(j: &Juju) {
    deploy_tempo(j);
    wait_active(j, &[TEMPO, WORKER, S3, TESTER]);
}

/// A trace id unique to this run (32 hex digits).
pub fn trace_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{:032x}", (u128::from(std::process::id()) << 96) ^ nanos)
}

/// The span name of [`otlp_trace`]'s one span, to find it again.
pub const SPAN_NAME: &str = "rust-coordinator-it";

/// One OTLP/JSON trace with one span, `trace_id`, ending now.
pub fn otlp_trace(trace_id: &str) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name",
            "value": {"stringValue": "tempo-coordinator-rust-it"}}]},
        "scopeSpans": [{"spans": [{
            "traceId": trace_id, "spanId": &trace_id[..16], "name": SPAN_NAME, "kind": 1,
            "startTimeUnixNano": (now - 1_000_000).to_string(),
            "endTimeUnixNano": now.to_string(),
        }]}],
    }]})
}

/// Sends one trace from the tester's pod to the OTLP/HTTP receiver the tester got over
/// `tracing` (`ca`: the CA to verify it with, when Tempo serves TLS); the trace id.
pub fn send_trace_from_tester(j: &Juju, ca: Option<&str>) -> String {
    let tracing = j
        .tester_wrote("tester/0", "tracing", "tracing")
        .expect("the tester got its receivers over tracing");
    let receiver = tracing["otlp_http"].as_str().expect("an otlp_http URL");
    let id = trace_id();
    let url = format!("{}/v1/traces", receiver.trim_end_matches('/'));
    j.until(&format!("the receiver {url} to take a trace"), || {
        j.http_ok("tester/0", ca, Http::post_json(&url, &otlp_trace(&id)))
    });
    id
}
