//! What Pebble answers with: system info, changes, services, checks, files. Field names are
//! Pebble's own (kebab-case); unknown fields are ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// `GET /v1/system-info`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct SystemInfo {
    /// Pebble's version (`v1.19.0`).
    #[serde(default)]
    pub version: String,
    /// The boot id.
    #[serde(default)]
    pub boot_id: String,
}

/// A change (`GET /v1/changes/<id>`): what a replan, start, stop or exec did.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Change {
    /// Its id.
    pub id: String,
    /// `replan`, `start`, `stop`, `exec`, ...
    #[serde(default)]
    pub kind: String,
    /// A sentence.
    #[serde(default)]
    pub summary: String,
    /// `Do`, `Doing`, `Done`, `Error`, `Hold`, ...
    #[serde(default)]
    pub status: String,
    /// Its tasks (absent in a replan with no services).
    #[serde(default)]
    pub tasks: Vec<Task>,
    /// Whether it has finished.
    #[serde(default)]
    pub ready: bool,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub err: Option<String>,
    /// When it was made (RFC 3339).
    #[serde(default)]
    pub spawn_time: String,
    /// When it finished (RFC 3339), once ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<String>,
}

/// One task of a [`Change`].
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Task {
    /// Its id.
    pub id: String,
    /// `start`, `stop`, `exec`, ...
    #[serde(default)]
    pub kind: String,
    /// A sentence.
    #[serde(default)]
    pub summary: String,
    /// Its status.
    #[serde(default)]
    pub status: String,
    /// Log lines.
    #[serde(default)]
    pub log: Vec<String>,
    /// Task data (`exit-code` for an exec).
    #[serde(default)]
    pub data: BTreeMap<String, serde_json::Value>,
    /// How far it got.
    #[serde(default)]
    pub progress: TaskProgress,
    /// When it was made (RFC 3339).
    #[serde(default)]
    pub spawn_time: String,
    /// When it finished (RFC 3339), once done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_time: Option<String>,
}

/// A task's progress, as Pebble reports it (`{"label":"","done":1,"total":1}`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TaskProgress {
    /// What is being counted (often empty).
    #[serde(default)]
    pub label: String,
    /// Done so far.
    #[serde(default)]
    pub done: u64,
    /// Of how many.
    #[serde(default)]
    pub total: u64,
}

/// `GET /v1/services`: one service's state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct ServiceInfo {
    /// The service.
    pub name: String,
    /// `enabled` or `disabled`.
    #[serde(default)]
    pub startup: String,
    /// `active`, `inactive`, `backoff`, `error`.
    #[serde(default)]
    pub current: String,
}

impl ServiceInfo {
    /// Whether it is running.
    pub fn is_running(&self) -> bool {
        self.current == "active"
    }
}

/// `GET /v1/checks`: one health check's state.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct CheckInfo {
    /// The check.
    pub name: String,
    /// `alive`, `ready`, or empty.
    #[serde(default)]
    pub level: String,
    /// `enabled` or `disabled`.
    #[serde(default)]
    pub startup: String,
    /// `up`, `down` or `inactive`.
    #[serde(default)]
    pub status: String,
    /// Consecutive failures.
    #[serde(default)]
    pub failures: u32,
    /// Failures before it is down.
    #[serde(default)]
    pub threshold: u32,
    /// The change running it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_id: Option<String>,
}

/// `GET /v1/files?action=list`: one entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct FileInfo {
    /// Absolute path.
    pub path: String,
    /// Base name.
    #[serde(default)]
    pub name: String,
    /// `file`, `directory`, `symlink`, ...
    #[serde(rename = "type", default)]
    pub file_type: String,
    /// Size in bytes (files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Octal permissions (`644`).
    #[serde(default)]
    pub permissions: String,
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}
