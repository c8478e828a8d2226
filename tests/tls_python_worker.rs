//! The real Python worker (a charm on PyPI's `coordinated_workers.worker.Worker` 4.1.4,
//! tests/worker_charm) fed the TLS databag our coordinator writes once its certificate is
//! issued: it reads the private key through the secret we granted its application, writes
//! the certificate, key and CA where Tempo's TLS sections (ours) point, installs the CA, and
//! runs Tempo with our config. Its charm-container CA write and `update-ca-certificates` are
//! redirected (tests/tls/worker_main.py): the charm container is this machine.
//! Skips without PyPI (says so); under CI it fails instead.

mod common;
#[path = "common/tls_ca.rs"]
mod tls_ca;
#[path = "common/venv.rs"]
mod venv;
#[path = "common/worker_charm.rs"]
mod worker_charm;

use std::path::Path;

use charm_sim::EventSpec;
use common::*;
use serde_json::json;

/// The worker charm staged, started through tests/tls/worker_main.py (its charm-container
/// CA write and `update-ca-certificates` redirected into the charm directory).
fn worker_dir(python: &Path) -> tempfile::TempDir {
    worker_charm::worker_dir(
        python,
        &[
            (
                "tests/python/charm_sim_pebble.py",
                "lib/charm_sim_pebble.py",
            ),
            ("tests/tls/worker_main.py", "lib/worker_main.py"),
        ],
        "lib/worker_main.py",
        |d| {
            let d = d.display();
            format!("WORKER_CHARM_CA={d}/charm-ca.crt WORKER_CHARM_RUNS={d}/runs.jsonl ")
        },
    )
}

#[test]
fn the_python_worker_takes_our_tls_databag_and_reads_the_key_through_our_grant() {
    let Some(python) = worker_charm::python() else {
        return;
    };
    // 1. Our coordinator with S3, one worker and a certificates relation: CSR, then the
    //    test CA's answer, then the TLS databag and the key's secret granted to `worker`.
    let yaml = format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n{CLUSTER}\
         \x20 - {{id: 3, endpoint: certificates, remote_app: ca, remote_units: [ca/0]}}\n"
    );
    let mut ca = tls_ca::TestCa::new("Tempo Test CA");
    let r = tls_ca::issue_on_relation_3(&state(&yaml), &mut ca, inproc);
    let published = app_bag(&r, 901).clone();
    let secret_id: String = serde_json::from_str(&published["privkey_secret_id"]).unwrap();
    let secret = r
        .state
        .secrets
        .iter()
        .find(|x| {
            charm_sim::state::bare_secret_id(&x.id) == charm_sim::state::bare_secret_id(&secret_id)
        })
        .expect("the key's secret");
    assert!(
        secret
            .grants
            .iter()
            .any(|g| g.relation == 901 && g.target == "worker"),
        "granted to the worker application over its relation: {:?}",
        secret.grants
    );
    let key = secret
        .revisions
        .last()
        .map_or_else(|| secret.content.clone(), |r| r.content.clone())["private-key"]
        .clone();
    let cert: String = serde_json::from_str(&published["server_cert"]).unwrap();

    // 2. The worker, seeing that secret as Juju shows another application's granted secret.
    let dir = worker_dir(&python);
    let mut worker = state(
        "unit: worker/0\nmodel: cos\nleader: true\ncontainers: [{name: tempo}]\n\
         relations:\n  - {id: 7, endpoint: tempo-cluster, remote_app: tempo, remote_units: [tempo/0]}\n",
    );
    worker.relations[0].remote_app_data = published.clone();
    worker.containers[0].exec =
        serde_json::from_value(json!([{"command": ["update-ca-certificates"]}])).unwrap();
    worker.secrets =
        serde_json::from_value(json!([{"id": secret_id, "content": {"private-key": key}}]))
            .unwrap();
    let r = process_in(
        dir.path(),
        &worker,
        &EventSpec::on("tempo-cluster-relation-changed", "tempo-cluster:7").remote_unit("tempo/0"),
    );
    assert!(
        r.ok(),
        "the worker failed:\n{}\n{}",
        r.stderr,
        r.human(false)
    );
    let tempo = r
        .state
        .containers
        .iter()
        .find(|c| c.name == "tempo")
        .unwrap();
    let file = |p: &str| tempo.files.get(p).map(|f| f.content().trim().to_owned());
    assert_eq!(
        file("/etc/worker/private.key"),
        Some(key.trim().to_owned()),
        "key read through our grant"
    );
    assert_eq!(file("/etc/worker/server.cert"), Some(cert.clone()));
    assert_eq!(
        file("/usr/local/share/ca-certificates/ca.crt"),
        Some(ca.cert.clone())
    );
    // Tempo's config as we rendered it, with its TLS sections pointing at those files.
    let written: serde_yaml::Value =
        serde_yaml::from_str(&file("/etc/worker/config.yaml").expect("config")).unwrap();
    let ours: String = serde_json::from_str(&published["worker_config"]).unwrap();
    let ours: serde_yaml::Value = serde_yaml::from_str(&ours).unwrap();
    assert_eq!(written, ours);
    assert_eq!(
        written["server"]["http_tls_config"]["key_file"].as_str(),
        Some("/etc/worker/private.key")
    );
    let execs: Vec<Vec<String>> = r
        .containers
        .iter()
        .find(|c| c.name == "tempo")
        .unwrap()
        .exec_calls
        .iter()
        .map(|e| e.command.clone())
        .collect();
    assert!(
        execs.contains(&vec![
            "update-ca-certificates".to_owned(),
            "--fresh".to_owned()
        ]),
        "{execs:?}"
    );
    let report = r.containers.iter().find(|c| c.name == "tempo").unwrap();
    assert_eq!(
        report.services.get("tempo").map(String::as_str),
        Some("active")
    );
    assert_eq!(status(&r).0, "active", "{:?}", status(&r));
}
