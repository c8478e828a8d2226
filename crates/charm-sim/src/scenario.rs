//! Scenario files: a state and a list of steps run in order, each seeing the state the
//! previous one left. A step is a hook, or something the rest of the world does between
//! hooks (a relation appears, a remote charm writes its databags, a container's Pebble comes
//! up), so a deployment can be walked through as Juju would run it.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::hook::{EventSpec, Report, SimError};
use super::process::{run_process, ProcessOptions};
use crate::consistency::{self, Declarations};
use crate::state::{Relation, State};
use juju_charm::Databag;

/// A scenario file: `state:` (inline) or `state_file:` (relative to the scenario), and `events:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The starting state, inline.
    #[serde(default)]
    pub state: Option<State>,
    /// Or a state file, relative to the scenario file.
    #[serde(default)]
    pub state_file: Option<String>,
    /// The events, in order. A string is shorthand for an event with no details.
    pub events: Vec<StepSpec>,
}

/// One step: `install`, `{event: ..., relation: ..., remote_unit: ...}`, or a change of the
/// world outside the unit (`{relate: ...}`, `{remote_writes: ...}`, `{container_up: ...}`,
/// `{issue_certificates: ...}`).
#[derive(Debug, Clone)]
pub enum StepSpec {
    /// Just the event name.
    Name(String),
    /// The full form.
    Full(EventSpec),
    /// No hook: the world changes.
    Change(Change),
}

const STEP_SHAPES: &str = "a step is a hook name, {event: NAME, relation: ..., remote_unit: ...}, or one of {relate: RELATION}, {remote_writes: {relation, app, units}}, {container_up: CONTAINER}, {issue_certificates: RELATION_ID}";

impl<'de> Deserialize<'de> for StepSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = serde_yaml::Value::deserialize(d)?;
        let key = |k: &str| v.get(k).is_some();
        let parsed = match &v {
            serde_yaml::Value::String(s) => return Ok(Self::Name(s.clone())),
            serde_yaml::Value::Mapping(_) if key("event") => {
                serde_yaml::from_value(v.clone()).map(Self::Full)
            }
            serde_yaml::Value::Mapping(_)
                if key("relate")
                    || key("remote_writes")
                    || key("container_up")
                    || key("issue_certificates") =>
            {
                serde_yaml::from_value(v.clone()).map(Self::Change)
            }
            _ => return Err(D::Error::custom(STEP_SHAPES)),
        };
        parsed.map_err(|e| D::Error::custom(crate::state::humanize(&e)))
    }
}

impl StepSpec {
    /// The hook this step runs, if it is one.
    pub fn spec(&self) -> Option<EventSpec> {
        match self {
            Self::Name(n) => Some(EventSpec::new(n)),
            Self::Full(s) => Some(s.clone()),
            Self::Change(_) => None,
        }
    }
}

/// What happens outside the unit between two hooks. Exactly one field is set.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    /// A relation appears (`juju integrate`): its `-relation-created` hook comes next, and its
    /// remote units enter `remote_units` as their `-relation-joined` hooks run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relate: Option<Relation>,
    /// The remote charm writes its side of a relation (merged; an empty value deletes a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_writes: Option<RemoteWrites>,
    /// A workload container's Pebble starts answering (`<name>-pebble-ready` comes next).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container_up: Option<String>,
    /// A tls-certificates v4 provider (charm-sim's test CA, [`crate::ca`]) answers the CSRs
    /// the charm wrote on this relation (its unit's and its application's databags): every
    /// CSR gets a certificate in the remote application's `certificates`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_certificates: Option<u32>,
}

/// Writes by the remote side of one relation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteWrites {
    /// The relation's id.
    pub relation: u32,
    /// Into the remote application's databag.
    #[serde(default)]
    pub app: Databag,
    /// Into remote units' databags, by unit name.
    #[serde(default)]
    pub units: BTreeMap<String, Databag>,
}

fn merge(bag: &mut Databag, writes: &Databag) {
    for (k, v) in writes {
        if v.is_empty() {
            bag.remove(k);
        } else {
            bag.insert(k.clone(), v.clone());
        }
    }
}

impl Change {
    /// Applies the change to `state`; refuses one that makes no sense for it, leaving
    /// `state` as it was.
    pub fn apply(&self, state: &mut State) -> Result<(), SimError> {
        let mut next = state.clone();
        self.apply_to(&mut next)?;
        next.check()?;
        *state = next;
        Ok(())
    }

    fn apply_to(&self, state: &mut State) -> Result<(), SimError> {
        let bad = |reason: String| SimError::Event {
            event: "scenario change".into(),
            reason,
        };
        let set = [
            self.relate.is_some(),
            self.remote_writes.is_some(),
            self.container_up.is_some(),
            self.issue_certificates.is_some(),
        ];
        if set.iter().filter(|s| **s).count() != 1 {
            return Err(bad(
                "a change sets exactly one of relate, remote_writes, container_up, issue_certificates"
                    .into(),
            ));
        }
        if let Some(r) = &self.relate {
            if state.relation(r.id).is_some() {
                return Err(bad(format!("relation {} exists already", r.id)));
            }
            state.relations.push(r.clone());
        } else if let Some(w) = &self.remote_writes {
            let rel = state
                .relations
                .iter_mut()
                .find(|r| r.id == w.relation)
                .ok_or_else(|| bad(format!("no relation {} to write to", w.relation)))?;
            merge(&mut rel.remote_app_data, &w.app);
            for (unit, writes) in &w.units {
                merge(
                    rel.remote_units_data.entry(unit.clone()).or_default(),
                    writes,
                );
            }
        } else if let Some(name) = &self.container_up {
            let c = state
                .containers
                .iter_mut()
                .find(|c| c.name == *name)
                .ok_or_else(|| bad(format!("the state has no container `{name}`")))?;
            c.can_connect = true;
        } else if let Some(id) = self.issue_certificates {
            let rel = state
                .relations
                .iter_mut()
                .find(|r| r.id == id)
                .ok_or_else(|| bad(format!("no relation {id} to issue certificates on")))?;
            let ca = crate::ca::shared().map_err(|e| bad(e.to_string()))?;
            let (answer, _) = ca
                .answer(
                    &[&rel.local_unit, &rel.local_app],
                    &rel.remote_app_data,
                    false,
                )
                .map_err(|e| bad(format!("relation {id}: {e}")))?;
            rel.remote_app_data.extend(answer);
        }
        Ok(())
    }

    /// One line saying what happened, for reports.
    pub fn describe(&self) -> String {
        if let Some(r) = &self.relate {
            format!(
                "juju integrate: {} with {} (relation {})",
                r.endpoint, r.remote_app, r.id
            )
        } else if let Some(w) = &self.remote_writes {
            let mut keys: Vec<&str> = w.app.keys().map(String::as_str).collect();
            for bag in w.units.values() {
                keys.extend(bag.keys().map(String::as_str));
            }
            keys.sort_unstable();
            keys.dedup();
            format!(
                "relation {} remote side writes {}",
                w.relation,
                keys.join(", ")
            )
        } else if let Some(c) = &self.container_up {
            format!("container {c}: Pebble is up")
        } else if let Some(id) = self.issue_certificates {
            format!("relation {id}: the certificates provider signs the charm's CSRs")
        } else {
            "nothing".into()
        }
    }
}

impl Scenario {
    /// Reads a scenario file and its starting state.
    pub fn load(path: &Path) -> Result<(Self, State), SimError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|e| SimError::Event {
                event: "scenario".into(),
                reason: format!("cannot read `{}`: {e}", p.display()),
            })
        };
        let text = read(path)?;
        let scenario: Self = serde_yaml::from_str(&text).map_err(crate::state::StateError::from)?;
        let state = match (&scenario.state, &scenario.state_file) {
            (Some(s), None) => s.clone(),
            (None, Some(f)) => {
                let base = path.parent().unwrap_or(Path::new("."));
                let file = base.join(f);
                State::from_yaml(&read(&file)?).map_err(|e| SimError::Event {
                    event: "scenario".into(),
                    reason: format!("state_file `{}`: {e}", file.display()),
                })?
            }
            _ => {
                return Err(SimError::Event {
                    event: "scenario".into(),
                    reason: "give exactly one of `state:` and `state_file:`".into(),
                })
            }
        };
        state.check()?;
        Ok((scenario, state))
    }
}

/// Runs each step in order through the process transport, carrying state: hooks give a
/// report each, changes are applied between them. Stops after the first failed hook (as
/// Juju would retry it before anything else).
pub fn run_scenario(
    state: State,
    steps: &[StepSpec],
    charm_dir: &Path,
    opts: &ProcessOptions,
) -> Result<Vec<Report>, SimError> {
    let mut reports = Vec::new();
    run_scenario_with(state, steps, charm_dir, opts, |_, report| {
        if let Some(r) = report {
            reports.push(r.clone());
        }
    })?;
    Ok(reports)
}

/// As [`run_scenario`], calling `on_step` after each step as it happens: with the hook's
/// report, or `None` after a change of the world.
pub fn run_scenario_with(
    state: State,
    steps: &[StepSpec],
    charm_dir: &Path,
    opts: &ProcessOptions,
    mut on_step: impl FnMut(&StepSpec, Option<&Report>),
) -> Result<(), SimError> {
    let mut state = state;
    let mut hooks = 0;
    // Juju could never run a misspelt hook: refuse the whole scenario before its first hook.
    let decl = Declarations::read(charm_dir)?;
    consistency::check_state(&state, &decl).map_err(|r| r.located("the state", "-"))?;
    for (i, step) in steps.iter().enumerate() {
        if let Some(spec) = step.spec() {
            consistency::check_event_name(&spec, &decl, charm_dir)
                .map_err(|r| r.located("the state", &format!("events[{i}] (`{}`)", spec.event)))?;
        }
    }
    for (i, step) in steps.iter().enumerate() {
        let Some(spec) = step.spec() else {
            if let StepSpec::Change(c) = step {
                c.apply(&mut state)?;
                consistency::check_state(&state, &decl)
                    .map_err(|r| r.located(&format!("events[{i}] ({})", c.describe()), "-"))?;
            }
            on_step(step, None);
            continue;
        };
        hooks += 1;
        let report = match run_process(&state, &spec, charm_dir, opts, hooks) {
            Err(SimError::Inconsistent(r)) => {
                let at = format!("events[{i}] (`{}`)", spec.event);
                return Err(r.located(&format!("the state before {at}"), &at).into());
            }
            other => other?,
        };
        state = report.state.clone();
        on_step(step, Some(&report));
        if !report.ok() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State::from_yaml(
            "unit: tempo/0\ncontainers: [{name: nginx, can_connect: false}]\nrelations:\n  - {id: 5, endpoint: s3, remote_app: s3-integrator, remote_app_data: {bucket: b, region: r}}\n",
        )
        .expect("state")
    }

    fn change(yaml: &str) -> Change {
        serde_yaml::from_str(yaml).expect("change")
    }

    #[test]
    fn remote_writes_merge_and_an_empty_value_deletes() {
        let mut s = state();
        change("remote_writes: {relation: 5, app: {bucket: '', endpoint: e}, units: {s3-integrator/0: {k: v}}}")
            .apply(&mut s)
            .expect("applies");
        let r = s.relation(5).expect("relation");
        assert_eq!(
            r.remote_app_data.iter().collect::<Vec<_>>(),
            [
                (&"endpoint".to_owned(), &"e".to_owned()),
                (&"region".to_owned(), &"r".to_owned())
            ]
        );
        assert_eq!(r.remote_units_data["s3-integrator/0"]["k"], "v");
    }

    #[test]
    fn changes_that_make_no_sense_are_refused() {
        let mut s = state();
        for (yaml, why) in [
            (
                "relate: {id: 5, endpoint: s3, remote_app: other}",
                "exists already",
            ),
            ("remote_writes: {relation: 9}", "no relation 9"),
            ("container_up: pebble", "no container"),
            (
                "remote_writes: {relation: 5, units: {other/0: {k: v}}}",
                "not a unit",
            ),
            ("{}", "exactly one"),
            (
                "issue_certificates: 9",
                "no relation 9 to issue certificates on",
            ),
            (
                "{container_up: nginx, issue_certificates: 5}",
                "exactly one",
            ),
        ] {
            let e = change(yaml).apply(&mut s).expect_err(yaml).to_string();
            assert!(e.contains(why), "{yaml}: {e}");
        }
    }

    #[test]
    fn issue_certificates_answers_the_charms_csrs_on_the_relation() {
        let mut s = state();
        // A relation whose requirer asked for nothing gets an empty list; one with a CSR
        // that is not one is refused, naming the relation and the entry, state untouched.
        change("relate: {id: 8, endpoint: certificates, remote_app: ssc}")
            .apply(&mut s)
            .expect("relate");
        change("issue_certificates: 8")
            .apply(&mut s)
            .expect("nothing to sign");
        assert_eq!(
            s.relation(8).expect("rel").remote_app_data["certificates"],
            "[]"
        );
        s.relations[1].local_unit.insert(
            "certificate_signing_requests".into(),
            r#"[{"certificate_signing_request": "not a PEM", "ca": false}]"#.into(),
        );
        let before = s.clone();
        let e = change("issue_certificates: 8")
            .apply(&mut s)
            .expect_err("refused")
            .to_string();
        assert!(e.contains("relation 8") && e.contains("CSR #1"), "{e}");
        assert_eq!(s, before);
    }

    #[test]
    fn relate_and_container_up_change_the_state() {
        let mut s = state();
        change("relate: {id: 7, endpoint: ingress, remote_app: traefik}")
            .apply(&mut s)
            .expect("relate");
        change("container_up: nginx").apply(&mut s).expect("up");
        assert!(s.relation(7).is_some());
        assert!(s.containers[0].can_connect);
        let steps: Vec<StepSpec> =
            serde_yaml::from_str("[install, {event: start}, {container_up: nginx}]")
                .expect("steps");
        assert_eq!(
            steps
                .iter()
                .map(|s| s.spec().map(|e| e.event))
                .collect::<Vec<_>>(),
            [Some("install".to_owned()), Some("start".to_owned()), None]
        );
    }
}
