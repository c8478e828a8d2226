//! The `certificates` requirer (tls-certificates v4, one certificate per unit as the Python
//! coordinator asks for it): a private key kept in a unit-owned secret, a CSR in our unit
//! databag, and the provider's certificate for it.
//!
//! [`decide`] is the pure part: from what we asked, what the provider answered and the
//! names we want, which CSRs to keep asking for, whether a new one is needed, and which
//! certificate to serve. [`prepare`] does the I/O around it before the reconciler runs:
//! reads the key (or makes it, once), reads both databags, signs a new CSR only when
//! [`decide`] asks for one. On an unchanged state it parses PEMs and does no key arithmetic.
//!
//! Better than the Python library on purpose:
//! - while a re-issued CSR (a worker joined, SANs changed) waits for its certificate, the old
//!   CSR stays in our databag, so the provider keeps its certificate and we keep serving it
//!   (the library drops the old CSR and the charm falls back to plain http until the new one
//!   is signed);
//! - certificates are renewed (a new CSR for the same names) once 90% of their life is gone,
//!   computed from the certificate itself on any hook, not from a secret's expiry;
//! - the certificate is not copied into a secret per CSR, so none are left behind; those a
//!   Python charm left are removed after `juju refresh` ([`stale_certificate_secrets`]).

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use charm_interfaces::tls_certificates::{
    self as tlsc, label, CsrRequest, Pem, ProviderAppData, ProviderCertificate, RequirerData,
};
use juju_charm::hookcmds::{SecretAddOptions, SecretRead, SecretRef};
use juju_charm::{
    Context, Databag, ErrorKind, Event, HookToolError, HookTools, RelationId, Runner,
    SecretContent, SecretId, SecretOwner,
};

use crate::inputs::{broken, unless_gone, Inputs};

use crate::pki::{self, CertInfo, CsrInfo, PkiError, PrivateKey};

/// The endpoint.
pub const CERTIFICATES: &str = tlsc::DEFAULT_RELATION_NAME;
/// Renew once this fraction of the certificate's life has passed (the library's 0.9).
pub const RENEW_AT: f64 = 0.9;

/// What the charm serves with while TLS is on.
#[derive(Clone, PartialEq, Eq)]
pub struct Serving {
    /// The certificate (PEM, no trailing newline).
    pub certificate: String,
    /// The CA that issued it.
    pub ca: String,
    /// The chain as the provider gave it (leaf first), possibly empty.
    pub chain: Vec<String>,
    /// The private key (PEM).
    pub private_key: String,
    /// The unit-owned secret holding the key (granted to the workers).
    pub key_secret_id: SecretId,
}

impl std::fmt::Debug for Serving {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serving")
            .field("certificate_bytes", &self.certificate.len())
            .field("ca_bytes", &self.ca.len())
            .field("private_key", &"<hidden>")
            .field("key_secret_id", &self.key_secret_id)
            .finish()
    }
}

/// What the requirer found and decided, for the reconciler.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInputs {
    /// The certificates relation, when related (and not being broken).
    pub relation: Option<RelationId>,
    /// The certificate to serve, when we have one for our key.
    pub serving: Option<Serving>,
    /// Our unit databag on the relation, when it must change this hook.
    pub unit_bag: Option<Databag>,
    /// The applications the key's secret is granted to already (the leader grants it to
    /// each worker application that lacks it: no grant call on an unchanged hook).
    pub key_granted_to: Vec<String>,
    /// Whether a CSR is waiting for its certificate.
    pub waiting: bool,
}

/// A CSR we wrote, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asked {
    /// The request as written.
    pub request: CsrRequest,
    /// What it asks for.
    pub info: CsrInfo,
}

/// A certificate the provider issued for one of our CSRs, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The provider's entry.
    pub entry: ProviderCertificate,
    /// What the certificate says.
    pub info: CertInfo,
}

/// What [`decide`] decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The CSRs to keep in our databag (in order).
    pub keep: Vec<CsrRequest>,
    /// A new CSR is needed for these DNS names (appended after `keep`).
    pub new_csr: Option<BTreeSet<String>>,
    /// The provider's entry to serve.
    pub serve: Option<ProviderCertificate>,
}

/// Whether `cert` is usable now for our key.
fn usable(c: &Issued, public_key: &[u8], now: SystemTime) -> bool {
    c.info.public_key == public_key && c.info.not_before <= now && now < c.info.not_after
}

/// Whether `cert` is past [`RENEW_AT`] of its life.
fn due(c: &CertInfo, now: SystemTime) -> bool {
    let life = c
        .not_after
        .duration_since(c.not_before)
        .unwrap_or(Duration::ZERO);
    now >= c.not_before + life.mul_f64(RENEW_AT)
}

/// The decision, from:
/// - `asked`: our CSRs in our unit databag, parsed (CSRs for another key are dropped);
/// - `issued`: the provider's certificates for those CSRs, parsed (same order or any);
/// - `public_key`: our key's;
/// - `common_name`, `sans`: what the CSR must ask for.
pub fn decide(
    asked: &[Asked],
    issued: &[(Pem, Issued)],
    public_key: &[u8],
    common_name: &str,
    sans: &BTreeSet<String>,
    now: SystemTime,
) -> Decision {
    let ours: Vec<&Asked> = asked
        .iter()
        .filter(|a| a.info.public_key == public_key && !a.request.ca)
        .collect();
    let cert_for = |a: &Asked| {
        issued
            .iter()
            .find(|(csr, c)| {
                csr == &a.request.certificate_signing_request && usable(c, public_key, now)
            })
            .map(|(_, c)| c)
    };
    let wanted =
        |a: &Asked| a.info.common_name.as_deref() == Some(common_name) && &a.info.sans_dns == sans;
    // The newest CSR asking for what we want.
    let fresh = ours.iter().rev().find(|a| wanted(a)).copied();
    let fresh_cert = fresh.and_then(cert_for);
    if let (Some(f), Some(c)) = (fresh, fresh_cert) {
        if !due(&c.info, now) {
            return Decision {
                keep: vec![f.request.clone()],
                new_csr: None,
                serve: Some(c.entry.clone()),
            };
        }
        // Past renewal time: served below while a new CSR for the same names waits.
    }
    // Serve the newest usable certificate among our CSRs (old names or due), if any.
    let serving = ours
        .iter()
        .rev()
        .filter_map(|a| cert_for(a).map(|c| (*a, c)))
        .max_by_key(|(_, c)| c.info.not_before);
    // A CSR waiting for what we want: one asking for it that has no certificate yet.
    let pending = ours
        .iter()
        .rev()
        .find(|a| wanted(a) && cert_for(a).is_none())
        .copied();
    let mut keep = Vec::new();
    if let Some((a, _)) = serving {
        keep.push(a.request.clone());
    }
    let new_csr = match pending {
        Some(p) => {
            if !keep.contains(&p.request) {
                keep.push(p.request.clone());
            }
            None
        }
        None => Some(sans.clone()),
    };
    Decision {
        keep,
        new_csr,
        serve: serving.map(|(_, c)| c.entry.clone()),
    }
}

/// The names our CSR asks for: CN = the application, DNS SANs = this unit's FQDN, the
/// application's service FQDN and every worker unit's address (as the Python coordinator).
pub fn wanted_sans(
    own_fqdn: &str,
    app_host: &str,
    worker_addresses: &[String],
) -> BTreeSet<String> {
    let mut s: BTreeSet<String> = worker_addresses.iter().cloned().collect();
    s.insert(own_fqdn.to_owned());
    s.insert(app_host.to_owned());
    s
}

/// One of our secrets, as the requirer needs it.
#[derive(Clone, PartialEq, Eq)]
pub struct OwnedSecret {
    /// Its id.
    pub id: SecretId,
    /// Its content.
    pub content: Databag,
    /// The applications it is granted to.
    pub granted_apps: Vec<String>,
}

/// Secrets, as far as the requirer needs them (the layer's hook tools implement it).
pub trait SecretStore {
    /// Error of the transport.
    type Error;
    /// Our secret labelled `label`, if it exists.
    fn get_owned(&self, label: &str) -> Result<Option<OwnedSecret>, Self::Error>;
    /// Creates a unit-owned secret; returns its id.
    fn add_unit_owned(&self, label: &str, content: &SecretContent)
        -> Result<SecretId, Self::Error>;
    /// Removes a secret we own.
    fn remove(&self, id: &SecretId) -> Result<(), Self::Error>;
    /// Every secret we own, with its label.
    fn owned_labels(&self) -> Result<Vec<(SecretId, Option<String>)>, Self::Error>;
}

impl<R: Runner> SecretStore for HookTools<R> {
    type Error = HookToolError;
    fn get_owned(&self, label: &str) -> Result<Option<OwnedSecret>, HookToolError> {
        let info = match self.secret_info_get(&SecretRef::Label(label.to_owned())) {
            Ok(info) => info,
            Err(e) if e.kind() == ErrorKind::SecretNotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let content = self.secret_get(&SecretRef::Id(info.id.clone()), SecretRead::Tracked)?;
        Ok(Some(OwnedSecret {
            id: info.id,
            content: content.into_inner(),
            granted_apps: info
                .access
                .iter()
                .filter_map(|a| a.target.strip_prefix("application-").map(str::to_owned))
                .collect(),
        }))
    }
    fn add_unit_owned(
        &self,
        label: &str,
        content: &SecretContent,
    ) -> Result<SecretId, HookToolError> {
        let options = SecretAddOptions {
            owner: SecretOwner::Unit,
            label: Some(label.to_owned()),
            ..SecretAddOptions::default()
        };
        self.secret_add(content, &options)
    }
    fn remove(&self, id: &SecretId) -> Result<(), HookToolError> {
        self.secret_remove(id, None)
    }
    fn owned_labels(&self) -> Result<Vec<(SecretId, Option<String>)>, HookToolError> {
        let mut out = Vec::new();
        for id in self.secret_ids()? {
            let info = self.secret_info_get(&SecretRef::Id(id.clone()))?;
            out.push((id, (!info.label.is_empty()).then_some(info.label)));
        }
        Ok(out)
    }
}

/// Why the requirer could not do its part this hook.
#[derive(Debug, thiserror::Error)]
pub enum TlsError<E: std::error::Error + 'static> {
    /// A hook tool failed.
    #[error(transparent)]
    Tool(E),
    /// Making the key or the CSR failed.
    #[error(transparent)]
    Pki(#[from] PkiError),
}

/// What [`prepare`] reads from the relation.
#[derive(Debug, Clone, Default)]
pub struct RelationData {
    /// Our unit databag.
    pub ours: Databag,
    /// The provider's application databag.
    pub provider: Databag,
}

/// The key: read from the unit-owned secret, or made and stored once. Returns the key, the
/// secret's id, and whether it was created now.
pub fn ensure_key<S: SecretStore>(
    store: &S,
    unit_number: u32,
) -> Result<(PrivateKey, OwnedSecret, bool), TlsError<S::Error>>
where
    S::Error: std::error::Error + 'static,
{
    let label = tlsc::private_key_secret_label(unit_number, CERTIFICATES);
    if let Some(secret) = store.get_owned(&label).map_err(TlsError::Tool)? {
        match secret
            .content
            .get(tlsc::PRIVATE_KEY_CONTENT_KEY)
            .map(|p| PrivateKey::from_pem(p))
        {
            Some(Ok(key)) => return Ok((key, secret, false)),
            Some(Err(e)) => {
                tracing::warn!(
                    "the private key in secret `{label}` is not usable ({e}); making a new one"
                );
            }
            None => tracing::warn!("secret `{label}` holds no private key; making a new one"),
        }
        store.remove(&secret.id).map_err(TlsError::Tool)?;
    }
    let key = PrivateKey::generate()?;
    let content: Databag = [(
        tlsc::PRIVATE_KEY_CONTENT_KEY.to_owned(),
        key.pem().to_owned(),
    )]
    .into();
    let content = SecretContent::new(content.clone()).map_err(|e| {
        TlsError::Pki(PkiError::Generate(format!(
            "the key is not valid secret content: {e}"
        )))
    })?;
    let id = store
        .add_unit_owned(&label, &content)
        .map_err(TlsError::Tool)?;
    Ok((
        key,
        OwnedSecret {
            id,
            content: content.into_inner(),
            granted_apps: Vec::new(),
        },
        true,
    ))
}

/// Parses what we asked and what the provider issued (PEM parsing only), decides, signs a
/// new CSR when needed, and returns what the reconciler needs.
pub fn resolve(
    relation: RelationId,
    data: &RelationData,
    key: &PrivateKey,
    key_secret_id: SecretId,
    common_name: &str,
    sans: &BTreeSet<String>,
    now: SystemTime,
) -> Result<TlsInputs, PkiError> {
    let public_key = key.public_key_der()?;
    let asked_data = RequirerData::from_databag(&data.ours).unwrap_or_else(|e| {
        tracing::warn!(relation = %relation, "our own certificate requests are unreadable ({e}); asking again");
        RequirerData::default()
    });
    let asked: Vec<Asked> = asked_data
        .certificate_signing_requests
        .iter()
        .filter_map(|r| {
            pki::read_csr(r.certificate_signing_request.as_str())
                .ok()
                .map(|info| Asked {
                    request: r.clone(),
                    info,
                })
        })
        .collect();
    let provider = match ProviderAppData::from_databag(&data.provider) {
        Ok(read) => {
            for e in &read.skipped {
                tracing::warn!(relation = %relation, "skipping a certificate from the provider: {e}");
            }
            read.data
        }
        Err(e) => {
            tracing::warn!(relation = %relation, "the provider's certificates are unreadable: {e}");
            ProviderAppData::default()
        }
    };
    let issued: Vec<(Pem, Issued)> = asked
        .iter()
        .filter_map(|a| provider.for_csr(&a.request.certificate_signing_request))
        .filter_map(|entry| match pki::read_certificate(entry.certificate.as_str()) {
            Ok(info) => Some((
                entry.certificate_signing_request.clone(),
                Issued {
                    entry: entry.clone(),
                    info,
                },
            )),
            Err(e) => {
                tracing::warn!(relation = %relation, "skipping a certificate from the provider: {e}");
                None
            }
        })
        .collect();
    let d = decide(&asked, &issued, &public_key, common_name, sans, now);
    let mut requests = d.keep.clone();
    if let Some(names) = &d.new_csr {
        let csr = pki::generate_csr(key, common_name, names)?;
        let pem = Pem::parse(&csr, label::CSR, || "our CSR".into())
            .map_err(|e| PkiError::Csr(e.to_string()))?;
        requests.push(CsrRequest {
            certificate_signing_request: pem,
            ca: false,
        });
    }
    let unit_bag = (requests != asked_data.certificate_signing_requests).then(|| {
        RequirerData {
            certificate_signing_requests: requests.clone(),
        }
        .to_databag()
    });
    let waiting = d.serve.as_ref().is_none_or(|s| {
        requests
            .last()
            .is_some_and(|r| r.certificate_signing_request != s.certificate_signing_request)
    });
    Ok(TlsInputs {
        relation: Some(relation),
        serving: d.serve.map(|c| Serving {
            certificate: c.certificate.as_str().to_owned(),
            ca: c.ca.as_str().to_owned(),
            chain: c
                .chain
                .unwrap_or_default()
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            private_key: key.pem().to_owned(),
            key_secret_id,
        }),
        unit_bag,
        key_granted_to: Vec::new(),
        waiting,
    })
}

/// Reads the requirer's state and does its part before the reconciler runs: the key
/// (read, or made once), both databags of the certificates relation, a new CSR when one is
/// needed. Without the relation it does nothing but, when the relation is being broken,
/// remove the key's secret (as the Python library does). One `relation-ids` when not
/// related; `secret-get` and two `relation-get`s when related.
pub fn prepare<R: Runner, S: SecretStore<Error = HookToolError>>(
    ctx: &Context,
    tools: &HookTools<R>,
    store: &S,
    i: &Inputs,
    worker_addresses: &[String],
) -> Result<TlsInputs, TlsError<HookToolError>> {
    let unit_number = ctx.unit.number();
    let being_broken = broken(&ctx.event).filter(|r| r.endpoint == CERTIFICATES);
    let relation = tools
        .relation_ids(CERTIFICATES)
        .map_err(TlsError::Tool)?
        .into_iter()
        .find(|r| Some(r) != being_broken);
    let Some(relation) = relation else {
        if being_broken.is_some() {
            let label = tlsc::private_key_secret_label(unit_number, CERTIFICATES);
            if let Some(secret) = store.get_owned(&label).map_err(TlsError::Tool)? {
                store.remove(&secret.id).map_err(TlsError::Tool)?;
            }
        }
        return Ok(TlsInputs::default());
    };
    if ctx.event == Event::UpgradeCharm {
        // After a refresh from the Python charm: its per-certificate secrets are not used.
        let owned = store.owned_labels().map_err(TlsError::Tool)?;
        let labelled: Vec<(String, Option<String>)> = owned
            .iter()
            .map(|(id, l)| (id.as_str().to_owned(), l.clone()))
            .collect();
        for stale in stale_certificate_secrets(unit_number, &labelled) {
            if let Some((id, _)) = owned.iter().find(|(id, _)| id.as_str() == stale) {
                tracing::info!("removing the certificate secret {stale} the Python charm left");
                store.remove(id).map_err(TlsError::Tool)?;
            }
        }
    }
    let (key, key_secret, _) = ensure_key(store, unit_number)?;
    let ours = unless_gone(tools.relation_get_unit(&relation, &ctx.unit))
        .map_err(TlsError::Tool)?
        .unwrap_or_default();
    let provider =
        unless_gone(tools.remote_app_databag(&relation, ctx.event.remote_app_on(&relation)))
            .map_err(TlsError::Tool)?
            .flatten()
            .map(|(_, bag)| bag)
            .unwrap_or_default();
    let own = i
        .own_fqdn
        .clone()
        .unwrap_or_else(|| crate::urls::unit_fqdn(&i.unit, &i.model, None));
    let app_host = crate::urls::app_host(i.own_fqdn.as_deref(), &i.app, &i.model);
    let sans = wanted_sans(&own, &app_host, worker_addresses);
    let mut t = resolve(
        relation,
        &RelationData { ours, provider },
        &key,
        key_secret.id.clone(),
        &i.app,
        &sans,
        SystemTime::now(),
    )?;
    t.key_granted_to = key_secret.granted_apps;
    Ok(t)
}

/// The certificate secrets a Python charm's library left (`<LIBID>-certificate-<unit>-
/// certificates-<hash>`), among our secrets' labels: removed after a refresh from it.
pub fn stale_certificate_secrets(
    unit_number: u32,
    labelled: &[(String, Option<String>)],
) -> Vec<&str> {
    let prefix = tlsc::certificate_secret_label_prefix(unit_number, CERTIFICATES);
    labelled
        .iter()
        .filter(|(_, l)| l.as_deref().is_some_and(|l| l.starts_with(&prefix)))
        .map(|(id, _)| id.as_str())
        .collect()
}

#[cfg(test)]
#[allow(clippy::cloned_ref_to_slice_refs)] // the tables read better with clones
mod tests {
    use super::*;

    fn asked(key: &PrivateKey, sans: &[&str]) -> Asked {
        let names: BTreeSet<String> = sans.iter().map(|s| s.to_string()).collect();
        let csr = pki::generate_csr(key, "tempo", &names).unwrap();
        Asked {
            request: CsrRequest {
                certificate_signing_request: Pem::parse(&csr, label::CSR, String::new).unwrap(),
                ca: false,
            },
            info: pki::read_csr(&csr).unwrap(),
        }
    }

    fn issued(a: &Asked, key: &PrivateKey, from: SystemTime, days: u64) -> (Pem, Issued) {
        // What matters to `decide` is the parsed info; the PEMs are stand-ins.
        let pem = |l: &'static str| {
            Pem::parse(
                &format!("-----BEGIN {l}-----\nAAAA\n-----END {l}-----"),
                l,
                String::new,
            )
            .unwrap()
        };
        let info = CertInfo {
            common_name: Some("tempo".into()),
            issuer_common_name: Some("CA".into()),
            sans_dns: a.info.sans_dns.clone(),
            public_key: key.public_key_der().unwrap(),
            not_before: from,
            not_after: from + Duration::from_secs(days * 86400),
            is_ca: false,
        };
        (
            a.request.certificate_signing_request.clone(),
            Issued {
                entry: ProviderCertificate {
                    ca: pem(label::CERTIFICATE),
                    certificate_signing_request: a.request.certificate_signing_request.clone(),
                    certificate: pem(label::CERTIFICATE),
                    chain: None,
                    revoked: None,
                },
                info,
            },
        )
    }

    fn names(s: &[&str]) -> BTreeSet<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn first_csr_then_serve_then_keep_serving_while_a_reissue_waits() {
        let key = PrivateKey::generate().unwrap();
        let pk = key.public_key_der().unwrap();
        let now = SystemTime::now();
        let one = names(&["a", "w0"]);
        // Nothing asked: a CSR for the names, nothing served.
        let d = decide(&[], &[], &pk, "tempo", &one, now);
        assert_eq!(
            (d.keep.len(), d.new_csr.as_ref(), d.serve.is_none()),
            (0, Some(&one), true)
        );
        // Asked, not answered: keep waiting, no new CSR.
        let a1 = asked(&key, &["a", "w0"]);
        let d = decide(&[a1.clone()], &[], &pk, "tempo", &one, now);
        assert_eq!(
            (d.keep, d.new_csr, d.serve),
            (vec![a1.request.clone()], None, None)
        );
        // Answered: serve it.
        let c1 = issued(&a1, &key, now - Duration::from_secs(3600), 365);
        let d = decide(&[a1.clone()], &[c1.clone()], &pk, "tempo", &one, now);
        assert_eq!(d.serve.as_ref(), Some(&c1.1.entry));
        assert_eq!((d.keep.len(), d.new_csr), (1, None));
        // A worker joins: the old CSR stays (and is served) and a new one is asked for.
        let two = names(&["a", "w0", "w1"]);
        let d = decide(&[a1.clone()], &[c1.clone()], &pk, "tempo", &two, now);
        assert_eq!(d.serve.as_ref(), Some(&c1.1.entry), "TLS stays on");
        assert_eq!(
            (d.keep, d.new_csr.as_ref()),
            (vec![a1.request.clone()], Some(&two))
        );
        // Both asked, the new one not yet answered: nothing new, both kept.
        let a2 = asked(&key, &["a", "w0", "w1"]);
        let d = decide(
            &[a1.clone(), a2.clone()],
            &[c1.clone()],
            &pk,
            "tempo",
            &two,
            now,
        );
        assert_eq!(d.serve.as_ref(), Some(&c1.1.entry));
        assert_eq!(
            (d.keep, d.new_csr),
            (vec![a1.request.clone(), a2.request.clone()], None)
        );
        // The new one answered: serve it, drop the old CSR.
        let c2 = issued(&a2, &key, now - Duration::from_secs(60), 365);
        let d = decide(
            &[a1, a2.clone()],
            &[c1, c2.clone()],
            &pk,
            "tempo",
            &two,
            now,
        );
        assert_eq!(d.serve.as_ref(), Some(&c2.1.entry));
        assert_eq!((d.keep, d.new_csr), (vec![a2.request], None));
    }

    #[test]
    fn renewal_expiry_and_foreign_keys() {
        let key = PrivateKey::generate().unwrap();
        let other = PrivateKey::generate().unwrap();
        let pk = key.public_key_der().unwrap();
        let now = SystemTime::now();
        let n = names(&["a"]);
        let a = asked(&key, &["a"]);
        // 95% of a 100-day life gone: still served, and a new CSR for the same names.
        let old = issued(&a, &key, now - Duration::from_secs(95 * 86400), 100);
        let d = decide(&[a.clone()], &[old.clone()], &pk, "tempo", &n, now);
        assert_eq!(d.serve.as_ref(), Some(&old.1.entry));
        assert_eq!((d.keep.len(), d.new_csr.as_ref()), (1, Some(&n)));
        // Expired: not served; the CSR is asked again.
        let dead = issued(&a, &key, now - Duration::from_secs(101 * 86400), 100);
        let d = decide(&[a.clone()], &[dead], &pk, "tempo", &n, now);
        assert!(d.serve.is_none());
        // A CSR or certificate for another key is never used.
        let foreign = asked(&other, &["a"]);
        let d = decide(
            &[foreign.clone()],
            &[issued(&foreign, &other, now, 10)],
            &pk,
            "tempo",
            &n,
            now,
        );
        assert!(d.serve.is_none() && d.keep.is_empty() && d.new_csr.is_some());
    }

    #[test]
    fn stale_python_certificate_secrets_found_by_label() {
        let l = |s: &str| Some(s.to_owned());
        let secrets = vec![
            (
                "s1".to_owned(),
                l(&tlsc::private_key_secret_label(0, CERTIFICATES)),
            ),
            (
                "s2".to_owned(),
                l(&tlsc::certificate_secret_label(0, CERTIFICATES, "ab")),
            ),
            (
                "s3".to_owned(),
                l(&tlsc::certificate_secret_label(1, CERTIFICATES, "ab")),
            ),
            ("s4".to_owned(), None),
        ];
        assert_eq!(stale_certificate_secrets(0, &secrets), ["s2"]);
    }
}
