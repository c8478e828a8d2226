//! The `ingress` requirer (traefik_route, pure): the route Traefik is asked for (written by the
//! leader as soon as the relation exists, as the Python charm does) and the external URL
//! Traefik answers with, which every unit reads (Prometheus' unit address follows it).

use charm_interfaces::traefik_route::{traefik_address, RouteRequest, ServerPort, TraefikAddress};
use juju_charm::{Databag, RelationId, Status};

use super::inputs::Inputs;
use super::urls::{receiver_port, TEMPO_GRPC_PORT, TEMPO_HTTP_PORT};
use charm_interfaces::tracing::ReceiverProtocol;

/// The ports Traefik routes to, as the Python coordinator names them: Tempo's two APIs and
/// every receiver, whether enabled or not.
pub const SERVER_PORTS: [ServerPort; 7] = [
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
    ServerPort {
        protocol: "zipkin",
        port: receiver_port(ReceiverProtocol::Zipkin),
        grpc: false,
    },
    ServerPort {
        protocol: "otlp_grpc",
        port: receiver_port(ReceiverProtocol::OtlpGrpc),
        grpc: true,
    },
    ServerPort {
        protocol: "otlp_http",
        port: receiver_port(ReceiverProtocol::OtlpHttp),
        grpc: false,
    },
    ServerPort {
        protocol: "jaeger_thrift_http",
        port: receiver_port(ReceiverProtocol::JaegerThriftHttp),
        grpc: false,
    },
    ServerPort {
        protocol: "jaeger_grpc",
        port: receiver_port(ReceiverProtocol::JaegerGrpc),
        grpc: true,
    },
];

/// What the ingress relation gives this hook.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IngressPlan {
    /// The route request for Traefik (the leader's, once the relation exists).
    pub request: Option<(RelationId, Databag)>,
    /// Traefik's `<scheme>://<external_host>` once it answered.
    pub external: Option<String>,
    /// Waiting for Traefik's address, or what is wrong with it (leader only).
    pub problem: Option<Status>,
}

/// The route for this application's units (`server_name` is this unit's FQDN, the peers'
/// come from the peer relation), with TLS to the units when `tls`.
pub fn plan(i: &Inputs, server_name: &str, tls: bool) -> IngressPlan {
    let mut out = IngressPlan::default();
    if let Some(ing) = i.ingress.as_ref().filter(|_| i.leader) {
        let mut fqdns = vec![server_name.to_owned()];
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
            tls,
        };
        // The route is offered as soon as the relation exists, as the Python charm does.
        out.request = Some((ing.relation.clone(), request.databag()));
        match address {
            Ok(TraefikAddress::Ready {
                scheme,
                external_host,
            }) => out.external = Some(format!("{scheme}://{external_host}")),
            Ok(TraefikAddress::NotReady) => {
                out.problem = Some(Status::waiting(
                    "waiting for the ingress to send external_host and scheme",
                ))
            }
            Err(e) => out.problem = Some(Status::blocked(format!("ingress: {e}"))),
        }
    }
    if let (false, Some(ing)) = (i.leader, &i.ingress) {
        // Read on non-leaders for Prometheus' unit address only.
        if let Ok(TraefikAddress::Ready {
            scheme,
            external_host,
        }) = traefik_address(&ing.traefik)
        {
            out.external = Some(format!("{scheme}://{external_host}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inputs::Ingress;

    fn with_traefik(leader: bool, pairs: &[(&str, &str)]) -> Inputs {
        let mut i = crate::reconcile::tests::inputs(leader);
        i.ingress = Some(Ingress {
            relation: RelationId::new("ingress", 2),
            traefik: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        });
        i
    }

    #[test]
    fn the_leader_asks_at_once_and_waits_for_the_address() {
        let p = plan(&with_traefik(true, &[]), "tempo-0.tempo-endpoints", false);
        let (relation, bag) = p.request.expect("the route is asked for at once");
        assert_eq!(relation, RelationId::new("ingress", 2));
        assert!(bag.contains_key("config"), "{bag:?}");
        assert_eq!(p.external, None);
        assert!(p.problem.is_some_and(|s| s.message.contains("waiting")));
    }

    #[test]
    fn every_unit_reads_the_address_and_only_the_leader_asks() {
        let ready = [("external_host", "tempo.example.org"), ("scheme", "https")];
        for leader in [true, false] {
            let p = plan(
                &with_traefik(leader, &ready),
                "tempo-0.tempo-endpoints",
                true,
            );
            assert_eq!(p.external.as_deref(), Some("https://tempo.example.org"));
            assert_eq!(p.request.is_some(), leader);
            assert_eq!(p.problem, None);
        }
    }
}
