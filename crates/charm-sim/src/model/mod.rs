//! A model of the Juju unit agent's hook-tool server: the tools' grammar, outputs, exit codes
//! and error texts, and Juju's rules for relation data, leadership and commit, as
//! `shared/reference/juju-hook-contract.md` states them.
//!
//! One `Model` serves one hook. Relation data and ports are staged and committed by
//! [`Model::finish`] only when the hook exits 0; status, application version and logs take
//! effect at once and survive a failed hook.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::{json, Value};

use crate::state::{State, StatusState};
use juju_charm::{Databag, UnitName};

mod actions;
mod args;
mod commit;
mod config;
mod network;
mod relations;
mod secrets;
mod status;
#[cfg(test)]
mod test_support;

use args::{settings_input, Flag, Flags, APP, FORMAT, OUTPUT, RELATION};

/// Tools the model serves (the names of the executables on `PATH`).
pub const TOOLS: &[&str] = &[
    "relation-get",
    "relation-set",
    "relation-ids",
    "relation-list",
    "is-leader",
    "config-get",
    "status-set",
    "status-get",
    "juju-log",
    "application-version-set",
    "network-get",
    "open-port",
    "close-port",
    "opened-ports",
    "action-get",
    "action-set",
    "action-fail",
    "action-log",
    "state-get",
    "state-set",
    "state-delete",
    "secret-add",
    "secret-get",
    "secret-set",
    "secret-remove",
    "secret-grant",
    "secret-revoke",
    "secret-ids",
    "secret-info-get",
];

/// Juju's limits on charm state (contract §4): value bytes and key bytes.
const STATE_VALUE_MAX: usize = 64 * 1024;
const STATE_KEY_MAX: usize = 256;

/// The hook's own context: the defaults tools use when no `-r` or target is given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookCtx {
    /// The hook name (`tempo-api-relation-joined`) or action name.
    pub hook: String,
    /// The hook's relation id, on relation hooks.
    pub relation: Option<u32>,
    /// `JUJU_REMOTE_UNIT`.
    pub remote_unit: Option<String>,
    /// `JUJU_REMOTE_APP`.
    pub remote_app: Option<String>,
    /// Whether this is an action.
    pub action: bool,
    /// The defaults of the charm's config options (config.yaml), which `config-get`
    /// reports for options the state does not set.
    pub config_defaults: BTreeMap<String, Value>,
}

/// What a tool printed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
}

impl Response {
    fn ok(stdout: impl Into<Vec<u8>>) -> Self {
        Self {
            code: 0,
            stdout: stdout.into(),
            stderr: Vec::new(),
        }
    }
    fn err(code: i32, message: impl std::fmt::Display) -> Self {
        Self {
            code,
            stdout: Vec::new(),
            stderr: format!("ERROR {message}\n").into_bytes(),
        }
    }
}

/// A tool's answer: done, or "send me your stdin and ask again" (Juju's lazy stdin).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The tool ran.
    Done(Response),
    /// The tool needs stdin; the client must read it to EOF and repeat the call.
    NeedsStdin,
}

/// One recorded tool call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Call {
    /// The tool.
    pub tool: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Its stdin, if it read one.
    pub stdin: Option<String>,
}

/// One `juju-log` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogLine {
    /// The level.
    pub level: String,
    /// The message.
    pub message: String,
}

/// The result of [`Model::finish`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// Whether staged changes were kept.
    pub committed: bool,
    /// Why not, when the process exited 0 but the commit failed.
    pub failure: Option<String>,
}

/// The model serving one hook.
#[derive(Debug, Clone)]
pub struct Model {
    state: State,
    ctx: HookCtx,
    pending: BTreeMap<u32, (Databag, Databag)>,
    pending_ports: Vec<String>,
    pending_state: BTreeMap<String, String>,
    calls: Vec<Call>,
    logs: Vec<LogLine>,
    leader_now: bool,
    leader_said_false: bool,
    vanished: BTreeSet<u32>,
    per_tool: BTreeMap<String, u32>,
    app_written: bool,
    action_results: BTreeMap<String, String>,
    action_failed: Option<String>,
    secrets: secrets::SecretStage,
}

impl Model {
    /// A model for one hook over `state`.
    pub fn new(mut state: State, ctx: HookCtx) -> Self {
        let secrets = secrets::SecretStage::new(&mut state);
        let pending = state
            .relations
            .iter()
            .map(|r| (r.id, (r.local_app.clone(), r.local_unit.clone())))
            .collect();
        Self {
            pending_ports: state.opened_ports.clone(),
            pending_state: state.charm_state.clone(),
            leader_now: state.leader,
            state,
            ctx,
            pending,
            calls: Vec::new(),
            logs: Vec::new(),
            leader_said_false: false,
            vanished: BTreeSet::new(),
            per_tool: BTreeMap::new(),
            app_written: false,
            action_results: BTreeMap::new(),
            action_failed: None,
            secrets,
        }
    }

    /// The state as it stands (committed data plus immediate effects).
    pub fn state(&self) -> &State {
        &self.state
    }
    /// Every completed call, in order.
    pub fn calls(&self) -> &[Call] {
        &self.calls
    }
    /// Every `juju-log` line.
    pub fn logs(&self) -> &[LogLine] {
        &self.logs
    }
    /// The running action's parameters.
    pub fn action_params(&self) -> &BTreeMap<String, Value> {
        &self.state.action_params
    }
    /// Action results (`action-set`) and failure (`action-fail`).
    pub fn action_outcome(&self) -> (&BTreeMap<String, String>, Option<&str>) {
        (&self.action_results, self.action_failed.as_deref())
    }

    /// Whether `tool` is listed as missing from `PATH` by the state's faults.
    pub fn tool_missing(&self, tool: &str) -> bool {
        self.state.faults.missing_tools.iter().any(|t| t == tool)
    }

    /// Serves one tool call.
    pub fn call(&mut self, tool: &str, args: &[String], stdin: Option<&[u8]>) -> Answer {
        self.apply_timed_faults();
        let count = self.per_tool.get(tool).copied().unwrap_or(0) + 1;
        let injected = self
            .state
            .faults
            .fail_tool
            .iter()
            .find(|f| f.tool == tool && f.call.is_none_or(|c| c == count))
            .map(|f| Response {
                code: f.exit_code,
                stdout: Vec::new(),
                stderr: f.stderr.clone().into_bytes(),
            });
        let response = match injected {
            Some(r) => r,
            None => match self.dispatch(tool, args, stdin) {
                Some(r) => r,
                None => return Answer::NeedsStdin,
            },
        };
        self.per_tool.insert(tool.to_owned(), count);
        self.calls.push(Call {
            tool: tool.to_owned(),
            args: args.to_vec(),
            stdin: stdin.map(|s| String::from_utf8_lossy(s).into_owned()),
        });
        Answer::Done(response)
    }

    fn apply_timed_faults(&mut self) {
        let done = self.calls.len() as u32;
        if let Some(after) = self.state.faults.leadership_lost_after_calls {
            if done >= after {
                self.leader_now = false;
            }
        }
        if let Some(v) = &self.state.faults.relation_vanishes {
            if done >= v.after_calls {
                self.vanished.insert(v.id);
            }
        }
    }

    /// `None` means "needs stdin".
    fn dispatch(&mut self, tool: &str, args: &[String], stdin: Option<&[u8]>) -> Option<Response> {
        Some(match tool {
            "relation-get" => self.relation_get(args),
            "relation-set" => return self.relation_set(args, stdin),
            "relation-ids" => self.relation_ids(args),
            "relation-list" => self.relation_list(args),
            "is-leader" => self.is_leader(args),
            "config-get" => self.config_get(args),
            "status-set" => self.status_set(args),
            "status-get" => self.status_get(args),
            "juju-log" => self.juju_log(args),
            "application-version-set" => self.application_version_set(args),
            "network-get" => self.network_get(args),
            "open-port" | "close-port" => self.port(tool == "open-port", args),
            "opened-ports" => self.opened_ports(args),
            "action-get" | "action-set" | "action-fail" | "action-log" => self.action(tool, args),
            "state-get" => self.state_get(args),
            "state-set" => return self.state_set(args, stdin),
            "state-delete" => self.state_delete(args),
            "secret-add" => self.secret_add(args),
            "secret-get" => self.secret_get(args),
            "secret-set" => self.secret_set(args),
            "secret-remove" => self.secret_remove(args),
            "secret-grant" => self.secret_grant(args),
            "secret-revoke" => self.secret_revoke(args),
            "secret-ids" => self.secret_ids(args),
            "secret-info-get" => self.secret_info_get(args),
            _ => Response::err(1, format!("unknown command {tool:?}")),
        })
    }
}
