//! docs/quickstart.md, followed as a new charm author would: its files written into an empty
//! directory (a crate outside this workspace depending on `juju-charm` by path), built,
//! packed with `charm-sim pack`, unpacked as Juju does and run under `charm-sim`.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use serde_json::Value;

/// The files of the quickstart: each fenced block whose info string has `file=PATH`.
fn quickstart_files() -> Vec<(String, String)> {
    let text = std::fs::read_to_string(Path::new(ROOT).join("docs/quickstart.md")).unwrap();
    let mut files = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        match &mut current {
            Some((_, body)) if line.trim_start() != "```" => {
                body.push_str(line);
                body.push('\n');
            }
            Some(_) => files.push(current.take().unwrap()),
            None => {
                if let Some(name) = line.strip_prefix("```").and_then(|info| {
                    info.split_whitespace()
                        .find_map(|w| w.strip_prefix("file="))
                }) {
                    current = Some((name.to_owned(), String::new()));
                }
            }
        }
    }
    files
}

/// The target directory this test runs from, so the new crate reuses the compiled deps.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

/// Unpacks as Juju does: files with their modes.
fn unpack(charm: &Path, dir: &Path) {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(charm).unwrap()).unwrap();
    for i in 0..zip.len() {
        let mut f = zip.by_index(i).unwrap();
        let path = dir.join(f.enclosed_name().unwrap());
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mode = f.unix_mode().unwrap_or(0o644);
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        std::fs::write(&path, data).unwrap();
        std::fs::set_permissions(
            &path,
            std::os::unix::fs::PermissionsExt::from_mode(mode & 0o777),
        )
        .unwrap();
    }
}

#[test]
fn the_quickstart_charm_builds_packs_and_runs_under_charm_sim() {
    let files = quickstart_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "Cargo.toml",
            "metadata.yaml",
            "config.yaml",
            "src/main.rs",
            "state.yaml"
        ]
    );
    let tmp = tempfile::tempdir().unwrap();
    let krate = tmp.path().join("hello-charm");
    std::fs::create_dir_all(krate.join("src")).unwrap();
    let layer = Path::new(ROOT).join("crates/juju-charm");
    for (name, body) in &files {
        let body = body.replace(
            "../tempo-coordinator-k8s/crates/juju-charm",
            layer.to_str().unwrap(),
        );
        std::fs::write(krate.join(name), body).unwrap();
    }
    assert!(
        std::fs::read_to_string(krate.join("Cargo.toml"))
            .unwrap()
            .contains(layer.to_str().unwrap()),
        "the quickstart's path dependency was not found"
    );
    // Same versions as this workspace: no resolution against the registry, deps reused.
    std::fs::copy(Path::new(ROOT).join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    let target = target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "--quiet", "--bin", "hello-charm"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&krate)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the quickstart crate does not build:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let binary = target.join("debug/hello-charm");

    let packed = Command::new(sim_bin())
        .args(["pack", "--charm-dir"])
        .arg(&krate)
        .arg("--binary")
        .arg(&binary)
        .arg("--out")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(
        packed.status.success(),
        "{}",
        String::from_utf8_lossy(&packed.stderr)
    );
    let charm = tmp.path().join("hello-charm_ubuntu@24.04-amd64.charm");
    assert_eq!(
        String::from_utf8_lossy(&packed.stdout).trim(),
        charm.to_str().unwrap()
    );
    let unpacked = tmp.path().join("unpacked");
    unpack(&charm, &unpacked);
    for f in [
        "metadata.yaml",
        "config.yaml",
        "dispatch",
        "bin/hello-charm",
        "manifest.yaml",
    ] {
        assert!(unpacked.join(f).is_file(), "{f} missing from the charm");
    }

    let run = |event: &str| {
        Command::new(sim_bin())
            .args(["run", "--charm-dir"])
            .arg(&unpacked)
            .arg("--state")
            .arg(krate.join("state.yaml"))
            .args([
                "--event",
                event,
                "--remote-unit",
                "postgresql/0",
                "--format",
                "json",
            ])
            .output()
            .unwrap()
    };
    let out = run("db-relation-changed");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rel = report["relations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == 3)
        .unwrap();
    assert_eq!(rel["local_unit"]["greeting"], "bonjour");
    assert_eq!(
        report["unit_status"],
        serde_json::json!({"status": "active", "message": "saying bonjour"})
    );

    // As the quickstart says: a misspelt hook is refused, with the fix.
    let out = run("db-relation-chnged");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("did you mean `db-relation-changed`?"),
        "{stderr}"
    );
}
