//! Charm tracing: the `tracing` spans a hook emits, sent as OTLP/JSON over HTTP at the end
//! of the hook, named as ops' charm tracing (`ops[tracing]`) names them. Feature `otlp`.
//!
//! - [`SpanCollector`] is a `tracing` layer that keeps each closed span (name, times, parent,
//!   fields, the events logged inside it) in memory; [`Spans`] takes them at the end.
//! - [`Resource::juju`] is the Juju topology as resource attributes (`service.name`,
//!   `juju_unit`, `juju_model_uuid`, `charm`, ...), the keys ops' `_backend.setup` uses.
//! - [`encode`] writes the OTLP/JSON request body (`ExportTraceServiceRequest`; the
//!   encoding ops itself sends, `application/json`).
//! - [`Exporter`] posts it with a hard bound on the time spent (one second by default, as
//!   ops' `EXPORT_TIMEOUT`), and keeps what it could not send in a bounded buffer directory
//!   in the charm's directory (`.tracing-data/`, as ops keeps `.tracing-data.db`), sent
//!   first by the next hook.
//!
//! ```no_run
//! use juju_charm::otlp::{encode, Destination, Exporter, Resource, SpanCollector};
//! # fn hook() {}
//! let collector = SpanCollector::new();
//! let spans = collector.spans();
//! // install `collector` with the juju-log layer (juju_charm::log::with_juju_log_and), run the
//! // hook inside a span, then:
//! # hook();
//! let resource = Resource::new(vec![("service.name".into(), "my-app".into())]);
//! let body = encode(&resource, "my-charm", &spans.take());
//! let exporter = Exporter::new("/var/lib/juju/agents/unit-my-app-0/charm/.tracing-data");
//! let dest = Destination::parse("http://tempo:4318/v1/traces", None).unwrap();
//! let outcome = exporter.export(&dest, body);
//! ```

mod export;
mod http;

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer};
use tracing_subscriber::registry::LookupSpan;

pub use export::{Destination, DestinationError, ExportOutcome, Exporter, BUFFER_DIR};
pub use http::HttpError;

/// An attribute value (OTLP's `AnyValue`, the kinds a `tracing` field can have).
#[derive(Debug, Clone, PartialEq)]
pub enum AttrValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A float.
    Double(f64),
    /// A boolean.
    Bool(bool),
}

impl From<&str> for AttrValue {
    fn from(s: &str) -> Self {
        Self::Str(s.to_owned())
    }
}
impl From<String> for AttrValue {
    fn from(s: String) -> Self {
        Self::Str(s)
    }
}

/// Attributes in order.
pub type Attrs = Vec<(String, AttrValue)>;

/// An event logged inside a span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanEvent {
    /// When, ns since the epoch.
    pub time_ns: u64,
    /// Its message.
    pub name: String,
    /// Its level and fields.
    pub attributes: Attrs,
}

/// One finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanData {
    /// The hook's trace.
    pub trace_id: [u8; 16],
    /// This span.
    pub span_id: [u8; 8],
    /// Its parent, if not the root.
    pub parent_id: Option<[u8; 8]>,
    /// Its name.
    pub name: String,
    /// Start, ns since the epoch.
    pub start_ns: u64,
    /// End, ns since the epoch.
    pub end_ns: u64,
    /// Its fields (the `tracing` span's), plus `code.namespace` (the module).
    pub attributes: Attrs,
    /// Events logged inside it (INFO and above).
    pub events: Vec<SpanEvent>,
    /// Whether an ERROR event was logged inside it (OTLP status `ERROR`).
    pub error: bool,
}

fn now_ns() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// Ids: seeded once from the kernel's random source (or the clock and pid), then SplitMix64.
#[derive(Debug)]
struct Ids(u64);

impl Ids {
    fn new() -> Self {
        let mut seed = [0u8; 8];
        let from_kernel = std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut seed))
            .is_ok();
        let seed = if from_kernel {
            u64::from_le_bytes(seed)
        } else {
            now_ns() ^ (u64::from(std::process::id()) << 32)
        };
        Self(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        let v = z ^ (z >> 31);
        // Zero is OTLP's "no id".
        if v == 0 {
            1
        } else {
            v
        }
    }
}

#[derive(Debug)]
struct Shared {
    trace_id: [u8; 16],
    ids: Ids,
    done: Vec<SpanData>,
}

/// The spans collected so far (a handle on the collector's store).
#[derive(Debug, Clone)]
pub struct Spans(Arc<Mutex<Shared>>);

impl Spans {
    /// Takes the finished spans (in the order they closed).
    pub fn take(&self) -> Vec<SpanData> {
        self.0
            .lock()
            .map(|mut s| std::mem::take(&mut s.done))
            .unwrap_or_default()
    }
}

/// A `tracing` layer keeping every closed span of the hook in memory, one trace per process.
#[derive(Debug, Clone)]
pub struct SpanCollector {
    shared: Arc<Mutex<Shared>>,
}

impl Default for SpanCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl SpanCollector {
    /// A collector with a fresh trace id.
    pub fn new() -> Self {
        let mut ids = Ids::new();
        let mut trace_id = [0u8; 16];
        trace_id[..8].copy_from_slice(&ids.next().to_be_bytes());
        trace_id[8..].copy_from_slice(&ids.next().to_be_bytes());
        Self {
            shared: Arc::new(Mutex::new(Shared {
                trace_id,
                ids,
                done: Vec::new(),
            })),
        }
    }

    /// The handle to take the spans with.
    pub fn spans(&self) -> Spans {
        Spans(self.shared.clone())
    }
}

/// Fields as attributes; `message` kept apart.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    attrs: Attrs,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.attrs.push((field.name().to_owned(), value.into()));
        }
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.attrs
            .push((field.name().to_owned(), AttrValue::Int(value)));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        let v = i64::try_from(value).map_or(AttrValue::Str(value.to_string()), AttrValue::Int);
        self.attrs.push((field.name().to_owned(), v));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.attrs
            .push((field.name().to_owned(), AttrValue::Double(value)));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.attrs
            .push((field.name().to_owned(), AttrValue::Bool(value)));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let v = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(v);
        } else {
            self.attrs
                .push((field.name().to_owned(), AttrValue::Str(v)));
        }
    }
}

/// Most attributes and events kept per span (a loop must not grow a span without bound).
const MAX_PER_SPAN: usize = 128;

impl<S> Layer<S> for SpanCollector
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent_id = span
            .parent()
            .and_then(|p| p.extensions().get::<SpanData>().map(|d| d.span_id));
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let meta = attrs.metadata();
        // `otel.name` names the span (span names are static in `tracing`), as
        // tracing-opentelemetry reads it.
        let mut name = meta.name().to_owned();
        if let Some(i) = fields.attrs.iter().position(|(k, _)| k == "otel.name") {
            if let (_, AttrValue::Str(n)) = fields.attrs.remove(i) {
                name = n;
            }
        }
        if let Some(m) = meta.module_path() {
            fields
                .attrs
                .push(("code.namespace".into(), AttrValue::Str(m.to_owned())));
        }
        let Ok(mut shared) = self.shared.lock() else {
            return;
        };
        let data = SpanData {
            trace_id: shared.trace_id,
            span_id: shared.ids.next().to_be_bytes(),
            parent_id,
            name,
            start_ns: now_ns(),
            end_ns: 0,
            attributes: fields.attrs,
            events: Vec::new(),
            error: false,
        };
        drop(shared);
        span.extensions_mut().insert(data);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut fields = Fields::default();
        values.record(&mut fields);
        let mut ext = span.extensions_mut();
        if let Some(d) = ext.get_mut::<SpanData>() {
            let room = MAX_PER_SPAN.saturating_sub(d.attributes.len());
            d.attributes.extend(fields.attrs.into_iter().take(room));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let level = *event.metadata().level();
        if level > Level::INFO {
            return;
        }
        let Some(span) = ctx.event_span(event) else {
            return;
        };
        let mut fields = Fields::default();
        event.record(&mut fields);
        let mut ext = span.extensions_mut();
        let Some(d) = ext.get_mut::<SpanData>() else {
            return;
        };
        d.error |= level == Level::ERROR;
        if d.events.len() < MAX_PER_SPAN {
            let mut attributes = vec![("level".to_owned(), AttrValue::Str(level.to_string()))];
            attributes.extend(fields.attrs);
            d.events.push(SpanEvent {
                time_ns: now_ns(),
                name: crate::log::bound(&fields.message.unwrap_or_default()),
                attributes,
            });
        }
    }

    fn on_close(&self, id: Id, ctx: LayerContext<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(mut d) = span.extensions_mut().remove::<SpanData>() else {
            return;
        };
        d.end_ns = now_ns();
        if let Ok(mut shared) = self.shared.lock() {
            shared.done.push(d);
        }
    }
}

/// The resource the spans come from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Resource {
    /// Its attributes, in order.
    pub attributes: Attrs,
}

impl Resource {
    /// A resource with these attributes.
    pub fn new(attributes: Attrs) -> Self {
        Self { attributes }
    }

    /// A charm unit, with the attributes ops' charm tracing sets: `service.namespace` (model
    /// uuid), `service.namespace.name` (model), `service.name` (application),
    /// `service.instance.id` (unit number), `charm` (metadata.yaml name), `charm_type` (ops:
    /// the charm class; here what the charm says), `juju_model`, `juju_model_uuid`,
    /// `juju_application`, `juju_unit`; and the SDK's `telemetry.sdk.*`.
    pub fn juju(ctx: &crate::Context, charm: &str, charm_type: &str) -> Self {
        let unit = ctx.unit.to_string();
        let (app, number) = unit.split_once('/').unwrap_or((unit.as_str(), ""));
        let s = |k: &str, v: &str| (k.to_owned(), AttrValue::Str(v.to_owned()));
        Self::new(vec![
            s("telemetry.sdk.language", "rust"),
            s("telemetry.sdk.name", "juju-charm"),
            s("telemetry.sdk.version", env!("CARGO_PKG_VERSION")),
            s("service.namespace", &ctx.model_uuid),
            s("service.namespace.name", &ctx.model_name),
            s("service.name", app),
            s("service.instance.id", number),
            s("charm", charm),
            s("charm_type", charm_type),
            s("juju_model", &ctx.model_name),
            s("juju_model_uuid", &ctx.model_uuid),
            s("juju_application", app),
            s("juju_unit", &unit),
        ])
    }
}

/// `s` as a JSON string.
fn push_str(out: &mut String, s: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A `KeyValue` list: `[{"key": .., "value": {"stringValue": ..}}, ...]`.
fn push_attrs(out: &mut String, attrs: &Attrs) {
    use std::fmt::Write as _;
    out.push('[');
    for (i, (k, v)) in attrs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"key\":");
        push_str(out, k);
        out.push_str(",\"value\":{");
        match v {
            AttrValue::Str(s) => {
                out.push_str("\"stringValue\":");
                push_str(out, s);
            }
            // OTLP/JSON carries 64-bit integers as strings.
            AttrValue::Int(n) => {
                let _ = write!(out, "\"intValue\":\"{n}\"");
            }
            AttrValue::Double(f) if f.is_finite() => {
                let _ = write!(out, "\"doubleValue\":{f:?}");
            }
            // proto3 JSON spells the others as strings.
            AttrValue::Double(f) => {
                let word = if f.is_nan() {
                    "NaN"
                } else if *f > 0.0 {
                    "Infinity"
                } else {
                    "-Infinity"
                };
                let _ = write!(out, "\"doubleValue\":\"{word}\"");
            }
            AttrValue::Bool(b) => {
                let _ = write!(out, "\"boolValue\":{b}");
            }
        }
        out.push_str("}}");
    }
    out.push(']');
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for b in bytes {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out.push('"');
}

/// The OTLP/JSON `ExportTraceServiceRequest` body: one resource, one scope, the spans
/// (ids in hex, times as decimal strings, kind INTERNAL, status ERROR where an error was
/// logged). Written straight into one buffer (no JSON tree: a hook's few dozen spans cost
/// tens of thousands of instructions, not millions).
pub fn encode(resource: &Resource, scope: &str, spans: &[SpanData]) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(512 + spans.len() * 384);
    out.push_str("{\"resourceSpans\":[{\"resource\":{\"attributes\":");
    push_attrs(&mut out, &resource.attributes);
    out.push_str("},\"scopeSpans\":[{\"scope\":{\"name\":");
    push_str(&mut out, scope);
    out.push_str(",\"version\":");
    push_str(&mut out, env!("CARGO_PKG_VERSION"));
    out.push_str("},\"spans\":[");
    for (i, s) in spans.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"traceId\":");
        push_hex(&mut out, &s.trace_id);
        out.push_str(",\"spanId\":");
        push_hex(&mut out, &s.span_id);
        if let Some(p) = &s.parent_id {
            out.push_str(",\"parentSpanId\":");
            push_hex(&mut out, p);
        }
        out.push_str(",\"name\":");
        push_str(&mut out, &s.name);
        let _ = write!(
            out,
            ",\"kind\":1,\"startTimeUnixNano\":\"{}\",\"endTimeUnixNano\":\"{}\",\"attributes\":",
            s.start_ns, s.end_ns
        );
        push_attrs(&mut out, &s.attributes);
        out.push_str(",\"events\":[");
        for (j, e) in s.events.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            let _ = write!(out, "{{\"timeUnixNano\":\"{}\",\"name\":", e.time_ns);
            push_str(&mut out, &e.name);
            out.push_str(",\"attributes\":");
            push_attrs(&mut out, &e.attributes);
            out.push('}');
        }
        out.push_str("],\"status\":");
        out.push_str(if s.error { "{\"code\":2}" } else { "{}" });
        out.push('}');
    }
    out.push_str("]}]}]}");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn awkward_values_stay_valid_json() {
        let attrs: Attrs = vec![
            ("quote\"back\\slash\nnl\u{1}".into(), "tab\t é".into()),
            ("nan".into(), AttrValue::Double(f64::NAN)),
            ("inf".into(), AttrValue::Double(f64::NEG_INFINITY)),
            ("half".into(), AttrValue::Double(0.5)),
            ("big".into(), AttrValue::Int(i64::MIN)),
            ("yes".into(), AttrValue::Bool(true)),
        ];
        let body = encode(&Resource::new(attrs.clone()), "s\"", &[]);
        let v: Value = serde_json::from_slice(&body).unwrap();
        let got = &v["resourceSpans"][0]["resource"]["attributes"];
        assert_eq!(got[0]["key"], "quote\"back\\slash\nnl\u{1}");
        assert_eq!(got[0]["value"]["stringValue"], "tab\t é");
        assert_eq!(got[1]["value"]["doubleValue"], "NaN");
        assert_eq!(got[2]["value"]["doubleValue"], "-Infinity");
        assert_eq!(got[3]["value"]["doubleValue"], 0.5);
        assert_eq!(got[4]["value"]["intValue"], i64::MIN.to_string());
        assert_eq!(got[5]["value"]["boolValue"], true);
        assert_eq!(
            v["resourceSpans"][0]["scopeSpans"][0]["scope"]["name"],
            "s\""
        );
    }

    #[test]
    fn spans_nest_carry_their_fields_and_events_and_encode_as_otlp_json() {
        let collector = SpanCollector::new();
        let spans = collector.spans();
        let sub = tracing_subscriber::registry().with(collector);
        tracing::subscriber::with_default(sub, || {
            let root =
                tracing::info_span!("hook", otel.name = "config-changed", juju.unit = "tempo/0")
                    .entered();
            {
                let _child = tracing::info_span!("reconcile", workers = 3u64).entered();
                tracing::info!(relation = "logging:72", "published");
                tracing::error!("broken");
                tracing::debug!("not kept");
            }
            drop(root);
        });
        let got = spans.take();
        assert_eq!(got.len(), 2);
        let (child, root) = (&got[0], &got[1]);
        assert_eq!(
            (root.name.as_str(), child.name.as_str()),
            ("config-changed", "reconcile")
        );
        assert_eq!(child.parent_id, Some(root.span_id));
        assert_eq!(root.parent_id, None);
        assert_eq!(child.trace_id, root.trace_id);
        assert_ne!(child.span_id, root.span_id);
        assert!(child.end_ns >= child.start_ns && root.end_ns >= child.end_ns);
        assert!(child
            .attributes
            .contains(&("workers".into(), AttrValue::Int(3))));
        assert_eq!(child.events.len(), 2);
        assert_eq!(child.events[0].name, "published");
        assert!(child.error && !root.error);

        let resource = Resource::new(vec![("service.name".into(), "tempo".into())]);
        let body: Value = serde_json::from_slice(&encode(&resource, "charm", &got)).unwrap();
        let rs = &body["resourceSpans"][0];
        assert_eq!(rs["resource"]["attributes"][0]["key"], "service.name");
        assert_eq!(
            rs["resource"]["attributes"][0]["value"]["stringValue"],
            "tempo"
        );
        let s = &rs["scopeSpans"][0]["spans"];
        assert_eq!(s[0]["traceId"].as_str().unwrap().len(), 32);
        assert_eq!(s[0]["spanId"].as_str().unwrap().len(), 16);
        assert_eq!(s[0]["parentSpanId"], s[1]["spanId"]);
        assert_eq!(s[0]["status"]["code"], 2);
        assert!(s[1].get("parentSpanId").is_none());
    }
}
