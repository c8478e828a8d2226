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

use super::state::{State, StatusState};
use crate::juju::{Databag, UnitName};

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
}

type Flags = BTreeMap<&'static str, String>;

/// A flag a tool accepts: its canonical name, aliases, and whether it takes a value.
struct Flag(&'static str, &'static [&'static str], bool);

const FORMAT: Flag = Flag("format", &["--format"], true);
const OUTPUT: Flag = Flag("output", &["-o", "--output"], true);
const RELATION: Flag = Flag("relation", &["-r", "--relation"], true);
const APP: Flag = Flag("app", &["--app"], false);

impl Model {
    /// A model for one hook over `state`.
    pub fn new(state: State, ctx: HookCtx) -> Self {
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

    /// Ends the hook: commits staged changes if `exit_code` is 0 and Juju's commit-time
    /// checks pass. Relations that vanished are gone either way.
    pub fn finish(&mut self, exit_code: i32) -> Commit {
        let mut commit = Commit {
            committed: exit_code == 0,
            failure: None,
        };
        if exit_code == 0 && self.app_written && !self.leader_now {
            commit = Commit {
                committed: false,
                failure: Some("commit refused: application data was written but leadership was lost before the hook ended".into()),
            };
        }
        if commit.committed {
            for r in &mut self.state.relations {
                if let Some((app, unit)) = self.pending.remove(&r.id) {
                    r.local_app = app;
                    r.local_unit = unit;
                }
            }
            self.state.opened_ports = std::mem::take(&mut self.pending_ports);
            self.state.charm_state = std::mem::take(&mut self.pending_state);
        }
        let vanished = &self.vanished;
        self.state.relations.retain(|r| !vanished.contains(&r.id));
        if !self.leader_now {
            self.state.leader = false;
        }
        commit
    }

    /// The state after [`Model::finish`], for the next hook.
    pub fn into_state(self) -> State {
        self.state
    }

    // ---- dispatch -------------------------------------------------------------------------

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
            _ => Response::err(1, format!("unknown command {tool:?}")),
        })
    }

    fn parse(args: &[String], spec: &[&Flag]) -> Result<(Flags, Vec<String>), Response> {
        let mut flags = Flags::new();
        let mut pos = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--" {
                pos.extend(it.by_ref().cloned());
                break;
            }
            if !a.starts_with('-') || a == "-" {
                pos.push(a.clone());
                continue;
            }
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (a.as_str(), None),
            };
            let Some(flag) = spec.iter().find(|f| f.1.contains(&name)) else {
                return Err(Response::err(
                    2,
                    format!("flag provided but not defined: {name}"),
                ));
            };
            let value = if flag.2 {
                match inline.or_else(|| it.next().cloned()) {
                    Some(v) => v,
                    None => {
                        return Err(Response::err(2, format!("flag needs an argument: {name}")))
                    }
                }
            } else {
                match inline.as_deref() {
                    None | Some("true" | "True" | "1") => "true".to_owned(),
                    Some("false" | "False" | "0") => "false".to_owned(),
                    Some(v) => {
                        return Err(Response::err(
                            2,
                            format!("invalid value {v:?} for flag {name}: parse error"),
                        ));
                    }
                }
            };
            flags.insert(flag.0, value);
        }
        if let Some(f) = flags.get("format") {
            if !matches!(f.as_str(), "smart" | "json" | "yaml") {
                return Err(Response::err(
                    2,
                    format!("invalid value {f:?} for option --format: unknown format {f:?}"),
                ));
            }
        }
        Ok((flags, pos))
    }

    fn render(flags: &Flags, value: &Value) -> Response {
        let format = flags.get("format").map_or("smart", String::as_str);
        let out = match format {
            "json" => format!("{value}\n"),
            "yaml" => match value {
                Value::Null => String::new(),
                v => serde_yaml::to_string(v).unwrap_or_default(),
            },
            _ => match value {
                Value::Null => String::new(),
                Value::String(s) if s.is_empty() => String::new(),
                Value::String(s) => format!("{s}\n"),
                Value::Bool(b) => if *b { "True\n" } else { "False\n" }.to_owned(),
                Value::Array(a) if a.iter().all(Value::is_string) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| format!("{s}\n"))
                    .collect(),
                v => serde_yaml::to_string(v).unwrap_or_default(),
            },
        };
        Response::ok(out)
    }

    fn extra(pos: &[String]) -> Response {
        let quoted: Vec<String> = pos.iter().map(|p| format!("{p:?}")).collect();
        Response::err(2, format!("unrecognized args: [{}]", quoted.join(" ")))
    }

    /// Resolves `-r`, or the hook's relation. Errors are Juju's.
    fn relation_arg(&self, flags: &Flags) -> Result<u32, Response> {
        let Some(raw) = flags.get("relation") else {
            return self
                .ctx
                .relation
                .ok_or_else(|| Response::err(2, "no relation id specified"));
        };
        let invalid =
            |why: &str| Response::err(2, format!("invalid value {raw:?} for option -r: {why}"));
        let (endpoint, digits) = match raw.rsplit_once(':') {
            Some((e, d)) => (Some(e), d),
            None => (None, raw.as_str()),
        };
        let id: u32 = digits.parse().map_err(|_| invalid("invalid relation id"))?;
        let Some(rel) = self.state.relation(id) else {
            return Err(invalid("relation not found"));
        };
        if let Some(endpoint) = endpoint {
            if self.state.settings.check_relation_endpoint && endpoint != rel.endpoint {
                return Err(invalid(&format!(
                    "relation {id} is on endpoint {:?}, not {endpoint:?} (charm-sim refuses this as a charm bug; \
                     real Juju 3.6 would accept it; set settings.check_relation_endpoint: false to allow it)",
                    rel.endpoint
                )));
            }
        }
        Ok(id)
    }

    fn is_peer(&self, id: u32) -> bool {
        self.state
            .relation(id)
            .is_some_and(|r| r.remote_app == self.state.app())
    }

    // ---- relation tools ---------------------------------------------------------------------

    fn relation_get(&mut self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &RELATION, &APP]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let id = match self.relation_arg(&flags) {
            Ok(id) => id,
            Err(e) => return e,
        };
        if pos.len() > 2 {
            return Self::extra(&pos[2..]);
        }
        let key = pos.first().filter(|k| k.as_str() != "-").cloned();
        let mut app = flags.get("app").is_some_and(|v| v == "true");
        let target = match pos.get(1) {
            Some(t) if app => t.split_once('/').map_or(t.clone(), |(a, _)| a.to_owned()),
            Some(t) => {
                if !t.contains('/') {
                    return Response::err(
                        2,
                        format!("expected unit name, got application name {t:?}"),
                    );
                }
                if t.parse::<UnitName>().is_err() {
                    return Response::err(2, format!("invalid unit name {t:?}"));
                }
                t.clone()
            }
            None if app => match &self.ctx.remote_app {
                Some(a) => a.clone(),
                None => return Response::err(2, "no unit or application specified"),
            },
            None => match (&self.ctx.remote_unit, &self.ctx.remote_app) {
                (Some(u), _) => u.clone(),
                (None, Some(a)) => {
                    app = true;
                    a.clone()
                }
                (None, None) => return Response::err(2, "no unit or application specified"),
            },
        };
        if self.vanished.contains(&id) {
            return Response::err(1, "permission denied");
        }
        let bag = match self.read_bag(id, &target, app) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let value = match key {
            Some(k) => bag
                .get(&k)
                .map_or(Value::Null, |v| Value::String(v.clone())),
            None => json!(bag),
        };
        Self::render(&flags, &value)
    }

    fn read_bag(&self, id: u32, target: &str, app: bool) -> Result<Databag, Response> {
        let denied = || Response::err(1, "permission denied");
        let rel = self.state.relation(id).ok_or_else(denied)?;
        let (pending_app, pending_unit) = self.pending.get(&id).ok_or_else(denied)?;
        if app {
            if target == self.state.app() && !self.is_peer(id) {
                if !self.leader_now {
                    return Err(denied());
                }
                return Ok(pending_app.clone());
            }
            if target == self.state.app() {
                // Peer relation: the leader sees its own writes; others the committed bag.
                return Ok(if self.leader_now {
                    pending_app.clone()
                } else {
                    rel.local_app.clone()
                });
            }
            if target == rel.remote_app {
                return Ok(rel.remote_app_data.clone());
            }
            return Err(denied());
        }
        if target == self.state.unit {
            return Ok(pending_unit.clone());
        }
        let known = rel.remote_units.iter().any(|u| u == target)
            || rel.remote_units_data.contains_key(target);
        if !known {
            return Err(denied());
        }
        Ok(rel
            .remote_units_data
            .get(target)
            .cloned()
            .unwrap_or_default())
    }

    fn relation_set(&mut self, args: &[String], stdin: Option<&[u8]>) -> Option<Response> {
        const FILE: Flag = Flag("file", &["--file"], true);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &RELATION, &APP, &FILE]) {
            Ok(p) => p,
            Err(e) => return Some(e),
        };
        let id = match self.relation_arg(&flags) {
            Ok(id) => id,
            Err(e) => return Some(e),
        };
        let changes = match settings_input(&flags, &pos, stdin)? {
            Ok(c) => c,
            Err(e) => return Some(e),
        };
        let app = flags.get("app").is_some_and(|v| v == "true");
        if app && !self.leader_now {
            return Some(Response::err(1, "cannot write relation settings"));
        }
        if self.vanished.contains(&id) {
            return Some(Response::err(
                2,
                format!("invalid value \"{id}\" for option -r: relation not found"),
            ));
        }
        let Some((pending_app, pending_unit)) = self.pending.get_mut(&id) else {
            return Some(Response::err(
                1,
                "cannot read relation settings: relation not found",
            ));
        };
        let bag = if app { pending_app } else { pending_unit };
        for (k, v) in changes {
            if v.is_empty() {
                bag.remove(&k);
            } else {
                bag.insert(k, v);
            }
        }
        if app {
            self.app_written = true;
        }
        let mut r = Response::ok(Vec::new());
        if flags.contains_key("format") {
            r.stderr = b"--format flag deprecated for command \"relation-set\"\n".to_vec();
        }
        Some(r)
    }

    fn relation_ids(&self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let endpoint = match pos.first() {
            Some(e) => e.clone(),
            None => match self.ctx.relation.and_then(|id| self.state.relation(id)) {
                Some(r) => r.endpoint.clone(),
                None => return Response::err(2, "no endpoint name specified"),
            },
        };
        let mut ids: Vec<String> = self
            .state
            .relations
            .iter()
            .filter(|r| r.endpoint == endpoint && !self.vanished.contains(&r.id))
            .filter(|r| {
                !(self.ctx.hook.ends_with("-relation-broken") && self.ctx.relation == Some(r.id))
            })
            .map(|r| format!("{}:{}", r.endpoint, r.id))
            .collect();
        ids.sort();
        Self::render(&flags, &json!(ids))
    }

    fn relation_list(&self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &RELATION, &APP]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        let id = match self.relation_arg(&flags) {
            Ok(id) => id,
            Err(e) => return e,
        };
        if self.vanished.contains(&id) {
            return Response::err(1, "permission denied");
        }
        let Some(rel) = self.state.relation(id) else {
            return Response::err(1, "permission denied");
        };
        if flags.get("app").is_some_and(|v| v == "true") {
            return Self::render(&flags, &json!(rel.remote_app));
        }
        let mut units = rel.remote_units.clone();
        units.sort();
        Self::render(&flags, &json!(units))
    }

    // ---- other tools ----------------------------------------------------------------------

    fn is_leader(&mut self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        // Once a hook has been told "false" it keeps hearing "false".
        let answer = self.leader_now && !self.leader_said_false;
        if !answer {
            self.leader_said_false = true;
        }
        Self::render(&flags, &json!(answer))
    }

    fn config_get(&self, args: &[String]) -> Response {
        const ALL: Flag = Flag("all", &["-a", "--all"], false);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &ALL]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        match pos.first() {
            Some(k) if flags.get("all").is_some_and(|v| v == "true") => Response::err(
                2,
                format!("cannot use argument --all together with key {k:?}"),
            ),
            Some(k) => Self::render(&flags, self.state.config.get(k).unwrap_or(&Value::Null)),
            None => Self::render(&flags, &json!(self.state.config)),
        }
    }

    fn status_set(&mut self, args: &[String]) -> Response {
        const APPLICATION: Flag = Flag("application", &["--application"], false);
        let (flags, pos) = match Self::parse(args, &[&APPLICATION]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let (status, message) = match pos.as_slice() {
            [s] => (s.clone(), String::new()),
            [s, m] => (s.clone(), m.clone()),
            _ => return Response::err(2, "invalid args, require <status> [message]"),
        };
        if !matches!(
            status.as_str(),
            "maintenance" | "blocked" | "waiting" | "active"
        ) {
            return Response::err(2, format!("invalid status {status:?}, expected one of [maintenance blocked waiting active]"));
        }
        let new = Some(StatusState { status, message });
        if flags.get("application").is_some_and(|v| v == "true") {
            if !self.leader_now {
                return Response::err(1, "this unit is not the leader");
            }
            self.state.app_status = new;
        } else {
            self.state.unit_status = new;
        }
        Response::ok(Vec::new())
    }

    fn status_get(&self, args: &[String]) -> Response {
        const DATA: Flag = Flag("include-data", &["--include-data"], false);
        const APPLICATION: Flag = Flag("application", &["--application"], false);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &DATA, &APPLICATION]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        let unknown = StatusState {
            status: "unknown".into(),
            message: String::new(),
        };
        let shape = |s: &StatusState| {
            if flags.get("include-data").is_some_and(|v| v == "true") {
                json!({"message": s.message, "status": s.status, "status-data": {}})
            } else {
                json!({"status": s.status})
            }
        };
        if flags.get("application").is_some_and(|v| v == "true") {
            if !self.leader_now {
                return Response::err(1, "finding application status: this unit is not the leader");
            }
            let app = self
                .state
                .app_status
                .clone()
                .unwrap_or_else(|| unknown.clone());
            let unit = self
                .state
                .unit_status
                .clone()
                .unwrap_or_else(|| unknown.clone());
            let mut inner = shape(&app);
            inner["units"] = json!({ self.state.unit.clone(): shape(&unit) });
            return Self::render(&flags, &json!({"application-status": inner}));
        }
        Self::render(
            &flags,
            &shape(self.state.unit_status.as_ref().unwrap_or(&unknown)),
        )
    }

    fn juju_log(&mut self, args: &[String]) -> Response {
        const DEBUG: Flag = Flag("debug", &["--debug"], false);
        const LEVEL: Flag = Flag("level", &["-l", "--log-level"], true);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &DEBUG, &LEVEL]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.is_empty() {
            return Response::err(2, "no message specified");
        }
        let mut level = if flags.get("debug").is_some_and(|v| v == "true") {
            "DEBUG".to_owned()
        } else {
            "INFO".to_owned()
        };
        let mut stderr = Vec::new();
        if let Some(l) = flags.get("level") {
            let upper = l.to_ascii_uppercase();
            if matches!(
                upper.as_str(),
                "TRACE" | "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL"
            ) {
                level = upper;
            } else {
                stderr = format!("WARNING invalid log level {l:?}; using INFO\n").into_bytes();
            }
        }
        let mut message = pos.join(" ");
        if let Some(id) = self.ctx.relation.and_then(|id| self.state.relation(id)) {
            message = format!("{}:{}: {message}", id.endpoint, id.id);
        }
        self.logs.push(LogLine { level, message });
        Response {
            code: 0,
            stdout: Vec::new(),
            stderr,
        }
    }

    fn application_version_set(&mut self, args: &[String]) -> Response {
        let (_, pos) = match Self::parse(args, &[]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        match pos.as_slice() {
            [] => Response::err(2, "no version specified"),
            [v] => {
                self.state.app_version = Some(v.clone());
                Response::ok(Vec::new())
            }
            more => Self::extra(&more[1..]),
        }
    }

    fn network_get(&self, args: &[String]) -> Response {
        const BIND: Flag = Flag("bind-address", &["--bind-address"], false);
        const INGRESS: Flag = Flag("ingress-address", &["--ingress-address"], false);
        const EGRESS: Flag = Flag("egress-subnets", &["--egress-subnets"], false);
        let (flags, pos) = match Self::parse(
            args,
            &[&FORMAT, &OUTPUT, &RELATION, &BIND, &INGRESS, &EGRESS],
        ) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.is_empty() {
            return Response::err(2, "no arguments specified");
        }
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        if flags.contains_key("relation") {
            if let Err(e) = self.relation_arg(&flags) {
                return e;
            }
        }
        // Juju knows the bindings from metadata; the state does not list them, so any binding
        // gets the unit's (deterministic) pod address, derived from the unit number.
        let n = self
            .state
            .unit
            .rsplit_once('/')
            .and_then(|(_, n)| n.parse::<u32>().ok())
            .unwrap_or(0);
        let addr = format!("10.1.{}.{}", n / 250, n % 250 + 2);
        let selected: Vec<(&str, Value)> = [
            ("bind-address", json!(addr)),
            ("ingress-address", json!(addr)),
            ("egress-subnets", json!([format!("{addr}/32")])),
        ]
        .into_iter()
        .filter(|(k, _)| flags.get(*k).is_some_and(|v| v == "true"))
        .collect();
        let value = match selected.len() {
            0 => json!({
                "bind-addresses": [{"mac-address": "", "interface-name": "", "addresses": [{"hostname": "", "value": addr, "cidr": format!("{addr}/32")}]}],
                "egress-subnets": [format!("{addr}/32")],
                "ingress-addresses": [addr],
            }),
            1 => selected[0].1.clone(),
            _ => Value::Object(
                selected
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            ),
        };
        Self::render(&flags, &value)
    }

    fn port(&mut self, open: bool, args: &[String]) -> Response {
        const ENDPOINTS: Flag = Flag("endpoints", &["--endpoints"], true);
        let (_, pos) = match Self::parse(args, &[&ENDPOINTS, &FORMAT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some(spec) = pos.first() else {
            return Response::err(2, "no port or range specified");
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let spec = spec.to_ascii_lowercase();
        let normal = if spec == "icmp" {
            spec
        } else {
            let (range, proto) = spec.split_once('/').unwrap_or((spec.as_str(), "tcp"));
            let valid_range = range
                .split('-')
                .all(|p| p.parse::<u16>().is_ok_and(|n| n > 0))
                && range.split('-').count() <= 2;
            if !valid_range || !matches!(proto, "tcp" | "udp") {
                return Response::err(2, format!("invalid port {spec:?}"));
            }
            format!("{range}/{proto}")
        };
        if open {
            if !self.pending_ports.contains(&normal) {
                self.pending_ports.push(normal);
            }
        } else {
            self.pending_ports.retain(|p| *p != normal);
        }
        Response::ok(Vec::new())
    }

    fn opened_ports(&self, args: &[String]) -> Response {
        const ENDPOINTS: Flag = Flag("endpoints", &["--endpoints"], false);
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &ENDPOINTS]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        // Committed ports only: this hook's pending changes are not shown.
        let with_ep = flags.get("endpoints").is_some_and(|v| v == "true");
        let ports: Vec<String> = self
            .state
            .opened_ports
            .iter()
            .map(|p| {
                if with_ep {
                    format!("{p} (*)")
                } else {
                    p.clone()
                }
            })
            .collect();
        Self::render(&flags, &json!(ports))
    }

    fn action(&mut self, tool: &str, args: &[String]) -> Response {
        if !self.ctx.action {
            return Response::err(1, "not running an action");
        }
        let spec: &[&Flag] = if tool == "action-get" {
            &[&FORMAT, &OUTPUT]
        } else {
            &[]
        };
        let (flags, pos) = match Self::parse(args, spec) {
            Ok(p) => p,
            Err(e) => return e,
        };
        match tool {
            "action-get" => {
                let params = json!(self.state.action_params);
                let value = match pos.first() {
                    None => params,
                    Some(key) => key
                        .split('.')
                        .try_fold(&params, |v, k| v.get(k))
                        .cloned()
                        .unwrap_or(Value::Null),
                };
                Self::render(&flags, &value)
            }
            "action-set" => {
                for p in &pos {
                    let Some((k, v)) = p.split_once('=') else {
                        return Response::err(
                            2,
                            format!("argument {p:?} must be of the form key...=value"),
                        );
                    };
                    let valid = k.split('.').all(|seg| {
                        !seg.is_empty()
                            && seg
                                .bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                            && !seg.starts_with('-')
                            && !seg.ends_with('-')
                    });
                    if !valid {
                        return Response::err(2, format!("key {k:?} must start and end with lowercase alphanumeric, and contain only lowercase alphanumeric, hyphens and periods"));
                    }
                    if matches!(
                        k,
                        "stdout" | "stdout-encoding" | "stderr" | "stderr-encoding"
                    ) {
                        return Response::err(2, format!("cannot set reserved action key {k:?}"));
                    }
                    self.action_results.insert(k.to_owned(), v.to_owned());
                }
                Response::ok(Vec::new())
            }
            "action-fail" => {
                self.action_failed = Some(if pos.is_empty() {
                    "action failed without reason given, check action for errors".to_owned()
                } else {
                    pos.join(" ")
                });
                Response::ok(Vec::new())
            }
            _ => {
                if pos.is_empty() {
                    return Response::err(2, "no message specified");
                }
                self.logs.push(LogLine {
                    level: "ACTION".into(),
                    message: pos.join(" "),
                });
                Response::ok(Vec::new())
            }
        }
    }
}

impl Model {
    // ---- charm state ------------------------------------------------------------------------

    fn state_get(&self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        match pos.as_slice() {
            [] => Self::render(&flags, &json!(self.pending_state)),
            [key] => Self::render(
                &flags,
                &self
                    .pending_state
                    .get(key)
                    .map_or(Value::Null, |v| json!(v)),
            ),
            more => Self::extra(&more[1..]),
        }
    }

    fn state_set(&mut self, args: &[String], stdin: Option<&[u8]>) -> Option<Response> {
        const FILE: Flag = Flag("file", &["--file"], true);
        let (flags, pos) = match Self::parse(args, &[&FILE]) {
            Ok(p) => p,
            Err(e) => return Some(e),
        };
        let changes = match settings_input(&flags, &pos, stdin)? {
            Ok(c) => c,
            Err(e) => return Some(e),
        };
        for (k, v) in &changes {
            if k.len() > STATE_KEY_MAX {
                return Some(Response::err(
                    1,
                    format!("key {k:?} exceeds the {STATE_KEY_MAX}-byte limit"),
                ));
            }
            if v.len() > STATE_VALUE_MAX {
                return Some(Response::err(
                    1,
                    format!("value of key {k:?} exceeds the {STATE_VALUE_MAX}-byte limit"),
                ));
            }
        }
        for (k, v) in changes {
            if v.is_empty() {
                self.pending_state.remove(&k);
            } else {
                self.pending_state.insert(k, v);
            }
        }
        Some(Response::ok(Vec::new()))
    }

    fn state_delete(&mut self, args: &[String]) -> Response {
        let (_, pos) = match Self::parse(args, &[]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        match pos.as_slice() {
            [key] => {
                self.pending_state.remove(key);
                Response::ok(Vec::new())
            }
            [] => Response::err(2, "no key specified"),
            more => Self::extra(&more[1..]),
        }
    }
}

/// The settings `relation-set` and `state-set` take: a `--file` (`-` = stdin) then
/// `key=value` arguments, which override it. `None` means "needs stdin".
fn settings_input(
    flags: &Flags,
    pos: &[String],
    stdin: Option<&[u8]>,
) -> Option<Result<Vec<(String, String)>, Response>> {
    let mut changes = Vec::new();
    if let Some(path) = flags.get("file") {
        let bytes = if path == "-" {
            stdin?.to_vec()
        } else {
            match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => return Some(Err(Response::err(1, format!("cannot read {path:?}: {e}")))),
            }
        };
        match parse_settings_file(&bytes) {
            Ok(kv) => changes.extend(kv),
            Err(e) => return Some(Err(Response::err(1, e))),
        }
    }
    let mut seen = BTreeSet::new();
    for p in pos {
        let Some((k, v)) = p.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Some(Err(Response::err(
                2,
                format!("expected \"key=value\", got {p:?}"),
            )));
        };
        if !seen.insert(k.to_owned()) {
            return Some(Err(Response::err(
                2,
                format!("key {k:?} specified more than once"),
            )));
        }
        changes.push((k.to_owned(), v.to_owned()));
    }
    Some(Ok(changes))
}

/// Parses a `relation-set --file` document: a YAML mapping whose scalars become their text.
fn parse_settings_file(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_slice(bytes).map_err(|e| format!("cannot parse settings file: {e}"))?;
    let map = match doc {
        serde_yaml::Value::Null => return Ok(Vec::new()),
        serde_yaml::Value::Mapping(m) => m,
        _ => return Err("cannot parse settings file: expected a mapping of strings".into()),
    };
    let text = |v: &serde_yaml::Value| -> Result<String, String> {
        Ok(match v {
            serde_yaml::Value::String(s) => s.clone(),
            serde_yaml::Value::Bool(b) => b.to_string(),
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::Null => String::new(),
            _ => return Err("cannot parse settings file: values must be strings".into()),
        })
    };
    map.iter().map(|(k, v)| Ok((text(k)?, text(v)?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(yaml: &str) -> State {
        State::from_yaml(yaml).unwrap()
    }

    const TWO: &str = "
unit: tempo/0
leader: true
relations:
  - {id: 3, endpoint: tempo-api, remote_app: grafana, remote_units: [grafana/0],
     remote_app_data: {a: b}, remote_units_data: {grafana/0: {u: v}}}
  - {id: 10, endpoint: tempo-api, remote_app: grafana2}
  - {id: 1, endpoint: peers, remote_app: tempo, local_app: {p: q}}
";

    fn run(m: &mut Model, tool: &str, args: &[&str], stdin: Option<&str>) -> Response {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        match m.call(tool, &args, stdin.map(str::as_bytes)) {
            Answer::Done(r) => r,
            Answer::NeedsStdin => match m.call(tool, &args, Some(b"")) {
                Answer::Done(r) => r,
                Answer::NeedsStdin => panic!("asked for stdin twice"),
            },
        }
    }

    fn out(r: &Response) -> String {
        assert_eq!(r.code, 0, "stderr: {}", String::from_utf8_lossy(&r.stderr));
        String::from_utf8_lossy(&r.stdout).into_owned()
    }
    fn err(r: &Response) -> (i32, String) {
        (r.code, String::from_utf8_lossy(&r.stderr).into_owned())
    }

    #[test]
    fn relation_ids_sorted_as_strings() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        assert_eq!(
            out(&run(
                &mut m,
                "relation-ids",
                &["tempo-api", "--format=json"],
                None
            )),
            "[\"tempo-api:10\",\"tempo-api:3\"]\n"
        );
        assert_eq!(
            out(&run(
                &mut m,
                "relation-ids",
                &["nothing", "--format=json"],
                None
            )),
            "[]\n"
        );
        assert_eq!(
            err(&run(&mut m, "relation-ids", &[], None)),
            (2, "ERROR no endpoint name specified\n".into())
        );
    }

    #[test]
    fn relation_set_merges_deletes_and_reads_back_before_commit() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "--file", "-"],
            Some(r#"{"x": "1", "y": "2"}"#),
        ));
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "y=", "z=3"],
            None,
        ));
        let got = out(&run(
            &mut m,
            "relation-get",
            &["--format=json", "-r", "tempo-api:3", "--app", "-", "tempo"],
            None,
        ));
        assert_eq!(got, "{\"x\":\"1\",\"z\":\"3\"}\n");
        assert!(
            m.state().relation(3).unwrap().local_app.is_empty(),
            "not committed yet"
        );
        assert!(m.finish(0).committed);
        assert_eq!(m.state().relation(3).unwrap().local_app.len(), 2);
    }

    #[test]
    fn failed_hook_discards_relation_data_but_keeps_status() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "k=v"],
            None,
        ));
        out(&run(
            &mut m,
            "status-set",
            &["--application=False", "blocked", "--", "why"],
            None,
        ));
        out(&run(
            &mut m,
            "application-version-set",
            &["--", "2.7"],
            None,
        ));
        assert!(!m.finish(1).committed);
        let s = m.into_state();
        assert!(s.relation(3).unwrap().local_app.is_empty());
        assert_eq!(s.unit_status.unwrap().status, "blocked");
        assert_eq!(s.app_version.as_deref(), Some("2.7"));
    }

    #[test]
    fn only_the_leader_writes_or_reads_its_app_bag() {
        let mut s = state(TWO);
        s.leader = false;
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "--app", "k=v"],
                None
            )),
            (1, "ERROR cannot write relation settings\n".into())
        );
        assert_eq!(
            err(&run(
                &mut m,
                "relation-get",
                &["-r", "tempo-api:3", "--app", "-", "tempo"],
                None
            ))
            .0,
            1
        );
        // ...except on a peer relation, where followers read the committed bag.
        assert_eq!(
            out(&run(
                &mut m,
                "relation-get",
                &["--format=json", "-r", "peers:1", "--app", "-", "tempo"],
                None
            )),
            "{\"p\":\"q\"}\n"
        );
        assert_eq!(
            err(&run(
                &mut m,
                "status-set",
                &["--application", "active"],
                None
            )),
            (1, "ERROR this unit is not the leader\n".into())
        );
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "k=v"],
            None,
        ));
    }

    #[test]
    fn relation_references_are_checked() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        let (code, e) = err(&run(
            &mut m,
            "relation-get",
            &["-r", "tempo-api:99", "-", "tempo/0"],
            None,
        ));
        assert_eq!(
            (code, e.as_str()),
            (
                2,
                "ERROR invalid value \"tempo-api:99\" for option -r: relation not found\n"
            )
        );
        let (code, e) = err(&run(
            &mut m,
            "relation-get",
            &["-r", "x", "-", "tempo/0"],
            None,
        ));
        assert_eq!(
            (code, e.as_str()),
            (
                2,
                "ERROR invalid value \"x\" for option -r: invalid relation id\n"
            )
        );
        let (code, e) = err(&run(
            &mut m,
            "relation-get",
            &["-r", "peers:3", "-", "tempo/0"],
            None,
        ));
        assert_eq!(code, 2);
        assert!(e.contains("real Juju 3.6 would accept it"), "{e}");
        let (code, _) = err(&run(&mut m, "relation-get", &["-", "tempo/0"], None));
        assert_eq!(code, 2, "no -r outside a relation hook");
        let mut s = state(TWO);
        s.settings.check_relation_endpoint = false;
        let mut m = Model::new(s, HookCtx::default());
        out(&run(
            &mut m,
            "relation-get",
            &["-r", "peers:3", "-", "tempo/0"],
            None,
        ));
    }

    #[test]
    fn relation_get_targets() {
        let ctx = HookCtx {
            relation: Some(3),
            remote_unit: Some("grafana/0".into()),
            remote_app: Some("grafana".into()),
            ..Default::default()
        };
        let mut m = Model::new(state(TWO), ctx);
        assert_eq!(
            out(&run(&mut m, "relation-get", &["--format=json"], None)),
            "{\"u\":\"v\"}\n"
        );
        assert_eq!(
            out(&run(
                &mut m,
                "relation-get",
                &["--format=json", "--app"],
                None
            )),
            "{\"a\":\"b\"}\n"
        );
        assert_eq!(
            out(&run(&mut m, "relation-get", &["--format=json", "u"], None)),
            "\"v\"\n"
        );
        assert_eq!(
            out(&run(
                &mut m,
                "relation-get",
                &["--format=json", "missing"],
                None
            )),
            "null\n"
        );
        assert_eq!(
            out(&run(&mut m, "relation-get", &["u"], None)),
            "v\n",
            "smart format prints the raw string"
        );
        assert_eq!(
            err(&run(&mut m, "relation-get", &["-", "grafana"], None)).1,
            "ERROR expected unit name, got application name \"grafana\"\n"
        );
        assert_eq!(
            err(&run(&mut m, "relation-get", &["-", "grafana/7"], None)),
            (1, "ERROR permission denied\n".into())
        );
        assert_eq!(
            err(&run(&mut m, "relation-get", &["--app", "-", "other"], None)),
            (1, "ERROR permission denied\n".into())
        );
    }

    #[test]
    fn relation_set_file_from_stdin_is_lazy() {
        let mut m = Model::new(state(TWO), HookCtx::default());
        let args: Vec<String> = ["-r", "tempo-api:3", "--file", "-"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(m.call("relation-set", &args, None), Answer::NeedsStdin);
        assert!(
            m.calls().is_empty(),
            "the first, stdin-less attempt is not a call"
        );
        assert!(matches!(
            m.call("relation-set", &args, Some(b"a: 1\nb: true\n")),
            Answer::Done(Response { code: 0, .. })
        ));
        let got = out(&run(
            &mut m,
            "relation-get",
            &["--format=json", "-r", "tempo-api:3", "-", "tempo/0"],
            None,
        ));
        assert_eq!(got, "{\"a\":\"1\",\"b\":\"true\"}\n");
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "--file", "-"],
                Some("[1, 2]")
            ))
            .0,
            1
        );
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "nokey"],
                None
            ))
            .0,
            2
        );
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "a=1", "a=2"],
                None
            ))
            .1,
            "ERROR key \"a\" specified more than once\n"
        );
    }

    #[test]
    fn leadership_answer_sticks_at_false() {
        let mut s = state(TWO);
        s.faults.leadership_lost_after_calls = Some(1);
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(
            out(&run(&mut m, "is-leader", &["--format=json"], None)),
            "true\n"
        );
        assert_eq!(
            out(&run(&mut m, "is-leader", &["--format=json"], None)),
            "false\n"
        );
        assert_eq!(
            err(&run(
                &mut m,
                "relation-set",
                &["-r", "tempo-api:3", "--app", "k=v"],
                None
            ))
            .0,
            1
        );
    }

    #[test]
    fn commit_refused_when_leadership_lost_after_an_app_write() {
        let mut s = state(TWO);
        s.faults.leadership_lost_after_calls = Some(1);
        let mut m = Model::new(s, HookCtx::default());
        out(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "k=v"],
            None,
        ));
        out(&run(&mut m, "status-set", &["active"], None));
        let c = m.finish(0);
        assert!(!c.committed && c.failure.is_some());
        assert!(m.state().relation(3).unwrap().local_app.is_empty());
    }

    #[test]
    fn vanished_relation() {
        let mut s = state(TWO);
        s.faults.relation_vanishes = Some(crate::sim::state::VanishFault {
            id: 3,
            after_calls: 1,
        });
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(
            out(&run(
                &mut m,
                "relation-ids",
                &["tempo-api", "--format=json"],
                None
            )),
            "[\"tempo-api:10\",\"tempo-api:3\"]\n"
        );
        assert!(err(&run(
            &mut m,
            "relation-set",
            &["-r", "tempo-api:3", "--app", "k=v"],
            None
        ))
        .1
        .contains("relation not found"));
        assert_eq!(
            out(&run(
                &mut m,
                "relation-ids",
                &["tempo-api", "--format=json"],
                None
            )),
            "[\"tempo-api:10\"]\n"
        );
        m.finish(0);
        assert!(m.state().relation(3).is_none());
    }

    #[test]
    fn injected_failures_hit_the_named_call() {
        let mut s = state(TWO);
        s.faults.fail_tool.push(crate::sim::state::ToolFault {
            tool: "is-leader".into(),
            call: Some(2),
            exit_code: 3,
            stderr: "boom\n".into(),
        });
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(run(&mut m, "is-leader", &[], None).code, 0);
        assert_eq!(
            err(&run(&mut m, "is-leader", &[], None)),
            (3, "boom\n".into())
        );
        assert_eq!(m.calls().len(), 2);
    }

    #[test]
    fn status_and_log_grammar() {
        let ctx = HookCtx {
            relation: Some(3),
            ..Default::default()
        };
        let mut m = Model::new(state(TWO), ctx);
        assert_eq!(err(&run(&mut m, "status-set", &["error"], None)).1, "ERROR invalid status \"error\", expected one of [maintenance blocked waiting active]\n");
        assert_eq!(
            err(&run(&mut m, "status-set", &["active", "a", "b"], None)).1,
            "ERROR invalid args, require <status> [message]\n"
        );
        out(&run(
            &mut m,
            "status-set",
            &["--application=True", "waiting", "--", "-x"],
            None,
        ));
        assert_eq!(m.state().app_status.as_ref().unwrap().message, "-x");
        out(&run(
            &mut m,
            "juju-log",
            &["--log-level", "WARNING", "--", "hello", "there"],
            None,
        ));
        assert_eq!(
            m.logs()[0],
            LogLine {
                level: "WARNING".into(),
                message: "tempo-api:3: hello there".into()
            }
        );
        assert_eq!(
            err(&run(&mut m, "juju-log", &[], None)).1,
            "ERROR no message specified\n"
        );
        assert_eq!(err(&run(&mut m, "is-leader", &["--format=xml"], None)).0, 2);
        assert_eq!(out(&run(&mut m, "is-leader", &[], None)), "True\n");
    }

    #[test]
    fn ports_are_transactional() {
        let mut m = Model::new(state("unit: t/0"), HookCtx::default());
        out(&run(&mut m, "open-port", &["3200/TCP"], None));
        out(&run(&mut m, "open-port", &["9096"], None));
        assert_eq!(
            out(&run(&mut m, "opened-ports", &["--format=json"], None)),
            "[]\n"
        );
        assert_eq!(err(&run(&mut m, "open-port", &["x"], None)).0, 2);
        m.finish(0);
        assert_eq!(m.state().opened_ports, vec!["3200/tcp", "9096/tcp"]);
    }

    #[test]
    fn charm_state_is_staged_and_bounded() {
        let mut m = Model::new(
            state("unit: t/0\ncharm_state: {a: '1'}"),
            HookCtx::default(),
        );
        out(&run(
            &mut m,
            "state-set",
            &["--file", "-"],
            Some("{b: '2'}"),
        ));
        out(&run(&mut m, "state-delete", &["a"], None));
        assert_eq!(
            out(&run(&mut m, "state-get", &["--format=json"], None)),
            "{\"b\":\"2\"}\n"
        );
        assert_eq!(out(&run(&mut m, "state-get", &["b"], None)), "2\n");
        assert_eq!(
            out(&run(&mut m, "state-get", &["a"], None)),
            "",
            "smart format prints nothing for a missing key"
        );
        let big = format!("k={}", "x".repeat(64 * 1024 + 1));
        assert!(err(&run(&mut m, "state-set", &[big.as_str()], None))
            .1
            .contains("limit"));
        let mut failed = m.clone();
        assert!(!failed.finish(1).committed);
        assert_eq!(
            failed.state().charm_state.get("a").map(String::as_str),
            Some("1"),
            "a failed hook keeps the old state"
        );
        m.finish(0);
        assert_eq!(m.state().charm_state.len(), 1);
        assert_eq!(m.state().charm_state["b"], "2");
    }

    #[test]
    fn action_tools_only_in_actions() {
        let mut m = Model::new(
            state("unit: t/0\naction_params: {a: {b: 1}}"),
            HookCtx::default(),
        );
        assert_eq!(
            err(&run(&mut m, "action-get", &[], None)),
            (1, "ERROR not running an action\n".into())
        );
        let mut m = Model::new(
            state("unit: t/0\naction_params: {a: {b: 1}}"),
            HookCtx {
                action: true,
                ..Default::default()
            },
        );
        assert_eq!(
            out(&run(&mut m, "action-get", &["--format=json", "a.b"], None)),
            "1\n"
        );
        out(&run(&mut m, "action-set", &["x.y=1"], None));
        assert_eq!(err(&run(&mut m, "action-set", &["stdout=1"], None)).0, 2);
        out(&run(&mut m, "action-fail", &["--", "nope"], None));
        assert_eq!(m.action_outcome().1, Some("nope"));
    }
}
