//! The tester charm (crates/tempo-api-tester) and our coordinator, each run under charm-sim,
//! with each databag carried to the other side as Juju would: the tester asks for
//! otlp_grpc and otlp_http over tracing, the coordinator answers with their URLs, and the
//! tester shows what it received, as the MicroK8s test reads it with `juju show-unit`.

mod common;

use charm_sim::EventSpec;
use common::*;
use serde_json::{json, Value};

const TESTER: &str = "unit: tester/0\nmodel: cos\nleader: true\nrelations:\n  - {id: 3, endpoint: tempo-api, remote_app: tempo, remote_units: [tempo/0]}\n  - {id: 4, endpoint: tracing, remote_app: tempo, remote_units: [tempo/0]}\n";

#[test]
fn the_tester_asks_for_receivers_and_shows_the_urls_it_got() {
    let tester_dir = tester_dir();
    let coordinator = coordinator_dir();

    // 1. The tester relates: its leader asks for the two receivers; nothing received yet.
    let mut tester = state(TESTER);
    let r = process_in(
        tester_dir.path(),
        &tester,
        &EventSpec::on("tracing-relation-joined", "tracing:4").remote_unit("tempo/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    let request = app_bag(&r, 4).clone();
    assert_eq!(
        request.get("receivers").map(String::as_str),
        Some(r#"["otlp_grpc", "otlp_http"]"#),
        "the request, as the Python requirer writes it"
    );
    assert_eq!(unit_bag(&r, 4).get("tracing"), None);
    assert_eq!(status(&r).0, "waiting");
    tester = r.state.clone();

    // 2. Our coordinator reads the request and publishes the receivers.
    let mut s = state(&format!(
        "unit: tempo/0\nmodel: cos\nleader: true\n{CONTAINERS}relations:\n{CLUSTER}"
    ));
    s.relations.push(
        serde_yaml::from_str(
            "{id: 20, endpoint: tracing, remote_app: tester, remote_units: [tester/0]}",
        )
        .unwrap(),
    );
    s.relations.last_mut().unwrap().remote_app_data = request;
    let r = process_in(
        coordinator.path(),
        &s,
        &EventSpec::on("tracing-relation-changed", "tracing:20").remote_unit("tester/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    let answer = app_bag(&r, 20).clone();

    // 3. The tester reads the answer and shows both URLs; active.
    for rel in tester.relations.iter_mut().filter(|r| r.id == 4) {
        rel.remote_app_data = answer.clone();
    }
    let r = process_in(
        tester_dir.path(),
        &tester,
        &EventSpec::on("tracing-relation-changed", "tracing:4").remote_unit("tempo/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    let got: Value = serde_json::from_str(&unit_bag(&r, 4)["tracing"]).unwrap();
    assert_eq!(
        got,
        json!({
            "otlp_grpc": "tempo.cos.svc.cluster.local:4317",
            "otlp_http": "http://tempo.cos.svc.cluster.local:4318"
        })
    );
    // tempo-api has no data yet in this state: its waiting message stays.
    assert_eq!(status(&r).0, "waiting");
    assert!(!status(&r).1.contains("tracing"), "{:?}", status(&r));
    assert!(
        !r.calls
            .iter()
            .any(|c| c.tool == "relation-set" && c.args.contains(&"--app".to_owned())),
        "the request is unchanged: not written again"
    );
}

#[test]
fn a_non_leader_tester_waits_for_the_leaders_request() {
    let dir = tester_dir();
    let s = state(&TESTER.replace("leader: true", "leader: false"));
    let r = process_in(
        dir.path(),
        &s,
        &EventSpec::on("tracing-relation-joined", "tracing:4").remote_unit("tempo/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    assert!(
        app_bag(&r, 4).is_empty(),
        "only the leader writes the request"
    );
    assert!(
        status(&r).1.contains("waiting for tracing receivers"),
        "{:?}",
        status(&r)
    );
}
