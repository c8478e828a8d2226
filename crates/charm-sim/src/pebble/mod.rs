//! Pebble inside the simulator: each workload container of the state file gets a Pebble
//! that follows `shared/reference/pebble-and-nginx.md`, served on a real Unix socket so the
//! charm's own client (any language) talks to it as it would under Juju.

pub mod model;
pub mod server;
pub mod state;

pub use server::{ContainerOutcome, PebbleServer};
pub use state::{CannedExec, ContainerFaults, ContainerState, ExecCall, FileState, NamedLayer};
