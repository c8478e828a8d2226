//! `prometheus_scrape` (prometheus_k8s v0, LIBPATCH 61), the provider side as a coordinator of
//! workers uses it (`MetricsEndpointProvider` with `jobs=` and an external URL): the
//! application keys `scrape_metadata`, `scrape_jobs`, `alert_rules` and the unit keys
//! `prometheus_scrape_unit_*`, byte for byte as the library writes them (`json.dumps` with
//! Python's default separators; job keys in the order the library's `sanitize_scrape_config`
//! leaves them). Alert rules are grouped and labelled as cosl's `AlertRules` does with a
//! Juju topology ([`RuleGroups::with_topology`]).

use serde::{Deserialize, Serialize};

use crate::pyjson::{dumps_object, push_str};
use juju_charm::Databag;

/// The relation's default endpoint name.
pub const DEFAULT_RELATION_NAME: &str = "metrics-endpoint";

/// The Juju topology of the charm (`JujuTopology.as_dict()`), sent as `scrape_metadata` (and
/// by blackbox_probes as its `scrape_metadata` too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeMetadata {
    /// The model's name.
    pub model: String,
    /// The model's uuid.
    pub model_uuid: String,
    /// The application.
    pub application: String,
    /// The unit writing it (the leader).
    pub unit: String,
    /// The charm's name (metadata.yaml `name`).
    pub charm_name: String,
}

impl ScrapeMetadata {
    /// `json.dumps(topology.as_dict())`.
    pub fn to_json(&self) -> String {
        dumps_object([
            ("model", self.model.as_str()),
            ("model_uuid", &self.model_uuid),
            ("application", &self.application),
            ("unit", &self.unit),
            ("charm_name", &self.charm_name),
        ])
    }
    /// cosl's `JujuTopology.identifier`: `<model>_<first 8 of uuid>_<application>`.
    pub fn identifier(&self) -> String {
        identifier(&self.model, &self.model_uuid, &self.application)
    }
}

/// cosl's `JujuTopology.identifier` for any application of the model.
pub fn identifier(model: &str, model_uuid: &str, application: &str) -> String {
    let short: String = model_uuid.chars().take(8).collect();
    format!("{model}_{short}_{application}")
}

/// One static scrape job, as the coordinated-workers coordinator builds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScrapeJob {
    /// `metrics_path`.
    pub metrics_path: String,
    /// The one static config's `targets` (`host:port`).
    pub targets: Vec<String>,
    /// The static config's `labels` (written only when not empty).
    pub labels: Vec<(String, String)>,
    /// `relabel_configs` as `(target_label, replacement)` (written only when not empty).
    pub relabel: Vec<(String, String)>,
    /// `scheme`, written when set (`https` once TLS serves the targets).
    pub scheme: Option<String>,
}

impl ScrapeJob {
    /// `json.dumps(job)` in the library's key order.
    pub fn push_json(&self, out: &mut String) {
        out.push_str("{\"metrics_path\": ");
        push_str(out, &self.metrics_path);
        out.push_str(", \"static_configs\": [{\"targets\": [");
        for (i, t) in self.targets.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            push_str(out, t);
        }
        out.push(']');
        if !self.labels.is_empty() {
            out.push_str(", \"labels\": ");
            out.push_str(&dumps_object(
                self.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            ));
        }
        out.push_str("}]");
        if !self.relabel.is_empty() {
            out.push_str(", \"relabel_configs\": [");
            for (i, (label, value)) in self.relabel.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&dumps_object([
                    ("target_label", label.as_str()),
                    ("replacement", value.as_str()),
                ]));
            }
            out.push(']');
        }
        if let Some(s) = &self.scheme {
            out.push_str(", \"scheme\": ");
            push_str(out, s);
        }
        out.push('}');
    }
}

/// `json.dumps(jobs)`.
pub fn scrape_jobs_json(jobs: &[ScrapeJob]) -> String {
    let mut out = String::from("[");
    for (i, j) in jobs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        j.push_json(&mut out);
    }
    out.push(']');
    out
}

/// The provider's application databag (leader only).
pub fn app_databag(metadata: &ScrapeMetadata, jobs: &[ScrapeJob], rules: &RuleGroups) -> Databag {
    [
        ("scrape_metadata".to_owned(), metadata.to_json()),
        ("scrape_jobs".to_owned(), scrape_jobs_json(jobs)),
        ("alert_rules".to_owned(), rules.to_json()),
    ]
    .into()
}

/// Each unit's databag with an external URL given, as `_set_unit_ip` writes it: the URL's
/// host as the unit address and its path; the empty `prometheus_scrape_unit_fqdn` (and an
/// empty path) are not written, as ops deletes keys set to "".
pub fn unit_databag(external_url: &url::Url, unit: &str) -> Databag {
    let mut bag = Databag::new();
    bag.insert(
        "prometheus_scrape_unit_address".into(),
        external_url.host_str().unwrap_or_default().to_owned(),
    );
    let path = external_url.path();
    // urlparse keeps "" for "http://host"; the url crate says "/".
    if path != "/" && !path.is_empty() {
        bag.insert("prometheus_scrape_unit_path".into(), path.to_owned());
    }
    bag.insert("prometheus_scrape_unit_name".into(), unit.to_owned());
    bag
}

/// A Prometheus rule file (`groups:`), as the charm ships it and as `alert_rules` carries it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleGroups {
    /// The groups.
    pub groups: Vec<RuleGroup>,
}

/// One group of rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleGroup {
    /// Its name (unique per file; cosl prefixes it with the topology).
    pub name: String,
    /// The rules.
    pub rules: Vec<Rule>,
}

/// One alerting rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The alert's name.
    pub alert: String,
    /// The PromQL expression.
    pub expr: String,
    /// How long it must hold before firing.
    #[serde(rename = "for", default, skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// Labels (`severity`, and the `juju_*` topology once injected).
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
    /// Annotations (`summary`, `description`).
    #[serde(default)]
    pub annotations: std::collections::BTreeMap<String, String>,
}

/// The topology cosl injects into rules: the application they are about and its charm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTopology<'a> {
    /// The model's name.
    pub model: &'a str,
    /// The model's uuid.
    pub model_uuid: &'a str,
    /// The application the rules watch.
    pub application: &'a str,
    /// Its charm.
    pub charm: &'a str,
}

impl RuleGroups {
    /// The groups as cosl's `AlertRules(topology=...)` leaves them: each group renamed
    /// `<model>_<uuid[:8]>_<application>_<name>_rules` (then every character outside
    /// `[a-zA-Z0-9_:]` replaced by `_`), and the `juju_model`, `juju_model_uuid`,
    /// `juju_application`, `juju_charm` labels added to every rule that lacks them.
    pub fn with_topology(&self, t: &RuleTopology) -> RuleGroups {
        let prefix = identifier(t.model, t.model_uuid, t.application);
        let groups = self
            .groups
            .iter()
            .map(|g| {
                let mut name = format!("{prefix}_{}", g.name);
                if !name.ends_with("_rules") {
                    name.push_str("_rules");
                }
                let name = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let rules = g
                    .rules
                    .iter()
                    .map(|r| {
                        let mut r = r.clone();
                        for (k, v) in [
                            ("juju_model", t.model),
                            ("juju_model_uuid", t.model_uuid),
                            ("juju_application", t.application),
                            ("juju_charm", t.charm),
                        ] {
                            if !v.is_empty() {
                                r.labels.entry(k.to_owned()).or_insert_with(|| v.to_owned());
                            }
                        }
                        r
                    })
                    .collect();
                RuleGroup { name, rules }
            })
            .collect();
        RuleGroups { groups }
    }

    /// Appends another file's groups.
    pub fn extend(&mut self, other: RuleGroups) {
        self.groups.extend(other.groups);
    }

    /// The `alert_rules` value: the rule file as JSON.
    pub fn to_json(&self) -> String {
        // Serialising plain strings and maps cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| "{\"groups\": []}".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ScrapeMetadata {
        ScrapeMetadata {
            model: "cos".into(),
            model_uuid: "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53".into(),
            application: "tempo".into(),
            unit: "tempo/0".into(),
            charm_name: "tempo-coordinator-k8s".into(),
        }
    }

    #[test]
    fn metadata_and_jobs_are_python_json() {
        assert_eq!(
            meta().to_json(),
            r#"{"model": "cos", "model_uuid": "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53", "application": "tempo", "unit": "tempo/0", "charm_name": "tempo-coordinator-k8s"}"#
        );
        let jobs = [
            ScrapeJob {
                metrics_path: "/proxy/worker/w-0/metrics".into(),
                targets: vec!["tempo.cos.svc.cluster.local:3300".into()],
                labels: vec![],
                relabel: vec![("juju_unit".into(), "w/0".into())],
                scheme: None,
            },
            ScrapeJob {
                metrics_path: "/metrics".into(),
                targets: vec!["h:9113".into()],
                labels: vec![("juju_unit".into(), "tempo/0".into())],
                relabel: vec![],
                scheme: Some("https".into()),
            },
        ];
        assert_eq!(
            scrape_jobs_json(&jobs),
            r#"[{"metrics_path": "/proxy/worker/w-0/metrics", "static_configs": [{"targets": ["tempo.cos.svc.cluster.local:3300"]}], "relabel_configs": [{"target_label": "juju_unit", "replacement": "w/0"}]}, {"metrics_path": "/metrics", "static_configs": [{"targets": ["h:9113"], "labels": {"juju_unit": "tempo/0"}}], "scheme": "https"}]"#
        );
        assert_eq!(scrape_jobs_json(&[]), "[]");
    }

    #[test]
    fn unit_bag_takes_the_external_host_and_path() {
        let u = url::Url::parse("https://traces.example.org").unwrap();
        let bag = unit_databag(&u, "tempo/1");
        assert_eq!(bag["prometheus_scrape_unit_address"], "traces.example.org");
        assert_eq!(bag["prometheus_scrape_unit_name"], "tempo/1");
        assert!(!bag.contains_key("prometheus_scrape_unit_path"));
        let u = url::Url::parse("http://h.example/tempo").unwrap();
        assert_eq!(
            unit_databag(&u, "t/0")["prometheus_scrape_unit_path"],
            "/tempo"
        );
    }

    #[test]
    fn topology_renames_groups_and_labels_rules_as_cosl() {
        let file: RuleGroups = serde_yaml::from_str(
            "groups:\n- name: tempo_alerts\n  rules:\n  - alert: A\n    expr: up < 1\n    labels: {severity: critical, juju_charm: kept}\n",
        )
        .unwrap();
        let t = RuleTopology {
            model: "cos",
            model_uuid: "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53",
            application: "tempo-worker-all",
            charm: "tempo-worker-k8s",
        };
        let g = file.with_topology(&t);
        assert_eq!(
            g.groups[0].name,
            "cos_5f0c7e2a_tempo_worker_all_tempo_alerts_rules"
        );
        let labels = &g.groups[0].rules[0].labels;
        assert_eq!(labels["juju_application"], "tempo-worker-all");
        assert_eq!(labels["juju_model_uuid"], t.model_uuid);
        assert_eq!(
            labels["juju_charm"], "kept",
            "existing labels are not replaced"
        );
        assert_eq!(labels["severity"], "critical");
        let back: RuleGroups = serde_json::from_str(&g.to_json()).unwrap();
        assert_eq!(back, g);
    }
}
