//! Refusing, before a hook runs, a state or an event that Juju could never produce for this
//! charm, as ops-scenario's consistency checker does: a misspelt hook, an endpoint,
//! container or config option the charm does not declare, a config value of the wrong type,
//! a relation event without its relation, a remote unit of another application, more
//! relations than an endpoint's `limit`, a peer relation to another application (or a
//! regular one to this application), a Pebble check that is not there. Secrets are checked
//! where their model lives: duplicate ids and labels by `State::check`, a `secret-*` event
//! for a secret Juju would not send this unit by the hook's preparation (`hook.rs`).
//!
//! Each refusal is one [`Refusal`] naming where (the state or the event, and the field),
//! what is wrong, and the fix. The checks are plain functions over the state, the event
//! and the charm's declarations ([`Declarations`]), one per topic, so a new topic (storage)
//! is one more function called from [`check`].

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use juju_charm::metadata::Role;
use serde_json::Value;

use crate::charm_files::{self, CharmMeta, DeclarationError};
use crate::hook::EventSpec;
use crate::state::State;

/// Where a refusal points: the state, the event, or a file of the charm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The state (a state file, or a scenario's state).
    State,
    /// The event asked for.
    Event,
    /// One of the charm's own files (`metadata.yaml`...).
    Charm(String),
}

/// One reason Juju could never run this: where, which field, what is wrong, and the fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}, {field}: {problem}\n  fix: {fix}", self.place())]
pub struct Refusal {
    /// Where the faulty field is.
    pub origin: Origin,
    /// How callers name the state and the event (`state file `x.yaml``, `--event`).
    pub labels: Box<(String, String)>,
    /// The field, as a path (`relations[2].endpoint`, `config.log-level`).
    pub field: String,
    /// What is wrong.
    pub problem: String,
    /// What to do about it.
    pub fix: String,
}

impl Refusal {
    fn new(origin: Origin, field: impl Into<String>, problem: String, fix: String) -> Self {
        Self {
            origin,
            labels: Box::new(("the state".into(), "the event".into())),
            field: field.into(),
            problem,
            fix,
        }
    }

    /// The same refusal, naming the state and the event as the caller knows them (the
    /// state file's path, `--event`, a scenario's `events[3]`).
    pub fn located(mut self, state: &str, event: &str) -> Self {
        self.labels = Box::new((state.to_owned(), event.to_owned()));
        self
    }

    fn place(&self) -> String {
        match &self.origin {
            Origin::State => self.labels.0.clone(),
            Origin::Event => self.labels.1.clone(),
            Origin::Charm(f) => format!("the charm's `{f}`"),
        }
    }
}

/// What the charm declares, read once from its directory.
#[derive(Debug, Clone, Default)]
pub struct Declarations {
    /// Its metadata; `None` when the directory has none (the run then reports the charm
    /// missing, as Juju would).
    pub meta: Option<CharmMeta>,
    /// Config options and their `type`, and the file they came from; `None` when the
    /// charm declares no config.
    pub config: Option<(String, BTreeMap<String, Option<String>>)>,
}

impl Declarations {
    /// Reads the declarations of the charm in `dir`.
    pub fn read(dir: &Path) -> Result<Self, Refusal> {
        let from_file = |e: DeclarationError| {
            Refusal::new(
                Origin::Charm(e.file.clone()),
                "(the file)",
                e.reason,
                "correct the file; Juju would not deploy this charm".into(),
            )
        };
        let meta = CharmMeta::read(dir).map_err(from_file)?;
        let config_file = if dir.join("config.yaml").is_file() {
            "config.yaml"
        } else {
            "charmcraft.yaml"
        };
        let config = charm_files::section(dir, "config.yaml", &["options"], &["config", "options"])
            .map_err(from_file)?
            .map(|options| {
                let types = options
                    .iter()
                    .filter_map(|(k, spec)| {
                        let ty = spec.get("type").and_then(|t| t.as_str()).map(str::to_owned);
                        Some((k.as_str()?.to_owned(), ty))
                    })
                    .collect();
                (config_file.to_owned(), types)
            });
        Ok(Self { meta, config })
    }
}

/// Checks `state` and `event` against the charm in `charm_dir`; the first refusal found.
pub fn check(state: &State, event: &EventSpec, charm_dir: &Path) -> Result<(), Refusal> {
    let decl = Declarations::read(charm_dir)?;
    check_state(state, &decl)?;
    check_event(state, event, &decl, charm_dir)
}

/// The state's own checks against the declarations (no event).
pub fn check_state(state: &State, decl: &Declarations) -> Result<(), Refusal> {
    config(state, decl)?;
    let Some(meta) = &decl.meta else {
        return Ok(());
    };
    relations(state, meta)?;
    containers(state, meta)
}

/// Only that the event names a hook Juju runs for this charm, or a declared action (before a
/// scenario starts, when the state each step will see is not known yet).
pub fn check_event_name(
    event: &EventSpec,
    decl: &Declarations,
    charm_dir: &Path,
) -> Result<(), Refusal> {
    if let Some(name) = event.event.strip_prefix("actions/") {
        return action(charm_dir, name, BTreeMap::new());
    }
    match &decl.meta {
        Some(meta) => hook_name(
            event.event.strip_prefix("hooks/").unwrap_or(&event.event),
            meta,
        ),
        None => Ok(()),
    }
}

fn action(charm_dir: &Path, name: &str, params: BTreeMap<String, Value>) -> Result<(), Refusal> {
    crate::action_spec::resolve(charm_dir, name, params)
        .map(|_| ())
        .map_err(|e| {
            Refusal::new(
                Origin::Event,
                "action",
                e.to_string(),
                "run an action the charm declares, with the parameters its schema takes".into(),
            )
        })
}

/// The event's checks: a hook Juju runs for this charm, with what it is about present.
pub fn check_event(
    state: &State,
    event: &EventSpec,
    decl: &Declarations,
    charm_dir: &Path,
) -> Result<(), Refusal> {
    if let Some(name) = event.event.strip_prefix("actions/") {
        return action(charm_dir, name, state.action_params.clone());
    }
    let Some(meta) = &decl.meta else {
        return Ok(());
    };
    let hook = event.event.strip_prefix("hooks/").unwrap_or(&event.event);
    hook_name(hook, meta)?;
    pebble_event(state, event, hook)
}

/// Levenshtein distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// ` (did you mean `x`?)` when one candidate is close to `word`.
fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    candidates
        .into_iter()
        .map(|c| (distance(word, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| format!("did you mean `{c}`? "))
        .unwrap_or_default()
}

fn hook_name(hook: &str, meta: &CharmMeta) -> Result<(), Refusal> {
    let hooks = meta.hook_names();
    if hooks.iter().any(|h| h == hook) {
        return Ok(());
    }
    let endpoints: Vec<&str> = meta.endpoints.keys().map(String::as_str).collect();
    let containers: Vec<&str> = meta.containers.iter().map(String::as_str).collect();
    Err(Refusal::new(
        Origin::Event,
        "event",
        format!(
            "Juju never runs a hook named `{hook}` for this charm ({} declares endpoints: {}; containers: {})",
            meta.file,
            list(&endpoints),
            list(&containers),
        ),
        format!(
            "{}give a lifecycle hook ({}), `<endpoint>-relation-<created|joined|changed|departed|broken>`, `<container>-pebble-<ready|custom-notice|check-failed|check-recovered>`, a secret hook, or `actions/<name>`",
            did_you_mean(hook, hooks.iter().map(String::as_str)),
            charm_files::LIFECYCLE_HOOKS.join(", "),
        ),
    ))
}

fn list(items: &[&str]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn config(state: &State, decl: &Declarations) -> Result<(), Refusal> {
    for (key, value) in &state.config {
        let field = format!("config.{key}");
        let Some((file, options)) = &decl.config else {
            return Err(Refusal::new(
                Origin::State,
                field,
                "the charm declares no config options (no config.yaml, no `config:` in charmcraft.yaml)".into(),
                "remove `config:` from the state".into(),
            ));
        };
        let Some(ty) = options.get(key) else {
            let names: Vec<&str> = options.keys().map(String::as_str).collect();
            return Err(Refusal::new(
                Origin::State,
                field,
                format!("`{key}` is not an option of this charm ({file} declares: {})", list(&names)),
                format!(
                    "{}use an option the charm declares, or declare `{key}` under `options:` in {file}",
                    did_you_mean(key, names.iter().copied()),
                ),
            ));
        };
        let ty = ty.as_deref().unwrap_or("string");
        let ok = match ty {
            "string" => value.is_string(),
            "int" => value.is_i64() || value.is_u64(),
            // Juju takes an integer for a float option, as `juju config` does.
            "float" => value.is_number(),
            "boolean" => value.is_boolean(),
            "secret" => value.as_str().is_some_and(|s| s.starts_with("secret:")),
            _ => true,
        };
        if !ok {
            let fix = match (ty, value) {
                (_, Value::Null) => {
                    format!("give a {ty} value, or leave `{key}` out to get its default")
                }
                ("string", _) => format!("quote the value (`{key}: \"{}\"`)", plain(value)),
                ("secret", _) => "give a secret URI, `secret:<id>`".into(),
                _ => format!("give a value of type {ty} (as {file} declares it)"),
            };
            return Err(Refusal::new(
                Origin::State,
                field,
                format!(
                    "option `{key}` is of type {ty}, but the state gives {}",
                    describe(value)
                ),
                fix,
            ));
        }
    }
    Ok(())
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing (null)".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) if n.is_f64() => format!("the decimal number {n}"),
        Value::Number(n) => format!("the integer {n}"),
        Value::String(s) => format!("the string \"{s}\""),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn relations(state: &State, meta: &CharmMeta) -> Result<(), Refusal> {
    let app = state.app();
    let mut per_endpoint: BTreeMap<&str, u64> = BTreeMap::new();
    for (i, r) in state.relations.iter().enumerate() {
        let field = |f: &str| format!("relations[{i}] (id {}).{f}", r.id);
        let Some(ep) = meta.endpoints.get(&r.endpoint) else {
            let names: Vec<&str> = meta.endpoints.keys().map(String::as_str).collect();
            return Err(Refusal::new(
                Origin::State,
                field("endpoint"),
                format!(
                    "endpoint `{}` is not declared by the charm ({} declares: {})",
                    r.endpoint,
                    meta.file,
                    list(&names)
                ),
                format!(
                    "{}use a declared endpoint, or declare `{}` under provides, requires or peers in {}",
                    did_you_mean(&r.endpoint, names.iter().copied()),
                    r.endpoint,
                    meta.file
                ),
            ));
        };
        let peer = ep.role == Role::Peers;
        if peer && r.remote_app != app {
            return Err(Refusal::new(
                Origin::State,
                field("remote_app"),
                format!(
                    "`{}` is a peer endpoint, so the other side is this unit's own application `{app}`, not `{}`",
                    r.endpoint, r.remote_app
                ),
                format!("set `remote_app: {app}`, or use a provides/requires endpoint for `{}`", r.remote_app),
            ));
        }
        if !peer && r.remote_app == app {
            let peers: Vec<&str> = meta
                .endpoints
                .iter()
                .filter(|(_, e)| e.role == Role::Peers)
                .map(|(n, _)| n.as_str())
                .collect();
            return Err(Refusal::new(
                Origin::State,
                field("remote_app"),
                format!(
                    "`{}` is not a peer endpoint, and Juju does not relate an application (`{app}`) to itself",
                    r.endpoint
                ),
                format!(
                    "name the other application in `remote_app`, or relate peers over the peer endpoint ({})",
                    list(&peers)
                ),
            ));
        }
        let n = per_endpoint.entry(r.endpoint.as_str()).or_default();
        *n += 1;
        let limit = if peer {
            Some(1)
        } else {
            ep.limit.as_ref().and_then(serde_yaml::Value::as_u64)
        };
        if let Some(limit) = limit.filter(|l| *n > *l) {
            let why = if peer {
                "Juju makes exactly one relation on a peer endpoint".to_owned()
            } else {
                format!("{} sets `limit: {limit}` on it", meta.file)
            };
            return Err(Refusal::new(
                Origin::State,
                field("endpoint"),
                format!(
                    "more than {limit} relation(s) on endpoint `{}`: {why}",
                    r.endpoint
                ),
                format!("keep at most {limit} relation(s) on `{}`", r.endpoint),
            ));
        }
    }
    Ok(())
}

fn containers(state: &State, meta: &CharmMeta) -> Result<(), Refusal> {
    let mut seen = BTreeSet::new();
    for (i, c) in state.containers.iter().enumerate() {
        let field = format!("containers[{i}].name");
        if !meta.containers.contains(&c.name) {
            let names: Vec<&str> = meta.containers.iter().map(String::as_str).collect();
            return Err(Refusal::new(
                Origin::State,
                field,
                format!(
                    "container `{}` is not declared by the charm ({} declares: {})",
                    c.name,
                    meta.file,
                    list(&names)
                ),
                format!(
                    "{}use a declared container, or declare `{}` under `containers:` in {}",
                    did_you_mean(&c.name, names.iter().copied()),
                    c.name,
                    meta.file
                ),
            ));
        }
        if !seen.insert(c.name.as_str()) {
            return Err(Refusal::new(
                Origin::State,
                field,
                format!("container `{}` is listed twice", c.name),
                "keep one entry per container".into(),
            ));
        }
    }
    Ok(())
}

/// Pebble's grammar for a custom notice key: `domain.tld/path`.
fn notice_key_ok(key: &str) -> bool {
    let Some((domain, path)) = key.split_once('/') else {
        return false;
    };
    key.len() <= 256
        && domain.contains('.')
        && domain
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        && !path.is_empty()
        && !path.chars().any(char::is_whitespace)
}

fn pebble_event(state: &State, event: &EventSpec, hook: &str) -> Result<(), Refusal> {
    for kind in ["check-failed", "check-recovered"] {
        let Some(container) = hook.strip_suffix(&format!("-pebble-{kind}") as &str) else {
            continue;
        };
        let (Some(check), Some(c)) = (
            &event.check,
            state.containers.iter().find(|c| c.name == container),
        ) else {
            return Ok(()); // the event's own preparation names what is missing
        };
        let in_plan = c.layers.iter().any(|l| l.layer.checks.contains_key(check));
        if !in_plan && !c.checks.iter().any(|i| i.name == *check) {
            let mut names: BTreeSet<&str> = c
                .layers
                .iter()
                .flat_map(|l| l.layer.checks.keys().map(String::as_str))
                .collect();
            names.extend(c.checks.iter().map(|i| i.name.as_str()));
            let names: Vec<&str> = names.into_iter().collect();
            return Err(Refusal::new(
                Origin::Event,
                "check",
                format!(
                    "container `{container}` has no check `{check}` (its layers and `checks:` have: {})",
                    list(&names)
                ),
                format!("name a check of the container, or add `{check}` to a layer of `{container}` in the state"),
            ));
        }
    }
    if hook.ends_with("-pebble-custom-notice") {
        if let Some(key) = event.notice_key.as_deref().filter(|k| !notice_key_ok(k)) {
            return Err(Refusal::new(
                Origin::Event,
                "notice key",
                format!("`{key}` is not a key Pebble records for a custom notice"),
                "give a key of the form `example.com/path` (a domain, then a path)".into(),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = "name: demo
containers:
  web: {resource: web-image}
provides:
  api: {interface: http}
requires:
  db: {interface: pg, limit: 1}
  logs: {interface: loki}
peers:
  cluster: {interface: demo_peers}
";
    const CONFIG: &str = "options:
  port: {type: int, default: 80}
  name: {type: string}
  ratio: {type: float}
  debug: {type: boolean}
  token: {type: secret}
";
    const ACTIONS: &str = "backup:\n  params:\n    to: {type: string}\n";

    fn charm() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("metadata.yaml"), META).expect("write");
        std::fs::write(dir.path().join("config.yaml"), CONFIG).expect("write");
        std::fs::write(dir.path().join("actions.yaml"), ACTIONS).expect("write");
        dir
    }

    fn state(extra: &str) -> State {
        State::from_yaml(&format!("unit: demo/0\nleader: true\n{extra}"))
            .unwrap_or_else(|e| panic!("{extra}: {e}"))
    }

    fn event(yaml: &str) -> EventSpec {
        serde_yaml::from_str(yaml).expect("event")
    }

    #[test]
    fn consistent_states_and_events_pass() {
        let dir = charm();
        for (extra, ev) in [
            ("", "event: install"),
            ("", "event: config-changed"),
            ("config: {port: 8080, name: x, ratio: 1, debug: true, token: 'secret:abc'}", "event: start"),
            ("relations: [{id: 1, endpoint: cluster, remote_app: demo, remote_units: [demo/1]}]", "event: cluster-relation-changed"),
            ("relations: [{id: 1, endpoint: db, remote_app: pg}, {id: 2, endpoint: logs, remote_app: a}, {id: 3, endpoint: logs, remote_app: b}]", "{event: logs-relation-created, relation: '3'}"),
            ("containers: [{name: web, checks: [{name: alive}]}]", "{event: web-pebble-check-failed, check: alive}"),
            ("containers: [{name: web}]", "{event: web-pebble-custom-notice, notice_key: example.com/reload}"),
            ("", "event: data-storage-attached"),
            ("", "event: actions/backup"),
        ] {
            let meta = if ev.contains("storage") {
                std::fs::write(dir.path().join("metadata.yaml"), format!("{META}storage:\n  data: {{type: filesystem}}\n")).expect("write");
                true
            } else {
                std::fs::write(dir.path().join("metadata.yaml"), META).expect("write");
                false
            };
            let r = check(&state(extra), &event(ev), dir.path());
            assert!(r.is_ok(), "{extra} / {ev} (storage {meta}): {}", r.unwrap_err());
        }
    }

    #[test]
    fn what_juju_never_produces_is_refused_with_the_field_and_a_fix() {
        let dir = charm();
        for (extra, ev, field, needle) in [
            ("", "event: instal", "event", "did you mean `install`"),
            ("", "event: foo-relation-changed", "event", "never runs a hook named"),
            ("", "event: apii-relation-joined", "event", "did you mean `api-relation-joined`"),
            ("", "event: db-pebble-ready", "event", "never runs"),
            ("", "event: cluster-relation-broken", "event", "never runs"),
            ("", "event: actions/restore", "action", "no action `restore`"),
            ("action_params: {to: 3}", "event: actions/backup", "action", "`to`"),
            ("config: {prot: 1}", "event: start", "config.prot", "did you mean `port`"),
            ("config: {port: '80'}", "event: start", "config.port", "of type int, but the state gives the string \"80\""),
            ("config: {name: 3}", "event: start", "config.name", "quote the value"),
            ("config: {debug: 'yes'}", "event: start", "config.debug", "type boolean"),
            ("config: {ratio: x}", "event: start", "config.ratio", "type float"),
            ("config: {token: abc}", "event: start", "config.token", "secret:<id>"),
            ("config: {port: null}", "event: start", "config.port", "leave `port` out"),
            ("relations: [{id: 1, endpoint: apii, remote_app: x}]", "event: start", "relations[0] (id 1).endpoint", "did you mean `api`"),
            ("relations: [{id: 1, endpoint: cluster, remote_app: other}]", "event: start", "relations[0] (id 1).remote_app", "peer endpoint"),
            ("relations: [{id: 1, endpoint: api, remote_app: demo}]", "event: start", "relations[0] (id 1).remote_app", "to itself"),
            ("relations: [{id: 1, endpoint: db, remote_app: a}, {id: 2, endpoint: db, remote_app: b}]", "event: start", "relations[1] (id 2).endpoint", "limit: 1"),
            ("relations: [{id: 1, endpoint: cluster, remote_app: demo}, {id: 2, endpoint: cluster, remote_app: demo}]", "event: start", "relations[1] (id 2).endpoint", "exactly one relation on a peer"),
            ("containers: [{name: wbe}]", "event: start", "containers[0].name", "did you mean `web`"),
            ("containers: [{name: web}, {name: web}]", "event: start", "containers[1].name", "listed twice"),
            ("containers: [{name: web}]", "{event: web-pebble-check-failed, check: ready}", "check", "no check `ready`"),
            ("containers: [{name: web}]", "{event: web-pebble-custom-notice, notice_key: reload}", "notice key", "example.com/path"),
        ] {
            let e = check(&state(extra), &event(ev), dir.path())
                .expect_err(&format!("{extra} / {ev}"));
            assert_eq!(e.field, field, "{extra} / {ev}: {e}");
            let text = e.to_string();
            assert!(text.contains(needle), "{extra} / {ev}: {text}");
            assert!(text.contains("fix: "), "{text}");
        }
    }

    #[test]
    fn refusals_name_the_file_the_caller_knows() {
        let dir = charm();
        let e = check(
            &state("config: {prot: 1}"),
            &event("event: start"),
            dir.path(),
        )
        .unwrap_err()
        .located("state file `s.yaml`", "--event");
        assert!(
            e.to_string().starts_with("state file `s.yaml`, config.prot: `prot` is not an option of this charm (config.yaml declares: debug, name, port, ratio, token)"),
            "{e}"
        );
        let e = check(&state(""), &event("event: instal"), dir.path())
            .unwrap_err()
            .located("s", "scenario file `x`, events[3]");
        assert!(
            e.to_string()
                .starts_with("scenario file `x`, events[3], event: Juju never runs"),
            "{e}"
        );
    }

    #[test]
    fn a_source_tree_declares_in_charmcraft_yaml() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("charmcraft.yaml"),
            format!("{META}config:\n  options:\n    port: {{type: int}}\n"),
        )
        .expect("write");
        assert!(check(
            &state("config: {port: 1}"),
            &event("event: api-relation-created"),
            dir.path()
        )
        .is_ok());
        let e = check(
            &state("config: {port: x}"),
            &event("event: start"),
            dir.path(),
        )
        .unwrap_err();
        assert!(
            e.to_string().contains("as charmcraft.yaml declares it"),
            "{e}"
        );
        let e = check(&state(""), &event("event: webb-pebble-ready"), dir.path()).unwrap_err();
        assert!(
            e.to_string().contains("charmcraft.yaml declares endpoints"),
            "{e}"
        );
    }

    #[test]
    fn without_metadata_only_the_config_is_checked() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(check(&state(""), &event("event: anything"), dir.path()).is_ok());
        assert!(check(&state("config: {a: 1}"), &event("event: x"), dir.path()).is_err());
    }

    #[test]
    fn broken_declarations_name_the_file() {
        let dir = charm();
        std::fs::write(dir.path().join("metadata.yaml"), "name: x\nrequires: [a]\n")
            .expect("write");
        let e = check(&state(""), &event("event: start"), dir.path()).unwrap_err();
        assert!(e.to_string().contains("metadata.yaml"), "{e}");
        assert!(e.to_string().contains("`requires` is not a mapping"), "{e}");
    }

    #[test]
    fn suggestions_are_close_only() {
        assert_eq!(distance("instal", "install"), 1);
        assert_eq!(
            did_you_mean("instal", ["install", "start"]),
            "did you mean `install`? "
        );
        assert_eq!(did_you_mean("zzzzzz", ["install", "start"]), "");
    }
}
