//! Integration tests against a real Juju on MicroK8s (see README, "Integration tests on
//! MicroK8s"). Compiled in every `cargo test`; each test skips with a message when `juju` is
//! not on PATH. They deploy a whole Tempo: our packed coordinator (built with `cargo xtask
//! pack` if missing) with its two OCI images, Canonical's unmodified `tempo-worker-k8s` (one
//! `all` worker), `seaweedfs-k8s` for S3 (the S3 charm Canonical's own Tempo tests use) and
//! the tester over tempo-api and tracing; they read what the tester received with
//! `juju show-unit`, and send a real trace through the published receiver.
//!
//! Environment: `TEMPO_IT_MODEL` names an existing model to use (else one is added and
//! destroyed); `TEMPO_IT_TIMEOUT_S` bounds each wait (default 1800);
//! `TEMPO_IT_WORKER_CHANNEL` (default `2/edge`) and `TEMPO_IT_S3_CHANNEL` (default `edge`)
//! pick the channels of the worker and S3 charms.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A thin wrapper over the `juju` CLI, as jubilant is for Python.
struct Juju {
    model: String,
    owned: bool,
    timeout: Duration,
}

impl Juju {
    /// `None` (with a message) when juju is not installed.
    fn connect(test: &str) -> Option<Self> {
        if Command::new("juju").arg("version").output().is_err() {
            eprintln!("SKIPPED {test}: `juju` is not on PATH; see README for running on MicroK8s");
            return None;
        }
        let timeout = Duration::from_secs(
            std::env::var("TEMPO_IT_TIMEOUT_S")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(1800),
        );
        let (model, owned) = match std::env::var("TEMPO_IT_MODEL") {
            Ok(m) => (m, false),
            Err(_) => (
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
        Some(j)
    }

    fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("juju");
        cmd.args(args);
        if !matches!(args.first(), Some(&"add-model" | &"destroy-model")) {
            cmd.args(["--model", &self.model]);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("juju {args:?}: {e}"));
        assert!(
            out.status.success(),
            "juju {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// As `cli`, but what is already there is fine (a shared `TEMPO_IT_MODEL` keeps the
    /// applications and relations of earlier tests).
    fn ensure(&self, args: &[&str]) {
        let out = Command::new("juju")
            .args(args)
            .args(["--model", &self.model])
            .output()
            .unwrap_or_else(|e| panic!("juju {args:?}: {e}"));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || stderr.contains("already exists"),
            "juju {args:?} failed: {stderr}"
        );
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        serde_json::from_str(&self.cli(&a)).expect("juju printed JSON")
    }

    fn status(&self) -> Value {
        self.json(&["status"])
    }

    /// Waits until `ready(status)` holds.
    fn wait(&self, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let s = self.status();
            if ready(&s) {
                return s;
            }
            assert!(
                start.elapsed() < self.timeout,
                "timed out waiting for {what}: {s:#}"
            );
            std::thread::sleep(Duration::from_secs(5));
        }
    }

    fn units<'a>(status: &'a Value, app: &str) -> Vec<(&'a String, &'a Value)> {
        status["applications"][app]["units"]
            .as_object()
            .map(|m| m.iter().collect())
            .unwrap_or_default()
    }

    fn all_settled(status: &Value, app: &str, workload: &str) -> bool {
        let units = Self::units(status, app);
        !units.is_empty()
            && units.iter().all(|(_, u)| {
                u["workload-status"]["current"] == workload && u["juju-status"]["current"] == "idle"
            })
    }

    /// What the tester wrote under `key` in its unit databag on `endpoint`.
    fn tester_wrote(&self, unit: &str, endpoint: &str, key: &str) -> Option<Value> {
        let v = self.json(&["show-unit", unit]);
        let infos = v[unit]["relation-info"].as_array()?.clone();
        let info = infos.iter().find(|r| r["endpoint"] == endpoint)?;
        let raw = info["local-unit"]["data"][key].as_str()?;
        serde_json::from_str(raw).ok()
    }

    /// The tester's `tempo-api` key, from its unit databag on the tempo-api relation.
    fn tester_data(&self, unit: &str) -> Option<Value> {
        self.tester_wrote(unit, "tempo-api", "tempo-api")
    }

    /// Runs a Python script in `unit`'s charm container (the charm base has python3), inside
    /// the cluster where the published `*.svc.cluster.local` URLs resolve; its stdout. The
    /// script travels hex-encoded, so no shell quoting touches it.
    fn python_in(&self, unit: &str, script: &str) -> String {
        let hex: String = script.bytes().map(|b| format!("{b:02x}")).collect();
        let code = format!("exec(bytes.fromhex('{hex}').decode())");
        self.cli(&["exec", "--unit", unit, "--", "python3", "-c", &code])
    }
}

impl Drop for Juju {
    fn drop(&mut self) {
        if self.owned {
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

fn charm(name: &str) -> PathBuf {
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
fn resources() -> Vec<String> {
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

/// The whole Tempo: coordinator, one `all` worker, S3, and the tester over both of its
/// relations; waits until every application is active and idle.
fn deploy_cluster(j: &Juju) {
    let coordinator = charm("tempo-coordinator-k8s");
    let mut deploy = vec!["deploy", coordinator.to_str().unwrap(), "tempo"];
    let resources = resources();
    for r in &resources {
        deploy.extend(["--resource", r.as_str()]);
    }
    j.ensure(&deploy);
    let worker_channel =
        std::env::var("TEMPO_IT_WORKER_CHANNEL").unwrap_or_else(|_| "2/edge".into());
    let s3_channel = std::env::var("TEMPO_IT_S3_CHANNEL").unwrap_or_else(|_| "edge".into());
    j.ensure(&[
        "deploy",
        "tempo-worker-k8s",
        "tempo-worker",
        "--channel",
        &worker_channel,
        "--trust",
    ]);
    j.ensure(&["deploy", "seaweedfs-k8s", "s3", "--channel", &s3_channel]);
    j.ensure(&[
        "deploy",
        charm("tempo-api-tester").to_str().unwrap(),
        "tester",
    ]);
    j.ensure(&["integrate", "tempo:tempo-cluster", "tempo-worker"]);
    j.ensure(&["integrate", "tempo:s3", "s3"]);
    j.ensure(&["integrate", "tempo:tempo-api", "tester:tempo-api"]);
    j.ensure(&["integrate", "tempo:tracing", "tester:tracing"]);
    j.wait("tempo, worker, s3 and tester active/idle", |s| {
        ["tempo", "tempo-worker", "s3", "tester"]
            .iter()
            .all(|app| Juju::all_settled(s, app, "active"))
    });
}

fn expected(model: &str) -> Value {
    serde_json::json!({
        "http": {"direct_url": format!("http://tempo.{model}.svc.cluster.local:3200/"), "ingress_url": null},
        "grpc": {"direct_url": format!("http://tempo.{model}.svc.cluster.local:9096/"), "ingress_url": null},
    })
}

#[test]
fn tester_receives_the_k8s_service_urls() {
    let Some(j) = Juju::connect("tester_receives_the_k8s_service_urls") else {
        return;
    };
    deploy_cluster(&j);
    assert_eq!(j.tester_data("tester/0"), Some(expected(&j.model)));
    assert_eq!(
        j.tester_wrote("tester/0", "tracing", "tracing"),
        Some(serde_json::json!({
            "otlp_grpc": format!("tempo.{}.svc.cluster.local:4317", j.model),
            "otlp_http": format!("http://tempo.{}.svc.cluster.local:4318", j.model),
        })),
        "the receivers the tester asked for, with the coordinator's service URLs"
    );
}

/// Sent from inside the cluster (the tester's pod): one OTLP/HTTP trace to the receiver URL
/// the tester got over tracing, then Tempo's query API at the URL it got over tempo-api,
/// until the trace is there. Prints `found <status>` or `missing <last status>`.
const SEND_AND_FIND: &str = r#"
import json, sys, time, urllib.request
receiver, api, trace_id = sys.argv[1], sys.argv[2], sys.argv[3]
now = time.time_ns()
span = {"traceId": trace_id, "spanId": trace_id[:16], "name": "rust-coordinator-it",
        "kind": 1, "startTimeUnixNano": str(now - 1_000_000), "endTimeUnixNano": str(now)}
body = {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
        "value": {"stringValue": "tempo-coordinator-rust-it"}}]},
        "scopeSpans": [{"spans": [span]}]}]}
req = urllib.request.Request(receiver + "/v1/traces", data=json.dumps(body).encode(),
                             headers={"Content-Type": "application/json"}, method="POST")
print("pushed", urllib.request.urlopen(req, timeout=30).status)
last = None
for _ in range(60):
    try:
        with urllib.request.urlopen(api + "api/traces/" + trace_id, timeout=10) as r:
            print("found", r.status)
            sys.exit(0)
    except Exception as e:
        last = e
    time.sleep(5)
print("missing", last)
"#;

#[test]
fn a_trace_sent_to_the_published_receiver_is_found_through_tempos_api() {
    let Some(j) = Juju::connect("a_trace_is_found") else {
        return;
    };
    deploy_cluster(&j);
    let tracing = j
        .tester_wrote("tester/0", "tracing", "tracing")
        .expect("the tester got its receivers");
    let api = j.tester_data("tester/0").expect("the tester got tempo-api");
    let trace_id = format!("{:032x}", u128::from(std::process::id()) << 64 | 0x7e570);
    let script = SEND_AND_FIND.replace(
        "sys.argv[1], sys.argv[2], sys.argv[3]",
        &format!(
            "{:?}, {:?}, {:?}",
            tracing["otlp_http"].as_str().expect("otlp_http URL"),
            api["http"]["direct_url"].as_str().expect("HTTP API URL"),
            trace_id
        ),
    );
    let out = j.python_in("tester/0", &script);
    assert!(out.contains("pushed 200"), "{out}");
    assert!(
        out.contains("found 200"),
        "trace {trace_id} not found: {out}"
    );
}

#[test]
fn data_survives_losing_the_leader_and_goes_when_the_relation_does() {
    let Some(j) = Juju::connect("data_survives_losing_the_leader") else {
        return;
    };
    deploy_cluster(&j);
    j.cli(&["scale-application", "tempo", "2"]);
    let s = j.wait("two tempo units active/idle", |s| {
        Juju::units(s, "tempo").len() == 2 && Juju::all_settled(s, "tempo", "active")
    });
    let leader = Juju::units(&s, "tempo")
        .into_iter()
        .find(|(_, u)| u["leader"] == true)
        .map(|(n, _)| n.clone())
        .expect("a leader");
    // On Kubernetes a scale-down removes the highest unit; delete the leader's pod when it is
    // the lower one, so leadership moves either way.
    if leader.ends_with("/1") {
        j.cli(&["scale-application", "tempo", "1"]);
    } else {
        let pod = leader.replace('/', "-");
        let ok = Command::new("microk8s")
            .args(["kubectl", "delete", "pod", "-n", &j.model, &pod])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("could not delete pod {pod} (no microk8s kubectl?); scaling down instead");
            j.cli(&["scale-application", "tempo", "1"]);
        }
    }
    j.wait("tempo settled again", |s| {
        Juju::all_settled(s, "tempo", "active")
    });
    assert_eq!(
        j.tester_data("tester/0"),
        Some(expected(&j.model)),
        "app data outlives the unit that wrote it"
    );

    j.cli(&["remove-relation", "tempo:tempo-api", "tester:tempo-api"]);
    let s = j.wait("tester waiting", |s| {
        Juju::all_settled(s, "tester", "waiting")
    });
    let msg = &Juju::units(&s, "tester")[0].1["workload-status"]["message"];
    assert_eq!(msg, "waiting for a tempo-api relation");
}
