//! The tempo-coordinator-k8s charm: on every event it cares about, read the inputs, compute
//! a plan with the pure [`reconcile::reconcile`], and write each databag once.
//!
//! [`entry`] is the whole hook, given the environment and a hook-tool transport; `main`
//! calls it with the process environment and [`ProcessRunner`](juju_charm::ProcessRunner),
//! tests with the simulator's runner. It holds the exit-code policy (ARCHITECTURE.md).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod inputs;
pub mod reconcile;
pub mod urls;

use std::collections::HashMap;

use tracing::Level;

use charm_interfaces::tempo_api::{PublishError, TempoApiProvider};
use juju_charm::log::{chain, parse_level, with_juju_log};
use juju_charm::{Context, ErrorKind, Event, HookToolError, HookTools, LogLevel, Runner};
use reconcile::Plan;

/// Why a hook failed (exit 1, Juju retries it).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CharmError {
    /// A hook tool failed.
    #[error(transparent)]
    Tool(#[from] HookToolError),
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

/// The host facts the charm reads outside Juju (the pod's FQDN), injectable for tests.
pub trait Host {
    /// This pod's FQDN, if it is a Kubernetes one.
    fn fqdn(&self) -> Option<String>;
}

/// The real host: `/etc/hosts` and the kernel's hostname.
#[derive(Debug, Clone, Copy, Default)]
pub struct RealHost;

impl Host for RealHost {
    fn fqdn(&self) -> Option<String> {
        inputs::host_fqdn()
    }
}

/// Whether the charm acts on this event. Everything else is a no-op that exits 0.
pub fn handles(event: &Event) -> bool {
    match event {
        Event::Relation(r) => matches!(
            r.relation.endpoint.as_str(),
            inputs::TEMPO_API | inputs::INGRESS | inputs::PEERS
        ),
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
    let (level, config_problem) = match tools.config_get() {
        Ok(config) => log_level(&config, ctx.debug),
        Err(e) => {
            let msg = format!("hook {} failed: cannot read config: {e}", ctx.event.name());
            eprintln!("ERROR {msg}");
            let _ = tools.juju_log(LogLevel::Error, &msg);
            return 1;
        }
    };
    with_juju_log(runner, level, true, || {
        match run(&ctx, &tools, host, config_problem) {
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
) -> (Level, Option<String>) {
    let default = if debug { Level::DEBUG } else { Level::INFO };
    match config.get("log-level") {
        None | Some(serde_json::Value::Null) => (default, None),
        Some(serde_json::Value::String(s)) => match parse_level(s) {
            Some(l) => (l, None),
            None => (
                default,
                Some(format!(
                    "log-level `{}` is not one of error, warning, info, debug, trace; run `juju config <app> log-level=info`",
                    juju_charm::context::truncate(s, 40).escape_debug()
                )),
            ),
        },
        Some(other) => (default, Some(format!("log-level must be a string, got `{}`", juju_charm::context::truncate(&other.to_string(), 40)))),
    }
}

/// Reads, reconciles and writes. Errors fail the hook.
pub fn run<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    host: &dyn Host,
    config_problem: Option<String>,
) -> Result<(), CharmError> {
    let inputs = inputs::read(ctx, tools, host.fqdn(), config_problem)?;
    let plan = reconcile::reconcile(&inputs);
    apply(tools, ctx.app(), &plan)
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
    if let Some((r, bag)) = &plan.ingress {
        match tools.relation_set_app(r, bag) {
            Ok(()) => {}
            Err(e) if vanished(&e) => {
                tracing::warn!(relation = %r, "ingress relation vanished during the hook")
            }
            Err(e) => return Err(lost(&e, r).unwrap_or(CharmError::Tool(e))),
        }
    }
    if let Some((r, bag)) = &plan.peer {
        match tools.relation_set_unit(r, bag) {
            Ok(()) => {}
            Err(e) if vanished(&e) => {
                tracing::warn!(relation = %r, "peer relation vanished during the hook")
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
