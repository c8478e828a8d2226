//! The tempo-coordinator-k8s charm: on every event it cares about, read the inputs, compute
//! a plan with the pure [`reconcile::reconcile`], and write each databag once.
//!
//! [`entry`] is the whole hook, given the environment and a hook-tool transport; `main`
//! calls it with the process environment and [`ProcessRunner`](juju_charm::ProcessRunner),
//! tests with the simulator's runner. It holds the exit-code policy (ARCHITECTURE.md).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalogue;
pub mod dashboards;
pub mod datasource_exchange;
pub mod grafana_source;
pub mod inputs;
pub mod nginx;
pub mod probes;
pub mod reconcile;
pub mod scrape;
pub mod tempo_config;
pub mod unserved;
pub mod urls;
pub mod workload;

use std::collections::HashMap;

use tracing::Level;

use charm_interfaces::tempo_api::{PublishError, TempoApiProvider};
use juju_charm::log::{chain, parse_level, with_juju_log};
use juju_charm::{Context, ErrorKind, Event, HookToolError, HookTools, LogLevel, Port, Runner};
use reconcile::Plan;

/// Why a hook failed (exit 1, Juju retries it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CharmError {
    /// A hook tool failed.
    #[error(transparent)]
    Tool(#[from] HookToolError),
    /// Pebble answered with an error (not "unreachable", which is a status).
    #[error("configuring the `{container}` container failed")]
    Pebble {
        /// The container.
        container: &'static str,
        /// Pebble's error.
        #[source]
        source: Box<juju_charm::pebble::PebbleError>,
    },
    /// The provider refused the data (cannot happen for URLs built from Juju's names).
    #[error(transparent)]
    Publish(PublishError),
    /// Leadership was lost mid-hook; Juju would refuse to commit our application data.
    #[error("leadership was lost during the hook while writing `{relation}`; failing so Juju retries with the new leader state")]
    LeadershipLost {
        /// The relation being written.
        relation: String,
    },
}

/// The host facts the charm reads outside Juju, injectable for tests.
pub trait Host {
    /// This pod's FQDN, if it is a Kubernetes one.
    fn fqdn(&self) -> Option<String>;
    /// The pod's DNS server, from `/etc/resolv.conf` (nginx's `resolver`).
    fn resolver(&self) -> Option<String>;
    /// Whether the pod has IPv6 addresses (nginx then listens on `[::]` too).
    fn ipv6(&self) -> bool;
}

/// The real host: `/etc/hosts` and the kernel's hostname.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealHost;

impl Host for RealHost {
    fn fqdn(&self) -> Option<String> {
        inputs::host_fqdn()
    }
    fn resolver(&self) -> Option<String> {
        nginx::nameserver(&std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default())
    }
    fn ipv6(&self) -> bool {
        // What `ip -6 address show` lists, without a subprocess.
        std::fs::read_to_string("/proc/net/if_inet6").is_ok_and(|t| !t.trim().is_empty())
    }
}

/// Whether the charm acts on this event. Everything else is a no-op that exits 0.
pub fn handles(event: &Event) -> bool {
    match event {
        Event::Relation(r) => matches!(
            r.relation.endpoint.as_str(),
            inputs::TEMPO_API
                | inputs::INGRESS
                | inputs::PEERS
                | inputs::CLUSTER
                | inputs::S3
                | inputs::TRACING
                | inputs::REMOTE_WRITE
                | grafana_source::ENDPOINT
                | datasource_exchange::ENDPOINT
                | catalogue::ENDPOINT
                | inputs::METRICS
                | inputs::DASHBOARDS
                | inputs::PROBES
                | "logging"
                | "self-charm-tracing"
                | "self-workload-tracing"
                | "certificates"
                | "istio-ingress"
                | "service-mesh"
                | "provide-cmr-mesh"
                | "require-cmr-mesh"
        ),
        Event::Pebble { container, .. } => {
            container == workload::NGINX || container == workload::EXPORTER
        }
        Event::Action { name, .. } => name == LIST_RECEIVERS,
        Event::Install
        | Event::Start
        | Event::ConfigChanged
        | Event::UpgradeCharm
        | Event::UpdateStatus
        | Event::LeaderElected
        | Event::LeaderSettingsChanged => true,
        _ => false,
    }
}

/// The action that lists the enabled receivers and their URLs.
pub const LIST_RECEIVERS: &str = "list-receivers";

/// Runs one hook and returns the process exit code. Never panics on input.
pub fn entry<R>(
    env: &HashMap<String, String>,
    argv0: Option<&str>,
    runner: R,
    host: &dyn Host,
) -> i32
where
    R: Runner + Clone + Send + Sync + 'static,
{
    let ctx = match Context::from_env(env, argv0) {
        Ok(ctx) => ctx,
        Err(e) => {
            // No context, no tracing yet: say it on stderr and try juju-log directly.
            let msg = format!("cannot start hook: {e}");
            eprintln!("ERROR {msg}");
            let _ = juju_charm::hookcmds::juju_log(&runner, LogLevel::Error, &msg);
            return 1;
        }
    };
    if !handles(&ctx.event) {
        return 0;
    }
    let tools = HookTools::new(runner.clone());
    let (level, config_problem, config) = match tools.config_get() {
        Ok(config) => {
            let (level, mut problems) = log_level(&config, ctx.debug);
            let (parsed, more) = inputs::parse_config(&config);
            problems.extend(more);
            let problem = (!problems.is_empty()).then(|| problems.join("; "));
            (level, problem, parsed)
        }
        Err(e) => {
            let msg = format!("hook {} failed: cannot read config: {e}", ctx.event.name());
            eprintln!("ERROR {msg}");
            let _ = tools.juju_log(LogLevel::Error, &msg);
            return 1;
        }
    };
    with_juju_log(runner, level, true, || {
        match run(&ctx, &tools, host, config, config_problem) {
            Ok(()) => 0,
            Err(e) => {
                tracing::error!("hook {} failed: {}", ctx.event.name(), chain(&e));
                1
            }
        }
    })
}

/// The log level from config (`log-level`), and a problem to report if it is unusable.
fn log_level(
    config: &serde_json::Map<String, serde_json::Value>,
    debug: bool,
) -> (Level, Vec<String>) {
    let default = if debug { Level::DEBUG } else { Level::INFO };
    match config.get("log-level") {
        None | Some(serde_json::Value::Null) => (default, vec![]),
        Some(serde_json::Value::String(s)) => match parse_level(s) {
            Some(l) => (l, vec![]),
            None => (
                default,
                vec![format!(
                    "log-level `{}` is not one of error, warning, info, debug, trace; run `juju config <app> log-level=info`",
                    juju_charm::context::truncate(s, 40).escape_debug()
                )],
            ),
        },
        Some(other) => (default, vec![format!("log-level must be a string, got `{}`", juju_charm::context::truncate(&other.to_string(), 40))]),
    }
}

/// Reads, reconciles and writes. Errors fail the hook.
pub fn run<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    host: &dyn Host,
    config: inputs::Config,
    config_problem: Option<String>,
) -> Result<(), CharmError> {
    let inputs = inputs::read(ctx, tools, host, config, config_problem)?;
    let mut plan = reconcile::reconcile(&inputs);
    if let Event::Action { .. } = &ctx.event {
        return list_receivers(tools, &plan);
    }
    apply_workload(ctx, tools, &inputs, &mut plan)?;
    apply(tools, ctx.app(), &plan)
}

/// The `list-receivers` action: each enabled receiver (`otlp-http`) and its URL, as the
/// Python charm answers.
fn list_receivers<R: Runner>(tools: &HookTools<R>, plan: &Plan) -> Result<(), CharmError> {
    let results: serde_json::Map<String, serde_json::Value> = plan
        .receivers
        .iter()
        .map(|(p, url)| {
            (
                p.as_str().replace('_', "-"),
                serde_json::Value::from(url.as_str()),
            )
        })
        .collect();
    if results.is_empty() {
        tools.action_log("no receivers: the cluster is not ready yet (see `juju status`)")?;
    }
    tools.action_set(&results)?;
    Ok(())
}

/// The containers and the ports. A container Pebble does not answer in leaves the unit
/// waiting (exit 0: Juju runs `<container>-pebble-ready` when it is up); a Pebble error
/// fails the hook.
fn apply_workload<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    inputs: &inputs::Inputs,
    plan: &mut Plan,
) -> Result<(), CharmError> {
    if let Some(w) = &plan.workload {
        let layer = workload::nginx_layer(urls::TEMPO_HTTP_PORT);
        let outcomes = [
            (
                workload::NGINX,
                workload::reconcile_nginx(&ctx.container(workload::NGINX), &w.nginx_config, &layer),
            ),
            (
                workload::EXPORTER,
                workload::reconcile_exporter(&ctx.container(workload::EXPORTER)),
            ),
        ];
        let mut down = Vec::new();
        for (container, outcome) in outcomes {
            match outcome {
                Ok(workload::Outcome::Unreachable) => down.push(container),
                Ok(workload::Outcome::Refused(r)) => {
                    tracing::error!(
                        "nginx refused the new configuration, so the last good one keeps serving: {}{}",
                        r.complaint,
                        r.line
                            .as_ref()
                            .map(|l| format!("; the line it names: `{l}`"))
                            .unwrap_or_default()
                    );
                    let status = juju_charm::Status::blocked(format!(
                        "nginx refused the new configuration (the last good one still serves): {}; see `juju debug-log`",
                        r.complaint
                    ));
                    if let Some(app) = plan.app_status.as_mut() {
                        *app = status.clone();
                    }
                    plan.unit_status = status;
                }
                Ok(_) => {}
                Err(source) => {
                    return Err(CharmError::Pebble {
                        container,
                        source: Box::new(source),
                    })
                }
            }
        }
        if !down.is_empty() && plan.unit_status.name != juju_charm::StatusName::Blocked {
            plan.unit_status = juju_charm::Status::waiting(format!(
                "waiting for the {} container{} to start",
                down.join(" and "),
                if down.len() > 1 { "s" } else { "" }
            ));
        }
    }
    if let Some(want) = &plan.ports {
        let open: std::collections::BTreeSet<u16> = inputs
            .opened_ports
            .iter()
            .filter_map(|p| match p {
                Port::Tcp(n) => Some(*n),
                _ => None,
            })
            .collect();
        for p in want.difference(&open) {
            tools.open_port(Port::Tcp(*p))?;
        }
        for p in open.difference(want) {
            tools.close_port(Port::Tcp(*p))?;
        }
    }
    Ok(())
}

/// Writes the plan: one `relation-set` per databag, then versions and statuses.
pub fn apply<R: Runner>(tools: &HookTools<R>, app: &str, plan: &Plan) -> Result<(), CharmError> {
    let vanished = |e: &HookToolError| e.kind() == ErrorKind::RelationNotFound;
    let lost = |e: &HookToolError, relation: &juju_charm::RelationId| {
        (e.kind() == ErrorKind::NotLeader).then(|| CharmError::LeadershipLost {
            relation: relation.to_string(),
        })
    };
    if let Some((data, relations)) = &plan.tempo_api {
        let provider = TempoApiProvider::new(tools, inputs::TEMPO_API, app);
        let written = provider.publish_to(relations, data).map_err(|e| match e {
            PublishError::Tool { source, .. } => CharmError::Tool(source),
            PublishError::NotLeader { relation_name } => CharmError::LeadershipLost {
                relation: relation_name,
            },
            other => CharmError::Publish(other),
        })?;
        tracing::debug!(
            relations = written,
            http = data.http.direct_url.as_str(),
            "published tempo-api data"
        );
    }
    let relation_set =
        |r: &juju_charm::RelationId, bag: &juju_charm::Databag| -> Result<(), CharmError> {
            match tools.relation_set_app(r, bag) {
                Ok(()) => Ok(()),
                Err(e) if vanished(&e) => {
                    tracing::warn!(relation = %r, "relation vanished during the hook");
                    Ok(())
                }
                Err(e) => Err(lost(&e, r).unwrap_or(CharmError::Tool(e))),
            }
        };
    if let Some((r, bag)) = &plan.ingress {
        relation_set(r, bag)?;
    }
    for (r, bag) in &plan.unit_bags {
        match tools.relation_set_unit(r, bag) {
            Ok(()) => {}
            Err(e) if vanished(&e) => {
                tracing::warn!(relation = %r, "relation vanished during the hook")
            }
            Err(e) => return Err(e.into()),
        }
    }
    for (r, bag) in &plan.app_bags {
        relation_set(r, bag)?;
    }
    for (r, bag) in &plan.cluster {
        relation_set(r, bag)?;
    }
    if let Some((bag, relations)) = &plan.tracing {
        for r in relations {
            relation_set(r, bag)?;
        }
    }
    if let Some((r, bag)) = &plan.s3_request {
        relation_set(r, bag)?;
    }
    if let Some(v) = plan.app_version {
        tools.application_version_set(v)?;
    }
    if plan.unit_status.name != juju_charm::StatusName::Active {
        tracing::warn!("{}", plan.unit_status);
    }
    tools.status_set_unit(&plan.unit_status)?;
    if let Some(s) = &plan.app_status {
        match tools.status_set_app(s) {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotLeader => {
                return Err(CharmError::LeadershipLost {
                    relation: "application status".into(),
                })
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
