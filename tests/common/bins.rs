//! Executables of the workspace's other packages, for tests and benches. `cargo test` and
//! `cargo bench` build only the binaries of the package under test, so these are built here,
//! once per process, into the same target directory and profile (a no-op when up to date).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// `rel` under the profile directory (`charm-sim`, `examples/echo`), after building the
/// simulator, the tester charm and the layer's echo example.
pub fn workspace_bin(rel: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let profile_dir = BUILT.get_or_init(|| {
        // The running test or bench lives in <target>/<profile>/deps/.
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("profile directory")
            .to_path_buf();
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = std::process::Command::new(cargo);
        cmd.current_dir(env!("CARGO_MANIFEST_DIR")).args([
            "build",
            "--quiet",
            "-p",
            "charm-sim",
            "--bin",
            "charm-sim",
            "-p",
            "tempo-api-tester",
            "--bin",
            "tempo-api-tester",
            "-p",
            "juju-charm",
            "--example",
            "echo",
            "--example",
            "secrets",
        ]);
        if release {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(
            status.success(),
            "cannot build the workspace's charm-sim, tester and echo binaries"
        );
        profile_dir
    });
    profile_dir.join(rel)
}
