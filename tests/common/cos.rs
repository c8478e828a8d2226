//! Checks of the COS values the recordings redact (Canonical's alert rules and dashboards,
//! which ours replace): the envelope and naming compared with Python's, the content decoded
//! and checked for what Prometheus and Grafana need. And promtool, fetched as nginx is.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::Value;

use super::ROOT;

/// A dashboard's `content` decoded as Grafana does: base64, xz, JSON.
pub fn decode_dashboard(content: &str) -> Result<Value, String> {
    let xz = base64::engine::general_purpose::STANDARD
        .decode(content)
        .map_err(|e| format!("content is not base64: {e}"))?;
    let mut text = String::new();
    liblzma::read::XzDecoder::new(&xz[..])
        .read_to_string(&mut text)
        .map_err(|e| format!("content is not xz of UTF-8: {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("decoded content is not JSON: {e}"))
}

/// What Grafana needs of a dashboard: a uid, a title, a schemaVersion, panels each with an
/// id, a type, a title and a position, and queries on the COS datasource variables.
pub fn check_dashboard_json(d: &Value) -> Result<(), String> {
    let uid = d["uid"].as_str().ok_or("no uid")?;
    if uid.is_empty() || uid.len() > 40 {
        return Err(format!("uid `{uid}` is not 1 to 40 characters"));
    }
    d["title"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or("no title")?;
    d["schemaVersion"].as_u64().ok_or("no schemaVersion")?;
    let panels = d["panels"]
        .as_array()
        .filter(|p| !p.is_empty())
        .ok_or("no panels")?;
    let vars: Vec<&str> = d["templating"]["list"]
        .as_array()
        .ok_or("no templating list")?
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    for v in ["prometheusds", "lokids"] {
        if !vars.contains(&v) {
            return Err(format!("no `{v}` template variable"));
        }
    }
    let mut ids = std::collections::BTreeSet::new();
    for p in panels {
        let title = p["title"].as_str().ok_or("a panel without title")?;
        if !ids.insert(
            p["id"]
                .as_u64()
                .ok_or(format!("panel `{title}` has no id"))?,
        ) {
            return Err(format!("panel `{title}` repeats an id"));
        }
        p["type"]
            .as_str()
            .ok_or(format!("panel `{title}` has no type"))?;
        for k in ["h", "w", "x", "y"] {
            p["gridPos"][k]
                .as_u64()
                .ok_or(format!("panel `{title}` has no gridPos.{k}"))?;
        }
        if p["type"] == "row" {
            continue;
        }
        if p["datasource"]["uid"] != "${prometheusds}" {
            return Err(format!("panel `{title}` does not query ${{prometheusds}}"));
        }
        let targets = p["targets"].as_array().filter(|t| !t.is_empty());
        for t in targets.ok_or(format!("panel `{title}` has no query"))? {
            t["expr"]
                .as_str()
                .filter(|e| !e.is_empty())
                .ok_or(format!("panel `{title}` has an empty query"))?;
        }
    }
    Ok(())
}

/// Whether `s` has a uuid4's shape.
pub fn is_uuid4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && s.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit())
        && parts[2].starts_with('4')
        && matches!(&parts[3][..1], "8" | "9" | "a" | "b")
}

/// `dashboards`: the envelope's keys and values equal Python's but the uuid (a uuid4) and
/// each `content`, which must decode to a valid dashboard with Python's uid and tags (the
/// uid is the library's path-based one: a `juju refresh` replaces the dashboards in place).
pub fn check_dashboards(_: &str, _: &str, ours: &str, python: &str) -> Result<(), String> {
    let o: Value = serde_json::from_str(ours).map_err(|e| format!("ours is not JSON: {e}"))?;
    let p: Value = serde_json::from_str(python).map_err(|e| format!("python's: {e}"))?;
    let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
    if keys(&o) != keys(&p) {
        return Err(format!("envelope keys {:?} vs {:?}", keys(&o), keys(&p)));
    }
    if !o["uuid"].as_str().is_some_and(is_uuid4) {
        return Err(format!("uuid {} is not a uuid4", o["uuid"]));
    }
    if keys(&o["templates"]) != keys(&p["templates"]) {
        return Err(format!(
            "templates {:?} vs {:?}",
            keys(&o["templates"]),
            keys(&p["templates"])
        ));
    }
    for (name, t) in o["templates"].as_object().into_iter().flatten() {
        let pt = &p["templates"][name];
        if keys(t) != keys(pt) {
            return Err(format!("{name}: keys {:?} vs {:?}", keys(t), keys(pt)));
        }
        for (k, v) in t.as_object().into_iter().flatten() {
            if k != "content" && v != &pt[k] {
                return Err(format!("{name}: `{k}` is {v}, python's {}", pt[k]));
            }
        }
        let d = decode_dashboard(t["content"].as_str().ok_or("content is not a string")?)
            .map_err(|e| format!("{name}: {e}"))?;
        check_dashboard_json(&d).map_err(|e| format!("{name}: {e}"))?;
        for k in ["uid", "tags"] {
            if d[k] != pt["content"][k] {
                return Err(format!("{name}: {k} {} vs {}", d[k], pt["content"][k]));
            }
        }
    }
    Ok(())
}

/// cosl's group-name sanitising (`[^a-zA-Z0-9_:]` becomes `_`).
fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// `alert_rules`: a rule file; its groups cover the same applications as Python's, named as
/// cosl names them (`<model>_<uuid[:8]>_<app>_<group>_rules`, Python's worker group names
/// exactly); every rule carries that application's juju_* labels with Python's values, a
/// severity, a summary and a description, an expression and a name.
pub fn check_alert_rules(_: &str, _: &str, ours: &str, python: &str) -> Result<(), String> {
    let o: Value = serde_json::from_str(ours).map_err(|e| format!("ours is not JSON: {e}"))?;
    let p: Value = serde_json::from_str(python).map_err(|e| format!("python's: {e}"))?;
    if o.as_object().map(|m| m.keys().collect::<Vec<_>>()) != Some(vec![&"groups".to_string()]) {
        return Err("ours is not {\"groups\": [...]}".into());
    }
    // Python's topology per application, and each application's group-name prefix.
    let mut apps: std::collections::BTreeMap<String, Value> = Default::default();
    let mut python_names = Vec::new();
    for g in p["groups"].as_array().into_iter().flatten() {
        python_names.push(g["name"].as_str().unwrap_or_default().to_owned());
        for r in g["rules"].as_array().into_iter().flatten() {
            let t = &r["topology_labels"];
            if let Some(app) = t["juju_application"].as_str() {
                apps.insert(app.to_owned(), t.clone());
            }
        }
    }
    let mut covered = std::collections::BTreeSet::new();
    let mut ours_names = Vec::new();
    for g in o["groups"].as_array().ok_or("groups is not a list")? {
        let name = g["name"].as_str().ok_or("a group without name")?;
        ours_names.push(name.to_owned());
        if !name.ends_with("_rules") || sanitize(name) != name {
            return Err(format!("group `{name}` is not named as cosl names groups"));
        }
        let (app, topology) = apps
            .iter()
            .filter(|(_, t)| {
                let prefix = sanitize(&format!(
                    "{}_{}_{}_",
                    t["juju_model"].as_str().unwrap_or_default(),
                    &t["juju_model_uuid"].as_str().unwrap_or_default()[..8],
                    t["juju_application"].as_str().unwrap_or_default()
                ));
                name.starts_with(&prefix)
            })
            .max_by_key(|(a, _)| a.len())
            .ok_or(format!(
                "group `{name}` names none of Python's applications"
            ))?;
        covered.insert(app.clone());
        let rules = g["rules"].as_array().filter(|r| !r.is_empty());
        for r in rules.ok_or(format!("group `{name}` has no rules"))? {
            let alert = r["alert"]
                .as_str()
                .ok_or(format!("{name}: a rule without alert"))?;
            r["expr"]
                .as_str()
                .filter(|e| !e.is_empty())
                .ok_or(format!("{alert}: no expr"))?;
            for (k, v) in topology.as_object().into_iter().flatten() {
                if &r["labels"][k] != v {
                    return Err(format!(
                        "{alert}: label {k} is {}, python's {v}",
                        r["labels"][k]
                    ));
                }
            }
            r["labels"]["severity"]
                .as_str()
                .ok_or(format!("{alert}: no severity"))?;
            for a in ["summary", "description"] {
                r["annotations"][a]
                    .as_str()
                    .ok_or(format!("{alert}: no {a} annotation"))?;
            }
        }
    }
    let want: std::collections::BTreeSet<String> = apps.keys().cloned().collect();
    if covered != want {
        return Err(format!("groups for {covered:?}, python's for {want:?}"));
    }
    for n in python_names
        .iter()
        .filter(|n| n.ends_with("_tempo_alerts_rules"))
    {
        if !ours_names.contains(n) {
            return Err(format!("no group `{n}` (python's worker group name)"));
        }
    }
    Ok(())
}

/// promtool (Debian's `prometheus` package), fetched under `target/promtool` by
/// `tests/promtool/fetch-promtool.sh` when missing, or `PROMTOOL=/path`. Under CI (`CI` set)
/// a missing promtool fails; elsewhere the check says so and is skipped.
pub fn promtool() -> Option<&'static Path> {
    static P: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = P.get_or_init(|| {
        if let Some(p) = std::env::var_os("PROMTOOL") {
            return Ok(PathBuf::from(p));
        }
        let dir = Path::new(ROOT).join("target/promtool");
        let bin = dir.join("promtool");
        if !bin.is_file() {
            let out = Command::new(Path::new(ROOT).join("tests/promtool/fetch-promtool.sh"))
                .arg(&dir)
                .output()
                .map_err(|e| format!("cannot run tests/promtool/fetch-promtool.sh: {e}"))?;
            if !out.status.success() {
                return Err(format!(
                    "tests/promtool/fetch-promtool.sh failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
        }
        Ok(bin)
    });
    match found {
        Ok(p) => Some(p.as_path()),
        Err(why) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must check the alert rules with promtool, but: {why}"
            );
            eprintln!("SKIPPED: no promtool: {why}");
            None
        }
    }
}

/// `promtool check rules` on a rule file's text; `Err` with promtool's words.
pub fn promtool_check(promtool: &Path, name: &str, text: &str) -> Result<String, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join(name);
    std::fs::write(&file, text).map_err(|e| e.to_string())?;
    let out = Command::new(promtool)
        .args(["check", "rules"])
        .arg(&file)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", promtool.display()))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(said)
    } else {
        Err(said)
    }
}
