//! The charm binary Juju runs for every event (through `dispatch`, or a `hooks/<name>` link).
//! The edge: read the environment once, install the panic hook, run the charm, exit.

use std::collections::HashMap;
use std::process::ExitCode;

use tempo_charm::charm::{entry, RealHost};
use tempo_charm::juju::{log::install_panic_hook, ProcessRunner};

fn main() -> ExitCode {
    // A panic is a bug: one juju-log ERROR line, then the unwinding exit (101).
    install_panic_hook("tempo-coordinator-k8s", ProcessRunner);
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let argv0 = std::env::args_os()
        .next()
        .and_then(|a| a.into_string().ok());
    let code = entry(&env, argv0.as_deref(), ProcessRunner, &RealHost);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
