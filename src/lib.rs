//! The tempo-coordinator-k8s charm: on every event it cares about, read the inputs, compute
//! a plan with the pure [`reconcile::reconcile`], and write each databag once.
//!
//! [`entry`] is the whole hook, given the environment and a hook-tool transport; `main`
//! calls it with the process environment and [`ProcessRunner`](juju_charm::ProcessRunner),
//! tests with the simulator's runner. It holds the exit-code policy (ARCHITECTURE.md).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod catalogue;
pub mod cluster;
pub mod dashboards;
pub mod datasource_exchange;
pub mod grafana_source;
pub mod ingress;
pub mod inputs;
pub mod logging;
pub mod nginx;
pub mod pki;
pub mod probes;
pub mod reconcile;
pub mod routing;
pub mod scrape;
pub mod self_tracing;
pub mod tempo_config;
pub mod tls;
pub mod unserved;
pub mod urls;
pub mod workload;

use std::collections::HashMap;

use tracing::Level;

use charm_interfaces::tempo_api::{PublishError, TempoApiProvider};
use juju_charm::log::{chain, parse_level, with_juju_log_and};
use juju_charm::otlp::{self, SpanCollector};
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
    /// Making the TLS key or CSR failed.
    #[error("TLS: {0}")]
    Tls(#[from] pki::PkiError),
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
    let collector = SpanCollector::new();
    let spans = collector.spans();
    let (code, destination) = with_juju_log_and(runner, level, true, collector, || {
        let root = tracing::info_span!(
            "hook",
            otel.name = ctx.event.name(),
            juju.dispatch = ctx.event.name(),
        );
        let _entered = root.enter();
        match run(&ctx, &tools, host, config, config_problem) {
            Ok(destination) => (0, Some(destination)),
            Err(e) => {
                tracing::error!("hook {} failed: {}", ctx.event.name(), chain(&e));
                (1, None)
            }
        }
    });
    send_charm_traces(&ctx, destination, &spans);
    code
}

/// The file in the buffer directory remembering where the spans go, for a hook that fails
/// before it knows.
const TRACING_DESTINATION_FILE: &str = "destination";

/// Sends this hook's spans (and those kept from earlier hooks) to the self-charm-tracing
/// receiver, at most one second; kept in `.tracing-data/` when it does not answer. `known`:
/// the receiver this hook decided (`Some(None)`: no relation, so nothing kept), or `None`
/// when the hook failed before deciding (the last known receiver is used).
fn send_charm_traces(ctx: &Context, known: Option<TraceTarget>, spans: &otlp::Spans) {
    let dir = ctx.charm_dir.join(otlp::BUFFER_DIR);
    let exporter = otlp::Exporter::new(&dir);
    let remembered = dir.join(TRACING_DESTINATION_FILE);
    // A failed hook's spans go where the last one's went, verified against the system's
    // roots only (the certificates relation's CA is not remembered).
    let (url, ca) = match known {
        Some(None) => {
            exporter.discard();
            return;
        }
        Some(Some((url, ca))) => {
            if std::fs::read_to_string(&remembered).ok().as_deref() != Some(url.as_str()) {
                let _ =
                    std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&remembered, &url));
            }
            (url, ca)
        }
        None => match std::fs::read_to_string(&remembered) {
            Ok(url) => (url, None),
            Err(_) => return,
        },
    };
    let dest = match otlp::Destination::parse(&url, ca) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("WARNING charm tracing: {e}");
            return;
        }
    };
    let resource = otlp::Resource::juju(ctx, logging::CHARM_NAME, "TempoCoordinatorCharm");
    let body = otlp::encode(&resource, logging::CHARM_NAME, &spans.take());
    let outcome = exporter.export(&dest, body);
    if outcome.dropped > 0 {
        // Juju logs a hook's stderr at WARNING; this is rare (a full buffer, refused data).
        eprintln!(
            "WARNING charm tracing: {} trace batch(es) dropped: {}",
            outcome.dropped,
            outcome.error.as_deref().unwrap_or("the buffer is full")
        );
    }
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

/// Where this charm's spans go (`self-charm-tracing`'s URL) and the CA that verifies an https
/// receiver besides the system's (the certificates relation's, while TLS is served).
pub type TraceTarget = Option<(String, Option<String>)>;

/// Reads, reconciles and writes. Errors fail the hook. Returns where this charm's spans go,
/// if anywhere.
pub fn run<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    host: &dyn Host,
    config: inputs::Config,
    config_problem: Option<String>,
) -> Result<TraceTarget, CharmError> {
    let mut inputs = tracing::info_span!("read inputs")
        .in_scope(|| inputs::read(ctx, tools, host, config, config_problem))?;
    let workers: Vec<String> = cluster::cluster(&inputs)
        .topology
        .into_iter()
        .map(|(_, address)| address)
        .collect();
    inputs.tls = tracing::info_span!("tls")
        .in_scope(|| tls::prepare(ctx, tools, tools, &inputs, &workers))
        .map_err(|e| match e {
            tls::TlsError::Tool(e) => CharmError::Tool(e),
            tls::TlsError::Pki(e) => CharmError::Tls(e),
        })?;
    let mut plan = tracing::info_span!("reconcile").in_scope(|| reconcile::reconcile(&inputs));
    let ca = inputs.tls.serving.as_ref().map(|s| s.ca.clone());
    let target = plan.charm_tracing.clone().map(|url| (url, ca));
    if let Event::Action { .. } = &ctx.event {
        list_receivers(tools, &plan)?;
        return Ok(target);
    }
    tracing::info_span!("apply workload")
        .in_scope(|| apply_workload(ctx, tools, &inputs, &mut plan))?;
    tracing::info_span!("apply").in_scope(|| apply(tools, ctx.app(), &plan))?;
    Ok(target)
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
        let nginx = ctx.container(workload::NGINX);
        let tls = w.tls.as_ref();
        // The certificate files first (nginx.conf refers to them), then the config; nginx
        // reloads when either changed (the Python charm reloads only for the config).
        let nginx_outcome = workload::reconcile_nginx_tls(&nginx, tls).and_then(|files| {
            if files == workload::Outcome::Unreachable {
                return Ok(files);
            }
            let conf = workload::reconcile_nginx(
                &nginx,
                &w.nginx_config,
                &layer,
                plan.log_targets.as_ref(),
            )?;
            if files == workload::Outcome::Changed && conf == workload::Outcome::Unchanged {
                workload::reload_nginx(&nginx)?;
                return Ok(workload::Outcome::Changed);
            }
            Ok(conf)
        });
        let outcomes = [
            (workload::NGINX, nginx_outcome),
            (
                workload::EXPORTER,
                workload::reconcile_exporter(
                    &ctx.container(workload::EXPORTER),
                    tls,
                    plan.log_targets.as_ref(),
                ),
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
    } else if let Some(wanted) = &plan.log_targets {
        // The cluster is not ready, but the logs are forwarded all the same.
        for container in [workload::NGINX, workload::EXPORTER] {
            if let Err(source) = workload::reconcile_log_targets(&ctx.container(container), wanted)
            {
                return Err(CharmError::Pebble {
                    container,
                    source: Box::new(source),
                });
            }
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
    for (id, r) in &plan.secret_grants {
        match tools.secret_grant(id, r, None) {
            Ok(()) => {}
            Err(e) if vanished(&e) => {
                tracing::warn!(relation = %r, "relation vanished during the hook")
            }
            Err(e) => return Err(e.into()),
        }
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
