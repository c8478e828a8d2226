//! Deployment states recorded from the real Python coordinator (`../shared/conformance/
//! {coordinator,cos}/states.json`, verbatim copies under `tests/conformance/`): each case
//! becomes a charm-sim state, runs through our charm in-process, and is compared part by
//! part as the recordings' READMEs say. Used by `coordinator_states.rs` and `cos_states.rs`.

use std::path::Path;

use charm_sim::inprocess::run_in_process;
use charm_sim::{EventSpec, Report, State};
use serde_json::{json, Value};
use tempo_coordinator::{entry, nginx, Host};

use super::ROOT;

/// The cases of `tests/conformance/<set>/states.json`; `n` is how many the set holds.
pub fn cases(set: &str, n: usize) -> Vec<Value> {
    let path = Path::new(ROOT).join(format!("tests/conformance/{set}/states.json"));
    let text = std::fs::read_to_string(&path).expect("states.json");
    let v: Value = serde_json::from_str(&text).expect("states.json is JSON");
    let cases = v.as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), n, "{set}/states.json holds {n} states");
    cases
}

/// The vendored copy of a recorded set equals `../shared`'s. Under CI (`CI` set) a missing
/// `../shared` fails; elsewhere it is said and skipped.
pub fn assert_vendored_equal(set: &str, files: &[&str]) {
    let shared = Path::new(ROOT).join("../shared/conformance").join(set);
    if !shared.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "../shared/conformance/{set} is missing under CI: CI runs with ../shared beside the checkout"
        );
        eprintln!("../shared/conformance/{set} not present; nothing to compare against");
        return;
    }
    for name in files {
        let ours = std::fs::read(
            Path::new(ROOT)
                .join("tests/conformance")
                .join(set)
                .join(name),
        )
        .expect("copy");
        let theirs = std::fs::read(shared.join(name)).expect("shared");
        assert!(
            ours == theirs,
            "tests/conformance/{set}/{name} differs from ../shared; copy it again"
        );
    }
}

/// The recording's host: its pod FQDN, the nameserver and IPv6 the recording machine had.
pub struct Recorded(pub String);
impl Host for Recorded {
    fn fqdn(&self) -> Option<String> {
        Some(self.0.clone())
    }
    fn resolver(&self) -> Option<String> {
        Some("10.255.255.53".into())
    }
    fn ipv6(&self) -> bool {
        true
    }
}

/// The case as a simulator state: its relations (remote units numbered from the recording,
/// or one `<app>/0`), the peer units and their data, leadership, config, model uuid.
pub fn state_of(case: &Value) -> State {
    let c = &case["case"];
    let app = c["app"].as_str().expect("app");
    let peer_units: serde_json::Map<String, Value> = c
        .get("peer_units")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(n, bag)| (format!("{app}/{n}"), bag.clone()))
                .collect()
        })
        .unwrap_or_default();
    let mut relations = vec![json!({
        "id": 1,
        "endpoint": "peers",
        "remote_app": app,
        "remote_units": peer_units.keys().collect::<Vec<_>>(),
        "remote_units_data": peer_units,
    })];
    for r in c["relations"].as_array().expect("relations") {
        let remote = r["remote_app"].as_str().expect("remote_app");
        let units: serde_json::Map<String, Value> = match r.get("remote_units_data") {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(n, bag)| (format!("{remote}/{n}"), bag.clone()))
                .collect(),
            _ => [(format!("{remote}/0"), json!({}))].into_iter().collect(),
        };
        relations.push(json!({
            "id": r["id"],
            "endpoint": r["endpoint"],
            "remote_app": remote,
            "remote_units": units.keys().collect::<Vec<_>>(),
            "remote_app_data": r.get("remote_app_data").cloned().unwrap_or(json!({})),
            "remote_units_data": units,
        }));
    }
    let up = c
        .get("containers_connectable")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let mut state = json!({
        "unit": format!("{app}/0"),
        "model": c["model"],
        "leader": c.get("leader").and_then(Value::as_bool).unwrap_or(true),
        "config": c.get("config").cloned().unwrap_or(json!({})),
        "relations": relations,
        "containers": [
            {"name": "nginx", "can_connect": up, "exec": [{"command": ["nginx", "-t"]}]},
            {"name": "nginx-prometheus-exporter", "can_connect": up},
        ],
    });
    if let Some(uuid) = c.get("model_uuid") {
        state["model_uuid"] = uuid.clone();
    }
    serde_json::from_value(state).expect("a simulator state")
}

/// Runs the case's event on its state, in-process, from the repository as charm dir.
pub fn run(case: &Value) -> Report {
    let c = &case["case"];
    let event = c["event"].as_str().expect("event");
    let spec = match c.get("relation_id").and_then(Value::as_u64) {
        Some(id) => {
            let endpoint = event
                .rsplit_once("-relation-")
                .map_or(event, |(endpoint, _)| endpoint);
            let mut s = EventSpec::on(event, &format!("{endpoint}:{id}"));
            let remote = c["relations"]
                .as_array()
                .and_then(|rs| rs.iter().find(|r| r["id"] == json!(id)))
                .and_then(|r| r["remote_app"].as_str())
                .expect("the event's relation");
            s.remote_unit = Some(format!("{remote}/0"));
            s
        }
        None => EventSpec::new(event),
    };
    let host = Recorded(c["fqdn"].as_str().expect("fqdn").to_owned());
    run_in_process(&state_of(case), &spec, Path::new(ROOT), |env, runner| {
        entry(env, None, runner, &host)
    })
    .expect("the simulator runs the hook")
}

/// A tempo-cluster databag with each value JSON-decoded (`worker_config` YAML-decoded too).
pub fn decoded_cluster_bag(bag: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in bag.as_object().into_iter().flatten() {
        let s = v.as_str().unwrap_or_default();
        let mut decoded: Value = serde_json::from_str(s).unwrap_or(Value::Null);
        if k == "worker_config" {
            let yaml: serde_yaml::Value =
                serde_yaml::from_str(decoded.as_str().unwrap_or_default()).unwrap_or_default();
            decoded = serde_json::to_value(yaml).unwrap_or_default();
        }
        out.insert(k.clone(), decoded);
    }
    Value::Object(out)
}

/// A databag with each value YAML-decoded (traefik_route).
pub fn yaml_values(bag: &Value) -> Value {
    let mut out = serde_json::Map::new();
    for (k, v) in bag.as_object().into_iter().flatten() {
        let s = v.as_str().unwrap_or_default();
        let y: serde_yaml::Value = serde_yaml::from_str(s).unwrap_or_default();
        out.insert(k.clone(), serde_json::to_value(y).unwrap_or_default());
    }
    Value::Object(out)
}

/// Python's nginx.conf with the one intended fix applied: in servers with `grpc_pass`, the
/// tenant header is set with `grpc_set_header`.
pub fn with_grpc_fix(tokens: Vec<String>) -> Vec<String> {
    let mut out = tokens.clone();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "server" && tokens.get(i + 1).map(String::as_str) == Some("{") {
            let mut depth = 0;
            let mut end = i + 1;
            for (j, t) in tokens.iter().enumerate().skip(i + 1) {
                match t.as_str() {
                    "{" => depth += 1,
                    "}" => {
                        depth -= 1;
                        if depth == 0 {
                            end = j;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            if tokens[i..end].iter().any(|t| t == "grpc_pass") {
                for (j, t) in tokens.iter().enumerate().take(end).skip(i) {
                    if t == "proxy_set_header"
                        && tokens.get(j + 1).map(String::as_str) == Some("X-Scope-OrgID")
                    {
                        out[j] = "grpc_set_header".into();
                    }
                }
            }
            i = end;
        }
        i += 1;
    }
    out
}

/// One directive: its words and, for a block, its children.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Node(Vec<String>, Vec<Node>);

fn parse(tokens: &[String], at: &mut usize) -> Vec<Node> {
    let mut out = Vec::new();
    let mut words = Vec::new();
    while *at < tokens.len() {
        let t = &tokens[*at];
        *at += 1;
        match t.as_str() {
            ";" => out.push(Node(std::mem::take(&mut words), vec![])),
            "{" => {
                let body = parse(tokens, at);
                out.push(Node(std::mem::take(&mut words), body));
            }
            "}" => return out,
            _ => words.push(t.clone()),
        }
    }
    out
}

/// The Python coordinator lists per-worker-unit telemetry upstreams and locations in the
/// order of a Python `set` of units (arbitrary, per process); ours sorts them by unit. Runs
/// of those sibling blocks are compared as sets; everything else in order.
pub fn normalised(tokens: &[String]) -> Vec<Node> {
    fn per_unit(n: &Node) -> bool {
        let w = &n.0;
        (w.first().map(String::as_str) == Some("upstream")
            && w.get(1)
                .is_some_and(|x| x.starts_with("worker-telemetry-proxy-tempo-worker")))
            || (w.first().map(String::as_str) == Some("location")
                && w.get(2).is_some_and(|x| x.starts_with("/proxy/worker/")))
    }
    fn norm(nodes: Vec<Node>) -> Vec<Node> {
        let mut out: Vec<Node> = Vec::new();
        let mut run: Vec<Node> = Vec::new();
        for n in nodes {
            let n = Node(n.0, norm(n.1));
            if per_unit(&n) {
                run.push(n);
            } else {
                run.sort();
                out.append(&mut run);
                out.push(n);
            }
        }
        run.sort();
        out.append(&mut run);
        out
    }
    norm(parse(tokens, &mut 0))
}

/// A container of the report.
pub fn container<'a>(r: &'a Report, name: &str) -> &'a charm_sim::hook::ContainerReport {
    r.containers
        .iter()
        .find(|c| c.name == name)
        .expect("container in report")
}

/// How to compare one databag value that is not compared as bytes (a redacted or random one):
/// `(endpoint, key, ours, python) -> Err(why)` when they disagree.
pub type ValueCheck = fn(&str, &str, &str, &str) -> Result<(), String>;

/// What a comparison leaves out or compares differently.
#[derive(Default)]
pub struct Compare<'a> {
    /// Parts not compared (`"status"`, `"ports"`, `"nginx"`, `"plans"`, `"files"`, or
    /// `"relation:<endpoint>"`), each with the reason.
    pub skip: &'a [(&'a str, &'a str)],
    /// Databag keys compared by a function instead of as bytes (`dashboards`, `alert_rules`).
    pub checks: &'a [(&'a str, ValueCheck)],
    /// Parts where we differ from Python on purpose in one case (`(case id, part, why)`),
    /// each asserted as ours by a dedicated test and listed in README's "Where we differ".
    pub differs: &'a [(&'a str, &'a str, &'a str)],
}

impl Compare<'_> {
    fn skips(&self, part: &str) -> bool {
        self.skip.iter().any(|(p, _)| *p == part)
    }
    fn differs(&self, case: &str, part: &str) -> bool {
        self.differs
            .iter()
            .any(|(c, p, _)| *c == case && *p == part)
    }
}

/// Every difference between our run and the recording, one line each, as the README says.
pub fn compare(case: &Value, r: &Report, how: &Compare) -> Vec<String> {
    let id = case["case"]["id"].as_str().unwrap_or("?");
    let e = &case["expect"];
    let mut diffs = Vec::new();
    let mut diff = |what: &str, got: &dyn std::fmt::Debug, want: &dyn std::fmt::Debug| {
        diffs.push(format!(
            "{id}: {what}\n   ours:   {got:?}\n   python: {want:?}"
        ));
    };
    if r.exit_code != 0 {
        diff("exit code", &r.exit_code, &0);
    }
    let status = |s: &Option<charm_sim::state::StatusState>| {
        s.as_ref().map_or(
            json!({"status": "unknown", "message": ""}),
            |s| json!({"status": s.status, "message": s.message}),
        )
    };
    if !how.skips("status") {
        if status(&r.unit_status) != e["unit_status"] {
            diff("unit status", &status(&r.unit_status), &e["unit_status"]);
        }
        if status(&r.app_status) != e["app_status"] {
            diff("app status", &status(&r.app_status), &e["app_status"]);
        }
    }
    if !how.skips("ports") {
        let mut ports: Vec<u64> = r
            .opened_ports
            .iter()
            .filter_map(|p| p.strip_suffix("/tcp")?.parse::<u64>().ok())
            .collect();
        ports.sort_unstable();
        if Value::from(ports.clone()) != e["opened_ports"] {
            diff("opened ports", &ports, &e["opened_ports"]);
        }
    }
    for (key, want) in e["relations"].as_object().into_iter().flatten() {
        let (endpoint, rid) = key.split_once(':').expect("endpoint:id");
        let part = format!("relation:{endpoint}");
        if how.skips(&part) || how.differs(id, &part) {
            continue;
        }
        let rid: u32 = rid.parse().expect("relation id");
        let Some(rel) = r.relation(rid) else {
            diff(key, &"relation missing", want);
            continue;
        };
        let mut got_app = serde_json::to_value(&rel.local_app).expect("bag");
        let mut want_app = want["local_app"].clone();
        // Values compared by a function are checked here and left out of the byte comparison.
        for (k, check) in how.checks {
            let (g, w) = (got_app.get(*k).cloned(), want_app.get(*k).cloned());
            if g.is_none() && w.is_none() {
                continue;
            }
            let (g, w) = (
                g.as_ref().and_then(Value::as_str).unwrap_or_default(),
                w.as_ref().and_then(Value::as_str).unwrap_or_default(),
            );
            if g.is_empty() != w.is_empty() {
                diff(&format!("{key} `{k}` presence"), &g, &w);
            } else if let Err(why) = check(endpoint, k, g, w) {
                diff(&format!("{key} `{k}`: {why}"), &g.len(), &w.len());
            }
            for bag in [&mut got_app, &mut want_app] {
                if let Some(m) = bag.as_object_mut() {
                    m.remove(*k);
                }
            }
        }
        let got_unit = serde_json::to_value(&rel.local_unit).expect("bag");
        let (g, w) = match endpoint {
            "tempo-cluster" => (
                decoded_cluster_bag(&got_app),
                decoded_cluster_bag(&want_app),
            ),
            "ingress" => (yaml_values(&got_app), yaml_values(&want_app)),
            _ => (got_app, want_app),
        };
        if g != w {
            diff(&format!("{key} application databag"), &g, &w);
        }
        if got_unit != want["local_unit"] {
            diff(
                &format!("{key} unit databag"),
                &got_unit,
                &want["local_unit"],
            );
        }
    }
    if let (false, Some(want)) = (how.skips("nginx"), e["nginx_config"].as_str()) {
        let got = super::pushed_nginx_conf(r).unwrap_or_default();
        let (g, w) = (nginx::tokens(&got), with_grpc_fix(nginx::tokens(want)));
        if normalised(&g) != normalised(&w) {
            let at = g
                .iter()
                .zip(&w)
                .position(|(a, b)| a != b)
                .unwrap_or(g.len().min(w.len()));
            diff(
                "nginx.conf tokens",
                &g[at.saturating_sub(8)..(at + 8).min(g.len())].join(" "),
                &w[at.saturating_sub(8)..(at + 8).min(w.len())].join(" "),
            );
        }
    }
    if !how.skips("plans") {
        for (name, plan) in e["plans"].as_object().into_iter().flatten() {
            let ours = &container(r, name).plan;
            for (svc, want) in plan["services"].as_object().into_iter().flatten() {
                let got = ours.services.get(svc);
                let same = got.is_some_and(|s| {
                    s.command.as_deref() == want["command"].as_str()
                        && s.startup
                            .map(|x| serde_json::to_value(x).unwrap_or_default())
                            == Some(want["startup"].clone())
                });
                if !same {
                    diff(&format!("{name} plan service {svc}"), &got, want);
                }
            }
        }
    }
    diffs
}
