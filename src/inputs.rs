//! Everything the reconciler needs, read with the fewest hook-tool calls.
//!
//! Each input is read at most once per hook, and only where it can matter: Traefik's data
//! and the peers' FQDNs are read by the leader alone, and only when an ingress is related.

use std::collections::BTreeSet;

use charm_interfaces::grammar::{DnsName, HttpUrl};
use charm_interfaces::loki_push_api::LokiPushApiProviderUnitData;
use charm_interfaces::s3::{S3ConnectionInfo, S3Error};
use charm_interfaces::tempo_cluster::{ClusterRequirerAppData, ClusterRequirerUnitData, WorkerApp};
use charm_interfaces::tracing::{
    ReadError, ReceiverProtocol, TracingProviderAppData, TracingRequirerAppData,
};
use charm_interfaces::{pyjson, tempo_cluster};

use crate::datasource_exchange::{self, ExchangeRelation};
use crate::grafana_source::{self, GrafanaRelation};
use juju_charm::{
    Context, Databag, ErrorKind, Event, HookToolError, HookTools, Port, RelationEventKind,
    RelationId, Runner, UnitName,
};

/// The tempo-api endpoint.
pub const TEMPO_API: &str = "tempo-api";
/// The traefik_route endpoint.
pub const INGRESS: &str = "ingress";
/// The peer endpoint.
pub const PEERS: &str = "peers";
/// The worker cluster endpoint.
pub const CLUSTER: &str = tempo_cluster::DEFAULT_RELATION_NAME;
/// The object storage endpoint.
pub const S3: &str = "s3";
/// The tracing endpoint.
pub const TRACING: &str = "tracing";
/// Prometheus remote-write (for the metrics-generator).
pub const REMOTE_WRITE: &str = "send-remote-write";
/// Largest remote-write URL read.
const MAX_URL: usize = 2048;

/// The key each unit writes its FQDN under in its peer databag (as the Python coordinator does).
pub const PEER_FQDN_KEY: &str = "fqdn";
/// The key each unit writes its raw FQDN under in its peer databag (as coordinated-workers does).
pub const PEER_HOSTNAME_KEY: &str = "hostname";
/// Prometheus scrapes us over this endpoint (prometheus_scrape).
pub const METRICS: &str = "metrics-endpoint";
/// Grafana takes our dashboards over this endpoint (grafana_dashboard).
pub const DASHBOARDS: &str = "grafana-dashboard";
/// The blackbox exporter probes us over this endpoint (blackbox_probes).
pub const PROBES: &str = "probes";

/// The ingress relation, as the leader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ingress {
    /// The relation.
    pub relation: RelationId,
    /// Traefik's application databag (empty until Traefik writes, or when not read).
    pub traefik: Databag,
}

/// The peer relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Peers {
    /// The relation.
    pub relation: RelationId,
    /// The other units and the FQDN each wrote, if it did (read only when needed).
    pub units: Vec<(UnitName, Option<String>)>,
    /// The other units and the `hostname` each wrote, when valid, in unit order (read by the
    /// leader when Prometheus is related: each unit's exporter is scraped there).
    pub hostnames: Vec<(UnitName, String)>,
}

/// The charm's own config, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `retention-period`, hours.
    pub retention_hours: i64,
    /// Receivers switched on by `always_enable_<protocol>`.
    pub always_enable: BTreeSet<ReceiverProtocol>,
    /// Deprecated options that are set (`cpu_limit`, `memory_limit`).
    pub deprecated_set: Vec<&'static str>,
    /// Options whose value is outside what their consumer accepts: while any is, nothing is
    /// pushed (the workers and nginx keep their last configuration; falling back to a
    /// default could, for `retention-period`, have the compactor delete data).
    pub invalid: Vec<&'static str>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            retention_hours: 720,
            always_enable: BTreeSet::new(),
            deprecated_set: Vec::new(),
            invalid: Vec::new(),
        }
    }
}

/// The largest `retention-period`: Tempo parses it as a Go `time.Duration` (`720h`), whose
/// maximum is 2^63-1 ns, 2,562,047 whole hours.
pub const MAX_RETENTION_HOURS: i64 = i64::MAX / 3_600_000_000_000;

/// Whether `s` is a Kubernetes resource quantity (`500m`, `1.5`, `2Gi`, `1e3`): a
/// non-negative decimal number and an optional suffix (binary `Ki`..`Ei`, decimal
/// `n u m k M G T P E`, or an exponent `e`/`E` with an optional sign).
pub fn is_k8s_quantity(s: &str) -> bool {
    let s = s.strip_prefix('+').unwrap_or(s);
    let num_len = s
        .bytes()
        .take_while(|b| b.is_ascii_digit() || *b == b'.')
        .count();
    let (num, suffix) = s.split_at(num_len);
    let number_ok = match num.split_once('.') {
        None => !num.is_empty(),
        Some((a, b)) => {
            !b.contains('.')
                && (!a.is_empty() || !b.is_empty())
                && a.bytes().chain(b.bytes()).all(|c| c.is_ascii_digit())
        }
    };
    let suffix_ok = matches!(
        suffix,
        "" | "Ki"
            | "Mi"
            | "Gi"
            | "Ti"
            | "Pi"
            | "Ei"
            | "n"
            | "u"
            | "m"
            | "k"
            | "M"
            | "G"
            | "T"
            | "P"
            | "E"
    ) || suffix
        .strip_prefix(['e', 'E'])
        .map(|e| e.strip_prefix(['+', '-']).unwrap_or(e))
        .is_some_and(|e| !e.is_empty() && e.len() <= 3 && e.bytes().all(|c| c.is_ascii_digit()));
    number_ok && suffix_ok && s.len() <= 64
}

/// Reads the options this charm acts on, each checked against what its consumer accepts;
/// each problem says how to fix it (`juju config`).
pub fn parse_config(config: &serde_json::Map<String, serde_json::Value>) -> (Config, Vec<String>) {
    let mut c = Config::default();
    let mut problems = Vec::new();
    let shown = |v: &serde_json::Value| {
        juju_charm::context::truncate(&v.to_string(), 40)
            .escape_debug()
            .to_string()
    };
    match config.get("retention-period") {
        None | Some(serde_json::Value::Null) => {}
        Some(v) => match v.as_i64().filter(|h| (1..=MAX_RETENTION_HOURS).contains(h)) {
            Some(h) => c.retention_hours = h,
            None => {
                c.invalid.push("retention-period");
                problems.push(format!(
                    "retention-period must be a whole number of hours from 1 to {MAX_RETENTION_HOURS} (Tempo's longest duration), got `{}`; run `juju config <app> retention-period=720`",
                    shown(v)
                ));
            }
        },
    }
    for p in ReceiverProtocol::ALL {
        let key = format!("always_enable_{p}");
        match config.get(&key) {
            None | Some(serde_json::Value::Null) | Some(serde_json::Value::Bool(false)) => {}
            Some(serde_json::Value::Bool(true)) => {
                c.always_enable.insert(p);
            }
            Some(v) => {
                c.invalid.push("always_enable_*");
                problems.push(format!(
                    "{key} must be true or false, got `{}`; run `juju config <app> {key}=false`",
                    shown(v)
                ));
            }
        }
    }
    for k in ["cpu_limit", "memory_limit"] {
        match config.get(k) {
            None | Some(serde_json::Value::Null) => {}
            Some(serde_json::Value::String(v)) if v.is_empty() => {}
            Some(serde_json::Value::String(v)) if is_k8s_quantity(v) => c.deprecated_set.push(k),
            Some(v) => {
                c.invalid.push(k);
                problems.push(format!(
                    "{k} must be a Kubernetes quantity (`500m`, `2Gi`), got `{}`; it is deprecated and ignored: run `juju config <app> --reset {k}`",
                    shown(v)
                ));
            }
        }
    }
    (c, problems)
}

/// One tracing requirer and what it asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracingRequirer {
    /// The relation.
    pub relation: RelationId,
    /// Its request, or why it is not valid.
    pub request: Result<TracingRequirerAppData, ReadError>,
}

/// The S3 relation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Relation {
    /// The relation.
    pub relation: RelationId,
    /// The provider's data, validated.
    pub info: Result<S3ConnectionInfo, S3Error>,
}

/// What the reconciler decides from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inputs {
    /// Our application.
    pub app: String,
    /// The model (namespace).
    pub model: String,
    /// The model's uuid (`JUJU_MODEL_UUID`).
    pub model_uuid: String,
    /// This unit.
    pub unit: UnitName,
    /// This pod's FQDN when it is a Kubernetes one.
    pub own_fqdn: Option<String>,
    /// The event being handled.
    pub event: Event,
    /// A problem with the charm's config, reported as blocked.
    pub config_problem: Option<String>,
    /// Whether this unit is the leader.
    pub leader: bool,
    /// The tempo-api relations (without one being broken in this hook).
    pub tempo_api: Vec<RelationId>,
    /// The ingress relation, if any.
    pub ingress: Option<Ingress>,
    /// The peer relation, if it exists.
    pub peers: Option<Peers>,
    /// The charm's config.
    pub config: Config,
    /// The S3 relation, if any (limit 1).
    pub s3: Option<S3Relation>,
    /// The worker applications, by relation id.
    pub workers: Vec<WorkerApp>,
    /// The tracing requirers and what each asks for.
    pub tracing: Vec<TracingRequirer>,
    /// Remote-write URLs from Prometheus units, normalised, sorted and deduplicated.
    pub remote_write: Vec<HttpUrl>,
    /// The applications on send-remote-write that have units.
    pub remote_write_apps: BTreeSet<String>,
    /// The send-remote-write relations.
    pub remote_write_relations: Vec<RelationId>,
    /// grafana-source relations and Grafana's replies (read by the leader only).
    pub grafana_sources: Vec<GrafanaRelation>,
    /// receive-datasource relations and their datasources (read by the leader only).
    pub datasource_exchange: Vec<ExchangeRelation>,
    /// catalogue relations (listed by the leader only).
    pub catalogue: Vec<RelationId>,
    /// The ports opened now.
    pub opened_ports: Vec<Port>,
    /// This pod's DNS server (`/etc/resolv.conf`).
    pub resolver: Option<String>,
    /// Whether the pod has IPv6.
    pub ipv6: bool,
    /// The certificates requirer's state ([`crate::tls::prepare`] fills it after [`read`]).
    pub tls: crate::tls::TlsInputs,
    /// The metrics-endpoint relations (every unit writes its address there).
    pub metrics: Vec<RelationId>,
    /// The grafana-dashboard relations (read by the leader only).
    pub dashboards: Vec<RelationId>,
    /// The probes relations (read by the leader only).
    pub probes: Vec<RelationId>,
    /// The logging relations and their Loki units' push URLs.
    pub logging: Vec<crate::logging::LokiRelation>,
    /// The self-charm-tracing relation and the remote's receivers.
    pub self_charm_tracing: Option<crate::self_tracing::TracingRemote>,
    /// The self-workload-tracing relation and the remote's receivers.
    pub self_workload_tracing: Option<crate::self_tracing::TracingRemote>,
    /// The declared-but-unserved endpoints that are related ([`crate::unserved`]).
    pub unserved: Vec<&'static str>,
}

/// Whether this event is one where the unit (re)writes its FQDN to the peer databag.
pub fn writes_peer_fqdn(event: &Event) -> bool {
    match event {
        Event::Relation(r) => {
            r.relation.endpoint == PEERS
                && matches!(
                    r.kind,
                    RelationEventKind::Created | RelationEventKind::Joined
                )
        }
        Event::UpgradeCharm => true,
        _ => false,
    }
}

/// Whether this event is one where the unit (re)writes its `hostname` to the peer databag:
/// every event coordinated-workers reconciles on, but update-status (the hostname of a
/// unit's pod never changes between two hooks; the write would be a call for nothing).
pub fn writes_peer_hostname(event: &Event) -> bool {
    !matches!(event, Event::UpdateStatus | Event::Action { .. })
}

/// The relation being broken in this hook, which must not be used any more.
pub(crate) fn broken(event: &Event) -> Option<&RelationId> {
    event
        .relation()
        .filter(|r| r.kind == RelationEventKind::Broken)
        .map(|r| &r.relation)
}

/// A relation that vanished mid-hook: Juju says "relation not found" or "permission denied".
fn gone(e: &HookToolError) -> bool {
    matches!(
        e.kind(),
        ErrorKind::RelationNotFound | ErrorKind::PermissionDenied
    )
}

/// A read on a relation that may vanish mid-hook: `Ok(None)` when it did.
pub(crate) fn unless_gone<T>(read: Result<T, HookToolError>) -> Result<Option<T>, HookToolError> {
    match read {
        Ok(v) => Ok(Some(v)),
        Err(e) if gone(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The remote units of `relation` without the one departing in this hook, in unit order.
fn remote_units<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    relation: &RelationId,
) -> Result<Vec<UnitName>, HookToolError> {
    let departing = ctx.event.relation().and_then(|r| r.departing_unit.as_ref());
    let mut units: Vec<UnitName> = tools
        .relation_list(relation)?
        .into_iter()
        .filter(|u| Some(u) != departing)
        .collect();
    units.sort_by_key(|u| u.number());
    Ok(units)
}

/// The JSON-quoted FQDN a peer wrote (cosl's DatabagModel writes `json.dumps(value)`);
/// a bare string is accepted too. A [`DnsName`], normalised; anything else is ignored.
pub fn parse_peer_fqdn(bag: &Databag) -> Option<String> {
    let raw = bag.get(PEER_FQDN_KEY)?;
    if raw.len() > 300 {
        return None;
    }
    let fqdn = serde_json::from_str::<String>(raw).unwrap_or_else(|_| raw.clone());
    fqdn.parse::<DnsName>().ok().map(|d| d.to_string())
}

/// The raw `hostname` a peer wrote (coordinated-workers writes `socket.getfqdn()` as is): a
/// DNS name of letters, digits, `.` and `-`, at most 253 bytes; anything else is ignored.
pub fn parse_peer_hostname(bag: &Databag) -> Option<String> {
    let h = bag.get(PEER_HOSTNAME_KEY)?;
    let ok = !h.is_empty()
        && h.len() <= 253
        && !h.starts_with(['.', '-'])
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    ok.then(|| h.clone())
}

/// The peer databag value for our FQDN.
pub fn peer_fqdn_value(fqdn: &str) -> String {
    let mut s = String::new();
    pyjson::push_str(&mut s, fqdn);
    s
}

/// Reads the inputs. Tool failures other than a relation vanishing mid-hook are errors.
pub fn read<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    host: &dyn crate::Host,
    config: Config,
    config_problem: Option<String>,
) -> Result<Inputs, HookToolError> {
    let own_fqdn = host.fqdn();
    let leader = tools.is_leader()?;
    let broken = broken(&ctx.event);
    let live = |ids: Vec<RelationId>| -> Vec<RelationId> {
        ids.into_iter().filter(|r| Some(r) != broken).collect()
    };

    let tempo_api = live(tools.relation_ids(TEMPO_API)?);
    let ingress_rel = live(tools.relation_ids(INGRESS)?).into_iter().next();
    let metrics = live(tools.relation_ids(METRICS)?);
    let (dashboards, probes) = if leader {
        (
            live(tools.relation_ids(DASHBOARDS)?),
            live(tools.relation_ids(PROBES)?),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // The peers' hostnames are scraped (their exporters) by the leader's metrics jobs.
    let peer_hostnames = leader && !metrics.is_empty();
    let need_peers = writes_peer_fqdn(&ctx.event)
        || writes_peer_hostname(&ctx.event)
        || (leader && ingress_rel.is_some())
        || peer_hostnames;
    let peer_rel = if need_peers {
        live(tools.relation_ids(PEERS)?).into_iter().next()
    } else {
        None
    };

    let mut ingress = None;
    // Non-leaders read Traefik's address only to give Prometheus the external host.
    if let (true, Some(relation)) = (leader || !metrics.is_empty(), ingress_rel) {
        match unless_gone(read_remote_app_bag(ctx, tools, &relation))? {
            Some(traefik) => ingress = Some(Ingress { relation, traefik }),
            None => {
                tracing::warn!(relation = %relation, "the ingress relation vanished during the hook; ignoring it")
            }
        }
    }

    let mut peers = None;
    if let Some(relation) = peer_rel {
        let mut units = Vec::new();
        let mut hostnames = Vec::new();
        if leader && (ingress.is_some() || peer_hostnames) {
            for unit in unless_gone(remote_units(ctx, tools, &relation))?.unwrap_or_default() {
                let bag = unless_gone(tools.relation_get_unit(&relation, &unit))?;
                let fqdn = bag.as_ref().and_then(parse_peer_fqdn);
                if let Some(h) = bag.as_ref().and_then(parse_peer_hostname) {
                    hostnames.push((unit.clone(), h));
                }
                units.push((unit, fqdn));
            }
        }
        peers = Some(Peers {
            relation,
            units,
            hostnames,
        });
    }

    let s3 = match live(tools.relation_ids(S3)?).into_iter().next() {
        None => None,
        Some(relation) => {
            unless_gone(read_remote_app_bag(ctx, tools, &relation))?.map(|bag| S3Relation {
                info: S3ConnectionInfo::from_databag(&bag),
                relation,
            })
        }
    };
    let mut workers = Vec::new();
    for relation in live(tools.relation_ids(CLUSTER)?) {
        workers.extend(unless_gone(read_worker(ctx, tools, &relation))?.flatten());
    }
    // Every unit reads the requests: its nginx serves, and it opens, the requested receivers.
    let mut tracing = Vec::new();
    for relation in live(tools.relation_ids(TRACING)?) {
        if let Some(bag) = unless_gone(read_remote_app_bag(ctx, tools, &relation))? {
            tracing.push(TracingRequirer {
                request: TracingRequirerAppData::from_databag(&bag),
                relation,
            });
        }
    }
    let mut remote_write = Vec::new();
    let mut remote_write_apps = BTreeSet::new();
    let remote_write_relations = live(tools.relation_ids(REMOTE_WRITE)?);
    for relation in &remote_write_relations {
        let units = unless_gone(remote_units(ctx, tools, relation))?.unwrap_or_default();
        remote_write_apps.extend(units.first().map(|u| u.app().to_owned()));
        for unit in units {
            let Some(bag) = unless_gone(tools.relation_get_unit(relation, &unit))? else {
                continue;
            };
            match parse_remote_write(&bag) {
                Some(Ok(url)) => remote_write.push(url),
                Some(Err(why)) => {
                    tracing::warn!(relation = %relation, unit = %unit, "ignoring the remote_write of {unit}: it {why}");
                }
                None => {}
            }
        }
    }
    remote_write.sort();
    remote_write.dedup();

    // Grafana's replies, Loki's and Mimir's datasources and the catalogue matter to the
    // leader alone: units write nothing there.
    let (mut grafana_sources, mut datasource_exchange, mut catalogue) =
        (Vec::new(), Vec::new(), Vec::new());
    if leader {
        for relation in live(tools.relation_ids(grafana_source::ENDPOINT)?) {
            let known = ctx.event.remote_app_on(&relation);
            match unless_gone(tools.remote_app_databag(&relation, known))? {
                Some(Some((app, bag))) => {
                    grafana_sources.push(GrafanaRelation::read(relation, &app, &bag))
                }
                Some(None) => grafana_sources.push(GrafanaRelation {
                    relation,
                    reply: Ok(None),
                }),
                None => {}
            }
        }
        for relation in live(tools.relation_ids(datasource_exchange::ENDPOINT)?) {
            let known = ctx.event.remote_app_on(&relation);
            if let Some(Some((app, bag))) = unless_gone(tools.remote_app_databag(&relation, known))?
            {
                datasource_exchange.push(ExchangeRelation::read(relation, app, &bag));
            }
        }
        catalogue = live(tools.relation_ids(crate::catalogue::ENDPOINT)?);
    }

    // Every unit forwards its logs and runs the telemetry proxy, so every unit reads these.
    let mut logging = Vec::new();
    for relation in live(tools.relation_ids(crate::logging::LOGGING)?) {
        let Some(units) = unless_gone(remote_units(ctx, tools, &relation))? else {
            continue;
        };
        let mut read = Vec::with_capacity(units.len());
        for unit in units {
            if let Some(bag) = unless_gone(tools.relation_get_unit(&relation, &unit))? {
                read.push((unit, LokiPushApiProviderUnitData::from_databag(&bag)));
            }
        }
        logging.push(crate::logging::LokiRelation {
            relation,
            units: read,
        });
    }
    let mut self_tracing = [None, None];
    for (slot, endpoint) in self_tracing.iter_mut().zip([
        crate::self_tracing::SELF_CHARM_TRACING,
        crate::self_tracing::SELF_WORKLOAD_TRACING,
    ]) {
        if let Some(relation) = live(tools.relation_ids(endpoint)?).into_iter().next() {
            if let Some(bag) = unless_gone(read_remote_app_bag(ctx, tools, &relation))? {
                let provider = if bag.contains_key(charm_interfaces::tracing::RECEIVERS_KEY) {
                    TracingProviderAppData::from_databag(&bag).map(Some)
                } else {
                    Ok(None)
                };
                *slot = Some(crate::self_tracing::TracingRemote { relation, provider });
            }
        }
    }
    let [self_charm_tracing, self_workload_tracing] = self_tracing;
    let mut unserved = Vec::new();
    for (endpoint, _) in crate::unserved::UNSERVED {
        if !live(tools.relation_ids(endpoint)?).is_empty() {
            unserved.push(endpoint);
        }
    }
    let opened_ports = tools.opened_ports()?;

    Ok(Inputs {
        logging,
        self_charm_tracing,
        self_workload_tracing,
        config,
        s3,
        workers,
        tracing,
        remote_write,
        remote_write_apps,
        remote_write_relations,
        grafana_sources,
        datasource_exchange,
        catalogue,
        opened_ports,
        resolver: host.resolver(),
        ipv6: host.ipv6(),
        unserved,
        app: ctx.app().to_owned(),
        model: ctx.model_name.clone(),
        model_uuid: ctx.model_uuid.clone(),
        unit: ctx.unit.clone(),
        own_fqdn,
        event: ctx.event.clone(),
        config_problem,
        leader,
        tempo_api,
        ingress,
        peers,
        tls: crate::tls::TlsInputs::default(),
        metrics,
        dashboards,
        probes,
    })
}

/// A Prometheus unit's `remote_write`: `{"url": "http(s)://host[:port][/path]"}`, bounded,
/// in the strict URL grammar ([`HttpUrl`]: no user info, query or fragment, a path of safe
/// characters), normalised. `Err` says what is wrong without quoting it.
pub fn parse_remote_write(bag: &Databag) -> Option<Result<HttpUrl, String>> {
    let raw = bag.get("remote_write")?;
    if raw.len() > MAX_URL {
        return Some(Err(format!("is longer than {MAX_URL} bytes")));
    }
    let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) else {
        return Some(Err("is not JSON".into()));
    };
    let Some(url) = v.get("url").and_then(|u| u.as_str()) else {
        return Some(Err("is not {\"url\": \"...\"}".into()));
    };
    Some(
        url.parse::<HttpUrl>()
            .map_err(|e| format!("has a url that {e}")),
    )
}

/// One worker application: its role and each unit's data. Units are read in unit order;
/// the app's name comes from its units (or `relation-list --app` when it has none).
fn read_worker<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    relation: &RelationId,
) -> Result<Option<WorkerApp>, HookToolError> {
    let units = remote_units(ctx, tools, relation)?;
    let app = match units.first() {
        Some(u) => u.app().to_owned(),
        None => tools.remote_app(relation, ctx.event.remote_app_on(relation))?,
    };
    if app.is_empty() {
        return Ok(None);
    }
    let role = ClusterRequirerAppData::from_databag(&tools.relation_get_app(relation, &app)?);
    if let Err(e) = &role {
        tracing::warn!(relation = %relation, app = %app, "worker application has no valid role yet: {e}");
    }
    let mut data = Vec::with_capacity(units.len());
    for unit in units {
        let d = ClusterRequirerUnitData::from_databag(&tools.relation_get_unit(relation, &unit)?);
        if let Err(e) = &d {
            tracing::warn!(relation = %relation, unit = %unit, "skipping a worker unit with invalid data: {e}");
        }
        data.push((unit.to_string(), d));
    }
    Ok(Some(WorkerApp {
        relation: relation.clone(),
        app,
        role,
        units: data,
    }))
}

/// The remote app's databag (empty while Juju does not know the app yet); its name from
/// `JUJU_REMOTE_APP` when the hook is on this relation.
fn read_remote_app_bag<R: Runner>(
    ctx: &Context,
    tools: &HookTools<R>,
    relation: &RelationId,
) -> Result<Databag, HookToolError> {
    let known = ctx.event.remote_app_on(relation);
    Ok(tools
        .remote_app_databag(relation, known)?
        .map(|(_, bag)| bag)
        .unwrap_or_default())
}

/// This pod's FQDN, as Python's `socket.getfqdn()` finds it: the hostname looked up in
/// `/etc/hosts`. `None` when it is not there (not on Kubernetes). Reads two small files.
pub fn host_fqdn() -> Option<String> {
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .or_else(|_| std::fs::read_to_string("/etc/hostname"))
        .ok()?;
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    super::urls::fqdn_from_hosts(&hostname, &hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_is_checked_against_its_consumers() {
        let parse = |pairs: serde_json::Value| {
            let serde_json::Value::Object(m) = pairs else {
                unreachable!()
            };
            parse_config(&m)
        };
        let (c, p) = parse(
            serde_json::json!({"retention-period": 2562047, "cpu_limit": "500m", "memory_limit": "1.5Gi", "always_enable_zipkin": true}),
        );
        assert!(p.is_empty() && c.invalid.is_empty(), "{p:?}");
        assert_eq!(c.retention_hours, 2_562_047);
        assert_eq!(c.deprecated_set, ["cpu_limit", "memory_limit"]);
        assert!(c.always_enable.contains(&ReceiverProtocol::Zipkin));
        for (bad, option) in [
            (
                serde_json::json!({"retention-period": 0}),
                "retention-period",
            ),
            (
                serde_json::json!({"retention-period": -5}),
                "retention-period",
            ),
            (
                serde_json::json!({"retention-period": 2562048}),
                "retention-period",
            ),
            (
                serde_json::json!({"retention-period": "720h"}),
                "retention-period",
            ),
            (
                serde_json::json!({"always_enable_zipkin": "yes"}),
                "always_enable_*",
            ),
            (serde_json::json!({"cpu_limit": "1 core"}), "cpu_limit"),
            (serde_json::json!({"memory_limit": "-1Gi"}), "memory_limit"),
            (serde_json::json!({"memory_limit": "1GB"}), "memory_limit"),
        ] {
            let (c, p) = parse(bad.clone());
            assert_eq!(c.invalid, [option], "{bad}");
            assert!(p[0].contains("juju config"), "{p:?}");
        }
        for ok in ["1", "0.5", ".5", "100m", "1e3", "2E-2", "64Ki", "+1"] {
            assert!(is_k8s_quantity(ok), "{ok}");
        }
        for bad in ["", "m", "1..2", "1mi", "1 Gi", "1e", "0x10", "1.2.3"] {
            assert!(!is_k8s_quantity(bad), "{bad}");
        }
    }

    #[test]
    fn peer_fqdn_round_trip_and_bounds() {
        let bag: Databag = [(
            PEER_FQDN_KEY.to_owned(),
            peer_fqdn_value("tempo-1.tempo-endpoints.cos.svc.cluster.local"),
        )]
        .into();
        assert_eq!(
            bag[PEER_FQDN_KEY],
            "\"tempo-1.tempo-endpoints.cos.svc.cluster.local\""
        );
        assert_eq!(
            parse_peer_fqdn(&bag).as_deref(),
            Some("tempo-1.tempo-endpoints.cos.svc.cluster.local")
        );
        for bad in ["\"a b\"", "\"$(rm -rf /)\"", "\"\"", &"a".repeat(400)] {
            let bag: Databag = [(PEER_FQDN_KEY.to_owned(), bad.to_owned())].into();
            assert_eq!(parse_peer_fqdn(&bag), None, "{bad}");
        }
        let bare: Databag = [(PEER_FQDN_KEY.to_owned(), "host.example".to_owned())].into();
        assert_eq!(parse_peer_fqdn(&bare).as_deref(), Some("host.example"));
    }
}
