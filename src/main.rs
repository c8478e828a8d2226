//! The charm binary Juju runs for every event (through `dispatch`, or a `hooks/<name>` link).
//! The edge: read the environment once, install the panic hook, run the charm, exit.

use std::collections::HashMap;
use std::process::ExitCode;

use tempo_charm::charm::{entry, RealHost};
use tempo_charm::juju::{hookcmds::juju_log, LogLevel, ProcessRunner};

fn main() -> ExitCode {
    // A panic is a bug: one juju-log ERROR line that says where, then a non-zero exit
    // (the default hook's unwinding ends the process with 101).
    std::panic::set_hook(Box::new(|info| {
        let msg = format!("tempo-coordinator-k8s panicked (a bug; please report it): {info}");
        eprintln!("ERROR {msg}");
        let _ = juju_log(&ProcessRunner, LogLevel::Error, &tempo_charm::juju::log::bound(&msg));
    }));
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let argv0 = std::env::args_os().next().and_then(|a| a.into_string().ok());
    let code = entry(&env, argv0.as_deref(), ProcessRunner, &RealHost);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
