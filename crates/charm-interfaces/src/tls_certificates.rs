//! The `tls-certificates` interface, version 4, as PyPI's
//! `charmlibs-interfaces-tls-certificates` (1.12.0: `TLSCertificatesRequiresV4`,
//! `TLSCertificatesProvidesV4`) writes and reads it.
//!
//! - The requirer (each unit, in `Mode.UNIT`) writes its **unit** databag:
//!   `certificate_signing_requests` = `json.dumps([{"certificate_signing_request": <PEM>,
//!   "ca": false}, ...])`.
//! - The provider's leader writes its **application** databag: `certificates` =
//!   `json.dumps([{"ca", "certificate_signing_request", "certificate", "chain"?,
//!   "revoked"?}, ...])` (pydantic's `exclude_defaults`: `chain`/`revoked` only when set),
//!   and optionally `request_errors` and `capabilities`, which the requirer may ignore.
//!
//! PEMs travel without their trailing newline (the library's `str()` strips them). Every PEM
//! read from the other side is checked against the PEM grammar (one block, the expected
//! label, base64 body) and bounded in size before anything parses it.
//!
//! Secrets the requirer keeps (labels as the library names them, so a charm refreshed from
//! the Python one finds its key): [`private_key_secret_label`] and
//! [`certificate_secret_label`].

use serde_json::Value;

use juju_charm::Databag;

use crate::pyjson::push_str;

/// The coordinator's endpoint.
pub const DEFAULT_RELATION_NAME: &str = "certificates";
/// The Python library's id, the prefix of its secret labels.
pub const LIBID: &str = "afd8c2bccf834997afce12c2706d2ede";
/// The key under which the private-key secret holds the PEM.
pub const PRIVATE_KEY_CONTENT_KEY: &str = "private-key";
/// Largest PEM read (a 4096-bit RSA certificate is under 2 KiB; a CA bundle may be larger).
pub const MAX_PEM_BYTES: usize = 64 * 1024;
/// Largest databag value read.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// Most entries read from one list.
pub const MAX_ENTRIES: usize = 256;

/// The unit-owned secret holding this unit's private key:
/// `<LIBID>-private-key-<unit number>-<relation>`.
pub fn private_key_secret_label(unit_number: u32, relation_name: &str) -> String {
    format!("{LIBID}-private-key-{unit_number}-{relation_name}")
}

/// The prefix of the unit-owned secrets holding an issued certificate.
pub fn certificate_secret_label_prefix(unit_number: u32, relation_name: &str) -> String {
    format!("{LIBID}-certificate-{unit_number}-{relation_name}-")
}

/// The unit-owned secret holding the certificate issued for a CSR:
/// `<LIBID>-certificate-<unit number>-<relation>-<sha256 hex of the CSR PEM>`.
pub fn certificate_secret_label(
    unit_number: u32,
    relation_name: &str,
    csr_sha256_hex: &str,
) -> String {
    format!(
        "{}{csr_sha256_hex}",
        certificate_secret_label_prefix(unit_number, relation_name)
    )
}

/// Why the other side's data is not usable. Messages name keys and positions, never values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlsDataError {
    /// A value larger than the bound.
    #[error("`{key}` is larger than {max} bytes")]
    TooLarge {
        /// The key.
        key: &'static str,
        /// The bound.
        max: usize,
    },
    /// Not JSON, or not the shape the library writes.
    #[error("`{key}` is not what the tls-certificates v4 library writes: {reason}")]
    Shape {
        /// The key.
        key: &'static str,
        /// Why.
        reason: String,
    },
    /// A PEM that does not follow the grammar.
    #[error("{what} is not a PEM `{label}` block: {reason}")]
    Pem {
        /// Where it was (`certificates[0].ca`).
        what: String,
        /// The label it should have.
        label: &'static str,
        /// Why.
        reason: &'static str,
    },
}

/// The PEM labels this interface carries.
pub mod label {
    /// A certificate.
    pub const CERTIFICATE: &str = "CERTIFICATE";
    /// A CSR.
    pub const CSR: &str = "CERTIFICATE REQUEST";
}

/// One PEM block, checked against the grammar and kept trimmed (as the library writes it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pem(String);

impl Pem {
    /// Checks `text` is exactly one PEM block labelled `label` (RFC 7468's strict grammar:
    /// header, base64 lines, footer; surrounding whitespace ignored).
    pub fn parse(
        text: &str,
        label: &'static str,
        what: impl Fn() -> String,
    ) -> Result<Self, TlsDataError> {
        let err = |reason| TlsDataError::Pem {
            what: what(),
            label,
            reason,
        };
        let t = text.trim();
        if t.len() > MAX_PEM_BYTES {
            return Err(err("larger than the bound"));
        }
        let head = format!("-----BEGIN {label}-----");
        let foot = format!("-----END {label}-----");
        let body = t
            .strip_prefix(head.as_str())
            .ok_or_else(|| err("no BEGIN line with that label"))?
            .strip_suffix(foot.as_str())
            .ok_or_else(|| err("no END line with that label"))?;
        let mut chars = 0usize;
        for line in body.lines() {
            let line = line.trim_end_matches('\r');
            if line.contains("-----") {
                return Err(err("more than one block"));
            }
            if !line
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
            {
                return Err(err("the body is not base64"));
            }
            chars += line.len();
        }
        if chars == 0 || chars % 4 != 0 {
            return Err(err("the body is not base64"));
        }
        Ok(Self(t.to_owned()))
    }

    /// The text, without a trailing newline.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Pem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One request in the requirer's `certificate_signing_requests`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrRequest {
    /// The CSR.
    pub certificate_signing_request: Pem,
    /// Whether a CA certificate is asked for (`null` read as false).
    pub ca: bool,
}

/// The requirer's unit (or application) databag.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequirerData {
    /// The requests, in the order written.
    pub certificate_signing_requests: Vec<CsrRequest>,
}

fn bounded<'a>(bag: &'a Databag, key: &'static str) -> Result<Option<&'a str>, TlsDataError> {
    match bag.get(key) {
        None => Ok(None),
        Some(v) if v.len() > MAX_VALUE_BYTES => Err(TlsDataError::TooLarge {
            key,
            max: MAX_VALUE_BYTES,
        }),
        Some(v) => Ok(Some(v)),
    }
}

fn json_list(
    raw: &str,
    key: &'static str,
) -> Result<Vec<serde_json::Map<String, Value>>, TlsDataError> {
    let shape = |reason: String| TlsDataError::Shape { key, reason };
    let v: Value = serde_json::from_str(raw).map_err(|e| shape(format!("not JSON ({e})")))?;
    let Value::Array(items) = v else {
        return Err(shape("not a list".into()));
    };
    if items.len() > MAX_ENTRIES {
        return Err(shape(format!("more than {MAX_ENTRIES} entries")));
    }
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::Object(m) => Ok(m),
            _ => Err(shape(format!("entry {i} is not an object"))),
        })
        .collect()
}

impl RequirerData {
    /// The databag, byte for byte as `_RequirerData.dump()` writes it.
    pub fn to_databag(&self) -> Databag {
        let mut out = String::from("[");
        for (i, r) in self.certificate_signing_requests.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str("{\"certificate_signing_request\": ");
            push_str(&mut out, r.certificate_signing_request.as_str());
            out.push_str(", \"ca\": ");
            out.push_str(if r.ca { "true" } else { "false" });
            out.push('}');
        }
        out.push(']');
        [("certificate_signing_requests".to_owned(), out)].into()
    }

    /// Reads a requirer's databag (the provider side; also our own bag, to see what we asked).
    pub fn from_databag(bag: &Databag) -> Result<Self, TlsDataError> {
        const KEY: &str = "certificate_signing_requests";
        let Some(raw) = bounded(bag, KEY)? else {
            return Ok(Self::default());
        };
        let mut requests = Vec::new();
        for (i, m) in json_list(raw, KEY)?.into_iter().enumerate() {
            let csr = m
                .get("certificate_signing_request")
                .and_then(Value::as_str)
                .ok_or_else(|| TlsDataError::Shape {
                    key: KEY,
                    reason: format!("entry {i} has no certificate_signing_request string"),
                })?;
            let ca = match m.get("ca") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => {
                    return Err(TlsDataError::Shape {
                        key: KEY,
                        reason: format!("entry {i}'s ca is not a boolean"),
                    })
                }
            };
            requests.push(CsrRequest {
                certificate_signing_request: Pem::parse(csr, label::CSR, || {
                    format!("{KEY}[{i}].certificate_signing_request")
                })?,
                ca,
            });
        }
        Ok(Self {
            certificate_signing_requests: requests,
        })
    }
}

/// One certificate the provider issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderCertificate {
    /// The issuing CA.
    pub ca: Pem,
    /// The CSR it answers (compared as text, as the library does).
    pub certificate_signing_request: Pem,
    /// The certificate.
    pub certificate: Pem,
    /// The chain, leaf first, when given.
    pub chain: Option<Vec<Pem>>,
    /// Set (true) when the provider revoked it.
    pub revoked: Option<bool>,
}

/// The provider's application databag, the part the requirer needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderAppData {
    /// The certificates, in the provider's order.
    pub certificates: Vec<ProviderCertificate>,
}

/// The provider's data as read: the valid certificates, and what was wrong with the others.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderRead {
    /// The valid entries.
    pub data: ProviderAppData,
    /// One message per entry skipped (the rest are still used).
    pub skipped: Vec<TlsDataError>,
}

impl ProviderAppData {
    /// The databag, byte for byte as `_ProviderApplicationData.dump()` writes it (only
    /// `certificates`: empty `request_errors` and unset `capabilities` are left out, as
    /// `exclude_defaults` does).
    pub fn to_databag(&self) -> Databag {
        let mut out = String::from("[");
        for (i, c) in self.certificates.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str("{\"ca\": ");
            push_str(&mut out, c.ca.as_str());
            out.push_str(", \"certificate_signing_request\": ");
            push_str(&mut out, c.certificate_signing_request.as_str());
            out.push_str(", \"certificate\": ");
            push_str(&mut out, c.certificate.as_str());
            if let Some(chain) = &c.chain {
                out.push_str(", \"chain\": [");
                for (j, p) in chain.iter().enumerate() {
                    if j > 0 {
                        out.push_str(", ");
                    }
                    push_str(&mut out, p.as_str());
                }
                out.push(']');
            }
            if let Some(r) = c.revoked {
                out.push_str(", \"revoked\": ");
                out.push_str(if r { "true" } else { "false" });
            }
            out.push('}');
        }
        out.push(']');
        [("certificates".to_owned(), out)].into()
    }

    /// Reads the provider's application databag. A malformed `certificates` value is an
    /// error; a malformed entry in it is skipped and reported, the others kept.
    pub fn from_databag(bag: &Databag) -> Result<ProviderRead, TlsDataError> {
        const KEY: &str = "certificates";
        let Some(raw) = bounded(bag, KEY)? else {
            return Ok(ProviderRead::default());
        };
        let mut read = ProviderRead::default();
        for (i, m) in json_list(raw, KEY)?.into_iter().enumerate() {
            match Self::entry(i, &m) {
                Ok(c) => read.data.certificates.push(c),
                Err(e) => read.skipped.push(e),
            }
        }
        Ok(read)
    }

    fn entry(
        i: usize,
        m: &serde_json::Map<String, Value>,
    ) -> Result<ProviderCertificate, TlsDataError> {
        const KEY: &str = "certificates";
        let pem = |field: &'static str, label: &'static str| -> Result<Pem, TlsDataError> {
            let s = m
                .get(field)
                .and_then(Value::as_str)
                .ok_or_else(|| TlsDataError::Shape {
                    key: KEY,
                    reason: format!("entry {i} has no `{field}` string"),
                })?;
            Pem::parse(s, label, || format!("{KEY}[{i}].{field}"))
        };
        let chain = match m.get("chain") {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) if items.len() <= MAX_ENTRIES => Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(j, p)| {
                        let s = p.as_str().ok_or_else(|| TlsDataError::Shape {
                            key: KEY,
                            reason: format!("entry {i}'s chain[{j}] is not a string"),
                        })?;
                        Pem::parse(s, label::CERTIFICATE, || format!("{KEY}[{i}].chain[{j}]"))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            Some(_) => {
                return Err(TlsDataError::Shape {
                    key: KEY,
                    reason: format!("entry {i}'s chain is not a list of PEMs"),
                })
            }
        };
        let revoked = match m.get("revoked") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => {
                return Err(TlsDataError::Shape {
                    key: KEY,
                    reason: format!("entry {i}'s revoked is not a boolean"),
                })
            }
        };
        Ok(ProviderCertificate {
            ca: pem("ca", label::CERTIFICATE)?,
            certificate_signing_request: pem("certificate_signing_request", label::CSR)?,
            certificate: pem("certificate", label::CERTIFICATE)?,
            chain,
            revoked,
        })
    }

    /// The certificate issued for `csr` (compared as text, as the library does), if any.
    pub fn for_csr(&self, csr: &Pem) -> Option<&ProviderCertificate> {
        self.certificates
            .iter()
            .find(|c| &c.certificate_signing_request == csr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const B64: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A";

    fn pem(label: &str) -> String {
        format!("-----BEGIN {label}-----\n{B64}\n{B64}\n-----END {label}-----")
    }

    #[test]
    fn pem_grammar() {
        let ok = Pem::parse(
            &format!("{}\n", pem("CERTIFICATE")),
            label::CERTIFICATE,
            String::new,
        )
        .unwrap();
        assert!(!ok.as_str().ends_with('\n'));
        for bad in [
            String::new(),
            pem("CERTIFICATE REQUEST"),
            pem("CERTIFICATE").replace(B64, "not base64!"),
            format!("{}\n{}", pem("CERTIFICATE"), pem("CERTIFICATE")),
            pem("CERTIFICATE").replace(B64, "abc"),
            format!(
                "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----",
                "A".repeat(MAX_PEM_BYTES)
            ),
            "-----BEGIN CERTIFICATE----------END CERTIFICATE-----".into(),
        ] {
            let e = Pem::parse(&bad, label::CERTIFICATE, || "x".into()).unwrap_err();
            assert!(
                e.to_string()
                    .starts_with("x is not a PEM `CERTIFICATE` block"),
                "{e}"
            );
        }
    }

    #[test]
    fn requirer_bytes_as_python_writes_them() {
        let d = RequirerData {
            certificate_signing_requests: vec![CsrRequest {
                certificate_signing_request: Pem::parse(
                    &pem("CERTIFICATE REQUEST"),
                    label::CSR,
                    String::new,
                )
                .unwrap(),
                ca: false,
            }],
        };
        let bag = d.to_databag();
        assert_eq!(
            bag["certificate_signing_requests"],
            format!("[{{\"certificate_signing_request\": \"-----BEGIN CERTIFICATE REQUEST-----\\n{B64}\\n{B64}\\n-----END CERTIFICATE REQUEST-----\", \"ca\": false}}]")
        );
        assert_eq!(RequirerData::from_databag(&bag), Ok(d));
        assert_eq!(
            RequirerData::default().to_databag()["certificate_signing_requests"],
            "[]"
        );
    }

    #[test]
    fn provider_round_trip_and_bad_entries_skipped() {
        let cert = Pem::parse(&pem("CERTIFICATE"), label::CERTIFICATE, String::new).unwrap();
        let csr = Pem::parse(&pem("CERTIFICATE REQUEST"), label::CSR, String::new).unwrap();
        let d = ProviderAppData {
            certificates: vec![ProviderCertificate {
                ca: cert.clone(),
                certificate_signing_request: csr.clone(),
                certificate: cert.clone(),
                chain: Some(vec![cert.clone(), cert.clone()]),
                revoked: Some(true),
            }],
        };
        let bag = d.to_databag();
        assert!(bag["certificates"].starts_with("[{\"ca\": \"-----BEGIN CERTIFICATE-----\\n"));
        assert!(bag["certificates"].ends_with("\"], \"revoked\": true}]"));
        let read = ProviderAppData::from_databag(&bag).unwrap();
        assert_eq!(read.data, d);
        assert!(read.data.for_csr(&csr).is_some());
        // One entry with a CSR where a certificate belongs: skipped, named; the good one kept.
        let mut v: Value = serde_json::from_str(&bag["certificates"]).unwrap();
        let mut bad = v[0].clone();
        bad["certificate"] = Value::from(csr.as_str());
        v.as_array_mut().unwrap().insert(0, bad);
        let read =
            ProviderAppData::from_databag(&[("certificates".to_owned(), v.to_string())].into())
                .unwrap();
        assert_eq!(read.data, d);
        assert_eq!(read.skipped.len(), 1);
        assert!(
            read.skipped[0]
                .to_string()
                .contains("certificates[0].certificate"),
            "{}",
            read.skipped[0]
        );
        for raw in [
            "nope",
            "{}",
            "[1]",
            &format!("[{}]", "{},".repeat(MAX_ENTRIES) + "{}"),
        ] {
            assert!(
                ProviderAppData::from_databag(
                    &[("certificates".to_owned(), raw.to_owned())].into()
                )
                .is_err(),
                "{raw}"
            );
        }
        assert_eq!(
            ProviderAppData::from_databag(&Databag::new()),
            Ok(ProviderRead::default())
        );
    }

    #[test]
    fn labels_as_the_library_names_them() {
        assert_eq!(
            private_key_secret_label(0, "certificates"),
            "afd8c2bccf834997afce12c2706d2ede-private-key-0-certificates"
        );
        assert_eq!(
            certificate_secret_label(1, "certificates", "ab12"),
            "afd8c2bccf834997afce12c2706d2ede-certificate-1-certificates-ab12"
        );
    }
}
