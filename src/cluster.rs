//! The worker cluster, planned from the worker applications' databags (pure): which roles
//! are present and where their units are ([`cluster`]), the ports each worker opens
//! ([`worker_ports`]), the names of the remote-write proxies ([`remote_write_routes`]).

use std::collections::{BTreeMap, BTreeSet};

use charm_interfaces::grammar::HttpUrl;
use charm_interfaces::tempo_cluster::{
    cpython_set_order, ClusterProviderAppData, WorkerApp, WORKER_PORTS_KEY,
};
use charm_interfaces::tracing::ReceiverProtocol;
use juju_charm::{Databag, RelationId, SecretId};

use super::inputs::Inputs;
use super::tempo_config::{AddressesByRole, TempoRole, MEMBERLIST_PORT};
use super::urls::{receiver_port, TEMPO_GRPC_PORT, TEMPO_HTTP_PORT};

/// The cluster as the roles of the valid worker applications make it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cluster {
    /// Units per expanded role.
    pub role_units: BTreeMap<TempoRole, usize>,
    /// Worker addresses per expanded role.
    pub addresses: AddressesByRole,
    /// Every valid worker unit (its name as Juju reports it, address), relation by relation.
    pub topology: Vec<(String, String)>,
    /// The roles of each worker relation whose role is Tempo's.
    pub roles: BTreeMap<RelationId, Vec<TempoRole>>,
}

/// Reads the roles. A worker application whose role is not Tempo's is skipped with a warning
/// (the Python coordinator crashes on it).
pub fn cluster(i: &Inputs) -> Cluster {
    let mut c = Cluster::default();
    // Addresses per role gathered as lists and made sets once at the end (a set built from
    // a list sorts it once; inserting one by one searches the set for each of thousands).
    let mut addresses: BTreeMap<TempoRole, Vec<String>> = BTreeMap::new();
    for w in &i.workers {
        let Ok(role) = &w.role else { continue };
        let roles: Option<Vec<TempoRole>> = role.roles().map(TempoRole::parse).collect();
        let Some(roles) = roles else {
            tracing::warn!(relation = %w.relation, app = %w.app, "skipping worker application `{}`: role `{}` is not one of Tempo's (all, querier, query-frontend, ingester, distributor, compactor, metrics-generator)", w.app, juju_charm::context::truncate(&role.role, 60).escape_debug());
            continue;
        };
        let expanded: BTreeSet<TempoRole> = roles.iter().flat_map(|r| r.expand()).collect();
        c.roles.insert(w.relation.clone(), roles);
        for r in &expanded {
            *c.role_units.entry(*r).or_default() += w.units.len();
        }
        // Keys come from the unit's name as Juju reports it (relation-list), never from the
        // unit's own `juju_topology`.
        for (unit, u) in w
            .units
            .iter()
            .filter_map(|(n, d)| Some((n, d.as_ref().ok()?)))
        {
            for r in &expanded {
                addresses.entry(*r).or_default().push(u.address.clone());
            }
            c.topology.push((unit.clone(), u.address.clone()));
        }
    }
    c.addresses = addresses
        .into_iter()
        .map(|(r, list)| (r, list.into_iter().collect()))
        .collect();
    c
}

/// The ports a worker of these roles opens, in the order the Python coordinator writes them.
pub fn worker_ports(roles: &[TempoRole], receivers: &[ReceiverProtocol]) -> Vec<u16> {
    let mut ports = vec![MEMBERLIST_PORT, TEMPO_HTTP_PORT];
    if roles
        .iter()
        .any(|r| matches!(r, TempoRole::All | TempoRole::Distributor))
    {
        ports.extend(receivers.iter().map(|p| receiver_port(*p)));
    }
    if roles
        .iter()
        .any(|r| matches!(r, TempoRole::All | TempoRole::QueryFrontend))
    {
        ports.push(TEMPO_GRPC_PORT);
    }
    cpython_set_order(&ports)
}

/// What the leader writes to the workers, from [`worker_databags`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct WorkerOffers {
    /// Each ready worker relation's `tempo-cluster` databag.
    pub bags: Vec<(RelationId, Databag)>,
    /// The TLS key's secret, to grant on these relations.
    pub grants: Vec<(SecretId, RelationId)>,
}

/// The `tempo-cluster` databag of each ready worker application: `offer` with the ports its
/// roles open (given the enabled `receivers`); and, while TLS is on (`tls_key`), a grant of
/// the key's secret to each worker relation whose application is not in `granted` yet.
pub fn worker_databags(
    workers: &[WorkerApp],
    c: &Cluster,
    offer: &ClusterProviderAppData,
    receivers: &[ReceiverProtocol],
    tls_key: Option<&SecretId>,
    granted: &[String],
) -> WorkerOffers {
    let mut out = WorkerOffers::default();
    // Encoded once (the Tempo config and the certificates are most of it), the ports added
    // per worker.
    let shared = offer.to_databag();
    for w in workers.iter().filter(|w| w.ready()) {
        let Some(roles) = c.roles.get(&w.relation) else {
            continue;
        };
        let mut bag = shared.clone();
        bag.insert(
            WORKER_PORTS_KEY.to_owned(),
            ClusterProviderAppData::worker_ports_value(&worker_ports(roles, receivers)),
        );
        out.bags.push((w.relation.clone(), bag));
        if let Some(key) = tls_key.filter(|_| !granted.contains(&w.app)) {
            out.grants.push((key.clone(), w.relation.clone()));
        }
    }
    out
}

/// A remote-write URL routed through the worker-telemetry proxy: its key names the nginx
/// upstream (`worker-telemetry-proxy-<key>`) and the location
/// (`/proxy/remote-write/<key>/write`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteWriteRoute {
    /// `[a-z0-9-]` only: the host's first DNS label (or the IP with dashes), as the Python
    /// coordinator names it, with `-<fingerprint of the URL>` added when two URLs (or a
    /// worker unit's proxy) would share it.
    pub key: String,
    /// The URL (normalised).
    pub url: HttpUrl,
}

/// FNV-1a of `s`, 32 bits, as 8 hex digits: a short name suffix that depends on `s` alone.
fn fingerprint(s: &str) -> String {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("{h:08x}")
}

/// A key per remote-write URL, unique among them and among `taken` (the worker units' proxy
/// names), stable: it depends on the set of URLs, not their order.
pub fn remote_write_routes(urls: &[HttpUrl], taken: &BTreeSet<String>) -> Vec<RemoteWriteRoute> {
    let mut by_label: BTreeMap<String, usize> = BTreeMap::new();
    // In the order of their text, as the Python coordinator sorts the URLs.
    let mut distinct: Vec<&HttpUrl> = urls.iter().collect();
    distinct.sort_by_cached_key(|u| u.to_string());
    distinct.dedup();
    for u in &distinct {
        *by_label.entry(u.host().label()).or_default() += 1;
    }
    distinct
        .into_iter()
        .map(|u| {
            let label = u.host().label();
            let key = if by_label.get(&label) == Some(&1) && !taken.contains(&label) {
                label
            } else {
                format!("{label}-{}", fingerprint(&u.to_string()))
            };
            RemoteWriteRoute {
                key,
                url: u.clone(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use charm_interfaces::tempo_cluster::{
        ClusterRequirerAppData, ClusterRequirerUnitData, ReadError, Topology,
    };

    fn worker(id: u32, app: &str, role: &str, valid: bool) -> WorkerApp {
        let unit = format!("{app}/0");
        let data = if valid {
            Ok(ClusterRequirerUnitData {
                address: format!("{app}-0.{app}-endpoints.cos.svc.cluster.local"),
                juju_topology: Topology {
                    application: app.into(),
                    unit: unit.clone(),
                    charm_name: "tempo-worker-k8s".into(),
                },
            })
        } else {
            Err(ReadError::Missing("address"))
        };
        WorkerApp {
            relation: RelationId::new("tempo-cluster", id),
            app: app.into(),
            role: Ok(ClusterRequirerAppData { role: role.into() }),
            units: vec![(unit, data)],
        }
    }

    #[test]
    fn each_ready_worker_gets_the_offer_with_its_ports_and_the_key_once() {
        let workers = [
            worker(1, "write", "distributor", true),
            worker(2, "read", "query-frontend", true),
            worker(3, "broken", "all", false),
        ];
        let mut i = crate::reconcile::tests::inputs(true);
        i.workers = workers.to_vec();
        let c = cluster(&i);
        let offer = ClusterProviderAppData {
            worker_config: "x: 1\n".into(),
            ..ClusterProviderAppData::default()
        };
        let key: SecretId = "secret:d0a1b2c3d4e5f6g7h8i9".parse().expect("a secret id");
        let out = worker_databags(
            &workers,
            &c,
            &offer,
            &[ReceiverProtocol::OtlpGrpc],
            Some(&key),
            &["read".to_owned()],
        );
        // The worker whose unit data is bad is not ready: nothing for it.
        let ids: Vec<u32> = out.bags.iter().map(|(r, _)| r.id).collect();
        assert_eq!(ids, [1, 2]);
        // The ports its roles open (their order is CPython's set order, which the recorded
        // states check).
        let ports = |bag: &Databag| {
            let mut p: Vec<u16> = serde_json::from_str(&bag["worker_ports"]).expect("a list");
            p.sort_unstable();
            p
        };
        assert_eq!(ports(&out.bags[0].1), [3200, 4317, 7946]);
        assert_eq!(ports(&out.bags[1].1), [3200, 7946, 9096]);
        assert!(out
            .bags
            .iter()
            .all(|(_, b)| b["worker_config"] == "\"x: 1\\n\""));
        // Each bag is what the offer with that worker's ports writes.
        for (bag, roles) in out
            .bags
            .iter()
            .map(|(_, b)| b)
            .zip([[TempoRole::Distributor], [TempoRole::QueryFrontend]])
        {
            let whole = ClusterProviderAppData {
                worker_ports: Some(worker_ports(&roles, &[ReceiverProtocol::OtlpGrpc])),
                ..offer.clone()
            };
            assert_eq!(*bag, whole.to_databag());
        }
        // `read` holds the grant already.
        assert_eq!(out.grants, [(key, RelationId::new("tempo-cluster", 1))]);
    }

    #[test]
    fn colliding_remote_write_hosts_get_unique_stable_names() {
        let url = |s: &str| s.parse::<HttpUrl>().unwrap();
        let taken: BTreeSet<String> = ["w-0".to_owned()].into();
        let urls = [
            url("http://prom-0.a.svc:9090/api/v1/write"),
            url("http://prom-0.b.svc:9090/api/v1/write"),
            url("http://w-0.c.svc:9090/api/v1/write"),
            url("http://other.svc:9090/api/v1/write"),
            url("http://prom-0.a.svc:9090/api/v1/write"),
        ];
        let routes = remote_write_routes(&urls, &taken);
        let keys: Vec<&str> = routes.iter().map(|r| r.key.as_str()).collect();
        assert_eq!(keys.len(), 4, "one per distinct URL: {keys:?}");
        assert!(
            keys.contains(&"other"),
            "no collision keeps Python's name: {keys:?}"
        );
        let unique: BTreeSet<&str> = keys.iter().copied().collect();
        assert_eq!(unique.len(), 4, "{keys:?}");
        assert!(
            !keys.contains(&"w-0") && !keys.contains(&"prom-0"),
            "{keys:?}"
        );
        // Stable: the order of the input does not change any name.
        let mut reversed = urls.to_vec();
        reversed.reverse();
        assert_eq!(remote_write_routes(&reversed, &taken), routes);
        assert!(keys
            .iter()
            .all(|k| k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')));
    }
}
