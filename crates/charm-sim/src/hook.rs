//! Preparing one hook as Juju's unit agent does: the event's relation and remote unit, the
//! `JUJU_*` environment (contract §1.3), membership changes that come with the event, and
//! running it over either transport into a [`Report`].

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::model::{Call, HookCtx, LogLine, Model};
use crate::pebble::{ContainerOutcome, PebbleServer};
use crate::state::{State, StatusState};
use juju_charm::{Databag, RelationEventKind};

/// An event to run: a hook name (`install`, `tempo-api-relation-joined`) or `actions/<name>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    /// The hook name, or `actions/<name>`.
    pub event: String,
    /// The relation (`tempo-api:3` or `3`) for relation events; needed only when the
    /// endpoint has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<String>,
    /// The remote unit (joined/changed/departed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_unit: Option<String>,
    /// The departing unit (departed); defaults to the remote unit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub departing_unit: Option<String>,
    /// The check of a `<container>-pebble-check-failed`/`-recovered` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// The notice key of a `<container>-pebble-custom-notice` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_key: Option<String>,
    /// The secret (id in any form, or label) of a `secret-*` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The revision of a `secret-remove`/`secret-expired` event (default: the oldest
    /// revision that is not the latest, resp. the latest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_revision: Option<u32>,
}

impl EventSpec {
    /// An event with no relation details.
    pub fn new(event: &str) -> Self {
        Self {
            event: event.to_owned(),
            ..Default::default()
        }
    }
    /// A relation event on `relation` (`endpoint:id`).
    pub fn on(event: &str, relation: &str) -> Self {
        Self {
            event: event.to_owned(),
            relation: Some(relation.to_owned()),
            ..Default::default()
        }
    }
    /// Sets the remote unit.
    pub fn remote_unit(mut self, unit: &str) -> Self {
        self.remote_unit = Some(unit.to_owned());
        self
    }
}

/// The event cannot be run against this state.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The event makes no sense for the state (unknown relation, unit...).
    #[error("cannot run `{event}`: {reason}")]
    Event {
        /// The event.
        event: String,
        /// Why.
        reason: String,
    },
    /// The state is invalid.
    #[error(transparent)]
    State(#[from] crate::state::StateError),
    /// The state or the event is one Juju could never produce for this charm.
    #[error(transparent)]
    Inconsistent(#[from] crate::consistency::Refusal),
    /// Running the charm failed at the simulator's end.
    #[error("simulator I/O failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A hook ready to run.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The tool server's context.
    pub ctx: HookCtx,
    /// `hooks/<name>` or `actions/<name>`.
    pub dispatch_path: String,
    /// The environment (without PATH and the socket variables, which the transport adds).
    pub env: BTreeMap<String, String>,
    /// The state the hook sees (membership already advanced for joined/departed).
    pub state: State,
    /// Set when Juju would not run the hook at all.
    pub skip: Option<String>,
    relation_kind: Option<(u32, RelationEventKind)>,
}

fn relation_kind(hook: &str) -> Option<(&str, RelationEventKind)> {
    [
        ("-relation-created", RelationEventKind::Created),
        ("-relation-joined", RelationEventKind::Joined),
        ("-relation-changed", RelationEventKind::Changed),
        ("-relation-departed", RelationEventKind::Departed),
        ("-relation-broken", RelationEventKind::Broken),
    ]
    .into_iter()
    .find_map(|(suffix, kind)| {
        hook.strip_suffix(suffix)
            .filter(|e| !e.is_empty())
            .map(|e| (e, kind))
    })
}

/// `(container, kind)` of a `<container>-pebble-<kind>` hook.
fn pebble_kind(hook: &str) -> Option<(&str, &'static str)> {
    ["ready", "custom-notice", "check-failed", "check-recovered"]
        .into_iter()
        .find_map(|kind| {
            hook.strip_suffix(&format!("-pebble-{kind}") as &str)
                .filter(|c| !c.is_empty())
                .map(|c| (c, kind))
        })
}

/// The secret hooks (Juju runs them through `dispatch`).
pub const SECRET_HOOKS: &[&str] = &[
    "secret-changed",
    "secret-rotate",
    "secret-expired",
    "secret-remove",
];

/// `JUJU_SECRET_ID`, `JUJU_SECRET_LABEL` and `JUJU_SECRET_REVISION` for a secret hook, refusing
/// the events Juju would never send this unit (`juju-secrets.md` §7.1).
fn secret_env(
    state: &State,
    spec: &EventSpec,
    hook: &str,
    env: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    let Some(wanted) = &spec.secret else {
        return Err(format!("{hook} needs the secret (--secret ID|LABEL)"));
    };
    let bare = crate::state::bare_secret_id(wanted);
    let Some(s) = state
        .secrets
        .iter()
        .find(|s| s.bare_id() == bare)
        .or_else(|| {
            state
                .secrets
                .iter()
                .find(|s| s.label.as_deref() == Some(wanted))
        })
    else {
        return Err(format!(
            "the state has no secret `{wanted}`; add it under `secrets:`"
        ));
    };
    let mut s = s.clone();
    s.normalise();
    let by_unit = s.owner.as_deref() == Some(state.unit.as_str());
    let by_app = s.owner.as_deref() == Some(state.app());
    let id = if hook == "secret-changed" {
        if by_unit {
            return Err("Juju sends secret-changed to consumers, not to the owner unit".into());
        }
        if s.tracked.is_none() {
            return Err(
                "this unit has no consumer record for the secret (no secret-get yet): Juju sends it no secret-changed"
                    .into(),
            );
        }
        format!("secret:{}", s.bare_id())
    } else {
        if !(by_unit || (by_app && state.leader)) {
            return Err(format!(
                "Juju sends {hook} to the secret's owner (the unit, or the leader for an application-owned secret)"
            ));
        }
        s.id.clone()
    };
    env.insert("JUJU_SECRET_ID".into(), id);
    env.insert(
        "JUJU_SECRET_LABEL".into(),
        s.label.clone().unwrap_or_default(),
    );
    if matches!(hook, "secret-remove" | "secret-expired") {
        let latest = s.latest();
        let revision = match (spec.secret_revision, hook) {
            (Some(r), _) => r,
            (None, "secret-expired") => latest,
            (None, _) => s
                .revisions
                .iter()
                .map(|r| r.revision)
                .find(|r| *r != latest)
                .ok_or(
                    "the secret has only its latest revision: nothing to remove (--revision N)",
                )?,
        };
        if !s.revisions.iter().any(|r| r.revision == revision) {
            return Err(format!("the secret has no revision {revision}"));
        }
        env.insert("JUJU_SECRET_REVISION".into(), revision.to_string());
    } else if spec.secret_revision.is_some() {
        return Err(format!("{hook} carries no revision"));
    }
    Ok(())
}

/// Prepares `spec` against `state` for the charm in `charm_dir`.
pub fn prepare(
    state: &State,
    spec: &EventSpec,
    charm_dir: &Path,
    seq: u64,
) -> Result<Prepared, SimError> {
    state.check()?;
    crate::consistency::check(state, spec, charm_dir)?;
    let bad = |reason: String| SimError::Event {
        event: spec.event.clone(),
        reason,
    };
    let mut state = state.clone();
    let (hook, action) = match spec.event.strip_prefix("actions/") {
        Some(a) => (a.to_owned(), true),
        None => (
            spec.event
                .strip_prefix("hooks/")
                .unwrap_or(&spec.event)
                .to_owned(),
            false,
        ),
    };
    if hook.is_empty() || hook.contains('/') {
        return Err(bad(
            "an event is a hook name such as `install` or `actions/<name>`".into(),
        ));
    }
    let config_defaults = crate::charm_files::config_defaults(charm_dir)
        .map_err(|e| bad(format!("Juju would not deploy this charm: {e}")))?;
    let mut ctx = HookCtx {
        hook: hook.clone(),
        action,
        config_defaults,
        ..Default::default()
    };
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    let mut kind_of = None;
    let mut skip = None;

    if let Some((endpoint, kind)) = relation_kind(&hook).filter(|_| !action) {
        let candidates: Vec<u32> = state
            .relations
            .iter()
            .filter(|r| r.endpoint == endpoint)
            .map(|r| r.id)
            .collect();
        let id = match &spec.relation {
            Some(r) => {
                let digits = r.rsplit(':').next().unwrap_or(r);
                let id: u32 = digits
                    .parse()
                    .map_err(|_| bad(format!("`{r}` is not a relation id")))?;
                if !candidates.contains(&id) {
                    return Err(bad(format!(
                        "the state has no relation {id} on endpoint `{endpoint}`"
                    )));
                }
                id
            }
            None => match candidates.as_slice() {
                [one] => *one,
                [] => {
                    return Err(bad(format!(
                    "the state has no relation on endpoint `{endpoint}`; add it under `relations:`"
                )))
                }
                _ => {
                    return Err(bad(format!(
                        "endpoint `{endpoint}` has several relations; pick one with --relation"
                    )))
                }
            },
        };
        let is_peer = state
            .relation(id)
            .is_some_and(|r| r.remote_app == state.app());
        if is_peer && kind == RelationEventKind::Broken {
            return Err(bad("peer relations never get relation-broken".into()));
        }
        let Some(rel) = state.relations.iter_mut().find(|r| r.id == id) else {
            return Err(bad(format!("relation {id} disappeared")));
        };
        let remote_unit = match kind {
            RelationEventKind::Created | RelationEventKind::Broken => None,
            RelationEventKind::Joined => match spec
                .remote_unit
                .clone()
                .or_else(|| rel.remote_units.first().cloned())
            {
                Some(u) => Some(u),
                None => {
                    return Err(bad(
                        "relation-joined needs a remote unit (--remote-unit)".into()
                    ))
                }
            },
            RelationEventKind::Changed => spec.remote_unit.clone(),
            RelationEventKind::Departed => match spec
                .remote_unit
                .clone()
                .or_else(|| spec.departing_unit.clone())
            {
                Some(u) => Some(u),
                None => {
                    return Err(bad(
                        "relation-departed needs the departing unit (--remote-unit)".into(),
                    ))
                }
            },
        };
        if let Some(u) = &remote_unit {
            match u.parse::<juju_charm::UnitName>() {
                Ok(n) if n.app() == rel.remote_app => {}
                _ => return Err(bad(format!("`{u}` is not a unit of `{}`", rel.remote_app))),
            }
        }
        // Membership advances as joined/departed run (contract §3.4).
        match kind {
            RelationEventKind::Joined => {
                if let Some(u) = &remote_unit {
                    if !rel.remote_units.contains(u) {
                        rel.remote_units.push(u.clone());
                    }
                }
            }
            RelationEventKind::Departed => {
                let departing = spec
                    .departing_unit
                    .clone()
                    .or_else(|| remote_unit.clone())
                    .unwrap_or_default();
                if !rel.remote_units.contains(&departing) {
                    return Err(bad(format!(
                        "`{departing}` is not among relation {id}'s remote units ({}): Juju runs relation-departed only for a unit that joined; add it to `remote_units` in the state",
                        rel.remote_units.join(", ")
                    )));
                }
                rel.remote_units.retain(|u| *u != departing);
                env.insert("JUJU_DEPARTING_UNIT".into(), departing);
            }
            _ => {}
        }
        env.insert("JUJU_RELATION".into(), rel.endpoint.clone());
        env.insert(
            "JUJU_RELATION_ID".into(),
            format!("{}:{}", rel.endpoint, rel.id),
        );
        env.insert("JUJU_REMOTE_APP".into(), rel.remote_app.clone());
        env.insert(
            "JUJU_REMOTE_UNIT".into(),
            remote_unit.clone().unwrap_or_default(),
        );
        ctx.relation = Some(id);
        ctx.remote_app = Some(rel.remote_app.clone());
        ctx.remote_unit = remote_unit;
        kind_of = Some((id, kind));
    } else if spec.relation.is_some() || spec.remote_unit.is_some() {
        return Err(bad(
            "--relation and --remote-unit go with relation events only".into(),
        ));
    }

    if let Some((container, kind)) = pebble_kind(&hook).filter(|_| !action) {
        if !state.containers.iter().any(|c| c.name == container) {
            return Err(bad(format!(
                "the state has no container `{container}`; add it under `containers:`"
            )));
        }
        env.insert("JUJU_WORKLOAD_NAME".into(), container.to_owned());
        match kind {
            "check-failed" | "check-recovered" => {
                let check = spec
                    .check
                    .clone()
                    .ok_or_else(|| bad(format!("{hook} needs the check's name (--check NAME)")))?;
                env.insert("JUJU_PEBBLE_CHECK_NAME".into(), check);
            }
            "custom-notice" => {
                let key = spec.notice_key.clone().ok_or_else(|| {
                    bad(format!("{hook} needs the notice key (--notice-key KEY)"))
                })?;
                env.insert("JUJU_NOTICE_ID".into(), seq.to_string());
                env.insert("JUJU_NOTICE_TYPE".into(), "custom".into());
                env.insert("JUJU_NOTICE_KEY".into(), key);
            }
            _ => {}
        }
    } else if spec.check.is_some() || spec.notice_key.is_some() {
        return Err(bad(
            "--check and --notice-key go with Pebble events only".into()
        ));
    }

    if let Some(kind) = SECRET_HOOKS
        .iter()
        .find(|h| **h == hook)
        .filter(|_| !action)
    {
        secret_env(&state, spec, kind, &mut env).map_err(bad)?;
    } else if spec.secret.is_some() || spec.secret_revision.is_some() {
        return Err(bad(
            "--secret and --revision go with secret-* events only".into()
        ));
    }

    if hook == "leader-elected" && !state.leader {
        skip = Some(
            "leader-elected runs only on the leader: Juju skips it when the unit is not leader"
                .into(),
        );
    }

    let unit_tag = state.unit.replace('/', "-");
    let charm_dir = charm_dir.to_string_lossy().into_owned();
    let context_id = format!(
        "{}-{}-{:032x}",
        state.unit,
        hook,
        seq.wrapping_mul(0x9e37_79b9_7f4a_7c15)
    );
    for (k, v) in [
        (
            "JUJU_DISPATCH_PATH",
            if action {
                format!("actions/{hook}")
            } else {
                format!("hooks/{hook}")
            },
        ),
        (
            "JUJU_HOOK_NAME",
            if action { String::new() } else { hook.clone() },
        ),
        ("JUJU_CHARM_DIR", charm_dir.clone()),
        ("CHARM_DIR", charm_dir),
        ("JUJU_UNIT_NAME", state.unit.clone()),
        ("JUJU_MODEL_NAME", state.model.clone()),
        ("JUJU_MODEL_UUID", state.model_uuid.clone()),
        ("JUJU_VERSION", state.juju_version.clone()),
        ("JUJU_CONTEXT_ID", context_id),
        ("JUJU_API_ADDRESSES", "10.152.183.1:17070".into()),
        ("JUJU_MACHINE_ID", String::new()),
        ("JUJU_PRINCIPAL_UNIT", String::new()),
        ("JUJU_AVAILABILITY_ZONE", String::new()),
        ("JUJU_SLA", "unsupported".into()),
        ("CLOUD_API_VERSION", String::new()),
        ("JUJU_CHARM_HTTP_PROXY", String::new()),
        ("JUJU_CHARM_HTTPS_PROXY", String::new()),
        ("JUJU_CHARM_FTP_PROXY", String::new()),
        ("JUJU_CHARM_NO_PROXY", String::new()),
        ("LANG", "C.UTF-8".into()),
        ("TERM", "tmux-256color".into()),
        ("DEBIAN_FRONTEND", "noninteractive".into()),
        ("APT_LISTCHANGES_FRONTEND", "none".into()),
        ("KUBERNETES_SERVICE_HOST", "10.152.183.1".into()),
        ("KUBERNETES_SERVICE_PORT", "443".into()),
    ] {
        env.insert(k.into(), v);
    }
    if action {
        env.insert("JUJU_ACTION_NAME".into(), hook.clone());
        env.insert("JUJU_ACTION_UUID".into(), seq.to_string());
        env.insert("JUJU_ACTION_TAG".into(), format!("action-{seq}"));
    }
    env.insert("JUJU_AGENT_SOCKET_NETWORK".into(), "unix".into());
    env.insert(
        "JUJU_AGENT_SOCKET_ADDRESS".into(),
        format!("/var/lib/juju/agents/unit-{unit_tag}/agent.socket"),
    );
    for (k, v) in &state.faults.env {
        match v {
            Some(v) => env.insert(k.clone(), v.clone()),
            None => env.remove(k),
        };
    }
    Ok(Prepared {
        ctx,
        dispatch_path: env["JUJU_DISPATCH_PATH"].clone(),
        env,
        state,
        skip,
        relation_kind: kind_of,
    })
}

/// One relation in the report: what the charm can write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RelationReport {
    /// The id.
    pub id: u32,
    /// Our endpoint.
    pub endpoint: String,
    /// The other application.
    pub remote_app: String,
    /// Our application databag.
    pub local_app: Databag,
    /// Our unit databag.
    pub local_unit: Databag,
}

/// What happened in one hook.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The event.
    pub event: String,
    /// The process's exit code (0 when skipped).
    pub exit_code: i32,
    /// Wall time of the charm process, in seconds.
    pub wall_time_s: f64,
    /// Why Juju would not have run the hook, if so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Whether relation data and ports were committed.
    pub committed: bool,
    /// Why the commit failed although the process exited 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_failure: Option<String>,
    /// Every hook-tool call, in order.
    pub calls: Vec<Call>,
    /// Relations after the hook.
    pub relations: Vec<RelationReport>,
    /// Unit status after the hook.
    pub unit_status: Option<StatusState>,
    /// Application status after the hook.
    pub app_status: Option<StatusState>,
    /// Application version.
    pub app_version: Option<String>,
    /// Opened ports.
    pub opened_ports: Vec<String>,
    /// `juju-log` lines.
    pub logs: Vec<LogLine>,
    /// What the charm printed on stderr (Juju logs it at WARNING).
    pub stderr: String,
    /// The workload containers after the hook, and what the charm asked their Pebble.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<ContainerReport>,
    /// The secrets after the hook (content included: the human report hides it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<crate::state::SecretState>,
    /// For an action: its outcome as `juju run` shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<ActionReport>,
    /// The state after the hook, for the next one.
    #[serde(skip)]
    pub state: State,
}

impl Prepared {
    /// A report for a hook Juju would not run.
    pub fn skipped_report(&self) -> Report {
        let state = self.state.clone();
        Report {
            event: self.ctx.hook.clone(),
            exit_code: 0,
            wall_time_s: 0.0,
            skipped: self.skip.clone(),
            committed: false,
            commit_failure: None,
            calls: Vec::new(),
            relations: relations(&state),
            unit_status: state.unit_status.clone(),
            app_status: state.app_status.clone(),
            app_version: state.app_version.clone(),
            opened_ports: state.opened_ports.clone(),
            logs: Vec::new(),
            stderr: String::new(),
            containers: containers(&state, &[]),
            secrets: state.secrets.clone(),
            action: None,
            state,
        }
    }

    /// Serves the state's containers' Pebble under `dir` for the hook; the charm finds
    /// them through `CHARM_CONTAINERS_DIR`.
    pub fn start_pebble(
        &self,
        dir: &Path,
        env: &mut BTreeMap<String, String>,
    ) -> std::io::Result<PebbleServer> {
        env.insert(
            juju_charm::context::CONTAINERS_DIR_VAR.into(),
            dir.to_string_lossy().into_owned(),
        );
        PebbleServer::start(dir, &self.state.containers)
    }

    /// Ends the hook: commits (or not), applies the event's own effects, builds the report.
    pub fn finish(
        &self,
        mut model: Model,
        exit_code: i32,
        started: Instant,
        stderr: String,
        pebble: Option<PebbleServer>,
    ) -> Report {
        let wall_time_s = started.elapsed().as_secs_f64();
        let commit = model.finish(exit_code);
        let calls = model.calls().to_vec();
        let logs = model.logs().to_vec();
        let action = self.ctx.action.then(|| {
            let (results, failed) = model.action_outcome();
            ActionReport::new(
                &self.ctx.hook,
                model.action_params(),
                results,
                failed,
                exit_code,
                &logs,
            )
        });
        let mut state = model.into_state();
        // Containers are real: what the charm did there stays, whatever the exit code.
        let outcomes = pebble.map(PebbleServer::stop).unwrap_or_default();
        for o in &outcomes {
            if let Some(c) = state.containers.iter_mut().find(|c| c.name == o.state.name) {
                *c = o.state.clone();
            }
        }
        if let (true, Some((id, RelationEventKind::Broken))) =
            (commit.committed, self.relation_kind)
        {
            state.relations.retain(|r| r.id != id);
            // Grants scoped to the relation go with it.
            for s in &mut state.secrets {
                s.grants.retain(|g| g.relation != id);
            }
        }
        Report {
            event: self.ctx.hook.clone(),
            exit_code,
            wall_time_s,
            skipped: None,
            committed: commit.committed,
            commit_failure: commit.failure,
            calls,
            relations: relations(&state),
            unit_status: state.unit_status.clone(),
            app_status: state.app_status.clone(),
            app_version: state.app_version.clone(),
            opened_ports: state.opened_ports.clone(),
            logs,
            stderr,
            containers: containers(&state, &outcomes),
            secrets: state.secrets.clone(),
            action,
            state,
        }
    }
}

/// An action's outcome, as Juju records it (contract §1.4, §3.15).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionReport {
    /// The action's name.
    pub name: String,
    /// The parameters it ran with.
    pub params: BTreeMap<String, serde_json::Value>,
    /// `completed`, or `failed` (after `action-fail` or a non-zero exit).
    pub status: String,
    /// Why it failed: the `action-fail` message, or `exit status N`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The results: `action-set` keys nested at their dots, values strings, and Juju's
    /// own `return-code`.
    pub results: serde_json::Value,
    /// The `action-log` messages, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<String>,
}

impl ActionReport {
    fn new(
        name: &str,
        params: &BTreeMap<String, serde_json::Value>,
        set: &BTreeMap<String, String>,
        failed: Option<&str>,
        exit_code: i32,
        logs: &[LogLine],
    ) -> Self {
        let mut results = serde_json::Map::new();
        for (key, value) in set {
            let mut at = &mut results;
            let mut parts = key.split('.').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    at.insert(part.to_owned(), value.as_str().into());
                    break;
                }
                let next = at
                    .entry(part.to_owned())
                    .or_insert_with(|| serde_json::Value::Object(Default::default()));
                if !next.is_object() {
                    *next = serde_json::Value::Object(Default::default());
                }
                let serde_json::Value::Object(m) = next else {
                    break;
                };
                at = m;
            }
        }
        results.insert("return-code".into(), exit_code.into());
        let message = match (failed, exit_code) {
            (_, code) if code != 0 => Some(format!("exit status {code}")),
            (Some(m), _) => Some(m.to_owned()),
            (None, _) => None,
        };
        Self {
            name: name.to_owned(),
            params: params.clone(),
            status: if message.is_some() {
                "failed"
            } else {
                "completed"
            }
            .to_owned(),
            message,
            results: results.into(),
            logs: logs
                .iter()
                .filter(|l| l.level == "ACTION")
                .map(|l| l.message.clone())
                .collect(),
        }
    }
}

/// One container in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContainerReport {
    /// Its name.
    pub name: String,
    /// Whether the charm could reach its Pebble.
    pub can_connect: bool,
    /// The combined plan after the hook.
    pub plan: juju_charm::pebble::Layer,
    /// Service states.
    pub services: BTreeMap<String, String>,
    /// Files and their sizes in bytes (contents are in the state).
    pub files: BTreeMap<String, usize>,
    /// Every command run there so far.
    pub exec_calls: Vec<crate::pebble::ExecCall>,
    /// `METHOD /path` of each request this hook made.
    pub pebble_requests: Vec<String>,
}

fn containers(state: &State, outcomes: &[ContainerOutcome]) -> Vec<ContainerReport> {
    state
        .containers
        .iter()
        .map(|c| ContainerReport {
            name: c.name.clone(),
            can_connect: c.can_connect,
            plan: crate::pebble::model::plan(&c.layers),
            services: c.services.clone(),
            files: c
                .files
                .iter()
                .map(|(p, f)| (p.clone(), f.content().len()))
                .collect(),
            exec_calls: c.exec_calls.clone(),
            pebble_requests: outcomes
                .iter()
                .find(|o| o.state.name == c.name)
                .map(|o| o.requests.clone())
                .unwrap_or_default(),
        })
        .collect()
}

fn relations(state: &State) -> Vec<RelationReport> {
    state
        .relations
        .iter()
        .map(|r| RelationReport {
            id: r.id,
            endpoint: r.endpoint.clone(),
            remote_app: r.remote_app.clone(),
            local_app: r.local_app.clone(),
            local_unit: r.local_unit.clone(),
        })
        .collect()
}

/// A `secret-add`/`secret-set` argument with an inline value hidden (`key=<hidden>`); flags
/// and `key#file=PATH` stay as they are.
fn hide_secret_value(arg: &str) -> String {
    match arg.split_once('=') {
        Some((key, _)) if !arg.starts_with('-') && !key.ends_with("#file") => {
            format!("{key}=<hidden>")
        }
        _ => arg.to_owned(),
    }
}

/// `s` with the value after each credential key hidden (`secret_key: x`, `"secret-key": "x"`,
/// escaped JSON inside JSON alike), for the human report.
pub fn redact(s: &str) -> String {
    const KEYS: [&str; 4] = ["secret_key", "access_key", "secret-key", "access-key"];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some((at, key)) = KEYS
        .iter()
        .filter_map(|k| rest.find(k).map(|i| (i, *k)))
        .min()
    {
        out.push_str(&rest[..at + key.len()]);
        rest = &rest[at + key.len()..];
        let sep = rest.len() - rest.trim_start_matches(['"', '\\', ':', ' ', '\'']).len();
        if sep == 0 || !rest[..sep].contains(':') {
            continue;
        }
        out.push_str(&rest[..sep]);
        rest = &rest[sep..];
        let end = rest
            .find(['"', '\\', '\n', ',', '}', '\''])
            .unwrap_or(rest.len());
        if end > 0 {
            out.push_str("<hidden>");
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

impl Report {
    /// Whether the hook succeeded as Juju sees it (exit 0 and commit accepted).
    pub fn ok(&self) -> bool {
        self.exit_code == 0 && self.commit_failure.is_none()
    }

    /// Hook-tool calls by tool name.
    pub fn calls_by_tool(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for c in &self.calls {
            *m.entry(c.tool.clone()).or_insert(0) += 1;
        }
        m
    }

    /// The relation with `id` after the hook.
    pub fn relation(&self, id: u32) -> Option<&RelationReport> {
        self.relations.iter().find(|r| r.id == id)
    }

    /// The report for people: short and aligned, coloured when `colour`.
    pub fn human(&self, colour: bool) -> String {
        let paint = |code: &str, s: &str| {
            if colour {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_owned()
            }
        };
        let mut out = String::new();
        let verdict = match (&self.skipped, self.ok()) {
            (Some(_), _) => paint("33", "skipped"),
            (None, true) => paint("32", "ok"),
            (None, false) => paint("31", "FAILED"),
        };
        out.push_str(&format!(
            "{} {}  exit {}  {:.1} ms  {} tool calls{}\n",
            paint("1", "event"),
            self.event,
            self.exit_code,
            self.wall_time_s * 1000.0,
            self.calls.len(),
            format_args!("  {verdict}")
        ));
        if let Some(s) = &self.skipped {
            out.push_str(&format!("  {s}\n"));
        }
        if let Some(f) = &self.commit_failure {
            out.push_str(&format!("  {}\n", paint("31", f)));
        }
        if !self.calls.is_empty() {
            out.push_str(&paint("1", "calls\n"));
            for c in &self.calls {
                let stdin = c
                    .stdin
                    .as_ref()
                    .map(|s| format!("  <<< {}", juju_charm::context::truncate(&redact(s), 120)))
                    .unwrap_or_default();
                let args: Vec<String> = if matches!(c.tool.as_str(), "secret-add" | "secret-set") {
                    c.args.iter().map(|a| hide_secret_value(a)).collect()
                } else {
                    c.args.clone()
                };
                out.push_str(&format!("  {:<24}{}{}\n", c.tool, args.join(" "), stdin));
            }
        }
        out.push_str(&paint("1", "relations\n"));
        if self.relations.is_empty() {
            out.push_str("  (none)\n");
        }
        for r in &self.relations {
            out.push_str(&format!("  {}:{} -> {}\n", r.endpoint, r.id, r.remote_app));
            for (side, bag) in [("app ", &r.local_app), ("unit", &r.local_unit)] {
                for (k, v) in bag {
                    let v = juju_charm::context::truncate(&redact(v), 200).replace('\n', "\\n");
                    out.push_str(&format!("    {side} {k:<10} {v}\n"));
                }
            }
        }
        let status = |s: &Option<StatusState>| {
            s.as_ref().map_or("-".to_owned(), |s| {
                if s.message.is_empty() {
                    s.status.clone()
                } else {
                    format!("{} ({})", s.status, s.message)
                }
            })
        };
        out.push_str(&format!(
            "{}  unit {}  app {}",
            paint("1", "status"),
            status(&self.unit_status),
            status(&self.app_status)
        ));
        if let Some(v) = &self.app_version {
            out.push_str(&format!("  version {v}"));
        }
        out.push('\n');
        for c in &self.containers {
            out.push_str(&format!(
                "{} {}{}  ({} Pebble requests)\n",
                paint("1", "container"),
                c.name,
                if c.can_connect {
                    ""
                } else {
                    " (cannot connect)"
                },
                c.pebble_requests.len()
            ));
            for (name, svc) in &c.plan.services {
                let state = c.services.get(name).map_or("inactive", String::as_str);
                let command = svc.command.as_deref().unwrap_or("");
                out.push_str(&format!(
                    "  service {name:<20} {state:<9} {}\n",
                    juju_charm::context::truncate(command, 100)
                ));
            }
            for name in c.plan.checks.keys() {
                out.push_str(&format!("  check   {name}\n"));
            }
            for (path, size) in &c.files {
                out.push_str(&format!("  file    {path} ({size} bytes)\n"));
            }
            for e in &c.exec_calls {
                out.push_str(&format!(
                    "  exec    {} -> {}\n",
                    e.command.join(" "),
                    e.exit_code
                ));
            }
        }
        if !self.secrets.is_empty() {
            out.push_str(&paint("1", "secrets\n"));
        }
        for s in &self.secrets {
            let owner = s.owner.as_deref().unwrap_or("(another application)");
            let label = s.label.as_deref().unwrap_or("-");
            let revisions: Vec<String> =
                s.revisions.iter().map(|r| r.revision.to_string()).collect();
            out.push_str(&format!(
                "  {}  owner {owner}  label {label}  revisions {}{}\n",
                s.bare_id(),
                revisions.join(","),
                s.tracked
                    .map(|t| format!("  tracked {t}"))
                    .unwrap_or_default()
            ));
            if let Some(r) = s.revisions.last() {
                let keys: Vec<&str> = r.content.keys().map(String::as_str).collect();
                out.push_str(&format!(
                    "    content {} (values hidden)\n",
                    keys.join(", ")
                ));
            }
            for g in &s.grants {
                out.push_str(&format!(
                    "    grant   {} on relation {}\n",
                    g.target, g.relation
                ));
            }
        }
        if let Some(a) = &self.action {
            out.push_str(&format!(
                "{} {}  {}{}\n",
                paint("1", "action"),
                a.name,
                a.status,
                a.message
                    .as_ref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default()
            ));
            let results = serde_yaml::to_string(&a.results).unwrap_or_default();
            for line in redact(&results).lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if !self.logs.is_empty() {
            out.push_str(&paint("1", "logs\n"));
            for l in &self.logs {
                out.push_str(&format!(
                    "  {:<8}{}\n",
                    l.level,
                    juju_charm::context::truncate(&l.message, 300)
                ));
            }
        }
        if !self.stderr.trim().is_empty() {
            out.push_str(&paint("1", "stderr\n"));
            for line in self.stderr.lines().take(20) {
                out.push_str(&format!("  {line}\n"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::redact;
    use super::{prepare, ActionReport, EventSpec, LogLine};
    use std::collections::BTreeMap;

    #[test]
    fn relation_departed_is_for_a_unit_that_joined() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("metadata.yaml"),
            "name: t\nrequires:\n  db: {interface: x}\n",
        )
        .expect("write");
        let state = crate::State::from_yaml(
            "unit: t/0\nrelations: [{id: 2, endpoint: db, remote_app: pg, remote_units: [pg/0]}]\n",
        )
        .expect("state");
        let p = prepare(
            &state,
            &EventSpec::new("db-relation-departed").remote_unit("pg/0"),
            dir.path(),
            1,
        )
        .expect("pg/0 joined");
        assert!(p.state.relation(2).expect("rel").remote_units.is_empty());
        let e = prepare(
            &state,
            &EventSpec::new("db-relation-departed").remote_unit("pg/1"),
            dir.path(),
            1,
        )
        .expect_err("pg/1 never joined")
        .to_string();
        assert!(e.contains("only for a unit that joined"), "{e}");
    }

    #[test]
    fn action_results_nest_at_dots_and_failures_say_why() {
        let set: BTreeMap<String, String> = [("a.b", "1"), ("a.c", "2"), ("d", "x")]
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let logs = [
            LogLine {
                level: "ACTION".into(),
                message: "working".into(),
            },
            LogLine {
                level: "INFO".into(),
                message: "not an action log".into(),
            },
        ];
        let ok = ActionReport::new("go", &BTreeMap::new(), &set, None, 0, &logs);
        assert_eq!(
            (ok.status.as_str(), ok.message.as_deref()),
            ("completed", None)
        );
        assert_eq!(
            ok.results,
            serde_json::json!({"a": {"b": "1", "c": "2"}, "d": "x", "return-code": 0})
        );
        assert_eq!(ok.logs, ["working"]);
        let failed = ActionReport::new("go", &BTreeMap::new(), &set, Some("no disk"), 0, &[]);
        assert_eq!(
            (failed.status.as_str(), failed.message.as_deref()),
            ("failed", Some("no disk"))
        );
        let crashed = ActionReport::new("go", &BTreeMap::new(), &set, None, 3, &[]);
        assert_eq!(crashed.message.as_deref(), Some("exit status 3"));
        assert_eq!(crashed.results["return-code"], 3);
    }

    #[test]
    fn credentials_are_hidden_in_every_spelling() {
        assert_eq!(
            redact("s3:\n  secret_key: abc\n  bucket: b"),
            "s3:\n  secret_key: <hidden>\n  bucket: b"
        );
        assert_eq!(
            redact(r#"{"access-key": "AKIA", "bucket": "t"}"#),
            r#"{"access-key": "<hidden>", "bucket": "t"}"#
        );
        assert_eq!(
            redact(r#""access_key: AK\n secret_key: SK\n""#),
            r#""access_key: <hidden>\n secret_key: <hidden>\n""#
        );
        assert_eq!(redact("the secret_key option"), "the secret_key option");
    }
}
