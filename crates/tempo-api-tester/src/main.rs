//! The `tempo-api-tester` charm binary (see `tempo_api_tester`).

fn main() -> std::process::ExitCode {
    juju_charm::run_main("tempo-api-tester", tempo_api_tester::entry)
}
