//! Relation interfaces: the only modules that know wire formats.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod blackbox_probes;
pub mod catalogue;
pub mod datasource_exchange;
pub mod grafana_dashboard;
pub mod grafana_source;
pub mod grammar;
pub mod prometheus_scrape;
pub mod pyjson;
pub mod s3;
pub mod tempo_api;
pub mod tempo_cluster;
pub mod tracing;
pub mod traefik_route;
