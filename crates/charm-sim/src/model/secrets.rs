//! Juju secrets as the unit agent and controller serve them (`shared/reference/juju-secrets.md`):
//! `secret-add`, `secret-get`, `secret-set`, `secret-remove`, `secret-grant`, `secret-revoke`,
//! `secret-ids`, `secret-info-get`.
//!
//! Changes (creates, content and metadata updates, removals, grants, revokes) go to a working
//! copy of the secrets and are committed with the hook's other changes only when it exits 0
//! and the commit-time checks pass (§2.9); a failed hook discards them. What `secret-get` does
//! to the controller (consumer record, `--refresh`, labels set with `<ID> --label`) happens at
//! once, to the committed secrets and the working copy alike, and survives a failed hook.

use super::*;
use crate::state::{bare_secret_id, SecretGrant, SecretRevision, SecretState};
use base64::Engine as _;

type Content = BTreeMap<String, String>;

/// Juju's limit on one base64-encoded value, on all of them together, and on a content file.
const CONTENT_MAX: usize = 1_000_000;

const LABEL: Flag = Flag("label", &["--label"], true);
const OWNER: Flag = Flag("owner", &["--owner"], true);
const DESCRIPTION: Flag = Flag("description", &["--description"], true);
const EXPIRE: Flag = Flag("expire", &["--expire"], true);
const ROTATE: Flag = Flag("rotate", &["--rotate"], true);
const FILE: Flag = Flag("file", &["--file"], true);
const UNIT: Flag = Flag("unit", &["--unit"], true);
const REVISION: Flag = Flag("revision", &["--revision"], true);
const ROTATE_POLICIES: &[&str] = &[
    "never",
    "hourly",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "yearly",
];

/// This hook's staged secret changes.
#[derive(Debug, Clone, Default)]
pub(super) struct SecretStage {
    /// The secrets as they will be if the hook commits.
    work: Vec<SecretState>,
    /// New content for committed secrets (and the new revision's expiry), by bare id.
    content: BTreeMap<String, (Content, Option<String>)>,
    /// Bare ids created in this hook.
    created: BTreeSet<String>,
    /// Failures the controller reports at commit (the tools themselves exited 0).
    at_commit: Vec<String>,
    /// Whether an application-owned secret changed (the commit needs leadership).
    app_changed: bool,
    /// Leadership when the hook started: the agent knows app-owned metadata only then.
    leader_at_start: bool,
    /// Ids allocated so far.
    allocated: u32,
}

impl SecretStage {
    pub(super) fn new(state: &mut State) -> Self {
        for s in &mut state.secrets {
            s.normalise();
        }
        Self {
            work: state.secrets.clone(),
            leader_at_start: state.leader,
            ..Self::default()
        }
    }
}

fn find(list: &[SecretState], bare: &str) -> Option<usize> {
    list.iter().position(|s| s.bare_id() == bare)
}

/// Juju's content key rule: `^([a-z](?:-?[a-z0-9]){2,})$`.
fn key_valid(key: &str) -> bool {
    let mut chars = key.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_lowercase()) {
        return false;
    }
    let mut groups = 0;
    while let Some(c) = chars.next() {
        let c = if c == '-' { chars.next() } else { Some(c) };
        match c {
            Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit() => groups += 1,
            _ => return false,
        }
    }
    groups >= 2
}

fn encoded_len(raw: usize) -> usize {
    raw.div_ceil(3) * 4
}

fn read_limited(path: &str) -> Result<Vec<u8>, String> {
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if len > CONTENT_MAX as u64 {
        return Err(format!(
            "secret content in file {path:?} too large: {len} bytes"
        ));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// Content from `key=value`, `key#base64=B64`, `key#file=PATH` arguments and `--file` (§1.2).
/// Every error is a usage error (exit 2).
fn parse_content(pos: &[String], file: Option<&String>) -> Result<Content, Response> {
    let bad = |m: String| Response::err(2, m);
    let mut content = Content::new();
    let put = |key: &str, raw: Vec<u8>, content: &mut Content| -> Result<(), Response> {
        if encoded_len(raw.len()) > CONTENT_MAX {
            return Err(bad(format!(
                "base64 encoded secret content for key {key:?} too large: {} bytes",
                encoded_len(raw.len())
            )));
        }
        content.insert(key.to_owned(), String::from_utf8_lossy(&raw).into_owned());
        Ok(())
    };
    let decode = |key: &str, b64: &str| -> Result<Vec<u8>, Response> {
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .map_err(|e| bad(format!("secret content for key {key:?} is not base64: {e}")))
    };
    for arg in pos {
        let stripped = arg.trim_end_matches('=');
        let at = match stripped.find('=') {
            Some(at) if at > 0 && at + 1 < arg.len() => at,
            _ => return Err(bad(format!("key value {arg:?} not valid"))),
        };
        let (spec, value) = (&arg[..at], &arg[at + 1..]);
        let (key, kind) = match spec.split_once('#') {
            Some((k, kind @ ("base64" | "file"))) => (k, Some(kind)),
            _ => (spec, None),
        };
        if !key_valid(key) {
            return Err(bad(format!("key {key:?} not valid")));
        }
        let raw = match kind {
            Some("base64") => decode(key, value)?,
            Some(_) => read_limited(value)
                .map_err(|e| bad(format!("reading content for secret key {key:?}: {e}")))?,
            None => value.as_bytes().to_vec(),
        };
        put(key, raw, &mut content)?;
    }
    if let Some(path) = file {
        let bytes = read_limited(path).map_err(|e| {
            if e.contains("too large") {
                bad(e)
            } else {
                bad(format!("reading secret content file {path:?}: {e}"))
            }
        })?;
        let doc: serde_yaml::Value = match serde_json::from_slice::<Value>(&bytes) {
            Ok(v) => serde_yaml::to_value(v).unwrap_or(serde_yaml::Value::Null),
            Err(_) => serde_yaml::from_slice(&bytes)
                .map_err(|e| bad(format!("cannot parse secret content file {path:?}: {e}")))?,
        };
        let map = match doc {
            serde_yaml::Value::Mapping(m) => m,
            serde_yaml::Value::Null => Default::default(),
            _ => {
                return Err(bad(format!(
                    "secret content file {path:?} is not a mapping"
                )))
            }
        };
        for (k, v) in map {
            let text = |v: &serde_yaml::Value| match v {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Bool(b) => b.to_string(),
                serde_yaml::Value::Number(n) => n.to_string(),
                serde_yaml::Value::Null => String::new(),
                other => serde_yaml::to_string(other)
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            };
            let (spec, value) = (text(&k), text(&v));
            let (key, b64) = match spec.strip_suffix("#base64") {
                Some(k) => (k, true),
                None => (spec.as_str(), false),
            };
            if !key_valid(key) {
                return Err(bad(format!("key {key:?} not valid")));
            }
            let raw = if b64 {
                decode(key, &value)?
            } else {
                value.into_bytes()
            };
            put(key, raw, &mut content)?;
        }
    }
    let total: usize = content.values().map(|v| encoded_len(v.len())).sum();
    if total > CONTENT_MAX {
        return Err(bad(format!(
            "base64 encoded secret content too large: {total} bytes"
        )));
    }
    Ok(content)
}

/// The metadata flags `secret-add` and `secret-set` share, checked as Juju does (exit 2).
struct Meta {
    label: Option<String>,
    description: Option<String>,
    expire: Option<String>,
    rotate: Option<String>,
    owner: String,
}

fn parse_meta(flags: &Flags) -> Result<Meta, Response> {
    let owner = flags
        .get("owner")
        .cloned()
        .unwrap_or_else(|| "application".into());
    if owner != "application" && owner != "unit" {
        return Err(Response::err(
            2,
            format!("secret owner {owner:?} not valid"),
        ));
    }
    let rotate = flags.get("rotate").cloned();
    if let Some(r) = &rotate {
        if !ROTATE_POLICIES.contains(&r.as_str()) {
            return Err(Response::err(2, format!("rotate policy {r:?} not valid")));
        }
    }
    let expire = match flags.get("expire") {
        None => None,
        Some(e) => Some(time::expire(e, time::now())?),
    };
    Ok(Meta {
        label: flags.get("label").filter(|l| !l.is_empty()).cloned(),
        description: flags.get("description").cloned(),
        expire,
        rotate,
        owner,
    })
}

fn tag(entity: &str) -> String {
    match entity.split_once('/') {
        Some((app, n)) => format!("unit-{app}-{n}"),
        None => format!("application-{entity}"),
    }
}

impl Model {
    fn owned_by_unit(&self, s: &SecretState) -> bool {
        s.owner.as_deref() == Some(self.state.unit.as_str())
    }
    fn owned_by_app(&self, s: &SecretState) -> bool {
        s.owner.as_deref() == Some(self.state.app())
    }
    fn manages(&self, s: &SecretState) -> bool {
        self.owned_by_unit(s) || (self.owned_by_app(s) && self.leader_now)
    }
    /// Whether the agent holds the secret's metadata (§2.3: unit-owned, app-owned when the
    /// unit led at the hook's start, or created in this hook).
    fn known(&self, s: &SecretState) -> bool {
        self.owned_by_unit(s)
            || (self.owned_by_app(s) && self.secrets.leader_at_start)
            || self.secrets.created.contains(s.bare_id())
    }
    /// The unit's metadata view (`secret-ids`, `secret-info-get`, `secret-grant`).
    fn in_view(&self, s: &SecretState) -> bool {
        self.manages(s) || self.secrets.created.contains(s.bare_id())
    }

    /// The bare id of a URI argument, or Juju's parse error (exit 2).
    fn secret_uri(&self, arg: &str) -> Result<String, Response> {
        let invalid = || Response::err(2, format!("secret URI {arg:?} not valid"));
        let rest = if let Some((scheme, rest)) = arg.split_once("://") {
            if scheme != "secret" {
                return Err(Response::err(
                    2,
                    format!("secret URI scheme {scheme:?} not valid"),
                ));
            }
            let (host, _) = rest.split_once('/').ok_or_else(invalid)?;
            let uuid_like = host.len() == 36
                && host
                    .bytes()
                    .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !uuid_like {
                return Err(Response::err(
                    2,
                    format!("host controller UUID {host:?} not valid"),
                ));
            }
            rest
        } else if let Some(rest) = arg.strip_prefix("secret:") {
            rest
        } else if let Some((scheme, _)) = arg.split_once(':') {
            return Err(Response::err(
                2,
                format!("secret URI scheme {scheme:?} not valid"),
            ));
        } else {
            arg
        };
        let id = bare_secret_id(rest);
        let charset = !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        // Juju's ids are 20-character xids; ids a state file gives are taken as they are.
        let known =
            find(&self.state.secrets, id).is_some() || find(&self.secrets.work, id).is_some();
        if charset && (id.len() == 20 || known) {
            Ok(id.to_owned())
        } else {
            Err(invalid())
        }
    }

    /// A new id: 20 characters of base32hex, as Juju's xids. Deterministic (a hash of the
    /// unit, the hook, the ids that exist and the call count), so both transports and
    /// repeated runs allocate the same ids; never one that exists.
    fn allocate_secret_id(&mut self) -> String {
        const DIGITS: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";
        self.secrets.allocated += 1;
        let mut seed = format!(
            "{}/{}/{}/{}/{}",
            self.state.model_uuid,
            self.state.unit,
            self.ctx.hook,
            self.secrets.allocated,
            self.calls.len()
        );
        for s in self.state.secrets.iter().chain(&self.secrets.work) {
            seed.push('/');
            seed.push_str(s.bare_id());
        }
        let fnv = |salt: u64| {
            seed.bytes().fold(0xcbf2_9ce4_8422_2325 ^ salt, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            })
        };
        let mut v = (u128::from(fnv(0)) << 64) | u128::from(fnv(0x9e37_79b9_7f4a_7c15));
        loop {
            let mut bits = v;
            let id: String = (0..20)
                .map(|_| {
                    let d = DIGITS[(bits & 31) as usize] as char;
                    bits >>= 5;
                    d
                })
                .collect();
            if find(&self.state.secrets, &id).is_none() && find(&self.secrets.work, &id).is_none() {
                return id;
            }
            v = v.wrapping_add(1);
        }
    }

    /// Applies an immediate (controller-side) change to the committed secret and its copy.
    fn at_once(&mut self, bare: &str, f: impl Fn(&mut SecretState)) {
        if let Some(i) = find(&self.state.secrets, bare) {
            f(&mut self.state.secrets[i]);
        }
        if let Some(i) = find(&self.secrets.work, bare) {
            f(&mut self.secrets.work[i]);
        }
    }

    /// The label is used by another secret in this unit's namespace (§5.2).
    fn label_taken(&self, label: &str, except: &str) -> bool {
        self.state
            .secrets
            .iter()
            .chain(&self.secrets.work)
            .any(|s| s.bare_id() != except && s.label.as_deref() == Some(label))
    }

    /// `secret-add`: allocates the URI now, creates the secret at commit (§2.1).
    pub(super) fn secret_add(&mut self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(
            args,
            &[&OWNER, &LABEL, &DESCRIPTION, &EXPIRE, &ROTATE, &FILE],
        ) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.is_empty() && !flags.contains_key("file") {
            return Response::err(2, "missing secret value or filename");
        }
        let meta = match parse_meta(&flags) {
            Ok(m) => m,
            Err(e) => return e,
        };
        let content = match parse_content(&pos, flags.get("file")) {
            Ok(c) => c,
            Err(e) => return e,
        };
        if content.is_empty() {
            return Response::err(1, "empty secret value not valid");
        }
        let app_owned = meta.owner == "application";
        if app_owned && !self.leader_now {
            return Response::err(1, "this unit is not the leader");
        }
        if let Some(l) = &meta.label {
            let same_hook = self.secrets.work.iter().any(|s| {
                self.secrets.created.contains(s.bare_id()) && s.label.as_deref() == Some(l)
            });
            if same_hook {
                return Response::err(1, format!("secret with label {l:?} already exists"));
            }
        }
        let id = self.allocate_secret_id();
        let uri = format!("secret://{}/{id}", self.state.model_uuid);
        self.secrets.work.push(SecretState {
            id: uri.clone(),
            owner: Some(if app_owned {
                self.state.app().to_owned()
            } else {
                self.state.unit.clone()
            }),
            label: meta.label,
            description: meta.description,
            rotate: meta.rotate.filter(|r| r != "never"),
            revisions: vec![SecretRevision {
                revision: 1,
                content,
                expire: meta.expire,
            }],
            ..SecretState::default()
        });
        self.secrets.created.insert(id);
        self.secrets.app_changed |= app_owned;
        Response::ok(format!("{uri}\n"))
    }

    /// Finds the secret a `secret-get` names: `(bare id, pending create)`.
    fn resolve_get(&self, id: Option<&String>, label: Option<&String>) -> Result<String, Response> {
        if let Some(arg) = id {
            let bare = self.secret_uri(arg)?;
            if find(&self.state.secrets, &bare).is_some() || self.secrets.created.contains(&bare) {
                return Ok(bare);
            }
            return Err(Response::err(1, format!("secret {arg:?} not found")));
        }
        let Some(l) = label else {
            return Err(Response::err(2, "require either a secret URI or label"));
        };
        let has = |s: &&SecretState| s.label.as_deref() == Some(l.as_str());
        // The agent: this unit's own secrets and this hook's creates, pending labels included.
        let agent = self
            .secrets
            .work
            .iter()
            .filter(has)
            .find(|s| self.owned_by_unit(s) || self.secrets.created.contains(s.bare_id()));
        // The controller: owner labels of the unit's and the app's secrets, then consumer labels.
        let owner = || {
            self.state
                .secrets
                .iter()
                .filter(has)
                .find(|s| self.owned_by_unit(s) || self.owned_by_app(s))
        };
        let consumer = || {
            self.state
                .secrets
                .iter()
                .filter(has)
                .find(|s| !self.owned_by_unit(s) && !self.owned_by_app(s))
        };
        agent
            .or_else(owner)
            .or_else(consumer)
            .map(|s| s.bare_id().to_owned())
            .ok_or_else(|| Response::err(1, format!("consumer label {l:?} not found")))
    }

    /// `secret-get`: a live read with immediate side effects (§2.2, §6).
    pub(super) fn secret_get(&mut self, args: &[String]) -> Response {
        const REFRESH: Flag = Flag("refresh", &["--refresh"], false);
        const PEEK: Flag = Flag("peek", &["--peek"], false);
        let (mut flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &LABEL, &REFRESH, &PEEK])
        {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.len() > 2 {
            return Self::extra(&pos[2..]);
        }
        let on = |f: &str| flags.get(f).is_some_and(|v| v == "true");
        let (peek, refresh) = (on("peek"), on("refresh"));
        if peek && refresh {
            return Response::err(2, "specify one of --peek or --refresh but not both");
        }
        let label = flags.get("label").filter(|l| !l.is_empty()).cloned();
        let bare = match self.resolve_get(pos.first(), label.as_ref()) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let name = pos.first().cloned().unwrap_or_else(|| bare.clone());
        let set_label = label.filter(|_| !pos.is_empty());
        let content = if let Some(s) = self
            .secrets
            .created
            .contains(&bare)
            .then(|| find(&self.secrets.work, &bare))
            .flatten()
        {
            // Created in this hook: the agent answers from the pending create.
            if let Some(l) = set_label {
                self.secrets.work[s].label = Some(l);
            }
            let w = &self.secrets.work[s];
            w.revisions
                .last()
                .map(|r| r.content.clone())
                .unwrap_or_default()
        } else {
            let Some(i) = find(&self.state.secrets, &bare) else {
                return Response::err(1, format!("secret {name:?} not found"));
            };
            let s = self.state.secrets[i].clone();
            if self.owned_by_unit(&s) || self.owned_by_app(&s) {
                if let Some(l) = set_label.filter(|_| self.manages(&s)) {
                    if self.label_taken(&l, &bare) {
                        return Response::err(
                            1,
                            format!(
                                "getting latest secret revision: secret label {l:?} for owner {:?} already exists",
                                tag(s.owner.as_deref().unwrap_or_default())
                            ),
                        );
                    }
                    self.at_once(&bare, |s| s.label = Some(l.clone()));
                }
                if !self.manages(&s) && s.tracked.is_none() {
                    // A peer reading its application's secret gets a consumer record.
                    let latest = s.latest();
                    self.at_once(&bare, |s| s.tracked = Some(latest));
                }
                match self.secrets.content.get(&bare) {
                    Some((pending, _)) if peek || refresh => pending.clone(),
                    _ => s
                        .revisions
                        .last()
                        .map(|r| r.content.clone())
                        .unwrap_or_default(),
                }
            } else {
                let (unit, app) = (self.state.unit.clone(), self.state.app().to_owned());
                let granted = s.owner.is_none()
                    || s.grants.iter().any(|g| g.target == unit || g.target == app);
                if !granted {
                    return Response::err(1, "permission denied");
                }
                if let Some(l) = &set_label {
                    if self.label_taken(l, &bare) {
                        return Response::err(
                            1,
                            format!(
                                "getting latest secret revision: secret label {l:?} for consumer {:?} already exists",
                                tag(&unit)
                            ),
                        );
                    }
                }
                let latest = s.latest();
                let revision = match s.tracked {
                    Some(t) if !peek && !refresh => t,
                    _ => latest,
                };
                let track = match s.tracked {
                    None => Some(latest),
                    Some(_) if refresh => Some(latest),
                    t => t,
                };
                self.at_once(&bare, |s| {
                    s.tracked = track;
                    if let Some(l) = &set_label {
                        s.label = Some(l.clone());
                    }
                });
                match s.revisions.iter().find(|r| r.revision == revision) {
                    Some(r) => r.content.clone(),
                    None => return Response::err(1, format!("secret {name:?} not found")),
                }
            }
        };
        flags.entry("format").or_insert_with(|| "yaml".into());
        match pos.get(1) {
            None => Self::render(&flags, &json!(content)),
            Some(k) => {
                let (key, b64) = match k.strip_suffix("#base64") {
                    Some(key) => (key, true),
                    None => (k.as_str(), false),
                };
                match content.get(key) {
                    None => Response::err(1, format!("secret key value {key:?} not found")),
                    Some(v) if b64 => Self::render(
                        &flags,
                        &json!(base64::engine::general_purpose::STANDARD.encode(v)),
                    ),
                    Some(v) => Self::render(&flags, &json!(v)),
                }
            }
        }
    }

    /// The secret a managing tool names, with the agent's own checks: `Ok(None)` when the
    /// controller is left to refuse it at commit.
    fn managed(&mut self, arg: &str) -> Result<Option<usize>, Response> {
        let bare = self.secret_uri(arg)?;
        let Some(i) = find(&self.secrets.work, &bare) else {
            self.secrets
                .at_commit
                .push(format!("secret {arg:?} not found"));
            return Ok(None);
        };
        let s = &self.secrets.work[i];
        if self.known(s) && self.owned_by_app(s) && !self.leader_now {
            return Err(Response::err(1, "this unit is not the leader"));
        }
        if !self.manages(s) {
            self.secrets.at_commit.push("permission denied".into());
            return Ok(None);
        }
        self.secrets.app_changed |= self.owned_by_app(s);
        Ok(Some(i))
    }

    /// `secret-set`: content and metadata, merged within the hook, committed at the end (§2.3).
    pub(super) fn secret_set(&mut self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(
            args,
            &[&OWNER, &LABEL, &DESCRIPTION, &EXPIRE, &ROTATE, &FILE],
        ) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some((arg, pairs)) = pos.split_first() else {
            return Response::err(2, "missing secret URI");
        };
        let meta = match parse_meta(&flags) {
            Ok(m) => m,
            Err(e) => return e,
        };
        let content = if pairs.is_empty() && !flags.contains_key("file") {
            None
        } else {
            match parse_content(pairs, flags.get("file")) {
                Ok(c) => Some(c),
                Err(e) => return e,
            }
        };
        let i = match self.managed(arg) {
            Ok(Some(i)) => i,
            Ok(None) => return Response::ok(""),
            Err(e) => return e,
        };
        let created = self
            .secrets
            .created
            .contains(self.secrets.work[i].bare_id());
        let bare = self.secrets.work[i].bare_id().to_owned();
        let w = &mut self.secrets.work[i];
        if let Some(l) = meta.label {
            w.label = Some(l);
        }
        if let Some(d) = meta.description {
            w.description = Some(d);
        }
        if let Some(r) = meta.rotate {
            w.rotate = (r != "never").then_some(r);
        }
        match (content, created) {
            (Some(c), true) => {
                if let Some(r) = w.revisions.last_mut() {
                    r.content = c;
                    if meta.expire.is_some() {
                        r.expire = meta.expire;
                    }
                }
            }
            (Some(c), false) => {
                self.secrets.content.insert(bare, (c, meta.expire));
            }
            (None, _) => {
                if let Some(e) = meta.expire {
                    match self.secrets.content.get_mut(&bare) {
                        Some((_, expire)) => *expire = Some(e),
                        None => {
                            if let Some(r) = w.revisions.last_mut() {
                                r.expire = Some(e);
                            }
                        }
                    }
                }
            }
        }
        Response::ok("")
    }

    /// `secret-remove`: the whole secret, or one revision, at commit (§2.4).
    pub(super) fn secret_remove(&mut self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&REVISION]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some(arg) = pos.first() else {
            return Response::err(2, "missing secret URI");
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let revision = match flags.get("revision").map(|r| r.parse::<i64>()) {
            None => None,
            Some(Ok(n)) => u32::try_from(n).ok().filter(|n| *n > 0),
            Some(Err(e)) => {
                return Response::err(
                    2,
                    format!(
                        "invalid value {:?} for flag --revision: {e}",
                        flags["revision"]
                    ),
                )
            }
        };
        let i = match self.managed(arg) {
            Ok(Some(i)) => i,
            Ok(None) => return Response::ok(""),
            Err(e) => return e,
        };
        let bare = self.secrets.work[i].bare_id().to_owned();
        let w = &mut self.secrets.work[i];
        if let Some(n) = revision {
            w.revisions.retain(|r| r.revision != n);
        }
        if revision.is_none() || w.revisions.is_empty() {
            self.secrets.work.remove(i);
            self.secrets.content.remove(&bare);
            self.secrets.created.remove(&bare);
        }
        Response::ok("")
    }

    /// `secret-grant`: a `view` grant scoped to a relation, at commit (§2.5).
    pub(super) fn secret_grant(&mut self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&RELATION, &UNIT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some(arg) = pos.first() else {
            return Response::err(2, "missing secret URI");
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let rel = match self.relation_arg(&flags) {
            Ok(r) => r,
            Err(e) => return e,
        };
        let remote_app = self
            .state
            .relation(rel)
            .map(|r| r.remote_app.clone())
            .unwrap_or_default();
        let target = match flags.get("unit") {
            None => remote_app.clone(),
            Some(u) => match u.parse::<UnitName>() {
                Err(_) => return Response::err(2, format!("unit {u:?} not valid")),
                Ok(n) if n.app() != remote_app => {
                    return Response::err(
                        2,
                        format!(
                            "cannot specify unit {u:?} in relation to application {remote_app:?}"
                        ),
                    )
                }
                Ok(_) => u.clone(),
            },
        };
        let bare = match self.secret_uri(arg) {
            Ok(b) => b,
            Err(e) => return e,
        };
        let Some(i) =
            find(&self.secrets.work, &bare).filter(|i| self.in_view(&self.secrets.work[*i]))
        else {
            return Response::err(1, format!("secret {arg:?} not found"));
        };
        if self.owned_by_app(&self.secrets.work[i]) && !self.leader_now {
            return Response::err(1, "this unit is not the leader");
        }
        let unit_grants = self.secrets.work[i].grants.iter().any(|g| {
            g.relation == rel && g.target.split_once('/').is_some_and(|(a, _)| a == target)
        });
        if !target.contains('/') && unit_grants {
            return Response::err(
                1,
                "any unit level grants need to be revoked before granting access to the corresponding application",
            );
        }
        let dying = self.ctx.relation == Some(rel) && self.ctx.hook.ends_with("-relation-broken");
        if dying {
            self.secrets.at_commit.push(format!(
                "cannot grant access to secret in scope of {:?} which is not alive",
                self.relation_tag(rel)
            ));
        }
        let w = &self.secrets.work[i];
        let app_of_target = target.split_once('/').map_or(target.as_str(), |(a, _)| a);
        let covered = w
            .grants
            .iter()
            .any(|g| g.relation == rel && (g.target == target || g.target == app_of_target));
        if w.grants
            .iter()
            .any(|g| g.target == target && g.relation != rel)
        {
            self.secrets.at_commit.push(format!(
                "cannot change access to {:?} for {:?}: cannot change secret permission scope",
                w.id,
                tag(&target)
            ));
        } else if !covered {
            self.secrets.app_changed |= self.owned_by_app(&self.secrets.work[i]);
            self.secrets.work[i].grants.push(SecretGrant {
                relation: rel,
                target,
            });
        }
        Response::ok("")
    }

    /// `secret-revoke`: the subject's grant, whatever its scope, at commit (§2.6).
    pub(super) fn secret_revoke(&mut self, args: &[String]) -> Response {
        const APPLICATION: Flag = Flag("application", &["--app", "--application"], true);
        let (flags, pos) = match Self::parse(args, &[&RELATION, &APPLICATION, &UNIT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let Some(arg) = pos.first() else {
            return Response::err(2, "missing secret URI");
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let (app, unit) = (flags.get("application"), flags.get("unit"));
        if app.is_some() && unit.is_some() {
            return Response::err(2, "specify only one of application or unit");
        }
        if app.is_some() && flags.contains_key("relation") {
            return Response::err(2, "do not specify both relation and app");
        }
        let subject = if let Some(u) = unit {
            if u.parse::<UnitName>().is_err() {
                return Response::err(2, format!("unit {u:?} not valid"));
            }
            u.clone()
        } else if let Some(a) = app {
            let ok = !a.is_empty()
                && a.starts_with(|c: char| c.is_ascii_lowercase())
                && a.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                return Response::err(2, format!("application {a:?} not valid"));
            }
            a.clone()
        } else if flags.contains_key("relation") || self.ctx.relation.is_some() {
            match self.relation_arg(&flags) {
                Ok(rel) => self
                    .state
                    .relation(rel)
                    .map(|r| r.remote_app.clone())
                    .unwrap_or_default(),
                Err(e) => return e,
            }
        } else {
            return Response::err(2, "missing relation or application or unit");
        };
        let i = match self.managed(arg) {
            Ok(Some(i)) => i,
            Ok(None) => return Response::ok(""),
            Err(e) => return e,
        };
        self.secrets.work[i].grants.retain(|g| g.target != subject);
        Response::ok("")
    }

    /// `secret-ids`: bare ids of the unit's metadata view (§2.7).
    pub(super) fn secret_ids(&self, args: &[String]) -> Response {
        let (flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if !pos.is_empty() {
            return Self::extra(&pos);
        }
        let ids: Vec<&str> = self
            .secrets
            .work
            .iter()
            .filter(|s| self.in_view(s))
            .map(SecretState::bare_id)
            .collect();
        // Juju prints a nil list: `null` in JSON, nothing otherwise.
        Self::render(
            &flags,
            &if ids.is_empty() {
                Value::Null
            } else {
                json!(ids)
            },
        )
    }

    fn relation_tag(&self, id: u32) -> String {
        // Juju's key orders the two ends; the remote endpoint's name is not in the state, so
        // the tag uses ours for both ends.
        match self.state.relation(id) {
            Some(r) if r.remote_app == self.state.app() => {
                format!("relation-{}.{}", r.remote_app, r.endpoint)
            }
            Some(r) => format!(
                "relation-{}.{}#{}.{}",
                self.state.app(),
                r.endpoint,
                r.remote_app,
                r.endpoint
            ),
            None => format!("relation-{id}"),
        }
    }

    /// `secret-info-get`: one owned secret's metadata, this hook's pending changes included
    /// (§2.8).
    pub(super) fn secret_info_get(&self, args: &[String]) -> Response {
        let (mut flags, pos) = match Self::parse(args, &[&FORMAT, &OUTPUT, &LABEL]) {
            Ok(p) => p,
            Err(e) => return e,
        };
        if pos.len() > 1 {
            return Self::extra(&pos[1..]);
        }
        let label = flags.get("label").filter(|l| !l.is_empty());
        let (found, name) = match (pos.first(), label) {
            (Some(_), Some(_)) => {
                return Response::err(2, "specify either a secret URI or label but not both")
            }
            (None, None) => return Response::err(2, "require either a secret URI or label"),
            (Some(arg), None) => match self.secret_uri(arg) {
                Ok(bare) => (
                    self.secrets
                        .work
                        .iter()
                        .find(|s| s.bare_id() == bare && self.in_view(s)),
                    bare,
                ),
                Err(e) => return e,
            },
            (None, Some(l)) => (
                self.secrets
                    .work
                    .iter()
                    .find(|s| s.label.as_deref() == Some(l) && self.in_view(s)),
                l.clone(),
            ),
        };
        let Some(s) = found else {
            return Response::err(1, format!("secret {name:?} not found"));
        };
        let mut info = serde_json::Map::new();
        info.insert("revision".into(), json!(s.latest()));
        info.insert("label".into(), json!(s.label.clone().unwrap_or_default()));
        info.insert(
            "owner".into(),
            json!(if self.owned_by_unit(s) {
                "unit"
            } else {
                "application"
            }),
        );
        if let Some(d) = s.description.as_ref().filter(|d| !d.is_empty()) {
            info.insert("description".into(), json!(d));
        }
        if let Some(r) = &s.rotate {
            info.insert("rotation".into(), json!(r));
        }
        if let Some(e) = s.revisions.last().and_then(|r| r.expire.as_ref()) {
            info.insert("expiry".into(), json!(e));
        }
        if !s.grants.is_empty() {
            let access: Vec<Value> = s
                .grants
                .iter()
                .map(|g| {
                    json!({"target": tag(&g.target), "scope": self.relation_tag(g.relation), "role": "view"})
                })
                .collect();
            info.insert("access".into(), json!(access));
        }
        flags.entry("format").or_insert_with(|| "yaml".into());
        Self::render(&flags, &json!({ s.bare_id(): info }))
    }

    /// The commit-time checks and the commit of the secrets (§2.9, §5.2): `Err` fails the hook.
    pub(super) fn commit_secrets(&mut self) -> Result<(), String> {
        if let Some(e) = self.secrets.at_commit.first() {
            return Err(format!("cannot apply changes: {e}"));
        }
        if self.secrets.app_changed && !self.leader_now {
            return Err(
                "cannot apply changes: application-owned secrets changed but leadership was lost before the hook ended"
                    .into(),
            );
        }
        let mut labels = BTreeSet::new();
        for s in &self.secrets.work {
            if let Some(l) = &s.label {
                if !labels.insert(l.as_str()) {
                    return Err(format!(
                        "cannot apply changes: secret with label {l:?} already exists"
                    ));
                }
            }
        }
        for (bare, (content, expire)) in std::mem::take(&mut self.secrets.content) {
            let Some(i) = find(&self.secrets.work, &bare) else {
                continue;
            };
            let w = &mut self.secrets.work[i];
            let latest = w.latest();
            // Juju 3.6: the same content again makes no revision.
            if w.revisions.last().is_some_and(|r| r.content == content) {
                if let (Some(e), Some(r)) = (expire, w.revisions.last_mut()) {
                    r.expire = Some(e);
                }
                continue;
            }
            w.revisions.push(SecretRevision {
                revision: latest + 1,
                content,
                expire,
            });
        }
        self.state.secrets = std::mem::take(&mut self.secrets.work);
        Ok(())
    }
}

/// Time for `--expire`: RFC 3339 and Go durations, without a date crate.
pub(super) mod time {
    use super::Response;

    /// Seconds since the Unix epoch, now.
    pub fn now() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }

    fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    fn civil_from_days(z: i64) -> (i64, i64, i64) {
        let z = z + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = doy - (153 * mp + 2) / 5 + 1;
        let m = if mp < 10 { mp + 3 } else { mp - 9 };
        (
            if m <= 2 {
                yoe + era * 400 + 1
            } else {
                yoe + era * 400
            },
            m,
            d,
        )
    }

    /// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds.
    pub fn rfc3339(t: i64) -> String {
        let (y, m, d) = civil_from_days(t.div_euclid(86_400));
        let s = t.rem_euclid(86_400);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            s / 3600,
            s % 3600 / 60,
            s % 60
        )
    }

    /// Unix seconds of `2006-01-02T15:04:05` followed by `Z`, `±hh:mm` or (`zone_optional`)
    /// nothing (UTC); fractions of a second are dropped.
    fn parse_time(s: &str, zone_optional: bool) -> Option<i64> {
        let b = s.as_bytes();
        if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
            return None;
        }
        if b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let t = s.get(r)?;
            t.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| t.parse().ok())?
        };
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
            return None;
        }
        let mut rest = &s[19..];
        if let Some(frac) = rest.strip_prefix('.') {
            let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = &frac[digits..];
        }
        let offset = match rest {
            "" if zone_optional => 0,
            "Z" | "z" => 0,
            z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) && &z[3..4] == ":" => {
                let oh: i64 = z[1..3].parse().ok()?;
                let om: i64 = z[4..6].parse().ok()?;
                let o = oh * 3600 + om * 60;
                if z.starts_with('-') {
                    -o
                } else {
                    o
                }
            }
            _ => return None,
        };
        Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se - offset)
    }

    /// A Go duration (`90m`, `1h30m`, `1.5h`, `-5s`) in whole seconds.
    fn parse_duration(s: &str) -> Option<i64> {
        let (neg, mut rest) = match s.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        if rest == "0" {
            return Some(0);
        }
        if rest.is_empty() {
            return None;
        }
        let mut total = 0f64;
        while !rest.is_empty() {
            let n = rest
                .bytes()
                .take_while(|c| c.is_ascii_digit() || *c == b'.')
                .count();
            let value: f64 = rest[..n].parse().ok()?;
            rest = &rest[n..];
            let u = rest
                .bytes()
                .take_while(|c| c.is_ascii_alphabetic() || *c >= 0x80)
                .count();
            let unit = match &rest[..u] {
                "h" => 3600.0,
                "m" => 60.0,
                "s" => 1.0,
                "ms" => 1e-3,
                "us" | "µs" | "μs" => 1e-6,
                "ns" => 1e-9,
                _ => return None,
            };
            rest = &rest[u..];
            total += value * unit;
        }
        let secs = total.round() as i64;
        Some(if neg { -secs } else { secs })
    }

    /// `--expire`: a time (RFC 3339, or without a zone = UTC) or a duration from `now`.
    pub fn expire(s: &str, now: i64) -> Result<String, Response> {
        if let Some(t) = parse_time(s, true) {
            return Ok(rfc3339(t));
        }
        match parse_duration(s) {
            Some(d) if d > 0 => Ok(rfc3339(now + d)),
            Some(_) => Err(Response::err(
                2,
                format!("negative expire duration {s:?} not valid"),
            )),
            None => Err(Response::err(
                2,
                format!("expire time or duration {s:?} not valid"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    const OWNER_STATE: &str = "
unit: tempo/0
leader: true
relations:
  - {id: 3, endpoint: tempo-cluster, remote_app: worker, remote_units: [worker/0, worker/1]}
  - {id: 4, endpoint: tempo-api, remote_app: grafana}
";

    fn model(yaml: &str) -> Model {
        Model::new(state(yaml), HookCtx::default())
    }

    fn add(m: &mut Model, args: &[&str]) -> String {
        out(&run(m, "secret-add", args, None)).trim().to_owned()
    }

    fn get_json(m: &mut Model, args: &[&str]) -> Value {
        let mut a = vec!["--format=json"];
        a.extend_from_slice(args);
        serde_json::from_str(&out(&run(m, "secret-get", &a, None))).unwrap()
    }

    fn secret<'a>(s: &'a State, uri: &str) -> &'a SecretState {
        s.secrets
            .iter()
            .find(|x| x.bare_id() == bare_secret_id(uri))
            .unwrap()
    }

    #[test]
    fn add_prints_a_full_uri_and_creates_revision_one_only_at_commit() {
        let mut m = model(OWNER_STATE);
        let uri = add(
            &mut m,
            &["--owner", "unit", "--label", "tls", "private-key=PEM"],
        );
        let (host, id) = uri
            .strip_prefix("secret://")
            .unwrap()
            .split_once('/')
            .unwrap();
        assert_eq!(host, m.state().model_uuid);
        assert_eq!(id.len(), 20);
        assert!(m.state().secrets.is_empty(), "buffered until the hook ends");
        // In the same hook the pending create answers, by id and by label.
        assert_eq!(get_json(&mut m, &[&uri])["private-key"], "PEM");
        assert_eq!(get_json(&mut m, &["--label", "tls"])["private-key"], "PEM");
        assert!(m.finish(0).committed);
        let s = secret(m.state(), &uri);
        assert_eq!(
            (s.owner.as_deref(), s.label.as_deref(), s.latest()),
            (Some("tempo/0"), Some("tls"), 1)
        );
        assert_eq!(s.revisions[0].content["private-key"], "PEM");
    }

    #[test]
    fn failed_hook_discards_creates_updates_grants_and_removes() {
        let yaml = format!(
            "{OWNER_STATE}secrets:\n  - {{id: 'secret:aaaaaaaaaaaaaaaaaaaa', owner: tempo, label: old, content: {{key: v}}}}\n  - {{id: 'secret:bbbbbbbbbbbbbbbbbbbb', owner: tempo/0, content: {{key: v}}}}\n"
        );
        let mut m = model(&yaml);
        let before = m.state().secrets.clone();
        add(&mut m, &["key=v"]);
        out(&run(
            &mut m,
            "secret-set",
            &["secret:aaaaaaaaaaaaaaaaaaaa", "key=new", "--label", "new"],
            None,
        ));
        out(&run(
            &mut m,
            "secret-grant",
            &["secret:aaaaaaaaaaaaaaaaaaaa", "-r", "3"],
            None,
        ));
        out(&run(
            &mut m,
            "secret-remove",
            &["secret:bbbbbbbbbbbbbbbbbbbb"],
            None,
        ));
        assert!(!m.finish(1).committed);
        assert_eq!(m.state().secrets, before);
    }

    #[test]
    fn content_arguments_follow_juju_rules() {
        let mut m = model(OWNER_STATE);
        for (args, code, text) in [
            (
                &["--owner", "unit"][..],
                2,
                "missing secret value or filename",
            ),
            (&["TLS=x"][..], 2, "key \"TLS\" not valid"),
            (&["ab=x"][..], 2, "key \"ab\" not valid"),
            (&["key="][..], 2, "key value \"key=\" not valid"),
            (&["=x"][..], 2, "key value \"=x\" not valid"),
            (
                &["--owner", "app", "key=x"][..],
                2,
                "secret owner \"app\" not valid",
            ),
            (
                &["--rotate", "often", "key=x"][..],
                2,
                "rotate policy \"often\" not valid",
            ),
            (
                &["--expire", "-5m", "key=x"][..],
                2,
                "negative expire duration \"-5m\" not valid",
            ),
            (
                &["--expire", "soon", "key=x"][..],
                2,
                "expire time or duration \"soon\" not valid",
            ),
        ] {
            assert_eq!(
                err(&run(&mut m, "secret-add", args, None)),
                (code, format!("ERROR {text}\n")),
                "{args:?}"
            );
        }
        // Trailing `=` survive (base64 padding); #base64 is decoded; #file is read.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("v");
        std::fs::write(&f, "from a file").unwrap();
        let arg = format!("three#file={}", f.display());
        let uri = add(
            &mut m,
            &["--owner", "unit", "one=YWI=", "two#base64=aGVsbG8=", &arg],
        );
        let c = get_json(&mut m, &[&uri]);
        assert_eq!(
            (c["one"].as_str(), c["two"].as_str(), c["three"].as_str()),
            (Some("YWI="), Some("hello"), Some("from a file"))
        );
        assert_eq!(
            out(&run(&mut m, "secret-get", &[&uri, "two#base64"], None)),
            "aGVsbG8=\n"
        );
        assert_eq!(
            err(&run(&mut m, "secret-get", &[&uri, "four"], None)),
            (1, "ERROR secret key value \"four\" not found\n".into())
        );
    }

    #[test]
    fn app_owned_secrets_are_managed_by_the_leader_and_read_by_every_unit() {
        let mut m = model("unit: tempo/1\nleader: false\n");
        assert_eq!(
            err(&run(&mut m, "secret-add", &["key=v"], None)),
            (1, "ERROR this unit is not the leader\n".into())
        );
        add(&mut m, &["--owner", "unit", "key=v"]);
        assert!(m.finish(0).committed);

        let yaml = "unit: tempo/1\nleader: false\nsecrets:\n  - {id: 'secret:aaaaaaaaaaaaaaaaaaaa', owner: tempo, label: shared, revisions: [{revision: 1, content: {key: old}}, {revision: 2, content: {key: new}}]}\n";
        let mut m = model(yaml);
        // Every unit reads the latest, by id or owner label.
        assert_eq!(get_json(&mut m, &["--label", "shared"])["key"], "new");
        // Non-leaders do not see its metadata.
        assert_eq!(
            out(&run(&mut m, "secret-ids", &["--format=json"], None)),
            "null\n"
        );
        assert_eq!(
            err(&run(
                &mut m,
                "secret-info-get",
                &["--label", "shared"],
                None
            )),
            (1, "ERROR secret \"shared\" not found\n".into())
        );
        // Managing it: the controller refuses at commit.
        out(&run(
            &mut m,
            "secret-set",
            &["secret:aaaaaaaaaaaaaaaaaaaa", "key=x"],
            None,
        ));
        let c = m.finish(0);
        assert!(!c.committed);
        assert!(c.failure.unwrap().contains("permission denied"));
    }

    #[test]
    fn leadership_lost_before_the_end_refuses_an_app_owned_change() {
        let mut s = state(OWNER_STATE);
        s.faults.leadership_lost_after_calls = Some(1);
        let mut m = Model::new(s, HookCtx::default());
        add(&mut m, &["key=v"]);
        out(&run(&mut m, "status-set", &["active"], None));
        let c = m.finish(0);
        assert!(!c.committed && c.failure.unwrap().contains("leadership"));
        assert!(m.state().secrets.is_empty());
    }

    #[test]
    fn labels_are_unique_in_the_hook_and_at_commit() {
        let yaml = format!("{OWNER_STATE}secrets:\n  - {{id: 'secret:aaaaaaaaaaaaaaaaaaaa', owner: tempo/0, label: taken, content: {{key: v}}}}\n");
        let mut m = model(&yaml);
        add(&mut m, &["--label", "mine", "key=v"]);
        assert_eq!(
            err(&run(
                &mut m,
                "secret-add",
                &["--label", "mine", "key=v"],
                None
            )),
            (
                1,
                "ERROR secret with label \"mine\" already exists\n".into()
            )
        );
        // A clash with a committed label passes the tool and fails the hook.
        add(&mut m, &["--label", "taken", "key=v"]);
        let c = m.finish(0);
        assert!(!c.committed);
        assert!(c
            .failure
            .unwrap()
            .contains("secret with label \"taken\" already exists"));
        assert_eq!(m.state().secrets.len(), 1);
    }

    #[test]
    fn set_makes_one_new_revision_per_hook_and_none_for_the_same_content() {
        let yaml = format!("{OWNER_STATE}secrets:\n  - {{id: 'secret:aaaaaaaaaaaaaaaaaaaa', owner: tempo/0, content: {{key: v1}}}}\n");
        let id = "secret:aaaaaaaaaaaaaaaaaaaa";
        let mut m = model(&yaml);
        out(&run(&mut m, "secret-set", &[id, "key=v2"], None));
        out(&run(
            &mut m,
            "secret-set",
            &[id, "key=v3", "--description", "d"],
            None,
        ));
        // Plain reads see the committed latest; --peek sees the pending content.
        assert_eq!(get_json(&mut m, &[id])["key"], "v1");
        assert_eq!(get_json(&mut m, &[id, "--peek"])["key"], "v3");
        let info: Value = serde_json::from_str(&out(&run(
            &mut m,
            "secret-info-get",
            &[id, "--format=json"],
            None,
        )))
        .unwrap();
        assert_eq!(
            info["aaaaaaaaaaaaaaaaaaaa"]["revision"], 1,
            "pending content does not bump it"
        );
        assert_eq!(info["aaaaaaaaaaaaaaaaaaaa"]["description"], "d");
        assert!(m.finish(0).committed);
        let s = m.into_state();
        assert_eq!(
            secret(&s, id)
                .revisions
                .iter()
                .map(|r| r.revision)
                .collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(secret(&s, id).revisions[1].content["key"], "v3");
        let mut m = Model::new(s, HookCtx::default());
        out(&run(&mut m, "secret-set", &[id, "key=v3"], None));
        assert!(m.finish(0).committed);
        assert_eq!(
            secret(m.state(), id).latest(),
            2,
            "same content, no revision"
        );
        // A set on a secret created in the same hook folds into revision 1.
        let mut m = model(OWNER_STATE);
        let uri = add(&mut m, &["--owner", "unit", "key=a"]);
        out(&run(&mut m, "secret-set", &[&uri, "key=b"], None));
        assert!(m.finish(0).committed);
        let s = secret(m.state(), &uri);
        assert_eq!(
            (s.latest(), s.revisions[0].content["key"].as_str()),
            (1, "b")
        );
    }

    const CONSUMER: &str = "
unit: worker/0
relations:
  - {id: 3, endpoint: tempo-cluster, remote_app: tempo}
secrets:
  - id: 'secret://8b1e5e4a-6c2d-4c4e-9f57-3f2b8f1c0d11/aaaaaaaaaaaaaaaaaaaa'
    owner: tempo
    revisions: [{revision: 1, content: {key: one}}, {revision: 2, content: {key: two}}]
    grants: [{relation: 3, target: worker}]
  - {id: 'secret:bbbbbbbbbbbbbbbbbbbb', owner: tempo, content: {key: x}}
";

    #[test]
    fn consumers_are_pinned_peek_reads_latest_refresh_moves_the_pin() {
        let id = "secret:aaaaaaaaaaaaaaaaaaaa";
        let mut s = state(CONSUMER);
        s.secrets[0].tracked = Some(1);
        let mut m = Model::new(s, HookCtx::default());
        assert_eq!(get_json(&mut m, &[id])["key"], "one");
        assert_eq!(get_json(&mut m, &[id, "--peek"])["key"], "two");
        assert_eq!(get_json(&mut m, &[id])["key"], "one", "peek leaves the pin");
        assert_eq!(
            err(&run(
                &mut m,
                "secret-get",
                &[id, "--peek", "--refresh"],
                None
            )),
            (
                2,
                "ERROR specify one of --peek or --refresh but not both\n".into()
            )
        );
        assert_eq!(get_json(&mut m, &[id, "--refresh"])["key"], "two");
        assert_eq!(get_json(&mut m, &[id])["key"], "two");
        // The pin moved at once: a failed hook keeps it.
        assert!(!m.finish(1).committed);
        assert_eq!(m.state().secrets[0].tracked, Some(2));
    }

    #[test]
    fn first_read_records_the_consumer_and_its_label_at_once() {
        let mut m = model(CONSUMER);
        assert_eq!(
            err(&run(&mut m, "secret-get", &["--label", "cluster"], None)),
            (1, "ERROR consumer label \"cluster\" not found\n".into())
        );
        let id = "secret://8b1e5e4a-6c2d-4c4e-9f57-3f2b8f1c0d11/aaaaaaaaaaaaaaaaaaaa";
        assert_eq!(get_json(&mut m, &[id, "--label", "cluster"])["key"], "two");
        assert_eq!(get_json(&mut m, &["--label", "cluster"])["key"], "two");
        assert!(!m.finish(1).committed);
        let s = &m.state().secrets[0];
        assert_eq!((s.tracked, s.label.as_deref()), (Some(2), Some("cluster")));
    }

    #[test]
    fn who_may_read_what() {
        let mut m = model(CONSUMER);
        // Not granted to this app.
        assert_eq!(
            err(&run(
                &mut m,
                "secret-get",
                &["secret:bbbbbbbbbbbbbbbbbbbb"],
                None
            )),
            (1, "ERROR permission denied\n".into())
        );
        assert_eq!(
            err(&run(
                &mut m,
                "secret-get",
                &["secret:cccccccccccccccccccc"],
                None
            )),
            (
                1,
                "ERROR secret \"secret:cccccccccccccccccccc\" not found\n".into()
            )
        );
        assert_eq!(
            err(&run(&mut m, "secret-get", &["secret:abc"], None)),
            (2, "ERROR secret URI \"secret:abc\" not valid\n".into())
        );
        // A consumer cannot re-grant, list or inspect it.
        assert_eq!(
            err(&run(
                &mut m,
                "secret-grant",
                &["secret:aaaaaaaaaaaaaaaaaaaa", "-r", "3"],
                None
            ))
            .0,
            1
        );
        assert_eq!(out(&run(&mut m, "secret-ids", &[], None)), "");
        // A grant to one unit only is that unit's.
        let other = CONSUMER
            .replace("unit: worker/0", "unit: worker/1")
            .replace("target: worker}", "target: worker/0}");
        let mut m = model(&other);
        assert_eq!(
            err(&run(
                &mut m,
                "secret-get",
                &["secret:aaaaaaaaaaaaaaaaaaaa"],
                None
            )),
            (1, "ERROR permission denied\n".into())
        );
    }

    #[test]
    fn grants_are_per_relation_and_revoke_removes_the_subject() {
        let yaml = format!("{OWNER_STATE}secrets:\n  - {{id: 'secret:aaaaaaaaaaaaaaaaaaaa', owner: tempo/0, content: {{key: v}}}}\n");
        let id = "secret:aaaaaaaaaaaaaaaaaaaa";
        let mut m = model(&yaml);
        for (args, text) in [
            (&[id][..], "no relation id specified"),
            (
                &[id, "-r", "9"][..],
                "invalid value \"9\" for option -r: relation not found",
            ),
            (
                &[id, "-r", "3", "--unit", "grafana/0"][..],
                "cannot specify unit \"grafana/0\" in relation to application \"worker\"",
            ),
            (
                &[id, "-r", "3", "--unit", "worker"][..],
                "unit \"worker\" not valid",
            ),
            (&["-r", "3"][..], "missing secret URI"),
        ] {
            assert_eq!(
                err(&run(&mut m, "secret-grant", args, None)),
                (2, format!("ERROR {text}\n")),
                "{args:?}"
            );
        }
        out(&run(
            &mut m,
            "secret-grant",
            &[id, "-r", "3", "--unit", "worker/1"],
            None,
        ));
        assert_eq!(
            err(&run(&mut m, "secret-grant", &[id, "-r", "3"], None)),
            (1, "ERROR any unit level grants need to be revoked before granting access to the corresponding application\n".into())
        );
        out(&run(
            &mut m,
            "secret-revoke",
            &[id, "--unit", "worker/1"],
            None,
        ));
        out(&run(&mut m, "secret-grant", &[id, "-r", "3"], None));
        out(&run(
            &mut m,
            "secret-grant",
            &[id, "-r", "tempo-api:4"],
            None,
        ));
        let info: Value = serde_json::from_str(&out(&run(
            &mut m,
            "secret-info-get",
            &[id, "--format", "json"],
            None,
        )))
        .unwrap();
        let access = info["aaaaaaaaaaaaaaaaaaaa"]["access"]
            .as_array()
            .unwrap()
            .clone();
        assert_eq!(access.len(), 2);
        assert_eq!(access[0]["target"], "application-worker");
        assert_eq!(access[0]["role"], "view");
        assert!(m.finish(0).committed);
        let grants = |m: &Model| secret(m.state(), id).grants.clone();
        assert_eq!(grants(&m).len(), 2);

        // The same subject under another relation is refused at commit.
        let mut m = Model::new(m.into_state(), HookCtx::default());
        let mut s2 = m.state().clone();
        s2.relations.push(crate::state::Relation {
            id: 5,
            endpoint: "tempo-cluster".into(),
            remote_app: "worker".into(),
            remote_units: vec![],
            local_app: Default::default(),
            local_unit: Default::default(),
            remote_app_data: Default::default(),
            remote_units_data: Default::default(),
        });
        m = Model::new(s2, HookCtx::default());
        out(&run(&mut m, "secret-grant", &[id, "-r", "5"], None));
        let c = m.finish(0);
        assert!(c
            .failure
            .unwrap()
            .contains("cannot change secret permission scope"));

        // Revoke by relation removes the app's grant whatever its scope.
        let mut m = Model::new(m.into_state(), HookCtx::default());
        out(&run(&mut m, "secret-revoke", &[id, "-r", "3"], None));
        assert!(m.finish(0).committed);
        assert_eq!(
            grants(&m)
                .iter()
                .map(|g| g.target.as_str())
                .collect::<Vec<_>>(),
            ["grafana"]
        );

        // The relation going takes its grants with it.
        let mut s = m.into_state();
        s.faults.relation_vanishes = Some(crate::state::VanishFault {
            id: 4,
            after_calls: 0,
        });
        let mut m = Model::new(s, HookCtx::default());
        out(&run(&mut m, "is-leader", &[], None));
        assert!(m.finish(0).committed);
        assert!(grants(&m).is_empty());
    }

    #[test]
    fn a_grant_on_a_relation_being_broken_fails_the_hook() {
        let yaml = format!("{OWNER_STATE}secrets:\n  - {{id: 'secret:aaaaaaaaaaaaaaaaaaaa', owner: tempo/0, content: {{key: v}}}}\n");
        let ctx = HookCtx {
            hook: "tempo-cluster-relation-broken".into(),
            relation: Some(3),
            remote_app: Some("worker".into()),
            ..HookCtx::default()
        };
        let mut m = Model::new(state(&yaml), ctx);
        out(&run(
            &mut m,
            "secret-grant",
            &["secret:aaaaaaaaaaaaaaaaaaaa"],
            None,
        ));
        let c = m.finish(0);
        assert!(c.failure.unwrap().contains("which is not alive"));
        assert!(m.state().secrets[0].grants.is_empty());
    }

    #[test]
    fn remove_takes_one_revision_or_the_whole_secret() {
        let yaml = format!("{OWNER_STATE}secrets:\n  - {{id: 'secret:aaaaaaaaaaaaaaaaaaaa', owner: tempo, revisions: [{{revision: 1, content: {{key: a}}}}, {{revision: 2, content: {{key: b}}}}]}}\n");
        let id = "secret:aaaaaaaaaaaaaaaaaaaa";
        let mut m = model(&yaml);
        out(&run(
            &mut m,
            "secret-remove",
            &[id, "--revision", "1"],
            None,
        ));
        assert!(m.finish(0).committed);
        assert_eq!(
            secret(m.state(), id)
                .revisions
                .iter()
                .map(|r| r.revision)
                .collect::<Vec<_>>(),
            [2]
        );
        let mut m = Model::new(m.into_state(), HookCtx::default());
        out(&run(&mut m, "secret-remove", &[id], None));
        // Live reads still see it until the commit.
        assert_eq!(get_json(&mut m, &[id])["key"], "b");
        assert!(m.finish(0).committed);
        assert!(m.state().secrets.is_empty());
        let mut m = model(OWNER_STATE);
        let uri = add(&mut m, &["key=v"]);
        out(&run(&mut m, "secret-remove", &[&uri], None));
        assert!(m.finish(0).committed);
        assert!(m.state().secrets.is_empty(), "a remove cancels the create");
        // Removing another app's secret fails the hook at commit.
        let mut m = model(CONSUMER);
        out(&run(
            &mut m,
            "secret-remove",
            &["secret:aaaaaaaaaaaaaaaaaaaa"],
            None,
        ));
        assert!(m.finish(0).failure.unwrap().contains("permission denied"));
    }

    #[test]
    fn ids_and_info_show_the_owned_view_with_pending_changes() {
        let mut m = model(OWNER_STATE);
        assert_eq!(
            out(&run(&mut m, "secret-ids", &["--format=json"], None)),
            "null\n"
        );
        let uri = add(
            &mut m,
            &[
                "--owner",
                "unit",
                "--label",
                "tls",
                "--rotate",
                "monthly",
                "--expire",
                "2030-01-01T02:00:00+02:00",
                "key=v",
            ],
        );
        let id = bare_secret_id(&uri).to_owned();
        assert_eq!(
            out(&run(&mut m, "secret-ids", &[], None)),
            format!("{id}\n")
        );
        let info: Value = serde_json::from_str(&out(&run(
            &mut m,
            "secret-info-get",
            &["--label", "tls", "--format=json"],
            None,
        )))
        .unwrap();
        assert_eq!(
            info,
            json!({id.as_str(): {"revision": 1, "label": "tls", "owner": "unit", "rotation": "monthly", "expiry": "2030-01-01T00:00:00Z"}})
        );
        assert_eq!(
            err(&run(
                &mut m,
                "secret-info-get",
                &[&uri, "--label", "tls"],
                None
            )),
            (
                2,
                "ERROR specify either a secret URI or label but not both\n".into()
            )
        );
    }

    #[test]
    fn the_older_state_form_still_reads() {
        let mut m = model("unit: t/0\nsecrets: [{id: 'secret:abc', label: key, content: {k: v}}]");
        for args in [&["secret:abc"][..], &["--label", "key"][..]] {
            assert_eq!(get_json(&mut m, args)["k"], "v");
        }
        assert_eq!(
            err(&run(&mut m, "secret-get", &["--label", "other"], None)),
            (1, "ERROR consumer label \"other\" not found\n".into())
        );
        assert_eq!(err(&run(&mut m, "secret-get", &[], None)).0, 2);
    }

    #[test]
    fn expire_takes_times_and_go_durations() {
        let now = 1_700_000_000;
        for (given, want) in [
            ("2025-01-01T06:06:06Z", "2025-01-01T06:06:06Z"),
            ("2025-01-01T06:06:06", "2025-01-01T06:06:06Z"),
            ("2025-01-01T08:06:06.5+02:00", "2025-01-01T06:06:06Z"),
            ("24h", "2023-11-15T22:13:20Z"),
            ("1h30m", "2023-11-14T23:43:20Z"),
        ] {
            assert_eq!(time::expire(given, now).unwrap(), want, "{given}");
        }
        assert_eq!(time::rfc3339(now), "2023-11-14T22:13:20Z");
        for bad in ["0", "-1h", "tomorrow", "2025-13-01T00:00:00Z", "5x"] {
            assert_eq!(time::expire(bad, now).unwrap_err().code, 2, "{bad}");
        }
    }
}
