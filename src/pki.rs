//! Keys, certificate signing requests and certificates, as the tls-certificates v4 requirer
//! makes and reads them (RustCrypto's `rsa` and `x509-cert`, pure Rust).
//!
//! What the Python library (`charmlibs-interfaces-tls-certificates` 1.12.0) makes: an
//! RSA-2048 key (e = 65537) written as PKCS#1 PEM (`BEGIN RSA PRIVATE KEY`), and a CSR signed
//! with SHA-256 whose subject is `CN=<common name>` then `x500UniqueIdentifier=<uuid4>` (both
//! UTF8String) and whose only extension is a non-critical subjectAltName of DNS names. PEMs
//! are kept without their trailing newline, as the library's `str()` strips them.
//!
//! Only key generation and signing cost real work; reading a CSR or certificate is DER
//! parsing, so an unchanged hook does no public-key arithmetic.

use std::collections::BTreeSet;
use std::time::SystemTime;

use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::LineEnding;
use rsa::rand_core::{OsRng, RngCore};
use rsa::RsaPrivateKey;
use sha2::Sha256;
use x509_cert::builder::{Builder, RequestBuilder};
use x509_cert::der::asn1::{Any, Ia5String, ObjectIdentifier, SetOfVec};
use x509_cert::der::{Decode, DecodePem, Encode, EncodePem, Tag};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, SubjectAltName};
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::request::{CertReq, ExtensionReq};
use x509_cert::Certificate;

/// The RSA key size the Python library uses by default.
pub const RSA_BITS: usize = 2048;
/// Largest PEM this module reads (a 4096-bit key is about 3.3 KiB).
pub const MAX_PEM: usize = 16 * 1024;

const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const OID_UNIQUE_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.45");
const OID_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_EXTENSION_REQ: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.14");

/// What went wrong making or reading key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PkiError {
    /// Generating the key failed (the OS random source, or the arithmetic).
    #[error("cannot generate an RSA-{RSA_BITS} private key: {0}")]
    Generate(String),
    /// A PEM could not be read.
    #[error("cannot read the {what}: {reason}")]
    Read {
        /// What was being read (`private key`, `certificate`, `CSR`).
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// Building or signing the CSR failed.
    #[error("cannot build the certificate signing request: {0}")]
    Csr(String),
}

fn read_err(what: &'static str, reason: impl std::fmt::Display) -> PkiError {
    PkiError::Read {
        what,
        reason: reason.to_string(),
    }
}

/// An RSA private key: its PEM, and its public key read from the DER structure alone.
/// Reading a stored key does no big-number arithmetic (the `rsa` key, with its validation and
/// CRT precomputation, is built only to sign a CSR), so an unchanged hook stays cheap.
#[derive(Clone)]
pub struct PrivateKey {
    pem: String,
    pkcs1_der: Vec<u8>,
    public_key: Vec<u8>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey(<hidden>)")
    }
}

const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The SubjectPublicKeyInfo (DER) of a PKCS#1 private key, by DER decoding only.
fn public_key_of(pkcs1_der: &[u8]) -> Result<Vec<u8>, PkiError> {
    let k = rsa::pkcs1::RsaPrivateKey::try_from(pkcs1_der)
        .map_err(|e| read_err("private key", format!("not a PKCS#1 RSA key ({e})")))?;
    let public = rsa::pkcs1::RsaPublicKey {
        modulus: k.modulus,
        public_exponent: k.public_exponent,
    }
    .to_der()
    .map_err(|e| read_err("private key", e))?;
    x509_cert::spki::SubjectPublicKeyInfoOwned {
        algorithm: x509_cert::spki::AlgorithmIdentifierOwned {
            oid: OID_RSA_ENCRYPTION,
            parameters: Some(Any::null()),
        },
        subject_public_key: x509_cert::der::asn1::BitString::from_bytes(&public)
            .map_err(|e| read_err("private key", e))?,
    }
    .to_der()
    .map_err(|e| read_err("private key", e))
}

impl PrivateKey {
    /// A new RSA-2048 key (the only expensive call here: tens of milliseconds, once per unit).
    pub fn generate() -> Result<Self, PkiError> {
        let key = RsaPrivateKey::new(&mut OsRng, RSA_BITS)
            .map_err(|e| PkiError::Generate(e.to_string()))?;
        let pem = key
            .to_pkcs1_pem(LineEnding::LF)
            .map_err(|e| PkiError::Generate(e.to_string()))?;
        Self::from_pem(&pem)
    }

    /// Reads a key a charm stored: PKCS#1 (`BEGIN RSA PRIVATE KEY`, what the Python library
    /// writes) or PKCS#8 (`BEGIN PRIVATE KEY`). The PEM is kept as given (trimmed), so a key
    /// left by the Python charm is served byte for byte.
    pub fn from_pem(pem: &str) -> Result<Self, PkiError> {
        let pem = pem.trim();
        if pem.len() > MAX_PEM {
            return Err(read_err(
                "private key",
                format!("{} bytes, more than {MAX_PEM}", pem.len()),
            ));
        }
        let (label, der) = x509_cert::der::pem::decode_vec(pem.as_bytes())
            .map_err(|e| read_err("private key", format!("not a PEM block ({e})")))?;
        let pkcs1_der = match label {
            "RSA PRIVATE KEY" => der,
            "PRIVATE KEY" => {
                let info = rsa::pkcs8::PrivateKeyInfo::try_from(der.as_slice())
                    .map_err(|e| read_err("private key", format!("not PKCS#8 ({e})")))?;
                if info.algorithm.oid != OID_RSA_ENCRYPTION {
                    return Err(read_err("private key", "a PKCS#8 key that is not RSA"));
                }
                info.private_key.to_vec()
            }
            other => {
                return Err(read_err(
                    "private key",
                    format!("a `{other}` PEM block, not an RSA key in PKCS#1 or PKCS#8"),
                ))
            }
        };
        Ok(Self {
            public_key: public_key_of(&pkcs1_der)?,
            pkcs1_der,
            pem: pem.to_owned(),
        })
    }

    /// The PEM, without a trailing newline.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// The public key as DER SubjectPublicKeyInfo (what CSRs and certificates carry).
    pub fn public_key_der(&self) -> Result<Vec<u8>, PkiError> {
        Ok(self.public_key.clone())
    }

    /// The key for signing (validated, CRT values computed): only when a CSR is made.
    fn signing_key(&self) -> Result<RsaPrivateKey, PkiError> {
        RsaPrivateKey::from_pkcs1_der(&self.pkcs1_der)
            .map_err(|e| read_err("private key", format!("not a usable RSA key ({e})")))
    }
}

fn utf8_attr(oid: ObjectIdentifier, value: &str) -> Result<RelativeDistinguishedName, PkiError> {
    let value =
        Any::new(Tag::Utf8String, value.as_bytes()).map_err(|e| PkiError::Csr(e.to_string()))?;
    let atv = x509_cert::attr::AttributeTypeAndValue { oid, value };
    SetOfVec::try_from(vec![atv])
        .map(RelativeDistinguishedName)
        .map_err(|e| PkiError::Csr(e.to_string()))
}

/// A random UUID (version 4), as Python's `uuid.uuid4()` prints it.
fn uuid4() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A CSR as the Python library makes it: subject `CN=<common_name>` +
/// `x500UniqueIdentifier=<uuid4>`, subjectAltName = the DNS names (sorted), SHA-256 with RSA.
/// The PEM has no trailing newline.
pub fn generate_csr(
    key: &PrivateKey,
    common_name: &str,
    sans_dns: &BTreeSet<String>,
) -> Result<String, PkiError> {
    let subject = Name::from(RdnSequence(vec![
        utf8_attr(OID_CN, common_name)?,
        utf8_attr(OID_UNIQUE_ID, &uuid4())?,
    ]));
    let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new(key.signing_key()?);
    let mut builder =
        RequestBuilder::new(subject, &signer).map_err(|e| PkiError::Csr(e.to_string()))?;
    let names = sans_dns
        .iter()
        .map(|s| {
            Ia5String::new(s)
                .map(GeneralName::DnsName)
                .map_err(|e| PkiError::Csr(format!("`{s}` is not a DNS name: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !names.is_empty() {
        builder
            .add_extension(&SubjectAltName(names))
            .map_err(|e| PkiError::Csr(e.to_string()))?;
    }
    let req = builder
        .build::<rsa::pkcs1v15::Signature>()
        .map_err(|e| PkiError::Csr(e.to_string()))?;
    let pem = req
        .to_pem(LineEnding::LF)
        .map_err(|e| PkiError::Csr(e.to_string()))?;
    Ok(pem.trim_end().to_owned())
}

/// The first CN of a name, if it is a string.
fn common_name(name: &Name) -> Option<String> {
    name.0
        .iter()
        .flat_map(|rdn| rdn.0.iter())
        .find(|atv| atv.oid == OID_CN)
        .and_then(|atv| std::str::from_utf8(atv.value.value()).ok())
        .map(str::to_owned)
}

fn dns_names(san: &SubjectAltName) -> BTreeSet<String> {
    san.0
        .iter()
        .filter_map(|g| match g {
            GeneralName::DnsName(d) => Some(d.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

/// What a CSR asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrInfo {
    /// The subject's CN.
    pub common_name: Option<String>,
    /// The DNS names of its subjectAltName.
    pub sans_dns: BTreeSet<String>,
    /// Its public key, DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
}

/// Reads a CSR (PEM). Parsing only: the signature is not checked.
pub fn read_csr(pem: &str) -> Result<CsrInfo, PkiError> {
    if pem.len() > MAX_PEM {
        return Err(read_err("CSR", "too large"));
    }
    let req = CertReq::from_pem(pem.trim().as_bytes()).map_err(|e| read_err("CSR", e))?;
    let mut sans_dns = BTreeSet::new();
    for attr in req
        .info
        .attributes
        .iter()
        .filter(|a| a.oid == OID_EXTENSION_REQ)
    {
        for v in attr.values.iter() {
            let der = v.to_der().map_err(|e| read_err("CSR", e))?;
            let exts = ExtensionReq::from_der(&der).map_err(|e| read_err("CSR", e))?;
            for ext in exts.0.iter().filter(|e| e.extn_id == OID_SAN) {
                let san = SubjectAltName::from_der(ext.extn_value.as_bytes())
                    .map_err(|e| read_err("CSR", e))?;
                sans_dns.extend(dns_names(&san));
            }
        }
    }
    Ok(CsrInfo {
        common_name: common_name(&req.info.subject),
        sans_dns,
        public_key: req
            .info
            .public_key
            .to_der()
            .map_err(|e| read_err("CSR", e))?,
    })
}

/// What a certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// The subject's CN.
    pub common_name: Option<String>,
    /// The issuer's CN.
    pub issuer_common_name: Option<String>,
    /// The DNS names of its subjectAltName.
    pub sans_dns: BTreeSet<String>,
    /// Its public key, DER SubjectPublicKeyInfo.
    pub public_key: Vec<u8>,
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
    /// Whether basicConstraints says CA.
    pub is_ca: bool,
}

/// Reads a certificate (PEM). Parsing only: the chain is not verified here.
pub fn read_certificate(pem: &str) -> Result<CertInfo, PkiError> {
    if pem.len() > MAX_PEM {
        return Err(read_err("certificate", "too large"));
    }
    let cert =
        Certificate::from_pem(pem.trim().as_bytes()).map_err(|e| read_err("certificate", e))?;
    let tbs = &cert.tbs_certificate;
    let mut sans_dns = BTreeSet::new();
    let mut is_ca = false;
    for ext in tbs.extensions.iter().flatten() {
        if ext.extn_id == OID_SAN {
            let san = SubjectAltName::from_der(ext.extn_value.as_bytes())
                .map_err(|e| read_err("certificate", e))?;
            sans_dns.extend(dns_names(&san));
        } else if ext.extn_id == OID_BASIC_CONSTRAINTS {
            let bc = BasicConstraints::from_der(ext.extn_value.as_bytes())
                .map_err(|e| read_err("certificate", e))?;
            is_ca = bc.ca;
        }
    }
    Ok(CertInfo {
        common_name: common_name(&tbs.subject),
        issuer_common_name: common_name(&tbs.issuer),
        sans_dns,
        public_key: tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| read_err("certificate", e))?,
        not_before: tbs.validity.not_before.to_system_time(),
        not_after: tbs.validity.not_after.to_system_time(),
        is_ca,
    })
}

/// SHA-256 of `data`, lower-case hex (certificate-secret labels, fingerprints).
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csr_carries_the_subject_and_sans_and_our_key() {
        let key = PrivateKey::generate().unwrap();
        assert!(key.pem().starts_with("-----BEGIN RSA PRIVATE KEY-----"));
        assert!(key.pem().ends_with("-----END RSA PRIVATE KEY-----"));
        let sans: BTreeSet<String> = ["b.example".into(), "a.example".into()].into();
        let csr = generate_csr(&key, "tempo", &sans).unwrap();
        assert!(csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----\n"));
        assert!(!csr.ends_with('\n'));
        let info = read_csr(&csr).unwrap();
        assert_eq!(info.common_name.as_deref(), Some("tempo"));
        assert_eq!(info.sans_dns, sans);
        assert_eq!(info.public_key, key.public_key_der().unwrap());
        // A second CSR has another unique id, so it differs although it asks the same.
        assert_ne!(generate_csr(&key, "tempo", &sans).unwrap(), csr);
        // The key round-trips through its PEM, and PKCS#8 is read too.
        let again = PrivateKey::from_pem(key.pem()).unwrap();
        assert_eq!(
            again.public_key_der().unwrap(),
            key.public_key_der().unwrap()
        );
        let pkcs8 =
            rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&key.signing_key().unwrap(), LineEnding::LF)
                .unwrap();
        // The public key read from the DER alone is the one the `rsa` key computes.
        let full = rsa::pkcs8::EncodePublicKey::to_public_key_der(
            &key.signing_key().unwrap().to_public_key(),
        )
        .unwrap();
        assert_eq!(key.public_key_der().unwrap(), full.as_bytes());
        let k8 = PrivateKey::from_pem(&pkcs8).unwrap();
        assert_eq!(k8.public_key_der().unwrap(), key.public_key_der().unwrap());
    }

    #[test]
    fn garbage_is_an_error_naming_what() {
        let e = PrivateKey::from_pem(
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
        )
        .unwrap_err();
        assert!(e.to_string().contains("private key"), "{e}");
        assert!(read_certificate("nope")
            .unwrap_err()
            .to_string()
            .contains("certificate"));
        assert!(read_csr(&"x".repeat(MAX_PEM + 1)).is_err());
        assert_eq!(uuid4().len(), 36);
        assert_eq!(&uuid4()[14..15], "4");
    }
}
