//! `juju refresh` from the Python coordinator to ours: each recorded deployment state's end
//! state as the Python charm left it (every local databag, statuses, opened ports, the files it
//! pushed and its Pebble plans, services running) is the start; our charm runs
//! `upgrade-charm` on it, as Juju runs it after a refresh. No databag byte may change, and
//! nginx is never restarted (a changed nginx.conf is applied with a reload).

mod common;

use std::path::Path;

use charm_sim::inprocess::run_in_process;
use charm_sim::{EventSpec, Report, State};
use common::recorded::{self, Recorded};
use serde_json::{json, Value};
use tempo_coordinator::entry;

/// The state the Python charm left after the recorded hook.
fn python_end_state(case: &Value) -> State {
    let e = &case["expect"];
    let mut v = serde_json::to_value(recorded::state_of(case)).expect("state serialises");
    for rel in v["relations"].as_array_mut().into_iter().flatten() {
        let key = format!(
            "{}:{}",
            rel["endpoint"].as_str().unwrap_or_default(),
            rel["id"]
        );
        if let Some(want) = e["relations"].get(&key) {
            rel["local_app"] = want["local_app"].clone();
            rel["local_unit"] = want["local_unit"].clone();
        }
    }
    for status in ["unit_status", "app_status"] {
        if e[status]["status"] != "unknown" {
            v[status] = e[status].clone();
        }
    }
    v["opened_ports"] = e["opened_ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| json!(format!("{p}/tcp")))
        .collect();
    for c in v["containers"].as_array_mut().into_iter().flatten() {
        let name = c["name"].as_str().unwrap_or_default().to_owned();
        if c["can_connect"] == json!(false) {
            continue;
        }
        let mut files = serde_json::Map::new();
        if let Some(pushed) = e.get("files").and_then(|f| f.get(&name)) {
            for (path, content) in pushed.as_object().into_iter().flatten() {
                files.insert(path.clone(), content.clone());
            }
        }
        if let (true, Some(conf)) = (name == "nginx", e["nginx_config"].as_str()) {
            files.insert(
                tempo_coordinator::nginx::CONFIG_PATH.to_owned(),
                json!(conf),
            );
        }
        c["files"] = Value::Object(files);
        let plan = &e["plans"][&name];
        if plan["services"].as_object().is_some_and(|s| !s.is_empty()) {
            c["layers"] = json!([{"label": name, "layer": plan}]);
            let services = plan["services"].as_object().cloned().unwrap_or_default();
            c["services"] = services
                .keys()
                .map(|svc| (svc.clone(), json!("active")))
                .collect();
            // Each service runs with the definition Python's plan gives it (as charm-sim's
            // Pebble records what it started), so a replan that changes it restarts it.
            c["started_with"] = services
                .iter()
                .map(|(svc, def)| {
                    let def: juju_charm::pebble::Service =
                        serde_json::from_value(def.clone()).expect("a Pebble service");
                    (
                        svc.clone(),
                        json!(serde_json::to_string(&def).expect("serialises")),
                    )
                })
                .collect();
        }
    }
    serde_json::from_value(v).expect("the Python end state is a simulator state")
}

fn upgrade(case: &Value) -> Report {
    let host = Recorded(case["case"]["fqdn"].as_str().expect("fqdn").to_owned());
    run_in_process(
        &python_end_state(case),
        &EventSpec::new("upgrade-charm"),
        Path::new(common::ROOT),
        |env, runner| entry(env, None, runner, &host),
    )
    .expect("the simulator runs upgrade-charm")
}

/// Every databag key whose bytes changed on the refresh: `(relation, unit|app, key)`.
fn changed_keys(case: &Value, r: &Report) -> Vec<String> {
    let mut out = Vec::new();
    for (key, want) in case["expect"]["relations"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let id: u32 = key
            .split_once(':')
            .and_then(|(_, id)| id.parse().ok())
            .expect("endpoint:id");
        let rel = r.relation(id).expect("relation still there");
        for (side, ours) in [("app", &rel.local_app), ("unit", &rel.local_unit)] {
            let theirs = want[format!("local_{side}")]
                .as_object()
                .cloned()
                .unwrap_or_default();
            let keys: std::collections::BTreeSet<&String> =
                theirs.keys().chain(ours.keys()).collect();
            for k in keys {
                if theirs.get(k).and_then(Value::as_str) != ours.get(k).map(String::as_str) {
                    out.push(format!("{key} {side} {k}"));
                }
            }
        }
    }
    out
}

/// nginx restarted = started again with another definition than the Python charm's (a
/// changed nginx.conf is applied with `nginx -s reload`, an exec, not a restart).
fn nginx_restarted(case: &Value, r: &Report) -> Option<String> {
    let started = |s: &State| {
        s.containers
            .iter()
            .find(|c| c.name == "nginx")
            .and_then(|c| c.started_with.get("nginx").cloned())
    };
    let (before, after) = (started(&python_end_state(case)), started(&r.state));
    (before.is_some() && before != after)
        .then(|| format!("nginx restarted: {before:?} -> {after:?}"))
}

#[test]
fn refresh_from_the_python_charm_changes_no_databag_byte_and_restarts_nothing() {
    let mut problems = Vec::new();
    for case in recorded::cases("coordinator", 21) {
        let id = case["case"]["id"].as_str().unwrap_or("?").to_owned();
        let r = upgrade(&case);
        if r.exit_code != 0 {
            problems.push(format!("{id}: exit {}: {}", r.exit_code, r.stderr));
            continue;
        }
        for change in changed_keys(&case, &r) {
            problems.push(format!("{id}: {change} changed"));
        }
        problems.extend(nginx_restarted(&case, &r).map(|why| format!("{id}: {why}")));
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// Where a refresh from the Python charm changes bytes on purpose, each in README's "Where we
/// differ": `(endpoint, side, key, why)`.
const COS_DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    (
        "grafana-dashboard",
        "app",
        "dashboards",
        "the dashboards are our own",
    ),
    (
        "metrics-endpoint",
        "app",
        "alert_rules",
        "the alert rules are our own",
    ),
    (
        "logging",
        "app",
        "alert_rules",
        "the LogQL rules are our own",
    ),
    (
        "receive-datasource",
        "app",
        "datasources",
        "we publish the datasource Grafana made, Python `[]`",
    ),
    (
        "probes",
        "app",
        "scrape_probes",
        "probes are written on every reconcile",
    ),
    (
        "probes",
        "app",
        "scrape_metadata",
        "probes are written on every reconcile",
    ),
    (
        "probes",
        "app",
        "scrape_modules",
        "probes are written on every reconcile",
    ),
    (
        "send-remote-write",
        "app",
        "alert_rules",
        "no generic aggregator rules on remote-write",
    ),
    (
        "tempo-cluster",
        "app",
        "charm_tracing_receivers",
        "self-tracing proxies otlp_http only",
    ),
    (
        "peers",
        "unit",
        "fqdn",
        "the peer FQDN is written on upgrade-charm, as Python's PeerData does on its events",
    ),
];

#[test]
fn refresh_from_the_python_charm_in_cos_changes_only_what_readme_lists() {
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for case in recorded::cases("cos", 32) {
        let id = case["case"]["id"].as_str().unwrap_or("?").to_owned();
        let r = upgrade(&case);
        if r.exit_code != 0 {
            problems.push(format!("{id}: exit {}: {}", r.exit_code, r.stderr));
            continue;
        }
        for change in changed_keys(&case, &r) {
            let mut words = change.split(' ');
            let (rel, side, key) = (
                words.next().unwrap_or_default(),
                words.next().unwrap_or_default(),
                words.next().unwrap_or_default(),
            );
            let endpoint = rel.split(':').next().unwrap_or_default();
            match COS_DIFFERENCES
                .iter()
                .find(|(e, s, k, _)| *e == endpoint && *s == side && *k == key)
            {
                Some(d) => {
                    seen.insert(d.2.to_owned() + "@" + d.0);
                }
                None => problems.push(format!("{id}: {change} changed")),
            }
        }
        problems.extend(nginx_restarted(&case, &r).map(|why| format!("{id}: {why}")));
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // Every listed difference is one the recordings show (none listed for nothing).
    for (e, _, k, why) in COS_DIFFERENCES {
        assert!(
            seen.contains(&format!("{k}@{e}")),
            "{e} {k} ({why}) never differed"
        );
    }
}
