//! The 32 COS deployment states recorded from the real Python coordinator
//! (tests/conformance/cos/states.json, a verbatim copy of ../shared; its README says what each
//! state is and how to compare), each run through our charm under charm-sim and compared part
//! by part with `common::recorded::compare`. Canonical's dashboards and alert rules are
//! redacted in the recordings and ours are our own: those values are checked by function
//! (`CHECKS`), everything else byte for byte. Where we differ on purpose, the difference is
//! asserted as ours (README.md lists it).

mod common;

use common::recorded::{self, run, Compare, ValueCheck};

/// Parts of the recordings we do not produce yet, each with the reason. Every entry here is
/// work left; the list shrinks to nothing as the COS integrations land.
const NOT_YET: &[(&str, &str)] = &[
    (
        "relation:grafana-source",
        "grafana-source is not served yet",
    ),
    (
        "relation:receive-datasource",
        "receive-datasource is not served yet",
    ),
    ("relation:catalogue", "catalogue is not served yet"),
    (
        "relation:metrics-endpoint",
        "metrics-endpoint is not served yet",
    ),
    (
        "relation:grafana-dashboard",
        "grafana-dashboard is not served yet",
    ),
    ("relation:probes", "probes is not served yet"),
    (
        "relation:send-remote-write",
        "remote-write alert rules are not published yet",
    ),
    (
        "relation:peers",
        "the peer `hostname` key is not written yet",
    ),
];

/// Databag values compared by a function rather than as bytes.
const CHECKS: &[(&str, ValueCheck)] = &[("alert_rules", logging_alert_rules)];

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
