//! The tempo-coordinator-k8s charm.
