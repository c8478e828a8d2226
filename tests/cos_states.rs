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
    ("relation:logging", "logging is not served yet"),
    (
        "relation:self-charm-tracing",
        "self-charm-tracing is not served yet",
    ),
    (
        "relation:self-workload-tracing",
        "self-workload-tracing is not served yet",
    ),
    (
        "relation:tempo-cluster",
        "loki_endpoints and the self-tracing receivers are not given to the workers yet",
    ),
    (
        "nginx",
        "the Loki and self-tracing proxy locations are not served yet",
    ),
];

/// Databag values compared by a function rather than as bytes.
const CHECKS: &[(&str, ValueCheck)] = &[
    ("alert_rules", cos::check_alert_rules),
    ("dashboards", cos::check_dashboards),
];

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

#[test]
fn every_recorded_cos_state_matches_the_python_coordinator() {
    let how = Compare {
        skip: NOT_YET,
        checks: CHECKS,
        differs: DIFFERS,
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
