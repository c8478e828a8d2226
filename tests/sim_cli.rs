//! The `charm-sim` command line: run, scenario, JSON report, state out, and running a charm
//! written with Python's ops.

mod common;
#[path = "common/venv.rs"]
mod venv;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

fn sim(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(sim_bin())
        .args(args)
        .current_dir(ROOT)
        .output()
        .expect("run charm-sim");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn run_prints_a_json_report_and_writes_the_new_state() {
    let dir = coordinator_dir();
    let out = tempfile::NamedTempFile::new().unwrap();
    let (code, stdout, stderr) = sim(&[
        "run",
        "--charm-dir",
        dir.path().to_str().unwrap(),
        "--state",
        "examples/leader-with-relations.yaml",
        "--event",
        "leader-elected",
        "--format",
        "json",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).unwrap();
    for key in [
        "exit_code",
        "wall_time_s",
        "calls",
        "relations",
        "unit_status",
        "app_status",
        "logs",
    ] {
        assert!(report.get(key).is_some(), "report lacks {key}");
    }
    assert_eq!(report["exit_code"], 0);
    assert_eq!(
        report["unit_status"],
        serde_json::json!({"status": "active", "message": "metrics-generator disabled. Add a relation over send-remote-write"})
    );
    let rel3 = report["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == 3)
        .unwrap();
    assert_eq!(
        rel3["local_app"]["http"],
        r#"{"direct_url": "http://tempo-coordinator-k8s.cos.svc.cluster.local:3200/", "ingress_url": "https://tempo.example.com:3200/"}"#
    );
    let first = &report["calls"][0];
    assert_eq!(first["tool"], "config-get");
    assert_eq!(first["args"], serde_json::json!(["--format=json"]));
    let new_state =
        charm_sim::State::from_yaml(&std::fs::read_to_string(out.path()).unwrap()).unwrap();
    assert_eq!(
        new_state.relation(3).unwrap().local_app.len(),
        2,
        "--out carries the committed databags"
    );
}

#[test]
fn human_output_is_short_and_uncoloured_when_piped() {
    let dir = coordinator_dir();
    let (code, stdout, _) = sim(&[
        "run",
        "--charm-dir",
        dir.path().to_str().unwrap(),
        "--state",
        "examples/minimal.yaml",
        "--event",
        "install",
    ]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("event install  exit 0"), "{stdout}");
    assert!(
        !stdout.contains('\x1b'),
        "no colour codes when not a terminal"
    );
    assert!(stdout.contains("application-version-set"));
}

#[test]
fn usage_and_state_errors_exit_2_with_a_reason() {
    let (code, _, stderr) = sim(&["run", "--charm-dir", "."]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--state is required"), "{stderr}");
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), "unit: nope\n").unwrap();
    let (code, _, stderr) = sim(&[
        "run",
        "--charm-dir",
        ".",
        "--state",
        bad.path().to_str().unwrap(),
        "--event",
        "install",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`nope` is not `<app>/<number>`"),
        "{stderr}"
    );
    let (code, _, stderr) = sim(&[
        "run",
        "--charm-dir",
        ".",
        "--state",
        "examples/minimal.yaml",
        "--event",
        "tempo-api-relation-joined",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no relation on endpoint `tempo-api`"),
        "{stderr}"
    );
}

#[test]
fn a_failed_hook_makes_charm_sim_exit_1() {
    let dir = coordinator_dir();
    let state = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        state.path(),
        "unit: tempo/0\nleader: true\nfaults:\n  fail_tool: [{tool: is-leader}]\n",
    )
    .unwrap();
    let (code, stdout, _) = sim(&[
        "run",
        "--charm-dir",
        dir.path().to_str().unwrap(),
        "--state",
        state.path().to_str().unwrap(),
        "--event",
        "start",
    ]);
    assert_eq!(code, 1);
    assert!(stdout.contains("FAILED"), "{stdout}");
}

#[test]
fn scenario_runs_events_in_order_carrying_state() {
    let dir = coordinator_dir();
    let (code, stdout, stderr) = sim(&[
        "scenario",
        "--charm-dir",
        dir.path().to_str().unwrap(),
        "--file",
        "examples/deploy-scenario.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let reports: Vec<Value> = serde_json::from_str(&stdout).unwrap();
    let events: Vec<&str> = reports
        .iter()
        .map(|r| r["event"].as_str().unwrap())
        .collect();
    // 31 hooks, 6 for Prometheus, Grafana's dashboards and the blackbox exporter, 7 for
    // Grafana's datasource, Loki, Mimir and the catalogue, 10 for Loki's logging units and
    // the OpenTelemetry collector, and 3 for the certificates provider.
    assert_eq!(events.len(), 57, "{events:?}");
    assert_eq!(
        events[..8],
        [
            "install",
            "peers-relation-created",
            "leader-elected",
            "config-changed",
            "start",
            "nginx-pebble-ready",
            "nginx-prometheus-exporter-pebble-ready",
            "s3-relation-created",
        ]
    );
    let statuses: Vec<&str> = reports
        .iter()
        .map(|r| r["unit_status"]["status"].as_str().unwrap())
        .collect();
    // Blocked until the third worker brings the missing roles (hook 19), then active; waiting
    // while Traefik is related but has not sent its address (hooks 33-35, after the six COS
    // hooks); active through Grafana, Loki, Mimir, the catalogue, Loki's
    // logging units, the OpenTelemetry collector and the certificates provider.
    assert!(
        statuses[..18].iter().all(|s| *s == "blocked"),
        "{statuses:?}"
    );
    assert_eq!(statuses[18], "active", "{statuses:?}");
    assert_eq!(statuses[26..32], ["active"; 6]);
    assert_eq!(statuses[32..35], ["waiting"; 3]);
    assert_eq!(statuses[35..], ["active"; 22]);
    let rel = |r: &Value, endpoint: &str, id: u64| -> Value {
        r["relations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["endpoint"] == endpoint && x["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {endpoint}:{id} in {}", r["event"]))
    };
    assert_eq!(events[8], "s3-relation-joined");
    assert_eq!(
        rel(&reports[8], "s3", 5)["local_app"]["bucket"],
        "relation-5",
        "the bucket is requested on joined"
    );
    let last = reports.last().unwrap();
    let ports: Vec<Value> = [10, 11, 12]
        .iter()
        .map(|id| rel(last, "tempo-cluster", *id)["local_app"]["worker_ports"].clone())
        .collect();
    assert_eq!(
        ports,
        [
            "[3200, 7946, 4317, 4318]",
            "[3200, 7946, 9096]",
            "[3200, 7946]"
        ],
        "the distributor serves the receiver my-app asked for"
    );
    // Before the certificates provider signs, Tempo's own URLs are http; after, https (the
    // ingress URL keeps Traefik's scheme), and nginx has the issued certificate.
    let issued = events
        .iter()
        .rposition(|e| *e == "certificates-relation-changed")
        .unwrap();
    assert_eq!(
        rel(&reports[issued - 1], "tempo-api", 3)["local_app"]["grpc"],
        r#"{"direct_url": "http://tempo.cos.svc.cluster.local:9096/", "ingress_url": "http://tempo.example.org:9096/"}"#
    );
    assert_eq!(
        rel(last, "tempo-api", 3)["local_app"]["grpc"],
        r#"{"direct_url": "https://tempo.cos.svc.cluster.local:9096/", "ingress_url": "http://tempo.example.org:9096/"}"#
    );
    let csrs = rel(last, "certificates", 80)["local_unit"]["certificate_signing_requests"].clone();
    assert!(
        csrs.as_str().unwrap().contains("BEGIN CERTIFICATE REQUEST"),
        "{csrs}"
    );
    // The report gives each file's size: nginx has its certificate and key now.
    let nginx = last["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "nginx")
        .unwrap();
    for file in [
        "/etc/nginx/certs/server.cert",
        "/etc/nginx/certs/server.key",
    ] {
        assert!(
            nginx["files"][file].as_u64().unwrap() > 500,
            "{file}: {nginx}"
        );
    }
    let receivers = rel(last, "tracing", 20)["local_app"]["receivers"].clone();
    assert!(
        receivers
            .as_str()
            .unwrap()
            .contains(r#""url": "tempo.example.org:4317""#),
        "{receivers}"
    );
    // Grafana gets Tempo's datasource at Traefik's URL, linked to Loki's logs and Mimir's
    // metrics; Loki and Mimir get the datasource Grafana made; the catalogue lists Tempo.
    let source = rel(last, "grafana-source", 40)["local_app"].clone();
    assert_eq!(
        source["grafana_source_app_host"],
        "http://tempo.example.org:3200"
    );
    let data = source["grafana_source_data"].as_str().unwrap();
    for link in [
        "serviceMap",
        "tracesToLogsV2",
        "tracesToMetrics",
        "_loki\"",
        "_mimir\"",
    ] {
        assert!(data.contains(link), "{link}: {data}");
    }
    for id in [50, 51] {
        let ds = rel(last, "receive-datasource", id)["local_app"]["datasources"].clone();
        assert!(ds.as_str().unwrap().contains(r#""type":"tempo""#), "{ds}");
    }
    assert_eq!(
        rel(last, "catalogue", 60)["local_app"]["name"],
        "Tempo (tempo)"
    );
    let peers = last["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["endpoint"] == "peers")
        .unwrap();
    assert!(peers["local_unit"]["fqdn"]
        .as_str()
        .unwrap()
        .contains("tempo-0.tempo-endpoints"));
    assert_eq!(
        last["app_version"], "2.8.1",
        "set at install, kept through later hooks"
    );
}

#[test]
fn runs_a_charm_written_with_python_ops() {
    let Some(venv) = venv::venv_or_skip("ops", &["ops==3.*"], "the Python ops charm test") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let src = Path::new(ROOT).join("tests/ops_charm");
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::copy(src.join("metadata.yaml"), dir.path().join("metadata.yaml")).unwrap();
    std::fs::copy(src.join("src/charm.py"), dir.path().join("src/charm.py")).unwrap();
    let dispatch = dir.path().join("dispatch");
    std::fs::write(
        &dispatch,
        format!("#!/bin/sh\nJUJU_DISPATCH_PATH=\"${{JUJU_DISPATCH_PATH:-$0}}\" exec {} ./src/charm.py\n", venv.join("bin/python3").display()),
    )
    .unwrap();
    std::fs::set_permissions(
        &dispatch,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let s = state("unit: tiny-ops/0\nleader: true\nrelations:\n  - {id: 5, endpoint: out, remote_app: consumer, remote_units: [consumer/0]}\n");
    let r = process_in(dir.path(), &s, &charm_sim::EventSpec::new("leader-elected"));
    assert!(r.ok(), "ops charm failed: {}", r.stderr);
    assert_eq!(
        app_bag(&r, 5).get("greeting").map(String::as_str),
        Some("hello from ops")
    );
    assert_eq!(
        app_bag(&r, 5).get("leader").map(String::as_str),
        Some("True")
    );
    assert_eq!(status(&r), ("active".into(), "ops charm ran".into()));
    let tools: Vec<&str> = r.calls.iter().map(|c| c.tool.as_str()).collect();
    assert!(
        tools.contains(&"is-leader") && tools.contains(&"relation-set"),
        "{tools:?}"
    );
}

/// `juju run tempo/0 list-receivers`, through charm-sim's `--action`: each enabled receiver
/// and its URL (Traefik's, as it is ready in this state), Juju's `return-code`, no writes.
#[test]
fn list_receivers_runs_as_juju_run_does() {
    let dir = coordinator_dir();
    let charm = dir.path().to_str().unwrap();
    let run = |state: &str, extra: &[&str]| {
        let mut args = vec![
            "run",
            "--charm-dir",
            charm,
            "--state",
            state,
            "--action",
            "list-receivers",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = sim(&args);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<Value>(&stdout).unwrap()
    };
    let r = run("examples/leader-with-relations.yaml", &[]);
    assert_eq!(r["event"], "list-receivers");
    assert_eq!(
        r["action"],
        serde_json::json!({
            "name": "list-receivers",
            "params": {},
            "status": "completed",
            "results": {"otlp-http": "https://tempo.example.com:4318", "return-code": 0}
        })
    );
    let tools: Vec<&str> = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tool"].as_str().unwrap())
        .collect();
    assert!(
        !tools
            .iter()
            .any(|t| ["relation-set", "status-set", "open-port"].contains(t)),
        "an action that lists must not write: {tools:?}"
    );
    // Before the cluster works there is nothing to list, and the action says why.
    let r = run("examples/minimal.yaml", &[]);
    assert_eq!(
        r["action"]["results"],
        serde_json::json!({"return-code": 0})
    );
    assert!(r["action"]["logs"][0]
        .as_str()
        .unwrap()
        .contains("cluster is not ready"));
    // Parameters are YAML and reach action-get (list-receivers declares none and allows any).
    let r = run("examples/minimal.yaml", &["--param", "verbose=true"]);
    assert_eq!(r["action"]["params"], serde_json::json!({"verbose": true}));

    let (code, _, stderr) = sim(&[
        "run",
        "--charm-dir",
        charm,
        "--state",
        "examples/minimal.yaml",
        "--action",
        "backup",
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("the charm has no action `backup` (it declares: list-receivers)"),
        "{stderr}"
    );
}

/// The command and the outcome an example's header comment promises: the `charm-sim ...`
/// lines (with `\` continuations) and `# Expect: exit N; committed yes|no; unit STATUS|none`.
fn example_promise(text: &str) -> (Vec<String>, i32, bool, Option<String>) {
    let mut command = String::new();
    let mut expect = None;
    let mut lines = text.lines().map_while(|l| l.strip_prefix('#'));
    while let Some(line) = lines.next() {
        let line = line.trim();
        if line.starts_with("charm-sim ") && command.is_empty() {
            let mut l = line.to_owned();
            while let Some(head) = l.strip_suffix('\\') {
                command.push_str(head);
                l = lines.next().unwrap_or_default().trim().to_owned();
            }
            command.push_str(&l);
        }
        if let Some(e) = line.strip_prefix("Expect:") {
            expect = Some(e.to_owned());
        }
    }
    let expect = expect.expect("an `# Expect:` line");
    let mut code = None;
    let mut committed = None;
    let mut unit = None;
    for part in expect.split(';') {
        match part.split_whitespace().collect::<Vec<_>>()[..] {
            ["exit", n] => code = Some(n.parse().unwrap()),
            ["committed", yn] => committed = Some(yn == "yes"),
            ["unit", "none"] => unit = Some(None),
            ["unit", s] => unit = Some(Some(s.to_owned())),
            _ => panic!("cannot read `{part}` in `# Expect:{expect}`"),
        }
    }
    let argv = command
        .split_whitespace()
        .skip(1)
        .map(str::to_owned)
        .collect();
    (argv, code.unwrap(), committed.unwrap(), unit.unwrap())
}

#[test]
fn every_example_runs_and_does_what_its_comment_says() {
    let dir = coordinator_dir();
    let mut seen = Vec::new();
    for entry in std::fs::read_dir(Path::new(ROOT).join("examples")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let (mut argv, code, committed, unit) = example_promise(&text);
        assert!(
            argv.iter().any(|a| a == &format!("examples/{name}")),
            "{name}: its command runs another file: {argv:?}"
        );
        for a in &mut argv {
            if a == "target/charm/tempo-coordinator-k8s" {
                *a = dir.path().to_str().unwrap().to_owned();
            }
        }
        argv.extend(["--format".into(), "json".into()]);
        let args: Vec<&str> = argv.iter().map(String::as_str).collect();
        let (got, stdout, stderr) = sim(&args);
        assert_eq!(got, code, "{name}: {stderr}");
        let report: Value = serde_json::from_str(&stdout).unwrap();
        // A scenario gives every hook's report: the promise is about the last one, and every
        // hook before it succeeded.
        let last = match &report {
            Value::Array(all) => {
                assert!(all[..all.len() - 1].iter().all(|r| r["exit_code"] == 0));
                all.last().unwrap().clone()
            }
            one => one.clone(),
        };
        assert_eq!(last["committed"], committed, "{name}");
        assert_eq!(
            last["unit_status"]["status"].as_str().map(str::to_owned),
            unit,
            "{name}"
        );
        seen.push(name);
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "deploy-scenario.yaml",
            "faults.yaml",
            "leader-with-relations.yaml",
            "minimal.yaml"
        ],
        "a new example needs its promise checked here"
    );
}

#[test]
fn the_faults_example_fails_the_second_relation_set_and_commits_nothing() {
    let dir = coordinator_dir();
    let (code, stdout, _) = sim(&[
        "run",
        "--charm-dir",
        dir.path().to_str().unwrap(),
        "--state",
        "examples/faults.yaml",
        "--event",
        "leader-elected",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&stdout).unwrap();
    let sets: Vec<&Value> = r["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["tool"] == "relation-set")
        .collect();
    assert_eq!(sets.len(), 2, "the charm stops at the failed write");
    assert!(r["stderr"]
        .as_str()
        .unwrap()
        .contains("ERROR connection to the controller lost"));
    for rel in r["relations"].as_array().unwrap() {
        assert_eq!(rel["local_app"], serde_json::json!({}), "{rel}");
        assert_eq!(rel["local_unit"], serde_json::json!({}), "{rel}");
    }
}

#[test]
fn help_goes_to_stdout_and_exits_0() {
    for args in [
        &["--help"][..],
        &["-h"],
        &["help"],
        &["run", "--help"],
        &["run", "--charm-dir", ".", "-h"],
        &["scenario", "--help"],
        &["pack", "--help"],
    ] {
        let (code, stdout, stderr) = sim(args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(stdout.contains("USAGE:"), "{args:?}: {stdout}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
    let (_, run_help, _) = sim(&["run", "--help"]);
    assert!(run_help.contains("--remote-unit") && !run_help.contains("--file SCENARIO"));
}

#[test]
fn unknown_options_and_missing_paths_are_named() {
    for (args, needle) in [
        (
            &["run", "--charm-dir", ".", "--stat", "x"][..],
            "has no option `--stat`",
        ),
        (
            &["scenario", "--event", "install"],
            "has no option `--event`",
        ),
        (&["pack", "--state", "x"], "has no option `--state`"),
        (&["run", "stray"], "unexpected argument `stray`"),
        (&["frob"], "unknown command `frob`"),
        (
            &[
                "run",
                "--charm-dir",
                "/nonexistent-charm-dir",
                "--state",
                "x",
            ],
            "--charm-dir `/nonexistent-charm-dir`: no such directory",
        ),
        (
            &[
                "run",
                "--charm-dir",
                ".",
                "--state",
                "/nonexistent.yaml",
                "--event",
                "install",
            ],
            "--state `/nonexistent.yaml`: no such file",
        ),
        (
            &[
                "scenario",
                "--charm-dir",
                ".",
                "--file",
                "/nonexistent.yaml",
            ],
            "--file `/nonexistent.yaml`: no such file",
        ),
        (
            &["pack", "--charm-dir", ".", "--binary", "/nonexistent-bin"],
            "--binary `/nonexistent-bin`: no such file",
        ),
    ] {
        let (code, stdout, stderr) = sim(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(stdout.is_empty(), "{args:?}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn what_juju_never_runs_is_refused_once_with_the_file_field_and_fix() {
    let dir = coordinator_dir();
    let charm = dir.path().to_str().unwrap();
    let state = tempfile::NamedTempFile::new().unwrap();
    let path = state.path().to_str().unwrap();
    for (yaml, event, needles) in [
        (
            "unit: tempo/0\ncontainers: [{name: ngnix}]\n",
            "install",
            &[
                "containers[0].name: container `ngnix` is not declared by the charm",
                "did you mean `nginx`?",
            ][..],
        ),
        (
            "unit: tempo/0\nconfig: {retention-period: '30'}\n",
            "install",
            &["config.retention-period: option `retention-period` is of type int, but the state gives the string \"30\""],
        ),
        (
            "unit: tempo/0\n",
            "instal",
            &["--event `instal`, event: Juju never runs a hook named `instal`", "did you mean `install`?"],
        ),
        (
            "unit: tempo/0\nrelations: [{id: 1, endpoint: s3, remote_app: a}, {id: 2, endpoint: s3, remote_app: b}]\n",
            "install",
            &["relations[1] (id 2).endpoint", "limit: 1"],
        ),
        (
            "unit: tempo/0\nrelations: [{id: 1, endpoint: peers, remote_app: other}]\n",
            "install",
            &["relations[0] (id 1).remote_app", "peer endpoint"],
        ),
        (
            "unit: tempo/0\ncontainers: [{name: nginx, files: {/a: [1]}}]\n",
            "install",
            &["a file is its text, or {content, permissions, user, group}"],
        ),
    ] {
        std::fs::write(path, yaml).unwrap();
        let (code, stdout, stderr) =
            sim(&["run", "--charm-dir", charm, "--state", path, "--event", event]);
        assert_eq!(code, 2, "{yaml}");
        assert!(stdout.is_empty(), "{yaml}: nothing ran");
        assert!(
            stderr.starts_with(&format!("charm-sim: state file `{path}`"))
                || stderr.starts_with(&format!("charm-sim: --event `{event}`")),
            "{stderr}"
        );
        for n in needles {
            assert!(stderr.contains(n), "{yaml}: {stderr}");
            assert_eq!(stderr.matches(n).count(), 1, "printed once: {stderr}");
        }
        for jargon in ["untagged", "enum", "struct", "serde"] {
            assert!(!stderr.contains(jargon), "{yaml}: {stderr}");
        }
        if !yaml.contains("files") {
            assert!(stderr.contains("\n  fix: "), "{stderr}");
        }
    }
}

#[test]
fn a_scenario_with_a_misspelt_step_is_refused_before_its_first_hook() {
    let dir = coordinator_dir();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        "state: {unit: tempo/0, leader: true}\nevents: [install, start, {container_up: nginx}, config-chnged]\n",
    )
    .unwrap();
    let path = file.path().to_str().unwrap();
    let (code, stdout, stderr) = sim(&[
        "scenario",
        "--charm-dir",
        dir.path().to_str().unwrap(),
        "--file",
        path,
    ]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty(), "no hook ran: {stdout}");
    assert!(
        stderr.contains(&format!(
            "scenario file `{path}`: events[3] (`config-chnged`), event"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean `config-changed`?"),
        "{stderr}"
    );
    std::fs::write(
        file.path(),
        "state: {unit: tempo/0}\nevents: [install, {relate: {id: 3, endpoint: tempo-apii, remote_app: g}}]\n",
    )
    .unwrap();
    let (code, _, stderr) = sim(&[
        "scenario",
        "--charm-dir",
        dir.path().to_str().unwrap(),
        "--file",
        path,
    ]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("events[1] (juju integrate: tempo-apii with g (relation 3)), relations[0] (id 3).endpoint"),
        "{stderr}"
    );
    std::fs::write(
        file.path(),
        "state: {unit: tempo/0}\nevents: [{evnt: install}]\n",
    )
    .unwrap();
    let (code, _, stderr) = sim(&["scenario", "--charm-dir", ".", "--file", path]);
    assert_eq!(code, 2);
    assert!(stderr.contains("a step is a hook name"), "{stderr}");
    assert!(!stderr.contains("untagged"), "{stderr}");
}

#[test]
fn a_charm_whose_metadata_is_not_yaml_is_refused_naming_the_file() {
    let dir = tester_dir();
    std::fs::write(dir.path().join("metadata.yaml"), "name: [\n").unwrap();
    let (code, _, stderr) = sim(&[
        "run",
        "--charm-dir",
        dir.path().to_str().unwrap(),
        "--state",
        "examples/minimal.yaml",
        "--event",
        "install",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("metadata.yaml"), "{stderr}");
    assert!(
        stderr.contains("Juju would not deploy this charm"),
        "{stderr}"
    );
}

#[test]
fn xtask_acts_on_the_checkout_it_is_run_in() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--quiet", "-p", "xtask"])
        .current_dir(ROOT)
        .status()
        .unwrap();
    assert!(status.success());
    let xtask = sim_bin().with_file_name("xtask");
    let elsewhere = tempfile::tempdir().unwrap();
    // Not in a checkout: it says so, and builds nothing (it used to act on the directory it
    // was compiled in).
    let out = Command::new(&xtask)
        .arg("stage")
        .current_dir(elsewhere.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no Cargo workspace around"), "{stderr}");
    assert!(!Path::new(elsewhere.path()).join("target").exists());
    for args in [&["--help"][..], &["pack", "--help"], &["demo", "-h"]] {
        let out = Command::new(&xtask)
            .args(args)
            .current_dir(elsewhere.path())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("cargo xtask"));
    }
    let out = Command::new(&xtask)
        .args(["demo", "--jsn"])
        .current_dir(ROOT)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("has no option `--jsn`"));
}

#[test]
fn the_short_demo_prints_the_walk_with_reasons_and_a_summary() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["xtask", "demo", "--debug", "--short"])
        .env("XTASK_NO_MUSL", "1")
        .current_dir(ROOT)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hooks = stdout
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert!(
        stdout.contains(&format!(
            "summary: {hooks} hooks, every one exited 0; unit active"
        )),
        "{stdout}"
    );
    // Each status change says why: the relation that arrived, the roles still missing.
    assert!(stdout.contains("because: juju integrate: tempo-cluster with tempo-write (relation 10); tempo-cluster-relation-created; missing roles: querier, query-frontend, ingester, distributor, compactor"), "{stdout}");
    assert!(
        stdout.contains(
            "tempo-backend/0 joined (tempo-cluster-relation-joined); every role is there"
        ),
        "{stdout}"
    );
    // Each hook says what it brought: the datasource, scrape jobs, log targets (the Loki
    // that left switched off), the certificate and https.
    for brought in [
        "+ grafana-source 40: grafana_source_app_host, grafana_source_data",
        "+ metrics-endpoint 70: alert_rules, scrape_jobs",
        "layer nginx-log-forwarding (log targets loki/0, loki/1 off)",
        "+ certificates 80: certificate_signing_requests",
        "/etc/nginx/certs/server.cert",
        "+ https: the URLs it publishes are https now",
    ] {
        assert!(stdout.contains(brought), "{brought}: {stdout}");
    }
    assert!(
        !stdout.contains("== databags"),
        "--short prints only the walk"
    );
}
