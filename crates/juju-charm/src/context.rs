//! The hook's context, parsed once from the `JUJU_*` environment Juju gives every hook.
//!
//! `Context::from_env` takes the environment as a map (main passes `std::env::vars()`), so
//! tests build contexts without touching the process environment.

use std::collections::HashMap;
use std::path::PathBuf;

use super::event::Event;
use super::types::{RelationId, UnitName};

/// A required variable is missing, or a variable's value is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// The variable is not set (or empty where a value is required).
    #[error("environment variable `{var}` is not set; is this process running as a Juju hook?")]
    Missing {
        /// The variable's name.
        var: &'static str,
    },
    /// The variable is set but its value cannot be used.
    #[error("environment variable `{var}` has a malformed value `{value}`: {reason}")]
    Malformed {
        /// The variable's name.
        var: &'static str,
        /// The value, truncated for display.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl ContextError {
    pub(crate) fn malformed(var: &'static str, value: &str, reason: impl Into<String>) -> Self {
        Self::Malformed {
            var,
            value: truncate(value, 120),
            reason: reason.into(),
        }
    }
}

/// Shortens `s` to at most `max` characters, marking the cut with `…`: for quoting untrusted
/// input (remote relation data, config) in log lines and status messages.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max).collect();
    out.push('…');
    out
}

/// Juju's agent version, from `JUJU_VERSION` (`3.6.4`, `3.6-beta2`, `3.6.1.2`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct JujuVersion {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
    /// Patch version (0 for a pre-release such as `3.6-beta2`).
    pub patch: u32,
}

impl JujuVersion {
    /// Parses Juju's version string; a tag (`-beta2`) or a build number is ignored.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, '.');
        let major = parts.next()?.parse().ok()?;
        let minor_raw = parts.next()?;
        let (minor, tagged) = match minor_raw.split_once('-') {
            Some((m, _tag)) => (m, true),
            None => (minor_raw, false),
        };
        let minor = minor.parse().ok()?;
        let patch = match (tagged, parts.next()) {
            (true, _) | (false, None) => 0,
            (false, Some(rest)) => {
                let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
                digits.parse().ok()?
            }
        };
        Some(Self {
            major,
            minor,
            patch,
        })
    }
}

impl std::fmt::Display for JujuVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The hook's context: who we are, where we run, what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Context {
    /// This unit (`JUJU_UNIT_NAME`).
    pub unit: UnitName,
    /// The model's name (`JUJU_MODEL_NAME`); the K8s namespace.
    pub model_name: String,
    /// The model's UUID (`JUJU_MODEL_UUID`).
    pub model_uuid: String,
    /// The charm directory (`JUJU_CHARM_DIR`), also the working directory.
    pub charm_dir: PathBuf,
    /// The agent's version (`JUJU_VERSION`).
    pub juju_version: JujuVersion,
    /// What Juju would have run: `hooks/<name>` or `actions/<name>`.
    pub dispatch_path: String,
    /// The event, with its own data.
    pub event: Event,
    /// `JUJU_DEBUG` or `JUJU_DEBUG_AT` is set (inside `juju debug-hooks`/`debug-code`).
    pub debug: bool,
    /// The directory holding each workload container's `<name>/pebble.socket`:
    /// [`DEFAULT_SOCKET_DIR`](crate::pebble::DEFAULT_SOCKET_DIR) under Juju, which sets
    /// nothing for it; `CHARM_CONTAINERS_DIR` when set (a simulator or a test points it at
    /// its own sockets).
    pub pebble_socket_dir: PathBuf,
}

impl Context {
    /// The application's name (the unit name before `/`).
    pub fn app(&self) -> &str {
        self.unit.app()
    }

    /// Parses the context from the environment. `argv0` is used only when
    /// `JUJU_DISPATCH_PATH` is absent (a charm started as `hooks/<name>` by an old agent).
    pub fn from_env(
        env: &HashMap<String, String>,
        argv0: Option<&str>,
    ) -> Result<Self, ContextError> {
        let get = |var: &'static str| env.get(var).map(String::as_str).filter(|v| !v.is_empty());
        let require = |var: &'static str| get(var).ok_or(ContextError::Missing { var });

        let unit_raw = require("JUJU_UNIT_NAME")?;
        let unit: UnitName = unit_raw.parse().map_err(|e: super::types::ParseError| {
            ContextError::malformed("JUJU_UNIT_NAME", unit_raw, e.to_string())
        })?;
        let model_name = require("JUJU_MODEL_NAME")?.to_owned();
        let model_uuid = get("JUJU_MODEL_UUID").unwrap_or_default().to_owned();
        let charm_dir = PathBuf::from(get("JUJU_CHARM_DIR").or_else(|| get("CHARM_DIR")).ok_or(
            ContextError::Missing {
                var: "JUJU_CHARM_DIR",
            },
        )?);
        let version_raw = require("JUJU_VERSION")?;
        let juju_version = JujuVersion::parse(version_raw).ok_or_else(|| {
            ContextError::malformed(
                "JUJU_VERSION",
                version_raw,
                "expected a version like `3.6.4`",
            )
        })?;

        let dispatch_path = match get("JUJU_DISPATCH_PATH") {
            // A dispatch shim defaults it to `$0`, which may be a path to `hooks/<name>`.
            Some(p) if !p.starts_with("hooks/") && !p.starts_with("actions/") => {
                dispatch_path_from_argv0(Some(p)).unwrap_or_else(|| p.to_owned())
            }
            Some(p) => p.to_owned(),
            None => dispatch_path_from_argv0(argv0).ok_or(ContextError::Missing {
                var: "JUJU_DISPATCH_PATH",
            })?,
        };

        let raw = RawEventVars {
            relation: get("JUJU_RELATION"),
            relation_id: get("JUJU_RELATION_ID"),
            remote_app: get("JUJU_REMOTE_APP"),
            remote_unit: get("JUJU_REMOTE_UNIT"),
            departing_unit: get("JUJU_DEPARTING_UNIT"),
            workload: get("JUJU_WORKLOAD_NAME"),
            storage_id: get("JUJU_STORAGE_ID"),
            storage_location: get("JUJU_STORAGE_LOCATION"),
            secret_id: get("JUJU_SECRET_ID"),
            secret_label: get("JUJU_SECRET_LABEL"),
            secret_revision: get("JUJU_SECRET_REVISION"),
            notice_id: get("JUJU_NOTICE_ID"),
            notice_type: get("JUJU_NOTICE_TYPE"),
            notice_key: get("JUJU_NOTICE_KEY"),
            check_name: get("JUJU_PEBBLE_CHECK_NAME"),
            action_uuid: get("JUJU_ACTION_UUID"),
        };
        let event = Event::parse(&dispatch_path, &raw)?;
        let debug = get("JUJU_DEBUG").is_some() || get("JUJU_DEBUG_AT").is_some();
        let pebble_socket_dir =
            PathBuf::from(get(CONTAINERS_DIR_VAR).unwrap_or(crate::pebble::DEFAULT_SOCKET_DIR));
        Ok(Self {
            unit,
            model_name,
            model_uuid,
            charm_dir,
            juju_version,
            dispatch_path,
            event,
            debug,
            pebble_socket_dir,
        })
    }

    /// A handle on the workload container `name` (its Pebble socket under
    /// [`Context::pebble_socket_dir`]).
    pub fn container(&self, name: &str) -> crate::pebble::Container {
        crate::pebble::Container::new(&self.pebble_socket_dir, name)
    }
}

/// The variable that moves the containers' socket directory (see
/// [`Context::pebble_socket_dir`]).
pub const CONTAINERS_DIR_VAR: &str = "CHARM_CONTAINERS_DIR";

/// `hooks/<name>` from a program path such as `/var/lib/juju/.../charm/hooks/install`.
fn dispatch_path_from_argv0(argv0: Option<&str>) -> Option<String> {
    let path = std::path::Path::new(argv0?);
    let name = path.file_name()?.to_str()?;
    let parent = path.parent()?.file_name()?.to_str()?;
    (parent == "hooks" || parent == "actions").then(|| format!("{parent}/{name}"))
}

/// The event-specific variables, before they are checked against the event kind.
#[derive(Debug, Default, Clone)]
pub(crate) struct RawEventVars<'a> {
    pub relation: Option<&'a str>,
    pub relation_id: Option<&'a str>,
    pub remote_app: Option<&'a str>,
    pub remote_unit: Option<&'a str>,
    pub departing_unit: Option<&'a str>,
    pub workload: Option<&'a str>,
    pub storage_id: Option<&'a str>,
    pub storage_location: Option<&'a str>,
    pub secret_id: Option<&'a str>,
    pub secret_label: Option<&'a str>,
    pub secret_revision: Option<&'a str>,
    pub notice_id: Option<&'a str>,
    pub notice_type: Option<&'a str>,
    pub notice_key: Option<&'a str>,
    pub check_name: Option<&'a str>,
    pub action_uuid: Option<&'a str>,
}

/// Parses a relation reference from `JUJU_RELATION_ID` (`endpoint:id`).
pub(crate) fn parse_relation_id(value: &str) -> Result<RelationId, ContextError> {
    value.parse().map_err(|_| {
        ContextError::malformed("JUJU_RELATION_ID", value, "expected `<endpoint>:<id>`")
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::event::{Event, RelationEventKind};

    pub fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        let mut m: HashMap<String, String> = [
            ("JUJU_UNIT_NAME", "tempo/0"),
            ("JUJU_MODEL_NAME", "cos"),
            ("JUJU_MODEL_UUID", "00000000-0000-4000-8000-000000000000"),
            ("JUJU_CHARM_DIR", "/var/lib/juju/agents/unit-tempo-0/charm"),
            ("JUJU_VERSION", "3.6.4"),
            ("JUJU_DISPATCH_PATH", "hooks/install"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        for (k, v) in pairs {
            m.insert(k.to_string(), v.to_string());
        }
        m
    }

    #[test]
    fn parses_the_basic_context() {
        let ctx = Context::from_env(&env(&[]), None).unwrap();
        assert_eq!(ctx.unit.to_string(), "tempo/0");
        assert_eq!(ctx.app(), "tempo");
        assert_eq!(ctx.model_name, "cos");
        assert_eq!(
            ctx.juju_version,
            JujuVersion {
                major: 3,
                minor: 6,
                patch: 4
            }
        );
        assert_eq!(ctx.event, Event::Install);
        assert!(!ctx.debug);
    }

    #[test]
    fn each_missing_required_variable_is_named() {
        for var in [
            "JUJU_UNIT_NAME",
            "JUJU_MODEL_NAME",
            "JUJU_CHARM_DIR",
            "JUJU_VERSION",
            "JUJU_DISPATCH_PATH",
        ] {
            let mut e = env(&[]);
            e.remove(var);
            let err = Context::from_env(&e, None).unwrap_err();
            assert_eq!(err, ContextError::Missing { var }, "{var}");
            assert!(err.to_string().contains(var));
        }
    }

    #[test]
    fn malformed_values_are_named_with_the_value() {
        let err = Context::from_env(&env(&[("JUJU_UNIT_NAME", "tempo")]), None).unwrap_err();
        assert!(
            matches!(
                err,
                ContextError::Malformed {
                    var: "JUJU_UNIT_NAME",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("`tempo`"));
        let err = Context::from_env(&env(&[("JUJU_VERSION", "three")]), None).unwrap_err();
        assert!(matches!(
            err,
            ContextError::Malformed {
                var: "JUJU_VERSION",
                ..
            }
        ));
        let err = Context::from_env(
            &env(&[
                ("JUJU_DISPATCH_PATH", "hooks/tempo-api-relation-joined"),
                ("JUJU_RELATION", "tempo-api"),
                ("JUJU_RELATION_ID", "tempo-api:x"),
            ]),
            None,
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                ContextError::Malformed {
                    var: "JUJU_RELATION_ID",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn falls_back_to_argv0_under_hooks() {
        let mut e = env(&[]);
        e.remove("JUJU_DISPATCH_PATH");
        let ctx = Context::from_env(&e, Some("/charm/hooks/leader-elected")).unwrap();
        assert_eq!(ctx.dispatch_path, "hooks/leader-elected");
        assert_eq!(ctx.event, Event::LeaderElected);
        assert!(Context::from_env(&e, Some("/charm/dispatch")).is_err());
        let shim = env(&[(
            "JUJU_DISPATCH_PATH",
            "/var/lib/juju/agents/unit-tempo-0/charm/hooks/start",
        )]);
        assert_eq!(Context::from_env(&shim, None).unwrap().event, Event::Start);
    }

    #[test]
    fn relation_context_is_carried_by_the_event() {
        let ctx = Context::from_env(
            &env(&[
                ("JUJU_DISPATCH_PATH", "hooks/tempo-api-relation-joined"),
                ("JUJU_RELATION", "tempo-api"),
                ("JUJU_RELATION_ID", "tempo-api:7"),
                ("JUJU_REMOTE_APP", "grafana"),
                ("JUJU_REMOTE_UNIT", "grafana/0"),
            ]),
            None,
        )
        .unwrap();
        match ctx.event {
            Event::Relation(r) => {
                assert_eq!(r.kind, RelationEventKind::Joined);
                assert_eq!(r.relation, RelationId::new("tempo-api", 7));
                assert_eq!(r.remote_app.as_deref(), Some("grafana"));
                assert_eq!(
                    r.remote_unit.map(|u| u.to_string()).as_deref(),
                    Some("grafana/0")
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn juju_versions() {
        assert_eq!(
            JujuVersion::parse("3.6-beta2"),
            Some(JujuVersion {
                major: 3,
                minor: 6,
                patch: 0
            })
        );
        assert_eq!(
            JujuVersion::parse("3.6.1.2"),
            Some(JujuVersion {
                major: 3,
                minor: 6,
                patch: 1
            })
        );
        assert_eq!(
            JujuVersion::parse("4.0"),
            Some(JujuVersion {
                major: 4,
                minor: 0,
                patch: 0
            })
        );
        assert!(JujuVersion::parse("x.1").is_none());
        assert!(JujuVersion::parse("3").is_none());
    }

    #[test]
    fn debug_flag() {
        assert!(
            Context::from_env(&env(&[("JUJU_DEBUG", "1")]), None)
                .unwrap()
                .debug
        );
    }
}
