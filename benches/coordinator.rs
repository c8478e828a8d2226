//! The whole coordinator, side by side with Canonical's Python `tempo-coordinator-k8s`
//! (canonical/tempo-operators `coordinator/`, unmodified, its dependencies from PyPI), both
//! run by charm-sim as Juju would run them, their containers served by charm-sim's Pebble.
//!
//!     TEMPO_OPERATORS_SRC=/path/to/tempo-operators cargo bench --bench coordinator
//!
//! `TEMPO_OPERATORS_SRC` is a checkout of https://github.com/canonical/tempo-operators (the
//! recorded states used commit 85a88de); never committed here. Without it the Python column
//! is skipped with a message. `BENCH_QUICK=1` runs fewer repeats; `BENCH_ONLY=<words>` only
//! the cases whose label contains them; `BENCH_PYTHON_CACHE=1` keeps the Python column in
//! target/bench/python-coordinator.json and reuses it for the same states and Python commit
//! (`=only`: never measures Python, reports what the cache holds); `BENCH_KEEP=<dir>` keeps
//! the measured states and charm directories.
//!
//! Cases: the whole COS deployment ([`full_cos`]) with the certificate issued: its
//! `tempo-cluster-relation-changed`, and a steady `update-status` on the state that hook left
//! (each charm its own); a growth curve of `tempo-cluster-relation-changed` over 1, 10, 100
//! and 1,000 worker units (`all`). Per hook: wall time, instructions (callgrind, charm
//! process only), peak RSS, hook-tool calls, Pebble requests, each ours/Python; the slope per
//! worker unit from the curve.
//! The table goes to stdout and target/bench/coordinator.md.

// tests/common's bins.rs and deploy.rs are also benches/common's.
#![allow(clippy::duplicate_mod)]

use std::fmt::Write as _;
use std::path::Path;

use charm_sim::ca::TestCa;
use serde_json::{json, Value};

mod common;
use common::*;

/// The tests' helpers, for tests/common/recorded.rs (a recorded state as a simulator state).
#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod tests_common;
use tests_common::recorded;

const CHARM_BIN: &str = env!("CARGO_BIN_EXE_tempo-coordinator-k8s");

/// What the recorded states ran on (../shared/conformance/coordinator/README.md), and the
/// two libraries the charm's own libs import that coordinated-workers does not pull in.
const PYTHON_PACKAGES: &[&str] = &[
    "coordinated-workers==4.1.4",
    "cosl==1.11.3",
    "charmlibs-nginx-k8s==1.0.1",
    "ops==3.9.0",
    "pydantic==2.14.4",
    "cryptography",
    "requests",
    "charmed-service-mesh-helpers",
    "lightkube-extensions",
    "httpx",
];

/// The Python coordinator's charm directory, laid out as `charmcraft pack` would: its
/// charmcraft.yaml split into metadata.yaml, config.yaml and actions.yaml, src/ and lib/,
/// and our launcher (benches/python_coordinator/launch.py) as the dispatch target.
fn python(src: &Path) -> Result<Charm, String> {
    let coordinator = src.join("coordinator");
    let text = std::fs::read_to_string(coordinator.join("charmcraft.yaml")).map_err(|e| {
        format!(
            "{}: {e}; TEMPO_OPERATORS_SRC must be a checkout of canonical/tempo-operators",
            coordinator.display()
        )
    })?;
    let venv = venv("bench-python-coordinator", PYTHON_PACKAGES)?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut meta: serde_yaml::Mapping =
        serde_yaml::from_str(&text).map_err(|e| format!("charmcraft.yaml: {e}"))?;
    for (key, file) in [("config", "config.yaml"), ("actions", "actions.yaml")] {
        if let Some(v) = meta.remove(key) {
            let yaml = serde_yaml::to_string(&v).map_err(|e| e.to_string())?;
            std::fs::write(dir.path().join(file), yaml).map_err(|e| e.to_string())?;
        }
    }
    for key in ["type", "parts", "platforms", "bases", "charm-libs"] {
        meta.remove(key);
    }
    let yaml = serde_yaml::to_string(&meta).map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("metadata.yaml"), yaml).map_err(|e| e.to_string())?;
    let status = std::process::Command::new("cp")
        .args(["-r", "src", "lib"])
        .arg(dir.path())
        .current_dir(&coordinator)
        .status()
        .map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("cannot copy the coordinator's src/ and lib/".into());
    }
    copy(
        &Path::new(ROOT).join("benches/python_coordinator/launch.py"),
        &dir.path().join("launch.py"),
    );
    copy(
        &Path::new(ROOT).join("tests/python/charm_sim_pebble.py"),
        &dir.path().join("lib/charm_sim_pebble.py"),
    );
    python_dispatch(dir.path(), &venv, "./launch.py", "src:lib");
    Ok(Charm {
        name: "python",
        dir,
    })
}

/// Both containers up, the commands both charms run there answered.
const CONTAINERS: &str = "containers:\n  - name: nginx\n    exec: [{command: [nginx, -t], stdout: '', exit_code: 0}, {command: [nginx, -s, reload], stdout: '', exit_code: 0}, {command: [update-ca-certificates], stdout: '', exit_code: 0}]\n  - name: nginx-prometheus-exporter\n";

/// A leader with both containers up, S3, the given worker relations and `tracing`
/// requirers asking for otlp_grpc.
fn deployment(workers: &str, tracing: usize) -> String {
    let mut s = format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n  - {{id: 1, endpoint: peers, remote_app: tempo}}\n  - {{id: 5, endpoint: s3, remote_app: s3-integrator, remote_units: [s3-integrator/0], remote_app_data: {{access-key: AK, secret-key: SK, bucket: tempo, endpoint: 'http://minio.cos.svc.cluster.local:9000'}}}}\n",
    );
    s.push_str(workers);
    for i in 0..tracing {
        let _ = writeln!(
            s,
            "  - {{id: {}, endpoint: tracing, remote_app: app{i}, remote_units: [app{i}/0], remote_app_data: {{receivers: '[\"otlp_grpc\"]'}}}}",
            200 + i
        );
    }
    s
}

/// Where the charm's own spans go in the full COS state: nothing listens on port 9 of the
/// loopback (an unprivileged process cannot bind it), so each export is refused at once.
const DEAD_RECEIVER: &str = "127.0.0.1:9";

/// The `certificates` relation of the full COS state.
const CERTIFICATES: &str = "certificates:3";
const CERT_PROVIDER: &str = "self-signed-certificates";

/// The whole COS deployment, built from the recorded Python states
/// (tests/conformance/cos/states.json, turned into a simulator state by
/// tests/common/recorded.rs): `full-cos-distributed` (S3, six roles with two units each,
/// three coordinator units with their peer `hostname`/`fqdn`, Grafana with its
/// grafana-source reply and dashboards, receive-datasource from Loki and Mimir, catalogue,
/// metrics-endpoint, send-remote-write, Traefik ingress, one tracing requirer), with the
/// logging relation of `logging-two-loki` (two Loki units) and the probes relation of
/// `probes`; added here: nine more tracing requirers (otlp_grpc), self-charm-tracing and
/// self-workload-tracing to a receiver that is not listening, and `certificates` (its
/// provider's data is added once the charm has written its CSR: see [`issue`]).
fn full_cos() -> String {
    let cases = recorded::cases("cos", 32);
    let case = |id: &str| -> Value {
        cases
            .iter()
            .find(|c| c["case"]["id"] == id)
            .map(|c| c["case"].clone())
            .unwrap_or_else(|| panic!("recorded COS state `{id}`"))
    };
    let relation = |id: &str, endpoint: &str| -> Value {
        case(id)["relations"]
            .as_array()
            .and_then(|rs| rs.iter().find(|r| r["endpoint"] == endpoint).cloned())
            .unwrap_or_else(|| panic!("`{endpoint}` in recorded state `{id}`"))
    };
    let mut base = case("full-cos-distributed");
    let logging = relation("logging-two-loki", "logging");
    let probes = relation("probes", "probes");
    let rels = base["relations"].as_array_mut().expect("relations");
    rels.retain(|r| r["endpoint"] != "logging");
    rels.push(logging);
    rels.push(probes);
    let receivers = json!([
        {"protocol": {"name": "otlp_grpc", "type": "grpc"}, "url": DEAD_RECEIVER},
        {"protocol": {"name": "otlp_http", "type": "http"}, "url": format!("http://{DEAD_RECEIVER}")},
    ])
    .to_string();
    for (id, endpoint) in [(74, "self-charm-tracing"), (75, "self-workload-tracing")] {
        rels.push(
            json!({"endpoint": endpoint, "id": id, "remote_app": "otelcol",
            "remote_app_data": {"receivers": receivers}}),
        );
    }
    for i in 1..10 {
        rels.push(
            json!({"endpoint": "tracing", "id": 200 + i, "remote_app": format!("app{i}"),
            "remote_app_data": {"receivers": "[\"otlp_grpc\"]"}}),
        );
    }
    rels.push(json!({"endpoint": "certificates", "id": 3, "remote_app": CERT_PROVIDER}));
    let state = recorded::state_of(&json!({ "case": base }));
    let mut v = serde_json::to_value(state).expect("state as JSON");
    let containers: Value = serde_yaml::from_str(CONTAINERS).expect("containers");
    v["containers"] = containers["containers"].clone();
    serde_yaml::to_string(&v).expect("state as YAML")
}

/// The provider's answer (charm-sim's test CA, as a tls-certificates v4 provider: the leaf
/// copies the CSR's subject and SANs, chain = [certificate, CA]) to the CSRs the charm wrote
/// in its unit databag on `certificates`, added to the state at `path`. How many it signed.
fn issue(ca: &TestCa, path: &Path) -> usize {
    let text = std::fs::read_to_string(path).expect("state");
    let mut state: charm_sim::State = serde_yaml::from_str(&text).expect("state YAML");
    let mut signed = 0;
    for r in state.relations.iter_mut().filter(|r| r.id == 3) {
        let (answer, n) = ca
            .answer(&[&r.local_unit], &r.remote_app_data, false)
            .expect("sign the CSRs");
        r.remote_app_data.extend(answer);
        signed = n;
    }
    std::fs::write(path, serde_yaml::to_string(&state).expect("YAML")).expect("write state");
    signed
}

struct Case {
    label: String,
    /// `--event ...` and what goes with it.
    event: Vec<&'static str>,
    yaml: String,
    /// First a `certificates-relation-changed` (the charm writes its key and CSR), then the
    /// provider's certificate for that CSR is added to the state.
    tls: bool,
    /// Run these (after the TLS step) and measure on the state they left (each charm its own).
    after: Option<Vec<&'static str>>,
    /// Timed runs (rust, python).
    repeats: (usize, usize),
}

fn relation_changed(relation: &'static str, unit: &'static str) -> Vec<&'static str> {
    vec![
        "--event",
        "tempo-cluster-relation-changed",
        "--relation",
        relation,
        "--remote-unit",
        unit,
    ]
}

fn cases(quick: bool) -> Vec<Case> {
    let (r, p) = if quick { (3, 1) } else { (10, 3) };
    let cos = full_cos();
    let first = relation_changed("tempo-cluster:20", "tempo-worker-querier/0");
    let mut v = vec![
        Case {
            label: "full COS, TLS issued, 3 coordinator units: tempo-cluster-relation-changed"
                .into(),
            event: first.clone(),
            yaml: cos.clone(),
            tls: true,
            after: None,
            repeats: (r, p),
        },
        Case {
            label: "full COS: update-status, steady".into(),
            event: vec!["--event", "update-status"],
            yaml: cos,
            tls: true,
            after: Some(first),
            repeats: (r, p),
        },
    ];
    for n in [1, 10, 100, 1000] {
        v.push(Case {
            label: format!("S3, {n} worker units (`all`): tempo-cluster-relation-changed"),
            event: relation_changed("tempo-cluster:10", "tempo-worker/0"),
            yaml: deployment(&deploy::worker_relation(10, "tempo-worker", "all", n), 0),
            tls: false,
            after: None,
            repeats: if n >= 1000 { (r.min(5), 1) } else { (r, p) },
        });
    }
    v
}

/// Measures `case` for `charm`: the timed runs, then GNU time and callgrind once. Also says
/// how many certificates the provider issued to the charm.
fn measure(charm: &Charm, case: &Case, ca: Option<&TestCa>) -> (Figures, Option<usize>) {
    let fresh = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(fresh.path(), &case.yaml).expect("write state");
    let mut state = fresh;
    let mut issued = None;
    if case.tls {
        let ca = ca.expect("a CA for the TLS cases");
        let next = tempfile::NamedTempFile::new().expect("tmp");
        let prep = [
            "--event",
            "certificates-relation-changed",
            "--relation",
            CERTIFICATES,
            "--remote-unit",
            "self-signed-certificates/0",
        ];
        run(charm, state.path(), &prep, None, Some(next.path()));
        issued = Some(issue(ca, next.path()));
        state = next;
    }
    if let Some(first) = &case.after {
        let next = tempfile::NamedTempFile::new().expect("tmp");
        run(charm, state.path(), first, None, Some(next.path()));
        state = next;
    }
    if let Some(keep) = std::env::var_os("BENCH_KEEP") {
        // The measured state and the charm directory, to run again by hand.
        let keep = Path::new(&keep);
        let _ = std::fs::create_dir_all(keep);
        let name: String = case
            .label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let _ = std::fs::copy(
            state.path(),
            keep.join(format!("{}-{name}.yaml", charm.name)),
        );
        let _ = std::process::Command::new("cp")
            .args(["-rT"])
            .arg(charm.dir.path())
            .arg(keep.join(format!("{}-charm", charm.name)))
            .status();
    }
    let repeats = if charm.name == "rust" {
        case.repeats.0
    } else {
        case.repeats.1
    };
    let mut f = Figures::default();
    for _ in 0..repeats {
        f.add(&run(charm, state.path(), &case.event, None, None));
    }
    f.rss_kib = peak_rss_kib(charm, state.path(), &case.event).unwrap_or(0);
    f.instructions = instructions(charm, state.path(), &case.event);
    (f, issued)
}

/// The Python column is the same on every run of the same states and Python source: with
/// `BENCH_PYTHON_CACHE=1` it is kept in target/bench/python-coordinator.json, keyed by the
/// case, its states and the Python checkout's commit, and reused (each reuse is said).
struct PyCache {
    path: std::path::PathBuf,
    entries: serde_json::Map<String, Value>,
    enabled: bool,
}

impl PyCache {
    fn open() -> PyCache {
        let path = Path::new(ROOT).join("target/bench/python-coordinator.json");
        let entries = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        PyCache {
            path,
            entries,
            enabled: std::env::var_os("BENCH_PYTHON_CACHE").is_some(),
        }
    }
    fn key(case: &Case, src: &Path) -> String {
        use std::hash::{Hash, Hasher};
        let commit = std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(src)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (
            &case.yaml,
            &case.event,
            case.tls,
            &case.after,
            case.repeats.1,
            &commit,
        )
            .hash(&mut h);
        format!("{} #{:016x}", case.label, h.finish())
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("coordinator benchmark: run with `cargo bench --bench coordinator`");
        return;
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    // `BENCH_ONLY=substring` measures only the cases whose label holds it.
    let only = std::env::var("BENCH_ONLY").ok();
    let ours = ours(CHARM_BIN);
    let src = std::env::var_os("TEMPO_OPERATORS_SRC").map(std::path::PathBuf::from);
    let python = match &src {
        Some(src) => match python(src) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("no Python column: {e}");
                None
            }
        },
        None => {
            eprintln!(
                "no Python column: set TEMPO_OPERATORS_SRC to a checkout of \
                 https://github.com/canonical/tempo-operators (git clone it; the recorded \
                 states used commit 85a88de)"
            );
            None
        }
    };
    let ca = match TestCa::new("Bench CA") {
        Ok(ca) => Some(ca),
        Err(e) => {
            eprintln!("no TLS cases: {e}");
            None
        }
    };
    let mut cache = PyCache::open();
    let mut md = String::new();
    let _ = writeln!(md, "| case | wall median ms (rust / python / ratio) | instructions (rust / python / ratio) | peak RSS KiB (rust / python / ratio) | hook-tool calls (rust / python / ratio) | Pebble requests (rust / python / ratio) |");
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    let mut details = String::new();
    let mut verdicts = String::new();
    let mut notes = String::new();
    let mut curve: Vec<(usize, Figures, Option<Figures>)> = Vec::new();
    for case in cases(quick) {
        if only.as_deref().is_some_and(|o| !case.label.contains(o)) {
            continue;
        }
        if case.tls && ca.is_none() {
            continue;
        }
        let t = std::time::Instant::now();
        let (a, a_issued) = measure(&ours, &case, ca.as_ref());
        let t_ours = t.elapsed();
        let t = std::time::Instant::now();
        let mut b_issued = None;
        let mut from_cache = false;
        let b = match (&python, &src) {
            (Some(p), Some(src)) => {
                let key = PyCache::key(&case, src);
                let cached = cache
                    .enabled
                    .then(|| cache.entries.get(&key).and_then(Figures::from_json))
                    .flatten();
                match cached {
                    None if std::env::var("BENCH_PYTHON_CACHE").as_deref() == Ok("only") => {
                        eprintln!(
                            "{}: python not in the cache, not measured (BENCH_PYTHON_CACHE=only)",
                            case.label
                        );
                        None
                    }
                    Some(f) => {
                        from_cache = true;
                        b_issued = cache.entries[&key]["issued"].as_u64().map(|n| n as usize);
                        Some(f)
                    }
                    None => {
                        let (f, issued) = measure(p, &case, ca.as_ref());
                        b_issued = issued;
                        let mut v = f.to_json();
                        v["issued"] = json!(issued);
                        cache.entries.insert(key, v);
                        if cache.enabled {
                            let _ = std::fs::create_dir_all(cache.path.parent().expect("dir"));
                            let _ = std::fs::write(
                                &cache.path,
                                serde_json::to_string_pretty(&cache.entries).expect("JSON"),
                            );
                        }
                        Some(f)
                    }
                }
            }
            _ => None,
        };
        eprintln!(
            "{}: rust {:.1} ms (measured in {:.0} s), python {} (measured in {:.0} s{})",
            case.label,
            a.median(),
            t_ours.as_secs_f64(),
            b.as_ref()
                .map_or("-".into(), |b| format!("{:.1} ms", b.median())),
            t.elapsed().as_secs_f64(),
            if from_cache { ", from the cache" } else { "" }
        );
        if case.tls {
            let _ = writeln!(
                notes,
                "- {}: the provider signed {} CSR(s) for rust, {} for python{}",
                case.label,
                a_issued.unwrap_or(0),
                b_issued.map_or("–".into(), |n| n.to_string()),
                if a_issued == Some(0) {
                    " (rust wrote no CSR: this build does not serve `certificates`)"
                } else {
                    ""
                }
            );
        }
        if from_cache {
            let _ = writeln!(
                notes,
                "- {}: python column from target/bench/python-coordinator.json (same states, same Python source)",
                case.label
            );
        }
        let three = |x: String, y: Option<String>, r: Option<String>| match (y, r) {
            (Some(y), Some(r)) => format!("{x} / {y} / {r}"),
            (Some(y), None) => format!("{x} / {y}"),
            _ => format!("{x} / –"),
        };
        let counts = |x: usize, y: Option<usize>| {
            three(
                x.to_string(),
                y.map(|y| y.to_string()),
                y.map(|y| ratio(x as f64, y as f64)),
            )
        };
        let inst = three(
            a.instructions.map_or("?".into(), |i| i.to_string()),
            b.as_ref()
                .and_then(|b| b.instructions)
                .map(|i| i.to_string()),
            match (a.instructions, b.as_ref().and_then(|b| b.instructions)) {
                (Some(x), Some(y)) => Some(ratio(x as f64, y as f64)),
                _ => None,
            },
        );
        let _ = writeln!(
            md,
            "| {} | {} | {inst} | {} | {} | {} |",
            case.label,
            three(
                format!("{:.1}", a.median()),
                b.as_ref().map(|b| format!("{:.1}", b.median())),
                b.as_ref().map(|b| ratio(a.median(), b.median()))
            ),
            three(
                a.rss_kib.to_string(),
                b.as_ref().map(|b| b.rss_kib.to_string()),
                b.as_ref()
                    .map(|b| ratio(a.rss_kib as f64, b.rss_kib as f64))
            ),
            counts(a.total_calls, b.as_ref().map(|b| b.total_calls)),
            counts(a.pebble_requests, b.as_ref().map(|b| b.pebble_requests)),
        );
        let _ = writeln!(
            details,
            "- {}: rust {}; python {}",
            case.label,
            calls_text(&a.calls),
            b.as_ref().map_or("–".into(), |b| calls_text(&b.calls))
        );
        if let Some(b) = &b {
            let met = |ok: bool| if ok { "met" } else { "NOT met" };
            let inst_ok =
                matches!((a.instructions, b.instructions), (Some(x), Some(y)) if x * 500 <= y);
            let _ = writeln!(
                verdicts,
                "- {}: instructions ≤ 1/500 {}; peak RSS ≤ 1/10 {}; hook-tool calls ≤ {}; Pebble requests ≤ {}",
                case.label,
                met(inst_ok),
                met(a.rss_kib * 10 <= b.rss_kib),
                met(a.total_calls <= b.total_calls),
                met(a.pebble_requests <= b.pebble_requests),
            );
        }
        let _ = std::fs::create_dir_all(Path::new(ROOT).join("target/bench"));
        let _ = std::fs::write(
            Path::new(ROOT).join("target/bench/coordinator.partial.md"),
            format!("{md}\n{details}\n{notes}"),
        );
        if let Some(n) = case
            .label
            .strip_prefix("S3, ")
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse().ok())
        {
            curve.push((n, a, b));
        }
    }
    let _ = writeln!(md, "\nTargets (rust against python, per case):\n{verdicts}");
    if curve.len() >= 2 {
        let _ = writeln!(
            md,
            "Growth per worker unit (between consecutive points of the curve; then first to last):"
        );
        let slope = |f: &dyn Fn(&Figures) -> Option<f64>, which: usize| -> String {
            let pts: Vec<(f64, f64)> = curve
                .iter()
                .filter_map(|(n, a, b)| {
                    let fig = if which == 0 { Some(a) } else { b.as_ref() };
                    Some((*n as f64, f(fig?)?))
                })
                .collect();
            if pts.len() < 2 {
                return "–".into();
            }
            let seg: Vec<String> = pts
                .windows(2)
                .map(|w| format!("{:.1}", (w[1].1 - w[0].1) / (w[1].0 - w[0].0)))
                .collect();
            let (first, last) = (pts[0], pts[pts.len() - 1]);
            format!(
                "{} → {:.1}",
                seg.join(", "),
                (last.1 - first.1) / (last.0 - first.0)
            )
        };
        let inst = |f: &Figures| f.instructions.map(|i| i as f64);
        let calls = |f: &Figures| Some(f.total_calls as f64);
        let pebble = |f: &Figures| Some(f.pebble_requests as f64);
        let rss = |f: &Figures| Some(f.rss_kib as f64);
        for (name, f) in [
            ("instructions", &inst as &dyn Fn(&Figures) -> Option<f64>),
            ("hook-tool calls", &calls),
            ("Pebble requests", &pebble),
            ("peak RSS KiB", &rss),
        ] {
            let _ = writeln!(md, "- {name}: rust {}; python {}", slope(f, 0), slope(f, 1));
        }
        let _ = writeln!(md);
    }
    if !notes.is_empty() {
        let _ = writeln!(md, "Notes:\n{notes}");
    }
    let _ = writeln!(md, "Hook-tool calls by tool:\n{details}");
    let _ = writeln!(
        md,
        "Peak RSS is the charm's process tree (GNU time around the handler); one hook-tool client alone peaks at {} KiB. Wall time: median of the timed runs (rust {}, python {}; the 1000-unit case {} and 1); instructions and RSS: one run each.",
        tool_client_rss_kib().map_or("?".to_owned(), |k| k.to_string()),
        if quick { 3 } else { 10 },
        if quick { 1 } else { 3 },
        if quick { 3 } else { 5 },
    );
    println!("{md}");
    let out = Path::new(ROOT).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("coordinator.md"), &md);
}
