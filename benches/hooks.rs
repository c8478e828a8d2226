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

const CHARM_BIN: &str = env!("CARGO_BIN_EXE_tempo-coordinator-k8s");

mod common;
use common::*;

fn peer() -> Result<Charm, String> {
    let venv = venv("bench-peer", &["ops==3.*", "pydantic==2.*"])?;
    let dir = tempfile::tempdir().expect("tmp");
    let src = Path::new(ROOT).join("benches/peer_charm");
    copy(
        &src.join("metadata.yaml"),
        &dir.path().join("metadata.yaml"),
    );
    std::fs::create_dir(dir.path().join("src")).expect("src");
    copy(&src.join("src/charm.py"), &dir.path().join("src/charm.py"));
    python_dispatch(dir.path(), &venv, "./src/charm.py", "");
    Ok(Charm { name: "ops", dir })
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

fn measure(charm: &Charm, n: usize, event: &str, repeats: usize, callgrind: bool) -> Figures {
    let state = state_file("tempo", n);
    let mut f = Figures::default();
    for _ in 0..repeats {
        f.add(&run(charm, state.path(), &["--event", event], None, None));
    }
    f.rss_kib = peak_rss_kib(charm, state.path(), &["--event", event]).unwrap_or(0);
    if callgrind {
        f.instructions = instructions(charm, state.path(), &["--event", event]);
    }
    f
}

fn main() {
    // `cargo bench` passes `--bench`; anything else (`cargo test --benches`) is a dry run.
    if !std::env::args().any(|a| a == "--bench") {
        println!("hooks benchmark: run with `cargo bench --bench hooks`");
        return;
    }
    let quick = std::env::var_os("BENCH_QUICK").is_some();
    let ours = ours(CHARM_BIN);
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
