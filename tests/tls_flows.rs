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
    venv::venv_or_skip(
        "tls-certificates",
        &[LIB, "ops==3.9.0"],
        "the tls-certificates provider tests",
    )
    .map(|v| v.join("bin/python3"))
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

// ---------------------------------------------------------------------------------------
// The recorded flows, replayed.

use charm_sim::inprocess::run_in_process;
use charm_sim::{Report, State};
use common::recorded::{self, Recorded};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use tempo_coordinator::entry;

const LIBID_KEY_LABEL_PREFIX: &str = "afd8c2bccf834997afce12c2706d2ede-private-key-";

/// The case's starting state: recorded::state_of, then this case's unit and peers.
fn start_state(case: &Value) -> State {
    let c = &case["case"];
    let app = c["app"].as_str().unwrap();
    let mut state = serde_json::to_value(recorded::state_of(case)).unwrap();
    state["unit"] = json!(format!("{app}/{}", c["unit_id"]));
    state["leader"] = c["leader"].clone();
    // The image's tools, as Pebble would run them.
    state["containers"][0]["exec"] =
        json!([{"command": ["update-ca-certificates"]}, {"command": ["nginx"]}]);
    let peers = &mut state["relations"][0];
    for (n, fqdn) in c["peers"].as_object().unwrap() {
        let unit = format!("{app}/{n}");
        peers["remote_units"]
            .as_array_mut()
            .unwrap()
            .push(json!(unit));
        let mut q = String::new();
        charm_interfaces::pyjson::push_str(&mut q, fqdn.as_str().unwrap());
        peers["remote_units_data"][&unit] = json!({"fqdn": q, "hostname": fqdn});
    }
    serde_json::from_value(state).unwrap()
}

/// The provider: the Rust test CA (`TestCa`), or the real library's charm.
enum Provider {
    Rust(BTreeMap<u64, tls_ca::TestCa>),
    Python(PathBuf, BTreeMap<u64, (tls_ca::TestCa, tempfile::TempDir)>),
}

impl Provider {
    /// The provider's application databag after it answered what `ours` asks, with CA #n.
    fn answer(
        &mut self,
        n: u64,
        ours: &juju_charm::Databag,
        previous: &juju_charm::Databag,
        revoke: bool,
    ) -> juju_charm::Databag {
        match self {
            Provider::Rust(cas) => cas
                .entry(n)
                .or_insert_with(|| tls_ca::TestCa::new(&format!("Tempo Test CA #{n}")))
                .answer(ours, previous, revoke),
            Provider::Python(py, cas) => {
                if revoke {
                    // The library's provider revokes through `revoke_all_certificates`; the
                    // recording's provider marks the entries: do the same on its bytes.
                    let mut read = ProviderAppData::from_databag(previous).unwrap().data;
                    for c in &mut read.certificates {
                        c.revoked = Some(true);
                    }
                    return read.to_databag();
                }
                let (ca, dir) = cas.entry(n).or_insert_with(|| {
                    let ca = tls_ca::TestCa::new(&format!("Tempo Test CA #{n}"));
                    let dir = provider_dir(py, &ca);
                    (ca, dir)
                });
                let _ = ca;
                // The library keeps entries it issued; a new CA's charm starts from nothing.
                let mut bag = provider_answer(dir.path(), ours);
                if bag.is_empty() {
                    bag = previous.clone();
                }
                bag
            }
        }
    }
}

fn relation(s: &State, id: u64) -> Option<&charm_sim::state::Relation> {
    s.relations.iter().find(|r| u64::from(r.id) == id)
}

/// The step's world changes, then its hook; the report.
fn step(case: &Value, state: &mut State, st: &Value, provider: &mut Provider) -> Report {
    let c = &case["case"];
    for r in st
        .get("add_relations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let remote = r["remote_app"].as_str().unwrap();
        state.relations.push(
            serde_json::from_value(json!({
                "id": r["id"], "endpoint": r["endpoint"], "remote_app": remote,
                "remote_units": [format!("{remote}/0")],
            }))
            .unwrap(),
        );
    }
    for (id, units) in st
        .get("add_units")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let id: u64 = id.parse().unwrap();
        let r = state
            .relations
            .iter_mut()
            .find(|r| u64::from(r.id) == id)
            .unwrap();
        for (n, bag) in units.as_object().unwrap() {
            let unit = format!("{}/{n}", r.remote_app);
            r.remote_units.push(unit.clone());
            r.remote_units_data
                .insert(unit, serde_json::from_value(bag.clone()).unwrap());
        }
    }
    for id in st
        .get("remove_relations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        state
            .relations
            .retain(|r| u64::from(r.id) != id.as_u64().unwrap());
    }
    let cert_rel = c["certificates_id"].as_u64().unwrap();
    match st.get("provider") {
        Some(Value::String(s)) if s == "nothing" => {}
        Some(p @ Value::Object(_)) => {
            let rel = relation(state, cert_rel).unwrap();
            let ours = rel.local_unit.clone();
            let previous = rel.remote_app_data.clone();
            let bag = provider.answer(
                p["ca"].as_u64().unwrap(),
                &ours,
                &previous,
                p.get("revoke").and_then(Value::as_bool).unwrap_or(false),
            );
            let rel = state
                .relations
                .iter_mut()
                .find(|r| u64::from(r.id) == cert_rel)
                .unwrap();
            rel.remote_app_data = bag;
        }
        _ => {}
    }
    let event = st["event"].as_str().unwrap();
    let spec = match st.get("relation_id").and_then(Value::as_u64) {
        Some(id) => {
            let endpoint = event.rsplit_once("-relation-").map_or(event, |(e, _)| e);
            let mut s = EventSpec::on(event, &format!("{endpoint}:{id}"));
            let remote = relation(state, id).unwrap().remote_app.clone();
            if !event.ends_with("-broken") && !event.ends_with("-created") {
                let n = st.get("remote_unit").and_then(Value::as_u64).unwrap_or(0);
                s.remote_unit = Some(format!("{remote}/{n}"));
            }
            s
        }
        None => EventSpec::new(event),
    };
    let host = Recorded(c["fqdn"].as_str().unwrap().to_owned());
    let r = run_in_process(state, &spec, Path::new(ROOT), |env, runner| {
        entry(env, None, runner, &host)
    })
    .expect("the simulator runs the hook");
    assert_eq!(r.exit_code, 0, "{} {}: {}", c["id"], st["name"], r.stderr);
    *state = r.state.clone();
    r
}

/// Each line of nginx.conf that says TLS, once, in order (what `nginx_tls_lines` lists).
fn nginx_tls_lines(conf: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in conf.lines().map(str::trim) {
        let tls = l.starts_with("listen ")
            || l.starts_with("ssl_")
            || l.starts_with("set $backend https://")
            || l.starts_with("set $backend grpcs://")
            || l.starts_with("server_name ");
        if tls && !out.iter().any(|o| o == l) {
            out.push(l.to_owned());
        }
    }
    out
}

/// A secret's latest content.
fn content(s: &charm_sim::state::SecretState) -> BTreeMap<String, String> {
    s.revisions
        .last()
        .map_or_else(|| s.content.clone(), |r| r.content.clone())
}

fn file<'a>(s: &'a State, container: &str, path: &str) -> Option<(&'a str, &'a str)> {
    s.containers
        .iter()
        .find(|c| c.name == container)
        .and_then(|c| c.files.get(path))
        .map(|f| (f.content(), f.permissions()))
}

fn execs(r: &Report, container: &str) -> Vec<Vec<String>> {
    r.containers
        .iter()
        .find(|c| c.name == container)
        .map(|c| c.exec_calls.iter().map(|e| e.command.clone()).collect())
        .unwrap_or_default()
}

/// The certificate we serve is the provider's for one of our CSRs, with our key.
fn served(state: &State, cert_rel: u64) -> Option<(String, String)> {
    let rel = relation(state, cert_rel)?;
    let read = ProviderAppData::from_databag(&rel.remote_app_data)
        .ok()?
        .data;
    let asked = RequirerData::from_databag(&rel.local_unit).ok()?;
    let served = file(state, "nginx", "/etc/nginx/certs/server.cert")?
        .0
        .trim()
        .to_owned();
    asked
        .certificate_signing_requests
        .iter()
        .filter_map(|r| read.for_csr(&r.certificate_signing_request))
        .find(|c| c.certificate.as_str() == served)
        .map(|c| (c.certificate.as_str().to_owned(), c.ca.as_str().to_owned()))
}

fn decode_tls_config(worker_config: &str) -> BTreeMap<String, Value> {
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&serde_json::from_str::<String>(worker_config).unwrap()).unwrap();
    let v = serde_json::to_value(yaml).unwrap();
    let mut out = BTreeMap::new();
    fn walk(prefix: &str, v: &Value, out: &mut BTreeMap<String, Value>) {
        if let Value::Object(m) = v {
            for (k, x) in m {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                if k.contains("tls") {
                    out.insert(p, x.clone());
                } else {
                    walk(&p, x, out);
                }
            }
        }
    }
    walk("", &v, &mut out);
    out
}

/// One flow: every step's hook, compared with the recording as its README says, with our
/// deliberate differences asserted as ours.
fn replay(case: &Value, provider: &mut Provider) -> Vec<String> {
    let c = &case["case"];
    let id = c["id"].as_str().unwrap();
    let cert_rel = c["certificates_id"].as_u64().unwrap();
    let mut state = start_state(case);
    let mut failures = Vec::new();
    let mut previous_ca: Option<String> = None;
    let mut previous_cert: Option<String> = None;
    let mut execs_before = 0;
    let mut previous_conf = String::new();
    for (st, want) in c["steps"]
        .as_array()
        .unwrap()
        .iter()
        .zip(case["expect"]["steps"].as_array().unwrap())
    {
        let name = st["name"].as_str().unwrap();
        let at = format!("{id}/{name}");
        let r = step(case, &mut state, st, provider);
        let mut check = |ok: bool, what: String| {
            if !ok {
                failures.push(format!("{at}: {what}"));
            }
        };
        // Statuses as Python's.
        let us = r
            .unit_status
            .as_ref()
            .map(|s| json!({"status": s.status, "message": s.message}));
        check(
            us.as_ref() == Some(&want["unit_status"]),
            format!("unit status {us:?} != {}", want["unit_status"]),
        );
        let conf = file(&state, "nginx", "/etc/nginx/nginx.conf")
            .map(|f| f.0.to_owned())
            .unwrap_or_default();
        let ours_tls = conf.contains("ssl_certificate ");
        let python_tls = want["nginx_tls_lines"].as_array().is_some_and(|l| {
            l.iter().any(|x| {
                x.as_str()
                    .is_some_and(|x| x.starts_with("ssl_certificate "))
            })
        });
        // Better than Python: TLS stays on while the re-issued CSR waits.
        let expect_tls = python_tls || name == "worker-unit-joins";
        check(
            ours_tls == expect_tls,
            format!("TLS on: ours {ours_tls}, expected {expect_tls}"),
        );
        // nginx's TLS lines: Python's, but TLS 1.2 and 1.3 only.
        let theirs: Vec<String> = want["nginx_tls_lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| {
                l.as_str().unwrap().replace(
                    "ssl_protocols TLSv1 TLSv1.1 TLSv1.2 TLSv1.3;",
                    "ssl_protocols TLSv1.2 TLSv1.3;",
                )
            })
            .collect();
        let ours_lines = nginx_tls_lines(&conf);
        if python_tls == ours_tls {
            let a: BTreeSet<&String> = ours_lines.iter().collect();
            let b: BTreeSet<&String> = theirs.iter().collect();
            check(
                a == b,
                format!(
                    "nginx TLS lines differ: ours-only {:?}, theirs-only {:?}",
                    a.difference(&b).collect::<Vec<_>>(),
                    b.difference(&a).collect::<Vec<_>>()
                ),
            );
        }
        // The key's secret, labelled as Python labels it; no per-certificate secrets.
        let key_secret = state.secrets.iter().find(|s| {
            s.label
                .as_deref()
                .is_some_and(|l| l.starts_with(LIBID_KEY_LABEL_PREFIX))
        });
        let want_key = want["secrets"].as_array().unwrap().iter().find(|s| {
            s["label"]
                .as_str()
                .unwrap()
                .starts_with(LIBID_KEY_LABEL_PREFIX)
        });
        check(
            key_secret.map(|s| s.label.clone())
                == want_key.map(|s| s["label"].as_str().map(str::to_owned)),
            format!(
                "key secret {:?} vs {:?}",
                key_secret.map(|s| &s.label),
                want_key.map(|s| &s["label"])
            ),
        );
        check(
            state
                .secrets
                .iter()
                .all(|s| !s.label.as_deref().unwrap_or("").contains("-certificate-")),
            "a certificate secret was kept".into(),
        );
        // The CSR: CN and SANs as Python's (the newest one; ours may keep the old one too).
        if let Some(rel) = relation(&state, cert_rel) {
            let asked = RequirerData::from_databag(&rel.local_unit).unwrap();
            let want_csrs = &want["relations"][format!("certificates:{cert_rel}")]["local_unit"]
                ["certificate_signing_requests"]["json"];
            if let (Some(last), Some(w)) = (
                asked.certificate_signing_requests.last(),
                want_csrs.as_array().and_then(|a| a.last()),
            ) {
                let info = pki::read_csr(last.certificate_signing_request.as_str()).unwrap();
                let w = &w["certificate_signing_request"];
                check(
                    info.common_name.as_deref() == w["cn"].as_str(),
                    format!("CSR CN {:?}", info.common_name),
                );
                let want_sans: BTreeSet<String> = w["sans"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| s.as_str().unwrap().to_owned())
                    .collect();
                check(
                    info.sans_dns == want_sans,
                    format!("CSR SANs {:?} != {want_sans:?}", info.sans_dns),
                );
                check(
                    Some(info.public_key)
                        == key_secret
                            .and_then(|s| content(s).get("private-key").cloned())
                            .map(|k| {
                                pki::PrivateKey::from_pem(&k)
                                    .unwrap()
                                    .public_key_der()
                                    .unwrap()
                            }),
                    "CSR not for our key".into(),
                );
            }
            let n = asked.certificate_signing_requests.len();
            let want_n = if name == "worker-unit-joins" { 2 } else { 1 };
            check(
                n == want_n,
                format!("{n} CSRs in our databag, expected {want_n}"),
            );
        }
        // What we serve: the provider's certificate for our CSR and its CA, everywhere.
        let served = served(&state, cert_rel);
        check(
            served.is_some() == ours_tls,
            format!("serving {:?} with TLS {ours_tls}", served.is_some()),
        );
        let key_pem = key_secret.and_then(|s| content(s).get("private-key").cloned());
        if let (Some((cert, ca)), Some(key)) = (&served, &key_pem) {
            check(
                file(&state, "nginx", "/etc/nginx/certs/server.key")
                    == Some((&format!("{key}\n"), "600")),
                "nginx key file (0600)".into(),
            );
            check(
                file(&state, "nginx", "/etc/nginx/certs/server.cert").map(|f| f.1) == Some("644"),
                "nginx cert mode".into(),
            );
            check(
                file(&state, "nginx", "/usr/local/share/ca-certificates/ca.crt")
                    .map(|f| f.0.trim().to_owned())
                    == Some(ca.clone()),
                "CA file".into(),
            );
            check(
                file(
                    &state,
                    "nginx-prometheus-exporter",
                    "/etc/exporter/certs/server.key",
                )
                .map(|f| f.1)
                    == Some("600"),
                "exporter key mode".into(),
            );
            let plan = &r
                .containers
                .iter()
                .find(|c| c.name == "nginx-prometheus-exporter")
                .unwrap()
                .plan;
            let svc = &plan.services["nginx-prometheus-exporter"];
            let reload = format!(
                "{},754d36fd16a10e3008650109e6f470a9e2287fcbd2a44aec30bc71601e5e1368",
                pki::sha256_hex(format!("{key}{cert}").as_bytes())
            );
            check(
                svc.environment.get("_reload") == Some(&reload),
                format!("exporter _reload {:?}", svc.environment.get("_reload")),
            );
            check(
                svc.command
                    .as_deref()
                    .is_some_and(|c| c.contains("--nginx.scrape-uri=https://127.0.0.1:443/status")),
                "exporter scrape uri".into(),
            );
        }
        // The cluster databags: Python's TLS keys and Tempo's TLS sections, when TLS is on.
        for (rel, want_rel) in want["relations"].as_object().unwrap() {
            if !rel.starts_with("tempo-cluster:") {
                continue;
            }
            let rid: u64 = rel["tempo-cluster:".len()..].parse().unwrap();
            let ours = relation(&state, rid)
                .map(|r| r.local_app.clone())
                .unwrap_or_default();
            let theirs = &want_rel["local_app"];
            if theirs.as_object().is_some_and(|m| m.is_empty()) {
                check(
                    ours.is_empty(),
                    format!("{rel}: we wrote a databag, Python did not"),
                );
                continue;
            }
            let has = |k: &str| ours.contains_key(k);
            check(
                has("ca_cert") == ours_tls
                    && has("server_cert") == ours_tls
                    && has("privkey_secret_id") == ours_tls,
                format!(
                    "{rel}: TLS keys present {} with TLS {ours_tls}",
                    has("ca_cert")
                ),
            );
            if let (Some((cert, ca)), Some(secret)) = (&served, key_secret) {
                let s = |k: &str| {
                    ours.get(k)
                        .and_then(|v| serde_json::from_str::<String>(v).ok())
                };
                check(s("ca_cert").as_ref() == Some(ca), format!("{rel}: ca_cert"));
                check(
                    s("server_cert").as_ref() == Some(cert),
                    format!("{rel}: server_cert"),
                );
                check(
                    s("privkey_secret_id")
                        .as_deref()
                        .map(charm_sim::state::bare_secret_id)
                        == Some(secret.bare_id()),
                    format!(
                        "{rel}: privkey_secret_id {:?} vs {}",
                        s("privkey_secret_id"),
                        secret.id
                    ),
                );
                let worker_app = relation(&state, rid).unwrap().remote_app.clone();
                check(
                    secret
                        .grants
                        .iter()
                        .any(|g| u64::from(g.relation) == rid && g.target == worker_app),
                    format!("{rel}: key not granted to {worker_app}"),
                );
            }
            let ours_cfg = ours
                .get("worker_config")
                .map(|w| decode_tls_config(w))
                .unwrap_or_default();
            let want_cfg: BTreeMap<String, Value> =
                serde_json::from_value(want["tempo_config_tls"][rel].clone()).unwrap_or_default();
            if python_tls == ours_tls {
                check(ours_cfg == want_cfg, format!("{rel}: Tempo's TLS sections differ:\n ours {ours_cfg:?}\n theirs {want_cfg:?}"));
                for k in ["charm_tracing_receivers", "workload_tracing_receivers"] {
                    check(
                        ours.get(k) == theirs[k].as_str().map(str::to_owned).as_ref(),
                        format!("{rel}: {k}"),
                    );
                }
            }
        }
        // Traefik's route (https services, no h2c for gRPC once TLS is on), as parsed YAML.
        for (rel, want_rel) in want["relations"].as_object().unwrap() {
            if !rel.starts_with("ingress:") || python_tls != ours_tls {
                continue;
            }
            let rid: u64 = rel.split_once(':').unwrap().1.parse().unwrap();
            let ours = relation(&state, rid)
                .map(|r| r.local_app.clone())
                .unwrap_or_default();
            for (k, v) in want_rel["local_app"].as_object().unwrap() {
                let theirs: serde_yaml::Value = serde_yaml::from_str(v.as_str().unwrap()).unwrap();
                let mine: Option<serde_yaml::Value> =
                    ours.get(k).map(|m| serde_yaml::from_str(m).unwrap());
                check(
                    mine.as_ref() == Some(&theirs),
                    format!("{rel}: `{k}` differs"),
                );
            }
        }
        // Scrape jobs: each says `"scheme": "https"` while TLS is on, as Python's do.
        for (rel, want_rel) in want["relations"].as_object().unwrap() {
            if !rel.starts_with("metrics-endpoint:") || python_tls != ours_tls {
                continue;
            }
            let rid: u64 = rel.split_once(':').unwrap().1.parse().unwrap();
            let ours = relation(&state, rid)
                .map(|r| r.local_app.clone())
                .unwrap_or_default();
            let schemes = |jobs: Option<&str>| -> Vec<Option<String>> {
                let v: Value = jobs
                    .and_then(|j| serde_json::from_str(j).ok())
                    .unwrap_or_default();
                v.as_array()
                    .into_iter()
                    .flatten()
                    .map(|j| j["scheme"].as_str().map(str::to_owned))
                    .collect()
            };
            let theirs = schemes(want_rel["local_app"]["scrape_jobs"].as_str());
            let mine = schemes(ours.get("scrape_jobs").map(String::as_str));
            let want_scheme = ours_tls.then(|| "https".to_owned());
            check(
                !mine.is_empty() && mine.iter().all(|x| x == &want_scheme),
                format!("{rel}: scrape job schemes {mine:?}"),
            );
            check(
                theirs.iter().all(|x| x == &want_scheme),
                format!("{rel}: recorded schemes {theirs:?}"),
            );
        }
        // tempo-api and tracing bytes (https with TLS).
        for (rel, want_rel) in want["relations"].as_object().unwrap() {
            if !(rel.starts_with("tempo-api:") || rel.starts_with("tracing:"))
                || python_tls != ours_tls
            {
                continue;
            }
            let rid: u64 = rel.split_once(':').unwrap().1.parse().unwrap();
            let ours = relation(&state, rid)
                .map(|r| r.local_app.clone())
                .unwrap_or_default();
            let theirs: juju_charm::Databag =
                serde_json::from_value(want_rel["local_app"].clone()).unwrap();
            check(ours == theirs, format!("{rel}: {ours:?} != {theirs:?}"));
        }
        // Execs in nginx: update-ca-certificates only when the CA changed, a reload when the
        // certificate changed (Python: on every hook without TLS, and no reload on rotation).
        let all = execs(&r, "nginx");
        let now: Vec<Vec<String>> = all[execs_before.min(all.len())..].to_vec();
        execs_before = all.len();
        let ca_now = served.as_ref().map(|s| s.1.clone());
        let cert_now = served.as_ref().map(|s| s.0.clone());
        let updates = now
            .iter()
            .filter(|c| c[0] == "update-ca-certificates")
            .count();
        let reloads = now
            .iter()
            .filter(|c| c[..] == ["nginx", "-s", "reload"])
            .count();
        let ca_changed = ca_now != previous_ca;
        let cert_changed = cert_now != previous_cert;
        check(
            updates == usize::from(ca_changed),
            format!("{updates} update-ca-certificates with the CA changed {ca_changed}: {now:?}"),
        );
        if name != "baseline" {
            let conf_changed = conf != previous_conf;
            let want = usize::from(cert_changed || conf_changed);
            check(reloads == want, format!("{reloads} reloads with the certificate changed {cert_changed}, nginx.conf changed {conf_changed}: {now:?}"));
        }
        previous_conf = conf.clone();
        previous_ca = ca_now;
        previous_cert = cert_now;
    }
    failures
}

fn tls_cases() -> Vec<Value> {
    recorded::cases("tls", 8)
}

#[test]
fn recorded_flows_with_the_real_provider_library() {
    let Some(py) = python() else { return };
    let mut failures = Vec::new();
    for case in tls_cases() {
        failures.extend(replay(
            &case,
            &mut Provider::Python(py.clone(), BTreeMap::new()),
        ));
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn recorded_flows_with_the_rust_test_ca() {
    let mut failures = Vec::new();
    for case in tls_cases() {
        failures.extend(replay(&case, &mut Provider::Rust(BTreeMap::new())));
    }
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
