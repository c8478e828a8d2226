//! `self-charm-tracing` and `self-workload-tracing` (tracing v0 requirers), pure: we ask
//! each remote for `otlp_http`; once it answers, the workers send their charm's and their
//! Tempo's traces there through nginx's telemetry proxy on 3300
//! (`/proxy/charm-tracing/otlp_http/`, `/proxy/workload-tracing/otlp_http/`), and this
//! charm's own spans go to the charm-tracing remote's `otlp_http` URL + `/v1/traces`.
//! Unrelated (or not answered yet), the workers send to this Tempo's own receivers.
//!
//! Only `otlp_http` is proxied, although the remote may publish more: it is what we ask for,
//! and the proxy is an HTTP/1.1 `proxy_pass` location, over which gRPC (HTTP/2) cannot pass
//! (the Python coordinator also proxies `otlp_grpc` there, a URL no gRPC client can use).

use charm_interfaces::loki_push_api::PushUrl;
use charm_interfaces::tracing::{
    ReadError, ReceiverProtocol, TracingProviderAppData, TracingRequirerAppData,
};
use juju_charm::{Databag, RelationId};

use crate::nginx::{Location, Upstream, PROXY_WORKER_TELEMETRY_PORT};

/// The endpoint for the charms' own traces.
pub const SELF_CHARM_TRACING: &str = "self-charm-tracing";
/// The endpoint for the workloads' traces.
pub const SELF_WORKLOAD_TRACING: &str = "self-workload-tracing";
/// What we ask either remote for.
pub const REQUESTED: ReceiverProtocol = ReceiverProtocol::OtlpHttp;

/// A self-tracing relation and the remote's answer (`Ok(None)` before it writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracingRemote {
    /// The relation.
    pub relation: RelationId,
    /// The receivers it published.
    pub provider: Result<Option<TracingProviderAppData>, ReadError>,
}

/// What self-tracing decides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfTracingPlan {
    /// Our request on each relation (leader only).
    pub requests: Vec<(RelationId, Databag)>,
    /// The workers' `charm_tracing_receivers` when a remote answered (else our own).
    pub charm_receivers: Option<Vec<(String, String)>>,
    /// The workers' `workload_tracing_receivers` likewise.
    pub workload_receivers: Option<Vec<(String, String)>>,
    /// The proxy's upstreams.
    pub upstreams: Vec<Upstream>,
    /// The proxy's locations on 3300.
    pub locations: Vec<Location>,
    /// Where this charm's spans go: the charm-tracing remote's `otlp_http` + `/v1/traces`.
    pub charm_destination: Option<String>,
}

/// The remote's `otlp_http` URL, validated (`None` when it has none, or a bad one).
fn otlp_http(remote: &TracingRemote) -> Option<Option<(PushUrl, String)>> {
    let data = match &remote.provider {
        Ok(Some(d)) => d,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(relation = %remote.relation, "ignoring the tracing provider's data: {e}");
            return None;
        }
    };
    let raw = data
        .receivers
        .iter()
        .find(|r| r.protocol.name == REQUESTED.as_str())
        .map(|r| r.url.as_str());
    let Some(raw) = raw else {
        return Some(None);
    };
    match PushUrl::parse(raw) {
        Ok(u) => {
            // The path as Python's urlparse gives it: empty when the URL has none.
            let after_host = raw.split_once("://").map_or("", |(_, rest)| rest);
            let path = if after_host.contains('/') {
                u.path().to_owned()
            } else {
                String::new()
            };
            Some(Some((u, path)))
        }
        Err(e) => {
            tracing::warn!(relation = %remote.relation, "ignoring the tracing provider's otlp_http URL: {e}");
            Some(None)
        }
    }
}

/// Decides self-tracing. `proxy_base` is our in-cluster base URL (`http://<app host>`).
pub fn plan(
    charm: Option<&TracingRemote>,
    workload: Option<&TracingRemote>,
    proxy_base: &str,
    leader: bool,
) -> SelfTracingPlan {
    let mut p = SelfTracingPlan::default();
    for (kind, remote) in [("charm", charm), ("workload", workload)] {
        let Some(remote) = remote else { continue };
        if leader {
            let request = TracingRequirerAppData {
                receivers: vec![REQUESTED],
            };
            p.requests
                .push((remote.relation.clone(), request.to_databag()));
        }
        // Not answered: the workers keep sending to this Tempo.
        let Some(url) = otlp_http(remote) else {
            continue;
        };
        let mut receivers = Vec::new();
        if let Some((url, path)) = url {
            let protocol = REQUESTED.as_str();
            let location = format!("/proxy/{kind}-tracing/{protocol}/");
            let upstream = format!("worker-telemetry-proxy-{kind}-{protocol}");
            receivers.push((
                protocol.to_owned(),
                format!("{proxy_base}:{PROXY_WORKER_TELEMETRY_PORT}{location}"),
            ));
            p.upstreams.push(Upstream {
                name: upstream.clone(),
                port: url.port(),
                addresses: [url.host()].into(),
            });
            p.locations.push(Location {
                modifier: "",
                path: location,
                backend: upstream,
                backend_url: path,
                upstream_tls: url.is_https(),
                keepalive_http11: true,
                strip_prefix: true,
            });
            if kind == "charm" {
                p.charm_destination =
                    Some(format!("{}/v1/traces", url.as_str().trim_end_matches('/')));
            }
        }
        match kind {
            "charm" => p.charm_receivers = Some(receivers),
            _ => p.workload_receivers = Some(receivers),
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(endpoint: &str, id: u32, receivers: Option<&str>) -> TracingRemote {
        TracingRemote {
            relation: RelationId::new(endpoint, id),
            provider: match receivers {
                None => Ok(None),
                Some(r) => TracingProviderAppData::from_databag(
                    &[("receivers".to_owned(), r.to_owned())].into(),
                )
                .map(Some),
            },
        }
    }

    const OTELCOL: &str = r#"[{"protocol": {"name": "otlp_grpc", "type": "grpc"}, "url": "otelcol-0.otelcol-endpoints.cos.svc.cluster.local:4317"}, {"protocol": {"name": "otlp_http", "type": "http"}, "url": "http://otelcol-0.otelcol-endpoints.cos.svc.cluster.local:4318"}]"#;

    #[test]
    fn only_otlp_http_is_proxied_and_the_charm_sends_its_spans_there() {
        let c = remote(SELF_CHARM_TRACING, 74, Some(OTELCOL));
        let p = plan(Some(&c), None, "http://tempo.cos.svc.cluster.local", true);
        assert_eq!(
            p.charm_receivers,
            Some(vec![(
                "otlp_http".to_owned(),
                "http://tempo.cos.svc.cluster.local:3300/proxy/charm-tracing/otlp_http/".to_owned()
            )])
        );
        assert_eq!(p.workload_receivers, None);
        assert_eq!(
            p.charm_destination.as_deref(),
            Some("http://otelcol-0.otelcol-endpoints.cos.svc.cluster.local:4318/v1/traces")
        );
        assert_eq!(p.upstreams.len(), 1);
        assert_eq!(p.upstreams[0].port, 4318);
        assert_eq!(p.locations[0].backend_url, "");
        assert!(p.locations[0].strip_prefix);
        assert_eq!(p.requests[0].1["receivers"], "[\"otlp_http\"]");
    }

    #[test]
    fn unanswered_or_bad_remotes_leave_the_workers_on_this_tempo() {
        for bad in [None, Some("not json"), Some("[{\"protocol\": {\"name\": \"otlp_http\", \"type\": \"http\"}, \"url\": \"http://x y\"}]")] {
            let w = remote(SELF_WORKLOAD_TRACING, 75, bad);
            let p = plan(None, Some(&w), "http://t", true);
            assert!(p.upstreams.is_empty() && p.charm_destination.is_none(), "{bad:?}");
            assert_eq!(p.requests.len(), 1, "the request is written all the same");
        }
        // A non-leader asks nothing, but proxies.
        let w = remote(SELF_WORKLOAD_TRACING, 75, Some(OTELCOL));
        let p = plan(None, Some(&w), "http://t", false);
        assert!(p.requests.is_empty());
        assert_eq!(p.locations[0].path, "/proxy/workload-tracing/otlp_http/");
    }
}
