//! A complete charm written with the `tempo_charm::juju` layer, as a starting point for
//! charm authors: on `<endpoint>-relation-changed` it copies the remote unit's `message`
//! key into its own unit databag, unchanged, and sets active status.
//!
//! Build it (`cargo build --example echo_charm`), put the binary in `bin/` of a charm
//! directory with a metadata.yaml and a `dispatch` that execs it, and run it under charm-sim.

use std::collections::HashMap;
use std::process::ExitCode;

use tempo_charm::juju::{
    log::install_panic_hook, Context, Databag, Event, HookTools, ProcessRunner, Status,
};

fn main() -> ExitCode {
    install_panic_hook("echo-charm", ProcessRunner);
    let env: HashMap<String, String> = std::env::vars().collect();
    let ctx = match Context::from_env(&env, std::env::args().next().as_deref()) {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("ERROR {e}");
            return ExitCode::from(1);
        }
    };
    let tools = HookTools::new(ProcessRunner);
    let result = (|| {
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
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ERROR {e}");
            ExitCode::from(1)
        }
    }
}
