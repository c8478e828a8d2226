//! The `tempo-api-tester` charm: the requirer side of tempo_api, for integration tests.
//!
//! On every event it reads the provider's data. Valid: it writes what it parsed to its own
//! unit databag under `tempo-api` as `{"http": {"direct_url": .., "ingress_url": .. | null},
//! "grpc": {..}}` and sets active. Invalid: it removes that key and sets blocked with the
//! reason. No relation or no data: it removes the key and sets waiting.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::HashMap;

use serde_json::json;
use tracing::Level;

use charm_interfaces::tempo_api::{
    RequirerError, TempoApiAppData, TempoApiRequirer, TempoApiUrls, DEFAULT_RELATION_NAME,
};
use juju_charm::log::{chain, with_juju_log};
use juju_charm::{Context, Databag, HookToolError, HookTools, LogLevel, Metadata, Runner, Status};

/// The unit-databag key the tester writes.
pub const KEY: &str = "tempo-api";

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
}

/// Reads, writes the key, sets status.
pub fn run<R: Runner>(ctx: &Context, tools: &HookTools<R>) -> Result<(), TesterError> {
    let metadata = Metadata::read(&ctx.charm_dir).map_err(|e| TesterError::Setup(Box::new(e)))?;
    let mut requirer = TempoApiRequirer::new(tools, &metadata, DEFAULT_RELATION_NAME)
        .map_err(|e| TesterError::Setup(Box::new(e)))?;
    let own = ctx.event.relation().filter(|r| {
        r.relation.endpoint == DEFAULT_RELATION_NAME
            && r.kind != juju_charm::RelationEventKind::Broken
    });
    if let Some(r) = own.and_then(|r| r.remote_app.clone().map(|a| (r.relation.clone(), a))) {
        requirer = requirer.with_remote_app(r.0, r.1);
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
    tools.status_set_unit(&Status {
        message: juju_charm::context::truncate(&status.message, 500),
        ..status
    })?;
    Ok(())
}
