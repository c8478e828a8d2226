//! Python virtual environments the tests create themselves (cached under target/), from PyPI.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A venv at `target/test-venvs/<name>` with `packages` installed; `Err` says why not
/// (no python3, no network to PyPI), for a clear skip message.
pub fn venv(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    // Tests of one binary run on threads: one of them makes the venv, the others wait for it.
    static MAKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = MAKING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/test-venvs")
        .join(name);
    let python = dir.join("bin/python3");
    let stamp = dir.join(".installed");
    let wanted = packages.join(" ");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) && python.is_file()
    {
        return Ok(dir);
    }
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd
            .output()
            .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{cmd:?} failed: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ))
        }
    };
    run(Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&dir))?;
    run(Command::new(dir.join("bin/pip"))
        .args(["install", "-q", "--disable-pip-version-check"])
        .args(packages))?;
    std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    Ok(dir)
}

/// [`venv`] for a test that needs it: `None` with a `SKIPPED` line naming `what` when PyPI
/// cannot be reached, a failure instead under CI (`CI` set): CI runs every test, never skips.
pub fn venv_or_skip(name: &str, packages: &[&str], what: &str) -> Option<PathBuf> {
    match venv(name, packages) {
        Ok(v) => Some(v),
        Err(why) if std::env::var_os("CI").is_some() => panic!(
            "CI must run {what}: cannot pip-install {}: {why}",
            packages.join(" ")
        ),
        Err(why) => {
            eprintln!(
                "SKIPPED {what}: cannot pip-install {}: {why}",
                packages.join(" ")
            );
            None
        }
    }
}
