//! `cargo xtask demo [--json]`: a whole deployment walked through charm-sim hook by hook
//! (`examples/deploy-scenario.yaml`), one line per hook, then what the charm published: the
//! databags, the Pebble plans, nginx's and Tempo's configurations.

use std::path::Path;

use anyhow::{bail, Context, Result};
use charm_sim::process::ProcessOptions;
use charm_sim::scenario::{run_scenario_with, Scenario, StepSpec};
use charm_sim::Report;
use serde_json::{json, Value};

const SCENARIO: &str = "examples/deploy-scenario.yaml";
const NGINX_CONF: &str = "/etc/nginx/nginx.conf";

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
    format!(
        "{n:>4}  {:<40} {:>4} {:>5} {:>6}  {status}",
        step["event"].as_str().unwrap_or(""),
        step["exit_code"].to_string(),
        step["hook_tool_calls"].to_string(),
        step["pebble_requests"].to_string(),
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
        "opened_ports": last.opened_ports,
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
    writeln!(o, "open ports:  {}", r["opened_ports"])?;
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

/// Runs the scenario with the staged charm and prints it (or `--json`).
pub fn run(root: &Path, charm_dir: &Path, sim: &Path, as_json: bool) -> Result<()> {
    let path = root.join(SCENARIO);
    let (scenario, state) =
        Scenario::load(&path).with_context(|| format!("scenario `{}`", path.display()))?;
    let opts = ProcessOptions::new(sim.to_path_buf());
    let mut steps = Vec::new();
    let mut last: Option<Report> = None;
    let mut failed: Option<Report> = None;
    let mut hooks = 0;
    if !as_json {
        println!("A deployment walked through charm-sim, as Juju orders the hooks ({SCENARIO}):");
        println!("(calls: hook-tool calls; pebble: Pebble API requests; ~: what other charms or Juju did)\n");
        println!("   #  hook                                     exit calls pebble  unit status");
    }
    run_scenario_with(state, &scenario.events, charm_dir, &opts, |step, report| {
        let entry = match (step, report) {
            (StepSpec::Change(c), _) => json!({"change": c.describe()}),
            (_, Some(r)) => {
                hooks += 1;
                last = Some(r.clone());
                if !r.ok() && failed.is_none() {
                    failed = Some(r.clone());
                }
                step_json(r)
            }
            (_, None) => return,
        };
        if !as_json {
            println!("{}", step_line(hooks, &entry));
        }
        steps.push(entry);
    })?;
    if let Some(r) = failed {
        bail!("the hook {} failed:\n{}", r.event, r.stderr);
    }
    let last = last.context("the scenario ran no hook")?;
    let result = result_json(&last);
    if as_json {
        let out = json!({"scenario": SCENARIO, "steps": steps, "result": result});
        let text = serde_json::to_string_pretty(&out)?;
        println!("{}", charm_sim::hook::redact(&text));
    } else {
        print!("{}", result_text(&result)?);
    }
    Ok(())
}
