//! The layer's echo example charm (crates/juju-charm/examples/echo.rs), run as a real binary
//! under charm-sim with a workload container: what a charm author copies must work.

mod common;

use charm_sim::pebble::ContainerState;
use charm_sim::EventSpec;
use common::*;

fn echo_dir() -> tempfile::TempDir {
    let echo = echo_bin();
    let dir = charm_dir(".", echo.to_str().expect("utf-8 path"), &[]);
    std::fs::write(
        dir.path().join("metadata.yaml"),
        "name: echo\ncontainers:\n  workload: {resource: img}\nrequires:\n  db: {interface: x}\n",
    )
    .expect("metadata");
    std::fs::write(dir.path().join("dispatch"), "#!/bin/sh\nexec ./bin/echo\n").expect("dispatch");
    let mut perms = std::fs::metadata(dir.path().join("dispatch"))
        .expect("meta")
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(dir.path().join("dispatch"), perms).expect("chmod");
    dir
}

#[test]
fn pebble_ready_pushes_the_file_and_starts_the_service() {
    let dir = echo_dir();
    let mut s = state("unit: echo/0\n");
    s.containers.push(ContainerState::new("workload"));
    let r = process_in(dir.path(), &s, &EventSpec::new("workload-pebble-ready"));
    assert!(r.ok(), "{}", r.stderr);
    assert_eq!(status(&r), ("active".into(), "echoing".into()));
    let c = &r.state.containers[0];
    assert_eq!(
        c.files["/etc/echo/motd"].content(),
        "hello from a Rust charm\n"
    );
    assert_eq!(c.services["echo"], "active");
    let report = &r.containers[0];
    assert_eq!(
        report.plan.services["echo"].command.as_deref(),
        Some("sleep infinity")
    );
    assert_eq!(
        report.pebble_requests,
        [
            "POST /v1/files",
            "POST /v1/layers",
            "POST /v1/services",
            "GET /v1/changes/1/wait"
        ]
    );
    // The next pebble-ready (a restarted pod) changes nothing and starts nothing again.
    let again = process_in(
        dir.path(),
        &r.state,
        &EventSpec::new("workload-pebble-ready"),
    );
    assert!(again.ok(), "{}", again.stderr);
    assert_eq!(again.state.containers[0].services["echo"], "active");
}

#[test]
fn an_unreachable_container_means_waiting_and_exit_0() {
    let dir = echo_dir();
    let mut s = state("unit: echo/0\n");
    let mut c = ContainerState::new("workload");
    c.can_connect = false;
    s.containers.push(c);
    let r = process_in(dir.path(), &s, &EventSpec::new("workload-pebble-ready"));
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    assert_eq!(
        status(&r),
        ("waiting".into(), "waiting for workload".into())
    );
    assert!(r.state.containers[0].files.is_empty());
}

#[test]
fn a_service_that_fails_to_start_fails_the_hook() {
    let dir = echo_dir();
    let mut s = state("unit: echo/0\n");
    let mut c = ContainerState::new("workload");
    c.faults.fail_start = vec!["echo".into()];
    s.containers.push(c);
    let r = process_in(dir.path(), &s, &EventSpec::new("workload-pebble-ready"));
    assert_eq!(r.exit_code, 1);
    assert!(
        r.stderr.contains("Start service \\\"echo\\\"")
            || r.stderr.contains("Start service \"echo\""),
        "{}",
        r.stderr
    );
    assert_eq!(r.state.containers[0].services["echo"], "backoff");
}
