//! The parts of `metadata.yaml` a charm consults at run time: its name and its endpoints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

/// `metadata.yaml` could not be read or does not describe a charm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// The file could not be read.
    #[error("cannot read `{path}`; a packed charm must contain metadata.yaml")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not YAML.
    #[error("`{path}` is not valid YAML")]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parse error.
        #[source]
        source: serde_yaml::Error,
    },
    /// The YAML does not have the shape of charm metadata.
    #[error("`{path}` is not charm metadata: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Which side of a relation an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Under `provides:`.
    Provides,
    /// Under `requires:`.
    Requires,
    /// Under `peers:`.
    Peers,
}

/// One endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// Its side.
    pub role: Role,
    /// Its interface name.
    pub interface: String,
    /// `limit:` as written: kept as a YAML value because libraries compare it loosely
    /// (Python's `limit != 1` accepts `1` and `1.0`).
    pub limit: Option<Value>,
    /// `optional:`.
    pub optional: bool,
}

impl Endpoint {
    /// Whether `limit` equals 1 the way Python compares it (`1` or `1.0`).
    pub fn limit_is_one(&self) -> bool {
        match &self.limit {
            Some(Value::Number(n)) => n.as_i64() == Some(1) || n.as_f64() == Some(1.0),
            _ => false,
        }
    }
}

/// Charm metadata.
#[derive(Debug, Clone, PartialEq)]
pub struct Metadata {
    /// The charm's name.
    pub name: String,
    /// Every endpoint by name.
    pub endpoints: BTreeMap<String, Endpoint>,
}

impl Metadata {
    /// Reads `<charm_dir>/metadata.yaml`.
    pub fn read(charm_dir: &Path) -> Result<Self, MetadataError> {
        let path = charm_dir.join("metadata.yaml");
        let text = std::fs::read_to_string(&path).map_err(|source| MetadataError::Io {
            path: path.clone(),
            source,
        })?;
        Self::parse(&text, &path)
    }

    /// Parses metadata text; `path` is only for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self, MetadataError> {
        let invalid = |reason: String| MetadataError::Invalid {
            path: path.to_owned(),
            reason,
        };
        let doc: Value = serde_yaml::from_str(text).map_err(|source| MetadataError::Yaml {
            path: path.to_owned(),
            source,
        })?;
        let map = doc
            .as_mapping()
            .ok_or_else(|| invalid("the document is not a mapping".into()))?;
        let name = map
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.is_empty())
            .ok_or_else(|| invalid("`name` is missing or not a string".into()))?
            .to_owned();
        let mut endpoints = BTreeMap::new();
        for (key, role) in [
            ("provides", Role::Provides),
            ("requires", Role::Requires),
            ("peers", Role::Peers),
        ] {
            let Some(section) = map.get(key) else {
                continue;
            };
            if section.is_null() {
                continue;
            }
            let section = section
                .as_mapping()
                .ok_or_else(|| invalid(format!("`{key}` is not a mapping")))?;
            for (ep_name, ep) in section {
                let ep_name = ep_name.as_str().ok_or_else(|| {
                    invalid(format!("an endpoint under `{key}` has a non-string name"))
                })?;
                let ep = ep
                    .as_mapping()
                    .ok_or_else(|| invalid(format!("endpoint `{ep_name}` is not a mapping")))?;
                let interface = ep
                    .get("interface")
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid(format!("endpoint `{ep_name}` has no `interface`")))?
                    .to_owned();
                let endpoint = Endpoint {
                    role,
                    interface,
                    limit: ep.get("limit").cloned(),
                    optional: ep.get("optional").and_then(Value::as_bool).unwrap_or(false),
                };
                if endpoints.insert(ep_name.to_owned(), endpoint).is_some() {
                    return Err(invalid(format!("endpoint `{ep_name}` is declared twice")));
                }
            }
        }
        Ok(Self { name, endpoints })
    }

    /// The endpoint named `name`, if declared.
    pub fn endpoint(&self, name: &str) -> Option<&Endpoint> {
        self.endpoints.get(name)
    }

    /// The first peer endpoint's name, if any.
    pub fn peer_endpoint(&self) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|(_, e)| e.role == Role::Peers)
            .map(|(n, _)| n.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = "
name: tester
requires:
  tempo-api: {interface: tempo_api, limit: 1}
  loose: {interface: x, limit: 1.0}
  many: {interface: x}
provides:
  out: {interface: y, optional: true}
peers:
  peers: {interface: p}
";

    #[test]
    fn endpoints_by_role_with_limits() {
        let m = Metadata::parse(META, Path::new("metadata.yaml")).unwrap();
        assert_eq!(m.name, "tester");
        assert!(m.endpoint("tempo-api").unwrap().limit_is_one());
        assert!(
            m.endpoint("loose").unwrap().limit_is_one(),
            "Python's 1.0 == 1"
        );
        assert!(!m.endpoint("many").unwrap().limit_is_one());
        assert_eq!(m.endpoint("out").unwrap().role, Role::Provides);
        assert!(m.endpoint("out").unwrap().optional);
        assert_eq!(m.peer_endpoint(), Some("peers"));
    }

    #[test]
    fn broken_metadata_is_explained() {
        for (text, needle) in [
            ("[1, 2]", "not a mapping"),
            ("requires: {}", "`name`"),
            ("name: x\nrequires: [a]", "`requires` is not a mapping"),
            ("name: x\nrequires:\n  a: {limit: 1}", "no `interface`"),
            (
                "name: x\nrequires:\n  a: {interface: i}\nprovides:\n  a: {interface: i}",
                "declared twice",
            ),
            (": : :", "not valid YAML"),
        ] {
            let err = Metadata::parse(text, Path::new("m.yaml")).unwrap_err();
            let msg = format!("{err}");
            assert!(msg.contains(needle), "{text:?}: {msg}");
        }
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = Metadata::read(Path::new("/nonexistent-charm-dir")).unwrap_err();
        assert!(err
            .to_string()
            .contains("/nonexistent-charm-dir/metadata.yaml"));
    }
}
