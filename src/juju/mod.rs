//! The reusable charm layer: everything a Rust charm needs to talk to Juju, and nothing about Tempo.
//!
//! - [`context::Context`]: the `JUJU_*` environment, parsed once, with the [`event::Event`].
//! - [`hookcmds::HookTools`]: one typed function per hook tool, over a [`runner::Runner`].
//! - [`error::HookToolError`]: what a tool failure was (relation gone, not leader, ...).
//! - [`metadata::Metadata`]: endpoints and limits from `metadata.yaml`.
//! - [`log`]: `tracing` into `juju-log`.
//!
//! This module is the only code that spawns processes.

pub mod context;
pub mod error;
pub mod event;
pub mod hookcmds;
pub mod log;
pub mod metadata;
pub mod runner;
pub mod types;

pub use context::{Context, ContextError};
pub use error::{ErrorKind, HookToolError};
pub use event::{Event, RelationEvent, RelationEventKind};
pub use hookcmds::{Databag, HookTools, LogLevel};
pub use metadata::{Metadata, MetadataError};
pub use runner::{ProcessRunner, Runner, ToolOutput};
pub use types::{Port, RelationId, Status, StatusName, UnitName};
