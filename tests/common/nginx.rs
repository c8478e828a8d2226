//! A real nginx of the charm image's line (1.27+) for the tests: Debian sid's, unpacked under
//! `target/nginx-sid` by `tests/nginx/fetch-sid-nginx.sh` (which `.ci/run` runs; a test runs
//! it too when the copy is missing). `NGINX=/path/to/nginx` picks another one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub struct Nginx {
    /// The executable (or the wrapper that runs sid's binary through sid's loader).
    pub bin: PathBuf,
    /// Debian's `mime.types`, which the charm's config includes from `/etc/nginx`.
    pub mime_types: PathBuf,
}

/// The nginx to test with, or why there is none. Under CI (`CI` set) a missing nginx fails
/// the test instead: CI must run these tests, never skip them.
pub fn nginx() -> Option<&'static Nginx> {
    static FOUND: OnceLock<Result<Nginx, String>> = OnceLock::new();
    match FOUND.get_or_init(find) {
        Ok(n) => Some(n),
        Err(why) if std::env::var_os("CI").is_some() => {
            panic!("CI must run the real-nginx tests, but: {why}")
        }
        Err(why) => {
            eprintln!("SKIPPED: no nginx 1.27+ to test with: {why}");
            None
        }
    }
}

fn find() -> Result<Nginx, String> {
    let local = Path::new(ROOT).join("target/nginx-sid");
    let (bin, mime_types) = match std::env::var_os("NGINX") {
        Some(bin) => (PathBuf::from(bin), PathBuf::from("/etc/nginx/mime.types")),
        None => {
            if !local.join("nginx").is_file() {
                let out = Command::new(Path::new(ROOT).join("tests/nginx/fetch-sid-nginx.sh"))
                    .arg(&local)
                    .output()
                    .map_err(|e| format!("cannot run tests/nginx/fetch-sid-nginx.sh: {e}"))?;
                if !out.status.success() {
                    return Err(format!(
                        "tests/nginx/fetch-sid-nginx.sh failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ));
                }
            }
            (local.join("nginx"), local.join("root/etc/nginx/mime.types"))
        }
    };
    let out = Command::new(&bin)
        .arg("-v")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", bin.display()))?;
    let version = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    let numbers: Vec<u32> = version
        .rsplit('/')
        .next()
        .unwrap_or("")
        .split('.')
        .filter_map(|n| n.parse().ok())
        .collect();
    if numbers.as_slice() < [1, 27].as_slice() {
        return Err(format!(
            "{} is {version:?}; the charm's config needs 1.27 or newer",
            bin.display()
        ));
    }
    Ok(Nginx { bin, mime_types })
}
