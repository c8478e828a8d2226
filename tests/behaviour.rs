//! Behaviour of the charm, Scenario-style: (state, event) -> (databags, status, exit code,
//! tool calls). Every case runs twice, in-process and as the real binary behind `dispatch`
//! with charm-sim's tools on PATH, and the two runs must agree.

mod common;

use charm_sim::EventSpec;
use common::*;
use serde_json::json;

const HTTP: &str = r#"{"direct_url": "http://tempo.cos.svc.cluster.local:3200/"}"#;
const GRPC: &str = r#"{"direct_url": "http://tempo.cos.svc.cluster.local:9096/"}"#;
const UNIT0: &str = "tempo-0.tempo-endpoints.cos.svc.cluster.local";

fn tempo_api_relations(n: u32) -> String {
    (0..n)
        .map(|i| format!("  - {{id: {}, endpoint: tempo-api, remote_app: grafana{i}, remote_units: [grafana{i}/0]}}\n", 10 + i))
        .collect()
}

fn leader_with(n: u32, extra: &str) -> String {
    format!(
        "unit: tempo/0\nleader: true\n{CONTAINERS}relations:\n{}{CLUSTER}{extra}",
        tempo_api_relations(n)
    )
}

fn tools(r: &charm_sim::Report) -> Vec<String> {
    r.calls
        .iter()
        .map(|c| format!("{} {}", c.tool, c.args.join(" ")))
        .collect()
}

#[test]
fn leader_elected_publishes_to_every_relation() {
    let dir = coordinator_dir();
    for n in [0, 1, 3, 100] {
        let yaml = if n == 0 {
            format!("unit: tempo/0\nleader: true\n{CONTAINERS}relations:\n{CLUSTER}")
        } else {
            leader_with(n, "")
        };
        let r = both(dir.path(), &state(&yaml), &EventSpec::new("leader-elected"));
        assert!(r.ok(), "{n} relations: {}", r.stderr);
        for i in 0..n {
            let bag = app_bag(&r, 10 + i);
            assert_eq!(
                bag.get("http").map(String::as_str),
                Some(HTTP),
                "{n} relations"
            );
            assert_eq!(bag.get("grpc").map(String::as_str), Some(GRPC));
            assert_eq!(bag.len(), 2);
        }
        assert_eq!(status(&r), ("active".into(), String::new()));
        assert_eq!(
            r.app_status.as_ref().map(|s| s.status.as_str()),
            Some("active")
        );
        let sets = r.calls.iter().filter(|c| c.tool == "relation-set").count();
        assert_eq!(
            sets,
            n as usize + 1,
            "one relation-set per relation (and the worker's)"
        );
    }
}

#[test]
fn leader_elected_tool_calls_are_exactly_these() {
    let dir = coordinator_dir();
    let r = both(
        dir.path(),
        &state(&leader_with(1, "")),
        &EventSpec::new("leader-elected"),
    );
    assert_eq!(
        tools(&r),
        vec![
            "config-get --format=json",
            "is-leader --format=json",
            "relation-ids tempo-api --format=json",
            "relation-ids ingress --format=json",
            // COS: Prometheus (every unit), dashboards and probes (the leader).
            "relation-ids metrics-endpoint --format=json",
            "relation-ids grafana-dashboard --format=json",
            "relation-ids probes --format=json",
            // Where our `hostname` goes (no peer relation in this state: nothing written).
            "relation-ids peers --format=json",
            "relation-ids s3 --format=json",
            "relation-list --format=json --app -r s3:900",
            "relation-get --format=json -r s3:900 --app - s3-integrator",
            "relation-ids tempo-cluster --format=json",
            "relation-list --format=json -r tempo-cluster:901",
            "relation-get --format=json -r tempo-cluster:901 --app - worker",
            "relation-get --format=json -r tempo-cluster:901 - worker/0",
            "relation-ids tracing --format=json",
            "relation-ids send-remote-write --format=json",
            // The leader lists the Grafana integrations (nothing related here).
            "relation-ids grafana-source --format=json",
            "relation-ids receive-datasource --format=json",
            "relation-ids catalogue --format=json",
            "relation-ids istio-ingress --format=json",
            "relation-ids service-mesh --format=json",
            "relation-ids provide-cmr-mesh --format=json",
            "relation-ids require-cmr-mesh --format=json",
            "opened-ports --format=json",
            "open-port 3200/tcp",
            "open-port 3300/tcp",
            "open-port 4318/tcp",
            "open-port 7946/tcp",
            "open-port 9096/tcp",
            "relation-set -r tempo-api:10 --app --file -",
            "relation-set -r tempo-cluster:901 --app --file -",
            "status-set --application=False active -- ",
            "status-set --application=True active -- ",
        ]
    );
    let set = r
        .calls
        .iter()
        .find(|c| c.tool == "relation-set" && c.args.iter().any(|a| a == "tempo-api:10"))
        .unwrap();
    let stdin: serde_json::Value =
        serde_json::from_str(set.stdin.as_deref().unwrap_or("")).unwrap();
    assert_eq!(
        stdin,
        json!({"http": HTTP, "grpc": GRPC}),
        "the whole databag goes on stdin as JSON"
    );
}

#[test]
fn relation_joined_and_changed_publish() {
    let dir = coordinator_dir();
    for ev in [
        "tempo-api-relation-created",
        "tempo-api-relation-joined",
        "tempo-api-relation-changed",
    ] {
        let spec = EventSpec::on(ev, "tempo-api:11");
        let spec = if ev.ends_with("created") {
            spec
        } else {
            spec.remote_unit("grafana1/0")
        };
        let r = both(dir.path(), &state(&leader_with(3, "")), &spec);
        assert!(r.ok());
        for id in [10, 11, 12] {
            assert_eq!(
                app_bag(&r, id).get("http").map(String::as_str),
                Some(HTTP),
                "{ev}"
            );
        }
    }
}

#[test]
fn every_reconciling_event_publishes_and_other_events_do_nothing() {
    let dir = coordinator_dir();
    for ev in [
        "install",
        "start",
        "config-changed",
        "upgrade-charm",
        "update-status",
        "leader-settings-changed",
    ] {
        let r = both(dir.path(), &state(&leader_with(1, "")), &EventSpec::new(ev));
        assert!(r.ok(), "{ev}");
        assert_eq!(
            app_bag(&r, 10).get("grpc").map(String::as_str),
            Some(GRPC),
            "{ev}"
        );
    }
    // Hooks Juju runs for this charm that it does not handle (charm-sim refuses hooks Juju
    // would never run, such as a Pebble event of an undeclared container).
    for ev in ["stop", "remove"] {
        let r = both(dir.path(), &state(&leader_with(1, "")), &EventSpec::new(ev));
        assert_eq!(r.exit_code, 0, "{ev}");
        assert!(r.calls.is_empty(), "{ev} made calls: {:?}", tools(&r));
        assert!(app_bag(&r, 10).is_empty());
    }
}

#[test]
fn application_version_is_set_when_the_charm_may_have_changed() {
    let dir = coordinator_dir();
    for (ev, expect) in [
        ("install", true),
        ("upgrade-charm", true),
        ("start", true),
        ("update-status", false),
    ] {
        let r = both(
            dir.path(),
            &state("unit: tempo/0\nleader: true\n"),
            &EventSpec::new(ev),
        );
        assert_eq!(r.app_version.is_some(), expect, "{ev}");
        assert_eq!(
            r.calls.iter().any(|c| c.tool == "application-version-set"),
            expect,
            "{ev}"
        );
    }
}

#[test]
fn non_leader_writes_no_application_data() {
    let dir = coordinator_dir();
    let yaml = leader_with(3, "").replace("leader: true", "leader: false");
    for ev in ["config-changed", "leader-settings-changed", "update-status"] {
        let r = both(dir.path(), &state(&yaml), &EventSpec::new(ev));
        assert!(r.ok());
        for id in [10, 11, 12] {
            assert!(app_bag(&r, id).is_empty(), "{ev}");
        }
        assert!(
            !r.calls.iter().any(|c| c.tool == "relation-set"),
            "{ev}: {:?}",
            tools(&r)
        );
        assert_eq!(status(&r).0, "active");
        assert!(
            r.app_status.is_none(),
            "only the leader sets application status"
        );
    }
}

#[test]
fn leader_elected_is_skipped_on_a_non_leader() {
    let dir = coordinator_dir();
    let r = both(
        dir.path(),
        &state("unit: tempo/1\nleader: false\n"),
        &EventSpec::new("leader-elected"),
    );
    assert!(r.skipped.is_some());
    assert!(r.calls.is_empty());
}

const TRAEFIK_HTTPS: &str = "  - {id: 7, endpoint: ingress, remote_app: traefik, remote_units: [traefik/0], remote_app_data: {external_host: tempo.example.com, scheme: https}}\n";
const TRAEFIK_HTTP: &str = "  - {id: 7, endpoint: ingress, remote_app: traefik, remote_units: [traefik/0], remote_app_data: {external_host: 10.0.0.5, scheme: http}}\n";
const TRAEFIK_NOT_READY: &str =
    "  - {id: 7, endpoint: ingress, remote_app: traefik, remote_units: [traefik/0]}\n";

#[test]
fn ingress_ready_https_publishes_ingress_urls_and_redirects() {
    let dir = coordinator_dir();
    let r = both(
        dir.path(),
        &state(&leader_with(1, TRAEFIK_HTTPS)),
        &EventSpec::on("ingress-relation-changed", "ingress:7"),
    );
    assert!(r.ok(), "{}", r.stderr);
    let bag = app_bag(&r, 10);
    assert_eq!(
        bag["http"],
        r#"{"direct_url": "http://tempo.cos.svc.cluster.local:3200/", "ingress_url": "https://tempo.example.com:3200/"}"#
    );
    assert_eq!(
        bag["grpc"],
        r#"{"direct_url": "http://tempo.cos.svc.cluster.local:9096/", "ingress_url": "https://tempo.example.com:9096/"}"#
    );
    let ingress = app_bag(&r, 7);
    assert_eq!(ingress["raw"], "False");
    let config: serde_json::Value = serde_yaml::from_str(&ingress["config"]).unwrap();
    // The structure the Python coordinator's _ingress_config builds for the same inputs.
    let expected = json!({"http": {
        "routers": {
            "juju-cos-tempo-tempo-http": {"entryPoints": ["tempo-http"], "service": "juju-cos-tempo-service-tempo-http",
                "rule": "ClientIP(`0.0.0.0/0`)", "middlewares": ["juju-cos-tempo-middleware-tempo-http"]},
            "juju-cos-tempo-tempo-grpc": {"entryPoints": ["tempo-grpc"], "service": "juju-cos-tempo-service-tempo-grpc",
                "rule": "ClientIP(`0.0.0.0/0`)", "middlewares": ["juju-cos-tempo-middleware-tempo-grpc"]},
        },
        "services": {
            "juju-cos-tempo-service-tempo-http": {"loadBalancer": {"servers": [{"url": format!("http://{UNIT0}:3200")}]}},
            "juju-cos-tempo-service-tempo-grpc": {"loadBalancer": {"servers": [{"url": format!("h2c://{UNIT0}:9096")}]}},
        },
        "middlewares": {
            "juju-cos-tempo-middleware-tempo-http": {"redirectScheme": {"permanent": true, "port": 3200, "scheme": "https"}},
            "juju-cos-tempo-middleware-tempo-grpc": {"redirectScheme": {"permanent": true, "port": 9096, "scheme": "https"}},
        },
    }});
    // Tempo's two ports as the Python coordinator routes them; the five receivers besides
    // (compared whole with the recorded states in coordinator_states.rs).
    for section in ["routers", "services", "middlewares"] {
        let ours = config["http"][section].as_object().expect(section);
        assert_eq!(ours.len(), 7, "{section}: two API ports and five receivers");
        for (k, v) in expected["http"][section].as_object().expect(section) {
            assert_eq!(&ours[k], v, "{section} {k}");
        }
    }
    let static_cfg: serde_json::Value = serde_yaml::from_str(&ingress["static"]).unwrap();
    assert_eq!(
        static_cfg,
        json!({"entryPoints": {"tempo-http": {"address": ":3200"}, "tempo-grpc": {"address": ":9096"},
            "zipkin": {"address": ":9411"}, "otlp-grpc": {"address": ":4317"}, "otlp-http": {"address": ":4318"},
            "jaeger-thrift-http": {"address": ":14268"}, "jaeger-grpc": {"address": ":14250"}}})
    );
    assert_eq!(status(&r), ("active".into(), String::new()));
}

#[test]
fn ingress_ready_http_has_no_middlewares() {
    let dir = coordinator_dir();
    let r = both(
        dir.path(),
        &state(&leader_with(1, TRAEFIK_HTTP)),
        &EventSpec::new("update-status"),
    );
    assert_eq!(
        app_bag(&r, 10)["http"],
        r#"{"direct_url": "http://tempo.cos.svc.cluster.local:3200/", "ingress_url": "http://10.0.0.5:3200/"}"#
    );
    let config: serde_json::Value = serde_yaml::from_str(&app_bag(&r, 7)["config"]).unwrap();
    assert!(
        config["http"].get("middlewares").is_none(),
        "middlewares left out when empty"
    );
    assert!(config["http"]["routers"]["juju-cos-tempo-tempo-http"]
        .get("middlewares")
        .is_none());
}

#[test]
fn ingress_related_but_not_ready_waits_and_publishes_direct_urls() {
    let dir = coordinator_dir();
    let r = both(
        dir.path(),
        &state(&leader_with(1, TRAEFIK_NOT_READY)),
        &EventSpec::on("ingress-relation-joined", "ingress:7").remote_unit("traefik/0"),
    );
    assert!(r.ok());
    assert_eq!(app_bag(&r, 10)["http"], HTTP);
    assert!(
        app_bag(&r, 7).contains_key("config"),
        "the route is offered before Traefik answers"
    );
    assert_eq!(
        status(&r),
        (
            "waiting".into(),
            "waiting for the ingress to send external_host and scheme".into()
        )
    );
}

#[test]
fn ingress_broken_republishes_without_ingress_urls() {
    let dir = coordinator_dir();
    let published = r#"{"direct_url": "http://tempo.cos.svc.cluster.local:3200/", "ingress_url": "https://tempo.example.com:3200/"}"#;
    let yaml = format!(
        "unit: tempo/0\nleader: true\n{CONTAINERS}relations:\n  - {{id: 10, endpoint: tempo-api, remote_app: grafana, local_app: {{http: '{published}', grpc: x}}}}\n{CLUSTER}{TRAEFIK_HTTPS}"
    );
    let r = both(
        dir.path(),
        &state(&yaml),
        &EventSpec::on("ingress-relation-broken", "ingress:7"),
    );
    assert!(r.ok());
    assert_eq!(app_bag(&r, 10)["http"], HTTP);
    assert_eq!(app_bag(&r, 10)["grpc"], GRPC);
    assert!(
        r.relation(7).is_none(),
        "the broken relation is gone afterwards"
    );
    assert!(
        !tools(&r).iter().any(|t| t.contains("ingress:7")),
        "the broken relation is not touched: {:?}",
        tools(&r)
    );
}

#[test]
fn invalid_traefik_data_blocks_but_keeps_direct_urls() {
    let dir = coordinator_dir();
    for (data, reason) in [
        (
            "{external_host: tempo.example.com, scheme: ftp}",
            "ingress: traefik sent scheme `ftp`; expected http or https",
        ),
        (
            "{external_host: 'bad host', scheme: http}",
            "ingress: traefik sent external_host `bad host`",
        ),
        (
            "{external_host: 'h:99999', scheme: http}",
            "ingress: traefik sent external_host `h:99999`",
        ),
    ] {
        let ing = format!(
            "  - {{id: 7, endpoint: ingress, remote_app: traefik, remote_app_data: {data}}}\n"
        );
        let r = both(
            dir.path(),
            &state(&leader_with(1, &ing)),
            &EventSpec::on("ingress-relation-changed", "ingress:7"),
        );
        assert_eq!(
            r.exit_code, 0,
            "bad remote data is a status, not a failed hook"
        );
        let (s, msg) = status(&r);
        assert_eq!(s, "blocked");
        assert!(msg.starts_with(reason), "{msg}");
        assert_eq!(app_bag(&r, 10)["http"], HTTP);
    }
}

#[test]
fn peers_write_their_fqdn_and_the_leader_routes_to_every_peer() {
    let dir = coordinator_dir();
    let created = both(
        dir.path(),
        &state("unit: tempo/1\nleader: false\nrelations:\n  - {id: 1, endpoint: peers, remote_app: tempo}\n"),
        &EventSpec::new("peers-relation-created"),
    );
    assert_eq!(
        unit_bag(&created, 1)["fqdn"],
        "\"tempo-1.tempo-endpoints.cos.svc.cluster.local\""
    );

    let peers = "  - {id: 1, endpoint: peers, remote_app: tempo, remote_units: [tempo/2, tempo/1, tempo/3],
       remote_units_data: {tempo/1: {fqdn: '\"tempo-1.tempo-endpoints.cos.svc.cluster.local\"'},
                           tempo/2: {fqdn: '\"tempo-2.tempo-endpoints.cos.svc.cluster.local\"'}}}\n";
    let yaml = leader_with(1, &format!("{TRAEFIK_HTTP}{peers}"));
    let r = both(
        dir.path(),
        &state(&yaml),
        &EventSpec::on("peers-relation-joined", "peers:1").remote_unit("tempo/2"),
    );
    let config: serde_json::Value = serde_yaml::from_str(&app_bag(&r, 7)["config"]).unwrap();
    let servers =
        &config["http"]["services"]["juju-cos-tempo-service-tempo-http"]["loadBalancer"]["servers"];
    assert_eq!(
        servers,
        &json!([
            {"url": format!("http://{UNIT0}:3200")},
            {"url": "http://tempo-1.tempo-endpoints.cos.svc.cluster.local:3200"},
            {"url": "http://tempo-2.tempo-endpoints.cos.svc.cluster.local:3200"},
        ]),
        "tempo/3 has not written its FQDN yet and is left out"
    );

    let r = both(
        dir.path(),
        &state(&yaml),
        &EventSpec::on("peers-relation-departed", "peers:1").remote_unit("tempo/1"),
    );
    let config: serde_json::Value = serde_yaml::from_str(&app_bag(&r, 7)["config"]).unwrap();
    let servers = config["http"]["services"]["juju-cos-tempo-service-tempo-grpc"]["loadBalancer"]
        ["servers"]
        .to_string();
    assert!(
        !servers.contains("tempo-1."),
        "the departing unit is dropped: {servers}"
    );
    assert!(servers.contains("h2c://tempo-2."), "{servers}");
}

#[test]
fn a_second_unit_that_is_not_leader_leaves_ingress_alone() {
    let dir = coordinator_dir();
    let yaml = leader_with(1, TRAEFIK_HTTPS).replace(
        "unit: tempo/0\nleader: true",
        "unit: tempo/1\nleader: false",
    );
    let r = both(
        dir.path(),
        &state(&yaml),
        &EventSpec::on("ingress-relation-changed", "ingress:7"),
    );
    assert!(r.ok());
    assert!(app_bag(&r, 7).is_empty());
    assert!(
        !tools(&r)
            .iter()
            .any(|t| t.starts_with("relation-get") && t.contains("ingress")),
        "followers do not read Traefik's data: {:?}",
        tools(&r)
    );
}

#[test]
fn bad_config_blocks_with_the_fix_and_exits_zero() {
    let dir = coordinator_dir();
    for (config, needle) in [
        ("{log-level: loud}", "log-level `loud`"),
        ("{log-level: ''}", "log-level ``"),
    ] {
        let yaml = format!("{}config: {config}\n", leader_with(1, ""));
        let r = both(dir.path(), &state(&yaml), &EventSpec::new("config-changed"));
        assert_eq!(r.exit_code, 0);
        let (s, msg) = status(&r);
        assert_eq!(s, "blocked");
        assert!(msg.contains(needle), "{msg}");
        assert_eq!(
            app_bag(&r, 10)["http"],
            HTTP,
            "publishing does not depend on the log level"
        );
    }
    let yaml = format!("{}config: {{log-level: debug}}\n", leader_with(1, ""));
    let r = both(dir.path(), &state(&yaml), &EventSpec::new("config-changed"));
    assert!(
        r.logs
            .iter()
            .any(|l| l.level == "DEBUG" && l.message.contains("published tempo-api data")),
        "{:?}",
        r.logs
    );
    let r = both(
        dir.path(),
        &state(&leader_with(1, "")),
        &EventSpec::new("config-changed"),
    );
    assert!(
        r.logs.is_empty(),
        "nothing below INFO reaches juju-log by default: {:?}",
        r.logs
    );
}

#[test]
fn steady_state_update_status_calls() {
    let dir = coordinator_dir();
    for n in [1, 10] {
        let r = both(
            dir.path(),
            &state(&leader_with(n, "")),
            &EventSpec::new("update-status"),
        );
        let by_tool = r.calls_by_tool();
        assert_eq!(by_tool.get("relation-set"), Some(&(n as usize + 1)));
        // 24 reads (config, leadership, sixteen endpoints (metrics-endpoint,
        // grafana-dashboard, probes, grafana-source, receive-datasource and catalogue among
        // them; no peers: update-status does not rewrite the hostname), S3, the worker, the
        // ports), five ports opened on this first reconcile, the writes, two statuses.
        assert_eq!(r.calls.len(), 31 + n as usize + 1, "{:?}", tools(&r));
    }
}

/// The leader with S3 and six worker units, as one `all` application of six units or as six
/// one-unit applications (one per role): every input read once, each databag written in one
/// call. The counts are what the closing note of the cluster issue reports.
#[test]
fn six_worker_units_cost_one_read_each_and_one_write_per_application() {
    let dir = coordinator_dir();
    let s3 = "  - {id: 900, endpoint: s3, remote_app: s3-integrator, remote_units: [s3-integrator/0], remote_app_data: {access-key: AK, secret-key: SK, bucket: tempo, endpoint: 'http://minio:9000'}}\n";
    let one_app = deploy::worker_relation(901, "worker", "all", 6);
    let six_apps: String = deploy::ROLES
        .iter()
        .enumerate()
        .map(|(i, role)| deploy::worker_relation(910 + i as u32, role, role, 1))
        .collect();
    // 29 calls whatever the workers (config, leadership, the other endpoints (the COS ones
    // and peers among them), S3, ports on the first reconcile, statuses), then per worker
    // application relation-list, its app bag and one write, and one read per unit.
    for (shape, relations, apps) in [
        ("one app, six units", one_app, 1),
        ("six apps, one unit each", six_apps, 6),
    ] {
        let total = 29 + 3 * apps + 6;
        let yaml = format!(
            "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n{s3}{relations}"
        );
        let r = both(
            dir.path(),
            &state(&yaml),
            &EventSpec::on(
                "tempo-cluster-relation-changed",
                if apps == 1 {
                    "tempo-cluster:901"
                } else {
                    "tempo-cluster:910"
                },
            ),
        );
        assert!(r.ok(), "{shape}: {}", r.stderr);
        let calls = tools(&r);
        let count = |prefix: &str| calls.iter().filter(|c| c.starts_with(prefix)).count();
        assert_eq!(
            count("relation-get --format=json -r tempo-cluster"),
            6 + apps,
            "{shape}: one read per unit and per application\n{calls:#?}"
        );
        assert_eq!(
            count("relation-set -r tempo-cluster"),
            apps,
            "{shape}: one write per worker application"
        );
        assert_eq!(calls.len(), total, "{shape}:\n{calls:#?}");
    }
}

/// A tracing requirer asking for an unknown protocol, or sending data that is not JSON, is
/// skipped with a warning naming its relation; the others are served and the hook exits 0.
#[test]
fn a_bad_tracing_requirer_does_not_stop_the_others() {
    let dir = coordinator_dir();
    let yaml = format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n{CLUSTER}\
         \x20 - {{id: 30, endpoint: tracing, remote_app: good, remote_units: [good/0], remote_app_data: {{receivers: '[\"otlp_grpc\"]'}}}}\n\
         \x20 - {{id: 31, endpoint: tracing, remote_app: unknown, remote_units: [unknown/0], remote_app_data: {{receivers: '[\"zipkin\", \"carrier_pigeon\"]'}}}}\n\
         \x20 - {{id: 32, endpoint: tracing, remote_app: garbled, remote_units: [garbled/0], remote_app_data: {{receivers: 'not json'}}}}\n"
    );
    let r = both(
        dir.path(),
        &state(&yaml),
        &EventSpec::on("tracing-relation-changed", "tracing:31").remote_unit("unknown/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    assert!(
        r.opened_ports.contains(&"4317/tcp".to_owned()),
        "{:?}",
        r.opened_ports
    );
    assert!(
        !r.opened_ports.contains(&"9411/tcp".to_owned()),
        "nothing of the refused request is enabled: {:?}",
        r.opened_ports
    );
    for id in [31, 32] {
        assert!(
            r.logs.iter().any(|l| l.level == "WARNING"
                && l.message.contains(&format!("tracing:{id}"))
                && l.message.contains("ignoring an invalid tracing request")),
            "no warning for tracing:{id}: {:?}",
            r.logs
        );
    }
    let published = &app_bag(&r, 30)["receivers"];
    assert!(published.contains("\"otlp_grpc\""), "{published}");
    assert_eq!(status(&r).0, "active");
}

/// Bad worker data — a unit's address that is not JSON, a unit without an address, an
/// application with a role Tempo does not have — is skipped with a warning naming the unit or
/// application; the good worker is served and the hook exits 0.
#[test]
fn bad_worker_data_is_skipped_with_a_warning_naming_it() {
    let dir = coordinator_dir();
    let yaml = format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n{CLUSTER}\
         \x20 - {{id: 902, endpoint: tempo-cluster, remote_app: bad, remote_units: [bad/0, bad/1], remote_app_data: {{role: '\"all\"'}}, remote_units_data: {{bad/0: {{address: 'not json', juju_topology: '{{}}'}}, bad/1: {{juju_topology: '{{\"application\": \"bad\", \"unit\": \"bad/1\", \"charm_name\": \"tempo-worker-k8s\"}}'}}}}}}\n\
         \x20 - {{id: 903, endpoint: tempo-cluster, remote_app: teapot, remote_units: [teapot/0], remote_app_data: {{role: '\"teapot\"'}}, remote_units_data: {{teapot/0: {{address: '\"teapot-0.teapot-endpoints.cos.svc.cluster.local\"', juju_topology: '{{}}'}}}}}}\n"
    );
    let r = both(
        dir.path(),
        &state(&yaml),
        &EventSpec::on("tempo-cluster-relation-changed", "tempo-cluster:902").remote_unit("bad/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    assert_eq!(status(&r).0, "active", "{:?}", status(&r));
    for who in ["bad/0", "bad/1", "teapot"] {
        assert!(
            r.logs
                .iter()
                .any(|l| l.level == "WARNING" && l.message.contains(who)),
            "no warning naming {who}: {:?}",
            r.logs
        );
    }
    let conf = pushed_nginx_conf(&r).expect("nginx.conf pushed");
    assert!(conf.contains("worker-0.worker-endpoints.cos.svc.cluster.local:3200"));
    assert!(!conf.contains("teapot"), "{conf}");
    assert!(app_bag(&r, 901).contains_key("worker_config"));
}

/// An endpoint declared for `juju refresh` from the Python charm but not served (it needs the
/// Kubernetes API) is never a silent no-op: related, the status names it and what to use
/// instead; the hook exits 0 and the cluster keeps being served.
#[test]
fn a_related_unserved_endpoint_is_named_in_the_status_and_the_cluster_still_runs() {
    let dir = coordinator_dir();
    let yaml = format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n{CLUSTER}\
         \x20 - {{id: 40, endpoint: istio-ingress, remote_app: istio, remote_units: [istio/0]}}\n"
    );
    let r = both(
        dir.path(),
        &state(&yaml),
        &EventSpec::on("istio-ingress-relation-joined", "istio-ingress:40"),
    );
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    let (s, m) = status(&r);
    assert_eq!(s, "blocked");
    assert!(
        m.contains("`istio-ingress` is related but not served by this charm: use `ingress`"),
        "{m}"
    );
    assert!(
        app_bag(&r, 901).contains_key("worker_config"),
        "the workers are still configured"
    );
    assert!(common::pushed_nginx_conf(&r).is_some(), "nginx still runs");
}
