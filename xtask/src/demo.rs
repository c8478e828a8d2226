//! `cargo xtask demo [--json | --short]`: a whole deployment walked through charm-sim hook
//! by hook (`examples/deploy-scenario.yaml`), one line per hook with the reason of each status
//! change, a summary line, then what the charm published: the databags, the Pebble plans,
//! nginx's and Tempo's configurations.
//!
//! Everything shown comes from the scenario file and the reports: a step added to the
//! scenario (a new relation, a remote write) shows up, and is named as the reason of the
//! next status change, with no change here.

use std::path::Path;

use anyhow::{Context, Result};
use charm_sim::process::ProcessOptions;
use charm_sim::scenario::{run_scenario_with, Scenario, StepSpec};
use charm_sim::{Report, State};
type Databag = std::collections::BTreeMap<String, String>;
use serde_json::{json, Value};

const SCENARIO: &str = "examples/deploy-scenario.yaml";
const NGINX_CONF: &str = "/etc/nginx/nginx.conf";
/// The roles a Tempo cluster needs (`all` counts for every one), as the charm checks them.
const ROLES: &[&str] = &[
    "querier",
    "query-frontend",
    "ingester",
    "distributor",
    "compactor",
];

/// What the demo prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The walk, the summary and what the charm published.
    Full,
    /// The walk and the summary.
    Short,
    /// Everything as JSON.
    Json,
}

/// The worker roles present on `tempo-cluster` relations (each application's `role`, JSON
/// in its databag), and those missing.
fn roles(state: &charm_sim::State) -> (Vec<String>, Vec<&'static str>) {
    let mut present: Vec<String> = state
        .relations
        .iter()
        .filter(|r| r.endpoint == "tempo-cluster")
        .filter_map(|r| r.remote_app_data.get("role"))
        .filter_map(|v| serde_json::from_str::<String>(v).ok())
        .flat_map(|v| v.split(',').map(str::to_owned).collect::<Vec<_>>())
        .collect();
    present.sort();
    present.dedup();
    let all = present.iter().any(|r| r == "all");
    let missing = ROLES
        .iter()
        .copied()
        .filter(|r| !all && !present.iter().any(|p| p == r))
        .collect();
    (present, missing)
}

/// Why the unit's status became what it is: what the world did just before the hook, the
/// hook itself (a remote unit joining or leaving by name), and for a cluster which roles
/// are missing, or that none is missing any more.
fn why(step: &StepSpec, r: &Report, world: &[String], was_inconsistent: bool) -> String {
    let mut parts: Vec<String> = world.to_vec();
    let spec = step.spec().unwrap_or_default();
    parts.push(match (&spec.remote_unit, r.event.rsplit('-').next()) {
        (Some(u), Some("joined")) => format!("{u} joined ({})", r.event),
        (Some(u), Some("departed")) => format!("{u} left ({})", r.event),
        _ => r.event.clone(),
    });
    let message = r.unit_status.as_ref().map_or("", |s| s.message.as_str());
    let (present, missing) = roles(&r.state);
    if message.contains("Cluster inconsistent") {
        parts.push(format!("missing roles: {}", missing.join(", ")));
    } else if was_inconsistent && missing.is_empty() {
        parts.push(format!("every role is there ({})", present.join(", ")));
    }
    parts.join("; ")
}

/// What a hook changed that the rest of the world sees, one entry per place: the keys of
/// each databag it wrote (`-key` for one it deleted), the files it pushed or removed and the
/// layers it added or changed in each container (with their log targets), the secrets it
/// made; and `https` once a URL it publishes turns to https.
fn brought(before: &State, after: &State) -> Vec<String> {
    let mut out = Vec::new();
    let mut https = false;
    let empty = Databag::new();
    for rel in &after.relations {
        let old = before.relation(rel.id);
        let mut keys: Vec<String> = Vec::new();
        for (bag, old_bag) in [
            (&rel.local_app, old.map_or(&empty, |r| &r.local_app)),
            (&rel.local_unit, old.map_or(&empty, |r| &r.local_unit)),
        ] {
            for (k, v) in bag {
                let was = old_bag.get(k);
                if was != Some(v) {
                    keys.push(k.clone());
                    https |= v.contains("https://") && !was.is_some_and(|o| o.contains("https://"));
                }
            }
            keys.extend(
                old_bag
                    .keys()
                    .filter(|k| !bag.contains_key(*k))
                    .map(|k| format!("-{k}")),
            );
        }
        if !keys.is_empty() {
            out.push(format!("{} {}: {}", rel.endpoint, rel.id, keys.join(", ")));
        }
    }
    for c in &after.containers {
        let old = before.containers.iter().find(|o| o.name == c.name);
        let mut what: Vec<String> = Vec::new();
        for (path, f) in &c.files {
            let was = old.and_then(|o| o.files.get(path));
            if was.map(|w| w.content()) != Some(f.content()) {
                what.push(path.clone());
            }
        }
        for path in old.into_iter().flat_map(|o| o.files.keys()) {
            if !c.files.contains_key(path) {
                what.push(format!("-{path}"));
            }
        }
        for l in &c.layers {
            let was = old.and_then(|o| o.layers.iter().find(|w| w.label == l.label));
            if was.map(|w| &w.layer) != Some(&l.layer) {
                // A target whose services are only `-all` forwards nothing: a Loki that left.
                let targets: Vec<String> = l
                    .layer
                    .log_targets
                    .iter()
                    .map(|(name, t)| match t.services.as_slice() {
                        [only] if only == "-all" => format!("{name} off"),
                        _ => name.clone(),
                    })
                    .collect();
                what.push(if targets.is_empty() {
                    format!("layer {}", l.label)
                } else {
                    format!("layer {} (log targets {})", l.label, targets.join(", "))
                });
            }
        }
        if !what.is_empty() {
            out.push(format!("container {}: {}", c.name, what.join(", ")));
        }
    }
    for secret in &after.secrets {
        if !before.secrets.iter().any(|b| b.id == secret.id) {
            out.push(format!(
                "secret {}",
                secret.label.as_deref().unwrap_or(secret.id.as_str())
            ));
        }
    }
    if https {
        out.push("https: the URLs it publishes are https now".to_owned());
    }
    out
}

/// Ports as `opened-ports` gives them, sorted by number then protocol.
fn sorted_ports(ports: &[String]) -> Vec<String> {
    let mut p = ports.to_vec();
    p.sort_by_key(|s| {
        let (n, proto) = s.split_once('/').unwrap_or((s, ""));
        (
            n.split('-')
                .next()
                .and_then(|n| n.parse::<u32>().ok())
                .unwrap_or(u32::MAX),
            proto.to_owned(),
            s.clone(),
        )
    });
    p
}

/// One line per step: a hook and what it did, or a change of the world.
fn step_json(r: &Report) -> Value {
    let status = r
        .unit_status
        .as_ref()
        .map(|s| json!({"status": s.status, "message": s.message}));
    json!({
        "event": r.event,
        "exit_code": r.exit_code,
        "unit_status": status,
        "hook_tool_calls": r.calls.len(),
        "pebble_requests": r.containers.iter().map(|c| c.pebble_requests.len()).sum::<usize>(),
    })
}

/// `{"status": .., "message": ..}` as `juju status` shows it (`blocked: message`).
fn status_text(s: &Value) -> String {
    match (s["status"].as_str(), s["message"].as_str()) {
        (Some(st), Some("")) => st.to_owned(),
        (Some(st), Some(m)) => format!("{st}: {m}"),
        _ => "-".to_owned(),
    }
}

fn step_line(n: usize, step: &Value) -> String {
    if let Some(change) = step["change"].as_str() {
        return format!("        ~ {change}");
    }
    let status = status_text(&step["unit_status"]);
    let mut line = format!(
        "{n:>4}  {:<40} {:>4} {:>5} {:>6}  {status}",
        step["event"].as_str().unwrap_or(""),
        step["exit_code"].to_string(),
        step["hook_tool_calls"].to_string(),
        step["pebble_requests"].to_string(),
    );
    if let Some(why) = step["why"].as_str() {
        line.push_str(&format!("\n{:>6}because: {why}", ""));
    }
    for b in step["brought"].as_array().into_iter().flatten() {
        line.push_str(&format!("\n{:>6}+ {}", "", b.as_str().unwrap_or("")));
    }
    line
}

/// One line: how many hooks, their exit codes, and the final statuses.
fn summary(steps: &[Value], last: Option<&Report>) -> String {
    let hooks: Vec<&Value> = steps.iter().filter(|s| s.get("event").is_some()).collect();
    let failed: Vec<String> = hooks
        .iter()
        .filter(|s| s["exit_code"] != 0)
        .map(|s| {
            format!(
                "{} (exit {})",
                s["event"].as_str().unwrap_or(""),
                s["exit_code"]
            )
        })
        .collect();
    let exits = if failed.is_empty() {
        "every one exited 0".to_owned()
    } else {
        format!(
            "{} exited 0, failed: {}",
            hooks.len() - failed.len(),
            failed.join(", ")
        )
    };
    let status = |s: Option<&charm_sim::state::StatusState>| {
        s.map_or("-".to_owned(), |s| {
            status_text(&json!({"status": s.status, "message": s.message}))
        })
    };
    format!(
        "summary: {} hooks, {exits}; unit {}; app {}",
        hooks.len(),
        status(last.and_then(|r| r.unit_status.as_ref())),
        status(last.and_then(|r| r.app_status.as_ref())),
    )
}

/// What the last hook left: every databag the charm wrote, each container's plan, the
/// nginx config it pushed and the Tempo config it handed to the workers.
fn result_json(last: &Report) -> Value {
    let mut databags = serde_json::Map::new();
    for rel in &last.relations {
        if rel.local_app.is_empty() && rel.local_unit.is_empty() {
            continue;
        }
        databags.insert(
            format!("{}:{} ({})", rel.endpoint, rel.id, rel.remote_app),
            json!({"app": rel.local_app, "unit": rel.local_unit}),
        );
    }
    let plans: serde_json::Map<String, Value> = last
        .containers
        .iter()
        .map(|c| (c.name.clone(), json!(c.plan)))
        .collect();
    let nginx_conf = last
        .state
        .containers
        .iter()
        .find(|c| c.name == "nginx")
        .and_then(|c| c.files.get(NGINX_CONF))
        .map(|f| f.content().to_owned());
    // worker_config is JSON-encoded in the databag, as cosl writes it.
    let tempo_config = last
        .relations
        .iter()
        .find_map(|r| r.local_app.get("worker_config"))
        .and_then(|v| serde_json::from_str::<String>(v).ok());
    json!({
        "unit_status": last.unit_status,
        "app_status": last.app_status,
        "opened_ports": sorted_ports(&last.opened_ports),
        "databags": databags,
        "pebble_plans": plans,
        "nginx_conf": nginx_conf,
        "tempo_config": tempo_config,
    })
}

/// A databag value on one line, long ones cut (shown in full further down).
fn short(v: &str) -> String {
    let one_line = v.replace('\n', "\\n");
    if one_line.chars().count() <= 110 {
        return one_line;
    }
    let cut: String = one_line.chars().take(90).collect();
    format!("{cut}… ({} bytes)", v.len())
}

/// The result for a person; S3 credentials hidden, as in charm-sim's human report.
fn result_text(r: &Value) -> Result<String> {
    use std::fmt::Write;
    let mut o = String::new();
    writeln!(o, "\nunit status: {}", status_text(&r["unit_status"]))?;
    writeln!(o, "app status:  {}", status_text(&r["app_status"]))?;
    let ports: Vec<&str> = r["opened_ports"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    writeln!(o, "open ports:  {}", ports.join(", "))?;
    writeln!(o, "\n== databags the charm wrote ==")?;
    for (rel, bags) in r["databags"].as_object().into_iter().flatten() {
        writeln!(o, "{rel}")?;
        for side in ["app", "unit"] {
            for (k, v) in bags[side].as_object().into_iter().flatten() {
                writeln!(o, "  {side}.{k}: {}", short(v.as_str().unwrap_or("")))?;
            }
        }
    }
    writeln!(o, "\n== Pebble plans ==")?;
    for (name, plan) in r["pebble_plans"].as_object().into_iter().flatten() {
        writeln!(o, "# container {name}")?;
        write!(o, "{}", serde_yaml::to_string(plan)?)?;
    }
    writeln!(o, "\n== {NGINX_CONF} (nginx container) ==")?;
    o.push_str(r["nginx_conf"].as_str().unwrap_or("(not pushed)\n"));
    o.push_str("\n== Tempo's configuration (worker_config, to every worker) ==\n");
    o.push_str(r["tempo_config"].as_str().unwrap_or("(not published)\n"));
    Ok(charm_sim::hook::redact(&o))
}

/// Runs the scenario with the staged charm and prints it as `mode` says; false when a hook
/// failed (its standard error is printed).
pub fn run(root: &Path, charm_dir: &Path, sim: &Path, mode: Mode) -> Result<bool> {
    let path = root.join(SCENARIO);
    let (scenario, state) =
        Scenario::load(&path).with_context(|| format!("scenario `{}`", path.display()))?;
    let opts = ProcessOptions::new(sim.to_path_buf());
    let mut steps = Vec::new();
    let mut last: Option<Report> = None;
    let mut failed: Option<Report> = None;
    let mut hooks = 0;
    // What the world did since the last hook.
    let mut world: Vec<String> = Vec::new();
    let mut shown_status: Option<Value> = None;
    // The state before the hook, to say what the hook changed.
    let mut before = state.clone();
    let human = mode != Mode::Json;
    if human {
        println!("A deployment walked through charm-sim, as Juju orders the hooks ({SCENARIO}):");
        println!("(calls: hook-tool calls; pebble: Pebble API requests; ~: what other charms or Juju did)\n");
        println!("   #  hook                                     exit calls pebble  unit status");
    }
    run_scenario_with(state, &scenario.events, charm_dir, &opts, |step, report| {
        let entry = match (step, report) {
            (StepSpec::Change(c), _) => {
                world.push(c.describe());
                json!({"change": c.describe()})
            }
            (_, Some(r)) => {
                hooks += 1;
                last = Some(r.clone());
                if !r.ok() && failed.is_none() {
                    failed = Some(r.clone());
                }
                let mut e = step_json(r);
                let changed = brought(&before, &r.state);
                if !changed.is_empty() {
                    e["brought"] = json!(changed);
                }
                before = r.state.clone();
                if e["unit_status"] != Value::Null
                    && shown_status.as_ref() != Some(&e["unit_status"])
                {
                    let was_inconsistent = shown_status
                        .as_ref()
                        .and_then(|s| s["message"].as_str())
                        .is_some_and(|m| m.contains("Cluster inconsistent"));
                    e["why"] = json!(why(step, r, &world, was_inconsistent));
                    shown_status = Some(e["unit_status"].clone());
                }
                world.clear();
                e
            }
            (_, None) => return,
        };
        if human {
            println!("{}", step_line(hooks, &entry));
        }
        steps.push(entry);
    })?;
    let line = summary(&steps, last.as_ref());
    if let Some(r) = &failed {
        eprintln!("the hook {} failed:\n{}", r.event, r.stderr);
    }
    let last = last.context("the scenario ran no hook")?;
    let result = result_json(&last);
    match mode {
        Mode::Json => {
            let out =
                json!({"scenario": SCENARIO, "steps": steps, "summary": line, "result": result});
            let text = serde_json::to_string_pretty(&out)?;
            println!("{}", charm_sim::hook::redact(&text));
        }
        Mode::Short => println!("\n{line}"),
        Mode::Full => {
            println!("\n{line}");
            print!("{}", result_text(&result)?);
        }
    }
    Ok(failed.is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_sort_by_number() {
        let p: Vec<String> = ["9096/tcp", "3200/tcp", "14268/tcp", "4317/tcp", "3300/tcp"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        assert_eq!(
            sorted_ports(&p),
            ["3200/tcp", "3300/tcp", "4317/tcp", "9096/tcp", "14268/tcp"]
        );
    }

    #[test]
    fn missing_roles_are_named() {
        let state = charm_sim::State::from_yaml(
            "unit: tempo/0\nrelations:\n  - {id: 1, endpoint: tempo-cluster, remote_app: w, remote_app_data: {role: '\"distributor,ingester\"'}}\n  - {id: 2, endpoint: tempo-cluster, remote_app: r, remote_app_data: {role: '\"querier\"'}}\n",
        )
        .unwrap();
        let (present, missing) = roles(&state);
        assert_eq!(present, ["distributor", "ingester", "querier"]);
        assert_eq!(missing, ["query-frontend", "compactor"]);
    }

    #[test]
    fn the_summary_counts_hooks_and_failures() {
        let steps = vec![
            json!({"event": "install", "exit_code": 0}),
            json!({"change": "x"}),
            json!({"event": "start", "exit_code": 1}),
        ];
        let s = summary(&steps, None);
        assert_eq!(
            s,
            "summary: 2 hooks, 1 exited 0, failed: start (exit 1); unit -; app -"
        );
    }
}
