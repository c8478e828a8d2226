//! Hostile and large inputs under charm-sim: nginx's own check before a config replaces the
//! running one, identity from Juju's unit names, colliding remote-write hosts, secrets that
//! never reach a log line or a status, and config outside what its consumer accepts.

mod common;

use charm_sim::pebble::{CannedExec, FileState};
use charm_sim::EventSpec;
use common::*;
use tempo_coordinator::nginx::CONFIG_PATH;
use tempo_coordinator::workload::CANDIDATE_PATH;

const OLD_CONFIG: &str = "events {}\nhttp {}\n";

/// A working cluster whose nginx already runs `OLD_CONFIG` (its layer in place, the service
/// active), with `nginx -t` answering `check` (exit code, stderr).
fn running_with_check(check: (i64, &str)) -> charm_sim::State {
    let first = inproc(
        &state(&format!(
            "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n{CLUSTER}"
        )),
        &EventSpec::new("config-changed"),
    );
    assert_eq!(first.exit_code, 0, "{}", first.stderr);
    let mut s = first.state;
    let c = s
        .containers
        .iter_mut()
        .find(|c| c.name == "nginx")
        .expect("nginx container");
    assert_eq!(c.services.get("nginx").map(String::as_str), Some("active"));
    c.files
        .insert(CONFIG_PATH.into(), FileState::Text(OLD_CONFIG.into()));
    c.files.remove(CANDIDATE_PATH);
    c.exec_calls.clear();
    c.exec = vec![
        CannedExec {
            command: vec!["nginx".into(), "-t".into()],
            stdout: String::new(),
            stderr: check.1.into(),
            exit_code: check.0,
        },
        CannedExec {
            command: vec!["nginx".into(), "-s".into(), "reload".into()],
            stdout: String::new(),
            stderr: String::new(),
            exit_code: 0,
        },
    ];
    s
}

fn nginx_container(r: &charm_sim::Report) -> &charm_sim::pebble::ContainerState {
    r.state
        .containers
        .iter()
        .find(|c| c.name == "nginx")
        .expect("nginx container")
}

fn commands(r: &charm_sim::Report) -> Vec<String> {
    nginx_container(r)
        .exec_calls
        .iter()
        .map(|c| c.command.join(" "))
        .collect()
}

#[test]
fn a_config_nginx_refuses_is_never_installed() {
    let stderr = "nginx: [emerg] unknown directive \"bogus\" in /etc/nginx/nginx.conf.candidate:3\nnginx: configuration file /etc/nginx/nginx.conf.candidate test failed\n";
    let r = inproc(
        &running_with_check((1, stderr)),
        &EventSpec::new("config-changed"),
    );
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    let c = nginx_container(&r);
    // The running config is untouched; the candidate was checked, nothing reloaded.
    assert_eq!(c.files[CONFIG_PATH].content(), OLD_CONFIG);
    assert!(c.files.contains_key(CANDIDATE_PATH));
    assert_eq!(
        commands(&r),
        [format!("nginx -t -c {CANDIDATE_PATH}")],
        "no reload after a refusal"
    );
    let (st, msg) = status(&r);
    assert_eq!(st, "blocked");
    assert!(
        msg.contains("nginx refused the new configuration")
            && msg.contains("unknown directive")
            && msg.contains("nginx.conf.candidate:3"),
        "{msg}"
    );
    assert_eq!(
        r.app_status.as_ref().map(|s| s.status.as_str()),
        Some("blocked")
    );
    // The log names the offending line of the candidate (line 3).
    let candidate_line3 = c.files[CANDIDATE_PATH]
        .content()
        .lines()
        .nth(2)
        .expect("line 3")
        .trim()
        .to_owned();
    assert!(
        r.logs
            .iter()
            .any(|l| l.level == "ERROR" && l.message.contains(&candidate_line3)),
        "{:?}",
        r.logs
    );
}

#[test]
fn an_accepted_config_replaces_the_running_one_and_reloads() {
    let r = inproc(
        &running_with_check((0, "")),
        &EventSpec::new("config-changed"),
    );
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    assert_eq!(status(&r).0, "active");
    let c = nginx_container(&r);
    assert_eq!(
        c.files[CONFIG_PATH].content(),
        c.files[CANDIDATE_PATH].content(),
        "what was checked is what is installed"
    );
    assert_eq!(
        commands(&r),
        [
            format!("nginx -t -c {CANDIDATE_PATH}"),
            "nginx -s reload".to_owned()
        ]
    );
}

#[test]
fn an_unchanged_config_costs_no_check() {
    let first = inproc(
        &running_with_check((0, "")),
        &EventSpec::new("config-changed"),
    );
    let mut again = first.state.clone();
    for c in &mut again.containers {
        c.exec_calls.clear();
    }
    let r = inproc(&again, &EventSpec::new("update-status"));
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    assert!(commands(&r).is_empty(), "{:?}", commands(&r));
    let nginx = r.containers.iter().find(|c| c.name == "nginx").unwrap();
    assert_eq!(
        nginx.pebble_requests,
        ["GET /v1/files", "GET /v1/plan", "GET /v1/services"],
        "a pull, the plan and the service: nothing pushed, nothing run"
    );
}

/// A hostile or garbled S3 databag: whatever is wrong, the keys never reach a log line, a
/// status, stderr, or a databag other than the workers' configuration.
#[test]
fn s3_secrets_never_reach_logs_statuses_or_errors() {
    const SECRET: &str = "Zm9vYmFyc2VjcmV0";
    let cases = [
        // A number where the secret key belongs (serde would quote it in a type error).
        format!("{{access-key: AK, secret-key: '8008512345', bucket: tempo, endpoint: 'http://{SECRET}:9000/x'}}"),
        format!("{{access-key: '{SECRET}', secret-key: '{SECRET}', bucket: 'a b {SECRET}', endpoint: 'http://minio:9000'}}"),
        format!("{{access-key: '{SECRET}', secret-key: '[\"{SECRET}\"]', bucket: tempo, endpoint: 'http://minio:9000'}}"),
        format!("{{access-key: '{SECRET}', secret-key: '{SECRET}', bucket: tempo, endpoint: 'http://minio:9000', tls-ca-chain: '{{\"{SECRET}\": 1}}'}}"),
        format!("{{access-key: '{SECRET}', secret-key: '{SECRET}', bucket: tempo, endpoint: '$(echo {SECRET})', region: '{SECRET};'}}"),
    ];
    for data in cases {
        let yaml = format!(
            "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}config: {{log-level: debug}}\nrelations:\n  - {{id: 900, endpoint: s3, remote_app: s3-integrator, remote_units: [s3-integrator/0], remote_app_data: {data}}}\n{}",
            deploy::worker_relation(901, "worker", "all", 1)
        );
        let r = inproc(
            &state(&yaml),
            &EventSpec::on("s3-relation-changed", "s3:900"),
        );
        assert_eq!(r.exit_code, 0, "{}", r.stderr);
        let (st, msg) = status(&r);
        assert_eq!(
            (st.as_str(), msg.as_str()),
            ("blocked", "[s3] S3 not ready (probably misconfigured).")
        );
        assert!(
            r.logs
                .iter()
                .any(|l| l.message.contains("S3 is not usable")),
            "the problem is logged: {:?}",
            r.logs
        );
        for l in &r.logs {
            assert!(
                !l.message.contains(SECRET) && !l.message.contains("8008512345"),
                "{l:?}"
            );
        }
        assert!(!r.stderr.contains(SECRET), "{}", r.stderr);
        assert!(!format!("{:?}", r.app_status).contains(SECRET));
    }
}

/// An option outside what its consumer accepts blocks with the `juju config` fix and pushes
/// nothing: no worker configuration, no nginx.conf, no ports (the cluster keeps its last
/// configuration; a default retention could have the compactor delete data).
#[test]
fn config_out_of_bounds_blocks_with_the_fix_and_pushes_nothing() {
    for (config, needle) in [
        ("{retention-period: 0}", "retention-period must be"),
        ("{retention-period: 2562048}", "retention-period must be"),
        (
            "{memory_limit: '2 GB'}",
            "memory_limit must be a Kubernetes quantity",
        ),
    ] {
        let yaml = format!(
            "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}config: {config}\nrelations:\n{CLUSTER}"
        );
        let r = inproc(&state(&yaml), &EventSpec::new("config-changed"));
        assert_eq!(r.exit_code, 0, "{}", r.stderr);
        let (st, msg) = status(&r);
        assert_eq!(st, "blocked");
        assert!(msg.contains(needle) && msg.contains("juju config"), "{msg}");
        assert!(pushed_nginx_conf(&r).is_none(), "no nginx.conf pushed");
        assert!(
            app_bag(&r, 901).is_empty(),
            "no worker configuration written"
        );
        assert!(r.opened_ports.is_empty(), "{:?}", r.opened_ports);
    }
    // The longest retention Tempo takes is served.
    let yaml = format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}config: {{retention-period: 2562047}}\nrelations:\n{CLUSTER}"
    );
    let r = inproc(&state(&yaml), &EventSpec::new("config-changed"));
    assert_eq!(status(&r).0, "active");
    assert!(app_bag(&r, 901)["worker_config"].contains("block_retention: 2562047h"));
}
