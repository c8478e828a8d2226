//! `cargo xtask <task>`: build chores as Rust code, on the checkout it is run in (the
//! workspace around the current directory).
//!
//! - `stage [--debug]`: build the charm binaries and lay out each charm's files under
//!   `target/charm/<name>/`, exactly as they go into the `.charm` zip.
//! - `pack [--debug] [--out DIR]`: stage, then write `<name>_ubuntu@24.04-amd64.charm` for
//!   both charms into the project root (or DIR), as charmcraft names them.
//! - `demo [--json | --short]`: stage, then walk a whole deployment through charm-sim hook by
//!   hook (`examples/deploy-scenario.yaml`) and show what the charm published.
//!
//! Staging and packing are `charm_sim::pack`'s, which packs any Rust charm.

mod demo;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use charm_sim::pack::{stage as stage_charm, zip_dir, PackOptions, PLATFORM};

/// A charm this repository builds.
struct CharmSpec {
    name: &'static str,
    binary: &'static str,
    /// The charm's source directory (relative to the repository root).
    source_dir: &'static str,
    /// Files besides the metadata, config, actions and dispatch.
    optional_files: &'static [&'static str],
    /// Whether to add hooks/<name> links to ../dispatch for agents without dispatch.
    legacy_hooks: bool,
}

const CHARMS: &[CharmSpec] = &[
    CharmSpec {
        name: "tempo-coordinator-k8s",
        binary: "tempo-coordinator-k8s",
        source_dir: ".",
        optional_files: &["LICENSE", "README.md"],
        legacy_hooks: true,
    },
    CharmSpec {
        name: "tempo-api-tester",
        binary: "tempo-api-tester",
        source_dir: "crates/tempo-api-tester",
        optional_files: &[],
        legacy_hooks: false,
    },
];

const MUSL: &str = "x86_64-unknown-linux-musl";

const USAGE: &str = "\
cargo xtask: build chores for this repository (the checkout around the current directory)

USAGE:
  cargo xtask stage [--debug]              build the charms and lay them out under target/charm/<name>/
  cargo xtask pack [--debug] [--out DIR]   stage, then write <name>_ubuntu@24.04-amd64.charm for both charms
                                           into the repository root (or DIR)
  cargo xtask demo [--debug] [--json | --short]
                                           stage, then walk examples/deploy-scenario.yaml through
                                           charm-sim hook by hook and show what the charm published
  cargo xtask TASK --help                  the options of one task

--debug builds without --release. To pack a charm of your own, use `charm-sim pack`.";

const STAGE_USAGE: &str = "\
cargo xtask stage [--debug]: build the two charms' binaries (static musl when the target is
installed, else glibc) and lay each charm out under target/charm/<name>/ as it is packed.";
const PACK_USAGE: &str = "\
cargo xtask pack [--debug] [--out DIR]: stage, then zip each charm into
DIR/<name>_ubuntu@24.04-amd64.charm (DIR defaults to the repository root).";
const DEMO_USAGE: &str = "\
cargo xtask demo [--debug] [--json | --short]: stage, then walk examples/deploy-scenario.yaml
through charm-sim: one line per hook (exit code, hook-tool calls, Pebble requests, unit
status and why it changed), a summary line, then what the charm published (databags, Pebble
plans, nginx.conf, Tempo's configuration). --short prints the walk and the summary only;
--json prints all of it as JSON. Exits 1 when a hook failed.";

/// The workspace root around the current directory: the nearest ancestor whose Cargo.toml
/// has a `[workspace]` table.
fn find_root(from: &Path) -> Result<PathBuf> {
    for dir in from.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if let Ok(text) = fs::read_to_string(&manifest) {
            if text.lines().any(|l| l.trim() == "[workspace]") {
                return Ok(dir.to_path_buf());
            }
        }
    }
    bail!(
        "no Cargo workspace around `{}`: run cargo xtask inside a checkout of this repository",
        from.display()
    )
}

struct Opts {
    task: String,
    debug: bool,
    json: bool,
    short: bool,
    out: Option<PathBuf>,
}

/// The options of `task`; `None` when only help was asked for (printed already).
fn parse(args: &[String]) -> Result<Option<Opts>> {
    let Some(task) = args.first() else {
        bail!("a task is required\n\n{USAGE}");
    };
    let (usage, allowed): (&str, &[&str]) = match task.as_str() {
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            return Ok(None);
        }
        "stage" => (STAGE_USAGE, &["--debug"]),
        "pack" => (PACK_USAGE, &["--debug", "--out"]),
        "demo" => (DEMO_USAGE, &["--debug", "--json", "--short"]),
        other => bail!("unknown task `{other}`\n\n{USAGE}"),
    };
    let mut o = Opts {
        task: task.clone(),
        debug: false,
        json: false,
        short: false,
        out: None,
    };
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        if a == "-h" || a == "--help" {
            println!("{usage}");
            return Ok(None);
        }
        if !allowed.contains(&a.as_str()) {
            bail!("`cargo xtask {task}` has no option `{a}`\n\n{usage}");
        }
        match a.as_str() {
            "--debug" => o.debug = true,
            "--json" => o.json = true,
            "--short" => o.short = true,
            "--out" => {
                let dir = it
                    .next()
                    .with_context(|| format!("--out needs a directory\n\n{usage}"))?;
                if !Path::new(dir).is_dir() {
                    bail!("--out `{dir}`: no such directory");
                }
                o.out = Some(PathBuf::from(dir));
            }
            _ => {}
        }
    }
    if o.json && o.short {
        bail!("give --json or --short, not both\n\n{usage}");
    }
    Ok(Some(o))
}

fn main() -> std::process::ExitCode {
    match real_main() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(o) = parse(&args)? else {
        return Ok(());
    };
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let root = find_root(&cwd)?;
    match o.task.as_str() {
        "stage" => {
            for dir in stage(&root, o.debug)? {
                println!("staged {}", dir.display());
            }
        }
        "pack" => {
            let dirs = stage(&root, o.debug)?;
            let out_dir = o.out.clone().unwrap_or_else(|| root.clone());
            for (spec, dir) in CHARMS.iter().zip(dirs) {
                let out = out_dir.join(format!("{}_{PLATFORM}.charm", spec.name));
                zip_dir(&dir, &out)?;
                let size = fs::metadata(&out)?.len();
                println!("packed {} ({size} bytes)", out.display());
            }
        }
        "demo" => {
            let dirs = stage(&root, o.debug)?;
            let sim = build_sim(&root)?;
            let mode = if o.json {
                demo::Mode::Json
            } else if o.short {
                demo::Mode::Short
            } else {
                demo::Mode::Full
            };
            if !demo::run(&root, &dirs[0], &sim, mode)? {
                std::process::exit(1);
            }
        }
        _ => unreachable!("parse() accepts only known tasks"),
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Builds the charm binaries: static musl when the target is installed (any charm base),
/// else the host's glibc target.
fn build(root: &Path, debug: bool) -> Result<PathBuf> {
    let musl = musl_available();
    if musl {
        eprintln!("xtask: building static binaries for {MUSL}");
    } else {
        eprintln!(
            "xtask: building glibc binaries ({MUSL} not installed: `rustup target add {MUSL}`)"
        );
    }
    let mut cmd = cargo();
    cmd.current_dir(root).args([
        "build",
        "-p",
        "tempo-coordinator-k8s",
        "--bin",
        "tempo-coordinator-k8s",
        "-p",
        "tempo-api-tester",
        "--bin",
        "tempo-api-tester",
    ]);
    if !debug {
        cmd.arg("--release");
    }
    if musl {
        cmd.args(["--target", MUSL]);
    }
    let status = cmd.status().context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build failed");
    }
    let profile = if debug { "debug" } else { "release" };
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    Ok(if musl {
        target.join(MUSL).join(profile)
    } else {
        target.join(profile)
    })
}

fn build_sim(root: &Path) -> Result<PathBuf> {
    let status = cargo()
        .current_dir(root)
        .args(["build", "-p", "charm-sim", "--bin", "charm-sim"])
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build of charm-sim failed");
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    Ok(target.join("debug").join("charm-sim"))
}

fn musl_available() -> bool {
    if std::env::var_os("XTASK_NO_MUSL").is_some() {
        return false;
    }
    Command::new("rustc")
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| Path::new(s.trim()).join("lib/rustlib").join(MUSL).is_dir())
        .unwrap_or(false)
}

fn stage(root: &Path, debug: bool) -> Result<Vec<PathBuf>> {
    let bin_dir = build(root, debug)?;
    let mut out = Vec::new();
    for spec in CHARMS {
        let dir = root.join("target/charm").join(spec.name);
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("cannot clean {}", dir.display()))?;
        }
        let mut opts = PackOptions::new(root.join(spec.source_dir), bin_dir.join(spec.binary));
        opts.legacy_hooks = spec.legacy_hooks;
        opts.optional_files = spec
            .optional_files
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        stage_charm(&opts, &dir)?;
        out.push(dir);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_the_workspace_around_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        fs::create_dir_all(ws.join("crates/a/src")).unwrap();
        fs::write(
            ws.join("Cargo.toml"),
            "[package]\nname = \"x\"\n\n[workspace]\nmembers = []\n",
        )
        .unwrap();
        fs::write(ws.join("crates/a/Cargo.toml"), "[package]\nname = \"a\"\n").unwrap();
        assert_eq!(find_root(&ws.join("crates/a/src")).unwrap(), ws);
        let e = find_root(tmp.path()).unwrap_err().to_string();
        assert!(e.contains("no Cargo workspace around"), "{e}");
    }

    #[test]
    fn unknown_options_and_tasks_are_errors() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let e = parse(&args(&["pack", "--jsn"])).err().unwrap().to_string();
        assert!(e.contains("has no option `--jsn`"), "{e}");
        let e = parse(&args(&["stage", "--out", "x"]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("has no option `--out`"), "{e}");
        let e = parse(&args(&["frob"])).err().unwrap().to_string();
        assert!(e.contains("unknown task `frob`"), "{e}");
        let e = parse(&args(&["pack", "--out", "/nonexistent-xtask-dir"]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("/nonexistent-xtask-dir"), "{e}");
        assert!(parse(&args(&["demo", "--help"])).unwrap().is_none());
        let o = parse(&args(&["demo", "--short", "--debug"]))
            .unwrap()
            .unwrap();
        assert!(o.short && o.debug && !o.json);
    }
}
