//! The echo charm: copies the remote unit's `message` into its own unit databag, and on
//! `<container>-pebble-ready` writes a file and starts a service in that container.

use std::collections::HashMap;

use juju_charm::pebble::{Layer, Override, PebbleError, PushOptions, Service, Startup};
use juju_charm::{Context, Databag, Event, HookTools, ProcessRunner, Status};

fn main() -> std::process::ExitCode {
    juju_charm::run_main("echo-charm", echo)
}

/// One hook: the exit code Juju sees (non-zero makes Juju retry the hook).
fn echo(env: &HashMap<String, String>, argv0: Option<&str>, runner: ProcessRunner) -> i32 {
    let result = Context::from_env(env, argv0)
        .map_err(|e| e.to_string())
        .and_then(|ctx| {
            let tools = HookTools::new(runner);
            handle(&ctx, &tools).map_err(|e| e.to_string())
        });
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ERROR {e}");
            1
        }
    }
}

fn handle(
    ctx: &Context,
    tools: &HookTools<ProcessRunner>,
) -> Result<(), Box<dyn std::error::Error>> {
    match &ctx.event {
        Event::Relation(r) => {
            if let Some(unit) = &r.remote_unit {
                if let Some(message) = tools.relation_get_unit(&r.relation, unit)?.get("message") {
                    let bag: Databag = [("message".to_owned(), message.clone())].into();
                    tools.relation_set_unit(&r.relation, &bag)?;
                }
            }
        }
        Event::Pebble { container, .. } => match start_workload(ctx, container) {
            // Not up yet: say so and exit 0; Juju sends pebble-ready again when it is.
            Err(e) if e.is_unreachable() => {
                return Ok(
                    tools.status_set_unit(&Status::waiting(format!("waiting for {container}")))?
                );
            }
            other => other?,
        },
        _ => {}
    }
    Ok(tools.status_set_unit(&Status::active("echoing"))?)
}

/// Pushes the config, adds the layer and lets Pebble start what changed.
fn start_workload(ctx: &Context, name: &str) -> Result<(), PebbleError> {
    let container = ctx.container(name);
    container.push(
        "/etc/echo/motd",
        b"hello from a Rust charm\n",
        &PushOptions::default().make_dirs(),
    )?;
    let mut layer = Layer::default();
    layer.services.insert(
        "echo".into(),
        Service {
            override_: Some(Override::Replace),
            command: Some("sleep infinity".into()),
            startup: Some(Startup::Enabled),
            ..Service::default()
        },
    );
    container.add_layer("echo", &layer, true)?;
    container.replan().map(|_| ())
}
