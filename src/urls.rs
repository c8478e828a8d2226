//! Kubernetes DNS names for the application and its units (pure).
//!
//! Juju names a sidecar unit's pod `<app>-<N>` in the StatefulSet behind the headless service
//! `<app>-endpoints`, in the namespace named after the model, and puts a ClusterIP service
//! `<app>` in front of the application (contract §6). So the application is reachable at
//! `<app>.<model>.svc.<domain>` and unit N at `<app>-<N>.<app>-endpoints.<model>.svc.<domain>`.

use charm_interfaces::tracing::ReceiverProtocol;
use juju_charm::UnitName;

/// Tempo's HTTP API port.
pub const TEMPO_HTTP_PORT: u16 = 3200;
/// Tempo's gRPC API port.
pub const TEMPO_GRPC_PORT: u16 = 9096;

/// The port of each receiver (the OpenTelemetry collector's defaults), on the workers and in
/// front of them alike.
pub const fn receiver_port(p: ReceiverProtocol) -> u16 {
    match p {
        ReceiverProtocol::Zipkin => 9411,
        ReceiverProtocol::OtlpGrpc => 4317,
        ReceiverProtocol::OtlpHttp => 4318,
        ReceiverProtocol::JaegerThriftHttp => 14268,
        ReceiverProtocol::JaegerGrpc => 14250,
    }
}

/// The default cluster domain.
pub const DEFAULT_DOMAIN: &str = "svc.cluster.local";

/// The part of a pod FQDN from its `svc` label on (`svc.cluster.local`), if it has one.
pub fn svc_suffix(fqdn: &str) -> Option<String> {
    let labels: Vec<&str> = fqdn.trim_end_matches('.').split('.').collect();
    let at = labels.iter().position(|l| *l == "svc")?;
    Some(labels[at..].join("."))
}

/// The application's service name, as the Python coordinator derives it from the pod FQDN
/// (`<app>.<model>.` + the FQDN from `svc` on). Where the FQDN is not a Kubernetes one
/// (a laptop, the simulator) this uses `<app>.<model>.svc.cluster.local` rather than the
/// bare hostname, so output is deterministic.
pub fn app_host(fqdn: Option<&str>, app: &str, model: &str) -> String {
    let suffix = fqdn
        .and_then(svc_suffix)
        .unwrap_or_else(|| DEFAULT_DOMAIN.to_owned());
    format!("{app}.{model}.{suffix}")
}

/// A unit's FQDN: `<app>-<n>.<app>-endpoints.<model>.svc.<domain>`, the domain taken from
/// our own pod FQDN when it is a Kubernetes one.
pub fn unit_fqdn(unit: &UnitName, model: &str, own_fqdn: Option<&str>) -> String {
    let suffix = own_fqdn
        .and_then(svc_suffix)
        .unwrap_or_else(|| DEFAULT_DOMAIN.to_owned());
    format!(
        "{app}-{n}.{app}-endpoints.{model}.{suffix}",
        app = unit.app(),
        n = unit.number()
    )
}

/// `getfqdn()` from `/etc/hosts` text: the first name containing a dot on the line that
/// lists `hostname`, else `None`.
pub fn fqdn_from_hosts(hostname: &str, hosts: &str) -> Option<String> {
    let hostname = hostname.trim();
    if hostname.is_empty() {
        return None;
    }
    for line in hosts.lines() {
        let line = line.split('#').next().unwrap_or("");
        let mut fields = line.split_whitespace();
        let Some(_addr) = fields.next() else { continue };
        let names: Vec<&str> = fields.collect();
        if names.contains(&hostname) {
            return names
                .iter()
                .find(|n| n.contains('.'))
                .map(|n| (*n).to_owned());
        }
    }
    hostname.contains('.').then(|| hostname.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_app_host(fqdn: Option<&str>, want: &str) {
        assert_eq!(app_host(fqdn, "tempo", "cos"), want);
    }

    #[test]
    fn app_host_from_pod_fqdn() {
        check_app_host(
            Some("tempo-0.tempo-endpoints.cos.svc.cluster.local"),
            "tempo.cos.svc.cluster.local",
        );
        check_app_host(
            Some("tempo-0.tempo-endpoints.cos.svc.corp.example."),
            "tempo.cos.svc.corp.example",
        );
        check_app_host(Some("laptop.lan"), "tempo.cos.svc.cluster.local");
        check_app_host(None, "tempo.cos.svc.cluster.local");
    }

    #[test]
    fn unit_fqdns() {
        let u = UnitName::new("tempo", 3);
        assert_eq!(
            unit_fqdn(&u, "cos", None),
            "tempo-3.tempo-endpoints.cos.svc.cluster.local"
        );
        assert_eq!(
            unit_fqdn(
                &u,
                "cos",
                Some("tempo-0.tempo-endpoints.cos.svc.k8s.internal")
            ),
            "tempo-3.tempo-endpoints.cos.svc.k8s.internal"
        );
    }

    #[test]
    fn fqdn_lookup_like_getfqdn() {
        let hosts = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n10.1.0.7\ttempo-0.tempo-endpoints.cos.svc.cluster.local\ttempo-0\n";
        assert_eq!(
            fqdn_from_hosts("tempo-0", hosts).as_deref(),
            Some("tempo-0.tempo-endpoints.cos.svc.cluster.local")
        );
        assert_eq!(fqdn_from_hosts("other", hosts), None);
        assert_eq!(fqdn_from_hosts("", hosts), None);
        assert_eq!(
            fqdn_from_hosts("box.example", "").as_deref(),
            Some("box.example")
        );
    }
}
