//! The requirer side of `traefik_route` (charms.traefik_k8s.v0.traefik_route), as the Python
//! Tempo coordinator uses it: our application databag carries `config` (Traefik dynamic
//! configuration, YAML), `static` (entry points, YAML) and `raw` (`"False"`); Traefik's
//! application databag carries `external_host` and `scheme`.

use std::collections::BTreeMap;

use serde::Serialize;

use juju_charm::Databag;

/// A port Tempo serves that Traefik should route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerPort {
    /// The protocol name as the Python charm spells it (`tempo_http`, `tempo_grpc`).
    pub protocol: &'static str,
    /// The port.
    pub port: u16,
    /// Whether it speaks gRPC (routed through `h2c://` without TLS).
    pub grpc: bool,
}

impl ServerPort {
    /// The name Traefik sees: underscores become dashes.
    pub fn sanitized(&self) -> String {
        self.protocol.replace('_', "-")
    }
}

/// What the coordinator asks Traefik to route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRequest<'a> {
    /// The model's name.
    pub model: &'a str,
    /// Our application's name.
    pub app: &'a str,
    /// The ports to route, in order.
    pub ports: &'a [ServerPort],
    /// Every coordinator unit's FQDN (ours first, then peers in unit order).
    pub unit_fqdns: &'a [String],
    /// Traefik terminates TLS (`scheme: https`): add the redirect middlewares.
    pub redirect_https: bool,
    /// Our own server has TLS (no certificates relation yet: always false).
    pub tls: bool,
}

#[derive(Serialize)]
struct Dynamic {
    http: Http,
}

#[derive(Serialize)]
struct Http {
    // Fields in sorted order: PyYAML's `safe_dump` sorts keys, and the bytes must be equal
    // so that a `juju refresh` between the charms does not rewrite Traefik's configuration.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    middlewares: BTreeMap<String, Middleware>,
    routers: BTreeMap<String, Router>,
    services: BTreeMap<String, Service>,
}

#[derive(Serialize)]
struct Router {
    #[serde(rename = "entryPoints")]
    entry_points: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    middlewares: Vec<String>,
    rule: &'static str,
    service: String,
}

#[derive(Serialize)]
struct Service {
    #[serde(rename = "loadBalancer")]
    load_balancer: LoadBalancer,
}

#[derive(Serialize)]
struct LoadBalancer {
    servers: Vec<BTreeMap<&'static str, String>>,
}

#[derive(Serialize)]
struct Middleware {
    #[serde(rename = "redirectScheme")]
    redirect_scheme: RedirectScheme,
}

#[derive(Serialize)]
struct RedirectScheme {
    permanent: bool,
    port: u16,
    scheme: &'static str,
}

#[derive(Serialize)]
struct Static {
    #[serde(rename = "entryPoints")]
    entry_points: BTreeMap<String, BTreeMap<&'static str, String>>,
}

impl RouteRequest<'_> {
    /// The dynamic configuration (`config`) as YAML, keys sorted as PyYAML's `safe_dump` sorts them.
    pub fn dynamic_yaml(&self) -> String {
        let prefix = format!("juju-{}-{}", self.model, self.app);
        let mut http = Http {
            routers: BTreeMap::new(),
            services: BTreeMap::new(),
            middlewares: BTreeMap::new(),
        };
        for p in self.ports {
            let proto = p.sanitized();
            let service = format!("{prefix}-service-{proto}");
            let mut middlewares = Vec::new();
            if self.redirect_https {
                let name = format!("{prefix}-middleware-{proto}");
                http.middlewares.insert(
                    name.clone(),
                    Middleware {
                        redirect_scheme: RedirectScheme {
                            permanent: true,
                            port: p.port,
                            scheme: "https",
                        },
                    },
                );
                middlewares.push(name);
            }
            http.routers.insert(
                format!("{prefix}-{proto}"),
                Router {
                    entry_points: vec![proto.clone()],
                    middlewares,
                    rule: "ClientIP(`0.0.0.0/0`)",
                    service: service.clone(),
                },
            );
            let scheme = match (p.grpc, self.tls) {
                (true, false) => "h2c",
                (_, true) => "https",
                (false, false) => "http",
            };
            let servers = self
                .unit_fqdns
                .iter()
                .map(|f| [("url", format!("{scheme}://{f}:{}", p.port))].into())
                .collect();
            http.services.insert(
                service,
                Service {
                    load_balancer: LoadBalancer { servers },
                },
            );
        }
        to_yaml(&Dynamic { http })
    }

    /// The static configuration (`static`): one entry point per port.
    pub fn static_yaml(&self) -> String {
        let entry_points = self
            .ports
            .iter()
            .map(|p| (p.sanitized(), [("address", format!(":{}", p.port))].into()))
            .collect();
        to_yaml(&Static { entry_points })
    }

    /// Our application databag for the relation: `config`, `static`, `raw`.
    pub fn databag(&self) -> Databag {
        [
            ("config".to_owned(), self.dynamic_yaml()),
            ("raw".to_owned(), "False".to_owned()),
            ("static".to_owned(), self.static_yaml()),
        ]
        .into()
    }
}

fn to_yaml<T: Serialize>(v: &T) -> String {
    // Serialising plain maps, strings and numbers cannot fail.
    serde_yaml::to_string(v).unwrap_or_default()
}

/// What Traefik tells us, from its application databag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraefikAddress {
    /// Traefik has not sent both `external_host` and `scheme` yet.
    NotReady,
    /// Traefik's external address.
    Ready {
        /// `http` or `https`.
        scheme: String,
        /// The host (maybe with a port) Traefik is reachable at.
        external_host: String,
    },
}

/// Traefik sent something we cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TraefikDataError {
    /// `scheme` is not http or https.
    #[error("traefik sent scheme `{0}`; expected http or https")]
    Scheme(String),
    /// `external_host` is not a host.
    #[error("traefik sent external_host `{host}`, which is not a host: {reason}")]
    Host {
        /// The host, escaped and truncated.
        host: String,
        /// Why.
        reason: String,
    },
}

/// Reads Traefik's application databag. Values are bounded and escaped in errors.
pub fn traefik_address(remote_app_data: &Databag) -> Result<TraefikAddress, TraefikDataError> {
    let get = |k: &str| {
        remote_app_data
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let (Some(scheme), Some(host)) = (get("scheme"), get("external_host")) else {
        return Ok(TraefikAddress::NotReady);
    };
    let shown = |s: &str| {
        juju_charm::context::truncate(s, 100)
            .escape_debug()
            .to_string()
    };
    if !matches!(scheme, "http" | "https") {
        return Err(TraefikDataError::Scheme(shown(scheme)));
    }
    // A host alone (Tempo's ports follow it in every URL), in its normal form: lower-case,
    // an IPv6 literal bracketed.
    match host.parse::<crate::grammar::Host>() {
        Ok(h) => Ok(TraefikAddress::Ready {
            scheme: scheme.to_owned(),
            external_host: h.to_string(),
        }),
        Err(e) => Err(TraefikDataError::Host {
            host: shown(host),
            reason: format!("it {e} (and carries no scheme, port, path, query or user)"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_traefik_values_are_bounded_and_escaped() {
        let bag: Databag = [
            ("scheme".to_owned(), format!("x\n{}", "y".repeat(5000))),
            ("external_host".to_owned(), "h".into()),
        ]
        .into();
        let msg = traefik_address(&bag).unwrap_err().to_string();
        assert!(!msg.contains('\n') && msg.len() < 300, "{msg}");
    }

    #[test]
    fn address_states() {
        let bag = |pairs: &[(&str, &str)]| -> Databag {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(traefik_address(&bag(&[])), Ok(TraefikAddress::NotReady));
        assert_eq!(
            traefik_address(&bag(&[("scheme", "http")])),
            Ok(TraefikAddress::NotReady)
        );
        assert_eq!(
            traefik_address(&bag(&[("scheme", "https"), ("external_host", "1.2.3.4")])),
            Ok(TraefikAddress::Ready {
                scheme: "https".into(),
                external_host: "1.2.3.4".into()
            })
        );
        assert!(matches!(
            traefik_address(&bag(&[("scheme", "ftp"), ("external_host", "x")])),
            Err(TraefikDataError::Scheme(_))
        ));
        assert_eq!(
            traefik_address(&bag(&[("scheme", "http"), ("external_host", "FD00::1")])),
            Ok(TraefikAddress::Ready {
                scheme: "http".into(),
                external_host: "[fd00::1]".into()
            })
        );
        for host in [
            "bad host",
            "a/b",
            "x:99999",
            "u@h",
            "x:80",
            "$host",
            "a_b",
            "ü.example",
        ] {
            assert!(
                matches!(
                    traefik_address(&bag(&[("scheme", "http"), ("external_host", host)])),
                    Err(TraefikDataError::Host { .. })
                ),
                "{host}"
            );
        }
    }
}
