//! The charm declares what the Python `tempo-coordinator-k8s` declares (charmcraft.yaml at
//! canonical/tempo-operators 85a88de), so that `juju refresh` between them is never refused
//! and every integration of COS's Terraform module finds its endpoint: each endpoint with its
//! role, interface, limit and optional flag; each config option with its type and default
//! (plus our own `log-level`); the same action and containers. The tables are those facts.

use std::path::Path;

use serde_yaml::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// (endpoint, role, interface, limit, optional) as the Python charm declares them.
const ENDPOINTS: &[(&str, &str, &str, Option<u64>, bool)] = &[
    ("tempo-cluster", "provides", "tempo_cluster", None, false),
    (
        "grafana-dashboard",
        "provides",
        "grafana_dashboard",
        None,
        true,
    ),
    (
        "grafana-source",
        "provides",
        "grafana_datasource",
        None,
        true,
    ),
    (
        "metrics-endpoint",
        "provides",
        "prometheus_scrape",
        None,
        true,
    ),
    ("tracing", "provides", "tracing", None, true),
    ("probes", "provides", "blackbox_exporter_probes", None, true),
    ("tempo-api", "provides", "tempo_api", None, true),
    (
        "provide-cmr-mesh",
        "provides",
        "cross_model_mesh",
        None,
        true,
    ),
    ("s3", "requires", "s3", Some(1), false),
    ("self-charm-tracing", "requires", "tracing", Some(1), true),
    (
        "self-workload-tracing",
        "requires",
        "tracing",
        Some(1),
        true,
    ),
    ("logging", "requires", "loki_push_api", None, true),
    ("ingress", "requires", "traefik_route", None, true),
    (
        "istio-ingress",
        "requires",
        "istio_ingress_route",
        Some(1),
        true,
    ),
    (
        "certificates",
        "requires",
        "tls-certificates",
        Some(1),
        true,
    ),
    (
        "send-remote-write",
        "requires",
        "prometheus_remote_write",
        None,
        true,
    ),
    (
        "receive-datasource",
        "requires",
        "grafana_datasource_exchange",
        None,
        true,
    ),
    ("catalogue", "requires", "catalogue", None, true),
    ("service-mesh", "requires", "service_mesh", Some(1), true),
    (
        "require-cmr-mesh",
        "requires",
        "cross_model_mesh",
        None,
        true,
    ),
    ("peers", "peers", "tempo_peers", None, false),
];

/// (option, type, default) as the Python charm declares them.
const OPTIONS: &[(&str, &str, Option<&str>)] = &[
    ("retention-period", "int", Some("720")),
    ("always_enable_zipkin", "boolean", Some("false")),
    ("always_enable_otlp_grpc", "boolean", Some("false")),
    ("always_enable_otlp_http", "boolean", Some("false")),
    ("always_enable_jaeger_thrift_http", "boolean", Some("false")),
    ("always_enable_jaeger_grpc", "boolean", Some("false")),
    ("cpu_limit", "string", None),
    ("memory_limit", "string", None),
];

fn load(file: &str) -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join(file)).expect(file);
    serde_yaml::from_str(&text).expect("YAML")
}

#[test]
fn every_endpoint_of_the_python_charm_is_declared_alike_and_no_other() {
    let meta = load("metadata.yaml");
    let mut ours = Vec::new();
    for role in ["provides", "requires", "peers"] {
        for (name, e) in meta[role].as_mapping().into_iter().flatten() {
            ours.push((
                name.as_str().unwrap_or_default().to_owned(),
                role,
                e["interface"].as_str().unwrap_or_default().to_owned(),
                e["limit"].as_u64(),
                e["optional"].as_bool().unwrap_or(false),
            ));
        }
    }
    let mut want: Vec<_> = ENDPOINTS
        .iter()
        .map(|(n, r, i, l, o)| ((*n).to_owned(), *r, (*i).to_owned(), *l, *o))
        .collect();
    ours.sort();
    want.sort();
    assert_eq!(ours, want);
}

#[test]
fn every_option_of_the_python_charm_has_its_type_and_default_and_log_level_is_ours() {
    let config = load("config.yaml");
    let options = config["options"].as_mapping().expect("options");
    for (name, kind, default) in OPTIONS {
        let o = &config["options"][*name];
        assert_eq!(o["type"].as_str(), Some(*kind), "{name}");
        let ours = match &o["default"] {
            Value::Null => None,
            Value::Bool(b) => Some(b.to_string()),
            Value::Number(n) => Some(n.to_string()),
            Value::String(s) => Some(s.clone()),
            other => panic!("{name}: default {other:?}"),
        };
        assert_eq!(ours.as_deref(), *default, "{name}");
    }
    let extra: Vec<&str> = options
        .keys()
        .filter_map(Value::as_str)
        .filter(|k| !OPTIONS.iter().any(|(n, _, _)| n == k))
        .collect();
    assert_eq!(extra, ["log-level"], "our one addition");
}

#[test]
fn the_same_action_containers_and_resources() {
    let charmcraft = load("charmcraft.yaml");
    let actions: Vec<&str> = charmcraft["actions"]
        .as_mapping()
        .expect("actions")
        .keys()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(actions, ["list-receivers"]);
    let meta = load("metadata.yaml");
    for (container, resource) in [
        ("nginx", "nginx-image"),
        (
            "nginx-prometheus-exporter",
            "nginx-prometheus-exporter-image",
        ),
    ] {
        assert_eq!(
            meta["containers"][container]["resource"].as_str(),
            Some(resource)
        );
        assert_eq!(
            meta["resources"][resource]["type"].as_str(),
            Some("oci-image")
        );
    }
}
