//! TLS end to end under charm-sim: a tls-certificates v4 provider built on the real Python
//! library (tests/tls/provider_charm, `TLSCertificatesProvidesV4` from PyPI) signs the CSR
//! our charm writes; and the recorded flows of the Python coordinator over `certificates`
//! (tests/conformance/tls/states.json) replayed hook by hook, the state carried forward.
//! Skips without PyPI (says so); under CI it fails instead.

mod common;
#[path = "common/tls_ca.rs"]
mod tls_ca;
#[path = "common/venv.rs"]
mod venv;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use charm_interfaces::tls_certificates::{label, CsrRequest, Pem, ProviderAppData, RequirerData};
use charm_sim::EventSpec;
use common::*;
use tempo_coordinator::pki;

const LIB: &str = "charmlibs-interfaces-tls-certificates==1.12.0";

fn python() -> Option<PathBuf> {
    match venv::venv("tls-certificates", &[LIB, "ops==3.9.0"]) {
        Ok(v) => Some(v.join("bin/python3")),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("CI must run the tls-certificates provider tests: {why}")
        }
        Err(why) => {
            eprintln!("skipping: no venv with {LIB}: {why}");
            None
        }
    }
}

/// The provider charm staged with its CA's certificate and key, run by the venv's python.
fn provider_dir(python: &Path, ca: &tls_ca::TestCa) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = Path::new(ROOT).join("tests/tls/provider_charm");
    std::fs::create_dir(dir.path().join("src")).expect("mkdir");
    std::fs::copy(src.join("metadata.yaml"), dir.path().join("metadata.yaml")).expect("copy");
    std::fs::copy(src.join("src/charm.py"), dir.path().join("src/charm.py")).expect("copy");
    std::fs::write(dir.path().join("ca.pem"), &ca.cert).expect("ca.pem");
    std::fs::write(dir.path().join("ca.key"), ca.key_pem()).expect("ca.key");
    let dispatch = dir.path().join("dispatch");
    std::fs::write(
        &dispatch,
        format!(
            "#!/bin/sh\nJUJU_DISPATCH_PATH=\"${{JUJU_DISPATCH_PATH:-$0}}\" exec {} ./src/charm.py\n",
            python.display()
        ),
    )
    .expect("dispatch");
    std::fs::set_permissions(
        &dispatch,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    dir
}

/// The provider charm's leader, related to `tempo` whose unit 0 wrote `requirer`: what it
/// writes in its application databag on `certificates-relation-changed`.
fn provider_answer(dir: &Path, requirer: &juju_charm::Databag) -> juju_charm::Databag {
    let mut units = serde_json::Map::new();
    units.insert(
        "tempo/0".into(),
        serde_json::to_value(requirer).expect("databag"),
    );
    let s: charm_sim::State = serde_json::from_value(serde_json::json!({
        "unit": "tls-provider/0",
        "leader": true,
        "relations": [{
            "id": 3, "endpoint": "certificates", "remote_app": "tempo",
            "remote_units": ["tempo/0"], "remote_units_data": units,
        }],
    }))
    .expect("state");
    let r = process_in(
        dir,
        &s,
        &EventSpec::on("certificates-relation-changed", "certificates:3").remote_unit("tempo/0"),
    );
    assert!(r.ok(), "the provider charm failed: {}", r.stderr);
    app_bag(&r, 3).clone()
}

#[test]
fn the_real_provider_library_signs_the_csr_we_write() {
    let Some(py) = python() else { return };
    let ca = tls_ca::TestCa::new("Provider CA");
    let dir = provider_dir(&py, &ca);
    let key = pki::PrivateKey::generate().unwrap();
    let sans: BTreeSet<String> = ["tempo-0.tempo-endpoints.cos.svc.cluster.local".into()].into();
    let csr = pki::generate_csr(&key, "tempo", &sans).unwrap();
    let csr = Pem::parse(&csr, label::CSR, String::new).unwrap();
    let ours = RequirerData {
        certificate_signing_requests: vec![CsrRequest {
            certificate_signing_request: csr.clone(),
            ca: false,
        }],
    };
    let bag = provider_answer(dir.path(), &ours.to_databag());
    let read = ProviderAppData::from_databag(&bag).expect("the provider's data");
    assert!(read.skipped.is_empty(), "{:?}", read.skipped);
    let entry = read.data.for_csr(&csr).expect("a certificate for our CSR");
    assert_eq!(entry.ca.as_str(), ca.cert);
    let cert = pki::read_certificate(entry.certificate.as_str()).unwrap();
    assert_eq!(cert.public_key, key.public_key_der().unwrap());
    assert_eq!(cert.sans_dns, sans);
    assert_eq!(cert.issuer_common_name.as_deref(), Some("Provider CA"));
    // The bytes are the library's; our writer makes the same from what we read.
    assert_eq!(read.data.to_databag(), bag);
}
