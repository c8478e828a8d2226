//! `cargo xtask <task>`: build chores as Rust code.
//!
//! - `stage [--debug]`: build the charm binaries and lay out each charm's files under
//!   `target/charm/<name>/`, exactly as they go into the `.charm` zip.
//! - `pack [--debug] [--out DIR]`: stage, then write `<name>_ubuntu@24.04-amd64.charm` for
//!   both charms into the project root (or DIR), as charmcraft names them.
//! - `demo [--json]`: stage, then walk a whole deployment through charm-sim hook by hook
//!   (`examples/deploy-scenario.yaml`) and show what the charm published.

mod demo;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// A charm this repository builds.
struct CharmSpec {
    name: &'static str,
    binary: &'static str,
    /// Files copied from the charm's source directory (relative to the repository root).
    source_dir: &'static str,
    files: &'static [&'static str],
    /// Whether to add hooks/<name> links to ../dispatch for agents without dispatch.
    legacy_hooks: bool,
}

const CHARMS: &[CharmSpec] = &[
    CharmSpec {
        name: "tempo-coordinator-k8s",
        binary: "tempo-coordinator-k8s",
        source_dir: ".",
        files: &[
            "metadata.yaml",
            "config.yaml",
            "dispatch",
            "LICENSE",
            "README.md",
        ],
        legacy_hooks: true,
    },
    CharmSpec {
        name: "tempo-api-tester",
        binary: "tempo-api-tester",
        source_dir: "crates/tempo-api-tester",
        files: &["metadata.yaml", "dispatch"],
        legacy_hooks: false,
    },
];

const PLATFORM: &str = "ubuntu@24.04-amd64";
const MUSL: &str = "x86_64-unknown-linux-musl";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let debug = args.iter().any(|a| a == "--debug");
    let out_dir = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
        .unwrap_or_else(root);
    match args.first().map(String::as_str) {
        Some("stage") => {
            for dir in stage(debug)? {
                println!("staged {}", dir.display());
            }
        }
        Some("pack") => {
            let dirs = stage(debug)?;
            for (spec, dir) in CHARMS.iter().zip(dirs) {
                let out = out_dir.join(format!("{}_{PLATFORM}.charm", spec.name));
                zip_dir(&dir, &out)?;
                let size = fs::metadata(&out)?.len();
                println!("packed {} ({size} bytes)", out.display());
            }
        }
        Some("demo") => {
            let dirs = stage(debug)?;
            let sim = build_sim()?;
            demo::run(&root(), &dirs[0], &sim, args.iter().any(|a| a == "--json"))?;
        }
        _ => bail!("usage: cargo xtask stage|pack|demo [--debug] [--out DIR] [--json]"),
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Builds the charm binaries: static musl when the target is installed (any charm base),
/// else the host's glibc target.
fn build(debug: bool) -> Result<PathBuf> {
    let musl = musl_available();
    if musl {
        eprintln!("xtask: building static binaries for {MUSL}");
    } else {
        eprintln!(
            "xtask: building glibc binaries ({MUSL} not installed: `rustup target add {MUSL}`)"
        );
    }
    let mut cmd = cargo();
    cmd.current_dir(root()).args([
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
        .unwrap_or_else(|_| root().join("target"));
    Ok(if musl {
        target.join(MUSL).join(profile)
    } else {
        target.join(profile)
    })
}

fn build_sim() -> Result<PathBuf> {
    let status = cargo()
        .current_dir(root())
        .args(["build", "-p", "charm-sim", "--bin", "charm-sim"])
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build of charm-sim failed");
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target"));
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

/// `actions.yaml` from charmcraft.yaml's `actions:`, as `charmcraft pack` writes it.
fn write_actions(src: &Path, dir: &Path) -> Result<()> {
    let path = src.join("charmcraft.yaml");
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: serde_yaml::Value =
        serde_yaml::from_str(&text).with_context(|| format!("{} is not YAML", path.display()))?;
    if let Some(actions) = doc.get("actions") {
        fs::write(dir.join("actions.yaml"), serde_yaml::to_string(actions)?)?;
    }
    Ok(())
}

fn stage(debug: bool) -> Result<Vec<PathBuf>> {
    let bin_dir = build(debug)?;
    let mut out = Vec::new();
    for spec in CHARMS {
        let dir = root().join("target/charm").join(spec.name);
        if dir.exists() {
            fs::remove_dir_all(&dir).with_context(|| format!("cannot clean {}", dir.display()))?;
        }
        fs::create_dir_all(dir.join("bin"))?;
        let src = root().join(spec.source_dir);
        for f in spec.files {
            let from = src.join(f);
            let from = if from.exists() { from } else { root().join(f) };
            fs::copy(&from, dir.join(f))
                .with_context(|| format!("cannot copy {}", from.display()))?;
        }
        copy_with_mode(
            &bin_dir.join(spec.binary),
            &dir.join("bin").join(spec.binary),
            0o755,
        )?;
        set_mode(&dir.join("dispatch"), 0o755)?;
        write_actions(&src, &dir)?;
        if spec.legacy_hooks {
            fs::create_dir_all(dir.join("hooks"))?;
            for name in hook_names(&dir.join("metadata.yaml"))? {
                std::os::unix::fs::symlink("../dispatch", dir.join("hooks").join(&name))?;
            }
        }
        fs::write(dir.join("manifest.yaml"), manifest())?;
        out.push(dir);
    }
    Ok(out)
}

/// Every hook Juju can run for this metadata, for agents that run hooks/<name> instead of
/// dispatch (contract §1.1): the unit's lifecycle, each endpoint's relation hooks (no
/// relation-broken on peers), each container's Pebble hooks. No `secret-*` links: secrets
/// came with Juju 3.0, whose agents always run `dispatch`.
fn hook_names(metadata: &Path) -> Result<Vec<String>> {
    let text = fs::read_to_string(metadata)
        .with_context(|| format!("cannot read {}", metadata.display()))?;
    let meta: serde_yaml::Value = serde_yaml::from_str(&text)
        .with_context(|| format!("{} is not YAML", metadata.display()))?;
    let mut names: Vec<String> = [
        "install",
        "start",
        "stop",
        "remove",
        "config-changed",
        "upgrade-charm",
        "update-status",
        "leader-elected",
        "leader-settings-changed",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    for section in ["provides", "requires", "peers"] {
        let endpoints = meta.get(section).and_then(serde_yaml::Value::as_mapping);
        for name in endpoints
            .into_iter()
            .flatten()
            .filter_map(|(k, _)| k.as_str())
        {
            for kind in ["created", "joined", "changed", "departed", "broken"] {
                if section == "peers" && kind == "broken" {
                    continue;
                }
                names.push(format!("{name}-relation-{kind}"));
            }
        }
    }
    let containers = meta
        .get("containers")
        .and_then(serde_yaml::Value::as_mapping);
    for name in containers
        .into_iter()
        .flatten()
        .filter_map(|(k, _)| k.as_str())
    {
        for kind in ["ready", "check-failed", "check-recovered", "custom-notice"] {
            names.push(format!("{name}-pebble-{kind}"));
        }
    }
    names.sort();
    Ok(names)
}

fn copy_with_mode(from: &Path, to: &Path, mode: u32) -> Result<()> {
    fs::copy(from, to).with_context(|| format!("cannot copy {}", from.display()))?;
    set_mode(to, mode)
}

fn set_mode(p: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode))
        .with_context(|| format!("cannot chmod {}", p.display()))
}

/// manifest.yaml as charmcraft 4.5 writes it for a platforms-style charm.
fn manifest() -> String {
    let started = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or_else(now_rfc3339, rfc3339);
    format!(
        "charmcraft-version: 4.5.0\ncharmcraft-started-at: '{started}'\nbases:\n- name: ubuntu\n  channel: '24.04'\n  architectures: [amd64]\nanalysis:\n  attributes:\n  - {{name: language, result: unknown}}\n  - {{name: framework, result: unknown}}\n"
    )
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SS.000000Z` (civil-from-days, proleptic Gregorian).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000000Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Writes `dir` as a zip whose entries carry Unix modes (and symlinks as symlinks).
fn zip_dir(dir: &Path, out: &Path) -> Result<()> {
    use zip::write::SimpleFileOptions;
    let file = fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let mut entries = Vec::new();
    collect(dir, dir, &mut entries)?;
    entries.sort();
    for rel in entries {
        let path = dir.join(&rel);
        let name = rel.to_string_lossy().replace('\\', "/");
        let meta = fs::symlink_metadata(&path)?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path)?;
            zip.add_symlink(
                name,
                target.to_string_lossy(),
                SimpleFileOptions::default().unix_permissions(0o777),
            )?;
            continue;
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode);
        zip.start_file(name, opts)?;
        zip.write_all(&fs::read(&path)?)?;
    }
    zip.finish()?;
    Ok(())
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in fs::read_dir(dir)? {
        let e = e?;
        let ft = e.file_type()?;
        let p = e.path();
        if ft.is_dir() {
            collect(base, &p, out)?;
        } else {
            out.push(p.strip_prefix(base)?.to_path_buf());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339_dates() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(super::rfc3339(1_795_537_200), "2026-11-24T16:20:00.000000Z");
    }
}
