//! What `juju run <unit> <action> key=value...` does before the action reaches the unit: the
//! action must be declared by the charm (`actions.yaml`, or `actions:` in `charmcraft.yaml`
//! for a source tree), each `key=value` is parsed as YAML and dotted keys nest, the schema's
//! defaults are filled in, and parameters the schema refuses never run.
//!
//! Juju validates with a JSON schema; this checks the parts charms use: `type` of each
//! parameter (string, integer, number, boolean, array, object), `required`, and
//! `additionalProperties: false`. The contract does not give Juju's exact error texts, so
//! these messages are ours.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

/// The action cannot be queued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ActionSpecError {
    /// Neither file declares actions.
    #[error("the charm in `{dir}` declares no actions (no actions.yaml, no `actions:` in charmcraft.yaml)")]
    NoActions {
        /// The charm directory.
        dir: String,
    },
    /// The declaration file is not valid.
    #[error("`{file}` is not a valid actions declaration: {reason}")]
    BadDeclaration {
        /// The file.
        file: String,
        /// Why.
        reason: String,
    },
    /// The action is not declared.
    #[error("the charm has no action `{name}` (it declares: {declared})")]
    Unknown {
        /// The action asked for.
        name: String,
        /// Those declared, comma-separated.
        declared: String,
    },
    /// A parameter is malformed or refused by the schema.
    #[error("action `{action}`: {reason}")]
    BadParam {
        /// The action.
        action: String,
        /// Why.
        reason: String,
    },
}

/// The declared actions of the charm in `dir`, as a YAML mapping of name to spec.
fn declared(dir: &Path) -> Result<serde_yaml::Mapping, ActionSpecError> {
    crate::charm_files::section(dir, "actions.yaml", &[], &["actions"])
        .map_err(|e| ActionSpecError::BadDeclaration {
            file: e.file,
            reason: e.reason,
        })?
        .ok_or_else(|| ActionSpecError::NoActions {
            dir: dir.display().to_string(),
        })
}

/// `key=value` arguments as `juju run` takes them: the value parsed as YAML, dots nesting.
pub fn parse_params(
    action: &str,
    args: &[String],
) -> Result<BTreeMap<String, Value>, ActionSpecError> {
    let bad = |reason: String| ActionSpecError::BadParam {
        action: action.to_owned(),
        reason,
    };
    let mut root = serde_json::Map::new();
    for arg in args {
        let Some((key, text)) = arg.split_once('=') else {
            return Err(bad(format!(
                "argument `{arg}` must be of the form key=value"
            )));
        };
        let value: Value = serde_yaml::from_str::<serde_yaml::Value>(text)
            .ok()
            .and_then(|v| serde_json::to_value(v).ok())
            .unwrap_or_else(|| Value::String(text.to_owned()));
        let parts: Vec<&str> = key.split('.').collect();
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad(format!("parameter name `{key}` has an empty part")));
        }
        let mut at = &mut root;
        for part in &parts[..parts.len() - 1] {
            let next = at
                .entry((*part).to_owned())
                .or_insert_with(|| Value::Object(Default::default()));
            let Value::Object(m) = next else {
                return Err(bad(format!(
                    "`{key}`: `{part}` is given a value and nested keys"
                )));
            };
            at = m;
        }
        at.insert(parts[parts.len() - 1].to_owned(), value);
    }
    Ok(root.into_iter().collect())
}

fn type_ok(want: &str, v: &Value) -> bool {
    match want {
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// The parameters the action runs with: `given` checked against the declaration of `name`
/// in the charm at `dir`, with the schema's defaults filled in.
pub fn resolve(
    dir: &Path,
    name: &str,
    given: BTreeMap<String, Value>,
) -> Result<BTreeMap<String, Value>, ActionSpecError> {
    let actions = declared(dir)?;
    let Some(spec) = actions.get(name) else {
        let names: Vec<&str> = actions.keys().filter_map(|k| k.as_str()).collect();
        return Err(ActionSpecError::Unknown {
            name: name.to_owned(),
            declared: names.join(", "),
        });
    };
    let spec: Value = serde_json::to_value(spec).unwrap_or(Value::Null);
    let bad = |reason: String| ActionSpecError::BadParam {
        action: name.to_owned(),
        reason,
    };
    let schema = spec.get("params").and_then(Value::as_object);
    let mut params = given;
    for (key, value) in &params {
        match schema.and_then(|s| s.get(key)) {
            Some(p) => {
                if let Some(t) = p.get("type").and_then(Value::as_str) {
                    if !type_ok(t, value) {
                        return Err(bad(format!(
                            "parameter `{key}` must be of type {t}, not {value}"
                        )));
                    }
                }
            }
            None if spec.get("additionalProperties") == Some(&Value::Bool(false)) => {
                return Err(bad(format!(
                    "no parameter `{key}` (additionalProperties is false)"
                )));
            }
            None => {}
        }
    }
    for (key, p) in schema.into_iter().flatten() {
        if let (false, Some(default)) = (params.contains_key(key), p.get("default")) {
            params.insert(key.clone(), default.clone());
        }
    }
    for key in spec
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(k) = key.as_str().filter(|k| !params.contains_key(*k)) {
            return Err(bad(format!("parameter `{k}` is required")));
        }
    }
    Ok(params)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn charm(actions_yaml: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(dir.path().join("actions.yaml"), actions_yaml).expect("write");
        dir
    }

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn values_are_yaml_and_dots_nest() {
        let p = parse_params(
            "a",
            &args(&["n=3", "s=hello", "b=true", "x.y=1.5", "x.z=", "q='7'"]),
        )
        .expect("parses");
        assert_eq!(
            serde_json::to_value(&p).expect("json"),
            serde_json::json!({"n": 3, "s": "hello", "b": true, "x": {"y": 1.5, "z": null}, "q": "7"})
        );
        assert!(parse_params("a", &args(&["novalue"])).is_err());
        assert!(parse_params("a", &args(&["x=1", "x.y=2"])).is_err());
    }

    #[test]
    fn declared_actions_get_defaults_and_checks() {
        let dir = charm(
            "backup:\n  params:\n    target: {type: string, default: s3}\n    keep: {type: integer}\n  required: [keep]\n  additionalProperties: false\nlist-receivers: {description: x}\n",
        );
        let given = parse_params("backup", &args(&["keep=3"])).expect("parses");
        let p = resolve(dir.path(), "backup", given).expect("valid");
        assert_eq!(
            serde_json::to_value(&p).expect("json"),
            serde_json::json!({"keep": 3, "target": "s3"})
        );
        for (a, why) in [
            (&["keep=three"][..], "must be of type integer"),
            (&[][..], "`keep` is required"),
            (&["keep=1", "other=1"][..], "no parameter `other`"),
        ] {
            let e = resolve(
                dir.path(),
                "backup",
                parse_params("backup", &args(a)).expect("parses"),
            )
            .expect_err("refused")
            .to_string();
            assert!(e.contains(why), "{e}");
        }
        let e = resolve(dir.path(), "restore", BTreeMap::new())
            .expect_err("unknown")
            .to_string();
        assert!(e.contains("backup, list-receivers"), "{e}");
        let e = resolve(
            tempfile::tempdir().expect("dir").path(),
            "x",
            BTreeMap::new(),
        )
        .expect_err("none")
        .to_string();
        assert!(e.contains("declares no actions"), "{e}");
    }

    #[test]
    fn a_source_tree_declares_them_in_charmcraft_yaml() {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("charmcraft.yaml"),
            "type: charm\nactions:\n  go: {}\n",
        )
        .expect("write");
        assert!(resolve(dir.path(), "go", BTreeMap::new())
            .expect("declared")
            .is_empty());
    }
}
