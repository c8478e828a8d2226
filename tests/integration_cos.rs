//! Tempo inside COS, on a real Juju on MicroK8s (see README, "Integration tests on
//! MicroK8s"). Compiled in every `cargo test`; skips with a message when `juju` is not on
//! PATH.
//!
//! Deploys the whole Tempo of `integration_microk8s.rs` (our packed coordinator, one `all`
//! `tempo-worker-k8s`, `seaweedfs-k8s`, the tester) next to COS from Charmhub: `grafana-k8s`,
//! `prometheus-k8s`, `loki-k8s`, `catalogue-k8s` and `self-signed-certificates`, related as
//! COS's Terraform module relates them (canonical/observability-stack `terraform/cos`: every
//! Tempo integration with COS, and internal TLS: every one of them takes its certificate from
//! the same CA). Then, with the CA from `juju run ssc/0 get-ca-certificate`, from inside the
//! cluster (the tester's pod, where the `*.svc.cluster.local` names resolve and the
//! certificates issued for them verify, so nothing here skips verification):
//! - the tester now gets https URLs, and one OTLP/HTTP trace sent to the published receiver
//!   is answered through Grafana's API: the `tempo` datasource's query proxy
//!   (`/api/datasources/proxy/uid/<uid>/api/traces/<id>`) returns it;
//! - the datasource correlates traces to Loki's logs and Prometheus's metrics (the uids it
//!   received over receive-datasource), and Grafana lists Tempo's dashboards;
//! - Prometheus's `/api/v1/targets` has targets of `tempo` and `tempo-worker`, every one `up`;
//! - Loki's `/loki/api/v1/query_range` has logs with `juju_application` `tempo` and
//!   `tempo-worker`.
//!
//! Every check runs (each bounded by `TEMPO_IT_TIMEOUT_S` from the moment the deployment
//! settled) and the test fails listing each one that did not pass.
//!
//! Environment: `TEMPO_IT_COS_MODEL` names an existing model to use (else one is added and
//! destroyed; not `TEMPO_IT_MODEL`: this test turns TLS on, which changes the URLs the other
//! tests expect); `TEMPO_IT_TIMEOUT_S` (default 1800) bounds each wait; the channels:
//! `TEMPO_IT_GRAFANA_CHANNEL`, `TEMPO_IT_PROMETHEUS_CHANNEL`, `TEMPO_IT_LOKI_CHANNEL`,
//! `TEMPO_IT_CATALOGUE_CHANNEL` (default `dev/edge`, COS's track), `TEMPO_IT_SSC_CHANNEL`
//! (default `1/edge`), and `TEMPO_IT_WORKER_CHANNEL`, `TEMPO_IT_S3_CHANNEL` as the other tests.

#[path = "common/juju.rs"]
mod juju;

use std::collections::BTreeSet;
use std::time::Instant;

use juju::{env_or, wait_active, Http, Juju, S3, SPAN_NAME, TEMPO, TESTER, WORKER};
use serde_json::Value;

const MODEL_VAR: &str = "TEMPO_IT_COS_MODEL";

const GRAFANA: &str = "grafana";
const PROMETHEUS: &str = "prometheus";
const LOKI: &str = "loki";
const CATALOGUE: &str = "catalogue";
const SSC: &str = "ssc";

/// The pod the checks run from.
const FROM: &str = "tester/0";

/// COS from Charmhub: (application, charm, channel variable, default channel, trust). The
/// defaults are the tracks COS's Terraform module deploys (`dev` for the observability
/// charms, `1` for self-signed-certificates), at `edge` as its default risk.
const COS: [(&str, &str, &str, &str, bool); 5] = [
    (
        GRAFANA,
        "grafana-k8s",
        "TEMPO_IT_GRAFANA_CHANNEL",
        "dev/edge",
        true,
    ),
    (
        PROMETHEUS,
        "prometheus-k8s",
        "TEMPO_IT_PROMETHEUS_CHANNEL",
        "dev/edge",
        true,
    ),
    (LOKI, "loki-k8s", "TEMPO_IT_LOKI_CHANNEL", "dev/edge", true),
    (
        CATALOGUE,
        "catalogue-k8s",
        "TEMPO_IT_CATALOGUE_CHANNEL",
        "dev/edge",
        true,
    ),
    (
        SSC,
        "self-signed-certificates",
        "TEMPO_IT_SSC_CHANNEL",
        "1/edge",
        false,
    ),
];

/// Every integration COS makes with Tempo (observability-stack `terraform/cos`).
const TEMPO_INTEGRATIONS: [(&str, &str); 9] = [
    ("tempo:grafana-source", "grafana:grafana-source"),
    ("tempo:grafana-dashboard", "grafana:grafana-dashboard"),
    ("tempo:metrics-endpoint", "prometheus:metrics-endpoint"),
    ("tempo:send-remote-write", "prometheus:receive-remote-write"),
    ("tempo:logging", "loki:logging"),
    ("tempo:receive-datasource", "loki:send-datasource"),
    ("tempo:receive-datasource", "prometheus:send-datasource"),
    ("tempo:catalogue", "catalogue:catalogue"),
    ("tempo:certificates", "ssc:certificates"),
];

/// COS's own wiring that the checks go through: Loki and Prometheus as Grafana datasources
/// (what Tempo's correlations point at), and internal TLS for every COS application.
const COS_INTEGRATIONS: [(&str, &str); 6] = [
    ("prometheus:grafana-source", "grafana:grafana-source"),
    ("loki:grafana-source", "grafana:grafana-source"),
    ("grafana:certificates", "ssc:certificates"),
    ("prometheus:certificates", "ssc:certificates"),
    ("loki:certificates", "ssc:certificates"),
    ("catalogue:certificates", "ssc:certificates"),
];

fn deploy_cos(j: &Juju) {
    juju::deploy_tempo(j);
    for (app, charm, var, default, trust) in COS {
        let channel = env_or(var, default);
        let mut args = vec!["deploy", charm, app, "--channel", &channel];
        if trust {
            args.push("--trust");
        }
        j.ensure(&args);
    }
    for (a, b) in TEMPO_INTEGRATIONS.iter().chain(&COS_INTEGRATIONS) {
        j.ensure(&["integrate", a, b]);
    }
    let mut apps = vec![TEMPO, WORKER, S3, TESTER];
    apps.extend(COS.iter().map(|c| c.0));
    wait_active(j, &apps);
}

/// The `https://<unit fqdn>:<port>` of an application's first unit.
fn base(j: &Juju, app: &str, port: u16) -> String {
    format!("https://{}:{port}", j.unit_fqdn(&format!("{app}/0")))
}

/// Grafana's datasources (`GET /api/datasources`), and the uid of the first of `kind`.
fn datasource_uid(datasources: &Value, kind: &str) -> Option<String> {
    datasources
        .as_array()?
        .iter()
        .find(|d| d["type"] == kind)
        .and_then(|d| d["uid"].as_str())
        .map(str::to_owned)
}

struct Grafana<'a> {
    j: &'a Juju,
    ca: &'a str,
    base: String,
    auth: String,
}

impl Grafana<'_> {
    fn get(&self, path: &str) -> Result<Value, String> {
        self.j.http_json(
            FROM,
            Some(self.ca),
            Http::get(format!("{}{path}", self.base))
                .header("Accept", "application/json")
                .basic_auth(&self.auth),
        )
    }

    fn datasources(&self) -> Result<Value, String> {
        self.get("/api/datasources")
    }

    fn tempo_uid(&self) -> Result<String, String> {
        let all = self.datasources()?;
        datasource_uid(&all, "tempo")
            .ok_or_else(|| format!("Grafana has no datasource of type `tempo`: {all}"))
    }
}

/// The trace, fetched through the Tempo datasource's query proxy.
fn check_trace_through_grafana(g: &Grafana, trace_id: &str) -> Result<(), String> {
    let uid = g.tempo_uid()?;
    let url = format!(
        "{}/api/datasources/proxy/uid/{uid}/api/traces/{trace_id}",
        g.base
    );
    let body = g.j.http_ok(
        FROM,
        Some(g.ca),
        Http::get(&url)
            .header("Accept", "application/json")
            .basic_auth(&g.auth),
    )?;
    if body.contains(SPAN_NAME) {
        Ok(())
    } else {
        Err(format!(
            "{url} answered without our span `{SPAN_NAME}`: {body:.300}"
        ))
    }
}

/// Traces-to-logs points at Loki's datasource, traces-to-metrics and the service graph at
/// Prometheus's (what receive-datasource brought).
fn check_correlations(g: &Grafana) -> Result<(), String> {
    let all = g.datasources()?;
    let tempo = datasource_uid(&all, "tempo").ok_or("no `tempo` datasource")?;
    let loki = datasource_uid(&all, "loki").ok_or("no `loki` datasource")?;
    let prometheus = datasource_uid(&all, "prometheus").ok_or("no `prometheus` datasource")?;
    let ds = g.get(&format!("/api/datasources/uid/{tempo}"))?;
    let json = &ds["jsonData"];
    let mut wrong = Vec::new();
    for (field, want) in [
        ("tracesToLogsV2", &loki),
        ("tracesToMetrics", &prometheus),
        ("serviceMap", &prometheus),
    ] {
        if json[field]["datasourceUid"].as_str() != Some(want.as_str()) {
            wrong.push(format!(
                "{field}.datasourceUid is {} (want {want})",
                json[field]["datasourceUid"]
            ));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("the tempo datasource: {}", wrong.join("; ")))
    }
}

/// Grafana lists at least one dashboard whose title names Tempo.
fn check_dashboards(g: &Grafana) -> Result<(), String> {
    let found = g.get("/api/search?type=dash-db")?;
    let titles: Vec<&str> = found
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["title"].as_str())
        .collect();
    if titles.iter().any(|t| t.to_lowercase().contains("tempo")) {
        Ok(())
    } else {
        Err(format!("no dashboard titled with Tempo among {titles:?}"))
    }
}

/// Every Prometheus target of `tempo` and `tempo-worker` is up, and both have some.
fn check_targets(j: &Juju, ca: &str) -> Result<(), String> {
    let url = format!("{}/api/v1/targets?state=active", base(j, PROMETHEUS, 9090));
    let v = j.http_json(FROM, Some(ca), Http::get(&url))?;
    let targets = v["data"]["activeTargets"]
        .as_array()
        .ok_or_else(|| format!("{url}: no data.activeTargets: {v:.300}"))?;
    let mut problems = Vec::new();
    for app in [TEMPO, WORKER] {
        let ours: Vec<&Value> = targets
            .iter()
            .filter(|t| t["labels"]["juju_application"] == app)
            .collect();
        if ours.is_empty() {
            problems.push(format!("no target with juju_application={app}"));
        }
        for t in ours.iter().filter(|t| t["health"] != "up") {
            problems.push(format!(
                "{} ({}) is {}: {}",
                t["scrapeUrl"], t["labels"]["job"], t["health"], t["lastError"]
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("Prometheus targets: {}", problems.join("; ")))
    }
}

/// Loki has log lines of `tempo` (nginx) and `tempo-worker` (Tempo) from the last hour.
fn check_logs(j: &Juju, ca: &str) -> Result<(), String> {
    let url = url::Url::parse_with_params(
        &format!("{}/loki/api/v1/query_range", base(j, LOKI, 3100)),
        &[
            ("query", r#"{juju_application=~"tempo|tempo-worker"}"#),
            ("since", "1h"),
            ("limit", "200"),
        ],
    )
    .map_err(|e| format!("Loki's URL: {e}"))?;
    let v = j.http_json(FROM, Some(ca), Http::get(url.as_str()))?;
    let apps: BTreeSet<&str> = v["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["values"].as_array().is_some_and(|l| !l.is_empty()))
        .filter_map(|s| s["stream"]["juju_application"].as_str())
        .collect();
    let missing: Vec<&str> = [TEMPO, WORKER]
        .into_iter()
        .filter(|a| !apps.contains(a))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Loki has no logs of {missing:?} (streams of {apps:?})"
        ))
    }
}

#[test]
fn tempo_in_cos_answers_through_grafana_is_scraped_by_prometheus_and_logs_to_loki() {
    let Some(j) = Juju::connect("tempo_in_cos", MODEL_VAR) else {
        return;
    };
    deploy_cos(&j);

    let ca = j.until("the CA certificate of `ssc`", || {
        j.run_action(&format!("{SSC}/0"), "get-ca-certificate")?["ca-certificate"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| "no `ca-certificate` in the action's results".to_owned())
    });

    // TLS: the URLs the tester got are https now.
    let api = j.tester_data(FROM).expect("the tester got tempo-api");
    let tracing = j
        .tester_wrote(FROM, "tracing", "tracing")
        .expect("the tester got its receivers");
    for url in [&api["http"]["direct_url"], &tracing["otlp_http"]] {
        assert!(
            url.as_str().is_some_and(|u| u.starts_with("https://")),
            "with a certificates relation Tempo publishes https URLs, got {url}"
        );
    }

    let trace_id = juju::send_trace_from_tester(&j, Some(&ca));
    let password = j.until("Grafana's admin password", || {
        let r = j.run_action(&format!("{GRAFANA}/leader"), "get-admin-password")?;
        r["admin-password"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("no `admin-password` in {r}"))
    });
    let grafana = Grafana {
        j: &j,
        ca: &ca,
        base: base(&j, GRAFANA, 3000),
        auth: format!("admin:{password}"),
    };

    // Every check runs, each within the time bound from here; then all failures are listed.
    let deadline = Instant::now() + j.timeout;
    let results = [
        (
            "Grafana answers the trace query through the tempo datasource",
            j.poll("the trace through Grafana", deadline, || {
                check_trace_through_grafana(&grafana, &trace_id)
            }),
        ),
        (
            "the tempo datasource correlates to Loki and Prometheus",
            j.poll("the correlations", deadline, || {
                check_correlations(&grafana)
            }),
        ),
        (
            "Grafana has Tempo's dashboards",
            j.poll("the dashboards", deadline, || check_dashboards(&grafana)),
        ),
        (
            "Prometheus scrapes every Tempo target, up",
            j.poll("the scrape targets", deadline, || check_targets(&j, &ca)),
        ),
        (
            "Loki receives Tempo's logs",
            j.poll("the logs", deadline, || check_logs(&j, &ca)),
        ),
    ];
    let failed: Vec<String> = results
        .iter()
        .filter_map(|(name, r)| r.as_ref().err().map(|e| format!("- {name}: {e}")))
        .collect();
    for (name, r) in &results {
        eprintln!("{} {name}", if r.is_ok() { "ok  " } else { "FAIL" });
    }
    assert!(failed.is_empty(), "Tempo in COS:\n{}", failed.join("\n"));
}
