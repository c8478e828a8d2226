#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! - [`context::Context`]: the `JUJU_*` environment, parsed once, with the [`event::Event`].
//! - [`hookcmds::HookTools`]: one typed function per hook tool, over a [`runner::Runner`].
//! - [`error::HookToolError`]: what a tool failure was (relation gone, not leader, ...).
//! - [`metadata::Metadata`]: endpoints and limits from `metadata.yaml`.
//! - [`log`]: `tracing` into `juju-log`.
//!
//! **Invariant:** in a charm binary, this crate is the only code that spawns processes
//! (hook tools, by name, never through a shell).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod context;
pub mod error;
pub mod event;
pub mod hookcmds;
pub mod log;
pub mod metadata;
#[cfg(feature = "otlp")]
pub mod otlp;
pub mod pebble;
pub mod runner;
pub mod types;

pub use context::{Context, ContextError};
pub use error::{ErrorKind, HookToolError};
pub use event::{Event, RelationEvent, RelationEventKind, SecretEventKind};
pub use hookcmds::{
    Databag, HookTools, LogLevel, SecretAddOptions, SecretRead, SecretRef, SecretSetOptions,
};
pub use metadata::{Metadata, MetadataError};
pub use runner::{ProcessRunner, Runner, ToolOutput};
pub use types::{
    Port, RelationId, SecretContent, SecretExpire, SecretId, SecretInfo, SecretOwner, SecretRotate,
    Status, StatusName, UnitName,
};

/// The whole `main` of a charm binary: installs the panic hook (one `juju-log` ERROR line
/// per panic), reads the process environment and `argv[0]` once, runs `charm` with the real
/// hook tools, and turns its exit code into the process's.
///
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     juju_charm::run_main("my-charm", |env, argv0, runner| {
///         let _ctx = juju_charm::Context::from_env(env, argv0);
///         0
///     })
/// }
/// ```
pub fn run_main(
    charm: &'static str,
    charm_fn: impl FnOnce(
        &std::collections::HashMap<String, String>,
        Option<&str>,
        ProcessRunner,
    ) -> i32,
) -> std::process::ExitCode {
    log::install_panic_hook(charm, ProcessRunner);
    let env = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let argv0 = std::env::args_os()
        .next()
        .and_then(|a| a.into_string().ok());
    let code = charm_fn(&env, argv0.as_deref(), ProcessRunner);
    std::process::ExitCode::from(u8::try_from(code).unwrap_or(1))
}

#[cfg(test)]
mod readme {
    /// The README's charm is `examples/echo.rs`: one text, so neither can drift.
    #[test]
    fn readme_example_is_examples_echo() {
        let readme = include_str!("../README.md");
        let code = readme
            .split("```rust,no_run\n")
            .nth(1)
            .and_then(|s| s.split("```").next())
            .unwrap_or_default();
        assert_eq!(code, include_str!("../examples/echo.rs"));
    }
}
