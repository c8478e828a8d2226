//! The echo charm: on `<endpoint>-relation-changed` it copies the remote unit's `message`
//! key into its own unit databag, unchanged, and sets active status.

use std::collections::HashMap;

use juju_charm::{Context, Databag, Event, HookToolError, HookTools, ProcessRunner, Status};

fn main() -> std::process::ExitCode {
    juju_charm::run_main("echo-charm", echo)
}

/// One hook: the exit code Juju sees (non-zero makes Juju retry the hook).
fn echo(env: &HashMap<String, String>, argv0: Option<&str>, runner: ProcessRunner) -> i32 {
    let ctx = match Context::from_env(env, argv0) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("ERROR {e}");
            return 1;
        }
    };
    let tools = HookTools::new(runner);
    match copy_message(&ctx, &tools) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("ERROR {e}");
            1
        }
    }
}

fn copy_message(ctx: &Context, tools: &HookTools<ProcessRunner>) -> Result<(), HookToolError> {
    if let Event::Relation(r) = &ctx.event {
        if let Some(unit) = &r.remote_unit {
            let remote = tools.relation_get_unit(&r.relation, unit)?;
            if let Some(message) = remote.get("message") {
                let bag: Databag = [("message".to_owned(), message.clone())].into();
                tools.relation_set_unit(&r.relation, &bag)?;
            }
        }
    }
    tools.status_set_unit(&Status::active("echoing"))
}
