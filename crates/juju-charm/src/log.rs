//! `tracing` events to `juju-log` (and stderr, which Juju logs at WARNING).
//!
//! Events below the configured level are filtered out before any process is spawned:
//! each `juju-log` is a process and a round trip to the unit agent. INFO is the default.

use std::fmt::Write as _;
use std::io::Write as _;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer};

use super::hookcmds::{juju_log, LogLevel};
use super::runner::Runner;

/// Longest log line sent to `juju-log`, in characters; longer ones are cut and marked.
pub const MAX_LOG_CHARS: usize = 4096;

/// A `tracing` layer that sends each event at or above `level` to `juju-log`, and, when
/// `stderr` is set, a copy of warnings and errors to stderr (Juju logs stderr at WARNING).
pub struct JujuLogLayer<R> {
    runner: R,
    level: Level,
    stderr: bool,
    spans: bool,
}

impl<R: Runner> JujuLogLayer<R> {
    /// Logs at `level` and above through `runner`; `stderr` also copies warnings and errors to stderr.
    pub fn new(runner: R, level: Level, stderr: bool) -> Self {
        Self {
            runner,
            level,
            stderr,
            spans: false,
        }
    }

    /// Lets spans of every level through (for a layer beside this one that records them,
    /// such as the `otlp` feature's span collector); events are still filtered by level.
    pub fn with_spans(mut self) -> Self {
        self.spans = true;
        self
    }
}

/// Parses a level name as operators write it (`debug`, `INFO`, `warning`, `warn`).
pub fn parse_level(s: &str) -> Option<Level> {
    match s.trim().to_ascii_lowercase().as_str() {
        "trace" => Some(Level::TRACE),
        "debug" => Some(Level::DEBUG),
        "info" => Some(Level::INFO),
        "warning" | "warn" => Some(Level::WARN),
        "error" | "critical" => Some(Level::ERROR),
        _ => None,
    }
}

fn juju_level(level: &Level) -> LogLevel {
    match *level {
        Level::ERROR => LogLevel::Error,
        Level::WARN => LogLevel::Warning,
        Level::INFO => LogLevel::Info,
        Level::DEBUG => LogLevel::Debug,
        _ => LogLevel::Trace,
    }
}

/// Formats the message, then `key=value` for the other fields.
#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={:?}", field.name(), value);
        }
    }
}

/// Cuts a line to [`MAX_LOG_CHARS`] characters.
pub fn bound(line: &str) -> String {
    crate::context::truncate(line, MAX_LOG_CHARS)
}

impl<S: Subscriber, R: Runner + 'static> Layer<S> for JujuLogLayer<R> {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: LayerContext<'_, S>) -> bool {
        *metadata.level() <= self.level || (self.spans && metadata.is_span())
    }

    fn on_event(&self, event: &Event<'_>, _: LayerContext<'_, S>) {
        let meta = event.metadata();
        if *meta.level() > self.level {
            return;
        }
        let mut line = Line::default();
        event.record(&mut line);
        let text = bound(&format!("{}{}", line.message, line.fields));
        if self.stderr && *meta.level() <= Level::WARN {
            let _ = writeln!(std::io::stderr(), "{} {}", meta.level(), text);
        }
        // A failing juju-log must not fail the hook, nor recurse into logging.
        if let Err(e) = juju_log(&self.runner, juju_level(meta.level()), &text) {
            if !self.stderr {
                let _ = writeln!(std::io::stderr(), "juju-log failed: {e}");
            }
        }
    }
}

/// Runs `f` with `tracing` events at `level` and above going to `juju-log` through `runner`
/// (scoped, not global: tests run charms side by side).
pub fn with_juju_log<R: Runner + Send + Sync + 'static, T>(
    runner: R,
    level: Level,
    stderr: bool,
    f: impl FnOnce() -> T,
) -> T {
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry().with(JujuLogLayer::new(runner, level, stderr));
    tracing::subscriber::with_default(subscriber, f)
}

/// As [`with_juju_log`], with `extra` beside the juju-log layer and spans of every level
/// enabled for it (the `otlp` feature's `SpanCollector`, for instance).
pub fn with_juju_log_and<R, L, T>(
    runner: R,
    level: Level,
    stderr: bool,
    extra: L,
    f: impl FnOnce() -> T,
) -> T
where
    R: Runner + Send + Sync + 'static,
    L: Layer<tracing_subscriber::layer::Layered<JujuLogLayer<R>, tracing_subscriber::Registry>>
        + Send
        + Sync
        + 'static,
{
    use tracing_subscriber::layer::SubscriberExt;
    let subscriber = tracing_subscriber::registry()
        .with(JujuLogLayer::new(runner, level, stderr).with_spans())
        .with(extra);
    tracing::subscriber::with_default(subscriber, f)
}

/// Installs a panic hook that reports a panic as one `juju-log` ERROR line (and on stderr)
/// before the process exits non-zero: a panic is a bug, never a silent abort.
pub fn install_panic_hook<R: Runner + Send + Sync + 'static>(charm: &'static str, runner: R) {
    std::panic::set_hook(Box::new(move |info| {
        let msg = bound(
            &format!("{charm} panicked (a bug; please report it): {info}").replace('\n', " "),
        );
        let _ = writeln!(std::io::stderr(), "ERROR {msg}");
        let _ = juju_log(&runner, LogLevel::Error, &msg);
    }));
}

/// An error and its sources on one line, `a: b: c`, for the log and stderr.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{RunError, ToolOutput};
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<Vec<String>>>>);
    impl Runner for Shared {
        fn run(
            &self,
            tool: &str,
            args: &[String],
            _: Option<&[u8]>,
        ) -> Result<ToolOutput, RunError> {
            let mut v = vec![tool.to_owned()];
            v.extend(args.iter().cloned());
            self.0
                .lock()
                .map_err(|_| RunError::Missing { tool: tool.into() })?
                .push(v);
            Ok(ToolOutput::default())
        }
    }

    #[test]
    fn info_and_above_reach_juju_log_debug_does_not() {
        let calls = Shared::default();
        let sub = tracing_subscriber::registry().with(JujuLogLayer::new(
            calls.clone(),
            Level::INFO,
            false,
        ));
        tracing::subscriber::with_default(sub, || {
            tracing::debug!("hidden");
            tracing::info!(relation = "tempo-api:1", "published");
            tracing::warn!("careful");
            tracing::error!("broken");
        });
        let got = calls.0.lock().unwrap().clone();
        assert_eq!(
            got,
            vec![
                vec![
                    "juju-log",
                    "--log-level",
                    "INFO",
                    "--",
                    "published relation=\"tempo-api:1\""
                ],
                vec!["juju-log", "--log-level", "WARNING", "--", "careful"],
                vec!["juju-log", "--log-level", "ERROR", "--", "broken"],
            ]
        );
    }

    #[test]
    fn level_is_configurable() {
        let calls = Shared::default();
        let sub = tracing_subscriber::registry().with(JujuLogLayer::new(
            calls.clone(),
            Level::DEBUG,
            false,
        ));
        tracing::subscriber::with_default(sub, || tracing::debug!("shown"));
        assert_eq!(calls.0.lock().unwrap().len(), 1);
        assert_eq!(parse_level("Warning"), Some(Level::WARN));
        assert_eq!(parse_level("loud"), None);
    }

    #[test]
    fn long_lines_are_bounded() {
        let line = bound(&"x".repeat(10_000));
        assert_eq!(line.chars().count(), MAX_LOG_CHARS + 1);
    }
}
