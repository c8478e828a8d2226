//! A workload container as the state file describes it: can the charm reach its Pebble,
//! its layers, service states, files, checks, canned exec results and faults.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use juju_charm::pebble::{CheckInfo, Layer};

fn yes() -> bool {
    true
}

/// One workload container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerState {
    /// The container's name, as in metadata.yaml.
    pub name: String,
    /// Whether its Pebble answers (false: no socket, as before `pebble-ready`).
    #[serde(default = "yes")]
    pub can_connect: bool,
    /// Layers in the order they were added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<NamedLayer>,
    /// Service states by name (`active`, `inactive`, `backoff`); absent means inactive.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, String>,
    /// Files by absolute path.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileState>,
    /// Directories known to exist (parents of files exist implicitly).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub dirs: BTreeSet<String>,
    /// Check states; checks of the plan not listed here are `up`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckInfo>,
    /// Canned exec results: the first whose `command` is a prefix of the command run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec: Vec<CannedExec>,
    /// Commands the charm ran (output of the simulator, kept across hooks).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec_calls: Vec<ExecCall>,
    /// Faults in this container.
    #[serde(default, skip_serializing_if = "ContainerFaults::is_empty")]
    pub faults: ContainerFaults,
    /// The service definitions each running service was started with (to restart what a
    /// replan changed); kept by the simulator.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub started_with: BTreeMap<String, String>,
}

impl ContainerState {
    /// A connectable container with nothing in it.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            can_connect: true,
            layers: Vec::new(),
            services: BTreeMap::new(),
            files: BTreeMap::new(),
            dirs: BTreeSet::new(),
            checks: Vec::new(),
            exec: Vec::new(),
            exec_calls: Vec::new(),
            faults: ContainerFaults::default(),
            started_with: BTreeMap::new(),
        }
    }
}

/// A layer with its label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedLayer {
    /// The label.
    pub label: String,
    /// The layer.
    #[serde(flatten)]
    pub layer: Layer,
}

/// A file: its text, or its text with a mode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FileState {
    /// Text, mode 0644.
    Text(String),
    /// Text and details.
    Full {
        /// The content.
        content: String,
        /// Octal permissions (`640`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        permissions: Option<String>,
        /// Owner.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user: Option<String>,
        /// Group.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
}

impl FileState {
    /// The content.
    pub fn content(&self) -> &str {
        match self {
            Self::Text(s) => s,
            Self::Full { content, .. } => content,
        }
    }
    /// The owner and group (`root` when not given).
    pub fn owner(&self) -> (&str, &str) {
        match self {
            Self::Full { user, group, .. } => (
                user.as_deref().unwrap_or("root"),
                group.as_deref().unwrap_or("root"),
            ),
            Self::Text(_) => ("root", "root"),
        }
    }
    /// The permissions (`644` when not given).
    pub fn permissions(&self) -> &str {
        match self {
            Self::Full {
                permissions: Some(p),
                ..
            } => p,
            _ => "644",
        }
    }
}

/// A canned answer to `exec`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedExec {
    /// A command prefix (`[nginx, -s, reload]`).
    pub command: Vec<String>,
    /// What it writes to stdout.
    #[serde(default)]
    pub stdout: String,
    /// What it writes to stderr.
    #[serde(default)]
    pub stderr: String,
    /// Its exit code.
    #[serde(default)]
    pub exit_code: i64,
}

/// One command the charm ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecCall {
    /// The command line.
    pub command: Vec<String>,
    /// Extra environment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub environment: BTreeMap<String, String>,
    /// Working directory, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// What it received on stdin.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub stdin: String,
    /// The exit code it was given.
    pub exit_code: i64,
}

/// Faults of one container.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerFaults {
    /// Services that exit at once when started (the change fails, the service backs off).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail_start: Vec<String>,
    /// Each change stays not ready for this many `/wait` calls (each waits its timeout and
    /// answers 504).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub slow_changes: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl ContainerFaults {
    /// No fault.
    pub fn is_empty(&self) -> bool {
        self.fail_start.is_empty() && self.slow_changes == 0
    }
}
