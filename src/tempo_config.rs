//! Tempo's configuration, as the Python coordinator renders it for the same workers, S3 data,
//! remote-write endpoints and config (pure). Compared with the recorded states as parsed YAML;
//! keys come out sorted, as PyYAML's `yaml.dump` writes them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};

use charm_interfaces::s3::S3ConnectionInfo;
use charm_interfaces::tracing::ReceiverProtocol;

use crate::urls::receiver_port;

/// Memberlist gossip port.
pub const MEMBERLIST_PORT: u16 = 7946;
/// Where the coordinated-workers worker writes the S3 CA chain.
pub const S3_TLS_CA_CHAIN_FILE: &str = "/etc/worker/s3_ca.crt";
const WAL_PATH: &str = "/etc/tempo/tempo_wal";
const METRICS_GENERATOR_WAL_PATH: &str = "/etc/tempo/metrics_generator_wal";

/// Tempo's roles, as workers name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TempoRole {
    /// Every role in one process (the meta-role).
    All,
    /// `querier`.
    Querier,
    /// `query-frontend`.
    QueryFrontend,
    /// `ingester`.
    Ingester,
    /// `distributor`.
    Distributor,
    /// `compactor`.
    Compactor,
    /// `metrics-generator`.
    MetricsGenerator,
}

impl TempoRole {
    /// The roles a working Tempo needs at least one of each (metrics-generator is optional).
    pub const MINIMAL: [Self; 5] = [
        Self::Querier,
        Self::QueryFrontend,
        Self::Ingester,
        Self::Distributor,
        Self::Compactor,
    ];
    /// Every real (non-meta) role.
    pub const NON_META: [Self; 6] = [
        Self::Querier,
        Self::QueryFrontend,
        Self::Ingester,
        Self::Distributor,
        Self::Compactor,
        Self::MetricsGenerator,
    ];

    /// The role named exactly `s`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "all" => Self::All,
            "querier" => Self::Querier,
            "query-frontend" => Self::QueryFrontend,
            "ingester" => Self::Ingester,
            "distributor" => Self::Distributor,
            "compactor" => Self::Compactor,
            "metrics-generator" => Self::MetricsGenerator,
            _ => return None,
        })
    }

    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Querier => "querier",
            Self::QueryFrontend => "query-frontend",
            Self::Ingester => "ingester",
            Self::Distributor => "distributor",
            Self::Compactor => "compactor",
            Self::MetricsGenerator => "metrics-generator",
        }
    }

    /// The real roles this one stands for (`all` expands to every one).
    pub fn expand(self) -> Vec<Self> {
        if self == Self::All {
            Self::NON_META.to_vec()
        } else {
            vec![self]
        }
    }
}

/// Worker addresses by (expanded) role.
pub type AddressesByRole = BTreeMap<TempoRole, BTreeSet<String>>;

/// What Tempo's configuration depends on.
#[derive(Debug, Clone)]
pub struct TempoInputs<'a> {
    /// Worker addresses by role.
    pub roles: &'a AddressesByRole,
    /// The S3 connection.
    pub s3: &'a S3ConnectionInfo,
    /// Remote-write URLs (already proxied through the coordinator), sorted.
    pub remote_write: &'a [String],
    /// `retention-period`, hours.
    pub retention_hours: i64,
    /// Whether the workers serve and dial with TLS (the coordinator has a certificate).
    pub tls: bool,
}

/// Where the coordinated-workers worker writes the certificate it gets over tempo-cluster.
pub const WORKER_CERT_FILE: &str = "/etc/worker/server.cert";
/// Where the worker writes the private key it reads from the granted secret.
pub const WORKER_KEY_FILE: &str = "/etc/worker/private.key";
/// Where the worker installs the CA (and runs `update-ca-certificates`).
pub const WORKER_CA_FILE: &str = "/usr/local/share/ca-certificates/ca.crt";

/// The TLS sections, as the Python coordinator adds them when it has a certificate: servers
/// with the certificate (client certificates verified if given), every receiver with TLS, and
/// every internal gRPC client and memberlist dialling with TLS. `tls_server_name` is the first
/// worker address in sorted order (the certificate lists every worker address).
fn add_tls(config: &mut Value, server_name: &str) {
    let server_tls = json!({
        "cert_file": WORKER_CERT_FILE,
        "key_file": WORKER_KEY_FILE,
        "client_ca_file": WORKER_CA_FILE,
        "client_auth_type": "VerifyClientCertIfGiven",
    });
    config["server"]["http_tls_config"] = server_tls.clone();
    config["server"]["grpc_tls_config"] = server_tls;
    let receiver_tls = json!({
        "ca_file": WORKER_CA_FILE,
        "cert_file": WORKER_CERT_FILE,
        "key_file": WORKER_KEY_FILE,
    });
    let receivers = &mut config["distributor"]["receivers"];
    for path in [
        &["zipkin"][..],
        &["otlp", "protocols", "http"],
        &["otlp", "protocols", "grpc"],
        &["jaeger", "protocols", "thrift_http"],
        &["jaeger", "protocols", "grpc"],
    ] {
        let mut node = &mut *receivers;
        for k in path {
            node = &mut node[*k];
        }
        node["tls"] = receiver_tls.clone();
    }
    let client = json!({
        "tls_enabled": true,
        "tls_ca_path": WORKER_CA_FILE,
        "tls_cert_path": WORKER_CERT_FILE,
        "tls_key_path": WORKER_KEY_FILE,
        "tls_server_name": server_name,
    });
    config["ingester_client"] = json!({"grpc_client_config": client.clone()});
    config["metrics_generator_client"] = json!({"grpc_client_config": client.clone()});
    config["querier"]["frontend_worker"]["grpc_client_config"] = client.clone();
    if let (Value::Object(m), Value::Object(c)) = (&mut config["memberlist"], client) {
        m.extend(c);
    }
}

fn kvstore() -> Value {
    json!({"kvstore": {"store": "memberlist"}})
}

/// The S3 section, as the coordinator adapts the relation data for the workers.
fn s3_section(s3: &S3ConnectionInfo) -> Value {
    let scheme = s3.scheme();
    let mut endpoint = if scheme.is_empty() {
        s3.endpoint.clone()
    } else {
        s3.endpoint[scheme.len() + 3..].to_owned()
    };
    // Tempo's S3 client misreads `host:80` as IPv6: default ports are dropped.
    for suffix in [":80", ":443"] {
        if let Some(stripped) = endpoint.strip_suffix(suffix) {
            endpoint = stripped.to_owned();
            break;
        }
    }
    let chain = s3.tls_ca_chain.as_ref().is_some_and(|c| !c.is_empty());
    let mut out = json!({
        "bucket": s3.bucket,
        "access_key": s3.access_key.expose(),
        "endpoint": endpoint,
        "secret_key": s3.secret_key.expose(),
        "insecure": !(chain || scheme == "https"),
    });
    if let Some(region) = &s3.region {
        out["region"] = json!(region);
    }
    if chain {
        out["tls_ca_path"] = json!(S3_TLS_CA_CHAIN_FILE);
    }
    out
}

/// The receivers every distributor runs (all five, whatever is requested: the coordinator
/// opens ports only for the enabled ones).
fn receivers() -> Value {
    use ReceiverProtocol::*;
    let ep = |p: ReceiverProtocol| json!({"endpoint": format!("0.0.0.0:{}", receiver_port(p))});
    json!({
        "zipkin": ep(Zipkin),
        "otlp": {"protocols": {"http": ep(OtlpHttp), "grpc": ep(OtlpGrpc)}},
        "jaeger": {"protocols": {"thrift_http": ep(JaegerThriftHttp), "grpc": ep(JaegerGrpc)}},
    })
}

/// Where queriers find the query-frontend: themselves (`localhost`) when none is separate or
/// every querier also runs one, else the first frontend's headless service.
fn frontend_address(roles: &AddressesByRole, grpc_port: u16) -> String {
    let frontends = roles.get(&TempoRole::QueryFrontend);
    let queriers = roles.get(&TempoRole::Querier);
    let host = match (frontends, queriers) {
        (None, _) => "localhost".to_owned(),
        (Some(f), _) if f.is_empty() => "localhost".to_owned(),
        (Some(f), Some(q)) if !q.is_empty() && q.is_subset(f) => "localhost".to_owned(),
        (Some(f), _) => {
            let first = f.iter().next().map(String::as_str).unwrap_or_default();
            first
                .split_once('.')
                .map_or("", |(_, rest)| rest)
                .to_owned()
        }
    };
    format!("{host}:{grpc_port}")
}

/// Tempo's configuration as a YAML document.
pub fn render(i: &TempoInputs<'_>, http_port: u16, grpc_port: u16) -> String {
    let all: BTreeSet<&String> = i.roles.values().flatten().collect();
    let ingesters = i.roles.get(&TempoRole::Ingester).map_or(0, BTreeSet::len);
    let mut config = json!({
        "auth_enabled": false,
        "server": {"http_listen_port": http_port, "grpc_listen_port": grpc_port},
        "distributor": {"ring": kvstore(), "receivers": receivers()},
        "ingester": {
            "trace_idle_period": "10s",
            "max_block_bytes": 100,
            "max_block_duration": "30m",
            "lifecycler": {"ring": {
                "kvstore": {"store": "memberlist"},
                "replication_factor": if ingesters >= 3 { 3 } else { 1 },
            }},
        },
        "memberlist": {
            "abort_if_cluster_join_fails": false,
            "bind_port": MEMBERLIST_PORT,
            // Written by `join_members` below (one line per worker unit).
            "join_members": [],
            "tls_enabled": false,
        },
        "compactor": {
            "ring": kvstore(),
            "compaction": {
                "compaction_window": "1h",
                "max_compaction_objects": 1_000_000,
                "block_retention": format!("{}h", i.retention_hours),
                "compacted_block_retention": "1h",
            },
        },
        "querier": {"frontend_worker": {"frontend_address": frontend_address(i.roles, grpc_port)}},
        "storage": {"trace": {
            "wal": {"path": WAL_PATH},
            "pool": {"max_workers": 400, "queue_depth": 20000},
            "backend": "s3",
            "s3": s3_section(i.s3),
            "block": {"version": "vParquet3"},
        }},
    });
    if !i.remote_write.is_empty() {
        config["metrics_generator"] = json!({
            "ring": kvstore(),
            "storage": {
                "path": METRICS_GENERATOR_WAL_PATH,
                "remote_write": i.remote_write.iter().map(|u| json!({"url": u})).collect::<Vec<_>>(),
            },
            "processor": {"span_metrics": {}, "service_graphs": {}},
        });
        config["overrides"] = json!({"defaults": {"metrics_generator": {
            "processors": ["span-metrics", "service-graphs"],
        }}});
    }
    if i.tls {
        if let Some(first) = all.iter().next() {
            add_tls(&mut config, first);
        }
    }
    // A map of JSON values always serialises; the fallback is unreachable but total.
    let yaml = serde_yaml::to_string(&config).unwrap_or_default();
    let members: Vec<String> = all
        .iter()
        .map(|a| format!("{a}:{MEMBERLIST_PORT}"))
        .collect();
    join_members(yaml, &members)
}

/// The empty list `render` leaves for the memberlist's members (`memberlist` is a
/// top-level key, so its keys are indented by two).
const EMPTY_MEMBERS: &str = "\n  join_members: []\n";

/// Fills memberlist's `join_members` in `yaml` with `members`, each line as serde_yaml writes
/// a sequence item: a member that is a DNS name or an IPv4 address with its port needs no
/// quoting and is written as it is; any other goes through serde_yaml. (Emitting a thousand
/// scalars through libyaml was a tenth of a thousand-unit hook.)
fn join_members(yaml: String, members: &[String]) -> String {
    let Some(at) = yaml.find(EMPTY_MEMBERS).filter(|_| !members.is_empty()) else {
        return yaml;
    };
    let plain = |m: &str| {
        m.split_once(':').is_some_and(|(host, port)| {
            host.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                && host
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
        })
    };
    let mut out =
        String::with_capacity(yaml.len() + members.iter().map(|m| m.len() + 5).sum::<usize>());
    out.push_str(&yaml[..at]);
    out.push_str("\n  join_members:\n");
    for m in members {
        out.push_str("  - ");
        if plain(m) {
            out.push_str(m);
        } else {
            out.push_str(serde_yaml::to_string(m).unwrap_or_default().trim_end());
        }
        out.push('\n');
    }
    out.push_str(&yaml[at + EMPTY_MEMBERS.len()..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use charm_interfaces::grammar::Secret;

    fn s3(endpoint: &str) -> S3ConnectionInfo {
        S3ConnectionInfo {
            endpoint: endpoint.into(),
            bucket: "b".into(),
            access_key: Secret::new("a"),
            secret_key: Secret::new("s"),
            region: None,
            tls_ca_chain: None,
        }
    }

    #[test]
    fn s3_endpoint_loses_scheme_and_default_port() {
        for (given, endpoint, insecure) in [
            ("http://10.0.0.9:9000", "10.0.0.9:9000", true),
            ("https://s3.example.com:443", "s3.example.com", false),
            ("minio:80", "minio", true),
            ("s3.example.com", "s3.example.com", true),
        ] {
            let v = s3_section(&s3(given));
            assert_eq!(v["endpoint"], endpoint, "{given}");
            assert_eq!(v["insecure"], insecure, "{given}");
        }
    }

    #[test]
    fn join_members_are_written_as_serde_yaml_writes_them() {
        let members: Vec<String> = [
            "tempo-worker-0.tempo-worker-endpoints.cos.svc.cluster.local",
            "10.1.2.3",
            "[fd00::1]",
            "123",
            "1e5",
            "true",
            "null",
            "a-very-long-host-name-that-goes-beyond-eighty-columns.tempo-worker-endpoints.cos.svc.cluster.local",
        ]
        .iter()
        .map(|h| format!("{h}:{MEMBERLIST_PORT}"))
        .chain(["no-port".to_owned(), "x:".to_owned()])
        .collect();
        let config = |m: &[String]| json!({"a": 1, "memberlist": {"bind_port": 7946, "join_members": m, "tls_enabled": false}, "z": 2});
        let by_serde = serde_yaml::to_string(&config(&members)).expect("yaml");
        let empty = serde_yaml::to_string(&config(&[])).expect("yaml");
        assert!(empty.contains(EMPTY_MEMBERS), "{empty}");
        assert_eq!(join_members(empty.clone(), &members), by_serde);
        assert_eq!(join_members(empty.clone(), &[]), empty);
    }

    #[test]
    fn frontend_address_follows_the_roles() {
        let mut roles = AddressesByRole::new();
        assert_eq!(frontend_address(&roles, 9096), "localhost:9096");
        roles.insert(
            TempoRole::QueryFrontend,
            ["f-0.f-endpoints.cos.svc".into()].into(),
        );
        roles.insert(
            TempoRole::Querier,
            ["q-0.q-endpoints.cos.svc".into()].into(),
        );
        assert_eq!(frontend_address(&roles, 9096), "f-endpoints.cos.svc:9096");
        roles.insert(
            TempoRole::Querier,
            ["f-0.f-endpoints.cos.svc".into()].into(),
        );
        assert_eq!(frontend_address(&roles, 9096), "localhost:9096");
    }
}
