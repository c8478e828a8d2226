//! Relation interfaces: the only modules that know wire formats.

pub mod pyjson;
pub mod tempo_api;
pub mod traefik_route;
