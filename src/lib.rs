//! A Juju Kubernetes charm for Grafana Tempo, written in Rust, and the pieces it stands on.
//!
//! - [`juju`]: a reusable charm layer ("ops for Rust"): context, events, hook tools, logging.
//! - [`interfaces`]: relation interfaces whose bytes match the Python charm libraries.
//! - [`charm`]: the tempo-coordinator-k8s charm: read inputs, reconcile, write.
//!
//! # How a hook runs
//! Juju runs `dispatch` with `JUJU_DISPATCH_PATH=hooks/<name>` and the hook tools on `PATH`.
//! `main` parses [`juju::Context`] from the environment, installs logging, and calls
//! [`charm::run`], which reads what it needs with the fewest tool calls, computes a plan
//! with a pure function, and writes each databag once. The exit code follows the policy in
//! ARCHITECTURE.md: bad remote data or config ends in a status and exit 0; anything else
//! fails the hook so Juju retries it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod charm;
pub mod interfaces;
pub mod juju;
pub mod sim;
pub mod tester;
