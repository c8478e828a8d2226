//! The simulator's state file: what Juju knows about one unit, written by hand in YAML.
//!
//! A two-line state (`unit:` and `leader:`) is runnable; everything else has a default.
//! See `examples/` for complete ones.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use juju_charm::Databag;

fn default_model() -> String {
    "cos".into()
}
fn default_uuid() -> String {
    "8b1e5e4a-6c2d-4c4e-9f57-3f2b8f1c0d11".into()
}
fn default_version() -> String {
    "3.6.4".into()
}
fn yes() -> bool {
    true
}

/// One unit's view of its model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// This unit, `app/N`; the application is the part before `/`.
    pub unit: String,
    /// The model's name (the K8s namespace).
    #[serde(default = "default_model")]
    pub model: String,
    /// The model's UUID.
    #[serde(default = "default_uuid")]
    pub model_uuid: String,
    /// `JUJU_VERSION`.
    #[serde(default = "default_version")]
    pub juju_version: String,
    /// Whether this unit holds leadership.
    #[serde(default)]
    pub leader: bool,
    /// Charm config as `config-get` returns it (typed values).
    #[serde(default)]
    pub config: BTreeMap<String, serde_json::Value>,
    /// Relations this unit is in.
    #[serde(default)]
    pub relations: Vec<Relation>,
    /// The unit's workload status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_status: Option<StatusState>,
    /// The application's status (set by the leader).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_status: Option<StatusState>,
    /// Ports opened with `open-port` (`3200/tcp`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub opened_ports: Vec<String>,
    /// What `application-version-set` last set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    /// Charm state (`state-get`/`state-set`), kept by Juju across hooks.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub charm_state: BTreeMap<String, String>,
    /// Parameters of the action being run, for `action-get`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub action_params: BTreeMap<String, serde_json::Value>,
    /// Secrets this unit can read with `secret-get` (by id or label).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretState>,
    /// Workload containers and their Pebble (containers the charm declares but the state
    /// leaves out are not connectable).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<crate::pebble::ContainerState>,
    /// Faults to inject into the next hook.
    #[serde(default, skip_serializing_if = "Faults::is_empty")]
    pub faults: Faults,
    /// Simulator settings.
    #[serde(default, skip_serializing_if = "Settings::is_default")]
    pub settings: Settings,
}

/// One relation, from this unit's side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    /// Juju's relation id.
    pub id: u32,
    /// Our endpoint.
    pub endpoint: String,
    /// The other application; our own for a peer relation.
    pub remote_app: String,
    /// Remote units that have joined (other peers, on a peer relation).
    #[serde(default)]
    pub remote_units: Vec<String>,
    /// Our application's databag.
    #[serde(default)]
    pub local_app: Databag,
    /// Our unit's databag.
    #[serde(default)]
    pub local_unit: Databag,
    /// The remote application's databag.
    #[serde(default)]
    pub remote_app_data: Databag,
    /// Each remote unit's databag.
    #[serde(default)]
    pub remote_units_data: BTreeMap<String, Databag>,
}

/// A secret as Juju's controller holds it, seen from this unit (`juju-secrets.md` §0-§6).
///
/// The older two-field form (`id`, `label`, `content`) still reads as before: a secret of
/// another application shared with this unit, known by that label, at revision 1.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretState {
    /// Its URI (`secret://<model-uuid>/<id>`, `secret:<id>` or the bare id); tools match
    /// on the id after the last `/` or `:`.
    pub id: String,
    /// `app/N` for a unit-owned secret, `app` for an application-owned one. Absent: owned
    /// by another application that shared it with this unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// The owner label when this unit or its application owns the secret; otherwise this
    /// unit's consumer label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The owner's description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The rotation policy (`hourly` ... `yearly`); absent or `never` for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rotate: Option<String>,
    /// Shorthand for one revision (revision 1) with this content; give `revisions` instead
    /// for more.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub content: BTreeMap<String, String>,
    /// The stored revisions, oldest first; the last is the latest.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<SecretRevision>,
    /// `view` grants: who may read it, each scoped to a relation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<SecretGrant>,
    /// The revision this unit's consumer record tracks (its first `secret-get` creates it;
    /// `--refresh` moves it). Absent: this unit has not read it as a consumer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracked: Option<u32>,
}

impl std::fmt::Debug for SecretState {
    // Content never reaches a log or an assertion message.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretState")
            .field("id", &self.id)
            .field("owner", &self.owner)
            .field("label", &self.label)
            .field(
                "revisions",
                &self
                    .revisions
                    .iter()
                    .map(|r| r.revision)
                    .collect::<Vec<_>>(),
            )
            .field("grants", &self.grants)
            .field("tracked", &self.tracked)
            .finish_non_exhaustive()
    }
}

/// One revision of a secret's content.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretRevision {
    /// Its number, from 1.
    pub revision: u32,
    /// Its content.
    pub content: BTreeMap<String, String>,
    /// When it expires (RFC 3339, UTC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expire: Option<String>,
}

impl std::fmt::Debug for SecretRevision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretRevision")
            .field("revision", &self.revision)
            .field("keys", &self.content.keys().collect::<Vec<_>>())
            .field("expire", &self.expire)
            .finish()
    }
}

/// A `view` grant of a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretGrant {
    /// The relation it is scoped to (it dies with it).
    pub relation: u32,
    /// Who may read: an application (`grafana`) or a unit (`grafana/0`).
    pub target: String,
}

impl SecretState {
    /// The id without scheme or model (`cs3vu9f0000s75fi8hlg`).
    pub fn bare_id(&self) -> &str {
        bare_secret_id(&self.id)
    }

    /// The latest revision's number (0 when there is none, which `check` refuses).
    pub fn latest(&self) -> u32 {
        self.revisions.last().map_or(0, |r| r.revision)
    }

    /// Moves the one-revision shorthand into `revisions`.
    pub fn normalise(&mut self) {
        if self.revisions.is_empty() {
            self.revisions.push(SecretRevision {
                revision: 1,
                content: std::mem::take(&mut self.content),
                expire: None,
            });
        }
    }
}

/// The id part of a secret URI in any of its forms (`secret://uuid/id`, `secret:id`, `id`).
pub fn bare_secret_id(uri: &str) -> &str {
    let s = uri.strip_prefix("secret:").unwrap_or(uri);
    s.rsplit('/').next().unwrap_or(s)
}

/// A status as `juju status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusState {
    /// `active`, `blocked`, `waiting`, `maintenance`, `unknown`, `error`.
    pub status: String,
    /// The message.
    #[serde(default)]
    pub message: String,
}

/// Faults injected into a hook, so a charm's reaction can be seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Faults {
    /// Tools that fail: on every call, or on the `call`-th call of that tool.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail_tool: Vec<ToolFault>,
    /// Tools missing from `PATH`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_tools: Vec<String>,
    /// A relation removed while the hook runs, after this many tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation_vanishes: Option<VanishFault>,
    /// Leadership lost while the hook runs, after this many tool calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leadership_lost_after_calls: Option<u32>,
    /// Environment variables removed (`JUJU_UNIT_NAME`) or replaced (`JUJU_RELATION_ID=x`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, Option<String>>,
}

impl Faults {
    /// No fault at all.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A failing tool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolFault {
    /// The tool (`relation-set`).
    pub tool: String,
    /// Which call of that tool fails (1 = the first); every call when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call: Option<u32>,
    /// Its exit code.
    #[serde(default = "one")]
    pub exit_code: i32,
    /// Its standard error.
    #[serde(default = "default_fault_stderr")]
    pub stderr: String,
}

fn one() -> i32 {
    1
}
fn default_fault_stderr() -> String {
    "ERROR injected failure\n".into()
}

/// A relation that disappears mid-hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VanishFault {
    /// Its id.
    pub id: u32,
    /// After how many tool calls (0 = before the first).
    #[serde(default)]
    pub after_calls: u32,
}

/// How strict the simulator is where Juju itself is lenient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Refuse `-r endpoint:id` whose endpoint is not the relation's (Juju 3.6 ignores the
    /// endpoint part; a mismatch is a charm bug all the same).
    #[serde(default = "yes")]
    pub check_relation_endpoint: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            check_relation_endpoint: true,
        }
    }
}

impl Settings {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// The state file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StateError {
    /// Not YAML of the state's shape (the parser's message, in the state file's words).
    #[error("{0}")]
    Yaml(String),
    /// Inconsistent: something Juju could never produce.
    #[error("{0}")]
    Inconsistent(String),
}

impl From<serde_yaml::Error> for StateError {
    fn from(e: serde_yaml::Error) -> Self {
        Self::Yaml(humanize(&e))
    }
}

/// The YAML parser's message without the names of Rust types: where (line, column, field)
/// and what was expected, in the words of the file's format.
pub fn humanize(e: &serde_yaml::Error) -> String {
    let mut text = e.to_string();
    for (jargon, plain) in [
        (
            "data did not match any variant of untagged enum FileState",
            "a file is its text, or {content, permissions, user, group}",
        ),
        (
            "data did not match any variant of untagged enum StepSpec",
            "a step is a hook name, {event, relation, remote_unit, ...}, or one of {relate: ...}, {remote_writes: ...}, {container_up: ...}",
        ),
        ("expected struct State", "expected a state (a mapping with at least `unit:`)"),
        ("expected struct Relation", "expected a relation ({id, endpoint, remote_app, ...})"),
        ("expected struct ContainerState", "expected a container ({name, can_connect, ...})"),
        ("expected struct EventSpec", "expected an event ({event, relation, remote_unit, ...})"),
        ("expected struct Scenario", "expected a scenario (a mapping with `state:` or `state_file:`, and `events:`)"),
        ("expected a sequence", "expected a list"),
        ("expected a map", "expected a mapping"),
        ("invalid type: ", "found "),
    ] {
        text = text.replace(jargon, plain);
    }
    if let Some(rest) = text.strip_prefix("found ") {
        text = format!("found {rest}");
    }
    text
}

impl State {
    /// Parses and checks a state file's text.
    pub fn from_yaml(text: &str) -> Result<Self, StateError> {
        let state: Self = serde_yaml::from_str(text)?;
        state.check()?;
        Ok(state)
    }

    /// The state as YAML.
    pub fn to_yaml(&self) -> String {
        serde_yaml::to_string(self).unwrap_or_else(|e| format!("# cannot serialise state: {e}\n"))
    }

    /// The application's name.
    pub fn app(&self) -> &str {
        self.unit
            .split_once('/')
            .map_or(self.unit.as_str(), |(a, _)| a)
    }

    /// The relation with `id`.
    pub fn relation(&self, id: u32) -> Option<&Relation> {
        self.relations.iter().find(|r| r.id == id)
    }

    /// Refuses states Juju could never produce, as Scenario's consistency checker does.
    pub fn check(&self) -> Result<(), StateError> {
        let bad = |m: String| Err(StateError::Inconsistent(m));
        if self.unit.parse::<juju_charm::UnitName>().is_err() {
            return bad(format!("unit `{}` is not `<app>/<number>`", self.unit));
        }
        let mut ids = std::collections::BTreeSet::new();
        for r in &self.relations {
            if !ids.insert(r.id) {
                return bad(format!("relation id {} is used twice", r.id));
            }
            if r.endpoint.is_empty() || r.remote_app.is_empty() {
                return bad(format!(
                    "relation {} needs an endpoint and a remote_app",
                    r.id
                ));
            }
            for u in r.remote_units.iter().chain(r.remote_units_data.keys()) {
                match u.parse::<juju_charm::UnitName>() {
                    Ok(n) if n.app() == r.remote_app => {}
                    _ => {
                        return bad(format!(
                            "relation {}: `{u}` is not a unit of `{}`",
                            r.id, r.remote_app
                        ))
                    }
                }
                if *u == self.unit {
                    return bad(format!(
                        "relation {}: this unit cannot be its own remote unit",
                        r.id
                    ));
                }
            }
            for (bag, data) in std::iter::once(("local_app", &r.local_app))
                .chain(std::iter::once(("local_unit", &r.local_unit)))
                .chain(std::iter::once(("remote_app_data", &r.remote_app_data)))
                .chain(r.remote_units_data.iter().map(|(u, d)| (u.as_str(), d)))
            {
                if data.values().any(String::is_empty) {
                    return bad(format!(
                        "relation {} {bag}: Juju cannot store an empty value",
                        r.id
                    ));
                }
            }
        }
        self.check_secrets()
    }

    fn check_secrets(&self) -> Result<(), StateError> {
        let bad = |m: String| Err(StateError::Inconsistent(m));
        let mut ids = std::collections::BTreeSet::new();
        let mut labels = std::collections::BTreeSet::new();
        for s in &self.secrets {
            let id = s.bare_id();
            if id.is_empty()
                || !id
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase())
            {
                return bad(format!(
                    "secret `{}`: the id is not `secret:<[0-9a-z]+>`",
                    s.id
                ));
            }
            if !ids.insert(id) {
                return bad(format!("secret `{id}` is listed twice"));
            }
            if let Some(l) = &s.label {
                if !labels.insert(l.as_str()) {
                    return bad(format!(
                        "secret label `{l}` is used twice (Juju keeps labels unique per unit and application)"
                    ));
                }
            }
            if !s.content.is_empty() && !s.revisions.is_empty() {
                return bad(format!(
                    "secret `{id}`: give `content` or `revisions`, not both"
                ));
            }
            if s.revisions
                .windows(2)
                .any(|w| w[0].revision >= w[1].revision)
                || s.revisions.first().is_some_and(|r| r.revision == 0)
            {
                return bad(format!(
                    "secret `{id}`: revisions must be numbered from 1 upwards"
                ));
            }
            if let Some(t) = s.tracked {
                if !s.revisions.is_empty() && !s.revisions.iter().any(|r| r.revision == t) {
                    return bad(format!("secret `{id}`: tracked revision {t} is not stored"));
                }
            }
            if let Some(o) = &s.owner {
                let ok = match o.parse::<juju_charm::UnitName>() {
                    Ok(u) => u.app() == self.app(),
                    Err(_) => !o.contains('/') && !o.is_empty(),
                };
                if !ok {
                    return bad(format!(
                        "secret `{id}`: owner `{o}` is neither `{}`, a unit of it, nor another application",
                        self.app()
                    ));
                }
            }
            for g in &s.grants {
                if self.relation(g.relation).is_none() {
                    return bad(format!(
                        "secret `{id}`: grant scoped to relation {} which the state does not have",
                        g.relation
                    ));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_lines_make_a_state() {
        let s = State::from_yaml("unit: tempo/0\nleader: true\n").unwrap();
        assert_eq!(
            (s.app(), s.model.as_str(), s.leader),
            ("tempo", "cos", true)
        );
        assert!(s.settings.check_relation_endpoint);
    }

    #[test]
    fn impossible_states_are_refused() {
        for (yaml, needle) in [
            ("unit: tempo", "not `<app>/<number>`"),
            ("unit: t/0\nrelations: [{id: 1, endpoint: a, remote_app: b}, {id: 1, endpoint: c, remote_app: d}]", "used twice"),
            ("unit: t/0\nrelations: [{id: 1, endpoint: a, remote_app: b, remote_units: [c/0]}]", "not a unit of"),
            ("unit: t/0\nrelations: [{id: 1, endpoint: a, remote_app: b, local_app: {k: ''}}]", "empty value"),
            ("unit: t/0\nbogus: 1", "unknown field"),
        ] {
            let e = State::from_yaml(yaml).unwrap_err().to_string();
            assert!(e.contains(needle), "{yaml}: {e}");
        }
    }
}
