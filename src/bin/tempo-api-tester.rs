//! The `tempo-api-tester` charm binary (see `tempo_charm::tester`).

fn main() -> std::process::ExitCode {
    tempo_charm::juju::run_main("tempo-api-tester", tempo_charm::tester::entry)
}
