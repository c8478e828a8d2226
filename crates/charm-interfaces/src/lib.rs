//! Relation interfaces: the only modules that know wire formats.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod pyjson;
pub mod tempo_api;
pub mod tracing;
pub mod traefik_route;
