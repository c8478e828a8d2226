//! The tests' certificates provider: charm-sim's test CA ([`charm_sim::ca::TestCa`]: RSA-2048
//! root, leaves copy the CSR's subject and SANs, CA:false, `chain` = [certificate, CA]),
//! valid 2026-01-01..2036-01-01 as in the recordings, with panicking helpers for tests.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use charm_sim::{EventSpec, Report, State};
use juju_charm::Databag;

/// 2026-01-01T00:00:00Z and 2036-01-01T00:00:00Z, the recordings' validity.
pub const NOT_BEFORE: u64 = 1_767_225_600;
pub const NOT_AFTER: u64 = 2_082_758_400;

fn time(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

pub struct TestCa {
    inner: charm_sim::ca::TestCa,
    /// The CA certificate (PEM, no trailing newline).
    pub cert: String,
}

impl TestCa {
    /// A CA named `cn`.
    pub fn new(cn: &str) -> Self {
        let inner = charm_sim::ca::TestCa::with_validity(cn, time(NOT_BEFORE), time(NOT_AFTER))
            .expect("a test CA");
        let cert = inner.pem().to_owned();
        Self { inner, cert }
    }

    /// The CA's private key, PKCS#8 PEM (for tools that need it).
    pub fn key_pem(&self) -> String {
        self.inner.key_pem().expect("PEM")
    }

    /// A certificate for `csr` (PEM): its subject and SANs, CA:false.
    pub fn sign(&mut self, csr: &str) -> String {
        self.inner.sign(csr).expect("signed")
    }

    /// The provider's application databag after signing every CSR in `requirer` (keeping an
    /// entry already issued for an unchanged CSR, dropping those whose CSR is gone), as the
    /// recordings' provider plays it; `revoked` marks every entry revoked.
    pub fn answer(&mut self, requirer: &Databag, previous: &Databag, revoked: bool) -> Databag {
        self.inner
            .answer(&[requirer], previous, revoked)
            .expect("the requirer's CSRs")
            .0
    }
}

/// `s` (relation 3 on `certificates`, its provider unit `ca/0`) through a certificate being
/// issued by `ca`, hook by hook with `run`: `certificates-relation-created` (the charm writes
/// its key and CSR), the CA's answer, then `certificates-relation-changed`.
/// The nginx container's `update-ca-certificates` and `nginx` execs are canned. Returns the
/// last hook's report; panics if a hook fails.
pub fn issue_on_relation_3(
    s: &State,
    ca: &mut TestCa,
    run: impl Fn(&State, &EventSpec) -> Report,
) -> Report {
    let mut s = s.clone();
    for c in s.containers.iter_mut().filter(|c| c.name == "nginx") {
        c.exec = serde_json::from_value(serde_json::json!([
            {"command": ["update-ca-certificates"]}, {"command": ["nginx"]}
        ]))
        .expect("canned execs");
    }
    let r = run(
        &s,
        &EventSpec::on("certificates-relation-created", "certificates:3"),
    );
    assert!(r.ok(), "{}", r.stderr);
    let mut s = r.state.clone();
    let rel = s
        .relations
        .iter_mut()
        .find(|r| r.id == 3)
        .expect("relation 3");
    rel.remote_app_data = ca.answer(&rel.local_unit, &Default::default(), false);
    let r = run(
        &s,
        &EventSpec::on("certificates-relation-changed", "certificates:3").remote_unit("ca/0"),
    );
    assert!(r.ok(), "{}", r.stderr);
    r
}
