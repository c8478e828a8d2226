//! Integration tests against a real Juju on MicroK8s (see README, "Integration tests on
//! MicroK8s"). Compiled in every `cargo test`; each test skips with a message when `juju` is
//! not on PATH. They deploy a whole Tempo: our packed coordinator (built with `cargo xtask
//! pack` if missing) with its two OCI images, Canonical's unmodified `tempo-worker-k8s` (one
//! `all` worker), `seaweedfs-k8s` for S3 (the S3 charm Canonical's own Tempo tests use) and
//! the tester over tempo-api and tracing; they read what the tester received with
//! `juju show-unit`, and send a real trace through the published receiver. The `juju` CLI
//! wrapper and the deployment are shared with `integration_cos.rs` (`tests/common/juju.rs`).
//!
//! Environment: `TEMPO_IT_MODEL` names an existing model to use (else one is added and
//! destroyed); `TEMPO_IT_TIMEOUT_S` bounds each wait (default 1800);
//! `TEMPO_IT_WORKER_CHANNEL` (default `2/edge`) and `TEMPO_IT_S3_CHANNEL` (default `edge`)
//! pick the channels of the worker and S3 charms.

#[path = "common/juju.rs"]
mod juju;

use std::process::Command;

use juju::{deploy_cluster, Http, Juju, SPAN_NAME};
use serde_json::Value;

/// The environment variable naming an existing model these tests may share.
const MODEL_VAR: &str = "TEMPO_IT_MODEL";

fn expected(model: &str) -> Value {
    serde_json::json!({
        "http": {"direct_url": format!("http://tempo.{model}.svc.cluster.local:3200/"), "ingress_url": null},
        "grpc": {"direct_url": format!("http://tempo.{model}.svc.cluster.local:9096/"), "ingress_url": null},
    })
}

#[test]
fn tester_receives_the_k8s_service_urls() {
    let Some(j) = Juju::connect("tester_receives_the_k8s_service_urls", MODEL_VAR) else {
        return;
    };
    deploy_cluster(&j);
    assert_eq!(j.tester_data("tester/0"), Some(expected(&j.model)));
    assert_eq!(
        j.tester_wrote("tester/0", "tracing", "tracing"),
        Some(serde_json::json!({
            "otlp_grpc": format!("tempo.{}.svc.cluster.local:4317", j.model),
            "otlp_http": format!("http://tempo.{}.svc.cluster.local:4318", j.model),
        })),
        "the receivers the tester asked for, with the coordinator's service URLs"
    );
}

/// One OTLP/HTTP trace, sent from inside the cluster (the tester's pod) to the receiver URL
/// the tester got over tracing, is then found through Tempo's query API at the URL it got
/// over tempo-api.
#[test]
fn a_trace_sent_to_the_published_receiver_is_found_through_tempos_api() {
    let Some(j) = Juju::connect("a_trace_is_found", MODEL_VAR) else {
        return;
    };
    deploy_cluster(&j);
    let api = j.tester_data("tester/0").expect("the tester got tempo-api");
    let base = api["http"]["direct_url"].as_str().expect("HTTP API URL");
    let trace_id = juju::send_trace_from_tester(&j, None);
    let url = format!("{base}api/traces/{trace_id}");
    let body = j.until(&format!("trace {trace_id} at {url}"), || {
        j.http_ok(
            "tester/0",
            None,
            Http::get(&url).header("Accept", "application/json"),
        )
    });
    assert!(
        body.contains(SPAN_NAME),
        "trace {trace_id} lacks our span: {body:.500}"
    );
}

#[test]
fn data_survives_losing_the_leader_and_goes_when_the_relation_does() {
    let Some(j) = Juju::connect("data_survives_losing_the_leader", MODEL_VAR) else {
        return;
    };
    deploy_cluster(&j);
    j.cli(&["scale-application", "tempo", "2"]);
    let s = j.wait("two tempo units active/idle", |s| {
        Juju::units(s, "tempo").len() == 2 && Juju::all_settled(s, "tempo", "active")
    });
    let leader = Juju::units(&s, "tempo")
        .into_iter()
        .find(|(_, u)| u["leader"] == true)
        .map(|(n, _)| n.clone())
        .expect("a leader");
    // On Kubernetes a scale-down removes the highest unit; delete the leader's pod when it is
    // the lower one, so leadership moves either way.
    if leader.ends_with("/1") {
        j.cli(&["scale-application", "tempo", "1"]);
    } else {
        let pod = leader.replace('/', "-");
        let ok = Command::new("microk8s")
            .args(["kubectl", "delete", "pod", "-n", &j.model, &pod])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            eprintln!("could not delete pod {pod} (no microk8s kubectl?); scaling down instead");
            j.cli(&["scale-application", "tempo", "1"]);
        }
    }
    j.wait("tempo settled again", |s| {
        Juju::all_settled(s, "tempo", "active")
    });
    assert_eq!(
        j.tester_data("tester/0"),
        Some(expected(&j.model)),
        "app data outlives the unit that wrote it"
    );

    j.cli(&["remove-relation", "tempo:tempo-api", "tester:tempo-api"]);
    let s = j.wait("tester waiting", |s| {
        Juju::all_settled(s, "tester", "waiting")
    });
    let msg = &Juju::units(&s, "tester")[0].1["workload-status"]["message"];
    assert_eq!(msg, "waiting for a tempo-api relation");
}
