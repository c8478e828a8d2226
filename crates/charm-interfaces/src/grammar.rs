//! Strict grammars for values that come from remote units or applications and end up in a
//! file (nginx.conf, Tempo's YAML, a Pebble layer, a scrape job), a URL or a name.
//!
//! Each type parses with [`FromStr`] (`"...".parse::<DnsName>()`), normalises once (host names
//! lower-cased, a trailing dot dropped, IPv6 bracketed wherever a port may follow), and its
//! [`Display`](fmt::Display) is the normalised form: use that, never the raw input. Every
//! accepted value is made of `[a-z0-9.:\[\]-]` (hosts) plus, in URL paths, the unreserved and
//! a few sub-delimiter characters, so no accepted value can carry `$`, `{`, `}`, `;`, quotes,
//! spaces, backslashes or control characters into a configuration file (nginx expands
//! `$variables` even inside quoted arguments, so quoting is not enough).
//!
//! ```
//! use charm_interfaces::grammar::{Host, HostPort, HttpUrl};
//! let h: Host = "Worker-0.Worker-Endpoints.cos.svc.cluster.local.".parse().unwrap();
//! assert_eq!(h.to_string(), "worker-0.worker-endpoints.cos.svc.cluster.local");
//! let v6: HostPort = "[FD00::1]:3200".parse().unwrap();
//! assert_eq!(v6.to_string(), "[fd00::1]:3200");
//! let u: HttpUrl = "HTTP://Prom-0.prom:9090/api/v1/write".parse().unwrap();
//! assert_eq!(u.to_string(), "http://prom-0.prom:9090/api/v1/write");
//! assert!("http://p/$host".parse::<HttpUrl>().is_err());
//! ```
//!
//! Errors say what is wrong, never quote the input (callers name the key and the remote unit,
//! and may quote it truncated when the relation carries no secret).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Longest DNS name (RFC 1035 §2.3.4, without the trailing dot).
pub const MAX_DNS_NAME: usize = 253;
/// Longest DNS label.
pub const MAX_LABEL: usize = 63;
/// Longest URL accepted.
pub const MAX_URL: usize = 2048;
/// Longest Juju application name accepted.
pub const MAX_APP_NAME: usize = 128;

/// Why a value does not fit its grammar. The messages never quote the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrammarError {
    /// Nothing given.
    #[error("is empty")]
    Empty,
    /// Longer than the grammar allows.
    #[error("is longer than {max} bytes")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// Not a DNS name of RFC 1123 labels.
    #[error(
        "is not a DNS name (labels of a-z, 0-9 and inner `-`, 1 to 63 characters each, 253 in all)"
    )]
    DnsName,
    /// Not a host (DNS name, IPv4 or bracketed IPv6 literal).
    #[error("is not a DNS name, an IPv4 address or an IPv6 address")]
    Host,
    /// A port that is not a number in 1..=65535.
    #[error("has a port that is not a number from 1 to 65535")]
    Port,
    /// A scheme other than the ones allowed.
    #[error("is not an http:// or https:// URL")]
    Scheme,
    /// A URL part that this kind of URL may not have.
    #[error("has {0}, which is not allowed here")]
    Part(&'static str),
    /// A path with characters outside the safe set.
    #[error(
        "has a path with characters other than letters, digits, `-._~/%:@+,=!` (or a bad %-escape)"
    )]
    Path,
    /// Not a Juju application name.
    #[error("is not a Juju application name (lower-case letters, digits and `-`, starting with a letter)")]
    AppName,
    /// Not a Juju unit name.
    #[error("is not a Juju unit name (`<application>/<number>`)")]
    UnitName,
}

/// Whether a name's last label reads as a number (`a.0`, `a.0x1f`): URL parsers (WHATWG,
/// so pydantic's and the `url` crate's) then take the whole host for an IPv4 address and
/// refuse it, and RFC 1123 §2.1 rules out all-numeric top-level labels.
fn ends_in_a_number(s: &str) -> bool {
    let last = s.rsplit('.').next().unwrap_or_default();
    let hex = last
        .strip_prefix("0x")
        .or_else(|| last.strip_prefix("0X"))
        .is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
}

fn dns_ok(s: &str) -> bool {
    s.len() <= MAX_DNS_NAME
        && !ends_in_a_number(s)
        && s.split('.').all(|l| {
            let b = l.as_bytes();
            !b.is_empty()
                && b.len() <= MAX_LABEL
                && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
                && b[0] != b'-'
                && b[b.len() - 1] != b'-'
        })
}

/// A DNS name of RFC 1123 labels, lower-cased, without a trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DnsName(String);

impl DnsName {
    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// Its first label (`worker-0` of `worker-0.worker-endpoints.cos.svc`).
    pub fn first_label(&self) -> &str {
        self.0.split('.').next().unwrap_or_default()
    }
}

impl FromStr for DnsName {
    type Err = GrammarError;
    fn from_str(s: &str) -> Result<Self, GrammarError> {
        if s.is_empty() {
            return Err(GrammarError::Empty);
        }
        if s.len() > MAX_DNS_NAME + 1 {
            return Err(GrammarError::TooLong { max: MAX_DNS_NAME });
        }
        let s = s.strip_suffix('.').unwrap_or(s);
        if !dns_ok(s) {
            return Err(GrammarError::DnsName);
        }
        Ok(Self(s.to_ascii_lowercase()))
    }
}

impl fmt::Display for DnsName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A host: a DNS name or an IP literal. Its [`Display`](fmt::Display) is the form that goes
/// before `:port` (IPv6 bracketed: `[fd00::1]`); [`Host::bare`] is the form without brackets.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Host {
    /// A DNS name.
    Dns(DnsName),
    /// An IPv4 literal (dotted quad).
    Ipv4(Ipv4Addr),
    /// An IPv6 literal.
    Ipv6(Ipv6Addr),
}

impl Host {
    /// The host without IPv6 brackets (`fd00::1`), e.g. for a TLS server name or a log line.
    pub fn bare(&self) -> String {
        match self {
            Self::Dns(d) => d.0.clone(),
            Self::Ipv4(a) => a.to_string(),
            Self::Ipv6(a) => a.to_string(),
        }
    }
    /// Whether it is an IP literal.
    pub fn is_ip(&self) -> bool {
        !matches!(self, Self::Dns(_))
    }
    /// A name for it made of `[a-z0-9-]` only, for identifiers (`10-0-0-1`, `fd00--1`,
    /// `prom-0` for `prom-0.prom-endpoints.cos.svc`: the first label). Different hosts may
    /// share it: callers that use it as a key must make it unique.
    pub fn label(&self) -> String {
        match self {
            Self::Dns(d) => d.first_label().to_owned(),
            Self::Ipv4(a) => a.to_string().replace('.', "-"),
            Self::Ipv6(a) => a.to_string().replace(':', "-"),
        }
    }
}

impl FromStr for Host {
    type Err = GrammarError;
    /// Accepts `name`, `1.2.3.4`, `[::1]` and `::1`.
    fn from_str(s: &str) -> Result<Self, GrammarError> {
        if s.is_empty() {
            return Err(GrammarError::Empty);
        }
        if s.len() > MAX_DNS_NAME + 1 {
            return Err(GrammarError::TooLong { max: MAX_DNS_NAME });
        }
        if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            return inner
                .parse::<Ipv6Addr>()
                .map(Self::Ipv6)
                .map_err(|_| GrammarError::Host);
        }
        if s.contains(':') {
            return s
                .parse::<Ipv6Addr>()
                .map(Self::Ipv6)
                .map_err(|_| GrammarError::Host);
        }
        if s.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            // All digits and dots: an IPv4 literal or nothing (`1.2.3` is refused, as URL
            // parsers would read it as an IPv4 address with elided parts).
            return s
                .parse::<Ipv4Addr>()
                .map(Self::Ipv4)
                .map_err(|_| GrammarError::Host);
        }
        s.parse::<DnsName>()
            .map(Self::Dns)
            .map_err(|_| GrammarError::Host)
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dns(d) => f.write_str(&d.0),
            Self::Ipv4(a) => write!(f, "{a}"),
            Self::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

fn port(s: &str) -> Result<u16, GrammarError> {
    if s.is_empty() || s.len() > 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(GrammarError::Port);
    }
    match s.parse::<u16>() {
        Ok(p) if p > 0 => Ok(p),
        _ => Err(GrammarError::Port),
    }
}

/// A host with an optional port: `name`, `name:80`, `1.2.3.4:80`, `[::1]:80` (an IPv6
/// literal with a port must be bracketed; without one, brackets are optional).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostPort {
    /// The host.
    pub host: Host,
    /// The port, if given.
    pub port: Option<u16>,
}

impl FromStr for HostPort {
    type Err = GrammarError;
    fn from_str(s: &str) -> Result<Self, GrammarError> {
        if s.is_empty() {
            return Err(GrammarError::Empty);
        }
        if s.len() > MAX_DNS_NAME + 8 {
            return Err(GrammarError::TooLong {
                max: MAX_DNS_NAME + 8,
            });
        }
        if s.starts_with('[') {
            let (h, rest) = match s.find(']') {
                Some(i) => s.split_at(i + 1),
                None => return Err(GrammarError::Host),
            };
            let host = h.parse()?;
            let port = match rest {
                "" => None,
                r => Some(port(r.strip_prefix(':').ok_or(GrammarError::Host)?)?),
            };
            return Ok(Self { host, port });
        }
        match s.matches(':').count() {
            0 => Ok(Self {
                host: s.parse()?,
                port: None,
            }),
            1 => {
                let (h, p) = s.split_once(':').unwrap_or((s, ""));
                Ok(Self {
                    host: h.parse()?,
                    port: Some(port(p)?),
                })
            }
            // Several colons and no brackets: a bare IPv6 literal, without a port.
            _ => Ok(Self {
                host: s.parse()?,
                port: None,
            }),
        }
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.port {
            Some(p) => write!(f, "{}:{p}", self.host),
            None => write!(f, "{}", self.host),
        }
    }
}

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scheme {
    /// `http`.
    Http,
    /// `https`.
    Https,
}

impl Scheme {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
    /// Its default port.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Http => 80,
            Self::Https => 443,
        }
    }
}

impl FromStr for Scheme {
    type Err = GrammarError;
    /// `http` or `https`, in any case.
    fn from_str(s: &str) -> Result<Self, GrammarError> {
        if s.eq_ignore_ascii_case("http") {
            Ok(Self::Http)
        } else if s.eq_ignore_ascii_case("https") {
            Ok(Self::Https)
        } else {
            Err(GrammarError::Scheme)
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn path_ok(p: &str) -> bool {
    let b = p.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |j: usize| b.get(j).is_some_and(u8::is_ascii_hexdigit);
                if !(hex(i + 1) && hex(i + 2)) {
                    return false;
                }
                i += 3;
                continue;
            }
            c if c.is_ascii_alphanumeric() => {}
            b'-' | b'.' | b'_' | b'~' | b'/' | b':' | b'@' | b'+' | b',' | b'=' | b'!' => {}
            _ => return false,
        }
        i += 1;
    }
    true
}

/// An `http://` or `https://` URL with only a host, an optional port and an optional path:
/// no user info, query or fragment; the path of `[A-Za-z0-9-._~/:@+,=!]` and `%XX` escapes
/// only, starting with `/` when present. The scheme and host are lower-cased; the path is
/// kept as given.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HttpUrl {
    /// The scheme.
    pub scheme: Scheme,
    /// The host and port.
    pub authority: HostPort,
    /// The path (`""` or starting with `/`).
    pub path: String,
}

impl HttpUrl {
    /// The port, the scheme's default when none is given.
    pub fn port_or_default(&self) -> u16 {
        self.authority.port.unwrap_or(self.scheme.default_port())
    }
    /// The host.
    pub fn host(&self) -> &Host {
        &self.authority.host
    }
}

impl FromStr for HttpUrl {
    type Err = GrammarError;
    fn from_str(s: &str) -> Result<Self, GrammarError> {
        if s.is_empty() {
            return Err(GrammarError::Empty);
        }
        if s.len() > MAX_URL {
            return Err(GrammarError::TooLong { max: MAX_URL });
        }
        let (scheme, rest) = s.split_once("://").ok_or(GrammarError::Scheme)?;
        let scheme: Scheme = scheme.parse()?;
        if rest.contains('?') {
            return Err(GrammarError::Part("a query"));
        }
        if rest.contains('#') {
            return Err(GrammarError::Part("a fragment"));
        }
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        if authority.contains('@') {
            return Err(GrammarError::Part("user info"));
        }
        let authority: HostPort = authority.parse()?;
        if !path_ok(path) {
            return Err(GrammarError::Path);
        }
        Ok(Self {
            scheme,
            authority,
            path: path.to_owned(),
        })
    }
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority, self.path)
    }
}

/// A Juju application name: lower-case letters, digits and `-`, starting with a letter, no
/// `-` at the end nor twice in a row, each `-`-separated part after the first holding a
/// letter (Juju's own rule, so `app-1` is refused: it would read as a unit).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AppName(String);

impl AppName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AppName {
    type Err = GrammarError;
    fn from_str(s: &str) -> Result<Self, GrammarError> {
        if s.is_empty() {
            return Err(GrammarError::Empty);
        }
        if s.len() > MAX_APP_NAME {
            return Err(GrammarError::TooLong { max: MAX_APP_NAME });
        }
        let mut parts = s.split('-');
        let first = parts.next().unwrap_or_default();
        let first_ok = first.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
            && first
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = parts.all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                && p.bytes().any(|b| b.is_ascii_lowercase())
        });
        if first_ok && rest_ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(GrammarError::AppName)
        }
    }
}

impl fmt::Display for AppName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Juju unit name, `<application>/<number>`, with the application as [`AppName`] checks it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnitName {
    /// The application.
    pub app: AppName,
    /// The unit's number.
    pub number: u32,
}

impl UnitName {
    /// `app-N`: the name with `/` as `-`, for identifiers and paths (unique, since an
    /// application name never ends in `-<digits>`).
    pub fn dashed(&self) -> String {
        format!("{}-{}", self.app, self.number)
    }
}

impl FromStr for UnitName {
    type Err = GrammarError;
    fn from_str(s: &str) -> Result<Self, GrammarError> {
        let (app, n) = s.split_once('/').ok_or(GrammarError::UnitName)?;
        let app = app.parse().map_err(|_| GrammarError::UnitName)?;
        if n.is_empty() || n.len() > 10 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(GrammarError::UnitName);
        }
        if n.len() > 1 && n.starts_with('0') {
            return Err(GrammarError::UnitName);
        }
        let number = n.parse().map_err(|_| GrammarError::UnitName)?;
        Ok(Self { app, number })
    }
}

impl fmt::Display for UnitName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.app, self.number)
    }
}

/// A value that must never be shown: its `Debug` and `Display` print `<redacted>`. For
/// secret-bearing relation data (S3 keys, TLS private keys): hold it in this type from the
/// moment it is read, and call [`Secret::expose`] only where it is written to its consumer.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself, for the one place that hands it to its consumer.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_rfc1123_and_lower_cased() {
        for (input, want) in [
            ("a", "a"),
            ("Worker-0.Cos.SVC.", "worker-0.cos.svc"),
            ("1a.example", "1a.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ] {
            assert_eq!(input.parse::<DnsName>().unwrap().as_str(), want);
        }
        let long_label = "a".repeat(64);
        let long_name = [
            "a".repeat(63),
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(62),
        ]
        .join(".");
        assert_eq!(long_name.len(), 254);
        for bad in [
            "",
            "-a",
            "a-",
            "a..b",
            ".a",
            "a_b",
            "a b",
            "a$b",
            "a;b",
            "a{b}",
            "é.example",
            "a\n",
            "a.0",
            "a.0x1f",
            "1",
            long_label.as_str(),
            long_name.as_str(),
        ] {
            assert!(bad.parse::<DnsName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn hosts_bracket_ipv6_before_a_port() {
        let h = |s: &str| s.parse::<Host>();
        assert_eq!(
            h("10.0.0.1").unwrap(),
            Host::Ipv4(Ipv4Addr::new(10, 0, 0, 1))
        );
        assert_eq!(h("::1").unwrap().to_string(), "[::1]");
        assert_eq!(h("[FD00::A]").unwrap().to_string(), "[fd00::a]");
        assert_eq!(h("[FD00::A]").unwrap().bare(), "fd00::a");
        assert_eq!(h("fd00::1").unwrap().label(), "fd00--1");
        assert_eq!(h("10.0.0.1").unwrap().label(), "10-0-0-1");
        for bad in [
            "1.2.3",
            "256.1.1.1",
            "[10.0.0.1]",
            "[::1",
            "::g",
            "a:b",
            "[::1]:80",
        ] {
            assert!(h(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn host_ports() {
        let hp = |s: &str| s.parse::<HostPort>().map(|h| h.to_string());
        assert_eq!(hp("Minio:9000").unwrap(), "minio:9000");
        assert_eq!(hp("[::1]:3200").unwrap(), "[::1]:3200");
        assert_eq!(hp("::1").unwrap(), "[::1]");
        assert_eq!(hp("1.2.3.4").unwrap(), "1.2.3.4");
        for bad in [
            "a:", "a:0", "a:65536", "a:+1", "[::1]x", "[::1]:", "a:1:2x", "a b:1",
        ] {
            assert!(hp(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn urls_have_only_the_parts_they_may() {
        let u = |s: &str| s.parse::<HttpUrl>().map(|u| u.to_string());
        assert_eq!(
            u("HTTPS://Prom:9090/api/v1/write").unwrap(),
            "https://prom:9090/api/v1/write"
        );
        assert_eq!(u("http://[::1]:9090").unwrap(), "http://[::1]:9090");
        assert_eq!(u("http://10.1.2.3/a%20b").unwrap(), "http://10.1.2.3/a%20b");
        let url: HttpUrl = "https://p".parse().unwrap();
        assert_eq!(url.port_or_default(), 443);
        for (bad, why) in [
            ("ftp://p/", GrammarError::Scheme),
            ("p/x", GrammarError::Scheme),
            ("http://u:pw@p/", GrammarError::Part("user info")),
            ("http://p/?q", GrammarError::Part("a query")),
            ("http://p/#f", GrammarError::Part("a fragment")),
            ("http://p/$host", GrammarError::Path),
            ("http://p/a;b", GrammarError::Path),
            ("http://p/a'b", GrammarError::Path),
            ("http://p/a b", GrammarError::Path),
            ("http://p/%zz", GrammarError::Path),
            ("http://p/{x}", GrammarError::Path),
            ("http://p\\x/", GrammarError::Host),
            ("http:///x", GrammarError::Empty),
        ] {
            assert_eq!(bad.parse::<HttpUrl>().err(), Some(why), "{bad:?}");
        }
    }

    #[test]
    fn juju_names() {
        assert_eq!(
            "tempo-worker/12".parse::<UnitName>().unwrap().dashed(),
            "tempo-worker-12"
        );
        for ok in ["a", "tempo-worker-k8s", "a1-b2c"] {
            assert!(ok.parse::<AppName>().is_ok(), "{ok}");
        }
        for bad in ["", "1a", "a-1", "a--b", "a-", "A", "a_b", "a/b"] {
            assert!(bad.parse::<AppName>().is_err(), "{bad:?}");
        }
        for bad in ["a", "a/", "a/01", "a/-1", "a-1/0", "a/99999999999", "a/0/1"] {
            assert!(bad.parse::<UnitName>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secrets_never_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "<redacted> <redacted>");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn accepted_values_carry_no_config_syntax() {
        for input in ["a.b", "[::1]:80", "http://a:1/x~y"] {
            let shown = input
                .parse::<HttpUrl>()
                .map(|u| u.to_string())
                .or_else(|_| input.parse::<HostPort>().map(|h| h.to_string()))
                .unwrap();
            assert!(!shown.contains(['$', '{', '}', ';', '\'', '"', ' ', '\\']));
        }
    }
}
