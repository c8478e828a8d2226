//! A model of Juju for tests and `charm-sim`: the state file, the hook-tool server's rules,
//! and the transports that put them in front of a charm.
//!
//! The same [`model::Model`] backs the in-process runner used by behaviour tests
//! ([`inprocess`]) and the executables `charm-sim` puts on `PATH` ([`process`]), so the two
//! cannot diverge.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod action_spec;
pub mod ca;
pub mod charm_files;
pub mod consistency;
pub mod hook;
pub mod inprocess;
pub mod model;
pub mod pack;
pub mod pebble;
pub mod process;
pub mod scenario;
pub mod state;

pub use hook::{EventSpec, Report};
pub use state::State;
