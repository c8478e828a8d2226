//! A property over any remote data: worker addresses and self-reported topologies,
//! remote-write URLs, Traefik's address and tracing requests, hostile or not. The hook exits
//! 0, and either the nginx.conf it pushes passes a real nginx's `nginx -t` with every valid
//! value served, or the value was skipped with a log line naming its unit. Locations and
//! upstream names come from Juju's unit names, never from the units' own word.
//!
//! Real nginx (`target/nginx-sid`, fetched by `tests/nginx/fetch-sid-nginx.sh`) runs once
//! per case; without it the test skips with a message, and under CI it fails.

mod common;
#[path = "common/nginx.rs"]
mod nginx;

use std::path::Path;
use std::process::Command;

use charm_interfaces::grammar::{Host, HttpUrl};
use charm_sim::{EventSpec, State};
use common::*;
use proptest::prelude::*;
use serde_json::json;

/// A host as a remote unit might write it: valid names and IP literals of every form, and
/// strings that are not hosts at all (config syntax, nginx variables, Unicode, empty).
fn any_host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9-]{0,12}(\\.[a-z0-9]{1,8}){0,3}\\.?",
        any::<[u8; 4]>().prop_map(|b| std::net::Ipv4Addr::from(b).to_string()),
        any::<[u16; 8]>().prop_map(|b| std::net::Ipv6Addr::from(b).to_string()),
        any::<[u16; 8]>().prop_map(|b| format!("[{}]", std::net::Ipv6Addr::from(b))),
        prop::sample::select(vec![
            "$host",
            "a;b",
            "x{y}",
            "a'b",
            "w\"x",
            "::1]:80",
            "a b",
            "a\nb",
            "ü.example",
            "-a",
            "a..b",
            "",
            "1.2.3",
            "a_b.svc",
            "${env}",
            "a:80",
            "#x",
        ])
        .prop_map(str::to_owned),
        "\\PC{0,24}",
    ]
}

fn any_url() -> impl Strategy<Value = String> {
    prop_oneof![
        (
            prop::sample::select(vec!["http", "https", "HTTP", "ftp"]),
            any_host(),
            prop::option::of(0u32..70000),
            prop::sample::select(vec!["", "/api/v1/write", "/a;b", "/$uri", "/x?y", "/%41"]),
        )
            .prop_map(|(s, h, p, path)| {
                let host = if h.contains(':') && !h.starts_with('[') {
                    format!("[{h}]")
                } else {
                    h
                };
                match p {
                    Some(p) => format!("{s}://{host}:{p}{path}"),
                    None => format!("{s}://{host}{path}"),
                }
            }),
        "\\PC{0,40}",
    ]
}

#[derive(Debug, Clone)]
struct Remote {
    /// Each worker unit's address and the unit name it claims in `juju_topology`.
    workers: Vec<(String, String)>,
    /// Each Prometheus unit's remote-write URL.
    remote_write: Vec<String>,
    /// Traefik's scheme and external host.
    traefik: (String, String),
    /// Each tracing requirer's receivers.
    tracing: Vec<Vec<String>>,
}

fn any_remote() -> impl Strategy<Value = Remote> {
    let claimed = prop::sample::select(vec!["own", "w/0", "other/1", "$x/0", ""]);
    (
        prop::collection::vec((any_host(), claimed), 1..8),
        prop::collection::vec(any_url(), 0..5),
        (
            prop::sample::select(vec!["http", "https", "gopher"]),
            any_host(),
        ),
        prop::collection::vec(
            prop::collection::vec(
                prop::sample::select(vec![
                    "otlp_grpc",
                    "otlp_http",
                    "zipkin",
                    "jaeger_grpc",
                    "jaeger_thrift_http",
                    "$x",
                    "",
                ]),
                0..3,
            ),
            0..4,
        ),
    )
        .prop_map(|(w, rw, (scheme, host), tr)| Remote {
            workers: w
                .into_iter()
                .enumerate()
                .map(|(i, (a, c))| {
                    let claim = if c == "own" {
                        format!("w/{i}")
                    } else {
                        c.to_owned()
                    };
                    (a, claim)
                })
                .collect(),
            remote_write: rw,
            traefik: (scheme.to_owned(), host),
            tracing: tr
                .into_iter()
                .map(|r| r.into_iter().map(str::to_owned).collect())
                .collect(),
        })
}

fn state_for(r: &Remote) -> State {
    let worker_units: Vec<String> = (0..r.workers.len()).map(|i| format!("w/{i}")).collect();
    let worker_data: serde_json::Map<String, serde_json::Value> = r
        .workers
        .iter()
        .enumerate()
        .map(|(i, (address, claim))| {
            (
                format!("w/{i}"),
                json!({
                    "address": serde_json::to_string(address).unwrap(),
                    "juju_topology": json!({"application": "w", "unit": claim, "charm_name": "tempo-worker-k8s"}).to_string(),
                }),
            )
        })
        .collect();
    let prom_units: Vec<String> = (0..r.remote_write.len())
        .map(|i| format!("prom/{i}"))
        .collect();
    let prom_data: serde_json::Map<String, serde_json::Value> = r
        .remote_write
        .iter()
        .enumerate()
        .map(|(i, url)| {
            (
                format!("prom/{i}"),
                json!({"remote_write": json!({"url": url}).to_string()}),
            )
        })
        .collect();
    // Juju stores no empty value: an empty host is an absent key.
    let mut traefik = json!({"scheme": r.traefik.0});
    if !r.traefik.1.is_empty() {
        traefik["external_host"] = json!(r.traefik.1);
    }
    let mut relations = vec![
        json!({"id": 900, "endpoint": "s3", "remote_app": "s3-integrator", "remote_units": ["s3-integrator/0"],
               "remote_app_data": {"access-key": "AK", "secret-key": "SK", "bucket": "tempo", "endpoint": "http://minio:9000"}}),
        json!({"id": 901, "endpoint": "tempo-cluster", "remote_app": "w", "remote_units": worker_units,
               "remote_app_data": {"role": "\"all\""}, "remote_units_data": worker_data}),
        json!({"id": 902, "endpoint": "ingress", "remote_app": "traefik", "remote_units": ["traefik/0"],
               "remote_app_data": traefik}),
        json!({"id": 1, "endpoint": "peers", "remote_app": "tempo"}),
    ];
    if !prom_units.is_empty() {
        relations.push(
            json!({"id": 903, "endpoint": "send-remote-write", "remote_app": "prom",
            "remote_units": prom_units, "remote_units_data": prom_data}),
        );
    }
    for (i, receivers) in r.tracing.iter().enumerate() {
        relations.push(
            json!({"id": 1000 + i, "endpoint": "tracing", "remote_app": format!("app{i}"),
            "remote_units": [format!("app{i}/0")],
            "remote_app_data": {"receivers": serde_json::to_string(receivers).unwrap()}}),
        );
    }
    let v = json!({
        "unit": "tempo/0", "model": "cos", "leader": true,
        "containers": [{"name": "nginx", "exec": [{"command": ["nginx", "-t"]}]}, {"name": "nginx-prometheus-exporter"}],
        "relations": relations,
    });
    state(&v.to_string())
}

fn nginx_t(ng: &nginx::Nginx, dir: &Path, conf: &str) -> (bool, String) {
    let file = dir.join("nginx.conf");
    let mime = ng.mime_types.to_str().expect("utf-8 path");
    std::fs::write(&file, conf.replace("/etc/nginx/mime.types", mime)).expect("write");
    let out = Command::new(&ng.bin)
        .arg("-t")
        .arg("-c")
        .arg(&file)
        .output()
        .expect("run nginx -t");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_remote_data_renders_a_config_nginx_accepts_or_is_skipped_with_a_log_line(r in any_remote()) {
        let Some(ng) = nginx::nginx() else { return Ok(()) };
        let dir = tempfile::tempdir().expect("temp dir");
        let report = inproc(&state_for(&r), &EventSpec::new("config-changed"));
        prop_assert_eq!(report.exit_code, 0, "{}", report.stderr);
        let logs: Vec<&str> = report.logs.iter().map(|l| l.message.as_str()).collect();
        let conf = pushed_nginx_conf(&report).expect("a coherent cluster gets a config");
        let (ok, stderr) = nginx_t(ng, dir.path(), &conf);
        prop_assert!(ok, "nginx -t refused:\n{}\n{}", stderr, conf);

        for (i, (address, claim)) in r.workers.iter().enumerate() {
            let unit = format!("w/{i}");
            let valid = address.parse::<Host>().is_ok()
                && claim.parse::<charm_interfaces::grammar::UnitName>().is_ok();
            if valid {
                let host = address.parse::<Host>().unwrap();
                // Served at its normalised address (IPv6 bracketed before the port), under
                // the name Juju gives the unit, whatever it claims.
                let server = format!("server {host}:3200 resolve;");
                prop_assert!(conf.contains(&server), "{}", server);
                let location = format!("location = /proxy/worker/w-{i}/metrics");
                prop_assert!(conf.contains(&location), "{}", location);
            } else {
                prop_assert!(
                    logs.iter().any(|l| l.contains("skipping a worker unit") && l.contains(&unit)),
                    "{unit} ({address:?}, claims {claim:?}) skipped silently: {logs:?}"
                );
            }
        }
        let mut keys = std::collections::BTreeSet::new();
        for (i, url) in r.remote_write.iter().enumerate() {
            match url.parse::<HttpUrl>() {
                Ok(u) => {
                    let server = format!("server {}:{} resolve;", u.host(), u.port_or_default());
                    prop_assert!(conf.contains(&server), "{}", server);
                    keys.insert(u.to_string());
                }
                Err(_) => prop_assert!(
                    logs.iter().any(|l| l.contains("ignoring the remote_write") && l.contains(&format!("prom/{i}"))),
                    "prom/{i} ({url:?}) skipped silently: {logs:?}"
                ),
            }
        }
        // One location per distinct URL: colliding host labels never make a duplicate. (The
        // proxy server exists once a worker unit is served, as in the Python charm.)
        let proxied = conf.contains("location = /proxy/worker/");
        prop_assert_eq!(
            conf.matches("location = /proxy/remote-write/").count(),
            if proxied { keys.len() } else { 0 }
        );
    }
}
