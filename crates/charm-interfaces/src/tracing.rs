//! The `tracing` interface, both sides, wire-identical to the Python library
//! `charms.tempo_coordinator_k8s.v0.tracing` (LIBAPI 0, LIBPATCH 11).
//!
//! A requirer (a charm that sends traces) writes the protocols it wants into its application
//! databag under `receivers`, as a JSON list of names; the provider (Tempo) answers in its
//! application databag under `receivers` with a JSON list of `{protocol: {name, type}, url}`.
//! Both values are written as Python's `json.dumps` writes them, and every write replaces the
//! whole databag, as the library's does.
//!
//! Reads accept and refuse what the library does: only the `receivers` key is looked at; one bad
//! entry makes the whole databag invalid. The pure halves ([`TracingRequirerAppData`],
//! [`TracingProviderAppData`]) are usable without hook tools; [`TracingEndpointProvider`] and
//! [`TracingEndpointRequirer`] add the library's API over [`HookTools`].

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::pyjson;
use juju_charm::metadata::{Metadata, Role};
use juju_charm::{Databag, ErrorKind, HookToolError, HookTools, RelationId, Runner};

/// The library's default endpoint name.
pub const DEFAULT_RELATION_NAME: &str = "tracing";
/// The interface name the library checks for.
pub const INTERFACE: &str = "tracing";
/// The one key either side writes.
pub const RECEIVERS_KEY: &str = "receivers";
/// The largest `receivers` value read (the library has no bound; Juju's own limit is far
/// larger, but no sane request or answer comes near this).
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// How a receiver is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportProtocolType {
    /// HTTP (URLs carry a scheme).
    Http,
    /// gRPC (URLs are `host:port`).
    Grpc,
}

impl TransportProtocolType {
    /// The wire value: `http` or `grpc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Grpc => "grpc",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "http" => Some(Self::Http),
            "grpc" => Some(Self::Grpc),
            _ => None,
        }
    }
}

/// A receiver protocol the library knows, sorted by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReceiverProtocol {
    /// `jaeger_grpc`.
    JaegerGrpc,
    /// `jaeger_thrift_http`.
    JaegerThriftHttp,
    /// `otlp_grpc`.
    OtlpGrpc,
    /// `otlp_http`.
    OtlpHttp,
    /// `zipkin`.
    Zipkin,
}

impl ReceiverProtocol {
    /// All five, sorted by name.
    pub const ALL: [Self; 5] = [
        Self::JaegerGrpc,
        Self::JaegerThriftHttp,
        Self::OtlpGrpc,
        Self::OtlpHttp,
        Self::Zipkin,
    ];

    /// The wire name (`otlp_grpc`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::JaegerGrpc => "jaeger_grpc",
            Self::JaegerThriftHttp => "jaeger_thrift_http",
            Self::OtlpGrpc => "otlp_grpc",
            Self::OtlpHttp => "otlp_http",
            Self::Zipkin => "zipkin",
        }
    }

    /// The protocol named exactly `name` (case-sensitive, no trimming).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == name)
    }

    /// The library's protocol-to-transport table.
    pub fn transport(self) -> TransportProtocolType {
        match self {
            Self::OtlpGrpc | Self::JaegerGrpc => TransportProtocolType::Grpc,
            Self::Zipkin | Self::OtlpHttp | Self::JaegerThriftHttp => TransportProtocolType::Http,
        }
    }
}

impl fmt::Display for ReceiverProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A receiver's protocol as a provider publishes it; a reader accepts any `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolType {
    /// The protocol name (one of the five when we write; any string when read).
    pub name: String,
    /// Its transport.
    pub transport: TransportProtocolType,
}

/// One receiver: a protocol and the URL to send to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receiver {
    /// The protocol.
    pub protocol: ProtocolType,
    /// Where to send (`http://host:4318` or, for gRPC, `host:4317`); any string.
    pub url: String,
}

/// Why a databag was not read as valid tracing data (bad remote data: never a hook failure).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No `receivers` key.
    #[error("the databag has no `receivers` key")]
    Missing,
    /// Too large to read.
    #[error("`receivers` is {bytes} bytes, more than the {max} read")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The bound.
        max: usize,
    },
    /// Not JSON.
    #[error("`receivers` is not JSON ({reason}): `{shown}`")]
    Json {
        /// The parser's reason.
        reason: String,
        /// The start of the value, escaped.
        shown: String,
    },
    /// JSON of the wrong shape.
    #[error("`receivers` {problem}")]
    Shape {
        /// What is wrong, naming the entry.
        problem: String,
    },
}

fn shown(s: &str) -> String {
    juju_charm::context::truncate(s, 60)
        .escape_debug()
        .to_string()
}

/// Decodes the `receivers` value as the library does (CPython's `json.loads`, then
/// pydantic-core): bounded in size; serde_json refuses what CPython also refuses (BOM,
/// trailing commas, raw control characters, lone surrogates) and, beyond CPython, `NaN`,
/// `Infinity` and nesting past 128 levels, which the vectors allow a reader to refuse.
fn decode(bag: &Databag) -> Result<Value, ReadError> {
    let raw = bag.get(RECEIVERS_KEY).ok_or(ReadError::Missing)?;
    if raw.len() > MAX_VALUE_BYTES {
        return Err(ReadError::TooLarge {
            bytes: raw.len(),
            max: MAX_VALUE_BYTES,
        });
    }
    serde_json::from_str(raw).map_err(|e| ReadError::Json {
        reason: e.to_string(),
        shown: shown(raw),
    })
}

fn shape(problem: impl Into<String>) -> ReadError {
    ReadError::Shape {
        problem: problem.into(),
    }
}

/// What a requirer asks for: its application databag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracingRequirerAppData {
    /// The protocols requested, in the order written (duplicates kept, as the library does).
    pub receivers: Vec<ReceiverProtocol>,
}

impl TracingRequirerAppData {
    /// The databag: `{"receivers": "[\"otlp_grpc\", ...]"}`.
    pub fn to_databag(&self) -> Databag {
        let mut s = String::from("[");
        for (i, p) in self.receivers.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            pyjson::push_str(&mut s, p.as_str());
        }
        s.push(']');
        [(RECEIVERS_KEY.to_owned(), s)].into()
    }

    /// Reads a requirer's databag: valid when `receivers` is a JSON list of the five names.
    pub fn from_databag(bag: &Databag) -> Result<Self, ReadError> {
        let Value::Array(items) = decode(bag)? else {
            return Err(shape("is not a JSON list"));
        };
        let receivers = items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => ReceiverProtocol::from_name(s).ok_or_else(|| {
                    shape(format!(
                        "entry {i} `{}` is not one of zipkin, otlp_grpc, otlp_http, jaeger_grpc, jaeger_thrift_http",
                        shown(s)
                    ))
                }),
                _ => Err(shape(format!("entry {i} is not a string"))),
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { receivers })
    }
}

/// What the provider answers: its application databag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TracingProviderAppData {
    /// The receivers, in the order written.
    pub receivers: Vec<Receiver>,
}

impl TracingProviderAppData {
    /// The receivers for `(protocol name, url)` pairs, typed by the library's table; an
    /// unknown name is refused (the library's `KeyError`).
    pub fn from_pairs<P: AsRef<str>, U: AsRef<str>>(
        pairs: &[(P, U)],
    ) -> Result<Self, UnknownProtocol> {
        let receivers = pairs
            .iter()
            .map(|(p, url)| {
                let protocol = ReceiverProtocol::from_name(p.as_ref())
                    .ok_or_else(|| UnknownProtocol(shown(p.as_ref())))?;
                Ok(Receiver {
                    protocol: ProtocolType {
                        name: protocol.as_str().to_owned(),
                        transport: protocol.transport(),
                    },
                    url: url.as_ref().to_owned(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { receivers })
    }

    /// The `receivers` value as `json.dumps` writes it.
    pub fn to_json(&self) -> String {
        let mut s = String::from("[");
        for (i, r) in self.receivers.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str("{\"protocol\": {\"name\": ");
            pyjson::push_str(&mut s, &r.protocol.name);
            s.push_str(", \"type\": \"");
            s.push_str(r.protocol.transport.as_str());
            s.push_str("\"}, \"url\": ");
            pyjson::push_str(&mut s, &r.url);
            s.push('}');
        }
        s.push(']');
        s
    }

    /// The databag: `{"receivers": <to_json>}`.
    pub fn to_databag(&self) -> Databag {
        [(RECEIVERS_KEY.to_owned(), self.to_json())].into()
    }

    /// Reads a provider's databag as the library does: `receivers` a list of objects with
    /// `protocol.name` (any string), `protocol.type` (`http` or `grpc`) and `url` (any string).
    pub fn from_databag(bag: &Databag) -> Result<Self, ReadError> {
        let Value::Array(items) = decode(bag)? else {
            return Err(shape("is not a JSON list"));
        };
        let string = |v: Option<&Value>, i: usize, what: &str| match v {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(shape(format!("entry {i}: `{what}` is not a string"))),
            None => Err(shape(format!("entry {i}: `{what}` is missing"))),
        };
        let receivers = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let Value::Object(obj) = item else {
                    return Err(shape(format!("entry {i} is not an object")));
                };
                let Some(Value::Object(protocol)) = obj.get("protocol") else {
                    return Err(shape(format!("entry {i}: `protocol` is not an object")));
                };
                let name = string(protocol.get("name"), i, "protocol.name")?;
                let kind = string(protocol.get("type"), i, "protocol.type")?;
                let transport = TransportProtocolType::parse(&kind).ok_or_else(|| {
                    shape(format!(
                        "entry {i}: `protocol.type` `{}` is not http or grpc",
                        shown(&kind)
                    ))
                })?;
                Ok(Receiver {
                    protocol: ProtocolType { name, transport },
                    url: string(obj.get("url"), i, "url")?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { receivers })
    }
}

/// A protocol name outside the five.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a receiver protocol (zipkin, otlp_grpc, otlp_http, jaeger_grpc, jaeger_thrift_http)")]
pub struct UnknownProtocol(pub String);

/// The endpoint is not declared as the library needs (its constructor's checks).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// No such endpoint (`RelationNotFoundError`).
    #[error("metadata.yaml declares no relation `{0}`")]
    NotFound(String),
    /// Another interface (`RelationInterfaceMismatchError`).
    #[error("relation `{relation}` has interface `{found}`, not `tracing`")]
    InterfaceMismatch {
        /// The endpoint.
        relation: String,
        /// Its interface.
        found: String,
    },
    /// On the wrong side (`RelationRoleMismatchError`).
    #[error("relation `{relation}` must be declared under `{expected}` in metadata.yaml")]
    RoleMismatch {
        /// The endpoint.
        relation: String,
        /// `provides` or `requires`.
        expected: &'static str,
    },
    /// The requirer's read API needs `limit: 1` (`AmbiguousRelationUsageError`).
    #[error("relation `{0}`: the tracing requirer reads one provider and needs `limit: 1` in metadata.yaml")]
    Ambiguous(String),
}

fn check_metadata(metadata: &Metadata, name: &str, role: Role) -> Result<(), SetupError> {
    let ep = metadata
        .endpoint(name)
        .ok_or_else(|| SetupError::NotFound(name.to_owned()))?;
    if ep.interface != INTERFACE {
        return Err(SetupError::InterfaceMismatch {
            relation: name.to_owned(),
            found: ep.interface.clone(),
        });
    }
    if ep.role != role {
        return Err(SetupError::RoleMismatch {
            relation: name.to_owned(),
            expected: if role == Role::Provides {
                "provides"
            } else {
                "requires"
            },
        });
    }
    Ok(())
}

/// A write refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// Only the leader writes application data (`RuntimeError` /
    /// `DataAccessPermissionError` in the library).
    #[error(
        "only the leader can write to `{0}`; this unit is not the leader, nothing was written"
    )]
    NotLeader(String),
    /// A protocol name outside the five (`KeyError` / `ValidationError`).
    #[error(transparent)]
    UnknownProtocol(#[from] UnknownProtocol),
    /// `request_protocols` with an empty list (`ValueError`).
    #[error("no protocols to request: ask for at least one of zipkin, otlp_grpc, otlp_http, jaeger_grpc, jaeger_thrift_http")]
    Empty,
    /// The endpoint is not declared as the library needs.
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// A hook tool failed.
    #[error("writing tracing data failed")]
    Tool(#[source] HookToolError),
}

/// Replaces our application databag on `relation` with `bag`: one read of what is there (to
/// delete the other keys, as the library's clear-then-write does) and one `relation-set`.
/// Returns false when the relation vanished mid-hook.
fn replace_app_bag<R: Runner>(
    tools: &HookTools<R>,
    app: &str,
    relation: &RelationId,
    bag: &Databag,
) -> Result<bool, WriteError> {
    let vanished = |e: &HookToolError| e.kind() == ErrorKind::RelationNotFound;
    let existing = match tools.relation_get_app(relation, app) {
        Ok(b) => b,
        Err(e) if vanished(&e) => return Ok(false),
        Err(e) => return Err(WriteError::Tool(e)),
    };
    if existing == *bag {
        // Already there: the databag ends the same without a write (and a relation-changed
        // on the other side for nothing).
        return Ok(true);
    }
    let mut write = bag.clone();
    for k in existing.keys() {
        write.entry(k.clone()).or_default();
    }
    match tools.relation_set_app(relation, &write) {
        Ok(()) => Ok(true),
        Err(e) if vanished(&e) => Ok(false),
        Err(e) if e.kind() == ErrorKind::NotLeader => {
            Err(WriteError::NotLeader(relation.endpoint.clone()))
        }
        Err(e) => Err(WriteError::Tool(e)),
    }
}

/// The remote application's databag on a relation, `None` when there is no remote app yet.
/// Its name comes from `hint` when that names this relation, else `relation-list --app`.
fn remote_bag<R: Runner>(
    tools: &HookTools<R>,
    relation: &RelationId,
    hint: &Option<(RelationId, String)>,
) -> Result<Option<Databag>, HookToolError> {
    let known = hint
        .as_ref()
        .filter(|(r, _)| r == relation)
        .map(|(_, app)| app.as_str());
    Ok(tools
        .remote_app_databag(relation, known)?
        .map(|(_, bag)| bag))
}

/// The provider side (Tempo): reads what requirers ask for and publishes receivers.
pub struct TracingEndpointProvider<'a, R> {
    tools: &'a HookTools<R>,
    relation_name: String,
    app: String,
    hint: Option<(RelationId, String)>,
}

impl<'a, R: Runner> TracingEndpointProvider<'a, R> {
    /// A provider on `relation_name`, writing as application `app`; refuses metadata the
    /// library refuses.
    pub fn new(
        tools: &'a HookTools<R>,
        metadata: &Metadata,
        relation_name: &str,
        app: &str,
    ) -> Result<Self, SetupError> {
        check_metadata(metadata, relation_name, Role::Provides)?;
        Ok(Self {
            tools,
            relation_name: relation_name.to_owned(),
            app: app.to_owned(),
            hint: None,
        })
    }

    /// Names the remote application of the hook's own relation (`JUJU_REMOTE_APP`), saving a
    /// `relation-list --app`, as ops does.
    pub fn with_remote_app(mut self, relation: RelationId, app: String) -> Self {
        self.hint = Some((relation, app));
        self
    }

    /// The relations on the endpoint.
    pub fn relations(&self) -> Result<Vec<RelationId>, HookToolError> {
        self.tools.relation_ids(&self.relation_name)
    }

    /// The requirer's request on `relation`: `Ok(Err(_))` when it is not valid (logged by the
    /// caller; the library calls that not ready).
    pub fn read_requirer(
        &self,
        relation: &RelationId,
    ) -> Result<Result<TracingRequirerAppData, ReadError>, HookToolError> {
        Ok(match remote_bag(self.tools, relation, &self.hint)? {
            Some(bag) => TracingRequirerAppData::from_databag(&bag),
            None => Err(ReadError::Missing),
        })
    }

    /// Whether the requirer on `relation` has sent a valid request.
    pub fn is_requirer_ready(&self, relation: &RelationId) -> Result<bool, HookToolError> {
        Ok(self.read_requirer(relation)?.is_ok())
    }

    /// The union of what the ready requirers ask for. Invalid requests are skipped with a
    /// warning naming the relation.
    pub fn requested_protocols(&self) -> Result<BTreeSet<ReceiverProtocol>, HookToolError> {
        let mut out = BTreeSet::new();
        for r in self.relations()? {
            match self.read_requirer(&r)? {
                Ok(d) => out.extend(d.receivers),
                Err(e) => tracing::warn!(relation = %r, "ignoring an invalid tracing request: {e}"),
            }
        }
        Ok(out)
    }

    /// Publishes `(protocol name, url)` pairs to every relation, replacing each databag.
    /// As the library: not the leader is an error even with no relation; an unknown name is an
    /// error only when there is a relation to write to. Returns the relations written.
    pub fn publish_receivers<P: AsRef<str>, U: AsRef<str>>(
        &self,
        receivers: &[(P, U)],
    ) -> Result<usize, WriteError> {
        if !self.tools.is_leader().map_err(WriteError::Tool)? {
            return Err(WriteError::NotLeader(self.relation_name.clone()));
        }
        let relations = self.relations().map_err(WriteError::Tool)?;
        if relations.is_empty() {
            return Ok(0);
        }
        let bag = TracingProviderAppData::from_pairs(receivers)?.to_databag();
        let mut written = 0;
        for r in &relations {
            if replace_app_bag(self.tools, &self.app, r, &bag)? {
                written += 1;
            }
        }
        Ok(written)
    }
}

/// Why a requirer read failed (the library's exceptions).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// The endpoint has no `limit: 1` (`AmbiguousRelationUsageError`).
    #[error(transparent)]
    Ambiguous(SetupError),
    /// The protocol was never requested (`ProtocolNotRequestedError`).
    #[error("protocol `{0}` was not requested on `tracing`; add it to request_protocols()")]
    ProtocolNotRequested(String),
    /// Reading our own application databag as a non-leader (`RelationDataAccessError`).
    #[error("only the leader can read this application's tracing request")]
    PermissionDenied(#[source] HookToolError),
    /// A hook tool failed.
    #[error("reading tracing data failed")]
    Tool(#[source] HookToolError),
}

fn tool_or_denied(e: HookToolError) -> EndpointError {
    if e.kind() == ErrorKind::PermissionDenied {
        EndpointError::PermissionDenied(e)
    } else {
        EndpointError::Tool(e)
    }
}

/// The requirer side (a charm sending traces).
pub struct TracingEndpointRequirer<'a, R> {
    tools: &'a HookTools<R>,
    relation_name: String,
    app: String,
    hint: Option<(RelationId, String)>,
    limit_one: bool,
}

impl<'a, R: Runner> TracingEndpointRequirer<'a, R> {
    /// A requirer on `relation_name`, writing as application `app`; refuses metadata the
    /// library refuses. Without `limit: 1`, the read calls fail as the library's do.
    pub fn new(
        tools: &'a HookTools<R>,
        metadata: &Metadata,
        relation_name: &str,
        app: &str,
    ) -> Result<Self, SetupError> {
        check_metadata(metadata, relation_name, Role::Requires)?;
        let limit_one = metadata
            .endpoint(relation_name)
            .is_some_and(|e| e.limit_is_one());
        Ok(Self {
            tools,
            relation_name: relation_name.to_owned(),
            app: app.to_owned(),
            hint: None,
            limit_one,
        })
    }

    /// The library's constructor with `protocols=`: requests them when the list is not
    /// empty and this unit leads; otherwise does nothing.
    pub fn with_protocols(
        tools: &'a HookTools<R>,
        metadata: &Metadata,
        relation_name: &str,
        app: &str,
        protocols: &[&str],
    ) -> Result<Self, WriteError> {
        let me = Self::new(tools, metadata, relation_name, app)?;
        if protocols.is_empty() || !tools.is_leader().map_err(WriteError::Tool)? {
            return Ok(me);
        }
        me.request_protocols(protocols, None)?;
        Ok(me)
    }

    /// Names the remote application of the hook's own relation (`JUJU_REMOTE_APP`).
    pub fn with_remote_app(mut self, relation: RelationId, app: String) -> Self {
        self.hint = Some((relation, app));
        self
    }

    /// The relations on the endpoint.
    pub fn relations(&self) -> Result<Vec<RelationId>, HookToolError> {
        self.tools.relation_ids(&self.relation_name)
    }

    /// Asks for `protocols` on every relation (or only `relation`), replacing each databag.
    /// As the library: an empty list is refused first, then a non-leader; names are checked
    /// only when there is a relation to write to.
    pub fn request_protocols(
        &self,
        protocols: &[&str],
        relation: Option<&RelationId>,
    ) -> Result<usize, WriteError> {
        if protocols.is_empty() {
            return Err(WriteError::Empty);
        }
        if !self.tools.is_leader().map_err(WriteError::Tool)? {
            return Err(WriteError::NotLeader(self.relation_name.clone()));
        }
        let relations = match relation {
            Some(r) => vec![r.clone()],
            None => self.relations().map_err(WriteError::Tool)?,
        };
        if relations.is_empty() {
            return Ok(0);
        }
        let receivers = protocols
            .iter()
            .map(|p| ReceiverProtocol::from_name(p).ok_or_else(|| UnknownProtocol(shown(p))))
            .collect::<Result<Vec<_>, _>>()?;
        let bag = TracingRequirerAppData { receivers }.to_databag();
        let mut written = 0;
        for r in &relations {
            if replace_app_bag(self.tools, &self.app, r, &bag)? {
                written += 1;
            }
        }
        Ok(written)
    }

    fn ambiguous(&self) -> Result<(), EndpointError> {
        if self.limit_one {
            Ok(())
        } else {
            Err(EndpointError::Ambiguous(SetupError::Ambiguous(
                self.relation_name.clone(),
            )))
        }
    }

    /// The provider's data on the first relation: `None` without a relation or remote app,
    /// `Some(Err)` when invalid.
    fn provider_data(
        &self,
    ) -> Result<Option<Result<TracingProviderAppData, ReadError>>, HookToolError> {
        let Some(r) = self.relations()?.into_iter().next() else {
            return Ok(None);
        };
        Ok(remote_bag(self.tools, &r, &self.hint)?
            .map(|bag| TracingProviderAppData::from_databag(&bag)))
    }

    /// Whether the provider's answer on the (first) relation is valid.
    pub fn is_ready(&self) -> Result<bool, EndpointError> {
        self.ambiguous()?;
        let data = self.provider_data().map_err(tool_or_denied)?;
        Ok(matches!(data, Some(Ok(_))))
    }

    /// The provider's receivers on the (first) relation, `None` when absent or invalid.
    pub fn get_all_endpoints(&self) -> Result<Option<TracingProviderAppData>, EndpointError> {
        self.ambiguous()?;
        let data = self.provider_data().map_err(tool_or_denied)?;
        Ok(data.and_then(Result::ok))
    }

    /// The URL for `protocol`: the first receiver of that name with a non-empty URL; else
    /// `None` when this application requested it (the provider has not answered yet), else
    /// [`EndpointError::ProtocolNotRequested`], as the library decides.
    pub fn get_endpoint(&self, protocol: &str) -> Result<Option<String>, EndpointError> {
        self.ambiguous()?;
        if let Some(Ok(d)) = self.provider_data().map_err(tool_or_denied)? {
            if let Some(r) = d.receivers.iter().find(|r| r.protocol.name == protocol) {
                if !r.url.is_empty() {
                    return Ok(Some(r.url.clone()));
                }
            }
        }
        let mut requested = false;
        for r in &self.relations().map_err(EndpointError::Tool)? {
            let bag = self
                .tools
                .relation_get_app(r, &self.app)
                .map_err(tool_or_denied)?;
            if let Ok(d) = TracingRequirerAppData::from_databag(&bag) {
                requested |= d.receivers.iter().any(|p| p.as_str() == protocol);
            }
        }
        if requested {
            Ok(None)
        } else {
            Err(EndpointError::ProtocolNotRequested(shown(protocol)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(v: &str) -> Databag {
        [(RECEIVERS_KEY.to_owned(), v.to_owned())].into()
    }

    #[test]
    fn writes_are_python_json_dumps() {
        let d = TracingProviderAppData::from_pairs(&[
            ("otlp_grpc", "tempo:4317"),
            ("zipkin", "http://t:9411/é"),
        ])
        .unwrap();
        assert_eq!(
            d.to_json(),
            r#"[{"protocol": {"name": "otlp_grpc", "type": "grpc"}, "url": "tempo:4317"}, {"protocol": {"name": "zipkin", "type": "http"}, "url": "http://t:9411/\u00e9"}]"#
        );
        let r = TracingRequirerAppData {
            receivers: vec![ReceiverProtocol::OtlpGrpc, ReceiverProtocol::OtlpHttp],
        };
        assert_eq!(
            r.to_databag()[RECEIVERS_KEY],
            r#"["otlp_grpc", "otlp_http"]"#
        );
        assert!(TracingProviderAppData::from_pairs(&[("OTLP_GRPC", "x")]).is_err());
    }

    #[test]
    fn reads_name_what_is_wrong() {
        let e = TracingRequirerAppData::from_databag(&bag(r#"["otlp_grpc", "carrier-pigeon"]"#))
            .unwrap_err();
        assert!(e.to_string().contains("entry 1 `carrier-pigeon`"), "{e}");
        let e = TracingProviderAppData::from_databag(&bag(
            r#"[{"protocol": {"name": "x", "type": "smoke"}, "url": ""}]"#,
        ))
        .unwrap_err();
        assert!(e.to_string().contains("`smoke` is not http or grpc"), "{e}");
        assert_eq!(
            TracingRequirerAppData::from_databag(&Databag::new()),
            Err(ReadError::Missing)
        );
        let big = format!("[\"{}\"]", "a".repeat(MAX_VALUE_BYTES));
        assert!(matches!(
            TracingRequirerAppData::from_databag(&bag(&big)),
            Err(ReadError::TooLarge { .. })
        ));
    }
}
