//! Pebble layers: services, checks and log targets, with Pebble's own field names, so a
//! layer serialises to the YAML Pebble reads and a plan (`GET /v1/plan`) parses back.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A layer (and a plan, which has the same shape).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Layer {
    /// One line about the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// More about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Services by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Service>,
    /// Health checks by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<String, Check>,
    /// Log forwarding targets by name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub log_targets: BTreeMap<String, LogTarget>,
}

impl Layer {
    /// The YAML Pebble reads (`format: yaml` in `POST /v1/layers`).
    pub fn to_yaml(&self) -> String {
        // Plain strings, maps and lists only: serialisation cannot fail.
        serde_yaml::to_string(self).unwrap_or_default()
    }

    /// Parses a layer or a plan from Pebble's YAML.
    pub fn from_yaml(text: &str) -> Result<Self, serde_yaml::Error> {
        if text.trim().is_empty() || text.trim() == "{}" {
            return Ok(Self::default());
        }
        serde_yaml::from_str(text)
    }
}

/// How a layer's entry combines with the same entry of an earlier layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Override {
    /// Merge field by field.
    Merge,
    /// Replace the whole entry.
    Replace,
}

/// Whether Pebble starts a service (or runs a check) on replan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Startup {
    /// Started by `replan` and at boot.
    Enabled,
    /// Started only when asked.
    Disabled,
}

/// A service.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Service {
    /// Required in a layer that is added to a plan that may already have the service.
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// One line about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// More about it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The command line (Pebble splits it as a shell would, without running a shell).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Started on replan or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<Startup>,
    /// Services to start before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// Services to start after this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<String>,
    /// Services this one needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requires: Vec<String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// User to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// User id to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<u32>,
    /// Group to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Group id to run as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_id: Option<u32>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// `restart`, `shutdown`, `failure-shutdown`, `success-shutdown` or `ignore`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_success: Option<String>,
    /// Likewise, when the service fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_failure: Option<String>,
    /// Per check: what to do when it fails.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub on_check_failure: BTreeMap<String, String>,
    /// First restart delay (`500ms`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_delay: Option<String>,
    /// Delay multiplier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_factor: Option<f64>,
    /// Longest delay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_limit: Option<String>,
    /// Time between SIGTERM and SIGKILL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_delay: Option<String>,
}

/// A check's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckLevel {
    /// Liveness.
    Alive,
    /// Readiness.
    Ready,
}

impl CheckLevel {
    /// The word Pebble uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alive => "alive",
            Self::Ready => "ready",
        }
    }
}

/// A health check: exactly one of `http`, `tcp`, `exec`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Check {
    /// Required in an added layer.
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// `alive` or `ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<CheckLevel>,
    /// Run on replan or not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<Startup>,
    /// How often (`10s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    /// How long one try may take (`3s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
    /// Failures before it is down.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<u32>,
    /// An HTTP GET that must answer 2xx.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCheck>,
    /// A TCP port that must accept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp: Option<TcpCheck>,
    /// A command that must exit 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecCheck>,
}

/// `http:` of a [`Check`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HttpCheck {
    /// The URL.
    pub url: String,
    /// Extra request headers.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

/// `tcp:` of a [`Check`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TcpCheck {
    /// The port.
    pub port: u16,
    /// The host (default localhost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
}

/// `exec:` of a [`Check`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ExecCheck {
    /// The command line.
    pub command: String,
    /// Run in this service's context (its environment, user, working dir).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_context: Option<String>,
    /// Environment variables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
}

/// A log forwarding target.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LogTarget {
    /// Required in an added layer.
    #[serde(default, rename = "override", skip_serializing_if = "Option::is_none")]
    pub override_: Option<Override>,
    /// `loki` or `opentelemetry`.
    #[serde(rename = "type", default)]
    pub target_type: String,
    /// Where to send (a URL).
    #[serde(default)]
    pub location: String,
    /// Which services' logs (`all`, names, `-name` to remove).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Labels added to every line.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_yaml_uses_pebbles_field_names() {
        let mut layer = Layer {
            summary: Some("nginx".into()),
            ..Layer::default()
        };
        layer.services.insert(
            "nginx".into(),
            Service {
                override_: Some(Override::Replace),
                command: Some("nginx -g 'daemon off;'".into()),
                startup: Some(Startup::Enabled),
                on_check_failure: [("up".to_owned(), "restart".to_owned())].into(),
                ..Service::default()
            },
        );
        layer.checks.insert(
            "up".into(),
            Check {
                override_: Some(Override::Replace),
                level: Some(CheckLevel::Ready),
                tcp: Some(TcpCheck {
                    port: 8080,
                    host: None,
                }),
                ..Check::default()
            },
        );
        let yaml = layer.to_yaml();
        for needle in [
            "override: replace",
            "startup: enabled",
            "on-check-failure:",
            "level: ready",
            "tcp:\n      port: 8080",
        ] {
            assert!(yaml.contains(needle), "{needle:?} missing from\n{yaml}");
        }
        assert_eq!(Layer::from_yaml(&yaml).unwrap(), layer);
        assert_eq!(Layer::from_yaml("{}\n").unwrap(), Layer::default());
    }
}
