//! Small value types shared by the charm layer: relation references, unit names, statuses.

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
