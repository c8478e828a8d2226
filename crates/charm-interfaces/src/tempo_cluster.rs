//! The `tempo_cluster` interface between a coordinator and its workers, wire-identical to the
//! `coordinated-workers` package (PyPI) that Canonical's `tempo-worker-k8s` runs.
//!
//! Workers write their application's `role` (`"all"`, `"querier"`, or several joined by
//! commas) and each unit's `address` and `juju_topology`; the coordinator's leader answers in
//! its application databag with the worker configuration and where to send telemetry. Every
//! value is JSON-encoded, as cosl's `DatabagModel` writes it (`json.dumps` per field; a field
//! left at its default, `None`, is not written; each write replaces the whole databag).

use serde_json::Value;

use crate::grammar::{AppName, Host, UnitName};
use crate::pyjson;
use juju_charm::Databag;

/// The coordinator's endpoint in the Tempo charms.
pub const DEFAULT_RELATION_NAME: &str = "tempo-cluster";
/// Largest databag value read from a worker (addresses and roles are short).
pub const MAX_VALUE_BYTES: usize = 4096;

/// Every key the coordinator may write, in the model's field order.
pub const PROVIDER_KEYS: [&str; 11] = [
    "worker_config",
    "loki_endpoints",
    "charm_tracing_receivers",
    "workload_tracing_receivers",
    "remote_write_endpoints",
    "worker_ports",
    "ca_cert",
    "server_cert",
    "privkey_secret_id",
    "s3_tls_ca_chain",
    "worker_labels",
];

/// Why a worker's databag was not read (bad remote data: logged and skipped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// A required key is absent.
    #[error("`{0}` is missing")]
    Missing(&'static str),
    /// A value is not JSON.
    #[error("`{key}` is not JSON: `{shown}`")]
    Json {
        /// The key.
        key: &'static str,
        /// The start of the value, escaped.
        shown: String,
    },
    /// JSON of the wrong shape.
    #[error("`{key}` {problem}")]
    Shape {
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
    /// Too long to be real.
    #[error("`{key}` is {bytes} bytes, more than the {max} read")]
    TooLarge {
        /// The key.
        key: &'static str,
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
}

fn shown(s: &str) -> String {
    juju_charm::context::truncate(s, 60)
        .escape_debug()
        .to_string()
}

/// The JSON value under `key`, bounded.
fn field(bag: &Databag, key: &'static str) -> Result<Value, ReadError> {
    let raw = bag.get(key).ok_or(ReadError::Missing(key))?;
    if raw.len() > MAX_VALUE_BYTES {
        return Err(ReadError::TooLarge {
            key,
            bytes: raw.len(),
            max: MAX_VALUE_BYTES,
        });
    }
    serde_json::from_str(raw).map_err(|_| ReadError::Json {
        key,
        shown: shown(raw),
    })
}

fn string(v: Value, key: &'static str) -> Result<String, ReadError> {
    match v {
        Value::String(s) => Ok(s),
        _ => Err(ReadError::Shape {
            key,
            problem: "is not a JSON string",
        }),
    }
}

/// A worker application's databag: its role(s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRequirerAppData {
    /// `all`, one role, or several joined by commas (sorted, as the worker writes them).
    pub role: String,
}

impl ClusterRequirerAppData {
    /// Reads a worker application's databag.
    pub fn from_databag(bag: &Databag) -> Result<Self, ReadError> {
        Ok(Self {
            role: string(field(bag, "role")?, "role")?,
        })
    }

    /// The databag a worker's leader writes.
    pub fn to_databag(&self) -> Databag {
        [("role".to_owned(), json_str(&self.role))].into()
    }

    /// The roles, split on commas.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.role.split(',')
    }
}

/// A worker unit's Juju topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// Its application.
    pub application: String,
    /// The unit, `app/N`.
    pub unit: String,
    /// The charm's name (`tempo-worker-k8s`).
    pub charm_name: String,
}

/// `juju_topology`'s fields the coordinator keeps, for the typed fast path (other keys
/// ignored; a duplicate key or a non-string value fails it and the general path decides).
#[derive(serde::Deserialize)]
struct TopologyFields {
    application: String,
    unit: String,
    charm_name: String,
}

/// A worker unit's databag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterRequirerUnitData {
    /// Where the unit is reached (its pod FQDN), normalised ([`Host`]'s form).
    pub address: String,
    /// Its topology.
    pub juju_topology: Topology,
}

impl ClusterRequirerUnitData {
    /// Reads a worker unit's databag. The address must be a host ([`Host`]: a DNS name or an
    /// IP literal), since it goes into Tempo's and nginx's configuration; it is kept in its
    /// normalised form (lower-case, IPv6 bracketed: `[fd00::1]`, ready for a `:port`).
    pub fn from_databag(bag: &Databag) -> Result<Self, ReadError> {
        let raw = string(field(bag, "address")?, "address")?;
        let address = match raw.parse::<Host>() {
            Ok(h) => h.to_string(),
            Err(_) => {
                return Err(ReadError::Shape {
                    key: "address",
                    problem: "is not a DNS name or an IP address",
                })
            }
        };
        // The common case first, typed (a thousand units read a thousand of these): the
        // three fields as strings, each a Juju name. Anything else goes the general way
        // below, which says what is wrong.
        if let Some(raw) = bag
            .get("juju_topology")
            .filter(|r| r.len() <= MAX_VALUE_BYTES)
        {
            if let Ok(t) = serde_json::from_str::<TopologyFields>(raw) {
                if t.unit.parse::<UnitName>().is_ok()
                    && t.application.parse::<AppName>().is_ok()
                    && t.charm_name.parse::<AppName>().is_ok()
                {
                    return Ok(Self {
                        juju_topology: Topology {
                            application: t.application,
                            unit: t.unit,
                            charm_name: t.charm_name,
                        },
                        address,
                    });
                }
            }
        }
        let Value::Object(t) = field(bag, "juju_topology")? else {
            return Err(ReadError::Shape {
                key: "juju_topology",
                problem: "is not a JSON object",
            });
        };
        // Each a Juju name (the unit's own name is what Juju reports, not this field; these
        // still reach labels and logs, so they hold to Juju's grammar).
        let get = |k: &str| match t.get(k) {
            Some(Value::String(s))
                if match k {
                    "unit" => s.parse::<UnitName>().is_ok(),
                    _ => s.parse::<AppName>().is_ok(),
                } =>
            {
                Ok(s.clone())
            }
            _ => Err(ReadError::Shape {
                key: "juju_topology",
                problem: "lacks an application, unit or charm_name that is a Juju name",
            }),
        };
        Ok(Self {
            juju_topology: Topology {
                application: get("application")?,
                unit: get("unit")?,
                charm_name: get("charm_name")?,
            },
            address,
        })
    }

    /// The databag a worker unit writes.
    pub fn to_databag(&self) -> Databag {
        let t = &self.juju_topology;
        [
            (
                "juju_topology".to_owned(),
                pyjson::dumps_object([
                    ("application", t.application.as_str()),
                    ("unit", t.unit.as_str()),
                    ("charm_name", t.charm_name.as_str()),
                ]),
            ),
            ("address".to_owned(), json_str(&self.address)),
        ]
        .into()
    }
}

/// What the coordinator tells every worker (its application databag).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterProviderAppData {
    /// Tempo's whole configuration, YAML.
    pub worker_config: String,
    /// Loki push endpoints by unit.
    pub loki_endpoints: Option<Vec<(String, String)>>,
    /// Where the worker charm sends its own traces, by protocol.
    pub charm_tracing_receivers: Option<Vec<(String, String)>>,
    /// Where the workload sends its traces, by protocol.
    pub workload_tracing_receivers: Option<Vec<(String, String)>>,
    /// Prometheus remote-write URLs.
    pub remote_write_endpoints: Option<Vec<String>>,
    /// Ports the worker opens.
    pub worker_ports: Option<Vec<u16>>,
    /// TLS: the CA.
    pub ca_cert: Option<String>,
    /// TLS: the server certificate.
    pub server_cert: Option<String>,
    /// TLS: the secret holding the private key.
    pub privkey_secret_id: Option<String>,
    /// The S3 endpoint's CA chain.
    pub s3_tls_ca_chain: Option<String>,
    /// Labels for the worker pods.
    pub worker_labels: Option<Vec<(String, String)>>,
}

fn json_str(s: &str) -> String {
    let mut out = String::new();
    pyjson::push_str(&mut out, s);
    out
}

fn json_map(pairs: &[(String, String)]) -> String {
    pyjson::dumps_object(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// The key of a worker's ports, the one key of [`ClusterProviderAppData`] that differs from
/// worker to worker.
pub const WORKER_PORTS_KEY: &str = "worker_ports";

impl ClusterProviderAppData {
    /// `worker_ports`' value as cosl writes it (`[3200, 7946]`): with
    /// [`WORKER_PORTS_KEY`], what a databag made once for every worker needs per worker.
    pub fn worker_ports_value(ports: &[u16]) -> String {
        let items: Vec<String> = ports.iter().map(u16::to_string).collect();
        format!("[{}]", items.join(", "))
    }

    /// The databag as cosl writes it. Keys of absent fields map to `""`, which deletes them
    /// with `relation-set` (the model's clear-then-write, without reading the bag first).
    pub fn to_databag(&self) -> Databag {
        let mut bag: Databag = PROVIDER_KEYS
            .iter()
            .map(|k| ((*k).to_owned(), String::new()))
            .collect();
        let mut put = |k: &str, v: String| {
            bag.insert(k.to_owned(), v);
        };
        put("worker_config", json_str(&self.worker_config));
        let maps = [
            ("loki_endpoints", &self.loki_endpoints),
            ("charm_tracing_receivers", &self.charm_tracing_receivers),
            (
                "workload_tracing_receivers",
                &self.workload_tracing_receivers,
            ),
            ("worker_labels", &self.worker_labels),
        ];
        for (k, v) in maps {
            if let Some(v) = v {
                put(k, json_map(v));
            }
        }
        if let Some(urls) = &self.remote_write_endpoints {
            let items: Vec<String> = urls
                .iter()
                .map(|u| pyjson::dumps_object([("url", u.as_str())]))
                .collect();
            put("remote_write_endpoints", format!("[{}]", items.join(", ")));
        }
        if let Some(ports) = &self.worker_ports {
            put(WORKER_PORTS_KEY, Self::worker_ports_value(ports));
        }
        let strings = [
            ("ca_cert", &self.ca_cert),
            ("server_cert", &self.server_cert),
            ("privkey_secret_id", &self.privkey_secret_id),
            ("s3_tls_ca_chain", &self.s3_tls_ca_chain),
        ];
        for (k, v) in strings {
            if let Some(v) = v {
                put(k, json_str(v));
            }
        }
        bag
    }

    /// Only the keys actually written (what Juju shows after [`Self::to_databag`]).
    pub fn written(&self) -> Databag {
        let mut bag = self.to_databag();
        bag.retain(|_, v| !v.is_empty());
        bag
    }

    /// Reads the coordinator's databag as the worker's `ClusterRequirer` does.
    pub fn from_databag(bag: &Databag) -> Result<Self, ReadError> {
        let opt = |k: &'static str| -> Result<Option<Value>, ReadError> {
            match bag.get(k) {
                None => Ok(None),
                Some(raw) => serde_json::from_str::<Value>(raw)
                    .map(|v| (!v.is_null()).then_some(v))
                    .map_err(|_| ReadError::Json {
                        key: k,
                        shown: shown(raw),
                    }),
            }
        };
        let shape = |key, problem| ReadError::Shape { key, problem };
        let map = |k: &'static str| -> Result<Option<Vec<(String, String)>>, ReadError> {
            opt(k)?
                .map(|v| match v {
                    Value::Object(o) => o
                        .into_iter()
                        .map(|(k2, v)| match v {
                            Value::String(s) => Ok((k2, s)),
                            _ => Err(shape(k, "has a value that is not a string")),
                        })
                        .collect(),
                    _ => Err(shape(k, "is not a JSON object")),
                })
                .transpose()
        };
        let string_opt = |k: &'static str| -> Result<Option<String>, ReadError> {
            opt(k)?.map(|v| string(v, k)).transpose()
        };
        let worker_config = string(
            opt("worker_config")?.ok_or(ReadError::Missing("worker_config"))?,
            "worker_config",
        )?;
        let remote_write_endpoints = opt("remote_write_endpoints")?
            .map(|v| match v {
                Value::Array(items) => items
                    .into_iter()
                    .map(|i| match i.get("url") {
                        Some(Value::String(s)) => Ok(s.clone()),
                        _ => Err(shape(
                            "remote_write_endpoints",
                            "has an entry without a url",
                        )),
                    })
                    .collect(),
                _ => Err(shape("remote_write_endpoints", "is not a JSON list")),
            })
            .transpose()?;
        let worker_ports = opt("worker_ports")?
            .map(|v| {
                serde_json::from_value::<Vec<u16>>(v)
                    .map_err(|_| shape("worker_ports", "is not a list of ports"))
            })
            .transpose()?;
        Ok(Self {
            worker_config,
            loki_endpoints: map("loki_endpoints")?,
            charm_tracing_receivers: map("charm_tracing_receivers")?,
            workload_tracing_receivers: map("workload_tracing_receivers")?,
            remote_write_endpoints,
            worker_ports,
            ca_cert: string_opt("ca_cert")?,
            server_cert: string_opt("server_cert")?,
            privkey_secret_id: string_opt("privkey_secret_id")?,
            s3_tls_ca_chain: string_opt("s3_tls_ca_chain")?,
            worker_labels: map("worker_labels")?,
        })
    }
}

/// One worker application as the coordinator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerApp {
    /// Its relation id (`tempo-cluster:N`).
    pub relation: juju_charm::RelationId,
    /// The application.
    pub app: String,
    /// Its roles, or why they could not be read.
    pub role: Result<ClusterRequirerAppData, ReadError>,
    /// Each unit with its data, in unit order.
    pub units: Vec<(String, Result<ClusterRequirerUnitData, ReadError>)>,
}

impl WorkerApp {
    /// Whether every unit and the app have published valid data (the coordinator writes to a
    /// relation only then, as `_remote_data_ready` decides).
    pub fn ready(&self) -> bool {
        self.role.is_ok() && !self.units.is_empty() && self.units.iter().all(|(_, d)| d.is_ok())
    }

    /// The valid units' data.
    pub fn valid_units(&self) -> impl Iterator<Item = &ClusterRequirerUnitData> {
        self.units.iter().filter_map(|(_, d)| d.as_ref().ok())
    }
}

/// The order CPython iterates a `set` of small non-negative integers built by adding `items`
/// in order. The Python coordinator writes `worker_ports` as `tuple(a_set)`, so matching its
/// order keeps the databag byte-identical across a `juju refresh` between the two charms (no
/// spurious `relation-changed` on every worker). Duplicates are dropped as a set drops them.
pub fn cpython_set_order(items: &[u16]) -> Vec<u16> {
    const LINEAR_PROBES: usize = 9;
    const PERTURB_SHIFT: u32 = 5;
    fn insert_clean(table: &mut [Option<u16>], key: u16) {
        let mask = table.len() - 1;
        let mut perturb = key as usize;
        let mut i = key as usize & mask;
        loop {
            if table[i].is_none() {
                table[i] = Some(key);
                return;
            }
            if i + LINEAR_PROBES <= mask {
                for j in 1..=LINEAR_PROBES {
                    if table[i + j].is_none() {
                        table[i + j] = Some(key);
                        return;
                    }
                }
            }
            perturb >>= PERTURB_SHIFT;
            i = (i * 5 + 1 + perturb) & mask;
        }
    }
    let mut table: Vec<Option<u16>> = vec![None; 8];
    let mut used = 0usize;
    for &key in items {
        if table.contains(&Some(key)) {
            continue;
        }
        insert_clean(&mut table, key);
        used += 1;
        let mask = table.len() - 1;
        if used * 5 >= mask * 3 {
            let mut size = 8;
            while size <= used * 4 {
                size <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; size]);
            for k in old.into_iter().flatten() {
                insert_clean(&mut table, k);
            }
        }
    }
    table.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_order_is_cpythons() {
        // What CPython 3.11 prints for tuple(s) after s = {7946, 3200}; s.add(p) for each p.
        assert_eq!(
            cpython_set_order(&[7946, 3200, 4318, 9096]),
            [3200, 7946, 9096, 4318]
        );
        assert_eq!(
            cpython_set_order(&[7946, 3200, 14268, 4317, 4318, 9096]),
            [3200, 9096, 7946, 14268, 4317, 4318]
        );
        assert_eq!(cpython_set_order(&[7946, 3200]), [3200, 7946]);
        assert_eq!(cpython_set_order(&[7946, 3200, 3200]), [3200, 7946]);
    }

    #[test]
    fn provider_bag_writes_json_per_field_and_deletes_the_rest() {
        let d = ClusterProviderAppData {
            worker_config: "a: 1\n".into(),
            worker_ports: Some(vec![3200, 7946]),
            remote_write_endpoints: Some(vec!["http://p:9090/api/v1/write".into()]),
            loki_endpoints: Some(vec![]),
            ..Default::default()
        };
        let bag = d.to_databag();
        assert_eq!(bag["worker_config"], r#""a: 1\n""#);
        assert_eq!(bag["worker_ports"], "[3200, 7946]");
        assert_eq!(
            bag["remote_write_endpoints"],
            r#"[{"url": "http://p:9090/api/v1/write"}]"#
        );
        assert_eq!(bag["loki_endpoints"], "{}");
        assert_eq!(bag["ca_cert"], "");
        assert_eq!(ClusterProviderAppData::from_databag(&d.written()), Ok(d));
    }

    #[test]
    fn worker_data_is_validated() {
        let unit = |addr: &str| -> Databag {
            [
                ("address".to_owned(), addr.to_owned()),
                (
                    "juju_topology".to_owned(),
                    r#"{"application": "w", "unit": "w/0", "charm_name": "tempo-worker-k8s"}"#
                        .to_owned(),
                ),
            ]
            .into()
        };
        assert!(ClusterRequirerUnitData::from_databag(&unit(
            "\"w-0.w-endpoints.cos.svc.cluster.local\""
        ))
        .is_ok());
        let norm =
            |addr: &str| ClusterRequirerUnitData::from_databag(&unit(addr)).map(|d| d.address);
        assert_eq!(norm("\"W-0.Cos.SVC.\"").unwrap(), "w-0.cos.svc");
        assert_eq!(norm("\"FD00::1\"").unwrap(), "[fd00::1]");
        assert_eq!(norm("\"[fd00::1]\"").unwrap(), "[fd00::1]");
        assert_eq!(norm("\"10.1.2.3\"").unwrap(), "10.1.2.3");
        for bad in [
            "w-0",
            "\"\"",
            "\"a b\"",
            "\"$(reboot)\"",
            "\"x;\\ny\"",
            "\"a_b.svc\"",
            "\"w:3200\"",
            "\"$host\"",
            "\"1.2.3\"",
        ] {
            assert!(
                ClusterRequirerUnitData::from_databag(&unit(bad)).is_err(),
                "{bad}"
            );
        }
        let role: Databag = [("role".to_owned(), "\"distributor,ingester\"".to_owned())].into();
        let r = ClusterRequirerAppData::from_databag(&role).unwrap();
        assert_eq!(r.roles().collect::<Vec<_>>(), ["distributor", "ingester"]);
        assert_eq!(r.to_databag(), role);
    }
}
