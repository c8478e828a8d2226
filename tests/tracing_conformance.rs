//! The tracing conformance vectors, recorded from the real Python library
//! (`charms.tempo_coordinator_k8s.v0.tracing`, LIBPATCH 11), run against our implementation
//! over charm-sim's hook tools. Expectations come only from the vector files.

use std::path::{Path, PathBuf};

use charm_interfaces::tracing::{
    EndpointError, SetupError, TracingEndpointProvider, TracingEndpointRequirer, WriteError,
};
use charm_sim::inprocess::SimRunner;
use charm_sim::model::{HookCtx, Model};
use charm_sim::State;
use juju_charm::metadata::Metadata;
use juju_charm::{HookTools, RelationId};
use serde_json::{json, Value};

const APP: &str = "tracing-test";

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/tracing")
}

fn load(name: &str, count: usize) -> Vec<Value> {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let cases = v.as_array().cloned().unwrap_or_default();
    assert_eq!(cases.len(), count, "{name} should hold {count} vectors");
    cases
}

fn id(case: &Value) -> &str {
    case["case"]["id"].as_str().unwrap_or("<no id>")
}

/// A unit of `tracing-test` with `relations` (each: remote app data, our app data).
fn tools(leader: bool, relations: &[(Value, Value)]) -> HookTools<SimRunner> {
    let rels: Vec<Value> = relations
        .iter()
        .enumerate()
        .map(|(i, (remote, local))| {
            json!({
                "id": i + 1,
                "endpoint": "tracing",
                "remote_app": format!("remote{}", i + 1),
                "remote_units": [format!("remote{}/0", i + 1)],
                "remote_app_data": remote,
                "local_app": local,
            })
        })
        .collect();
    let state: State = serde_json::from_value(json!({
        "unit": format!("{APP}/0"),
        "leader": leader,
        "relations": rels,
    }))
    .expect("a valid simulator state");
    HookTools::new(SimRunner::new(Model::new(state, HookCtx::default())))
}

/// Ends the hook (committing only on success, as Juju does) and returns each relation's
/// local application databag.
fn finish(t: HookTools<SimRunner>, ok: bool) -> Vec<Value> {
    let mut model = t.runner().clone().into_model();
    drop(t);
    model.finish(if ok { 0 } else { 1 });
    model
        .into_state()
        .relations
        .iter()
        .map(|r| serde_json::to_value(&r.local_app).expect("a databag is JSON"))
        .collect()
}

fn metadata(meta: &Value) -> Metadata {
    let mut doc = meta.as_object().cloned().unwrap_or_default();
    doc.insert("name".into(), json!(APP));
    Metadata::parse(&Value::Object(doc).to_string(), Path::new("metadata.yaml"))
        .expect("case metadata parses")
}

fn error_class(expect: &Value) -> Option<&str> {
    expect["error"]
        .as_str()
        .map(|e| e.split(':').next().unwrap_or(e))
}

fn writes(case: &Value) -> (bool, Vec<(Value, Value)>) {
    let c = &case["case"];
    let n = c["relations"].as_u64().expect("relations count") as usize;
    let existing = c["existing"].clone();
    let leader = c["leader"].as_bool().expect("leader");
    (leader, vec![(json!({}), existing); n])
}

fn check_write(
    case: &Value,
    result: Result<usize, WriteError>,
    bags: Vec<Value>,
    class: fn(&WriteError) -> &'static str,
    failures: &mut Vec<String>,
) {
    let expect = &case["expect"];
    let existing: Vec<Value> = writes(case).1.into_iter().map(|(_, l)| l).collect();
    match (result, error_class(expect)) {
        (Ok(_), None) => {
            if bags != expect["databags"].as_array().cloned().unwrap_or_default() {
                failures.push(format!(
                    "{}: wrote {bags:?}, expected {}",
                    id(case),
                    expect["databags"]
                ));
            }
        }
        (Err(e), Some(want)) => {
            if class(&e) != want {
                failures.push(format!(
                    "{}: refused as {} ({e}), library raised {want}",
                    id(case),
                    class(&e)
                ));
            }
            if bags != existing {
                failures.push(format!(
                    "{}: a refused write changed the databags: {bags:?}",
                    id(case)
                ));
            }
        }
        (Ok(_), Some(want)) => {
            failures.push(format!("{}: accepted, library raised {want}", id(case)))
        }
        (Err(e), None) => failures.push(format!(
            "{}: refused ({e}), library wrote {}",
            id(case),
            expect["databags"]
        )),
    }
}

fn report(name: &str, total: usize, failures: Vec<String>) {
    assert!(
        failures.is_empty(),
        "{} of {total} {name} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn provide_vectors_write_byte_for_byte_and_refuse_alike() {
    let cases = load("provide.json", 84);
    let meta = metadata(&json!({"provides": {"tracing": {"interface": "tracing"}}}));
    let mut failures = Vec::new();
    for case in &cases {
        let (leader, rels) = writes(case);
        let pairs: Vec<(String, String)> = case["case"]["receivers"]
            .as_array()
            .expect("receivers")
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap_or_default().to_owned(),
                    p[1].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        let t = tools(leader, &rels);
        let provider = TracingEndpointProvider::new(&t, &meta, "tracing", APP).expect("metadata");
        let result = provider.publish_receivers(&pairs);
        let bags = finish(t, result.is_ok());
        check_write(
            case,
            result,
            bags,
            |e| match e {
                WriteError::NotLeader(_) => "RuntimeError",
                WriteError::UnknownProtocol(_) => "KeyError",
                _ => "other",
            },
            &mut failures,
        );
    }
    report("provide", cases.len(), failures);
}

#[test]
fn require_vectors_write_byte_for_byte_and_refuse_alike() {
    let cases = load("require.json", 61);
    let meta = metadata(&json!({"requires": {"tracing": {"interface": "tracing", "limit": 1}}}));
    let mut failures = Vec::new();
    for case in &cases {
        let c = &case["case"];
        let (leader, rels) = writes(case);
        let protocols: Vec<&str> = c["protocols"]
            .as_array()
            .expect("protocols")
            .iter()
            .map(|p| p.as_str().unwrap_or_default())
            .collect();
        let t = tools(leader, &rels);
        let result = if c["call"] == "constructor" {
            TracingEndpointRequirer::with_protocols(&t, &meta, "tracing", APP, &protocols)
                .map(|_| 0)
        } else {
            let requirer =
                TracingEndpointRequirer::new(&t, &meta, "tracing", APP).expect("metadata");
            let relation = c["relation"]
                .as_u64()
                .map(|i| RelationId::new("tracing", i as u32 + 1));
            requirer.request_protocols(&protocols, relation.as_ref())
        };
        let bags = finish(t, result.is_ok());
        check_write(
            case,
            result,
            bags,
            |e| match e {
                WriteError::Empty => "ValueError",
                WriteError::NotLeader(_) => "DataAccessPermissionError",
                WriteError::UnknownProtocol(_) => "ValidationError",
                _ => "other",
            },
            &mut failures,
        );
    }
    report("require", cases.len(), failures);
}

fn read_relations(case: &Value) -> Vec<(Value, Value)> {
    case["case"]["relations"]
        .as_array()
        .expect("relations")
        .iter()
        .map(|r| {
            (
                r.get("remote_app_data").cloned().unwrap_or(json!({})),
                r.get("local_app_data").cloned().unwrap_or(json!({})),
            )
        })
        .collect()
}

fn setup_class(e: &SetupError) -> &'static str {
    match e {
        SetupError::NotFound(_) => "RelationNotFoundError",
        SetupError::InterfaceMismatch { .. } => "RelationInterfaceMismatchError",
        SetupError::RoleMismatch { .. } => "RelationRoleMismatchError",
        SetupError::Ambiguous(_) => "AmbiguousRelationUsageError",
        _ => "other",
    }
}

/// The constructor's outcome against the recording: the side when both accepted the
/// metadata; otherwise a failure is recorded unless both refused it alike.
fn constructed<T>(
    case: &Value,
    made: Result<T, SetupError>,
    failures: &mut Vec<String>,
) -> Option<T> {
    let expect = &case["expect"];
    match (made, error_class(expect)) {
        (Ok(side), None) => Some(side),
        (Ok(_), Some(want)) => {
            failures.push(format!(
                "{}: constructor accepted, library raised {want}",
                id(case)
            ));
            None
        }
        (Err(e), want) => {
            if want != Some(setup_class(&e)) {
                failures.push(format!(
                    "{}: constructor refused ({e}), expected {expect}",
                    id(case)
                ));
            }
            None
        }
    }
}

/// What the provider reads, as the vectors spell it; `strict` files must agree exactly,
/// CPython-only files may instead refuse a databag (it then reads as not ready).
fn provider_reads(name: &str, count: usize, strict: bool) {
    let cases = load(name, count);
    let mut failures = Vec::new();
    for case in &cases {
        let rels = read_relations(case);
        let t = tools(case["case"]["leader"].as_bool().unwrap_or(true), &rels);
        let meta = metadata(&case["case"]["meta"]);
        let expect = &case["expect"];
        let made = TracingEndpointProvider::new(&t, &meta, "tracing", APP);
        let Some(provider) = constructed(case, made, &mut failures) else {
            continue;
        };
        let requested: Vec<String> = provider
            .requested_protocols()
            .expect("tools work")
            .iter()
            .map(|p| p.to_string())
            .collect();
        let ready: Vec<bool> = (1..=rels.len())
            .map(|i| {
                provider
                    .is_requirer_ready(&RelationId::new("tracing", i as u32))
                    .expect("tools work")
            })
            .collect();
        let got = json!({"requested_protocols": requested, "is_requirer_ready": ready});
        if got != *expect && (strict || !subset_of_expected(&got, expect)) {
            failures.push(format!("{}: read {got}, expected {expect}", id(case)));
        }
        if !strict {
            refusals_say_why(case, &mut failures);
        }
    }
    report(name, cases.len(), failures);
}

/// For CPython-only inputs: refusing a databag the library accepted, or on which it crashed,
/// is allowed, so every requirer we call ready must be ready in the recording, and what we
/// collect must come from those.
fn subset_of_expected(got: &Value, expect: &Value) -> bool {
    let as_vec = |v: &Value, k: &str| v[k].as_array().cloned().unwrap_or_default();
    let ready_ok = as_vec(got, "is_requirer_ready")
        .iter()
        .zip(as_vec(expect, "is_requirer_ready"))
        .all(|(g, e)| g != &json!(true) || e == json!(true));
    let want = &expect["requested_protocols"];
    let from_ready = match want.as_array() {
        Some(want) => as_vec(got, "requested_protocols")
            .iter()
            .all(|p| want.contains(p)),
        // The library crashed on the whole call; ours answers from the ready requirers.
        None => want.get("error").is_some(),
    };
    ready_ok && from_ready
}

/// Each databag we refuse says why, naming JSON as the cause.
fn refusals_say_why(case: &Value, failures: &mut Vec<String>) {
    for (remote, _) in read_relations(case) {
        let bag: juju_charm::Databag = serde_json::from_value(remote).expect("a databag");
        if let Err(e) = charm_interfaces::tracing::TracingRequirerAppData::from_databag(&bag) {
            let msg = e.to_string();
            if !msg.contains("not JSON") && !msg.contains("entry") {
                failures.push(format!("{}: unclear refusal: {msg}", id(case)));
            }
        }
    }
}

#[test]
fn provider_reads_agree() {
    provider_reads("provider_reads.json", 88, true);
}

#[test]
fn provider_reads_of_cpython_only_json_never_crash() {
    provider_reads("provider_reads_cpython_json.json", 5, false);
}

fn endpoint_error(e: &EndpointError) -> Value {
    json!({"error": match e {
        EndpointError::Ambiguous(_) => "AmbiguousRelationUsageError",
        EndpointError::ProtocolNotRequested(_) => "ProtocolNotRequestedError",
        EndpointError::PermissionDenied(_) => "RelationDataAccessError",
        _ => "other",
    }})
}

fn requirer_reads(name: &str, count: usize, strict: bool) {
    let cases = load(name, count);
    let mut failures = Vec::new();
    for case in &cases {
        let rels = read_relations(case);
        let t = tools(case["case"]["leader"].as_bool().expect("leader"), &rels);
        let meta = metadata(&case["case"]["meta"]);
        let expect = &case["expect"];
        let made = TracingEndpointRequirer::new(&t, &meta, "tracing", APP);
        let Some(requirer) = constructed(case, made, &mut failures) else {
            continue;
        };
        let is_ready = requirer
            .is_ready()
            .map_or_else(|e| endpoint_error(&e), |b| json!(b));
        let all = requirer.get_all_endpoints().map_or_else(
            |e| endpoint_error(&e),
            |d| match d {
                None => Value::Null,
                Some(d) => json!({"receivers": d.receivers.iter().map(|r| json!({
                    "protocol": {"name": r.protocol.name, "type": r.protocol.transport.as_str()},
                    "url": r.url,
                })).collect::<Vec<_>>()}),
            },
        );
        let mut endpoints = serde_json::Map::new();
        for p in case["case"]["get_endpoint"]
            .as_array()
            .expect("get_endpoint")
        {
            let p = p.as_str().expect("protocol name");
            let got = requirer
                .get_endpoint(p)
                .map_or_else(|e| endpoint_error(&e), |u| json!(u));
            endpoints.insert(p.to_owned(), got);
        }
        let got =
            json!({"is_ready": is_ready, "get_all_endpoints": all, "get_endpoint": endpoints});
        let refused_instead = !strict && is_ready == json!(false) && all.is_null();
        if got != *expect && !refused_instead {
            failures.push(format!("{}: read {got}, expected {expect}", id(case)));
        }
    }
    report(name, cases.len(), failures);
}

#[test]
fn requirer_reads_agree() {
    requirer_reads("requirer_reads.json", 100, true);
}

#[test]
fn requirer_reads_of_cpython_only_json_never_crash() {
    requirer_reads("requirer_reads_cpython_json.json", 8, false);
}

#[test]
fn vendored_vectors_are_identical_to_shared() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/tracing");
    if !shared.is_dir() {
        // CI has ../shared: there the comparison must run, never skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must compare tests/conformance/tracing with ../shared/conformance/tracing, which is missing at {}",
            shared.display()
        );
        eprintln!("SKIPPED: ../shared/conformance/tracing not present; nothing to compare against");
        return;
    }
    for entry in std::fs::read_dir(&shared).expect("shared dir") {
        let name = entry.expect("entry").file_name();
        let ours = std::fs::read(vectors_dir().join(&name))
            .unwrap_or_else(|e| panic!("tests copy of {name:?}: {e}"));
        let theirs = std::fs::read(shared.join(&name)).expect("shared file");
        assert!(ours == theirs, "tests/conformance/tracing/{name:?} differs from ../shared; copy it again, never edit it");
    }
}
