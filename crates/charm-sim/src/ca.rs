//! A certificate authority for scenarios: charm-sim standing in for a tls-certificates v4
//! provider (such as `self-signed-certificates`), so a charm's TLS path can be walked
//! offline: the charm writes CSRs in its databag, [`issue`] signs them and writes the
//! provider's `certificates` list, the charm's next `-relation-changed` finds its certificate.
//!
//! The leaf copies the CSR's subject and subjectAltName (as the provider does), is valid for
//! 90 days, and is signed SHA-256 with RSA by a root made once per process ([`shared`]).
//! The CSR's own signature is not checked: this is a test double, not a CA to trust.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::rand_core::OsRng;
use rsa::RsaPrivateKey;
use serde_json::Value;
use sha2::Sha256;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, DecodePem, Encode, EncodePem};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::name::Name;
use x509_cert::request::{CertReq, ExtensionReq};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::SubjectPublicKeyInfoOwned;
use x509_cert::time::{Time, Validity};

use juju_charm::Databag;

/// PKCS#9 extensionRequest: where a CSR carries the extensions it asks for.
const OID_EXTENSION_REQ: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");
/// subjectAltName.
const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// How long an issued certificate is valid.
pub const VALIDITY: Duration = Duration::from_secs(90 * 24 * 3600);
/// The requirer's key and the provider's, as tls-certificates v4 names them.
const REQUESTS: &str = "certificate_signing_requests";
const CERTIFICATES: &str = "certificates";

/// What went wrong making the CA or signing a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaError {
    /// The root could not be made (key generation or encoding).
    #[error("charm-sim's test CA could not be made: {0}")]
    Root(String),
    /// A request in the charm's databag cannot be read or signed.
    #[error("the charm's CSR #{index} in `{REQUESTS}` cannot be signed: {reason}; fix what the charm writes (one PEM `CERTIFICATE REQUEST` per entry)")]
    Csr {
        /// Its place in the list.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The charm's `certificate_signing_requests` is not the v4 shape.
    #[error("the charm's `{REQUESTS}` is not a JSON list of {{\"certificate_signing_request\": PEM, \"ca\": bool}}: {0}")]
    Shape(String),
}

/// When the certificates a [`TestCa`] issues are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Window {
    /// From the moment of signing, for this long.
    FromNow(Duration),
    /// A fixed window (recordings, expiry tests).
    Fixed(SystemTime, SystemTime),
}

/// A root CA that signs CSRs, and plays the provider's side of tls-certificates v4.
pub struct TestCa {
    key: RsaPrivateKey,
    name: Name,
    pem: String,
    leaves: Window,
    serial: AtomicU32,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa")
            .field("name", &self.name.to_string())
            .finish()
    }
}

fn root_err(e: impl std::fmt::Display) -> CaError {
    CaError::Root(e.to_string())
}

fn window(from: SystemTime, to: SystemTime) -> Result<Validity, String> {
    let time = |t: SystemTime| Time::try_from(t).map_err(|e| e.to_string());
    Ok(Validity {
        not_before: time(from)?,
        not_after: time(to)?,
    })
}

impl TestCa {
    /// A new root, `CN=<common_name>`, RSA-2048, valid from an hour ago for ten years; its
    /// leaves are valid for [`VALIDITY`] from when they are signed.
    pub fn new(common_name: &str) -> Result<Self, CaError> {
        let now = SystemTime::now();
        let from = now.checked_sub(Duration::from_secs(3600)).unwrap_or(now);
        let to = now + Duration::from_secs(10 * 365 * 24 * 3600);
        Self::make(common_name, from, to, Window::FromNow(VALIDITY))
    }

    /// A root valid from `not_before` to `not_after`, and every leaf it signs the same.
    pub fn with_validity(
        common_name: &str,
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Result<Self, CaError> {
        Self::make(
            common_name,
            not_before,
            not_after,
            Window::Fixed(not_before, not_after),
        )
    }

    fn make(
        common_name: &str,
        from: SystemTime,
        to: SystemTime,
        leaves: Window,
    ) -> Result<Self, CaError> {
        let key = RsaPrivateKey::new(&mut OsRng, 2048).map_err(root_err)?;
        let spki = SubjectPublicKeyInfoOwned::from_key(key.to_public_key()).map_err(root_err)?;
        let signer = SigningKey::<Sha256>::new(key.clone());
        let name = Name::from_str(&format!("CN={common_name}")).map_err(root_err)?;
        let cert = CertificateBuilder::new(
            Profile::Root,
            SerialNumber::from(1u32),
            window(from, to).map_err(CaError::Root)?,
            name.clone(),
            spki,
            &signer,
        )
        .map_err(root_err)?
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(root_err)?;
        let pem = cert.to_pem(LineEnding::LF).map_err(root_err)?;
        Ok(Self {
            key,
            name,
            pem: pem.trim_end().to_owned(),
            leaves,
            serial: AtomicU32::new(1),
        })
    }

    /// The root certificate (PEM, no trailing newline).
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The root's private key, PKCS#8 PEM (for a provider charm or a tool that signs too).
    pub fn key_pem(&self) -> Result<String, CaError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .map_err(root_err)
    }

    /// Signs one CSR (PEM): a leaf with its subject and subjectAltName, CA:false, valid as
    /// the CA says ([`TestCa::new`], [`TestCa::with_validity`]). The PEM has no trailing
    /// newline; the error says why the CSR could not be read or signed.
    pub fn sign(&self, csr_pem: &str) -> Result<String, String> {
        let (from, to) = match self.leaves {
            Window::FromNow(d) => {
                let now = SystemTime::now();
                (now, now + d)
            }
            Window::Fixed(from, to) => (from, to),
        };
        self.sign_valid(csr_pem, from, to)
    }

    /// As [`TestCa::sign`], valid from `not_before` to `not_after`.
    pub fn sign_valid(
        &self,
        csr_pem: &str,
        not_before: SystemTime,
        not_after: SystemTime,
    ) -> Result<String, String> {
        let req = CertReq::from_pem(csr_pem.trim().as_bytes()).map_err(|e| e.to_string())?;
        let profile = Profile::Leaf {
            issuer: self.name.clone(),
            enable_key_agreement: false,
            enable_key_encipherment: true,
        };
        let serial = self.serial.fetch_add(1, Ordering::Relaxed) + 1;
        let signer = SigningKey::<Sha256>::new(self.key.clone());
        let mut builder = CertificateBuilder::new(
            profile,
            SerialNumber::from(serial),
            window(not_before, not_after)?,
            req.info.subject.clone(),
            req.info.public_key.clone(),
            &signer,
        )
        .map_err(|e| e.to_string())?;
        for san in requested_sans(&req)? {
            builder.add_extension(&san).map_err(|e| e.to_string())?;
        }
        let cert = builder
            .build::<rsa::pkcs1v15::Signature>()
            .map_err(|e| e.to_string())?;
        let pem = cert.to_pem(LineEnding::LF).map_err(|e| e.to_string())?;
        Ok(pem.trim_end().to_owned())
    }

    /// The provider's application databag answering the requirer's (`requirer_bags`: its
    /// unit's and its application's), given what it answered before (`previous`): every
    /// CSR asked for gets a certificate (one this CA issued before for the same CSR is kept
    /// byte for byte; those no longer asked for are dropped), `chain` = [certificate, CA],
    /// `revoked` marks every entry revoked. Written as the Python provider's
    /// `json.dumps` writes it. Also returns how many CSRs were signed now.
    pub fn answer(
        &self,
        requirer_bags: &[&Databag],
        previous: &Databag,
        revoked: bool,
    ) -> Result<(Databag, usize), CaError> {
        let before: BTreeMap<String, Value> = previous
            .get(CERTIFICATES)
            .and_then(|raw| serde_json::from_str::<Vec<Value>>(raw).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|c| c.get("ca").and_then(Value::as_str).map(str::trim) == Some(self.pem()))
            .filter_map(|c| {
                let csr = c
                    .get("certificate_signing_request")?
                    .as_str()?
                    .trim()
                    .to_owned();
                Some((csr, c))
            })
            .collect();
        let mut entries = Vec::new();
        let mut signed = 0;
        let mut index = 0;
        for bag in requirer_bags {
            for csr in requests(bag)? {
                index += 1;
                let csr = csr.trim().to_owned();
                let cert = match before
                    .get(&csr)
                    .and_then(|old| old.get("certificate").and_then(Value::as_str))
                {
                    Some(cert) => cert.trim().to_owned(),
                    None => {
                        signed += 1;
                        self.sign(&csr)
                            .map_err(|reason| CaError::Csr { index, reason })?
                    }
                };
                entries.push(python_entry(self.pem(), &csr, &cert, revoked));
            }
        }
        let text = format!("[{}]", entries.join(", "));
        Ok(([(CERTIFICATES.to_owned(), text)].into(), signed))
    }
}

/// One entry of the provider's `certificates`, as Python's `json.dumps` writes it.
fn python_entry(ca: &str, csr: &str, cert: &str, revoked: bool) -> String {
    let s = |v: &str| Value::from(v).to_string();
    let mut out = format!(
        "{{\"ca\": {}, \"certificate_signing_request\": {}, \"certificate\": {}, \"chain\": [{}, {}]",
        s(ca),
        s(csr),
        s(cert),
        s(cert),
        s(ca)
    );
    if revoked {
        out.push_str(", \"revoked\": true");
    }
    out.push('}');
    out
}

/// The subjectAltName extensions a CSR asks for.
fn requested_sans(req: &CertReq) -> Result<Vec<SubjectAltName>, String> {
    let mut out = Vec::new();
    for attr in req
        .info
        .attributes
        .iter()
        .filter(|a| a.oid == OID_EXTENSION_REQ)
    {
        for v in attr.values.iter() {
            let der = v.to_der().map_err(|e| e.to_string())?;
            let exts = ExtensionReq::from_der(&der).map_err(|e| e.to_string())?;
            for ext in exts.0.iter().filter(|e| e.extn_id == OID_SAN) {
                out.push(
                    SubjectAltName::from_der(ext.extn_value.as_bytes())
                        .map_err(|e| e.to_string())?,
                );
            }
        }
    }
    Ok(out)
}

/// The process's CA, made on first use (key generation takes a moment, so once): what a
/// scenario's `issue_certificates` signs with.
pub fn shared() -> Result<&'static TestCa, CaError> {
    static CA: OnceLock<Result<TestCa, CaError>> = OnceLock::new();
    CA.get_or_init(|| TestCa::new("charm-sim test CA"))
        .as_ref()
        .map_err(Clone::clone)
}

/// The CSRs in a requirer's databag (tls-certificates v4 `certificate_signing_requests`).
fn requests(bag: &Databag) -> Result<Vec<String>, CaError> {
    let Some(raw) = bag.get(REQUESTS) else {
        return Ok(Vec::new());
    };
    let list: Vec<Value> = serde_json::from_str(raw).map_err(|e| CaError::Shape(e.to_string()))?;
    list.iter()
        .enumerate()
        .map(|(i, r)| {
            r.get("certificate_signing_request")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    CaError::Shape(format!(
                        "entry {i} has no certificate_signing_request string"
                    ))
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::Certificate;

    /// A CSR for `names`, signed by a fresh key, as a requirer charm would write it.
    fn csr(cn: &str, names: &[&str]) -> String {
        let key = RsaPrivateKey::new(&mut OsRng, 2048).expect("key");
        let signer = SigningKey::<Sha256>::new(key);
        let mut b = x509_cert::builder::RequestBuilder::new(
            Name::from_str(&format!("CN={cn}")).expect("name"),
            &signer,
        )
        .expect("builder");
        let sans = names
            .iter()
            .map(|n| GeneralName::DnsName(x509_cert::der::asn1::Ia5String::new(n).expect("ia5")))
            .collect();
        b.add_extension(&SubjectAltName(sans)).expect("san");
        let req = b.build::<rsa::pkcs1v15::Signature>().expect("csr");
        req.to_pem(LineEnding::LF).expect("pem")
    }

    fn dns_names(cert: &Certificate) -> Vec<String> {
        let mut out = Vec::new();
        for ext in cert.tbs_certificate.extensions.iter().flatten() {
            if ext.extn_id == OID_SAN {
                let san = SubjectAltName::from_der(ext.extn_value.as_bytes()).expect("san");
                for n in san.0 {
                    if let GeneralName::DnsName(d) = n {
                        out.push(d.to_string());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn the_leaf_has_the_csrs_subject_and_names_and_the_cas_issuer() {
        let ca = shared().expect("ca");
        let pem = ca
            .sign(&csr(
                "tempo-0.tempo-endpoints",
                &["tempo", "tempo-0.tempo-endpoints"],
            ))
            .expect("signed");
        let cert = Certificate::from_pem(pem.as_bytes()).expect("a certificate");
        let root = Certificate::from_pem(ca.pem().as_bytes()).expect("the root");
        assert_eq!(
            cert.tbs_certificate.subject.to_string(),
            "CN=tempo-0.tempo-endpoints"
        );
        assert_eq!(cert.tbs_certificate.issuer, root.tbs_certificate.subject);
        assert_eq!(dns_names(&cert), ["tempo", "tempo-0.tempo-endpoints"]);
    }

    fn asking(csrs: &[&str]) -> Databag {
        let v: Vec<Value> = csrs
            .iter()
            .map(|c| serde_json::json!({"certificate_signing_request": c, "ca": false}))
            .collect();
        [(REQUESTS.to_owned(), Value::from(v).to_string())].into()
    }

    fn entries(bag: &Databag) -> Vec<Value> {
        serde_json::from_str(&bag[CERTIFICATES]).expect("JSON")
    }

    #[test]
    fn every_csr_is_answered_once_and_withdrawn_ones_are_dropped() {
        let ca = shared().expect("ca");
        let (a, b) = (csr("a", &["a"]), csr("b", &["b"]));
        let (first, n) = ca
            .answer(&[&asking(&[&a])], &Databag::new(), false)
            .expect("issued");
        assert_eq!(n, 1);
        // Python's json.dumps spacing, chain = [certificate, CA].
        assert!(first[CERTIFICATES].starts_with("[{\"ca\": \"-----BEGIN CERTIFICATE-----\\n"));
        let e = &entries(&first)[0];
        assert_eq!(e["chain"][0], e["certificate"]);
        assert_eq!(e["chain"][1], ca.pem());
        // b joins: a keeps its certificate (byte for byte), b gets one.
        let (second, n) = ca
            .answer(&[&asking(&[&a, &b])], &first, false)
            .expect("issued");
        assert_eq!(n, 1);
        assert_eq!(entries(&second).len(), 2);
        assert_eq!(entries(&second)[0], entries(&first)[0]);
        // a is withdrawn: only b is answered, nothing signed.
        let (third, n) = ca.answer(&[&asking(&[&b])], &second, true).expect("issued");
        assert_eq!(n, 0);
        let v = entries(&third);
        assert_eq!(v.len(), 1);
        assert_eq!(v[0]["certificate_signing_request"], b.trim());
        assert_eq!(v[0]["revoked"], true);
        // Another CA's certificate for the same CSR is replaced by ours.
        let other = TestCa::new("another CA").expect("ca");
        let (fourth, n) = other
            .answer(&[&asking(&[&b])], &third, false)
            .expect("issued");
        assert_eq!(n, 1);
        assert_eq!(entries(&fourth)[0]["ca"], other.pem());
    }

    #[test]
    fn a_fixed_window_is_the_leaves_window() {
        let from = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let to = SystemTime::UNIX_EPOCH + Duration::from_secs(2_082_758_400);
        let ca = TestCa::with_validity("fixed", from, to).expect("ca");
        let cert = Certificate::from_pem(ca.sign(&csr("x", &["x"])).expect("signed").as_bytes())
            .expect("certificate");
        let v = cert.tbs_certificate.validity;
        assert_eq!(v.not_before.to_system_time(), from);
        assert_eq!(v.not_after.to_system_time(), to);
    }

    #[test]
    fn a_csr_that_is_not_one_is_named_by_its_place() {
        let ca = shared().expect("ca");
        let bag: Databag = [(
            REQUESTS.to_owned(),
            r#"[{"certificate_signing_request": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----", "ca": false}]"#.to_owned(),
        )]
        .into();
        let err = ca
            .answer(&[&bag], &Databag::new(), false)
            .expect_err("refused");
        assert!(matches!(err, CaError::Csr { index: 1, .. }), "{err}");
        let bag: Databag = [(REQUESTS.to_owned(), "{}".to_owned())].into();
        assert!(matches!(
            ca.answer(&[&bag], &Databag::new(), false),
            Err(CaError::Shape(_))
        ));
    }
}
