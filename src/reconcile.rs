//! The reconciler: `Inputs -> Plan`, pure and total. No I/O, no errors: every problem with
//! the inputs becomes a status in the plan.
//!
//! As the Python coordinator does, nothing but the status is reconciled until the cluster can
//! work (workers related, the roles coherent, S3 ready): no configuration is pushed, no port
//! opened and no URL published for a Tempo that does not run.

use std::collections::{BTreeMap, BTreeSet};

use super::inputs::{peer_fqdn_value, writes_peer_fqdn, Inputs, PEER_FQDN_KEY};
use super::nginx::PROXY_WORKER_TELEMETRY_PORT;
use super::tempo_config::{self, TempoRole};
use super::urls::{app_host, receiver_port, unit_fqdn, TEMPO_GRPC_PORT, TEMPO_HTTP_PORT};
use charm_interfaces::s3::S3ConnectionInfo;
use charm_interfaces::tempo_api::TempoApiAppData;
use charm_interfaces::tempo_cluster::ClusterProviderAppData;
use charm_interfaces::tracing::{ReceiverProtocol, TracingProviderAppData, TransportProtocolType};
use juju_charm::pebble::LogTarget;
use juju_charm::{Databag, Event, RelationEventKind, RelationId, Status};

use super::cluster::{cluster, remote_write_routes, worker_databags, worker_ports};
use super::logging;
use super::routing::{nginx_inputs, TelemetryRoutes};
use super::self_tracing;
use charm_interfaces::loki_push_api::Topology;

/// The Tempo version this charm targets, shown by `juju status`.
pub const TEMPO_VERSION: &str = "2.8.1";

/// What to do in the workload containers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// nginx's configuration file.
    pub nginx_config: String,
    /// The certificate, key and CA to serve with, when TLS is on.
    pub tls: Option<crate::tls::Serving>,
}

/// What to write this hook. Every databag appears at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The tempo-api data and the relations to write it to (leader only).
    pub tempo_api: Option<(TempoApiAppData, Vec<RelationId>)>,
    /// Our application databag on the ingress relation (leader only).
    pub ingress: Option<(RelationId, Databag)>,
    /// Application databags to write (leader only), one `relation-set` each; integrations
    /// add theirs with [`Plan::write_app`], which merges keys written to the same relation.
    pub app_bags: BTreeMap<RelationId, Databag>,
    /// Unit databags to write (every unit), one `relation-set` each, merged per relation
    /// ([`Plan::write_unit`]): the peer relation's `fqdn` among them.
    pub unit_bags: BTreeMap<RelationId, Databag>,
    /// `application-version-set`, on events where the charm may have changed.
    pub app_version: Option<&'static str>,
    /// This unit's status.
    pub unit_status: Status,
    /// The application's status (leader only).
    pub app_status: Option<Status>,
    /// Each ready worker relation and our databag for it (leader only).
    pub cluster: Vec<(RelationId, Databag)>,
    /// The receivers published to every tracing relation (leader only).
    pub tracing: Option<(Databag, Vec<RelationId>)>,
    /// The bucket request on a newly joined S3 relation (leader only).
    pub s3_request: Option<(RelationId, Databag)>,
    /// The containers' wanted state, once the cluster can work.
    pub workload: Option<Workload>,
    /// The TCP ports to have open, once the cluster can work.
    pub ports: Option<BTreeSet<u16>>,
    /// The enabled receivers and their URLs (for the list-receivers action).
    pub receivers: Vec<(ReceiverProtocol, String)>,
    /// `secret-grant <id> -r <relation>`: the TLS key's secret to each worker relation
    /// (leader only; idempotent in Juju, so only on events that can need a new grant).
    pub secret_grants: Vec<(juju_charm::SecretId, RelationId)>,
    /// The Pebble log targets both containers should have (`logging`), when they are to be
    /// reconciled: whenever a logging relation exists or one changed in this hook; always
    /// (empty or not) once the containers are reconciled.
    pub log_targets: Option<BTreeMap<String, LogTarget>>,
    /// Where this charm's own spans go (`self-charm-tracing`'s otlp_http `/v1/traces`).
    pub charm_tracing: Option<String>,
}

impl Plan {
    /// Adds keys to our application databag on `relation` (merged with what other planners
    /// wrote there this hook; a later key wins).
    pub fn write_app(&mut self, relation: &RelationId, bag: Databag) {
        self.app_bags
            .entry(relation.clone())
            .or_default()
            .extend(bag);
    }
    /// Adds keys to our unit databag on `relation` (merged as [`Plan::write_app`] does).
    pub fn write_unit(&mut self, relation: &RelationId, bag: Databag) {
        self.unit_bags
            .entry(relation.clone())
            .or_default()
            .extend(bag);
    }
}

/// Tempo's base URLs (scheme and host, no port): the in-cluster one, and the most external
/// one (Traefik's when the ingress is ready, else the in-cluster one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempoUrls {
    /// `http://<app>.<model>.svc.<domain>`, `https://` when TLS is on.
    pub direct: String,
    /// Whether Tempo is served with TLS (scrape jobs then say `"scheme": "https"`).
    pub tls: bool,
    /// Traefik's `<scheme>://<external_host>` once it answered.
    pub external: Option<String>,
}

impl TempoUrls {
    /// The most external base URL.
    pub fn most_external(&self) -> &str {
        self.external.as_deref().unwrap_or(&self.direct)
    }
    /// Tempo's HTTP API at the most external URL (`<base>:3200`).
    pub fn http_api(&self) -> String {
        format!("{}:{TEMPO_HTTP_PORT}", self.most_external())
    }
}

/// The key the Python charm's remote-write library publishes alert rules under.
const REMOTE_WRITE_RULES_KEY: &str = "alert_rules";

/// Decides what to write.
pub fn reconcile(i: &Inputs) -> Plan {
    let host = app_host(i.own_fqdn.as_deref(), &i.app, &i.model);
    let own_unit_fqdn = unit_fqdn(&i.unit, &i.model, i.own_fqdn.as_deref());
    let server_name = i.own_fqdn.clone().unwrap_or_else(|| own_unit_fqdn.clone());

    let mut unit_bags = BTreeMap::new();
    if let Some(p) = i.peers.as_ref().filter(|_| writes_peer_fqdn(&i.event)) {
        unit_bags.insert(
            p.relation.clone(),
            [(PEER_FQDN_KEY.to_owned(), peer_fqdn_value(&own_unit_fqdn))].into(),
        );
    }
    let app_version = matches!(i.event, Event::Install | Event::UpgradeCharm | Event::Start)
        .then_some(TEMPO_VERSION);
    let s3_request = i
        .s3
        .as_ref()
        .filter(|s| {
            i.leader
                && matches!(i.event.relation(), Some(r) if r.relation == s.relation && r.kind == RelationEventKind::Joined)
        })
        .map(|s| (s.relation.clone(), charm_interfaces::s3::request_databag(&s.relation, None)));

    let mut plan = Plan {
        tempo_api: None,
        ingress: None,
        app_bags: BTreeMap::new(),
        unit_bags,
        app_version,
        unit_status: Status::active(""),
        app_status: None,
        cluster: Vec::new(),
        tracing: None,
        s3_request,
        workload: None,
        ports: None,
        receivers: Vec::new(),
        secret_grants: Vec::new(),
        log_targets: None,
        charm_tracing: None,
    };
    // Our CSRs go out whatever the cluster's state (every unit asks for its certificate).
    if let (Some(r), Some(bag)) = (&i.tls.relation, &i.tls.unit_bag) {
        plan.write_unit(r, bag.clone());
    }
    let tls = i.tls.serving.as_ref();
    let scheme = if tls.is_some() { "https" } else { "http" };

    super::scrape::plan_peer_hostname(i, &server_name, &mut plan);
    super::dashboards::plan(i, &mut plan);
    // After a `juju refresh` from the Python charm: its generic aggregator rules on
    // send-remote-write (which we do not publish) are removed, not left to fire.
    if i.leader && i.event == Event::UpgradeCharm {
        for r in &i.remote_write_relations {
            plan.write_app(
                r,
                [(REMOTE_WRITE_RULES_KEY.to_owned(), String::new())].into(),
            );
        }
    }

    // Telemetry out (logging, self-tracing): written whatever the cluster's state.
    let proxy_base = format!("http://{host}");
    let me = Topology {
        model: i.model.clone(),
        model_uuid: i.model_uuid.clone(),
        application: i.app.clone(),
        unit: i.unit.to_string(),
        charm_name: logging::CHARM_NAME.into(),
    };
    let worker_topologies: Vec<Topology> = i
        .workers
        .iter()
        .filter_map(|w| {
            let unit = w.valid_units().next()?;
            Some(Topology {
                model: i.model.clone(),
                model_uuid: i.model_uuid.clone(),
                application: w.app.clone(),
                unit: unit.juju_topology.unit.clone(),
                charm_name: unit.juju_topology.charm_name.clone(),
            })
        })
        .collect();
    let log = logging::plan(&i.logging, &me, &worker_topologies, &proxy_base, i.leader);
    let logging_event = i
        .event
        .relation()
        .is_some_and(|r| r.relation.endpoint == logging::LOGGING);
    if !i.logging.is_empty() || logging_event {
        plan.log_targets = Some(log.log_targets.clone());
    }
    let st = self_tracing::plan(
        i.self_charm_tracing.as_ref(),
        i.self_workload_tracing.as_ref(),
        &proxy_base,
        i.leader,
    );
    plan.charm_tracing = st.charm_destination.clone();
    for (r, bag) in log.app_bags.iter().chain(&st.requests) {
        plan.write_app(r, bag.clone());
    }

    // The coordinator's own statuses, as the Python coordinator orders them.
    let c = cluster(i);
    let mut problems: Vec<Status> = Vec::new();
    if i.workers.is_empty() {
        problems.push(Status::blocked(
            "[consistency] Missing any worker relation.",
        ));
    } else if !TempoRole::MINIMAL
        .iter()
        .all(|r| c.role_units.contains_key(r))
    {
        problems.push(Status::blocked("[consistency] Cluster inconsistent."));
    }
    let s3: Option<&S3ConnectionInfo> = match &i.s3 {
        None => {
            problems.push(Status::blocked("[s3] Missing S3 integration."));
            None
        }
        Some(s) => match &s.info {
            Ok(info) => Some(info),
            Err(e) => {
                tracing::warn!(relation = %s.relation, "S3 is not usable: {e}");
                problems.push(Status::blocked(
                    "[s3] S3 not ready (probably misconfigured).",
                ));
                None
            }
        },
    };
    let ready = problems.is_empty();
    // A config problem is shown first; one in an option the workload uses also stops the
    // reconcile below (nothing pushed), one in the charm's own `log-level` does not.
    if let Some(p) = &i.config_problem {
        problems.insert(0, Status::blocked(format!("invalid config: {p}")));
    }
    if let Some(s) = super::unserved::status(&i.unserved) {
        problems.push(s);
    }
    let finish = |mut plan: Plan, problems: Vec<Status>, charm_active: Option<Status>| {
        let app = problems
            .first()
            .cloned()
            .unwrap_or_else(|| Status::active(""));
        plan.unit_status = problems
            .first()
            .cloned()
            .or(charm_active)
            .unwrap_or_else(|| Status::active(""));
        plan.app_status = i.leader.then_some(app);
        plan
    };
    let (Some(s3), true) = (s3, ready) else {
        return finish(plan, problems, None);
    };
    // An option outside what its consumer accepts: the status says how to fix it, and
    // nothing is pushed (the cluster keeps its last configuration).
    if !i.config.invalid.is_empty() {
        return finish(plan, problems, None);
    }
    let Some(resolver) = &i.resolver else {
        problems.push(Status::blocked(
            "no nameserver in /etc/resolv.conf for nginx's resolver",
        ));
        return finish(plan, problems, None);
    };

    // Receivers: what requirers ask for, what config enables, and otlp_http always.
    let mut enabled: BTreeSet<ReceiverProtocol> = i.config.always_enable.clone();
    enabled.insert(ReceiverProtocol::OtlpHttp);
    for t in &i.tracing {
        match &t.request {
            Ok(d) => enabled.extend(d.receivers.iter().copied()),
            Err(e) => {
                tracing::warn!(relation = %t.relation, "ignoring an invalid tracing request: {e}")
            }
        }
    }
    let receivers: Vec<ReceiverProtocol> = enabled.into_iter().collect();
    let worker_proxies: BTreeSet<String> = c
        .topology
        .iter()
        .map(|(u, _)| u.replace('/', "-"))
        .collect();
    let rw_routes = remote_write_routes(&i.remote_write, &worker_proxies);

    let direct = format!("{scheme}://{host}");
    let ingress = super::ingress::plan(i, &server_name, tls.is_some());
    plan.ingress = ingress.request;
    problems.extend(ingress.problem);
    let external = ingress.external;
    let tempo_urls = TempoUrls {
        direct: direct.clone(),
        tls: tls.is_some(),
        external: external.clone(),
    };
    // Scrape jobs say `"scheme": "https"` while TLS is on.
    let scrape_scheme = super::scrape::Scheme(tls.is_some().then_some("https"));
    super::scrape::plan(
        i,
        &tempo_urls,
        &host,
        &server_name,
        scrape_scheme,
        &mut plan,
    );
    super::probes::plan(i, &tempo_urls, &mut plan);
    let base = tempo_urls.most_external().to_owned();
    let receiver_url = |p: ReceiverProtocol| match p.transport() {
        TransportProtocolType::Grpc => {
            let netloc = base
                .split_once("://")
                .map_or(base.as_str(), |(_, rest)| rest);
            format!("{netloc}:{}", receiver_port(p))
        }
        TransportProtocolType::Http => format!("{base}:{}", receiver_port(p)),
    };
    plan.receivers = receivers.iter().map(|p| (*p, receiver_url(*p))).collect();

    if i.leader {
        // tempo-api: the direct URLs, and the ingress ones when Traefik is ready.
        let ingress = external.as_ref().map(|e| {
            (
                format!("{e}:{TEMPO_HTTP_PORT}"),
                format!("{e}:{TEMPO_GRPC_PORT}"),
            )
        });
        let data = TempoApiAppData::new(
            &format!("{direct}:{TEMPO_HTTP_PORT}"),
            &format!("{direct}:{TEMPO_GRPC_PORT}"),
            ingress.as_ref().map(|(h, _)| h.as_str()),
            ingress.as_ref().map(|(_, g)| g.as_str()),
        );
        match data {
            Ok(d) if !i.tempo_api.is_empty() => plan.tempo_api = Some((d, i.tempo_api.clone())),
            Ok(_) => {}
            Err(e) => problems.push(Status::blocked(format!("cannot build Tempo's URLs: {e}"))),
        }
        if !i.tracing.is_empty() {
            let pairs: Vec<(&str, &str)> = plan
                .receivers
                .iter()
                .map(|(p, u)| (p.as_str(), u.as_str()))
                .collect();
            if let Ok(d) = TracingProviderAppData::from_pairs(&pairs) {
                plan.tracing = Some((
                    d.to_databag(),
                    i.tracing.iter().map(|t| t.relation.clone()).collect(),
                ));
            }
        }

        // Grafana: Tempo as a datasource, its uids to Loki and Mimir, the catalogue entry.
        let source = super::grafana_source::Source {
            model: &i.model,
            model_uuid: &i.model_uuid,
            app: &i.app,
        };
        let (g, x) = (&i.grafana_sources, &i.datasource_exchange);
        for (r, bag) in super::grafana_source::plan(source, g, x, &i.remote_write_apps, &tempo_urls)
            .into_iter()
            .chain(super::datasource_exchange::plan(x, g))
            .chain(super::catalogue::plan(&i.app, &i.catalogue, &tempo_urls))
        {
            plan.write_app(&r, bag);
        }

        // The workers' configuration.
        let remote_write: Vec<String> = rw_routes
            .iter()
            .map(|r| {
                format!(
                    "{scheme}://{host}:{PROXY_WORKER_TELEMETRY_PORT}/proxy/remote-write/{}/write",
                    r.key
                )
            })
            .collect();
        let worker_config = tempo_config::render(
            &tempo_config::TempoInputs {
                roles: &c.addresses,
                s3,
                remote_write: &remote_write,
                retention_hours: i.config.retention_hours,
                tls: tls.is_some(),
            },
            TEMPO_HTTP_PORT,
            TEMPO_GRPC_PORT,
        );
        let urls: Vec<(String, String)> = plan
            .receivers
            .iter()
            .map(|(p, u)| (p.as_str().to_owned(), u.clone()))
            .collect();
        let offer = ClusterProviderAppData {
            worker_config,
            loki_endpoints: Some(log.loki_endpoints.clone()),
            charm_tracing_receivers: Some(
                st.charm_receivers.clone().unwrap_or_else(|| urls.clone()),
            ),
            workload_tracing_receivers: Some(
                st.workload_receivers
                    .clone()
                    .unwrap_or_else(|| urls.clone()),
            ),
            remote_write_endpoints: Some(remote_write.clone()),
            worker_ports: None,
            s3_tls_ca_chain: s3.ca_cert(),
            worker_labels: Some(vec![("app.kubernetes.io/part-of".into(), i.app.clone())]),
            ca_cert: tls.map(|t| t.ca.clone()),
            server_cert: tls.map(|t| t.certificate.clone()),
            privkey_secret_id: tls.map(|t| t.key_secret_id.as_str().to_owned()),
        };
        let key = tls.map(|t| &t.key_secret_id);
        let offers = worker_databags(
            &i.workers,
            &c,
            &offer,
            &receivers,
            key,
            &i.tls.key_granted_to,
        );
        plan.cluster = offers.bags;
        plan.secret_grants = offers.grants;
    }

    // Every unit runs nginx in front of the workers and opens what it serves.
    let routes = TelemetryRoutes {
        remote_write: &rw_routes,
        log: &log,
        self_tracing: &st,
    };
    let ni = nginx_inputs(i, &c, &routes, &receivers, &server_name, resolver);
    plan.log_targets = Some(log.log_targets);
    plan.workload = Some(Workload {
        nginx_config: super::nginx::render(&ni),
        tls: tls.cloned(),
    });
    let mut ports: BTreeSet<u16> = worker_ports(&[TempoRole::All], &receivers)
        .into_iter()
        .collect();
    ports.insert(PROXY_WORKER_TELEMETRY_PORT);
    plan.ports = Some(ports);

    let charm_active =
        if c.role_units.contains_key(&TempoRole::MetricsGenerator) && i.remote_write.is_empty() {
            Some(Status::active(
                "metrics-generator disabled. Add a relation over send-remote-write",
            ))
        } else if !i.config.deprecated_set.is_empty() {
            Some(Status::active(format!(
                "{} deprecated and ignored",
                i.config.deprecated_set.join(", ")
            )))
        } else {
            None
        };
    problems.sort_by_key(|s| match s.name {
        juju_charm::StatusName::Blocked => 0,
        _ => 1,
    });
    finish(plan, problems, charm_active)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::inputs::{Config, Ingress, Peers, S3Relation};
    use charm_interfaces::tempo_cluster::{
        ClusterRequirerAppData, ClusterRequirerUnitData, Topology, WorkerApp,
    };
    use juju_charm::{StatusName, UnitName};

    fn worker(id: u32, app: &str, role: &str) -> WorkerApp {
        WorkerApp {
            relation: RelationId::new("tempo-cluster", id),
            app: app.into(),
            role: Ok(ClusterRequirerAppData { role: role.into() }),
            units: vec![(
                format!("{app}/0"),
                Ok(ClusterRequirerUnitData {
                    address: format!("{app}-0.{app}-endpoints.cos.svc.cluster.local"),
                    juju_topology: Topology {
                        application: app.into(),
                        unit: format!("{app}/0"),
                        charm_name: "tempo-worker-k8s".into(),
                    },
                }),
            )],
        }
    }

    pub(crate) fn inputs(leader: bool) -> Inputs {
        Inputs {
            app: "tempo".into(),
            model: "cos".into(),
            model_uuid: "5f0c7e2a-3b9d-4c61-8a47-0d2e6b1f9a53".into(),
            unit: UnitName::new("tempo", 0),
            own_fqdn: None,
            event: Event::UpdateStatus,
            config_problem: None,
            leader,
            tempo_api: vec![RelationId::new("tempo-api", 1)],
            ingress: None,
            peers: None,
            config: Config::default(),
            s3: Some(S3Relation {
                relation: RelationId::new("s3", 5),
                info: Ok(S3ConnectionInfo {
                    endpoint: "http://minio:9000".into(),
                    bucket: "tempo".into(),
                    access_key: charm_interfaces::grammar::Secret::new("a"),
                    secret_key: charm_interfaces::grammar::Secret::new("s"),
                    region: None,
                    tls_ca_chain: None,
                }),
            }),
            workers: vec![worker(10, "w", "all")],
            tracing: vec![],
            remote_write: vec![],
            remote_write_apps: BTreeSet::new(),
            remote_write_relations: vec![],
            grafana_sources: vec![],
            datasource_exchange: vec![],
            catalogue: vec![],
            opened_ports: vec![],
            resolver: Some("10.152.183.10".into()),
            ipv6: false,
            tls: Default::default(),
            metrics: vec![],
            dashboards: vec![],
            probes: vec![],
            logging: vec![],
            self_charm_tracing: None,
            self_workload_tracing: None,
            unserved: vec![],
        }
    }

    fn traefik(pairs: &[(&str, &str)]) -> Option<Ingress> {
        Some(Ingress {
            relation: RelationId::new("ingress", 2),
            traefik: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        })
    }

    #[track_caller]
    fn check(i: &Inputs, status: StatusName, ingress_url: Option<&str>) {
        let plan = reconcile(i);
        assert_eq!(plan.unit_status.name, status, "{:?}", plan.unit_status);
        if i.leader {
            let (data, rels) = plan.tempo_api.expect("leader publishes");
            assert_eq!(rels, i.tempo_api);
            assert_eq!(
                data.http.ingress_url.as_ref().map(|u| u.as_str()),
                ingress_url
            );
        } else {
            assert!(
                plan.tempo_api.is_none() && plan.ingress.is_none() && plan.app_status.is_none()
            );
        }
    }

    #[test]
    fn ingress_table() {
        check(&inputs(true), StatusName::Active, None);
        check(&inputs(false), StatusName::Active, None);
        let mut i = inputs(true);
        i.ingress = traefik(&[]);
        check(&i, StatusName::Waiting, None);
        i.ingress = traefik(&[("scheme", "https"), ("external_host", "t.example")]);
        check(&i, StatusName::Active, Some("https://t.example:3200/"));
        let plan = reconcile(&i);
        assert!(plan
            .receivers
            .contains(&(ReceiverProtocol::OtlpHttp, "https://t.example:4318".into())));
        i.ingress = traefik(&[("scheme", "gopher"), ("external_host", "t.example")]);
        check(&i, StatusName::Blocked, None);
    }

    #[test]
    fn nothing_but_status_until_the_cluster_can_work() {
        for (change, message) in [
            (
                (|i: &mut Inputs| i.workers.clear()) as fn(&mut Inputs),
                "[consistency] Missing any worker relation.",
            ),
            (|i: &mut Inputs| i.s3 = None, "[s3] Missing S3 integration."),
            (
                |i: &mut Inputs| i.workers = vec![worker(10, "q", "querier")],
                "[consistency] Cluster inconsistent.",
            ),
        ] {
            let mut i = inputs(true);
            i.grafana_sources = vec![crate::grafana_source::GrafanaRelation {
                relation: RelationId::new("grafana-source", 40),
                reply: Ok(None),
            }];
            i.catalogue = vec![RelationId::new("catalogue", 60)];
            assert_eq!(reconcile(&i).app_bags.len(), 2, "offered once it can work");
            change(&mut i);
            let plan = reconcile(&i);
            assert_eq!(plan.unit_status, Status::blocked(message));
            assert_eq!(plan.app_status, Some(Status::blocked(message)));
            assert!(
                plan.tempo_api.is_none()
                    && plan.cluster.is_empty()
                    && plan.ports.is_none()
                    && plan.workload.is_none()
                    && plan.app_bags.is_empty()
            );
        }
    }

    #[test]
    fn split_roles_make_a_cluster_and_several_roles_per_app_count() {
        let mut i = inputs(true);
        i.workers = vec![
            worker(10, "a", "distributor,ingester"),
            worker(11, "b", "querier,query-frontend"),
            worker(12, "c", "compactor"),
        ];
        let plan = reconcile(&i);
        assert_eq!(plan.unit_status, Status::active(""));
        let ports: Vec<String> = plan
            .cluster
            .iter()
            .map(|(_, b)| b["worker_ports"].clone())
            .collect();
        assert_eq!(
            ports,
            ["[3200, 7946, 4318]", "[3200, 7946, 9096]", "[3200, 7946]"]
        );
        assert_eq!(plan.ports, Some([3200, 3300, 4318, 7946, 9096].into()));
    }

    #[test]
    fn unknown_role_is_skipped_not_fatal() {
        let mut i = inputs(true);
        i.workers.push(worker(11, "x", "nonsense-role"));
        let plan = reconcile(&i);
        assert_eq!(plan.unit_status.name, StatusName::Active);
        assert_eq!(plan.cluster.len(), 1, "only the valid worker is written to");
    }

    #[test]
    fn proxy_names_come_from_juju_not_from_the_units_word() {
        let mut i = inputs(true);
        // Two units both claiming to be `w/0`: each is proxied under its own name.
        let mut second = i.workers[0].units[0].clone();
        second.0 = "w/1".into();
        if let Ok(d) = &mut second.1 {
            d.address = "w-1.w-endpoints.cos.svc.cluster.local".into();
        }
        i.workers[0].units.push(second);
        let conf = reconcile(&i).workload.expect("workload").nginx_config;
        for unit in ["w-0", "w-1"] {
            assert_eq!(
                conf.matches(&format!("location = /proxy/worker/{unit}/metrics"))
                    .count(),
                1,
                "{unit}"
            );
        }
    }

    #[test]
    fn pod_fqdn_sets_the_host_and_the_peer_write() {
        let mut i = inputs(true);
        i.own_fqdn = Some("tempo-0.tempo-endpoints.cos.svc.k8s.internal".into());
        i.event = Event::UpgradeCharm;
        i.peers = Some(Peers {
            relation: RelationId::new("peers", 3),
            units: vec![],
            hostnames: vec![],
        });
        let plan = reconcile(&i);
        let (data, _) = plan.tempo_api.expect("publishes");
        assert_eq!(
            data.grpc.direct_url.as_str(),
            "http://tempo.cos.svc.k8s.internal:9096/"
        );
        let bag = &plan.unit_bags[&RelationId::new("peers", 3)];
        assert_eq!(
            bag["fqdn"],
            "\"tempo-0.tempo-endpoints.cos.svc.k8s.internal\""
        );
        assert_eq!(plan.app_version, Some(TEMPO_VERSION));
    }

    #[test]
    fn a_served_certificate_turns_https_on_everywhere_and_grants_the_key_once() {
        let mut i = inputs(true);
        let id: juju_charm::SecretId = "secret:cs3vu9f0000s75fi8hlg".parse().unwrap();
        i.tls = crate::tls::TlsInputs {
            relation: Some(RelationId::new("certificates", 3)),
            serving: Some(crate::tls::Serving {
                certificate: "CERT".into(),
                ca: "CA".into(),
                chain: vec![],
                private_key: "KEY".into(),
                key_secret_id: id.clone(),
            }),
            unit_bag: Some([("certificate_signing_requests".into(), "[]".into())].into()),
            key_granted_to: vec![],
            waiting: false,
        };
        let plan = reconcile(&i);
        let (data, _) = plan.tempo_api.clone().expect("publishes");
        assert_eq!(
            data.http.direct_url.as_str(),
            "https://tempo.cos.svc.cluster.local:3200/"
        );
        let bag = &plan.cluster[0].1;
        assert_eq!(bag["ca_cert"], "\"CA\"");
        assert_eq!(bag["server_cert"], "\"CERT\"");
        assert_eq!(bag["privkey_secret_id"], format!("\"{id}\""));
        assert!(bag["worker_config"].contains("http_tls_config"));
        assert_eq!(
            plan.secret_grants,
            vec![(id, RelationId::new("tempo-cluster", 10))]
        );
        assert!(plan
            .unit_bags
            .contains_key(&RelationId::new("certificates", 3)));
        let w = plan.workload.expect("workload");
        assert!(w.nginx_config.contains("ssl_protocols TLSv1.2 TLSv1.3;"));
        assert!(w.tls.is_some());
        // Granted already: no grant call; not leader: nothing published, TLS still served.
        i.tls.key_granted_to = vec!["w".into()];
        assert!(reconcile(&i).secret_grants.is_empty());
        i.leader = false;
        let plan = reconcile(&i);
        assert!(plan.cluster.is_empty() && plan.secret_grants.is_empty());
        assert!(plan
            .workload
            .expect("workload")
            .nginx_config
            .contains("listen 3200 ssl;"));
        // Without a certificate: plain http, no TLS keys.
        i.leader = true;
        i.tls.serving = None;
        let plan = reconcile(&i);
        // (an empty value: `relation-set` deletes the key a TLS hook wrote)
        assert_eq!(
            plan.cluster[0].1.get("ca_cert").map(String::as_str),
            Some("")
        );
        assert!(plan
            .workload
            .expect("workload")
            .nginx_config
            .contains("listen 3200;"));
    }
}
