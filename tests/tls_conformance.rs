//! tls-certificates v4 against the real Python library (PyPI
//! `charmlibs-interfaces-tls-certificates` 1.12.0, in a venv under target/): it reads the CSR
//! databag our charm writes as the same request it would make itself (CN, DNS SANs, unique
//! id: so a charm refreshed to the Python one keeps our request), its provider signs it, and
//! we read the provider's bytes, match the certificate to our key, and write the same bytes
//! from the same data. Plus the recordings' vendored copy kept equal to ../shared.
//! Skips without PyPI (says so); under CI it fails instead.

mod common;
#[path = "common/venv.rs"]
mod venv;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use charm_interfaces::tls_certificates::{label, CsrRequest, Pem, ProviderAppData, RequirerData};
use serde_json::{json, Value};
use tempo_coordinator::pki;

const LIB: &str = "charmlibs-interfaces-tls-certificates==1.12.0";

fn python() -> Option<PathBuf> {
    venv::venv_or_skip(
        "tls-certificates",
        &[LIB, "ops==3.9.0"],
        "the tls-certificates library tests",
    )
    .map(|v| v.join("bin/python3"))
}

fn run_python(python: &Path, input: &Value) -> Value {
    let mut child = Command::new(python)
        .arg(Path::new(common::ROOT).join("tests/tls/python_lib.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run python");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.to_string().as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("python output");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from the library script")
}

#[test]
fn the_python_library_reads_our_csr_and_we_read_its_certificate() {
    let Some(py) = python() else { return };
    let key = pki::PrivateKey::generate().unwrap();
    let sans: BTreeSet<String> = [
        "tempo-0.tempo-endpoints.cos.svc.cluster.local",
        "tempo.cos.svc.cluster.local",
        "w-0.w-endpoints.cos.svc.cluster.local",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let csr = pki::generate_csr(&key, "tempo", &sans).unwrap();
    let ours = RequirerData {
        certificate_signing_requests: vec![CsrRequest {
            certificate_signing_request: Pem::parse(&csr, label::CSR, String::new).unwrap(),
            ca: false,
        }],
    };
    let bag = ours.to_databag();
    for revoked in [Value::Null, json!(true)] {
        let out = run_python(
            &py,
            &json!({"requirer_databag": bag, "common_name": "tempo", "sans_dns": sans, "revoked": revoked}),
        );
        assert_eq!(
            out["csrs"],
            json!([{
                "common_name": "tempo",
                "sans_dns": sans,
                "has_unique_identifier": true,
                "same_request_as_the_library_makes": true,
                "ca": false,
                "str_roundtrip": true,
                "matches_python_key": null,
            }])
        );
        let theirs: juju_charm::Databag =
            serde_json::from_value(out["provider_databag"].clone()).unwrap();
        let read = ProviderAppData::from_databag(&theirs).unwrap();
        assert!(read.skipped.is_empty(), "{:?}", read.skipped);
        // Our writer makes the library's bytes from the same data.
        assert_eq!(read.data.to_databag(), theirs);
        let entry = read
            .data
            .for_csr(&ours.certificate_signing_requests[0].certificate_signing_request)
            .expect("the certificate for our CSR");
        assert_eq!(entry.revoked, revoked.as_bool());
        let cert = pki::read_certificate(entry.certificate.as_str()).unwrap();
        assert_eq!(cert.public_key, key.public_key_der().unwrap());
        assert_eq!(cert.sans_dns, sans);
        assert_eq!(cert.issuer_common_name.as_deref(), Some("Python CA"));
        assert!(!cert.is_ca);
        let ca = pki::read_certificate(entry.ca.as_str()).unwrap();
        assert!(ca.is_ca);
        // And the library reads our writer's bytes back as the same requests.
        assert_eq!(RequirerData::from_databag(&bag).unwrap(), ours);
    }
}

/// After `juju refresh` from the Python charm, the key it left in its secret is reused: we
/// read its PEM (PKCS#1, as the library writes it) byte for byte, and the CSR we sign with it
/// is, for the library, a request of that key.
#[test]
fn a_key_the_python_library_made_is_reused() {
    let Some(py) = python() else { return };
    let made = run_python(&py, &json!({"make_key": true}));
    let pem = made["private_key"].as_str().unwrap();
    let key = pki::PrivateKey::from_pem(pem).unwrap();
    assert_eq!(key.pem(), pem);
    let sans: BTreeSet<String> = ["tempo.cos.svc.cluster.local".to_owned()].into();
    let csr = pki::generate_csr(&key, "tempo", &sans).unwrap();
    let bag = RequirerData {
        certificate_signing_requests: vec![CsrRequest {
            certificate_signing_request: Pem::parse(&csr, label::CSR, String::new).unwrap(),
            ca: false,
        }],
    }
    .to_databag();
    let out = run_python(
        &py,
        &json!({"requirer_databag": bag, "common_name": "tempo", "sans_dns": sans, "python_key": pem}),
    );
    assert_eq!(out["csrs"][0]["matches_python_key"], json!(true), "{out}");
    assert_eq!(
        out["csrs"][0]["same_request_as_the_library_makes"],
        json!(true)
    );
}

#[test]
fn vendored_tls_states_are_identical_to_shared() {
    let shared = Path::new(common::ROOT).join("../shared/conformance/tls");
    if !shared.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs ../shared/conformance/tls to check the vendored copy"
        );
        eprintln!("../shared/conformance/tls not present; nothing to compare against");
        return;
    }
    for name in ["states.json", "README.md"] {
        let ours = std::fs::read(
            Path::new(common::ROOT)
                .join("tests/conformance/tls")
                .join(name),
        )
        .expect("copy");
        let theirs = std::fs::read(shared.join(name)).expect("shared");
        assert!(
            ours == theirs,
            "tests/conformance/tls/{name} differs from ../shared; copy it again, never edit it"
        );
    }
}
