//! Small value types shared by the charm layer: relation references, unit names, statuses,
//! and the secrets' ids, content and metadata.

use std::fmt;
use std::str::FromStr;

/// Why a value from Juju (an environment variable, a tool's output) could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// A relation reference that is not `<endpoint>:<id>`.
    #[error("`{0}` is not a relation reference of the form `<endpoint>:<id>`")]
    RelationRef(String),
    /// A unit name that is not `<app>/<number>`.
    #[error("`{0}` is not a unit name of the form `<app>/<number>`")]
    UnitName(String),
    /// A status name Juju does not know.
    #[error(
        "`{0}` is not a workload status (active, blocked, waiting, maintenance, unknown, error)"
    )]
    Status(String),
    /// A secret URI that is not `secret://<model-uuid>/<id>`, `secret:<id>` or `<id>`.
    #[error("`{0}` is not a secret URI (`secret:<20 characters [0-9a-z]>`)")]
    SecretId(String),
    /// A secret content key Juju refuses.
    #[error("`{0}` is not a secret content key (lower-case letters, digits and single hyphens, starting with a letter, at least 3 characters)")]
    SecretKey(String),
    /// A secret content value Juju cannot store.
    #[error("secret content key `{0}` has an empty value; Juju cannot store empty values")]
    SecretEmptyValue(String),
    /// A word Juju does not use for this secret field.
    #[error("`{value}` is not a secret {field}")]
    SecretField {
        /// The field (`owner`, `rotation policy`).
        field: &'static str,
        /// What was given.
        value: String,
    },
}

/// A relation as hook tools name it: `<endpoint>:<id>`, e.g. `tempo-api:3`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RelationId {
    /// The endpoint (relation name in metadata.yaml) on this side.
    pub endpoint: String,
    /// Juju's numeric relation id, unique in the model.
    pub id: u32,
}

impl RelationId {
    /// A relation reference from its parts.
    pub fn new(endpoint: impl Into<String>, id: u32) -> Self {
        Self {
            endpoint: endpoint.into(),
            id,
        }
    }
}

impl fmt::Display for RelationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.endpoint, self.id)
    }
}

impl FromStr for RelationId {
    type Err = ParseError;
    /// Parses `endpoint:id`; the id is the number after the *last* colon, as Juju reads it.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseError::RelationRef(s.to_owned());
        let (endpoint, id) = s.rsplit_once(':').ok_or_else(err)?;
        if endpoint.is_empty() || id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let id = id.parse().map_err(|_| err())?;
        Ok(Self {
            endpoint: endpoint.to_owned(),
            id,
        })
    }
}

/// A unit name, `<app>/<number>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitName {
    app: String,
    number: u32,
}

impl UnitName {
    /// A unit name from its parts.
    pub fn new(app: impl Into<String>, number: u32) -> Self {
        Self {
            app: app.into(),
            number,
        }
    }
    /// The application part, before the `/`.
    pub fn app(&self) -> &str {
        &self.app
    }
    /// The unit number, after the `/`.
    pub fn number(&self) -> u32 {
        self.number
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.app, self.number)
    }
}

impl FromStr for UnitName {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseError::UnitName(s.to_owned());
        let (app, n) = s.split_once('/').ok_or_else(err)?;
        let app_ok = !app.is_empty()
            && app
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && app.as_bytes()[0].is_ascii_lowercase();
        if !app_ok || n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let number = n.parse().map_err(|_| err())?;
        Ok(Self {
            app: app.to_owned(),
            number,
        })
    }
}

/// A workload status name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusName {
    /// Ready and doing its job.
    Active,
    /// Needs a human: bad config, a missing or broken relation.
    Blocked,
    /// Waiting for something outside its control (another application, Juju).
    Waiting,
    /// Busy with its own work.
    Maintenance,
    /// No status set yet (read-only: `status-set` refuses it).
    Unknown,
    /// A hook failed (read-only: set by Juju).
    Error,
}

impl StatusName {
    /// The word Juju uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Blocked => "blocked",
            Self::Waiting => "waiting",
            Self::Maintenance => "maintenance",
            Self::Unknown => "unknown",
            Self::Error => "error",
        }
    }
}

impl fmt::Display for StatusName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for StatusName {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "active" => Self::Active,
            "blocked" => Self::Blocked,
            "waiting" => Self::Waiting,
            "maintenance" => Self::Maintenance,
            "unknown" => Self::Unknown,
            "error" => Self::Error,
            _ => return Err(ParseError::Status(s.to_owned())),
        })
    }
}

/// A workload status with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The status name.
    pub name: StatusName,
    /// Free text shown in `juju status`; may be empty.
    pub message: String,
}

impl Status {
    /// `active` with a message (often empty).
    pub fn active(message: impl Into<String>) -> Self {
        Self {
            name: StatusName::Active,
            message: message.into(),
        }
    }
    /// `blocked`: a human must act.
    pub fn blocked(message: impl Into<String>) -> Self {
        Self {
            name: StatusName::Blocked,
            message: message.into(),
        }
    }
    /// `waiting`: another party must act.
    pub fn waiting(message: impl Into<String>) -> Self {
        Self {
            name: StatusName::Waiting,
            message: message.into(),
        }
    }
    /// `maintenance`: the charm is busy.
    pub fn maintenance(message: impl Into<String>) -> Self {
        Self {
            name: StatusName::Maintenance,
            message: message.into(),
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            write!(f, "{}", self.name)
        } else {
            write!(f, "{} ({})", self.name, self.message)
        }
    }
}

/// A port the workload listens on, as `open-port` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Port {
    /// A TCP port.
    Tcp(u16),
    /// A UDP port.
    Udp(u16),
    /// ICMP (no port number).
    Icmp,
}

impl fmt::Display for Port {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp(n) => write!(f, "{n}/tcp"),
            Self::Udp(n) => write!(f, "{n}/udp"),
            Self::Icmp => f.write_str("icmp"),
        }
    }
}

impl FromStr for Port {
    type Err = String;
    /// Parses `opened-ports` output entries: `80/tcp`, `53/udp`, `icmp`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "icmp" {
            return Ok(Self::Icmp);
        }
        let (n, proto) = s.split_once('/').unwrap_or((s, "tcp"));
        let n: u16 = n
            .parse()
            .map_err(|_| format!("`{s}` is not `<port>/<protocol>`"))?;
        match proto {
            "tcp" => Ok(Self::Tcp(n)),
            "udp" => Ok(Self::Udp(n)),
            _ => Err(format!("`{s}` has an unknown protocol")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relation_id_uses_digits_after_last_colon() {
        let r: RelationId = "tempo-api:3".parse().unwrap();
        assert_eq!(r, RelationId::new("tempo-api", 3));
        assert_eq!(r.to_string(), "tempo-api:3");
        let r: RelationId = "a:b:12".parse().unwrap();
        assert_eq!((r.endpoint.as_str(), r.id), ("a:b", 12));
        for bad in ["", "3", ":3", "x:", "x:-1", "x:1a", "x:99999999999"] {
            assert!(bad.parse::<RelationId>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn unit_names_are_app_slash_number() {
        let u: UnitName = "tempo-coordinator-k8s/12".parse().unwrap();
        assert_eq!((u.app(), u.number()), ("tempo-coordinator-k8s", 12));
        assert_eq!(u.to_string(), "tempo-coordinator-k8s/12");
        for bad in [
            "", "app", "app/", "/0", "App/0", "app/x", "app/0/1", "0app/1",
        ] {
            assert!(bad.parse::<UnitName>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn status_names_round_trip() {
        for s in [
            "active",
            "blocked",
            "waiting",
            "maintenance",
            "unknown",
            "error",
        ] {
            assert_eq!(s.parse::<StatusName>().unwrap().as_str(), s);
        }
        assert!("Active".parse::<StatusName>().is_err());
    }

    #[test]
    fn ports_print_as_open_port_takes_them() {
        assert_eq!(Port::Tcp(3200).to_string(), "3200/tcp");
        assert_eq!("9096/tcp".parse::<Port>().unwrap(), Port::Tcp(9096));
        assert_eq!("53/udp".parse::<Port>().unwrap(), Port::Udp(53));
        assert_eq!("icmp".parse::<Port>().unwrap(), Port::Icmp);
        assert!("x/tcp".parse::<Port>().is_err());
    }
}

/// A secret's URI, as `secret-add` prints it (`secret://<model-uuid>/<id>`) or in its short
/// (`secret:<id>`) or bare form. Compare secrets with [`SecretId::unique_identifier`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretId(String);

impl SecretId {
    /// The URI as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 20-character id, the same in every form of the URI.
    pub fn unique_identifier(&self) -> &str {
        let s = self.0.strip_prefix("secret:").unwrap_or(&self.0);
        s.rsplit('/').next().unwrap_or(s)
    }
}

impl fmt::Display for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for SecretId {
    type Err = ParseError;
    /// Accepts the forms Juju prints: `secret://<uuid>/<id>`, `secret:<id>`, `<id>`, where
    /// the id is 20 characters `[0-9a-z]`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseError::SecretId(s.to_owned());
        let rest = match s.strip_prefix("secret://") {
            Some(r) => {
                let (host, id) = r.split_once('/').ok_or_else(err)?;
                let uuid = host.len() == 36
                    && host
                        .bytes()
                        .all(|b| b == b'-' || b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
                if !uuid {
                    return Err(err());
                }
                id
            }
            None => s.strip_prefix("secret:").unwrap_or(s),
        };
        let id = rest.rsplit('/').next().unwrap_or(rest);
        let ok = id.len() == 20
            && id
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase());
        if ok && (rest == id || is_uuid_prefixed(rest)) {
            Ok(Self(s.to_owned()))
        } else {
            Err(err())
        }
    }
}

fn is_uuid_prefixed(rest: &str) -> bool {
    rest.split_once('/').is_some_and(|(u, _)| {
        u.len() == 36
            && u.bytes()
                .all(|b| b == b'-' || b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Who owns a secret (`secret-add --owner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecretOwner {
    /// The application: managed by the leader, readable by every unit (Juju's default).
    #[default]
    Application,
    /// This unit alone.
    Unit,
}

impl SecretOwner {
    /// The word Juju uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Application => "application",
            Self::Unit => "unit",
        }
    }
}

impl FromStr for SecretOwner {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "application" => Ok(Self::Application),
            "unit" => Ok(Self::Unit),
            _ => Err(ParseError::SecretField {
                field: "owner",
                value: s.to_owned(),
            }),
        }
    }
}

/// A rotation policy (`--rotate`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretRotate {
    /// No rotation.
    Never,
    /// Every hour.
    Hourly,
    /// Every day.
    Daily,
    /// Every week.
    Weekly,
    /// Every month.
    Monthly,
    /// Every three months.
    Quarterly,
    /// Every year.
    Yearly,
}

impl SecretRotate {
    const ALL: [(Self, &'static str); 7] = [
        (Self::Never, "never"),
        (Self::Hourly, "hourly"),
        (Self::Daily, "daily"),
        (Self::Weekly, "weekly"),
        (Self::Monthly, "monthly"),
        (Self::Quarterly, "quarterly"),
        (Self::Yearly, "yearly"),
    ];

    /// The word Juju uses.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(p, _)| *p == self)
            .map_or("never", |(_, w)| w)
    }
}

impl FromStr for SecretRotate {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(_, w)| *w == s)
            .map(|(p, _)| *p)
            .ok_or_else(|| ParseError::SecretField {
                field: "rotation policy",
                value: s.to_owned(),
            })
    }
}

/// When a revision expires (`--expire`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretExpire {
    /// At this RFC 3339 time (`2025-01-01T06:06:06Z`).
    At(String),
    /// This long after the tool runs (sent as whole seconds, `3600s`).
    In(std::time::Duration),
}

impl fmt::Display for SecretExpire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::At(t) => f.write_str(t),
            Self::In(d) => write!(f, "{}s", d.as_secs().max(1)),
        }
    }
}

/// A secret's content: keys as Juju allows them to non-empty string values. Its `Debug`
/// shows the keys only, so content never reaches a log or an error text.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretContent(std::collections::BTreeMap<String, String>);

impl SecretContent {
    /// Content for `secret-add`/`secret-set`, checked as Juju checks it (key rule
    /// `^[a-z](-?[a-z0-9]){2,}$`, no empty values).
    pub fn new(map: std::collections::BTreeMap<String, String>) -> Result<Self, ParseError> {
        for (k, v) in &map {
            if !secret_key_valid(k) {
                return Err(ParseError::SecretKey(k.clone()));
            }
            if v.is_empty() {
                return Err(ParseError::SecretEmptyValue(k.clone()));
            }
        }
        Ok(Self(map))
    }

    /// Content as Juju returned it (not re-checked).
    pub(crate) fn from_juju(map: std::collections::BTreeMap<String, String>) -> Self {
        Self(map)
    }

    /// One value.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// The map.
    pub fn as_map(&self) -> &std::collections::BTreeMap<String, String> {
        &self.0
    }

    /// The map, owned.
    pub fn into_inner(self) -> std::collections::BTreeMap<String, String> {
        self.0
    }

    /// Whether there is no key.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.keys().map(|k| (k, "<hidden>")))
            .finish()
    }
}

/// Juju's content key rule, `^([a-z](?:-?[a-z0-9]){2,})$`.
pub fn secret_key_valid(key: &str) -> bool {
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

/// One `view` grant in [`SecretInfo::access`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct SecretAccess {
    /// `application-<app>` or `unit-<app>-<n>`.
    pub target: String,
    /// The relation's tag.
    pub scope: String,
    /// `view`.
    pub role: String,
}

/// `secret-info-get`: an owned secret's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretInfo {
    /// Its id (bare, as `secret-info-get` prints it).
    pub id: SecretId,
    /// The owner label (empty when none).
    pub label: String,
    /// The latest revision.
    pub revision: u32,
    /// Who owns it.
    pub owner: SecretOwner,
    /// The description.
    pub description: Option<String>,
    /// The rotation policy.
    pub rotation: Option<SecretRotate>,
    /// When the latest revision expires (RFC 3339).
    pub expiry: Option<String>,
    /// When it next rotates (RFC 3339).
    pub rotates: Option<String>,
    /// Who may read it.
    pub access: Vec<SecretAccess>,
}
