//! The in-process transport: a [`Runner`] that hands each call straight to the [`Model`],
//! for behaviour tests that drive a charm function without processes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::hook::{prepare, EventSpec, Report, SimError};
use super::model::{Answer, Model};
use crate::state::State;
use juju_charm::runner::{RunError, Runner, ToolOutput};

/// A runner backed by the model; clones share it.
#[derive(Clone)]
pub struct SimRunner {
    model: Arc<Mutex<Model>>,
}

impl SimRunner {
    /// A runner over `model`.
    pub fn new(model: Model) -> Self {
        Self {
            model: Arc::new(Mutex::new(model)),
        }
    }

    /// The model back, once every clone is gone (else a copy).
    pub fn into_model(self) -> Model {
        unshare(self.model)
    }
}

/// The model out of a shared handle: moved when this is the last handle, else copied.
pub(crate) fn unshare(model: Arc<Mutex<Model>>) -> Model {
    match Arc::try_unwrap(model) {
        Ok(m) => m.into_inner().unwrap_or_else(|p| p.into_inner()),
        Err(shared) => shared
            .lock()
            .map(|m| m.clone())
            .unwrap_or_else(|p| p.into_inner().clone()),
    }
}

impl Runner for SimRunner {
    fn run(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<ToolOutput, RunError> {
        let poisoned = |_| RunError::Io {
            tool: tool.to_owned(),
            source: std::io::Error::other("simulator model poisoned"),
        };
        let mut model = self.model.lock().map_err(poisoned)?;
        if model.tool_missing(tool) || !super::model::TOOLS.contains(&tool) {
            return Err(RunError::Missing {
                tool: tool.to_owned(),
            });
        }
        // Juju's client: the first call carries no stdin; if the tool wants it, the client
        // reads its own stdin to EOF (here: what the caller piped, or nothing) and repeats.
        let answer = match model.call(tool, args, None) {
            Answer::NeedsStdin => model.call(tool, args, Some(stdin.unwrap_or_default())),
            done => done,
        };
        match answer {
            Answer::Done(r) => Ok(ToolOutput {
                code: r.code,
                stdout: r.stdout,
                stderr: r.stderr,
            }),
            Answer::NeedsStdin => Ok(ToolOutput {
                code: 1,
                stdout: Vec::new(),
                stderr: b"ERROR hook tool requires stdin\n".to_vec(),
            }),
        }
    }
}

/// Runs `charm` in-process for one event: it gets the hook's environment and a runner, and
/// returns the exit code, as a charm's `main` would.
pub fn run_in_process<F>(
    state: &State,
    spec: &EventSpec,
    charm_dir: &Path,
    charm: F,
) -> Result<Report, SimError>
where
    F: FnOnce(&HashMap<String, String>, SimRunner) -> i32,
{
    let prepared = prepare(state, spec, charm_dir, 1)?;
    if prepared.skip.is_some() {
        return Ok(prepared.skipped_report());
    }
    let work = tempfile::Builder::new().prefix("charm-sim-").tempdir()?;
    let mut env = prepared.env.clone();
    let pebble = prepared.start_pebble(&work.path().join("containers"), &mut env)?;
    let env: HashMap<String, String> = env.into_iter().collect();
    let runner = SimRunner::new(Model::new(prepared.state.clone(), prepared.ctx.clone()));
    let started = Instant::now();
    let code = charm(&env, runner.clone());
    Ok(prepared.finish(
        runner.into_model(),
        code,
        started,
        String::new(),
        Some(pebble),
    ))
}
