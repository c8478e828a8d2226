//! The real worker side: a Tempo worker charm built on `coordinated_workers.worker.Worker`
//! from PyPI (tests/worker_charm, as Canonical's tempo-worker-k8s uses it) runs under
//! charm-sim against the tempo-cluster databag our coordinator wrote. It must accept it:
//! write Tempo's configuration into its (simulated) container, add Tempo's Pebble layer and
//! start the service, open the ports we asked for. Its own databags then go back to our
//! coordinator, which must read them as a working cluster.
//! Skips without PyPI (says so); under CI (`CI` set) it fails instead.

mod common;
#[path = "common/venv.rs"]
mod venv;
#[path = "common/worker_charm.rs"]
mod worker_charm;

use std::path::Path;

use charm_sim::EventSpec;
use common::*;
use juju_charm::Databag;

/// The worker charm staged, run by the venv's python through its own `src/charm.py`.
fn worker_dir(python: &Path) -> tempfile::TempDir {
    worker_charm::worker_dir(
        python,
        &[(
            "tests/python/charm_sim_pebble.py",
            "lib/charm_sim_pebble.py",
        )],
        "./src/charm.py",
        |_| String::new(),
    )
}

/// Runs the Python worker (config `role`: `all` or one role) on `published`, our
/// coordinator's databag for its application, and checks that it took it: Tempo's config
/// as we rendered it, Tempo started with the `target`, our ports opened, ready.
fn run_worker(dir: &Path, role: &str, published: &Databag, target: &str) -> charm_sim::Report {
    let config = if role == "all" {
        String::new()
    } else {
        format!("config: {{role-all: false, role-{role}: true}}\n")
    };
    let mut worker = state(&format!(
        "unit: worker/0\nmodel: cos\nleader: true\n{config}containers: [{{name: tempo}}]\n\
         relations:\n  - {{id: 7, endpoint: tempo-cluster, remote_app: tempo, remote_units: [tempo/0]}}\n",
    ));
    worker.relations[0].remote_app_data = published.clone();
    let r = process_in(
        dir,
        &worker,
        &EventSpec::on("tempo-cluster-relation-changed", "tempo-cluster:7").remote_unit("tempo/0"),
    );
    assert!(
        r.ok(),
        "the {role} worker failed:\n{}\n{}",
        r.stderr,
        r.human(false)
    );
    // It wrote Tempo's configuration, as we rendered it, where Tempo reads it...
    let tempo = r
        .state
        .containers
        .iter()
        .find(|c| c.name == "tempo")
        .expect("tempo container");
    let written: serde_yaml::Value = serde_yaml::from_str(
        tempo
            .files
            .get("/etc/worker/config.yaml")
            .expect("config pushed")
            .content(),
    )
    .expect("YAML");
    let ours: String = serde_json::from_str(&published["worker_config"]).expect("JSON string");
    let ours: serde_yaml::Value = serde_yaml::from_str(&ours).expect("YAML");
    assert_eq!(
        written, ours,
        "the {role} worker runs the config we rendered"
    );
    // ...added Tempo's layer and started it in its role...
    let report = r
        .containers
        .iter()
        .find(|c| c.name == "tempo")
        .expect("report");
    assert_eq!(
        report.plan.services["tempo"].command.as_deref(),
        Some(format!("/bin/tempo -config.file=/etc/worker/config.yaml -target {target}").as_str())
    );
    assert_eq!(
        report.services.get("tempo").map(String::as_str),
        Some("active")
    );
    // ...opened exactly the ports we asked for, and says it is ready.
    let mut ports: Vec<String> = serde_json::from_str::<Vec<u16>>(&published["worker_ports"])
        .expect("ports")
        .iter()
        .map(|p| format!("{p}/tcp"))
        .collect();
    ports.sort();
    let mut opened = r.opened_ports.clone();
    opened.sort();
    assert_eq!(opened, ports, "{role}");
    let ready = if role == "all" {
        "(all roles) ready.".to_owned()
    } else {
        format!("{role} ready.")
    };
    assert_eq!(status(&r), ("active".into(), ready));
    r
}

#[test]
fn the_python_worker_accepts_our_databag_and_starts_tempo() {
    let Some(python) = worker_charm::python() else {
        return;
    };
    // 1. Our coordinator, leader, with S3 and one `all` worker: its tempo-cluster databag.
    let coordinator = state(&format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n{CLUSTER}"
    ));
    let r = inproc(&coordinator, &EventSpec::new("config-changed"));
    assert!(r.ok(), "{}", r.stderr);
    let published = app_bag(&r, 901).clone();

    // 2. The Python worker takes it.
    let dir = worker_dir(&python);
    let r = run_worker(dir.path(), "all", &published, "scalable-single-binary");

    // 3. What the worker published goes back to our coordinator: a working cluster, with
    //    nginx sending queries to the address the worker gave.
    let worker_app = app_bag(&r, 7).clone();
    let worker_unit = unit_bag(&r, 7).clone();
    assert_eq!(worker_app.get("role").map(String::as_str), Some(r#""all""#));
    let address: String =
        serde_json::from_str(&worker_unit["address"]).expect("address is a JSON string");
    let mut back = coordinator.clone();
    let rel = back
        .relations
        .iter_mut()
        .find(|r| r.id == 901)
        .expect("relation");
    rel.remote_app = "worker".into();
    rel.remote_app_data = worker_app;
    rel.remote_units_data = [("worker/0".to_owned(), worker_unit)].into();
    let r = inproc(
        &back,
        &EventSpec::on("tempo-cluster-relation-changed", "tempo-cluster:901")
            .remote_unit("worker/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    assert_eq!(status(&r).0, "active", "{:?}", status(&r));
    let nginx_conf = pushed_nginx_conf(&r).expect("nginx.conf pushed");
    assert!(
        nginx_conf.contains(&format!("server {address}:3200 resolve;")),
        "{nginx_conf}"
    );
}

/// A distributed deployment: one worker application per role. Each role's Python worker
/// takes the databag we wrote for its application and starts Tempo with that target.
#[test]
fn each_role_of_a_distributed_deployment_starts_its_own_target() {
    let Some(python) = worker_charm::python() else {
        return;
    };
    let mut yaml = format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n\
         \x20 - {{id: 900, endpoint: s3, remote_app: s3-integrator, remote_units: [s3-integrator/0], remote_app_data: {{access-key: AK, secret-key: SK, bucket: tempo, endpoint: 'http://minio:9000'}}}}\n"
    );
    for (i, role) in deploy::ROLES.iter().enumerate() {
        yaml += &deploy::worker_relation(910 + i as u32, role, role, 1);
    }
    let r = inproc(&state(&yaml), &EventSpec::new("config-changed"));
    assert!(r.ok(), "{}", r.stderr);
    let dir = worker_dir(&python);
    for (i, role) in deploy::ROLES.iter().enumerate() {
        let published = app_bag(&r, 910 + i as u32).clone();
        run_worker(dir.path(), role, &published, role);
    }
}
