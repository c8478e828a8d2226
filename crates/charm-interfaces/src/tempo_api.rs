//! The `tempo_api` relation interface, wire-identical to the Python library
//! `charms.tempo_coordinator_k8s.v0.tempo_api` (LIBAPI 0, LIBPATCH 4).
//!
//! The provider's application databag holds two keys, `http` and `grpc`, each a JSON object
//! written by Python's `json.dumps`: `{"direct_url": "<url>"}`, plus `"ingress_url": "<url>"`
//! when there is one (left out, not null, when absent). URLs are validated and normalised as
//! pydantic's `AnyHttpUrl` does: WHATWG parsing (the `url` crate, which pydantic-core uses too),
//! http or https only, a host required, no length limit.
//!
//! The requirer decodes *every* value in the databag as JSON before it validates anything,
//! as the library does: one value that is not JSON fails the whole read.

use std::fmt;

use serde_json::Value;

use super::pyjson;
use juju_charm::{Databag, ErrorKind, HookToolError, HookTools, Metadata, RelationId, Runner};

/// The endpoint name the library uses by default.
pub const DEFAULT_RELATION_NAME: &str = "tempo-api";

/// Largest remote databag the requirer will parse (keys and values, in bytes). Real data is a
/// few hundred bytes; anything this large is rejected before any JSON is decoded.
pub const MAX_DATABAG_BYTES: usize = 1 << 20;

/// A URL is not what `AnyHttpUrl` accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlError {
    /// The empty string.
    #[error("the URL is empty")]
    Empty,
    /// WHATWG parsing failed.
    #[error("`{input}` is not a valid URL: {reason}")]
    Parse {
        /// The input, truncated.
        input: String,
        /// The parser's reason.
        reason: url::ParseError,
    },
    /// The scheme is not http or https.
    #[error("`{input}` has scheme `{scheme}`; only http and https are allowed")]
    Scheme {
        /// The input, truncated.
        input: String,
        /// The scheme found.
        scheme: String,
    },
    /// No host.
    #[error("`{input}` has no host")]
    NoHost {
        /// The input, truncated.
        input: String,
    },
}

fn shown(input: &str) -> String {
    juju_charm::context::truncate(input, 200)
        .escape_debug()
        .to_string()
}

/// An http(s) URL, validated and normalised as pydantic's `AnyHttpUrl`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl(url::Url);

impl HttpUrl {
    /// Validates and normalises `input`.
    pub fn parse(input: &str) -> Result<Self, UrlError> {
        if input.is_empty() {
            return Err(UrlError::Empty);
        }
        let url = url::Url::parse(input).map_err(|reason| UrlError::Parse {
            input: shown(input),
            reason,
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UrlError::Scheme {
                input: shown(input),
                scheme: url.scheme().to_owned(),
            });
        }
        if !url.has_host() {
            return Err(UrlError::NoHost {
                input: shown(input),
            });
        }
        Ok(Self(url))
    }

    /// The normalised string, as `str(AnyHttpUrl(...))` gives it.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.0
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The URLs Tempo offers for one protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempoApiUrls {
    /// The cluster-internal URL (`http://<app>.<model>.svc.cluster.local:3200`).
    pub direct_url: HttpUrl,
    /// The URL through the ingress, if there is one.
    pub ingress_url: Option<HttpUrl>,
}

impl TempoApiUrls {
    /// `json.dumps(model_dump(exclude_defaults=True))` of this model.
    pub fn to_json(&self) -> String {
        let mut pairs = vec![("direct_url", self.direct_url.as_str())];
        if let Some(i) = &self.ingress_url {
            pairs.push(("ingress_url", i.as_str()));
        }
        pyjson::dumps_object(pairs)
    }
}

/// What the provider publishes: the URLs for HTTP and for gRPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TempoApiAppData {
    /// Tempo's HTTP API.
    pub http: TempoApiUrls,
    /// Tempo's gRPC API.
    pub grpc: TempoApiUrls,
}

/// Data that does not make a valid [`TempoApiAppData`]: from our own arguments or a remote databag.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// One or more URLs are invalid (every one is listed, as pydantic lists them).
    #[error("{} invalid: {}", if .0.len() == 1 { "1 URL is" } else { "URLs are" }, list(.0))]
    Urls(Vec<(String, UrlError)>),
    /// The databag is larger than [`MAX_DATABAG_BYTES`]; nothing was parsed.
    #[error("the databag holds {bytes} bytes, more than the {max} this reader accepts")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A value is not JSON.
    #[error("the value of key `{key}` is not JSON: {reason}")]
    Json {
        /// The databag key.
        key: String,
        /// The decoder's message.
        reason: String,
    },
    /// The JSON does not have the model's shape.
    #[error("`{field}` {problem}")]
    Shape {
        /// Where (`http`, `grpc.direct_url`).
        field: String,
        /// What is wrong.
        problem: &'static str,
    },
}

fn list(errors: &[(String, UrlError)]) -> String {
    errors
        .iter()
        .map(|(f, e)| format!("`{f}`: {e}"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl TempoApiAppData {
    /// Validates the four URLs as `TempoApiProvider.publish()` does. An empty ingress string
    /// is an error, not "absent"; use `None` for absent.
    pub fn new(
        direct_url_http: &str,
        direct_url_grpc: &str,
        ingress_url_http: Option<&str>,
        ingress_url_grpc: Option<&str>,
    ) -> Result<Self, DataError> {
        let mut errors = Vec::new();
        let mut check = |field: &str, s: &str| match HttpUrl::parse(s) {
            Ok(u) => Some(u),
            Err(e) => {
                errors.push((field.to_owned(), e));
                None
            }
        };
        let dh = check("http.direct_url", direct_url_http);
        let ih = ingress_url_http.map(|s| check("http.ingress_url", s));
        let dg = check("grpc.direct_url", direct_url_grpc);
        let ig = ingress_url_grpc.map(|s| check("grpc.ingress_url", s));
        match (dh, ih, dg, ig) {
            (Some(dh), ih, Some(dg), ig) if errors.is_empty() => Ok(Self {
                http: TempoApiUrls {
                    direct_url: dh,
                    ingress_url: ih.flatten(),
                },
                grpc: TempoApiUrls {
                    direct_url: dg,
                    ingress_url: ig.flatten(),
                },
            }),
            _ => Err(DataError::Urls(errors)),
        }
    }

    /// The application databag, byte for byte what the Python library writes.
    pub fn to_databag(&self) -> Databag {
        [
            ("http".to_owned(), self.http.to_json()),
            ("grpc".to_owned(), self.grpc.to_json()),
        ]
        .into()
    }

    /// Reads a remote application databag as `TempoApiRequirer.get_data()` does:
    /// `Ok(None)` when it is empty, `Ok(Some)` when valid, `Err` otherwise.
    pub fn from_databag(bag: &Databag) -> Result<Option<Self>, DataError> {
        if bag.is_empty() {
            return Ok(None);
        }
        let bytes: usize = bag.iter().map(|(k, v)| k.len() + v.len()).sum();
        if bytes > MAX_DATABAG_BYTES {
            return Err(DataError::TooLarge {
                bytes,
                max: MAX_DATABAG_BYTES,
            });
        }
        // Every value is decoded, unknown keys included (serde_json bounds nesting at 128).
        let mut decoded = std::collections::BTreeMap::new();
        for (k, v) in bag {
            let value: Value = serde_json::from_str(v).map_err(|e| DataError::Json {
                key: shown(k),
                reason: e.to_string(),
            })?;
            decoded.insert(k.as_str(), value);
        }
        let mut errors = Vec::new();
        let http = urls_from(decoded.get("http"), "http", &mut errors)?;
        let grpc = urls_from(decoded.get("grpc"), "grpc", &mut errors)?;
        match (http, grpc) {
            (Some(http), Some(grpc)) if errors.is_empty() => Ok(Some(Self { http, grpc })),
            _ => Err(DataError::Urls(errors)),
        }
    }
}

/// One `TempoApiUrls` from decoded JSON. Shape errors return at once; URL errors are collected.
fn urls_from(
    value: Option<&Value>,
    field: &str,
    errors: &mut Vec<(String, UrlError)>,
) -> Result<Option<TempoApiUrls>, DataError> {
    let shape = |problem| DataError::Shape {
        field: field.to_owned(),
        problem,
    };
    let obj = match value {
        None => return Err(shape("is missing")),
        Some(Value::Object(o)) => o,
        Some(_) => return Err(shape("is not a JSON object")),
    };
    let url_at =
        |name: &str, errors: &mut Vec<(String, UrlError)>| -> Result<Option<HttpUrl>, DataError> {
            let path = format!("{field}.{name}");
            match obj.get(name) {
                Some(Value::String(s)) => match HttpUrl::parse(s) {
                    Ok(u) => Ok(Some(u)),
                    Err(e) => {
                        errors.push((path, e));
                        Ok(None)
                    }
                },
                None if name == "direct_url" => Err(DataError::Shape {
                    field: path,
                    problem: "is missing",
                }),
                None | Some(Value::Null) if name == "ingress_url" => Ok(None),
                _ => Err(DataError::Shape {
                    field: path,
                    problem: "is not a string",
                }),
            }
        };
    let direct = url_at("direct_url", errors)?;
    let ingress = url_at("ingress_url", errors)?;
    Ok(direct.map(|direct_url| TempoApiUrls {
        direct_url,
        ingress_url: ingress,
    }))
}

/// `publish()` refused, or writing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The URLs are invalid; nothing was written.
    #[error("not publishing tempo-api data")]
    Invalid(#[source] DataError),
    /// This unit is not the leader; only the leader writes the application databag.
    #[error("only the leader can publish to `{relation_name}`; this unit is not the leader, nothing was written")]
    NotLeader {
        /// The endpoint.
        relation_name: String,
    },
    /// A hook tool failed.
    #[error("publishing to `{relation_name}` failed")]
    Tool {
        /// The endpoint.
        relation_name: String,
        /// The tool's error.
        #[source]
        source: HookToolError,
    },
}

/// The provider side: publishes Tempo's URLs to every related application.
pub struct TempoApiProvider<'a, R> {
    tools: &'a HookTools<R>,
    relation_name: String,
    app: String,
}

impl<'a, R: Runner> TempoApiProvider<'a, R> {
    /// A provider for `relation_name`, writing as application `app`.
    pub fn new(tools: &'a HookTools<R>, relation_name: &str, app: &str) -> Self {
        Self {
            tools,
            relation_name: relation_name.to_owned(),
            app: app.to_owned(),
        }
    }

    /// The application this provider writes as.
    pub fn app(&self) -> &str {
        &self.app
    }

    /// The relations on the endpoint (`relation-ids`).
    pub fn relations(&self) -> Result<Vec<RelationId>, HookToolError> {
        self.tools.relation_ids(&self.relation_name)
    }

    /// Validates the URLs and writes them to every relation, one `relation-set` each.
    /// With no relation it writes nothing and succeeds; as a non-leader with a relation it
    /// fails with [`PublishError::NotLeader`] and writes nothing. Returns the relations written.
    pub fn publish(
        &self,
        direct_url_http: &str,
        direct_url_grpc: &str,
        ingress_url_http: Option<&str>,
        ingress_url_grpc: Option<&str>,
    ) -> Result<usize, PublishError> {
        let data = TempoApiAppData::new(
            direct_url_http,
            direct_url_grpc,
            ingress_url_http,
            ingress_url_grpc,
        )
        .map_err(PublishError::Invalid)?;
        let relations = self.relations().map_err(|source| self.tool_error(source))?;
        self.publish_to(&relations, &data)
    }

    /// Writes `data` to the given relations (already listed by the caller), skipping any that
    /// vanish while the hook runs. Returns how many were written.
    pub fn publish_to(
        &self,
        relations: &[RelationId],
        data: &TempoApiAppData,
    ) -> Result<usize, PublishError> {
        if relations.is_empty() {
            return Ok(0);
        }
        if !self
            .tools
            .is_leader()
            .map_err(|source| self.tool_error(source))?
        {
            return Err(PublishError::NotLeader {
                relation_name: self.relation_name.clone(),
            });
        }
        let bag = data.to_databag();
        let mut written = 0;
        for r in relations {
            match self.tools.relation_set_app(r, &bag) {
                Ok(()) => written += 1,
                // Removed while this hook runs: nothing to publish to any more.
                Err(e) if e.kind() == ErrorKind::RelationNotFound => {
                    tracing::warn!(relation = %r, "relation vanished during the hook; not publishing to it");
                }
                Err(source) => return Err(self.tool_error(source)),
            }
        }
        Ok(written)
    }

    fn tool_error(&self, source: HookToolError) -> PublishError {
        if source.kind() == ErrorKind::NotLeader {
            return PublishError::NotLeader {
                relation_name: self.relation_name.clone(),
            };
        }
        PublishError::Tool {
            relation_name: self.relation_name.clone(),
            source,
        }
    }
}

/// The endpoint is not declared as the requirer needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequirerSetupError {
    /// Not under `requires:` in metadata.yaml.
    #[error("relation `{relation_name}` not found under `requires` in metadata.yaml")]
    NotRequired {
        /// The endpoint.
        relation_name: String,
    },
    /// `limit:` is not 1.
    #[error("relation `{relation_name}`: TempoApiRequirer relates to a single application and needs `limit: 1` in metadata.yaml")]
    LimitNotOne {
        /// The endpoint.
        relation_name: String,
    },
}

/// Reading the provider's data failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequirerError {
    /// The remote data is invalid (bad remote data: a status, not a hook failure).
    #[error("invalid tempo-api data from `{app}` on `{relation}`")]
    Invalid {
        /// The relation read.
        relation: RelationId,
        /// The remote application.
        app: String,
        /// What is wrong.
        #[source]
        source: DataError,
    },
    /// A hook tool failed.
    #[error("reading tempo-api data failed")]
    Tool(#[from] HookToolError),
}

/// The requirer side: reads Tempo's URLs from the one related provider.
pub struct TempoApiRequirer<'a, R> {
    tools: &'a HookTools<R>,
    relation_name: String,
    remote_app_hint: Option<(RelationId, String)>,
}

impl<'a, R: Runner> TempoApiRequirer<'a, R> {
    /// A requirer for `relation_name`; fails unless metadata.yaml declares it under
    /// `requires` with `limit: 1`, as the Python library does.
    pub fn new(
        tools: &'a HookTools<R>,
        metadata: &Metadata,
        relation_name: &str,
    ) -> Result<Self, RequirerSetupError> {
        let endpoint = metadata
            .endpoint(relation_name)
            .filter(|e| e.role == juju_charm::metadata::Role::Requires)
            .ok_or_else(|| RequirerSetupError::NotRequired {
                relation_name: relation_name.to_owned(),
            })?;
        if !endpoint.limit_is_one() {
            return Err(RequirerSetupError::LimitNotOne {
                relation_name: relation_name.to_owned(),
            });
        }
        Ok(Self {
            tools,
            relation_name: relation_name.to_owned(),
            remote_app_hint: None,
        })
    }

    /// Tells the requirer the remote app of the hook's own relation (`JUJU_REMOTE_APP`),
    /// saving a `relation-list --app` call, as ops does.
    pub fn with_remote_app(mut self, relation: RelationId, app: String) -> Self {
        self.remote_app_hint = Some((relation, app));
        self
    }

    /// The relations on the endpoint (at most one with `limit: 1`).
    pub fn relations(&self) -> Result<Vec<RelationId>, HookToolError> {
        self.tools.relation_ids(&self.relation_name)
    }

    /// The provider's data: `Ok(None)` with no relation or no data yet, `Ok(Some)` when valid.
    pub fn get_data(&self) -> Result<Option<TempoApiAppData>, RequirerError> {
        let relations = self.relations()?;
        let Some(relation) = relations.into_iter().next() else {
            return Ok(None);
        };
        let known = self
            .remote_app_hint
            .as_ref()
            .filter(|(r, _)| *r == relation)
            .map(|(_, app)| app.as_str());
        let Some((app, bag)) = self.tools.remote_app_databag(&relation, known)? else {
            return Ok(None);
        };
        TempoApiAppData::from_databag(&bag).map_err(|source| RequirerError::Invalid {
            relation,
            app,
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_any_http_url() {
        for (input, out) in [
            (
                "http://tempo.cos.svc.cluster.local:3200",
                "http://tempo.cos.svc.cluster.local:3200/",
            ),
            ("HTTPS://Tempo.Example:443/x", "https://tempo.example/x"),
            ("http:tempo:3200", "http://tempo:3200/"),
        ] {
            assert_eq!(HttpUrl::parse(input).unwrap().as_str(), out);
        }
        assert_eq!(HttpUrl::parse(""), Err(UrlError::Empty));
        assert!(matches!(
            HttpUrl::parse("ftp://x"),
            Err(UrlError::Scheme { .. })
        ));
        assert!(matches!(
            HttpUrl::parse("http://"),
            Err(UrlError::Parse { .. })
        ));
    }

    #[test]
    fn databag_leaves_out_absent_ingress() {
        let d = TempoApiAppData::new(
            "http://a:3200",
            "http://a:9096",
            Some("https://t.example"),
            None,
        )
        .unwrap();
        let bag = d.to_databag();
        assert_eq!(
            bag["http"],
            r#"{"direct_url": "http://a:3200/", "ingress_url": "https://t.example/"}"#
        );
        assert_eq!(bag["grpc"], r#"{"direct_url": "http://a:9096/"}"#);
        assert_eq!(TempoApiAppData::from_databag(&bag).unwrap(), Some(d));
    }

    #[test]
    fn every_invalid_url_is_listed() {
        let e = TempoApiAppData::new("ftp://x", "http://a", Some("not a url"), None).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("http.direct_url") && msg.contains("http.ingress_url"),
            "{msg}"
        );
        assert!(matches!(e, DataError::Urls(ref v) if v.len() == 2));
    }

    #[test]
    fn oversized_databag_is_refused_before_parsing() {
        let bag: Databag = [("http".to_owned(), "x".repeat(10 << 20))].into();
        assert!(matches!(
            TempoApiAppData::from_databag(&bag),
            Err(DataError::TooLarge { .. })
        ));
    }

    use charm_sim::inprocess::SimRunner;
    use charm_sim::model::{HookCtx, Model};
    use charm_sim::State;

    fn tools(yaml: &str) -> HookTools<SimRunner> {
        let state = State::from_yaml(yaml).expect("state");
        HookTools::new(SimRunner::new(Model::new(state, HookCtx::default())))
    }

    fn calls(t: &HookTools<SimRunner>) -> Vec<String> {
        t.runner()
            .clone()
            .into_model()
            .calls()
            .iter()
            .map(|c| format!("{} {}", c.tool, c.args.join(" ")))
            .collect()
    }

    const TWO: &str = "relations:\n  - {id: 1, endpoint: tempo-api, remote_app: a}\n  - {id: 2, endpoint: tempo-api, remote_app: b}\n";

    #[test]
    fn provider_publishes_one_relation_set_per_relation() {
        let t = tools(&format!("unit: tempo/0\nleader: true\n{TWO}"));
        let p = TempoApiProvider::new(&t, DEFAULT_RELATION_NAME, "tempo");
        assert_eq!(
            p.publish("http://h:3200", "http://h:9096", None, None)
                .unwrap(),
            2
        );
        let c = calls(&t);
        assert_eq!(c[0], "relation-ids tempo-api --format=json");
        assert_eq!(c[1], "is-leader --format=json");
        assert_eq!(
            &c[2..],
            [
                "relation-set -r tempo-api:1 --app --file -",
                "relation-set -r tempo-api:2 --app --file -"
            ]
        );
    }

    #[test]
    fn provider_refuses_as_non_leader_and_writes_nothing() {
        let t = tools(&format!("unit: tempo/1\nleader: false\n{TWO}"));
        let p = TempoApiProvider::new(&t, DEFAULT_RELATION_NAME, "tempo");
        let e = p
            .publish("http://h:3200", "http://h:9096", None, None)
            .unwrap_err();
        assert!(matches!(e, PublishError::NotLeader { .. }), "{e}");
        assert!(!calls(&t).iter().any(|c| c.starts_with("relation-set")));
    }

    #[test]
    fn provider_with_no_relation_does_nothing_and_invalid_urls_make_no_call() {
        let t = tools("unit: tempo/1\nleader: false\n");
        let p = TempoApiProvider::new(&t, DEFAULT_RELATION_NAME, "tempo");
        assert_eq!(
            p.publish("http://h:3200", "http://h:9096", None, None)
                .unwrap(),
            0
        );
        assert_eq!(calls(&t), ["relation-ids tempo-api --format=json"]);
        let t = tools(&format!("unit: tempo/0\nleader: true\n{TWO}"));
        let p = TempoApiProvider::new(&t, DEFAULT_RELATION_NAME, "tempo");
        assert!(matches!(
            p.publish("ftp://h", "http://h:9096", Some(""), None),
            Err(PublishError::Invalid(_))
        ));
        assert!(calls(&t).is_empty());
    }

    fn meta(limit: &str) -> Metadata {
        let text = format!("name: t\nrequires:\n  tempo-api: {{interface: tempo_api{limit}}}\n");
        Metadata::parse(&text, std::path::Path::new("metadata.yaml")).unwrap()
    }

    #[test]
    fn requirer_needs_limit_one() {
        let t = tools("unit: t/0\n");
        assert!(TempoApiRequirer::new(&t, &meta(", limit: 1"), DEFAULT_RELATION_NAME).is_ok());
        let e = TempoApiRequirer::new(&t, &meta(""), DEFAULT_RELATION_NAME)
            .err()
            .unwrap();
        assert!(
            e.to_string().contains("`tempo-api`") && e.to_string().contains("limit: 1"),
            "{e}"
        );
        assert!(TempoApiRequirer::new(&t, &meta(", limit: 2"), DEFAULT_RELATION_NAME).is_err());
        assert!(matches!(
            TempoApiRequirer::new(&t, &meta(", limit: 1"), "other"),
            Err(RequirerSetupError::NotRequired { .. })
        ));
    }

    #[test]
    fn requirer_get_data_none_some_err() {
        let none = tools("unit: t/0\n");
        assert_eq!(
            TempoApiRequirer::new(&none, &meta(", limit: 1"), "tempo-api")
                .unwrap()
                .get_data()
                .unwrap(),
            None
        );
        let empty =
            tools("unit: t/0\nrelations: [{id: 4, endpoint: tempo-api, remote_app: tempo}]\n");
        assert_eq!(
            TempoApiRequirer::new(&empty, &meta(", limit: 1"), "tempo-api")
                .unwrap()
                .get_data()
                .unwrap(),
            None
        );
        let data = TempoApiAppData::new("http://h:3200", "http://h:9096", None, None).unwrap();
        let bag = serde_json::to_string(&data.to_databag()).unwrap();
        let full = tools(&format!("unit: t/0\nrelations: [{{id: 4, endpoint: tempo-api, remote_app: tempo, remote_app_data: {bag}}}]\n"));
        assert_eq!(
            TempoApiRequirer::new(&full, &meta(", limit: 1"), "tempo-api")
                .unwrap()
                .get_data()
                .unwrap(),
            Some(data)
        );
        let bad = tools("unit: t/0\nrelations: [{id: 4, endpoint: tempo-api, remote_app: tempo, remote_app_data: {http: nope}}]\n");
        let e = TempoApiRequirer::new(&bad, &meta(", limit: 1"), "tempo-api")
            .unwrap()
            .get_data()
            .unwrap_err();
        assert!(matches!(e, RequirerError::Invalid { .. }), "{e}");
    }

    #[test]
    fn hostile_input_is_truncated_and_escaped_in_messages() {
        let hostile = format!("http://a b\n{}", "x".repeat(10_000));
        let msg = HttpUrl::parse(&hostile).unwrap_err().to_string();
        assert!(!msg.contains('\n') && msg.contains("\\n"), "{msg}");
        assert!(msg.len() < 400, "{} bytes", msg.len());
    }

    #[test]
    fn shape_errors_name_the_field() {
        let bag: Databag = [
            ("http".to_owned(), r#"{"direct_url": 1}"#.to_owned()),
            ("grpc".to_owned(), "{}".to_owned()),
        ]
        .into();
        let e = TempoApiAppData::from_databag(&bag).unwrap_err();
        assert_eq!(e.to_string(), "`http.direct_url` is not a string");
    }
}
