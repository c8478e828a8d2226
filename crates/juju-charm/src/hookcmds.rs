//! One small typed function per hook tool, invoked as ops invokes them.
//!
//! Each builds its argument list in the open (`--format=json`, `-r endpoint:id`, data on stdin
//! for `relation-set --file -`), runs the tool through a [`Runner`], and parses the output.
//! The only state is the leadership answer, asked at most once per hook: once Juju has said
//! `false` in a hook it keeps saying so, and a `true` holds the lease for 30 s.

use std::cell::Cell;
use std::collections::BTreeMap;

use serde::de::DeserializeOwned;

use super::error::HookToolError;
use super::runner::Runner;
use super::types::{
    Port, RelationId, SecretAccess, SecretContent, SecretExpire, SecretId, SecretInfo, SecretOwner,
    SecretRotate, Status, StatusName, UnitName,
};

/// A relation databag: string keys to string values.
pub type Databag = BTreeMap<String, String>;

/// Log levels `juju-log` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// `TRACE`.
    Trace,
    /// `DEBUG`.
    Debug,
    /// `INFO`.
    Info,
    /// `WARNING`.
    Warning,
    /// `ERROR`.
    Error,
}

impl LogLevel {
    /// The word `juju-log --log-level` takes.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "TRACE",
            Self::Debug => "DEBUG",
            Self::Info => "INFO",
            Self::Warning => "WARNING",
            Self::Error => "ERROR",
        }
    }
}

/// `network-get --format=json <binding>` output (the parts a charm uses).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
pub struct NetworkInfo {
    /// Addresses the unit binds to, per interface.
    #[serde(rename = "bind-addresses", default)]
    pub bind_addresses: Vec<BindAddress>,
    /// Addresses others should use to reach this unit.
    #[serde(rename = "ingress-addresses", default)]
    pub ingress_addresses: Vec<String>,
    /// Subnets outbound traffic comes from.
    #[serde(rename = "egress-subnets", default)]
    pub egress_subnets: Vec<String>,
}

/// One interface in [`NetworkInfo::bind_addresses`].
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
pub struct BindAddress {
    /// Interface name (often empty on K8s).
    #[serde(rename = "interface-name", default)]
    pub interface_name: String,
    /// Its addresses.
    #[serde(default)]
    pub addresses: Vec<Address>,
}

/// One address of an interface.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
pub struct Address {
    /// The address.
    #[serde(default)]
    pub value: String,
    /// Its subnet in CIDR form.
    #[serde(default)]
    pub cidr: String,
}

/// Which secret `secret-get` and `secret-info-get` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretRef {
    /// By URI.
    Id(SecretId),
    /// By label (the owner label, or this unit's consumer label).
    Label(String),
    /// By URI, and (`secret-get` only) give it this label: the consumer label for a consumer,
    /// the owner label for the owner (ops' `get_secret(id=, label=)`).
    IdAndLabel(SecretId, String),
}

/// Which revision `secret-get` reads (`juju-secrets.md` §6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretRead {
    /// A consumer's tracked revision (the latest for owners).
    #[default]
    Tracked,
    /// The latest revision, once (`--peek`).
    Peek,
    /// The latest revision, and track it from now on (`--refresh`).
    Refresh,
}

/// `secret-add` options; the owner defaults to the application, as Juju's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretAddOptions {
    /// The owner.
    pub owner: SecretOwner,
    /// The owner label.
    pub label: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// When revision 1 expires.
    pub expire: Option<SecretExpire>,
    /// The rotation policy.
    pub rotate: Option<SecretRotate>,
}

/// `secret-set` metadata changes (Juju keeps what is not given).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretSetOptions {
    /// A new owner label.
    pub label: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// When the new revision (or, without content, the latest) expires.
    pub expire: Option<SecretExpire>,
    /// A new rotation policy.
    pub rotate: Option<SecretRotate>,
}

impl SecretSetOptions {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

fn secret_meta_args(
    label: Option<&String>,
    description: Option<&String>,
    expire: Option<&SecretExpire>,
    rotate: Option<SecretRotate>,
) -> Vec<String> {
    let mut args = Vec::new();
    if let Some(l) = label {
        args.extend([s("--label"), l.clone()]);
    }
    if let Some(d) = description {
        args.extend([s("--description"), d.clone()]);
    }
    if let Some(e) = expire {
        args.extend([s("--expire"), s(e)]);
    }
    if let Some(r) = rotate {
        args.extend([s("--rotate"), s(r.as_str())]);
    }
    args
}

/// `juju-log --log-level <LEVEL> -- <message>` over any runner (the log layer has no [`HookTools`]).
pub fn juju_log<R: Runner + ?Sized>(
    runner: &R,
    level: LogLevel,
    message: &str,
) -> Result<(), HookToolError> {
    let args = vec![s("--log-level"), s(level.as_str()), s("--"), s(message)];
    let out = runner.run("juju-log", &args, None)?;
    if out.code != 0 {
        return Err(HookToolError::failed(
            "juju-log",
            &args,
            out.code,
            &out.stderr,
        ));
    }
    Ok(())
}

/// The hook tools, over a transport.
#[derive(Debug)]
pub struct HookTools<R> {
    runner: R,
    leader: Cell<Option<bool>>,
    /// Calls made so far (each of the first [`MAX_TOOL_SPANS`] gets a span).
    calls: Cell<u32>,
}

/// The hook-tool calls of one hook that get a span of their own: a hook over a thousand
/// worker units makes a thousand `relation-get`s, and a span each cost as much as a fifth of
/// the hook while telling nothing the first few hundred do not.
pub const MAX_TOOL_SPANS: u32 = 256;

fn s(v: impl ToString) -> String {
    v.to_string()
}

/// Arguments as one bounded line, for a span.
struct Args<'a>(&'a [String]);

impl std::fmt::Display for Args<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::context::truncate(&self.0.join(" "), 200))
    }
}

impl<R: Runner> HookTools<R> {
    /// Hook tools over `runner`; nothing is called until a method is.
    pub fn new(runner: R) -> Self {
        Self {
            runner,
            leader: Cell::new(None),
            calls: Cell::new(0),
        }
    }

    /// The transport.
    pub fn runner(&self) -> &R {
        &self.runner
    }

    /// Runs a tool, mapping a non-zero exit to [`HookToolError::Failed`].
    pub fn call(
        &self,
        tool: &str,
        args: &[String],
        stdin: Option<&[u8]>,
    ) -> Result<Vec<u8>, HookToolError> {
        // A span per call, up to MAX_TOOL_SPANS (charm tracing shows each tool and its
        // arguments; data goes on stdin, never in the arguments). Free unless a span
        // collector is installed.
        let n = self.calls.get();
        self.calls.set(n.saturating_add(1));
        let _span = (n < MAX_TOOL_SPANS).then(|| {
            tracing::trace_span!("hook-tool", otel.name = tool, args = %Args(args)).entered()
        });
        let out = self.runner.run(tool, args, stdin)?;
        if out.code != 0 {
            return Err(HookToolError::failed(tool, args, out.code, &out.stderr));
        }
        Ok(out.stdout)
    }

    fn json<T: DeserializeOwned>(
        &self,
        tool: &str,
        args: &[String],
        expected: &'static str,
    ) -> Result<T, HookToolError> {
        let out = self.call(tool, args, None)?;
        serde_json::from_slice(&out)
            .map_err(|e| HookToolError::bad_output(tool, args, expected, e, &out))
    }

    /// `relation-ids <endpoint> --format=json`: the live relations on an endpoint, in id order.
    pub fn relation_ids(&self, endpoint: &str) -> Result<Vec<RelationId>, HookToolError> {
        let args = vec![s(endpoint), s("--format=json")];
        let raw: Vec<String> = self.json("relation-ids", &args, "a JSON array of relation ids")?;
        let mut ids = raw
            .iter()
            .map(|r| r.parse::<RelationId>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                HookToolError::bad_output(
                    "relation-ids",
                    &args,
                    "a JSON array of relation ids",
                    e,
                    &[],
                )
            })?;
        // Juju sorts them as strings (`x:10` before `x:2`); callers get numeric order.
        ids.sort_by_key(|r| r.id);
        Ok(ids)
    }

    /// `relation-list --format=json -r <rel>`: the remote units that have joined.
    pub fn relation_list(&self, relation: &RelationId) -> Result<Vec<UnitName>, HookToolError> {
        let args = vec![s("--format=json"), s("-r"), s(relation)];
        let raw: Vec<String> = self.json("relation-list", &args, "a JSON array of unit names")?;
        raw.iter()
            .map(|u| u.parse())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| {
                HookToolError::bad_output(
                    "relation-list",
                    &args,
                    "a JSON array of unit names",
                    e,
                    &[],
                )
            })
    }

    /// `relation-list --format=json --app -r <rel>`: the remote application's name (empty if unknown).
    pub fn relation_list_app(&self, relation: &RelationId) -> Result<String, HookToolError> {
        let args = vec![s("--format=json"), s("--app"), s("-r"), s(relation)];
        let out = self.call("relation-list", &args, None)?;
        let name: Option<String> = serde_json::from_slice(&out).map_err(|e| {
            HookToolError::bad_output("relation-list", &args, "a JSON string", e, &out)
        })?;
        Ok(name.unwrap_or_default())
    }

    /// The remote application's name on `relation`: `known` when the caller has it (see
    /// [`Event::remote_app_on`](crate::Event::remote_app_on)), else `relation-list --app`.
    /// Empty while Juju does not know the remote application yet.
    pub fn remote_app(
        &self,
        relation: &RelationId,
        known: Option<&str>,
    ) -> Result<String, HookToolError> {
        match known {
            Some(app) => Ok(app.to_owned()),
            None => self.relation_list_app(relation),
        }
    }

    /// The remote application's name and whole databag on `relation` (one `relation-get`,
    /// and a `relation-list --app` unless `known` names it); `None` while the remote
    /// application is not known yet.
    pub fn remote_app_databag(
        &self,
        relation: &RelationId,
        known: Option<&str>,
    ) -> Result<Option<(String, Databag)>, HookToolError> {
        let app = self.remote_app(relation, known)?;
        if app.is_empty() {
            return Ok(None);
        }
        let bag = self.relation_get_app(relation, &app)?;
        Ok(Some((app, bag)))
    }

    /// `relation-get --format=json -r <rel> - <unit>`: a unit's whole databag.
    pub fn relation_get_unit(
        &self,
        relation: &RelationId,
        unit: &UnitName,
    ) -> Result<Databag, HookToolError> {
        let args = vec![s("--format=json"), s("-r"), s(relation), s("-"), s(unit)];
        self.databag(&args)
    }

    /// `relation-get --format=json -r <rel> --app - <app>`: an application's whole databag.
    pub fn relation_get_app(
        &self,
        relation: &RelationId,
        app: &str,
    ) -> Result<Databag, HookToolError> {
        let args = vec![
            s("--format=json"),
            s("-r"),
            s(relation),
            s("--app"),
            s("-"),
            s(app),
        ];
        self.databag(&args)
    }

    fn databag(&self, args: &[String]) -> Result<Databag, HookToolError> {
        let out = self.call("relation-get", args, None)?;
        // Juju prints `{}` for an empty bag; `null` is tolerated the same way.
        // Relation data may hold secrets (S3 keys, TLS private keys): the error names where
        // the output went wrong, never what it says.
        let bag: Option<Databag> = serde_json::from_slice(&out).map_err(|e| {
            HookToolError::bad_output_redacted("relation-get", args, "a JSON object of strings", &e)
        })?;
        Ok(bag.unwrap_or_default())
    }

    /// `relation-set -r <rel> --file -` with the map as JSON on stdin: merges into our unit's bag;
    /// an empty value deletes its key. An empty map makes no call.
    pub fn relation_set_unit(
        &self,
        relation: &RelationId,
        data: &Databag,
    ) -> Result<(), HookToolError> {
        self.relation_set(relation, false, data)
    }

    /// `relation-set -r <rel> --app --file -`: merges into our application's bag (leader only).
    pub fn relation_set_app(
        &self,
        relation: &RelationId,
        data: &Databag,
    ) -> Result<(), HookToolError> {
        self.relation_set(relation, true, data)
    }

    fn relation_set(
        &self,
        relation: &RelationId,
        app: bool,
        data: &Databag,
    ) -> Result<(), HookToolError> {
        if data.is_empty() {
            return Ok(());
        }
        let mut args = vec![s("-r"), s(relation)];
        if app {
            args.push(s("--app"));
        }
        self.set_file_stdin("relation-set", args, data)
    }

    /// `<tool> <args> --file -` with the whole map as JSON on stdin (never on argv).
    fn set_file_stdin(
        &self,
        tool: &str,
        mut args: Vec<String>,
        data: &Databag,
    ) -> Result<(), HookToolError> {
        args.extend([s("--file"), s("-")]);
        let stdin = serde_json::to_vec(data)
            .map_err(|e| HookToolError::bad_output(tool, &args, "serialisable", e, &[]))?;
        self.call(tool, &args, Some(&stdin)).map(drop)
    }

    /// `is-leader --format=json`, asked at most once per [`HookTools`] (one hook).
    pub fn is_leader(&self) -> Result<bool, HookToolError> {
        if let Some(v) = self.leader.get() {
            return Ok(v);
        }
        let v: bool = self.json("is-leader", &[s("--format=json")], "a JSON boolean")?;
        self.leader.set(Some(v));
        Ok(v)
    }

    /// `config-get --format=json`: the whole config map, values typed as in config.yaml.
    pub fn config_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, HookToolError> {
        let v: Option<serde_json::Map<String, serde_json::Value>> =
            self.json("config-get", &[s("--format=json")], "a JSON object")?;
        Ok(v.unwrap_or_default())
    }

    /// `status-set --application=False <status> -- <message>`.
    pub fn status_set_unit(&self, status: &Status) -> Result<(), HookToolError> {
        self.status_set(status, false)
    }

    /// `status-set --application=True <status> -- <message>` (leader only).
    pub fn status_set_app(&self, status: &Status) -> Result<(), HookToolError> {
        self.status_set(status, true)
    }

    fn status_set(&self, status: &Status, app: bool) -> Result<(), HookToolError> {
        let flag = if app {
            "--application=True"
        } else {
            "--application=False"
        };
        let args = vec![s(flag), s(status.name), s("--"), status.message.clone()];
        self.call("status-set", &args, None).map(drop)
    }

    /// `status-get --include-data --format=json --application=false`: this unit's status.
    pub fn status_get_unit(&self) -> Result<Status, HookToolError> {
        #[derive(serde::Deserialize)]
        struct Raw {
            status: String,
            #[serde(default)]
            message: String,
        }
        let args = vec![
            s("--include-data"),
            s("--format=json"),
            s("--application=false"),
        ];
        let raw: Raw = self.json("status-get", &args, "a JSON status object")?;
        let name: StatusName = raw.status.parse().map_err(|e| {
            HookToolError::bad_output(
                "status-get",
                &args,
                "a known status",
                e,
                raw.status.as_bytes(),
            )
        })?;
        Ok(Status {
            name,
            message: raw.message,
        })
    }

    /// `juju-log --log-level <LEVEL> -- <message>`.
    pub fn juju_log(&self, level: LogLevel, message: &str) -> Result<(), HookToolError> {
        juju_log(&self.runner, level, message)
    }

    /// `application-version-set -- <version>`.
    pub fn application_version_set(&self, version: &str) -> Result<(), HookToolError> {
        self.call("application-version-set", &[s("--"), s(version)], None)
            .map(drop)
    }

    /// `network-get --format=json [-r <id>] <binding>`.
    pub fn network_get(
        &self,
        binding: &str,
        relation: Option<&RelationId>,
    ) -> Result<NetworkInfo, HookToolError> {
        let mut args = vec![s("--format=json")];
        if let Some(r) = relation {
            args.extend([s("-r"), s(r.id)]);
        }
        args.push(s(binding));
        self.json("network-get", &args, "a JSON network description")
    }

    /// `open-port <port>/<proto>`.
    pub fn open_port(&self, port: Port) -> Result<(), HookToolError> {
        self.call("open-port", &[s(port)], None).map(drop)
    }

    /// `close-port <port>/<proto>`.
    pub fn close_port(&self, port: Port) -> Result<(), HookToolError> {
        self.call("close-port", &[s(port)], None).map(drop)
    }

    /// `opened-ports --format=json`.
    pub fn opened_ports(&self) -> Result<Vec<Port>, HookToolError> {
        let args = vec![s("--format=json")];
        let raw: Vec<String> = self.json("opened-ports", &args, "a JSON array of ports")?;
        raw.iter()
            .map(|p| p.parse::<Port>())
            .collect::<Result<_, _>>()
            .map_err(|e| {
                HookToolError::bad_output("opened-ports", &args, "a JSON array of ports", e, &[])
            })
    }

    /// `state-get --format=json`: the charm's state map, kept by Juju across hooks.
    pub fn state_get(&self) -> Result<Databag, HookToolError> {
        let v: Option<Databag> = self.json(
            "state-get",
            &[s("--format=json")],
            "a JSON object of strings",
        )?;
        Ok(v.unwrap_or_default())
    }

    /// `state-set --file -`: merges `data` into the charm state (committed with the hook).
    pub fn state_set(&self, data: &Databag) -> Result<(), HookToolError> {
        if data.is_empty() {
            return Ok(());
        }
        self.set_file_stdin("state-set", Vec::new(), data)
    }

    /// `state-delete <key>`.
    pub fn state_delete(&self, key: &str) -> Result<(), HookToolError> {
        self.call("state-delete", &[s(key)], None).map(drop)
    }

    /// `action-get --format=json`: the action's parameters.
    pub fn action_get(&self) -> Result<serde_json::Map<String, serde_json::Value>, HookToolError> {
        let v: Option<serde_json::Map<String, serde_json::Value>> =
            self.json("action-get", &[s("--format=json")], "a JSON object")?;
        Ok(v.unwrap_or_default())
    }

    /// `action-set k=v ...`, nested maps flattened to dotted keys as ops does.
    pub fn action_set(
        &self,
        results: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), HookToolError> {
        fn flatten(
            prefix: &str,
            map: &serde_json::Map<String, serde_json::Value>,
            out: &mut Vec<String>,
        ) {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                match v {
                    serde_json::Value::Object(m) => flatten(&key, m, out),
                    serde_json::Value::String(s) => out.push(format!("{key}={s}")),
                    other => out.push(format!("{key}={other}")),
                }
            }
        }
        let mut args = Vec::new();
        flatten("", results, &mut args);
        if args.is_empty() {
            return Ok(());
        }
        self.call("action-set", &args, None).map(drop)
    }

    /// `action-fail -- <message>`.
    pub fn action_fail(&self, message: &str) -> Result<(), HookToolError> {
        self.call("action-fail", &[s("--"), s(message)], None)
            .map(drop)
    }

    /// `action-log -- <message>`.
    pub fn action_log(&self, message: &str) -> Result<(), HookToolError> {
        self.call("action-log", &[s("--"), s(message)], None)
            .map(drop)
    }

    /// Runs `tool args key#file=<dir>/key ...` with each value in a file of a private
    /// temporary directory (removed afterwards), as ops does: content never on a command line.
    fn call_with_content(
        &self,
        tool: &str,
        mut args: Vec<String>,
        content: Option<&SecretContent>,
    ) -> Result<Vec<u8>, HookToolError> {
        let io = |e: std::io::Error| HookToolError::ContentFile {
            tool: tool.to_owned(),
            source: e,
        };
        let dir = tempfile::Builder::new()
            .prefix("secret-content-")
            .tempdir()
            .map_err(io)?;
        for (k, v) in content.map(SecretContent::as_map).into_iter().flatten() {
            // Keys are checked by `SecretContent::new`: no `/`, no `..`.
            let path = dir.path().join(k);
            std::fs::write(&path, v).map_err(io)?;
            args.push(format!("{k}#file={}", path.display()));
        }
        let out = self.call(tool, &args, None);
        dir.close().map_err(io)?;
        out
    }

    /// `secret-add [--label L] [--description D] [--expire E] [--rotate P] --owner O
    /// key#file=... ...`: a new secret, created when the hook commits; its URI now.
    pub fn secret_add(
        &self,
        content: &SecretContent,
        options: &SecretAddOptions,
    ) -> Result<SecretId, HookToolError> {
        let mut args = secret_meta_args(
            options.label.as_ref(),
            options.description.as_ref(),
            options.expire.as_ref(),
            options.rotate,
        );
        args.extend([s("--owner"), s(options.owner.as_str())]);
        let out = self.call_with_content("secret-add", args.clone(), Some(content))?;
        let text = String::from_utf8_lossy(&out);
        text.trim()
            .parse()
            .map_err(|e| HookToolError::bad_output("secret-add", &args, "a secret URI", e, &out))
    }

    /// `secret-get --format=json [<id>] [--label L] [--refresh|--peek]`: a secret's content.
    pub fn secret_get(
        &self,
        secret: &SecretRef,
        read: SecretRead,
    ) -> Result<SecretContent, HookToolError> {
        let mut args = vec![s("--format=json")];
        match secret {
            SecretRef::Id(id) => args.push(s(id)),
            SecretRef::Label(l) => args.extend([s("--label"), l.clone()]),
            SecretRef::IdAndLabel(id, l) => args.extend([s(id), s("--label"), l.clone()]),
        }
        match read {
            SecretRead::Tracked => {}
            SecretRead::Peek => args.push(s("--peek")),
            SecretRead::Refresh => args.push(s("--refresh")),
        }
        let out = self.call("secret-get", &args, None)?;
        // The output is the content: a parse error must not quote it.
        let map: BTreeMap<String, String> = serde_json::from_slice(&out).map_err(|e| {
            HookToolError::bad_output_redacted("secret-get", &args, "a JSON object of strings", &e)
        })?;
        Ok(SecretContent::from_juju(map))
    }

    /// `secret-set [--label L] [--description D] [--expire E] [--rotate P] <id>
    /// [key#file=...]`: new content (a new revision at commit, unless it is the same) and/or
    /// metadata. Nothing to change makes no call.
    pub fn secret_set(
        &self,
        id: &SecretId,
        content: Option<&SecretContent>,
        options: &SecretSetOptions,
    ) -> Result<(), HookToolError> {
        if content.is_none_or(SecretContent::is_empty) && options.is_empty() {
            return Ok(());
        }
        let mut args = secret_meta_args(
            options.label.as_ref(),
            options.description.as_ref(),
            options.expire.as_ref(),
            options.rotate,
        );
        args.push(s(id));
        self.call_with_content("secret-set", args, content)
            .map(drop)
    }

    /// `secret-grant --relation <id> [--unit U] <id>`: lets the relation's remote application
    /// (or one unit of it) read the secret, until the relation goes.
    pub fn secret_grant(
        &self,
        id: &SecretId,
        relation: &RelationId,
        unit: Option<&UnitName>,
    ) -> Result<(), HookToolError> {
        let mut args = vec![s("--relation"), s(relation.id)];
        if let Some(u) = unit {
            args.extend([s("--unit"), s(u)]);
        }
        args.push(s(id));
        self.call("secret-grant", &args, None).map(drop)
    }

    /// `secret-revoke --relation <id> [--unit U] <id>`: takes the remote application's (or
    /// one unit's) access away.
    pub fn secret_revoke(
        &self,
        id: &SecretId,
        relation: &RelationId,
        unit: Option<&UnitName>,
    ) -> Result<(), HookToolError> {
        let mut args = vec![s("--relation"), s(relation.id)];
        if let Some(u) = unit {
            args.extend([s("--unit"), s(u)]);
        }
        args.push(s(id));
        self.call("secret-revoke", &args, None).map(drop)
    }

    /// `secret-remove <id> [--revision N]`: one revision, or the whole secret, at commit.
    pub fn secret_remove(&self, id: &SecretId, revision: Option<u32>) -> Result<(), HookToolError> {
        let mut args = vec![s(id)];
        if let Some(r) = revision {
            args.extend([s("--revision"), s(r)]);
        }
        self.call("secret-remove", &args, None).map(drop)
    }

    /// `secret-ids --format=json`: the secrets this unit owns (and, on the leader, its
    /// application's), bare ids.
    pub fn secret_ids(&self) -> Result<Vec<SecretId>, HookToolError> {
        let args = vec![s("--format=json")];
        let raw: Option<Vec<String>> =
            self.json("secret-ids", &args, "a JSON array of secret ids")?;
        raw.unwrap_or_default()
            .iter()
            .map(|i| i.parse())
            .collect::<Result<_, _>>()
            .map_err(|e| {
                HookToolError::bad_output("secret-ids", &args, "a JSON array of secret ids", e, &[])
            })
    }

    /// `secret-info-get --format=json <id>` or `... --label L`: an owned secret's metadata
    /// (by id when both are known).
    pub fn secret_info_get(&self, secret: &SecretRef) -> Result<SecretInfo, HookToolError> {
        #[derive(serde::Deserialize)]
        struct Raw {
            revision: u32,
            #[serde(default)]
            label: String,
            owner: String,
            description: Option<String>,
            rotation: Option<String>,
            expiry: Option<String>,
            rotates: Option<String>,
            #[serde(default)]
            access: Vec<SecretAccess>,
        }
        let mut args = vec![s("--format=json")];
        match secret {
            SecretRef::Id(id) | SecretRef::IdAndLabel(id, _) => args.push(s(id)),
            SecretRef::Label(l) => args.extend([s("--label"), l.clone()]),
        }
        const WHAT: &str = "a JSON object of one secret's metadata";
        let raw: BTreeMap<String, Raw> = self.json("secret-info-get", &args, WHAT)?;
        let bad = |e: &dyn std::fmt::Display| {
            HookToolError::bad_output("secret-info-get", &args, WHAT, e, &[])
        };
        let (id, r) = raw
            .into_iter()
            .next()
            .ok_or_else(|| bad(&"no secret in the output"))?;
        Ok(SecretInfo {
            id: id.parse().map_err(|e| bad(&e))?,
            label: r.label,
            revision: r.revision,
            owner: r.owner.parse().map_err(|e| bad(&e))?,
            description: r.description,
            rotation: r
                .rotation
                .map(|p| p.parse())
                .transpose()
                .map_err(|e| bad(&e))?,
            expiry: r.expiry,
            rotates: r.rotates,
            access: r.access,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::runner::{RunError, ToolOutput};
    use std::cell::RefCell;

    type Recorded = (String, Vec<String>, Option<String>);

    /// Records every call and answers from a script.
    #[derive(Default)]
    struct Recorder {
        calls: RefCell<Vec<Recorded>>,
        answer: RefCell<Vec<ToolOutput>>,
        /// `(path, content)` of each `key#file=PATH` argument, read while the tool runs.
        files: RefCell<Vec<(String, String)>>,
    }

    impl Recorder {
        fn answering(outputs: &[(i32, &str, &str)]) -> Self {
            let r = Self::default();
            *r.answer.borrow_mut() = outputs
                .iter()
                .rev()
                .map(|(c, o, e)| ToolOutput {
                    code: *c,
                    stdout: o.as_bytes().to_vec(),
                    stderr: e.as_bytes().to_vec(),
                })
                .collect();
            r
        }
    }

    impl Runner for Recorder {
        fn run(
            &self,
            tool: &str,
            args: &[String],
            stdin: Option<&[u8]>,
        ) -> Result<ToolOutput, RunError> {
            for a in args {
                if let Some((_, path)) = a.split_once("#file=") {
                    let content = std::fs::read_to_string(path).unwrap();
                    self.files.borrow_mut().push((path.to_owned(), content));
                }
            }
            self.calls.borrow_mut().push((
                tool.to_owned(),
                args.to_vec(),
                stdin.map(|b| String::from_utf8_lossy(b).into_owned()),
            ));
            Ok(self.answer.borrow_mut().pop().unwrap_or_default())
        }
    }

    fn argv(tools: &HookTools<Recorder>) -> Vec<String> {
        tools
            .runner()
            .calls
            .borrow()
            .iter()
            .map(|(t, a, i)| {
                format!(
                    "{t} {}{}",
                    a.join(" "),
                    i.as_ref().map(|i| format!(" <<< {i}")).unwrap_or_default()
                )
            })
            .collect()
    }

    #[test]
    fn golden_argv_for_each_tool() {
        let t = HookTools::new(Recorder::answering(&[
            (0, r#"["tempo-api:10","tempo-api:2"]"#, ""),
            (0, r#"["grafana/0"]"#, ""),
            (0, r#""grafana""#, ""),
            (0, r#"{"a":"b"}"#, ""),
            (0, r#"{}"#, ""),
            (0, "", ""),
            (0, "", ""),
            (0, "true", ""),
            (0, r#"{"log-level":"info"}"#, ""),
            (0, "", ""),
            (0, "", ""),
            (0, "", ""),
            (0, "", ""),
            (0, r#"{"ingress-addresses":["10.0.0.1"]}"#, ""),
            (0, "", ""),
            (0, r#"["3200/tcp","icmp"]"#, ""),
            (
                0,
                r#"{"status":"active","message":"ok","status-data":{}}"#,
                "",
            ),
        ]));
        let r = RelationId::new("tempo-api", 2);
        let ids = t.relation_ids("tempo-api").unwrap();
        assert_eq!(
            ids,
            vec![
                RelationId::new("tempo-api", 2),
                RelationId::new("tempo-api", 10)
            ]
        );
        assert_eq!(
            t.relation_list(&r).unwrap(),
            vec![UnitName::new("grafana", 0)]
        );
        assert_eq!(t.relation_list_app(&r).unwrap(), "grafana");
        assert_eq!(
            t.relation_get_unit(&r, &UnitName::new("grafana", 0))
                .unwrap()
                .get("a")
                .map(String::as_str),
            Some("b")
        );
        assert!(t.relation_get_app(&r, "grafana").unwrap().is_empty());
        let bag: Databag = [("http".to_owned(), "{\"x\": 1}".to_owned())].into();
        t.relation_set_app(&r, &bag).unwrap();
        t.relation_set_unit(&r, &bag).unwrap();
        assert!(t.is_leader().unwrap());
        assert!(t.is_leader().unwrap(), "second ask answered from the cache");
        assert_eq!(t.config_get().unwrap()["log-level"], "info");
        t.status_set_unit(&Status::active("")).unwrap();
        t.status_set_app(&Status::blocked("no -- way")).unwrap();
        t.juju_log(LogLevel::Warning, "-x").unwrap();
        t.application_version_set("2.7.1").unwrap();
        assert_eq!(
            t.network_get("tempo-api", Some(&r))
                .unwrap()
                .ingress_addresses,
            vec!["10.0.0.1"]
        );
        t.open_port(Port::Tcp(3200)).unwrap();
        assert_eq!(t.opened_ports().unwrap(), vec![Port::Tcp(3200), Port::Icmp]);
        assert_eq!(t.status_get_unit().unwrap(), Status::active("ok"));
        assert_eq!(
            argv(&t),
            vec![
                "relation-ids tempo-api --format=json",
                "relation-list --format=json -r tempo-api:2",
                "relation-list --format=json --app -r tempo-api:2",
                "relation-get --format=json -r tempo-api:2 - grafana/0",
                "relation-get --format=json -r tempo-api:2 --app - grafana",
                "relation-set -r tempo-api:2 --app --file - <<< {\"http\":\"{\\\"x\\\": 1}\"}",
                "relation-set -r tempo-api:2 --file - <<< {\"http\":\"{\\\"x\\\": 1}\"}",
                "is-leader --format=json",
                "config-get --format=json",
                "status-set --application=False active -- ",
                "status-set --application=True blocked -- no -- way",
                "juju-log --log-level WARNING -- -x",
                "application-version-set -- 2.7.1",
                "network-get --format=json -r 2 tempo-api",
                "open-port 3200/tcp",
                "opened-ports --format=json",
                "status-get --include-data --format=json --application=false",
            ]
        );
    }

    #[test]
    fn charm_state_tools_argv() {
        let t = HookTools::new(Recorder::answering(&[
            (0, r#"{"a":"b"}"#, ""),
            (0, "", ""),
            (0, "", ""),
        ]));
        assert_eq!(
            t.state_get().unwrap().get("a").map(String::as_str),
            Some("b")
        );
        t.state_set(&[("k".to_owned(), "v".to_owned())].into())
            .unwrap();
        t.state_delete("a").unwrap();
        assert_eq!(
            argv(&t),
            [
                "state-get --format=json",
                "state-set --file - <<< {\"k\":\"v\"}",
                "state-delete a"
            ]
        );
    }

    #[test]
    fn relation_data_never_appears_in_a_parse_error() {
        let rel = RelationId::new("s3", 5);
        for out in [
            r#"{"secret-key": 80085123}"#,
            r#"{"secret-key": "hunter2"#,
            r#"{"secret-key": ["hunter2"]}"#,
            r#"hunter2"#,
            "{\"secret-key\": \"hunter2\", }",
        ] {
            let t = HookTools::new(Recorder::answering(&[(0, out, "")]));
            let e = t.relation_get_app(&rel, "s3-integrator").unwrap_err();
            assert_eq!(e.kind(), ErrorKind::BadOutput);
            let shown = format!("{e} {e:?}");
            assert!(
                !shown.contains("hunter2") && !shown.contains("80085123"),
                "{shown}"
            );
            assert!(shown.contains("relation-get"), "{shown}");
            let t = HookTools::new(Recorder::answering(&[(0, out, "")]));
            let e = t
                .secret_get(&SecretRef::Label("tls".into()), SecretRead::Tracked)
                .unwrap_err();
            let shown = format!("{e} {e:?}");
            assert!(
                !shown.contains("hunter2") && !shown.contains("80085123"),
                "{shown}"
            );
        }
    }

    #[test]
    fn empty_relation_set_makes_no_call() {
        let t = HookTools::new(Recorder::default());
        t.relation_set_app(&RelationId::new("x", 1), &Databag::new())
            .unwrap();
        assert!(t.runner().calls.borrow().is_empty());
    }

    #[test]
    fn failures_are_typed() {
        let t = HookTools::new(Recorder::answering(&[
            (
                2,
                "",
                "ERROR invalid value \"x:9\" for option -r: relation not found\n",
            ),
            (1, "", "ERROR cannot write relation settings\n"),
            (0, "not json", ""),
            (0, "[1]", ""),
        ]));
        let r = RelationId::new("x", 9);
        assert_eq!(
            t.relation_get_app(&r, "a").unwrap_err().kind(),
            ErrorKind::RelationNotFound
        );
        let bag: Databag = [("k".to_owned(), "v".to_owned())].into();
        assert_eq!(
            t.relation_set_app(&r, &bag).unwrap_err().kind(),
            ErrorKind::NotLeader
        );
        let e = t.is_leader().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadOutput);
        assert!(e.to_string().contains("not json"), "{e}");
        assert_eq!(
            t.relation_ids("x").unwrap_err().kind(),
            ErrorKind::BadOutput
        );
    }

    const URI: &str = "secret://8b1e5e4a-6c2d-4c4e-9f57-3f2b8f1c0d11/cs3vu9f0000s75fi8hlg";

    fn content(pairs: &[(&str, &str)]) -> SecretContent {
        SecretContent::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
        .unwrap()
    }

    /// Every secret tool's argv as ops builds it; content only in files, which are gone
    /// after the call.
    #[test]
    fn golden_argv_for_the_secret_tools() {
        let info = r#"{"cs3vu9f0000s75fi8hlg":{"revision":2,"label":"tls","owner":"unit","rotation":"monthly","access":[{"target":"application-worker","scope":"relation-x","role":"view"}]}}"#;
        let t = HookTools::new(Recorder::answering(&[
            (0, &format!("{URI}\n"), ""),
            (0, r#"{"private-key":"PEM"}"#, ""),
            (0, r#"{"private-key":"PEM"}"#, ""),
            (0, r#"{"private-key":"PEM"}"#, ""),
            (0, "", ""),
            (0, "", ""),
            (0, "", ""),
            (0, "", ""),
            (0, "", ""),
            (0, "", ""),
            (0, "", ""),
            (0, r#"["cs3vu9f0000s75fi8hlg"]"#, ""),
            (0, "null", ""),
            (0, info, ""),
            (0, info, ""),
        ]));
        let id = t
            .secret_add(
                &content(&[("private-key", "PEM"), ("ca-cert", "-----BEGIN")]),
                &SecretAddOptions {
                    owner: SecretOwner::Unit,
                    label: Some("tls".into()),
                    description: Some("our key".into()),
                    expire: Some(SecretExpire::In(std::time::Duration::from_secs(3600))),
                    rotate: Some(SecretRotate::Monthly),
                },
            )
            .unwrap();
        assert_eq!(id.as_str(), URI);
        let got = t
            .secret_get(&SecretRef::Id(id.clone()), SecretRead::Tracked)
            .unwrap();
        assert_eq!(got.get("private-key"), Some("PEM"));
        t.secret_get(&SecretRef::Label("tls".into()), SecretRead::Peek)
            .unwrap();
        t.secret_get(
            &SecretRef::IdAndLabel(id.clone(), "tls".into()),
            SecretRead::Refresh,
        )
        .unwrap();
        t.secret_set(
            &id,
            Some(&content(&[("private-key", "NEW")])),
            &SecretSetOptions::default(),
        )
        .unwrap();
        t.secret_set(
            &id,
            None,
            &SecretSetOptions {
                label: Some("tls2".into()),
                expire: Some(SecretExpire::At("2030-01-01T00:00:00Z".into())),
                ..Default::default()
            },
        )
        .unwrap();
        t.secret_set(&id, None, &SecretSetOptions::default())
            .unwrap();
        let r = RelationId::new("tempo-cluster", 7);
        t.secret_grant(&id, &r, None).unwrap();
        t.secret_grant(&id, &r, Some(&UnitName::new("worker", 1)))
            .unwrap();
        t.secret_revoke(&id, &r, None).unwrap();
        t.secret_remove(&id, Some(1)).unwrap();
        t.secret_remove(&id, None).unwrap();
        assert_eq!(
            t.secret_ids().unwrap()[0].unique_identifier(),
            "cs3vu9f0000s75fi8hlg"
        );
        assert!(t.secret_ids().unwrap().is_empty(), "null is no secret");
        let i = t.secret_info_get(&SecretRef::Id(id.clone())).unwrap();
        assert_eq!(
            (
                i.revision,
                i.label.as_str(),
                i.owner,
                i.rotation,
                i.access.len()
            ),
            (2, "tls", SecretOwner::Unit, Some(SecretRotate::Monthly), 1)
        );
        t.secret_info_get(&SecretRef::Label("tls".into())).unwrap();
        let files = t.runner().files.borrow().clone();
        let dir = |i: usize| {
            std::path::Path::new(&files[i].0)
                .parent()
                .unwrap()
                .display()
                .to_string()
        };
        let (d1, d2) = (dir(0), dir(2));
        assert_eq!(
            files.iter().map(|(_, c)| c.as_str()).collect::<Vec<_>>(),
            ["-----BEGIN", "PEM", "NEW"]
        );
        for (path, _) in &files {
            assert!(!std::path::Path::new(path).exists(), "{path} left behind");
        }
        let calls: Vec<String> = argv(&t)
            .into_iter()
            .map(|c| c.replace(&d1, "<tmp>").replace(&d2, "<tmp>"))
            .collect();
        assert_eq!(
            calls,
            [
                "secret-add --label tls --description our key --expire 3600s --rotate monthly --owner unit ca-cert#file=<tmp>/ca-cert private-key#file=<tmp>/private-key".to_owned(),
                format!("secret-get --format=json {URI}"),
                "secret-get --format=json --label tls --peek".to_owned(),
                format!("secret-get --format=json {URI} --label tls --refresh"),
                format!("secret-set {URI} private-key#file=<tmp>/private-key"),
                format!("secret-set --label tls2 --expire 2030-01-01T00:00:00Z {URI}"),
                format!("secret-grant --relation 7 {URI}"),
                format!("secret-grant --relation 7 --unit worker/1 {URI}"),
                format!("secret-revoke --relation 7 {URI}"),
                format!("secret-remove {URI} --revision 1"),
                format!("secret-remove {URI}"),
                "secret-ids --format=json".to_owned(),
                "secret-ids --format=json".to_owned(),
                format!("secret-info-get --format=json {URI}"),
                "secret-info-get --format=json --label tls".to_owned(),
            ]
        );
    }

    #[test]
    fn secret_content_is_checked_and_never_printed() {
        for (k, v) in [
            ("TLS", "x"),
            ("ab", "x"),
            ("a_b", "x"),
            ("key-", "x"),
            ("../x", "x"),
            ("key", ""),
        ] {
            let map = [(k.to_owned(), v.to_owned())].into();
            assert!(SecretContent::new(map).is_err(), "{k}={v:?} accepted");
        }
        let c = content(&[("tls-key", "hunter2"), ("key1", "v")]);
        assert_eq!(
            format!("{c:?}"),
            r#"{"key1": "<hidden>", "tls-key": "<hidden>"}"#
        );
        // A failing secret-get names the command and Juju's words, never content.
        let t = HookTools::new(Recorder::answering(&[
            (
                1,
                "",
                "ERROR secret \"secret:cs3vu9f0000s75fi8hlg\" not found\n",
            ),
            (0, "{\"k\": [\"hunter2\"]}", ""),
        ]));
        let id: SecretId = "secret:cs3vu9f0000s75fi8hlg".parse().unwrap();
        let e = t
            .secret_get(&SecretRef::Id(id.clone()), SecretRead::Tracked)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::SecretNotFound);
        let e = t
            .secret_get(&SecretRef::Id(id), SecretRead::Tracked)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::BadOutput);
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn secret_ids_parse_in_every_form_juju_prints() {
        for ok in [
            "cs3vu9f0000s75fi8hlg",
            "secret:cs3vu9f0000s75fi8hlg",
            URI,
            "secret:8b1e5e4a-6c2d-4c4e-9f57-3f2b8f1c0d11/cs3vu9f0000s75fi8hlg",
        ] {
            let id: SecretId = ok.parse().unwrap();
            assert_eq!(id.unique_identifier(), "cs3vu9f0000s75fi8hlg");
        }
        for bad in [
            "secret:abc",
            "http://x/cs3vu9f0000s75fi8hlg",
            "secret://not-a-uuid/cs3vu9f0000s75fi8hlg",
            "secret:CS3VU9F0000S75FI8HLG",
            "",
        ] {
            assert!(bad.parse::<SecretId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn action_set_flattens_nested_results() {
        let t = HookTools::new(Recorder::default());
        let v: serde_json::Value = serde_json::json!({"a": {"b": "1", "c": 2}, "d": "x=y"});
        t.action_set(v.as_object().unwrap()).unwrap();
        assert_eq!(argv(&t), vec!["action-set a.b=1 a.c=2 d=x=y"]);
    }
}
