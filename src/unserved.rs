//! Endpoints declared for compatibility with the Python coordinator but not served: the
//! service-mesh family and istio-ingress need the Kubernetes API, which this charm does not
//! call. Declaring them lets `juju refresh` from the Python charm go through; relating one is
//! never a silent no-op: the status names it and what to use instead, while the cluster keeps
//! running (pure).

use juju_charm::Status;

/// Each unserved endpoint and what to do instead.
pub const UNSERVED: [(&str, &str); 4] = [
    (
        "istio-ingress",
        "use `ingress` (Traefik) instead",
    ),
    (
        "service-mesh",
        "remove it (`juju remove-relation <app>:service-mesh`) or keep the Python charm where a mesh is required",
    ),
    (
        "provide-cmr-mesh",
        "remove it (`juju remove-relation <app>:provide-cmr-mesh`); cross-model clients reach Tempo through `ingress`",
    ),
    (
        "require-cmr-mesh",
        "remove it (`juju remove-relation <app>:require-cmr-mesh`); cross-model clients reach Tempo through `ingress`",
    ),
];

/// The status for the unserved endpoints that are related (in [`UNSERVED`]'s order), if any.
pub fn status(related: &[&str]) -> Option<Status> {
    let hits: Vec<String> = UNSERVED
        .iter()
        .filter(|(endpoint, _)| related.contains(endpoint))
        .map(|(endpoint, instead)| {
            format!("`{endpoint}` is related but not served by this charm: {instead}")
        })
        .collect();
    (!hits.is_empty()).then(|| Status::blocked(hits.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use juju_charm::StatusName;

    #[test]
    fn nothing_related_nothing_said() {
        assert_eq!(status(&[]), None);
        assert_eq!(status(&["ingress", "tracing"]), None);
    }

    #[test]
    fn each_related_endpoint_is_named_with_its_alternative() {
        let s = status(&["require-cmr-mesh", "istio-ingress"]).expect("a status");
        assert_eq!(s.name, StatusName::Blocked);
        assert!(
            s.message.starts_with(
                "`istio-ingress` is related but not served by this charm: use `ingress`"
            ),
            "{}",
            s.message
        );
        assert!(
            s.message.contains("`require-cmr-mesh` is related"),
            "{}",
            s.message
        );
        assert!(!s.message.contains("service-mesh`"), "{}", s.message);
    }
}
