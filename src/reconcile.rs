//! The reconciler: `Inputs -> Plan`, pure and total. No I/O, no errors: every problem with
//! the inputs becomes a status in the plan.

use super::inputs::{peer_fqdn_value, writes_peer_fqdn, Inputs, PEER_FQDN_KEY};
use super::urls::{app_host, unit_fqdn, TEMPO_GRPC_PORT, TEMPO_HTTP_PORT};
use charm_interfaces::tempo_api::TempoApiAppData;
use charm_interfaces::traefik_route::{traefik_address, RouteRequest, ServerPort, TraefikAddress};
use juju_charm::{Databag, Event, RelationId, Status};

/// The Tempo version this charm targets, shown by `juju status`.
pub const TEMPO_VERSION: &str = "2.8.1";

/// The ports Traefik routes to, as the Python coordinator names them.
pub const SERVER_PORTS: [ServerPort; 2] = [
    ServerPort {
        protocol: "tempo_http",
        port: TEMPO_HTTP_PORT,
        grpc: false,
    },
    ServerPort {
        protocol: "tempo_grpc",
        port: TEMPO_GRPC_PORT,
        grpc: true,
    },
];

/// What to write this hook. Every databag appears at most once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The tempo-api data and the relations to write it to (leader only).
    pub tempo_api: Option<(TempoApiAppData, Vec<RelationId>)>,
    /// Our application databag on the ingress relation (leader only).
    pub ingress: Option<(RelationId, Databag)>,
    /// Our unit databag on the peer relation.
    pub peer: Option<(RelationId, Databag)>,
    /// `application-version-set`, on events where the charm may have changed.
    pub app_version: Option<&'static str>,
    /// This unit's status.
    pub unit_status: Status,
    /// The application's status (leader only).
    pub app_status: Option<Status>,
}

/// Decides what to write.
pub fn reconcile(i: &Inputs) -> Plan {
    let host = app_host(i.own_fqdn.as_deref(), &i.app, &i.model);
    let own_unit_fqdn = unit_fqdn(&i.unit, &i.model, i.own_fqdn.as_deref());

    let peer = i
        .peers
        .as_ref()
        .filter(|_| writes_peer_fqdn(&i.event))
        .map(|p| {
            (
                p.relation.clone(),
                [(PEER_FQDN_KEY.to_owned(), peer_fqdn_value(&own_unit_fqdn))].into(),
            )
        });
    let app_version = matches!(i.event, Event::Install | Event::UpgradeCharm | Event::Start)
        .then_some(TEMPO_VERSION);

    let mut problems: Vec<Status> = Vec::new();
    if let Some(p) = &i.config_problem {
        problems.push(Status::blocked(format!("invalid config: {p}")));
    }

    if !i.leader {
        let unit_status = problems
            .into_iter()
            .next()
            .unwrap_or_else(|| Status::active(""));
        return Plan {
            tempo_api: None,
            ingress: None,
            peer,
            app_version,
            unit_status,
            app_status: None,
        };
    }

    let direct_http = format!("http://{host}:{TEMPO_HTTP_PORT}");
    let direct_grpc = format!("http://{host}:{TEMPO_GRPC_PORT}");

    let mut ingress_urls: Option<(String, String)> = None;
    let mut ingress_write = None;
    if let Some(ing) = &i.ingress {
        let mut fqdns = vec![own_unit_fqdn.clone()];
        if let Some(p) = &i.peers {
            fqdns.extend(p.units.iter().filter_map(|(_, f)| f.clone()));
        }
        let address = traefik_address(&ing.traefik);
        let redirect_https =
            matches!(&address, Ok(TraefikAddress::Ready { scheme, .. }) if scheme == "https");
        let request = RouteRequest {
            model: &i.model,
            app: &i.app,
            ports: &SERVER_PORTS,
            unit_fqdns: &fqdns,
            redirect_https,
            tls: false,
        };
        ingress_write = Some((ing.relation.clone(), request.databag()));
        match address {
            Ok(TraefikAddress::Ready {
                scheme,
                external_host,
            }) => {
                ingress_urls = Some((
                    format!("{scheme}://{external_host}:{TEMPO_HTTP_PORT}"),
                    format!("{scheme}://{external_host}:{TEMPO_GRPC_PORT}"),
                ));
            }
            Ok(TraefikAddress::NotReady) => {
                problems.push(Status::waiting(
                    "waiting for the ingress to send external_host and scheme",
                ));
            }
            Err(e) => problems.push(Status::blocked(format!("ingress: {e}"))),
        }
    }

    // Direct URLs come from Juju's names and always validate; an ingress URL may not.
    let data = match ingress_urls
        .as_ref()
        .map(|(h, g)| TempoApiAppData::new(&direct_http, &direct_grpc, Some(h), Some(g)))
    {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            problems.push(Status::blocked(format!("ingress URL is invalid: {e}")));
            None
        }
        None => None,
    };
    let data = match data
        .map(Ok)
        .unwrap_or_else(|| TempoApiAppData::new(&direct_http, &direct_grpc, None, None))
    {
        Ok(d) => Some(d),
        Err(e) => {
            problems.push(Status::blocked(format!(
                "cannot build Tempo URLs from `{host}`: {e}"
            )));
            None
        }
    };
    let tempo_api = data
        .filter(|_| !i.tempo_api.is_empty())
        .map(|d| (d, i.tempo_api.clone()));

    // Blocked before waiting before active.
    problems.sort_by_key(|s| match s.name {
        juju_charm::StatusName::Blocked => 0,
        _ => 1,
    });
    let status = problems
        .into_iter()
        .next()
        .unwrap_or_else(|| Status::active(""));
    Plan {
        tempo_api,
        ingress: ingress_write,
        peer,
        app_version,
        unit_status: status.clone(),
        app_status: Some(status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::{Ingress, Peers};
    use juju_charm::{StatusName, UnitName};

    fn inputs(leader: bool) -> Inputs {
        Inputs {
            app: "tempo".into(),
            model: "cos".into(),
            unit: UnitName::new("tempo", 0),
            own_fqdn: None,
            event: Event::UpdateStatus,
            config_problem: None,
            leader,
            tempo_api: vec![RelationId::new("tempo-api", 1)],
            ingress: None,
            peers: None,
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
            assert_eq!(plan.app_status, Some(plan.unit_status.clone()));
        } else {
            assert!(
                plan.tempo_api.is_none() && plan.ingress.is_none() && plan.app_status.is_none()
            );
        }
    }

    #[test]
    fn table() {
        check(&inputs(true), StatusName::Active, None);
        check(&inputs(false), StatusName::Active, None);
        let mut i = inputs(true);
        i.ingress = traefik(&[]);
        check(&i, StatusName::Waiting, None);
        i.ingress = traefik(&[("scheme", "https"), ("external_host", "t.example")]);
        check(&i, StatusName::Active, Some("https://t.example:3200/"));
        i.ingress = traefik(&[("scheme", "gopher"), ("external_host", "t.example")]);
        check(&i, StatusName::Blocked, None);
        i.ingress = traefik(&[("scheme", "http"), ("external_host", "t.example:8080")]);
        check(&i, StatusName::Blocked, None);
        i.config_problem = Some("bad".into());
        i.ingress = traefik(&[]);
        check(&i, StatusName::Blocked, None);
    }

    #[test]
    fn no_relation_means_nothing_to_write_but_active() {
        let mut i = inputs(true);
        i.tempo_api.clear();
        let plan = reconcile(&i);
        assert!(plan.tempo_api.is_none());
        assert_eq!(plan.unit_status, Status::active(""));
    }

    #[test]
    fn pod_fqdn_sets_the_host_and_the_peer_write() {
        let mut i = inputs(true);
        i.own_fqdn = Some("tempo-0.tempo-endpoints.cos.svc.k8s.internal".into());
        i.event = Event::UpgradeCharm;
        i.peers = Some(Peers {
            relation: RelationId::new("peers", 3),
            units: vec![],
        });
        let plan = reconcile(&i);
        let (data, _) = plan.tempo_api.expect("publishes");
        assert_eq!(
            data.grpc.direct_url.as_str(),
            "http://tempo.cos.svc.k8s.internal:9096/"
        );
        let (rel, bag) = plan.peer.expect("peer write on upgrade-charm");
        assert_eq!(rel, RelationId::new("peers", 3));
        assert_eq!(
            bag["fqdn"],
            "\"tempo-0.tempo-endpoints.cos.svc.k8s.internal\""
        );
        assert_eq!(plan.app_version, Some(TEMPO_VERSION));
    }
}
