//! A real nginx of the charm image's line (1.27+) for the tests: Debian sid's, unpacked under
//! `target/nginx-sid` by `tests/nginx/fetch-sid-nginx.sh` (which `.ci/run` runs; a test runs
//! it too when the copy is missing). `NGINX=/path/to/nginx` picks another one. With it what
//! the tests that serve through it share: the pushed config moved onto loopback
//! ([`on_loopback`]), children stopped however a test ends ([`Reaper`]), [`wait_for_port`].
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

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

/// The pushed config moved onto loopback, for a real nginx here: listeners on `ip` (the
/// `[::]` ones dropped), the resolver at 127.0.0.1, pid and temp paths and the certificate
/// files under `dir`, Debian's mime.types. Everything else is served as the charm wrote it.
pub fn on_loopback(conf: &str, ip: &str, dir: &Path, mime_types: &Path) -> String {
    let d = dir.display();
    let mut out = String::new();
    for line in conf.lines() {
        let t = line.trim();
        let indent = &line[..line.len() - line.trim_start().len()];
        let word = t.split_whitespace().next().unwrap_or("");
        let rewritten = if t.starts_with("listen [::]:") {
            continue;
        } else if word == "listen" {
            format!("listen {ip}:{}", &t["listen ".len()..])
        } else if word == "resolver" {
            "resolver 127.0.0.1;".to_owned()
        } else if word == "pid" {
            format!("pid {d}/nginx.pid;")
        } else if word.ends_with("_temp_path") {
            format!("{word} {d}/{word};")
        } else if word == "include" {
            format!("include {};", mime_types.display())
        } else if word == "ssl_certificate" {
            format!("ssl_certificate {d}/server.cert;")
        } else if word == "ssl_certificate_key" {
            format!("ssl_certificate_key {d}/server.key;")
        } else {
            t.to_owned()
        };
        out.push_str(indent);
        out.push_str(&rewritten);
        out.push('\n');
    }
    out
}

/// Child processes stopped when the test ends, however it ends: SIGTERM, so nginx's master
/// takes its workers with it (SIGKILL would orphan them).
pub struct Reaper(pub Vec<Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let stopped = Command::new("kill")
                .args(["-TERM", &c.id().to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if !stopped {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
    }
}

/// Waits (15 s at most) until something listens on `addr`; else fails with nginx's `log`.
pub fn wait_for_port(addr: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(addr).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on {addr}:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
