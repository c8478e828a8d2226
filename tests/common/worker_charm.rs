//! The real Python worker charm (tests/worker_charm, on PyPI's `coordinated_workers.worker.Worker`,
//! as Canonical's tempo-worker-k8s uses it) staged for charm-sim, for the tests that run it.
//! Included with `#[path]` next to `venv`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use crate::common::ROOT;

/// The worker library the tests install.
pub const WORKER_CW: &str = "coordinated-workers==4.1.4";

/// The venv's python with [`WORKER_CW`]; `None` (said) when PyPI cannot be reached, a
/// failure under CI (`CI` set).
pub fn python() -> Option<PathBuf> {
    crate::venv::venv_or_skip(
        "coordinated-workers",
        &[WORKER_CW],
        "the Python worker tests",
    )
    .map(|v| v.join("bin/python3"))
}

/// The worker charm staged as charmcraft lays it out, with `extra` files copied in (from the
/// repository root, to the charm directory) and a `dispatch` that runs `script` with the
/// venv's `python`, the environment assignments `env(charm_dir)` before it.
pub fn worker_dir(
    python: &Path,
    extra: &[(&str, &str)],
    script: &str,
    env: impl Fn(&Path) -> String,
) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let src = Path::new(ROOT).join("tests/worker_charm");
    let copy = std::process::Command::new("cp")
        .arg("-r")
        .args(["metadata.yaml", "config.yaml", "src", "lib"])
        .arg(dir.path())
        .current_dir(&src)
        .status()
        .expect("cp");
    assert!(copy.success());
    for (from, to) in extra {
        std::fs::copy(Path::new(ROOT).join(from), dir.path().join(to))
            .unwrap_or_else(|e| panic!("copy {from}: {e}"));
    }
    let dispatch = dir.path().join("dispatch");
    std::fs::write(
        &dispatch,
        format!(
            "#!/bin/sh\nJUJU_DISPATCH_PATH=\"${{JUJU_DISPATCH_PATH:-$0}}\" {}PYTHONPATH=lib exec {} {script}\n",
            env(dir.path()),
            python.display()
        ),
    )
    .expect("write dispatch");
    std::fs::set_permissions(
        &dispatch,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    dir
}
