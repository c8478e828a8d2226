//! A model of Juju for tests and `charm-sim`: the state file, the hook-tool server's rules,
//! and the transports that put them in front of a charm.
//!
//! The same [`model::Model`] backs the in-process runner used by behaviour tests and the
//! executables `charm-sim` puts on `PATH`, so the two cannot diverge.

pub mod model;
pub mod state;
