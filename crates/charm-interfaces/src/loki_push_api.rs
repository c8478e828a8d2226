//! The `loki_push_api` interface (Charmhub's `loki_k8s` v1 `loki_push_api`, LIBPATCH 30), the
//! consumer side as `LokiPushApiConsumer` and `LogForwarder` write it, and the provider's
//! unit data as Loki writes it.
//!
//! Each Loki unit writes `endpoint` = `{"url": "<push URL>"}` in its unit databag; the
//! consumer's leader writes `metadata` (its Juju topology) and `alert_rules` (LogQL rules,
//! `{"groups": [...]}`) in its application databag. A log forwarder also gives each workload
//! container one Pebble log target per Loki unit ([`log_target`]), and replaces the target
//! of a unit that left with a disabled one ([`disabled_log_target`]), as the library does.

use std::collections::BTreeMap;

use juju_charm::pebble::{LogTarget, Override};
use juju_charm::Databag;
use serde_json::Value;

use crate::pyjson;

/// The endpoint name the library defaults to.
pub const DEFAULT_RELATION_NAME: &str = "logging";
/// Largest `endpoint` value read from a Loki unit.
pub const MAX_ENDPOINT_BYTES: usize = 2048;
/// The location the library gives a disabled target (Pebble needs one; nothing is sent).
pub const REMOVED_LOCATION: &str = "(removed)";

/// Why a Loki unit's databag was not used (bad remote data: logged and skipped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Too long to be real.
    #[error("`endpoint` is {0} bytes, more than the {MAX_ENDPOINT_BYTES} read")]
    TooLarge(usize),
    /// Not `{"url": "<string>"}`.
    #[error("`endpoint` is not {{\"url\": \"...\"}}: `{0}`")]
    Shape(String),
    /// The URL is not one a push can go to.
    #[error("`endpoint` URL `{url}` {problem}")]
    Url {
        /// The URL, cut and escaped.
        url: String,
        /// What is wrong with it.
        problem: &'static str,
    },
}

fn shown(s: &str) -> String {
    juju_charm::context::truncate(s, 80)
        .escape_debug()
        .to_string()
}

/// A Loki push URL, validated: `http` or `https`, a host that is a DNS name or an IP
/// literal, no credentials, query nor fragment, a path of plain characters. Its text is
/// the `url` crate's normal form, used everywhere after reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUrl(url::Url);

impl PushUrl {
    /// Validates `s`.
    pub fn parse(s: &str) -> Result<Self, ReadError> {
        let bad = |problem| ReadError::Url {
            url: shown(s),
            problem,
        };
        if s.len() > MAX_ENDPOINT_BYTES {
            return Err(ReadError::TooLarge(s.len()));
        }
        let u = url::Url::parse(s).map_err(|_| bad("is not a URL"))?;
        if !matches!(u.scheme(), "http" | "https") {
            return Err(bad("is not http or https"));
        }
        match u.host() {
            Some(url::Host::Domain(d)) => {
                let ok = !d.is_empty()
                    && d.len() <= 253
                    && d.split('.').all(|l| {
                        !l.is_empty()
                            && l.len() <= 63
                            && l.bytes()
                                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                    });
                if !ok {
                    return Err(bad("has a host that is not a DNS name"));
                }
            }
            Some(_) => {}
            None => return Err(bad("has no host")),
        }
        if !u.username().is_empty() || u.password().is_some() {
            return Err(bad("carries credentials"));
        }
        if u.query().is_some() || u.fragment().is_some() {
            return Err(bad("has a query or fragment"));
        }
        if !u
            .path()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'~'))
        {
            return Err(bad(
                "has a path with characters other than letters, digits and /._-~",
            ));
        }
        Ok(Self(u))
    }

    /// The normal form.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The host (a DNS name, or an IP literal; IPv6 in brackets).
    pub fn host(&self) -> String {
        self.0.host_str().unwrap_or_default().to_owned()
    }

    /// The port, or the scheme's default.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(80)
    }

    /// The path (`/loki/api/v1/push`).
    pub fn path(&self) -> &str {
        self.0.path()
    }

    /// Whether it is https.
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }
}

/// A Loki unit's databag: where to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LokiPushApiProviderUnitData {
    /// The push URL.
    pub url: PushUrl,
}

impl LokiPushApiProviderUnitData {
    /// Reads a Loki unit's databag: `Ok(None)` while it has not written `endpoint`.
    pub fn from_databag(bag: &Databag) -> Result<Option<Self>, ReadError> {
        let Some(raw) = bag.get("endpoint") else {
            return Ok(None);
        };
        if raw.len() > MAX_ENDPOINT_BYTES {
            return Err(ReadError::TooLarge(raw.len()));
        }
        let v: Value = serde_json::from_str(raw).map_err(|_| ReadError::Shape(shown(raw)))?;
        let Some(Value::String(url)) = v.get("url") else {
            return Err(ReadError::Shape(shown(raw)));
        };
        Ok(Some(Self {
            url: PushUrl::parse(url)?,
        }))
    }

    /// The databag a Loki unit writes.
    pub fn to_databag(&self) -> Databag {
        [(
            "endpoint".to_owned(),
            pyjson::dumps_object([("url", self.url.as_str())]),
        )]
        .into()
    }
}

/// A charm's Juju topology, as cosl's `JujuTopology` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The model's name.
    pub model: String,
    /// The model's UUID.
    pub model_uuid: String,
    /// The application.
    pub application: String,
    /// The unit (`app/N`).
    pub unit: String,
    /// The charm's name.
    pub charm_name: String,
}

impl Topology {
    /// `<model>_<first 8 of the uuid>_<application>`, cosl's `identifier`.
    pub fn identifier(&self) -> String {
        let short: String = self.model_uuid.chars().take(8).collect();
        format!("{}_{}_{}", self.model, short, self.application)
    }

    /// The `metadata` value: `json.dumps` of model, model_uuid, application, unit,
    /// charm_name, in that order.
    pub fn metadata_json(&self) -> String {
        pyjson::dumps_object([
            ("model", self.model.as_str()),
            ("model_uuid", self.model_uuid.as_str()),
            ("application", self.application.as_str()),
            ("unit", self.unit.as_str()),
            ("charm_name", self.charm_name.as_str()),
        ])
    }

    /// The labels an alert rule of this application carries (as cosl injects them).
    pub fn alert_labels(&self) -> [(&'static str, &str); 4] {
        [
            ("juju_application", self.application.as_str()),
            ("juju_charm", self.charm_name.as_str()),
            ("juju_model", self.model.as_str()),
            ("juju_model_uuid", self.model_uuid.as_str()),
        ]
    }

    /// A LogQL stream selector for this application's logs.
    pub fn logql_selector(&self) -> String {
        let mut s = String::from("{");
        for (i, (k, v)) in [
            ("juju_model", self.model.as_str()),
            ("juju_model_uuid", self.model_uuid.as_str()),
            ("juju_application", self.application.as_str()),
        ]
        .iter()
        .enumerate()
        {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(k);
            s.push('=');
            pyjson::push_str(&mut s, v);
        }
        s.push('}');
        s
    }
}

/// One LogQL alert rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRule {
    /// `alert`.
    pub alert: String,
    /// `expr` (LogQL).
    pub expr: String,
    /// `for`, if any (`5m`).
    pub for_: Option<String>,
    /// `labels` (the topology labels included).
    pub labels: BTreeMap<String, String>,
    /// `annotations`.
    pub annotations: BTreeMap<String, String>,
}

/// A group of rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertGroup {
    /// `<identifier>_<name>_rules`, as cosl names a group.
    pub name: String,
    /// Its rules.
    pub rules: Vec<AlertRule>,
}

/// A group name as cosl makes it: `<identifier>_<group>_rules`, `-` as `_`.
pub fn group_name(topology: &Topology, group: &str) -> String {
    format!("{}_{group}_rules", topology.identifier()).replace('-', "_")
}

/// The `alert_rules` value: `{"groups": [...]}`.
pub fn alert_rules_json(groups: &[AlertGroup]) -> String {
    let groups: Vec<Value> = groups
        .iter()
        .map(|g| {
            let rules: Vec<Value> = g
                .rules
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    m.insert("alert".into(), r.alert.clone().into());
                    m.insert("expr".into(), r.expr.clone().into());
                    if let Some(f) = &r.for_ {
                        m.insert("for".into(), f.clone().into());
                    }
                    m.insert("labels".into(), serde_json::json!(r.labels));
                    m.insert("annotations".into(), serde_json::json!(r.annotations));
                    Value::Object(m)
                })
                .collect();
            serde_json::json!({"name": g.name, "rules": rules})
        })
        .collect();
    serde_json::json!({ "groups": groups }).to_string()
}

/// The consumer's application databag: `metadata`, and `alert_rules` when there are rules.
pub fn consumer_app_databag(topology: &Topology, groups: &[AlertGroup]) -> Databag {
    let mut bag: Databag = [("metadata".to_owned(), topology.metadata_json())].into();
    if !groups.is_empty() {
        bag.insert("alert_rules".into(), alert_rules_json(groups));
    }
    bag
}

/// The labels every forwarded line carries, as the library's `LogForwarder` sets them.
pub fn log_labels(topology: &Topology) -> BTreeMap<String, String> {
    [
        ("product", "Juju".to_owned()),
        ("charm", topology.charm_name.clone()),
        ("juju_model", topology.model.clone()),
        ("juju_model_uuid", topology.model_uuid.clone()),
        ("juju_application", topology.application.clone()),
        ("juju_unit", topology.unit.clone()),
        ("job", format!("juju_{}", topology.identifier())),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The Pebble log target forwarding every service's logs to one Loki unit.
pub fn log_target(url: &PushUrl, topology: &Topology) -> LogTarget {
    LogTarget {
        override_: Some(Override::Replace),
        target_type: "loki".into(),
        location: url.as_str().to_owned(),
        services: vec!["all".into()],
        labels: log_labels(topology),
    }
}

/// The target replacing one for a Loki unit that left: nothing forwarded (`-all`).
pub fn disabled_log_target() -> LogTarget {
    LogTarget {
        override_: Some(Override::Replace),
        target_type: "loki".into(),
        location: REMOVED_LOCATION.into(),
        services: vec!["-all".into()],
        labels: BTreeMap::new(),
    }
}

/// Whether a target in a plan forwards anything (a disabled one has `-all`).
pub fn is_enabled(target: &LogTarget) -> bool {
    !target.services.iter().any(|s| s == "-all")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(endpoint: &str) -> Databag {
        [("endpoint".to_owned(), endpoint.to_owned())].into()
    }

    #[test]
    fn reads_what_loki_writes_and_writes_it_back() {
        let b = bag(
            r#"{"url": "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push"}"#,
        );
        let d = LokiPushApiProviderUnitData::from_databag(&b)
            .unwrap()
            .unwrap();
        assert_eq!(d.url.host(), "loki-0.loki-endpoints.cos.svc.cluster.local");
        assert_eq!(d.url.port(), 3100);
        assert_eq!(d.url.path(), "/loki/api/v1/push");
        assert_eq!(d.to_databag(), b);
        assert_eq!(
            LokiPushApiProviderUnitData::from_databag(&Databag::new()),
            Ok(None)
        );
    }

    #[test]
    fn refuses_what_cannot_be_a_push_url() {
        for bad in [
            "not json",
            r#"{"uri": "http://x"}"#,
            r#"{"url": 3}"#,
            r#"{"url": "ftp://loki/push"}"#,
            r#"{"url": "http://user:pw@loki/push"}"#,
            r#"{"url": "http://loki/push?x=1"}"#,
            r#"{"url": "http://loki/push;rm -rf"}"#,
            r#"{"url": "http://lo ki/push"}"#,
            r#"{"url": "unix:/run/x"}"#,
        ] {
            assert!(
                LokiPushApiProviderUnitData::from_databag(&bag(bad)).is_err(),
                "{bad}"
            );
        }
        let long = format!(r#"{{"url": "http://loki/{}"}}"#, "a".repeat(3000));
        assert!(matches!(
            LokiPushApiProviderUnitData::from_databag(&bag(&long)),
            Err(ReadError::TooLarge(_))
        ));
        let https = PushUrl::parse("https://[::1]/loki/api/v1/push").unwrap();
        assert!(https.is_https());
        assert_eq!(https.port(), 443);
    }

    #[test]
    fn topology_names_as_cosl() {
        let t = Topology {
            model: "cos".into(),
            model_uuid: "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53".into(),
            application: "tempo-worker-all".into(),
            unit: "tempo-worker-all/0".into(),
            charm_name: "tempo-worker-k8s".into(),
        };
        assert_eq!(t.identifier(), "cos_5f0c7e2a_tempo-worker-all");
        assert_eq!(
            group_name(&t, "errors"),
            "cos_5f0c7e2a_tempo_worker_all_errors_rules"
        );
        assert_eq!(log_labels(&t)["job"], "juju_cos_5f0c7e2a_tempo-worker-all");
        assert!(is_enabled(&log_target(
            &PushUrl::parse("http://l/p").unwrap(),
            &t
        )));
        assert!(!is_enabled(&disabled_log_target()));
    }
}
