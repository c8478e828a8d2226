//! Helpers shared by the integration tests: a staged charm directory around the real
//! compiled binary, and runs of one event through both transports of the simulator.
#![allow(dead_code)]

pub mod bins;
pub mod cos;
pub mod deploy;
pub mod recorded;
pub use bins::workspace_bin;

use std::path::{Path, PathBuf};

use charm_sim::inprocess::run_in_process;
use charm_sim::process::{run_process, ProcessOptions};
use charm_sim::{EventSpec, Report, State};
use serde_json::Value;
use tempo_coordinator::{entry, Host};

/// A working cluster: S3 and one `all` worker, and both containers up.
pub const CLUSTER: &str = "  - {id: 900, endpoint: s3, remote_app: s3-integrator, remote_units: [s3-integrator/0], remote_app_data: {access-key: AK, secret-key: SK, bucket: tempo, endpoint: 'http://minio:9000'}}\n  - {id: 901, endpoint: tempo-cluster, remote_app: worker, remote_units: [worker/0], remote_app_data: {role: '\"compactor,distributor,ingester,querier,query-frontend\"'}, remote_units_data: {worker/0: {address: '\"worker-0.worker-endpoints.cos.svc.cluster.local\"', juju_topology: '{\"application\": \"worker\", \"unit\": \"worker/0\", \"charm_name\": \"tempo-worker-k8s\"}'}}}\n";
pub const CONTAINERS: &str = "containers: [{name: nginx, exec: [{command: [nginx, -t]}]}, {name: nginx-prometheus-exporter}]\n";

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
pub const CHARM_BIN: &str = env!("CARGO_BIN_EXE_tempo-coordinator-k8s");

/// The `charm-sim` executable (the simulator's package, built on first use).
pub fn sim_bin() -> PathBuf {
    workspace_bin("charm-sim")
}

/// The tester charm's executable.
pub fn tester_bin() -> PathBuf {
    workspace_bin("tempo-api-tester")
}

/// The layer's echo example charm.
pub fn echo_bin() -> PathBuf {
    workspace_bin("examples/echo")
}

/// Off Kubernetes: no pod FQDN; the resolver and IPv6 are this machine's, as the real
/// binary sees them in the process transport.
pub struct NoK8s;
impl Host for NoK8s {
    fn fqdn(&self) -> Option<String> {
        None
    }
    fn resolver(&self) -> Option<String> {
        tempo_coordinator::RealHost.resolver()
    }
    fn ipv6(&self) -> bool {
        tempo_coordinator::RealHost.ipv6()
    }
}

/// A charm directory as it is packed: metadata.yaml, config.yaml, the repo's `dispatch`
/// and `bin/<binary>` (a copy of the compiled binary).
pub fn charm_dir(source: &str, binary: &str, files: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = Path::new(ROOT).join(source);
    for f in files {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap_or_else(|e| panic!("copy {f}: {e}"));
    }
    std::fs::create_dir(dir.path().join("bin")).expect("bin dir");
    let name = Path::new(binary).file_name().expect("binary name");
    std::fs::copy(binary, dir.path().join("bin").join(name)).expect("copy binary");
    dir
}

pub fn coordinator_dir() -> tempfile::TempDir {
    charm_dir(
        ".",
        CHARM_BIN,
        &[
            "metadata.yaml",
            "config.yaml",
            "charmcraft.yaml",
            "dispatch",
        ],
    )
}

pub fn tester_dir() -> tempfile::TempDir {
    charm_dir(
        "crates/tempo-api-tester",
        tester_bin().to_str().expect("utf-8 path"),
        &["metadata.yaml", "dispatch"],
    )
}

pub fn state(yaml: &str) -> State {
    State::from_yaml(yaml).unwrap_or_else(|e| panic!("bad test state: {e}\n{yaml}"))
}

/// Runs the coordinator in-process (through the in-process runner).
pub fn inproc(state: &State, spec: &EventSpec) -> Report {
    run_in_process(state, spec, Path::new(ROOT), |env, runner| {
        entry(env, None, runner, &NoK8s)
    })
    .expect("in-process run")
}

/// Runs the real binary through `dispatch` with charm-sim's tools on PATH.
pub fn process_in(dir: &Path, state: &State, spec: &EventSpec) -> Report {
    let opts = ProcessOptions::new(sim_bin());
    run_process(state, spec, dir, &opts, 7).expect("process run")
}

/// What both transports must agree on.
pub fn observable(r: &Report) -> Value {
    let mut v = serde_json::to_value(r).expect("report serialises");
    if let Value::Object(m) = &mut v {
        for k in ["wall_time_s", "stderr"] {
            m.remove(k);
        }
    }
    v
}

/// The charm's invariant: every input read at most once per hook, every databag (and each
/// status) written at most once.
#[track_caller]
pub fn assert_no_repeated_calls(r: &Report) {
    let mut seen = std::collections::BTreeSet::new();
    for c in &r.calls {
        if matches!(c.tool.as_str(), "juju-log" | "application-version-set") {
            continue;
        }
        let key = format!("{} {}", c.tool, c.args.join(" "));
        assert!(seen.insert(key.clone()), "repeated in {}: {key}", r.event);
    }
}

/// Runs the event both ways and checks they agree; returns the process run's report.
pub fn both(dir: &Path, state: &State, spec: &EventSpec) -> Report {
    let a = inproc(state, spec);
    assert_no_repeated_calls(&a);
    let b = process_in(dir, state, spec);
    assert_eq!(
        observable(&a),
        observable(&b),
        "in-process and process transports disagree on {spec:?}\nstderr: {}",
        b.stderr
    );
    b
}

pub fn app_bag(r: &Report, id: u32) -> &juju_charm::Databag {
    &r.relation(id)
        .unwrap_or_else(|| panic!("relation {id} missing from report"))
        .local_app
}

pub fn unit_bag(r: &Report, id: u32) -> &juju_charm::Databag {
    &r.relation(id)
        .unwrap_or_else(|| panic!("relation {id} missing from report"))
        .local_unit
}

pub fn status(r: &Report) -> (String, String) {
    let s = r.unit_status.as_ref().expect("unit status set");
    (s.status.clone(), s.message.clone())
}

/// The nginx.conf the charm has pushed to the `nginx` container, after the hook.
pub fn pushed_nginx_conf(r: &Report) -> Option<String> {
    r.state
        .containers
        .iter()
        .find(|c| c.name == "nginx")
        .and_then(|c| c.files.get(tempo_coordinator::nginx::CONFIG_PATH))
        .map(|f| f.content().to_owned())
}
