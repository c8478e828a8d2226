//! The requirer side of the data-platform `s3` interface (v0), as
//! `charms.data_platform_libs.v0.s3.S3Requirer` speaks it and as the coordinated-workers
//! coordinator validates what it reads.
//!
//! The requirer's leader writes `bucket` (plain, `relation-<id>` unless a name is given) when the
//! relation is joined; the provider (`s3-integrator`) answers with `access-key`, `secret-key`,
//! `endpoint`, `bucket` and optionally `region` and `tls-ca-chain` (a JSON list). Each value is
//! read as JSON when it parses and as the raw string otherwise, as the library does.
//!
//! [`S3ConnectionInfo`] holds secrets: its `Debug` hides them, and nothing here logs them.

use std::fmt;

use serde_json::Value;

use crate::grammar::{GrammarError, HostPort, HttpUrl, Secret};
use juju_charm::{Databag, RelationId};

/// The coordinator's endpoint.
pub const DEFAULT_RELATION_NAME: &str = "s3";
/// Largest value read (a CA chain is the longest thing here).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// What the requirer writes when joined: the bucket it wants.
pub fn request_databag(relation: &RelationId, bucket: Option<&str>) -> Databag {
    let bucket = bucket.map_or_else(|| format!("relation-{}", relation.id), str::to_owned);
    [("bucket".to_owned(), bucket)].into()
}

/// The connection data, validated.
#[derive(Clone, PartialEq, Eq)]
pub struct S3ConnectionInfo {
    /// The endpoint: `http(s)://host[:port]` or `host[:port]`, normalised (lower-case host,
    /// IPv6 bracketed, a trailing `/` dropped).
    pub endpoint: String,
    /// The bucket (letters, digits, `.`, `_`, `-`; 1 to 255).
    pub bucket: String,
    /// The access key (secret: shown as `<redacted>`).
    pub access_key: Secret,
    /// The secret key (secret: shown as `<redacted>`).
    pub secret_key: Secret,
    /// The region, if given (letters, digits, `.`, `_`, `-`; 1 to 64).
    pub region: Option<String>,
    /// The CA chain for the endpoint, if given.
    pub tls_ca_chain: Option<Vec<String>>,
}

impl fmt::Debug for S3ConnectionInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3ConnectionInfo")
            .field("endpoint", &self.endpoint)
            .field("bucket", &self.bucket)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .field("region", &self.region)
            .field("tls_ca_chain", &self.tls_ca_chain.as_ref().map(Vec::len))
            .finish()
    }
}

/// Why the provider's data is not usable. Messages name keys, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum S3Error {
    /// Nothing yet.
    #[error("the s3 provider has not sent its data yet")]
    Empty,
    /// A required key is missing.
    #[error("the s3 data lacks `{0}`; configure the s3 provider (e.g. `juju run s3-integrator/leader sync-s3-credentials`)")]
    Missing(&'static str),
    /// A key of the wrong type.
    #[error("the s3 data's `{0}` has the wrong type")]
    WrongType(&'static str),
    /// A value too large to be real.
    #[error("the s3 data's `{0}` is larger than {MAX_VALUE_BYTES} bytes")]
    TooLarge(String),
    /// A value outside its grammar (it goes into Tempo's configuration).
    #[error("the s3 data's `{key}` {problem}; fix it in the s3 provider's configuration")]
    Invalid {
        /// The key.
        key: &'static str,
        /// What is wrong (never the value).
        problem: String,
    },
}

/// `endpoint` as Tempo can use it: `http(s)://host[:port]` or `host[:port]`, normalised.
fn endpoint(raw: &str) -> Result<String, S3Error> {
    let invalid = |problem: String| S3Error::Invalid {
        key: "endpoint",
        problem,
    };
    let trimmed = raw.strip_suffix('/').unwrap_or(raw);
    if trimmed.contains("://") {
        let url: HttpUrl = trimmed
            .parse()
            .map_err(|e: GrammarError| invalid(e.to_string()))?;
        if !url.path.is_empty() {
            return Err(invalid(
                "has a path; give the scheme, host and port only".into(),
            ));
        }
        Ok(url.to_string())
    } else {
        let hp: HostPort = trimmed
            .parse()
            .map_err(|e: GrammarError| invalid(e.to_string()))?;
        Ok(hp.to_string())
    }
}

/// A bucket or region name: `[A-Za-z0-9._-]`, 1 to `max` bytes.
fn plain_name(key: &'static str, v: String, max: usize) -> Result<String, S3Error> {
    let ok = !v.is_empty()
        && v.len() <= max
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if ok {
        Ok(v)
    } else {
        Err(S3Error::Invalid {
            key,
            problem: format!("is not 1 to {max} letters, digits, `.`, `_` or `-`"),
        })
    }
}

/// A value as the library loads it: JSON when it parses, else the raw string.
fn load(raw: &str) -> Value {
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

impl S3ConnectionInfo {
    /// Reads the provider's application databag.
    pub fn from_databag(bag: &Databag) -> Result<Self, S3Error> {
        if bag.is_empty() {
            return Err(S3Error::Empty);
        }
        if let Some((k, _)) = bag.iter().find(|(_, v)| v.len() > MAX_VALUE_BYTES) {
            return Err(S3Error::TooLarge(juju_charm::context::truncate(k, 40)));
        }
        let string = |k: &'static str| -> Result<Option<String>, S3Error> {
            match bag.get(k).map(|v| load(v)) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(S3Error::WrongType(k)),
            }
        };
        let required = |k: &'static str| string(k)?.ok_or(S3Error::Missing(k));
        let tls_ca_chain = match bag.get("tls-ca-chain").map(|v| load(v)) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(
                items
                    .into_iter()
                    .map(|i| match i {
                        Value::String(s) => Ok(s),
                        _ => Err(S3Error::WrongType("tls-ca-chain")),
                    })
                    .collect::<Result<_, _>>()?,
            ),
            Some(_) => return Err(S3Error::WrongType("tls-ca-chain")),
        };
        Ok(Self {
            endpoint: endpoint(&required("endpoint")?)?,
            bucket: plain_name("bucket", required("bucket")?, 255)?,
            access_key: Secret::new(required("access-key")?),
            secret_key: Secret::new(required("secret-key")?),
            region: string("region")?
                .map(|r| plain_name("region", r, 64))
                .transpose()?,
            tls_ca_chain,
        })
    }

    /// The CA chain as one PEM text (certificates separated by a blank line), as the
    /// coordinator hands it to the workers.
    pub fn ca_cert(&self) -> Option<String> {
        self.tls_ca_chain
            .as_ref()
            .filter(|c| !c.is_empty())
            .map(|c| c.join("\n\n"))
    }

    /// The URL scheme of the endpoint (`http`, `https`), or `""` when it has none.
    pub fn scheme(&self) -> &str {
        match self.endpoint.split_once("://") {
            Some((s, _))
                if s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
            {
                s
            }
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bag(pairs: &[(&str, &str)]) -> Databag {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn reads_like_the_library_and_hides_secrets() {
        let b = bag(&[
            ("access-key", "AKIA"),
            ("secret-key", "s3cr3t"),
            ("bucket", "tempo"),
            ("endpoint", "https://s3.example.com"),
            ("tls-ca-chain", r#"["A", "B"]"#),
        ]);
        let info = S3ConnectionInfo::from_databag(&b).unwrap();
        assert_eq!(info.scheme(), "https");
        assert_eq!(info.ca_cert().as_deref(), Some("A\n\nB"));
        let shown = format!("{info:?}");
        assert!(
            !shown.contains("AKIA") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        assert_eq!(
            S3ConnectionInfo::from_databag(&bag(&[("bucket", "x")])),
            Err(S3Error::Missing("endpoint"))
        );
        // A number where a string belongs is refused, as pydantic refuses it.
        let mut b2 = b.clone();
        b2.insert("bucket".into(), "123".into());
        assert_eq!(
            S3ConnectionInfo::from_databag(&b2),
            Err(S3Error::WrongType("bucket"))
        );
        assert_eq!(
            S3ConnectionInfo::from_databag(&Databag::new()),
            Err(S3Error::Empty)
        );
        // What reaches Tempo's configuration holds to a grammar, and errors never quote it.
        for (key, value, ok) in [
            ("endpoint", "HTTP://MinIO:9000/", Some("http://minio:9000")),
            ("endpoint", "minio.cos.svc:9000", Some("minio.cos.svc:9000")),
            ("endpoint", "[fd00::1]:9000", Some("[fd00::1]:9000")),
            ("endpoint", "http://minio:9000/path", None),
            ("endpoint", "http://user:pw@minio", None),
            ("endpoint", "minio\nbucket: other", None),
            ("endpoint", "${env:SECRET}", None),
            ("bucket", "my bucket", None),
            ("bucket", "b\"ad", None),
            ("region", "us-east-1", Some("us-east-1")),
            ("region", "a:b", None),
        ] {
            let mut b3 = b.clone();
            b3.insert(key.into(), value.into());
            let got = S3ConnectionInfo::from_databag(&b3);
            match ok {
                Some(want) => {
                    let info = got.unwrap();
                    let v = match key {
                        "endpoint" => info.endpoint,
                        "bucket" => info.bucket,
                        _ => info.region.unwrap(),
                    };
                    assert_eq!(v, want);
                }
                None => {
                    let e = got.unwrap_err().to_string();
                    assert!(e.contains(key) && !e.contains(value), "{e}");
                }
            }
        }
        assert_eq!(
            request_databag(&RelationId::new("s3", 5), None)["bucket"],
            "relation-5"
        );
    }
}
