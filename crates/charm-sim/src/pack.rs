//! Packing any charm whose handler is one compiled binary into a `.charm`, with the layout
//! `charmcraft pack` gives it: `metadata.yaml`, `config.yaml` and `actions.yaml` (copied, or
//! taken from a `charmcraft.yaml` that holds them), `dispatch` (the charm's own, or one that
//! execs `bin/<binary>`), `bin/<binary>`, `manifest.yaml`, optional files (`LICENSE`,
//! `README.md`, `icon.svg`), and, on request, `hooks/<name>` links to `dispatch` for agents
//! that do not know `dispatch`. Entries keep their Unix modes; symlinks stay symlinks.
//!
//! `charm-sim pack --charm-dir DIR --binary PATH` is the command line of [`pack`];
//! `cargo xtask pack` packs this repository's charms with it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::charm_files::CharmMeta;

/// The platform the `.charm` is named for, as charmcraft names it.
pub const PLATFORM: &str = "ubuntu@24.04-amd64";

/// Files copied into the charm when the source has them.
pub const OPTIONAL_FILES: &[&str] = &["LICENSE", "README.md", "icon.svg"];

/// Keys of a unified `charmcraft.yaml` that charmcraft writes into `metadata.yaml`.
const METADATA_KEYS: &[&str] = &[
    "name",
    "display-name",
    "summary",
    "description",
    "maintainers",
    "website",
    "source",
    "issues",
    "docs",
    "contact",
    "terms",
    "subordinate",
    "assumes",
    "containers",
    "resources",
    "devices",
    "storage",
    "extra-bindings",
    "provides",
    "requires",
    "peers",
    "charm-user",
];

/// Packing failed: which file, what happened, and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{what} `{}`: {reason}", path.display())]
pub struct PackError {
    /// What was being done (`cannot read`, `cannot write`...).
    pub what: &'static str,
    /// The file.
    pub path: PathBuf,
    /// Why, and the fix.
    pub reason: String,
}

fn io<'a>(what: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> PackError + 'a {
    move |e| PackError {
        what,
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// What to pack.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The charm's source directory (`metadata.yaml` or a `charmcraft.yaml` with `name:`).
    pub source: PathBuf,
    /// The compiled charm binary; it goes to `bin/<its file name>`.
    pub binary: PathBuf,
    /// Add `hooks/<name>` links to `dispatch` for every hook of the metadata.
    pub legacy_hooks: bool,
    /// Files copied when present, relative to `source` (by default [`OPTIONAL_FILES`]).
    pub optional_files: Vec<String>,
}

impl PackOptions {
    /// Packs `binary` with the charm in `source`, with the default optional files and no
    /// legacy hook links.
    pub fn new(source: impl Into<PathBuf>, binary: impl Into<PathBuf>) -> Self {
        Self {
            source: source.into(),
            binary: binary.into(),
            legacy_hooks: false,
            optional_files: OPTIONAL_FILES.iter().map(|s| (*s).to_owned()).collect(),
        }
    }
}

/// A section of a `charmcraft.yaml` (`None` when absent or when there is no such file).
fn charmcraft(source: &Path) -> Result<Option<serde_yaml::Value>, PackError> {
    let path = source.join("charmcraft.yaml");
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(None);
    };
    serde_yaml::from_str(&text)
        .map(Some)
        .map_err(|e| PackError {
            what: "cannot parse",
            path,
            reason: format!(
                "{}; charmcraft.yaml must be YAML",
                crate::state::humanize(&e)
            ),
        })
}

fn write(path: &Path, text: &str) -> Result<(), PackError> {
    fs::write(path, text).map_err(io("cannot write", path))
}

fn yaml(v: &serde_yaml::Value) -> String {
    // Plain YAML values always serialise.
    serde_yaml::to_string(v).unwrap_or_default()
}

/// Lays the charm out in `dest` (created; it must not exist or be empty) as it goes into the
/// zip.
pub fn stage(opts: &PackOptions, dest: &Path) -> Result<(), PackError> {
    let src = &opts.source;
    let bin_name = opts
        .binary
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| PackError {
            what: "cannot use",
            path: opts.binary.clone(),
            reason: "the binary's path has no UTF-8 file name".into(),
        })?
        .to_owned();
    if !opts.binary.is_file() {
        return Err(PackError {
            what: "cannot find the binary",
            path: opts.binary.clone(),
            reason: "build it first (`cargo build --release`) and give its path".into(),
        });
    }
    fs::create_dir_all(dest.join("bin")).map_err(io("cannot create", dest))?;
    let craft = charmcraft(src)?;
    let from_craft = |key: &str| craft.as_ref().and_then(|c| c.get(key)).cloned();

    // metadata.yaml: the file, or the metadata keys of a unified charmcraft.yaml.
    let meta = src.join("metadata.yaml");
    if meta.is_file() {
        copy(&meta, &dest.join("metadata.yaml"), 0o644)?;
    } else if from_craft("name").is_some() {
        let mut m = serde_yaml::Mapping::new();
        for key in METADATA_KEYS {
            if let Some(v) = from_craft(key) {
                m.insert((*key).into(), v);
            }
        }
        write(&dest.join("metadata.yaml"), &yaml(&m.into()))?;
    } else {
        return Err(PackError {
            what: "no charm metadata in",
            path: src.clone(),
            reason: "add a metadata.yaml (with at least `name:`), or `name:` and the endpoints in charmcraft.yaml".into(),
        });
    }
    // config.yaml and actions.yaml: the files, or charmcraft.yaml's sections.
    for (file, key) in [("config.yaml", "config"), ("actions.yaml", "actions")] {
        let path = src.join(file);
        if path.is_file() {
            copy(&path, &dest.join(file), 0o644)?;
        } else if let Some(v) = from_craft(key).filter(|v| !v.is_null()) {
            write(&dest.join(file), &yaml(&v))?;
        }
    }
    let dispatch = src.join("dispatch");
    if dispatch.is_file() {
        copy(&dispatch, &dest.join("dispatch"), 0o755)?;
    } else {
        write(&dest.join("dispatch"), &default_dispatch(&bin_name))?;
        set_mode(&dest.join("dispatch"), 0o755)?;
    }
    copy(&opts.binary, &dest.join("bin").join(&bin_name), 0o755)?;
    for f in &opts.optional_files {
        let path = src.join(f);
        if path.is_file() {
            copy(&path, &dest.join(f), 0o644)?;
        }
    }
    if opts.legacy_hooks {
        let meta = CharmMeta::read(dest)
            .map_err(|e| PackError {
                what: "cannot read",
                path: PathBuf::from(&e.file),
                reason: e.reason,
            })?
            .ok_or_else(|| PackError {
                what: "cannot read",
                path: dest.join("metadata.yaml"),
                reason: "no metadata".into(),
            })?;
        let hooks = dest.join("hooks");
        fs::create_dir_all(&hooks).map_err(io("cannot create", &hooks))?;
        for name in meta.legacy_hook_names() {
            let link = hooks.join(&name);
            std::os::unix::fs::symlink("../dispatch", &link).map_err(io("cannot link", &link))?;
        }
    }
    write(&dest.join("manifest.yaml"), &manifest())
}

/// The `dispatch` for a charm that is one binary: Juju runs it for every event; the binary
/// reads the event from `JUJU_DISPATCH_PATH` (or `$0` through a `hooks/<name>` link).
pub fn default_dispatch(binary: &str) -> String {
    format!(
        "#!/bin/sh\n# Juju runs this for every hook and action; the binary reads the event from\n# JUJU_DISPATCH_PATH (or from $0 when started through a hooks/<name> link).\nJUJU_DISPATCH_PATH=\"${{JUJU_DISPATCH_PATH:-$0}}\" exec ./bin/{binary}\n"
    )
}

/// Stages the charm and zips it as `<out_dir>/<name>_ubuntu@24.04-amd64.charm` (the name
/// from its metadata); returns the path of the `.charm`.
pub fn pack(opts: &PackOptions, out_dir: &Path) -> Result<PathBuf, PackError> {
    let work = tempfile::Builder::new()
        .prefix("charm-pack-")
        .tempdir()
        .map_err(io(
            "cannot create a temporary directory in",
            &std::env::temp_dir(),
        ))?;
    let dir = work.path().join("charm");
    stage(opts, &dir)?;
    let name = CharmMeta::read(&dir)
        .ok()
        .flatten()
        .map(|m| m.name)
        .ok_or_else(|| PackError {
            what: "cannot read",
            path: dir.join("metadata.yaml"),
            reason: "the metadata has no valid `name:`".into(),
        })?;
    let out = out_dir.join(format!("{name}_{PLATFORM}.charm"));
    zip_dir(&dir, &out)?;
    Ok(out)
}

fn copy(from: &Path, to: &Path, mode: u32) -> Result<(), PackError> {
    fs::copy(from, to).map_err(io("cannot copy", from))?;
    set_mode(to, mode)
}

fn set_mode(p: &Path, mode: u32) -> Result<(), PackError> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).map_err(io("cannot chmod", p))
}

/// manifest.yaml as charmcraft 4.5 writes it for a platforms-style charm (the time from
/// `SOURCE_DATE_EPOCH` when set, for reproducible packs).
pub fn manifest() -> String {
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

/// Writes `dir` as a zip whose entries carry Unix modes (and symlinks as symlinks), in
/// sorted order.
pub fn zip_dir(dir: &Path, out: &Path) -> Result<(), PackError> {
    use zip::write::SimpleFileOptions;
    let zip_err = |e: zip::result::ZipError| PackError {
        what: "cannot write",
        path: out.to_owned(),
        reason: e.to_string(),
    };
    let file = fs::File::create(out).map_err(io("cannot create", out))?;
    let mut zip = zip::ZipWriter::new(file);
    let mut entries = Vec::new();
    collect(dir, dir, &mut entries)?;
    entries.sort();
    for rel in entries {
        let path = dir.join(&rel);
        let name = rel.to_string_lossy().replace('\\', "/");
        let meta = fs::symlink_metadata(&path).map_err(io("cannot read", &path))?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(&path).map_err(io("cannot read", &path))?;
            zip.add_symlink(
                name,
                target.to_string_lossy(),
                SimpleFileOptions::default().unix_permissions(0o777),
            )
            .map_err(zip_err)?;
            continue;
        }
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        let opts = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode);
        zip.start_file(name, opts).map_err(zip_err)?;
        let data = fs::read(&path).map_err(io("cannot read", &path))?;
        zip.write_all(&data).map_err(io("cannot write", out))?;
    }
    zip.finish().map_err(zip_err)?;
    Ok(())
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), PackError> {
    for e in fs::read_dir(dir).map_err(io("cannot list", dir))? {
        let e = e.map_err(io("cannot list", dir))?;
        let ft = e.file_type().map_err(io("cannot list", dir))?;
        let p = e.path();
        if ft.is_dir() {
            collect(base, &p, out)?;
        } else if let Ok(rel) = p.strip_prefix(base) {
            out.push(rel.to_path_buf());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn rfc3339_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(rfc3339(1_795_537_200), "2026-11-24T16:20:00.000000Z");
    }

    fn entries(charm: &Path) -> Vec<(String, u32, String)> {
        let mut zip = zip::ZipArchive::new(fs::File::open(charm).unwrap()).unwrap();
        (0..zip.len())
            .map(|i| {
                let mut f = zip.by_index(i).unwrap();
                let mut s = String::new();
                f.read_to_string(&mut s).unwrap();
                (f.name().to_owned(), f.unix_mode().unwrap(), s)
            })
            .collect()
    }

    #[test]
    fn a_unified_charmcraft_yaml_and_a_binary_make_a_charm() {
        let src = tempfile::tempdir().unwrap();
        fs::write(
            src.path().join("charmcraft.yaml"),
            "name: hello\ntype: charm\nsummary: s\nrequires:\n  db: {interface: pg}\nconfig:\n  options:\n    port: {type: int, default: 1}\nactions:\n  go: {}\nparts: {charm: {plugin: rust}}\n",
        )
        .unwrap();
        fs::write(src.path().join("LICENSE"), "x").unwrap();
        let bin = src.path().join("hello-bin");
        fs::write(&bin, "#!/bin/sh\n").unwrap();
        let out = tempfile::tempdir().unwrap();
        let mut opts = PackOptions::new(src.path(), &bin);
        opts.legacy_hooks = true;
        let charm = pack(&opts, out.path()).unwrap();
        assert_eq!(charm.file_name().unwrap(), "hello_ubuntu@24.04-amd64.charm");
        let e = entries(&charm);
        let names: Vec<&str> = e.iter().map(|(n, _, _)| n.as_str()).collect();
        for want in [
            "LICENSE",
            "actions.yaml",
            "bin/hello-bin",
            "config.yaml",
            "dispatch",
            "hooks/db-relation-joined",
            "hooks/install",
            "manifest.yaml",
            "metadata.yaml",
        ] {
            assert!(names.contains(&want), "{want} missing: {names:?}");
        }
        let get = |n: &str| e.iter().find(|(x, _, _)| x == n).unwrap();
        assert_eq!(get("dispatch").1 & 0o777, 0o755);
        assert!(get("dispatch").2.contains("exec ./bin/hello-bin"));
        assert_eq!(get("bin/hello-bin").1 & 0o777, 0o755);
        assert_eq!(get("hooks/install").1 & 0o170000, 0o120000);
        let meta: serde_yaml::Value = serde_yaml::from_str(&get("metadata.yaml").2).unwrap();
        assert_eq!(meta["name"], "hello");
        assert!(meta.get("parts").is_none() && meta.get("config").is_none());
        assert!(get("config.yaml").2.contains("port"));
    }

    #[test]
    fn missing_pieces_are_named() {
        let src = tempfile::tempdir().unwrap();
        let bin = src.path().join("b");
        let e = pack(&PackOptions::new(src.path(), &bin), src.path()).unwrap_err();
        assert!(e.to_string().contains("cannot find the binary"), "{e}");
        fs::write(&bin, "").unwrap();
        let e = pack(&PackOptions::new(src.path(), &bin), src.path()).unwrap_err();
        assert!(e.to_string().contains("add a metadata.yaml"), "{e}");
    }
}
