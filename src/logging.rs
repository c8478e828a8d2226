//! `logging` (loki_push_api, as consumer and log forwarder), pure: from the Loki units'
//! push URLs, decide
//! - our application databag on each logging relation (leader): `metadata` and our own LogQL
//!   alert rules (for this charm and for each worker application),
//! - the Pebble log targets of both containers, one per Loki unit, on every hook (the Python
//!   library adds them only on logging events and pebble-ready), a target of a Loki unit that
//!   left replaced by a disabled one ([`log_layer`]),
//! - what the workers get: `loki_endpoints` through nginx's telemetry proxy on 3300
//!   (`/proxy/loki/<unit>/push`), with its upstreams and locations.

use std::collections::BTreeMap;

use charm_interfaces::loki_push_api::{
    self, AlertGroup, AlertRule, LokiPushApiProviderUnitData, ReadError, Topology,
};
use juju_charm::pebble::{Layer, LogTarget};
use juju_charm::{Databag, RelationId, UnitName};

use crate::nginx::{Location, Upstream, PROXY_WORKER_TELEMETRY_PORT};

/// The endpoint.
pub const LOGGING: &str = loki_push_api::DEFAULT_RELATION_NAME;
/// The charm's name (metadata.yaml), in the topology we publish.
pub const CHARM_NAME: &str = "tempo-coordinator-k8s";

/// One logging relation: each Loki unit and its push URL (`Ok(None)` until it writes one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LokiRelation {
    /// The relation.
    pub relation: RelationId,
    /// Its units, in unit order, with what each wrote.
    pub units: Vec<(
        UnitName,
        Result<Option<LokiPushApiProviderUnitData>, ReadError>,
    )>,
}

/// What logging decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoggingPlan {
    /// Our application databag per logging relation (leader only).
    pub app_bags: Vec<(RelationId, Databag)>,
    /// The log targets both containers should have, by name (`loki/0`).
    pub log_targets: BTreeMap<String, LogTarget>,
    /// What the workers get as `loki_endpoints`: Loki unit -> our proxy URL.
    pub loki_endpoints: Vec<(String, String)>,
    /// The proxy's upstreams (one per Loki unit).
    pub upstreams: Vec<Upstream>,
    /// The proxy's locations on 3300.
    pub locations: Vec<Location>,
}

/// Our rules: nginx's error log in bursts (this charm), and error lines of each worker
/// application's Tempo. Our own LogQL, in the envelope the library writes.
pub fn alert_groups(me: &Topology, workers: &[Topology]) -> Vec<AlertGroup> {
    let rule = |t: &Topology, alert: &str, expr: String, summary: String| {
        AlertRule {
        alert: alert.into(),
        expr,
        for_: Some("5m".into()),
        labels: t
            .alert_labels()
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .chain([("severity".to_owned(), "warning".to_owned())])
            .collect(),
        annotations: [
            ("summary".to_owned(), summary),
            (
                "description".to_owned(),
                "Read the logs of {{ $labels.juju_application }} in Loki for the lines that matched.".to_owned(),
            ),
        ]
        .into(),
    }
    };
    let mut groups = vec![AlertGroup {
        name: loki_push_api::group_name(me, "nginx_errors"),
        rules: vec![rule(
            me,
            "TempoNginxErrorBurst",
            format!(
                "sum(count_over_time({} |~ \"\\\\[(error|crit|alert|emerg)\\\\]\" [5m])) > 20",
                me.logql_selector()
            ),
            "nginx in front of Tempo logs many errors: routing to the workers may be failing"
                .into(),
        )],
    }];
    for w in workers {
        groups.push(AlertGroup {
            name: loki_push_api::group_name(w, "tempo_errors"),
            rules: vec![rule(
                w,
                "TempoWorkerErrors",
                format!(
                    "sum(count_over_time({} |~ \"level=(error|fatal)\" [5m])) > 10",
                    w.logql_selector()
                ),
                format!("Tempo workers of {} log errors", w.application),
            )],
        });
    }
    groups
}

/// Decides logging. `proxy_base` is our in-cluster base URL (`http://<app host>`);
/// `workers` the topology of each worker application (for its rules).
pub fn plan(
    lokis: &[LokiRelation],
    me: &Topology,
    workers: &[Topology],
    proxy_base: &str,
    leader: bool,
) -> LoggingPlan {
    let mut p = LoggingPlan::default();
    let groups = alert_groups(me, workers);
    for r in lokis {
        if leader {
            p.app_bags.push((
                r.relation.clone(),
                loki_push_api::consumer_app_databag(me, &groups),
            ));
        }
        for (unit, data) in &r.units {
            let data = match data {
                Ok(Some(d)) => d,
                Ok(None) => continue,
                Err(e) => {
                    tracing::warn!(relation = %r.relation, unit = %unit, "ignoring the Loki unit's endpoint: {e}");
                    continue;
                }
            };
            let name = unit.to_string();
            let dashed = name.replace('/', "-");
            let upstream = format!("worker-telemetry-proxy-{dashed}");
            let path = format!("/proxy/loki/{dashed}/push");
            p.log_targets
                .insert(name.clone(), loki_push_api::log_target(&data.url, me));
            p.loki_endpoints.push((
                name,
                format!("{proxy_base}:{PROXY_WORKER_TELEMETRY_PORT}{path}"),
            ));
            p.upstreams.push(Upstream {
                name: upstream.clone(),
                port: data.url.port(),
                addresses: [data.url.host()].into(),
            });
            p.locations.push(Location {
                modifier: "=",
                path,
                backend: upstream,
                backend_url: data.url.path().to_owned(),
                upstream_tls: data.url.is_https(),
                keepalive_http11: true,
                strip_prefix: false,
            });
        }
    }
    p
}

/// The layer that brings a plan's log targets to `wanted` (`None` when they already are):
/// wanted targets as they should be, and every enabled target of the plan that is not
/// wanted (a Loki unit that left) disabled. Added as `<container>-log-forwarding`,
/// combined, as the library does; Pebble applies log targets without a replan.
pub fn log_layer(
    current: &BTreeMap<String, LogTarget>,
    wanted: &BTreeMap<String, LogTarget>,
) -> Option<Layer> {
    let mut targets = BTreeMap::new();
    for (name, t) in wanted {
        if current.get(name) != Some(t) {
            targets.insert(name.clone(), t.clone());
        }
    }
    for (name, t) in current {
        if !wanted.contains_key(name) && loki_push_api::is_enabled(t) {
            targets.insert(name.clone(), loki_push_api::disabled_log_target());
        }
    }
    (!targets.is_empty()).then(|| Layer {
        log_targets: targets,
        ..Layer::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use charm_interfaces::loki_push_api::PushUrl;

    fn me() -> Topology {
        Topology {
            model: "cos".into(),
            model_uuid: "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53".into(),
            application: "tempo".into(),
            unit: "tempo/0".into(),
            charm_name: CHARM_NAME.into(),
        }
    }

    fn loki(units: &[(u32, Option<&str>)]) -> LokiRelation {
        LokiRelation {
            relation: RelationId::new(LOGGING, 72),
            units: units
                .iter()
                .map(|(n, url)| {
                    let data = match url {
                        None => Ok(None),
                        Some(u) => {
                            PushUrl::parse(u).map(|url| Some(LokiPushApiProviderUnitData { url }))
                        }
                    };
                    (UnitName::new("loki", *n), data)
                })
                .collect(),
        }
    }

    #[test]
    fn each_loki_unit_gets_a_target_a_proxy_and_an_endpoint_for_the_workers() {
        let p = plan(
            &[loki(&[
                (
                    0,
                    Some(
                        "http://loki-0.loki-endpoints.cos.svc.cluster.local:3100/loki/api/v1/push",
                    ),
                ),
                (1, None),
                (2, Some("https://10.1.2.3/push")),
            ])],
            &me(),
            &[],
            "http://tempo.cos.svc.cluster.local",
            true,
        );
        assert_eq!(
            p.loki_endpoints,
            [
                (
                    "loki/0".to_owned(),
                    "http://tempo.cos.svc.cluster.local:3300/proxy/loki/loki-0/push".to_owned()
                ),
                (
                    "loki/2".to_owned(),
                    "http://tempo.cos.svc.cluster.local:3300/proxy/loki/loki-2/push".to_owned()
                ),
            ]
        );
        assert_eq!(
            p.log_targets.keys().collect::<Vec<_>>(),
            ["loki/0", "loki/2"]
        );
        assert_eq!(p.upstreams[1].port, 443);
        assert!(p.locations[1].upstream_tls);
        assert_eq!(p.locations[0].backend_url, "/loki/api/v1/push");
        let bag = &p.app_bags[0].1;
        assert!(bag["metadata"].contains("\"charm_name\": \"tempo-coordinator-k8s\""));
        assert!(bag.contains_key("alert_rules"));
        // A non-leader forwards and proxies, but writes nothing.
        let p = plan(
            &[loki(&[(0, Some("http://l/p"))])],
            &me(),
            &[],
            "http://t",
            false,
        );
        assert!(p.app_bags.is_empty() && p.log_targets.len() == 1);
    }

    #[test]
    fn rules_cover_this_charm_and_each_worker_application() {
        let mut worker = me();
        worker.application = "tempo-worker-all".into();
        worker.charm_name = "tempo-worker-k8s".into();
        let groups = alert_groups(&me(), &[worker]);
        let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cos_5f0c7e2a_tempo_nginx_errors_rules",
                "cos_5f0c7e2a_tempo_worker_all_tempo_errors_rules"
            ]
        );
        let r = &groups[1].rules[0];
        assert_eq!(r.labels["juju_charm"], "tempo-worker-k8s");
        assert!(r.expr.contains("juju_application=\"tempo-worker-all\""));
    }

    #[test]
    fn a_loki_unit_that_left_is_disabled_and_nothing_is_added_when_all_is_in_place() {
        let p = plan(
            &[loki(&[(0, Some("http://l0/p")), (1, Some("http://l1/p"))])],
            &me(),
            &[],
            "http://t",
            true,
        );
        let layer = log_layer(&BTreeMap::new(), &p.log_targets).expect("targets to add");
        assert_eq!(layer.log_targets, p.log_targets);
        assert_eq!(log_layer(&p.log_targets, &p.log_targets), None);
        // loki/1 leaves: only its target changes, to disabled.
        let after = plan(
            &[loki(&[(0, Some("http://l0/p"))])],
            &me(),
            &[],
            "http://t",
            true,
        );
        let layer = log_layer(&p.log_targets, &after.log_targets).expect("a change");
        assert_eq!(layer.log_targets.keys().collect::<Vec<_>>(), ["loki/1"]);
        assert_eq!(layer.log_targets["loki/1"].services, ["-all"]);
        // Once disabled it stays so, with no further layer.
        let mut current = after.log_targets.clone();
        current.insert("loki/1".into(), layer.log_targets["loki/1"].clone());
        assert_eq!(log_layer(&current, &after.log_targets), None);
        // The last Loki leaves: everything is disabled (the library leaves it forwarding).
        let layer = log_layer(&p.log_targets, &BTreeMap::new()).expect("a change");
        assert!(layer.log_targets.values().all(|t| t.services == ["-all"]));
    }
}
