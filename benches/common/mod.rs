//! What both benches share: charms staged in temp directories, one `charm-sim run` per
//! measurement (a fresh process, so peak RSS is the hook's own), callgrind and GNU time
//! around the charm's handler only, and ratios.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

#[path = "../../tests/common/bins.rs"]
mod bins;
#[path = "../../tests/common/deploy.rs"]
pub mod deploy;

pub fn sim_bin() -> PathBuf {
    bins::workspace_bin("charm-sim")
}

/// A charm directory the simulator runs.
pub struct Charm {
    pub name: &'static str,
    pub dir: tempfile::TempDir,
}

pub fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}

/// Our charm as packed: metadata, config, dispatch and the release binary.
pub fn ours(binary: &str) -> Charm {
    let dir = tempfile::tempdir().expect("tmp");
    for f in ["metadata.yaml", "config.yaml", "dispatch"] {
        copy(&Path::new(ROOT).join(f), &dir.path().join(f));
    }
    std::fs::create_dir(dir.path().join("bin")).expect("bin");
    copy(
        Path::new(binary),
        &dir.path().join("bin/tempo-coordinator-k8s"),
    );
    Charm { name: "rust", dir }
}

/// `dispatch` running `script` (relative to the charm dir) with the venv's python.
pub fn python_dispatch(dir: &Path, venv: &Path, script: &str, pythonpath: &str) {
    let dispatch = dir.join("dispatch");
    std::fs::write(
        &dispatch,
        format!(
            "#!/bin/sh\nJUJU_DISPATCH_PATH=\"${{JUJU_DISPATCH_PATH:-$0}}\" PYTHONPATH={pythonpath} exec {} {script}\n",
            venv.join("bin/python3").display()
        ),
    )
    .expect("dispatch");
    std::fs::set_permissions(
        &dispatch,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
}

/// A venv under target/test-venvs with `packages`, made once.
pub fn venv(name: &str, packages: &[&str]) -> Result<PathBuf, String> {
    let venv = Path::new(ROOT).join("target/test-venvs").join(name);
    let stamp = venv.join(".installed");
    let wanted = packages.join(" ");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    let ok = Command::new("python3")
        .args(["-m", "venv", "--clear"])
        .arg(&venv)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
        && Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "--disable-pip-version-check"])
            .args(packages)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
    if !ok {
        return Err(format!("cannot create a venv with {wanted} from PyPI"));
    }
    std::fs::write(&stamp, wanted).map_err(|e| e.to_string())?;
    Ok(venv)
}

/// One `charm-sim run` of `event` (`["--event", "install"]`, plus `--relation`... as
/// needed) on `state`; `out` receives the state after it.
pub fn run(
    charm: &Charm,
    state: &Path,
    event: &[&str],
    wrap: Option<&str>,
    out: Option<&Path>,
) -> Value {
    let mut cmd = Command::new(sim_bin());
    cmd.args(["run", "--format", "json"])
        .args(event)
        .arg("--charm-dir")
        .arg(charm.dir.path())
        .arg("--state")
        .arg(state);
    if let Some(w) = wrap {
        cmd.args(["--wrap", w]);
    }
    if let Some(o) = out {
        cmd.arg("--out").arg(o);
    }
    let output = cmd.output().expect("run charm-sim");
    let v: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: {}",
            charm.name,
            String::from_utf8_lossy(&output.stderr)
        )
    });
    if wrap.is_some_and(|w| w.starts_with("valgrind")) && v["exit_code"] != 0 {
        // Said by `instructions`, which then has no figure.
        return v;
    }
    assert_eq!(v["exit_code"], 0, "{} failed: {}", charm.name, v["stderr"]);
    v
}

/// Instructions executed by the charm process (callgrind; hook-tool clients not traced).
pub fn instructions(charm: &Charm, state: &Path, event: &[&str]) -> Option<u64> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        return None;
    }
    let out = tempfile::tempdir().ok()?;
    let wrap = format!(
        "valgrind --tool=callgrind --trace-children=yes --trace-children-skip=*/tools/* --callgrind-out-file={}/cg.%p",
        out.path().display()
    );
    let v = run(charm, state, event, Some(&wrap), None);
    if v["exit_code"] != 0 {
        let tail: String = v["stderr"]
            .as_str()
            .unwrap_or_default()
            .lines()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .join(" | ");
        eprintln!(
            "{}: the hook failed under callgrind (exit {}), no instruction count: {tail}",
            charm.name, v["exit_code"]
        );
        return None;
    }
    let mut total = 0;
    for e in std::fs::read_dir(out.path()).ok()? {
        let text = std::fs::read_to_string(e.ok()?.path()).ok()?;
        total += text
            .lines()
            .find_map(|l| l.strip_prefix("totals: "))
            .and_then(|t| t.trim().parse::<u64>().ok())
            .unwrap_or(0);
    }
    Some(total)
}

/// Peak RSS of the charm's process tree (the charm and the hook-tool clients it waits for),
/// from GNU time around the handler: a small parent, so no simulator pages are counted.
pub fn peak_rss_kib(charm: &Charm, state: &Path, event: &[&str]) -> Option<u64> {
    let v = run(
        charm,
        state,
        event,
        Some("/usr/bin/time -f maxrss=%M"),
        None,
    );
    v["stderr"]
        .as_str()?
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("maxrss="))?
        .trim()
        .parse()
        .ok()
}

/// The floor under every peak-RSS figure: one hook-tool client on its own.
pub fn tool_client_rss_kib() -> Option<u64> {
    let dir = tempfile::tempdir().ok()?;
    let link = dir.path().join("relation-ids");
    std::os::unix::fs::symlink(sim_bin(), &link).ok()?;
    let out = Command::new("/usr/bin/time")
        .args(["-f", "maxrss=%M"])
        .arg(&link)
        .env("JUJU_CONTEXT_ID", "x")
        .env("JUJU_AGENT_SOCKET_NETWORK", "unix")
        .env("JUJU_AGENT_SOCKET_ADDRESS", dir.path().join("none"))
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .rev()
        .find_map(|l| {
            l.strip_prefix("maxrss=")
                .and_then(|v| v.trim().parse().ok())
        })
}

/// What one charm did in one case.
#[derive(Default, Clone)]
pub struct Figures {
    pub wall_ms: Vec<f64>,
    pub calls: BTreeMap<String, usize>,
    pub total_calls: usize,
    pub pebble_requests: usize,
    pub rss_kib: u64,
    pub instructions: Option<u64>,
}

impl Figures {
    pub fn median(&self) -> f64 {
        let mut v = self.wall_ms.clone();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    }
    pub fn min(&self) -> f64 {
        self.wall_ms.iter().copied().fold(f64::INFINITY, f64::min)
    }
    pub fn max(&self) -> f64 {
        self.wall_ms.iter().copied().fold(0.0, f64::max)
    }
    /// Records one run's report.
    pub fn add(&mut self, v: &Value) {
        self.wall_ms
            .push(v["wall_time_s"].as_f64().unwrap_or(0.0) * 1000.0);
        let calls = v["calls"].as_array().cloned().unwrap_or_default();
        self.total_calls = calls.len();
        self.calls.clear();
        for c in calls {
            *self
                .calls
                .entry(c["tool"].as_str().unwrap_or("?").to_owned())
                .or_insert(0) += 1;
        }
        self.pebble_requests = v["containers"]
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| c["pebble_requests"].as_array().map_or(0, Vec::len))
                    .sum()
            })
            .unwrap_or(0);
    }
}

/// `1/N` for a / b.
pub fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("1/{:.0}", b / a.max(f64::MIN_POSITIVE))
    } else {
        "n/a".into()
    }
}

pub fn calls_text(c: &BTreeMap<String, usize>) -> String {
    c.iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Figures {
    /// As JSON, for the bench's cache of the Python column.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "wall_ms": self.wall_ms,
            "calls": self.calls,
            "total_calls": self.total_calls,
            "pebble_requests": self.pebble_requests,
            "rss_kib": self.rss_kib,
            "instructions": self.instructions,
        })
    }
    /// Back from [`Figures::to_json`].
    pub fn from_json(v: &Value) -> Option<Figures> {
        Some(Figures {
            wall_ms: serde_json::from_value(v.get("wall_ms")?.clone()).ok()?,
            calls: serde_json::from_value(v.get("calls")?.clone()).ok()?,
            total_calls: v.get("total_calls")?.as_u64()? as usize,
            pebble_requests: v.get("pebble_requests")?.as_u64()? as usize,
            rss_kib: v.get("rss_kib")?.as_u64()?,
            instructions: v.get("instructions")?.as_u64(),
        })
    }
}
