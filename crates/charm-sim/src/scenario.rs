//! Scenario files: a state and a list of events run in order, each seeing the state the
//! previous one left.

use std::path::Path;

use serde::Deserialize;

use super::hook::{EventSpec, Report, SimError};
use super::process::{run_process, ProcessOptions};
use crate::state::State;

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

/// One step: `install` or `{event: ..., relation: ..., remote_unit: ...}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StepSpec {
    /// Just the event name.
    Name(String),
    /// The full form.
    Full(EventSpec),
}

impl StepSpec {
    /// As an [`EventSpec`].
    pub fn spec(&self) -> EventSpec {
        match self {
            Self::Name(n) => EventSpec::new(n),
            Self::Full(s) => s.clone(),
        }
    }
}

impl Scenario {
    /// Reads a scenario file and its starting state.
    pub fn load(path: &Path) -> Result<(Self, State), SimError> {
        let text = std::fs::read_to_string(path)?;
        let scenario: Self = serde_yaml::from_str(&text).map_err(crate::state::StateError::from)?;
        let state = match (&scenario.state, &scenario.state_file) {
            (Some(s), None) => s.clone(),
            (None, Some(f)) => {
                let base = path.parent().unwrap_or(Path::new("."));
                State::from_yaml(&std::fs::read_to_string(base.join(f))?)?
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

/// Runs each event in order through the process transport, carrying state. Stops after
/// the first failed hook (as Juju would retry it before anything else).
pub fn run_scenario(
    state: State,
    steps: &[EventSpec],
    charm_dir: &Path,
    opts: &ProcessOptions,
) -> Result<Vec<Report>, SimError> {
    let mut state = state;
    let mut reports = Vec::new();
    for (i, spec) in steps.iter().enumerate() {
        let report = run_process(&state, spec, charm_dir, opts, i as u64 + 1)?;
        state = report.state.clone();
        let failed = !report.ok();
        reports.push(report);
        if failed {
            break;
        }
    }
    Ok(reports)
}
