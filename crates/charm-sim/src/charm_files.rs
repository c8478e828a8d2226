//! The charm's own declarations, as Juju reads them from the charm directory: a packed
//! charm's `actions.yaml`/`config.yaml`, or the same sections of a source tree's
//! `charmcraft.yaml` when those files are absent.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

/// A declaration file that is not valid YAML or not shaped as Juju expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{file}` is not a valid declaration: {reason}")]
pub struct DeclarationError {
    /// The file.
    pub file: String,
    /// Why.
    pub reason: String,
}

/// The mapping at `path` inside `file` (the whole file for an empty path), else the one at
/// `fallback` inside charmcraft.yaml; `None` when neither declares it.
pub fn section(
    dir: &Path,
    file: &str,
    path: &[&str],
    fallback: &[&str],
) -> Result<Option<serde_yaml::Mapping>, DeclarationError> {
    for (name, keys) in [(file, path), ("charmcraft.yaml", fallback)] {
        let p = dir.join(name);
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let bad = |reason: String| DeclarationError {
            file: p.display().to_string(),
            reason,
        };
        let mut v: serde_yaml::Value =
            serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
        for k in keys {
            v = v.get(k).cloned().unwrap_or(serde_yaml::Value::Null);
        }
        match v {
            serde_yaml::Value::Mapping(m) => return Ok(Some(m)),
            serde_yaml::Value::Null => continue,
            _ => return Err(bad(format!("`{}` is not a mapping", keys.join(".")))),
        }
    }
    Ok(None)
}

/// Each config option's default, as `config-get` reports an option nobody set (options
/// without a default are absent, as in Juju).
pub fn config_defaults(dir: &Path) -> Result<BTreeMap<String, Value>, DeclarationError> {
    let options = section(dir, "config.yaml", &["options"], &["config", "options"])?;
    Ok(options
        .into_iter()
        .flatten()
        .filter_map(|(name, spec)| {
            let default = spec.get("default")?;
            Some((
                name.as_str()?.to_owned(),
                serde_json::to_value(default).ok()?,
            ))
        })
        .filter(|(_, v)| !v.is_null())
        .collect())
}

/// What the charm declares in its metadata (`metadata.yaml`, or the same top-level keys of a
/// source tree's `charmcraft.yaml`): its endpoints, containers and storage, which decide
/// the hooks Juju can run for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CharmMeta {
    /// The file it was read from (`metadata.yaml` or `charmcraft.yaml`).
    pub file: String,
    /// The charm's name.
    pub name: String,
    /// Endpoints by name, with their side and `limit`.
    pub endpoints: BTreeMap<String, juju_charm::metadata::Endpoint>,
    /// Workload containers by name.
    pub containers: BTreeSet<String>,
    /// Storage by name.
    pub storage: BTreeSet<String>,
}

/// The unit's lifecycle hooks, which every charm gets, in Juju's names.
pub const LIFECYCLE_HOOKS: &[&str] = &[
    "install",
    "start",
    "stop",
    "remove",
    "config-changed",
    "upgrade-charm",
    "update-status",
    "leader-elected",
    "leader-settings-changed",
];

impl CharmMeta {
    /// Reads the metadata of the charm in `dir`: `metadata.yaml`, else `charmcraft.yaml`
    /// when that one has a `name` (a source tree); `None` when neither is there.
    pub fn read(dir: &Path) -> Result<Option<Self>, DeclarationError> {
        for name in ["metadata.yaml", "charmcraft.yaml"] {
            let path = dir.join(name);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let bad = |reason: String| DeclarationError {
                file: path.display().to_string(),
                reason,
            };
            let doc: serde_yaml::Value =
                serde_yaml::from_str(&text).map_err(|e| bad(e.to_string()))?;
            if name == "charmcraft.yaml" && doc.get("name").is_none() {
                return Ok(None);
            }
            let meta = juju_charm::Metadata::parse(&text, &path).map_err(|e| bad(e.to_string()))?;
            let names = |key: &str| -> Result<BTreeSet<String>, DeclarationError> {
                match doc.get(key) {
                    None | Some(serde_yaml::Value::Null) => Ok(BTreeSet::new()),
                    Some(serde_yaml::Value::Mapping(m)) => Ok(m
                        .keys()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect()),
                    Some(_) => Err(bad(format!("`{key}` is not a mapping"))),
                }
            };
            return Ok(Some(Self {
                file: name.to_owned(),
                name: meta.name,
                endpoints: meta.endpoints,
                containers: names("containers")?,
                storage: names("storage")?,
            }));
        }
        Ok(None)
    }

    /// The hooks an agent without `dispatch` looks for under `hooks/` (contract §1.1), as
    /// charmcraft links them: the lifecycle hooks, each endpoint's relation hooks (no
    /// relation-broken on peers), each container's Pebble hooks; sorted. No `secret-*` links:
    /// secrets came with Juju 3.0, whose agents always run `dispatch`.
    pub fn legacy_hook_names(&self) -> Vec<String> {
        let mut names: Vec<String> = LIFECYCLE_HOOKS.iter().map(|s| (*s).to_owned()).collect();
        for (name, ep) in &self.endpoints {
            for kind in ["created", "joined", "changed", "departed", "broken"] {
                if ep.role == juju_charm::metadata::Role::Peers && kind == "broken" {
                    continue;
                }
                names.push(format!("{name}-relation-{kind}"));
            }
        }
        for name in &self.containers {
            for kind in ["ready", "check-failed", "check-recovered", "custom-notice"] {
                names.push(format!("{name}-pebble-{kind}"));
            }
        }
        names.sort();
        names
    }

    /// Every hook Juju can run for this charm: the legacy ones, the secret hooks and each
    /// storage's hooks; sorted.
    pub fn hook_names(&self) -> Vec<String> {
        let mut names = self.legacy_hook_names();
        names.extend(crate::hook::SECRET_HOOKS.iter().map(|s| (*s).to_owned()));
        for name in &self.storage {
            names.push(format!("{name}-storage-attached"));
            names.push(format!("{name}-storage-detaching"));
        }
        names.sort();
        names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_come_from_config_yaml_or_charmcraft_yaml() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("charmcraft.yaml"),
            "config:\n  options:\n    a: {type: int, default: 3}\n    b: {type: string}\n",
        )
        .expect("write");
        let d = config_defaults(dir.path()).expect("valid");
        assert_eq!(
            d.into_iter().collect::<Vec<_>>(),
            [("a".to_owned(), Value::from(3))]
        );
        std::fs::write(
            dir.path().join("config.yaml"),
            "options:\n  role-all: {type: boolean, default: true}\n",
        )
        .expect("write");
        let d = config_defaults(dir.path()).expect("valid");
        assert_eq!(d.get("role-all"), Some(&Value::Bool(true)));
        assert!(
            !d.contains_key("a"),
            "config.yaml wins over charmcraft.yaml"
        );
        std::fs::write(dir.path().join("config.yaml"), "options: [1]\n").expect("write");
        assert!(config_defaults(dir.path()).is_err());
    }
}
