//! The charm's own traces (self-charm-tracing) reach a real OTLP/HTTP receiver on loopback:
//! `tests/otlp/receiver.py` decodes each request with the `opentelemetry-proto` package from
//! PyPI (in a venv under target/). A receiver that accepts and never answers costs the hook
//! its one-second bound, no more; the spans are kept in the charm directory and arrive with
//! the next hook. Skips without PyPI (says so); under CI (`CI` set) it fails instead.

mod common;
#[path = "common/venv.rs"]
mod venv;

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use charm_sim::inprocess::run_in_process;
use charm_sim::{EventSpec, Report, State};
use common::recorded::Recorded;
use common::ROOT;
use serde_json::{json, Value};
use tempo_coordinator::entry;
use venv::venv_or_skip;

const PROTO: &str = "opentelemetry-proto==1.45.2";

fn python() -> Option<PathBuf> {
    venv_or_skip("otlp-proto", &[PROTO], "the charm-tracing tests").map(|v| v.join("bin/python3"))
}

/// The receiver process, killed on drop.
struct Receiver {
    child: Child,
    port: u16,
    out: PathBuf,
    stall: PathBuf,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    fn start(python: &Path, dir: &Path) -> Self {
        let (port_file, out, stall) = (dir.join("port"), dir.join("out.jsonl"), dir.join("stall"));
        let child = Command::new(python)
            .arg(Path::new(ROOT).join("tests/otlp/receiver.py"))
            .args([&port_file, &out, &stall])
            .spawn()
            .expect("python runs");
        let start = Instant::now();
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&port_file) {
                break p.trim().parse().expect("a port");
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the receiver did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        Self {
            child,
            port,
            out,
            stall,
        }
    }

    /// The decoded requests so far.
    fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }
}

/// A charm directory with the coordinator's declarations (so `.tracing-data/` lands there).
fn charm_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "metadata.yaml",
        "config.yaml",
        "charmcraft.yaml",
        "actions.yaml",
    ] {
        let src = Path::new(ROOT).join(f);
        if src.is_file() {
            std::fs::copy(&src, dir.path().join(f)).unwrap();
        }
    }
    dir
}

/// The leader, related over self-charm-tracing to the receiver (nothing else related).
fn state(port: u16) -> State {
    let receivers = format!(
        r#"[{{"protocol": {{"name": "otlp_grpc", "type": "grpc"}}, "url": "127.0.0.1:1"}}, {{"protocol": {{"name": "otlp_http", "type": "http"}}, "url": "http://127.0.0.1:{port}"}}]"#
    );
    serde_json::from_value(json!({
        "unit": "tempo/0",
        "model": "cos",
        "model_uuid": "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53",
        "leader": true,
        "relations": [{
            "id": 74,
            "endpoint": "self-charm-tracing",
            "remote_app": "otelcol",
            "remote_units": ["otelcol/0"],
            "remote_app_data": {"receivers": receivers},
        }],
        "containers": [
            {"name": "nginx", "can_connect": false},
            {"name": "nginx-prometheus-exporter", "can_connect": false},
        ],
    }))
    .unwrap()
}

fn hook(dir: &Path, state: &State, event: &str) -> (Report, Duration) {
    // One hook at a time: `tracing` caches each callsite's interest process-wide, and scoped
    // subscribers on two test threads can race that cache (a real hook is one process, one
    // subscriber).
    static ONE: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ONE.lock().unwrap_or_else(|p| p.into_inner());
    let host = Recorded("tempo-0.tempo-endpoints.cos.svc.cluster.local".into());
    let start = Instant::now();
    let r = run_in_process(state, &EventSpec::new(event), dir, |env, runner| {
        entry(env, None, runner, &host)
    })
    .unwrap();
    (r, start.elapsed())
}

fn buffered(dir: &Path) -> usize {
    std::fs::read_dir(dir.join(".tracing-data"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn the_charms_spans_reach_the_receiver_with_the_juju_topology() {
    let Some(python) = python() else { return };
    let work = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(&python, work.path());
    let dir = charm_dir();
    let (r, _) = hook(dir.path(), &state(receiver.port), "config-changed");
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    // We ask for otlp_http, as the Python coordinator does.
    assert_eq!(
        r.relation(74).unwrap().local_app["receivers"],
        "[\"otlp_http\"]"
    );
    let got = receiver.requests();
    assert_eq!(got.len(), 1, "one request per hook");
    assert_eq!(got[0]["path"], "/v1/traces");
    assert_eq!(got[0]["content_type"], "application/json");
    let res = &got[0]["resources"][0];
    let attrs = &res["attributes"];
    for (k, v) in [
        ("service.name", "tempo"),
        ("service.namespace", "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53"),
        ("service.namespace.name", "cos"),
        ("service.instance.id", "0"),
        ("charm", "tempo-coordinator-k8s"),
        ("juju_model", "cos"),
        ("juju_model_uuid", "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53"),
        ("juju_application", "tempo"),
        ("juju_unit", "tempo/0"),
    ] {
        assert_eq!(attrs[k], v, "{k}");
    }
    let spans = res["spans"].as_array().unwrap();
    let named = |n: &str| {
        spans
            .iter()
            .find(|s| s["name"] == n)
            .unwrap_or_else(|| panic!("no span {n}: {spans:#?}"))
    };
    let root = named("config-changed");
    assert_eq!(root["parent_span_id"], "");
    for phase in ["read inputs", "reconcile", "apply workload", "apply"] {
        assert_eq!(named(phase)["parent_span_id"], root["span_id"], "{phase}");
    }
    // Each hook tool is a span under its phase, with its arguments.
    let is_leader = named("is-leader");
    assert_eq!(is_leader["parent_span_id"], named("read inputs")["span_id"]);
    assert_eq!(is_leader["attributes"]["args"], "--format=json");
    assert!(spans.iter().all(|s| s["trace_id"] == root["trace_id"]
        && s["trace_id"].as_str().unwrap().len() == 32
        && s["end"].as_u64() >= s["start"].as_u64()));
    // The blocked status was logged while applying: an event of that span.
    assert!(named("apply")["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e.as_str().unwrap().contains("blocked")));
    assert_eq!(buffered(dir.path()), 0, "nothing kept once sent");
}

#[test]
fn a_receiver_that_never_answers_costs_the_bound_and_the_spans_come_with_the_next_hook() {
    let Some(python) = python() else { return };
    let work = tempfile::tempdir().unwrap();
    let receiver = Receiver::start(&python, work.path());
    let dir = charm_dir();
    std::fs::write(&receiver.stall, "").unwrap();
    let (r, took) = hook(dir.path(), &state(receiver.port), "config-changed");
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    // The receiver holds the request for an hour; the hook gives it one second.
    assert!(
        took < Duration::from_millis(2500),
        "the hook waited {took:?} on a receiver that never answers"
    );
    assert_eq!(buffered(dir.path()), 1, "the spans are kept");
    assert!(receiver.requests().is_empty());

    // It answers again: the next hook sends its own spans and the kept ones.
    std::fs::remove_file(&receiver.stall).unwrap();
    let (r, _) = hook(dir.path(), &r.state, "update-status");
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    let got = receiver.requests();
    let roots: Vec<&str> = got
        .iter()
        .flat_map(|req| req["resources"][0]["spans"].as_array().unwrap())
        .filter(|s| s["parent_span_id"] == "")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        roots,
        ["update-status", "config-changed"],
        "this hook's first, then the kept"
    );
    assert_eq!(buffered(dir.path()), 0);

    // The relation goes: nothing is kept for a receiver that is no more.
    std::fs::write(&receiver.stall, "").unwrap();
    let (r, _) = hook(dir.path(), &r.state, "config-changed");
    assert_eq!(buffered(dir.path()), 1);
    let mut gone = r.state.clone();
    gone.relations.retain(|rel| rel.id != 74);
    let (r, _) = hook(dir.path(), &gone, "update-status");
    assert_eq!(r.exit_code, 0);
    assert!(!dir.path().join(".tracing-data").exists());
}
