//! Fault injection and the exit-code policy (ARCHITECTURE.md), through the real binaries
//! under charm-sim: transient or internal faults fail the hook (exit 1) with a clear log line
//! and leave no partial write; bad remote data or config ends in a status and exit 0.

mod common;

use std::path::Path;

use charm_sim::{EventSpec, Report, State};
use common::*;

fn three() -> String {
    format!("unit: tempo/0
leader: true
{CONTAINERS}relations:
  - {{id: 10, endpoint: tempo-api, remote_app: grafana0, local_app: {{http: old}}}}
  - {{id: 11, endpoint: tempo-api, remote_app: grafana1}}
  - {{id: 12, endpoint: tempo-api, remote_app: grafana2}}
  - {{id: 7, endpoint: ingress, remote_app: traefik, remote_app_data: {{external_host: t.example, scheme: http}}}}
{CLUSTER}")
}

fn local_bags(s: &State) -> Vec<(u32, String, String)> {
    s.relations
        .iter()
        .map(|r| {
            (
                r.id,
                format!("{:?}", r.local_app),
                format!("{:?}", r.local_unit),
            )
        })
        .collect()
}

/// Runs `spec` on `yaml` with `faults` added, through the real binary.
fn with_faults(yaml: &str, faults: &str, spec: &EventSpec) -> (State, Report) {
    let dir = coordinator_dir();
    let before = state(&format!("{yaml}faults:\n{faults}"));
    let report = process_in(dir.path(), &before, spec);
    (before, report)
}

#[track_caller]
fn assert_failed_cleanly(before: &State, r: &Report, needle: &str) {
    assert_eq!(r.exit_code, 1, "stderr: {}", r.stderr);
    assert!(!r.committed);
    assert_eq!(local_bags(before), local_bags(&r.state), "no partial write");
    assert!(
        r.stderr.contains(needle),
        "stderr lacks {needle:?}: {}",
        r.stderr
    );
}

#[test]
fn each_failing_hook_tool_fails_the_hook_without_partial_writes() {
    for tool in [
        "config-get",
        "is-leader",
        "relation-ids",
        "relation-list",
        "relation-get",
        "relation-set",
        "status-set",
        "application-version-set",
    ] {
        let faults = format!("  fail_tool: [{{tool: {tool}, exit_code: 1, stderr: \"ERROR injected {tool} failure\\n\"}}]\n");
        let (before, r) = with_faults(&three(), &faults, &EventSpec::new("upgrade-charm"));
        assert_failed_cleanly(&before, &r, &format!("injected {tool} failure"));
        if tool != "config-get" {
            assert!(
                r.logs
                    .iter()
                    .any(|l| l.level == "ERROR" && l.message.contains(tool)),
                "{tool}: no juju-log ERROR line: {:?}",
                r.logs
            );
        }
    }
}

#[test]
fn a_failure_of_the_second_relation_set_discards_the_first() {
    let faults =
        "  fail_tool: [{tool: relation-set, call: 2, exit_code: 1, stderr: \"ERROR boom\\n\"}]\n";
    let (before, r) = with_faults(&three(), faults, &EventSpec::new("leader-elected"));
    assert_failed_cleanly(&before, &r, "boom");
    assert_eq!(
        r.calls.iter().filter(|c| c.tool == "relation-set").count(),
        2,
        "stopped at the failure"
    );
}

#[test]
fn a_missing_hook_tool_fails_the_hook_and_says_so() {
    for tool in ["is-leader", "relation-set", "status-set"] {
        let faults = format!("  missing_tools: [{tool}]\n");
        let (before, r) = with_faults(&three(), &faults, &EventSpec::new("config-changed"));
        assert_failed_cleanly(
            &before,
            &r,
            &format!("hook tool `{tool}` was not found on PATH"),
        );
    }
}

#[test]
fn a_relation_removed_mid_hook_is_skipped_and_the_rest_published() {
    // 17 reads (config, leadership, endpoints, Traefik, S3, the worker, ports), five ports
    // opened, then the sets: the relation goes between the reads and the writes.
    let (_, r) = with_faults(
        &three(),
        "  relation_vanishes: {id: 11, after_calls: 20}\n",
        &EventSpec::new("update-status"),
    );
    assert!(r.ok(), "{}", r.stderr);
    assert!(r.relation(11).is_none());
    assert!(app_bag(&r, 10)["http"].contains("ingress_url"));
    assert!(app_bag(&r, 12)["http"].contains("ingress_url"));
    assert!(
        r.logs
            .iter()
            .any(|l| l.level == "WARNING" && l.message.contains("tempo-api:11")),
        "{:?}",
        r.logs
    );
}

#[test]
fn the_ingress_relation_removed_mid_hook_is_ignored() {
    let (_, r) = with_faults(
        &three(),
        "  relation_vanishes: {id: 7, after_calls: 4}\n",
        &EventSpec::new("update-status"),
    );
    assert!(r.ok(), "{}", r.stderr);
    assert!(!app_bag(&r, 10)["http"].contains("ingress_url"));
}

#[test]
fn leadership_lost_mid_hook_fails_the_hook_and_commits_nothing() {
    let (before, r) = with_faults(
        &three(),
        "  leadership_lost_after_calls: 7\n",
        &EventSpec::new("leader-elected"),
    );
    assert_failed_cleanly(&before, &r, "leadership was lost during the hook");
    assert!(r
        .logs
        .iter()
        .any(|l| l.level == "ERROR" && l.message.contains("leadership was lost")));
}

#[test]
fn malformed_environment_fails_with_the_variable_named() {
    for (env, needle) in [
        ("{JUJU_UNIT_NAME: null}", "`JUJU_UNIT_NAME` is not set"),
        (
            "{JUJU_VERSION: banana}",
            "`JUJU_VERSION` has a malformed value `banana`",
        ),
        (
            "{JUJU_RELATION_ID: 'tempo-api:x'}",
            "`JUJU_RELATION_ID` has a malformed value",
        ),
        (
            "{JUJU_DISPATCH_PATH: 'nonsense'}",
            "`JUJU_DISPATCH_PATH` has a malformed value",
        ),
    ] {
        let (before, r) = with_faults(
            &three(),
            &format!("  env: {env}\n"),
            &EventSpec::on("tempo-api-relation-changed", "tempo-api:10"),
        );
        assert_failed_cleanly(&before, &r, needle);
        assert!(
            r.logs
                .iter()
                .any(|l| l.level == "ERROR" && l.message.contains(needle)),
            "{env}: {:?}",
            r.logs
        );
    }
}

#[test]
fn logs_never_dump_the_environment() {
    let (_, r) = with_faults(
        &three(),
        "  fail_tool: [{tool: relation-set}]\n",
        &EventSpec::new("leader-elected"),
    );
    let text: String = r
        .logs
        .iter()
        .map(|l| l.message.clone())
        .collect::<Vec<_>>()
        .join("\n")
        + &r.stderr;
    for secret in [
        "JUJU_CONTEXT_ID",
        "JUJU_AGENT_SOCKET_ADDRESS",
        &r.state.model_uuid,
        "JUJU_API_ADDRESSES",
        "KUBERNETES_SERVICE_HOST",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} appears in the logs: {text}"
        );
    }
}

#[test]
fn missing_metadata_or_dispatch_is_handled_as_juju_does() {
    let dir = coordinator_dir();
    std::fs::remove_file(dir.path().join("metadata.yaml")).unwrap();
    let r = process_in(dir.path(), &state(&three()), &EventSpec::new("install"));
    assert_eq!(r.exit_code, 1);
    assert!(r.stderr.contains("charm missing from disk"));

    let dir = coordinator_dir();
    std::fs::remove_file(dir.path().join("dispatch")).unwrap();
    let r = process_in(dir.path(), &state(&three()), &EventSpec::new("install"));
    assert_eq!(
        r.exit_code, 0,
        "no dispatch and no hooks/install: a missing hook succeeds"
    );
    assert!(r.skipped.as_deref().unwrap_or("").contains("missing"));
}

#[test]
fn tester_refuses_metadata_without_limit_one() {
    let dir = tester_dir();
    for (meta, needle) in [
        (
            "name: tempo-api-tester\nrequires:\n  tempo-api: {interface: tempo_api}\n",
            "needs `limit: 1`",
        ),
        (
            "name: tempo-api-tester\nprovides:\n  tempo-api: {interface: tempo_api}\n",
            "not found under `requires`",
        ),
        // (metadata.yaml that is not YAML: Juju would not deploy the charm, and charm-sim
        // refuses to run it, naming the file: tests/sim_cli.rs)
    ] {
        std::fs::write(dir.path().join("metadata.yaml"), meta).unwrap();
        let r = process_in(
            dir.path(),
            &state("unit: tester/0\nleader: true\n"),
            &EventSpec::new("update-status"),
        );
        assert_eq!(r.exit_code, 1, "{meta}");
        assert!(r.stderr.contains(needle), "{meta}: {}", r.stderr);
    }
}

#[test]
fn hostile_values_round_trip_through_stdin_unchanged() {
    let echo = echo_bin();
    assert!(echo.is_file(), "{} not built", echo.display());
    let dir = charm_dir(".", echo.to_str().unwrap(), &["dispatch"]);
    std::fs::write(
        dir.path().join("metadata.yaml"),
        "name: echo\nrequires:\n  db: {interface: x}\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("dispatch"), "#!/bin/sh\nexec ./bin/echo\n").unwrap();
    let mut hostile =
        String::from("$(touch /tmp/pwned); `id` | rm -rf / && echo '\"' \\ \n\r\t{\"k\": [1]}\n");
    hostile.push_str(&"x".repeat(1 << 20));
    let mut s = state("unit: echo/0\nrelations:\n  - {id: 2, endpoint: db, remote_app: pg, remote_units: [pg/0]}\n");
    s.relations[0].remote_units_data.insert(
        "pg/0".into(),
        [("message".to_owned(), hostile.clone())].into(),
    );
    let r = process_in(
        dir.path(),
        &s,
        &EventSpec::on("db-relation-changed", "db:2").remote_unit("pg/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    assert_eq!(unit_bag(&r, 2).get("message"), Some(&hostile));
    let set = r
        .calls
        .iter()
        .find(|c| c.tool == "relation-set")
        .expect("relation-set called");
    assert!(
        set.args.iter().all(|a| a.len() < 100),
        "data never goes on argv: {:?}",
        set.args
    );
    assert!(!Path::new("/tmp/pwned").exists());
}

/// Run by `a_panic_is_reported_once_and_fails` in a child process.
#[test]
#[ignore = "child half of a_panic_is_reported_once_and_fails"]
fn panic_child() {
    juju_charm::log::install_panic_hook("panic-child", juju_charm::ProcessRunner);
    if std::env::var_os("PANIC_CHILD").is_some() {
        panic!("deliberate panic for the panic-hook test");
    }
}

#[test]
fn a_panic_is_reported_once_and_fails() {
    let work = tempfile::tempdir().unwrap();
    let log = work.path().join("juju-log.args");
    let fake = work.path().join("juju-log");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\nprintf '%s\\n' \"$*\" >> {}\n", log.display()),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "panic_child", "--test-threads=1"])
        .env(
            "PATH",
            format!(
                "{}:{}",
                work.path().display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env("PANIC_CHILD", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let lines = std::fs::read_to_string(&log).unwrap_or_default();
    let lines: Vec<&str> = lines.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("--log-level ERROR -- panic-child panicked"),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("deliberate panic"), "{}", lines[0]);
}
