//! Integration tests against a real Juju on MicroK8s (see README, "Integration tests on
//! MicroK8s"). Compiled in every `cargo test`; each test skips with a message when `juju` is
//! not on PATH. They deploy the packed charms (built with `cargo xtask pack` if missing),
//! integrate them, and read what the tester received with `juju show-unit`.
//!
//! Environment: `TEMPO_IT_MODEL` names an existing model to use (else one is added and
//! destroyed); `TEMPO_IT_TIMEOUT_S` bounds each wait (default 600).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A thin wrapper over the `juju` CLI, as jubilant is for Python.
struct Juju {
    model: String,
    owned: bool,
    timeout: Duration,
}

impl Juju {
    /// `None` (with a message) when juju is not installed.
    fn connect(test: &str) -> Option<Self> {
        if Command::new("juju").arg("version").output().is_err() {
            eprintln!("SKIPPED {test}: `juju` is not on PATH; see README for running on MicroK8s");
            return None;
        }
        let timeout = Duration::from_secs(
            std::env::var("TEMPO_IT_TIMEOUT_S")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(600),
        );
        let (model, owned) = match std::env::var("TEMPO_IT_MODEL") {
            Ok(m) => (m, false),
            Err(_) => (
                format!(
                    "tempo-it-{}-{}",
                    test.replace('_', "-").chars().take(20).collect::<String>(),
                    std::process::id()
                ),
                true,
            ),
        };
        let j = Self {
            model,
            owned,
            timeout,
        };
        if owned {
            j.cli(&["add-model", &j.model]);
        }
        Some(j)
    }

    fn cli(&self, args: &[&str]) -> String {
        let mut cmd = Command::new("juju");
        cmd.args(args);
        if !matches!(args.first(), Some(&"add-model" | &"destroy-model")) {
            cmd.args(["--model", &self.model]);
        }
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("juju {args:?}: {e}"));
        assert!(
            out.status.success(),
            "juju {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.extend(["--format", "json"]);
        serde_json::from_str(&self.cli(&a)).expect("juju printed JSON")
    }

    fn status(&self) -> Value {
        self.json(&["status"])
    }

    /// Waits until `ready(status)` holds.
    fn wait(&self, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
        let start = Instant::now();
        loop {
            let s = self.status();
            if ready(&s) {
                return s;
            }
            assert!(
                start.elapsed() < self.timeout,
                "timed out waiting for {what}: {s:#}"
            );
            std::thread::sleep(Duration::from_secs(5));
        }
    }

    fn units<'a>(status: &'a Value, app: &str) -> Vec<(&'a String, &'a Value)> {
        status["applications"][app]["units"]
            .as_object()
            .map(|m| m.iter().collect())
            .unwrap_or_default()
    }

    fn all_settled(status: &Value, app: &str, workload: &str) -> bool {
        let units = Self::units(status, app);
        !units.is_empty()
            && units.iter().all(|(_, u)| {
                u["workload-status"]["current"] == workload && u["juju-status"]["current"] == "idle"
            })
    }

    /// The tester's `tempo-api` key, from its unit databag on the tempo-api relation.
    fn tester_data(&self, unit: &str) -> Option<Value> {
        let v = self.json(&["show-unit", unit]);
        let infos = v[unit]["relation-info"].as_array()?.clone();
        let info = infos.iter().find(|r| r["endpoint"] == "tempo-api")?;
        let raw = info["local-unit"]["data"]["tempo-api"].as_str()?;
        serde_json::from_str(raw).ok()
    }
}

impl Drop for Juju {
    fn drop(&mut self) {
        if self.owned {
            let _ = Command::new("juju")
                .args([
                    "destroy-model",
                    &self.model,
                    "--no-prompt",
                    "--destroy-storage",
                    "--force",
                    "--no-wait",
                ])
                .status();
        }
    }
}

fn charm(name: &str) -> PathBuf {
    let path = Path::new(ROOT).join(format!("{name}_ubuntu@24.04-amd64.charm"));
    if !path.is_file() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["xtask", "pack"])
            .current_dir(ROOT)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "cargo xtask pack failed");
    }
    path
}

fn deploy_pair(j: &Juju) {
    j.cli(&[
        "deploy",
        charm("tempo-coordinator-k8s").to_str().unwrap(),
        "tempo",
    ]);
    j.cli(&[
        "deploy",
        charm("tempo-api-tester").to_str().unwrap(),
        "tester",
    ]);
    j.cli(&["integrate", "tempo:tempo-api", "tester:tempo-api"]);
    j.wait("both applications active/idle", |s| {
        Juju::all_settled(s, "tempo", "active") && Juju::all_settled(s, "tester", "active")
    });
}

fn expected(model: &str) -> Value {
    serde_json::json!({
        "http": {"direct_url": format!("http://tempo.{model}.svc.cluster.local:3200/"), "ingress_url": null},
        "grpc": {"direct_url": format!("http://tempo.{model}.svc.cluster.local:9096/"), "ingress_url": null},
    })
}

#[test]
fn tester_receives_the_k8s_service_urls() {
    let Some(j) = Juju::connect("tester_receives_the_k8s_service_urls") else {
        return;
    };
    deploy_pair(&j);
    assert_eq!(j.tester_data("tester/0"), Some(expected(&j.model)));
}

#[test]
fn data_survives_losing_the_leader_and_goes_when_the_relation_does() {
    let Some(j) = Juju::connect("data_survives_losing_the_leader") else {
        return;
    };
    deploy_pair(&j);
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
