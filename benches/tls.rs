//! What TLS costs per hook: our release binary run by charm-sim on a steady-state
//! `update-status` (nothing changed) without a certificates relation, and with TLS on and
//! settled (the key in its secret, the certificate issued by a test CA and served); and the
//! hook that makes the key and the CSR (`certificates-relation-created`).
//!
//!     cargo bench --bench tls
//!
//! Per hook: wall time, instructions (callgrind, charm process only), hook-tool calls,
//! Pebble requests. The table goes to stdout and target/bench/tls.md.

use std::fmt::Write as _;
use std::path::Path;

mod common;
#[path = "../tests/common/tls_ca.rs"]
mod tls_ca;
use common::*;

use charm_sim::inprocess::run_in_process;
use charm_sim::{EventSpec, State};
use tempo_coordinator::{entry, Host};

const CHARM_BIN: &str = env!("CARGO_BIN_EXE_tempo-coordinator-k8s");

struct Pod;
impl Host for Pod {
    fn fqdn(&self) -> Option<String> {
        Some("tempo-0.tempo-endpoints.cos.svc.cluster.local".into())
    }
    fn resolver(&self) -> Option<String> {
        Some("10.152.183.10".into())
    }
    fn ipv6(&self) -> bool {
        false
    }
}

fn hook(state: &State, spec: &EventSpec) -> State {
    let r = run_in_process(state, spec, Path::new(ROOT), |env, runner| {
        entry(env, None, runner, &Pod)
    })
    .expect("simulator");
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    r.state
}

fn base(with_certificates: bool) -> State {
    let mut yaml = String::from(
        "unit: tempo/0\nmodel: cos\nleader: true\n\
         containers: [{name: nginx, exec: [{command: [update-ca-certificates]}, {command: [nginx]}]}, {name: nginx-prometheus-exporter}]\n\
         relations:\n  - {id: 900, endpoint: s3, remote_app: s3-integrator, remote_units: [s3-integrator/0], remote_app_data: {access-key: AK, secret-key: SK, bucket: tempo, endpoint: 'http://minio:9000'}}\n",
    );
    yaml += &deploy::worker_relation(901, "worker", "all", 3);
    yaml += "  - {id: 10, endpoint: tempo-api, remote_app: grafana, remote_units: [grafana/0]}\n";
    if with_certificates {
        yaml += "  - {id: 3, endpoint: certificates, remote_app: ca, remote_units: [ca/0]}\n";
    }
    serde_yaml::from_str(&yaml).expect("state")
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!("TLS benchmark: run with `cargo bench --bench tls`");
        return;
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let ours = ours(CHARM_BIN);
    let dir = tempfile::tempdir().expect("tmp");
    // Settled without TLS; related (before the key exists); settled with TLS.
    let plain = hook(
        &hook(&base(false), &EventSpec::new("config-changed")),
        &EventSpec::new("update-status"),
    );
    // Related now, on the settled plain state: the next hook makes the key and the CSR.
    let mut related = plain.clone();
    related
        .relations
        .extend(base(true).relations.into_iter().filter(|r| r.id == 3));
    let mut issued = hook(
        &related,
        &EventSpec::on("certificates-relation-created", "certificates:3"),
    );
    let mut ca = tls_ca::TestCa::new("Bench CA");
    let rel = issued
        .relations
        .iter_mut()
        .find(|r| r.id == 3)
        .expect("certificates");
    rel.remote_app_data = ca.answer(&rel.local_unit, &Default::default(), false);
    let settled = hook(
        &hook(
            &issued,
            &EventSpec::on("certificates-relation-changed", "certificates:3").remote_unit("ca/0"),
        ),
        &EventSpec::new("update-status"),
    );
    let cases: [(&str, &State, &[&str]); 3] = [
        (
            "update-status, no TLS",
            &plain,
            &["--event", "update-status"],
        ),
        (
            "update-status, TLS settled",
            &settled,
            &["--event", "update-status"],
        ),
        (
            "certificates-relation-created (key + CSR made)",
            &related,
            &[
                "--event",
                "certificates-relation-created",
                "--relation",
                "certificates:3",
            ],
        ),
    ];
    let mut md = String::from("| case | wall median ms | instructions | hook-tool calls | Pebble requests |\n|---|---|---|---|---|\n");
    for (name, state, event) in cases {
        let path = dir.path().join("state.yaml");
        std::fs::write(&path, serde_yaml::to_string(state).expect("yaml")).expect("write");
        let mut f = Figures::default();
        for _ in 0..if quick { 3 } else { 10 } {
            f.add(&run(&ours, &path, event, None, None));
        }
        let instr = instructions(&ours, &path, event);
        let _ = writeln!(
            md,
            "| {name} | {:.1} | {} | {} ({}) | {} |",
            f.median(),
            instr.map_or("n/a".into(), |i| i.to_string()),
            f.total_calls,
            calls_text(&f.calls),
            f.pebble_requests
        );
    }
    println!("{md}");
    let out = Path::new(ROOT).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("tls.md"), md);
}
