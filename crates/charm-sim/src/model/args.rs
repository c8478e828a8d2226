//! Argument grammar shared by every tool (flags as Juju's `gnuflag` parses them, `--format`
//! rendering) and the settings input of `relation-set` and `state-set`.

use super::*;

pub(super) type Flags = BTreeMap<&'static str, String>;

/// A flag a tool accepts: its canonical name, aliases, and whether it takes a value.
pub(super) struct Flag(
    pub(super) &'static str,
    pub(super) &'static [&'static str],
    pub(super) bool,
);

pub(super) const FORMAT: Flag = Flag("format", &["--format"], true);
pub(super) const OUTPUT: Flag = Flag("output", &["-o", "--output"], true);
pub(super) const RELATION: Flag = Flag("relation", &["-r", "--relation"], true);
pub(super) const APP: Flag = Flag("app", &["--app"], false);

impl Model {
    pub(super) fn parse(args: &[String], spec: &[&Flag]) -> Result<(Flags, Vec<String>), Response> {
        let mut flags = Flags::new();
        let mut pos = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "--" {
                pos.extend(it.by_ref().cloned());
                break;
            }
            if !a.starts_with('-') || a == "-" {
                pos.push(a.clone());
                continue;
            }
            let (name, inline) = match a.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (a.as_str(), None),
            };
            let Some(flag) = spec.iter().find(|f| f.1.contains(&name)) else {
                return Err(Response::err(
                    2,
                    format!("flag provided but not defined: {name}"),
                ));
            };
            let value = if flag.2 {
                match inline.or_else(|| it.next().cloned()) {
                    Some(v) => v,
                    None => {
                        return Err(Response::err(2, format!("flag needs an argument: {name}")))
                    }
                }
            } else {
                match inline.as_deref() {
                    None | Some("true" | "True" | "1") => "true".to_owned(),
                    Some("false" | "False" | "0") => "false".to_owned(),
                    Some(v) => {
                        return Err(Response::err(
                            2,
                            format!("invalid value {v:?} for flag {name}: parse error"),
                        ));
                    }
                }
            };
            flags.insert(flag.0, value);
        }
        if let Some(f) = flags.get("format") {
            if !matches!(f.as_str(), "smart" | "json" | "yaml") {
                return Err(Response::err(
                    2,
                    format!("invalid value {f:?} for option --format: unknown format {f:?}"),
                ));
            }
        }
        Ok((flags, pos))
    }

    pub(super) fn render(flags: &Flags, value: &Value) -> Response {
        let format = flags.get("format").map_or("smart", String::as_str);
        let out = match format {
            "json" => format!("{value}\n"),
            "yaml" => match value {
                Value::Null => String::new(),
                v => serde_yaml::to_string(v).unwrap_or_default(),
            },
            _ => match value {
                Value::Null => String::new(),
                Value::String(s) if s.is_empty() => String::new(),
                Value::String(s) => format!("{s}\n"),
                Value::Bool(b) => if *b { "True\n" } else { "False\n" }.to_owned(),
                Value::Array(a) if a.iter().all(Value::is_string) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(|s| format!("{s}\n"))
                    .collect(),
                v => serde_yaml::to_string(v).unwrap_or_default(),
            },
        };
        Response::ok(out)
    }

    pub(super) fn extra(pos: &[String]) -> Response {
        let quoted: Vec<String> = pos.iter().map(|p| format!("{p:?}")).collect();
        Response::err(2, format!("unrecognized args: [{}]", quoted.join(" ")))
    }
}

/// The settings `relation-set` and `state-set` take: a `--file` (`-` = stdin) then
/// `key=value` arguments, which override it. `None` means "needs stdin".
pub(super) fn settings_input(
    flags: &Flags,
    pos: &[String],
    stdin: Option<&[u8]>,
) -> Option<Result<Vec<(String, String)>, Response>> {
    let mut changes = Vec::new();
    if let Some(path) = flags.get("file") {
        let bytes = if path == "-" {
            stdin?.to_vec()
        } else {
            match std::fs::read(path) {
                Ok(b) => b,
                Err(e) => return Some(Err(Response::err(1, format!("cannot read {path:?}: {e}")))),
            }
        };
        match parse_settings_file(&bytes) {
            Ok(kv) => changes.extend(kv),
            Err(e) => return Some(Err(Response::err(1, e))),
        }
    }
    let mut seen = BTreeSet::new();
    for p in pos {
        let Some((k, v)) = p.split_once('=').filter(|(k, _)| !k.is_empty()) else {
            return Some(Err(Response::err(
                2,
                format!("expected \"key=value\", got {p:?}"),
            )));
        };
        if !seen.insert(k.to_owned()) {
            return Some(Err(Response::err(
                2,
                format!("key {k:?} specified more than once"),
            )));
        }
        changes.push((k.to_owned(), v.to_owned()));
    }
    Some(Ok(changes))
}

/// Parses a `relation-set --file` document: a YAML mapping whose scalars become their text.
fn parse_settings_file(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_slice(bytes).map_err(|e| format!("cannot parse settings file: {e}"))?;
    let map = match doc {
        serde_yaml::Value::Null => return Ok(Vec::new()),
        serde_yaml::Value::Mapping(m) => m,
        _ => return Err("cannot parse settings file: expected a mapping of strings".into()),
    };
    let text = |v: &serde_yaml::Value| -> Result<String, String> {
        Ok(match v {
            serde_yaml::Value::String(s) => s.clone(),
            serde_yaml::Value::Bool(b) => b.to_string(),
            serde_yaml::Value::Number(n) => n.to_string(),
            serde_yaml::Value::Null => String::new(),
            _ => return Err("cannot parse settings file: values must be strings".into()),
        })
    };
    map.iter().map(|(k, v)| Ok((text(k)?, text(v)?))).collect()
}
