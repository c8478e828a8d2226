//! metrics-endpoint (prometheus_scrape) and the peer `hostname`, as the Python coordinator
//! (coordinated-workers 4.1.4) writes them: every unit writes its raw FQDN as `hostname` in
//! its peer databag and its address on every metrics-endpoint relation; the leader writes
//! the scrape jobs (each worker unit through nginx's telemetry proxy on 3300, each
//! coordinator unit's nginx exporter on 9113), the topology and our alert rules
//! (`src/alert_rules/`, embedded at compile time) to every metrics-endpoint relation.

use charm_interfaces::prometheus_scrape::{
    self as ps, RuleGroups, RuleTopology, ScrapeJob, ScrapeMetadata,
};
use juju_charm::Databag;

use super::inputs::{writes_peer_hostname, Inputs, PEER_HOSTNAME_KEY};
use super::nginx::PROXY_WORKER_TELEMETRY_PORT;
use super::reconcile::{Plan, TempoUrls};
use super::workload::EXPORTER_PORT;

/// Our charm's name (metadata.yaml), as the topology carries it.
pub const CHARM_NAME: &str = "tempo-coordinator-k8s";

// `RULES_WORKERS` (about every worker application, sent once per worker application) and
// `RULES_COORDINATOR` (about the coordinator's own units: nginx and its exporter): the
// YAML files of src/alert_rules as JSON, converted by build.rs.
include!(concat!(env!("OUT_DIR"), "/alert_rules.rs"));

/// What TLS will add to the jobs (`"scheme": "https"`) once it serves them; `None` now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Scheme(pub Option<&'static str>);

/// The charm's topology, as `scrape_metadata` carries it.
pub fn metadata(i: &Inputs) -> ScrapeMetadata {
    ScrapeMetadata {
        model: i.model.clone(),
        model_uuid: i.model_uuid.clone(),
        application: i.app.clone(),
        unit: i.unit.to_string(),
        charm_name: CHARM_NAME.to_owned(),
    }
}

/// Our `hostname` in the peer databag, on the events coordinated-workers writes it.
pub fn plan_peer_hostname(i: &Inputs, own_hostname: &str, plan: &mut Plan) {
    if let Some(p) = i.peers.as_ref().filter(|_| writes_peer_hostname(&i.event)) {
        let bag: Databag = [(PEER_HOSTNAME_KEY.to_owned(), own_hostname.to_owned())].into();
        plan.write_unit(&p.relation, bag);
    }
}

/// A charm name as Charmhub allows them (the worker reports its own; bounded).
fn charm_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The scrape jobs: each worker unit (through our nginx, labelled with its own topology),
/// then each coordinator unit's exporter (peers in unit order, then us).
pub fn jobs(i: &Inputs, app_host: &str, own_hostname: &str, scheme: Scheme) -> Vec<ScrapeJob> {
    let mut jobs = Vec::new();
    let scheme = scheme.0.map(str::to_owned);
    for w in &i.workers {
        // Only workers the cluster serves: their telemetry proxy locations exist in nginx.
        let Ok(role) = &w.role else { continue };
        if role
            .roles()
            .any(|r| crate::tempo_config::TempoRole::parse(r).is_none())
        {
            continue;
        }
        for (unit, data) in &w.units {
            let Ok(d) = data else { continue };
            let t = &d.juju_topology;
            // Identity from Juju: the unit's self-reported topology must name it.
            if t.unit != *unit || t.application != w.app || !charm_name_ok(&t.charm_name) {
                tracing::warn!(relation = %w.relation, unit = %unit, "not scraping a worker unit whose juju_topology does not name it (unit `{}`, application `{}`, charm `{}`)", juju_charm::context::truncate(&t.unit, 60).escape_debug(), juju_charm::context::truncate(&t.application, 60).escape_debug(), juju_charm::context::truncate(&t.charm_name, 60).escape_debug());
                continue;
            }
            jobs.push(ScrapeJob {
                metrics_path: format!("/proxy/worker/{}/metrics", unit.replace('/', "-")),
                targets: vec![format!("{app_host}:{PROXY_WORKER_TELEMETRY_PORT}")],
                labels: vec![],
                relabel: vec![
                    ("juju_charm".into(), t.charm_name.clone()),
                    ("juju_unit".into(), unit.clone()),
                    ("juju_application".into(), w.app.clone()),
                    ("juju_model".into(), i.model.clone()),
                    ("juju_model_uuid".into(), i.model_uuid.clone()),
                ],
                scheme: scheme.clone(),
            });
        }
    }
    let peers = i.peers.iter().flat_map(|p| p.hostnames.iter());
    let ours = std::iter::once((&i.unit, own_hostname));
    for (unit, host) in peers.map(|(u, h)| (u, h.as_str())).chain(ours) {
        jobs.push(ScrapeJob {
            metrics_path: "/metrics".into(),
            targets: vec![format!("{host}:{EXPORTER_PORT}")],
            labels: vec![("juju_unit".into(), unit.to_string())],
            relabel: vec![],
            scheme: scheme.clone(),
        });
    }
    jobs
}

/// Our alert rules as cosl groups and labels them: the worker rules once per worker
/// application (sorted by name) with its topology, then the coordinator's rules with ours.
pub fn alert_rules(i: &Inputs) -> RuleGroups {
    let parse = |name: &str, text: &str| match serde_json::from_str::<RuleGroups>(text) {
        Ok(r) => r,
        Err(e) => {
            // The files are checked by the tests; this is a build that skipped them.
            tracing::error!("the charm's alert rules `{name}` do not parse ({e}); sending none");
            RuleGroups::default()
        }
    };
    let worker = parse("workers.rules", RULES_WORKERS);
    let coordinator = parse("coordinator.rules", RULES_COORDINATOR);
    let mut apps: Vec<(&str, &str)> = Vec::new();
    for w in &i.workers {
        let charm = w
            .valid_units()
            .map(|u| u.juju_topology.charm_name.as_str())
            .find(|c| charm_name_ok(c));
        if let (Ok(_), Some(charm)) = (&w.role, charm) {
            if !apps.iter().any(|(a, _)| *a == w.app) {
                apps.push((&w.app, charm));
            }
        }
    }
    apps.sort();
    let mut out = RuleGroups::default();
    for (app, charm) in apps {
        out.extend(worker.with_topology(&RuleTopology {
            model: &i.model,
            model_uuid: &i.model_uuid,
            application: app,
            charm,
        }));
    }
    out.extend(coordinator.with_topology(&RuleTopology {
        model: &i.model,
        model_uuid: &i.model_uuid,
        application: &i.app,
        charm: CHARM_NAME,
    }));
    out
}

/// Every unit: its address on each metrics-endpoint relation (the most external host, as
/// the library takes it from the coordinator's external URL); the leader: the jobs, the
/// topology and the rules.
pub fn plan(
    i: &Inputs,
    urls: &TempoUrls,
    app_host: &str,
    own_hostname: &str,
    scheme: Scheme,
    plan: &mut Plan,
) {
    if i.metrics.is_empty() {
        return;
    }
    let unit = match url::Url::parse(urls.most_external()) {
        Ok(u) => ps::unit_databag(&u, &i.unit.to_string()),
        Err(e) => {
            tracing::warn!(
                "not publishing a scrape address: `{}` is not a URL ({e})",
                urls.most_external()
            );
            Databag::new()
        }
    };
    let app = i.leader.then(|| {
        ps::app_databag(
            &metadata(i),
            &jobs(i, app_host, own_hostname, scheme),
            &alert_rules(i),
        )
    });
    for r in &i.metrics {
        if !unit.is_empty() {
            plan.write_unit(r, unit.clone());
        }
        if let Some(bag) = &app {
            plan.write_app(r, bag.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::Peers;
    use crate::reconcile::tests::inputs;
    use juju_charm::{RelationId, UnitName};

    fn urls(external: Option<&str>) -> TempoUrls {
        TempoUrls {
            direct: "http://tempo.cos.svc.cluster.local".into(),
            external: external.map(str::to_owned),
        }
    }

    #[test]
    fn rule_files_parse_and_every_rule_says_what_and_how_bad() {
        for (name, text, json) in [
            (
                "workers",
                include_str!("alert_rules/workers.rules"),
                RULES_WORKERS,
            ),
            (
                "coordinator",
                include_str!("alert_rules/coordinator.rules"),
                RULES_COORDINATOR,
            ),
        ] {
            let r: RuleGroups = serde_yaml::from_str(text).expect(name);
            let embedded: RuleGroups = serde_json::from_str(json).expect(name);
            assert_eq!(embedded, r, "{name}: the embedded JSON is the YAML file");
            assert!(!r.groups.is_empty(), "{name}");
            for g in &r.groups {
                for rule in &g.rules {
                    assert!(
                        matches!(
                            rule.labels.get("severity").map(String::as_str),
                            Some("critical" | "warning")
                        ),
                        "{name}: {}",
                        rule.alert
                    );
                    for a in ["summary", "description"] {
                        assert!(rule.annotations.contains_key(a), "{}: {a}", rule.alert);
                    }
                }
            }
        }
    }

    #[test]
    fn leader_scrapes_workers_through_nginx_and_every_coordinator_exporter() {
        let mut i = inputs(true);
        i.metrics = vec![RelationId::new("metrics-endpoint", 70)];
        i.peers = Some(Peers {
            relation: RelationId::new("peers", 1),
            units: vec![],
            hostnames: vec![(UnitName::new("tempo", 2), "tempo-2.h".into())],
        });
        let mut p = crate::reconcile::reconcile(&i);
        p.app_bags.clear();
        p.unit_bags.clear();
        plan(
            &i,
            &urls(Some("https://traces.example.org")),
            "tempo.cos.svc.cluster.local",
            "tempo-0.h",
            Scheme::default(),
            &mut p,
        );
        let r = RelationId::new("metrics-endpoint", 70);
        assert_eq!(
            p.unit_bags[&r]["prometheus_scrape_unit_address"],
            "traces.example.org"
        );
        let jobs: serde_json::Value = serde_json::from_str(&p.app_bags[&r]["scrape_jobs"]).unwrap();
        assert_eq!(jobs[0]["metrics_path"], "/proxy/worker/w-0/metrics");
        assert_eq!(
            jobs[0]["static_configs"][0]["targets"][0],
            "tempo.cos.svc.cluster.local:3300"
        );
        assert_eq!(jobs[1]["static_configs"][0]["targets"][0], "tempo-2.h:9113");
        assert_eq!(
            jobs[1]["static_configs"][0]["labels"]["juju_unit"],
            "tempo/2"
        );
        assert_eq!(
            jobs[2]["static_configs"][0]["labels"]["juju_unit"],
            "tempo/0"
        );
        assert_eq!(jobs.as_array().unwrap().len(), 3);
        let rules: RuleGroups = serde_json::from_str(&p.app_bags[&r]["alert_rules"]).unwrap();
        let names: Vec<&str> = rules.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "cos_5f0c7e2a_w_tempo_alerts_rules",
                "cos_5f0c7e2a_tempo_tempo_coordinator_rules"
            ]
        );

        // A non-leader writes its address only.
        let mut i = i.clone();
        i.leader = false;
        let mut p = crate::reconcile::reconcile(&i);
        p.app_bags.clear();
        p.unit_bags.clear();
        plan(&i, &urls(None), "h", "tempo-0.h", Scheme::default(), &mut p);
        assert_eq!(
            p.unit_bags[&r]["prometheus_scrape_unit_address"],
            "tempo.cos.svc.cluster.local"
        );
        assert!(p.app_bags.is_empty());
    }

    #[test]
    fn a_worker_whose_topology_names_another_unit_is_not_scraped() {
        let mut i = inputs(true);
        if let Ok(d) = &mut i.workers[0].units[0].1 {
            d.juju_topology.unit = "other/7".into();
        }
        assert!(jobs(&i, "h", "me", Scheme::default())
            .iter()
            .all(|j| !j.metrics_path.contains("proxy")));
        let mut i = inputs(true);
        if let Ok(d) = &mut i.workers[0].units[0].1 {
            d.juju_topology.charm_name = "Bad Charm\"".into();
        }
        assert_eq!(jobs(&i, "h", "me", Scheme::default()).len(), 1);
    }

    #[test]
    fn tls_scheme_goes_on_every_job() {
        let i = inputs(true);
        let j = jobs(&i, "h", "me", Scheme(Some("https")));
        assert!(j.iter().all(|j| j.scheme.as_deref() == Some("https")));
    }
}
