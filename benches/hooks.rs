//! Hook cost, side by side: this charm against a Python ops charm publishing the same
//! tempo-api data (benches/peer_charm), both run by charm-sim as Juju would run them.
//!
//! `cargo bench --bench hooks` prints a Markdown table and writes it to
//! `target/bench/hooks.md`. `BENCH_QUICK=1` runs fewer repeats and sizes.
//! For each case: wall time (min/median/max), hook-tool calls by tool, peak RSS of the charm
//! process tree (GNU time, /usr/bin/time), and instructions of the charm process (callgrind,
//! hook tools excluded) where valgrind is installed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CHARM_BIN: &str = env!("CARGO_BIN_EXE_tempo-coordinator-k8s");

#[path = "../tests/common/bins.rs"]
mod bins;

fn sim_bin() -> PathBuf {
    bins::workspace_bin("charm-sim")
}

struct Charm {
    name: &'static str,
    dir: tempfile::TempDir,
    app: &'static str,
}

fn copy(from: &Path, to: &Path) {
    std::fs::copy(from, to).unwrap_or_else(|e| panic!("copy {}: {e}", from.display()));
}

fn ours() -> Charm {
    let dir = tempfile::tempdir().expect("tmp");
    for f in ["metadata.yaml", "config.yaml", "dispatch"] {
        copy(&Path::new(ROOT).join(f), &dir.path().join(f));
    }
    std::fs::create_dir(dir.path().join("bin")).expect("bin");
    copy(
        Path::new(CHARM_BIN),
        &dir.path().join("bin/tempo-coordinator-k8s"),
    );
    Charm {
        name: "rust",
        dir,
        app: "tempo",
    }
}

fn peer() -> Result<Charm, String> {
    let venv = Path::new(ROOT).join("target/test-venvs/bench-peer");
    if !venv.join("bin/python3").is_file() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
            && Command::new(venv.join("bin/pip"))
                .args([
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    "ops==3.*",
                    "pydantic==2.*",
                ])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
        if !ok {
            return Err("cannot create a venv with ops and pydantic from PyPI".into());
        }
    }
    let dir = tempfile::tempdir().expect("tmp");
    let src = Path::new(ROOT).join("benches/peer_charm");
    copy(
        &src.join("metadata.yaml"),
        &dir.path().join("metadata.yaml"),
    );
    std::fs::create_dir(dir.path().join("src")).expect("src");
    copy(&src.join("src/charm.py"), &dir.path().join("src/charm.py"));
    let dispatch = dir.path().join("dispatch");
    std::fs::write(
        &dispatch,
        format!("#!/bin/sh\nJUJU_DISPATCH_PATH=\"${{JUJU_DISPATCH_PATH:-$0}}\" exec {} ./src/charm.py\n", venv.join("bin/python3").display()),
    )
    .expect("dispatch");
    std::fs::set_permissions(
        &dispatch,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    Ok(Charm {
        name: "ops",
        dir,
        app: "tempo",
    })
}

fn state_file(app: &str, n: usize) -> tempfile::NamedTempFile {
    let mut s = format!("unit: {app}/0\nmodel: cos\nleader: true\nrelations:\n");
    for i in 0..n {
        let _ = writeln!(s, "  - {{id: {}, endpoint: tempo-api, remote_app: grafana{i}, remote_units: [grafana{i}/0]}}", i + 1);
    }
    let f = tempfile::NamedTempFile::new().expect("tmp");
    std::fs::write(f.path(), s).expect("write state");
    f
}

/// One run of `charm-sim run` (a fresh process, so its peak-RSS figure is this hook's).
fn run(charm: &Charm, state: &Path, event: &str, wrap: Option<&str>) -> Value {
    let mut cmd = Command::new(sim_bin());
    cmd.args(["run", "--format", "json", "--event", event, "--charm-dir"])
        .arg(charm.dir.path())
        .arg("--state")
        .arg(state);
    if let Some(w) = wrap {
        cmd.args(["--wrap", w]);
    }
    let out = cmd.output().expect("run charm-sim");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: {}",
            charm.name,
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(v["exit_code"], 0, "{} failed: {}", charm.name, v["stderr"]);
    v
}

/// Instructions executed by the charm process (callgrind; hook-tool clients not traced).
fn instructions(charm: &Charm, state: &Path, event: &str) -> Option<u64> {
    if Command::new("valgrind").arg("--version").output().is_err() {
        return None;
    }
    let out = tempfile::tempdir().ok()?;
    let wrap = format!(
        "valgrind --tool=callgrind --trace-children=yes --trace-children-skip=*/tools/* --callgrind-out-file={}/cg.%p",
        out.path().display()
    );
    run(charm, state, event, Some(&wrap));
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

#[derive(Default, Clone)]
struct Figures {
    wall_ms: Vec<f64>,
    calls: BTreeMap<String, usize>,
    total_calls: usize,
    rss_kib: u64,
    instructions: Option<u64>,
}

impl Figures {
    fn median(&self) -> f64 {
        let mut v = self.wall_ms.clone();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    }
    fn min(&self) -> f64 {
        self.wall_ms.iter().copied().fold(f64::INFINITY, f64::min)
    }
    fn max(&self) -> f64 {
        self.wall_ms.iter().copied().fold(0.0, f64::max)
    }
}

fn measure(charm: &Charm, n: usize, event: &str, repeats: usize, callgrind: bool) -> Figures {
    let state = state_file(charm.app, n);
    let mut f = Figures::default();
    for _ in 0..repeats {
        let v = run(charm, state.path(), event, None);
        f.wall_ms
            .push(v["wall_time_s"].as_f64().unwrap_or(0.0) * 1000.0);
        let calls = v["calls"].as_array().cloned().unwrap_or_default();
        f.total_calls = calls.len();
        f.calls.clear();
        for c in calls {
            *f.calls
                .entry(c["tool"].as_str().unwrap_or("?").to_owned())
                .or_insert(0) += 1;
        }
    }
    f.rss_kib = peak_rss_kib(charm, state.path(), event).unwrap_or(0);
    if callgrind {
        f.instructions = instructions(charm, state.path(), event);
    }
    f
}

/// Peak RSS of the charm's process tree (the charm and the hook-tool clients it waits for),
/// from GNU time around the handler: a small parent, so no simulator pages are counted.
fn peak_rss_kib(charm: &Charm, state: &Path, event: &str) -> Option<u64> {
    let v = run(charm, state, event, Some("/usr/bin/time -f maxrss=%M"));
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
fn tool_client_rss_kib() -> Option<u64> {
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

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 {
        format!("1/{:.0}", b / a.max(f64::MIN_POSITIVE))
    } else {
        "n/a".into()
    }
}

fn calls_text(c: &BTreeMap<String, usize>) -> String {
    c.iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`) is a dry run.
    if !std::env::args().any(|a| a == "--bench") {
        println!("hooks benchmark: run with `cargo bench --bench hooks`");
        return;
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let ours = ours();
    let peer = match peer() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("no peer: {e}");
            std::process::exit(1);
        }
    };
    let sizes: &[usize] = if quick {
        &[1, 10, 100]
    } else {
        &[1, 10, 100, 1000]
    };
    let mut cases: Vec<(String, usize, &str)> = sizes
        .iter()
        .map(|n| {
            (
                format!("leader-elected, {n} relations"),
                *n,
                "leader-elected",
            )
        })
        .collect();
    cases.push((
        "update-status (steady), 10 relations".into(),
        10,
        "update-status",
    ));

    let mut md = String::new();
    let _ = writeln!(md, "| case | wall median ms (ours / ops / ratio) | wall min–max ms ours; ops | tool calls (ours / ops) | peak RSS KiB (ours / ops / ratio) | instructions (ours / ops / ratio) |");
    let _ = writeln!(md, "|---|---|---|---|---|---|");
    let mut details = String::new();
    let mut slopes: BTreeMap<&str, (Figures, Figures, Figures, Figures)> = BTreeMap::new();
    for (label, n, event) in &cases {
        let big = *n >= 1000;
        let (r_ours, r_peer) = if quick {
            (3, 2)
        } else if big {
            (5, 3)
        } else {
            (10, 5)
        };
        let a = measure(&ours, *n, event, r_ours, true);
        let b = measure(&peer, *n, event, r_peer, !big);
        eprintln!(
            "{label}: ours {:.1} ms, ops {:.1} ms",
            a.median(),
            b.median()
        );
        let inst = match (a.instructions, b.instructions) {
            (Some(x), Some(y)) => format!("{x} / {y} / {}", ratio(x as f64, y as f64)),
            (Some(x), None) => format!("{x} / not measured / n/a"),
            _ => "valgrind not installed".into(),
        };
        let _ = writeln!(
            md,
            "| {label} | {:.1} / {:.1} / {} | {:.1}–{:.1}; {:.1}–{:.1} | {} / {} | {} / {} / {} | {inst} |",
            a.median(),
            b.median(),
            ratio(a.median(), b.median()),
            a.min(),
            a.max(),
            b.min(),
            b.max(),
            a.total_calls,
            b.total_calls,
            a.rss_kib,
            b.rss_kib,
            ratio(a.rss_kib as f64, b.rss_kib as f64),
        );
        let _ = writeln!(
            details,
            "- {label}: ours {}; ops {}",
            calls_text(&a.calls),
            calls_text(&b.calls)
        );
        if *event == "leader-elected" {
            let e = slopes
                .entry("leader-elected")
                .or_insert_with(|| (a.clone(), b.clone(), a.clone(), b.clone()));
            e.2 = a;
            e.3 = b;
        }
    }
    if let Some((a1, b1, an, bn)) = slopes.get("leader-elected") {
        let span = (*sizes.last().unwrap_or(&1) - 1) as f64;
        let _ = writeln!(
            md,
            "\nPer-relation slope, leader-elected 1 → {} relations: wall ours {:.3} ms, ops {:.3} ms; tool calls ours {:.2}, ops {:.2}{}",
            sizes.last().unwrap_or(&1),
            (an.median() - a1.median()) / span,
            (bn.median() - b1.median()) / span,
            (an.total_calls - a1.total_calls) as f64 / span,
            (bn.total_calls - b1.total_calls) as f64 / span,
            match (a1.instructions, an.instructions) {
                (Some(x), Some(y)) => format!("; instructions ours {:.0}", (y as f64 - x as f64) / span),
                _ => String::new(),
            }
        );
    }
    let _ = writeln!(md, "\nHook-tool calls by tool:\n{details}");
    let _ = writeln!(
        md,
        "Peak RSS is the charm's process tree (GNU time around the handler); a hook-tool client alone peaks at {} KiB, the floor under both columns.",
        tool_client_rss_kib().map_or("?".to_owned(), |k| k.to_string())
    );
    let _ = writeln!(
        md,
        "Release binary: {} bytes (stripped).",
        std::fs::metadata(CHARM_BIN).map(|m| m.len()).unwrap_or(0)
    );
    println!("{md}");
    let out: PathBuf = Path::new(ROOT).join("target/bench");
    let _ = std::fs::create_dir_all(&out);
    let _ = std::fs::write(out.join("hooks.md"), &md);
}
