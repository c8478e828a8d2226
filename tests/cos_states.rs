//! The 32 COS deployment states recorded from the real Python coordinator
//! (tests/conformance/cos/states.json, a verbatim copy of ../shared; its README says what each
//! state is and how to compare), each run through our charm under charm-sim and compared part
//! by part with `common::recorded::compare`. Canonical's dashboards and alert rules are
//! redacted in the recordings and ours are our own: those values are checked by function
//! (`CHECKS`), everything else byte for byte. Where we differ on purpose, the difference is
//! asserted as ours (README.md lists it).

mod common;

use common::cos;
use common::recorded::{self, run, Compare, ValueCheck};
use serde_json::Value;

/// Parts of the recordings we do not produce yet, each with the reason. Every entry here is
/// work left; the list shrinks to nothing as the COS integrations land.
const NOT_YET: &[(&str, &str)] = &[];

/// Databag values compared by a function rather than as bytes.
const CHECKS: &[(&str, ValueCheck)] = &[
    ("alert_rules", metrics_alert_rules),
    ("alert_rules", logging_alert_rules),
    ("dashboards", cos::check_dashboards),
    ("datasources", datasources),
];

/// `alert_rules` on every endpoint but `logging` (metrics-endpoint, send-remote-write): our
/// PromQL rules against Python's redacted ones ([`cos::check_alert_rules`]).
fn metrics_alert_rules(endpoint: &str, key: &str, ours: &str, python: &str) -> Result<(), String> {
    if endpoint == "logging" {
        return Ok(());
    }
    cos::check_alert_rules(endpoint, key, ours, python)
}

/// Where we differ from the Python coordinator on purpose, case by case (README.md "Where we
/// differ"; each asserted as ours in tests/scrape.rs).
const DIFFERS: &[(&str, &str, &str)] = &[
    (
        "full-cos-leader-elected",
        "relation:send-remote-write",
        "Python publishes cosl's generic aggregator rules on send-remote-write at leader-elected only (oddity 5), though it means not to and Tempo does not remote-write `up`; we publish none",
    ),
    (
        "probes",
        "relation:probes",
        "Python writes probes only on some events (oddity 3); we write them on every reconcile",
    ),
    (
        "probes-ingress",
        "relation:probes",
        "Python writes probes only on some events (oddity 3); we write them on every reconcile",
    ),
];

/// receive-datasource `datasources`: Python's bytes, except where Python publishes the
/// per-unit uids Grafana v1 leaves empty (README oddity 1: `[]`, or a per-unit uid Grafana
/// never made); there ours lists the application-level uid of the same Grafanas, which
/// `receive_datasource_publishes_the_app_level_uid_grafana_reports` asserts exactly.
fn datasources(_endpoint: &str, _key: &str, ours: &str, python: &str) -> Result<(), String> {
    if ours == python {
        return Ok(());
    }
    let parse = |s: &str| serde_json::from_str::<Vec<Value>>(s).map_err(|e| e.to_string());
    let (o, p) = (parse(ours)?, parse(python)?);
    if o.is_empty() || o.iter().any(|d| d["type"] != "tempo") {
        return Err("ours differs and is not a list of Tempo datasources".into());
    }
    for d in &p {
        let uid = d["uid"].as_str().unwrap_or_default();
        let app_uid = uid.trim_end_matches(|c: char| c.is_ascii_digit());
        let app_uid = app_uid.strip_suffix('_').unwrap_or(uid);
        if d["type"] != "tempo"
            || !o
                .iter()
                .any(|x| x["grafana_uid"] == d["grafana_uid"] && x["uid"] == app_uid)
        {
            return Err(format!(
                "python's {d} is not a per-unit uid whose application-level uid we list"
            ));
        }
    }
    Ok(())
}

/// `alert_rules` on `logging`: ours are our own LogQL rules, Python's are redacted. In the
/// library's envelope (`{"groups": [{"name", "rules": [{"alert", "expr", "labels", ...}]}]}`),
/// the same applications covered (the set of juju_* topology label values, this charm's and
/// each worker application's), each group named `<model>_<uuid8>_<app>_..._rules` as cosl
/// names Python's, and each rule's LogQL selecting its own application.
fn logging_alert_rules(endpoint: &str, _: &str, ours: &str, python: &str) -> Result<(), String> {
    use serde_json::Value;
    use std::collections::BTreeSet;
    if endpoint != "logging" {
        return Ok(());
    }
    const TOPOLOGY: [&str; 4] = [
        "juju_application",
        "juju_charm",
        "juju_model",
        "juju_model_uuid",
    ];
    let topology = |labels: &Value| -> Vec<String> {
        TOPOLOGY
            .iter()
            .map(|k| labels[*k].as_str().unwrap_or("").to_owned())
            .collect()
    };
    let prefix = |t: &[String]| {
        let uuid8: String = t[3].chars().take(8).collect();
        format!("{}_{uuid8}_{}_", t[2], t[0]).replace('-', "_")
    };
    let ours: Value = serde_json::from_str(ours).map_err(|e| format!("ours is not JSON: {e}"))?;
    let python: Value =
        serde_json::from_str(python).map_err(|e| format!("python's is not JSON: {e}"))?;
    let groups = |v: &Value| v["groups"].as_array().cloned().unwrap_or_default();
    let mut want = BTreeSet::new();
    let mut python_prefixes = BTreeSet::new();
    for g in groups(&python) {
        for r in g["rules"].as_array().into_iter().flatten() {
            let t = topology(&r["topology_labels"]);
            python_prefixes.insert(prefix(&t));
            want.insert(t);
        }
    }
    let mut got = BTreeSet::new();
    for g in groups(&ours) {
        let name = g["name"].as_str().unwrap_or("");
        let rules = g["rules"].as_array().cloned().unwrap_or_default();
        if rules.is_empty() {
            return Err(format!("group {name} has no rules"));
        }
        for r in rules {
            let t = topology(&r["labels"]);
            if t.iter().any(String::is_empty) {
                return Err(format!("a rule of {name} lacks a juju_* label"));
            }
            if !(name.starts_with(&prefix(&t)) && name.ends_with("_rules")) {
                return Err(format!(
                    "group {name} is not named after its rules' topology"
                ));
            }
            if !python_prefixes.contains(&prefix(&t)) {
                return Err(format!(
                    "group {name}: Python has no group for this application"
                ));
            }
            let expr = r["expr"].as_str().unwrap_or("");
            if r["alert"].as_str().unwrap_or("").is_empty()
                || !expr.contains(&format!("juju_application=\"{}\"", t[0]))
            {
                return Err(format!(
                    "a rule of {name} does not select its application's logs"
                ));
            }
            got.insert(t);
        }
    }
    if got != want {
        return Err(format!(
            "applications covered: ours {got:?}, python {want:?}"
        ));
    }
    Ok(())
}

#[test]
fn every_recorded_cos_state_matches_the_python_coordinator() {
    let how = Compare {
        skip: NOT_YET,
        checks: CHECKS,
        differs: DIFFERS,
        log_targets_every_hook: true,
    };
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in recorded::cases("cos", 32) {
        let r = run(&case);
        failures.extend(recorded::compare(&case, &r, &how));
        compared += 1;
    }
    assert_eq!(compared, 32);
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn vendored_cos_states_are_identical_to_shared() {
    recorded::assert_vendored_equal("cos", &["states.json", "README.md"]);
}

/// Where we differ on purpose (README "Where we differ"): on receive-datasource we publish, for
/// each Grafana Tempo is a datasource in, the application-level uid it reports, where Python
/// publishes the per-unit ones (`[]` under Grafana v1). Exact, in every recorded state with
/// both relations; Python's value is the oddity in some of them.
#[test]
fn receive_datasource_publishes_the_app_level_uid_grafana_reports() {
    let (mut checked, mut python_differs) = (0, 0);
    for case in recorded::cases("cos", 32) {
        let c = &case["case"];
        let rels = c["relations"].as_array().expect("relations");
        let of = |endpoint: &str| -> Vec<&Value> {
            rels.iter().filter(|r| r["endpoint"] == endpoint).collect()
        };
        let leader = c.get("leader").and_then(Value::as_bool).unwrap_or(true);
        if !leader || of("grafana-source").is_empty() || of("receive-datasource").is_empty() {
            continue;
        }
        let mut ours: Vec<(String, String)> = of("grafana-source")
            .iter()
            .filter_map(|r| {
                let bag = &r["remote_app_data"];
                Some((
                    bag["app_datasource_uid"].as_str()?.to_owned(),
                    bag["grafana_uid"].as_str()?.to_owned(),
                ))
            })
            .collect();
        ours.sort();
        let want = format!(
            "[{}]",
            ours.iter()
                .map(|(uid, g)| format!(r#"{{"type":"tempo","uid":"{uid}","grafana_uid":"{g}"}}"#))
                .collect::<Vec<_>>()
                .join(",")
        );
        let r = run(&case);
        assert_eq!(r.exit_code, 0);
        for x in of("receive-datasource") {
            let id = x["id"].as_u64().expect("id") as u32;
            let got = &r.relation(id).expect("relation").local_app["datasources"];
            assert_eq!(got, &want, "{}: receive-datasource:{id}", c["id"]);
            let python = &case["expect"]["relations"][format!("receive-datasource:{id}")]
                ["local_app"]["datasources"];
            if python != &Value::from(want.as_str()) {
                python_differs += 1;
            }
        }
        checked += 1;
    }
    assert!(
        checked >= 7,
        "{checked} states with grafana-source and receive-datasource"
    );
    assert!(python_differs > 0);
}
