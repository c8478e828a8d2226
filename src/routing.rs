//! nginx's inputs (pure): an upstream and a server per receiver and per Tempo API, with the
//! workers that serve them, and the worker-telemetry proxy on 3300 (each worker unit's
//! metrics, Loki, remote-write and self-tracing), from the cluster and each telemetry planner.

use charm_interfaces::grammar::Scheme;
use charm_interfaces::tracing::{ReceiverProtocol, TransportProtocolType};

use super::cluster::{Cluster, RemoteWriteRoute};
use super::inputs::Inputs;
use super::logging::LoggingPlan;
use super::nginx::{Location, NginxInputs, Server, Upstream, PROXY_WORKER_TELEMETRY_PORT};
use super::self_tracing::SelfTracingPlan;
use super::tempo_config::TempoRole;
use super::urls::{receiver_port, TEMPO_GRPC_PORT, TEMPO_HTTP_PORT};

/// What nginx's telemetry proxy on 3300 routes besides the worker metrics: each planner's
/// upstreams and locations.
pub struct TelemetryRoutes<'a> {
    /// The remote-write proxies (metrics-generator to Prometheus).
    pub remote_write: &'a [RemoteWriteRoute],
    /// The Loki push proxies (`logging`).
    pub log: &'a LoggingPlan,
    /// The self-tracing proxies.
    pub self_tracing: &'a SelfTracingPlan,
}

/// nginx's inputs: upstreams for the enabled receivers and Tempo's APIs, and the worker
/// telemetry proxy (worker metrics, Loki, remote-write, self-tracing) on 3300.
pub fn nginx_inputs(
    i: &Inputs,
    c: &Cluster,
    routes: &TelemetryRoutes,
    receivers: &[ReceiverProtocol],
    server_name: &str,
    resolver: &str,
) -> NginxInputs {
    let TelemetryRoutes {
        remote_write,
        log,
        self_tracing: st,
    } = routes;
    let addrs = |r: TempoRole| -> std::rc::Rc<[String]> {
        c.addresses
            .get(&r)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    };
    let distributors = addrs(TempoRole::Distributor);
    let frontends = addrs(TempoRole::QueryFrontend);
    // With TLS the workers serve TLS too (Tempo's config says so), so nginx dials them with it.
    let tls = i.tls.serving.is_some();
    let mut upstreams = Vec::new();
    let mut servers = Vec::new();
    let root = |name: &str| Location {
        modifier: "",
        path: "/".into(),
        backend: name.to_owned(),
        backend_url: String::new(),
        upstream_tls: tls,
        keepalive_http11: false,
        strip_prefix: false,
    };
    for p in receivers {
        let name = p.as_str().replace('_', "-");
        upstreams.push(Upstream {
            name: name.clone(),
            port: receiver_port(*p),
            addresses: distributors.clone(),
        });
        servers.push(Server {
            port: receiver_port(*p),
            grpc: p.transport() == TransportProtocolType::Grpc,
            locations: vec![root(&name)],
        });
    }
    for (name, port, grpc) in [
        ("tempo-http", TEMPO_HTTP_PORT, false),
        ("tempo-grpc", TEMPO_GRPC_PORT, true),
    ] {
        upstreams.push(Upstream {
            name: name.into(),
            port,
            addresses: frontends.clone(),
        });
        servers.push(Server {
            port,
            grpc,
            locations: vec![root(name)],
        });
    }
    let mut proxy = Vec::new();
    let exact = |path: String, backend: String, backend_url: String, tls: bool| Location {
        modifier: "=",
        path,
        backend,
        backend_url,
        upstream_tls: tls,
        keepalive_http11: true,
        strip_prefix: false,
    };
    for (unit, address) in &c.topology {
        let dashed = unit.replace('/', "-");
        let name = format!("worker-telemetry-proxy-{dashed}");
        upstreams.push(Upstream {
            name: name.clone(),
            port: TEMPO_HTTP_PORT,
            addresses: [address.clone()].into(),
        });
        proxy.push(exact(
            format!("/proxy/worker/{dashed}/metrics"),
            name,
            "/metrics".into(),
            tls,
        ));
    }
    // In the Python coordinator's order: worker metrics, Loki, remote-write, self-tracing.
    upstreams.extend(log.upstreams.iter().cloned());
    proxy.extend(log.locations.iter().cloned());
    for r in *remote_write {
        let name = format!("worker-telemetry-proxy-{}", r.key);
        upstreams.push(Upstream {
            name: name.clone(),
            port: r.url.port_or_default(),
            addresses: [r.url.host().to_string()].into(),
        });
        proxy.push(exact(
            format!("/proxy/remote-write/{}/write", r.key),
            name,
            r.url.path.clone(),
            r.url.scheme == Scheme::Https,
        ));
    }
    upstreams.extend(st.upstreams.iter().cloned());
    proxy.extend(st.locations.iter().cloned());
    if !c.topology.is_empty() {
        servers.push(Server {
            port: PROXY_WORKER_TELEMETRY_PORT,
            grpc: false,
            locations: proxy,
        });
    }
    NginxInputs {
        server_name: server_name.to_owned(),
        resolver: resolver.to_owned(),
        ipv6: i.ipv6,
        upstreams,
        servers,
        tls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::cluster;
    use charm_interfaces::tempo_cluster::{
        ClusterRequirerAppData, ClusterRequirerUnitData, Topology, WorkerApp,
    };
    use juju_charm::RelationId;

    #[test]
    fn receivers_share_the_distributors_and_each_worker_unit_gets_its_proxy() {
        let mut i = crate::reconcile::tests::inputs(true);
        let units = (0..3)
            .map(|n| {
                let unit = format!("w/{n}");
                let data = ClusterRequirerUnitData {
                    address: format!("w-{n}.w-endpoints.cos.svc.cluster.local"),
                    // A unit's own word on its name is not what names its proxy.
                    juju_topology: Topology {
                        application: "w".into(),
                        unit: "w/99".into(),
                        charm_name: "tempo-worker-k8s".into(),
                    },
                };
                (unit, Ok(data))
            })
            .collect();
        i.workers = vec![WorkerApp {
            relation: RelationId::new("tempo-cluster", 1),
            app: "w".into(),
            role: Ok(ClusterRequirerAppData { role: "all".into() }),
            units,
        }];
        let c = cluster(&i);
        let (log, st) = (LoggingPlan::default(), SelfTracingPlan::default());
        let routes = TelemetryRoutes {
            remote_write: &[],
            log: &log,
            self_tracing: &st,
        };
        let receivers = [ReceiverProtocol::OtlpGrpc, ReceiverProtocol::OtlpHttp];
        let ni = nginx_inputs(&i, &c, &routes, &receivers, "tempo-0", "10.0.0.10");
        let by_name = |n: &str| ni.upstreams.iter().find(|u| u.name == n).expect(n);
        let (grpc, http) = (by_name("otlp-grpc"), by_name("otlp-http"));
        assert_eq!(grpc.addresses.len(), 3);
        assert!(std::rc::Rc::ptr_eq(&grpc.addresses, &http.addresses));
        for n in 0..3 {
            let proxy = by_name(&format!("worker-telemetry-proxy-w-{n}"));
            assert_eq!(
                &*proxy.addresses,
                [format!("w-{n}.w-endpoints.cos.svc.cluster.local")]
            );
        }
        assert!(!ni.upstreams.iter().any(|u| u.name.contains("w-99")));
    }
}
