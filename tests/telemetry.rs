//! Telemetry out (logging, self-tracing) where we differ from the Python coordinator on
//! purpose (README "Where we differ"), asserted on the recorded COS states, and a Loki unit
//! leaving, hook after hook, under the simulator.

mod common;

use std::path::Path;

use charm_sim::inprocess::run_in_process;
use charm_sim::EventSpec;
use common::recorded::{self, container, decoded_cluster_bag, run, Recorded};
use common::ROOT;
use serde_json::{json, Value};
use tempo_coordinator::{entry, nginx};

fn case(id: &str) -> Value {
    recorded::cases("cos", 32)
        .into_iter()
        .find(|c| c["case"]["id"] == id)
        .expect("a recorded case")
}

fn targets(r: &charm_sim::Report, name: &str) -> Value {
    serde_json::to_value(&container(r, name).plan.log_targets).unwrap()
}

#[test]
fn log_targets_are_reconciled_on_every_hook_not_only_on_logging_events() {
    // config-changed with one Loki unit: Python leaves the plans without targets...
    let quiet = case("logging-one-loki");
    for (_, plan) in quiet["expect"]["plans"].as_object().unwrap() {
        assert!(plan.get("log-targets").is_none());
    }
    // ...and adds them, for the same Loki unit, on logging-relation-changed.
    let event = case("logging-changed");
    assert_eq!(
        quiet["case"]["relations"][2], event["case"]["relations"][2],
        "the same Loki data"
    );
    let python = &event["expect"]["plans"]["nginx"]["log-targets"];
    assert!(python["loki/0"].is_object());
    // Ours has them on config-changed already, in both containers, as Python writes them.
    let r = run(&quiet);
    assert_eq!(r.exit_code, 0);
    for name in ["nginx", "nginx-prometheus-exporter"] {
        assert_eq!(&targets(&r, name), python, "{name}");
    }
    // pebble-ready of nginx: Python adds them to nginx only; ours keeps both.
    let r = run(&case("logging-nginx-pebble-ready"));
    assert_eq!(&targets(&r, "nginx-prometheus-exporter"), python);
}

#[test]
fn a_loki_unit_that_leaves_stops_receiving_logs() {
    let joined = case("logging-joined");
    let host = Recorded(joined["case"]["fqdn"].as_str().unwrap().to_owned());
    let charm = |env: &_, runner| entry(env, None, runner, &host);
    let first = run(&joined);
    assert_eq!(first.exit_code, 0);
    let both = targets(&first, "nginx");
    assert_eq!(
        both.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["loki/0", "loki/1"]
    );
    // loki/1 departs: its target is disabled in both containers, loki/0's untouched.
    let mut spec = EventSpec::on("logging-relation-departed", "logging:72");
    spec.remote_unit = Some("loki/1".into());
    spec.departing_unit = Some("loki/1".into());
    let mut state = first.state.clone();
    // (the simulator takes loki/1 out of the relation's units, as Juju does)
    // nginx checks (`nginx -t` on the candidate) and reloads its new config.
    for c in state.containers.iter_mut().filter(|c| c.name == "nginx") {
        c.exec = serde_json::from_value(json!([
            {"command": ["nginx", "-t"], "stdout": "", "exit_code": 0},
            {"command": ["nginx", "-s", "reload"], "stdout": "", "exit_code": 0}
        ]))
        .unwrap();
    }
    let r = run_in_process(&state, &spec, Path::new(ROOT), charm).unwrap();
    assert_eq!(r.exit_code, 0, "{}\n{:?}", r.stderr, r.logs);
    for name in ["nginx", "nginx-prometheus-exporter"] {
        let t = targets(&r, name);
        assert_eq!(t["loki/0"], both["loki/0"], "{name}");
        assert_eq!(t["loki/1"]["services"], json!(["-all"]), "{name}");
    }
    // Workers and nginx follow: only loki/0 is proxied.
    let bag = r.relation(10).unwrap();
    let cluster = decoded_cluster_bag(&serde_json::to_value(&bag.local_app).unwrap());
    assert_eq!(
        cluster["loki_endpoints"],
        json!({"loki/0": "http://tempo.cos.svc.cluster.local:3300/proxy/loki/loki-0/push"})
    );
    let conf = common::pushed_nginx_conf(&r).unwrap();
    assert!(conf.contains("/proxy/loki/loki-0/push") && !conf.contains("loki-1"));
    // The next hook changes nothing in Pebble's plans.
    let again = run_in_process(
        &r.state,
        &EventSpec::new("update-status"),
        Path::new(ROOT),
        charm,
    )
    .unwrap();
    assert!(
        again.containers.iter().all(|c| !c
            .pebble_requests
            .iter()
            .any(|q| q.starts_with("POST /v1/layers"))),
        "no layer added when the targets are in place"
    );
}

#[test]
fn self_tracing_proxies_only_the_protocol_it_asks_for() {
    let c = case("self-charm-tracing");
    // Python hands the workers otlp_grpc too, through an HTTP/1.1 proxy location.
    let python = decoded_cluster_bag(&c["expect"]["relations"]["tempo-cluster:10"]["local_app"]);
    assert!(python["charm_tracing_receivers"]["otlp_grpc"].is_string());
    let python_conf = c["expect"]["nginx_config"].as_str().unwrap();
    assert!(python_conf.contains("location /proxy/charm-tracing/otlp_grpc/"));

    let r = run(&c);
    assert_eq!(r.exit_code, 0);
    let ours =
        decoded_cluster_bag(&serde_json::to_value(&r.relation(10).unwrap().local_app).unwrap());
    assert_eq!(
        ours["charm_tracing_receivers"],
        json!({"otlp_http": python["charm_tracing_receivers"]["otlp_http"]})
    );
    // What we ask for is what Python asks for.
    assert_eq!(
        serde_json::to_value(&r.relation(74).unwrap().local_app).unwrap(),
        c["expect"]["relations"]["self-charm-tracing:74"]["local_app"]
    );
    let conf = common::pushed_nginx_conf(&r).unwrap();
    let tokens = nginx::tokens(&conf);
    assert!(tokens
        .iter()
        .any(|t| t == "/proxy/charm-tracing/otlp_http/"));
    assert!(
        !conf.contains("otlp_grpc"),
        "no gRPC through the HTTP/1.1 proxy"
    );
}
