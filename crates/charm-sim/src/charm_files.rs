//! The charm's own declarations, as Juju reads them from the charm directory: a packed
//! charm's `actions.yaml`/`config.yaml`, or the same sections of a source tree's
//! `charmcraft.yaml` when those files are absent.

use std::collections::BTreeMap;
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
