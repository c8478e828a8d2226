//! The charm binary Juju runs for every event (through `dispatch`, or a `hooks/<name>` link).
//! The edge: `run_main` reads the environment once and installs the panic hook; the charm's
//! exit-code policy lives in `charm::entry`.

fn main() -> std::process::ExitCode {
    use tempo_coordinator::{entry, RealHost};
    juju_charm::run_main("tempo-coordinator-k8s", |env, argv0, runner| {
        entry(env, argv0, runner, &RealHost)
    })
}
