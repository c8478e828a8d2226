//! The packed artifacts: `cargo xtask pack` writes both `.charm` files; every entry and mode
//! is checked, the packed `dispatch` (not the source tree) runs under charm-sim, the tester
//! reads our provider's real output, and `charmcraft analyse` (from PyPI) finds nothing wrong.

mod common;
#[path = "common/venv.rs"]
mod venv;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use charm_sim::{EventSpec, Report};
use common::*;

const PLATFORM: &str = "ubuntu@24.04-amd64";

/// Packs once per test binary (a debug build, glibc, so it is quick) into a temp dir.
fn packed() -> &'static (tempfile::TempDir, PathBuf, PathBuf) {
    static PACKED: OnceLock<(tempfile::TempDir, PathBuf, PathBuf)> = OnceLock::new();
    PACKED.get_or_init(|| {
        let out = tempfile::tempdir().expect("temp dir");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let status = Command::new(cargo)
            .args(["xtask", "pack", "--debug", "--out"])
            .arg(out.path())
            .env("XTASK_NO_MUSL", "1")
            .current_dir(ROOT)
            .status()
            .expect("run cargo xtask pack");
        assert!(status.success(), "cargo xtask pack failed");
        let coordinator = out
            .path()
            .join(format!("tempo-coordinator-k8s_{PLATFORM}.charm"));
        let tester = out
            .path()
            .join(format!("tempo-api-tester_{PLATFORM}.charm"));
        (out, coordinator, tester)
    })
}

/// name -> (unix mode, symlink target or None)
fn entries(charm: &Path) -> BTreeMap<String, (u32, Option<String>)> {
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(charm).expect("open charm")).expect("a zip");
    let mut out = BTreeMap::new();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let mode = f.unix_mode().expect("unix mode recorded");
        let link = if mode & 0o170000 == 0o120000 {
            let mut s = String::new();
            f.read_to_string(&mut s).expect("link target");
            Some(s)
        } else {
            None
        };
        out.insert(f.name().to_owned(), (mode, link));
    }
    out
}

/// Unpacks as Juju does: files with their modes, symlinks as symlinks.
fn unpack(charm: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut zip = zip::ZipArchive::new(std::fs::File::open(charm).expect("open")).expect("zip");
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).expect("entry");
        let path = dir.path().join(f.enclosed_name().expect("safe name"));
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        let mode = f.unix_mode().unwrap_or(0o644);
        let mut data = Vec::new();
        f.read_to_end(&mut data).expect("read");
        if mode & 0o170000 == 0o120000 {
            std::os::unix::fs::symlink(String::from_utf8(data).expect("utf8 link"), &path)
                .expect("symlink");
        } else {
            std::fs::write(&path, data).expect("write");
            std::fs::set_permissions(
                &path,
                std::os::unix::fs::PermissionsExt::from_mode(mode & 0o777),
            )
            .expect("chmod");
        }
    }
    dir
}

#[test]
fn coordinator_charm_has_every_entry_with_its_mode() {
    let e = entries(&packed().1);
    for (name, mode) in [
        ("metadata.yaml", 0o644),
        ("config.yaml", 0o644),
        ("actions.yaml", 0o644),
        ("manifest.yaml", 0o644),
        ("LICENSE", 0o644),
        ("README.md", 0o644),
        ("dispatch", 0o755),
        ("bin/tempo-coordinator-k8s", 0o755),
    ] {
        let (m, _) = e
            .get(name)
            .unwrap_or_else(|| panic!("{name} missing from the charm"));
        assert_eq!(m & 0o777, mode, "{name} mode {:o}", m & 0o777);
        assert_eq!(m & 0o170000, 0o100000, "{name} is a regular file");
    }
    let hooks: Vec<&String> = e.keys().filter(|k| k.starts_with("hooks/")).collect();
    // For agents without dispatch: every relation hook of every endpoint, and the Pebble
    // hooks of both containers.
    for name in [
        "hooks/install",
        "hooks/tempo-cluster-relation-changed",
        "hooks/s3-relation-joined",
        "hooks/tracing-relation-broken",
        "hooks/send-remote-write-relation-departed",
        "hooks/peers-relation-created",
        "hooks/nginx-pebble-ready",
        "hooks/nginx-prometheus-exporter-pebble-ready",
    ] {
        assert!(
            hooks.contains(&&name.to_owned()),
            "{name} missing: {hooks:?}"
        );
    }
    assert!(!hooks.contains(&&"hooks/peers-relation-broken".to_owned()));
    let n_hooks = hooks.len();
    // The repository's hooks/ (what `charmcraft pack` copies) lists the same hooks.
    let mut in_repo: Vec<String> = std::fs::read_dir(Path::new(ROOT).join("hooks"))
        .expect("hooks/")
        .filter_map(|e| Some(format!("hooks/{}", e.ok()?.file_name().into_string().ok()?)))
        .collect();
    in_repo.sort();
    let mut staged: Vec<String> = hooks.iter().map(|h| (*h).clone()).collect();
    staged.sort();
    assert_eq!(
        in_repo, staged,
        "hooks/ in the repository and in the packed charm differ"
    );
    for h in hooks {
        assert_eq!(
            e[h].1.as_deref(),
            Some("../dispatch"),
            "{h} links to dispatch"
        );
    }
    assert_eq!(
        e.len(),
        8 + n_hooks,
        "no stray files: {:?}",
        e.keys().collect::<Vec<_>>()
    );
    let manifest: serde_yaml::Value = {
        let mut zip = zip::ZipArchive::new(std::fs::File::open(&packed().1).unwrap()).unwrap();
        let mut s = String::new();
        zip.by_name("manifest.yaml")
            .unwrap()
            .read_to_string(&mut s)
            .unwrap();
        assert!(
            s.contains("channel: '24.04'"),
            "channel is a quoted string: {s}"
        );
        serde_yaml::from_str(&s).unwrap()
    };
    assert_eq!(manifest["bases"][0]["name"], "ubuntu");
    assert_eq!(manifest["bases"][0]["architectures"][0], "amd64");
}

#[test]
fn tester_charm_has_every_entry_with_its_mode() {
    let e = entries(&packed().2);
    let names: Vec<&str> = e.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "bin/tempo-api-tester",
            "dispatch",
            "manifest.yaml",
            "metadata.yaml"
        ]
    );
    assert_eq!(e["dispatch"].0 & 0o777, 0o755);
    assert_eq!(e["bin/tempo-api-tester"].0 & 0o777, 0o755);
}

fn run(dir: &Path, yaml: &str, spec: &EventSpec) -> Report {
    process_in(dir, &state(yaml), spec)
}

#[test]
fn the_packed_artifact_runs_through_dispatch_and_its_hook_links() {
    let dir = unpack(&packed().1);
    let yaml = format!("unit: tempo/0\nleader: true\n{CONTAINERS}relations:\n  - {{id: 3, endpoint: tempo-api, remote_app: grafana}}\n{CLUSTER}");
    let yaml = yaml.as_str();
    let r = run(dir.path(), yaml, &EventSpec::new("leader-elected"));
    assert!(r.ok(), "{}", r.stderr);
    assert_eq!(
        app_bag(&r, 3)["http"],
        r#"{"direct_url": "http://tempo.cos.svc.cluster.local:3200/"}"#
    );
    // An old agent without dispatch support runs hooks/<name>: same result.
    std::fs::rename(
        dir.path().join("dispatch"),
        dir.path().join("dispatch.real"),
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("hooks/leader-elected")).unwrap();
    std::os::unix::fs::symlink("../dispatch.real", dir.path().join("hooks/leader-elected"))
        .unwrap();
    let r2 = run(dir.path(), yaml, &EventSpec::new("leader-elected"));
    assert!(r2.ok(), "{}", r2.stderr);
    assert_eq!(app_bag(&r2, 3), app_bag(&r, 3));
}

#[test]
fn tester_reads_what_our_provider_really_published() {
    let provider = unpack(&packed().1);
    let tester = unpack(&packed().2);
    let yaml = format!("unit: tempo/0\nleader: true\n{CONTAINERS}relations:\n  - {{id: 3, endpoint: tempo-api, remote_app: tester}}\n  - {{id: 7, endpoint: ingress, remote_app: traefik, remote_app_data: {{external_host: tempo.example.com, scheme: https}}}}\n{CLUSTER}");
    let published = run(provider.path(), &yaml, &EventSpec::new("leader-elected"));
    let bag = app_bag(&published, 3).clone();

    let mut s = state("unit: tester/0\nleader: true\nrelations:\n  - {id: 9, endpoint: tempo-api, remote_app: tempo, remote_units: [tempo/0]}\n");
    s.relations[0].remote_app_data = bag;
    let r = process_in(
        tester.path(),
        &s,
        &EventSpec::on("tempo-api-relation-changed", "tempo-api:9"),
    );
    assert!(r.ok(), "{}", r.stderr);
    let got: serde_json::Value = serde_json::from_str(&unit_bag(&r, 9)["tempo-api"]).unwrap();
    assert_eq!(
        got,
        serde_json::json!({
            "http": {"direct_url": "http://tempo.cos.svc.cluster.local:3200/", "ingress_url": "https://tempo.example.com:3200/"},
            "grpc": {"direct_url": "http://tempo.cos.svc.cluster.local:9096/", "ingress_url": "https://tempo.example.com:9096/"},
        })
    );
    assert_eq!(status(&r), ("active".into(), String::new()));

    // Invalid data: the key goes, blocked with the reason.
    let mut bad = r.state.clone();
    bad.relations[0]
        .remote_app_data
        .insert("grpc".into(), "{\"direct_url\": \"ftp://x\"}".into());
    let r = process_in(
        tester.path(),
        &bad,
        &EventSpec::on("tempo-api-relation-changed", "tempo-api:9"),
    );
    assert_eq!(r.exit_code, 0);
    assert!(!unit_bag(&r, 9).contains_key("tempo-api"));
    let (st, msg) = status(&r);
    assert_eq!(st, "blocked");
    assert!(
        msg.contains("grpc.direct_url") && msg.contains("ftp"),
        "{msg}"
    );

    // No data yet: waiting; relation removed: waiting.
    let mut empty = r.state.clone();
    empty.relations[0].remote_app_data.clear();
    let r = process_in(
        tester.path(),
        &empty,
        &EventSpec::on("tempo-api-relation-changed", "tempo-api:9"),
    );
    assert_eq!(
        status(&r),
        ("waiting".into(), "waiting for tempo-api data".into())
    );
    let r = process_in(
        tester.path(),
        &r.state,
        &EventSpec::on("tempo-api-relation-broken", "tempo-api:9"),
    );
    assert!(r.ok());
    assert_eq!(
        status(&r),
        ("waiting".into(), "waiting for a tempo-api relation".into())
    );
}

#[test]
fn charmcraft_analyse_finds_nothing_wrong() {
    let Some(venv) = venv::venv_or_skip("charmcraft", &["charmcraft==4.*"], "charmcraft analyse")
    else {
        return;
    };
    for charm in [&packed().1, &packed().2] {
        let out = Command::new(venv.join("bin/charmcraft"))
            .args(["analyse", "--format", "json"])
            .arg(charm)
            .env("PYTHONPATH", "/usr/lib/python3/dist-packages")
            .env("XDG_RUNTIME_DIR", std::env::temp_dir())
            .current_dir(std::env::temp_dir())
            .output()
            .expect("run charmcraft");
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() && stdout.trim().is_empty() {
            let err = String::from_utf8_lossy(&out.stderr);
            if (err.contains("apt_pkg") || err.contains("No module named 'apt'"))
                && std::env::var_os("CI").is_none()
            {
                eprintln!(
                    "SKIPPED charmcraft analyse: Debian's python3-apt is not installed ({})",
                    err.lines().last().unwrap_or("")
                );
                return;
            }
            panic!("charmcraft analyse failed on {}: {err}", charm.display());
        }
        let results: Vec<serde_json::Value> =
            serde_json::from_str(&stdout).expect("JSON from charmcraft analyse");
        assert!(results.len() >= 8, "{stdout}");
        for r in &results {
            // The config names mix hyphens and underscores exactly as the Python charm's do
            // (`retention-period`, `always_enable_zipkin`): a refresh keeps the user's config
            // only if the names are the same, so that one warning is expected.
            let ok = matches!(r["result"].as_str(), Some("ok" | "nonapplicable"))
                || r["check_type"] == "attribute"
                || (r["name"] == "naming-conventions"
                    && r["text"]
                        .as_str()
                        .is_some_and(|t| t.contains("always_enable_zipkin")));
            assert!(
                ok,
                "{}: linter {} says {}: {}",
                charm.display(),
                r["name"],
                r["result"],
                r["text"]
            );
        }
        assert!(results
            .iter()
            .any(|r| r["name"] == "entrypoint" && r["result"] == "ok"));
    }
}
