//! The whole coordinator, side by side with Canonical's Python `tempo-coordinator-k8s`
//! (canonical/tempo-operators `coordinator/`, unmodified, its dependencies from PyPI), both
//! run by charm-sim as Juju would run them, their containers served by charm-sim's Pebble.
//!
//!     TEMPO_OPERATORS_SRC=/path/to/tempo-operators cargo bench --bench coordinator
//!
//! `TEMPO_OPERATORS_SRC` is a checkout of https://github.com/canonical/tempo-operators (the
//! recorded states used commit 85a88de); never committed here. Without it the Python column
//! is skipped with a message. `BENCH_QUICK=1` runs fewer repeats; `BENCH_ONLY=<words>` only
//! the cases whose label contains them.
//!
//! Cases: a `tempo-cluster-relation-changed` with S3, 6 workers (one application per role)
//! and 10 tracing requirers, seen for the first time; a steady-state `update-status` on the
//! state that hook left (each charm its own); a `config-changed` of three coordinator units
//! with Prometheus, Grafana's dashboards and the blackbox exporter related; a growth curve of
//! `tempo-cluster-relation-changed` over 1, 10 and 100 worker units. Per hook: wall time,
//! instructions (callgrind, charm process only), peak RSS, hook-tool calls, Pebble requests.
//! The table goes to stdout and target/bench/coordinator.md.

use std::fmt::Write as _;
use std::path::Path;

mod common;
use common::*;

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

/// A leader with both containers up (the commands both charms run there answered), S3,
/// the given worker relations and `tracing` requirers asking for otlp_grpc.
fn deployment(workers: &str, tracing: usize) -> String {
    let mut s = String::from(
        "unit: tempo/0\nmodel: cos\nleader: true\ncontainers:\n  - name: nginx\n    exec: [{command: [nginx, -s, reload], stdout: '', exit_code: 0}, {command: [update-ca-certificates], stdout: '', exit_code: 0}]\n  - name: nginx-prometheus-exporter\nrelations:\n  - {id: 1, endpoint: peers, remote_app: tempo}\n  - {id: 5, endpoint: s3, remote_app: s3-integrator, remote_units: [s3-integrator/0], remote_app_data: {access-key: AK, secret-key: SK, bucket: tempo, endpoint: 'http://minio.cos.svc.cluster.local:9000'}}\n",
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

/// The deployment with two more coordinator units (their peer data as coordinated-workers
/// and the charm write it) and COS watching: Prometheus, Grafana's dashboards, the blackbox
/// exporter (none of which writes anything back).
fn cos_deployment(workers: &str) -> String {
    let peer = |n: u32| {
        format!("tempo/{n}: {{hostname: tempo-{n}.tempo-endpoints.cos.svc.cluster.local, fqdn: '\"tempo-{n}.tempo-endpoints.cos.svc.cluster.local\"'}}")
    };
    let mut s = deployment(workers, 0).replace(
        "  - {id: 1, endpoint: peers, remote_app: tempo}\n",
        &format!(
            "  - {{id: 1, endpoint: peers, remote_app: tempo, remote_units: [tempo/1, tempo/2], remote_units_data: {{{}, {}}}}}\n",
            peer(1),
            peer(2)
        ),
    );
    for (id, endpoint, app) in [
        (70, "metrics-endpoint", "prometheus"),
        (71, "grafana-dashboard", "grafana"),
        (73, "probes", "blackbox-exporter"),
    ] {
        let _ = writeln!(
            s,
            "  - {{id: {id}, endpoint: {endpoint}, remote_app: {app}, remote_units: [{app}/0]}}"
        );
    }
    s
}

struct Case {
    label: String,
    /// `--event ...` and what goes with it.
    event: Vec<&'static str>,
    yaml: String,
    /// Run these first and measure on the state they left (each charm its own).
    after: Option<Vec<&'static str>>,
}

/// The relation-changed of the first worker application, from its first unit.
const WORKER_CHANGED: [&str; 6] = [
    "--event",
    "tempo-cluster-relation-changed",
    "--relation",
    "tempo-cluster:10",
    "--remote-unit",
    "",
];

fn worker_changed(unit: &'static str) -> Vec<&'static str> {
    let mut v = WORKER_CHANGED.to_vec();
    v[5] = unit;
    v
}

fn cases() -> Vec<Case> {
    let six: String = deploy::ROLES
        .iter()
        .enumerate()
        .map(|(i, r)| deploy::worker_relation(10 + i as u32, &format!("tempo-{r}"), r, 1))
        .collect();
    let mut v = vec![
        Case {
            label: "tempo-cluster-relation-changed: S3, 6 workers, 10 tracing requirers".into(),
            event: worker_changed("tempo-querier/0"),
            yaml: deployment(&six, 10),
            after: None,
        },
        Case {
            label: "update-status, steady (same deployment)".into(),
            event: vec!["--event", "update-status"],
            yaml: deployment(&six, 10),
            after: Some(worker_changed("tempo-querier/0")),
        },
    ];
    v.push(Case {
        label: "config-changed: S3, 6 workers, 3 coordinator units, metrics-endpoint, grafana-dashboard, probes".into(),
        event: vec!["--event", "config-changed"],
        yaml: cos_deployment(&six),
        after: None,
    });
    for n in [1, 10, 100] {
        v.push(Case {
            label: format!("tempo-cluster-relation-changed: S3, {n} worker units (`all`)"),
            event: worker_changed("tempo-worker/0"),
            yaml: deployment(&deploy::worker_relation(10, "tempo-worker", "all", n), 0),
            after: None,
        });
    }
    v
}

/// Measures `case` for `charm`: `repeats` timed runs, then GNU time and callgrind once.
fn measure(charm: &Charm, case: &Case, repeats: usize) -> Figures {
    let fresh = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(fresh.path(), &case.yaml).expect("write state");
    let state = match &case.after {
        Some(first) => {
            let steady = tempfile::NamedTempFile::new().expect("tmp");
            run(charm, fresh.path(), first, None, Some(steady.path()));
            steady
        }
        None => fresh,
    };
    let mut f = Figures::default();
    for _ in 0..repeats {
        f.add(&run(charm, state.path(), &case.event, None, None));
    }
    f.rss_kib = peak_rss_kib(charm, state.path(), &case.event).unwrap_or(0);
    f.instructions = instructions(charm, state.path(), &case.event);
    f
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("coordinator benchmark: run with `cargo bench --bench coordinator`");
        return;
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let ours = ours(CHARM_BIN);
    let python = match std::env::var_os("TEMPO_OPERATORS_SRC") {
        Some(src) => match python(Path::new(&src)) {
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
    let (r_ours, r_py) = if quick { (3, 1) } else { (10, 3) };
    let mut md = String::new();
    let _ = writeln!(md, "| case | wall median ms (rust / python / ratio) | instructions (rust / python / ratio) | peak RSS KiB (rust / python / ratio) | hook-tool calls (rust / python) | Pebble requests (rust / python) |");
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    let mut details = String::new();
    let mut verdicts = String::new();
    // BENCH_ONLY=<words>: only the cases whose label contains them.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    for case in cases().into_iter().filter(|c| c.label.contains(&only)) {
        let a = measure(&ours, &case, r_ours);
        let b = python.as_ref().map(|p| measure(p, &case, r_py));
        eprintln!(
            "{}: rust {:.1} ms, python {}",
            case.label,
            a.median(),
            b.as_ref()
                .map_or("-".into(), |b| format!("{:.1} ms", b.median()))
        );
        let pair = |x: String, y: Option<String>, r: Option<String>| match (y, r) {
            (Some(y), Some(r)) => format!("{x} / {y} / {r}"),
            (Some(y), None) => format!("{x} / {y}"),
            _ => format!("{x} / –"),
        };
        let inst = pair(
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
            pair(
                format!("{:.1}", a.median()),
                b.as_ref().map(|b| format!("{:.1}", b.median())),
                b.as_ref().map(|b| ratio(a.median(), b.median()))
            ),
            pair(
                a.rss_kib.to_string(),
                b.as_ref().map(|b| b.rss_kib.to_string()),
                b.as_ref()
                    .map(|b| ratio(a.rss_kib as f64, b.rss_kib as f64))
            ),
            pair(
                a.total_calls.to_string(),
                b.as_ref().map(|b| b.total_calls.to_string()),
                None
            ),
            pair(
                a.pebble_requests.to_string(),
                b.as_ref().map(|b| b.pebble_requests.to_string()),
                None
            ),
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
    }
    let _ = writeln!(md, "\nTargets (rust against python, per case):\n{verdicts}");
    let _ = writeln!(md, "Hook-tool calls by tool:\n{details}");
    let _ = writeln!(
        md,
        "Peak RSS is the charm's process tree (GNU time around the handler); one hook-tool client alone peaks at {} KiB. Wall time: median of {r_ours} runs (rust) and {r_py} (python); instructions and RSS: one run each.",
        tool_client_rss_kib().map_or("?".to_owned(), |k| k.to_string())
    );
    println!("{md}");
    let out = Path::new(ROOT).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("coordinator.md"), &md);
}
