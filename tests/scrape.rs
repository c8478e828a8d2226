//! COS watching Tempo (issue 24): our alert rules through promtool (as shipped and as sent,
//! topology injected), our dashboards decoded and checked (their queries through promtool
//! too), the scrape jobs following peers and workers, and where we differ from Python on
//! purpose (probes on every reconcile, no remote-write rules at leader-elected).

mod common;

use std::path::Path;

use charm_sim::inprocess::run_in_process;
use charm_sim::{EventSpec, Report};
use common::cos::{self, promtool, promtool_check};
use common::recorded::{self, Recorded};
use common::ROOT;
use serde_json::{json, Value};
use tempo_coordinator::entry;

fn case(id: &str) -> Value {
    recorded::cases("cos", 32)
        .into_iter()
        .find(|c| c["case"]["id"] == id)
        .unwrap_or_else(|| panic!("no recorded case {id}"))
}

/// Runs `spec` on a recorded case's state.
fn run_on(case: &Value, spec: &EventSpec) -> Report {
    let host = Recorded(case["case"]["fqdn"].as_str().unwrap().to_owned());
    let r = run_in_process(
        &recorded::state_of(case),
        spec,
        Path::new(ROOT),
        |env, runner| entry(env, None, runner, &host),
    )
    .unwrap();
    assert_eq!(r.exit_code, 0, "{}", r.stderr);
    r
}

fn app_bag(r: &Report, id: u32) -> serde_json::Map<String, Value> {
    serde_json::to_value(&r.relation(id).expect("relation").local_app)
        .unwrap()
        .as_object()
        .unwrap()
        .clone()
}

fn jobs(r: &Report) -> Vec<Value> {
    let bag = app_bag(r, 70);
    serde_json::from_str::<Vec<Value>>(bag["scrape_jobs"].as_str().unwrap()).unwrap()
}

fn exporter_units(jobs: &[Value]) -> Vec<String> {
    jobs.iter()
        .filter(|j| j["metrics_path"] == "/metrics")
        .map(|j| {
            j["static_configs"][0]["labels"]["juju_unit"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

#[test]
fn alert_rules_pass_promtool_as_shipped_and_as_sent() {
    let Some(promtool) = promtool() else { return };
    for name in ["workers.rules", "coordinator.rules"] {
        let text =
            std::fs::read_to_string(Path::new(ROOT).join("src/alert_rules").join(name)).unwrap();
        let said = promtool_check(promtool, name, &text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(said.contains("SUCCESS"), "{said}");
    }
    // As the charm sends them, groups renamed and topology labels added: one worker group
    // per worker application, one for the coordinator.
    for (id, groups) in [
        ("metrics-all", 2),
        ("metrics-distributed", 7),
        ("full-cos-distributed", 7),
    ] {
        let c = case(id);
        let r = recorded::run(&c);
        let sent = app_bag(&r, 70)["alert_rules"].as_str().unwrap().to_owned();
        let said = promtool_check(promtool, "sent.rules", &sent)
            .unwrap_or_else(|e| panic!("{id}: promtool refuses what we send: {e}"));
        let v: Value = serde_json::from_str(&sent).unwrap();
        assert_eq!(v["groups"].as_array().unwrap().len(), groups, "{id}");
        let rules: usize = v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["rules"].as_array().unwrap().len())
            .sum();
        assert!(
            said.contains(&format!("SUCCESS: {rules} rules found")),
            "{said}"
        );
    }
    // promtool does refuse a broken rule: the check above can fail.
    let broken = "groups:\n- name: x\n  rules:\n  - alert: Broken\n    expr: sum(rate(up[5m]) >\n";
    assert!(promtool_check(promtool, "broken.rules", broken).is_err());
}

#[test]
fn alert_rules_cover_what_an_on_call_engineer_needs() {
    let r = recorded::run(&case("metrics-all"));
    let v: Value = serde_json::from_str(app_bag(&r, 70)["alert_rules"].as_str().unwrap()).unwrap();
    let alerts: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .map(|r| r["alert"].as_str().unwrap())
        .collect();
    for (need, alert) in [
        ("ingestion refused", "TempoSpansRefused"),
        ("ingestion failing", "TempoIngestionFailing"),
        ("ingester flush failures", "TempoIngesterFlushesFailing"),
        ("compaction stalled", "TempoCompactionStalled"),
        ("compaction failing", "TempoCompactionFailing"),
        ("query errors", "TempoQueryErrors"),
        ("query latency", "TempoQueryLatencyHigh"),
        ("a worker down", "TempoWorkerDown"),
        ("nginx down", "TempoNginxDown"),
        (
            "nginx dropping connections",
            "TempoNginxDroppingConnections",
        ),
    ] {
        assert!(
            alerts.contains(&alert),
            "no rule for {need} ({alert}) in {alerts:?}"
        );
    }
}

/// Every panel's query as a recording rule, Grafana's variables replaced by what they stand
/// for, so promtool parses the dashboards' PromQL too.
fn panel_queries_as_rules(d: &Value) -> String {
    let mut out = String::from("groups:\n- name: panels\n  rules:\n");
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().into_iter().flatten() {
            let expr = t["expr"]
                .as_str()
                .unwrap()
                .replace("$__rate_interval", "5m")
                .replace("$juju_model_uuid", ".*")
                .replace("$juju_model", ".*")
                .replace("$juju_application", ".*")
                .replace("$tenant", ".*");
            out.push_str(&format!(
                "  - record: panel:{}:{}\n    expr: {}\n",
                p["id"],
                t["refId"].as_str().unwrap(),
                serde_json::to_string(&expr).unwrap()
            ));
        }
    }
    out
}

#[test]
fn dashboards_decode_to_valid_grafana_dashboards_with_valid_queries() {
    let r = recorded::run(&case("grafana-dashboard"));
    let v: Value = serde_json::from_str(app_bag(&r, 71)["dashboards"].as_str().unwrap()).unwrap();
    let templates = v["templates"].as_object().unwrap();
    assert_eq!(templates.len(), 5);
    let promtool = promtool();
    let mut titles = Vec::new();
    for (name, t) in templates {
        let d = cos::decode_dashboard(t["content"].as_str().unwrap()).unwrap();
        cos::check_dashboard_json(&d).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            d["tags"],
            json!(["tempo", "charm: tempo-coordinator-k8s"]),
            "{name}"
        );
        if let Some(promtool) = promtool {
            promtool_check(promtool, "panels.rules", &panel_queries_as_rules(&d))
                .unwrap_or_else(|e| panic!("{name}: a panel's query does not parse: {e}"));
        }
        if name == "file:tempo" {
            titles = d["panels"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["title"].as_str().unwrap().to_owned())
                .collect();
        }
    }
    // The overview shows what the issue asks for.
    for want in [
        "Spans received per receiver",
        "Spans refused per receiver",
        "Query rate per route",
        "Query latency per route (p99)",
        "Live traces per ingester",
        "Ingester flushes",
        "Compaction",
        "Answers through nginx by route and status",
        "Each worker's state",
    ] {
        assert!(
            titles.iter().any(|t| t == want),
            "no `{want}` panel in {titles:?}"
        );
    }
    // The checks refuse what Grafana could not use.
    let mut bad =
        cos::decode_dashboard(templates["file:tempo"]["content"].as_str().unwrap()).unwrap();
    bad["panels"] = json!([]);
    assert!(cos::check_dashboard_json(&bad).is_err());
    assert!(cos::decode_dashboard("bm90IHh6").is_err());
}

#[test]
fn the_dashboards_envelope_is_stable_and_only_the_leader_sends_it() {
    let c = case("grafana-dashboard");
    let a = app_bag(&recorded::run(&c), 71);
    let b = app_bag(&recorded::run(&c), 71);
    assert_eq!(
        a, b,
        "same dashboards, same bytes (and uuid): Grafana is not woken for nothing"
    );
    let mut other = c.clone();
    other["case"]["leader"] = json!(false);
    assert!(app_bag(&recorded::run(&other), 71).is_empty());
}

#[test]
fn the_value_checks_fail_on_a_wrong_value() {
    let c = case("full-cos-distributed");
    let r = recorded::run(&c);
    let want = &c["expect"]["relations"];
    let ours = app_bag(&r, 70)["alert_rules"].as_str().unwrap().to_owned();
    let python = want["metrics-endpoint:70"]["local_app"]["alert_rules"]
        .as_str()
        .unwrap();
    cos::check_alert_rules("metrics-endpoint", "alert_rules", &ours, python).unwrap();
    let wrong_model = ours.replace("\"juju_model\":\"cos\"", "\"juju_model\":\"other\"");
    assert!(cos::check_alert_rules("", "", &wrong_model, python).is_err());
    let mut v: Value = serde_json::from_str(&ours).unwrap();
    v["groups"].as_array_mut().unwrap().remove(0);
    assert!(cos::check_alert_rules("", "", &v.to_string(), python).is_err());

    let ours = app_bag(&r, 71)["dashboards"].as_str().unwrap().to_owned();
    let python = want["grafana-dashboard:71"]["local_app"]["dashboards"]
        .as_str()
        .unwrap();
    cos::check_dashboards("", "", &ours, python).unwrap();
    let mut v: Value = serde_json::from_str(&ours).unwrap();
    v["uuid"] = json!("not-a-uuid");
    assert!(cos::check_dashboards("", "", &v.to_string(), python).is_err());
    let mut v: Value = serde_json::from_str(&ours).unwrap();
    v["templates"]["file:tempo"]["dashboard_alt_uid"] = json!("0000000000000000");
    assert!(cos::check_dashboards("", "", &v.to_string(), python).is_err());
}

#[test]
fn scrape_jobs_follow_the_coordinator_units_and_the_workers() {
    // Three coordinator units: the peers' exporters (unit order), then ours.
    let c = case("metrics-three-coordinators");
    let r = recorded::run(&c);
    assert_eq!(exporter_units(&jobs(&r)), ["tempo/1", "tempo/2", "tempo/0"]);
    // A peer leaving is dropped from the jobs in its departed hook.
    let mut spec = EventSpec::on("peers-relation-departed", "peers:1").remote_unit("tempo/2");
    spec.departing_unit = Some("tempo/2".into());
    let r = run_on(&c, &spec);
    assert_eq!(exporter_units(&jobs(&r)), ["tempo/1", "tempo/0"]);
    // A peer whose hostname is not a DNS name is not scraped.
    let mut bad = c.clone();
    bad["case"]["peer_units"]["1"]["hostname"] = json!("evil host; rm -rf /");
    assert_eq!(
        exporter_units(&jobs(&recorded::run(&bad))),
        ["tempo/2", "tempo/0"]
    );

    // Twelve worker units: one job each; one leaving drops its job.
    let c = case("metrics-distributed");
    let before = jobs(&recorded::run(&c));
    assert_eq!(before.len(), 12 + 1);
    let rel = &c["case"]["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["endpoint"] == "tempo-cluster")
        .unwrap()
        .clone();
    let (id, app) = (
        rel["id"].as_u64().unwrap(),
        rel["remote_app"].as_str().unwrap(),
    );
    let gone = format!("{app}/1");
    let mut spec = EventSpec::on(
        "tempo-cluster-relation-departed",
        &format!("tempo-cluster:{id}"),
    )
    .remote_unit(&gone);
    spec.departing_unit = Some(gone.clone());
    let after = jobs(&run_on(&c, &spec));
    assert_eq!(after.len(), 12);
    let path = format!("/proxy/worker/{}/metrics", gone.replace('/', "-"));
    assert!(before.iter().any(|j| j["metrics_path"] == path.as_str()));
    assert!(!after.iter().any(|j| j["metrics_path"] == path.as_str()));
}

#[test]
fn probes_are_written_on_every_reconcile_and_follow_the_ingress() {
    // Python writes nothing on config-changed (probes, probes-ingress: its probes go stale
    // when the ingress changes); we write there what Python writes when it does write
    // (probes-joined, probes-joined-ingress), byte for byte.
    for (ours, python) in [
        ("probes", "probes-joined"),
        ("probes-ingress", "probes-joined-ingress"),
    ] {
        let r = recorded::run(&case(ours));
        let want = &case(python)["expect"]["relations"]["probes:73"]["local_app"];
        assert_eq!(
            serde_json::to_value(app_bag(&r, 73)).unwrap(),
            *want,
            "{ours}"
        );
    }
}

#[test]
fn no_remote_write_alert_rules_at_leader_elected() {
    // Python publishes cosl's generic aggregator rules on send-remote-write at leader-elected
    // only, though it sets alert_rules_path="" meaning to publish none; Tempo remote-writes
    // span metrics, never `up`, so those rules would fire for nothing. We publish none.
    let r = recorded::run(&case("full-cos-leader-elected"));
    assert!(app_bag(&r, 9).is_empty(), "{:?}", app_bag(&r, 9));
}

#[test]
fn one_write_per_databag_with_every_cos_relation() {
    // The leader of three units with six worker applications and every COS relation: each
    // of our databags on metrics-endpoint, grafana-dashboard, probes and peers is written
    // in one relation-set, the peers' hostnames read once each.
    let mut c = case("full-cos-distributed");
    c["case"]["relations"]
        .as_array_mut()
        .unwrap()
        .push(json!({"endpoint": "probes", "id": 73, "remote_app": "blackbox"}));
    let r = recorded::run(&c);
    let calls: Vec<String> = r
        .calls
        .iter()
        .map(|c| format!("{} {}", c.tool, c.args.join(" ")))
        .collect();
    let count = |p: &str| calls.iter().filter(|c| c.starts_with(p)).count();
    assert_eq!(
        count("relation-set -r metrics-endpoint:70 --app"),
        1,
        "{calls:#?}"
    );
    assert_eq!(
        count("relation-set -r metrics-endpoint:70 --file"),
        1,
        "{calls:#?}"
    );
    assert_eq!(count("relation-set -r grafana-dashboard:71"), 1);
    assert_eq!(count("relation-set -r probes:73"), 1);
    assert_eq!(count("relation-set -r peers:1"), 1);
    assert_eq!(count("relation-get --format=json -r peers:1"), 2);
    for e in ["metrics-endpoint", "grafana-dashboard", "probes", "peers"] {
        assert_eq!(count(&format!("relation-ids {e} ")), 1, "{e}");
    }
    eprintln!(
        "full-cos-distributed + probes, leader: {} hook-tool calls",
        calls.len()
    );

    // A non-leader writes its unit bags only: its scrape address (Traefik's host, read for
    // it) and its hostname; no application data, no peer reads.
    let r = recorded::run(&case("full-cos-non-leader"));
    let calls: Vec<String> = r
        .calls
        .iter()
        .map(|c| format!("{} {}", c.tool, c.args.join(" ")))
        .collect();
    let sets: Vec<&String> = calls
        .iter()
        .filter(|c| c.starts_with("relation-set"))
        .collect();
    assert_eq!(
        sets,
        [
            "relation-set -r metrics-endpoint:70 --file -",
            "relation-set -r peers:1 --file -",
        ],
        "{calls:#?}"
    );
    assert!(!calls
        .iter()
        .any(|c| c.starts_with("relation-get --format=json -r peers")));
    eprintln!("full-cos-non-leader: {} hook-tool calls", calls.len());
}
