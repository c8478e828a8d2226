//! The tests' certificates provider: charm-sim's test CA ([`charm_sim::ca::TestCa`]: RSA-2048
//! root, leaves copy the CSR's subject and SANs, CA:false, `chain` = [certificate, CA]),
//! valid 2026-01-01..2036-01-01 as in the recordings, with panicking helpers for tests.
#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

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
