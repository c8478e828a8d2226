//! The tempo_api conformance vectors, recorded from the real Python library, run against our
//! implementation. Expectations come only from the vector files.

use std::path::{Path, PathBuf};

use charm_interfaces::tempo_api::TempoApiAppData;
use juju_charm::Databag;
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance/tempo_api")
}

fn load(name: &str) -> Vec<Value> {
    let path = vectors_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    let cases = v
        .as_array()
        .unwrap_or_else(|| panic!("{} is not a JSON array", path.display()))
        .clone();
    assert!(!cases.is_empty(), "{} has no cases", path.display());
    cases
}

fn id(case: &Value) -> String {
    case["case"]["id"].as_str().unwrap_or("<no id>").to_owned()
}

fn databag(v: &Value) -> Databag {
    v.as_object()
        .expect("databag is an object")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().expect("databag values are strings").to_owned(),
            )
        })
        .collect()
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

#[test]
fn provide_vectors_match_byte_for_byte() {
    let cases = load("provide.json");
    assert_eq!(cases.len(), 78, "provide.json should hold 78 vectors");
    let mut failures = Vec::new();
    for case in &cases {
        let args = &case["case"]["args"];
        let got = TempoApiAppData::new(
            args["direct_url_http"].as_str().expect("direct_url_http"),
            args["direct_url_grpc"].as_str().expect("direct_url_grpc"),
            opt_str(&args["ingress_url_http"]),
            opt_str(&args["ingress_url_grpc"]),
        );
        let expect = &case["expect"];
        match (got, expect.get("databag")) {
            (Ok(data), Some(bag)) => {
                if data.to_databag() != databag(bag) {
                    failures.push(format!(
                        "{}: wrote {:?}, expected {:?}",
                        id(case),
                        data.to_databag(),
                        bag
                    ));
                }
            }
            (Err(_), None) => {}
            (Ok(data), None) => failures.push(format!(
                "{}: accepted ({:?}), library refused",
                id(case),
                data.to_databag()
            )),
            (Err(e), Some(_)) => {
                failures.push(format!("{}: refused ({e}), library accepted", id(case)))
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} provide vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

fn expected_urls(v: &Value) -> (String, Option<String>) {
    (
        v["direct_url"].as_str().expect("direct_url").to_owned(),
        v["ingress_url"].as_str().map(str::to_owned),
    )
}

#[test]
fn require_vectors_agree_on_outcome_and_urls() {
    let cases = load("require.json");
    assert_eq!(cases.len(), 78, "require.json should hold 78 vectors");
    let mut failures = Vec::new();
    for case in &cases {
        let got = TempoApiAppData::from_databag(&databag(&case["case"]["databag"]));
        let expect = &case["expect"];
        match (got, expect.get("data")) {
            (Ok(None), Some(Value::Null)) => {}
            (Ok(Some(d)), Some(data)) if !data.is_null() => {
                let got = [
                    (
                        d.http.direct_url.to_string(),
                        d.http.ingress_url.as_ref().map(ToString::to_string),
                    ),
                    (
                        d.grpc.direct_url.to_string(),
                        d.grpc.ingress_url.as_ref().map(ToString::to_string),
                    ),
                ];
                let want = [expected_urls(&data["http"]), expected_urls(&data["grpc"])];
                if got != want {
                    failures.push(format!("{}: parsed {got:?}, expected {want:?}", id(case)));
                }
            }
            (Err(_), None) => {}
            (got, _) => failures.push(format!("{}: got {got:?}, expected {expect}", id(case))),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} require vectors failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn cpython_only_json_never_panics_and_errors_are_clear() {
    let cases = load("require_cpython_json.json");
    assert_eq!(cases.len(), 6);
    for case in &cases {
        match TempoApiAppData::from_databag(&databag(&case["case"]["databag"])) {
            Ok(Some(d)) => {
                let want = expected_urls(&case["expect"]["data"]["http"]);
                assert_eq!(d.http.direct_url.to_string(), want.0, "{}", id(case));
            }
            Ok(None) => panic!("{}: read as no data", id(case)),
            Err(e) => assert!(
                e.to_string().contains("is not JSON"),
                "{}: unclear error {e}",
                id(case)
            ),
        }
    }
}

#[test]
fn vendored_vectors_are_identical_to_shared() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/tempo_api");
    if !shared.is_dir() {
        // CI has ../shared: there the comparison must run, never skip.
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must compare tests/conformance/tempo_api with ../shared/conformance/tempo_api, which is missing at {}",
            shared.display()
        );
        eprintln!(
            "SKIPPED: ../shared/conformance/tempo_api not present; nothing to compare against"
        );
        return;
    }
    for name in [
        "provide.json",
        "require.json",
        "require_cpython_json.json",
        "README.md",
    ] {
        let ours = std::fs::read(vectors_dir().join(name))
            .unwrap_or_else(|e| panic!("tests copy of {name}: {e}"));
        let theirs =
            std::fs::read(shared.join(name)).unwrap_or_else(|e| panic!("shared {name}: {e}"));
        assert!(ours == theirs, "tests/conformance/tempo_api/{name} differs from ../shared; copy it again, never edit it");
    }
}
