//! The `tempo-api-tester` charm binary (see `tempo_charm::tester`).

use std::collections::HashMap;
use std::process::ExitCode;

use tempo_charm::juju::{log::install_panic_hook, ProcessRunner};

fn main() -> ExitCode {
    install_panic_hook("tempo-api-tester", ProcessRunner);
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let argv0 = std::env::args_os()
        .next()
        .and_then(|a| a.into_string().ok());
    let code = tempo_charm::tester::entry(&env, argv0.as_deref(), ProcessRunner);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
