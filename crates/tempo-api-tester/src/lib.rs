//! The `tempo-api-tester` charm: the requirer sides of tempo_api and tracing, for
//! integration tests.
//!
//! On every event it reads the provider's tempo_api data. Valid: it writes what it parsed to
//! its own unit databag under `tempo-api` as `{"http": {"direct_url": .., "ingress_url": ..
//! | null}, "grpc": {..}}` and sets active. Invalid: it removes that key and sets blocked
//! with the reason. No relation or no data: it removes the key and sets waiting.
//!
//! On a tracing relation the leader asks for `otlp_grpc` and `otlp_http` (as a charm with
//! charm tracing does), and every unit writes the URLs it got under `tracing` in its unit
//! databag there (`{"otlp_grpc": "host:4317", "otlp_http": "http://host:4318"}`); while one
//! is missing the key is removed and the unit waits.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::HashMap;

use serde_json::json;
use tracing::Level;

use charm_interfaces::tempo_api::{
    RequirerError, TempoApiAppData, TempoApiRequirer, TempoApiUrls, DEFAULT_RELATION_NAME,
};
use charm_interfaces::tracing::{self as tracing_api, TracingEndpointRequirer};
use juju_charm::log::{chain, with_juju_log};
use juju_charm::{
    Context, Databag, HookToolError, HookTools, LogLevel, Metadata, Runner, Status, StatusName,
};

/// The unit-databag key the tester writes on tempo-api.
pub const KEY: &str = "tempo-api";
/// The unit-databag key the tester writes on tracing.
pub const TRACING_KEY: &str = "tracing";
/// The receivers the tester asks for, as charm tracing does.
pub const TRACING_PROTOCOLS: [&str; 2] = ["otlp_grpc", "otlp_http"];

/// The JSON the tester writes for valid data.
pub fn render(data: &TempoApiAppData) -> String {
    let urls = |u: &TempoApiUrls| json!({"direct_url": u.direct_url.as_str(), "ingress_url": u.ingress_url.as_ref().map(|i| i.as_str())});
    json!({"http": urls(&data.http), "grpc": urls(&data.grpc)}).to_string()
}

/// Runs one hook of the tester; returns the exit code.
pub fn entry<R: Runner + Clone + Send + Sync + 'static>(
    env: &HashMap<String, String>,
    argv0: Option<&str>,
    runner: R,
) -> i32 {
    let ctx = match Context::from_env(env, argv0) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("ERROR cannot start hook: {e}");
            let _ = juju_charm::hookcmds::juju_log(
                &runner,
                LogLevel::Error,
                &format!("cannot start hook: {e}"),
            );
            return 1;
        }
    };
    let tools = HookTools::new(runner.clone());
    with_juju_log(runner, Level::INFO, true, || match run(&ctx, &tools) {
        Ok(()) => 0,
        Err(e) => {
            tracing::error!("hook {} failed: {}", ctx.event.name(), chain(&e));
            1
        }
    })
}

/// Why the tester's hook failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TesterError {
    /// metadata.yaml is missing or does not declare tempo-api with `limit: 1`.
    #[error("tempo-api-tester cannot start")]
    Setup(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A hook tool failed.
    #[error(transparent)]
    Tool(#[from] HookToolError),
    /// Reading the provider's data failed in a way this tester does not know.
    #[error(transparent)]
    Read(RequirerError),
    /// Asking for receivers or reading them failed.
    #[error("tracing: {0}")]
    Tracing(Box<dyn std::error::Error + Send + Sync>),
}

/// The remote application of the hook's own relation on `endpoint` (not while it breaks).
fn own_remote_app(ctx: &Context, endpoint: &str) -> Option<(juju_charm::RelationId, String)> {
    let r = ctx.event.relation()?;
    if r.relation.endpoint != endpoint || r.kind == juju_charm::RelationEventKind::Broken {
        return None;
    }
    Some((r.relation.clone(), r.remote_app.clone()?))
}

/// The tracing side: asks for the receivers (leader), writes what came back. `None`
/// without a tracing relation; else the status it calls for.
fn tracing<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    metadata: &Metadata,
) -> Result<Option<Status>, TesterError> {
    let mut requirer = TracingEndpointRequirer::new(
        tools,
        metadata,
        tracing_api::DEFAULT_RELATION_NAME,
        ctx.app(),
    )
    .map_err(|e| TesterError::Setup(Box::new(e)))?;
    if let Some((relation, app)) = own_remote_app(ctx, tracing_api::DEFAULT_RELATION_NAME) {
        requirer = requirer.with_remote_app(relation, app);
    }
    let Some(relation) = requirer.relations()?.into_iter().next() else {
        return Ok(None);
    };
    if tools.is_leader()? {
        requirer
            .request_protocols(&TRACING_PROTOCOLS, None)
            .map_err(|e| TesterError::Tracing(Box::new(e)))?;
    }
    // Every unit reads the answer (get_endpoint would also read the app's own request,
    // which only the leader may).
    let mut urls = serde_json::Map::new();
    let answer = requirer
        .get_all_endpoints()
        .map_err(|e| TesterError::Tracing(Box::new(e)))?;
    for r in answer.iter().flat_map(|a| &a.receivers) {
        let name = r.protocol.name.as_str();
        if TRACING_PROTOCOLS.contains(&name) && !r.url.is_empty() && !urls.contains_key(name) {
            urls.insert(name.to_owned(), r.url.clone().into());
        }
    }
    let complete = urls.len() == TRACING_PROTOCOLS.len();
    let value = if complete {
        serde_json::Value::Object(urls).to_string()
    } else {
        String::new()
    };
    tools.relation_set_unit(&relation, &[(TRACING_KEY.to_owned(), value)].into())?;
    Ok(Some(if complete {
        Status::active("")
    } else {
        Status::waiting("waiting for tracing receivers (otlp_grpc, otlp_http)")
    }))
}

/// Reads, writes the key, sets status.
pub fn run<R: Runner>(ctx: &Context, tools: &HookTools<R>) -> Result<(), TesterError> {
    let metadata = Metadata::read(&ctx.charm_dir).map_err(|e| TesterError::Setup(Box::new(e)))?;
    let mut requirer = TempoApiRequirer::new(tools, &metadata, DEFAULT_RELATION_NAME)
        .map_err(|e| TesterError::Setup(Box::new(e)))?;
    if let Some((relation, app)) = own_remote_app(ctx, DEFAULT_RELATION_NAME) {
        requirer = requirer.with_remote_app(relation, app);
    }
    let relations = requirer.relations()?;
    let result = requirer.get_data();
    let (value, status) = match result {
        Ok(Some(data)) => (render(&data), Status::active("")),
        Ok(None) if relations.is_empty() => (
            String::new(),
            Status::waiting("waiting for a tempo-api relation"),
        ),
        Ok(None) => (String::new(), Status::waiting("waiting for tempo-api data")),
        Err(RequirerError::Invalid { source, .. }) => {
            tracing::warn!("invalid tempo-api data: {source}");
            (
                String::new(),
                Status::blocked(format!("invalid tempo-api data: {source}")),
            )
        }
        Err(RequirerError::Tool(e)) => return Err(e.into()),
        Err(e) => return Err(TesterError::Read(e)),
    };
    if let Some(r) = relations.first() {
        let bag: Databag = [(KEY.to_owned(), value)].into();
        tools.relation_set_unit(r, &bag)?;
    }
    // The worse of the two sides decides the status (blocked, then waiting).
    let status = match tracing(ctx, tools, &metadata)? {
        Some(t) if status.name == StatusName::Active => t,
        Some(t) if t.name == StatusName::Waiting && status.name == StatusName::Waiting => {
            Status::waiting(format!("{}; {}", status.message, t.message))
        }
        _ => status,
    };
    tools.status_set_unit(&Status {
        message: juju_charm::context::truncate(&status.message, 500),
        ..status
    })?;
    Ok(())
}
