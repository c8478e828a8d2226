//! The event a hook process was started for, from `JUJU_DISPATCH_PATH` and the event's variables.
//!
//! Hook names are classified by their suffix (`-relation-changed`, `-pebble-ready`, ...),
//! because endpoint, container and storage names may contain dashes themselves.
//! Each variant carries the data that comes with it, so a relation event always has its
//! relation: the type says so, not an optional field.

use super::context::{parse_relation_id, ContextError, RawEventVars};
use super::types::{RelationId, UnitName};

/// What happened to a relation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RelationEventKind {
    /// `<ep>-relation-created`: the relation exists; no remote unit has joined yet.
    Created,
    /// `<ep>-relation-joined`: a remote unit joined.
    Joined,
    /// `<ep>-relation-changed`: remote unit or app data changed.
    Changed,
    /// `<ep>-relation-departed`: a remote unit left.
    Departed,
    /// `<ep>-relation-broken`: the relation is being removed.
    Broken,
}

impl RelationEventKind {
    const SUFFIXES: [(&'static str, Self); 5] = [
        ("-relation-created", Self::Created),
        ("-relation-joined", Self::Joined),
        ("-relation-changed", Self::Changed),
        ("-relation-departed", Self::Departed),
        ("-relation-broken", Self::Broken),
    ];
}

/// A relation event with its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationEvent {
    /// What happened.
    pub kind: RelationEventKind,
    /// The relation (`JUJU_RELATION_ID`).
    pub relation: RelationId,
    /// The remote application (`JUJU_REMOTE_APP`); our own app on peer relations.
    pub remote_app: Option<String>,
    /// The remote unit (`JUJU_REMOTE_UNIT`); absent for created, broken and app-data changes.
    pub remote_unit: Option<UnitName>,
    /// The unit leaving (`JUJU_DEPARTING_UNIT`), on departed only.
    pub departing_unit: Option<UnitName>,
}

/// Storage events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageEventKind {
    /// `<storage>-storage-attached`.
    Attached,
    /// `<storage>-storage-detaching`.
    Detaching,
}

/// Pebble (workload container) events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PebbleEventKind {
    /// `<container>-pebble-ready`.
    Ready,
    /// `<container>-pebble-custom-notice`.
    CustomNotice,
    /// `<container>-pebble-check-failed` (Juju 3.6+).
    CheckFailed,
    /// `<container>-pebble-check-recovered` (Juju 3.6+).
    CheckRecovered,
}

/// Secret events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretEventKind {
    /// `secret-changed` (consumer).
    Changed,
    /// `secret-rotate` (owner).
    Rotate,
    /// `secret-expired` (owner).
    Expired,
    /// `secret-remove` (owner).
    Remove,
}

/// Every event a Kubernetes sidecar charm can receive.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `install`.
    Install,
    /// `start`.
    Start,
    /// `stop`.
    Stop,
    /// `remove`.
    Remove,
    /// `config-changed`.
    ConfigChanged,
    /// `upgrade-charm`.
    UpgradeCharm,
    /// `update-status`.
    UpdateStatus,
    /// `leader-elected`.
    LeaderElected,
    /// `leader-settings-changed` (non-leaders, Juju 3.x).
    LeaderSettingsChanged,
    /// `leader-deposed` (defined by Juju, never fired).
    LeaderDeposed,
    /// A relation event.
    Relation(RelationEvent),
    /// A storage event.
    Storage {
        /// Attached or detaching.
        kind: StorageEventKind,
        /// The storage name from metadata.yaml.
        name: String,
        /// `JUJU_STORAGE_ID`, e.g. `data/0`.
        id: Option<String>,
        /// `JUJU_STORAGE_LOCATION`, the mount path.
        location: Option<String>,
    },
    /// A Pebble event for a workload container.
    Pebble {
        /// Which Pebble event.
        kind: PebbleEventKind,
        /// The container (`JUJU_WORKLOAD_NAME`).
        container: String,
        /// For custom notices: (`JUJU_NOTICE_ID`, `JUJU_NOTICE_TYPE`, `JUJU_NOTICE_KEY`).
        notice: Option<(String, String, String)>,
        /// For check events: `JUJU_PEBBLE_CHECK_NAME`.
        check: Option<String>,
    },
    /// A secret event.
    Secret {
        /// Which secret event.
        kind: SecretEventKind,
        /// `JUJU_SECRET_ID`.
        id: crate::types::SecretId,
        /// `JUJU_SECRET_LABEL`, if any.
        label: Option<String>,
        /// `JUJU_SECRET_REVISION`, for expired and remove.
        revision: Option<u32>,
    },
    /// An action (`actions/<name>`).
    Action {
        /// The action's name.
        name: String,
        /// `JUJU_ACTION_UUID`.
        id: Option<String>,
    },
    /// A hook this layer does not know (a newer Juju, or a machine-only hook). A no-op.
    Unknown(String),
}

impl Event {
    /// The hook name (`tempo-api-relation-joined`), or the action name for actions.
    pub fn name(&self) -> String {
        match self {
            Self::Install => "install".into(),
            Self::Start => "start".into(),
            Self::Stop => "stop".into(),
            Self::Remove => "remove".into(),
            Self::ConfigChanged => "config-changed".into(),
            Self::UpgradeCharm => "upgrade-charm".into(),
            Self::UpdateStatus => "update-status".into(),
            Self::LeaderElected => "leader-elected".into(),
            Self::LeaderSettingsChanged => "leader-settings-changed".into(),
            Self::LeaderDeposed => "leader-deposed".into(),
            Self::Relation(r) => {
                let suffix = RelationEventKind::SUFFIXES
                    .iter()
                    .find(|(_, k)| *k == r.kind)
                    .map_or("", |(s, _)| *s);
                format!("{}{}", r.relation.endpoint, suffix)
            }
            Self::Storage { kind, name, .. } => match kind {
                StorageEventKind::Attached => format!("{name}-storage-attached"),
                StorageEventKind::Detaching => format!("{name}-storage-detaching"),
            },
            Self::Pebble {
                kind, container, ..
            } => {
                let s = match kind {
                    PebbleEventKind::Ready => "ready",
                    PebbleEventKind::CustomNotice => "custom-notice",
                    PebbleEventKind::CheckFailed => "check-failed",
                    PebbleEventKind::CheckRecovered => "check-recovered",
                };
                format!("{container}-pebble-{s}")
            }
            Self::Secret { kind, .. } => match kind {
                SecretEventKind::Changed => "secret-changed".into(),
                SecretEventKind::Rotate => "secret-rotate".into(),
                SecretEventKind::Expired => "secret-expired".into(),
                SecretEventKind::Remove => "secret-remove".into(),
            },
            Self::Action { name, .. } => name.clone(),
            Self::Unknown(name) => name.clone(),
        }
    }

    /// The relation event, if this is one.
    pub fn relation(&self) -> Option<&RelationEvent> {
        match self {
            Self::Relation(r) => Some(r),
            _ => None,
        }
    }

    /// `JUJU_REMOTE_APP` when this is an event on `relation`: the remote application's name
    /// without a `relation-list --app` (ops takes the same shortcut).
    pub fn remote_app_on(&self, relation: &RelationId) -> Option<&str> {
        self.relation()
            .filter(|r| r.relation == *relation)
            .and_then(|r| r.remote_app.as_deref())
    }

    pub(crate) fn parse(
        dispatch_path: &str,
        vars: &RawEventVars<'_>,
    ) -> Result<Self, ContextError> {
        if let Some(action) = dispatch_path.strip_prefix("actions/") {
            if action.is_empty() {
                return Err(ContextError::malformed(
                    "JUJU_DISPATCH_PATH",
                    dispatch_path,
                    "no action name",
                ));
            }
            return Ok(Self::Action {
                name: action.to_owned(),
                id: vars.action_uuid.map(str::to_owned),
            });
        }
        let Some(hook) = dispatch_path.strip_prefix("hooks/") else {
            return Err(ContextError::malformed(
                "JUJU_DISPATCH_PATH",
                dispatch_path,
                "expected `hooks/<hook-name>` or `actions/<action-name>`",
            ));
        };
        Ok(match hook {
            "install" => Self::Install,
            "start" => Self::Start,
            "stop" => Self::Stop,
            "remove" => Self::Remove,
            "config-changed" => Self::ConfigChanged,
            "upgrade-charm" => Self::UpgradeCharm,
            "update-status" => Self::UpdateStatus,
            "leader-elected" => Self::LeaderElected,
            "leader-settings-changed" => Self::LeaderSettingsChanged,
            "leader-deposed" => Self::LeaderDeposed,
            "secret-changed" | "secret-rotate" | "secret-expired" | "secret-remove" => {
                let kind = match hook {
                    "secret-changed" => SecretEventKind::Changed,
                    "secret-rotate" => SecretEventKind::Rotate,
                    "secret-expired" => SecretEventKind::Expired,
                    _ => SecretEventKind::Remove,
                };
                let raw_id = vars.secret_id.ok_or(ContextError::Missing {
                    var: "JUJU_SECRET_ID",
                })?;
                let id: crate::types::SecretId = raw_id.parse().map_err(|e| {
                    ContextError::malformed("JUJU_SECRET_ID", raw_id, format!("{e}"))
                })?;
                // Juju sets the revision for these two only; ops refuses to run without it.
                if matches!(kind, SecretEventKind::Expired | SecretEventKind::Remove)
                    && vars.secret_revision.is_none()
                {
                    return Err(ContextError::Missing {
                        var: "JUJU_SECRET_REVISION",
                    });
                }
                let revision = match vars.secret_revision {
                    None => None,
                    Some(r) => Some(r.parse().map_err(|_| {
                        ContextError::malformed(
                            "JUJU_SECRET_REVISION",
                            r,
                            "expected a revision number",
                        )
                    })?),
                };
                Self::Secret {
                    kind,
                    id,
                    label: vars.secret_label.map(str::to_owned),
                    revision,
                }
            }
            _ => return Self::parse_suffixed(hook, vars),
        })
    }

    fn parse_suffixed(hook: &str, vars: &RawEventVars<'_>) -> Result<Self, ContextError> {
        for (suffix, kind) in RelationEventKind::SUFFIXES {
            if let Some(endpoint) = hook.strip_suffix(suffix).filter(|e| !e.is_empty()) {
                return Self::parse_relation(kind, endpoint, vars).map(Self::Relation);
            }
        }
        for (suffix, kind) in [
            ("-storage-attached", StorageEventKind::Attached),
            ("-storage-detaching", StorageEventKind::Detaching),
        ] {
            if let Some(name) = hook.strip_suffix(suffix).filter(|e| !e.is_empty()) {
                return Ok(Self::Storage {
                    kind,
                    name: name.to_owned(),
                    id: vars.storage_id.map(str::to_owned),
                    location: vars.storage_location.map(str::to_owned),
                });
            }
        }
        for (suffix, kind) in [
            ("-pebble-ready", PebbleEventKind::Ready),
            ("-pebble-custom-notice", PebbleEventKind::CustomNotice),
            ("-pebble-check-failed", PebbleEventKind::CheckFailed),
            ("-pebble-check-recovered", PebbleEventKind::CheckRecovered),
        ] {
            if let Some(container) = hook.strip_suffix(suffix).filter(|e| !e.is_empty()) {
                let container = vars.workload.unwrap_or(container).to_owned();
                let notice = match (vars.notice_id, vars.notice_type, vars.notice_key) {
                    (Some(i), Some(t), Some(k)) => Some((i.to_owned(), t.to_owned(), k.to_owned())),
                    _ => None,
                };
                return Ok(Self::Pebble {
                    kind,
                    container,
                    notice,
                    check: vars.check_name.map(str::to_owned),
                });
            }
        }
        Ok(Self::Unknown(hook.to_owned()))
    }

    fn parse_relation(
        kind: RelationEventKind,
        endpoint_from_name: &str,
        vars: &RawEventVars<'_>,
    ) -> Result<RelationEvent, ContextError> {
        let raw_id = vars.relation_id.ok_or(ContextError::Missing {
            var: "JUJU_RELATION_ID",
        })?;
        let mut relation = parse_relation_id(raw_id)?;
        // JUJU_RELATION names the endpoint; it wins over the hook name's prefix.
        let endpoint = vars.relation.unwrap_or(endpoint_from_name);
        if relation.endpoint != endpoint {
            // Juju always sends `<endpoint>:<id>` with the hook's endpoint; anything else is a bug upstream.
            return Err(ContextError::malformed(
                "JUJU_RELATION_ID",
                raw_id,
                format!("its endpoint does not match the hook's endpoint `{endpoint}`"),
            ));
        }
        relation.endpoint = endpoint.to_owned();
        let unit = |var: &'static str, v: Option<&str>| -> Result<Option<UnitName>, ContextError> {
            v.map(|s| {
                s.parse()
                    .map_err(|_| ContextError::malformed(var, s, "expected `<app>/<number>`"))
            })
            .transpose()
        };
        Ok(RelationEvent {
            kind,
            relation,
            remote_app: vars.remote_app.map(str::to_owned),
            remote_unit: unit("JUJU_REMOTE_UNIT", vars.remote_unit)?,
            departing_unit: unit("JUJU_DEPARTING_UNIT", vars.departing_unit)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str, vars: RawEventVars<'_>) -> Result<Event, ContextError> {
        Event::parse(path, &vars)
    }

    #[test]
    fn lifecycle_and_leader_hooks() {
        for (name, ev) in [
            ("install", Event::Install),
            ("start", Event::Start),
            ("stop", Event::Stop),
            ("remove", Event::Remove),
            ("config-changed", Event::ConfigChanged),
            ("upgrade-charm", Event::UpgradeCharm),
            ("update-status", Event::UpdateStatus),
            ("leader-elected", Event::LeaderElected),
            ("leader-settings-changed", Event::LeaderSettingsChanged),
            ("leader-deposed", Event::LeaderDeposed),
        ] {
            let parsed = parse(&format!("hooks/{name}"), RawEventVars::default()).unwrap();
            assert_eq!(parsed, ev);
            assert_eq!(parsed.name(), name);
        }
    }

    #[test]
    fn relation_hooks_by_suffix_with_dashed_endpoints() {
        for (suffix, kind) in RelationEventKind::SUFFIXES {
            let vars = RawEventVars {
                relation: Some("my-db-relation"),
                relation_id: Some("my-db-relation:4"),
                remote_app: Some("pg"),
                ..Default::default()
            };
            let ev = parse(&format!("hooks/my-db-relation{suffix}"), vars).unwrap();
            let r = ev.relation().unwrap();
            assert_eq!(r.kind, kind);
            assert_eq!(r.relation, RelationId::new("my-db-relation", 4));
            assert_eq!(ev.name(), format!("my-db-relation{suffix}"));
        }
    }

    #[test]
    fn relation_hook_without_relation_id_is_an_error() {
        let err = parse("hooks/db-relation-joined", RawEventVars::default()).unwrap_err();
        assert_eq!(
            err,
            ContextError::Missing {
                var: "JUJU_RELATION_ID"
            }
        );
    }

    #[test]
    fn relation_id_for_another_endpoint_is_refused() {
        let vars = RawEventVars {
            relation: Some("db"),
            relation_id: Some("other:1"),
            ..Default::default()
        };
        assert!(parse("hooks/db-relation-joined", vars).is_err());
    }

    #[test]
    fn departed_carries_the_departing_unit() {
        let vars = RawEventVars {
            relation: Some("peers"),
            relation_id: Some("peers:1"),
            remote_unit: Some("tempo/1"),
            departing_unit: Some("tempo/1"),
            ..Default::default()
        };
        let ev = parse("hooks/peers-relation-departed", vars).unwrap();
        assert_eq!(
            ev.relation().unwrap().departing_unit,
            Some(UnitName::new("tempo", 1))
        );
    }

    #[test]
    fn storage_pebble_secret_action() {
        let ev = parse(
            "hooks/data-dir-storage-attached",
            RawEventVars {
                storage_id: Some("data-dir/0"),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            matches!(ev, Event::Storage { kind: StorageEventKind::Attached, ref name, .. } if name == "data-dir")
        );
        let ev = parse(
            "hooks/tempo-pebble-ready",
            RawEventVars {
                workload: Some("tempo"),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(ev.name(), "tempo-pebble-ready");
        let ev = parse(
            "hooks/my-app-pebble-check-failed",
            RawEventVars {
                check_name: Some("ready"),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            matches!(ev, Event::Pebble { kind: PebbleEventKind::CheckFailed, ref container, .. } if container == "my-app")
        );
        let ev = parse(
            "hooks/secret-expired",
            RawEventVars {
                secret_id: Some("secret:cs3vu9f0000s75fi8hlg"),
                secret_revision: Some("3"),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(
            matches!(&ev, Event::Secret { id, .. } if id.unique_identifier() == "cs3vu9f0000s75fi8hlg")
        );
        for (id, revision) in [
            ("secret:abc", Some("3")),
            ("secret:cs3vu9f0000s75fi8hlg", None),
        ] {
            assert!(
                parse(
                    "hooks/secret-remove",
                    RawEventVars {
                        secret_id: Some(id),
                        secret_revision: revision,
                        ..Default::default()
                    },
                )
                .is_err(),
                "{id} {revision:?}"
            );
        }
        let changed = parse(
            "hooks/secret-changed",
            RawEventVars {
                secret_id: Some(
                    "secret://8b1e5e4a-6c2d-4c4e-9f57-3f2b8f1c0d11/cs3vu9f0000s75fi8hlg",
                ),
                secret_label: Some("tls"),
                ..Default::default()
            },
        )
        .unwrap();
        assert!(matches!(
            changed,
            Event::Secret { kind: SecretEventKind::Changed, label: Some(ref l), revision: None, .. } if l == "tls"
        ));
        assert!(matches!(
            ev,
            Event::Secret {
                kind: SecretEventKind::Expired,
                revision: Some(3),
                ..
            }
        ));
        assert!(parse("hooks/secret-changed", RawEventVars::default()).is_err());
        let ev = parse(
            "actions/backup",
            RawEventVars {
                action_uuid: Some("42"),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            ev,
            Event::Action {
                name: "backup".into(),
                id: Some("42".into())
            }
        );
    }

    #[test]
    fn unknown_hooks_and_bad_paths() {
        assert_eq!(
            parse("hooks/pre-series-upgrade", RawEventVars::default()).unwrap(),
            Event::Unknown("pre-series-upgrade".into())
        );
        assert_eq!(
            parse("hooks/-relation-joined", RawEventVars::default()).unwrap(),
            Event::Unknown("-relation-joined".into())
        );
        assert!(parse("install", RawEventVars::default()).is_err());
        assert!(parse("actions/", RawEventVars::default()).is_err());
    }
}
