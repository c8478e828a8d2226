//! A test CA in Rust (the same RustCrypto crates the charm uses): a self-signed RSA-2048 CA
//! and the provider's part of tls-certificates v4, signing what a requirer asked for as the
//! recordings' provider does (the leaf copies the CSR's subject and SANs, CA:false, valid
//! 2026-01-01..2036-01-01; `chain` = [certificate, CA]).
#![allow(dead_code)]

use std::str::FromStr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use charm_interfaces::tls_certificates::{
    label, Pem, ProviderAppData, ProviderCertificate, RequirerData,
};
use juju_charm::Databag;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::RsaPrivateKey;
use sha2::Sha256;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::{Decode, DecodePem, EncodePem};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, ExtensionReq};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

/// 2026-01-01T00:00:00Z and 2036-01-01T00:00:00Z, the recordings' validity.
pub const NOT_BEFORE: u64 = 1_767_225_600;
pub const NOT_AFTER: u64 = 2_082_758_400;

pub struct TestCa {
    key: RsaPrivateKey,
    pub cert: String,
    name: Name,
    serial: u32,
}

fn time(secs: u64) -> Time {
    Time::try_from(UNIX_EPOCH + Duration::from_secs(secs)).expect("a time")
}

fn key() -> RsaPrivateKey {
    // Generated keys are slow without optimisation; the charm's profile optimises `rsa`.
    let pem = tempo_coordinator::pki::PrivateKey::generate()
        .expect("a key")
        .pem()
        .to_owned();
    rsa::pkcs1::DecodeRsaPrivateKey::from_pkcs1_pem(&pem).expect("PKCS#1")
}

impl TestCa {
    /// A CA named `cn`.
    pub fn new(cn: &str) -> Self {
        let key = key();
        let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.clone());
        let name = Name::from_str(&format!("CN={cn}")).expect("a name");
        let spki = x509_cert::spki::SubjectPublicKeyInfoOwned::from_key(key.to_public_key())
            .expect("spki");
        let b = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::from(1u32),
            Validity {
                not_before: time(NOT_BEFORE),
                not_after: time(NOT_AFTER),
            },
            name.clone(),
            spki,
            &signer,
        )
        .expect("builder");
        let cert = b
            .build::<rsa::pkcs1v15::Signature>()
            .expect("CA certificate")
            .to_pem(LineEnding::LF)
            .expect("PEM");
        Self {
            key,
            cert: cert.trim_end().to_owned(),
            name,
            serial: 1,
        }
    }

    /// The CA's private key, PKCS#8 PEM (for tools that need it).
    pub fn key_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .expect("PEM")
            .to_string()
    }

    /// A certificate for `csr` (PEM): its subject and SANs, CA:false.
    pub fn sign(&mut self, csr: &str) -> String {
        self.sign_valid(csr, NOT_BEFORE, NOT_AFTER)
    }

    /// As [`TestCa::sign`] with another validity (seconds since the epoch).
    pub fn sign_valid(&mut self, csr: &str, from: u64, to: u64) -> String {
        let req = CertReq::from_pem(csr.as_bytes()).expect("a CSR");
        self.serial += 1;
        let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(self.key.clone());
        let mut b = CertificateBuilder::new(
            Profile::Leaf {
                issuer: self.name.clone(),
                enable_key_agreement: false,
                enable_key_encipherment: true,
            },
            SerialNumber::from(self.serial),
            Validity {
                not_before: time(from),
                not_after: time(to),
            },
            req.info.subject.clone(),
            req.info.public_key.clone(),
            &signer,
        )
        .expect("builder");
        for attr in req.info.attributes.iter() {
            for v in attr.values.iter() {
                let der = x509_cert::der::Encode::to_der(v).expect("der");
                if let Ok(exts) = ExtensionReq::from_der(&der) {
                    for e in exts.0 {
                        if e.extn_id
                            == x509_cert::der::asn1::ObjectIdentifier::new_unwrap("2.5.29.17")
                        {
                            let san =
                                SubjectAltName::from_der(e.extn_value.as_bytes()).expect("SAN");
                            b.add_extension(&san).expect("SAN extension");
                        }
                    }
                }
            }
        }
        b.build::<rsa::pkcs1v15::Signature>()
            .expect("certificate")
            .to_pem(LineEnding::LF)
            .expect("PEM")
            .trim_end()
            .to_owned()
    }

    /// The provider's application databag after signing every CSR in `requirer` (keeping an
    /// entry already issued for an unchanged CSR, dropping those whose CSR is gone), as the
    /// recordings' provider plays it; `revoked` marks every entry revoked.
    pub fn answer(&mut self, requirer: &Databag, previous: &Databag, revoked: bool) -> Databag {
        let asked = RequirerData::from_databag(requirer).expect("the requirer's CSRs");
        let before = ProviderAppData::from_databag(previous)
            .map(|r| r.data)
            .unwrap_or_default();
        let mut out = ProviderAppData::default();
        let ca = Pem::parse(&self.cert, label::CERTIFICATE, String::new).expect("CA PEM");
        for r in &asked.certificate_signing_requests {
            let csr = &r.certificate_signing_request;
            let mut entry = match before.for_csr(csr) {
                Some(e) if e.ca == ca => e.clone(),
                _ => {
                    let cert =
                        Pem::parse(&self.sign(csr.as_str()), label::CERTIFICATE, String::new)
                            .expect("certificate PEM");
                    ProviderCertificate {
                        ca: ca.clone(),
                        certificate_signing_request: csr.clone(),
                        certificate: cert.clone(),
                        chain: Some(vec![cert, ca.clone()]),
                        revoked: None,
                    }
                }
            };
            if revoked {
                entry.revoked = Some(true);
            }
            out.certificates.push(entry);
        }
        out.to_databag()
    }
}

/// Seconds since the epoch now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The CA's key as an `rsa` key from a PKCS#8 PEM (round trip helper for other tools).
pub fn key_from_pkcs8(pem: &str) -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_pem(pem).expect("PKCS#8")
}
